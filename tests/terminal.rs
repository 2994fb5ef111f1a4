//! On a terminal, the command's process group takes the foreground: it can
//! read the terminal, and Ctrl-C reaches it.

mod common;

use std::fs::File;
use std::io::Write;

use common::{command, testkit, Lines, MODES};

#[test]
fn the_command_reads_the_terminal_and_gets_ctrl_c() {
    for mode in MODES {
        let mut cmd = command(mode, &["--", testkit(), "tty"]);
        let mut master = common::attach_pty(&mut cmd, true);
        let mut child = cmd.spawn().unwrap();
        let screen = Lines::default();
        screen.clone().collect_from(master.try_clone().unwrap());
        let ready = screen.wait_for("ready", common::PATIENCE);
        assert_eq!(
            ready.as_deref(),
            Some("ready foreground=true"),
            "{mode:?}: {}",
            screen.text()
        );
        master.write_all(b"hello\n").unwrap();
        assert!(
            screen.wait_for("read: hello", common::PATIENCE).is_some(),
            "{mode:?}: {}",
            screen.text()
        );
        master.write_all(b"\x03").unwrap();
        assert!(
            screen.wait_for("got SIGINT", common::PATIENCE).is_some(),
            "{mode:?}: {}",
            screen.text()
        );
        assert_eq!(
            common::wait_or_kill(&mut child),
            Some(0),
            "{mode:?}: {}",
            screen.text()
        );
    }
}

/// All the bytes a terminal showed, for waiting on prompts (no newline).
#[derive(Clone, Default)]
struct Screen(std::sync::Arc<(std::sync::Mutex<String>, std::sync::Condvar)>);

impl Screen {
    fn watch(&self, mut master: File) {
        let screen = self.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = std::io::Read::read(&mut master, &mut buf) {
                if n == 0 {
                    break;
                }
                let (text, changed) = &*screen.0;
                text.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
                changed.notify_all();
            }
        });
    }

    /// Waits for `needle` to appear after byte `from`; returns where it ends.
    fn wait_for(&self, needle: &str, from: usize) -> usize {
        let deadline = common::Deadline::after(common::PATIENCE);
        let (text, changed) = &*self.0;
        let mut guard = text.lock().unwrap();
        loop {
            if let Some(at) = guard.get(from..).and_then(|t| t.find(needle)) {
                return from + at + needle.len();
            }
            let left = deadline
                .left()
                .unwrap_or_else(|| panic!("no {needle:?} on the terminal:\n{}", *guard));
            guard = changed.wait_timeout(guard, left).unwrap().0;
        }
    }
}

/// Waits until the process below `root` named `name` is in the state
/// (R, S, T, Z) that `wanted` accepts; returns the last state seen. A signal
/// takes effect when its target next runs, so a stop can trail the shell's
/// report of it by a moment.
fn state_of(root: i32, name: &str, wanted: impl Fn(char) -> bool) -> char {
    let state = || {
        let pid = common::descendant_named(root, name);
        let pid = pid.unwrap_or_else(|| panic!("no {name} below {root}"));
        let state = common::status_field(pid, "State").unwrap();
        state.chars().next().unwrap()
    };
    common::last_within(common::PATIENCE, state, |&state| wanted(state))
}

#[test]
fn under_dumb_init_ctrl_z_stops_the_job_and_fg_resumes_it() {
    // setsid mode: the command's own session gets SIGSTOP for the SIGTSTP.
    ctrl_z_then_fg(&[], true);
}

#[test]
fn under_dumb_init_c_ctrl_z_stops_the_job_and_fg_resumes_it() {
    // -c: the command shares dumb-init's group and gets the SIGTSTP itself
    // (the recorder takes it rather than stop); dumb-init stops all the same.
    ctrl_z_then_fg(&["-c"], false);
}

/// Runs `dumb-init ARGS -- record` under an interactive bash on a pty, then
/// Ctrl-Z, `fg` and Ctrl-C, as a person at a terminal would.
fn ctrl_z_then_fg(args: &[&str], command_stops: bool) {
    let mut cmd = common::Namespace::new(common::Mode::Pid1)
        .command("bash", &["--norc", "--noprofile", "-i"]);
    cmd.env("PS1", "$ ").env("TERM", "dumb");
    let mut master = common::attach_pty(&mut cmd, true);
    let mut shell = cmd.spawn().unwrap();
    let root = shell.id() as i32;
    let screen = Screen::default();
    screen.watch(master.try_clone().unwrap());

    let mut at = screen.wait_for("$ ", 0);
    let line = format!(
        "{} {} -- {} record --exit-on SIGINT\n",
        common::rinit_as("dumb-init"),
        args.join(" "),
        testkit()
    );
    master.write_all(line.as_bytes()).unwrap();
    at = screen.wait_for("child ready", at);

    master.write_all(b"\x1a").unwrap();
    at = screen.wait_for("Stopped", at);
    at = screen.wait_for("$ ", at);
    if command_stops {
        assert_eq!(
            state_of(root, "rinit-testkit", |s| s == 'T'),
            'T',
            "Ctrl-Z did not stop the command"
        );
    } else {
        screen.wait_for("child SIGTSTP", 0);
    }
    assert_eq!(
        state_of(root, "dumb-init", |s| s == 'T'),
        'T',
        "dumb-init {args:?} did not stop itself"
    );

    master.write_all(b"fg\n").unwrap();
    at = screen.wait_for("child SIGCONT", at);
    assert_ne!(
        state_of(root, "rinit-testkit", |s| s != 'T'),
        'T',
        "fg did not resume the command"
    );

    master.write_all(b"\x03").unwrap();
    at = screen.wait_for("child SIGINT", at);
    at = screen.wait_for("$ ", at);
    master.write_all(b"echo status=$?\n").unwrap();
    screen.wait_for("status=0", at);

    let _ = shell.kill();
    let _ = shell.wait();
}
