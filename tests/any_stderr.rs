//! Whatever rinit's stderr is, PID 1 keeps working: a stderr whose reader
//! stalled, of every kind (pipe, FIFO, pty, socket, file, /dev/null,
//! closed) and as root or as a user that may not reopen it, never delays a
//! relayed signal past a second nor keeps the command's status in; one
//! that is read gets every line.

mod common;

use std::process::{Command, Stdio};
use std::thread;
use std::time::Duration;

use common::{
    await_descendant, kill, stop_then_interrupt, timed, Lines, Mode, Namespace, Scratch, MODES,
};

/// How long a relayed signal may take to reach the command.
const RELAYED_WITHIN: Duration = Duration::from_secs(1);

/// `rinit ARGS` in a new PID namespace (as PID 1, or under a shell as
/// subreaper), as `uid` when given, with stdout a pipe the test reads and
/// stderr what the test hands it.
fn rinit_as_user(mode: Mode, uid: Option<u32>, args: &[&str], stderr: Stdio) -> Command {
    let mut cmd = Namespace::new(mode).user(uid).rinit(args);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(stderr);
    cmd
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
                let rinit = await_descendant(child.id() as i32, "rinit");
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
        kill(await_descendant(child.id() as i32, "rinit"), libc::SIGUSR1);
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
    let rinit = await_descendant(child.id() as i32, "rinit");
    (child, out, rinit)
}

/// Every kind of stderr, stalled: the command fills it and rinit logs at
/// -vv; a signal still goes through at once and the status comes out.
#[test]
fn every_kind_of_stalled_stderr_as_root_and_as_another_user() {
    let scratch = Scratch::new("stalled-stderr");
    let script =
        "command exec 3>&2 2>/dev/null || exec 3>/dev/null 2>/dev/null; (trap '' USR1; head -c 1000000 /dev/zero >&3) & trap 'echo got-USR1; exit 9' USR1; echo ready; \
                  while :; do sleep 0.05; done";
    for kind in KINDS {
        for uid in [None, Some(1000)] {
            // The other end is kept open, never read: the stall.
            let (stderr, _unread) = stderr_of(kind, scratch.dir(), &format!("stalled-{uid:?}"));
            let (mut child, out, rinit) = ready(rinit_with_stderr(kind, uid, script, stderr));
            // Let the filler fill it.
            thread::sleep(Duration::from_millis(300));
            for _ in 0..20 {
                kill(rinit, libc::SIGWINCH);
            }
            let (got, took) = timed(|| {
                kill(rinit, libc::SIGUSR1);
                out.wait_for("got-USR1", common::PATIENCE)
            });
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
}

/// Every kind of stderr that is read gets every line, whoever owns it:
/// bounded writes drop nothing from a reader that keeps up.
#[test]
fn every_kind_of_working_stderr_gets_every_line_as_root_and_as_another_user() {
    let scratch = Scratch::new("working-stderr");
    let script = "trap 'exit 7' USR1; echo ready; while :; do sleep 0.05; done";
    for kind in KINDS {
        for uid in [None, Some(1000)] {
            let (stderr, reader) = stderr_of(kind, scratch.dir(), &format!("working-{uid:?}"));
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
}

trait NonBlock {
    fn custom_flags_nonblock(&mut self) -> &mut Self;
}

impl NonBlock for std::fs::OpenOptions {
    fn custom_flags_nonblock(&mut self) -> &mut Self {
        std::os::unix::fs::OpenOptionsExt::custom_flags(self, libc::O_NONBLOCK)
    }
}
