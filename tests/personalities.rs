//! Invoked as tini, docker-init, dumb-init or catatonit, rinit takes that
//! init's defaults, options, environment and exit statuses; tini's extras
//! (-p, -e, -w, -l, -s) work under every name; LISTEN_PID follows the child.

mod common;

use std::process::Command;

use common::{
    assert_reaches, command_as, rinit_as, run_with_deadline, testkit, Mode, Rinit, MODES,
};

const NAMES: [&str; 6] = [
    "rinit",
    "tini",
    "docker-init",
    "dumb-init",
    "catatonit",
    "podman-init",
];

fn run_as(name: &str, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = Command::new(rinit_as(name));
    cmd.args(args).envs(env.iter().copied());
    common::clean_slate(&mut cmd);
    run_with_deadline(cmd)
}

#[test]
fn tini_docker_init_and_catatonit_signal_the_child_alone_unless_g() {
    for name in ["tini", "docker-init", "catatonit", "podman-init"] {
        for mode in MODES {
            let mut rinit = Rinit::start_as(name, mode, &["--", testkit(), "record", "--fork"]);
            assert_reaches(&mut rinit, false);
            let mut rinit =
                Rinit::start_as(name, mode, &["-g", "--", testkit(), "record", "--fork"]);
            assert_reaches(&mut rinit, true);
        }
    }
}

#[test]
fn tini_kill_process_group_in_the_environment_means_g() {
    let mut cmd = command_as("tini", Mode::Pid1, &["--", testkit(), "record", "--fork"]);
    cmd.env("TINI_KILL_PROCESS_GROUP", "0");
    let mut rinit = Rinit::spawn(Mode::Pid1, cmd).with_name("tini");
    assert_reaches(&mut rinit, true);
}

#[test]
fn rinit_and_dumb_init_signal_the_whole_group() {
    for name in ["rinit", "dumb-init"] {
        for mode in MODES {
            let mut rinit = Rinit::start_as(name, mode, &["--", testkit(), "record", "--fork"]);
            assert_reaches(&mut rinit, true);
        }
    }
}

#[test]
fn dumb_init_starts_the_command_in_a_session_of_its_own_unless_told_not_to() {
    let leader = |name: &str, args: &[&str], env: &[(&str, &str)]| {
        let mut cmd = command_as(name, Mode::Pid1, args);
        cmd.envs(env.iter().copied());
        let rinit = Rinit::spawn(Mode::Pid1, cmd).with_name(name);
        rinit.expect_out("session leader")
    };
    let state = ["--", testkit(), "state"];
    assert_eq!(leader("dumb-init", &state, &[]), "session leader: true");
    assert_eq!(
        leader("dumb-init", &["-c", "--", testkit(), "state"], &[]),
        "session leader: false"
    );
    assert_eq!(
        leader("dumb-init", &state, &[("DUMB_INIT_SETSID", "0")]),
        "session leader: false"
    );
    assert_eq!(leader("rinit", &state, &[]), "session leader: false");
    assert_eq!(
        leader("rinit", &state, &[("DUMB_INIT_SETSID", "1")]),
        "session leader: true"
    );
    // -c and DUMB_INIT_SETSID=0 also mean the child alone gets signals.
    let mut rinit = Rinit::start_as(
        "dumb-init",
        Mode::Pid1,
        &["-c", "--", testkit(), "record", "--fork"],
    );
    assert_reaches(&mut rinit, false);
}

#[test]
fn dumb_init_c_keeps_the_command_in_dumb_init_s_own_group() {
    // So Ctrl-Z reaches both, and dumb-init stops with its job.
    let groups = "echo groups $(cut -d' ' -f5 /proc/$$/stat) $(cut -d' ' -f5 /proc/$PPID/stat)";
    for mode in MODES {
        for (name, shared) in [("dumb-init", true), ("rinit", false), ("tini", false)] {
            let rinit = Rinit::start_as(name, mode, &["-c", "--", "sh", "-c", groups]);
            let line = rinit.expect_out("groups");
            let words: Vec<&str> = line.split(' ').collect();
            assert_eq!(words[1] == words[2], shared, "{name} {mode:?}: {line}");
        }
    }
}

#[test]
fn usage_errors_exit_as_each_peer_does_with_its_name_as_prefix() {
    for name in NAMES {
        let (status, _, err) = run_as(name, &["--no-such-option", "true"], &[]);
        let expected = if name == "rinit" { 2 } else { 1 };
        assert_eq!(status, expected, "{name}");
        assert!(
            err.starts_with(&format!("[{name}] unknown option")),
            "{name}: {err}"
        );
    }
}

#[test]
fn exec_failures_exit_as_each_peer_does() {
    let cases = [
        ("rinit", 127, 126),
        ("tini", 127, 126),
        ("docker-init", 127, 126),
        ("dumb-init", 2, 2),
        ("catatonit", 127, 126),
        ("podman-init", 127, 126),
    ];
    for (name, not_found, denied) in cases {
        let (status, _, err) = run_as(name, &["--", "/no/such/program"], &[]);
        assert_eq!(status, not_found, "{name}: {err}");
        assert!(
            err.starts_with(&format!("[{name}] cannot run '/no/such/program'")),
            "{err}"
        );
        let (status, _, _) = run_as(name, &["--", "/tmp"], &[]);
        assert_eq!(status, denied, "{name}");
    }
}

#[test]
fn each_name_has_its_verbosity_scale() {
    // tini: TINI_VERBOSITY=3 is its debug level; dumb-init: -v shows all.
    let script = "(sh -c 'exit 0' &); sleep 0.2";
    let (_, _, err) = run_as(
        "tini",
        &["--", "sh", "-c", script],
        &[("TINI_VERBOSITY", "3")],
    );
    assert!(err.contains("[tini] reaped process"), "{err}");
    let (_, _, err) = run_as(
        "tini",
        &["--", "sh", "-c", script],
        &[("TINI_VERBOSITY", "1")],
    );
    assert!(err.is_empty(), "{err}");
    let (_, _, err) = run_as("dumb-init", &["-v", "--", "sh", "-c", script], &[]);
    assert!(err.contains("[dumb-init] reaped process"), "{err}");
    let (_, _, err) = run_as("rinit", &["-v", "--", "sh", "-c", script], &[]);
    assert!(
        err.contains("started") && !err.contains("reaped process"),
        "{err}"
    );
    let (_, _, err) = run_as(
        "rinit",
        &["--", "sh", "-c", script],
        &[("DUMB_INIT_DEBUG", "1")],
    );
    assert!(err.contains("reaped process"), "{err}");
}

#[test]
fn tini_verbosity_is_read_as_tini_reads_it_and_never_refused() {
    // tini takes it with atoi: empty, words and negatives are 0 (quiet).
    for value in ["", "abc", "-1", "0"] {
        let (status, _, err) = run_as(
            "tini",
            &["--", "sh", "-c", "exit 5"],
            &[("TINI_VERBOSITY", value)],
        );
        assert_eq!((status, err.as_str()), (5, ""), "{value:?}");
    }
    let (status, _, err) = run_as("tini", &["--", "true"], &[("TINI_VERBOSITY", "2x")]);
    assert!(status == 0 && err.contains("[tini] started"), "{err}");
}

#[test]
fn e_turns_chosen_exit_codes_into_0() {
    for mode in MODES {
        let mut rinit = Rinit::start_as(
            "tini",
            mode,
            &["-e", "3", "-e", "143", "--", "sh", "-c", "exit 3"],
        );
        assert_eq!(rinit.exit_code(), 0, "{mode:?}");
        let mut rinit = Rinit::start_as(
            "tini",
            mode,
            &["-e", "143", "--", "sh", "-c", "kill -TERM $$"],
        );
        assert_eq!(rinit.exit_code(), 0, "{mode:?}");
        let mut rinit = Rinit::start_as("tini", mode, &["-e", "3", "--", "sh", "-c", "exit 4"]);
        assert_eq!(rinit.exit_code(), 4, "{mode:?}");
        // An exec failure is a status like any other: tini's child exits 127.
        let mut rinit = Rinit::start_as("tini", mode, &["-e", "127", "--", "/nonexistent"]);
        assert_eq!(rinit.exit_code(), 0, "{mode:?}");
    }
    let (status, _, err) = run_as("tini", &["-e", "300", "true"], &[]);
    assert_eq!(status, 1);
    assert!(err.contains("-e: '300'"), "{err}");
}

#[test]
fn w_warns_about_every_reaped_process_but_the_command() {
    let script = "(sh -c 'exit 7' &); sleep 0.2";
    let (status, _, err) = run_as("rinit", &["-w", "--", "sh", "-c", script], &[]);
    assert_eq!(status, 0);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("reaped process") && err.contains("exited with code 7"),
        "{err}"
    );
    let (_, _, err) = run_as("rinit", &["--", "sh", "-c", script], &[]);
    assert!(err.is_empty(), "{err}");
}

#[test]
fn l_shows_the_license_and_s_is_accepted() {
    for flag in ["-l", "-L", "--license"] {
        let (status, out, _) = run_as("tini", &[flag], &[]);
        assert_eq!(status, 0);
        assert!(out.starts_with("MIT License"), "{out}");
    }
    let (status, _, err) = run_as(
        "tini",
        &["-s", "--", "sh", "-c", "exit 5"],
        &[("TINI_SUBREAPER", "")],
    );
    assert_eq!(status, 5, "{err}");
}

#[test]
fn p_relays_the_signal_the_kernel_sends_when_rinit_s_parent_dies() {
    // PID 1 holds the namespace; a subshell is rinit's parent, and dies.
    // The holder sleeps rather than `wait`: a `wait` would return when the
    // parent dies, and PID 1 exiting takes the whole namespace with it.
    let script = "(\"$@\"; :) & exec sleep 1000";
    let rinit = [
        common::rinit_bin(),
        "-p",
        "SIGUSR1",
        "--",
        testkit(),
        "record",
    ];
    let args = [&["-c", script, "sh"][..], &rinit].concat();
    let cmd = common::Namespace::new(Mode::Pid1).command("sh", &args);
    let mut rinit = Rinit::spawn(Mode::Subreaper, cmd);
    rinit.expect_out("child ready");
    let parent = common::status_field(rinit.pid(), "PPid")
        .unwrap()
        .parse::<i32>()
        .unwrap();
    assert_eq!(unsafe { libc::kill(parent, libc::SIGKILL) }, 0);
    rinit.expect_out("child SIGUSR1");
}

#[test]
fn listen_pid_naming_rinit_names_the_child_instead() {
    // Subreaper: the shell execs rinit, so LISTEN_PID=$$ is rinit's pid.
    let mut cmd = Command::new("sh");
    cmd.args([
        "-c",
        "LISTEN_PID=$$ exec \"$0\" -- \"$1\" state",
        common::rinit_bin(),
        testkit(),
    ]);
    common::clean_slate(&mut cmd);
    let (status, out, err) = run_with_deadline(cmd);
    assert_eq!(status, 0, "{err}");
    let line = out.lines().find(|l| l.starts_with("LISTEN_PID=")).unwrap();
    let (listen, pid) = line.split_once(' ').unwrap();
    assert_eq!(
        listen.trim_start_matches("LISTEN_PID="),
        pid.trim_start_matches("pid="),
        "{line}"
    );
    // As PID 1, rinit's pid is 1 and the child's 2.
    let mut cmd = common::command(Mode::Pid1, &["--", testkit(), "state"]);
    cmd.env("LISTEN_PID", "1").env("LISTEN_FDS", "1");
    let rinit = Rinit::spawn(Mode::Pid1, cmd);
    assert_eq!(rinit.expect_out("LISTEN_PID="), "LISTEN_PID=2 pid=2");
    // A LISTEN_PID that names another process passes untouched.
    let mut cmd = common::command(Mode::Pid1, &["--", testkit(), "state"]);
    cmd.env("LISTEN_PID", "4242");
    let rinit = Rinit::spawn(Mode::Pid1, cmd);
    assert_eq!(rinit.expect_out("LISTEN_PID="), "LISTEN_PID=4242 pid=2");
}

#[test]
fn listen_pid_rewritten_leaves_every_other_byte_of_the_environment_as_it_was() {
    // Entries without '=', bytes that are not UTF-8, LISTEN_PID twice: only
    // LISTEN_PID's value changes, in both places.
    let given: [&[u8]; 6] = [
        b"PATH=/usr/bin:/bin",
        b"NOEQUALS",
        b"LISTEN_PID=1",
        b"A=\xff",
        b"LISTEN_PID=1",
        b"LISTEN_FDS=1",
    ];
    let shown = |entries: &[&[u8]]| {
        let words: Vec<String> = entries
            .iter()
            .map(|w| match std::str::from_utf8(w) {
                Ok(text) => format!("{text:?}"),
                Err(_) => {
                    let hex: String = w.iter().map(|b| format!("{b:02x}")).collect();
                    format!("{:?}", String::from_utf8_lossy(w).into_owned() + "#" + &hex)
                }
            })
            .collect();
        format!("env: {}", words.join(" "))
    };
    let mut expected = given;
    expected[2] = b"LISTEN_PID=2";
    expected[4] = b"LISTEN_PID=2";
    let mut cmd = common::command(Mode::Pid1, &["--", testkit(), "hygiene"]);
    let program = std::ffi::CString::new("/usr/bin/unshare").unwrap();
    let argv: Vec<std::ffi::CString> = std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|a| std::ffi::CString::new(a.as_encoded_bytes()).unwrap())
        .collect();
    let env: Vec<std::ffi::CString> = given
        .iter()
        .map(|e| std::ffi::CString::new(*e).unwrap())
        .collect();
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut cmd, move || {
            // std cannot pass entries like these: exec with them directly.
            let argv: Vec<*const libc::c_char> = argv
                .iter()
                .map(|a| a.as_ptr())
                .chain([std::ptr::null()])
                .collect();
            let envp: Vec<*const libc::c_char> = env
                .iter()
                .map(|e| e.as_ptr())
                .chain([std::ptr::null()])
                .collect();
            libc::execve(program.as_ptr(), argv.as_ptr(), envp.as_ptr());
            Err(std::io::Error::last_os_error())
        });
    }
    let rinit = Rinit::spawn(Mode::Pid1, cmd);
    assert_eq!(
        rinit.expect_out("env: "),
        shown(&expected),
        "{}",
        rinit.report()
    );
}

#[test]
fn rinit_s_fixes_hold_under_every_name() {
    for name in NAMES {
        // Inherited ignores and mask reach the child (dumb-init resets them,
        // catatonit leaks its own blocked signals).
        let mut cmd = command_as(name, Mode::Pid1, &["--", testkit(), "state"]);
        common::inherit_ignored(&mut cmd, libc::SIGUSR2);
        common::inherit_blocked(&mut cmd, libc::SIGWINCH);
        let rinit = Rinit::spawn(Mode::Pid1, cmd).with_name(name);
        assert_eq!(
            rinit.expect_out("SigIgn"),
            "SigIgn:\t0000000000000800",
            "{name}"
        );
        assert_eq!(
            rinit.expect_out("SigBlk"),
            "SigBlk:\t0000000008000000",
            "{name}"
        );
        // Away from PID 1, orphans come to rinit with no -s (tini only warns).
        let rinit = Rinit::start_as(name, Mode::Subreaper, &["--", testkit(), "orphans", "20"]);
        assert_eq!(rinit.expect_out("misparented"), "misparented 0", "{name}");
        assert_eq!(rinit.expect_out("zombies"), "zombies 0", "{name}");
    }
}

/// podman's own signal test (test/system/130-kill.bats): a shell traps
/// these, each is sent to the container's init, then the shell is told to
/// stop and prints DONE.
const PODMAN_SIGNALS: [i32; 21] = [
    1, 2, 3, 4, 5, 6, 8, 10, 12, 13, 14, 15, 16, 20, 21, 22, 23, 24, 25, 26, 64,
];

#[test]
fn as_podman_init_the_command_alone_gets_signals_and_podman_s_signal_test_finishes() {
    for mode in MODES {
        let stop =
            std::env::temp_dir().join(format!("rinit-podman-stop-{}-{mode:?}", std::process::id()));
        let _ = std::fs::remove_file(&stop);
        let traps: String = PODMAN_SIGNALS
            .iter()
            .map(|n| format!("trap 'echo got: {n}' {n}; "))
            .collect();
        // SIGTSTP to the shell's whole group would stop its foreground sleep,
        // and the container with it: podman-init, as catatonit, signals the
        // shell alone.
        let script = format!(
            "{traps}echo READY; while ! test -e {stop}; do sleep 0.1; done; echo DONE",
            stop = stop.display()
        );
        let mut rinit = Rinit::start_as("podman-init", mode, &["--", "sh", "-c", &script]);
        rinit.expect_out("READY");
        for n in PODMAN_SIGNALS {
            rinit.signal(n);
            rinit.expect_out(&format!("got: {n}"));
        }
        std::fs::write(&stop, "").unwrap();
        rinit.expect_out("DONE");
        assert_eq!(rinit.exit_code(), 0, "{mode:?}");
        let _ = std::fs::remove_file(&stop);
    }
}
