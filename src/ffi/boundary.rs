//! The panic boundary and the thread-local last-error text.
//!
//! Every exported function runs its body in [`guard`] (or [`guard_ptr`] / [`guard_void`]), so
//! a panic never unwinds into C: it becomes `RTLOG_ERR_INTERNAL`. The helpers [`arg`],
//! [`arg_mut`] and [`c_str`] turn a NULL pointer into `RTLOG_ERR_INVALID_ARGUMENT` before any
//! dereference (for the C objects, `ffi/handle.rs` does it with their types).
//!
//! The structs that carry a `struct_size` ([`Versioned`]) cross the boundary only through
//! [`versioned_out`] (writing: only the caller's first struct_size bytes), [`versioned_in`]
//! (reading them) and [`versioned_init`] (their `_init` functions).

use super::types::versioned::accepted_len;
use super::types::{rtlog_status, Versioned};
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

/// A caller's struct that the library is about to fill, checked: [`VersionedOut::write`] copies
/// into it only the bytes its struct_size covers. Check before the core call, so that a refused
/// struct costs nothing (a record is not consumed into a struct that cannot take it).
pub struct VersionedOut<T> {
    ptr: *mut T,
    /// Bytes to write: min(struct_size, size_of::<T>()), at least the first version's size.
    len: usize,
}

/// Checks a caller's output struct: NULL, or a struct_size smaller than the first version's or
/// between two versions, is `INVALID_ARGUMENT` (with a last-error text when `record` is true;
/// RT-adjacent callers pass false, since recording allocates). Reads only the struct_size.
///
/// # Safety
/// A non-NULL `out` points to at least its struct_size writable bytes (the first 4 of which,
/// struct_size, readable), not accessed by another thread until the returned value is written
/// or dropped.
pub unsafe fn versioned_out<T: Versioned>(
    out: *mut T,
    name: &str,
    record: bool,
) -> Result<VersionedOut<T>, rtlog_status> {
    if out.is_null() {
        return Err(null_arg(name, record));
    }
    // SAFETY: struct_size is the first field of every version of T (a unit test of
    // types/versioned.rs checks it); `out` is non-NULL and readable there (the contract).
    let size = unsafe { out.cast::<u32>().read_unaligned() };
    match accepted_len::<T>(size) {
        Some(len) => Ok(VersionedOut { ptr: out, len }),
        None => Err(bad_size::<T>(name, size, record)),
    }
}

impl<T: Versioned> VersionedOut<T> {
    /// Writes `value`'s bytes after struct_size, up to the caller's struct_size: the caller's
    /// struct_size stays as it is, and nothing past it is touched. No reference to the
    /// caller's struct is formed (it may be smaller than T): the bytes are copied through raw
    /// pointers.
    pub fn write(self, value: &T) {
        const HEAD: usize = std::mem::size_of::<u32>();
        let src = (value as *const T).cast::<u8>();
        // SAFETY: `len` is at most size_of::<T>() (so within `value`) and at most the caller's
        // struct_size (so within the caller's struct, writable per `versioned_out`'s
        // contract); `len` >= the first version's size > HEAD; the two do not overlap (value
        // is the library's own).
        unsafe {
            std::ptr::copy_nonoverlapping(
                src.add(HEAD),
                self.ptr.cast::<u8>().add(HEAD),
                self.len - HEAD,
            )
        };
    }
}

/// Reads a caller's input struct of type T: its first min(struct_size, sizeof) bytes over
/// `base` (which gives the fields an older caller's struct lacks). NULL or a refused
/// struct_size (as in [`versioned_out`]) is `INVALID_ARGUMENT`.
///
/// # Safety
/// A non-NULL `p` points to at least its struct_size readable bytes.
pub unsafe fn versioned_in<T: Versioned>(
    p: *const T,
    base: T,
    name: &str,
    record: bool,
) -> Result<T, rtlog_status> {
    if p.is_null() {
        return Err(null_arg(name, record));
    }
    // SAFETY: struct_size is the first field of every version of T; p is readable there.
    let size = unsafe { p.cast::<u32>().read_unaligned() };
    let Some(len) = accepted_len::<T>(size) else {
        return Err(bad_size::<T>(name, size, record));
    };
    let mut value = base;
    // SAFETY: the caller's struct has `len` readable bytes and `value` has at least that many
    // (len <= size_of::<T>()); T's fields are integers and pointers, valid for any bits the
    // caller's struct of the same layout holds.
    unsafe {
        std::ptr::copy_nonoverlapping(p.cast::<u8>(), (&mut value as *mut T).cast::<u8>(), len)
    };
    Ok(value)
}

/// The body of a struct's `_init(p, size)` function: the caller's `size` bytes (its
/// sizeof, compiled into the caller) zeroed, then the first min(size, sizeof(T)) of them taken
/// from `defaults` (when given), then struct_size = size. NULL or a size below 4 (no room for
/// struct_size): does nothing. The size comes from the caller because an older caller's
/// struct is smaller than this library's T: writing sizeof(T) would overrun it. No Rust value
/// of T is formed over the caller's memory.
///
/// # Safety
/// A non-NULL `p` points to `size` writable bytes.
pub unsafe fn versioned_init<T: Copy>(p: *mut T, size: usize, defaults: Option<&T>) {
    if p.is_null() || size < std::mem::size_of::<u32>() {
        return;
    }
    let dst = p.cast::<u8>();
    // SAFETY: p is non-NULL and has `size` writable bytes (the contract); `defaults` is a whole
    // T, so its first min(size, sizeof T) bytes are readable; struct_size is the first field.
    unsafe {
        std::ptr::write_bytes(dst, 0, size);
        if let Some(d) = defaults {
            let n = size.min(std::mem::size_of::<T>());
            std::ptr::copy_nonoverlapping((d as *const T).cast::<u8>(), dst, n);
        }
        dst.cast::<u32>().write_unaligned(u32::try_from(size).unwrap_or(u32::MAX));
    }
}

#[cold]
fn bad_size<T: Versioned>(name: &str, size: u32, record: bool) -> rtlog_status {
    if record {
        set_last_error(&format!(
            "{name}->struct_size = {size} is not a size of {} known to this library ({:?}, or \
             larger): initialise it with {}_init",
            T::NAME,
            T::SIZES,
            T::NAME
        ));
    }
    rtlog_status::RTLOG_ERR_INVALID_ARGUMENT
}

#[cold]
fn null_arg(name: &str, record: bool) -> rtlog_status {
    if record {
        set_last_error(&format!("{name} must not be NULL"));
    }
    rtlog_status::RTLOG_ERR_INVALID_ARGUMENT
}
