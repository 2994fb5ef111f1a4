//! Where rinit or a peer relays and whom that misses, read from its own
//! command line and environment by its rules: rinit's personalities are
//! those rules, so one reading serves rinit under any name and the peers.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

use super::processes::{self, Entry};
use crate::options::{self, Request};
use crate::personality::Personality;
use crate::procfs;
use crate::settings::{RelayTo, Run, Settings};

/// For rinit or a peer (`rinit` false): where it relays, from its own
/// command line and environment read by its rules, which processes below
/// it that misses, and whether it is pausing (`-P`). rinit under a peer's
/// name follows that peer's rules, so one reading serves both.
pub fn relaying(
    pid: i32,
    argv: &[OsString],
    all: &[Entry],
    personality: Personality,
    rinit: bool,
    verdict: &mut Vec<String>,
) -> (Vec<Entry>, bool) {
    let env: Vec<(OsString, OsString)> = super::proc::words(&format!("/proc/{pid}/environ"))
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
    let settings = match options::parse(argv.get(1..).unwrap_or_default()) {
        // A peer reads none of rinit's variables (RINIT_*). (DUMB_INIT_SETSID=0
        // beside TINI_KILL_PROCESS_GROUP still reads as -c for tini: rare, and
        // a finer filter costs bytes.)
        Ok(Request::Run(flags)) => Settings::resolve(flags, personality, &|k| {
            let ours = rinit || !k.starts_with("RINIT_");
            env.iter()
                .find(|(n, _)| ours && n == k)
                .map(|(_, v)| v.clone())
        })
        .ok(),
        _ => None,
    };
    let who = match (rinit, personality) {
        (true, Personality::Rinit) => "rinit".to_owned(),
        (true, other) => format!("rinit (as {})", other.name()),
        (false, peer) => peer.name().to_owned(),
    };
    if let Some(s) = settings.as_ref().filter(|s| s.run == Run::Pause) {
        let stops: Vec<String> = s.stop_signals.iter().map(ToString::to_string).collect();
        verdict.push(format!(
            "This is {who} pausing (-P), a pod's infra process: it runs no command, holds \
             the namespace, reaps every zombie, and exits 0 on {}.",
            stops.join(" or ")
        ));
        return (Vec::new(), true);
    }
    let child = all.iter().find(|p| p.ppid == pid);
    // The one reading of -c and -a: a command line rinit would refuse
    // reads as the name's default.
    let relay_to = settings.as_ref().map_or(
        match personality.signals_group() {
            true => RelayTo::Group,
            false => RelayTo::Child,
        },
        |s| s.relay_to,
    );
    let live_below = || {
        processes::tree(pid, all)
            .into_iter()
            .map(|(_, p)| p)
            .filter(|p| p.state != 'Z')
    };
    let (target, outside) = match child {
        Some(_) if relay_to == RelayTo::Every => (
            "to every process it looks after (--signal-all=every)".to_owned(),
            Vec::new(),
        ),
        Some(c) if relay_to == RelayTo::Child => (
            format!("to its command alone (process {})", c.pid),
            live_below().filter(|p| p.pid != c.pid).collect(),
        ),
        Some(c) => {
            let group = procfs::pgid(c.pid).unwrap_or(c.pid);
            let stops_too = relay_to == RelayTo::GroupAndMasters;
            let with_a = match stops_too {
                true => {
                    "; with -a a stop also reaches each daemon's master \
                         (`--signal-all=every`: every signal, every process)"
                }
                false => "",
            };
            (
                format!("to its command's process group ({group}){with_a}"),
                live_below()
                    .filter(|p| !stops_too && procfs::pgid(p.pid) != Some(group))
                    .collect(),
            )
        }
        None => ("to its command, which has exited".into(), Vec::new()),
    };
    verdict.push(format!(
        "This is {who}: it relays SIGTERM and every other signal {target}, and reaps every zombie."
    ));
    if !outside.is_empty() {
        let named: Vec<String> = outside
            .iter()
            .map(|p| format!("{} ({})", p.pid, p.command))
            .collect();
        // dumb-init's SIGTERM at its exit goes to its command's group alone.
        let instead = match rinit {
            true => {
                "`--signal-all` reaches them with a stop (each daemon's master); else \
                     rinit's exit drain does, once its command exits"
            }
            false => {
                "it exits with its command and, as PID 1, the kernel then SIGKILLs \
                      them; rinit's exit drain stops them first"
            }
        };
        verdict.push(format!(
            "These {} processes are out of the relay's reach and will not get the signals {who} \
             relays: {}; {instead}.",
            outside.len(),
            named.join(", ")
        ));
    }
    (outside, false)
}
