//! One pass over a log for `dump` and `export`: each data record, message, loss marker and
//! state change that passes the filters ([`Matcher`]), as a [`Line`] (producer name,
//! wall-clock time, record type; a message decoded with its call site), in LSN order; damage
//! is skipped and counted as the reader does.

use crate::error::CliError;
use crate::filter::{FilterArgs, Matcher};
use crate::record::{Line, Names};
use rtlog::format::FrameKind;
use rtlog::message::Message;
use rtlog::reader::{Reader, ReaderStats};
use std::collections::BTreeSet;
use std::path::Path;

/// What the pass saw besides the frames.
pub struct Summary {
    /// The reader's counters: damage skipped, records read.
    pub stats: ReaderStats,
    /// Damaged places (bad headers, damaged regions, torn tails), listed or only counted.
    pub damaged_places: u64,
    /// The type numbers of all data records (filtered or not), for `check_type_id`.
    pub types_seen: BTreeSet<u16>,
}

/// Reads `dir` and calls `visit` with each frame of kind data, message, loss or state that
/// passes `filters` (a marker passes on time, LSN, producer and stream: see
/// [`Matcher::matches_marker`]).
pub fn walk(
    dir: &Path,
    filters: &FilterArgs,
    visit: &mut dyn FnMut(FrameKind, &Line) -> Result<(), CliError>,
) -> Result<Summary, CliError> {
    let mut matcher = Matcher::new(filters);
    let mut reader = Reader::open(dir)?;
    let mut types_seen = BTreeSet::new();
    let mut names = Names::default();
    let mut payload = Vec::new();
    while let Some(r) = reader.next_frame()? {
        if !matches!(
            r.kind,
            FrameKind::Data | FrameKind::Message | FrameKind::Loss | FrameKind::State
        ) {
            continue;
        }
        // The record borrows the reader; copy it so that the segment header can be read too.
        payload.clear();
        payload.extend_from_slice(r.payload);
        let (kind, lsn, epoch, ts, producer_id, stream, record_type, seq) =
            (r.kind, r.lsn, r.epoch, r.timestamp_ns, r.producer, r.stream, r.record_type, r.seq);
        let level = r.level;
        let wall_ns = match reader.segment_header() {
            Some(h) => {
                names.refresh(h);
                matcher.segment(h, reader.schema());
                h.wall_clock_ns(ts)
            }
            None => ts,
        };
        // The reader knows the call sites of the epoch read so far.
        let message = (kind == FrameKind::Message)
            .then(|| Message::decode(&payload, |id| reader.callsite(id)));
        let line = Line {
            lsn,
            epoch,
            wall_ns,
            producer_id,
            producer: names.get(producer_id),
            stream,
            record_type,
            seq,
            level,
            payload: &payload,
            // Only data frames have a record type (the others have type 0).
            typed: match kind {
                FrameKind::Data => reader.record_type(record_type).map(|t| &**t),
                _ => None,
            },
            message: message.as_ref(),
        };
        let wanted = match kind {
            FrameKind::Data => {
                types_seen.insert(record_type);
                matcher.matches(&line)
            }
            FrameKind::Message => matcher.matches(&line),
            _ => matcher.matches_marker(&line),
        };
        if wanted {
            visit(kind, &line)?;
        }
    }
    let stats = reader.stats();
    let damaged_places = reader.damage().len() as u64 + stats.damage_not_listed;
    Ok(Summary { stats, damaged_places, types_seen })
}
