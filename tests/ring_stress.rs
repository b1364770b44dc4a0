//! Stress of the overwrite-oldest ring: a producer thread and a consumer thread race on a
//! 64-slot ring, so the producer reclaims records constantly and the consumer's copies
//! regularly overlap a reclaim.
//!
//! Records: 10^7 per test in optimised builds (`cargo test --release --test ring_stress`,
//! what ctest runs), 10^6 in debug builds (`cargo test`), where each step is ~20 times slower.
//! Every payload's length (0..=61 bytes, so most end inside a word) and bytes are a function of
//! its seq. The tests assert that every record the consumer accepts is intact, that accepted
//! seqs strictly increase, and that the accepted seqs and the seqs `push_overwrite` reported
//! reclaimed partition `0..N` exactly (so accepted + overwritten == produced).

use rtlog::ring::{channel, channel_overwriting, RingConsumer, RingProducer, SlotHeader};
use std::time::Instant;

const N: u64 = if cfg!(debug_assertions) { 1_000_000 } else { 10_000_000 };
const DEPTH: u32 = 64;
const MAX_PAYLOAD: u32 = 61;

fn header(seq: u64) -> SlotHeader {
    SlotHeader {
        seq,
        timestamp: seq.wrapping_mul(0x9e37_79b9_7f4a_7c15),
        record_type: seq as u16,
        producer: 5,
        stream: 1,
        kind: 1,
        ..SlotHeader::default()
    }
}

fn payload_len(seq: u64) -> usize {
    (seq.wrapping_mul(7) % u64::from(MAX_PAYLOAD + 1)) as usize
}

fn payload_byte(seq: u64, i: usize) -> u8 {
    (seq >> (8 * (i % 8))) as u8 ^ (i as u8).wrapping_mul(29)
}

fn fill(seq: u64, buf: &mut [u8; MAX_PAYLOAD as usize]) -> &[u8] {
    let len = payload_len(seq);
    for (i, b) in buf[..len].iter_mut().enumerate() {
        *b = payload_byte(seq, i);
    }
    &buf[..len]
}

fn assert_intact(h: &SlotHeader, payload: &[u8]) {
    let mut expect = header(h.seq);
    expect.len = payload_len(h.seq) as u32;
    assert_eq!(*h, expect, "torn header accepted");
    assert_eq!(payload.len(), payload_len(h.seq));
    for (i, &b) in payload.iter().enumerate() {
        assert_eq!(b, payload_byte(h.seq, i), "torn payload accepted: seq {} byte {i}", h.seq);
    }
}

/// A set of seqs in `0..N`.
struct Seen(Vec<u64>);

impl Seen {
    fn new() -> Seen {
        Seen(vec![0; N.div_ceil(64) as usize])
    }
    fn insert(&mut self, seq: u64) {
        let (word, bit) = ((seq / 64) as usize, seq % 64);
        assert!(self.0[word] & (1 << bit) == 0, "seq {seq} twice");
        self.0[word] |= 1 << bit;
    }
}

/// Pushes `0..N` with `push_overwrite`; returns the reclaimed seqs.
fn produce(mut p: RingProducer) -> Seen {
    let mut reclaimed = Seen::new();
    let mut last = None;
    let mut buf = [0; MAX_PAYLOAD as usize];
    for seq in 0..N {
        if let Some(old) = p.push_overwrite(&header(seq), fill(seq, &mut buf)) {
            assert!(last < Some(old) && old < seq, "reclaimed {old} after {last:?} at {seq}");
            last = Some(old);
            reclaimed.insert(old);
        }
    }
    reclaimed
}

/// What the consumer saw.
struct Accepted {
    seen: Seen,
    count: u64,
    next: u64,
    torn: u64,
}

impl Accepted {
    fn new() -> Accepted {
        Accepted { seen: Seen::new(), count: 0, next: 0, torn: 0 }
    }

    fn accept(&mut self, h: &SlotHeader, payload: &[u8]) {
        assert_intact(h, payload);
        assert!(h.seq >= self.next, "seq {} after {}: duplicate or reordered", h.seq, self.next);
        self.next = h.seq + 1;
        self.count += 1;
        self.seen.insert(h.seq);
    }
}

/// Checks the partition of `0..N` and the consumer's own counters.
fn check(c: &RingConsumer, accepted: &Accepted, reclaimed: &Seen, started: Instant) {
    let overwritten: u64 = reclaimed.0.iter().map(|w| u64::from(w.count_ones())).sum();
    eprintln!(
        "{N} records in {:.2?}: {} accepted, {overwritten} overwritten, {} torn copies discarded",
        started.elapsed(),
        accepted.count,
        accepted.torn
    );
    assert_eq!(accepted.count + overwritten, N, "accepted + overwritten != produced");
    for (i, (a, r)) in accepted.seen.0.iter().zip(&reclaimed.0).enumerate() {
        assert_eq!(a & r, 0, "seqs both accepted and reclaimed near {}", i * 64);
    }
    assert_eq!((c.popped(), c.skipped()), (N, overwritten));
    assert!(overwritten > 0, "the consumer kept up: the test did not overwrite");
}

#[test]
fn overwrite_ring_accepts_only_intact_records_in_order() {
    let started = Instant::now();
    let (p, mut c) = channel_overwriting(DEPTH, MAX_PAYLOAD);
    let producer = std::thread::spawn(move || produce(p));
    let mut accepted = Accepted::new();
    let mut buf = [0; MAX_PAYLOAD as usize];
    let mut attempt = |c: &mut RingConsumer, accepted: &mut Accepted| {
        let Some(take) = c.take() else { return false };
        let h = take.copy_to(&mut buf);
        if take.finish() {
            accepted.accept(&h, &buf[..h.len as usize]);
        } else {
            accepted.torn += 1;
        }
        true
    };
    while !producer.is_finished() {
        if !attempt(&mut c, &mut accepted) {
            std::hint::spin_loop();
        }
    }
    let reclaimed = producer.join().unwrap();
    while attempt(&mut c, &mut accepted) {}
    check(&c, &accepted, &reclaimed, started);
}

/// The dispatcher's path: copy into a reserved slot of a drop-newest ring, validate, commit;
/// the output ring must never show a torn record.
#[test]
fn overwrite_ring_copied_into_another_ring_publishes_only_intact_records() {
    let started = Instant::now();
    let (p, mut c) = channel_overwriting(DEPTH, MAX_PAYLOAD);
    let (mut out_p, mut out_c) = channel(DEPTH, MAX_PAYLOAD);
    let producer = std::thread::spawn(move || produce(p));
    let mut accepted = Accepted::new();
    let mut attempt = |c: &mut RingConsumer, accepted: &mut Accepted| {
        let Some(take) = c.take() else { return false };
        let mut slot = out_p.reserve().expect("drained after every record");
        take.copy_into(&mut slot);
        if take.finish() {
            slot.commit();
        } else {
            accepted.torn += 1;
        }
        if let Some((h, payload)) = out_c.peek() {
            accepted.accept(h, payload);
            out_c.pop();
        }
        true
    };
    while !producer.is_finished() {
        if !attempt(&mut c, &mut accepted) {
            std::hint::spin_loop();
        }
    }
    let reclaimed = producer.join().unwrap();
    while attempt(&mut c, &mut accepted) {}
    assert!(out_c.peek().is_none());
    check(&c, &accepted, &reclaimed, started);
}
