//! Log messages for the integration tests: call sites with every argument kind, built as the
//! C macros build them (a call site that lives as long as the program, an `rtlog_arg` array on
//! the caller's stack), and the text each message must read back as.
//!
//! Message `i` carries `i` as its first argument (`n=%llu`), so a reader can tell which
//! message a text is and check all of it ([`Kinds::check_text`]). `i % 4` picks the call site:
//! eight integers (INFO), float/double/char/bool/pointer (WARN), four strings — one of them a
//! C string longer than any slot, so it is cut — (ERROR: the critical stream), and a DEBUG
//! message that the default threshold (INFO) filters.

#![allow(dead_code)]

use rtlog::format::message::{ArgType, MAX_ARGS};
use rtlog::format::Level;
use rtlog::rt::message::{ArgBits, CallSiteDesc, RawArg, NUL_TERMINATED};
use rtlog::Producer;
use std::ffi::CStr;

/// Arguments of the widest call site here.
pub const MAX_KIT_ARGS: usize = 8;
/// Room for the packed values of any call site (16 arguments of 8 bytes).
pub const PACKED_MAX: usize = MAX_ARGS * 8;
/// Bytes of the string that gets cut (before its NUL).
pub const LONG_STRING: usize = 300;

/// A call site that lives as long as the program (the macros make it `static`).
pub fn callsite(
    level: Level,
    line: u32,
    format: &'static CStr,
    types: &[ArgType],
) -> &'static CallSiteDesc {
    callsite_at(level, line, format, types, c"tests/common/messages.rs", c"kit")
}

/// [`callsite`] in source file `file`, function `function`.
pub fn callsite_at(
    level: Level,
    line: u32,
    format: &'static CStr,
    types: &[ArgType],
    file: &'static CStr,
    function: &'static CStr,
) -> &'static CallSiteDesc {
    assert!(types.len() <= MAX_ARGS);
    let mut arg_types = [0u8; MAX_ARGS];
    for (d, t) in arg_types.iter_mut().zip(types) {
        *d = *t as u8;
    }
    Box::leak(Box::new(CallSiteDesc {
        struct_size: std::mem::size_of::<CallSiteDesc>() as u32,
        line,
        level: level as u8,
        arg_count: types.len() as u8,
        arg_types,
        format: format.as_ptr().cast(),
        file: file.as_ptr().cast(),
        function: function.as_ptr().cast(),
    }))
}

pub fn arg_i(i: i64) -> RawArg {
    RawArg { value: ArgBits { i }, length: 0 }
}

pub fn arg_u(u: u64) -> RawArg {
    RawArg { value: ArgBits { u }, length: 0 }
}

pub fn arg_f(f: f64) -> RawArg {
    RawArg { value: ArgBits { f }, length: 0 }
}

pub fn arg_p(p: *const u8, length: u64) -> RawArg {
    RawArg { value: ArgBits { p }, length }
}

/// The call sites of the kit.
pub struct Kinds {
    pub ints: &'static CallSiteDesc,
    pub scalars: &'static CallSiteDesc,
    pub strings: &'static CallSiteDesc,
    pub filtered: &'static CallSiteDesc,
    /// Four arguments without strings: what the macros pass in registers.
    pub words: &'static CallSiteDesc,
    /// `LONG_STRING` bytes of `x` and a NUL.
    long: &'static [u8],
}

/// What publishing one message of the kit returned, by kind of outcome.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Outcomes {
    pub ok: u64,
    pub full: u64,
    /// Of `full`, those refused on the critical stream (ERROR messages).
    pub full_critical: u64,
    pub filtered: u64,
    pub other: u64,
}

// SAFETY: the call sites and the string are never written after `new`, and what their
// pointers point to (static C literals, leaked bytes) is never written at all: sharing them
// between threads is sharing read-only memory.
unsafe impl Send for Kinds {}
// SAFETY: as for `Send`.
unsafe impl Sync for Kinds {}

impl Default for Kinds {
    fn default() -> Self {
        Self::new()
    }
}

impl Kinds {
    pub fn new() -> Kinds {
        use ArgType::*;
        let mut long = vec![b'x'; LONG_STRING];
        long.push(0);
        Kinds {
            ints: callsite(
                Level::Info,
                10,
                c"n=%llu i8=%hhd u8=%hhu i16=%hd u16=%hu i32=%d u32=%u i64=%lld",
                &[U64, I8, U8, I16, U16, I32, U32, I64],
            ),
            scalars: callsite(
                Level::Warn,
                20,
                c"n=%llu f32=%.2f f64=%.3f char=%c bool=%d ptr=%p",
                &[U64, F32, F64, Char, Bool, Ptr],
            ),
            strings: callsite(
                Level::Error,
                30,
                c"n=%llu str=%s view=%s null=%s cut=%s",
                &[U64, Str, Str, Str, Str],
            ),
            filtered: callsite(Level::Debug, 40, c"n=%llu filtered", &[U64]),
            words: callsite(
                Level::Info,
                50,
                c"n=%llu i16=%hd f32=%.2f ptr=%p",
                &[U64, I16, F32, Ptr],
            ),
            long: Box::leak(long.into_boxed_slice()),
        }
    }

    /// Message `i`: its call site, and its arguments as the macros would pass them.
    pub fn message(&self, i: u64) -> (&'static CallSiteDesc, [RawArg; MAX_KIT_ARGS]) {
        let mut a = [arg_u(0); MAX_KIT_ARGS];
        a[0] = arg_u(i);
        let site = match i % 4 {
            0 => {
                let v = [
                    -((i % 128) as i64),
                    (i % 256) as i64,
                    -((i % 30000) as i64),
                    (i % 65536) as i64,
                    -((i % 2_000_000_000) as i64),
                    (i % 4_000_000_000) as i64,
                    -(i as i64),
                ];
                for (d, (k, x)) in a[1..].iter_mut().zip(v.into_iter().enumerate()) {
                    *d = if k % 2 == 0 { arg_i(x) } else { arg_u(x as u64) };
                }
                self.ints
            }
            1 => {
                a[1] = arg_f((i % 1000) as f64 * 0.25);
                a[2] = arg_f(i as f64 * 0.125);
                a[3] = arg_u(u64::from(b'a' + (i % 26) as u8));
                a[4] = arg_u(i % 2);
                a[5] = arg_p((0x1000 + 16 * i) as *const u8, 0);
                self.scalars
            }
            2 => {
                a[1] = arg_p(c"abc".as_ptr().cast(), NUL_TERMINATED);
                a[2] = arg_p(b"viewNOT".as_ptr(), 4);
                a[3] = arg_p(std::ptr::null(), NUL_TERMINATED);
                a[4] = arg_p(self.long.as_ptr(), NUL_TERMINATED);
                self.strings
            }
            _ => self.filtered,
        };
        (site, a)
    }

    /// Message `i`'s values packed as the C macros pack a message without strings (each
    /// value's little-endian bytes at its type's size, in order), in a buffer on the stack (the
    /// RT proofs count allocations); `None` for the strings call site.
    pub fn packed(site: &CallSiteDesc, args: &[RawArg]) -> Option<([u8; PACKED_MAX], usize)> {
        let mut out = [0u8; PACKED_MAX];
        let mut at = 0;
        for (&t, arg) in site.arg_types[..usize::from(site.arg_count)].iter().zip(args) {
            let ty = ArgType::from_u8(t)?;
            // SAFETY: every member of the union is 8 plain bytes; the type says which is set.
            let (u, f) = unsafe { (arg.value.u, arg.value.f) };
            let bits = match ty {
                ArgType::Str => return None,
                ArgType::F32 => u64::from((f as f32).to_bits()),
                ArgType::F64 => f.to_bits(),
                _ => u,
            };
            let n = ty.fixed_size();
            out[at..at + n].copy_from_slice(&bits.to_le_bytes()[..n]);
            at += n;
        }
        Some((out, at))
    }

    /// Whether message `i` goes through the packed entry point: half of those without
    /// strings (`i / 4` even), so that every user of the kit covers both entry points.
    fn goes_packed(i: u64) -> bool {
        i % 4 != 2 && (i / 4) % 2 == 0
    }

    /// Publishes message `i` through the Rust API and sorts the outcome into `out`: through
    /// `Producer::publish_message_packed` (what the C macros do without strings) or
    /// `Producer::publish_message`.
    pub fn publish(&self, p: &mut Producer, i: u64, out: &mut Outcomes) {
        let (site, args) = self.message(i);
        let s = match Self::packed(site, &args) {
            // SAFETY: the call sites are leaked, so they outlive the logger.
            Some((values, n)) if Self::goes_packed(i) => unsafe {
                p.publish_message_packed(site, &values[..n])
            },
            // SAFETY: as above; every string argument is NULL, NUL-terminated, or valid for
            // its length.
            _ => unsafe { p.publish_message(site, &args) },
        };
        self.note(i, s == rtlog::Status::Ok, s == rtlog::Status::Full, out);
    }

    /// Publishes message `i` through the C ABI, as the macros do: `rtlog_publish_message_packed`
    /// or `rtlog_publish_message`, chosen as in `publish`.
    pub fn publish_c(&self, p: *mut Producer, i: u64, out: &mut Outcomes) {
        use rtlog::ffi::producer::{rtlog_publish_message, rtlog_publish_message_packed};
        use rtlog::ffi::rtlog_status;
        let (site, args) = self.message(i);
        let c_site = (site as *const CallSiteDesc).cast();
        let s = match Self::packed(site, &args) {
            // SAFETY: `p` is a live producer handle used by this thread only; the call site
            // outlives the logger and is laid out as rtlog_callsite; `values` holds `n` bytes.
            Some((values, n)) if Self::goes_packed(i) => unsafe {
                rtlog_publish_message_packed(p.cast(), c_site, values.as_ptr().cast(), n as u32)
            },
            // SAFETY: as above; the arguments are as in `publish`, laid out as rtlog_arg.
            _ => unsafe { rtlog_publish_message(p.cast(), c_site, args.as_ptr().cast()) },
        };
        self.note(i, s == rtlog_status::RTLOG_OK, s == rtlog_status::RTLOG_ERR_FULL, out);
    }

    /// Publishes a message of four arguments (`n`, an i16, a float, a pointer) through
    /// `Producer::publish_message_words`, as the macros do for a message of at most four
    /// arguments without strings, and sorts the outcome into `out` (never filtered: INFO).
    pub fn publish_words(&self, p: &mut Producer, i: u64, out: &mut Outcomes) {
        // SAFETY: the call site is leaked, so it outlives the logger.
        let s = unsafe { p.publish_message_words(self.words, Self::words_of(i)) };
        note_words(s == rtlog::Status::Ok, s == rtlog::Status::Full, out);
    }

    /// `publish_words` through `rtlog_publish_message_words`.
    pub fn publish_words_c(&self, p: *mut Producer, i: u64, out: &mut Outcomes) {
        use rtlog::ffi::producer::rtlog_publish_message_words;
        use rtlog::ffi::rtlog_status;
        let [w0, w1, w2, w3] = Self::words_of(i);
        let site = (self.words as *const CallSiteDesc).cast();
        // SAFETY: `p` is a live producer handle used by this thread only; the call site
        // outlives the logger and is laid out as rtlog_callsite.
        let s = unsafe { rtlog_publish_message_words(p.cast(), site, w0, w1, w2, w3) };
        note_words(s == rtlog_status::RTLOG_OK, s == rtlog_status::RTLOG_ERR_FULL, out);
    }

    /// The words of the words message `i`, as the macros make them.
    fn words_of(i: u64) -> [u64; rtlog::rt::message::WORDS] {
        let i16 = -((i % 30000) as i64);
        let f32 = (i % 1000) as f32 * 0.25;
        [i, i16 as u64, u64::from(f32.to_bits()), 0x1000 + 16 * i]
    }

    fn note(&self, i: u64, ok: bool, full: bool, out: &mut Outcomes) {
        match (ok, full) {
            (true, _) if i % 4 == 3 => out.filtered += 1,
            (true, _) => out.ok += 1,
            (_, true) => {
                out.full += 1;
                out.full_critical += u64::from(i % 4 == 2);
            }
            _ => out.other += 1,
        }
    }

    /// The text the words message `i` reads back as.
    pub fn expected_words_text(i: u64) -> String {
        format!(
            "n={i} i16={} f32={:.2} ptr={:#x}",
            -((i % 30000) as i64),
            (i % 1000) as f64 * 0.25,
            0x1000 + 16 * i
        )
    }

    /// The text message `i` reads back as, when its string arguments are not cut; for the
    /// strings call site, the text before the cut string.
    pub fn expected_text(i: u64) -> String {
        match i % 4 {
            0 => format!(
                "n={i} i8={} u8={} i16={} u16={} i32={} u32={} i64={}",
                -((i % 128) as i64),
                i % 256,
                -((i % 30000) as i64),
                i % 65536,
                -((i % 2_000_000_000) as i64),
                i % 4_000_000_000,
                -(i as i64)
            ),
            1 => format!(
                "n={i} f32={:.2} f64={:.3} char={} bool={} ptr={:#x}",
                (i % 1000) as f64 * 0.25,
                i as f64 * 0.125,
                char::from(b'a' + (i % 26) as u8),
                i % 2,
                0x1000 + 16 * i
            ),
            2 => format!("n={i} str=abc view=view null=(null) cut="),
            _ => format!("n={i} filtered"),
        }
    }

    /// Checks a message's text in full; returns its `i`.
    pub fn check_text(text: &str) -> Result<u64, String> {
        let i: u64 = text
            .strip_prefix("n=")
            .and_then(|t| t.split(' ').next())
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| format!("not a kit message: {text:?}"))?;
        let want = Self::expected_text(i);
        let good = match i % 4 {
            // The cut string: some of its bytes, then the cut mark.
            2 => text
                .strip_prefix(want.as_str())
                .and_then(|rest| rest.strip_suffix('…'))
                .is_some_and(|xs| {
                    !xs.is_empty() && xs.len() < LONG_STRING && xs.bytes().all(|b| b == b'x')
                }),
            3 => false, // filtered: never in the log
            _ => text == want,
        };
        if good {
            Ok(i)
        } else {
            Err(format!("message {i}: {text:?}, expected {want:?}"))
        }
    }
}

/// A record read back: its header fields, and for a message its text (`None` for a data
/// record) or why it did not decode.
pub struct ReadBack {
    pub lsn: u64,
    pub epoch: u32,
    pub producer: u16,
    pub stream: u8,
    pub seq: u64,
    pub level: Level,
    pub text: Option<Result<String, String>>,
    /// Whether the message's call site was found.
    pub resolved: bool,
}

/// Every record the reader returns, messages rendered. (`Reader::message` borrows the reader,
/// so each record's payload is copied out before it is decoded.)
pub fn read_all(r: &mut rtlog::Reader) -> rtlog::error::Result<Vec<ReadBack>> {
    let mut out = Vec::new();
    while let Some(rec) = r.next_record()? {
        let payload = rec.payload.to_vec();
        let rec = rtlog::Record { payload: &payload, ..rec };
        let mut back = ReadBack {
            lsn: rec.lsn,
            epoch: rec.epoch,
            producer: rec.producer,
            stream: rec.stream,
            seq: rec.seq,
            level: rec.level,
            text: None,
            resolved: false,
        };
        if rec.kind == rtlog::format::FrameKind::Message {
            let m = r.message(&rec);
            back.resolved = m.as_ref().is_ok_and(|m| m.site.is_some());
            back.text = Some(m.map(|m| m.text()).map_err(|e| e.to_string()));
        }
        out.push(back);
    }
    Ok(out)
}

/// Sorts a words message's outcome (never filtered: the kit's words message is INFO).
fn note_words(ok: bool, full: bool, out: &mut Outcomes) {
    match (ok, full) {
        (true, _) => out.ok += 1,
        (_, true) => out.full += 1,
        _ => out.other += 1,
    }
}

/// The message frames of the log in `dir`: (payload, level, stream, text).
pub fn message_frames(dir: &std::path::Path) -> Vec<(Vec<u8>, Level, u8, String)> {
    let mut r = rtlog::reader::Reader::open(dir).unwrap();
    let mut out = Vec::new();
    loop {
        let (payload, level, stream, lsn) = match r.next_frame().unwrap() {
            None => return out,
            Some(rec) if rec.kind == rtlog::format::FrameKind::Message => {
                (rec.payload.to_vec(), rec.level, rec.stream, rec.lsn)
            }
            Some(_) => continue,
        };
        let rec = rtlog::Record {
            lsn,
            seq: 0,
            timestamp_ns: 0,
            epoch: 0,
            producer: 0,
            record_type: 0,
            stream,
            kind: rtlog::format::FrameKind::Message,
            level,
            payload: &payload,
        };
        let text = r.message(&rec).unwrap().text();
        out.push((payload.clone(), level, stream, text));
    }
}
