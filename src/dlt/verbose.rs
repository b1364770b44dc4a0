//! Log messages as verbose DLT messages (non-RT; docs/DLT.md, "Log messages").
//!
//! A call site's format is cut once, when the writer first offers one of its messages, into
//! the text around each conversion ([`Site`]); each message is then encoded by the DLT thread
//! from its packed arguments alone, with no formatting: text pieces become string arguments,
//! every C argument one typed argument (`sint`/`uint` of its width, `float32`/`float64`, `bool`,
//! UTF-8 strings, pointers as hexadecimal `uint64`), in the order the format prints them. A DLT
//! viewer joins verbose arguments with spaces, so `"joint %u over %.3f"` with 3 and 12.5 reads
//! `joint 3 over 12.5`, and each value stays a typed argument that DLT tools filter and plot.
//!
//! A format whose conversions are not one argument each (`*` widths, positional `n$`, `%n`,
//! unknown conversions, or a count that differs from the call site's) is sent whole as the
//! first string argument, followed by every argument: `joint %*u 3 5` still names each value.

use super::protocol::{self, App, Level as DltLevel, LogHeader};
use crate::format::message::{self as msg, Arg, ArgType, ArgValue, CallSite, HEAD_BYTES};
use crate::format::Level;
use crate::message::printf::{pieces, Piece, TRUNCATED};
use std::ops::Range;

/// How a conversion shows its argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Show {
    /// By its type: integers in decimal.
    Plain,
    /// `%x`, `%X`, `%p`: an unsigned integer of the argument's width, hexadecimal coding.
    Hex,
    /// `%c`: the integer's low byte as a one-character string.
    Char,
    /// `%lc`, `%C`: the integer as a Unicode character (else U+FFFD), a UTF-8 string.
    WideChar,
}

/// Most bytes one argument's DLT form adds to its packed form: a NULL string is 3 bytes packed
/// (type, length word) and 13 in DLT (type info, length, `(null)`, NUL).
const MAX_ARG_GROWTH: usize = 10;

/// A call site, ready to encode its messages as verbose DLT messages.
#[derive(Debug)]
pub(crate) struct Site {
    /// The DLT level of its messages.
    pub(crate) level: DltLevel,
    /// Per argument: the text printed before it (a range of `text`, maybe empty) and how it
    /// shows; then one more entry whose text is what follows the last argument.
    slots: Vec<(Range<usize>, Show)>,
    /// The text pieces, one after the other.
    text: Vec<u8>,
    /// DLT payload bytes beyond the packed arguments' own (see [`Site::payload_bound`]).
    growth: usize,
}

/// The DLT level of a message level: TRACE is DLT's VERBOSE, the others have their namesakes.
pub(crate) fn dlt_level(level: Level) -> DltLevel {
    match level {
        Level::Trace => DltLevel::Verbose,
        Level::Debug => DltLevel::Debug,
        Level::Info => DltLevel::Info,
        Level::Warn => DltLevel::Warn,
        Level::Error => DltLevel::Error,
        Level::Fatal => DltLevel::Fatal,
    }
}

impl Site {
    /// Cuts the call site's format (once per call site, on the writer thread).
    pub(crate) fn new(site: &CallSite) -> Site {
        let fmt = site.format.as_bytes();
        let argc = site.arg_types.len();
        let mut text = Vec::new();
        let mut slots = Vec::with_capacity(argc + 1);
        let mut from = 0;
        let mut plain = true;
        pieces(fmt, |p| match p {
            Piece::Text(t) => text.extend_from_slice(t),
            Piece::Value(c) => {
                let show = match c {
                    b'x' | b'X' | b'p' => Show::Hex,
                    b'c' => Show::Char,
                    b'C' => Show::WideChar,
                    _ => Show::Plain,
                };
                slots.push((trimmed(&text, from), show));
                from = text.len();
            }
            Piece::Other => plain = false,
        });
        if plain && slots.len() == argc {
            slots.push((trimmed(&text, from), Show::Plain));
        } else {
            // The whole format first, then each argument as its type shows it.
            text.clear();
            text.extend_from_slice(fmt);
            slots.clear();
            slots.extend(site.arg_types.iter().map(|&t| (0..0, own_show(t))));
            slots.push((0..0, Show::Plain));
            slots[0].0 = trimmed(&text, 0);
        }
        let texts: usize = slots
            .iter()
            .filter(|(r, _)| !r.is_empty())
            .map(|(r, _)| protocol::string_arg_bytes(r.len()))
            .sum();
        Site { level: dlt_level(site.level), slots, text, growth: texts + MAX_ARG_GROWTH * argc }
    }

    /// The most DLT payload bytes a message of `message_len` bytes (its frame payload: head
    /// and packed arguments) of this call site encodes to; at least the exact size.
    pub(crate) fn payload_bound(&self, message_len: usize) -> usize {
        self.growth + message_len.saturating_sub(HEAD_BYTES + 1)
    }

    /// Appends the verbose DLT message for `message` (a message frame's payload: call-site id
    /// head, packed arguments), headers and user header included.
    pub(crate) fn log(&self, out: &mut Vec<u8>, app: &App, h: &LogHeader, message: &[u8]) {
        let start = protocol::begin_verbose(out, app, &LogHeader { level: self.level, ..*h });
        let packed = message.get(HEAD_BYTES..).unwrap_or_default();
        // The producer packed these bytes in this process: they are valid. Checked anyway
        // (a first pass that writes nothing), so that a bug sends the texts, not half a message.
        let valid = msg::for_each_arg(packed, |_| {}).is_ok();
        let mut noar = 0u8;
        let mut next = 0;
        if valid {
            let _ = msg::for_each_arg(packed, |a| {
                let (before, show) = self.slots.get(next).cloned().unwrap_or((0..0, Show::Plain));
                noar += self.put_text(out, before);
                put_arg(out, &a, show);
                noar += 1;
                next += 1;
            });
        }
        // What follows the last argument (and the texts of arguments a message lacks).
        for (r, _) in self.slots.iter().skip(next) {
            noar += self.put_text(out, r.clone());
        }
        protocol::end_verbose(out, start, noar);
    }

    /// Appends a text piece as a string argument, if it is not empty; returns the arguments
    /// appended.
    fn put_text(&self, out: &mut Vec<u8>, r: Range<usize>) -> u8 {
        if r.is_empty() {
            return 0;
        }
        protocol::arg_string(out, true, &[&self.text[r]]);
        1
    }
}

/// `text[from..]` without the ASCII white space at its ends (a DLT viewer puts one space
/// between arguments).
fn trimmed(text: &[u8], from: usize) -> Range<usize> {
    let piece = &text[from..];
    let start = piece.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(piece.len());
    let end = piece.iter().rposition(|b| !b.is_ascii_whitespace()).map_or(start, |e| e + 1);
    from + start..from + end
}

/// How an argument shows without a conversion to say: a `char` as a character.
fn own_show(t: ArgType) -> Show {
    if t == ArgType::Char {
        Show::Char
    } else {
        Show::Plain
    }
}

/// Appends one argument as a typed verbose argument.
fn put_arg(out: &mut Vec<u8>, a: &Arg<'_>, show: Show) {
    let width = a.ty.fixed_size();
    let bits = match a.value {
        ArgValue::Int(v) => Some(v as u64),
        ArgValue::Uint(v) if a.ty != ArgType::Bool => Some(v),
        _ => None,
    };
    match (bits, show) {
        (Some(v), Show::Char) => return protocol::arg_string(out, true, &[&[v as u8]]),
        (Some(v), Show::WideChar) => {
            let c = char::from_u32(v as u32).unwrap_or(char::REPLACEMENT_CHARACTER);
            return protocol::arg_string(out, true, &[c.encode_utf8(&mut [0; 4]).as_bytes()]);
        }
        _ => {}
    }
    match (a.value, show) {
        (ArgValue::Int(v), Show::Hex) => protocol::arg_uint(out, width, v as u64, true),
        (ArgValue::Int(v), _) => protocol::arg_sint(out, width, v),
        (ArgValue::Uint(v), _) if a.ty == ArgType::Bool => protocol::arg_bool(out, v != 0),
        (ArgValue::Uint(v), show) => protocol::arg_uint(out, width, v, show == Show::Hex),
        (ArgValue::Float(v), _) if a.ty == ArgType::F32 => protocol::arg_f32(out, v as f32),
        (ArgValue::Float(v), _) => protocol::arg_f64(out, v),
        (ArgValue::Ptr(v), _) => protocol::arg_uint(out, 8, v, true),
        (ArgValue::Str { null: true, .. }, _) => protocol::arg_string(out, true, &[b"(null)"]),
        (ArgValue::Str { bytes, truncated, .. }, _) => {
            let mark: &[u8] = if truncated { TRUNCATED.as_bytes() } else { b"" };
            protocol::arg_string(out, true, &[bytes, mark]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::message::{STR_NULL, STR_TRUNCATED};

    const APP: App = App { apid: *b"RTLG", pid: 7 };

    fn site(format: &str, level: Level, types: &[ArgType]) -> Site {
        Site::new(&CallSite {
            id: 1,
            line: 1,
            level,
            arg_types: types.to_vec(),
            file: "f.c".into(),
            function: "f".into(),
            format: format.into(),
        })
    }

    /// A message frame's payload: call-site id 1, then the packed arguments.
    fn message(args: &[(ArgType, &[u8])]) -> Vec<u8> {
        let mut b = vec![1, 0, 0, 0, 0, 0, 0, 0, args.len() as u8];
        b.extend(args.iter().map(|(t, _)| *t as u8));
        for (_, v) in args {
            b.extend_from_slice(v);
        }
        b
    }

    fn string(s: &[u8], flags: u16) -> Vec<u8> {
        let mut v = (s.len() as u16 | flags).to_le_bytes().to_vec();
        v.extend_from_slice(s);
        v
    }

    /// Encodes `message` and splits the DLT message into (msin, noar, [(type info, value)]),
    /// reading each argument's size from its type info alone, as a DLT client does.
    fn encode(site: &Site, message: &[u8]) -> (u8, u8, Vec<(u32, Vec<u8>)>) {
        let h = LogHeader {
            ctid: *b"CTX1",
            mcnt: 0,
            level: DltLevel::Info,
            timestamp_ns: 0,
            verbose: false,
            noar: 0,
        };
        let mut out = Vec::new();
        site.log(&mut out, &APP, &h, message);
        let dlt = &out[protocol::USER_HEADER_BYTES..];
        assert_eq!(u16::from_be_bytes([dlt[2], dlt[3]]) as usize, dlt.len(), "length");
        let mut p = &dlt[protocol::DLT_HEADER_BYTES..];
        assert!(p.len() <= site.payload_bound(message.len()), "bound");
        let mut args = Vec::new();
        while !p.is_empty() {
            let info = u32::from_le_bytes(p[..4].try_into().unwrap());
            let n = if info & 0x200 != 0 {
                2 + u16::from_le_bytes([p[4], p[5]]) as usize
            } else {
                1 << ((info & 0xf) - 1)
            };
            args.push((info, p[4..4 + n].to_vec()));
            p = &p[4 + n..];
        }
        (dlt[16], dlt[17], args)
    }

    fn text(s: &str) -> (u32, Vec<u8>) {
        let mut v = ((s.len() + 1) as u16).to_le_bytes().to_vec();
        v.extend_from_slice(s.as_bytes());
        v.push(0);
        (0x8200, v)
    }

    #[test]
    fn text_and_typed_values_alternate_in_the_formats_order() {
        use ArgType::*;
        let s = site(
            "joint %u over %.3f (%d, %hhd, %lld) %c%c flag=%d %s!",
            Level::Warn,
            &[U32, F64, I16, I8, I64, Char, I32, Bool, Str],
        );
        let m = message(&[
            (U32, &3u32.to_le_bytes()),
            (F64, &12.5f64.to_le_bytes()),
            (I16, &(-300i16).to_le_bytes()),
            (I8, &[0x80]),
            (I64, &(-1i64 << 40).to_le_bytes()),
            (Char, b"A"),
            (I32, &66i32.to_le_bytes()),
            (Bool, &[1]),
            (Str, &string(b"ok", 0)),
        ]);
        let (msin, noar, args) = encode(&s, &m);
        assert_eq!(msin, (3 << 4) | 1, "log, WARN, verbose");
        assert_eq!(noar as usize, args.len());
        let char_b = (0x8200, vec![2, 0, b'B', 0]);
        let expected = vec![
            text("joint"),
            (0x43, 3u32.to_le_bytes().to_vec()), // UINT | 32 bit
            text("over"),
            (0x84, 12.5f64.to_le_bytes().to_vec()), // FLOA | 64 bit
            text("("),
            (0x22, (-300i16).to_le_bytes().to_vec()), // SINT | 16 bit
            text(","),
            (0x21, vec![0x80]), // SINT | 8 bit
            text(","),
            (0x24, (-1i64 << 40).to_le_bytes().to_vec()),
            text(")"),
            (0x8200, vec![2, 0, b'A', 0]), // %c: a one-character string
            char_b,                        // %c of an int: its low byte
            text("flag="),
            (0x11, vec![1]), // BOOL | 8 bit
            text("ok"),      // the `%s` value: a string argument like the texts
            text("!"),       // "%s!": the text after it is an argument of its own
        ];
        assert_eq!(args, expected);
    }

    #[test]
    fn hex_conversions_pointers_floats_and_strings_keep_their_types() {
        use ArgType::*;
        let s = site(
            "%x %X %p %hx %f %s %s %s",
            Level::Trace,
            &[I32, U64, Ptr, U16, F32, Str, Str, Str],
        );
        let m = message(&[
            (I32, &(-1i32).to_le_bytes()),
            (U64, &0xABCDu64.to_le_bytes()),
            (Ptr, &0xdead_beefu64.to_le_bytes()),
            (U16, &0x1234u16.to_le_bytes()),
            (F32, &1.5f32.to_le_bytes()),
            (Str, &string(b"cut", STR_TRUNCATED)),
            (Str, &string(b"", STR_NULL)),
            (Str, &string("é".as_bytes(), 0)),
        ]);
        let (msin, noar, args) = encode(&s, &m);
        assert_eq!(msin, (6 << 4) | 1, "TRACE is DLT's VERBOSE");
        assert_eq!(noar, 8, "no text between the values");
        assert_eq!(args[0], (0x1_0043, vec![0xff; 4]), "UINT 32 hex: %x of an int");
        assert_eq!(args[1], (0x1_0044, 0xABCDu64.to_le_bytes().to_vec()));
        assert_eq!(args[2], (0x1_0044, 0xdead_beefu64.to_le_bytes().to_vec()), "pointer");
        assert_eq!(args[3], (0x1_0042, 0x1234u16.to_le_bytes().to_vec()));
        assert_eq!(args[4], (0x83, 1.5f32.to_le_bytes().to_vec()), "FLOA 32");
        assert_eq!(args[5], text("cut…"), "a cut string ends in the renderer's mark");
        assert_eq!(args[6], text("(null)"));
        assert_eq!(args[7], text("é"));
    }

    #[test]
    fn wide_characters_are_utf8_as_the_renderer_prints_them() {
        use ArgType::*;
        let s = site("%lc%C%lc", Level::Info, &[I32, U32, I64]);
        let m = message(&[
            (I32, &0x20ACi32.to_le_bytes()),
            (U32, &0x41u32.to_le_bytes()),
            (I64, &0xD800i64.to_le_bytes()), // a surrogate: no character
        ]);
        let (_, _, args) = encode(&s, &m);
        assert_eq!(args, [text("€"), text("A"), text("\u{FFFD}")]);
    }

    #[test]
    fn a_format_that_is_not_one_conversion_per_argument_is_sent_whole() {
        use ArgType::*;
        for (fmt, types) in
            [("width %*d", &[I32, I32][..]), ("%2$d %1$d", &[I32, I32]), ("two %d %d", &[I32])]
        {
            let s = site(fmt, Level::Info, types);
            let values: Vec<[u8; 4]> = (0..types.len() as i32).map(|v| v.to_le_bytes()).collect();
            let packed: Vec<(ArgType, &[u8])> =
                types.iter().zip(&values).map(|(t, v)| (*t, &v[..])).collect();
            let (_, noar, args) = encode(&s, &message(&packed));
            assert_eq!(noar as usize, 1 + types.len(), "{fmt}");
            assert_eq!(args[0], text(fmt), "{fmt}");
            for (i, a) in args[1..].iter().enumerate() {
                assert_eq!(*a, (0x23, (i as i32).to_le_bytes().to_vec()), "{fmt}");
            }
        }
        let s = site("no arguments\n", Level::Fatal, &[]);
        let (msin, noar, args) = encode(&s, &message(&[]));
        assert_eq!((msin, noar), ((1 << 4) | 1, 1));
        assert_eq!(args, [text("no arguments")]);
    }

    #[test]
    fn the_size_bound_holds_for_the_largest_growth() {
        use ArgType::*;
        // NULL strings and `%c` grow the most; every `encode` asserts the bound.
        let types = [Str; 16];
        let s = site(&"%s".repeat(16), Level::Info, &types);
        let null = string(b"", STR_NULL);
        let packed: Vec<(ArgType, &[u8])> = types.iter().map(|&t| (t, &null[..])).collect();
        let m = message(&packed);
        let (_, _, args) = encode(&s, &m);
        assert_eq!(args.len(), 16);
        let exact = 16 * protocol::string_arg_bytes(6);
        assert_eq!(s.payload_bound(m.len()), exact, "the bound is exact for NULL strings");
        let s = site("%c", Level::Info, &[I64]);
        encode(&s, &message(&[(I64, &65i64.to_le_bytes())]));
    }
}
