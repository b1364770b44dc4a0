//! Helpers for the hostile-file tests (`tests/hostile.rs`, `tests/hostile_regions.rs`):
//! writing small logs, recovering and appending, and an oracle that says what the reader must
//! return for a segment whose bytes were changed. Included with
//! `#[path = "common/hostile_log.rs"] mod hostile_log;` after `storage`.
#![allow(dead_code)]

use crate::storage::*;
use rtlog::format::{self, FrameKind};
use rtlog::recovery::Recovered;
use rtlog::{Config, Durability, Logger, Status, Stream};
use std::path::Path;

/// A configuration for these tests: `Flush` (no `fsync` needed to test logic).
pub fn config(dir: &Path) -> Config {
    let mut c = Config::new(dir);
    c.durability = Durability::Flush;
    c
}

/// One record to publish: producer index, stream, payload size.
pub type Plan = [(usize, Stream, usize)];

/// The payload of a record of `size` bytes: deterministic, and naming producer, stream and seq.
pub fn sized(name: &str, stream: Stream, seq: u64, size: usize) -> Vec<u8> {
    let mut p = payload(name, stream as u8, seq, 256);
    p.resize(size, 0xA5 ^ seq as u8);
    p
}

/// Runs one epoch on `dir` with producers `names`, publishes `plan`, and shuts down cleanly.
pub fn write_epoch(dir: &Path, names: &[&str], plan: &Plan) {
    let lg = Logger::init(config(dir)).unwrap();
    let ps: Vec<_> = names.iter().map(|n| lg.create_producer(n).unwrap()).collect();
    lg.start().unwrap();
    for &(i, stream, size) in plan {
        // SAFETY: the logger outlives the handle, which only this thread uses.
        let p = unsafe { &mut *ps[i].as_ptr() };
        let seq = p.published(stream);
        let rt = record_type(stream as u8, seq);
        assert_eq!(p.publish(stream, rt, &sized(names[i], stream, seq, size)), Status::Ok);
        lg.tick().unwrap();
    }
    lg.shutdown().unwrap();
}

/// A plan of `n` records over `producers` producers and both streams, sizes from `sizes`.
pub fn plan(producers: usize, n: usize, sizes: &[usize]) -> Vec<(usize, Stream, usize)> {
    (0..n)
        .map(|i| {
            let stream = if i % 3 == 1 { Stream::Critical } else { Stream::Normal };
            (i % producers, stream, sizes[i % sizes.len()])
        })
        .collect()
}

/// Starts a new epoch on `dir` (whatever recovery finds), publishes two records as producer
/// "gamma", shuts down; returns what recovery reported.
pub fn recover_and_append(dir: &Path) -> Recovered {
    let mut c = config(dir);
    (c.max_record_size, c.critical_depth, c.normal_depth) = (64, 8, 8);
    let lg = Logger::init(c).unwrap_or_else(|e| panic!("rtlog_init failed: {e}"));
    let recovered = lg.recovered().clone();
    let p = lg.create_producer("gamma").unwrap();
    lg.start().unwrap();
    // SAFETY: as in `write_epoch`.
    let p = unsafe { &mut *p.as_ptr() };
    for stream in Stream::ALL {
        assert_eq!(p.publish(stream, 7, &sized("gamma", stream, 0, 33)), Status::Ok);
    }
    lg.shutdown().unwrap();
    recovered
}

/// Checks the frames of the epoch `recover_and_append` wrote.
pub fn check_appended(frames: &[Frame], recovered: &Recovered) {
    let kinds: Vec<_> = frames.iter().map(|f| f.kind).collect();
    assert_eq!(
        kinds,
        [FrameKind::EpochBegin, FrameKind::Data, FrameKind::Data, FrameKind::CleanClose]
    );
    for (i, f) in frames.iter().enumerate() {
        assert_eq!(f.epoch, recovered.next_epoch);
        assert_eq!(f.lsn, recovered.next_lsn + i as u64);
    }
    for (f, stream) in frames[1..3].iter().zip(Stream::ALL) {
        assert_eq!(f.producer_name.as_deref(), Some("gamma"));
        assert_eq!((f.stream, f.seq), (stream as u8, 0));
        assert_eq!(f.payload, sized("gamma", stream, 0, 33));
    }
}

/// The reader output of a log made of `expected` followed by one appended epoch.
pub fn check_prefix_then_appended(dir: &Path, expected: &[Frame], rec: &Recovered) {
    let after = read_log(dir).unwrap();
    assert_eq!(&after.frames[..expected.len()], expected);
    check_appended(&after.frames[expected.len()..], rec);
}

/// Rewrites the header of segment `path` with `edit`, then fixes its CRC.
pub fn edit_header(path: &Path, edit: impl FnOnce(&mut [u8])) {
    let mut bytes = std::fs::read(path).unwrap();
    let len = u32::from_le_bytes(bytes[12..16].try_into().unwrap()) as usize;
    edit(&mut bytes[..len]);
    let crc = crc32_ieee(&bytes[..len - 8]);
    bytes[len - 8..len - 4].copy_from_slice(&crc.to_le_bytes());
    std::fs::write(path, &bytes).unwrap();
}

/// CRC-32 (IEEE), bitwise: the tests do not depend on the crate's CRC implementation.
pub fn crc32_ieee(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

// ---------------------------------------------------------------------------------------------
// The oracle
// ---------------------------------------------------------------------------------------------

/// An undamaged segment as written: its bytes, header length, frame spans and frames.
#[derive(Clone)]
pub struct Original {
    pub bytes: Vec<u8>,
    pub header_len: u64,
    pub first_lsn: u64,
    pub epoch: u32,
    pub spans: Vec<FrameSpan>,
    /// The frames the reader returned for it, one per span.
    pub frames: Vec<Frame>,
}

impl Original {
    /// Segment `path` of a log whose frames (all segments, in order) are `log`.
    pub fn of(path: &Path, log: &[Frame]) -> Original {
        let bytes = std::fs::read(path).unwrap();
        let (header_len, spans) = frame_spans(path);
        let header = format::SegmentHeader::decode(&bytes).unwrap();
        let (first_lsn, epoch) = (header.first_lsn, header.epoch);
        let frames: Vec<Frame> = spans
            .iter()
            .map(|s| log.iter().find(|f| f.lsn == s.lsn).cloned().expect("a frame per span"))
            .collect();
        Original { bytes, header_len, first_lsn, epoch, spans, frames }
    }
}

/// What a reader must report for a changed segment.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Expected {
    /// The header changed or is incomplete: the segment is skipped as a whole.
    pub bad_header: bool,
    /// The frames whose bytes are all unchanged and present, in order.
    pub frames: Vec<Frame>,
    /// Damaged regions that a valid frame follows: (offset, len).
    pub damage: Vec<(u64, u64)>,
    /// Bytes after the last valid frame: (offset, len).
    pub torn: Option<(u64, u64)>,
}

impl Expected {
    /// The LSN recovery continues at when this segment is the newest.
    pub fn next_lsn(&self, orig: &Original) -> u64 {
        self.frames.last().map_or(orig.first_lsn.max(1), |f| f.lsn + 1)
    }
}

/// The oracle: a frame survives a change to its segment exactly when every one of its bytes is
/// unchanged; whatever else the file now holds (changed frames, bytes past the original end,
/// stale copies of frames) holds no record. A run of lost frames that an intact frame follows
/// is one damaged region; what no intact frame follows is the torn tail.
pub fn expect(orig: &Original, now: &[u8]) -> Expected {
    let h = orig.header_len as usize;
    if now.len() < h || now[..h] != orig.bytes[..h] {
        return Expected { bad_header: true, ..Expected::default() };
    }
    let mut out = Expected::default();
    let mut bad_start: Option<u64> = None;
    for (span, frame) in orig.spans.iter().zip(&orig.frames) {
        let range = span.offset as usize..span.end() as usize;
        let intact = range.end <= now.len() && now[range.clone()] == orig.bytes[range];
        if intact {
            if let Some(start) = bad_start.take() {
                out.damage.push((start, span.offset - start));
            }
            out.frames.push(frame.clone());
        } else {
            bad_start.get_or_insert(span.offset);
        }
    }
    let frames_end = orig.spans.last().map_or(orig.header_len, |s| s.end());
    if now.len() as u64 > frames_end {
        bad_start.get_or_insert(frames_end);
    }
    out.torn = bad_start.filter(|&s| (now.len() as u64) > s).map(|s| (s, now.len() as u64 - s));
    out
}

/// Checks the reader's view of `dir`, whose newest segment `seg` was changed from `orig` (to
/// the bytes now in the file), then recovery and an appended epoch. `older` are the frames of
/// the segments before it, which are intact. Returns the oracle's verdict.
pub fn check_newest_segment(
    dir: &Path,
    seg: &Path,
    orig: &Original,
    older: &[Frame],
    ctx: &str,
) -> Expected {
    let now = std::fs::read(seg).unwrap();
    let exp = expect(orig, &now);
    let got = read_log(dir).unwrap_or_else(|e| panic!("{ctx}: reader failed: {e}"));
    let mut frames = older.to_vec();
    frames.extend(exp.frames.iter().cloned());
    let lsns = |f: &[Frame]| f.iter().map(|f| f.lsn).collect::<Vec<_>>();
    assert_eq!(lsns(&got.frames), lsns(&frames), "{ctx}: LSNs read");
    assert!(got.frames == frames, "{ctx}: the frames read differ from those written");
    let listed: Vec<(u64, u64)> = got.damage.iter().map(|d| (d.offset, d.len)).collect();
    if exp.bad_header {
        assert_eq!(got.stats.bad_segments, 1, "{ctx}: {:?}", got.damage);
        assert_eq!(listed, [(0, 0)], "{ctx}: {:?}", got.damage);
        assert!(got.damage[0].what.contains("header"), "{ctx}: {:?}", got.damage);
    } else {
        let mut want = exp.damage.clone();
        want.extend(exp.torn);
        assert_eq!(listed, want, "{ctx}: damage {:?}", got.damage);
        let st = got.stats;
        assert_eq!(st.bad_segments, 0, "{ctx}");
        assert_eq!(st.corrupt_regions, exp.damage.len() as u64, "{ctx}");
        assert_eq!(st.torn_bytes, exp.torn.map_or(0, |t| t.1), "{ctx}");
    }

    let rec = recover_and_append(dir);
    let ctx = format!("{ctx}: recovered {rec:?}");
    let last_epoch = older.last().map_or(0, |f| f.epoch);
    if exp.bad_header {
        // A newest segment without a valid header is set aside (docs/FORMAT.md); the log
        // continues after the older segments.
        assert_eq!(rec.set_aside, 1, "{ctx}");
        assert_eq!(rec.next_epoch, last_epoch + 1, "{ctx}");
        assert_eq!(rec.next_lsn, older.last().map_or(1, |f| f.lsn + 1), "{ctx}");
        assert!(!seg.exists(), "{ctx}: not set aside");
    } else {
        assert_eq!(rec.set_aside, 0, "{ctx}");
        assert_eq!(rec.next_epoch, orig.epoch.max(last_epoch) + 1, "{ctx}");
        assert_eq!(rec.next_lsn, exp.next_lsn(orig), "{ctx}");
        assert_eq!(rec.torn_bytes, exp.torn.map_or(0, |t| t.1), "{ctx}");
        let len = std::fs::metadata(seg).unwrap().len();
        assert_eq!(len, exp.torn.map_or(now.len() as u64, |t| t.0), "{ctx}: torn tail cut");
        let clean = exp.frames.last().is_some_and(|f| f.kind == FrameKind::CleanClose);
        assert_eq!(rec.previous_clean, clean, "{ctx}");
    }
    check_prefix_then_appended(dir, &frames, &rec);
    // Damage that valid frames follow stays in place, reported the same way.
    let again = read_log(dir).unwrap();
    assert_eq!(again.stats.corrupt_regions, exp.damage.len() as u64, "{ctx}");
    exp
}

/// The frame at `span` of `orig`, re-encoded with other fields under `salt` (a valid CRC
/// under that salt).
pub fn reencode(
    orig: &Original,
    k: usize,
    salt: u64,
    edit: impl FnOnce(&mut format::FrameHeader),
) -> Vec<u8> {
    let span = orig.spans[k];
    let b = &orig.bytes[span.offset as usize..span.end() as usize];
    let mut h = format::FrameHeader::decode(b, format::MAX_PAYLOAD).unwrap();
    edit(&mut h);
    let payload =
        &b[format::FRAME_HEADER_BYTES..format::FRAME_HEADER_BYTES + h.payload_len as usize];
    let mut out = Vec::new();
    h.encode_into(&format::FrameSalt::new(salt), payload, &mut out);
    out
}
