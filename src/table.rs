//! The processes rinit answers for, as lists it can afford: one read of
//! `/proc` into fallibly reserved memory, sorted by parent once, so finding
//! every descendant costs n log n whatever the shape of the tree (a chain
//! 2,000 deep or 10,000 siblings); and the bounded samples log lines show,
//! built on the stack.
//!
//! When memory runs out (a tight RLIMIT_AS, strict overcommit), nothing
//! here aborts: a table that cannot be had is an error the caller degrades
//! on, and a sample says its list was omitted.

use std::fmt;
use std::io;

use crate::procfs::{self, Process};
use crate::sort::sort;

/// Why a list of processes could not be had.
#[derive(Clone, Copy, Debug)]
pub enum Unlisted {
    /// /proc could not be read: its error number.
    Proc(i32),
    /// /proc is another PID namespace's: its pids are not rinit's to signal.
    Foreign,
    OutOfMemory,
}

impl From<io::Error> for Unlisted {
    fn from(e: io::Error) -> Unlisted {
        Unlisted::Proc(e.raw_os_error().unwrap_or(libc::EIO))
    }
}

/// Every process /proc showed, sorted by parent.
pub struct Table {
    procs: Vec<Process>,
}

impl Table {
    /// Reads /proc once.
    pub fn read() -> Result<Table, Unlisted> {
        let mut procs: Vec<Process> = Vec::new();
        let mut short = false;
        scan(&mut |p| {
            if short {
                return;
            }
            if procs.len() == procs.capacity() && procs.try_reserve(procs.len().max(64)).is_err() {
                short = true;
                return;
            }
            // Within the capacity just reserved: push never allocates here.
            procs.push(p);
        })?;
        if short {
            return Err(Unlisted::OutOfMemory);
        }
        sort(&mut procs, |a, b| a.ppid < b.ppid);
        Ok(Table { procs })
    }

    pub fn all(&self) -> &[Process] {
        &self.procs
    }

    /// The children of `parent`: a run of the sorted table.
    fn children(&self, parent: i32) -> &[Process] {
        let from = self.procs.partition_point(|p| p.ppid < parent);
        let to = self.procs.partition_point(|p| p.ppid <= parent);
        self.procs.get(from..to).unwrap_or_default()
    }

    /// The processes below `root` (children, their children, ...), parents
    /// before their children.
    pub fn below(&self, root: i32) -> Result<Vec<Process>, Unlisted> {
        let mut found: Vec<Process> = Vec::new();
        found
            .try_reserve_exact(self.procs.len())
            .map_err(|_| Unlisted::OutOfMemory)?;
        // Each process has one parent, so it is found at most once and
        // `found` never outgrows what was reserved; the list is its own queue.
        found.extend(self.children(root).iter().filter(|p| p.pid != root));
        let mut next = 0;
        while let Some(parent) = found.get(next).map(|p| p.pid) {
            let room = found.capacity() - found.len();
            let kids = self.children(parent).iter().filter(|p| p.pid != root);
            found.extend(kids.take(room));
            next += 1;
        }
        Ok(found)
    }
}

/// The processes rinit answers for, each given to `each`: as PID 1 every
/// other process of the namespace (read as /proc is scanned, no table);
/// otherwise its descendants. Through `dyn`: one copy of the walk serves
/// every caller.
pub fn each_other(each: &mut dyn FnMut(&Process)) -> Result<(), Unlisted> {
    let me = std::process::id() as i32;
    if me == 1 {
        scan(&mut |p| {
            if p.pid != me {
                each(&p)
            }
        })?;
        return Ok(());
    }
    Table::read()?.below(me)?.iter().for_each(each);
    Ok(())
}

/// Every process /proc shows, when it is this namespace's /proc. An empty
/// directory where /proc is not mounted lists nobody: an error too, lest
/// "nobody" be taken for "nobody left".
fn scan(each: &mut dyn FnMut(Process)) -> Result<(), Unlisted> {
    match procfs::view() {
        procfs::View::Ours => Ok(procfs::scan(each)?),
        procfs::View::Foreign => Err(Unlisted::Foreign),
        procfs::View::Absent => Err(Unlisted::Proc(libc::ENOENT)),
    }
}

/// rinit's descendants, as PID 1 too: a process entered from outside the
/// namespace (`docker exec`) has parent 0 there and is not among them.
pub fn descendants() -> Result<Vec<Process>, Unlisted> {
    Table::read()?.below(std::process::id() as i32)
}

/// How many processes a line names before "and N more".
const SHOWN: usize = 20;

/// What a log line shows of a list of processes: the first few and how
/// many there were, on the stack.
pub struct Sample {
    first: [Process; SHOWN],
    total: usize,
    unlisted: Option<Unlisted>,
}

impl Sample {
    pub fn of<'p>(procs: impl IntoIterator<Item = &'p Process>) -> Sample {
        let mut sample = Sample::empty();
        procs.into_iter().for_each(|p| sample.add(p));
        sample
    }

    pub fn empty() -> Sample {
        Sample {
            first: [Process::default(); SHOWN],
            total: 0,
            unlisted: None,
        }
    }

    pub fn add(&mut self, p: &Process) {
        if let Some(slot) = self.first.get_mut(self.total) {
            *slot = *p;
        }
        self.total += 1;
    }

    /// The processes rinit answers for (see `each_other`).
    #[inline(never)]
    pub fn others() -> Sample {
        Sample::walk(each_other)
    }

    /// What `walk` hands to the function it is given; an error it returns
    /// makes the sample say why it has no list.
    pub fn walk(walk: impl FnOnce(&mut dyn FnMut(&Process)) -> Result<(), Unlisted>) -> Sample {
        let mut sample = Sample::empty();
        let walked = walk(&mut |p| sample.add(p));
        match walked {
            Ok(()) => sample,
            Err(why) => Sample::unlisted(why),
        }
    }

    /// A sample that could not be made.
    pub fn unlisted(why: Unlisted) -> Sample {
        Sample {
            unlisted: Some(why),
            ..Sample::empty()
        }
    }

    pub fn len(&self) -> usize {
        self.total
    }

    pub fn is_empty(&self) -> bool {
        self.total == 0 && self.unlisted.is_none()
    }
}

impl fmt::Display for Sample {
    /// "12 (sleep), 15 (python3), and 3 more"; an empty list says whether
    /// /proc showed nobody, could not be read, or memory ran out.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.unlisted {
            Some(Unlisted::OutOfMemory) => return write!(f, "(list omitted: out of memory)"),
            Some(Unlisted::Foreign) => return write!(f, "(unknown: /proc is another namespace's)"),
            Some(Unlisted::Proc(errno)) => {
                return write!(
                    f,
                    "(unknown: rinit cannot read /proc: {})",
                    io::Error::from_raw_os_error(errno)
                )
            }
            None if self.total == 0 => return write!(f, "(none that /proc shows)"),
            None => {}
        }
        for (i, p) in self.first.iter().take(self.total).enumerate() {
            let comma = if i > 0 { ", " } else { "" };
            write!(f, "{comma}{} ({})", p.pid, p.name)?;
        }
        if self.total > SHOWN {
            write!(f, ", and {} more", self.total - SHOWN)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proc(pid: i32, ppid: i32) -> Process {
        Process {
            pid,
            ppid,
            pgid: pid,
            ..Process::default()
        }
    }

    fn table(mut procs: Vec<Process>) -> Table {
        sort(&mut procs, |a, b| a.ppid < b.ppid);
        Table { procs }
    }

    #[test]
    fn below_finds_every_descendant_in_any_order_and_nothing_else() {
        // 10 -> 11 -> 12 -> 13, 10 -> 14; 20 is not below 10.
        let t = table(vec![
            proc(13, 12),
            proc(20, 1),
            proc(11, 10),
            proc(14, 10),
            proc(12, 11),
            proc(10, 1),
        ]);
        let mut found: Vec<i32> = t.below(10).unwrap().iter().map(|p| p.pid).collect();
        found.sort_unstable();
        assert_eq!(found, [11, 12, 13, 14]);
        assert!(t.below(13).unwrap().is_empty());
    }

    #[test]
    fn a_deep_chain_costs_n_log_n() {
        let n = 200_000;
        let t = table((2..n).map(|pid| proc(pid, pid - 1)).collect());
        let started = std::time::Instant::now();
        assert_eq!(t.below(1).unwrap().len(), (n - 2) as usize);
        // A sweep per level would take minutes.
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
    }

    #[test]
    fn a_sample_names_twenty_and_counts_the_rest() {
        let procs: Vec<Process> = (1..=25).map(|pid| proc(pid, 0)).collect();
        let shown = Sample::of(&procs).to_string();
        assert!(shown.starts_with("1 (), 2 ()"), "{shown}");
        assert!(shown.ends_with("20 (), and 5 more"), "{shown}");
        assert_eq!(
            Sample::unlisted(Unlisted::OutOfMemory).to_string(),
            "(list omitted: out of memory)"
        );
    }
}
