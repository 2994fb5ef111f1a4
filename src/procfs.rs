//! What `/proc` tells about other processes, for log lines.
//!
//! `/proc` may be missing (a bare chroot) or show another PID namespace;
//! every reader here gives None rather than fail.

use std::fs;

/// The command name of `pid` (`/proc/PID/comm`), if /proc shows it.
pub fn command_name(pid: i32) -> Option<String> {
    if pid <= 0 {
        return None;
    }
    let mut name = fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
    name.truncate(name.trim_end().len());
    Some(name)
}
