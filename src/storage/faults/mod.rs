//! Fault-injection points under the file backend's operations (non-RT).
//!
//! Every segment-file operation (create, write, sync, directory sync, delete) asks [`check`]
//! first, and notes its success with [`note`]. Behind them is a [`FaultInjector`], the test
//! scaffolding of the Nth-I/O sweeps and the crash loop, compiled only with the cargo feature
//! `test-hooks` (the tests and CI build with it). A default build has no injector: the type is
//! empty, so no logger can hold one, and `check` and `note` are empty inline functions.

use std::io;
use std::path::Path;

#[cfg(feature = "test-hooks")]
mod injector;
#[cfg(feature = "test-hooks")]
pub use injector::{simulate_power_loss, FaultInjector, PowerLoss};

/// Without the `test-hooks` feature there is no fault injector: this type has no value.
#[cfg(not(feature = "test-hooks"))]
#[derive(Debug)]
pub enum FaultInjector {}

/// The file operations the writer performs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IoOp {
    /// Creating a segment file.
    Create = 0,
    /// Writing bytes to a segment.
    Write = 1,
    /// `fdatasync` of a segment.
    Sync = 2,
    /// `fsync` of the log directory.
    SyncDir = 3,
    /// Deleting a segment (retention).
    Remove = 4,
}

/// What an injected fault does.
// Without `test-hooks` nothing injects one, but `check` keeps its signature.
#[cfg_attr(not(feature = "test-hooks"), allow(dead_code))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// The call fails with this errno.
    Errno(i32),
    /// A write writes only part of its bytes (the caller must continue).
    ShortWrite,
    /// The call fails with `EINTR` (the caller must retry).
    Interrupted,
    /// The call blocks this long first (a hung mount, a stuck device), then goes ahead.
    Hang(std::time::Duration),
}

/// A successful operation, for the sync journal.
// Without `test-hooks` there is no journal to read the fields.
#[cfg_attr(not(feature = "test-hooks"), allow(dead_code))]
pub(crate) enum JournalEvent<'a> {
    Created(&'a Path),
    Synced(&'a Path, u64),
    DirSynced(&'a Path),
}

/// Asks an optional injector about `op`: `Ok(None)` to go ahead, `Ok(Some(ShortWrite))` for a
/// write to do partly, `Err` for an error (`EINTR` included) to return instead.
#[cfg(feature = "test-hooks")]
pub(crate) fn check(faults: Option<&FaultInjector>, op: IoOp) -> io::Result<Option<Fault>> {
    match faults.and_then(|f| f.check(op)) {
        Some(Fault::Errno(e)) => Err(io::Error::from_raw_os_error(e)),
        Some(Fault::Interrupted) => Err(io::Error::from(io::ErrorKind::Interrupted)),
        Some(Fault::Hang(d)) => {
            std::thread::sleep(d);
            Ok(None)
        }
        other => Ok(other),
    }
}

/// Without `test-hooks`: always go ahead.
#[cfg(not(feature = "test-hooks"))]
#[inline(always)]
pub(crate) fn check(_faults: Option<&FaultInjector>, _op: IoOp) -> io::Result<Option<Fault>> {
    Ok(None)
}

/// Notes an event in an optional injector's journal.
#[cfg(feature = "test-hooks")]
pub(crate) fn note(faults: Option<&FaultInjector>, event: JournalEvent<'_>) {
    if let Some(f) = faults {
        f.note(event);
    }
}

/// Without `test-hooks`: nothing to note.
#[cfg(not(feature = "test-hooks"))]
#[inline(always)]
pub(crate) fn note(_faults: Option<&FaultInjector>, _event: JournalEvent<'_>) {}
