//! rinit speaks on stderr only, `[rinit] ...`; `-v` names each signal and
//! its sender; a broken stderr never kills or stops it.

mod common;

use std::process::Stdio;

use common::{Mode, Namespace, Rinit, MODES};

#[test]
fn verbose_names_the_signal_and_its_sender() {
    for mode in MODES {
        // The command signals rinit itself, from inside the namespace.
        let script = "trap '' USR1; echo $$; kill -USR1 $PPID; sleep 0.3";
        let mut rinit = Rinit::start(mode, &["-v", "--", "sh", "-c", script]);
        assert_eq!(rinit.exit_code(), 0);
        let sender = rinit.out.all().first().cloned().unwrap();
        let line = rinit.expect_err("SIGUSR1 from");
        assert!(
            line.contains(&format!("pid {sender} (sh, uid 0)")),
            "{mode:?}: {line}"
        );
        assert!(line.contains("forwarded to group"), "{line}");
    }
}

#[test]
fn verbose_tells_the_lifecycle_on_stderr_and_nothing_on_stdout() {
    let mut rinit = Rinit::start(
        Mode::Pid1,
        &["-v", "--", "sh", "-c", "echo from-child; exit 4"],
    );
    assert_eq!(rinit.exit_code(), 4);
    assert_eq!(rinit.out.all(), ["from-child"]);
    rinit.expect_err("started 'sh -c echo from-child; exit 4' as pid 2");
    rinit.expect_err("child 2 exited with code 4");
    rinit.expect_err("exiting with status 4");
    for line in rinit.err.all() {
        assert!(line.starts_with("[rinit] "), "{line}");
    }
}

#[test]
fn by_default_rinit_says_nothing() {
    let mut rinit = Rinit::start(Mode::Pid1, &["--", "sh", "-c", "kill -HUP 1; sleep 0.2"]);
    assert_eq!(rinit.exit_code(), 129);
    assert!(rinit.err.all().is_empty(), "{}", rinit.report());
}

#[test]
fn a_stderr_with_no_reader_does_not_kill_rinit() {
    for mode in MODES {
        let mut cmd = common::command(
            mode,
            &[
                "-vv",
                "--",
                "sh",
                "-c",
                "trap '' USR2; kill -USR2 $PPID; sleep 0.1; exit 6",
            ],
        );
        // stderr is a pipe whose reading end is closed at once.
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        drop(child.stderr.take());
        let status = common::wait_or_kill(&mut child);
        assert_eq!(status, Some(6), "{mode:?}");
    }
}

#[test]
fn a_full_stderr_nobody_reads_does_not_stop_rinit() {
    // 2,000 reaped orphans at -vv write far more than a pipe holds.
    let mut cmd = common::command(
        Mode::Pid1,
        &["-vv", "--", common::testkit(), "orphans", "2000"],
    );
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let _unread = child.stderr.take();
    assert_eq!(common::wait_or_kill(&mut child), Some(0));
}

#[test]
fn a_closed_stderr_does_not_stop_rinit() {
    let mut cmd = common::command(Mode::Pid1, &["-vv", "--", "sh", "-c", "exit 3"]);
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut cmd, || {
            libc::close(2);
            Ok(())
        });
    }
    cmd.stdin(Stdio::null()).stdout(Stdio::null());
    let mut child = cmd.spawn().unwrap();
    assert_eq!(common::wait_or_kill(&mut child), Some(3));
}

#[test]
fn a_stalled_log_reader_never_stops_rinit_whatever_user_it_runs_as() {
    // stderr is a root-owned pipe whose reader never reads: as another user
    // rinit may not reopen it. The command fills it and blocks there; a
    // SIGUSR1 must still be relayed, its line dropped, and rinit exit.
    let fill = "head -c 70000 /dev/zero >&2; exec sleep 1";
    for user in [None, Some(65534)] {
        for mode in MODES {
            let (read, write) = nix::unistd::pipe().unwrap();
            let mut cmd = Namespace::new(mode)
                .user(user)
                .rinit(&["-v", "--", "sh", "-c", fill]);
            cmd.stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::from(write));
            let mut child = cmd.spawn().unwrap();
            // Wait for the pipe to be full (whole pages: some 60 kB of 64).
            let mut queued: libc::c_int = 0;
            let full = common::holds_within(common::PATIENCE, || {
                unsafe {
                    libc::ioctl(
                        std::os::fd::AsRawFd::as_raw_fd(&read),
                        libc::FIONREAD,
                        &mut queued,
                    )
                };
                queued > 60_000
            });
            assert!(full, "{user:?} {mode:?}: pipe never filled ({queued})");
            let rinit = common::descendant_named(child.id() as i32, "rinit").unwrap();
            assert_eq!(unsafe { libc::kill(rinit, libc::SIGUSR1) }, 0);
            let status = common::wait_or_kill(&mut child);
            drop(read);
            assert_eq!(
                status,
                Some(128 + libc::SIGUSR1),
                "{user:?} {mode:?}: rinit hung on a full stderr"
            );
        }
    }
}
