//! Backends: where the writer's segments go (non-RT, writer thread only).
//!
//! The writer owns the write-ahead-log logic — framing, LSNs, batching, durability policy,
//! rotation, watermarks, failure handling — and talks to storage only through [`Backend`]. A
//! backend stores segments: a header, then appended batches of whole frames, made durable by
//! `sync`. The RT side never sees a backend.
//!
//! - [`file::FileBackend`]: segment files in the log directory (the default).
//! - [`null::NullBackend`]: discards everything (for measuring the rest of the path).
//! - [`dummy::DummyBackend`]: keeps frames in memory for assertions and follows a
//!   deterministic fault script (tests).

pub mod dummy;
pub mod file;
pub mod null;

use crate::error::Result;
use crate::format::SegmentHeader;
use crate::storage::recovery::Recovered;
use crate::storage::retention::{Applied, Limits};

/// Which backend a logger uses (`rtlog_config.backend`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BackendKind {
    /// Segment files in the log directory.
    #[default]
    File = 0,
    /// Discards everything.
    Null = 1,
    /// In memory, with a fault script (tests).
    Dummy = 2,
}

impl BackendKind {
    /// The kind for a raw C value, if it names one.
    pub fn from_raw(raw: u32) -> Option<BackendKind> {
        Some(match raw {
            0 => BackendKind::File,
            1 => BackendKind::Null,
            2 => BackendKind::Dummy,
            _ => return None,
        })
    }
}

/// Storage for segments. Every method runs on the writer thread (or the caller of
/// `rtlog_step_writer` in manual mode); none is ever called on an RT thread.
pub trait Backend: Send {
    /// Finds where the log ends, at INIT: the new epoch's number, first LSN and first segment.
    fn recover(&mut self) -> Result<Recovered>;

    /// Creates a segment starting with `header` (encoded as `encoded`); it becomes the current
    /// segment. When this returns, the segment and its directory entry are durable.
    /// `preallocate > 0` asks to reserve that much space.
    fn create_segment(
        &mut self,
        header: &SegmentHeader,
        encoded: &[u8],
        preallocate: u64,
    ) -> Result<()>;

    /// Appends whole frames to the current segment.
    fn append(&mut self, bytes: &[u8]) -> Result<()>;

    /// Makes everything appended to the current segment durable (`fdatasync`).
    fn sync(&mut self) -> Result<()>;

    /// Closes the current segment (sealed, abandoned after a failure, or at shutdown).
    fn close_segment(&mut self) -> Result<()>;

    /// Deletes closed segments, oldest first, until `limits` hold, counting the current one
    /// (index `active`) as `active_bytes`. Returns how many were deleted, and how many bytes
    /// were kept because they are not shipped yet.
    fn apply_retention(
        &mut self,
        limits: &Limits,
        active: u64,
        active_bytes: u64,
    ) -> Result<Applied>;
}
