//! Helpers shared by the integration tests: run rinit as PID 1 of a new PID
//! namespace or as a plain subreaper, watch its output, signal it, and read
//! `/proc`.
//!
//! Everything a test starts lives inside a PID namespace of its own, under
//! `unshare --kill-child`: when the test ends (or fails, or rinit hangs) the
//! namespace's PID 1 is killed and the kernel takes every process in it.
//!
//! Here: the binaries under test, rinit's run (`Rinit`) and its output
//! (`Lines`). Beside it: `start` (how a test starts what it runs: the
//! `Namespace` builder, a clean slate, what it inherits), `wait` (every
//! wait has a deadline), `procs` (/proc: the process named X below
//! another) and `scratch` (a directory of the test's own).

#![allow(dead_code)]

use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::thread;
use std::time::Duration;

mod procs;
mod scratch;
mod start;
mod wait;

// Each test file uses some of them.
#[allow(unused_imports)]
pub use {procs::*, scratch::*, start::*, wait::*};

/// The rinit binary under test: cargo's development build, or the one
/// `RINIT_TEST_BINARY` names (CI points it at `dist/build`'s static musl
/// binary, what containers run: behaviour that depends on the C library,
/// signal numbering above all, is tested on both).
pub fn rinit_bin() -> &'static str {
    static BIN: OnceLock<String> = OnceLock::new();
    BIN.get_or_init(|| match std::env::var("RINIT_TEST_BINARY") {
        // Named `rinit` whatever its file is called (the shipped one is
        // rinit-VERSION-ARCH-linux-musl): the name picks the personality,
        // and tests find rinit by its command name.
        Ok(path) if !path.is_empty() => {
            let target = fs::canonicalize(&path).unwrap();
            let dir = shared_dir("rinit-under-test", &target);
            let link = dir.join("rinit");
            // Another test process may have made it already, the same.
            let _ = std::os::unix::fs::symlink(&target, &link);
            assert_eq!(fs::read_link(&link).unwrap(), target);
            link.to_str().unwrap().to_owned()
        }
        _ => env!("CARGO_BIN_EXE_rinit").to_owned(),
    })
}

/// A directory in /tmp (which every user may enter: rinit runs as others
/// too) named for `prefix` and `binary`: every test process of a run of one
/// binary shares it, so runs leave one each, not one per test process.
fn shared_dir(prefix: &str, binary: &std::path::Path) -> std::path::PathBuf {
    use std::hash::{Hash, Hasher};
    // DefaultHasher::new() has fixed keys: the same name in every process.
    let mut hasher = std::hash::DefaultHasher::new();
    binary.hash(&mut hasher);
    let dir = std::env::temp_dir().join(format!("{prefix}-{:016x}", hasher.finish()));
    let _ = fs::create_dir_all(&dir);
    dir
}

/// The helper programs (tests/testkit): a package of its own, so that
/// `cargo install` installs rinit alone, built here once per test binary
/// into target/testkit (its own target directory: the build directory of
/// this `cargo test` stays locked while it runs).
pub fn testkit() -> &'static str {
    static PATH: OnceLock<String> = OnceLock::new();
    PATH.get_or_init(|| {
        let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/testkit/Cargo.toml");
        // This test binary is TARGET/PROFILE/deps/NAME.
        let exe = std::env::current_exe().unwrap();
        let target = exe.ancestors().nth(3).unwrap().join("testkit");
        let status = Command::new(env!("CARGO"))
            .args([
                "build",
                "--quiet",
                "--locked",
                "--offline",
                "--manifest-path",
                manifest,
            ])
            .arg("--target-dir")
            .arg(&target)
            .status()
            .expect("run cargo to build tests/testkit");
        assert!(status.success(), "tests/testkit did not build");
        target
            .join("debug/rinit-testkit")
            .to_str()
            .unwrap()
            .to_owned()
    })
}

/// `idle` (tests/testkit/idle.rs): a command whose whole life is its
/// execve and pause(2), ended by the default action of a signal. No C
/// library: under a seccomp filter that denies a call rinit makes (and
/// that the command inherits), it still starts. Built once per test binary
/// by rustc alone (it is `no_std`, so not a cargo target of the testkit's)
/// into target/testkit. x86_64 only.
pub fn idle() -> &'static str {
    static PATH: OnceLock<String> = OnceLock::new();
    PATH.get_or_init(|| {
        let source = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/testkit/idle.rs");
        let exe = std::env::current_exe().unwrap();
        let dir = exe.ancestors().nth(3).unwrap().join("testkit");
        fs::create_dir_all(&dir).unwrap();
        let built = dir.join("idle");
        // Built aside and renamed: other test binaries may build it too.
        let fresh = dir.join(format!("idle.{}", std::process::id()));
        // The rustc of the toolchain that runs the tests, beside its cargo.
        let rustc = std::path::Path::new(env!("CARGO")).with_file_name("rustc");
        let rustc = match rustc.exists() {
            true => rustc.into_os_string(),
            false => "rustc".into(),
        };
        let status = Command::new(rustc)
            .args([
                "--edition",
                "2021",
                "-C",
                "panic=abort",
                "-C",
                "opt-level=2",
            ])
            .args(["-C", "relocation-model=static"])
            .args(["-C", "link-arg=-nostartfiles", "-C", "link-arg=-nostdlib"])
            .args(["-C", "link-arg=-static", "-o"])
            .arg(&fresh)
            .arg(source)
            .status()
            .expect("run rustc to build tests/testkit/idle.rs");
        assert!(status.success(), "tests/testkit/idle.rs did not build");
        fs::rename(&fresh, &built).unwrap();
        built.to_str().unwrap().to_owned()
    })
}

/// SIGRTMIN as the kernel, `kill -l` and Docker number it, whatever the C
/// library of the test or of rinit says.
pub const RTMIN: i32 = 34;

/// How long a test waits for something that should take milliseconds.
pub const PATIENCE: Duration = Duration::from_secs(10);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// rinit is PID 1 of a new PID namespace, as in a container.
    Pid1,
    /// rinit runs under another PID 1 (a shell) in a new namespace: the
    /// laptop/CI case, where it registers as child subreaper.
    Subreaper,
}

pub const MODES: [Mode; 2] = [Mode::Pid1, Mode::Subreaper];

/// Every name rinit answers to, its own first.
pub const NAMES: [&str; 7] = [
    "rinit",
    "tini",
    "tini-static",
    "docker-init",
    "dumb-init",
    "catatonit",
    "podman-init",
];

/// Lines a reader thread collected from one stream.
#[derive(Clone, Default)]
pub struct Lines(Arc<(Mutex<Vec<String>>, Condvar)>);

impl Lines {
    pub fn collect_from(self, stream: impl Read + Send + 'static) {
        thread::spawn(move || {
            let mut reader = BufReader::new(stream);
            let mut raw = Vec::new();
            while matches!(reader.read_until(b'\n', &mut raw), Ok(n) if n > 0) {
                let line = String::from_utf8_lossy(&raw)
                    .trim_end_matches(['\r', '\n'])
                    .to_owned();
                raw.clear();
                let (lines, ready) = &*self.0;
                lines.lock().unwrap().push(line);
                ready.notify_all();
            }
        });
    }

    pub fn all(&self) -> Vec<String> {
        self.0 .0.lock().unwrap().clone()
    }

    pub fn text(&self) -> String {
        self.all().join("\n")
    }

    /// Waits until a line contains `needle`; returns it, or None at `timeout`.
    pub fn wait_for(&self, needle: &str, timeout: Duration) -> Option<String> {
        let deadline = Deadline::after(timeout);
        let (lines, ready) = &*self.0;
        let mut guard = lines.lock().unwrap();
        loop {
            if let Some(line) = guard.iter().find(|l| l.contains(needle)) {
                return Some(line.clone());
            }
            let left = deadline.left()?;
            guard = ready.wait_timeout(guard, left).unwrap().0;
        }
    }

    pub fn count(&self, needle: &str) -> usize {
        self.all().iter().filter(|l| l.contains(needle)).count()
    }
}

/// A running rinit (and its namespace), killed with everything in it when
/// dropped.
pub struct Rinit {
    pub mode: Mode,
    /// The name rinit runs under, as /proc/PID/comm shows it.
    name: String,
    child: Child,
    pub out: Lines,
    pub err: Lines,
    pid: Option<i32>,
    status: Option<ExitStatus>,
}

/// rinit's binary under another name (tini, dumb-init, ...): a symlink in
/// a directory of this test process's own.
pub fn rinit_as(name: &str) -> String {
    if name == "rinit" {
        return rinit_bin().to_owned();
    }
    let dir = shared_dir("rinit-names", std::path::Path::new(rinit_bin()));
    let link = dir.join(name);
    if fs::symlink_metadata(&link).is_err() {
        let _ = std::os::unix::fs::symlink(rinit_bin(), &link);
    }
    link.to_str().unwrap().to_owned()
}

/// The command that runs `rinit ARGS` in `mode`, inside a fresh namespace.
pub fn command(mode: Mode, args: &[&str]) -> Command {
    command_as("rinit", mode, args)
}

/// The same, with rinit invoked as `name`.
pub fn command_as(name: &str, mode: Mode, args: &[&str]) -> Command {
    Namespace::new(mode).command(&rinit_as(name), args)
}

impl Rinit {
    pub fn start(mode: Mode, args: &[&str]) -> Rinit {
        Rinit::spawn(mode, command(mode, args))
    }

    /// Starts rinit invoked as `name` (tini, dumb-init, ...).
    pub fn start_as(name: &str, mode: Mode, args: &[&str]) -> Rinit {
        let mut rinit = Rinit::spawn(mode, command_as(name, mode, args));
        rinit.name = name.to_owned();
        rinit
    }

    pub fn with_name(mut self, name: &str) -> Rinit {
        self.name = name.to_owned();
        self
    }

    pub fn spawn(mode: Mode, mut cmd: Command) -> Rinit {
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("start unshare");
        let (out, err) = (Lines::default(), Lines::default());
        out.clone().collect_from(child.stdout.take().unwrap());
        err.clone().collect_from(child.stderr.take().unwrap());
        Rinit {
            mode,
            name: "rinit".to_owned(),
            child,
            out,
            err,
            pid: None,
            status: None,
        }
    }

    /// The pid of what the test started (unshare).
    pub fn child_id(&self) -> i32 {
        self.child.id() as i32
    }

    /// rinit's pid as seen from the test (outside its namespace).
    pub fn pid(&mut self) -> i32 {
        if let Some(pid) = self.pid {
            return pid;
        }
        let root = self.child.id() as i32;
        let pid = within(PATIENCE, || descendant_named(root, &self.name))
            .unwrap_or_else(|| panic!("{} never showed up\n{}", self.name, self.report()));
        self.pid = Some(pid);
        pid
    }

    pub fn signal(&mut self, sig: i32) {
        let pid = self.pid();
        assert_eq!(unsafe { libc::kill(pid, sig) }, 0, "kill({pid}, {sig})");
    }

    /// Waits for a stdout line containing `needle`, failing the test at PATIENCE.
    pub fn expect_out(&self, needle: &str) -> String {
        self.out
            .wait_for(needle, PATIENCE)
            .unwrap_or_else(|| panic!("no stdout line with {needle:?}\n{}", self.report()))
    }

    pub fn expect_err(&self, needle: &str) -> String {
        self.err
            .wait_for(needle, PATIENCE)
            .unwrap_or_else(|| panic!("no stderr line with {needle:?}\n{}", self.report()))
    }

    /// Waits for rinit to exit; None if it is still running at `timeout`.
    pub fn wait_timeout(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let status = within(timeout, || self.child.try_wait().unwrap());
        if status.is_some() {
            self.status = status;
        }
        status
    }

    /// Waits for rinit's exit code, failing the test if it does not come.
    pub fn exit_code(&mut self) -> i32 {
        let status = self
            .wait_timeout(PATIENCE)
            .unwrap_or_else(|| panic!("rinit did not exit\n{}", self.report()));
        // Give the reader threads a moment to drain the pipes.
        thread::sleep(Duration::from_millis(20));
        status
            .code()
            .unwrap_or_else(|| panic!("rinit ended by {status:?}\n{}", self.report()))
    }

    pub fn report(&self) -> String {
        format!(
            "--- stdout\n{}\n--- stderr\n{}",
            self.out.text(),
            self.err.text()
        )
    }
}

impl Drop for Rinit {
    fn drop(&mut self) {
        if self.status.is_none() {
            // unshare --kill-child takes the namespace's PID 1, and the kernel
            // every other process in it.
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Runs rinit directly, as a child of the test (subreaper mode, no
/// namespace), for commands that end by themselves: (exit code, stdout, stderr).
pub fn run_plain(args: &[&str]) -> (i32, String, String) {
    let mut cmd = Command::new(rinit_bin());
    cmd.args(args).stdin(Stdio::null());
    clean_slate(&mut cmd);
    run_with_deadline(cmd)
}

/// Runs a command to completion under a deadline, killing it past PATIENCE.
pub fn run_with_deadline(mut cmd: Command) -> (i32, String, String) {
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    // Its own process group, so a runaway can be killed whole.
    cmd.process_group(0);
    let child = cmd.spawn().expect("spawn");
    let pid = child.id() as i32;
    let killer = thread::spawn(move || {
        thread::sleep(PATIENCE);
        unsafe { libc::kill(-pid, libc::SIGKILL) };
    });
    let output = child.wait_with_output().expect("wait");
    drop(killer);
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Starts `cmd` with stdin /dev/null, its stdout and stderr read into lines.
pub fn spawn_reading(mut cmd: Command) -> (Child, Lines, Lines) {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let (out, err) = (Lines::default(), Lines::default());
    out.clone().collect_from(child.stdout.take().unwrap());
    err.clone().collect_from(child.stderr.take().unwrap());
    (child, out, err)
}

/// SIGTERM to rinit, `after` that a SIGINT: the command's "got-INT" line,
/// if it came, and how long it took from the SIGINT.
pub fn stop_then_interrupt(rinit: i32, out: &Lines, after: Duration) -> (Option<String>, Duration) {
    kill(rinit, libc::SIGTERM);
    thread::sleep(after);
    timed(|| {
        kill(rinit, libc::SIGINT);
        out.wait_for("got-INT", PATIENCE)
    })
}

/// Runs `case` for each of `cases`, `workers` at a time; a line for each one
/// that failed (or panicked), named by its case.
pub fn each_in_parallel<C: std::fmt::Debug + Sync>(
    workers: usize,
    cases: &[C],
    case: impl Fn(&C) -> Result<(), String> + Sync,
) -> Vec<String> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let failures = Mutex::new(Vec::new());
    thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let Some(c) = cases.get(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
                else {
                    return;
                };
                let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| case(c)));
                let why = match outcome {
                    Ok(Ok(())) => continue,
                    Ok(Err(why)) => why,
                    Err(panic) => panic
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_else(|| "panicked".into()),
                };
                failures.lock().unwrap().push(format!("{c:?}: {why}"));
            });
        }
    });
    failures.into_inner().unwrap()
}

/// Standard signals rinit relays and a recorder can catch: 1-31 but KILL,
/// STOP and CHLD.
pub fn relayed_standard_signals() -> Vec<i32> {
    (1..=31)
        .filter(|&n| ![libc::SIGKILL, libc::SIGSTOP, libc::SIGCHLD].contains(&n))
        .collect()
}

/// Asserts that a signal relayed to `rinit -- rinit-testkit record --fork`
/// reached the recording child (and the grandchild in the same group only
/// when `group`).
pub fn assert_reaches(rinit: &mut Rinit, group: bool) {
    rinit.expect_out("child ready");
    let grandchild: i32 = rinit
        .expect_out("grandchild ready")
        .rsplit(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    rinit.signal(libc::SIGUSR1);
    rinit.expect_out("child SIGUSR1");
    // A USR1 that reached the grandchild is recorded before this USR2:
    // lower-numbered pending signals are taken first.
    let grandchild = host_pid(rinit.pid(), grandchild);
    assert_eq!(unsafe { libc::kill(grandchild, libc::SIGUSR2) }, 0);
    rinit.expect_out("grandchild SIGUSR2");
    let reached = rinit.out.count("grandchild SIGUSR1") == 1;
    assert_eq!(reached, group, "group: {group}\n{}", rinit.report());
}

/// Runs a Python script on `input` (a JSON document, say: Python's parser
/// also proves it parses); its stdout.
pub fn python(script: &str, input: &str) -> String {
    let mut child = Command::new("python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3");
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "not JSON: {input}");
    String::from_utf8(out.stdout).unwrap()
}

impl Rinit {
    /// As `spawn`, but rinit keeps the stderr the caller gave `cmd` (a file,
    /// a pty, another user's pipe, /dev/null): `err` stays empty, the test
    /// reads what it handed.
    pub fn spawn_keeping_stderr(mode: Mode, mut cmd: Command) -> Rinit {
        cmd.stdin(Stdio::null()).stdout(Stdio::piped());
        let mut child = cmd.spawn().expect("start unshare");
        let out = Lines::default();
        out.clone().collect_from(child.stdout.take().unwrap());
        Rinit {
            mode,
            name: "rinit".to_owned(),
            child,
            out,
            err: Lines::default(),
            pid: None,
            status: None,
        }
    }
}
