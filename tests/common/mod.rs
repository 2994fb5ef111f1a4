//! Helpers shared by the integration tests: run rinit as PID 1 of a new PID
//! namespace or as a plain subreaper, watch its output, signal it, and read
//! `/proc`.
//!
//! Everything a test starts lives inside a PID namespace of its own, under
//! `unshare --kill-child`: when the test ends (or fails, or rinit hangs) the
//! namespace's PID 1 is killed and the kernel takes every process in it.

#![allow(dead_code)]

use std::collections::HashMap;
use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

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
            let dir = std::env::temp_dir().join(format!("rinit-under-test-{}", std::process::id()));
            let _ = fs::create_dir_all(&dir);
            let link = dir.join("rinit");
            let _ = fs::remove_file(&link);
            std::os::unix::fs::symlink(fs::canonicalize(&path).unwrap(), &link).unwrap();
            link.to_str().unwrap().to_owned()
        }
        _ => env!("CARGO_BIN_EXE_rinit").to_owned(),
    })
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
    let dir = std::env::temp_dir().join(format!("rinit-names-{}", std::process::id()));
    let _ = fs::create_dir_all(&dir);
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

/// How a test runs a program (rinit, most often) in a new PID namespace:
/// as its PID 1 or below a shell that holds PID 1 (`Mode`), as root or as
/// another user, with what the namespace's first process does before and
/// after it. Whatever happens, `unshare --kill-child` takes the namespace
/// when the test kills what it started.
pub struct Namespace {
    mode: Mode,
    uid: Option<u32>,
    own_mounts: bool,
    before: Option<String>,
    after: Option<String>,
}

impl Namespace {
    pub fn new(mode: Mode) -> Namespace {
        Namespace {
            mode,
            uid: None,
            own_mounts: false,
            before: None,
            after: None,
        }
    }

    /// As `uid` (and its gid, no other groups) when given, through setpriv:
    /// the test, root, keeps what it made for rinit (a pipe, a pty) root's.
    pub fn user(mut self, uid: Option<u32>) -> Namespace {
        self.uid = uid;
        self
    }

    /// A mount namespace of its own, /proc left as it was: `before` decides
    /// what /proc shows.
    pub fn own_mounts(mut self) -> Namespace {
        self.own_mounts = true;
        self
    }

    /// A shell line the namespace's first process runs first; the program
    /// starts only if it succeeds.
    pub fn before(mut self, line: &str) -> Namespace {
        self.before = Some(line.to_owned());
        self
    }

    /// Below a shell (Mode::Subreaper): a shell line it runs once the
    /// program has ended, before it exits with the program's status.
    pub fn after(mut self, line: &str) -> Namespace {
        self.after = Some(line.to_owned());
        self
    }

    /// `rinit ARGS` there.
    pub fn rinit(&self, args: &[&str]) -> Command {
        self.command(rinit_bin(), args)
    }

    /// `PROGRAM ARGS` there, from a clean slate.
    pub fn command(&self, program: &str, args: &[&str]) -> Command {
        let mut cmd = Command::new("unshare");
        cmd.args(["--pid", "--fork", "--kill-child"]);
        match self.own_mounts {
            true => cmd.args(["--mount", "--propagation", "private"]),
            false => cmd.arg("--mount-proc"),
        };
        if !is_root() && self.uid.is_none() {
            cmd.args(["--user", "--map-root-user"]);
        }
        cmd.arg("--");
        let run = match (self.mode, &self.after) {
            (Mode::Pid1, _) => "exec \"$@\"".to_owned(),
            // `; exit` keeps the shell from exec'ing the program.
            (Mode::Subreaper, None) => "\"$@\"; exit $?".to_owned(),
            (Mode::Subreaper, Some(after)) => format!("\"$@\"; s=$?; {after}; exit $s"),
        };
        match &self.before {
            Some(before) => {
                cmd.args(["sh", "-c", &format!("{before} && {{ {run}; }}"), "sh"]);
            }
            None if self.mode == Mode::Subreaper => {
                cmd.args(["sh", "-c", &run, "sh"]);
            }
            None => {}
        }
        if let Some(uid) = self.uid {
            let (reuid, regid) = (format!("--reuid={uid}"), format!("--regid={uid}"));
            // The kernel clears the parent-death signal unshare --kill-child
            // set when the user changes: kept, rinit as PID 1 still dies
            // with unshare, and takes its namespace along, when the test
            // kills it.
            cmd.args(["setpriv", &reuid, &regid, "--clear-groups"]);
            cmd.args(["--pdeathsig", "keep", "--"]);
        }
        cmd.arg(program).args(args);
        clean_slate(&mut cmd);
        cmd
    }
}

/// Starts `cmd` the way an engine starts a container's first process: every
/// signal at its default action, none blocked, only fds 0-2 open. The test
/// process itself may have inherited otherwise; tests then add their own.
pub fn clean_slate(cmd: &mut Command) {
    unsafe {
        cmd.pre_exec(|| {
            for sig in 1..=64 {
                if sig != libc::SIGKILL && sig != libc::SIGSTOP {
                    // The raw system call: glibc refuses to touch 32 and 33.
                    let default = [0usize; 4];
                    libc::syscall(
                        libc::SYS_rt_sigaction,
                        sig,
                        default.as_ptr(),
                        std::ptr::null_mut::<u8>(),
                        8,
                    );
                }
            }
            let empty = [0u64; 1];
            libc::syscall(
                libc::SYS_rt_sigprocmask,
                libc::SIG_SETMASK,
                empty.as_ptr(),
                std::ptr::null_mut::<u8>(),
                8,
            );
            libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, 0u32);
            Ok(())
        });
    }
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

pub fn is_root() -> bool {
    unsafe { libc::geteuid() == 0 }
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

/// The command name of a process.
pub fn comm(pid: i32) -> Option<String> {
    fs::read_to_string(format!("/proc/{pid}/comm"))
        .ok()
        .map(|s| s.trim_end().to_owned())
}

/// A field of /proc/PID/status, e.g. "voluntary_ctxt_switches".
pub fn status_field(pid: i32, field: &str) -> Option<String> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|l| {
        l.strip_prefix(field)?
            .strip_prefix(':')
            .map(|v| v.trim().to_owned())
    })
}

/// Every process below `root`, from the parent links in /proc.
pub fn descendants(root: i32) -> Vec<i32> {
    let mut children: HashMap<i32, Vec<i32>> = HashMap::new();
    for entry in fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        let Some((_, after)) = stat.rsplit_once(')') else {
            continue;
        };
        if let Some(ppid) = after.split_whitespace().nth(1).and_then(|p| p.parse().ok()) {
            children.entry(ppid).or_default().push(pid);
        }
    }
    let mut found = Vec::new();
    let mut todo = vec![root];
    while let Some(pid) = todo.pop() {
        for &child in children.get(&pid).map(Vec::as_slice).unwrap_or_default() {
            found.push(child);
            todo.push(child);
        }
    }
    found
}

/// The first process below `root` named `name` (its /proc/PID/comm).
pub fn descendant_named(root: i32, name: &str) -> Option<i32> {
    descendants(root)
        .into_iter()
        .find(|&p| comm(p).as_deref() == Some(name))
}

/// The first process below `root` named `name` that has a child (or any
/// process below it) named `below`: one that has set itself up.
pub fn descendant_above(root: i32, name: &str, below: &str) -> Option<i32> {
    descendants(root)
        .into_iter()
        .find(|&p| comm(p).as_deref() == Some(name) && descendant_named(p, below).is_some())
}

/// Waits for a process below `root` named `name`, failing the test at
/// PATIENCE.
pub fn await_descendant(root: i32, name: &str) -> i32 {
    within(PATIENCE, || descendant_named(root, name))
        .unwrap_or_else(|| panic!("no {name} below {root} showed up"))
}

/// A directory of one test's own below the temp directory, for the files
/// it hands rinit and its commands (logs, FIFOs, "ready" marks), removed
/// with all it holds when dropped. Anyone may write in it, as in /tmp: some
/// commands run as another user.
pub struct Scratch(std::path::PathBuf);

impl Scratch {
    pub fn new(tag: &str) -> Scratch {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("rinit-{tag}-{}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let sticky = std::os::unix::fs::PermissionsExt::from_mode(0o1777);
        fs::set_permissions(&dir, sticky).unwrap();
        Scratch(dir)
    }

    pub fn dir(&self) -> &std::path::Path {
        &self.0
    }

    /// The path of `name` in it.
    pub fn path(&self, name: &str) -> String {
        self.0.join(name).to_str().unwrap().to_owned()
    }

    /// What `name` holds; empty while it does not exist.
    pub fn read(&self, name: &str) -> String {
        fs::read_to_string(self.0.join(name)).unwrap_or_default()
    }

    /// Whether `name` exists.
    pub fn has(&self, name: &str) -> bool {
        fs::symlink_metadata(self.0.join(name)).is_ok()
    }

    /// Waits for `name` to exist; what it holds then, failing the test with
    /// "`what` never came" at PATIENCE.
    pub fn wait_for(&self, name: &str, what: &str) -> String {
        within(PATIENCE, || fs::read_to_string(self.0.join(name)).ok())
            .unwrap_or_else(|| panic!("{what} never came"))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Sends `sig` to `pid`, failing the test if it cannot.
pub fn kill(pid: i32, sig: i32) {
    assert_eq!(unsafe { libc::kill(pid, sig) }, 0, "kill({pid}, {sig})");
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

/// Whether `reader` (non-blocking) reaches EOF within `timeout`.
pub fn reaches_eof(reader: &mut fs::File, timeout: Duration) -> bool {
    let eof = within(timeout, || match reader.read(&mut [0u8; 64]) {
        Ok(0) => Some(()),
        Ok(_) => None,
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => None,
        Err(e) => panic!("{e}"),
    });
    eof.is_some()
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

/// Makes `cmd` start with `sig` ignored, as an inherited SIG_IGN.
pub fn inherit_ignored(cmd: &mut Command, sig: i32) {
    unsafe {
        cmd.pre_exec(move || {
            libc::signal(sig, libc::SIG_IGN);
            Ok(())
        });
    }
}

/// Makes `cmd` start with `sig` blocked.
pub fn inherit_blocked(cmd: &mut Command, sig: i32) {
    unsafe {
        cmd.pre_exec(move || {
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            libc::sigaddset(&mut set, sig);
            libc::sigprocmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
            Ok(())
        });
    }
}

/// Hands `cmd` an extra open descriptor, `fd`, that is not close-on-exec.
pub fn inherit_fd(cmd: &mut Command, fd: i32) {
    unsafe {
        cmd.pre_exec(move || {
            libc::dup2(0, fd);
            Ok(())
        });
    }
}

/// Waits for `child` to exit, killing it (and, through unshare --kill-child,
/// its namespace) past PATIENCE: its exit code, None if it had to be killed.
pub fn wait_or_kill(child: &mut Child) -> Option<i32> {
    match within(PATIENCE, || child.try_wait().unwrap()) {
        Some(status) => status.code(),
        None => {
            let _ = child.kill();
            let _ = child.wait();
            None
        }
    }
}

/// The pid, as the test sees it, of the process below `root` whose pid in
/// its own namespace is `ns_pid`.
pub fn host_pid(root: i32, ns_pid: i32) -> i32 {
    descendants(root)
        .into_iter()
        .find(|&p| {
            status_field(p, "NSpid")
                .is_some_and(|ns| ns.rsplit('\t').next() == Some(&ns_pid.to_string()))
        })
        .unwrap_or_else(|| panic!("no process {ns_pid} below {root}"))
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

/// Gives `cmd` a new pty as stdin, stdout and stderr; with `session`, also
/// a session of its own with the pty as controlling terminal, as a terminal
/// emulator or `docker run -it` sets it up. Returns the master side.
pub fn attach_pty(cmd: &mut Command, session: bool) -> fs::File {
    let pty = nix::pty::openpty(None, None).unwrap();
    cmd.stdin(Stdio::from(pty.slave.try_clone().unwrap()))
        .stdout(Stdio::from(pty.slave.try_clone().unwrap()))
        .stderr(Stdio::from(pty.slave));
    if session {
        unsafe {
            cmd.pre_exec(|| {
                libc::setsid();
                libc::ioctl(0, libc::TIOCSCTTY, 0);
                Ok(())
            });
        }
    }
    fs::File::from(pty.master)
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

/// A moment a wait gives up at: the one place the tests read the clock
/// to wait, so that no test writes a deadline loop by hand.
#[derive(Clone, Copy, Debug)]
pub struct Deadline {
    set: Instant,
    at: Instant,
}

impl Deadline {
    /// `timeout` from now.
    pub fn after(timeout: Duration) -> Deadline {
        let set = Instant::now();
        Deadline {
            set,
            at: set + timeout,
        }
    }

    pub fn passed(&self) -> bool {
        Instant::now() >= self.at
    }

    /// The time left; None once it has passed.
    pub fn left(&self) -> Option<Duration> {
        self.at.checked_duration_since(Instant::now())
    }

    /// The time since it was set, for the message of a test that missed it.
    pub fn elapsed(&self) -> Duration {
        self.set.elapsed()
    }
}

/// Asks `check` every few milliseconds until it gives something; None once
/// `deadline` has passed (`check` is asked once more at the deadline).
pub fn until<T>(deadline: Deadline, mut check: impl FnMut() -> Option<T>) -> Option<T> {
    loop {
        if let Some(found) = check() {
            return Some(found);
        }
        if deadline.passed() {
            return None;
        }
        thread::sleep(Duration::from_millis(2));
    }
}

/// `until` a deadline `timeout` from now.
pub fn within<T>(timeout: Duration, check: impl FnMut() -> Option<T>) -> Option<T> {
    until(Deadline::after(timeout), check)
}

/// Asks `ask` every few milliseconds until its answer passes `good`, or
/// `timeout` has passed: the last answer, for the test to judge and show.
pub fn last_within<T>(
    timeout: Duration,
    mut ask: impl FnMut() -> T,
    good: impl Fn(&T) -> bool,
) -> T {
    let deadline = Deadline::after(timeout);
    loop {
        let answer = ask();
        if good(&answer) || deadline.passed() {
            return answer;
        }
        thread::sleep(Duration::from_millis(20));
    }
}

/// Whether `condition` holds within `timeout` (asked as `within` asks).
pub fn holds_within(timeout: Duration, mut condition: impl FnMut() -> bool) -> bool {
    within(timeout, || condition().then_some(())).is_some()
}

/// What `run` gave and how long it took: for tests whose assertion is a
/// time ("exits within 2 s", "held for 1 s").
pub fn timed<T>(run: impl FnOnce() -> T) -> (T, Duration) {
    let started = Instant::now();
    let value = run();
    (value, started.elapsed())
}

/// rinit's signal mask, as /proc shows it: every signal 1-64 blocked but
/// KILL and STOP, which cannot be.
pub const EVERY_SIGNAL_BLOCKED: &str = "fffffffffffbfeff";

/// The `SigBlk` of every task (thread) of process `pid`, in the order
/// /proc/PID/task lists them; empty when the process is gone.
pub fn sigblk_of_every_task(pid: i32) -> Vec<String> {
    let Ok(tasks) = fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    let mut blocked = Vec::new();
    for task in tasks.flatten() {
        let Ok(status) = fs::read_to_string(task.path().join("status")) else {
            continue;
        };
        if let Some(mask) = status.lines().find_map(|l| l.strip_prefix("SigBlk:")) {
            blocked.push(mask.trim().to_owned());
        }
    }
    blocked
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

/// A new cgroup directory for `controller` below this test process's own
/// (cgroup v1's hierarchy of that controller, else v2's unified one),
/// named for `tag`; with whether it is v1. Not yet created.
pub fn own_cgroup_child(controller: &str, tag: &str) -> Option<(std::path::PathBuf, bool)> {
    let own = fs::read_to_string("/proc/self/cgroup").ok()?;
    let name = format!("rinit-test-{tag}-{}", std::process::id());
    let v1 = own.lines().find_map(|l| {
        let mut f = l.splitn(3, ':');
        let (_, controllers, path) = (f.next()?, f.next()?, f.next()?);
        controllers
            .split(',')
            .any(|c| c == controller)
            .then(|| path.to_owned())
    });
    let parent = match &v1 {
        Some(path) => format!("/sys/fs/cgroup/{controller}{path}"),
        None => format!(
            "/sys/fs/cgroup{}",
            own.lines().find_map(|l| l.strip_prefix("0::"))?
        ),
    };
    Some((std::path::PathBuf::from(parent).join(name), v1.is_some()))
}
