//! Signals sent to rinit reach the command: every one, to its whole process
//! group by default, rewritten or dropped as `-r` says, real-time ones as
//! often as they were sent.

mod common;

use std::time::Duration;

use common::{
    descendant_above, descendant_named, testkit, within, Mode, Namespace, Rinit, MODES, PATIENCE,
};

fn wait_for_process(rinit: &mut Rinit, name: &str) {
    let root = rinit.pid();
    let started = within(PATIENCE, || descendant_named(root, name));
    assert!(
        started.is_some(),
        "{name} never started\n{}",
        rinit.report()
    );
}

#[test]
fn sigterm_stops_a_shell_wrapped_app_at_once_as_pid_1() {
    let mut rinit = Rinit::start(Mode::Pid1, &["--", "sh", "-c", "sleep 1000; echo after"]);
    wait_for_process(&mut rinit, "sleep");
    rinit.signal(libc::SIGTERM);
    let status = rinit.wait_timeout(Duration::from_secs(2));
    assert!(
        status.is_some(),
        "still running 2 s after SIGTERM\n{}",
        rinit.report()
    );
    assert_eq!(rinit.exit_code(), 143);
    assert!(!rinit.out.text().contains("after"));
}

#[test]
fn control_a_bare_shell_as_pid_1_never_sees_sigterm() {
    let cmd = Namespace::new(Mode::Pid1).command("sh", &["-c", "sleep 1000; echo after"]);
    let mut shell = Rinit::spawn(Mode::Pid1, cmd);
    let root = std::process::id() as i32;
    let sh = within(PATIENCE, || descendant_above(root, "sh", "sleep"))
        .unwrap_or_else(|| panic!("the shell never started its sleep"));
    assert_eq!(unsafe { libc::kill(sh, libc::SIGTERM) }, 0);
    assert!(
        shell.wait_timeout(Duration::from_secs(1)).is_none(),
        "a shell as PID 1 obeyed SIGTERM"
    );
}

#[test]
fn every_relayed_standard_signal_reaches_a_trapping_child() {
    for mode in MODES {
        let mut rinit = Rinit::start(mode, &["--", testkit(), "record"]);
        rinit.expect_out("child ready");
        for sig in common::relayed_standard_signals() {
            rinit.signal(sig);
            let name = signal_name(sig);
            rinit.expect_out(&format!("child {name}"));
        }
    }
}

#[test]
fn real_time_signals_arrive_as_often_as_they_were_sent() {
    let sig = common::RTMIN + 1;
    for mode in MODES {
        let mut rinit = Rinit::start(
            mode,
            &["--", testkit(), "rtcount", &sig.to_string(), "1000"],
        );
        rinit.expect_out("ready");
        for _ in 0..1000 {
            rinit.signal(sig);
        }
        let line = rinit.expect_out("count");
        assert_eq!(line, "count 1000", "{mode:?}");
    }
}

#[test]
fn signals_reach_the_whole_process_group_by_default() {
    for mode in MODES {
        let mut rinit = Rinit::start(mode, &["--", testkit(), "record", "--fork"]);
        common::assert_reaches(&mut rinit, true);
    }
}

#[test]
fn single_child_reaches_only_the_child() {
    for flag in ["-c", "--single-child"] {
        let mut rinit = Rinit::start(Mode::Pid1, &[flag, "--", testkit(), "record", "--fork"]);
        common::assert_reaches(&mut rinit, false);
    }
}

#[test]
fn rewrite_relays_a_signal_as_another_by_name_or_number() {
    for rule in ["USR1:USR2", "sigusr1:SIGUSR2", "10:12"] {
        let mut rinit = Rinit::start(Mode::Pid1, &["-r", rule, "--", testkit(), "record"]);
        rinit.expect_out("child ready");
        rinit.signal(libc::SIGUSR1);
        rinit.expect_out("child SIGUSR2");
        assert_eq!(rinit.out.count("child SIGUSR1"), 0, "{rule}");
    }
    let rtmin3 = common::RTMIN + 3;
    let mut rinit = Rinit::start(
        Mode::Subreaper,
        &["--rewrite", "RTMIN+3:HUP", "--", testkit(), "record"],
    );
    rinit.expect_out("child ready");
    rinit.signal(rtmin3);
    rinit.expect_out("child SIGHUP");
}

#[test]
fn rewrite_to_zero_drops_the_signal() {
    let mut rinit = Rinit::start(
        Mode::Pid1,
        &["-v", "-r", "TERM:0", "--", testkit(), "record"],
    );
    rinit.expect_out("child ready");
    rinit.signal(libc::SIGTERM);
    rinit.expect_err("SIGTERM from outside the PID namespace (uid 0): dropped");
    // Anything relayed after the drop arrives; the dropped one never does.
    rinit.signal(libc::SIGUSR1);
    rinit.expect_out("child SIGUSR1");
    assert_eq!(rinit.out.count("SIGTERM"), 0, "{}", rinit.report());
}

pub fn signal_name(sig: i32) -> String {
    let names = [
        "", "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV",
        "USR2", "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU",
        "URG", "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS",
    ];
    format!("SIG{}", names[sig as usize])
}
