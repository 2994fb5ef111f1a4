//! What `--inspect` shows of the processes below the one it looks at:
//! their command lines, as a tree. `--inspect` is a process of its own,
//! never PID 1 of a container, so it may allocate (a failure ends it with
//! a line, see `memory`).

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;

use crate::escape;
use crate::procfs;
use crate::sort::sort;

#[derive(Clone)]
pub struct Entry {
    pub pid: i32,
    pub ppid: i32,
    pub state: char,
    /// The command line, escaped and cut.
    pub command: String,
}

/// Every process /proc shows: pid, parent, state and command line, for
/// `--inspect` (a process of its own, not PID 1: it may allocate).
pub fn processes() -> Vec<Entry> {
    let mut all = Vec::new();
    let _ = procfs::scan(&mut |p| all.push(p));
    all.into_iter()
        .map(|p| Entry {
            pid: p.pid,
            ppid: p.ppid,
            state: char::from(p.state),
            command: command_line(
                &super::proc::words(&format!("/proc/{}/cmdline", p.pid)),
                &p.name.to_string(),
            ),
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
/// with their depth. Sorted once by parent, each parent's children are a
/// run found by binary search: n log n, however deep or wide the tree.
pub fn tree(root: i32, all: &[Entry]) -> Vec<(usize, Entry)> {
    let mut by_parent: Vec<&Entry> = all.iter().filter(|p| p.pid != p.ppid).collect();
    // Highest pid first within a parent: pushed in that order, popped lowest first.
    sort(&mut by_parent, |a, b| (a.ppid, b.pid) < (b.ppid, a.pid));
    let children = |parent: i32| {
        let from = by_parent.partition_point(|p| p.ppid < parent);
        let to = by_parent.partition_point(|p| p.ppid <= parent);
        by_parent.get(from..to).unwrap_or_default().iter().copied()
    };
    let mut out = Vec::new();
    let mut stack: Vec<(usize, &Entry)> = children(root).map(|p| (0, p)).collect();
    while let Some((depth, p)) = stack.pop() {
        out.push((depth, p.clone()));
        stack.extend(children(p.pid).map(|c| (depth + 1, c)));
    }
    out
}
