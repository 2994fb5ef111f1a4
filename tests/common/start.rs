//! How a test starts what it runs: in a new PID namespace (`Namespace`),
//! from the clean slate an engine gives a container's first process, and
//! with what the test wants it to inherit (an ignored or blocked signal, a
//! descriptor, a terminal).

use std::fs;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

use super::{rinit_bin, Mode};

/// How a test runs a program (rinit, most often) in a new PID namespace:
/// as its PID 1 or below a shell that holds PID 1 (`Mode`), as root or as
/// another user, with what the namespace's first process does before and
/// after it. Whatever happens, `unshare --kill-child` takes the namespace
/// when the test kills what it started.
pub struct Namespace {
    mode: Mode,
    uid: Option<u32>,
    own_mounts: bool,
    before: Option<String>,
    after: Option<String>,
}

impl Namespace {
    pub fn new(mode: Mode) -> Namespace {
        Namespace {
            mode,
            uid: None,
            own_mounts: false,
            before: None,
            after: None,
        }
    }

    /// As `uid` (and its gid, no other groups) when given, through setpriv:
    /// the test, root, keeps what it made for rinit (a pipe, a pty) root's.
    pub fn user(mut self, uid: Option<u32>) -> Namespace {
        self.uid = uid;
        self
    }

    /// A mount namespace of its own, /proc left as it was: `before` decides
    /// what /proc shows.
    pub fn own_mounts(mut self) -> Namespace {
        self.own_mounts = true;
        self
    }

    /// A shell line the namespace's first process runs first; the program
    /// starts only if it succeeds.
    pub fn before(mut self, line: &str) -> Namespace {
        self.before = Some(line.to_owned());
        self
    }

    /// Below a shell (Mode::Subreaper): a shell line it runs once the
    /// program has ended, before it exits with the program's status.
    pub fn after(mut self, line: &str) -> Namespace {
        self.after = Some(line.to_owned());
        self
    }

    /// `rinit ARGS` there.
    pub fn rinit(&self, args: &[&str]) -> Command {
        self.command(rinit_bin(), args)
    }

    /// `PROGRAM ARGS` there, from a clean slate.
    pub fn command(&self, program: &str, args: &[&str]) -> Command {
        let mut cmd = Command::new("unshare");
        cmd.args(["--pid", "--fork", "--kill-child"]);
        match self.own_mounts {
            true => cmd.args(["--mount", "--propagation", "private"]),
            false => cmd.arg("--mount-proc"),
        };
        if !is_root() && self.uid.is_none() {
            cmd.args(["--user", "--map-root-user"]);
        }
        cmd.arg("--");
        let run = match (self.mode, &self.after) {
            (Mode::Pid1, _) => "exec \"$@\"".to_owned(),
            // `; exit` keeps the shell from exec'ing the program.
            (Mode::Subreaper, None) => "\"$@\"; exit $?".to_owned(),
            (Mode::Subreaper, Some(after)) => format!("\"$@\"; s=$?; {after}; exit $s"),
        };
        match &self.before {
            Some(before) => {
                cmd.args(["sh", "-c", &format!("{before} && {{ {run}; }}"), "sh"]);
            }
            None if self.mode == Mode::Subreaper => {
                cmd.args(["sh", "-c", &run, "sh"]);
            }
            None => {}
        }
        if let Some(uid) = self.uid {
            let (reuid, regid) = (format!("--reuid={uid}"), format!("--regid={uid}"));
            // The kernel clears the parent-death signal unshare --kill-child
            // set when the user changes: kept, rinit as PID 1 still dies
            // with unshare, and takes its namespace along, when the test
            // kills it.
            cmd.args(["setpriv", &reuid, &regid, "--clear-groups"]);
            cmd.args(["--pdeathsig", "keep", "--"]);
        }
        cmd.arg(program).args(args);
        clean_slate(&mut cmd);
        cmd
    }
}

/// Starts `cmd` the way an engine starts a container's first process: every
/// signal at its default action, none blocked, only fds 0-2 open. The test
/// process itself may have inherited otherwise; tests then add their own.
pub fn clean_slate(cmd: &mut Command) {
    unsafe {
        cmd.pre_exec(|| {
            for sig in 1..=64 {
                if sig != libc::SIGKILL && sig != libc::SIGSTOP {
                    // The raw system call: glibc refuses to touch 32 and 33.
                    let default = [0usize; 4];
                    libc::syscall(
                        libc::SYS_rt_sigaction,
                        sig,
                        default.as_ptr(),
                        std::ptr::null_mut::<u8>(),
                        8,
                    );
                }
            }
            let empty = [0u64; 1];
            libc::syscall(
                libc::SYS_rt_sigprocmask,
                libc::SIG_SETMASK,
                empty.as_ptr(),
                std::ptr::null_mut::<u8>(),
                8,
            );
            libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, 0u32);
            Ok(())
        });
    }
}

pub fn is_root() -> bool {
    unsafe { libc::geteuid() == 0 }
}

/// Makes `cmd` start with `sig` ignored, as an inherited SIG_IGN.
pub fn inherit_ignored(cmd: &mut Command, sig: i32) {
    unsafe {
        cmd.pre_exec(move || {
            libc::signal(sig, libc::SIG_IGN);
            Ok(())
        });
    }
}

/// Makes `cmd` start with `sig` blocked.
pub fn inherit_blocked(cmd: &mut Command, sig: i32) {
    unsafe {
        cmd.pre_exec(move || {
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            libc::sigaddset(&mut set, sig);
            libc::sigprocmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
            Ok(())
        });
    }
}

/// Hands `cmd` an extra open descriptor, `fd`, that is not close-on-exec.
pub fn inherit_fd(cmd: &mut Command, fd: i32) {
    unsafe {
        cmd.pre_exec(move || {
            libc::dup2(0, fd);
            Ok(())
        });
    }
}

/// Gives `cmd` a new pty as stdin, stdout and stderr; with `session`, also
/// a session of its own with the pty as controlling terminal, as a terminal
/// emulator or `docker run -it` sets it up. Returns the master side.
pub fn attach_pty(cmd: &mut Command, session: bool) -> fs::File {
    let pty = nix::pty::openpty(None, None).unwrap();
    cmd.stdin(Stdio::from(pty.slave.try_clone().unwrap()))
        .stdout(Stdio::from(pty.slave.try_clone().unwrap()))
        .stderr(Stdio::from(pty.slave));
    if session {
        unsafe {
            cmd.pre_exec(|| {
                libc::setsid();
                libc::ioctl(0, libc::TIOCSCTTY, 0);
                Ok(())
            });
        }
    }
    fs::File::from(pty.master)
}
