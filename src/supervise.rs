//! The loop rinit lives in while the command runs: relay signals, reap
//! children, keep the stop deadlines (`--stop-delay`, `--kill-after`, the
//! stuck-shutdown report), and return the command's exit.
//!
//! A deadline exists only while a stop is under way: otherwise the loop
//! waits for signals with no timeout and an idle rinit never wakes up.

use std::fmt;
use std::time::{Duration, Instant};

use nix::unistd::Pid;

use crate::duration::Shown;
use crate::lifecycle::Lifecycle;
use crate::log::{info, warning, Event, Level};
use crate::oom::Killer;
use crate::reach::{self, Leavers, Stopped};
use crate::reap::{self, Exit};
use crate::relay::Relay;
use crate::signal::{self, Signal};
use crate::signals::{self, Received};
use crate::table::Sample;

/// The first stuck-shutdown report comes this long after a terminating
/// signal went to the command, later ones this far apart.
const FIRST_REPORT: Duration = Duration::from_secs(5);
const REPORT_EVERY: Duration = Duration::from_secs(10);

pub struct Supervisor<'a> {
    life: &'a Lifecycle<'a>,
    relay: &'a Relay<'a>,
    child: Pid,
    /// `--stop-delay`: the stop signal held back, and when it goes out.
    held: Option<(Received, Instant)>,
    /// Set once a stop signal was relayed to the command.
    stopping: Option<Stopping>,
    /// Every signal sent to the command so far, as a bit per number.
    sent: u128,
    /// `-v`: the processes already said to have left the command's group.
    leavers: Leavers,
}

/// The deadlines that follow a stop signal.
struct Stopping {
    /// The stop signal as rinit received it, and as it was relayed.
    signal: Signal,
    sent: Signal,
    since: Instant,
    kill_at: Option<Instant>,
    report_at: Option<Instant>,
    /// Who the stop reached, for the drain.
    reached: Stopped,
}

impl<'a> Supervisor<'a> {
    pub fn new(life: &'a Lifecycle<'a>, relay: &'a Relay<'a>, child: Pid) -> Self {
        Supervisor {
            life,
            relay,
            child,
            held: None,
            stopping: None,
            sent: 0,
            leavers: Leavers::default(),
        }
    }

    /// Runs until the command has exited, and returns how it ended and
    /// whom a stop reached, if one was relayed.
    pub fn run(mut self) -> (Exit, Option<Stopped>) {
        let mut batch = signals::batch();
        loop {
            let timeout = self
                .next_deadline()
                .map(|d| d.saturating_duration_since(Instant::now()));
            let signals = self.life.signals;
            let on_signal = &mut |r| {
                self.on_signal(r);
                true
            };
            let child_exited = match signals.next(timeout, &mut batch, on_signal) {
                Ok(child_exited) => child_exited,
                Err(e) => {
                    warning!(
                        self.life.log, event: &Event::named("signals_unreadable"),
                        "cannot read signals any more ({e}): only reaping from now on"
                    );
                    return (reap::wait_for(self.child), self.reached());
                }
            };
            if child_exited {
                let pass = self.life.reap(self.child);
                if let Some(exit) = pass.main_exit {
                    self.explain(exit, pass.main_killer);
                    return (exit, self.reached());
                }
                self.notice_leavers();
            }
            self.on_deadlines(Instant::now());
        }
    }

    /// A stop is what the engine sent: a stop signal (`--stop-signals`,
    /// TERM and INT by default) as rinit received it, whatever `-r` relays
    /// it as. A SIGQUIT for a thread dump is no stop; `-r TERM:WINCH` is one.
    fn on_signal(&mut self, r: Received) {
        let stop = self.life.settings.stop_signals.contains(&r.signal);
        if let Some((held, _)) = self.held {
            if stop {
                // A second stop signal cuts the delay short.
                info!(
                    self.life.log, event: &Event::named("stop_delay"),
                    "{} during --stop-delay: relaying the held {} now", r.signal, held.signal
                );
                self.held = None;
                self.forward(held);
                if r.signal == held.signal {
                    return;
                }
            }
        } else if stop && self.stopping.is_none() {
            if let Some(release) = self
                .life
                .settings
                .stop_delay
                .and_then(|d| Instant::now().checked_add(d))
            {
                info!(
                    self.life.log, event: &Event::named("stop_delay"),
                    "{}: holding it for {} (--stop-delay)",
                    r.signal,
                    Shown(self.life.settings.stop_delay.unwrap_or_default())
                );
                self.held = Some((r, release));
                return;
            }
        }
        self.forward(r);
    }

    /// Relays `r` and, when it was a stop signal, starts the stop deadlines.
    fn forward(&mut self, r: Received) {
        let Some(sent) = self.relay.relay(r) else {
            return;
        };
        self.note_sent(sent);
        self.notice_leavers();
        if self.stopping.is_some() || !self.life.settings.stop_signals.contains(&r.signal) {
            return;
        }
        let now = Instant::now();
        self.stopping = Some(Stopping {
            signal: r.signal,
            sent,
            since: now,
            kill_at: self
                .life
                .settings
                .kill_after
                .and_then(|d| now.checked_add(d)),
            report_at: now.checked_add(FIRST_REPORT),
            reached: Stopped::now(sent, self.relay.target_of(r.signal)),
        });
    }

    fn reached(&self) -> Option<Stopped> {
        self.stopping.as_ref().map(|s| s.reached)
    }

    /// At -v, whether a process left the command's group since last time.
    fn notice_leavers(&self) {
        if self.life.log.enabled(Level::Info) {
            // Where signals but a stop go: with -a, the group.
            self.leavers
                .notice(self.life.log, self.relay.target.of(false));
        }
    }

    fn note_sent(&mut self, sig: Signal) {
        self.sent |= 1u128.checked_shl(sig.number() as u32).unwrap_or(0);
    }

    /// A command killed by a signal rinit never sent it met something from
    /// elsewhere: the OOM killer's SIGKILL, a crash, a hang-up. Say so even
    /// at the default verbosity: it is the first question after an exit
    /// 137, and for a SIGKILL the memory cgroup answers it (`oom`).
    fn explain(&self, exit: Exit, killer: Option<Killer>) {
        let sig = match exit {
            Exit::Signal(sig) => sig,
            Exit::Code(code) => return self.explain_status(code),
        };
        if self.sent & 1u128.checked_shl(sig.number() as u32).unwrap_or(0) != 0 {
            return self.explain_status(exit.status());
        }
        let event = Event {
            signal: Some(sig),
            status: Some(exit.status()),
            oom: killer.and_then(Killer::oom),
            ..Event::named("killed")
        };
        match killer {
            Some(k @ Killer::Oom { .. }) => {
                warning!(self.life.log, event: &event, "command {exit}: {k}")
            }
            Some(k) => {
                warning!(self.life.log, event: &event, "command {exit} from outside rinit: {k}")
            }
            None => warning!(
                self.life.log, event: &event,
                "command {exit}, which rinit did not send (the kernel's, as a fault, or another process's)"
            ),
        }
    }

    /// A status of 128+N where rinit relayed signal N: the app ended on it,
    /// or a wrapper said so of its child (npm re-raises it, a shell exits
    /// 128+N), however cleanly the app stopped. At -v, says so, and how to
    /// make it 0.
    fn explain_status(&self, status: i32) {
        let sent = status
            .checked_sub(128)
            .and_then(Signal::from_number)
            .filter(|sig| self.sent & 1u128.checked_shl(sig.number() as u32).unwrap_or(0) != 0);
        if let (Some(sig), false) = (sent, self.life.settings.zero_codes.contains(&status)) {
            info!(
                self.life.log,
                "status {status} is 128 + {sig}, which rinit relayed: the app, or a wrapper of it (npm, a shell), ended on it; if the app stopped cleanly, -e {status} makes rinit exit 0"
            );
        }
    }

    fn next_deadline(&self) -> Option<Instant> {
        let held = self.held.map(|(_, at)| at);
        let stopping = self.stopping.as_ref();
        let kill = stopping.and_then(|s| s.kill_at);
        let report = stopping.and_then(|s| s.report_at);
        [held, kill, report].into_iter().flatten().min()
    }

    fn on_deadlines(&mut self, now: Instant) {
        if let Some((held, at)) = self.held {
            if now >= at {
                self.held = None;
                self.forward(held);
            }
        }
        let Some(stopping) = self.stopping.as_mut() else {
            return;
        };
        let waited = now.saturating_duration_since(stopping.since).as_secs();
        if stopping.kill_at.is_some_and(|at| now >= at) {
            stopping.kill_at = None;
            warning!(
                self.life.log, event: &Event::named("kill_after"),
                "command still running {waited}s after {} (--kill-after): sending SIGKILL to its group; still running: {}",
                stopping,
                Sample::others()
            );
            // The group: --kill-after ends the command, helpers included.
            self.relay.send_to_group(signal::KILL);
            self.sent |= 1 << signal::KILL.number();
        }
        if stopping.report_at.is_some_and(|at| now >= at) {
            stopping.report_at = now.checked_add(REPORT_EVERY);
            let target = self.relay.target_of(stopping.signal);
            let outside = OutOfReach(stopping.sent, reach::outside(target));
            warning!(
                self.life.log, event: &Event::named("still_running"),
                "command still running {waited}s after {}; still running: {}{outside}",
                stopping,
                Sample::others()
            );
        }
    }
}

impl fmt::Display for Stopping {
    /// `SIGTERM`, or `SIGTERM (relayed as SIGWINCH)` where `-r` rewrote it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.sent == self.signal {
            true => write!(f, "{}", self.signal),
            false => write!(f, "{} (relayed as {})", self.signal, self.sent),
        }
    }
}

/// The stuck report's word on the processes the relay misses, if any.
struct OutOfReach(Signal, Sample);

impl fmt::Display for OutOfReach {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.1.is_empty() {
            return Ok(());
        }
        write!(
            f,
            "; out of the relay's reach, never sent the {} (-a reaches them): {}",
            self.0, self.1
        )
    }
}
