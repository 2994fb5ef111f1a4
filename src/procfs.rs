//! What `/proc` tells about other processes: for log lines, the drain and
//! `--inspect`.
//!
//! `/proc` may be missing (a bare chroot) or show another PID namespace;
//! every reader here gives nothing rather than fail.

use std::ffi::OsString;
use std::fmt;
use std::fs;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::MetadataExt;

use crate::escape;
use crate::signal::Signal;

/// Whether /proc shows this process (mounted, and for this namespace).
pub fn mounted() -> bool {
    std::path::Path::new("/proc/self/stat").exists()
}

/// The command name of `pid` (`/proc/PID/comm`), escaped, if /proc shows it.
pub fn command_name(pid: i32) -> Option<String> {
    if pid <= 0 {
        return None;
    }
    let name = fs::read(format!("/proc/{pid}/comm")).ok()?;
    Some(escape::shown(
        name.strip_suffix(b"\n").unwrap_or(&name),
        escape::VALUE,
    ))
}

/// A process as log lines name it.
#[derive(Clone)]
pub struct Process {
    pub pid: i32,
    pub ppid: i32,
    pub pgid: i32,
    /// Its command name, escaped.
    pub name: String,
    pub state: char,
}

impl Process {
    /// Stopped by a signal or a tracer (`T`, `t`): it acts on nothing but
    /// SIGKILL until a SIGCONT.
    pub fn stopped(&self) -> bool {
        matches!(self.state, 'T' | 't')
    }
}

/// The processes rinit answers for: as PID 1, every other process in its
/// namespace; otherwise its descendants (children, their children, ...).
pub fn others() -> Vec<Process> {
    let me = std::process::id() as i32;
    let all = all_processes();
    if me == 1 {
        return all.into_iter().filter(|p| p.pid != me).collect();
    }
    below(me, &all)
}

/// rinit's descendants, as PID 1 too: a process entered from outside the
/// namespace (`docker exec`) has parent 0 there and is not among them.
pub fn descendants() -> Vec<Process> {
    below(std::process::id() as i32, &all_processes())
}

/// The processes of `all` below `root`.
pub fn below(root: i32, all: &[Process]) -> Vec<Process> {
    let mut parents = vec![root];
    let mut found = Vec::new();
    // Parents come and go in any order in /proc: sweep until nothing new.
    let mut rest: Vec<&Process> = all.iter().filter(|p| p.pid != root).collect();
    loop {
        let (adopted, others): (Vec<&Process>, Vec<&Process>) =
            rest.into_iter().partition(|p| parents.contains(&p.ppid));
        if adopted.is_empty() {
            return found;
        }
        parents.extend(adopted.iter().map(|p| p.pid));
        found.extend(adopted.into_iter().cloned());
        rest = others;
    }
}

/// Every process /proc shows.
pub fn all_processes() -> Vec<Process> {
    pids()
        .filter_map(|pid| {
            let stat = stat(pid)?;
            Some(Process {
                pid,
                ppid: stat.ppid,
                pgid: stat.pgid,
                name: stat.comm,
                state: stat.state,
            })
        })
        .collect()
}

/// The pids /proc lists.
fn pids() -> impl Iterator<Item = i32> {
    let dir = fs::read_dir("/proc").into_iter().flatten().flatten();
    dir.filter_map(|entry| entry.file_name().to_str()?.parse::<i32>().ok())
}

/// The fields of /proc/PID/stat rinit reads.
#[derive(Debug)]
pub struct Stat {
    /// The command name, escaped: the process chose it.
    pub comm: String,
    pub state: char,
    pub ppid: i32,
    pub pgid: i32,
}

fn stat(pid: i32) -> Option<Stat> {
    parse_stat(&fs::read(format!("/proc/{pid}/stat")).ok()?)
}

/// Parses "PID (COMM) STATE PPID PGRP ...". COMM is whatever the process
/// named itself, up to 15 bytes: spaces, ')', newlines, invalid UTF-8.
pub fn parse_stat(stat: &[u8]) -> Option<Stat> {
    let open = stat.iter().position(|&b| b == b'(')?;
    let close = stat.iter().rposition(|&b| b == b')')?;
    let comm = escape::shown(stat.get(open + 1..close)?, escape::VALUE);
    let rest = std::str::from_utf8(stat.get(close + 1..)?).ok()?;
    let mut rest = rest.split_whitespace();
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

/// Whether /proc can be read as listing processes needs it: its directory
/// and, meanwhile, a file in it (two descriptors: a low RLIMIT_NOFILE, or
/// an unmounted /proc, leaves an empty list that would mean "nobody").
pub fn can_look() -> std::io::Result<()> {
    let _dir = fs::read_dir("/proc")?;
    fs::read("/proc/self/stat").map(drop)
}

/// "12 (sleep), 15 (python3)", cut after a screenful; an empty list says
/// whether /proc showed nobody or could not be read.
pub struct List<'a>(pub &'a [Process]);

impl fmt::Display for List<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: usize = 20;
        if self.0.is_empty() {
            return match can_look() {
                Ok(()) => write!(f, "(none that /proc shows)"),
                Err(e) => write!(f, "(unknown: rinit cannot read /proc: {e})"),
            };
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
    /// The command line, escaped and cut.
    pub command: String,
}

/// How the process reads `sig` while it is blocked, if /proc shows it does:
/// a signalfd that takes it (its fdinfo lists the signals), or a wait in
/// sigwait/sigtimedwait (its wchan; that wait unblocks the signals waited
/// for, so /proc cannot say which, only that it is waiting).
/// An error when its descriptors cannot be listed (another user's process).
pub fn reads_signal(pid: i32, sig: Signal) -> std::io::Result<Option<&'static str>> {
    let bit = 1u64.checked_shl(sig.number() as u32 - 1).unwrap_or(0);
    let fds = fs::read_dir(format!("/proc/{pid}/fdinfo"))?;
    let by_signalfd = fds.flatten().any(|fd| {
        let info = fs::read(fd.path()).unwrap_or_default();
        signalfd_mask(&info).is_some_and(|m| m & bit != 0)
    });
    if by_signalfd {
        return Ok(Some("reads it from a signalfd"));
    }
    let wchan = fs::read(format!("/proc/{pid}/wchan")).unwrap_or_default();
    Ok(wchan
        .windows(b"sigtimedwait".len())
        .any(|w| w == b"sigtimedwait")
        .then_some("is waiting for signals in sigwait or sigtimedwait"))
}

/// The signals a signalfd takes, from its fdinfo's `sigmask:` line.
pub fn signalfd_mask(fdinfo: &[u8]) -> Option<u64> {
    let text = String::from_utf8_lossy(fdinfo);
    let mask = text.lines().find_map(|l| l.strip_prefix("sigmask:"))?;
    u64::from_str_radix(mask.trim(), 16).ok()
}

/// What `--inspect` reads from /proc/PID/status.
#[derive(Debug, Default)]
pub struct Status {
    pub blocked: u64,
    pub caught: u64,
    pub ignored: u64,
    /// PID 1 of its own namespace (the last pid NSpid lists).
    pub pid1: bool,
    /// Its real user id.
    pub uid: Option<u32>,
}

pub fn status(pid: i32) -> std::io::Result<Status> {
    Ok(parse_status(&fs::read(format!("/proc/{pid}/status"))?))
}

/// Parses the lines of /proc/PID/status rinit needs; the `Name:` line, the
/// process's own choice, is never read.
pub fn parse_status(status: &[u8]) -> Status {
    let text = String::from_utf8_lossy(status);
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
            .map(str::trim)
            .unwrap_or_default()
    };
    let mask = |name: &str| u64::from_str_radix(field(name), 16).unwrap_or(0);
    Status {
        blocked: mask("SigBlk"),
        caught: mask("SigCgt"),
        ignored: mask("SigIgn"),
        pid1: field("NSpid").split_whitespace().last() == Some("1"),
        uid: field("Uid")
            .split_whitespace()
            .next()
            .and_then(|u| u.parse().ok()),
    }
}

/// The NUL-separated words of a /proc file (cmdline, environ).
pub fn words(path: &str) -> Vec<OsString> {
    split_words(&fs::read(path).unwrap_or_default())
}

pub fn split_words(bytes: &[u8]) -> Vec<OsString> {
    let body = bytes.strip_suffix(&[0]).unwrap_or(bytes);
    if body.is_empty() {
        return Vec::new();
    }
    body.split(|&b| b == 0)
        .map(|w| OsString::from_vec(w.to_vec()))
        .collect()
}

/// Whether two paths name one file; an error when either cannot be read
/// (`/proc/PID/exe` of another user's process).
pub fn same_file(a: &str, b: &str) -> std::io::Result<bool> {
    let (a, b) = (fs::metadata(a)?, fs::metadata(b)?);
    Ok(a.dev() == b.dev() && a.ino() == b.ino())
}

/// Every process /proc shows: pid, parent, state and command line.
pub fn processes() -> Vec<Entry> {
    pids()
        .filter_map(|pid| {
            let stat = stat(pid)?;
            let argv = words(&format!("/proc/{pid}/cmdline"));
            Some(Entry {
                pid,
                ppid: stat.ppid,
                state: stat.state,
                command: command_line(&argv, &stat.comm),
            })
        })
        .collect()
}

/// A command line as reports show it: the words joined by spaces, escaped
/// and cut; a zombie, which has none left, as its name in brackets, as ps
/// shows it.
pub fn command_line(argv: &[OsString], comm: &str) -> String {
    if argv.is_empty() {
        return format!("[{comm}]");
    }
    let words: Vec<&[u8]> = argv.iter().map(|a| a.as_bytes()).collect();
    escape::shown(&words.join(&b' '), escape::COMMAND)
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
