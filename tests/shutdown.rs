//! Shutdown loses nothing: what the command leaves behind gets SIGTERM and
//! a grace period before SIGKILL; `--kill-after`, `--stop-delay` and the
//! stuck-shutdown report.

mod common;

use std::fs;
use std::thread;
use std::time::Duration;

use common::{holds_within, testkit, timed, Mode, Namespace, Rinit, Scratch, MODES, PATIENCE};

/// Whether the writer (`rinit-testkit on-term`) saved `file`.
fn saved(file: &str) -> bool {
    fs::read_to_string(file).is_ok_and(|s| s == "saved\n")
}

/// The command starts a background writer, waits until it is set up, and
/// exits with 4, leaving the writer behind.
fn leave_a_writer_behind(file: &str) -> String {
    format!(
        "\"{}\" on-term {file} 300 & while [ ! -e {file}.ready ]; do sleep 0.01; done; exit 4",
        testkit(),
    )
}

#[test]
fn a_process_left_behind_gets_sigterm_and_time_to_save_its_data() {
    for mode in MODES {
        let dir = Scratch::new("writer");
        let file = dir.path("saved");
        let mut rinit = Rinit::start(
            mode,
            &["-v", "--", "sh", "-c", &leave_a_writer_behind(&file)],
        );
        assert_eq!(rinit.exit_code(), 4, "{mode:?}");
        assert!(
            saved(&file),
            "{mode:?}: the writer's data is lost\n{}",
            rinit.report()
        );
        rinit.expect_err("sending SIGTERM to what is left");
        rinit.expect_err("(rinit-testkit)");
        rinit.expect_err("every process left has exited");
    }
}

#[test]
fn with_grace_0_what_is_left_loses_its_data() {
    for mode in MODES {
        let dir = Scratch::new("writer-grace0");
        let file = dir.path("saved");
        let mut rinit = Rinit::start(
            mode,
            &[
                "--grace",
                "0",
                "--",
                "sh",
                "-c",
                &leave_a_writer_behind(&file),
            ],
        );
        assert_eq!(rinit.exit_code(), 4, "{mode:?}");
        // Longer than the writer's flush would take, had it been told.
        thread::sleep(Duration::from_millis(600));
        assert!(!saved(&file), "{mode:?}: --grace 0 waited for the writer");
    }
}

#[test]
fn a_straggler_ignoring_sigterm_is_killed_when_the_grace_ends() {
    for mode in MODES {
        let script = "(trap '' TERM; exec sleep 100) & sleep 0.1; exit 5";
        let (rinit, took) = timed(|| {
            let mut rinit = Rinit::start(mode, &["-vv", "--grace", "1s", "--", "sh", "-c", script]);
            assert_eq!(rinit.exit_code(), 5, "{mode:?}");
            rinit
        });
        assert!(
            took >= Duration::from_millis(1000),
            "{mode:?}: exited after {took:?}, before the grace"
        );
        assert!(took < Duration::from_secs(4), "{mode:?}: took {took:?}");
        let line = rinit.expect_err("grace of 1s is over: sending SIGKILL to");
        assert!(line.contains("(sleep)"), "{line}");
        // rinit killed and reaped it itself, not left it to the kernel.
        rinit.expect_err("which was killed by SIGKILL");
        assert_eq!(
            rinit.err.count("left to the kernel"),
            0,
            "{}",
            rinit.report()
        );
    }
}

#[test]
fn kill_after_ends_a_command_that_ignores_sigterm() {
    for mode in MODES {
        let script = "trap '' TERM; echo ready; sleep 100";
        let mut rinit = Rinit::start(mode, &["--kill-after", "1s", "--", "sh", "-c", script]);
        rinit.expect_out("ready");
        let (code, took) = timed(|| {
            rinit.signal(libc::SIGTERM);
            rinit.exit_code()
        });
        assert_eq!(code, 137, "{mode:?}");
        assert!(
            took >= Duration::from_millis(950) && took < Duration::from_secs(4),
            "{mode:?}: {took:?}"
        );
        let line = rinit.expect_err("(--kill-after): sending SIGKILL");
        assert!(line.contains("(sleep)"), "{line}");
    }
}

#[test]
fn without_kill_after_a_command_ignoring_sigterm_keeps_running() {
    let script = "trap '' TERM; echo ready; sleep 100";
    let mut rinit = Rinit::start(Mode::Pid1, &["--", "sh", "-c", script]);
    rinit.expect_out("ready");
    rinit.signal(libc::SIGTERM);
    assert!(rinit.wait_timeout(Duration::from_millis(1500)).is_none());
}

#[test]
fn stop_delay_holds_sigterm_then_forwards_it() {
    for mode in MODES {
        let mut rinit = Rinit::start(mode, &["--stop-delay", "1s", "--", testkit(), "record"]);
        rinit.expect_out("child ready");
        let (_, took) = timed(|| {
            rinit.signal(libc::SIGTERM);
            rinit.expect_out("child SIGTERM")
        });
        assert!(
            took >= Duration::from_millis(950) && took < Duration::from_secs(4),
            "{mode:?}: {took:?}"
        );
        // Other signals are not held.
        let (_, took) = timed(|| {
            rinit.signal(libc::SIGUSR1);
            rinit.expect_out("child SIGUSR1")
        });
        assert!(took < Duration::from_millis(900));
    }
}

#[test]
fn a_second_sigterm_or_a_sigint_during_the_stop_delay_forwards_at_once() {
    for (second, seen) in [
        (libc::SIGTERM, "child SIGTERM"),
        (libc::SIGINT, "child SIGINT"),
    ] {
        let mut rinit = Rinit::start(
            Mode::Pid1,
            &["-v", "--stop-delay", "5s", "--", testkit(), "record"],
        );
        rinit.expect_out("child ready");
        let (_, took) = timed(|| {
            rinit.signal(libc::SIGTERM);
            rinit.expect_err("holding it for 5s");
            rinit.signal(second);
            rinit.expect_out("child SIGTERM");
            rinit.expect_out(seen)
        });
        assert!(
            took < Duration::from_secs(4),
            "{seen}: the delay was not cut short"
        );
        assert_eq!(rinit.out.count("child SIGTERM"), 1, "{}", rinit.report());
    }
}

/// A command that survives SIGQUIT and SIGWINCH (a thread dump, a resize)
/// and ignores SIGTERM too, so only --kill-after ends it.
const SURVIVOR: &str = "trap '' QUIT WINCH TERM; echo ready; while :; do sleep 0.05; done";

#[test]
fn a_signal_that_is_no_stop_arms_no_deadline() {
    for mode in MODES {
        let mut rinit = Rinit::start(
            mode,
            &["-v", "--kill-after", "500ms", "--", "sh", "-c", SURVIVOR],
        );
        rinit.expect_out("ready");
        rinit.signal(libc::SIGQUIT);
        rinit.expect_err("SIGQUIT from");
        thread::sleep(Duration::from_millis(1200));
        assert!(
            rinit.wait_timeout(Duration::ZERO).is_none(),
            "{mode:?}: SIGQUIT armed --kill-after\n{}",
            rinit.report()
        );
        // The real stop, later, is named as what it was.
        rinit.signal(libc::SIGTERM);
        assert_eq!(rinit.exit_code(), 137, "{mode:?}");
        let line = rinit.expect_err("(--kill-after)");
        assert!(
            line.contains("after SIGTERM (--kill-after)"),
            "{mode:?}: {line}"
        );
    }
}

#[test]
fn a_stop_rewritten_to_another_signal_is_still_a_stop() {
    // httpd's graceful stop: -r TERM:WINCH.
    for mode in MODES {
        let args = [
            "-r",
            "TERM:WINCH",
            "--kill-after",
            "500ms",
            "--",
            "sh",
            "-c",
            SURVIVOR,
        ];
        let mut rinit = Rinit::start(mode, &args);
        rinit.expect_out("ready");
        rinit.signal(libc::SIGTERM);
        assert_eq!(rinit.exit_code(), 137, "{mode:?}\n{}", rinit.report());
        rinit.expect_err("after SIGTERM (relayed as SIGWINCH) (--kill-after)");
    }
}

#[test]
fn the_stop_signals_can_be_named() {
    // nginx's STOPSIGNAL is SIGQUIT; an option or the environment says so.
    for (flags, env) in [
        (&["--stop-signals", "QUIT"][..], None),
        (&[][..], Some("SIGQUIT,TERM")),
    ] {
        let mut args = flags.to_vec();
        args.extend(["--kill-after", "500ms", "--", "sh", "-c", SURVIVOR]);
        let mut cmd = common::command(Mode::Pid1, &args);
        if let Some(list) = env {
            cmd.env("RINIT_STOP_SIGNALS", list);
        }
        let mut rinit = Rinit::spawn(Mode::Pid1, cmd);
        rinit.expect_out("ready");
        rinit.signal(libc::SIGQUIT);
        assert_eq!(
            rinit.exit_code(),
            137,
            "{flags:?} {env:?}\n{}",
            rinit.report()
        );
        rinit.expect_err("after SIGQUIT (--kill-after)");
    }
}

#[test]
fn a_stop_that_hangs_is_reported_with_what_still_runs() {
    for mode in MODES {
        // A daemon outside the command's group never gets the SIGTERM.
        let script = "setsid sh -c 'sleep 100' & trap '' TERM; \
            until [ \"$(cut -d' ' -f5 /proc/$!/stat)\" = $! ]; do sleep 0.01; done; \
            echo ready; sleep 100";
        // No -v: the report is a warning, shown at the default verbosity.
        let mut rinit = Rinit::start(mode, &["--", "sh", "-c", script]);
        rinit.expect_out("ready");
        rinit.signal(libc::SIGTERM);
        let line = rinit.expect_err("still running 5s after SIGTERM");
        assert!(line.contains("(sh)") && line.contains("(sleep)"), "{line}");
        let (_, outside) = line.split_once("; out of the relay's reach").expect(&line);
        assert!(
            outside.contains("never sent the SIGTERM (-a reaches them): ")
                && outside.matches("(sleep)").count() == 1,
            "{line}"
        );
    }
}

/// What became of a process the command left behind in its group, which
/// takes 0.6 s to log a SIGTERM: (what it logged, whether it still ran
/// after rinit had exited). Away from PID 1 the namespace's PID 1 is a
/// shell that outlives rinit and looks.
fn leftover_fate(name: &str, mode: Mode, args: &[&str], env: &[(&str, &str)]) -> (String, bool) {
    let dir = Scratch::new("leftover");
    let (log, pidfile) = (dir.path("log"), dir.path("pid"));
    let leftover = format!(
        "(trap 'sleep 0.6; echo TERM >> {log}; exit 0' TERM; : > {pid}.ready; \
           while :; do sleep 0.02; done) & \
         echo $! > {pid}; while [ ! -e {pid}.ready ]; do sleep 0.01; done; exit 0",
        log = log,
        pid = pidfile
    );
    let rinit = common::rinit_as(name);
    let mut words: Vec<&str> = args.to_vec();
    words.extend(["--", "sh", "-c", &leftover]);
    let line = words
        .iter()
        .map(|w| format!("'{}'", w.replace('\'', r"'\''")))
        .collect::<Vec<_>>()
        .join(" ");
    let script = match mode {
        Mode::Pid1 => format!("exec '{rinit}' {line}"),
        // PID 1 looks right after rinit exits, then gives the leftover the
        // time it would have had to log a SIGTERM.
        Mode::Subreaper => format!(
            "'{rinit}' {line}; kill -0 $(cat {pid}) 2>/dev/null && echo alive > {pid}.alive; sleep 1",
            pid = pidfile
        ),
    };
    let mut cmd = std::process::Command::new("unshare");
    cmd.args(["--pid", "--fork", "--mount-proc", "--kill-child", "--"])
        .args(["sh", "-c", &script])
        .envs(env.iter().copied());
    common::clean_slate(&mut cmd);
    let (status, out, err) = common::run_with_deadline(cmd);
    assert_eq!(status, 0, "{name} {args:?} {mode:?}: {out}{err}");
    let survived = dir.has("pid.alive");
    (dir.read("log"), survived)
}

#[test]
fn as_pid_1_every_name_drains_what_the_command_left() {
    for name in common::NAMES {
        for args in [&[][..], &["-c"]] {
            let (log, _) = leftover_fate(name, Mode::Pid1, args, &[]);
            assert_eq!(log, "TERM\n", "{name} {args:?}");
        }
    }
}

#[test]
fn away_from_pid_1_each_name_does_what_its_peer_does_with_leftovers() {
    // (name, options, SIGTERM logged, still running after rinit exited)
    let cases: [(&str, &[&str], &str, bool); 10] = [
        ("rinit", &[], "TERM\n", false),
        ("rinit", &["-c"], "TERM\n", false),
        ("tini", &[], "", true),
        ("tini-static", &["-g"], "", true),
        ("docker-init", &[], "", true),
        ("catatonit", &[], "", true),
        ("podman-init", &[], "", true),
        // dumb-init: SIGTERM to the command's group, and exit at once.
        ("dumb-init", &[], "TERM\n", true),
        ("dumb-init", &["-c"], "", true),
        // An explicit grace drains under any name.
        ("tini", &["--grace", "2s"], "TERM\n", false),
    ];
    for (name, args, logged, alive) in cases {
        let (log, survived) = leftover_fate(name, Mode::Subreaper, args, &[]);
        assert_eq!((log.as_str(), survived), (logged, alive), "{name} {args:?}");
    }
    // RINIT_GRACE asks for it too.
    let env = [("RINIT_GRACE", "2s")];
    let (log, survived) = leftover_fate("catatonit", Mode::Subreaper, &[], &env);
    assert_eq!((log.as_str(), survived), ("TERM\n", false), "RINIT_GRACE");
}

#[test]
fn the_drain_sends_sigcont_only_to_stopped_processes_after_their_sigterm() {
    for mode in MODES {
        let dir = Scratch::new("cont");
        let log = dir.path("log");
        // Each logs the signals it gets; a SIGTERM ends its loop only after
        // every pending trap ran, so a SIGCONT that came with it shows too.
        let script = format!(
            "(trap 'echo running CONT >> {log}' CONT; trap 'echo running TERM >> {log}; t=1' TERM; \
               : > {log}.ready; while [ -z \"$t\" ]; do sleep 0.02; done) & \
             sh -c 'trap \"echo stopped CONT >> {log}\" CONT; trap \"echo stopped TERM >> {log}; t=1\" TERM; \
               kill -STOP $$; while [ -z \"$t\" ]; do sleep 0.02; done' & \
             while [ \"$(cut -d' ' -f3 /proc/$!/stat)\" != T ] || [ ! -e {log}.ready ]; do sleep 0.01; done; \
             rm -f {log}.ready; exit 0"
        );
        let mut rinit = Rinit::start(mode, &["--", "sh", "-c", &script]);
        assert_eq!(rinit.exit_code(), 0, "{mode:?}");
        let logged = dir.read("log");
        let mut lines: Vec<&str> = logged.lines().collect();
        lines.sort();
        assert_eq!(
            lines,
            ["running TERM", "stopped CONT", "stopped TERM"],
            "{mode:?}\n{}",
            rinit.report()
        );
    }
}

/// Enters rinit's PID namespace from outside, as `docker exec` does, with a
/// writer that saves FILE 300 ms after its SIGTERM: not rinit's child, so
/// no SIGCHLD tells rinit when it is gone.
fn enter_a_writer(rinit: &mut Rinit, file: &str) -> std::process::Child {
    let mut cmd = std::process::Command::new("nsenter");
    cmd.args(["--target", &rinit.pid().to_string(), "--pid", "--"])
        .args([testkit(), "on-term", file, "300"]);
    common::clean_slate(&mut cmd);
    let entered = cmd.spawn().expect("nsenter");
    let ready = format!("{file}.ready");
    assert!(
        holds_within(PATIENCE, || std::path::Path::new(&ready).exists()),
        "the entered writer never started"
    );
    entered
}

#[test]
fn as_pid_1_processes_entered_from_outside_get_sigterm_and_their_grace() {
    // The command leaves nothing, or a child of its own that stops at once;
    // -a relays to the entered writer too, and the drain still waits for it.
    for (flags, leaves) in [
        (&[][..], ""),
        (&[][..], "sleep 60 & "),
        (&["-a"][..], "sleep 60 & "),
    ] {
        let dir = Scratch::new("entered");
        let file = dir.path("saved");
        let script = format!("{leaves}until [ -e {file}.go ]; do sleep 0.01; done");
        let mut args = vec!["-v"];
        args.extend(flags);
        args.extend(["--", "sh", "-c", &script]);
        let mut rinit = Rinit::start(Mode::Pid1, &args);
        let mut entered = enter_a_writer(&mut rinit, &file);
        fs::write(format!("{file}.go"), "").unwrap();
        assert_eq!(rinit.exit_code(), 0, "{}", rinit.report());
        let saved = saved(&file);
        let _ = entered.kill();
        let _ = entered.wait();
        assert!(
            saved,
            "{flags:?} {leaves}: the entered writer lost its data\n{}",
            rinit.report()
        );
        rinit.expect_err("every process left has exited");
    }
}

#[test]
fn what_the_command_leaves_in_its_group_gets_one_sigterm() {
    for mode in MODES {
        let dir = Scratch::new("terms");
        let file = dir.path("terms");
        // Left in the command's group, noting each SIGTERM until SIGKILL.
        let script = format!(
            "\"{}\" terms {file} & while [ ! -e {file}.ready ]; do sleep 0.01; done; exit 0",
            testkit(),
        );
        let mut cmd = common::command(mode, &["--grace", "300ms", "--", "sh", "-c", &script]);
        // One CPU for all: the noting process, at real-time priority, runs
        // between two signals rinit sends, so they cannot coalesce.
        unsafe {
            std::os::unix::process::CommandExt::pre_exec(&mut cmd, || {
                let mut cpus: libc::cpu_set_t = std::mem::zeroed();
                libc::CPU_SET(0, &mut cpus);
                libc::sched_setaffinity(0, std::mem::size_of_val(&cpus), &cpus);
                Ok(())
            });
        }
        let mut rinit = Rinit::spawn(mode, cmd);
        assert_eq!(rinit.exit_code(), 0, "{mode:?}");
        let terms = dir.read("terms");
        assert_eq!(terms, "TERM\n", "{mode:?}\n{}", rinit.report());
    }
}

#[test]
fn with_too_few_descriptors_to_read_proc_the_drain_says_it_cannot_look() {
    for mode in MODES {
        // fds 0-2, the signalfd and the log: nothing left to open /proc with.
        let limited = ["--nofile=5:5", "--", common::rinit_bin()];
        let args = [&limited[..], &["-v", "--", "sh", "-c", "sleep 30 & exit 3"]].concat();
        let cmd = Namespace::new(mode).command("prlimit", &args);
        let mut rinit = Rinit::spawn(mode, cmd);
        assert_eq!(rinit.exit_code(), 3, "{mode:?}\n{}", rinit.report());
        let line = rinit.expect_err("sending SIGTERM to what is left");
        assert!(
            line.contains("(unknown: rinit cannot read /proc"),
            "{mode:?}: {line}"
        );
        rinit.expect_err("every process left has exited");
    }
}
