//! The C types of log messages: `rtlog_level`, `rtlog_arg_type`, `rtlog_callsite` and
//! `rtlog_arg`, laid out exactly as the core's `rt::message` structs they stand for (checked
//! below at compile time), so a pointer to one is a pointer to the other.

use crate::format::message::ArgType;
use crate::format::Level;
use crate::rt::message::{ArgBits, CallSiteDesc, RawArg};
use std::mem::{align_of, offset_of, size_of};
use std::os::raw::c_char;

/// How much a record or message matters. Every frame of a log carries one: a message its call
/// site's, a record its type's (RTLOG_LEVEL_INFO unless rtlog_type_set_level says otherwise).
///
/// Behind it: `crate::format::Level`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum rtlog_level {
    /// Step-by-step detail.
    RTLOG_LEVEL_TRACE = 0,
    /// Diagnostics for developers.
    RTLOG_LEVEL_DEBUG = 1,
    /// Normal operation (the default threshold: lower levels are filtered until
    /// rtlog_set_level lowers it).
    RTLOG_LEVEL_INFO = 2,
    /// Something went wrong without losing correctness.
    RTLOG_LEVEL_WARN = 3,
    /// Correct operation is at risk. ERROR and FATAL messages go on the critical stream.
    RTLOG_LEVEL_ERROR = 4,
    /// The program cannot go on.
    RTLOG_LEVEL_FATAL = 5,
}

/// `rtlog_level` as it arrives from C.
#[repr(transparent)]
#[derive(Clone, Copy, Debug)]
pub struct RawLevel(pub u32);

impl RawLevel {
    /// The level, if the value names one.
    pub fn level(self) -> Option<Level> {
        u8::try_from(self.0).ok().and_then(Level::from_u8)
    }
}

/// The type of a message argument, as the macros record it in the call site.
///
/// Behind it: `crate::format::message::ArgType`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum rtlog_arg_type {
    /// int8_t, signed char.
    RTLOG_ARG_I8 = 1,
    /// uint8_t, unsigned char.
    RTLOG_ARG_U8 = 2,
    /// int16_t, short.
    RTLOG_ARG_I16 = 3,
    /// uint16_t, unsigned short.
    RTLOG_ARG_U16 = 4,
    /// int32_t, int.
    RTLOG_ARG_I32 = 5,
    /// uint32_t, unsigned int.
    RTLOG_ARG_U32 = 6,
    /// int64_t, long, long long.
    RTLOG_ARG_I64 = 7,
    /// uint64_t, unsigned long, unsigned long long.
    RTLOG_ARG_U64 = 8,
    /// float (value.f holds it as a double; 4 bytes are stored).
    RTLOG_ARG_F32 = 9,
    /// double.
    RTLOG_ARG_F64 = 10,
    /// char.
    RTLOG_ARG_CHAR = 11,
    /// bool.
    RTLOG_ARG_BOOL = 12,
    /// Any other pointer, for %p.
    RTLOG_ARG_PTR = 13,
    /// A string: const char * (length = RTLOG_ARG_NUL_TERMINATED) or a pointer and a length.
    RTLOG_ARG_STR = 14,
}

/// A call site's static data, built at compile time by the RTLOG_LOGF macros (one `static`
/// per call site). Its pointers must stay valid while any logger runs: string literals,
/// __FILE__ and __func__ are. Write one by hand only to bind another language.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct rtlog_callsite {
    /// sizeof(rtlog_callsite) of the header that built it.
    pub struct_size: u32,
    /// __LINE__.
    pub line: u32,
    /// rtlog_level of its messages.
    pub level: u8,
    /// Arguments of each message (0..=16).
    pub arg_count: u8,
    /// Their rtlog_arg_type values, in order.
    pub arg_types: [u8; 16],
    /// The printf format (NUL-terminated).
    pub format: *const c_char,
    /// __FILE__.
    pub file: *const c_char,
    /// __func__.
    pub function: *const c_char,
}

/// One argument's value; the call site's type for it says which member is set.
#[repr(C)]
#[derive(Clone, Copy)]
pub union rtlog_arg_value {
    /// Signed integers, sign-extended to 64 bits.
    pub i: i64,
    /// Unsigned integers, char and bool, zero-extended to 64 bits.
    pub u: u64,
    /// float and double.
    pub f: f64,
    /// Pointers, and strings.
    pub p: *const c_char,
}

/// One message argument, as the macros pass it to rtlog_publish_message.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct rtlog_arg {
    /// The value.
    pub value: rtlog_arg_value,
    /// RTLOG_ARG_STR: the string's length in bytes, or RTLOG_ARG_NUL_TERMINATED (UINT64_MAX)
    /// for a C string; ignored for other types.
    pub length: u64,
}

macro_rules! same_layout {
    ($c:ty, $core:ty, $($field:ident),*) => {
        const _: () = assert!(size_of::<$c>() == size_of::<$core>());
        const _: () = assert!(align_of::<$c>() == align_of::<$core>());
        $(const _: () = assert!(offset_of!($c, $field) == offset_of!($core, $field));)*
    };
}
same_layout!(
    rtlog_callsite,
    CallSiteDesc,
    struct_size,
    line,
    level,
    arg_count,
    arg_types,
    format,
    file,
    function
);
same_layout!(rtlog_arg, RawArg, value, length);
const _: () = assert!(size_of::<rtlog_arg_value>() == size_of::<ArgBits>());

impl rtlog_callsite {
    /// The core's view of the same bytes.
    pub fn as_core(&self) -> &CallSiteDesc {
        // SAFETY: the two structs have the same size, alignment and field offsets (asserted
        // above), and every field has the same type up to the pointee of `*const`.
        unsafe { &*(self as *const rtlog_callsite).cast::<CallSiteDesc>() }
    }
}

/// The core's view of an argument array.
///
/// # Safety
/// `args` points to `n` arguments (or `n` is 0).
pub unsafe fn core_args<'a>(args: *const rtlog_arg, n: usize) -> &'a [RawArg] {
    if n == 0 {
        return &[];
    }
    // SAFETY: same layout (asserted above); the caller's contract on `args` and `n`.
    unsafe { std::slice::from_raw_parts(args.cast::<RawArg>(), n) }
}

impl From<ArgType> for rtlog_arg_type {
    fn from(t: ArgType) -> rtlog_arg_type {
        use rtlog_arg_type::*;
        match t {
            ArgType::I8 => RTLOG_ARG_I8,
            ArgType::U8 => RTLOG_ARG_U8,
            ArgType::I16 => RTLOG_ARG_I16,
            ArgType::U16 => RTLOG_ARG_U16,
            ArgType::I32 => RTLOG_ARG_I32,
            ArgType::U32 => RTLOG_ARG_U32,
            ArgType::I64 => RTLOG_ARG_I64,
            ArgType::U64 => RTLOG_ARG_U64,
            ArgType::F32 => RTLOG_ARG_F32,
            ArgType::F64 => RTLOG_ARG_F64,
            ArgType::Char => RTLOG_ARG_CHAR,
            ArgType::Bool => RTLOG_ARG_BOOL,
            ArgType::Ptr => RTLOG_ARG_PTR,
            ArgType::Str => RTLOG_ARG_STR,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arg_type_values_are_the_format_s() {
        for v in 0..=255u8 {
            if let Some(t) = ArgType::from_u8(v) {
                assert_eq!(rtlog_arg_type::from(t) as u8, v);
            }
        }
    }

    #[test]
    fn level_values_are_the_format_s() {
        use rtlog_level::*;
        let c = [
            RTLOG_LEVEL_TRACE,
            RTLOG_LEVEL_DEBUG,
            RTLOG_LEVEL_INFO,
            RTLOG_LEVEL_WARN,
            RTLOG_LEVEL_ERROR,
            RTLOG_LEVEL_FATAL,
        ];
        for (c, l) in c.into_iter().zip(Level::ALL) {
            assert_eq!(RawLevel(c as u32).level(), Some(l));
        }
        assert_eq!(RawLevel(6).level(), None);
        assert_eq!(RawLevel(u32::MAX).level(), None);
    }
}
