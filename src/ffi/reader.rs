//! `rtlog_reader` (behind it: a [`crate::Reader`] in a boxed `ReaderHandle`, see
//! `ffi/handle.rs`): reading a log back from C.

use super::boundary::{
    arg_mut, c_str, fail, guard, guard_void, versioned_in, versioned_init, versioned_out,
};
use super::handle::{free, into_raw, try_mut, try_ref, ReaderHandle};
use super::types::record::read_options;
use super::types::*;
use crate::error::{Error, Status};
use crate::format::Level;
use crate::message::Message;
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

/// Reads the next valid published record (kind RTLOG_FRAME_DATA) or log message (kind
/// RTLOG_FRAME_MESSAGE: see rtlog_reader_message) that matches the reader's filters into *out
/// (records come in LSN order; damaged bytes are skipped and never returned; a type filter
/// leaves messages out, since they have no record type). out->payload stays valid until the next call on this reader. Initialise *out
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

/// Prepares *out for rtlog_reader_message: every byte zero and out->struct_size = `size`,
/// which must be sizeof(rtlog_message_info) as the caller sees it: rtlog_message_info_init(&m)
/// (the header's macro passes sizeof m). Writes exactly `size` bytes.
///
/// Phase: any. Thread: any. RT-safe: does not allocate. NULL out or a size below 4: does
/// nothing.
#[no_mangle]
pub unsafe extern "C" fn rtlog_message_info_init(out: *mut rtlog_message_info, size: usize) {
    guard_void(|| {
        // SAFETY: a non-NULL out points to `size` writable bytes (the caller's contract).
        unsafe { versioned_init(out, size, None) }
    })
}

/// Prepares *out for rtlog_reader_message_arg: every byte zero and out->struct_size = `size`,
/// which must be sizeof(rtlog_message_arg) as the caller sees it: rtlog_message_arg_init(&a)
/// (the header's macro passes sizeof a). Writes exactly `size` bytes.
///
/// Phase: any. Thread: any. RT-safe: does not allocate. NULL out or a size below 4: does
/// nothing.
#[no_mangle]
pub unsafe extern "C" fn rtlog_message_arg_init(out: *mut rtlog_message_arg, size: usize) {
    guard_void(|| {
        // SAFETY: a non-NULL out points to `size` writable bytes (the caller's contract).
        unsafe { versioned_init(out, size, None) }
    })
}

/// Describes *rec, a message (kind RTLOG_FRAME_MESSAGE) that the reader just returned: its
/// level, its call site's id, file, line, function and format, and its number of arguments
/// (read each with rtlog_reader_message_arg; rtlog_reader_format gives the text). When the log
/// lost the call site's frame, out->known is 0, file, function and format are "" and line is
/// 0; level, callsite and the arguments are still there. The texts are NUL-terminated and stay
/// valid until the next call on this reader. Initialise *out with rtlog_message_info_init: the
/// library writes only its first out->struct_size bytes.
///
/// Phase: any. Thread: the reader's thread. Allocates.
/// Returns RTLOG_ERR_INVALID_ARGUMENT for a NULL argument, a rec->struct_size not set by
/// rtlog_record_init, an out->struct_size not set by rtlog_message_info_init, or a record that
/// is not a message; RTLOG_ERR_CORRUPT when its payload is not a message's (a faulty writer:
/// the frame's checksum passed). Call it before the reader's next call: the call site comes
/// from the reader's current epoch.
#[no_mangle]
pub unsafe extern "C" fn rtlog_reader_message(
    r: *const rtlog_reader,
    rec: *const rtlog_record,
    out: *mut rtlog_message_info,
) -> rtlog_status {
    guard(|| {
        // SAFETY: out is NULL or has struct_size writable bytes.
        let out = unsafe { versioned_out(out, "out", true)? };
        // SAFETY: r is NULL or a live reader; rec is NULL or a record it returned.
        let (h, message, level) = unsafe { message_of(r, rec)? };
        out.write(&h.c_message.info(&message, level));
        Ok(rtlog_status::RTLOG_OK)
    })
}

/// Argument number `index` (0-based) of *rec, a message the reader just returned: its
/// rtlog_arg_type and value, and for a string its bytes (NUL-terminated, valid until the next
/// call on this reader), length and flags. Initialise *out with rtlog_message_arg_init.
///
/// Phase: any. Thread: the reader's thread. Allocates (a string's copy).
/// Returns RTLOG_ERR_INVALID_ARGUMENT for a NULL argument, a struct_size not set by the _init
/// function, a record that is not a message, or index >= its arg_count; RTLOG_ERR_CORRUPT as
/// rtlog_reader_message.
#[no_mangle]
pub unsafe extern "C" fn rtlog_reader_message_arg(
    r: *const rtlog_reader,
    rec: *const rtlog_record,
    index: u32,
    out: *mut rtlog_message_arg,
) -> rtlog_status {
    guard(|| {
        // SAFETY: out is NULL or has struct_size writable bytes.
        let out = unsafe { versioned_out(out, "out", true)? };
        // SAFETY: r is NULL or a live reader; rec is NULL or a record it returned.
        let (h, message, _) = unsafe { message_of(r, rec)? };
        let arg = message.args.get(index as usize).ok_or_else(|| {
            fail(Error::new(
                Status::InvalidArgument,
                format!("index = {index}, but the message has {} argument(s)", message.args.len()),
            ))
        })?;
        out.write(&h.c_message.arg(arg));
        Ok(rtlog_status::RTLOG_OK)
    })
}

/// The reader, the message `rec` stands for and its level; `INVALID_ARGUMENT` for a NULL
/// argument, a bad rec->struct_size or a record that is not a message.
///
/// # Safety
/// `r` is NULL or a live reader used by this thread only; `rec` is NULL or has struct_size
/// readable bytes, and a non-NULL payload of `len` bytes that live until the reader's next
/// call (a record the reader returned).
unsafe fn message_of<'a>(
    r: *const rtlog_reader,
    rec: *const rtlog_record,
) -> Result<(&'a ReaderHandle, Message<'a>, Level), rtlog_status> {
    // SAFETY: the caller's contract.
    let (h, rec) =
        unsafe { (try_ref(r, "r", true)?, versioned_in(rec, rtlog_record::empty(), "rec", true)?) };
    if rec.kind != rtlog_frame_kind::RTLOG_FRAME_MESSAGE as u8 {
        return Err(fail(Error::new(
            Status::InvalidArgument,
            format!("the record is of kind {}, not a message (RTLOG_FRAME_MESSAGE)", rec.kind),
        )));
    }
    // SAFETY: the caller's contract on the payload.
    let record = rec.as_core(unsafe { rec.payload_bytes() });
    let message = h.reader.message(&record).map_err(fail)?;
    Ok((h, message, record.level))
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
