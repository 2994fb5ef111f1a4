//! After the command exits: stop whatever it left behind, gently, before
//! rinit exits.
//!
//! When PID 1 of a namespace exits, the kernel SIGKILLs every other process
//! in it (see `pid_namespaces(7)`): a background writer loses what it had not
//! flushed. So rinit first sends every process it answers for the stop it
//! has not had yet (SIGCONT after it to the stopped ones, so they can act
//! on it), reaps them as they exit, and only when `--grace` is over sends
//! SIGKILL. Away from PID 1 what is left outlives rinit: there it does as
//! the init it is invoked as does (see `Leftovers`).
//!
//! A process gets a stop once: one that a relayed stop reached (`Stopped`)
//! gets nothing more but the SIGKILL when the grace is over; every other
//! one gets, once, what the command got (SIGTERM after `-r`), from rinit
//! or, when its parent handles that signal, from its parent (a daemon's
//! master stops its own workers: `reach::stop_masters`).

use std::fmt;
use std::time::{Duration, Instant};

use nix::unistd::Pid;

use crate::duration::Shown;
use crate::lifecycle::Lifecycle;
use crate::log::{info, warning, Event};
use crate::personality::Leftovers;
use crate::procfs;
use crate::reach::{self, Stopped};
use crate::reap::Exit;
use crate::relay::Relay;
use crate::signal::{self, Either, Signal};
use crate::signals;
use crate::table::{self, Sample};

/// How long SIGKILLed processes get to be reaped before rinit gives up on
/// them (one stuck in uninterruptible sleep may never go).
const KILL_WAIT: Duration = Duration::from_secs(2);

pub struct Drain<'a> {
    pub life: &'a Lifecycle<'a>,
    pub relay: &'a Relay<'a>,
    /// The command's pid.
    pub command: Pid,
}

impl Drain<'_> {
    /// Stops and reaps what is left; returns the command's `exit` unchanged.
    /// `stopped`: whom a relayed stop reached already.
    pub fn run(&self, exit: Exit, stopped: Option<Stopped>) -> Exit {
        let children_left = self.life.reap(self.command).children_left;
        if !children_left && !outsiders_left(self.life.pid1) {
            return exit;
        }
        // What the command got, or would have got from `docker stop`.
        let stop = match stopped {
            Some(s) => Some(s.signal),
            None => self.relay.rewrites.apply(signal::TERM),
        };
        let left = Sample::others();
        if !self.life.pid1 && !self.drains_away_from_pid1(exit, stop, stopped, &left) {
            return exit;
        }
        if self.life.settings.grace.is_zero() {
            info!(
                self.life.log, event: &Event::named("drain"),
                "--grace 0: leaving {} processes to the kernel: {}",
                left.len(),
                left
            );
            return exit;
        }
        let whom = match stopped {
            Some(_) => "what the stop missed",
            None => "what is left",
        };
        let sent = stop.map(|sig| self.stop_the_unreached(sig, stopped));
        if stop.is_some() {
            self.wake_the_stopped();
        }
        info!(
            self.life.log, event: &Event::named("drain"),
            "command {exit}; sending {} to {whom} and waiting up to {}: {left}{}",
            // "nothing" when -r drops SIGTERM.
            Either(stop.as_slice()),
            Shown(self.life.settings.grace),
            SentTo(sent.as_ref())
        );
        if self.all_gone_by(Instant::now().checked_add(self.life.settings.grace)) {
            info!(self.life.log, event: &Event::named("drain"), "every process left has exited");
            return exit;
        }
        let left = Sample::others();
        warning!(
            self.life.log, event: &Event::named("drain"),
            "grace of {} is over: sending SIGKILL to {}",
            Shown(self.life.settings.grace),
            left
        );
        self.signal_everyone(signal::KILL);
        if !self.all_gone_by(Instant::now().checked_add(KILL_WAIT)) {
            warning!(
                self.life.log, event: &Event::named("drain"),
                "still running after SIGKILL, left to the kernel: {}",
                Sample::others()
            );
        }
        exit
    }

    /// Away from PID 1 the processes left outlive rinit, and the users of
    /// tini, catatonit and dumb-init rely on what their init does with them:
    /// does that, and says whether to drain after all.
    fn drains_away_from_pid1(
        &self,
        exit: Exit,
        stop: Option<Signal>,
        stopped: Option<Stopped>,
        left: &Sample,
    ) -> bool {
        match self.life.settings.leftovers {
            Leftovers::Drain => true,
            Leftovers::TermGroup => {
                // dumb-init's SIGTERM to the group (after -r), unless a
                // relayed stop reached it already.
                if let Some(sig) = stop.filter(|_| stopped.is_none()) {
                    info!(
                        self.life.log, event: &Event::named("drain"),
                        "command {exit}; sending {sig} to its group and exiting (--grace waits for them): {left}"
                    );
                    self.relay.send_to_group(sig);
                }
                false
            }
            Leftovers::Leave => {
                info!(
                    self.life.log, event: &Event::named("drain"),
                    "command {exit}; leaving {} processes running (--grace stops them first): {}",
                    left.len(),
                    left
                );
                false
            }
        }
    }

    /// Every process rinit answers for, each once (a second SIGTERM means
    /// "now" to many apps, and runs a shell's trap twice): as PID 1 all of
    /// the namespace (kill(-1) spares only rinit), else each descendant;
    /// without a readable /proc or the memory to list them, the command's
    /// group.
    fn signal_everyone(&self, sig: Signal) {
        let all =
            (self.life.pid1 || procfs::can_look().is_ok()) && reach::signal_all(sig, false).is_ok();
        if let (false, Some(group)) = (all, self.relay.target.group()) {
            sig.send(-group.as_raw());
        }
    }

    /// The stop `sig` to each process rinit answers for that `stopped` did
    /// not reach and whose parent will not pass it on: who was sent it, or
    /// None for everyone. Without a /proc to tell them apart: everyone
    /// when no stop came, else nobody (a second stop is worse than waiting
    /// for the grace to end).
    fn stop_the_unreached(&self, sig: Signal, stopped: Option<Stopped>) -> Option<Sample> {
        match reach::stop_masters(sig, &|p| stopped.is_some_and(|s| s.reached(p))) {
            Ok(sent) => Some(sent),
            Err(_) if stopped.is_none() => {
                self.signal_everyone(sig);
                None
            }
            Err(why) => Some(Sample::unlisted(why)),
        }
    }

    /// SIGCONT after the SIGTERM, to the stopped processes alone: they could
    /// not act on it otherwise, and a running one that handles SIGCONT (a
    /// shell, an editor that redraws) must not see a signal it had no reason
    /// to get. Without /proc, or the memory to list them, nobody can tell
    /// who is stopped: everyone gets it.
    fn wake_the_stopped(&self) {
        let woken = procfs::can_look().is_ok()
            && table::each_other(&mut |p| {
                if p.stopped() {
                    signal::CONT.send(p.pid);
                }
            })
            .is_ok();
        if !woken {
            self.signal_everyone(signal::CONT);
        }
    }

    /// Relays signals and reaps until every process rinit answers for is
    /// gone (true) or `deadline` passes (false); None waits as long as it
    /// takes. Children announce their exit with SIGCHLD; the processes
    /// entered into the namespace from outside (`docker exec`) do not, so
    /// once only they are left, rinit as PID 1 looks again every `LOOK_EVERY`.
    fn all_gone_by(&self, deadline: Option<Instant>) -> bool {
        let mut batch = signals::batch();
        let reap = || self.life.reap(self.command).children_left;
        let mut children_left = reap();
        loop {
            if !children_left && !outsiders_left(self.life.pid1) {
                return true;
            }
            let mut timeout = match deadline {
                None => None,
                Some(d) => match d.checked_duration_since(Instant::now()) {
                    Some(left) if !left.is_zero() => Some(left),
                    _ => return false,
                },
            };
            if !children_left {
                timeout = Some(timeout.map_or(LOOK_EVERY, |t| t.min(LOOK_EVERY)));
            }
            let relay = &mut |r| {
                self.relay.relay(r);
                true
            };
            let Ok(child_exited) = self.life.signals.next(timeout, &mut batch, relay) else {
                return false;
            };
            if child_exited {
                children_left = reap();
            }
        }
    }
}

/// The drain line's word on whom rinit sent the stop: the others had it
/// already, or get it from their parent.
struct SentTo<'a>(Option<&'a Option<Sample>>);

impl fmt::Display for SentTo<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            None => Ok(()),
            Some(None) => write!(f, "; sent to every process"),
            Some(Some(sent)) if sent.is_empty() => {
                write!(
                    f,
                    "; sent to nobody (reached, or their parent passes it on)"
                )
            }
            Some(Some(sent)) => write!(f, "; sent to {sent}"),
        }
    }
}

/// How often the drain looks whether processes that are not rinit's
/// children are gone: they send no SIGCHLD.
const LOOK_EVERY: Duration = Duration::from_millis(20);

/// As PID 1, whether a process that is not rinit's child is still in the
/// namespace (one entered with `docker exec`, `kubectl exec` or nsenter):
/// kill(-1, 0) reaches every process but rinit, and fails with ESRCH when
/// there is none (EPERM: none rinit may signal, so none it can stop).
/// Away from PID 1 everything rinit answers for is a descendant, and every
/// descendant ends up its child.
fn outsiders_left(pid1: bool) -> bool {
    // SAFETY: signal 0 only checks who is there; kill touches no memory.
    pid1 && unsafe { libc::kill(-1, 0) } == 0
}
