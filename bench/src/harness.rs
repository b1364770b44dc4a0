//! The producer side of every latency and throughput run, generic over the logger under test
//! (monomorphised, so the timed region holds the publish call and nothing else).
//!
//! Each producer thread pins itself, preallocates and touches its sample buffer, waits at a
//! barrier with the others, runs a warm-up (same loop, results discarded), then the measured
//! loop. Nothing in the measured loop allocates.

use crate::affinity;
use crate::timing;
use std::sync::Barrier;

/// One producer's handle on a logger or queue.
pub trait Publisher: Send {
    /// Stores one record; false when it was refused (dropped).
    fn publish(&mut self, payload: &[u8]) -> bool;
}

/// How a producer publishes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Load {
    /// One record every `period` TSC cycles (no catch-up burst after falling behind).
    Paced {
        /// Period in TSC cycles.
        period: u64,
    },
    /// Back to back.
    Burst,
    /// Quill's hot-path benchmark (benchmarks/hot_path_latency in its repository): `len` calls
    /// back to back, then a wait drawn uniformly from `gap_min..=gap_max` TSC cycles that lets
    /// the logger's consumer catch up, so that every call is a hot call and none is refused.
    Batches {
        /// Calls per batch.
        len: usize,
        /// Shortest wait between batches, in TSC cycles.
        gap_min: u64,
        /// Longest wait between batches, in TSC cycles.
        gap_max: u64,
    },
}

/// The waits between batches: a xorshift generator with a fixed seed, so that every peer's run
/// sees the same sequence of gaps.
struct Gaps(u64);

impl Gaps {
    /// The generator every run starts from.
    fn new() -> Gaps {
        Gaps(0x9e37_79b9_7f4a_7c15)
    }

    fn next(&mut self, min: u64, max: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        min + self.0 % (max - min + 1)
    }
}

/// Spins until the TSC reaches `deadline`.
fn spin_until(deadline: u64) {
    while timing::rdtsc() < deadline {
        std::hint::spin_loop();
    }
}

/// What one producer thread measured.
#[derive(Default)]
pub struct ProducerOut {
    /// Cycles per call, timer overhead included (subtracted later).
    pub cycles: Vec<u32>,
    /// Calls that stored the record.
    pub accepted: u64,
    /// Calls that were refused.
    pub refused: u64,
    /// Paced: periods skipped because the thread was not running when its deadline came.
    pub late: u64,
    /// A pinning failure, if any.
    pub pin_error: Option<String>,
}

/// Fills `payload` (the first 8 bytes carry a counter, the rest printable text).
pub fn make_payload(size: usize) -> Vec<u8> {
    (0..size).map(|i| b'a' + (i % 26) as u8).collect()
}

#[inline(always)]
pub fn stamp(payload: &mut [u8], seq: u64) {
    if payload.len() >= 8 {
        payload[..8].copy_from_slice(&seq.to_le_bytes());
    }
}

/// The measured loop: one timed publish per element of `out`.
#[inline(never)]
fn timed_loop<P: Publisher>(
    p: &mut P,
    payload: &mut [u8],
    out: &mut [u32],
    load: Load,
) -> (u64, u64, u64) {
    let (mut accepted, mut refused, mut late) = (0u64, 0u64, 0u64);
    let mut next = timing::rdtsc();
    let mut gaps = Gaps::new();
    for (i, slot) in out.iter_mut().enumerate() {
        match load {
            Load::Paced { period } => {
                next += period;
                let now = timing::rdtsc();
                if now > next + period {
                    // Descheduled past a whole period: restart the schedule rather than burst.
                    late += 1;
                    next = now;
                }
                spin_until(next);
            }
            Load::Batches { len, gap_min, gap_max } if i % len == 0 && i > 0 => {
                spin_until(timing::rdtsc() + gaps.next(gap_min, gap_max));
            }
            Load::Batches { .. } | Load::Burst => {}
        }
        stamp(payload, i as u64);
        let t0 = timing::start();
        let ok = p.publish(payload);
        let t1 = timing::stop();
        *slot = (t1 - t0).min(u64::from(u32::MAX)) as u32;
        if ok {
            accepted += 1;
        } else {
            refused += 1;
        }
    }
    (accepted, refused, late)
}

/// Runs every publisher on its own thread pinned to `cpu`; each makes `warmup` then
/// `samples` timed calls.
pub fn run_latency<P: Publisher>(
    pubs: Vec<P>,
    payload_size: usize,
    load: Load,
    warmup: usize,
    samples: usize,
    cpu: usize,
) -> Vec<ProducerOut> {
    on_pinned_threads(pubs, cpu, |mut p, pin_error, barrier| {
        let mut payload = make_payload(payload_size);
        // Allocated and written now, so no page fault lands in the measured loop.
        let mut warm = vec![1u32; warmup.max(1)];
        let mut cycles = vec![1u32; samples];
        barrier.wait();
        timed_loop(&mut p, &mut payload, &mut warm, load);
        let (accepted, refused, late) = timed_loop(&mut p, &mut payload, &mut cycles, load);
        ProducerOut { cycles, accepted, refused, late, pin_error }
    })
}

/// Runs `body` for every publisher on its own thread pinned to `cpu` (with the pinning error,
/// if any, and a barrier shared by all of them) and collects the results in order.
fn on_pinned_threads<P: Publisher, R: Send>(
    pubs: Vec<P>,
    cpu: usize,
    body: impl Fn(P, Option<String>, &Barrier) -> R + Sync,
) -> Vec<R> {
    let barrier = Barrier::new(pubs.len());
    std::thread::scope(|s| {
        let handles: Vec<_> = pubs
            .into_iter()
            .map(|p| {
                let (barrier, body) = (&barrier, &body);
                s.spawn(move || body(p, affinity::pin(cpu).err(), barrier))
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("producer thread panicked")).collect()
    })
}

/// `pause` instructions between two offers of a refused record (~1 µs on Zen: ~65 cycles each).
const RETRY_PAUSES: u32 = 32;

/// What one producer did in an untimed flat-out run.
#[derive(Default)]
pub struct FlatOut {
    /// Calls that stored the record.
    pub accepted: u64,
    /// Calls that were refused.
    pub refused: u64,
    /// A pinning failure, if any.
    pub pin_error: Option<String>,
}

/// Publishes back to back, untimed, for `cycles` TSC cycles after the barrier (checking the
/// clock every 256 calls) or until `limit` records were accepted. With `retry`, a refused
/// record is offered again until it is taken (end-to-end throughput: nothing is dropped,
/// refusals are counted).
pub fn run_flat_out<P: Publisher>(
    pubs: Vec<P>,
    payload_size: usize,
    cycles: u64,
    retry: bool,
    limit: u64,
    cpu: usize,
) -> Vec<FlatOut> {
    on_pinned_threads(pubs, cpu, |mut p, pin_error, barrier| {
        let mut payload = make_payload(payload_size);
        barrier.wait();
        let end = timing::rdtsc() + cycles;
        let (mut accepted, mut refused, mut seq) = (0u64, 0u64, 0u64);
        loop {
            for _ in 0..256 {
                stamp(&mut payload, seq);
                if p.publish(&payload) {
                    accepted += 1;
                    seq += 1;
                } else {
                    refused += 1;
                    if !retry {
                        seq += 1;
                    } else {
                        // Back off ~1 µs before offering it again: a producer
                        // hammering a full ring's shared index slows the
                        // consumer it is waiting for.
                        for _ in 0..RETRY_PAUSES {
                            std::hint::spin_loop();
                        }
                    }
                }
            }
            if timing::rdtsc() > end || accepted >= limit {
                break;
            }
        }
        FlatOut { accepted, refused, pin_error }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_stay_in_their_range_and_repeat_from_run_to_run() {
        let (mut a, mut b) = (Gaps::new(), Gaps::new());
        let drawn: Vec<u64> = (0..1000).map(|_| a.next(100, 110)).collect();
        assert!(drawn.iter().all(|g| (100..=110).contains(g)));
        assert!(drawn.contains(&100) && drawn.contains(&110));
        assert_eq!(drawn, (0..1000).map(|_| b.next(100, 110)).collect::<Vec<_>>());
    }

    /// Records the TSC at each call.
    struct Stamps(Vec<u64>);

    impl Publisher for Stamps {
        fn publish(&mut self, _payload: &[u8]) -> bool {
            self.0.push(timing::rdtsc());
            true
        }
    }

    #[test]
    fn batches_wait_before_each_batch_but_the_first_and_nowhere_else() {
        let gap = 20_000_000; // cycles: ~10 ms at 2 GHz, far above a call
        let load = Load::Batches { len: 3, gap_min: gap, gap_max: gap };
        let mut p = Stamps(Vec::new());
        let (accepted, refused, late) = timed_loop(&mut p, &mut [], &mut [0; 7], load);
        assert_eq!((accepted, refused, late), (7, 0, 0));
        let t = &p.0;
        // Calls 3 and 6 start batches: each waited at least the gap after the call before it.
        assert!(t[3] - t[2] >= gap && t[6] - t[5] >= gap);
        // Two waits in all, not one per call (that would take 6 gaps); loose, so that a loaded
        // machine that deschedules the thread does not fail it.
        assert!(t[6] - t[0] < 5 * gap, "waited {} cycles for 2 gaps of {gap}", t[6] - t[0]);
    }
}
