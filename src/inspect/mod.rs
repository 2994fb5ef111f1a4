//! `rinit --inspect [PID]`: why a container will not stop, in plain words.
//!
//! Everything comes from /proc: the signal masks in /proc/PID/status (the
//! `SigCgt` decoding the original debugging did by hand), NSpid for "PID 1 of
//! its namespace", the process tree for zombies. When the process is rinit
//! (it carries rinit's note, see `marker`) or one of the inits rinit stands
//! in for, its own command line and environment say where it relays.

mod marker;
pub mod proc;
pub mod processes;
mod relaying;
mod show;
mod usage;

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;

use crate::escape;
use crate::oom;
use crate::personality::Personality;
use crate::signal::{self, Signal};
use processes::Entry;

/// What a process does with one signal; the first that applies wins.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Handling {
    /// Blocked: queued until the process reads it (sigwait, signalfd).
    Blocked,
    Caught,
    Ignored,
    Default,
}

impl Handling {
    fn word(self) -> &'static str {
        match self {
            Handling::Blocked => "blocked",
            Handling::Caught => "caught",
            Handling::Ignored => "ignored",
            Handling::Default => "default",
        }
    }
}

/// The signals every report shows, whatever their state.
const SHOWN: [i32; 8] = [
    libc::SIGHUP,
    libc::SIGINT,
    libc::SIGQUIT,
    libc::SIGTERM,
    libc::SIGUSR1,
    libc::SIGUSR2,
    libc::SIGCHLD,
    libc::SIGWINCH,
];

pub struct Report {
    pid: i32,
    /// Each word escaped and cut: the process chose them.
    command: Vec<String>,
    pid1: bool,
    /// None when /proc would not say (another user's process).
    rinit: Option<bool>,
    /// What /proc would not show this user, with why: the verdict then
    /// says it cannot tell rather than guess.
    unreadable: Vec<String>,
    /// Only knowable for rinit, which registers itself away from PID 1.
    subreaper: Option<bool>,
    /// Its memory cgroup: the limit, the usage, how many the OOM killer took.
    memory: Option<oom::Usage>,
    signals: Vec<(Signal, Handling)>,
    /// "dropped", "forwarded", "handled", "queued", "terminates" or "unknown".
    sigterm: &'static str,
    verdict: Vec<String>,
    below: Vec<(usize, Entry)>,
    zombies: usize,
    /// For rinit or a peer: the processes below it that its relayed signals miss.
    out_of_reach: Vec<Entry>,
}

const GRACEFUL: &str = "An app's graceful stop may be another signal: nginx and php-fpm stop \
    fast on SIGTERM, gracefully on SIGQUIT (Dockerfile `STOPSIGNAL SIGQUIT`, or rinit's `-r TERM:QUIT`).";

/// Gathers the report for `pid`; an error says why /proc would not tell.
pub fn inspect(pid: i32) -> Result<Report, String> {
    let status = proc::status(pid).map_err(|e| format!("cannot read /proc/{pid}/status: {e}"))?;
    let (blocked, caught, ignored) = (status.blocked, status.caught, status.ignored);
    let handling = |sig: Signal| {
        let bit = 1u64.checked_shl(sig.number() as u32 - 1).unwrap_or(0);
        match () {
            _ if blocked & bit != 0 => Handling::Blocked,
            _ if caught & bit != 0 => Handling::Caught,
            _ if ignored & bit != 0 => Handling::Ignored,
            _ => Handling::Default,
        }
    };
    let signals: Vec<(Signal, Handling)> = (1..=64)
        .filter_map(Signal::from_number)
        .map(|s| (s, handling(s)))
        .filter(|&(s, h)| SHOWN.contains(&s.number()) || h != Handling::Default)
        .collect();
    let argv = proc::words(&format!("/proc/{pid}/cmdline"));
    let pid1 = status.pid1;
    let mut unreadable = Vec::new();
    let exe = format!("/proc/{pid}/exe");
    let rinit = marker::carried_by(&exe)
        .map_err(|e| unreadable.push(format!("{exe} ({e})")))
        .ok();
    // Who relays: rinit (by its note) or a peer, each known by argv[0]'s
    // file name as rinit itself picks its personality. That is the file
    // the engine ran (/sbin/docker-init, /run/podman-init) and it outlives
    // the file (/proc/PID/exe names a deleted one "... (deleted)").
    let personality = Personality::from_argv0(argv.first().map(OsString::as_os_str));
    let init = match rinit {
        Some(true) => Some(true),
        Some(false) if personality != Personality::Rinit => Some(false),
        _ => None,
    };
    let all = processes::processes();
    let below = processes::tree(pid, &all);
    let zombies = below.iter().filter(|(_, p)| p.state == 'Z').count();
    let term = handling(signal::TERM);
    let chld = handling(signal::CHLD);

    let mut verdict = Vec::new();
    let mut out_of_reach = Vec::new();
    let sigterm = if let Some(is_rinit) = init {
        let (outside, pausing) =
            relaying::relaying(pid, &argv, &all, personality, is_rinit, &mut verdict);
        out_of_reach = outside;
        match pausing {
            true => "handled",
            false => "forwarded",
        }
    } else {
        let dropped = "so the kernel drops it: `docker stop` will wait out its timeout and then SIGKILL \
                       (exit 137). Run the app under rinit (ENTRYPOINT [\"/sbin/rinit\", \"--\", ...]), or \
                       use the exec form so that the app itself is PID 1 and handles SIGTERM.";
        let fdinfo = format!("/proc/{pid}/fdinfo");
        let reads = proc::reads_signal(pid, signal::TERM)
            .map_err(|e| unreadable.push(format!("{fdinfo} ({e})")))
            .unwrap_or_default();
        match (term, pid1) {
            (Handling::Caught, _) => {
                verdict.push("SIGTERM is caught: the process handles it itself; how it stops is up to its handler.".into());
                "handled"
            }
            _ if reads.is_some() => {
                verdict.push(format!(
                    "SIGTERM is taken, not dropped: the process {} (as an init that relays signals does: \
                     tini, dumb-init, catatonit).",
                    reads.unwrap_or_default()
                ));
                "queued"
            }
            (Handling::Blocked, _) if !unreadable.is_empty() => {
                verdict.push(cannot_tell(&unreadable, status.uid));
                "unknown"
            }
            (Handling::Blocked, true) => {
                verdict.push(format!(
                    "SIGTERM is blocked for now, has no handler, and nothing reads it: when the process \
                     unblocks it (a shell does, once its command ends), this process being PID 1 of its \
                     namespace, {dropped}"
                ));
                "dropped"
            }
            (Handling::Default, true) => {
                verdict.push(format!(
                    "SIGTERM has no handler and this process is PID 1 of its namespace, {dropped}"
                ));
                "dropped"
            }
            (Handling::Ignored, _) => {
                verdict.push(
                    "SIGTERM is ignored: `docker stop` will end in SIGKILL (exit 137).".into(),
                );
                "dropped"
            }
            (Handling::Blocked, false) => {
                verdict.push("SIGTERM is blocked for now and has no handler: once unblocked, it terminates the process.".into());
                "terminates"
            }
            (Handling::Default, false) => {
                verdict.push("SIGTERM has its default action: it terminates the process.".into());
                "terminates"
            }
        }
    };
    // Advice to run the app under an init or in exec form, or daemons out of
    // reach: the stop they will get may not be the one they stop well on.
    if (sigterm == "dropped" && term != Handling::Ignored) || !out_of_reach.is_empty() {
        verdict.push(GRACEFUL.into());
    }
    if rinit != Some(true) && pid1 && chld == Handling::Default && zombies > 0 {
        verdict.push(format!(
            "{zombies} zombie process{} below it: as PID 1 it inherits every orphan, but it does not \
             watch SIGCHLD, so nothing reaps them. rinit would.",
            if zombies == 1 { "" } else { "es" }
        ));
    }
    Ok(Report {
        pid,
        command: argv
            .iter()
            .map(|a| escape::shown(a.as_bytes(), escape::COMMAND))
            .collect(),
        pid1,
        rinit,
        unreadable,
        subreaper: (rinit == Some(true)).then_some(!pid1),
        memory: usage::of(pid),
        signals,
        sigterm,
        verdict,
        below,
        zombies,
        out_of_reach,
    })
}

/// The verdict when SIGTERM is blocked and /proc would not show whether
/// the process reads it: what could not be read, and who could read it.
fn cannot_tell(unreadable: &[String], owner: Option<u32>) -> String {
    // SAFETY: getuid has no failure modes and touches no memory.
    let me = unsafe { libc::getuid() };
    let owner = owner.map_or("its owner".to_owned(), |uid| {
        format!("its owner (uid {uid})")
    });
    format!(
        "Cannot tell whether SIGTERM reaches it: SIGTERM is blocked and has no handler, and only \
         /proc shows whether the process reads it (from a signalfd or in sigwait, as rinit, tini, \
         dumb-init and catatonit do) or the kernel will drop it. As uid {me}, rinit could not read: {}. \
         Run --inspect as root (`docker exec -u 0 CONTAINER rinit --inspect`) or as {owner}.",
        unreadable.join(", ")
    )
}
