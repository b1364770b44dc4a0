//! The fault layer's harder faults: short writes and EINTR are continued, and a simulated power
//! cut (bytes past the last fdatasync dropped, unsynced directory entries lost) never costs a
//! record below the durable watermark, nor leaves a gap or a damaged record.

mod common;
use common::*;
use rtlog::faults::{simulate_power_loss, Fault, FaultInjector, IoOp};
use rtlog::{Config, Durability, Logger, Reader, Status, Stream};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[test]
fn short_writes_and_eintr_are_continued() {
    let dir = TempDir::new("short-writes");
    let faults = Arc::new(FaultInjector::new());
    faults.inject_nth(Some(IoOp::Write), 2, Fault::ShortWrite, true);
    faults.inject_nth(Some(IoOp::Write), 5, Fault::Interrupted, false);
    faults.inject_nth(Some(IoOp::Sync), 4, Fault::Interrupted, false);
    let mut c = config(&dir);
    c.durability = Durability::Fsync;
    let lg = Logger::init_with_faults(c, faults.clone()).unwrap();
    let p = producer(lg.create_producer("p").unwrap());
    lg.start().unwrap();
    for i in 0..500u32 {
        assert_eq!(p.publish(Stream::Normal, 0, &i.to_le_bytes().repeat(20)), Status::Ok);
        if i % 50 == 0 {
            lg.flush(Duration::from_secs(10)).unwrap();
        }
    }
    lg.shutdown().unwrap();
    assert!(faults.injected() > 10, "faults were injected: {}", faults.injected());
    assert_eq!(lg.stats().write_errors + lg.stats().sync_errors, 0);
    let mut r = Reader::open(&dir.0).unwrap();
    let mut n = 0u32;
    while let Some(rec) = r.next_record().unwrap() {
        assert_eq!(rec.payload, &n.to_le_bytes().repeat(20)[..]);
        n += 1;
    }
    assert_eq!(n, 500);
}

/// A fresh log directory, a fault injector that journals every write and sync to a file next
/// to it (what a power cut can take back), and a manual-mode configuration for it.
fn journaled(tag: &str) -> (TempDir, PathBuf, Arc<FaultInjector>, Config) {
    let dir = TempDir::new(tag);
    std::fs::create_dir_all(&dir.0).unwrap();
    let journal = dir.0.with_extension("journal");
    let _ = std::fs::remove_file(&journal);
    let faults = Arc::new(FaultInjector::new());
    faults.journal_to(&journal).unwrap();
    let mut c = config(&dir);
    c.manual = true;
    (dir, journal, faults, c)
}

/// Runs a manual-mode logger (no threads, so nothing runs after the simulated crash), makes
/// `durable_batches` batches durable and leaves one more written but unsynced, "loses power"
/// keeping `keep(unsynced)` bytes, recovers, and checks the log.
fn crash_and_recover(tag: &str, keep: impl FnMut(u64) -> u64, rotate: bool) {
    let (dir, journal, faults, mut c) = journaled(tag);
    c.durability = Durability::FsyncBatch;
    c.batch_records = 10;
    c.batch_interval_us = 60_000_000;
    if rotate {
        c.segment_bytes = 64 * 1024;
    }
    let lg = Logger::init_with_faults(c.clone(), faults).unwrap();
    let p = producer(lg.create_producer("p").unwrap());
    lg.start().unwrap();
    let mut seq = 0u32;
    let mut publish = |n: u32| {
        for _ in 0..n {
            assert_eq!(p.publish(Stream::Critical, 0, &seq.to_le_bytes().repeat(50)), Status::Ok);
            seq += 1;
        }
        while lg.tick().unwrap() > 0 {}
        lg.step_writer().unwrap();
    };
    publish(if rotate { 400 } else { 30 });
    publish(7); // written, below batch_records: not synced
    let durable = p.durable_count(Stream::Critical);
    assert!(durable >= 30 && durable < u64::from(seq), "durable {durable} of {seq}");
    lg.simulate_crash(); // the process dies: no shutdown, no final sync
    let loss = simulate_power_loss(&journal, keep).unwrap();
    let _ = std::fs::remove_file(&journal);

    let lg = Logger::init(c).unwrap();
    let recovered = lg.recovered().clone();
    lg.create_producer("p").unwrap();
    lg.start().unwrap();
    lg.shutdown().unwrap();
    let mut r = Reader::open(&dir.0).unwrap();
    let mut next = 0u64;
    while let Some(rec) = r.next_record().unwrap() {
        if rec.epoch == 1 {
            assert_eq!(rec.seq, next, "gap-free");
            assert_eq!(rec.payload, &(rec.seq as u32).to_le_bytes().repeat(50)[..]);
            next += 1;
        }
    }
    assert!(
        next >= durable,
        "lost records below the durable count: read {next}, durable {durable} ({loss:?})"
    );
    let st = r.stats();
    assert_eq!((st.corrupt_regions, st.epochs), (0, 2), "{recovered:?}");
}

#[test]
fn a_strict_power_cut_keeps_everything_below_the_durable_count() {
    crash_and_recover("power-strict", |_| 0, false);
}

#[test]
fn a_partial_flush_before_the_cut_is_cut_back_to_whole_records() {
    for keep in [1u64, 47, 48, 100, 333] {
        crash_and_recover("power-partial", move |unsynced| keep.min(unsynced), false);
    }
}

#[test]
fn a_cut_across_rotations_loses_no_durable_record() {
    crash_and_recover("power-rotate", |_| 0, true);
    crash_and_recover("power-rotate-partial", |u| u / 3, true);
}

/// `critical_durability` FSYNC beside `durability` NONE: a critical record counts durable only
/// once synced, so a power cut loses none that was reported durable, while the normal stream
/// keeps NONE's cost (its records count durable once written, and a power cut may take them).
/// Without the per-stream mode, NONE would report the critical records durable once written,
/// and the cut would lose them.
#[test]
fn critical_records_reported_durable_survive_a_power_cut_under_a_weaker_normal_mode() {
    let (dir, journal, faults, mut c) = journaled("power-mix");
    c.durability = Durability::None;
    c.critical_durability = Some(Durability::Fsync);
    let lg = Logger::init_with_faults(c.clone(), faults.clone()).unwrap();
    let p = producer(lg.create_producer("p").unwrap());
    lg.start().unwrap();
    let payload = |stream: u8, seq: u32| [[stream; 4], seq.to_le_bytes()].concat().repeat(8);
    for i in 0..40u32 {
        assert_eq!(p.publish(Stream::Normal, 0, &payload(1, i)), Status::Ok);
        if i % 4 == 0 {
            let seq = p.published(Stream::Critical) as u32;
            assert_eq!(p.publish(Stream::Critical, 0, &payload(0, seq)), Status::Ok);
        }
        while lg.tick().unwrap() > 0 {}
        lg.step_writer().unwrap();
    }
    let durable = p.durable_count(Stream::Critical);
    assert_eq!(durable, 10, "every critical record was synced at once (FSYNC)");
    assert!(faults.calls(Some(IoOp::Sync)) >= 10, "a sync per batch holding a critical record");
    lg.simulate_crash();
    simulate_power_loss(&journal, |_| 0).unwrap();
    let _ = std::fs::remove_file(&journal);
    let lg = Logger::init(Config { critical_durability: None, ..c }).unwrap();
    lg.shutdown().unwrap();
    let mut r = Reader::open(&dir.0).unwrap();
    let mut critical = 0u64;
    while let Some(rec) = r.next_record().unwrap() {
        if rec.epoch == 1 && rec.stream == Stream::Critical as u8 {
            assert_eq!(rec.payload, &payload(0, rec.seq as u32)[..]);
            critical += 1;
        }
    }
    assert!(critical >= durable, "read {critical} critical records, {durable} were durable");
}
