//! `Settings`: the flags, the environment and the personality's defaults,
//! resolved once. Options win over the environment, which wins over the
//! defaults of the name rinit was invoked under.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::time::Duration;

use crate::duration;
use crate::escape::quoted;
use crate::expand;
use crate::log::{Format, Level};
use crate::options::{Flags, UsageError};
use crate::personality::{Leftovers, Personality};
use crate::signal::{self, Signal};

/// Everything rinit was asked to do.
#[derive(Debug)]
pub struct Settings {
    pub verbosity: Level,
    /// Relay signals to the command alone, not to its process group.
    pub single_child: bool,
    /// Whom relayed signals reach beyond the command's group (`-a`).
    pub signal_all: SignalAll,
    /// Start the command in a session of its own that takes the terminal
    /// (dumb-init's default); rinit then also stops itself after relaying
    /// a job-control signal, so Ctrl-Z and `fg` work.
    pub setsid: bool,
    /// Start the command in rinit's own process group, not a new one.
    pub shared_group: bool,
    /// After relaying SIGTSTP, SIGTTIN or SIGTTOU, stop rinit too, so the
    /// shell that started it sees the job stopped (Ctrl-Z) and its SIGCONT
    /// (`fg`) comes back to be relayed.
    pub job_control: bool,
    pub rewrites: Rewrites,
    /// After the command exits, how long what is left gets between SIGTERM
    /// and SIGKILL; zero exits at once.
    pub grace: Duration,
    /// Away from PID 1, what happens to what is left: the personality's way
    /// unless a grace period was asked for.
    pub leftovers: Leftovers,
    /// How long the command gets after a terminating signal before SIGKILL.
    pub kill_after: Option<Duration>,
    /// How long the first stop signal is held before it is relayed.
    pub stop_delay: Option<Duration>,
    /// The signals that mean "stop" as rinit receives them, before any
    /// rewrite: they arm `--stop-delay`, `--kill-after` and the report.
    pub stop_signals: Vec<Signal>,
    /// The signal the kernel sends rinit when its parent dies.
    pub parent_death: Option<Signal>,
    /// Warn about every reaped process but the command.
    pub warn_reaped: bool,
    /// Exit codes of the command that rinit reports as 0.
    pub zero_codes: Vec<i32>,
    pub log_format: Format,
    /// `-P`: run no command, hold the namespace and reap until a stop signal.
    pub pause: bool,
    /// `--expand`: the command's words are expanded (see `expanded`).
    pub expand: bool,
    pub command: Vec<OsString>,
}

/// `-a`: whom a relayed signal reaches beyond the command's group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignalAll {
    Off,
    /// `-a`: a stop reaches each daemon's master too, once; other
    /// signals go to the group (a reload stays the command's).
    Stops,
    /// `--signal-all=every`: every signal to every process.
    Every,
}

const DEFAULT_GRACE: Duration = Duration::from_secs(5);

impl Settings {
    pub fn resolve(
        flags: Flags,
        personality: Personality,
        // Through `dyn`: --inspect resolves another process's settings,
        // and one copy of this function serves both.
        env: &dyn Fn(&str) -> Option<OsString>,
    ) -> Result<Settings, UsageError> {
        let env_is = |name: &str, value: &str| env(name).is_some_and(|v| v == value);

        let verbosity = if flags.verbose > 0 {
            match personality.verbose_is_debug() {
                true => Level::Debug,
                false => Level::from_count(flags.verbose),
            }
        } else if let Some(n) = env("RINIT_VERBOSITY") {
            Level::from_count(number(&n, "RINIT_VERBOSITY")?)
        } else if let Some(n) = env("TINI_VERBOSITY") {
            // tini's scale: 1 (its default) warnings, 2 info, 3 debug. tini
            // reads it with atoi(3), so nothing in it is ever an error.
            let n = u32::try_from(atoi(n.as_bytes()).max(0)).unwrap_or(u32::MAX);
            Level::from_count(n.saturating_sub(1))
        } else if env_is("DUMB_INIT_DEBUG", "1") {
            Level::Debug
        } else {
            Level::Warn
        };

        // Each variable read once: every lookup scans the environment.
        let single_env = env("RINIT_SINGLE_CHILD");
        let setsid_env = env("DUMB_INIT_SETSID");
        let from_env = if single_env.as_deref() == Some("1".as_ref())
            || setsid_env.as_deref() == Some("0".as_ref())
        {
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
            Some(b"") => SignalAll::Stops,
            Some(b"every") => SignalAll::Every,
            Some(other) => {
                return Err(UsageError(format!(
                    "--signal-all: '{}' is not 'every'",
                    quoted(other)
                )))
            }
            None => match env("RINIT_SIGNAL_ALL").as_deref().map(OsStr::as_bytes) {
                Some(b"1") => SignalAll::Stops,
                Some(b"every") => SignalAll::Every,
                _ => SignalAll::Off,
            },
        };
        if signal_all != SignalAll::Off
            && (flags.single_child == Some(true) || from_env == Some(true))
        {
            return Err(UsageError(
                "-a (every process) and -c (the command alone) exclude each other".into(),
            ));
        }
        // -a reaches the group too, whatever the name's default.
        let single_child = signal_all == SignalAll::Off
            && flags
                .single_child
                .or(from_env)
                .unwrap_or(!personality.signals_group());
        let setsid =
            !single_child && (personality.setsid() || setsid_env.as_deref() == Some("1".as_ref()));

        let mut rewrites = Rewrites::default();
        if setsid {
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
        for rule in &flags.rewrites {
            rewrites.add(&text(rule, "--rewrite")?)?;
        }

        let time = |flag: Option<OsString>,
                    name: &str,
                    what: &str|
         -> Result<Option<Duration>, UsageError> {
            match flag {
                Some(value) => duration_of(&value, what).map(Some),
                None => env(name).map(|value| duration_of(&value, name)).transpose(),
            }
        };
        let grace = time(flags.grace, "RINIT_GRACE", "--grace")?;
        let leftovers = match grace {
            Some(_) => Leftovers::Drain,
            None => personality.leftovers(setsid),
        };
        let grace = grace.unwrap_or(DEFAULT_GRACE);
        // Zero means off: no deadline at all.
        let kill_after =
            time(flags.kill_after, "RINIT_KILL_AFTER", "--kill-after")?.filter(|d| !d.is_zero());
        let stop_delay =
            time(flags.stop_delay, "RINIT_STOP_DELAY", "--stop-delay")?.filter(|d| !d.is_zero());

        let stop_signals = match flags.stop_signals {
            Some(list) => Some(signal_list(&list, "--stop-signals")?),
            None => env("RINIT_STOP_SIGNALS")
                .map(|list| signal_list(&list, "RINIT_STOP_SIGNALS"))
                .transpose()?,
        };
        let stop_signals = stop_signals.unwrap_or_else(|| vec![signal::TERM, signal::INT]);

        let parent_death = match flags.parent_death {
            None => None,
            Some(name) => {
                let name = text(&name, "-p")?;
                let sig = Signal::parse(&name).filter(|s| s.is_relayed());
                Some(sig.ok_or_else(|| {
                    UsageError(format!(
                        "-p: '{}' is not a signal rinit relays",
                        quoted(name.as_bytes())
                    ))
                })?)
            }
        };
        let zero_codes = flags
            .zero_codes
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
            .collect::<Result<_, _>>()?;

        let log_format = match flags.log_format.or_else(|| env("RINIT_LOG_FORMAT")) {
            None => Format::Text,
            Some(f) if f == "text" => Format::Text,
            Some(f) if f == "json" => Format::Json,
            Some(other) => {
                return Err(UsageError(format!(
                    "--log-format: '{}' is neither text nor json",
                    quoted(other.as_bytes())
                )))
            }
        };

        Ok(Settings {
            log_format,
            verbosity,
            single_child,
            signal_all,
            setsid,
            shared_group: single_child && personality.shares_group_when_single_child(),
            job_control: setsid || personality.stops_with_the_job(),
            rewrites,
            grace,
            leftovers,
            kill_after,
            stop_delay,
            stop_signals,
            parent_death,
            warn_reaped: flags.warn_reaped,
            zero_codes,
            pause: flags.pause,
            // Off under every name unless asked for: drop-in means the
            // arguments untouched.
            expand: flags.expand || env_is("RINIT_EXPAND", "1"),
            command: flags.command,
        })
    }

    /// With `--expand`, the command's words expanded from `environment`,
    /// the one the command gets; read only then, as it costs a copy of it.
    pub fn expanded<I>(mut self, environment: impl FnOnce() -> I) -> Result<Settings, UsageError>
    where
        I: IntoIterator<Item = (OsString, OsString)>,
    {
        if self.expand {
            self.command = expand::command(&self.command, &expand::Env::new(environment()))?;
        }
        Ok(self)
    }

    /// The status rinit exits with for the command's `status`.
    pub fn exit_status(&self, status: i32) -> i32 {
        if self.zero_codes.contains(&status) {
            0
        } else {
            status
        }
    }
}

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

fn text(value: &OsStr, what: &str) -> Result<String, UsageError> {
    value
        .to_str()
        .map(str::to_owned)
        .ok_or_else(|| UsageError(format!("{what}: value is not valid UTF-8")))
}

fn number(value: &OsStr, what: &str) -> Result<u32, UsageError> {
    let shown = value.to_string_lossy();
    shown.trim().parse().map_err(|_| {
        UsageError(format!(
            "{what}: '{}' is not a whole number",
            quoted(value.as_bytes())
        ))
    })
}

/// `TERM,INT`: names or numbers of signals rinit relays, at least one.
fn signal_list(value: &OsStr, what: &str) -> Result<Vec<Signal>, UsageError> {
    let text = text(value, what)?;
    let signals = text
        .split(',')
        .map(|name| Signal::parse(name.trim()).filter(|s| s.is_relayed()))
        .collect::<Option<Vec<Signal>>>()
        .filter(|list| !list.is_empty());
    signals.ok_or_else(|| {
        UsageError(format!(
            "{what}: '{}' is not a list of signals rinit relays (like TERM,INT)",
            quoted(text.as_bytes())
        ))
    })
}

/// C's atoi: leading white space, a sign, digits up to the first other
/// byte; 0 when there are none (clamped where atoi would overflow).
fn atoi(bytes: &[u8]) -> i64 {
    let mut rest = bytes
        .iter()
        .skip_while(|b| b" \t\n\x0b\x0c\r".contains(b))
        .peekable();
    let negative = match rest.peek() {
        Some(b'-') => rest.next().is_some(),
        Some(b'+') => rest.next().is_none(),
        _ => false,
    };
    let magnitude = rest
        .map_while(|b| b.is_ascii_digit().then(|| i64::from(b - b'0')))
        .fold(0i64, |n, d| n.saturating_mul(10).saturating_add(d));
    if negative {
        -magnitude
    } else {
        magnitude
    }
}

fn duration_of(value: &OsStr, what: &str) -> Result<Duration, UsageError> {
    let shown = value.to_string_lossy();
    duration::parse(&shown).ok_or_else(|| {
        UsageError(format!(
            "{what}: '{}' is not a duration (like 500ms, 5s, 2m or 5)",
            quoted(value.as_bytes())
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::{parse, Request};

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
        assert!(s.single_child && !s.setsid);
        assert!(!resolve_as(tini, "-g x", &[]).unwrap().single_child);
        assert!(
            !resolve_as(tini, "x", &[("TINI_KILL_PROCESS_GROUP", "0")])
                .unwrap()
                .single_child
        );
        assert!(
            resolve_as(Personality::Catatonit { podman: false }, "x", &[])
                .unwrap()
                .single_child
        );
        let s = resolve_as(Personality::DumbInit, "x", &[]).unwrap();
        assert!(!s.single_child && s.setsid);
        assert_eq!(s.rewrites.apply(sig("TSTP")), Some(signal::STOP));
        let s = resolve_as(Personality::DumbInit, "-r TSTP:TSTP x", &[]).unwrap();
        assert_eq!(s.rewrites.apply(sig("TSTP")), Some(sig("TSTP")));
        let s = resolve_as(Personality::DumbInit, "-c x", &[]).unwrap();
        assert!(s.single_child && !s.setsid && s.shared_group && s.job_control);
        let s = resolve_as(Personality::DumbInit, "x", &[("DUMB_INIT_SETSID", "0")]).unwrap();
        assert!(s.single_child && !s.setsid);
        let s = resolve("x", &[]);
        assert!(!s.single_child && !s.setsid && !s.shared_group && !s.job_control);
        assert!(resolve("-c x", &[]).single_child && !resolve("-c x", &[]).shared_group);
        assert!(resolve("x", &[("RINIT_SINGLE_CHILD", "1")]).single_child);
        assert!(!resolve("-g x", &[("RINIT_SINGLE_CHILD", "1")]).single_child);
    }

    #[test]
    fn signal_all_from_the_option_or_environment_and_never_with_c() {
        let tini = Personality::Tini { docker: false };
        let s = resolve_as(tini, "-a x", &[]).unwrap();
        assert!(s.signal_all == SignalAll::Stops && !s.single_child);
        let all = |line, env| resolve(line, env).signal_all;
        assert_eq!(all("x", &[("RINIT_SIGNAL_ALL", "1")]), SignalAll::Stops);
        assert_eq!(all("x", &[("RINIT_SIGNAL_ALL", "every")]), SignalAll::Every);
        assert_eq!(all("x", &[("RINIT_SIGNAL_ALL", "0")]), SignalAll::Off);
        assert_eq!(all("x", &[("RINIT_SIGNAL_ALL", "yes")]), SignalAll::Off);
        assert_eq!(all("--signal-all=every x", &[]), SignalAll::Every);
        assert_eq!(
            all("--signal-all x", &[("RINIT_SIGNAL_ALL", "every")]),
            SignalAll::Stops
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

    use super::Settings;
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
                // -P runs no command, and only -P.
                Ok(Some(settings)) if settings.pause => {
                    ran += 1;
                    assert!(settings.command.is_empty(), "case {case}: {args:?}");
                }
                Ok(Some(settings)) => {
                    ran += 1;
                    // The command is the untouched tail of the arguments.
                    let tail = args.get(args.len() - settings.command.len()..).unwrap();
                    assert!(
                        !settings.command.is_empty() && tail == settings.command.as_slice(),
                        "case {case}: {args:?}"
                    );
                    let first = settings.command[0].as_bytes();
                    let after_dashdash = args.len() > settings.command.len()
                        && args[args.len() - settings.command.len() - 1] == "--";
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
