//! Who the relayed signals reach. A daemon that calls `setsid()` or
//! `setpgid()` leaves the command's process group, and a signal relayed to
//! the group no longer reaches it. `--signal-all` reaches every process
//! rinit looks after; without it rinit says who is out of reach.

use std::cell::RefCell;

use crate::log::{info, Log};
use crate::procfs::{self, List, Process};
use crate::relay::{self, Target};
use crate::signal::Signal;

/// Sends `sig` to every process rinit looks after; returns how many that
/// was when `count` asks (counting reads /proc as PID 1). As PID 1 that is
/// the whole namespace, `docker exec`'d processes included: kill(-1) spares
/// only the sender. Otherwise every descendant: one kill(-pgid) for a group
/// whose members all are descendants, one kill each for the rest, so nobody
/// gets it twice. A process forked while /proc is read gets the next signal.
pub fn signal_all(sig: Signal, count: bool) -> Option<usize> {
    if std::process::id() == 1 {
        relay::send(-1, sig);
        return count.then(|| procfs::others().len());
    }
    let all = procfs::all_processes();
    let below = procfs::below(std::process::id() as i32, &all);
    // rinit's own group holds rinit, and maybe the shell that started it.
    let own_group = nix::unistd::getpgrp().as_raw();
    let mut groups: Vec<i32> = below.iter().map(|p| p.pgid).collect();
    groups.sort_unstable();
    groups.dedup();
    for group in groups {
        let members = || below.iter().filter(move |p| p.pgid == group);
        let whole = all
            .iter()
            .filter(|p| p.pgid == group)
            .all(|p| below.iter().any(|b| b.pid == p.pid));
        if whole && group != own_group {
            relay::send(-group, sig);
        } else {
            for p in members() {
                relay::send(p.pid, sig);
            }
        }
    }
    Some(below.len())
}

/// rinit's descendants that signals relayed to `target` do not reach
/// (zombies aside: nothing reaches them).
pub fn outside(target: Target) -> Vec<Process> {
    let reached = |p: &Process| match target {
        Target::Group(group) => p.pgid == group.as_raw(),
        Target::Child(child) => p.pid == child.as_raw(),
        Target::All => true,
    };
    procfs::descendants()
        .into_iter()
        .filter(|p| p.state != 'Z' && !reached(p))
        .collect()
}

/// `-v`: says once of each process that it left the command's group.
#[derive(Default)]
pub struct Leavers {
    told: RefCell<Vec<i32>>,
}

impl Leavers {
    /// Looks for new leavers; called when a signal was relayed or a child
    /// reaped, so rinit never polls for them.
    pub fn notice(&self, log: &Log, target: Target) {
        if !matches!(target, Target::Group(_)) {
            return;
        }
        let mut told = self.told.borrow_mut();
        let outside = outside(target);
        // Forget the ones gone: the list stays as small as what is outside,
        // and a reused pid is news again.
        told.retain(|pid| outside.iter().any(|p| p.pid == *pid));
        let new: Vec<Process> = outside
            .into_iter()
            .filter(|p| !told.contains(&p.pid))
            .collect();
        if new.is_empty() {
            return;
        }
        told.extend(new.iter().map(|p| p.pid));
        info!(
            log,
            "left the command's process group, so relayed signals no longer reach them (--signal-all does): {}",
            List(&new)
        );
    }
}
