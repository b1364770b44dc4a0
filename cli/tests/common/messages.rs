//! Log messages written through the Rust API, as the C macros write them: a static call site
//! and the arguments.

use rtlog::format::message::ArgType;
use rtlog::format::Level;
use rtlog::rt::message::{ArgBits, CallSiteDesc, RawArg, NUL_TERMINATED};
use std::ffi::CStr;

/// A call site of `loop.c`, function `step`, as the C macros build one (leaked: the logger
/// keeps its address and reads its texts while it runs).
pub fn site(
    level: Level,
    line: u32,
    format: &'static CStr,
    types: &[ArgType],
) -> &'static CallSiteDesc {
    let mut arg_types = [0u8; 16];
    for (d, t) in arg_types.iter_mut().zip(types) {
        *d = *t as u8;
    }
    Box::leak(Box::new(CallSiteDesc {
        struct_size: std::mem::size_of::<CallSiteDesc>() as u32,
        line,
        level: level as u8,
        arg_count: types.len() as u8,
        arg_types,
        format: format.as_ptr().cast(),
        file: c"loop.c".as_ptr().cast(),
        function: c"step".as_ptr().cast(),
    }))
}

pub fn u(v: u64) -> RawArg {
    RawArg { value: ArgBits { u: v }, length: 0 }
}

pub fn i(v: i64) -> RawArg {
    RawArg { value: ArgBits { i: v }, length: 0 }
}

pub fn f(v: f64) -> RawArg {
    RawArg { value: ArgBits { f: v }, length: 0 }
}

pub fn text(v: &'static CStr) -> RawArg {
    RawArg { value: ArgBits { p: v.as_ptr().cast() }, length: NUL_TERMINATED }
}
