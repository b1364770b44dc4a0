//! `rtlog_reader` (backed by [`crate::Reader`]): reading a log back from C.

use super::boundary::{arg, arg_mut, fail, guard};
use super::types::*;
use crate::reader::Reader;
use std::ffi::CStr;
use std::os::raw::c_char;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// An opaque log reader. Created by rtlog_reader_open, freed by rtlog_reader_close. Use it from
/// one thread at a time. Behind it is a `crate::Reader`.
pub struct rtlog_reader {
    _private: [u8; 0],
}

/// Opens the log in `dir` for reading, oldest record first. A directory that is being written
/// can be read: the reader sees what was written so far. A directory without segment files is
/// an empty log.
///
/// Phase: any (no logger needed). Thread: any non-RT thread. Allocates.
/// Returns RTLOG_ERR_INVALID_ARGUMENT for NULL arguments; RTLOG_ERR_IO when dir is missing or
/// unreadable.
#[no_mangle]
pub unsafe extern "C" fn rtlog_reader_open(
    dir: *const c_char,
    out: *mut *mut rtlog_reader,
) -> rtlog_status {
    guard(|| {
        // SAFETY: out is NULL or writable.
        let out = unsafe { arg_mut(out, "out", true)? };
        *out = std::ptr::null_mut();
        // SAFETY: dir is NULL or NUL-terminated.
        let dir = unsafe { arg(dir, "dir", true)? };
        // SAFETY: non-NULL and NUL-terminated per the contract.
        let dir = Path::new(std::ffi::OsStr::from_bytes(
            unsafe { CStr::from_ptr(dir) }.to_bytes(),
        ));
        let reader = Reader::open(dir).map_err(fail)?;
        *out = Box::into_raw(Box::new(reader)).cast();
        Ok(rtlog_status::RTLOG_OK)
    })
}

/// Reads the next valid record into *out (records come in LSN order; damaged bytes are skipped
/// and never returned). out->payload stays valid until the next call on this reader.
///
/// Phase: any. Thread: the reader's thread. Non-RT.
/// Returns RTLOG_OK; RTLOG_END after the last record; RTLOG_ERR_INVALID_ARGUMENT for NULL
/// arguments; RTLOG_ERR_IO for a read failure; RTLOG_ERR_CORRUPT for a segment written by a
/// newer, incompatible format version.
#[no_mangle]
pub unsafe extern "C" fn rtlog_reader_next(
    r: *mut rtlog_reader,
    out: *mut rtlog_record,
) -> rtlog_status {
    guard(|| {
        // SAFETY: r is NULL or a live reader; out is NULL or writable.
        let r = unsafe { arg_mut(r.cast::<Reader>(), "r", true)? };
        // SAFETY: as above.
        let out = unsafe { arg_mut(out, "out", true)? };
        let Some(rec) = r.next_record().map_err(fail)? else {
            return Ok(rtlog_status::RTLOG_END);
        };
        *out = rtlog_record {
            lsn: rec.lsn,
            seq: rec.seq,
            timestamp_ns: rec.timestamp_ns,
            epoch: rec.epoch,
            producer: rec.producer,
            r#type: rec.record_type,
            stream: rec.stream,
            payload: if rec.payload.is_empty() {
                std::ptr::null()
            } else {
                rec.payload.as_ptr()
            },
            len: rec.payload.len() as u32,
        };
        Ok(rtlog_status::RTLOG_OK)
    })
}

/// Closes a reader. NULL: no-op.
///
/// Phase: any. Thread: the reader's thread.
#[no_mangle]
pub unsafe extern "C" fn rtlog_reader_close(r: *mut rtlog_reader) {
    super::boundary::guard_void(|| {
        if !r.is_null() {
            // SAFETY: r came from rtlog_reader_open and is freed once, here.
            drop(unsafe { Box::from_raw(r.cast::<Reader>()) });
        }
    })
}
