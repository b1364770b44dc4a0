//! Typed records through the `rtlog` tool: `dump` prints registered types by field, as text and
//! as JSON, filters by type name, keeps unknown types in hex and reports records whose length
//! is not their type's size; a log of format 1.0 (no type table) reads as before.
//!
//! The *typed test log* is written three times: here with the Rust API, by the C test
//! `ffi-tests/c/test_typed.c` with C structs, and by the C++ test
//! `ffi-tests/cpp/test_cpp_typed.cpp` with `Logger::declare_type`. [`check_typed_log`] checks
//! each field by field; ctest runs it on the C and C++ tests' logs through the ignored test
//! [`typed_dump_of_an_external_log`] (`RTLOG_TYPED_LOG=<dir>`; cmake/typed-records.cmake).

mod common;
use common::*;
use rtlog::format;
use rtlog::{Logger, Status, Stream};
use serde_json::Value;
use std::path::Path;

// ---- the typed test log (the same in test_typed.c) -------------------------------------------

/// Records of each type.
const N: usize = 5;
const AXIS: &str = "u32 axis; f64 position; f64 velocity; bool enabled; char[16] mode";
const IMU: &str = "i16[3] accel; f32[3] gyro; u64 t_ns; i8 temp_c";
const EVENT: &str = "u8 code; i64 value; u16 flags; char[5] tag; f64[2] limits; i32 delta";
const MODES: [&str; N] = ["idle", "homing", "run", "fault", "stop"];
const UNTYPED: u16 = 9;

fn put(b: &mut [u8], off: usize, bytes: &[u8]) {
    b[off..off + bytes.len()].copy_from_slice(bytes);
}

/// Record `i` of each type, laid out by hand at the offsets a C compiler gives the structs.
fn payloads(i: usize) -> [(u16, Vec<u8>); 3] {
    let f = i as f64;
    let mut axis = vec![0u8; 48];
    put(&mut axis, 0, &(i as u32).to_le_bytes());
    put(&mut axis, 8, &(f * 0.125).to_le_bytes());
    put(&mut axis, 16, &(1.0 - f).to_le_bytes());
    axis[24] = u8::from(i % 2 == 0);
    put(&mut axis, 25, MODES[i].as_bytes());
    let mut imu = vec![0u8; 40];
    for (k, v) in [i as i16, -(i as i16), 1000 * i as i16].iter().enumerate() {
        put(&mut imu, 2 * k, &v.to_le_bytes());
    }
    for (k, v) in [0.5 * i as f32, -0.25, (1u32 << i) as f32].iter().enumerate() {
        put(&mut imu, 8 + 4 * k, &v.to_le_bytes());
    }
    put(&mut imu, 24, &(1_000_000_000_000_000_000 + i as u64).to_le_bytes());
    imu[32] = (-40 + i as i8) as u8;
    let mut event = vec![0u8; 48];
    event[0] = 200 + i as u8;
    put(&mut event, 8, &(-(1i64 << 40) * (i as i64 + 1)).to_le_bytes());
    put(&mut event, 16, &(0xffff - i as u16).to_le_bytes());
    put(&mut event, 18, if i % 2 == 0 { b"ABCDE" } else { b"ok" });
    put(&mut event, 24, &(-1.5 * f).to_le_bytes());
    put(&mut event, 32, &1e300f64.to_le_bytes());
    put(&mut event, 40, &(-(i as i32)).to_le_bytes());
    [(1, axis), (2, imu), (300, event)]
}

/// Writes the typed test log with the Rust API: the three types, `N` records of each in turn,
/// then one record of an unregistered type and one of type 1 with the wrong length.
fn write_typed_log(dir: &TempDir) {
    let lg = Logger::init(config(dir)).unwrap();
    let p = lg.create_producer("ctl").unwrap();
    assert_eq!(lg.register_type(1, "axis_state", AXIS).unwrap(), 48);
    assert_eq!(lg.register_type(2, "imu", IMU).unwrap(), 40);
    assert_eq!(lg.register_type(300, "event", EVENT).unwrap(), 48);
    lg.start().unwrap();
    let publish = |t: u16, b: &[u8]| {
        assert_eq!(producer(p).publish(Stream::Normal, t, b), Status::Ok);
    };
    for i in 0..N {
        for (t, b) in payloads(i) {
            publish(t, &b);
        }
    }
    publish(UNTYPED, &[1, 2, 3]);
    publish(1, &[0xaa; 4]);
    lg.shutdown().unwrap();
}

/// What a text line shows after `len=N `: the fields or the payload.
fn body(line: &str) -> &str {
    let after_len = line.split_once(" len=").expect("a dump line").1;
    after_len.split_once(' ').expect("something after len").1
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("{v} is not a number"))
}

/// Checks `rtlog dump` of the typed test log, whoever wrote it.
fn check_typed_log(dir: &Path) {
    let out = rtlog(&["dump", "--json"], dir);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("1 record(s) of a registered type had another length"),
        "{}",
        stderr(&out)
    );
    let lines: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(lines.len(), 3 * N + 2);
    for i in 0..N {
        let (f, n) = (i as f64, i as i64);
        let axis = &lines[3 * i];
        assert_eq!(
            (axis["type"].as_u64(), axis["type_name"].as_str()),
            (Some(1), Some("axis_state"))
        );
        assert_eq!(axis["len"], 48);
        assert_eq!(axis["producer"], "ctl");
        let a = &axis["fields"];
        assert_eq!(a.as_object().unwrap().len(), 5, "{a}");
        assert_eq!(a["axis"].as_u64(), Some(i as u64));
        assert_eq!(num(&a["position"]), f * 0.125);
        assert_eq!(num(&a["velocity"]), 1.0 - f);
        assert_eq!(a["enabled"].as_bool(), Some(i % 2 == 0));
        assert_eq!(a["mode"].as_str(), Some(MODES[i]));

        let imu = &lines[3 * i + 1];
        assert_eq!((imu["type"].as_u64(), imu["type_name"].as_str()), (Some(2), Some("imu")));
        let m = &imu["fields"];
        let accel: Vec<i64> =
            m["accel"].as_array().unwrap().iter().map(|v| v.as_i64().unwrap()).collect();
        assert_eq!(accel, [n, -n, 1000 * n]);
        let gyro: Vec<f64> = m["gyro"].as_array().unwrap().iter().map(num).collect();
        assert_eq!(gyro, [0.5 * f, -0.25, f64::from(1u32 << i)]);
        assert_eq!(m["t_ns"].as_u64(), Some(1_000_000_000_000_000_000 + i as u64));
        assert_eq!(m["temp_c"].as_i64(), Some(-40 + n));

        let event = &lines[3 * i + 2];
        assert_eq!(
            (event["type"].as_u64(), event["type_name"].as_str()),
            (Some(300), Some("event"))
        );
        let e = &event["fields"];
        assert_eq!(e["code"].as_u64(), Some(200 + i as u64));
        assert_eq!(e["value"].as_i64(), Some(-(1i64 << 40) * (n + 1)));
        assert_eq!(e["flags"].as_u64(), Some(0xffff - i as u64));
        assert_eq!(e["tag"].as_str(), Some(if i % 2 == 0 { "ABCDE" } else { "ok" }));
        let limits: Vec<f64> = e["limits"].as_array().unwrap().iter().map(num).collect();
        assert_eq!(limits, [-1.5 * f, 1e300]);
        assert_eq!(e["delta"].as_i64(), Some(-n));
        for (line, len) in [(axis, 48), (imu, 40), (event, 48)] {
            assert_eq!(line["len"], len);
            assert_eq!(line["payload_hex"].as_str().map(str::len), Some(2 * len));
            assert!(line.get("expected_len").is_none());
        }
    }
    let untyped = &lines[3 * N];
    assert_eq!(
        (untyped["type"].as_u64(), untyped["payload_hex"].as_str()),
        (Some(9), Some("010203"))
    );
    assert!(untyped.get("type_name").is_none() && untyped.get("fields").is_none());
    let short = &lines[3 * N + 1];
    assert_eq!(short["type_name"], "axis_state");
    assert_eq!((short["len"].as_u64(), short["expected_len"].as_u64()), (Some(4), Some(48)));
    assert_eq!(short["payload_hex"], "aaaaaaaa");
    assert!(short.get("fields").is_none());

    // Text: the fields in place of the hex; unknown types and mismatches stay hex.
    let text = dump(dir, &[]);
    assert!(text[3].contains(" type=1 seq=3 len=48 "), "{}", text[3]);
    let expected = [
        "axis_state{axis=1 position=0.125 velocity=0 enabled=false mode=\"homing\"}",
        "imu{accel=[1,-1,1000] gyro=[0.5,-0.25,2] t_ns=1000000000000000001 temp_c=-39}",
        "event{code=201 value=-2199023255552 flags=65534 tag=\"ok\" limits=[-1.5,1e300] delta=-1}",
    ];
    for (k, e) in expected.iter().enumerate() {
        assert_eq!(body(&text[3 + k]), *e);
    }
    assert!(text[3 * N].contains(" type=9 seq=15 len=3 payload=010203"), "{}", text[3 * N]);
    assert_eq!(body(&text[3 * N + 1]), "type_name=axis_state expected_len=48 payload=aaaaaaaa");

    // --type by name or number.
    let axis = dump(dir, &["--type", "axis_state"]);
    assert_eq!(axis.len(), N + 1);
    assert!(axis[..N].iter().all(|l| body(l).starts_with("axis_state{")));
    assert_eq!(dump(dir, &["--type", "event"]).len(), N);
    let imu = dump(dir, &["--type", "2"]);
    assert_eq!(imu.len(), N);
    assert!(imu.iter().all(|l| body(l).starts_with("imu{")));
    // A name the log does not have is an error that lists the names it has.
    let out = rtlog(&["dump", "--type", "no_such_type"], dir);
    assert_eq!((out.status.code(), stdout(&out).as_str()), (Some(2), ""));
    let listed = "has no record type named \"no_such_type\"; its registered types: \
                  \"axis_state\" (1), \"event\" (300), \"imu\" (2)\n";
    assert!(stderr(&out).ends_with(listed), "{}", stderr(&out));

    // tail decodes the same way; inspect lists the types of each epoch.
    let tail: Vec<String> =
        run_ok(&["tail", "-n", "3"], dir, 0).lines().map(str::to_owned).collect();
    assert_eq!(tail.len(), 3);
    assert_eq!(
        body(&tail[0]),
        "event{code=204 value=-5497558138880 flags=65531 tag=\"ABCDE\" limits=[-6,1e300] delta=-4}"
    );
    assert_eq!(body(&tail[1]), "payload=010203");
    assert_eq!(body(&tail[2]), "type_name=axis_state expected_len=48 payload=aaaaaaaa");
    let summary = run_ok(&["inspect"], dir, 0);
    for t in [
        format!("    1 axis_state, 48 bytes: {AXIS}\n"),
        format!("    2 imu, 40 bytes: {IMU}\n"),
        format!("    300 event, 48 bytes: {EVENT}\n"),
    ] {
        assert!(summary.contains(&t), "{t:?} missing from {summary}");
    }
}

#[test]
fn dump_shows_typed_records_by_field() {
    let dir = TempDir::new("cli-typed");
    write_typed_log(&dir);
    check_typed_log(&dir.0);
}

/// The check on a log written elsewhere (by `ffi-tests/c/test_typed.c` or
/// `ffi-tests/cpp/test_cpp_typed.cpp`, under ctest).
#[test]
#[ignore = "needs RTLOG_TYPED_LOG=<dir of a typed test log>; ctest runs it on the C and C++ tests'"]
fn typed_dump_of_an_external_log() {
    let dir = std::env::var_os("RTLOG_TYPED_LOG").expect("RTLOG_TYPED_LOG names the log");
    check_typed_log(Path::new(&dir));
}

// ---- epochs, and format 1.0 -----------------------------------------------------------------

/// Types are per epoch: a name may have another id after a restart, and `--type NAME` follows
/// it; `--type N` selects by number whatever the name.
#[test]
fn types_follow_their_epoch() {
    let dir = TempDir::new("cli-typed-epochs");
    for (epoch, id) in [(1u8, 1u16), (2, 5)] {
        let lg = Logger::init(config(&dir)).unwrap();
        let p = lg.create_producer("ctl").unwrap();
        lg.register_type(id, "pair", "u8 a; u8 b").unwrap();
        if id != 1 {
            lg.register_type(1, "single", "u16 v").unwrap();
        }
        lg.start().unwrap();
        assert_eq!(producer(p).publish(Stream::Normal, id, &[epoch, 7]), Status::Ok);
        assert_eq!(producer(p).publish(Stream::Normal, 1, &[epoch, 0]), Status::Ok);
        lg.shutdown().unwrap();
    }
    let bodies = |args: &[&str]| -> Vec<String> {
        dump(&dir.0, args).iter().map(|l| body(l).to_owned()).collect()
    };
    assert_eq!(bodies(&[]), ["pair{a=1 b=7}", "pair{a=1 b=0}", "pair{a=2 b=7}", "single{v=2}"]);
    assert_eq!(bodies(&["--type", "pair"]), ["pair{a=1 b=7}", "pair{a=1 b=0}", "pair{a=2 b=7}"]);
    assert_eq!(bodies(&["--type", "1"]), ["pair{a=1 b=7}", "pair{a=1 b=0}", "single{v=2}"]);
    assert_eq!(bodies(&["--type", "single"]), ["single{v=2}"]);
}

/// Rewrites every segment of `dir` as format 1.0 wrote it: a header without a type table, the
/// same salt, and the same frames with the level byte (reserved before 1.2) zero.
fn downgrade_to_format_1_0(dir: &Path) {
    for (_, path) in rtlog::logdir::list_segments(dir).unwrap() {
        let mut scan = rtlog::scan::SegmentScan::open(&path).unwrap();
        let mut h = scan.header.clone();
        assert_eq!((h.minor, h.types.len()), (format::FORMAT_MINOR, 3));
        h.minor = 0;
        h.types.clear();
        let mut old = h.encode();
        assert_eq!(u16::from_le_bytes([old[10], old[11]]), 0);
        let salt = format::FrameSalt::new(h.salt);
        while let rtlog::scan::ScanItem::Frame(mut frame, payload) = scan.next_item().unwrap() {
            frame.level = 0;
            frame.encode_into(&salt, payload, &mut old);
        }
        std::fs::write(&path, old).unwrap();
    }
}

#[test]
fn a_log_of_format_1_0_reads_as_before() {
    let dir = TempDir::new("cli-typed-v10");
    write_typed_log(&dir);
    let typed = dump(&dir.0, &["--json"]);
    downgrade_to_format_1_0(&dir.0);
    run_ok(&["verify"], &dir.0, 0);
    let untyped = dump(&dir.0, &["--json"]);
    assert_eq!(untyped.len(), typed.len());
    for (t, u) in typed.iter().zip(&untyped) {
        let (mut t, u): (Value, Value) =
            (serde_json::from_str(t).unwrap(), serde_json::from_str(u).unwrap());
        // Without the types, the same records with the same keys as before types existed.
        let t = t.as_object_mut().unwrap();
        for key in ["type_name", "fields", "expected_len"] {
            t.remove(key);
        }
        assert_eq!(&Value::Object(t.clone()), &u);
    }
    assert!(dump(&dir.0, &[]).iter().all(|l| l.contains(" payload=")));
    // Without type tables, type names are unknown: an error, not an empty output.
    let out = rtlog(&["dump", "--type", "axis_state"], &dir.0);
    assert_eq!(out.status.code(), Some(2));
    let message = "has no record type named \"axis_state\"; it registers no type names\n";
    assert!(stderr(&out).ends_with(message), "{}", stderr(&out));
}

/// A type registered without records, and records of a type without a layout, are in the log:
/// `--type` accepts them (exit 0, printing what there is); a number neither registered nor in a
/// record is an error that lists both.
#[test]
fn type_filters_accept_what_the_log_has_even_without_records_or_layout() {
    let dir = TempDir::new("cli-typed-unused");
    let lg = Logger::init(config(&dir)).unwrap();
    let p = lg.create_producer("ctl").unwrap();
    lg.register_type(1, "pair", "u8 a; u8 b").unwrap();
    lg.register_type(2, "unused", "u32 v").unwrap();
    lg.start().unwrap();
    assert_eq!(producer(p).publish(Stream::Normal, 1, &[1, 2]), Status::Ok);
    assert_eq!(producer(p).publish(Stream::Normal, UNTYPED, &[3]), Status::Ok);
    lg.shutdown().unwrap();
    for command in ["dump", "tail"] {
        assert_eq!(run_ok(&[command, "--type", "unused"], &dir.0, 0), "");
        assert_eq!(run_ok(&[command, "--type", "2"], &dir.0, 0), "");
        let untyped = run_ok(&[command, "--type", "9"], &dir.0, 0);
        assert!(untyped.ends_with(" type=9 seq=1 len=1 payload=03\n"), "{untyped}");
        let out = rtlog(&[command, "--type", "99"], &dir.0);
        assert_eq!((out.status.code(), stdout(&out).as_str()), (Some(2), ""));
        let message = "has no record of type 99; its records have types: 1, 9; its registered \
                       types: \"pair\" (1), \"unused\" (2)\n";
        assert!(stderr(&out).ends_with(message), "{}", stderr(&out));
    }
}
