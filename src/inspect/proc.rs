//! What `--inspect` reads of another process in /proc: whole files, as
//! they come (its status, its command line and environment, its
//! descriptors' fdinfo). `--inspect` is a process of its own, never PID 1,
//! so these allocate; what PID 1 reads of /proc is in `procfs`, on the
//! stack.

use std::ffi::OsString;
use std::io::{self, Read};
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStringExt;

use crate::dirents;
use crate::procfs::{c_path, open};
use crate::signal::Signal;

/// A whole file (for `--inspect`, which may allocate).
pub fn read_file(path: &str) -> io::Result<Vec<u8>> {
    let mut file = open(&c_path(path)?, 0)?;
    let (mut bytes, mut chunk) = (Vec::new(), [0u8; 4096]);
    loop {
        match file.read(&mut chunk) {
            Ok(0) => return Ok(bytes),
            Ok(n) => bytes.extend_from_slice(chunk.get(..n).unwrap_or_default()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// How the process reads `sig` while it is blocked, if /proc shows it does:
/// a signalfd that takes it (its fdinfo lists the signals), or a wait in
/// sigwait/sigtimedwait (its wchan; that wait unblocks the signals waited
/// for, so /proc cannot say which, only that it is waiting).
/// An error when its descriptors cannot be listed (another user's process).
pub fn reads_signal(pid: i32, sig: Signal) -> std::io::Result<Option<&'static str>> {
    let bit = 1u64.checked_shl(sig.number() as u32 - 1).unwrap_or(0);
    let fdinfo = format!("/proc/{pid}/fdinfo");
    let mut by_signalfd = false;
    let dir = open(&c_path(&fdinfo)?, 0)?;
    dirents::numbered(dir.as_raw_fd(), &mut |fd| {
        let info = read_file(&format!("{fdinfo}/{fd}")).unwrap_or_default();
        by_signalfd |= signalfd_mask(&info).is_some_and(|m| m & bit != 0);
        Ok(())
    })?;
    if by_signalfd {
        return Ok(Some("reads it from a signalfd"));
    }
    let wchan = read_file(&format!("/proc/{pid}/wchan")).unwrap_or_default();
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
    Ok(parse_status(&read_file(&format!("/proc/{pid}/status"))?))
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
    split_words(&read_file(path).unwrap_or_default())
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
