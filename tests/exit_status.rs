//! rinit exits with the command's status: its exit code, 128+N when signal
//! N killed it, 126/127 when it could not be run.

mod common;

use common::{run_plain, Mode, Rinit};

#[test]
fn every_exit_code_passes_through() {
    for code in 0..=255 {
        let (status, _, _) = run_plain(&["--", "sh", "-c", &format!("exit {code}")]);
        assert_eq!(status, code);
    }
}

#[test]
fn exit_codes_pass_through_as_pid_1() {
    for code in [0, 1, 42, 255] {
        let mut rinit = Rinit::start(Mode::Pid1, &["--", "sh", "-c", &format!("exit {code}")]);
        assert_eq!(rinit.exit_code(), code);
    }
}

#[test]
fn a_death_by_signal_n_is_128_plus_n() {
    let rt = common::RTMIN + 2;
    for (sig, expected) in [
        ("TERM", 143),
        ("KILL", 137),
        ("SEGV", 139),
        (&*rt.to_string(), 128 + rt),
    ] {
        for mode in common::MODES {
            let script = format!("kill -{sig} $$");
            let mut rinit = Rinit::start(mode, &["--", "sh", "-c", &script]);
            assert_eq!(rinit.exit_code(), expected, "{sig} {mode:?}");
        }
    }
}

#[test]
fn v_says_why_the_status_is_128_plus_the_stop_and_that_e_makes_it_0() {
    // A shell's way: its child stopped cleanly, it reports 128 + the signal
    // (npm re-raises it instead: the default action below).
    let reports = "trap 'exit 143' TERM; echo ready; while :; do sleep 0.02; done";
    let dies = "echo ready; while :; do sleep 0.02; done";
    for mode in common::MODES {
        for (args, wrapper, status) in [
            (&["-v"][..], reports, 143),
            (&["-v"][..], dies, 143),
            (&["-v", "-e", "143"][..], reports, 0),
        ] {
            let mut words = args.to_vec();
            words.extend(["--", "sh", "-c", wrapper]);
            let mut rinit = Rinit::start(mode, &words);
            rinit.expect_out("ready");
            rinit.signal(libc::SIGTERM);
            assert_eq!(rinit.exit_code(), status, "{mode:?} {args:?}");
            let said = rinit
                .report()
                .contains("is 128 + SIGTERM, which rinit relayed");
            assert_eq!(said, status == 143, "{mode:?} {args:?}: {}", rinit.report());
        }
    }
}

#[test]
fn a_missing_command_is_127_with_a_message_naming_it() {
    for cmd in ["/no/such/program", "no-such-program-anywhere"] {
        let (status, out, err) = run_plain(&["--", cmd]);
        assert_eq!(status, 127);
        assert!(out.is_empty());
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.starts_with("[rinit] ")
                && err.contains(cmd)
                && err.contains("No such file or directory"),
            "{err}"
        );
    }
}

#[test]
fn a_command_that_cannot_be_executed_is_126() {
    let plain_file =
        std::env::temp_dir().join(format!("rinit-not-executable-{}", std::process::id()));
    std::fs::write(&plain_file, "data\n").unwrap();
    std::fs::set_permissions(
        &plain_file,
        std::os::unix::fs::PermissionsExt::from_mode(0o644),
    )
    .unwrap();
    for cmd in [plain_file.to_str().unwrap(), "/tmp"] {
        let (status, _, err) = run_plain(&["--", cmd]);
        assert_eq!(status, 126, "{cmd}");
        assert!(
            err.contains(cmd) && err.contains("Permission denied"),
            "{err}"
        );
    }
    std::fs::remove_file(&plain_file).unwrap();
}

#[test]
fn a_script_without_interpreter_line_is_not_run_through_a_shell() {
    let dir = std::env::temp_dir().join(format!("rinit-noshebang-{}", std::process::id()));
    std::fs::write(&dir, "echo ran-by-a-shell\n").unwrap();
    std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let (status, out, err) = run_plain(&["--", dir.to_str().unwrap()]);
    std::fs::remove_file(&dir).unwrap();
    assert_eq!(status, 126, "{err}");
    assert!(!out.contains("ran-by-a-shell"));
    assert!(err.contains("Exec format error"), "{err}");
}

#[test]
fn exec_failures_are_reported_the_same_as_pid_1() {
    let mut rinit = Rinit::start(Mode::Pid1, &["--", "/no/such/program"]);
    assert_eq!(rinit.exit_code(), 127);
    rinit.expect_err("/no/such/program");
}
