//! `rtlog inspect`: a summary of a log directory, one pass over every segment.
//!
//! It scans each segment with `rtlog::scan::SegmentScan` rather than through the `Reader`,
//! because the summary is per segment (sizes, first LSNs, record counts, headers that do not
//! validate) and the reader hides segment boundaries. Memory stays bounded: per epoch and per
//! producer name counters, and at most [`MAX_LOSSES_LISTED`] loss markers kept for printing.

use crate::error::CliError;
use crate::logdir::{self, SegmentFile};
use crate::output::Out;
use crate::record::{stream_name, Names};
use crate::time::format_utc;
use rtlog::format::{FrameKind, Level, LossMarker, LossReason};
use rtlog::scan::{OpenError, ScanItem, SegmentScan};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::PathBuf;

/// Summarise a log: segments, epochs, producers, record counts, losses, time span, damage.
///
/// Lists every segment (index, file, size, epoch, first LSN, data records); every epoch
/// (clean, or crashed: no clean-close frame; the last epoch of a log that is being written
/// shows as open/crashed); the producer names and record types of each epoch; record counts
/// per stream and per
/// producer; log messages per level, and the call sites the log describes; loss markers (records refused because a ring was full, or lost by a failed
/// write); the wall-clock time of the first and last record (UTC); and a damage summary
/// (`rtlog verify` lists the damaged places).
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The log directory.
    dir: PathBuf,
}

/// Loss markers printed in full; the rest are only counted.
const MAX_LOSSES_LISTED: usize = 100;

/// What one segment holds.
struct SegmentRow {
    file: SegmentFile,
    /// `Err`: why the header did not validate.
    header: Result<(u32, u64), String>,
    records: u64,
}

#[derive(Default)]
struct EpochRow {
    clean: bool,
    segments: Vec<u64>,
    records: u64,
    /// Producer id → name, from the epoch's segment headers.
    producers: BTreeMap<u16, String>,
    /// Record type id → (name, size, layout), from the type tables of those headers.
    types: BTreeMap<u16, (String, u32, String)>,
}

#[derive(Default)]
struct Summary {
    segments: Vec<SegmentRow>,
    epochs: BTreeMap<u32, EpochRow>,
    per_stream: [u64; 2],
    /// Producer name → records per stream, over all epochs (ids change between epochs).
    per_producer: BTreeMap<String, [u64; 2]>,
    /// Log messages per level (Level as index), and call-site frames.
    messages: [u64; 6],
    callsite_frames: u64,
    losses: Vec<String>,
    losses_total: u64,
    first_wall: Option<u64>,
    last_wall: Option<u64>,
    bad_headers: u64,
    damaged_regions: u64,
    damaged_bytes: u64,
    torn_bytes: u64,
}

pub fn run(args: &Args) -> Result<i32, CliError> {
    let segments = logdir::open(&args.dir)?;
    let mut summary = Summary::default();
    for file in segments {
        summary.scan_segment(file)?;
    }
    let mut out = Out::stdout();
    out.write(&summary.render(&args.dir))?;
    out.flush()?;
    Ok(0)
}

impl Summary {
    fn scan_segment(&mut self, file: SegmentFile) -> Result<(), CliError> {
        let mut scan = match SegmentScan::open(&file.path) {
            Ok(scan) => scan,
            // Deleted by retention since the directory was listed: the log now starts later.
            Err(OpenError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(OpenError::Io(e)) => return Err(logdir::io_error(&file.path, &e)),
            Err(OpenError::Header(e)) => {
                self.bad_headers += 1;
                let header = Err(format!("bad segment header: {e}"));
                self.segments.push(SegmentRow { file, header, records: 0 });
                return Ok(());
            }
        };
        let header = scan.header.clone();
        let names = Names::of(&header);
        let epoch = self.epochs.entry(header.epoch).or_default();
        epoch.segments.push(header.index);
        epoch.producers.extend(header.producers.iter().cloned());
        let types = header.types.iter().map(|t| (t.id, (t.name.clone(), t.size, t.layout.clone())));
        epoch.types.extend(types);
        let mut records = 0;
        // Per producer id in this segment; folded into `per_producer` by name at the end, so
        // the per-record work is an array increment.
        let mut by_id: Vec<[u64; 2]> = Vec::new();
        loop {
            let item = scan.next_item().map_err(|e| logdir::io_error(&file.path, &e))?;
            match item {
                ScanItem::Frame(h, payload) => match FrameKind::from_u8(h.kind) {
                    Some(FrameKind::Data) => {
                        records += 1;
                        let wall = header.wall_clock_ns(h.timestamp_ns);
                        self.first_wall.get_or_insert(wall);
                        self.last_wall = Some(wall);
                        let s = usize::from(h.stream.min(1));
                        self.per_stream[s] += 1;
                        let id = usize::from(h.producer);
                        if by_id.len() <= id {
                            by_id.resize(id + 1, [0; 2]);
                        }
                        by_id[id][s] += 1;
                    }
                    Some(FrameKind::Message) => {
                        let wall = header.wall_clock_ns(h.timestamp_ns);
                        self.first_wall.get_or_insert(wall);
                        self.last_wall = Some(wall);
                        let level = Level::from_u8(h.level).unwrap_or(Level::Info);
                        self.messages[level as usize] += 1;
                    }
                    Some(FrameKind::CallSite) => self.callsite_frames += 1,
                    Some(FrameKind::CleanClose) => {
                        self.epochs.entry(h.epoch).or_default().clean = true;
                    }
                    Some(FrameKind::Loss) => {
                        let who = producer_label(&names, h.producer);
                        self.note_loss(&who, h.stream, h.seq, h.epoch, h.lsn, payload);
                    }
                    _ => {}
                },
                ScanItem::Damage { len, .. } => {
                    self.damaged_regions += 1;
                    self.damaged_bytes += len;
                }
                ScanItem::End { torn_bytes, .. } => {
                    self.torn_bytes += torn_bytes;
                    break;
                }
            }
        }
        for (id, counts) in by_id.iter().enumerate() {
            if counts != &[0, 0] {
                let name = producer_label(&names, id as u16);
                let total = self.per_producer.entry(name).or_default();
                total[0] += counts[0];
                total[1] += counts[1];
            }
        }
        self.epochs.entry(header.epoch).or_default().records += records;
        self.segments.push(SegmentRow {
            file,
            header: Ok((header.epoch, header.first_lsn)),
            records,
        });
        Ok(())
    }

    fn note_loss(&mut self, who: &str, stream: u8, seq: u64, epoch: u32, lsn: u64, payload: &[u8]) {
        self.losses_total += 1;
        if self.losses.len() >= MAX_LOSSES_LISTED {
            return;
        }
        let stream = stream_name(stream);
        let what = match LossMarker::decode(payload) {
            Ok(m) => match m.reason {
                LossReason::Refused => format!(
                    "{} lost, refused at publish (ring full), at seq {}",
                    m.count, m.first_seq
                ),
                LossReason::WriteFailed => format!(
                    "{} lost, write or sync failed, seq {}..={}",
                    m.count, m.first_seq, m.last_seq
                ),
                LossReason::Overwritten => format!(
                    "{} lost, overwritten in the ring (OVERWRITE_OLDEST), seq {}..={}",
                    m.count, m.first_seq, m.last_seq
                ),
            },
            Err(e) => format!("undecodable loss marker ({e}), at seq {seq}"),
        };
        self.losses
            .push(format!("producer {who}, stream {stream}: {what} (epoch {epoch}, lsn {lsn})"));
    }

    fn render(&self, dir: &std::path::Path) -> String {
        let mut s = String::new();
        // Writing to a String cannot fail; the results are ignored throughout.
        let total: u64 = self.segments.iter().map(|r| r.file.size).sum();
        let _ = writeln!(s, "log: {}", dir.display());
        let _ = writeln!(
            s,
            "total size: {} ({total} bytes) in {} segment(s)",
            human_bytes(total),
            self.segments.len()
        );

        let _ = writeln!(s, "\nsegments:");
        let _ = writeln!(
            s,
            "  {:>6}  {:<22} {:>12}  {:>6}  {:>12}  {:>10}",
            "index", "file", "bytes", "epoch", "first_lsn", "records"
        );
        for r in &self.segments {
            let name = r.file.path.file_name().unwrap_or_default().to_string_lossy();
            let _ = write!(s, "  {:>6}  {:<22} {:>12}", r.file.index, name, r.file.size);
            let _ = match &r.header {
                Ok((epoch, first_lsn)) => {
                    writeln!(s, "  {epoch:>6}  {first_lsn:>12}  {:>10}", r.records)
                }
                Err(why) => writeln!(s, "  ({why})"),
            };
        }

        let _ = writeln!(s, "\nepochs:");
        let last = self.epochs.keys().next_back().copied();
        for (&n, e) in &self.epochs {
            let state = match (e.clean, Some(n) == last) {
                (true, _) => "clean",
                (false, true) => "open/crashed",
                (false, false) => "crashed",
            };
            let segments = if e.segments.len() == 1 { "segment" } else { "segments" };
            let _ = writeln!(
                s,
                "  epoch {n}: {state}, {segments} {}, {} record(s)",
                index_span(&e.segments),
                e.records
            );
        }

        let _ = writeln!(s, "\nproducers:");
        for (&n, e) in &self.epochs {
            let list: Vec<String> =
                e.producers.iter().map(|(id, name)| format!("{id}={}", quoted(name))).collect();
            let _ = writeln!(s, "  epoch {n}: {}", list.join(" "));
        }

        if self.epochs.values().any(|e| !e.types.is_empty()) {
            let _ = writeln!(s, "\nrecord types:");
            for (&n, e) in self.epochs.iter().filter(|(_, e)| !e.types.is_empty()) {
                let _ = writeln!(s, "  epoch {n}:");
                for (id, (name, size, layout)) in &e.types {
                    let _ = writeln!(s, "    {id} {}, {size} bytes: {layout}", quoted(name));
                }
            }
        }

        let [critical, normal] = self.per_stream;
        let _ =
            writeln!(s, "\nrecords: {} (critical {critical}, normal {normal})", critical + normal);
        for (name, [c, n]) in &self.per_producer {
            let _ = writeln!(s, "  producer {}: critical {c}, normal {n}", quoted(name));
        }

        let total: u64 = self.messages.iter().sum();
        let per_level: Vec<String> = Level::ALL
            .iter()
            .map(|l| format!("{} {}", l.name(), self.messages[*l as usize]))
            .collect();
        let _ = writeln!(s, "\nmessages: {total} ({})", per_level.join(", "));
        let _ = writeln!(s, "  call-site frames: {}", self.callsite_frames);

        let _ = writeln!(s, "\nloss markers: {}", self.losses_total);
        for l in &self.losses {
            let _ = writeln!(s, "  {l}");
        }
        let unlisted = self.losses_total - self.losses.len() as u64;
        if unlisted > 0 {
            let _ = writeln!(s, "  ... and {unlisted} more");
        }

        let _ = match (self.first_wall, self.last_wall) {
            (Some(a), Some(b)) => writeln!(
                s,
                "\ntime span: {} .. {} (first and last record, UTC)",
                format_utc(a),
                format_utc(b)
            ),
            _ => writeln!(s, "\ntime span: no records"),
        };

        let damage = self.bad_headers + self.damaged_regions + self.torn_bytes;
        let _ = if damage == 0 {
            writeln!(s, "damage: none")
        } else {
            writeln!(
                s,
                "damage: {} bad segment header(s), {} damaged region(s) ({} bytes), \
                 {} torn-tail byte(s); `rtlog verify` lists them",
                self.bad_headers, self.damaged_regions, self.damaged_bytes, self.torn_bytes
            )
        };
        s
    }
}

/// The producer's name, or `#id` when the segment's table lacks it.
fn producer_label(names: &Names, id: u16) -> String {
    names.get(id).map_or_else(|| format!("#{id}"), str::to_owned)
}

/// A name as is, or quoted when it has spaces or quotes (so `id=name` lists stay readable).
fn quoted(name: &str) -> String {
    if !name.is_empty() && !name.contains(|c: char| c.is_whitespace() || c == '"') {
        return name.to_owned();
    }
    let mut s = String::new();
    crate::json::push_str(&mut s, name);
    s
}

/// `3`, `3-7` or `3-5,9` for an epoch's segment indices (in order, usually contiguous).
fn index_span(indices: &[u64]) -> String {
    match (indices.first(), indices.last()) {
        (Some(a), Some(b)) if a != b && b.checked_sub(*a) == Some(indices.len() as u64 - 1) => {
            format!("{a}-{b}")
        }
        _ => indices.iter().map(u64::to_string).collect::<Vec<_>>().join(","),
    }
}

/// `12.3 MiB`.
fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_and_sizes() {
        assert_eq!(index_span(&[4]), "4");
        assert_eq!(index_span(&[4, 5, 6]), "4-6");
        assert_eq!(index_span(&[4, 6]), "4,6");
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(3 << 20), "3.0 MiB");
        assert_eq!(quoted("arm"), "arm");
        assert_eq!(quoted("left arm"), "\"left arm\"");
    }
}
