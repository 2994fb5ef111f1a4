//! rinit lets go of the descriptors it was handed once the command runs:
//! a pipe reaches EOF when the command closes its end, a socket passed for
//! socket activation stops taking connections when the app closes it. The
//! command still gets every one (and tests/child_state.rs).

mod common;

use std::fs;
use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Mode, MODES};

/// Opens what rinit is handed as descriptor 3, then execs rinit: a FIFO's
/// write end, or a listening TCP socket on loopback whose port it writes
/// to a file. Run inside the namespace, so nothing else holds a copy (not
/// unshare, not the shell that waits as PID 1 in the subreaper mode).
const HAND_OVER: &str = r#"
import os, socket, sys
kind, target, argv = sys.argv[1], sys.argv[2], sys.argv[3:]
if kind == "fifo":
    fd = os.open(target, os.O_WRONLY)
else:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(8)
    fd = s.fileno()
    with open(target + ".tmp", "w") as f:
        f.write(str(s.getsockname()[1]))
    os.rename(target + ".tmp", target)
if fd != 3:
    os.dup2(fd, 3)
os.set_inheritable(3, True)
os.execv(argv[0], argv)
"#;

/// A scratch path for one test run, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str, mode: Mode) -> Scratch {
        let path =
            std::env::temp_dir().join(format!("rinit-{name}-{}-{mode:?}", std::process::id()));
        let _ = fs::remove_file(&path);
        Scratch(path)
    }
    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
    fn wait_for(&self, what: &str) -> String {
        let deadline = Instant::now() + common::PATIENCE;
        loop {
            if let Ok(text) = fs::read_to_string(&self.0) {
                return text;
            }
            assert!(Instant::now() < deadline, "{what} never came");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}

/// `rinit -- sh -c SCRIPT` in `mode`, handed descriptor 3 (see HAND_OVER).
fn start_handed(mode: Mode, kind: &str, target: &str, script: &str) -> Child {
    let mut cmd = Command::new("unshare");
    cmd.args(["--pid", "--fork", "--mount-proc", "--kill-child", "--"]);
    if mode == Mode::Subreaper {
        cmd.args(["sh", "-c", "\"$0\" \"$@\"; exit $?"]);
    }
    cmd.args([
        "python3",
        "-c",
        HAND_OVER,
        kind,
        target,
        common::rinit_bin(),
    ])
    .args(["--", "sh", "-c", script])
    .stdin(Stdio::null())
    .stdout(Stdio::null())
    .stderr(Stdio::null());
    common::clean_slate(&mut cmd);
    cmd.spawn().unwrap()
}

#[test]
fn a_pipe_handed_to_the_container_ends_when_the_command_closes_its_end() {
    for mode in MODES {
        let fifo = Scratch::new("fifo", mode);
        nix::unistd::mkfifo(fifo.path(), nix::sys::stat::Mode::S_IRWXU).unwrap();
        let mut reader = fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(&fifo.0)
            .unwrap();
        // The command closes its end at once and lives on for 5 s.
        let ready = Scratch::new("fifo-ready", mode);
        let script = format!("exec 3>&-; : > {}; sleep 5", ready.path());
        let mut child = start_handed(mode, "fifo", fifo.path(), &script);
        ready.wait_for("the command");
        // The writer was there: from now on a read of 0 bytes is EOF.
        let started = Instant::now();
        let eof = loop {
            match reader.read(&mut [0u8; 64]) {
                Ok(0) => break true,
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => panic!("{e}"),
            }
            if started.elapsed() > Duration::from_secs(2) {
                break false;
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let _ = child.kill();
        let _ = child.wait();
        assert!(
            eof,
            "{mode:?}: no EOF while the command lives: rinit holds the pipe"
        );
    }
}

#[test]
fn a_socket_handed_for_activation_refuses_connections_once_the_app_closes_it() {
    for mode in MODES {
        let port = Scratch::new("port", mode);
        let ready = Scratch::new("ready", mode);
        let script = format!("exec 3>&-; : > {}; sleep 5", ready.path());
        let mut child = start_handed(mode, "listen", port.path(), &script);
        let port: u16 = port.wait_for("the port").parse().unwrap();
        ready.wait_for("the app");
        let address = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        // rinit lets go right after the command started, which may be a
        // moment after the app closed its copy: refused within a second.
        let deadline = std::time::Instant::now() + Duration::from_secs(1);
        let connected = loop {
            let connected = std::net::TcpStream::connect_timeout(&address, Duration::from_secs(1));
            if connected.is_err() || std::time::Instant::now() > deadline {
                break connected;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let _ = child.kill();
        let _ = child.wait();
        let refused = connected
            .as_ref()
            .is_err_and(|e| e.kind() == std::io::ErrorKind::ConnectionRefused);
        assert!(
            refused,
            "{mode:?}: connections still queue where nobody accepts: {connected:?}"
        );
    }
}

#[test]
fn the_command_still_gets_what_rinit_was_handed() {
    for mode in MODES {
        let port = Scratch::new("handed", mode);
        let mut child = start_handed(
            mode,
            "listen",
            port.path(),
            "[ -S /proc/self/fd/3 ] || [ -e /proc/self/fd/3 ]",
        );
        assert_eq!(common::wait_or_kill(&mut child), Some(0), "{mode:?}");
    }
}
