//! rtlog: real-time-safe logging with a crash-safe write-ahead log.
//!
//! Two domains, strictly apart (docs/ARCHITECTURE.md has the map and the import rules, which
//! `tests/layering.rs` enforces):
//!
//! - **RT domain**, [`rt`]: the rings, `publish`, `tick`, timestamps, the RUN gate and the
//!   durable watermarks. Allocation-free, lock-free, syscall-free, bounded; it imports nothing
//!   of the non-RT side.
//! - **non-RT domain**: [`writer`] (framing, batching, durability), [`storage`] (backends,
//!   segment files, recovery, retention), [`supervisor`] (the health states), [`dlt`] (the DLT
//!   sink beside the backend), [`reader`] (reading a log back), [`gaps`] (sequence-number
//!   continuity of a log read back), [`schema`] (typed records),
//!   [`config`] (validation), [`wait`] (publishing from non-RT threads, waiting for room),
//!   and [`logger`], which owns everything and runs the
//!   INIT → RUN lifecycle.
//! - **Leaves** that both sides share: [`format`] (every byte on disk), [`logdir`] (segment
//!   files in a directory), [`state`] (health states), [`error`].
//! - [`message`]: rendering log messages' printf formats on the read side (a leaf, non-RT).
//!
//! The C ABI lives in [`ffi`] and only translates pointers, statuses and panics.
#![deny(missing_docs, unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]

pub mod config;
pub mod dlt;
pub mod error;
pub mod ffi;
pub mod format;
pub mod gaps;
pub mod logdir;
pub mod logger;
pub mod message;
pub mod reader;
pub mod rt;
pub mod schema;
pub mod state;
pub mod storage;
pub mod supervisor;
pub mod wait;
pub mod writer;

/// The library's version, "MAJOR.MINOR.PATCH" (what `rtlog_version()` returns to C).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

pub use config::{Config, Durability};
pub use error::{Error, Status};
pub use logger::{Logger, Stats};
pub use reader::{Reader, Record};
pub use rt::producer::{Producer, Stream};
pub use state::State;

// The paths of modules that moved into `rt/`, `storage/` and `logdir/`, for the tests,
// benchmarks and fuzz targets written against them. The library itself uses the new paths.
pub use logdir::scan;
pub use rt::{clock, dispatcher, producer, ring, watermark};
pub use storage::{backend, faults, recovery, retention, segment};
