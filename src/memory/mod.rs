//! Memory running out: a tight RLIMIT_AS, a host with strict overcommit, a
//! container at its limit.
//!
//! Before the command runs nothing is lost yet: a failed allocation ends
//! rinit with one line and status 126, never an abort. From the moment the
//! command is started, rinit must not end (the kernel would SIGKILL the
//! namespace): its every allocation from then on is fallible
//! (`try_reserve`) or absent (fixed buffers on the stack), and the
//! allocator hands a failure back to it as the null pointer Rust expects.
//!
//! The debug build takes `RINIT_TEST_NO_MEMORY=1` to refuse every
//! allocation once the command runs, so the tests prove there is none
//! left on that path that cannot fail (an infallible one would abort).

mod heap;

use std::alloc::{GlobalAlloc, Layout};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

pub struct Allocator;

/// Set once the command runs: failures go back to the caller.
static COMMAND_RUNS: AtomicBool = AtomicBool::new(false);
/// Debug builds, for the tests: refuse everything once the command runs.
static REFUSE: AtomicBool = AtomicBool::new(false);
/// The `[name]` of rinit's lines, for the out-of-memory one.
static PREFIX: OnceLock<&'static str> = OnceLock::new();

/// Names the init in the line an early failure prints.
pub fn name(prefix: &'static str) {
    let _ = PREFIX.set(prefix);
}

/// From now on an allocation that fails returns null to its caller.
pub fn command_runs() {
    #[cfg(debug_assertions)]
    if std::env::var_os("RINIT_TEST_NO_MEMORY").is_some_and(|v| v == "1") {
        REFUSE.store(true, Ordering::Relaxed);
    }
    COMMAND_RUNS.store(true, Ordering::Relaxed);
}

/// Whether a failed allocation may go back to its caller; before the
/// command runs it ends rinit instead, with a line (no formatting: that
/// could allocate) and 126.
fn failed() {
    if COMMAND_RUNS.load(Ordering::Relaxed) {
        return;
    }
    let prefix = PREFIX.get().copied().unwrap_or("rinit");
    for part in ["[", prefix, "] out of memory before the command started\n"] {
        // SAFETY: a live buffer of its length; nothing to do on failure.
        unsafe { libc::write(libc::STDERR_FILENO, part.as_ptr().cast(), part.len()) };
    }
    // SAFETY: _exit ends the process at once; nothing of rinit's is left
    // to clean up (no command runs).
    unsafe { libc::_exit(126) }
}

fn refused() -> bool {
    REFUSE.load(Ordering::Relaxed)
}

// SAFETY: every call goes to the heap with the caller's arguments; a
// refusal or failure is the null pointer GlobalAlloc allows.
unsafe impl GlobalAlloc for Allocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = match refused() {
            true => std::ptr::null_mut(),
            false => heap::alloc(layout),
        };
        if p.is_null() {
            failed();
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = match refused() {
            true => std::ptr::null_mut(),
            false => heap::alloc_zeroed(layout),
        };
        if p.is_null() {
            failed();
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from this allocator, that is from the heap.
        unsafe { heap::dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = match refused() {
            true => std::ptr::null_mut(),
            // SAFETY: `ptr` came from the heap with `layout`.
            false => unsafe { heap::realloc(ptr, layout, new_size) },
        };
        if p.is_null() {
            failed();
        }
        p
    }
}
