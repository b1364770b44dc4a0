//! One pass over a log for `rtlog plot`: the plotted values of the records that pass the
//! filters, and, from the frames that are not data, the supervisor's state changes and the
//! loss markers. Read with `Reader::next_frame`, which returns every kind of frame (as
//! `inspect` reads them with `SegmentScan`), so the filters are the CLI's [`Matcher`].

use super::fields::{columns, Column, FieldArg};
use crate::error::CliError;
use crate::filter::{FilterArgs, Matcher};
use crate::record::{Line, Names};
use rtlog::format::{FrameKind, StateChange};
use rtlog::reader::Reader;
use rtlog::schema::RecordType;
use rtlog::State;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

/// One line of the chart: a column of one producer's records.
pub struct Series {
    /// `producer/field[i]`.
    pub label: String,
    /// (wall-clock ns, value), in log order.
    pub points: Vec<(u64, f64)>,
}

/// What the log holds for the chart, in wall-clock ns.
#[derive(Default)]
pub struct Collected {
    /// Ordered by producer name, then by column as `--field` gave them.
    pub series: Vec<Series>,
    /// (wall-clock ns, state entered): state-change frames, and NORMAL at each epoch's start.
    pub states: Vec<(u64, State)>,
    /// (wall-clock ns, producer name) of each loss marker.
    pub losses: Vec<(u64, String)>,
    /// Wall-clock time of the log's last frame.
    pub end_ns: u64,
    /// Records of the type whose length was not the type's size (not plotted).
    pub mismatched: u64,
    /// Values that are NaN or infinite (not plotted).
    pub not_finite: u64,
    /// Damaged places the reader skipped.
    pub damaged: u64,
    /// The type numbers of all data records, to tell a `--type N` the log has from a typo.
    pub types_seen: BTreeSet<u16>,
}

/// The columns of the record type being read: resolved again when the type changes (each
/// epoch has its own table; identical types share one `Arc`).
#[derive(Default)]
struct Resolved {
    of: Option<Arc<RecordType>>,
    columns: Vec<Column>,
}

/// The pass's state: what is collected so far.
struct Collector<'a> {
    dir: &'a Path,
    fields: &'a [FieldArg],
    resolved: Resolved,
    /// By producer name, then by column.
    by_producer: BTreeMap<String, Vec<Option<Series>>>,
    out: Collected,
}

/// Reads `dir` once. A matching record whose type has no registered layout, or a field the
/// type lacks, is an error (exit 2) that says what the type has.
pub fn collect(
    dir: &Path,
    filters: &FilterArgs,
    fields: &[FieldArg],
) -> Result<Collected, CliError> {
    let mut reader = Reader::open(dir)?;
    let mut matcher = Matcher::new(filters);
    let mut names = Names::default();
    let mut c = Collector {
        dir,
        fields,
        resolved: Resolved::default(),
        by_producer: BTreeMap::new(),
        out: Collected::default(),
    };
    let mut payload = Vec::new();
    while let Some(r) = reader.next_frame()? {
        // The record borrows the reader; copy it so that the segment header can be read too.
        payload.clear();
        payload.extend_from_slice(r.payload);
        let (kind, ts, producer_id, level) = (r.kind, r.timestamp_ns, r.producer, r.level);
        let (lsn, epoch, stream, record_type, seq) =
            (r.lsn, r.epoch, r.stream, r.record_type, r.seq);
        let Some(header) = reader.segment_header() else { continue };
        names.refresh(header);
        matcher.segment(header, reader.schema());
        let wall = header.wall_clock_ns(ts);
        c.out.end_ns = c.out.end_ns.max(wall);
        let producer =
            names.get(producer_id).map_or_else(|| format!("#{producer_id}"), str::to_owned);
        if kind != FrameKind::Data {
            c.boundary(kind, wall, producer, &payload);
            continue;
        }
        c.out.types_seen.insert(record_type);
        let typed = reader.record_type(record_type);
        let line = Line {
            lsn,
            epoch,
            wall_ns: wall,
            producer_id,
            producer: Some(&producer),
            stream,
            record_type,
            seq,
            level,
            payload: &payload,
            typed: typed.map(|t| &**t),
            message: None,
        };
        if matcher.matches(&line) {
            c.record(&line, typed)?;
        }
    }
    c.out.damaged = reader.damage().len() as u64 + reader.stats().damage_not_listed;
    c.out.series = c.by_producer.into_values().flatten().flatten().collect();
    Ok(c.out)
}

impl Collector<'_> {
    /// A frame that is not data: state changes (an epoch starts NORMAL) and loss markers.
    fn boundary(&mut self, kind: FrameKind, wall: u64, producer: String, payload: &[u8]) {
        match kind {
            FrameKind::State => {
                if let Ok(change) = StateChange::decode(payload) {
                    self.out.states.push((wall, State::from_u8(change.to)));
                }
            }
            FrameKind::EpochBegin => self.out.states.push((wall, State::Normal)),
            FrameKind::Loss => self.out.losses.push((wall, producer)),
            _ => {}
        }
    }

    /// A data record that passed the filters, of the type `typed` in its segment.
    fn record(&mut self, line: &Line, typed: Option<&Arc<RecordType>>) -> Result<(), CliError> {
        let Some(t) = typed else {
            return Err(CliError::fatal(format!(
                "{}: records of type {} have no registered layout, so they have no fields to \
                 plot (rtlog_type_register declares one)",
                self.dir.display(),
                line.record_type
            )));
        };
        if line.size_mismatch() {
            self.out.mismatched += 1;
            return Ok(());
        }
        if !self.resolved.of.as_ref().is_some_and(|of| Arc::ptr_eq(of, t)) {
            self.resolved.columns = columns(&t.layout, &t.name, self.fields)
                .map_err(|e| CliError::fatal(format!("{}: {e}", self.dir.display())))?;
            self.resolved.of = Some(t.clone());
        }
        let producer = line.producer.unwrap_or_default();
        if !self.by_producer.contains_key(producer) {
            self.by_producer.insert(producer.to_string(), Vec::new());
        }
        let lines = self.by_producer.get_mut(producer).expect("inserted above");
        lines.resize_with(lines.len().max(self.resolved.columns.len()), || None);
        for (c, series) in self.resolved.columns.iter().zip(lines.iter_mut()) {
            let v = c.value(line.payload);
            if !v.is_finite() {
                self.out.not_finite += 1;
                continue;
            }
            let series = series.get_or_insert_with(|| Series {
                label: format!("{producer}/{}", c.label),
                points: Vec::new(),
            });
            series.points.push((line.wall_ns, v));
        }
        Ok(())
    }
}
