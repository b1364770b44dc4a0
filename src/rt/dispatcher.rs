//! `tick`: moves a bounded budget of records from the producers' rings to the writer's input.
//!
//! **RT module**: bounded, allocation-free, syscall-free. Critical records go first; within a
//! stream, producers are served round robin one record at a time, starting from a cursor that
//! advances every tick, so no producer can starve another.
//!
//! Only one thread can dispatch at a time: a tick first takes a try-lock (one compare-exchange)
//! and a tick that finds it taken returns at once with nothing moved. The dispatcher is the
//! single producer of the writer's input ring, and the single consumer of every producer ring.
//! `tests/loom_ring.rs` model-checks ticks from two threads against a publishing producer
//! (`concurrent_ticks_*`): loom sees the state's accesses through an [`AccessTracker`], so two
//! holders at once, or a hand-over without a happens-before edge, fail the model.
//!
//! Every record moves in three steps: reserve a slot of the writer's input ring and copy the
//! record into it, then [`finish`](crate::rt::ring::Take::finish) the take of the source record
//! (which validates the copy), and only then commit the reserved slot. A drop-newest source
//! always validates. An overwrite-oldest source fails validation when its producer reclaimed
//! the record during the copy: the copy may be torn, so the reservation is dropped unpublished
//! and the writer never sees it (see [`crate::rt::ring`] for the protocol). Records the producer
//! reclaimed are its loss, counted by the producer from `push_overwrite`.

use crate::rt::atomics::{self, AccessTracker};
use crate::rt::producer::Stream;
use crate::rt::ring::{RingConsumer, RingProducer};
use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicU64, Ordering};

/// Consumer ends of one producer's rings, indexed by stream.
pub type Source = [RingConsumer; 2];

struct State {
    sources: Vec<Source>,
    output: RingProducer,
    cursor: usize,
}

/// The dispatcher: the state behind a try-lock, plus counters readable by anyone.
pub struct Dispatcher {
    /// The try-lock: set while a thread holds `state`.
    busy: atomics::AtomicBool,
    state: UnsafeCell<State>,
    /// Reports each holder's access to `state` to loom (nothing in normal builds).
    state_access: AccessTracker,
    /// Records moved per stream. Written only by the lock holder (plain load + store), read
    /// `Relaxed` for statistics.
    dispatched: [AtomicU64; 2],
    /// Per producer and stream, the raw timestamp of the oldest record left in the ring at the
    /// end of the last tick (0: none, or an overwrite ring, whose slots cannot be peeked).
    /// Written by the lock holder, read `Relaxed` for the statistics' age of pending records.
    oldest: Box<[[AtomicU64; 2]]>,
}

// SAFETY: `state` is only accessed by the thread that holds `busy` (see `with_state`), which
// serialises all access; the ring ends inside are `Send`.
unsafe impl Sync for Dispatcher {}

/// Result of one dispatch pass.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Moved {
    /// Records moved.
    pub records: u32,
    /// True when the writer's input ring was full and records were left behind.
    pub output_full: bool,
}

impl Dispatcher {
    /// A dispatcher into `output` for at most `max_producers` producers (non-RT, INIT).
    pub fn new(output: RingProducer, max_producers: usize) -> Dispatcher {
        Dispatcher {
            busy: atomics::AtomicBool::new(false),
            state_access: AccessTracker::new(1),
            state: UnsafeCell::new(State {
                sources: Vec::with_capacity(max_producers),
                output,
                cursor: 0,
            }),
            dispatched: [AtomicU64::new(0), AtomicU64::new(0)],
            oldest: (0..max_producers).map(|_| [AtomicU64::new(0), AtomicU64::new(0)]).collect(),
        }
    }

    /// Runs `f` on the state if no other thread is dispatching; `None` otherwise.
    #[inline]
    fn with_state<R>(&self, f: impl FnOnce(&mut State) -> R) -> Option<R> {
        // Acquire: everything the previous holder did to the state is visible.
        if self
            .busy
            .compare_exchange(false, true, atomics::Ordering::Acquire, atomics::Ordering::Relaxed)
            .is_err()
        {
            return None;
        }
        self.state_access.write(0);
        // SAFETY: we hold `busy`, so no other thread touches `state` until we release it.
        let r = f(unsafe { &mut *self.state.get() });
        // Release: our changes to the state are visible to the next holder.
        self.busy.store(false, atomics::Ordering::Release);
        Some(r)
    }

    /// Adds a producer's consumer ends (INIT phase only, never concurrent with a tick; the
    /// vector's capacity was reserved for `max_producers`, so this does not reallocate).
    pub fn add_source(&self, mut source: Source) {
        // Each tick releases what it took from a ring with one store of its tail.
        for ring in source.iter_mut().filter(|r| !r.overwrites()) {
            ring.hold_tail();
        }
        self.with_state(|s| s.sources.push(source))
            .expect("add_source runs in INIT, when nobody dispatches");
    }

    /// Moves at most `budget` records. **RT-safe.** `None` when another thread is dispatching.
    pub fn tick(&self, budget: u32) -> Option<Moved> {
        self.with_state(|s| {
            let mut moved = Moved::default();
            for stream in Stream::ALL {
                let left = budget - moved.records;
                let n = move_stream(s, stream as usize, left, &mut moved);
                if n > 0 {
                    let d = &self.dispatched[stream as usize];
                    d.store(d.load(Ordering::Relaxed) + u64::from(n), Ordering::Relaxed);
                }
                if moved.output_full || moved.records == budget {
                    break;
                }
            }
            let count = s.sources.len().max(1);
            s.cursor = (s.cursor + 1) % count;
            // Bounded: one peek per ring (two per producer).
            for (src, oldest) in s.sources.iter_mut().zip(self.oldest.iter()) {
                for (ring, slot) in src.iter_mut().zip(oldest) {
                    let ts = if ring.overwrites() {
                        None
                    } else {
                        ring.peek().map(|(h, _)| h.timestamp)
                    };
                    slot.store(ts.unwrap_or(0), Ordering::Relaxed);
                }
            }
            moved
        })
    }

    /// Records still waiting in producer rings, or `None` when another thread is dispatching.
    pub(crate) fn pending(&self) -> Option<u64> {
        self.with_state(|s| s.sources.iter().flat_map(|src| src.iter()).map(|r| r.len()).sum())
    }

    /// The raw timestamp of the oldest record seen waiting in a producer ring at the end of
    /// the last tick, if any.
    pub(crate) fn oldest_pending_raw(&self) -> Option<u64> {
        self.oldest.iter().flatten().map(|a| a.load(Ordering::Relaxed)).filter(|&t| t != 0).min()
    }

    /// Records moved so far on `stream`.
    pub(crate) fn dispatched(&self, stream: Stream) -> u64 {
        self.dispatched[stream as usize].load(Ordering::Relaxed)
    }
}

/// Round-robin over producers, one record each per pass, until the budget is spent, every ring
/// of the stream is empty or the output is full. Each pass moves at least one record or ends
/// the loop, so the work is bounded by `(budget + 1) * producers` ring checks. A copy that fails
/// validation (the producer reclaimed the record; it counts that loss) is that ring's turn in the pass and moves nothing, so an
/// overwriting producer cannot keep a tick busy: its ring is tried again next pass or tick.
/// Then each drop-newest ring's slots taken are released to its producer with one store of its
/// tail ([`RingConsumer::hold_tail`]).
fn move_stream(s: &mut State, stream: usize, budget: u32, moved: &mut Moved) -> u32 {
    let count = move_records(s, stream, budget, moved);
    // Bounded: two compares and at most one store per producer; none when nothing moved (a
    // tick leaves nothing held).
    if count > 0 {
        for source in s.sources.iter_mut() {
            source[stream].release();
        }
    }
    count
}

/// The loop of [`move_stream`], without the release of the rings' tails.
fn move_records(s: &mut State, stream: usize, budget: u32, moved: &mut Moved) -> u32 {
    let n = s.sources.len();
    let mut count = 0;
    while count < budget {
        let mut progress = false;
        for i in 0..n {
            let ring = &mut s.sources[(s.cursor + i) % n][stream];
            let Some(take) = ring.take() else {
                continue;
            };
            let Some(mut slot) = s.output.reserve() else {
                moved.output_full = true;
                return count;
            };
            // Copy, validate, commit: the copy becomes visible to the writer only once the
            // source ring confirmed that its producer did not reclaim the record meanwhile.
            take.copy_into(&mut slot);
            if !take.finish() {
                continue; // `slot` is dropped unpublished
            }
            slot.commit();
            count += 1;
            moved.records += 1;
            progress = true;
            if count == budget {
                break;
            }
        }
        if !progress {
            break;
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rt::ring::{channel, channel_overwriting, SlotHeader};

    fn setup(
        producers: u16,
        depth: u32,
        out_depth: u32,
    ) -> (Dispatcher, Vec<[RingProducer; 2]>, RingConsumer) {
        let (out_p, out_c) = channel(out_depth, 8);
        let d = Dispatcher::new(out_p, producers.into());
        let mut ends = Vec::new();
        for _ in 0..producers {
            let (cp, cc) = channel(depth, 8);
            let (np, nc) = channel(depth, 8);
            d.add_source([cc, nc]);
            ends.push([cp, np]);
        }
        (d, ends, out_c)
    }

    fn push(p: &mut RingProducer, producer: u16, stream: u8) {
        let seq = p.pushed();
        assert!(p.push(&SlotHeader { seq, producer, stream, ..Default::default() }, &[]));
    }

    fn drain(c: &mut RingConsumer) -> Vec<(u16, u8, u64)> {
        let mut v = Vec::new();
        while let Some((h, _)) = c.peek() {
            v.push((h.producer, h.stream, h.seq));
            c.pop();
        }
        v
    }

    #[test]
    fn critical_first_then_round_robin_within_budget() {
        let (d, mut ends, mut out) = setup(2, 16, 64);
        for _ in 0..3 {
            push(&mut ends[0][1], 0, 1);
            push(&mut ends[1][1], 1, 1);
        }
        push(&mut ends[1][0], 1, 0);
        push(&mut ends[1][0], 1, 0);
        let m = d.tick(4).unwrap();
        assert_eq!(m, Moved { records: 4, output_full: false });
        // Both critical records, then normal round robin starting at producer 0.
        assert_eq!(drain(&mut out), vec![(1, 0, 0), (1, 0, 1), (0, 1, 0), (1, 1, 0)]);
        let m = d.tick(100).unwrap();
        assert_eq!(m.records, 4);
        // The cursor advanced: producer 1 first this time.
        assert_eq!(drain(&mut out), vec![(1, 1, 1), (0, 1, 1), (1, 1, 2), (0, 1, 2)]);
        assert_eq!((d.dispatched(Stream::Critical), d.dispatched(Stream::Normal)), (2, 6));
        assert_eq!(d.pending(), Some(0));
    }

    /// The rings hold their tails during a tick (one store per ring, not per record): what a
    /// tick took is free for the producer again when it returns.
    #[test]
    fn a_tick_gives_the_producer_its_slots_back() {
        let (d, mut ends, mut out) = setup(1, 16, 64);
        for _ in 0..16 {
            push(&mut ends[0][1], 0, 1);
        }
        assert_eq!(d.tick(3).unwrap().records, 3);
        for _ in 0..3 {
            push(&mut ends[0][1], 0, 1);
        }
        assert_eq!(drain(&mut out).len(), 3);
    }

    #[test]
    fn a_full_output_leaves_records_in_place() {
        let (d, mut ends, mut out) = setup(1, 16, 3);
        for _ in 0..5 {
            push(&mut ends[0][0], 0, 0);
        }
        assert_eq!(d.tick(10).unwrap(), Moved { records: 3, output_full: true });
        assert_eq!(d.pending(), Some(2));
        assert_eq!(drain(&mut out).len(), 3);
        assert_eq!(d.tick(10).unwrap().records, 2);
        assert_eq!(drain(&mut out).iter().map(|r| r.2).collect::<Vec<_>>(), vec![3, 4]);
    }

    /// Payload of record `seq`: its length and every byte are functions of `seq`.
    fn payload(seq: u64) -> Vec<u8> {
        (0..(seq % 41) as usize).map(|i| (seq as u8).wrapping_mul(31) ^ i as u8).collect()
    }

    /// One producer per entry, critical rings drop-newest and normal rings overwriting.
    fn setup_overwriting(
        producers: u16,
        depth: u32,
        out_depth: u32,
    ) -> (Dispatcher, Vec<[RingProducer; 2]>, RingConsumer) {
        let (out_p, out_c) = channel(out_depth, 64);
        let d = Dispatcher::new(out_p, producers.into());
        let mut ends = Vec::new();
        for _ in 0..producers {
            let (cp, cc) = channel(depth, 64);
            let (np, nc) = channel_overwriting(depth, 64);
            d.add_source([cc, nc]);
            ends.push([cp, np]);
        }
        (d, ends, out_c)
    }

    fn push_overwrite(p: &mut RingProducer, producer: u16) -> Option<u64> {
        let seq = p.pushed();
        let h = SlotHeader { seq, producer, stream: 1, ..Default::default() };
        p.push_overwrite(&h, &payload(seq))
    }

    /// Drains the output, checking every payload against its seq.
    fn drain_checked(c: &mut RingConsumer) -> Vec<(u16, u8, u64)> {
        let mut v = Vec::new();
        while let Some((h, p)) = c.peek() {
            assert_eq!(p, &payload(h.seq)[..], "record {} of producer {}", h.seq, h.producer);
            v.push((h.producer, h.stream, h.seq));
            c.pop();
        }
        v
    }

    #[test]
    fn overwriting_sources_keep_budget_and_round_robin() {
        let (d, mut ends, mut out) = setup_overwriting(2, 4, 64);
        for p in 0..2u16 {
            let reclaimed: Vec<_> =
                (0..6).filter_map(|_| push_overwrite(&mut ends[p as usize][1], p)).collect();
            assert_eq!(reclaimed, vec![0, 1]);
        }
        assert_eq!(d.pending(), Some(8));
        assert_eq!(d.tick(3).unwrap(), Moved { records: 3, output_full: false });
        assert_eq!(drain_checked(&mut out), vec![(0, 1, 2), (1, 1, 2), (0, 1, 3)]);
        // The cursor advanced: producer 1 first this time.
        assert_eq!(d.tick(100).unwrap().records, 5);
        assert_eq!(
            drain_checked(&mut out),
            vec![(1, 1, 3), (0, 1, 4), (1, 1, 4), (0, 1, 5), (1, 1, 5)]
        );
        assert_eq!((d.dispatched(Stream::Normal), d.pending()), (8, Some(0)));
    }

    #[test]
    fn records_reclaimed_behind_a_full_output_never_reach_it() {
        let (d, mut ends, mut out) = setup_overwriting(1, 4, 2);
        for _ in 0..4 {
            assert_eq!(push_overwrite(&mut ends[0][1], 0), None);
        }
        assert_eq!(d.tick(10).unwrap(), Moved { records: 2, output_full: true });
        // Seqs 2 and 3 wait in the ring; two more records fill it, the next two reclaim them.
        let reclaimed: Vec<_> = (0..4).filter_map(|_| push_overwrite(&mut ends[0][1], 0)).collect();
        assert_eq!(reclaimed, vec![2, 3]);
        assert_eq!(drain_checked(&mut out).iter().map(|r| r.2).collect::<Vec<_>>(), vec![0, 1]);
        assert_eq!(d.tick(2).unwrap(), Moved { records: 2, output_full: false });
        assert_eq!(drain_checked(&mut out).iter().map(|r| r.2).collect::<Vec<_>>(), vec![4, 5]);
        assert_eq!(d.tick(10).unwrap(), Moved { records: 2, output_full: false });
        assert_eq!(drain_checked(&mut out).iter().map(|r| r.2).collect::<Vec<_>>(), vec![6, 7]);
        assert_eq!(d.pending(), Some(0));
    }

    #[test]
    fn a_concurrently_overwriting_producer_never_gets_a_torn_record_through() {
        const N: u64 = if cfg!(miri) {
            300
        } else if cfg!(debug_assertions) {
            100_000
        } else {
            1_000_000
        };
        let (d, mut ends, mut out) = setup_overwriting(1, 8, 16);
        let mut ring = ends.pop().unwrap();
        let producer = std::thread::spawn(move || {
            (0..N).filter(|_| push_overwrite(&mut ring[1], 0).is_some()).count() as u64
        });
        let mut next = 0;
        let mut accepted = 0;
        let mut tick_and_drain = || {
            d.tick(16).unwrap();
            for (_, _, seq) in drain_checked(&mut out) {
                assert!(seq >= next, "seq {seq} after {next}: duplicate or reordered");
                next = seq + 1;
                accepted += 1;
            }
        };
        while !producer.is_finished() {
            tick_and_drain();
        }
        // `is_finished` is not a happens-before edge, so the ring may still look emptier than
        // it is (Miri's weak memory once read a stale head here and lost the last record);
        // `join` is one: after it, `pending` counts every record the producer left.
        let overwritten = producer.join().unwrap();
        while d.pending() != Some(0) {
            tick_and_drain();
        }
        assert_eq!(accepted + overwritten, N);
        assert_eq!(d.dispatched(Stream::Normal), accepted);
    }

    #[test]
    fn a_concurrent_tick_returns_at_once() {
        let (d, _ends, _out) = setup(1, 4, 4);
        let inner = d.with_state(|_| d.tick(1));
        assert_eq!(inner, Some(None));
    }
}
