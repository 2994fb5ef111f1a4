//! `rinit --inspect`: the verdict on a bare shell as PID 1, on rinit (any
//! copy of it), on tini, dumb-init and catatonit, on a process with a
//! SIGTERM handler and on one with zombie children; the JSON form and JSON
//! log lines parse and say the same.

mod common;

use std::process::Command;
use std::sync::Once;

use common::{
    comm, descendant_above, descendants, last_within, rinit_bin, run_with_deadline, testkit,
    within, Mode, Namespace, Rinit, Scratch, PATIENCE,
};

/// Starts `args` as PID 1 of a new namespace (without rinit).
fn pid1(args: &[&str]) -> Rinit {
    let cmd = Namespace::new(Mode::Pid1).command(args[0], &args[1..]);
    Rinit::spawn(Mode::Pid1, cmd)
}

/// The host pid of the first process below `holder` named `name`, once it
/// has a child named `child` (so it is set up).
fn find(holder: &mut Rinit, name: &str, child: &str) -> i32 {
    let root = holder.child_id();
    within(PATIENCE, || descendant_above(root, name, child))
        .unwrap_or_else(|| panic!("no {name} with a {child}"))
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
    let asked = || inspect(&[&pid.to_string()]);
    let text = last_within(PATIENCE, asked, |text| text.contains("zombies: 2"));
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
    let root = holder.child_id();
    let found = within(PATIENCE, || {
        descendants(root).into_iter().find(|&p| {
            comm(p).as_deref() == Some(name)
                && common::status_field(p, "NSpid").is_some_and(|n| n.ends_with("\t1"))
        })
    });
    found.unwrap_or_else(|| panic!("no {name}"))
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

/// The command below the init (a shell) starts two sleepers: `sleep 1001`
/// leaves its group and session (setsid, as `php-fpm -D` does), `sleep
/// 1002` stays in the shell's group; the shell waits.
const DAEMONS: &str = "setsid sleep 1001 & sleep 1002 & wait";

/// The host pid of the process named `init` below `holder` once both
/// sleepers of DAEMONS run (the setsid'd one has exec'd `sleep`).
fn init_with_daemons(holder: &Rinit, init: &str) -> i32 {
    let found = within(PATIENCE, || {
        let below = descendants(holder.child_id());
        let init = below
            .iter()
            .copied()
            .find(|&p| comm(p).as_deref() == Some(init))?;
        let sleeping = descendants(init)
            .into_iter()
            .filter(|&p| comm(p).as_deref() == Some("sleep"))
            .count();
        (sleeping == 2).then_some(init)
    });
    found.unwrap_or_else(|| panic!("no {init} with both sleepers"))
}

/// `--inspect --json` of `pid`: the commands out of reach, sorted, and the
/// verdict.
fn out_of_reach(pid: i32) -> (Vec<String>, String) {
    let json = inspect(&[&pid.to_string(), "--json"]);
    // The verdict on the first line, then each command.
    let script = "import json,sys\nd=json.loads(sys.stdin.read())\n\
                  print(' '.join(d['verdict']))\n\
                  for c in sorted(p['command'] for p in d['out_of_reach']): print(c)";
    let out = common::python(script, &json);
    let mut lines = out.lines().map(str::to_owned);
    let verdict = lines.next().unwrap_or_default();
    (lines.collect(), verdict)
}

#[test]
fn a_copy_of_rinit_at_another_path_knows_rinit_and_names_the_daemons_out_of_its_reach() {
    // `docker cp rinit C:/x; docker exec C /x --inspect`: another file, another
    // name, run inside the PID namespace.
    let scratch = Scratch::new("copy");
    let copy = scratch.path("other-init");
    std::fs::copy(rinit_bin(), &copy).unwrap();
    let rinit = Rinit::start(Mode::Pid1, &["--", "sh", "-c", DAEMONS]);
    let sh = init_with_daemons(&rinit, "sh");
    let mut cmd = Command::new("nsenter");
    cmd.args(["--target", &sh.to_string(), "--pid", "--mount", "--"])
        .args([copy.as_str(), "--inspect", "--json"]);
    let (status, json, err) = run_with_deadline(cmd);
    assert_eq!(status, 0, "{err}");
    let fields = json_fields(
        &json,
        &[
            "d['pid']",
            "d['rinit']",
            "d['sigterm']",
            "[p['command'] for p in d['out_of_reach']]",
        ],
    );
    assert_eq!(fields, ["1", "true", "\"forwarded\"", "[\"sleep 1001\"]"]);
}

/// The peers' Debian packages, installed once when one is missing (as
/// tests/e2e/lib.sh's install_missing does).
fn peers() {
    static INSTALLED: Once = Once::new();
    INSTALLED.call_once(|| {
        let on_path = |name: &str| {
            Command::new("sh")
                .args(["-c", &format!("command -v {name}")])
                .output()
                .is_ok_and(|o| o.status.success())
        };
        let packages = ["tini", "dumb-init", "catatonit"];
        if packages.iter().all(|p| on_path(p)) {
            return;
        }
        let _ = Command::new("bash")
            .args(["dist/apt-update", "-qq"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status();
        let installed = Command::new("apt-get")
            .args(["install", "-y", "-qq"])
            .args(packages)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status();
        assert!(
            installed.is_ok_and(|s| s.success()),
            "apt-get install {packages:?}"
        );
    });
}

/// An init, its flags, a variable of its environment, and whom it misses.
type Case<'a> = (&'a str, &'a [&'a str], (&'a str, &'a str), &'a [&'a str]);

#[test]
fn tini_dumb_init_and_catatonit_as_pid_1_each_miss_whom_their_own_rule_misses() {
    peers();
    let scratch = Scratch::new("peers");
    // Docker's and podman's names for tini and catatonit: the name decides.
    for (name, peer) in [("docker-init", "tini"), ("podman-init", "catatonit")] {
        let path = format!("/usr/bin/{peer}");
        std::os::unix::fs::symlink(path, scratch.path(name)).unwrap();
    }
    let (docker_init, podman_init) = (scratch.path("docker-init"), scratch.path("podman-init"));
    let both = ["sleep 1001", "sleep 1002"];
    let setsid = ["sleep 1001"];
    let cases: [Case; 12] = [
        // tini: the child alone, even a sibling in its group is missed...
        ("tini", &["--"], ("", ""), &both),
        ("tini-static", &["--"], ("", ""), &both),
        (&docker_init, &["--"], ("", ""), &both),
        // ... its group with -g or TINI_KILL_PROCESS_GROUP, whatever its value.
        ("tini", &["-g", "--"], ("", ""), &setsid),
        ("tini", &["--"], ("TINI_KILL_PROCESS_GROUP", "0"), &setsid),
        // catatonit: the child alone, its group with -g.
        ("catatonit", &["--"], ("", ""), &both),
        (&podman_init, &["--"], ("", ""), &both),
        ("catatonit", &["-g", "--"], ("", ""), &setsid),
        // dumb-init: the child's session (its group) unless -c or
        // DUMB_INIT_SETSID=0.
        ("dumb-init", &[], ("", ""), &setsid),
        ("dumb-init", &["-c"], ("", ""), &both),
        ("dumb-init", &[], ("DUMB_INIT_SETSID", "0"), &both),
        // rinit's variables are not tini's.
        ("tini", &["--"], ("RINIT_SIGNAL_ALL", "1"), &both),
    ];
    for (init, flags, (key, value), missed) in cases {
        let args = [flags, &["sh", "-c", DAEMONS]].concat();
        let mut cmd = Namespace::new(Mode::Pid1).command(init, &args);
        if !key.is_empty() {
            cmd.env(key, value);
        }
        let holder = Rinit::spawn(Mode::Pid1, cmd);
        let name = init.rsplit('/').next().unwrap();
        let pid = init_with_daemons(&holder, name);
        let name = name.strip_suffix("-static").unwrap_or(name);
        let (commands, verdict) = out_of_reach(pid);
        let case = format!("{init} {flags:?} {key}={value}");
        assert_eq!(commands, missed, "{case}: {verdict}");
        assert!(
            verdict.contains(&format!("This is {name}: it relays"))
                && verdict.contains("the kernel then SIGKILLs them")
                && verdict.contains("STOPSIGNAL SIGQUIT"),
            "{case}: {verdict}"
        );
    }
}

#[test]
fn the_advice_names_the_graceful_stop_signal_and_a_reaches_each_daemons_master() {
    // Advised to run under rinit or to use the exec form: SIGTERM may be a
    // fast stop.
    let mut shell = pid1(&["sh", "-c", "sleep 1000; echo after"]);
    let pid = find(&mut shell, "sh", "sleep");
    let text = inspect(&[&pid.to_string()]);
    assert!(
        text.contains("use the exec form")
            && text.contains("nginx and php-fpm stop fast on SIGTERM, gracefully on SIGQUIT")
            && text.contains("`STOPSIGNAL SIGQUIT`")
            && text.contains("`-r TERM:QUIT`"),
        "{text}"
    );
    // Daemons out of rinit's reach: the same advice.
    let rinit = Rinit::start(Mode::Pid1, &["--", "sh", "-c", DAEMONS]);
    let pid = init_with_daemons(&rinit, "rinit");
    let (commands, verdict) = out_of_reach(pid);
    assert_eq!(commands, ["sleep 1001"], "{verdict}");
    assert!(verdict.contains("`-r TERM:QUIT`"), "{verdict}");
    // With -a, a stop reaches them through their masters: nobody is out of
    // reach, and the verdict says how far each signal goes.
    let rinit = Rinit::start(Mode::Pid1, &["-a", "--", "sh", "-c", DAEMONS]);
    let pid = init_with_daemons(&rinit, "rinit");
    let (commands, verdict) = out_of_reach(pid);
    assert!(commands.is_empty(), "{commands:?}");
    assert!(
        verdict.contains("with -a a stop also reaches each daemon's master")
            && verdict.contains("`--signal-all=every`: every signal, every process"),
        "{verdict}"
    );
}
