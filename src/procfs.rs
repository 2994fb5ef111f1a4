//! What `/proc` tells about other processes, for log lines and the drain.
//!
//! `/proc` may be missing (a bare chroot) or show another PID namespace;
//! every reader here gives nothing rather than fail.

use std::fmt;
use std::fs;

/// Whether /proc shows this process (mounted, and for this namespace).
pub fn mounted() -> bool {
    std::path::Path::new("/proc/self/stat").exists()
}

/// The command name of `pid` (`/proc/PID/comm`), if /proc shows it.
pub fn command_name(pid: i32) -> Option<String> {
    if pid <= 0 {
        return None;
    }
    let mut name = fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
    name.truncate(name.trim_end().len());
    Some(name)
}

/// A process as log lines name it.
pub struct Process {
    pub pid: i32,
    pub name: String,
}

/// The processes rinit answers for: as PID 1, every other process in its
/// namespace; otherwise its descendants (children, their children, ...).
pub fn others() -> Vec<Process> {
    let me = std::process::id() as i32;
    let all = all_processes();
    if me == 1 {
        return all
            .into_iter()
            .filter(|(p, _)| p.pid != me)
            .map(|(p, _)| p)
            .collect();
    }
    let mut below = vec![me];
    let mut found = Vec::new();
    // Parents come and go in any order in /proc: sweep until nothing new.
    let mut rest = all;
    loop {
        let (adopted, others): (Vec<_>, Vec<_>) =
            rest.into_iter().partition(|(_, ppid)| below.contains(ppid));
        if adopted.is_empty() {
            return found;
        }
        below.extend(adopted.iter().map(|(p, _)| p.pid));
        found.extend(adopted.into_iter().map(|(p, _)| p));
        rest = others;
    }
}

/// Every process /proc shows, with its parent's pid.
fn all_processes() -> Vec<(Process, i32)> {
    let Ok(dir) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(|pid| {
            let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // "PID (COMM) STATE PPID ...": COMM may hold spaces and ')'.
            let open = stat.find('(')?;
            let close = stat.rfind(')')?;
            let name = stat.get(open + 1..close)?.to_owned();
            let ppid = stat
                .get(close + 1..)?
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()?;
            Some((Process { pid, name }, ppid))
        })
        .collect()
}

/// "12 (sleep), 15 (python3)", cut after a screenful.
pub struct List<'a>(pub &'a [Process]);

impl fmt::Display for List<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: usize = 20;
        if self.0.is_empty() {
            return write!(f, "(none that /proc shows)");
        }
        for (i, p) in self.0.iter().take(SHOWN).enumerate() {
            let comma = if i > 0 { ", " } else { "" };
            write!(f, "{comma}{} ({})", p.pid, p.name)?;
        }
        if self.0.len() > SHOWN {
            write!(f, ", and {} more", self.0.len() - SHOWN)?;
        }
        Ok(())
    }
}
