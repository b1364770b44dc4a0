//! The null backend: accepts and discards everything, so the rest of the path (publish,
//! dispatch, framing, watermarks) can be measured without storage.

use super::Backend;
use crate::error::Result;
use crate::format::SegmentHeader;
use crate::storage::recovery::Recovered;
use crate::storage::retention::{Applied, Limits};

/// Discards every byte; every operation succeeds at once.
#[derive(Debug, Default)]
pub struct NullBackend;

impl Backend for NullBackend {
    fn recover(&mut self) -> Result<Recovered> {
        Ok(Recovered::fresh())
    }

    fn create_segment(&mut self, _: &SegmentHeader, _: &[u8], _: u64) -> Result<()> {
        Ok(())
    }

    fn append(&mut self, _: &[u8]) -> Result<()> {
        Ok(())
    }

    fn sync(&mut self) -> Result<()> {
        Ok(())
    }

    fn close_segment(&mut self) -> Result<()> {
        Ok(())
    }

    fn apply_retention(&mut self, _: &Limits, _: u64, _: u64) -> Result<Applied> {
        Ok(Applied::default())
    }
}
