//! Log lines on stderr, `[rinit] ...`, that never block rinit for long.
//!
//! stderr is shared with the child and may be a pipe nobody drains, a
//! stopped terminal or a closed descriptor. rinit writes through its own
//! non-blocking open file description of the same file (so the child's
//! stderr stays blocking), waits a little when it is full, and drops the
//! line rather than hang PID 1. A write to a pipe with no reader fails with
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
    /// stderr itself: a regular file (writes do not wait for a reader), or a
    /// socket, written with MSG_DONTWAIT.
    Direct { socket: bool },
    /// stderr is closed.
    Closed,
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

    pub fn enabled(&self, level: Level) -> bool {
        level <= self.level
    }

    /// Writes one line: `[prefix] message`, or in JSON the message with
    /// the event's facts.
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
        let fd = match &self.sink {
            Sink::NonBlocking(fd) => fd.as_fd(),
            // SAFETY: fd 2 stays open for rinit's whole life: rinit never
            // closes it, and a closed stderr is `Sink::Closed`.
            Sink::Direct { .. } => unsafe { BorrowedFd::borrow_raw(libc::STDERR_FILENO) },
            Sink::Closed => return,
        };
        let socket = matches!(self.sink, Sink::Direct { socket: true });
        for attempt in 0..2 {
            match write_once(fd, bytes, socket) {
                Ok(()) => {
                    self.stuck.set(false);
                    return;
                }
                Err(nix::errno::Errno::EAGAIN) if attempt == 0 && !self.stuck.get() => {
                    let mut fds = [PollFd::new(fd, PollFlags::POLLOUT)];
                    let _ = poll(&mut fds, PollTimeout::from(WRITE_PATIENCE_MS));
                }
                Err(_) => break,
            }
        }
        self.stuck.set(true);
    }
}

fn write_once(fd: BorrowedFd<'_>, bytes: &[u8], socket: bool) -> nix::Result<()> {
    let written = if socket {
        let flags = libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL;
        // SAFETY: `bytes` is a live buffer of `bytes.len()` bytes and `fd` is open.
        unsafe { libc::send(fd.as_raw_fd(), bytes.as_ptr().cast(), bytes.len(), flags) }
    } else {
        // SAFETY: as above.
        unsafe { libc::write(fd.as_raw_fd(), bytes.as_ptr().cast(), bytes.len()) }
    };
    match written {
        -1 => Err(nix::errno::Errno::last()),
        // Lines are at most PIPE_BUF bytes: pipes take them whole or not at
        // all; anything else that writes part of a line has had its say.
        _ => Ok(()),
    }
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
        if kind == SFlag::S_IFREG || kind == SFlag::S_IFSOCK {
            return Sink::Direct {
                socket: kind == SFlag::S_IFSOCK,
            };
        }
        // Opening /proc/self/fd/2 gives a new open file description of the
        // same pipe or terminal, so O_NONBLOCK there leaves the child's alone.
        // O_NOCTTY: opening a terminal must never make it rinit's.
        let reopened = OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC)
            .open("/proc/self/fd/2");
        match reopened {
            Ok(file) => Sink::NonBlocking(file.into()),
            // No /proc: fall back to stderr itself, still waiting at most a
            // moment for room before each line (see `write`).
            _ => Sink::Direct { socket: false },
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
