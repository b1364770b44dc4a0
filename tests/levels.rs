//! Every frame carries a level (format 1.2): the writer gives data records `Info`, loss markers
//! `Warn` and state frames the level of the state they enter; readers give frames of older
//! segments, which had no level, `Info`.

mod common;
use common::*;
use rtlog::format::{
    FrameHeader, FrameKind, FrameSalt, Level, SegmentHeader, FORMAT_MINOR, NO_PRODUCER, NO_STREAM,
};
use rtlog::reader::Reader;
use rtlog::{Config, Logger, Status, Stream};
use std::time::Duration;

const MS: Duration = Duration::from_millis(1);

/// (kind, level) of every frame of the log in `dir`, in LSN order.
fn frame_levels(dir: &TempDir) -> Vec<(FrameKind, Level)> {
    let mut r = Reader::open(&dir.0).unwrap();
    let mut out = Vec::new();
    while let Some(rec) = r.next_frame().unwrap() {
        out.push((rec.kind, rec.level));
    }
    out
}

#[test]
fn the_writer_gives_each_kind_of_frame_its_level() {
    let dir = TempDir::new("levels");
    let c = Config { manual: true, critical_depth: 2, ..config(&dir) };
    let lg = Logger::init(c).unwrap();
    let p = producer(lg.create_producer("p").unwrap());
    lg.start().unwrap();
    // Two records fill the critical ring; the third is refused (a loss marker follows), and the
    // supervisor goes CRITICAL for it.
    for i in 0u32..3 {
        let want = if i < 2 { Status::Ok } else { Status::Full };
        assert_eq!(p.publish(Stream::Critical, 1, &i.to_le_bytes()), want);
    }
    lg.step_supervisor(MS).unwrap();
    lg.tick().unwrap();
    lg.step_writer().unwrap();
    assert_eq!(p.publish(Stream::Critical, 1, b"next"), Status::Ok);
    lg.clear_fault().unwrap();
    lg.step_supervisor(MS).unwrap();
    lg.tick().unwrap();
    lg.step_writer().unwrap();
    lg.shutdown().unwrap();

    let frames = frame_levels(&dir);
    let level_of = |kind: FrameKind| -> Vec<Level> {
        frames.iter().filter(|(k, _)| *k == kind).map(|(_, l)| *l).collect()
    };
    assert_eq!(level_of(FrameKind::Data), vec![Level::Info; 3], "{frames:?}");
    assert_eq!(level_of(FrameKind::Loss), vec![Level::Warn], "{frames:?}");
    // NORMAL -> CRITICAL (error), then CRITICAL -> NORMAL (info).
    assert_eq!(level_of(FrameKind::State), vec![Level::Error, Level::Info], "{frames:?}");
    assert_eq!(level_of(FrameKind::EpochBegin), vec![Level::Info]);
    assert_eq!(level_of(FrameKind::CleanClose), vec![Level::Info]);
}

/// A one-segment log of format minor `minor`, written byte by byte: an epoch-begin frame and
/// one data frame whose level byte (42) is `level_byte`.
fn handmade_log(dir: &TempDir, minor: u16, level_byte: u8) {
    std::fs::create_dir_all(&dir.0).unwrap();
    let header = SegmentHeader {
        index: 1,
        first_lsn: 1,
        salt: 0x5eed,
        epoch: 1,
        max_payload: 64,
        realtime_ns: 1_700_000_000_000_000_000,
        monotonic_ns: 1,
        tsc_hz: 0,
        producers: vec![(0, "p".into())],
        minor,
        types: Vec::new(),
    };
    let salt = FrameSalt::new(header.salt);
    let mut bytes = header.encode();
    let begin = FrameHeader {
        payload_len: 8,
        lsn: 1,
        epoch: 1,
        producer: NO_PRODUCER,
        stream: NO_STREAM,
        kind: FrameKind::EpochBegin as u8,
        ..FrameHeader::default()
    };
    begin.encode_into(&salt, &[0; 8], &mut bytes);
    let data = FrameHeader {
        payload_len: 4,
        lsn: 2,
        epoch: 1,
        producer: 0,
        stream: 0,
        kind: FrameKind::Data as u8,
        level: level_byte,
        ..FrameHeader::default()
    };
    data.encode_into(&salt, b"abcd", &mut bytes);
    std::fs::write(dir.0.join(rtlog::logdir::segment_file_name(1)), bytes).unwrap();
}

#[test]
fn frames_of_older_segments_read_as_info() {
    const _: () = assert!(FORMAT_MINOR >= 2, "this test is about segments written before levels");
    let dir = TempDir::new("levels-minor1");
    handmade_log(&dir, 1, 0);
    assert_eq!(
        frame_levels(&dir),
        vec![(FrameKind::EpochBegin, Level::Info), (FrameKind::Data, Level::Info)]
    );
}

#[test]
fn a_level_byte_is_reserved_before_minor_2_and_must_name_a_level_after() {
    // Minor 1: byte 42 was reserved, so a frame with it set is not valid (it is damage).
    let old = TempDir::new("levels-minor1-set");
    handmade_log(&old, 1, Level::Warn as u8);
    assert_eq!(frame_levels(&old), vec![(FrameKind::EpochBegin, Level::Info)]);
    // Minor 2: the level is read as written; a byte naming no level is damage.
    let new = TempDir::new("levels-minor2");
    handmade_log(&new, 2, Level::Warn as u8);
    assert_eq!(frame_levels(&new)[1], (FrameKind::Data, Level::Warn));
    let bad = TempDir::new("levels-minor2-bad");
    handmade_log(&bad, 2, 6);
    assert_eq!(frame_levels(&bad), vec![(FrameKind::EpochBegin, Level::Trace)]);
}
