//! Faults rinit must survive with a clear `[rinit]` line and a sane exit
//! status, never a hang: a fork that fails, a child killed, stopped or hung
//! up on, no /proc, no /dev/tty, a read-only root, an unprivileged user.
//! (Exec failures: exit_status.rs; broken stderr: logging.rs.)

mod common;

use std::os::unix::process::CommandExt;
use std::process::Command;
use std::time::Duration;

use common::{clean_slate, rinit_bin, run_with_deadline, testkit, Mode, Namespace, Rinit};

const NOBODY: u32 = 65534;

/// rinit started as user `nobody` (the tests run as root in CI).
fn as_nobody(args: &[&str], nproc: Option<u64>) -> Option<Command> {
    if !common::is_root() {
        eprintln!("skipped: switching to an unprivileged user needs root");
        return None;
    }
    let mut cmd = Command::new(rinit_bin());
    cmd.args(args);
    clean_slate(&mut cmd);
    unsafe {
        cmd.pre_exec(move || {
            if let Some(n) = nproc {
                let limit = libc::rlimit {
                    rlim_cur: n,
                    rlim_max: n,
                };
                libc::setrlimit(libc::RLIMIT_NPROC, &limit);
            }
            libc::setgroups(0, std::ptr::null());
            libc::setgid(NOBODY);
            libc::setuid(NOBODY);
            Ok(())
        });
    }
    Some(cmd)
}

#[test]
fn a_fork_that_fails_is_one_line_and_exit_126() {
    // RLIMIT_NPROC 1: rinit itself is nobody's one process allowed.
    let Some(cmd) = as_nobody(&["--", "true"], Some(1)) else {
        return;
    };
    let (status, _, err) = run_with_deadline(cmd);
    assert_eq!(status, 126, "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("[rinit] cannot start 'true': clone: Resource temporarily unavailable"),
        "{err}"
    );
}

#[test]
fn an_unprivileged_rinit_still_adopts_and_reaps_orphans() {
    let Some(cmd) = as_nobody(&["--", testkit(), "orphans", "200"], None) else {
        return;
    };
    let (status, out, err) = run_with_deadline(cmd);
    assert_eq!(status, 0, "{err}");
    assert!(
        out.contains("misparented 0") && out.contains("zombies 0"),
        "{out}{err}"
    );
}

#[test]
fn a_child_killed_by_a_signal_rinit_never_sent_is_explained() {
    for mode in common::MODES {
        let mut rinit = Rinit::start(mode, &["--", "sh", "-c", "kill -SEGV $$"]);
        assert_eq!(rinit.exit_code(), 139);
        let line = rinit.expect_err("was killed by SIGSEGV");
        assert!(
            line.contains("rinit did not send") && line.contains("a fault"),
            "{line}"
        );
        // Who sent a SIGKILL: tests/oom.rs.
        let mut rinit = Rinit::start(mode, &["--", "sh", "-c", "kill -KILL $$"]);
        assert_eq!(rinit.exit_code(), 137);
        let line = rinit.expect_err("was killed by SIGKILL");
        assert!(line.contains("from outside rinit"), "{line}");
    }
    // One rinit relayed is no surprise: nothing to explain.
    let mut rinit = Rinit::start(Mode::Pid1, &["--", "sh", "-c", "echo ready; sleep 100"]);
    rinit.expect_out("ready");
    rinit.signal(libc::SIGTERM);
    assert_eq!(rinit.exit_code(), 143);
    assert!(rinit.err.all().is_empty(), "{}", rinit.report());
}

#[test]
fn a_child_stopped_and_continued_is_not_taken_for_dead() {
    for mode in common::MODES {
        let script = "echo stopping; kill -STOP $$; echo continued; exit 5";
        let mut rinit = Rinit::start(mode, &["-v", "--", "sh", "-c", script]);
        rinit.expect_out("stopping");
        // Still running, though stopped: rinit must not have exited.
        assert!(
            rinit.wait_timeout(Duration::from_millis(500)).is_none(),
            "{}",
            rinit.report()
        );
        rinit.signal(libc::SIGCONT);
        rinit.expect_out("continued");
        assert_eq!(rinit.exit_code(), 5);
    }
}

#[test]
fn a_terminal_hang_up_ends_the_command_and_rinit_with_129() {
    // As under `docker run -it`: rinit is PID 1 and leads the session whose
    // controlling terminal hangs up, so the kernel's SIGHUP comes to rinit.
    let args = ["--ctty", rinit_bin(), "-v", "--", "sleep", "100"];
    let mut cmd = Namespace::new(Mode::Pid1).command("setsid", &args);
    let mut master = common::attach_pty(&mut cmd, false);
    let mut child = cmd.spawn().unwrap();
    let mut seen = Vec::new();
    let deadline = common::Deadline::after(common::PATIENCE);
    while !String::from_utf8_lossy(&seen).contains("started 'sleep 100'") {
        assert!(!deadline.passed(), "rinit never started");
        let mut buf = [0u8; 1024];
        let n = std::io::Read::read(&mut master, &mut buf).unwrap();
        seen.extend_from_slice(&buf[..n]);
    }
    // Closing the master hangs the terminal up: SIGHUP to its session leader.
    drop(master);
    assert_eq!(common::wait_or_kill(&mut child), Some(129));
}

/// Runs `script` as root in new PID and mount namespaces (the mount changes
/// stay there), with $RINIT and $TESTKIT set; returns (status, stdout, stderr).
fn in_namespaces(script: &str) -> Option<(i32, String, String)> {
    if !common::is_root() {
        eprintln!("skipped: mounting needs root");
        return None;
    }
    let mut cmd = Namespace::new(Mode::Pid1)
        .own_mounts()
        .command("sh", &["-c", script]);
    cmd.env("RINIT", rinit_bin()).env("TESTKIT", testkit());
    Some(run_with_deadline(cmd))
}

#[test]
fn without_proc_rinit_warns_once_and_still_relays_reaps_and_drains() {
    let script = r#"umount -l /proc 2>/dev/null; [ -e /proc/self ] && exit 99
                exec "$RINIT" -v -- sh -c 'trap "" USR1; (trap "exit 0" TERM; while :; do sleep 0.05; done) & kill -USR1 1; sleep 0.2; exit 3'"#;
    let Some((status, _, err)) = in_namespaces(script) else {
        return;
    };
    assert_eq!(status, 3, "{err}");
    assert!(err.contains("[rinit] /proc is not mounted"), "{err}");
    assert!(err.contains("SIGUSR1 from pid"), "{err}");
    assert!(err.contains("every process left has exited"), "{err}");
}

#[test]
fn without_dev_tty_and_on_a_read_only_root_rinit_runs_as_ever() {
    // This namespace's own /proc: another namespace's is worth a warning.
    let script = r#"mount -t proc proc /proc || exit 95
        mount -t tmpfs none /dev && [ ! -e /dev/tty ] || exit 98
        mount --bind / / && mount -o remount,bind,ro / || exit 97
        exec "$RINIT" -- sh -c 'touch /rinit-test-write 2>/dev/null && exit 96; exit 7'"#;
    let Some((status, out, err)) = in_namespaces(script) else {
        return;
    };
    assert_eq!(status, 7, "{out}{err}");
    assert!(err.is_empty(), "{err}");
}
