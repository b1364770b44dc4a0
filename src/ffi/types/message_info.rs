//! The C views of a log message read back (rtlog_message_info, rtlog_message_arg: the C side
//! of a [`crate::message::Message`]), and the storage behind their text pointers, which a
//! reader keeps until its next call.

use super::message::rtlog_arg_value;
use super::versioned::{version_size, Versioned};
use crate::format::message::{Arg, ArgValue};
use crate::format::Level;
use crate::message::Message;
use std::cell::RefCell;
use std::os::raw::c_char;

/// A message as rtlog_reader_message describes it: its call site (when the log still has the
/// call site's frame) and how many arguments it has. The texts are NUL-terminated and stay
/// valid until the next call on the reader that gave them. Initialise it with
/// rtlog_message_info_init; struct_size works as in rtlog_record.
///
/// Behind it: a `crate::message::Message` and its `crate::format::message::CallSite`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct rtlog_message_info {
    /// sizeof(rtlog_message_info) of the caller's header, set by rtlog_message_info_init: the
    /// library writes only the first struct_size bytes and leaves struct_size as it is.
    pub struct_size: u32,
    /// The call site's id in the message's epoch (what a lost call site is shown by:
    /// `<call site N>`).
    pub callsite: u32,
    /// The message's rtlog_level (known even when the call site is lost: every frame has it).
    pub level: u32,
    /// __LINE__ of the call site; 0 when the call site is lost.
    pub line: u32,
    /// Arguments the message carries (0..=16): rtlog_reader_message_arg reads them.
    pub arg_count: u32,
    /// 1 when the reader has the call site's frame, 0 when the log lost it (file, function
    /// and format are then "").
    pub known: u32,
    /// __FILE__ of the call site, NUL-terminated.
    pub file: *const c_char,
    /// __func__ of the call site, NUL-terminated.
    pub function: *const c_char,
    /// The printf format, NUL-terminated.
    pub format: *const c_char,
}

/// One argument of a message, as rtlog_reader_message_arg gives it. Initialise it with
/// rtlog_message_arg_init; struct_size works as in rtlog_record.
///
/// Behind it: a `crate::format::message::Arg`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct rtlog_message_arg {
    /// sizeof(rtlog_message_arg) of the caller's header, set by rtlog_message_arg_init.
    pub struct_size: u32,
    /// Its rtlog_arg_type, which says which member of value is set: i for RTLOG_ARG_I8..I64
    /// (sign-extended), u for U8..U64, CHAR, BOOL (zero-extended) and PTR (the address in the
    /// writing process: not a pointer to follow), f for F32 and F64, p for STR.
    pub r#type: u32,
    /// The value.
    pub value: rtlog_arg_value,
    /// RTLOG_ARG_STR: bytes stored (value.p points to them, followed by a NUL that is not
    /// counted; the bytes may hold NULs of their own). 0 for the other types.
    pub length: u64,
    /// RTLOG_ARG_STR: 1 when the producer's string was longer and only its first length bytes
    /// were stored.
    pub truncated: u32,
    /// RTLOG_ARG_STR: 1 when the producer passed a NULL pointer (length is 0; printf shows
    /// "(null)").
    pub is_null: u32,
}

impl Versioned for rtlog_message_info {
    const NAME: &'static str = "rtlog_message_info";
    /// 0.3.0.
    const SIZES: &'static [usize] = &[version_size!(rtlog_message_info, format: *const c_char)];
}

impl Versioned for rtlog_message_arg {
    const NAME: &'static str = "rtlog_message_arg";
    /// 0.3.0.
    const SIZES: &'static [usize] = &[version_size!(rtlog_message_arg, is_null: u32)];
}

/// The texts behind the pointers a reader handed out last: NUL-terminated copies, replaced by
/// the next rtlog_reader_message or rtlog_reader_message_arg call.
#[derive(Default)]
pub struct CMessage(RefCell<Texts>);

#[derive(Default)]
struct Texts {
    file: Vec<u8>,
    function: Vec<u8>,
    format: Vec<u8>,
    string: Vec<u8>,
}

/// `s` followed by a NUL, in `buf` (reusing its memory); the pointer to it.
fn nul_terminated(buf: &mut Vec<u8>, s: &[u8]) -> *const c_char {
    buf.clear();
    buf.extend_from_slice(s);
    buf.push(0);
    buf.as_ptr().cast()
}

impl CMessage {
    /// The C view of `m`, a message of `level`; its texts are copied here.
    pub(crate) fn info(&self, m: &Message<'_>, level: Level) -> rtlog_message_info {
        let mut t = self.0.borrow_mut();
        let t = &mut *t;
        let (file, function, format, line) = match m.site {
            Some(s) => (s.file.as_bytes(), s.function.as_bytes(), s.format.as_bytes(), s.line),
            None => (&b""[..], &b""[..], &b""[..], 0),
        };
        rtlog_message_info {
            struct_size: std::mem::size_of::<rtlog_message_info>() as u32,
            callsite: m.callsite,
            level: level as u32,
            line,
            arg_count: m.args.len() as u32,
            known: u32::from(m.site.is_some()),
            file: nul_terminated(&mut t.file, file),
            function: nul_terminated(&mut t.function, function),
            format: nul_terminated(&mut t.format, format),
        }
    }

    /// The C view of `a`; a string's bytes are copied here.
    pub(crate) fn arg(&self, a: &Arg<'_>) -> rtlog_message_arg {
        let mut out = rtlog_message_arg {
            struct_size: std::mem::size_of::<rtlog_message_arg>() as u32,
            r#type: a.ty as u32,
            value: rtlog_arg_value { u: 0 },
            length: 0,
            truncated: 0,
            is_null: 0,
        };
        match a.value {
            ArgValue::Int(i) => out.value = rtlog_arg_value { i },
            ArgValue::Uint(u) | ArgValue::Ptr(u) => out.value = rtlog_arg_value { u },
            ArgValue::Float(f) => out.value = rtlog_arg_value { f },
            ArgValue::Str { bytes, null, truncated } => {
                let p = nul_terminated(&mut self.0.borrow_mut().string, bytes);
                out.value = rtlog_arg_value { p };
                out.length = bytes.len() as u64;
                out.truncated = u32::from(truncated);
                out.is_null = u32::from(null);
            }
        }
        out
    }
}
