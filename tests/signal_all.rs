//! `-a`: daemons that left the command's process group get a stop at the
//! same moment as the command, once, through their masters; other signals
//! stay the command's (a reload reaches nothing else). `--signal-all=every`
//! relays every signal to every process. Without them, rinit says who is
//! out of reach.

mod common;

use std::fs;
use std::process::Command;

use common::{rinit_bin, run_with_deadline, Mode, Rinit, Scratch, MODES};

/// The daemon: on SIGTERM it takes 0.5 s to flush; it logs to `log`.
fn daemon(log: &str) -> String {
    format!(
        "trap 'echo daemon-term >> {log}; sleep 0.5; echo daemon-flushed >> {log}; exit 0' TERM; \
         trap 'echo daemon-hup >> {log}' HUP; echo daemon-ready >> {log}; \
         while :; do sleep 0.02; done"
    )
}

/// The command: starts the daemon (its script is "$1") with `start`, and on
/// SIGTERM takes 2 s to stop. Says "ready" once the daemon is set up.
fn command(log: &str, start: &str) -> String {
    format!(
        "{start}\ntrap '' HUP; \
         trap 'echo command-term >> {log}; sleep 2; echo command-exit >> {log}; exit 0' TERM; \
         until grep -q daemon-ready {log} 2>/dev/null; do sleep 0.01; done; echo ready; \
         while :; do sleep 0.02; done"
    )
}

/// The daemon's two ways out of the command's group: `setsid` in the
/// background, and a double fork that also leaves it an orphan.
const STARTS: [&str; 2] = ["setsid sh -c \"$1\" &", "(setsid sh -c \"$1\" &)"];

/// Starts the command under `rinit ARGS`, with its daemon.
fn start(mode: Mode, args: &[&str], start: &str, log: &str) -> Rinit {
    let (command, daemon) = (command(log, start), daemon(log));
    let mut words: Vec<&str> = args.to_vec();
    words.extend(["--", "sh", "-c", &command, "sh", &daemon]);
    let rinit = Rinit::start(mode, &words);
    rinit.expect_out("ready");
    rinit
}

/// Stops the command with SIGTERM; returns the log's lines.
fn stop(mode: Mode, args: &[&str], how: &str, tag: &str) -> Vec<String> {
    let dir = Scratch::new("all");
    let log = dir.path(tag);
    let mut rinit = start(mode, args, how, &log);
    rinit.signal(libc::SIGTERM);
    assert_eq!(
        rinit.exit_code(),
        0,
        "{mode:?} {args:?}\n{}",
        rinit.report()
    );
    let lines = fs::read_to_string(&log).unwrap_or_default();
    lines.lines().map(str::to_owned).collect()
}

#[test]
fn with_signal_all_a_daemon_gets_sigterm_with_the_command() {
    for mode in MODES {
        for (i, start) in STARTS.iter().enumerate() {
            let lines = stop(mode, &["-a"], start, &format!("a{i}"));
            // Both at once: the daemon has flushed while the command still stops.
            let flushed = lines.iter().position(|l| l == "daemon-flushed");
            let exited = lines.iter().position(|l| l == "command-exit");
            assert!(
                flushed.is_some() && flushed < exited,
                "{mode:?} {start}: {lines:?}"
            );
        }
    }
}

#[test]
fn without_signal_all_a_daemon_gets_sigterm_only_at_the_drain() {
    for mode in MODES {
        for (i, start) in STARTS.iter().enumerate() {
            let lines = stop(mode, &[], start, &format!("n{i}"));
            let term = lines.iter().position(|l| l == "daemon-term");
            let exited = lines.iter().position(|l| l == "command-exit");
            assert!(
                exited.is_some() && term > exited,
                "{mode:?} {start}: {lines:?}"
            );
            assert!(lines.contains(&"daemon-flushed".to_owned()), "{lines:?}");
        }
    }
}

#[test]
fn with_signal_all_every_rewrites_apply_to_every_process_and_v_counts_them() {
    for mode in MODES {
        let dir = Scratch::new("all");
        let log = dir.path(&format!("rw-{mode:?}"));
        let args = ["--signal-all=every", "-v", "-r", "USR2:HUP"];
        let mut rinit = start(mode, &args, STARTS[0], &log);
        rinit.signal(libc::SIGUSR2);
        let line = rinit.expect_err("rewritten to SIGHUP");
        assert!(line.contains("forwarded to every process ("), "{line}");
        let hup = || {
            fs::read_to_string(&log)
                .unwrap_or_default()
                .contains("daemon-hup")
        };
        assert!(
            common::holds_within(common::PATIENCE, hup),
            "{mode:?}: no HUP"
        );
        rinit.signal(libc::SIGTERM);
        assert_eq!(rinit.exit_code(), 0, "{}", rinit.report());
    }
}

#[test]
fn with_a_a_signal_that_is_no_stop_reaches_the_command_s_group_alone() {
    for mode in MODES {
        let dir = Scratch::new("all");
        let log = dir.path(&format!("hup-{mode:?}"));
        let mut rinit = start(mode, &["-a", "-v"], STARTS[1], &log);
        rinit.signal(libc::SIGHUP);
        let line = rinit.expect_err("SIGHUP from");
        assert!(
            line.contains("forwarded to group ") && !line.contains("outside it"),
            "{line}"
        );
        rinit.signal(libc::SIGTERM);
        assert_eq!(rinit.exit_code(), 0, "{}", rinit.report());
        let lines = fs::read_to_string(&log).unwrap_or_default();
        assert!(!lines.contains("daemon-hup"), "{mode:?}: {lines}");
        assert!(lines.contains("daemon-flushed"), "{mode:?}: {lines}");
    }
}

/// A daemon's master (a shell that passes SIGTERM on to its worker, waits
/// 0.5 s for it and exits) and its worker (a shell that logs each SIGTERM
/// and runs on), both out of the command's group: started by "$1".
fn master(log: &str) -> String {
    format!(
        "sh -c 'trap \"echo worker-term >> {log}\" TERM; while :; do sleep 0.02; done' & w=$!; \
         trap \"echo master-term >> {log}; kill -TERM $w; sleep 0.5; kill -KILL $w; exit 0\" TERM; \
         echo daemon-ready >> {log}; while :; do sleep 0.02; done"
    )
}

#[test]
fn with_a_a_stop_reaches_a_daemon_s_master_once_and_its_worker_only_through_it() {
    for mode in MODES {
        let dir = Scratch::new("all");
        let log = dir.path(&format!("master-{mode:?}"));
        let command = command(&log, STARTS[1]);
        let master = master(&log);
        let args = ["-a", "-v", "--", "sh", "-c", &command, "sh", &master];
        let mut rinit = Rinit::start(mode, &args);
        rinit.expect_out("ready");
        rinit.signal(libc::SIGTERM);
        let line = rinit.expect_err("SIGTERM from");
        assert!(line.contains(", and once each to 1 outside it: "), "{line}");
        assert_eq!(rinit.exit_code(), 0, "{}", rinit.report());
        let lines = fs::read_to_string(&log).unwrap_or_default();
        // The master's stop came with the command's, not at the drain.
        let master_term = lines.find("master-term");
        assert!(
            master_term.is_some() && master_term < lines.find("command-exit"),
            "{mode:?}: {lines}"
        );
        assert_eq!(lines.matches("worker-term").count(), 1, "{mode:?}: {lines}");
    }
}

#[test]
fn at_the_drain_a_daemon_s_worker_gets_the_stop_only_through_its_master() {
    for mode in MODES {
        let dir = Scratch::new("all");
        let log = dir.path(&format!("drain-{mode:?}"));
        let command = command(&log, STARTS[1]);
        let master = master(&log);
        let args = ["-v", "--", "sh", "-c", &command, "sh", &master];
        let mut rinit = Rinit::start(mode, &args);
        rinit.expect_out("ready");
        rinit.signal(libc::SIGTERM);
        assert_eq!(rinit.exit_code(), 0, "{}", rinit.report());
        // The drain's line names whom it sent the stop: the master alone.
        let line = rinit.expect_err("what the stop missed");
        let (_, sent) = line.split_once("; sent to ").expect(&line);
        assert_eq!(sent.matches(" (sh)").count(), 1, "{mode:?}: {line}");
        let lines = fs::read_to_string(&log).unwrap_or_default();
        let master_term = lines.find("master-term");
        assert!(
            master_term.is_some() && master_term > lines.find("command-exit"),
            "{mode:?}: {lines}"
        );
        assert_eq!(lines.matches("worker-term").count(), 1, "{mode:?}: {lines}");
    }
}

#[test]
fn signal_all_takes_every_as_its_only_value() {
    let (status, _, err) = common::run_plain(&["--signal-all=all", "--", "true"]);
    assert_eq!(status, 2, "{err}");
    assert!(err.contains("'all' is not 'every'"), "{err}");
}

#[test]
fn a_and_c_together_are_refused() {
    let (status, _, err) = common::run_plain(&["-a", "-c", "--", "true"]);
    assert_eq!(status, 2, "{err}");
    assert!(err.contains("exclude each other"), "{err}");
}

#[test]
fn inspect_and_v_name_the_daemon_out_of_reach() {
    for mode in MODES {
        // Once the daemon is `sleep` (setsid has made its group and exec'd),
        // a relayed signal notices it.
        let script = "setsid sleep 100 & \
            until [ \"$(cat /proc/$!/comm)\" = sleep ]; do sleep 0.01; done; \
            kill -USR1 $PPID; echo ready; sleep 100";
        let mut rinit = Rinit::start(
            mode,
            &["-v", "--", "sh", "-c", &format!("trap '' USR1; {script}")],
        );
        rinit.expect_out("ready");
        let line = rinit.expect_err("left the command's process group");
        assert!(line.contains("(sleep)"), "{line}");
        let pid = rinit.pid();
        let mut cmd = Command::new(rinit_bin());
        cmd.args(["--inspect", &pid.to_string()]);
        let (status, text, err) = run_with_deadline(cmd);
        assert_eq!(status, 0, "{err}");
        assert!(
            text.contains("These 1 processes are out of the relay's reach")
                && text.contains("(sleep 100); `--signal-all` reaches them"),
            "{mode:?}: {text}"
        );
        let mut cmd = Command::new(rinit_bin());
        cmd.args(["--inspect", &pid.to_string(), "--json"]);
        let (_, json, _) = run_with_deadline(cmd);
        assert!(json.contains("\"out_of_reach\":[{\"pid\":"), "{json}");
        assert!(json.contains("\"command\":\"sleep 100\"}]"), "{json}");
    }
}
