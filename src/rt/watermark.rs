//! Durable watermarks: how far the writer's `fdatasync` (or, under `NONE` and `FLUSH`, its
//! `write`) has covered a producer's stream and the log.
//!
//! **Written by the writer thread only; read by anyone, RT threads included** (one atomic load:
//! `rtlog_producer_durable_count` is RT-safe). The protocol, model-checked by
//! `tests/loom_ring.rs` (the `durable_*` models):
//!
//! - The writer makes records durable first, then [`advance`](Watermark::advance)s the mark
//!   with a `Release` store; a reader's `Acquire` load that sees the new value therefore also
//!   sees everything the writer did before it. The value only rises (single writer).
//! - When records of a stream are lost (a failed write or sync), the writer
//!   [`freeze`](DurableCount::freeze)s its count after the last advance, and later advances are
//!   ignored: those records can never become durable, and no later record may be counted
//!   durable across the hole.
//! - [`DurableCount::progress`] reads the freeze first and the count second, so a reader that
//!   saw the freeze also sees the final count: [`Progress::Lost`] is final, never a race.

use crate::rt::atomics::{AtomicBool, AtomicU64, Ordering};

/// A count that only rises, published by one writer thread.
pub struct Watermark {
    value: AtomicU64,
}

impl Default for Watermark {
    fn default() -> Watermark {
        Watermark::new()
    }
}

impl Watermark {
    /// A mark at 0.
    pub fn new() -> Watermark {
        Watermark { value: AtomicU64::new(0) }
    }

    /// Raises the mark to `value`. **Writer thread only**, after the work it stands for.
    pub fn advance(&self, value: u64) {
        // Relaxed: the writer reads back its own store (program order).
        debug_assert!(value >= self.value.load(Ordering::Relaxed), "a watermark only rises");
        // Release: the work done before (the sync covering the records) happens-before every
        // reader that sees `value`.
        self.value.store(value, Ordering::Release);
    }

    /// The mark. RT-safe.
    pub fn get(&self) -> u64 {
        // Acquire: pairs with `advance`.
        self.value.load(Ordering::Acquire)
    }
}

/// What has become of the first `target` records of a stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    /// All of them are durable.
    Durable,
    /// Not yet; they may still become durable.
    Pending,
    /// Some of them were lost and never will be.
    Lost,
}

/// A producer stream's durable count: how many of its first records are durable (every record
/// with a lower seq is), and whether it was frozen by a loss.
#[derive(Default)]
pub struct DurableCount {
    count: Watermark,
    frozen: AtomicBool,
}

impl DurableCount {
    /// A count at 0, not frozen.
    pub fn new() -> DurableCount {
        DurableCount { count: Watermark::new(), frozen: AtomicBool::new(false) }
    }

    /// Records below `count` are durable. **Writer thread only.** Ignored once frozen.
    pub fn advance(&self, count: u64) {
        // Relaxed: only the writer stores `frozen`, and it reads back its own store.
        if !self.frozen.load(Ordering::Relaxed) {
            self.count.advance(count);
        }
    }

    /// Records of the stream were lost: the count stays where it is for the rest of the epoch.
    /// **Writer thread only.**
    pub fn freeze(&self) {
        // Release: a reader that sees the freeze sees every advance before it, the last one.
        self.frozen.store(true, Ordering::Release);
    }

    /// How many of the stream's first records are durable. RT-safe.
    pub fn count(&self) -> u64 {
        self.count.get()
    }

    /// Whether the count was frozen by a loss. RT-safe.
    pub fn frozen(&self) -> bool {
        // Acquire: pairs with `freeze`.
        self.frozen.load(Ordering::Acquire)
    }

    /// What has become of the stream's first `target` records. RT-safe.
    pub fn progress(&self, target: u64) -> Progress {
        // The freeze first: once seen, the count read after it is final.
        let frozen = self.frozen();
        if self.count() >= target {
            Progress::Durable
        } else if frozen {
            Progress::Lost
        } else {
            Progress::Pending
        }
    }
}
