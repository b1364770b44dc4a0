//! Retention: deleting the oldest closed segments when the log exceeds its limits (non-RT,
//! writer thread).
//!
//! Only segments other than the one being written are candidates, oldest first. A reader that
//! already has a deleted segment open keeps reading it (Linux keeps an unlinked file's data
//! until its last descriptor closes); a reader that reaches it later skips it (see
//! `Reader`): readers of a log under retention see a suffix of it.
//!
//! With [`Limits::keep_unshipped`], a segment is deleted only when the ship cursor
//! ([`super::ship_cursor`]) covers all of it: when the segment after it starts at or below the
//! cursor's LSN + 1. Segments are deleted oldest first, so the first one not shipped stops
//! the deletion, and what the limits wanted deleted from there on is reported as kept.

use super::dir::sync_dir;
use super::faults::{self, FaultInjector, IoOp};
use super::ship_cursor;
use crate::error::{Error, Result};
use crate::logdir::{list_segments, read_segment_header};
use std::path::{Path, PathBuf};
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
    /// Never delete a segment that holds a frame above the ship cursor.
    pub keep_unshipped: bool,
}

impl Limits {
    /// Whether any limit is set.
    pub fn any(&self) -> bool {
        self.segments > 0 || self.bytes > 0 || self.age_s > 0
    }
}

/// What one retention pass did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Applied {
    /// Segments deleted.
    pub deleted: u64,
    /// Bytes of segments the limits would have deleted but that hold frames not shipped yet
    /// (`keep_unshipped`).
    pub kept_unshipped_bytes: u64,
}

/// A closed segment: a deletion candidate.
struct Closed {
    index: u64,
    path: PathBuf,
    size: u64,
    modified: SystemTime,
}

/// Deletes closed segments of `dir` (every segment but `active`, counted as `active_bytes`)
/// until the limits hold.
pub fn apply(
    dir: &Path,
    active: u64,
    active_bytes: u64,
    limits: Limits,
    faults: Option<&FaultInjector>,
) -> Result<Applied> {
    let mut applied = Applied::default();
    if !limits.any() {
        return Ok(applied);
    }
    let closed = closed_segments(dir, active)?;
    let shipped_below = match limits.keep_unshipped {
        true => Some(shipped_segments_end(dir, &closed, active)),
        false => None,
    };
    let mut count = closed.len() as u64 + 1;
    let mut bytes = closed.iter().map(|c| c.size).sum::<u64>() + active_bytes;
    let max_age = Duration::from_secs(limits.age_s);
    let now = SystemTime::now();
    for c in closed {
        let too_many = limits.segments > 0 && count > u64::from(limits.segments);
        let too_big = limits.bytes > 0 && bytes > limits.bytes;
        let too_old =
            limits.age_s > 0 && now.duration_since(c.modified).unwrap_or_default() > max_age;
        if !(too_many || too_big || too_old) {
            break;
        }
        count -= 1;
        bytes -= c.size;
        // From the first segment not shipped on, nothing is deleted; the loop goes on only
        // to count what the limits wanted deleted.
        if shipped_below.is_some_and(|end| c.index >= end) {
            applied.kept_unshipped_bytes += c.size;
            continue;
        }
        faults::check(faults, IoOp::Remove)
            .and_then(|_| std::fs::remove_file(&c.path))
            .map_err(|e| Error::io(format!("deleting {} (retention)", c.path.display()), e))?;
        applied.deleted += 1;
    }
    if applied.deleted > 0 {
        sync_dir(dir, faults)?;
    }
    Ok(applied)
}

/// The closed segments of `dir`, oldest first, with their sizes and times.
fn closed_segments(dir: &Path, active: u64) -> Result<Vec<Closed>> {
    let mut closed = Vec::new();
    for (index, path) in list_segments(dir)? {
        if index == active {
            continue;
        }
        match std::fs::metadata(&path) {
            Ok(m) => closed.push(Closed {
                index,
                path,
                size: m.len(),
                modified: m.modified().unwrap_or(SystemTime::UNIX_EPOCH),
            }),
            // Gone meanwhile (someone else deleted it): nothing to do.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io(format!("reading {}", path.display()), e)),
        }
    }
    Ok(closed)
}

/// The index of the first segment that holds a frame the ship cursor does not cover: every
/// closed segment below it is shipped. A segment's frames all lie below the next segment's
/// `first_lsn`, so it is shipped when that is at most the cursor's LSN + 1. No cursor, or
/// one that does not decode, ships nothing. An unreadable next header proves nothing: the
/// segment counts as not shipped (kept is the safe side).
fn shipped_segments_end(dir: &Path, closed: &[Closed], active: u64) -> u64 {
    let first = closed.first().map_or(active, |c| c.index);
    let Ok(Some(cursor)) = ship_cursor::load(dir) else {
        return first;
    };
    let next_paths = closed.iter().skip(1).map(|c| (c.index, c.path.clone()));
    let active_path = dir.join(crate::logdir::segment_file_name(active));
    let mut nexts = next_paths.chain(std::iter::once((active, active_path)));
    for c in closed {
        let Some((_, next)) = nexts.next() else { return c.index };
        match read_segment_header(&next) {
            Ok(Ok(h)) if h.first_lsn <= cursor.lsn.saturating_add(1) => {}
            _ => return c.index,
        }
    }
    active
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::cursor::ShipCursor;
    use crate::format::SegmentHeader;
    use crate::storage::segment::SegmentFile;

    /// Segments 1..=5, segment `i` starting at LSN `100 * i`, padded to 1000 bytes each.
    fn log(tag: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("rtlog-retention-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for index in 1..=5u64 {
            let header = SegmentHeader {
                index,
                first_lsn: 100 * index,
                salt: index,
                epoch: 1,
                max_payload: 64,
                realtime_ns: 0,
                monotonic_ns: 0,
                tsc_hz: 0,
                producers: Vec::new(),
                minor: crate::format::FORMAT_MINOR,
                types: Vec::new(),
            };
            let mut seg = SegmentFile::create(&dir, header, None, 0, false).unwrap();
            let pad = vec![0u8; 1000 - seg.size as usize];
            seg.append(&pad).unwrap();
        }
        dir
    }

    fn left(dir: &Path) -> Vec<u64> {
        list_segments(dir).unwrap().into_iter().map(|(i, _)| i).collect()
    }

    /// Limits of two segments; segment 5 is the active one.
    const TWO: Limits = Limits { segments: 2, bytes: 0, age_s: 0, keep_unshipped: true };

    #[test]
    fn keeps_what_the_cursor_does_not_cover() {
        let dir = log("cursor");
        // Nothing shipped: nothing deleted; the three segments the limit wanted gone are kept.
        let applied = apply(&dir, 5, 1000, TWO, None).unwrap();
        assert_eq!(applied, Applied { deleted: 0, kept_unshipped_bytes: 3000 });
        // Shipped up to LSN 299: segments 1 and 2 (LSNs below 300) are covered, 3 is not.
        ship_cursor::store(&dir, ShipCursor { epoch: 1, lsn: 299 }).unwrap();
        let applied = apply(&dir, 5, 1000, TWO, None).unwrap();
        assert_eq!(applied, Applied { deleted: 2, kept_unshipped_bytes: 1000 });
        assert_eq!(left(&dir), [3, 4, 5]);
        // Shipped everything: the limit holds again.
        ship_cursor::store(&dir, ShipCursor { epoch: 1, lsn: 10_000 }).unwrap();
        let applied = apply(&dir, 5, 1000, TWO, None).unwrap();
        assert_eq!(applied, Applied { deleted: 1, kept_unshipped_bytes: 0 });
        assert_eq!(left(&dir), [4, 5]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn without_keep_unshipped_the_cursor_does_not_matter() {
        let dir = log("plain");
        let limits = Limits { keep_unshipped: false, ..TWO };
        let applied = apply(&dir, 5, 1000, limits, None).unwrap();
        assert_eq!(applied, Applied { deleted: 3, kept_unshipped_bytes: 0 });
        assert_eq!(left(&dir), [4, 5]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
