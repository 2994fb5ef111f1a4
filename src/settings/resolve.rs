//! `Settings::resolve`, in the steps a reader looks for: verbosity, whom
//! signals reach, the layout, rewrites, times, signal lists, exit codes and
//! the log's format. An error names the option or variable at fault; the
//! steps run in the order their errors are reported.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::time::Duration;

use super::values::{atoi, duration_of, number, signal_list, text};
use super::{Layout, RelayTo, Rewrites, Run, Settings};
use crate::escape::quoted;
use crate::log::{Format, Level};
use crate::options::{Flags, UsageError};
use crate::personality::{Leftovers, Personality};
use crate::signal::{self, Signal};

/// The environment as `resolve` reads it: one lookup per call.
type Env<'a> = &'a dyn Fn(&str) -> Option<OsString>;

const DEFAULT_GRACE: Duration = Duration::from_secs(5);

impl Settings {
    pub fn resolve(
        flags: Flags,
        personality: Personality,
        // Through `dyn`: --inspect resolves another process's settings,
        // and one copy of this function serves both.
        env: Env<'_>,
    ) -> Result<Settings, UsageError> {
        let verbosity = verbosity(flags.verbose, personality, env)?;
        // Read once, by both steps: every lookup scans the environment.
        let setsid_env = env("DUMB_INIT_SETSID");
        let setsid_env = setsid_env.as_deref();
        let relay_to = relay_to(&flags, personality, setsid_env, env)?;
        let layout = layout(relay_to, personality, setsid_env);
        let rewrites = rewrites(layout, &flags.rewrites, env)?;

        let grace = time(flags.grace, "RINIT_GRACE", "--grace", env)?;
        let leftovers = match grace {
            Some(_) => Leftovers::Drain,
            None => personality.leftovers(layout == Layout::Session),
        };
        let grace = grace.unwrap_or(DEFAULT_GRACE);
        // Zero means off: no deadline at all.
        let kill_after = time(flags.kill_after, "RINIT_KILL_AFTER", "--kill-after", env)?
            .filter(|d| !d.is_zero());
        let stop_delay = time(flags.stop_delay, "RINIT_STOP_DELAY", "--stop-delay", env)?
            .filter(|d| !d.is_zero());

        let stop_signals = stop_signals(flags.stop_signals, env)?;
        let parent_death = parent_death(flags.parent_death)?;
        let zero_codes = zero_codes(&flags.zero_codes)?;
        let log_format = log_format(flags.log_format, env)?;

        Ok(Settings {
            log_format,
            verbosity,
            layout,
            relay_to,
            rewrites,
            grace,
            leftovers,
            kill_after,
            stop_delay,
            stop_signals,
            parent_death,
            warn_reaped: flags.warn_reaped,
            zero_codes,
            // Off under every name unless asked for: drop-in means the
            // arguments untouched.
            expand: flags.expand || env("RINIT_EXPAND").is_some_and(|v| v == "1"),
            // The options allow -P only without a command, and a command
            // only with words.
            run: match flags.pause {
                true => Run::Pause,
                false => Run::Command(flags.command),
            },
        })
    }
}

/// `-v`s, or else RINIT_VERBOSITY, TINI_VERBOSITY, DUMB_INIT_DEBUG.
fn verbosity(verbose: u32, personality: Personality, env: Env<'_>) -> Result<Level, UsageError> {
    Ok(if verbose > 0 {
        match personality.verbose_is_debug() {
            true => Level::Debug,
            false => Level::from_count(verbose),
        }
    } else if let Some(n) = env("RINIT_VERBOSITY") {
        Level::from_count(number(&n, "RINIT_VERBOSITY")?)
    } else if let Some(n) = env("TINI_VERBOSITY") {
        // tini's scale: 1 (its default) warnings, 2 info, 3 debug. tini
        // reads it with atoi(3), so nothing in it is ever an error.
        let n = u32::try_from(atoi(n.as_bytes()).max(0)).unwrap_or(u32::MAX);
        Level::from_count(n.saturating_sub(1))
    } else if env("DUMB_INIT_DEBUG").is_some_and(|v| v == "1") {
        Level::Debug
    } else {
        Level::Warn
    })
}

/// `-c`/`-g` and `-a`, or their variables, or the personality's default.
fn relay_to(
    flags: &Flags,
    personality: Personality,
    setsid_env: Option<&OsStr>,
    env: Env<'_>,
) -> Result<RelayTo, UsageError> {
    let single_env = env("RINIT_SINGLE_CHILD");
    let from_env =
        if single_env.as_deref() == Some("1".as_ref()) || setsid_env == Some("0".as_ref()) {
            Some(true)
        } else if single_env.as_deref() == Some("0".as_ref())
            || env("TINI_KILL_PROCESS_GROUP").is_some()
        {
            Some(false)
        } else {
            None
        };
    // The option's value is checked; the variable, as RINIT_SINGLE_CHILD,
    // counts only in the spellings it has.
    let signal_all = match flags.signal_all.as_deref().map(OsStr::as_bytes) {
        Some(b"") => Some(RelayTo::GroupAndMasters),
        Some(b"every") => Some(RelayTo::Every),
        Some(other) => {
            return Err(UsageError(format!(
                "--signal-all: '{}' is not 'every'",
                quoted(other)
            )))
        }
        None => match env("RINIT_SIGNAL_ALL").as_deref().map(OsStr::as_bytes) {
            Some(b"1") => Some(RelayTo::GroupAndMasters),
            Some(b"every") => Some(RelayTo::Every),
            _ => None,
        },
    };
    let single_child = flags.single_child.or(from_env);
    match signal_all {
        Some(_) if flags.single_child == Some(true) || from_env == Some(true) => Err(UsageError(
            "-a (every process) and -c (the command alone) exclude each other".into(),
        )),
        // -a reaches the group too, whatever the name's default.
        Some(wider) => Ok(wider),
        None if single_child.unwrap_or(!personality.signals_group()) => Ok(RelayTo::Child),
        None => Ok(RelayTo::Group),
    }
}

/// A session of its own for dumb-init (or DUMB_INIT_SETSID=1) unless the
/// command is signalled alone; then dumb-init shares its own group.
fn layout(relay_to: RelayTo, personality: Personality, setsid_env: Option<&OsStr>) -> Layout {
    let single_child = relay_to == RelayTo::Child;
    if !single_child && (personality.setsid() || setsid_env == Some("1".as_ref())) {
        Layout::Session
    } else if single_child && personality.shares_group_when_single_child() {
        Layout::Shared
    } else {
        Layout::Group
    }
}

/// The layout's own rewrites, then RINIT_REWRITE's, then `-r`'s: a later
/// rule wins.
fn rewrites(layout: Layout, flags: &[OsString], env: Env<'_>) -> Result<Rewrites, UsageError> {
    let mut rewrites = Rewrites::default();
    if layout == Layout::Session {
        // The command's session has no parent group in it: the kernel
        // discards a stopping SIGTSTP/SIGTTIN/SIGTTOU sent to such an
        // orphaned group, so SIGSTOP stands in for them (as in dumb-init).
        for sig in [signal::TSTP, signal::TTIN, signal::TTOU] {
            rewrites.0.push((sig, Some(signal::STOP)));
        }
    }
    let from_env = env("RINIT_REWRITE")
        .map(|v| text(&v, "RINIT_REWRITE"))
        .transpose()?;
    for rule in from_env
        .iter()
        .flat_map(|rules| rules.split(','))
        .filter(|r| !r.is_empty())
    {
        rewrites.add(rule)?;
    }
    for rule in flags {
        rewrites.add(&text(rule, "--rewrite")?)?;
    }
    Ok(rewrites)
}

impl Rewrites {
    fn add(&mut self, rule: &str) -> Result<(), UsageError> {
        let bad = |why: &str| {
            UsageError(format!(
                "bad --rewrite '{}': {why} (expected FROM:TO)",
                quoted(rule.as_bytes())
            ))
        };
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

/// A duration from its option, or else its variable.
fn time(
    flag: Option<OsString>,
    name: &str,
    what: &str,
    env: Env<'_>,
) -> Result<Option<Duration>, UsageError> {
    match flag {
        Some(value) => duration_of(&value, what).map(Some),
        None => env(name).map(|value| duration_of(&value, name)).transpose(),
    }
}

/// `--stop-signals`, or RINIT_STOP_SIGNALS, or TERM and INT.
fn stop_signals(flag: Option<OsString>, env: Env<'_>) -> Result<Vec<Signal>, UsageError> {
    let stop_signals = match flag {
        Some(list) => Some(signal_list(&list, "--stop-signals")?),
        None => env("RINIT_STOP_SIGNALS")
            .map(|list| signal_list(&list, "RINIT_STOP_SIGNALS"))
            .transpose()?,
    };
    Ok(stop_signals.unwrap_or_else(|| vec![signal::TERM, signal::INT]))
}

/// tini's `-p SIGNAL`.
fn parent_death(flag: Option<OsString>) -> Result<Option<Signal>, UsageError> {
    let Some(name) = flag else {
        return Ok(None);
    };
    let name = text(&name, "-p")?;
    let sig = Signal::parse(&name).filter(|s| s.is_relayed());
    sig.map(Some).ok_or_else(|| {
        UsageError(format!(
            "-p: '{}' is not a signal rinit relays",
            quoted(name.as_bytes())
        ))
    })
}

/// tini's `-e CODE`s.
fn zero_codes(flags: &[OsString]) -> Result<Vec<i32>, UsageError> {
    flags
        .iter()
        .map(|code| {
            let shown = code.to_string_lossy();
            shown
                .parse::<i32>()
                .ok()
                .filter(|c| (0..=255).contains(c))
                .ok_or_else(|| {
                    UsageError(format!(
                        "-e: '{}' is not an exit code (0 to 255)",
                        quoted(code.as_bytes())
                    ))
                })
        })
        .collect()
}

/// `--log-format`, or RINIT_LOG_FORMAT, or text.
fn log_format(flag: Option<OsString>, env: Env<'_>) -> Result<Format, UsageError> {
    match flag.or_else(|| env("RINIT_LOG_FORMAT")) {
        None => Ok(Format::Text),
        Some(f) if f == "text" => Ok(Format::Text),
        Some(f) if f == "json" => Ok(Format::Json),
        Some(other) => Err(UsageError(format!(
            "--log-format: '{}' is neither text nor json",
            quoted(other.as_bytes())
        ))),
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::{parse, Request};

    /// The decisions as the flags they replace read.
    impl Settings {
        fn single_child(&self) -> bool {
            self.relay_to == RelayTo::Child
        }
        fn setsid(&self) -> bool {
            self.layout == Layout::Session
        }
        fn shared_group(&self) -> bool {
            self.layout == Layout::Shared
        }
        fn job_control(&self) -> bool {
            self.layout.job_control()
        }
    }

    fn resolve_as(
        personality: Personality,
        line: &str,
        env: &[(&str, &str)],
    ) -> Result<Settings, UsageError> {
        let words: Vec<OsString> = line.split_whitespace().map(OsString::from).collect();
        let Ok(Request::Run(flags)) = parse(&words) else {
            panic!("{line}")
        };
        let env: Vec<(String, OsString)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), OsString::from(v)))
            .collect();
        Settings::resolve(flags, personality, &|k| {
            env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
        })
    }

    fn resolve(line: &str, env: &[(&str, &str)]) -> Settings {
        resolve_as(Personality::Rinit, line, env).unwrap()
    }

    fn error(line: &str, env: &[(&str, &str)]) -> String {
        resolve_as(Personality::Rinit, line, env).unwrap_err().0
    }

    fn sig(name: &str) -> Signal {
        Signal::parse(name).unwrap()
    }

    #[test]
    fn rewrites_by_name_and_number_and_later_rules_win() {
        let s = resolve("-r USR1:USR2 -r 1:2 -r HUP:QUIT -r TERM:0 x", &[]);
        assert_eq!(s.rewrites.apply(sig("USR1")), Some(sig("USR2")));
        assert_eq!(s.rewrites.apply(sig("HUP")), Some(sig("QUIT")));
        assert_eq!(s.rewrites.apply(sig("TERM")), None);
        assert_eq!(s.rewrites.apply(sig("INT")), Some(sig("INT")));
        let s = resolve("-r HUP:INT x", &[("RINIT_REWRITE", "HUP:QUIT,USR1:0")]);
        assert_eq!(s.rewrites.apply(sig("HUP")), Some(sig("INT")));
        assert_eq!(s.rewrites.apply(sig("USR1")), None);
    }

    #[test]
    fn bad_rewrites_name_the_problem() {
        assert!(error("-r TERM x", &[]).contains("no ':'"));
        assert!(error("-r :TERM x", &[]).contains("before ':'"));
        assert!(error("-r TERM: x", &[]).contains("after ':'"));
        assert!(error("-r FOO:TERM x", &[]).contains("before ':'"));
        assert!(error("-r TERM:99 x", &[]).contains("after ':'"));
        assert!(error("-r KILL:TERM x", &[]).contains("never relays SIGKILL"));
        assert!(error("-r CHLD:TERM x", &[]).contains("never relays SIGCHLD"));
        assert!(error("x", &[("RINIT_REWRITE", "TERM")]).contains("no ':'"));
    }

    #[test]
    fn durations_from_options_or_environment() {
        let s = resolve("--grace 2s --kill-after=500ms --stop-delay 1 x", &[]);
        assert_eq!(s.grace, Duration::from_secs(2));
        assert_eq!(s.kill_after, Some(Duration::from_millis(500)));
        assert_eq!(s.stop_delay, Some(Duration::from_secs(1)));
        let s = resolve("x", &[]);
        assert_eq!(
            (s.grace, s.kill_after, s.stop_delay),
            (DEFAULT_GRACE, None, None)
        );
        let env = [
            ("RINIT_GRACE", "0"),
            ("RINIT_KILL_AFTER", "2m"),
            ("RINIT_STOP_DELAY", "0"),
        ];
        let s = resolve("--grace 3 x", &env);
        assert_eq!(s.grace, Duration::from_secs(3));
        assert_eq!(s.kill_after, Some(Duration::from_secs(120)));
        assert_eq!(s.stop_delay, None);
        assert!(error("--grace soon x", &[]).contains("--grace: 'soon' is not a duration"));
        assert!(error("--kill-after -1s x", &[]).contains("--kill-after"));
        assert!(error("x", &[("RINIT_STOP_DELAY", "5h")]).contains("RINIT_STOP_DELAY"));
    }

    #[test]
    fn stop_signals_are_term_and_int_unless_named() {
        assert_eq!(resolve("x", &[]).stop_signals, [signal::TERM, signal::INT]);
        let s = resolve("--stop-signals QUIT x", &[("RINIT_STOP_SIGNALS", "HUP")]);
        assert_eq!(s.stop_signals, [sig("QUIT")]);
        let s = resolve("x", &[("RINIT_STOP_SIGNALS", "SIGWINCH, 15,RTMIN+3")]);
        assert_eq!(s.stop_signals, [sig("WINCH"), signal::TERM, sig("RTMIN+3")]);
        for bad in ["", "TERM,", "KILL", "NOPE"] {
            let line = format!("--stop-signals={bad} x");
            assert!(error(&line, &[]).contains("--stop-signals"), "{bad:?}");
        }
    }

    #[test]
    fn verbosity_from_flags_then_each_environment_variable() {
        assert_eq!(
            resolve("-v x", &[("RINIT_VERBOSITY", "2")]).verbosity,
            Level::Info
        );
        assert_eq!(
            resolve("x", &[("RINIT_VERBOSITY", "2")]).verbosity,
            Level::Debug
        );
        assert_eq!(
            resolve("x", &[("TINI_VERBOSITY", "1")]).verbosity,
            Level::Warn
        );
        assert_eq!(
            resolve("x", &[("TINI_VERBOSITY", "2")]).verbosity,
            Level::Info
        );
        assert_eq!(
            resolve("x", &[("TINI_VERBOSITY", "3")]).verbosity,
            Level::Debug
        );
        assert_eq!(
            resolve("x", &[("DUMB_INIT_DEBUG", "1")]).verbosity,
            Level::Debug
        );
        assert_eq!(
            resolve_as(Personality::DumbInit, "-v x", &[])
                .unwrap()
                .verbosity,
            Level::Debug
        );
        assert!(error("x", &[("RINIT_VERBOSITY", "loud")]).contains("RINIT_VERBOSITY"));
        // tini reads its variable with atoi: whatever it holds, it runs.
        for (value, level) in [
            ("", Level::Warn),
            ("abc", Level::Warn),
            ("-1", Level::Warn),
            (" 2", Level::Info),
            ("3x", Level::Debug),
            ("+2", Level::Info),
            ("99999999999999999999999", Level::Debug),
        ] {
            let s = resolve_as(
                Personality::Tini { docker: false },
                "x",
                &[("TINI_VERBOSITY", value)],
            );
            assert_eq!(s.unwrap().verbosity, level, "{value:?}");
        }
    }

    #[test]
    fn each_personality_has_its_defaults_and_options_override_them() {
        let tini = Personality::Tini { docker: true };
        let s = resolve_as(tini, "x", &[]).unwrap();
        assert!(s.single_child() && !s.setsid());
        assert!(!resolve_as(tini, "-g x", &[]).unwrap().single_child());
        assert!(!resolve_as(tini, "x", &[("TINI_KILL_PROCESS_GROUP", "0")])
            .unwrap()
            .single_child());
        assert!(
            resolve_as(Personality::Catatonit { podman: false }, "x", &[])
                .unwrap()
                .single_child()
        );
        let s = resolve_as(Personality::DumbInit, "x", &[]).unwrap();
        assert!(!s.single_child() && s.setsid());
        assert_eq!(s.rewrites.apply(sig("TSTP")), Some(signal::STOP));
        let s = resolve_as(Personality::DumbInit, "-r TSTP:TSTP x", &[]).unwrap();
        assert_eq!(s.rewrites.apply(sig("TSTP")), Some(sig("TSTP")));
        let s = resolve_as(Personality::DumbInit, "-c x", &[]).unwrap();
        assert!(s.single_child() && !s.setsid() && s.shared_group() && s.job_control());
        let s = resolve_as(Personality::DumbInit, "x", &[("DUMB_INIT_SETSID", "0")]).unwrap();
        assert!(s.single_child() && !s.setsid());
        let s = resolve("x", &[]);
        assert!(!s.single_child() && !s.setsid() && !s.shared_group() && !s.job_control());
        assert!(resolve("-c x", &[]).single_child() && !resolve("-c x", &[]).shared_group());
        assert!(resolve("x", &[("RINIT_SINGLE_CHILD", "1")]).single_child());
        assert!(!resolve("-g x", &[("RINIT_SINGLE_CHILD", "1")]).single_child());
    }

    #[test]
    fn signal_all_from_the_option_or_environment_and_never_with_c() {
        let tini = Personality::Tini { docker: false };
        let s = resolve_as(tini, "-a x", &[]).unwrap();
        assert!(s.relay_to == RelayTo::GroupAndMasters && !s.single_child());
        let all = |line, env| resolve(line, env).relay_to;
        assert_eq!(
            all("x", &[("RINIT_SIGNAL_ALL", "1")]),
            RelayTo::GroupAndMasters
        );
        assert_eq!(all("x", &[("RINIT_SIGNAL_ALL", "every")]), RelayTo::Every);
        assert_eq!(all("x", &[("RINIT_SIGNAL_ALL", "0")]), RelayTo::Group);
        assert_eq!(all("x", &[("RINIT_SIGNAL_ALL", "yes")]), RelayTo::Group);
        assert_eq!(all("--signal-all=every x", &[]), RelayTo::Every);
        assert_eq!(
            all("--signal-all x", &[("RINIT_SIGNAL_ALL", "every")]),
            RelayTo::GroupAndMasters
        );
        assert!(error("--signal-all=all x", &[]).contains("'all' is not 'every'"));
        assert!(error("-a -c x", &[]).contains("exclude each other"));
        assert!(error("-c --signal-all x", &[]).contains("exclude each other"));
        assert!(error("-a x", &[("RINIT_SINGLE_CHILD", "1")]).contains("exclude"));
    }

    #[test]
    fn away_from_pid_1_leftovers_are_the_peer_s_unless_a_grace_is_given() {
        let tini = Personality::Tini { docker: false };
        let leftovers = |p, line, env: &[(&str, &str)]| resolve_as(p, line, env).unwrap().leftovers;
        assert_eq!(leftovers(Personality::Rinit, "x", &[]), Leftovers::Drain);
        assert_eq!(leftovers(tini, "x", &[]), Leftovers::Leave);
        assert_eq!(
            leftovers(Personality::Catatonit { podman: false }, "x", &[]),
            Leftovers::Leave
        );
        assert_eq!(
            leftovers(Personality::DumbInit, "x", &[]),
            Leftovers::TermGroup
        );
        assert_eq!(
            leftovers(Personality::DumbInit, "-c x", &[]),
            Leftovers::Leave
        );
        assert_eq!(leftovers(tini, "--grace 1s x", &[]), Leftovers::Drain);
        let env = [("RINIT_GRACE", "2s")];
        assert_eq!(
            leftovers(Personality::DumbInit, "x", &env),
            Leftovers::Drain
        );
    }

    #[test]
    fn tini_extras_parent_death_and_exit_code_remapping() {
        let s = resolve("-p SIGHUP -e 3 -e 143 x", &[]);
        assert_eq!(s.parent_death, Some(sig("HUP")));
        assert_eq!(
            (s.exit_status(3), s.exit_status(143), s.exit_status(4)),
            (0, 0, 4)
        );
        assert!(error("-p NOPE x", &[]).contains("-p: 'NOPE'"));
        assert!(error("-p KILL x", &[]).contains("-p: 'KILL'"));
        assert!(error("-e 256 x", &[]).contains("-e: '256'"));
        assert!(error("-e x x", &[]).contains("-e: 'x'"));
    }
}

/// Hostile input: a million random command lines and environments built from
/// rinit's own vocabulary, broken values, non-UTF-8 bytes and huge words.
/// Nothing may panic; every error is one line; every command passes whole.
#[cfg(test)]
mod fuzz {
    use std::ffi::OsString;
    use std::os::unix::ffi::{OsStrExt, OsStringExt};

    use super::{Run, Settings};
    use crate::options::{parse, Request};
    use crate::personality::Personality;

    /// xorshift64*: a fixed seed, so a failure can be replayed.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
        fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
            from[self.below(from.len())]
        }
    }

    const OPTIONS: &[&str] = &[
        "-v",
        "-vv",
        "-c",
        "-g",
        "-a",
        "-s",
        "-w",
        "-l",
        "-L",
        "-h",
        "-V",
        "-r",
        "-p",
        "-e",
        "--rewrite",
        "--grace",
        "--kill-after",
        "--stop-delay",
        "--stop-signals",
        "--verbose",
        "--single-child",
        "--help",
        "--version",
        "--license",
        "--",
        "-",
        "-x",
        "--bogus",
        "-cgsw",
        "-vr",
        "--grace=",
        "--rewrite=",
        "-e256",
        "-pKILL",
        "-rTERM:INT",
        "-P",
        "--pause",
    ];
    const VALUES: &[&str] = &[
        "TERM",
        "sigterm",
        "SiGhUp",
        "KILL",
        "STOP",
        "CHLD",
        "RTMIN",
        "RTMIN+3",
        "rtmax-2",
        "RTMIN+99",
        "RTMIN-",
        "0",
        "1",
        "15",
        "31",
        "32",
        "34",
        "64",
        "65",
        "-1",
        "99999999999999999999",
        "TERM:INT",
        "TERM:0",
        "TERM:",
        ":TERM",
        ":",
        "A:B:C",
        "9:0",
        "5s",
        "500ms",
        "2m",
        "1.5",
        ".5",
        "5.",
        "5h",
        "-1s",
        "1e3",
        "18446744073709551616",
        "999999999999999999999999m",
        "0.0000000000000000000001",
        "",
        " ",
        "\t5s",
        "sh",
        "true",
    ];
    const ENV: &[&str] = &[
        "RINIT_VERBOSITY",
        "RINIT_SINGLE_CHILD",
        "RINIT_SIGNAL_ALL",
        "RINIT_REWRITE",
        "RINIT_GRACE",
        "RINIT_KILL_AFTER",
        "RINIT_STOP_DELAY",
        "RINIT_STOP_SIGNALS",
        "TINI_VERBOSITY",
        "TINI_KILL_PROCESS_GROUP",
        "DUMB_INIT_SETSID",
        "DUMB_INIT_DEBUG",
    ];

    fn word(rng: &mut Rng) -> OsString {
        match rng.below(10) {
            0..=4 => rng.pick(OPTIONS).into(),
            5..=7 => rng.pick(VALUES).into(),
            8 => OsString::from_vec((0..rng.below(12)).map(|_| rng.next() as u8).collect()),
            _ => {
                let long = rng.pick(VALUES).repeat(1 + rng.below(5000));
                OsString::from(format!(
                    "{}{long}",
                    rng.pick(&["", "-", "--", "-r", "--grace="])
                ))
            }
        }
    }

    #[test]
    fn a_million_hostile_inputs_never_panic_and_errors_are_one_line() {
        let cases: usize = std::env::var("RINIT_FUZZ_CASES")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(1_000_000);
        let personalities = [
            Personality::Rinit,
            Personality::Tini { docker: true },
            Personality::DumbInit,
            Personality::Catatonit { podman: false },
        ];
        let mut rng = Rng(0x5EED_1234_ABCD_0001);
        let (mut ran, mut refused) = (0, 0);
        for case in 0..cases {
            let args: Vec<OsString> = (0..rng.below(8)).map(|_| word(&mut rng)).collect();
            let env: Vec<(&str, OsString)> = (0..rng.below(3))
                .map(|_| (rng.pick(ENV), word(&mut rng)))
                .collect();
            let personality = personalities[rng.below(personalities.len())];
            let lookup = |k: &str| {
                env.iter()
                    .rev()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.clone())
            };
            let result = parse(&args).and_then(|request| match request {
                Request::Run(flags) => Settings::resolve(flags, personality, &lookup).map(Some),
                _ => Ok(None),
            });
            match result {
                Err(e) => {
                    refused += 1;
                    assert!(
                        !e.0.is_empty() && !e.0.contains('\n'),
                        "case {case}: {args:?} {env:?}: {:?}",
                        e.0
                    );
                }
                // -P runs no command (Run::Pause holds none), and only -P.
                Ok(Some(Settings {
                    run: Run::Pause, ..
                })) => ran += 1,
                Ok(Some(Settings {
                    run: Run::Command(command),
                    ..
                })) => {
                    ran += 1;
                    // The command is the untouched tail of the arguments.
                    let tail = args.get(args.len() - command.len()..).unwrap();
                    assert!(
                        !command.is_empty() && tail == command.as_slice(),
                        "case {case}: {args:?}"
                    );
                    let first = command[0].as_bytes();
                    let after_dashdash =
                        args.len() > command.len() && args[args.len() - command.len() - 1] == "--";
                    assert!(
                        after_dashdash || first == b"-" || !first.starts_with(b"-"),
                        "case {case}: {args:?}"
                    );
                }
                Ok(None) => {}
            }
        }
        // The generator must reach both outcomes often, or it tests little.
        assert!(
            ran > cases / 50 && refused > cases / 2,
            "ran {ran}, refused {refused} of {cases}"
        );
    }
}
