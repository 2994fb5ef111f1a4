//! rinit under load, as PID 1: floods of orphans and storms of signals while
//! its child churns. Nothing is left a zombie, nothing is lost, rinit's
//! memory does not grow, and SIGTERM still stops the app at once.

mod common;

use std::time::Duration;

use common::{status_field, testkit, timed, Mode, Rinit};

/// How long the heavy phases may take on a slow machine.
const LOAD_PATIENCE: Duration = Duration::from_secs(120);

fn rss_kb(pid: i32) -> u64 {
    status_field(pid, "VmRSS")
        .unwrap()
        .trim_end_matches(" kB")
        .parse()
        .unwrap()
}

#[test]
fn a_hundred_thousand_orphans_leave_no_zombie_and_rinit_does_not_grow() {
    let mut rinit = Rinit::start(Mode::Pid1, &["--", testkit(), "orphans", "100000"]);
    rinit.expect_out("ready");
    let pid = rinit.pid();
    let before = rss_kb(pid);
    let line = rinit.out.wait_for("misparented", LOAD_PATIENCE);
    assert_eq!(line.as_deref(), Some("misparented 0"), "{}", rinit.report());
    let line = rinit.out.wait_for("zombies", LOAD_PATIENCE);
    assert_eq!(line.as_deref(), Some("zombies 0"), "{}", rinit.report());
    let after = rss_kb(pid);
    // A leak of even 3 bytes an orphan would show as 300 kB.
    assert!(
        after <= before + 256,
        "rinit grew from {before} kB to {after} kB"
    );
    assert_eq!(rinit.exit_code(), 0);
}

#[test]
fn a_storm_of_signals_while_the_child_churns_loses_no_real_time_signal() {
    let rt = common::RTMIN + 1;
    let mut rinit = Rinit::start(Mode::Pid1, &["--", testkit(), "churn", &rt.to_string()]);
    rinit.expect_out("ready");
    let pid = rinit.pid();
    let standard = [
        libc::SIGHUP,
        libc::SIGUSR1,
        libc::SIGUSR2,
        libc::SIGWINCH,
        libc::SIGURG,
        libc::SIGALRM,
    ];
    for i in 0..100_000usize {
        let sig = if i % 2 == 0 {
            rt
        } else {
            standard[(i / 2) % standard.len()]
        };
        // A full real-time queue refuses with EAGAIN: the sender waits and
        // retries (rinit itself must not need to).
        while unsafe { libc::kill(pid, sig) } != 0 {
            assert_eq!(
                std::io::Error::last_os_error().raw_os_error(),
                Some(libc::EAGAIN)
            );
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    let line = rinit.out.wait_for("quiet rt=50000 ", LOAD_PATIENCE);
    assert!(
        line.is_some(),
        "real-time signals were lost\n{}",
        rinit.report()
    );
    let (exited, took) = timed(|| {
        rinit.signal(libc::SIGTERM);
        rinit.expect_out("got SIGTERM");
        rinit.wait_timeout(Duration::from_secs(2))
    });
    assert!(exited.is_some(), "SIGTERM did not stop it at once");
    assert!(took < Duration::from_secs(2));
    assert_eq!(rinit.exit_code(), 0);
}
