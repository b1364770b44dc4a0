//! Logger configuration: defaults, limits and validation (non-RT, INIT phase).
//!
//! Every field is checked by [`Config::validate`]; a bad one gives `Status::Config` with a
//! message that names the field, its value and the accepted range.

use crate::dlt::DltConfig;
use crate::error::{Error, Result, Status};
use crate::rt::producer::ProducerParams;
use crate::rt::ring::{self, MAX_RING_BYTES};
use crate::state::StateCallback;
use crate::storage::BackendKind;
use std::path::PathBuf;

/// The overflow policy lives with the producer that applies it; it is part of the
/// configuration's vocabulary too.
pub use crate::rt::producer::Overflow;

/// When the writer makes written records durable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Durability {
    /// Batches are written when the writer's buffer fills (or on flush/rotation/shutdown).
    None = 0,
    /// Every batch is handed to the kernel with `write()`: survives a process crash.
    Flush = 1,
    /// `fdatasync` after every batch: survives power loss.
    Fsync = 2,
    /// `fdatasync` after `batch_records` records or `batch_interval_us`, whichever comes first.
    FsyncBatch = 3,
}

impl Durability {
    /// The mode for a raw C value, if it names one.
    pub fn from_raw(raw: u32) -> Option<Durability> {
        Some(match raw {
            0 => Durability::None,
            1 => Durability::Flush,
            2 => Durability::Fsync,
            3 => Durability::FsyncBatch,
            _ => return None,
        })
    }

    /// Whether records count as durable only once `fdatasync` covered them.
    pub fn syncs(self) -> bool {
        matches!(self, Durability::Fsync | Durability::FsyncBatch)
    }

    /// How much a mode keeps, weakest first: NONE, FLUSH, FSYNC_BATCH, FSYNC.
    pub fn strength(self) -> u8 {
        match self {
            Durability::None => 0,
            Durability::Flush => 1,
            Durability::FsyncBatch => 2,
            Durability::Fsync => 3,
        }
    }
}

/// Largest accepted `max_record_size` (1 MiB); also the format's payload limit.
pub const MAX_RECORD_SIZE_LIMIT: u32 = 1 << 20;
/// Largest accepted ring depth.
pub const MAX_DEPTH: u32 = 1 << 24;
/// Largest accepted number of producers (producer ids must fit a `u16`).
pub const MAX_PRODUCERS: u32 = 4096;
/// Smallest accepted segment size.
pub const MIN_SEGMENT_BYTES: u64 = 64 * 1024;
/// Largest accepted segment size.
pub const MAX_SEGMENT_BYTES: u64 = 1 << 40;

/// Default period of the internal ticker, in µs. A newcomer who publishes and never ticks
/// would otherwise see the rings fill and records refused (5000 records published in a tight
/// loop: 1024 persisted); a control loop that ticks itself sets 0.
pub const DEFAULT_DISPATCH_PERIOD_US: u32 = 1000;

/// Default of [`Config::max_write_delay_us`]: 100 ms. `None` batches up to 512 KiB per
/// `write()`; at a low record rate that took minutes, and a crash lost all of it.
pub const DEFAULT_MAX_WRITE_DELAY_US: u32 = 100_000;

/// The logger's configuration (the Rust twin of `rtlog_config`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Log directory; created (mode 0750) if missing.
    pub dir: PathBuf,
    /// Most producers that can be created.
    pub max_producers: u32,
    /// Largest payload in bytes.
    pub max_record_size: u32,
    /// Records per producer in the critical ring.
    pub critical_depth: u32,
    /// Records per producer in the normal ring.
    pub normal_depth: u32,
    /// Most records one tick moves.
    pub dispatch_budget: u32,
    /// An internal non-RT thread ticks at this period (default 1000 µs), so that records move
    /// to the writer even when nobody calls `tick`; 0: the caller ticks, nobody else does.
    pub dispatch_period_us: u32,
    /// Durability policy of the writer.
    pub durability: Durability,
    /// `FsyncBatch`: sync after this many records...
    pub batch_records: u32,
    /// ... or this long after the first unsynced one.
    pub batch_interval_us: u32,
    /// Rotate segment files at this size.
    pub segment_bytes: u64,
    /// Reserve each segment's space with `fallocate` when it is created.
    pub preallocate: bool,
    /// Retention: keep at most this many segments (0: unlimited).
    pub retention_segments: u32,
    /// Retention: keep at most this many bytes of segments (0: unlimited).
    pub retention_bytes: u64,
    /// Retention: delete closed segments older than this many seconds (0: unlimited).
    pub retention_age_s: u64,
    /// Where segments go.
    pub backend: BackendKind,
    /// Normal-stream overflow policy.
    pub normal_overflow: Overflow,
    /// `Sample`: the ring fill level, in percent, above which sampling starts.
    pub sample_high_water_pct: u32,
    /// `Sample`: above the high-water mark, accept one record in this many.
    pub sample_one_in: u32,
    /// No internal threads: the caller ticks, and steps the writer and the supervisor
    /// (deterministic tests).
    pub manual: bool,
    /// Period of the supervisor thread.
    pub supervisor_period_us: u32,
    /// DEGRADED returns to NORMAL after this long without loss or lag.
    pub degraded_quiet_ms: u32,
    /// Records accepted but not yet persisted above which the writer counts as lagging
    /// (0: half the capacity of all producer rings).
    pub degraded_lag_records: u64,
    /// Enter SAFE as soon as CRITICAL is entered.
    pub safe_on_critical: bool,
    /// Called on every state change, on the supervisor's thread.
    pub on_state_change: Option<StateCallback>,
    /// File backend: write segments with `O_DIRECT` from 4 KiB-aligned buffers, bypassing the
    /// page cache (see [`crate::storage::direct`]).
    pub direct_io: bool,
    /// The DLT sink: forward records to a COVESA DLT daemon too (see docs/DLT.md).
    pub dlt: DltConfig,
    /// `None` and `Flush`: no accepted record waits in the writer's batch longer than this
    /// before `write()` (default 100 ms; 0: only the batch size decides, as before 0.3.0).
    pub max_write_delay_us: u32,
    /// Seal the active segment once it is this old, so that age-based retention reaches the
    /// data of a log that rotates rarely (0: never; default 0).
    pub segment_max_age_s: u64,
    /// The writer or the ticker without progress this long while work waits for it counts
    /// as stalled: CRITICAL (default 5000 ms; 0: not watched).
    pub stall_timeout_ms: u32,
    /// The durability of critical-stream records, when stronger than `durability` (`None`:
    /// the same). A batch that holds a critical record is written and synced under it before
    /// the critical durable counts move; normal records keep `durability`.
    pub critical_durability: Option<Durability>,
    /// Retention never deletes a segment that holds frames the shipper (`rtlog ship`) has not
    /// had acknowledged yet, as its cursor file says (docs/FLEET.md); what it keeps for that
    /// reason is `Stats::retention_unshipped_bytes`.
    pub retention_keep_unshipped: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            dir: PathBuf::new(),
            max_producers: 8,
            max_record_size: 256,
            critical_depth: 1024,
            normal_depth: 4096,
            dispatch_budget: 256,
            dispatch_period_us: DEFAULT_DISPATCH_PERIOD_US,
            durability: Durability::FsyncBatch,
            batch_records: 512,
            batch_interval_us: 1000,
            segment_bytes: 64 << 20,
            preallocate: false,
            retention_segments: 0,
            retention_bytes: 0,
            retention_age_s: 0,
            backend: BackendKind::File,
            normal_overflow: Overflow::DropNewest,
            sample_high_water_pct: 50,
            sample_one_in: 8,
            manual: false,
            supervisor_period_us: 1000,
            degraded_quiet_ms: 1000,
            degraded_lag_records: 0,
            safe_on_critical: false,
            on_state_change: None,
            direct_io: false,
            dlt: DltConfig::default(),
            max_write_delay_us: DEFAULT_MAX_WRITE_DELAY_US,
            segment_max_age_s: 0,
            stall_timeout_ms: 5000,
            critical_durability: None,
            retention_keep_unshipped: false,
        }
    }
}

fn check_range(field: &str, value: u64, min: u64, max: u64) -> Result<()> {
    if value < min || value > max {
        return Err(Error::new(
            Status::Config,
            format!("{field} = {value} is out of range (accepted: {min}..={max})"),
        ));
    }
    Ok(())
}

impl Config {
    /// A default configuration writing to `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Config { dir: dir.into(), ..Config::default() }
    }

    /// What each producer needs of the configuration.
    pub fn producer_params(&self) -> ProducerParams {
        ProducerParams {
            max_record_size: self.max_record_size,
            normal_depth: self.normal_depth,
            normal_overflow: self.normal_overflow,
            sample_high_water_pct: self.sample_high_water_pct,
            sample_one_in: self.sample_one_in,
        }
    }

    /// Checks every field; the error names the first bad one.
    pub fn validate(&self) -> Result<()> {
        if self.dir.as_os_str().is_empty() && self.backend == BackendKind::File {
            return Err(Error::new(Status::Config, "dir is empty (a log directory is required)"));
        }
        if self.direct_io && self.backend != BackendKind::File {
            return Err(Error::new(
                Status::Config,
                "direct_io = 1 needs backend = RTLOG_BACKEND_FILE (it is how segment files are written)",
            ));
        }
        check_range("max_producers", self.max_producers.into(), 1, MAX_PRODUCERS.into())?;
        check_range(
            "max_record_size",
            self.max_record_size.into(),
            1,
            MAX_RECORD_SIZE_LIMIT.into(),
        )?;
        check_range("critical_depth", self.critical_depth.into(), 1, MAX_DEPTH.into())?;
        check_range("normal_depth", self.normal_depth.into(), 1, MAX_DEPTH.into())?;
        check_range("dispatch_budget", self.dispatch_budget.into(), 1, 1 << 20)?;
        check_range("dispatch_period_us", self.dispatch_period_us.into(), 0, 1_000_000)?;
        if self.durability == Durability::FsyncBatch {
            check_range("batch_records", self.batch_records.into(), 1, 1 << 24)?;
            check_range("batch_interval_us", self.batch_interval_us.into(), 1, 60_000_000)?;
        }
        check_range("segment_bytes", self.segment_bytes, MIN_SEGMENT_BYTES, MAX_SEGMENT_BYTES)?;
        if self.normal_overflow == Overflow::Sample {
            check_range("sample_high_water_pct", self.sample_high_water_pct.into(), 1, 100)?;
            check_range("sample_one_in", self.sample_one_in.into(), 2, 1 << 20)?;
        }
        check_range("supervisor_period_us", self.supervisor_period_us.into(), 100, 10_000_000)?;
        check_range("degraded_quiet_ms", self.degraded_quiet_ms.into(), 0, 86_400_000)?;
        check_range("max_write_delay_us", self.max_write_delay_us.into(), 0, 60_000_000)?;
        check_range("segment_max_age_s", self.segment_max_age_s, 0, 365 * 86_400)?;
        check_range("stall_timeout_ms", self.stall_timeout_ms.into(), 0, 3_600_000)?;
        if let Some(c) = self.critical_durability {
            if c.strength() < self.durability.strength() {
                return Err(Error::new(
                    Status::Config,
                    format!(
                        "critical_durability = {c:?} is weaker than durability = {:?}: critical \
                         records are kept at least as well as the others",
                        self.durability
                    ),
                ));
            }
            if c == Durability::FsyncBatch {
                check_range("batch_records", self.batch_records.into(), 1, 1 << 24)?;
                check_range("batch_interval_us", self.batch_interval_us.into(), 1, 60_000_000)?;
            }
        }
        if self.retention_segments == 1 {
            return Err(Error::new(
                Status::Config,
                "retention_segments = 1 would leave only the active segment; use 0 (unlimited) or >= 2",
            ));
        }
        if self.retention_bytes != 0 && self.retention_bytes < 2 * self.segment_bytes {
            return Err(Error::new(
                Status::Config,
                format!(
                    "retention_bytes = {} is below 2 * segment_bytes ({}); use 0 (unlimited) or more",
                    self.retention_bytes,
                    2 * self.segment_bytes
                ),
            ));
        }
        self.dlt.validate(self.max_record_size, self.max_producers)?;
        let slot = ring::slot_bytes(self.max_record_size) as u64;
        for (field, depth) in
            [("critical_depth", self.critical_depth), ("normal_depth", self.normal_depth)]
        {
            let bytes = slot * u64::from(depth);
            if bytes > MAX_RING_BYTES {
                return Err(Error::new(
                    Status::Config,
                    format!(
                        "{field} = {depth} with max_record_size = {} needs {bytes} bytes per ring \
                         (limit {MAX_RING_BYTES})",
                        self.max_record_size
                    ),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_once_a_dir_is_set() {
        assert!(Config::default().validate().is_err());
        Config::new("/tmp/x").validate().unwrap();
    }

    #[test]
    fn each_bad_field_is_named() {
        type Mutation = Box<dyn Fn(&mut Config)>;
        let cases: Vec<(&str, Mutation)> = vec![
            ("max_producers", Box::new(|c| c.max_producers = 0)),
            ("max_record_size", Box::new(|c| c.max_record_size = MAX_RECORD_SIZE_LIMIT + 1)),
            ("critical_depth", Box::new(|c| c.critical_depth = 0)),
            ("normal_depth", Box::new(|c| c.normal_depth = MAX_DEPTH + 1)),
            ("dispatch_budget", Box::new(|c| c.dispatch_budget = 0)),
            ("dispatch_period_us", Box::new(|c| c.dispatch_period_us = 2_000_000)),
            ("batch_records", Box::new(|c| c.batch_records = 0)),
            ("batch_interval_us", Box::new(|c| c.batch_interval_us = 0)),
            ("segment_bytes", Box::new(|c| c.segment_bytes = 1)),
            ("retention_segments", Box::new(|c| c.retention_segments = 1)),
            (
                "sample_one_in",
                Box::new(|c| {
                    c.normal_overflow = Overflow::Sample;
                    c.sample_one_in = 1;
                }),
            ),
            (
                "sample_high_water_pct",
                Box::new(|c| {
                    c.normal_overflow = Overflow::Sample;
                    c.sample_high_water_pct = 101;
                }),
            ),
            ("supervisor_period_us", Box::new(|c| c.supervisor_period_us = 10)),
            ("retention_bytes", Box::new(|c| c.retention_bytes = c.segment_bytes)),
            ("max_write_delay_us", Box::new(|c| c.max_write_delay_us = 60_000_001)),
            ("segment_max_age_s", Box::new(|c| c.segment_max_age_s = 365 * 86_400 + 1)),
            ("critical_durability", Box::new(|c| c.critical_durability = Some(Durability::Flush))),
            (
                "normal_depth",
                Box::new(|c| {
                    c.max_record_size = MAX_RECORD_SIZE_LIMIT;
                    c.critical_depth = 1;
                    c.normal_depth = 4096;
                }),
            ),
        ];
        for (field, mutate) in cases {
            let mut c = Config::new("/tmp/x");
            mutate(&mut c);
            let err = c.validate().unwrap_err();
            assert_eq!(err.status, Status::Config);
            assert!(err.message.contains(field), "{field}: {}", err.message);
        }
    }

    #[test]
    fn batch_fields_only_matter_for_fsync_batch() {
        let mut c = Config::new("/tmp/x");
        c.durability = Durability::Fsync;
        c.batch_records = 0;
        c.batch_interval_us = 0;
        c.validate().unwrap();
    }
}
