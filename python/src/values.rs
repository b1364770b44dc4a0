//! A typed record's fields as Python objects: integers exactly, floats as `float` (NaN and
//! infinities included), `bool` as `bool` (any byte other than 0 is true), `char[N]` as `str`
//! cut at the first NUL (bytes that are not UTF-8 become U+FFFD), arrays as lists — the values
//! `rtlog dump --json` prints, without JSON's `null` for NaN.

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use rtlog::schema::{Field, Layout, Scalar};

/// The fields of `payload` as a dict; the caller checks that its length is the layout's size.
pub fn fields<'py>(
    py: Python<'py>,
    layout: &Layout,
    payload: &[u8],
) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for f in layout.fields() {
        dict.set_item(&f.name, field(py, f, payload)?)?;
    }
    Ok(dict)
}

/// One field's value; `payload` holds the whole record.
fn field<'py>(py: Python<'py>, f: &Field, payload: &[u8]) -> PyResult<Bound<'py, PyAny>> {
    let start = f.offset as usize;
    let bytes = &payload[start..start + f.size() as usize];
    if f.scalar == Scalar::Char {
        let text = bytes.split(|&b| b == 0).next().unwrap_or_default();
        return Ok(pyo3::types::PyString::new(py, &String::from_utf8_lossy(text)).into_any());
    }
    if f.array_len == 0 {
        return scalar(py, f.scalar, bytes);
    }
    let width = f.scalar.size() as usize;
    let items: PyResult<Vec<_>> =
        bytes.chunks_exact(width).map(|b| scalar(py, f.scalar, b)).collect();
    Ok(PyList::new(py, items?)?.into_any())
}

fn scalar<'py>(py: Python<'py>, s: Scalar, b: &[u8]) -> PyResult<Bound<'py, PyAny>> {
    fn arr<const N: usize>(b: &[u8]) -> [u8; N] {
        b.try_into().expect("the caller slices by the scalar's size")
    }
    let any = match s {
        Scalar::I8 => i8::from_le_bytes(arr(b)).into_pyobject(py)?.into_any(),
        Scalar::I16 => i16::from_le_bytes(arr(b)).into_pyobject(py)?.into_any(),
        Scalar::I32 => i32::from_le_bytes(arr(b)).into_pyobject(py)?.into_any(),
        Scalar::I64 => i64::from_le_bytes(arr(b)).into_pyobject(py)?.into_any(),
        Scalar::U8 => b[0].into_pyobject(py)?.into_any(),
        Scalar::U16 => u16::from_le_bytes(arr(b)).into_pyobject(py)?.into_any(),
        Scalar::U32 => u32::from_le_bytes(arr(b)).into_pyobject(py)?.into_any(),
        Scalar::U64 => u64::from_le_bytes(arr(b)).into_pyobject(py)?.into_any(),
        Scalar::F32 => f64::from(f32::from_le_bytes(arr(b))).into_pyobject(py)?.into_any(),
        Scalar::F64 => f64::from_le_bytes(arr(b)).into_pyobject(py)?.into_any(),
        Scalar::Bool => (b[0] != 0).into_pyobject(py)?.to_owned().into_any(),
        Scalar::Char => unreachable!("char fields are strings"),
    };
    Ok(any)
}
