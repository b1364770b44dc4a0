//! The package's exception, `rtlog.LogError`, and the conversions into it.

use pyo3::prelude::*;
use rtlog::reader::{Damage, Reader};
use std::path::Path;

pyo3::create_exception!(
    rtlog,
    LogError,
    pyo3::exceptions::PyOSError,
    "A log that cannot be read: not a directory, unreadable, of a newer format, or (with \
     strict=True) damaged. `path` is the file or directory, `offset` the byte offset in it \
     when one is known (else None)."
);

/// A `LogError` with `message`, and `path` and `offset` as attributes.
pub fn log_error(py: Python<'_>, message: String, path: &Path, offset: Option<u64>) -> PyErr {
    let err = LogError::new_err(message);
    let value = err.value(py);
    // Exception instances take attributes; these calls fail only on memory exhaustion, and
    // then the exception still carries its message.
    let _ = value.setattr("path", path.to_string_lossy().into_owned());
    let _ = value.setattr("offset", offset);
    err
}

/// A reader's error: it names the file in its message; `dir` is the log.
pub fn from_rtlog(py: Python<'_>, e: &rtlog::Error, dir: &Path) -> PyErr {
    log_error(py, format!("{}: {}", dir.display(), e.message), dir, None)
}

/// Why a strict read stops: the reader's error, or damage it skipped.
pub enum Stop {
    /// The reader failed (I/O, a newer format).
    Reader(rtlog::Error),
    /// A damaged place (strict mode only).
    Damage(Damage),
    /// More damaged places than the reader lists (strict mode only).
    Unlisted(u64),
}

impl Stop {
    /// The exception for it; `dir` is the log.
    pub fn into_py(self, py: Python<'_>, dir: &Path) -> PyErr {
        match self {
            Stop::Reader(e) => from_rtlog(py, &e, dir),
            Stop::Damage(d) => log_error(
                py,
                format!(
                    "{} at offset {} ({} bytes): {} (strict=True; without it the reader \
                     skips damage and counts it in stats())",
                    d.path.display(),
                    d.offset,
                    d.len,
                    d.what
                ),
                &d.path,
                Some(d.offset),
            ),
            Stop::Unlisted(n) => log_error(
                py,
                format!("{}: {n} damaged places beyond those listed (strict=True)", dir.display()),
                dir,
                None,
            ),
        }
    }
}

/// In strict mode, the first damaged place the reader found since `seen` places were checked.
pub fn strict_check(reader: &Reader, seen: &mut usize) -> Result<(), Stop> {
    if let Some(d) = reader.damage().get(*seen) {
        *seen += 1;
        return Err(Stop::Damage(d.clone()));
    }
    match reader.stats().damage_not_listed {
        0 => Ok(()),
        n => Err(Stop::Unlisted(n)),
    }
}
