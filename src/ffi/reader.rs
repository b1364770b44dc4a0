//! `rtlog_reader` (behind it: a [`crate::Reader`] in a boxed `ReaderHandle`, see
//! `ffi/handle.rs`): reading a log back from C.

use super::boundary::{arg_mut, c_str, fail, guard, guard_void, versioned_init, versioned_out};
use super::handle::{free, into_raw, try_mut, try_ref};
use super::types::record::read_options;
use super::types::*;
use crate::reader::Reader;
use std::ffi::OsStr;
use std::os::raw::c_char;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// Opens the log in `dir` for reading, oldest record first. A directory that is being written
/// can be read: the reader sees what was written so far. A directory without segment files is
/// an empty log. On failure *out is NULL.
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
        let dir = unsafe { c_str(dir, "dir", true)? };
        let dir = Path::new(OsStr::from_bytes(dir.to_bytes()));
        *out = into_raw::<rtlog_reader>(Reader::open(dir).map_err(fail)?.into());
        Ok(rtlog_status::RTLOG_OK)
    })
}

/// Sets *opts to match every record and opts->struct_size to `size`, which must be
/// sizeof(rtlog_reader_options) as the caller sees it: rtlog_reader_options_init(&o) (the header's
/// macro passes sizeof o).
/// Writes exactly `size` bytes.
///
/// Phase: any. Thread: any. RT-safe: does not allocate. NULL opts or a size below 4: does
/// nothing.
#[no_mangle]
pub unsafe extern "C" fn rtlog_reader_options_init(opts: *mut rtlog_reader_options, size: usize) {
    guard_void(|| {
        // SAFETY: a non-NULL opts points to `size` writable bytes (the caller's contract).
        unsafe { versioned_init(opts, size, Some(&rtlog_reader_options::match_all())) }
    })
}

/// Like rtlog_reader_open, with filters: rtlog_reader_next returns only the records that match
/// every filter of *opts (NULL opts: no filter). Producer names are matched per segment, since
/// producer ids are assigned per epoch. On failure *out is NULL.
///
/// Phase: any. Thread: any non-RT thread. Allocates.
/// Returns RTLOG_ERR_INVALID_ARGUMENT for a NULL dir or out, a struct_size not set by
/// rtlog_reader_options_init, a stream other than -1, 0 or 1, a type outside -1..=65535 or a
/// non-UTF-8 producer name (rtlog_last_error() says which); RTLOG_ERR_IO when dir is missing or
/// unreadable.
#[no_mangle]
pub unsafe extern "C" fn rtlog_reader_open_opts(
    dir: *const c_char,
    opts: *const rtlog_reader_options,
    out: *mut *mut rtlog_reader,
) -> rtlog_status {
    guard(|| {
        // SAFETY: out is NULL or writable.
        let out = unsafe { arg_mut(out, "out", true)? };
        *out = std::ptr::null_mut();
        // SAFETY: dir is NULL or NUL-terminated.
        let dir = unsafe { c_str(dir, "dir", true)? };
        // SAFETY: opts is NULL or points to struct_size readable bytes.
        let options = unsafe { read_options(opts) }.map_err(fail)?;
        let dir = Path::new(OsStr::from_bytes(dir.to_bytes()));
        *out = into_raw::<rtlog_reader>(Reader::open_with(dir, options).map_err(fail)?.into());
        Ok(rtlog_status::RTLOG_OK)
    })
}

/// Prepares *out for rtlog_reader_stats: every byte zero and out->struct_size = `size`, which
/// must be sizeof(rtlog_reader_counts) as the caller sees it:
/// rtlog_reader_counts_init(&c) (the header's macro passes sizeof c). Writes exactly `size` bytes.
///
/// Phase: any. Thread: any. RT-safe: does not allocate. NULL out or a size below 4: does
/// nothing.
#[no_mangle]
pub unsafe extern "C" fn rtlog_reader_counts_init(out: *mut rtlog_reader_counts, size: usize) {
    guard_void(|| {
        // SAFETY: a non-NULL out points to `size` writable bytes (the caller's contract).
        unsafe { versioned_init(out, size, None) }
    })
}

/// Prepares *out for rtlog_reader_next and rtlog_reader_next_frame (and for the frame copy of
/// rtlog_testing.h): every byte zero and out->struct_size = `size`, which must be
/// sizeof(rtlog_record) as the caller sees it: rtlog_record_init(&rec) (the header's macro passes sizeof rec). Writes exactly `size` bytes. Once is enough
/// for a record read into many times (the library leaves struct_size as it is).
///
/// Phase: any. Thread: any. RT-safe: does not allocate. NULL out or a size below 4: does
/// nothing.
#[no_mangle]
pub unsafe extern "C" fn rtlog_record_init(out: *mut rtlog_record, size: usize) {
    guard_void(|| {
        // SAFETY: a non-NULL out points to `size` writable bytes (the caller's contract).
        unsafe { versioned_init(out, size, None) }
    })
}

/// Fills *out with what the reader has seen so far (complete once rtlog_reader_next returned
/// RTLOG_END). Initialise *out with rtlog_reader_counts_init first: the library writes only
/// its first out->struct_size bytes and leaves struct_size as it is.
///
/// Phase: any. Thread: the reader's thread. Does not allocate.
/// Returns RTLOG_ERR_INVALID_ARGUMENT for NULL arguments, or an out->struct_size smaller than
/// the first version of rtlog_reader_counts or between two versions (nothing is written
/// then).
#[no_mangle]
pub unsafe extern "C" fn rtlog_reader_stats(
    r: *const rtlog_reader,
    out: *mut rtlog_reader_counts,
) -> rtlog_status {
    guard(|| {
        // SAFETY: r is NULL or a live reader; out is NULL or has struct_size writable bytes.
        let r = unsafe { try_ref(r, "r", true)? };
        // SAFETY: as above.
        let out = unsafe { versioned_out(out, "out", true)? };
        out.write(&rtlog_reader_counts::from(r.reader.stats()));
        Ok(rtlog_status::RTLOG_OK)
    })
}

/// Reads the next valid published record (kind RTLOG_FRAME_DATA) that matches the reader's
/// filters into *out (records come in LSN order; damaged bytes are skipped and never
/// returned). out->payload stays valid until the next call on this reader. Initialise *out
/// with rtlog_record_init once: the library writes only its first out->struct_size bytes and
/// leaves struct_size as it is.
///
/// Phase: any. Thread: the reader's thread. Non-RT.
/// Returns RTLOG_OK; RTLOG_END after the last record; RTLOG_ERR_INVALID_ARGUMENT for NULL
/// arguments or an out->struct_size smaller than the first version of rtlog_record or between
/// two versions (no record is consumed then); RTLOG_ERR_IO for a read failure;
/// RTLOG_ERR_CORRUPT for a segment written by a newer, incompatible format version.
#[no_mangle]
pub unsafe extern "C" fn rtlog_reader_next(
    r: *mut rtlog_reader,
    out: *mut rtlog_record,
) -> rtlog_status {
    // SAFETY: forwarded with the same contract.
    unsafe { next(r, out, false) }
}

/// Like rtlog_reader_next, but returns every valid record of any kind (epoch begin, clean
/// close, seal, loss markers, state changes; out->kind says which) and ignores the filters.
///
/// Phase: any. Thread: the reader's thread. Non-RT. Returns as rtlog_reader_next.
#[no_mangle]
pub unsafe extern "C" fn rtlog_reader_next_frame(
    r: *mut rtlog_reader,
    out: *mut rtlog_record,
) -> rtlog_status {
    // SAFETY: forwarded with the same contract.
    unsafe { next(r, out, true) }
}

unsafe fn next(r: *mut rtlog_reader, out: *mut rtlog_record, any_kind: bool) -> rtlog_status {
    guard(|| {
        // SAFETY: r is NULL or a live reader; out is NULL or has struct_size writable bytes.
        let r = unsafe { try_mut(r, "r", true)? };
        // SAFETY: as above. Checked before reading, so a refused struct consumes no record.
        let out = unsafe { versioned_out(out, "out", true)? };
        let next = if any_kind { r.reader.next_frame() } else { r.reader.next_record() };
        let Some(rec) = next.map_err(fail)? else {
            return Ok(rtlog_status::RTLOG_END);
        };
        out.write(&rtlog_record::from(&rec));
        Ok(rtlog_status::RTLOG_OK)
    })
}

/// Closes a reader. NULL: no-op.
///
/// Phase: any. Thread: the reader's thread.
#[no_mangle]
pub unsafe extern "C" fn rtlog_reader_close(r: *mut rtlog_reader) {
    guard_void(|| {
        // SAFETY: r is NULL or came from rtlog_reader_open(_opts), and is freed once, here.
        unsafe { free(r) }
    })
}
