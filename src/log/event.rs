//! What a log line is about, for `--log-format json`: the event's name and
//! the facts a log pipeline filters on (signal, sender, target, pid, status).
//! Text lines carry the same facts in their words.

use std::fmt::{self, Write as _};

use super::json::{Capped, Escaper, Now, Str};
use crate::signal::Signal;

/// How many bytes of escaped message a JSON line carries.
const MESSAGE_MAX: usize = 2048;

#[derive(Default)]
pub struct Event<'a> {
    pub name: &'static str,
    pub signal: Option<Signal>,
    /// Who sent the signal: pid (0 from outside the namespace), uid, command.
    pub sender: Option<(i32, u32, Option<&'a dyn fmt::Display>)>,
    pub target: Option<&'a dyn fmt::Display>,
    pub pid: Option<i32>,
    pub status: Option<i32>,
    /// How many log lines were lost.
    pub lost: Option<u64>,
    /// For a SIGKILL death: whether the kernel's OOM killer sent it (none
    /// when that cannot be told).
    pub oom: Option<bool>,
}

impl<'a> Event<'a> {
    pub fn named(name: &'static str) -> Event<'a> {
        Event {
            name,
            ..Event::default()
        }
    }
}

/// Writes one JSON object (without the newline) for a line of `level` from
/// init `name`: the message, then the event's facts.
pub fn write_json(
    out: &mut impl fmt::Write,
    name: &str,
    level: &str,
    event: Option<&Event<'_>>,
    message: fmt::Arguments<'_>,
) -> fmt::Result {
    let event_name = event.map_or("message", |e| e.name);
    write!(
        out,
        "{{\"time\":\"{Now}\",\"level\":{},\"init\":{},\"event\":{}",
        Str(level),
        Str(name),
        Str(event_name)
    )?;
    out.write_str(",\"message\":\"")?;
    // At most 2 KiB of escaped message: the whole line then fits the log's
    // 4 KiB line buffer and stays one valid JSON object.
    write!(
        Capped {
            inner: &mut *out,
            left: MESSAGE_MAX
        },
        "{message}"
    )?;
    out.write_str("\"")?;
    let Some(e) = event else {
        return out.write_str("}");
    };
    if let Some(sig) = e.signal {
        write!(out, ",\"signal\":\"{sig}\"")?;
    }
    if let Some((pid, uid, command)) = e.sender {
        write!(out, ",\"sender_pid\":{pid},\"sender_uid\":{uid}")?;
        if let Some(command) = command {
            out.write_str(",\"sender_command\":\"")?;
            write!(Escaper(&mut *out), "{command}")?;
            out.write_str("\"")?;
        }
    }
    if let Some(target) = e.target {
        out.write_str(",\"target\":\"")?;
        write!(
            Capped {
                inner: &mut *out,
                left: 256
            },
            "{target}"
        )?;
        out.write_str("\"")?;
    }
    if let Some(pid) = e.pid {
        write!(out, ",\"pid\":{pid}")?;
    }
    if let Some(status) = e.status {
        write!(out, ",\"status\":{status}")?;
    }
    if let Some(lost) = e.lost {
        write!(out, ",\"lost\":{lost}")?;
    }
    if let Some(oom) = e.oom {
        write!(out, ",\"oom\":{oom}")?;
    }
    out.write_str("}")
}
