//! Shutdown loses nothing: what the command leaves behind gets SIGTERM and
//! a grace period before SIGKILL; `--kill-after`, `--stop-delay` and the
//! stuck-shutdown report.

mod common;

use std::fs;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use common::{Mode, Rinit, MODES, TESTKIT};

/// A file path for one test run, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("rinit-{name}-{}-{n}", std::process::id()));
        Scratch(path)
    }
    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
    fn saved(&self) -> bool {
        fs::read_to_string(&self.0).is_ok_and(|s| s == "saved\n")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
        let _ = fs::remove_file(format!("{}.ready", self.path()));
    }
}

/// The command starts a background writer, waits until it is set up, and
/// exits with 4, leaving the writer behind.
fn leave_a_writer_behind(file: &Scratch) -> String {
    format!(
        "\"{TESTKIT}\" on-term {f} 300 & while [ ! -e {f}.ready ]; do sleep 0.01; done; exit 4",
        f = file.path()
    )
}

#[test]
fn a_process_left_behind_gets_sigterm_and_time_to_save_its_data() {
    for mode in MODES {
        let file = Scratch::new("writer");
        let mut rinit = Rinit::start(
            mode,
            &["-v", "--", "sh", "-c", &leave_a_writer_behind(&file)],
        );
        assert_eq!(rinit.exit_code(), 4, "{mode:?}");
        assert!(
            file.saved(),
            "{mode:?}: the writer's data is lost\n{}",
            rinit.report()
        );
        rinit.expect_err("sending SIGTERM to what is left");
        rinit.expect_err("(rinit-testkit)");
        rinit.expect_err("every process left has exited");
    }
}

#[test]
fn with_grace_0_what_is_left_loses_its_data() {
    for mode in MODES {
        let file = Scratch::new("writer-grace0");
        let mut rinit = Rinit::start(
            mode,
            &[
                "--grace",
                "0",
                "--",
                "sh",
                "-c",
                &leave_a_writer_behind(&file),
            ],
        );
        assert_eq!(rinit.exit_code(), 4, "{mode:?}");
        // Longer than the writer's flush would take, had it been told.
        thread::sleep(Duration::from_millis(600));
        assert!(!file.saved(), "{mode:?}: --grace 0 waited for the writer");
    }
}

#[test]
fn a_straggler_ignoring_sigterm_is_killed_when_the_grace_ends() {
    for mode in MODES {
        let started = Instant::now();
        let script = "(trap '' TERM; exec sleep 100) & sleep 0.1; exit 5";
        let mut rinit = Rinit::start(mode, &["-vv", "--grace", "1s", "--", "sh", "-c", script]);
        assert_eq!(rinit.exit_code(), 5, "{mode:?}");
        let took = started.elapsed();
        assert!(
            took >= Duration::from_millis(1000),
            "{mode:?}: exited after {took:?}, before the grace"
        );
        assert!(took < Duration::from_secs(4), "{mode:?}: took {took:?}");
        let line = rinit.expect_err("grace of 1s is over: sending SIGKILL to");
        assert!(line.contains("(sleep)"), "{line}");
        // rinit killed and reaped it itself, not left it to the kernel.
        rinit.expect_err("which was killed by SIGKILL");
        assert_eq!(
            rinit.err.count("left to the kernel"),
            0,
            "{}",
            rinit.report()
        );
    }
}

#[test]
fn kill_after_ends_a_command_that_ignores_sigterm() {
    for mode in MODES {
        let script = "trap '' TERM; echo ready; sleep 100";
        let mut rinit = Rinit::start(mode, &["--kill-after", "1s", "--", "sh", "-c", script]);
        rinit.expect_out("ready");
        let sent = Instant::now();
        rinit.signal(libc::SIGTERM);
        assert_eq!(rinit.exit_code(), 137, "{mode:?}");
        let took = sent.elapsed();
        assert!(
            took >= Duration::from_millis(950) && took < Duration::from_secs(4),
            "{mode:?}: {took:?}"
        );
        let line = rinit.expect_err("(--kill-after): sending SIGKILL");
        assert!(line.contains("(sleep)"), "{line}");
    }
}

#[test]
fn without_kill_after_a_command_ignoring_sigterm_keeps_running() {
    let script = "trap '' TERM; echo ready; sleep 100";
    let mut rinit = Rinit::start(Mode::Pid1, &["--", "sh", "-c", script]);
    rinit.expect_out("ready");
    rinit.signal(libc::SIGTERM);
    assert!(rinit.wait_timeout(Duration::from_millis(1500)).is_none());
}

#[test]
fn stop_delay_holds_sigterm_then_forwards_it() {
    for mode in MODES {
        let mut rinit = Rinit::start(mode, &["--stop-delay", "1s", "--", TESTKIT, "record"]);
        rinit.expect_out("child ready");
        let sent = Instant::now();
        rinit.signal(libc::SIGTERM);
        rinit.expect_out("child SIGTERM");
        let took = sent.elapsed();
        assert!(
            took >= Duration::from_millis(950) && took < Duration::from_secs(4),
            "{mode:?}: {took:?}"
        );
        // Other signals are not held.
        let sent = Instant::now();
        rinit.signal(libc::SIGUSR1);
        rinit.expect_out("child SIGUSR1");
        assert!(sent.elapsed() < Duration::from_millis(900));
    }
}

#[test]
fn a_second_sigterm_or_a_sigint_during_the_stop_delay_forwards_at_once() {
    for (second, seen) in [
        (libc::SIGTERM, "child SIGTERM"),
        (libc::SIGINT, "child SIGINT"),
    ] {
        let mut rinit = Rinit::start(
            Mode::Pid1,
            &["-v", "--stop-delay", "5s", "--", TESTKIT, "record"],
        );
        rinit.expect_out("child ready");
        let sent = Instant::now();
        rinit.signal(libc::SIGTERM);
        rinit.expect_err("holding it for 5s");
        rinit.signal(second);
        rinit.expect_out("child SIGTERM");
        rinit.expect_out(seen);
        assert!(
            sent.elapsed() < Duration::from_secs(4),
            "{seen}: the delay was not cut short"
        );
        assert_eq!(rinit.out.count("child SIGTERM"), 1, "{}", rinit.report());
    }
}

#[test]
fn a_stop_that_hangs_is_reported_with_what_still_runs() {
    for mode in MODES {
        let script = "trap '' TERM; echo ready; sleep 100";
        // No -v: the report is a warning, shown at the default verbosity.
        let mut rinit = Rinit::start(mode, &["--", "sh", "-c", script]);
        rinit.expect_out("ready");
        rinit.signal(libc::SIGTERM);
        let line = rinit.expect_err("still running 5s after SIGTERM");
        assert!(line.contains("(sh)") && line.contains("(sleep)"), "{line}");
    }
}
