//! The /proc readers fed arbitrary file contents: a process controls its
//! own name and command line, so whatever `stat`, `status`, `cmdline` or a
//! signalfd's `fdinfo` hold, parsing may not panic and what is shown of it
//! may hold no control character.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rinit_fuzz::escape;
use rinit_fuzz::inspect::{proc, processes};
use rinit_fuzz::procfs;

fn harmless(text: &str) -> bool {
    !text.chars().any(char::is_control)
}

fuzz_target!(|data: &[u8]| {
    if let Some(stat) = procfs::parse_stat(data) {
        let comm = stat.comm.to_string();
        assert!(harmless(&comm), "{comm:?}");
    }
    let _ = proc::parse_status(data);
    let _ = proc::signalfd_mask(data);
    let argv = proc::split_words(data);
    let shown = processes::command_line(&argv, "zombie");
    assert!(harmless(&shown), "{shown:?}");
    // Cut after COMMAND characters of input; an escape is at most 8 long.
    assert!(shown.chars().count() <= escape::COMMAND * 8 + 3 || argv.is_empty());
    assert!(harmless(&escape::shown(data, usize::MAX)));
});
