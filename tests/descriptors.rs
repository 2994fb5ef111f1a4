//! rinit lets go of the descriptors it was handed once the command runs:
//! a pipe reaches EOF when the command closes its end, a socket passed for
//! socket activation stops taking connections when the app closes it. The
//! command still gets every one (and tests/child_state.rs).

mod common;

use std::process::{Child, Stdio};
use std::time::Duration;

use common::{Mode, Namespace, Scratch, MODES};

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

/// `rinit -- sh -c SCRIPT` in `mode`, handed descriptor 3 (see HAND_OVER).
fn start_handed(mode: Mode, kind: &str, target: &str, script: &str) -> Child {
    let mut cmd = Namespace::new(mode).command(
        "python3",
        &[
            "-c",
            HAND_OVER,
            kind,
            target,
            common::rinit_bin(),
            "--",
            "sh",
            "-c",
            script,
        ],
    );
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd.spawn().unwrap()
}

#[test]
fn a_pipe_handed_to_the_container_ends_when_the_command_closes_its_end() {
    for mode in MODES {
        let scratch = Scratch::new("descriptors-fifo");
        let (fifo, mut reader) = scratch.fifo("fifo");
        // The command closes its end at once and lives on for 5 s.
        let script = format!("exec 3>&-; : > {}; sleep 5", scratch.path("ready"));
        let mut child = start_handed(mode, "fifo", &fifo, &script);
        scratch.wait_for("ready", "the command");
        // The writer was there: from now on a read of 0 bytes is EOF.
        let eof = common::reaches_eof(&mut reader, Duration::from_secs(2));
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
        let scratch = Scratch::new("descriptors-socket");
        let script = format!("exec 3>&-; : > {}; sleep 5", scratch.path("ready"));
        let mut child = start_handed(mode, "listen", &scratch.path("port"), &script);
        let port: u16 = scratch.wait_for("port", "the port").parse().unwrap();
        scratch.wait_for("ready", "the app");
        let address = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        // rinit lets go right after the command started, which may be a
        // moment after the app closed its copy: refused within a second.
        let connect = || std::net::TcpStream::connect_timeout(&address, Duration::from_secs(1));
        let connected = common::last_within(Duration::from_secs(1), connect, Result::is_err);
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
        let scratch = Scratch::new("descriptors-handed");
        let mut child = start_handed(
            mode,
            "listen",
            &scratch.path("port"),
            "[ -S /proc/self/fd/3 ] || [ -e /proc/self/fd/3 ]",
        );
        assert_eq!(common::wait_or_kill(&mut child), Some(0), "{mode:?}");
    }
}
