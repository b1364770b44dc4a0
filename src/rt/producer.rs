//! Producer handles and `publish`, the RT entry point.
//!
//! **RT module.** A [`Producer`] belongs to one thread at a time (it is `Send`, not `Sync`;
//! the C API documents one handle per RT thread). `publish` is wait-free: a gate check, a copy
//! into the stream's ring, a counter update. No allocation, no lock, no syscall.

use crate::error::Status;
use crate::format::{FrameKind, Level};
use crate::rt::clock;
use crate::rt::message::{self, CallSiteDesc, RawArg};
use crate::rt::quiesce::{self, Gate, GateState};
use crate::rt::ring::{Parts, Payload, PushCounter, RingProducer, SlotHeader};
use crate::rt::watermark::DurableCount;
use crossbeam_utils::CachePadded;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;

/// The two streams of every producer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Stream {
    /// Correctness and safety events.
    Critical = 0,
    /// Diagnostics and telemetry.
    Normal = 1,
}

impl Stream {
    /// Both streams, in dispatch priority order.
    pub const ALL: [Stream; 2] = [Stream::Critical, Stream::Normal];

    /// The stream for a raw C value, if it names one.
    #[inline]
    pub fn from_raw(raw: u32) -> Option<Stream> {
        match raw {
            0 => Some(Stream::Critical),
            1 => Some(Stream::Normal),
            _ => None,
        }
    }
}

/// What the normal stream does when a producer's normal ring is full.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Overflow {
    /// Refuse the new record (`Full`), keep the older ones.
    #[default]
    DropNewest = 0,
    /// Store the new record over the oldest one not yet dispatched.
    OverwriteOldest = 1,
    /// Above the high-water mark, accept only one record in `sample_one_in`.
    Sample = 2,
    /// On overflow, refuse every normal record of that producer until the supervisor
    /// re-enables the stream (once its ring has drained to half).
    Disable = 3,
}

impl Overflow {
    /// The policy for a raw C value, if it names one.
    pub fn from_raw(raw: u32) -> Option<Overflow> {
        Some(match raw {
            0 => Overflow::DropNewest,
            1 => Overflow::OverwriteOldest,
            2 => Overflow::Sample,
            3 => Overflow::Disable,
            _ => return None,
        })
    }
}

/// The settings a producer needs, taken from the configuration at INIT (the RT side never
/// sees the configuration itself).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProducerParams {
    /// Largest payload `publish` accepts.
    pub max_record_size: u32,
    /// Records per normal ring (the base of the sampling high-water mark).
    pub normal_depth: u32,
    /// Normal-stream overflow policy.
    pub normal_overflow: Overflow,
    /// `Sample`: the ring fill level, in percent, above which sampling starts.
    pub sample_high_water_pct: u32,
    /// `Sample`: above the high-water mark, accept one record in this many.
    pub sample_one_in: u32,
}

/// What every publish touches besides its ring: one cache line, written on every call
/// (`active`) and read by other threads only rarely, so that it stays in the producer's cache
/// from one call to the next. Nothing another thread polls lives here: the supervisor reads
/// [`ProducerCounters`] and takes [`ProducerShared::fault`] every step (1 ms), and a line it
/// touched would cost the next publish a transfer from the other CPU (docs/PERFORMANCE.md, the
/// cost per control cycle).
pub(crate) struct ProducerHot {
    /// Set while a publish is in progress (see [`crate::rt::quiesce`]).
    pub(crate) active: AtomicBool,
    /// DISABLE policy: set by the producer when its normal ring overflowed, cleared by the
    /// supervisor once the ring has drained (which reads it only under that policy). Read and
    /// written `Relaxed`: a mode switch.
    pub(crate) normal_disabled: AtomicBool,
    /// The lowest message level published (`rtlog_level`); below it a message is counted in
    /// `filtered`. Set from any thread, read by the producer: `Relaxed`, a setting.
    pub(crate) threshold: AtomicU8,
}

/// The counters a producer's thread writes when it refuses or filters, and the supervisor and
/// the stats read. Single writer (the producer's thread), so each is updated with a plain
/// load and store rather than a locked add; readers use `Relaxed` because nothing is
/// synchronised through them.
pub(crate) struct ProducerCounters {
    /// Records refused with `Full`, per stream.
    pub(crate) dropped: [AtomicU64; 2],
    /// Accepted normal records later overwritten (OVERWRITE_OLDEST); also counted in
    /// `dropped`.
    pub(crate) overwritten: AtomicU64,
    /// Messages below the threshold.
    pub(crate) filtered: AtomicU64,
}

/// The flag of a pending fault in [`ProducerShared::fault`] (the code is the low 32 bits).
pub(crate) const FAULT_PENDING: u64 = 1 << 32;

/// What the rest of the logger knows about a producer.
pub(crate) struct ProducerShared {
    pub(crate) id: u16,
    pub(crate) name: String,
    pub(crate) hot: CachePadded<ProducerHot>,
    pub(crate) counters: CachePadded<ProducerCounters>,
    /// A fault the producer's component signalled and the supervisor has not taken yet:
    /// `FAULT_PENDING | code`, or 0. Stored by `signal_fault`, taken by the supervisor. A line
    /// of its own: the supervisor looks at it every step.
    pub(crate) fault: CachePadded<AtomicU64>,
    /// Count of records per stream that are durable under the durability mode (every record
    /// with a lower seq is), frozen by the writer when records of the stream were lost by a
    /// failed write or sync.
    pub(crate) durable: [DurableCount; 2],
    /// Read-only views of the rings' push counters (= records accepted per stream).
    pub(crate) pushed: [PushCounter; 2],
}

impl ProducerShared {
    pub(crate) fn published(&self, stream: Stream) -> u64 {
        self.pushed[stream as usize].pushed()
    }

    pub(crate) fn dropped(&self, stream: Stream) -> u64 {
        self.counters.dropped[stream as usize].load(Ordering::Relaxed)
    }

    pub(crate) fn durable(&self, stream: Stream) -> u64 {
        self.durable[stream as usize].count()
    }

    pub(crate) fn overwritten(&self) -> u64 {
        self.counters.overwritten.load(Ordering::Relaxed)
    }

    pub(crate) fn filtered(&self) -> u64 {
        self.counters.filtered.load(Ordering::Relaxed)
    }

    /// Sets the lowest message level published. RT-safe: one atomic store.
    pub(crate) fn set_threshold(&self, level: Level) {
        self.hot.threshold.store(level as u8, Ordering::Relaxed);
    }

    /// Records in the ring of `stream` right now (non-RT snapshot).
    pub(crate) fn in_ring(&self, stream: Stream) -> u64 {
        let c = &self.pushed[stream as usize];
        c.pushed().saturating_sub(c.popped())
    }
}

/// A producer handle: the RT thread's end of its two rings.
pub struct Producer {
    rings: [RingProducer; 2],
    shared: Arc<ProducerShared>,
    /// `shared.id`, kept here: it goes in every record's header, and `ProducerShared` keeps it
    /// on a cache line that publish would touch for nothing else.
    id: u16,
    gate: Arc<Gate>,
    max_payload: u32,
    use_tsc: bool,
    /// `gate.strong`, kept here: one load fewer per publish.
    strong: bool,
    /// Refusals per stream since the last accepted record (carried by the next one).
    lost_since_accept: [u32; 2],
    policy: Overflow,
    /// `policy == DropNewest`: the normal stream's publish needs no policy (see `publish_frame`).
    normal_plain: bool,
    /// `Sample`: the fill level where sampling starts, the rate, and a running count.
    sample_high_water: u64,
    sample_one_in: u32,
    sample_count: u32,
    /// Where a message is packed before it is copied into its ring (`max_record_size` bytes,
    /// allocated and touched at creation).
    scratch: Box<[u8]>,
    /// Call sites whose packed size `check_packed` accepted, as (address, size), by address:
    /// a site is static and unchanged (the contract), so a hit skips the check.
    packed_sites: [(usize, usize); PACKED_SITE_CACHE],
}

/// Entries of [`Producer::packed_sites`].
const PACKED_SITE_CACHE: usize = 4;

impl Producer {
    pub(crate) fn new(
        rings: [RingProducer; 2],
        shared: Arc<ProducerShared>,
        gate: Arc<Gate>,
        params: ProducerParams,
        use_tsc: bool,
    ) -> Producer {
        let depth = u64::from(params.normal_depth);
        // What lets a publish skip the ring's own check of the payload's size.
        assert!(rings.iter().all(|r| r.max_payload() >= params.max_record_size));
        // What lets `push_plain` skip asking the ring whether it overwrites.
        let overwrites = params.normal_overflow == Overflow::OverwriteOldest;
        assert!(!rings[Stream::Critical as usize].overwrites());
        assert_eq!(rings[Stream::Normal as usize].overwrites(), overwrites);
        Producer {
            rings,
            id: shared.id,
            shared,
            strong: gate.strong,
            gate,
            max_payload: params.max_record_size,
            use_tsc,
            lost_since_accept: [0; 2],
            policy: params.normal_overflow,
            normal_plain: params.normal_overflow == Overflow::DropNewest,
            sample_high_water: (depth * u64::from(params.sample_high_water_pct)).div_ceil(100),
            sample_one_in: params.sample_one_in.max(1),
            sample_count: 0,
            scratch: vec![0; params.max_record_size as usize].into_boxed_slice(),
            packed_sites: [(0, 0); PACKED_SITE_CACHE],
        }
    }

    /// Copies one record into the stream's ring. **RT-safe**: wait-free, no allocation, no
    /// lock, no syscall.
    ///
    /// Returns `Ok`; `TooLarge` when `payload` exceeds `max_record_size`; `InvalidState` before
    /// `start` or after `shutdown`; `Full` when the record was refused: the ring is full, or
    /// the normal stream's overflow policy (sampling, disabled stream, safe mode) refused it.
    /// A refused record is counted in `dropped` and takes no sequence number.
    #[inline]
    pub fn publish(&mut self, stream: Stream, record_type: u16, payload: &[u8]) -> Status {
        let timestamp = clock::now_raw(self.use_tsc);
        if payload.len() > self.max_payload as usize {
            return Status::TooLarge;
        }
        self.publish_frame(stream, record_type, FrameKind::Data, payload, timestamp)
    }

    /// Publishes a log message: its call site's address and its packed arguments, on the
    /// critical stream for `Error` and `Fatal`, the normal stream otherwise. **RT-safe**, as
    /// `publish`; below the producer's threshold it only counts the message as filtered (one
    /// load, a compare and the counter) and returns `Ok`.
    ///
    /// Returns what `publish` returns, and `InvalidArgument` for a call site whose level,
    /// argument count or argument types this library does not know (or fewer `args` than the
    /// call site has arguments); `TooLarge` when the arguments without their strings do not
    /// fit in `max_record_size` (strings are cut to fit, and marked).
    ///
    /// # Safety
    /// `site` stays valid and unchanged while the logger runs (the C macros make it a
    /// `static`); every string argument's pointer is NULL, valid for its `length`, or (with
    /// `NUL_TERMINATED`) a NUL-terminated string.
    #[inline]
    pub unsafe fn publish_message(&mut self, site: &CallSiteDesc, args: &[RawArg]) -> Status {
        if self.filter_out(site) {
            return Status::Ok;
        }
        let Some(stream) = message_stream(site) else {
            return Status::InvalidArgument;
        };
        let checked = match message::check(site) {
            Ok(c) if args.len() >= c.types.len() => c,
            Ok(_) => return Status::InvalidArgument,
            Err(status) => return status,
        };
        let mut scratch = std::mem::take(&mut self.scratch);
        // SAFETY: the caller's contract on `site` and the string arguments.
        let status = match unsafe { message::pack(site, &checked, args, &mut scratch) } {
            Ok(len) => {
                let timestamp = clock::now_raw(self.use_tsc);
                self.publish_frame(stream, 0, FrameKind::Message, &scratch[..len], timestamp)
            }
            Err(status) => status,
        };
        self.scratch = scratch;
        status
    }

    /// Publishes a log message whose caller packed the values already: each argument's
    /// little-endian bytes at its type's size, back to back, in the call site's order (what the
    /// C macros do for a message without strings). **RT-safe**, as `publish`; one copy of the
    /// values, into the slot. Filtered as `publish_message`.
    ///
    /// Returns what `publish` returns, and `InvalidArgument` for a call site whose level,
    /// argument count or types this library does not know, that has a string argument, or
    /// whose types do not add up to `values.len()` bytes; `TooLarge` when the message does not
    /// fit in `max_record_size`.
    ///
    /// # Safety
    /// `site` stays valid and unchanged while the logger runs, as for `publish_message`.
    #[inline]
    pub unsafe fn publish_message_packed(&mut self, site: &CallSiteDesc, values: &[u8]) -> Status {
        // SAFETY: the caller's contract, passed on.
        unsafe {
            match self.publish_message_packed_fast(site, values) {
                Some(status) => status,
                None => self.publish_message_packed_checked(site, values),
            }
        }
    }

    /// `publish_message_packed` in every case: what it does when its fast path declines.
    ///
    /// # Safety
    /// As `publish_message_packed`.
    #[inline]
    pub unsafe fn publish_message_packed_checked(
        &mut self,
        site: &CallSiteDesc,
        values: &[u8],
    ) -> Status {
        if self.filter_out(site) {
            return Status::Ok;
        }
        let timestamp = clock::now_raw(self.use_tsc);
        let head = message::packed_head(site);
        let payload = Parts { head: &head, body: values };
        let (slot, checked) = packed_site_slot(site, values.len());
        if self.packed_sites[slot] != checked {
            if let Err(status) = check_packed_message(site, payload, self.max_payload) {
                return status;
            }
            self.packed_sites[slot] = checked;
        }
        // A hit: this site's level, types and length, and the message's size, were checked.
        let stream = checked_site_stream(site);
        self.publish_frame(stream, message::SLOT_PACKED, FrameKind::Message, payload, timestamp)
    }

    /// The fast path of `publish_message_packed`: a message below the threshold, or one whose
    /// call site this producer checked already, timestamped by the TSC, on a stream that takes
    /// it now without an overflow policy (RUN, not blocked; critical, or normal under
    /// DROP_NEWEST), pushed or refused (`Full`) as `publish_message_packed` would. `None`, with
    /// nothing published or counted, in every other case: the caller then calls
    /// `publish_message_packed_checked`. Apart so that its caller stays small: the whole call
    /// took 5 instructions fewer, and 1.3–1.7 ns less in paired rounds (docs/PERFORMANCE.md).
    ///
    /// # Safety
    /// As `publish_message_packed`.
    #[inline(always)]
    pub unsafe fn publish_message_packed_fast(
        &mut self,
        site: &CallSiteDesc,
        values: &[u8],
    ) -> Option<Status> {
        let head = message::packed_head(site);
        let payload = Parts { head: &head, body: values };
        // SAFETY: the caller's contract, passed on.
        unsafe { self.publish_checked_site(site, values.len(), message::SLOT_PACKED, payload) }
    }

    /// Publishes a log message whose caller passed its arguments as words, `words[i]` holding
    /// argument `i`'s bits in its low bytes (integers sign- or zero-extended, a `float`'s or a
    /// `double`'s bits, a pointer), as the C macros do for a message of at most
    /// [`message::WORDS`] arguments and no string. **RT-safe**, as `publish`; no copy out of
    /// memory: the words go from registers into the slot. Filtered as `publish_message`.
    ///
    /// Returns what `publish` returns, and `InvalidArgument` for a call site whose level or
    /// argument types this library does not know, that has a string argument, or more than
    /// [`message::WORDS`] arguments; `TooLarge` when the message does not fit in
    /// `max_record_size`.
    ///
    /// # Safety
    /// `site` stays valid and unchanged while the logger runs, as for `publish_message`.
    #[inline]
    pub unsafe fn publish_message_words(
        &mut self,
        site: &CallSiteDesc,
        words: [u64; message::WORDS],
    ) -> Status {
        // SAFETY: the caller's contract, passed on.
        unsafe {
            match self.publish_message_words_fast(site, words) {
                Some(status) => status,
                None => self.publish_message_words_checked(site, words),
            }
        }
    }

    /// The fast path of `publish_message_words`, as `publish_message_packed_fast` is of
    /// `publish_message_packed`.
    ///
    /// # Safety
    /// As `publish_message_words`.
    #[inline(always)]
    pub unsafe fn publish_message_words_fast(
        &mut self,
        site: &CallSiteDesc,
        words: [u64; message::WORDS],
    ) -> Option<Status> {
        let payload = words_payload(site, words);
        // SAFETY: the caller's contract, passed on.
        unsafe { self.publish_checked_site(site, WORDS_KEY, message::SLOT_WORDS, payload) }
    }

    /// `publish_message_words` in every case: what it does when its fast path declines. A
    /// message whose words do not fit in `max_record_size` is packed and published as
    /// `publish_message_packed` would publish it.
    ///
    /// # Safety
    /// As `publish_message_words`.
    #[inline(never)]
    pub unsafe fn publish_message_words_checked(
        &mut self,
        site: &CallSiteDesc,
        words: [u64; message::WORDS],
    ) -> Status {
        if self.filter_out(site) {
            return Status::Ok;
        }
        let payload = words_payload(site, words);
        let (slot, checked) = packed_site_slot(site, WORDS_KEY);
        if self.packed_sites[slot] != checked {
            let packed_len = match check_words_message(site) {
                Ok(len) => len,
                Err(status) => return status,
            };
            if payload.len() > self.max_payload as usize {
                let mut values = [0u8; message::WORDS * 8];
                let argc = usize::from(site.arg_count);
                let len = message::pack_words(&site.arg_types[..argc], &words, &mut values);
                debug_assert_eq!(len, packed_len);
                // SAFETY: the caller's contract, passed on.
                return unsafe { self.publish_message_packed_checked(site, &values[..len]) };
            }
            self.packed_sites[slot] = checked;
        }
        let timestamp = clock::now_raw(self.use_tsc);
        let stream = checked_site_stream(site);
        self.publish_frame(stream, message::SLOT_WORDS, FrameKind::Message, payload, timestamp)
    }

    /// The fast path of a message from a call site this producer checked already with a
    /// message of `key` (its values' length, or [`WORDS_KEY`]): when the TSC is the clock and
    /// the stream takes it now without an overflow policy (RUN, not blocked; critical, or
    /// normal under DROP_NEWEST), `payload` is pushed or refused (`Full`) as a slot of
    /// `record_type`; a message below the threshold is filtered. `None`, with nothing
    /// published or counted, in every other case. Its gate bracket is `publish_frame`'s fast
    /// branch; a shared closure-taking helper for the two cost every publish 45 instructions
    /// (test_rt_cost), so they stay side by side.
    ///
    /// # Safety
    /// `site` stays valid and unchanged while the logger runs; a message of `key` from it was
    /// checked to fit in `max_payload` as `payload`.
    #[inline(always)]
    unsafe fn publish_checked_site(
        &mut self,
        site: &CallSiteDesc,
        key: usize,
        record_type: u16,
        payload: impl Payload,
    ) -> Option<Status> {
        if self.filter_out(site) {
            return Some(Status::Ok);
        }
        if !self.use_tsc {
            return None;
        }
        let timestamp = clock::now_raw(true);
        let (slot, checked) = packed_site_slot(site, key);
        if self.packed_sites[slot] != checked {
            return None;
        }
        let stream = checked_site_stream(site);
        quiesce::enter(&self.shared.hot.active, self.strong);
        let state = self.gate.state();
        let status = self
            .takes_plain(state, stream)
            .then(|| self.push_plain(stream, record_type, FrameKind::Message, payload, timestamp));
        quiesce::leave(&self.shared.hot.active);
        status
    }

    /// Whether a message of `site` is below the producer's threshold; counts it as filtered
    /// if so. One relaxed load and a compare when it is not.
    #[inline(always)]
    fn filter_out(&self, site: &CallSiteDesc) -> bool {
        if site.level >= self.shared.hot.threshold.load(Ordering::Relaxed) {
            return false;
        }
        let f = &self.shared.counters.filtered;
        f.store(f.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
        true
    }

    /// `publish` of a checked payload (no larger than `max_payload`: the push relies on it), as
    /// a frame of `kind`. Always inlined: `rtlog_publish` is its hot caller, and an outlined
    /// call cost it 15 instructions (test_rt_cost).
    #[inline(always)]
    fn publish_frame(
        &mut self,
        stream: Stream,
        record_type: u16,
        kind: FrameKind,
        payload: impl Payload,
        timestamp: u64,
    ) -> Status {
        quiesce::enter(&self.shared.hot.active, self.strong);
        let state = self.gate.state();
        let status = if self.takes_plain(state, stream) {
            self.push_plain(stream, record_type, kind, payload, timestamp)
        } else if !state.is_run() {
            Status::InvalidState
        } else if stream == Stream::Critical {
            self.push_plain(stream, record_type, kind, payload, timestamp)
        } else {
            self.push_normal_by_policy(state, record_type, kind, payload, timestamp)
        };
        quiesce::leave(&self.shared.hot.active);
        status
    }

    /// The common case, decided from one compare of the gate and one flag: RUN, the normal
    /// stream not blocked, and no overflow policy to apply to `stream`.
    #[inline(always)]
    fn takes_plain(&self, state: GateState, stream: Stream) -> bool {
        state.is_run_unblocked() && (stream == Stream::Critical || self.normal_plain)
    }

    /// `push` on the normal stream when it is blocked or has a policy other than DROP_NEWEST.
    #[inline(always)]
    fn push_normal_by_policy(
        &mut self,
        state: GateState,
        record_type: u16,
        kind: FrameKind,
        payload: impl Payload,
        timestamp: u64,
    ) -> Status {
        if !self.normal_admits(state) {
            return self.refuse(Stream::Normal);
        }
        if self.policy == Overflow::OverwriteOldest {
            self.push_overwrite(record_type, kind, payload, timestamp)
        } else {
            self.push_plain(Stream::Normal, record_type, kind, payload, timestamp)
        }
    }

    /// Whether the normal stream takes a record now: not in safe mode, not disabled, and —
    /// when sampling above the high-water mark — this is the one in `sample_one_in`.
    #[inline(always)]
    fn normal_admits(&mut self, gate: GateState) -> bool {
        if gate.normal_blocked() || self.shared.hot.normal_disabled.load(Ordering::Relaxed) {
            return false;
        }
        if self.policy == Overflow::Sample
            && self.shared.in_ring(Stream::Normal) >= self.sample_high_water
        {
            self.sample_count += 1;
            if self.sample_count % self.sample_one_in != 0 {
                return false;
            }
        }
        true
    }

    /// `push` on the normal stream under OVERWRITE_OLDEST: never refuses; when full, the
    /// oldest undispatched record is reclaimed. It took a seq, so the writer sees the gap and
    /// writes a loss marker for it.
    #[inline(always)]
    fn push_overwrite(
        &mut self,
        record_type: u16,
        kind: FrameKind,
        payload: impl Payload,
        timestamp: u64,
    ) -> Status {
        let s = Stream::Normal as usize;
        let lost_before = self.lost_since_accept[s];
        let ring = &mut self.rings[s];
        let header = slot_header(
            ring.pushed(),
            timestamp,
            (record_type, kind),
            Stream::Normal,
            self.id,
            lost_before,
        );
        if ring.push_overwrite_payload(&header, payload).is_some() {
            let counters = &self.shared.counters;
            counters
                .overwritten
                .store(counters.overwritten.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
            let d = &counters.dropped[s];
            d.store(d.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
        }
        Status::Ok
    }

    /// `push` on a ring that refuses when full (every ring but an OVERWRITE_OLDEST normal one).
    #[inline(always)]
    fn push_plain(
        &mut self,
        stream: Stream,
        record_type: u16,
        kind: FrameKind,
        payload: impl Payload,
        timestamp: u64,
    ) -> Status {
        let s = stream as usize;
        // The header is made where the slot is written, from registers: one header built
        // ahead was staged on the stack and copied (the copy's wide loads of narrow stores
        // could not be store-forwarded), and holding its fields through the check of a nearly
        // full ring cost a register shuffle there.
        let (id, lost_before) = (self.id, &self.lost_since_accept[s]);
        let header =
            |seq| slot_header(seq, timestamp, (record_type, kind), stream, id, *lost_before);
        // SAFETY: every caller checked `payload` against `max_payload`, which is no larger
        // than the rings' own (asserted in `new`); only the normal ring under OVERWRITE_OLDEST
        // overwrites (`Logger` makes it so, asserted in `new`), and it goes to `push_overwrite`.
        if unsafe { self.rings[s].push_plain_with(header, payload) } {
            self.lost_since_accept[s] = 0;
            return Status::Ok;
        }
        if stream == Stream::Normal && self.policy == Overflow::Disable {
            self.shared.hot.normal_disabled.store(true, Ordering::Relaxed);
        }
        self.refuse(stream)
    }

    /// Counts a refused record (and remembers it for the next accepted one's loss marker).
    #[inline]
    fn refuse(&mut self, stream: Stream) -> Status {
        let s = stream as usize;
        self.lost_since_accept[s] = self.lost_since_accept[s].saturating_add(1);
        let d = &self.shared.counters.dropped[s];
        d.store(d.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
        Status::Full
    }

    /// The producer's id (its index in creation order; stored in every record).
    pub fn id(&self) -> u16 {
        self.id
    }

    /// The largest payload `publish` accepts.
    #[inline]
    pub fn max_record_size(&self) -> u32 {
        self.max_payload
    }

    /// The producer's name.
    pub fn name(&self) -> &str {
        &self.shared.name
    }

    /// Records of `stream` that are durable: every record with a lower seq is. RT-safe (one
    /// atomic load).
    #[inline]
    pub fn durable_count(&self, stream: Stream) -> u64 {
        self.shared.durable(stream)
    }

    /// Records accepted on `stream` so far (the next record's seq).
    pub fn published(&self, stream: Stream) -> u64 {
        self.rings[stream as usize].pushed()
    }

    /// Records refused on `stream` so far.
    pub fn dropped(&self, stream: Stream) -> u64 {
        self.shared.dropped(stream)
    }

    /// Records of `stream` waiting in the ring.
    pub fn in_ring(&self, stream: Stream) -> u64 {
        self.shared.in_ring(stream)
    }

    /// Whether the ring of `stream` has a free slot now (two atomic loads). RT-safe.
    pub fn has_room(&self, stream: Stream) -> bool {
        self.shared.in_ring(stream) < self.rings[stream as usize].depth()
    }

    /// Messages below the threshold so far.
    pub fn filtered(&self) -> u64 {
        self.shared.filtered()
    }

    /// Sets the lowest message level this producer publishes. RT-safe: one atomic store.
    pub fn set_level(&self, level: Level) {
        self.shared.set_threshold(level);
    }

    /// Signals a fault of the component that owns this producer: the supervisor takes it on
    /// its next step and enters SAFE, naming `code` and the producer. **RT-safe**: one atomic
    /// store (a second signal before that step replaces the first's code).
    #[inline]
    pub fn signal_fault(&self, code: u32) {
        self.shared.fault.store(FAULT_PENDING | u64::from(code), Ordering::Release);
    }
}

/// The slot header of record `seq` of `stream` (its length is the ring's to fill in).
#[inline(always)]
fn slot_header(
    seq: u64,
    timestamp: u64,
    (record_type, kind): (u16, FrameKind),
    stream: Stream,
    producer: u16,
    lost_before: u32,
) -> SlotHeader {
    SlotHeader {
        seq,
        timestamp,
        record_type,
        producer,
        stream: stream as u8,
        kind: kind as u8,
        lost_before,
        ..SlotHeader::default()
    }
}

/// Everything `publish_message_packed` checks before a call site is remembered: its level, its
/// types against the values' length (`InvalidArgument`), and the message's size against
/// `max_payload` (`TooLarge`).
#[inline(always)]
fn check_packed_message(
    site: &CallSiteDesc,
    payload: Parts,
    max_payload: u32,
) -> Result<(), Status> {
    if message_stream(site).is_none() {
        return Err(Status::InvalidArgument);
    }
    message::check_packed(site, payload.body.len())?;
    if payload.len() > max_payload as usize {
        return Err(Status::TooLarge);
    }
    Ok(())
}

/// The key of a call site checked for `publish_message_words` in [`Producer::packed_sites`]:
/// no length of packed values is this large, so a site checked for the packed path is never
/// taken as checked for words, nor the other way round.
const WORDS_KEY: usize = usize::MAX;

/// A words message's slot payload: the call site's address, then the words.
#[inline(always)]
fn words_payload(site: &CallSiteDesc, words: [u64; message::WORDS]) -> [u64; message::WORDS + 1] {
    let [w0, w1, w2, w3] = words;
    [site as *const CallSiteDesc as u64, w0, w1, w2, w3]
}

/// Everything `publish_message_words` checks before a call site is remembered: its level and
/// its types (`InvalidArgument`). Returns the size of its values packed.
#[inline(always)]
fn check_words_message(site: &CallSiteDesc) -> Result<usize, Status> {
    if message_stream(site).is_none() {
        return Err(Status::InvalidArgument);
    }
    message::check_words(site)
}

/// Where [`Producer::packed_sites`] keeps `site`, and what that entry holds once `site` with
/// `len` bytes of values (or [`WORDS_KEY`]) was checked.
#[inline(always)]
fn packed_site_slot(site: &CallSiteDesc, len: usize) -> (usize, (usize, usize)) {
    let key = site as *const CallSiteDesc as usize;
    ((key >> 3) % PACKED_SITE_CACHE, (key, len))
}

/// `message_stream` of a call site whose level was checked: no test of the level's validity.
#[inline(always)]
fn checked_site_stream(site: &CallSiteDesc) -> Stream {
    if site.level >= Level::Error as u8 {
        Stream::Critical
    } else {
        Stream::Normal
    }
}

/// The stream of a message at the call site's level: critical for `Error` and `Fatal`; `None`
/// for a level this library does not know.
#[inline(always)]
fn message_stream(site: &CallSiteDesc) -> Option<Stream> {
    let level = Level::from_u8(site.level)?;
    Some(if level >= Level::Error { Stream::Critical } else { Stream::Normal })
}
