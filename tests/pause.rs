//! `-P`, under every name: no command; rinit holds the namespace as its
//! PID 1 (or as a subreaper), reaps every zombie, exits 0 on SIGTERM or
//! SIGINT, ignores every other signal and never wakes up while idle
//! (tests/idle.rs).

mod common;

use std::process::Command;
use std::thread;
use std::time::Duration;

use common::{descendants, rinit_bin, run_plain, status_field, timed, Mode, Rinit, MODES, NAMES};

/// The zombies below `root`, as the test sees them.
fn zombies_below(root: i32) -> usize {
    descendants(root)
        .into_iter()
        .filter(|&p| status_field(p, "State").is_some_and(|s| s.starts_with('Z')))
        .count()
}

/// Leaves orphans in the paused namespace from outside it, as another
/// container of the pod does: `nsenter`'s shell exits at once, its
/// children go to the namespace's reaper, and exit a moment later.
fn leave_orphans(rinit: &mut Rinit) {
    let status = Command::new("nsenter")
        .args(["--target", &rinit.pid().to_string(), "--pid", "--"])
        .args(["sh", "-c", "for i in 1 2 3; do sleep 0.2 & done; exit 0"])
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn a_paused_rinit_reaps_every_orphan_and_a_stop_ends_it_with_0() {
    for name in NAMES {
        for mode in MODES {
            for (stop, flag) in [(libc::SIGTERM, "-P"), (libc::SIGINT, "--pause")] {
                let mut rinit = Rinit::start_as(name, mode, &["-v", flag]);
                rinit.expect_err("pausing (-P)");
                if mode == Mode::Pid1 {
                    leave_orphans(&mut rinit);
                    let pid = rinit.pid();
                    thread::sleep(Duration::from_millis(600));
                    assert_eq!(zombies_below(pid), 0, "{name} {mode:?}\n{}", rinit.report());
                }
                // Other signals are no stop: there is no command to relay them to.
                for other in [
                    libc::SIGHUP,
                    libc::SIGUSR1,
                    libc::SIGQUIT,
                    libc::SIGWINCH,
                    40,
                ] {
                    rinit.signal(other);
                }
                rinit.expect_err("SIGRTMIN+6: ignored while pausing");
                assert!(
                    rinit.wait_timeout(Duration::ZERO).is_none(),
                    "{name} {mode:?}"
                );
                let (code, took) = timed(|| {
                    rinit.signal(stop);
                    rinit.exit_code()
                });
                assert_eq!(code, 0, "{name} {mode:?}\n{}", rinit.report());
                assert!(took < Duration::from_secs(1), "{name} {mode:?}");
            }
        }
    }
}

#[test]
fn pause_with_a_command_is_a_usage_error() {
    let (status, _, err) = run_plain(&["-P", "sleep", "1"]);
    assert_eq!(status, 2);
    assert!(err.contains("-P (pause) runs no command"), "{err}");
}

#[test]
fn inspect_recognises_a_paused_rinit() {
    let mut rinit = Rinit::start_as("catatonit", Mode::Pid1, &["-v", "-P"]);
    rinit.expect_err("pausing (-P)");
    let mut cmd = Command::new(rinit_bin());
    cmd.args(["--inspect", &rinit.pid().to_string()]);
    let (status, out, err) = common::run_with_deadline(cmd);
    assert_eq!(status, 0, "{err}");
    assert!(
        out.contains("This is rinit (as catatonit) pausing (-P)")
            && out.contains("exits 0 on SIGTERM or SIGINT"),
        "{out}"
    );
}
