//! The writer thread (non-RT): frames records, appends them to segment files in batches,
//! applies the durability policy, rotates segments, applies retention and publishes the
//! durable watermarks.
//!
//! Input comes from the dispatcher through an SPSC ring (the writer is its only consumer).
//! The writer polls: RT threads never wake it (a wake-up is a syscall); non-RT callers
//! (`flush`, `shutdown`) unpark it to cut latency.
//!
//! Watermarks: after each batch reaches the kernel (`NONE`, `FLUSH`) or each `fdatasync`
//! (`FSYNC`, `FSYNC_BATCH`), every producer's `durable[stream]` is raised to one past the last
//! seq covered, and `durable_lsn` to the last LSN covered.
//!
//! Failures (PostgreSQL's "fsyncgate" lesson: a failed fsync may have dropped dirty pages, so
//! retrying it and reporting success would be a lie): after a failed write or sync, nothing
//! written since the last good sync is ever counted durable. The segment is sealed as suspect
//! (best effort) and abandoned; the producer streams involved stop advancing their durable
//! counts; loss markers for the affected sequence numbers open the next segment; writing
//! continues only in a new segment whose creation and sync succeed.

use crate::config::Durability;
use crate::dlt::DltFeed;
use crate::error::{Error, Status};
use crate::format::message::{self as msg, CallSite};
use crate::format::{
    self, CleanClose, EpochBegin, FrameHeader, FrameKind, FrameSalt, Level, LossMarker, LossReason,
    Seal, SegmentHeader, StateChange, NO_PRODUCER, NO_STREAM, SEAL_SUSPECT,
};
use crate::rt::clock::{self, Calibration};
use crate::rt::message::{self as slot_msg, CallSiteDesc, SLOT_PACKED, SLOT_WORDS};
use crate::rt::producer::{ProducerShared, Stream};
use crate::rt::ring::{RingConsumer, SlotHeader};
use crate::rt::watermark::Watermark;
use crate::state::State;
use crate::storage::retention::Limits;
use crate::storage::segment;
use crate::storage::Backend;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::ffi::CStr;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often the writer applies retention when it does not rotate: an expired segment is gone
/// within this period (plus a round), even in a log that is idle or rotates rarely.
const RETENTION_PERIOD: Duration = Duration::from_secs(1);
/// Bytes buffered before a write in `NONE` mode; also the batch buffer's initial capacity.
const BATCH_BYTES: usize = 1 << 20;
/// Most input records framed before the durability policy is looked at again.
const ROUND_RECORDS: usize = 4096;
/// How long an idle writer sleeps before polling its input again.
const IDLE_POLL: Duration = Duration::from_micros(500);
/// Longest wait between two attempts to open a new segment while opening keeps failing. The
/// first retry is immediate (a transient error costs nothing), then the wait doubles from
/// 1 ms, so a dead disk costs a few attempts per second, not a busy loop.
const REOPEN_BACKOFF_MAX: Duration = Duration::from_secs(1);
/// "No sequence number" in a `Marks` entry of first seqs.
const NONE: u64 = u64::MAX;

/// What the writer reports to the rest of the logger.
#[derive(Default)]
pub(crate) struct WriterShared {
    /// Data records written to segment files (handed to the kernel).
    pub(crate) persisted: AtomicU64,
    /// Bytes written to segment files.
    pub(crate) bytes_written: AtomicU64,
    /// Highest LSN durable under the durability mode.
    pub(crate) durable_lsn: Watermark,
    /// Data records lost by failed writes or syncs.
    pub(crate) lost: AtomicU64,
    /// Of `lost`, those that had been written (a sync failed after them): `persisted` counts
    /// them too, so the lag subtracts them once only.
    pub(crate) lost_written: AtomicU64,
    /// Failed writes (including segment creation).
    pub(crate) write_errors: AtomicU64,
    /// Failed `fdatasync` calls.
    pub(crate) sync_errors: AtomicU64,
    /// Successful `fdatasync` calls.
    pub(crate) syncs: AtomicU64,
    /// Segments deleted by retention.
    pub(crate) segments_deleted: AtomicU64,
    /// Bytes the last retention pass kept because they are not shipped yet
    /// (`retention_keep_unshipped`).
    pub(crate) retention_unshipped_bytes: AtomicU64,
    /// errno of the last failure.
    pub(crate) last_errno: AtomicI32,
    /// Text of the last failure.
    pub(crate) last_error: Mutex<Option<String>>,
    /// Bumped by `flush` to ask for an immediate write (and sync) of everything buffered.
    pub(crate) flush_requests: AtomicU64,
    /// Set by `shutdown` once nothing more will be dispatched.
    pub(crate) stop: AtomicBool,
    /// State changes from the supervisor, to be written as state frames.
    pub(crate) state_changes: Mutex<Vec<(State, State, String)>>,
    /// Data records written per stream.
    pub(crate) persisted_stream: [AtomicU64; 2],
    /// Longest successful `fdatasync`, in ns.
    pub(crate) max_sync_ns: AtomicU64,
    /// Raw timestamp of the oldest record taken but not yet persisted under the durability
    /// mode (0: none).
    pub(crate) oldest_pending_raw: AtomicU64,
    /// Rounds of the writer's loop begun: the heartbeat the supervisor watches. A writer
    /// blocked in a `write()` or an `fdatasync` does not move it.
    pub(crate) heartbeat: AtomicU64,
    /// Set when the writer thread ends, also by a panic (a guard sets it while unwinding).
    pub(crate) exited: AtomicBool,
    /// Set by a shutdown that gave up waiting: a writer that wakes up later writes nothing
    /// more (the directory may belong to another logger by then).
    pub(crate) abandoned: AtomicBool,
    /// A shutdown that gave up waiting leaves the directory's lock here: the writer thread
    /// releases it when it ends, so no other logger writes the directory while a write of this
    /// one may still land.
    pub(crate) dir_lock: Mutex<Option<crate::storage::dir::DirLock>>,
}

/// Ends the writer thread's life on every path, panics included: marks it exited and releases
/// the directory's lock if a shutdown left it here.
struct ExitGuard(Arc<WriterShared>);

impl Drop for ExitGuard {
    fn drop(&mut self) {
        self.0.exited.store(true, Ordering::Release);
        self.0.dir_lock.lock().take();
    }
}

impl WriterShared {
    fn fail(&self, counter: &AtomicU64, err: &Error) {
        counter.fetch_add(1, Ordering::Relaxed);
        self.last_errno.store(err.errno.unwrap_or(libc::EIO), Ordering::Relaxed);
        *self.last_error.lock() = Some(err.message.clone());
    }

    /// Data records the writer is done with: persisted or lost, each counted once.
    pub(crate) fn settled(&self) -> u64 {
        let persisted = self.persisted.load(Ordering::Relaxed);
        let lost = self.lost.load(Ordering::Relaxed);
        (persisted + lost).saturating_sub(self.lost_written.load(Ordering::Relaxed))
    }

    /// Write and sync failures so far.
    pub(crate) fn errors(&self) -> u64 {
        self.write_errors.load(Ordering::Relaxed) + self.sync_errors.load(Ordering::Relaxed)
    }
}

/// Everything the writer needs, gathered at `start`.
pub(crate) struct WriterSetup {
    pub(crate) durability: Durability,
    /// The critical stream's mode: `durability` or a stronger one.
    pub(crate) critical_durability: Durability,
    pub(crate) batch_records: u32,
    pub(crate) batch_interval: Duration,
    /// `None`/`Flush`: the longest an accepted record waits in the batch (zero: no limit).
    pub(crate) max_write_delay: Duration,
    /// Seal the active segment once it is this old (zero: never).
    pub(crate) segment_max_age: Duration,
    pub(crate) segment_bytes: u64,
    pub(crate) preallocate: bool,
    pub(crate) retention: Limits,
    pub(crate) max_payload: u32,
    pub(crate) epoch: u32,
    pub(crate) first_lsn: u64,
    pub(crate) first_segment: u64,
    pub(crate) calibration: Calibration,
    pub(crate) producers: Vec<Arc<ProducerShared>>,
    /// The record types registered during INIT, for every segment header's type table.
    pub(crate) types: Vec<format::TypeEntry>,
    /// The level of each record type's frames, by type id.
    pub(crate) type_levels: Box<[Level]>,
    pub(crate) input: RingConsumer,
    pub(crate) shared: Arc<WriterShared>,
    pub(crate) backend: Box<dyn Backend>,
    /// The DLT sink's queue, when DLT is enabled: every data record taken is offered to it.
    pub(crate) dlt: Option<DltFeed>,
}

/// What the writer knows of the segment it is writing.
struct OpenSegment {
    header: SegmentHeader,
    /// Its salt's CRC, the start of every frame's CRC.
    salt: FrameSalt,
    /// Bytes in it, header included.
    size: u64,
    /// Data records in it.
    data_records: u64,
    /// When it was created (for `segment_max_age`).
    opened: Instant,
    /// The call sites whose frame it holds, by id (index `id - 1`).
    has_callsite: Vec<bool>,
}

/// Hashes a call site's address for [`CallSites`]: one multiplication. SipHash, the default,
/// resists keys chosen by an attacker, which addresses of static call sites are not, and it
/// took 6 % of the writer's samples in the message benchmark (docs/PERFORMANCE.md).
#[derive(Default)]
struct AddressHasher(u64);

impl Hasher for AddressHasher {
    fn finish(&self) -> u64 {
        // Back into the low bits too: hashbrown picks the bucket from them, and an address's
        // low bits are zero (alignment), so the product's low bits are as well.
        self.0 ^ (self.0 >> 29)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u64(&mut self, v: u64) {
        // Fibonacci hashing: the multiplier spreads the address's middle bits, which differ
        // between call sites, into the top bits, which hashbrown uses.
        self.0 = (self.0 ^ v).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// The epoch's call sites: ids given in order of first appearance, from 1.
#[derive(Default)]
struct CallSites {
    by_address: HashMap<u64, u32, BuildHasherDefault<AddressHasher>>,
    /// Per id (index `id - 1`): the call-site frame's payload and its messages' level.
    frames: Vec<(Vec<u8>, Level)>,
    /// Per id: the argument count and types, which a packed message's slot leaves out
    /// (`message::SLOT_PACKED`) and its frame carries.
    arg_heads: Vec<Vec<u8>>,
}

impl CallSites {
    /// The id of the call site at `address`, registering it on first sight.
    ///
    /// # Safety
    /// `address` is that of a live `CallSiteDesc` (a producer packed it; the publish contract
    /// keeps call sites alive while the logger runs).
    unsafe fn resolve(&mut self, address: u64) -> u32 {
        if let Some(&id) = self.by_address.get(&address) {
            return id;
        }
        let id = self.frames.len() as u32 + 1;
        // SAFETY: the caller's contract.
        let desc = unsafe { &*(address as usize as *const CallSiteDesc) };
        let site = describe(id, desc);
        let mut arg_head = vec![site.arg_types.len() as u8];
        arg_head.extend(site.arg_types.iter().map(|&t| t as u8));
        self.arg_heads.push(arg_head);
        self.frames.push((site.encode(), site.level));
        self.by_address.insert(address, id);
        id
    }
}

/// A words message's values packed (`rt::message::SLOT_WORDS`): the buffer and the bytes of it
/// used. `words` are the slot's bytes after the call site's address; `types` the call site's.
fn pack_slot_words(types: &[u8], words: &[u8]) -> ([u8; slot_msg::WORDS * 8], usize) {
    let mut w = [0u64; slot_msg::WORDS];
    for (word, bytes) in w.iter_mut().zip(words.chunks_exact(8)) {
        *word = u64::from_le_bytes(bytes.try_into().expect("chunks of 8 bytes"));
    }
    let mut out = [0u8; slot_msg::WORDS * 8];
    let len = slot_msg::pack_words(types, &w, &mut out);
    (out, len)
}

/// A call site's frame content, read from its static description.
fn describe(id: u32, d: &CallSiteDesc) -> CallSite {
    let text = |p: *const u8| {
        if p.is_null() {
            return String::new();
        }
        // SAFETY: the call site's texts are NUL-terminated and live with it (its contract).
        unsafe { CStr::from_ptr(p.cast()) }.to_string_lossy().into_owned()
    };
    let argc = usize::from(d.arg_count).min(msg::MAX_ARGS);
    CallSite {
        id,
        line: d.line,
        level: Level::from_u8(d.level).unwrap_or(Level::Info),
        // The producer checked every type before it published.
        arg_types: d.arg_types[..argc].iter().filter_map(|&t| msg::ArgType::from_u8(t)).collect(),
        file: text(d.file),
        function: text(d.function),
        format: text(d.format),
    }
}

/// Per producer and stream: a sequence number (meaning depends on the field).
type Marks = Vec<[u64; 2]>;

pub(crate) struct Writer {
    s: WriterSetup,
    segment: Option<OpenSegment>,
    next_segment: u64,
    /// After a failed attempt to open a segment: when, and how long to wait before the next.
    reopen_wait: Option<(Instant, Duration)>,
    batch: Vec<u8>,
    next_lsn: u64,
    /// Last LSN in `batch`, data records in it, and per stream one past the last seq in it.
    batch_lsn: u64,
    batch_records: u64,
    batch_stream_records: [u64; 2],
    batch_marks: Marks,
    /// Written but not yet covered by a sync (sync modes): last LSN and marks.
    written_lsn: u64,
    written_marks: Marks,
    /// First seq per stream not yet covered (by a sync in sync modes, a write otherwise):
    /// what a failure loses. `NONE` when nothing is pending.
    pending_first: Marks,
    /// Critical records among them: while there are any, the critical stream's mode rules.
    pending_critical: u64,
    /// Data records pending in that sense, and when the first of them arrived.
    unsynced: u64,
    unsynced_since: Option<Instant>,
    /// Loss markers for records lost by a failure, written at the start of the next segment.
    pending_losses: Vec<(u16, u8, LossMarker)>,
    epoch_records: u64,
    flush_seen: u64,
    /// One past the last seq seen per stream, and refusals reported by loss markers so far.
    next_seq: Marks,
    reported_refused: Marks,
    callsites: CallSites,
    /// A message frame's payload, rewritten from its slot's.
    message: Vec<u8>,
    /// When the oldest frame of `batch` was framed (`None`: the batch is empty).
    batch_since: Option<Instant>,
    /// When retention last ran.
    retention_at: Instant,
}

impl Writer {
    /// Opens the epoch's first segment, applies retention and writes the epoch-begin frame,
    /// synced (INIT → RUN). Fails when that first segment cannot be created and synced.
    pub(crate) fn open(s: WriterSetup) -> Result<Writer, Error> {
        let n = s.producers.len();
        let mut w = Writer {
            segment: None,
            next_segment: s.first_segment,
            reopen_wait: None,
            batch: Vec::with_capacity(BATCH_BYTES + format::frame_bytes(s.max_payload as usize)),
            next_lsn: s.first_lsn,
            batch_lsn: 0,
            batch_records: 0,
            batch_stream_records: [0; 2],
            batch_marks: vec![[0; 2]; n],
            written_lsn: 0,
            written_marks: vec![[0; 2]; n],
            pending_first: vec![[NONE; 2]; n],
            pending_critical: 0,
            unsynced: 0,
            unsynced_since: None,
            pending_losses: Vec::new(),
            epoch_records: 0,
            flush_seen: 0,
            next_seq: vec![[0; 2]; n],
            reported_refused: vec![[0; 2]; n],
            callsites: CallSites::default(),
            message: Vec::new(),
            batch_since: None,
            retention_at: Instant::now(),
            s,
        };
        w.open_segment()?;
        w.apply_retention();
        let begin = EpochBegin { pid: std::process::id(), durability: w.s.durability as u32 };
        w.push_frame(boundary(FrameKind::EpochBegin), &begin.encode());
        w.write_batch();
        w.sync();
        if w.s.shared.errors() > 0 {
            let msg = w.s.shared.last_error.lock().clone().unwrap_or_default();
            return Err(Error::new(Status::Io, msg));
        }
        Ok(w)
    }

    fn open_segment(&mut self) -> Result<(), Error> {
        let producers = self.s.producers.iter().map(|p| (p.id, p.name.clone())).collect();
        let header = SegmentHeader {
            index: self.next_segment,
            first_lsn: self.next_lsn,
            salt: segment::random_u64(),
            epoch: self.s.epoch,
            max_payload: self.s.max_payload,
            realtime_ns: clock::realtime_ns(),
            monotonic_ns: clock::monotonic_ns(),
            tsc_hz: self.s.calibration.tsc_hz,
            producers,
            minor: format::FORMAT_MINOR,
            types: self.s.types.clone(),
        };
        // Advance first: a failed create may leave a file behind that must not be reused.
        self.next_segment += 1;
        let preallocate = if self.s.preallocate { self.s.segment_bytes } else { 0 };
        let encoded = header.encode();
        self.s.backend.create_segment(&header, &encoded, preallocate)?;
        self.segment = Some(OpenSegment {
            salt: FrameSalt::new(header.salt),
            header,
            size: encoded.len() as u64,
            data_records: 0,
            opened: Instant::now(),
            has_callsite: Vec::new(),
        });
        Ok(())
    }

    /// The writer thread's loop; returns after `stop` once everything is written.
    pub(crate) fn run(mut self) {
        let _exit = ExitGuard(self.s.shared.clone());
        loop {
            self.s.shared.heartbeat.fetch_add(1, Ordering::Relaxed);
            if self.s.shared.abandoned.load(Ordering::Acquire) {
                return;
            }
            let moved = self.step();
            if self.stopped() {
                break;
            }
            if moved == 0 {
                std::thread::park_timeout(self.idle_wait());
            }
        }
        self.finish();
    }

    /// Whether `stop` was requested and every input record has been taken.
    pub(crate) fn stopped(&mut self) -> bool {
        self.s.shared.stop.load(Ordering::Acquire) && self.s.input.is_empty()
    }

    /// One round of the loop: state frames, up to `ROUND_RECORDS` input records, then the
    /// durability policy. Returns the records taken. (Manual mode calls this directly.)
    pub(crate) fn step(&mut self) -> usize {
        let stop = self.s.shared.stop.load(Ordering::Acquire);
        let flush = self.s.shared.flush_requests.load(Ordering::Acquire);
        let changes = std::mem::take(&mut *self.s.shared.state_changes.lock());
        for (from, to, cause) in changes {
            let payload = StateChange::encode(from as u8, to as u8, &cause);
            let frame = FrameHeader { level: state_level(to) as u8, ..boundary(FrameKind::State) };
            self.push_frame(frame, &payload);
        }
        let moved = self.take_input();
        if let Some(d) = &mut self.s.dlt {
            d.notify();
        }
        if !self.batch.is_empty() {
            self.batch_since.get_or_insert_with(Instant::now);
        }
        let urgent = stop || flush != self.flush_seen;
        self.apply_policy(urgent);
        self.flush_seen = flush;
        self.housekeeping();
        moved
    }

    /// Whether retention also runs on the clock, not only at rotation: for the age limit, and
    /// with `keep_unshipped`, so that segments are freed as soon as the shipper has caught up
    /// rather than at the next rotation of a log that may rotate rarely.
    fn retention_on_clock(&self) -> bool {
        let limits = &self.s.retention;
        limits.age_s > 0 || (limits.keep_unshipped && limits.any())
    }

    /// What the clock asks for, busy or idle: sealing a segment older than
    /// `segment_max_age`, and retention every [`RETENTION_PERIOD`].
    fn housekeeping(&mut self) {
        let age = self.s.segment_max_age;
        let old = self.segment.as_ref().is_some_and(|seg| {
            !age.is_zero()
                && seg.opened.elapsed() >= age
                && seg.size > seg.header.encoded_len() as u64
        });
        if old {
            self.rotate(); // applies retention too
            self.retention_at = Instant::now();
        } else if self.retention_on_clock() && self.retention_at.elapsed() >= RETENTION_PERIOD {
            self.retention_at = Instant::now();
            self.apply_retention();
        }
    }

    fn idle_wait(&self) -> Duration {
        match self.unsynced_since {
            Some(t) if self.mode() == Durability::FsyncBatch => {
                self.s.batch_interval.saturating_sub(t.elapsed()).min(IDLE_POLL)
            }
            _ => IDLE_POLL,
        }
    }

    /// The mode that rules now: the critical stream's while a critical record is pending.
    fn mode(&self) -> Durability {
        if self.pending_critical > 0 {
            self.s.critical_durability
        } else {
            self.s.durability
        }
    }

    /// `None`/`Flush`: whether the oldest frame of the batch has waited `max_write_delay`.
    fn batch_too_old(&self) -> bool {
        let delay = self.s.max_write_delay;
        !delay.is_zero() && self.batch_since.is_some_and(|t| t.elapsed() >= delay)
    }

    /// Frames up to `ROUND_RECORDS` input records into the batch.
    fn take_input(&mut self) -> usize {
        let mut n = 0;
        while n < ROUND_RECORDS {
            let Some((h, payload)) = self.s.input.peek() else {
                break;
            };
            let h: SlotHeader = *h;
            let frame = FrameHeader {
                payload_len: payload.len() as u32,
                lsn: 0,
                seq: h.seq,
                timestamp_ns: self.s.calibration.to_ns(h.timestamp),
                epoch: self.s.epoch,
                producer: h.producer,
                record_type: h.record_type,
                stream: h.stream,
                kind: h.kind,
                level: self.s.type_levels[usize::from(h.record_type)] as u8,
            };
            if h.lost_before > 0 {
                self.push_refused(h.producer, h.stream, u64::from(h.lost_before), h.seq);
            }
            self.report_overwritten(h.producer, h.stream, h.seq);
            if let Some(d) = &mut self.s.dlt {
                // Offered before the backend sees it: DLT gets the record even when the
                // storage fails, and never waits for a batch write. (Messages are offered by
                // `take_message`, with their call site.)
                let payload = self.s.input.peek().map_or(&[][..], |(_, p)| p);
                if h.kind == FrameKind::Data as u8 {
                    let ns = SlotHeader { timestamp: frame.timestamp_ns, ..h };
                    d.offer(&ns, payload);
                }
            }
            if h.kind == FrameKind::Message as u8 {
                self.take_message(frame);
                n += 1;
                continue;
            }
            // Making room may write or rotate, which needs `&mut self`: the payload borrow
            // ended above, so the record is peeked again (it cannot have moved: this thread
            // is the ring's only consumer).
            self.reserve(format::frame_bytes(frame.payload_len as usize));
            if self.segment.is_none() {
                // No segment could be opened: a frame needs a segment's salt, so the record is
                // lost here, and a loss marker will say so once a segment opens again.
                self.s.input.pop();
                self.lose_record(h.producer, h.stream, h.seq);
                n += 1;
                continue;
            }
            let payload = self.s.input.peek().map_or(&[][..], |(_, p)| p);
            self.batch_lsn =
                encode(&mut self.batch, &mut self.next_lsn, &self.segment, frame, payload);
            self.s.input.pop();
            if self.unsynced == 0 {
                self.s.shared.oldest_pending_raw.store(h.timestamp, Ordering::Relaxed);
            }
            self.note_data(h.producer, h.stream, h.seq);
            n += 1;
        }
        n
    }

    /// Frames the message at the head of the input: its call site's frame first when the
    /// segment does not hold it yet, then the message with the call site's id in place of its
    /// address. Both go into the same segment.
    fn take_message(&mut self, mut frame: FrameHeader) {
        let Some((h, payload)) = self.s.input.peek() else { return };
        let h: SlotHeader = *h;
        let address = u64::from_le_bytes(payload[..msg::HEAD_BYTES].try_into().expect("8 bytes"));
        // SAFETY: the producer packed the address of a call site it had just read, and call
        // sites outlive the logger (the publish contract).
        let id = unsafe { self.callsites.resolve(address) };
        self.message.clear();
        if h.record_type == SLOT_PACKED {
            self.message.extend_from_slice(&payload[..msg::HEAD_BYTES]);
            self.message.extend_from_slice(&self.callsites.arg_heads[id as usize - 1]);
            self.message.extend_from_slice(&payload[msg::HEAD_BYTES..]);
            frame.record_type = 0;
        } else if h.record_type == SLOT_WORDS {
            let arg_head = &self.callsites.arg_heads[id as usize - 1];
            self.message.extend_from_slice(&payload[..msg::HEAD_BYTES]);
            self.message.extend_from_slice(arg_head);
            let values = pack_slot_words(&arg_head[1..], &payload[msg::HEAD_BYTES..]);
            self.message.extend_from_slice(&values.0[..values.1]);
            frame.record_type = 0;
        } else {
            self.message.extend_from_slice(payload);
        }
        frame.payload_len = self.message.len() as u32;
        msg::put_message_head(&mut self.message, id);
        let (site_frame, level) = &self.callsites.frames[id as usize - 1];
        frame.level = *level as u8;
        if let Some(d) = &mut self.s.dlt {
            // As for records: offered before the backend sees it.
            let ns = SlotHeader { timestamp: frame.timestamp_ns, ..h };
            d.offer_message(&ns, &self.message, site_frame);
        }
        let need = format::frame_bytes(site_frame.len()) + format::frame_bytes(self.message.len());
        self.reserve(need);
        let Some(seg) = &mut self.segment else {
            self.s.input.pop();
            self.lose_record(h.producer, h.stream, h.seq);
            return;
        };
        let index = id as usize - 1;
        if seg.has_callsite.len() <= index {
            seg.has_callsite.resize(index + 1, false);
        }
        if !seg.has_callsite[index] {
            seg.has_callsite[index] = true;
            let site = FrameHeader { level: frame.level, ..boundary(FrameKind::CallSite) };
            let site_frame = &self.callsites.frames[index].0;
            encode(&mut self.batch, &mut self.next_lsn, &self.segment, site, site_frame);
        }
        self.batch_lsn =
            encode(&mut self.batch, &mut self.next_lsn, &self.segment, frame, &self.message);
        self.s.input.pop();
        if self.unsynced == 0 {
            self.s.shared.oldest_pending_raw.store(h.timestamp, Ordering::Relaxed);
        }
        self.note_data(h.producer, h.stream, h.seq);
    }

    /// Bookkeeping for a data record just framed into the batch.
    fn note_data(&mut self, producer: u16, stream: u8, seq: u64) {
        let (p, s) = (usize::from(producer), usize::from(stream & 1));
        if let Some(next) = self.next_seq.get_mut(p) {
            next[s] = seq + 1;
            self.batch_marks[p][s] = seq + 1;
            if self.pending_first[p][s] == NONE {
                self.pending_first[p][s] = seq;
            }
        }
        self.batch_records += 1;
        self.batch_stream_records[s] += 1;
        self.unsynced += 1;
        if s == Stream::Critical as usize {
            self.pending_critical += 1;
        }
        self.unsynced_since.get_or_insert_with(Instant::now);
    }

    /// Makes room for a frame: writes the batch when it is full, opens a segment when none is
    /// usable, rotates when the segment would exceed `segment_bytes`. Frames are encoded with
    /// the open segment's salt, so this runs before each frame is encoded. `need`: the bytes
    /// of the frames about to be encoded together.
    fn reserve(&mut self, need: usize) {
        if self.batch.len() + need > BATCH_BYTES {
            self.write_batch();
        }
        if self.segment.is_none() {
            self.reopen();
            return;
        }
        let Some(seg) = &self.segment else { return };
        let seal = format::frame_bytes(16);
        let used = seg.size + self.batch.len() as u64;
        let has_frames = used > seg.header.encoded_len() as u64;
        if has_frames && used + (need + seal) as u64 > self.s.segment_bytes {
            self.rotate();
        }
    }

    /// Frames one non-data frame into the batch; false when no segment is open to take it.
    fn push_frame(&mut self, frame: FrameHeader, payload: &[u8]) -> bool {
        self.reserve(format::frame_bytes(payload.len()));
        if self.segment.is_none() {
            return false;
        }
        self.batch_lsn = encode(&mut self.batch, &mut self.next_lsn, &self.segment, frame, payload);
        true
    }

    /// A data record that could not be framed (no segment): counted lost, its stream's
    /// durable count frozen, and a loss marker queued (merged with the previous one when the
    /// seqs follow on).
    fn lose_record(&mut self, producer: u16, stream: u8, seq: u64) {
        let (p, s) = (usize::from(producer), usize::from(stream & 1));
        if p >= self.next_seq.len() {
            return;
        }
        self.next_seq[p][s] = seq + 1;
        self.s.producers[p].durable[s].freeze();
        self.s.shared.lost.fetch_add(1, Ordering::Relaxed);
        let last = self
            .pending_losses
            .iter_mut()
            .rev()
            .find(|(lp, ls, _)| (*lp, *ls) == (producer, stream));
        match last {
            Some((_, _, m)) if m.last_seq + 1 == seq => {
                m.last_seq = seq;
                m.count += 1;
            }
            _ => {
                let marker = LossMarker {
                    count: 1,
                    first_seq: seq,
                    last_seq: seq,
                    reason: LossReason::WriteFailed,
                };
                self.pending_losses.push((producer, stream, marker));
            }
        }
    }

    /// A loss marker for `count` records of a producer's stream refused just before `seq`.
    fn push_refused(&mut self, producer: u16, stream: u8, count: u64, seq: u64) {
        let marker =
            LossMarker { count, first_seq: seq, last_seq: seq, reason: LossReason::Refused };
        // Counted as reported only once framed; otherwise the end of the epoch reports it.
        if self.push_loss(producer, stream, marker) {
            if let Some(r) = self.reported_refused.get_mut(usize::from(producer)) {
                r[usize::from(stream & 1)] += count;
            }
        }
    }

    /// A loss marker for records an OVERWRITE_OLDEST ring reclaimed: they took seqs, so they
    /// show as a gap before `seq`.
    fn report_overwritten(&mut self, producer: u16, stream: u8, seq: u64) {
        let expected =
            self.next_seq.get(usize::from(producer)).map_or(seq, |n| n[usize::from(stream & 1)]);
        if seq > expected {
            let marker = LossMarker {
                count: seq - expected,
                first_seq: expected,
                last_seq: seq - 1,
                reason: LossReason::Overwritten,
            };
            self.push_loss(producer, stream, marker);
        }
    }

    fn push_loss(&mut self, producer: u16, stream: u8, marker: LossMarker) -> bool {
        let frame =
            FrameHeader { seq: marker.first_seq, producer, stream, ..boundary(FrameKind::Loss) };
        let framed = self.push_frame(frame, &marker.encode());
        if let Some(d) = &mut self.s.dlt {
            // Losses before the writer are DLT's losses too; those of failed writes are not
            // (the DLT sink got those records). An unframed refusal is reported again at the
            // end of the epoch, so it is passed on only once framed.
            let pass = match marker.reason {
                LossReason::Overwritten => true,
                LossReason::Refused => framed,
                LossReason::WriteFailed => false,
            };
            if pass {
                d.upstream_loss(producer, stream, &marker);
            }
        }
        framed
    }

    /// Loss markers for refusals that no later accepted record carried (at the end of the
    /// epoch, when every ring is drained, so the producers' counters are final).
    fn report_trailing_refusals(&mut self) {
        for i in 0..self.s.producers.len() {
            for stream in Stream::ALL {
                let s = stream as usize;
                let p = &self.s.producers[i];
                // Overwritten records (normal stream only) are reported as seq gaps instead.
                let overwritten = if stream == Stream::Normal { p.overwritten() } else { 0 };
                let refused = p.dropped(stream).saturating_sub(overwritten);
                let missing = refused.saturating_sub(self.reported_refused[i][s]);
                if missing > 0 {
                    self.push_refused(i as u16, s as u8, missing, self.next_seq[i][s]);
                }
            }
        }
    }

    /// Seals the current segment and opens the next one.
    fn rotate(&mut self) {
        let records = self.segment.as_ref().map_or(0, |s| s.data_records) + self.batch_records;
        let frame = boundary(FrameKind::Seal);
        let payload = Seal { records, flags: 0 }.encode();
        self.batch_lsn =
            encode(&mut self.batch, &mut self.next_lsn, &self.segment, frame, &payload);
        let syncs = self.mode().syncs();
        self.write_batch();
        if syncs {
            self.sync();
        }
        if let Err(e) = self.s.backend.close_segment() {
            let shared = self.s.shared.clone();
            shared.fail(&shared.write_errors, &e);
        }
        self.segment = None;
        self.reopen();
        self.apply_retention();
    }

    /// Opens a new segment (after a failure, with exponential backoff) and writes the loss
    /// markers that a failure left pending.
    fn reopen(&mut self) {
        if self.reopen_wait.is_some_and(|(t, wait)| t.elapsed() < wait) {
            return;
        }
        if let Err(e) = self.open_segment() {
            let wait = match self.reopen_wait {
                None => Duration::ZERO,
                Some((_, w)) => (w * 2).clamp(Duration::from_millis(1), REOPEN_BACKOFF_MAX),
            };
            self.reopen_wait = Some((Instant::now(), wait));
            let shared = self.s.shared.clone();
            shared.fail(&shared.write_errors, &e);
            return;
        }
        self.reopen_wait = None;
        for (producer, stream, marker) in std::mem::take(&mut self.pending_losses) {
            self.push_loss(producer, stream, marker);
        }
    }

    fn apply_retention(&mut self) {
        // The active segment counts at its full size: it grows until the next rotation, and
        // the byte limit must hold until then too.
        let active = self.segment.as_ref().map_or(0, |s| s.header.index);
        let limits = self.s.retention;
        match self.s.backend.apply_retention(&limits, active, self.s.segment_bytes) {
            Ok(applied) => {
                let shared = &self.s.shared;
                shared.segments_deleted.fetch_add(applied.deleted, Ordering::Relaxed);
                // A level, not a count: what the last pass kept for the shipper.
                shared
                    .retention_unshipped_bytes
                    .store(applied.kept_unshipped_bytes, Ordering::Relaxed);
            }
            Err(e) => {
                let shared = self.s.shared.clone();
                shared.fail(&shared.write_errors, &e);
            }
        }
    }

    /// Writes the batch (if any) and, for `NONE`/`FLUSH`, publishes the watermarks. Without a
    /// usable segment the batch is lost (its frames carry the salt of a segment that failed).
    fn write_batch(&mut self) {
        if self.batch.is_empty() || self.s.shared.abandoned.load(Ordering::Acquire) {
            return;
        }
        let result = match &mut self.segment {
            Some(seg) => self.s.backend.append(&self.batch).map(|()| {
                seg.size += self.batch.len() as u64;
                seg.data_records += self.batch_records;
            }),
            None => Err(Error::new(Status::Io, "no segment file could be opened")),
        };
        match result {
            Ok(()) => {
                let sh = &self.s.shared;
                sh.persisted.fetch_add(self.batch_records, Ordering::Relaxed);
                for (total, n) in sh.persisted_stream.iter().zip(&mut self.batch_stream_records) {
                    total.fetch_add(*n, Ordering::Relaxed);
                    *n = 0;
                }
                sh.bytes_written.fetch_add(self.batch.len() as u64, Ordering::Relaxed);
                self.epoch_records += self.batch_records;
                merge(&mut self.written_marks, &mut self.batch_marks);
                self.written_lsn = self.batch_lsn;
                self.batch.clear();
                self.batch_since = None;
                self.batch_records = 0;
                if !self.s.durability.syncs() {
                    if self.mode().syncs() {
                        // Written is durable for the normal stream, not for the critical
                        // records pending: those wait for the sync their mode asks for.
                        self.covered_normal();
                    } else {
                        self.covered();
                    }
                }
            }
            Err(e) => {
                let shared = self.s.shared.clone();
                shared.fail(&shared.write_errors, &e);
                self.lose_pending();
            }
        }
    }

    /// `fdatasync` of the current segment, then publication of what it covered.
    fn sync(&mut self) {
        if self.segment.is_none() || self.s.shared.abandoned.load(Ordering::Acquire) {
            return;
        }
        let started = Instant::now();
        match self.s.backend.sync() {
            Ok(()) => {
                let ns = started.elapsed().as_nanos() as u64;
                self.s.shared.max_sync_ns.fetch_max(ns, Ordering::Relaxed);
                self.s.shared.syncs.fetch_add(1, Ordering::Relaxed);
                self.covered();
            }
            Err(e) => {
                let shared = self.s.shared.clone();
                shared.fail(&shared.sync_errors, &e);
                self.lose_pending();
            }
        }
    }

    /// Normal records written so far are durable under their mode (`None`/`Flush`), while
    /// critical ones wait for a sync: publish the normal streams' counts only. The LSN
    /// watermark waits too (it covers every record below it).
    fn covered_normal(&mut self) {
        let s = Stream::Normal as usize;
        for first in &mut self.pending_first {
            first[s] = NONE;
        }
        for (marks, producer) in self.written_marks.iter_mut().zip(&self.s.producers) {
            if marks[s] != 0 {
                producer.durable[s].advance(marks[s]);
            }
            marks[s] = 0;
        }
    }

    /// Everything written so far is durable under the mode: publish the watermarks.
    fn covered(&mut self) {
        self.s.shared.oldest_pending_raw.store(0, Ordering::Relaxed);
        self.pending_critical = 0;
        self.unsynced = 0;
        self.unsynced_since = None;
        for first in &mut self.pending_first {
            *first = [NONE; 2];
        }
        for (marks, producer) in self.written_marks.iter_mut().zip(&self.s.producers) {
            for (mark, durable) in marks.iter_mut().zip(&producer.durable) {
                if *mark != 0 {
                    durable.advance(*mark); // ignored for a stream frozen by a loss
                }
                *mark = 0;
            }
        }
        if self.written_lsn != 0 {
            self.s.shared.durable_lsn.advance(self.written_lsn);
        }
    }

    /// After a failed write or sync: everything pending is lost. Freeze the durable counts of
    /// the streams involved, queue loss markers for their seq ranges, seal the segment as
    /// suspect (best effort) and abandon it.
    fn lose_pending(&mut self) {
        let mut lost = 0;
        for p in 0..self.pending_first.len() {
            for s in 0..2 {
                let first = std::mem::replace(&mut self.pending_first[p][s], NONE);
                if first == NONE {
                    continue;
                }
                let last = self.next_seq[p][s] - 1;
                self.s.producers[p].durable[s].freeze();
                let count = last - first + 1;
                lost += count;
                let marker = LossMarker {
                    count,
                    first_seq: first,
                    last_seq: last,
                    reason: LossReason::WriteFailed,
                };
                self.pending_losses.push((p as u16, s as u8, marker));
            }
        }
        self.s.shared.lost.fetch_add(lost, Ordering::Relaxed);
        // The batch not yet written is what `persisted` does not count.
        let written = lost.saturating_sub(self.batch_records);
        self.s.shared.lost_written.fetch_add(written, Ordering::Relaxed);
        self.s.shared.oldest_pending_raw.store(0, Ordering::Relaxed);
        for marks in self.written_marks.iter_mut().chain(self.batch_marks.iter_mut()) {
            *marks = [0; 2];
        }
        self.batch.clear();
        self.batch_since = None;
        self.batch_records = 0;
        self.batch_stream_records = [0; 2];
        self.pending_critical = 0;
        self.unsynced = 0;
        self.unsynced_since = None;
        if let Some(seg) = self.segment.take() {
            let mut seal = Vec::new();
            let payload = Seal { records: seg.data_records, flags: SEAL_SUSPECT }.encode();
            let frame = FrameHeader {
                lsn: self.next_lsn,
                epoch: seg.header.epoch,
                payload_len: payload.len() as u32,
                ..boundary(FrameKind::Seal)
            };
            self.next_lsn += 1;
            frame.encode_into(&seg.salt, &payload, &mut seal);
            // Best effort: the storage just failed, so these may fail too.
            let _ = self.s.backend.append(&seal);
            let _ = self.s.backend.close_segment();
        }
    }

    /// Writes and syncs as the durability mode asks. `urgent`: a flush or stop is waiting.
    fn apply_policy(&mut self, urgent: bool) {
        let mode = self.mode();
        let write_now = match mode {
            Durability::None => {
                urgent || self.batch.len() >= BATCH_BYTES / 2 || self.batch_too_old()
            }
            _ => true,
        };
        if write_now {
            self.write_batch();
        }
        let sync_now = match mode {
            Durability::None | Durability::Flush => false,
            Durability::Fsync => self.unsynced > 0,
            Durability::FsyncBatch => {
                self.unsynced > 0
                    && (urgent
                        || self.unsynced >= u64::from(self.s.batch_records)
                        || self
                            .unsynced_since
                            .is_some_and(|t| t.elapsed() >= self.s.batch_interval))
            }
        };
        if sync_now {
            self.sync();
        }
    }

    /// Clean close: trailing loss markers, the clean-close frame, then a final write and sync
    /// in every mode.
    pub(crate) fn finish(mut self) {
        if self.s.shared.abandoned.load(Ordering::Acquire) {
            return;
        }
        self.report_trailing_refusals();
        let close = CleanClose { records: self.epoch_records };
        self.push_frame(boundary(FrameKind::CleanClose), &close.encode());
        self.write_batch();
        self.sync();
        if self.segment.take().is_some() {
            if let Err(e) = self.s.backend.close_segment() {
                let shared = self.s.shared.clone();
                shared.fail(&shared.write_errors, &e);
            }
        }
        if let Some(d) = &mut self.s.dlt {
            d.finish();
        }
    }
}

/// The header of a frame that belongs to no producer.
/// Its level is `Warn` for loss markers and `Info` for the rest (a state frame's is set by the
/// state it enters, see [`state_level`]).
fn boundary(kind: FrameKind) -> FrameHeader {
    let level = if kind == FrameKind::Loss { Level::Warn } else { Level::Info };
    FrameHeader {
        timestamp_ns: clock::monotonic_ns(),
        producer: NO_PRODUCER,
        stream: NO_STREAM,
        kind: kind as u8,
        level: level as u8,
        ..FrameHeader::default()
    }
}

/// The level of the frame that logs a move into `to`: trouble is `Warn` (DEGRADED) or `Error`
/// (CRITICAL, SAFE), a recovery or a lifecycle step `Info`.
fn state_level(to: State) -> Level {
    match to {
        State::Degraded => Level::Warn,
        State::Critical | State::Safe => Level::Error,
        State::Init | State::Normal | State::Stopped => Level::Info,
    }
}

/// Encodes a frame at the end of `batch` with the next LSN and the open segment's epoch and
/// salt; returns the LSN.
fn encode(
    batch: &mut Vec<u8>,
    next_lsn: &mut u64,
    segment: &Option<OpenSegment>,
    mut frame: FrameHeader,
    payload: &[u8],
) -> u64 {
    frame.lsn = *next_lsn;
    *next_lsn += 1;
    frame.payload_len = payload.len() as u32;
    let (salt, epoch) =
        segment.as_ref().map_or((FrameSalt::new(0), frame.epoch), |s| (s.salt, s.header.epoch));
    frame.epoch = epoch;
    frame.encode_into(&salt, payload, batch);
    frame.lsn
}

/// Raises `into` by `from` and clears `from`.
fn merge(into: &mut Marks, from: &mut Marks) {
    for (a, b) in into.iter_mut().zip(from.iter_mut()) {
        for (a, b) in a.iter_mut().zip(b.iter_mut()) {
            if *b != 0 {
                *a = *b;
            }
            *b = 0;
        }
    }
}
