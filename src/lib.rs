//! rinit's modules: everything but the lifecycle, which is `main.rs`.
//!
//! A library so that the binary and the fuzz targets (`fuzz/`) compile the
//! same code; it is not an API, and nothing outside this repository should
//! depend on it. docs/architecture.md tells what each module does and which
//! of them may allocate.

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

pub mod descriptors;
mod dirents;
pub mod drain;
mod duration;
pub mod environ;
pub mod escape;
pub mod expand;
pub mod inspect;
pub mod install;
pub mod lifecycle;
pub mod log;
pub mod memory;
pub mod oom;
pub mod options;
pub mod pause;
pub mod personality;
pub mod procfs;
pub mod reach;
pub mod reap;
pub mod relay;
pub mod settings;
pub mod signal;
pub mod signals;
mod sigset;
mod sort;
pub mod spawn;
pub mod supervise;
mod table;
mod thread_start;
