//! Every SIGKILL explained: the memory cgroup's OOM-kill count tells the
//! OOM killer from a `kill -9`, and where no count can be read the line
//! says so. The real OOM kills need root and a memory cgroup this test may
//! create (cgroup v1's memory hierarchy or v2's); Docker's `--memory` is
//! tests/e2e/docker.sh.

mod common;

use std::fs;
use std::path::PathBuf;

use common::{testkit, Mode, Namespace, Rinit, MODES};

/// A memory cgroup of 48 MiB below this test's own, removed when dropped;
/// None where none can be made (not root, no memory controller).
struct Cgroup(PathBuf);

impl Cgroup {
    fn new(tag: &str) -> Option<Cgroup> {
        let (dir, v1) = common::own_cgroup_child("memory", tag)?;
        let limits = match v1 {
            true => ["memory.limit_in_bytes", "memory.memsw.limit_in_bytes"],
            false => ["memory.max", "memory.swap.max"],
        };
        fs::create_dir(&dir).ok()?;
        let cgroup = Cgroup(dir);
        fs::write(cgroup.0.join(limits[0]), "48M").ok()?;
        // Without swap in the limit the hog would swap instead of dying.
        let _ = fs::write(cgroup.0.join(limits[1]), "48M");
        let _ = fs::write(cgroup.0.join(limits[1]), "0");
        Some(cgroup)
    }

    /// `rinit ARGS` as PID 1 (or under a shell), moved into this cgroup
    /// before it starts.
    fn rinit(&self, mode: Mode, args: &[&str]) -> Rinit {
        let procs = self.0.join("cgroup.procs");
        let enter = format!("echo $$ > {}", procs.display());
        Rinit::spawn(mode, Namespace::new(mode).before(&enter).rinit(args))
    }
}

impl Drop for Cgroup {
    fn drop(&mut self) {
        // Empty once every process in it is gone: retry for a moment.
        for _ in 0..100 {
            if fs::remove_dir(&self.0).is_ok() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
}

fn event(err: &str, name: &str) -> String {
    let tag = format!("\"event\":\"{name}\"");
    err.lines()
        .find(|l| l.contains(&tag))
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn an_oom_kill_of_the_command_is_named_with_the_limit_and_peak() {
    let Some(cgroup) = Cgroup::new("oom") else {
        eprintln!("skipped: no memory cgroup can be made here");
        return;
    };
    for mode in MODES {
        let mut rinit = cgroup.rinit(mode, &["--log-format", "json", "--", testkit(), "hog"]);
        assert_eq!(rinit.exit_code(), 137, "{}", rinit.report());
        let killed = event(&rinit.err.text(), "killed");
        assert!(killed.contains("\"oom\":true"), "{mode:?}: {killed}");
        assert!(
            killed.contains("the kernel's OOM killer sent it (memory limit 48.0 MiB, peak"),
            "{mode:?}: {killed}"
        );
    }
}

#[test]
fn a_kill_9_is_not_put_down_to_the_oom_killer_even_after_one() {
    let Some(cgroup) = Cgroup::new("kill") else {
        eprintln!("skipped: no memory cgroup can be made here");
        return;
    };
    // An orphan dies of the OOM killer first (-w names it), then the
    // command is kill -9'd: the count was read at the orphan's death, so
    // the command's SIGKILL is not the OOM killer's.
    let script = format!("({} hog &); sleep 1; kill -9 $$", testkit());
    let mut rinit = cgroup.rinit(
        Mode::Pid1,
        &["-w", "--log-format", "json", "--", "sh", "-c", &script],
    );
    assert_eq!(rinit.exit_code(), 137, "{}", rinit.report());
    let err = rinit.err.text();
    let reaped = event(&err, "reaped");
    assert!(
        reaped.contains("\"oom\":true") && reaped.contains("OOM killer sent it"),
        "{err}"
    );
    let killed = event(&err, "killed");
    assert!(
        killed.contains("\"oom\":false")
            && killed.contains("from outside rinit: not the OOM killer"),
        "{err}"
    );
}

#[test]
fn without_a_readable_count_the_line_says_so_and_json_has_no_verdict() {
    for mode in MODES {
        // /sys/fs/cgroup hidden under an empty tmpfs, in a mount namespace
        // of rinit's own.
        let cmd = Namespace::new(mode)
            .before("mount -t tmpfs none /sys/fs/cgroup")
            .rinit(&["--log-format", "json", "--", "sh", "-c", "kill -9 $$"]);
        let mut rinit = Rinit::spawn(mode, cmd);
        assert_eq!(rinit.exit_code(), 137, "{}", rinit.report());
        let killed = event(&rinit.err.text(), "killed");
        assert!(
            killed.contains("no memory cgroup OOM count is readable here"),
            "{mode:?}: {killed}"
        );
        assert!(!killed.contains("\"oom\""), "{mode:?}: {killed}");
    }
}

#[test]
fn a_kill_9_where_the_count_is_readable_is_not_the_oom_killer() {
    for mode in MODES {
        let mut rinit = Rinit::start(mode, &["--", "sh", "-c", "kill -9 $$"]);
        assert_eq!(rinit.exit_code(), 137);
        let line = rinit.expect_err("was killed by SIGKILL");
        // This machine's own cgroup may or may not be readable; either way
        // the line never guesses.
        assert!(
            line.contains("not the OOM killer (the memory cgroup counted no OOM kill)")
                || line.contains("no memory cgroup OOM count is readable here"),
            "{line}"
        );
    }
}
