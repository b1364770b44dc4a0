//! A typed record's fields as text or JSON (shared by `rtlog dump`, `rtlog tail` and
//! `rtlog_reader_format`, so all of them print the same).
//!
//! Values: integers exactly; floats in their shortest round-trip form (`0.125`, `-1`, `1e300`;
//! an `f32` as an `f32`); `bool` as `true`/`false` (any byte other than 0 is true); `char[N]`
//! as a string cut at the first NUL (bytes that are not UTF-8 become U+FFFD); arrays as
//! `[a,b,c]`. Text strings are quoted with JSON escapes. JSON has no NaN or infinity: those
//! are `null` there, and `NaN`, `inf`, `-inf` in text.

use super::{Field, Layout, RecordType, Scalar};
pub use crate::message::json::push_json_str;
use std::fmt::Write;

/// Appends `name{field=value field=value}`; `false` (nothing appended) when the payload's
/// length is not the type's size.
pub fn push_text(out: &mut String, t: &RecordType, payload: &[u8]) -> bool {
    if payload.len() != t.layout.size() as usize {
        return false;
    }
    out.push_str(&t.name);
    out.push('{');
    for (i, f) in t.layout.fields().iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(&f.name);
        out.push('=');
        push_value(out, f, payload, false);
    }
    out.push('}');
    true
}

/// Appends the fields as one JSON object, `{"field":value,...}`; `false` (nothing appended)
/// when the payload's length is not the layout's size.
pub fn push_json(out: &mut String, layout: &Layout, payload: &[u8]) -> bool {
    if payload.len() != layout.size() as usize {
        return false;
    }
    out.push('{');
    for (i, f) in layout.fields().iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_json_str(out, &f.name);
        out.push(':');
        push_value(out, f, payload, true);
    }
    out.push('}');
    true
}

/// One field's value; `payload` holds the whole record.
fn push_value(out: &mut String, f: &Field, payload: &[u8], json: bool) {
    let start = f.offset as usize;
    let bytes = &payload[start..start + f.size() as usize];
    if f.scalar == Scalar::Char {
        let text = bytes.split(|&b| b == 0).next().unwrap_or_default();
        push_json_str(out, &String::from_utf8_lossy(text));
        return;
    }
    let width = f.scalar.size() as usize;
    if f.array_len == 0 {
        push_scalar(out, f.scalar, bytes, json);
        return;
    }
    out.push('[');
    for (i, element) in bytes.chunks_exact(width).enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_scalar(out, f.scalar, element, json);
    }
    out.push(']');
}

/// Appends element `index` of the numeric or bool field `f` (0 for a field that is no array) of
/// the record `payload` as text, as [`push_text`] writes it: one CSV cell, or one value of a
/// plot. The caller checks that `payload` is the type's size and `index` below the count.
pub fn push_element(out: &mut String, f: &Field, index: usize, payload: &[u8]) {
    let width = f.scalar.size() as usize;
    let start = f.offset as usize + index * width;
    push_scalar(out, f.scalar, &payload[start..start + width], false);
}

fn push_scalar(out: &mut String, s: Scalar, b: &[u8], json: bool) {
    fn arr<const N: usize>(b: &[u8]) -> [u8; N] {
        b.try_into().expect("the caller slices by the scalar's size")
    }
    // Writing to a String cannot fail.
    let _ = match s {
        Scalar::I8 => write!(out, "{}", i8::from_le_bytes(arr(b))),
        Scalar::I16 => write!(out, "{}", i16::from_le_bytes(arr(b))),
        Scalar::I32 => write!(out, "{}", i32::from_le_bytes(arr(b))),
        Scalar::I64 => write!(out, "{}", i64::from_le_bytes(arr(b))),
        Scalar::U8 => write!(out, "{}", b[0]),
        Scalar::U16 => write!(out, "{}", u16::from_le_bytes(arr(b))),
        Scalar::U32 => write!(out, "{}", u32::from_le_bytes(arr(b))),
        Scalar::U64 => write!(out, "{}", u64::from_le_bytes(arr(b))),
        Scalar::F32 => {
            let v = f32::from_le_bytes(arr(b));
            push_float(out, v.is_finite(), f64::from(v).abs(), v, json)
        }
        Scalar::F64 => {
            let v = f64::from_le_bytes(arr(b));
            push_float(out, v.is_finite(), v.abs(), v, json)
        }
        Scalar::Bool => write!(out, "{}", b[0] != 0),
        Scalar::Char => unreachable!("char fields are strings"),
    };
}

/// Shortest round-trip form; exponent notation outside `1e-5 ..< 1e16`, where plain digits
/// would run long. Both forms are valid JSON numbers.
fn push_float<F>(
    out: &mut String,
    finite: bool,
    magnitude: f64,
    v: F,
    json: bool,
) -> std::fmt::Result
where
    F: std::fmt::Display + std::fmt::LowerExp + PartialOrd + Default,
{
    if !finite {
        let text = if json {
            "null"
        } else if magnitude.is_nan() {
            "NaN"
        } else if v < F::default() {
            "-inf"
        } else {
            "inf"
        };
        out.push_str(text);
        return Ok(());
    }
    if magnitude == 0.0 || (1e-5..1e16).contains(&magnitude) {
        write!(out, "{v}")
    } else {
        write!(out, "{v:e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn axis() -> RecordType {
        let layout = Layout::parse(
            "u32 axis; f64 position; f64 velocity; bool enabled; char[16] mode; i16[2] raw",
        )
        .unwrap();
        RecordType { id: 1, name: "axis_state".into(), layout }
    }

    fn axis_payload() -> Vec<u8> {
        let mut b = vec![0u8; 48];
        b[0..4].copy_from_slice(&2u32.to_le_bytes());
        b[8..16].copy_from_slice(&0.125f64.to_le_bytes());
        b[16..24].copy_from_slice(&(-1.0f64).to_le_bytes());
        b[24] = 1;
        b[25..31].copy_from_slice(b"homing");
        b[31] = 0;
        b[32..35].copy_from_slice(b"xyz"); // after the NUL: not shown
        b[42..44].copy_from_slice(&(-7i16).to_le_bytes());
        b[44..46].copy_from_slice(&300i16.to_le_bytes());
        b
    }

    #[test]
    fn text_and_json_show_every_field() {
        let (t, p) = (axis(), axis_payload());
        assert_eq!(t.layout.size(), 48);
        let mut s = String::new();
        assert!(push_text(&mut s, &t, &p));
        assert_eq!(
            s,
            "axis_state{axis=2 position=0.125 velocity=-1 enabled=true mode=\"homing\" \
             raw=[-7,300]}"
        );
        s.clear();
        assert!(push_json(&mut s, &t.layout, &p));
        assert_eq!(
            s,
            "{\"axis\":2,\"position\":0.125,\"velocity\":-1,\"enabled\":true,\"mode\":\"homing\",\
             \"raw\":[-7,300]}"
        );
    }

    #[test]
    fn a_payload_of_another_size_is_not_decoded() {
        let mut s = String::new();
        assert!(!push_text(&mut s, &axis(), &[0u8; 47]));
        assert!(!push_json(&mut s, &axis().layout, &[0u8; 49]));
        assert!(s.is_empty());
    }

    fn one(layout: &str, bytes: &[u8], json: bool) -> String {
        let layout = Layout::parse(layout).unwrap();
        let mut s = String::new();
        push_value(&mut s, &layout.fields()[0], bytes, json);
        s
    }

    #[test]
    fn extreme_values() {
        assert_eq!(one("i64 v", &i64::MIN.to_le_bytes(), true), "-9223372036854775808");
        assert_eq!(one("u64 v", &u64::MAX.to_le_bytes(), true), "18446744073709551615");
        assert_eq!(one("i8 v", &[0x80], true), "-128");
        assert_eq!(one("f32 v", &0.1f32.to_le_bytes(), true), "0.1");
        assert_eq!(one("f64 v", &1e300f64.to_le_bytes(), true), "1e300");
        assert_eq!(one("f64 v", &(-2.5e-7f64).to_le_bytes(), true), "-2.5e-7");
        assert_eq!(one("f64 v", &(-0.0f64).to_le_bytes(), true), "-0");
        assert_eq!(one("f64 v", &f64::NAN.to_le_bytes(), true), "null");
        assert_eq!(one("f64 v", &f64::NAN.to_le_bytes(), false), "NaN");
        assert_eq!(one("f32 v", &f32::NEG_INFINITY.to_le_bytes(), false), "-inf");
        assert_eq!(one("f64 v", &f64::INFINITY.to_le_bytes(), false), "inf");
        assert_eq!(one("bool v", &[7], false), "true");
        assert_eq!(one("char[4] v", b"abcd", false), "\"abcd\"", "a full array has no NUL");
        assert_eq!(one("char[4] v", b"a\"\n\xff", false), "\"a\\\"\\n\u{fffd}\"");
        assert_eq!(one("char[2] v", b"\0z", false), "\"\"");
    }

    #[test]
    fn json_strings_escape_quotes_backslashes_and_controls() {
        let lit = |s: &str| {
            let mut out = String::new();
            push_json_str(&mut out, s);
            out
        };
        assert_eq!(lit("arm"), r#""arm""#);
        assert_eq!(lit(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(lit("l1\nl2\t\u{1}"), r#""l1\nl2\t\u0001""#);
        assert_eq!(lit("bras-gauche-é"), "\"bras-gauche-é\"");
    }
}
