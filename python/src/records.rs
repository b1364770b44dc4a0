//! Iterating a log's data records as Python objects ([`Records`], [`Record`]), and a pass that
//! only counts ([`scan`]): the reader's statistics and damage list.

use crate::error::{strict_check, Stop};
use crate::filters::Filters;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};
use rtlog::format::SegmentHeader;
use rtlog::reader::{Damage, Reader, ReaderStats};
use std::path::{Path, PathBuf};

/// One data record. `time_ns` is wall-clock ns since the Unix epoch (from the segment's clock
/// anchor, as `rtlog dump` gives it), `mono_ns` the `CLOCK_MONOTONIC` ns it was published at.
#[pyclass(module = "rtlog", frozen, get_all)]
pub struct Record {
    lsn: u64,
    seq: u64,
    time_ns: u64,
    mono_ns: u64,
    epoch: u32,
    /// The producer's name; `None` when its id is missing from the segment's table.
    producer: Option<String>,
    producer_id: u16,
    /// `"critical"`, `"normal"`, or the number of a stream the format does not define.
    stream: String,
    /// The record type number given to `rtlog_publish`.
    #[pyo3(name = "type")]
    record_type: u16,
    /// The registered type's name, if the segment has one for this number.
    type_name: Option<String>,
    /// `"trace"` .. `"fatal"` (data records are `"info"`).
    level: &'static str,
    /// The fields by name, for a typed record of the type's size; else `None`.
    fields: Option<Py<PyDict>>,
    /// The type's size, when the record has a type but another length (then `fields` is None).
    expected_len: Option<u32>,
    payload: Py<PyBytes>,
}

#[pymethods]
impl Record {
    /// The record as a dict (the attributes by name).
    fn as_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("lsn", self.lsn)?;
        d.set_item("seq", self.seq)?;
        d.set_item("time_ns", self.time_ns)?;
        d.set_item("mono_ns", self.mono_ns)?;
        d.set_item("epoch", self.epoch)?;
        d.set_item("producer", &self.producer)?;
        d.set_item("producer_id", self.producer_id)?;
        d.set_item("stream", &self.stream)?;
        d.set_item("type", self.record_type)?;
        d.set_item("type_name", &self.type_name)?;
        d.set_item("level", self.level)?;
        d.set_item("fields", &self.fields)?;
        d.set_item("expected_len", self.expected_len)?;
        d.set_item("payload", &self.payload)?;
        Ok(d)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let what = match (&self.type_name, &self.fields) {
            (Some(name), Some(f)) => format!("{name} {}", f.bind(py).repr()?),
            (Some(name), None) => {
                format!("{name} (len {} != {:?})", self.payload.bind(py).len()?, self.expected_len)
            }
            (None, _) => format!("type {} {}", self.record_type, self.payload.bind(py).repr()?),
        };
        let producer = match &self.producer {
            Some(name) => name.clone(),
            None => format!("#{}", self.producer_id),
        };
        Ok(format!(
            "<rtlog.Record lsn={} time_ns={} producer={producer} stream={} seq={} {what}>",
            self.lsn, self.time_ns, self.stream, self.seq
        ))
    }
}

/// A damaged place for Python: `(path, offset, len, what)`.
pub type DamageRow = (String, u64, u64, String);

/// The name of producer `id` in `header`'s table, if it has one (a short list: a linear
/// search costs less than the Python object made per record). A table that lists an id twice
/// (only a forged header can) names it by its last entry, as `rtlog dump` does.
pub fn producer_name(header: &SegmentHeader, id: u16) -> Option<String> {
    header.producers.iter().rfind(|(pid, _)| *pid == id).map(|(_, n)| n.clone())
}

/// `critical`, `normal`, or the number.
pub fn stream_name(stream: u8) -> String {
    match stream {
        0 => "critical".into(),
        1 => "normal".into(),
        s => s.to_string(),
    }
}

/// An iterator over the data records of a log that pass the filters. `stats` and `damage`
/// tell what the reader has seen so far (all of the log once the iterator is exhausted).
#[pyclass(module = "rtlog")]
pub struct Records {
    dir: PathBuf,
    reader: Reader,
    filters: Filters,
    strict: bool,
    damage_seen: usize,
    payload: Vec<u8>,
}

#[pymethods]
impl Records {
    #[new]
    #[pyo3(signature = (path, filters, strict = false))]
    fn new(py: Python<'_>, path: PathBuf, filters: Filters, strict: bool) -> PyResult<Records> {
        // Data records: messages have their own call, `Log.messages()`.
        let options =
            rtlog::reader::ReaderOptions { messages: Some(false), ..filters.options.clone() };
        let reader = Reader::open_with(&path, options)
            .map_err(|e| crate::error::from_rtlog(py, &e, &path))?;
        Ok(Records { dir: path, reader, filters, strict, damage_seen: 0, payload: Vec::new() })
    }

    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&mut self, py: Python<'_>) -> PyResult<Option<Record>> {
        let dir = self.dir.clone();
        self.next_record(py)
            .map_err(|stop| stop.into_py(py, &dir))?
            .map_or(Ok(None), |r| r.map(Some))
    }

    /// The reader's counters so far, as an `rtlog.Stats`.
    #[getter]
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let d = stats_dict(py, &self.reader.stats())?;
        py.import("rtlog._log")?.getattr("Stats")?.call((), Some(&d))
    }

    /// The damaged places found so far, as `rtlog.Damage` objects.
    #[getter]
    fn damage<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyAny>>> {
        let damage = py.import("rtlog._log")?.getattr("Damage")?;
        damage_list(self.reader.damage()).into_iter().map(|d| damage.call1(d)).collect()
    }
}

impl Records {
    /// The next record that passes the filters, as a Python object.
    fn next_record(&mut self, py: Python<'_>) -> Result<Option<PyResult<Record>>, Stop> {
        loop {
            let r = self.reader.next_record().map_err(Stop::Reader)?;
            let Some(r) = r else {
                if self.strict {
                    strict_check(&self.reader, &mut self.damage_seen)?;
                }
                return Ok(None);
            };
            if !self.filters.keeps(&r) {
                continue;
            }
            let (lsn, seq, ts, epoch, producer_id, stream, record_type, level) = (
                r.lsn,
                r.seq,
                r.timestamp_ns,
                r.epoch,
                r.producer,
                r.stream,
                r.record_type,
                r.level,
            );
            self.payload.clear();
            self.payload.extend_from_slice(r.payload);
            if self.strict {
                strict_check(&self.reader, &mut self.damage_seen)?;
            }
            // A record always comes with its segment's header; without one, the raw time.
            let header = self.reader.segment_header();
            let time_ns = header.map_or(ts, |h| h.wall_clock_ns(ts));
            let typed = self.reader.record_type(record_type);
            let record = || -> PyResult<Record> {
                let (fields, expected_len) = match typed {
                    Some(t) if t.layout.size() as usize == self.payload.len() => {
                        (Some(crate::values::fields(py, &t.layout, &self.payload)?.unbind()), None)
                    }
                    Some(t) => (None, Some(t.layout.size())),
                    None => (None, None),
                };
                Ok(Record {
                    lsn,
                    seq,
                    time_ns,
                    mono_ns: ts,
                    epoch,
                    producer: header.and_then(|h| producer_name(h, producer_id)),
                    producer_id,
                    stream: stream_name(stream),
                    record_type,
                    type_name: typed.map(|t| t.name.clone()),
                    level: level.name(),
                    fields,
                    expected_len,
                    payload: PyBytes::new(py, &self.payload).unbind(),
                })
            };
            return Ok(Some(record()));
        }
    }
}

/// Reads the whole log `path`, frames of every kind, and returns the reader's statistics and
/// damage list: what `Log.stats()` shows.
#[pyfunction]
#[pyo3(signature = (path, strict = false))]
pub fn scan<'py>(
    py: Python<'py>,
    path: PathBuf,
    strict: bool,
) -> PyResult<(Bound<'py, PyDict>, Vec<DamageRow>)> {
    let result = py.allow_threads(|| count_all(&path, strict));
    let (stats, damage) = result.map_err(|stop| stop.into_py(py, &path))?;
    Ok((stats_dict(py, &stats)?, damage_list(&damage)))
}

fn count_all(path: &Path, strict: bool) -> Result<(ReaderStats, Vec<Damage>), Stop> {
    let mut reader = Reader::open(path).map_err(Stop::Reader)?;
    let mut seen = 0;
    while reader.next_frame().map_err(Stop::Reader)?.is_some() {
        if strict {
            strict_check(&reader, &mut seen)?;
        }
    }
    if strict {
        strict_check(&reader, &mut seen)?;
    }
    Ok((reader.stats(), reader.damage().to_vec()))
}

/// The fields of `ReaderStats` by name.
pub fn stats_dict<'py>(py: Python<'py>, s: &ReaderStats) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("records", s.records)?;
    d.set_item("matched", s.matched)?;
    d.set_item("segments", s.segments)?;
    d.set_item("bad_segments", s.bad_segments)?;
    d.set_item("vanished_segments", s.vanished_segments)?;
    d.set_item("corrupt_regions", s.corrupt_regions)?;
    d.set_item("torn_bytes", s.torn_bytes)?;
    d.set_item("epochs", s.epochs)?;
    d.set_item("unclosed_epochs", s.unclosed_epochs)?;
    d.set_item("damage_not_listed", s.damage_not_listed)?;
    Ok(d)
}

/// Damage as `(path, offset, len, what)`.
pub fn damage_list(damage: &[Damage]) -> Vec<DamageRow> {
    damage
        .iter()
        .map(|d| (d.path.to_string_lossy().into_owned(), d.offset, d.len, d.what.clone()))
        .collect()
}
