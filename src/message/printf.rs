//! A printf renderer that prints what glibc's `printf` prints, byte for byte, from arguments
//! decoded from the log rather than read from a `va_list`.
//!
//! Non-RT: it runs on the reader's side, once per message. It allocates nothing of its own for
//! integer and string conversions; a float conversion uses two scratch buffers that live for
//! one [`render_bytes`] call.
//!
//! # What it follows
//!
//! glibc 2.36 in the C locale, on an LP64 target (`long` is 64 bits): the flags `-`, `+`,
//! space, `#`, `0` (and `'`, `I`, which change nothing in the C locale), field width and
//! precision, both also as `*` (an `int` argument: a negative width means `-`, a negative
//! precision means none), positional arguments (`%2$d`, `%*1$d`), the length modifiers
//! `hh h l ll L q j z Z t`, and the conversions `%d %i %u %o %x %X %b %B %c %s %p %f %F %e %E
//! %g %G %a %A %%`, with `%C`/`%lc` and `%S`/`%ls` as below. `tests/printf_vs_libc.rs` compares
//! it with the C library's `snprintf` over the product of flags, widths, precisions, length
//! modifiers, conversions and edge values.
//!
//! - **Integer widths.** The C macros store each argument at its declared C type's width, so
//!   an [`Arg`] already holds the value C passed. The length modifier still truncates as C's
//!   `va_arg` would: no modifier reads an `int`, `hh` a `char`, `h` a `short`, the others 64
//!   bits. `%hhd` of `Int(300)` prints `44`, and `%d` of `Int(1 << 32)` prints `0`.
//! - **Floats** are correctly rounded, ties to even (glibc rounds the exact binary value in the
//!   default rounding mode): `%e`, `%f` and `%g` come from Rust's exact formatting, `%a` is
//!   built here in glibc's form (`0x1.8p+1`; `0x0p+0`; subnormals `0x0.0000000000001p-1022`;
//!   a rounding carry shows as `0x2p+0`, as glibc prints it). glibc's `%#g` of a value just
//!   below 10^P that rounds up to it prints no decimals (`%#g` of 999999.5 is `1.e+06`, where
//!   C says `1.00000e+06`); so does this. `L` is accepted and ignored: the argument is a
//!   `double`, and `%La` prints the `double`'s form, not the x87 one.
//! - **`%lc` and `%ls`** (and `%C`, `%S`, and `%c`, `%s` with any 64-bit length modifier, as
//!   glibc reads them) print the character (a Unicode scalar value, else U+FFFD) and the
//!   string's bytes; glibc would convert through the locale and fail on non-ASCII in "C".
//!
//! # What C leaves undefined, and what this renderer does
//!
//! - **A missing argument** (for a conversion or a `*`) prints [`MISSING`] in place of the
//!   conversion (a `*` without an argument counts as 0) and is counted in
//!   [`Rendered::missing`]. Nothing past `args` is ever read.
//! - **An argument of the wrong kind.** The integer conversions, `%c` and `%p` take `Int`,
//!   `Uint` and `Ptr` by their bits, as C's `va_arg` does (`%x` of `Int(-1)` is `ffffffff`);
//!   the float conversions take `Float`; `%s` takes `Str` (and `Ptr(0)`, the NULL pointer,
//!   which prints `(null)` as glibc does). Any other pairing prints the argument with its own
//!   conversion — `Int` as `%lld`, `Uint` as `%llu`, `Float` as `%g`, `Ptr` as `%p`, `Str` as
//!   `%s` — keeping the flags and the width, dropping the precision (its meaning differs
//!   between the kinds), and counts in [`Rendered::mismatched`]. `%.2f` of `Int(7)` is `7`.
//! - **Positional arguments** (`%2$d`) read the argument they name; the others read in order,
//!   as if the positional ones were not there (C leaves mixing the two undefined).
//! - **Extra arguments** are ignored; [`Rendered::consumed`] says how many were used, so the
//!   caller can append the rest.
//! - **`%n`** consumes its argument and writes nothing: no memory is ever stored to.
//! - **`%m`** (glibc's `strerror(errno)`) prints `%m` as written: the producer's `errno` is
//!   not in the log.
//! - **Invalid syntax.** An unknown conversion prints as glibc's `printf` prints it: `%`, the
//!   flags in glibc's order, the width and precision (a `*` replaced by its value) and the
//!   character, without the length modifier (`%-5.3ly` prints `%-5.3y`). A format that ends
//!   inside a conversion (`"100%"`) prints that text as written, where glibc fails the whole
//!   call with `EINVAL`.
//! - **A string the producer cut** (`Str { truncated: true }`) is followed by [`TRUNCATED`],
//!   which takes one column of the field width, and sets [`Rendered::truncated`]. When the
//!   precision already cuts the stored bytes, the output is what C would print and no marker
//!   is added (the report still says the producer cut a string).
//! - **Field width and precision** are capped at [`MAX_FIELD`], so a hostile format cannot
//!   make one message megabytes long (glibc has no cap below `INT_MAX`).
//! - **Bytes that are not UTF-8** (from a string, `%c`, or the format itself) become U+FFFD in
//!   [`render`]'s `String`; [`render_bytes`] gives the bytes as C would print them.

mod float;
mod pieces;

pub use pieces::{pieces, Piece};

use std::io::Write as _;

/// One argument of a message, as decoded from the log.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Arg<'a> {
    /// A signed integer of any width, sign-extended.
    Int(i64),
    /// An unsigned integer of any width, zero-extended.
    Uint(u64),
    /// A `float` or `double` (C's variadic calls promote `float` to `double`).
    Float(f64),
    /// A pointer, for `%p`.
    Ptr(u64),
    /// A string for `%s`: its bytes (maybe not UTF-8), and whether the producer cut it.
    Str {
        /// The bytes the producer stored, without a terminating NUL.
        bytes: &'a [u8],
        /// The producer stored only the first `bytes.len()` bytes of a longer string.
        truncated: bool,
    },
}

impl Arg<'_> {
    /// The integer's or pointer's bits, as C's `va_arg` would see them.
    fn bits(&self) -> Option<u64> {
        match *self {
            Arg::Int(v) => Some(v as u64),
            Arg::Uint(v) | Arg::Ptr(v) => Some(v),
            Arg::Float(_) | Arg::Str { .. } => None,
        }
    }

    /// The conversion that prints this kind of argument as itself.
    fn own_conversion(&self) -> u8 {
        match self {
            Arg::Int(_) => b'd',
            Arg::Uint(_) => b'u',
            Arg::Float(_) => b'g',
            Arg::Ptr(_) => b'p',
            Arg::Str { .. } => b's',
        }
    }
}

/// What happened while rendering a message.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rendered {
    /// How many arguments the format used: one past the highest index it read.
    pub consumed: usize,
    /// How many conversions (or `*` widths and precisions) had no argument.
    pub missing: usize,
    /// How many arguments were of a kind their conversion does not take.
    pub mismatched: usize,
    /// Some `%s` printed a string that the producer had cut.
    pub truncated: bool,
}

/// What a conversion without an argument prints.
pub const MISSING: &str = "<missing>";

/// What follows the text of a `%s` whose string the producer cut.
pub const TRUNCATED: &str = "…";

/// The largest field width and precision the renderer honours.
pub const MAX_FIELD: usize = 4096;

/// Renders `fmt` with `args` as glibc's `printf` would, appending to `out`; bytes that are not
/// UTF-8 become U+FFFD. Non-RT. Never panics, whatever `fmt` and `args` are.
pub fn render(out: &mut String, fmt: &[u8], args: &[Arg]) -> Rendered {
    let mut bytes = std::mem::take(out).into_bytes();
    let start = bytes.len();
    let rendered = render_bytes(&mut bytes, fmt, args);
    if std::str::from_utf8(&bytes[start..]).is_err() {
        let text = String::from_utf8_lossy(&bytes[start..]).into_owned();
        bytes.truncate(start);
        bytes.extend_from_slice(text.as_bytes());
    }
    // SAFETY: `bytes[..start]` is the `String` that `out` held, and `bytes[start..]` was just
    // checked to be UTF-8 or replaced by `from_utf8_lossy`'s output; two UTF-8 sequences
    // joined are UTF-8.
    *out = unsafe { String::from_utf8_unchecked(bytes) };
    rendered
}

/// Renders `fmt` with `args` as glibc's `printf` would, appending the bytes it would write to
/// `out`. Non-RT. Never panics, whatever `fmt` and `args` are.
pub fn render_bytes(out: &mut Vec<u8>, fmt: &[u8], args: &[Arg]) -> Rendered {
    let mut args = Args { list: args, next: 0, report: Rendered::default() };
    let mut scratch = float::Scratch::default();
    let mut rest = fmt;
    while let Some(at) = rest.iter().position(|&b| b == b'%') {
        out.extend_from_slice(&rest[..at]);
        rest = &rest[at..];
        let Some((spec, len)) = parse(rest, &mut args) else {
            // The format ends inside a conversion: glibc fails; we show the text.
            break;
        };
        convert(out, &spec, &rest[..len], &mut args, &mut scratch);
        rest = &rest[len..];
    }
    out.extend_from_slice(rest);
    args.report
}

/// The arguments, the cursor of the non-positional conversions, and the report.
struct Args<'b, 'a> {
    list: &'b [Arg<'a>],
    /// The index the next non-positional conversion reads.
    next: usize,
    report: Rendered,
}

impl<'b, 'a> Args<'b, 'a> {
    /// The argument at `at` (positional) or the next one, counted in the report.
    fn take(&mut self, at: Option<usize>) -> Option<&'b Arg<'a>> {
        let i = at.unwrap_or_else(|| {
            self.next += 1;
            self.next - 1
        });
        let arg = self.list.get(i);
        match arg {
            Some(_) => self.report.consumed = self.report.consumed.max(i + 1),
            None => self.report.missing += 1,
        }
        arg
    }

    /// A `*` width or precision: an `int`, as C reads it; 0 when missing or not an integer.
    fn int(&mut self, at: Option<usize>) -> i64 {
        let Some(arg) = self.take(at) else { return 0 };
        match arg.bits() {
            Some(bits) => i64::from(bits as i32),
            None => {
                self.report.mismatched += 1;
                0
            }
        }
    }
}

/// The C type an integer conversion reads (`Long` is `l`; on `%c` it and `LongLong` mean a
/// wide character).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Len {
    Char,
    Short,
    #[default]
    Int,
    Long,
    LongLong,
}

/// One parsed conversion specification.
#[derive(Clone, Copy, Debug, Default)]
struct Spec {
    /// The argument's index for `%n$`; `None` takes the next one.
    at: Option<usize>,
    left: bool,
    plus: bool,
    space: bool,
    alt: bool,
    zero: bool,
    group: bool,
    i18n: bool,
    width: usize,
    precision: Option<usize>,
    len: Len,
    conversion: u8,
}

/// Parses the conversion at the start of `f` (which begins with `%`), taking the arguments of
/// its `*`s. Returns the specification and its length, or `None` if `f` ends inside it.
fn parse(f: &[u8], args: &mut Args) -> Option<(Spec, usize)> {
    let mut spec = Spec::default();
    let mut i = 1;
    spec.at = position(f, &mut i);
    while let Some(&c) = f.get(i) {
        match c {
            // As in glibc, `-` cancels an earlier `0` and a later `0` is ignored, but a
            // negative `*` width does not cancel it (which only shows in `unknown`).
            b'-' => (spec.left, spec.zero) = (true, false),
            b'+' => spec.plus = true,
            b' ' => spec.space = true,
            b'#' => spec.alt = true,
            b'0' => spec.zero = !spec.left,
            b'\'' => spec.group = true,
            b'I' => spec.i18n = true,
            _ => break,
        }
        i += 1;
    }
    if let Some(width) = star_or_number(f, &mut i, args) {
        spec.left |= width < 0;
        spec.width = capped(width.unsigned_abs());
    }
    if f.get(i) == Some(&b'.') {
        i += 1;
        // `.` alone is 0; a negative `*` is no precision.
        spec.precision = match star_or_number(f, &mut i, args) {
            Some(p) if p < 0 => None,
            p => Some(capped(p.unwrap_or(0).unsigned_abs())),
        };
    }
    let (len, n) = match (f.get(i), f.get(i + 1)) {
        (Some(b'h'), Some(b'h')) => (Len::Char, 2),
        (Some(b'h'), _) => (Len::Short, 1),
        (Some(b'l'), Some(b'l')) => (Len::LongLong, 2),
        (Some(b'l'), _) => (Len::Long, 1),
        (Some(b'L' | b'q' | b'j' | b'z' | b'Z' | b't'), _) => (Len::LongLong, 1),
        _ => (Len::Int, 0),
    };
    spec.len = len;
    i += n;
    spec.conversion = *f.get(i)?;
    Some((spec, i + 1))
}

/// A width or precision at `*i`: `*` or `*n$` (taking its `int` argument) or digits, moving
/// `*i` past it; `None` if there is neither.
fn star_or_number(f: &[u8], i: &mut usize, args: &mut Args) -> Option<i64> {
    if f.get(*i) == Some(&b'*') {
        *i += 1;
        let at = position(f, i);
        Some(args.int(at))
    } else {
        number(f, i).map(|n| i64::try_from(n).unwrap_or(i64::MAX))
    }
}

/// A `n$` at `*i`: the 0-based argument index, past the `$`; otherwise `None`, `*i` unmoved.
fn position(f: &[u8], i: &mut usize) -> Option<usize> {
    let mut j = *i;
    let n = number(f, &mut j)?;
    if n == 0 || f.get(j) != Some(&b'$') {
        return None;
    }
    *i = j + 1;
    Some(usize::try_from(n - 1).unwrap_or(usize::MAX))
}

/// The decimal number at `*i` (saturating), moving `*i` past it; `None` if there is no digit.
fn number(f: &[u8], i: &mut usize) -> Option<u64> {
    let digits = f[*i..].iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 {
        return None;
    }
    let n = f[*i..*i + digits]
        .iter()
        .fold(0u64, |n, d| n.saturating_mul(10).saturating_add(u64::from(d - b'0')));
    *i += digits;
    Some(n)
}

fn capped(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX).min(MAX_FIELD)
}

/// Prints one conversion; `raw` is its text in the format.
fn convert(out: &mut Vec<u8>, spec: &Spec, raw: &[u8], args: &mut Args, s: &mut float::Scratch) {
    let fits: fn(&Arg) -> bool = match spec.conversion {
        b'%' => return out.push(b'%'),
        b'm' => return out.extend_from_slice(raw),
        b'n' => |_| true,
        b'd' | b'i' | b'u' | b'o' | b'x' | b'X' | b'b' | b'B' | b'c' | b'C' | b'p' => {
            |a| a.bits().is_some()
        }
        b's' | b'S' => |a| matches!(a, Arg::Str { .. } | Arg::Ptr(0)),
        b'f' | b'F' | b'e' | b'E' | b'g' | b'G' | b'a' | b'A' => |a| matches!(a, Arg::Float(_)),
        _ => return unknown(out, spec),
    };
    let Some(arg) = args.take(spec.at) else {
        return out.extend_from_slice(MISSING.as_bytes());
    };
    if fits(arg) {
        print(out, spec, arg, &mut args.report, s);
    } else {
        args.report.mismatched += 1;
        let own =
            Spec { conversion: arg.own_conversion(), precision: None, len: Len::LongLong, ..*spec };
        print(out, &own, arg, &mut args.report, s);
    }
}

/// Prints `arg`, of a kind that `spec`'s conversion takes.
fn print(out: &mut Vec<u8>, spec: &Spec, arg: &Arg, report: &mut Rendered, s: &mut float::Scratch) {
    let bits = arg.bits().unwrap_or(0);
    match (spec.conversion, *arg) {
        (b'n', _) => {}
        (b'd' | b'i', _) => signed(out, spec, bits),
        (b'c' | b'C', _) => character(out, spec, bits),
        (b'p', _) => pointer(out, spec, bits),
        (b's' | b'S', Arg::Str { bytes, truncated }) => {
            report.truncated |= truncated;
            string(out, spec, bytes, truncated);
        }
        // glibc prints a NULL `char *` as "(null)", or nothing if the precision cuts that.
        (b's' | b'S', _) => {
            let text: &[u8] = if spec.precision.is_none_or(|p| p >= 6) { b"(null)" } else { b"" };
            string(out, spec, text, false);
        }
        (_, Arg::Float(x)) => {
            let f = float::convert(x, spec.conversion, spec.precision, spec.alt, s);
            field(out, spec, sign(spec, f.negative), f.prefix, 0, f.body, f.zero_pad);
        }
        _ => unsigned(out, spec, bits),
    }
}

fn signed(out: &mut Vec<u8>, spec: &Spec, bits: u64) {
    let v = match spec.len {
        Len::Char => i64::from(bits as i8),
        Len::Short => i64::from(bits as i16),
        Len::Int => i64::from(bits as i32),
        Len::Long | Len::LongLong => bits as i64,
    };
    integer(out, spec, sign(spec, v < 0), b"", v.unsigned_abs(), 10);
}

fn unsigned(out: &mut Vec<u8>, spec: &Spec, bits: u64) {
    let v = match spec.len {
        Len::Char => u64::from(bits as u8),
        Len::Short => u64::from(bits as u16),
        Len::Int => u64::from(bits as u32),
        Len::Long | Len::LongLong => bits,
    };
    let (base, prefix): (u64, &[u8]) = match spec.conversion {
        b'o' => (8, b""),
        b'x' => (16, b"0x"),
        b'X' => (16, b"0X"),
        b'b' => (2, b"0b"),
        b'B' => (2, b"0B"),
        _ => (10, b""),
    };
    let prefix = if spec.alt && v != 0 { prefix } else { b"" };
    integer(out, spec, b"", prefix, v, base);
}

/// glibc prints a non-NULL pointer as `%#lx` that keeps the `+` and space flags.
fn pointer(out: &mut Vec<u8>, spec: &Spec, bits: u64) {
    if bits == 0 {
        // All of it, whatever the precision.
        string(out, &Spec { precision: None, ..*spec }, b"(nil)", false);
    } else {
        integer(out, spec, sign(spec, false), b"0x", bits, 16);
    }
}

/// `%c` prints the `int`'s low byte; `%lc` and `%C` print the character as UTF-8 (glibc
/// reads every 64-bit length modifier on `%c` as `l`: `%llc`, `%zc` are wide too).
fn character(out: &mut Vec<u8>, spec: &Spec, bits: u64) {
    let mut utf8 = [0u8; 4];
    let wide = matches!(spec.len, Len::Long | Len::LongLong) || spec.conversion == b'C';
    let body: &[u8] = if wide {
        let c = char::from_u32(bits as u32).unwrap_or(char::REPLACEMENT_CHARACTER);
        c.encode_utf8(&mut utf8).as_bytes()
    } else {
        utf8[0] = bits as u8;
        &utf8[..1]
    };
    field(out, spec, b"", b"", 0, body, false);
}

/// `%s`: at most `precision` bytes, then the truncation marker if the producer cut the string
/// and all of it is shown (the marker takes one column).
fn string(out: &mut Vec<u8>, spec: &Spec, bytes: &[u8], truncated: bool) {
    let shown = &bytes[..spec.precision.map_or(bytes.len(), |p| p.min(bytes.len()))];
    let marked = truncated && shown.len() == bytes.len();
    let fill = spec.width.saturating_sub(shown.len() + usize::from(marked));
    if !spec.left {
        repeat(out, b' ', fill);
    }
    out.extend_from_slice(shown);
    if marked {
        out.extend_from_slice(TRUNCATED.as_bytes());
    }
    if spec.left {
        repeat(out, b' ', fill);
    }
}

/// An integer's digits in `base`, at least `precision` of them (none for 0 at precision 0),
/// with `#`'s leading zero for octal.
fn integer(out: &mut Vec<u8>, spec: &Spec, sign: &[u8], prefix: &[u8], v: u64, base: u64) {
    let mut buf = [0u8; 64];
    let mut start = buf.len();
    let mut rest = v;
    while rest != 0 || (start == buf.len() && spec.precision != Some(0)) {
        start -= 1;
        let d = (rest % base) as u8;
        buf[start] = match d {
            0..=9 => b'0' + d,
            _ if spec.conversion == b'X' => b'A' + d - 10,
            _ => b'a' + d - 10,
        };
        rest /= base;
    }
    let digits = &buf[start..];
    let mut zeros = spec.precision.unwrap_or(0).saturating_sub(digits.len());
    if spec.alt && base == 8 && zeros == 0 && digits.first() != Some(&b'0') {
        zeros = 1;
    }
    field(out, spec, sign, prefix, zeros, digits, spec.precision.is_none());
}

/// The sign a signed conversion shows: `-`, or `+` / space when the flags ask for one.
fn sign(spec: &Spec, negative: bool) -> &'static [u8] {
    match (negative, spec.plus, spec.space) {
        (true, _, _) => b"-",
        (false, true, _) => b"+",
        (false, false, true) => b" ",
        (false, false, false) => b"",
    }
}

/// Writes sign, prefix, `zeros` zeros and body, padded to the field width: spaces after
/// (`-`), zeros after the prefix (`0`, when `zero_pad` allows it), or spaces before.
fn field(
    out: &mut Vec<u8>,
    spec: &Spec,
    sign: &[u8],
    prefix: &[u8],
    zeros: usize,
    body: &[u8],
    zero_pad: bool,
) {
    let fill = spec.width.saturating_sub(sign.len() + prefix.len() + zeros + body.len());
    let (before, zeros, after) = match (spec.left, spec.zero && zero_pad) {
        (true, _) => (0, zeros, fill),
        (false, true) => (0, zeros + fill, 0),
        (false, false) => (fill, zeros, 0),
    };
    repeat(out, b' ', before);
    out.extend_from_slice(sign);
    out.extend_from_slice(prefix);
    repeat(out, b'0', zeros);
    out.extend_from_slice(body);
    repeat(out, b' ', after);
}

fn repeat(out: &mut Vec<u8>, byte: u8, n: usize) {
    out.resize(out.len() + n, byte);
}

/// An unknown conversion, printed as glibc's `__printf_unknown` prints it.
fn unknown(out: &mut Vec<u8>, spec: &Spec) {
    out.push(b'%');
    let flags = [
        (spec.alt, b'#'),
        (spec.group, b'\''),
        (spec.plus, b'+'),
        (spec.space && !spec.plus, b' '),
        (spec.left, b'-'),
        (spec.zero, b'0'),
        (spec.i18n, b'I'),
    ];
    out.extend(flags.iter().filter(|(on, _)| *on).map(|(_, c)| c));
    if spec.width != 0 {
        let _ = write!(out, "{}", spec.width);
    }
    if let Some(p) = spec.precision {
        out.push(b'.');
        let _ = write!(out, "{p}");
    }
    out.push(spec.conversion);
}

#[cfg(test)]
mod tests {
    //! The rules for what C leaves undefined. Conformance with glibc is
    //! `tests/printf_vs_libc.rs`.

    use super::*;

    fn text(fmt: &str, args: &[Arg]) -> (String, Rendered) {
        let mut out = String::new();
        let r = render(&mut out, fmt.as_bytes(), args);
        (out, r)
    }

    fn str_arg(bytes: &[u8], truncated: bool) -> Arg<'_> {
        Arg::Str { bytes, truncated }
    }

    #[test]
    fn a_missing_argument_prints_a_placeholder_and_is_counted() {
        let (out, r) = text("%d and %s", &[Arg::Int(1)]);
        assert_eq!(out, "1 and <missing>");
        assert_eq!(r, Rendered { consumed: 1, missing: 1, ..Rendered::default() });
        // A `*` without an argument counts as 0, and as missing.
        let (out, r) = text("[%*d]", &[]);
        assert_eq!((out.as_str(), r.missing, r.consumed), ("[<missing>]", 2, 0));
        let (out, r) = text("[%*d]", &[Arg::Int(5)]);
        assert_eq!((out.as_str(), r.missing, r.consumed), ("[<missing>]", 1, 1));
        // A position past the arguments.
        let (out, r) = text("%3$d %1$d", &[Arg::Int(4)]);
        assert_eq!((out.as_str(), r.missing, r.consumed), ("<missing> 4", 1, 1));
    }

    #[test]
    fn extra_arguments_are_left_for_the_caller() {
        let (out, r) = text("%d", &[Arg::Int(1), Arg::Int(2), Arg::Float(3.0)]);
        assert_eq!((out.as_str(), r.consumed, r.missing), ("1", 1, 0));
        let (out, r) = text("no conversions", &[Arg::Int(1)]);
        assert_eq!((out.as_str(), r.consumed), ("no conversions", 0));
        let (_, r) = text("%2$d", &[Arg::Int(1), Arg::Int(2), Arg::Int(3)]);
        assert_eq!(r.consumed, 2);
    }

    #[test]
    fn integers_of_any_kind_are_taken_by_their_bits_as_c_does() {
        let cases: &[(&str, Arg, &str)] = &[
            ("%x", Arg::Int(-1), "ffffffff"),
            ("%lx", Arg::Int(-1), "ffffffffffffffff"),
            ("%d", Arg::Uint(u64::MAX), "-1"),
            ("%d", Arg::Int(1 << 32), "0"),
            ("%ld", Arg::Int(1 << 32), "4294967296"),
            ("%hhd", Arg::Int(300), "44"),
            ("%hu", Arg::Int(-1), "65535"),
            ("%p", Arg::Uint(0xbeef), "0xbeef"),
            ("%#lx", Arg::Ptr(0xbeef), "0xbeef"),
            ("%c", Arg::Uint(0x141), "A"),
        ];
        for (fmt, arg, want) in cases {
            let (out, r) = text(fmt, &[*arg]);
            assert_eq!((out.as_str(), r.mismatched), (*want, 0), "{fmt} {arg:?}");
        }
    }

    #[test]
    fn an_argument_of_the_wrong_kind_prints_as_itself_with_flags_and_width() {
        let cases: &[(&str, Arg, &str)] = &[
            ("%.2f", Arg::Int(7), "7"),
            ("%+08.3e", Arg::Int(-7), "-0000007"),
            ("%f", Arg::Int(i64::MIN), "-9223372036854775808"),
            ("%G", Arg::Uint(u64::MAX), "18446744073709551615"),
            ("%a", Arg::Ptr(0x10), "0x10"),
            ("%5d", Arg::Float(2.5), "  2.5"),
            ("%.1x", Arg::Float(1e-7), "1e-07"),
            ("%c", Arg::Float(65.0), "65"),
            ("[%-6d]", str_arg(b"abc", false), "[abc   ]"),
            ("%p", str_arg(b"abc", false), "abc"),
            ("%.1s", Arg::Int(-35), "-35"),
            ("%s", Arg::Ptr(16), "0x10"),
        ];
        for (fmt, arg, want) in cases {
            let (out, r) = text(fmt, &[*arg]);
            assert_eq!((out.as_str(), r.mismatched, r.consumed), (*want, 1, 1), "{fmt} {arg:?}");
        }
        // A `*` that is not an integer counts as 0.
        let (out, r) = text("[%*d]", &[Arg::Float(9.0), Arg::Int(3)]);
        assert_eq!((out.as_str(), r.mismatched), ("[3]", 1));
        // NULL under %s is what glibc prints, not a mismatch.
        let (out, r) = text("%s|%.3s", &[Arg::Ptr(0), Arg::Ptr(0)]);
        assert_eq!((out.as_str(), r.mismatched), ("(null)|", 0));
    }

    #[test]
    fn percent_n_writes_nothing_and_percent_m_is_text() {
        let (out, r) = text("a%nb%5hhn|%m", &[Arg::Ptr(0x1000), Arg::Ptr(0)]);
        assert_eq!((out.as_str(), r.consumed), ("ab|%m", 2));
    }

    #[test]
    fn invalid_syntax_prints_as_text() {
        let cases = [
            ("%y", "%y"),
            ("%-5.3ly|", "%-5.3y|"),
            ("100%", "100%"),
            ("%-", "%-"),
            ("%5.3", "%5.3"),
            ("abc%l", "abc%l"),
            ("%hh", "%hh"),
            ("%1$", "%1$"),
            ("%%%", "%%"),
        ];
        for (fmt, want) in cases {
            let (out, r) = text(fmt, &[]);
            assert_eq!((out.as_str(), r.missing), (want, 0), "{fmt}");
        }
    }

    #[test]
    fn a_string_the_producer_cut_is_marked() {
        let cut = [str_arg(b"abc", true)];
        let cases = [
            ("[%s]", "[abc…]"),
            ("[%6s]", "[  abc…]"),
            ("[%-6s]", "[abc…  ]"),
            ("[%.3s]", "[abc…]"),
            // The precision cuts more than the producer did: C's output, no marker.
            ("[%.2s]", "[ab]"),
            ("[%5.2s]", "[   ab]"),
        ];
        for (fmt, want) in cases {
            let (out, r) = text(fmt, &cut);
            assert_eq!((out.as_str(), r.truncated), (want, true), "{fmt}");
        }
        let (out, r) = text("[%s]", &[str_arg(b"abc", false)]);
        assert_eq!((out.as_str(), r.truncated), ("[abc]", false));
    }

    #[test]
    fn bytes_that_are_not_utf8_become_replacement_characters() {
        let (out, _) = text("%s", &[str_arg(b"a\xffb", false)]);
        assert_eq!(out, "a\u{fffd}b");
        let (out, _) = text("%c", &[Arg::Int(0xff)]);
        assert_eq!(out, "\u{fffd}");
        let mut out = String::new();
        render(&mut out, b"\xfe%d", &[Arg::Int(5)]);
        assert_eq!(out, "\u{fffd}5");
        // A character cut by the precision.
        let (out, _) = text("%.4s", &[str_arg("café".as_bytes(), false)]);
        assert_eq!(out, "caf\u{fffd}");
        // Bytes that make UTF-8 together stay together, as a terminal would show C's output.
        let (out, _) = text("%c%c", &[Arg::Int(0xc3), Arg::Int(0xa9)]);
        assert_eq!(out, "é");
        // The bytes themselves, as C prints them.
        let mut bytes = Vec::new();
        render_bytes(&mut bytes, b"%c", &[Arg::Int(0xff)]);
        assert_eq!(bytes, b"\xff");
    }

    #[test]
    fn wide_characters_print_as_utf8() {
        let (out, _) = text("%lc%C", &[Arg::Int(0xe9), Arg::Uint(0x20ac)]);
        assert_eq!(out, "é€");
        let (out, _) = text("%lc", &[Arg::Int(0xd800)]);
        assert_eq!(out, "\u{fffd}");
    }

    #[test]
    fn render_appends() {
        let mut out = String::from("héllo ");
        render(&mut out, b"%s", &[str_arg(b"\xff", false)]);
        assert_eq!(out, "héllo \u{fffd}");
    }

    #[test]
    fn width_and_precision_are_capped() {
        let (out, _) = text("%99999999999999999999999d", &[Arg::Int(1)]);
        assert_eq!(out.len(), MAX_FIELD);
        let (out, _) = text("%.*f", &[Arg::Int(i64::from(i32::MAX)), Arg::Float(1.0)]);
        assert_eq!(out.len(), 2 + MAX_FIELD);
        let (out, _) = text("%*d|", &[Arg::Int(i64::from(i32::MIN)), Arg::Int(1)]);
        assert_eq!(
            (out.len(), out.starts_with("1 "), out.ends_with(" |")),
            (MAX_FIELD + 1, true, true)
        );
        let (out, _) = text("%.9999a", &[Arg::Float(-1.0)]);
        assert_eq!(out.len(), "-0x1.p+0".len() + MAX_FIELD);
    }

    /// A small LCG (Knuth's MMIX constants), so that the test needs no crate and repeats.
    struct Lcg(u64);

    impl Lcg {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            self.0 >> 11
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    #[test]
    fn arbitrary_formats_and_arguments_never_panic() {
        const ALPHABET: &[u8] = b"%%%%-+ #0'I*$.0123456789hlLqjzZtdiuoxXbBcCsSpfFeEgGaAnmy\xff\xc3";
        let strings: [&[u8]; 4] = [b"", b"abc", b"\xff\xfe", "é".as_bytes()];
        let mut rng = Lcg(14);
        let mut out = String::new();
        for _ in 0..5000 {
            let fmt: Vec<u8> = (0..rng.below(40))
                .map(|_| match rng.below(4) {
                    0 => rng.next() as u8,
                    _ => ALPHABET[rng.below(ALPHABET.len())],
                })
                .collect();
            let args: Vec<Arg> = (0..rng.below(6))
                .map(|_| match rng.below(5) {
                    0 => Arg::Int(rng.next() as i64 - (1 << 52)),
                    1 => Arg::Uint(rng.next() << rng.below(12)),
                    2 => Arg::Float(f64::from_bits(rng.next() << rng.below(12))),
                    3 => Arg::Ptr(rng.next() * rng.below(2) as u64),
                    _ => str_arg(strings[rng.below(strings.len())], rng.below(2) == 1),
                })
                .collect();
            out.clear();
            let r = render(&mut out, &fmt, &args);
            assert!(r.consumed <= args.len(), "{fmt:?} {args:?}: {r:?}");
            assert!(out.len() <= 40 * (2 * MAX_FIELD + 1100), "{fmt:?}: {} bytes", out.len());
        }
    }
}
