//! rinit-testkit: small programs the integration tests run under rinit.
//!
//!   record [--fork] [--exit-on SIG]   print "LABEL SIGNAME" for every signal
//!   record --leave                    the same from a child left behind
//!                                     ("leftover ..."): the recorder exits
//!   stops FILE MS [--setsid]          append each stop signal it gets to
//!                                     FILE; on the first, take MS to finish,
//!                                     write FILE.done and exit 0
//!   rtcount SIG N                     count SIG until N arrived, print "count N"
//!   orphans N [LINGER_MS]             leave N orphans to the parent, check it
//!                                     adopted them ("misparented N"), wait for
//!                                     them to be reaped ("zombies N")
//!   app [FLUSH_MS]                    a service: logs each signal; on SIGTERM
//!                                     takes FLUSH_MS to flush, exits 0
//!   on-term FILE DELAY_MS             create FILE.ready, wait for SIGTERM, take
//!                                     DELAY_MS to "flush", then write FILE
//!   terms FILE                        create FILE.ready, then append a line to
//!                                     FILE for each SIGTERM delivered, until killed
//!   churn SIG                         orphan processes non-stop while counting
//!                                     SIG and standard signals; "quiet rt=N std=M"
//!                                     after each lull; exits 0 on SIGTERM
//!   hygiene                           print argv, environment, parent, fds
//!   state [CODE]                      print SigBlk, SigIgn and open fds
//!   tty                               read a line, then wait for SIGINT
//!   sleep SECS                        sleep, ignoring nothing
//!   chain N / wide N                  a fork chain N deep / N children
//!   hog                               touch memory until the kernel stops it
//!   deny NAME[,NAME...] ERRNO -- CMD  exec CMD under a seccomp filter that
//!                                     fails each named system call with ERRNO
//!                                     (EPERM, ENOSYS or a number); CMD a path
//!                                     when execve is among them
//!   parent -- CMD                     run CMD as a child, as another PID 1
//!                                     would; say how it ended ("parent: CMD
//!                                     exited N" or "... killed by signal N")
//!
//! Every program prints "ready" once it is set up, so tests know when to act
//! (but deny and parent, which only start another).

// Like rinit, no Rust start-up code: `state` must show the signal
// dispositions and fds it was handed, not SIGPIPE ignored by Rust's runtime.
#![no_main]

use std::ffi::CString;
use std::io::{self, BufRead, Write};
use std::time::{Duration, Instant};
use std::{env, fs, process, ptr, thread};

#[no_mangle]
extern "C" fn main(_argc: i32, _argv: *const *const u8) -> i32 {
    run();
    0
}

fn run() {
    let args: Vec<String> = env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    match words.as_slice() {
        ["record", rest @ ..] => record(rest),
        ["rtcount", sig, n] => rtcount(parse_signal(sig), n.parse().unwrap()),
        ["orphans", n] => orphans(n.parse().unwrap(), 0),
        ["orphans", n, linger] => orphans(n.parse().unwrap(), linger.parse().unwrap()),
        ["app"] => app(0),
        ["app", flush_ms] => app(flush_ms.parse().unwrap()),
        ["on-term", file, delay_ms] => on_term(file, delay_ms.parse().unwrap()),
        ["terms", file] => terms(file),
        ["stops", file, ms, rest @ ..] => stops(file, ms.parse().unwrap(), rest == ["--setsid"]),
        ["churn", sig] => churn(parse_signal(sig)),
        ["hygiene", ..] => hygiene(),
        ["state"] => state(0),
        ["state", code] => state(code.parse().unwrap()),
        ["tty"] => tty(),
        ["chain", n] => chain(n.parse().unwrap()),
        ["wide", n] => wide(n.parse().unwrap()),
        ["hog"] => hog(),
        ["deny", names, errno, "--", command @ ..] if !command.is_empty() => {
            deny(names, errno, command)
        }
        ["parent", "--", command @ ..] if !command.is_empty() => parent(command),
        ["sleep", secs] => {
            say("ready");
            thread::sleep(Duration::from_secs_f64(secs.parse().unwrap()));
        }
        _ => {
            eprintln!("rinit-testkit: unknown program {words:?}");
            process::exit(64);
        }
    }
}

fn say(line: &str) {
    let mut out = io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// Signals a recorder can see: all 64 but KILL and STOP, and CHLD, which
/// its own grandchild would raise. The fault signals are blocked too: sent
/// with kill(), they queue like any other.
fn recordable() -> Vec<i32> {
    (1..=64)
        .filter(|&n| n != libc::SIGKILL && n != libc::SIGSTOP && n != libc::SIGCHLD)
        .collect()
}

/// The kernel's real-time numbering, as rinit names them (not the C
/// library's SIGRTMIN: glibc's is 34, musl's 35).
const RTMIN: i32 = 34;

/// Blocks `signals` with the raw system call (glibc refuses 32 and 33):
/// the kernel's 64-bit set, to wait on with `wait_signal`.
fn block(signals: &[i32]) -> u64 {
    let set = signals.iter().fold(0u64, |set, &s| set | 1 << (s - 1));
    let ret = unsafe {
        libc::syscall(
            libc::SYS_rt_sigprocmask,
            libc::SIG_BLOCK,
            &set,
            ptr::null_mut::<u64>(),
            8,
        )
    };
    assert_eq!(ret, 0);
    set
}

/// The next signal of `set`, or -1 after `timeout`.
fn wait_signal(set: u64, timeout: Option<Duration>) -> i32 {
    let ts = timeout.map(|t| libc::timespec {
        tv_sec: t.as_secs() as _,
        tv_nsec: t.subsec_nanos() as _,
    });
    let ts_ptr = ts
        .as_ref()
        .map_or(ptr::null(), |t| t as *const libc::timespec);
    unsafe {
        libc::syscall(
            libc::SYS_rt_sigtimedwait,
            &set,
            ptr::null_mut::<libc::siginfo_t>(),
            ts_ptr,
            8,
        ) as i32
    }
}

fn name(sig: i32) -> String {
    match sig {
        32 | 33 => return format!("SIG{sig}"),
        RTMIN => return "SIGRTMIN".into(),
        s if s > RTMIN => return format!("SIGRTMIN+{}", s - RTMIN),
        _ => {}
    }
    let names = [
        "", "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV",
        "USR2", "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU",
        "URG", "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS",
    ];
    format!("SIG{}", names[sig as usize])
}

fn parse_signal(text: &str) -> i32 {
    if let Ok(n) = text.parse() {
        return n;
    }
    (1..=64)
        .find(|&n| name(n) == format!("SIG{}", text.trim_start_matches("SIG")))
        .expect("signal name")
}

/// Prints every signal it gets; with --fork a grandchild in the same process
/// group records too ("child ..." and "grandchild ..." lines). With --leave
/// the recorder forks and exits at once, and the child it leaves behind, in
/// its process group, records ("leftover ..."): a command that exits and
/// leaves a process for the drain.
fn record(rest: &[&str]) {
    let leave = rest.contains(&"--leave");
    let fork = leave || rest.contains(&"--fork");
    let exit_on = rest
        .iter()
        .position(|w| *w == "--exit-on")
        .map(|i| parse_signal(rest[i + 1]));
    let set = block(&recordable());
    let mut label = "child";
    if fork {
        // Every signal is blocked before the fork: the child records every
        // one sent from the moment the recorder exits.
        match unsafe { libc::fork() } {
            0 if leave => label = "leftover",
            0 => label = "grandchild",
            -1 => panic!("fork failed"),
            _ if leave => process::exit(0),
            _ => {}
        }
    }
    say(&format!("{label} ready {}", process::id()));
    loop {
        let sig = wait_signal(set, None);
        if sig < 0 {
            continue;
        }
        say(&format!("{label} {}", name(sig)));
        if Some(sig) == exit_on {
            process::exit(0);
        }
    }
}

/// Counts one (real-time) signal until `expected` arrived, then waits a
/// moment for extras; prints "count N".
fn rtcount(sig: i32, expected: usize) {
    let set = block(&[sig]);
    say("ready");
    let mut count = 0;
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut quiet_until = None;
    loop {
        let got = wait_signal(set, Some(Duration::from_millis(50)));
        if got == sig {
            count += 1;
            if count == expected {
                quiet_until = Some(Instant::now() + Duration::from_millis(300));
            }
        }
        let now = Instant::now();
        if now > deadline || quiet_until.is_some_and(|q| now > q) {
            break;
        }
    }
    say(&format!("count {count}"));
}

/// Leaves `n` orphans behind: each intermediate child forks a grandchild
/// and exits at once, so the grandchild goes to the nearest reaper, which
/// must be this program's parent (rinit). Each orphan checks who adopted it
/// and reports a wrong parent over a pipe; EOF on that pipe means every
/// orphan has exited. Prints "misparented N", then waits until the reaper
/// has collected them all and prints "zombies N" (zombies still left).
fn orphans(n: usize, linger_ms: u64) {
    say("ready");
    let reaper = unsafe { libc::getppid() };
    let mut fds = [0; 2];
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    let (report_read, report_write) = (fds[0], fds[1]);
    // In batches forked back to back, the intermediates collected after.
    let mut left = n;
    while left > 0 {
        let batch = left.min(100);
        let mut intermediates = Vec::with_capacity(batch);
        for _ in 0..batch {
            match unsafe { libc::fork() } {
                0 => {
                    if unsafe { libc::fork() } == 0 {
                        unsafe { libc::close(report_read) };
                        let first = unsafe { libc::getppid() };
                        while first != reaper && unsafe { libc::getppid() } == first {
                            thread::yield_now();
                        }
                        if unsafe { libc::getppid() } != reaper {
                            unsafe { libc::write(report_write, b"x".as_ptr().cast(), 1) };
                        }
                        if linger_ms > 0 {
                            thread::sleep(Duration::from_millis(linger_ms));
                        }
                    }
                    unsafe { libc::_exit(0) };
                }
                -1 => panic!("fork failed: {}", io::Error::last_os_error()),
                pid => intermediates.push(pid),
            }
        }
        for pid in intermediates {
            let mut status = 0;
            unsafe { libc::waitpid(pid, &mut status, 0) };
        }
        left -= batch;
    }
    say("orphaned");
    unsafe { libc::close(report_write) };
    let mut misparented = 0;
    let mut buf = [0u8; 256];
    loop {
        let got = unsafe { libc::read(report_read, buf.as_mut_ptr().cast(), buf.len()) };
        if got <= 0 {
            break;
        }
        misparented += got as usize;
    }
    say(&format!("misparented {misparented}"));
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut zombies;
    loop {
        let (alive, dead) = adopted_by(reaper);
        zombies = dead;
        if alive + dead == 0 || Instant::now() > deadline {
            break;
        }
        thread::sleep(Duration::from_millis(20));
    }
    say(&format!("zombies {zombies}"));
    // A moment for the test to look at the reaper before this exits.
    thread::sleep(Duration::from_millis(500));
}

/// Counts the processes other than this one whose parent is `reaper`:
/// (running, zombie).
fn adopted_by(reaper: i32) -> (usize, usize) {
    let me = process::id().to_string();
    let (mut alive, mut dead) = (0, 0);
    for entry in fs::read_dir("/proc").unwrap().flatten() {
        let pid = entry.file_name().to_string_lossy().into_owned();
        if !pid.bytes().all(|b| b.is_ascii_digit()) || pid == me {
            continue;
        }
        let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // The command may hold spaces: fields after the last ')' are fixed.
        let Some(after) = stat.rsplit_once(')').map(|(_, rest)| rest) else {
            continue;
        };
        let fields: Vec<&str> = after.split_whitespace().collect();
        if fields.get(1).and_then(|p| p.parse::<i32>().ok()) != Some(reaper) {
            continue;
        }
        if fields.first() == Some(&"Z") {
            dead += 1;
        } else {
            alive += 1;
        }
    }
    (alive, dead)
}

/// The end-to-end suite's app: "app: ready", a line per signal, and a
/// graceful exit 0 on SIGTERM (after flushing) or SIGINT.
fn app(flush_ms: u64) {
    let set = block(&[
        libc::SIGTERM,
        libc::SIGINT,
        libc::SIGUSR1,
        libc::SIGUSR2,
        libc::SIGHUP,
    ]);
    say("app: ready");
    loop {
        let sig = wait_signal(set, None);
        match sig {
            libc::SIGTERM => {
                say("app: got SIGTERM, flushing");
                thread::sleep(Duration::from_millis(flush_ms));
                say("app: flushed, exiting");
                return;
            }
            libc::SIGINT => {
                say("app: got SIGINT, exiting");
                return;
            }
            sig if sig > 0 => say(&format!("app: got {}", name(sig))),
            _ => {}
        }
    }
}

/// A background writer with unsaved data: on SIGTERM it takes a while to
/// flush, then writes FILE. Killed before that, FILE never appears.
fn on_term(file: &str, delay_ms: u64) {
    let set = block(&[libc::SIGTERM]);
    fs::write(format!("{file}.ready"), "").unwrap();
    wait_signal(set, None);
    thread::sleep(Duration::from_millis(delay_ms));
    fs::write(file, "saved\n").unwrap();
}

/// The descriptor `terms` appends to, for its handler.
static TERMS_FD: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(-1);

/// Notes every SIGTERM delivered, in a handler: a second one is seen even
/// when it comes a moment after the first (a blocked one would coalesce).
/// Real-time priority (as root): sharing a CPU with its sender, it runs its
/// handler the moment a signal wakes it, before the sender sends again.
fn terms(file: &str) {
    let param = libc::sched_param { sched_priority: 1 };
    unsafe { libc::sched_setscheduler(0, libc::SCHED_FIFO, &param) };
    extern "C" fn on_term(_: i32) {
        let fd = TERMS_FD.load(std::sync::atomic::Ordering::Relaxed);
        unsafe { libc::write(fd, b"TERM\n".as_ptr().cast(), 5) };
    }
    let out = fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(file)
        .unwrap();
    TERMS_FD.store(
        std::os::fd::IntoRawFd::into_raw_fd(out),
        std::sync::atomic::Ordering::Relaxed,
    );
    unsafe { libc::signal(libc::SIGTERM, on_term as *const () as libc::sighandler_t) };
    fs::write(format!("{file}.ready"), "").unwrap();
    loop {
        unsafe { libc::pause() };
    }
}

/// The signals `stops` takes as "stop": what engines, supervisors and
/// users stop a service with (Docker's TERM, Ctrl-C, nginx's QUIT, httpd's
/// WINCH, LXC's PWR, systemd's RTMIN+3), and the reload and rotate ones
/// apps also get.
const STOPS: [i32; 9] = [
    libc::SIGTERM,
    libc::SIGINT,
    libc::SIGQUIT,
    libc::SIGHUP,
    libc::SIGUSR1,
    libc::SIGUSR2,
    libc::SIGWINCH,
    libc::SIGPWR,
    RTMIN + 3,
];

/// The descriptor `stops` appends to, and whether a stop came, for its handler.
static STOPS_FD: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(-1);
static STOPPED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// An app that stops gracefully: a line in FILE for every stop signal
/// delivered (a handler sees a second one even when it comes a moment
/// after the first), and on the first one it keeps going `ms`
/// milliseconds, writes FILE.done and exits 0. With --setsid it first
/// leaves its parent's process group and session, as a daemon does.
/// Real-time priority (as root), as `terms`: it handles each signal the
/// moment it comes, so two are never taken for one.
fn stops(file: &str, ms: u64, setsid: bool) {
    use std::sync::atomic::Ordering::Relaxed;
    if setsid {
        assert!(unsafe { libc::setsid() } > 0, "setsid");
    }
    let param = libc::sched_param { sched_priority: 1 };
    unsafe { libc::sched_setscheduler(0, libc::SCHED_FIFO, &param) };
    extern "C" fn on_stop(sig: i32) {
        let line: &[u8] = match sig {
            libc::SIGTERM => b"TERM\n",
            libc::SIGINT => b"INT\n",
            libc::SIGQUIT => b"QUIT\n",
            libc::SIGHUP => b"HUP\n",
            libc::SIGUSR1 => b"USR1\n",
            libc::SIGUSR2 => b"USR2\n",
            libc::SIGWINCH => b"WINCH\n",
            libc::SIGPWR => b"PWR\n",
            _ => b"RTMIN+3\n",
        };
        let fd = STOPS_FD.load(Relaxed);
        unsafe { libc::write(fd, line.as_ptr().cast(), line.len()) };
        STOPPED.store(true, Relaxed);
    }
    let out = fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(file)
        .unwrap();
    STOPS_FD.store(std::os::fd::IntoRawFd::into_raw_fd(out), Relaxed);
    // Blocked while the flag is looked at, taken in sigsuspend: a stop
    // that comes in between is not slept through.
    let set = block(&STOPS);
    for sig in STOPS {
        let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
        action.sa_sigaction = on_stop as *const () as libc::sighandler_t;
        assert_eq!(unsafe { libc::sigaction(sig, &action, ptr::null_mut()) }, 0);
    }
    fs::write(format!("{file}.ready"), "").unwrap();
    say("stops ready");
    let others = 0u64;
    while !STOPPED.load(Relaxed) {
        unsafe { libc::syscall(libc::SYS_rt_sigsuspend, &others, 8) };
    }
    // Every later stop signal is handled as it comes, while it finishes.
    unsafe {
        libc::syscall(
            libc::SYS_rt_sigprocmask,
            libc::SIG_UNBLOCK,
            &set,
            ptr::null_mut::<u64>(),
            8,
        )
    };
    thread::sleep(Duration::from_millis(ms));
    fs::write(format!("{file}.done"), "").unwrap();
    process::exit(0);
}

/// Keeps orphaning processes (for the reaper to collect) while it counts
/// `rt` and the standard signals it is sent; prints "quiet rt=N std=M" after
/// each 300 ms without a signal, and exits 0 on SIGTERM.
fn churn(rt: i32) {
    let standard = [
        libc::SIGHUP,
        libc::SIGUSR1,
        libc::SIGUSR2,
        libc::SIGWINCH,
        libc::SIGURG,
        libc::SIGALRM,
    ];
    let mut all = vec![rt, libc::SIGTERM];
    all.extend(standard);
    // Blocked before the forking thread starts, so it inherits the mask.
    let set = block(&all);
    thread::spawn(|| loop {
        match unsafe { libc::fork() } {
            0 => unsafe {
                if libc::fork() == 0 {
                    libc::_exit(0);
                }
                libc::_exit(0);
            },
            pid if pid > 0 => unsafe {
                libc::waitpid(pid, ptr::null_mut(), 0);
            },
            _ => thread::sleep(Duration::from_millis(1)),
        }
    });
    say("ready");
    let (mut rt_seen, mut std_seen, mut said) = (0u64, 0u64, (0, 0));
    loop {
        match wait_signal(set, Some(Duration::from_millis(300))) {
            libc::SIGTERM => {
                say("got SIGTERM");
                process::exit(0);
            }
            s if s == rt => rt_seen += 1,
            s if s > 0 => std_seen += 1,
            _ if (rt_seen, std_seen) != said => {
                said = (rt_seen, std_seen);
                say(&format!("quiet rt={rt_seen} std={std_seen}"));
            }
            _ => {}
        }
    }
}

/// What the child was handed, from /proc/self: argv, environment, parent.
fn hygiene() {
    // Each NUL-terminated entry, empty ones too, as escaped bytes.
    let show = |bytes: Vec<u8>| -> String {
        let body = bytes.strip_suffix(&[0]).unwrap_or(&bytes);
        body.split(|&b| b == 0)
            .map(|w| format!("{:?}", String::from_utf8_lossy(w).into_owned() + &hex(w)))
            .collect::<Vec<_>>()
            .join(" ")
    };
    fn hex(w: &[u8]) -> String {
        if std::str::from_utf8(w).is_ok() {
            String::new()
        } else {
            format!(
                "#{}",
                w.iter().map(|b| format!("{b:02x}")).collect::<String>()
            )
        }
    }
    say(&format!(
        "argv: {}",
        show(fs::read("/proc/self/cmdline").unwrap())
    ));
    say(&format!(
        "env: {}",
        show(fs::read("/proc/self/environ").unwrap())
    ));
    let ppid = unsafe { libc::getppid() };
    let parent = fs::read_to_string(format!("/proc/{ppid}/comm")).unwrap_or_default();
    say(&format!("parent: {ppid} {}", parent.trim()));
}

/// Prints what the child was handed: masks from /proc/self/status and fds.
fn state(code: i32) {
    let status = fs::read_to_string("/proc/self/status").unwrap();
    for line in status.lines() {
        if line.starts_with("SigBlk:") || line.starts_with("SigIgn:") {
            say(line);
        }
    }
    // read_dir holds one fd of its own while listing: leave it out.
    let dir = CString::new("/proc/self/fd").unwrap();
    let handle = unsafe { libc::opendir(dir.as_ptr()) };
    let own = unsafe { libc::dirfd(handle) };
    let mut fds = Vec::new();
    loop {
        let entry = unsafe { libc::readdir(handle) };
        if entry.is_null() {
            break;
        }
        let name = unsafe { std::ffi::CStr::from_ptr((*entry).d_name.as_ptr()) }
            .to_string_lossy()
            .into_owned();
        if let Ok(fd) = name.parse::<i32>() {
            if fd != own {
                fds.push(fd.to_string());
            }
        }
    }
    unsafe { libc::closedir(handle) };
    say(&format!("fds: {}", fds.join(" ")));
    let leader = unsafe { libc::getsid(0) == libc::getpid() };
    say(&format!("session leader: {leader}"));
    say(&format!(
        "LISTEN_PID={} pid={}",
        env::var("LISTEN_PID").unwrap_or_default(),
        process::id()
    ));
    process::exit(code);
}

/// Checks it owns the terminal's foreground, reads a line, then waits for
/// the SIGINT a Ctrl-C sends to the foreground group.
fn tty() {
    let set = block(&[libc::SIGINT]);
    let foreground = unsafe { libc::tcgetpgrp(0) == libc::getpgrp() };
    say(&format!("ready foreground={foreground}"));
    let mut line = String::new();
    io::stdin().lock().read_line(&mut line).unwrap();
    say(&format!("read: {}", line.trim_end()));
    let sig = wait_signal(set, None);
    say(&format!("got {}", name(sig)));
}

/// A fork chain `n` deep: each process forks the next and waits for it;
/// the last says "ready". SIGTERM ends them all (the default action).
fn chain(n: usize) {
    for depth in 0..n {
        // SAFETY: a single-threaded process; the child goes on below.
        let pid = unsafe { libc::fork() };
        if pid > 0 {
            let mut status = 0;
            unsafe { libc::waitpid(pid, &mut status, 0) };
            process::exit(0);
        }
        if depth + 1 == n {
            say("ready");
        }
    }
    loop {
        unsafe { libc::pause() };
    }
}

/// `n` children that wait for a signal, then "ready".
fn wide(n: usize) {
    for _ in 0..n {
        // SAFETY: as above.
        if unsafe { libc::fork() } == 0 {
            loop {
                unsafe { libc::pause() };
            }
        }
    }
    say("ready");
    loop {
        unsafe { libc::pause() };
    }
}

/// Touches memory a MiB at a time until the kernel stops it: the OOM
/// killer under a memory limit.
fn hog() {
    let mut held: Vec<Vec<u8>> = Vec::new();
    loop {
        // Written, not calloc'ed: every page is really used.
        held.push(vec![1u8; 1 << 20]);
    }
}

/// A command ready for execv(2), built beforehand: after `deny`'s filter
/// is in place nothing may allocate (brk or mmap may be denied).
struct Exec {
    argv: Vec<CString>,
    ptrs: Vec<*const libc::c_char>,
}

impl Exec {
    fn new(command: &[&str]) -> Exec {
        let argv: Vec<CString> = command
            .iter()
            .map(|w| CString::new(*w).expect("no NUL byte in an argument"))
            .collect();
        let mut ptrs: Vec<*const libc::c_char> = argv.iter().map(|a| a.as_ptr()).collect();
        ptrs.push(ptr::null());
        Exec { argv, ptrs }
    }

    /// The address of the path execv is given.
    fn path(&self) -> *const libc::c_char {
        self.argv[0].as_ptr()
    }

    /// Returns only if exec failed, its errno. A name without a slash is
    /// searched in PATH (execvp), which passes exec other path pointers:
    /// `deny` with execve denied needs a path.
    fn run(&self) -> i32 {
        match self.argv[0].as_bytes().contains(&b'/') {
            true => unsafe { libc::execv(self.path(), self.ptrs.as_ptr()) },
            false => unsafe { libc::execvp(self.path(), self.ptrs.as_ptr()) },
        };
        io::Error::last_os_error().raw_os_error().unwrap_or(0)
    }
}

/// Says exec failed, with the raw system call (nothing allocated), and
/// exits 127.
fn exec_failed(who: &str, errno: i32) -> ! {
    let mut digits = [0u8; 10];
    let mut start = digits.len();
    let mut n = errno.unsigned_abs();
    loop {
        start -= 1;
        digits[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for part in [
        who.as_bytes(),
        b": exec failed, errno ",
        &digits[start..],
        b"\n",
    ] {
        unsafe { libc::write(2, part.as_ptr().cast(), part.len()) };
    }
    unsafe { libc::_exit(127) }
}

/// The seccomp launcher: sets no_new_privs, installs a classic BPF filter
/// that answers each named system call with `errno` (any other
/// architecture than x86_64 kills the process; every other call is
/// allowed), then execs `command`. The filter is inherited by everything
/// `command` starts, and stays across their execs.
///
/// With execve among the denied calls, this launcher's own exec must still
/// go through: the filter lets execve through when its path is the very
/// pointer this process passes (seccomp sees the arguments as numbers, and
/// no other process has that address for its path but by chance).
fn deny(names: &str, errno: &str, command: &[&str]) {
    let errno: u32 = match errno {
        "EPERM" => libc::EPERM as u32,
        "ENOSYS" => libc::ENOSYS as u32,
        n => n.parse().expect("ERRNO: EPERM, ENOSYS or a number"),
    };
    let numbers: Vec<u32> = names
        .split(',')
        .map(|name| {
            syscall_number(name).unwrap_or_else(|| {
                eprintln!("rinit-testkit deny: no system call {name:?} in its table");
                process::exit(64)
            })
        })
        .collect();
    let exec = Exec::new(command);
    let mut filter = seccomp_filter(&numbers, errno, exec.path() as u64);
    let program = libc::sock_fprog {
        len: filter.len() as u16,
        filter: filter.as_mut_ptr(),
    };
    // SAFETY: prctl with integer arguments, then with a pointer to a live
    // filter program the kernel copies.
    unsafe {
        if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
            panic!("PR_SET_NO_NEW_PRIVS: {}", io::Error::last_os_error());
        }
        if libc::prctl(
            libc::PR_SET_SECCOMP,
            libc::SECCOMP_MODE_FILTER,
            &program as *const libc::sock_fprog,
        ) != 0
        {
            panic!("PR_SET_SECCOMP: {}", io::Error::last_os_error());
        }
    }
    exec_failed("rinit-testkit deny", exec.run());
}

/// The filter program for `deny`.
fn seccomp_filter(numbers: &[u32], errno: u32, exec_path: u64) -> Vec<libc::sock_filter> {
    // struct seccomp_data: int nr; __u32 arch; __u64 instruction_pointer;
    // __u64 args[6] (each argument as two 32-bit words, low first here).
    const NR: u32 = 0;
    const ARCH: u32 = 4;
    const ARG0_LOW: u32 = 16;
    const ARG0_HIGH: u32 = 20;
    // EM_X86_64 | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE (linux/audit.h).
    const AUDIT_ARCH_X86_64: u32 = 62 | 0x8000_0000 | 0x4000_0000;
    let load = |offset| stmt(libc::BPF_LD | libc::BPF_W | libc::BPF_ABS, offset);
    let jump_eq = |k, jt, jf| libc::sock_filter {
        code: (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16,
        jt,
        jf,
        k,
    };
    let deny = stmt(libc::BPF_RET | libc::BPF_K, libc::SECCOMP_RET_ERRNO | errno);
    let allow = stmt(libc::BPF_RET | libc::BPF_K, libc::SECCOMP_RET_ALLOW);
    let mut filter = vec![
        load(ARCH),
        jump_eq(AUDIT_ARCH_X86_64, 1, 0),
        stmt(libc::BPF_RET | libc::BPF_K, libc::SECCOMP_RET_KILL_PROCESS),
        load(NR),
    ];
    let execve = libc::SYS_execve as u32;
    if numbers.contains(&execve) {
        filter.extend([
            // Not execve: on to the list (the accumulator still holds nr).
            jump_eq(execve, 0, 6),
            load(ARG0_LOW),
            jump_eq(exec_path as u32, 0, 2),
            load(ARG0_HIGH),
            jump_eq((exec_path >> 32) as u32, 1, 0),
            deny,
            allow,
        ]);
    }
    for &nr in numbers.iter().filter(|&&nr| nr != execve) {
        filter.extend([jump_eq(nr, 0, 1), deny]);
    }
    filter.push(allow);
    filter
}

fn stmt(code: u32, k: u32) -> libc::sock_filter {
    libc::sock_filter {
        code: code as u16,
        jt: 0,
        jf: 0,
        k,
    }
}

/// The x86_64 number of a system call, by name: every call rinit makes
/// (tests/denied_calls.rs lists them), and those it might come to make.
fn syscall_number(name: &str) -> Option<u32> {
    #[cfg(target_arch = "x86_64")]
    let table: &[(&str, libc::c_long)] = &[
        ("read", libc::SYS_read),
        ("write", libc::SYS_write),
        ("open", libc::SYS_open),
        ("close", libc::SYS_close),
        ("stat", libc::SYS_stat),
        ("fstat", libc::SYS_fstat),
        ("lstat", libc::SYS_lstat),
        ("poll", libc::SYS_poll),
        ("lseek", libc::SYS_lseek),
        ("mmap", libc::SYS_mmap),
        ("mprotect", libc::SYS_mprotect),
        ("munmap", libc::SYS_munmap),
        ("brk", libc::SYS_brk),
        ("rt_sigaction", libc::SYS_rt_sigaction),
        ("rt_sigprocmask", libc::SYS_rt_sigprocmask),
        ("rt_sigreturn", libc::SYS_rt_sigreturn),
        ("ioctl", libc::SYS_ioctl),
        ("pread64", libc::SYS_pread64),
        ("pwrite64", libc::SYS_pwrite64),
        ("readv", libc::SYS_readv),
        ("writev", libc::SYS_writev),
        ("access", libc::SYS_access),
        ("pipe", libc::SYS_pipe),
        ("sched_yield", libc::SYS_sched_yield),
        ("mremap", libc::SYS_mremap),
        ("madvise", libc::SYS_madvise),
        ("dup", libc::SYS_dup),
        ("dup2", libc::SYS_dup2),
        ("pause", libc::SYS_pause),
        ("nanosleep", libc::SYS_nanosleep),
        ("getpid", libc::SYS_getpid),
        ("sendto", libc::SYS_sendto),
        ("sendmsg", libc::SYS_sendmsg),
        ("clone", libc::SYS_clone),
        ("fork", libc::SYS_fork),
        ("vfork", libc::SYS_vfork),
        ("execve", libc::SYS_execve),
        ("exit", libc::SYS_exit),
        ("wait4", libc::SYS_wait4),
        ("kill", libc::SYS_kill),
        ("uname", libc::SYS_uname),
        ("fcntl", libc::SYS_fcntl),
        ("getdents", libc::SYS_getdents),
        ("getcwd", libc::SYS_getcwd),
        ("chdir", libc::SYS_chdir),
        ("fchdir", libc::SYS_fchdir),
        ("readlink", libc::SYS_readlink),
        ("fstatfs", libc::SYS_fstatfs),
        ("getrlimit", libc::SYS_getrlimit),
        ("sysinfo", libc::SYS_sysinfo),
        ("getuid", libc::SYS_getuid),
        ("getgid", libc::SYS_getgid),
        ("geteuid", libc::SYS_geteuid),
        ("getegid", libc::SYS_getegid),
        ("setpgid", libc::SYS_setpgid),
        ("getppid", libc::SYS_getppid),
        ("getpgrp", libc::SYS_getpgrp),
        ("setsid", libc::SYS_setsid),
        ("getpgid", libc::SYS_getpgid),
        ("getsid", libc::SYS_getsid),
        ("rt_sigpending", libc::SYS_rt_sigpending),
        ("rt_sigtimedwait", libc::SYS_rt_sigtimedwait),
        ("rt_sigqueueinfo", libc::SYS_rt_sigqueueinfo),
        ("rt_sigsuspend", libc::SYS_rt_sigsuspend),
        ("sigaltstack", libc::SYS_sigaltstack),
        ("prctl", libc::SYS_prctl),
        ("arch_prctl", libc::SYS_arch_prctl),
        ("setrlimit", libc::SYS_setrlimit),
        ("gettid", libc::SYS_gettid),
        ("tkill", libc::SYS_tkill),
        ("futex", libc::SYS_futex),
        ("sched_getaffinity", libc::SYS_sched_getaffinity),
        ("getdents64", libc::SYS_getdents64),
        ("set_tid_address", libc::SYS_set_tid_address),
        ("clock_gettime", libc::SYS_clock_gettime),
        ("clock_nanosleep", libc::SYS_clock_nanosleep),
        ("exit_group", libc::SYS_exit_group),
        ("epoll_wait", libc::SYS_epoll_wait),
        ("epoll_ctl", libc::SYS_epoll_ctl),
        ("tgkill", libc::SYS_tgkill),
        ("waitid", libc::SYS_waitid),
        ("openat", libc::SYS_openat),
        ("newfstatat", libc::SYS_newfstatat),
        ("readlinkat", libc::SYS_readlinkat),
        ("pselect6", libc::SYS_pselect6),
        ("ppoll", libc::SYS_ppoll),
        ("set_robust_list", libc::SYS_set_robust_list),
        ("epoll_pwait", libc::SYS_epoll_pwait),
        ("signalfd", libc::SYS_signalfd),
        ("timerfd_create", libc::SYS_timerfd_create),
        ("eventfd", libc::SYS_eventfd),
        ("timerfd_settime", libc::SYS_timerfd_settime),
        ("signalfd4", libc::SYS_signalfd4),
        ("eventfd2", libc::SYS_eventfd2),
        ("epoll_create1", libc::SYS_epoll_create1),
        ("dup3", libc::SYS_dup3),
        ("pipe2", libc::SYS_pipe2),
        ("preadv", libc::SYS_preadv),
        ("pwritev", libc::SYS_pwritev),
        ("rt_tgsigqueueinfo", libc::SYS_rt_tgsigqueueinfo),
        ("prlimit64", libc::SYS_prlimit64),
        ("getrandom", libc::SYS_getrandom),
        ("membarrier", libc::SYS_membarrier),
        ("execveat", libc::SYS_execveat),
        ("statx", libc::SYS_statx),
        ("preadv2", libc::SYS_preadv2),
        ("pwritev2", libc::SYS_pwritev2),
        ("rseq", libc::SYS_rseq),
        ("pidfd_send_signal", libc::SYS_pidfd_send_signal),
        ("pidfd_open", libc::SYS_pidfd_open),
        ("clone3", libc::SYS_clone3),
        ("close_range", libc::SYS_close_range),
        ("openat2", libc::SYS_openat2),
        ("pidfd_getfd", libc::SYS_pidfd_getfd),
        ("faccessat2", libc::SYS_faccessat2),
        ("epoll_pwait2", libc::SYS_epoll_pwait2),
    ];
    #[cfg(not(target_arch = "x86_64"))]
    let table: &[(&str, libc::c_long)] = &[];
    table
        .iter()
        .find(|(n, _)| *n == name)
        .map(|&(_, nr)| nr as u32)
}

/// Runs `command` as its child and waits for it, as a PID 1 that is not
/// rinit would; says how it ended, so that a test can tell an exit with
/// 143 from a death by SIGTERM (a shell reports both as 143). Exits with
/// its code, or 128+N when signal N ended it.
fn parent(command: &[&str]) {
    let exec = Exec::new(command);
    // SAFETY: a single-threaded process; the child only execs or exits.
    let child = unsafe { libc::fork() };
    if child == 0 {
        exec_failed("rinit-testkit parent", exec.run());
    }
    assert!(child > 0, "fork: {}", io::Error::last_os_error());
    let mut status = 0;
    // Orphans that come to this PID 1 are left as zombies: the namespace
    // ends with it.
    loop {
        let got = unsafe { libc::waitpid(child, &mut status, 0) };
        if got == child {
            break;
        }
        let error = io::Error::last_os_error();
        assert_eq!(error.kind(), io::ErrorKind::Interrupted, "waitpid: {error}");
    }
    let name = command[0].rsplit('/').next().unwrap_or(command[0]);
    if libc::WIFSIGNALED(status) {
        let sig = libc::WTERMSIG(status);
        eprintln!("parent: {name} killed by signal {sig}");
        process::exit(128 + sig);
    }
    let code = libc::WEXITSTATUS(status);
    eprintln!("parent: {name} exited {code}");
    process::exit(code);
}
