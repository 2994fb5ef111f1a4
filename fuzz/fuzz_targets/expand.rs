//! `--expand` fed any word and environment. The input is NUL-separated: the
//! first part is the word, each later one NAME=VALUE.
//!
//! Nothing may panic or recurse without bound; a refusal is one line with
//! no control character; a result never exceeds what the kernel takes in
//! one argument; a word without `$` comes out as it went in. Time per input
//! is libFuzzer's to watch (-timeout): the expander reads each byte of the
//! word once.

#![no_main]

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;

use libfuzzer_sys::fuzz_target;
use rinit_fuzz::expand::{word, Env};

fuzz_target!(|data: &[u8]| {
    let mut parts = data.split(|&b| b == 0);
    let input = OsStr::from_bytes(parts.next().unwrap_or_default());
    let env = Env::new(parts.map(|var| {
        let eq = var.iter().position(|&b| b == b'=').unwrap_or(var.len());
        (
            OsString::from(OsStr::from_bytes(&var[..eq])),
            OsString::from(OsStr::from_bytes(var.get(eq + 1..).unwrap_or_default())),
        )
    }));
    match word(input, &env) {
        Ok(out) => {
            assert!(out.len() <= 32 * 4096);
            if !input.as_bytes().contains(&b'$') {
                assert_eq!(out, input.as_bytes());
            }
        }
        Err(e) => assert!(
            !e.0.is_empty() && !e.0.chars().any(char::is_control),
            "{:?}",
            e.0
        ),
    }
});
