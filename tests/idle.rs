//! An idle rinit never wakes up: no timer, no polling; paused (-P) either.

mod common;

use std::thread;
use std::time::Duration;

use common::{status_field, testkit, Rinit, MODES};

/// Asserts that `rinit`, set up and idle, makes no context switch in 2 s.
fn assert_never_wakes_up(rinit: &mut Rinit, what: &str) {
    let pid = rinit.pid();
    thread::sleep(Duration::from_millis(200));
    let before = status_field(pid, "voluntary_ctxt_switches").unwrap();
    thread::sleep(Duration::from_secs(2));
    let after = status_field(pid, "voluntary_ctxt_switches").unwrap();
    assert_eq!(before, after, "{what}: rinit woke up while idle");
}

#[test]
fn an_idle_rinit_does_not_wake_up_for_two_seconds() {
    for mode in MODES {
        let mut rinit = Rinit::start(mode, &["--", testkit(), "sleep", "30"]);
        rinit.expect_out("ready");
        assert_never_wakes_up(&mut rinit, &format!("{mode:?}"));
    }
}

#[test]
fn a_paused_rinit_does_not_wake_up_either() {
    for mode in MODES {
        let mut rinit = Rinit::start(mode, &["-v", "-P"]);
        rinit.expect_err("pausing (-P)");
        assert_never_wakes_up(&mut rinit, &format!("-P, {mode:?}"));
    }
}
