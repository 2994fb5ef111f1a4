//! `Settings`: the flags, the environment and the personality's defaults,
//! resolved once into decisions (`resolve.rs` takes the steps). Options win
//! over the environment, which wins over the defaults of the name rinit was
//! invoked under.

use std::ffi::OsString;
use std::time::Duration;

use crate::expand;
use crate::log::{Format, Level};
use crate::options::UsageError;
use crate::personality::Leftovers;
use crate::signal::Signal;

mod resolve;
mod values;

/// Everything rinit was asked to do.
#[derive(Debug)]
pub struct Settings {
    pub verbosity: Level,
    /// Where the command's process group sits.
    pub layout: Layout,
    /// Whom a relayed signal reaches.
    pub relay_to: RelayTo,
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
    /// `--expand`: the command's words are expanded (see `expanded`).
    pub expand: bool,
    pub run: Run,
}

/// Where the command's process group sits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// A process group of its own in rinit's session (rinit, tini,
    /// catatonit).
    Group,
    /// A session of its own that takes the terminal (dumb-init's default,
    /// DUMB_INIT_SETSID=1).
    Session,
    /// rinit's own process group (dumb-init's `-c`).
    Shared,
}

impl Layout {
    /// After relaying SIGTSTP, SIGTTIN or SIGTTOU, rinit stops too, so the
    /// shell that started it sees the job stopped (Ctrl-Z) and its SIGCONT
    /// (`fg`) comes back to be relayed: in a session of its own, and in
    /// dumb-init's `-c`, the one layout that shares rinit's group (dumb-init
    /// does so in both of its modes).
    pub fn job_control(self) -> bool {
        self != Layout::Group
    }
}

/// Whom a relayed signal reaches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RelayTo {
    /// The command alone (`-c`, tini's and catatonit's default).
    Child,
    /// The command's process group.
    Group,
    /// `-a`: the group, and with a stop each daemon's master too, once;
    /// other signals go to the group (a reload stays the command's).
    GroupAndMasters,
    /// `--signal-all=every`: every signal to every process.
    Every,
}

/// What rinit runs.
#[derive(Debug, PartialEq, Eq)]
pub enum Run {
    /// The command's words (never none).
    Command(Vec<OsString>),
    /// `-P`: run no command, hold the namespace and reap until a stop signal.
    Pause,
}

impl Settings {
    /// With `--expand`, the command's words expanded from `environment`,
    /// the one the command gets; read only then, as it costs a copy of it.
    pub fn expanded<I>(mut self, environment: impl FnOnce() -> I) -> Result<Settings, UsageError>
    where
        I: IntoIterator<Item = (OsString, OsString)>,
    {
        if let (true, Run::Command(words)) = (self.expand, &self.run) {
            self.run = Run::Command(expand::command(words, &expand::Env::new(environment()))?);
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
}
