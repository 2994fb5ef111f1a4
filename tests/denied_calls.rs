//! rinit under a seccomp profile that refuses a system call it makes (an
//! older Docker or containerd profile answers EPERM for calls it does not
//! know, a hand-written one ENOSYS): for every call rinit makes, denied
//! with EPERM and with ENOSYS, rinit still relays SIGTERM and exits with
//! the command's status, or fails with a `[rinit]` line that says why
//! ("cannot ...") and its status for a command it could not start (126,
//! 127). It is never killed, never hangs and never fails without a word
//! (with `kill` itself denied nothing can be relayed: rinit says so for
//! each signal, and lives on).
//! (Two calls the C library's start-up cannot do without end rinit before
//! any of its code runs, as a failed exec of rinit would: `dies_before_main`.)
//! And the fallbacks that make that true, each shown: `pwritev2` (a pipe
//! rinit may not reopen), `close_range`, `clone` and `clone3`, and a log
//! writer thread that cannot start (pids.max full).
//!
//! The filter is `rinit-testkit deny` (tests/testkit), which execs rinit
//! under it. The command inherits it: it is `idle` (tests/testkit/idle.rs),
//! which makes no call but its execve and pause(2), so that a call denied
//! to rinit does not also keep the command from running.

mod common;

use std::fs;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Mutex;
use std::thread;
use std::time::Duration;

use common::{holds_within, idle, testkit, within, Lines, Mode, Scratch, MODES, PATIENCE};

/// Every system call rinit makes, from `strace -f -ff -qq
/// --pidns-translation` of the glibc builds (target/debug/rinit and
/// target/release/rinit, static-pie) and of dist/build's static musl
/// binary, each as PID 1 and as subreaper, in these sessions: `-v` and
/// `-vv` with stderr a pipe, a regular file, a terminal and a socket, as
/// root and as uid 65534 (root's pipe, terminal or socket, which rinit may
/// not reopen), SIGHUP relayed, then SIGTERM; `--stop-delay 0.5s
/// --kill-after 1s` with a command that blocks SIGTERM (SIGUSR1, SIGTERM,
/// SIGHUP sent), and `--kill-after 1s` with stderr a file and no `-v`; a
/// command that leaves two processes behind, one ignoring SIGTERM, with
/// `--grace 0.5s` (the drain up to its SIGKILL); `-a`; `--log-format
/// json`; a command that cannot be found; `-P`; a command that SIGKILLs
/// itself. Counted: rinit's process from its execve on, its log writer
/// thread, and the children it clones up to their execve (strace of
/// kernel 6.18, glibc 2.36, musl 1.2.3, 2026-12-06).
///
/// Left out: exit and exit_group. A denied exit returns to a process that
/// has nothing left to run; there is no way on to survive.
/// Added with the fallbacks that call them (issue 33): fstatfs (is stderr
/// on a local disk), rt_sigtimedwait (the reserved signals read out at the
/// writer thread's start; the signals when poll or read is refused),
/// waitid (when wait4 is refused).
const CALLS: [&str; 44] = [
    // Both builds.
    "arch_prctl",
    "chdir",
    "clone",
    "close",
    "close_range",
    "execve",
    "fcntl",
    "fstatfs",
    "futex",
    "getdents64",
    "getpid",
    "ioctl",
    "kill",
    "mmap",
    "mprotect",
    "openat",
    "poll",
    "prctl",
    "pwritev2",
    "read",
    "rt_sigaction",
    "rt_sigprocmask",
    "rt_sigtimedwait",
    "sendto",
    "set_tid_address",
    "setpgid",
    "signalfd4",
    "wait4",
    "waitid",
    "write",
    // glibc's only.
    "brk",
    "clone3",
    "getpgrp",
    "getrandom",
    "newfstatat",
    "prlimit64",
    "readlink",
    "rseq",
    "set_robust_list",
    "statx",
    // musl's only.
    "fstat",
    "getpgid",
    "open",
    "stat",
];

/// Whether `call`, denied, ended rinit the way the C library's start-up
/// does before any of rinit's code runs, as when rinit's own exec fails:
/// the thread pointer (arch_prctl: glibc exits 127 with a message, musl
/// crashes with SIGSEGV) and glibc's read-only relocations (mprotect,
/// static-pie: 127 and a message; musl's tiny build has none, and its
/// mprotect guards a new thread's stack, after rinit has started). Only
/// with no line of rinit's and the command never started.
fn dies_before_main(call: &str, ended: Ended, message: bool) -> bool {
    match (call, ended) {
        ("arch_prctl" | "mprotect", Ended::Exited(127)) => message,
        ("arch_prctl", Ended::Killed(libc::SIGSEGV)) => true,
        _ => false,
    }
}

/// The errors a profile answers a call it refuses with.
const ERRNOS: [&str; 2] = ["EPERM", "ENOSYS"];

/// Cases of the class test run at once (each mostly waits).
const WORKERS: usize = 6;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stderr {
    /// A pipe the test reads (and owns: as another user, rinit may not
    /// reopen it).
    Pipe,
    /// A regular file: only a thread (or a direct write) can write it.
    File,
}

/// `rinit ARGS` in a new PID namespace, as PID 1 or as subreaper, started
/// through `wrapper` (setpriv, a shell that opens a FIFO, ...) and, when
/// `denied` names calls and an errno, under `rinit-testkit deny`.
fn launch(mode: Mode, wrapper: &[&str], denied: Option<(&str, &str)>, args: &[&str]) -> Command {
    let mut cmd = Command::new("unshare");
    cmd.args(["--pid", "--fork", "--mount-proc", "--kill-child"]);
    if !common::is_root() {
        cmd.args(["--user", "--map-root-user"]);
    }
    cmd.arg("--");
    if mode == Mode::Subreaper {
        // PID 1 that says how rinit ended: a shell would report rinit
        // killed by SIGTERM as 143, the status rinit exits with when it
        // relayed SIGTERM.
        cmd.args([testkit(), "parent", "--"]);
    }
    cmd.args(wrapper);
    if let Some((calls, errno)) = denied {
        cmd.args([testkit(), "deny", calls, errno, "--"]);
    }
    cmd.arg(common::rinit_bin()).args(args);
    common::clean_slate(&mut cmd);
    cmd
}

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ended {
    Exited(i32),
    Killed(i32),
    /// Still running at the deadline.
    Hung,
}

/// A run of `launch`'s command: its stdout's lines, its stderr (a pipe
/// read into lines or a file), everything killed when dropped.
struct Run {
    mode: Mode,
    child: Child,
    out: Lines,
    err: Lines,
    /// Where stderr is a regular file: "stderr" in a scratch directory.
    file: Option<Scratch>,
    status: Option<ExitStatus>,
    /// Whether `stop` saw the command (`idle`) run.
    command_ran: bool,
}

impl Run {
    fn start(mode: Mode, mut cmd: Command, stderr: Stderr) -> Run {
        let file = (stderr == Stderr::File).then(|| Scratch::new("denied"));
        cmd.stdin(Stdio::null()).stdout(Stdio::piped());
        match &file {
            Some(dir) => cmd.stderr(fs::File::create(dir.path("stderr")).unwrap()),
            None => cmd.stderr(Stdio::piped()),
        };
        let mut child = cmd.spawn().expect("start unshare");
        let (out, err) = (Lines::default(), Lines::default());
        out.clone().collect_from(child.stdout.take().unwrap());
        if let Some(stderr) = child.stderr.take() {
            err.clone().collect_from(stderr);
        }
        Run {
            mode,
            child,
            out,
            err,
            file,
            status: None,
            command_ran: false,
        }
    }

    /// The pid of a process below the test's child named `name`.
    fn find(&self, name: &str) -> Option<i32> {
        common::descendant_named(self.child.id() as i32, name)
    }

    fn exited(&mut self) -> bool {
        if self.status.is_none() {
            self.status = self.child.try_wait().unwrap();
        }
        self.status.is_some()
    }

    /// Waits until `idle` runs (rinit started it) or everything ended,
    /// then sends SIGTERM to rinit, if it still runs; how it ended.
    fn stop(&mut self) -> Ended {
        let ran = within(PATIENCE, || match self.exited() {
            true => Some(false),
            false => self.find("idle").map(|_| true),
        });
        if ran == Some(true) {
            self.command_ran = true;
        }
        self.terminate()
    }

    /// SIGTERM to rinit, if it runs; how it ended.
    fn terminate(&mut self) -> Ended {
        if !self.exited() {
            if let Some(rinit) = self.find("rinit") {
                unsafe { libc::kill(rinit, libc::SIGTERM) };
            }
        }
        self.ended(PATIENCE)
    }

    /// How rinit ended, waiting up to `patience`.
    fn ended(&mut self, patience: Duration) -> Ended {
        if !holds_within(patience, || self.exited()) {
            return Ended::Hung;
        }
        // A moment for the reader threads to drain the pipes.
        thread::sleep(Duration::from_millis(20));
        let status = self.status.unwrap();
        if self.mode == Mode::Subreaper {
            // rinit-testkit parent's own line.
            let text = self.stderr();
            let said = text.lines().find_map(|l| l.strip_prefix("parent: "));
            if let Some(said) = said {
                if let Some((_, sig)) = said.split_once(" killed by signal ") {
                    return Ended::Killed(sig.trim().parse().unwrap());
                }
                if let Some((_, code)) = said.split_once(" exited ") {
                    return Ended::Exited(code.trim().parse().unwrap());
                }
            }
        }
        match status.code() {
            Some(code) => Ended::Exited(code),
            None => Ended::Killed(status.signal().unwrap_or(0)),
        }
    }

    /// Everything on stderr so far.
    fn stderr(&self) -> String {
        match &self.file {
            Some(dir) => dir.read("stderr"),
            None => self.err.text(),
        }
    }

    /// rinit's lines on stderr.
    fn lines(&self) -> Vec<String> {
        self.stderr()
            .lines()
            .filter(|l| l.starts_with("[rinit]"))
            .map(str::to_owned)
            .collect()
    }

    /// What rinit (and the C library, and rinit-testkit parent) printed,
    /// for an assertion's message.
    fn printed(&self) -> String {
        let text = self.stderr();
        match text.trim().is_empty() {
            true => "rinit printed nothing".to_owned(),
            false => format!(
                "stderr held:\n    {}",
                text.trim_end().replace('\n', "\n    ")
            ),
        }
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        if !self.exited() {
            // unshare --kill-child takes the namespace's PID 1 and the
            // kernel every other process in it.
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Whether one of rinit's lines says why it failed.
fn says_why(lines: &[String]) -> bool {
    lines.iter().any(|l| l.contains("cannot"))
}

/// One case of the class: `rinit -v -- idle` with `call` denied, stopped
/// with SIGTERM. Ok when rinit relayed it and reaped the command (143,
/// SIGTERM's status), or failed with a line that says why and the status
/// of a command it could not start (126 or 127).
fn survives(call: &str, errno: &str, mode: Mode, stderr: Stderr) -> Result<(), String> {
    let cmd = launch(mode, &[], Some((call, errno)), &["-v", "--", idle()]);
    let mut run = Run::start(mode, cmd, stderr);
    let ended = run.stop();
    let lines = run.lines();
    // The C library's message (not rinit-testkit parent's line).
    let message = run.stderr().lines().any(|l| !l.starts_with("parent: "));
    if lines.is_empty() && !run.command_ran && dies_before_main(call, ended, message) {
        return Ok(());
    }
    let why = match ended {
        Ended::Exited(143) => return Ok(()),
        // With kill denied no signal can go anywhere: rinit says so for
        // each, and lives on (exiting would orphan the command, or as PID 1
        // have the kernel SIGKILL it) until the engine's own deadline.
        Ended::Hung if call == "kill" && lines.iter().any(|l| l.contains("not sent: kill: ")) => {
            return Ok(())
        }
        Ended::Exited(126 | 127) if says_why(&lines) => return Ok(()),
        Ended::Exited(code @ (126 | 127)) => {
            format!("exit {code} without a line that says why (\"cannot ...\")")
        }
        Ended::Exited(code) => format!("exit {code}: neither 143 (relayed) nor 126/127"),
        Ended::Killed(sig) => format!("rinit killed by signal {sig}"),
        Ended::Hung => format!("rinit still running {PATIENCE:?} after SIGTERM"),
    };
    Err(format!(
        "deny {call} {errno}, {mode:?}, stderr a {stderr:?}: {why}; {}",
        run.printed()
    ))
}

/// Every call of CALLS denied with `errno`, as PID 1 and as subreaper,
/// stderr a pipe and a regular file, WORKERS cases at a time.
fn every_call_denied_with(errno: &str) {
    // Built before the workers start.
    let _ = (idle(), testkit(), common::rinit_bin());
    let mut cases = Vec::new();
    for call in CALLS {
        for mode in MODES {
            for stderr in [Stderr::Pipe, Stderr::File] {
                cases.push((call, mode, stderr));
            }
        }
    }
    let total = cases.len();
    let cases = Mutex::new(cases);
    let failures = Mutex::new(Vec::new());
    thread::scope(|s| {
        for _ in 0..WORKERS {
            s.spawn(|| loop {
                let Some((call, mode, stderr)) = cases.lock().unwrap().pop() else {
                    return;
                };
                if let Err(e) = survives(call, errno, mode, stderr) {
                    failures.lock().unwrap().push(e);
                }
            });
        }
    });
    let mut failures = failures.into_inner().unwrap();
    failures.sort();
    assert!(
        failures.is_empty(),
        "{} of {total} cases broke the rule (relayed and reaped, or a line and 126/127):\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn every_call_rinit_makes_denied_with_eperm_still_relays_or_fails_with_a_line() {
    every_call_denied_with("EPERM");
}

#[test]
fn every_call_rinit_makes_denied_with_enosys_still_relays_or_fails_with_a_line() {
    every_call_denied_with("ENOSYS");
}

/// rinit's lines with every number as '#': the pids in them depend on
/// whether a writer thread took one first.
fn shapes(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .map(|l| {
            let mut shape = String::new();
            for c in l.chars() {
                match (c.is_ascii_digit(), shape.ends_with('#')) {
                    (true, true) => {}
                    (true, false) => shape.push('#'),
                    (false, _) => shape.push(c),
                }
            }
            shape
        })
        .collect()
}

/// Fails the test with every case that went wrong, if any did.
fn verdict(failures: Vec<String>, of: usize) {
    assert!(
        failures.is_empty(),
        "{} of {of} cases went wrong:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// setpriv's arguments for uid and gid 65534 (nobody), no groups.
const AS_NOBODY: [&str; 5] = [
    "setpriv",
    "--reuid=65534",
    "--regid=65534",
    "--clear-groups",
    "--",
];

#[test]
fn every_v_line_reaches_a_root_owned_pipe_with_pwritev2_denied() {
    // As uid 65534 rinit may not reopen root's pipe non-blocking: it
    // writes with pwritev2(RWF_NOWAIT), and where that is refused, for any
    // reason, through its writer thread.
    if !common::is_root() {
        eprintln!("skipped: running rinit as another user needs root");
        return;
    }
    let args = ["-v", "--", idle()];
    let mut failures = Vec::new();
    for mode in MODES {
        let mut plain = Run::start(mode, launch(mode, &AS_NOBODY, None, &args), Stderr::Pipe);
        let ended = plain.stop();
        let expected = plain.lines();
        assert!(
            ended == Ended::Exited(143)
                && expected.iter().any(|l| l.contains("started"))
                && expected
                    .iter()
                    .any(|l| l.contains("exiting with status 143")),
            "{mode:?}, as uid 65534 without a filter: {ended:?}; {}",
            plain.printed()
        );
        for errno in ERRNOS {
            let denied = Some(("pwritev2", errno));
            let mut run = Run::start(mode, launch(mode, &AS_NOBODY, denied, &args), Stderr::Pipe);
            let ended = run.stop();
            let lines = run.lines();
            if (ended, shapes(&lines)) != (Ended::Exited(143), shapes(&expected)) {
                failures.push(format!(
                    "{mode:?}, pwritev2 denied with {errno}: {ended:?} and {} lines where the run \
                     without the filter had these {}:\n    {}\n{}",
                    lines.len(),
                    expected.len(),
                    expected.join("\n    "),
                    run.printed()
                ));
            }
        }
    }
    verdict(failures, 2 * MODES.len());
}

#[test]
fn an_inherited_pipe_ends_while_the_command_runs_with_close_range_denied() {
    let mut failures = Vec::new();
    for mode in MODES {
        // rinit gets the FIFO's write end as fd 3, opened inside the
        // namespace by a shell that then becomes the launcher (and rinit):
        // nothing else holds a copy. The command closes its own copy,
        // says so, and idles: from then on only rinit can hold the pipe.
        let scratch = Scratch::new("denied-fifo");
        let (fifo, mut reader) = scratch.fifo("fifo");
        let ready = scratch.path("fifo.ready");
        let opens = ["sh", "-c", "exec 3>\"$0\"; exec \"$@\"", &fifo];
        let script = format!("exec 3>&-; : > '{ready}'; exec '{}'", idle());
        let args = ["--", "sh", "-c", &script];
        let cmd = launch(mode, &opens, Some(("close_range", "EPERM")), &args);
        let mut run = Run::start(mode, cmd, Stderr::Pipe);
        holds_within(PATIENCE, || fs::metadata(&ready).is_ok() || run.exited());
        assert!(
            fs::metadata(&ready).is_ok(),
            "{mode:?}: the command never ran; {}",
            run.printed()
        );
        // The writer was there: from now on a read of 0 bytes is EOF.
        let eof = common::reaches_eof(&mut reader, Duration::from_secs(2));
        let runs = run.find("idle").is_some();
        assert!(runs, "{mode:?}: the command is gone; {}", run.printed());
        let ended = run.terminate();
        let warned = run
            .lines()
            .into_iter()
            .any(|l| l.contains("cannot close the descriptors"));
        if !eof || warned || ended != Ended::Exited(143) {
            failures.push(format!(
                "{mode:?}, close_range denied with EPERM: EOF on the inherited pipe within 2 s \
                 while the command runs: {eof} (rinit kept its copy when false); a warning: \
                 {warned}; {ended:?}; {}",
                run.printed()
            ));
        }
    }
    verdict(failures, MODES.len());
}

#[test]
fn a_denied_clone_ends_rinit_with_126_and_a_line_that_names_it() {
    let mut failures = Vec::new();
    for mode in MODES {
        for stderr in [Stderr::Pipe, Stderr::File] {
            for errno in ERRNOS {
                let cmd = launch(mode, &[], Some(("clone", errno)), &["--", idle()]);
                let mut run = Run::start(mode, cmd, stderr);
                let ended = run.stop();
                let named = run
                    .lines()
                    .into_iter()
                    .any(|l| l.contains("cannot start") && l.contains("clone"));
                if ended != Ended::Exited(126) || !named {
                    failures.push(format!(
                        "{mode:?}, stderr a {stderr:?}, clone denied with {errno}: {ended:?}, \
                         and no \"cannot start ...: clone: ...\" line: {named}; {}",
                        run.printed()
                    ));
                }
            }
        }
    }
    verdict(failures, MODES.len() * 2 * ERRNOS.len());
}

#[test]
fn a_denied_clone3_still_starts_the_command_and_every_line_comes_out() {
    // glibc starts threads with clone3 and falls back to clone only on
    // ENOSYS; musl, and rinit to start the command, use clone. So the
    // command starts, and where the writer thread cannot, its lines must
    // still come out. (Should rinit ever start the command with clone3,
    // failing with 126 and a line that names it is as good.)
    let args = ["-v", "--", idle()];
    let mut failures = Vec::new();
    for mode in MODES {
        for stderr in [Stderr::Pipe, Stderr::File] {
            let mut plain = Run::start(mode, launch(mode, &[], None, &args), stderr);
            let ended = plain.stop();
            assert_eq!(ended, Ended::Exited(143), "{mode:?}: {}", plain.printed());
            let expected = plain.lines();
            for errno in ERRNOS {
                let denied = Some(("clone3", errno));
                let mut run = Run::start(mode, launch(mode, &[], denied, &args), stderr);
                let ended = run.stop();
                let lines = run.lines();
                let failed_well = ended == Ended::Exited(126)
                    && lines
                        .iter()
                        .any(|l| l.contains("cannot start") && l.contains("clone"));
                let same = shapes(&lines) == shapes(&expected);
                if (ended != Ended::Exited(143) || !same) && !failed_well {
                    failures.push(format!(
                        "{mode:?}, stderr a {stderr:?}, clone3 denied with {errno}: {ended:?} \
                         and {} lines where the run without the filter had these {}:\n    {}\n{}",
                        lines.len(),
                        expected.len(),
                        expected.join("\n    "),
                        run.printed()
                    ));
                }
            }
        }
    }
    verdict(failures, MODES.len() * 2 * ERRNOS.len());
}

/// A pids cgroup of its own below the test's (cgroup v1's pids hierarchy
/// or v2's), removed when dropped; None where none can be made.
struct PidsCgroup(PathBuf);

impl PidsCgroup {
    fn new(tag: &str) -> Option<PidsCgroup> {
        let (dir, _) = common::own_cgroup_child("pids", tag)?;
        fs::create_dir(&dir).ok()?;
        let cgroup = PidsCgroup(dir);
        // v2: only where the parent enables the pids controller.
        cgroup.0.join("pids.max").exists().then_some(cgroup)
    }

    fn read(&self, file: &str) -> String {
        fs::read_to_string(self.0.join(file))
            .unwrap()
            .trim()
            .to_owned()
    }

    /// Makes `cmd` move itself into this group before it execs.
    fn enter(&self, cmd: &mut Command) {
        let procs = self.0.join("cgroup.procs");
        let procs = std::ffi::CString::new(procs.to_str().unwrap()).unwrap();
        unsafe {
            cmd.pre_exec(move || {
                // "0": the writing process itself (cgroup v1 and v2).
                let fd = libc::open(procs.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
                let moved = fd >= 0 && libc::write(fd, b"0".as_ptr().cast(), 1) == 1;
                let error = std::io::Error::last_os_error();
                libc::close(fd);
                match moved {
                    true => Ok(()),
                    false => Err(error),
                }
            });
        }
    }
}

impl Drop for PidsCgroup {
    fn drop(&mut self) {
        let _ = fs::write(self.0.join("pids.max"), "max");
        // Empty once every process in it is gone: retry for a while.
        for _ in 0..250 {
            if fs::remove_dir(&self.0).is_ok() {
                return;
            }
            thread::sleep(Duration::from_millis(20));
        }
    }
}

#[test]
fn with_pids_max_full_the_kill_after_warning_still_reaches_a_file() {
    // No -v: the --kill-after warning is rinit's first line, and to a
    // regular file it would go through a writer thread, which cannot
    // start once not one more task may.
    let mut failures = Vec::new();
    for mode in MODES {
        // Dropped after the run (declared before it): the group is empty by then.
        let Some(cgroup) = PidsCgroup::new(&format!("pids-{mode:?}")) else {
            eprintln!("skipped: no pids cgroup can be made here");
            return;
        };
        let args = ["--kill-after", "1s", "--", testkit(), "record"];
        let mut cmd = launch(mode, &[], None, &args);
        cgroup.enter(&mut cmd);
        let mut run = Run::start(mode, cmd, Stderr::File);
        assert!(
            run.out.wait_for("child ready", PATIENCE).is_some(),
            "{mode:?}: the command never ran; {}",
            run.printed()
        );
        let current = cgroup.read("pids.current");
        fs::write(cgroup.0.join("pids.max"), &current).unwrap();
        // The command blocks SIGTERM: --kill-after ends it, with a warning.
        let ended = run.terminate();
        let warned = run.lines().into_iter().any(|l| l.contains("--kill-after"));
        if ended != Ended::Exited(137) || !warned {
            failures.push(format!(
                "{mode:?}, pids.max full at {current}, stderr a file: {ended:?}, and the \
                 --kill-after warning in the file: {warned}; {}",
                run.printed()
            ));
        }
    }
    verdict(failures, MODES.len());
}
