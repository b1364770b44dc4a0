//! The printf renderer (`message::printf`) against the C library's `snprintf`, byte for byte.
//!
//! Each case is a format and its arguments twice over: as C values of the type the length
//! modifier reads (passed to `snprintf`), and as the [`Arg`]s the C macros would have stored.
//! The tables are the product of flags × widths × precisions × length modifiers ×
//! conversions × edge values (0, ±1, the integer limits, decimal ties such as 0.5, 2.5 and
//! 0.125 and hex ones such as 0x1.08p+0, subnormals, `f64::MAX`, ±inf, ±nan, -0.0, strings
//! with and without precision, NULL and other pointers), plus `*` widths and precisions,
//! positional arguments, and the invalid conversions glibc prints as text. A second test
//! tries random values (doubles of every bit pattern, integers of every width) under random
//! flags, widths and precisions. Every case must also use all its arguments, none missing and
//! none of the wrong kind.
//!
//! This is glibc's behaviour (in the C locale the test runs in), so the test runs only where
//! the C library is glibc; `%b`, which glibc has since 2.35, is left out before that.

#![cfg(all(target_os = "linux", target_env = "gnu"))]

use std::ffi::{c_char, c_int, c_void, CString};

use rtlog::message::printf::{render, render_bytes, Arg};

/// A C argument, of the type `snprintf` will read.
#[derive(Clone, Copy, Debug)]
enum C {
    Int(c_int),
    Long(i64),
    Double(f64),
    Str(*const c_char),
    Ptr(*const c_void),
}

/// One format with its arguments on both sides.
struct Case {
    fmt: String,
    c: Vec<C>,
    args: Vec<Arg<'static>>,
}

/// Calls `snprintf` with `last` after `$pre` (the `*` arguments, all `int`).
macro_rules! snprintf {
    ($buf:expr, $fmt:expr, $($pre:expr,)* ; $last:expr) => {
        match $last {
            C::Int(v) => libc::snprintf($buf.as_mut_ptr().cast(), $buf.len(), $fmt.as_ptr(), $($pre,)* v),
            C::Long(v) => libc::snprintf($buf.as_mut_ptr().cast(), $buf.len(), $fmt.as_ptr(), $($pre,)* v),
            C::Double(v) => libc::snprintf($buf.as_mut_ptr().cast(), $buf.len(), $fmt.as_ptr(), $($pre,)* v),
            C::Str(v) => libc::snprintf($buf.as_mut_ptr().cast(), $buf.len(), $fmt.as_ptr(), $($pre,)* v),
            C::Ptr(v) => libc::snprintf($buf.as_mut_ptr().cast(), $buf.len(), $fmt.as_ptr(), $($pre,)* v),
        }
    };
}

/// What glibc prints for `fmt` with `args` (up to two `int`s, then any one argument).
fn libc_printf(fmt: &str, args: &[C]) -> Vec<u8> {
    let fmt = CString::new(fmt).unwrap();
    let mut buf = vec![0u8; 16384];
    // SAFETY: `buf` is writable for its length, `fmt` is NUL-terminated, and each case passes
    // the C types its format's conversions read (pointers to live NUL-terminated strings).
    let n = unsafe {
        match *args {
            [] => libc::snprintf(buf.as_mut_ptr().cast(), buf.len(), fmt.as_ptr()),
            [a] => snprintf!(buf, fmt, ; a),
            [C::Int(w), a] => snprintf!(buf, fmt, w, ; a),
            [C::Int(w), C::Int(p), a] => snprintf!(buf, fmt, w, p, ; a),
            _ => panic!("no call for {args:?}"),
        }
    };
    assert!(n >= 0 && (n as usize) < buf.len(), "snprintf({fmt:?}) returned {n}");
    buf.truncate(n as usize);
    buf
}

/// Whether the C library has `%b` (glibc 2.35 and later).
fn has_binary() -> bool {
    libc_printf("%b", &[C::Int(5)]) == b"101"
}

const FLAGS: [char; 5] = ['-', '+', ' ', '#', '0'];
const WIDTHS: [&str; 4] = ["", "1", "7", "25"];
const PRECISIONS: [&str; 6] = ["", ".", ".0", ".1", ".3", ".17"];

/// Every subset of the flags, in order.
fn flag_sets() -> Vec<String> {
    (0..1 << FLAGS.len())
        .map(|m: u32| {
            FLAGS.iter().enumerate().filter(|(i, _)| m & 1 << i != 0).map(|(_, c)| c).collect()
        })
        .collect()
}

/// `%` + flags + width + precision, over the whole product.
fn heads() -> Vec<String> {
    let mut v = Vec::new();
    for f in flag_sets() {
        for w in WIDTHS {
            for p in PRECISIONS {
                v.push(format!("%{f}{w}{p}"));
            }
        }
    }
    v
}

const INTS: [i64; 14] = [
    0,
    1,
    -1,
    7,
    255,
    300,
    65535,
    70000,
    0xdead_beef,
    i32::MIN as i64,
    i32::MAX as i64,
    i64::MIN,
    i64::MAX,
    -0x1234_5678_9abc,
];

/// The C value an integer conversion with `len` reads, and the `Arg`s a macro could store.
fn int_args(v: i64, len: &str) -> (C, [Arg<'static>; 2]) {
    match len {
        "" | "hh" | "h" => {
            (C::Int(v as i32), [Arg::Int(i64::from(v as i32)), Arg::Uint(u64::from(v as u32))])
        }
        _ => (C::Long(v), [Arg::Int(v), Arg::Uint(v as u64)]),
    }
}

fn integer_cases(out: &mut Vec<Case>) {
    let mut convs = vec!["d", "i", "u", "o", "x", "X"];
    if has_binary() {
        convs.extend(["b", "B"]);
    }
    for head in heads() {
        for &conv in &convs {
            for v in INTS {
                let (c, args) = int_args(v, "");
                for a in args {
                    out.push(Case { fmt: format!("<{head}{conv}>"), c: vec![c], args: vec![a] });
                }
            }
        }
    }
    // Every length modifier, over a smaller product of flags, widths and precisions.
    for len in ["hh", "h", "l", "ll", "j", "z", "t", "q", "Z", "L"] {
        for flags in ["", "-", "+", " ", "#", "0", "#0"] {
            for w in ["", "9", "25"] {
                for p in ["", ".0", ".4"] {
                    for &conv in &convs {
                        for v in INTS {
                            let (c, args) = int_args(v, len);
                            for a in args {
                                let fmt = format!("%{flags}{w}{p}{len}{conv}");
                                out.push(Case { fmt, c: vec![c], args: vec![a] });
                            }
                        }
                    }
                }
            }
        }
    }
}

const FLOATS: [f64; 33] = [
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    1.5,
    2.5,
    0.125,
    0.375,
    9.5,
    0.05,
    3.0,
    100.0,
    1e-5,
    1e-4,
    999999.5,
    0.000123456,
    1.96875,
    // Hex ties for %a: 0x1.08p+0 and 0x1.0008p+0 round down to even, 0x1.18p+0 up.
    1.03125,
    1.09375,
    1.0001220703125,
    123456.789,
    1e21,
    1e23,
    1e-300,
    5e-324,
    2.2250738585072014e-308,
    f64::MAX,
    -f64::MIN_POSITIVE,
    f64::INFINITY,
    f64::NEG_INFINITY,
    f64::NAN,
    -f64::NAN,
];

fn float_cases(out: &mut Vec<Case>) {
    for head in heads() {
        for conv in ["f", "F", "e", "E", "g", "G", "a", "A"] {
            for x in FLOATS {
                out.push(Case {
                    fmt: format!("{head}{conv}"),
                    c: vec![C::Double(x)],
                    args: vec![Arg::Float(x)],
                });
            }
        }
    }
    // %#g of values that round up to 10^P from below, and of values at or just above it.
    for x in [
        999999.5,
        9.5,
        99.95,
        999.5,
        0.0009995,
        1e6,
        1e22,
        1e23,
        f64::from_bits(1e23f64.to_bits() - 1),
        1e300,
    ] {
        for fmt in ["%#g", "%#.1g", "%#.2g", "%#.3g", "%#.23g", "%#.24g", "%#.22g", "%g"] {
            out.push(Case { fmt: fmt.into(), c: vec![C::Double(x)], args: vec![Arg::Float(x)] });
        }
    }
    for x in FLOATS {
        for fmt in [
            "%lf", "%le", "%lg", "%la", "%.0f", "%.0e", "%.0g", "%.0a", "%#.0a", "%.2a", "%.12a",
            "%.20a", "%.40f", "%.30e",
        ] {
            out.push(Case { fmt: fmt.into(), c: vec![C::Double(x)], args: vec![Arg::Float(x)] });
        }
    }
}

const STRINGS: [&[u8]; 5] = [b"\0", b"a\0", b"hello world\0", b"caf\xc3\xa9\0", b"tab\there\0"];

fn string_cases(out: &mut Vec<Case>) {
    for head in heads() {
        for s in STRINGS {
            let args = vec![Arg::Str { bytes: &s[..s.len() - 1], truncated: false }];
            out.push(Case { fmt: format!("[{head}s]"), c: vec![C::Str(s.as_ptr().cast())], args });
        }
        // NULL, which glibc prints as "(null)".
        out.push(Case {
            fmt: format!("[{head}s]"),
            c: vec![C::Str(std::ptr::null())],
            args: vec![Arg::Ptr(0)],
        });
        for c in [65, 0, 255, 0x141, -1, 0x7f] {
            out.push(Case {
                fmt: format!("[{head}c]"),
                c: vec![C::Int(c)],
                args: vec![Arg::Int(c.into())],
            });
        }
        for p in [0u64, 1, 0xdead_beef, u64::MAX, 0x7fff_0000_1234] {
            out.push(Case {
                fmt: format!("[{head}p]"),
                c: vec![C::Ptr(p as *const c_void)],
                args: vec![Arg::Ptr(p)],
            });
        }
    }
    for fmt in ["%lc", "%C", "%5lc", "%-3C|", "%llc", "%zc", "%jc", "%tc", "%qc", "%Lc"] {
        out.push(Case { fmt: fmt.into(), c: vec![C::Int(65)], args: vec![Arg::Int(65)] });
    }
}

/// `*` widths and precisions, positive, zero and negative.
fn star_cases(out: &mut Vec<Case>) {
    let values: [(&str, C, Arg<'static>); 8] = [
        ("d", C::Int(-42), Arg::Int(-42)),
        ("x", C::Int(0xbeef), Arg::Uint(0xbeef)),
        ("lo", C::Long(8), Arg::Uint(8)),
        ("f", C::Double(2.5), Arg::Float(2.5)),
        ("e", C::Double(-1e-300), Arg::Float(-1e-300)),
        ("g", C::Double(0.0001), Arg::Float(0.0001)),
        ("a", C::Double(1.96875), Arg::Float(1.96875)),
        ("s", C::Str(c"star".as_ptr()), Arg::Str { bytes: b"star", truncated: false }),
    ];
    for (conv, c, a) in values {
        for flags in ["", "-", "0", "+", "#"] {
            for w in [-9, -1, 0, 3, 12] {
                let fmt = format!("%{flags}*{conv}|");
                out.push(Case { fmt, c: vec![C::Int(w), c], args: vec![Arg::Int(w.into()), a] });
                let fmt = format!("%{flags}.*{conv}|");
                out.push(Case { fmt, c: vec![C::Int(w), c], args: vec![Arg::Int(w.into()), a] });
                for p in [-3, 0, 2, 8] {
                    let fmt = format!("%{flags}*.*{conv}|");
                    let args = vec![Arg::Int(w.into()), Arg::Int(p.into()), a];
                    out.push(Case { fmt, c: vec![C::Int(w), C::Int(p), c], args });
                }
            }
        }
    }
}

/// Positional arguments, `%%`, `%n`, and conversions glibc does not know (printed as text).
fn syntax_cases(out: &mut Vec<Case>) {
    let two = |fmt: &str| Case {
        fmt: fmt.into(),
        c: vec![C::Int(5), C::Int(7)],
        args: vec![Arg::Int(5), Arg::Int(7)],
    };
    for fmt in [
        "%d %d",
        "%2$d %1$d",
        "%1$d %1$d %2$x",
        "%1$*2$d|",
        "%2$-*1$d|",
        "%*y %d",
        "%.*y %d",
        "%*.*y",
        "%-*y%d",
        "100%% %d%%%d",
        "%5% %d %-5.5% %d",
    ] {
        out.push(two(fmt));
    }
    let one = |fmt: &str| Case { fmt: fmt.into(), c: vec![C::Int(5)], args: vec![Arg::Int(5)] };
    for fmt in [
        "%y %d",
        "%5.3y %d",
        "%-#+ 0'5.3ly %d",
        "%hhy %d",
        "%0.0y %d",
        "%- y %d",
        "%0 y %d",
        "%+ 5y %d",
        "%.y %d",
        "%I'#0 +-7.2Ly %d",
        "%5! %d",
        "%k%d",
    ] {
        out.push(one(fmt));
    }
    out.push(two("%'d %Id"));
    // A negative `*` width sets `-` but keeps an earlier `0`, which glibc shows for `%y`.
    for fmt in ["%0*y %d", "%-0*y %d", "%0*.*y"] {
        out.push(Case {
            fmt: fmt.into(),
            c: vec![C::Int(-9), C::Int(7)],
            args: vec![Arg::Int(-9), Arg::Int(7)],
        });
    }
    let mut stored: c_int = 0;
    let at = std::ptr::addr_of_mut!(stored).cast::<c_void>().cast_const();
    // `%n` stores into `stored` in C and nowhere in the renderer; both print nothing for it.
    for fmt in ["a%nb", "%5n|", "%hhn|", "%lln|"] {
        out.push(Case { fmt: fmt.into(), c: vec![C::Ptr(at)], args: vec![Arg::Ptr(at as u64)] });
    }
}

/// The cases where the renderer and `snprintf` differ, or where the renderer's report is not
/// "every argument used, none missing, none of the wrong kind", one line each.
fn differences(cases: &[Case]) -> Vec<String> {
    let mut failures = Vec::new();
    let mut bytes = Vec::new();
    let mut text = String::new();
    for case in cases {
        let want = libc_printf(&case.fmt, &case.c);
        bytes.clear();
        let r = render_bytes(&mut bytes, case.fmt.as_bytes(), &case.args);
        text.clear();
        let r2 = render(&mut text, case.fmt.as_bytes(), &case.args);
        let lossy = String::from_utf8_lossy(&want);
        let report_ok =
            r.consumed == case.args.len() && r.missing == 0 && r.mismatched == 0 && r == r2;
        if bytes != want || text != lossy || !report_ok {
            failures.push(format!(
                "{:?} {:?}: libc {:?}, rtlog {:?} ({r:?})",
                case.fmt,
                case.args,
                lossy,
                String::from_utf8_lossy(&bytes)
            ));
        }
    }
    failures
}

fn assert_agree(cases: &[Case]) {
    let failures = differences(cases);
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures[..failures.len().min(40)].join("\n")
    );
    eprintln!("{} cases agree with snprintf", cases.len());
}

#[test]
fn renders_the_tables_as_glibc_snprintf() {
    let mut cases = Vec::new();
    integer_cases(&mut cases);
    float_cases(&mut cases);
    string_cases(&mut cases);
    star_cases(&mut cases);
    syntax_cases(&mut cases);
    assert_agree(&cases);
}

/// xorshift64, so that the random cases repeat and need no crate.
struct Xorshift(u64);

impl Xorshift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// A random `%` + flags + width + precision.
    fn head(&mut self) -> String {
        let mut head = String::from("%");
        head.extend(FLAGS.iter().filter(|_| self.below(3) == 0));
        if self.below(2) == 0 {
            head += &self.below(30).to_string();
        }
        if self.below(3) != 0 {
            head += &format!(".{}", self.below(40));
        }
        head
    }
}

/// Random doubles (every bit pattern: subnormals, nan payloads, huge and tiny values) and
/// random integers, under random flags, widths and precisions: correct rounding beyond the
/// tables' values.
#[test]
fn renders_random_values_as_glibc_snprintf() {
    let mut rng = Xorshift(0x1405_2026);
    let binary = has_binary();
    let mut cases = Vec::new();
    for _ in 0..40_000 {
        let x = f64::from_bits(rng.next());
        let conv = ["f", "F", "e", "E", "g", "G", "a", "A"][rng.below(8)];
        let fmt = format!("{}{conv}", rng.head());
        cases.push(Case { fmt, c: vec![C::Double(x)], args: vec![Arg::Float(x)] });
    }
    for _ in 0..20_000 {
        // Short decimals, where ties and carries are common: 0.125, 2.5, 9.995, ...
        let x = (rng.below(200_000) as f64 - 100_000.0) / [8.0, 1000.0, 64.0][rng.below(3)];
        let conv = ["f", "e", "g", "a"][rng.below(4)];
        let fmt = format!("{}{conv}", rng.head());
        cases.push(Case { fmt, c: vec![C::Double(x)], args: vec![Arg::Float(x)] });
    }
    for _ in 0..20_000 {
        let v = (rng.next() >> rng.below(64)) as i64;
        let len = ["", "hh", "h", "l", "ll", "j", "z", "t"][rng.below(8)];
        let conv = ["d", "i", "u", "o", "x", "X", "c", "b"][rng.below(if binary { 8 } else { 7 })];
        // glibc reads `%c` with a 64-bit modifier as `%lc`, which fails above ASCII in "C".
        let wide = conv == "c" && !["", "hh", "h"].contains(&len);
        let (c, args) = int_args(if wide { v & 0x7f } else { v }, len);
        let fmt = format!("{}{len}{conv}", rng.head());
        cases.push(Case { fmt, c: vec![c], args: vec![args[rng.below(2)]] });
    }
    assert_agree(&cases);
}
