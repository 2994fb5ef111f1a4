//! The child gets exactly what rinit was handed: the signal mask, the
//! ignored signals, the file descriptors; nothing of rinit's own.

mod common;

use common::{command, inherit_blocked, inherit_fd, inherit_ignored, testkit, Mode, Rinit, MODES};

fn mask(bits: &[i32]) -> String {
    let value = bits.iter().fold(0u64, |m, &s| m | 1 << (s - 1));
    format!("{value:016x}")
}

#[test]
fn the_child_blocks_nothing_rinit_blocked() {
    for mode in MODES {
        let mut rinit = Rinit::start(mode, &["--", testkit(), "state"]);
        assert_eq!(
            rinit.expect_out("SigBlk"),
            format!("SigBlk:\t{}", mask(&[]))
        );
        assert_eq!(rinit.exit_code(), 0);
    }
}

#[test]
fn inherited_ignores_and_mask_reach_the_child() {
    let mut cmd = command(Mode::Pid1, &["--", testkit(), "state"]);
    inherit_ignored(&mut cmd, libc::SIGUSR2);
    inherit_ignored(&mut cmd, libc::SIGHUP);
    inherit_blocked(&mut cmd, libc::SIGWINCH);
    let mut rinit = Rinit::spawn(Mode::Pid1, cmd);
    assert_eq!(
        rinit.expect_out("SigIgn"),
        format!("SigIgn:\t{}", mask(&[libc::SIGHUP, libc::SIGUSR2]))
    );
    assert_eq!(
        rinit.expect_out("SigBlk"),
        format!("SigBlk:\t{}", mask(&[libc::SIGWINCH]))
    );
    assert_eq!(rinit.exit_code(), 0);
}

#[test]
fn an_inherited_ignored_sigchld_stays_ignored_yet_rinit_gets_the_exit_status() {
    // Straight from the test: unshare --fork would reset SIGCHLD on the way.
    let mut cmd = std::process::Command::new(common::rinit_bin());
    cmd.args(["--", testkit(), "state", "9"]);
    common::clean_slate(&mut cmd);
    inherit_ignored(&mut cmd, libc::SIGCHLD);
    let (status, out, err) = common::run_with_deadline(cmd);
    assert!(
        out.contains(&format!("SigIgn:\t{}", mask(&[libc::SIGCHLD]))),
        "{out}{err}"
    );
    assert_eq!(status, 9);
}

#[test]
fn an_inherited_ignored_signal_is_still_relayed() {
    let mut cmd = command(Mode::Pid1, &["--", testkit(), "record"]);
    inherit_ignored(&mut cmd, libc::SIGUSR1);
    let mut rinit = Rinit::spawn(Mode::Pid1, cmd);
    rinit.expect_out("child ready");
    rinit.signal(libc::SIGUSR1);
    rinit.expect_out("child SIGUSR1");
}

#[test]
fn the_child_sees_only_the_descriptors_rinit_was_given() {
    for mode in MODES {
        let mut rinit = Rinit::start(mode, &["-vv", "--", testkit(), "state"]);
        assert_eq!(rinit.expect_out("fds:"), "fds: 0 1 2");
        assert_eq!(rinit.exit_code(), 0);
    }
    let mut cmd = command(Mode::Pid1, &["-vv", "--", testkit(), "state"]);
    inherit_fd(&mut cmd, 7);
    let rinit = Rinit::spawn(Mode::Pid1, cmd);
    assert_eq!(rinit.expect_out("fds:"), "fds: 0 1 2 7");
}

#[test]
fn argv_and_environment_reach_the_child_byte_for_byte_with_no_shell_between() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let mut cmd = command(Mode::Pid1, &["--", testkit(), "hygiene"]);
    cmd.arg("")
        .arg("two words")
        .arg(OsStr::from_bytes(b"caf\xe9"))
        .arg("$HOME;*");
    cmd.env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("EMPTY", "")
        .env(
            OsStr::from_bytes(b"LATIN1"),
            OsStr::from_bytes(b"\xe9t\xe9"),
        )
        .env("SPACES", " a  b ");
    let rinit = Rinit::spawn(Mode::Pid1, cmd);
    let argv = rinit.expect_out("argv:");
    let kit = testkit();
    let expected_argv =
        format!(r#"argv: "{kit}" "hygiene" "" "two words" "caf�#636166e9" "$HOME;*""#);
    assert_eq!(argv, expected_argv);
    // In the order std's Command hands it over (sorted), which is what
    // rinit was given.
    let env = rinit.expect_out("env:");
    assert_eq!(
        env,
        r#"env: "EMPTY=" "LATIN1=�t�#4c4154494e313de974e9" "PATH=/usr/bin:/bin" "SPACES= a  b ""#
    );
    // The command's parent is rinit itself (PID 1 here): no shell between.
    assert_eq!(rinit.expect_out("parent:"), "parent: 1 rinit");
}

#[test]
fn rinit_leaves_its_start_directory_and_the_command_keeps_it() {
    let dir = std::env::temp_dir().join(format!("rinit-cwd-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for name in common::NAMES {
        for mode in MODES {
            let script = "echo ready \"$(pwd)\"; sleep 100";
            let mut cmd = common::command_as(name, mode, &["--", "sh", "-c", script]);
            cmd.current_dir(&dir);
            let mut rinit = Rinit::spawn(mode, cmd).with_name(name);
            rinit.expect_out(&format!("ready {}", dir.display()));
            let pid = rinit.pid();
            let cwd = || std::fs::read_link(format!("/proc/{pid}/cwd")).unwrap();
            common::holds_within(common::PATIENCE, || cwd() == std::path::Path::new("/"));
            assert_eq!(cwd(), std::path::Path::new("/"), "{name} {mode:?}");
        }
    }
    std::fs::remove_dir(&dir).unwrap();
}
