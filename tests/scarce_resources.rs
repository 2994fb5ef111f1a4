//! Resources cut to the bone never end PID 1: memory limited to what rinit
//! already has, at each stage of its life (the command running, the stop
//! relayed, the stuck report out, the drain under way), with every
//! allocation refused once the command runs, and four descriptors in all.
//! rinit still relays, reports, drains and exits with the command's status.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::os::fd::AsRawFd;
use std::process::{Command, Stdio};
use std::thread;

use common::{await_descendant, kill, spawn_reading, Mode, Namespace, MODES};

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
    let mut cmd = Namespace::new(mode).rinit(&["-v", "--grace", "2s", "--", "sh", "-c", CROWD]);
    if no_memory {
        cmd.env("RINIT_TEST_NO_MEMORY", "1");
    }
    let (mut child, out, err) = spawn_reading(cmd);
    let case = format!("{mode:?} {stage:?} +{extra_kb} kB no_memory={no_memory}");
    assert!(out.wait_for("ready", common::PATIENCE).is_some(), "{case}");
    let rinit = await_descendant(child.id() as i32, "rinit");
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

#[test]
fn four_descriptors_are_enough_to_relay_and_exit() {
    for mode in MODES {
        let script = "trap 'echo got-USR1; exit 4' USR1; echo ready; while :; do sleep 0.05; done";
        let mut cmd = Command::new("prlimit");
        cmd.args(["--nofile=4", "--"]);
        let inner = Namespace::new(mode).rinit(&["-vv", "--", "sh", "-c", script]);
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
        kill(await_descendant(child.id() as i32, "rinit"), libc::SIGUSR1);
        let mut rest = String::new();
        stdout.read_to_string(&mut rest).unwrap();
        assert!(rest.contains("got-USR1"), "{mode:?}");
        assert_eq!(common::wait_or_kill(&mut child), Some(4), "{mode:?}");
        let _ = child.stderr.as_ref().map(|e| e.as_raw_fd());
    }
}
