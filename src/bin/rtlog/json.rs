//! JSON string literals, written by hand: the tool only ever emits flat objects of numbers and
//! strings, and producer names are the only strings that come from users.

use std::fmt::Write;

/// Appends `s` as a JSON string literal (quotes included), escaping what RFC 8259 requires.
pub fn push_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 || c == '\u{7f}' => {
                // Writing to a String cannot fail.
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(s: &str) -> String {
        let mut out = String::new();
        push_str(&mut out, s);
        out
    }

    #[test]
    fn escapes_quotes_backslashes_and_controls() {
        assert_eq!(lit("arm"), r#""arm""#);
        assert_eq!(lit(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(lit("l1\nl2\t\u{1}"), r#""l1\nl2\t\u0001""#);
        assert_eq!(lit("bras-gauche-é"), "\"bras-gauche-é\"");
    }
}
