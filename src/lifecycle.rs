//! What every loop of rinit's life shares once the command runs (or rinit
//! pauses): `supervise`, `drain` and `pause` take one `Lifecycle`, built
//! once in `main`.

use nix::unistd::Pid;

use crate::log::Log;
use crate::oom::Oom;
use crate::reap::{self, Pass};
use crate::settings::Settings;
use crate::signals::Signals;

pub struct Lifecycle<'a> {
    pub log: &'a Log,
    pub settings: &'a Settings,
    pub signals: &'a Signals,
    /// The memory watch, for the reaper to name what the OOM killer took.
    pub oom: Oom,
    /// Whether rinit is PID 1 of its namespace: asked once, as it cannot
    /// change.
    pub pid1: bool,
}

impl Lifecycle<'_> {
    /// Reaps every child that has exited; `command` is the one whose exit
    /// rinit returns (pid 0 when there is none: every reaped one is an
    /// orphan).
    pub fn reap(&self, command: Pid) -> Pass {
        reap::pass(self.log, command, self.settings.warn_reaped, &self.oom)
    }
}
