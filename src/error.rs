//! Status codes and the error type of the non-RT API.
//!
//! The RT functions return a bare [`Status`] (no allocation); the non-RT ones return an
//! [`Error`] that also carries a human-readable message, which the C boundary keeps as the
//! thread's `rtlog_last_error()` text.

use std::fmt;

/// Outcome of an rtlog operation. The numeric values are the C ABI's `rtlog_status` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    /// Success.
    Ok = 0,
    /// A reader has no more records.
    End = 1,
    /// A NULL pointer, an unknown enum value or an otherwise malformed argument.
    InvalidArgument = 2,
    /// The call is not allowed in the logger's current phase.
    InvalidState = 3,
    /// A ring (or another bounded resource) is full; nothing was stored.
    Full = 4,
    /// A payload larger than `max_record_size`.
    TooLarge = 5,
    /// A configuration field is out of range.
    Config = 6,
    /// An operating-system I/O call failed.
    Io = 7,
    /// Stored data failed validation.
    Corrupt = 8,
    /// The operation did not complete in the allowed time.
    Timeout = 9,
    /// A bug in rtlog (for instance a caught panic).
    Internal = 10,
}

impl Status {
    /// Static description, suitable for `rtlog_status_str`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::End => "end of log",
            Status::InvalidArgument => "invalid argument",
            Status::InvalidState => "invalid state for this call",
            Status::Full => "ring full, record refused",
            Status::TooLarge => "record larger than max_record_size",
            Status::Config => "invalid configuration",
            Status::Io => "I/O error",
            Status::Corrupt => "corrupt or unsupported log data",
            Status::Timeout => "timed out",
            Status::Internal => "internal error",
        }
    }
}

/// A non-RT failure: a status plus a message naming what went wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    /// The status the C API returns.
    pub status: Status,
    /// What failed and why, for `rtlog_last_error()`.
    pub message: String,
    /// The operating system's error number, for I/O failures.
    pub errno: Option<i32>,
}

impl Error {
    /// An error with a status and a message.
    pub fn new(status: Status, message: impl Into<String>) -> Self {
        Error { status, message: message.into(), errno: None }
    }

    /// An `RTLOG_ERR_IO` error from an `std::io::Error`, prefixed with what was being done.
    pub fn io(context: impl fmt::Display, err: std::io::Error) -> Self {
        Error { errno: err.raw_os_error(), ..Error::new(Status::Io, format!("{context}: {err}")) }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.status.as_str(), self.message)
    }
}

impl std::error::Error for Error {}

/// Result of a non-RT operation.
pub type Result<T> = std::result::Result<T, Error>;
