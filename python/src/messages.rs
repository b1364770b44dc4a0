//! A log's messages (`RTLOG_WARN(p, "joint %u ...", ...)`) for Python: level, time, producer,
//! source file and line, and the text, rendered by the library (`rtlog::message::Message`) as
//! `rtlog dump` shows it. A message whose call-site frame the log lost keeps its place, as
//! `<call site N>` and its raw arguments, with no file or line.

use crate::error::{strict_check, Stop};
use crate::filters::Filters;
use crate::records::producer_name;
use pyo3::prelude::*;
use rtlog::reader::Reader;
use std::path::{Path, PathBuf};

/// One message: `(level, time_ns, producer, file, line, text)`.
pub type MessageRow = (&'static str, u64, Option<String>, Option<String>, Option<u32>, String);

/// The messages of the log `path` that pass `filters`, in log order.
#[pyfunction]
#[pyo3(signature = (path, filters, strict = false))]
pub fn messages(
    py: Python<'_>,
    path: PathBuf,
    filters: Filters,
    strict: bool,
) -> PyResult<Vec<MessageRow>> {
    let result = py.allow_threads(|| read_messages(&path, &filters, strict));
    result.map_err(|stop| stop.into_py(py, &path))
}

fn read_messages(path: &Path, filters: &Filters, strict: bool) -> Result<Vec<MessageRow>, Stop> {
    let mut options = filters.options.clone();
    options.messages = Some(true);
    let mut reader = Reader::open_with(path, options).map_err(Stop::Reader)?;
    let mut seen = 0;
    let mut out = Vec::new();
    let mut payload = Vec::new();
    // The record borrows the reader; its payload is copied so that the reader can decode the
    // message with the call sites it holds.
    while let Some(r) = reader.next_record().map_err(Stop::Reader)? {
        if !filters.keeps(&r) {
            continue;
        }
        payload.clear();
        payload.extend_from_slice(r.payload);
        let r = rtlog::reader::Record { payload: &payload, ..r };
        let header = reader.segment_header();
        let time_ns = header.map_or(r.timestamp_ns, |h| h.wall_clock_ns(r.timestamp_ns));
        let producer = header.and_then(|h| producer_name(h, r.producer));
        // A message frame whose CRC passed but whose payload does not decode (a faulty
        // writer) is shown by the reader's error text rather than dropped.
        let row = match reader.message(&r) {
            Ok(m) => {
                let (file, line) =
                    m.site.map_or((None, None), |s| (Some(s.file.clone()), Some(s.line)));
                (r.level.name(), time_ns, producer, file, line, m.text())
            }
            Err(e) => (r.level.name(), time_ns, producer, None, None, format!("<{}>", e.message)),
        };
        out.push(row);
        if strict {
            strict_check(&reader, &mut seen)?;
        }
    }
    if strict {
        strict_check(&reader, &mut seen)?;
    }
    Ok(out)
}
