//! Typed records from C: registering record types on an `rtlog_logger` (behind it:
//! [`crate::schema::Registry`]), and looking them up and decoding records on an
//! `rtlog_reader` (behind it: [`crate::schema::Schema`]). Their C types are in
//! `ffi/types/schema.rs`.

use super::boundary::{arg_mut, c_str, fail, guard, guard_value, versioned_in};
use super::handle::try_ref;
use super::types::*;
use crate::error::{Error, Status};
use crate::reader::Reader;
use crate::schema::{render, Layout};
use std::os::raw::c_char;

/// A C string argument as UTF-8, or `status` with a last-error text naming `what`.
///
/// # Safety
/// `s` must be NULL or a NUL-terminated string.
unsafe fn text<'a>(s: *const c_char, what: &str, status: Status) -> Result<&'a str, rtlog_status> {
    // SAFETY: s is NULL or NUL-terminated (the caller's contract).
    unsafe { c_str(s, what, true)? }
        .to_str()
        .map_err(|_| fail(Error::new(status, format!("{what} is not valid UTF-8"))))
}

/// Declares record type `type` (the number given to rtlog_publish) as `name` with the field
/// layout `layout`, so that readers (rtlog dump, rtlog_reader_schema) decode its records by
/// field. The type is stored in every segment header of the epoch, so each segment decodes on
/// its own. Publishing does not check types: a record of another length than the type's size
/// is stored as it is, and readers show it as bytes (rtlog dump reports the mismatch).
///
/// name: 1 to 64 bytes, a letter or '_' first, then letters, digits, '_', '.' or ':'.
/// layout: fields separated by ';', each "TYPE NAME" or "TYPE[N] NAME", e.g.
/// "u32 axis; f64 position; f64 velocity; bool enabled; char[16] mode". TYPE is one of i8,
/// i16, i32, i64, u8, u16, u32, u64, f32, f64, bool, char (char only as char[N], a string of
/// up to N bytes, NUL-terminated when shorter); N is 1..=65535, one dimension. NAME is a C
/// identifier of at most 64 bytes, unique in the layout. At most 256 fields and 4096 bytes.
/// The record is laid out as a C compiler lays out the struct with the same members in the
/// same order on 64-bit Linux (x86-64, AArch64): each member aligned to its element's size,
/// padding before it as needed, the size rounded up to the largest alignment. So
/// `struct { uint32_t axis; double position; double velocity; bool enabled; char mode[16]; }`
/// (48 bytes) can be published as it is; check sizeof against rtlog_type_size.
///
/// Phase: INIT (before rtlog_start). Thread: any non-RT thread. Allocates, locks.
/// Returns RTLOG_ERR_INVALID_ARGUMENT for a NULL lg, name or layout; RTLOG_ERR_INVALID_STATE
/// after rtlog_start; RTLOG_ERR_CONFIG for a bad name or layout, a type id or name registered
/// already, a type larger than max_record_size, or types that would take more than 256 KiB of
/// each segment header (rtlog_last_error() names the problem and the field).
#[no_mangle]
pub unsafe extern "C" fn rtlog_type_register(
    lg: *mut rtlog_logger,
    r#type: u16,
    name: *const c_char,
    layout: *const c_char,
) -> rtlog_status {
    guard(|| {
        // SAFETY: lg is NULL or live (the caller's contract).
        let lg = unsafe { try_ref(lg, "lg", true)? };
        // SAFETY: name and layout are NULL or NUL-terminated.
        let (name, layout) = unsafe {
            (text(name, "name", Status::Config)?, text(layout, "layout", Status::Config)?)
        };
        lg.register_type(r#type, name, layout).map_err(fail)?;
        Ok(rtlog_status::RTLOG_OK)
    })
}

/// Gives every record of `type` (registered with rtlog_type_register or not) `level` in the
/// log instead of RTLOG_LEVEL_INFO, so `rtlog dump --level warn` shows them. Records are never
/// filtered by level; only messages are.
///
/// Phase: INIT (before rtlog_start). Thread: any non-RT thread. Locks.
/// Returns RTLOG_ERR_INVALID_ARGUMENT for a NULL lg or a value that is not an rtlog_level;
/// RTLOG_ERR_INVALID_STATE after rtlog_start.
#[no_mangle]
pub unsafe extern "C" fn rtlog_type_set_level(
    lg: *mut rtlog_logger,
    r#type: u16,
    level: RawLevel,
) -> rtlog_status {
    guard(|| {
        // SAFETY: lg is NULL or live (the caller's contract).
        let lg = unsafe { try_ref(lg, "lg", true)? };
        let Some(level) = level.level() else {
            return Err(fail(Error::new(
                Status::InvalidArgument,
                format!("level = {} is not an rtlog_level (0..=5)", level.0),
            )));
        };
        lg.set_type_level(r#type, level).map_err(fail)?;
        Ok(rtlog_status::RTLOG_OK)
    })
}

/// *size receives the record size of the type registered as `type` (the size of the C struct
/// its layout stands for).
///
/// Phase: any. Thread: any non-RT thread. Returns RTLOG_ERR_INVALID_ARGUMENT for a NULL lg or
/// size, or a type that is not registered.
#[no_mangle]
pub unsafe extern "C" fn rtlog_type_size(
    lg: *const rtlog_logger,
    r#type: u16,
    size: *mut u32,
) -> rtlog_status {
    guard(|| {
        // SAFETY: lg is NULL or live; size is NULL or writable.
        let (lg, size) = unsafe { (try_ref(lg, "lg", true)?, arg_mut(size, "size", true)?) };
        *size = lg.type_size(r#type).ok_or_else(|| {
            fail(Error::new(Status::InvalidArgument, format!("type {} is not registered", r#type)))
        })?;
        Ok(rtlog_status::RTLOG_OK)
    })
}

/// Checks a layout string as rtlog_type_register does (without max_record_size, which
/// belongs to a logger) and gives its record size in *size. Needs no logger: tools and
/// bindings can check a layout against sizeof of their struct.
///
/// Phase: any. Thread: any non-RT thread. Returns RTLOG_ERR_INVALID_ARGUMENT for a NULL
/// layout or size; RTLOG_ERR_CONFIG for a bad layout (rtlog_last_error() names the problem).
#[no_mangle]
pub unsafe extern "C" fn rtlog_layout_size(layout: *const c_char, size: *mut u32) -> rtlog_status {
    guard(|| {
        // SAFETY: size is NULL or writable; layout is NULL or NUL-terminated.
        let (size, layout) =
            unsafe { (arg_mut(size, "size", true)?, text(layout, "layout", Status::Config)?) };
        let layout = Layout::parse(layout).map_err(|e| fail(Error::new(Status::Config, e)))?;
        *size = layout.size();
        Ok(rtlog_status::RTLOG_OK)
    })
}

/// *out receives the record type `type` as registered in the segment of the record the reader
/// returned last (rtlog_reader_next or rtlog_reader_next_frame), or NULL when that segment has
/// no such type (a log written without types, an unregistered type, or a layout this version
/// cannot read) or no record was returned yet. Types may differ between epochs: look the type
/// up for the record at hand. The returned struct and everything it points to stay valid until
/// rtlog_reader_close, and the same type gives the same pointer.
///
/// Phase: any. Thread: the reader's thread. Allocates (the first time a type is looked up).
/// Returns RTLOG_ERR_INVALID_ARGUMENT for a NULL r or out (RTLOG_OK with *out = NULL for an
/// unknown type).
#[no_mangle]
pub unsafe extern "C" fn rtlog_reader_schema(
    r: *const rtlog_reader,
    r#type: u16,
    out: *mut *const rtlog_type_info,
) -> rtlog_status {
    guard(|| {
        // SAFETY: out is NULL or writable; r is NULL or a live reader on this thread.
        let (out, h) = unsafe { (arg_mut(out, "out", true)?, try_ref(r, "r", true)?) };
        *out = match h.reader.record_type(r#type) {
            Some(t) => h.c_types.get(t),
            None => std::ptr::null(),
        };
        Ok(rtlog_status::RTLOG_OK)
    })
}

/// Field number `index` (0-based) of a record type that rtlog_reader_schema returned, or NULL
/// when info is NULL or index >= info->field_count. Use this rather than info->fields[index]:
/// the library's rtlog_field may be larger than the caller's (fields appended in a later
/// version), and then the array's stride is the library's sizeof (fields[0].struct_size). The
/// pointer stays valid as long as info.
///
/// Phase: any. Thread: any (info is read-only). RT-safe: no allocation.
#[no_mangle]
pub unsafe extern "C" fn rtlog_type_info_field(
    info: *const rtlog_type_info,
    index: u32,
) -> *const rtlog_field {
    guard_value(std::ptr::null(), || {
        // SAFETY: info is NULL or an rtlog_type_info this library handed out (the contract),
        // made by this library and so as large as its own struct.
        let Some(info) = (unsafe { info.as_ref() }) else { return std::ptr::null() };
        if index >= info.field_count || info.fields.is_null() {
            return std::ptr::null();
        }
        // SAFETY: fields holds field_count entries of this library's rtlog_field, and index is
        // below field_count.
        unsafe { info.fields.add(index as usize) }
    })
}

/// Writes the fields of *rec, a record the reader just returned, into buf as NUL-terminated
/// text: with json = 0 as rtlog dump shows it, `axis_state{axis=2 position=0.125
/// enabled=true mode="homing"}`; with json = 1 as a JSON object, `{"axis":2,"position":0.125,
/// "enabled":true,"mode":"homing"}`. Values: integers exactly, floats in shortest round-trip
/// form (NaN and infinities are null in JSON), bool as true/false, char[N] as a string cut at
/// the first NUL, arrays as [a,b]. *len (if len is not NULL) receives the text's length
/// without the NUL, also when it does not fit. Call it before the reader's next call: the
/// type comes from the reader's current segment.
///
/// A message (kind RTLOG_FRAME_MESSAGE) renders as its text, its format printed with its
/// arguments as C's printf would (`joint 3 over torque limit 12.500`), or, with json = 1, as
/// `{"callsite":N,"file":"loop.c","line":42,"function":"step","message":"...","args":[3,12.5]}`.
/// When the log has lost the call site's frame, the text is `<call site N>` and the raw
/// arguments, and file, line and function are null. An argument may hold a NUL byte: *len is
/// the text's full length.
///
/// Phase: any. Thread: the reader's thread. Allocates.
/// Returns RTLOG_ERR_TOO_LARGE when the text and its NUL need more than cap bytes (buf then
/// holds "" if cap > 0; call again with *len + 1 bytes); RTLOG_ERR_INVALID_ARGUMENT for a NULL
/// r or rec, a rec->struct_size not set by rtlog_record_init, a NULL buf with cap > 0, json
/// other than 0 or 1, a record that is neither a data record nor a message
/// (rtlog_reader_next_frame), whose
/// type has no schema (rtlog_reader_schema gives NULL) or whose length is not its type's size (rtlog_last_error() says which).
#[no_mangle]
pub unsafe extern "C" fn rtlog_reader_format(
    r: *const rtlog_reader,
    rec: *const rtlog_record,
    json: u32,
    buf: *mut c_char,
    cap: usize,
    len: *mut usize,
) -> rtlog_status {
    guard(|| {
        // SAFETY: r is NULL or a live reader; rec is NULL or has struct_size readable bytes.
        let (h, rec) = unsafe {
            (try_ref(r, "r", true)?, versioned_in(rec, rtlog_record::empty(), "rec", true)?)
        };
        let bad = |msg: String| fail(Error::new(Status::InvalidArgument, msg));
        if json > 1 {
            return Err(bad(format!("json = {json} is not 0 or 1")));
        }
        if buf.is_null() && cap > 0 {
            return Err(bad("buf is NULL but cap is not 0".into()));
        }
        // SAFETY: a record returned by this reader points to len readable bytes until the
        // reader's next call (the caller's contract).
        let payload = unsafe { rec.payload_bytes() };
        let s = if rec.kind == rtlog_frame_kind::RTLOG_FRAME_MESSAGE as u8 {
            message_text(&h.reader, &rec, payload, json == 1)?
        } else {
            record_text(&h.reader, &rec, payload, json == 1)?
        };
        // SAFETY: len is NULL or writable.
        if let Some(len) = unsafe { len.as_mut() } {
            *len = s.len();
        }
        if s.len() >= cap {
            if cap > 0 {
                // SAFETY: buf holds cap > 0 writable bytes.
                unsafe { *buf = 0 };
            }
            return Err(rtlog_status::RTLOG_ERR_TOO_LARGE);
        }
        // SAFETY: buf holds cap > s.len() writable bytes. (A record's text has no NUL inside:
        // names are identifiers, strings are cut at their NUL and escaped; a message's may,
        // from its arguments, and *len tells its full length.)
        unsafe {
            std::ptr::copy_nonoverlapping(s.as_ptr(), buf.cast::<u8>(), s.len());
            *buf.add(s.len()) = 0;
        }
        Ok(rtlog_status::RTLOG_OK)
    })
}

/// The text of a data record (see rtlog_reader_format).
fn record_text(
    reader: &Reader,
    rec: &rtlog_record,
    payload: &[u8],
    json: bool,
) -> Result<String, rtlog_status> {
    let bad = |msg: String| fail(Error::new(Status::InvalidArgument, msg));
    if rec.kind != rtlog_frame_kind::RTLOG_FRAME_DATA as u8 {
        return Err(bad(format!(
            "the record is of kind {}: only data records and messages have a text",
            rec.kind
        )));
    }
    let t = reader.record_type(rec.r#type).ok_or_else(|| {
        bad(format!("record type {} has no schema in the reader's segment", rec.r#type))
    })?;
    let mut s = String::new();
    let ok = if json {
        render::push_json(&mut s, &t.layout, payload)
    } else {
        render::push_text(&mut s, t, payload)
    };
    if !ok {
        return Err(bad(format!(
            "the record is {} bytes, but type {} {:?} is {} bytes",
            payload.len(),
            t.id,
            t.name,
            t.layout.size()
        )));
    }
    Ok(s)
}

/// The text of a message (see rtlog_reader_format): as printf would print it, or as JSON.
fn message_text(
    reader: &Reader,
    rec: &rtlog_record,
    payload: &[u8],
    json: bool,
) -> Result<String, rtlog_status> {
    let record = rec.as_core(payload);
    let message = reader.message(&record).map_err(fail)?;
    Ok(if json {
        let mut s = String::new();
        message.push_json(&mut s);
        s
    } else {
        message.text()
    })
}
