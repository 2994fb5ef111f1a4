//! `rinit --inspect [PID]`: why a container will not stop, in plain words.
//!
//! Everything comes from /proc: the signal masks in /proc/PID/status (the
//! `SigCgt` decoding the original debugging did by hand), NSpid for "PID 1 of
//! its namespace", the process tree for zombies. When the process is rinit
//! itself, its own command line and environment say where it relays.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::fs;
use std::os::unix::ffi::OsStringExt;
use std::os::unix::fs::MetadataExt;

use crate::json::Str;
use crate::options::{self, Request};
use crate::personality::Personality;
use crate::settings::Settings;
use crate::signal::{self, Signal};

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

#[derive(Clone)]
struct Process {
    pid: i32,
    ppid: i32,
    state: char,
    command: String,
}

pub struct Report {
    pid: i32,
    command: Vec<String>,
    pid1: bool,
    rinit: bool,
    /// Only knowable for rinit, which registers itself away from PID 1.
    subreaper: Option<bool>,
    signals: Vec<(Signal, Handling)>,
    /// "dropped", "forwarded", "handled", "queued" or "terminates".
    sigterm: &'static str,
    verdict: Vec<String>,
    below: Vec<(usize, Process)>,
    zombies: usize,
}

/// Gathers the report for `pid`; an error says why /proc would not tell.
pub fn inspect(pid: i32) -> Result<Report, String> {
    let status = fs::read_to_string(format!("/proc/{pid}/status"))
        .map_err(|e| format!("cannot read /proc/{pid}/status: {e}"))?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
            .map(str::trim)
            .unwrap_or_default()
    };
    let mask = |name: &str| u64::from_str_radix(field(name), 16).unwrap_or(0);
    let (blocked, caught, ignored) = (mask("SigBlk"), mask("SigCgt"), mask("SigIgn"));
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
    let argv = words(&format!("/proc/{pid}/cmdline"));
    // NSpid lists the pid in each namespace, innermost last.
    let pid1 = field("NSpid").split_whitespace().last() == Some("1");
    let rinit = same_file(&format!("/proc/{pid}/exe"), "/proc/self/exe");
    let all = processes();
    let below = tree(pid, &all);
    let zombies = below.iter().filter(|(_, p)| p.state == 'Z').count();
    let term = handling(signal::TERM);
    let chld = handling(signal::CHLD);

    let mut verdict = Vec::new();
    let sigterm = if rinit {
        verdict.push(relaying(pid, &argv, &all));
        "forwarded"
    } else {
        let dropped = "so the kernel drops it: `docker stop` will wait out its timeout and then SIGKILL \
                       (exit 137). Run the app under rinit (ENTRYPOINT [\"/sbin/rinit\", \"--\", ...]), or \
                       use the exec form so that the app itself is PID 1 and handles SIGTERM.";
        let reads = reads_signal(pid, signal::TERM);
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
    if !rinit && pid1 && chld == Handling::Default && zombies > 0 {
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
            .map(|a| a.to_string_lossy().into_owned())
            .collect(),
        pid1,
        rinit,
        subreaper: rinit.then_some(!pid1),
        signals,
        sigterm,
        verdict,
        below,
        zombies,
    })
}

/// For rinit: where it relays, from its own command line and environment.
fn relaying(pid: i32, argv: &[OsString], all: &[Process]) -> String {
    let env: Vec<(OsString, OsString)> = words(&format!("/proc/{pid}/environ"))
        .into_iter()
        .filter_map(|entry| {
            let bytes = entry.into_vec();
            let eq = bytes.iter().position(|&b| b == b'=')?;
            let (key, value) = bytes.split_at(eq);
            Some((
                OsString::from_vec(key.to_vec()),
                OsString::from_vec(value.get(1..)?.to_vec()),
            ))
        })
        .collect();
    let personality = Personality::from_argv0(argv.first().map(OsString::as_os_str));
    let settings = match options::parse(argv.get(1..).unwrap_or_default()) {
        Ok(Request::Run(flags)) => Settings::resolve(flags, personality, |k| {
            env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
        })
        .ok(),
        _ => None,
    };
    let child = all.iter().find(|p| p.ppid == pid);
    let target = match (child, settings.as_ref().map(|s| s.single_child)) {
        (Some(c), Some(true)) => format!("to its command alone (process {})", c.pid),
        (Some(c), _) => format!(
            "to its command's process group ({})",
            pgid(c.pid).unwrap_or(c.pid)
        ),
        (None, _) => "to its command, which has exited".into(),
    };
    format!(
        "This is rinit{}: it relays SIGTERM and every other signal {target}, and reaps every zombie.",
        if personality == Personality::Rinit { String::new() } else { format!(" (as {})", personality.name()) }
    )
}

impl Report {
    pub fn text(&self) -> String {
        let mut out = String::new();
        let yes = |b: bool| if b { "yes" } else { "no" };
        let _ = writeln!(out, "process {}: {}", self.pid, self.command.join(" "));
        let _ = writeln!(out, "  PID 1 of its PID namespace: {}", yes(self.pid1));
        let _ = match self.subreaper {
            Some(s) => writeln!(out, "  child subreaper: {}", yes(s)),
            None => writeln!(
                out,
                "  child subreaper: unknown (Linux tells only the process itself)"
            ),
        };
        let _ = writeln!(out, "signals:");
        for (sig, handling) in self
            .signals
            .iter()
            .filter(|(s, _)| SHOWN.contains(&s.number()))
        {
            let _ = writeln!(out, "  {:<9} {}", sig.to_string(), handling.word());
        }
        for kind in [Handling::Blocked, Handling::Caught, Handling::Ignored] {
            let others: Vec<Signal> = self
                .signals
                .iter()
                .filter(|(s, h)| *h == kind && !SHOWN.contains(&s.number()))
                .map(|(s, _)| *s)
                .collect();
            if !others.is_empty() {
                let _ = writeln!(out, "  also {}: {}", kind.word(), runs(&others));
            }
        }
        let _ = writeln!(out, "verdict:");
        for line in &self.verdict {
            let _ = writeln!(out, "  {line}");
        }
        let _ = writeln!(
            out,
            "processes below it: {}, zombies: {}",
            self.below.len(),
            self.zombies
        );
        for (depth, p) in &self.below {
            let mark = if p.state == 'Z' { "  <- zombie" } else { "" };
            let _ = writeln!(
                out,
                "  {:indent$}{} {}{mark}",
                "",
                p.pid,
                p.command,
                indent = depth * 2
            );
        }
        out
    }

    pub fn json(&self) -> String {
        let mut out = String::new();
        let list = |items: Vec<String>| items.join(",");
        let _ = write!(
            out,
            "{{\"pid\":{},\"command\":[{}]",
            self.pid,
            list(self.command.iter().map(|c| Str(c).to_string()).collect())
        );
        let _ = write!(out, ",\"pid1\":{},\"rinit\":{}", self.pid1, self.rinit);
        let _ = write!(
            out,
            ",\"subreaper\":{}",
            self.subreaper.map_or("null".into(), |s| s.to_string())
        );
        let signals = self
            .signals
            .iter()
            .map(|(s, h)| format!("{}:{}", Str(&s.to_string()), Str(h.word())));
        let _ = write!(out, ",\"signals\":{{{}}}", list(signals.collect()));
        let verdict = self.verdict.iter().map(|v| Str(v).to_string());
        let _ = write!(
            out,
            ",\"sigterm\":{},\"verdict\":[{}]",
            Str(self.sigterm),
            list(verdict.collect())
        );
        let below = self.below.iter().map(|(_, p)| {
            format!(
                "{{\"pid\":{},\"ppid\":{},\"state\":{},\"command\":{},\"zombie\":{}}}",
                p.pid,
                p.ppid,
                Str(&p.state.to_string()),
                Str(&p.command),
                p.state == 'Z'
            )
        });
        let _ = writeln!(
            out,
            ",\"processes\":[{}],\"zombies\":{}}}",
            list(below.collect()),
            self.zombies
        );
        out
    }
}

/// How the process reads `sig` while it is blocked, if /proc shows it does:
/// a signalfd that takes it (its fdinfo lists the signals), or a wait in
/// sigwait/sigtimedwait (its wchan; that wait unblocks the signals waited
/// for, so /proc cannot say which, only that it is waiting).
fn reads_signal(pid: i32, sig: Signal) -> Option<&'static str> {
    let bit = 1u64.checked_shl(sig.number() as u32 - 1).unwrap_or(0);
    let fds = fs::read_dir(format!("/proc/{pid}/fdinfo")).ok()?;
    let by_signalfd = fds.flatten().any(|fd| {
        let info = fs::read_to_string(fd.path()).unwrap_or_default();
        let mask = info.lines().find_map(|l| l.strip_prefix("sigmask:"));
        mask.and_then(|m| u64::from_str_radix(m.trim(), 16).ok())
            .is_some_and(|m| m & bit != 0)
    });
    if by_signalfd {
        return Some("reads it from a signalfd");
    }
    let wchan = fs::read_to_string(format!("/proc/{pid}/wchan")).unwrap_or_default();
    wchan
        .contains("sigtimedwait")
        .then_some("is waiting for signals in sigwait or sigtimedwait")
}

/// "SIGABRT SIGPIPE SIGRTMIN..SIGRTMIN+30": runs of three or more
/// consecutive signals as ranges.
fn runs(signals: &[Signal]) -> String {
    let mut groups: Vec<(Signal, Signal)> = Vec::new();
    for &sig in signals {
        match groups.last_mut() {
            Some((_, last)) if last.number() + 1 == sig.number() => *last = sig,
            _ => groups.push((sig, sig)),
        }
    }
    let shown = groups
        .iter()
        .map(|&(first, last)| match last.number() - first.number() {
            0 => first.to_string(),
            1 => format!("{first} {last}"),
            _ => format!("{first}..{last}"),
        });
    shown.collect::<Vec<_>>().join(" ")
}

/// The NUL-separated words of a /proc file (cmdline, environ).
fn words(path: &str) -> Vec<OsString> {
    let bytes = fs::read(path).unwrap_or_default();
    let body = bytes.strip_suffix(&[0]).unwrap_or(&bytes);
    if body.is_empty() {
        return Vec::new();
    }
    body.split(|&b| b == 0)
        .map(|w| OsString::from_vec(w.to_vec()))
        .collect()
}

fn same_file(a: &str, b: &str) -> bool {
    match (fs::metadata(a), fs::metadata(b)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// Every process /proc shows: pid, parent, state and command line.
fn processes() -> Vec<Process> {
    let Ok(dir) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(|pid| {
            let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            let open = stat.find('(')?;
            let close = stat.rfind(')')?;
            let comm = stat.get(open + 1..close)?;
            let mut rest = stat.get(close + 1..)?.split_whitespace();
            let state = rest.next()?.chars().next()?;
            let ppid = rest.next()?.parse().ok()?;
            let argv = words(&format!("/proc/{pid}/cmdline"));
            // A zombie has no command line left: its name in brackets, as ps shows it.
            let command = match argv.is_empty() {
                true => format!("[{comm}]"),
                false => argv
                    .iter()
                    .map(|a| a.to_string_lossy())
                    .collect::<Vec<_>>()
                    .join(" "),
            };
            Some(Process {
                pid,
                ppid,
                state,
                command,
            })
        })
        .collect()
}

/// The processes below `root` in pre-order (each right after its parent),
/// with their depth.
fn tree(root: i32, all: &[Process]) -> Vec<(usize, Process)> {
    let children = |parent: i32| {
        let mut found: Vec<&Process> = all
            .iter()
            .filter(|p| p.ppid == parent && p.pid != parent)
            .collect();
        // Popped from the end: highest pid first onto the stack, so lowest first out.
        found.sort_by_key(|p| std::cmp::Reverse(p.pid));
        found
    };
    let mut out = Vec::new();
    let mut stack: Vec<(usize, &Process)> = children(root).into_iter().map(|p| (0, p)).collect();
    while let Some((depth, p)) = stack.pop() {
        out.push((depth, p.clone()));
        stack.extend(children(p.pid).into_iter().map(|c| (depth + 1, c)));
    }
    out
}

fn pgid(pid: i32) -> Option<i32> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.get(stat.rfind(')')? + 1..)?
        .split_whitespace()
        .nth(2)?
        .parse()
        .ok()
}
