//! A /proc that is absent, or mounted hidepid=2 so that rinit sees only its
//! own user's processes, as root and as uid 1000, as PID 1 and as
//! subreaper: rinit says so, still relays a signal within a second, exits
//! with the command's status, and its drain leaves no process behind.

mod common;

use std::thread;
use std::time::Duration;

use common::{await_descendant, spawn_reading, stop_then_interrupt, Mode, Namespace, MODES};

/// How long a relayed signal may take to reach the command.
const RELAYED_WITHIN: Duration = Duration::from_secs(1);

/// What /proc shows rinit: nothing, or only its own user's processes.
#[derive(Clone, Copy, Debug)]
enum ProcView {
    Absent,
    HidePid,
}

/// rinit as PID 1 (or under a shell that then stays PID 1) of a namespace
/// whose /proc is `view`, as `uid`; its command ignores SIGTERM, has 50
/// processes below it that ignore SIGTERM and SIGINT, and exits 3 on
/// SIGINT. The SIGINT is relayed within a second, the status comes out,
/// and the drain leaves no process behind.
fn without_a_full_proc(view: ProcView, mode: Mode, uid: Option<u32>) {
    let setup = match view {
        ProcView::Absent => "umount -l /proc",
        ProcView::HidePid => "mount -t proc -o hidepid=2 proc /proc",
    };
    let crowd = "trap '' TERM INT; i=0; while [ $i -lt 50 ]; do sleep 1000 & i=$((i+1)); done; \
                 trap 'echo got-INT; exit 3' INT; echo ready; while :; do sleep 0.05; done";
    let cmd = Namespace::new(mode)
        .own_mounts()
        .before(setup)
        // Away from PID 1 the shell stays, says when rinit is gone and
        // waits: whatever rinit left would still be there to count.
        .after("echo rinit-exited; sleep 2")
        .user(uid)
        .rinit(&["-vv", "--grace", "1s", "--", "sh", "-c", crowd]);
    let case = format!("{view:?} {mode:?} {uid:?}");
    let (mut child, out, err) = spawn_reading(cmd);
    assert!(
        out.wait_for("ready", common::PATIENCE).is_some(),
        "{case}\n{}",
        err.text()
    );
    if let ProcView::Absent = view {
        assert!(
            err.wait_for("/proc is not mounted", common::PATIENCE)
                .is_some(),
            "{case}: /proc was there\n{}",
            err.text()
        );
    }
    let rinit = await_descendant(child.id() as i32, "rinit");
    let (got, took) = stop_then_interrupt(rinit, &out, Duration::from_millis(200));
    assert!(got.is_some(), "{case}: SIGINT never reached the command");
    assert!(took < RELAYED_WITHIN, "{case}: SIGINT took {took:?}");
    if mode == Mode::Subreaper {
        assert!(
            out.wait_for("rinit-exited", common::PATIENCE).is_some(),
            "{case}\n{}",
            err.text()
        );
        // The shell and its sleep are all the namespace may still hold.
        let shell = common::descendants(child.id() as i32);
        let left: Vec<_> = shell
            .iter()
            .filter(|&&p| common::comm(p).as_deref() == Some("sleep"))
            .collect();
        assert!(
            left.len() <= 1,
            "{case}: left behind: {left:?}\n{}",
            err.text()
        );
    }
    let status = common::wait_or_kill(&mut child);
    assert_eq!(status, Some(3), "{case}\n{}", err.text());
}

#[test]
fn no_proc_and_a_hidden_proc_still_relay_exit_and_drain() {
    let mut runs = Vec::new();
    for view in [ProcView::Absent, ProcView::HidePid] {
        for mode in MODES {
            for uid in [None, Some(1000)] {
                runs.push(thread::spawn(move || without_a_full_proc(view, mode, uid)));
            }
        }
    }
    for run in runs {
        run.join().unwrap();
    }
}
