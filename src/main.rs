//! rinit: a tiny init for containers.
//!
//! Its life: read the options; block every relayable signal (before the
//! child exists, so none is lost); become child subreaper unless PID 1;
//! start the command in its own process group, then let go of the
//! descriptors that were the command's to keep (`-P` starts none and only
//! reaps until a stop); relay signals and reap children until the command
//! exits; drain what it left behind (SIGTERM, a grace period, SIGKILL);
//! exit with the command's status.

// PID 1 must never panic: no unwrap, expect, panic or unchecked index
// outside tests; and every unsafe block says why it is sound.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::undocumented_unsafe_blocks
    )
)]
// rinit's own C `main`: Rust's start-up code would set SIGPIPE to ignored,
// reopen a closed stdin/stdout/stderr on /dev/null and install SIGSEGV
// handlers, and the child must get exactly what rinit was given instead.
#![cfg_attr(not(test), no_main)]

use std::ffi::OsString;
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::process::exit;

use nix::unistd::Pid;
use rinit::drain::Drain;
use rinit::lifecycle::Lifecycle;
use rinit::log::{info, warning, Event, Level, Log};
use rinit::oom::Oom;
use rinit::options::Request;
use rinit::personality::Personality;
use rinit::relay::Relay;
use rinit::settings::{Layout, Run, Settings};
use rinit::signals::Signals;
use rinit::spawn::{Command, Session, SpawnError};
use rinit::supervise::Supervisor;
use rinit::{
    descriptors, environ, escape, inspect, install, log, memory, options, pause, procfs, reap,
    spawn,
};

#[global_allocator]
static ALLOCATOR: memory::Allocator = memory::Allocator;

/// Exit status when rinit itself cannot go on, as shells use it.
const CANNOT_RUN: i32 = 126;

#[cfg(not(test))]
#[no_mangle]
extern "C" fn main(argc: libc::c_int, argv: *const *const libc::c_char) -> libc::c_int {
    use std::ffi::{CStr, OsStr};
    use std::os::unix::ffi::OsStrExt;
    // From main's own arguments: std::env::args() is empty without Rust's
    // start-up code on musl (only glibc hands argv to std at load time).
    let args = (0..usize::try_from(argc).unwrap_or(0))
        .map_while(|i| {
            // SAFETY: the C runtime passes `argc` pointers to NUL-terminated
            // strings in `argv`; a null one ends the list early.
            let arg = unsafe { *argv.add(i) };
            // SAFETY: as above, a non-null entry is a C string that lives as
            // long as the process.
            (!arg.is_null())
                .then(|| OsStr::from_bytes(unsafe { CStr::from_ptr(arg) }.to_bytes()).to_owned())
        })
        .collect();
    start(args)
}

#[cfg_attr(test, allow(dead_code))]
fn start(args: Vec<OsString>) -> ! {
    let personality = Personality::from_argv0(args.first().map(OsString::as_os_str));
    memory::name(personality.name());
    let parsed =
        options::parse(args.get(1..).unwrap_or_default()).and_then(|request| match request {
            Request::Run(flags) => {
                let env = environ::Own::read();
                Settings::resolve(flags, personality, &|k| env.get(k))
                    .and_then(|s| s.expanded(std::env::vars_os))
                    .map(Some)
            }
            Request::Help => print_and_exit(options::HELP),
            Request::Version => print_version(),
            Request::License => print_and_exit(include_str!("../LICENSE")),
            Request::Inspect { pid, json } => match inspect::inspect(pid) {
                Ok(report) => print_and_exit(&if json { report.json() } else { report.text() }),
                Err(why) => say_and_leave(
                    &args,
                    personality,
                    1,
                    format_args!("--inspect {pid}: {why}"),
                ),
            },
            Request::Install(dir) => {
                let shown = escape::quoted(dir.as_bytes());
                match install::install(&dir) {
                    Ok(()) => say_and_leave(
                        &args,
                        personality,
                        0,
                        format_args!("installed '{shown}/rinit'"),
                    ),
                    Err(why) => say_and_leave(
                        &args,
                        personality,
                        1,
                        format_args!("--install '{shown}': {why}"),
                    ),
                }
            }
        });
    let settings = match parsed {
        Ok(Some(settings)) => settings,
        Ok(None) | Err(_) => {
            let log = Log::new(personality.name(), Level::Warn, early_format(&args));
            if let Err(e) = parsed {
                warning!(log, event: &Event::named("usage"), "{}; see '{} --help'", e.0, personality.name());
            }
            leave(&log, personality.usage_status());
        }
    };
    // The log before the signals: it looks at what fd 2 is, and with fd 2
    // closed the signalfd would take that number. It opens nothing before
    // its first line, so with only a descriptor or two to spare
    // (RLIMIT_NOFILE 4) the signalfd, which rinit cannot do without, still
    // gets one.
    let log = Log::new(personality.name(), settings.verbosity, settings.log_format);
    let signals = Signals::take_over();
    let status = match signals {
        Ok(signals) => run(&settings, personality, &log, &signals),
        Err(e) => {
            warning!(log, "cannot take over signals: {e}");
            CANNOT_RUN
        }
    };
    let event = Event {
        status: Some(status),
        ..Event::named("exit")
    };
    info!(log, event: &event, "exiting with status {status}");
    leave(&log, status);
}

/// One line before the options are acted on (`--inspect`'s error,
/// `--install`'s outcome), then the exit.
#[inline(never)]
fn say_and_leave(
    args: &[OsString],
    personality: Personality,
    status: i32,
    line: std::fmt::Arguments<'_>,
) -> ! {
    let log = Log::new(personality.name(), Level::Warn, early_format(args));
    log.line(Level::Warn, None, line);
    leave(&log, status)
}

/// Exits once the log's last lines had their chance to go out.
fn leave(log: &Log, status: i32) -> ! {
    log.flush();
    exit(status)
}

/// rinit's life once the signals are its own, in the order of the top
/// comment; returns the status to exit with.
fn run(settings: &Settings, personality: Personality, log: &Log, signals: &Signals) -> i32 {
    let pid1 = std::process::id() == 1;
    if !pid1 {
        become_subreaper(personality, log);
    }
    ask_for_parent_death(settings, log);
    let child = match &settings.run {
        Run::Command(words) => match start_command(words, settings, personality, signals, log) {
            Ok(child) => Some(child),
            Err(status) => return status,
        },
        Run::Pause => {
            memory::command_runs();
            None
        }
    };
    // From here on nothing may allocate but fallibly (`memory`).
    let_go(signals, log);
    let life = Lifecycle {
        log,
        settings,
        signals,
        // After let_go, which would close the cgroup's descriptor.
        oom: Oom::watch(),
        pid1,
    };
    warn_without_proc(log);
    let Some(child) = child else {
        return pause::run(&life);
    };
    let relay = Relay::new(log, settings, child);
    let (exit, stopped) = Supervisor::new(&life, &relay, child).run();
    let drain = Drain {
        life: &life,
        relay: &relay,
        command: child,
    };
    settings.exit_status(drain.run(exit, stopped).status())
}

/// Away from PID 1, orphans go to the nearest subreaper: rinit, once this is
/// done (see `prctl(2)`, PR_SET_CHILD_SUBREAPER).
fn become_subreaper(personality: Personality, log: &Log) {
    match reap::become_subreaper() {
        Ok(()) => info!(
            log,
            "not PID 1: registered as child subreaper, orphans come to {}",
            personality.name()
        ),
        Err(e) => warning!(
            log,
            "cannot become child subreaper ({e}): orphans will not be reaped"
        ),
    }
}

/// tini's `-p`: the signal the kernel sends rinit when its parent dies.
fn ask_for_parent_death(settings: &Settings, log: &Log) {
    if let Some(sig) = settings.parent_death {
        // SAFETY: PR_SET_PDEATHSIG takes a signal number and touches no memory.
        if unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, sig.number() as libc::c_ulong) } != 0 {
            warning!(
                log,
                "cannot ask for {sig} on parent death: {}",
                io::Error::last_os_error()
            );
        }
    }
}

/// Starts the command in the layout the settings ask for; on failure, the
/// status to exit with.
// Out of line: inlined into `start` it makes the shipped binary larger.
#[inline(never)]
fn start_command(
    words: &[OsString],
    settings: &Settings,
    personality: Personality,
    signals: &Signals,
    log: &Log,
) -> Result<Pid, i32> {
    let mut command = Command::new(words);
    // Escaped before the command runs (rinit may not allocate after), and
    // only when the line is shown.
    let started = log.enabled(Level::Info).then(|| command.display());
    let session = match settings.layout {
        Layout::Session => Session::New,
        Layout::Shared => Session::Shared,
        Layout::Group => Session::Group {
            take_terminal: spawn::owns_foreground(),
        },
    };
    let child = match command.spawn(signals, session, personality) {
        Ok(child) => {
            memory::command_runs();
            child
        }
        // exec's failure ends rinit with tini's status for it (and -e
        // applies, as to any status); one before it too; clone's with 126.
        Err(SpawnError { call, errno }) => {
            let err = io::Error::from(errno);
            if call == "exec" {
                warning!(log, event: &Event::named("exec_failed"), "cannot run '{}': {err}", command.display());
            } else {
                warning!(log, event: &Event::named("start_failed"), "cannot start '{}': {call}: {err}", command.display());
            }
            return Err(match call {
                "clone" => CANNOT_RUN,
                _ => settings.exit_status(personality.exec_status(errno)),
            });
        }
    };
    let event = Event {
        pid: Some(child.as_raw()),
        ..Event::named("started")
    };
    info!(log, event: &event, "started '{}' as pid {child}", started.unwrap_or_default());
    Ok(child)
}

/// Looked at once the command runs: the first look at /proc/self makes the
/// kernel build this process's /proc entries, which the cgroup's read in
/// `Oom::watch` has paid for by then.
fn warn_without_proc(log: &Log) {
    match procfs::view() {
        procfs::View::Ours => {}
        procfs::View::Absent => warning!(
            log,
            "/proc is not mounted: senders of signals go unnamed, and at exit only the command's group gets SIGTERM"
        ),
        procfs::View::Foreign => warning!(
            log,
            "/proc is another PID namespace's: rinit reads nothing there"
        ),
    }
}

/// An init lives as long as the container: it must not keep busy what it
/// was handed for the command. It leaves the directory it was started in,
/// which the command may need to unmount or remove (the command keeps it as
/// its own working directory), and the descriptors beyond 0-2.
fn let_go(signals: &Signals, log: &Log) {
    // Nothing depends on rinit's own directory: it only opens absolute paths.
    let _ = std::env::set_current_dir("/");
    // An array, not a Vec: the command runs already, nothing may allocate.
    let own = [signals.raw_fd(), log.own_fd().unwrap_or(signals.raw_fd())];
    if let Err(e) = descriptors::close_inherited(own) {
        warning!(log, "cannot close the descriptors rinit was handed: {e}");
    }
}

/// The log format for lines before the options are understood (a usage
/// error): JSON when `--log-format` among them, or else the environment,
/// asks for it.
fn early_format(args: &[OsString]) -> log::Format {
    let asked = options::log_format(args.get(1..).unwrap_or_default())
        .or_else(|| std::env::var_os("RINIT_LOG_FORMAT"));
    match asked {
        Some(f) if f == "json" => log::Format::Json,
        _ => log::Format::Text,
    }
}

/// `--version`: on stdout one line in tini's format, which dockerd parses
/// for `docker info` from `<init-path> --version` (moby's parseInitVersion:
/// Docker 20.10 keeps the part after "git.", newer daemons the version
/// too), and which says it is rinit and its version; on stderr, which
/// dockerd does not read, the same in plain words. The "commit" is at most
/// 7 characters: Docker 19.03 slices its own tini commit id to its length.
fn print_version() -> ! {
    let _ = io::stdout().write_all(
        concat!(
            "tini version ",
            env!("CARGO_PKG_VERSION"),
            "_rinit - git.rinit\n"
        )
        .as_bytes(),
    );
    let _ = io::stderr().write_all(
        concat!(
            "rinit ",
            env!("CARGO_PKG_VERSION"),
            " (the line in tini's format is for dockerd's docker info)\n"
        )
        .as_bytes(),
    );
    exit(0)
}

/// Help, version and license go to stdout; a closed stdout is no reason to fail.
fn print_and_exit(text: &str) -> ! {
    let _ = io::stdout().write_all(text.as_bytes());
    exit(0)
}
