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
    let mut resolved = Resolved::default();
    let mut by_key: BTreeMap<(String, usize), Series> = BTreeMap::new();
    let mut out = Collected::default();
    let mut payload = Vec::new();
    while let Some(r) = reader.next_frame()? {
        // The record borrows the reader; copy it so that the segment header can be read too.
        payload.clear();
        payload.extend_from_slice(r.payload);
        let (kind, ts, producer_id) = (r.kind, r.timestamp_ns, r.producer);
        let (lsn, epoch, stream, record_type, seq) =
            (r.lsn, r.epoch, r.stream, r.record_type, r.seq);
        let Some(header) = reader.segment_header() else { continue };
        names.refresh(header);
        matcher.segment(header, reader.schema());
        let wall = header.wall_clock_ns(ts);
        out.end_ns = out.end_ns.max(wall);
        let producer =
            names.get(producer_id).map_or_else(|| format!("#{producer_id}"), str::to_owned);
        match kind {
            FrameKind::Data => {
                out.types_seen.insert(record_type);
            }
            FrameKind::State => {
                if let Ok(change) = StateChange::decode(&payload) {
                    out.states.push((wall, State::from_u8(change.to)));
                }
                continue;
            }
            FrameKind::EpochBegin => {
                out.states.push((wall, State::Normal));
                continue;
            }
            FrameKind::Loss => {
                out.losses.push((wall, producer));
                continue;
            }
            _ => continue,
        }
        let typed = reader.record_type(record_type).cloned();
        let line = Line {
            lsn,
            epoch,
            wall_ns: wall,
            producer_id,
            producer: Some(&producer),
            stream,
            record_type,
            seq,
            payload: &payload,
            typed: typed.as_deref(),
        };
        if !matcher.matches(&line) {
            continue;
        }
        let Some(t) = &typed else {
            return Err(CliError::fatal(format!(
                "{}: records of type {record_type} have no registered layout, so they have no \
                 fields to plot (rtlog_type_register declares one)",
                dir.display()
            )));
        };
        if line.size_mismatch() {
            out.mismatched += 1;
            continue;
        }
        if !resolved.of.as_ref().is_some_and(|of| Arc::ptr_eq(of, t)) {
            resolved.columns = columns(&t.layout, &t.name, fields)
                .map_err(|e| CliError::fatal(format!("{}: {e}", dir.display())))?;
            resolved.of = Some(t.clone());
        }
        for (i, c) in resolved.columns.iter().enumerate() {
            let v = c.value(&payload);
            if !v.is_finite() {
                out.not_finite += 1;
                continue;
            }
            let series = by_key.entry((producer.clone(), i)).or_insert_with(|| Series {
                label: format!("{producer}/{}", c.label),
                points: Vec::new(),
            });
            series.points.push((wall, v));
        }
    }
    out.damaged = reader.damage().len() as u64 + reader.stats().damage_not_listed;
    out.series = by_key.into_values().collect();
    Ok(out)
}
