//! What the segment headers declare: producer names and record types, over every epoch.
//! Headers that do not validate are left out (the reader reports them as damage).

use pyo3::prelude::*;
use pyo3::types::PyDict;
use rtlog::error::Status;
use rtlog::format::{DecodeError, SegmentHeader, FORMAT_MAJOR};
use rtlog::logdir::{list_segments, read_segment_header};
use rtlog::schema::{Interner, RecordType, Schema};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The producers (names, in first-seen order) and record types (each distinct name, id and
/// layout once, in first-seen order) of the log `path`. Only headers are read.
#[pyfunction]
pub fn headers<'py>(
    py: Python<'py>,
    path: PathBuf,
) -> PyResult<(Vec<String>, Vec<Bound<'py, PyDict>>)> {
    let (producers, types) =
        py.allow_threads(|| scan(&path)).map_err(|e| crate::error::from_rtlog(py, &e, &path))?;
    let types: PyResult<Vec<_>> = types.iter().map(|t| type_dict(py, t)).collect();
    Ok((producers, types?))
}

/// Reads every header of `dir`.
fn scan(dir: &Path) -> rtlog::error::Result<(Vec<String>, Vec<Arc<RecordType>>)> {
    let mut producers: Vec<String> = Vec::new();
    let mut types: Vec<Arc<RecordType>> = Vec::new();
    let mut interner = Interner::default();
    for header in readable_headers(dir)? {
        for (_, name) in &header.producers {
            if !producers.contains(name) {
                producers.push(name.clone());
            }
        }
        for t in Schema::of(&header.types, &mut interner).types() {
            if !types.iter().any(|k| **k == **t) {
                types.push(t.clone());
            }
        }
    }
    Ok((producers, types))
}

/// The headers of `dir` that validate, in segment order. A header of a newer format version
/// is an error, as the reader makes it; others that do not validate, or files that vanished
/// or cannot be read, are left out (the reader reports them when it gets there).
pub fn readable_headers(dir: &Path) -> rtlog::error::Result<Vec<SegmentHeader>> {
    let mut headers = Vec::new();
    for (_, path) in list_segments(dir)? {
        match read_segment_header(&path) {
            Ok(Ok(header)) => headers.push(header),
            Ok(Err(DecodeError::NewerVersion(v))) => {
                return Err(rtlog::Error::new(
                    Status::Corrupt,
                    format!(
                        "{}: format version {v} is newer than this reader supports ({}); use \
                         a newer rtlog",
                        path.display(),
                        FORMAT_MAJOR
                    ),
                ))
            }
            Ok(Err(_)) | Err(_) => {}
        }
    }
    Ok(headers)
}

/// `{name, id, size, align, layout, fields: [(name, scalar, array_len, offset)]}`.
pub fn type_dict<'py>(py: Python<'py>, t: &RecordType) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("name", &t.name)?;
    d.set_item("id", t.id)?;
    d.set_item("size", t.layout.size())?;
    d.set_item("align", t.layout.align())?;
    d.set_item("layout", t.layout.text())?;
    let fields: Vec<(String, &str, u32, u32)> = t
        .layout
        .fields()
        .iter()
        .map(|f| (f.name.clone(), f.scalar.name(), f.array_len, f.offset))
        .collect();
    d.set_item("fields", fields)?;
    Ok(d)
}
