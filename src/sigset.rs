//! `KernelSet`: a signal set as the kernel takes it, all 64 signals.

use std::{io, ptr};

use crate::signal::Signal;

/// A signal set as the kernel lays it out: 64 bits, bit N-1 for signal N,
/// in native words. rinit hands it to the system calls itself because the C
/// libraries will not take all 64: glibc's sigaddset and sigprocmask refuse
/// or strip 32 and 33, musl's sigaddset 32 to 34, the numbers they keep for
/// their threads (cancellation, set*id on every thread, timer threads, the
/// synccall). rinit never cancels a thread, changes ids or uses timer
/// threads, so it may own those numbers (its one thread, the log's writer,
/// blocks them all: see `signals::block_in_this_thread`): a process sending one to
/// rinit means it for the command, and the command's C library ignores one
/// that kill() sent (glibc and musl act only on their own, sent with tgkill
/// from within).
#[derive(Clone, Copy, Default)]
pub struct KernelSet {
    pub words: [libc::c_ulong; 64 / libc::c_ulong::BITS as usize],
}

impl KernelSet {
    pub const SIZE: usize = 8;

    pub fn of(signals: impl Iterator<Item = Signal>) -> KernelSet {
        let mut set = KernelSet::default();
        let bits = libc::c_ulong::BITS as usize;
        for sig in signals {
            let bit = sig.number() as usize - 1;
            if let Some(word) = set.words.get_mut(bit / bits) {
                *word |= 1 << (bit % bits);
            }
        }
        set
    }

    /// rt_sigprocmask(2) with this set; `old` gets the mask it replaced.
    /// Async-signal-safe: the child calls it between clone and exec.
    pub fn mask(&self, how: libc::c_int, old: Option<&mut KernelSet>) -> io::Result<()> {
        let old = old.map_or(ptr::null_mut(), |o| o.words.as_mut_ptr());
        // SAFETY: both pointers are to 8-byte kernel sigsets (or null).
        let ret = unsafe {
            libc::syscall(
                libc::SYS_rt_sigprocmask,
                how,
                self.words.as_ptr(),
                old,
                KernelSet::SIZE,
            )
        };
        match ret {
            0 => Ok(()),
            _ => Err(io::Error::last_os_error()),
        }
    }
}
