//! rinit's parsers, compiled from rinit's own sources for the fuzz targets:
//! option parsing and settings resolution, `--expand`, and the /proc
//! readers.

#![allow(dead_code, unused_imports, unused_macros)]

#[path = "../../src/dirents.rs"]
pub mod dirents;
#[path = "../../src/duration.rs"]
pub mod duration;
#[path = "../../src/escape.rs"]
pub mod escape;
#[path = "../../src/expand.rs"]
pub mod expand;
#[path = "../../src/event.rs"]
pub mod event;
#[path = "../../src/json.rs"]
pub mod json;
#[path = "../../src/log.rs"]
pub mod log;
#[path = "../../src/options.rs"]
pub mod options;
#[path = "../../src/personality.rs"]
pub mod personality;
#[path = "../../src/procfs.rs"]
pub mod procfs;
#[path = "../../src/processes.rs"]
pub mod processes;
#[path = "../../src/sink.rs"]
pub mod sink;
#[path = "../../src/writer.rs"]
pub mod writer;
#[path = "../../src/settings/mod.rs"]
pub mod settings;
#[path = "../../src/signal.rs"]
pub mod signal;
#[path = "../../src/signals.rs"]
pub mod signals;
#[path = "../../src/sigset.rs"]
pub mod sigset;
#[path = "../../src/thread_start.rs"]
pub mod thread_start;
#[path = "../../src/sort.rs"]
pub mod sort;
