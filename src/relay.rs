//! Passing a received signal on: apply `-r` rewrites, send it to the
//! command's process group (or the command alone), and say so.

use std::{fmt, io};

use nix::unistd::Pid;

use crate::log::Event;
use crate::log::{info, warning, Level, Log};
use crate::procfs;
use crate::reach::{self, Target};
use crate::settings::{Layout, RelayTo, Rewrites, Settings};
use crate::signal::{self, Signal};
use crate::signals::Received;
use crate::table::Sample;

/// What sending a signal did, for the log.
// On the stack, once per signal: a Box would allocate after the command runs.
#[allow(clippy::large_enum_variant)]
#[derive(Default)]
pub enum Outcome {
    #[default]
    Reached,
    Nobody,
    /// kill(2) failed for another reason than nobody there (a seccomp
    /// profile that denies it): its error number.
    Refused(i32),
    /// `--signal-all=every`: how many processes, when counted.
    Counted(usize),
    /// `-a`'s stop: the group, and these processes outside it.
    Beside(Sample),
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Reached => Ok(()),
            Outcome::Nobody => write!(f, " (nobody left to receive it)"),
            Outcome::Refused(errno) => {
                write!(
                    f,
                    " (not sent: kill: {})",
                    io::Error::from_raw_os_error(*errno)
                )
            }
            Outcome::Counted(1) => write!(f, " (1 process)"),
            Outcome::Counted(n) => write!(f, " ({n} processes)"),
            Outcome::Beside(sent) if sent.is_empty() => Ok(()),
            Outcome::Beside(sent) => {
                write!(f, ", and once each to {} outside it: {sent}", sent.len())
            }
        }
    }
}

pub struct Relay<'a> {
    pub log: &'a Log,
    pub rewrites: &'a Rewrites,
    /// Where signals go, the stops (`stops`, as received) and the others
    /// (`Target::of`), and the command's group.
    pub target: Target,
    pub stops: &'a [Signal],
    /// dumb-init: after relaying SIGTSTP, SIGTTIN or SIGTTOU, rinit stops
    /// itself too, so the shell that started it sees the job stopped
    /// (Ctrl-Z) and its SIGCONT (`fg`) comes back to be relayed.
    pub job_control: bool,
}

impl<'a> Relay<'a> {
    /// The relay for the command `child`, as the settings ask.
    pub fn new(log: &'a Log, settings: &'a Settings, child: Pid) -> Relay<'a> {
        // The command leads its own process group (its pid is the group's
        // id) but in dumb-init's `-c`, which relays to the command alone.
        let target = match settings.relay_to {
            RelayTo::Child => Target::Child {
                pid: child,
                own_group: settings.layout != Layout::Shared,
            },
            RelayTo::Group => Target::Group(child),
            RelayTo::GroupAndMasters => Target::Masters(child),
            RelayTo::Every => Target::All(child),
        };
        Relay {
            log,
            rewrites: &settings.rewrites,
            target,
            stops: &settings.stop_signals,
            job_control: settings.layout.job_control(),
        }
    }

    /// Relays `r` as the rewrite rules say; returns the signal sent, if any.
    pub fn relay(&self, r: Received) -> Option<Signal> {
        if r.signal.is_fault() && r.from_kernel {
            // A fault the kernel raised for rinit that it did not force
            // (a memory error reported "action optional"): rinit's own.
            warning!(self.log, event: &Event { signal: Some(r.signal), ..Event::named("fault") },
                "{} raised by the kernel for rinit itself: not relayed", r.signal);
            return None;
        }
        let to = self.rewrites.apply(r.signal);
        let target = self.target_of(r.signal);
        let outcome = to.map(|sig| self.send_to(target, sig));
        if self.log.enabled(Level::Info) {
            self.log_relay(r, to, target, outcome.unwrap_or_default());
        } else if let Some(refused @ Outcome::Refused(_)) = &outcome {
            // Not relayed: said at any verbosity.
            warning!(self.log, "{} not relayed to {target}{refused}", r.signal);
        }
        if self.job_control && [signal::TSTP, signal::TTIN, signal::TTOU].contains(&r.signal) {
            info!(self.log, "stopping rinit too, until a SIGCONT");
            // The kernel ignores this as PID 1 of a namespace: there is no
            // shell above to resume it there anyway.
            signal::STOP.send(std::process::id() as libc::pid_t);
        }
        to
    }

    /// Where `received` goes: a stop to the stop's target.
    pub fn target_of(&self, received: Signal) -> Target {
        self.target.of(self.stops.contains(&received))
    }

    /// The line for a relayed (or dropped) signal, its sender named.
    fn log_relay(&self, r: Received, to: Option<Signal>, target: Target, outcome: Outcome) {
        let command = match r.from_kernel {
            true => None,
            false => procfs::command_name(r.sender_pid),
        };
        let sender = Sender(r, command.as_ref());
        let event = Event {
            signal: Some(r.signal),
            sender: (!r.from_kernel).then_some((
                r.sender_pid,
                r.sender_uid,
                command.as_ref().map(|c| c as &dyn fmt::Display),
            )),
            target: to.is_some().then_some(&target as &dyn fmt::Display),
            ..Event::named("signal")
        };
        match to {
            None => {
                info!(self.log, event: &event, "{} from {sender}: dropped (rewritten to 0)", r.signal)
            }
            Some(sig) if sig == r.signal => info!(
                self.log,
                event: &event,
                "{} from {sender}: forwarded to {target}{outcome}",
                r.signal
            ),
            Some(sig) => info!(
                self.log,
                event: &event,
                "{} from {sender}: rewritten to {sig}, forwarded to {target}{outcome}",
                r.signal
            ),
        }
    }

    /// Sends `sig` to `target`.
    fn send_to(&self, target: Target, sig: Signal) -> Outcome {
        let pid = match target {
            Target::Masters(pgid) => {
                let group = self.send_to(Target::Group(pgid), sig);
                if let Outcome::Refused(_) = group {
                    return group;
                }
                let beside = reach::stop_masters(sig, &|p| p.pgid == pgid.as_raw());
                return Outcome::Beside(beside.unwrap_or_else(Sample::unlisted));
            }
            // kill(-pgid) reaches every member, even after the leader died.
            Target::Group(pgid) => -pgid.as_raw(),
            Target::Child { pid, .. } => pid.as_raw(),
            Target::All(group) => {
                return match reach::signal_all(sig, self.log.enabled(Level::Info)) {
                    Ok(count) => count.map_or(Outcome::Reached, Outcome::Counted),
                    // Away from PID 1 with no memory to list the
                    // descendants: the command's group at least.
                    Err(_) if sig.send(-group.as_raw()) => Outcome::Reached,
                    Err(_) => Outcome::Nobody,
                };
            }
        };
        if sig.send(pid) {
            return Outcome::Reached;
        }
        match io::Error::last_os_error().raw_os_error() {
            Some(libc::ESRCH) | None => Outcome::Nobody,
            Some(errno) => Outcome::Refused(errno),
        }
    }

    /// Sends `sig` to the command's whole group (or, sharing rinit's group,
    /// the command alone; with `--signal-all=every`, everyone): dumb-init's
    /// SIGTERM at its exit, `--kill-after`'s SIGKILL.
    pub fn send_to_group(&self, sig: Signal) {
        match self.target {
            Target::All(group) => {
                if reach::signal_all(sig, false).is_err() {
                    sig.send(-group.as_raw());
                }
            }
            Target::Child {
                pid,
                own_group: false,
            } => {
                sig.send(pid.as_raw());
            }
            Target::Child { pid: group, .. } | Target::Group(group) | Target::Masters(group) => {
                sig.send(-group.as_raw());
            }
        }
    }
}

/// The sender of a signal, as a log line shows it.
struct Sender<'a>(Received, Option<&'a procfs::Name>);

impl fmt::Display for Sender<'_> {
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
        match self.1 {
            Some(name) => write!(f, "pid {sender_pid} ({name}, uid {sender_uid})"),
            None => write!(f, "pid {sender_pid} (uid {sender_uid})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::Format;

    #[test]
    fn a_fault_the_kernel_raised_for_rinit_is_not_relayed_one_a_process_sent_is() {
        let log = Log::new("rinit", Level::Warn, Format::Text);
        let rewrites = Rewrites::default();
        // Above any pid_max: nothing is really signalled.
        let nobody = Pid::from_raw(i32::MAX);
        let relay = Relay {
            log: &log,
            rewrites: &rewrites,
            target: Target::Child {
                pid: nobody,
                own_group: false,
            },
            stops: &[],
            job_control: false,
        };
        let bus = Signal::from_number(libc::SIGBUS).unwrap();
        let raised = Received {
            signal: bus,
            sender_pid: 0,
            sender_uid: 0,
            from_kernel: true,
        };
        assert_eq!(relay.relay(raised), None);
        let sent = Received {
            from_kernel: false,
            ..raised
        };
        assert_eq!(relay.relay(sent), Some(bus));
        // A signal the kernel raises for other reasons (a hang-up) goes on.
        let hup = Received {
            signal: Signal::from_number(libc::SIGHUP).unwrap(),
            ..raised
        };
        assert_eq!(relay.relay(hup), hup.signal.into());
    }
}
