//! A message as read from the log: its call site (when the log still has its frame) and its
//! decoded arguments, and the text they make.

use super::json::push_json_str;
use super::printf;
use crate::format::message::{decode_args, split_message, Arg, ArgValue, CallSite};
use crate::format::DecodeError;

/// A decoded message frame.
#[derive(Clone, Debug, PartialEq)]
pub struct Message<'a> {
    /// The call site's id in its epoch.
    pub callsite: u32,
    /// The call site, when a frame for it was read in this epoch; `None` when it is missing
    /// or damaged.
    pub site: Option<&'a CallSite>,
    /// The arguments, each with its type.
    pub args: Vec<Arg<'a>>,
}

impl<'a> Message<'a> {
    /// Decodes a message frame's payload; `lookup` finds a call site by id.
    pub fn decode(
        payload: &'a [u8],
        lookup: impl FnOnce(u32) -> Option<&'a CallSite>,
    ) -> Result<Message<'a>, DecodeError> {
        let (callsite, packed) = split_message(payload)?;
        let args = decode_args(packed)?;
        Ok(Message { callsite, site: lookup(callsite), args })
    }

    /// The text: the format rendered with the arguments as C's printf would; without the call
    /// site, `<call site N>` and the arguments as they are.
    pub fn text(&self) -> String {
        let mut out = String::new();
        self.render(&mut out);
        out
    }

    /// Appends the text to `out` (see [`text`](Self::text)).
    pub fn render(&self, out: &mut String) {
        let args: Vec<printf::Arg> = self.args.iter().map(|a| printf_arg(a.value)).collect();
        match self.site {
            Some(site) => {
                printf::render(out, site.format.as_bytes(), &args);
            }
            None => {
                out.push_str(&format!("<call site {}>", self.callsite));
                for a in &self.args {
                    out.push(' ');
                    raw_arg(out, a);
                }
            }
        }
    }
}

impl Message<'_> {
    /// Appends the message as a JSON object: `{"callsite":N,"file":..,"line":..,
    /// "function":..,"message":..,"args":[..]}` (file, line and function `null` without the
    /// call site). Arguments: numbers as numbers (non-finite floats `null`), bools, strings and
    /// chars as strings (a cut string with a trailing "…"), pointers as "0x..." strings.
    pub fn push_json(&self, out: &mut String) {
        use std::fmt::Write as _;
        let _ = write!(out, "{{\"callsite\":{},", self.callsite);
        match self.site {
            Some(s) => {
                out.push_str("\"file\":");
                push_json_str(out, &s.file);
                let _ = write!(out, ",\"line\":{},\"function\":", s.line);
                push_json_str(out, &s.function);
            }
            None => out.push_str("\"file\":null,\"line\":null,\"function\":null"),
        }
        out.push_str(",\"message\":");
        push_json_str(out, &self.text());
        out.push_str(",\"args\":[");
        for (i, a) in self.args.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            json_arg(out, a);
        }
        out.push_str("]}");
    }
}

/// An argument as a JSON value.
fn json_arg(out: &mut String, a: &Arg<'_>) {
    use crate::format::message::ArgType;
    match (a.ty, a.value) {
        (ArgType::Bool, ArgValue::Uint(b)) => out.push_str(if b != 0 { "true" } else { "false" }),
        (ArgType::Char, ArgValue::Uint(c)) => push_json_str(out, &char::from(c as u8).to_string()),
        (_, ArgValue::Int(i)) => out.push_str(&i.to_string()),
        (_, ArgValue::Uint(u)) => out.push_str(&u.to_string()),
        (_, ArgValue::Float(f)) if f.is_finite() => out.push_str(&format!("{f:?}")),
        (_, ArgValue::Float(_)) | (_, ArgValue::Str { null: true, .. }) => out.push_str("null"),
        (_, ArgValue::Ptr(p)) => push_json_str(out, &format!("{p:#x}")),
        (_, ArgValue::Str { bytes, truncated, .. }) => {
            let mut s = String::from_utf8_lossy(bytes).into_owned();
            if truncated {
                s.push_str(printf::TRUNCATED);
            }
            push_json_str(out, &s);
        }
    }
}

/// What the printf renderer takes for a decoded value (a NULL string prints as glibc's
/// `(null)`).
fn printf_arg(v: ArgValue<'_>) -> printf::Arg<'_> {
    match v {
        ArgValue::Int(i) => printf::Arg::Int(i),
        ArgValue::Uint(u) => printf::Arg::Uint(u),
        ArgValue::Float(f) => printf::Arg::Float(f),
        ArgValue::Ptr(p) => printf::Arg::Ptr(p),
        ArgValue::Str { null: true, .. } => printf::Arg::Str { bytes: b"(null)", truncated: false },
        ArgValue::Str { bytes, truncated, .. } => printf::Arg::Str { bytes, truncated },
    }
}

/// An argument shown without its format: numbers as themselves, characters and strings
/// quoted, pointers in hex.
fn raw_arg(out: &mut String, a: &Arg<'_>) {
    use crate::format::message::ArgType;
    match (a.ty, a.value) {
        (ArgType::Char, ArgValue::Uint(c)) => out.push_str(&format!("{:?}", char::from(c as u8))),
        (ArgType::Bool, ArgValue::Uint(b)) => out.push_str(if b != 0 { "true" } else { "false" }),
        (_, ArgValue::Int(i)) => out.push_str(&i.to_string()),
        (_, ArgValue::Uint(u)) => out.push_str(&u.to_string()),
        (_, ArgValue::Float(f)) => out.push_str(&format!("{f:?}")),
        (_, ArgValue::Ptr(p)) => out.push_str(&format!("{p:#x}")),
        (_, ArgValue::Str { null: true, .. }) => out.push_str("(null)"),
        (_, ArgValue::Str { bytes, truncated, .. }) => {
            let s = String::from_utf8_lossy(bytes);
            out.push_str(&format!("{s:?}"));
            if truncated {
                out.push_str(printf::TRUNCATED);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::message::{put_message_head, ArgType};
    use crate::format::Level;

    fn payload() -> Vec<u8> {
        let mut p = vec![0u8; 8];
        put_message_head(&mut p, 4);
        p.extend_from_slice(&[3, ArgType::U32 as u8, ArgType::F64 as u8, ArgType::Str as u8]);
        p.extend_from_slice(&7u32.to_le_bytes());
        p.extend_from_slice(&1.25f64.to_le_bytes());
        p.extend_from_slice(&2u16.to_le_bytes());
        p.extend_from_slice(b"ok");
        p
    }

    #[test]
    fn a_message_renders_with_its_call_site() {
        let site = CallSite {
            id: 4,
            line: 9,
            level: Level::Warn,
            arg_types: vec![ArgType::U32, ArgType::F64, ArgType::Str],
            file: "a.c".into(),
            function: "f".into(),
            format: "joint %u at %.3f: %s".into(),
        };
        let p = payload();
        let m = Message::decode(&p, |id| (id == 4).then_some(&site)).unwrap();
        assert_eq!(m.text(), "joint 7 at 1.250: ok");
    }

    #[test]
    fn a_message_without_its_call_site_shows_its_raw_arguments() {
        let p = payload();
        let m = Message::decode(&p, |_| None).unwrap();
        assert_eq!(m.text(), "<call site 4> 7 1.25 \"ok\"");
        let mut json = String::new();
        m.push_json(&mut json);
        assert_eq!(
            json,
            r#"{"callsite":4,"file":null,"line":null,"function":null,"message":"<call site 4> 7 1.25 \"ok\"","args":[7,1.25,"ok"]}"#
        );
    }
}
