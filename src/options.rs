//! The command line, split into flags and the command.
//!
//! rinit takes the union of tini's, dumb-init's and catatonit's options
//! (they do not collide) under every name. Options end at `--` or at the
//! first word that is not an option: whatever follows belongs to the
//! command, even words that look like options.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;

use crate::escape::quoted;

/// A usage error: one line that names the problem.
#[derive(Debug, PartialEq, Eq)]
pub struct UsageError(pub String);

/// The options as given, before the environment and the personality's
/// defaults are applied (see `settings`).
#[derive(Debug, Default)]
pub struct Flags {
    pub verbose: u32,
    /// `-c` (Some(true)) or `-g` (Some(false)), the last one given.
    pub single_child: Option<bool>,
    /// `-a` (an empty value) or `--signal-all=VALUE`.
    pub signal_all: Option<OsString>,
    pub rewrites: Vec<OsString>,
    pub grace: Option<OsString>,
    pub kill_after: Option<OsString>,
    pub stop_delay: Option<OsString>,
    /// `--stop-signals LIST`: what counts as the engine's stop.
    pub stop_signals: Option<OsString>,
    /// tini's `-p SIGNAME`.
    pub parent_death: Option<OsString>,
    /// tini's `-w`.
    pub warn_reaped: bool,
    /// tini's `-e CODE`, repeatable.
    pub zero_codes: Vec<OsString>,
    /// `--log-format text|json`.
    pub log_format: Option<OsString>,
    /// `-P`: no command; hold the namespaces and reap (a pod's infra).
    pub pause: bool,
    /// `--expand`: `$NAME` and `${NAME...}` in the command's words.
    pub expand: bool,
    pub command: Vec<OsString>,
}

/// What the command line asks for.
// Made once per run: the size of Run's flags costs nothing worth a Box.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Request {
    Run(Flags),
    Help,
    Version,
    License,
    /// `--inspect [PID]`, with `--json`.
    Inspect {
        pid: i32,
        json: bool,
    },
    /// `--install DIR`: copy this binary to DIR/rinit.
    Install(OsString),
}

#[derive(Clone, Copy)]
enum Opt {
    Verbose,
    SingleChild,
    SignalAll,
    Group,
    Subreaper,
    WarnReaped,
    Rewrite,
    ParentDeath,
    ZeroCode,
    Grace,
    KillAfter,
    StopDelay,
    StopSignals,
    Help,
    Version,
    License,
    Inspect,
    Json,
    LogFormat,
    Pause,
    Expand,
    Install,
}

/// (short, long, option, takes a value)
const OPTIONS: [(Option<u8>, Option<&str>, Opt, bool); 23] = [
    (Some(b'v'), Some("verbose"), Opt::Verbose, false),
    (Some(b'c'), Some("single-child"), Opt::SingleChild, false),
    (Some(b'a'), Some("signal-all"), Opt::SignalAll, false),
    (Some(b'g'), None, Opt::Group, false),
    (Some(b's'), None, Opt::Subreaper, false),
    (Some(b'w'), None, Opt::WarnReaped, false),
    (Some(b'r'), Some("rewrite"), Opt::Rewrite, true),
    (Some(b'p'), None, Opt::ParentDeath, true),
    (Some(b'e'), None, Opt::ZeroCode, true),
    (None, Some("grace"), Opt::Grace, true),
    (None, Some("kill-after"), Opt::KillAfter, true),
    (None, Some("stop-delay"), Opt::StopDelay, true),
    (None, Some("stop-signals"), Opt::StopSignals, true),
    (Some(b'h'), Some("help"), Opt::Help, false),
    (Some(b'V'), Some("version"), Opt::Version, false),
    (Some(b'l'), Some("license"), Opt::License, false),
    // catatonit spells it -L.
    (Some(b'L'), None, Opt::License, false),
    (None, Some("inspect"), Opt::Inspect, false),
    (None, Some("json"), Opt::Json, false),
    (None, Some("log-format"), Opt::LogFormat, true),
    // catatonit's pause mode (podman pods, a Kubernetes pause image).
    (Some(b'P'), Some("pause"), Opt::Pause, false),
    (None, Some("expand"), Opt::Expand, false),
    (None, Some("install"), Opt::Install, true),
];

/// Splits rinit's arguments (without argv[0]) into flags and the command.
pub fn parse(args: &[OsString]) -> Result<Request, UsageError> {
    let mut flags = Flags::default();
    let (mut inspect, mut json) = (None, false);
    let mut words = args.iter();
    while let Some(word) = words.next() {
        let found = match word.as_bytes() {
            b"--" => {
                flags.command.extend(words.by_ref().cloned());
                break;
            }
            bytes if is_option(bytes) => options_in(bytes, &mut words)?,
            _ => {
                flags.command.push(word.clone());
                flags.command.extend(words.by_ref().cloned());
                break;
            }
        };
        for (opt, value) in found {
            let value = || value.unwrap_or_default().to_owned();
            match opt {
                Opt::Verbose => flags.verbose += 1,
                Opt::SingleChild => flags.single_child = Some(true),
                Opt::Group => flags.single_child = Some(false),
                Opt::SignalAll => flags.signal_all = Some(value()),
                // rinit always registers as subreaper when it is not PID 1.
                Opt::Subreaper => {}
                Opt::WarnReaped => flags.warn_reaped = true,
                Opt::Rewrite => flags.rewrites.push(value()),
                Opt::ParentDeath => flags.parent_death = Some(value()),
                Opt::ZeroCode => flags.zero_codes.push(value()),
                Opt::Grace => flags.grace = Some(value()),
                Opt::KillAfter => flags.kill_after = Some(value()),
                Opt::StopDelay => flags.stop_delay = Some(value()),
                Opt::StopSignals => flags.stop_signals = Some(value()),
                Opt::Help => return Ok(Request::Help),
                Opt::Version => return Ok(Request::Version),
                Opt::License => return Ok(Request::License),
                Opt::LogFormat => flags.log_format = Some(value()),
                Opt::Pause => flags.pause = true,
                Opt::Expand => flags.expand = true,
                // As --help does: what follows is not looked at.
                Opt::Install => return Ok(Request::Install(value())),
                Opt::Json => json = true,
                Opt::Inspect => {
                    // An optional PID follows; PID 1 by default.
                    let pid = words
                        .as_slice()
                        .first()
                        .and_then(|w| w.to_str()?.parse::<i32>().ok());
                    if pid.is_some() {
                        words.next();
                    }
                    inspect = Some(pid.unwrap_or(1));
                }
            }
        }
    }
    match (inspect, json) {
        (Some(pid), _) if flags.command.is_empty() && pid > 0 => {
            return Ok(Request::Inspect { pid, json })
        }
        (Some(_), _) => return Err(UsageError("--inspect takes one PID and no command".into())),
        (None, true) => return Err(UsageError("--json goes with --inspect".into())),
        (None, false) => {}
    }
    match (flags.pause, flags.command.is_empty()) {
        (true, false) => Err(UsageError("-P (pause) runs no command".into())),
        (false, true) => Err(UsageError("no command to run".into())),
        _ => Ok(Request::Run(flags)),
    }
}

/// The `--log-format` given among the options, even when another of them
/// is wrong: the usage error is then written in the format asked for.
pub fn log_format(args: &[OsString]) -> Option<OsString> {
    let mut words = args.iter();
    let mut format = None;
    while let Some(bytes) = words.next().map(|w| w.as_bytes()) {
        if !is_option(bytes) {
            break;
        }
        for (opt, value) in options_in(bytes, &mut words).unwrap_or_default() {
            if let (Opt::LogFormat, Some(value)) = (opt, value) {
                format = Some(value.to_owned());
            }
        }
    }
    format
}

type Words<'a> = std::slice::Iter<'a, OsString>;
type Found<'a> = (Opt, Option<&'a OsStr>);

/// Whether a word holds options: `-x...` or `--name`, but not `-` or `--`.
fn is_option(bytes: &[u8]) -> bool {
    bytes.len() > 1 && bytes.first() == Some(&b'-') && bytes != b"--"
}

/// The options in one word (and the value it takes from the next word).
fn options_in<'a>(bytes: &'a [u8], words: &mut Words<'a>) -> Result<Vec<Found<'a>>, UsageError> {
    match bytes.strip_prefix(b"--") {
        Some(long) => Ok(vec![long_option(long, words)?]),
        None => short_options(bytes.get(1..).unwrap_or_default(), words),
    }
}

/// `--name` or `--name=value`; a value may also be the next word.
fn long_option<'a>(long: &'a [u8], words: &mut Words<'a>) -> Result<Found<'a>, UsageError> {
    let (name, inline) = match long.iter().position(|&b| b == b'=') {
        Some(eq) => (
            long.get(..eq).unwrap_or_default(),
            long.get(eq + 1..).map(OsStr::from_bytes),
        ),
        None => (long, None),
    };
    let shown = quoted(name);
    let &(_, _, opt, takes_value) = OPTIONS
        .iter()
        .find(|(_, n, _, _)| n.is_some_and(|n| n.as_bytes() == name))
        .ok_or_else(|| UsageError(format!("unknown option '--{shown}'")))?;
    match (takes_value, inline) {
        // `--signal-all=every`: a value only inline, as `-a` takes none.
        (false, Some(value)) if matches!(opt, Opt::SignalAll) => Ok((opt, Some(value))),
        (false, Some(_)) => Err(UsageError(format!("option '--{shown}' takes no value"))),
        (false, None) => Ok((opt, None)),
        (true, Some(value)) => Ok((opt, Some(value))),
        (true, None) => match words.next() {
            Some(value) => Ok((opt, Some(value.as_os_str()))),
            None => Err(UsageError(format!("option '--{shown}' needs a value"))),
        },
    }
}

/// `-vc`, `-rTERM:INT`, `-r TERM:INT`: flags cluster, a value ends the cluster.
fn short_options<'a>(
    cluster: &'a [u8],
    words: &mut Words<'a>,
) -> Result<Vec<Found<'a>>, UsageError> {
    let mut found = Vec::new();
    for (i, &letter) in cluster.iter().enumerate() {
        let shown = quoted(&[letter]).to_string();
        let Some(&(_, _, opt, takes_value)) =
            OPTIONS.iter().find(|(s, _, _, _)| *s == Some(letter))
        else {
            return Err(UsageError(format!("unknown option '-{shown}'")));
        };
        if !takes_value {
            found.push((opt, None));
            continue;
        }
        let rest = cluster.get(i + 1..).unwrap_or_default();
        let value = if rest.is_empty() {
            words.next().map(OsString::as_os_str)
        } else {
            Some(OsStr::from_bytes(rest))
        };
        let value = value.ok_or_else(|| UsageError(format!("option '-{shown}' needs a value")))?;
        found.push((opt, Some(value)));
        break;
    }
    Ok(found)
}

pub const HELP: &str = "\
rinit: a tiny init for containers.
Runs COMMAND in its own process group, relays every signal to that group,
reaps every zombie and exits with COMMAND's status (128+N if signal N killed it).

Usage: rinit [OPTIONS] [--] COMMAND [ARG...]
       rinit -P [OPTIONS]

Options (they end at '--' or at the first word that is not one):
  -v, --verbose            say more: -v each signal and lifecycle event,
                           -vv also every reaped process
  -c, --single-child       relay signals to COMMAND alone, not its group
  -g                       relay signals to COMMAND's whole group (the default
                           but as tini, docker-init, catatonit, podman-init)
  -a, --signal-all         a stop also reaches, once, each process that left
                           COMMAND's group and whose parent does not pass the
                           stop on (a daemon's master, not its workers); any
                           other signal goes to the group alone.
                           --signal-all=every: every signal to every process
  -r, --rewrite FROM:TO    relay signal FROM as TO (TO = 0 drops it);
                           names (TERM, SIGTERM, RTMIN+3: RTMIN is 34) or
                           numbers 1-64; repeatable
      --grace TIME         when COMMAND exits, give what it left behind TIME
                           between SIGTERM and SIGKILL (default 5s; 0: none)
      --kill-after TIME    SIGKILL COMMAND's group TIME after rinit received a
                           stop signal, if it still runs (default off)
      --stop-delay TIME    hold the first stop signal TIME before relaying it,
                           so load balancers stop sending traffic first
      --stop-signals LIST  the signals that, as rinit receives them, count as
                           a stop (default TERM,INT): relayed as any other
                           (after -r), they start --kill-after and go where
                           -a says; they choose nothing that rinit sends
  -p SIGNAL                have the kernel send rinit SIGNAL when its parent
                           dies; rinit relays it like any other
  -e CODE                  exit 0 when COMMAND exits with CODE; repeatable
  -w                       warn about every reaped process but COMMAND
  -s                       accepted for tini; rinit is always a subreaper
  -P, --pause              run no command: hold the PID namespace and reap
                           every zombie until a stop signal, then exit 0
                           (a podman pod's infra, a Kubernetes pause image)
      --expand             expand $NAME, ${NAME}, ${NAME:-word} (-, :+, +, :?, ?)
                           in COMMAND's words from its environment; $$ is $;
                           no splitting, globs, quotes or $(...): not a shell
      --log-format FORMAT  text (the default) or json: one JSON object a line
      --inspect [PID]      say how process PID (default 1) handles signals,
                           whether `docker stop` will reach it, and its zombies
      --json               with --inspect: the same as one JSON document
      --install DIR        copy this rinit to DIR/rinit (mode 0755), and exit
  -l, -L, --license        show the license
  -h, --help               show this help
  -V, --version            show rinit's version

Environment (options win over it):
  RINIT_VERBOSITY=N        0 warnings only, 1 as -v, 2 as -vv
  RINIT_SINGLE_CHILD=1     as -c
  RINIT_SIGNAL_ALL=1|every as -a | --signal-all=every
  RINIT_REWRITE=FROM:TO,...  as -r
  RINIT_GRACE, RINIT_KILL_AFTER, RINIT_STOP_DELAY=TIME   as the options
  RINIT_STOP_SIGNALS=LIST  as --stop-signals
  RINIT_LOG_FORMAT=json    as --log-format
  RINIT_EXPAND=1           as --expand
  TINI_VERBOSITY, TINI_KILL_PROCESS_GROUP, TINI_SUBREAPER,
  DUMB_INIT_DEBUG, DUMB_INIT_SETSID   as tini and dumb-init read them

TIME is 500ms, 5s, 2m or plain seconds.

Invoked as tini, tini-static, docker-init, dumb-init, catatonit or
podman-init, rinit takes that init's defaults. Exit status: COMMAND's;
126 when it cannot be run, 127 when it is not found, 2 for a usage error.
";

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<OsString> {
        line.split_whitespace().map(OsString::from).collect()
    }

    fn flags(line: &str) -> Flags {
        match parse(&words(line)) {
            Ok(Request::Run(flags)) => flags,
            other => panic!("{line}: {other:?}"),
        }
    }

    fn error(line: &str) -> String {
        parse(&words(line)).expect_err(line).0
    }

    #[test]
    fn options_stop_at_the_first_command_word() {
        let f = flags("-v sh -c -v");
        assert_eq!(f.command, words("sh -c -v"));
        assert_eq!(f.verbose, 1);
    }

    #[test]
    fn double_dash_ends_options() {
        let f = flags("-c -- -v");
        assert_eq!(f.command, words("-v"));
        assert_eq!(f.single_child, Some(true));
    }

    #[test]
    fn clustered_and_repeated_flags_count_and_the_last_of_c_and_g_wins() {
        assert_eq!(flags("-vv true").verbose, 2);
        assert_eq!(flags("-v --verbose -c true").verbose, 2);
        assert_eq!(flags("-cg true").single_child, Some(false));
        assert_eq!(flags("-g -c true").single_child, Some(true));
        assert!(flags("-sw true").warn_reaped);
        assert_eq!(flags("-va true").signal_all, Some("".into()));
        assert_eq!(flags("--signal-all true").signal_all, Some("".into()));
        assert_eq!(
            flags("--signal-all=every x").signal_all,
            Some("every".into())
        );
    }

    #[test]
    fn values_come_in_every_spelling() {
        for line in [
            "-r USR1:USR2 x",
            "-rUSR1:USR2 x",
            "--rewrite USR1:USR2 x",
            "--rewrite=USR1:USR2 x",
            "-vr USR1:USR2 x",
        ] {
            assert_eq!(flags(line).rewrites, words("USR1:USR2"), "{line}");
        }
        let f = flags(
            "-e 3 -e4 -p SIGHUP --grace=2s --kill-after 1 --stop-delay 5s --stop-signals QUIT x",
        );
        assert_eq!(f.stop_signals, Some("QUIT".into()));
        assert_eq!(f.zero_codes, words("3 4"));
        assert_eq!(f.parent_death, Some("SIGHUP".into()));
        assert_eq!(f.grace, Some("2s".into()));
        assert_eq!(f.kill_after, Some("1".into()));
        assert_eq!(f.stop_delay, Some("5s".into()));
    }

    #[test]
    fn usage_errors_name_the_problem() {
        assert!(error("").contains("no command"));
        assert!(error("-v").contains("no command"));
        assert!(error("-x true").contains("'-x'"));
        assert!(error("--bogus true").contains("'--bogus'"));
        assert!(error("-r").contains("'-r' needs a value"));
        assert!(error("--grace").contains("'--grace' needs a value"));
        assert!(error("--verbose=2 true").contains("takes no value"));
    }

    #[test]
    fn pause_takes_no_command() {
        assert!(flags("-P").pause && flags("--pause -v").command.is_empty());
        assert!(error("-P sleep 1").contains("-P (pause) runs no command"));
    }

    #[test]
    fn inspect_takes_an_optional_pid_and_json() {
        assert!(matches!(
            parse(&words("--inspect")),
            Ok(Request::Inspect {
                pid: 1,
                json: false
            })
        ));
        assert!(matches!(
            parse(&words("--inspect 42 --json")),
            Ok(Request::Inspect {
                pid: 42,
                json: true
            })
        ));
        assert!(matches!(
            parse(&words("--json --inspect")),
            Ok(Request::Inspect { pid: 1, json: true })
        ));
        assert!(error("--inspect sh").contains("--inspect takes one PID"));
        assert!(error("--inspect 0").contains("--inspect takes one PID"));
        assert!(error("--json true").contains("--json goes with --inspect"));
    }

    #[test]
    fn the_log_format_is_found_even_when_another_option_is_wrong() {
        let format = |line: &str| log_format(&words(line));
        assert_eq!(format("--bogus --log-format json x"), Some("json".into()));
        assert_eq!(format("--log-format=json --grace"), Some("json".into()));
        assert_eq!(format("-r --log-format json"), None);
        assert_eq!(format("x --log-format json"), None);
        assert_eq!(format("-- --log-format json"), None);
    }

    #[test]
    fn help_version_and_license_win_over_everything_before_the_command() {
        assert!(matches!(parse(&words("-v -h")), Ok(Request::Help)));
        assert!(matches!(parse(&words("--version")), Ok(Request::Version)));
        assert!(matches!(parse(&words("-l")), Ok(Request::License)));
        assert!(matches!(parse(&words("-L")), Ok(Request::License)));
        assert!(matches!(parse(&words("-- -h")), Ok(Request::Run(_))));
    }
}
