//! The reader and recovery on arbitrary segment files ([`check`]).
//!
//! Whatever the files hold, reading and recovering must not panic, hang or allocate without
//! bound, and what they return must hold together:
//!
//! - every frame returned is one the format allows: payload within the format's and its
//!   segment's limit (a call-site frame's own limit), the segment's epoch, a known kind,
//!   stream 0 or 1 for data, loss and message frames;
//! - every message decodes with its call site (if one was read in its epoch) or is refused as
//!   corrupt, and its text and JSON render, bounded, whatever the call-site frame claims (a
//!   format with any conversions, widths, a count or types that do not match the arguments);
//!   the C reader renders the same text;
//! - LSNs strictly increase through the whole read: no record is returned twice;
//! - the frame count is bounded by the bytes on disk, the damage list by `MAX_DAMAGE_LIST`;
//! - the C reader returns the same data records and messages as the Rust one;
//! - recovery and the reader agree on whether the log is too new to read, and recovery
//!   refuses a log only for that or for an epoch or LSN at its type's maximum;
//! - recovery loses no valid frame (the reader returns the same frames after it), cuts only
//!   torn tails, leaves a last segment with a valid header, and numbers the new
//!   epoch after everything the reader returns: its LSN, epoch and segment index above any
//!   returned or listed (so the next epoch's records are neither refused as stale nor
//!   confused with old ones); a second recovery finds nothing more to do.

use super::files::{self, InputFile};
use super::Scratch;
use rtlog::ffi::{self, rtlog_record, rtlog_status};
use rtlog::format::{
    FrameKind, SegmentHeader, FRAME_HEADER_BYTES, MAX_CALLSITE_PAYLOAD, MAX_PAYLOAD,
};
use rtlog::logdir::{list_segments, read_segment_header};
use rtlog::reader::{Reader, MAX_DAMAGE_LIST};
use rtlog::recovery::{self, Recovered};
use rtlog::Status;
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// A frame as returned, owning its payload, with the index of the segment it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Frame {
    segment: u64,
    lsn: u64,
    seq: u64,
    timestamp_ns: u64,
    epoch: u32,
    producer: u16,
    record_type: u16,
    stream: u8,
    kind: FrameKind,
    payload: Vec<u8>,
    /// A message's text as the Rust reader renders it (`None`: not a message, or refused as
    /// corrupt).
    text: Option<String>,
}

/// Longest text a message may render to: 16 arguments and a format of at most 64 KiB, each
/// conversion's field capped by the renderer (`message::printf::MAX_FIELD`), the JSON twice
/// the text at most, with some slack.
const MAX_TEXT_BYTES: usize = 16 << 20;

/// What one read of the whole directory returned.
struct Log {
    frames: Vec<Frame>,
    /// Bytes of torn tails the reader reported.
    torn_bytes: u64,
    /// Segment files the reader listed.
    listed: u64,
}

/// Runs the reader and recovery on the files `data` encodes (see [`files`]); panics when an
/// invariant of the module doc breaks.
pub fn check(data: &[u8]) {
    let dir = Scratch::new("reader");
    let on_disk = files::write(&dir.path, &files::decode(data));
    let bytes: usize = on_disk.iter().map(|f| f.contents.len()).sum();

    let first = read(&dir.path, bytes);
    let c_data = read_c(&dir.path);
    match (&first, &c_data) {
        (Some(log), Ok(c)) => {
            let data: Vec<_> = log
                .frames
                .iter()
                .filter(|f| matches!(f.kind, FrameKind::Data | FrameKind::Message))
                .collect();
            assert_eq!(data.len(), c.len(), "the C reader returned another number of records");
            for (f, c) in data.iter().zip(c) {
                assert_eq!(
                    (f.lsn, f.seq, f.epoch, f.producer, f.record_type, f.stream, &f.payload),
                    (c.0, c.1, c.2, c.3, c.4, c.5, &c.6),
                    "the C reader returned another record"
                );
                assert_eq!(f.text, c.7, "the C reader rendered another text");
            }
        }
        (None, Err(s)) => assert_eq!(*s, rtlog_status::RTLOG_ERR_CORRUPT),
        (a, b) => panic!("Rust reader ok: {}, C reader: {b:?}", a.is_some()),
    }

    let recovered = match (first, recovery::recover(&dir.path)) {
        (None, Err(e)) => {
            assert_eq!(e.status, Status::Corrupt, "{}", e.message);
            return;
        }
        (Some(log), Ok(r)) => (log, r),
        // A file holding the largest epoch or LSN: the log cannot continue without reusing one.
        (Some(_), Err(e)) if e.status == Status::Corrupt => {
            let max_epoch = format!("epoch {}", u32::MAX);
            let max_lsn = format!("LSN {}", u64::MAX);
            assert!(e.message.contains(&max_epoch) || e.message.contains(&max_lsn), "{e}");
            return;
        }
        (first, Err(e)) => panic!("reader ok: {}, recovery failed: {e}", first.is_some()),
        (None, Ok(r)) => panic!("the reader refused the log, recovery took it: {r:?}"),
    };
    let (first, rec) = recovered;
    let second = read(&dir.path, bytes).expect("the log read before recovery reads after it");
    assert_eq!(first.frames, second.frames, "recovery changed the valid frames");
    assert!(second.torn_bytes <= first.torn_bytes, "recovery made a torn tail longer");
    assert!(rec.torn_bytes <= bytes as u64);
    check_recovered(&dir.path, &rec, &second, &on_disk);

    let again = recovery::recover(&dir.path).expect("a recovered log recovers again");
    assert_eq!((again.torn_bytes, again.set_aside), (0, 0), "a second recovery cut more");
    assert_eq!(
        (again.next_lsn, again.next_epoch, again.previous_clean),
        (rec.next_lsn, rec.next_epoch, rec.previous_clean),
        "a second recovery continues elsewhere"
    );
}

/// Reads every frame of `dir`, checking each; `None` when the reader refuses the log (a
/// newer format version, the only error a readable directory may give).
fn read(dir: &Path, bytes: usize) -> Option<Log> {
    let mut r = Reader::open(dir).expect("the scratch directory opens");
    let mut frames: Vec<Frame> = Vec::new();
    loop {
        let rec = match r.next_frame() {
            Ok(Some(rec)) => rec,
            Ok(None) => break,
            Err(e) => {
                assert_eq!(e.status, Status::Corrupt, "{}", e.message);
                assert!(e.message.contains("newer"), "{}", e.message);
                return None;
            }
        };
        let (lsn, seq, timestamp_ns, epoch, producer) =
            (rec.lsn, rec.seq, rec.timestamp_ns, rec.epoch, rec.producer);
        let (record_type, stream, kind, payload) =
            (rec.record_type, rec.stream, rec.kind, rec.payload.to_vec());
        // `Reader::message` borrows the reader: decode from the copied payload.
        let rec = rtlog::Record { payload: &payload, ..rec };
        let text = (kind == FrameKind::Message).then(|| message_text(&r, &rec)).flatten();
        let h = r.segment_header().expect("a frame comes from an open segment");
        let f = Frame {
            segment: h.index,
            lsn,
            seq,
            timestamp_ns,
            epoch,
            producer,
            record_type,
            stream,
            kind,
            payload,
            text,
        };
        check_frame(&f, h);
        if let Some(prev) = frames.last() {
            assert!(f.lsn > prev.lsn, "LSN {} after {} (segment {})", f.lsn, prev.lsn, h.index);
        }
        frames.push(f);
        // Every frame takes at least a frame header's bytes of some file: more frames would
        // mean bytes read twice (or a loop).
        assert!(
            frames.len() <= bytes / FRAME_HEADER_BYTES,
            "{} frames from {bytes} bytes",
            frames.len()
        );
    }
    let stats = r.stats();
    let listed = list_segments(dir).expect("the scratch directory lists").len() as u64;
    let records = frames.iter().filter(|f| matches!(f.kind, FrameKind::Data | FrameKind::Message));
    assert_eq!(stats.records, records.count() as u64);
    assert_eq!(stats.segments + stats.bad_segments + stats.vanished_segments, listed);
    assert_eq!(stats.vanished_segments, 0, "nothing deletes segments here");
    assert!(stats.torn_bytes <= bytes as u64);
    assert!(r.damage().len() <= MAX_DAMAGE_LIST);
    Some(Log { frames, torn_bytes: stats.torn_bytes, listed })
}

/// What the format allows a returned frame to be, given its segment's header.
fn check_frame(f: &Frame, h: &SegmentHeader) {
    let len = f.payload.len() as u64;
    assert!(len <= u64::from(MAX_PAYLOAD), "payload of {len} bytes");
    let limit = match f.kind {
        FrameKind::CallSite => MAX_CALLSITE_PAYLOAD,
        _ => h.max_payload.max(64),
    };
    assert!(len <= u64::from(limit), "payload of {len} bytes, limit {limit}");
    assert_eq!(f.epoch, h.epoch, "a frame of another epoch than its segment's");
    if matches!(f.kind, FrameKind::Data | FrameKind::Loss | FrameKind::Message) {
        assert!(f.stream <= 1, "stream {} of a {:?} frame", f.stream, f.kind);
    }
}

/// A message's text and JSON through `Reader::message`: both render, bounded; `None` when the
/// reader refuses the payload as corrupt (a frame whose CRC passed but is no message).
fn message_text(r: &Reader, rec: &rtlog::Record<'_>) -> Option<String> {
    match r.message(rec) {
        Ok(m) => {
            let text = m.text();
            let mut json = String::new();
            m.push_json(&mut json);
            assert!(text.len() <= MAX_TEXT_BYTES, "a message text of {} bytes", text.len());
            assert!(json.len() <= 2 * MAX_TEXT_BYTES, "a message JSON of {} bytes", json.len());
            if m.site.is_none() {
                let raw = format!("<call site {}>", m.callsite);
                assert!(text.starts_with(&raw), "a message without its call site: {text:?}");
            }
            Some(text)
        }
        Err(e) => {
            assert_eq!(e.status, Status::Corrupt, "{}", e.message);
            None
        }
    }
}

/// A data record or message as the C reader returns it, and a message's text as
/// `rtlog_reader_format` renders it.
type CRecord = (u64, u64, u32, u16, u16, u8, Vec<u8>, Option<String>);

/// The data records and messages of `dir` through the C API (`rtlog_reader_next`).
fn read_c(dir: &Path) -> Result<Vec<CRecord>, rtlog_status> {
    let path = CString::new(dir.as_os_str().as_bytes()).expect("no NUL in the scratch path");
    let mut r = std::ptr::null_mut();
    // SAFETY: path is NUL-terminated, r is writable.
    let st = unsafe { ffi::reader::rtlog_reader_open(path.as_ptr(), &mut r) };
    assert_eq!(st, rtlog_status::RTLOG_OK);
    let mut out = Vec::new();
    let result = loop {
        // SAFETY: all-zero bits are a valid rtlog_record (integers and a NULL pointer).
        let mut rec: rtlog_record = unsafe { std::mem::zeroed() };
        // SAFETY: rec is a whole rtlog_record.
        unsafe { ffi::reader::rtlog_record_init(&mut rec, std::mem::size_of::<rtlog_record>()) };
        // SAFETY: r is the live reader opened above; rec is writable.
        match unsafe { ffi::reader::rtlog_reader_next(r, &mut rec) } {
            rtlog_status::RTLOG_OK => {
                let message = rec.kind == FrameKind::Message as u8;
                assert!(message || rec.kind == FrameKind::Data as u8, "kind {}", rec.kind);
                assert_eq!(rec.payload.is_null(), rec.len == 0, "payload NULL iff empty");
                // SAFETY: r is live and rec is the record it just returned.
                let text = message.then(|| unsafe { c_message_text(r, &rec) }).flatten();
                let payload = if rec.len == 0 {
                    Vec::new()
                } else {
                    // SAFETY: payload points to len bytes valid until the next call.
                    unsafe { std::slice::from_raw_parts(rec.payload, rec.len as usize) }.to_vec()
                };
                out.push((
                    rec.lsn,
                    rec.seq,
                    rec.epoch,
                    rec.producer,
                    rec.r#type,
                    rec.stream,
                    payload,
                    text,
                ));
            }
            rtlog_status::RTLOG_END => break Ok(out),
            s => break Err(s),
        }
    };
    // SAFETY: r came from rtlog_reader_open and is closed once.
    unsafe { ffi::reader::rtlog_reader_close(r) };
    result
}

/// A message's text through `rtlog_reader_format` (`None` when it is refused as corrupt).
///
/// # Safety
/// `r` is a live reader and `rec` the record it returned last.
unsafe fn c_message_text(r: *mut ffi::rtlog_reader, rec: &rtlog_record) -> Option<String> {
    let mut len = 0usize;
    // SAFETY: the caller's contract; a NULL buffer with cap 0 asks for the length.
    let st =
        unsafe { ffi::schema::rtlog_reader_format(r, rec, 0, std::ptr::null_mut(), 0, &mut len) };
    if st == rtlog_status::RTLOG_ERR_CORRUPT {
        return None;
    }
    assert_eq!(st, rtlog_status::RTLOG_ERR_TOO_LARGE, "sizing a message's text");
    assert!(len <= MAX_TEXT_BYTES, "a message text of {len} bytes");
    let mut buf = vec![0u8; len + 1];
    // SAFETY: buf has len + 1 writable bytes.
    let st = unsafe {
        ffi::schema::rtlog_reader_format(r, rec, 0, buf.as_mut_ptr().cast(), buf.len(), &mut len)
    };
    assert_eq!(st, rtlog_status::RTLOG_OK, "formatting a message with room for it");
    buf.truncate(len);
    Some(String::from_utf8(buf).expect("the text is UTF-8"))
}

/// Checks where recovery says the next epoch continues against the log as read after it.
fn check_recovered(dir: &Path, rec: &Recovered, log: &Log, on_disk: &[InputFile]) {
    let segments = list_segments(dir).expect("the scratch directory lists");
    assert_eq!(segments.len() as u64, log.listed);
    assert!(rec.set_aside <= on_disk.iter().filter(|f| f.is_segment()).count() as u64);
    let Some((index, path)) = segments.last() else {
        assert_eq!((rec.next_lsn, rec.next_epoch, rec.previous_clean), (1, 1, true));
        return;
    };
    // Only the newest segments with a bad header are set aside: the last one left is valid.
    if let Err(e) = read_segment_header(path).expect("reading a scratch file") {
        panic!("recovery left {} last, with a bad header: {e:?}", path.display());
    }
    // Numbered after every segment found, those set aside included.
    assert!(rec.next_segment > *index, "next segment {} after {index}", rec.next_segment);
    // Every LSN the reader returns lies below where the new epoch starts, or the reader would
    // skip the new epoch's segments as stale (corpus/reader/limit-stale-segment-below-read-lsn:
    // a frame of an earlier segment above the start of the last one).
    let max_lsn = log.frames.iter().map(|f| f.lsn).max().unwrap_or(0);
    assert!(rec.next_lsn > max_lsn, "next LSN {} after LSN {max_lsn} was read", rec.next_lsn);
    // Every valid header's epoch, read or not: a segment of the new epoch must not share it.
    let max_epoch = segments
        .iter()
        .filter_map(|(_, path)| read_segment_header(path).expect("reading a scratch file").ok())
        .map(|h| h.epoch)
        .max()
        .unwrap_or(0);
    assert!(rec.next_epoch > max_epoch, "next epoch {} after epoch {max_epoch}", rec.next_epoch);
    assert!(rec.next_lsn >= 1 && rec.next_epoch >= 1);
}
