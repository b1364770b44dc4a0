//! The RT domain: everything an RT thread runs, and nothing else.
//!
//! Every function here that an RT thread calls is allocation-free, lock-free, syscall-free and
//! bounded; the proofs are tests (docs/RT_PROOFS.md). This folder imports only its own modules,
//! [`crate::error`], [`crate::format::FrameKind`], [`crate::format::Level`], the argument
//! encoding of [`crate::format::message`] (constants and allocation-free functions),
//! `crossbeam_utils`, `libc` and loom:
//! never the writer, storage, the DLT sink, the supervisor, the logger, the configuration,
//! schemas, readers, the C boundary, a lock or file I/O (`tests/layering.rs` checks it).
//!
//! - [`ring`]: the bounded SPSC ring of fixed-size slots between two domains.
//! - [`producer`]: a producer handle and `publish`.
//! - [`message`]: packing a log message's call site and arguments into a slot.
//! - [`dispatcher`]: `tick`, the bounded move from producer rings to the writer's ring.
//! - [`clock`]: raw timestamps, and their conversion (used on the non-RT side).
//! - [`prefetch`]: asking for the cache lines the next push writes.
//! - [`quiesce`]: the RUN gate that shutdown closes.
//! - [`watermark`]: durable counts the writer publishes and RT threads read.
//! - [`atomics`]: the atomics loom swaps in for its models.

pub(crate) mod atomics;
pub mod clock;
pub mod dispatcher;
pub mod message;
pub(crate) mod prefetch;
pub mod producer;
pub(crate) mod quiesce;
pub mod ring;
pub mod watermark;
