//! How `--inspect` knows a process is rinit, whatever the file is called,
//! where it lies or which version it is: every rinit carries one ELF note
//! (`readelf -n`: owner `rinit`, type 0x52494e54, no description) and the note's
//! bytes never change, so any version finds them in any other.
//!
//! A section named `.note.*` is a note to the linker (SHT_NOTE, kept in a
//! PT_NOTE segment) and to `strip`, which keeps every allocated section.

use std::io::{self, Read};

use crate::procfs;

/// The note as the ELF format lays it out (`elf(5)`, "Notes"): the name's
/// size with its NUL, the description's size, the type, then the name padded
/// to 4 bytes. Words in the machine's byte order, as the note's reader takes
/// them. The linker puts notes right after the program headers.
#[used]
#[link_section = ".note.rinit"]
static NOTE: [u32; 5] = [
    6,
    0,
    0x5249_4e54,
    u32::from_ne_bytes(*b"rini"),
    u32::from_ne_bytes(*b"t\0\0\0"),
];

/// Whether the executable at `path` (`/proc/PID/exe`) carries the note; an
/// error when it cannot be read (another user's process).
pub fn carried_by(path: &str) -> io::Result<bool> {
    // Notes follow the ELF and program headers, well inside the first page:
    // one read of it, however large the program.
    let mut head = [0u8; 4096];
    let read = procfs::open(&procfs::c_path(path)?, 0)?.read(&mut head)?;
    // The note's own memory is the needle: black_box keeps the compiler from
    // copying its bytes elsewhere in rinit, and the linker from dropping the
    // note as unused.
    let note = std::hint::black_box(&NOTE);
    Ok(head.get(..read).unwrap_or_default().windows(20).any(|w| {
        w.chunks(4)
            .zip(note)
            .all(|(bytes, word)| bytes == word.to_ne_bytes())
    }))
}
