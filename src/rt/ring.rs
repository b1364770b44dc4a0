//! Bounded single-producer single-consumer ring of fixed-size record slots, in two overflow
//! modes: drop-newest ([`channel`]) and overwrite-oldest ([`channel_overwriting`]).
//!
//! **RT module**: no allocation after the ring is made, no lock, no syscall, every producer
//! operation a fixed number of steps.
//!
//! # Drop-newest: Lamport's queue
//!
//! The algorithm is Lamport's SPSC queue with free-running 64-bit counters and cached
//! indices (the layout rtrb uses):
//!
//! - `head` counts records pushed; only the producer writes it. `tail` counts records popped;
//!   only the consumer writes it. Both live on their own cache line. `head - tail` is the
//!   number of records in the ring and never exceeds `depth`; with 64-bit counters they never
//!   wrap in practice (2^64 records). The differences are still computed wrapping (producer)
//!   and saturating (consumer), so that a producer handle used by two threads at once, which
//!   the API forbids and whose stale stores can move `head` back, garbles only its own records:
//!   no overflow panic, no length that never drains.
//! - The producer keeps a private copy of `tail` and re-reads the shared one only when the ring
//!   looks full; the consumer does the same with `head`. In the common case a push or pop
//!   touches no cache line written by the other side.
//! - Publication: the producer fills the slot, then stores `head` with `Release`; the consumer
//!   loads `head` with `Acquire` before reading the slot, so it sees the record only complete.
//!   Symmetrically the consumer releases a slot with a `Release` store of `tail`, and the
//!   producer's `Acquire` load of `tail` orders the consumer's reads before the producer's
//!   next writes to that slot.
//!
//! - A consumer may hold its stores of `tail` back and release several slots with one store
//!   ([`RingConsumer::hold_tail`]; the dispatcher releases once per tick): the shared `tail`
//!   then lags the records taken, which only makes the ring look fuller to the producer, as a
//!   stale cached copy does, and each store still orders every read of the slots it releases.
//!
//! Slot memory is plain: a slot is only ever accessed by one side at a time, so
//! [`RingConsumer::peek`] can lend it out as `&[u8]` and [`RingProducer::push`] is a `memcpy`
//! and one `Release` store (no read-modify-write).
//!
//! # Overwrite-oldest: a validated copy
//!
//! [`RingProducer::push_overwrite`] never fails: on a full ring it takes the oldest record
//! not yet consumed back from the consumer and stores the new record in its slot. Both ends
//! then advance `tail`, and both do it **only** with `compare_exchange(t, t + 1)`. Since `tail`
//! grows one step at a time and only by a successful CAS, every position `t` is retired by
//! exactly one CAS: the consumer's (the record is accepted) or the producer's (the record is
//! reclaimed, and `push_overwrite` returns its seq). The protocol rests on that one fact.
//!
//! - **Producer**, ring full (`head - tail == depth`, after the same `Acquire` reload of
//!   `tail` as in drop-newest): CAS `tail` from `head - depth` to `head - depth + 1`. On
//!   success the oldest record's slot is ours (it is the slot `head` writes next); we read its
//!   seq word, which is our own last store to that word (so no race), write the new record and
//!   publish `head` (`Release`). On failure the consumer retired that record meanwhile, the slot
//!   is free as in drop-newest, and the value the CAS saw refreshes the cached tail. Either way
//!   the CAS is made once and never retried: the producer stays wait-free.
//! - **Consumer** ([`RingConsumer::take`]): copy the record at its tail `t` out (into a buffer,
//!   or into a reserved slot of another ring), then validate with CAS `tail` `t → t + 1`
//!   (`Release`) in [`Take::finish`]. Success: the copy is intact and may be used or
//!   published. Failure: the producer reclaimed `t` during the copy, which may be torn (two
//!   records mixed, length included); it is discarded and the consumer continues at the tail
//!   the CAS returned. Only after validation may a copy become visible to anyone
//!   (copy → validate → commit; see [`crate::rt::dispatcher`]).
//!
//! **Why an accepted copy is intact.** The slot of position `t` is written again only for
//! record `t + depth`, and the producer writes that record only once it has seen `tail > t`:
//! by its own successful CAS on `t` (impossible when the consumer's CAS on `t` succeeded: only
//! one can) or by an `Acquire` read of a `tail` value at or after the consumer's CAS (the
//! reload, or the success or failure value of a later CAS). Every write of `tail` is a
//! read-modify-write, so every later value belongs to the release sequence headed by the
//! consumer's `Release` CAS, and the `Acquire` read synchronises with it: the consumer's loads
//! of the slot, sequenced before its CAS, happen before the producer's stores, and a load
//! cannot return a store that happens after it. So every word the consumer read was written
//! for record `t` or earlier, and record `t` is complete in its view (it loaded `head > t`
//! with `Acquire`). No fence is needed: a seqlock reader re-reads its sequence with a plain
//! load and needs an `Acquire` fence to keep its data loads before that load; here the check
//! is a `Release` read-modify-write, which already orders the loads before it.
//!
//! **Why slot words are atomic in this mode.** On a failed validation the consumer's loads and
//! the producer's stores of one slot did overlap. With plain memory that is a data race
//! (undefined behaviour) even though the copy is thrown away; with atomic words every load
//! returns some word that was stored, so a torn length is still a length some record had
//! (at most `max_payload`), and validation decides whether the copy is used. The words are
//! `Relaxed`: their ordering comes from `head` (publication) and the `tail` CAS (validation),
//! as argued above. The header is stored as its four words (it has no padding), the payload as
//! native-endian words with a zero-padded last one.
//!
//! **Cached indices with two writers of `tail`.** `tail` only grows, so the producer's cached
//! copy is a lower bound: a stale one only makes the ring look fuller, which sends the producer
//! to the reload, and the CAS compares against the exact value. The consumer's own `tail` may
//! now lag the shared one (the producer retires records behind it): `take` re-reads the shared
//! `tail` (`Relaxed`: a hint to start at the oldest record; the CAS decides) and a lag that
//! appears during the copy fails the CAS. A CAS that expects a stale value can never succeed
//! (the counter never returns to it), so there is no ABA. The consumer's cached `head` is as in
//! drop-newest: only the producer writes `head`.
//!
//! The consumer of an overwrite-mode ring is lock-free, not wait-free: a copy fails each time
//! the producer reclaims its record during the copy. Callers bound their attempts (the
//! dispatcher makes one per ring per pass).
//!
//! Both protocols are model-checked with loom in `tests/loom_ring.rs` (see `src/rt/atomics.rs` for
//! the command); `tests/ring_stress.rs` runs 10^7 records through a small overwrite ring.
//!
//! A slot is a [`SlotHeader`] followed by up to `max_payload` bytes, padded to 8 bytes. The
//! slot index is kept beside each counter (incremented and wrapped by comparison), so any depth
//! works without a division on the fast path.

use crate::rt::atomics::{AccessTracker, Arc, AtomicU64, Ordering};
use crate::rt::prefetch;
use crossbeam_utils::CachePadded;
use std::cell::UnsafeCell;

/// The fixed header stored in front of each payload in a slot.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SlotHeader {
    /// Sequence number of the record in its producer's stream.
    pub seq: u64,
    /// Raw timestamp (TSC ticks or monotonic ns, see [`crate::rt::clock`]).
    pub timestamp: u64,
    /// Payload length in bytes.
    pub len: u32,
    /// Records of this producer and stream refused (ring full) since the previous accepted
    /// one; the writer turns a non-zero value into a loss marker in front of this record.
    pub lost_before: u32,
    /// User record type.
    pub record_type: u16,
    /// Producer id.
    pub producer: u16,
    /// Stream (0 critical, 1 normal).
    pub stream: u8,
    /// Record kind (see [`crate::format::FrameKind`]); data records use 1.
    pub kind: u8,
    /// Reserved, zero.
    pub reserved: [u8; 2],
}

const HEADER_BYTES: usize = std::mem::size_of::<SlotHeader>();
const _: () = assert!(HEADER_BYTES == 32);
/// The header has no padding byte (its fields add up to its size), so it is exactly its words.
const _: () = assert!(HEADER_BYTES == 8 + 8 + 4 + 4 + 2 + 2 + 1 + 1 + 2);
const HEADER_WORDS: usize = HEADER_BYTES / 8;
/// A producer end is one cache line on 64-bit targets (a publish reads its fields from one line);
/// not under loom, whose `Arc` is larger.
#[cfg(all(target_pointer_width = "64", not(loom)))]
const _: () = assert!(std::mem::size_of::<RingProducer>() == 64);
/// The word of a slot that holds `SlotHeader::seq`.
const SEQ_WORD: usize = std::mem::offset_of!(SlotHeader, seq) / 8;

/// Largest amount of memory one ring may take; the configuration refuses depths and record
/// sizes that would need more.
pub const MAX_RING_BYTES: u64 = 1 << 30;

/// Bytes one slot takes for a given maximum payload.
pub const fn slot_bytes(max_payload: u32) -> usize {
    HEADER_BYTES + (max_payload as usize).div_ceil(8) * 8
}

/// A header as the four words it occupies in a slot.
#[inline(always)]
fn header_to_words(h: SlotHeader) -> [u64; HEADER_WORDS] {
    // SAFETY: both types are 32 bytes; `SlotHeader` is `repr(C)` without padding (asserted
    // above), so all its bytes are initialised, and any bytes are a valid `[u64; 4]`.
    unsafe { std::mem::transmute::<SlotHeader, [u64; HEADER_WORDS]>(h) }
}

/// The header stored in four slot words (possibly torn: any bits make a valid header).
#[inline]
fn header_from_words(w: [u64; HEADER_WORDS]) -> SlotHeader {
    // SAFETY: both types are 32 bytes and every field of `SlotHeader` is an integer or an array
    // of integers, so every bit pattern is a valid `SlotHeader`.
    unsafe { std::mem::transmute::<[u64; HEADER_WORDS], SlotHeader>(w) }
}

/// Slot memory, by overflow mode.
enum Slots {
    /// Drop-newest: plain memory. Invariant: a slot is written only by the producer while it is
    /// free and read only by the consumer while it is published (see `Shared`'s `Sync`).
    Plain(PlainSlots),
    /// Overwrite-oldest: atomic words, because a consumer's copy of the oldest slot may overlap
    /// the producer's reclaim and rewrite of it (see the module docs).
    Atomic(Box<[AtomicU64]>),
}

/// Words of one 4 KiB page, the unit of [`PlainSlots`].
const PAGE_WORDS: usize = 4096 / 8;

/// A page of plain slot words, page-aligned.
#[repr(C, align(4096))]
struct Page([UnsafeCell<u64>; PAGE_WORDS]);
const _: () = assert!(std::mem::size_of::<Page>() == PAGE_WORDS * 8);

/// The memory of a drop-newest ring: whole pages, so the ring starts on a page boundary. An
/// allocator's large block starts a few bytes into a page (glibc's mmap'd chunks, 16), which
/// left no page boundary of the ring between two slots; aligned, one in three falls between
/// two 96-byte slots, and a slot across a boundary makes its publish translate two pages (a
/// timing A/B in docs/PERFORMANCE.md).
struct PlainSlots(Box<[Page]>);

impl PlainSlots {
    /// At least `words` zeroed words (non-RT: allocates and writes every page).
    fn zeroed(words: usize) -> PlainSlots {
        let page = || Page(std::array::from_fn(|_| UnsafeCell::new(0)));
        PlainSlots((0..words.div_ceil(PAGE_WORDS)).map(|_| page()).collect())
    }

    /// The words, in order.
    fn words(&self) -> &[UnsafeCell<u64>] {
        // SAFETY: `Page` is `repr(C)` and exactly its `PAGE_WORDS` words (asserted above: no
        // padding), so the pages are one contiguous run of `len * PAGE_WORDS` words, borrowed
        // for as long as `self`.
        unsafe {
            std::slice::from_raw_parts(
                self.0.as_ptr().cast::<UnsafeCell<u64>>(),
                self.0.len() * PAGE_WORDS,
            )
        }
    }
}

struct Shared {
    /// Records pushed so far. Written by the producer only (`Release`).
    head: CachePadded<AtomicU64>,
    /// Records retired so far. Drop-newest: written by the consumer only (`Release` store).
    /// Overwrite: written by both ends, only by `compare_exchange(t, t + 1)`, so it grows one
    /// step at a time and each position is retired by exactly one end (see the module docs).
    tail: CachePadded<AtomicU64>,
    /// Slot storage, `depth * slot_words` words; `u64` words give every slot 8-byte alignment.
    slots: Slots,
    /// Reports accesses to plain slots to loom; nothing in normal builds.
    track: AccessTracker,
    depth: u64,
    slot_words: usize,
    max_payload: u32,
}

// SAFETY: plain slots are plain bytes. Each is written only by the single producer while it is
// free (index in `tail..tail+depth` not yet published) and read only by the single consumer
// while it is published (`tail..head`); the Release/Acquire pairs on `head` and `tail` order
// those accesses, so no plain slot is ever accessed by both sides at once. Atomic slots and the
// counters are atomics.
unsafe impl Sync for Shared {}
// SAFETY: `Shared` owns its buffer; nothing in it is tied to a thread.
unsafe impl Send for Shared {}

impl Shared {
    /// The first word of plain slot `index`.
    #[inline]
    fn plain_slot(&self, buf: &PlainSlots, index: usize) -> *mut u64 {
        debug_assert!((index as u64) < self.depth);
        // `raw_get` keeps the provenance of the whole buffer; the offset stays inside it
        // because `index < depth` and the buffer holds at least `depth * slot_words` words.
        let base = UnsafeCell::raw_get(buf.words().as_ptr());
        base.wrapping_add(index * self.slot_words)
    }

    /// The words of atomic slot `index`.
    #[inline]
    fn atomic_slot<'a>(&self, words: &'a [AtomicU64], index: usize) -> &'a [AtomicU64] {
        &words[index * self.slot_words..(index + 1) * self.slot_words]
    }

    /// Slot `index` as words, whatever the mode.
    #[inline]
    fn words(&self, index: usize) -> Words<'_> {
        match &self.slots {
            Slots::Plain(buf) => Words::Plain(self.plain_slot(buf, index)),
            Slots::Atomic(words) => Words::Atomic(self.atomic_slot(words, index)),
        }
    }
}

/// One slot seen as words, for the copies that must work in both modes.
#[derive(Clone, Copy)]
enum Words<'a> {
    Plain(*mut u64),
    Atomic(&'a [AtomicU64]),
}

impl Words<'_> {
    /// Word `i` of the slot.
    ///
    /// # Safety
    /// For a plain slot, the calling end must own the slot for reading (see `Slots::Plain`).
    #[inline]
    unsafe fn get(self, i: usize) -> u64 {
        match self {
            // SAFETY: `i` is inside the slot (callers stay below `slot_words`) and the caller
            // owns the slot.
            Words::Plain(p) => unsafe { p.add(i).read() },
            // Relaxed: ordered by `head` and validated by the `tail` CAS (module docs).
            Words::Atomic(w) => w[i].load(Ordering::Relaxed),
        }
    }

    /// Sets word `i` of the slot.
    ///
    /// # Safety
    /// For a plain slot, the calling end must own the slot for writing.
    #[inline]
    unsafe fn set(self, i: usize, v: u64) {
        match self {
            // SAFETY: as in `get`, for writing.
            Words::Plain(p) => unsafe { p.add(i).write(v) },
            // Relaxed: published by the `Release` store of `head` (module docs).
            Words::Atomic(w) => w[i].store(v, Ordering::Relaxed),
        }
    }
}

/// A record's payload as the ring copies it into a slot: one byte range (`&[u8]`, records), two
/// stored back to back ([`Parts`], log messages), or words held in registers (`[u64; N]`, log
/// messages whose arguments came in registers). Generic rather than one type, so that
/// each caller's copy is compiled for its own shape: a record's path does not carry the
/// second range (+5 instructions per publish when it did, test_rt_cost).
pub trait Payload: Copy {
    /// Bytes in all.
    fn len(&self) -> usize;

    /// Whether there are none.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Copies the bytes to `dst`.
    ///
    /// # Safety
    /// `dst` is valid for writing `self.len()` bytes and overlaps no range of the payload.
    unsafe fn copy_to(self, dst: *mut u8);

    /// Stores the bytes into `body`'s words with `Relaxed` stores, the last word zero-padded.
    /// `body` holds at least `self.len()` bytes.
    fn store_words(self, body: &[AtomicU64]);
}

impl Payload for &[u8] {
    #[inline(always)]
    fn len(&self) -> usize {
        <[u8]>::len(self)
    }

    #[inline(always)]
    unsafe fn copy_to(self, dst: *mut u8) {
        // SAFETY: the caller's contract.
        unsafe { std::ptr::copy_nonoverlapping(self.as_ptr(), dst, <[u8]>::len(self)) };
    }

    #[inline(always)]
    fn store_words(self, body: &[AtomicU64]) {
        let mut chunks = self.chunks_exact(8);
        for (word, chunk) in body.iter().zip(&mut chunks) {
            let v = u64::from_ne_bytes(chunk.try_into().expect("chunks of 8 bytes"));
            word.store(v, Ordering::Relaxed);
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            last[..rest.len()].copy_from_slice(rest);
            body[<[u8]>::len(self) / 8].store(u64::from_ne_bytes(last), Ordering::Relaxed);
        }
    }
}

/// Copies `len` bytes from `src` to `dst`: from 8 to 64 bytes inline, as two overlapping
/// blocks, one at each end of the range; otherwise with `memcpy`. For a message's packed
/// values (-5 instructions per message against `memcpy`, test_rt_cost); a record's copy stays
/// `memcpy`, which the branches made dearer on the record paths.
///
/// # Safety
/// `src` is valid for reading and `dst` for writing `len` bytes, and the ranges do not overlap.
#[inline(always)]
unsafe fn copy_bytes(src: *const u8, dst: *mut u8, len: usize) {
    /// Copies the `N`-byte blocks at the start and at the end of the range (`N <= len`;
    /// they cover it when `len <= 2 * N`).
    ///
    /// # Safety
    /// As `copy_bytes`, with `N <= len`.
    #[inline(always)]
    unsafe fn ends<const N: usize>(src: *const u8, dst: *mut u8, len: usize) {
        // SAFETY: `N <= len`, so both blocks lie inside the ranges the caller vouches for;
        // unaligned reads and writes need no alignment.
        unsafe {
            let first = src.cast::<[u8; N]>().read_unaligned();
            let last = src.add(len - N).cast::<[u8; N]>().read_unaligned();
            dst.cast::<[u8; N]>().write_unaligned(first);
            dst.add(len - N).cast::<[u8; N]>().write_unaligned(last);
        }
    }
    // SAFETY: each `ends::<N>` gets `N <= len <= 2 * N`; the rest is `memcpy`.
    unsafe {
        if len.wrapping_sub(16) <= 16 {
            ends::<16>(src, dst, len);
        } else if len.wrapping_sub(33) <= 31 {
            ends::<32>(src, dst, len);
        } else if len.wrapping_sub(8) <= 7 {
            ends::<8>(src, dst, len);
        } else {
            std::ptr::copy_nonoverlapping(src, dst, len);
        }
    }
}

/// A payload in two ranges, `head` then `body`: a log message whose head the library builds
/// (the call site's address) and whose values the caller packed, each copied once, straight
/// into the slot.
#[derive(Clone, Copy)]
pub struct Parts<'a> {
    /// The first bytes.
    pub head: &'a [u8],
    /// The bytes after them.
    pub body: &'a [u8],
}

impl Parts<'_> {
    /// Byte `i` of the payload, zero past its end.
    #[inline]
    fn byte(&self, i: usize) -> u8 {
        match i.checked_sub(self.head.len()) {
            None => self.head[i],
            Some(j) => self.body.get(j).copied().unwrap_or(0),
        }
    }
}

impl Payload for Parts<'_> {
    #[inline(always)]
    fn len(&self) -> usize {
        self.head.len() + self.body.len()
    }

    #[inline(always)]
    unsafe fn copy_to(self, dst: *mut u8) {
        // SAFETY: the caller's contract: `dst` holds both ranges, back to back.
        unsafe {
            self.head.copy_to(dst);
            copy_bytes(self.body.as_ptr(), dst.add(self.head.len()), self.body.len());
        }
    }

    /// Byte by byte (only a message on an overwrite-oldest normal stream comes here).
    fn store_words(self, body: &[AtomicU64]) {
        for (w, word) in body.iter().enumerate().take(self.len().div_ceil(8)) {
            let bytes: [u8; 8] = std::array::from_fn(|k| self.byte(w * 8 + k));
            word.store(u64::from_ne_bytes(bytes), Ordering::Relaxed);
        }
    }
}

/// Words, stored little-endian: a payload made in registers, never read from memory before
/// the slot's stores (a log message whose arguments the caller passed in registers).
impl<const N: usize> Payload for [u64; N] {
    #[inline(always)]
    fn len(&self) -> usize {
        N * 8
    }

    #[inline(always)]
    unsafe fn copy_to(self, dst: *mut u8) {
        for (i, word) in self.into_iter().enumerate() {
            // SAFETY: the caller's contract: `dst` holds `N * 8` bytes; unaligned writes need
            // no alignment.
            unsafe { dst.cast::<u64>().add(i).write_unaligned(word.to_le()) };
        }
    }

    #[inline(always)]
    fn store_words(self, body: &[AtomicU64]) {
        for (slot_word, word) in body.iter().zip(self) {
            slot_word.store(word.to_le(), Ordering::Relaxed);
        }
    }
}

/// Stores a record in an atomic slot with `Relaxed` word stores (published later by `head`).
#[inline(always)]
fn store_words<P: Payload>(slot: &[AtomicU64], header: &SlotHeader, payload: P) {
    let mut h = *header;
    h.len = payload.len() as u32;
    for (word, v) in slot.iter().zip(header_to_words(h)) {
        word.store(v, Ordering::Relaxed);
    }
    payload.store_words(&slot[HEADER_WORDS..]);
}

/// The producer end. `Send` but not `Sync`: one thread pushes at a time.
///
/// It keeps its own copies of the ring's constants (depth, slot size, where the slots start),
/// so that a push reads them from the producer's own cache lines rather than from the shared
/// `Shared` one: with cold caches (a control loop that logs after computing), one line fewer
/// to fetch per publish (docs/PERFORMANCE.md, the cost per control cycle).
pub struct RingProducer {
    shared: Arc<Shared>,
    head: u64,
    index: usize,
    /// A lower bound of the shared `tail` (it only grows), refreshed only by `Acquire` reads.
    cached_tail: u64,
    /// `shared.depth`.
    depth: u64,
    /// `shared.slot_words`.
    slot_words: usize,
    /// Plain rings: the first word of slot 0, with the provenance of the whole buffer (slot `i`
    /// starts `i * slot_words` words further); null for an overwrite (atomic) ring.
    plain_base: *mut u64,
    /// `shared.max_payload`.
    max_payload: u32,
    /// Plain rings on a CPU with `prefetchw`: the offset of the last byte asked for after each
    /// push, in the slot it asks for (its first two lines at most; see
    /// [`prefetch_ahead`](Self::prefetch_ahead)); 0 when nothing is asked for. Two `u16`s
    /// beside `max_payload`, so that the end stays one 64-byte line.
    prefetch_last: u16,
    /// How many slots past the one the next push writes that slot is.
    prefetch_ahead: u16,
}

// SAFETY: `plain_base` points into the buffer that `shared` (an `Arc` this end holds) owns, so
// it stays valid wherever the end goes; the ring's protocol (one producer end, used by one
// thread at a time) decides who accesses which slot, as for the `Arc` itself.
unsafe impl Send for RingProducer {}

/// The consumer end. `Send` but not `Sync`: one thread pops at a time.
pub struct RingConsumer {
    shared: Arc<Shared>,
    /// Drop-newest: the shared `tail`. Overwrite: a lower bound of it (the producer may have
    /// retired records since we last looked).
    tail: u64,
    index: usize,
    /// A lower bound of the shared `head`, refreshed only by `Acquire` loads.
    cached_head: u64,
    /// Records this end found reclaimed by the producer (overwrite mode), included in `tail`.
    skipped: u64,
    /// Drop-newest: the `tail` last stored to the shared one.
    released: u64,
    /// Drop-newest: how many records this end may take before it stores `tail` (1: after
    /// each; see [`hold_tail`](Self::hold_tail)).
    release_every: u64,
}

/// Creates a drop-newest ring of `depth` slots for payloads up to `max_payload` bytes (non-RT,
/// INIT): a push into a full ring is refused.
///
/// The memory is allocated and every page written once, so no page fault happens later on the
/// RT path.
pub fn channel(depth: u32, max_payload: u32) -> (RingProducer, RingConsumer) {
    assert!(depth > 0, "ring depth must be positive");
    let words = slot_bytes(max_payload) / 8 * depth as usize;
    let buf = PlainSlots::zeroed(words);
    prefault(buf.words());
    ends(Slots::Plain(buf), depth, max_payload)
}

/// Creates an overwrite-oldest ring (non-RT, INIT): [`RingProducer::push_overwrite`] stores
/// every record, reclaiming the oldest unconsumed one when the ring is full. The consumer reads
/// it with [`RingConsumer::take`] only (`peek`/`pop` panic on this mode). Memory is prefaulted as
/// in [`channel`].
pub fn channel_overwriting(depth: u32, max_payload: u32) -> (RingProducer, RingConsumer) {
    assert!(depth > 0, "ring depth must be positive");
    let words = slot_bytes(max_payload) / 8 * depth as usize;
    let buf: Box<[AtomicU64]> = (0..words).map(|_| AtomicU64::new(0)).collect();
    for word in buf.iter().step_by(4096 / 8) {
        // Relaxed: the buffer is not shared yet; the store only makes the kernel map the page.
        word.store(0, Ordering::Relaxed);
    }
    ends(Slots::Atomic(buf), depth, max_payload)
}

/// How many slots past the next one a push asks the CPU for ([`RingProducer::prefetch_ahead`]).
/// In a burst a push comes every ~30 ns, and a line comes back from the consumer's CPU in half
/// the round trip `bench/line-round-trip.c` measures, 45-235 ns on this VM as the host moves its
/// CPUs: 11 pushes ahead cover the slowest. Against asking for the next slot
/// (`bench/experiments/2026-12-05-prefetch-ahead/`): burst p99.9 70.3 ns against 80.2 ns and
/// the mean 0.4 ns lower; paced, the mean 0.3 ns lower (docs/PERFORMANCE.md).
const PREFETCH_AHEAD: u64 = 11;

fn ends(slots: Slots, depth: u32, max_payload: u32) -> (RingProducer, RingConsumer) {
    let shared = Arc::new(Shared {
        head: CachePadded::new(AtomicU64::new(0)),
        tail: CachePadded::new(AtomicU64::new(0)),
        slots,
        track: AccessTracker::new(depth as usize),
        depth: depth.into(),
        slot_words: slot_bytes(max_payload) / 8,
        max_payload,
    });
    let plain_base = match &shared.slots {
        Slots::Plain(buf) => UnsafeCell::raw_get(buf.words().as_ptr()),
        Slots::Atomic(_) => std::ptr::null_mut(),
    };
    let prefetch_last = if !plain_base.is_null() && prefetch::write_hint_supported() {
        (shared.slot_words * 8).min(128) as u16 - 1
    } else {
        0
    };
    // Half the ring at most, so that the slot asked for is free whenever the ring is at most
    // half full (always, when the consumer keeps up).
    let prefetch_ahead = PREFETCH_AHEAD.min(shared.depth / 2) as u16;
    let producer = RingProducer {
        head: 0,
        index: 0,
        cached_tail: 0,
        depth: shared.depth,
        slot_words: shared.slot_words,
        plain_base,
        max_payload: shared.max_payload,
        prefetch_last,
        prefetch_ahead,
        shared: shared.clone(),
    };
    let consumer = RingConsumer {
        shared,
        tail: 0,
        index: 0,
        cached_head: 0,
        skipped: 0,
        released: 0,
        release_every: 1,
    };
    (producer, consumer)
}

/// Writes one word per page so the kernel maps every page now rather than on the RT path.
fn prefault(buf: &[UnsafeCell<u64>]) {
    for cell in buf.iter().step_by(4096 / 8) {
        // SAFETY: the buffer was just created and is not shared yet; a volatile write keeps the
        // compiler from eliding the store to an already-zero word.
        unsafe { cell.get().write_volatile(0) };
    }
}

impl RingProducer {
    /// Copies a record into the next free slot. Returns `false`, storing nothing, when the ring
    /// is full (in both modes: this never reclaims). RT-safe: wait-free, allocation-free,
    /// syscall-free.
    ///
    /// `payload.len()` must not exceed the ring's `max_payload` (checked in debug builds; the
    /// callers check it first and refuse the record with `TooLarge`).
    #[inline(always)]
    pub fn push(&mut self, header: &SlotHeader, payload: &[u8]) -> bool {
        self.push_payload(header, payload)
    }

    /// `push` of any [`Payload`].
    #[inline(always)]
    pub fn push_payload<P: Payload>(&mut self, header: &SlotHeader, payload: P) -> bool {
        assert!(payload.len() <= self.max_payload as usize);
        // SAFETY: the payload fits (asserted above).
        unsafe { self.push_payload_with(|_| *header, payload) }
    }

    /// `push_payload` of the header `make_header` returns for the record's seq (the records
    /// pushed so far), called only once the slot is known to be free: the header's fields are
    /// not held through the check of a nearly full ring, which then needs no register shuffle.
    ///
    /// # Safety
    /// `payload.len()` does not exceed the ring's [`max_payload`](Self::max_payload): the
    /// caller checked it already (the producer, against the `max_record_size` its rings were
    /// made with), and checking again cost every publish 4 instructions (test_rt_cost).
    #[inline(always)]
    pub unsafe fn push_payload_with<P: Payload>(
        &mut self,
        make_header: impl FnOnce(u64) -> SlotHeader,
        payload: P,
    ) -> bool {
        if self.plain_base.is_null() {
            return self.push_atomic(make_header(self.head), payload);
        }
        // SAFETY: the payload fits (the caller's contract); the ring has plain slots.
        unsafe { self.push_plain_with(make_header, payload) }
    }

    /// `push_payload_with` on a ring made by [`channel`], whose slots are plain words.
    ///
    /// # Safety
    /// As `push_payload_with`, and the ring was made by [`channel`], not
    /// [`channel_overwriting`]: the caller knows which (a producer's critical ring, and its
    /// normal ring under any policy but OVERWRITE_OLDEST), and asking the ring cost every
    /// publish 2 instructions (test_rt_cost).
    #[inline(always)]
    pub unsafe fn push_plain_with<P: Payload>(
        &mut self,
        make_header: impl FnOnce(u64) -> SlotHeader,
        payload: P,
    ) -> bool {
        debug_assert!(payload.len() <= self.max_payload as usize);
        debug_assert!(!self.plain_base.is_null());
        if self.looks_full(self.depth) {
            // Acquire: the consumer's reads of the slot we are about to reuse happened before.
            self.cached_tail = self.shared.tail.load(Ordering::Acquire);
            if self.looks_full(self.depth) {
                return false;
            }
        }
        self.shared.track.write(self.index);
        // `index < depth` and the buffer holds `depth * slot_words` words: inside it.
        let slot = self.plain_base.wrapping_add(self.index * self.slot_words);
        // SAFETY: the slot at `index` is free (fewer than `depth` records are in the ring), so
        // the consumer does not read it until we publish `head`; the slot holds a header plus
        // `max_payload >= payload.len()` bytes, and `slot` is 8-byte aligned.
        unsafe {
            let header = make_header(self.head);
            let words = header_to_words(SlotHeader { len: payload.len() as u32, ..header });
            for (i, word) in words.into_iter().enumerate() {
                slot.add(i).write(word);
            }
            payload.copy_to(slot.cast::<u8>().add(HEADER_BYTES));
        }
        self.advance();
        // Release: the slot's contents become visible before the new head.
        self.shared.head.store(self.head, Ordering::Release);
        self.prefetch_ahead();
        true
    }

    /// Asks the CPU for the cache lines of the slot `prefetch_ahead` slots past the one the
    /// next push writes: the first and the last of its first 128 bytes (the header and the
    /// start of the payload), which a consumer keeping up has read ([`crate::rt::prefetch`]).
    /// That far ahead because in a burst a push comes every ~30 ns and a line takes up to
    /// ~230 ns to come back from the consumer's CPU: asked for one push ahead, it came too late
    /// (docs/PERFORMANCE.md, "Bursts: the consumer on the producer's lines"). Not when that slot
    /// is not free by the cached tail: it then holds a record the consumer has yet to read, and
    /// taking its lines away would slow the consumer down. Plain rings on CPUs with the hint;
    /// nothing otherwise. RT-safe.
    #[inline(always)]
    fn prefetch_ahead(&self) {
        let ahead = self.prefetch_ahead as usize;
        if self.prefetch_last != 0
            && self.head.wrapping_sub(self.cached_tail) + (ahead as u64) < self.depth
        {
            // `index < depth` and `ahead <= depth / 2`: one subtraction wraps it.
            let mut at = self.index + ahead;
            if at >= self.depth as usize {
                at -= self.depth as usize;
            }
            let slot = self.plain_base.wrapping_add(at * self.slot_words).cast::<u8>();
            prefetch::for_write(slot);
            prefetch::for_write(slot.wrapping_add(self.prefetch_last as usize));
        }
    }

    /// `push` on an overwrite-mode ring: the same protocol with atomic word stores.
    #[cold]
    fn push_atomic<P: Payload>(&mut self, header: SlotHeader, payload: P) -> bool {
        let Some(mut slot) = self.reserve() else {
            return false;
        };
        slot.write_payload(&header, payload);
        slot.commit();
        true
    }

    /// Stores a record, reclaiming the oldest unconsumed record when the ring is full; returns
    /// the seq of the record it reclaimed (which will never be consumed), if any. Never fails.
    /// Only for rings made by [`channel_overwriting`] (panics otherwise). RT-safe: wait-free
    /// (at most one load and one compare-exchange on `tail`, never retried, plus the copy),
    /// allocation-free, syscall-free.
    ///
    /// `payload.len()` must not exceed the ring's `max_payload` (asserted).
    #[inline(always)]
    pub fn push_overwrite(&mut self, header: &SlotHeader, payload: &[u8]) -> Option<u64> {
        self.push_overwrite_payload(header, payload)
    }

    /// `push_overwrite` of any [`Payload`].
    #[inline(always)]
    pub fn push_overwrite_payload<P: Payload>(
        &mut self,
        header: &SlotHeader,
        payload: P,
    ) -> Option<u64> {
        let shared = &*self.shared;
        let Slots::Atomic(words) = &shared.slots else {
            panic!("push_overwrite needs a ring made by channel_overwriting");
        };
        assert!(payload.len() <= self.max_payload as usize);
        let slot = shared.atomic_slot(words, self.index);
        let mut reclaimed = None;
        if self.looks_full(self.depth) {
            // Acquire: as in `push`, the consumer's reads of the slot (its validated copy of it)
            // happened before our writes.
            self.cached_tail = shared.tail.load(Ordering::Acquire);
            if self.looks_full(self.depth) {
                let oldest = self.cached_tail;
                // Failure, Acquire: the consumer retired `oldest`, and its copy of the slot must
                // happen before our writes, exactly as for the reload above. Success, Acquire:
                // not needed by the argument in the module docs (the only copy our writes can
                // overlap is of `oldest`, which validation discards; the loom models pass with
                // Relaxed here), but it keeps "every tail value this end acts on was acquired"
                // true without exception, for the cost of nothing measurable on a full ring.
                match shared.tail.compare_exchange(
                    oldest,
                    oldest + 1,
                    Ordering::Acquire,
                    Ordering::Acquire,
                ) {
                    Ok(_) => {
                        // The slot of `oldest` is ours: it is the slot at `index`. Relaxed: its
                        // seq word was last stored by this thread, so the load returns that store.
                        reclaimed = Some(slot[SEQ_WORD].load(Ordering::Relaxed));
                        self.cached_tail = oldest + 1;
                    }
                    Err(now) => self.cached_tail = now,
                }
            }
        }
        if reclaimed.is_none() {
            // Not reclaimed: the consumer retired the slot's last record, so its copy of the
            // slot must happen before our writes (see `AccessTracker`).
            shared.track.write(self.index);
        }
        store_words(slot, header, payload);
        self.advance();
        // Release: the slot's words become visible before the new head.
        self.shared.head.store(self.head, Ordering::Release);
        reclaimed
    }

    /// Whether the ring is full by the cached copy of `tail`. Wrapping: `head - tail` never
    /// exceeds `depth` unless the handle is used by two threads at once (see the module doc).
    #[inline(always)]
    fn looks_full(&self, depth: u64) -> bool {
        self.head.wrapping_sub(self.cached_tail) == depth
    }

    /// Two-phase push, first phase: the next free slot, or `None` when the ring is full (this
    /// never reclaims, in either mode). Nothing is visible to the consumer until
    /// [`Reservation::commit`]; dropping the reservation abandons it. RT-safe: wait-free.
    #[inline]
    pub fn reserve(&mut self) -> Option<Reservation<'_>> {
        if self.looks_full(self.depth) {
            // Acquire: as in `push`.
            self.cached_tail = self.shared.tail.load(Ordering::Acquire);
            if self.looks_full(self.depth) {
                return None;
            }
        }
        Some(Reservation { ring: self, filled: false })
    }

    #[inline(always)]
    fn advance(&mut self) {
        self.head += 1;
        self.index += 1;
        if self.index as u64 == self.depth {
            self.index = 0;
        }
    }

    /// Records pushed so far through this end.
    #[inline]
    pub fn pushed(&self) -> u64 {
        self.head
    }

    /// Slots in the ring.
    pub fn depth(&self) -> u64 {
        self.depth
    }

    /// The largest payload a slot holds.
    pub fn max_payload(&self) -> u32 {
        self.max_payload
    }

    /// Whether the ring was made by [`channel_overwriting`].
    pub fn overwrites(&self) -> bool {
        matches!(self.shared.slots, Slots::Atomic(_))
    }
}

/// A reserved, not yet published slot of a ring (see [`RingProducer::reserve`]). RT-safe.
pub struct Reservation<'a> {
    ring: &'a mut RingProducer,
    filled: bool,
}

impl Reservation<'_> {
    /// Fills the slot with a record (`payload.len() <= max_payload`, asserted).
    #[inline]
    pub fn write(&mut self, header: &SlotHeader, payload: &[u8]) {
        self.write_payload(header, payload);
    }

    /// `write` of any [`Payload`].
    #[inline]
    pub fn write_payload<P: Payload>(&mut self, header: &SlotHeader, payload: P) {
        let shared = &*self.ring.shared;
        assert!(payload.len() <= shared.max_payload as usize);
        let mut h = *header;
        h.len = payload.len() as u32;
        match &shared.slots {
            Slots::Plain(buf) => {
                shared.track.write(self.ring.index);
                let slot = shared.plain_slot(buf, self.ring.index);
                // SAFETY: as in `push`: the reserved slot is free and large enough.
                unsafe {
                    slot.cast::<SlotHeader>().write(h);
                    payload.copy_to(slot.cast::<u8>().add(HEADER_BYTES));
                }
            }
            Slots::Atomic(words) => {
                shared.track.write(self.ring.index);
                store_words(shared.atomic_slot(words, self.ring.index), &h, payload)
            }
        }
        self.filled = true;
    }

    /// Publishes the record written into the slot. Panics if nothing was written.
    #[inline]
    pub fn commit(self) {
        assert!(self.filled, "commit of a reservation that was never written");
        self.ring.advance();
        // Release: the slot's contents become visible before the new head.
        self.ring.shared.head.store(self.ring.head, Ordering::Release);
    }
}

impl RingConsumer {
    /// The oldest record, if any, without removing it. Drop-newest rings only (panics on an
    /// overwrite-mode ring, whose slots may change under a borrow: use [`take`](Self::take)).
    /// RT-safe.
    #[inline]
    pub fn peek(&mut self) -> Option<(&SlotHeader, &[u8])> {
        let shared = &*self.shared;
        let Slots::Plain(buf) = &shared.slots else {
            panic!("peek needs a drop-newest ring; use take on an overwrite-mode ring");
        };
        if self.tail >= self.cached_head {
            // Acquire: pairs with the producer's Release store; the slot is complete.
            self.cached_head = shared.head.load(Ordering::Acquire);
            if self.tail >= self.cached_head {
                return None;
            }
        }
        shared.track.read(self.index);
        let slot = shared.plain_slot(buf, self.index);
        // SAFETY: `tail < head`, so the slot was published and the producer does not write it
        // until we advance `tail`, which needs `&mut self` (the returned borrow ends first).
        // The producer stored a valid header whose `len <= max_payload`.
        unsafe {
            let header = &*slot.cast::<SlotHeader>();
            let len = (header.len as usize).min(shared.max_payload as usize);
            let payload = std::slice::from_raw_parts(slot.cast::<u8>().add(HEADER_BYTES), len);
            Some((header, payload))
        }
    }

    /// Removes the oldest record (after [`peek`](Self::peek) returned it). Drop-newest rings
    /// only (panics otherwise). RT-safe.
    #[inline]
    pub fn pop(&mut self) {
        assert!(matches!(self.shared.slots, Slots::Plain(_)), "pop needs a drop-newest ring");
        debug_assert!(self.tail < self.cached_head, "pop without a peeked record");
        // The end of the borrow `peek` lent out.
        self.shared.track.read(self.index);
        self.advance();
        self.retire();
    }

    /// After a record was taken (drop-newest): stores `tail` unless this end holds records
    /// back ([`hold_tail`](Self::hold_tail)), it has not yet held `release_every` of them,
    /// and it has not caught up with the head it knows (a producer then waits for nothing).
    #[inline]
    fn retire(&mut self) {
        if self.tail - self.released >= self.release_every || self.tail >= self.cached_head {
            self.store_tail();
        }
    }

    /// Releases the slots of every record a [`hold_tail`](Self::hold_tail) end took so far to
    /// the producer, with one store of `tail`. A no-op when nothing was taken since the last
    /// store, and on an end that does not hold its tail (it stores it after every record, and
    /// an overwrite ring's `tail` only ever moves by compare-and-swap: a store could move it
    /// back past records the producer reclaimed). RT-safe: two compares and at most one store.
    #[inline]
    pub fn release(&mut self) {
        if self.release_every > 1 && self.released != self.tail {
            self.store_tail();
        }
    }

    /// Drop-newest: publishes `tail`.
    #[inline]
    fn store_tail(&mut self) {
        // Release: our reads of the slots happen before the producer may overwrite them.
        self.shared.tail.store(self.tail, Ordering::Release);
        self.released = self.tail;
    }

    /// Lets this end take up to a quarter of the ring (at least two records) before it stores
    /// `tail`, rather than after every record (drop-newest; an overwrite ring's `tail` moves
    /// by compare-and-swap for every record, always). The owner calls [`release`](Self::release)
    /// when it stops taking; the end also releases when it catches up with the head it knows.
    /// Why: a `tail` stored after every record takes its cache line from the producer's CPU
    /// once per record, and a producer that finds the ring full re-reads it each time, waiting
    /// for the line to come back (docs/PERFORMANCE.md, "Holding the tail"). Non-RT (INIT).
    pub fn hold_tail(&mut self) {
        assert!(matches!(self.shared.slots, Slots::Plain(_)), "hold_tail needs a drop-newest ring");
        self.release_every = (self.shared.depth / 4).max(2);
    }

    /// Starts taking the oldest record, in either mode: `None` when the ring is empty. Copy the
    /// record out with [`Take::copy_to`] or [`Take::copy_into`], then call [`Take::finish`],
    /// which removes it and says whether the copy is intact. Dropping the `Take` leaves the
    /// record in place. RT-safe: wait-free (one attempt; the caller bounds its retries).
    #[inline]
    pub fn take(&mut self) -> Option<Take<'_>> {
        if let Slots::Atomic(_) = self.shared.slots {
            // Relaxed: a hint, so that we copy the oldest record rather than one the producer
            // already reclaimed; `finish` validates whatever we copy. (Coherence: this load
            // cannot return less than values this thread already read or wrote.)
            let now = self.shared.tail.load(Ordering::Relaxed);
            if now > self.tail {
                self.jump(now);
            }
        }
        if self.tail >= self.cached_head {
            // Acquire: pairs with the producer's Release store; the slot is complete.
            self.cached_head = self.shared.head.load(Ordering::Acquire);
            if self.tail >= self.cached_head {
                return None;
            }
        }
        Some(Take { ring: self })
    }

    /// Moves this end to position `now` of the shared `tail`, past records the producer
    /// reclaimed. Overwrite mode only; a division, but only when records were lost.
    #[cold]
    fn jump(&mut self, now: u64) {
        self.skipped += now - self.tail;
        self.tail = now;
        self.index = (now % self.shared.depth) as usize;
    }

    #[inline]
    fn advance(&mut self) {
        self.tail += 1;
        self.index += 1;
        if self.index as u64 == self.shared.depth {
            self.index = 0;
        }
    }

    /// Records this end has moved past: consumed, and in overwrite mode also those it found
    /// reclaimed by the producer ([`skipped`](Self::skipped)).
    #[inline]
    pub fn popped(&self) -> u64 {
        self.tail
    }

    /// Records this end found reclaimed by the producer before it could take them (overwrite
    /// mode; always 0 in drop-newest mode). Records reclaimed but not yet noticed are not
    /// counted: the producer's count (`push_overwrite` results) is the exact one.
    pub fn skipped(&self) -> u64 {
        self.skipped
    }

    /// Records currently in the ring, as seen now (a snapshot; the producer may add more, and
    /// in overwrite mode reclaim some).
    #[inline]
    pub fn len(&self) -> u64 {
        let shared = &*self.shared;
        match shared.slots {
            // Saturating: `head >= tail` always, unless a producer handle is used by two
            // threads at once (forbidden), whose stale stores can move `head` back behind
            // `tail`; the ring then reads as empty (a wrapped length made `rtlog_shutdown` wait
            // forever for it to drain: found by test_misuse).
            Slots::Plain(_) => shared.head.load(Ordering::Acquire).saturating_sub(self.tail),
            Slots::Atomic(_) => {
                // Relaxed: a statistic; the producer may have retired records behind our own
                // `tail`. Tail is read first, so the head read after it is usually newer; the
                // saturation covers the rare stale head.
                let tail = shared.tail.load(Ordering::Relaxed).max(self.tail);
                shared.head.load(Ordering::Acquire).saturating_sub(tail)
            }
        }
    }

    /// Whether the ring holds no record right now.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The largest payload a slot holds.
    pub fn max_payload(&self) -> u32 {
        self.shared.max_payload
    }

    /// Whether the ring was made by [`channel_overwriting`].
    pub fn overwrites(&self) -> bool {
        matches!(self.shared.slots, Slots::Atomic(_))
    }

    /// A handle that reads the producer's counter, for statistics from other threads.
    pub fn counter(&self) -> PushCounter {
        PushCounter { shared: self.shared.clone() }
    }
}

/// The oldest record of a ring, being taken (see [`RingConsumer::take`]). RT-safe.
///
/// In overwrite mode a copy made through it is only a candidate until [`finish`](Self::finish)
/// returns `true`: before that it may be torn and must not be used or published.
pub struct Take<'a> {
    ring: &'a mut RingConsumer,
}

impl Take<'_> {
    /// Copies the record: returns its header and writes its payload to `out[..header.len]`.
    /// `out` must hold `max_payload` bytes (asserted). In overwrite mode the result may be torn
    /// until `finish` returns `true` (the length is still at most `max_payload`).
    pub fn copy_to(&self, out: &mut [u8]) -> SlotHeader {
        let c = &*self.ring;
        let shared = &*c.shared;
        assert!(out.len() >= shared.max_payload as usize, "output shorter than max_payload");
        let words = shared.words(c.index);
        shared.track.read(c.index);
        // SAFETY: `tail < head` (checked by `take`): a plain slot is published and ours until
        // `finish`; atomic slots need nothing.
        let mut h = header_from_words(std::array::from_fn(|i| unsafe { words.get(i) }));
        h.len = h.len.min(shared.max_payload);
        let len = h.len as usize;
        for (i, chunk) in out[..len].chunks_mut(8).enumerate() {
            // SAFETY: as above; `i < len / 8 + 1 <= slot_words - HEADER_WORDS`.
            let w = unsafe { words.get(HEADER_WORDS + i) }.to_ne_bytes();
            chunk.copy_from_slice(&w[..chunk.len()]);
        }
        h
    }

    /// Copies the record into a reserved slot of another ring (whose `max_payload` must be at
    /// least this ring's, asserted). In overwrite mode, commit the reservation only after
    /// `finish` returned `true`, and drop it otherwise.
    pub fn copy_into(&self, dst: &mut Reservation<'_>) {
        let c = &*self.ring;
        let src = &*c.shared;
        let to = &*dst.ring.shared;
        assert!(src.max_payload <= to.max_payload, "output ring slots are smaller");
        let (from, into) = (src.words(c.index), to.words(dst.ring.index));
        src.track.read(c.index);
        to.track.write(dst.ring.index);
        if let (Words::Plain(from), Words::Plain(into)) = (from, into) {
            // SAFETY: the source slot is published and ours until `finish`, the destination is
            // reserved (free); distinct rings, so the slots do not overlap. The header is
            // valid (written whole by the producer) with `len <= src.max_payload <=
            // to.max_payload`, so the copy stays inside both slots.
            unsafe {
                let h = from.cast::<SlotHeader>().read();
                let len = (h.len as usize).min(src.max_payload as usize);
                std::ptr::copy_nonoverlapping(
                    from.cast::<u8>(),
                    into.cast::<u8>(),
                    HEADER_BYTES + len,
                );
            }
        } else {
            // SAFETY: a plain slot among the two is owned by its end as above; indices stay
            // below `HEADER_WORDS + ceil(len / 8) <= slot_words` of both rings.
            let mut h = header_from_words(std::array::from_fn(|i| unsafe { from.get(i) }));
            h.len = h.len.min(src.max_payload);
            for (i, w) in header_to_words(h).into_iter().enumerate() {
                // SAFETY: see above.
                unsafe { into.set(i, w) };
            }
            for i in HEADER_WORDS..HEADER_WORDS + (h.len as usize).div_ceil(8) {
                // SAFETY: see above.
                unsafe { into.set(i, from.get(i)) };
            }
        }
        dst.filled = true;
    }

    /// Removes the record and says whether the copy made is intact. Drop-newest: always
    /// `true`. Overwrite: `false` when the producer reclaimed the record during the copy,
    /// which must then be discarded; the consumer has moved on to the oldest record left.
    #[inline]
    pub fn finish(self) -> bool {
        let c = self.ring;
        match c.shared.slots {
            Slots::Plain(_) => {
                c.shared.track.read(c.index);
                c.advance();
                c.retire();
                true
            }
            // Success, Release: our loads of the slot happen before the producer's next writes
            // to it (module docs). Failure, Relaxed: we only learn the new tail; the records
            // from there on are published by `head`, which `take` acquires.
            Slots::Atomic(_) => match c.shared.tail.compare_exchange(
                c.tail,
                c.tail + 1,
                Ordering::Release,
                Ordering::Relaxed,
            ) {
                Ok(_) => {
                    c.advance();
                    true
                }
                Err(now) => {
                    c.jump(now);
                    false
                }
            },
        }
    }
}

/// Read-only view of a ring's counters (non-RT statistics).
#[derive(Clone)]
pub struct PushCounter {
    shared: Arc<Shared>,
}

impl PushCounter {
    /// Records pushed so far (`Acquire`, so a reader that then sees them persisted is consistent).
    pub fn pushed(&self) -> u64 {
        self.shared.head.load(Ordering::Acquire)
    }

    /// Records retired so far: popped, and in overwrite mode also reclaimed by the producer.
    pub fn popped(&self) -> u64 {
        self.shared.tail.load(Ordering::Acquire)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn header(seq: u64) -> SlotHeader {
        SlotHeader { seq, timestamp: seq * 10, record_type: 7, kind: 1, ..SlotHeader::default() }
    }

    #[test]
    fn a_drop_newest_ring_starts_on_a_page() {
        for (depth, max_payload) in [(1, 0), (3, 16), (4096, 64), (1000, 256)] {
            let (p, _c) = channel(depth, max_payload);
            assert_eq!(p.plain_base as usize % 4096, 0, "depth {depth}, max_payload {max_payload}");
            let Slots::Plain(buf) = &p.shared.slots else { unreachable!() };
            assert!(buf.words().len() >= depth as usize * slot_bytes(max_payload) / 8);
        }
    }

    #[test]
    fn fills_then_refuses_then_drains_in_order() {
        let (mut p, mut c) = channel(3, 16);
        for i in 0..3u8 {
            assert!(p.push(&header(i.into()), &[i; 5]));
        }
        assert!(!p.push(&header(9), &[9]));
        for i in 0..3u8 {
            let (h, payload) = c.peek().unwrap();
            assert_eq!((h.seq, h.len, h.record_type), (i.into(), 5, 7));
            assert_eq!(payload, &[i; 5]);
            c.pop();
        }
        assert!(c.peek().is_none());
        assert!(p.push(&header(3), &[]));
        assert_eq!(c.peek().unwrap().1.len(), 0);
    }

    #[test]
    fn a_payload_in_two_parts_reads_back_whole_in_both_modes() {
        let whole: Vec<u8> = (0u8..45).collect();
        for (mut p, mut c) in [channel(4, 48), channel_overwriting(4, 48)] {
            // Every split, including an empty head or body and heads not a multiple of 8.
            for split in 0..=whole.len() {
                let parts = Parts { head: &whole[..split], body: &whole[split..] };
                let h = header(split as u64);
                assert!(p.push_overwrite_payload_or_push(&h, parts), "room for one record");
                let (got, bytes) = take_one(&mut c).unwrap();
                assert_eq!((got.seq, got.len), (split as u64, whole.len() as u32));
                assert_eq!(bytes, whole, "split at {split}");
            }
        }
    }

    #[test]
    fn a_payload_of_words_reads_back_little_endian_in_both_modes() {
        let words = [0x0102_0304_0506_0708u64, u64::MAX, 0, 0x8000_0000_0000_0001];
        let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        for (mut p, mut c) in [channel(4, 32), channel_overwriting(4, 32)] {
            for seq in 0..6 {
                assert!(p.push_overwrite_payload_or_push(&header(seq), words), "room for one");
                let (got, read) = take_one(&mut c).unwrap();
                assert_eq!((got.seq, got.len), (seq, 32));
                assert_eq!(read, bytes);
            }
        }
    }

    #[test]
    fn a_head_moved_back_behind_tail_reads_as_empty() {
        // What two threads sharing one producer handle can leave (forbidden, but it must not
        // hang the logger): a stale `head` store below what the consumer has already taken.
        let (mut p, mut c) = channel(4, 8);
        for i in 0..3 {
            assert!(p.push(&header(i), &[1]));
        }
        while c.peek().is_some() {
            c.pop();
        }
        p.shared.head.store(1, Ordering::Release);
        p.head = 1;
        assert_eq!(c.len(), 0);
        assert!(c.is_empty() && c.peek().is_none() && c.take().is_none());
        // The producer goes on from its stale count; records flow again once it passes `tail`
        // (which of its records the consumer gets is garbled, as the misuse garbles them).
        for i in 0..3 {
            assert!(p.push(&header(10 + i), &[2]));
        }
        assert_eq!(c.len(), 1);
        let (h, payload) = c.peek().unwrap();
        assert!((10..13).contains(&h.seq) && payload == [2], "{h:?}");
    }

    #[test]
    fn wraps_many_times_with_any_depth() {
        let (mut p, mut c) = channel(5, 24);
        let mut next = 0u64;
        for round in 0..1000u64 {
            let n = round % 6;
            for k in 0..n {
                let v = (round * 7 + k) as u8;
                if !p.push(&header(round * 10 + k), &[v; 24][..(k as usize * 4)]) {
                    break;
                }
            }
            while let Some((h, payload)) = c.peek() {
                assert_eq!(payload.len(), (h.seq % 10) as usize * 4);
                assert!(h.seq >= next);
                next = h.seq;
                c.pop();
            }
        }
    }

    /// Payload of record `seq`: its length (0..=24) and every byte are functions of `seq`.
    fn body(seq: u64) -> Vec<u8> {
        (0..(seq % 25) as usize).map(|i| (seq as u8).wrapping_mul(13) ^ (i as u8)).collect()
    }

    fn full_header(seq: u64) -> SlotHeader {
        SlotHeader {
            seq,
            timestamp: !seq,
            len: 0,
            lost_before: seq as u32 ^ 0xdead,
            record_type: seq as u16,
            producer: 3,
            stream: 1,
            kind: 1,
            reserved: [0; 2],
        }
    }

    impl RingProducer {
        /// Pushes in the ring's own mode: reclaiming on an overwrite ring, refusing otherwise.
        fn push_overwrite_payload_or_push<P: Payload>(&mut self, h: &SlotHeader, p: P) -> bool {
            match self.shared.slots {
                Slots::Atomic(_) => self.push_overwrite_payload(h, p).is_none(),
                Slots::Plain(_) => self.push_payload(h, p),
            }
        }
    }

    /// Takes one record (asserting that the copy is intact) or returns `None` when empty.
    fn take_one(c: &mut RingConsumer) -> Option<(SlotHeader, Vec<u8>)> {
        let mut buf = vec![0u8; c.max_payload() as usize];
        let take = c.take()?;
        let h = take.copy_to(&mut buf);
        assert!(take.finish(), "no producer runs: validation cannot fail");
        buf.truncate(h.len as usize);
        Some((h, buf))
    }

    fn assert_intact(h: &SlotHeader, payload: &[u8]) {
        let mut expect = full_header(h.seq);
        expect.len = body(h.seq).len() as u32;
        assert_eq!(*h, expect);
        assert_eq!(payload, &body(h.seq)[..]);
    }

    #[test]
    fn overwrite_reclaims_the_oldest_and_reports_its_seq() {
        let (mut p, mut c) = channel_overwriting(3, 24);
        assert!(p.overwrites() && c.overwrites());
        for seq in 0..3 {
            assert_eq!(p.push_overwrite(&full_header(seq), &body(seq)), None);
        }
        assert_eq!(p.push_overwrite(&full_header(3), &body(3)), Some(0));
        assert_eq!(p.push_overwrite(&full_header(4), &body(4)), Some(1));
        assert_eq!(c.len(), 3);
        let (h, payload) = take_one(&mut c).unwrap();
        assert_intact(&h, &payload);
        assert_eq!((h.seq, c.skipped(), c.popped()), (2, 2, 3));
        // One free slot: no reclaim; then full again.
        assert_eq!(p.push_overwrite(&full_header(5), &body(5)), None);
        assert_eq!(p.push_overwrite(&full_header(6), &body(6)), Some(3));
        let seqs: Vec<u64> = std::iter::from_fn(|| take_one(&mut c)).map(|(h, _)| h.seq).collect();
        assert_eq!(seqs, vec![4, 5, 6]);
        assert_eq!((c.skipped(), c.popped(), c.len()), (3, 7, 0));
        let counter = c.counter();
        assert_eq!((counter.pushed(), counter.popped()), (7, 7));
    }

    #[test]
    fn overwrite_matches_a_model_queue_through_many_wraps() {
        let rounds = if cfg!(miri) { 40 } else { 2000u64 };
        for depth in [1u32, 2, 3, 5, 8] {
            let (mut p, mut c) = channel_overwriting(depth, 24);
            let mut model = std::collections::VecDeque::new();
            let mut seq = 0u64;
            for round in 0..rounds {
                for _ in 0..(round * 7 % 11) {
                    let expect =
                        (model.len() == depth as usize).then(|| model.pop_front().unwrap());
                    assert_eq!(p.push_overwrite(&full_header(seq), &body(seq)), expect);
                    model.push_back(seq);
                    seq += 1;
                }
                for _ in 0..(round * 5 % 7) {
                    let got = take_one(&mut c);
                    if let Some((h, payload)) = &got {
                        assert_intact(h, payload);
                    }
                    assert_eq!(got.map(|(h, _)| h.seq), model.pop_front());
                }
                assert_eq!(c.len(), model.len() as u64);
            }
            assert_eq!(c.popped() + model.len() as u64, seq);
        }
    }

    #[test]
    fn a_copy_overlapping_a_reclaim_fails_validation_and_is_not_published() {
        let (mut p, mut c) = channel_overwriting(2, 24);
        let (mut out_p, mut out_c) = channel(4, 24);
        p.push_overwrite(&full_header(0), &body(0));
        p.push_overwrite(&full_header(1), &body(1));
        {
            let take = c.take().unwrap();
            let mut slot = out_p.reserve().unwrap();
            take.copy_into(&mut slot);
            // The producer reclaims record 0 while the consumer holds its copy.
            assert_eq!(p.push_overwrite(&full_header(2), &body(2)), Some(0));
            assert!(!take.finish());
        } // `slot` is dropped uncommitted.
        assert!(out_c.peek().is_none());
        assert_eq!((out_p.pushed(), c.popped(), c.skipped()), (0, 1, 1));
        // The consumer continues at the oldest record left, and the output slot is reused.
        let take = c.take().unwrap();
        let mut slot = out_p.reserve().unwrap();
        take.copy_into(&mut slot);
        assert!(take.finish());
        slot.commit();
        let (h, payload) = out_c.peek().unwrap();
        assert_intact(h, payload);
        assert_eq!(h.seq, 1);
    }

    #[test]
    fn a_stale_consumer_starts_at_the_oldest_record() {
        let (mut p, mut c) = channel_overwriting(4, 24);
        for seq in 0..11 {
            p.push_overwrite(&full_header(seq), &body(seq));
        }
        let (h, payload) = take_one(&mut c).unwrap();
        assert_intact(&h, &payload);
        assert_eq!((h.seq, c.skipped()), (7, 7));
    }

    #[test]
    fn push_on_an_overwrite_ring_refuses_when_full() {
        let (mut p, mut c) = channel_overwriting(2, 24);
        assert!(p.push(&full_header(0), &body(0)));
        assert!(p.push(&full_header(1), &body(1)));
        assert!(!p.push(&full_header(9), &body(9)));
        assert_eq!(take_one(&mut c).unwrap().0.seq, 0);
        assert!(p.push(&full_header(2), &body(2)));
        let seqs: Vec<u64> = std::iter::from_fn(|| take_one(&mut c)).map(|(h, _)| h.seq).collect();
        assert_eq!(seqs, vec![1, 2]);
    }

    #[test]
    #[should_panic(expected = "use take")]
    fn peek_refuses_an_overwrite_ring() {
        let (_p, mut c) = channel_overwriting(2, 8);
        c.peek();
    }

    #[test]
    #[should_panic(expected = "channel_overwriting")]
    fn push_overwrite_refuses_a_drop_newest_ring() {
        let (mut p, _c) = channel(2, 8);
        p.push_overwrite(&header(0), &[]);
    }

    #[test]
    fn take_and_reserve_work_on_drop_newest_rings() {
        let (mut p, mut c) = channel(2, 24);
        let (mut out_p, mut out_c) = channel(2, 24);
        let mut slot = p.reserve().unwrap();
        slot.write(&full_header(0), &body(0));
        slot.commit();
        assert!(p.reserve().is_some(), "an abandoned reservation publishes nothing");
        assert!(p.push(&full_header(1), &body(1)));
        assert!(p.reserve().is_none());
        let (h, payload) = take_one(&mut c).unwrap();
        assert_intact(&h, &payload);
        let take = c.take().unwrap();
        let mut slot = out_p.reserve().unwrap();
        take.copy_into(&mut slot);
        assert!(take.finish());
        slot.commit();
        let (h, payload) = out_c.peek().unwrap();
        assert_intact(h, payload);
        assert_eq!((h.seq, c.popped(), c.skipped()), (1, 2, 0));
    }

    /// A consumer that holds its tail frees the slots it took only when it releases them, or
    /// once a quarter of the ring is held, or once it has caught up with the head it knows.
    #[test]
    fn a_held_tail_frees_slots_only_when_released() {
        let (mut p, mut c) = channel(8, 8);
        c.hold_tail();
        for seq in 0..8 {
            assert!(p.push(&header(seq), &[1; 8]));
        }
        take_one(&mut c).unwrap();
        assert!(!p.push(&header(8), &[1; 8]), "a record taken but held is not free yet");
        c.release();
        assert!(p.push(&header(8), &[1; 8]));
        take_one(&mut c).unwrap();
        assert!(!p.push(&header(9), &[1; 8]));
        take_one(&mut c).unwrap();
        // Two held: a quarter of the ring, released without being asked.
        assert!(p.push(&header(9), &[1; 8]) && p.push(&header(10), &[1; 8]));
        while take_one(&mut c).is_some() {}
        // Caught up: everything taken is free.
        for seq in 11..19 {
            assert!(p.push(&header(seq), &[1; 8]));
        }
        assert_eq!(c.len(), 8);
    }

    /// Not a benchmark: a guard that drop-newest rings keep the plain-memory `push` of
    /// Lamport's queue — plain slots, and no write of `tail` by the producer (no
    /// read-modify-write anywhere on that path), however often the ring is full.
    #[test]
    fn drop_newest_push_stays_on_the_plain_path() {
        let (mut p, mut c) = channel(2, 8);
        assert!(!p.overwrites() && matches!(p.shared.slots, Slots::Plain(_)));
        for seq in 0..100 {
            p.push(&header(seq), &[1; 8]);
            assert_eq!(p.shared.tail.load(Ordering::Relaxed), 0);
        }
        assert_eq!((p.pushed(), c.len()), (2, 2));
        assert_eq!(c.peek().unwrap().0.seq, 0);
    }

    #[test]
    fn threads_on_an_overwrite_ring_accept_only_intact_records() {
        const N: u64 = if cfg!(miri) { 300 } else { 200_000 };
        let (mut p, mut c) = channel_overwriting(4, 24);
        let t = std::thread::spawn(move || {
            (0..N).filter(|&seq| p.push_overwrite(&full_header(seq), &body(seq)).is_some()).count()
                as u64
        });
        let mut buf = [0u8; 24];
        let (mut accepted, mut next) = (0u64, 0u64);
        let mut attempt = |c: &mut RingConsumer| -> bool {
            let Some(take) = c.take() else { return false };
            let h = take.copy_to(&mut buf);
            if take.finish() {
                assert_intact(&h, &buf[..h.len as usize]);
                assert!(h.seq >= next, "seq {} after {next}", h.seq);
                next = h.seq + 1;
                accepted += 1;
            }
            true
        };
        while !t.is_finished() {
            if !attempt(&mut c) {
                std::thread::yield_now();
            }
        }
        let overwritten = t.join().unwrap();
        while attempt(&mut c) {}
        assert_eq!(accepted + overwritten, N);
        assert_eq!(c.popped(), N);
    }

    #[test]
    fn threads_see_complete_records_in_order() {
        const N: u64 = if cfg!(miri) { 200 } else { 200_000 };
        let (mut p, mut c) = channel(64, 64);
        let t = std::thread::spawn(move || {
            let mut seq = 0;
            while seq < N {
                let bytes = [seq as u8; 64];
                if p.push(&header(seq), &bytes[..(seq % 65) as usize]) {
                    seq += 1;
                } else {
                    std::thread::yield_now();
                }
            }
        });
        let mut expect = 0;
        while expect < N {
            if let Some((h, payload)) = c.peek() {
                assert_eq!(h.seq, expect);
                assert_eq!(payload.len() as u64, expect % 65);
                assert!(payload.iter().all(|&b| b == expect as u8));
                c.pop();
                expect += 1;
            } else {
                std::thread::yield_now();
            }
        }
        t.join().unwrap();
    }
}
