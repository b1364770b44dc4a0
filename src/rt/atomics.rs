//! The synchronisation primitives of the ring, the dispatcher's try-lock and the durable
//! watermarks, from `std` normally and from `loom` under `--cfg loom`.
//!
//! **RT module** (zero cost in normal builds: re-exports and empty inline functions).
//!
//! `tests/loom_ring.rs` model-checks the ring protocols with
//!
//! ```text
//! LOOM_MAX_PREEMPTIONS=2 RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom \
//!     cargo test --release --test loom_ring
//! ```
//!
//! (a separate target directory, since the flag rebuilds every crate). Under that flag the
//! ring's `head`/`tail` counters, the atomic slot words of overwrite-mode rings, the `Arc` that
//! the two ends share, the dispatcher's `busy` flag and the durable watermarks
//! ([`crate::rt::watermark`]) come from `loom`, so loom explores every interleaving of that code as
//! written within the preemption bound, and the values a load may return under loom's model of
//! the C++ memory model; nothing else in the crate changes.
//!
//! Plain (non-atomic) slot memory stays a contiguous `std` buffer in both builds, because
//! [`peek`](crate::rt::ring::RingConsumer::peek) lends it out as `&[u8]`. Its accesses are instead
//! reported to an [`AccessTracker`]: nothing at all in normal builds, one `loom` cell per slot
//! under loom, which makes loom fail a model whenever the producer and the consumer touch the
//! same slot without a happens-before edge between them (a data race).
//!
//! Overwrite-mode rings report to it too, as a ghost: every consumer copy is a read, and every
//! producer write of a slot it did *not* reclaim is a write. Their words are atomic, so there is
//! no data race to find, but this checks the ordering the protocol needs: a slot the consumer
//! retired (validated copy) is rewritten only after the copy, through the `Release` CAS and the
//! producer's `Acquire` read of `tail`. Loom cannot check that through the values alone, since
//! it never lets a load return a store that comes later in the execution (load buffering). A
//! reclaiming write is left out on purpose: overlapping a copy is what it is allowed to do.

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
#[cfg(not(loom))]
pub(crate) use std::sync::Arc;

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicU64, Ordering};
#[cfg(loom)]
pub(crate) use loom::sync::Arc;

/// Reports accesses to the plain memory of each slot to the model checker.
///
/// Each call stands for the whole access it names (a slot's header and payload). A span that the
/// ring's code cannot cover with one call, such as a consumer's borrow from `peek` to `pop`, is
/// reported at both ends: loom checks every access against every earlier conflicting access, so
/// a write by the other side inside the span conflicts with one end or the other.
pub(crate) struct AccessTracker {
    #[cfg(loom)]
    cells: Box<[loom::cell::UnsafeCell<()>]>,
}

impl AccessTracker {
    /// A tracker for `slots` slots (non-RT, INIT).
    pub(crate) fn new(slots: usize) -> AccessTracker {
        #[cfg(not(loom))]
        let _ = slots;
        AccessTracker {
            #[cfg(loom)]
            cells: (0..slots).map(|_| loom::cell::UnsafeCell::new(())).collect(),
        }
    }

    /// The calling end reads slot `slot`. RT-safe (a no-op in normal builds).
    #[inline(always)]
    pub(crate) fn read(&self, slot: usize) {
        #[cfg(loom)]
        self.cells[slot].with(|_| ());
        #[cfg(not(loom))]
        let _ = slot;
    }

    /// The calling end writes slot `slot`. RT-safe (a no-op in normal builds).
    #[inline(always)]
    pub(crate) fn write(&self, slot: usize) {
        #[cfg(loom)]
        self.cells[slot].with_mut(|_| ());
        #[cfg(not(loom))]
        let _ = slot;
    }
}
