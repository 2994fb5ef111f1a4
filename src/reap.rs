//! Collecting exited children, and what their exit means as a status.
//!
//! SIGCHLD coalesces: one pending instance stands for any number of exits,
//! so every SIGCHLD is answered with `waitpid(-1, WNOHANG)` until nothing is
//! left. libc's waitpid is used directly because nix's cannot represent a
//! process killed by a real-time signal.

use std::fmt;

use nix::errno::Errno;
use nix::unistd::Pid;

use crate::log::Event;
use crate::log::{debug, info, warning, Log};
use crate::oom::{Killer, Oom};
use crate::signal::{self, Signal};

/// How a process ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    Code(i32),
    Signal(Signal),
}

impl Exit {
    /// The shell's convention: the exit code, or 128+N for a death by signal N.
    pub fn status(self) -> i32 {
        match self {
            Exit::Code(code) => code,
            Exit::Signal(sig) => 128 + sig.number(),
        }
    }
}

impl Exit {
    /// The log event for process `pid` ending this way.
    fn event(self, name: &'static str, pid: Pid) -> Event<'static> {
        Event {
            pid: Some(pid.as_raw()),
            status: Some(self.status()),
            signal: match self {
                Exit::Signal(sig) => Some(sig),
                Exit::Code(_) => None,
            },
            ..Event::named(name)
        }
    }
}

/// How a process ended, from a `waitpid` status; None when it only stopped
/// or continued. A death is never dropped: the kernel reports signals 1 to
/// 64, each a `Signal`, and a number past them would still be 128+N.
pub fn exit_of(status: libc::c_int) -> Option<Exit> {
    if libc::WIFEXITED(status) {
        Some(Exit::Code(libc::WEXITSTATUS(status)))
    } else if libc::WIFSIGNALED(status) {
        let n = libc::WTERMSIG(status);
        Some(Signal::from_number(n).map_or(Exit::Code(128 + n), Exit::Signal))
    } else {
        None
    }
}

impl fmt::Display for Exit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Exit::Code(code) => write!(f, "exited with code {code}"),
            Exit::Signal(sig) => write!(f, "was killed by {sig}"),
        }
    }
}

/// One step of a reaping pass.
enum Reap {
    Reaped(Pid, Exit),
    /// Children remain, none has exited yet.
    Running,
    /// rinit has no children left at all.
    NoChildren,
}

/// Collects one exited child, if any, without waiting.
fn reap_one() -> Reap {
    loop {
        let mut status = 0;
        // SAFETY: `status` is a live int for the kernel to fill in.
        let mut pid = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
        if pid == -1 && !matches!(Errno::last(), Errno::ECHILD | Errno::EINTR) {
            // wait4 refused (a seccomp profile without it): waitid.
            pid = wait_id(&mut status);
        }
        match pid {
            0 => return Reap::Running,
            -1 if Errno::last() == Errno::EINTR => continue,
            -1 => return Reap::NoChildren,
            pid => match exit_of(status) {
                Some(exit) => return Reap::Reaped(Pid::from_raw(pid), exit),
                // Stopped or continued: only reported when asked, never here.
                None => continue,
            },
        }
    }
}

/// waitid(2) for any exited child without waiting, as waitpid answers:
/// its pid and wait status, 0 when none has exited, -1 with errno.
fn wait_id(status: &mut libc::c_int) -> libc::pid_t {
    // SAFETY: siginfo_t is plain data: all-zero is a valid value, and a
    // zero si_pid after the call means no child was ready.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    // SAFETY: `info` is a live siginfo for the kernel to fill in.
    if unsafe { libc::waitid(libc::P_ALL, 0, &mut info, libc::WEXITED | libc::WNOHANG) } != 0 {
        return -1;
    }
    // SAFETY: filled in for a child (or left zero): pid and status are set.
    let (pid, code) = unsafe { (info.si_pid(), info.si_status()) };
    // The wait status waitpid would give: code << 8 for an exit, else the
    // signal (rinit does not read the core bit).
    *status = match info.si_code {
        libc::CLD_EXITED => (code & 0xff) << 8,
        _ => code,
    };
    pid
}

/// What a reaping pass found.
pub struct Pass {
    /// How the main child ended, if it was among the reaped.
    pub main_exit: Option<Exit>,
    /// Who sent the SIGKILL that ended the main child, when one did.
    pub main_killer: Option<Killer>,
    /// Whether rinit still has children (running ones).
    pub children_left: bool,
}

/// Reaps every exited child, logging each; `main` is the command's pid.
/// `warn` (tini's `-w`) makes every other reaped process a warning. Every
/// SIGKILL death is put to the memory cgroup's OOM count (`oom`), so that
/// each OOM kill is told apart from a later `kill -9`.
pub fn pass(log: &Log, main: Pid, warn: bool, oom: &Oom) -> Pass {
    let mut main_exit = None;
    let mut main_killer = None;
    loop {
        let (pid, exit) = match reap_one() {
            Reap::Reaped(pid, exit) => (pid, exit),
            done => {
                return Pass {
                    main_exit,
                    main_killer,
                    children_left: matches!(done, Reap::Running),
                }
            }
        };
        let killer = (exit == Exit::Signal(signal::KILL)).then(|| oom.killer());
        let event = Event {
            oom: killer.and_then(Killer::oom),
            ..exit.event(
                if pid == main {
                    "child_exited"
                } else {
                    "reaped"
                },
                pid,
            )
        };
        let how = By(exit, killer);
        if pid == main {
            info!(log, event: &event, "child {pid} {how}");
            main_exit = Some(exit);
            main_killer = killer;
        } else if warn {
            warning!(log, event: &event, "reaped process {pid}, which {how}");
        } else {
            debug!(log, event: &event, "reaped process {pid}, which {how}");
        }
    }
}

/// How a process ended, and who sent its SIGKILL where that was asked.
struct By(Exit, Option<Killer>);

impl fmt::Display for By {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.1 {
            Some(killer) => write!(f, "{}: {killer}", self.0),
            None => self.0.fmt(f),
        }
    }
}

/// The fallback when signals cannot be read: wait for the command directly.
pub fn wait_for(main: Pid) -> Exit {
    loop {
        let mut status = 0;
        // SAFETY: `status` is a live int for the kernel to fill in.
        let pid = unsafe { libc::waitpid(-1, &mut status, 0) };
        match pid {
            -1 if nix::errno::Errno::last() == nix::errno::Errno::EINTR => {}
            // No child at all: nothing will ever report the command's end.
            -1 => return Exit::Code(1),
            pid if pid == main.as_raw() => {
                if let Some(exit) = exit_of(status) {
                    return exit;
                }
            }
            _ => {}
        }
    }
}

/// Away from PID 1 (a laptop, CI), orphans would go to the real init: as a
/// child subreaper rinit gets them instead (see `prctl(2)`).
/// An io::Error, not nix's Errno: Errno's Display goes through Debug, which
/// the tiny build (-Zfmt-debug=none) prints empty.
pub fn become_subreaper() -> std::io::Result<()> {
    nix::sys::prctl::set_child_subreaper(true).map_err(std::io::Error::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_follows_the_shell_convention() {
        assert_eq!(Exit::Code(3).status(), 3);
        assert_eq!(Exit::Signal(crate::signal::TERM).status(), 143);
        assert_eq!(Exit::Signal(crate::signal::KILL).status(), 137);
    }

    #[test]
    fn a_death_by_any_signal_is_a_death() {
        for n in 1..=64 {
            // The status waitpid reports for a process killed by signal n.
            assert_eq!(exit_of(n).map(Exit::status), Some(128 + n), "{n}");
        }
    }
}
