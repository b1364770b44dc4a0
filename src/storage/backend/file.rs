//! The file backend: segment files in the log directory.

use super::Backend;
use crate::error::Result;
use crate::format::SegmentHeader;
use crate::storage::faults::FaultInjector;
use crate::storage::recovery::{self, Recovered};
use crate::storage::retention::{self, Applied, Limits};
use crate::storage::segment::SegmentFile;
use std::path::PathBuf;
use std::sync::Arc;

/// Segment files `seg-NNNNNNNNNN.rtlog` in a directory (see docs/FORMAT.md).
pub struct FileBackend {
    dir: PathBuf,
    faults: Option<Arc<FaultInjector>>,
    current: Option<SegmentFile>,
    preallocated: bool,
    /// Segments are written with `O_DIRECT` (see [`crate::storage::direct`]).
    direct_io: bool,
}

impl FileBackend {
    /// A backend writing into `dir` (which exists and is locked by the logger), with an
    /// optional fault injector under its file operations; `direct_io` opens segments with
    /// `O_DIRECT`.
    pub fn new(dir: PathBuf, faults: Option<Arc<FaultInjector>>, direct_io: bool) -> FileBackend {
        FileBackend { dir, faults, current: None, preallocated: false, direct_io }
    }

    fn current(&mut self) -> Result<&mut SegmentFile> {
        self.current.as_mut().ok_or_else(|| {
            crate::error::Error::new(crate::error::Status::Internal, "no segment file is open")
        })
    }
}

impl Backend for FileBackend {
    fn recover(&mut self) -> Result<Recovered> {
        recovery::recover(&self.dir)
    }

    fn create_segment(
        &mut self,
        header: &SegmentHeader,
        _encoded: &[u8],
        preallocate: u64,
    ) -> Result<()> {
        self.current = None;
        self.preallocated = preallocate > 0;
        self.current = Some(SegmentFile::create(
            &self.dir,
            header.clone(),
            self.faults.clone(),
            preallocate,
            self.direct_io,
        )?);
        Ok(())
    }

    fn append(&mut self, bytes: &[u8]) -> Result<()> {
        self.current()?.append(bytes)
    }

    fn sync(&mut self) -> Result<()> {
        self.current()?.sync()
    }

    fn close_segment(&mut self) -> Result<()> {
        match self.current.take() {
            Some(mut seg) if self.preallocated || self.direct_io => seg.release_unused(),
            _ => Ok(()),
        }
    }

    fn apply_retention(
        &mut self,
        limits: &Limits,
        active: u64,
        active_bytes: u64,
    ) -> Result<Applied> {
        retention::apply(&self.dir, active, active_bytes, *limits, self.faults.as_deref())
    }
}
