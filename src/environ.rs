//! The environment as rinit reads it for itself: in one pass at start.
//! Each `std::env::var_os` scans the whole environment (getenv(3), under a
//! lock, and a copy), and the settings ask for a dozen names before the
//! command can start: with a container's few dozen variables, that scanning
//! was half of rinit's work before the clone.

use std::ffi::{c_char, CStr, OsStr, OsString};
use std::os::unix::ffi::OsStrExt;

/// The entries whose names rinit's settings read: its own and its peers'.
const PREFIXES: [&[u8]; 3] = [b"RINIT_", b"TINI_", b"DUMB_INIT_"];

/// The environment's entries named with one of `PREFIXES`, in order.
pub struct Own(Vec<&'static [u8]>);

impl Own {
    pub fn read() -> Own {
        Own(pointers()
            // Most entries are set aside by their first byte, before their
            // length is counted (PATH or LS_COLORS may run long).
            .filter(|&entry| {
                // SAFETY: a live C string: its first byte at least is there.
                let first = unsafe { *entry } as u8;
                PREFIXES.iter().any(|p| p.first() == Some(&first))
            })
            .map(bytes)
            .filter(|entry| PREFIXES.iter().any(|p| entry.starts_with(p)))
            .collect())
    }

    /// The value of `name` as getenv(3) finds it: the first entry of that
    /// name. Only names with one of `PREFIXES` are ever found.
    pub fn get(&self, name: &str) -> Option<OsString> {
        self.0.iter().find_map(|entry| {
            let value = entry.strip_prefix(name.as_bytes())?.strip_prefix(b"=")?;
            Some(OsStr::from_bytes(value).to_owned())
        })
    }
}

/// The process's environment as the C runtime holds it, each entry's bytes
/// without its NUL (std's `vars_os` drops entries without '=').
pub fn entries() -> impl Iterator<Item = &'static [u8]> {
    pointers().map(bytes)
}

/// A live C string's bytes.
fn bytes(entry: *const c_char) -> &'static [u8] {
    // SAFETY: `entry` comes from `pointers`: a C string that lives as long
    // as the process.
    unsafe { CStr::from_ptr(entry) }.to_bytes()
}

/// Each entry of `environ`, a C string.
fn pointers() -> impl Iterator<Item = *const c_char> {
    extern "C" {
        static environ: *const *const c_char;
    }
    // SAFETY: rinit is single-threaded and never changes its environment:
    // `environ` is a null-terminated array of C strings that lives as long
    // as the process (or null, for an empty environment).
    let mut next = unsafe { environ };
    std::iter::from_fn(move || {
        if next.is_null() {
            return None;
        }
        // SAFETY: as above: `next` points into the array, before its null.
        let entry = unsafe { *next };
        if entry.is_null() {
            return None;
        }
        // SAFETY: as above.
        next = unsafe { next.add(1) };
        Some(entry)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn own(entries: &[&'static [u8]]) -> Own {
        Own(entries
            .iter()
            .copied()
            .filter(|entry| PREFIXES.iter().any(|p| entry.starts_with(p)))
            .collect())
    }

    #[test]
    fn the_first_entry_of_a_name_wins_as_getenv_finds_it() {
        let env = own(&[b"PATH=/bin", b"RINIT_GRACE=1", b"TINI_X", b"RINIT_GRACE=2"]);
        assert_eq!(env.get("RINIT_GRACE"), Some("1".into()));
        assert_eq!(env.get("TINI_X"), None, "an entry without '=' has no value");
        assert_eq!(
            env.get("RINIT_GRAC"),
            None,
            "a prefix of a name is not the name"
        );
        assert_eq!(
            env.get("PATH"),
            None,
            "only the peers' and rinit's names are kept"
        );
    }

    #[test]
    fn an_empty_value_is_a_value() {
        let env = own(&[b"DUMB_INIT_SETSID="]);
        assert_eq!(env.get("DUMB_INIT_SETSID"), Some("".into()));
    }

    #[test]
    fn reads_the_process_environment() {
        // The test harness's own environment: whatever it holds, every kept
        // entry has one of the prefixes.
        assert!(Own::read()
            .0
            .iter()
            .all(|e| PREFIXES.iter().any(|p| e.starts_with(p))));
    }
}
