//! Big trees cost rinit little: a fork chain 2,000 deep and 10,000
//! children of one process, where each relayed signal looks for processes
//! that left the command's group, take a bounded share of rinit's CPU per
//! signal, and SIGTERM still ends it all.

mod common;

use std::time::Duration;

use common::{await_descendant, holds_within, kill, spawn_reading, testkit, Mode, Namespace};

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
    let cmd = Namespace::new(mode).rinit(&["-v", "--", testkit(), shape, n]);
    let (mut child, out, err) = spawn_reading(cmd);
    assert!(
        out.wait_for("ready", Duration::from_secs(60)).is_some(),
        "{shape} {n}"
    );
    let rinit = await_descendant(child.id() as i32, "rinit");
    let before = cpu(rinit);
    // One at a time: standard signals coalesce.
    for sent in 1..=5 {
        kill(rinit, libc::SIGWINCH);
        assert!(
            holds_within(common::PATIENCE, || err.count("SIGWINCH from") >= sent),
            "{shape} {n}: relays not logged\n{}",
            err.text()
        );
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
