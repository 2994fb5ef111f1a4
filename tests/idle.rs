//! An idle rinit never wakes up: no timer, no polling.

mod common;

use std::thread;
use std::time::Duration;

use common::{status_field, Rinit, MODES, TESTKIT};

#[test]
fn an_idle_rinit_does_not_wake_up_for_two_seconds() {
    for mode in MODES {
        let mut rinit = Rinit::start(mode, &["--", TESTKIT, "sleep", "30"]);
        rinit.expect_out("ready");
        let pid = rinit.pid();
        thread::sleep(Duration::from_millis(200));
        let before = status_field(pid, "voluntary_ctxt_switches").unwrap();
        thread::sleep(Duration::from_secs(2));
        let after = status_field(pid, "voluntary_ctxt_switches").unwrap();
        assert_eq!(before, after, "{mode:?}: rinit woke up while idle");
    }
}
