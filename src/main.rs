//! rinit: a tiny init for containers.
//!
//! Its life: read the options; block every relayable signal (before the
//! child exists, so none is lost); become child subreaper unless PID 1;
//! start the command in its own process group; relay signals and reap
//! children until the command exits; drain what it left behind (SIGTERM,
//! a grace period, SIGKILL); exit with the command's status.

// PID 1 must never panic: no unwrap, expect, panic or unchecked index
// outside tests.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]
// rinit's own C `main`: Rust's start-up code would set SIGPIPE to ignored,
// reopen a closed stdin/stdout/stderr on /dev/null and install SIGSEGV
// handlers, and the child must get exactly what rinit was given instead.
#![cfg_attr(not(test), no_main)]

mod drain;
mod duration;
mod log;
mod options;
mod procfs;
mod reap;
mod relay;
mod signal;
mod signals;
mod spawn;
mod supervise;

use std::ffi::OsString;
use std::io::{self, Write};
use std::process::exit;

use drain::Drain;
use log::{info, warning, Level, Log};
use options::{Request, Settings};
use relay::{Relay, Target};
use signals::Signals;
use spawn::{Command, SpawnError};
use supervise::Supervisor;

/// Exit statuses of rinit's own failures, as shells use them.
const USAGE: i32 = 2;
const CANNOT_RUN: i32 = 126;
const NOT_FOUND: i32 = 127;

#[cfg(not(test))]
#[no_mangle]
extern "C" fn main(_argc: libc::c_int, _argv: *const *const libc::c_char) -> libc::c_int {
    // std reads argv itself (glibc hands it over at load time).
    start()
}

#[cfg_attr(test, allow(dead_code))]
fn start() -> ! {
    let args: Vec<OsString> = std::env::args_os().collect();
    let settings = match options::parse(args.get(1..).unwrap_or_default(), |k| std::env::var_os(k))
    {
        Ok(Request::Run(settings)) => settings,
        Ok(Request::Help) => print_and_exit(options::HELP),
        Ok(Request::Version) => print_and_exit(concat!("rinit ", env!("CARGO_PKG_VERSION"), "\n")),
        Err(e) => {
            let log = Log::new("rinit", Level::Warn);
            warning!(log, "{}; see 'rinit --help'", e.0);
            exit(USAGE);
        }
    };
    let log = Log::new("rinit", settings.verbosity);
    let status = run(&settings, &log);
    info!(log, "exiting with status {status}");
    exit(status);
}

fn run(settings: &Settings, log: &Log) -> i32 {
    let signals = match Signals::take_over() {
        Ok(signals) => signals,
        Err(e) => {
            warning!(log, "cannot take over signals: {e}");
            return CANNOT_RUN;
        }
    };
    if std::process::id() != 1 {
        match reap::become_subreaper() {
            Ok(()) => info!(
                log,
                "not PID 1: registered as child subreaper, orphans come to rinit"
            ),
            Err(e) => warning!(
                log,
                "cannot become child subreaper ({e}): orphans will not be reaped"
            ),
        }
    }
    let command = Command::new(&settings.command);
    let shown = command.display();
    let child = match command.spawn(&signals, spawn::owns_foreground()) {
        Ok(child) => child,
        Err(SpawnError::Exec(errno)) => {
            warning!(log, "cannot run '{shown}': {}", io::Error::from(errno));
            return match errno {
                nix::errno::Errno::ENOENT | nix::errno::Errno::ENOTDIR => NOT_FOUND,
                _ => CANNOT_RUN,
            };
        }
        Err(SpawnError::Fork(errno)) => {
            warning!(log, "cannot start '{shown}': {}", io::Error::from(errno));
            return CANNOT_RUN;
        }
    };
    info!(log, "started '{shown}' as pid {child}");
    let relay = Relay {
        log,
        rewrites: &settings.rewrites,
        // The command leads its own process group: its pid is the group's id.
        target: if settings.single_child {
            Target::Child(child)
        } else {
            Target::Group(child)
        },
    };
    let exit = Supervisor::new(log, settings, &signals, &relay, child).run();
    let drain = Drain {
        log,
        signals: &signals,
        relay: &relay,
        group: child,
        grace: settings.grace,
    };
    drain.run(exit).status()
}

/// Help and version go to stdout; a closed stdout is no reason to fail.
fn print_and_exit(text: &str) -> ! {
    let _ = io::stdout().write_all(text.as_bytes());
    exit(0)
}
