//! No process can write rinit's log lines or drive the terminal of whoever
//! reads them: the names and command lines rinit reads from /proc are shown
//! escaped, in text and in JSON, in every line that names a process.

mod common;

use std::process::Command;

use common::{rinit_bin, run_with_deadline, Mode, Rinit, MODES};

/// Sets the calling shell's own name (`/proc/self/comm`, at most 15 bytes):
/// `printf` is a builtin, so the redirection is the shell's.
fn rename_self(name: &str) -> String {
    format!("printf '{name}' > /proc/self/comm")
}

/// Every stderr line is rinit's, whole: none starts where a hostile name
/// tried to start one, none carries a raw control character.
fn assert_honest(lines: &[String], forged: &str) {
    for line in lines {
        assert!(line.starts_with("[rinit] "), "not rinit's: {line:?}");
        assert!(!line.starts_with(forged), "forged: {line:?}");
        assert!(!line.chars().any(char::is_control), "raw control: {line:?}");
        assert!(!line.contains('\u{fffd}'), "raw invalid UTF-8: {line:?}");
        assert!(!line.contains(SEPARATORS), "raw separator: {line:?}");
    }
}

/// Where Python's `splitlines()`, Java's `\R` or a JavaScript reader end a
/// line, or a bidirectional text turns around, though no control character
/// is there: U+2028, U+2029, U+061C.
const SEPARATORS: [char; 3] = ['\u{2028}', '\u{2029}', '\u{61c}'];
/// A name holding all three, as printf's octal bytes, and as rinit shows it.
const SEPARATED: &str = r"a\342\200\250b\342\200\251c\330\234d";
const SEPARATED_SHOWN: &str = r"a\u{2028}b\u{2029}c\u{61c}d";

/// A command whose shell names itself `name`, then sends rinit SIGUSR1 (which
/// it ignores) and lives on a moment, so rinit reads the name while it lives.
fn sender_named(name: &str) -> String {
    format!(
        "trap '' USR1; {}; kill -USR1 $PPID; sleep 1",
        rename_self(name)
    )
}

/// Runs `sender_named(name)` under `rinit -v` in each mode; checks the
/// signal's line names the sender as `shown` and every line is rinit's own.
fn assert_sender_shown(name: &str, shown: &str, forged: &str) {
    for mode in MODES {
        let script = sender_named(name);
        let mut rinit = Rinit::start(mode, &["-v", "--", "sh", "-c", &script]);
        assert_eq!(rinit.exit_code(), 0, "{}", rinit.report());
        let line = rinit.expect_err("SIGUSR1 from pid");
        assert!(
            line.contains(&format!("({shown}, uid 0)")),
            "{mode:?}: {line}"
        );
        assert_honest(&rinit.err.all(), forged);
    }
}

#[test]
fn a_sender_named_to_forge_a_line_is_shown_escaped() {
    assert_sender_shown(r"a\n[rinit] forged", r"a\n[rinit] forge", "[rinit] forge");
}

#[test]
fn terminal_escapes_and_invalid_utf8_in_a_name_never_reach_the_reader() {
    assert_sender_shown(
        r"\033]0;x\007\033[2J\377!",
        r"\u{1b}]0;x\u{7}\u{1b}[2J\xff!",
        "[rinit] x",
    );
}

#[test]
fn the_drain_names_hostile_leftovers_escaped() {
    for mode in MODES {
        // A leftover that ignores SIGTERM, named to forge a line.
        let leftover = format!(
            "trap '' TERM; {}; while :; do sleep 0.05; done",
            rename_self(r"b\n[rinit] evil")
        );
        // Once it has its name, its SIGTERM trap is set too.
        let outer = "sh -c \"$1\" & until grep -q evil /proc/$!/comm; do sleep 0.01; done; exit 0";
        let args = ["--grace", "300ms", "--", "sh", "-c", outer, "sh", &leftover];
        let mut rinit = Rinit::start(mode, &args);
        assert_eq!(rinit.exit_code(), 0, "{}", rinit.report());
        let line = rinit.expect_err("is over: sending SIGKILL");
        assert!(line.contains(r"(b\n[rinit] evil)"), "{mode:?}: {line}");
        assert_honest(&rinit.err.all(), "[rinit] evil");
    }
}

#[test]
fn unicode_line_separators_in_a_name_are_escaped_in_text_json_and_inspect() {
    assert_sender_shown(SEPARATED, SEPARATED_SHOWN, "b");
    let script = sender_named(SEPARATED);
    let mut rinit = Rinit::start(
        Mode::Pid1,
        &["-v", "--log-format", "json", "--", "sh", "-c", &script],
    );
    assert_eq!(rinit.exit_code(), 0, "{}", rinit.report());
    let line = rinit.expect_err("\"event\":\"signal\"");
    assert!(!line.contains(SEPARATORS), "{line:?}");
    let out = common::python(
        "import json,sys\nt=sys.stdin.read()\nassert len(t.splitlines())==1\nprint(json.loads(t)['sender_command'])",
        &line,
    );
    assert_eq!(out.trim_end(), SEPARATED_SHOWN);
    // --inspect shows command lines: argv[0] set to the same characters.
    let script = format!("exec -a \"$(printf '{SEPARATED}')\" sleep 100");
    let mut rinit = Rinit::start(Mode::Pid1, &["--", "bash", "-c", &script]);
    let pid = rinit.pid().to_string();
    let deadline = common::Deadline::after(common::PATIENCE);
    for json in [false, true] {
        // JSON doubles each backslash of the escapes.
        let shown = match json {
            false => SEPARATED_SHOWN.to_owned(),
            true => SEPARATED_SHOWN.replace('\\', r"\\"),
        };
        let inspect = || {
            let mut cmd = Command::new(rinit_bin());
            cmd.args(["--inspect", &pid]);
            if json {
                cmd.arg("--json");
            }
            run_with_deadline(cmd).1
        };
        let left = deadline.left().unwrap_or_default();
        let report = common::last_within(left, inspect, |out| out.contains(&shown));
        assert!(report.contains(&shown), "{report}");
        assert!(!report.contains(SEPARATORS), "{report:?}");
    }
}

#[test]
fn json_lines_carry_hostile_names_escaped_and_stay_one_object() {
    let script = sender_named(r"c\n\033[2J\377");
    let mut rinit = Rinit::start(
        Mode::Pid1,
        &["-v", "--log-format", "json", "--", "sh", "-c", &script],
    );
    assert_eq!(rinit.exit_code(), 0, "{}", rinit.report());
    let line = rinit.expect_err("\"event\":\"signal\"");
    assert!(!line.chars().any(char::is_control), "{line:?}");
    let out = common::python(
        "import json,sys\nd=json.loads(sys.stdin.read())\nprint(d['sender_command']); print(d['message'])",
        &line,
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], r"c\n\u{1b}[2J\xff", "{out}");
    assert!(lines[1].contains(r"(c\n\u{1b}[2J\xff, uid 0)"), "{out}");
    for l in rinit.err.all() {
        assert!(l.starts_with("{\"time\":"), "{l:?}");
    }
}

#[test]
fn inspect_shows_hostile_command_lines_escaped_in_text_and_json() {
    // bash's exec -a sets argv[0] to anything, newlines and ESC included.
    let argv0 = r#"$(printf 'x\n[rinit] y\033[2J\377')"#;
    let script = format!("exec -a \"{argv0}\" sleep 100");
    let mut rinit = Rinit::start(Mode::Pid1, &["--", "bash", "-c", &script]);
    let pid = rinit.pid();
    let shown = r"x\n[rinit] y\u{1b}[2J\xff 100";
    let inspect = || {
        let mut cmd = Command::new(rinit_bin());
        cmd.args(["--inspect", &pid.to_string()]);
        let (status, out, err) = run_with_deadline(cmd);
        assert_eq!(status, 0, "{err}");
        out
    };
    let text = common::last_within(common::PATIENCE, inspect, |out| out.contains(shown));
    assert!(text.contains(shown), "{text}");
    for line in text.lines() {
        assert!(!line.starts_with("[rinit] y"), "{line:?}");
        assert!(!line.chars().any(char::is_control), "{line:?}");
        assert!(!line.contains('\u{fffd}'), "{line:?}");
    }
    let mut cmd = Command::new(rinit_bin());
    cmd.args(["--inspect", &pid.to_string(), "--json"]);
    let (_, json, _) = run_with_deadline(cmd);
    let out = common::python(
        "import json,sys\nd=json.loads(sys.stdin.read())\nprint(d['processes'][0]['command'])",
        &json,
    );
    assert_eq!(out.trim_end(), shown);
}

#[test]
fn a_daemon_whose_name_is_not_utf8_is_still_found_and_drained() {
    // Outside the command's group, away from PID 1, the drain finds it only
    // through /proc: a name that is not UTF-8 once hid it there.
    let log = std::env::temp_dir().join(format!("rinit-hidden-{}", std::process::id()));
    let _ = std::fs::remove_file(&log);
    let daemon = format!(
        "trap 'echo drained >> {log}; exit 0' TERM; {}; : > {log}.ready; while :; do sleep 0.02; done",
        rename_self(r"\377\376hidden"),
        log = log.display(),
    );
    let command = format!(
        "setsid sh -c \"$1\" & until [ -e {log}.ready ]; do sleep 0.01; done; exit 0",
        log = log.display()
    );
    let mut rinit = Rinit::start(
        Mode::Subreaper,
        &["-v", "--", "sh", "-c", &command, "sh", &daemon],
    );
    assert_eq!(rinit.exit_code(), 0, "{}", rinit.report());
    let drained = std::fs::read_to_string(&log).unwrap_or_default();
    let _ = std::fs::remove_file(&log);
    let _ = std::fs::remove_file(format!("{}.ready", log.display()));
    assert_eq!(drained, "drained\n", "{}", rinit.report());
    let line = rinit.expect_err("sending SIGTERM to what is left");
    assert!(line.contains(r"(\xff\xfehidden)"), "{line}");
}
