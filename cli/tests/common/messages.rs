//! Log messages written through the Rust API, as the C macros write them: the library tests'
//! call sites (`tests/common/messages.rs`), placed in `loop.c`, function `step`, which the
//! CLI tests' expected lines name.

use super::library::messages::{arg_f, arg_i, arg_p, arg_u, callsite_at};
use rtlog::format::message::ArgType;
use rtlog::format::Level;
use rtlog::rt::message::{CallSiteDesc, RawArg, NUL_TERMINATED};
use std::ffi::CStr;

/// A call site of `loop.c`, function `step` (leaked: the logger keeps its address and reads
/// its texts while it runs).
pub fn site(
    level: Level,
    line: u32,
    format: &'static CStr,
    types: &[ArgType],
) -> &'static CallSiteDesc {
    callsite_at(level, line, format, types, c"loop.c", c"step")
}

pub fn u(v: u64) -> RawArg {
    arg_u(v)
}

pub fn i(v: i64) -> RawArg {
    arg_i(v)
}

pub fn f(v: f64) -> RawArg {
    arg_f(v)
}

pub fn text(v: &'static CStr) -> RawArg {
    arg_p(v.as_ptr().cast(), NUL_TERMINATED)
}
