//! `rtlog export` on logs written with the Rust API: each format read back and compared with
//! `rtlog dump --json` (itself checked against the reader in `cli_typed.rs`): JSON Lines byte
//! for byte, CSV value by value, MCAP message by message; the filters; a damaged log.

mod common;
use common::*;
use rtlog::{Logger, Status, Stream};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

const JOINT: &str = "f64 position; f32 torque; f64[3] pos; char[8] mode; bool ok; i16 code";
const IMU: &str = "i16[3] accel; u64 t_ns";
const UNTYPED: u16 = 9;
/// A producer name that CSV must quote and JSON must escape.
const LEG: &str = "leg, \"left\"";

fn joint(i: u32) -> Vec<u8> {
    let mut b = vec![0u8; 56];
    let f = f64::from(i);
    b[0..8].copy_from_slice(&(f * 0.125).to_le_bytes());
    b[8..12].copy_from_slice(&(-1.5 * f as f32).to_le_bytes());
    for (k, v) in [f, -f, 1e300].iter().enumerate() {
        b[16 + 8 * k..24 + 8 * k].copy_from_slice(&v.to_le_bytes());
    }
    let mode: &[u8] = if i % 2 == 0 { b"run" } else { b"a,\"b\"" };
    b[40..40 + mode.len()].copy_from_slice(mode);
    b[48] = u8::from(i % 3 == 0);
    b[50..52].copy_from_slice(&(-(i as i16) * 100).to_le_bytes());
    b
}

fn imu(i: u32) -> Vec<u8> {
    let mut b = vec![0u8; 16];
    for (k, v) in [i as i16, -(i as i16), i16::MIN].iter().enumerate() {
        b[2 * k..2 * k + 2].copy_from_slice(&v.to_le_bytes());
    }
    b[8..16].copy_from_slice(&(u64::MAX - u64::from(i)).to_le_bytes());
    b
}

/// The test log, in manual mode so that every frame is where the test puts it: producers
/// "arm" and `LEG` publish `joint` and `imu` records, one untyped record and one `joint` of
/// the wrong length; then "arm" overfills its critical ring (a loss marker) and the supervisor
/// goes CRITICAL (a state change).
fn write_log(dir: &TempDir) {
    let mut c = config(dir);
    c.manual = true;
    c.critical_depth = 4;
    let lg = Logger::init(c).unwrap();
    let arm = lg.create_producer("arm").unwrap();
    let leg = lg.create_producer(LEG).unwrap();
    assert_eq!(lg.register_type(1, "joint", JOINT).unwrap(), 56);
    assert_eq!(lg.register_type(2, "imu", IMU).unwrap(), 16);
    lg.start().unwrap();
    let step = |lg: &Logger| {
        lg.tick().unwrap();
        lg.step_writer().unwrap();
    };
    for i in 0..6 {
        for p in [arm, leg] {
            assert_eq!(producer(p).publish(Stream::Normal, 1, &joint(i)), Status::Ok);
            assert_eq!(producer(p).publish(Stream::Normal, 2, &imu(i)), Status::Ok);
        }
        step(&lg);
    }
    assert_eq!(producer(leg).publish(Stream::Normal, UNTYPED, &[1, 2, 3]), Status::Ok);
    assert_eq!(producer(arm).publish(Stream::Normal, 1, &[0xaa; 4]), Status::Ok);
    step(&lg);
    let refused = (0..6)
        .filter(|&i| producer(arm).publish(Stream::Critical, 2, &imu(i)) == Status::Full)
        .count();
    assert_eq!(refused, 2);
    lg.step_supervisor(Duration::from_millis(1)).unwrap();
    step(&lg);
    step(&lg);
    lg.shutdown().unwrap();
}

/// An empty directory for the exported files.
fn out_dir(tag: &str) -> TempDir {
    let out = TempDir::new(tag);
    std::fs::create_dir_all(&out.0).unwrap();
    out
}

fn export(dir: &Path, format: &str, out: &Path, filters: &[&str]) -> String {
    let mut args = vec!["export", "--format", format, "-o", out.to_str().unwrap()];
    args.extend_from_slice(filters);
    let o = rtlog(&args, dir);
    assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
    stderr(&o)
}

fn dump_json(dir: &Path, filters: &[&str]) -> Vec<Value> {
    let mut args = vec!["--json"];
    args.extend_from_slice(filters);
    dump(dir, &args).iter().map(|l| serde_json::from_str(l).unwrap()).collect()
}

// ---- JSON Lines ------------------------------------------------------------------------------

#[test]
fn jsonl_is_dump_json_byte_for_byte() {
    let dir = TempDir::new("export-jsonl");
    write_log(&dir);
    let out = out_dir("export-jsonl-out");
    for filters in [&[][..], &["--producer", LEG, "--type", "joint"], &["--lsn", "5..20"]] {
        let file = out.0.join("log.jsonl");
        let warnings = export(&dir.0, "jsonl", &file, filters);
        let mut args = vec!["dump", "--json"];
        args.extend_from_slice(filters);
        let dumped = run_ok(&args, &dir.0, 0);
        assert!(dumped.lines().count() >= 5, "{dumped}");
        assert_eq!(std::fs::read_to_string(&file).unwrap(), dumped, "{filters:?}");
        let mut to_stdout = vec!["export", "--format", "jsonl", "-o", "-"];
        to_stdout.extend_from_slice(filters);
        assert_eq!(run_ok(&to_stdout, &dir.0, 0), dumped, "{filters:?}");
        let mismatch = "1 record(s) of a registered type had another length";
        assert_eq!(warnings.contains(mismatch), filters.is_empty(), "{warnings}");
    }
}

// ---- CSV -------------------------------------------------------------------------------------

/// RFC 4180: rows of cells, each row ended by CRLF; quoted cells may hold commas, doubled
/// quotes and line breaks.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let (mut rows, mut row, mut cell) = (Vec::new(), Vec::new(), String::new());
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut cell)),
            (false, '\r') => {
                assert_eq!(chars.next(), Some('\n'), "CR without LF");
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            (false, '\n') => panic!("a row ended by LF alone"),
            (false, c) => cell.push(c),
        }
    }
    assert!(!quoted && row.is_empty() && cell.is_empty(), "the last row has no CRLF");
    rows
}

/// The CSV files of `dir`: file name → rows keyed by column name.
fn read_csv_dir(dir: &Path) -> BTreeMap<String, Vec<BTreeMap<String, String>>> {
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let rows = parse_csv(&std::fs::read_to_string(&path).unwrap());
        let header = &rows[0];
        assert_eq!(header[..6], ["time_ns", "lsn", "epoch", "producer", "stream", "seq"]);
        let rows = rows[1..]
            .iter()
            .map(|r| {
                assert_eq!(r.len(), header.len(), "{path:?}: {r:?}");
                header.iter().cloned().zip(r.iter().cloned()).collect()
            })
            .collect();
        files.insert(path.file_name().unwrap().to_str().unwrap().to_owned(), rows);
    }
    files
}

/// The value of a JSON field as the CSV cell must show it.
fn cell_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        v => v.to_string(),
    }
}

/// Every row of the CSV files against the `dump --json` record of the same LSN.
fn check_csv(dir: &Path, out: &Path, filters: &[&str]) -> usize {
    let _ = std::fs::remove_dir_all(out);
    export(dir, "csv", out, filters);
    let records: BTreeMap<String, Value> =
        dump_json(dir, filters).into_iter().map(|r| (r["lsn"].to_string(), r)).collect();
    let mut rows = 0;
    for (file, table) in read_csv_dir(out) {
        for row in table {
            let r = &records[&row["lsn"]];
            for key in ["time_ns", "epoch", "producer", "stream", "seq"] {
                assert_eq!(row[key], cell_of(&r[key]), "{file} {key}");
            }
            match r.get("fields") {
                Some(Value::Object(fields)) => {
                    assert_eq!(file, format!("{}.csv", r["type_name"].as_str().unwrap()));
                    let mut columns = 6;
                    for (name, v) in fields {
                        let cells: Vec<(String, &Value)> = match v {
                            Value::Array(items) => items
                                .iter()
                                .enumerate()
                                .map(|(i, v)| (format!("{name}[{i}]"), v))
                                .collect(),
                            v => vec![(name.clone(), v)],
                        };
                        for (column, v) in cells {
                            columns += 1;
                            let cell = &row[&column];
                            match v {
                                Value::Number(n) if n.is_f64() => {
                                    assert_eq!(cell.parse::<f64>().unwrap(), n.as_f64().unwrap())
                                }
                                v => assert_eq!(*cell, cell_of(v), "{file} {column}"),
                            }
                        }
                    }
                    assert_eq!(row.len(), columns, "{file}: {row:?}");
                }
                _ => {
                    assert_eq!(file, format!("type-{}.csv", r["type"]));
                    assert_eq!(row["len"], r["len"].to_string());
                    assert_eq!(row["payload_hex"], r["payload_hex"].as_str().unwrap());
                }
            }
            rows += 1;
        }
    }
    assert_eq!(rows, records.len(), "every record is in a CSV file once");
    rows
}

#[test]
fn csv_has_every_value_of_every_record() {
    let dir = TempDir::new("export-csv");
    write_log(&dir);
    let out = TempDir::new("export-csv-out");
    assert_eq!(check_csv(&dir.0, &out.0.join("new/dir"), &[]), 4 * 6 + 2 + 4);
    let files: Vec<String> = read_csv_dir(&out.0.join("new/dir")).into_keys().collect();
    assert_eq!(files, ["imu.csv", "joint.csv", "type-1.csv", "type-9.csv"]);
    let joint = std::fs::read_to_string(out.0.join("new/dir/joint.csv")).unwrap();
    let header = "time_ns,lsn,epoch,producer,stream,seq,position,torque,pos[0],pos[1],pos[2],\
                  mode,ok,code\r\n";
    assert!(joint.starts_with(header), "{joint}");
    assert!(joint.contains(",\"leg, \"\"left\"\"\",normal,"), "{joint}");
    assert!(joint.contains(",1e300,\"a,\"\"b\"\"\",false,-100\r\n"), "{joint}");
}

// ---- MCAP ------------------------------------------------------------------------------------

/// An MCAP file's messages as (topic, schema name, schema encoding, message encoding, log
/// time, publish time, JSON).
fn read_mcap(path: &Path) -> Vec<(String, String, String, String, u64, u64, Value)> {
    let bytes = std::fs::read(path).unwrap();
    let summary = mcap::Summary::read(&bytes).unwrap().expect("a summary section");
    assert!(!summary.chunk_indexes.is_empty());
    for chunk in &summary.chunk_indexes {
        assert_eq!(chunk.compression, "zstd");
    }
    mcap::MessageStream::new(&bytes)
        .unwrap()
        .map(|m| {
            let m = m.unwrap();
            let schema = m.channel.schema.as_ref().expect("every channel has a schema");
            let data: Value = serde_json::from_slice(&m.data).unwrap();
            // The schema is JSON too.
            let _: Value = serde_json::from_slice(&schema.data).unwrap();
            (
                m.channel.topic.clone(),
                schema.name.clone(),
                schema.encoding.clone(),
                m.channel.message_encoding.clone(),
                m.log_time,
                m.publish_time,
                data,
            )
        })
        .collect()
}

#[test]
fn mcap_has_a_channel_per_producer_and_type_and_the_markers() {
    let dir = TempDir::new("export-mcap");
    write_log(&dir);
    let out = out_dir("export-mcap-out");
    let file = out.0.join("run.mcap");
    export(&dir.0, "mcap", &file, &[]);
    let messages = read_mcap(&file);
    let mut per_topic: BTreeMap<&str, usize> = BTreeMap::new();
    for m in &messages {
        *per_topic.entry(&m.0).or_default() += 1;
        assert_eq!((m.2.as_str(), m.3.as_str()), ("jsonschema", "json"));
        assert_eq!(m.4, m.5, "publish time is the log time");
    }
    let leg = |t: &str| format!("/{LEG}/{t}");
    let expected: BTreeMap<String, usize> = [
        ("/arm/joint".to_string(), 6),
        ("/arm/imu".to_string(), 6 + 4),
        ("/arm/type-1".to_string(), 1),
        ("/arm/loss".to_string(), 1),
        (leg("joint"), 6),
        (leg("imu"), 6),
        (leg("type-9"), 1),
        ("/rtlog/state".to_string(), 1),
    ]
    .into_iter()
    .collect();
    let per_topic: BTreeMap<String, usize> =
        per_topic.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    assert_eq!(per_topic, expected);

    // Data messages, in order, against dump --json.
    let data: Vec<_> =
        messages.iter().filter(|m| !m.0.ends_with("/loss") && m.0 != "/rtlog/state").collect();
    let records = dump_json(&dir.0, &[]);
    assert_eq!(data.len(), records.len());
    for (m, r) in data.iter().zip(&records) {
        assert_eq!(m.4, r["time_ns"].as_u64().unwrap());
        match r.get("fields") {
            Some(fields) => {
                let name = r["type_name"].as_str().unwrap();
                assert_eq!(m.0, format!("/{}/{name}", r["producer"].as_str().unwrap()));
                assert_eq!(m.1, name);
                assert_eq!(&m.6, fields);
            }
            None => {
                assert_eq!(m.0, format!("/{}/type-{}", r["producer"].as_str().unwrap(), r["type"]));
                assert_eq!(m.1, "rtlog.Untyped");
                assert_eq!(m.6["payload_hex"], r["payload_hex"]);
                assert_eq!(m.6["len"], r["len"]);
            }
        }
    }
    let loss = messages.iter().find(|m| m.0 == "/arm/loss").unwrap();
    assert_eq!(loss.1, "rtlog.Loss");
    assert_eq!((&loss.6["count"], &loss.6["reason"]), (&Value::from(2), &Value::from("refused")));
    assert_eq!(loss.6["stream"], "critical");
    assert_eq!(loss.6["first_seq"], 4);
    let state = messages.iter().find(|m| m.0 == "/rtlog/state").unwrap();
    assert_eq!(state.1, "rtlog.StateChange");
    assert_eq!(
        (&state.6["from"], &state.6["to"]),
        (&Value::from("NORMAL"), &Value::from("CRITICAL"))
    );
    assert_eq!((&state.6["from_code"], &state.6["to_code"]), (&Value::from(1), &Value::from(3)));
    assert!(state.6["cause"].as_str().unwrap().contains("critical"), "{}", state.6);
}

// ---- filters and damage ----------------------------------------------------------------------

#[test]
fn the_filters_of_dump_apply_to_every_format() {
    let dir = TempDir::new("export-filters");
    write_log(&dir);
    let out = out_dir("export-filters-out");
    for filters in [&["--producer", "arm"][..], &["--type", "imu"], &["--lsn", "10..30"]] {
        let records = dump_json(&dir.0, filters);
        assert!(!records.is_empty());
        check_csv(&dir.0, &out.0.join("csv"), filters);
        let file = out.0.join("f.mcap");
        export(&dir.0, "mcap", &file, filters);
        let messages = read_mcap(&file);
        let data = messages.iter().filter(|m| !m.0.ends_with("/loss") && m.0 != "/rtlog/state");
        assert_eq!(data.count(), records.len(), "{filters:?}");
        // Markers pass on producer (the loss is arm's) and are not dropped by --type.
        let has = |topic: &str| messages.iter().any(|m| m.0 == topic);
        if filters[0] != "--lsn" {
            assert!(has("/arm/loss") && has("/rtlog/state"), "{filters:?}");
        }
    }
    let out_file = out.0.join("x.mcap");
    let o = rtlog(&["export", "--format", "mcap", "-o", "-"], &dir.0);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("only for --format jsonl"), "{}", stderr(&o));
    let path = out_file.to_str().unwrap();
    let o = rtlog(&["export", "--format", "mcap", "-o", path, "--producer", "nobody"], &dir.0);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("has no producer \"nobody\""), "{}", stderr(&o));
}

#[test]
fn a_damaged_log_exports_what_is_readable_and_says_how_much_was_skipped() {
    let dir = TempDir::new("export-damage");
    let lg = Logger::init(config(&dir)).unwrap();
    let arm = lg.create_producer("arm").unwrap();
    lg.register_type(1, "imu", IMU).unwrap();
    lg.start().unwrap();
    for i in 0..200 {
        assert_eq!(producer(arm).publish(Stream::Critical, 1, &imu(i)), Status::Ok);
        lg.tick().unwrap();
    }
    lg.shutdown().unwrap();
    let seg = rtlog::logdir::list_segments(&dir.0).unwrap().remove(0).1;
    let mut bytes = std::fs::read(&seg).unwrap();
    bytes.truncate(bytes.len() / 2);
    let quarter = bytes.len() / 2;
    bytes[quarter] ^= 0x01;
    std::fs::write(&seg, &bytes).unwrap();

    let out = out_dir("export-damage-out");
    let dumped = run_ok(&["dump", "--json"], &dir.0, 0);
    let n = dumped.lines().count();
    assert!(n > 50 && n < 110, "{n}");
    for format in ["jsonl", "csv", "mcap"] {
        let file = out.0.join(format);
        let warnings = export(&dir.0, format, &file, &[]);
        assert!(
            warnings.contains("damage skipped, the rest exported: 1 damaged region(s), ")
                && warnings.contains("torn byte(s), 0 bad segment header(s)"),
            "{warnings}"
        );
        let exported = match format {
            "jsonl" => {
                assert_eq!(std::fs::read_to_string(&file).unwrap(), dumped);
                n
            }
            "csv" => read_csv_dir(&file).values().map(Vec::len).sum(),
            _ => read_mcap(&file).len(),
        };
        assert_eq!(exported, n, "{format}");
    }
}
