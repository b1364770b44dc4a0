//! Loom models of the RT side's synchronisation: the ring's two protocols (see `src/rt/ring.rs`),
//! ticks from two threads at once (the dispatcher's try-lock, `src/rt/dispatcher.rs`) and the
//! durable watermarks the writer publishes (`src/rt/watermark.rs`); `src/rt/atomics.rs` says how loom is
//! swapped in. Run with:
//!
//! ```text
//! LOOM_MAX_PREEMPTIONS=2 RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom \
//!     cargo test --release --test loom_ring
//! ```
//!
//! (Without `--cfg loom` this file is empty.) Each model runs one producer thread against the
//! main thread as consumer on a ring of depth 1 or 2 with 2–3 records, so every record reuses a
//! slot another record used. Loom explores every interleaving within the preemption bound
//! (2 unless `LOOM_MAX_PREEMPTIONS` says otherwise) and every value a load may return under the
//! C++ memory model; it fails a model on a data race on plain slot memory (the ring reports
//! those accesses to it) and the models assert, on top of it, that every record accepted is
//! intact and in order, and that accepted and reclaimed records partition what was produced.

// `loom` is set only through RUSTFLAGS, which Cargo's cfg checking does not know about.
#![cfg(loom)]

use loom::cell::UnsafeCell;
use loom::sync::Arc;
use loom::thread;
use rtlog::dispatcher::Dispatcher;
use rtlog::ring::{channel, channel_overwriting, RingConsumer, SlotHeader};
use rtlog::watermark::{DurableCount, Progress};

/// Payload bytes per record: one slot word, so that a torn copy can mix header and payload.
const PAYLOAD: usize = 8;

fn header(seq: u64) -> SlotHeader {
    SlotHeader {
        seq,
        timestamp: 100 + seq,
        record_type: seq as u16,
        kind: 1,
        ..SlotHeader::default()
    }
}

fn payload(seq: u64) -> [u8; PAYLOAD] {
    [seq as u8 + 1; PAYLOAD]
}

fn assert_intact(h: &SlotHeader, body: &[u8]) {
    let mut expect = header(h.seq);
    expect.len = PAYLOAD as u32;
    assert_eq!(*h, expect, "torn header accepted");
    assert_eq!(body, &payload(h.seq)[..], "torn payload accepted");
}

/// Runs `f` under loom and prints how many executions it explored (`--nocapture` shows it).
fn model(f: impl Fn() + Sync + Send + 'static) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(2);
    }
    builder.max_branches = 100_000;
    let runs = std::sync::Arc::new(AtomicUsize::new(0));
    let counted = runs.clone();
    let started = std::time::Instant::now();
    builder.check(move || {
        // Relaxed: a count read after the model has finished.
        counted.fetch_add(1, Ordering::Relaxed);
        f();
    });
    let name = std::thread::current().name().unwrap_or("model").to_owned();
    let preemptions = builder.preemption_bound.unwrap_or(0);
    let (n, t) = (runs.load(Ordering::Relaxed), started.elapsed());
    eprintln!("{name}: {n} executions in {t:.2?} (max {preemptions} preemptions)");
}

/// Drop-newest: `push` against `peek`/`pop`. Loom checks that the slot a `peek` lends out is
/// never written before the `pop`, and the record is complete when seen.
fn drop_newest_peek_pop(depth: u32, records: u64) {
    model(move || {
        let (mut p, mut c) = channel(depth, PAYLOAD as u32);
        let producer = thread::spawn(move || {
            for seq in 0..records {
                while !p.push(&header(seq), &payload(seq)) {
                    thread::yield_now();
                }
            }
        });
        let mut next = 0;
        while next < records {
            if let Some((h, body)) = c.peek() {
                assert_intact(h, body);
                assert_eq!(h.seq, next);
                c.pop();
                next += 1;
            } else {
                thread::yield_now();
            }
        }
        producer.join().unwrap();
    });
}

#[test]
fn drop_newest_depth_1() {
    drop_newest_peek_pop(1, 3);
}

#[test]
fn drop_newest_depth_2() {
    drop_newest_peek_pop(2, 3);
}

/// Drop-newest through the copying API the dispatcher uses (`take`, `finish`).
#[test]
fn drop_newest_take() {
    model(|| {
        let (mut p, mut c) = channel(1, PAYLOAD as u32);
        let producer = thread::spawn(move || {
            for seq in 0..3 {
                while !p.push(&header(seq), &payload(seq)) {
                    thread::yield_now();
                }
            }
        });
        let mut next = 0;
        let mut buf = [0; PAYLOAD];
        while next < 3 {
            if let Some(take) = c.take() {
                let h = take.copy_to(&mut buf);
                assert!(take.finish(), "drop-newest copies always validate");
                assert_intact(&h, &buf);
                assert_eq!(h.seq, next);
                next += 1;
            } else {
                thread::yield_now();
            }
        }
        producer.join().unwrap();
    });
}

/// Drop-newest through the two-phase push the dispatcher uses on its output ring (`reserve`,
/// `write`, `commit`), against `peek`/`pop`.
#[test]
fn drop_newest_reserve_commit() {
    model(|| {
        let (mut p, mut c) = channel(1, PAYLOAD as u32);
        let producer = thread::spawn(move || {
            for seq in 0..3 {
                loop {
                    if let Some(mut slot) = p.reserve() {
                        slot.write(&header(seq), &payload(seq));
                        slot.commit();
                        break;
                    }
                    thread::yield_now();
                }
            }
        });
        let mut next = 0;
        while next < 3 {
            if let Some((h, body)) = c.peek() {
                assert_intact(h, body);
                assert_eq!(h.seq, next);
                c.pop();
                next += 1;
            } else {
                thread::yield_now();
            }
        }
        producer.join().unwrap();
    });
}

/// What the consumer accepted, checked as it goes.
#[derive(Default)]
struct Accepted(Vec<u64>);

impl Accepted {
    fn accept(&mut self, h: &SlotHeader, body: &[u8]) {
        assert_intact(h, body);
        assert!(self.0.last() < Some(&h.seq), "seq {} after {:?}", h.seq, self.0);
        self.0.push(h.seq);
    }

    /// Accepted and reclaimed seqs partition `0..records`.
    fn check(mut self, reclaimed: Vec<u64>, records: u64) {
        self.0.extend(reclaimed);
        self.0.sort_unstable();
        assert_eq!(self.0, (0..records).collect::<Vec<_>>(), "accepted + reclaimed");
    }
}

/// Overwrite-oldest: `push_overwrite` against `take`/`copy_to`/`finish`, with `attempts`
/// concurrent takes and a drain after the producer is done.
fn overwrite(depth: u32, records: u64, attempts: usize) {
    model(move || {
        let (mut p, mut c) = channel_overwriting(depth, PAYLOAD as u32);
        let producer = thread::spawn(move || {
            (0..records).filter_map(|seq| p.push_overwrite(&header(seq), &payload(seq))).collect()
        });
        let mut accepted = Accepted::default();
        let mut buf = [0; PAYLOAD];
        let mut attempt = |c: &mut RingConsumer, accepted: &mut Accepted| {
            let Some(take) = c.take() else { return false };
            let h = take.copy_to(&mut buf);
            if take.finish() {
                accepted.accept(&h, &buf[..h.len as usize]);
            }
            true
        };
        for _ in 0..attempts {
            attempt(&mut c, &mut accepted);
        }
        let reclaimed: Vec<u64> = producer.join().unwrap();
        assert!(reclaimed.windows(2).all(|w| w[0] < w[1]), "reclaimed {reclaimed:?}");
        while attempt(&mut c, &mut accepted) {}
        assert_eq!(c.popped(), records);
        accepted.check(reclaimed, records);
    });
}

#[test]
fn overwrite_depth_1() {
    overwrite(1, 3, 3);
}

#[test]
fn overwrite_depth_2() {
    overwrite(2, 3, 3);
}

/// The whole path with three threads: an overwriting producer, a dispatcher thread copying
/// into a drop-newest output ring (copy, validate, commit), and the main thread reading the
/// output as the writer does. 2 records on a depth-1 ring keep the model small.
#[test]
fn overwrite_dispatch_to_a_concurrent_reader() {
    model(|| {
        let (mut p, mut c) = channel_overwriting(1, PAYLOAD as u32);
        let (mut out_p, mut out_c) = channel(2, PAYLOAD as u32);
        let producer = thread::spawn(move || {
            (0..2).filter_map(|seq| p.push_overwrite(&header(seq), &payload(seq))).collect()
        });
        let dispatcher = thread::spawn(move || {
            let mut dispatch = |c: &mut RingConsumer| {
                let Some(take) = c.take() else { return false };
                let mut slot = out_p.reserve().expect("the output has room for every record");
                take.copy_into(&mut slot);
                if take.finish() {
                    slot.commit();
                }
                true
            };
            dispatch(&mut c);
            dispatch(&mut c);
            c
        });
        let mut accepted = Accepted::default();
        if let Some((h, body)) = out_c.peek() {
            accepted.accept(h, body);
            out_c.pop();
        }
        let reclaimed: Vec<u64> = producer.join().unwrap();
        let mut c = dispatcher.join().unwrap();
        // Finish single-threaded: the output holds older records than the source ring.
        while let Some((h, body)) = out_c.peek() {
            accepted.accept(h, body);
            out_c.pop();
        }
        let mut buf = [0; PAYLOAD];
        while let Some(take) = c.take() {
            let h = take.copy_to(&mut buf);
            assert!(take.finish(), "nobody reclaims any more");
            accepted.accept(&h, &buf);
        }
        accepted.check(reclaimed, 2);
    });
}

/// The dispatcher's order on an overwrite ring: reserve a slot of a drop-newest output ring,
/// copy into it, validate, and commit only a validated copy. Nothing torn may reach the output.
#[test]
fn overwrite_copy_validate_commit() {
    model(|| {
        let (mut p, mut c) = channel_overwriting(1, PAYLOAD as u32);
        let (mut out_p, mut out_c) = channel(4, PAYLOAD as u32);
        let producer = thread::spawn(move || {
            (0..3).filter_map(|seq| p.push_overwrite(&header(seq), &payload(seq))).collect()
        });
        let mut moved = 0;
        let mut dispatch = |c: &mut RingConsumer| {
            let Some(take) = c.take() else { return false };
            let mut slot = out_p.reserve().expect("the output has room for every record");
            take.copy_into(&mut slot);
            if take.finish() {
                slot.commit();
                moved += 1;
            }
            true
        };
        for _ in 0..3 {
            dispatch(&mut c);
        }
        let reclaimed: Vec<u64> = producer.join().unwrap();
        while dispatch(&mut c) {}
        let mut accepted = Accepted::default();
        while let Some((h, body)) = out_c.peek() {
            accepted.accept(h, body);
            out_c.pop();
        }
        assert_eq!(accepted.0.len(), moved);
        accepted.check(reclaimed, 3);
    });
}

/// Two threads tick at once (the control loop and the internal ticker, say) while the producer
/// publishes `records` into its critical ring. The try-lock lets one of them dispatch and the
/// other return at once; loom fails the model if both ever hold the state, or if one holder's
/// changes are not visible to the next (the state's accesses are reported to it). Every record
/// reaches the output exactly once, intact and in order.
fn concurrent_ticks(records: u64, budget: u32) {
    model(move || {
        let (out_p, mut out) = channel(4, PAYLOAD as u32);
        let d = Arc::new(Dispatcher::new(out_p, 1));
        let (mut critical, cc) = channel(2, PAYLOAD as u32);
        let (_normal, nc) = channel(1, PAYLOAD as u32);
        d.add_source([cc, nc]);
        let producer = thread::spawn(move || {
            for seq in 0..records {
                assert!(critical.push(&header(seq), &payload(seq)), "the ring has room");
            }
        });
        let other = {
            let d = d.clone();
            thread::spawn(move || d.tick(budget).map_or(0, |m| m.records))
        };
        let mine = d.tick(budget).map_or(0, |m| m.records);
        producer.join().unwrap();
        let theirs = other.join().unwrap();
        let rest = d.tick(4).expect("no other thread is ticking").records;
        assert_eq!(u64::from(mine + theirs + rest), records);
        for seq in 0..records {
            let (h, body) = out.peek().expect("every record reaches the output");
            assert_eq!(h.seq, seq);
            assert_intact(h, body);
            out.pop();
        }
        assert!(out.peek().is_none(), "a record reached the output twice");
    });
}

#[test]
fn concurrent_ticks_budget_1() {
    concurrent_ticks(2, 1);
}

#[test]
fn concurrent_ticks_budget_2() {
    concurrent_ticks(2, 2);
}

/// The writer makes records 0 and 1 durable and advances the count; the sync of records 2 and
/// 3 fails, so it freezes the count, and its next pass tries to advance it anyway. A reader
/// (an RT thread, `flush`) that sees a count sees the work behind it (the "synced" cell, which
/// loom checks for a race), never sees lost records counted durable, and once it sees the
/// freeze, sees the final count: `Lost` is final.
#[test]
fn durable_count_publication_and_freeze() {
    model(|| {
        let mark = Arc::new(DurableCount::new());
        let synced = Arc::new(UnsafeCell::new([false; 4]));
        let writer = {
            let (mark, synced) = (mark.clone(), synced.clone());
            thread::spawn(move || {
                // SAFETY: the pointer is valid; loom checks the access for races.
                synced.with_mut(|s| unsafe { *s = [true, true, false, false] });
                mark.advance(2);
                mark.freeze();
                mark.advance(4);
            })
        };
        match mark.progress(2) {
            // SAFETY: as above.
            Progress::Durable => synced.with(|s| assert!(unsafe { (*s)[0] && (*s)[1] })),
            Progress::Lost => panic!("records 0 and 1 were never lost"),
            Progress::Pending => {}
        }
        match mark.progress(4) {
            Progress::Durable => panic!("lost records counted durable"),
            Progress::Lost => assert_eq!(mark.count(), 2, "the freeze seen, but not the count"),
            Progress::Pending => {}
        }
        writer.join().unwrap();
        assert_eq!((mark.progress(2), mark.progress(4)), (Progress::Durable, Progress::Lost));
        assert_eq!(mark.count(), 2);
    });
}
