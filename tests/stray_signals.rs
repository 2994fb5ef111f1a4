//! A fault signal sent to rinit by a process (`kill -ILL`, `-SEGV`, ...) is
//! a signal like any other: relayed, rewritable, and never the end of rinit
//! or of the command it looks after, under every name, as PID 1 and away
//! from it.

mod common;

use common::{testkit, Rinit, MODES, NAMES};

const FAULTS: [(i32, &str); 6] = [
    (libc::SIGILL, "SIGILL"),
    (libc::SIGTRAP, "SIGTRAP"),
    (libc::SIGBUS, "SIGBUS"),
    (libc::SIGFPE, "SIGFPE"),
    (libc::SIGSEGV, "SIGSEGV"),
    (libc::SIGSYS, "SIGSYS"),
];

#[test]
fn fault_signals_sent_to_rinit_are_relayed_and_rinit_lives_on() {
    for name in NAMES {
        for mode in MODES {
            let args = ["--", testkit(), "record", "--exit-on", "SIGUSR1"];
            let mut rinit = Rinit::start_as(name, mode, &args);
            rinit.expect_out("child ready");
            for (sig, sig_name) in FAULTS {
                rinit.signal(sig);
                rinit.expect_out(&format!("child {sig_name}"));
            }
            rinit.signal(libc::SIGUSR1);
            assert_eq!(rinit.exit_code(), 0, "{name} {mode:?}\n{}", rinit.report());
        }
    }
}

#[test]
fn fault_signals_can_be_rewritten_like_any_other() {
    // dumb-init's own example: its rewrites take any of 1-31.
    for mode in MODES {
        let args = ["-r", "1:31", "-r", "31:1", "--", testkit(), "record"];
        let mut rinit = Rinit::start_as("dumb-init", mode, &args);
        rinit.expect_out("child ready");
        rinit.signal(libc::SIGHUP);
        rinit.expect_out("child SIGSYS");
        rinit.signal(libc::SIGSYS);
        rinit.expect_out("child SIGHUP");
        assert_eq!(rinit.out.count("child SIG"), 2, "{}", rinit.report());
    }
}
