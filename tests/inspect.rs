//! `rinit --inspect`: the verdict on a bare shell as PID 1, on rinit, on a
//! process with a SIGTERM handler and on one with zombie children; the JSON
//! form and JSON log lines parse and say the same.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::{clean_slate, comm, descendants, rinit_bin, run_with_deadline, testkit, Mode, Rinit};

/// Starts `args` as PID 1 of a new namespace (without rinit).
fn pid1(args: &[&str]) -> Rinit {
    let mut cmd = Command::new("unshare");
    cmd.args(["--pid", "--fork", "--mount-proc", "--kill-child", "--"])
        .args(args);
    clean_slate(&mut cmd);
    Rinit::spawn(Mode::Pid1, cmd)
}

/// The host pid of the first process below `holder` named `name`, once it
/// has a child named `child` (so it is set up).
fn find(holder: &mut Rinit, name: &str, child: &str) -> i32 {
    let root = holder.child_id();
    let deadline = Instant::now() + common::PATIENCE;
    loop {
        let found = descendants(root).into_iter().find(|&p| {
            comm(p).as_deref() == Some(name)
                && descendants(p)
                    .iter()
                    .any(|&c| comm(c).as_deref() == Some(child))
        });
        if let Some(pid) = found {
            return pid;
        }
        assert!(Instant::now() < deadline, "no {name} with a {child}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn inspect(args: &[&str]) -> String {
    let mut cmd = Command::new(rinit_bin());
    cmd.arg("--inspect").args(args);
    let (status, out, err) = run_with_deadline(cmd);
    assert_eq!(status, 0, "{err}");
    out
}

/// Fields of a JSON document, read by Python's parser (which also proves it
/// parses): one line per expression in `exprs`, evaluated on `d`.
fn json_fields(document: &str, exprs: &[&str]) -> Vec<String> {
    let script = format!(
        "import json,sys\nd=json.loads(sys.stdin.read())\n{}",
        exprs
            .iter()
            .map(|e| format!("print(json.dumps({e}))"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    common::python(&script, document)
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn a_bare_shell_as_pid_1_gets_the_verdict_that_sigterm_is_dropped() {
    let mut shell = pid1(&["sh", "-c", "sleep 1000; echo after"]);
    let pid = find(&mut shell, "sh", "sleep");
    let text = inspect(&[&pid.to_string()]);
    assert!(text.contains("PID 1 of its PID namespace: yes"), "{text}");
    assert!(text.contains("SIGTERM   default"), "{text}");
    assert!(
        text.contains("so the kernel drops it") && text.contains("exit 137"),
        "{text}"
    );
    let json = inspect(&[&pid.to_string(), "--json"]);
    let fields = json_fields(
        &json,
        &[
            "d['pid1']",
            "d['sigterm']",
            "d['signals']['SIGTERM']",
            "d['rinit']",
        ],
    );
    assert_eq!(fields, ["true", "\"dropped\"", "\"default\"", "false"]);
}

#[test]
fn inside_the_namespace_inspect_defaults_to_pid_1_as_docker_exec_would() {
    let mut shell = pid1(&["sh", "-c", "sleep 1000; echo after"]);
    let pid = find(&mut shell, "sh", "sleep");
    let mut cmd = Command::new("nsenter");
    cmd.args([
        "--target",
        &pid.to_string(),
        "--pid",
        "--mount",
        "--",
        rinit_bin(),
        "--inspect",
    ]);
    let (status, out, err) = run_with_deadline(cmd);
    assert_eq!(status, 0, "{err}");
    assert!(
        out.starts_with("process 1: sh -c sleep 1000; echo after"),
        "{out}"
    );
    assert!(out.contains("so the kernel drops it"), "{out}");
}

#[test]
fn rinit_as_pid_1_gets_the_verdict_that_signals_are_forwarded_and_where() {
    for single in [false, true] {
        let flags: &[&str] = if single { &["-c"] } else { &[] };
        let args: Vec<&str> = flags
            .iter()
            .copied()
            .chain(["--", "sh", "-c", "sleep 1000"])
            .collect();
        let mut rinit = Rinit::start(Mode::Pid1, &args);
        let pid = rinit.pid();
        find(&mut rinit, "rinit", "sh");
        // Seen from outside the namespace, pids are the host's; the command
        // (the shell) leads its own group.
        let sh = descendants(pid)
            .into_iter()
            .find(|&p| comm(p).as_deref() == Some("sh"))
            .unwrap();
        let target = match single {
            false => format!("to its command's process group ({sh})"),
            true => format!("to its command alone (process {sh})"),
        };
        let text = inspect(&[&pid.to_string()]);
        assert!(
            text.contains("This is rinit") && text.contains(&target),
            "{target}\n{text}"
        );
        assert!(text.contains("SIGTERM   blocked"), "{text}");
        let json = inspect(&[&pid.to_string(), "--json"]);
        assert_eq!(
            json_fields(&json, &["d['sigterm']", "d['rinit']"]),
            ["\"forwarded\"", "true"]
        );
    }
}

#[test]
fn a_process_with_a_sigterm_handler_handles_it_itself() {
    let mut holder = Rinit::start(Mode::Pid1, &["--", testkit(), "app"]);
    holder.expect_out("app: ready");
    // The app blocks SIGTERM and waits for it: queued, not dropped.
    let app = find_named(&mut holder, "rinit-testkit");
    let text = inspect(&[&app.to_string()]);
    assert!(
        text.contains("PID 1 of its PID namespace: no")
            && text.contains("SIGTERM is taken, not dropped")
            && text.contains("waiting for signals in sigwait or sigtimedwait"),
        "{text}"
    );
    // A shell with a trap catches it.
    let mut shell = pid1(&["sh", "-c", "trap 'exit 0' TERM; sleep 1000 & wait"]);
    let pid = find(&mut shell, "sh", "sleep");
    let text = inspect(&[&pid.to_string()]);
    assert!(
        text.contains("SIGTERM   caught") && text.contains("handles it itself"),
        "{text}"
    );
    let json = inspect(&[&pid.to_string(), "--json"]);
    assert_eq!(json_fields(&json, &["d['sigterm']"]), ["\"handled\""]);
}

fn find_named(holder: &mut Rinit, name: &str) -> i32 {
    let root = holder.child_id();
    descendants(root)
        .into_iter()
        .find(|&p| comm(p).as_deref() == Some(name))
        .unwrap()
}

#[test]
fn zombie_children_are_marked_and_counted() {
    // `sleep 0` exits at once; the exec'd `sleep 1000` never reaps it.
    let mut shell = pid1(&["sh", "-c", "sleep 0 & sleep 0 & exec sleep 1000"]);
    let pid = find_named_after(&mut shell, "sleep");
    let deadline = Instant::now() + common::PATIENCE;
    let text = loop {
        let text = inspect(&[&pid.to_string()]);
        if text.contains("zombies: 2") || Instant::now() > deadline {
            break text;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(text.contains("processes below it: 2, zombies: 2"), "{text}");
    assert_eq!(text.matches("<- zombie").count(), 2, "{text}");
    assert!(text.contains("nothing reaps them"), "{text}");
    let json = inspect(&[&pid.to_string(), "--json"]);
    let fields = json_fields(
        &json,
        &["d['zombies']", "[p['zombie'] for p in d['processes']]"],
    );
    assert_eq!(fields, ["2", "[true, true]"]);
}

fn find_named_after(holder: &mut Rinit, name: &str) -> i32 {
    let deadline = Instant::now() + common::PATIENCE;
    loop {
        let root = holder.child_id();
        if let Some(p) = descendants(root).into_iter().find(|&p| {
            comm(p).as_deref() == Some(name)
                && common::status_field(p, "NSpid").is_some_and(|n| n.ends_with("\t1"))
        }) {
            return p;
        }
        assert!(Instant::now() < deadline, "no {name}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn inspect_of_a_missing_process_is_one_line_and_exit_1() {
    let mut cmd = Command::new(rinit_bin());
    cmd.args(["--inspect", "999999999"]);
    let (status, out, err) = run_with_deadline(cmd);
    assert_eq!(status, 1);
    assert!(out.is_empty());
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("[rinit] --inspect 999999999: cannot read"),
        "{err}"
    );
}

#[test]
fn json_log_lines_parse_and_carry_the_facts() {
    let script = "trap '' USR1; kill -USR1 1; (sh -c 'exit 3' &); sleep 0.2; exit 4";
    let mut rinit = Rinit::start(
        Mode::Pid1,
        &["--log-format", "json", "-vv", "--", "sh", "-c", script],
    );
    assert_eq!(rinit.exit_code(), 4);
    let lines = rinit.err.all();
    assert!(lines.len() >= 5, "{lines:?}");
    for line in &lines {
        let fields = json_fields(
            line,
            &["sorted(k for k in ['time','level','init','event','message'] if k not in d)"],
        );
        assert_eq!(fields, ["[]"], "{line}");
    }
    let signal = lines
        .iter()
        .find(|l| l.contains("\"event\":\"signal\""))
        .expect("a signal event");
    let fields = json_fields(
        signal,
        &[
            "d['signal']",
            "d['sender_pid']",
            "d['sender_command']",
            "d['target']",
            "d['level']",
        ],
    );
    assert_eq!(
        fields,
        ["\"SIGUSR1\"", "2", "\"sh\"", "\"group 2\"", "\"info\""]
    );
    let reaped = lines
        .iter()
        .find(|l| l.contains("\"event\":\"reaped\""))
        .expect("a reaped event");
    assert_eq!(json_fields(reaped, &["d['status']"]), ["3"]);
    let exit = lines
        .iter()
        .find(|l| l.contains("\"event\":\"exit\""))
        .expect("an exit event");
    assert_eq!(json_fields(exit, &["d['status']"]), ["4"]);
    // The environment asks for the same.
    let mut cmd = common::command(Mode::Pid1, &["-v", "--", "true"]);
    cmd.env("RINIT_LOG_FORMAT", "json");
    let mut rinit = Rinit::spawn(Mode::Pid1, cmd);
    assert_eq!(rinit.exit_code(), 0);
    assert!(
        rinit.err.all().iter().all(|l| l.starts_with("{\"time\":")),
        "{}",
        rinit.report()
    );
}

#[test]
fn a_json_log_line_stays_valid_json_for_a_huge_command_line() {
    let long = "x".repeat(20_000);
    let mut rinit = Rinit::start(
        Mode::Pid1,
        &[
            "--log-format",
            "json",
            "-v",
            "--",
            "sh",
            "-c",
            "exit 0",
            &long,
        ],
    );
    assert_eq!(rinit.exit_code(), 0);
    let started = rinit
        .err
        .all()
        .into_iter()
        .find(|l| l.contains("\"event\":\"started\""))
        .expect("started");
    assert!(started.len() <= 4096, "{} bytes", started.len());
    // The command line is cut long before the line's own cap.
    let fields = json_fields(
        &started,
        &["d['pid']", "d['message'].endswith(\"x...' as pid 2\")"],
    );
    assert_eq!(fields, ["2", "true"]);
}

#[test]
fn another_user_is_told_what_it_could_not_read_never_a_guess() {
    // `docker exec -u 65534 C rinit --inspect` on a root rinit as PID 1: its
    // exe and fdinfo are not this user's to read.
    let mut rinit = Rinit::start(Mode::Pid1, &["--", "sleep", "100"]);
    let pid = rinit.pid().to_string();
    let as_nobody = |json: bool| {
        let mut cmd = Command::new("setpriv");
        cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .args([rinit_bin(), "--inspect", &pid]);
        if json {
            cmd.arg("--json");
        }
        let (status, out, err) = run_with_deadline(cmd);
        assert_eq!(status, 0, "{err}");
        out
    };
    let text = as_nobody(false);
    assert!(
        text.contains("Cannot tell whether SIGTERM reaches it"),
        "{text}"
    );
    assert!(
        text.contains(&format!("/proc/{pid}/exe (Permission denied")),
        "{text}"
    );
    assert!(text.contains("Run --inspect as root"), "{text}");
    assert!(
        !text.contains("drops it") && !text.contains("SIGKILL"),
        "{text}"
    );
    let fields = json_fields(
        &as_nobody(true),
        &["d['sigterm']", "d['rinit']", "len(d['unreadable'])"],
    );
    assert_eq!(fields, ["\"unknown\"", "null", "2"]);
    // Root reads it all, and knows.
    let fields = json_fields(
        &inspect(&[&pid, "--json"]),
        &["d['sigterm']", "d['rinit']", "d['unreadable']"],
    );
    assert_eq!(fields, ["\"forwarded\"", "true", "[]"]);
}
