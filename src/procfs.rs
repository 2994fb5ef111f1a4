//! What `/proc` tells about other processes: for log lines, the drain and
//! `--inspect`. What only `--inspect` reads, whole files that it may
//! allocate for, is in `inspect::proc`.
//!
//! `/proc` may be missing (a bare chroot), show another PID namespace, hide
//! other users' processes (`hidepid=2`) or be out of reach of a low
//! RLIMIT_NOFILE; every reader here gives nothing rather than fail. What
//! PID 1 reads while the command runs is read into fixed buffers on the
//! stack: a scan of /proc allocates nothing, so it works, and is honest,
//! when memory has run out.

use std::ffi::{CStr, CString};
use std::fmt::{self, Write as _};
use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{AsRawFd, FromRawFd};
use std::path::Path;

use crate::dirents;
use crate::escape;
use crate::signal::Signal;

/// What /proc is to rinit.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// This PID namespace's: the pids it lists are the ones kill(2) takes.
    Ours,
    /// Not mounted, or not a /proc.
    Absent,
    /// Another PID namespace's (`unshare -p -f` without `--mount-proc`,
    /// bwrap without `--proc`): a pid it lists names another process, or
    /// none, in rinit's namespace, so nothing read there is acted on.
    Foreign,
}

/// Asked before every walk of /proc that may lead to a signal or a name:
/// /proc can be mounted, or replaced, while rinit runs. One readlink:
/// `/proc/self` names the reader's pid in the namespace of that /proc
/// (or nothing, when the reader has none there).
pub fn view() -> View {
    let mut buf = [0u8; 16];
    // SAFETY: `buf` is live and as long as passed; readlink writes no more.
    let n = unsafe { libc::readlink(c"/proc/self".as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
    let link = usize::try_from(n).ok().and_then(|n| buf.get(..n));
    let pid = link.and_then(|l| std::str::from_utf8(l).ok()?.parse::<u32>().ok());
    if pid == Some(std::process::id()) {
        return View::Ours;
    }
    // Another /proc names a reader it shows by another number, one it does
    // not show by none: a /proc either way when it shows its own PID 1.
    match link.is_some() || Path::new("/proc/1/stat").exists() {
        true => View::Foreign,
        false => View::Absent,
    }
}

/// A process's command name as the kernel keeps it: at most 15 bytes
/// (TASK_COMM_LEN), any bytes the process chose. Shown escaped.
#[derive(Clone, Copy, Default)]
pub struct Name {
    bytes: [u8; 16],
    len: u8,
}

impl Name {
    fn of(raw: &[u8]) -> Name {
        let mut name = Name::default();
        let len = raw.len().min(name.bytes.len());
        if let (Some(dest), Some(src)) = (name.bytes.get_mut(..len), raw.get(..len)) {
            dest.copy_from_slice(src);
        }
        name.len = len as u8;
        name
    }

    pub fn bytes(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or_default()
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        escape::Escaped(self.bytes(), escape::VALUE).fmt(f)
    }
}

/// The command name of `pid` (`/proc/PID/comm`), if /proc shows it.
pub fn command_name(pid: i32) -> Option<Name> {
    if pid <= 0 || view() != View::Ours {
        return None;
    }
    let mut buf = [0u8; 64];
    let read = read_into(Path32::of(pid, "comm").path(), &mut buf).ok()?;
    let name = buf.get(..read)?;
    Some(Name::of(name.strip_suffix(b"\n").unwrap_or(name)))
}

/// A process as log lines name it: plain data, so lists of them can live
/// in fixed or fallibly reserved memory.
#[derive(Clone, Copy, Default)]
pub struct Process {
    pub pid: i32,
    pub ppid: i32,
    pub pgid: i32,
    pub name: Name,
    pub state: u8,
    /// When it started, in clock ticks since boot.
    pub start: u64,
    /// The signals 1-64 it has a handler for, a bit each (0 if unknown).
    pub caught: u64,
}

impl Process {
    /// Whether it has a handler for `sig`: a master that handles a stop
    /// passes it on to its workers (nginx, php-fpm, a shell's trap).
    pub fn catches(&self, sig: Signal) -> bool {
        self.caught & 1u64.checked_shl(sig.number() as u32 - 1).unwrap_or(0) != 0
    }

    /// Stopped by a signal or a tracer (`T`, `t`): it acts on nothing but
    /// SIGKILL until a SIGCONT.
    pub fn stopped(&self) -> bool {
        matches!(self.state, b'T' | b't')
    }

    pub fn zombie(&self) -> bool {
        self.state == b'Z'
    }
}

/// Calls `each` with every process /proc shows, reading one directory
/// block and one stat file at a time into the stack. An error when /proc
/// cannot be listed or its files cannot be opened (no /proc, too few
/// descriptors): an empty scan then says nothing about who is there.
pub fn scan(each: &mut dyn FnMut(Process)) -> io::Result<()> {
    let dir = open(c"/proc", 0)?;
    dirents::numbered(dir.as_raw_fd(), &mut |pid| {
        if let Some(stat) = stat(pid)? {
            each(Process {
                pid,
                ppid: stat.ppid,
                pgid: stat.pgid,
                name: stat.comm,
                state: stat.state,
                start: stat.start,
                caught: stat.caught,
            });
        }
        Ok(())
    })
}

/// The fields of /proc/PID/stat rinit reads.
pub struct Stat {
    /// The command name: the process chose it.
    pub comm: Name,
    pub state: u8,
    pub ppid: i32,
    pub pgid: i32,
    /// Field 22, starttime: clock ticks since boot (0 if unreadable).
    pub start: u64,
    /// Field 34, sigcatch: the signals it handles (only 1-32 on a 32-bit
    /// kernel, which shows one word).
    pub caught: u64,
}

/// /proc/PID/stat, read into the stack: None when the process is gone or
/// hidden, an error when rinit could not open it for want of descriptors
/// or memory (the list would then be wrong, not short).
fn stat(pid: i32) -> io::Result<Option<Stat>> {
    // The fields rinit needs end within the first 34: a pid, a name of at
    // most 15 bytes in parentheses, then numbers of at most 20 digits.
    let mut buf = [0u8; 768];
    match read_into(Path32::of(pid, "stat").path(), &mut buf) {
        Ok(read) => Ok(buf.get(..read).and_then(parse_stat)),
        Err(e)
            if matches!(
                e.raw_os_error(),
                Some(libc::EMFILE | libc::ENFILE | libc::ENOMEM)
            ) =>
        {
            Err(e)
        }
        Err(_) => Ok(None),
    }
}

/// Parses "PID (COMM) STATE PPID PGRP ... STARTTIME ...". COMM is whatever the process
/// named itself, up to 15 bytes: spaces, ')', newlines, invalid UTF-8; the
/// last ')' ends it, as no later field holds one.
pub fn parse_stat(stat: &[u8]) -> Option<Stat> {
    let open = stat.iter().position(|&b| b == b'(')?;
    let close = stat.iter().rposition(|&b| b == b')')?;
    let comm = Name::of(stat.get(open + 1..close)?);
    let mut rest = stat
        .get(close + 1..)?
        .split(|b| b.is_ascii_whitespace())
        .filter(|w| !w.is_empty());
    let state = *rest.next()?.first()?;
    fn number<T: std::str::FromStr>(w: &[u8]) -> Option<T> {
        std::str::from_utf8(w).ok()?.parse().ok()
    }
    let ppid = number(rest.next()?)?;
    let pgid = number(rest.next()?)?;
    // Fields 6 to 21 lie between the group and the start time, 23 to 33
    // between it and sigcatch.
    let start = rest.nth(16).and_then(number);
    let caught = rest.nth(11).and_then(number);
    Some(Stat {
        comm,
        state,
        ppid,
        pgid,
        start: start.unwrap_or(0),
        caught: caught.unwrap_or(0),
    })
}

/// Opens `path` for reading (and `flags`), close-on-exec, with one
/// open(2): std's `File::open` brings `OpenOptions`' error texts with it,
/// and their formatting.
pub fn open(path: &CStr, flags: i32) -> io::Result<File> {
    let flags = flags | libc::O_CLOEXEC;
    // SAFETY: `path` is NUL-terminated; open reads nothing else.
    let fd = unsafe { libc::open(path.as_ptr(), flags) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a descriptor open just returned, owned by nobody else.
    Ok(unsafe { File::from_raw_fd(fd) })
}

/// A path for open(2): for start-up (`--install`) and `--inspect`, which
/// may allocate; PID 1's own paths are built on the stack (`Path32`).
pub fn c_path(path: &str) -> io::Result<CString> {
    CString::new(path).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))
}

/// Reads the start of a file into `buf`, without allocating.
fn read_into(path: &CStr, buf: &mut [u8]) -> io::Result<usize> {
    let mut file = open(path, 0)?;
    let mut filled = 0;
    while let Some(rest) = buf.get_mut(filled..).filter(|r| !r.is_empty()) {
        match file.read(rest) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// "/proc/PID/FILE" built on the stack, NUL-terminated.
struct Path32 {
    bytes: [u8; 32],
    len: usize,
}

impl Path32 {
    fn of(pid: i32, file: &str) -> Path32 {
        let mut path = Path32 {
            bytes: [0; 32],
            len: 0,
        };
        // Fits: 6 + 10 digits + 1 + the longest file name rinit reads + NUL.
        let _ = write!(path, "/proc/{pid}/{file}\0");
        path
    }

    fn path(&self) -> &CStr {
        let bytes = self.bytes.get(..self.len).unwrap_or_default();
        CStr::from_bytes_with_nul(bytes).unwrap_or_default()
    }
}

impl fmt::Write for Path32 {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let dest = self
            .bytes
            .get_mut(self.len..self.len + s.len())
            .ok_or(fmt::Error)?;
        dest.copy_from_slice(s.as_bytes());
        self.len += s.len();
        Ok(())
    }
}

/// Whether /proc can be read as listing processes needs it: its directory
/// and, meanwhile, a file in it (two descriptors: a low RLIMIT_NOFILE, or
/// an unmounted /proc, leaves an empty list that would mean "nobody").
pub fn can_look() -> io::Result<()> {
    let _dir = open(c"/proc", 0)?;
    open(c"/proc/self/stat", 0).map(drop)
}

/// The process group of `pid`.
pub fn pgid(pid: i32) -> Option<i32> {
    stat(pid).ok().flatten().map(|s| s.pgid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signal;

    #[test]
    fn stat_gives_the_group_the_start_and_the_handled_signals() {
        // A shell with traps on HUP (1), TERM (15) and CHLD (17), named
        // with a space and a parenthesis.
        let line = b"42 (a) b) S 7 42 42 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 818066 \
            3133440 394 18446744073709551615 1 1 1 0 0 0 0 0 81921 0 0 17 0 0 0 0 0 0\n";
        let stat = parse_stat(line).unwrap();
        assert_eq!((stat.ppid, stat.pgid, stat.start), (7, 42, 818066));
        assert_eq!(&stat.comm.bytes(), b"a) b");
        assert_eq!(stat.caught, 81921);
        let p = Process {
            caught: stat.caught,
            ..Process::default()
        };
        assert!(p.catches(signal::TERM) && !p.catches(signal::INT));
    }
}
