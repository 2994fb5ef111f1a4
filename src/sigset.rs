//! `KernelSet`: a signal set as the kernel takes it, all 64 signals.

use std::{io, mem, ptr};

/// 1 to 64 but SIGKILL (9) and SIGSTOP (19), as `Signal::relayed` lists them.
#[allow(clippy::indexing_slicing)] // evaluated at compile time
const RELAYED_NUMBERS: [libc::c_int; 62] = {
    let mut numbers = [0; 62];
    let (mut n, mut i) = (1, 0);
    while n <= 64 {
        if n != libc::SIGKILL && n != libc::SIGSTOP {
            numbers[i] = n;
            i += 1;
        }
        n += 1;
    }
    numbers
};

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

    /// Every signal rinit relays: all but SIGKILL and SIGSTOP.
    pub const RELAYED: KernelSet = KernelSet::of(&RELAYED_NUMBERS);

    /// The set of the signals numbered in `numbers` (1 to 64), built at
    /// compile time: an index out of range fails the build, never rinit.
    #[allow(clippy::indexing_slicing)]
    pub const fn of(numbers: &[libc::c_int]) -> KernelSet {
        let mut set = KernelSet {
            words: [0; 64 / libc::c_ulong::BITS as usize],
        };
        let bits = libc::c_ulong::BITS as usize;
        let mut i = 0;
        while i < numbers.len() {
            let bit = numbers[i] as usize - 1;
            set.words[bit / bits] |= 1 << (bit % bits);
            i += 1;
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

impl KernelSet {
    /// rt_sigtimedwait(2): takes one pending signal of the set as signalfd
    /// would give it, waiting up to `timeout` (None: for ever) for one;
    /// None when none came (EAGAIN, EINTR).
    pub fn take(&self, timeout: Option<&libc::timespec>) -> io::Result<Option<Taken>> {
        // SAFETY: siginfo_t is plain data: all-zero is a valid value.
        let mut info: libc::siginfo_t = unsafe { mem::zeroed() };
        let timeout = timeout.map_or(ptr::null(), |t| t as *const libc::timespec);
        // SAFETY: a kernel sigset of the size passed, a live siginfo and a
        // timespec or null.
        let signo = unsafe {
            libc::syscall(
                libc::SYS_rt_sigtimedwait,
                self.words.as_ptr(),
                &mut info,
                timeout,
                KernelSet::SIZE,
            )
        };
        if signo <= 0 {
            let err = io::Error::last_os_error();
            return match err.raw_os_error() {
                Some(libc::EAGAIN | libc::EINTR) => Ok(None),
                _ => Err(err),
            };
        }
        // SAFETY: signalfd_siginfo is plain integers: all-zero is a valid value.
        let mut taken: Taken = unsafe { mem::zeroed() };
        taken.ssi_signo = signo as u32;
        taken.ssi_code = info.si_code;
        // SAFETY: the kernel filled in `info` for a signal; pid and uid are
        // those of a kill() or sigqueue(), 0 for the kernel's own.
        unsafe {
            taken.ssi_pid = info.si_pid() as u32;
            taken.ssi_uid = info.si_uid();
        }
        Ok(Some(taken))
    }
}

/// A signal taken by `KernelSet::take`, in the signalfd's record.
pub type Taken = libc::signalfd_siginfo;

/// No wait at all, for `KernelSet::take`.
pub const NOW: libc::timespec = libc::timespec {
    tv_sec: 0,
    tv_nsec: 0,
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signal::Signal;

    #[test]
    #[allow(clippy::useless_conversion)] // c_ulong is u32 on 32-bit machines
    fn relayed_is_every_signal_signal_relayed_lists() {
        let numbers: Vec<libc::c_int> = Signal::relayed().map(Signal::number).collect();
        assert_eq!(KernelSet::RELAYED.words, KernelSet::of(&numbers).words);
        let bits: u64 = KernelSet::RELAYED
            .words
            .iter()
            .enumerate()
            .map(|(i, &w)| u64::from(w) << (i as u32 * libc::c_ulong::BITS))
            .sum();
        assert_eq!(bits, 0xffff_ffff_fffb_feff);
    }
}
