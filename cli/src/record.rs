//! One data record as a line of text or JSON (shared by `dump` and `tail`), and the producer
//! names a segment header gives to producer ids.
//!
//! A record of a type registered in its segment is shown by field (`rtlog::schema::render`):
//! `name{field=value ...}` in place of `payload=HEX` in text, and `"type_name"` and `"fields"`
//! (an object) added to the JSON keys, which stay those of untyped records. A typed record
//! whose length is not its type's size is shown as bytes, with `type_name` and
//! `expected_len` saying what was expected.
//!
//! A message (issue 14) keeps the record line's prefix up to the stream, then `seq=N` and the
//! message part of [`crate::message`]: `... stream=normal seq=5 WARN loop.c:42 joint 3 over
//! torque limit 12.500`; in JSON, the record keys without `type`, `len` and `payload_hex`, and
//! the message keys.

use crate::json;
use crate::message::{self, Decoded};
use crate::time::format_utc;
use rtlog::format::Level;
use rtlog::format::SegmentHeader;
use rtlog::schema::{render, RecordType};
use std::fmt::Write;

/// A data record with everything a line shows.
#[derive(Clone, Copy)]
pub struct Line<'a> {
    pub lsn: u64,
    pub epoch: u32,
    /// Wall-clock ns, from the segment's clock anchor.
    pub wall_ns: u64,
    pub producer_id: u16,
    /// `None`: the id is missing from the segment's producer table.
    pub producer: Option<&'a str>,
    pub stream: u8,
    pub record_type: u16,
    pub seq: u64,
    /// How much the record matters (frames of logs before format 1.2 are info).
    pub level: Level,
    pub payload: &'a [u8],
    /// The record's type, when its segment registered one under `record_type`.
    pub typed: Option<&'a RecordType>,
    /// A message frame: the message decoded (`None` for every other kind of frame).
    pub message: Option<&'a Decoded<'a>>,
}

/// How `dump` and `tail` print a line.
#[derive(Clone, Copy, Default)]
pub struct LineStyle {
    /// JSON Lines instead of text.
    pub json: bool,
    /// Colour the level of messages (text only).
    pub colour: bool,
}

impl LineStyle {
    /// Appends `line` as text or JSON.
    pub fn push(self, out: &mut String, line: &Line) {
        if self.json {
            line.push_json(out);
        } else {
            line.push_text(out, self.colour);
        }
    }
}

/// `critical`, `normal`, or the number for a value the format does not define.
pub fn stream_name(stream: u8) -> String {
    match stream {
        0 => "critical".into(),
        1 => "normal".into(),
        s => s.to_string(),
    }
}

impl Line<'_> {
    /// Appends `lsn=… epoch=… time=… producer=… stream=… type=… seq=… len=… payload=…\n`, or
    /// for a message `lsn=… epoch=… time=… producer=… stream=… seq=… LEVEL file:line text\n`,
    /// its level coloured when `colour` is true.
    pub fn push_text(&self, out: &mut String, colour: bool) {
        // Writing to a String cannot fail.
        let _ = write!(
            out,
            "lsn={} epoch={} time={} producer=",
            self.lsn,
            self.epoch,
            format_utc(self.wall_ns)
        );
        match self.producer {
            Some(name) if is_bare(name) => out.push_str(name),
            // Quoted with JSON escapes, so a name with spaces or `=` cannot shift the fields.
            Some(name) => json::push_str(out, name),
            None => {
                let _ = write!(out, "#{}", self.producer_id);
            }
        }
        if let Some(decoded) = self.message {
            let _ = write!(out, " stream={} seq={} ", stream_name(self.stream), self.seq);
            message::push_text(out, self.level, decoded, self.payload, colour);
            out.push('\n');
            return;
        }
        let _ = write!(
            out,
            " stream={} type={} seq={} len={} ",
            stream_name(self.stream),
            self.record_type,
            self.seq,
            self.payload.len()
        );
        match self.typed {
            Some(t) if render::push_text(out, t, self.payload) => {}
            Some(t) => {
                let _ = write!(out, "type_name={} expected_len={} ", t.name, t.layout.size());
                out.push_str("payload=");
                push_hex(out, self.payload);
            }
            None => {
                out.push_str("payload=");
                push_hex(out, self.payload);
            }
        }
        out.push('\n');
    }

    /// Whether the record has a registered type but another length than the type's size.
    pub fn size_mismatch(&self) -> bool {
        self.typed.is_some_and(|t| t.layout.size() as usize != self.payload.len())
    }

    /// Appends one JSON object and a newline (JSON Lines).
    pub fn push_json(&self, out: &mut String) {
        let _ = write!(
            out,
            "{{\"lsn\":{},\"epoch\":{},\"time\":\"{}\",\"time_ns\":{},\"producer\":",
            self.lsn,
            self.epoch,
            format_utc(self.wall_ns),
            self.wall_ns
        );
        match self.producer {
            Some(name) => json::push_str(out, name),
            None => out.push_str("null"),
        }
        if let Some(decoded) = self.message {
            let _ = write!(
                out,
                ",\"producer_id\":{},\"stream\":\"{}\",\"seq\":{},",
                self.producer_id,
                stream_name(self.stream),
                self.seq
            );
            message::push_json(out, self.level, decoded, self.payload);
            out.push('\n');
            return;
        }
        let _ = write!(
            out,
            ",\"producer_id\":{},\"stream\":\"{}\",\"type\":{},\"seq\":{},\"len\":{},",
            self.producer_id,
            stream_name(self.stream),
            self.record_type,
            self.seq,
            self.payload.len()
        );
        if let Some(t) = self.typed {
            out.push_str("\"type_name\":");
            json::push_str(out, &t.name);
            out.push_str(",\"fields\":");
            if !render::push_json(out, &t.layout, self.payload) {
                out.truncate(out.len() - ",\"fields\":".len());
                let _ = write!(out, ",\"expected_len\":{}", t.layout.size());
            }
            out.push(',');
        }
        out.push_str("\"payload_hex\":\"");
        push_hex(out, self.payload);
        out.push_str("\"}\n");
    }
}

/// A name that needs no quotes: printable, no spaces, quotes, backslashes or `=`, and not
/// starting with `#` (which marks an unknown id).
fn is_bare(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('#')
        && name
            .chars()
            .all(|c| !c.is_whitespace() && !c.is_control() && !matches!(c, '"' | '\\' | '='))
}

/// Appends lowercase hex.
pub fn push_hex(out: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    out.reserve(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 15)] as char);
    }
}

/// Producer names of one segment, by id; rebuilt only when the segment changes.
#[derive(Default)]
pub struct Names {
    /// (segment index, salt) of the segment the table came from; the salt tells apart two
    /// files that claim the same index.
    key: Option<(u64, u64)>,
    by_id: Vec<Option<String>>,
}

impl Names {
    /// The table of `header`.
    pub fn of(header: &SegmentHeader) -> Names {
        let mut names = Names::default();
        names.refresh(header);
        names
    }

    /// Switches to `header`'s table if it is another segment's.
    pub fn refresh(&mut self, header: &SegmentHeader) {
        let key = Some((header.index, header.salt));
        if self.key == key {
            return;
        }
        self.key = key;
        self.by_id.clear();
        for (id, name) in &header.producers {
            let i = usize::from(*id);
            if self.by_id.len() <= i {
                self.by_id.resize(i + 1, None);
            }
            self.by_id[i] = Some(name.clone());
        }
    }

    /// The name of producer `id`, if the table has it.
    pub fn get(&self, id: u16) -> Option<&str> {
        self.by_id.get(usize::from(id))?.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(producer: Option<&str>) -> Line<'_> {
        Line {
            lsn: 7,
            epoch: 2,
            wall_ns: 1_795_341_600_000_000_001,
            producer_id: 3,
            producer,
            stream: 1,
            record_type: 42,
            seq: 5,
            level: Level::Info,
            payload: &[0x00, 0xab, 0xff],
            typed: None,
            message: None,
        }
    }

    #[test]
    fn text_lines_show_every_field() {
        let mut s = String::new();
        line(Some("arm")).push_text(&mut s, false);
        assert_eq!(
            s,
            "lsn=7 epoch=2 time=2026-11-22T10:00:00.000000001Z producer=arm stream=normal \
             type=42 seq=5 len=3 payload=00abff\n"
        );
        s.clear();
        line(Some("left arm")).push_text(&mut s, false);
        assert!(s.contains(" producer=\"left arm\" "), "{s}");
        s.clear();
        line(None).push_text(&mut s, false);
        assert!(s.contains(" producer=#3 "), "{s}");
    }

    #[test]
    fn typed_records_show_their_fields_or_the_size_they_should_have() {
        let layout = rtlog::schema::Layout::parse("u8 a; char[2] b").unwrap();
        let t = RecordType { id: 42, name: "pair".into(), layout };
        let mut s = String::new();
        let typed = Line { payload: &[7, b'h', b'i'], typed: Some(&t), ..line(Some("arm")) };
        typed.push_text(&mut s, false);
        assert!(s.ends_with(" type=42 seq=5 len=3 pair{a=7 b=\"hi\"}\n"), "{s}");
        s.clear();
        typed.push_json(&mut s);
        assert!(
            s.ends_with(
                ",\"len\":3,\"type_name\":\"pair\",\"fields\":{\"a\":7,\"b\":\"hi\"},\
                 \"payload_hex\":\"076869\"}\n"
            ),
            "{s}"
        );
        let short = Line { payload: &[7], ..typed };
        assert!(short.size_mismatch() && !typed.size_mismatch());
        s.clear();
        short.push_text(&mut s, false);
        assert!(s.ends_with(" len=1 type_name=pair expected_len=3 payload=07\n"), "{s}");
        s.clear();
        short.push_json(&mut s);
        assert!(
            s.ends_with(
                ",\"len\":1,\"type_name\":\"pair\",\"expected_len\":3,\"payload_hex\":\"07\"}\n"
            ),
            "{s}"
        );
    }

    #[test]
    fn json_lines_escape_names() {
        let mut s = String::new();
        line(Some("a\"b")).push_json(&mut s);
        assert_eq!(
            s,
            "{\"lsn\":7,\"epoch\":2,\"time\":\"2026-11-22T10:00:00.000000001Z\",\
             \"time_ns\":1795341600000000001,\"producer\":\"a\\\"b\",\"producer_id\":3,\
             \"stream\":\"normal\",\"type\":42,\"seq\":5,\"len\":3,\"payload_hex\":\"00abff\"}\n"
        );
    }
}
