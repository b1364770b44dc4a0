//! The dummy backend from C (`RTLOG_BACKEND_DUMMY`): its fault script and the frames it
//! received, for users who test their own control loop against a failing or stalling logger.
//! Behind these functions is [`crate::storage::backend::dummy::DummyShared`].
//!
//! These functions are declared in their own header, `include/rtlog_testing.h` (build.rs
//! generates it from this file alone; `ffi/mod.rs` keeps this module out of `rtlog.h`).

use super::boundary::{fail, guard, guard_value, versioned_out};
use super::handle::try_ref;
use super::types::*;
use crate::error::{Error, Status};
use crate::storage::backend::dummy::DummyShared;
use std::sync::Arc;
use std::time::Duration;

/// The dummy backend of a logger, or `INVALID_STATE` when it uses another backend.
unsafe fn dummy<'a>(lg: *mut rtlog_logger) -> Result<&'a Arc<DummyShared>, rtlog_status> {
    // SAFETY: lg is NULL or live (the caller's contract).
    let lg = unsafe { try_ref(lg, "lg", true)? };
    lg.dummy().ok_or_else(|| {
        fail(Error::new(Status::InvalidState, "the logger does not use RTLOG_BACKEND_DUMMY"))
    })
}

/// Testing API, declared in rtlog_testing.h (not rtlog.h).
///
/// Makes the nth write (1-based, counting every write the backend receives) fail with
/// errno_value, once.
///
/// Phase: any after rtlog_init. Thread: any non-RT thread.
/// Returns RTLOG_ERR_INVALID_ARGUMENT for NULL; RTLOG_ERR_INVALID_STATE if the logger does not
/// use RTLOG_BACKEND_DUMMY.
#[no_mangle]
pub unsafe extern "C" fn rtlog_dummy_fail_write(
    lg: *mut rtlog_logger,
    nth: u64,
    errno_value: i32,
) -> rtlog_status {
    guard(|| {
        // SAFETY: lg is NULL or live.
        unsafe { dummy(lg)? }.script.lock().fail_writes.push((nth, errno_value));
        Ok(rtlog_status::RTLOG_OK)
    })
}

/// Testing API, declared in rtlog_testing.h (not rtlog.h).
///
/// Makes the nth fdatasync (1-based) fail with errno_value, once.
///
/// Phase, thread and returns as rtlog_dummy_fail_write.
#[no_mangle]
pub unsafe extern "C" fn rtlog_dummy_fail_sync(
    lg: *mut rtlog_logger,
    nth: u64,
    errno_value: i32,
) -> rtlog_status {
    guard(|| {
        // SAFETY: lg is NULL or live.
        unsafe { dummy(lg)? }.script.lock().fail_syncs.push((nth, errno_value));
        Ok(rtlog_status::RTLOG_OK)
    })
}

/// Testing API, declared in rtlog_testing.h (not rtlog.h).
///
/// Adds latency_us to every write from now on (0: none).
///
/// Phase, thread and returns as rtlog_dummy_fail_write.
#[no_mangle]
pub unsafe extern "C" fn rtlog_dummy_set_latency(
    lg: *mut rtlog_logger,
    latency_us: u32,
) -> rtlog_status {
    guard(|| {
        // SAFETY: lg is NULL or live.
        unsafe { dummy(lg)? }.script.lock().write_latency =
            Duration::from_micros(latency_us.into());
        Ok(rtlog_status::RTLOG_OK)
    })
}

/// Testing API, declared in rtlog_testing.h (not rtlog.h).
///
/// The next write blocks for stall_ms before it completes (the writer thread stalls;
/// publishing must not).
///
/// Phase, thread and returns as rtlog_dummy_fail_write.
#[no_mangle]
pub unsafe extern "C" fn rtlog_dummy_stall(lg: *mut rtlog_logger, stall_ms: u32) -> rtlog_status {
    guard(|| {
        // SAFETY: lg is NULL or live.
        unsafe { dummy(lg)? }.script.lock().stall_next_write =
            Some(Duration::from_millis(stall_ms.into()));
        Ok(rtlog_status::RTLOG_OK)
    })
}

/// Testing API, declared in rtlog_testing.h (not rtlog.h).
///
/// From now on, writes that would bring the bytes stored past `bytes` fail with ENOSPC (a
/// full disk). UINT64_MAX: no limit.
///
/// Phase, thread and returns as rtlog_dummy_fail_write.
#[no_mangle]
pub unsafe extern "C" fn rtlog_dummy_disk_full_at(
    lg: *mut rtlog_logger,
    bytes: u64,
) -> rtlog_status {
    guard(|| {
        // SAFETY: lg is NULL or live.
        unsafe { dummy(lg)? }.script.lock().disk_full_at = (bytes != u64::MAX).then_some(bytes);
        Ok(rtlog_status::RTLOG_OK)
    })
}

/// Testing API, declared in rtlog_testing.h (not rtlog.h).
///
/// Number of records of any kind the dummy backend has stored (written successfully). 0 for
/// NULL or a logger with another backend.
///
/// Phase: any after rtlog_init. Thread: any non-RT thread.
#[no_mangle]
pub unsafe extern "C" fn rtlog_dummy_frame_count(lg: *mut rtlog_logger) -> u64 {
    guard_value(0, || {
        // SAFETY: lg is NULL or live.
        unsafe { dummy(lg) }.map_or(0, |d| d.counts().frames)
    })
}

/// Testing API, declared in rtlog_testing.h (not rtlog.h).
///
/// Copies stored record number `index` (0-based, in write order; any kind, see out->kind)
/// into *out. Its payload is copied into `payload_buf` (capacity `payload_cap`
/// bytes; out->payload points there, out->len is the full length, and at most payload_cap
/// bytes are copied). Initialise *out with rtlog_record_init: the library writes only its
/// first out->struct_size bytes and leaves struct_size as it is.
///
/// Phase: any after rtlog_init. Thread: any non-RT thread.
/// Returns RTLOG_END when index is past the last record; RTLOG_ERR_INVALID_ARGUMENT for NULL lg
/// or out, an out->struct_size not set by rtlog_record_init, or a NULL payload_buf with
/// payload_cap > 0; RTLOG_ERR_INVALID_STATE for another backend.
#[no_mangle]
pub unsafe extern "C" fn rtlog_dummy_frame(
    lg: *mut rtlog_logger,
    index: u64,
    out: *mut rtlog_record,
    payload_buf: *mut u8,
    payload_cap: u32,
) -> rtlog_status {
    guard(|| {
        // SAFETY: lg is NULL or live.
        let d = unsafe { dummy(lg)? };
        // SAFETY: out is NULL or has struct_size writable bytes.
        let out = unsafe { versioned_out(out, "out", true)? };
        if payload_buf.is_null() && payload_cap > 0 {
            return Err(fail(Error::new(
                Status::InvalidArgument,
                "payload_buf is NULL but payload_cap > 0",
            )));
        }
        let Some(f) = d.frame(index as usize) else { return Ok(rtlog_status::RTLOG_END) };
        let n = f.payload.len().min(payload_cap as usize);
        if n > 0 {
            // SAFETY: payload_buf holds payload_cap >= n writable bytes (the contract).
            unsafe { std::ptr::copy_nonoverlapping(f.payload.as_ptr(), payload_buf, n) };
        }
        let payload = if payload_cap == 0 { std::ptr::null() } else { payload_buf.cast_const() };
        out.write(&rtlog_record::from_dummy(&f.header, payload));
        Ok(rtlog_status::RTLOG_OK)
    })
}
