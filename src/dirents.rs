//! A directory's numbered entries (`/proc`'s pids, `/proc/self/fd`'s
//! descriptors), read one block at a time into the stack: listing them
//! allocates nothing, so it works once memory has run out.

use std::io;
use std::os::fd::RawFd;

/// Calls `each` with every entry of the open directory `dir` whose name is
/// a decimal number, in the order getdents64(2) gives them; an error of
/// `each` ends the listing.
// Never inlined: its block stays out of the frames of the idle loops.
#[inline(never)]
pub fn numbered(dir: RawFd, each: &mut dyn FnMut(i32) -> io::Result<()>) -> io::Result<()> {
    let mut block = [0u8; 2048];
    loop {
        // SAFETY: the kernel writes at most `block.len()` bytes of whole
        // linux_dirent64 records into `block`.
        let got =
            unsafe { libc::syscall(libc::SYS_getdents64, dir, block.as_mut_ptr(), block.len()) };
        let got = match usize::try_from(got) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(_) => return Err(io::Error::last_os_error()),
        };
        let mut at = 0;
        // A record: inode (8), offset (8), length (2), type (1), name, NUL.
        while let Some(record) = block.get(at..got) {
            let Some(len) = record
                .get(16..18)
                .and_then(|l| <[u8; 2]>::try_from(l).ok())
                .map(|l| usize::from(u16::from_ne_bytes(l)))
            else {
                break;
            };
            if len == 0 {
                break;
            }
            let name = record.get(19..len.min(record.len())).unwrap_or_default();
            let name = name.split(|&b| b == 0).next().unwrap_or_default();
            if let Some(number) = parse_number(name) {
                each(number)?;
            }
            at += len;
        }
    }
}

/// A name that is a non-negative decimal number that fits an i32.
fn parse_number(name: &[u8]) -> Option<i32> {
    if name.is_empty() || !name.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(name).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsRawFd;

    #[test]
    fn only_numbers_are_entries() {
        assert_eq!(parse_number(b"123"), Some(123));
        assert_eq!(parse_number(b""), None);
        assert_eq!(parse_number(b"self"), None);
        assert_eq!(parse_number(b"-1"), None);
        assert_eq!(parse_number(b"99999999999"), None);
    }

    #[test]
    fn lists_this_process_among_procs_pids() {
        let proc = std::fs::File::open("/proc").unwrap();
        let mut mine = false;
        numbered(proc.as_raw_fd(), &mut |pid| {
            mine |= pid == std::process::id() as i32;
            Ok(())
        })
        .unwrap();
        assert!(mine);
    }
}
