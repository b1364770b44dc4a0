//! `rtlog_config` and its translation to [`crate::Config`]: the versioned copy of the caller's
//! struct (only its first struct_size bytes), the raw enums checked, the DLT fields and the C
//! state callback wrapped.

use super::enums::*;
use crate::config::{Config, Durability, Overflow};
use crate::dlt::protocol::Level;
use crate::dlt::{default_pipe_dir, DltConfig};
use crate::error::{Error, Status};
use crate::state::StateCallback;
use crate::storage::backend::BackendKind;
use std::ffi::{CStr, CString};
use std::os::raw::{c_char, c_void};
use std::os::unix::ffi::OsStrExt;
use std::sync::Arc;

/// Logger configuration. Fill it with rtlog_config_init(), then change fields.
///
/// struct_size lets the struct grow without breaking the ABI: fields are only ever added at the
/// end, and the library reads only the first struct_size bytes.
///
/// Behind it: `crate::Config`, which rtlog_init makes of it.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct rtlog_config {
    /// sizeof(rtlog_config), set by rtlog_config_init.
    pub struct_size: u32,
    /// Log directory; created (mode 0750) if missing. Copied by rtlog_init.
    pub dir: *const c_char,
    /// Most producers (default 8; 1..=4096).
    pub max_producers: u32,
    /// Largest payload in bytes (default 256; 1..=1048576).
    pub max_record_size: u32,
    /// Records per producer in the critical ring (default 1024; 1..=16777216).
    pub critical_depth: u32,
    /// Records per producer in the normal ring (default 4096; 1..=16777216).
    pub normal_depth: u32,
    /// Most records one rtlog_tick moves (default 256; 1..=1048576).
    pub dispatch_budget: u32,
    /// Period in µs of the internal non-RT ticker thread (default 1000; ..=1000000); 0: no
    /// ticker, only the application's rtlog_tick calls move records (a loop that ticks itself).
    pub dispatch_period_us: u32,
    /// Durability policy (default RTLOG_DURABILITY_FSYNC_BATCH).
    pub durability: RawDurability,
    /// FSYNC_BATCH: sync after this many records (default 512; 1..=16777216)...
    pub batch_records: u32,
    /// ...or this long after the first unsynced record, whichever first (default 1000; 1..=60000000).
    pub batch_interval_us: u32,
    /// Rotate segment files at this size in bytes (default 64 MiB; 65536..=2^40).
    pub segment_bytes: u64,
    /// Retention: keep at most this many segment files, the active one included (default 0: unlimited; else >= 2).
    pub retention_segments: u32,
    /// Retention: keep at most this many bytes of segments (default 0: unlimited; else >= 2 * segment_bytes).
    pub retention_bytes: u64,
    /// Retention: delete closed segments last written longer ago than this many seconds (default 0: unlimited).
    pub retention_age_s: u64,
    /// 1: reserve each segment's space with fallocate when it is created, so a full disk shows at rotation rather than mid-segment (default 0). Other values: RTLOG_ERR_CONFIG.
    pub preallocate: u32,
    /// Where segments go (default RTLOG_BACKEND_FILE).
    pub backend: RawBackend,
    /// Normal-stream overflow policy (default RTLOG_OVERFLOW_DROP_NEWEST).
    pub normal_overflow: RawOverflow,
    /// RTLOG_OVERFLOW_SAMPLE: ring fill level in percent where sampling starts (default 50; 1..=100).
    pub sample_high_water_pct: u32,
    /// RTLOG_OVERFLOW_SAMPLE: above it, accept one record in this many (default 8; 2..=1048576).
    pub sample_one_in: u32,
    /// 1: no internal threads; the caller ticks and calls rtlog_step_writer and rtlog_step_supervisor (deterministic tests). Default 0.
    pub manual: u32,
    /// Period of the supervisor thread in microseconds (default 1000; 100..=10000000).
    pub supervisor_period_us: u32,
    /// DEGRADED returns to NORMAL after this many ms without loss or lag (default 1000).
    pub degraded_quiet_ms: u32,
    /// Records accepted but not yet persisted above which the writer counts as lagging (DEGRADED); 0 (default): half the capacity of all producer rings.
    pub degraded_lag_records: u64,
    /// 1: enter SAFE as soon as CRITICAL is entered (default 0).
    pub safe_on_critical: u32,
    /// Called on every state change (default NULL).
    pub on_state_change: rtlog_state_callback,
    /// Passed to on_state_change.
    pub on_state_change_user: *mut c_void,
    /// 1: the file backend writes segments with O_DIRECT from 4 KiB-aligned buffers, bypassing the page cache (default 0). rtlog_init fails with RTLOG_ERR_IO when the directory's file system refuses O_DIRECT, and with RTLOG_ERR_CONFIG for another backend or a value other than 0 or 1.
    pub direct_io: u32,
    /// 1: also forward every record to a COVESA DLT daemon (see docs/DLT.md), beside the backend (default 0). rtlog_start connects and registers when the daemon is there; otherwise a non-RT DLT thread queues up to dlt_queue_records records and reconnects with backoff. Other values: RTLOG_ERR_CONFIG.
    pub dlt_enable: u32,
    /// DLT application id, 1 to 4 printable ASCII characters (default NULL: "RTLG"). Copied by rtlog_init.
    pub dlt_app_id: *const c_char,
    /// Directory of the daemon's FIFO "dlt": the daemon's -t option, libdlt's DLT_PIPE_DIR (default NULL: $DLT_PIPE_DIR if set, else "/tmp"). Copied by rtlog_init.
    pub dlt_pipe_dir: *const c_char,
    /// Records the DLT queue holds while the daemon is away or slower than the writer; more are counted lost and reported by a loss marker (default 4096; 1..=1048576).
    pub dlt_queue_records: u32,
    /// DLT log level of critical-stream records (default RTLOG_DLT_LEVEL_ERROR). Log messages (RTLOG_LOGF and the level macros) go as verbose DLT messages at their own level; RTLOG_DLT_LEVEL_OFF keeps the stream's records and messages out of DLT.
    pub dlt_level_critical: RawDltLevel,
    /// DLT log level of normal-stream records (default RTLOG_DLT_LEVEL_INFO); log messages and OFF as for dlt_level_critical.
    pub dlt_level_normal: RawDltLevel,
    /// RTLOG_DURABILITY_NONE and _FLUSH: no accepted record waits in the writer's batch longer than this many µs before write() (default 100000; 0: only the batch size decides; at most 60000000). Bounds what a crash of the process loses (see docs/OPERATIONS.md) (0.3.0).
    pub max_write_delay_us: u32,
    /// Seal the active segment once it is this many seconds old, so that retention_age_s reaches the data of a log that rotates rarely (default 0: never; at most one year) (0.3.0).
    pub segment_max_age_s: u64,
    /// The writer or the internal ticker without progress this many ms while records wait for it counts as stalled: the state goes CRITICAL with the reason in the callback and the log, and rtlog_stats.stalled says which (default 5000; 0: not watched; at most 3600000; not in manual mode) (0.3.0).
    pub stall_timeout_ms: u32,
    /// The durability of critical-stream records, when stronger than durability: e.g. RTLOG_DURABILITY_FSYNC for critical with RTLOG_DURABILITY_FSYNC_BATCH or _NONE for the rest; a batch that holds a critical record is written and synced before the critical durable counts move (default RTLOG_DURABILITY_SAME; a mode weaker than durability is RTLOG_ERR_CONFIG) (0.3.0).
    pub critical_durability: RawDurability,
    /// 1: retention never deletes a segment that holds records rtlog ship has not had acknowledged yet, as the ship cursor file SHIPPED in the log directory says (no cursor: nothing is shipped, every segment is kept); rtlog_stats.retention_unshipped_bytes says how much it keeps for that reason (default 0; see docs/FLEET.md). Other values: RTLOG_ERR_CONFIG (0.3.0).
    pub retention_keep_unshipped: u32,
}

/// The defaults of every field (rtlog_config_init), from [`Config::default`]; dir NULL.
pub(crate) fn default_config() -> rtlog_config {
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
        max_write_delay_us: d.max_write_delay_us,
        segment_max_age_s: d.segment_max_age_s,
        stall_timeout_ms: d.stall_timeout_ms,
        critical_durability: RawDurability(
            d.critical_durability
                .map_or(rtlog_durability::RTLOG_DURABILITY_SAME as u32, |m| m as u32),
        ),
        retention_keep_unshipped: u32::from(d.retention_keep_unshipped),
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
const CONFIG_SIZES: [usize; 28] = [
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
    field_end!(max_write_delay_us: u32),
    field_end!(segment_max_age_s: u64),
    field_end!(stall_timeout_ms: u32),
    field_end!(critical_durability: RawDurability),
    field_end!(retention_keep_unshipped: u32),
];

/// Whether `size` is the size of a version of `rtlog_config`: where one of its fields ends, or
/// that rounded up to the struct's alignment (the sizeof of a version ending with a `u32`).
/// Either ends on a field: after a `u32` comes a `u32` or an 8-aligned field.
fn is_config_size(size: usize) -> bool {
    let align = std::mem::align_of::<rtlog_config>();
    CONFIG_SIZES.iter().any(|&end| size == end || size == end.next_multiple_of(align))
}

/// Copies the caller's struct (only its first struct_size bytes) and converts it.
///
/// # Safety
/// A non-NULL `cfg` points to at least struct_size readable bytes, and its `dir` and `dlt_*`
/// strings are each NULL or NUL-terminated.
pub(crate) unsafe fn read_config(cfg: *const rtlog_config) -> Result<Config, Error> {
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
    let critical_durability = match c.critical_durability.0 {
        v if v == rtlog_durability::RTLOG_DURABILITY_SAME as u32 => None,
        v => Some(Durability::from_raw(v).ok_or_else(|| {
            Error::new(
                Status::Config,
                format!("critical_durability = {v} is not an rtlog_durability value"),
            )
        })?),
    };
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
        dlt: unsafe { read_dlt_config(&c) }?,
        max_write_delay_us: c.max_write_delay_us,
        segment_max_age_s: c.segment_max_age_s,
        stall_timeout_ms: c.stall_timeout_ms,
        critical_durability,
        retention_keep_unshipped: flag("retention_keep_unshipped", c.retention_keep_unshipped)?,
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

/// The `dlt_*` fields of a C config.
///
/// # Safety
/// `dlt_app_id` and `dlt_pipe_dir` must each be NULL or a NUL-terminated string.
unsafe fn read_dlt_config(c: &rtlog_config) -> Result<DltConfig, Error> {
    let d = DltConfig::default();
    let enable = match c.dlt_enable {
        0 => false,
        1 => true,
        v => return Err(Error::new(Status::Config, format!("dlt_enable = {v} is not 0 or 1"))),
    };
    let level = |field: &str, raw: RawDltLevel| {
        Level::from_raw(raw.0).ok_or_else(|| {
            Error::new(
                Status::Config,
                format!("{field} = {} is not an rtlog_dlt_level value (0..=6)", raw.0),
            )
        })
    };
    // SAFETY: per this function's contract.
    let app_id = match unsafe { text(c.dlt_app_id) } {
        None => d.app_id,
        Some(b) => String::from_utf8(b.to_vec()).map_err(|_| {
            Error::new(Status::Config, "dlt_app_id must be 1 to 4 printable ASCII characters")
        })?,
    };
    // SAFETY: per this function's contract.
    let pipe_dir = match unsafe { text(c.dlt_pipe_dir) } {
        None => default_pipe_dir(),
        Some(b) => std::ffi::OsStr::from_bytes(b).into(),
    };
    Ok(DltConfig {
        enable,
        app_id,
        pipe_dir,
        queue_records: c.dlt_queue_records,
        level_critical: level("dlt_level_critical", c.dlt_level_critical)?,
        level_normal: level("dlt_level_normal", c.dlt_level_normal)?,
    })
}

/// # Safety
/// `p` is NULL or NUL-terminated.
unsafe fn text<'a>(p: *const c_char) -> Option<&'a [u8]> {
    // SAFETY: per this function's contract.
    (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_bytes())
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
