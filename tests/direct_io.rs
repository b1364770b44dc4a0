//! The file backend's `direct_io` option: segments written with `O_DIRECT` through an aligned
//! staging window must read back exactly like buffered ones — across rotations, short writes
//! and `EINTR`, and a crash that leaves the last block's zero padding behind.

mod common;
use common::*;
use rtlog::backend::BackendKind;
use rtlog::faults::{Fault, FaultInjector, IoOp};
use rtlog::{Config, Durability, Logger, Reader, Status, Stream};
use std::sync::Arc;
use std::time::Duration;

/// Payload `i`: its length cycles through 0..=200 so frames end at every offset of a block.
fn payload(i: u32) -> Vec<u8> {
    let len = (i as usize * 7) % 201;
    (0..len).map(|k| (i as usize + k) as u8).collect()
}

fn direct_config(dir: &TempDir) -> Config {
    let mut c = config(dir);
    c.direct_io = true;
    c.durability = Durability::FsyncBatch;
    c.segment_bytes = 64 << 10;
    c.manual = true;
    c
}

/// Publishes `n` records (ticking and stepping the writer as it goes), then flushes.
fn publish(lg: &Logger, p: &mut rtlog::Producer, from: u32, n: u32) {
    for i in from..from + n {
        loop {
            match p.publish(Stream::Normal, 7, &payload(i)) {
                Status::Ok => break,
                Status::Full => {
                    lg.tick().unwrap();
                    lg.step_writer().unwrap();
                }
                s => panic!("publish {i}: {s:?}"),
            }
        }
        if i % 64 == 0 {
            lg.tick().unwrap();
            lg.step_writer().unwrap();
        }
    }
    lg.flush(Duration::from_secs(30)).unwrap();
}

/// Reads every record back and checks it is payload 0, 1, 2, ... `n - 1` in order.
fn check(dir: &TempDir, n: u32) -> rtlog::reader::ReaderStats {
    let mut r = Reader::open(&dir.0).unwrap();
    let mut next = 0u32;
    while let Some(rec) = r.next_record().unwrap() {
        assert_eq!(rec.seq, u64::from(next), "records in order, none missing");
        assert_eq!(rec.payload, &payload(next)[..], "record {next}");
        next += 1;
    }
    assert_eq!(next, n, "all records read back");
    r.stats()
}

/// The segment files' lengths, oldest first.
fn segment_lengths(dir: &TempDir) -> Vec<u64> {
    let mut v: Vec<_> = std::fs::read_dir(&dir.0)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".rtlog"))
        .map(|e| (e.file_name(), e.metadata().unwrap().len()))
        .collect();
    v.sort();
    v.into_iter().map(|(_, len)| len).collect()
}

#[test]
fn direct_segments_read_back_exactly_and_end_at_their_data() {
    let dir = TempDir::new("direct");
    let lg = Logger::init(direct_config(&dir)).unwrap();
    let p = producer(lg.create_producer("p").unwrap());
    lg.start().unwrap();
    publish(&lg, p, 0, 5000);
    lg.shutdown().unwrap();
    let stats = check(&dir, 5000);
    assert!(stats.segments >= 4, "rotated several times: {} segments", stats.segments);
    assert_eq!(stats.torn_bytes, 0, "closed segments are cut to their data");
    assert_eq!(stats.corrupt_regions, 0);
    assert!(
        segment_lengths(&dir).iter().any(|len| len % 4096 != 0),
        "a closed segment keeps no block padding"
    );
}

#[test]
fn short_writes_and_eintr_under_direct_io_are_continued() {
    let dir = TempDir::new("direct-short");
    let faults = Arc::new(FaultInjector::new());
    faults.inject_nth(Some(IoOp::Write), 2, Fault::ShortWrite, true);
    faults.inject_nth(Some(IoOp::Write), 3, Fault::Interrupted, false);
    let lg = Logger::init_with_faults(direct_config(&dir), faults.clone()).unwrap();
    let p = producer(lg.create_producer("p").unwrap());
    lg.start().unwrap();
    publish(&lg, p, 0, 3000);
    lg.shutdown().unwrap();
    assert!(faults.injected() > 5, "faults were injected: {}", faults.injected());
    assert_eq!(lg.stats().write_errors, 0);
    check(&dir, 3000);
}

#[test]
fn a_crash_leaves_a_padded_tail_that_recovery_handles() {
    let dir = TempDir::new("direct-crash");
    let lg = Logger::init(direct_config(&dir)).unwrap();
    let p = producer(lg.create_producer("p").unwrap());
    lg.start().unwrap();
    publish(&lg, p, 0, 1000);
    lg.simulate_crash();
    // The active segment still ends in the zero padding of its last block.
    let lengths = segment_lengths(&dir);
    assert_eq!(lengths.last().unwrap() % 4096, 0, "segment lengths {lengths:?}");
    check(&dir, 1000);

    // A new logger recovers the log and appends after it, in a new epoch.
    let lg = Logger::init(direct_config(&dir)).unwrap();
    let p = producer(lg.create_producer("p").unwrap());
    lg.start().unwrap();
    publish(&lg, p, 1000, 1000);
    lg.shutdown().unwrap();
    let mut r = Reader::open(&dir.0).unwrap();
    let mut n = 0u32;
    while let Some(rec) = r.next_record().unwrap() {
        // The second epoch restarts the producer's sequence numbers.
        assert_eq!(rec.payload, &payload(n)[..], "record {n}");
        n += 1;
    }
    assert_eq!(n, 2000);
    assert_eq!(r.stats().corrupt_regions, 0, "padding is never reported as damage in the middle");
    assert_eq!(r.stats().torn_bytes, 0, "recovery cut the crashed segment's padding");
}

#[test]
fn direct_io_needs_the_file_backend() {
    let mut c = Config::new("");
    c.backend = BackendKind::Null;
    c.direct_io = true;
    let e = Logger::init(c).err().expect("refused");
    assert_eq!(e.status, Status::Config);
    assert!(e.message.contains("direct_io"), "{}", e.message);
}
