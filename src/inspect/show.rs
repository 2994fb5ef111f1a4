//! `--inspect`'s report shown: as text for a person, as one JSON document
//! for a program; the same facts either way.

use std::fmt::Write as _;

use super::{Handling, Report, SHOWN};
use crate::log::json::Str;
use crate::oom;
use crate::signal::Signal;

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
        let _ = match &self.memory {
            Some(memory) => writeln!(out, "  memory (its cgroup): {memory}"),
            None => writeln!(out, "  memory (its cgroup): not readable here"),
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
        let rinit = self.rinit.map_or("null".into(), |r| r.to_string());
        let _ = write!(out, ",\"pid1\":{},\"rinit\":{rinit}", self.pid1);
        let unreadable = self.unreadable.iter().map(|u| Str(u).to_string());
        let _ = write!(out, ",\"unreadable\":[{}]", list(unreadable.collect()));
        let _ = write!(
            out,
            ",\"subreaper\":{}",
            self.subreaper.map_or("null".into(), |s| s.to_string())
        );
        let memory = self.memory.as_ref().map_or("null".into(), oom::Usage::json);
        let _ = write!(out, ",\"memory\":{memory}");
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
        let outside = self
            .out_of_reach
            .iter()
            .map(|p| format!("{{\"pid\":{},\"command\":{}}}", p.pid, Str(&p.command)));
        let _ = writeln!(
            out,
            ",\"processes\":[{}],\"zombies\":{},\"out_of_reach\":[{}]}}",
            list(below.collect()),
            self.zombies,
            list(outside.collect())
        );
        out
    }
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
