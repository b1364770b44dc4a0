//! The control loop's computation: it keeps the CPU busy for a set time *and* leaves the caches
//! cold for the logger, as a real controller's work does between two log calls.
//!
//! It sweeps a working set of four times the CPU's L2 (1 MiB per core on the development
//! machine: 4 MiB), incrementing one word per 64-byte line, and goes on each cycle where the
//! last one stopped, until its time is up. Over a few cycles every line of L1d and L2 (which also
//! holds the logger's code) is replaced by the sweep's lines; within one 20 µs cycle it replaces
//! what it has time for, which the report states from `swept` (bytes per cycle).

use crate::timing;

/// Bytes of one cache line (x86-64).
const LINE: usize = 64;
/// Lines swept between two clock reads (4 KiB: one read per page keeps its cost small).
const LINES_PER_CHECK: usize = 64;

/// How much one call sweeps.
#[derive(Clone, Copy, Debug)]
pub enum Budget {
    /// Until `CLOCK_MONOTONIC` reaches this many ns (the benchmark: a fixed compute time).
    Until(u64),
    /// This many bytes (diagnostics under valgrind, where time runs tens of times slower but
    /// the eviction should stay what it is natively).
    Bytes(u64),
}

/// The working set and where the sweep is.
pub struct Compute {
    words: Vec<u64>,
    pos: usize,
}

/// The L2 size of `cpu` from sysfs (`index2/size`, e.g. "1024K"); 1 MiB when unknown.
pub fn l2_bytes(cpu: usize) -> usize {
    let path = format!("/sys/devices/system/cpu/cpu{cpu}/cache/index2/size");
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let text = text.trim();
    let (num, mult) = match text.chars().last() {
        Some('K') => (&text[..text.len() - 1], 1 << 10),
        Some('M') => (&text[..text.len() - 1], 1 << 20),
        _ => (text, 1),
    };
    num.parse::<usize>().ok().filter(|&n| n > 0).map_or(1 << 20, |n| n * mult)
}

impl Compute {
    /// A working set of `bytes` (rounded to whole lines), allocated and touched now so the loop
    /// takes no page fault.
    pub fn new(bytes: usize) -> Compute {
        let lines = bytes.div_ceil(LINE).max(LINES_PER_CHECK);
        Compute { words: vec![1; lines * LINE / 8], pos: 0 }
    }

    /// Sweeps at least one batch of lines, then until the budget is spent; returns the bytes
    /// swept.
    #[inline(never)]
    pub fn run(&mut self, budget: Budget) -> u64 {
        let stride = LINE / 8;
        let lines = self.words.len() / stride;
        let mut swept = 0u64;
        loop {
            for _ in 0..LINES_PER_CHECK {
                let w = &mut self.words[self.pos * stride];
                *w = w.wrapping_add(1);
                self.pos = if self.pos + 1 == lines { 0 } else { self.pos + 1 };
            }
            swept += (LINES_PER_CHECK * LINE) as u64;
            let done = match budget {
                Budget::Until(ns) => timing::monotonic_ns() >= ns,
                Budget::Bytes(bytes) => swept >= bytes,
            };
            if done {
                break;
            }
        }
        // The sum is never read: keep the compiler from dropping the stores as dead.
        std::hint::black_box(&mut self.words);
        swept
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sweep_wraps_around_the_working_set() {
        let mut c = Compute::new(LINE * LINES_PER_CHECK * 2);
        assert_eq!(c.words.len() * 8, LINE * LINES_PER_CHECK * 2);
        // A deadline already past: exactly one batch, from the start.
        assert_eq!(c.run(Budget::Until(0)), (LINE * LINES_PER_CHECK) as u64);
        assert_eq!(c.pos, LINES_PER_CHECK);
        assert_eq!(c.run(Budget::Bytes(1)), (LINE * LINES_PER_CHECK) as u64);
        assert_eq!(c.pos, 0, "the second batch ends at the end of the set and wraps");
        assert!(c.words.iter().step_by(LINE / 8).all(|&w| w == 2));
    }

    #[test]
    fn l2_size_is_positive() {
        assert!(l2_bytes(0) > 0);
    }
}
