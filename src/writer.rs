//! The writer thread (non-RT): frames records, appends them to segment files in batches,
//! applies the durability policy, rotates segments and publishes the durable watermarks.
//!
//! Input comes from the dispatcher through an SPSC ring (the writer is its only consumer).
//! The writer polls: RT threads never wake it (a wake-up is a syscall); non-RT callers
//! (`flush`, `shutdown`) unpark it to cut latency.
//!
//! Watermarks: after each batch reaches the kernel (`NONE`, `FLUSH`) or each `fdatasync`
//! (`FSYNC`, `FSYNC_BATCH`), every producer's `durable[stream]` is raised to one past the last
//! seq covered, and `durable_lsn` to the last LSN covered. After a failed write or sync, the
//! affected records are never counted durable (no retry-and-pretend, see PostgreSQL's
//! "fsyncgate"): the segment is abandoned, writing continues in a new one, and the durable
//! counts of the producer streams that lost records stop advancing.

use crate::clock::Calibration;
use crate::config::Durability;
use crate::error::Error;
use crate::format::{
    FrameHeader, FrameKind, LossMarker, LossReason, SegmentHeader, NO_PRODUCER, NO_STREAM,
};
use crate::producer::ProducerShared;
use crate::ring::{RingConsumer, SlotHeader};
use crate::segment::{self, SegmentFile};
use parking_lot::Mutex;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Bytes buffered before a write in `NONE` mode; also the batch buffer's initial capacity.
const BATCH_BYTES: usize = 1 << 20;
/// Most input records framed before the durability policy is looked at again.
const ROUND_RECORDS: usize = 4096;
/// How long an idle writer sleeps before polling its input again.
const IDLE_POLL: Duration = Duration::from_micros(500);
/// How often a writer without a usable segment tries to open a new one.
const REOPEN_BACKOFF: Duration = Duration::from_millis(100);

/// What the writer reports to the rest of the logger.
#[derive(Default)]
pub(crate) struct WriterShared {
    /// Data records written to segment files (handed to the kernel).
    pub(crate) persisted: AtomicU64,
    /// Bytes written to segment files.
    pub(crate) bytes_written: AtomicU64,
    /// Highest LSN durable under the durability mode.
    pub(crate) durable_lsn: AtomicU64,
    /// Data records lost by failed writes or syncs.
    pub(crate) lost: AtomicU64,
    /// Failed writes (including segment creation).
    pub(crate) write_errors: AtomicU64,
    /// Failed `fdatasync` calls.
    pub(crate) sync_errors: AtomicU64,
    /// errno of the last failure.
    pub(crate) last_errno: AtomicI32,
    /// Text of the last failure.
    pub(crate) last_error: Mutex<Option<String>>,
    /// Bumped by `flush` to ask for an immediate write (and sync) of everything buffered.
    pub(crate) flush_requests: AtomicU64,
    /// Set by `shutdown` once nothing more will be dispatched.
    pub(crate) stop: AtomicBool,
}

impl WriterShared {
    fn fail(&self, counter: &AtomicU64, err: &Error) {
        counter.fetch_add(1, Ordering::Relaxed);
        let errno = err
            .message
            .rsplit("os error ")
            .next()
            .and_then(|s| s.trim_end_matches(')').parse().ok());
        self.last_errno
            .store(errno.unwrap_or(libc::EIO), Ordering::Relaxed);
        *self.last_error.lock() = Some(err.message.clone());
    }

    /// Write and sync failures so far.
    pub(crate) fn errors(&self) -> u64 {
        self.write_errors.load(Ordering::Relaxed) + self.sync_errors.load(Ordering::Relaxed)
    }
}

/// Everything the writer needs, gathered at `start`.
pub(crate) struct WriterSetup {
    pub(crate) dir: PathBuf,
    pub(crate) durability: Durability,
    pub(crate) batch_records: u32,
    pub(crate) batch_interval: Duration,
    pub(crate) segment_bytes: u64,
    pub(crate) max_payload: u32,
    pub(crate) epoch: u32,
    pub(crate) first_lsn: u64,
    pub(crate) first_segment: u64,
    pub(crate) calibration: Calibration,
    pub(crate) producers: Vec<Arc<ProducerShared>>,
    pub(crate) input: RingConsumer,
    pub(crate) shared: Arc<WriterShared>,
}

/// Per producer and stream: one past the highest seq in a range of frames (0: none).
type Marks = Vec<[u64; 2]>;

pub(crate) struct Writer {
    s: WriterSetup,
    segment: Option<SegmentFile>,
    next_segment: u64,
    last_reopen: Option<Instant>,
    batch: Vec<u8>,
    next_lsn: u64,
    /// Marks and last LSN of the frames in `batch`.
    batch_marks: Marks,
    batch_lsn: u64,
    batch_records: u64,
    /// Marks and last LSN written but not yet synced.
    written_marks: Marks,
    written_lsn: u64,
    /// Records buffered or written since the last sync, and when the first of them arrived.
    unsynced: u64,
    unsynced_since: Option<Instant>,
    /// Producer streams whose durable count must not advance anymore (records were lost).
    frozen: Vec<[bool; 2]>,
    epoch_records: u64,
    flush_seen: u64,
    /// Per producer and stream: the seq after the last data record seen, and how many refused
    /// records loss markers have reported so far.
    next_seq: Marks,
    reported_refused: Marks,
}

impl Writer {
    /// Opens the epoch's first segment and writes the epoch-begin frame, synced (INIT → RUN).
    pub(crate) fn open(s: WriterSetup) -> Result<Writer, Error> {
        let n = s.producers.len();
        let mut w = Writer {
            segment: None,
            next_segment: s.first_segment,
            last_reopen: None,
            batch: Vec::with_capacity(
                BATCH_BYTES + crate::format::frame_bytes(s.max_payload as usize),
            ),
            next_lsn: s.first_lsn,
            batch_marks: vec![[0; 2]; n],
            batch_lsn: 0,
            batch_records: 0,
            written_marks: vec![[0; 2]; n],
            written_lsn: 0,
            unsynced: 0,
            unsynced_since: None,
            frozen: vec![[false; 2]; n],
            epoch_records: 0,
            flush_seen: 0,
            next_seq: vec![[0; 2]; n],
            reported_refused: vec![[0; 2]; n],
            s,
        };
        w.open_segment()?;
        let mut begin = [0u8; 8];
        begin[..4].copy_from_slice(&std::process::id().to_le_bytes());
        begin[4..].copy_from_slice(&(w.s.durability as u32).to_le_bytes());
        w.push_boundary(FrameKind::EpochBegin, &begin);
        w.write_batch();
        w.sync();
        if w.s.shared.errors() > 0 {
            let msg = w.s.shared.last_error.lock().clone().unwrap_or_default();
            return Err(Error::new(crate::Status::Io, msg));
        }
        Ok(w)
    }

    fn open_segment(&mut self) -> Result<(), Error> {
        let producers = self
            .s
            .producers
            .iter()
            .map(|p| (p.id, p.name.clone()))
            .collect();
        let cal = self.s.calibration;
        let header = SegmentHeader {
            index: self.next_segment,
            first_lsn: self.next_lsn,
            salt: segment::random_u64(),
            epoch: self.s.epoch,
            max_payload: self.s.max_payload,
            realtime_ns: crate::clock::realtime_ns(),
            monotonic_ns: crate::clock::monotonic_ns(),
            tsc_hz: cal.tsc_hz,
            producers,
        };
        // Advance first: a failed create may leave a file behind that must not be reused.
        self.next_segment += 1;
        let seg = SegmentFile::create(&self.s.dir, header)?;
        self.segment = Some(seg);
        Ok(())
    }

    /// The writer thread's loop; returns after `stop` once everything is written.
    pub(crate) fn run(mut self) {
        loop {
            let stop = self.s.shared.stop.load(Ordering::Acquire);
            let flush = self.s.shared.flush_requests.load(Ordering::Acquire);
            let moved = self.take_input();
            let urgent = stop || flush != self.flush_seen;
            self.apply_policy(urgent);
            self.flush_seen = flush;
            if stop && self.s.input.is_empty() {
                break;
            }
            if moved == 0 {
                std::thread::park_timeout(self.idle_wait());
            }
        }
        self.finish();
    }

    fn idle_wait(&self) -> Duration {
        match self.unsynced_since {
            Some(t) if self.s.durability == Durability::FsyncBatch => self
                .s
                .batch_interval
                .saturating_sub(t.elapsed())
                .min(IDLE_POLL),
            _ => IDLE_POLL,
        }
    }

    /// Frames up to `ROUND_RECORDS` input records into the batch.
    fn take_input(&mut self) -> usize {
        let mut n = 0;
        while n < ROUND_RECORDS {
            let Some((h, payload)) = self.s.input.peek() else {
                break;
            };
            let h: SlotHeader = *h;
            // The payload borrows the input ring; copy it into the batch before popping.
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
            };
            // Rotation, a full batch or a loss marker may come first; they need `&mut self`,
            // so the payload borrow ends here and the record is peeked again (it cannot have
            // moved: this thread is the ring's only consumer).
            let payload_len = payload.len();
            if h.lost_before > 0 {
                self.push_loss(h.producer, h.stream, u64::from(h.lost_before), h.seq);
            }
            self.reserve_frame(payload_len);
            let payload = self.s.input.peek().map_or(&[][..], |(_, p)| p);
            let salt = self.segment.as_ref().map_or(0, |s| s.header.salt);
            self.batch_lsn = append(&mut self.batch, &mut self.next_lsn, salt, frame, payload);
            self.s.input.pop();
            let p = usize::from(h.producer);
            if let Some(next) = self.next_seq.get_mut(p) {
                next[usize::from(h.stream & 1)] = h.seq + 1;
            }
            if let Some(m) = self.batch_marks.get_mut(p) {
                m[usize::from(h.stream & 1)] = h.seq + 1;
            }
            self.batch_records += 1;
            self.unsynced += 1;
            self.unsynced_since.get_or_insert_with(Instant::now);
            n += 1;
        }
        n
    }

    /// Makes room for a frame: writes the batch when it is full, rotates when the segment
    /// would exceed `segment_bytes`.
    fn reserve_frame(&mut self, payload_len: usize) {
        let need = crate::format::frame_bytes(payload_len);
        if self.batch.len() + need > BATCH_BYTES {
            self.write_batch();
        }
        let Some(seg) = &self.segment else { return };
        let seal = crate::format::frame_bytes(8);
        let used = seg.size + self.batch.len() as u64;
        let has_frames = used > seg.header.encoded_len() as u64;
        if has_frames && used + (need + seal) as u64 > self.s.segment_bytes {
            self.rotate();
        }
    }

    fn push_boundary(&mut self, kind: FrameKind, payload: &[u8]) {
        let frame = FrameHeader {
            payload_len: payload.len() as u32,
            timestamp_ns: crate::clock::monotonic_ns(),
            epoch: self.s.epoch,
            producer: NO_PRODUCER,
            stream: NO_STREAM,
            kind: kind as u8,
            ..FrameHeader::default()
        };
        let salt = self.segment.as_ref().map_or(0, |s| s.header.salt);
        self.batch_lsn = append(&mut self.batch, &mut self.next_lsn, salt, frame, payload);
    }

    /// A loss marker for `count` records of a producer's stream refused just before `seq`.
    fn push_loss(&mut self, producer: u16, stream: u8, count: u64, seq: u64) {
        if let Some(r) = self.reported_refused.get_mut(usize::from(producer)) {
            r[usize::from(stream & 1)] += count;
        }
        let marker = LossMarker {
            count,
            first_seq: seq,
            last_seq: seq,
            reason: LossReason::Refused,
        };
        let payload = marker.encode();
        self.reserve_frame(payload.len());
        let frame = FrameHeader {
            payload_len: payload.len() as u32,
            seq,
            timestamp_ns: crate::clock::monotonic_ns(),
            epoch: self.s.epoch,
            producer,
            stream,
            kind: FrameKind::Loss as u8,
            ..FrameHeader::default()
        };
        let salt = self.segment.as_ref().map_or(0, |s| s.header.salt);
        self.batch_lsn = append(&mut self.batch, &mut self.next_lsn, salt, frame, &payload);
    }

    /// Loss markers for refusals that no later accepted record carried (at the end of the
    /// epoch, when every ring is drained, so the producers' counters are final).
    fn report_trailing_losses(&mut self) {
        for i in 0..self.s.producers.len() {
            for stream in crate::producer::Stream::ALL {
                let s = stream as usize;
                let total = self.s.producers[i].dropped(stream);
                let missing = total.saturating_sub(self.reported_refused[i][s]);
                if missing > 0 {
                    let seq = self.next_seq[i][s];
                    self.push_loss(i as u16, s as u8, missing, seq);
                }
            }
        }
    }

    /// Seals the current segment and opens the next one.
    fn rotate(&mut self) {
        let records = self.segment.as_ref().map_or(0, |s| s.data_records) + self.batch_records;
        self.push_boundary(FrameKind::Seal, &records.to_le_bytes());
        self.write_batch();
        if self.s.durability.syncs() {
            self.sync();
        }
        self.segment = None;
        self.reopen();
    }

    fn reopen(&mut self) {
        if let Some(t) = self.last_reopen {
            if t.elapsed() < REOPEN_BACKOFF {
                return;
            }
        }
        self.last_reopen = Some(Instant::now());
        if let Err(e) = self.open_segment() {
            self.s.shared.fail(&self.s.shared.write_errors, &e);
        } else {
            self.last_reopen = None;
        }
    }

    /// Writes the batch (if any) and, for `NONE`/`FLUSH`, publishes the watermarks.
    fn write_batch(&mut self) {
        if self.batch.is_empty() {
            return;
        }
        if self.segment.is_none() {
            self.reopen();
        }
        let result = match &mut self.segment {
            Some(seg) => seg
                .append(&self.batch)
                .map(|()| seg.data_records += self.batch_records),
            None => Err(Error::new(crate::Status::Io, "no segment file is open")),
        };
        match result {
            Ok(()) => {
                let sh = &self.s.shared;
                sh.persisted
                    .fetch_add(self.batch_records, Ordering::Relaxed);
                sh.bytes_written
                    .fetch_add(self.batch.len() as u64, Ordering::Relaxed);
                self.epoch_records += self.batch_records;
                merge(&mut self.written_marks, &mut self.batch_marks);
                self.written_lsn = self.batch_lsn;
                if !self.s.durability.syncs() {
                    self.unsynced = 0;
                    self.unsynced_since = None;
                    self.publish_watermarks();
                }
            }
            Err(e) => {
                let shared = self.s.shared.clone();
                shared.fail(&shared.write_errors, &e);
                self.lose_unsynced();
            }
        }
        self.batch.clear();
        self.batch_records = 0;
    }

    /// `fdatasync` of the current segment, then publication of what it covered.
    fn sync(&mut self) {
        let Some(seg) = &mut self.segment else { return };
        match seg.sync() {
            Ok(()) => {
                self.unsynced = 0;
                self.unsynced_since = None;
                self.publish_watermarks();
            }
            Err(e) => {
                let shared = self.s.shared.clone();
                shared.fail(&shared.sync_errors, &e);
                self.lose_unsynced();
            }
        }
    }

    /// After a failed write or sync: nothing written since the last good sync may be counted
    /// durable. The segment is abandoned (the next write opens a new one), and the producer
    /// streams involved stop advancing their durable counts.
    fn lose_unsynced(&mut self) {
        for (i, (w, b)) in self
            .written_marks
            .iter_mut()
            .zip(&mut self.batch_marks)
            .enumerate()
        {
            for s in 0..2 {
                if w[s] != 0 || b[s] != 0 {
                    self.frozen[i][s] = true;
                }
            }
            *w = [0; 2];
            *b = [0; 2];
        }
        // Sync modes lose everything since the last good sync; the others only the batch.
        let lost = if self.s.durability.syncs() {
            self.unsynced
        } else {
            self.batch_records
        };
        self.s.shared.lost.fetch_add(lost, Ordering::Relaxed);
        self.unsynced = 0;
        self.unsynced_since = None;
        self.segment = None;
    }

    fn publish_watermarks(&mut self) {
        let streams = self
            .written_marks
            .iter_mut()
            .zip(&self.frozen)
            .zip(&self.s.producers);
        for ((marks, frozen), producer) in streams {
            for ((mark, frozen), durable) in marks.iter_mut().zip(frozen).zip(&producer.durable) {
                if *mark != 0 && !frozen {
                    durable.store(*mark, Ordering::Release);
                }
                *mark = 0;
            }
        }
        if self.written_lsn != 0 {
            self.s
                .shared
                .durable_lsn
                .store(self.written_lsn, Ordering::Release);
        }
    }

    /// Writes and syncs as the durability mode asks. `urgent`: a flush or stop is waiting.
    fn apply_policy(&mut self, urgent: bool) {
        let write_now = match self.s.durability {
            Durability::None => urgent || self.batch.len() >= BATCH_BYTES / 2,
            _ => true,
        };
        if write_now {
            self.write_batch();
        }
        let sync_now = match self.s.durability {
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

    /// Clean close: the clean-close frame, then a final write and sync in every mode.
    fn finish(mut self) {
        self.report_trailing_losses();
        self.push_boundary(FrameKind::CleanClose, &self.epoch_records.to_le_bytes());
        self.write_batch();
        self.sync();
    }
}

/// Encodes a frame at the end of `batch` with the next LSN; returns that LSN.
fn append(
    batch: &mut Vec<u8>,
    next_lsn: &mut u64,
    salt: u64,
    mut frame: FrameHeader,
    payload: &[u8],
) -> u64 {
    frame.lsn = *next_lsn;
    *next_lsn += 1;
    frame.encode_into(salt, payload, batch);
    frame.lsn
}

/// Raises `into` by `from` and clears `from`.
fn merge(into: &mut Marks, from: &mut Marks) {
    for (a, b) in into.iter_mut().zip(from.iter_mut()) {
        for s in 0..2 {
            if b[s] != 0 {
                a[s] = b[s];
            }
            b[s] = 0;
        }
    }
}
