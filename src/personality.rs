//! Who rinit is asked to be: the name it was invoked under picks the
//! defaults of the init it replaces, so a symlink is all a switch takes.
//!
//! Under a peer's name rinit does what that peer does wherever the peer
//! loses nothing: its defaults, exit statuses, process-group layout, job
//! control, and what it leaves running away from PID 1. The options and the
//! fixes rinit brings (subreaper by itself, inherited SIG_IGN kept, no
//! blocked signals leaked into the child, fault signals relayed, the drain
//! as PID 1) are the same under every name.

use std::ffi::OsStr;
use std::path::Path;

use nix::errno::Errno;

/// What happens to the processes the command left behind when it exits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Leftovers {
    /// SIGTERM, `--grace`, SIGKILL, then exit: rinit's own way.
    Drain,
    /// SIGTERM to the command's group, then exit at once (dumb-init).
    TermGroup,
    /// Exit at once and leave them running (tini, catatonit, dumb-init -c).
    Leave,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Personality {
    Rinit,
    /// tini, and Docker's `docker-init`, which is tini.
    Tini {
        docker: bool,
    },
    DumbInit,
    /// catatonit, and podman's `--init`, which runs it as /run/podman-init.
    Catatonit {
        podman: bool,
    },
}

impl Personality {
    /// From argv[0]: its file name decides; anything unknown is rinit.
    pub fn from_argv0(argv0: Option<&OsStr>) -> Personality {
        let name = argv0
            .and_then(|a| Path::new(a).file_name())
            .and_then(OsStr::to_str);
        match name {
            Some("tini") | Some("tini-static") => Personality::Tini { docker: false },
            Some("docker-init") => Personality::Tini { docker: true },
            Some("dumb-init") => Personality::DumbInit,
            Some("catatonit") => Personality::Catatonit { podman: false },
            Some("podman-init") => Personality::Catatonit { podman: true },
            _ => Personality::Rinit,
        }
    }

    /// The prefix of every log line.
    pub fn name(self) -> &'static str {
        match self {
            Personality::Rinit => "rinit",
            Personality::Tini { docker: false } => "tini",
            Personality::Tini { docker: true } => "docker-init",
            Personality::DumbInit => "dumb-init",
            Personality::Catatonit { podman: false } => "catatonit",
            Personality::Catatonit { podman: true } => "podman-init",
        }
    }

    /// Whether signals go to the command's whole process group by default
    /// (tini and catatonit signal the child alone unless `-g`).
    pub fn signals_group(self) -> bool {
        matches!(self, Personality::Rinit | Personality::DumbInit)
    }

    /// dumb-init starts the command in a session of its own by default.
    pub fn setsid(self) -> bool {
        self == Personality::DumbInit
    }

    /// dumb-init's `-c` leaves its command in dumb-init's own process group
    /// (only its setsid mode makes a new one): Ctrl-Z reaches both. In both
    /// of its modes dumb-init stops itself after relaying SIGTSTP, SIGTTIN or
    /// SIGTTOU, so the shell that started it sees the job stopped: the two
    /// layouts it has (`settings::Layout`) carry that.
    pub fn shares_group_when_single_child(self) -> bool {
        self == Personality::DumbInit
    }

    /// What the peer does with what its command left behind, away from
    /// PID 1 (as PID 1 rinit always drains: the kernel would SIGKILL it all).
    pub fn leftovers(self, setsid: bool) -> Leftovers {
        match self {
            Personality::Rinit => Leftovers::Drain,
            Personality::DumbInit if setsid => Leftovers::TermGroup,
            _ => Leftovers::Leave,
        }
    }

    /// How many `-v` make which level: dumb-init has one level, its `-v`
    /// shows everything, reaped processes included.
    pub fn verbose_is_debug(self) -> bool {
        self == Personality::DumbInit
    }

    /// Exit status for a usage error.
    pub fn usage_status(self) -> i32 {
        match self {
            Personality::Rinit => 2,
            _ => 1,
        }
    }

    /// Exit status when the command cannot be started.
    pub fn exec_status(self, errno: Errno) -> i32 {
        let not_found = matches!(errno, Errno::ENOENT | Errno::ENOTDIR);
        match self {
            Personality::DumbInit => 2,
            Personality::Tini { .. } if not_found => 127,
            Personality::Tini { .. } if errno == Errno::EACCES => 126,
            Personality::Tini { .. } => 1,
            _ if not_found => 127,
            _ => 126,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_name_of_argv0_decides() {
        let of = |s: &str| Personality::from_argv0(Some(OsStr::new(s)));
        assert_eq!(of("/sbin/tini"), Personality::Tini { docker: false });
        assert_eq!(
            of("/usr/bin/tini-static"),
            Personality::Tini { docker: false }
        );
        assert_eq!(of("/sbin/docker-init"), Personality::Tini { docker: true });
        assert_eq!(of("dumb-init"), Personality::DumbInit);
        assert_eq!(
            of("/usr/libexec/podman/catatonit"),
            Personality::Catatonit { podman: false }
        );
        assert_eq!(
            of("/run/podman-init"),
            Personality::Catatonit { podman: true }
        );
        assert_eq!(of("/sbin/rinit"), Personality::Rinit);
        assert_eq!(of("/sbin/init"), Personality::Rinit);
        assert_eq!(Personality::from_argv0(None), Personality::Rinit);
    }

    #[test]
    fn exit_statuses_follow_each_peer() {
        let tini = Personality::Tini { docker: true };
        assert_eq!(tini.exec_status(Errno::ENOENT), 127);
        assert_eq!(tini.exec_status(Errno::EACCES), 126);
        assert_eq!(tini.exec_status(Errno::ENOEXEC), 1);
        assert_eq!(Personality::DumbInit.exec_status(Errno::ENOENT), 2);
        assert_eq!(Personality::Rinit.exec_status(Errno::ENOEXEC), 126);
        assert_eq!(Personality::Rinit.usage_status(), 2);
        assert_eq!(Personality::DumbInit.usage_status(), 1);
    }
}
