//! Processes as /proc shows them: names, status fields, the tree below a
//! process, the one named X in it, signal masks, cgroups.

use std::collections::HashMap;
use std::fs;

use super::{within, PATIENCE};

/// The command name of a process.
pub fn comm(pid: i32) -> Option<String> {
    fs::read_to_string(format!("/proc/{pid}/comm"))
        .ok()
        .map(|s| s.trim_end().to_owned())
}

/// A field of /proc/PID/status, e.g. "voluntary_ctxt_switches".
pub fn status_field(pid: i32, field: &str) -> Option<String> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|l| {
        l.strip_prefix(field)?
            .strip_prefix(':')
            .map(|v| v.trim().to_owned())
    })
}

/// Every process below `root`, from the parent links in /proc.
pub fn descendants(root: i32) -> Vec<i32> {
    let mut children: HashMap<i32, Vec<i32>> = HashMap::new();
    for entry in fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        let Some((_, after)) = stat.rsplit_once(')') else {
            continue;
        };
        if let Some(ppid) = after.split_whitespace().nth(1).and_then(|p| p.parse().ok()) {
            children.entry(ppid).or_default().push(pid);
        }
    }
    let mut found = Vec::new();
    let mut todo = vec![root];
    while let Some(pid) = todo.pop() {
        for &child in children.get(&pid).map(Vec::as_slice).unwrap_or_default() {
            found.push(child);
            todo.push(child);
        }
    }
    found
}

/// The first process below `root` named `name` (its /proc/PID/comm).
pub fn descendant_named(root: i32, name: &str) -> Option<i32> {
    descendants(root)
        .into_iter()
        .find(|&p| comm(p).as_deref() == Some(name))
}

/// The first process below `root` named `name` that has a child (or any
/// process below it) named `below`: one that has set itself up.
pub fn descendant_above(root: i32, name: &str, below: &str) -> Option<i32> {
    descendants(root)
        .into_iter()
        .find(|&p| comm(p).as_deref() == Some(name) && descendant_named(p, below).is_some())
}

/// Waits for a process below `root` named `name`, failing the test at
/// PATIENCE.
pub fn await_descendant(root: i32, name: &str) -> i32 {
    within(PATIENCE, || descendant_named(root, name))
        .unwrap_or_else(|| panic!("no {name} below {root} showed up"))
}

/// Sends `sig` to `pid`, failing the test if it cannot.
pub fn kill(pid: i32, sig: i32) {
    assert_eq!(unsafe { libc::kill(pid, sig) }, 0, "kill({pid}, {sig})");
}

/// The pid, as the test sees it, of the process below `root` whose pid in
/// its own namespace is `ns_pid`.
pub fn host_pid(root: i32, ns_pid: i32) -> i32 {
    descendants(root)
        .into_iter()
        .find(|&p| {
            status_field(p, "NSpid")
                .is_some_and(|ns| ns.rsplit('\t').next() == Some(&ns_pid.to_string()))
        })
        .unwrap_or_else(|| panic!("no process {ns_pid} below {root}"))
}

/// rinit's signal mask, as /proc shows it: every signal 1-64 blocked but
/// KILL and STOP, which cannot be.
pub const EVERY_SIGNAL_BLOCKED: &str = "fffffffffffbfeff";

/// The `SigBlk` of every task (thread) of process `pid`, in the order
/// /proc/PID/task lists them; empty when the process is gone.
pub fn sigblk_of_every_task(pid: i32) -> Vec<String> {
    let Ok(tasks) = fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    let mut blocked = Vec::new();
    for task in tasks.flatten() {
        let Ok(status) = fs::read_to_string(task.path().join("status")) else {
            continue;
        };
        if let Some(mask) = status.lines().find_map(|l| l.strip_prefix("SigBlk:")) {
            blocked.push(mask.trim().to_owned());
        }
    }
    blocked
}

/// A new cgroup directory for `controller` below this test process's own
/// (cgroup v1's hierarchy of that controller, else v2's unified one),
/// named for `tag`; with whether it is v1. Not yet created.
pub fn own_cgroup_child(controller: &str, tag: &str) -> Option<(std::path::PathBuf, bool)> {
    let own = fs::read_to_string("/proc/self/cgroup").ok()?;
    let name = format!("rinit-test-{tag}-{}", std::process::id());
    let v1 = own.lines().find_map(|l| {
        let mut f = l.splitn(3, ':');
        let (_, controllers, path) = (f.next()?, f.next()?, f.next()?);
        controllers
            .split(',')
            .any(|c| c == controller)
            .then(|| path.to_owned())
    });
    let parent = match &v1 {
        Some(path) => format!("/sys/fs/cgroup/{controller}{path}"),
        None => format!(
            "/sys/fs/cgroup{}",
            own.lines().find_map(|l| l.strip_prefix("0::"))?
        ),
    };
    Some((std::path::PathBuf::from(parent).join(name), v1.is_some()))
}
