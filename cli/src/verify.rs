//! `rtlog verify`: reads every frame of every segment and lists each damaged place. The
//! verdict is the reader's own (`Reader::damage` and `ReaderStats`), so `verify` agrees with
//! what recovery and applications see, plus the library's sequence-number check
//! ([`rtlog::gaps`]): per producer and stream, no gap that no loss marker explains.

use crate::error::CliError;
use crate::logdir;
use crate::output::Out;
use crate::progress::Progress;
use rtlog::format::{self, FrameKind};
use rtlog::gaps::{Gap, GapCheck};
use rtlog::reader::Reader;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

/// Check a log for damage; exit 0 when clean, 1 when damaged.
///
/// Reads every segment and checks every frame's checksum. Lists each damaged place on its own
/// line (segment file, offset, length, what): segments whose header does not validate,
/// damaged regions between valid frames, and torn tails (bytes after the last valid frame,
/// left by an interrupted write). An epoch that ended without a clean close (a crash, or a log
/// still being written) is reported as information, not damage: recovery handles it.
///
/// On a log that is being written, the frame being written at that instant can show up as a
/// torn tail; run verify again, or on a stopped log, to be sure.
///
/// Also damage: per producer and stream, a gap in the sequence numbers of an epoch that no
/// loss marker explains (records the writer took and then lost without saying so), and a
/// sequence number that goes back.
///
/// Exit codes: 0 clean, 1 damage found, 2 usage or I/O error. Shows a percentage on stderr
/// while it reads, only when stderr is a terminal.
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The log directory.
    dir: PathBuf,
}

/// Exit code when damage was found.
const EXIT_DAMAGED: i32 = 1;

pub fn run(args: &Args) -> Result<i32, CliError> {
    let segments = logdir::open(&args.dir)?;
    // Where each segment starts in the concatenation of all of them, for the percentage.
    let mut start_of = HashMap::new();
    let mut total = 0u64;
    for s in &segments {
        start_of.insert(s.index, total);
        total += s.size;
    }
    let mut progress = Progress::new(total);
    let mut reader = Reader::open(&args.dir)?;
    // Epoch number → clean close seen.
    let mut epochs: BTreeMap<u32, bool> = BTreeMap::new();
    let mut segment_key = None;
    let (mut base, mut pos) = (0u64, 0u64);
    let mut gaps = GapCheck::default();
    let mut gap_lines: Vec<String> = Vec::new();
    loop {
        let (kind, epoch, len) = match reader.next_frame() {
            Ok(Some(f)) => {
                gaps.frame(&f);
                let (kind, epoch, len) = (f.kind, f.epoch, f.payload.len());
                if gaps.gaps().len() > gap_lines.len() {
                    let path = reader_path(&segments, reader.segment_header().map(|h| h.index));
                    let new = &gaps.gaps()[gap_lines.len()..];
                    gap_lines.extend(new.iter().map(|g| gap_line(g, &path)));
                }
                (kind, epoch, len)
            }
            Ok(None) => break,
            Err(e) => {
                progress.finish();
                return Err(e.into());
            }
        };
        let clean = epochs.entry(epoch).or_insert(false);
        *clean |= kind == FrameKind::CleanClose;
        if let Some(h) = reader.segment_header() {
            if segment_key != Some((h.index, h.salt)) {
                segment_key = Some((h.index, h.salt));
                base = start_of.get(&h.index).copied().unwrap_or(base);
                pos = h.encoded_len() as u64;
            }
        }
        // An estimate: damaged regions are not counted, so it may lag, never run ahead.
        pos += format::frame_bytes(len) as u64;
        progress.update(base + pos);
    }
    progress.finish();

    let mut out = Out::stdout();
    let sizes: HashMap<&PathBuf, u64> = segments.iter().map(|s| (&s.path, s.size)).collect();
    for d in reader.damage() {
        // A bad header makes the whole file unreadable; the reader records it with length 0.
        let len = match d.len {
            0 => sizes.get(&d.path).copied().unwrap_or(0),
            n => n,
        };
        out.write(&format!(
            "{}: offset {}, length {}: {}\n",
            d.path.display(),
            d.offset,
            len,
            d.what
        ))?;
    }
    for line in &gap_lines {
        out.write(&format!("{line}\n"))?;
    }
    let stats = reader.stats();
    if stats.damage_not_listed > 0 {
        out.write(&format!(
            "... and {} more damaged places (not listed)\n",
            stats.damage_not_listed
        ))?;
    }
    let last_epoch = epochs.keys().next_back().copied();
    for (&epoch, &clean) in &epochs {
        if clean {
            continue;
        }
        let note = if Some(epoch) == last_epoch { ", or is still being written" } else { "" };
        out.write(&format!("info: epoch {epoch} ended without a clean close (crash){note}\n"))?;
    }
    if stats.vanished_segments > 0 {
        out.write(&format!(
            "info: {} segment(s) were deleted by retention while verify ran\n",
            stats.vanished_segments
        ))?;
    }
    let damaged = stats.bad_segments + stats.corrupt_regions > 0
        || stats.torn_bytes > 0
        || !gap_lines.is_empty();
    let summary = format!(
        "{} segment(s), {} bytes, {} record(s), {} epoch(s): {} bad segment header(s), \
         {} damaged region(s), {} torn-tail byte(s), {} unexplained sequence gap(s)",
        segments.len(),
        total,
        stats.records,
        epochs.len(),
        stats.bad_segments,
        stats.corrupt_regions,
        stats.torn_bytes,
        gap_lines.len()
    );
    let verdict = if damaged { "DAMAGED" } else { "ok" };
    out.write(&format!("{verdict}: {summary}\n"))?;
    out.flush()?;
    Ok(if damaged { EXIT_DAMAGED } else { 0 })
}

/// The file of the segment with `index`, for the lines verify prints.
fn reader_path(segments: &[logdir::SegmentFile], index: Option<u64>) -> PathBuf {
    segments.iter().find(|s| Some(s.index) == index).map(|s| s.path.clone()).unwrap_or_default()
}

/// The line verify prints for a gap, in the segment file `path`.
fn gap_line(g: &Gap, path: &std::path::Path) -> String {
    let (lsn, p, s) = (g.lsn, g.producer, g.stream);
    let what = if g.backwards() {
        format!("sequence number {} after {}: it goes back", g.last + 1, g.first - 1)
    } else {
        format!("sequence numbers {}..={} missing, and no loss marker says why", g.first, g.last)
    };
    format!("{}: LSN {lsn}: producer {p} stream {s}: {what}", path.display())
}
