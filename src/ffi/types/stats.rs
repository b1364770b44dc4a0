//! The statistics structs that rtlog_get_stats, rtlog_producer_get_stats, rtlog_dlt_get_stats
//! and rtlog_reader_stats fill, and their translation from the core's counters.

use super::enums::rtlog_state;
use super::versioned::{version_size, Versioned};
use crate::dlt::DltStats;
use crate::logger::Stats;
use crate::reader::ReaderStats;
use crate::rt::producer::{Producer, Stream};
use crate::state::State;

/// A statistics snapshot, filled by rtlog_get_stats. Arrays are indexed by rtlog_stream.
/// Initialise it with rtlog_stats_init.
///
/// struct_size lets the struct grow without breaking the ABI: fields are only ever added at the
/// end, and the library writes only the first struct_size bytes (a caller built against an
/// older header gets the fields it knows; against a newer one, this library's fields, the rest
/// untouched).
///
/// Behind it: `crate::Stats`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct rtlog_stats {
    /// sizeof(rtlog_stats) of the caller's header, set by rtlog_stats_init: the library
    /// writes only the first struct_size bytes and leaves struct_size as it is.
    pub struct_size: u32,
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
    /// Messages below their producer's level threshold: not published, not dropped (0.3.0).
    pub filtered: u64,
    /// Faults signalled with rtlog_signal_fault that the supervisor took (0.3.0).
    pub faults_signalled: u64,
    /// The code of the last of them (0 before any) (0.3.0).
    pub last_fault_code: u32,
    /// The id of the producer that signalled it, or UINT32_MAX before any (0.3.0).
    pub last_fault_producer: u32,
    /// The threads the supervisor sees stalled now: 1 the writer (no progress for stall_timeout_ms with records pending, or its thread died), 2 the internal ticker; 0 none (0.3.0).
    pub stalled: u32,
    /// Bytes of segments that retention's limits would delete but keeps because rtlog ship has not had them acknowledged yet (retention_keep_unshipped; as of the last retention pass, at rotation); 0 without it (0.3.0).
    pub retention_unshipped_bytes: u64,
}

/// Statistics of one producer, filled by rtlog_producer_get_stats. Arrays are indexed by
/// rtlog_stream. Initialise it with rtlog_producer_stats_init; struct_size works as in
/// rtlog_stats.
///
/// Behind it: the counters of a `crate::Producer`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct rtlog_producer_stats {
    /// sizeof(rtlog_producer_stats) of the caller's header, set by rtlog_producer_stats_init: the
    /// library writes only the first struct_size bytes and leaves struct_size as it is.
    pub struct_size: u32,
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
    /// Messages below the producer's level threshold: not published, not dropped (0.3.0).
    pub filtered: u64,
}

/// What a reader has seen so far, filled by rtlog_reader_stats (the struct is named apart from the function, which C requires).
/// Initialise it with rtlog_reader_counts_init; struct_size works as in rtlog_stats.
///
/// Behind it: `crate::reader::ReaderStats`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct rtlog_reader_counts {
    /// sizeof(rtlog_reader_counts) of the caller's header, set by rtlog_reader_counts_init: the
    /// library writes only the first struct_size bytes and leaves struct_size as it is.
    pub struct_size: u32,
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

/// The DLT sink's counters, filled by rtlog_dlt_get_stats. Every record offered to the sink is
/// counted once: offered = sent + queued + lost. Initialise it with rtlog_dlt_stats_init;
/// struct_size works as in rtlog_stats. Behind it is `crate::dlt::DltStats`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct rtlog_dlt_stats {
    /// sizeof(rtlog_dlt_stats) of the caller's header, set by rtlog_dlt_stats_init: the
    /// library writes only the first struct_size bytes and leaves struct_size as it is.
    pub struct_size: u32,
    /// 1 when dlt_enable is set; otherwise 0 and every other field 0.
    pub enabled: u32,
    /// 1 while the daemon's FIFO is open and the daemon was there at the last check (every 20 ms at most while idle).
    pub connected: u32,
    /// Data records and log messages (RTLOG_LOGF and the level macros) handed to the DLT sink by the writer.
    pub offered: u64,
    /// Records written to the daemon as non-verbose DLT log messages, and log messages as verbose ones.
    pub sent: u64,
    /// Records waiting in the DLT queue now.
    pub queued: u64,
    /// Records that will never reach DLT: lost_queue_full + lost_too_large + lost_at_shutdown.
    pub lost: u64,
    /// Refused because the DLT queue (dlt_queue_records) was full: the daemon was away or slower than the writer.
    pub lost_queue_full: u64,
    /// Too large for one atomic FIFO write: a record's payload over 4058 bytes, a log message whose verbose form may exceed 4062 bytes.
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

impl From<&Stats> for rtlog_stats {
    fn from(s: &Stats) -> rtlog_stats {
        rtlog_stats {
            struct_size: std::mem::size_of::<rtlog_stats>() as u32,
            published: s.published,
            dropped: s.dropped,
            dispatched: s.dispatched,
            persisted: s.persisted,
            bytes_written: s.bytes_written,
            durable_lsn: s.durable_lsn,
            // `Logger::stats` always sets it; a default `Stats` has none.
            state: s.state.unwrap_or(State::Init).into(),
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
            filtered: s.filtered,
            faults_signalled: s.faults_signalled,
            last_fault_code: s.last_fault.map_or(0, |f| f.0),
            last_fault_producer: s.last_fault.map_or(u32::MAX, |f| u32::from(f.1)),
            stalled: s.stalled,
            retention_unshipped_bytes: s.retention_unshipped_bytes,
        }
    }
}

impl From<&Producer> for rtlog_producer_stats {
    /// Each counter read atomically (lock-free, no allocation).
    fn from(p: &Producer) -> rtlog_producer_stats {
        let per = |f: &dyn Fn(Stream) -> u64| [f(Stream::Critical), f(Stream::Normal)];
        rtlog_producer_stats {
            struct_size: std::mem::size_of::<rtlog_producer_stats>() as u32,
            published: per(&|s| p.published(s)),
            dropped: per(&|s| p.dropped(s)),
            durable: per(&|s| p.durable_count(s)),
            in_ring: per(&|s| p.in_ring(s)),
            id: p.id(),
            filtered: p.filtered(),
        }
    }
}

impl From<ReaderStats> for rtlog_reader_counts {
    fn from(s: ReaderStats) -> rtlog_reader_counts {
        rtlog_reader_counts {
            struct_size: std::mem::size_of::<rtlog_reader_counts>() as u32,
            records: s.records,
            matched: s.matched,
            segments: s.segments,
            bad_segments: s.bad_segments,
            corrupt_regions: s.corrupt_regions,
            torn_bytes: s.torn_bytes,
            epochs: s.epochs,
            crashed_epochs: s.unclosed_epochs,
        }
    }
}

impl From<DltStats> for rtlog_dlt_stats {
    fn from(s: DltStats) -> rtlog_dlt_stats {
        rtlog_dlt_stats {
            struct_size: std::mem::size_of::<rtlog_dlt_stats>() as u32,
            enabled: u32::from(s.enabled),
            connected: u32::from(s.connected),
            offered: s.offered,
            sent: s.sent,
            queued: s.queued,
            lost: s.lost,
            lost_queue_full: s.lost_queue_full,
            lost_too_large: s.lost_too_large,
            lost_at_shutdown: s.lost_at_shutdown,
            loss_markers: s.loss_markers,
            connects: s.connects,
            reconnects: s.reconnects,
            disconnects: s.disconnects,
            last_errno: s.last_errno,
        }
    }
}

impl Versioned for rtlog_stats {
    const NAME: &'static str = "rtlog_stats";
    /// 0.2.0 (the first with struct_size), 0.3.0.
    const SIZES: &'static [usize] = &[
        version_size!(rtlog_stats, oldest_pending_age_ns: u64),
        version_size!(rtlog_stats, stalled: u32),
        version_size!(rtlog_stats, retention_unshipped_bytes: u64),
    ];
}

impl Versioned for rtlog_producer_stats {
    const NAME: &'static str = "rtlog_producer_stats";
    /// 0.2.0, 0.3.0.
    const SIZES: &'static [usize] = &[
        version_size!(rtlog_producer_stats, id: u16),
        version_size!(rtlog_producer_stats, filtered: u64),
    ];
}

impl Versioned for rtlog_reader_counts {
    const NAME: &'static str = "rtlog_reader_counts";
    /// 0.2.0.
    const SIZES: &'static [usize] = &[version_size!(rtlog_reader_counts, crashed_epochs: u64)];
}

impl Versioned for rtlog_dlt_stats {
    const NAME: &'static str = "rtlog_dlt_stats";
    /// 0.2.0.
    const SIZES: &'static [usize] = &[version_size!(rtlog_dlt_stats, last_errno: i32)];
}
