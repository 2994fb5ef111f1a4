//! PID 1 keeps working whatever surrounds it: a stderr whose reader
//! stalled, of every kind and as any user; memory cut to what rinit
//! already has, at each stage; /proc absent or hiding processes; deep and
//! wide trees; too few descriptors. Each case sends
//! a signal afterwards and wants it relayed within a second, and the
//! command's status out.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::os::fd::AsRawFd;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use common::{testkit, Lines, Mode, MODES};

/// How long a relayed signal may take to reach the command.
const RELAYED_WITHIN: Duration = Duration::from_secs(1);

/// `rinit ARGS` in a new PID namespace (as PID 1, or under a shell as
/// subreaper), as `uid` when given, with stdout a pipe the test reads and
/// stderr what the test hands it.
fn rinit_as_user(mode: Mode, uid: Option<u32>, args: &[&str], stderr: Stdio) -> Command {
    let mut cmd = common::Namespace::new(mode).user(uid).rinit(args);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(stderr);
    cmd
}

fn rinit_pid(root: i32) -> i32 {
    let deadline = Instant::now() + common::PATIENCE;
    loop {
        if let Some(pid) = common::descendants(root)
            .into_iter()
            .find(|&p| common::comm(p).as_deref() == Some("rinit"))
        {
            return pid;
        }
        assert!(Instant::now() < deadline, "rinit never showed up");
        thread::sleep(Duration::from_millis(5));
    }
}

fn kill(pid: i32, sig: i32) {
    assert_eq!(unsafe { libc::kill(pid, sig) }, 0);
}

/// SIGTERM to rinit, `after` that a SIGINT: the command's "got-INT" line,
/// if it came, and how long it took from the SIGINT.
fn stop_then_interrupt(rinit: i32, out: &Lines, after: Duration) -> (Option<String>, Duration) {
    kill(rinit, libc::SIGTERM);
    thread::sleep(after);
    let sent = Instant::now();
    kill(rinit, libc::SIGINT);
    let got = out.wait_for("got-INT", common::PATIENCE);
    (got, sent.elapsed())
}

/// A command that ignores SIGTERM with 40 children, fills its stderr
/// from one of them, says "ready", and exits 5 on SIGINT.
const STUCK: &str =
    "exec 3>&2 2>/dev/null; trap '' TERM INT; i=0; while [ $i -lt 40 ]; do sleep 1000 & i=$((i+1)); done; \
     (head -c 100000 /dev/zero | tr '\\0' x >&3) & \
     trap 'echo got-INT; exit 5' INT; echo ready; while :; do sleep 0.05; done";

#[test]
fn a_stalled_terminal_of_another_user_never_stops_rinit() {
    // stderr is a root-owned pty nobody reads: as uid 1000 rinit may not
    // reopen it, and a write there sleeps until the reader reads. After
    // the stuck-stop report, SIGINT must still reach the command.
    let runs: Vec<_> = MODES
        .iter()
        .flat_map(|&mode| (0..3).map(move |try_| (mode, try_)))
        .map(|(mode, try_)| {
            thread::spawn(move || {
                let pty = nix::pty::openpty(None, None).unwrap();
                let mut cmd = rinit_as_user(
                    mode,
                    Some(1000),
                    &["-v", "--", "sh", "-c", STUCK],
                    Stdio::from(pty.slave),
                );
                let mut child = cmd.spawn().unwrap();
                let out = Lines::default();
                out.clone().collect_from(child.stdout.take().unwrap());
                assert!(out.wait_for("ready", common::PATIENCE).is_some());
                let rinit = rinit_pid(child.id() as i32);
                // The first stuck report comes 5 s after the stop signal.
                let (got, took) = stop_then_interrupt(rinit, &out, Duration::from_millis(5600));
                let status = common::wait_or_kill(&mut child);
                drop(pty.master);
                assert!(
                    got.is_some(),
                    "{mode:?} try {try_}: SIGINT never reached the command"
                );
                assert!(
                    took < RELAYED_WITHIN,
                    "{mode:?} try {try_}: SIGINT took {took:?}"
                );
                assert_eq!(status, Some(5), "{mode:?} try {try_}");
            })
        })
        .collect();
    for run in runs {
        run.join().unwrap();
    }
}

#[test]
fn a_terminal_of_another_user_that_is_read_gets_every_line() {
    for mode in MODES {
        let pty = nix::pty::openpty(None, None).unwrap();
        let script = "trap 'exit 7' USR1; echo ready; while :; do sleep 0.05; done";
        let mut cmd = rinit_as_user(
            mode,
            Some(1000),
            &["-v", "--", "sh", "-c", script],
            Stdio::from(pty.slave),
        );
        let mut child = cmd.spawn().unwrap();
        let out = Lines::default();
        out.clone().collect_from(child.stdout.take().unwrap());
        let err = Lines::default();
        err.clone().collect_from(std::fs::File::from(pty.master));
        assert!(out.wait_for("ready", common::PATIENCE).is_some());
        kill(rinit_pid(child.id() as i32), libc::SIGUSR1);
        assert_eq!(common::wait_or_kill(&mut child), Some(7), "{mode:?}");
        for line in ["started 'sh -c", "SIGUSR1 from", "exiting with status 7"] {
            assert!(
                err.wait_for(line, common::PATIENCE).is_some(),
                "{mode:?}: no {line:?} in\n{}",
                err.text()
            );
        }
    }
}

/// The kinds of stderr rinit may be handed.
const KINDS: [&str; 7] = ["closed", "fifo", "file", "null", "pipe", "pty", "socket"];

/// A stderr of `kind` (FIFOs and files in `dir`, named for `tag`) and what
/// reads it: the other end, to read from or to leave unread (a stall);
/// None where nothing can be read back (/dev/null, closed).
fn stderr_of(kind: &str, dir: &std::path::Path, tag: &str) -> (Stdio, Option<std::fs::File>) {
    match kind {
        "pipe" => {
            let (r, w) = nix::unistd::pipe().unwrap();
            (Stdio::from(w), Some(r.into()))
        }
        "fifo" => {
            let fifo = dir.join(format!("fifo-{tag}"));
            let _ = std::fs::remove_file(&fifo);
            nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
            let r = std::fs::OpenOptions::new()
                .read(true)
                .custom_flags_nonblock()
                .open(&fifo)
                .unwrap();
            let w = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
            // Reads wait for lines again, as a reader's would.
            nix::fcntl::fcntl(
                &r,
                nix::fcntl::FcntlArg::F_SETFL(nix::fcntl::OFlag::empty()),
            )
            .unwrap();
            (Stdio::from(w), Some(r))
        }
        "pty" => {
            let pty = nix::pty::openpty(None, None).unwrap();
            (Stdio::from(pty.slave), Some(pty.master.into()))
        }
        "socket" => {
            let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
            (
                Stdio::from(std::os::fd::OwnedFd::from(a)),
                Some(std::os::fd::OwnedFd::from(b).into()),
            )
        }
        "file" => {
            let path = dir.join(format!("log-{tag}"));
            let f = std::fs::File::create(&path).unwrap();
            (Stdio::from(f), Some(std::fs::File::open(&path).unwrap()))
        }
        _ => (Stdio::null(), None),
    }
}

/// rinit at -vv as PID 1, as `uid`, with stderr of `kind`; closed when
/// `kind` says so.
fn rinit_with_stderr(kind: &str, uid: Option<u32>, script: &str, stderr: Stdio) -> Command {
    let mut cmd = rinit_as_user(Mode::Pid1, uid, &["-vv", "--", "sh", "-c", script], stderr);
    if kind == "closed" {
        unsafe {
            std::os::unix::process::CommandExt::pre_exec(&mut cmd, || {
                libc::close(2);
                Ok(())
            });
        }
    }
    cmd
}

/// Starts `cmd` with its stdout and stderr read into lines.
fn spawned(mut cmd: Command) -> (std::process::Child, Lines, Lines) {
    let mut child = cmd.spawn().unwrap();
    let (out, err) = (Lines::default(), Lines::default());
    out.clone().collect_from(child.stdout.take().unwrap());
    err.clone().collect_from(child.stderr.take().unwrap());
    (child, out, err)
}

/// Starts `cmd` and waits for its command's "ready": the child, its
/// stdout's lines, and rinit's pid.
fn ready(mut cmd: Command) -> (std::process::Child, Lines, i32) {
    let mut child = cmd.spawn().unwrap();
    let out = Lines::default();
    out.clone().collect_from(child.stdout.take().unwrap());
    assert!(
        out.wait_for("ready", common::PATIENCE).is_some(),
        "{cmd:?}: never ready"
    );
    let rinit = rinit_pid(child.id() as i32);
    (child, out, rinit)
}

/// Every kind of stderr, stalled: the command fills it and rinit logs at
/// -vv; a signal still goes through at once and the status comes out.
#[test]
fn every_kind_of_stalled_stderr_as_root_and_as_another_user() {
    let dir = std::env::temp_dir().join(format!("rinit-adversity-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script =
        "command exec 3>&2 2>/dev/null || exec 3>/dev/null 2>/dev/null; (trap '' USR1; head -c 1000000 /dev/zero >&3) & trap 'echo got-USR1; exit 9' USR1; echo ready; \
                  while :; do sleep 0.05; done";
    for kind in KINDS {
        for uid in [None, Some(1000)] {
            // The other end is kept open, never read: the stall.
            let (stderr, _unread) = stderr_of(kind, &dir, &format!("stalled-{uid:?}"));
            let (mut child, out, rinit) = ready(rinit_with_stderr(kind, uid, script, stderr));
            // Let the filler fill it.
            thread::sleep(Duration::from_millis(300));
            for _ in 0..20 {
                kill(rinit, libc::SIGWINCH);
            }
            let sent = Instant::now();
            kill(rinit, libc::SIGUSR1);
            let got = out.wait_for("got-USR1", common::PATIENCE);
            let took = sent.elapsed();
            let status = common::wait_or_kill(&mut child);
            assert!(
                got.is_some(),
                "{kind} {uid:?}: SIGUSR1 never reached the command"
            );
            assert!(
                took < RELAYED_WITHIN,
                "{kind} {uid:?}: SIGUSR1 took {took:?}"
            );
            assert_eq!(status, Some(9), "{kind} {uid:?}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Every kind of stderr that is read gets every line, whoever owns it:
/// bounded writes drop nothing from a reader that keeps up.
#[test]
fn every_kind_of_working_stderr_gets_every_line_as_root_and_as_another_user() {
    let dir = std::env::temp_dir().join(format!("rinit-working-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = "trap 'exit 7' USR1; echo ready; while :; do sleep 0.05; done";
    for kind in KINDS {
        for uid in [None, Some(1000)] {
            let (stderr, reader) = stderr_of(kind, &dir, &format!("working-{uid:?}"));
            let Some(reader) = reader else { continue };
            // A file is read once rinit is gone; the others as it writes.
            let err = Lines::default();
            let file = match kind {
                "file" => Some(reader),
                _ => {
                    err.clone().collect_from(reader);
                    None
                }
            };
            let (mut child, _, rinit) = ready(rinit_with_stderr(kind, uid, script, stderr));
            for _ in 0..50 {
                kill(rinit, libc::SIGWINCH);
                thread::sleep(Duration::from_millis(2));
            }
            kill(rinit, libc::SIGUSR1);
            assert_eq!(common::wait_or_kill(&mut child), Some(7), "{kind} {uid:?}");
            if let Some(file) = file {
                err.clone().collect_from(file);
            }
            for line in ["started 'sh -c", "SIGUSR1 from", "exiting with status 7"] {
                assert!(
                    err.wait_for(line, common::PATIENCE).is_some(),
                    "{kind} {uid:?}: no {line:?} in\n{}",
                    err.text()
                );
            }
            assert!(
                !err.text().contains("were lost"),
                "{kind} {uid:?}: lines lost\n{}",
                err.text()
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

trait NonBlock {
    fn custom_flags_nonblock(&mut self) -> &mut Self;
}

impl NonBlock for std::fs::OpenOptions {
    fn custom_flags_nonblock(&mut self) -> &mut Self {
        std::os::unix::fs::OpenOptionsExt::custom_flags(self, libc::O_NONBLOCK)
    }
}

fn vm_size_kb(pid: i32) -> u64 {
    common::status_field(pid, "VmSize")
        .unwrap()
        .trim_end_matches(" kB")
        .parse()
        .unwrap()
}

/// 300 processes that ignore SIGTERM and SIGINT below a command that
/// ignores SIGTERM and exits 3 on SIGINT.
const CROWD: &str =
    "trap '' TERM INT; i=0; while [ $i -lt 300 ]; do sleep 1000 & i=$((i+1)); done; \
     trap 'exit 3' INT; echo ready; while :; do sleep 0.05; done";

/// When the memory is cut: before what allocates next.
#[derive(Clone, Copy, Debug)]
enum Stage {
    /// The command runs: the stop's relay comes next.
    Running,
    /// The stop was relayed: the stuck report comes next.
    Stopped,
    /// The stuck report is out: the command's exit and the drain come next.
    Reported,
    /// The drain waits out its grace: its SIGKILL list comes next.
    Draining,
}

/// Memory cut to what rinit has plus `extra_kb` at `stage`; around it a
/// stop, the stuck report, the command's exit 3 and the drain, which must
/// all come out.
fn out_of_memory(mode: Mode, stage: Stage, extra_kb: u64, no_memory: bool) {
    let mut cmd = rinit_as_user(
        mode,
        None,
        &["-v", "--grace", "2s", "--", "sh", "-c", CROWD],
        Stdio::piped(),
    );
    if no_memory {
        cmd.env("RINIT_TEST_NO_MEMORY", "1");
    }
    let (mut child, out, err) = spawned(cmd);
    let case = format!("{mode:?} {stage:?} +{extra_kb} kB no_memory={no_memory}");
    assert!(out.wait_for("ready", common::PATIENCE).is_some(), "{case}");
    let rinit = rinit_pid(child.id() as i32);
    let cut = || {
        let limit = (vm_size_kb(rinit) + extra_kb) * 1024;
        let rlimit = libc::rlimit {
            rlim_cur: limit,
            rlim_max: limit,
        };
        assert_eq!(
            unsafe { libc::prlimit(rinit, libc::RLIMIT_AS, &rlimit, std::ptr::null_mut()) },
            0,
            "{case}"
        );
    };
    let expect = |line: &str| {
        assert!(
            err.wait_for(line, common::PATIENCE).is_some(),
            "{case}: no {line:?}\n{}",
            err.text()
        );
    };
    if let Stage::Running = stage {
        cut();
    }
    kill(rinit, libc::SIGTERM);
    if let Stage::Stopped = stage {
        expect("SIGTERM from");
        cut();
    }
    expect("still running");
    if let Stage::Reported = stage {
        cut();
    }
    kill(rinit, libc::SIGINT);
    if let Stage::Draining = stage {
        expect("and waiting up to");
        cut();
        expect("grace of 2s is over");
    }
    let status = common::wait_or_kill(&mut child);
    assert_eq!(status, Some(3), "{case}\n{}", err.text());
}

#[test]
fn memory_cut_to_what_rinit_has_never_ends_it() {
    let mut runs = Vec::new();
    for extra in [0, 8, 16, 64, 256] {
        runs.push(thread::spawn(move || {
            out_of_memory(Mode::Pid1, Stage::Running, extra, false)
        }));
    }
    runs.push(thread::spawn(|| {
        out_of_memory(Mode::Subreaper, Stage::Running, 0, false)
    }));
    for run in runs {
        run.join().unwrap();
    }
}

#[test]
fn memory_cut_at_each_later_stage_never_ends_it() {
    let mut runs = Vec::new();
    for stage in [Stage::Stopped, Stage::Reported, Stage::Draining] {
        for (mode, extra) in [(Mode::Pid1, 0), (Mode::Pid1, 16), (Mode::Subreaper, 0)] {
            runs.push(thread::spawn(move || {
                out_of_memory(mode, stage, extra, false)
            }));
        }
    }
    for run in runs {
        run.join().unwrap();
    }
}

#[test]
fn no_allocation_is_left_that_could_abort_once_the_command_runs() {
    // The development build refuses every allocation once the command
    // runs (RINIT_TEST_NO_MEMORY): one that could not fail would abort.
    if std::env::var_os("RINIT_TEST_BINARY").is_some() {
        return;
    }
    let runs: Vec<_> = MODES
        .iter()
        .map(|&mode| thread::spawn(move || out_of_memory(mode, Stage::Draining, 0, true)))
        .collect();
    for run in runs {
        run.join().unwrap();
    }
}

/// What /proc shows rinit: nothing, or only its own user's processes.
#[derive(Clone, Copy, Debug)]
enum ProcView {
    Absent,
    HidePid,
}

/// rinit as PID 1 (or under a shell that then stays PID 1) of a namespace
/// whose /proc is `view`, as `uid`; its command ignores SIGTERM, has 50
/// processes below it that ignore SIGTERM and SIGINT, and exits 3 on
/// SIGINT. The SIGINT is relayed within a second, the status comes out,
/// and the drain leaves no process behind.
fn without_a_full_proc(view: ProcView, mode: Mode, uid: Option<u32>) {
    let setup = match view {
        ProcView::Absent => "umount -l /proc",
        ProcView::HidePid => "mount -t proc -o hidepid=2 proc /proc",
    };
    // Away from PID 1 the shell stays, says when rinit is gone and waits:
    // whatever rinit left would still be there to count.
    let script = match mode {
        Mode::Pid1 => format!("{setup} && exec \"$@\""),
        Mode::Subreaper => {
            format!("{setup} && {{ \"$@\"; s=$?; echo rinit-exited; sleep 2; exit $s; }}")
        }
    };
    let mut cmd = Command::new("unshare");
    cmd.args(["--pid", "--fork", "--mount", "--propagation", "private"])
        .args(["--kill-child", "--", "sh", "-c", &script, "sh"]);
    let ids = uid.map(|uid| (format!("--reuid={uid}"), format!("--regid={uid}")));
    if let Some((reuid, regid)) = &ids {
        cmd.args(["setpriv", reuid, regid, "--clear-groups", "--"]);
    }
    let crowd = "trap '' TERM INT; i=0; while [ $i -lt 50 ]; do sleep 1000 & i=$((i+1)); done; \
                 trap 'echo got-INT; exit 3' INT; echo ready; while :; do sleep 0.05; done";
    cmd.arg(common::rinit_bin())
        .args(["-vv", "--grace", "1s", "--", "sh", "-c", crowd]);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    common::clean_slate(&mut cmd);
    let case = format!("{view:?} {mode:?} {uid:?}");
    let (mut child, out, err) = spawned(cmd);
    assert!(
        out.wait_for("ready", common::PATIENCE).is_some(),
        "{case}\n{}",
        err.text()
    );
    if let ProcView::Absent = view {
        assert!(
            err.wait_for("/proc is not mounted", common::PATIENCE)
                .is_some(),
            "{case}: /proc was there\n{}",
            err.text()
        );
    }
    let rinit = rinit_pid(child.id() as i32);
    let (got, took) = stop_then_interrupt(rinit, &out, Duration::from_millis(200));
    assert!(got.is_some(), "{case}: SIGINT never reached the command");
    assert!(took < RELAYED_WITHIN, "{case}: SIGINT took {took:?}");
    if mode == Mode::Subreaper {
        assert!(
            out.wait_for("rinit-exited", common::PATIENCE).is_some(),
            "{case}\n{}",
            err.text()
        );
        // The shell and its sleep are all the namespace may still hold.
        let shell = common::descendants(child.id() as i32);
        let left: Vec<_> = shell
            .iter()
            .filter(|&&p| common::comm(p).as_deref() == Some("sleep"))
            .collect();
        assert!(
            left.len() <= 1,
            "{case}: left behind: {left:?}\n{}",
            err.text()
        );
    }
    let status = common::wait_or_kill(&mut child);
    assert_eq!(status, Some(3), "{case}\n{}", err.text());
}

#[test]
fn no_proc_and_a_hidden_proc_still_relay_exit_and_drain() {
    let mut runs = Vec::new();
    for view in [ProcView::Absent, ProcView::HidePid] {
        for mode in MODES {
            for uid in [None, Some(1000)] {
                runs.push(thread::spawn(move || without_a_full_proc(view, mode, uid)));
            }
        }
    }
    for run in runs {
        run.join().unwrap();
    }
}

/// rinit's CPU time so far, from /proc/PID/stat (utime + stime).
fn cpu(pid: i32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let after = stat.rsplit_once(')').unwrap().1;
    let fields: Vec<u64> = after
        .split_whitespace()
        .skip(11)
        .take(2)
        .map(|f| f.parse().unwrap())
        .collect();
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as u64;
    Duration::from_millis((fields[0] + fields[1]) * 1000 / ticks)
}

/// `-v` over a tree of the testkit's `shape`: each relayed signal looks
/// for processes that left the group; 5 of them cost at most `most` of
/// rinit's CPU, and SIGTERM still ends it all.
fn relays_over(mode: Mode, shape: &str, n: &str, most: Duration) {
    let cmd = rinit_as_user(
        mode,
        None,
        &["-v", "--", testkit(), shape, n],
        Stdio::piped(),
    );
    let (mut child, out, err) = spawned(cmd);
    assert!(
        out.wait_for("ready", Duration::from_secs(60)).is_some(),
        "{shape} {n}"
    );
    let rinit = rinit_pid(child.id() as i32);
    let before = cpu(rinit);
    // One at a time: standard signals coalesce.
    for sent in 1..=5 {
        kill(rinit, libc::SIGWINCH);
        let deadline = Instant::now() + common::PATIENCE;
        while err.count("SIGWINCH from") < sent {
            assert!(
                Instant::now() < deadline,
                "{shape} {n}: relays not logged\n{}",
                err.text()
            );
            thread::sleep(Duration::from_millis(5));
        }
    }
    let spent = cpu(rinit).saturating_sub(before);
    assert!(
        spent <= most,
        "{mode:?} {shape} {n}: 5 relays cost {spent:?} of CPU"
    );
    kill(rinit, libc::SIGTERM);
    let status = common::wait_or_kill(&mut child);
    assert!(
        matches!(status, Some(143) | Some(0)),
        "{mode:?} {shape} {n}: {status:?}"
    );
}

#[test]
fn a_fork_chain_2000_deep_costs_little_per_relayed_signal() {
    relays_over(Mode::Pid1, "chain", "2000", Duration::from_millis(500));
    // Away from PID 1 a shorter chain: when it ends, the kernel walks every
    // orphan's ancestors looking for the subreaper (find_new_reaper), a
    // cost of the chain's own exits that grows with the square of its depth.
    relays_over(Mode::Subreaper, "chain", "300", Duration::from_millis(500));
}

#[test]
fn ten_thousand_children_cost_linear_time_per_relayed_signal() {
    relays_over(Mode::Subreaper, "wide", "10000", Duration::from_secs(2));
}

#[test]
fn four_descriptors_are_enough_to_relay_and_exit() {
    for mode in MODES {
        let script = "trap 'echo got-USR1; exit 4' USR1; echo ready; while :; do sleep 0.05; done";
        let mut cmd = Command::new("prlimit");
        cmd.args(["--nofile=4", "--"]);
        let inner = rinit_as_user(
            mode,
            None,
            &["-vv", "--", "sh", "-c", script],
            Stdio::piped(),
        );
        cmd.arg(inner.get_program()).args(inner.get_args());
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        common::clean_slate(&mut cmd);
        let mut child = cmd.spawn().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        assert_eq!(line.trim(), "ready", "{mode:?}");
        kill(rinit_pid(child.id() as i32), libc::SIGUSR1);
        let mut rest = String::new();
        stdout.read_to_string(&mut rest).unwrap();
        assert!(rest.contains("got-USR1"), "{mode:?}");
        assert_eq!(common::wait_or_kill(&mut child), Some(4), "{mode:?}");
        let _ = child.stderr.as_ref().map(|e| e.as_raw_fd());
    }
}
