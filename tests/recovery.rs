//! Recovery and reading corner cases: a newest segment whose creation was cut short, a
//! segment under the wrong name, a directory named like a segment.

mod common;
use common::*;
use rtlog::{Reader, Status, Stream};

fn log_with_records(dir: &TempDir, n: u32) {
    let (lg, ps) = start(config(dir), &["p"]);
    for i in 0..n {
        assert_eq!(producer(ps[0]).publish(Stream::Normal, 0, &i.to_le_bytes()), Status::Ok);
    }
    lg.shutdown().unwrap();
}

fn read_all(dir: &TempDir) -> (Vec<u64>, rtlog::reader::ReaderStats) {
    let mut r = Reader::open(&dir.0).unwrap();
    let mut lsns = Vec::new();
    while let Some(rec) = r.next_record().unwrap() {
        lsns.push(rec.lsn);
    }
    (lsns, r.stats())
}

#[test]
fn a_newest_segment_cut_short_in_creation_is_set_aside() {
    let dir = TempDir::new("half-created");
    log_with_records(&dir, 5);
    // A crash while creating segment 2: only part of its header reached the disk.
    let seg1 = dir.0.join("seg-0000000001.rtlog");
    let header = &std::fs::read(&seg1).unwrap()[..40];
    std::fs::write(dir.0.join("seg-0000000002.rtlog"), header).unwrap();
    assert_eq!(read_all(&dir).1.bad_segments, 1, "before recovery it reads as damage");

    let (lg, _) = start(config(&dir), &["p"]);
    assert_eq!(lg.recovered().set_aside, 1);
    assert_eq!(lg.stats().epoch, 2);
    lg.shutdown().unwrap();
    assert!(dir.0.join("seg-0000000002.rtlog.broken").exists(), "kept for inspection");
    let (lsns, stats) = read_all(&dir);
    assert_eq!((lsns.len(), stats.bad_segments, stats.epochs), (5, 0, 2));
}

#[test]
fn a_segment_under_another_index_is_reported_not_read_twice() {
    let dir = TempDir::new("renamed");
    log_with_records(&dir, 3);
    std::fs::copy(dir.0.join("seg-0000000001.rtlog"), dir.0.join("seg-0000000007.rtlog")).unwrap();
    let (lsns, stats) = read_all(&dir);
    assert_eq!(lsns, vec![2, 3, 4]);
    assert_eq!(stats.bad_segments, 1);
}

#[test]
fn a_directory_named_like_a_segment_is_not_one() {
    let dir = TempDir::new("dir-named");
    log_with_records(&dir, 3);
    std::fs::create_dir(dir.0.join("seg-0000000009.rtlog")).unwrap();
    let (lsns, stats) = read_all(&dir);
    assert_eq!((lsns.len(), stats.bad_segments), (3, 0));
    let (lg, _) = start(config(&dir), &["p"]);
    lg.shutdown().unwrap();
}
