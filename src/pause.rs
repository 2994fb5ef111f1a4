//! `-P`: run no command. A pod's first process (podman's infra container,
//! Kubernetes' pause container with `shareProcessNamespace`) only has to
//! hold the namespaces and be the PID 1 that reaps the zombies of every
//! container sharing them: it waits for signals with no timeout (no idle
//! wake-up), reaps on SIGCHLD, exits 0 on a stop signal (`--stop-signals`,
//! TERM and INT by default, as catatonit's `-P` and the pause binary do),
//! and ignores every other signal: there is no command to relay them to.

use nix::unistd::Pid;

use crate::lifecycle::Lifecycle;
use crate::log::{info, warning, Event};
use crate::signal;
use crate::signals::{self, Received};

/// Pauses until a stop signal; the exit status.
pub fn run(life: &Lifecycle) -> i32 {
    let Lifecycle {
        log,
        settings,
        signals,
        ..
    } = *life;
    info!(
        log, event: &Event::named("pause"),
        "pausing (-P): no command; reaping every zombie until {}",
        signal::Either(&settings.stop_signals)
    );
    // No process is the command: every reaped one is an orphan.
    let nobody = Pid::from_raw(0);
    let mut batch = signals::batch();
    loop {
        let mut over = false;
        let on_signal = &mut |r: Received| {
            if settings.stop_signals.contains(&r.signal) {
                info!(log, event: &Event { signal: Some(r.signal), ..Event::named("pause") }, "{}: pause over", r.signal);
                over = true;
                return false;
            }
            info!(log, event: &Event { signal: Some(r.signal), ..Event::named("signal") }, "{}: ignored while pausing", r.signal);
            true
        };
        let reap = match signals.next(None, &mut batch, on_signal) {
            Ok(reap) => reap,
            Err(e) => {
                warning!(log, "cannot read signals any more ({e}): exiting");
                return 1;
            }
        };
        if over {
            return 0;
        }
        if reap {
            life.reap(nobody);
        }
    }
}
