//! Orphans re-parented to rinit never stay zombies, as PID 1 and as subreaper.

mod common;

use common::{testkit, Rinit, MODES};

#[test]
fn a_thousand_orphans_never_stay_zombies() {
    for mode in MODES {
        let mut rinit = Rinit::start(mode, &["--", testkit(), "orphans", "1000", "5"]);
        rinit.expect_out("orphaned");
        assert_eq!(
            rinit.expect_out("misparented"),
            "misparented 0",
            "{mode:?}\n{}",
            rinit.report()
        );
        let line = rinit.expect_out("zombies");
        assert_eq!(line, "zombies 0", "{mode:?}\n{}", rinit.report());
        assert_eq!(rinit.exit_code(), 0);
    }
}

#[test]
fn reaped_orphans_are_logged_at_debug_level() {
    let mut rinit = Rinit::start(
        common::Mode::Pid1,
        &[
            "-vv",
            "--",
            "sh",
            "-c",
            "(sh -c 'sleep 0.1; exit 5' &); sleep 0.5",
        ],
    );
    assert_eq!(rinit.exit_code(), 0);
    rinit.expect_err("reaped process");
    rinit.expect_err("exited with code 5");
}

#[test]
fn outside_pid_1_rinit_says_it_became_a_subreaper() {
    let mut rinit = Rinit::start(common::Mode::Subreaper, &["-v", "--", "true"]);
    assert_eq!(rinit.exit_code(), 0);
    rinit.expect_err("subreaper");
    let mut rinit = Rinit::start(common::Mode::Pid1, &["-v", "--", "true"]);
    assert_eq!(rinit.exit_code(), 0);
    assert_eq!(rinit.err.count("subreaper"), 0);
}
