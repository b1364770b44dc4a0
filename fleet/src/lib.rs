//! Shipping rtlog logs from a fleet to NATS JetStream, and collecting them back into logs
//! (`rtlog ship`, `rtlog collect`; docs/FLEET.md).
//!
//! The library (`librtlog`) never links this crate: the network, the NATS client and its
//! async runtime stay in the `rtlog` tool's process, apart from the RT program. What the crate
//! takes from the library is its public Rust API: the log directory and the frame scanner
//! (following a log), the format (the ship cursor, segment headers and frames), and the
//! storage side's replica writer and ship cursor file.
//!
//! - [`follow`]: a log's durable frames from a position on, as `tail -f` reads them.
//! - [`wire`]: a frame as a NATS message (headers, body, subject), both ways.
//! - [`ship`]: the shipper; [`collect`]: the collector; [`nats`]: connecting, the stream,
//!   backoff.
//! - [`server`]: a private `nats-server` (or a cluster of them) on loopback, for the tests
//!   and the benchmark.

pub mod collect;
pub mod follow;
pub mod nats;
pub mod server;
pub mod ship;
pub mod wire;
