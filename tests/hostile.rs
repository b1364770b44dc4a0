//! Hostile storage: the reader and recovery facing logs that were truncated at every offset,
//! had every bit flipped one at a time, or hold garbage, absurd length fields, foreign files,
//! a newer format, or segments missing or listed out of order (SQLite's and RocksDB's kinds of
//! corruption tests; zeroed sectors and stale frames and segments are in
//! `tests/hostile_regions.rs`). The property throughout: nothing damaged is ever returned as a record,
//! everything undamaged is, the damage is reported where it is, and `rtlog_init` recovers and
//! appends.

#[path = "common/hostile_log.rs"]
mod hostile_log;
#[path = "common/storage.rs"]
mod storage;

use hostile_log::*;
use rtlog::{Logger, Status};
use std::os::unix::fs::FileExt;
use std::time::{Duration, Instant};
use storage::*;

/// Every prefix of a whole small segment, from the empty file through a torn header, a
/// header alone and every torn frame to the complete file: the reader returns exactly the
/// whole frames before the cut, and `rtlog_init` cuts the torn tail (or sets aside a segment
/// whose header is incomplete) and appends.
#[test]
fn truncating_a_whole_segment_at_every_offset() {
    let src = Scratch::new("trunc-src", true);
    let sizes = [255, 1, 7, 8, 63, 64, 65, 200, 3, 17, 56, 100, 0, 9];
    write_epoch(&src.0, &["alpha", "beta"], &plan(2, 14, &sizes));
    let log = read_log(&src.0).unwrap();
    let seg = segments(&src.0);
    assert_eq!(seg.len(), 1);
    let orig = Original::of(&seg[0], &log.frames);
    assert_eq!(orig.frames, log.frames);
    assert_eq!(log.data().len(), 14);
    let name = seg[0].file_name().unwrap().to_str().unwrap().to_owned();

    let work = Scratch::new("trunc", true);
    let len = orig.bytes.len();
    let started = Instant::now();
    parallel(len + 1, |_, cut| {
        let ctx = format!("cut at byte {cut} of {len} (header {} bytes)", orig.header_len);
        let dir = work.join(&format!("cut-{cut}"));
        std::fs::create_dir(&dir).unwrap();
        let path = dir.join(&name);
        std::fs::write(&path, &orig.bytes[..cut]).unwrap();
        let exp = check_newest_segment(&dir, &path, &orig, &[], &ctx);
        assert_eq!(exp.bad_header, (cut as u64) < orig.header_len, "{ctx}");
        let whole = orig.spans.iter().take_while(|s| s.end() <= cut as u64).count();
        assert_eq!(exp.frames.len(), whole, "{ctx}");
        std::fs::remove_dir_all(&dir).unwrap();
    });
    eprintln!(
        "hostile: {} truncations of a {len}-byte segment in {:?}",
        len + 1,
        started.elapsed()
    );
}

#[test]
fn flipping_every_bit_of_a_small_segment_never_returns_a_damaged_record() {
    let src = Scratch::new("bitflip", true);
    write_epoch(&src.0, &["a", "b"], &plan(2, 8, &[5, 16, 1, 9]));
    let orig = read_log(&src.0).unwrap();
    assert_eq!(orig.data().len(), 8);
    let seg = segments(&src.0);
    assert_eq!(seg.len(), 1);
    let name = seg[0].file_name().unwrap().to_owned();
    let bytes = std::fs::read(&seg[0]).unwrap();
    let (header_len, spans) = frame_spans(&seg[0]);
    let header_len = header_len as usize;
    assert!(bytes.len() <= 800, "keep the file small: {} bytes", bytes.len());

    // One copy of the log per worker, flipped in place and restored after each read.
    let (work, files) = worker_copies(&src, "bitflip", &name);
    let started = Instant::now();
    parallel(bytes.len() * 8, |w, i| {
        let (pos, bit) = (i / 8, i % 8);
        let ctx = format!("bit {bit} of byte {pos} (header {header_len} bytes)");
        files[w].write_at(&[bytes[pos] ^ (1 << bit)], pos as u64).unwrap();
        let result = read_log(&work[w].0);
        files[w].write_at(&bytes[pos..=pos], pos as u64).unwrap();

        if pos < header_len {
            let got = result.unwrap_or_else(|e| panic!("{ctx}: reader failed: {e}"));
            // The reserved word after the header CRC is not covered by it: the segment may
            // still read, but then wholly intact.
            if pos >= header_len - 4 && got.stats.bad_segments == 0 {
                assert_eq!(got.frames, orig.frames, "{ctx}");
                assert!(got.damage.is_empty(), "{ctx}");
                return;
            }
            // Otherwise the segment is unreadable without its salt, and reported as such. A
            // flipped format_major included: it is damage, not a newer version.
            assert!(got.frames.is_empty(), "{ctx}: records from a bad header");
            assert_eq!(got.stats.bad_segments, 1, "{ctx}");
            assert_eq!(got.damage.len(), 1, "{ctx}");
            assert_eq!(got.damage[0].offset, 0, "{ctx}");
            assert!(got.damage[0].what.contains("header"), "{ctx}");
            return;
        }

        let got = result.unwrap_or_else(|e| panic!("{ctx}: reader failed: {e}"));
        let k = spans.iter().position(|s| s.contains(pos as u64)).unwrap();
        let span = spans[k];
        let mut expected = orig.frames.clone();
        expected.remove(k);
        assert_eq!(got.frames, expected, "{ctx}: frame {k} at {}", span.offset);
        assert_eq!(got.damage.len(), 1, "{ctx}: {:?}", got.damage);
        let d = &got.damage[0];
        assert_eq!((d.offset, d.len), (span.offset, span.len), "{ctx}");
        if k + 1 == spans.len() {
            // Nothing valid follows: a torn tail.
            assert_eq!(got.stats.torn_bytes, span.len, "{ctx}");
            assert_eq!(got.stats.corrupt_regions, 0, "{ctx}");
        } else {
            assert_eq!(got.stats.corrupt_regions, 1, "{ctx}");
            assert_eq!(got.stats.torn_bytes, 0, "{ctx}");
        }
    });
    eprintln!("{} single-bit flips read in {:?}", bytes.len() * 8, started.elapsed());
    for s in &work {
        assert_eq!(read_log(&s.0).unwrap().frames, orig.frames);
    }
}

/// One copy of the log in `src` per worker of `parallel`, and its segment `name` open for
/// writing: each worker flips bytes of its own copy in place and restores them after a read.
fn worker_copies(
    src: &Scratch,
    tag: &str,
    name: &std::ffi::OsStr,
) -> (Vec<Scratch>, Vec<std::fs::File>) {
    let work: Vec<Scratch> = (0..4)
        .map(|w| {
            let s = Scratch::new(&format!("{tag}-{w}"), true);
            copy_log(&src.0, &s.0);
            s
        })
        .collect();
    let files = work
        .iter()
        .map(|s| std::fs::OpenOptions::new().write(true).open(s.0.join(name)).unwrap())
        .collect();
    (work, files)
}

/// The reader's "newer version" refusal is for headers that are intact; a header whose CRC
/// fails is damage (FORMAT.md: "A segment whose header does not validate is skipped and
/// reported"), whatever its format_major field says.
#[test]
fn a_bit_flip_in_format_major_is_damage_not_a_newer_version() {
    let dir = Scratch::new("flip-major", true);
    write_epoch(&dir.0, &["alpha"], &plan(1, 2, &[10]));
    write_epoch(&dir.0, &["alpha"], &plan(1, 2, &[10]));
    let orig = read_log(&dir.0).unwrap();
    let seg = segments(&dir.0);
    // Segment 1's format_major 1 becomes 3 by one flipped bit; its header CRC no longer matches.
    let mut bytes = std::fs::read(&seg[0]).unwrap();
    bytes[8] ^= 0b10;
    std::fs::write(&seg[0], &bytes).unwrap();

    let got = read_log(&dir.0)
        .unwrap_or_else(|e| panic!("one flipped bit made the whole log unreadable: {e}"));
    assert_eq!(got.stats.bad_segments, 1);
    let epoch2: Vec<_> = orig.frames.into_iter().filter(|f| f.epoch == 2).collect();
    assert_eq!(got.frames, epoch2);
}

#[test]
fn a_segment_of_a_newer_format_major_is_refused_with_a_message() {
    let dir = Scratch::new("newer", true);
    write_epoch(&dir.0, &["alpha"], &plan(1, 3, &[10]));
    let seg = segments(&dir.0);
    edit_header(&seg[0], |h| h[8..10].copy_from_slice(&2u16.to_le_bytes()));
    let err = match read_log(&dir.0) {
        Ok(got) => panic!("a format 2 segment was read: {:?}", got.stats),
        Err(e) => e,
    };
    assert_eq!(err.status, Status::Corrupt);
    assert!(err.message.contains("version 2"), "the message names the version: {}", err.message);
}

/// Writing format-1 frames after a newer-format segment would restart the epoch and LSN
/// numbering inside a log this version cannot read; `rtlog_init` must refuse, as the reader
/// does.
#[test]
fn rtlog_init_refuses_a_directory_with_a_newer_format_segment() {
    let dir = Scratch::new("newer-init", true);
    write_epoch(&dir.0, &["alpha"], &plan(1, 3, &[10]));
    let seg = segments(&dir.0);
    edit_header(&seg[0], |h| h[8..10].copy_from_slice(&2u16.to_le_bytes()));
    match Logger::init(config(&dir.0)) {
        Ok(lg) => panic!(
            "rtlog_init accepted a log holding a format 2 segment and would append to it: {:?}",
            lg.recovered()
        ),
        Err(e) => {
            assert_eq!(e.status, Status::Corrupt, "{e}");
            assert!(e.message.contains("version"), "{e}");
        }
    }
    assert_eq!(segments(&dir.0).len(), 1, "nothing was written");
}

#[test]
fn a_header_only_segment_reads_as_empty_and_recovers() {
    let dir = Scratch::new("header-only", true);
    write_epoch(&dir.0, &["alpha"], &plan(1, 3, &[10]));
    let seg = segments(&dir.0);
    let (header_len, _) = frame_spans(&seg[0]);
    std::fs::OpenOptions::new().write(true).open(&seg[0]).unwrap().set_len(header_len).unwrap();
    let got = read_log(&dir.0).unwrap();
    assert!(got.frames.is_empty());
    assert!(got.damage.is_empty(), "{:?}", got.damage);
    assert_eq!(got.stats.segments, 1);
    assert_eq!(
        (got.stats.torn_bytes, got.stats.corrupt_regions, got.stats.bad_segments),
        (0, 0, 0)
    );
    let rec = recover_and_append(&dir.0);
    assert_eq!((rec.next_epoch, rec.next_lsn, rec.torn_bytes), (2, 1, 0));
    check_prefix_then_appended(&dir.0, &[], &rec);
}

#[test]
fn garbage_after_the_last_frame_is_a_torn_tail() {
    let dir = Scratch::new("garbage", true);
    write_epoch(&dir.0, &["alpha", "beta"], &plan(2, 20, &[30, 90, 4]));
    let orig = read_log(&dir.0).unwrap();
    let seg = segments(&dir.0);
    let clean_len = std::fs::metadata(&seg[0]).unwrap().len();
    let mut garbage = vec![0u8; 777];
    XorShift::new(7).fill(&mut garbage);
    let f = std::fs::OpenOptions::new().append(true).open(&seg[0]).unwrap();
    f.write_at(&garbage, clean_len).unwrap();

    let got = read_log(&dir.0).unwrap();
    assert_eq!(got.frames, orig.frames);
    assert_eq!(got.stats.torn_bytes, 777);
    assert_eq!(got.stats.corrupt_regions, 0);
    assert_eq!(got.damage.len(), 1);
    assert_eq!((got.damage[0].offset, got.damage[0].len), (clean_len, 777));

    let rec = recover_and_append(&dir.0);
    assert_eq!(rec.torn_bytes, 777);
    assert_eq!(std::fs::metadata(&seg[0]).unwrap().len(), clean_len);
    assert_eq!(rec.next_lsn, orig.max_lsn() + 1);
    check_prefix_then_appended(&dir.0, &orig.frames, &rec);
}

#[test]
fn absurd_length_fields_are_rejected_without_allocating_for_them() {
    let dir = Scratch::new("huge-len", true);
    write_epoch(&dir.0, &["alpha", "beta"], &plan(2, 12, &[20, 200]));
    let orig = read_log(&dir.0).unwrap();
    let seg = segments(&dir.0);
    let (_, spans) = frame_spans(&seg[0]);
    let file = std::fs::OpenOptions::new().write(true).open(&seg[0]).unwrap();
    // A data frame in the middle and the last frame claim 4 GiB - 1 and 4 GiB - 8 bytes.
    let middle = spans.len() / 2;
    let last = spans.len() - 1;
    file.write_at(&u32::MAX.to_le_bytes(), spans[middle].offset + 4).unwrap();
    file.write_at(&(u32::MAX - 7).to_le_bytes(), spans[last].offset + 4).unwrap();

    let started = Instant::now();
    let got = read_log(&dir.0).unwrap();
    let expected: Vec<Frame> = orig
        .frames
        .iter()
        .enumerate()
        .filter(|(k, _)| *k != middle && *k != last)
        .map(|(_, f)| f.clone())
        .collect();
    assert_eq!(got.frames, expected);
    assert_eq!(got.stats.corrupt_regions, 1);
    assert_eq!(got.stats.torn_bytes, spans[last].len);
    assert_eq!(got.damage[0].offset, spans[middle].offset);
    // The same for a segment header claiming to be 4 GiB long: a bad segment, nothing more.
    let mut bytes = std::fs::read(&seg[0]).unwrap();
    bytes[12..16].copy_from_slice(&0xFFFF_FFF8u32.to_le_bytes());
    let other = Scratch::new("huge-header", true);
    std::fs::write(other.join("seg-0000000001.rtlog"), &bytes).unwrap();
    let got = read_log(&other.0).unwrap();
    assert!(got.frames.is_empty());
    assert_eq!(got.stats.bad_segments, 1);
    assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());
}

#[test]
fn a_directory_of_other_files_is_an_empty_log() {
    let dir = Scratch::new("foreign", true);
    // A real segment, kept only under names that are not segment names.
    let src = Scratch::new("foreign-src", true);
    write_epoch(&src.0, &["alpha"], &plan(1, 3, &[10]));
    let real = std::fs::read(&segments(&src.0)[0]).unwrap();
    for name in [
        "seg-0000000001.rtlog.bak",
        "seg-1.rtlog",
        "seg-000000001x.rtlog",
        "SEG-0000000001.RTLOG",
        "xseg-0000000001.rtlog",
    ] {
        std::fs::write(dir.join(name), &real).unwrap();
    }
    std::fs::write(dir.join("notes.txt"), b"not a log\n").unwrap();
    std::fs::write(dir.join("LOCK"), b"").unwrap();

    let got = read_log(&dir.0).unwrap();
    assert!(got.frames.is_empty());
    assert!(got.damage.is_empty());
    assert_eq!(got.stats.segments, 0);

    let rec = recover_and_append(&dir.0);
    assert_eq!((rec.next_epoch, rec.next_lsn, rec.next_segment, rec.segments), (1, 1, 1, 0));
    check_prefix_then_appended(&dir.0, &[], &rec);
    assert_eq!(std::fs::read(dir.join("seg-0000000001.rtlog.bak")).unwrap(), real);
    assert_eq!(std::fs::read(dir.join("notes.txt")).unwrap(), b"not a log\n");
}

#[test]
fn segments_are_read_in_index_order_and_a_missing_one_is_skipped() {
    let src = Scratch::new("order-src", true);
    for (e, names) in [["a", "b"], ["b", "a"], ["c", "a"]].iter().enumerate() {
        write_epoch(&src.0, names, &plan(2, 5 + e, &[12, 40]));
    }
    let orig = read_log(&src.0).unwrap();
    let seg = segments(&src.0);
    assert_eq!(seg.len(), 3);
    let names: Vec<_> = seg.iter().map(|p| p.file_name().unwrap().to_owned()).collect();

    // Created newest first, so that directory order differs from index order.
    let rev = Scratch::new("order-rev", true);
    for (path, name) in seg.iter().zip(&names).rev() {
        std::fs::copy(path, rev.0.join(name)).unwrap();
    }
    let got = read_log(&rev.0).unwrap();
    assert_eq!(got.frames, orig.frames);
    assert_eq!(got.stats.epochs, 3);

    // Without the middle segment: epochs 1 and 3, in order, nothing else reported.
    let gap = Scratch::new("order-gap", true);
    for i in [2, 0] {
        std::fs::copy(&seg[i], gap.0.join(&names[i])).unwrap();
    }
    let got = read_log(&gap.0).unwrap();
    let expected: Vec<Frame> = orig.frames.iter().filter(|f| f.epoch != 2).cloned().collect();
    assert_eq!(got.frames, expected);
    assert!(got.damage.is_empty());
    let rec = recover_and_append(&gap.0);
    assert_eq!((rec.next_epoch, rec.next_segment), (4, 4));
    assert_eq!(rec.next_lsn, orig.max_lsn() + 1);
    check_prefix_then_appended(&gap.0, &expected, &rec);
}

/// A crash between creating a segment file and writing its header leaves an empty newest
/// segment. The log before it stays readable, and `rtlog_init` continues after it.
#[test]
fn an_empty_newest_segment_left_by_a_crash_in_rotation() {
    let dir = Scratch::new("empty-newest", true);
    write_epoch(&dir.0, &["alpha"], &plan(1, 4, &[10, 30]));
    let orig = read_log(&dir.0).unwrap();
    for torn_header in [0usize, 40] {
        let d = Scratch::new("empty-newest-case", true);
        copy_log(&dir.0, &d.0);
        let header = std::fs::read(&segments(&dir.0)[0]).unwrap();
        std::fs::write(d.join(&rtlog::logdir::segment_file_name(2)), &header[..torn_header])
            .unwrap();
        let got = read_log(&d.0).unwrap();
        assert_eq!(got.frames, orig.frames, "header of {torn_header} bytes");
        assert_eq!(got.stats.bad_segments, 1);

        let rec = recover_and_append(&d.0);
        assert!(rec.next_epoch >= 2, "{rec:?}");
        assert_eq!(rec.next_segment, 3, "{rec:?}");
        assert_eq!(rec.next_lsn, orig.max_lsn() + 1, "{rec:?}");
        check_prefix_then_appended(&d.0, &orig.frames, &rec);
    }
}

// ---------------------------------------------------------------------------------------------
// Log messages and their call sites
// ---------------------------------------------------------------------------------------------

#[path = "common/messages.rs"]
mod messages;

use rtlog::format::message::{split_message, CallSite};
use rtlog::format::{FrameHeader, FrameKind, FrameSalt, SegmentHeader, FRAME_HEADER_BYTES};

/// Runs one epoch on `dir` that logs kit messages `ids` (with `max_record_size` 64, so the
/// strings message is cut) and one data record, and shuts down cleanly.
fn write_messages(dir: &std::path::Path, ids: impl IntoIterator<Item = u64>, segment_bytes: u64) {
    let mut c = config(dir);
    (c.max_record_size, c.segment_bytes) = (64, segment_bytes);
    let lg = Logger::init(c).unwrap();
    let p = lg.create_producer("m").unwrap();
    lg.start().unwrap();
    // SAFETY: the logger outlives the handle, which only this thread uses.
    let p = unsafe { &mut *p.as_ptr() };
    let kit = messages::Kinds::new();
    let mut out = messages::Outcomes::default();
    assert_eq!(p.publish(rtlog::Stream::Normal, 3, b"data"), Status::Ok);
    for i in ids {
        kit.publish(p, i, &mut out);
        lg.tick().unwrap();
    }
    assert_eq!((out.full, out.other), (0, 0), "{out:?}");
    lg.shutdown().unwrap();
}

/// The call-site id a message or call-site frame names.
fn site_id(f: &Frame) -> u32 {
    match f.kind {
        FrameKind::Message => split_message(&f.payload).unwrap().0,
        FrameKind::CallSite => CallSite::decode(&f.payload).unwrap().id,
        _ => 0,
    }
}

/// Checks every message of `dir`: the ones of call site `lost_site` (0: none) read as
/// `<call site N>` and their raw arguments, the others with their call site and whole text.
/// Returns how many messages were read.
fn check_message_texts(dir: &std::path::Path, lost_site: u32, ctx: &str) -> usize {
    let mut r = rtlog::Reader::open(dir).unwrap();
    let read = messages::read_all(&mut r).unwrap_or_else(|e| panic!("{ctx}: {e}"));
    let mut n = 0;
    for rec in &read {
        let Some(text) = &rec.text else { continue };
        let text = text.as_ref().unwrap_or_else(|e| panic!("{ctx}: lsn {}: {e}", rec.lsn));
        let raw = format!("<call site {lost_site}> ");
        if lost_site != 0 && text.starts_with(&raw) {
            assert!(!rec.resolved, "{ctx}: {text}");
            // The arguments are still there: the first is the message's index.
            let first = text[raw.len()..].split(' ').next().unwrap();
            assert!(first.parse::<u64>().is_ok(), "{ctx}: {text}");
        } else {
            assert!(rec.resolved, "{ctx}: lsn {}: no call site: {text}", rec.lsn);
            messages::Kinds::check_text(text).unwrap_or_else(|e| panic!("{ctx}: {e}"));
        }
        n += 1;
    }
    n
}

/// Every prefix of a segment with call-site and message frames: the reader returns exactly the
/// whole frames before the cut, recovery cuts the torn tail, and every message that is there
/// has its call site (the writer puts it first) and its whole text.
#[test]
fn truncating_a_segment_with_messages_at_every_offset() {
    let src = Scratch::new("trunc-msg-src", true);
    write_messages(&src.0, [0, 1, 2, 4, 5, 6], 64 << 20);
    let log = read_log(&src.0).unwrap();
    let seg = segments(&src.0);
    let orig = Original::of(&seg[0], &log.frames);
    let kinds = |k: FrameKind| orig.frames.iter().filter(|f| f.kind == k).count();
    assert_eq!((kinds(FrameKind::CallSite), kinds(FrameKind::Message)), (3, 6));
    let name = seg[0].file_name().unwrap().to_str().unwrap().to_owned();
    let work = Scratch::new("trunc-msg", true);
    let len = orig.bytes.len();
    parallel(len + 1, |_, cut| {
        let ctx = format!("cut at byte {cut} of {len}");
        let dir = work.join(&format!("cut-{cut}"));
        std::fs::create_dir(&dir).unwrap();
        let path = dir.join(&name);
        std::fs::write(&path, &orig.bytes[..cut]).unwrap();
        let exp = check_newest_segment(&dir, &path, &orig, &[], &ctx);
        let whole = exp.frames.iter().filter(|f| f.kind == FrameKind::Message).count();
        assert_eq!(check_message_texts(&dir, 0, &ctx), whole, "{ctx}");
        std::fs::remove_dir_all(&dir).unwrap();
    });
}

/// A single bit flipped anywhere in a call-site or message frame: that frame alone is lost. A
/// lost message is not returned; a lost call site leaves its messages readable as `<call site
/// N>` and their arguments, counted, none dropped.
#[test]
fn flipping_every_bit_of_call_site_and_message_frames() {
    let src = Scratch::new("bitflip-msg", true);
    write_messages(&src.0, [0, 1, 4, 2], 64 << 20);
    let orig = read_log(&src.0).unwrap();
    let seg = segments(&src.0);
    let name = seg[0].file_name().unwrap().to_owned();
    let bytes = std::fs::read(&seg[0]).unwrap();
    let (_, spans) = frame_spans(&seg[0]);
    let messages_written = orig.frames.iter().filter(|f| f.kind == FrameKind::Message).count();
    let targets: Vec<usize> = (0..spans.len())
        .filter(|&k| matches!(orig.frames[k].kind, FrameKind::CallSite | FrameKind::Message))
        .flat_map(|k| spans[k].offset as usize * 8..spans[k].end() as usize * 8)
        .collect();
    let (work, files) = worker_copies(&src, "bitflip-msg", &name);
    parallel(targets.len(), |w, t| {
        let (pos, bit) = (targets[t] / 8, targets[t] % 8);
        let ctx = format!("bit {bit} of byte {pos}");
        files[w].write_at(&[bytes[pos] ^ (1 << bit)], pos as u64).unwrap();
        let got = read_log(&work[w].0).unwrap_or_else(|e| panic!("{ctx}: reader failed: {e}"));
        let k = spans.iter().position(|s| s.contains(pos as u64)).unwrap();
        let lost = &orig.frames[k];
        let mut expected = orig.frames.clone();
        expected.remove(k);
        assert_eq!(got.frames, expected, "{ctx}: frame {k} ({:?})", lost.kind);
        let (lost_site, lost_messages) = match lost.kind {
            FrameKind::CallSite => (site_id(lost), 0),
            _ => (0, 1),
        };
        let n = check_message_texts(&work[w].0, lost_site, &ctx);
        assert_eq!(n, messages_written - lost_messages, "{ctx}");
        files[w].write_at(&bytes[pos..=pos], pos as u64).unwrap();
    });
    eprintln!("{} single-bit flips in call-site and message frames", targets.len());
}

/// The frame at `k` of `orig` with its payload edited and re-encoded under the segment's salt:
/// a valid CRC over a payload that a faulty writer could have written.
fn reencode_payload(orig: &Original, k: usize, edit: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let span = orig.spans[k];
    let b = &orig.bytes[span.offset as usize..span.end() as usize];
    let h = FrameHeader::decode(b, rtlog::format::MAX_PAYLOAD).unwrap();
    let mut payload = b[FRAME_HEADER_BYTES..FRAME_HEADER_BYTES + h.payload_len as usize].to_vec();
    edit(&mut payload);
    assert_eq!(payload.len(), h.payload_len as usize, "keep the frame's length");
    let salt = SegmentHeader::decode(&orig.bytes).unwrap().salt;
    let mut out = Vec::new();
    h.encode_into(&FrameSalt::new(salt), &payload, &mut out);
    out
}

/// A call-site frame whose CRC is valid but whose payload is wrong: ones that do not decode
/// (level, argument count, argument type, reserved bytes, lengths) are reported as damage and
/// their messages read as `<call site N>` with their arguments; ones that decode but lie (a
/// hostile format: every conversion, huge widths, %n, more conversions than arguments; bytes
/// that are not UTF-8) render without failing and within bounds. Recovery and appending work
/// after each.
#[test]
fn a_call_site_frame_with_a_bad_payload_and_a_valid_crc() {
    let src = Scratch::new("bad-callsite-src", true);
    write_messages(&src.0, [0, 4, 1, 8], 64 << 20);
    let log = read_log(&src.0).unwrap();
    let seg = segments(&src.0);
    let name = seg[0].file_name().unwrap().to_owned();
    let orig = Original::of(&seg[0], &log.frames);
    let k = orig.frames.iter().position(|f| f.kind == FrameKind::CallSite).unwrap();
    let site = CallSite::decode(&orig.frames[k].payload).unwrap();
    assert_eq!(site.id, 1);
    let fmt_at = 20 + site.arg_types.len() + site.file.len() + site.function.len();
    let flen = site.format.len();
    type Edit = Box<dyn Fn(&mut Vec<u8>)>;
    let hostile_format = |f: &'static [u8]| -> Edit {
        Box::new(move |p: &mut Vec<u8>| {
            let mut text = f.to_vec();
            text.resize(flen, b' ');
            p[fmt_at..fmt_at + flen].copy_from_slice(&text);
        })
    };
    let cases: Vec<(&str, bool, Edit)> = vec![
        ("level 9", false, Box::new(|p: &mut Vec<u8>| p[8] = 9)),
        ("17 arguments", false, Box::new(|p: &mut Vec<u8>| p[9] = 17)),
        ("reserved bytes", false, Box::new(|p: &mut Vec<u8>| p[14] = 1)),
        ("file length past the end", false, Box::new(|p: &mut Vec<u8>| p[10] = 0xff)),
        ("unknown argument type", false, Box::new(|p: &mut Vec<u8>| p[20] = 0)),
        (
            "every conversion, huge widths",
            true,
            hostile_format(b"%s%s%999999999d%*d%.*f%n%p%c%-2147483648x%lld%Lf%q%"),
        ),
        (
            "more conversions than arguments",
            true,
            hostile_format(b"%d %d %d %d %d %d %d %d %d %d %d"),
        ),
        ("not UTF-8", true, Box::new(move |p: &mut Vec<u8>| p[fmt_at] = 0xff)),
        ("another id", true, Box::new(|p: &mut Vec<u8>| p[0] = 77)),
    ];
    for (what, decodes, edit) in cases {
        let ctx = format!("call-site frame with {what}");
        let work = Scratch::new("bad-callsite", true);
        copy_log(&src.0, &work.0);
        let mut bytes = orig.bytes.clone();
        let frame = reencode_payload(&orig, k, edit);
        let at = orig.spans[k].offset as usize;
        bytes[at..at + frame.len()].copy_from_slice(&frame);
        std::fs::write(work.0.join(&name), &bytes).unwrap();

        let got = read_log(&work.0).unwrap_or_else(|e| panic!("{ctx}: reader failed: {e}"));
        assert_eq!(got.frames.len(), orig.frames.len(), "{ctx}: every frame is read");
        let noted = got.damage.iter().any(|d| d.what.contains("does not decode"));
        assert_eq!(noted, !decodes, "{ctx}: {:?}", got.damage);
        let mut r = rtlog::Reader::open(&work.0).unwrap();
        let read = messages::read_all(&mut r).unwrap_or_else(|e| panic!("{ctx}: {e}"));
        let texts: Vec<&String> =
            read.iter().filter_map(|m| m.text.as_ref()).map(|t| t.as_ref().unwrap()).collect();
        assert_eq!(texts.len(), 4, "{ctx}: every message is returned");
        for t in &texts {
            assert!(t.len() < 1 << 20, "{ctx}: a {}-byte text", t.len());
        }
        // Call site 1 logs the messages 0, 4 and 8; the one of call site 2 is intact.
        let of_site_1 = texts.iter().filter(|t| !t.contains("f32=")).count();
        assert_eq!(of_site_1, 3, "{ctx}: {texts:?}");
        if !decodes || what == "another id" {
            for i in [0, 4, 8] {
                let raw = format!("<call site 1> {i} ");
                assert!(texts.iter().any(|t| t.starts_with(&raw)), "{ctx}: {raw}: {texts:?}");
            }
        }
        let rec = recover_and_append(&work.0);
        assert!(rec.previous_clean, "{ctx}: {rec:?}");
        assert_eq!(read_log(&work.0).unwrap().frames.len(), orig.frames.len() + 4, "{ctx}");
    }
}

/// A segment whose call-site frame is damaged (bits flipped, or torn: zeroed by a write that
/// did not complete) still yields its messages, as `<call site N>` and their arguments,
/// counted, not dropped; the next segment of the same epoch has its own call-site frame, so
/// its messages of that call site read with their text.
#[test]
fn a_damaged_call_site_frame_costs_its_segment_the_text_only() {
    let src = Scratch::new("callsite-segments-src", true);
    // About 600 messages fill a 64 KiB segment: three segments.
    let ids: Vec<u64> = (0..1800).filter(|i| i % 4 != 3).collect();
    write_messages(&src.0, ids.iter().copied(), 64 << 10);
    let seg = segments(&src.0);
    assert!(seg.len() >= 2, "{} segments", seg.len());
    let log = read_log(&src.0).unwrap();
    let second_first_lsn =
        SegmentHeader::decode(&std::fs::read(&seg[1]).unwrap()).unwrap().first_lsn;
    let orig = Original::of(&seg[0], &log.frames);
    let k = orig.frames.iter().position(|f| f.kind == FrameKind::CallSite).unwrap();
    assert_eq!(site_id(&orig.frames[k]), 1);
    let span = orig.spans[k];
    let name = seg[0].file_name().unwrap().to_owned();
    for (what, damage) in [("a flipped bit", 0usize), ("a torn write", 1)] {
        let ctx = format!("segment 1's call-site frame 1 with {what}");
        let work = Scratch::new("callsite-segments", true);
        copy_log(&src.0, &work.0);
        let mut bytes = orig.bytes.clone();
        let (from, to) = (span.offset as usize, span.end() as usize);
        if damage == 0 {
            bytes[from + FRAME_HEADER_BYTES + 30] ^= 0x10;
        } else {
            bytes[from + 24..to].fill(0);
        }
        std::fs::write(work.0.join(&name), &bytes).unwrap();

        let got = read_log(&work.0).unwrap();
        assert_eq!(got.stats.corrupt_regions, 1, "{ctx}: {:?}", got.damage);
        let mut r = rtlog::Reader::open(&work.0).unwrap();
        let read = messages::read_all(&mut r).unwrap();
        let msgs: Vec<_> = read.iter().filter(|m| m.text.is_some()).collect();
        assert_eq!(msgs.len(), ids.len(), "{ctx}: every message is returned");
        assert_eq!(r.stats().records, ids.len() as u64 + 1, "{ctx}: and counted");
        let (mut raw, mut resolved_later) = (0, 0);
        for m in &msgs {
            let text = m.text.as_ref().unwrap().as_ref().unwrap();
            if m.lsn < second_first_lsn && !m.resolved {
                raw += 1;
                assert!(text.starts_with("<call site 1> "), "{ctx}: {text}");
            } else {
                assert!(m.resolved, "{ctx}: lsn {}: {text}", m.lsn);
                let i = messages::Kinds::check_text(text).unwrap();
                resolved_later += u64::from(i % 4 == 0 && m.lsn >= second_first_lsn);
            }
        }
        let in_first = msgs.iter().filter(|m| m.lsn < second_first_lsn).count();
        assert!(raw > 100 && raw < in_first, "{ctx}: {raw} of {in_first} without their text");
        assert!(resolved_later > 100, "{ctx}: call site 1 resolves again in segment 2");
    }
}
