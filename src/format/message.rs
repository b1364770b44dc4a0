//! The bytes of log messages (issue 14): call-site frames, message frames, and the packed
//! arguments both share with the producer's ring slot (see `docs/FORMAT.md`, "Messages").
//!
//! A message is a call site (format, file, line, function, level, argument types: static data
//! of the program, written into the log once per segment as a [`CallSite`] frame) plus packed
//! binary arguments. The RT thread packs the arguments with [`ArgType`]'s sizes and nothing
//! else; the text is made by whoever reads the log.
//!
//! Packed arguments: `argc: u8`, `argc` type bytes ([`ArgType`]), then each value in order,
//! little-endian, unaligned, of its type's size; a string is a `u16` ([`STR_LEN_MASK`] bits of
//! length, [`STR_NULL`], [`STR_TRUNCATED`]) followed by its bytes. Every argument is tagged, so a
//! message stays decodable (as `<call site N>` and its raw arguments) when its call-site frame
//! is lost.

use super::{u16_at, u32_at, DecodeError, Level};

/// Most arguments one message carries.
pub const MAX_ARGS: usize = 16;
/// Bytes before the packed arguments: in a ring slot the call site's address (`u64`), in a
/// message frame the call site's id (`u32`) and a reserved `u32` (zero).
pub const HEAD_BYTES: usize = 8;
/// The length bits of a string argument's `u16`: at most this many bytes are stored.
pub const STR_LEN_MASK: u16 = 0x3FFF;
/// A string argument's flag: the pointer was NULL (printed as glibc prints it, `(null)`).
pub const STR_NULL: u16 = 1 << 14;
/// A string argument's flag: only the first bytes of a longer string were stored.
pub const STR_TRUNCATED: u16 = 1 << 15;
/// Largest `file`, `function` or `format` a call-site frame stores (longer ones are cut).
pub const MAX_TEXT: usize = u16::MAX as usize;

/// The type of a message argument, as `rtlog_arg_type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ArgType {
    /// `int8_t`, `signed char`.
    I8 = 1,
    /// `uint8_t`, `unsigned char`.
    U8 = 2,
    /// `int16_t`, `short`.
    I16 = 3,
    /// `uint16_t`, `unsigned short`.
    U16 = 4,
    /// `int32_t`, `int`.
    I32 = 5,
    /// `uint32_t`, `unsigned`.
    U32 = 6,
    /// `int64_t`, `long`, `long long`.
    I64 = 7,
    /// `uint64_t`, `unsigned long`, `size_t`.
    U64 = 8,
    /// `float` (stored as 4 bytes, printed as the `double` C promotes it to).
    F32 = 9,
    /// `double`.
    F64 = 10,
    /// `char` (for `%c`; printed as its code by integer conversions).
    Char = 11,
    /// `bool`.
    Bool = 12,
    /// Any pointer but a string, for `%p`.
    Ptr = 13,
    /// A string: `const char *` (NUL-terminated) or, from C++, a `std::string_view`.
    Str = 14,
}

impl ArgType {
    /// The type for a stored byte, if it names one.
    pub fn from_u8(v: u8) -> Option<ArgType> {
        Self::from_code(v)
    }

    /// `from_u8`, usable in constants.
    pub const fn from_code(v: u8) -> Option<ArgType> {
        use ArgType::*;
        Some(match v {
            1 => I8,
            2 => U8,
            3 => I16,
            4 => U16,
            5 => I32,
            6 => U32,
            7 => I64,
            8 => U64,
            9 => F32,
            10 => F64,
            11 => Char,
            12 => Bool,
            13 => Ptr,
            14 => Str,
            _ => return None,
        })
    }

    /// Bytes of a value of this type; for [`ArgType::Str`], of its `u16` length word.
    pub const fn fixed_size(self) -> usize {
        use ArgType::*;
        match self {
            I8 | U8 | Char | Bool => 1,
            I16 | U16 | Str => 2,
            I32 | U32 | F32 => 4,
            I64 | U64 | F64 | Ptr => 8,
        }
    }

    /// The type's name, as `rtlog dump --json` prints it.
    pub fn name(self) -> &'static str {
        use ArgType::*;
        match self {
            I8 => "i8",
            U8 => "u8",
            I16 => "i16",
            U16 => "u16",
            I32 => "i32",
            U32 => "u32",
            I64 => "i64",
            U64 => "u64",
            F32 => "f32",
            F64 => "f64",
            Char => "char",
            Bool => "bool",
            Ptr => "ptr",
            Str => "str",
        }
    }
}

/// A decoded argument value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ArgValue<'a> {
    /// A signed integer (`I8`..`I64`), sign-extended.
    Int(i64),
    /// An unsigned integer (`U8`..`U64`, `Char`, `Bool`), zero-extended.
    Uint(u64),
    /// `F32` or `F64`.
    Float(f64),
    /// `Ptr`.
    Ptr(u64),
    /// `Str`: the stored bytes, whether the pointer was NULL, whether the string was cut.
    Str {
        /// Bytes stored (without a NUL).
        bytes: &'a [u8],
        /// The producer passed a NULL pointer.
        null: bool,
        /// Only the first `bytes.len()` bytes of a longer string were stored.
        truncated: bool,
    },
}

/// One decoded argument: its type and value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Arg<'a> {
    /// The argument's C type.
    pub ty: ArgType,
    /// Its value.
    pub value: ArgValue<'a>,
}

/// Decodes packed arguments (`b` starts at the `argc` byte). Fails on an unknown type byte,
/// more than [`MAX_ARGS`] arguments, a value running past the end, or bytes left over.
pub fn decode_args(b: &[u8]) -> Result<Vec<Arg<'_>>, DecodeError> {
    let mut args = Vec::with_capacity(b.first().map_or(0, |&n| usize::from(n)).min(MAX_ARGS));
    for_each_arg(b, |a| args.push(a))?;
    Ok(args)
}

/// Decodes packed arguments as [`decode_args`] does, without allocating: `each` gets every
/// argument in order, as far as the bytes are valid (an error may follow arguments already
/// given: check with a first pass that ignores them when that matters).
pub fn for_each_arg<'a>(b: &'a [u8], mut each: impl FnMut(Arg<'a>)) -> Result<(), DecodeError> {
    let (&argc, rest) = b.split_first().ok_or(DecodeError::Truncated)?;
    let argc = usize::from(argc);
    if argc > MAX_ARGS {
        return Err(DecodeError::BadField("message argument count"));
    }
    if rest.len() < argc {
        return Err(DecodeError::Truncated);
    }
    let (types, mut values) = rest.split_at(argc);
    for &t in types {
        let ty = ArgType::from_u8(t).ok_or(DecodeError::BadField("message argument type"))?;
        let size = ty.fixed_size();
        if values.len() < size {
            return Err(DecodeError::Truncated);
        }
        let (v, rest) = values.split_at(size);
        values = rest;
        let value = match ty {
            ArgType::Str => {
                let word = u16_at(v, 0);
                let len = usize::from(word & STR_LEN_MASK);
                if values.len() < len {
                    return Err(DecodeError::Truncated);
                }
                let (bytes, rest) = values.split_at(len);
                values = rest;
                let null = word & STR_NULL != 0;
                if null && len != 0 {
                    return Err(DecodeError::BadField("NULL string with bytes"));
                }
                ArgValue::Str { bytes, null, truncated: word & STR_TRUNCATED != 0 }
            }
            _ => scalar(ty, v),
        };
        each(Arg { ty, value });
    }
    if !values.is_empty() {
        return Err(DecodeError::BadLength);
    }
    Ok(())
}

/// The value of a scalar argument from its `fixed_size()` bytes.
fn scalar(ty: ArgType, v: &[u8]) -> ArgValue<'static> {
    let mut word = [0u8; 8];
    word[..v.len()].copy_from_slice(v);
    let raw = u64::from_le_bytes(word);
    let bits = 8 * v.len() as u32;
    let signed = |raw: u64| ((raw << (64 - bits)) as i64) >> (64 - bits);
    match ty {
        ArgType::I8 | ArgType::I16 | ArgType::I32 | ArgType::I64 => ArgValue::Int(signed(raw)),
        ArgType::F32 => ArgValue::Float(f64::from(f32::from_bits(raw as u32))),
        ArgType::F64 => ArgValue::Float(f64::from_bits(raw)),
        ArgType::Ptr => ArgValue::Ptr(raw),
        _ => ArgValue::Uint(raw),
    }
}

/// The head of a message frame's payload: the call-site id, then the packed arguments.
/// Returns the id and the packed arguments.
pub fn split_message(payload: &[u8]) -> Result<(u32, &[u8]), DecodeError> {
    if payload.len() < HEAD_BYTES + 1 {
        return Err(DecodeError::Truncated);
    }
    if u32_at(payload, 4) != 0 {
        return Err(DecodeError::BadField("reserved message bytes"));
    }
    Ok((u32_at(payload, 0), &payload[HEAD_BYTES..]))
}

/// Writes a message frame's head (the call-site id) over the first [`HEAD_BYTES`] of `out`.
pub fn put_message_head(out: &mut [u8], callsite: u32) {
    out[..4].copy_from_slice(&callsite.to_le_bytes());
    out[4..HEAD_BYTES].fill(0);
}

/// Payload of a [`super::FrameKind::CallSite`] frame: a call site's static data, written into
/// a segment before the first message of that call site in the segment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallSite {
    /// The call site's id in its epoch (message frames name it).
    pub id: u32,
    /// Source line.
    pub line: u32,
    /// The level of its messages.
    pub level: Level,
    /// The arguments' types, in order.
    pub arg_types: Vec<ArgType>,
    /// Source file (`__FILE__`).
    pub file: String,
    /// Function (`__func__`).
    pub function: String,
    /// The printf format.
    pub format: String,
}

/// Bytes of a call-site payload before its variable parts.
const CALLSITE_FIXED_BYTES: usize = 20;

// The frame limit `format::MAX_CALLSITE_PAYLOAD` is the largest payload `CallSite::encode`
// makes: the fixed part, 16 argument types and three texts cut to `MAX_TEXT`.
const _: () =
    assert!(super::MAX_CALLSITE_PAYLOAD as usize == CALLSITE_FIXED_BYTES + MAX_ARGS + 3 * MAX_TEXT);

impl CallSite {
    /// Encodes the payload; texts longer than [`MAX_TEXT`] are cut there (on a character
    /// boundary).
    pub fn encode(&self) -> Vec<u8> {
        let file = cut(&self.file);
        let function = cut(&self.function);
        let format = cut(&self.format);
        let mut b = Vec::with_capacity(
            CALLSITE_FIXED_BYTES
                + self.arg_types.len()
                + file.len()
                + function.len()
                + format.len(),
        );
        b.extend_from_slice(&self.id.to_le_bytes());
        b.extend_from_slice(&self.line.to_le_bytes());
        b.push(self.level as u8);
        b.push(self.arg_types.len() as u8);
        b.extend_from_slice(&(file.len() as u16).to_le_bytes());
        b.extend_from_slice(&(function.len() as u16).to_le_bytes());
        b.extend_from_slice(&0u16.to_le_bytes());
        b.extend_from_slice(&(format.len() as u32).to_le_bytes());
        b.extend(self.arg_types.iter().map(|&t| t as u8));
        b.extend_from_slice(file.as_bytes());
        b.extend_from_slice(function.as_bytes());
        b.extend_from_slice(format.as_bytes());
        b
    }

    /// Decodes a call-site payload (exactly its bytes).
    pub fn decode(b: &[u8]) -> Result<CallSite, DecodeError> {
        if b.len() < CALLSITE_FIXED_BYTES {
            return Err(DecodeError::Truncated);
        }
        let level = Level::from_u8(b[8]).ok_or(DecodeError::BadField("call-site level"))?;
        let argc = usize::from(b[9]);
        if argc > MAX_ARGS {
            return Err(DecodeError::BadField("call-site argument count"));
        }
        if u16_at(b, 14) != 0 {
            return Err(DecodeError::BadField("reserved call-site bytes"));
        }
        let lens = [usize::from(u16_at(b, 10)), usize::from(u16_at(b, 12)), u32_at(b, 16) as usize];
        let total = CALLSITE_FIXED_BYTES + argc + lens.iter().sum::<usize>();
        if total != b.len() {
            return Err(DecodeError::BadLength);
        }
        let mut off = CALLSITE_FIXED_BYTES;
        let arg_types = b[off..off + argc]
            .iter()
            .map(|&t| ArgType::from_u8(t).ok_or(DecodeError::BadField("call-site argument type")))
            .collect::<Result<Vec<_>, _>>()?;
        off += argc;
        let mut text = |len: usize| {
            let s = String::from_utf8_lossy(&b[off..off + len]).into_owned();
            off += len;
            s
        };
        let (file, function, format) = (text(lens[0]), text(lens[1]), text(lens[2]));
        Ok(CallSite {
            id: u32_at(b, 0),
            line: u32_at(b, 4),
            level,
            arg_types,
            file,
            function,
            format,
        })
    }
}

/// `s` cut to at most [`MAX_TEXT`] bytes, on a character boundary.
fn cut(s: &str) -> &str {
    if s.len() <= MAX_TEXT {
        return s;
    }
    let mut end = MAX_TEXT;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pack(args: &[(ArgType, &[u8])]) -> Vec<u8> {
        let mut b = vec![args.len() as u8];
        b.extend(args.iter().map(|(t, _)| *t as u8));
        for (_, v) in args {
            b.extend_from_slice(v);
        }
        b
    }

    #[test]
    fn scalars_decode_with_their_sign_and_width() {
        let b = pack(&[
            (ArgType::I8, &[0xFF]),
            (ArgType::U16, &[0xFF, 0xFF]),
            (ArgType::I32, &(-5i32).to_le_bytes()),
            (ArgType::F32, &1.5f32.to_le_bytes()),
            (ArgType::F64, &(-2.25f64).to_le_bytes()),
            (ArgType::Ptr, &0xdead_beefu64.to_le_bytes()),
            (ArgType::Char, b"A"),
        ]);
        let values: Vec<_> = decode_args(&b).unwrap().into_iter().map(|a| a.value).collect();
        assert_eq!(
            values,
            [
                ArgValue::Int(-1),
                ArgValue::Uint(0xFFFF),
                ArgValue::Int(-5),
                ArgValue::Float(1.5),
                ArgValue::Float(-2.25),
                ArgValue::Ptr(0xdead_beef),
                ArgValue::Uint(65),
            ]
        );
    }

    #[test]
    fn strings_carry_their_flags() {
        let mut word = (3u16 | STR_TRUNCATED).to_le_bytes().to_vec();
        word.extend_from_slice(b"abc");
        let b = pack(&[(ArgType::Str, &word), (ArgType::Str, &STR_NULL.to_le_bytes())]);
        let args = decode_args(&b).unwrap();
        assert_eq!(args[0].value, ArgValue::Str { bytes: b"abc", null: false, truncated: true });
        assert_eq!(args[1].value, ArgValue::Str { bytes: b"", null: true, truncated: false });
    }

    #[test]
    fn damaged_arguments_are_errors_not_panics() {
        let good = pack(&[(ArgType::U32, &7u32.to_le_bytes())]);
        assert!(decode_args(&good).is_ok());
        for n in 0..good.len() {
            assert!(decode_args(&good[..n]).is_err(), "cut at {n}");
        }
        let mut extra = good.clone();
        extra.push(0);
        assert_eq!(decode_args(&extra), Err(DecodeError::BadLength));
        let mut bad_type = good.clone();
        bad_type[1] = 99;
        assert!(decode_args(&bad_type).is_err());
        assert!(decode_args(&[17]).is_err(), "17 arguments");
        let long_str = pack(&[(ArgType::Str, &10u16.to_le_bytes())]);
        assert_eq!(decode_args(&long_str), Err(DecodeError::Truncated));
    }

    #[test]
    fn call_sites_round_trip_and_reject_damage() {
        let cs = CallSite {
            id: 3,
            line: 42,
            level: Level::Warn,
            arg_types: vec![ArgType::U32, ArgType::F64],
            file: "loop.c".into(),
            function: "step".into(),
            format: "joint %u over %.3f".into(),
        };
        let b = cs.encode();
        assert_eq!(CallSite::decode(&b).unwrap(), cs);
        for n in 0..b.len() {
            assert!(CallSite::decode(&b[..n]).is_err(), "cut at {n}");
        }
        let mut bad = b.clone();
        bad[8] = 9;
        assert!(CallSite::decode(&bad).is_err(), "level 9");
        let mut bad = b;
        bad[20] = 0;
        assert!(CallSite::decode(&bad).is_err(), "argument type 0");
    }

    #[test]
    fn message_heads_reject_reserved_bytes() {
        let mut p = vec![0u8; 9];
        put_message_head(&mut p, 7);
        assert_eq!(split_message(&p).unwrap(), (7, &[0u8][..]));
        p[5] = 1;
        assert!(split_message(&p).is_err());
        assert!(split_message(&p[..8]).is_err());
    }
}
