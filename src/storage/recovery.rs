//! Crash recovery at `rtlog_init` (non-RT, INIT): find where the log ends, cut a torn tail,
//! and say where the new epoch continues.
//!
//! Old segments are never appended to: each epoch starts a new segment file, so recovery only
//! needs the last valid LSN and epoch. A torn tail of the last segment (bytes after its last
//! valid frame that no valid frame follows) is truncated so that readers see a clean end; damage
//! followed by valid frames is left in place for the reader to skip and report.

use crate::error::{Error, Result, Status};
use crate::format::{self, DecodeError, FrameKind};
use crate::logdir::scan::{OpenError, ScanItem, SegmentScan};
use crate::logdir::{self, list_segments, lsn_bound};
use std::fs::OpenOptions;
use std::path::Path;

/// What recovery found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Recovered {
    /// LSN of the new epoch's first frame.
    pub next_lsn: u64,
    /// The new epoch's number.
    pub next_epoch: u32,
    /// Index of the new epoch's first segment.
    pub next_segment: u64,
    /// Segment files found.
    pub segments: u64,
    /// Bytes cut from a torn tail.
    pub torn_bytes: u64,
    /// Newest segments with an invalid header (a crash while creating them), renamed to
    /// `*.rtlog.broken`.
    pub set_aside: u64,
    /// Whether the previous epoch ended with a clean close (false for a crash; true for an
    /// empty directory).
    pub previous_clean: bool,
}

impl Recovered {
    /// Where a log without any segment starts: epoch 1, LSN 1, segment 1.
    pub fn fresh() -> Recovered {
        Recovered {
            next_lsn: 1,
            next_epoch: 1,
            next_segment: 1,
            segments: 0,
            torn_bytes: 0,
            set_aside: 0,
            previous_clean: true,
        }
    }
}

/// Scans `dir` and truncates a torn tail of its last segment.
pub fn recover(dir: &Path) -> Result<Recovered> {
    let mut segments = list_segments(dir)?;
    let mut out = Recovered {
        next_lsn: 1,
        next_epoch: 1,
        next_segment: segments.last().map_or(1, |(i, _)| i + 1),
        segments: segments.len() as u64,
        torn_bytes: 0,
        set_aside: 0,
        previous_clean: true,
    };
    // A log holding a segment of a newer format must not be appended to: this version could
    // neither read it nor continue its numbering.
    let mut headers = Vec::with_capacity(segments.len());
    for (_, path) in &segments {
        let header = logdir::read_segment_header(path)
            .map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
        if let Err(DecodeError::NewerVersion(v)) = header {
            return Err(Error::new(
                Status::Corrupt,
                format!(
                    "{}: format version {v} is newer than this library's {}; refusing to append \
                     to the log (use a newer rtlog, or another directory)",
                    path.display(),
                    format::FORMAT_MAJOR
                ),
            ));
        }
        headers.push(header.ok());
    }
    // Newest segments whose header never became valid were being created when the process
    // died: a segment's header is synced before any frame is written to it, so they hold no
    // record (and without the header's salt nothing in them could be validated). They are
    // set aside under another name, so that readers do not report a healthy log as damaged.
    while matches!(headers.last(), Some(None)) {
        headers.pop();
        let (_, path) = segments.pop().expect("one entry per header");
        let aside = path.with_extension("rtlog.broken");
        std::fs::rename(&path, &aside)
            .map_err(|e| Error::io(format!("setting aside {}", path.display()), e))?;
        out.set_aside += 1;
    }
    if out.set_aside > 0 {
        super::dir::sync_dir(dir, None)?;
    }
    // The new epoch must come after everything any readable header claims, whatever the file
    // names say: a stale copy of an old segment under a later index, or files swapped, must
    // not make the log reuse an epoch number or an LSN. The log ends in the segment that
    // starts last (normally the newest by index); its last valid frame gives the next LSN.
    let Some(end) = (0..segments.len())
        .filter(|&i| headers[i].is_some())
        .max_by_key(|&i| (headers[i].as_ref().map(|h| h.first_lsn), i))
    else {
        return Ok(out);
    };
    for ((_, path), h) in segments.iter().zip(&headers) {
        let Some(h) = h else { continue };
        let epoch = h.epoch.checked_add(1).ok_or_else(|| exhausted(path, "epoch", h.epoch))?;
        out.next_epoch = out.next_epoch.max(epoch);
        out.next_lsn = out.next_lsn.max(h.first_lsn);
    }
    let (index, path) = &segments[end];
    let mut scan = SegmentScan::open(path)
        .map_err(|e| Error::io(format!("reading {}", path.display()), open_error(e)))?;
    out.previous_clean = false;
    loop {
        let item =
            scan.next_item().map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
        match item {
            ScanItem::Frame(h, _) => {
                let lsn = h.lsn.checked_add(1).ok_or_else(|| exhausted(path, "LSN", h.lsn))?;
                out.next_lsn = out.next_lsn.max(lsn);
                out.previous_clean = h.kind == FrameKind::CleanClose as u8;
            }
            ScanItem::Damage { .. } => {}
            ScanItem::End { torn_bytes, valid_end } => {
                // Only a segment that is where its name says is cut; a misplaced one is
                // evidence, left as it is.
                if torn_bytes > 0 && scan.header.index == *index {
                    truncate(path, valid_end)?;
                    out.torn_bytes = torn_bytes;
                }
                break;
            }
        }
    }
    // The reader returns frames of the segments whose header matches their name, each below
    // the first LSN of a later segment (`reader::lsn_bound`); those bounds are headers'
    // `first_lsn`s, which `next_lsn` is already above. A named segment without a bound (the
    // newest, and any after which nothing starts later) can hold any LSN, so its last frame
    // counts too, or the new epoch would repeat LSNs the reader returns and the reader would
    // then skip the new epoch's segments as stale (found by the fuzzer:
    // fuzz/corpus/reader/crash-misnamed-segment-starts-later and
    // limit-stale-segment-below-read-lsn). Normally that is only the segment just scanned.
    for i in 0..segments.len() {
        let (name_index, path) = &segments[i];
        let Some(h) = headers[i].as_ref().filter(|h| h.index == *name_index) else { continue };
        let bounded = segments[i + 1..]
            .iter()
            .zip(&headers[i + 1..])
            .find_map(|((index, _), later)| lsn_bound(h.first_lsn, *index, later.as_ref()));
        if i == end || bounded.is_some() {
            continue;
        }
        if let Some(lsn) = last_lsn(path)? {
            let next = lsn.checked_add(1).ok_or_else(|| exhausted(path, "LSN", lsn))?;
            out.next_lsn = out.next_lsn.max(next);
        }
    }
    Ok(out)
}

/// The error for a file that holds the largest epoch or LSN: the new epoch could only reuse a
/// number, so the log cannot be continued (no log reaches these numbers by writing; a damaged
/// or forged file with valid checksums can hold them, found by the fuzzer:
/// fuzz/corpus/reader/crash-lsn-u64-max).
fn exhausted(path: &Path, what: &str, value: impl std::fmt::Display) -> Error {
    Error::new(
        Status::Corrupt,
        format!(
            "{}: holds {what} {value}, the largest there is; refusing to append to the log, \
             which could only reuse numbers (use another directory)",
            path.display()
        ),
    )
}

/// The LSN of the last valid frame of the segment at `path`, if it has one.
fn last_lsn(path: &Path) -> Result<Option<u64>> {
    let read_error = |e| Error::io(format!("reading {}", path.display()), e);
    let mut scan = SegmentScan::open(path).map_err(|e| read_error(open_error(e)))?;
    let mut last = None;
    loop {
        match scan.next_item().map_err(read_error)? {
            ScanItem::Frame(h, _) => last = Some(h.lsn),
            ScanItem::Damage { .. } => {}
            ScanItem::End { .. } => return Ok(last),
        }
    }
}

/// An error opening a segment whose header was readable a moment ago, as an I/O error.
fn open_error(e: OpenError) -> std::io::Error {
    match e {
        OpenError::Io(e) => e,
        OpenError::Header(e) => std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()),
    }
}

fn truncate(path: &Path, len: u64) -> Result<()> {
    let f = OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| Error::io(format!("opening {} to cut its torn tail", path.display()), e))?;
    f.set_len(len).map_err(|e| Error::io(format!("truncating {}", path.display()), e))?;
    f.sync_all().map_err(|e| Error::io(format!("syncing {}", path.display()), e))
}
