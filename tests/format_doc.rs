//! docs/FORMAT.md states every byte of the format; this test writes a real log and checks each
//! offset and size in the document's tables against the bytes on disk.

mod common;
use common::*;
use rtlog::{Reader, Status, Stream};

/// Rows `(offset, size, field)` of the table that follows `heading` in FORMAT.md; rows whose
/// offset or size is not a plain number (the variable-length parts) are returned with `None`.
fn table(doc: &str, heading: &str) -> Vec<(Option<usize>, Option<usize>, String)> {
    let start = doc.find(heading).unwrap_or_else(|| panic!("{heading} missing from FORMAT.md"));
    doc[start..]
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2)
        .map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            (cells[1].parse().ok(), cells[2].parse().ok(), cells[3].to_string())
        })
        .collect()
}

/// The fields of the table under `heading` with a plain offset and size, and their values in
/// `bytes` read at `base` + offset.
fn values(doc: &str, heading: &str, bytes: &[u8], base: usize) -> Vec<(String, u64)> {
    table(doc, heading)
        .into_iter()
        .filter_map(|(off, size, field)| {
            Some((field, le(&bytes[base + off?..base + off? + size?])))
        })
        .collect()
}

fn le(bytes: &[u8]) -> u64 {
    bytes.iter().rev().fold(0, |acc, &b| (acc << 8) | u64::from(b))
}

#[test]
fn format_md_matches_the_bytes_written() {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/FORMAT.md")).unwrap();
    let dir = TempDir::new("format-doc");
    let mut c = config(&dir);
    c.max_record_size = 100;
    let wall_before =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
            as u64;
    let mono_before = rtlog::clock::monotonic_ns();
    let lg = rtlog::Logger::init(c).unwrap();
    let ps: Vec<_> = ["alpha", "beta"].iter().map(|n| lg.create_producer(n).unwrap()).collect();
    assert_eq!(lg.register_type(7, "greeting", "char[5] text").unwrap(), 5);
    assert_eq!(lg.register_type(300, "axis", "u32 a;f64   b").unwrap(), 16);
    lg.start().unwrap();
    assert_eq!(producer(ps[1]).publish(Stream::Normal, 7, b"hello"), Status::Ok);
    lg.shutdown().unwrap();
    let mono_after = rtlog::clock::monotonic_ns();
    let wall_after =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
            as u64;

    let segments = rtlog::logdir::list_segments(&dir.0).unwrap();
    assert_eq!(segments.len(), 1);
    assert!(segments[0].1.ends_with("seg-0000000001.rtlog"));
    let bytes = std::fs::read(&segments[0].1).unwrap();

    // Segment header. Producer table: 4 + 5 ("alpha") + 4 + 4 ("beta") = 17 bytes after 80,
    // padded to 104 = T; the type table: 8 bytes, then entries of 12 + 8 ("greeting") + 12
    // ("char[5] text") and 12 + 4 ("axis") + 12 ("u32 a; f64 b") bytes, to 172, padded to 176;
    // then 8 bytes of CRC and reserved.
    let header_len = 184usize;
    let rows = table(&doc, "### Segment header");
    let mut checked = 0;
    for (off, size, field) in &rows {
        let (Some(off), Some(size)) = (off, size) else {
            continue;
        };
        let v = le(&bytes[*off..off + size]);
        match field.as_str() {
            "magic" => assert_eq!(&bytes[*off..off + size], b"RTLOGSEG"),
            "format_major" => assert_eq!(v, 1),
            "format_minor" => assert_eq!(v, u64::from(rtlog::format::FORMAT_MINOR)),
            "header_len" => assert_eq!(v, header_len as u64),
            "segment_index" => assert_eq!(v, 1),
            "first_lsn" => assert_eq!(v, 1),
            "salt" => assert_ne!(v, 0),
            "epoch" => assert_eq!(v, 1),
            "max_payload" => assert_eq!(v, 100),
            "realtime_ns" => assert!((wall_before..=wall_after).contains(&v), "{v}"),
            "monotonic_ns" => assert!((mono_before..=mono_after).contains(&v), "{v}"),
            "tsc_hz" => assert_eq!(v, rtlog::clock::calibration().tsc_hz),
            "flags" => assert_eq!(v, 0),
            "producer_count" => assert_eq!(v, 2),
            other => panic!("FORMAT.md names a header field the test does not know: {other}"),
        }
        checked += 1;
    }
    assert_eq!(checked, 14, "every fixed header field was checked");
    assert_eq!(&bytes[80..84], &[0, 0, 5, 0]);
    assert_eq!(&bytes[84..89], b"alpha");
    assert_eq!(&bytes[89..93], &[1, 0, 4, 0]);
    assert_eq!(&bytes[93..97], b"beta");
    assert!(bytes[97..104].iter().all(|&b| b == 0), "padding to a multiple of 8");

    // The type table at T = 104, and its entries.
    let t = 104;
    let named = |rows: &[(&str, u64)]| -> Vec<(String, u64)> {
        rows.iter().map(|(n, v)| (n.to_string(), *v)).collect()
    };
    let rows = values(&doc, "### Type table", &bytes, t);
    assert_eq!(rows, named(&[("type_count", 2), ("reserved", 0)]));
    let expected = [(7u64, "greeting", 5u64, "char[5] text"), (300, "axis", 16, "u32 a; f64 b")];
    let mut e = t + 8;
    for (id, name, size, layout) in expected {
        let rows = values(&doc, "### Type table entry", &bytes, e);
        let (name_len, layout_len) = (name.len() as u64, layout.len() as u64);
        assert_eq!(
            rows,
            named(&[
                ("id", id),
                ("name_len", name_len),
                ("size", size),
                ("layout_len", layout_len)
            ])
        );
        assert_eq!(&bytes[e + 12..e + 12 + name.len()], name.as_bytes());
        let l = e + 12 + name.len();
        assert_eq!(&bytes[l..l + layout.len()], layout.as_bytes(), "the canonical layout");
        e = l + layout.len();
    }
    assert_eq!(e, 172);
    assert!(bytes[172..176].iter().all(|&b| b == 0), "padding to a multiple of 8");
    let crc = le(&bytes[header_len - 8..header_len - 4]) as u32;
    assert_eq!(crc, crc32fast::hash(&bytes[..header_len - 8]), "header_crc");
    let salt = le(&bytes[32..40]);

    // Frames: the epoch begin (8-byte payload), then the data frame.
    let begin = header_len;
    assert_eq!(bytes[begin + 41], 2, "first frame is an epoch begin");
    assert_eq!(le(&bytes[begin + 4..begin + 8]), 8);
    assert_eq!(le(&bytes[begin + 48..begin + 52]), u64::from(std::process::id()));
    assert_eq!(le(&bytes[begin + 52..begin + 56]), 1, "durability FLUSH");
    let f = begin + 56;
    let mut checked = 0;
    for (off, size, field) in table(&doc, "### Frame") {
        let (Some(off), Some(size)) = (off, size) else {
            continue;
        };
        let at = &bytes[f + off..f + off + size];
        let v = le(at);
        match field.as_str() {
            "crc" => {
                let mut h = crc32fast::Hasher::new();
                h.update(&salt.to_le_bytes());
                h.update(&bytes[f + 4..f + 48 + 5]);
                assert_eq!(v as u32, h.finalize());
            }
            "payload_len" => assert_eq!(v, 5),
            "lsn" => assert_eq!(v, 2),
            "seq" => assert_eq!(v, 0),
            "timestamp_ns" => assert!((mono_before..=mono_after).contains(&v)),
            "epoch" => assert_eq!(v, 1),
            "producer" => assert_eq!(v, 1),
            "type" => assert_eq!(v, 7),
            "stream" => assert_eq!(v, 1),
            "kind" => assert_eq!(v, 1),
            "level" => assert_eq!(v, rtlog::format::Level::Info as u64),
            "reserved" => assert_eq!(v, 0),
            other => panic!("FORMAT.md names a frame field the test does not know: {other}"),
        }
        checked += 1;
    }
    assert_eq!(checked, 12);
    assert_eq!(&bytes[f + 48..f + 53], b"hello");
    assert_eq!(&bytes[f + 53..f + 56], &[0, 0, 0], "zero padding to a multiple of 8");
    // Then the clean close: kind 3, payload = 1 data record; and the file ends there.
    let close = f + 56;
    assert_eq!(bytes[close + 41], 3);
    assert_eq!(le(&bytes[close + 48..close + 56]), 1);
    assert_eq!(bytes.len(), close + 56);

    // The reader agrees, and decodes the record by its type.
    let mut r = Reader::open(&dir.0).unwrap();
    let rec = r.next_record().unwrap().unwrap();
    assert_eq!((rec.lsn, rec.producer, rec.record_type, rec.payload), (2, 1, 7, &b"hello"[..]));
    let t = r.record_type(7).expect("type 7 is in the segment's schema");
    let mut text = String::new();
    assert!(rtlog::schema::render::push_text(&mut text, t, b"hello"));
    assert_eq!(text, "greeting{text=\"hello\"}");
    assert_eq!(r.record_type(300).unwrap().layout.fields()[1].offset, 8);
}

/// The frames of a segment file after its header: (kind, payload) of each, in order.
fn frames(bytes: &[u8]) -> Vec<(u8, &[u8])> {
    let mut at = le(&bytes[12..16]) as usize;
    let mut out = Vec::new();
    while at + 48 <= bytes.len() {
        let len = le(&bytes[at + 4..at + 8]) as usize;
        out.push((bytes[at + 41], &bytes[at + 48..at + 48 + len]));
        at += 48 + len.next_multiple_of(8);
    }
    out
}

#[test]
fn format_md_matches_the_bytes_of_messages() {
    use rtlog::format::message::ArgType;
    use rtlog::rt::message::{ArgBits, CallSiteDesc, RawArg, NUL_TERMINATED};
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/FORMAT.md")).unwrap();
    let dir = TempDir::new("format-doc-msg");
    let (lg, ps) = start(config(&dir), &["arm"]);
    let mut arg_types = [0u8; 16];
    arg_types[..2].copy_from_slice(&[ArgType::U32 as u8, ArgType::Str as u8]);
    let site = Box::leak(Box::new(CallSiteDesc {
        struct_size: std::mem::size_of::<CallSiteDesc>() as u32,
        line: 42,
        level: rtlog::format::Level::Warn as u8,
        arg_count: 2,
        arg_types,
        format: c"joint %u: %s".as_ptr().cast(),
        file: c"loop.c".as_ptr().cast(),
        function: c"step".as_ptr().cast(),
    }));
    let args = [
        RawArg { value: ArgBits { u: 7 }, length: 0 },
        RawArg { value: ArgBits { p: c"hot".as_ptr().cast() }, length: NUL_TERMINATED },
    ];
    // SAFETY: the call site is leaked, the string a C literal.
    assert_eq!(unsafe { producer(ps[0]).publish_message(site, &args) }, Status::Ok);
    lg.shutdown().unwrap();
    let (_, path) = rtlog::logdir::list_segments(&dir.0).unwrap().remove(0);
    let bytes = std::fs::read(path).unwrap();
    let frames = frames(&bytes);
    let kinds: Vec<u8> = frames.iter().map(|f| f.0).collect();
    assert_eq!(kinds, [2, 8, 7, 3], "epoch begin, call site, message, clean close");

    let site = frames[1].1;
    let rows = values(&doc, "### Call-site frame", site, 0);
    let names: Vec<&str> = rows.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["id", "line", "level", "argc", "file_len", "function_len", "reserved", "format_len"]
    );
    let values_of: Vec<u64> = rows.iter().map(|(_, v)| *v).collect();
    assert_eq!(values_of, [1, 42, 3, 2, 6, 4, 0, 12]);
    assert_eq!(&site[20..22], &[ArgType::U32 as u8, ArgType::Str as u8], "types");
    assert_eq!(&site[22..], b"loop.cstepjoint %u: %s", "file, function, format");

    let message = frames[2].1;
    let rows = values(&doc, "### Message frame", message, 0);
    assert_eq!(rows, [("callsite".to_string(), 1), ("reserved".to_string(), 0)]);
    let packed = &message[8..];
    let rows = values(&doc, "### Packed arguments", packed, 0);
    assert_eq!(rows, [("argc".to_string(), 2)]);
    assert_eq!(&packed[1..3], &[6, 14], "types: u32, str (the type table's numbers)");
    assert_eq!(&packed[3..7], &7u32.to_le_bytes());
    assert_eq!(&packed[7..9], &3u16.to_le_bytes(), "the string's word: length 3, no flags");
    assert_eq!(&packed[9..], b"hot");
}
