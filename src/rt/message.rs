//! Packing a log message into a ring slot (issue 14). **RT module.**
//!
//! The C macros (`RTLOG_INFO(p, fmt, ...)`) build a static [`CallSiteDesc`] at compile time and
//! an array of [`RawArg`] on the caller's stack, then call one library function. Here the
//! arguments are copied into the slot's payload, tagged with their types, behind the call
//! site's address: no formatting, no allocation, no lock, no system call, and every loop
//! bounded (by [`MAX_ARGS`] and by the slot's size). The writer turns the address into a
//! call-site id and writes the call site's text into the log (see `format::message`).

use crate::error::Status;
use crate::format::message::{
    ArgType, HEAD_BYTES, MAX_ARGS, STR_LEN_MASK, STR_NULL, STR_TRUNCATED,
};

/// A call site's static data, laid out as `rtlog_callsite` (the C header's macros build one
/// per call site; `ffi` checks the two layouts match). Its texts are NUL-terminated and, like
/// the struct itself, live as long as the program's code (the macros make them `static`).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct CallSiteDesc {
    /// `sizeof(rtlog_callsite)` of the header that built it.
    pub struct_size: u32,
    /// Source line.
    pub line: u32,
    /// `rtlog_level` of its messages.
    pub level: u8,
    /// Arguments each message passes (at most [`MAX_ARGS`]).
    pub arg_count: u8,
    /// Their types ([`ArgType`] values); the first `arg_count` are used.
    pub arg_types: [u8; MAX_ARGS],
    /// The printf format.
    pub format: *const u8,
    /// `__FILE__`.
    pub file: *const u8,
    /// `__func__`.
    pub function: *const u8,
}

/// One argument's bits, laid out as `rtlog_arg`'s value union.
#[repr(C)]
#[derive(Clone, Copy)]
pub union ArgBits {
    /// Signed integers, sign-extended.
    pub i: i64,
    /// Unsigned integers, `char` and `bool`, zero-extended.
    pub u: u64,
    /// `float` and `double`.
    pub f: f64,
    /// Pointers and strings.
    pub p: *const u8,
}

/// One argument, laid out as `rtlog_arg`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct RawArg {
    /// The value; which member is set follows the call site's type for this argument.
    pub value: ArgBits,
    /// Strings: the length in bytes, or [`NUL_TERMINATED`].
    pub length: u64,
}

/// `RawArg::length` of a C string: its length is found by looking for its NUL.
pub const NUL_TERMINATED: u64 = u64::MAX;

/// `SlotHeader::record_type` of a message slot that holds the call site's address and then
/// the caller's packed values (`rtlog_publish_message_packed`): the writer takes the argument
/// count and types from the call site. A message slot of record type 0 carries them after the
/// address (see [`pack`]). Only the writer reads it; frames keep record type 0.
pub const SLOT_PACKED: u16 = 1;

/// `SlotHeader::record_type` of a message slot that holds the call site's address and then
/// [`WORDS`] little-endian 8-byte words, one per argument (`rtlog_publish_message_words`):
/// an argument's packed bytes are the low bytes of its word, the words past the call site's
/// argument count are ignored. The writer packs them ([`pack_words`]); frames keep record
/// type 0.
pub const SLOT_WORDS: u16 = 2;

/// The arguments a message passed as words has at most (the words the entry point takes).
pub const WORDS: usize = 4;

/// Checks a call site for `rtlog_publish_message_words`: `InvalidArgument` when it has more
/// than [`WORDS`] arguments, or a type that is unknown or a string. Returns the size of its
/// values packed.
#[inline]
pub(crate) fn check_words(site: &CallSiteDesc) -> Result<usize, Status> {
    let argc = usize::from(site.arg_count);
    if argc > WORDS {
        return Err(Status::InvalidArgument);
    }
    let size: usize = site.arg_types[..argc]
        .iter()
        .map(|&t| usize::from(PACKED_SIZE_OF_CODE[usize::from(t)]))
        .sum();
    if size > MAX_PACKED_VALUES {
        return Err(Status::InvalidArgument);
    }
    Ok(size)
}

/// Packs the arguments of a words message as `rtlog_publish_message_packed` takes them: the low
/// bytes of each word, as many as its type's size, little-endian, back to back. `types` are
/// fixed-size types ([`check_words`] passed them), at most [`WORDS`]. Returns the bytes
/// written to `out`. RT-safe.
pub(crate) fn pack_words(types: &[u8], words: &[u64; WORDS], out: &mut [u8; WORDS * 8]) -> usize {
    let mut at = 0;
    for (&t, word) in types.iter().zip(words) {
        let size = usize::from(PACKED_SIZE_OF_CODE[usize::from(t)]).min(8);
        out[at..at + size].copy_from_slice(&word.to_le_bytes()[..size]);
        at += size;
    }
    at
}

/// The head of a packed message's slot payload: the call site's address.
#[inline(always)]
pub(crate) fn packed_head(site: &CallSiteDesc) -> [u8; HEAD_BYTES] {
    (site as *const CallSiteDesc as u64).to_le_bytes()
}

/// Checks a call site for packed values of `values_len` bytes: `InvalidArgument` when the
/// argument count or a type is unknown, when a type is a string (strings go through [`pack`],
/// which bounds their copy), or when `values_len` is not the sum of the types' sizes. One table
/// load and an add per argument: an unusable type's entry is larger than any valid sum.
#[inline(always)]
pub(crate) fn check_packed(site: &CallSiteDesc, values_len: usize) -> Result<(), Status> {
    let argc = usize::from(site.arg_count);
    if argc > MAX_ARGS {
        return Err(Status::InvalidArgument);
    }
    let mut size = 0usize;
    for &t in &site.arg_types[..argc] {
        size += usize::from(PACKED_SIZE_OF_CODE[usize::from(t)]);
    }
    if size != values_len || size > MAX_PACKED_VALUES {
        return Err(Status::InvalidArgument);
    }
    Ok(())
}

/// The most bytes of packed values a message has: 16 arguments of 8 bytes.
const MAX_PACKED_VALUES: usize = MAX_ARGS * 8;

/// A value's size in packed values for every byte a type code may hold ([`ArgType::fixed_size`]),
/// an unusable code's entry (unknown, or a string, which has no fixed size there) being larger
/// than [`MAX_PACKED_VALUES`], so that no sum with it passes the check.
const PACKED_SIZE_OF_CODE: [u16; 256] = {
    let mut t = [(MAX_PACKED_VALUES + 1) as u16; 256];
    let mut code = 0;
    while code < 256 {
        if let Some(ty) = ArgType::from_code(code as u8) {
            if !matches!(ty, ArgType::Str) {
                t[code] = ty.fixed_size() as u16;
            }
        }
        code += 1;
    }
    t
};

/// What a call site says before any argument is read: its level, and the types of its
/// arguments, checked.
pub(crate) struct Checked<'a> {
    pub(crate) types: &'a [u8],
    /// Bytes of the payload without the strings' bytes.
    pub(crate) fixed: usize,
}

/// Checks a call site's argument count and types; `InvalidArgument` when either is not one
/// this library knows.
#[inline]
pub(crate) fn check(site: &CallSiteDesc) -> Result<Checked<'_>, Status> {
    let argc = usize::from(site.arg_count);
    if argc > MAX_ARGS {
        return Err(Status::InvalidArgument);
    }
    let types = &site.arg_types[..argc];
    let mut fixed = HEAD_BYTES + 1 + argc;
    for &t in types {
        fixed += ArgType::from_u8(t).ok_or(Status::InvalidArgument)?.fixed_size();
    }
    Ok(Checked { types, fixed })
}

/// Packs the call site's address and `args` into `out`; returns the bytes used. Strings are
/// cut to what fits in `out` once every later argument has its room (and to
/// [`STR_LEN_MASK`] bytes), and marked as cut. `TooLarge` when even the arguments without
/// their strings' bytes do not fit.
///
/// # Safety
/// Every string argument's pointer is NULL, or valid for `length` bytes, or (with
/// [`NUL_TERMINATED`]) points to a NUL-terminated string; `args` has one entry per type.
#[inline]
pub(crate) unsafe fn pack(
    site: &CallSiteDesc,
    checked: &Checked<'_>,
    args: &[RawArg],
    out: &mut [u8],
) -> Result<usize, Status> {
    if checked.fixed > out.len() {
        return Err(Status::TooLarge);
    }
    out[..HEAD_BYTES].copy_from_slice(&(site as *const CallSiteDesc as u64).to_le_bytes());
    let argc = checked.types.len();
    out[HEAD_BYTES] = argc as u8;
    let mut at = HEAD_BYTES + 1 + argc;
    // Room left for strings' bytes: everything beyond the fixed part.
    let mut spare = out.len() - checked.fixed;
    for (i, (&t, arg)) in checked.types.iter().zip(args).enumerate() {
        out[HEAD_BYTES + 1 + i] = t;
        let ty = ArgType::from_u8(t).unwrap_or(ArgType::U64);
        if ty == ArgType::Str {
            // SAFETY: the caller's contract on string arguments.
            let n = unsafe { put_str(arg, &mut out[at..], spare) };
            spare -= n - 2;
            at += n;
        } else {
            at += put_scalar(scalar_bytes(ty, arg), ty.fixed_size(), &mut out[at..]);
        }
    }
    Ok(at)
}

/// Writes the first `size` of `bytes` at the start of `out`; returns `size`. With room for all
/// 8, it stores all 8 at once (the bytes past `size` are overwritten by the next argument or
/// lie past the packed length): a copy of `size` bytes is a call to `memcpy`, four per
/// 4-argument message.
#[inline(always)]
fn put_scalar(bytes: [u8; 8], size: usize, out: &mut [u8]) -> usize {
    if out.len() >= 8 {
        // SAFETY: `out` has at least 8 bytes; an unaligned write has no alignment requirement.
        unsafe { out.as_mut_ptr().cast::<[u8; 8]>().write_unaligned(bytes) };
    } else {
        out[..size].copy_from_slice(&bytes[..size]);
    }
    size
}

/// A scalar argument's little-endian bytes (the first `fixed_size()` are its value).
#[inline]
fn scalar_bytes(ty: ArgType, arg: &RawArg) -> [u8; 8] {
    // SAFETY: every member of the union is 8 plain bytes, so any bit pattern is a valid value
    // of each; the type says which one the caller set.
    let (u, f) = unsafe { (arg.value.u, arg.value.f) };
    match ty {
        ArgType::F32 => u64::from((f as f32).to_bits()).to_le_bytes(),
        ArgType::F64 => f.to_bits().to_le_bytes(),
        _ => u.to_le_bytes(),
    }
}

/// Writes a string argument (its `u16` word and up to `spare` bytes) at the start of `out`;
/// returns the bytes written.
///
/// # Safety
/// As for [`pack`].
#[inline]
unsafe fn put_str(arg: &RawArg, out: &mut [u8], spare: usize) -> usize {
    // SAFETY: as in `scalar_bytes`.
    let p = unsafe { arg.value.p };
    let limit = spare.min(usize::from(STR_LEN_MASK));
    let (len, mut word) = if p.is_null() {
        (0, STR_NULL)
    } else if arg.length == NUL_TERMINATED {
        // SAFETY: p points to a NUL-terminated string (the contract).
        unsafe { c_string_len(p, limit) }
    } else {
        let whole = usize::try_from(arg.length).unwrap_or(usize::MAX);
        (whole.min(limit), if whole > limit { STR_TRUNCATED } else { 0 })
    };
    word |= len as u16;
    out[..2].copy_from_slice(&word.to_le_bytes());
    if len > 0 {
        // SAFETY: p is valid for `len` bytes: `len` is at most the string's length (the part
        // before its NUL, or the caller's exact length).
        let bytes = unsafe { std::slice::from_raw_parts(p, len) };
        out[2..2 + len].copy_from_slice(bytes);
    }
    2 + len
}

/// The length of a NUL-terminated string, looking at no more than `limit + 1` bytes, and
/// [`STR_TRUNCATED`] when it is longer than `limit`.
///
/// # Safety
/// `p` points to a NUL-terminated string.
#[inline]
unsafe fn c_string_len(p: *const u8, limit: usize) -> (usize, u16) {
    for i in 0..=limit {
        // SAFETY: every byte up to and including the string's NUL is readable, and the loop
        // stops at the NUL.
        if unsafe { p.add(i).read() } == 0 {
            return (i, 0);
        }
    }
    (limit, STR_TRUNCATED)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::message::{decode_args, ArgValue};

    fn site(types: &[ArgType]) -> CallSiteDesc {
        let mut arg_types = [0u8; MAX_ARGS];
        for (d, t) in arg_types.iter_mut().zip(types) {
            *d = *t as u8;
        }
        CallSiteDesc {
            struct_size: std::mem::size_of::<CallSiteDesc>() as u32,
            line: 1,
            level: 2,
            arg_count: types.len() as u8,
            arg_types,
            format: c"%s".as_ptr().cast(),
            file: c"f.c".as_ptr().cast(),
            function: c"main".as_ptr().cast(),
        }
    }

    fn arg_u(u: u64) -> RawArg {
        RawArg { value: ArgBits { u }, length: 0 }
    }

    fn arg_str(p: *const u8, length: u64) -> RawArg {
        RawArg { value: ArgBits { p }, length }
    }

    fn packed(site: &CallSiteDesc, args: &[RawArg], room: usize) -> Result<Vec<u8>, Status> {
        let checked = check(site)?;
        let mut out = vec![0u8; room];
        // SAFETY: the tests' strings are NUL-terminated C literals or exact slices.
        let n = unsafe { pack(site, &checked, args, &mut out)? };
        out.truncate(n);
        Ok(out)
    }

    #[test]
    fn scalars_and_strings_decode_back() {
        let s = site(&[ArgType::I16, ArgType::F32, ArgType::Str, ArgType::Str, ArgType::Str]);
        let view = b"view-not-terminated";
        let args = [
            RawArg { value: ArgBits { i: -3 }, length: 0 },
            RawArg { value: ArgBits { f: 0.5 }, length: 0 },
            arg_str(c"hello".as_ptr().cast(), NUL_TERMINATED),
            arg_str(std::ptr::null(), NUL_TERMINATED),
            arg_str(view.as_ptr(), 4),
        ];
        let out = packed(&s, &args, 256).unwrap();
        assert_eq!(u64::from_le_bytes(out[..8].try_into().unwrap()), &s as *const _ as u64);
        let values: Vec<_> = decode_args(&out[8..]).unwrap().into_iter().map(|a| a.value).collect();
        assert_eq!(
            values,
            [
                ArgValue::Int(-3),
                ArgValue::Float(0.5),
                ArgValue::Str { bytes: b"hello", null: false, truncated: false },
                ArgValue::Str { bytes: b"", null: true, truncated: false },
                ArgValue::Str { bytes: b"view", null: false, truncated: false },
            ]
        );
    }

    #[test]
    fn strings_are_cut_to_leave_room_for_later_arguments() {
        let s = site(&[ArgType::Str, ArgType::U64]);
        let long = [b'x'; 100];
        let mut c_long = long.to_vec();
        c_long.push(0);
        for arg in [arg_str(c_long.as_ptr(), NUL_TERMINATED), arg_str(long.as_ptr(), 100)] {
            // fixed part: 8 head + 1 argc + 2 types + 2 str word + 8 u64 = 21; 30 bytes of room.
            let out = packed(&s, &[arg, arg_u(9)], 30).unwrap();
            assert_eq!(out.len(), 30);
            let a = decode_args(&out[8..]).unwrap();
            assert_eq!(
                a[0].value,
                ArgValue::Str { bytes: &[b'x'; 9], null: false, truncated: true }
            );
            assert_eq!(a[1].value, ArgValue::Uint(9));
        }
        // Exactly fitting is not cut.
        let out = packed(&s, &[arg_str(c"abc".as_ptr().cast(), NUL_TERMINATED), arg_u(1)], 24);
        let out = out.unwrap();
        assert_eq!(
            decode_args(&out[8..]).unwrap()[0].value,
            ArgValue::Str { bytes: b"abc", null: false, truncated: false }
        );
    }

    #[test]
    fn every_scalar_type_packs_in_a_slot_of_exactly_its_size_and_in_a_large_one() {
        use ArgType::*;
        let all = [I8, U8, I16, U16, I32, U32, I64, U64, F32, F64, Char, Bool, Ptr];
        let arg = |t: ArgType| match t {
            I8 | I16 | I32 | I64 => RawArg { value: ArgBits { i: -2 }, length: 0 },
            F32 | F64 => RawArg { value: ArgBits { f: 1.5 }, length: 0 },
            _ => arg_u(1),
        };
        for last in all {
            // Each type after a u64 and last: in a slot of exactly the packed size, the last
            // value is written without room for 8 bytes (the short path of `put_scalar`).
            let s = site(&[U64, last]);
            let args = [arg_u(7), arg(last)];
            let exact = 8 + 1 + 2 + 8 + last.fixed_size();
            let small = packed(&s, &args, exact).unwrap();
            let large = packed(&s, &args, 256).unwrap();
            assert_eq!(small, large, "{last:?}");
            assert_eq!(small.len(), exact, "{last:?}");
            let values: Vec<_> =
                decode_args(&small[8..]).unwrap().into_iter().map(|a| a.value).collect();
            let want = match last {
                I8 | I16 | I32 | I64 => ArgValue::Int(-2),
                F32 | F64 => ArgValue::Float(1.5),
                _ => decode_args(&large[8..]).unwrap()[1].value,
            };
            assert_eq!(values, [ArgValue::Uint(7), want], "{last:?}");
        }
    }

    #[test]
    fn bad_call_sites_and_small_slots_are_refused() {
        let mut s = site(&[ArgType::U64, ArgType::U64]);
        assert_eq!(packed(&s, &[arg_u(1), arg_u(2)], 26).err(), Some(Status::TooLarge));
        assert!(packed(&s, &[arg_u(1), arg_u(2)], 27).is_ok());
        s.arg_types[1] = 0;
        assert_eq!(check(&s).err(), Some(Status::InvalidArgument));
        s.arg_types[1] = 15;
        assert_eq!(check(&s).err(), Some(Status::InvalidArgument));
        s.arg_count = 17;
        assert_eq!(check(&s).err(), Some(Status::InvalidArgument));
    }
}
