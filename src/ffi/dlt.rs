//! The C side of the DLT sink: `rtlog_dlt_get_stats` (behind it: [`crate::dlt`]). The
//! `rtlog_config.dlt_*` fields are translated with the rest of the config, in
//! `ffi/types/config.rs`.

use super::boundary::{guard, guard_void, versioned_init, versioned_out};
use super::handle::try_ref;
use super::types::*;

/// Prepares *out for rtlog_dlt_get_stats: every byte zero and out->struct_size = `size`, which
/// must be sizeof(rtlog_dlt_stats) as the caller sees it: rtlog_dlt_stats_init(&ds) (the header's macro
/// passes sizeof ds).
/// Writes exactly `size` bytes.
///
/// Phase: any. Thread: any. RT-safe: does not allocate. NULL out or a size below 4: does
/// nothing.
#[no_mangle]
pub unsafe extern "C" fn rtlog_dlt_stats_init(out: *mut rtlog_dlt_stats, size: usize) {
    guard_void(|| {
        // SAFETY: a non-NULL out points to `size` writable bytes (the caller's contract).
        unsafe { versioned_init(out, size, None) }
    })
}

/// Fills *out with the DLT sink's counters (all zero, enabled = 0, when dlt_enable is not
/// set). offered = sent + queued + lost holds for every snapshot taken while no record is
/// being handed over (e.g. after rtlog_flush, or after rtlog_shutdown). Initialise *out with
/// rtlog_dlt_stats_init first: the library writes only its first out->struct_size bytes and
/// leaves struct_size as it is.
///
/// Phase: any (after rtlog_shutdown: the final counts). Thread: any non-RT thread; does not
/// allocate or block (but a refused struct_size sets rtlog_last_error, which allocates).
/// Returns RTLOG_ERR_INVALID_ARGUMENT for a NULL lg or out, or an out->struct_size smaller than
/// the first version of rtlog_dlt_stats or between two versions (nothing is written then).
#[no_mangle]
pub unsafe extern "C" fn rtlog_dlt_get_stats(
    lg: *const rtlog_logger,
    out: *mut rtlog_dlt_stats,
) -> rtlog_status {
    guard(|| {
        // SAFETY: lg is NULL or live; out is NULL or has struct_size writable bytes.
        let lg = unsafe { try_ref(lg, "lg", true)? };
        // SAFETY: as above.
        let out = unsafe { versioned_out(out, "out", true)? };
        out.write(&rtlog_dlt_stats::from(lg.dlt_stats()));
        Ok(rtlog_status::RTLOG_OK)
    })
}
