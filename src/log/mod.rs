//! Log lines on stderr, `[rinit] ...`, that never block rinit for long.
//!
//! A line is built on the stack and handed to the sink (`sink`): written at
//! once where that cannot sleep, else queued for the writer thread. A line
//! that does not go out within the write patience is dropped, and later
//! ones do not wait for room again until one gets through; the first line
//! that does is preceded by one saying how many were lost.

mod event;
pub(crate) mod json;
mod sink;
mod writer;

use std::cell::{Cell, OnceCell};
use std::fmt::{self, Write as _};
use std::time::Duration;

pub use event::Event;
use sink::Sink;

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

/// How long one line may wait for room in a full stderr.
const WRITE_PATIENCE: Duration = Duration::from_millis(100);

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
    /// What stderr is, from its fstat at start.
    kind: Option<sink::Stderr>,
    /// Made with the first line: a quiet rinit never spends the system
    /// calls of reopening stderr before the command runs.
    sink: OnceCell<Sink>,
    /// Set once a line was dropped: later lines do not wait for room again
    /// until one gets through, so a stuck reader costs rinit no time.
    stuck: Cell<bool>,
    /// Lines dropped since the last one that got through.
    lost: Cell<u64>,
}

impl Log {
    pub fn new(prefix: &'static str, level: Level, format: Format) -> Log {
        Log {
            prefix,
            level,
            format,
            kind: sink::stderr_kind(),
            sink: OnceCell::new(),
            stuck: Cell::new(false),
            lost: Cell::new(0),
        }
    }

    /// The descriptor of rinit's own open of stderr, if it has one.
    pub fn own_fd(&self) -> Option<std::os::fd::RawFd> {
        self.sink.get().and_then(Sink::own_fd)
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
        if self.lost.get() > 0 && !self.note_lost() {
            self.lost.set(self.lost.get().saturating_add(1));
            return;
        }
        let mut line = LineBuf::default();
        // A full buffer only truncates the line; nothing else can fail here.
        let _ = match self.format {
            Format::Text => write!(line, "[{}] {}", self.prefix, args),
            Format::Json => event::write_json(&mut line, self.prefix, level.name(), event, args),
        };
        if !self.write(line.finish()) {
            self.lost.set(self.lost.get().saturating_add(1));
        }
    }

    /// The line that says how many were lost, ahead of the first that gets
    /// through again; true when it went out.
    #[inline(never)]
    fn note_lost(&self) -> bool {
        let lost = self.lost.get();
        let event = Event {
            lost: Some(lost),
            ..Event::named("lines_lost")
        };
        // One value, not a stored format_args! (Rust 1.79 cannot keep one with a
        // placeholder alive past its statement).
        let args = Lost(lost);
        let mut line = LineBuf::default();
        let _ = match self.format {
            Format::Text => write!(line, "[{}] {}", self.prefix, args),
            Format::Json => event::write_json(
                &mut line,
                self.prefix,
                Level::Warn.name(),
                Some(&event),
                format_args!("{args}"),
            ),
        };
        let went = self.write(line.finish());
        if went {
            self.lost.set(0);
        }
        went
    }

    fn write(&self, bytes: &[u8]) -> bool {
        let patience = match self.stuck.get() {
            true => Duration::ZERO,
            false => WRITE_PATIENCE,
        };
        let sink = self.sink.get_or_init(|| Sink::for_stderr(self.kind));
        let went = sink.write(bytes, patience);
        self.stuck.set(!went);
        went
    }

    /// Before exit: the last lines a writer thread holds get a bounded time.
    pub fn flush(&self) {
        if let Some(sink) = self.sink.get() {
            sink.flush(WRITE_PATIENCE);
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
#[macro_export]
macro_rules! warning {
    ($log:expr, event: $event:expr, $($arg:tt)*) => {
        $log.line($crate::log::Level::Warn, Some($event), format_args!($($arg)*))
    };
    ($log:expr, $($arg:tt)*) => {
        $log.line($crate::log::Level::Warn, None, format_args!($($arg)*))
    };
}

/// `info!(log, "...")`: shown with `-v`.
#[macro_export]
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
#[macro_export]
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

// Exported at the crate's root (`#[macro_export]`), used by their path here.
pub use crate::{debug, info, warning};

/// The message of the line that counts lost lines.
struct Lost(u64);

impl fmt::Display for Lost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} log lines were lost: stderr did not take them in time",
            self.0
        )
    }
}

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
