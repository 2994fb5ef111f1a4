//! Starting the command: fork, a process group of its own, the terminal's
//! foreground, the inherited signal state, and exec with a PATH search.
//!
//! Everything the child needs is prepared beforehand; between clone and exec
//! the child makes only async-signal-safe system calls and allocates
//! nothing. An exec failure comes back in shared memory, so rinit itself
//! reports it.

mod listen_pid;

use std::ffi::{CString, OsStr, OsString};
use std::mem::MaybeUninit;
use std::os::fd::BorrowedFd;
use std::os::unix::ffi::OsStrExt;

use libc::c_char;
use nix::errno::Errno;
use nix::unistd::{self, Pid};

use crate::escape;
use crate::personality::Personality;
use crate::signals::Signals;
use crate::thread_start;
use listen_pid::ListenPid;

/// Docker's default PATH, for when the environment has none.
const DEFAULT_PATH: &[u8] = b"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The command, ready for exec: argv as C strings and every path to try.
pub struct Command {
    argv: Vec<CString>,
    /// Null-terminated pointers into `argv`, built before fork: the child
    /// then needs no allocation to exec.
    argv_ptrs: Vec<*const c_char>,
    candidates: Vec<CString>,
    /// Set when the environment needs the child's pid (see `ListenPid`).
    listen_pid: Option<ListenPid>,
}

/// How the command's process group relates to rinit's session.
#[derive(Clone, Copy)]
pub enum Session {
    /// A new process group in rinit's session, which takes the terminal's
    /// foreground when `take_terminal`.
    Group { take_terminal: bool },
    /// A session of its own that takes the terminal, if it can (dumb-init).
    New,
    /// rinit's own process group (dumb-init's `-c`).
    Shared,
}

/// Why the command did not start: the call that failed, "clone" (no
/// child: pids.max, seccomp), "exec", or one the child made before it.
pub struct SpawnError {
    pub call: &'static str,
    pub errno: Errno,
}

impl Command {
    /// Builds the command from its words, searching PATH like `execvp(3)` for
    /// a name without a slash. Bytes pass through untouched.
    pub fn new(words: &[OsString]) -> Command {
        // rinit's own argv came as C strings, so no word holds a NUL byte.
        let argv: Vec<CString> = words
            .iter()
            .map(|w| CString::new(w.as_bytes()).unwrap_or_default())
            .collect();
        let argv_ptrs = argv
            .iter()
            .map(|a| a.as_ptr())
            .chain([std::ptr::null()])
            .collect();
        let name = words.first().map(|w| w.as_bytes()).unwrap_or_default();
        // PATH only for a name without a slash: each lookup scans the
        // environment, and start-up time is the product.
        let candidates = match name.contains(&b'/') {
            true => candidates(name, b""),
            false => {
                let path = std::env::var_os("PATH");
                candidates(name, path.as_deref().map_or(DEFAULT_PATH, OsStr::as_bytes))
            }
        };
        Command {
            argv,
            argv_ptrs,
            candidates,
            listen_pid: ListenPid::if_for(unistd::getpid),
        }
    }

    /// The command line as one string for log lines, escaped: it came
    /// from outside, and may hold newlines or terminal escapes.
    pub fn display(&self) -> String {
        let words: Vec<&[u8]> = self.argv.iter().map(|w| w.as_bytes()).collect();
        escape::shown(&words.join(&b' '), escape::COMMAND)
    }

    /// Forks and execs the command in a new process group or session.
    /// Returns once exec has happened (or failed, after reaping the failed
    /// child).
    /// `personality` gives the status a failed exec exits with.
    pub fn spawn(
        &mut self,
        signals: &Signals,
        session: Session,
        personality: Personality,
    ) -> Result<Pid, SpawnError> {
        if matches!(session, Session::New) {
            give_up_terminal();
        }
        let mut stack: Vec<MaybeUninit<u8>> = Vec::with_capacity(CHILD_STACK);
        // The stack grows down: the child starts at the top, 16-byte aligned.
        let top = stack.as_mut_ptr().wrapping_add(CHILD_STACK);
        let top = top.wrapping_sub(top as usize % 16);
        let mut shared = Shared {
            command: self,
            signals,
            session,
            personality,
            errno: 0,
            failed: "",
            // Asked before the clone copies rinit's signal actions.
            thread_start: thread_start::ignoring(),
        };
        let shared_ptr: *mut Shared = &mut shared;
        // CLONE_VM | CLONE_VFORK, as posix_spawn does it: the child runs in
        // rinit's memory (no page tables to copy) while rinit waits, until
        // the child has exec'd or exited. rinit installs no signal handlers,
        // so nothing but `child_main` ever runs in the child.
        // SAFETY: `top` ends a live, writable, aligned CHILD_STACK-byte block
        // and `shared_ptr` points to a live `Shared`; both outlive the call,
        // since CLONE_VFORK returns only once the child is done with them.
        let pid = unsafe {
            libc::clone(
                child_main,
                top.cast(),
                libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD,
                shared_ptr.cast(),
            )
        };
        if pid < 0 {
            return Err(SpawnError {
                call: "clone",
                errno: Errno::last(),
            });
        }
        let child = Pid::from_raw(pid);
        // SAFETY: the child is done (CLONE_VFORK); a volatile read because
        // the write came from a function the compiler saw nothing of.
        let (errno, failed) = unsafe {
            (
                std::ptr::read_volatile(std::ptr::addr_of!((*shared_ptr).errno)),
                std::ptr::read_volatile(std::ptr::addr_of!((*shared_ptr).failed)),
            )
        };
        if errno == 0 {
            return Ok(child);
        }
        // The child has exited already; collect it so it is not counted as
        // the main child's exit later.
        let _ = nix::sys::wait::waitpid(child, None);
        Err(SpawnError {
            call: failed,
            errno: Errno::from_raw(errno),
        })
    }

    /// In the child: sets up and execs; returns only the call that failed
    /// and its error.
    fn become_command(&mut self, signals: &Signals, session: Session) -> (&'static str, Errno) {
        match session {
            Session::Group { take_terminal } => {
                if let Err(e) = unistd::setpgid(Pid::from_raw(0), Pid::from_raw(0)) {
                    return ("setpgid", e);
                }
                if take_terminal {
                    // SIGTTOU is still blocked here, so a background group may
                    // take the foreground. A failure only means no usable
                    // terminal: go on.
                    let _ = unistd::tcsetpgrp(stdin(), unistd::getpid());
                }
            }
            Session::New => {
                if let Err(e) = unistd::setsid() {
                    return ("setsid", e);
                }
                // Take stdin's terminal if no session holds it (0: never
                // steal it). Without one, the command runs without a terminal.
                // SAFETY: TIOCSCTTY takes an int argument and touches no memory.
                let _ = unsafe { libc::ioctl(libc::STDIN_FILENO, libc::TIOCSCTTY, 0) };
            }
            Session::Shared => {}
        }
        if let Some(env) = &mut self.listen_pid {
            env.fill_in(unistd::getpid());
        }
        if let Err(e) = signals.restore_inherited() {
            let errno = Errno::from_raw(e.raw_os_error().unwrap_or(libc::EINVAL));
            return ("sigprocmask", errno);
        }
        ("exec", self.exec())
    }

    /// Tries each candidate path as `execvp(3)` does, but never falls back to
    /// running the file with /bin/sh: rinit runs no shell of its own.
    fn exec(&self) -> Errno {
        let mut denied = false;
        let mut last = Errno::ENOENT;
        for path in &self.candidates {
            // SAFETY: `path`, `argv_ptrs` and the environment's pointers are
            // NUL-terminated and live; on success exec does not return.
            unsafe {
                match &self.listen_pid {
                    None => libc::execv(path.as_ptr(), self.argv_ptrs.as_ptr()),
                    Some(env) => {
                        libc::execve(path.as_ptr(), self.argv_ptrs.as_ptr(), env.ptrs.as_ptr())
                    }
                }
            };
            last = Errno::last();
            match last {
                Errno::EACCES => denied = true,
                // Not here: try the next directory of PATH.
                Errno::ENOENT
                | Errno::ENOTDIR
                | Errno::ESTALE
                | Errno::ENODEV
                | Errno::ETIMEDOUT => {}
                _ => return last,
            }
        }
        if denied {
            Errno::EACCES
        } else {
            last
        }
    }
}

/// dumb-init's way into a new session: when rinit leads its session and
/// stdin is its controlling terminal, it lets go of it, so the command's new
/// session can take it. The kernel then sends rinit's group SIGHUP and
/// SIGCONT "from" rinit itself: the signal loop discards those as rinit's own.
fn give_up_terminal() {
    let leads_session = unistd::getsid(None).is_ok_and(|sid| sid == unistd::getpid());
    if leads_session && unistd::isatty(stdin()).unwrap_or(false) {
        // SAFETY: TIOCNOTTY takes no argument and touches no memory.
        unsafe { libc::ioctl(libc::STDIN_FILENO, libc::TIOCNOTTY) };
    }
}

/// The paths exec tries for `name`: itself when it holds a slash, else each
/// PATH directory joined with it (an empty directory means the current one).
fn candidates(name: &[u8], path: &[u8]) -> Vec<CString> {
    if name.is_empty() {
        return Vec::new();
    }
    if name.contains(&b'/') {
        return CString::new(name).into_iter().collect();
    }
    path.split(|&b| b == b':')
        .filter_map(|dir| {
            let dir = if dir.is_empty() { &b"."[..] } else { dir };
            let mut full = Vec::with_capacity(dir.len() + 1 + name.len());
            full.extend_from_slice(dir);
            full.push(b'/');
            full.extend_from_slice(name);
            CString::new(full).ok()
        })
        .collect()
}

/// The child's stack: its few frames need far less.
const CHILD_STACK: usize = 64 * 1024;

/// What rinit and the child share through CLONE_VM.
struct Shared<'a> {
    command: &'a mut Command,
    signals: &'a Signals,
    session: Session,
    personality: Personality,
    /// Set by the child when it could not exec; 0 means it did.
    errno: i32,
    /// The call that failed: "exec", or a step before it.
    failed: &'static str,
    /// The writer thread's start had signals ignored at the clone.
    thread_start: bool,
}

/// The child, on its own stack in rinit's memory: sets up, execs, and on
/// failure leaves the errno for rinit and exits.
extern "C" fn child_main(arg: *mut libc::c_void) -> libc::c_int {
    // SAFETY: `arg` is the `Shared` that `spawn` passed, untouched by rinit
    // until this child has exec'd or exited (CLONE_VFORK).
    let shared = unsafe { &mut *arg.cast::<Shared>() };
    if shared.thread_start {
        thread_start::restore();
    }
    let (failed, errno) = shared
        .command
        .become_command(shared.signals, shared.session);
    shared.errno = errno as i32;
    shared.failed = failed;
    // The status rinit would exit with, in case the errno above never
    // reaches it: where CLONE_VM is not honoured (qemu-user turns this clone
    // into a fork) rinit only sees this child exit.
    let status = shared.personality.exec_status(errno);
    // SAFETY: _exit leaves at once, running nothing of rinit's: the
    // memory is still rinit's.
    unsafe { libc::_exit(status) }
}

/// Whether rinit's process group is the foreground group of the terminal on
/// stdin: only then does the child take the foreground (a background rinit
/// must not steal it).
pub fn owns_foreground() -> bool {
    matches!(unistd::tcgetpgrp(stdin()), Ok(pgrp) if pgrp == unistd::getpgrp())
}

/// Descriptor 0, for the terminal calls. Not std's `io::stdin()`: its
/// first use builds a read buffer rinit never reads through, at every
/// start (and, in the child, in rinit's memory; docs/benchmarks.md).
fn stdin() -> BorrowedFd<'static> {
    // SAFETY: only borrowed for one call. rinit never closes descriptor 0
    // (it lets go of those above 2 only); if it came closed, the call fails
    // with EBADF, which every caller takes as "no terminal".
    unsafe { BorrowedFd::borrow_raw(libc::STDIN_FILENO) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_with_a_slash_is_not_searched() {
        let found = candidates(b"./app", b"/bin:/usr/bin");
        assert_eq!(found, [CString::new("./app").unwrap()]);
    }

    #[test]
    fn a_bare_name_is_tried_in_each_path_directory_in_order() {
        let found = candidates(b"app", b"/a::/b");
        let expected: Vec<_> = ["/a/app", "./app", "/b/app"]
            .iter()
            .map(|p| CString::new(*p).unwrap())
            .collect();
        assert_eq!(found, expected);
    }

    #[test]
    fn an_empty_name_has_nowhere_to_be() {
        assert!(candidates(b"", b"/bin").is_empty());
    }
}
