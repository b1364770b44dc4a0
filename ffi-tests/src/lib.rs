//! ABI agreement tests: three views of every public struct must match — bindgen's reading of
//! `include/rtlog.h` (and `include/rtlog_testing.h`), the C compiler's (`probe/layout_probe.c`), and the Rust types rtlog
//! exports. bindgen's own layout tests only compare bindgen with the C compiler; the Rust side
//! is what the library actually reads and writes.

/// bindgen's view of the headers.
#[allow(non_camel_case_types, non_upper_case_globals, non_snake_case, dead_code, missing_docs)]
pub mod c {
    include!(concat!(env!("OUT_DIR"), "/bindings.rs"));
}

extern "C" {
    /// The C compiler's `sizeof`, `_Alignof` or `offsetof` for a named struct or field
    /// ("rtlog_config", "rtlog_config.dir", ...), and which of the three with `what`
    /// (0 size, 1 align, 2 offset); -1 for an unknown name.
    pub fn rtlog_probe_layout(name: *const std::os::raw::c_char, what: i32) -> i64;
}

/// The C compiler's layout figure for `name`.
pub fn probe(name: &str, what: i32) -> i64 {
    let c = std::ffi::CString::new(name).unwrap();
    // SAFETY: the probe only reads the NUL-terminated string.
    unsafe { rtlog_probe_layout(c.as_ptr(), what) }
}

#[cfg(test)]
mod tests;
