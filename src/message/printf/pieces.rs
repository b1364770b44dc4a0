//! A printf format cut at its conversions, for sinks that carry a message's arguments as typed
//! values instead of text (the DLT sink's verbose messages). Non-RT: once per call site.

use super::{parse, Args, Len, Rendered};

/// One piece of a format, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Piece<'f> {
    /// Text that prints as it is written (`%%` comes as its own `"%"`, `%m` as `"%m"`, a
    /// format that ends inside a conversion as that text, as [`super::render`] prints them).
    Text(&'f [u8]),
    /// A conversion that prints exactly the next argument, by its conversion character
    /// (`d`, `u`, `x`, `c`, `s`, `p`, `f`, ...). A wide `%lc` (any 64-bit length modifier on
    /// `%c`, as glibc reads it) comes as `C`, which prints the same.
    Value(u8),
    /// A conversion that does not print just the next argument: a `*` width or precision
    /// (which takes an argument of its own), a positional `n$`, `%n`, or an unknown conversion.
    Other,
}

/// The conversions that print one argument.
const VALUE_CONVERSIONS: &[u8] = b"diuoxXbBcCpsSfFeEgGaA";

/// Calls `each` with the pieces of `fmt`, in order. Never panics, whatever `fmt` is.
pub fn pieces<'f>(fmt: &'f [u8], mut each: impl FnMut(Piece<'f>)) {
    let mut rest = fmt;
    while let Some(at) = rest.iter().position(|&b| b == b'%') {
        if at > 0 {
            each(Piece::Text(&rest[..at]));
        }
        rest = &rest[at..];
        // No arguments: a `*` shows as a missing one.
        let mut args = Args { list: &[], next: 0, report: Rendered::default() };
        let Some((spec, len)) = parse(rest, &mut args) else {
            break;
        };
        let raw = &rest[..len];
        each(match spec.conversion {
            b'%' => Piece::Text(b"%"),
            b'm' => Piece::Text(raw),
            _ if args.report.missing > 0 || spec.at.is_some() => Piece::Other,
            b'c' if matches!(spec.len, Len::Long | Len::LongLong) => Piece::Value(b'C'),
            c if VALUE_CONVERSIONS.contains(&c) => Piece::Value(c),
            _ => Piece::Other,
        });
        rest = &rest[len..];
    }
    if !rest.is_empty() {
        each(Piece::Text(rest));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(fmt: &str) -> Vec<Piece<'_>> {
        let mut v = Vec::new();
        pieces(fmt.as_bytes(), |p| v.push(p));
        v
    }

    #[test]
    fn text_and_values_alternate() {
        use Piece::*;
        assert_eq!(
            split("joint %u over %-8.3f limit%%!"),
            [
                Text(b"joint "),
                Value(b'u'),
                Text(b" over "),
                Value(b'f'),
                Text(b" limit"),
                Text(b"%"),
                Text(b"!")
            ]
        );
        assert_eq!(split("%lld%hhx%s"), [Value(b'd'), Value(b'x'), Value(b's')]);
        assert_eq!(split("%c%lc%zc%C"), [Value(b'c'), Value(b'C'), Value(b'C'), Value(b'C')]);
        assert_eq!(split("%m and 100%"), [Text(b"%m"), Text(b" and 100"), Text(b"%")]);
        assert_eq!(split(""), []);
    }

    #[test]
    fn conversions_that_take_other_arguments_are_other() {
        use Piece::*;
        assert_eq!(split("%*d"), [Other]);
        assert_eq!(split("%.*f"), [Other]);
        assert_eq!(split("%2$d %1$d"), [Other, Text(b" "), Other]);
        assert_eq!(split("%n%y"), [Other, Other]);
        assert_eq!(split("a %5"), [Text(b"a "), Text(b"%5")]);
    }
}
