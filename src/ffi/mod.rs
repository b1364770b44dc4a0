//! The C ABI: translation only (pointers, statuses, panics); no business logic.
//!
//! One module per C object, as rustls-ffi does: [`logger`] (`rtlog_logger`), [`producer`]
//! (`rtlog_producer`), [`reader`] (`rtlog_reader`), [`schema`] (typed records on both), [`dlt`]
//! (the DLT sink's counters) and [`dummy`] (the dummy backend, declared in `rtlog_testing.h`).
//! They import only three shared modules, never each other:
//!
//! - `handle`: the one handle mechanism, a `Castable` trait that says which Rust object stands
//!   behind each opaque C type, and the casts that turn NULL into `RTLOG_ERR_INVALID_ARGUMENT`;
//! - [`types`]: every C type, and its translation to and from the core's types;
//! - [`boundary`]: the panic boundary ([`boundary::guard`] turns a panic into
//!   `RTLOG_ERR_INTERNAL`) and the thread's last-error text.
//!
//! Every exported function is: guard, translate the arguments, one core call, translate the
//! result.
#![allow(non_camel_case_types)]
// These functions are for C callers; each doc states what every pointer must be (valid or NULL),
// which is their safety contract, and the docs are copied into the header as they are.
#![allow(clippy::missing_safety_doc)]

pub mod boundary;
pub mod dlt;
/// cbindgen:ignore
// Declared in include/rtlog_testing.h, not rtlog.h: build.rs's second cbindgen run.
pub mod dummy;
mod handle;
pub mod logger;
pub mod producer;
pub mod reader;
pub mod schema;
pub mod types;

pub use types::*;

use std::os::raw::c_char;

/// Static text for a status (also for values outside the enum).
///
/// Any phase, any thread; RT-safe (returns a pointer to a constant string).
#[no_mangle]
pub extern "C" fn rtlog_status_str(s: RawStatus) -> *const c_char {
    boundary::guard_ptr(|| status_text(s.0).as_ptr().cast())
}

fn status_text(raw: u32) -> &'static str {
    match rtlog_status::from_raw(raw) {
        Some(s) => match s {
            rtlog_status::RTLOG_OK => "ok\0",
            rtlog_status::RTLOG_END => "end of log\0",
            rtlog_status::RTLOG_ERR_INVALID_ARGUMENT => "invalid argument\0",
            rtlog_status::RTLOG_ERR_INVALID_STATE => "invalid state for this call\0",
            rtlog_status::RTLOG_ERR_FULL => "full, record refused\0",
            rtlog_status::RTLOG_ERR_TOO_LARGE => "record larger than max_record_size\0",
            rtlog_status::RTLOG_ERR_CONFIG => "invalid configuration\0",
            rtlog_status::RTLOG_ERR_IO => "I/O error\0",
            rtlog_status::RTLOG_ERR_CORRUPT => "corrupt or unsupported log data\0",
            rtlog_status::RTLOG_ERR_TIMEOUT => "timed out\0",
            rtlog_status::RTLOG_ERR_INTERNAL => "internal error\0",
        },
        None => "unknown status\0",
    }
}

/// Description of the calling thread's last non-RT failure ("" when there was none).
///
/// Any phase, any thread. The text stays valid until the thread's next rtlog call that fails.
/// RT functions never set it (setting it allocates).
#[no_mangle]
pub extern "C" fn rtlog_last_error() -> *const c_char {
    boundary::guard_ptr(boundary::last_error_ptr)
}

/// The library's version, "MAJOR.MINOR.PATCH" (compare with the RTLOG_VERSION_* macros of the
/// header you compiled against).
///
/// Any phase, any thread; static string.
#[no_mangle]
pub extern "C" fn rtlog_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

#[cfg(test)]
mod tests {
    use super::*;

    const RTLOG_H: &str = include_str!("../../include/rtlog.h");
    const RTLOG_TESTING_H: &str = include_str!("../../include/rtlog_testing.h");

    #[test]
    fn checked_in_header_is_fresh() {
        let headers = [
            ("rtlog.h", include_str!(concat!(env!("OUT_DIR"), "/rtlog.h")), RTLOG_H),
            (
                "rtlog_testing.h",
                include_str!(concat!(env!("OUT_DIR"), "/rtlog_testing.h")),
                RTLOG_TESTING_H,
            ),
        ];
        for (name, generated, checked_in) in headers {
            assert!(
                generated == checked_in,
                "include/{name} differs from what cbindgen generates; run `RTLOG_BLESS_HEADER=1 cargo build`"
            );
        }
    }

    /// rtlog.h is the production API; the dummy backend's functions are all in
    /// rtlog_testing.h, which includes rtlog.h for the types and declares nothing else.
    #[test]
    fn the_testing_functions_are_only_in_rtlog_testing_h() {
        let (production, testing) = (RTLOG_H, RTLOG_TESTING_H);
        let dummy = include_str!("dummy.rs");
        assert!(!production.contains("rtlog_dummy_"), "rtlog.h declares an rtlog_dummy_ function");
        assert!(production.contains("RTLOG_BACKEND_DUMMY = 2"));
        assert!(testing.contains("#include \"rtlog.h\"") && !testing.contains("typedef"));
        let exported = dummy.split("extern \"C\" fn ").skip(1);
        let names: Vec<&str> = exported.map(|rest| &rest[..rest.find('(').unwrap()]).collect();
        assert_eq!(names.len(), 7);
        for name in names {
            assert!(testing.contains(&format!(" {name}(")), "rtlog_testing.h lacks {name}");
        }
    }

    #[test]
    fn header_version_macros_match_the_crate() {
        let header = RTLOG_H;
        for (name, value) in [
            ("RTLOG_VERSION_MAJOR", env!("CARGO_PKG_VERSION_MAJOR")),
            ("RTLOG_VERSION_MINOR", env!("CARGO_PKG_VERSION_MINOR")),
            ("RTLOG_VERSION_PATCH", env!("CARGO_PKG_VERSION_PATCH")),
        ] {
            assert!(header.contains(&format!("#define {name} {value}\n")), "{name} != {value}");
        }
        // SAFETY: rtlog_version returns a static NUL-terminated string.
        let v = unsafe { std::ffi::CStr::from_ptr(rtlog_version()) };
        assert_eq!(v.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
    }

    #[test]
    fn every_status_has_text() {
        for raw in 0..=11u32 {
            assert!(status_text(raw).ends_with('\0') && status_text(raw).len() > 1);
        }
        assert_eq!(status_text(11), "unknown status\0");
        assert_eq!(status_text(u32::MAX), "unknown status\0");
    }
}
