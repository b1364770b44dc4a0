//! Typed records from C: registering record types on an `rtlog_logger` (backed by
//! [`crate::schema::Registry`]), and looking them up and decoding records on an
//! `rtlog_reader` (backed by [`crate::schema::Schema`]). The C types of this part live here
//! with the functions.

use super::boundary::{arg, arg_mut, fail, guard};
use super::logger::logger;
use super::logger::rtlog_logger;
use super::reader::{handle, rtlog_reader};
use super::types::*;
use crate::error::{Error, Status};
use crate::schema::{render, Layout, RecordType, Scalar};
use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::{CStr, CString};
use std::os::raw::c_char;
use std::sync::Arc;

/// The element type of a field of a record type (rtlog_field.type).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum rtlog_field_type {
    /// int8_t (layout type i8).
    RTLOG_FIELD_I8 = 1,
    /// int16_t (i16).
    RTLOG_FIELD_I16 = 2,
    /// int32_t (i32).
    RTLOG_FIELD_I32 = 3,
    /// int64_t (i64).
    RTLOG_FIELD_I64 = 4,
    /// uint8_t (u8).
    RTLOG_FIELD_U8 = 5,
    /// uint16_t (u16).
    RTLOG_FIELD_U16 = 6,
    /// uint32_t (u32).
    RTLOG_FIELD_U32 = 7,
    /// uint64_t (u64).
    RTLOG_FIELD_U64 = 8,
    /// float (f32).
    RTLOG_FIELD_F32 = 9,
    /// double (f64).
    RTLOG_FIELD_F64 = 10,
    /// bool, one byte (bool).
    RTLOG_FIELD_BOOL = 11,
    /// char, in a fixed-size string char[N] (array_len = N; shorter strings end at a NUL).
    RTLOG_FIELD_CHAR = 12,
}

impl From<Scalar> for rtlog_field_type {
    fn from(s: Scalar) -> rtlog_field_type {
        use rtlog_field_type::*;
        match s {
            Scalar::I8 => RTLOG_FIELD_I8,
            Scalar::I16 => RTLOG_FIELD_I16,
            Scalar::I32 => RTLOG_FIELD_I32,
            Scalar::I64 => RTLOG_FIELD_I64,
            Scalar::U8 => RTLOG_FIELD_U8,
            Scalar::U16 => RTLOG_FIELD_U16,
            Scalar::U32 => RTLOG_FIELD_U32,
            Scalar::U64 => RTLOG_FIELD_U64,
            Scalar::F32 => RTLOG_FIELD_F32,
            Scalar::F64 => RTLOG_FIELD_F64,
            Scalar::Bool => RTLOG_FIELD_BOOL,
            Scalar::Char => RTLOG_FIELD_CHAR,
        }
    }
}

/// One field of a record type, as placed in the record (the C struct member it stands for).
/// Read a value with memcpy from (const char *)record.payload + offset (little-endian).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct rtlog_field {
    /// The field's name, NUL-terminated.
    pub name: *const c_char,
    /// The element type.
    pub r#type: rtlog_field_type,
    /// Bytes from the start of the payload (offsetof in the C struct).
    pub offset: u32,
    /// Bytes of the whole field: element size times array_len (or the element size).
    pub size: u32,
    /// Array length; 0 for a scalar field. char fields are always arrays.
    pub array_len: u32,
}

/// A record type as a reader found it in the log (rtlog_reader_schema). Every pointer stays
/// valid until rtlog_reader_close.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct rtlog_type_info {
    /// The type's name, NUL-terminated.
    pub name: *const c_char,
    /// Its layout string in canonical form ("u32 axis; f64[3] pos; char[16] mode").
    pub layout: *const c_char,
    /// Its fields, in order: field_count entries.
    pub fields: *const rtlog_field,
    /// Number of fields.
    pub field_count: u32,
    /// Bytes of a record of this type (sizeof of the C struct).
    pub size: u32,
    /// Alignment of the record (alignof of the C struct).
    pub align: u32,
    /// The record type number (rtlog_record.type).
    pub r#type: u16,
}

/// The C view of one record type, with the storage its pointers point into.
struct CType {
    info: rtlog_type_info,
    _name: CString,
    _layout: CString,
    _field_names: Vec<CString>,
    _fields: Box<[rtlog_field]>,
    /// Keeps the type (and so the key of [`CTypes`]) alive.
    _type: Arc<RecordType>,
}

impl CType {
    fn new(t: &Arc<RecordType>) -> Box<CType> {
        // Names and layouts are validated ASCII identifiers and types: no NUL inside.
        let c = |s: &str| CString::new(s).unwrap_or_default();
        let field_names: Vec<CString> = t.layout.fields().iter().map(|f| c(&f.name)).collect();
        let fields: Box<[rtlog_field]> = t
            .layout
            .fields()
            .iter()
            .zip(&field_names)
            .map(|(f, name)| rtlog_field {
                name: name.as_ptr(),
                r#type: f.scalar.into(),
                offset: f.offset,
                size: f.size(),
                array_len: f.array_len,
            })
            .collect();
        let (name, layout) = (c(&t.name), c(t.layout.text()));
        Box::new(CType {
            info: rtlog_type_info {
                name: name.as_ptr(),
                layout: layout.as_ptr(),
                fields: fields.as_ptr(),
                field_count: fields.len() as u32,
                size: t.layout.size(),
                align: t.layout.align(),
                r#type: t.id,
            },
            _name: name,
            _layout: layout,
            _field_names: field_names,
            _fields: fields,
            _type: t.clone(),
        })
    }
}

/// The C views a reader handed out, one per distinct type (the reader shares identical types
/// between segments, so this grows only with the log's distinct types). Entries are never
/// removed, and each is boxed, so the pointers given out stay valid until the reader closes.
#[derive(Default)]
pub(crate) struct CTypes(RefCell<HashMap<*const RecordType, Box<CType>>>);

impl CTypes {
    fn get(&self, t: &Arc<RecordType>) -> *const rtlog_type_info {
        let mut map = self.0.borrow_mut();
        let c = map.entry(Arc::as_ptr(t)).or_insert_with(|| CType::new(t));
        &c.info
    }
}

/// A C string argument as UTF-8, or `status` with a last-error text naming `what`.
///
/// # Safety
/// `s` must be NULL or a NUL-terminated string.
unsafe fn text<'a>(s: *const c_char, what: &str, status: Status) -> Result<&'a str, rtlog_status> {
    // SAFETY: s is NULL or NUL-terminated (the caller's contract).
    let s = unsafe { arg(s, what, true)? };
    // SAFETY: non-NULL and NUL-terminated.
    unsafe { CStr::from_ptr(s) }
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
        let lg = unsafe { logger(lg, true)? };
        // SAFETY: name and layout are NULL or NUL-terminated.
        let (name, layout) = unsafe {
            (text(name, "name", Status::Config)?, text(layout, "layout", Status::Config)?)
        };
        lg.register_type(r#type, name, layout).map_err(fail)?;
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
        let (lg, size) = unsafe { (logger(lg, true)?, arg_mut(size, "size", true)?) };
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
        let (out, h) = unsafe { (arg_mut(out, "out", true)?, handle(r)?) };
        *out = match h.reader.record_type(r#type) {
            Some(t) => h.c_types.get(t),
            None => std::ptr::null(),
        };
        Ok(rtlog_status::RTLOG_OK)
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
/// Phase: any. Thread: the reader's thread. Allocates.
/// Returns RTLOG_ERR_TOO_LARGE when the text and its NUL need more than cap bytes (buf then
/// holds "" if cap > 0; call again with *len + 1 bytes); RTLOG_ERR_INVALID_ARGUMENT for a NULL
/// r or rec, a NULL buf with cap > 0, json other than 0 or 1, a record that is not a data
/// record (rtlog_reader_next_frame), whose type has no schema (rtlog_reader_schema gives NULL)
/// or whose length is not its type's size (rtlog_last_error() says which).
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
        // SAFETY: r is NULL or a live reader; rec is NULL or readable.
        let (h, rec) = unsafe { (handle(r)?, arg(rec, "rec", true)?) };
        let bad = |msg: String| fail(Error::new(Status::InvalidArgument, msg));
        if json > 1 {
            return Err(bad(format!("json = {json} is not 0 or 1")));
        }
        if buf.is_null() && cap > 0 {
            return Err(bad("buf is NULL but cap is not 0".into()));
        }
        if rec.kind != rtlog_frame_kind::RTLOG_FRAME_DATA as u8 {
            return Err(bad(format!(
                "the record is of kind {}: only data records have types",
                rec.kind
            )));
        }
        let payload = if rec.payload.is_null() || rec.len == 0 {
            &[][..]
        } else {
            // SAFETY: a record returned by this reader points to len readable bytes until the
            // reader's next call (the caller's contract).
            unsafe { std::slice::from_raw_parts(rec.payload, rec.len as usize) }
        };
        let t = h.reader.record_type(rec.r#type).ok_or_else(|| {
            bad(format!("record type {} has no schema in the reader's segment", rec.r#type))
        })?;
        let mut s = String::new();
        let ok = if json == 1 {
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
        // SAFETY: buf holds cap > s.len() writable bytes; the text has no NUL inside (names
        // are identifiers, strings are cut at their NUL and escaped).
        unsafe {
            std::ptr::copy_nonoverlapping(s.as_ptr(), buf.cast::<u8>(), s.len());
            *buf.add(s.len()) = 0;
        }
        Ok(rtlog_status::RTLOG_OK)
    })
}
