//! Where log lines go, and how each is written without waiting long.
//!
//! stderr is shared with the command and may be a pipe nobody drains, a
//! terminal whose reader stalled, a socket, a file or closed. rinit never
//! sets O_NONBLOCK on the open file description it shares with the command.
//! Where the kernel lets rinit write without sleeping it does so itself,
//! waiting at most its patience for room: through its own non-blocking open
//! of the same file, or asking each write not to wait (RWF_NOWAIT for a
//! pipe it may not reopen, MSG_DONTWAIT for a socket). Everywhere else a
//! write may sleep, and the line goes to the writer thread (`writer`).
//! A write to a pipe with no reader fails with EPIPE: the SIGPIPE that
//! comes with it is blocked and discarded by the signal loop (see
//! `signals`), so it never kills rinit.

use std::cell::Cell;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::stat::SFlag;

use super::writer::{self, Queued};
use crate::procfs;

pub enum Sink {
    /// A private non-blocking open of stderr's file (pipe, FIFO, terminal,
    /// character device).
    NonBlocking(OwnedFd),
    /// stderr itself, each write asked not to wait; set once the kernel
    /// refused (EOPNOTSUPP: a named FIFO, a kernel before 6.4; EPERM or
    /// ENOSYS: a seccomp profile without pwritev2 or sendto), from when
    /// on the writer thread writes.
    NoWait(How, Cell<bool>),
    /// stderr itself, written by the writer thread: a terminal rinit may not
    /// open, a pipe without RWF_NOWAIT, a regular file.
    Thread(Stderr),
    /// stderr is closed.
    Closed,
}

/// How one write is asked not to wait.
#[derive(Clone, Copy)]
pub enum How {
    Socket,
    Pipe,
}

/// What stderr is, from its fstat at start.
#[derive(Clone, Copy)]
pub struct Stderr {
    kind: SFlag,
    /// A regular file on a local file system, where a write waits for
    /// nothing slower than the disk (not NFS, SMB, FUSE, 9p, Ceph ...).
    local_file: bool,
}

/// What kind of file stderr is (None: closed). Asked at start, before the
/// command runs: an fstat (or fstatfs) of a file on a stalled NFS mount
/// may sleep.
pub fn stderr_kind() -> Option<Stderr> {
    // SAFETY: fd 2 is only borrowed for the fstat; if it is closed, fstat
    // fails and nothing else touches it.
    let stderr = unsafe { BorrowedFd::borrow_raw(libc::STDERR_FILENO) };
    let stat = nix::sys::stat::fstat(stderr).ok()?;
    let kind = SFlag::from_bits_truncate(stat.st_mode) & SFlag::S_IFMT;
    let local_file = kind == SFlag::S_IFREG && on_local_disk(stderr);
    Some(Stderr { kind, local_file })
}

impl Sink {
    /// The sink for stderr (`stderr_kind`): nothing here sleeps, so it may
    /// be made with the first line, once the command runs.
    pub fn for_stderr(stderr: Option<Stderr>) -> Sink {
        let Some(stderr) = stderr else {
            return Sink::Closed;
        };
        let kind = stderr.kind;
        if kind == SFlag::S_IFREG {
            // O_NONBLOCK means nothing to a regular file, and its file
            // system may stall (NFS, FUSE): only a thread can bound that.
            return Sink::Thread(stderr);
        }
        if kind == SFlag::S_IFSOCK {
            return Sink::NoWait(How::Socket, Cell::new(false));
        }
        // Opening /proc/self/fd/2 gives a new open file description of the
        // same pipe or terminal, so O_NONBLOCK there leaves the command's
        // alone. O_NOCTTY: opening a terminal must never make it rinit's.
        let flags = libc::O_WRONLY | libc::O_NONBLOCK | libc::O_NOCTTY;
        let reopened = procfs::open(c"/proc/self/fd/2", flags);
        if let Ok(file) = reopened {
            return Sink::NonBlocking(file.into());
        }
        // Refused (another user's pipe or terminal) or no /proc. A pipe may
        // take RWF_NOWAIT (anonymous pipes since Linux 6.4; a write of
        // nothing cannot tell: the kernel returns 0 before looking at the
        // flag), so the first line finds out, and goes to the writer thread
        // if not. A terminal never takes it.
        match kind == SFlag::S_IFIFO {
            true => Sink::NoWait(How::Pipe, Cell::new(false)),
            false => Sink::Thread(stderr),
        }
    }

    /// rinit's own descriptor for it, if it has one.
    pub fn own_fd(&self) -> Option<RawFd> {
        match self {
            Sink::NonBlocking(fd) => Some(fd.as_raw_fd()),
            _ => None,
        }
    }

    /// Writes `line`, waiting at most `patience` for room; false when it
    /// did not go out whole (a part may have: a terminal takes what fits).
    pub fn write(&self, line: &[u8], patience: Duration) -> bool {
        let file = match self {
            Sink::NonBlocking(fd) => return write_within(fd.as_fd(), line, None, patience).whole(),
            Sink::NoWait(how, refused) if !refused.get() => {
                match write_within(stderr(), line, Some(*how), patience) {
                    Written::Refused => refused.set(true),
                    went => return went.whole(),
                }
                None
            }
            Sink::NoWait(..) => None,
            Sink::Thread(stderr) => Some(*stderr),
            Sink::Closed => return true,
        };
        match writer::queue(line) {
            Queued::Yes => true,
            Queued::Full => false,
            // No thread to wait in: the line goes out now only where that
            // cannot wait long: a file on a local disk, or with RWF_NOWAIT
            // (a pipe; a terminal refuses it, and the line is lost).
            Queued::NoThread => {
                let how = match file {
                    Some(f) if f.local_file => None,
                    _ => Some(How::Pipe),
                };
                write_within(stderr(), line, how, patience).whole()
            }
        }
    }

    /// Gives the writer thread a bounded time to write what it holds.
    pub fn flush(&self, patience: Duration) {
        if matches!(self, Sink::Thread(_) | Sink::NoWait(..)) {
            writer::flush(patience, FLUSH_MOST);
        }
    }
}

/// What became of one line.
enum Written {
    Whole,
    /// Not whole: no room in time, or an error of the file's own (EPIPE:
    /// no reader).
    Failed,
    /// The first write failed for a reason of the call's (EOPNOTSUPP for
    /// RWF_NOWAIT, or EPERM, ENOSYS, EINVAL from a seccomp profile that
    /// does not know it): another way may still take the line.
    Refused,
}

impl Written {
    fn whole(self) -> bool {
        matches!(self, Written::Whole)
    }
}

/// fd 2 itself.
fn stderr() -> BorrowedFd<'static> {
    // SAFETY: fd 2 stays open for rinit's whole life: rinit never closes
    // it, and a closed stderr is `Sink::Closed`.
    unsafe { BorrowedFd::borrow_raw(libc::STDERR_FILENO) }
}

/// Writes `line` to `fd` (each write asked not to wait as `how` says),
/// waiting at most `patience` for room.
#[inline(never)]
fn write_within(fd: BorrowedFd<'_>, line: &[u8], how: Option<How>, patience: Duration) -> Written {
    let deadline = Instant::now().checked_add(patience);
    let mut rest = line;
    while !rest.is_empty() {
        match write_once(fd, rest, how) {
            Ok(n) => rest = rest.get(n..).unwrap_or_default(),
            Err(Errno::EINTR) => {}
            Err(Errno::EAGAIN) if room(fd, deadline) => {}
            Err(Errno::EAGAIN | Errno::EPIPE) => return Written::Failed,
            Err(_) if rest.len() == line.len() => return Written::Refused,
            Err(_) => return Written::Failed,
        }
    }
    Written::Whole
}

/// Whether the file system under `fd` is one whose writes wait only for
/// the local disk. Unknown (fstatfs failed) counts as not.
fn on_local_disk(fd: BorrowedFd<'_>) -> bool {
    // Network and user-space file systems, whose writes may wait on a
    // server or a process (statfs(2)'s magic numbers): NFS, SMB2, CIFS,
    // FUSE, Ceph, 9p.
    const REMOTE: [u32; 6] = [
        0x6969,
        0xFE53_4D42,
        0xFF53_4D42,
        0x6573_5546,
        0x00C3_6400,
        0x0102_1997,
    ];
    // The kernel's struct statfs begins with f_type on every architecture
    // rinit ships; the rest is room (the C library's wrapper costs size).
    let mut fs = [0u32; 32];
    // SAFETY: `fs` is 128 live bytes, more than any struct statfs.
    let known = unsafe { libc::syscall(libc::SYS_fstatfs, fd.as_raw_fd(), fs.as_mut_ptr()) } == 0;
    // Its first 32 bits hold the magic number: f_type is 32 bits on s390x
    // and the 32-bit machines, 64 on the other, little-endian, ones.
    known && fs.first().is_some_and(|t| !REMOTE.contains(t))
}

/// The longest rinit waits at exit for its last lines.
const FLUSH_MOST: Duration = Duration::from_secs(1);

/// Whether `fd` has room before `deadline` (None: not at all).
fn room(fd: BorrowedFd<'_>, deadline: Option<Instant>) -> bool {
    let left = deadline.and_then(|d| d.checked_duration_since(Instant::now()));
    let Some(left) = left.filter(|l| !l.is_zero()) else {
        return false;
    };
    let millis = u16::try_from(left.as_millis().max(1)).unwrap_or(u16::MAX);
    let mut fds = [PollFd::new(fd, PollFlags::POLLOUT)];
    matches!(poll(&mut fds, PollTimeout::from(millis)), Ok(n) if n > 0)
}

/// One write, not waiting: how many bytes went.
fn write_once(fd: BorrowedFd<'_>, bytes: &[u8], how: Option<How>) -> nix::Result<usize> {
    let raw = fd.as_raw_fd();
    let written = match how {
        // SAFETY: `bytes` is a live buffer of `bytes.len()` bytes and `fd` is open.
        None => unsafe { libc::write(raw, bytes.as_ptr().cast(), bytes.len()) },
        Some(How::Socket) => {
            let flags = libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL;
            // SAFETY: as above.
            unsafe { libc::send(raw, bytes.as_ptr().cast(), bytes.len(), flags) }
        }
        Some(How::Pipe) => no_wait_write(raw, bytes) as isize,
    };
    usize::try_from(written).map_err(|_| Errno::last())
}

/// pwritev2(2) at the current position (-1) with RWF_NOWAIT: EAGAIN where
/// a plain write would wait. Through syscall(2): musl has no wrapper. The
/// position goes as two halves (low, high), all ones for -1 on any word size.
fn no_wait_write(fd: libc::c_int, bytes: &[u8]) -> libc::c_long {
    let iov = libc::iovec {
        iov_base: bytes.as_ptr().cast_mut().cast(),
        iov_len: bytes.len(),
    };
    // Each half as a whole register: a bare -1 would go as a 32-bit int,
    // 0xffffffff in a 64-bit register, a position the kernel refuses on a
    // pipe (ESPIPE), so the probe would always fail.
    let whole: libc::c_long = -1;
    // SAFETY: `iov` describes a live buffer the kernel only reads.
    unsafe {
        libc::syscall(
            libc::SYS_pwritev2,
            fd,
            &iov,
            1,
            whole,
            whole,
            libc::RWF_NOWAIT,
        )
    }
}
