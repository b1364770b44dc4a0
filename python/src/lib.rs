//! `rtlog._rtlog`: the native part of the `rtlog` Python package (non-RT, read side only).
//!
//! A thin layer over the library's [`rtlog::reader::Reader`] and [`rtlog::schema`], so that the
//! format has one definition: the Python package never parses a byte of a segment itself.
//! Damage is skipped and counted exactly as the Rust reader does; errors become
//! [`error::LogError`] (an `OSError`), and no path here panics on what a file holds.
//!
//! - [`filters`]: the record filters (`ReaderOptions` plus a minimum level);
//! - [`records`]: iterating records as Python objects, and a pass that only counts;
//! - [`table`]: one record type decoded into a contiguous buffer for numpy;
//! - [`messages`]: the log's messages, rendered by the library;
//! - [`headers`]: the producers and record types that the segment headers declare;
//! - [`values`]: a typed field's value as a Python object.
#![deny(missing_docs, unsafe_op_in_unsafe_fn)]

mod error;
mod filters;
mod headers;
mod messages;
mod records;
mod table;
mod values;

use pyo3::prelude::*;

/// The module `rtlog._rtlog`.
#[pymodule]
fn _rtlog(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("LogError", m.py().get_type::<error::LogError>())?;
    m.add("VERSION", rtlog::VERSION)?;
    m.add_class::<filters::Filters>()?;
    m.add_class::<records::Records>()?;
    m.add_class::<records::Record>()?;
    m.add_function(wrap_pyfunction!(records::scan, m)?)?;
    m.add_function(wrap_pyfunction!(headers::headers, m)?)?;
    m.add_function(wrap_pyfunction!(table::table, m)?)?;
    m.add_function(wrap_pyfunction!(messages::messages, m)?)?;
    Ok(())
}
