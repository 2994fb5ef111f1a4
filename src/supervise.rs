//! The loop rinit lives in once the child runs: relay signals, reap
//! children, and return the main child's exit.

use std::fmt;

use nix::unistd::Pid;

use crate::log::{debug, info, warning, Log};
use crate::options::Settings;
use crate::procfs;
use crate::reap::{self, Exit, Reap};
use crate::signal::{self, Signal};
use crate::signals::{self, Received, Signals};

/// Where relayed signals go.
#[derive(Clone, Copy)]
enum Target {
    Group(Pid),
    Child(Pid),
}

impl Target {
    fn kill_arg(self) -> libc::pid_t {
        match self {
            // kill(-pgid) reaches every member, even after the leader died.
            Target::Group(pgid) => -pgid.as_raw(),
            Target::Child(pid) => pid.as_raw(),
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Group(pgid) => write!(f, "group {pgid}"),
            Target::Child(pid) => write!(f, "child {pid}"),
        }
    }
}

pub struct Supervisor<'a> {
    log: &'a Log,
    settings: &'a Settings,
    signals: Signals,
    child: Pid,
    target: Target,
}

impl<'a> Supervisor<'a> {
    pub fn new(log: &'a Log, settings: &'a Settings, signals: Signals, child: Pid) -> Self {
        // The child leads its own process group, so its pid is the group's id.
        let target = if settings.single_child {
            Target::Child(child)
        } else {
            Target::Group(child)
        };
        Supervisor {
            log,
            settings,
            signals,
            child,
            target,
        }
    }

    /// Runs until the main child has exited, and returns how it ended.
    pub fn run(self) -> Exit {
        let mut batch = signals::batch();
        loop {
            let received = match self.signals.wait(None, &mut batch) {
                Ok(received) => received,
                Err(e) => {
                    warning!(
                        self.log,
                        "cannot read signals any more ({e}): only reaping from now on"
                    );
                    return self.reap_blocking();
                }
            };
            let mut child_exited = false;
            for r in received {
                if r.signal == signal::CHLD {
                    child_exited = true;
                } else {
                    self.relay(r);
                }
            }
            if child_exited {
                if let Some(exit) = self.reap() {
                    return exit;
                }
            }
        }
    }

    fn relay(&self, r: Received) {
        let sender = Sender(r);
        match self.settings.rewrites.apply(r.signal) {
            None => info!(
                self.log,
                "{} from {sender}: dropped (rewritten to 0)", r.signal
            ),
            Some(sig) => {
                let outcome = self.send(sig);
                if sig == r.signal {
                    info!(
                        self.log,
                        "{} from {sender}: forwarded to {}{outcome}", r.signal, self.target
                    );
                } else {
                    info!(
                        self.log,
                        "{} from {sender}: rewritten to {sig}, forwarded to {}{outcome}",
                        r.signal,
                        self.target
                    );
                }
            }
        }
    }

    /// Sends `sig` to the target; returns a note for the log when it failed.
    fn send(&self, sig: Signal) -> &'static str {
        // SAFETY: kill has no memory effects; any pid and signal are safe to pass.
        match unsafe { libc::kill(self.target.kill_arg(), sig.number()) } {
            0 => "",
            _ => " (nobody left to receive it)",
        }
    }

    /// A reaping pass; returns the main child's exit once it is collected.
    fn reap(&self) -> Option<Exit> {
        let mut main_exit = None;
        loop {
            match reap::reap_one() {
                Reap::Reaped(pid, exit) if pid == self.child => {
                    info!(self.log, "child {pid} {exit}");
                    main_exit = Some(exit);
                }
                Reap::Reaped(pid, exit) => debug!(self.log, "reaped process {pid}, which {exit}"),
                Reap::Running | Reap::NoChildren => return main_exit,
            }
        }
    }

    /// The fallback when signals cannot be read: wait for children directly.
    fn reap_blocking(&self) -> Exit {
        loop {
            let mut status = 0;
            // SAFETY: `status` is a live int for the kernel to fill in.
            let pid = unsafe { libc::waitpid(-1, &mut status, 0) };
            if pid == self.child.as_raw()
                || pid == -1 && nix::errno::Errno::last() == nix::errno::Errno::ECHILD
            {
                return reap::exit_of(status).unwrap_or(Exit::Code(1));
            }
        }
    }
}

/// The sender of a signal, as a log line shows it.
struct Sender(Received);

impl fmt::Display for Sender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Received {
            sender_pid,
            sender_uid,
            from_kernel,
            ..
        } = self.0;
        if from_kernel {
            return write!(f, "the kernel");
        }
        if sender_pid == 0 {
            // The kernel reports 0 for a sender outside rinit's PID namespace.
            return write!(f, "outside the PID namespace (uid {sender_uid})");
        }
        match procfs::command_name(sender_pid) {
            Some(name) => write!(f, "pid {sender_pid} ({name}, uid {sender_uid})"),
            None => write!(f, "pid {sender_pid} (uid {sender_uid})"),
        }
    }
}
