//! The JSON Schemas of the MCAP channels (schema encoding `jsonschema`, message encoding
//! `json`): one per record type, made from its layout, and fixed ones for log messages
//! (Foxglove's `foxglove.Log`), loss markers, state changes and records written as bytes.
//!
//! Integers are `integer`, floats `number`, `bool` `boolean`, `char[N]` a `string`, and an
//! array field an `array` of N such items: numeric leaves that Foxglove and PlotJuggler plot.

use rtlog::schema::render::push_json_str;
use rtlog::schema::{Field, RecordType, Scalar};

/// The schema of records of `t`.
pub fn of_type(t: &RecordType) -> String {
    let mut s = String::from("{\"title\":");
    push_json_str(&mut s, &t.name);
    s.push_str(",\"description\":");
    push_json_str(&mut s, &format!("rtlog record type, layout: {}", t.layout.text()));
    s.push_str(",\"type\":\"object\",\"properties\":{");
    push_list(&mut s, t, |s, f| {
        push_json_str(s, &f.name);
        s.push(':');
        push_field(s, f);
    });
    s.push_str("},\"required\":[");
    push_list(&mut s, t, |s, f| push_json_str(s, &f.name));
    s.push_str("]}");
    s
}

/// Appends `item` of each field of `t`, separated by commas.
fn push_list(s: &mut String, t: &RecordType, mut item: impl FnMut(&mut String, &Field)) {
    for (i, f) in t.layout.fields().iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        item(s, f);
    }
}

fn push_field(s: &mut String, f: &Field) {
    let element = match f.scalar {
        Scalar::F32 | Scalar::F64 => "{\"type\":\"number\"}",
        Scalar::Bool => "{\"type\":\"boolean\"}",
        Scalar::Char => {
            s.push_str(&format!("{{\"type\":\"string\",\"maxLength\":{}}}", f.array_len));
            return;
        }
        _ => "{\"type\":\"integer\"}",
    };
    if f.array_len == 0 {
        s.push_str(element);
    } else {
        let n = f.array_len;
        s.push_str(&format!(
            "{{\"type\":\"array\",\"items\":{element},\"minItems\":{n},\"maxItems\":{n}}}"
        ));
    }
}

/// Schema name and schema of loss markers.
pub const LOSS: (&str, &str) = (
    "rtlog.Loss",
    r#"{"title":"rtlog.Loss","description":"Records of a producer's stream that were lost (an rtlog loss marker)","type":"object","properties":{"stream":{"type":"string","enum":["critical","normal"]},"count":{"type":"integer"},"first_seq":{"type":"integer"},"last_seq":{"type":"integer"},"reason":{"type":"string","enum":["refused","write_failed","overwritten"]}},"required":["stream","count","first_seq","last_seq","reason"]}"#,
);

/// Schema name and schema of supervisor state changes.
pub const STATE: (&str, &str) = (
    "rtlog.StateChange",
    r#"{"title":"rtlog.StateChange","description":"A change of the rtlog supervisor's state; the codes are rtlog_state values (0 INIT, 1 NORMAL, 2 DEGRADED, 3 CRITICAL, 4 SAFE, 5 STOPPED)","type":"object","properties":{"from":{"type":"string"},"to":{"type":"string"},"cause":{"type":"string"},"from_code":{"type":"integer"},"to_code":{"type":"integer"}},"required":["from","to","cause","from_code","to_code"]}"#,
);

/// Schema name and schema of records written as bytes.
pub const UNTYPED: (&str, &str) = (
    "rtlog.Untyped",
    r#"{"title":"rtlog.Untyped","description":"A record of no registered type, or of another length than its type's size (then with type_name and expected_len)","type":"object","properties":{"type":{"type":"integer"},"len":{"type":"integer"},"type_name":{"type":"string"},"expected_len":{"type":"integer"},"payload_hex":{"type":"string"}},"required":["type","len","payload_hex"]}"#,
);

/// Schema name and schema of log messages: Foxglove's `foxglove.Log` (its JSON Schema, as
/// published in foxglove/schemas), so Foxglove's Log panel shows them.
pub const LOG: (&str, &str) = (
    "foxglove.Log",
    r#"{"title":"foxglove.Log","description":"A log message","type":"object","properties":{"timestamp":{"type":"object","title":"time","properties":{"sec":{"type":"integer","minimum":0},"nsec":{"type":"integer","minimum":0,"maximum":999999999}},"description":"Timestamp of log message"},"level":{"title":"foxglove.LogLevel","description":"Log level","oneOf":[{"title":"UNKNOWN","const":0},{"title":"DEBUG","const":1},{"title":"INFO","const":2},{"title":"WARNING","const":3},{"title":"ERROR","const":4},{"title":"FATAL","const":5}]},"message":{"type":"string","description":"Log message"},"name":{"type":"string","description":"Process or node name"},"file":{"type":"string","description":"Filename"},"line":{"type":"integer","minimum":0,"description":"Line number in the file"}}}"#,
);
