//! Who the relayed signals reach. A daemon that calls `setsid()` or
//! `setpgid()` leaves the command's process group, and a signal relayed to
//! the group no longer reaches it. `-a` sends a stop to each daemon's
//! master too, `--signal-all=every` every signal to every process rinit
//! looks after; without them rinit says who is out of reach.

use std::cell::RefCell;
use std::fmt;

use nix::unistd::Pid;

use crate::log::{info, Log};
use crate::procfs::Process;
use crate::signal::Signal;
use crate::sort::sort;
use crate::table::{self, Sample, Table, Unlisted};

/// Where relayed signals go: one value, so where a stop goes, where any
/// other signal goes and the command's group cannot disagree.
#[derive(Clone, Copy)]
pub enum Target {
    /// The command alone; `own_group`: it leads a process group of its own
    /// (else it shares rinit's, as with dumb-init's `-c`).
    Child { pid: Pid, own_group: bool },
    /// The command's process group.
    Group(Pid),
    /// `-a`: the group; a stop also reaches, once each, every process
    /// outside it that its parent will not pass the stop on to (see
    /// `stop_masters`).
    Masters(Pid),
    /// `--signal-all=every`: every process rinit looks after; the command's
    /// group when they cannot be listed.
    All(Pid),
}

impl Target {
    /// Where a received signal goes: a stop (`stop`) where the target says,
    /// any other signal with `-a` to the group alone (a reload stays the
    /// command's).
    pub fn of(self, stop: bool) -> Target {
        match self {
            Target::Masters(group) if !stop => Target::Group(group),
            target => target,
        }
    }

    /// The command's process group; None when it shares rinit's.
    pub fn group(self) -> Option<Pid> {
        match self {
            Target::Child {
                own_group: false, ..
            } => None,
            Target::Child { pid: group, .. }
            | Target::Group(group)
            | Target::Masters(group)
            | Target::All(group) => Some(group),
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Group(pgid) | Target::Masters(pgid) => write!(f, "group {pgid}"),
            Target::Child { pid, .. } => write!(f, "child {pid}"),
            Target::All(_) => write!(f, "every process"),
        }
    }
}

/// Who a stop reached: what the relay's target held when rinit relayed
/// it. The exit drain sends the stop to nobody it reached (a second
/// SIGTERM means "exit now" to many apps, and runs a shell's trap twice).
#[derive(Clone, Copy)]
pub struct Stopped {
    /// The stop as relayed (after `-r`).
    pub signal: Signal,
    target: Target,
    /// When it went: clock ticks since boot, as /proc counts a start.
    at: u64,
}

impl Stopped {
    pub fn now(signal: Signal, target: Target) -> Stopped {
        Stopped {
            signal,
            target,
            at: ticks_since_boot(),
        }
    }

    /// Whether the stop reached `p`: it is in the target and started no
    /// later than the stop's tick. /proc counts in ticks (10 ms), so one
    /// forked in that tick just after counts as reached: it gets no
    /// second stop, only the SIGKILL after `--grace`.
    pub fn reached(&self, p: &Process) -> bool {
        reached(self.target, p) && p.start <= self.at
    }
}

/// CLOCK_BOOTTIME in the clock ticks of /proc/PID/stat's starttime (both
/// shifted alike in a time namespace).
fn ticks_since_boot() -> u64 {
    // USER_HZ, what sysconf(_SC_CLK_TCK) says: 100 on every architecture
    // rinit ships (alpha alone differs), and asking costs musl a table.
    const HZ: u64 = 100;
    // SAFETY: timespec is plain integers: all-zero is a valid value.
    let mut now: libc::timespec = unsafe { std::mem::zeroed() };
    // SAFETY: `now` is a live timespec the kernel fills in.
    unsafe { libc::clock_gettime(libc::CLOCK_BOOTTIME, &mut now) };
    let secs = u64::try_from(now.tv_sec).unwrap_or(0);
    let nanos = u64::try_from(now.tv_nsec).unwrap_or(0);
    secs.saturating_mul(HZ) + nanos / (1_000_000_000 / HZ)
}

/// Sends `sig` to every process rinit looks after; returns how many that
/// was when `count` asks (counting reads /proc as PID 1). As PID 1 that is
/// the whole namespace, `docker exec`'d processes included: kill(-1) spares
/// only the sender. Otherwise every descendant: one kill(-pgid) for a group
/// whose members all are descendants, one kill each for the rest, so nobody
/// gets it twice. A process forked while /proc is read gets the next signal.
/// An error, and nobody signalled, when the descendants cannot be listed.
pub fn signal_all(sig: Signal, count: bool) -> Result<Option<usize>, Unlisted> {
    if std::process::id() == 1 {
        sig.send(-1);
        if !count {
            return Ok(None);
        }
        let mut n = 0;
        table::each_other(&mut |_| n += 1)?;
        return Ok(Some(n));
    }
    let all = Table::read()?;
    let mut below = all.below(std::process::id() as i32)?;
    // Every group's size among all processes, to tell a group that lies
    // wholly below rinit: both lists sorted by group, counted by runs.
    let mut groups: Vec<i32> = Vec::new();
    groups
        .try_reserve_exact(all.all().len())
        .map_err(|_| Unlisted::OutOfMemory)?;
    groups.extend(all.all().iter().map(|p| p.pgid));
    sort(&mut groups, |a, b| a < b);
    sort(&mut below, |a, b| a.pgid < b.pgid);
    let run = |list: &[i32], group: i32| {
        list.partition_point(|&g| g <= group) - list.partition_point(|&g| g < group)
    };
    // rinit's own group holds rinit, and maybe the shell that started it.
    let own_group = nix::unistd::getpgrp().as_raw();
    for members in below.chunk_by(|a, b| a.pgid == b.pgid) {
        let Some(group) = members.first().map(|p| p.pgid) else {
            continue;
        };
        if group != own_group && run(&groups, group) == members.len() {
            sig.send(-group);
        } else {
            for p in members {
                sig.send(p.pid);
            }
        }
    }
    Ok(Some(below.len()))
}

/// Whether a signal relayed to `target` reaches `p`: with `-a` everyone a
/// stop reaches, itself or through its master.
fn reached(target: Target, p: &Process) -> bool {
    match target {
        Target::Group(group) => p.pgid == group.as_raw(),
        Target::Child { pid, .. } => p.pid == pid.as_raw(),
        Target::Masters(_) | Target::All(_) => true,
    }
}

/// Sends a stop `sig` once to each process rinit answers for that
/// `reached` says has not had it, unless its parent passes it on: a live
/// process rinit sends it to now, that handles `sig`. A daemon's master
/// stops its workers (nginx, php-fpm, a shell's trap): sent beside it, a
/// worker would get a second stop, or stop before the master is done with
/// it. (A parent the stop reached before may have ignored its children.)
/// Returns the processes sent it; an error, and nobody signalled, when
/// they cannot be listed.
pub fn stop_masters(sig: Signal, reached: &dyn Fn(&Process) -> bool) -> Result<Sample, Unlisted> {
    let me = std::process::id() as i32;
    let table = Table::read()?;
    // As PID 1 the whole namespace: below pid 0 are rinit and what was
    // entered from outside (`docker exec`).
    let listed = table.below(if me == 1 { 0 } else { me })?;
    let mut passers: Vec<i32> = Vec::new();
    passers
        .try_reserve_exact(listed.len())
        .map_err(|_| Unlisted::OutOfMemory)?;
    let unreached = |p: &Process| p.pid != me && !p.zombie() && !reached(p);
    let passes = |p: &&Process| unreached(p) && p.catches(sig);
    passers.extend(listed.iter().filter(passes).map(|p| p.pid));
    sort(&mut passers, |a, b| a < b);
    let mut sent = Sample::empty();
    for p in &listed {
        if unreached(p) && passers.binary_search(&p.ppid).is_err() {
            sig.send(p.pid);
            sent.add(p);
        }
    }
    Ok(sent)
}

/// rinit's descendants that signals relayed to `target` do not reach
/// (zombies aside: nothing reaches them), each given to `each`.
fn each_outside(target: Target, mut each: impl FnMut(&Process)) -> Result<(), Unlisted> {
    for p in table::descendants()?.iter() {
        if !p.zombie() && !reached(target, p) {
            each(p);
        }
    }
    Ok(())
}

/// The same, as a log line shows them.
pub fn outside(target: Target) -> Sample {
    Sample::walk(|add| each_outside(target, add))
}

/// `-v`: says once of each process that it left the command's group.
#[derive(Default)]
pub struct Leavers {
    /// The pids outside the group last time, sorted.
    told: RefCell<Vec<i32>>,
}

impl Leavers {
    /// Looks for new leavers; called when a signal was relayed or a child
    /// reaped, so rinit never polls for them. Linear in the processes
    /// below rinit (and n log n to sort them); when memory runs out it
    /// looks another time.
    pub fn notice(&self, log: &Log, target: Target) {
        if !matches!(target, Target::Group(_)) {
            return;
        }
        let mut now: Vec<Process> = Vec::new();
        let mut short = false;
        let listed = each_outside(target, |p| match now.try_reserve(1) {
            Ok(()) => now.push(*p),
            Err(_) => short = true,
        });
        if listed.is_err() || short {
            return;
        }
        sort(&mut now, |a, b| a.pid < b.pid);
        let mut told = self.told.borrow_mut();
        let new = Sample::of(now.iter().filter(|p| told.binary_search(&p.pid).is_err()));
        // Remember exactly who is outside now: the ones gone are forgotten,
        // and a reused pid is news again.
        told.clear();
        if told.try_reserve(now.len()).is_err() {
            return;
        }
        told.extend(now.iter().map(|p| p.pid));
        if new.is_empty() {
            return;
        }
        info!(
            log,
            "left the command's process group, so relayed signals no longer reach them (-a sends them a stop, --signal-all=every every signal): {new}"
        );
    }
}
