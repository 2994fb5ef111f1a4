//! The log writer thread: the one place in rinit that may wait on stderr.
//!
//! Some stderrs cannot be written without the risk of sleeping, because
//! rinit may only write them through the open file description it shares
//! with the command, where it must not set O_NONBLOCK: a terminal it may
//! not reopen (another user's pty, `/dev/console` as a user), whose write
//! sleeps until the whole line is taken whatever poll said (n_tty_write:
//! POLLOUT only means some room); a pipe it may not reopen on a kernel
//! without RWF_NOWAIT for pipes (before Linux 6.4); a regular file on a
//! stalled network or FUSE file system. For those, rinit's loop only copies
//! the line into a fixed queue here; a thread of its own, started at the
//! first such line, writes the lines out and may sleep as long as the
//! reader stalls. The loop never waits for it: a line that finds the queue
//! full is dropped, and counted by the caller.
//!
//! The queue is a static: the thread outlives every frame of rinit's, and
//! its 16 kB are in .bss, not resident until a line is queued. Both sides
//! hold the lock only to copy a line.
//!
//! The thread is the C library's (pthread_create, which reports a failure
//! where std's spawn would abort), and the C library's first thread opens
//! the signal mask: rinit blocks every signal again in both threads, and
//! guards the moment before they have (see `thread_start`). When no thread can be started (pids.max reached, clone
//! denied by seccomp), the caller writes the line itself if it can do so
//! without waiting (`Queued::NoThread`), and tries the thread again at the
//! next line.

use std::cell::UnsafeCell;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use std::{io, ptr};

use crate::{signals, thread_start};

/// Bytes of queued lines: a few long reports, or a hundred short lines.
const SIZE: usize = 16 * 1024;

/// The writer's stack: a line buffer and a few calls.
const STACK: usize = 64 * 1024;

/// The writer's stack, in .bss: resident only as far as it is used, and
/// the one thread there ever is (a start that failed left it unused).
#[repr(align(16))]
struct Stack(UnsafeCell<[u8; STACK]>);

// SAFETY: only the writer thread touches it, through the C library.
unsafe impl Sync for Stack {}

static THREAD_STACK: Stack = Stack(UnsafeCell::new([0; STACK]));

/// A line is at most this long (the caller cuts its lines at PIPE_BUF).
const LINE_MAX: usize = libc::PIPE_BUF;

struct Queue {
    /// Lines, each as a 2-byte length and its bytes, wrapping around.
    bytes: [u8; SIZE],
    start: usize,
    len: usize,
    /// The writer holds a line it took from the queue.
    writing: bool,
    started: bool,
}

static QUEUE: Mutex<Queue> = Mutex::new(Queue {
    bytes: [0; SIZE],
    start: 0,
    len: 0,
    writing: false,
    started: false,
});
/// Signalled when a line is queued.
static QUEUED: Condvar = Condvar::new();
/// Signalled when a line was written.
static WRITTEN: Condvar = Condvar::new();

fn lock() -> MutexGuard<'static, Queue> {
    // Nothing panics while holding it; a poisoned lock is still consistent.
    QUEUE.lock().unwrap_or_else(|e| e.into_inner())
}

impl Queue {
    fn put(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if let Some(slot) = self.bytes.get_mut((self.start + self.len) % SIZE) {
                *slot = b;
            }
            self.len += 1;
        }
    }

    fn take(&mut self, out: &mut [u8]) {
        for slot in out.iter_mut() {
            *slot = self.bytes.get(self.start).copied().unwrap_or(0);
            self.start = (self.start + 1) % SIZE;
            self.len -= 1;
        }
    }

    fn idle(&self) -> bool {
        self.len == 0 && !self.writing
    }
}

/// What became of a line handed to the writer.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Queued {
    Yes,
    /// The queue is full: the line is dropped.
    Full,
    /// No thread could be started: the line is the caller's again.
    NoThread,
}

/// Queues `line` for the writer, starting it the first time.
pub fn queue(line: &[u8]) -> Queued {
    let line = line.get(..LINE_MAX).unwrap_or(line);
    let mut q = lock();
    if !q.started {
        if start().is_err() {
            return Queued::NoThread;
        }
        q.started = true;
    }
    if SIZE - q.len < line.len() + 2 {
        return Queued::Full;
    }
    q.put(&(line.len() as u16).to_ne_bytes());
    q.put(line);
    drop(q);
    QUEUED.notify_one();
    Queued::Yes
}

/// Waits for the queued lines to be written, while the writer keeps going:
/// up to `patience` for each line, `most` in all. For exit, so that its
/// last lines come out when the reader reads, and rinit still exits when
/// it does not.
pub fn flush(patience: Duration, most: Duration) {
    let started = Instant::now();
    let mut q = lock();
    let mut progress = Instant::now();
    while !q.idle() {
        let now = Instant::now();
        let Some(left) = (progress + patience)
            .min(started + most)
            .checked_duration_since(now)
            .filter(|d| !d.is_zero())
        else {
            return;
        };
        let before = q.len;
        q = WRITTEN
            .wait_timeout(q, left)
            .unwrap_or_else(|e| e.into_inner())
            .0;
        if q.len < before {
            progress = Instant::now();
        }
    }
}

/// Starts the writer: a detached thread with a small stack. Through
/// pthread_create, which reports a failure (no memory for the stack)
/// where std's spawn would abort.
fn start() -> io::Result<()> {
    // SAFETY: attr is initialised before use and destroyed after; the
    // thread's function takes no argument and never returns.
    unsafe {
        let mut attr: libc::pthread_attr_t = std::mem::zeroed();
        if libc::pthread_attr_init(&mut attr) != 0 {
            return Err(io::Error::from_raw_os_error(libc::ENOMEM));
        }
        // rinit's own stack: the C library then maps none (musl maps its
        // guard page with mprotect, and takes a seccomp ENOSYS for success).
        libc::pthread_attr_setstack(&mut attr, THREAD_STACK.0.get().cast(), STACK);
        libc::pthread_attr_setdetachstate(&mut attr, libc::PTHREAD_CREATE_DETACHED);
        let mut thread: libc::pthread_t = std::mem::zeroed();
        thread_start::before();
        let started = libc::pthread_create(&mut thread, &attr, writer, ptr::null_mut());
        libc::pthread_attr_destroy(&mut attr);
        // Even when it failed: the C library may have opened the mask
        // before it tried to clone.
        let _ = signals::block_in_this_thread();
        thread_start::blocked(if started == 0 { 2 } else { 1 });
        match started {
            0 => Ok(()),
            e => Err(io::Error::from_raw_os_error(e)),
        }
    }
}

/// The writer: takes one line at a time off the queue and writes it whole
/// to stderr, waiting as long as stderr makes it. Its first act blocks
/// every signal the C library unblocked for it, so signals stay the loop's
/// (a failure here cannot be: the same call succeeded at rinit's start).
extern "C" fn writer(_: *mut libc::c_void) -> *mut libc::c_void {
    let _ = signals::block_in_this_thread();
    thread_start::blocked(2);
    let mut line = [0u8; LINE_MAX];
    loop {
        let len = {
            let mut q = lock();
            while q.len == 0 {
                q = QUEUED.wait(q).unwrap_or_else(|e| e.into_inner());
            }
            let mut len = [0u8; 2];
            q.take(&mut len);
            let len = usize::from(u16::from_ne_bytes(len)).min(LINE_MAX);
            q.take(line.get_mut(..len).unwrap_or_default());
            q.writing = true;
            len
        };
        write_all(line.get(..len).unwrap_or_default());
        lock().writing = false;
        WRITTEN.notify_all();
    }
}

/// Writes `bytes` to fd 2, as long as it takes; gives up on the line on an
/// error other than a wait (EPIPE: nobody will read it).
fn write_all(mut bytes: &[u8]) {
    while !bytes.is_empty() {
        // SAFETY: `bytes` is a live buffer of `bytes.len()` bytes.
        let n = unsafe { libc::write(libc::STDERR_FILENO, bytes.as_ptr().cast(), bytes.len()) };
        match usize::try_from(n) {
            Ok(n) => bytes = bytes.get(n..).unwrap_or_default(),
            Err(_) => match io::Error::last_os_error().raw_os_error() {
                Some(libc::EINTR) => {}
                // Someone set O_NONBLOCK on the shared description: wait
                // for room here, where waiting is allowed.
                Some(libc::EAGAIN) => {
                    let mut fds = libc::pollfd {
                        fd: libc::STDERR_FILENO,
                        events: libc::POLLOUT,
                        revents: 0,
                    };
                    // SAFETY: one live pollfd.
                    unsafe { libc::poll(&mut fds, 1, -1) };
                }
                _ => return,
            },
        }
    }
}
