//! `--install DIR`: rinit copies itself to `DIR/rinit`, for images that
//! have no shell and no `cp` to do it (rinit's own image holds `/rinit`
//! alone). A pod's initContainer runs `/rinit --install /shared` into a
//! volume the app's container mounts, and that container runs
//! `/shared/rinit -- CMD`: an image nobody rebuilt gets rinit as PID 1.
//!
//! The copy is whole or absent: it is written under a temporary name in
//! DIR, flushed to disk, then renamed to `rinit` (rename(2) replaces the
//! name at once within a file system), so a container started from DIR
//! never runs half a binary, and an install over an older one is safe.

use std::ffi::OsStr;
use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd};

use crate::procfs;

/// Copies the running binary to `dir/rinit`, mode 0755.
pub fn install(dir: &OsStr) -> io::Result<()> {
    // What runs now, by whatever path it was started (even one that is gone).
    let exe = procfs::open(c"/proc/self/exe", libc::O_RDONLY)?;
    // A name that is not UTF-8 becomes one with a NUL, which c_path refuses
    // (EINVAL): rare enough not to pay for another conversion.
    let dir = procfs::open(
        &procfs::c_path(dir.to_str().unwrap_or("\0"))?,
        libc::O_DIRECTORY,
    )?;
    let at = dir.as_raw_fd();
    // Two installs at once into one DIR write the same bytes at the same
    // offsets: the one name does for both.
    let temp = c".rinit.tmp";
    // A new file, made 0755 whatever the umask (rinit exits next): one a
    // failed install left behind goes first, with the mode it had.
    // SAFETY: `temp` is NUL-terminated; unlinkat and openat read nothing
    // else, umask only sets a mask.
    let fd = unsafe {
        libc::unlinkat(at, temp.as_ptr(), 0);
        libc::umask(0);
        let flags = libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_CLOEXEC;
        libc::openat(at, temp.as_ptr(), flags, 0o755)
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a descriptor openat just returned, owned by nobody else.
    let _out = unsafe { File::from_raw_fd(fd) };
    // SAFETY: descriptors and NUL-terminated names; sendfile's null offset
    // reads from exe's own.
    let failed = unsafe {
        // sendfile(2) until the end: the kernel copies, no buffer here.
        let copy_failed = loop {
            match libc::sendfile(fd, exe.as_raw_fd(), std::ptr::null_mut(), 1 << 30) {
                0 => break false,
                n if n < 0 => break true,
                _ => {}
            }
        };
        // The bytes on disk before the name, and the name on disk too.
        copy_failed
            || libc::fsync(fd) != 0
            || libc::renameat(at, temp.as_ptr(), at, c"rinit".as_ptr()) != 0
            || libc::fsync(at) != 0
    };
    if failed {
        let why = io::Error::last_os_error();
        // SAFETY: `temp` is NUL-terminated; unlinkat reads nothing else.
        unsafe { libc::unlinkat(at, temp.as_ptr(), 0) };
        return Err(why);
    }
    Ok(())
}
