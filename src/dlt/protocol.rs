//! The DLT user protocol as COVESA `dlt-daemon` 2.18 reads it from its FIFO (non-RT, pure
//! encoding; see docs/DLT.md for where each layout was checked).
//!
//! Every message an application writes starts with a user header, `"DUH\x01"` and a `u32`
//! message type, both in host byte order, followed by a packed body:
//!
//! | type | body |
//! | --- | --- |
//! | `LOG` (1) | a complete DLT message: standard header, extra fields, extended header, payload |
//! | `REGISTER_APPLICATION` (2) | apid\[4\], pid `i32`, description length `u32`, description |
//! | `UNREGISTER_APPLICATION` (3) | apid\[4\], pid `i32` |
//! | `REGISTER_CONTEXT` (4) | apid\[4\], ctid\[4\], log_level_pos `i32`, log_level `i8`, trace_status `i8`, pid `i32`, description length `u32`, description |
//! | `UNREGISTER_CONTEXT` (5) | apid\[4\], ctid\[4\], pid `i32` |
//!
//! The DLT message inside `LOG` is the wire format clients receive (AUTOSAR DLT, protocol
//! version 1): the standard header's length and extra fields are big-endian; the payload is in
//! the byte order the `MSBF` bit names (clear here: little-endian, as libdlt writes on x86).

/// `DLT_USER_MESSAGE_LOG`.
pub const USER_LOG: u32 = 1;
/// `DLT_USER_MESSAGE_REGISTER_APPLICATION`.
pub const USER_REGISTER_APPLICATION: u32 = 2;
/// `DLT_USER_MESSAGE_UNREGISTER_APPLICATION`.
pub const USER_UNREGISTER_APPLICATION: u32 = 3;
/// `DLT_USER_MESSAGE_REGISTER_CONTEXT`.
pub const USER_REGISTER_CONTEXT: u32 = 4;
/// `DLT_USER_MESSAGE_UNREGISTER_CONTEXT`.
pub const USER_UNREGISTER_CONTEXT: u32 = 5;

/// `DLT_USER_LOG_LEVEL_NOT_SET` / `DLT_USER_TRACE_STATUS_NOT_SET`: the daemon applies its
/// configured defaults (libdlt registers contexts this way too).
const NOT_SET: i8 = -2;

/// Standard header flags (`DLT_HTYP_*`): extended header, ECU id, session id, timestamp,
/// protocol version 1. `MSBF` stays clear: the payload is little-endian.
const HTYP: u8 = 0x01 | 0x04 | 0x08 | 0x10 | (1 << 5);
/// `DLT_MSIN_VERB`.
const MSIN_VERBOSE: u8 = 0x01;
/// `DLT_TYPE_LOG` in the message-type bits.
const MSIN_TYPE_LOG: u8 = 0 << 1;
/// The ECU id libdlt writes (`DLT_USER_DEFAULT_ECU_ID`); a daemon with its own ECU id
/// (`ECUId` in dlt.conf) puts that in its place before forwarding.
pub const DEFAULT_ECU_ID: [u8; 4] = *b"ECU1";

/// Bytes of the user header.
pub const USER_HEADER_BYTES: usize = 8;
/// Bytes of standard header + extra fields (ECU, session, timestamp) + extended header.
pub const DLT_HEADER_BYTES: usize = 4 + 12 + 10;
/// Bytes a non-verbose `LOG` message adds in front of the payload: user header, DLT headers,
/// message id.
pub const LOG_OVERHEAD: usize = USER_HEADER_BYTES + DLT_HEADER_BYTES + 4;

/// DLT log levels (`DltLogLevelType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Level {
    /// Off: records at this level are not sent (rtlog does not forward that stream).
    Off = 0,
    /// Fatal system error.
    Fatal = 1,
    /// Error with impact on correct functionality.
    Error = 2,
    /// Correct behaviour could not be ensured.
    Warn = 3,
    /// Informational.
    Info = 4,
    /// Debug.
    Debug = 5,
    /// Highest grade of information.
    Verbose = 6,
}

impl Level {
    /// The level for a raw value (0..=6), if it is one.
    pub fn from_raw(raw: u32) -> Option<Level> {
        Some(match raw {
            0 => Level::Off,
            1 => Level::Fatal,
            2 => Level::Error,
            3 => Level::Warn,
            4 => Level::Info,
            5 => Level::Debug,
            6 => Level::Verbose,
            _ => return None,
        })
    }
}

/// A DLT id (application or context): up to 4 bytes, NUL-padded, as `dlt_set_id` stores it.
pub type Id = [u8; 4];

/// What every message of one application shares.
#[derive(Clone, Copy, Debug)]
pub struct App {
    /// Application id.
    pub apid: Id,
    /// Process id, sent at registration and as the session id of every message.
    pub pid: i32,
}

fn user_header(out: &mut Vec<u8>, message: u32) {
    out.extend_from_slice(b"DUH\x01");
    out.extend_from_slice(&message.to_ne_bytes());
}

/// Appends `REGISTER_APPLICATION` with `description`.
pub fn register_application(out: &mut Vec<u8>, app: &App, description: &str) {
    user_header(out, USER_REGISTER_APPLICATION);
    out.extend_from_slice(&app.apid);
    out.extend_from_slice(&app.pid.to_ne_bytes());
    out.extend_from_slice(&(description.len() as u32).to_ne_bytes());
    out.extend_from_slice(description.as_bytes());
}

/// Appends `REGISTER_CONTEXT` for `ctid`; `pos` is the context's index on our side (libdlt's
/// `log_level_pos`, which the daemon only echoes back).
pub fn register_context(out: &mut Vec<u8>, app: &App, ctid: Id, pos: i32, description: &str) {
    user_header(out, USER_REGISTER_CONTEXT);
    out.extend_from_slice(&app.apid);
    out.extend_from_slice(&ctid);
    out.extend_from_slice(&pos.to_ne_bytes());
    out.push(NOT_SET as u8);
    out.push(NOT_SET as u8);
    out.extend_from_slice(&app.pid.to_ne_bytes());
    out.extend_from_slice(&(description.len() as u32).to_ne_bytes());
    out.extend_from_slice(description.as_bytes());
}

/// Appends `UNREGISTER_CONTEXT`.
pub fn unregister_context(out: &mut Vec<u8>, app: &App, ctid: Id) {
    user_header(out, USER_UNREGISTER_CONTEXT);
    out.extend_from_slice(&app.apid);
    out.extend_from_slice(&ctid);
    out.extend_from_slice(&app.pid.to_ne_bytes());
}

/// Appends `UNREGISTER_APPLICATION`.
pub fn unregister_application(out: &mut Vec<u8>, app: &App) {
    user_header(out, USER_UNREGISTER_APPLICATION);
    out.extend_from_slice(&app.apid);
    out.extend_from_slice(&app.pid.to_ne_bytes());
}

/// The headers of one log message.
#[derive(Clone, Copy, Debug)]
pub struct LogHeader {
    /// Context id.
    pub ctid: Id,
    /// Message counter of the context (wraps).
    pub mcnt: u8,
    /// Log level.
    pub level: Level,
    /// CLOCK_MONOTONIC time of the record in ns (sent in DLT's 0.1 ms units).
    pub timestamp_ns: u64,
    /// Verbose (self-describing arguments) or non-verbose (message id + raw payload).
    pub verbose: bool,
    /// Number of arguments (verbose only).
    pub noar: u8,
}

/// Appends the user header and DLT headers of a `LOG` message whose payload (message id
/// included, for non-verbose) is `payload_len` bytes. The caller appends the payload.
pub fn log_headers(out: &mut Vec<u8>, app: &App, h: &LogHeader, payload_len: usize) {
    user_header(out, USER_LOG);
    let len = (DLT_HEADER_BYTES + payload_len) as u16;
    out.extend_from_slice(&[HTYP, h.mcnt]);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&DEFAULT_ECU_ID);
    out.extend_from_slice(&(app.pid as u32).to_be_bytes());
    out.extend_from_slice(&((h.timestamp_ns / 100_000) as u32).to_be_bytes());
    let verbose = if h.verbose { MSIN_VERBOSE } else { 0 };
    out.push(MSIN_TYPE_LOG | ((h.level as u8) << 4) | verbose);
    out.push(if h.verbose { h.noar } else { 0 });
    out.extend_from_slice(&app.apid);
    out.extend_from_slice(&h.ctid);
}

/// Bytes of a non-verbose log message for a `payload_len`-byte record, user header included.
pub fn log_bytes(payload_len: usize) -> usize {
    LOG_OVERHEAD + payload_len
}

/// Appends a non-verbose log message: message id `msgid`, then `payload`.
pub fn log_nonverbose(out: &mut Vec<u8>, app: &App, h: &LogHeader, msgid: u32, payload: &[u8]) {
    log_headers(out, app, &LogHeader { verbose: false, noar: 0, ..*h }, 4 + payload.len());
    out.extend_from_slice(&msgid.to_le_bytes());
    out.extend_from_slice(payload);
}

/// Verbose argument type info (`DLT_TYPE_INFO_*`, dlt_protocol.h): the kind bits.
const TYPE_BOOL: u32 = 0x10;
const TYPE_SINT: u32 = 0x20;
const TYPE_UINT: u32 = 0x40;
const TYPE_FLOA: u32 = 0x80;
const TYPE_STRG: u32 = 0x200;
/// `DLT_SCOD_UTF8`: a string's coding.
const SCOD_UTF8: u32 = 0x8000;
/// `DLT_SCOD_HEX`: an unsigned integer shown in hexadecimal (libdlt's
/// `dlt_user_log_write_uint*_formatted(.., DLT_FORMAT_HEX*)` and `dlt_user_log_write_ptr`).
const SCOD_HEX: u32 = 0x1_0000;

/// `DLT_TYLE_*` for a value of `bytes` bytes (1, 2, 4 or 8).
const fn tyle(bytes: usize) -> u32 {
    match bytes {
        1 => 1,
        2 => 2,
        4 => 3,
        _ => 4,
    }
}

/// Bytes of a verbose string argument of `len` bytes: type info, length, bytes, NUL.
pub const fn string_arg_bytes(len: usize) -> usize {
    4 + 2 + len + 1
}

/// Appends a verbose string argument, in UTF-8 coding (else ASCII): type info, `u16` length
/// (NUL included), the bytes of `parts` one after the other, and a NUL. The caller keeps the
/// total within one message (no `PIPE_BUF` message reaches the `u16` limit).
pub fn arg_string(out: &mut Vec<u8>, utf8: bool, parts: &[&[u8]]) {
    let len: usize = parts.iter().map(|p| p.len()).sum();
    let coding = if utf8 { SCOD_UTF8 } else { 0 };
    out.extend_from_slice(&(TYPE_STRG | coding).to_le_bytes());
    out.extend_from_slice(&((len.min(usize::from(u16::MAX) - 1) + 1) as u16).to_le_bytes());
    for p in parts {
        out.extend_from_slice(p);
    }
    out.push(0);
}

/// Appends a verbose unsigned integer argument of `bytes` bytes (1, 2, 4, 8; `value` is cut
/// to them), in hexadecimal coding when `hex`.
pub fn arg_uint(out: &mut Vec<u8>, bytes: usize, value: u64, hex: bool) {
    let coding = if hex { SCOD_HEX } else { 0 };
    scalar_arg(out, TYPE_UINT | coding | tyle(bytes), bytes, value);
}

/// Appends a verbose signed integer argument of `bytes` bytes (two's complement, cut).
pub fn arg_sint(out: &mut Vec<u8>, bytes: usize, value: i64) {
    scalar_arg(out, TYPE_SINT | tyle(bytes), bytes, value as u64);
}

/// Appends a verbose `float32` argument.
pub fn arg_f32(out: &mut Vec<u8>, value: f32) {
    scalar_arg(out, TYPE_FLOA | tyle(4), 4, u64::from(value.to_bits()));
}

/// Appends a verbose `float64` argument.
pub fn arg_f64(out: &mut Vec<u8>, value: f64) {
    scalar_arg(out, TYPE_FLOA | tyle(8), 8, value.to_bits());
}

/// Appends a verbose `bool` argument (one byte, 0 or 1).
pub fn arg_bool(out: &mut Vec<u8>, value: bool) {
    scalar_arg(out, TYPE_BOOL | tyle(1), 1, u64::from(value));
}

/// Type info, then the low `bytes` bytes of `bits`, little-endian (`MSBF` is clear).
fn scalar_arg(out: &mut Vec<u8>, type_info: u32, bytes: usize, bits: u64) {
    out.extend_from_slice(&type_info.to_le_bytes());
    out.extend_from_slice(&bits.to_le_bytes()[..bytes]);
}

/// Appends the headers of a verbose `LOG` message whose payload is not known yet; returns
/// where the message starts, for [`end_verbose`].
pub fn begin_verbose(out: &mut Vec<u8>, app: &App, h: &LogHeader) -> usize {
    let start = out.len();
    log_headers(out, app, &LogHeader { verbose: true, ..*h }, 0);
    start
}

/// Sets the length and the argument count `noar` of the verbose message that starts at
/// `start` and ends at the end of `out` (its arguments appended since [`begin_verbose`]).
pub fn end_verbose(out: &mut [u8], start: usize, noar: u8) {
    let dlt = start + USER_HEADER_BYTES;
    let len = (out.len() - dlt) as u16;
    out[dlt + 2..dlt + 4].copy_from_slice(&len.to_be_bytes());
    // Standard header 4, extra fields 12, then the extended header's msin and noar.
    out[dlt + 17] = noar;
}

/// A verbose loss-marker message's arguments: the text, then count, first seq, last seq.
pub struct LossArgs<'a> {
    /// Why the records were lost (ASCII).
    pub reason: &'a str,
    /// Records lost.
    pub count: u64,
    /// First seq of the gap (or, for records refused at publish, the seq they preceded).
    pub first_seq: u64,
    /// Last seq of the gap.
    pub last_seq: u64,
}

/// The fixed text that starts every loss marker's first argument.
pub const LOSS_TEXT: &str = "rtlog records lost: ";

/// Bytes of a verbose loss marker with reason `reason`, user header included.
pub fn loss_bytes(reason: &str) -> usize {
    USER_HEADER_BYTES
        + DLT_HEADER_BYTES
        + string_arg_bytes(LOSS_TEXT.len() + reason.len())
        + 3 * (4 + 8)
}

/// Appends a verbose WARN message that says records of a context were lost: a string
/// `"rtlog records lost: <reason>"`, then count, first seq and last seq as `u64`.
pub fn log_loss(out: &mut Vec<u8>, app: &App, h: &LogHeader, a: &LossArgs<'_>) {
    let start = begin_verbose(out, app, &LogHeader { noar: 4, level: Level::Warn, ..*h });
    arg_string(out, false, &[LOSS_TEXT.as_bytes(), a.reason.as_bytes()]);
    for v in [a.count, a.first_seq, a.last_seq] {
        arg_uint(out, 8, v, false);
    }
    end_verbose(out, start, 4);
}

/// An id from text: its first 4 bytes, NUL-padded (`dlt_set_id`).
pub fn id(text: &str) -> Id {
    let mut out = [0u8; 4];
    for (o, b) in out.iter_mut().zip(text.bytes()) {
        *o = b;
    }
    out
}

/// One context id per producer name: the name's first 4 ASCII letters and digits, in capitals;
/// a name that collides with an earlier one (or has none) ends in its producer index instead
/// ("sensor_a", "sensor_b" → "SENS", "SEN1").
pub fn context_ids<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<Id> {
    let mut ids: Vec<Id> = Vec::new();
    for (i, name) in names.into_iter().enumerate() {
        let base: String = name
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_uppercase())
            .take(4)
            .collect();
        let mut candidate = id(&base);
        let mut n = i;
        while base.is_empty() || ids.contains(&candidate) {
            let suffix = n.to_string();
            let keep = 4usize.saturating_sub(suffix.len()).min(base.len());
            candidate = id(&format!("{}{}", &base[..keep], suffix));
            if !ids.contains(&candidate) {
                break;
            }
            n += 1;
        }
        ids.push(candidate);
    }
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    const APP: App = App { apid: *b"RTLG", pid: 0x0102_0304 };

    #[test]
    fn register_messages_have_the_packed_layouts() {
        let mut b = Vec::new();
        register_application(&mut b, &APP, "rtlog");
        // user header 8 + apid 4 + pid 4 + length 4 + text
        assert_eq!(b.len(), 8 + 4 + 4 + 4 + 5);
        assert_eq!(&b[..4], b"DUH\x01");
        assert_eq!(u32::from_ne_bytes(b[4..8].try_into().unwrap()), 2);
        assert_eq!(&b[8..12], b"RTLG");
        assert_eq!(i32::from_ne_bytes(b[12..16].try_into().unwrap()), APP.pid);
        assert_eq!(u32::from_ne_bytes(b[16..20].try_into().unwrap()), 5);
        b.clear();
        register_context(&mut b, &APP, *b"SENS", 7, "sensor");
        // user header 8 + apid 4 + ctid 4 + pos 4 + level 1 + status 1 + pid 4 + length 4
        assert_eq!(b.len(), 8 + 4 + 4 + 4 + 1 + 1 + 4 + 4 + 6);
        assert_eq!(u32::from_ne_bytes(b[4..8].try_into().unwrap()), 4);
        assert_eq!(&b[12..16], b"SENS");
        assert_eq!(i32::from_ne_bytes(b[16..20].try_into().unwrap()), 7);
        assert_eq!(b[20..22], [0xfe, 0xfe]);
        b.clear();
        unregister_context(&mut b, &APP, *b"SENS");
        assert_eq!(b.len(), 8 + 12);
        b.clear();
        unregister_application(&mut b, &APP);
        assert_eq!(b.len(), 8 + 8);
    }

    #[test]
    fn a_nonverbose_log_message_is_byte_exact() {
        let mut b = Vec::new();
        let h = LogHeader {
            ctid: *b"CTX1",
            mcnt: 9,
            level: Level::Debug,
            timestamp_ns: 1_234_567_890,
            verbose: false,
            noar: 0,
        };
        log_nonverbose(&mut b, &APP, &h, 0x0203, &[0xaa, 0xbb]);
        assert_eq!(b.len(), log_bytes(2));
        let dlt = &b[8..];
        assert_eq!(dlt[0], 0x3d, "UEH|WEID|WSID|WTMS|version 1");
        assert_eq!(dlt[1], 9);
        assert_eq!(u16::from_be_bytes([dlt[2], dlt[3]]) as usize, dlt.len());
        assert_eq!(&dlt[4..8], b"ECU1");
        assert_eq!(&dlt[8..12], &0x0102_0304u32.to_be_bytes());
        assert_eq!(&dlt[12..16], &12_345u32.to_be_bytes());
        assert_eq!(dlt[16], 5 << 4, "log, debug, non-verbose");
        assert_eq!(dlt[17], 0);
        assert_eq!(&dlt[18..22], b"RTLG");
        assert_eq!(&dlt[22..26], b"CTX1");
        assert_eq!(&dlt[26..30], &0x0203u32.to_le_bytes());
        assert_eq!(&dlt[30..], &[0xaa, 0xbb]);
    }

    #[test]
    fn a_loss_marker_is_verbose_with_four_arguments() {
        let mut b = Vec::new();
        let h = LogHeader {
            ctid: *b"CTX1",
            mcnt: 0,
            level: Level::Info,
            timestamp_ns: 0,
            verbose: false,
            noar: 0,
        };
        let a = LossArgs { reason: "dlt queue full", count: 5, first_seq: 10, last_seq: 14 };
        log_loss(&mut b, &APP, &h, &a);
        assert_eq!(b.len(), loss_bytes(a.reason));
        let dlt = &b[8..];
        assert_eq!(u16::from_be_bytes([dlt[2], dlt[3]]) as usize, dlt.len());
        assert_eq!(dlt[16], (3 << 4) | 1, "log, warn, verbose");
        assert_eq!(dlt[17], 4);
        let p = &dlt[26..];
        assert_eq!(u32::from_le_bytes(p[..4].try_into().unwrap()), 0x200);
        let n = u16::from_le_bytes([p[4], p[5]]) as usize;
        assert_eq!(&p[6..6 + n], b"rtlog records lost: dlt queue full\0");
        let rest = &p[6 + n..];
        assert_eq!(rest.len(), 36);
        assert_eq!(u32::from_le_bytes(rest[..4].try_into().unwrap()), 0x44);
        assert_eq!(u64::from_le_bytes(rest[4..12].try_into().unwrap()), 5);
        assert_eq!(u64::from_le_bytes(rest[28..36].try_into().unwrap()), 14);
    }

    #[test]
    fn verbose_arguments_have_the_spec_layout() {
        // AUTOSAR PRS_Dlt "Type Info": TYLE bits 0-3 (1 = 8 bit .. 4 = 64 bit), BOOL 4,
        // SINT 5, UINT 6, FLOA 7, STRG 9, SCOD bits 15-17 (1 = UTF-8 for strings, 2 = hex for
        // integers, libdlt's DLT_SCOD_HEX); values little-endian as MSBF is clear.
        let one = |f: &dyn Fn(&mut Vec<u8>)| {
            let mut b = Vec::new();
            f(&mut b);
            b
        };
        assert_eq!(one(&|b| arg_uint(b, 1, 0x1ff, false)), [0x41, 0, 0, 0, 0xff]);
        assert_eq!(one(&|b| arg_uint(b, 2, 0x1234, true)), [0x42, 0, 1, 0, 0x34, 0x12]);
        assert_eq!(one(&|b| arg_uint(b, 4, 7, false)), [0x43, 0, 0, 0, 7, 0, 0, 0]);
        assert_eq!(
            one(&|b| arg_uint(b, 8, 0x0102_0304_0506_0708, true)),
            [0x44, 0, 1, 0, 8, 7, 6, 5, 4, 3, 2, 1]
        );
        assert_eq!(one(&|b| arg_sint(b, 1, -2)), [0x21, 0, 0, 0, 0xfe]);
        assert_eq!(one(&|b| arg_sint(b, 2, -2)), [0x22, 0, 0, 0, 0xfe, 0xff]);
        assert_eq!(one(&|b| arg_sint(b, 4, -2)), [0x23, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff]);
        assert_eq!(one(&|b| arg_sint(b, 8, 1 << 40))[..4], [0x24, 0, 0, 0]);
        assert_eq!(one(&|b| arg_f32(b, 1.0)), [0x83, 0, 0, 0, 0, 0, 0x80, 0x3f]);
        assert_eq!(one(&|b| arg_f64(b, -2.0)), [0x84, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xc0]);
        assert_eq!(one(&|b| arg_bool(b, true)), [0x11, 0, 0, 0, 1]);
        assert_eq!(
            one(&|b| arg_string(b, true, &[b"h\xc3", b"\xa9"])),
            [0x00, 0x82, 0, 0, 4, 0, b'h', 0xc3, 0xa9, 0]
        );
        assert_eq!(one(&|b| arg_string(b, false, &[b"a"])), [0x00, 0x02, 0, 0, 2, 0, b'a', 0]);
    }

    #[test]
    fn a_verbose_message_gets_its_length_and_argument_count_at_the_end() {
        let mut b = vec![0xee; 3]; // something already in the batch
        let h = LogHeader {
            ctid: *b"CTX1",
            mcnt: 1,
            level: Level::Error,
            timestamp_ns: 0,
            verbose: false,
            noar: 0,
        };
        let start = begin_verbose(&mut b, &APP, &h);
        assert_eq!(start, 3);
        arg_bool(&mut b, false);
        arg_uint(&mut b, 1, 5, false);
        end_verbose(&mut b, start, 2);
        let dlt = &b[start + USER_HEADER_BYTES..];
        assert_eq!(u16::from_be_bytes([dlt[2], dlt[3]]) as usize, DLT_HEADER_BYTES + 10);
        assert_eq!(dlt.len(), DLT_HEADER_BYTES + 10);
        assert_eq!(dlt[16], (2 << 4) | 1, "log, error, verbose");
        assert_eq!(dlt[17], 2);
        assert_eq!(&b[..3], &[0xee; 3]);
    }

    #[test]
    fn context_ids_are_unique_and_derived_from_names() {
        let ids = context_ids(["sensor_a", "sensor_b", "ctl", "", "sensor_c", "x-y"]);
        assert_eq!(ids[0], *b"SENS");
        assert_eq!(ids[1], *b"SEN1");
        assert_eq!(ids[2], *b"CTL\0");
        assert_eq!(ids[3], *b"3\0\0\0");
        assert_eq!(ids[4], *b"SEN4");
        assert_eq!(ids[5], *b"XY\0\0");
        let many: Vec<String> = (0..200).map(|_| "same".to_string()).collect();
        let ids = context_ids(many.iter().map(String::as_str));
        for (i, a) in ids.iter().enumerate() {
            assert!(!ids[..i].contains(a), "duplicate id {a:?}");
        }
    }
}
