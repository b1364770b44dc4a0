//! Following a log directory from a position on, as `tail -f` does, for the shipper: sealed
//! segments first, then the one being written, frame by frame in LSN order.
//!
//! **Only durable frames leave.** The shipper runs in another process than the writer, so it
//! cannot read the writer's durable watermark; it makes what it read durable itself: after
//! reading frames from a segment file it calls `fdatasync` on that file, and hands the frames
//! out only when that returned. Everything it read was then on the device, under any
//! durability mode of the writer, so a power cut of the robot cannot take back a frame that
//! was shipped (and a restarted writer, whose recovery keeps every valid frame, never reuses
//! its LSN). With `RTLOG_DURABILITY_FSYNC*` the writer's own syncs already did the work and
//! the shipper's cost nothing.
//!
//! A segment is read once, by one scanner kept open on it: at its end the scanner waits for
//! more ([`SegmentScan::continue_after_end`]) as long as the segment is the newest; once a
//! newer one exists, the writer no longer appends to it, so it is read to its end one last
//! time and left.

use crate::wire::Item;
use rtlog::format::SegmentHeader;
use rtlog::logdir::list_segments;
use rtlog::scan::{OpenError, ScanItem, SegmentScan};
use std::fs::File;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

/// The segment being read.
struct Open {
    index: u64,
    scan: SegmentScan,
    /// For `fdatasync` (the scanner's descriptor is its own).
    file: File,
    /// Whether the header went out before the frames read from it.
    header_sent: bool,
}

/// What a [`Follower`] noticed besides frames.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FollowStats {
    /// Segments deleted (by retention) before the follower read them: their frames are not
    /// shipped. `retention_keep_unshipped` prevents this.
    pub segments_missed: u64,
    /// Segments whose header never validated (damage): skipped.
    pub bad_segments: u64,
    /// LSNs jumped over: frames between the position and the next frame found that are not
    /// in the log any more (segments deleted by retention, damage).
    pub lsns_skipped: u64,
}

/// Reads a log's frames above a given LSN, in order, as they become durable.
pub struct Follower {
    dir: PathBuf,
    /// The LSN of the last frame handed out: later calls return only frames above it.
    after: u64,
    /// Segments below this index are done.
    next_index: u64,
    open: Option<Open>,
    stats: FollowStats,
}

impl Follower {
    /// Follows `dir` from the frame after LSN `after` (0: from the start).
    pub fn new(dir: &Path, after: u64) -> Follower {
        Follower {
            dir: dir.to_path_buf(),
            after,
            next_index: 0,
            open: None,
            stats: FollowStats::default(),
        }
    }

    /// What was noticed so far.
    pub fn stats(&self) -> FollowStats {
        self.stats
    }

    /// The header of the segment being read, if any.
    pub fn segment(&self) -> Option<&SegmentHeader> {
        self.open.as_ref().map(|o| &o.scan.header)
    }

    /// Appends to `out` up to `max` items that are durable, in order: a segment header before
    /// the first frame read from its segment. Returns having added none when nothing new is
    /// there yet.
    pub fn poll(&mut self, out: &mut Vec<Item>, max: usize) -> std::io::Result<()> {
        let start = out.len();
        while out.len() - start < max {
            if self.open.is_none() && !self.open_next()? {
                break;
            }
            let open = self.open.as_mut().expect("opened above");
            let at_end = read_frames(open, &mut self.after, &mut self.stats, out, start + max)?;
            if !at_end {
                continue;
            }
            // The end of what is there now: is a newer segment there (this one is done)?
            if segments(&self.dir)?.iter().any(|(index, _)| *index > open.index) {
                // Written before the newer segment was created, and not read yet: read to the
                // end once more, then move on.
                open.scan.continue_after_end()?;
                read_frames(open, &mut self.after, &mut self.stats, out, usize::MAX)?;
                open.file.sync_data()?;
                self.next_index = open.index + 1;
                self.open = None;
            } else {
                open.scan.continue_after_end()?;
                break;
            }
        }
        // What was read from the open segment becomes durable before it is handed out (a
        // segment left above was synced as it was left).
        match &self.open {
            Some(open) if out.len() > start => open.file.sync_data(),
            _ => Ok(()),
        }
    }

    /// Opens the next segment at or after `next_index`; false when there is none yet.
    fn open_next(&mut self) -> std::io::Result<bool> {
        let from = self.next_index;
        for (index, path) in segments(&self.dir)?.into_iter().filter(|(i, _)| *i >= from) {
            let is_newest = !self.has_newer(index)?;
            match open_segment(&path)? {
                Opened::Ready(scan, file) => {
                    self.open = Some(Open { index, scan: *scan, file, header_sent: false });
                    return Ok(true);
                }
                Opened::Gone => self.stats.segments_missed += 1,
                // The newest segment's header may still be being written: try again later.
                Opened::BadHeader if is_newest => return Ok(false),
                Opened::BadHeader => self.stats.bad_segments += 1,
            }
            self.next_index = index + 1;
        }
        Ok(false)
    }

    fn has_newer(&self, index: u64) -> std::io::Result<bool> {
        Ok(segments(&self.dir)?.iter().any(|(i, _)| *i > index))
    }
}

/// The segments of `dir`; none while the directory does not exist yet (a shipper started
/// before the program that logs waits for it, as `tail -f` does).
fn segments(dir: &Path) -> std::io::Result<Vec<(u64, PathBuf)>> {
    match list_segments(dir) {
        Ok(segments) => Ok(segments),
        Err(_) if !dir.exists() => Ok(Vec::new()),
        Err(e) => Err(std::io::Error::other(e)),
    }
}

/// A segment file, opened for following.
enum Opened {
    /// Its scanner, and a descriptor to sync it with.
    Ready(Box<SegmentScan>, File),
    /// Deleted before it could be opened.
    Gone,
    /// Its header does not validate.
    BadHeader,
}

fn open_segment(path: &Path) -> std::io::Result<Opened> {
    let scan = match SegmentScan::open(path) {
        Ok(scan) => scan,
        Err(OpenError::Io(e)) if e.kind() == ErrorKind::NotFound => return Ok(Opened::Gone),
        Err(OpenError::Io(e)) => return Err(e),
        Err(OpenError::Header(_)) => return Ok(Opened::BadHeader),
    };
    match File::open(path) {
        Ok(file) => Ok(Opened::Ready(Box::new(scan), file)),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(Opened::Gone),
        Err(e) => Err(e),
    }
}

/// Reads frames above `*after` from the open segment into `out` until `out` holds `limit`
/// items (false) or the segment's current end (true). The segment's header goes first.
fn read_frames(
    open: &mut Open,
    after: &mut u64,
    stats: &mut FollowStats,
    out: &mut Vec<Item>,
    limit: usize,
) -> std::io::Result<bool> {
    while out.len() < limit {
        let (h, payload) = match open.scan.next_item()? {
            ScanItem::Frame(h, payload) => (h, payload),
            ScanItem::Damage { .. } => continue,
            ScanItem::End { .. } => return Ok(true),
        };
        if h.lsn <= *after {
            continue;
        }
        let payload = payload.to_vec();
        // LSNs rise by one per frame through the whole log, across epochs: a jump is frames
        // that are gone.
        if *after > 0 {
            stats.lsns_skipped += h.lsn - *after - 1;
        }
        if !open.header_sent {
            open.header_sent = true;
            out.push(Item::Header { header: open.scan.header.clone(), first_lsn: h.lsn });
        }
        *after = h.lsn;
        out.push(Item::Frame(h, payload));
    }
    Ok(false)
}
