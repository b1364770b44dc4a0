//! One record type as a table for numpy: the records decoded into one contiguous buffer of
//! fixed-size rows, which Python views with a structured dtype (no Python object per record).
//!
//! A row is 32 bytes of record columns, then the record's payload as it was published (a C
//! struct, little-endian, which is exactly what a numpy dtype with the layout's field offsets
//! reads), then zero bytes up to a multiple of 8:
//!
//! | offset | type | column |
//! |---:|---|---|
//! | 0 | u64 | time_ns (wall clock) |
//! | 8 | u64 | lsn |
//! | 16 | u64 | seq |
//! | 24 | u32 | epoch |
//! | 28 | u16 | producer: an index into the table's producer names |
//! | 30 | 2 bytes | zero |
//! | 32 | size | the payload; field `f` at `32 + f.offset` |
//!
//! Two kinds of bytes are normalised so that numpy reads them as the format means them: a
//! `bool` byte other than 0 becomes 1, and a `char[N]` field's bytes after its first NUL
//! become 0 (numpy's `S<N>` only strips trailing NULs).

use crate::error::{strict_check, Stop};
use crate::filters::Filters;
use crate::headers::{readable_headers, type_dict};
use crate::records::{damage_list, producer_name, stats_dict};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyDict};
use rtlog::format::SegmentHeader;
use rtlog::reader::{Damage, Reader, ReaderStats, Record};
use rtlog::schema::{Interner, RecordType, Scalar, Schema};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Bytes of the record columns before the payload.
const ROW_HEADER: usize = 32;

/// Decodes the records of the type that `filters` names (by `type_name` or `type_id`) into
/// `{"buffer": bytearray, "rows", "itemsize", "type": {...}, "producers": [...],
/// "skipped": {...}, "stats": {...}, "damage": [...]}`. The type's layout is the first one
/// the segment headers declare for it; records of another layout under the same name, of the
/// wrong length or of no registered type are skipped and counted in `skipped`.
#[pyfunction]
#[pyo3(signature = (path, filters, strict = false))]
pub fn table<'py>(
    py: Python<'py>,
    path: PathBuf,
    filters: Filters,
    strict: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let built = py.allow_threads(|| build(&path, &filters, strict));
    let t = match built {
        Ok(t) => t,
        Err(Failure::Stop(stop)) => return Err(stop.into_py(py, &path)),
        Err(Failure::NoType(what)) => {
            return Err(pyo3::exceptions::PyValueError::new_err(format!(
                "{}: no registered record type {what}",
                path.display()
            )))
        }
    };
    let rows = &t.rows;
    let d = PyDict::new(py);
    d.set_item("buffer", PyByteArray::new(py, &rows.bytes))?;
    d.set_item("rows", rows.bytes.len() / rows.itemsize)?;
    d.set_item("itemsize", rows.itemsize)?;
    d.set_item("header_bytes", ROW_HEADER)?;
    d.set_item("type", type_dict(py, &rows.record_type)?)?;
    d.set_item("producers", &rows.producers.names)?;
    let skipped = PyDict::new(py);
    skipped.set_item("other_layout", rows.skipped.other_layout)?;
    skipped.set_item("wrong_length", rows.skipped.wrong_length)?;
    skipped.set_item("untyped", rows.skipped.untyped)?;
    d.set_item("skipped", skipped)?;
    d.set_item("stats", stats_dict(py, &t.stats)?)?;
    d.set_item("damage", damage_list(&t.damage))?;
    Ok(d)
}

/// Why no table was built.
enum Failure {
    Stop(Stop),
    /// No header declares the type asked for (described).
    NoType(String),
}

/// Records left out of a table, by reason.
#[derive(Default)]
struct Skipped {
    other_layout: u64,
    wrong_length: u64,
    untyped: u64,
}

/// A table built without the GIL.
struct Built {
    rows: Rows,
    stats: ReaderStats,
    damage: Vec<Damage>,
}

fn build(dir: &Path, filters: &Filters, strict: bool) -> Result<Built, Failure> {
    let o = &filters.options;
    let (t, names) = find_type(dir, o.type_name.as_deref(), o.record_type)?;
    let mut rows = Rows::new(t, names);
    let stop = |e| Failure::Stop(Stop::Reader(e));
    let mut reader = Reader::open_with(dir, o.clone()).map_err(stop)?;
    let mut seen = 0;
    while let Some(r) = reader.next_record().map_err(stop)? {
        if !filters.keeps(&r) {
            continue;
        }
        let pending = rows.begin(&r);
        if strict {
            strict_check(&reader, &mut seen).map_err(Failure::Stop)?;
        }
        rows.finish(pending, &reader);
    }
    if strict {
        strict_check(&reader, &mut seen).map_err(Failure::Stop)?;
    }
    Ok(Built { rows, stats: reader.stats(), damage: reader.damage().to_vec() })
}

/// The rows of a table being built.
struct Rows {
    record_type: Arc<RecordType>,
    /// The type's size: bytes of payload in a row.
    size: usize,
    /// Bytes of a row.
    itemsize: usize,
    fixups: Fixups,
    bytes: Vec<u8>,
    producers: Producers,
    skipped: Skipped,
}

/// A row begun for a record, with what its columns need once the record's borrow of the
/// reader has ended.
struct Pending {
    start: usize,
    fits: bool,
    /// time (monotonic until finished), lsn, seq.
    words: [u64; 3],
    epoch: u32,
    producer: u16,
    record_type: u16,
}

impl Rows {
    fn new(record_type: Arc<RecordType>, producer_names: Vec<String>) -> Rows {
        let size = record_type.layout.size() as usize;
        Rows {
            size,
            itemsize: (ROW_HEADER + size).next_multiple_of(8),
            fixups: Fixups::of(&record_type),
            record_type,
            bytes: Vec::new(),
            producers: Producers { names: producer_names, ..Producers::default() },
            skipped: Skipped::default(),
        }
    }

    /// Adds a row with `r`'s payload (if it has the type's size): the record borrows the
    /// reader, so the payload is copied before anything else is asked of it.
    fn begin(&mut self, r: &Record<'_>) -> Pending {
        let start = self.bytes.len();
        self.bytes.resize(start + self.itemsize, 0);
        let fits = r.payload.len() == self.size;
        if fits {
            self.bytes[start + ROW_HEADER..start + ROW_HEADER + self.size]
                .copy_from_slice(r.payload);
        }
        Pending {
            start,
            fits,
            words: [r.timestamp_ns, r.lsn, r.seq],
            epoch: r.epoch,
            producer: r.producer,
            record_type: r.record_type,
        }
    }

    /// Fills the row's record columns, or drops the row (counted) when the record is not of
    /// the table's type and size; `reader` is at the record's segment.
    fn finish(&mut self, p: Pending, reader: &Reader) {
        let skipped = match reader.record_type(p.record_type) {
            None => Some(&mut self.skipped.untyped),
            Some(_) if !p.fits => Some(&mut self.skipped.wrong_length),
            Some(t) if t.layout != self.record_type.layout => Some(&mut self.skipped.other_layout),
            Some(_) => None,
        };
        if let Some(count) = skipped {
            *count += 1;
            self.bytes.truncate(p.start);
            return;
        }
        // A record always comes with its segment's header; without one, the raw time.
        let header = reader.segment_header();
        let mut words = p.words;
        words[0] = header.map_or(words[0], |h| h.wall_clock_ns(words[0]));
        let code = self.producers.code(header, p.producer);
        let out = &mut self.bytes[p.start..p.start + self.itemsize];
        for (i, v) in words.into_iter().enumerate() {
            out[i * 8..i * 8 + 8].copy_from_slice(&v.to_le_bytes());
        }
        out[24..28].copy_from_slice(&p.epoch.to_le_bytes());
        out[28..30].copy_from_slice(&code.to_le_bytes());
        self.fixups.apply(&mut out[ROW_HEADER..ROW_HEADER + self.size]);
    }
}

/// The first type the headers of `dir` declare under `name` (or, without a name, number `id`),
/// and the producer names of all the headers, in segment and id order.
fn find_type(
    dir: &Path,
    name: Option<&str>,
    id: Option<u16>,
) -> Result<(Arc<RecordType>, Vec<String>), Failure> {
    let headers = readable_headers(dir).map_err(|e| Failure::Stop(Stop::Reader(e)))?;
    let mut interner = Interner::default();
    let (mut found, mut producers) = (None, Vec::<String>::new());
    for header in headers {
        for (_, n) in &header.producers {
            if !producers.contains(n) {
                producers.push(n.clone());
            }
        }
        if found.is_some() {
            continue;
        }
        let schema = Schema::of(&header.types, &mut interner);
        found = match (name, id) {
            (Some(n), _) => schema.by_name(n).cloned(),
            (None, Some(id)) => schema.get(id).cloned(),
            (None, None) => None,
        };
    }
    let what = match (name, id) {
        (Some(n), _) => format!("named {n:?}"),
        (None, Some(id)) => format!("number {id}"),
        (None, None) => "given".to_string(),
    };
    found.map(|t| (t, producers)).ok_or(Failure::NoType(what))
}

/// Producer names — the log's, in the order its headers list them, then any `#id` met — and
/// the code (index in `names`) of each id in the current segment.
#[derive(Default)]
struct Producers {
    names: Vec<String>,
    key: Option<(u64, u64)>,
    codes: Vec<Option<u16>>,
}

impl Producers {
    /// The code of producer `id` of `header`'s segment (its name, or `#id` when the segment's
    /// table lacks it).
    fn code(&mut self, header: Option<&SegmentHeader>, id: u16) -> u16 {
        let key = header.map(|h| (h.index, h.salt));
        if self.key != key {
            self.key = key;
            self.codes.clear();
        }
        let i = usize::from(id);
        if let Some(Some(code)) = self.codes.get(i) {
            return *code;
        }
        let name = header.and_then(|h| producer_name(h, id)).unwrap_or_else(|| format!("#{id}"));
        let code = match self.names.iter().position(|n| *n == name) {
            Some(c) => c,
            None => {
                self.names.push(name);
                self.names.len() - 1
            }
        };
        // At most 65536 ids per segment, each of one name: fewer than 2^16 names in a table
        // only if the log has fewer producers; saturate rather than wrap otherwise.
        let code = u16::try_from(code).unwrap_or(u16::MAX);
        if self.codes.len() <= i {
            self.codes.resize(i + 1, None);
        }
        self.codes[i] = Some(code);
        code
    }
}

/// Where a payload's bytes must be normalised for numpy.
struct Fixups {
    /// Offsets of `bool` bytes.
    bools: Vec<usize>,
    /// `(offset, len)` of `char[N]` fields.
    strings: Vec<(usize, usize)>,
}

impl Fixups {
    fn of(t: &RecordType) -> Fixups {
        let mut f = Fixups { bools: Vec::new(), strings: Vec::new() };
        for field in t.layout.fields() {
            let (at, n) = (field.offset as usize, field.count() as usize);
            match field.scalar {
                Scalar::Bool => f.bools.extend(at..at + n),
                Scalar::Char => f.strings.push((at, n)),
                _ => {}
            }
        }
        f
    }

    fn apply(&self, payload: &mut [u8]) {
        for &at in &self.bools {
            payload[at] = u8::from(payload[at] != 0);
        }
        for &(at, n) in &self.strings {
            let s = &mut payload[at..at + n];
            if let Some(nul) = s.iter().position(|&b| b == 0) {
                s[nul..].fill(0);
            }
        }
    }
}
