//! A typed record's values one by one, for the CSV columns: an array field is one column per
//! element, a `char[N]` field one string.
//!
//! Values are written by `rtlog::schema::render::push_element`, as `dump` writes them:
//! integers exactly, floats in their shortest round-trip form (exponent notation
//! outside `1e-5 ..< 1e16`), `bool` as `true`/`false`, `char[N]` cut at the first NUL; and,
//! since CSV is not JSON, NaN and infinities as `NaN`, `inf`, `-inf`, which pandas and
//! spreadsheets read as such.

use rtlog::schema::{Field, Layout, Scalar};

/// The column names of a layout's fields: `name`, or `name[0]`, `name[1]`, ... for arrays
/// (but one `name` column for a `char[N]` string).
pub fn columns(layout: &Layout) -> Vec<String> {
    let mut names = Vec::new();
    for f in layout.fields() {
        if f.array_len == 0 || f.scalar == Scalar::Char {
            names.push(f.name.clone());
        } else {
            names.extend((0..f.array_len).map(|i| format!("{}[{i}]", f.name)));
        }
    }
    names
}

/// One cell of a record: the `char[N]` string of `f`, or its element `index`.
pub enum Cell<'a> {
    Text(String),
    Number(&'a Field, usize),
}

/// The cells of a record of `layout` (whose length the caller has checked), in
/// [`columns`] order, calling `each` with each.
pub fn for_each_cell(layout: &Layout, payload: &[u8], mut each: impl FnMut(Cell)) {
    for f in layout.fields() {
        let start = f.offset as usize;
        let bytes = &payload[start..start + f.size() as usize];
        if f.scalar == Scalar::Char {
            let text = bytes.split(|&b| b == 0).next().unwrap_or_default();
            each(Cell::Text(String::from_utf8_lossy(text).into_owned()));
        } else {
            (0..f.count() as usize).for_each(|i| each(Cell::Number(f, i)));
        }
    }
}

pub use rtlog::schema::render::push_element;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrays_are_columns_and_strings_one() {
        let layout = Layout::parse("u8 a; f32[2] pos; char[4] tag; f64 x").unwrap();
        assert_eq!(columns(&layout), ["a", "pos[0]", "pos[1]", "tag", "x"]);
        let mut payload = vec![0u8; layout.size() as usize];
        payload[0] = 7;
        payload[4..8].copy_from_slice(&0.1f32.to_le_bytes());
        payload[8..12].copy_from_slice(&f32::NEG_INFINITY.to_le_bytes());
        payload[12..14].copy_from_slice(b"hi");
        payload[16..24].copy_from_slice(&1e300f64.to_le_bytes());
        let mut cells = Vec::new();
        for_each_cell(&layout, &payload, |c| {
            cells.push(match c {
                Cell::Text(t) => format!("text {t}"),
                Cell::Number(f, i) => {
                    let mut s = String::new();
                    push_element(&mut s, f, i, &payload);
                    s
                }
            })
        });
        assert_eq!(cells, ["7", "0.1", "-inf", "text hi", "1e300"]);
    }
}
