//! `rtlog_reader` (backed by [`crate::Reader`]): reading a log back from C.

use super::boundary::{arg, arg_mut, fail, guard};
use super::types::*;
use crate::error::{Error, Status};
use crate::reader::{Reader, ReaderOptions};
use std::ffi::CStr;
use std::os::raw::c_char;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// An opaque log reader. Created by rtlog_reader_open, freed by rtlog_reader_close. Use it from
/// one thread at a time. Behind it is a `crate::Reader`.
pub struct rtlog_reader {
    _private: [u8; 0],
}

/// The Rust object behind an `rtlog_reader *`: the reader, and the C views of the record
/// types handed out by rtlog_reader_schema (kept until the reader is closed).
pub(crate) struct ReaderHandle {
    pub(crate) reader: Reader,
    pub(crate) c_types: super::schema::CTypes,
}

fn into_handle(reader: Reader) -> *mut rtlog_reader {
    Box::into_raw(Box::new(ReaderHandle { reader, c_types: Default::default() })).cast()
}

/// The handle behind a C pointer.
///
/// # Safety
/// A non-NULL `r` must come from rtlog_reader_open(_opts), not closed yet, and not be used by
/// another thread during the returned lifetime.
pub(crate) unsafe fn handle<'a>(r: *const rtlog_reader) -> Result<&'a ReaderHandle, rtlog_status> {
    // SAFETY: per this function's contract, r is NULL or a live Box<ReaderHandle>.
    unsafe { arg(r.cast::<ReaderHandle>(), "r", true) }
}

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
        let dir = unsafe { arg(dir, "dir", true)? };
        // SAFETY: non-NULL and NUL-terminated per the contract.
        let dir = Path::new(std::ffi::OsStr::from_bytes(unsafe { CStr::from_ptr(dir) }.to_bytes()));
        *out = into_handle(Reader::open(dir).map_err(fail)?);
        Ok(rtlog_status::RTLOG_OK)
    })
}

/// Sets *opts to match every record and opts->struct_size to sizeof(rtlog_reader_options).
/// NULL: does nothing.
///
/// Phase: any. Thread: any. Does not allocate.
#[no_mangle]
pub unsafe extern "C" fn rtlog_reader_options_init(opts: *mut rtlog_reader_options) {
    super::boundary::guard_void(|| {
        // SAFETY: opts is NULL or writable (the caller's contract).
        if let Some(o) = unsafe { opts.as_mut() } {
            *o = rtlog_reader_options {
                struct_size: std::mem::size_of::<rtlog_reader_options>() as u32,
                stream: -1,
                from_wall_ns: 0,
                to_wall_ns: u64::MAX,
                lsn_from: 0,
                lsn_to: u64::MAX,
                producer: std::ptr::null(),
                r#type: -1,
            };
        }
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
        let dir = unsafe { arg(dir, "dir", true)? };
        // SAFETY: opts is NULL or points to struct_size readable bytes.
        let options = unsafe { read_options(opts) }.map_err(fail)?;
        // SAFETY: non-NULL and NUL-terminated per the contract.
        let dir = Path::new(std::ffi::OsStr::from_bytes(unsafe { CStr::from_ptr(dir) }.to_bytes()));
        *out = into_handle(Reader::open_with(dir, options).map_err(fail)?);
        Ok(rtlog_status::RTLOG_OK)
    })
}

unsafe fn read_options(opts: *const rtlog_reader_options) -> Result<ReaderOptions, Error> {
    if opts.is_null() {
        return Ok(ReaderOptions::default());
    }
    let bad = |msg: String| Error::new(Status::InvalidArgument, msg);
    // SAFETY: struct_size is the first field of every version of the struct.
    let size = unsafe { opts.cast::<u32>().read_unaligned() } as usize;
    let ours = std::mem::size_of::<rtlog_reader_options>();
    if size != ours {
        return Err(bad(format!(
            "opts->struct_size = {size}, expected {ours}: initialise it with rtlog_reader_options_init"
        )));
    }
    // SAFETY: the caller's struct holds all our fields.
    let o = unsafe { opts.read_unaligned() };
    let stream = match o.stream {
        -1 => None,
        0 | 1 => Some(o.stream as u8),
        s => return Err(bad(format!("opts->stream = {s} is not -1, 0 or 1"))),
    };
    let record_type = match o.r#type {
        -1 => None,
        t @ 0..=0xFFFF => Some(t as u16),
        t => return Err(bad(format!("opts->type = {t} is not -1 or 0..=65535"))),
    };
    let producer = if o.producer.is_null() {
        None
    } else {
        // SAFETY: a non-NULL producer is a NUL-terminated string (the contract).
        let name = unsafe { CStr::from_ptr(o.producer) };
        Some(name.to_str().map_err(|_| bad("opts->producer is not valid UTF-8".into()))?.to_owned())
    };
    Ok(ReaderOptions {
        from_wall_ns: (o.from_wall_ns != 0).then_some(o.from_wall_ns),
        to_wall_ns: (o.to_wall_ns != u64::MAX).then_some(o.to_wall_ns),
        lsn_from: (o.lsn_from != 0).then_some(o.lsn_from),
        lsn_to: (o.lsn_to != u64::MAX).then_some(o.lsn_to),
        producer,
        stream,
        record_type,
        type_name: None,
    })
}

/// Fills *out with what the reader has seen so far (complete once rtlog_reader_next returned
/// RTLOG_END).
///
/// Phase: any. Thread: the reader's thread. Does not allocate.
/// Returns RTLOG_ERR_INVALID_ARGUMENT for NULL arguments.
#[no_mangle]
pub unsafe extern "C" fn rtlog_reader_stats(
    r: *const rtlog_reader,
    out: *mut rtlog_reader_counts,
) -> rtlog_status {
    guard(|| {
        // SAFETY: r is NULL or a live reader; out is NULL or writable.
        let r = unsafe { handle(r)? };
        // SAFETY: as above.
        let out = unsafe { arg_mut(out, "out", true)? };
        let s = r.reader.stats();
        *out = rtlog_reader_counts {
            records: s.records,
            matched: s.matched,
            segments: s.segments,
            bad_segments: s.bad_segments,
            corrupt_regions: s.corrupt_regions,
            torn_bytes: s.torn_bytes,
            epochs: s.epochs,
            crashed_epochs: s.unclosed_epochs,
        };
        Ok(rtlog_status::RTLOG_OK)
    })
}

/// Reads the next valid published record (kind RTLOG_FRAME_DATA) that matches the reader's
/// filters into *out (records come in LSN order; damaged bytes are skipped and never
/// returned). out->payload stays valid until the next call on this reader.
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
        // SAFETY: r is NULL or a live reader; out is NULL or writable.
        let r = unsafe { arg_mut(r.cast::<ReaderHandle>(), "r", true)? };
        // SAFETY: as above.
        let out = unsafe { arg_mut(out, "out", true)? };
        let next = if any_kind { r.reader.next_frame() } else { r.reader.next_record() };
        let Some(rec) = next.map_err(fail)? else {
            return Ok(rtlog_status::RTLOG_END);
        };
        *out = record(&rec);
        Ok(rtlog_status::RTLOG_OK)
    })
}

/// The C view of a record; its payload pointer borrows from `rec`.
pub(crate) fn record(rec: &crate::reader::Record<'_>) -> rtlog_record {
    rtlog_record {
        lsn: rec.lsn,
        seq: rec.seq,
        timestamp_ns: rec.timestamp_ns,
        epoch: rec.epoch,
        producer: rec.producer,
        r#type: rec.record_type,
        stream: rec.stream,
        payload: if rec.payload.is_empty() { std::ptr::null() } else { rec.payload.as_ptr() },
        len: rec.payload.len() as u32,
        kind: rec.kind as u8,
    }
}

/// Closes a reader. NULL: no-op.
///
/// Phase: any. Thread: the reader's thread.
#[no_mangle]
pub unsafe extern "C" fn rtlog_reader_close(r: *mut rtlog_reader) {
    super::boundary::guard_void(|| {
        if !r.is_null() {
            // SAFETY: r came from rtlog_reader_open and is freed once, here.
            drop(unsafe { Box::from_raw(r.cast::<ReaderHandle>()) });
        }
    })
}
