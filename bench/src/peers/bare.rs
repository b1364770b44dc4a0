//! The floor: a bare SPSC ring of fixed slots (Lamport's queue with cached indices, the rtrb
//! layout). A publish is a TSC read, a 16-byte header and a `memcpy` into the slot, and one
//! `Release` store of `head` — nothing a logger could leave out.

use crate::timing;
use crossbeam_utils::CachePadded;
use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

const HEADER: usize = 16;

struct Shared {
    /// Records pushed; written by the producer only.
    head: CachePadded<AtomicU64>,
    /// Records popped; written by the consumer only.
    tail: CachePadded<AtomicU64>,
    /// `depth` slots of `slot` bytes, in `u64` words for 8-byte alignment.
    buf: Box<[UnsafeCell<u64>]>,
    slot: usize,
    mask: u64,
}

// SAFETY: a slot is written only by the producer while it is free and read only by the
// consumer while it is published; the Release/Acquire pairs on `head` and `tail` order those
// accesses (the same argument as rtlog's ring).
unsafe impl Sync for Shared {}
// SAFETY: `Shared` owns its buffer.
unsafe impl Send for Shared {}

impl Shared {
    fn slot_ptr(&self, pos: u64) -> *mut u8 {
        let base = UnsafeCell::raw_get(self.buf.as_ptr()).cast::<u8>();
        base.wrapping_add((pos & self.mask) as usize * self.slot)
    }
}

/// Producer end.
pub struct BareProducer {
    sh: Arc<Shared>,
    head: u64,
    cached_tail: u64,
}

/// Consumer end.
pub struct BareConsumer {
    sh: Arc<Shared>,
    tail: u64,
    cached_head: u64,
    out: Vec<u8>,
}

/// A ring of `depth` (a power of two) slots for payloads up to `max_payload` bytes, prefaulted.
pub fn ring(depth: usize, max_payload: usize) -> (BareProducer, BareConsumer) {
    assert!(depth.is_power_of_two());
    let slot = HEADER + max_payload.div_ceil(8) * 8;
    let buf: Box<[UnsafeCell<u64>]> = (0..depth * slot / 8).map(|_| UnsafeCell::new(0)).collect();
    let sh = Arc::new(Shared {
        head: CachePadded::new(AtomicU64::new(0)),
        tail: CachePadded::new(AtomicU64::new(0)),
        buf,
        slot,
        mask: depth as u64 - 1,
    });
    (
        BareProducer { sh: sh.clone(), head: 0, cached_tail: 0 },
        BareConsumer { sh, tail: 0, cached_head: 0, out: vec![0; max_payload] },
    )
}

impl crate::harness::Publisher for BareProducer {
    #[inline]
    fn publish(&mut self, payload: &[u8]) -> bool {
        let sh = &*self.sh;
        if self.head - self.cached_tail > sh.mask {
            // Acquire: the consumer's reads of the slot we reuse happened before.
            self.cached_tail = sh.tail.load(Ordering::Acquire);
            if self.head - self.cached_tail > sh.mask {
                return false;
            }
        }
        let p = sh.slot_ptr(self.head);
        let ts = timing::rdtsc();
        // SAFETY: the slot is free (fewer than depth records are in the ring) and holds a
        // header plus `max_payload >= payload.len()` bytes (the caller's contract); `p` is
        // 8-byte aligned.
        unsafe {
            p.cast::<u64>().write(ts);
            p.add(8).cast::<u64>().write(payload.len() as u64);
            std::ptr::copy_nonoverlapping(payload.as_ptr(), p.add(HEADER), payload.len());
        }
        self.head += 1;
        // Release: the slot's contents become visible before the new head.
        sh.head.store(self.head, Ordering::Release);
        true
    }
}

impl BareConsumer {
    /// Pops everything published so far (copying each payload out); returns the count.
    pub fn drain(&mut self) -> u64 {
        let sh = &*self.sh;
        let mut n = 0;
        loop {
            if self.tail == self.cached_head {
                // Acquire: the producer's writes to the slots are visible.
                self.cached_head = sh.head.load(Ordering::Acquire);
                if self.tail == self.cached_head {
                    return n;
                }
            }
            let p = sh.slot_ptr(self.tail);
            // SAFETY: the slot is published (tail < head) and only this end reads it.
            unsafe {
                let len = (p.add(8).cast::<u64>().read() as usize).min(self.out.len());
                std::ptr::copy_nonoverlapping(p.add(HEADER), self.out.as_mut_ptr(), len);
            }
            std::hint::black_box(&self.out);
            self.tail += 1;
            // Release: our reads of the slot happen before the producer reuses it.
            sh.tail.store(self.tail, Ordering::Release);
            n += 1;
        }
    }
}
