//! Starting rinit's one thread (the log's writer) without giving the C
//! library's reserved signals a moment of their own.
//!
//! The first pthread_create unblocks, in the calling thread, the real-time
//! signals the C library keeps for itself (glibc 32 and 33, with a handler
//! for 33; musl 33 and 34), and the new thread starts with that mask. Both
//! threads block them again at once (`signals::block_in_this_thread`), but
//! until they have, one of them arriving would take its default action:
//! the end of rinit as a subreaper, a signal lost as PID 1. So around the
//! call they are ignored, and the kernel discards one that arrives then;
//! those already pending, which ignoring them would discard too, are read
//! out first and handed to the signal loop ahead of the signalfd's. Once
//! both threads have blocked them again they get their default action back
//! (one that arrives before that is lost, never fatal); a command started
//! meanwhile gets it back in the child before exec (`ignoring`),
//! as an ignored signal stays ignored across exec. glibc's handler for 33
//! stays: blocked in every thread, it never runs.

use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::Mutex;
use std::{mem, ptr};

use crate::sigset::{self, KernelSet};

/// What glibc and musl keep for themselves, together.
const RESERVED: [libc::c_int; 3] = [32, 33, 34];

/// At most this many pending ones are read out; with more pending (a
/// real-time signal queues), they are left blocked and pending rather than
/// ignored, and the moment goes unguarded.
pub const ROOM: usize = 16;

struct Rescued {
    infos: [libc::signalfd_siginfo; ROOM],
    len: usize,
}

static RESCUED: Mutex<Rescued> = Mutex::new(Rescued {
    // SAFETY: signalfd_siginfo is plain integers: all-zero is a valid value.
    infos: unsafe { mem::zeroed() },
    len: 0,
});

/// How many threads have blocked every signal again since `before`.
static BLOCKED: AtomicU8 = AtomicU8::new(0);

/// Set while the reserved signals are ignored for the thread's start.
static IGNORED: AtomicBool = AtomicBool::new(false);

/// The reserved signals `before` ignored (bit N-32 for signal N): those
/// at their default action. One rinit was started with ignored stays so,
/// and glibc's handler for 33 (a retry after a failed start) stays too.
static MADE_IGNORED: AtomicU8 = AtomicU8::new(0);

/// Right before pthread_create: reads out the pending reserved signals and
/// ignores the three, if all of them could be read out.
pub fn before() {
    BLOCKED.store(0, Ordering::Release);
    if !rescue() {
        return;
    }
    let mut made = 0;
    for sig in RESERVED {
        if action(sig, None) == Some(libc::SIG_DFL) && action(sig, Some(libc::SIG_IGN)).is_some() {
            made |= 1 << (sig - 32);
        }
    }
    MADE_IGNORED.store(made, Ordering::Release);
    IGNORED.store(true, Ordering::Release);
}

/// In each thread once it has blocked every signal again; `threads`: how
/// many will (2, or 1 when no thread started). The last gives the reserved
/// signals their actions back.
pub fn blocked(threads: u8) {
    if BLOCKED.fetch_add(1, Ordering::AcqRel) + 1 >= threads && IGNORED.load(Ordering::Acquire) {
        restore();
        IGNORED.store(false, Ordering::Release);
    }
}

/// Whether the reserved signals are ignored for the thread's start. Asked
/// by rinit right before it clones the command's child, which copies the
/// actions then: the child cannot ask itself, as the writer thread may
/// restore rinit's actions meanwhile, not the copy.
pub fn ignoring() -> bool {
    IGNORED.load(Ordering::Acquire)
}

/// Each reserved signal `before` ignored, and still ignored (glibc's
/// handler for 33, installed meanwhile, stays), gets its default action
/// back. In the command's child too, before exec, when `ignoring` said so:
/// async-signal-safe, atomics and rt_sigaction.
pub fn restore() {
    let made = MADE_IGNORED.load(Ordering::Acquire);
    for sig in RESERVED {
        if made & 1 << (sig - 32) != 0 && action(sig, None) == Some(libc::SIG_IGN) {
            action(sig, Some(libc::SIG_DFL));
        }
    }
}

/// Moves what `before` read out into `batch`, returning how many.
pub fn take_rescued(batch: &mut [libc::signalfd_siginfo]) -> usize {
    let mut rescued = RESCUED.lock().unwrap_or_else(|e| e.into_inner());
    let n = rescued.len.min(batch.len());
    if n == 0 {
        return 0;
    }
    for (slot, info) in batch.iter_mut().zip(rescued.infos.iter()).take(n) {
        *slot = *info;
    }
    // All of them: a batch holds ROOM (signals checks it at compile time).
    rescued.len = 0;
    n
}

/// Reads the pending reserved signals out (rt_sigtimedwait with no wait);
/// true when none is left pending.
fn rescue() -> bool {
    let set = KernelSet::of(&RESERVED);
    let mut rescued = RESCUED.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        let taken = match set.take(Some(&sigset::NOW)) {
            Ok(Some(taken)) => taken,
            // None left; or unknown (seccomp): not guarded then.
            Ok(None) => return true,
            Err(_) => return false,
        };
        let len = rescued.len;
        let Some(slot) = rescued.infos.get_mut(len) else {
            return false;
        };
        *slot = taken;
        rescued.len += 1;
        if rescued.len == ROOM {
            return false;
        }
    }
}

/// The kernel's `struct sigaction` as rt_sigaction(2) takes it, on every
/// architecture rinit ships (the handler first; mips alone differs).
#[repr(C)]
struct KernelAction {
    handler: libc::sighandler_t,
    flags: libc::c_ulong,
    restorer: usize,
    mask: KernelSet,
}

/// rt_sigaction(2) for `sig`: the current handler, after setting `set`
/// (SIG_IGN or SIG_DFL, which need no restorer), if given.
fn action(sig: libc::c_int, set: Option<libc::sighandler_t>) -> Option<libc::sighandler_t> {
    let new = set.map(|handler| KernelAction {
        handler,
        flags: 0,
        restorer: 0,
        mask: KernelSet::default(),
    });
    let mut old = KernelAction {
        handler: 0,
        flags: 0,
        restorer: 0,
        mask: KernelSet::default(),
    };
    let new_ptr = new
        .as_ref()
        .map_or(ptr::null(), |n| n as *const KernelAction);
    // SAFETY: `new` (or null) and `old` are live KernelActions of the
    // kernel's layout; the handlers set run no code.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_rt_sigaction,
            sig,
            new_ptr,
            &mut old,
            KernelSet::SIZE,
        )
    };
    (ret == 0).then_some(old.handler)
}
