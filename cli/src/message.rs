//! Log messages (issue 14) in the tool's output: the message part of a `dump`/`tail` line
//! (`WARN loop.c:42 joint 3 over torque limit 12.500`, its level coloured on a terminal), the
//! message keys of a JSON line, and the call sites of a segment scanned without a `Reader`
//! (`tail`).
//!
//! The text and the JSON of a message are the library's (`rtlog::message::Message::render` and
//! `push_json`): this module only places them in a line.

use crate::json;
use crate::record::push_hex;
use rtlog::format::message::CallSite;
use rtlog::format::{DecodeError, Level};
use rtlog::message::Message;
use std::collections::HashMap;
use std::fmt::Write as _;

/// A message frame as decoded: the message, or why its payload is not one (a frame whose CRC
/// passed, so written so by a faulty writer; it is still shown, as bytes).
pub type Decoded<'a> = Result<Message<'a>, DecodeError>;

/// The escape sequence that colours `level` on a terminal, if it has a colour: TRACE and
/// DEBUG dim, INFO none, WARN yellow, ERROR red, FATAL bold red.
pub fn level_colour(level: Level) -> Option<&'static str> {
    match level {
        Level::Trace | Level::Debug => Some("\x1b[2m"),
        Level::Info => None,
        Level::Warn => Some("\x1b[33m"),
        Level::Error => Some("\x1b[31m"),
        Level::Fatal => Some("\x1b[1;31m"),
    }
}

/// Ends a colour.
const RESET: &str = "\x1b[0m";

/// Appends `LEVEL file:line text` (or `LEVEL <call site N> args` when the log lost the call
/// site's frame), with the level coloured when `colour` is true. Control characters of the
/// text (a `\n` in a format or a string argument) are escaped, so one message stays one line
/// and cannot send escape sequences to the terminal.
pub fn push_text(out: &mut String, level: Level, decoded: &Decoded, payload: &[u8], colour: bool) {
    let name = level.name().to_ascii_uppercase();
    match level_colour(level).filter(|_| colour) {
        Some(c) => {
            let _ = write!(out, "{c}{name}{RESET}");
        }
        None => out.push_str(&name),
    }
    out.push(' ');
    match decoded {
        Ok(m) => {
            if let Some(site) = m.site {
                push_escaped(out, &site.file);
                let _ = write!(out, ":{} ", site.line);
            }
            let mut text = String::new();
            m.render(&mut text);
            push_escaped(out, &text);
        }
        Err(e) => {
            let _ = write!(out, "<undecodable message: {e}> payload=");
            push_hex(out, payload);
        }
    }
}

/// Appends `s` with its control characters escaped (`\n`, `\t`, `\u{1b}`).
fn push_escaped(out: &mut String, s: &str) {
    for c in s.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
}

/// Appends the message keys of a JSON line, after the record keys and a comma, and closes the
/// object: `"kind":"message","level":"warn","callsite":N,"file":..,"line":..,"function":..,
/// "message":..,"args":[..]}` (file, line and function null without the call site); for a
/// payload that is not a message, `"error":..,"payload_hex":..}`.
pub fn push_json(out: &mut String, level: Level, decoded: &Decoded, payload: &[u8]) {
    let _ = write!(out, "\"kind\":\"message\",\"level\":\"{}\",", level.name());
    match decoded {
        Ok(m) => {
            // The library's object, whose keys continue this one's.
            let mut object = String::new();
            m.push_json(&mut object);
            out.push_str(object.strip_prefix('{').unwrap_or(&object));
        }
        Err(e) => {
            out.push_str("\"error\":");
            json::push_str(out, &format!("undecodable message: {e}"));
            out.push_str(",\"payload_hex\":\"");
            push_hex(out, payload);
            out.push_str("\"}");
        }
    }
}

/// The call sites of the segment being scanned, for readers that scan segments themselves
/// (`tail`): each segment has the call-site frame of each of its messages before the message
/// (docs/FORMAT.md, "Messages"), so a scan from the segment's start knows them all. Ids are
/// per epoch: the table empties when the epoch changes.
#[derive(Default)]
pub struct CallSites {
    epoch: u32,
    by_id: HashMap<u32, CallSite>,
}

impl CallSites {
    /// Keeps the call site of a call-site frame of `epoch`; one that does not decode is left
    /// out (its messages then show as `<call site N>`).
    pub fn note(&mut self, epoch: u32, payload: &[u8]) {
        self.switch(epoch);
        if let Ok(site) = CallSite::decode(payload) {
            self.by_id.insert(site.id, site);
        }
    }

    /// Decodes the payload of a message frame of `epoch`.
    pub fn decode<'a>(&'a mut self, epoch: u32, payload: &'a [u8]) -> Decoded<'a> {
        self.switch(epoch);
        let by_id = &self.by_id;
        Message::decode(payload, |id| by_id.get(&id))
    }

    fn switch(&mut self, epoch: u32) {
        if epoch != self.epoch {
            self.by_id.clear();
            self.epoch = epoch;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtlog::format::message::{put_message_head, ArgType};

    fn payload(callsite: u32) -> Vec<u8> {
        let mut p = vec![0u8; 8];
        put_message_head(&mut p, callsite);
        p.extend_from_slice(&[2, ArgType::U32 as u8, ArgType::Str as u8]);
        p.extend_from_slice(&3u32.to_le_bytes());
        p.extend_from_slice(&4u16.to_le_bytes());
        p.extend_from_slice(b"a\nb\x1b");
        p
    }

    fn site(id: u32) -> CallSite {
        CallSite {
            id,
            line: 42,
            level: Level::Warn,
            arg_types: vec![ArgType::U32, ArgType::Str],
            file: "loop.c".into(),
            function: "step".into(),
            format: "joint %u: %s".into(),
        }
    }

    #[test]
    fn text_escapes_control_characters_and_colours_only_when_asked() {
        let mut sites = CallSites::default();
        sites.note(1, &site(5).encode());
        let p = payload(5);
        let m = sites.decode(1, &p);
        let mut s = String::new();
        push_text(&mut s, Level::Warn, &m, &p, false);
        assert_eq!(s, "WARN loop.c:42 joint 3: a\\nb\\u{1b}");
        s.clear();
        push_text(&mut s, Level::Warn, &m, &p, true);
        assert_eq!(s, "\x1b[33mWARN\x1b[0m loop.c:42 joint 3: a\\nb\\u{1b}");
        s.clear();
        push_text(&mut s, Level::Info, &m, &p, true);
        assert!(s.starts_with("INFO loop.c:42 "), "{s}");
    }

    #[test]
    fn call_sites_are_per_epoch() {
        let mut sites = CallSites::default();
        sites.note(1, &site(5).encode());
        let p = payload(5);
        assert!(sites.decode(1, &p).unwrap().site.is_some());
        let m = sites.decode(2, &p).unwrap();
        assert_eq!(m.site, None, "epoch 2 has no call site 5 yet");
        let mut s = String::new();
        push_text(&mut s, Level::Warn, &Ok(m), &p, false);
        assert_eq!(s, "WARN <call site 5> 3 \"a\\nb\\u{1b}\"");
    }

    #[test]
    fn a_payload_that_is_no_message_is_shown_as_bytes() {
        let p = [1u8, 0, 0, 0, 9, 0, 0, 0, 0];
        let d: Decoded = Err(DecodeError::BadField("reserved message bytes"));
        let mut s = String::new();
        push_text(&mut s, Level::Error, &d, &p, false);
        assert!(s.starts_with("ERROR <undecodable message: "), "{s}");
        assert!(s.ends_with("> payload=010000000900000000"), "{s}");
        s.clear();
        push_json(&mut s, Level::Error, &d, &p);
        assert!(s.starts_with("\"kind\":\"message\",\"level\":\"error\",\"error\":"), "{s}");
        assert!(s.ends_with(",\"payload_hex\":\"010000000900000000\"}"), "{s}");
    }
}
