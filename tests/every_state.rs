//! Every promise in every state (issue 33). Each of rinit's promises holds
//! whatever came before: whether and where rinit has written lines (none
//! yet; a regular file, a pipe, a pty or a closed stderr, as root and as
//! another user, which may not reopen a pipe or pty root made), and what
//! it is doing (running the command, holding a stop for `--stop-delay`,
//! waiting out `--kill-after`, draining what the command left). In every
//! such state every task of rinit blocks every signal but KILL and STOP,
//! and every signal sent to rinit reaches the command once while rinit
//! lives on. The states are classes the tests loop over, in both modes;
//! run against the shipped musl binary too (`RINIT_TEST_BINARY`): which
//! signals a C library takes for itself when a thread starts depends on it.
//!
//! Then what broke where two features met: the real-time numbers a C
//! library keeps once the log writer thread started; `--kill-after` with a
//! SIG33 arriving while rinit waits; the drain reading a /proc that is not
//! its namespace's; a stop signal sent twice to an app behind a wrapper.

mod common;

use std::collections::HashMap;
use std::fs;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::thread;
use std::time::Duration;

use common::{
    command_as, descendants, each_in_parallel, holds_within, sigblk_of_every_task, status_field,
    testkit, within, Deadline, Lines, Mode, Namespace, Rinit, Scratch, EVERY_SIGNAL_BLOCKED, MODES,
    PATIENCE, RTMIN,
};

/// How many cases run at once: they mostly wait for each other's signals,
/// and the machine may have two cores.
const WORKERS: usize = 4;

/// The other user rinit runs as: not root, so it may not reopen the pipe or
/// the pty the test (root) made for its stderr.
const USER: u32 = 1000;

/// What rinit's stderr is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    File,
    Pipe,
    Pty,
    Closed,
}

/// Whether rinit has written lines yet, and where.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Logs {
    /// No -v: not one line (stderr a pipe of root's).
    None,
    /// -v: lines through stderr of this kind, rinit run as this user
    /// (None: root).
    Through(Kind, Option<u32>),
}

/// Every way rinit's lines can go (the log writer thread starts for some).
const LOGS: [Logs; 9] = [
    Logs::None,
    Logs::Through(Kind::File, None),
    Logs::Through(Kind::File, Some(USER)),
    Logs::Through(Kind::Pipe, None),
    Logs::Through(Kind::Pipe, Some(USER)),
    Logs::Through(Kind::Pty, None),
    Logs::Through(Kind::Pty, Some(USER)),
    Logs::Through(Kind::Closed, None),
    Logs::Through(Kind::Closed, Some(USER)),
];

/// What rinit is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Moment {
    /// Running the command, nothing under way.
    Running,
    /// Holding a SIGTERM for `--stop-delay 5s`.
    StopHeld,
    /// SIGTERM relayed to a command that blocks it, `--kill-after 30s` not due.
    KillAfterWait,
    /// The command exited and rinit drains the process it left behind,
    /// which took the drain's SIGTERM and lives on (`--grace 30s`).
    Draining,
}

const MOMENTS: [Moment; 4] = [
    Moment::Running,
    Moment::StopHeld,
    Moment::KillAfterWait,
    Moment::Draining,
];

/// One state rinit can be in.
#[derive(Clone, Copy, Debug)]
struct State {
    mode: Mode,
    logs: Logs,
    moment: Moment,
}

/// Every state: each mode, each way of logging, each moment.
fn every_state() -> Vec<State> {
    let mut states = Vec::new();
    for mode in MODES {
        for logs in LOGS {
            for moment in MOMENTS {
                states.push(State { mode, logs, moment });
            }
        }
    }
    states
}

/// Where the test reads rinit's stderr back.
enum Back {
    /// A pipe or a pty the test reads as rinit writes.
    Lines(Lines),
    /// A regular file.
    File(Scratch),
    /// A closed stderr.
    Nothing,
}

impl Back {
    /// Waits for a line holding `needle`; true at once where nothing can
    /// be read back.
    fn wait_for(&self, needle: &str) -> bool {
        match self {
            Back::Lines(lines) => lines.wait_for(needle, PATIENCE).is_some(),
            Back::File(dir) => holds_within(PATIENCE, || dir.read("stderr").contains(needle)),
            Back::Nothing => true,
        }
    }

    fn text(&self) -> String {
        match self {
            Back::Lines(lines) => lines.text(),
            Back::File(dir) => dir.read("stderr"),
            Back::Nothing => "(closed)".into(),
        }
    }
}

/// rinit started with `args` in `mode`, as `uid`, its stderr of `kind`.
fn start(mode: Mode, uid: Option<u32>, kind: Kind, args: &[&str]) -> (Rinit, Back) {
    let mut cmd = Namespace::new(mode).user(uid).rinit(args);
    let back = match kind {
        Kind::File => {
            let dir = Scratch::new("every-state-stderr");
            cmd.stderr(fs::File::create(dir.path("stderr")).unwrap());
            Back::File(dir)
        }
        Kind::Pipe => {
            let (read, write) = nix::unistd::pipe().unwrap();
            cmd.stderr(Stdio::from(write));
            let lines = Lines::default();
            lines.clone().collect_from(fs::File::from(read));
            Back::Lines(lines)
        }
        Kind::Pty => {
            let master = common::attach_pty(&mut cmd, false);
            let lines = Lines::default();
            lines.clone().collect_from(master);
            Back::Lines(lines)
        }
        Kind::Closed => {
            cmd.stderr(Stdio::null());
            // SAFETY: close(2) is async-signal-safe.
            unsafe {
                cmd.pre_exec(|| {
                    libc::close(2);
                    Ok(())
                });
            }
            Back::Nothing
        }
    };
    // The builder keeps the test's ends of the pipe or pty: dropped with
    // it, only the reader's stay, and the reader sees EOF when rinit ends.
    let rinit = Rinit::spawn_keeping_stderr(mode, cmd);
    (rinit, back)
}

/// rinit in a state, and its stderr.
struct InState {
    rinit: Rinit,
    back: Back,
    /// Who records the signals: the command ("child"), or in the drain
    /// what it left ("leftover").
    label: &'static str,
}

impl InState {
    fn report(&self) -> String {
        format!(
            "--- stdout\n{}\n--- stderr\n{}",
            self.rinit.out.text(),
            self.back.text()
        )
    }
}

/// Starts rinit and brings it to `state`, a recorder as its command (as
/// what the command left, in the drain); Err says where it got stuck.
fn enter(state: State) -> Result<InState, String> {
    let mut args = Vec::new();
    if state.logs != Logs::None {
        args.push("-v");
    }
    args.extend(match state.moment {
        Moment::Running => &[][..],
        Moment::StopHeld => &["--stop-delay", "5s"],
        Moment::KillAfterWait => &["--kill-after", "30s"],
        Moment::Draining => &["--grace", "30s"],
    });
    args.extend(["--", testkit(), "record"]);
    let label = match state.moment {
        Moment::Draining => {
            args.push("--leave");
            "leftover"
        }
        _ => "child",
    };
    let (kind, uid) = match state.logs {
        Logs::None => (Kind::Pipe, None),
        Logs::Through(kind, uid) => (kind, uid),
    };
    let (rinit, back) = start(state.mode, uid, kind, &args);
    let mut s = InState { rinit, back, label };
    let stuck = |s: &InState, at: &str| Err(format!("never {at}\n{}", s.report()));
    if s.rinit
        .out
        .wait_for(&format!("{label} ready"), PATIENCE)
        .is_none()
    {
        return stuck(&s, "ready");
    }
    let pid = s.rinit.pid();
    let out = s.rinit.out.clone();
    match state.moment {
        Moment::Running => {}
        Moment::StopHeld => {
            s.rinit.signal(libc::SIGTERM);
            // Taken off the queue: rinit holds it.
            let taken = holds_within(PATIENCE, || !pending(pid).contains(&libc::SIGTERM));
            if !taken {
                return stuck(&s, "took the SIGTERM");
            }
        }
        Moment::KillAfterWait => {
            s.rinit.signal(libc::SIGTERM);
            if out.wait_for("child SIGTERM", RELAYED_WITHIN).is_none() {
                return stuck(&s, "relayed the SIGTERM");
            }
        }
        Moment::Draining => {
            if out.wait_for("leftover SIGTERM", RELAYED_WITHIN).is_none() {
                return stuck(&s, "drained");
            }
        }
    }
    // The lines that go with the state went through.
    if state.logs != Logs::None {
        let line = match state.moment {
            Moment::Running => "started",
            Moment::StopHeld => "holding it for 5s",
            Moment::KillAfterWait => "SIGTERM from",
            Moment::Draining => "sending SIGTERM to what is left",
        };
        if !s.back.wait_for(line) {
            return stuck(&s, &format!("logged {line:?}"));
        }
    }
    Ok(s)
}

/// The signals pending for process `pid` as a whole.
fn pending(pid: i32) -> Vec<i32> {
    let mask = status_field(pid, "ShdPnd").unwrap_or_default();
    let bits = u64::from_str_radix(&mask, 16).unwrap_or(0);
    (1..=64).filter(|n| bits & 1 << (n - 1) != 0).collect()
}

/// Every task's mask, or what is wrong with it.
fn mask_problem(pid: i32) -> Option<String> {
    let masks = sigblk_of_every_task(pid);
    match masks.iter().all(|m| m == EVERY_SIGNAL_BLOCKED) && !masks.is_empty() {
        true => None,
        false => Some(format!(
            "SigBlk of each task: {masks:?}, not all {EVERY_SIGNAL_BLOCKED}"
        )),
    }
}

/// The recorder's name for signal `n`, as `kill -l` names it.
fn name(n: i32) -> String {
    const STANDARD: [&str; 32] = [
        "", "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV",
        "USR2", "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU",
        "URG", "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS",
    ];
    match n {
        1..=31 => format!("SIG{}", STANDARD[n as usize]),
        32 | 33 => format!("SIG{n}"),
        RTMIN => "SIGRTMIN".into(),
        _ => format!("SIGRTMIN+{}", n - RTMIN),
    }
}

/// Every signal rinit relays: 1-64 but KILL, STOP, and CHLD, which is
/// rinit's own business.
fn relayed() -> Vec<i32> {
    (1..=64)
        .filter(|&n| ![libc::SIGKILL, libc::SIGSTOP, libc::SIGCHLD].contains(&n))
        .collect()
}

/// How long a relayed signal may take to reach the recorder.
const RELAYED_WITHIN: Duration = Duration::from_secs(3);

/// The signals sent in `moment`, as rounds: each round sent at once, its
/// signals awaited before the next. The job-control ones go alone: the
/// kernel discards a pending SIGCONT when a stop signal is sent, and the
/// pending stop signals when SIGCONT is, so sent together one would cancel
/// another, in rinit's queue or in the recorder's. In the stop delay a
/// second stop signal ends the hold: those go last and alone, so the held
/// SIGTERM and the one sent make one relayed SIGTERM, and SIGINT comes
/// after it.
fn rounds(moment: Moment) -> Vec<Vec<i32>> {
    let alone = [libc::SIGTSTP, libc::SIGTTIN, libc::SIGTTOU, libc::SIGCONT];
    let stops = match moment {
        Moment::StopHeld => &[libc::SIGTERM, libc::SIGINT][..],
        _ => &[],
    };
    let together = relayed()
        .into_iter()
        .filter(|n| !alone.contains(n) && !stops.contains(n))
        .collect();
    let mut rounds = vec![together];
    rounds.extend(alone.iter().chain(stops).map(|&n| vec![n]));
    rounds
}

/// How many times the recorder `label` got each signal so far. A standard
/// signal relayed twice in a row may reach it as one (a pending one is not
/// queued again); a real-time one never does.
fn counts(out: &Lines, label: &str) -> HashMap<i32, usize> {
    let lines = out.all();
    (1..=64)
        .map(|n| {
            let line = format!("{label} {}", name(n));
            (n, lines.iter().filter(|l| **l == line).count())
        })
        .collect()
}

fn assert_all_passed(what: &str, total: usize, failures: Vec<String>) {
    assert!(
        failures.is_empty(),
        "{what}: {} of {total} failed\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn every_task_of_rinit_blocks_every_signal_but_kill_and_stop_in_every_state() {
    let states = every_state();
    let failures = each_in_parallel(WORKERS, &states, |&state| {
        let mut s = enter(state)?;
        let pid = s.rinit.pid();
        match mask_problem(pid) {
            None => Ok(()),
            Some(problem) => Err(format!("{problem}\n{}", s.report())),
        }
    });
    assert_all_passed("states", states.len(), failures);
}

#[test]
fn in_every_state_each_signal_sent_to_rinit_reaches_the_command_once_and_rinit_lives_on() {
    let states = every_state();
    let failures = each_in_parallel(WORKERS, &states, |&state| {
        let mut s = enter(state)?;
        let pid = s.rinit.pid();
        let label = s.label;
        let mut expected = counts(&s.rinit.out, label);
        for round in &rounds(state.moment) {
            for &n in round {
                *expected.get_mut(&n).unwrap() += 1;
                // rinit may be gone: said below.
                unsafe { libc::kill(pid, n) };
            }
            let arrived = holds_within(RELAYED_WITHIN, || {
                let now = counts(&s.rinit.out, label);
                let all = round.iter().all(|n| now[n] >= expected[n]);
                all || !alive(pid)
            });
            if !alive(pid) {
                // Away from PID 1 the shell above says what killed it.
                let status = s.rinit.wait_timeout(PATIENCE).and_then(|st| st.code());
                let by = match status {
                    Some(code) if code > 128 => format!(" by {}", name(code - 128)),
                    _ => String::new(),
                };
                return Err(format!("rinit was killed{by}\n{}", s.report()));
            }
            if !arrived {
                let now = counts(&s.rinit.out, label);
                let missing: Vec<String> = round
                    .iter()
                    .filter(|n| now[n] < expected[n])
                    .map(|&n| name(n))
                    .collect();
                return Err(format!("never relayed: {missing:?}\n{}", s.report()));
            }
            // Still held, until a second one is sent.
            let held = state.moment == Moment::StopHeld && expected[&libc::SIGTERM] == 0;
            if held && counts(&s.rinit.out, label)[&libc::SIGTERM] != 0 {
                return Err(format!(
                    "the held SIGTERM went out before its time\n{}",
                    s.report()
                ));
            }
        }
        // Room for a second copy to arrive.
        thread::sleep(Duration::from_millis(200));
        let now = counts(&s.rinit.out, label);
        let twice: Vec<String> = (1..=64)
            .filter(|n| now[n] != expected[n])
            .map(|n| format!("{} {} times", name(n), now[&n]))
            .collect();
        if !twice.is_empty() {
            return Err(format!("relayed as often as: {twice:?}\n{}", s.report()));
        }
        if !alive(pid) || s.rinit.wait_timeout(Duration::ZERO).is_some() {
            return Err(format!("rinit is gone\n{}", s.report()));
        }
        Ok(())
    });
    assert_all_passed("states", states.len(), failures);
}

/// Whether process `pid` runs (exists and is no zombie).
fn alive(pid: i32) -> bool {
    status_field(pid, "State").is_some_and(|s| !s.starts_with('Z'))
}

/// In subreaper mode, the shell that holds PID 1 says, once rinit has
/// gone, whether anything of rinit's was left running ("orphans left"):
/// what rinit's exit status cannot tell, since a shell reports a death by
/// signal N as 128+N too.
fn with_orphan_report(mode: Mode, args: &[&str]) -> Command {
    Namespace::new(mode)
        .after("kill -0 -1 2>/dev/null && echo 'orphans left'")
        .rinit(args)
}

#[test]
fn after_lines_to_a_file_sig32_33_and_34_kill_the_command_and_rinit_exits_with_128_plus_n() {
    let cases: Vec<(Mode, i32)> = MODES
        .into_iter()
        .flat_map(|mode| [32, 33, RTMIN].map(|n| (mode, n)))
        .collect();
    let failures = each_in_parallel(WORKERS, &cases, |&(mode, n)| {
        let dir = Scratch::new("every-state-log");
        let mut cmd = with_orphan_report(mode, &["-v", "--", "sleep", "100"]);
        cmd.stderr(fs::File::create(dir.path("stderr")).unwrap());
        let back = Back::File(dir);
        let mut rinit = Rinit::spawn_keeping_stderr(mode, cmd);
        let report = |rinit: &Rinit| {
            format!(
                "--- stdout\n{}\n--- stderr\n{}",
                rinit.out.text(),
                back.text()
            )
        };
        if !back.wait_for("started 'sleep 100'") {
            return Err(format!("never started\n{}", report(&rinit)));
        }
        let pid = rinit.pid();
        let mask = mask_problem(pid);
        rinit.signal(n);
        let exited = rinit.wait_timeout(Duration::from_secs(2));
        let mut problems = Vec::new();
        problems.extend(mask);
        match exited.map(|s| s.code()) {
            None => problems.push(format!("rinit still runs 2 s after {}", name(n))),
            Some(code) if code != Some(128 + n) => {
                problems.push(format!("exit {code:?}, not {}", 128 + n))
            }
            Some(_) => {}
        }
        thread::sleep(Duration::from_millis(20));
        if rinit.out.count("orphans left") > 0 {
            problems.push("rinit died and orphaned the command".into());
        }
        // It reaped the command, dead of the signal, and exited itself.
        if exited.is_some() {
            for line in [
                format!("was killed by {}", name(n)),
                format!("exiting with status {}", 128 + n),
            ] {
                if !back.text().contains(&line) {
                    problems.push(format!("rinit never said {line:?}"));
                }
            }
        }
        match problems.is_empty() {
            true => Ok(()),
            false => Err(format!("{}\n{}", problems.join("; "), report(&rinit))),
        }
    });
    assert_all_passed("cases", cases.len(), failures);
}

#[test]
fn kill_after_fires_on_time_though_sig32_33_and_34_arrive_while_rinit_waits() {
    // The command blocks every signal: only --kill-after's SIGKILL ends it.
    let cases: Vec<(Mode, Logs)> = MODES
        .into_iter()
        .flat_map(|mode| LOGS.map(|logs| (mode, logs)))
        .collect();
    let failures = each_in_parallel(WORKERS, &cases, |&(mode, logs)| {
        let (kind, uid, verbose) = match logs {
            Logs::None => (Kind::Pipe, None, &[][..]),
            Logs::Through(kind, uid) => (kind, uid, &["-v"][..]),
        };
        let mut args = verbose.to_vec();
        args.extend(["--kill-after", "1s", "--", testkit(), "record"]);
        let (mut rinit, back) = start(mode, uid, kind, &args);
        let report = |rinit: &Rinit| {
            format!(
                "--- stdout\n{}\n--- stderr\n{}",
                rinit.out.text(),
                back.text()
            )
        };
        if rinit.out.wait_for("child ready", PATIENCE).is_none()
            || (logs != Logs::None && !back.wait_for("started"))
        {
            return Err(format!("never started\n{}", report(&rinit)));
        }
        // Ended within 2 s of the SIGTERM.
        let deadline = Deadline::after(Duration::from_secs(2));
        rinit.signal(libc::SIGTERM);
        if rinit.out.wait_for("child SIGTERM", PATIENCE).is_none() {
            return Err(format!("SIGTERM never relayed\n{}", report(&rinit)));
        }
        // SIG33 last: glibc's handler took one that came while rinit
        // polled, and rinit then waited in read() for a signal that had gone.
        let pid = rinit.pid();
        for n in [RTMIN, 32, 33] {
            // rinit may be gone: its status says so below.
            unsafe { libc::kill(pid, n) };
            thread::sleep(Duration::from_millis(30));
        }
        let exited = rinit.wait_timeout(deadline.left().unwrap_or_default());
        let took = deadline.elapsed();
        match exited.map(|s| s.code()) {
            Some(Some(137)) => Ok(()),
            Some(code) => Err(format!(
                "exit {code:?} after {took:?}, not 137\n{}",
                report(&rinit)
            )),
            None => Err(format!(
                "still running {took:?} after SIGTERM\n{}",
                report(&rinit)
            )),
        }
    });
    assert_all_passed("cases", cases.len(), failures);
}

/// The pids, as the test sees them, of the processes below `root` whose
/// command line is `words`.
fn running(root: i32, words: &[&str]) -> Vec<i32> {
    let cmdline: Vec<u8> = words
        .iter()
        .flat_map(|w| [w.as_bytes(), b"\0"].concat())
        .collect();
    descendants(root)
        .into_iter()
        .filter(|&p| fs::read(format!("/proc/{p}/cmdline")).is_ok_and(|c| c == cmdline) && alive(p))
        .collect()
}

#[test]
fn with_another_namespaces_proc_rinit_signals_not_one_of_20_bystanders() {
    // unshare without --mount-proc: /proc is the host's, and its pids name
    // other processes in rinit's namespace. A shell as PID 1 starts rinit
    // (pid 2, as under bwrap without --proc), then 20 bystanders, which
    // are not rinit's descendants. The command takes a signal, then exits
    // and leaves a process behind, so the drain runs. The shell then keeps
    // the namespace, and the bystanders, for the count.
    let script = "\"$0\" \"$@\" & rinit=$!; \
                  i=0; while [ $i -lt 20 ]; do sleep 601 & i=$((i+1)); done; echo 'bystanders ready'; \
                  wait $rinit; echo \"rinit exited $?\"; sleep 600";
    let command = "trap 'echo got-USR1' USR1; trap 'exit 3' USR2; \
                   (trap '' USR1 USR2; exec sleep 600) & echo 'command ready'; \
                   while :; do sleep 0.05; done";
    let cases = [false, true];
    let failures = each_in_parallel(WORKERS, &cases, |&signal_all| {
        let mut cmd = Command::new("unshare");
        cmd.args(["--pid", "--fork", "--kill-child", "--", "sh", "-c", script]);
        // No -v: the warning is the one line rinit writes.
        cmd.arg(common::rinit_bin()).args(["--grace", "2s"]);
        if signal_all {
            cmd.arg("-a");
        }
        cmd.args(["--", "sh", "-c", command]);
        common::clean_slate(&mut cmd);
        let mut rinit = Rinit::spawn(Mode::Subreaper, cmd);
        let report = |rinit: &Rinit, why: &str| Err(format!("{why}\n{}", rinit.report()));
        if rinit.out.wait_for("command ready", PATIENCE).is_none() {
            return report(&rinit, "the command never started");
        }
        rinit.expect_out("bystanders ready");
        // Each one started once it has exec'd sleep.
        let root = rinit.child_id();
        let started = within(PATIENCE, || {
            let found = running(root, &["sleep", "601"]);
            (found.len() == 20).then_some(found)
        });
        let Some(bystanders) = started else {
            return report(&rinit, "the 20 bystanders never all ran");
        };
        let mut problems = Vec::new();
        rinit.signal(libc::SIGUSR1);
        if rinit.out.wait_for("got-USR1", RELAYED_WITHIN).is_none() {
            problems.push("SIGUSR1 never reached the command".to_owned());
        }
        rinit.signal(libc::SIGUSR2);
        let exit = rinit.out.wait_for("rinit exited", PATIENCE);
        let killed = bystanders.iter().filter(|&&p| !alive(p)).count();
        if killed != 0 {
            problems.push(format!("{killed} of 20 bystanders killed"));
        }
        if exit.as_deref() != Some("rinit exited 3") {
            problems.push(format!("{exit:?}, not exit 3"));
        }
        let got = rinit.out.count("got-USR1");
        if got > 1 {
            problems.push(format!("the command got SIGUSR1 {got} times"));
        }
        let said = rinit.err.count("/proc is another PID namespace's");
        if said != 1 {
            problems.push(format!(
                "said {said} times that /proc is another namespace's"
            ));
        }
        match problems.is_empty() {
            true => Ok(()),
            false => report(&rinit, &problems.join("; ")),
        }
    });
    assert_all_passed("cases", cases.len(), failures);
}

/// One run of an app behind `sh -c` that counts the stop signals it gets.
#[derive(Clone, Copy, Debug)]
struct Stop {
    /// The name rinit runs under, and how.
    name: &'static str,
    mode: Mode,
    /// `-r TERM:QUIT` (nginx's graceful stop; `15:3` as dumb-init's users
    /// write it).
    to_quit: bool,
    /// The app left the command's group (and session) before the stop.
    setsid: bool,
}

#[test]
fn an_app_behind_a_wrapper_gets_one_stop_signal_as_rewritten_and_never_a_second() {
    let mut cases = Vec::new();
    for (name, mode) in [
        ("rinit", Mode::Pid1),
        ("rinit", Mode::Subreaper),
        ("dumb-init", Mode::Pid1),
    ] {
        for to_quit in [false, true] {
            for setsid in [false, true] {
                cases.push(Stop {
                    name,
                    mode,
                    to_quit,
                    setsid,
                });
            }
        }
    }
    let failures = each_in_parallel(WORKERS, &cases, |&case| {
        let dir = Scratch::new("every-state-stops");
        let file = dir.path("stops");
        let mut args = Vec::new();
        if case.to_quit {
            let rule = match case.name {
                "dumb-init" => "15:3",
                _ => "TERM:QUIT",
            };
            args.extend(["-r", rule]);
        }
        // `; exit $?`: the shell stays, waiting for the app, as a wrapper
        // (npm run, a script) does, and does not exec it.
        let app = match case.setsid {
            false => "\"$0\" stops \"$1\" 1000; exit $?",
            true => "\"$0\" stops \"$1\" 1000 --setsid; exit $?",
        };
        args.extend(["--", "sh", "-c", app, testkit(), &file]);
        let mut cmd = command_as(case.name, case.mode, &args);
        // A shell killed by SIGQUIT dumps no core here.
        unsafe {
            cmd.pre_exec(|| {
                let none = libc::rlimit {
                    rlim_cur: 0,
                    rlim_max: 0,
                };
                libc::setrlimit(libc::RLIMIT_CORE, &none);
                Ok(())
            });
        }
        cmd.current_dir(std::env::temp_dir());
        let mut rinit = Rinit::spawn(case.mode, cmd).with_name(case.name);
        rinit.expect_out("stops ready");
        // The wrapper is there: rinit's child is the shell, the app its child.
        let pid = rinit.pid();
        let ppid = |p: i32| status_field(p, "PPid").and_then(|s| s.parse::<i32>().ok());
        let below = descendants(pid);
        let shell = below
            .iter()
            .copied()
            .find(|&p| ppid(p) == Some(pid) && common::comm(p).as_deref() == Some("sh"));
        let wrapped = shell.is_some_and(|sh| {
            below.iter().any(|&p| {
                ppid(p) == Some(sh) && common::comm(p).as_deref() == Some("rinit-testkit")
            })
        });
        if !wrapped {
            return Err(format!(
                "no shell between rinit and the app\n{}",
                rinit.report()
            ));
        }
        rinit.signal(libc::SIGTERM);
        let (want, status) = match case.to_quit {
            false => ("TERM\n", 143),
            true => ("QUIT\n", 131),
        };
        let code = rinit.exit_code();
        let mut problems = Vec::new();
        if dir.read("stops") != want {
            problems.push(format!("the app got {:?}, not {want:?}", dir.read("stops")));
        }
        if !dir.has("stops.done") {
            problems.push("the app never finished".into());
        }
        if code != status {
            problems.push(format!("exit {code}, not the shell's {status}"));
        }
        match problems.is_empty() {
            true => Ok(()),
            false => Err(format!("{}\n{}", problems.join("; "), rinit.report())),
        }
    });
    assert_all_passed("cases", cases.len(), failures);
}
