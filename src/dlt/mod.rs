//! The DLT sink (non-RT): forwards every data record to a COVESA DLT daemon, beside the
//! configured backend, so a record goes to the log file *and* to DLT. Design in docs/DLT.md.
//!
//! ```text
//!   writer thread ──offer()──► DLT queue (SPSC ring, dlt_queue_records) ──► DLT thread ──► FIFO
//!   (DltFeed: memcpy, never                                                 (DltSender: connect,
//!    a system call)                                                          register, batch, send)
//! ```
//!
//! - The writer offers each record it takes from the dispatcher, before framing it for the
//!   backend; a full queue refuses the record, which is counted lost and reported by a loss
//!   marker in the DLT stream. The writer never waits for DLT and never makes a DLT system call.
//! - The DLT thread owns the connection. While the daemon is away it leaves records in the
//!   queue (that is the outage buffer, bounded by `dlt_queue_records`) and retries the FIFO with
//!   exponential backoff; once connected it registers the application and one context per
//!   producer, then sends the queue in batches of whole messages of at most `PIPE_BUF` bytes.
//! - Every record offered ends up counted exactly once: sent, queued (now), or lost (queue
//!   full, too large for one atomic FIFO write, or still queued when shutdown's drain timed out).

pub mod fifo;
pub mod protocol;
pub(crate) mod verbose;

use crate::error::{Error, Result, Status};
use crate::format::message::{self as msg, CallSite};
use crate::format::{FrameKind, LossMarker, LossReason, LOSS_MARKER_BYTES};
use crate::rt::ring::{self, RingConsumer, RingProducer, SlotHeader};
use fifo::{Fifo, Sent, PIPE_BUF};
use parking_lot::Mutex;
use protocol::{App, Id, Level, LogHeader, LossArgs};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::Thread;
use std::time::{Duration, Instant};
use verbose::Site;

/// First wait after a failed connection attempt; doubled after each failure up to
/// [`RECONNECT_MAX`]. libdlt's housekeeper thread retries on a similar scale.
pub const RECONNECT_MIN: Duration = Duration::from_millis(10);
/// Longest wait between two connection attempts.
pub const RECONNECT_MAX: Duration = Duration::from_secs(1);
/// How long shutdown keeps sending what is queued before counting the rest lost.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(2);
/// How often an idle DLT thread checks that the daemon is still there (for the state stat).
const IDLE_CHECK: Duration = Duration::from_millis(20);
/// Batches one step sends at most, so that a step is bounded.
const STEP_BATCHES: usize = 64;
/// Largest record payload that fits one atomic FIFO write as a non-verbose message.
pub const MAX_DLT_PAYLOAD: usize = PIPE_BUF - protocol::LOG_OVERHEAD;
/// Largest verbose payload (a log message's arguments) that fits one atomic FIFO write.
pub const MAX_VERBOSE_PAYLOAD: usize =
    PIPE_BUF - protocol::USER_HEADER_BYTES - protocol::DLT_HEADER_BYTES;
/// Largest accepted `dlt_queue_records`.
pub const MAX_QUEUE_RECORDS: u32 = 1 << 20;
/// The application description sent at registration.
const APP_DESCRIPTION: &str = "rtlog";

/// Loss reasons of the sink itself, stored in a marker slot's `record_type` (the writer's own
/// reasons, `LossReason` values 1..=3, are passed on as they are).
const GAP_QUEUE_FULL: u16 = 1 << 8;
const GAP_TOO_LARGE: u16 = 1 << 9;

/// The DLT part of the configuration (`rtlog_config.dlt_*`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DltConfig {
    /// Forward records to DLT.
    pub enable: bool,
    /// Application id: 1 to 4 ASCII characters.
    pub app_id: String,
    /// Directory of the daemon's FIFO `dlt` (its `-t` option, libdlt's `DLT_PIPE_DIR`).
    pub pipe_dir: PathBuf,
    /// Records the DLT queue holds (while the daemon is away, or slower than the writer).
    pub queue_records: u32,
    /// Log level of critical-stream records (`Off`: nothing of that stream is forwarded, log
    /// messages included; log messages otherwise go at their own level).
    pub level_critical: Level,
    /// Log level of normal-stream records (`Off` as for `level_critical`).
    pub level_normal: Level,
}

impl Default for DltConfig {
    fn default() -> Self {
        DltConfig {
            enable: false,
            app_id: "RTLG".into(),
            pipe_dir: default_pipe_dir(),
            queue_records: 4096,
            level_critical: Level::Error,
            level_normal: Level::Info,
        }
    }
}

/// `$DLT_PIPE_DIR` when set (as for every libdlt application on the machine), else `/tmp`
/// (the daemon's default).
pub fn default_pipe_dir() -> PathBuf {
    std::env::var_os("DLT_PIPE_DIR")
        .filter(|v| !v.is_empty())
        .map_or_else(|| PathBuf::from("/tmp"), PathBuf::from)
}

impl DltConfig {
    /// Checks the fields (only when enabled); `max_record_size` sizes the queue's slots.
    pub fn validate(&self, max_record_size: u32, max_producers: u32) -> Result<()> {
        if !self.enable {
            return Ok(());
        }
        let id = self.app_id.as_bytes();
        if id.is_empty() || id.len() > 4 || !id.iter().all(|b| b.is_ascii_graphic()) {
            return Err(Error::new(
                Status::Config,
                format!("dlt_app_id = {:?} must be 1 to 4 printable ASCII characters", self.app_id),
            ));
        }
        if self.pipe_dir.as_os_str().is_empty() {
            return Err(Error::new(Status::Config, "dlt_pipe_dir is empty"));
        }
        let q = self.queue_records;
        if q == 0 || q > MAX_QUEUE_RECORDS {
            return Err(Error::new(
                Status::Config,
                format!(
                    "dlt_queue_records = {q} is out of range (accepted: 1..={MAX_QUEUE_RECORDS})"
                ),
            ));
        }
        let bytes =
            ring::slot_bytes(queue_payload(max_record_size)) as u64 * queue_depth(q, max_producers);
        if bytes > crate::rt::ring::MAX_RING_BYTES {
            return Err(Error::new(
                Status::Config,
                format!(
                    "dlt_queue_records = {q} with max_record_size = {max_record_size} needs {bytes} \
                     bytes (limit {})",
                    crate::rt::ring::MAX_RING_BYTES
                ),
            ));
        }
        Ok(())
    }

    /// The daemon's FIFO.
    pub fn fifo_path(&self) -> PathBuf {
        self.pipe_dir.join("dlt")
    }
}

/// Slots of the queue: `queue_records` for records, plus room for loss markers (which do not
/// count against the bound) — two per producer, one per stream that lost records.
fn queue_depth(queue_records: u32, max_producers: u32) -> u64 {
    u64::from(queue_records) + 2 * u64::from(max_producers)
}

/// Payload bytes of a queue slot: records up to what one FIFO write carries, and at least a
/// loss marker.
fn queue_payload(max_record_size: u32) -> u32 {
    (max_record_size.min(MAX_DLT_PAYLOAD as u32)).max(LOSS_MARKER_BYTES as u32)
}

/// Counters shared by the writer, the DLT thread and `stats`. Relaxed: statistics that nothing
/// synchronises on.
#[derive(Default)]
pub(crate) struct DltShared {
    offered: AtomicU64,
    queued_in: AtomicU64,
    sent: AtomicU64,
    lost_queue_full: AtomicU64,
    lost_too_large: AtomicU64,
    lost_at_shutdown: AtomicU64,
    /// Of `lost_too_large`, those the DLT thread found too large (the writer's size bound
    /// should leave none): they had been queued, so `queued` does not count them.
    lost_after_queue: AtomicU64,
    markers: AtomicU64,
    connects: AtomicU64,
    disconnects: AtomicU64,
    connected: AtomicBool,
    last_errno: AtomicI32,
    /// The call sites of log messages, by id (index `id - 1`): the writer adds each before it
    /// queues the first of its messages; the DLT thread copies what it lacks.
    sites: Mutex<Vec<Option<Arc<Site>>>>,
    /// Gaps the writer had not reported yet when it finished (trailing losses).
    trailing: Mutex<Vec<(u16, u8, Gap)>>,
    /// Set once the writer has finished: the DLT thread drains and ends.
    pub(crate) stop: AtomicBool,
    /// The DLT thread, for the writer's wake-ups.
    pub(crate) thread: OnceLock<Thread>,
}

/// A snapshot of the DLT sink's counters (`rtlog_dlt_stats`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DltStats {
    /// The sink is configured (`dlt_enable`).
    pub enabled: bool,
    /// The daemon's FIFO is open and the daemon was there at the last check.
    pub connected: bool,
    /// Data records and log messages handed to the sink by the writer.
    pub offered: u64,
    /// Records written to the daemon as DLT log messages (non-verbose), and log messages
    /// written as verbose ones.
    pub sent: u64,
    /// Records waiting in the DLT queue (or in the batch being written) now.
    pub queued: u64,
    /// Records that will never reach DLT: the sum of the three below.
    pub lost: u64,
    /// Refused because the DLT queue was full (the daemon away or slower than the writer).
    pub lost_queue_full: u64,
    /// Too large for one atomic FIFO write (a record's payload over [`MAX_DLT_PAYLOAD`] bytes,
    /// a log message whose verbose form may exceed [`MAX_VERBOSE_PAYLOAD`]).
    pub lost_too_large: u64,
    /// Still queued when shutdown's drain ended (daemon away, or [`DRAIN_TIMEOUT`] passed).
    pub lost_at_shutdown: u64,
    /// Loss markers sent (verbose WARN messages that name the lost seqs).
    pub loss_markers: u64,
    /// Successful connections to the daemon.
    pub connects: u64,
    /// Connections after the first (the daemon came back).
    pub reconnects: u64,
    /// Connections lost (the daemon went away).
    pub disconnects: u64,
    /// errno of the last failed open or write (0: none).
    pub last_errno: i32,
}

impl DltShared {
    pub(crate) fn stats(&self) -> DltStats {
        let r = |a: &AtomicU64| a.load(Ordering::Relaxed);
        // Read the consumers' counts before the producer's, so `queued` never goes negative.
        let sent = r(&self.sent);
        let lost_at_shutdown = r(&self.lost_at_shutdown) + r(&self.lost_after_queue);
        let queued_in = r(&self.queued_in);
        let (full, large) = (r(&self.lost_queue_full), r(&self.lost_too_large));
        let connects = r(&self.connects);
        DltStats {
            enabled: true,
            connected: self.connected.load(Ordering::Relaxed),
            offered: r(&self.offered),
            sent,
            queued: queued_in.saturating_sub(sent + lost_at_shutdown),
            lost: full + large + r(&self.lost_at_shutdown),
            lost_queue_full: full,
            lost_too_large: large,
            lost_at_shutdown: r(&self.lost_at_shutdown),
            loss_markers: r(&self.markers),
            connects,
            reconnects: connects.saturating_sub(1),
            disconnects: r(&self.disconnects),
            last_errno: self.last_errno.load(Ordering::Relaxed),
        }
    }
}

/// Consecutive records of one producer stream that did not make it into the queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Gap {
    first: u64,
    last: u64,
    count: u64,
    /// `GAP_*` flags.
    why: u16,
}

/// Creates the queue and both ends (INIT): the writer's feed and the DLT thread's sender.
pub(crate) fn channel(
    cfg: &DltConfig,
    max_record_size: u32,
    max_producers: u32,
) -> (DltFeed, DltSender) {
    let payload = queue_payload(max_record_size);
    let depth = queue_depth(cfg.queue_records, max_producers) as u32;
    let (tx, rx) = ring::channel(depth, payload);
    let shared = Arc::new(DltShared::default());
    let feed = DltFeed {
        ring: tx,
        shared: shared.clone(),
        max_payload: max_record_size.min(MAX_DLT_PAYLOAD as u32) as usize,
        limit: cfg.queue_records.into(),
        forward: [cfg.level_critical != Level::Off, cfg.level_normal != Level::Off],
        queued_in: 0,
        gaps: vec![[None; 2]; max_producers as usize],
        pushed: false,
        sites: Vec::new(),
    };
    let app = App { apid: protocol::id(&cfg.app_id), pid: std::process::id() as i32 };
    let sender = DltSender {
        input: rx,
        shared,
        app,
        fifo_path: cfg.fifo_path(),
        levels: [cfg.level_critical, cfg.level_normal],
        contexts: Vec::new(),
        conn: None,
        registered: 0,
        retry_at: None,
        backoff: RECONNECT_MIN,
        last_check: None,
        batch: Vec::with_capacity(PIPE_BUF),
        batch_records: 0,
        batch_markers: 0,
        trailing: Vec::new(),
        scratch: Vec::with_capacity(PIPE_BUF),
        sites: Vec::new(),
    };
    (feed, sender)
}

/// The writer's end of the DLT queue. Its methods never make a system call (except
/// [`notify`](Self::notify), one futex wake per writer round) and never wait.
pub(crate) struct DltFeed {
    ring: RingProducer,
    shared: Arc<DltShared>,
    /// Largest record payload forwarded.
    max_payload: usize,
    /// Most records queued (`dlt_queue_records`): records in the queue and in the batch being
    /// written. Loss markers take slots beyond it.
    limit: u64,
    /// Per stream (critical, normal): forwarded at all (its level is not `Off`).
    forward: [bool; 2],
    /// Records queued so far (the shared `queued_in`, kept here to spare reading it back).
    queued_in: u64,
    /// Per producer and stream: records not queued since the last queued one (sized for
    /// `max_producers` at INIT: offering never allocates).
    gaps: Vec<[Option<Gap>; 2]>,
    /// Something was queued since the last `notify`.
    pushed: bool,
    /// The call sites prepared so far (also in the shared table), by id.
    sites: Vec<Option<Arc<Site>>>,
}

impl DltFeed {
    /// The shared counters (for the logger's stats).
    pub(crate) fn shared(&self) -> Arc<DltShared> {
        self.shared.clone()
    }

    /// Offers a data record (`h.timestamp` already in monotonic ns). Records of a stream whose
    /// level is `Off` are not taken (nor counted).
    pub(crate) fn offer(&mut self, h: &SlotHeader, payload: &[u8]) {
        if self.forwards(h) {
            self.queue(h, payload, payload.len() > self.max_payload);
        }
    }

    /// Offers a log message (`h.timestamp` in monotonic ns): `message` is its frame's payload
    /// (call-site id, packed arguments), `site` the payload of that call site's frame. The
    /// first message of a call site prepares it for the DLT thread (allocates, once per call
    /// site); the others cost what a record costs, plus a size bound. Messages of a stream
    /// whose level is `Off` are not taken (nor counted).
    pub(crate) fn offer_message(&mut self, h: &SlotHeader, message: &[u8], site: &[u8]) {
        if !self.forwards(h) {
            return;
        }
        let Some(i) = msg::split_message(message).ok().and_then(|(id, _)| id.checked_sub(1)) else {
            return; // the writer framed it: cannot happen
        };
        let i = i as usize;
        if self.sites.get(i).is_none_or(Option::is_none) {
            self.prepare(i, site);
        }
        let Some(Some(prepared)) = self.sites.get(i) else { return };
        let too_large = message.len() > self.max_payload
            || prepared.payload_bound(message.len()) > MAX_VERBOSE_PAYLOAD;
        self.queue(h, message, too_large);
    }

    /// Prepares call site `i + 1` from its frame's payload and shares it with the DLT thread
    /// (before any of its messages is queued: the queue's release/acquire orders the two).
    fn prepare(&mut self, i: usize, site: &[u8]) {
        let Ok(decoded) = CallSite::decode(site) else { return };
        let prepared = Arc::new(Site::new(&decoded));
        for table in [&mut self.sites, &mut *self.shared.sites.lock()] {
            if table.len() <= i {
                table.resize(i + 1, None);
            }
            table[i] = Some(prepared.clone());
        }
    }

    /// Whether records of `h`'s stream are forwarded (its level is not `Off`).
    fn forwards(&self, h: &SlotHeader) -> bool {
        self.forward[usize::from(h.stream & 1)] && usize::from(h.producer) < self.gaps.len()
    }

    /// Queues a record or message of a forwarded stream, or counts it lost (`too_large`, or the
    /// queue full) and widens its stream's gap.
    fn queue(&mut self, h: &SlotHeader, payload: &[u8], too_large: bool) {
        let (p, s) = (usize::from(h.producer), usize::from(h.stream & 1));
        self.shared.offered.fetch_add(1, Ordering::Relaxed);
        if too_large {
            self.shared.lost_too_large.fetch_add(1, Ordering::Relaxed);
            self.widen(p, s, h.seq, GAP_TOO_LARGE);
            return;
        }
        // `sent` only grows, so a stale read makes the queue look fuller, never emptier.
        let waiting = self.queued_in - self.shared.sent.load(Ordering::Relaxed);
        if waiting >= self.limit {
            self.shared.lost_queue_full.fetch_add(1, Ordering::Relaxed);
            self.widen(p, s, h.seq, GAP_QUEUE_FULL);
            return;
        }
        // A pending gap goes first, so the marker sits where the records are missing.
        if let Some(gap) = self.gaps[p][s] {
            let marker = LossMarker {
                count: gap.count,
                first_seq: gap.first,
                last_seq: gap.last,
                reason: LossReason::Refused, // unused: `why` travels in `record_type`
            };
            if !self.push_marker(h.producer, h.stream, gap.why, &marker) {
                self.shared.lost_queue_full.fetch_add(1, Ordering::Relaxed);
                self.widen(p, s, h.seq, GAP_QUEUE_FULL);
                return;
            }
            self.gaps[p][s] = None;
        }
        if self.ring.push(h, payload) {
            self.queued_in += 1;
            self.shared.queued_in.fetch_add(1, Ordering::Relaxed);
            self.pushed = true;
        } else {
            self.shared.lost_queue_full.fetch_add(1, Ordering::Relaxed);
            self.widen(p, s, h.seq, GAP_QUEUE_FULL);
        }
    }

    fn widen(&mut self, p: usize, s: usize, seq: u64, why: u16) {
        let gap = self.gaps[p][s].get_or_insert(Gap { first: seq, last: seq, count: 0, why: 0 });
        gap.last = seq;
        gap.count += 1;
        gap.why |= why;
    }

    /// Passes on a loss marker the writer made for records lost before they reached it
    /// (refused at publish, overwritten in the ring). Dropped when the queue is full.
    pub(crate) fn upstream_loss(&mut self, producer: u16, stream: u8, marker: &LossMarker) {
        if self.forward[usize::from(stream & 1)] {
            let _ = self.push_marker(producer, stream, marker.reason as u16, marker);
        }
    }

    fn push_marker(&mut self, producer: u16, stream: u8, why: u16, m: &LossMarker) -> bool {
        let h = SlotHeader {
            seq: m.first_seq,
            record_type: why,
            producer,
            stream,
            kind: FrameKind::Loss as u8,
            timestamp: crate::rt::clock::monotonic_ns(),
            ..SlotHeader::default()
        };
        let ok = self.ring.push(&h, &m.encode());
        self.pushed |= ok;
        ok
    }

    /// Wakes the DLT thread if something was queued since the last call.
    pub(crate) fn notify(&mut self) {
        if std::mem::take(&mut self.pushed) {
            if let Some(t) = self.shared.thread.get() {
                t.unpark();
            }
        }
    }

    /// The writer has finished: hand the gaps no later record reported to the DLT thread.
    pub(crate) fn finish(&mut self) {
        let mut trailing = self.shared.trailing.lock();
        for (p, gaps) in self.gaps.iter_mut().enumerate() {
            for (s, gap) in gaps.iter_mut().enumerate() {
                if let Some(g) = gap.take() {
                    trailing.push((p as u16, s as u8, g));
                }
            }
        }
        drop(trailing);
        self.notify();
    }
}

/// The connection end: owned by the DLT thread (or, in manual mode, stepped by
/// `rtlog_step_writer`'s caller).
pub(crate) struct DltSender {
    input: RingConsumer,
    shared: Arc<DltShared>,
    app: App,
    fifo_path: PathBuf,
    /// Levels by stream (critical, normal).
    levels: [Level; 2],
    /// Per producer: context id, description (the producer's name), message counter.
    contexts: Vec<(Id, String, u8)>,
    conn: Option<Fifo>,
    /// Registration messages sent on this connection: the application, then each context.
    registered: usize,
    /// When to try connecting again (None: now).
    retry_at: Option<Instant>,
    backoff: Duration,
    /// Last check that the daemon is still there.
    last_check: Option<Instant>,
    /// Whole messages not yet written (kept across a lost connection).
    batch: Vec<u8>,
    batch_records: u64,
    batch_markers: u64,
    /// Trailing gaps taken from the writer at the end.
    trailing: Vec<(u16, u8, Gap)>,
    scratch: Vec<u8>,
    /// The call sites copied from the shared table so far, by id.
    sites: Vec<Option<Arc<Site>>>,
}

impl DltSender {
    /// Sets the producers' names (at `start`, once they are all created); returns their ids.
    pub(crate) fn set_producers<'a>(&mut self, names: impl Iterator<Item = &'a str> + Clone) {
        let ids = protocol::context_ids(names.clone());
        self.contexts = ids.into_iter().zip(names).map(|(id, n)| (id, n.to_owned(), 0)).collect();
    }

    /// One round: connect when due, register, send queued records in batches. Returns whether
    /// anything was written. Bounded: at most `STEP_BATCHES` writes plus the registration.
    pub(crate) fn step(&mut self, now: Instant) -> bool {
        if self.conn.is_none() && !self.connect(now) {
            return false;
        }
        let busy = self.batch_records > 0 || !self.input.is_empty() || !self.trailing.is_empty();
        let due = self.last_check.is_none_or(|t| now.duration_since(t) >= IDLE_CHECK);
        if busy || due {
            // Checked before any record leaves the queue, so that records offered after the
            // daemon went away stay counted against the queue bound.
            self.last_check = Some(now);
            if self.conn.as_ref().is_some_and(Fifo::reader_gone) {
                self.disconnect(libc::EPIPE, now);
                return false;
            }
        }
        if !self.register(now) {
            return false;
        }
        let mut wrote = false;
        for _ in 0..STEP_BATCHES {
            if self.batch.is_empty() {
                self.fill();
                if self.batch.is_empty() {
                    break;
                }
            }
            let Some(conn) = &self.conn else { break };
            match conn.send(&self.batch) {
                Sent::All => {
                    self.shared.sent.fetch_add(self.batch_records, Ordering::Relaxed);
                    self.shared.markers.fetch_add(self.batch_markers, Ordering::Relaxed);
                    self.batch.clear();
                    self.batch_records = 0;
                    self.batch_markers = 0;
                    wrote = true;
                }
                Sent::Full => break,
                Sent::Gone(e) => {
                    self.disconnect(e, now);
                    break;
                }
            }
        }
        wrote
    }

    /// Whether there is nothing left to send.
    fn drained(&mut self) -> bool {
        self.batch.is_empty() && self.input.is_empty() && self.trailing.is_empty()
    }

    /// How long the thread may sleep when a step wrote nothing.
    fn idle_wait(&self, now: Instant) -> Duration {
        match (&self.conn, self.retry_at) {
            (None, Some(t)) => t.saturating_duration_since(now).min(IDLE_CHECK),
            // A batch the full pipe refused: try again soon.
            (Some(_), _) if !self.batch.is_empty() => Duration::from_millis(1),
            _ => IDLE_CHECK,
        }
    }

    fn connect(&mut self, now: Instant) -> bool {
        if self.retry_at.is_some_and(|t| now < t) {
            return false;
        }
        match Fifo::open(&self.fifo_path) {
            Ok(f) => {
                self.conn = Some(f);
                self.registered = 0;
                self.backoff = RECONNECT_MIN;
                self.retry_at = None;
                self.last_check = Some(now);
                self.shared.connects.fetch_add(1, Ordering::Relaxed);
                self.shared.connected.store(true, Ordering::Relaxed);
                true
            }
            Err(e) => {
                self.shared.last_errno.store(e, Ordering::Relaxed);
                self.retry_at = Some(now + self.backoff);
                self.backoff = (self.backoff * 2).min(RECONNECT_MAX);
                false
            }
        }
    }

    fn disconnect(&mut self, errno: i32, now: Instant) {
        self.conn = None;
        self.registered = 0;
        self.shared.connected.store(false, Ordering::Relaxed);
        self.shared.disconnects.fetch_add(1, Ordering::Relaxed);
        self.shared.last_errno.store(errno, Ordering::Relaxed);
        // The first attempt waits a little: a daemon being restarted needs a moment.
        self.backoff = RECONNECT_MIN;
        self.retry_at = Some(now + self.backoff);
    }

    /// Registers the application and every context on a new connection, in writes of whole
    /// messages up to `PIPE_BUF` bytes. Returns whether registration is complete.
    fn register(&mut self, now: Instant) -> bool {
        let total = 1 + self.contexts.len();
        let (app, contexts) = (&self.app, &self.contexts);
        let Some(conn) = &self.conn else { return false };
        let result =
            send_messages(conn, &mut self.scratch, self.registered, total, |i, out| match i {
                0 => protocol::register_application(out, app, APP_DESCRIPTION),
                i => {
                    let (ctid, name, _) = &contexts[i - 1];
                    protocol::register_context(out, app, *ctid, (i - 1) as i32, name);
                }
            });
        match result {
            Ok(()) => {
                self.registered = total;
                true
            }
            Err((done, sent)) => {
                self.registered = done;
                if let Sent::Gone(e) = sent {
                    self.disconnect(e, now);
                }
                false
            }
        }
    }

    /// Moves queued entries into the batch, as whole messages, up to `PIPE_BUF` bytes: each is
    /// encoded at the end of the batch, and taken back out when it overflows it.
    fn fill(&mut self) {
        while let Some((h, payload)) = self.input.peek() {
            let h = *h;
            let Some((ctid, _, mcnt)) = self.contexts.get_mut(usize::from(h.producer)) else {
                // A producer we have no context for cannot happen (all exist before start);
                // drop it rather than send it under a wrong id.
                self.input.pop();
                continue;
            };
            let header = LogHeader {
                ctid: *ctid,
                mcnt: *mcnt,
                level: self.levels[usize::from(h.stream & 1)],
                timestamp_ns: h.timestamp,
                verbose: false,
                noar: 0,
            };
            let mark = self.batch.len();
            let is_marker = h.kind == FrameKind::Loss as u8;
            let mut encoded = true;
            if is_marker {
                let reason = reason_text(h.record_type);
                let m = LossMarker::decode(payload).ok();
                let (count, first, last) =
                    m.map_or((0, 0, 0), |m| (m.count, m.first_seq, m.last_seq));
                let args = LossArgs { reason, count, first_seq: first, last_seq: last };
                protocol::log_loss(&mut self.batch, &self.app, &header, &args);
            } else if h.kind == FrameKind::Message as u8 {
                match site_of(&mut self.sites, &self.shared, payload) {
                    Some(site) => site.log(&mut self.batch, &self.app, &header, payload),
                    None => encoded = false,
                }
            } else {
                let msgid = u32::from(h.record_type);
                protocol::log_nonverbose(&mut self.batch, &self.app, &header, msgid, payload);
            }
            if !encoded || self.batch.len() > PIPE_BUF {
                self.batch.truncate(mark);
                if encoded && mark > 0 {
                    break; // the next batch takes it
                }
                // Too large alone (the writer's size bound should have refused it), or a
                // message whose call site is unknown (shared before it was queued): neither
                // can happen. Counted as too large, not sent.
                self.shared.lost_too_large.fetch_add(1, Ordering::Relaxed);
                self.shared.lost_after_queue.fetch_add(1, Ordering::Relaxed);
                self.input.pop();
                continue;
            }
            *mcnt = mcnt.wrapping_add(1);
            if is_marker {
                self.batch_markers += 1;
            } else {
                self.batch_records += 1;
            }
            self.input.pop();
        }
        if self.input.is_empty() {
            self.fill_trailing();
        }
    }

    /// Markers for the writer's trailing gaps, once the queue is empty.
    fn fill_trailing(&mut self) {
        while let Some(&(p, _stream, g)) = self.trailing.last() {
            let reason = reason_text(g.why);
            if self.batch.len() + protocol::loss_bytes(reason) > PIPE_BUF {
                break;
            }
            self.trailing.pop();
            let Some((ctid, _, mcnt)) = self.contexts.get_mut(usize::from(p)) else { continue };
            let header = LogHeader {
                ctid: *ctid,
                mcnt: *mcnt,
                level: Level::Warn,
                timestamp_ns: crate::rt::clock::monotonic_ns(),
                verbose: true,
                noar: 4,
            };
            *mcnt = mcnt.wrapping_add(1);
            let args = LossArgs { reason, count: g.count, first_seq: g.first, last_seq: g.last };
            protocol::log_loss(&mut self.batch, &self.app, &header, &args);
            self.batch_markers += 1;
        }
    }

    /// The end (after the writer finished): send what is queued, trailing markers included,
    /// for up to [`DRAIN_TIMEOUT`] while connected (reconnecting as usual), unregister, and
    /// count whatever could not be sent as lost.
    pub(crate) fn finish(mut self) {
        self.trailing = std::mem::take(&mut *self.shared.trailing.lock());
        self.trailing.reverse(); // popped from the end: keep the writer's order
        let deadline = Instant::now() + DRAIN_TIMEOUT;
        loop {
            let now = Instant::now();
            let wrote = self.step(now);
            if self.drained() || now >= deadline {
                break;
            }
            if !wrote {
                std::thread::sleep(self.idle_wait(now).min(Duration::from_millis(5)));
            }
        }
        let drained = self.drained();
        if let (Some(conn), true) = (&self.conn, drained) {
            // Best effort, like libdlt's dlt_unregister_app: the daemon also forgets an
            // application whose process is gone.
            let (app, contexts) = (&self.app, &self.contexts);
            let n = contexts.len();
            let _ = send_messages(conn, &mut self.scratch, 0, n + 1, |i, out| match i {
                i if i < n => protocol::unregister_context(out, app, contexts[i].0),
                _ => protocol::unregister_application(out, app),
            });
        }
        let left = self.batch_records + self.input.len_data();
        self.shared.lost_at_shutdown.fetch_add(left, Ordering::Relaxed);
        self.shared.connected.store(false, Ordering::Relaxed);
    }

    /// The DLT thread: steps until the writer has finished, then drains.
    pub(crate) fn run(mut self) {
        while !self.shared.stop.load(Ordering::Acquire) {
            let now = Instant::now();
            if !self.step(now) {
                std::thread::park_timeout(self.idle_wait(now));
            }
        }
        self.finish();
    }
}

/// The prepared call site of a queued message (its payload), copying what the shared table
/// has that `sites` lacks (once per call site).
fn site_of<'s>(
    sites: &'s mut Vec<Option<Arc<Site>>>,
    shared: &DltShared,
    message: &[u8],
) -> Option<&'s Site> {
    let i = msg::split_message(message).ok()?.0.checked_sub(1)? as usize;
    if sites.get(i).is_none_or(Option::is_none) {
        sites.clone_from(&shared.sites.lock());
    }
    sites.get(i)?.as_deref()
}

/// Counts data records and log messages (not markers) left in the queue, consuming it (end
/// of life only).
trait LenData {
    fn len_data(&mut self) -> u64;
}

impl LenData for RingConsumer {
    fn len_data(&mut self) -> u64 {
        let mut n = 0;
        while let Some((h, _)) = self.peek() {
            if h.kind != FrameKind::Loss as u8 {
                n += 1;
            }
            self.pop();
        }
        n
    }
}

/// Sends control messages `from..total` (built by `build(i, out)`) in writes of whole messages
/// of at most `PIPE_BUF` bytes. On a failed write: how many were sent, and the failure.
fn send_messages(
    conn: &Fifo,
    buf: &mut Vec<u8>,
    from: usize,
    total: usize,
    mut build: impl FnMut(usize, &mut Vec<u8>),
) -> std::result::Result<(), (usize, Sent)> {
    let mut done = from;
    let mut one = Vec::new();
    while done < total {
        buf.clear();
        let mut next = done;
        while next < total {
            one.clear();
            build(next, &mut one);
            if !buf.is_empty() && buf.len() + one.len() > PIPE_BUF {
                break;
            }
            buf.extend_from_slice(&one);
            next += 1;
        }
        match conn.send(buf) {
            Sent::All => done = next,
            other => return Err((done, other)),
        }
    }
    Ok(())
}

fn reason_text(why: u16) -> &'static str {
    match why {
        1 => "refused at publish (ring full)",
        3 => "overwritten in the ring",
        w if w & GAP_QUEUE_FULL != 0 && w & GAP_TOO_LARGE != 0 => "dlt queue full / too large",
        w if w & GAP_TOO_LARGE != 0 => "too large for dlt",
        _ => "dlt queue full",
    }
}
