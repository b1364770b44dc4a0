//! The `--field` values of `rtlog plot`: a field of the plotted type, or one element of an
//! array field (`pos[1]`), resolved against a record type's layout into [`Column`]s, each a
//! number read from a record's payload.

use rtlog::schema::{Layout, Scalar};

/// A `--field` value: `name` or `name[index]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldArg {
    pub name: String,
    pub index: Option<u32>,
}

/// Parses `name` or `name[index]`.
pub fn parse_field(s: &str) -> Result<FieldArg, String> {
    let bad = || format!("{s:?} is not a field: expected NAME or NAME[INDEX], as pos or pos[1]");
    let (name, index) = match s.split_once('[') {
        Some((name, rest)) => {
            let digits = rest.strip_suffix(']').ok_or_else(bad)?;
            (name, Some(digits.parse().map_err(|_| bad())?))
        }
        None => (s, None),
    };
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(bad());
    }
    Ok(FieldArg { name: name.to_string(), index })
}

/// One plotted number of a record: a scalar field or one array element.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    /// `field` or `field[i]`, as the legend shows it after `producer/`.
    pub label: String,
    /// Byte offset of the value in the record.
    offset: usize,
    scalar: Scalar,
}

impl Column {
    /// The value in `payload`, a record of the layout the column was resolved against (the
    /// caller checks the length). 64-bit integers beyond 2^53 are rounded, as any plot does.
    pub fn value(&self, payload: &[u8]) -> f64 {
        let b = &payload[self.offset..self.offset + self.scalar.size() as usize];
        fn arr<const N: usize>(b: &[u8]) -> [u8; N] {
            b.try_into().expect("sliced by the scalar's size")
        }
        match self.scalar {
            Scalar::I8 => f64::from(b[0] as i8),
            Scalar::I16 => f64::from(i16::from_le_bytes(arr(b))),
            Scalar::I32 => f64::from(i32::from_le_bytes(arr(b))),
            Scalar::I64 => i64::from_le_bytes(arr(b)) as f64,
            Scalar::U8 => f64::from(b[0]),
            Scalar::U16 => f64::from(u16::from_le_bytes(arr(b))),
            Scalar::U32 => f64::from(u32::from_le_bytes(arr(b))),
            Scalar::U64 => u64::from_le_bytes(arr(b)) as f64,
            Scalar::F32 => f64::from(f32::from_le_bytes(arr(b))),
            Scalar::F64 => f64::from_le_bytes(arr(b)),
            Scalar::Bool => f64::from(u8::from(b[0] != 0)),
            Scalar::Char => unreachable!("string fields are refused by `columns`"),
        }
    }
}

/// The columns that `fields` name in `layout` (of the type `type_name`), in the order given;
/// a bare array name gives one column per element. The error names the fields the type has.
pub fn columns(
    layout: &Layout,
    type_name: &str,
    fields: &[FieldArg],
) -> Result<Vec<Column>, String> {
    let mut out = Vec::new();
    for arg in fields {
        let Some(f) = layout.fields().iter().find(|f| f.name == arg.name) else {
            let names: Vec<String> = layout.fields().iter().map(shown).collect();
            return Err(format!(
                "type {type_name:?} has no field {:?}; its fields: {}",
                arg.name,
                names.join(", ")
            ));
        };
        if f.scalar == Scalar::Char {
            return Err(format!(
                "field {:?} of type {type_name:?} is a string ({}), not a number",
                f.name,
                shown(f)
            ));
        }
        let column = |i: u32, label: String| Column {
            label,
            offset: (f.offset + i * f.scalar.size()) as usize,
            scalar: f.scalar,
        };
        match (arg.index, f.array_len) {
            (None, 0) => out.push(column(0, f.name.clone())),
            (None, n) => out.extend((0..n).map(|i| column(i, format!("{}[{i}]", f.name)))),
            (Some(i), n) if i < n => out.push(column(i, format!("{}[{i}]", f.name))),
            (Some(i), 0) => {
                return Err(format!(
                    "field {:?} of type {type_name:?} is not an array ({}), so [{i}] names nothing",
                    f.name,
                    shown(f)
                ))
            }
            (Some(i), n) => {
                return Err(format!(
                    "field {:?} of type {type_name:?} has {n} elements ({}), so [{i}] is beyond it",
                    f.name,
                    shown(f)
                ))
            }
        }
    }
    Ok(out)
}

/// `name` or `name[N]`.
fn shown(f: &rtlog::schema::Field) -> String {
    if f.array_len == 0 {
        f.name.clone()
    } else {
        format!("{}[{}]", f.name, f.array_len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(names: &[&str]) -> Vec<FieldArg> {
        names.iter().map(|n| parse_field(n).unwrap()).collect()
    }

    #[test]
    fn field_arguments() {
        assert_eq!(parse_field("pos"), Ok(FieldArg { name: "pos".into(), index: None }));
        assert_eq!(parse_field("pos[2]"), Ok(FieldArg { name: "pos".into(), index: Some(2) }));
        for bad in ["", "pos[", "pos[x]", "pos[1", "[1]", "a b", "pos[-1]"] {
            assert!(parse_field(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn columns_of_scalars_arrays_and_elements() {
        let layout = Layout::parse("u32 axis; f64[3] pos; bool on; char[4] tag").unwrap();
        let cols = columns(&layout, "j", &args(&["axis", "pos", "pos[1]", "on"])).unwrap();
        let labels: Vec<&str> = cols.iter().map(|c| c.label.as_str()).collect();
        assert_eq!(labels, ["axis", "pos[0]", "pos[1]", "pos[2]", "pos[1]", "on"]);
        let mut record = vec![0u8; layout.size() as usize];
        record[..4].copy_from_slice(&7u32.to_le_bytes());
        record[16..24].copy_from_slice(&(-2.5f64).to_le_bytes());
        record[32] = 9;
        let values: Vec<f64> = cols.iter().map(|c| c.value(&record)).collect();
        assert_eq!(values, [7.0, 0.0, -2.5, 0.0, -2.5, 1.0]);
    }

    #[test]
    fn unknown_fields_strings_and_bad_indices_name_what_the_type_has() {
        let layout = Layout::parse("u32 axis; f64[3] pos; char[4] tag").unwrap();
        let err = |f: &str| columns(&layout, "j", &args(&[f])).unwrap_err();
        assert_eq!(
            err("torque"),
            "type \"j\" has no field \"torque\"; its fields: axis, pos[3], tag[4]"
        );
        assert!(err("tag").contains("is a string (tag[4])"), "{}", err("tag"));
        assert!(err("pos[3]").contains("has 3 elements"), "{}", err("pos[3]"));
        assert!(err("axis[0]").contains("is not an array"), "{}", err("axis[0]"));
    }
}
