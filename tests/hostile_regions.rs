//! Hostile storage, region by region: zeroed 512-byte and 4 KiB sectors at every aligned place
//! of a segment and past its end, stale frames (copied from an older segment, re-encoded under
//! another salt or epoch, or repeated from earlier in the same segment), a frame of an old
//! segment with an LSN reaching into a later one, and stale or swapped segment files. Each case is checked against an oracle (`common/hostile_log.rs`): a frame
//! is returned exactly when all its bytes are intact, the rest is reported where it lies, and
//! `rtlog_init` continues the log after everything in it — never reusing an epoch or an LSN.

#[path = "common/hostile_log.rs"]
mod hostile_log;
#[path = "common/storage.rs"]
mod storage;

use hostile_log::*;
use rtlog::format::{self, FrameKind};
use std::path::{Path, PathBuf};
use std::time::Instant;
use storage::*;

/// Payload sizes of the records; the two epochs share them, so frames of equal length exist
/// in both segments (a stale frame can then replace another in place).
const SIZES: [usize; 5] = [40, 100, 7, 64, 200];

/// A log of two epochs, one segment each: a small one, then about 30 KiB. Returns the frames
/// and the newest segment's path.
fn two_epochs(dir: &Path, records: usize) -> (LogContents, Vec<PathBuf>) {
    write_epoch(dir, &["alpha", "beta"], &plan(2, 10, &SIZES));
    write_epoch(dir, &["beta", "alpha"], &plan(2, records, &SIZES));
    let log = read_log(dir).unwrap();
    let seg = segments(dir);
    assert_eq!(seg.len(), 2);
    (log, seg)
}

/// Runs `case(i, bytes)` for each case on a fresh copy of `src` in which the newest segment's
/// bytes were replaced by what `case` returns, and checks it against the oracle. Returns the
/// oracle verdicts.
fn each_variant(
    tag: &str,
    src: &Path,
    cases: usize,
    case: impl Fn(usize) -> (String, Vec<u8>) + Sync,
) -> Vec<Expected> {
    let log = read_log(src).unwrap();
    let seg = segments(src);
    let newest = seg.last().unwrap();
    let orig = Original::of(newest, &log.frames);
    let older: Vec<Frame> = log.frames[..log.frames.len() - orig.frames.len()].to_vec();
    let name = newest.file_name().unwrap().to_owned();
    let work = Scratch::new(tag, true);
    let verdicts = std::sync::Mutex::new(Vec::new());
    parallel(cases, |_, i| {
        let (what, bytes) = case(i);
        let dir = work.join(&format!("case-{i}"));
        copy_log(src, &dir);
        std::fs::write(dir.join(&name), &bytes).unwrap();
        let exp = check_newest_segment(&dir, &dir.join(&name), &orig, &older, &what);
        verdicts.lock().unwrap().push(exp);
        std::fs::remove_dir_all(&dir).unwrap();
    });
    verdicts.into_inner().unwrap()
}

#[test]
fn a_zeroed_sector_anywhere_or_past_the_end_loses_only_the_frames_it_touches() {
    let src = Scratch::new("sectors-src", true);
    let (log, seg) = two_epochs(&src.0, 240);
    let orig = Original::of(&seg[1], &log.frames);
    let len = orig.bytes.len();
    assert!(len > 6 * 4096, "{len}");
    // Every aligned sector of both sizes (the last one partial), then the tail grown by one
    // or two zero sectors: a crash that made the new size durable before the data.
    let mut cases: Vec<(usize, usize, bool)> = Vec::new();
    for sector in [512, 4096] {
        cases.extend((0..len.div_ceil(sector)).map(|k| (sector, k * sector, false)));
        cases.extend([(sector, 1, true), (sector, 2, true)]);
    }
    let started = Instant::now();
    let verdicts = each_variant("sectors", &src.0, cases.len(), |i| {
        let (sector, at, grow) = cases[i];
        let mut b = orig.bytes.clone();
        if grow {
            b.resize(len.next_multiple_of(sector) + at * sector, 0);
            (format!("{} zero sector(s) of {sector} B past the end", at), b)
        } else {
            let end = (at + sector).min(len);
            b[at..end].fill(0);
            (format!("sector of {sector} B at {at} zeroed"), b)
        }
    });
    // The oracle's verdicts cover every kind of outcome.
    assert!(verdicts.iter().any(|e| e.bad_header));
    assert!(verdicts.iter().any(|e| !e.damage.is_empty() && e.torn.is_none()));
    assert!(verdicts.iter().any(|e| e.damage.is_empty() && e.torn.is_some()));
    eprintln!(
        "hostile: {} zeroed-sector variants of a {len}-byte segment in {:?}",
        cases.len(),
        started.elapsed()
    );
}

/// Where each frame of the newest segment could take the place of one of the same length.
fn same_length_pairs(from: &Original, to: &Original, earlier_only: bool) -> Vec<(usize, usize)> {
    let mut pairs = Vec::new();
    for (j, t) in to.spans.iter().enumerate() {
        if t.kind != FrameKind::Data as u8 {
            continue;
        }
        let found = from.spans.iter().enumerate().position(|(k, f)| {
            f.kind == FrameKind::Data as u8 && f.len == t.len && (!earlier_only || k < j)
        });
        if let Some(k) = found {
            pairs.push((k, j));
        }
    }
    pairs
}

#[test]
fn stale_frames_from_another_segment_epoch_or_place_are_never_returned() {
    let src = Scratch::new("stale-src", true);
    let (log, seg) = two_epochs(&src.0, 40);
    let old = Original::of(&seg[0], &log.frames);
    let new = Original::of(&seg[1], &log.frames);
    let salt = |o: &Original| format::SegmentHeader::decode(&o.bytes).unwrap().salt;
    let (old_salt, new_salt) = (salt(&old), salt(&new));
    let frame = |o: &Original, k: usize| {
        let s = o.spans[k];
        o.bytes[s.offset as usize..s.end() as usize].to_vec()
    };
    let from_old = same_length_pairs(&old, &new, false);
    let from_self = same_length_pairs(&new, &new, true);
    assert!(from_old.len() >= 10 && from_self.len() >= 10, "{from_old:?} {from_self:?}");

    let mut cases: Vec<(String, Vec<u8>)> = Vec::new();
    let put = |mut b: Vec<u8>, at: u64, f: &[u8]| {
        b[at as usize..at as usize + f.len()].copy_from_slice(f);
        b
    };
    for &(k, j) in &from_old {
        let (at, f) = (new.spans[j].offset, frame(&old, k));
        let b = put(new.bytes.clone(), at, &f);
        cases.push((format!("frame {k} of epoch 1 over frame {j}"), b));
    }
    for (j, span) in new.spans.iter().enumerate().filter(|(_, s)| s.kind == FrameKind::Data as u8) {
        // A valid CRC under this segment's salt, but the other epoch's number.
        let f = reencode(&new, j, new_salt, |h| h.epoch = old.epoch);
        let b = put(new.bytes.clone(), span.offset, &f);
        cases.push((format!("frame {j} re-encoded as epoch 1"), b));
        // The right epoch, but a valid CRC only under the older segment's salt.
        let f = reencode(&new, j, old_salt, |_| {});
        let b = put(new.bytes.clone(), span.offset, &f);
        cases.push((format!("frame {j} under the old salt"), b));
    }
    for &(k, j) in &from_self {
        // An earlier frame of the same segment again: the same salt and epoch, a valid CRC,
        // but an LSN that was already read.
        let b = put(new.bytes.clone(), new.spans[j].offset, &frame(&new, k));
        cases.push((format!("frame {k} again over frame {j}"), b));
    }
    for k in [0, 1, new.spans.len() / 2, new.spans.len() - 1] {
        let mut b = new.bytes.clone();
        b.extend(frame(&new, k));
        cases.push((format!("frame {k} again at the end"), b));
    }
    for k in [0, old.spans.len() / 2] {
        let mut b = new.bytes.clone();
        b.extend(frame(&old, k));
        cases.push((format!("frame {k} of epoch 1 at the end"), b));
    }
    let started = Instant::now();
    let verdicts = each_variant("stale", &src.0, cases.len(), |i| cases[i].clone());
    assert!(verdicts.iter().all(|e| !e.bad_header && e.frames.len() + 1 >= new.frames.len()));
    eprintln!("hostile: {} stale-frame variants in {:?}", cases.len(), started.elapsed());
}

/// Three epochs, one segment each.
fn three_epochs(dir: &Path) -> LogContents {
    for (e, names) in [["a", "b"], ["b", "a"], ["c", "a"]].iter().enumerate() {
        write_epoch(dir, names, &plan(2, 5 + e, &[12, 40]));
    }
    read_log(dir).unwrap()
}

/// Reads `dir` and checks the frames and bad segments, then that `rtlog_init` starts after
/// every epoch and LSN in the directory (the appended epoch is checked too).
fn check_out_of_order(dir: &Path, orig: &LogContents, epochs: &[u32], bad: u64, next_seg: u64) {
    let ctx = format!("{}: {:?}", dir.display(), std::fs::read_dir(dir).unwrap().count());
    let got = read_log(dir).unwrap();
    let expected: Vec<Frame> =
        orig.frames.iter().filter(|f| epochs.contains(&f.epoch)).cloned().collect();
    assert_eq!(got.frames, expected, "{ctx}");
    assert_eq!(got.stats.bad_segments, bad, "{ctx}: {:?}", got.damage);
    assert_eq!((got.stats.corrupt_regions, got.stats.torn_bytes), (0, 0), "{ctx}");
    let rec = recover_and_append(dir);
    assert_eq!(rec.next_epoch, 4, "{ctx}: an epoch number is reused: {rec:?}");
    assert_eq!(rec.next_lsn, orig.max_lsn() + 1, "{ctx}: LSNs are reused: {rec:?}");
    assert_eq!(rec.next_segment, next_seg, "{ctx}: {rec:?}");
    check_prefix_then_appended(dir, &expected, &rec);
}

#[test]
fn stale_and_swapped_segment_files_are_reported_and_never_continued_from() {
    let src = Scratch::new("seg-order-src", true);
    let orig = three_epochs(&src.0);
    let seg = segments(&src.0);
    let name = |i: u64| rtlog::logdir::segment_file_name(i);
    let mut variants = 0;

    // Segments 1 and 3 swapped: both headers disagree with their names.
    let d = Scratch::new("seg-swap", true);
    copy_log(&src.0, &d.0);
    std::fs::copy(&seg[0], d.join(&name(3))).unwrap();
    std::fs::copy(&seg[2], d.join(&name(1))).unwrap();
    check_out_of_order(&d.0, &orig, &[2], 2, 4);
    variants += 1;

    // A stale copy of segment 1 or 2 (a restored backup) under a higher index, as it is or
    // with the header's index made to match the name (so only its LSNs give it away).
    for (from, to) in [(0usize, 4u64), (1, 4), (0, 7)] {
        for matching in [false, true] {
            let d = Scratch::new("seg-stale", true);
            copy_log(&src.0, &d.0);
            let path = d.join(&name(to));
            std::fs::copy(&seg[from], &path).unwrap();
            if matching {
                edit_header(&path, |h| h[16..24].copy_from_slice(&to.to_le_bytes()));
            }
            check_out_of_order(&d.0, &orig, &[1, 2, 3], 1, to + 1);
            variants += 1;
        }
    }
    eprintln!("hostile: {variants} stale or swapped segment variants");
}

#[test]
fn a_far_lsn_in_an_old_segment_hides_no_later_segment() {
    // A valid frame (right salt, epoch and CRC) of segment 1 or 2 whose LSN reaches into a
    // later segment, at the end or in place of a frame: the writer never makes one (its LSNs
    // only rise across segments), so the reader returns it never, and the later segments and
    // the next epoch in full (found by the fuzzer: limit-stale-segment-below-read-lsn).
    let src = Scratch::new("far-lsn-src", true);
    let orig = three_epochs(&src.0);
    let seg = segments(&src.0);
    let mut variants = 0;
    for k in [0usize, 1] {
        let o = Original::of(&seg[k], &orig.frames);
        let salt = format::SegmentHeader::decode(&o.bytes).unwrap().salt;
        let next_first =
            format::SegmentHeader::decode(&std::fs::read(&seg[k + 1]).unwrap()).unwrap().first_lsn;
        let data = o.spans.iter().position(|s| s.kind == FrameKind::Data as u8).unwrap();
        for lsn in [next_first, orig.max_lsn() + 1000] {
            for in_place in [false, true] {
                let forged = reencode(&o, data, salt, |h| h.lsn = lsn);
                let mut bytes = o.bytes.clone();
                let lost = if in_place {
                    let at = o.spans[data].offset as usize;
                    bytes[at..at + forged.len()].copy_from_slice(&forged);
                    o.frames[data].lsn
                } else {
                    bytes.extend(&forged);
                    0
                };
                let d = Scratch::new("far-lsn", true);
                copy_log(&src.0, &d.0);
                std::fs::write(d.0.join(seg[k].file_name().unwrap()), &bytes).unwrap();
                let ctx =
                    format!("segment {} with a frame at LSN {lsn}, in place: {in_place}", k + 1);
                let got = read_log(&d.0).unwrap();
                let expected: Vec<Frame> =
                    orig.frames.iter().filter(|f| f.lsn != lost).cloned().collect();
                assert_eq!(got.frames, expected, "{ctx}");
                assert_eq!(got.stats.bad_segments, 0, "{ctx}: {:?}", got.damage);
                let reported = got.stats.corrupt_regions + u64::from(got.stats.torn_bytes > 0);
                assert_eq!(reported, 1, "{ctx}: {:?}", got.damage);
                let rec = recover_and_append(&d.0);
                assert_eq!(rec.next_lsn, orig.max_lsn() + 1, "{ctx}: {rec:?}");
                check_prefix_then_appended(&d.0, &expected, &rec);
                variants += 1;
            }
        }
    }
    eprintln!("hostile: {variants} far-LSN variants");
}

#[test]
fn a_frame_at_the_largest_lsn_is_read_once() {
    // A valid frame at LSN u64::MAX (no writer gets there; a forged file can), then the same
    // bytes again: "one past the last LSN" does not exist, so nothing may follow it (fuzzer:
    // corpus/reader/crash-repeated-max-lsn, where a saturating + 1 let it be read twice).
    let src = Scratch::new("max-lsn-src", true);
    let (log, seg) = two_epochs(&src.0, 10);
    let new = Original::of(&seg[1], &log.frames);
    let salt = format::SegmentHeader::decode(&new.bytes).unwrap().salt;
    let last = new.spans.len() - 2; // the last data frame, before the clean close
    let forged = reencode(&new, last, salt, |h| h.lsn = u64::MAX);
    let mut bytes = new.bytes[..new.spans[last].offset as usize].to_vec();
    bytes.extend(&forged);
    bytes.extend(&forged);
    std::fs::write(&seg[1], &bytes).unwrap();
    let got = read_log(&src.0).unwrap();
    let at_max = got.frames.iter().filter(|f| f.lsn == u64::MAX).count();
    assert_eq!(at_max, 1, "{:?}", got.damage);
    assert_eq!(got.frames.last().unwrap().lsn, u64::MAX);
    assert_eq!(got.stats.torn_bytes, forged.len() as u64);
    let err = rtlog::Logger::init(config(&src.0)).err().expect("the log cannot be continued");
    assert_eq!(err.status, rtlog::Status::Corrupt, "{err}");
}
