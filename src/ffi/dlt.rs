//! The C side of the DLT sink: `rtlog_dlt_get_stats` (behind it: [`crate::dlt`]). The
//! `rtlog_config.dlt_*` fields are translated with the rest of the config, in
//! `ffi/types/config.rs`.

use super::boundary::{arg_mut, guard};
use super::handle::try_ref;
use super::types::*;

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
        let lg = unsafe { try_ref(lg, "lg", true)? };
        // SAFETY: as above.
        let out = unsafe { arg_mut(out, "out", true)? };
        *out = rtlog_dlt_stats::from(lg.dlt_stats());
        Ok(rtlog_status::RTLOG_OK)
    })
}
