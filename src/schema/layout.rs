//! Field layout strings: parsing, validation and the C struct layout they stand for.
//!
//! A layout is `type name; type name; ...`, e.g. `u32 axis; f64[3] pos; char[16] mode`. Each
//! field is laid out as a C compiler lays out the members of the equivalent struct on the
//! 64-bit Linux ABIs (x86-64 SysV, AArch64 AAPCS64): every scalar is aligned to its own size,
//! an array to its element's, padding is inserted before a field to reach its alignment, and
//! the total size is rounded up to the largest alignment. So a C or C++ struct with the same
//! members in the same order can be published as it is.

use std::fmt::Write;

/// Longest layout string accepted, in bytes.
pub const MAX_LAYOUT_BYTES: usize = 4096;
/// Most fields in a layout.
pub const MAX_FIELDS: usize = 256;
/// Longest field (and type) name, in bytes.
pub const MAX_NAME_BYTES: usize = 64;
/// Largest array length.
pub const MAX_ARRAY_LEN: u32 = 65535;

/// The element type of a field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scalar {
    /// `i8`: `int8_t`.
    I8,
    /// `i16`: `int16_t`.
    I16,
    /// `i32`: `int32_t`.
    I32,
    /// `i64`: `int64_t`.
    I64,
    /// `u8`: `uint8_t`.
    U8,
    /// `u16`: `uint16_t`.
    U16,
    /// `u32`: `uint32_t`.
    U32,
    /// `u64`: `uint64_t`.
    U64,
    /// `f32`: `float` (IEEE 754 binary32).
    F32,
    /// `f64`: `double` (IEEE 754 binary64).
    F64,
    /// `bool`: C `bool` / C++ `bool`, one byte.
    Bool,
    /// `char`: one byte of a fixed-size string (only as `char[N]`).
    Char,
}

const SCALARS: [(&str, Scalar); 12] = [
    ("i8", Scalar::I8),
    ("i16", Scalar::I16),
    ("i32", Scalar::I32),
    ("i64", Scalar::I64),
    ("u8", Scalar::U8),
    ("u16", Scalar::U16),
    ("u32", Scalar::U32),
    ("u64", Scalar::U64),
    ("f32", Scalar::F32),
    ("f64", Scalar::F64),
    ("bool", Scalar::Bool),
    ("char", Scalar::Char),
];

/// C spellings people type by habit, with the layout type they mean (for error hints).
const C_SPELLINGS: [(&str, &str); 18] = [
    ("int8_t", "i8"),
    ("int16_t", "i16"),
    ("int32_t", "i32"),
    ("int64_t", "i64"),
    ("uint8_t", "u8"),
    ("uint16_t", "u16"),
    ("uint32_t", "u32"),
    ("uint64_t", "u64"),
    ("float", "f32"),
    ("double", "f64"),
    ("_Bool", "bool"),
    ("short", "i16"),
    ("int", "i32"),
    ("long", "i64"),
    ("unsigned", "u32"),
    ("i128", "two u64 fields"),
    ("u128", "two u64 fields"),
    ("string", "char[N]"),
];

impl Scalar {
    /// Bytes of one element; also its alignment.
    pub fn size(self) -> u32 {
        match self {
            Scalar::I8 | Scalar::U8 | Scalar::Bool | Scalar::Char => 1,
            Scalar::I16 | Scalar::U16 => 2,
            Scalar::I32 | Scalar::U32 | Scalar::F32 => 4,
            Scalar::I64 | Scalar::U64 | Scalar::F64 => 8,
        }
    }

    /// The name used in layout strings.
    pub fn name(self) -> &'static str {
        SCALARS.iter().find(|(_, s)| *s == self).map(|(n, _)| *n).expect("every scalar is listed")
    }

    fn from_name(name: &str) -> Option<Scalar> {
        SCALARS.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
    }
}

/// One field of a layout, placed.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Field {
    /// The field's name (a C identifier).
    pub name: String,
    /// Its element type.
    pub scalar: Scalar,
    /// Array length; 0 for a scalar field. `char` fields are always arrays.
    pub array_len: u32,
    /// Bytes from the start of the record.
    pub offset: u32,
}

impl Field {
    /// Elements in the field (1 for a scalar).
    pub fn count(&self) -> u32 {
        self.array_len.max(1)
    }

    /// Bytes of the whole field.
    pub fn size(&self) -> u32 {
        self.scalar.size() * self.count()
    }
}

/// A parsed and placed layout.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Layout {
    fields: Vec<Field>,
    size: u32,
    align: u32,
    text: String,
}

impl Layout {
    /// Parses and places a layout string; the error names the problem and the field.
    pub fn parse(text: &str) -> Result<Layout, String> {
        if text.len() > MAX_LAYOUT_BYTES {
            return Err(format!(
                "layout is {} bytes, more than the {MAX_LAYOUT_BYTES} allowed",
                text.len()
            ));
        }
        if text.trim().is_empty() {
            return Err("empty layout: give at least one field, e.g. \"u32 axis; f64 position\""
                .to_string());
        }
        let parts: Vec<&str> = text.split(';').collect();
        let mut fields: Vec<Field> = Vec::new();
        for (i, raw) in parts.iter().enumerate() {
            let part = raw.trim();
            if part.is_empty() {
                // One trailing ';' is fine, as after the last member of a C struct.
                if i + 1 == parts.len() {
                    continue;
                }
                return Err(format!("field {} is empty (two ';' in a row?)", fields.len() + 1));
            }
            if fields.len() == MAX_FIELDS {
                return Err(format!("more than {MAX_FIELDS} fields"));
            }
            let field = parse_field(part)
                .map_err(|e| format!("field {} ({part:?}): {e}", fields.len() + 1))?;
            if let Some(j) = fields.iter().position(|f| f.name == field.name) {
                return Err(format!(
                    "duplicate field name {:?} (fields {} and {})",
                    field.name,
                    j + 1,
                    fields.len() + 1
                ));
            }
            fields.push(field);
        }
        place(fields)
    }

    /// The fields, in order, with their offsets.
    pub fn fields(&self) -> &[Field] {
        &self.fields
    }

    /// Bytes of a record of this layout (the C struct's `sizeof`).
    pub fn size(&self) -> u32 {
        self.size
    }

    /// Alignment of the record (the C struct's `alignof`).
    pub fn align(&self) -> u32 {
        self.align
    }

    /// The canonical layout string (`type name` joined by `"; "`), as stored in the log.
    pub fn text(&self) -> &str {
        &self.text
    }
}

/// Offsets, size and alignment as a C compiler gives them.
fn place(mut fields: Vec<Field>) -> Result<Layout, String> {
    let (mut end, mut align) = (0u64, 1u32);
    for f in &mut fields {
        let a = f.scalar.size();
        align = align.max(a);
        let offset = end.next_multiple_of(u64::from(a));
        // Bounded: at most 256 fields of at most 65535 * 8 bytes, far below u64 overflow.
        end = offset + u64::from(f.size());
        f.offset = u32::try_from(offset).map_err(|_| too_big(end))?;
    }
    let size = end.next_multiple_of(u64::from(align));
    if size > u64::from(crate::format::MAX_PAYLOAD) {
        return Err(too_big(size));
    }
    let mut text = String::new();
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            text.push_str("; ");
        }
        text.push_str(f.scalar.name());
        if f.array_len > 0 {
            // Writing to a String cannot fail.
            let _ = write!(text, "[{}]", f.array_len);
        }
        text.push(' ');
        text.push_str(&f.name);
    }
    Ok(Layout { fields, size: size as u32, align, text })
}

fn too_big(size: u64) -> String {
    format!("the record would be {size} bytes, more than the format's 1 MiB")
}

/// `type name` or `type[N] name`.
fn parse_field(part: &str) -> Result<Field, String> {
    let (word, rest) = split_word(part);
    if word.is_empty() {
        return Err(format!("expected a type first; {}", type_list()));
    }
    let Some(scalar) = Scalar::from_name(word) else {
        let hint = C_SPELLINGS
            .iter()
            .find(|(c, _)| *c == word)
            .map(|(_, ours)| format!(" (for {word}, write {ours})"))
            .unwrap_or_default();
        return Err(format!("unknown type {word:?}{hint}; {}", type_list()));
    };
    let mut rest = rest.trim_start();
    let mut array_len = 0;
    if let Some(after) = rest.strip_prefix('[') {
        let Some((inside, after)) = after.split_once(']') else {
            return Err("missing ']' after the array length".into());
        };
        array_len = parse_len(inside.trim())?;
        rest = after.trim_start();
        if rest.starts_with('[') {
            return Err("only one array dimension is supported".into());
        }
    }
    if scalar == Scalar::Char && array_len == 0 {
        return Err("char needs a length: char[N] is a string of up to N bytes".into());
    }
    let (name, rest) = split_word(rest);
    if name.is_empty() {
        return Err("expected a field name after the type".into());
    }
    check_identifier(name).map_err(|e| format!("bad field name {name:?}: {e}"))?;
    let rest = rest.trim();
    if let Some(after) = rest.strip_prefix('[') {
        let n = after.split(']').next().unwrap_or_default().trim();
        let ty = scalar.name();
        return Err(format!(
            "write the array length after the type: \"{ty}[{n}] {name}\", not \"{ty} {name}[{n}]\""
        ));
    }
    if !rest.is_empty() {
        return Err(format!(
            "unexpected {rest:?} after the field name (fields are separated by ';')"
        ));
    }
    Ok(Field { name: name.to_string(), scalar, array_len, offset: 0 })
}

/// The leading run of identifier characters, and the rest.
fn split_word(s: &str) -> (&str, &str) {
    let end = s.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(s.len());
    s.split_at(end)
}

fn parse_len(s: &str) -> Result<u32, String> {
    let bad =
        || format!("bad array length {s:?}: expected a whole number from 1 to {MAX_ARRAY_LEN}");
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    match s.parse::<u32>() {
        Ok(n) if (1..=MAX_ARRAY_LEN).contains(&n) => Ok(n),
        _ => Err(bad()),
    }
}

/// A C identifier of at most [`MAX_NAME_BYTES`] bytes.
pub(crate) fn check_identifier(name: &str) -> Result<(), String> {
    if name.len() > MAX_NAME_BYTES {
        return Err(format!("{} bytes, more than {MAX_NAME_BYTES}", name.len()));
    }
    match name.chars().next() {
        Some(c) if c.is_ascii_alphabetic() || c == '_' => {}
        _ => return Err("must start with a letter or '_'".into()),
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err("only letters, digits and '_' are allowed".into());
    }
    Ok(())
}

fn type_list() -> &'static str {
    "the types are i8, i16, i32, i64, u8, u16, u32, u64, f32, f64, bool and char[N], \
     each optionally with an array length, as f64[3]"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offsets(l: &Layout) -> Vec<u32> {
        l.fields().iter().map(|f| f.offset).collect()
    }

    #[test]
    fn places_fields_as_a_c_compiler_does() {
        // struct { uint32_t axis; double position; double velocity; bool enabled; char mode[16]; }
        let l = Layout::parse("u32 axis; f64 position; f64 velocity; bool enabled; char[16] mode")
            .unwrap();
        assert_eq!(offsets(&l), [0, 8, 16, 24, 25]);
        assert_eq!((l.size(), l.align()), (48, 8));
        // struct { int16_t a[3]; float g[3]; uint64_t t; int8_t c; }
        let l = Layout::parse("i16[3] a; f32[3] g; u64 t; i8 c").unwrap();
        assert_eq!(offsets(&l), [0, 8, 24, 32]);
        assert_eq!((l.size(), l.align()), (40, 8));
        // Only bytes: no padding at all.
        let l = Layout::parse("u8 a; char[3] b; bool c").unwrap();
        assert_eq!((offsets(&l), l.size(), l.align()), (vec![0, 1, 4], 5, 1));
        // Tail padding to the largest alignment.
        let l = Layout::parse("u32 a; u16 b").unwrap();
        assert_eq!((l.size(), l.align()), (8, 4));
    }

    #[test]
    fn the_canonical_text_normalises_spacing() {
        let l = Layout::parse("  u32   axis;f64 [ 3 ]pos ;\n char[4] m;").unwrap();
        assert_eq!(l.text(), "u32 axis; f64[3] pos; char[4] m");
        assert_eq!(Layout::parse(l.text()).unwrap(), l, "the canonical text parses to itself");
    }

    #[test]
    fn bad_layouts_name_the_problem() {
        let long = format!("u8 {};", "x".repeat(4100));
        let many: String = (0..257).map(|i| format!("u8 f{i};")).collect();
        let cases: &[(&str, &str)] = &[
            ("", "empty layout"),
            ("  ; ", "field 1 is empty"),
            ("u32 a;; u32 b", "field 2 is empty"),
            ("double x", "unknown type \"double\" (for double, write f64)"),
            ("u33 x", "unknown type \"u33\""),
            ("f64[0] x", "bad array length \"0\""),
            ("f64[] x", "bad array length \"\""),
            ("f64[-1] x", "bad array length \"-1\""),
            ("f64[65536] x", "bad array length \"65536\""),
            ("f64[3 x", "missing ']'"),
            ("f64[2][2] x", "only one array dimension"),
            ("char name", "char needs a length"),
            ("f64 pos[3]", "write the array length after the type: \"f64[3] pos\""),
            ("u32", "expected a field name"),
            ("u32 1x", "bad field name \"1x\": must start with a letter"),
            ("u32 a b", "unexpected \"b\" after the field name"),
            ("u32 a, u32 b", "unexpected \", u32 b\""),
            ("u32 a; f64 a", "duplicate field name \"a\" (fields 1 and 2)"),
            ("[3] x", "expected a type first"),
            ("u8 é", "expected a field name"),
            (
                "u8[65535] a; u8[65535] b; f64[65535] c; f64[65535] d",
                "more than the format's 1 MiB",
            ),
            (&long, "more than the 4096 allowed"),
            (&many, "more than 256 fields"),
        ];
        for (layout, expected) in cases {
            let err = Layout::parse(layout).expect_err(layout);
            assert!(err.contains(expected), "{layout:?}: {err:?} does not say {expected:?}");
        }
        let err = Layout::parse(&format!("u8 {}", "n".repeat(65))).unwrap_err();
        assert!(err.contains("65 bytes, more than 64"), "{err}");
    }
}
