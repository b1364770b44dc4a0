//! Bounded wait-free single-producer single-consumer ring of fixed-size record slots.
//!
//! **RT module**: no allocation after [`channel`], no lock, no syscall, every operation a fixed
//! number of steps.
//!
//! The algorithm is Lamport's SPSC queue with free-running 64-bit counters and cached
//! indices (the layout rtrb uses):
//!
//! - `head` counts records pushed; only the producer writes it. `tail` counts records popped;
//!   only the consumer writes it. Both live on their own cache line. `head - tail` is the
//!   number of records in the ring and never exceeds `depth`; with 64-bit counters they never
//!   wrap in practice (2^64 records).
//! - The producer keeps a private copy of `tail` and re-reads the shared one only when the ring
//!   looks full; the consumer does the same with `head`. In the common case a push or pop
//!   touches no cache line written by the other side.
//! - Publication: the producer fills the slot, then stores `head` with `Release`; the consumer
//!   loads `head` with `Acquire` before reading the slot, so it sees the record only complete.
//!   Symmetrically the consumer releases a slot with a `Release` store of `tail`, and the
//!   producer's `Acquire` load of `tail` orders the consumer's reads before the producer's
//!   next writes to that slot.
//!
//! A slot is a [`SlotHeader`] followed by up to `max_payload` bytes, padded to 8 bytes. The
//! slot index is kept beside each counter (incremented and wrapped by comparison), so any depth
//! works without a division on the fast path.

use crossbeam_utils::CachePadded;
use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The fixed header stored in front of each payload in a slot.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SlotHeader {
    /// Sequence number of the record in its producer's stream.
    pub seq: u64,
    /// Raw timestamp (TSC ticks or monotonic ns, see [`crate::clock`]).
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

/// Bytes one slot takes for a given maximum payload.
pub const fn slot_bytes(max_payload: u32) -> usize {
    HEADER_BYTES + (max_payload as usize).div_ceil(8) * 8
}

struct Shared {
    /// Records pushed so far. Written by the producer only (`Release`).
    head: CachePadded<AtomicU64>,
    /// Records popped so far. Written by the consumer only (`Release`).
    tail: CachePadded<AtomicU64>,
    /// Slot storage; `u64` words give every slot 8-byte alignment.
    buf: Box<[UnsafeCell<u64>]>,
    depth: u64,
    slot_words: usize,
    max_payload: u32,
}

// SAFETY: the slots are plain bytes. Each slot is written only by the single producer while it
// is free (index in `tail..tail+depth` not yet published) and read only by the single consumer
// while it is published (`tail..head`); the Release/Acquire pairs on `head` and `tail` order
// those accesses, so no slot is ever accessed by both sides at once.
unsafe impl Sync for Shared {}
// SAFETY: `Shared` owns its buffer; nothing in it is tied to a thread.
unsafe impl Send for Shared {}

impl Shared {
    fn slot_ptr(&self, index: usize) -> *mut u64 {
        debug_assert!((index as u64) < self.depth);
        // `raw_get` keeps the provenance of the whole buffer; the offset stays inside it
        // because `index < depth` and the buffer holds `depth * slot_words` words.
        let base = UnsafeCell::raw_get(self.buf.as_ptr());
        base.wrapping_add(index * self.slot_words)
    }
}

/// The producer end. `Send` but not `Sync`: one thread pushes at a time.
pub struct RingProducer {
    shared: Arc<Shared>,
    head: u64,
    index: usize,
    cached_tail: u64,
}

/// The consumer end. `Send` but not `Sync`: one thread pops at a time.
pub struct RingConsumer {
    shared: Arc<Shared>,
    tail: u64,
    index: usize,
    cached_head: u64,
}

/// Creates a ring of `depth` slots for payloads up to `max_payload` bytes (non-RT, INIT).
///
/// The memory is allocated and every page written once, so no page fault happens later on the
/// RT path.
pub fn channel(depth: u32, max_payload: u32) -> (RingProducer, RingConsumer) {
    assert!(depth > 0, "ring depth must be positive");
    let slot_words = slot_bytes(max_payload) / 8;
    let words = slot_words * depth as usize;
    let buf: Box<[UnsafeCell<u64>]> = (0..words).map(|_| UnsafeCell::new(0)).collect();
    prefault(&buf);
    let shared = Arc::new(Shared {
        head: CachePadded::new(AtomicU64::new(0)),
        tail: CachePadded::new(AtomicU64::new(0)),
        buf,
        depth: depth.into(),
        slot_words,
        max_payload,
    });
    (
        RingProducer { shared: shared.clone(), head: 0, index: 0, cached_tail: 0 },
        RingConsumer { shared, tail: 0, index: 0, cached_head: 0 },
    )
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
    /// is full. RT-safe: wait-free, allocation-free, syscall-free.
    ///
    /// `payload.len()` must not exceed the ring's `max_payload` (checked in debug builds; the
    /// callers check it first and refuse the record with `TooLarge`).
    #[inline]
    pub fn push(&mut self, header: &SlotHeader, payload: &[u8]) -> bool {
        let shared = &*self.shared;
        if self.head - self.cached_tail == shared.depth {
            // Acquire: the consumer's reads of the slot we are about to reuse happened before.
            self.cached_tail = shared.tail.load(Ordering::Acquire);
            if self.head - self.cached_tail == shared.depth {
                return false;
            }
        }
        assert!(payload.len() <= shared.max_payload as usize);
        let slot = shared.slot_ptr(self.index);
        // SAFETY: the slot at `index` is free (fewer than `depth` records are in the ring), so
        // the consumer does not read it until we publish `head`; the slot holds a header plus
        // `max_payload >= payload.len()` bytes, and `slot` is 8-byte aligned.
        unsafe {
            let mut h = *header;
            h.len = payload.len() as u32;
            slot.cast::<SlotHeader>().write(h);
            std::ptr::copy_nonoverlapping(
                payload.as_ptr(),
                slot.cast::<u8>().add(HEADER_BYTES),
                payload.len(),
            );
        }
        self.head += 1;
        self.index += 1;
        if self.index as u64 == shared.depth {
            self.index = 0;
        }
        // Release: the slot's contents become visible before the new head.
        shared.head.store(self.head, Ordering::Release);
        true
    }

    /// Records pushed so far through this end.
    #[inline]
    pub fn pushed(&self) -> u64 {
        self.head
    }

    /// Slots in the ring.
    pub fn depth(&self) -> u64 {
        self.shared.depth
    }
}

impl RingConsumer {
    /// The oldest record, if any, without removing it. RT-safe.
    #[inline]
    pub fn peek(&mut self) -> Option<(&SlotHeader, &[u8])> {
        let shared = &*self.shared;
        if self.tail == self.cached_head {
            // Acquire: pairs with the producer's Release store; the slot is complete.
            self.cached_head = shared.head.load(Ordering::Acquire);
            if self.tail == self.cached_head {
                return None;
            }
        }
        let slot = shared.slot_ptr(self.index);
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

    /// Removes the oldest record (after [`peek`](Self::peek) returned it). RT-safe.
    #[inline]
    pub fn pop(&mut self) {
        debug_assert!(self.tail < self.cached_head, "pop without a peeked record");
        self.tail += 1;
        self.index += 1;
        if self.index as u64 == self.shared.depth {
            self.index = 0;
        }
        // Release: our reads of the slot happen before the producer may overwrite it.
        self.shared.tail.store(self.tail, Ordering::Release);
    }

    /// Records popped so far.
    #[inline]
    pub fn popped(&self) -> u64 {
        self.tail
    }

    /// Records currently in the ring, as seen now (a snapshot; the producer may add more).
    #[inline]
    pub fn len(&self) -> u64 {
        self.shared.head.load(Ordering::Acquire) - self.tail
    }

    /// Whether the ring holds no record right now.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A handle that reads the producer's counter, for statistics from other threads.
    pub fn counter(&self) -> PushCounter {
        PushCounter { shared: self.shared.clone() }
    }
}

/// Read-only view of a ring's push counter (non-RT statistics).
#[derive(Clone)]
pub struct PushCounter {
    shared: Arc<Shared>,
}

impl PushCounter {
    /// Records pushed so far (`Acquire`, so a reader that then sees them persisted is consistent).
    pub fn pushed(&self) -> u64 {
        self.shared.head.load(Ordering::Acquire)
    }

    /// Records popped so far.
    pub fn popped(&self) -> u64 {
        self.shared.tail.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(seq: u64) -> SlotHeader {
        SlotHeader { seq, timestamp: seq * 10, record_type: 7, kind: 1, ..SlotHeader::default() }
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
