//! The C types of typed records: rtlog_field_type, rtlog_field and rtlog_type_info (the C view
//! of a [`crate::schema::RecordType`]), and the storage that keeps the views a reader handed
//! out alive until it closes.

use super::versioned::{version_size, Versioned};
use crate::schema::{RecordType, Scalar};
use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::CString;
use std::os::raw::c_char;
use std::sync::Arc;

/// The element type of a field of a record type (rtlog_field.type).
///
/// Behind it: `crate::schema::Scalar`.
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
///
/// The library makes these (struct_size is its own sizeof(rtlog_field)); fields may be appended
/// in later versions, so get the fields of a type with rtlog_type_info_field, not by indexing
/// rtlog_type_info.fields with your header's sizeof.
///
/// Behind it: a `crate::schema::Field` of the type's layout.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct rtlog_field {
    /// sizeof(rtlog_field) of the library that made it (at least that of your header).
    pub struct_size: u32,
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
///
/// The library makes it (struct_size is its own sizeof(rtlog_type_info)); fields may be
/// appended in later versions, never reordered.
///
/// Behind it: a `crate::schema::RecordType`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct rtlog_type_info {
    /// sizeof(rtlog_type_info) of the library that made it (at least that of your header).
    pub struct_size: u32,
    /// The type's name, NUL-terminated.
    pub name: *const c_char,
    /// Its layout string in canonical form ("u32 axis; f64[3] pos; char[16] mode").
    pub layout: *const c_char,
    /// Its fields, in order: field_count entries of fields[0].struct_size bytes each (the
    /// library's sizeof(rtlog_field), which may be larger than your header's): read them with
    /// rtlog_type_info_field(info, i), which is the same as fields + i only while the sizes agree.
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

impl Versioned for rtlog_field {
    const NAME: &'static str = "rtlog_field";
    /// 0.2.0 (the first with struct_size).
    const SIZES: &'static [usize] = &[version_size!(rtlog_field, array_len: u32)];
}

impl Versioned for rtlog_type_info {
    const NAME: &'static str = "rtlog_type_info";
    /// 0.2.0.
    const SIZES: &'static [usize] = &[version_size!(rtlog_type_info, r#type: u16)];
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
                struct_size: std::mem::size_of::<rtlog_field>() as u32,
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
                struct_size: std::mem::size_of::<rtlog_type_info>() as u32,
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
pub struct CTypes(RefCell<HashMap<*const RecordType, Box<CType>>>);

impl CTypes {
    /// The C view of `t`, made the first time it is asked for.
    pub(crate) fn get(&self, t: &Arc<RecordType>) -> *const rtlog_type_info {
        let mut map = self.0.borrow_mut();
        let c = map.entry(Arc::as_ptr(t)).or_insert_with(|| CType::new(t));
        &c.info
    }
}
