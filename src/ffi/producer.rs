//! `rtlog_producer` (behind it: a [`crate::Producer`] owned by its logger, see
//! `ffi/handle.rs`) and the RT publish path.

use super::boundary::{arg, guard, guard_value, guard_void, versioned_init, versioned_out};
use super::handle::{try_mut, try_ref};
use super::types::message;
pub use super::types::rtlog_producer;
use super::types::*;
use crate::rt::producer::{Producer, Stream};
use std::os::raw::c_void;

/// Copies one record (type and payload) into the producer's ring for `stream`, stamped with the
/// time and the next sequence number of that producer and stream (from 0; only accepted records
/// take a number).
///
/// Phase: RUN. Thread: the producer's own thread (one handle per RT thread). RT-safe:
/// wait-free, no allocation, no lock, no system call, never blocks.
/// Returns RTLOG_OK; RTLOG_ERR_FULL when the ring is full (counted in stats.dropped);
/// RTLOG_ERR_TOO_LARGE when len > max_record_size; RTLOG_ERR_INVALID_ARGUMENT for a NULL p,
/// an unknown stream or a NULL payload with len > 0; RTLOG_ERR_INVALID_STATE before
/// rtlog_start or after rtlog_shutdown. Does not set rtlog_last_error.
#[must_use]
#[no_mangle]
pub unsafe extern "C" fn rtlog_publish(
    p: *mut rtlog_producer,
    stream: RawStream,
    r#type: u16,
    payload: *const c_void,
    len: u32,
) -> rtlog_status {
    guard(|| {
        // SAFETY: p is NULL or a live handle used by this thread only (the contract).
        let p = unsafe { try_mut(p, "p", false)? };
        let stream = Stream::from_raw(stream.0).ok_or(rtlog_status::RTLOG_ERR_INVALID_ARGUMENT)?;
        // SAFETY: payload is NULL or points to len readable bytes (the contract).
        let bytes = unsafe { record_bytes(payload, len, p.max_record_size())? };
        Ok(p.publish(stream, r#type, bytes).into())
    })
}

/// NOT FOR REAL-TIME THREADS: IT SLEEPS. NEVER CALL IT FROM AN RT THREAD.
///
/// rtlog_publish for ordinary threads (a logger thread, a configuration tool, a test): when
/// the ring of `stream` is full it sleeps and tries again (50 µs, doubling to 1 ms) until
/// `timeout_us` has passed, then tries a last time. Waiting is not counted as a drop; a
/// refusal at the end is RTLOG_ERR_FULL, counted in dropped like any. In debug builds of the
/// library it refuses a thread that runs under SCHED_FIFO or SCHED_RR
/// (RTLOG_ERR_INVALID_STATE). The other overflow policies of the normal stream (sampling, a
/// disabled stream, SAFE) refuse as in rtlog_publish, without waiting.
///
/// Phase: RUN. Thread: the producer's own thread, never an RT one. Blocks up to timeout_us.
/// Returns what rtlog_publish returns, RTLOG_ERR_FULL when the ring stayed full for
/// timeout_us, and RTLOG_ERR_INVALID_STATE on an RT thread (debug builds). Does not set
/// rtlog_last_error.
#[must_use]
#[no_mangle]
pub unsafe extern "C" fn rtlog_publish_wait(
    p: *mut rtlog_producer,
    stream: RawStream,
    r#type: u16,
    payload: *const c_void,
    len: u32,
    timeout_us: u32,
) -> rtlog_status {
    guard(|| {
        // SAFETY: p is NULL or a live handle used by this thread only (the contract).
        let p = unsafe { try_mut(p, "p", false)? };
        let stream = Stream::from_raw(stream.0).ok_or(rtlog_status::RTLOG_ERR_INVALID_ARGUMENT)?;
        // SAFETY: payload is NULL or points to len readable bytes (the contract).
        let bytes = unsafe { record_bytes(payload, len, p.max_record_size())? };
        let timeout = std::time::Duration::from_micros(timeout_us.into());
        Ok(crate::wait::publish_wait(p, stream, r#type, bytes, timeout).into())
    })
}

/// Publishes a log message: a reference to its call site and its arguments, packed into the
/// producer's ring like any record. Called by the RTLOG_LOGF / RTLOG_INFO... macros, which
/// build `site` at compile time and `args` on the caller's stack; call it directly only to
/// bind another language. ERROR and FATAL messages go on the critical stream, the others on
/// the normal stream. Nothing is formatted here: readers format the text.
///
/// Strings are copied up to what fits in max_record_size once the other arguments have their
/// room (and 16383 bytes at most); a cut string is marked and shown with a trailing "…".
///
/// Phase: RUN. Thread: the producer's own thread. RT-safe, as rtlog_publish: wait-free, no
/// allocation, no lock, no system call; a message below the producer's threshold (see
/// rtlog_producer_set_level) costs one load and a compare, is counted in `filtered` and
/// returns RTLOG_OK.
/// Returns RTLOG_OK; RTLOG_ERR_FULL when the ring is full (counted in dropped);
/// RTLOG_ERR_TOO_LARGE when the arguments without their strings' bytes exceed
/// max_record_size; RTLOG_ERR_INVALID_ARGUMENT for a NULL p or site, NULL args with
/// arguments, or a site whose level, arg_count (at most 16) or arg_types are not known;
/// RTLOG_ERR_INVALID_STATE before rtlog_start or after rtlog_shutdown. `site` and the texts
/// it points to must stay valid while the logger runs (the macros make them static). Does
/// not set rtlog_last_error.
#[must_use]
#[no_mangle]
pub unsafe extern "C" fn rtlog_publish_message(
    p: *mut rtlog_producer,
    site: *const rtlog_callsite,
    args: *const rtlog_arg,
) -> rtlog_status {
    guard(|| {
        // SAFETY: p is NULL or a live handle used by this thread only (the contract).
        let p = unsafe { try_mut(p, "p", false)? };
        // SAFETY: site is NULL or points to a call site that outlives the logger.
        let site = unsafe { arg(site, "site", false)? }.as_core();
        let n = usize::from(site.arg_count).min(16);
        if n > 0 && args.is_null() {
            return Err(rtlog_status::RTLOG_ERR_INVALID_ARGUMENT);
        }
        // SAFETY: args points to one argument per type of the call site (the contract).
        let args = unsafe { message::core_args(args, n) };
        // SAFETY: the site is static and the strings valid (the contract above).
        Ok(unsafe { p.publish_message(site, args) }.into())
    })
}

/// Publishes a log message whose arguments the caller packed itself: `values` holds each
/// argument's value, little-endian, at its type's size (1 byte for I8, U8, CHAR and BOOL; 2
/// for I16 and U16; 4 for I32, U32 and F32; 8 for I64, U64, F64 and PTR), back to back in the
/// call site's order, `len` bytes in all. The message macros call it for every message
/// without a string argument, since their arguments' types are known at compile time: the
/// library then copies the values once, into the ring, and decodes nothing. Messages with
/// strings go through rtlog_publish_message, which bounds each string's copy. The message is
/// the same in the log either way. Levels, streams and filtering as rtlog_publish_message.
///
/// Phase: RUN. Thread: the producer's own thread. RT-safe, as rtlog_publish: wait-free, no
/// allocation, no lock, no system call.
/// Returns RTLOG_OK; RTLOG_ERR_FULL when the ring is full (counted in dropped);
/// RTLOG_ERR_TOO_LARGE when the message exceeds max_record_size; RTLOG_ERR_INVALID_ARGUMENT
/// for a NULL p or site, NULL values with a non-zero len, a site whose level, arg_count (at
/// most 16) or arg_types are not known, a site with a STR argument, or a len that is not the
/// sum of the site's argument sizes; RTLOG_ERR_INVALID_STATE before rtlog_start or after
/// rtlog_shutdown. `site` and its texts must stay valid while the logger runs. Does not set
/// rtlog_last_error.
#[must_use]
#[no_mangle]
pub unsafe extern "C" fn rtlog_publish_message_packed(
    p: *mut rtlog_producer,
    site: *const rtlog_callsite,
    values: *const c_void,
    len: u32,
) -> rtlog_status {
    // SAFETY: the contract above, passed on.
    let fast = unsafe { publish_message_packed_fast(p, site, values, len) };
    match fast {
        Some(status) => status,
        // SAFETY: the contract above, passed on.
        None => unsafe { publish_message_packed_checked(p, site, values, len) },
    }
}

/// rtlog_publish_message_packed's fast path ([`Producer::publish_message_packed_fast`]): a
/// message whose call site the producer checked already, with no NULL pointer. Its own panic
/// guard, as every entry point has; `None` leaves the call to the checked path.
#[inline(always)]
unsafe fn publish_message_packed_fast(
    p: *mut rtlog_producer,
    site: *const rtlog_callsite,
    values: *const c_void,
    len: u32,
) -> Option<rtlog_status> {
    guard_value(None, || {
        if values.is_null() {
            return None;
        }
        // SAFETY: p is NULL or a live handle used by this thread only (the contract).
        let p = unsafe { try_mut(p, "p", false) }.ok()?;
        // SAFETY: site is NULL or points to a call site that outlives the logger.
        let site = unsafe { arg(site, "site", false) }.ok()?.as_core();
        // A longer len is the checked path's TOO_LARGE, and no slice is made of it.
        if len > p.max_record_size() {
            return None;
        }
        // SAFETY: values is non-NULL and points to len readable bytes (the contract).
        let values = unsafe { std::slice::from_raw_parts(values.cast::<u8>(), len as usize) };
        // SAFETY: the site is static (the contract).
        unsafe { p.publish_message_packed_fast(site, values) }.map(Into::into)
    })
}

/// Publishes a log message of at most four arguments, none of them a string, passed in
/// registers: `w0` to `w3` hold arguments 0 to 3 of the call site, each as the bits of its
/// value in the word's low bytes (signed integers sign-extended, unsigned integers, CHAR and
/// BOOL zero-extended, F32 its 32 bits, F64 its 64 bits, PTR the address); the words past the
/// call site's arg_count are ignored. The message macros call it for every message of at most
/// four arguments without a string: the arguments go from registers into the ring, with no
/// buffer on the caller's stack to copy from. The message is the same in the log as through
/// rtlog_publish_message_packed. Levels, streams and filtering as rtlog_publish_message.
///
/// Phase: RUN. Thread: the producer's own thread. RT-safe, as rtlog_publish: wait-free, no
/// allocation, no lock, no system call.
/// Returns RTLOG_OK; RTLOG_ERR_FULL when the ring is full (counted in dropped);
/// RTLOG_ERR_TOO_LARGE when the message exceeds max_record_size; RTLOG_ERR_INVALID_ARGUMENT
/// for a NULL p or site, or a site whose level or arg_types are not known, that has a STR
/// argument or more than four arguments; RTLOG_ERR_INVALID_STATE before rtlog_start or after
/// rtlog_shutdown. `site` and its texts must stay valid while the logger runs. Does not set
/// rtlog_last_error.
#[must_use]
#[no_mangle]
pub unsafe extern "C" fn rtlog_publish_message_words(
    p: *mut rtlog_producer,
    site: *const rtlog_callsite,
    w0: u64,
    w1: u64,
    w2: u64,
    w3: u64,
) -> rtlog_status {
    let words = [w0, w1, w2, w3];
    let fast = guard_value(None, || {
        // SAFETY: p is NULL or a live handle used by this thread only (the contract).
        let p = unsafe { try_mut(p, "p", false) }.ok()?;
        // SAFETY: site is NULL or points to a call site that outlives the logger.
        let site = unsafe { arg(site, "site", false) }.ok()?.as_core();
        // SAFETY: the site is static (the contract).
        unsafe { p.publish_message_words_fast(site, words) }.map(Into::into)
    });
    match fast {
        Some(status) => status,
        // SAFETY: the contract above, passed on.
        None => unsafe { publish_message_words_checked(p, site, words) },
    }
}

/// rtlog_publish_message_words for every case its fast path leaves.
#[inline(never)]
unsafe fn publish_message_words_checked(
    p: *mut rtlog_producer,
    site: *const rtlog_callsite,
    words: [u64; crate::rt::message::WORDS],
) -> rtlog_status {
    guard(|| {
        // SAFETY: p is NULL or a live handle used by this thread only (the contract).
        let p = unsafe { try_mut(p, "p", false)? };
        // SAFETY: site is NULL or points to a call site that outlives the logger.
        let site = unsafe { arg(site, "site", false)? }.as_core();
        // SAFETY: the site is static (the contract of rtlog_publish_message_words).
        Ok(unsafe { p.publish_message_words_checked(site, words) }.into())
    })
}

/// rtlog_publish_message_packed for every case its fast path leaves.
#[inline(never)]
unsafe fn publish_message_packed_checked(
    p: *mut rtlog_producer,
    site: *const rtlog_callsite,
    values: *const c_void,
    len: u32,
) -> rtlog_status {
    guard(|| {
        // SAFETY: p is NULL or a live handle used by this thread only (the contract).
        let p = unsafe { try_mut(p, "p", false)? };
        // SAFETY: site is NULL or points to a call site that outlives the logger.
        let site = unsafe { arg(site, "site", false)? }.as_core();
        // SAFETY: values is NULL or points to len readable bytes (the contract).
        let values = unsafe { record_bytes(values, len, p.max_record_size())? };
        // SAFETY: the site is static (the contract above).
        Ok(unsafe { p.publish_message_packed_checked(site, values) }.into())
    })
}

/// Sets the lowest level of message this producer publishes; messages below it are counted in
/// rtlog_producer_stats.filtered and not published. Overrides rtlog_set_level for this
/// producer until the next rtlog_set_level. Records (rtlog_publish) are never filtered.
///
/// Phase: any. Thread: any, RT included. RT-safe: one atomic store.
/// Returns RTLOG_ERR_INVALID_ARGUMENT for a NULL p or a value that is not an rtlog_level.
/// Does not set rtlog_last_error.
#[no_mangle]
pub unsafe extern "C" fn rtlog_producer_set_level(
    p: *const rtlog_producer,
    level: RawLevel,
) -> rtlog_status {
    guard(|| {
        // SAFETY: p is NULL or a live handle.
        let p = unsafe { try_ref(p, "p", false)? };
        let level = level.level().ok_or(rtlog_status::RTLOG_ERR_INVALID_ARGUMENT)?;
        p.set_level(level);
        Ok(rtlog_status::RTLOG_OK)
    })
}

/// Signals a fault of the component that owns this producer (a sensor out of range, a watchdog,
/// a failed plausibility check): the supervisor takes it on its next step (within
/// supervisor_period_us) and enters SAFE, unless it is already there. The cause of that
/// transition, in the log's state frame and in the state callback, is "fault <code> signalled by
/// producer <name> (id <id>)"; rtlog_stats counts it (faults_signalled, last_fault_code,
/// last_fault_producer). rtlog_clear_fault leaves SAFE as usual. A second signal before the
/// supervisor's step replaces the first's code.
///
/// Phase: RUN (a fault signalled before rtlog_start is taken at the first step). Thread: any,
/// RT included. RT-safe: one atomic store, no allocation, lock or system call.
/// Returns RTLOG_ERR_INVALID_ARGUMENT for a NULL p. Does not set rtlog_last_error.
#[no_mangle]
pub unsafe extern "C" fn rtlog_signal_fault(p: *const rtlog_producer, code: u32) -> rtlog_status {
    guard(|| {
        // SAFETY: p is NULL or a live handle.
        let p = unsafe { try_ref(p, "p", false)? };
        p.signal_fault(code);
        Ok(rtlog_status::RTLOG_OK)
    })
}

/// The producer's id, as stored in rtlog_record.producer (0, 1, 2... in creation order);
/// 0xFFFF for NULL.
///
/// Phase: any. Thread: any. RT-safe.
#[no_mangle]
pub unsafe extern "C" fn rtlog_producer_id(p: *const rtlog_producer) -> u16 {
    guard_value(u16::MAX, || {
        // SAFETY: p is NULL or a live handle.
        unsafe { try_ref(p, "p", false) }.map_or(u16::MAX, Producer::id)
    })
}

/// How many records of `stream` from this producer are durable under the durability mode:
/// every record of that producer and stream with a lower seq, in the current epoch, is. 0 for
/// NULL or an unknown stream.
///
/// Phase: any. Thread: any, RT included. RT-safe: one atomic load.
#[no_mangle]
pub unsafe extern "C" fn rtlog_producer_durable_count(
    p: *const rtlog_producer,
    stream: RawStream,
) -> u64 {
    guard_value(0, || {
        // SAFETY: p is NULL or a live handle.
        let Ok(p) = (unsafe { try_ref(p, "p", false) }) else {
            return 0;
        };
        Stream::from_raw(stream.0).map_or(0, |s| p.durable_count(s))
    })
}

/// Prepares *out for rtlog_producer_get_stats: every byte zero and out->struct_size = `size`,
/// which must be sizeof(rtlog_producer_stats) as the caller sees it:
/// rtlog_producer_stats_init(&ps) (the header's macro passes sizeof ps). Writes exactly `size` bytes.
///
/// Phase: any. Thread: any. RT-safe: does not allocate. NULL out or a size below 4: does
/// nothing.
#[no_mangle]
pub unsafe extern "C" fn rtlog_producer_stats_init(out: *mut rtlog_producer_stats, size: usize) {
    guard_void(|| {
        // SAFETY: a non-NULL out points to `size` writable bytes (the caller's contract).
        unsafe { versioned_init(out, size, None) }
    })
}

/// Fills *out with the producer's statistics (each counter read atomically; the set is not one
/// snapshot while the producer publishes). Initialise *out with rtlog_producer_stats_init
/// first: the library writes only its first out->struct_size bytes and leaves struct_size as
/// it is.
///
/// Phase: any. Thread: any. Lock-free, does not allocate.
/// Returns RTLOG_ERR_INVALID_ARGUMENT for NULL arguments, or an out->struct_size smaller than
/// the first version of rtlog_producer_stats or between two versions (nothing is written
/// then). Does not set rtlog_last_error.
#[no_mangle]
pub unsafe extern "C" fn rtlog_producer_get_stats(
    p: *const rtlog_producer,
    out: *mut rtlog_producer_stats,
) -> rtlog_status {
    guard(|| {
        // SAFETY: p is NULL or a live handle; out is NULL or has struct_size writable bytes.
        let p = unsafe { try_ref(p, "p", false)? };
        // SAFETY: as above. No last-error text: this must not allocate.
        let out = unsafe { versioned_out(out, "out", false)? };
        out.write(&rtlog_producer_stats::from(p));
        Ok(rtlog_status::RTLOG_OK)
    })
}

/// The payload of a publish: `TooLarge` above `max`, `InvalidArgument` for NULL with `len > 0`.
///
/// # Safety
/// A non-NULL `payload` points to `len` readable bytes.
#[inline(always)]
unsafe fn record_bytes<'a>(
    payload: *const c_void,
    len: u32,
    max: u32,
) -> Result<&'a [u8], rtlog_status> {
    if len > max {
        return Err(rtlog_status::RTLOG_ERR_TOO_LARGE);
    }
    if len == 0 {
        return Ok(&[]);
    }
    if payload.is_null() {
        return Err(rtlog_status::RTLOG_ERR_INVALID_ARGUMENT);
    }
    // SAFETY: payload is non-NULL and points to len readable bytes (the caller's contract).
    Ok(unsafe { std::slice::from_raw_parts(payload.cast::<u8>(), len as usize) })
}
