//! The command line: options end at the command, bad input is one line and
//! exit status 2, help and version go to stdout.

mod common;

use common::{run_plain, testkit};

#[test]
fn usage_errors_are_one_line_naming_the_problem_and_exit_2() {
    let cases: [(&[&str], &str); 8] = [
        (&[], "no command"),
        (&["-v"], "no command"),
        (&["--"], "no command"),
        (&["-x", "true"], "'-x'"),
        (&["--frobnicate", "true"], "'--frobnicate'"),
        (&["-r", "TERM", "true"], "--rewrite 'TERM'"),
        (&["-r", "NOPE:TERM", "true"], "unknown signal"),
        (&["-r"], "needs a value"),
    ];
    for (args, problem) in cases {
        let (status, out, err) = run_plain(args);
        assert_eq!(status, 2, "{args:?}");
        assert!(out.is_empty(), "{args:?}: {out}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(
            err.starts_with("[rinit] ") && err.contains(problem) && err.contains("--help"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn a_bad_verbosity_in_the_environment_is_a_usage_error() {
    let mut cmd = std::process::Command::new(common::rinit_bin());
    cmd.args(["--", "true"]).env("RINIT_VERBOSITY", "loud");
    let (status, _, err) = common::run_with_deadline(cmd);
    assert_eq!(status, 2);
    assert!(err.contains("RINIT_VERBOSITY"), "{err}");
}

#[test]
fn options_after_the_command_belong_to_the_command() {
    let (status, out, err) = run_plain(&["sh", "-c", "echo \"$@\"", "sh", "-v", "--help"]);
    assert_eq!(status, 0, "{err}");
    assert_eq!(out, "-v --help\n");
    assert!(err.is_empty(), "rinit took the command's -v: {err}");
}

#[test]
fn usage_errors_follow_the_log_format_option_as_well_as_the_environment() {
    for args in [
        &["--log-format", "json", "--grace", "soon", "true"][..],
        &["--log-format=json", "--bogus", "true"],
        &["--bogus", "--log-format", "json", "true"],
    ] {
        let (status, _, err) = run_plain(args);
        assert_eq!(status, 2, "{args:?}");
        let line = err.trim_end();
        assert!(
            line.starts_with("{\"time\":") && line.contains("\"event\":\"usage\""),
            "{args:?}: {err}"
        );
        common::python("import json,sys\njson.loads(sys.stdin.read())", line);
    }
    // The option wins over the environment, as everywhere.
    let mut cmd = std::process::Command::new(common::rinit_bin());
    cmd.args(["--log-format", "text", "--bogus", "true"])
        .env("RINIT_LOG_FORMAT", "json");
    let (_, _, err) = common::run_with_deadline(cmd);
    assert!(err.starts_with("[rinit] unknown option"), "{err}");
}

#[test]
fn help_and_version_go_to_stdout_and_exit_0() {
    for flag in ["-h", "--help"] {
        let (status, out, err) = run_plain(&[flag]);
        assert_eq!(status, 0);
        assert!(out.contains("Usage: rinit") && out.contains("--rewrite") && err.is_empty());
    }
    for flag in ["-V", "--version"] {
        let (status, out, err) = run_plain(&[flag]);
        assert_eq!(status, 0);
        let version = env!("CARGO_PKG_VERSION");
        assert_eq!(out, format!("tini version {version}_rinit - git.rinit\n"));
        assert!(err.starts_with(&format!("rinit {version} (")), "{err}");
    }
}

/// What dockerd makes of `<init-path> --version` for `docker info`, as
/// moby's parseInitVersion reads it: Docker 20.10 and newer take the
/// version and the commit (20.10 shows the commit alone); 19.03 the commit,
/// or else "v" and the version.
fn docker_reads(stdout: &str) -> (Result<(String, String), ()>, Result<String, ()>) {
    let parts: Vec<&str> = stdout.trim().split(" - ").collect();
    let commit = parts
        .get(1)
        .map(|git| git.trim().split('.').collect::<Vec<_>>())
        .filter(|p| p.len() == 2 && p[0] == "git")
        .map_or(String::new(), |p| p[1].to_owned());
    let version = parts[0]
        .trim()
        .strip_prefix("tini version ")
        .unwrap_or_default()
        .to_owned();
    let old = match (&commit, &version) {
        (c, _) if !c.is_empty() => Ok(c.clone()),
        (_, v) if !v.is_empty() => Ok(format!("v{v}")),
        _ => Err(()),
    };
    let new = match version.is_empty() && commit.is_empty() {
        true => Err(()),
        false => Ok((version, commit)),
    };
    (new, old)
}

#[test]
fn dockerd_reads_the_version_under_every_name_it_runs_an_init_by() {
    let version = env!("CARGO_PKG_VERSION");
    for name in ["rinit", "tini", "docker-init", "catatonit", "podman-init"] {
        let mut cmd = std::process::Command::new(common::rinit_as(name));
        cmd.arg("--version");
        let (status, out, _) = common::run_with_deadline(cmd);
        assert_eq!(status, 0);
        let (new, old) = docker_reads(&out);
        let expected = (format!("{version}_rinit"), "rinit".to_owned());
        assert_eq!(new, Ok(expected), "{name}");
        // 19.03 slices its own 7-character tini commit to this length.
        assert!(old.is_ok_and(|commit| commit.len() <= 7), "{name}");
    }
    // What tini and catatonit print reads the same way: 20.10 shows no
    // commit for catatonit's line.
    let tini = docker_reads("tini version 0.19.0 - git.de40ad0\n").0;
    assert_eq!(tini, Ok(("0.19.0".into(), "de40ad0".into())));
    let catatonit = docker_reads("tini version 0.1.7_catatonit\n").0;
    assert_eq!(catatonit, Ok(("0.1.7_catatonit".into(), String::new())));
    assert_eq!(docker_reads("rinit 0.1.0\n"), (Err(()), Err(())));
}

#[test]
fn argv_bytes_reach_the_command_untouched() {
    use std::os::unix::ffi::OsStrExt;
    let odd = std::ffi::OsStr::from_bytes(b"caf\xe9 \xff\xfe \"quoted\" $HOME *");
    let mut cmd = std::process::Command::new(common::rinit_bin());
    cmd.args(["--", "printf", "%s"]).arg(odd);
    let output = cmd.output().unwrap();
    assert_eq!(output.stdout, odd.as_bytes());
    let _ = testkit();
}

#[test]
fn hostile_input_is_refused_with_exit_2_and_exactly_one_line() {
    // Near the kernel's limit for one argument (MAX_ARG_STRLEN, 128 KiB).
    let huge = "9".repeat(100_000);
    let huge_rule = format!("{}:TERM", "X".repeat(100_000));
    let cases: Vec<Vec<&str>> = vec![
        vec!["-r", "NOSUCHSIG:TERM", "true"],
        vec!["-r", "TERM:SIGNOPE", "true"],
        vec!["-r", "65:TERM", "true"],
        vec!["-r", "0:TERM", "true"],
        vec!["-r", "TERM:", "true"],
        vec!["-r", ":TERM", "true"],
        vec!["-r", "RTMIN+99:TERM", "true"],
        vec!["-p", "SIGNOPE", "true"],
        vec!["-e", "-1", "true"],
        vec!["--grace", "-1s", "true"],
        vec!["--grace", "99999999999999999999999999m", "true"],
        vec!["--kill-after", "5h", "true"],
        vec!["--stop-delay", &huge, "true"],
        vec!["-r", &huge_rule, "true"],
        vec!["--grace", "1\n[rinit] forged line\x1b[2J", "true"],
    ];
    for args in cases {
        let (status, out, err) = run_plain(&args);
        let shown: Vec<String> = args.iter().map(|a| a.chars().take(40).collect()).collect();
        assert_eq!(status, 2, "{shown:?}: {err}");
        assert!(out.is_empty());
        assert_eq!(err.lines().count(), 1, "{shown:?}: {err}");
        assert!(
            err.starts_with("[rinit] ") && err.len() <= 4096,
            "{shown:?}"
        );
        assert!(
            !err.contains('\x1b'),
            "a control character reached stderr raw: {err:?}"
        );
    }
}
