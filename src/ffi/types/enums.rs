//! The C enums, and the raw-integer twins in which the enums arrive from C (so that a value
//! outside the enum is an error, not undefined behaviour in Rust).

use crate::error::Status;
use std::os::raw::{c_char, c_void};

/// Result of an rtlog call. Values are stable; new ones are only ever added at the end.
///
/// Behind it: `crate::error::Status` (and RTLOG_OK, RTLOG_END).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum rtlog_status {
    /// Success.
    RTLOG_OK = 0,
    /// A reader has no more records.
    RTLOG_END = 1,
    /// A NULL pointer, an unknown enum value or a malformed argument.
    RTLOG_ERR_INVALID_ARGUMENT = 2,
    /// The call is not allowed in the logger's current phase (INIT, RUN, stopped).
    RTLOG_ERR_INVALID_STATE = 3,
    /// A ring or another bounded resource is full; nothing was stored.
    RTLOG_ERR_FULL = 4,
    /// The payload is larger than max_record_size.
    RTLOG_ERR_TOO_LARGE = 5,
    /// A configuration field is invalid; rtlog_last_error() names it.
    RTLOG_ERR_CONFIG = 6,
    /// An operating-system I/O call failed; rtlog_last_error() says which.
    RTLOG_ERR_IO = 7,
    /// Stored data failed validation or uses an unsupported format version.
    RTLOG_ERR_CORRUPT = 8,
    /// The operation did not complete in time.
    RTLOG_ERR_TIMEOUT = 9,
    /// A bug in rtlog (a caught panic); please report it.
    RTLOG_ERR_INTERNAL = 10,
}

impl rtlog_status {
    pub(crate) fn from_raw(raw: u32) -> Option<rtlog_status> {
        use rtlog_status::*;
        Some(match raw {
            0 => RTLOG_OK,
            1 => RTLOG_END,
            2 => RTLOG_ERR_INVALID_ARGUMENT,
            3 => RTLOG_ERR_INVALID_STATE,
            4 => RTLOG_ERR_FULL,
            5 => RTLOG_ERR_TOO_LARGE,
            6 => RTLOG_ERR_CONFIG,
            7 => RTLOG_ERR_IO,
            8 => RTLOG_ERR_CORRUPT,
            9 => RTLOG_ERR_TIMEOUT,
            10 => RTLOG_ERR_INTERNAL,
            _ => return None,
        })
    }
}

impl From<Status> for rtlog_status {
    fn from(s: Status) -> rtlog_status {
        rtlog_status::from_raw(s as u32).unwrap_or(rtlog_status::RTLOG_ERR_INTERNAL)
    }
}

/// The two streams of every producer.
///
/// Behind it: `crate::Stream`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum rtlog_stream {
    /// Correctness and safety events; dispatched first; loss escalates.
    RTLOG_STREAM_CRITICAL = 0,
    /// Diagnostics and telemetry.
    RTLOG_STREAM_NORMAL = 1,
}

/// When the writer makes records durable.
///
/// Behind it: `crate::Durability`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum rtlog_durability {
    /// Write in large batches; no flush. A process crash can lose buffered records.
    RTLOG_DURABILITY_NONE = 0,
    /// write() every batch: survives a process crash, not a power loss.
    RTLOG_DURABILITY_FLUSH = 1,
    /// fdatasync after every batch: survives power loss.
    RTLOG_DURABILITY_FSYNC = 2,
    /// fdatasync after batch_records records or batch_interval_us, whichever first.
    RTLOG_DURABILITY_FSYNC_BATCH = 3,
    /// rtlog_config.critical_durability only: the same as durability (the default).
    RTLOG_DURABILITY_SAME = 255,
}

/// Health of a logger.
///
/// Behind it: `crate::state::State`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum rtlog_state {
    /// Created, not started.
    RTLOG_STATE_INIT = 0,
    /// Running; nothing lost.
    RTLOG_STATE_NORMAL = 1,
    /// Running with reduced service.
    RTLOG_STATE_DEGRADED = 2,
    /// A write or sync failed, or critical records were lost.
    RTLOG_STATE_CRITICAL = 3,
    /// Safe mode.
    RTLOG_STATE_SAFE = 4,
    /// Shut down.
    RTLOG_STATE_STOPPED = 5,
}

impl From<crate::state::State> for rtlog_state {
    fn from(s: crate::state::State) -> rtlog_state {
        use crate::state::State as S;
        match s {
            S::Init => rtlog_state::RTLOG_STATE_INIT,
            S::Normal => rtlog_state::RTLOG_STATE_NORMAL,
            S::Degraded => rtlog_state::RTLOG_STATE_DEGRADED,
            S::Critical => rtlog_state::RTLOG_STATE_CRITICAL,
            S::Safe => rtlog_state::RTLOG_STATE_SAFE,
            S::Stopped => rtlog_state::RTLOG_STATE_STOPPED,
        }
    }
}

/// Where a logger's segments go.
///
/// Behind it: `BackendKind` of the storage backends.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum rtlog_backend {
    /// Segment files in the log directory (the default).
    RTLOG_BACKEND_FILE = 0,
    /// Discard everything (for measuring the rest of the path). dir may be NULL.
    RTLOG_BACKEND_NULL = 1,
    /// In memory, with a deterministic fault script: for testing code that uses rtlog, with the functions of rtlog_testing.h. dir may be NULL.
    RTLOG_BACKEND_DUMMY = 2,
}

/// What the normal stream does when a producer's normal ring is full. (The critical stream
/// always refuses with RTLOG_ERR_FULL, counts it and escalates to CRITICAL.)
///
/// Behind it: `crate::config::Overflow`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum rtlog_overflow {
    /// Refuse the new record (RTLOG_ERR_FULL), keep the older ones (the default).
    RTLOG_OVERFLOW_DROP_NEWEST = 0,
    /// Store the new record over the oldest one not yet dispatched.
    RTLOG_OVERFLOW_OVERWRITE_OLDEST = 1,
    /// Above sample_high_water_pct of the ring, accept one record in sample_one_in.
    RTLOG_OVERFLOW_SAMPLE = 2,
    /// On overflow, refuse the producer's normal records until the supervisor re-enables the stream (once the ring has drained to half).
    RTLOG_OVERFLOW_DISABLE = 3,
}

/// Called by the supervisor thread (in manual mode: by rtlog_step_supervisor's caller) on every
/// state change, with the user pointer from the config, the old and new state and a cause (valid
/// during the call). Never called on an RT thread. Must not call rtlog_shutdown or rtlog_destroy.
///
/// Behind it: a `crate::state::StateCallback` that wraps the function.
pub type rtlog_state_callback = Option<
    unsafe extern "C" fn(
        user: *mut c_void,
        from: rtlog_state,
        to: rtlog_state,
        cause: *const c_char,
    ),
>;

/// `rtlog_backend` as it arrives from C.
#[repr(transparent)]
#[derive(Clone, Copy, Debug)]
pub struct RawBackend(pub u32);
/// `rtlog_overflow` as it arrives from C.
#[repr(transparent)]
#[derive(Clone, Copy, Debug)]
pub struct RawOverflow(pub u32);

/// `rtlog_stream` as it arrives from C: any 32-bit value, validated before use.
#[repr(transparent)]
#[derive(Clone, Copy, Debug)]
pub struct RawStream(pub u32);
/// `rtlog_durability` as it arrives from C.
#[repr(transparent)]
#[derive(Clone, Copy, Debug)]
pub struct RawDurability(pub u32);
/// `rtlog_status` as it arrives from C.
#[repr(transparent)]
#[derive(Clone, Copy, Debug)]
pub struct RawStatus(pub u32);

/// Kinds of records in a log (see docs/FORMAT.md for their payloads).
///
/// Behind it: `crate::format::FrameKind`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum rtlog_frame_kind {
    /// A record published by a producer.
    RTLOG_FRAME_DATA = 1,
    /// The start of an epoch (one per rtlog_start).
    RTLOG_FRAME_EPOCH_BEGIN = 2,
    /// The clean end of an epoch (rtlog_shutdown); an epoch without one crashed.
    RTLOG_FRAME_CLEAN_CLOSE = 3,
    /// The end of a rotated segment.
    RTLOG_FRAME_SEAL = 4,
    /// Records of a producer's stream were lost.
    RTLOG_FRAME_LOSS = 5,
    /// A supervisor state change: payload u8 from, u8 to, u16 0, u32 cause length, cause.
    RTLOG_FRAME_STATE = 6,
    /// A log message (RTLOG_INFO...): rtlog_reader_message and rtlog_reader_format read it.
    RTLOG_FRAME_MESSAGE = 7,
    /// A call site's format, file, line and argument types, before its messages.
    RTLOG_FRAME_CALLSITE = 8,
}

/// DLT log levels (the values of libdlt's DltLogLevelType), for rtlog_config.dlt_level_*.
///
/// Behind it: the DLT sink's `Level`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum rtlog_dlt_level {
    /// DLT_LOG_OFF: the stream's records and log messages are not forwarded to DLT at all (nor counted).
    RTLOG_DLT_LEVEL_OFF = 0,
    /// DLT_LOG_FATAL: fatal system error.
    RTLOG_DLT_LEVEL_FATAL = 1,
    /// DLT_LOG_ERROR: error with impact on correct functionality.
    RTLOG_DLT_LEVEL_ERROR = 2,
    /// DLT_LOG_WARN: correct behaviour could not be ensured.
    RTLOG_DLT_LEVEL_WARN = 3,
    /// DLT_LOG_INFO: informational.
    RTLOG_DLT_LEVEL_INFO = 4,
    /// DLT_LOG_DEBUG: debug.
    RTLOG_DLT_LEVEL_DEBUG = 5,
    /// DLT_LOG_VERBOSE: highest grade of information.
    RTLOG_DLT_LEVEL_VERBOSE = 6,
}

/// `rtlog_dlt_level` as it arrives from C.
#[repr(transparent)]
#[derive(Clone, Copy, Debug)]
pub struct RawDltLevel(pub u32);
