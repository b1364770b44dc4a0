//! End to end in Rust: publish, tick, shut down, read back; then restart on the same directory.

mod common;
use common::*;
use rtlog::format::FrameKind;
use rtlog::{Reader, Status, Stream};

#[test]
fn records_come_back_in_order_with_their_bytes() {
    let dir = TempDir::new("roundtrip");
    let (lg, ps) = start(config(&dir), &["a", "b"]);
    for i in 0..1000u32 {
        for (k, p) in ps.iter().enumerate() {
            let stream = if i % 3 == 0 { Stream::Critical } else { Stream::Normal };
            let payload = vec![(i as usize + k) as u8; (i % 200) as usize];
            assert_eq!(producer(*p).publish(stream, (i % 7) as u16, &payload), Status::Ok);
        }
        if i % 50 == 0 {
            lg.tick().unwrap();
        }
    }
    lg.shutdown().unwrap();
    let stats = lg.stats();
    assert_eq!(stats.published, [334 * 2, 666 * 2]);
    assert_eq!(stats.dispatched, stats.published);
    assert_eq!(stats.persisted, 2000);

    let mut r = Reader::open(&dir.0).unwrap();
    let mut next_seq = [[0u64; 2]; 2];
    let mut last_lsn = 0;
    let mut n = 0;
    while let Some(rec) = r.next_record().unwrap() {
        assert!(rec.lsn > last_lsn);
        last_lsn = rec.lsn;
        let (p, s) = (rec.producer as usize, rec.stream as usize);
        assert_eq!(rec.seq, next_seq[p][s]);
        next_seq[p][s] += 1;
        n += 1;
        assert_eq!(rec.epoch, 1);
    }
    assert_eq!(n, 2000);
    assert_eq!(next_seq, [[334, 666], [334, 666]]);
    let st = r.stats();
    assert_eq!((st.epochs, st.unclosed_epochs, st.corrupt_regions, st.torn_bytes), (1, 0, 0, 0));
}

#[test]
fn a_restart_opens_a_new_epoch_and_continues_the_lsn() {
    let dir = TempDir::new("restart");
    let mut last_lsn = 0;
    for epoch in 1..=3u32 {
        let (lg, ps) = start(config(&dir), &["p"]);
        assert_eq!(lg.stats().epoch, epoch);
        for i in 0..10u8 {
            assert_eq!(producer(ps[0]).publish(Stream::Normal, 1, &[i]), Status::Ok);
        }
        lg.shutdown().unwrap();
        let mut r = Reader::open(&dir.0).unwrap();
        let mut kinds = Vec::new();
        while let Some(f) = r.next_frame().unwrap() {
            assert!(f.lsn > last_lsn || f.epoch < epoch);
            if f.epoch == epoch {
                last_lsn = f.lsn;
            }
            kinds.push((f.epoch, f.kind));
        }
        let this: Vec<_> = kinds.iter().filter(|k| k.0 == epoch).map(|k| k.1).collect();
        assert_eq!(this.first(), Some(&FrameKind::EpochBegin));
        assert_eq!(this.last(), Some(&FrameKind::CleanClose));
        assert_eq!(this.iter().filter(|k| **k == FrameKind::Data).count(), 10);
        assert_eq!(r.stats().epochs, u64::from(epoch));
    }
}

#[test]
fn segments_rotate_at_segment_bytes() {
    let dir = TempDir::new("rotate");
    let mut c = config(&dir);
    c.segment_bytes = 64 * 1024;
    c.normal_depth = 8192;
    let (lg, ps) = start(c, &["p"]);
    for i in 0..5000u32 {
        assert_eq!(
            producer(ps[0]).publish(Stream::Normal, 0, &i.to_le_bytes().repeat(16)),
            Status::Ok
        );
        if i % 100 == 0 {
            lg.tick().unwrap();
        }
    }
    lg.shutdown().unwrap();
    let segments = rtlog::logdir::list_segments(&dir.0).unwrap();
    assert!(segments.len() >= 5, "{} segments", segments.len());
    for (_, path) in &segments {
        assert!(std::fs::metadata(path).unwrap().len() <= 64 * 1024);
    }
    let mut r = Reader::open(&dir.0).unwrap();
    let mut seq = 0;
    while let Some(rec) = r.next_record().unwrap() {
        assert_eq!(rec.seq, seq);
        assert_eq!(rec.payload, &(seq as u32).to_le_bytes().repeat(16)[..]);
        seq += 1;
    }
    assert_eq!(seq, 5000);
}

#[test]
fn flush_makes_published_records_durable() {
    let dir = TempDir::new("flush");
    let mut c = config(&dir);
    c.durability = rtlog::Durability::FsyncBatch;
    c.batch_interval_us = 1_000_000;
    c.batch_records = 1_000_000;
    let (lg, ps) = start(c, &["p"]);
    let p = producer(ps[0]);
    for _ in 0..100 {
        assert_eq!(p.publish(Stream::Critical, 0, b"x"), Status::Ok);
    }
    assert_eq!(p.durable_count(Stream::Critical), 0);
    lg.flush(std::time::Duration::from_secs(10)).unwrap();
    assert_eq!(p.durable_count(Stream::Critical), 100);
    let stats = lg.stats();
    assert_eq!(stats.dispatched[0], 100);
    assert!(stats.durable_lsn >= 101);
    lg.shutdown().unwrap();
}

#[test]
fn refused_records_leave_loss_markers_in_place() {
    use rtlog::format::{LossMarker, LossReason};
    let dir = TempDir::new("loss");
    let mut c = config(&dir);
    c.critical_depth = 4;
    let (lg, ps) = start(c, &["p"]);
    let p = producer(ps[0]);
    // 4 accepted (seq 0..=3), 3 refused; then room again: 4 accepted (seq 4..=7) and 2 refused
    // at the end, with no later record to carry them.
    let mut statuses = Vec::new();
    for _ in 0..7 {
        statuses.push(p.publish(Stream::Critical, 0, b"x"));
    }
    while lg.tick().unwrap() > 0 {}
    lg.flush(std::time::Duration::from_secs(10)).unwrap();
    for _ in 0..2 {
        statuses.push(p.publish(Stream::Critical, 0, b"y"));
    }
    for _ in 0..4 {
        statuses.push(p.publish(Stream::Critical, 0, b"z"));
    }
    assert_eq!(statuses.iter().filter(|s| **s == Status::Full).count(), 5);
    assert_eq!(lg.stats().dropped, [5, 0]);
    lg.shutdown().unwrap();

    let mut r = Reader::open(&dir.0).unwrap();
    let mut events = Vec::new();
    while let Some(f) = r.next_frame().unwrap() {
        match f.kind {
            FrameKind::Data => events.push(format!("d{}", f.seq)),
            FrameKind::Loss => {
                let m = LossMarker::decode(f.payload).unwrap();
                assert_eq!(
                    (m.reason, m.first_seq, m.last_seq),
                    (LossReason::Refused, f.seq, f.seq)
                );
                assert_eq!((f.producer, f.stream), (0, 0));
                events.push(format!("lost{}@{}", m.count, f.seq));
            }
            _ => {}
        }
    }
    assert_eq!(events, ["d0", "d1", "d2", "d3", "lost3@4", "d4", "d5", "d6", "d7", "lost2@8"]);
}

#[test]
fn one_live_logger_per_directory() {
    let dir = TempDir::new("lock");
    let (first, _) = start(config(&dir), &["p"]);
    let err = rtlog::Logger::init(config(&dir)).err().expect("a second live logger is refused");
    assert_eq!(err.status, Status::Io);
    assert!(err.message.contains("in use by another logger"), "{}", err.message);
    // Once shut down (even before it is dropped), the directory is free again.
    first.shutdown().unwrap();
    let (second, _) = start(config(&dir), &["p"]);
    assert_eq!(second.stats().epoch, 2);
    second.shutdown().unwrap();
}
