//! `rtlog_logger` (backed by `Arc<crate::Logger>`) and its lifecycle functions.

use super::boundary::{arg, arg_mut, fail, guard, guard_value, status_of};
use super::producer::rtlog_producer;
use super::types::*;
use crate::config::{Config, Durability, Overflow};
use crate::error::{Error, Status};
use crate::logger::Logger;
use crate::state::StateCallback;
use crate::storage::backend::BackendKind;
use std::ffi::CStr;
use std::ffi::CString;
use std::os::raw::c_char;
use std::os::raw::c_void;
use std::os::unix::ffi::OsStrExt;
use std::sync::Arc;
use std::time::Duration;

/// An opaque logger. Created by rtlog_init, freed by rtlog_destroy. Its functions may be called
/// from any thread (see each function for the phase); behind it is an `Arc<crate::Logger>`.
pub struct rtlog_logger {
    _private: [u8; 0],
}

/// The Rust object behind an `rtlog_logger *`.
type Handle = Arc<Logger>;

/// Sets every field of *cfg to its default and cfg->struct_size to sizeof(rtlog_config).
/// cfg->dir is set to NULL: the caller must set it.
///
/// Phase: any. Thread: any. Does not allocate. NULL cfg: does nothing.
#[no_mangle]
pub unsafe extern "C" fn rtlog_config_init(cfg: *mut rtlog_config) {
    super::boundary::guard_void(|| {
        // SAFETY: a non-NULL cfg points to a writable rtlog_config (the caller's contract).
        if let Some(cfg) = unsafe { cfg.as_mut() } {
            *cfg = default_config();
        }
    })
}

fn default_config() -> rtlog_config {
    let d = Config::default();
    rtlog_config {
        struct_size: std::mem::size_of::<rtlog_config>() as u32,
        dir: std::ptr::null(),
        max_producers: d.max_producers,
        max_record_size: d.max_record_size,
        critical_depth: d.critical_depth,
        normal_depth: d.normal_depth,
        dispatch_budget: d.dispatch_budget,
        dispatch_period_us: d.dispatch_period_us,
        durability: RawDurability(d.durability as u32),
        batch_records: d.batch_records,
        batch_interval_us: d.batch_interval_us,
        segment_bytes: d.segment_bytes,
        retention_segments: d.retention_segments,
        retention_bytes: d.retention_bytes,
        retention_age_s: d.retention_age_s,
        preallocate: u32::from(d.preallocate),
        backend: RawBackend(d.backend as u32),
        normal_overflow: RawOverflow(d.normal_overflow as u32),
        sample_high_water_pct: d.sample_high_water_pct,
        sample_one_in: d.sample_one_in,
        manual: u32::from(d.manual),
        supervisor_period_us: d.supervisor_period_us,
        degraded_quiet_ms: d.degraded_quiet_ms,
        degraded_lag_records: d.degraded_lag_records,
        safe_on_critical: u32::from(d.safe_on_critical),
        on_state_change: None,
        on_state_change_user: std::ptr::null_mut(),
        direct_io: u32::from(d.direct_io),
        dlt_enable: u32::from(d.dlt.enable),
        dlt_app_id: std::ptr::null(),
        dlt_pipe_dir: std::ptr::null(),
        dlt_queue_records: d.dlt.queue_records,
        dlt_level_critical: RawDltLevel(d.dlt.level_critical as u32),
        dlt_level_normal: RawDltLevel(d.dlt.level_normal as u32),
    }
}

/// Bytes of the first published `rtlog_config` (through `segment_bytes`): the smallest
/// struct_size accepted. Fields after it take their defaults when a caller's struct ends first.
const CONFIG_V1_SIZE: usize = std::mem::offset_of!(rtlog_config, segment_bytes) + 8;

/// Where a field of `rtlog_config` ends.
macro_rules! field_end {
    ($field:ident: $ty:ty) => {
        std::mem::offset_of!(rtlog_config, $field) + std::mem::size_of::<$ty>()
    };
}

/// Where each field from `segment_bytes` on ends: every version of the struct appended fields,
/// so its sizeof was one of these rounded up to the struct's alignment (see
/// [`is_config_size`]). A size between them would end inside a field, which would then be
/// copied half from the caller and half from the default: for on_state_change, a function
/// pointer that was never one (found by `fuzz/`'s config target).
/// Append the end of each new field.
const CONFIG_SIZES: [usize; 23] = [
    CONFIG_V1_SIZE,
    field_end!(retention_segments: u32),
    field_end!(retention_bytes: u64),
    field_end!(retention_age_s: u64),
    field_end!(preallocate: u32),
    field_end!(backend: RawBackend),
    field_end!(normal_overflow: RawOverflow),
    field_end!(sample_high_water_pct: u32),
    field_end!(sample_one_in: u32),
    field_end!(manual: u32),
    field_end!(supervisor_period_us: u32),
    field_end!(degraded_quiet_ms: u32),
    field_end!(degraded_lag_records: u64),
    field_end!(safe_on_critical: u32),
    field_end!(on_state_change: rtlog_state_callback),
    field_end!(on_state_change_user: *mut c_void),
    field_end!(direct_io: u32),
    field_end!(dlt_enable: u32),
    field_end!(dlt_app_id: *const c_char),
    field_end!(dlt_pipe_dir: *const c_char),
    field_end!(dlt_queue_records: u32),
    field_end!(dlt_level_critical: RawDltLevel),
    field_end!(dlt_level_normal: RawDltLevel),
];

/// Whether `size` is the size of a version of `rtlog_config`: where one of its fields ends, or
/// that rounded up to the struct's alignment (the sizeof of a version ending with a `u32`).
/// Either ends on a field: after a `u32` comes a `u32` or an 8-aligned field.
fn is_config_size(size: usize) -> bool {
    let align = std::mem::align_of::<rtlog_config>();
    CONFIG_SIZES.iter().any(|&end| size == end || size == end.next_multiple_of(align))
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
        *out = Box::into_raw(Box::new(Arc::new(logger))).cast();
        Ok(rtlog_status::RTLOG_OK)
    })
}

/// Copies the caller's struct (only its first struct_size bytes) and converts it.
unsafe fn read_config(cfg: *const rtlog_config) -> Result<Config, Error> {
    if cfg.is_null() {
        return Err(Error::new(Status::InvalidArgument, "cfg must not be NULL"));
    }
    // SAFETY: struct_size is the first field of every version of the struct.
    let size = unsafe { cfg.cast::<u32>().read_unaligned() } as usize;
    if !is_config_size(size) {
        return Err(Error::new(
            Status::Config,
            format!(
                "struct_size = {size} is not a size of rtlog_config known to this library \
                 (one of {CONFIG_SIZES:?}, or that rounded up to a multiple of 8): initialise \
                 the struct with rtlog_config_init"
            ),
        ));
    }
    let mut c = default_config();
    // SAFETY: the caller's struct has `size` readable bytes, and `c` has at least that many
    // (the largest accepted size is sizeof(rtlog_config), as the unit test below checks);
    // every field is plain data for which any bit pattern is valid (the enum is a raw u32).
    unsafe {
        std::ptr::copy_nonoverlapping(
            cfg.cast::<u8>(),
            (&mut c as *mut rtlog_config).cast::<u8>(),
            size,
        )
    };
    let backend = BackendKind::from_raw(c.backend.0).ok_or_else(|| {
        Error::new(
            Status::Config,
            format!("backend = {} is not an rtlog_backend value", c.backend.0),
        )
    })?;
    let dir = if c.dir.is_null() {
        if backend == BackendKind::File {
            return Err(Error::new(Status::Config, "dir is NULL (a log directory is required)"));
        }
        std::path::PathBuf::new()
    } else {
        // SAFETY: dir is a non-NULL, NUL-terminated string per the documented contract.
        std::ffi::OsStr::from_bytes(unsafe { CStr::from_ptr(c.dir) }.to_bytes()).into()
    };
    let durability = Durability::from_raw(c.durability.0).ok_or_else(|| {
        Error::new(
            Status::Config,
            format!("durability = {} is not an rtlog_durability value", c.durability.0),
        )
    })?;
    let normal_overflow = Overflow::from_raw(c.normal_overflow.0).ok_or_else(|| {
        Error::new(
            Status::Config,
            format!("normal_overflow = {} is not an rtlog_overflow value", c.normal_overflow.0),
        )
    })?;
    Ok(Config {
        dir,
        max_producers: c.max_producers,
        max_record_size: c.max_record_size,
        critical_depth: c.critical_depth,
        normal_depth: c.normal_depth,
        dispatch_budget: c.dispatch_budget,
        dispatch_period_us: c.dispatch_period_us,
        durability,
        batch_records: c.batch_records,
        batch_interval_us: c.batch_interval_us,
        segment_bytes: c.segment_bytes,
        retention_segments: c.retention_segments,
        retention_bytes: c.retention_bytes,
        retention_age_s: c.retention_age_s,
        preallocate: flag("preallocate", c.preallocate)?,
        backend,
        normal_overflow,
        sample_high_water_pct: c.sample_high_water_pct,
        sample_one_in: c.sample_one_in,
        manual: flag("manual", c.manual)?,
        supervisor_period_us: c.supervisor_period_us,
        degraded_quiet_ms: c.degraded_quiet_ms,
        degraded_lag_records: c.degraded_lag_records,
        safe_on_critical: flag("safe_on_critical", c.safe_on_critical)?,
        on_state_change: c.on_state_change.map(|f| c_callback(f, c.on_state_change_user)),
        direct_io: flag("direct_io", c.direct_io)?,
        // SAFETY: the dlt_* strings are NULL or NUL-terminated, per the documented contract.
        dlt: unsafe { super::dlt::read_config(&c) }?,
    })
}

fn flag(field: &str, v: u32) -> Result<bool, Error> {
    match v {
        0 => Ok(false),
        1 => Ok(true),
        v => Err(Error::new(Status::Config, format!("{field} = {v} is not 0 or 1"))),
    }
}

type CCallback = unsafe extern "C" fn(*mut c_void, rtlog_state, rtlog_state, *const c_char);

/// Wraps a C state callback; the cause is passed as a NUL-terminated copy valid for the call.
fn c_callback(f: CCallback, user: *mut c_void) -> StateCallback {
    let user = user as usize; // the user pointer is the caller's business; we only pass it back
    StateCallback(Arc::new(move |from, to, cause: &str| {
        let cause = CString::new(cause.replace('\0', " ")).unwrap_or_default();
        // SAFETY: the function and user pointer come from the caller's config, whose contract
        // is that the function may be called with them on the supervisor thread.
        unsafe { f(user as *mut c_void, from.into(), to.into(), cause.as_ptr()) };
    }))
}

/// The logger behind a C pointer.
///
/// # Safety
/// A non-NULL `lg` must come from rtlog_init and not be destroyed yet.
pub(crate) unsafe fn logger<'a>(
    lg: *const rtlog_logger,
    record: bool,
) -> Result<&'a Logger, rtlog_status> {
    // SAFETY: per this function's contract, lg is NULL or a live Box<Handle>.
    let handle = unsafe { arg(lg.cast::<Handle>(), "lg", record)? };
    Ok(handle)
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
        let lg = unsafe { logger(lg, true)? };
        // SAFETY: name is NULL or a NUL-terminated string.
        let name = unsafe { arg(name, "name", true)? };
        // SAFETY: non-NULL and NUL-terminated per the contract.
        let name = unsafe { CStr::from_ptr(name) }.to_str().map_err(|_| {
            fail(Error::new(Status::InvalidArgument, "producer name is not valid UTF-8"))
        })?;
        let p = lg.create_producer(name).map_err(fail)?;
        *out = p.as_ptr().cast();
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
        // SAFETY: lg is NULL or a live rtlog_init result; the Box holds an Arc<Logger>.
        let handle = unsafe { arg(lg.cast::<Handle>(), "lg", true)? };
        status_of(handle.start()).ok_or_err()?;
        Ok(status_of(handle.start_ticker()))
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
        let lg = unsafe { logger(lg, false)? };
        let n = lg.tick().map_err(rtlog_status::from)?;
        // SAFETY: dispatched is NULL or writable.
        if let Some(d) = unsafe { dispatched.as_mut() } {
            *d = n;
        }
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
        match unsafe { logger(lg, false) } {
            Ok(lg) => lg.state().into(),
            Err(_) => rtlog_state::RTLOG_STATE_STOPPED,
        }
    })
}

/// Fills *out with a statistics snapshot (counters read one by one; each is exact, the set is
/// not one atomic snapshot while publishing goes on).
///
/// Phase: any. Thread: any non-RT thread (lock-free, but may allocate before rtlog_start).
/// Returns RTLOG_ERR_INVALID_ARGUMENT for NULL arguments.
#[no_mangle]
pub unsafe extern "C" fn rtlog_get_stats(
    lg: *const rtlog_logger,
    out: *mut rtlog_stats,
) -> rtlog_status {
    guard(|| {
        // SAFETY: lg is NULL or live; out is NULL or writable.
        let lg = unsafe { logger(lg, true)? };
        // SAFETY: as above.
        let out = unsafe { arg_mut(out, "out", true)? };
        let s = lg.stats();
        *out = rtlog_stats {
            published: s.published,
            dropped: s.dropped,
            dispatched: s.dispatched,
            persisted: s.persisted,
            bytes_written: s.bytes_written,
            durable_lsn: s.durable_lsn,
            state: lg.state().into(),
            epoch: s.epoch,
            lost: s.lost,
            write_errors: s.write_errors,
            sync_errors: s.sync_errors,
            recovered_torn_bytes: s.recovered_torn_bytes,
            syncs: s.syncs,
            segments_deleted: s.segments_deleted,
            last_errno: s.last_errno,
            transitions: s.transitions as u32,
            persisted_stream: s.persisted_stream,
            lag: s.lag,
            max_sync_ns: s.max_sync_ns,
            oldest_pending_age_ns: s.oldest_pending_age_ns,
        };
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
        let lg = unsafe { logger(lg, true)? };
        Ok(status_of(lg.flush(Duration::from_millis(timeout_ms.into()))))
    })
}

/// Shuts the logger down: from now on rtlog_publish returns RTLOG_ERR_INVALID_STATE; every
/// record already accepted is dispatched and written, a clean-close record is written and
/// synced, and the threads are joined. A clean shutdown loses nothing. Called before
/// rtlog_start, it just stops the logger.
///
/// Phase: INIT or RUN, once. Thread: any non-RT thread. Blocks until the writer is done.
/// Returns RTLOG_ERR_INVALID_ARGUMENT for NULL; RTLOG_ERR_INVALID_STATE when already shut
/// down; RTLOG_ERR_IO when a write or sync failed during the run (the log is closed anyway).
#[no_mangle]
pub unsafe extern "C" fn rtlog_shutdown(lg: *mut rtlog_logger) -> rtlog_status {
    guard(|| {
        // SAFETY: lg is NULL or live.
        let lg = unsafe { logger(lg, true)? };
        Ok(status_of(lg.shutdown()))
    })
}

/// Frees the logger and all its producers (shutting it down first if needed). NULL: no-op.
/// No thread may use the logger or any of its producer handles during or after this call.
///
/// Phase: any. Thread: any non-RT thread.
#[no_mangle]
pub unsafe extern "C" fn rtlog_destroy(lg: *mut rtlog_logger) {
    super::boundary::guard_void(|| {
        if lg.is_null() {
            return;
        }
        // SAFETY: lg came from rtlog_init (Box<Handle>) and is freed exactly once, here.
        let handle = unsafe { Box::from_raw(lg.cast::<Handle>()) };
        // Shut down before the last Arc goes, so the ticker thread is joined from here.
        if handle.state() != crate::state::State::Stopped {
            let _ = handle.shutdown();
        }
        drop(handle);
    })
}

trait OkOrErr {
    fn ok_or_err(self) -> Result<(), rtlog_status>;
}

impl OkOrErr for rtlog_status {
    fn ok_or_err(self) -> Result<(), rtlog_status> {
        if self == rtlog_status::RTLOG_OK {
            Ok(())
        } else {
            Err(self)
        }
    }
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
        let lg = unsafe { logger(lg, true)? };
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
        let lg = unsafe { logger(lg, true)? };
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
        let lg = unsafe { logger(lg, true)? };
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
        let lg = unsafe { logger(lg, true)? };
        Ok(status_of(lg.clear_fault()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sizes end where fields end, from the first version to this one, and the last one is
    /// sizeof(rtlog_config): a field appended without its size here would make
    /// rtlog_config_init's own struct_size refused.
    #[test]
    fn accepted_struct_sizes_end_on_fields() {
        let ours = std::mem::size_of::<rtlog_config>();
        let align = std::mem::align_of::<rtlog_config>();
        assert_eq!(CONFIG_SIZES.last().map(|e| e.next_multiple_of(align)), Some(ours));
        assert!(is_config_size(ours) && !is_config_size(ours + 8) && !is_config_size(0));
        assert!(CONFIG_SIZES.windows(2).all(|w| w[0] < w[1]));
        // The callback pair: a size ending inside either pointer is refused; the sizeof of the
        // version before it (ending with the u32 safe_on_critical, padded) is accepted.
        let callback = std::mem::offset_of!(rtlog_config, on_state_change);
        assert!(is_config_size(callback));
        for size in callback + 1..callback + 16 {
            assert_eq!(is_config_size(size), size == callback + 8, "{size}");
        }
        // So is one ending inside a DLT string pointer.
        let app_id = std::mem::offset_of!(rtlog_config, dlt_app_id);
        for size in app_id + 1..app_id + 16 {
            assert_eq!(is_config_size(size), size == app_id + 8, "{size}");
        }
    }
}
