//! `Signal`: a signal number that can be a real-time one, with its name.
//!
//! nix's `Signal` enum has no real-time signals, so rinit carries its own
//! newtype over the kernel's number and names it as `kill -l` does.

use std::fmt;

use libc::c_int;

/// A signal number, 1..=SIGRTMAX.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Signal(c_int);

const NAMES: [(&str, c_int); 31] = [
    ("HUP", libc::SIGHUP),
    ("INT", libc::SIGINT),
    ("QUIT", libc::SIGQUIT),
    ("ILL", libc::SIGILL),
    ("TRAP", libc::SIGTRAP),
    ("ABRT", libc::SIGABRT),
    ("BUS", libc::SIGBUS),
    ("FPE", libc::SIGFPE),
    ("KILL", libc::SIGKILL),
    ("USR1", libc::SIGUSR1),
    ("SEGV", libc::SIGSEGV),
    ("USR2", libc::SIGUSR2),
    ("PIPE", libc::SIGPIPE),
    ("ALRM", libc::SIGALRM),
    ("TERM", libc::SIGTERM),
    ("STKFLT", libc::SIGSTKFLT),
    ("CHLD", libc::SIGCHLD),
    ("CONT", libc::SIGCONT),
    ("STOP", libc::SIGSTOP),
    ("TSTP", libc::SIGTSTP),
    ("TTIN", libc::SIGTTIN),
    ("TTOU", libc::SIGTTOU),
    ("URG", libc::SIGURG),
    ("XCPU", libc::SIGXCPU),
    ("XFSZ", libc::SIGXFSZ),
    ("VTALRM", libc::SIGVTALRM),
    ("PROF", libc::SIGPROF),
    ("WINCH", libc::SIGWINCH),
    ("IO", libc::SIGIO),
    ("PWR", libc::SIGPWR),
    ("SYS", libc::SIGSYS),
];

/// Signals the kernel raises for a fault in the process itself. rinit
/// blocks and relays them like any other when a process sends them: the
/// kernel forces a real fault through a blocked mask (`force_sig_fault`
/// unblocks the signal and resets it to its default action), so a bug in
/// rinit still ends rinit, as it ends any program.
const FAULTS: [c_int; 6] = [
    libc::SIGSEGV,
    libc::SIGBUS,
    libc::SIGILL,
    libc::SIGFPE,
    libc::SIGTRAP,
    libc::SIGSYS,
];

pub const INT: Signal = Signal(libc::SIGINT);
pub const KILL: Signal = Signal(libc::SIGKILL);
pub const TERM: Signal = Signal(libc::SIGTERM);
pub const CHLD: Signal = Signal(libc::SIGCHLD);
pub const CONT: Signal = Signal(libc::SIGCONT);
pub const STOP: Signal = Signal(libc::SIGSTOP);
pub const TSTP: Signal = Signal(libc::SIGTSTP);
pub const TTIN: Signal = Signal(libc::SIGTTIN);
pub const TTOU: Signal = Signal(libc::SIGTTOU);

/// Real-time signals as the kernel numbers them, and as `kill -l`, Docker
/// and docs/behaviour.md count them: SIGRTMIN is 34, SIGRTMAX 64. The C library's
/// SIGRTMIN is no guide: glibc says 34 (it keeps 32 and 33 for thread
/// cancellation and set*id across threads), musl 35 (it keeps 32-34 for
/// timer threads, cancellation and its synccall).
pub const RTMIN: c_int = 34;
pub const RTMAX: c_int = 64;

impl Signal {
    /// kill(2) with this signal, which nix's kill cannot take (real-time
    /// signals); `pid` as kill(2) reads it. True when it reached someone.
    pub fn send(self, pid: libc::pid_t) -> bool {
        // SAFETY: kill has no memory effects; any pid and signal are safe to pass.
        unsafe { libc::kill(pid, self.0) == 0 }
    }

    /// A signal from its number: any the kernel has, 1 to 64.
    pub fn from_number(n: c_int) -> Option<Signal> {
        (1..=RTMAX).contains(&n).then_some(Signal(n))
    }

    pub fn number(self) -> c_int {
        self.0
    }

    /// Every signal rinit waits for and relays: all 64 but SIGKILL and
    /// SIGSTOP (they cannot be caught), 32 and 33 included.
    pub fn relayed() -> impl Iterator<Item = Signal> {
        (1..=RTMAX)
            .filter(|&n| n != libc::SIGKILL && n != libc::SIGSTOP)
            .map(Signal)
    }

    /// SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGSYS.
    pub fn is_fault(self) -> bool {
        FAULTS.contains(&self.0)
    }

    /// Whether rinit ever receives this signal, i.e. whether a rewrite of it
    /// can take effect. SIGCHLD is rinit's own: it reaps, never relays it.
    pub fn is_relayed(self) -> bool {
        self != CHLD && Signal::relayed().any(|s| s == self)
    }

    /// Parses `TERM`, `SIGTERM`, `sigterm`, `15`, `SIG32`, `RTMIN+3`,
    /// `SIGRTMAX-1`.
    pub fn parse(text: &str) -> Option<Signal> {
        if let Ok(n) = text.parse::<c_int>() {
            return Signal::from_number(n);
        }
        let upper = text.to_ascii_uppercase();
        let name = upper.strip_prefix("SIG").unwrap_or(&upper);
        if let Some(&(_, n)) = NAMES.iter().find(|(known, _)| *known == name) {
            return Some(Signal(n));
        }
        // SIG32, SIG33: only with the prefix, as a bare number is taken above.
        if let ("32" | "33", Ok(n)) = (name, name.parse()) {
            return Some(Signal(n));
        }
        let (base, rest) = if let Some(rest) = name.strip_prefix("RTMIN") {
            (RTMIN, rest)
        } else if let Some(rest) = name.strip_prefix("RTMAX") {
            (RTMAX, rest)
        } else {
            return None;
        };
        let offset = if rest.is_empty() {
            0
        } else {
            let digits = rest.strip_prefix('+').or_else(|| rest.strip_prefix('-'))?;
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            rest.parse::<c_int>().ok()?
        };
        let n = base.checked_add(offset)?;
        (RTMIN..=RTMAX).contains(&n).then_some(Signal(n))
    }
}

/// "SIGTERM or SIGINT": a list of signals as a line says it.
pub struct Either<'a>(pub &'a [Signal]);

impl fmt::Display for Either<'_> {
    /// "nothing" for none.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("nothing");
        }
        for (i, sig) in self.0.iter().enumerate() {
            let or = if i > 0 { " or " } else { "" };
            write!(f, "{or}{sig}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Signal {
    /// `SIGTERM`, `SIG32`, `SIGRTMIN`, `SIGRTMIN+3`, as the kernel numbers them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some((name, _)) = NAMES.iter().find(|(_, n)| *n == self.0) {
            return write!(f, "SIG{name}");
        }
        match self.0 - RTMIN {
            0 => write!(f, "SIGRTMIN"),
            o if o > 0 => write!(f, "SIGRTMIN+{o}"),
            // 32 and 33: real-time signals that no name covers.
            _ => write!(f, "SIG{}", self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_in_any_case_with_or_without_sig() {
        for text in ["TERM", "SIGTERM", "term", "SigTerm", "15"] {
            assert_eq!(Signal::parse(text), Some(TERM), "{text}");
        }
    }

    #[test]
    fn real_time_names_are_relative_to_rtmin_and_rtmax() {
        assert_eq!(Signal::parse("RTMIN"), Signal::from_number(34));
        assert_eq!(Signal::parse("SIGRTMIN+3"), Signal::from_number(37));
        assert_eq!(Signal::parse("RTMIN+30"), Signal::from_number(64));
        assert_eq!(Signal::parse("rtmax-1"), Signal::from_number(63));
        assert_eq!(Signal::parse("RTMAX+1"), None);
        assert_eq!(Signal::parse("RTMIN-1"), None);
        assert_eq!(Signal::parse("RTMIN+"), None);
        assert_eq!(Signal::parse("RTMIN+x"), None);
        assert_eq!(Signal::parse("RTMIN+99999999999999999999"), None);
    }

    #[test]
    fn nonsense_and_out_of_range_are_refused() {
        for text in ["", "0", "-1", "65", "SIG65", "FOO", "SIG", "TERM2", "1.5"] {
            assert_eq!(Signal::parse(text), None, "{text}");
        }
    }

    #[test]
    fn the_kernel_s_numbering_whatever_the_c_library_says() {
        let shown = |n| Signal(n).to_string();
        assert_eq!(
            [shown(32), shown(33), shown(34), shown(35), shown(64)],
            ["SIG32", "SIG33", "SIGRTMIN", "SIGRTMIN+1", "SIGRTMIN+30"]
        );
        assert_eq!(Signal::parse("sig32"), Signal::from_number(32));
        assert_eq!(Signal::parse("33"), Signal::from_number(33));
        assert_eq!(Signal::parse("34"), Signal::parse("RTMIN"));
    }

    #[test]
    fn display_round_trips_every_signal() {
        for n in 1..=64 {
            let sig = Signal(n);
            assert_eq!(Signal::parse(&sig.to_string()), Some(sig), "{n}");
        }
    }

    #[test]
    fn relayed_leaves_out_only_what_cannot_be_caught() {
        let relayed: Vec<_> = Signal::relayed().map(Signal::number).collect();
        for n in [libc::SIGKILL, libc::SIGSTOP] {
            assert!(!relayed.contains(&n));
        }
        for n in [
            libc::SIGTERM,
            libc::SIGABRT,
            libc::SIGSEGV,
            libc::SIGSYS,
            1,
            31,
        ] {
            assert!(relayed.contains(&n), "{n}");
        }
        for n in [32, 33, 34, 64] {
            assert!(relayed.contains(&n), "{n}");
        }
        assert!(!CHLD.is_relayed() && TERM.is_relayed());
    }
}
