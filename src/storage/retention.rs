//! Retention: deleting the oldest closed segments when the log exceeds its limits (non-RT,
//! writer thread).
//!
//! Only segments other than the one being written are candidates, oldest first. A reader that
//! already has a deleted segment open keeps reading it (Linux keeps an unlinked file's data
//! until its last descriptor closes); a reader that reaches it later skips it (see
//! `Reader`): readers of a log under retention see a suffix of it.

use super::dir::sync_dir;
use super::faults::{self, FaultInjector, IoOp};
use crate::error::{Error, Result};
use crate::logdir::list_segments;
use std::path::Path;
use std::time::{Duration, SystemTime};

/// Retention limits; 0 means unlimited.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Limits {
    /// Keep at most this many segments, the active one included.
    pub segments: u32,
    /// Keep at most this many bytes of segments, the active one included.
    pub bytes: u64,
    /// Delete closed segments last modified longer ago than this many seconds.
    pub age_s: u64,
}

impl Limits {
    /// Whether any limit is set.
    pub fn any(&self) -> bool {
        self.segments > 0 || self.bytes > 0 || self.age_s > 0
    }
}

/// Deletes closed segments of `dir` (every segment but `active`, counted as `active_bytes`)
/// until the limits hold; returns how many were deleted.
pub fn apply(
    dir: &Path,
    active: u64,
    active_bytes: u64,
    limits: Limits,
    faults: Option<&FaultInjector>,
) -> Result<u64> {
    if !limits.any() {
        return Ok(0);
    }
    let mut closed = Vec::new();
    for (index, path) in list_segments(dir)? {
        if index == active {
            continue;
        }
        match std::fs::metadata(&path) {
            Ok(m) => closed.push((path, m.len(), m.modified().unwrap_or(SystemTime::UNIX_EPOCH))),
            // Gone meanwhile (someone else deleted it): nothing to do.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io(format!("reading {}", path.display()), e)),
        }
    }
    let mut count = closed.len() as u64 + 1;
    let mut bytes = closed.iter().map(|c| c.1).sum::<u64>() + active_bytes;
    let max_age = Duration::from_secs(limits.age_s);
    let now = SystemTime::now();
    let mut deleted = 0;
    for (path, size, modified) in closed {
        let too_many = limits.segments > 0 && count > u64::from(limits.segments);
        let too_big = limits.bytes > 0 && bytes > limits.bytes;
        let too_old =
            limits.age_s > 0 && now.duration_since(modified).unwrap_or_default() > max_age;
        if !(too_many || too_big || too_old) {
            break;
        }
        faults::check(faults, IoOp::Remove)
            .and_then(|_| std::fs::remove_file(&path))
            .map_err(|e| Error::io(format!("deleting {} (retention)", path.display()), e))?;
        count -= 1;
        bytes -= size;
        deleted += 1;
    }
    if deleted > 0 {
        sync_dir(dir, faults)?;
    }
    Ok(deleted)
}
