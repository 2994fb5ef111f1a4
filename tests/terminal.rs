//! On a terminal, the command's process group takes the foreground: it can
//! read the terminal, and Ctrl-C reaches it.

mod common;

use std::fs::File;
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::process::Stdio;

use common::{command, Lines, MODES, TESTKIT};

#[test]
fn the_command_reads_the_terminal_and_gets_ctrl_c() {
    for mode in MODES {
        let pty = nix::pty::openpty(None, None).unwrap();
        let mut cmd = command(mode, &["--", TESTKIT, "tty"]);
        cmd.stdin(Stdio::from(pty.slave.try_clone().unwrap()))
            .stdout(Stdio::from(pty.slave.try_clone().unwrap()))
            .stderr(Stdio::from(pty.slave));
        unsafe {
            cmd.pre_exec(|| {
                // A session of its own with the pty as controlling terminal,
                // as a terminal emulator or `docker run -it` sets it up.
                libc::setsid();
                libc::ioctl(0, libc::TIOCSCTTY, 0);
                Ok(())
            });
        }
        let mut child = cmd.spawn().unwrap();
        let screen = Lines::default();
        let mut master = File::from(pty.master);
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
