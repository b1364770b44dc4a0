//! The record filters of the Python API: those of `rtlog dump` (time, LSN, producer, stream,
//! type, level). All but the level are the reader's own [`ReaderOptions`], so a record passes
//! here exactly when the Rust reader (and the CLI) would return it.

use pyo3::prelude::*;
use rtlog::format::Level;
use rtlog::reader::{ReaderOptions, Record};

/// Which records to read; made by the Python layer from its keyword arguments (which accept
/// friendlier forms: datetimes, ISO-8601 strings, stream names, level names).
#[pyclass(module = "rtlog._rtlog", frozen)]
#[derive(Clone, Debug, Default)]
pub struct Filters {
    /// Everything the reader itself filters on.
    pub options: ReaderOptions,
    /// Only records at this level or above.
    pub min_level: Option<Level>,
}

#[pymethods]
impl Filters {
    /// Times are wall-clock ns since the Unix epoch, LSN bounds inclusive, `stream` 0 or 1,
    /// `min_level` an `rtlog_level` number (0 trace .. 5 fatal).
    #[new]
    #[pyo3(signature = (*, time_from=None, time_to=None, lsn_from=None, lsn_to=None,
                        producer=None, stream=None, type_id=None, type_name=None,
                        min_level=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        time_from: Option<u64>,
        time_to: Option<u64>,
        lsn_from: Option<u64>,
        lsn_to: Option<u64>,
        producer: Option<String>,
        stream: Option<u8>,
        type_id: Option<u16>,
        type_name: Option<String>,
        min_level: Option<u8>,
    ) -> PyResult<Filters> {
        let min_level = match min_level {
            None => None,
            Some(v) => Some(Level::from_u8(v).ok_or_else(|| {
                pyo3::exceptions::PyValueError::new_err(format!("{v} is not a level (0..=5)"))
            })?),
        };
        let options = ReaderOptions {
            from_wall_ns: time_from,
            to_wall_ns: time_to,
            lsn_from,
            lsn_to,
            producer,
            stream,
            record_type: type_id,
            type_name,
            // Records and messages alike; `Log.records()` asks for data records only.
            ..ReaderOptions::default()
        };
        Ok(Filters { options, min_level })
    }

    fn __repr__(&self) -> String {
        format!("Filters({:?}, min_level={:?})", self.options, self.min_level)
    }
}

impl Filters {
    /// Whether a record the reader returned passes the filters the reader does not apply.
    pub fn keeps(&self, r: &Record<'_>) -> bool {
        self.min_level.is_none_or(|l| r.level >= l)
    }
}
