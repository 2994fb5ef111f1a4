//! Every wait a test makes has a deadline: `Deadline` is the one place the
//! tests read the clock, `within` and its kin ask a check until it holds,
//! `timed` is for tests whose assertion is a time.

use std::fs;
use std::io::Read;
use std::process::Child;
use std::thread;
use std::time::{Duration, Instant};

use super::PATIENCE;

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
