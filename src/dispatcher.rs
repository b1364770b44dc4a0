//! `tick`: moves a bounded budget of records from the producers' rings to the writer's input.
//!
//! **RT module**: bounded, allocation-free, syscall-free. Critical records go first; within a
//! stream, producers are served round robin one record at a time, starting from a cursor that
//! advances every tick, so no producer can starve another.
//!
//! Only one thread can dispatch at a time: a tick first takes a try-lock (one compare-exchange)
//! and a tick that finds it taken returns at once with nothing moved. The dispatcher is the
//! single producer of the writer's input ring, and the single consumer of every producer ring.

use crate::producer::Stream;
use crate::ring::{RingConsumer, RingProducer};
use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Consumer ends of one producer's rings, indexed by stream.
pub(crate) type Source = [RingConsumer; 2];

struct State {
    sources: Vec<Source>,
    output: RingProducer,
    cursor: usize,
}

/// The dispatcher: the state behind a try-lock, plus counters readable by anyone.
pub(crate) struct Dispatcher {
    busy: AtomicBool,
    state: UnsafeCell<State>,
    /// Records moved per stream. Written only by the lock holder (plain load + store), read
    /// `Relaxed` for statistics.
    dispatched: [AtomicU64; 2],
}

// SAFETY: `state` is only accessed by the thread that holds `busy` (see `with_state`), which
// serialises all access; the ring ends inside are `Send`.
unsafe impl Sync for Dispatcher {}

/// Result of one dispatch pass.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Moved {
    /// Records moved.
    pub(crate) records: u32,
    /// True when the writer's input ring was full and records were left behind.
    pub(crate) output_full: bool,
}

impl Dispatcher {
    pub(crate) fn new(output: RingProducer, max_producers: usize) -> Dispatcher {
        Dispatcher {
            busy: AtomicBool::new(false),
            state: UnsafeCell::new(State {
                sources: Vec::with_capacity(max_producers),
                output,
                cursor: 0,
            }),
            dispatched: [AtomicU64::new(0), AtomicU64::new(0)],
        }
    }

    /// Runs `f` on the state if no other thread is dispatching; `None` otherwise.
    #[inline]
    fn with_state<R>(&self, f: impl FnOnce(&mut State) -> R) -> Option<R> {
        // Acquire: everything the previous holder did to the state is visible.
        if self.busy.compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed).is_err() {
            return None;
        }
        // SAFETY: we hold `busy`, so no other thread touches `state` until we release it.
        let r = f(unsafe { &mut *self.state.get() });
        // Release: our changes to the state are visible to the next holder.
        self.busy.store(false, Ordering::Release);
        Some(r)
    }

    /// Adds a producer's consumer ends (INIT phase only, never concurrent with a tick; the
    /// vector's capacity was reserved for `max_producers`, so this does not reallocate).
    pub(crate) fn add_source(&self, source: Source) {
        self.with_state(|s| s.sources.push(source))
            .expect("add_source runs in INIT, when nobody dispatches");
    }

    /// Moves at most `budget` records. **RT-safe.** `None` when another thread is dispatching.
    pub(crate) fn tick(&self, budget: u32) -> Option<Moved> {
        self.with_state(|s| {
            let mut moved = Moved::default();
            for stream in Stream::ALL {
                let n = move_stream(s, stream as usize, budget - moved.records, &mut moved);
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
            moved
        })
    }

    /// Records still waiting in producer rings, or `None` when another thread is dispatching.
    pub(crate) fn pending(&self) -> Option<u64> {
        self.with_state(|s| s.sources.iter().flat_map(|src| src.iter()).map(|r| r.len()).sum())
    }

    /// Records moved so far on `stream`.
    pub(crate) fn dispatched(&self, stream: Stream) -> u64 {
        self.dispatched[stream as usize].load(Ordering::Relaxed)
    }
}

/// Round-robin over producers, one record each per pass, until the budget is spent, every ring
/// of the stream is empty or the output is full. Each pass moves at least one record or ends
/// the loop, so the work is bounded by `(budget + 1) * producers` ring checks.
fn move_stream(s: &mut State, stream: usize, budget: u32, moved: &mut Moved) -> u32 {
    let n = s.sources.len();
    let mut count = 0;
    while count < budget {
        let mut progress = false;
        for i in 0..n {
            let ring = &mut s.sources[(s.cursor + i) % n][stream];
            let Some((header, payload)) = ring.peek() else {
                continue;
            };
            if !s.output.push(header, payload) {
                moved.output_full = true;
                return count;
            }
            ring.pop();
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
    use crate::ring::{channel, SlotHeader};

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

    #[test]
    fn a_concurrent_tick_returns_at_once() {
        let (d, _ends, _out) = setup(1, 4, 4);
        let inner = d.with_state(|_| d.tick(1));
        assert_eq!(inner, Some(None));
    }
}
