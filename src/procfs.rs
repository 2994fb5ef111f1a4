//! What `/proc` tells about other processes: for log lines, the drain and
//! `--inspect`.
//!
//! `/proc` may be missing (a bare chroot) or show another PID namespace;
//! every reader here gives nothing rather than fail.

use std::ffi::OsString;
use std::fmt;
use std::fs;
use std::os::unix::ffi::OsStringExt;
use std::os::unix::fs::MetadataExt;

use crate::signal::Signal;

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
    pids()
        .filter_map(|pid| {
            let stat = stat(pid)?;
            Some((
                Process {
                    pid,
                    name: stat.comm,
                },
                stat.ppid,
            ))
        })
        .collect()
}

/// The pids /proc lists.
fn pids() -> impl Iterator<Item = i32> {
    let dir = fs::read_dir("/proc").into_iter().flatten().flatten();
    dir.filter_map(|entry| entry.file_name().to_str()?.parse::<i32>().ok())
}

/// The fields of /proc/PID/stat rinit reads.
struct Stat {
    comm: String,
    state: char,
    ppid: i32,
    pgid: i32,
}

fn stat(pid: i32) -> Option<Stat> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // "PID (COMM) STATE PPID PGRP ...": COMM may hold spaces and ')'.
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let comm = stat.get(open + 1..close)?.to_owned();
    let mut rest = stat.get(close + 1..)?.split_whitespace();
    let state = rest.next()?.chars().next()?;
    let ppid = rest.next()?.parse().ok()?;
    let pgid = rest.next()?.parse().ok()?;
    Some(Stat {
        comm,
        state,
        ppid,
        pgid,
    })
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

#[derive(Clone)]
pub struct Entry {
    pub pid: i32,
    pub ppid: i32,
    pub state: char,
    pub command: String,
}

/// How the process reads `sig` while it is blocked, if /proc shows it does:
/// a signalfd that takes it (its fdinfo lists the signals), or a wait in
/// sigwait/sigtimedwait (its wchan; that wait unblocks the signals waited
/// for, so /proc cannot say which, only that it is waiting).
pub fn reads_signal(pid: i32, sig: Signal) -> Option<&'static str> {
    let bit = 1u64.checked_shl(sig.number() as u32 - 1).unwrap_or(0);
    let fds = fs::read_dir(format!("/proc/{pid}/fdinfo")).ok()?;
    let by_signalfd = fds.flatten().any(|fd| {
        let info = fs::read_to_string(fd.path()).unwrap_or_default();
        let mask = info.lines().find_map(|l| l.strip_prefix("sigmask:"));
        mask.and_then(|m| u64::from_str_radix(m.trim(), 16).ok())
            .is_some_and(|m| m & bit != 0)
    });
    if by_signalfd {
        return Some("reads it from a signalfd");
    }
    let wchan = fs::read_to_string(format!("/proc/{pid}/wchan")).unwrap_or_default();
    wchan
        .contains("sigtimedwait")
        .then_some("is waiting for signals in sigwait or sigtimedwait")
}

/// The NUL-separated words of a /proc file (cmdline, environ).
pub fn words(path: &str) -> Vec<OsString> {
    let bytes = fs::read(path).unwrap_or_default();
    let body = bytes.strip_suffix(&[0]).unwrap_or(&bytes);
    if body.is_empty() {
        return Vec::new();
    }
    body.split(|&b| b == 0)
        .map(|w| OsString::from_vec(w.to_vec()))
        .collect()
}

pub fn same_file(a: &str, b: &str) -> bool {
    match (fs::metadata(a), fs::metadata(b)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// Every process /proc shows: pid, parent, state and command line.
pub fn processes() -> Vec<Entry> {
    pids()
        .filter_map(|pid| {
            let stat = stat(pid)?;
            let argv = words(&format!("/proc/{pid}/cmdline"));
            // A zombie has no command line left: its name in brackets, as ps shows it.
            let command = match argv.is_empty() {
                true => format!("[{}]", stat.comm),
                false => argv
                    .iter()
                    .map(|a| a.to_string_lossy())
                    .collect::<Vec<_>>()
                    .join(" "),
            };
            Some(Entry {
                pid,
                ppid: stat.ppid,
                state: stat.state,
                command,
            })
        })
        .collect()
}

/// The processes below `root` in pre-order (each right after its parent),
/// with their depth.
pub fn tree(root: i32, all: &[Entry]) -> Vec<(usize, Entry)> {
    let children = |parent: i32| {
        let mut found: Vec<&Entry> = all
            .iter()
            .filter(|p| p.ppid == parent && p.pid != parent)
            .collect();
        // Popped from the end: highest pid first onto the stack, so lowest first out.
        found.sort_by_key(|p| std::cmp::Reverse(p.pid));
        found
    };
    let mut out = Vec::new();
    let mut stack: Vec<(usize, &Entry)> = children(root).into_iter().map(|p| (0, p)).collect();
    while let Some((depth, p)) = stack.pop() {
        out.push((depth, p.clone()));
        stack.extend(children(p.pid).into_iter().map(|c| (depth + 1, c)));
    }
    out
}

/// The process group of `pid`.
pub fn pgid(pid: i32) -> Option<i32> {
    stat(pid).map(|s| s.pgid)
}
