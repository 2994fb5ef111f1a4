//! Letting go of the descriptors rinit was handed.
//!
//! Whatever an engine hands the container's first process beyond 0-2 (a
//! pipe, sockets for socket activation: `LISTEN_FDS`, podman
//! `--preserve-fds`) is for the command, which got its copies at exec. An
//! init that keeps its own copies for the container's whole life keeps a
//! pipe from ever reaching EOF after the command closed its end, and a
//! listening socket queueing connections nobody will accept. So once the
//! command runs, rinit closes every descriptor from 3 up but its own (the
//! signalfd, the log's), as catatonit does.

use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, RawFd};

use crate::dirents;

/// Closes every descriptor from 3 up except those in `keep`.
/// The command runs already: nothing is allocated.
pub fn close_inherited(keep: [RawFd; 2]) -> io::Result<()> {
    let [a, b] = keep;
    let keep = if a <= b { [a, b] } else { [b, a] };
    let keep = keep.iter().filter(|&&fd| fd >= 3);
    // The runs between the kept ones: [3, k1-1], [k1+1, k2-1], ..., [kn+1, ~0].
    let mut first = 3u32;
    for kept in keep.map(|&fd| fd as u32).chain([u32::MAX]) {
        if kept > first {
            close_range(first, kept.saturating_sub(1))?;
        }
        first = kept.saturating_add(1);
    }
    Ok(())
}

/// close_range(2) (Linux 5.9), or else one close(2) a descriptor /proc
/// lists: nothing allocated. Whatever the error: a kernel or qemu-user
/// without it answers ENOSYS, a seccomp profile that does not know it
/// EPERM (older Docker and containerd) or ENOSYS.
fn close_range(first: u32, last: u32) -> io::Result<()> {
    // SAFETY: close_range only closes descriptors; none in this range is
    // one that rinit still uses (its own are kept out of every range).
    if unsafe { libc::syscall(libc::SYS_close_range, first, last, 0u32) } == 0 {
        return Ok(());
    }
    close_listed(first, last)
}

/// Closes each descriptor from `first` to `last` that /proc/self/fd lists.
fn close_listed(first: u32, last: u32) -> io::Result<()> {
    // Closed as listed: /proc lists descriptors in order from the offset it
    // reached, so closing those already listed skips none.
    let dir = File::open("/proc/self/fd")?;
    let listing = dir.as_raw_fd();
    dirents::numbered(listing, &mut |fd| {
        if fd != listing && (first..=last).contains(&(fd as u32)) {
            // SAFETY: as above; a descriptor already closed gives EBADF, harmless.
            unsafe { libc::close(fd) };
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_proc_lists_in_the_range_is_closed_and_nothing_else() {
        let null = File::open("/dev/null").unwrap();
        // High numbers no other test uses.
        for fd in [900, 901, 905, 910] {
            // SAFETY: duplicates a descriptor of the test's onto a free number.
            assert_eq!(unsafe { libc::dup2(null.as_raw_fd(), fd) }, fd);
        }
        close_listed(900, 905).unwrap();
        // SAFETY: F_GETFD only asks whether the descriptor is open.
        let open = |fd| unsafe { libc::fcntl(fd, libc::F_GETFD) } != -1;
        assert!(![900, 901, 905].into_iter().any(open));
        assert!(open(910));
        // SAFETY: the test's own descriptor.
        unsafe { libc::close(910) };
    }
}
