//! Log lines on stderr, `[rinit] ...`, that never block rinit for long.
//!
//! stderr is shared with the child and may be a pipe nobody drains, a
//! stopped terminal or a closed descriptor. rinit never sets O_NONBLOCK on
//! the open file description it shares with the child: it writes through
//! its own non-blocking one of the same file, or, where it may not open one
//! (a root-owned pipe and rinit running as another user), asks each write
//! not to wait (RWF_NOWAIT). It waits a little when the pipe is full, and
//! drops the line rather than hang PID 1. A write to a pipe with no reader fails with
//! EPIPE: the SIGPIPE that comes with it is blocked and discarded by the
//! signal loop (see `signals`), so it never kills rinit.

use std::cell::Cell;
use std::fmt::{self, Write as _};
use std::fs::OpenOptions;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::stat::SFlag;

use crate::event::{self, Event};

/// How much rinit says: 0 warnings and errors, 1 (`-v`) lifecycle events,
/// 2 (`-vv`) every reaped process.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Warn = 0,
    Info = 1,
    Debug = 2,
}

impl Level {
    fn name(self) -> &'static str {
        match self {
            Level::Warn => "warn",
            Level::Info => "info",
            Level::Debug => "debug",
        }
    }

    pub fn from_count(count: u32) -> Level {
        match count {
            0 => Level::Warn,
            1 => Level::Info,
            _ => Level::Debug,
        }
    }
}

/// A line longer than a pipe's atomic write size is cut: it then reaches a
/// shared pipe in one piece, never interleaved with the child's output.
const LINE_MAX: usize = libc::PIPE_BUF;

/// How long one line may wait, in milliseconds, for room in a full stderr.
const WRITE_PATIENCE_MS: u16 = 100;

enum Sink {
    /// A private non-blocking open of stderr's file (pipe, FIFO, terminal).
    NonBlocking(OwnedFd),
    /// stderr itself, each write asked not to wait: MSG_DONTWAIT for a
    /// socket, RWF_NOWAIT for a pipe rinit may not reopen (Linux 6.4+).
    NoWait(How),
    /// stderr itself, a regular file: writes do not wait for a reader.
    File,
    /// stderr itself where nothing above works (a pipe rinit may not reopen
    /// before Linux 6.4, a terminal it may not open): checked for room
    /// before each line, so only the command filling it in that very
    /// instant could hold a line up.
    Checked,
    /// stderr is closed.
    Closed,
}

/// How one write is asked not to wait.
#[derive(Clone, Copy)]
enum How {
    Socket,
    Pipe,
}

/// How lines look: `[rinit] message`, or one JSON object a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

pub struct Log {
    prefix: &'static str,
    level: Level,
    format: Format,
    sink: Sink,
    /// Set once a line was dropped: later lines do not wait for room again
    /// until one gets through, so a stuck reader costs rinit no time.
    stuck: Cell<bool>,
}

impl Log {
    pub fn new(prefix: &'static str, level: Level, format: Format) -> Log {
        Log {
            prefix,
            level,
            format,
            sink: Sink::for_stderr(),
            stuck: Cell::new(false),
        }
    }

    /// The descriptor of rinit's own open of stderr, if it has one.
    pub fn own_fd(&self) -> Option<std::os::fd::RawFd> {
        match &self.sink {
            Sink::NonBlocking(fd) => Some(fd.as_raw_fd()),
            _ => None,
        }
    }

    pub fn enabled(&self, level: Level) -> bool {
        level <= self.level
    }

    /// Writes one line: `[prefix] message`, or in JSON the message with
    /// the event's facts.
    // Never inlined: its page-sized buffer would make every caller's frame
    // a page bigger, and the stack probes of such a frame make that page
    // resident even when nothing is logged (rinit without -v, idle).
    #[inline(never)]
    pub fn line(&self, level: Level, event: Option<&Event<'_>>, args: fmt::Arguments<'_>) {
        let mut line = LineBuf::default();
        // A full buffer only truncates the line; nothing else can fail here.
        let _ = match self.format {
            Format::Text => write!(line, "[{}] {}", self.prefix, args),
            Format::Json => event::write_json(&mut line, self.prefix, level.name(), event, args),
        };
        self.write(line.finish());
    }

    fn write(&self, bytes: &[u8]) {
        let (fd, how) = match &self.sink {
            Sink::NonBlocking(fd) => (fd.as_fd(), None),
            // SAFETY: fd 2 stays open for rinit's whole life: rinit never
            // closes it, and a closed stderr is `Sink::Closed`.
            Sink::NoWait(how) => (
                unsafe { BorrowedFd::borrow_raw(libc::STDERR_FILENO) },
                Some(*how),
            ),
            // SAFETY: as above.
            Sink::File | Sink::Checked => {
                (unsafe { BorrowedFd::borrow_raw(libc::STDERR_FILENO) }, None)
            }
            Sink::Closed => return,
        };
        let patience = match self.stuck.get() {
            true => PollTimeout::ZERO,
            false => PollTimeout::from(WRITE_PATIENCE_MS),
        };
        if matches!(self.sink, Sink::Checked) && !room(fd, patience) {
            self.stuck.set(true);
            return;
        }
        for attempt in 0..2 {
            match write_once(fd, bytes, how) {
                Ok(()) => {
                    self.stuck.set(false);
                    return;
                }
                Err(nix::errno::Errno::EAGAIN) if attempt == 0 && room(fd, patience) => {}
                Err(_) => break,
            }
        }
        self.stuck.set(true);
    }
}

/// Whether `fd` has room for a line within `patience`.
fn room(fd: BorrowedFd<'_>, patience: PollTimeout) -> bool {
    let mut fds = [PollFd::new(fd, PollFlags::POLLOUT)];
    matches!(poll(&mut fds, patience), Ok(n) if n > 0)
}

fn write_once(fd: BorrowedFd<'_>, bytes: &[u8], how: Option<How>) -> nix::Result<()> {
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
    match written {
        -1 => Err(nix::errno::Errno::last()),
        // Lines are at most PIPE_BUF bytes: pipes take them whole or not at
        // all; anything else that writes part of a line has had its say.
        _ => Ok(()),
    }
}

/// pwritev2(2) at the current position (-1) with RWF_NOWAIT: EAGAIN where
/// a plain write would wait. Through syscall(2): musl has no wrapper. The
/// position goes as two halves (low, high), all ones for -1 on any word size.
fn no_wait_write(fd: libc::c_int, bytes: &[u8]) -> libc::c_long {
    let iov = libc::iovec {
        iov_base: bytes.as_ptr().cast_mut().cast(),
        iov_len: bytes.len(),
    };
    // SAFETY: `iov` describes a live buffer the kernel only reads.
    unsafe { libc::syscall(libc::SYS_pwritev2, fd, &iov, 1, -1, -1, libc::RWF_NOWAIT) }
}

impl Sink {
    fn for_stderr() -> Sink {
        // SAFETY: fd 2 is only borrowed for the fstat below; if it is
        // closed, fstat fails and nothing else touches it.
        let stderr = unsafe { BorrowedFd::borrow_raw(libc::STDERR_FILENO) };
        let Ok(stat) = nix::sys::stat::fstat(stderr) else {
            return Sink::Closed;
        };
        let kind = SFlag::from_bits_truncate(stat.st_mode) & SFlag::S_IFMT;
        if kind == SFlag::S_IFREG {
            return Sink::File;
        }
        if kind == SFlag::S_IFSOCK {
            return Sink::NoWait(How::Socket);
        }
        // Opening /proc/self/fd/2 gives a new open file description of the
        // same pipe or terminal, so O_NONBLOCK there leaves the child's alone.
        // O_NOCTTY: opening a terminal must never make it rinit's.
        let reopened = OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC)
            .open("/proc/self/fd/2");
        if let Ok(file) = reopened {
            return Sink::NonBlocking(file.into());
        }
        // Refused (a root-owned pipe, rinit another user) or no /proc: a
        // write of nothing tells whether the kernel takes RWF_NOWAIT here
        // (pipes since Linux 6.4; never a terminal).
        match no_wait_write(libc::STDERR_FILENO, &[]) {
            0 => Sink::NoWait(How::Pipe),
            _ => Sink::Checked,
        }
    }
}

/// A line built on the stack, cut at LINE_MAX bytes, always ending in '\n'.
struct LineBuf {
    bytes: [u8; LINE_MAX],
    len: usize,
}

impl Default for LineBuf {
    fn default() -> Self {
        LineBuf {
            bytes: [0; LINE_MAX],
            len: 0,
        }
    }
}

impl LineBuf {
    fn finish(&mut self) -> &[u8] {
        let end = self.len.min(LINE_MAX - 1);
        if let Some(slot) = self.bytes.get_mut(end) {
            *slot = b'\n';
        }
        self.bytes.get(..=end).unwrap_or(&[])
    }
}

impl fmt::Write for LineBuf {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        // Keep one byte for the newline.
        let room = (LINE_MAX - 1).saturating_sub(self.len);
        let take = s.len().min(room);
        if let Some(dest) = self.bytes.get_mut(self.len..self.len + take) {
            dest.copy_from_slice(s.as_bytes().get(..take).unwrap_or(&[]));
            self.len += take;
        }
        if take < s.len() {
            Err(fmt::Error)
        } else {
            Ok(())
        }
    }
}

/// `warning!(log, "...")`: always shown. `warning!(log, event: &e, "...")`
/// attaches an event's facts for JSON lines.
macro_rules! warning {
    ($log:expr, event: $event:expr, $($arg:tt)*) => {
        $log.line($crate::log::Level::Warn, Some($event), format_args!($($arg)*))
    };
    ($log:expr, $($arg:tt)*) => {
        $log.line($crate::log::Level::Warn, None, format_args!($($arg)*))
    };
}

/// `info!(log, "...")`: shown with `-v`.
macro_rules! info {
    ($log:expr, event: $event:expr, $($arg:tt)*) => {
        if $log.enabled($crate::log::Level::Info) {
            $log.line($crate::log::Level::Info, Some($event), format_args!($($arg)*))
        }
    };
    ($log:expr, $($arg:tt)*) => {
        if $log.enabled($crate::log::Level::Info) {
            $log.line($crate::log::Level::Info, None, format_args!($($arg)*))
        }
    };
}

/// `debug!(log, "...")`: shown with `-vv`.
macro_rules! debug {
    ($log:expr, event: $event:expr, $($arg:tt)*) => {
        if $log.enabled($crate::log::Level::Debug) {
            $log.line($crate::log::Level::Debug, Some($event), format_args!($($arg)*))
        }
    };
    ($log:expr, $($arg:tt)*) => {
        if $log.enabled($crate::log::Level::Debug) {
            $log.line($crate::log::Level::Debug, None, format_args!($($arg)*))
        }
    };
}

pub(crate) use {debug, info, warning};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_are_cut_and_still_end_in_a_newline() {
        let mut line = LineBuf::default();
        let long = "x".repeat(10_000);
        assert!(write!(line, "{long}").is_err());
        let bytes = line.finish();
        assert_eq!(bytes.len(), LINE_MAX);
        assert_eq!(bytes.last(), Some(&b'\n'));
    }

    #[test]
    fn short_lines_pass_whole() {
        let mut line = LineBuf::default();
        write!(line, "[rinit] {}", 42).unwrap();
        assert_eq!(line.finish(), b"[rinit] 42\n");
    }
}
