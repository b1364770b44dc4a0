//! rtlog: real-time-safe logging with a crash-safe write-ahead log.
//!
//! Two domains, strictly apart:
//!
//! - **RT domain** (allocation-free, lock-free, syscall-free, bounded): [`ring`] (the per-producer
//!   SPSC rings), [`producer`] (`publish`), [`dispatcher`] (`tick`), [`clock`] (timestamps),
//!   [`watermark`] (the durable counts the writer publishes and RT threads read).
//! - **non-RT domain**: [`writer`] (framing, batching, durability), [`segment`] (segment files),
//!   [`format`] (the on-disk format, shared with the reader), [`recovery`], [`reader`],
//!   [`schema`] (typed records: layouts registered at INIT, decoded by readers),
//!   [`config`] (validation), [`dlt`] (the DLT sink beside the backend), and [`logger`], which
//!   owns everything and runs the INIT → RUN lifecycle.
//!
//! The C ABI lives in [`ffi`] and only translates pointers, statuses and panics.
#![deny(missing_docs, unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]

pub mod backend;
pub mod clock;
pub mod config;
pub mod dispatcher;
pub mod dlt;
pub mod error;
pub mod faults;
pub mod ffi;
pub mod format;
pub mod logger;
pub mod producer;
mod quiesce;
pub mod reader;
pub mod recovery;
pub mod retention;
pub mod ring;
pub mod scan;
pub mod schema;
pub mod segment;
mod sigxfsz;
pub mod supervisor;
mod sync;
pub mod watermark;
pub mod writer;

pub use config::{Config, Durability};
pub use error::{Error, Status};
pub use logger::{Logger, State, Stats};
pub use producer::{Producer, Stream};
pub use reader::{Reader, Record};
