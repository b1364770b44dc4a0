//! The panic boundary and the thread-local last-error text.
//!
//! Every exported function runs its body in [`guard`] (or [`guard_ptr`] / [`guard_void`]), so
//! a panic never unwinds into C: it becomes `RTLOG_ERR_INTERNAL`. The helpers [`arg`],
//! [`arg_mut`] and [`c_str`] turn a NULL pointer into `RTLOG_ERR_INVALID_ARGUMENT` before any
//! dereference (for the C objects, `ffi/handle.rs` does it with their types).

use super::types::rtlog_status;
use crate::error::Error;
use std::cell::RefCell;
use std::ffi::{CStr, CString};
use std::os::raw::c_char;
use std::panic::{catch_unwind, AssertUnwindSafe};

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

/// Runs an exported function's body; a panic becomes `RTLOG_ERR_INTERNAL`.
#[inline(always)]
pub fn guard(body: impl FnOnce() -> Result<rtlog_status, rtlog_status>) -> rtlog_status {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(s)) | Ok(Err(s)) => s,
        Err(_) => {
            set_last_error("internal error: rtlog panicked (a bug; please report it)");
            rtlog_status::RTLOG_ERR_INTERNAL
        }
    }
}

/// `guard` for functions that return a pointer; a panic gives an empty string.
pub fn guard_ptr(body: impl FnOnce() -> *const c_char) -> *const c_char {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(c"".as_ptr())
}

/// `guard` for functions that return a value; a panic gives `fallback`.
#[inline(always)]
pub fn guard_value<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

/// `guard` for functions that return nothing.
pub fn guard_void(body: impl FnOnce()) {
    let _ = catch_unwind(AssertUnwindSafe(body));
}

/// Records `e` as the thread's last error and gives its status (non-RT callers only).
pub fn fail(e: Error) -> rtlog_status {
    set_last_error(&e.message);
    e.status.into()
}

/// `Ok` → `RTLOG_OK`; `Err` → its status, with the message kept as the last error.
pub fn status_of(r: crate::error::Result<()>) -> rtlog_status {
    match r {
        Ok(()) => rtlog_status::RTLOG_OK,
        Err(e) => fail(e),
    }
}

/// Sets the thread's last-error text (allocates: never call it on the RT path).
pub fn set_last_error(msg: &str) {
    let c = CString::new(msg.replace('\0', " ")).unwrap_or_default();
    LAST_ERROR.with(|e| *e.borrow_mut() = c);
}

/// Pointer to the thread's last-error text.
pub fn last_error_ptr() -> *const c_char {
    LAST_ERROR.with(|e| e.borrow().as_ptr())
}

/// A shared reference from a C pointer, or `INVALID_ARGUMENT` (with a last-error text naming
/// the argument when `record` is true; RT callers pass false).
///
/// # Safety
/// A non-NULL `ptr` must point to a live `T` for the returned lifetime.
pub unsafe fn arg<'a, T>(ptr: *const T, name: &str, record: bool) -> Result<&'a T, rtlog_status> {
    // SAFETY: non-NULL pointers are valid per this function's contract.
    match unsafe { ptr.as_ref() } {
        Some(r) => Ok(r),
        None => Err(null_arg(name, record)),
    }
}

/// A mutable reference from a C pointer, or `INVALID_ARGUMENT`.
///
/// # Safety
/// A non-NULL `ptr` must point to a live `T`, not aliased for the returned lifetime.
pub unsafe fn arg_mut<'a, T>(
    ptr: *mut T,
    name: &str,
    record: bool,
) -> Result<&'a mut T, rtlog_status> {
    // SAFETY: non-NULL pointers are valid and unaliased per this function's contract.
    match unsafe { ptr.as_mut() } {
        Some(r) => Ok(r),
        None => Err(null_arg(name, record)),
    }
}

/// A C string argument, or `INVALID_ARGUMENT` for NULL (recorded as by [`arg`]).
///
/// # Safety
/// A non-NULL `s` must be NUL-terminated and stay unchanged for the returned lifetime.
pub unsafe fn c_str<'a>(
    s: *const c_char,
    name: &str,
    record: bool,
) -> Result<&'a CStr, rtlog_status> {
    // SAFETY: s is NULL or NUL-terminated (this function's contract).
    let s = unsafe { arg(s, name, record)? };
    // SAFETY: non-NULL and NUL-terminated.
    Ok(unsafe { CStr::from_ptr(s) })
}

#[cold]
fn null_arg(name: &str, record: bool) -> rtlog_status {
    if record {
        set_last_error(&format!("{name} must not be NULL"));
    }
    rtlog_status::RTLOG_ERR_INVALID_ARGUMENT
}
