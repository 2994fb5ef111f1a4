//! Taking every relayable signal for rinit, and giving the child back what
//! rinit inherited.
//!
//! rinit installs no handler: it blocks the signals and reads them from a
//! signalfd. A blocked signal is queued even when its action is the default
//! one, and even for PID 1 of a namespace, which otherwise drops signals it
//! has no handler for (see `pid_namespaces(7)`, `signalfd(2)`). Nothing runs
//! asynchronously, so no code has to be async-signal-safe but the child's
//! few steps between fork and exec.
//!
//! The mask is per thread, and the C library changes it behind rinit's back
//! when the log's writer thread starts (see `writer`): the first
//! pthread_create unblocks the real-time signals the library keeps for its
//! threads (glibc 32 and 33, musl 33 and 34) in the calling thread, and the
//! new thread starts with that mask. `block_in_this_thread` takes them back,
//! in both threads (`thread_start` guards the moment between), and the
//! signalfd is non-blocking, so a signal taken some
//! other way between `poll` and `read` never leaves rinit asleep in `read`.

use std::cell::Cell;
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};
use std::time::Duration;
use std::{io, mem, ptr};

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};

use crate::signal::{self, Signal};
use crate::sigset::{self, KernelSet};
use crate::thread_start;

/// One signal read from the kernel, with who sent it.
#[derive(Clone, Copy, Debug)]
pub struct Received {
    pub signal: Signal,
    /// The sender's pid as seen from rinit's PID namespace: 0 when the sender
    /// lives outside it (an engine signalling PID 1 from the host).
    pub sender_pid: i32,
    pub sender_uid: u32,
    /// Raised by the kernel itself (a terminal hang-up, a timer), not kill().
    pub from_kernel: bool,
}

/// What rinit was handed, to hand on to the child unchanged.
struct Inherited {
    mask: KernelSet,
    /// SIGCHLD's action when it was inherited as ignored; rinit must reset it
    /// to the default, or the kernel would reap its children before it could
    /// learn their status (see `waitpid(2)`, NOTES).
    ignored_chld: Option<libc::sigaction>,
}

pub struct Signals {
    fd: OwnedFd,
    /// Set once poll or read on the signalfd was refused.
    without_fd: Cell<bool>,
    inherited: Inherited,
    own_pid: i32,
}

/// How many signals one read takes from the kernel at most. 16 records are
/// 2 kB of stack: under a page, so the loops that hold a batch keep a frame
/// that costs rinit no resident page of its own, idle; a flood of signals
/// just takes a few more reads.
const BATCH: usize = 16;

pub type Batch = [libc::signalfd_siginfo; BATCH];

// A batch takes every signal rescued at the writer thread's start at once.
const _: () = assert!(thread_start::ROOM <= BATCH);

impl Signals {
    /// Blocks every relayed signal and opens the signalfd they are read from.
    /// Must run before the child is forked, so no signal sent meanwhile is lost.
    pub fn take_over() -> io::Result<Signals> {
        let set = KernelSet::RELAYED;
        let mut mask = KernelSet::default();
        set.mask(libc::SIG_BLOCK, Some(&mut mask))?;
        let ignored_chld = default_sigchld()?;
        // SAFETY: `set` is a kernel sigset of the size passed; the returned
        // fd is new and ours.
        let fd = check(unsafe {
            libc::syscall(
                libc::SYS_signalfd4,
                -1,
                set.words.as_ptr(),
                KernelSet::SIZE,
                libc::SFD_CLOEXEC | libc::SFD_NONBLOCK,
            )
        } as libc::c_int)?;
        Ok(Signals {
            // SAFETY: signalfd returned a new descriptor nothing else owns.
            fd: unsafe { OwnedFd::from_raw_fd(fd) },
            without_fd: Cell::new(false),
            inherited: Inherited { mask, ignored_chld },
            own_pid: std::process::id() as i32,
        })
    }

    /// The signalfd, which rinit keeps when it lets go of what it inherited.
    pub fn raw_fd(&self) -> std::os::fd::RawFd {
        self.fd.as_raw_fd()
    }

    /// The one reader of signal batches, for every loop rinit lives in
    /// (supervise, drain, pause): waits for signals, forever when `timeout`
    /// is None so an idle rinit never wakes up, and gives each but SIGCHLD
    /// to `each` in the order they came, until `each` says false. Returns
    /// whether SIGCHLD came: children exited, to be reaped in one pass
    /// (SIGCHLD coalesces). A timeout gives nothing and false.
    pub fn next(
        &self,
        timeout: Option<Duration>,
        batch: &mut Batch,
        each: &mut dyn FnMut(Received) -> bool,
    ) -> io::Result<bool> {
        let count = self.read(timeout, batch)?;
        let mut child_exited = false;
        for r in batch
            .iter()
            .take(count)
            .filter_map(|info| received(info, self.own_pid))
        {
            if r.signal == signal::CHLD {
                child_exited = true;
            } else if !each(r) {
                break;
            }
        }
        Ok(child_exited)
    }

    /// Reads whole siginfo records into `batch`, returning how many: none
    /// when the wait timed out or woke for nothing.
    fn read(&self, timeout: Option<Duration>, batch: &mut Batch) -> io::Result<usize> {
        let rescued = thread_start::take_rescued(batch);
        if rescued > 0 {
            return Ok(rescued);
        }
        if !self.without_fd.get() {
            match self.read_fd(timeout, batch) {
                Err(e) if !matches!(e.raw_os_error(), Some(libc::EBADF | libc::EFAULT)) => {
                    // poll or read refused (a seccomp profile without
                    // them): rt_sigtimedwait takes the same signals.
                    self.without_fd.set(true);
                }
                done => return done,
            }
        }
        self.take(timeout, batch)
    }

    /// The signals as rt_sigtimedwait(2) takes them, one a call: the first
    /// within `timeout`, then what else is pending.
    fn take(&self, timeout: Option<Duration>, batch: &mut Batch) -> io::Result<usize> {
        let timeout = timeout.map(|t| libc::timespec {
            tv_sec: t.as_secs().min(i32::MAX as u64) as libc::time_t,
            tv_nsec: t.subsec_nanos() as _,
        });
        let mut wait = timeout.as_ref();
        let mut taken = 0;
        for slot in batch.iter_mut() {
            match KernelSet::RELAYED.take(wait)? {
                Some(signal) => *slot = signal,
                None => break,
            }
            taken += 1;
            wait = Some(&sigset::NOW);
        }
        Ok(taken)
    }

    /// Reads the signalfd: poll, then read.
    fn read_fd(&self, timeout: Option<Duration>, batch: &mut Batch) -> io::Result<usize> {
        let timeout = match timeout {
            // Round up: waking a millisecond early would only loop again.
            Some(timeout) => {
                let millis = timeout.as_micros().div_ceil(1000).min(i32::MAX as u128) as i32;
                PollTimeout::try_from(millis).unwrap_or(PollTimeout::MAX)
            }
            None => PollTimeout::NONE,
        };
        let mut fds = [PollFd::new(self.fd.as_fd(), PollFlags::POLLIN)];
        match poll(&mut fds, timeout) {
            Ok(0) | Err(nix::errno::Errno::EINTR) => return Ok(0),
            Ok(_) => {}
            Err(e) => return Err(e.into()),
        }
        let size = mem::size_of::<libc::signalfd_siginfo>();
        // SAFETY: the buffer is BATCH whole siginfo records long; the kernel
        // writes only whole records into it.
        let read =
            unsafe { libc::read(self.fd.as_raw_fd(), batch.as_mut_ptr().cast(), size * BATCH) };
        if read < 0 {
            let err = io::Error::last_os_error();
            return match err.raw_os_error() {
                // EAGAIN: poll's signal went elsewhere before the read (the
                // descriptor never blocks, so the deadlines still hold).
                Some(libc::EINTR | libc::EAGAIN) => Ok(0),
                _ => Err(err),
            };
        }
        Ok(read as usize / size)
    }

    /// In the forked child, before exec: puts back the signal mask and the
    /// ignored SIGCHLD rinit inherited. Only async-signal-safe calls.
    pub fn restore_inherited(&self) -> io::Result<()> {
        if let Some(action) = &self.inherited.ignored_chld {
            // SAFETY: `action` is the sigaction the kernel gave us for SIGCHLD.
            check(unsafe { libc::sigaction(libc::SIGCHLD, action, ptr::null_mut()) })?;
        }
        self.inherited.mask.mask(libc::SIG_SETMASK, None)
    }
}

fn received(info: &libc::signalfd_siginfo, own_pid: i32) -> Option<Received> {
    let signal = Signal::from_number(info.ssi_signo as i32)?;
    // What the kernel raises "from" rinit itself is rinit's business, not
    // the child's: SIGPIPE when a log line meets a pipe with no reader,
    // SIGHUP and SIGCONT when rinit, a session leader, gives up its
    // terminal (TIOCNOTTY in dumb-init's setsid mode: to the terminal's
    // foreground group, rinit's own).
    if info.ssi_pid as i32 == own_pid && info.ssi_code == libc::SI_USER {
        return None;
    }
    Some(Received {
        signal,
        sender_pid: info.ssi_pid as i32,
        sender_uid: info.ssi_uid,
        // Codes above zero (SI_KERNEL and the like) are the kernel's own;
        // kill(), sigqueue() and tgkill() give zero or below.
        from_kernel: info.ssi_code > 0,
    })
}

/// Blocks every relayed signal in the calling thread again: after the C
/// library's first pthread_create, in the thread that called it and first
/// thing in the new one (see `thread_start`). Through the system call: the
/// libraries' own sigprocmask would leave their reserved numbers out.
pub fn block_in_this_thread() -> io::Result<()> {
    KernelSet::RELAYED.mask(libc::SIG_BLOCK, None)
}

/// An empty batch buffer for `Signals::wait`.
pub fn batch() -> Batch {
    // SAFETY: signalfd_siginfo is plain integers: all-zero is a valid value.
    unsafe { mem::zeroed() }
}

/// Makes sure SIGCHLD has its default action, returning the inherited action
/// when it was SIG_IGN or asked the kernel not to keep zombies.
fn default_sigchld() -> io::Result<Option<libc::sigaction>> {
    // SAFETY: sigaction is plain data: all-zero is a valid value.
    let mut old: libc::sigaction = unsafe { mem::zeroed() };
    // SAFETY: with a null new action, sigaction only reads the current one.
    check(unsafe { libc::sigaction(libc::SIGCHLD, ptr::null(), &mut old) })?;
    let discards_zombies =
        old.sa_sigaction == libc::SIG_IGN || old.sa_flags & libc::SA_NOCLDWAIT != 0;
    if !discards_zombies {
        return Ok(None);
    }
    // SAFETY: an all-zero sigaction is SIG_DFL with no flags and an empty mask.
    let default: libc::sigaction = unsafe { mem::zeroed() };
    // SAFETY: `default` is a valid sigaction.
    check(unsafe { libc::sigaction(libc::SIGCHLD, &default, ptr::null_mut()) })?;
    Ok(Some(old))
}

fn check(ret: libc::c_int) -> io::Result<libc::c_int> {
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}
