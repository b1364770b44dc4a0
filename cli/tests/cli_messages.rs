//! Log messages (issue 14) in the `rtlog` tool, on logs written with the Rust API
//! (`Producer::publish_message`, as the C macros call it): `dump` and `tail` lines
//! (`LEVEL file:line text`), `--level`, `--messages`, `--type`, `--json`, `--color`, a message
//! whose call-site frame is damaged, `inspect`'s counts, and the exports (MCAP `/<producer>/log`
//! as `foxglove.Log`, CSV `messages.csv`).

mod common;
use common::*;
use rtlog::format::message::ArgType;
use rtlog::format::Level;
use rtlog::rt::message::{CallSiteDesc, RawArg};
use rtlog::{Logger, Producer, Status, Stream};
use serde_json::{json, Value};
use std::path::Path;
use std::ptr::NonNull;

/// Publishes one message and ticks, so LSNs follow the publishing order.
fn log(lg: &Logger, p: NonNull<Producer>, site: &'static CallSiteDesc, args: &[RawArg]) {
    // SAFETY: the call site is leaked (lives forever); the strings are C literals.
    assert_eq!(unsafe { producer(p).publish_message(site, args) }, Status::Ok);
    lg.tick().unwrap();
}

/// The call sites of [`write_log`].
struct Sites {
    debug: &'static CallSiteDesc,
    info: &'static CallSiteDesc,
    warn: &'static CallSiteDesc,
    error: &'static CallSiteDesc,
}

fn sites() -> Sites {
    Sites {
        debug: site(Level::Debug, 10, c"tick %d", &[ArgType::I32]),
        info: site(Level::Info, 20, c"loop started, period %u us", &[ArgType::U32]),
        warn: site(
            Level::Warn,
            42,
            c"joint %u over torque limit %.3f",
            &[ArgType::U32, ArgType::F64],
        ),
        error: site(Level::Error, 57, c"drive %s fault %d", &[ArgType::Str, ArgType::I32]),
    }
}

/// "arm": a data record (type 1, normal), then DEBUG, INFO, WARN (normal stream, seq 1..=3)
/// and ERROR (critical stream, seq 0) messages; the threshold lowered to TRACE so DEBUG is
/// kept.
fn write_log(dir: &TempDir) {
    let (lg, ps) = start(config(dir), &["arm"]);
    lg.set_level(Level::Trace);
    let s = sites();
    assert_eq!(producer(ps[0]).publish(Stream::Normal, 1, &[0xab]), Status::Ok);
    lg.tick().unwrap();
    log(&lg, ps[0], s.debug, &[i(-1)]);
    log(&lg, ps[0], s.info, &[u(1000)]);
    log(&lg, ps[0], s.warn, &[u(3), f(12.5)]);
    log(&lg, ps[0], s.error, &[text(c"left"), i(-2)]);
    lg.shutdown().unwrap();
}

/// What follows ` producer=arm ` in each line.
fn bodies(lines: &[String]) -> Vec<&str> {
    lines.iter().map(|l| l.split_once(" producer=arm ").expect(l).1).collect()
}

const RECORD: &str = "stream=normal type=1 seq=0 len=1 payload=ab";
const DEBUG: &str = "stream=normal seq=1 DEBUG loop.c:10 tick -1";
const INFO: &str = "stream=normal seq=2 INFO loop.c:20 loop started, period 1000 us";
const WARN: &str = "stream=normal seq=3 WARN loop.c:42 joint 3 over torque limit 12.500";
const ERROR: &str = "stream=critical seq=0 ERROR loop.c:57 drive left fault -2";

#[test]
fn dump_and_tail_show_level_file_line_and_text() {
    let dir = TempDir::new("cli-msg-dump");
    write_log(&dir);
    let all = dump(&dir.0, &[]);
    assert_eq!(bodies(&all), [RECORD, DEBUG, INFO, WARN, ERROR]);
    assert!(all[3].starts_with("lsn="), "the record prefix: {}", all[3]);
    // `tail` scans segments itself, with its own call-site table: the same lines.
    let tailed: Vec<String> =
        run_ok(&["tail", "-n", "3"], &dir.0, 0).lines().map(str::to_owned).collect();
    assert_eq!(tailed, all[2..]);

    // --level warn: WARN and above, for messages as for records.
    assert_eq!(bodies(&dump(&dir.0, &["--level", "warn"])), [WARN, ERROR]);
    assert_eq!(bodies(&dump(&dir.0, &["--level", "INFO"])), [RECORD, INFO, WARN, ERROR]);
    let tailed = run_ok(&["tail", "--level", "error"], &dir.0, 0);
    assert_eq!(bodies(&tailed.lines().map(str::to_owned).collect::<Vec<_>>()), [ERROR]);
    // --type asks for data records, --messages for messages only.
    assert_eq!(bodies(&dump(&dir.0, &["--type", "1"])), [RECORD]);
    assert_eq!(bodies(&dump(&dir.0, &["--messages", "--stream", "critical"])), [ERROR]);
    assert_eq!(bodies(&dump(&dir.0, &["--messages"])), [DEBUG, INFO, WARN, ERROR]);
}

#[test]
fn colour_codes_only_when_asked_or_on_a_terminal() {
    let dir = TempDir::new("cli-msg-colour");
    write_log(&dir);
    let coloured = dump(&dir.0, &["--color", "always"]);
    let body = bodies(&coloured);
    assert_eq!(body[0], RECORD, "records are not coloured");
    assert_eq!(body[1], "stream=normal seq=1 \x1b[2mDEBUG\x1b[0m loop.c:10 tick -1");
    assert_eq!(body[2], INFO, "INFO has the terminal's colour");
    assert_eq!(
        body[3],
        "stream=normal seq=3 \x1b[33mWARN\x1b[0m loop.c:42 joint 3 over torque limit 12.500"
    );
    assert_eq!(body[4], "stream=critical seq=0 \x1b[31mERROR\x1b[0m loop.c:57 drive left fault -2");
    let tailed = run_ok(&["tail", "-n", "1", "--color", "always"], &dir.0, 0);
    assert!(tailed.contains(" \x1b[31mERROR\x1b[0m loop.c:57 "), "{tailed}");
    // `never`, and `auto` into a pipe (these tests' stdout): plain text.
    assert_eq!(bodies(&dump(&dir.0, &["--color", "never"])), [RECORD, DEBUG, INFO, WARN, ERROR]);
    assert!(!run_ok(&["dump"], &dir.0, 0).contains('\x1b'));
    assert!(!run_ok(&["tail"], &dir.0, 0).contains('\x1b'));
    let bad = rtlog(&["dump", "--color", "sometimes"], &dir.0);
    assert_eq!(bad.status.code(), Some(2));
}

/// `rtlog ARGS DIR` with its standard output on a pseudo-terminal (so `--color auto` sees a
/// terminal), NO_COLOR set to `no_color` or unset; what it printed, with the terminal's CRLF
/// turned back into LF.
fn on_a_terminal(args: &[&str], dir: &Path, no_color: Option<&str>) -> String {
    use std::io::Read;
    use std::os::fd::{FromRawFd, OwnedFd};
    let (mut master, mut slave) = (0, 0);
    // SAFETY: openpty writes two new descriptors; the name, termios and size may be NULL.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: the two descriptors were just opened and are owned here alone.
    let (mut master, slave) =
        unsafe { (std::fs::File::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_rtlog"));
    cmd.args(args).arg(dir).stdout(slave).env_remove("NO_COLOR");
    if let Some(v) = no_color {
        cmd.env("NO_COLOR", v);
    }
    let status = cmd.status().unwrap();
    assert!(status.success(), "rtlog {args:?} on a terminal: {status}");
    drop(cmd); // closes the parent's copy of the terminal's side, so reading ends
    let mut out = Vec::new();
    // Once the last writer is gone, Linux reports EIO on the master: the end of the output.
    let _ = master.read_to_end(&mut out);
    String::from_utf8(out).unwrap().replace("\r\n", "\n")
}

#[test]
fn auto_colours_a_terminal_unless_no_color_is_set() {
    let dir = TempDir::new("cli-msg-tty");
    write_log(&dir);
    let warn = " \x1b[33mWARN\x1b[0m loop.c:42 joint 3 over torque limit 12.500\n";
    let coloured = on_a_terminal(&["dump"], &dir.0, None);
    assert!(coloured.contains(warn), "{coloured:?}");
    assert_eq!(coloured, run_ok(&["dump", "--color", "always"], &dir.0, 0));
    let tailed = on_a_terminal(&["tail", "-n", "1"], &dir.0, Some(""));
    assert!(tailed.contains(" \x1b[31mERROR\x1b[0m loop.c:57 "), "empty NO_COLOR: {tailed:?}");
    let plain = on_a_terminal(&["dump"], &dir.0, Some("1"));
    assert_eq!(plain, run_ok(&["dump"], &dir.0, 0), "NO_COLOR=1");
    assert!(on_a_terminal(&["dump", "--color", "never"], &dir.0, None).find('\x1b').is_none());
    let forced = on_a_terminal(&["dump", "--color", "always"], &dir.0, Some("1"));
    assert!(forced.contains(warn), "--color always beats NO_COLOR: {forced:?}");
}

#[test]
fn json_lines_carry_level_file_line_message_and_args() {
    let dir = TempDir::new("cli-msg-json");
    write_log(&dir);
    let lines = dump(&dir.0, &["--json"]);
    let values: Vec<Value> = lines.iter().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(values[0]["payload_hex"], "ab", "a data record keeps its keys");
    assert!(values[0].get("kind").is_none());
    let warn = &values[3];
    for (key, want) in [
        ("kind", json!("message")),
        ("level", json!("warn")),
        ("producer", json!("arm")),
        ("stream", json!("normal")),
        ("seq", json!(3)),
        ("file", json!("loop.c")),
        ("line", json!(42)),
        ("function", json!("step")),
        ("message", json!("joint 3 over torque limit 12.500")),
        ("args", json!([3, 12.5])),
    ] {
        assert_eq!(warn[key], want, "{key} in {warn}");
    }
    assert!(warn["callsite"].as_u64().unwrap() > 0);
    assert!(warn["time_ns"].is_u64() && warn["time"].is_string() && warn["lsn"].is_u64());
    assert_eq!(values[4]["args"], json!(["left", -2]));
    assert_eq!(values[4]["level"], "error");
    // tail --json and export jsonl print the same lines.
    let tailed = run_ok(&["tail", "--json", "-n", "2"], &dir.0, 0);
    assert_eq!(tailed.lines().collect::<Vec<_>>(), lines[3..]);
    let exported = run_ok(&["export", "--format", "jsonl", "-o", "-"], &dir.0, 0);
    assert_eq!(exported.lines().collect::<Vec<_>>(), lines);
}

/// Flips a byte of the call-site frame that holds `format` (its CRC then fails and the reader
/// skips the frame as damage).
fn damage_call_site(dir: &Path, format: &[u8]) {
    let (_, path) = rtlog::logdir::list_segments(dir).unwrap().remove(0);
    let mut bytes = std::fs::read(&path).unwrap();
    let at =
        bytes.windows(format.len()).position(|w| w == format).expect("the format is in the log");
    bytes[at] ^= 0x20;
    std::fs::write(&path, bytes).unwrap();
}

#[test]
fn a_message_whose_call_site_frame_is_damaged_still_prints() {
    let dir = TempDir::new("cli-msg-lost-site");
    write_log(&dir);
    damage_call_site(&dir.0, b"joint %u over torque limit");
    let lines = dump(&dir.0, &[]);
    let body = bodies(&lines);
    assert_eq!(body.len(), 5, "no message is dropped: {lines:?}");
    let id = body[3]
        .strip_prefix("stream=normal seq=3 WARN <call site ")
        .and_then(|rest| rest.strip_suffix("> 3 12.5"))
        .unwrap_or_else(|| panic!("{}", body[3]));
    id.parse::<u32>().unwrap();
    assert_eq!([body[0], body[1], body[2], body[4]], [RECORD, DEBUG, INFO, ERROR]);
    let tailed = run_ok(&["tail", "-n", "2"], &dir.0, 0);
    assert_eq!(tailed.lines().collect::<Vec<_>>(), lines[3..]);

    let warn: Value =
        serde_json::from_str(&dump(&dir.0, &["--json", "--level", "warn"])[0]).unwrap();
    assert_eq!(warn["message"], format!("<call site {id}> 3 12.5"));
    assert_eq!((&warn["file"], &warn["line"]), (&Value::Null, &Value::Null));
    assert_eq!(warn["args"], json!([3, 12.5]));
    // verify reports the damaged call-site frame (exit 1); dump said it skipped damage.
    let report = run_ok(&["verify"], &dir.0, 1);
    assert!(report.contains("damaged frames skipped"), "{report}");
    let out = rtlog(&["dump"], &dir.0);
    assert!(stderr(&out).contains("1 damaged place(s) skipped"), "{}", stderr(&out));
}

#[test]
fn inspect_counts_messages_per_level() {
    let dir = TempDir::new("cli-msg-inspect");
    write_log(&dir);
    let text = run_ok(&["inspect"], &dir.0, 0);
    assert!(
        text.contains("\nmessages: 4 (trace 0, debug 1, info 1, warn 1, error 1, fatal 0)\n"),
        "{text}"
    );
    assert!(text.contains("\n  call-site frames: 4\n"), "{text}");
    assert!(text.contains("\nrecords: 1 (critical 0, normal 1)\n"), "{text}");
    // Message and call-site frames are frames like the others: a clean log verifies.
    run_ok(&["verify"], &dir.0, 0);
}

#[test]
fn mcap_puts_messages_on_the_producer_s_log_channel_as_foxglove_log() {
    let dir = TempDir::new("cli-msg-mcap");
    write_log(&dir);
    let out = TempDir::new("cli-msg-mcap-out");
    std::fs::create_dir_all(&out.0).unwrap();
    let file = out.0.join("run.mcap");
    run_ok(&["export", "--format", "mcap", "-o", file.to_str().unwrap()], &dir.0, 0);
    let times: Vec<u64> = dump(&dir.0, &["--json"])
        .iter()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["time_ns"].as_u64().unwrap())
        .collect();
    let bytes = std::fs::read(&file).unwrap();
    let mut logs = Vec::new();
    for m in mcap::MessageStream::new(&bytes).unwrap() {
        let m = m.unwrap();
        if m.channel.topic != "/arm/log" {
            assert_eq!(m.channel.topic, "/arm/type-1");
            continue;
        }
        let schema = m.channel.schema.as_ref().unwrap();
        assert_eq!(
            (schema.name.as_str(), schema.encoding.as_str()),
            ("foxglove.Log", "jsonschema")
        );
        let schema: Value = serde_json::from_slice(&schema.data).unwrap();
        assert_eq!(schema["properties"]["level"]["oneOf"][3]["title"], "WARNING");
        assert_eq!(m.channel.message_encoding, "json");
        logs.push((m.log_time, m.sequence, serde_json::from_slice::<Value>(&m.data).unwrap()));
    }
    assert_eq!(logs.len(), 4);
    let (time, seq, warn) = &logs[2];
    assert_eq!((*time, *seq), (times[3], 3));
    assert_eq!(
        *warn,
        json!({
            "timestamp": {"sec": times[3] / 1_000_000_000, "nsec": times[3] % 1_000_000_000},
            "level": 3,
            "message": "joint 3 over torque limit 12.500",
            "name": "arm",
            "file": "loop.c",
            "line": 42
        })
    );
    // foxglove.LogLevel: DEBUG 1, INFO 2, WARNING 3, ERROR 4.
    let levels: Vec<&Value> = logs.iter().map(|(_, _, v)| &v["level"]).collect();
    assert_eq!(levels, [&json!(1), &json!(2), &json!(3), &json!(4)]);
}

#[test]
fn csv_writes_messages_to_messages_csv() {
    let dir = TempDir::new("cli-msg-csv");
    write_log(&dir);
    let out = TempDir::new("cli-msg-csv-out");
    run_ok(&["export", "--format", "csv", "-o", out.0.to_str().unwrap()], &dir.0, 0);
    let text = std::fs::read_to_string(out.0.join("messages.csv")).unwrap();
    let rows: Vec<&str> = text.split("\r\n").collect();
    assert_eq!(rows[0], "time_ns,lsn,epoch,producer,stream,seq,level,file,line,function,message");
    let cells: Vec<&str> = rows[3].splitn(7, ',').collect();
    assert_eq!(cells[3..6], ["arm", "normal", "3"]);
    assert_eq!(cells[6], "warn,loop.c,42,step,\"joint 3 over torque limit 12.500\"");
    assert_eq!(rows.len(), 6, "a header, 4 messages and the empty end: {text}");
    assert!(out.0.join("type-1.csv").exists());
}

#[test]
fn tail_follow_prints_messages_written_after_it_started() {
    let dir = TempDir::new("cli-msg-follow");
    let (lg, ps) = start(config(&dir), &["arm"]);
    let s = sites();
    log(&lg, ps[0], s.info, &[u(1000)]);
    lg.flush(PATIENCE).unwrap();
    let mut child = spawn(&["tail", "-f", "--level", "warn"], &dir.0);
    let rx = line_channel(&mut child.0);
    log(&lg, ps[0], s.info, &[u(2000)]);
    log(&lg, ps[0], s.warn, &[u(7), f(0.25)]);
    log(&lg, ps[0], s.error, &[text(c"right"), i(4)]);
    lg.flush(PATIENCE).unwrap();
    let lines = next_lines(&rx, 2);
    assert_eq!(
        bodies(&lines),
        [
            "stream=normal seq=2 WARN loop.c:42 joint 7 over torque limit 0.250",
            "stream=critical seq=0 ERROR loop.c:57 drive right fault 4"
        ]
    );
    interrupt(&mut child, "tail -f after SIGINT");
    lg.shutdown().unwrap();
}
