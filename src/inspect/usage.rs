//! The memory `--inspect` reports for a process's cgroup: its limit, use,
//! peak and OOM kills, in words and as JSON. Read by `oom`, which PID 1
//! uses to tell who sent a SIGKILL; shown here, where allocating is fine.

use std::fmt;

use crate::oom::{self, Bytes, Usage};

/// The memory of process `pid`'s cgroup, or None where none is readable.
pub fn of(pid: i32) -> Option<Usage> {
    let path = format!("/proc/{pid}/cgroup\0");
    oom::usage(std::ffi::CStr::from_bytes_with_nul(path.as_bytes()).ok()?)
}

impl Usage {
    /// As JSON: bytes, null where the cgroup does not say (or no limit).
    pub fn json(&self) -> String {
        let n = |v: Option<u64>| v.map_or("null".to_owned(), |v| v.to_string());
        format!(
            "{{\"limit\":{},\"current\":{},\"peak\":{},\"oom_kills\":{}}}",
            n(self.limit),
            n(self.current),
            n(self.peak),
            self.oom_kills
        )
    }
}

impl fmt::Display for Usage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.limit {
            Some(limit) => write!(f, "limit {}", Bytes(limit))?,
            None => f.write_str("no limit")?,
        }
        if let Some(current) = self.current {
            write!(f, ", using {}", Bytes(current))?;
        }
        if let Some(peak) = self.peak {
            write!(f, ", peak {}", Bytes(peak))?;
        }
        write!(f, ", OOM kills: {}", self.oom_kills)
    }
}
