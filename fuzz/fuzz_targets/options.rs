//! The command line and the environment, through option parsing and
//! settings resolution, under every name. The input is NUL-separated words:
//! the first byte picks the name, a word `=NAME=VALUE` is an environment
//! variable, any other word an argument.
//!
//! Nothing may panic; a refusal is one line with no control character; a
//! command is the untouched tail of the arguments.

#![no_main]

use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};

use libfuzzer_sys::fuzz_target;
use rinit_fuzz::options::{parse, Request};
use rinit_fuzz::personality::Personality;
use rinit_fuzz::settings::{Run, Settings};

const NAMES: [Personality; 5] = [
    Personality::Rinit,
    Personality::Tini { docker: true },
    Personality::DumbInit,
    Personality::Catatonit { podman: false },
    Personality::Catatonit { podman: true },
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let personality = NAMES[usize::from(pick) % NAMES.len()];
    let mut args = Vec::new();
    let mut env: Vec<(String, OsString)> = Vec::new();
    for word in rest.split(|&b| b == 0) {
        match word.strip_prefix(b"=") {
            Some(var) => {
                let eq = var.iter().position(|&b| b == b'=').unwrap_or(var.len());
                let name = String::from_utf8_lossy(&var[..eq]).into_owned();
                let value = var.get(eq + 1..).unwrap_or_default().to_vec();
                env.push((name, OsString::from_vec(value)));
            }
            None => args.push(OsString::from_vec(word.to_vec())),
        }
    }
    let lookup = |k: &str| {
        env.iter()
            .rev()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
    };
    let result = parse(&args).and_then(|request| match request {
        Request::Run(flags) => Settings::resolve(flags, personality, &lookup).map(Some),
        _ => Ok(None),
    });
    match result {
        Err(e) => assert!(
            !e.0.is_empty() && !e.0.chars().any(char::is_control),
            "{:?}",
            e.0
        ),
        // -P runs no command (Run::Pause holds none), and only -P.
        Ok(Some(Settings {
            run: Run::Pause, ..
        })) => {}
        Ok(Some(Settings {
            run: Run::Command(command),
            ..
        })) => {
            let tail = &args[args.len() - command.len()..];
            assert!(!command.is_empty() && tail == command.as_slice());
            let first = command[0].as_bytes();
            let at = args.len() - command.len();
            assert!(at > 0 && args[at - 1] == "--" || first == b"-" || !first.starts_with(b"-"));
        }
        Ok(None) => {}
    }
});
