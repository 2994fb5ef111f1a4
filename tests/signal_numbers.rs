//! Real-time signals by the kernel's numbers, 32 to 64, whatever the C
//! library rinit was built with keeps for itself (glibc 32-33, musl 32-34):
//! each is relayed, rewritten, named as `kill -l` names it, and a command's
//! death by any of them ends rinit with 128+N. Run against the shipped musl
//! binary too (`RINIT_TEST_BINARY`).

mod common;

use common::{testkit, Mode, Rinit, MODES, NAMES, RTMIN};

const REAL_TIME: std::ops::RangeInclusive<i32> = 32..=64;

/// The recorder's name for `n`, as rinit's logs name it too.
fn name(n: i32) -> String {
    match n {
        32 | 33 => format!("SIG{n}"),
        RTMIN => "SIGRTMIN".into(),
        n => format!("SIGRTMIN+{}", n - RTMIN),
    }
}

#[test]
fn every_real_time_signal_reaches_the_command() {
    for mode in MODES {
        let mut rinit = Rinit::start(mode, &["--", testkit(), "record"]);
        rinit.expect_out("child ready");
        for n in REAL_TIME {
            rinit.signal(n);
            rinit.expect_out(&format!("child {}", name(n)));
        }
    }
}

#[test]
fn the_numbers_a_c_library_keeps_never_end_rinit_under_any_name() {
    // Away from PID 1 a signal rinit did not block would kill it, orphaning
    // the command.
    for init in NAMES {
        let mut rinit = Rinit::start_as(init, Mode::Subreaper, &["--", testkit(), "record"]);
        rinit.expect_out("child ready");
        for n in [32, 33, 34, 35] {
            rinit.signal(n);
            rinit.expect_out(&format!("child {}", name(n)));
        }
        assert!(
            rinit.wait_timeout(std::time::Duration::ZERO).is_none(),
            "{init}"
        );
    }
}

#[test]
fn every_real_time_signal_can_be_rewritten_by_number_and_name() {
    // Each number rewritten to the next, 64 back to 32.
    let rules: Vec<String> = REAL_TIME
        .map(|n| format!("{n}:{}", if n == 64 { 32 } else { n + 1 }))
        .collect();
    let mut args: Vec<&str> = rules.iter().flat_map(|r| ["-r", r.as_str()]).collect();
    args.extend(["--", testkit(), "record"]);
    let mut rinit = Rinit::start(Mode::Pid1, &args);
    rinit.expect_out("child ready");
    for n in REAL_TIME {
        rinit.signal(n);
        let to = if n == 64 { 32 } else { n + 1 };
        rinit.expect_out(&format!("child {}", name(to)));
    }
    // The names count from the kernel's SIGRTMIN, 34, in every build.
    for (rule, sent, got) in [
        ("34:TERM", 34, "SIGTERM"),
        ("RTMIN+30:HUP", 64, "SIGHUP"),
        ("SIG33:USR1", 33, "SIGUSR1"),
        ("SIGRTMAX-30:USR2", 34, "SIGUSR2"),
    ] {
        let mut rinit = Rinit::start(Mode::Subreaper, &["-r", rule, "--", testkit(), "record"]);
        rinit.expect_out("child ready");
        rinit.signal(sent);
        rinit.expect_out(&format!("child {got}"));
    }
}

#[test]
fn a_death_by_any_real_time_signal_is_128_plus_n() {
    for mode in MODES {
        for n in REAL_TIME {
            let kill = format!("kill -{n} $$");
            let mut rinit = Rinit::start(mode, &["--", "sh", "-c", &kill]);
            assert_eq!(
                rinit.exit_code(),
                128 + n,
                "{mode:?} {n}\n{}",
                rinit.report()
            );
            rinit.expect_err(&format!("command was killed by {}", name(n)));
        }
    }
    // As tini, catatonit and dumb-init exit for it: 160, 161, 162.
    for init in NAMES {
        for n in [32, 33, 34] {
            let kill = format!("kill -{n} $$");
            let mut rinit = Rinit::start_as(init, Mode::Pid1, &["--", "sh", "-c", &kill]);
            assert_eq!(rinit.exit_code(), 128 + n, "{init} {n}\n{}", rinit.report());
        }
    }
}

#[test]
fn log_lines_name_real_time_signals_as_kill_l_does() {
    let mut rinit = Rinit::start(Mode::Pid1, &["-v", "--", testkit(), "record"]);
    rinit.expect_out("child ready");
    // systemd in a container stops on SIGRTMIN+3.
    for (n, shown) in [
        (37, "SIGRTMIN+3"),
        (34, "SIGRTMIN"),
        (64, "SIGRTMIN+30"),
        (32, "SIG32"),
    ] {
        rinit.signal(n);
        rinit.expect_out(&format!("child {shown}"));
        rinit.expect_err(&format!("{shown} from outside the PID namespace"));
    }
}
