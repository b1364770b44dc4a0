//! The floating-point conversions: `%f %F %e %E %g %G` from Rust's exact, correctly rounded
//! decimal formatting (ties to even, as glibc in the default rounding mode), and `%a %A` from
//! the bits, in glibc's form. Non-RT.

use std::fmt::Write as _;

/// Buffers a float conversion reuses within one render: Rust's formatted text and the body.
#[derive(Default)]
pub(super) struct Scratch {
    text: String,
    body: String,
}

/// A converted float, for the caller to sign and pad: `-` (or `+`/space) before `prefix`
/// (`0x` for `%a`), then `body`; zero padding goes between prefix and body if `zero_pad`.
pub(super) struct Converted<'s> {
    pub negative: bool,
    pub prefix: &'static [u8],
    pub body: &'s [u8],
    pub zero_pad: bool,
}

/// Converts `x` for one of `%f %F %e %E %g %G %a %A` (`conversion`), with the precision and
/// the `#` flag (`alt`).
pub(super) fn convert(
    x: f64,
    conversion: u8,
    precision: Option<usize>,
    alt: bool,
    s: &mut Scratch,
) -> Converted<'_> {
    let upper = conversion.is_ascii_uppercase();
    // glibc prints the sign bit, NaN's included ("-nan").
    let negative = x.is_sign_negative();
    if !x.is_finite() {
        let body: &[u8] = match (x.is_nan(), upper) {
            (true, false) => b"nan",
            (true, true) => b"NAN",
            (false, false) => b"inf",
            (false, true) => b"INF",
        };
        // No zero padding for inf and nan.
        return Converted { negative, prefix: b"", body, zero_pad: false };
    }
    let a = x.abs();
    s.body.clear();
    let prefix: &[u8] = match conversion.to_ascii_lowercase() {
        b'f' => {
            fixed(s, a, precision.unwrap_or(6), alt);
            b""
        }
        b'e' => {
            exponential(s, a, precision.unwrap_or(6), alt, upper);
            b""
        }
        b'g' => {
            general(s, a, precision, alt, upper);
            b""
        }
        _ => {
            hex(&mut s.body, a, precision, alt, upper);
            if upper {
                b"0X"
            } else {
                b"0x"
            }
        }
    };
    Converted { negative, prefix, body: s.body.as_bytes(), zero_pad: true }
}

/// `%f`: `precision` decimals; `#` keeps the point when there are none.
fn fixed(s: &mut Scratch, a: f64, precision: usize, alt: bool) {
    s.text.clear();
    let _ = write!(s.text, "{a:.precision$}");
    s.body.push_str(&s.text);
    if precision == 0 && alt {
        s.body.push('.');
    }
}

/// `%e`: one digit, the point, `precision` digits, and an exponent of at least two digits.
fn exponential(s: &mut Scratch, a: f64, precision: usize, alt: bool, upper: bool) {
    let exp = significant(&mut s.text, a, precision + 1);
    let (first, rest) = s.text.split_at(1);
    s.body.push_str(first);
    if precision > 0 || alt {
        s.body.push('.');
    }
    s.body.push_str(rest);
    exponent(&mut s.body, exp, upper);
}

/// `%g`: `P` significant digits (6 without a precision, 1 for 0) in the style of `%e` if its
/// exponent X is below -4 or at least `P`, else of `%f`; without `#`, trailing zeros and a
/// trailing point are removed.
fn general(s: &mut Scratch, a: f64, precision: Option<usize>, alt: bool, upper: bool) {
    let p = match precision {
        None => 6,
        Some(0) => 1,
        Some(p) => p,
    };
    // The %e digits give the exponent after rounding, and %f at P - 1 - X decimals rounds at
    // the same digit, so the same digits serve both styles.
    let exp = significant(&mut s.text, a, p);
    let digits = s.text.as_str();
    let e_style = exp < -4 || exp >= p as i64;
    if e_style {
        let (first, rest) = digits.split_at(1);
        s.body.push_str(first);
        s.body.push('.');
        // glibc's `%#g` of a value below 10^P that rounds up to 10^P (999999.5) keeps the
        // f style's count of decimals, none: "1.e+06", not "1.00000e+06".
        let carried = alt && exp == p as i64 && below_power_of_ten(a, p);
        if !carried {
            s.body.push_str(rest);
        }
    } else if exp >= 0 {
        let (int, fraction) = digits.split_at(exp as usize + 1);
        s.body.push_str(int);
        s.body.push('.');
        s.body.push_str(fraction);
    } else {
        s.body.push_str("0.");
        s.body.extend(std::iter::repeat_n('0', (-exp - 1) as usize));
        s.body.push_str(digits);
    }
    if !alt {
        // The body has a point, so this stops at it at the latest.
        let kept = s.body.trim_end_matches('0').trim_end_matches('.').len();
        s.body.truncate(kept);
    }
    if e_style {
        exponent(&mut s.body, exp, upper);
    }
}

/// Whether `a` < 10^`p`, exactly.
fn below_power_of_ten(a: f64, p: usize) -> bool {
    match i32::try_from(p) {
        // Powers of ten up to 10^22 are exact doubles (and so is each product on the way).
        Ok(p @ 0..=22) => a < 10f64.powi(p),
        // Above 2^53 every double is an integer, which `{:.0}` prints exactly.
        _ => format!("{a:.0}").len() <= p,
    }
}

/// Leaves `a`'s first `n` (at least 1) significant decimal digits, correctly rounded, in
/// `text`, and returns the decimal exponent of the first one.
fn significant(text: &mut String, a: f64, n: usize) -> i64 {
    text.clear();
    let decimals = n.max(1) - 1;
    let _ = write!(text, "{a:.decimals$e}");
    // Rust writes `d.ddde-7`, or `de5` without decimals.
    let e = text.find('e').unwrap_or(text.len());
    let exp = text.get(e + 1..).and_then(|x| x.parse().ok()).unwrap_or(0);
    text.truncate(e);
    if text.len() > 1 {
        text.remove(1);
    }
    exp
}

/// `e+05`, `e-300`: the sign always, at least two digits.
fn exponent(body: &mut String, exp: i64, upper: bool) {
    let e = if upper { 'E' } else { 'e' };
    let _ = write!(body, "{e}{}{:02}", if exp < 0 { '-' } else { '+' }, exp.unsigned_abs());
}

/// `%a` after the `0x`: glibc's form `1.8p+1`, with the shortest exact digits, or rounded to
/// `precision` hex digits (ties to even; a carry shows as a leading `2`). Zero is `0p+0`,
/// a subnormal `0.xxxp-1022`.
fn hex(body: &mut String, a: f64, precision: Option<usize>, alt: bool, upper: bool) {
    const DIGITS: usize = 13; // 52 fraction bits
    let bits = a.to_bits();
    let biased = (bits >> 52) as i64;
    let fraction = bits & ((1 << 52) - 1);
    let (lead, exp) = match (biased, fraction) {
        (0, 0) => (0, 0),
        (0, _) => (0, -1022),
        _ => (1, biased - 1023),
    };
    let (lead, fraction, digits) = match precision {
        None => {
            let n = DIGITS - (fraction.trailing_zeros().min(52) / 4) as usize;
            (lead, fraction >> (4 * (DIGITS - n)), n)
        }
        Some(p) if p < DIGITS => {
            // Round the value `lead.fraction` to p hex digits, ties to even.
            let dropped = 4 * (DIGITS - p) as u32;
            let kept = (lead << (4 * p)) | (fraction >> dropped);
            let rest = fraction & ((1 << dropped) - 1);
            let half = 1 << (dropped - 1);
            let kept = kept + u64::from(rest > half || (rest == half && kept & 1 == 1));
            (kept >> (4 * p), kept & ((1 << (4 * p)) - 1), p)
        }
        Some(_) => (lead, fraction, DIGITS),
    };
    let zeros = precision.map_or(0, |p| p.saturating_sub(DIGITS));
    let point = if digits > 0 || zeros > 0 || alt { "." } else { "" };
    let sign = if exp < 0 { '-' } else { '+' };
    let exp = exp.unsigned_abs();
    let _ = match (digits, upper) {
        (0, _) => write!(body, "{lead}{point}"),
        (_, false) => write!(body, "{lead}{point}{fraction:0digits$x}"),
        (_, true) => write!(body, "{lead}{point}{fraction:0digits$X}"),
    };
    body.extend(std::iter::repeat_n('0', zeros));
    let p = if upper { 'P' } else { 'p' };
    let _ = write!(body, "{p}{sign}{exp}");
}
