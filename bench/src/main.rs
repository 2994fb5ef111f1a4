//! rinit-bench: rinit and its peers measured side by side, in one run,
//! interleaved, printed as markdown tables. `bench/run` builds and runs it.
//!
//!   rinit-bench run [--only M,...] NAME=PATH...
//!                                  measure every init given (M: size, idle,
//!                                  latency, fidelity, startup, reaping,
//!                                  shutdown, relay-cost)
//!   rinit-bench probe              (under an init) report signals on stdout
//!   rinit-bench orphans N          (under an init as PID 1) orphan N processes
//!   rinit-bench app FILE           (under an init) flush to FILE on SIGTERM
//!   rinit-bench tree chain|wide N  (under an init) a fork chain N deep or N
//!                                  children, then "ready"

use std::collections::HashMap;
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::os::fd::AsRawFd;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};
use std::{env, mem, process, ptr};

fn main() {
    let args: Vec<String> = env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("run") => run(&args[1..]),
        Some("probe") => probe(),
        Some("orphans") => orphans(args[1].parse().expect("N")),
        Some("app") => app(&args[1]),
        Some("tree") => tree(&args[1], args[2].parse().expect("N")),
        _ => {
            eprintln!("usage: rinit-bench run NAME=PATH... | probe | orphans N | app FILE | tree chain|wide N");
            process::exit(2);
        }
    }
}

// ---------------------------------------------------------------- helpers --

fn now_ns() -> u64 {
    let mut ts: libc::timespec = unsafe { mem::zeroed() };
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

fn block(signals: &[i32]) -> libc::sigset_t {
    unsafe {
        let mut set: libc::sigset_t = mem::zeroed();
        libc::sigemptyset(&mut set);
        for &s in signals {
            libc::sigaddset(&mut set, s);
        }
        libc::sigprocmask(libc::SIG_BLOCK, &set, ptr::null_mut());
        set
    }
}

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// Median, p99, min, max of samples (any unit).
struct Stats {
    median: f64,
    p99: f64,
    min: f64,
    max: f64,
}

fn stats(samples: &mut [f64]) -> Stats {
    samples.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    Stats {
        median: at(0.5),
        p99: at(0.99),
        min: samples[0],
        max: samples[samples.len() - 1],
    }
}

fn status_field(pid: i32, field: &str) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status
        .lines()
        .find(|l| l.starts_with(&format!("{field}:")))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

// ----------------------------------------------------------- the programs --

/// Under an init: prints "pid N", then "t <CLOCK_MONOTONIC ns>" for every
/// SIGUSR1, "r" for every SIGRTMIN+1, "u" for every storm signal; exits on
/// SIGTERM.
fn probe() {
    let storm = [libc::SIGHUP, libc::SIGUSR2, libc::SIGWINCH];
    let rt = libc::SIGRTMIN() + 1;
    let mut all = vec![libc::SIGUSR1, libc::SIGTERM, rt];
    all.extend(storm);
    let set = block(&all);
    say(&format!("pid {}", process::id()));
    loop {
        let sig = unsafe { libc::sigwaitinfo(&set, ptr::null_mut()) };
        let t = now_ns();
        match sig {
            libc::SIGUSR1 => say(&format!("t {t}")),
            libc::SIGTERM => return,
            s if s == rt => say("r"),
            s if storm.contains(&s) => say("u"),
            _ => {}
        }
    }
}

/// As the child of an init that is PID 1: leaves `n` orphans to it in a
/// burst, sampling PID 1's zombie children meanwhile, and reports how long
/// until all were reaped, the peak zombie count, and PID 1's VmHWM.
fn orphans(n: usize) {
    let me = process::id() as i32;
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sampler = {
        let done = done.clone();
        thread::spawn(move || {
            let mut peak = 0;
            let mut reaped_at = None;
            let start = Instant::now();
            loop {
                let children = fs::read_to_string("/proc/1/task/1/children").unwrap_or_default();
                let others: Vec<i32> = children
                    .split_whitespace()
                    .filter_map(|p| p.parse().ok())
                    .filter(|&p| p != me)
                    .collect();
                let zombies = others
                    .iter()
                    .filter(|p| {
                        fs::read_to_string(format!("/proc/{p}/stat"))
                            .ok()
                            .and_then(|s| {
                                s.rsplit_once(')')
                                    .map(|(_, r)| r.trim_start().starts_with('Z'))
                            })
                            .unwrap_or(false)
                    })
                    .count();
                peak = peak.max(zombies);
                if done.load(std::sync::atomic::Ordering::SeqCst) && others.is_empty() {
                    reaped_at = reaped_at.or(Some(start.elapsed()));
                    break;
                }
                if start.elapsed() > Duration::from_secs(60) {
                    break;
                }
                thread::sleep(Duration::from_micros(500));
            }
            (peak, reaped_at)
        })
    };
    let start = Instant::now();
    // In batches of 100 forked back to back: many orphans exit at once, so
    // the init's reaping speed shows in the zombie count.
    let mut left = n;
    while left > 0 {
        let batch = left.min(100);
        let mut intermediates = Vec::with_capacity(batch);
        for _ in 0..batch {
            match unsafe { libc::fork() } {
                0 => unsafe {
                    if libc::fork() == 0 {
                        libc::_exit(0);
                    }
                    libc::_exit(0);
                },
                -1 => panic!("fork: {}", std::io::Error::last_os_error()),
                pid => intermediates.push(pid),
            }
        }
        for pid in intermediates {
            unsafe { libc::waitpid(pid, ptr::null_mut(), 0) };
        }
        left -= batch;
    }
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let (peak, _) = sampler.join().unwrap();
    let reaped = start.elapsed();
    let hwm = status_field(1, "VmHWM").unwrap_or(0);
    say(&format!(
        "reaped_ms {} peak {peak} hwm_kb {hwm}",
        reaped.as_millis()
    ));
}

/// A service with data to flush: creates FILE.ready, waits for SIGTERM,
/// takes 100 ms to flush, writes FILE, exits 0.
fn app(file: &str) {
    let set = block(&[libc::SIGTERM]);
    fs::write(format!("{file}.ready"), "").unwrap();
    unsafe { libc::sigwaitinfo(&set, ptr::null_mut()) };
    thread::sleep(Duration::from_millis(100));
    fs::write(file, "flushed").unwrap();
}

/// Under an init: a fork chain `n` deep (each process waits for the next)
/// or `n` children of this one; the last to start says "ready", and all
/// wait for a signal (SIGTERM ends them).
fn tree(shape: &str, n: usize) {
    for i in 0..n {
        let pid = unsafe { libc::fork() };
        match (shape, pid) {
            ("chain", 0) | ("wide", 1..) => {}
            ("chain", _) => {
                unsafe { libc::waitpid(pid, ptr::null_mut(), 0) };
                process::exit(0);
            }
            _ => loop {
                unsafe { libc::pause() };
            },
        }
        if shape == "chain" && i + 1 == n {
            say("ready");
        }
    }
    if shape == "wide" {
        say("ready");
    }
    loop {
        unsafe { libc::pause() };
    }
}

// ------------------------------------------------------------- the inits --

struct Init {
    name: String,
    path: String,
}

impl Init {
    /// The words before the command, away from PID 1: tini needs -s to
    /// reap (rinit and catatonit register as subreaper by themselves).
    fn argv(&self) -> Vec<String> {
        let mut argv = vec![self.path.clone()];
        if self.name.starts_with("tini") {
            argv.push("-s".into());
        }
        argv.push("--".into());
        argv
    }

    /// The words before the command as PID 1 of a new namespace.
    fn pid1_argv(&self) -> Vec<String> {
        let mut argv = vec![
            "unshare".into(),
            "--pid".into(),
            "--fork".into(),
            "--mount-proc".into(),
            "--kill-child".into(),
            "--".into(),
        ];
        argv.push(self.path.clone());
        argv.push("--".into());
        argv
    }
}

/// The highest-numbered CPU: inits and probes run there, the sender on
/// CPU 0, so every latency sample is the same chain of wake-ups instead of
/// depending on where the scheduler placed each process.
fn last_cpu() -> usize {
    // The CPUs online, not available_parallelism(): that one shrinks with
    // this process's own affinity once it is pinned.
    let online = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) };
    usize::try_from(online).unwrap_or(1).max(1) - 1
}

/// Pins this process to `cpu`, or to every CPU when None.
fn pin_to(cpu: impl Into<Option<usize>>) {
    let cpu = cpu.into();
    unsafe {
        let mut set: libc::cpu_set_t = mem::zeroed();
        for c in 0..=last_cpu() {
            if cpu.is_none_or(|only| only == c) {
                libc::CPU_SET(c, &mut set);
            }
        }
        libc::sched_setaffinity(0, mem::size_of::<libc::cpu_set_t>(), &set);
    }
}

fn command(argv: &[String]) -> Command {
    let (program, args) = argv.split_first().expect("a program");
    let mut cmd = Command::new(program);
    cmd.args(args);
    cmd
}

/// An init running the probe, with its stdout.
struct Probe {
    init: Child,
    probe_pid: i32,
    out: BufReader<ChildStdout>,
}

impl Probe {
    /// Starts `argv` followed by this program's `probe`, on the last CPU.
    fn start(argv: &[String], me: &str) -> Probe {
        let mut cmd = command(&[argv, &[me.to_owned(), "probe".to_owned()]].concat());
        let cpu = last_cpu();
        unsafe {
            std::os::unix::process::CommandExt::pre_exec(&mut cmd, move || {
                pin_to(cpu);
                Ok(())
            });
        }
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut init = cmd.spawn().expect("start init");
        let mut out = BufReader::new(init.stdout.take().unwrap());
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        let probe_pid = line
            .trim()
            .strip_prefix("pid ")
            .expect("probe pid")
            .parse()
            .unwrap();
        Probe {
            init,
            probe_pid,
            out,
        }
    }

    fn init_pid(&self) -> i32 {
        self.init.id() as i32
    }

    /// The next line, or None after `timeout` without one.
    fn line(&mut self, timeout: Duration) -> Option<String> {
        if self.out.buffer().is_empty() {
            let mut fds = [libc::pollfd {
                fd: self.out.get_ref().as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            }];
            if unsafe { libc::poll(fds.as_mut_ptr(), 1, timeout.as_millis() as i32) } <= 0 {
                return None;
            }
        }
        let mut line = String::new();
        match self.out.read_line(&mut line) {
            Ok(n) if n > 0 => Some(line.trim_end().to_owned()),
            _ => None,
        }
    }

    /// One latency sample: `to` is signalled, the probe says when it saw it.
    fn latency_us(&mut self, to: i32) -> Option<f64> {
        let sent = now_ns();
        unsafe { libc::kill(to, libc::SIGUSR1) };
        let line = self.line(Duration::from_secs(2))?;
        let seen: u64 = line.strip_prefix("t ")?.parse().ok()?;
        Some(seen.saturating_sub(sent) as f64 / 1000.0)
    }

    /// Counts lines equal to `what` until `expected` or 1 s of silence.
    fn count(&mut self, what: &str, expected: usize) -> usize {
        let mut n = 0;
        while n < expected {
            match self.line(Duration::from_secs(1)) {
                Some(l) if l == what => n += 1,
                Some(_) => {}
                None => break,
            }
        }
        n
    }

    fn stop(mut self) {
        unsafe { libc::kill(self.probe_pid, libc::SIGTERM) };
        let _ = self.init.wait();
    }
}

// ------------------------------------------------------------- the run ---

fn run(args: &[String]) {
    let (only, specs) = match args {
        [flag, list, rest @ ..] if flag == "--only" => {
            (list.split(',').map(str::to_owned).collect(), rest)
        }
        _ => (Vec::new(), args),
    };
    let wanted = |metric: &str| only.is_empty() || only.iter().any(|m| m == metric);
    let me = env::current_exe().unwrap().to_str().unwrap().to_owned();
    let inits: Vec<Init> = specs
        .iter()
        .map(|s| {
            let (name, path) = s.split_once('=').expect("NAME=PATH");
            Init {
                name: name.into(),
                path: path.into(),
            }
        })
        .collect();
    let names: Vec<&str> = inits.iter().map(|i| i.name.as_str()).collect();

    if wanted("size") {
        println!("## Size of the binary\n");
        println!("| init | bytes | linking |\n|---|---:|---|");
        for init in &inits {
            let bytes = fs::metadata(&init.path).map(|m| m.len()).unwrap_or(0);
            let file = Command::new("file")
                .arg("-L")
                .arg(&init.path)
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
                .unwrap_or_default();
            let linking = if file.contains("dynamically linked") {
                "dynamic"
            } else {
                "static"
            };
            println!("| {} | {bytes} | {linking} |", init.name);
        }
    }

    // Idle cost and memory: every init runs a probe; all sit idle together.
    let mut probes: Vec<Probe> = inits.iter().map(|i| Probe::start(&i.argv(), &me)).collect();
    thread::sleep(Duration::from_secs(1));
    if wanted("idle") {
        eprintln!("[bench] idle: 10 s");
        let before: Vec<(u64, u64, u64)> = probes
            .iter()
            .map(|p| {
                let pid = p.init_pid();
                (
                    status_field(pid, "voluntary_ctxt_switches").unwrap_or(0),
                    status_field(pid, "VmRSS").unwrap_or(0),
                    status_field(pid, "RssAnon").unwrap_or(0),
                )
            })
            .collect();
        thread::sleep(Duration::from_secs(10));
        println!("\n## Idle: 10 s with nothing to do\n");
        println!("| init | wake-ups (voluntary context switches) | VmRSS kB | RssAnon kB |\n|---|---:|---:|---:|");
        for ((p, init), (switches, rss, anon)) in probes.iter().zip(&inits).zip(&before) {
            let after = status_field(p.init_pid(), "voluntary_ctxt_switches").unwrap_or(0);
            println!("| {} | {} | {rss} | {anon} |", init.name, after - switches);
        }
    }

    // Forwarding latency, interleaved: one sample per init per round.
    let mut floor_probe = Probe::start(&[], &me);
    if wanted("latency") {
        eprintln!("[bench] forwarding latency: 1000 rounds");
        pin_to(0);
        let rounds = 1000;
        let mut samples: Vec<Vec<f64>> = vec![Vec::new(); inits.len()];
        let mut floor = Vec::new();
        let mut lost = vec![0; inits.len()];
        for _ in 0..rounds {
            for (i, p) in probes.iter_mut().enumerate() {
                match p.latency_us(p.init_pid()) {
                    Some(us) => samples[i].push(us),
                    None => lost[i] += 1,
                }
            }
            let direct = floor_probe.probe_pid;
            if let Some(us) = floor_probe.latency_us(direct) {
                floor.push(us);
            }
        }
        // The rest runs wherever the scheduler likes.
        pin_to(None);
        println!("\n## Signal forwarding latency: SIGUSR1 to the init until the child's handler runs ({rounds} samples, µs)\n");
        println!("The sender runs on CPU 0, every init and its child on CPU {}: each sample is the same chain of wake-ups.\n", last_cpu());
        println!("| init | median | p99 | min | max |\n|---|---:|---:|---:|---:|");
        let f = stats(&mut floor);
        println!(
            "| (sent straight to the child: the floor) | {:.1} | {:.1} | {:.1} | {:.1} |",
            f.median, f.p99, f.min, f.max
        );
        for (i, init) in inits.iter().enumerate() {
            if samples[i].is_empty() {
                println!("| {} | lost | | | |", init.name);
                continue;
            }
            let s = stats(&mut samples[i]);
            let note = if lost[i] > 0 {
                format!(" ({} lost)", lost[i])
            } else {
                String::new()
            };
            println!(
                "| {}{note} | {:.1} | {:.1} | {:.1} | {:.1} |",
                init.name, s.median, s.p99, s.min, s.max
            );
        }
    }

    // Fidelity: real-time signals queue and must all arrive; standard ones
    // coalesce, and the init must come out of a storm still relaying.
    if wanted("fidelity") {
        eprintln!("[bench] signal fidelity");
        println!("\n## Signal fidelity\n");
        println!("| init | 1,000 SIGRTMIN+1 in a burst: received | 30,000 standard signals (HUP, USR2, WINCH): received | relays after the storm |\n|---|---:|---:|---|");
        let rt = libc::SIGRTMIN() + 1;
        for (p, init) in probes.iter_mut().zip(&inits) {
            let pid = p.init_pid();
            for _ in 0..1000 {
                unsafe { libc::kill(pid, rt) };
            }
            let got_rt = p.count("r", 1000);
            let storm = [libc::SIGHUP, libc::SIGUSR2, libc::SIGWINCH];
            for i in 0..30_000 {
                unsafe { libc::kill(pid, storm[i % 3]) };
            }
            let got_storm = p.count("u", 30_000);
            let alive = p.latency_us(pid).is_some();
            println!(
                "| {} | {got_rt} | {got_storm} | {} |",
                init.name,
                if alive { "yes" } else { "no" }
            );
        }
    }
    for p in probes {
        p.stop();
    }
    floor_probe.stop();

    // Start-up: INIT -- true against true alone, interleaved: 5 blocks of
    // 300 rounds. The machine's speed drifts over seconds (2 shared cores),
    // so each block's overhead is its own median against `true`'s median
    // of the same block, and the table gives the median of the 5.
    if wanted("startup") {
        const BLOCKS: usize = 5;
        const ROUNDS: usize = 300;
        eprintln!("[bench] start-up: {BLOCKS} blocks of {ROUNDS} rounds");
        let truth = "/bin/true".to_string();
        let mut all: Vec<Vec<f64>> = vec![Vec::new(); inits.len() + 1];
        let mut overheads: Vec<Vec<f64>> = vec![Vec::new(); inits.len()];
        for _ in 0..BLOCKS {
            let mut block: Vec<Vec<f64>> = vec![Vec::new(); inits.len() + 1];
            for round in 0..ROUNDS {
                for k in 0..=inits.len() {
                    // Rotate who goes first each round.
                    let i = (k + round) % (inits.len() + 1);
                    let mut argv = if i == inits.len() {
                        vec![]
                    } else {
                        inits[i].argv()
                    };
                    argv.push(truth.clone());
                    let t = Instant::now();
                    let status = command(&argv)
                        .stdin(Stdio::null())
                        .stdout(Stdio::null())
                        .stderr(Stdio::null())
                        .status();
                    let us = t.elapsed().as_secs_f64() * 1e6;
                    if status.is_ok_and(|s| s.success()) {
                        block[i].push(us);
                    }
                }
            }
            let alone = stats(&mut block[inits.len()]).median;
            for (i, samples) in block.iter_mut().enumerate() {
                if i < inits.len() {
                    overheads[i].push(stats(samples).median - alone);
                }
                all[i].extend_from_slice(samples);
            }
        }
        println!(
            "\n## Start-up: `INIT -- true` against `true` alone ({BLOCKS} blocks of {ROUNDS} runs each, µs)\n"
        );
        println!("Overhead: in each block, the init's median less `true`'s median; the median of the {BLOCKS} blocks, and their range.\n");
        println!("| init | median | min | max | overhead (median of blocks) | overhead range |\n|---|---:|---:|---:|---:|---:|");
        let alone = stats(&mut all[inits.len()]);
        println!(
            "| `true` alone | {:.0} | {:.0} | {:.0} | | |",
            alone.median, alone.min, alone.max
        );
        for (i, init) in inits.iter().enumerate() {
            let s = stats(&mut all[i]);
            let o = stats(&mut overheads[i]);
            println!(
                "| {} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0}–{:.0} |",
                init.name, s.median, s.min, s.max, o.median, o.min, o.max
            );
        }
    }

    // Reaping as PID 1: 10,000 orphans in a burst, 3 runs each, interleaved.
    if wanted("reaping") {
        eprintln!("[bench] reaping 10,000 orphans as PID 1: 3 rounds");
        let mut reaping: HashMap<&str, Vec<(f64, f64, f64)>> = HashMap::new();
        for _ in 0..3 {
            for init in &inits {
                let mut argv = init.pid1_argv();
                argv.extend([me.clone(), "orphans".into(), "10000".into()]);
                let out = command(&argv)
                    .stdin(Stdio::null())
                    .stderr(Stdio::null())
                    .output()
                    .expect("orphans");
                let text = String::from_utf8_lossy(&out.stdout);
                let words: Vec<&str> = text.split_whitespace().collect();
                let field = |name: &str| {
                    words
                        .iter()
                        .position(|w| *w == name)
                        .and_then(|i| words.get(i + 1))
                        .and_then(|v| v.parse::<f64>().ok())
                };
                if let (Some(ms), Some(peak), Some(hwm)) =
                    (field("reaped_ms"), field("peak"), field("hwm_kb"))
                {
                    reaping.entry(&init.name).or_default().push((ms, peak, hwm));
                }
            }
        }
        println!("\n## Reaping: a child orphans 10,000 short-lived processes in bursts of 100, init as PID 1 (median of 3)\n");
        println!(
            "| init | until all reaped, ms | peak zombies | VmHWM kB after |\n|---|---:|---:|---:|"
        );
        for name in &names {
            let runs = reaping.get(name).cloned().unwrap_or_default();
            if runs.is_empty() {
                println!("| {name} | failed | | |");
                continue;
            }
            let col = |f: fn(&(f64, f64, f64)) -> f64| {
                stats(&mut runs.iter().map(f).collect::<Vec<_>>()).median
            };
            println!(
                "| {name} | {:.0} | {:.0} | {:.0} |",
                col(|r| r.0),
                col(|r| r.1),
                col(|r| r.2)
            );
        }
    }

    // Shutdown as PID 1: SIGTERM to the init until the namespace is gone.
    if wanted("shutdown") {
        eprintln!("[bench] shutdown as PID 1: 5 rounds");
        let dir = env::temp_dir().join(format!("rinit-bench-{}", process::id()));
        fs::create_dir_all(&dir).unwrap();
        let mut shutdown: HashMap<(&str, bool), Vec<(f64, bool)>> = HashMap::new();
        for round in 0..5 {
            for init in &inits {
                for wrapped in [false, true] {
                    let file = dir
                        .join(format!("{}-{wrapped}-{round}", init.name))
                        .to_str()
                        .unwrap()
                        .to_owned();
                    let mut argv = init.pid1_argv();
                    if wrapped {
                        argv.extend([
                            "sh".into(),
                            "-c".into(),
                            format!("\"{me}\" app {file}; echo after"),
                        ]);
                    } else {
                        argv.extend([me.clone(), "app".into(), file.clone()]);
                    }
                    if let Some(result) = stop_as_pid1(&argv, &file) {
                        shutdown
                            .entry((&init.name, wrapped))
                            .or_default()
                            .push(result);
                    }
                }
            }
        }
        let _ = fs::remove_dir_all(&dir);
        println!("\n## Shutdown as PID 1: SIGTERM to the init until the namespace is gone (median of 5)\n");
        println!("The app takes 100 ms to flush after SIGTERM. \"flushed\" counts the runs where it finished; the others were SIGKILLed by the kernel when PID 1 exited.\n");
        println!("| init | app alone: seconds | flushed | `sh -c \"app; echo after\"`: seconds | flushed |\n|---|---:|---:|---:|---:|");
        for name in &names {
            let cell = |wrapped: bool| {
                let runs = shutdown.get(&(*name, wrapped)).cloned().unwrap_or_default();
                if runs.is_empty() {
                    return "failed | ".to_string();
                }
                let flushed = runs.iter().filter(|r| r.1).count();
                let secs = stats(&mut runs.iter().map(|r| r.0).collect::<Vec<_>>()).median;
                format!("{secs:.3} | {flushed}/{}", runs.len())
            };
            println!("| {name} | {} | {} |", cell(false), cell(true));
        }
    }

    // CPU per relayed signal with -v, as PID 1 over wide and deep trees:
    // rinit alone looks at the tree then (for processes that left the
    // command's group), so only rinit's builds are measured (under
    // dumb-init's name it is the release build again).
    if wanted("relay-cost") {
        eprintln!("[bench] CPU per relayed signal with -v: 3 rounds");
        let shapes = [
            ("wide", 10),
            ("wide", 1000),
            ("wide", 10_000),
            ("chain", 2000),
        ];
        let rinits: Vec<&Init> = inits
            .iter()
            .filter(|i| i.name.starts_with("rinit") && !i.name.contains("-as-"))
            .collect();
        let mut cost: HashMap<(&str, usize), Vec<f64>> = HashMap::new();
        for _ in 0..3 {
            for (k, &(shape, n)) in shapes.iter().enumerate() {
                for init in &rinits {
                    if let Some(us) = relay_cost(init, &me, shape, n) {
                        cost.entry((&init.name, k)).or_default().push(us);
                    }
                }
            }
        }
        println!("\n## CPU per relayed signal with `-v`, as PID 1 (µs of the init's CPU, median of 3 runs of 20 signals)\n");
        println!("Each SIGWINCH is waited for in the log before the next. With `-v` every relayed signal looks for processes that left the command's group: one read of /proc, sorted by parent.\n");
        println!("| init | 10 children | 1,000 children | 10,000 children | a chain 2,000 deep |\n|---|---:|---:|---:|---:|");
        for init in &rinits {
            let cells: Vec<String> = (0..shapes.len())
                .map(|k| match cost.get(&(init.name.as_str(), k)) {
                    Some(runs) => format!("{:.0}", stats(&mut runs.clone()).median),
                    None => "failed".into(),
                })
                .collect();
            println!("| {} | {} |", init.name, cells.join(" | "));
        }
    }
}

/// The lines of `stream`, as they come, on a channel.
fn lines_of(stream: impl std::io::Read + Send + 'static) -> std::sync::mpsc::Receiver<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Waits up to `timeout` for a line of `rx` containing `what`.
fn wait_line(rx: &std::sync::mpsc::Receiver<String>, what: &str, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match rx.recv_timeout(left) {
            Ok(line) if line.contains(what) => return true,
            Ok(_) => {}
            Err(_) => return false,
        }
    }
    false
}

/// The time a thread has run on a CPU, in ns (/proc/PID/schedstat).
fn cpu_ns(pid: i32) -> Option<u64> {
    let text = fs::read_to_string(format!("/proc/{pid}/schedstat")).ok()?;
    text.split_whitespace().next()?.parse().ok()
}

/// An init as PID 1 with `-v` over `me tree SHAPE N`: the CPU it spends
/// per relayed SIGWINCH (each one waited for in its log before the next,
/// as standard signals coalesce), in µs.
fn relay_cost(init: &Init, me: &str, shape: &str, n: usize) -> Option<f64> {
    const SIGNALS: u64 = 20;
    let mut argv = init.pid1_argv();
    argv.insert(argv.len() - 1, "-v".into());
    argv.extend([me.to_owned(), "tree".into(), shape.into(), n.to_string()]);
    let mut child = command(&argv)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    let out = lines_of(child.stdout.take()?);
    let err = lines_of(child.stderr.take()?);
    let measured = (|| {
        if !wait_line(&out, "ready", Duration::from_secs(120)) {
            return None;
        }
        let unshare = child.id();
        let children =
            fs::read_to_string(format!("/proc/{unshare}/task/{unshare}/children")).ok()?;
        let pid: i32 = children.split_whitespace().next()?.parse().ok()?;
        let before = cpu_ns(pid)?;
        for _ in 0..SIGNALS {
            unsafe { libc::kill(pid, libc::SIGWINCH) };
            if !wait_line(&err, "SIGWINCH from", Duration::from_secs(30)) {
                return None;
            }
        }
        let spent = cpu_ns(pid)? - before;
        unsafe { libc::kill(pid, libc::SIGTERM) };
        Some(spent as f64 / SIGNALS as f64 / 1000.0)
    })();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !matches!(child.try_wait(), Ok(Some(_))) {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        thread::sleep(Duration::from_millis(10));
    }
    measured
}

/// Runs `argv` (an init as PID 1 of a new namespace, with the app), waits
/// until the app is ready, sends SIGTERM to the init and times the end:
/// (seconds, whether the app finished flushing).
fn stop_as_pid1(argv: &[String], file: &str) -> Option<(f64, bool)> {
    let mut child = command(argv)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let ready = format!("{file}.ready");
    let deadline = Instant::now() + Duration::from_secs(10);
    while fs::metadata(&ready).is_err() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        thread::sleep(Duration::from_millis(2));
    }
    // The init is unshare's child.
    let unshare = child.id();
    let children = fs::read_to_string(format!("/proc/{unshare}/task/{unshare}/children")).ok()?;
    let init: i32 = children.split_whitespace().next()?.parse().ok()?;
    let start = Instant::now();
    unsafe { libc::kill(init, libc::SIGTERM) };
    loop {
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        if start.elapsed() > Duration::from_secs(15) {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        thread::sleep(Duration::from_micros(500));
    }
    let secs = start.elapsed().as_secs_f64();
    Some((secs, fs::metadata(file).is_ok()))
}
