//! Configuration validation on arbitrary values ([`check`]), in Rust and through the C entry.
//!
//! The input is decoded into an `rtlog_config` (any value of any field, out-of-range enum
//! values and `struct_size` included), a log directory chosen among awkward ones, and DLT
//! strings (never a real daemon's FIFO directory). Then:
//!
//! - `Config::validate` and `Logger::init` return errors, never panic; a refusal is
//!   `Status::Config` (or `Io` for the directory), and what validation accepts stays within the
//!   documented memory bounds;
//! - `rtlog_init` never returns `RTLOG_ERR_INTERNAL` (a caught panic), sets `*out` exactly when
//!   it succeeds, and agrees with `Logger::init` on the same values;
//! - a configuration it accepts works: in manual mode a producer is created, records are
//!   published, ticked, written, the supervisor changes state (calling the callback), and
//!   shutdown loses nothing.

use super::{Cursor, Scratch};
use rtlog::backend::BackendKind;
use rtlog::config::{self, Overflow};
use rtlog::dlt::protocol::Level;
use rtlog::dlt::DltConfig;
use rtlog::ffi::logger::*;
use rtlog::ffi::producer::rtlog_publish;
use rtlog::ffi::{rtlog_config, rtlog_state, rtlog_stats, rtlog_status, RawStream};
use rtlog::state::StateCallback;
use rtlog::{Config, Durability, Logger, Status};
use std::ffi::{c_char, c_void, CStr, CString};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

/// Largest ring memory (both rings of one producer) for which the lifecycle is run; larger
/// accepted configurations are only initialised, so that an iteration stays fast and small.
const LIFECYCLE_RING_BYTES: u64 = 8 << 20;

/// Largest DLT queue (allocated at init) for which init is called; validation accepts up to
/// `MAX_RING_BYTES`, more than an iteration should take.
const INIT_DLT_QUEUE_BYTES: u64 = 64 << 20;

/// The decoded input.
struct Input {
    /// Every field as C passes it (`dir` and the callback are set at the call).
    raw: rtlog_config,
    /// Whether the state callback is set.
    callback: bool,
    /// Which directory (see [`dir_for`]) and, for choice 5, a name from the input.
    dir_choice: u8,
    dir_name: Vec<u8>,
    /// Records to publish in the lifecycle: count and a size seed.
    records: u8,
    size_seed: u32,
    /// `dlt_app_id` (`None`: NULL).
    dlt_app_id: Option<Vec<u8>>,
    /// `dlt_pipe_dir`: 0 a directory in the scratch space (no daemon there), 1 the empty
    /// string, 2 NULL (the default, `/tmp`, where a daemon might listen: only with DLT off).
    dlt_pipe_dir: u8,
}

/// Runs validation, `Logger::init` and `rtlog_init` on the configuration `data` encodes;
/// panics when an invariant of the module doc breaks. Returns whether the configuration was
/// accepted and run through the lifecycle.
pub fn check(data: &[u8]) -> bool {
    let input = decode(data);
    let scratch = Scratch::new("config");
    let dir = dir_for(&scratch, &input);

    let pipe_dir = match input.dlt_pipe_dir {
        1 => Some(PathBuf::new()),
        2 if taken(&input.raw).dlt_enable != 1 => None,
        _ => Some(scratch.path.join("dlt-pipe")),
    };
    let rust = check_rust(&input, &dir, &pipe_dir);
    let (c, ran) = check_c(&input, &dir, &pipe_dir);
    let ours = std::mem::size_of::<rtlog_config>();
    if input.raw.struct_size as usize == ours && raw_enums_valid(&input) {
        if let (Some(rust), Some(c)) = (rust, c) {
            assert_eq!(c, rtlog_status::from(rust), "rtlog_init and Logger::init disagree");
        }
    }
    let Some(c) = c else { return false };
    if !(v1_size()..=ours).contains(&(input.raw.struct_size as usize)) {
        assert_eq!(c, rtlog_status::RTLOG_ERR_CONFIG, "struct_size {}", input.raw.struct_size);
    }
    ran
}

/// Reads the fields one after the other: a leading mask says which come from the input, the
/// others keep `rtlog_config_init`'s defaults (so that valid configurations are near).
fn decode(data: &[u8]) -> Input {
    let mut cur = Cursor(data);
    let mask = cur.u32();
    let mut bit = 0;
    let mut pick = |cur: &mut Cursor, default: u64, wide: bool| {
        bit += 1;
        match (mask >> (bit - 1) & 1 == 1, wide) {
            (false, _) => default,
            (true, false) => u64::from(cur.u32()),
            (true, true) => cur.u64(),
        }
    };
    let mut c = default_raw();
    // Harness default: manual mode, so that an accepted configuration can be run.
    c.manual = 1;
    macro_rules! fields {
        ($($f:ident $(. $inner:tt)? : $wide:expr),* $(,)?) => {$(
            c.$f $(.$inner)? = pick(&mut cur, c.$f $(.$inner)? as u64, $wide) as _;
        )*};
    }
    fields!(
        max_producers: false, max_record_size: false, critical_depth: false,
        normal_depth: false, dispatch_budget: false, dispatch_period_us: false,
        durability.0: false, batch_records: false, batch_interval_us: false,
        segment_bytes: true, retention_segments: false, retention_bytes: true,
        retention_age_s: true, preallocate: false, backend.0: false, normal_overflow.0: false,
        sample_high_water_pct: false, sample_one_in: false, manual: false,
        supervisor_period_us: false, degraded_quiet_ms: false, degraded_lag_records: true,
        safe_on_critical: false,
    );
    let ours = std::mem::size_of::<rtlog_config>() as u32;
    if mask >> 23 & 1 == 1 {
        let v = cur.u32();
        // Near the end of this version, or near the end of the first (fields are only
        // appended, so an input keeps naming the same size as fields are added).
        c.struct_size = match v % 4 {
            0 => v,
            1 => ours.saturating_sub(v >> 8 & 63),
            2 => v1_size() as u32 + (v >> 8 & 255),
            _ => ours,
        };
    }
    let callback = mask >> 24 & 1 == 1;
    let dir_choice = cur.u8() % 8;
    // Fields added later come after the directory choice, under a second mask, so that
    // earlier inputs keep their meaning.
    let mask2 = cur.u32();
    let mut bit = 0;
    let mut pick = |cur: &mut Cursor, default: u32| {
        bit += 1;
        if mask2 >> (bit - 1) & 1 == 1 {
            cur.u32()
        } else {
            default
        }
    };
    c.direct_io = pick(&mut cur, c.direct_io);
    c.dlt_enable = pick(&mut cur, c.dlt_enable);
    c.dlt_queue_records = pick(&mut cur, c.dlt_queue_records);
    c.dlt_level_critical.0 = pick(&mut cur, c.dlt_level_critical.0);
    c.dlt_level_normal.0 = pick(&mut cur, c.dlt_level_normal.0);
    c.max_write_delay_us = pick(&mut cur, c.max_write_delay_us);
    c.segment_max_age_s = u64::from(pick(&mut cur, c.segment_max_age_s as u32));
    c.stall_timeout_ms = pick(&mut cur, c.stall_timeout_ms);
    c.critical_durability.0 = pick(&mut cur, c.critical_durability.0);
    c.retention_keep_unshipped = pick(&mut cur, c.retention_keep_unshipped);
    let dlt_app_id = match cur.u8() % 8 {
        0 => None,
        1 => Some(b"".to_vec()),
        2 => Some(b"TOOLONG".to_vec()),
        3 => Some(b"a b".to_vec()),
        4 => Some(b"\xff\xfe".to_vec()),
        5 => Some(b"X".to_vec()),
        _ => Some(b"RTLG".to_vec()),
    };
    let dlt_pipe_dir = cur.u8() % 3;
    let dir_name = cur.rest().iter().take(300).copied().filter(|&b| b != 0 && b != b'/').collect();
    let (records, size_seed) = ((mask >> 25) as u8 & 31, mask.rotate_left(7));
    Input { raw: c, callback, dir_choice, dir_name, records, size_seed, dlt_app_id, dlt_pipe_dir }
}

fn default_raw() -> rtlog_config {
    let mut c = std::mem::MaybeUninit::<rtlog_config>::uninit();
    // SAFETY: rtlog_config_init writes every byte of the struct it is given (its size).
    unsafe {
        rtlog_config_init(c.as_mut_ptr(), std::mem::size_of::<rtlog_config>());
        c.assume_init()
    }
}

/// The smallest struct_size rtlog_init accepts: the first published struct, through
/// `segment_bytes` (as in src/ffi/logger.rs).
fn v1_size() -> usize {
    std::mem::offset_of!(rtlog_config, segment_bytes) + 8
}

/// Whether the raw values can all be said in Rust (`check_rust` folds the others).
fn raw_enums_valid(input: &Input) -> bool {
    let c = &input.raw;
    Durability::from_raw(c.durability.0).is_some()
        && BackendKind::from_raw(c.backend.0).is_some()
        && Overflow::from_raw(c.normal_overflow.0).is_some()
        && Level::from_raw(c.dlt_level_critical.0).is_some()
        && Level::from_raw(c.dlt_level_normal.0).is_some()
        && (c.critical_durability.0 == 255
            || Durability::from_raw(c.critical_durability.0).is_some())
        && [
            c.preallocate,
            c.manual,
            c.safe_on_critical,
            c.direct_io,
            c.dlt_enable,
            c.retention_keep_unshipped,
        ]
        .iter()
        .all(|&f| f <= 1)
        && input.dlt_app_id.as_ref().is_none_or(|id| std::str::from_utf8(id).is_ok())
}

/// The values rtlog_init takes from `c`: the caller's where struct_size covers them, the
/// defaults after.
fn taken(c: &rtlog_config) -> rtlog_config {
    let mut taken = default_raw();
    let n = (c.struct_size as usize).min(std::mem::size_of::<rtlog_config>());
    // SAFETY: both are rtlog_config; n is at most its size; every field is plain data.
    unsafe {
        std::ptr::copy_nonoverlapping(
            (c as *const rtlog_config).cast::<u8>(),
            (&mut taken as *mut rtlog_config).cast::<u8>(),
            n,
        )
    };
    taken
}

/// Whether init would allocate a DLT queue above [`INIT_DLT_QUEUE_BYTES`] (an upper bound:
/// the queue's slots are at most max_record_size).
fn big_dlt_queue(dlt_enable: bool, c: &rtlog_config) -> bool {
    let slot = rtlog::ring::slot_bytes(c.max_record_size) as u64;
    let depth = u64::from(c.dlt_queue_records) + 2 * u64::from(c.max_producers);
    dlt_enable && slot.saturating_mul(depth) > INIT_DLT_QUEUE_BYTES
}

/// The log directory: `None` stands for a NULL `dir`.
fn dir_for(scratch: &Scratch, input: &Input) -> Option<PathBuf> {
    let base = &scratch.path;
    std::fs::write(base.join("file"), b"not a directory").unwrap();
    Some(match input.dir_choice {
        0 => return None,
        1 => PathBuf::new(),
        2 => base.join("log"),
        3 => base.join("a/b/c"),
        4 => base.join("file"),
        5 => base.join(std::ffi::OsStr::from_bytes(&[b"d-", &input.dir_name[..]].concat())),
        6 => base.join("file/sub"),
        _ => {
            // A directory holding a segment-named file that is no segment: init recovers it.
            let d = base.join("junk");
            std::fs::create_dir(&d).unwrap();
            std::fs::write(d.join(rtlog::logdir::segment_file_name(1)), b"junk").unwrap();
            d
        }
    })
}

/// `Config::validate` and `Logger::init` on the values, converted as `rtlog_init` converts
/// them (out-of-range enum values folded into range: Rust cannot hold them). Returns init's
/// status (`None`: not called, the DLT queue being too large for an iteration).
fn check_rust(input: &Input, dir: &Option<PathBuf>, pipe_dir: &Option<PathBuf>) -> Option<Status> {
    let r = &input.raw;
    let default = DltConfig::default();
    let dlt = DltConfig {
        enable: r.dlt_enable & 1 == 1,
        app_id: input
            .dlt_app_id
            .as_ref()
            .map_or(default.app_id, |id| String::from_utf8_lossy(id).into_owned()),
        pipe_dir: pipe_dir.clone().unwrap_or(default.pipe_dir),
        queue_records: r.dlt_queue_records,
        level_critical: Level::from_raw(r.dlt_level_critical.0 % 7).unwrap(),
        level_normal: Level::from_raw(r.dlt_level_normal.0 % 7).unwrap(),
    };
    let config = Config {
        dir: dir.clone().unwrap_or_default(),
        max_producers: r.max_producers,
        max_record_size: r.max_record_size,
        critical_depth: r.critical_depth,
        normal_depth: r.normal_depth,
        dispatch_budget: r.dispatch_budget,
        dispatch_period_us: r.dispatch_period_us,
        durability: Durability::from_raw(r.durability.0 % 4).unwrap(),
        batch_records: r.batch_records,
        batch_interval_us: r.batch_interval_us,
        segment_bytes: r.segment_bytes,
        preallocate: r.preallocate & 1 == 1,
        retention_segments: r.retention_segments,
        retention_bytes: r.retention_bytes,
        retention_age_s: r.retention_age_s,
        backend: BackendKind::from_raw(r.backend.0 % 3).unwrap(),
        normal_overflow: Overflow::from_raw(r.normal_overflow.0 % 4).unwrap(),
        sample_high_water_pct: r.sample_high_water_pct,
        sample_one_in: r.sample_one_in,
        // init does not start threads; manual only matters at start, which is not called here.
        manual: r.manual & 1 == 1,
        supervisor_period_us: r.supervisor_period_us,
        degraded_quiet_ms: r.degraded_quiet_ms,
        degraded_lag_records: r.degraded_lag_records,
        safe_on_critical: r.safe_on_critical & 1 == 1,
        on_state_change: input.callback.then(|| StateCallback(Arc::new(|_, _, _| {}))),
        direct_io: r.direct_io & 1 == 1,
        dlt,
        max_write_delay_us: r.max_write_delay_us,
        segment_max_age_s: r.segment_max_age_s,
        stall_timeout_ms: r.stall_timeout_ms,
        critical_durability: match r.critical_durability.0 {
            255 => None,
            v => Durability::from_raw(v % 4),
        },
        retention_keep_unshipped: r.retention_keep_unshipped & 1 == 1,
    };
    let validated = config.validate();
    match &validated {
        Ok(()) => check_bounds(&config),
        Err(e) => {
            assert_eq!(e.status, Status::Config, "{}", e.message);
            assert!(!e.message.is_empty());
        }
    }
    if big_dlt_queue(config.dlt.enable, r) {
        return None;
    }
    let init = Logger::init(config.clone());
    match (&validated, &init) {
        (Err(v), Err(i)) => assert_eq!((v.status, &v.message), (i.status, &i.message)),
        (Err(v), Ok(_)) => panic!("validation refused ({}), init accepted", v.message),
        (Ok(()), Err(e)) => {
            assert_eq!(e.status, Status::Io, "{}", e.message);
            // A fresh directory is made, unless direct_io is on and its file system (tmpfs)
            // refuses O_DIRECT.
            let fresh = input.dir_choice == 2 && config.backend == BackendKind::File;
            assert!(!fresh || config.direct_io, "{}", e.message);
        }
        (Ok(()), Ok(_)) => {}
    }
    Some(init.map_or_else(|e| e.status, |_| Status::Ok))
}

/// What an accepted configuration may ask for, as the header documents it.
fn check_bounds(c: &Config) {
    assert!((1..=config::MAX_PRODUCERS).contains(&c.max_producers));
    assert!((1..=config::MAX_RECORD_SIZE_LIMIT).contains(&c.max_record_size));
    assert!((config::MIN_SEGMENT_BYTES..=config::MAX_SEGMENT_BYTES).contains(&c.segment_bytes));
    assert!(c.dispatch_budget >= 1);
    let slot = rtlog::ring::slot_bytes(c.max_record_size) as u64;
    for depth in [c.critical_depth, c.normal_depth] {
        assert!(depth >= 1 && slot * u64::from(depth) <= rtlog::ring::MAX_RING_BYTES);
    }
}

/// Counts the callback's calls.
unsafe extern "C" fn on_state(
    user: *mut c_void,
    _: rtlog_state,
    _: rtlog_state,
    cause: *const c_char,
) {
    // SAFETY: the cause is a NUL-terminated string valid during the call (the header's promise).
    assert!(
        !unsafe { CStr::from_ptr(cause) }.to_bytes().is_empty(),
        "a state change without cause"
    );
    // A struct_size that ends before on_state_change_user leaves it NULL (its default).
    // SAFETY: otherwise user is the counter that check_c passes, alive until rtlog_destroy.
    if let Some(calls) = unsafe { (user as *const AtomicU32).as_ref() } {
        calls.fetch_add(1, Ordering::Relaxed);
    }
}

/// `rtlog_init` on the raw values; on success the lifecycle (if the configuration is manual
/// and small), then `rtlog_destroy`. Returns the status (`None`: init not called, the DLT
/// queue being too large for an iteration) and whether the lifecycle ran.
fn check_c(
    input: &Input,
    dir: &Option<PathBuf>,
    pipe_dir: &Option<PathBuf>,
) -> (Option<rtlog_status>, bool) {
    let calls = AtomicU32::new(0);
    let c_string = |p: &PathBuf| CString::new(p.as_os_str().as_bytes()).unwrap();
    let dir_c = dir.as_ref().map(c_string);
    let pipe_dir_c = pipe_dir.as_ref().map(c_string);
    let app_id_c = input.dlt_app_id.as_ref().map(|id| CString::new(id.clone()).unwrap());
    let mut c = input.raw;
    c.dir = dir_c.as_ref().map_or(std::ptr::null(), |d| d.as_ptr());
    c.dlt_pipe_dir = pipe_dir_c.as_ref().map_or(std::ptr::null(), |d| d.as_ptr());
    c.dlt_app_id = app_id_c.as_ref().map_or(std::ptr::null(), |d| d.as_ptr());
    if input.callback {
        c.on_state_change = Some(on_state);
        c.on_state_change_user = &calls as *const AtomicU32 as *mut c_void;
    }
    let taken = taken(&c);
    if big_dlt_queue(taken.dlt_enable == 1, &taken) {
        return (None, false);
    }
    let mut lg: *mut rtlog_logger = std::ptr::NonNull::dangling().as_ptr();
    // SAFETY: c is a whole rtlog_config (at least struct_size bytes when struct_size is in the
    // accepted range; rtlog_init reads nothing past it otherwise); lg is writable.
    let st = unsafe { rtlog_init(&c, &mut lg) };
    assert_ne!(st, rtlog_status::RTLOG_ERR_INTERNAL, "rtlog_init panicked");
    assert_eq!(st == rtlog_status::RTLOG_OK, !lg.is_null(), "*out and the status disagree");
    if st != rtlog_status::RTLOG_OK {
        assert!(
            matches!(st, rtlog_status::RTLOG_ERR_CONFIG | rtlog_status::RTLOG_ERR_IO),
            "{st:?}"
        );
        // SAFETY: rtlog_last_error returns a NUL-terminated string.
        let msg = unsafe { CStr::from_ptr(rtlog::ffi::rtlog_last_error()) };
        assert!(!msg.to_bytes().is_empty(), "{st:?} without a last error");
        return (Some(st), false);
    }
    let run = taken.manual == 1
        && ring_bytes(&taken) <= LIFECYCLE_RING_BYTES
        && !huge_preallocation(&taken);
    if run {
        // SAFETY: lg is the live logger rtlog_init returned.
        unsafe { lifecycle(lg, &taken, input) };
        if taken.on_state_change.is_some() && !taken.on_state_change_user.is_null() {
            assert!(calls.load(Ordering::Relaxed) >= 2, "the callback missed state changes");
        }
    }
    // SAFETY: lg came from rtlog_init and is destroyed once.
    unsafe { rtlog_destroy(lg) };
    (Some(st), run)
}

fn ring_bytes(c: &rtlog_config) -> u64 {
    let slot = rtlog::ring::slot_bytes(c.max_record_size) as u64;
    slot * (u64::from(c.critical_depth) + u64::from(c.normal_depth))
}

/// Preallocating a large segment would reserve that much of the (memory-backed) scratch space.
fn huge_preallocation(c: &rtlog_config) -> bool {
    c.preallocate == 1 && c.backend.0 == BackendKind::File as u32 && c.segment_bytes > 4 << 20
}

/// Runs an accepted manual-mode configuration: one producer, `input.records` records of
/// sizes up to max_record_size on both streams, SAFE mode and back, shutdown; nothing may be
/// lost and every status must be one the header documents for the call.
///
/// # Safety
/// `lg` is a live logger from rtlog_init, in INIT, configured as `c`.
unsafe fn lifecycle(lg: *mut rtlog_logger, c: &rtlog_config, input: &Input) {
    use rtlog_status::*;
    let mut p = std::ptr::null_mut();
    // SAFETY (this block): lg is live (the contract); every out-pointer is a local.
    unsafe {
        assert_eq!(rtlog_producer_create(lg, c"fuzz".as_ptr(), &mut p), RTLOG_OK);
        assert_eq!(rtlog_start(lg), RTLOG_OK);
        let mut accepted = 0u64;
        // With the DLT sink on and no daemon, shutdown waits up to DRAIN_TIMEOUT (2 s) for
        // queued records to leave: publish none, so that an iteration stays short.
        let records = if c.dlt_enable == 1 { 0 } else { u32::from(input.records) };
        for i in 0..records {
            let len = input.size_seed.wrapping_mul(i + 1) % (c.max_record_size.min(4096) + 1);
            let payload = vec![i as u8; len as usize];
            let st = rtlog_publish(p, RawStream(i % 2), i as u16, payload.as_ptr().cast(), len);
            assert!(matches!(st, RTLOG_OK | RTLOG_ERR_FULL), "publish: {st:?}");
            accepted += u64::from(st == RTLOG_OK);
            assert_eq!(rtlog_tick(lg, std::ptr::null_mut()), RTLOG_OK);
            if i % 8 == 7 {
                assert_eq!(rtlog_step_writer(lg, std::ptr::null_mut()), RTLOG_OK);
            }
        }
        assert_eq!(rtlog_step_writer(lg, std::ptr::null_mut()), RTLOG_OK);
        assert_eq!(rtlog_enter_safe_mode(lg, c"fuzz".as_ptr()), RTLOG_OK);
        assert_eq!(rtlog_step_supervisor(lg, 1000), RTLOG_OK);
        assert_eq!(rtlog_clear_fault(lg), RTLOG_OK);
        assert_eq!(rtlog_step_supervisor(lg, 1000), RTLOG_OK);
        assert_eq!(rtlog_shutdown(lg), RTLOG_OK);
        let mut s: rtlog_stats = std::mem::zeroed();
        rtlog_stats_init(&mut s, std::mem::size_of::<rtlog_stats>());
        assert_eq!(rtlog_get_stats(lg, &mut s), RTLOG_OK);
        assert_eq!((s.lost, s.write_errors, s.sync_errors), (0, 0, 0), "{s:?}");
        assert_eq!(s.published[0] + s.published[1], accepted, "{s:?}");
        if c.normal_overflow.0 != Overflow::OverwriteOldest as u32 {
            assert_eq!(s.persisted, accepted, "accepted records not written: {s:?}");
        }
    }
}
