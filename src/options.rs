//! The command line and environment, turned into `Settings`.
//!
//! Options end at `--` or at the first word that is not an option: whatever
//! follows belongs to the command, even words that look like options.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;

use std::time::Duration;

use crate::duration;
use crate::log::Level;
use crate::signal::Signal;

/// Everything rinit was asked to do, defaults in one place.
#[derive(Debug)]
pub struct Settings {
    pub verbosity: Level,
    /// Relay signals to the child alone, not to its process group.
    pub single_child: bool,
    pub rewrites: Rewrites,
    /// After the command exits, how long what is left gets between SIGTERM
    /// and SIGKILL; zero exits at once.
    pub grace: Duration,
    /// How long the command gets after a terminating signal before SIGKILL.
    pub kill_after: Option<Duration>,
    /// How long a SIGTERM is held before it is forwarded.
    pub stop_delay: Option<Duration>,
    pub command: Vec<OsString>,
}

const DEFAULT_GRACE: Duration = Duration::from_secs(5);

/// What the command line asks for.
#[derive(Debug)]
pub enum Request {
    Run(Settings),
    Help,
    Version,
}

/// A usage error: one line that names the problem.
#[derive(Debug, PartialEq, Eq)]
pub struct UsageError(pub String);

/// `-r FROM:TO` rules; a later rule for the same FROM wins.
#[derive(Debug, Default)]
pub struct Rewrites(Vec<(Signal, Option<Signal>)>);

impl Rewrites {
    /// What to send for `sig`: itself, its rewrite, or None to drop it.
    pub fn apply(&self, sig: Signal) -> Option<Signal> {
        match self.0.iter().rev().find(|(from, _)| *from == sig) {
            Some((_, to)) => *to,
            None => Some(sig),
        }
    }

    fn add(&mut self, rule: &str) -> Result<(), UsageError> {
        let bad =
            |why: &str| UsageError(format!("bad --rewrite '{rule}': {why} (expected FROM:TO)"));
        let (from, to) = rule.split_once(':').ok_or_else(|| bad("no ':'"))?;
        let from = Signal::parse(from).ok_or_else(|| bad("unknown signal before ':'"))?;
        if !from.is_relayed() {
            return Err(bad(&format!("rinit never relays {from}")));
        }
        let to = match to {
            "0" => None,
            name => Some(Signal::parse(name).ok_or_else(|| bad("unknown signal after ':'"))?),
        };
        self.0.push((from, to));
        Ok(())
    }
}

#[derive(Clone, Copy)]
enum Opt {
    Verbose,
    SingleChild,
    Rewrite,
    Grace,
    KillAfter,
    StopDelay,
    Help,
    Version,
}

/// (short, long, option, takes a value)
const OPTIONS: [(Option<u8>, &str, Opt, bool); 8] = [
    (Some(b'v'), "verbose", Opt::Verbose, false),
    (Some(b'c'), "single-child", Opt::SingleChild, false),
    (Some(b'r'), "rewrite", Opt::Rewrite, true),
    (None, "grace", Opt::Grace, true),
    (None, "kill-after", Opt::KillAfter, true),
    (None, "stop-delay", Opt::StopDelay, true),
    (Some(b'h'), "help", Opt::Help, false),
    (Some(b'V'), "version", Opt::Version, false),
];

/// Parses rinit's arguments (without argv[0]) and its environment.
pub fn parse(
    args: &[OsString],
    env: impl Fn(&str) -> Option<OsString>,
) -> Result<Request, UsageError> {
    let mut verbose = 0u32;
    let mut single_child = false;
    let mut rewrites = Rewrites::default();
    let (mut grace, mut kill_after, mut stop_delay) = (None, None, None);
    let mut words = args.iter();
    let mut command = Vec::new();

    while let Some(word) = words.next() {
        let bytes = word.as_bytes();
        let found: Vec<(Opt, Option<&OsStr>)> = if bytes == b"--" {
            command.extend(words.by_ref().cloned());
            break;
        } else if let Some(long) = bytes.strip_prefix(b"--") {
            vec![long_option(long, &mut words)?]
        } else if bytes.len() > 1 && bytes.first() == Some(&b'-') {
            short_options(bytes.get(1..).unwrap_or_default(), &mut words)?
        } else {
            command.push(word.clone());
            command.extend(words.by_ref().cloned());
            break;
        };
        for (opt, value) in found {
            match opt {
                Opt::Verbose => verbose += 1,
                Opt::SingleChild => single_child = true,
                Opt::Rewrite => rewrites.add(&text(value.unwrap_or_default(), "--rewrite")?)?,
                Opt::Grace => grace = Some(time(value.unwrap_or_default(), "--grace")?),
                Opt::KillAfter => {
                    kill_after = Some(time(value.unwrap_or_default(), "--kill-after")?)
                }
                Opt::StopDelay => {
                    stop_delay = Some(time(value.unwrap_or_default(), "--stop-delay")?)
                }
                Opt::Help => return Ok(Request::Help),
                Opt::Version => return Ok(Request::Version),
            }
        }
    }

    if command.is_empty() {
        return Err(UsageError("no command to run".into()));
    }
    let verbosity = if verbose > 0 {
        Level::from_count(verbose)
    } else {
        match env("RINIT_VERBOSITY") {
            None => Level::Warn,
            Some(value) => Level::from_count(number(&value, "RINIT_VERBOSITY")?),
        }
    };
    // Options win over the environment.
    let from_env = |name: &str| env(name).map(|value| time(&value, name)).transpose();
    let grace = grace.or(from_env("RINIT_GRACE")?).unwrap_or(DEFAULT_GRACE);
    let kill_after = kill_after.or(from_env("RINIT_KILL_AFTER")?);
    let stop_delay = stop_delay.or(from_env("RINIT_STOP_DELAY")?);
    Ok(Request::Run(Settings {
        verbosity,
        single_child,
        rewrites,
        grace,
        // Zero means off: no deadline at all.
        kill_after: kill_after.filter(|d| !d.is_zero()),
        stop_delay: stop_delay.filter(|d| !d.is_zero()),
        command,
    }))
}

type Words<'a> = std::slice::Iter<'a, OsString>;

/// `--name` or `--name=value`; a value may also be the next word.
fn long_option<'a>(
    long: &'a [u8],
    words: &mut Words<'a>,
) -> Result<(Opt, Option<&'a OsStr>), UsageError> {
    let (name, inline) = match long.iter().position(|&b| b == b'=') {
        Some(eq) => (
            long.get(..eq).unwrap_or_default(),
            long.get(eq + 1..).map(OsStr::from_bytes),
        ),
        None => (long, None),
    };
    let shown = String::from_utf8_lossy(name);
    let &(_, long_name, opt, takes_value) = OPTIONS
        .iter()
        .find(|(_, n, _, _)| n.as_bytes() == name)
        .ok_or_else(|| UsageError(format!("unknown option '--{shown}'")))?;
    match (takes_value, inline) {
        (false, Some(_)) => Err(UsageError(format!("option '--{long_name}' takes no value"))),
        (false, None) => Ok((opt, None)),
        (true, Some(value)) => Ok((opt, Some(value))),
        (true, None) => match words.next() {
            Some(value) => Ok((opt, Some(value.as_os_str()))),
            None => Err(UsageError(format!("option '--{long_name}' needs a value"))),
        },
    }
}

/// `-vc`, `-rTERM:INT`, `-r TERM:INT`: flags cluster, a value ends the cluster.
fn short_options<'a>(
    cluster: &'a [u8],
    words: &mut Words<'a>,
) -> Result<Vec<(Opt, Option<&'a OsStr>)>, UsageError> {
    let mut found = Vec::new();
    for (i, &letter) in cluster.iter().enumerate() {
        let Some(&(_, _, opt, takes_value)) =
            OPTIONS.iter().find(|(s, _, _, _)| *s == Some(letter))
        else {
            let shown = String::from_utf8_lossy(&[letter]).into_owned();
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
        let value = value
            .ok_or_else(|| UsageError(format!("option '-{}' needs a value", letter as char)))?;
        found.push((opt, Some(value)));
        break;
    }
    Ok(found)
}

fn text(value: &OsStr, what: &str) -> Result<String, UsageError> {
    value
        .to_str()
        .map(str::to_owned)
        .ok_or_else(|| UsageError(format!("{what}: value is not valid UTF-8")))
}

fn time(value: &OsStr, what: &str) -> Result<Duration, UsageError> {
    let shown = value.to_string_lossy();
    duration::parse(&shown).ok_or_else(|| {
        UsageError(format!(
            "{what}: '{shown}' is not a duration (like 500ms, 5s, 2m or 5)"
        ))
    })
}

fn number(value: &OsStr, what: &str) -> Result<u32, UsageError> {
    let shown = value.to_string_lossy();
    shown
        .trim()
        .parse()
        .map_err(|_| UsageError(format!("{what}: '{shown}' is not a whole number")))
}

pub const HELP: &str = "\
rinit: a tiny init for containers.
Runs COMMAND in its own process group, relays every signal to that group,
reaps every zombie and exits with COMMAND's status (128+N if signal N killed it).

Usage: rinit [OPTIONS] [--] COMMAND [ARG...]

Options (they end at '--' or at the first word that is not one):
  -v, --verbose            say more: -v each signal and lifecycle event,
                           -vv also every reaped process
  -c, --single-child       relay signals to COMMAND alone, not its group
  -r, --rewrite FROM:TO    relay signal FROM as TO (TO = 0 drops it);
                           names (TERM, SIGTERM, RTMIN+3) or numbers; repeatable
      --grace TIME         when COMMAND exits, give what it left behind TIME
                           between SIGTERM and SIGKILL (default 5s; 0: none)
      --kill-after TIME    SIGKILL COMMAND's group TIME after a SIGTERM, SIGINT
                           or SIGQUIT went to it and it still runs (default off)
      --stop-delay TIME    hold a SIGTERM TIME before forwarding it, so load
                           balancers stop sending traffic first (default off)
  -h, --help               show this help
  -V, --version            show rinit's version

Environment:
  RINIT_VERBOSITY=N        verbosity when no -v is given (0, 1, 2)
  RINIT_GRACE, RINIT_KILL_AFTER, RINIT_STOP_DELAY
                           the same as the options, which win over them

TIME is 500ms, 5s, 2m or plain seconds.

Exit status: COMMAND's; 126 when it cannot be run, 127 when it is not found,
2 for a usage error.
";

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<OsString> {
        line.split_whitespace().map(OsString::from).collect()
    }

    fn run(line: &str) -> Result<Settings, UsageError> {
        match parse(&words(line), |_| None)? {
            Request::Run(s) => Ok(s),
            other => panic!("expected Run, got {other:?}"),
        }
    }

    fn error(line: &str) -> String {
        run(line).expect_err(line).0
    }

    #[test]
    fn options_stop_at_the_first_command_word() {
        let s = run("-v sh -c -v").unwrap();
        assert_eq!(s.command, words("sh -c -v"));
        assert_eq!(s.verbosity, Level::Info);
        assert!(!s.single_child);
    }

    #[test]
    fn double_dash_ends_options() {
        let s = run("-c -- -v").unwrap();
        assert_eq!(s.command, words("-v"));
        assert!(s.single_child);
    }

    #[test]
    fn clustered_and_repeated_flags_count() {
        assert_eq!(run("-vv true").unwrap().verbosity, Level::Debug);
        assert_eq!(run("-v --verbose -c true").unwrap().verbosity, Level::Debug);
        assert!(run("-cv true").unwrap().single_child);
    }

    #[test]
    fn rewrite_takes_its_value_in_every_spelling() {
        for line in [
            "-r USR1:USR2 x",
            "-rUSR1:USR2 x",
            "--rewrite USR1:USR2 x",
            "--rewrite=10:12 x",
            "-vr usr1:sigusr2 x",
        ] {
            let s = run(line).unwrap();
            let usr1 = Signal::parse("USR1").unwrap();
            assert_eq!(s.rewrites.apply(usr1), Signal::parse("USR2"), "{line}");
        }
    }

    #[test]
    fn rewrite_to_zero_drops_and_later_rules_win() {
        let s = run("-r TERM:0 -r HUP:INT -r HUP:QUIT x").unwrap();
        assert_eq!(s.rewrites.apply(crate::signal::TERM), None);
        assert_eq!(
            s.rewrites.apply(Signal::parse("HUP").unwrap()),
            Some(Signal::parse("QUIT").unwrap())
        );
        assert_eq!(
            s.rewrites.apply(Signal::parse("INT").unwrap()),
            Some(Signal::parse("INT").unwrap())
        );
    }

    #[test]
    fn usage_errors_name_the_problem() {
        assert!(error("").contains("no command"));
        assert!(error("-v").contains("no command"));
        assert!(error("-x true").contains("'-x'"));
        assert!(error("--bogus true").contains("'--bogus'"));
        assert!(error("-r").contains("needs a value"));
        assert!(error("-r TERM true").contains("no ':'"));
        assert!(error("-r :TERM true").contains("before ':'"));
        assert!(error("-r TERM: true").contains("after ':'"));
        assert!(error("-r FOO:TERM true").contains("before ':'"));
        assert!(error("-r TERM:99 true").contains("after ':'"));
        assert!(error("-r KILL:TERM true").contains("never relays SIGKILL"));
        assert!(error("-r CHLD:TERM true").contains("never relays SIGCHLD"));
        assert!(error("--verbose=2 true").contains("takes no value"));
    }

    #[test]
    fn help_and_version_win_over_everything_before_the_command() {
        assert!(matches!(
            parse(&words("-v -h"), |_| None),
            Ok(Request::Help)
        ));
        assert!(matches!(
            parse(&words("--version"), |_| None),
            Ok(Request::Version)
        ));
        assert!(matches!(
            parse(&words("-- -h"), |_| None),
            Ok(Request::Run(_))
        ));
    }

    #[test]
    fn durations_from_options_or_environment() {
        let s = run("--grace 2s --kill-after=500ms --stop-delay 1 x").unwrap();
        assert_eq!(s.grace, Duration::from_secs(2));
        assert_eq!(s.kill_after, Some(Duration::from_millis(500)));
        assert_eq!(s.stop_delay, Some(Duration::from_secs(1)));
        let s = run("x").unwrap();
        assert_eq!(
            (s.grace, s.kill_after, s.stop_delay),
            (DEFAULT_GRACE, None, None)
        );
        let env = |k: &str| match k {
            "RINIT_GRACE" => Some(OsString::from("0")),
            "RINIT_KILL_AFTER" => Some(OsString::from("2m")),
            "RINIT_STOP_DELAY" => Some(OsString::from("0")),
            _ => None,
        };
        let Ok(Request::Run(s)) = parse(&words("--grace 3 x"), env) else {
            panic!()
        };
        assert_eq!(s.grace, Duration::from_secs(3));
        assert_eq!(s.kill_after, Some(Duration::from_secs(120)));
        assert_eq!(s.stop_delay, None);
        assert!(error("--grace soon x").contains("--grace: 'soon' is not a duration"));
        assert!(error("--kill-after -1s x").contains("--kill-after"));
        assert!(error("--grace").contains("needs a value"));
        let bad = |k: &str| (k == "RINIT_STOP_DELAY").then(|| OsString::from("5h"));
        assert!(parse(&words("x"), bad)
            .unwrap_err()
            .0
            .contains("RINIT_STOP_DELAY"));
    }

    #[test]
    fn verbosity_comes_from_the_environment_unless_flags_say() {
        let env = |k: &str| (k == "RINIT_VERBOSITY").then(|| OsString::from("2"));
        let Ok(Request::Run(s)) = parse(&words("true"), env) else {
            panic!()
        };
        assert_eq!(s.verbosity, Level::Debug);
        let Ok(Request::Run(s)) = parse(&words("-v true"), env) else {
            panic!()
        };
        assert_eq!(s.verbosity, Level::Info);
        let bad = |_: &str| Some(OsString::from("loud"));
        assert!(parse(&words("true"), bad)
            .unwrap_err()
            .0
            .contains("RINIT_VERBOSITY"));
    }
}
