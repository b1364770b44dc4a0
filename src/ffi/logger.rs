//! `rtlog_logger` (behind it: `Arc<crate::Logger>`, see `ffi/handle.rs`) and its lifecycle
//! functions.

use super::boundary::{
    arg_mut, c_str, fail, guard, guard_value, guard_void, status_of, versioned_init, versioned_out,
};
use super::handle::{into_raw, lend, take, try_ref};
use super::types::config::{default_config, read_config};
pub use super::types::rtlog_logger;
use super::types::*;
use crate::error::{Error, Status};
use crate::logger::Logger;
use std::ffi::CStr;
use std::os::raw::c_char;
use std::sync::Arc;
use std::time::Duration;

/// Sets every field of *cfg to its default and cfg->struct_size to `size`, which must be
/// sizeof(rtlog_config) as the caller sees it: the header's macro passes it: rtlog_config_init(&cfg) is
/// rtlog_config_init(&cfg, sizeof cfg).
/// The library writes exactly `size` bytes (a program built against an older, smaller
/// rtlog_config gets the defaults of the fields it knows; a newer, larger one gets zeros beyond
/// this library's fields). cfg->dir is set to NULL: the caller must set it.
///
/// Phase: any. Thread: any. RT-safe: does not allocate. NULL cfg or a size below 4: does
/// nothing.
#[no_mangle]
pub unsafe extern "C" fn rtlog_config_init(cfg: *mut rtlog_config, size: usize) {
    guard_void(|| {
        // SAFETY: a non-NULL cfg points to `size` writable bytes (the caller's contract).
        unsafe { versioned_init(cfg, size, Some(&default_config())) }
    })
}

/// Creates a logger (INIT phase): validates every field of *cfg, creates the directory (mode
/// 0750) if missing, locks it against other loggers, recovers an existing log in it (a torn
/// tail is cut; the new epoch continues after the last valid record) and allocates and
/// prefaults the writer's buffers. On success *out holds the logger; on failure *out is NULL.
///
/// Phase: INIT. Thread: any non-RT thread. Allocates, makes system calls.
/// Returns RTLOG_ERR_INVALID_ARGUMENT for a NULL cfg or out; RTLOG_ERR_CONFIG for a bad field
/// (rtlog_last_error() names it) or a struct_size not set by rtlog_config_init; RTLOG_ERR_IO
/// when the directory cannot be created, read or locked (another logger uses it);
/// RTLOG_ERR_CORRUPT when the directory holds a log this library cannot continue: a segment of
/// a newer format version, or an epoch or LSN at its largest value.
#[no_mangle]
pub unsafe extern "C" fn rtlog_init(
    cfg: *const rtlog_config,
    out: *mut *mut rtlog_logger,
) -> rtlog_status {
    guard(|| {
        // SAFETY: a non-NULL out points to a writable pointer (the caller's contract).
        let out = unsafe { arg_mut(out, "out", true)? };
        *out = std::ptr::null_mut();
        // SAFETY: a non-NULL cfg points to at least struct_size readable bytes.
        let config = unsafe { read_config(cfg) }.map_err(fail)?;
        let logger = Logger::init(config).map_err(fail)?;
        *out = into_raw::<rtlog_logger>(Arc::new(logger));
        Ok(rtlog_status::RTLOG_OK)
    })
}

/// Creates a producer named `name` (1 to 64 bytes of UTF-8, unique in the logger) with its two
/// rings, allocated and prefaulted now. The handle stays valid until rtlog_destroy; use it from
/// one thread at a time (one producer per RT thread). On failure *out is NULL.
///
/// Phase: INIT (before rtlog_start). Thread: any non-RT thread. Allocates, locks.
/// Returns RTLOG_ERR_INVALID_ARGUMENT for NULL arguments, an empty, too long, non-UTF-8 or
/// duplicate name; RTLOG_ERR_INVALID_STATE after rtlog_start; RTLOG_ERR_FULL when
/// max_producers producers exist.
#[no_mangle]
pub unsafe extern "C" fn rtlog_producer_create(
    lg: *mut rtlog_logger,
    name: *const c_char,
    out: *mut *mut rtlog_producer,
) -> rtlog_status {
    guard(|| {
        // SAFETY: out is NULL or writable; lg is NULL or live (the caller's contract).
        let out = unsafe { arg_mut(out, "out", true)? };
        *out = std::ptr::null_mut();
        // SAFETY: as above.
        let lg = unsafe { try_ref(lg, "lg", true)? };
        // SAFETY: name is NULL or a NUL-terminated string.
        let name = unsafe { c_str(name, "name", true)? }.to_str().map_err(|_| {
            fail(Error::new(Status::InvalidArgument, "producer name is not valid UTF-8"))
        })?;
        let p = lg.create_producer(name).map_err(fail)?;
        *out = lend(p);
        Ok(rtlog_status::RTLOG_OK)
    })
}

/// The INIT → RUN barrier: opens the epoch's first segment (synced), starts the writer thread
/// and, when dispatch_period_us > 0, the ticker thread. With dlt_enable, it also opens the DLT
/// daemon's FIFO and registers the application and one context per producer if the daemon is
/// there (without waiting for it: a DLT thread keeps trying), then starts the DLT thread. From
/// now on publish and tick work and no producer can be created.
///
/// Phase: INIT, once. Thread: any non-RT thread. Allocates, makes system calls.
/// Returns RTLOG_ERR_INVALID_ARGUMENT for NULL; RTLOG_ERR_INVALID_STATE when already started or
/// shut down; RTLOG_ERR_IO when the first segment cannot be created and synced.
#[no_mangle]
pub unsafe extern "C" fn rtlog_start(lg: *mut rtlog_logger) -> rtlog_status {
    guard(|| {
        // SAFETY: lg is NULL or a live rtlog_init result.
        let lg = unsafe { try_ref(lg, "lg", true)? };
        Ok(status_of(lg.start_running()))
    })
}

/// Moves at most dispatch_budget records, critical stream first and round robin across
/// producers, from the producers' rings to the writer. Safe to call from several threads: a
/// tick that finds another in progress returns RTLOG_OK at once with 0 moved. *dispatched (if
/// not NULL) receives the number of records moved.
///
/// Phase: RUN. Thread: any, RT included. RT-safe: bounded, no allocation, no lock, no system
/// call. Returns RTLOG_ERR_INVALID_ARGUMENT for a NULL lg; RTLOG_ERR_INVALID_STATE before
/// rtlog_start or after rtlog_shutdown. Does not set rtlog_last_error.
#[no_mangle]
pub unsafe extern "C" fn rtlog_tick(lg: *mut rtlog_logger, dispatched: *mut u32) -> rtlog_status {
    guard(|| {
        // SAFETY: lg is NULL or live.
        let lg = unsafe { try_ref(lg, "lg", false)? };
        let n = lg.tick().map_err(rtlog_status::from)?;
        // SAFETY: dispatched is NULL or writable.
        if let Some(d) = unsafe { dispatched.as_mut() } {
            *d = n;
        }
        Ok(rtlog_status::RTLOG_OK)
    })
}

/// Sets the lowest level of message every producer publishes, and the one producers created
/// later start with (the default is RTLOG_LEVEL_INFO). Messages below it are counted as
/// filtered, not published. rtlog_producer_set_level then changes one producer's.
///
/// Phase: any. Thread: any, RT included. RT-safe from rtlog_start on: one atomic store per
/// producer, no lock (during INIT it takes the logger's lock). Returns
/// RTLOG_ERR_INVALID_ARGUMENT for a NULL lg or a value that is not an rtlog_level. Does not set
/// rtlog_last_error.
#[no_mangle]
pub unsafe extern "C" fn rtlog_set_level(lg: *const rtlog_logger, level: RawLevel) -> rtlog_status {
    guard(|| {
        // SAFETY: lg is NULL or live.
        let lg = unsafe { try_ref(lg, "lg", false)? };
        let level = level.level().ok_or(rtlog_status::RTLOG_ERR_INVALID_ARGUMENT)?;
        lg.set_level(level);
        Ok(rtlog_status::RTLOG_OK)
    })
}

/// The logger's state: INIT before rtlog_start, NORMAL while running, CRITICAL after a write or
/// sync failure, STOPPED after rtlog_shutdown. NULL gives RTLOG_STATE_STOPPED.
///
/// Phase: any. Thread: any, RT included. RT-safe: one atomic load.
#[no_mangle]
pub unsafe extern "C" fn rtlog_get_state(lg: *const rtlog_logger) -> rtlog_state {
    guard_value(rtlog_state::RTLOG_STATE_STOPPED, || {
        // SAFETY: lg is NULL or live.
        match unsafe { try_ref(lg, "lg", false) } {
            Ok(lg) => lg.state().into(),
            Err(_) => rtlog_state::RTLOG_STATE_STOPPED,
        }
    })
}

/// Prepares *out for rtlog_get_stats: every byte of it zero and out->struct_size = `size`,
/// which must be sizeof(rtlog_stats) as the caller sees it: rtlog_stats_init(&st) (the header's macro
/// passes sizeof st).
/// Writes exactly `size` bytes.
///
/// Phase: any. Thread: any. RT-safe: does not allocate. NULL out or a size below 4: does
/// nothing.
#[no_mangle]
pub unsafe extern "C" fn rtlog_stats_init(out: *mut rtlog_stats, size: usize) {
    guard_void(|| {
        // SAFETY: a non-NULL out points to `size` writable bytes (the caller's contract).
        unsafe { versioned_init(out, size, None) }
    })
}

/// Fills *out with a statistics snapshot (counters read one by one; each is exact, the set is
/// not one atomic snapshot while publishing goes on). Initialise *out with rtlog_stats_init
/// first: the library writes only its first out->struct_size bytes (an older caller's smaller
/// struct gets the fields it knows) and leaves struct_size as it is.
///
/// Phase: any. Thread: any non-RT thread (lock-free, but may allocate before rtlog_start).
/// Returns RTLOG_ERR_INVALID_ARGUMENT for NULL arguments, or an out->struct_size smaller than
/// the first version of rtlog_stats or between two versions (not set by rtlog_stats_init);
/// nothing is written then.
#[no_mangle]
pub unsafe extern "C" fn rtlog_get_stats(
    lg: *const rtlog_logger,
    out: *mut rtlog_stats,
) -> rtlog_status {
    guard(|| {
        // SAFETY: lg is NULL or live; out is NULL or has struct_size writable bytes.
        let lg = unsafe { try_ref(lg, "lg", true)? };
        // SAFETY: as above.
        let out = unsafe { versioned_out(out, "out", true)? };
        out.write(&rtlog_stats::from(&lg.stats()));
        Ok(rtlog_status::RTLOG_OK)
    })
}

/// Waits until every record accepted before the call has been dispatched and written as the
/// durability mode requires (synced, for the FSYNC modes), dispatching pending records itself.
///
/// Phase: RUN. Thread: any non-RT thread. Blocks up to timeout_ms.
/// Returns RTLOG_ERR_INVALID_ARGUMENT for NULL; RTLOG_ERR_INVALID_STATE outside RUN;
/// RTLOG_ERR_TIMEOUT when the records were not durable in time; RTLOG_ERR_IO when a write or
/// sync failed meanwhile (those records will never be reported durable).
#[no_mangle]
pub unsafe extern "C" fn rtlog_flush(lg: *mut rtlog_logger, timeout_ms: u32) -> rtlog_status {
    guard(|| {
        // SAFETY: lg is NULL or live.
        let lg = unsafe { try_ref(lg, "lg", true)? };
        Ok(status_of(lg.flush(Duration::from_millis(timeout_ms.into()))))
    })
}

/// Shuts the logger down: from now on rtlog_publish returns RTLOG_ERR_INVALID_STATE; every
/// record already accepted is dispatched and written, a clean-close record is written and
/// synced, and the threads are joined. A clean shutdown loses nothing. Called before
/// rtlog_start, it just stops the logger.
///
/// rtlog_shutdown_timeout with a timeout of 30 s: long enough for the slowest fdatasync of an
/// SD card, short enough that a hung mount does not hang the program.
///
/// Phase: INIT or RUN, once. Thread: any non-RT thread. Blocks until the writer is done, 30 s
/// at most. Returns RTLOG_ERR_INVALID_ARGUMENT for NULL; RTLOG_ERR_INVALID_STATE when already
/// shut down; RTLOG_ERR_IO when a write or sync failed during the run (the log is closed
/// anyway); RTLOG_ERR_TIMEOUT as rtlog_shutdown_timeout; RTLOG_ERR_INTERNAL when the writer
/// thread had died (a bug: please report it).
#[no_mangle]
pub unsafe extern "C" fn rtlog_shutdown(lg: *mut rtlog_logger) -> rtlog_status {
    guard(|| {
        // SAFETY: lg is NULL or live.
        let lg = unsafe { try_ref(lg, "lg", true)? };
        Ok(status_of(lg.shutdown()))
    })
}

/// Shuts the logger down as rtlog_shutdown does, waiting for the writer `timeout_ms` at most.
/// When the writer cannot finish in time (a write() that never returns on a hung mount or a
/// stuck device), it returns RTLOG_ERR_TIMEOUT and the logger is stopped all the same, safe to
/// rtlog_destroy (which does not wait either): the writer thread is left behind, writes
/// nothing more if it ever wakes up, and keeps the directory locked until it ends, so no other
/// logger writes the directory meanwhile. Records it had not written are lost; the next
/// rtlog_init on the directory recovers it as after a crash. In manual mode the caller's
/// thread writes, and a write that never returns blocks it.
///
/// Phase: INIT or RUN, once. Thread: any non-RT thread. Blocks `timeout_ms` at most (plus the
/// DLT sink's bounded drain). Returns what rtlog_shutdown returns, and RTLOG_ERR_TIMEOUT as
/// above (rtlog_last_error() says how many records were not written).
#[no_mangle]
pub unsafe extern "C" fn rtlog_shutdown_timeout(
    lg: *mut rtlog_logger,
    timeout_ms: u32,
) -> rtlog_status {
    guard(|| {
        // SAFETY: lg is NULL or live.
        let lg = unsafe { try_ref(lg, "lg", true)? };
        Ok(status_of(lg.shutdown_timeout(Duration::from_millis(timeout_ms.into()))))
    })
}

/// Frees the logger and all its producers (shutting it down first if needed). NULL: no-op.
/// No thread may use the logger or any of its producer handles during or after this call.
///
/// Phase: any. Thread: any non-RT thread.
#[no_mangle]
pub unsafe extern "C" fn rtlog_destroy(lg: *mut rtlog_logger) {
    guard_void(|| {
        // SAFETY: lg is NULL or came from rtlog_init, and is freed exactly once, here (the
        // caller's contract).
        if let Some(lg) = unsafe { take(lg) } {
            lg.release();
        }
    })
}

/// Manual mode: runs one round of the writer — pending state records, up to 4096 dispatched
/// records framed and written, then the durability policy (write, fdatasync as the mode asks).
/// *taken (if not NULL) receives the number of records it took.
///
/// Phase: RUN, manual mode (rtlog_config.manual = 1). Thread: any non-RT thread.
/// Returns RTLOG_ERR_INVALID_ARGUMENT for a NULL lg; RTLOG_ERR_INVALID_STATE outside manual
/// mode or RUN.
#[no_mangle]
pub unsafe extern "C" fn rtlog_step_writer(lg: *mut rtlog_logger, taken: *mut u32) -> rtlog_status {
    guard(|| {
        // SAFETY: lg is NULL or live.
        let lg = unsafe { try_ref(lg, "lg", true)? };
        let n = lg.step_writer().map_err(fail)?;
        // SAFETY: taken is NULL or writable.
        if let Some(t) = unsafe { taken.as_mut() } {
            *t = n as u32;
        }
        Ok(rtlog_status::RTLOG_OK)
    })
}

/// Manual mode: runs one supervisor step, elapsed_us after the previous one (the supervisor's
/// clock advances only by what the caller passes, so quiet periods are deterministic). Any
/// state change happens here, on the caller's thread: the callback runs before this returns,
/// and the state record is written by the next rtlog_step_writer.
///
/// Phase: RUN, manual mode. Thread: any non-RT thread.
/// Returns RTLOG_ERR_INVALID_ARGUMENT for a NULL lg; RTLOG_ERR_INVALID_STATE outside manual
/// mode or RUN.
#[no_mangle]
pub unsafe extern "C" fn rtlog_step_supervisor(
    lg: *mut rtlog_logger,
    elapsed_us: u64,
) -> rtlog_status {
    guard(|| {
        // SAFETY: lg is NULL or live.
        let lg = unsafe { try_ref(lg, "lg", true)? };
        lg.step_supervisor(Duration::from_micros(elapsed_us)).map_err(fail)?;
        Ok(rtlog_status::RTLOG_OK)
    })
}

/// Asks the supervisor to enter SAFE at its next step, with `reason` (may be NULL) as the
/// cause: from then on the normal stream refuses records (RTLOG_ERR_FULL, counted) and the
/// critical stream goes on, until rtlog_clear_fault.
///
/// Phase: RUN. Thread: any non-RT thread. Returns RTLOG_ERR_INVALID_ARGUMENT for a NULL lg or a
/// non-UTF-8 reason; RTLOG_ERR_INVALID_STATE outside RUN.
#[no_mangle]
pub unsafe extern "C" fn rtlog_enter_safe_mode(
    lg: *mut rtlog_logger,
    reason: *const c_char,
) -> rtlog_status {
    guard(|| {
        // SAFETY: lg is NULL or live.
        let lg = unsafe { try_ref(lg, "lg", true)? };
        let reason = if reason.is_null() {
            "no reason given"
        } else {
            // SAFETY: a non-NULL reason is NUL-terminated (the contract).
            unsafe { CStr::from_ptr(reason) }.to_str().map_err(|_| {
                fail(Error::new(Status::InvalidArgument, "reason is not valid UTF-8"))
            })?
        };
        Ok(status_of(lg.enter_safe_mode(reason)))
    })
}

/// Asks the supervisor to leave CRITICAL or SAFE for NORMAL at its next step (the only way out
/// of those states). In other states it has no effect.
///
/// Phase: RUN. Thread: any non-RT thread. Returns RTLOG_ERR_INVALID_ARGUMENT for NULL;
/// RTLOG_ERR_INVALID_STATE outside RUN.
#[no_mangle]
pub unsafe extern "C" fn rtlog_clear_fault(lg: *mut rtlog_logger) -> rtlog_status {
    guard(|| {
        // SAFETY: lg is NULL or live.
        let lg = unsafe { try_ref(lg, "lg", true)? };
        Ok(status_of(lg.clear_fault()))
    })
}
