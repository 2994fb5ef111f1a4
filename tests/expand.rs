//! `--expand`: `${PORT}` in an exec-form command without a shell in front
//! of the app; off by default and under every peer's name.

mod common;

use common::{Mode, Rinit, MODES};

/// The issue's words and what each must become, one per line.
const WORDS: [&str; 9] = [
    "0.0.0.0:${PORT}",
    "$PORT",
    "${UNSET:-dflt}",
    "${EMPTY:-dflt}",
    "${EMPTY-dflt}",
    "$$PORT",
    "a$",
    "${A_B}",
    "$(id)",
];
const EXPANDED: &str =
    "<0.0.0.0:8123>\n<8123>\n<dflt>\n<dflt>\n<>\n<$PORT>\n<a$>\n<x y>\n<$(id)>\n";

fn run(name: &str, mode: Mode, before: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut args: Vec<&str> = before.to_vec();
    args.extend(["--", "printf", "<%s>\\n"]);
    args.extend(WORDS);
    let mut cmd = common::command_as(name, mode, &args);
    cmd.envs([("PORT", "8123"), ("EMPTY", ""), ("A_B", "x y")])
        .envs(env.iter().copied());
    let mut rinit = Rinit::spawn(mode, cmd).with_name(name);
    let status = rinit.exit_code();
    (status, rinit.out.text(), rinit.err.text())
}

#[test]
fn expand_fills_in_the_environment_as_the_issue_shows() {
    for mode in MODES {
        let (status, out, err) = run("rinit", mode, &["--expand"], &[]);
        assert_eq!(
            (status, out.as_str()),
            (0, EXPANDED.trim_end()),
            "{mode:?}\n{err}"
        );
        let (status, out, err) = run("rinit", mode, &[], &[("RINIT_EXPAND", "1")]);
        assert_eq!(
            (status, out.as_str()),
            (0, EXPANDED.trim_end()),
            "{mode:?}\n{err}"
        );
    }
}

#[test]
fn without_expand_and_under_the_peers_names_words_pass_untouched() {
    let untouched: String = WORDS.iter().map(|w| format!("<{w}>\n")).collect();
    for name in ["rinit", "tini", "docker-init", "dumb-init", "catatonit"] {
        for mode in MODES {
            let (status, out, err) = run(name, mode, &[], &[]);
            assert_eq!(
                (status, out.as_str()),
                (0, untouched.trim_end()),
                "{name} {mode:?}\n{err}"
            );
        }
        // Asked for, it works under their names too.
        let (_, out, err) = run(name, Mode::Pid1, &["--expand"], &[]);
        assert_eq!(out, EXPANDED.trim_end(), "{name}\n{err}");
    }
}

#[test]
fn a_required_name_that_is_unset_starts_nothing_and_is_a_usage_error() {
    let dir = std::env::temp_dir().join(format!("rinit-expand-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("F");
    let file = file.to_str().unwrap();
    for (name, usage) in [("rinit", 2), ("tini", 1), ("dumb-init", 1)] {
        let args = [
            "--expand",
            "--",
            "touch",
            file,
            "${NOPE:?set NOPE to the port}",
        ];
        let mut rinit =
            Rinit::spawn(Mode::Pid1, common::command_as(name, Mode::Pid1, &args)).with_name(name);
        assert_eq!(rinit.exit_code(), usage, "{name}\n{}", rinit.report());
        let err = rinit.err.text();
        assert_eq!(err.lines().count(), 1, "{name}: {err}");
        assert!(
            err.contains("NOPE") && err.contains("set NOPE to the port"),
            "{name}: {err}"
        );
        assert!(
            !std::path::Path::new(file).exists(),
            "{name}: F was created"
        );
    }
    // An unterminated ${ names the word.
    let (status, _, err) = common::run_plain(&["--expand", "--", "true", "x${PORT"]);
    assert_eq!(status, 2);
    assert!(err.contains("x${PORT") && err.contains("no '}'"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn verbose_logs_the_command_as_expanded_and_escaped() {
    let mut cmd = common::command(Mode::Pid1, &["-v", "--expand", "--", "true", "at:$PORT"]);
    cmd.env("PORT", "80\n[rinit] forged\x1b[31m");
    let mut rinit = Rinit::spawn(Mode::Pid1, cmd);
    assert_eq!(rinit.exit_code(), 0);
    let line = rinit.expect_err("started");
    assert!(
        line.contains(r"'true at:80\n[rinit] forged\u{1b}[31m'"),
        "{line}"
    );
    assert!(!rinit.err.text().contains("\n[rinit] forged"));
}
