//! The C types: enums, their raw-integer ABI twins, and the public structs.

use crate::error::Status;
use std::os::raw::{c_char, c_void};

/// Result of an rtlog call. Values are stable; new ones are only ever added at the end.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum rtlog_status {
    /// Success.
    RTLOG_OK = 0,
    /// A reader has no more records.
    RTLOG_END = 1,
    /// A NULL pointer, an unknown enum value or a malformed argument.
    RTLOG_ERR_INVALID_ARGUMENT = 2,
    /// The call is not allowed in the logger's current phase (INIT, RUN, stopped).
    RTLOG_ERR_INVALID_STATE = 3,
    /// A ring or another bounded resource is full; nothing was stored.
    RTLOG_ERR_FULL = 4,
    /// The payload is larger than max_record_size.
    RTLOG_ERR_TOO_LARGE = 5,
    /// A configuration field is invalid; rtlog_last_error() names it.
    RTLOG_ERR_CONFIG = 6,
    /// An operating-system I/O call failed; rtlog_last_error() says which.
    RTLOG_ERR_IO = 7,
    /// Stored data failed validation or uses an unsupported format version.
    RTLOG_ERR_CORRUPT = 8,
    /// The operation did not complete in time.
    RTLOG_ERR_TIMEOUT = 9,
    /// A bug in rtlog (a caught panic); please report it.
    RTLOG_ERR_INTERNAL = 10,
}

impl rtlog_status {
    pub(crate) fn from_raw(raw: u32) -> Option<rtlog_status> {
        use rtlog_status::*;
        Some(match raw {
            0 => RTLOG_OK,
            1 => RTLOG_END,
            2 => RTLOG_ERR_INVALID_ARGUMENT,
            3 => RTLOG_ERR_INVALID_STATE,
            4 => RTLOG_ERR_FULL,
            5 => RTLOG_ERR_TOO_LARGE,
            6 => RTLOG_ERR_CONFIG,
            7 => RTLOG_ERR_IO,
            8 => RTLOG_ERR_CORRUPT,
            9 => RTLOG_ERR_TIMEOUT,
            10 => RTLOG_ERR_INTERNAL,
            _ => return None,
        })
    }
}

impl From<Status> for rtlog_status {
    fn from(s: Status) -> rtlog_status {
        rtlog_status::from_raw(s as u32).unwrap_or(rtlog_status::RTLOG_ERR_INTERNAL)
    }
}

/// The two streams of every producer.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum rtlog_stream {
    /// Correctness and safety events; dispatched first; loss escalates.
    RTLOG_STREAM_CRITICAL = 0,
    /// Diagnostics and telemetry.
    RTLOG_STREAM_NORMAL = 1,
}

/// When the writer makes records durable.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum rtlog_durability {
    /// Write in large batches; no flush. A process crash can lose buffered records.
    RTLOG_DURABILITY_NONE = 0,
    /// write() every batch: survives a process crash, not a power loss.
    RTLOG_DURABILITY_FLUSH = 1,
    /// fdatasync after every batch: survives power loss.
    RTLOG_DURABILITY_FSYNC = 2,
    /// fdatasync after batch_records records or batch_interval_us, whichever first.
    RTLOG_DURABILITY_FSYNC_BATCH = 3,
}

/// Health of a logger.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum rtlog_state {
    /// Created, not started.
    RTLOG_STATE_INIT = 0,
    /// Running; nothing lost.
    RTLOG_STATE_NORMAL = 1,
    /// Running with reduced service.
    RTLOG_STATE_DEGRADED = 2,
    /// A write or sync failed, or critical records were lost.
    RTLOG_STATE_CRITICAL = 3,
    /// Safe mode.
    RTLOG_STATE_SAFE = 4,
    /// Shut down.
    RTLOG_STATE_STOPPED = 5,
}

impl From<crate::state::State> for rtlog_state {
    fn from(s: crate::state::State) -> rtlog_state {
        use crate::state::State as S;
        match s {
            S::Init => rtlog_state::RTLOG_STATE_INIT,
            S::Normal => rtlog_state::RTLOG_STATE_NORMAL,
            S::Degraded => rtlog_state::RTLOG_STATE_DEGRADED,
            S::Critical => rtlog_state::RTLOG_STATE_CRITICAL,
            S::Safe => rtlog_state::RTLOG_STATE_SAFE,
            S::Stopped => rtlog_state::RTLOG_STATE_STOPPED,
        }
    }
}

/// Where a logger's segments go.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum rtlog_backend {
    /// Segment files in the log directory (the default).
    RTLOG_BACKEND_FILE = 0,
    /// Discard everything (for measuring the rest of the path). dir may be NULL.
    RTLOG_BACKEND_NULL = 1,
    /// In memory, with a deterministic fault script; see the rtlog_dummy_* functions (tests only). dir may be NULL.
    RTLOG_BACKEND_DUMMY = 2,
}

/// What the normal stream does when a producer's normal ring is full. (The critical stream
/// always refuses with RTLOG_ERR_FULL, counts it and escalates to CRITICAL.)
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum rtlog_overflow {
    /// Refuse the new record (RTLOG_ERR_FULL), keep the older ones (the default).
    RTLOG_OVERFLOW_DROP_NEWEST = 0,
    /// Store the new record over the oldest one not yet dispatched.
    RTLOG_OVERFLOW_OVERWRITE_OLDEST = 1,
    /// Above sample_high_water_pct of the ring, accept one record in sample_one_in.
    RTLOG_OVERFLOW_SAMPLE = 2,
    /// On overflow, refuse the producer's normal records until the supervisor re-enables the stream (once the ring has drained to half).
    RTLOG_OVERFLOW_DISABLE = 3,
}

/// Called by the supervisor thread (in manual mode: by rtlog_step_supervisor's caller) on every
/// state change, with the user pointer from the config, the old and new state and a cause (valid
/// during the call). Never called on an RT thread. Must not call rtlog_shutdown or rtlog_destroy.
pub type rtlog_state_callback = Option<
    unsafe extern "C" fn(
        user: *mut c_void,
        from: rtlog_state,
        to: rtlog_state,
        cause: *const c_char,
    ),
>;

/// `rtlog_backend` as it arrives from C.
#[repr(transparent)]
#[derive(Clone, Copy, Debug)]
pub struct RawBackend(pub u32);
/// `rtlog_overflow` as it arrives from C.
#[repr(transparent)]
#[derive(Clone, Copy, Debug)]
pub struct RawOverflow(pub u32);

/// `rtlog_stream` as it arrives from C: any 32-bit value, validated before use.
#[repr(transparent)]
#[derive(Clone, Copy, Debug)]
pub struct RawStream(pub u32);
/// `rtlog_durability` as it arrives from C.
#[repr(transparent)]
#[derive(Clone, Copy, Debug)]
pub struct RawDurability(pub u32);
/// `rtlog_status` as it arrives from C.
#[repr(transparent)]
#[derive(Clone, Copy, Debug)]
pub struct RawStatus(pub u32);

/// Logger configuration. Fill it with rtlog_config_init(), then change fields.
///
/// struct_size lets the struct grow without breaking the ABI: fields are only ever added at the
/// end, and the library reads only the first struct_size bytes.
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
    /// 0 (default): the application calls rtlog_tick; >0: an internal non-RT thread ticks at this period (..=1000000).
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
    /// DLT log level of critical-stream records (default RTLOG_DLT_LEVEL_ERROR).
    pub dlt_level_critical: RawDltLevel,
    /// DLT log level of normal-stream records (default RTLOG_DLT_LEVEL_INFO).
    pub dlt_level_normal: RawDltLevel,
}

/// A statistics snapshot, filled by rtlog_get_stats. Arrays are indexed by rtlog_stream.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct rtlog_stats {
    /// Records accepted (RTLOG_OK) per stream.
    pub published: [u64; 2],
    /// Records refused with RTLOG_ERR_FULL per stream.
    pub dropped: [u64; 2],
    /// Records moved by ticks to the writer per stream.
    pub dispatched: [u64; 2],
    /// Records written to segment files.
    pub persisted: u64,
    /// Bytes written to segment files.
    pub bytes_written: u64,
    /// Highest log sequence number durable under the durability mode.
    pub durable_lsn: u64,
    /// Current state (as rtlog_get_state).
    pub state: rtlog_state,
    /// The epoch of this logger (1 for a new directory, +1 per restart).
    pub epoch: u32,
    /// Records lost by failed writes or syncs (those lost by a failed fdatasync had been
    /// written: persisted counts them too).
    pub lost: u64,
    /// Failed writes (including segment creation).
    pub write_errors: u64,
    /// Failed fdatasync calls.
    pub sync_errors: u64,
    /// Bytes of a torn tail cut by recovery at rtlog_init.
    pub recovered_torn_bytes: u64,
    /// Successful fdatasync calls of segment files.
    pub syncs: u64,
    /// Segment files deleted by retention.
    pub segments_deleted: u64,
    /// errno of the last failed write or sync (0: none).
    pub last_errno: i32,
    /// State transitions so far.
    pub transitions: u32,
    /// Records written per stream.
    pub persisted_stream: [u64; 2],
    /// Records accepted but not yet persisted (nor lost): how far the writer is behind.
    pub lag: u64,
    /// Longest successful fdatasync, in nanoseconds.
    pub max_sync_ns: u64,
    /// Age in ns of the oldest record not yet persisted (those the writer holds, and those the last tick saw waiting in a ring); 0 when none.
    pub oldest_pending_age_ns: u64,
}

/// Statistics of one producer, filled by rtlog_producer_get_stats. Arrays are indexed by
/// rtlog_stream.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct rtlog_producer_stats {
    /// Records accepted per stream (the next record's seq).
    pub published: [u64; 2],
    /// Records refused (or overwritten) per stream.
    pub dropped: [u64; 2],
    /// Records durable per stream: every record with a lower seq is.
    pub durable: [u64; 2],
    /// Records waiting in the producer's ring per stream.
    pub in_ring: [u64; 2],
    /// The producer's id.
    pub id: u16,
}

/// One record read back from a log. payload points into the reader and stays valid until the
/// next call on that reader.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct rtlog_record {
    /// Log sequence number: position in the whole log, strictly increasing.
    pub lsn: u64,
    /// Sequence number in its producer's stream, from 0 in each epoch.
    pub seq: u64,
    /// CLOCK_MONOTONIC nanoseconds at publish.
    pub timestamp_ns: u64,
    /// Epoch (one per rtlog_start on the directory).
    pub epoch: u32,
    /// Producer id (rtlog_producer_id).
    pub producer: u16,
    /// Record type given to rtlog_publish.
    pub r#type: u16,
    /// rtlog_stream value.
    pub stream: u8,
    /// Payload bytes (NULL when len is 0).
    pub payload: *const u8,
    /// Payload length.
    pub len: u32,
    /// What the record is (an rtlog_frame_kind value): RTLOG_FRAME_DATA for published records;
    /// rtlog_reader_next_frame also returns the others.
    pub kind: u8,
}

/// Kinds of records in a log (see docs/FORMAT.md for their payloads).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum rtlog_frame_kind {
    /// A record published by a producer.
    RTLOG_FRAME_DATA = 1,
    /// The start of an epoch (one per rtlog_start).
    RTLOG_FRAME_EPOCH_BEGIN = 2,
    /// The clean end of an epoch (rtlog_shutdown); an epoch without one crashed.
    RTLOG_FRAME_CLEAN_CLOSE = 3,
    /// The end of a rotated segment.
    RTLOG_FRAME_SEAL = 4,
    /// Records of a producer's stream were lost.
    RTLOG_FRAME_LOSS = 5,
    /// A supervisor state change: payload u8 from, u8 to, u16 0, u32 cause length, cause.
    RTLOG_FRAME_STATE = 6,
}

/// Filters for rtlog_reader_open_opts. Fill it with rtlog_reader_options_init (which matches
/// everything), then narrow it. struct_size works as in rtlog_config.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct rtlog_reader_options {
    /// sizeof(rtlog_reader_options), set by rtlog_reader_options_init.
    pub struct_size: u32,
    /// Only records of this stream (an rtlog_stream value), or -1 for both.
    pub stream: i32,
    /// Only records published at or after this wall-clock time (ns since the Unix epoch); 0: no bound.
    pub from_wall_ns: u64,
    /// Only records published at or before this wall-clock time; UINT64_MAX: no bound.
    pub to_wall_ns: u64,
    /// Only records with an LSN at or above this (0: no bound).
    pub lsn_from: u64,
    /// Only records with an LSN at or below this (UINT64_MAX: no bound).
    pub lsn_to: u64,
    /// Only records of the producer with this name, or NULL for all. Copied at open.
    pub producer: *const c_char,
    /// Only records of this type, or -1 for all types (0..=65535 selects one).
    pub r#type: i32,
}

/// What a reader has seen so far, filled by rtlog_reader_stats (the struct is named apart from the function, which C requires).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct rtlog_reader_counts {
    /// Valid data records read (matching the filters or not).
    pub records: u64,
    /// Records returned by rtlog_reader_next (those matching the filters).
    pub matched: u64,
    /// Segment files read.
    pub segments: u64,
    /// Segment files skipped because their header is invalid.
    pub bad_segments: u64,
    /// Damaged regions skipped inside segments (each followed by a valid record).
    pub corrupt_regions: u64,
    /// Bytes after the last valid record of segments (torn tails).
    pub torn_bytes: u64,
    /// Epochs seen.
    pub epochs: u64,
    /// Epochs without a clean-close record: crashed (or, for the last, still being written).
    pub crashed_epochs: u64,
}

/// DLT log levels (the values of libdlt's DltLogLevelType), for rtlog_config.dlt_level_*.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum rtlog_dlt_level {
    /// DLT_LOG_OFF: the stream's records are not forwarded to DLT at all (nor counted).
    RTLOG_DLT_LEVEL_OFF = 0,
    /// DLT_LOG_FATAL: fatal system error.
    RTLOG_DLT_LEVEL_FATAL = 1,
    /// DLT_LOG_ERROR: error with impact on correct functionality.
    RTLOG_DLT_LEVEL_ERROR = 2,
    /// DLT_LOG_WARN: correct behaviour could not be ensured.
    RTLOG_DLT_LEVEL_WARN = 3,
    /// DLT_LOG_INFO: informational.
    RTLOG_DLT_LEVEL_INFO = 4,
    /// DLT_LOG_DEBUG: debug.
    RTLOG_DLT_LEVEL_DEBUG = 5,
    /// DLT_LOG_VERBOSE: highest grade of information.
    RTLOG_DLT_LEVEL_VERBOSE = 6,
}

/// `rtlog_dlt_level` as it arrives from C.
#[repr(transparent)]
#[derive(Clone, Copy, Debug)]
pub struct RawDltLevel(pub u32);

/// The DLT sink's counters, filled by rtlog_dlt_get_stats. Every record offered to the sink is
/// counted once: offered = sent + queued + lost. Behind it is `crate::dlt::DltStats`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct rtlog_dlt_stats {
    /// 1 when dlt_enable is set; otherwise 0 and every other field 0.
    pub enabled: u32,
    /// 1 while the daemon's FIFO is open and the daemon was there at the last check (every 20 ms at most while idle).
    pub connected: u32,
    /// Data records handed to the DLT sink by the writer.
    pub offered: u64,
    /// Records written to the daemon as DLT log messages.
    pub sent: u64,
    /// Records waiting in the DLT queue now.
    pub queued: u64,
    /// Records that will never reach DLT: lost_queue_full + lost_too_large + lost_at_shutdown.
    pub lost: u64,
    /// Refused because the DLT queue (dlt_queue_records) was full: the daemon was away or slower than the writer.
    pub lost_queue_full: u64,
    /// Payload too large for one atomic FIFO write (over 4058 bytes).
    pub lost_too_large: u64,
    /// Still queued when rtlog_shutdown's drain ended (daemon away, or 2 s passed).
    pub lost_at_shutdown: u64,
    /// Loss markers sent: verbose WARN messages on the producer's context naming the lost seqs.
    pub loss_markers: u64,
    /// Successful connections to the daemon.
    pub connects: u64,
    /// Connections after the first one (the daemon came back).
    pub reconnects: u64,
    /// Connections lost (the daemon went away).
    pub disconnects: u64,
    /// errno of the last failed open or write of the FIFO (0: none).
    pub last_errno: i32,
}
