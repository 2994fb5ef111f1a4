//! The command's environment when systemd socket activation names rinit
//! in LISTEN_PID (see `ListenPid`).

use libc::c_char;
use nix::unistd::Pid;

use crate::environ;

/// systemd socket activation: LISTEN_PID names the process the sockets are
/// for. When it names rinit, the child must see its own pid there instead;
/// the child only knows that pid after fork, so the entry is a buffer it
/// fills in, and the whole environment is built beforehand.
pub(super) struct ListenPid {
    entries: Vec<Vec<u8>>,
    /// Which entries are LISTEN_PID=...
    slots: Vec<usize>,
    /// The environment for execve: null-terminated pointers into `entries`.
    pub(super) ptrs: Vec<*const c_char>,
}

/// Room for "LISTEN_PID=" and any pid, with its NUL.
const LISTEN_PID_ENTRY: usize = 32;

impl ListenPid {
    /// The environment to fill in, when LISTEN_PID names `own`: rinit's own
    /// environment byte for byte (entries without '=' and repeated names
    /// included), every `LISTEN_PID=<own>` entry a buffer to fill in.
    pub(super) fn if_for(own: impl FnOnce() -> Pid) -> Option<ListenPid> {
        // One lookup first: the pid, its formatting and a copy of the whole
        // environment are start-up time spent for nothing in the usual case.
        let named = std::env::var_os("LISTEN_PID")?;
        let own = format!("LISTEN_PID={}", own());
        if named != own.get("LISTEN_PID=".len()..)? {
            return None;
        }
        let mut slots = Vec::new();
        let entries: Vec<Vec<u8>> = environ::entries()
            .enumerate()
            .map(|(i, entry)| {
                if entry == own.as_bytes() {
                    slots.push(i);
                    return vec![0; LISTEN_PID_ENTRY];
                }
                let mut entry = entry.to_vec();
                entry.push(0);
                entry
            })
            .collect();
        if slots.is_empty() {
            return None;
        }
        // The buffers never grow again, so these pointers stay valid.
        let ptrs = entries
            .iter()
            .map(|e| e.as_ptr().cast())
            .chain([std::ptr::null()])
            .collect();
        Some(ListenPid {
            entries,
            slots,
            ptrs,
        })
    }

    /// In the child: writes "LISTEN_PID=<pid>" into its buffers, in place.
    pub(super) fn fill_in(&mut self, pid: Pid) {
        let mut digits = [0u8; 20];
        let mut n = pid.as_raw().unsigned_abs();
        let mut start = digits.len();
        loop {
            start -= 1;
            if let Some(d) = digits.get_mut(start) {
                *d = b'0' + (n % 10) as u8;
            }
            n /= 10;
            if n == 0 || start == 0 {
                break;
            }
        }
        for &slot in &self.slots {
            let Some(entry) = self.entries.get_mut(slot) else {
                continue;
            };
            let text = b"LISTEN_PID="
                .iter()
                .chain(digits.get(start..).unwrap_or_default())
                .chain(&[0]);
            for (byte, &from) in entry.iter_mut().zip(text) {
                *byte = from;
            }
        }
    }
}
