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

use std::io;
use std::os::fd::RawFd;

/// Closes every descriptor from 3 up except those in `keep`.
/// The command runs already: `keep` is sorted in place, nothing allocated.
pub fn close_inherited(mut keep: [RawFd; 2]) -> io::Result<()> {
    // Sorted as the i32s they are (one sort of i32 in the binary, not two).
    keep.sort_unstable();
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

/// close_range(2) (Linux 5.9), or one close(2) a descriptor /proc lists
/// where the kernel (or qemu-user) does not have it.
fn close_range(first: u32, last: u32) -> io::Result<()> {
    // SAFETY: close_range only closes descriptors; none in this range is
    // one that rinit still uses (its own are kept out of every range).
    if unsafe { libc::syscall(libc::SYS_close_range, first, last, 0u32) } == 0 {
        return Ok(());
    }
    let err = io::Error::last_os_error();
    if err.raw_os_error() != Some(libc::ENOSYS) {
        return Err(err);
    }
    // Listed first, closed after: the listing's own descriptor is gone by then.
    let open: Vec<u32> = std::fs::read_dir("/proc/self/fd")?
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse().ok())
        .filter(|fd| (first..=last).contains(fd))
        .collect();
    for fd in open {
        // SAFETY: as above; a descriptor already closed gives EBADF, harmless.
        unsafe { libc::close(fd as RawFd) };
    }
    Ok(())
}
