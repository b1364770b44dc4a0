//! Durability under failure (through the writer's fault injector) and retention.

mod common;
use common::*;
use rtlog::faults::{FaultInjector, IoOp};
use rtlog::format::{FrameKind, LossMarker, LossReason};
use rtlog::{Durability, Logger, Reader, State, Status, Stream};
use std::sync::Arc;
use std::time::Duration;

const T: Duration = Duration::from_secs(20);

fn publish_n(p: &mut rtlog::Producer, stream: Stream, n: u64) {
    for _ in 0..n {
        let seq = p.published(stream);
        assert_eq!(p.publish(stream, 1, &seq.to_le_bytes()), Status::Ok);
    }
}

/// Waits (up to 10 s) for the supervisor thread to reach `state`.
fn wait_for_state(lg: &Logger, state: State) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while lg.state() != state && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(lg.state(), state);
}

/// Frames of the log as (kind, producer, stream, seq, payload).
fn frames(dir: &TempDir) -> Vec<(FrameKind, u16, u8, u64, Vec<u8>)> {
    let mut r = Reader::open(&dir.0).unwrap();
    let mut out = Vec::new();
    while let Some(f) = r.next_frame().unwrap() {
        out.push((f.kind, f.producer, f.stream, f.seq, f.payload.to_vec()));
    }
    out
}

#[test]
fn a_failed_fsync_is_never_counted_durable() {
    let dir = TempDir::new("fsync-fail");
    let mut c = config(&dir);
    c.durability = Durability::FsyncBatch;
    let faults = Arc::new(FaultInjector::new());
    let lg = Logger::init_with_faults(c, faults.clone()).unwrap();
    let p = producer(lg.create_producer("p").unwrap());
    lg.start().unwrap();
    // Two syncs so far: the new segment's, and the epoch-begin frame's.
    assert_eq!(faults.calls(Some(IoOp::Sync)), 2);
    publish_n(p, Stream::Critical, 100);
    lg.flush(T).unwrap();
    assert_eq!(p.durable_count(Stream::Critical), 100);
    let durable_lsn = lg.stats().durable_lsn;

    // The next sync fails once. The records it covered must never be counted durable, even
    // though later syncs succeed again (no retry-and-pretend). How many records that sync
    // covered depends on timing; `d` is where the durable count stopped.
    let next = faults.calls(Some(IoOp::Sync)) + 1;
    faults.fail_nth(Some(IoOp::Sync), next, libc::EIO, false);
    publish_n(p, Stream::Critical, 100);
    let err = lg.flush(T).unwrap_err();
    assert_eq!(err.status, Status::Io, "{}", err.message);
    assert!(err.message.contains("fdatasync"), "{}", err.message);
    let d = p.durable_count(Stream::Critical);
    assert!((100..200).contains(&d), "durable count {d}");
    // The failed sync covered k records from seq d on; any records after them went to a new
    // segment, but the stream's durable count is frozen at d for the rest of the epoch.
    let s = lg.stats();
    let k = s.lost;
    assert!(k >= 1 && k <= 200 - d, "lost {k}, durable {d}");
    assert_eq!((s.sync_errors, s.last_errno), (1, libc::EIO));
    let durable_lsn_after = s.durable_lsn;
    assert!(durable_lsn_after >= durable_lsn);
    wait_for_state(&lg, State::Critical);

    // Writing goes on in a new segment; the stream's durable count stays frozen.
    publish_n(p, Stream::Critical, 50);
    assert_eq!(lg.flush(T).unwrap_err().status, Status::Io);
    assert_eq!(p.durable_count(Stream::Critical), d);
    lg.shutdown().unwrap_err();
    assert_eq!(p.durable_count(Stream::Critical), d);
    assert_eq!(faults.calls(Some(IoOp::Create)), 2, "a new segment was opened");

    let mut r = Reader::open(&dir.0).unwrap();
    let mut lsn_of_first_lost = None;
    while let Some(f) = r.next_record().unwrap() {
        if f.seq == d {
            lsn_of_first_lost = Some(f.lsn);
        }
    }
    if let Some(lsn) = lsn_of_first_lost {
        assert!(
            lsn > durable_lsn_after,
            "durable_lsn {durable_lsn_after} covers lost record {lsn}"
        );
    }
    let f = frames(&dir);
    let seals: Vec<_> = f.iter().filter(|x| x.0 == FrameKind::Seal).collect();
    assert_eq!(seals.len(), 1);
    assert_eq!(u32::from_le_bytes(seals[0].4[8..12].try_into().unwrap()), 1, "sealed as suspect");
    let losses: Vec<LossMarker> = f
        .iter()
        .filter(|x| x.0 == FrameKind::Loss)
        .map(|x| LossMarker::decode(&x.4).unwrap())
        .collect();
    assert_eq!(losses.len(), 1);
    let m = losses[0];
    assert_eq!(
        (m.reason, m.first_seq, m.last_seq, m.count),
        (LossReason::WriteFailed, d, d + k - 1, k)
    );
    let data: Vec<u64> = f.iter().filter(|x| x.0 == FrameKind::Data).map(|x| x.3).collect();
    // Records after the failure are all there, in order, after the marker.
    assert!(data.ends_with(&(d + k..250).collect::<Vec<_>>()));
    assert!(data.starts_with(&(0..d).collect::<Vec<_>>()));
}

#[test]
fn a_failed_write_loses_only_its_batch_under_flush() {
    let dir = TempDir::new("write-fail");
    let faults = Arc::new(FaultInjector::new());
    let lg = Logger::init_with_faults(config(&dir), faults.clone()).unwrap();
    let p = producer(lg.create_producer("p").unwrap());
    lg.start().unwrap();
    publish_n(p, Stream::Normal, 10);
    lg.flush(T).unwrap();
    faults.fail_nth(Some(IoOp::Write), faults.calls(Some(IoOp::Write)) + 1, libc::ENOSPC, false);
    publish_n(p, Stream::Normal, 10);
    assert_eq!(lg.flush(T).unwrap_err().status, Status::Io);
    assert!(lg.shutdown().is_err());
    // The failed write held the first k records after the flush (k depends on how the writer
    // batched them); the rest went to a new segment. The durable count froze at 10.
    assert_eq!(p.durable_count(Stream::Normal), 10);
    let s = lg.stats();
    let k = s.lost;
    assert!((1..=10).contains(&k), "lost {k}");
    assert_eq!((s.write_errors, s.last_errno, s.persisted), (1, libc::ENOSPC, 20 - k));
    let f = frames(&dir);
    let data: Vec<u64> = f.iter().filter(|x| x.0 == FrameKind::Data).map(|x| x.3).collect();
    assert_eq!(data, (0..10).chain(10 + k..20).collect::<Vec<_>>());
    let loss = f.iter().find(|x| x.0 == FrameKind::Loss).expect("a loss marker");
    let m = LossMarker::decode(&loss.4).unwrap();
    assert_eq!(
        (m.first_seq, m.last_seq, m.count, m.reason),
        (10, 9 + k, k, LossReason::WriteFailed)
    );
}

#[test]
fn a_persistently_failing_disk_never_blocks_publishing() {
    let dir = TempDir::new("disk-dead");
    let faults = Arc::new(FaultInjector::new());
    let lg = Logger::init_with_faults(config(&dir), faults.clone()).unwrap();
    let p = producer(lg.create_producer("p").unwrap());
    lg.start().unwrap();
    faults.fail_nth(None, faults.calls(None) + 1, libc::EIO, true);
    for round in 0..20 {
        for _ in 0..100 {
            let s = p.publish(Stream::Normal, 0, b"data");
            assert!(s == Status::Ok || s == Status::Full, "round {round}: {s:?}");
        }
        lg.tick().unwrap();
        std::thread::sleep(Duration::from_millis(2));
    }
    wait_for_state(&lg, State::Critical);
    assert_eq!(p.durable_count(Stream::Normal), 0);
    let err = lg.shutdown().unwrap_err();
    assert_eq!(err.status, Status::Io);
}

fn retention_run(
    tag: &str,
    set: impl Fn(&mut rtlog::Config),
) -> (TempDir, Vec<(u64, std::path::PathBuf)>, rtlog::Stats) {
    let dir = TempDir::new(tag);
    let mut c = config(&dir);
    c.segment_bytes = 64 * 1024;
    set(&mut c);
    let (lg, ps) = start(c, &["p"]);
    let p = producer(ps[0]);
    for i in 0..6000u32 {
        assert_eq!(p.publish(Stream::Normal, 0, &i.to_le_bytes().repeat(32)), Status::Ok);
        if i % 100 == 0 {
            while lg.tick().unwrap() > 0 {}
        }
    }
    lg.shutdown().unwrap();
    let stats = lg.stats();
    let segs = rtlog::logdir::list_segments(&dir.0).unwrap();
    (dir, segs, stats)
}

#[test]
fn retention_by_segment_count_keeps_the_newest() {
    let (_dir, segs, stats) = retention_run("ret-count", |c| c.retention_segments = 3);
    assert_eq!(segs.len(), 3);
    assert!(stats.segments_deleted > 0);
    let last = segs.last().unwrap().0;
    assert_eq!(segs.iter().map(|s| s.0).collect::<Vec<_>>(), vec![last - 2, last - 1, last]);
    assert_eq!(stats.segments_deleted, last - 3, "every older segment was deleted");
}

#[test]
fn retention_by_bytes_stays_under_the_limit() {
    let limit = 200 * 1024;
    let (dir, segs, stats) = retention_run("ret-bytes", |c| c.retention_bytes = 200 * 1024);
    let total: u64 = segs.iter().map(|s| std::fs::metadata(&s.1).unwrap().len()).sum();
    assert!(total <= limit, "{total} > {limit}");
    assert!(segs.len() >= 2 && stats.segments_deleted > 0);
    // What remains is a readable suffix ending with the last record.
    let mut r = Reader::open(&dir.0).unwrap();
    let mut last = None;
    while let Some(rec) = r.next_record().unwrap() {
        if let Some(prev) = last {
            assert_eq!(rec.seq, prev + 1);
        }
        last = Some(rec.seq);
    }
    assert_eq!(last, Some(5999));
}

#[test]
fn retention_by_age_deletes_only_old_closed_segments() {
    let dir = TempDir::new("ret-age");
    // An old log from an earlier run, its segments' mtime set an hour back.
    let (lg, ps) = start(config(&dir), &["p"]);
    publish_n(producer(ps[0]), Stream::Normal, 10);
    lg.shutdown().unwrap();
    drop(lg);
    let old = rtlog::logdir::list_segments(&dir.0).unwrap();
    assert_eq!(old.len(), 1);
    let hour_ago = std::time::SystemTime::now() - Duration::from_secs(3600);
    std::fs::File::options().write(true).open(&old[0].1).unwrap().set_modified(hour_ago).unwrap();

    // A restart with a 10-minute age limit deletes it; a fresh segment is kept.
    let mut c = config(&dir);
    c.retention_age_s = 600;
    let (lg, ps) = start(c.clone(), &["p"]);
    publish_n(producer(ps[0]), Stream::Normal, 10);
    lg.shutdown().unwrap();
    assert_eq!(lg.stats().segments_deleted, 1);
    drop(lg);
    let now = rtlog::logdir::list_segments(&dir.0).unwrap();
    assert_eq!(now.iter().map(|s| s.0).collect::<Vec<_>>(), vec![2]);
    let (lg, _) = start(c, &["p"]);
    lg.shutdown().unwrap();
    assert_eq!(lg.stats().segments_deleted, 0, "segment 2 is recent and stays");
}

#[test]
fn a_reader_skips_segments_deleted_after_it_opened() {
    let (dir, segs, _) = retention_run("ret-reader", |_| {});
    assert!(segs.len() > 3);
    let mut r = Reader::open(&dir.0).unwrap();
    // Retention (here: by hand) deletes the two oldest segments after the reader listed them.
    std::fs::remove_file(&segs[0].1).unwrap();
    std::fs::remove_file(&segs[1].1).unwrap();
    let mut seqs = Vec::new();
    while let Some(rec) = r.next_record().unwrap() {
        seqs.push(rec.seq);
    }
    assert_eq!(r.stats().vanished_segments, 2);
    assert_eq!(r.stats().bad_segments, 0);
    assert_eq!(seqs.last(), Some(&5999));
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "a gap-free suffix");
}

#[test]
fn preallocation_reserves_the_segment_and_gives_back_the_rest_at_close() {
    use std::os::unix::fs::MetadataExt;
    let dir = TempDir::new("prealloc");
    let mut c = config(&dir);
    c.preallocate = true;
    c.segment_bytes = 1 << 20;
    let (lg, ps) = start(c, &["p"]);
    publish_n(producer(ps[0]), Stream::Normal, 10);
    lg.flush(T).unwrap();
    let seg = &rtlog::logdir::list_segments(&dir.0).unwrap()[0].1;
    let m = std::fs::metadata(seg).unwrap();
    assert!(m.len() < 4096, "the file size is the data's, not the reservation's");
    let reserved = m.blocks() * 512 >= 1 << 20;
    lg.shutdown().unwrap();
    let m = std::fs::metadata(seg).unwrap();
    if reserved {
        assert!(m.blocks() * 512 < 1 << 20, "unused space given back at close");
    } else {
        eprintln!("note: this file system ignores fallocate; only the size checks ran");
    }
    // Readers see a clean log either way.
    let mut r = Reader::open(&dir.0).unwrap();
    let mut n = 0;
    while r.next_record().unwrap().is_some() {
        n += 1;
    }
    assert_eq!((n, r.stats().torn_bytes, r.stats().corrupt_regions), (10, 0, 0));
}
