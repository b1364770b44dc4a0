//! The C side of the DLT sink: the `rtlog_config.dlt_*` fields and `rtlog_dlt_get_stats`
//! (behind them: [`crate::dlt`]).

use super::boundary::{arg_mut, guard};
use super::logger::{logger, rtlog_logger};
use super::types::*;
use crate::dlt::protocol::Level;
use crate::dlt::{default_pipe_dir, DltConfig};
use crate::error::{Error, Status};
use std::ffi::CStr;
use std::os::raw::c_char;
use std::os::unix::ffi::OsStrExt;

/// The `dlt_*` fields of a C config.
///
/// # Safety
/// `dlt_app_id` and `dlt_pipe_dir` must each be NULL or a NUL-terminated string.
pub(crate) unsafe fn read_config(c: &rtlog_config) -> Result<DltConfig, Error> {
    let d = DltConfig::default();
    let enable = match c.dlt_enable {
        0 => false,
        1 => true,
        v => return Err(Error::new(Status::Config, format!("dlt_enable = {v} is not 0 or 1"))),
    };
    let level = |field: &str, raw: RawDltLevel| {
        Level::from_raw(raw.0).ok_or_else(|| {
            Error::new(
                Status::Config,
                format!("{field} = {} is not an rtlog_dlt_level value (0..=6)", raw.0),
            )
        })
    };
    // SAFETY: per this function's contract.
    let app_id = match unsafe { text(c.dlt_app_id) } {
        None => d.app_id,
        Some(b) => String::from_utf8(b.to_vec()).map_err(|_| {
            Error::new(Status::Config, "dlt_app_id must be 1 to 4 printable ASCII characters")
        })?,
    };
    // SAFETY: per this function's contract.
    let pipe_dir = match unsafe { text(c.dlt_pipe_dir) } {
        None => default_pipe_dir(),
        Some(b) => std::ffi::OsStr::from_bytes(b).into(),
    };
    Ok(DltConfig {
        enable,
        app_id,
        pipe_dir,
        queue_records: c.dlt_queue_records,
        level_critical: level("dlt_level_critical", c.dlt_level_critical)?,
        level_normal: level("dlt_level_normal", c.dlt_level_normal)?,
    })
}

/// # Safety
/// `p` is NULL or NUL-terminated.
unsafe fn text<'a>(p: *const c_char) -> Option<&'a [u8]> {
    // SAFETY: per this function's contract.
    (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_bytes())
}

/// Fills *out with the DLT sink's counters (all zero, enabled = 0, when dlt_enable is not
/// set). offered = sent + queued + lost holds for every snapshot taken while no record is
/// being handed over (e.g. after rtlog_flush, or after rtlog_shutdown).
///
/// Phase: any (after rtlog_shutdown: the final counts). Thread: any non-RT thread; does not
/// allocate or block. Returns RTLOG_ERR_INVALID_ARGUMENT for a NULL lg or out.
#[no_mangle]
pub unsafe extern "C" fn rtlog_dlt_get_stats(
    lg: *const rtlog_logger,
    out: *mut rtlog_dlt_stats,
) -> rtlog_status {
    guard(|| {
        // SAFETY: lg is NULL or live; out is NULL or writable.
        let lg = unsafe { logger(lg, true)? };
        // SAFETY: as above.
        let out = unsafe { arg_mut(out, "out", true)? };
        let s = lg.dlt_stats();
        *out = rtlog_dlt_stats {
            enabled: u32::from(s.enabled),
            connected: u32::from(s.connected),
            offered: s.offered,
            sent: s.sent,
            queued: s.queued,
            lost: s.lost,
            lost_queue_full: s.lost_queue_full,
            lost_too_large: s.lost_too_large,
            lost_at_shutdown: s.lost_at_shutdown,
            loss_markers: s.loss_markers,
            connects: s.connects,
            reconnects: s.reconnects,
            disconnects: s.disconnects,
            last_errno: s.last_errno,
        };
        Ok(rtlog_status::RTLOG_OK)
    })
}
