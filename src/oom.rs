//! Whether the kernel's OOM killer ended a process: the answer to the
//! first question after an exit 137.
//!
//! The OOM killer counts each kill in the memory cgroup before it sends
//! the SIGKILL (`__oom_kill_process`: "raise event before sending signal"),
//! as `oom_kill` in cgroup v2's `memory.events` (which counts the cgroups
//! below too) or cgroup v1's `memory.oom_control`. rinit reads that count
//! once the command runs and again at each SIGKILL death: if it rose, the
//! OOM killer sent it; if not, the SIGKILL came from elsewhere.
//!
//! The cgroup is the one `/proc/self/cgroup` names, under the mount at
//! `/sys/fs/cgroup`; in a container whose cgroup namespace is the host's
//! (Docker on cgroup v1), that path is not under the container's mount,
//! which shows the container's own cgroup as its root, so the root is
//! tried next. The directory is held open (one descriptor), and each read
//! goes through it into the stack: nothing is allocated once the command
//! runs, whatever the path's length.

use std::cell::Cell;
use std::ffi::CStr;
use std::fmt;
use std::fs::File;
use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// The files of one cgroup version: the counter's, the limit's, the
/// current usage's and the peak's.
struct Files {
    counter: &'static CStr,
    limit: &'static CStr,
    current: &'static CStr,
    peak: &'static CStr,
}

const V2: Files = Files {
    counter: c"memory.events",
    limit: c"memory.max",
    current: c"memory.current",
    peak: c"memory.peak",
};

const V1: Files = Files {
    counter: c"memory.oom_control",
    limit: c"memory.limit_in_bytes",
    current: c"memory.usage_in_bytes",
    peak: c"memory.max_usage_in_bytes",
};

/// A memory cgroup's OOM-kill count, watched.
pub struct Oom {
    cgroup: Option<(OwnedFd, &'static Files)>,
    /// The count at the last look.
    seen: Cell<u64>,
}

/// Who sent a SIGKILL, as far as the memory cgroup can tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Killer {
    /// The OOM killer: the count rose. The limit and the peak usage, in
    /// bytes, where the cgroup gives them.
    Oom {
        limit: Option<u64>,
        peak: Option<u64>,
    },
    /// The count did not rise: someone else.
    NotOom,
    /// No count can be read here.
    Unknown,
}

impl Killer {
    /// For JSON: `"oom": true` or `false`, nothing when unknown.
    pub fn oom(self) -> Option<bool> {
        match self {
            Killer::Oom { .. } => Some(true),
            Killer::NotOom => Some(false),
            Killer::Unknown => None,
        }
    }
}

/// What memory the cgroup of a process has, for `--inspect`.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Usage {
    /// None: no limit ("max", or v1's page-rounded largest number).
    pub limit: Option<u64>,
    pub current: Option<u64>,
    pub peak: Option<u64>,
    pub oom_kills: u64,
}

impl Oom {
    /// The cgroup of this process, and its count now.
    pub fn watch() -> Oom {
        match find(c"/proc/self/cgroup") {
            Some((dir, files, seen)) => Oom {
                cgroup: Some((dir, files)),
                seen: Cell::new(seen),
            },
            None => Oom {
                cgroup: None,
                seen: Cell::new(0),
            },
        }
    }

    /// Who sent the SIGKILL that just ended a process: the count is read
    /// again and remembered, so each kill is put down to the OOM killer
    /// once.
    pub fn killer(&self) -> Killer {
        let Some((dir, files)) = &self.cgroup else {
            return Killer::Unknown;
        };
        let Some(now) = count(dir, files) else {
            return Killer::Unknown;
        };
        let rose = now > self.seen.get();
        self.seen.set(now);
        match rose {
            true => Killer::Oom {
                limit: limit(dir, files),
                peak: number(dir, files.peak),
            },
            false => Killer::NotOom,
        }
    }
}

/// The memory of the cgroup a `/proc/PID/cgroup` names, or None where none
/// is readable: for `--inspect`'s report (`inspect::usage`, which shows it).
pub fn usage(cgroup_file: &CStr) -> Option<Usage> {
    let (dir, files, oom_kills) = find(cgroup_file)?;
    Some(Usage {
        limit: limit(&dir, files),
        current: number(&dir, files.current),
        peak: number(&dir, files.peak),
        oom_kills,
    })
}

/// The memory cgroup's directory, held open, from a `/proc/PID/cgroup`,
/// with its count now.
fn find(cgroup_file: &CStr) -> Option<(OwnedFd, &'static Files, u64)> {
    let mut buf = [0u8; 1024];
    let text = read_at(None, cgroup_file, &mut buf)?;
    // "ID:CONTROLLERS:PATH": v1's memory hierarchy where there is one (a
    // hybrid host keeps memory there), else v2's unified one ("0::PATH").
    let (mut v1, mut v2) = (None, None);
    for line in text.split(|&b| b == b'\n') {
        let mut fields = line.splitn(3, |&b| b == b':');
        let (Some(controllers), Some(path)) = (fields.nth(1), fields.next()) else {
            continue;
        };
        if controllers.split(|&b| b == b',').any(|c| c == b"memory") {
            v1 = Some(path);
        } else if controllers.is_empty() {
            v2 = Some(path);
        }
    }
    let (mount, path, files): (&[u8], _, _) = match (v1, v2) {
        (Some(path), _) => (b"/sys/fs/cgroup/memory", path, &V1),
        (None, Some(path)) => (b"/sys/fs/cgroup", path, &V2),
        (None, None) => return None,
    };
    let mut dir_path = [0u8; 512];
    let found = [path, b"/"]
        .into_iter()
        .filter_map(|p| {
            let len = mount.len() + p.len();
            let dest = dir_path.get_mut(..len + 1)?;
            dest.get_mut(..mount.len())?.copy_from_slice(mount);
            dest.get_mut(mount.len()..len)?.copy_from_slice(p);
            *dest.get_mut(len)? = 0;
            let dir = open_dir(CStr::from_bytes_with_nul(dest).ok()?)?;
            count(&dir, files).map(|n| (dir, files, n))
        })
        .next();
    found
}

fn open_dir(path: &CStr) -> Option<OwnedFd> {
    // SAFETY: a NUL-terminated path; the descriptor returned is ours.
    // openat, not open: musl's open follows O_CLOEXEC with an fcntl.
    let fd = unsafe {
        libc::openat(
            libc::AT_FDCWD,
            path.as_ptr(),
            libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC,
        )
    };
    // SAFETY: a descriptor just opened, owned by nobody else.
    (fd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(fd) })
}

/// The file `name` of the directory `dir` (or a path, when None), read
/// into `buf`: its first bytes, which hold all rinit needs.
fn read_at<'b>(dir: Option<&OwnedFd>, name: &CStr, buf: &'b mut [u8]) -> Option<&'b [u8]> {
    let at = dir.map_or(libc::AT_FDCWD, AsRawFd::as_raw_fd);
    // SAFETY: a NUL-terminated name; the descriptor returned is ours.
    let fd = unsafe { libc::openat(at, name.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
    if fd < 0 {
        return None;
    }
    // SAFETY: a descriptor just opened, owned by nobody else.
    let mut file = File::from(unsafe { OwnedFd::from_raw_fd(fd) });
    let mut filled = 0;
    while let Some(rest) = buf.get_mut(filled..).filter(|r| !r.is_empty()) {
        match file.read(rest) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
    buf.get(..filled)
}

/// The `oom_kill N` line of the counter file.
fn count(dir: &OwnedFd, files: &Files) -> Option<u64> {
    let mut buf = [0u8; 512];
    let text = read_at(Some(dir), files.counter, &mut buf)?;
    parse_count(text)
}

pub fn parse_count(text: &[u8]) -> Option<u64> {
    text.split(|&b| b == b'\n')
        .find_map(|line| line.strip_prefix(b"oom_kill "))
        .and_then(parse_number)
}

/// A file holding one number.
fn number(dir: &OwnedFd, name: &CStr) -> Option<u64> {
    let mut buf = [0u8; 64];
    parse_number(read_at(Some(dir), name, &mut buf)?)
}

/// The limit, None when there is none: v2 says "max", v1 the largest
/// number rounded down to a page.
fn limit(dir: &OwnedFd, files: &Files) -> Option<u64> {
    number(dir, files.limit).filter(|&l| l < 1 << 62)
}

fn parse_number(text: &[u8]) -> Option<u64> {
    let text = text.strip_suffix(b"\n").unwrap_or(text);
    std::str::from_utf8(text).ok()?.parse().ok()
}

/// Bytes as people read a memory limit: `48.0 MiB`.
pub struct Bytes(pub u64);

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let units = [("GiB", 30), ("MiB", 20), ("KiB", 10)];
        for (unit, shift) in units {
            if self.0 >= 1 << shift {
                let whole = self.0 >> shift;
                let tenth = ((self.0 & ((1 << shift) - 1)) * 10) >> shift;
                return write!(f, "{whole}.{tenth} {unit}");
            }
        }
        write!(f, "{} B", self.0)
    }
}

impl fmt::Display for Killer {
    /// Who sent a SIGKILL, as the memory cgroup tells.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Killer::Oom { limit, peak } => {
                f.write_str("the kernel's OOM killer sent it")?;
                match (limit, peak) {
                    (Some(l), Some(p)) => {
                        write!(f, " (memory limit {}, peak {})", Bytes(l), Bytes(p))
                    }
                    (Some(l), None) => write!(f, " (memory limit {})", Bytes(l)),
                    (None, Some(p)) => write!(f, " (no memory limit; peak {})", Bytes(p)),
                    (None, None) => Ok(()),
                }
            }
            Killer::NotOom => {
                f.write_str("not the OOM killer (the memory cgroup counted no OOM kill)")
            }
            Killer::Unknown => f.write_str(
                "the OOM killer or another process (no memory cgroup OOM count is readable here)",
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_count_comes_from_either_version() {
        let v2 = b"low 0\nhigh 0\nmax 12\noom 3\noom_kill 2\noom_group_kill 0\n";
        assert_eq!(parse_count(v2), Some(2));
        let v1 = b"oom_kill_disable 0\nunder_oom 0\noom_kill 7\n";
        assert_eq!(parse_count(v1), Some(7));
        assert_eq!(parse_count(b"oom 3\n"), None);
        assert_eq!(parse_count(b""), None);
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(Bytes(48 << 20).to_string(), "48.0 MiB");
        assert_eq!(Bytes((48 << 20) - 4096).to_string(), "47.9 MiB");
        assert_eq!(Bytes(1536).to_string(), "1.5 KiB");
        assert_eq!(Bytes(3 << 30).to_string(), "3.0 GiB");
        assert_eq!(Bytes(12).to_string(), "12 B");
    }

    #[test]
    fn v2_files_from_a_fixture_cgroup() {
        let dir = std::env::temp_dir().join(format!("rinit-oom-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("memory.events"),
            "low 0\nhigh 0\nmax 9\noom 1\noom_kill 1\n",
        )
        .unwrap();
        std::fs::write(dir.join("memory.max"), "50331648\n").unwrap();
        std::fs::write(dir.join("memory.peak"), "50327552\n").unwrap();
        std::fs::write(dir.join("memory.current"), "1234\n").unwrap();
        let path = std::ffi::CString::new(dir.to_str().unwrap()).unwrap();
        let oom = Oom {
            cgroup: Some((open_dir(&path).unwrap(), &V2)),
            seen: Cell::new(1),
        };
        assert_eq!(oom.killer(), Killer::NotOom);
        std::fs::write(dir.join("memory.events"), "oom 2\noom_kill 2\n").unwrap();
        let killer = oom.killer();
        assert_eq!(
            killer,
            Killer::Oom {
                limit: Some(50331648),
                peak: Some(50327552)
            }
        );
        assert_eq!(
            killer.to_string(),
            "the kernel's OOM killer sent it (memory limit 48.0 MiB, peak 47.9 MiB)"
        );
        // Counted once: the next SIGKILL is another's.
        assert_eq!(oom.killer(), Killer::NotOom);
        std::fs::write(dir.join("memory.max"), "max\n").unwrap();
        std::fs::write(dir.join("memory.events"), "oom_kill 3\n").unwrap();
        assert_eq!(
            oom.killer(),
            Killer::Oom {
                limit: None,
                peak: Some(50327552)
            }
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn without_a_cgroup_the_killer_is_unknown() {
        let oom = Oom {
            cgroup: None,
            seen: Cell::new(0),
        };
        assert_eq!(oom.killer(), Killer::Unknown);
        assert_eq!(oom.killer().oom(), None);
    }
}
