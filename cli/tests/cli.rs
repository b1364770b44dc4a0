//! The `rtlog` command-line tool, run as a separate process on logs written with the Rust API:
//! `inspect`, `verify`, `dump` (and its filters), `tail` and `tail -f`, and the error cases.

mod common;
use common::*;
use rtlog::{Config, Logger, Producer, Reader, Status, Stream};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::ptr::NonNull;
use std::sync::mpsc;
use std::time::{Duration, Instant};

fn segments(dir: &Path) -> Vec<PathBuf> {
    rtlog::logdir::list_segments(dir).unwrap().into_iter().map(|(_, p)| p).collect()
}

/// A clean one-epoch log: "arm" publishes `n` critical records of type 1 (payload a0 i), and
/// `wheel "left"` `n` normal records of type 2 or 3 (payload i i i), alternating. Ticking
/// after each publish keeps the LSNs in publish order.
fn two_producer_log(dir: &TempDir, n: u8) {
    let (lg, ps) = start(config(dir), &["arm", "wheel \"left\""]);
    for i in 0..n {
        let arm = producer(ps[0]).publish(Stream::Critical, 1, &[0xa0, i]);
        assert_eq!(arm, Status::Ok);
        lg.tick().unwrap();
        let wheel = producer(ps[1]).publish(Stream::Normal, 2 + u16::from(i % 2), &[i; 3]);
        assert_eq!(wheel, Status::Ok);
        lg.tick().unwrap();
    }
    lg.shutdown().unwrap();
}

/// `start` on a directory this process has just shut a logger down on. Another test thread
/// spawning a child at that moment gives the child a copy of the old logger's LOCK descriptor
/// until its `exec` closes it (O_CLOEXEC), and `flock` sees the lock as still held for that
/// instant; so "in use" is retried here instead of failing the test.
fn restart(config: Config, names: &[&str]) -> (Logger, Vec<NonNull<Producer>>) {
    let deadline = Instant::now() + PATIENCE;
    let lg = loop {
        match Logger::init(config.clone()) {
            Ok(lg) => break lg,
            Err(e) if e.message.contains("in use") && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(e) => panic!("restarting the logger: {e}"),
        }
    };
    let ps = names.iter().map(|n| lg.create_producer(n).unwrap()).collect();
    lg.start().unwrap();
    (lg, ps)
}

/// LSNs of the data records, in order.
fn data_lsns(dir: &Path) -> Vec<u64> {
    let mut r = Reader::open(dir).unwrap();
    let mut lsns = Vec::new();
    while let Some(rec) = r.next_record().unwrap() {
        lsns.push(rec.lsn);
    }
    lsns
}

fn copy_segments(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for p in segments(from) {
        std::fs::copy(&p, to.join(p.file_name().unwrap())).unwrap();
    }
}

#[test]
fn inspect_and_verify_describe_epochs_producers_and_counts() {
    let live = TempDir::new("cli-live");
    // Epoch 1: two producers, closed cleanly.
    let (lg, ps) = start(config(&live), &["arm", "base"]);
    for i in 0..30u8 {
        assert_eq!(producer(ps[0]).publish(Stream::Critical, 1, &[i]), Status::Ok);
        assert_eq!(producer(ps[1]).publish(Stream::Normal, 2, &[i]), Status::Ok);
        lg.tick().unwrap();
    }
    lg.shutdown().unwrap();
    drop(lg);
    // Epoch 2: "base" alone (so it has id 0 now), still running while we look.
    let (lg, ps) = restart(config(&live), &["base"]);
    for i in 0..5u8 {
        assert_eq!(producer(ps[0]).publish(Stream::Normal, 2, &[i]), Status::Ok);
    }
    lg.flush(PATIENCE).unwrap();
    let text = run_ok(&["inspect"], &live.0, 0);
    assert!(text.contains("epoch 1: clean"), "{text}");
    assert!(text.contains("epoch 2: open/crashed"), "{text}");

    // A copy taken now is what a crash leaves; a restart on it opens epoch 3.
    let crashed = TempDir::new("cli-crashed");
    copy_segments(&live.0, &crashed.0);
    lg.shutdown().unwrap();
    let (lg, ps) = start(config(&crashed), &["arm"]);
    for i in 0..3u8 {
        assert_eq!(producer(ps[0]).publish(Stream::Critical, 1, &[i]), Status::Ok);
    }
    lg.shutdown().unwrap();
    drop(lg);

    let text = run_ok(&["inspect"], &crashed.0, 0);
    for fact in [
        "in 3 segment(s)",
        "epoch 1: clean, segment 1, 60 record(s)",
        "epoch 2: crashed, segment 2, 5 record(s)",
        "epoch 3: clean, segment 3, 3 record(s)",
        "epoch 1: 0=arm 1=base",
        "epoch 2: 0=base",
        "epoch 3: 0=arm",
        "records: 68 (critical 33, normal 35)",
        "producer arm: critical 33, normal 0",
        "producer base: critical 0, normal 35",
        "loss markers: 0",
        "damage: none",
    ] {
        assert!(text.contains(fact), "missing {fact:?} in:\n{text}");
    }
    // Segment rows: index, file, bytes, epoch, first LSN, records.
    let rows: Vec<Vec<&str>> = text
        .lines()
        .filter(|l| l.contains(".rtlog"))
        .map(|l| l.split_whitespace().collect())
        .collect();
    let sizes: Vec<String> = segments(&crashed.0)
        .iter()
        .map(|p| std::fs::metadata(p).unwrap().len().to_string())
        .collect();
    assert_eq!(rows.len(), 3, "{text}");
    assert_eq!(rows[0], ["1", "seg-0000000001.rtlog", &sizes[0], "1", "1", "60"]);
    assert_eq!(rows[1][..4], ["2", "seg-0000000002.rtlog", &sizes[1], "2"]);
    assert_eq!(rows[2][..4], ["3", "seg-0000000003.rtlog", &sizes[2], "3"]);
    assert_eq!(rows[2][5], "3");
    let span = text.lines().find(|l| l.starts_with("time span: ")).unwrap();
    let stamps: Vec<&str> = span.split_whitespace().filter(|w| w.ends_with('Z')).collect();
    assert_eq!(stamps.len(), 2, "{span}");
    assert!(stamps.iter().all(|s| s.len() == 30 && &s[10..11] == "T"), "{span}");

    let report = run_ok(&["verify"], &crashed.0, 0);
    assert!(report.contains("info: epoch 2 ended without a clean close (crash)\n"), "{report}");
    assert!(report.starts_with("info: ") && report.contains("ok: 3 segment(s)"), "{report}");
}

#[test]
fn inspect_lists_loss_markers() {
    let dir = TempDir::new("cli-loss");
    let mut c = config(&dir);
    c.critical_depth = 4;
    let (lg, ps) = start(c, &["p"]);
    let refused = (0..7)
        .filter(|_| producer(ps[0]).publish(Stream::Critical, 0, b"x") == Status::Full)
        .count();
    assert_eq!(refused, 3);
    lg.shutdown().unwrap();
    let text = run_ok(&["inspect"], &dir.0, 0);
    assert!(text.contains("loss markers: 1\n"), "{text}");
    assert!(
        text.contains(
            "producer p, stream critical: 3 lost, refused at publish (ring full), at seq 4"
        ),
        "{text}"
    );
}

#[test]
fn verify_lists_a_flipped_byte_a_torn_tail_and_a_bad_header() {
    let dir = TempDir::new("cli-verify");
    two_producer_log(&dir, 100);
    let text = run_ok(&["verify"], &dir.0, 0);
    assert!(text.starts_with("ok: 1 segment(s)"), "{text}");
    assert!(text.contains(" 200 record(s)"), "{text}");
    let seg = segments(&dir.0).remove(0);
    let clean = std::fs::read(&seg).unwrap();

    let mut bytes = clean.clone();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&seg, &bytes).unwrap();
    let text = run_ok(&["verify"], &dir.0, 1);
    let line = text.lines().next().unwrap();
    let prefix = format!("{}: offset ", seg.display());
    assert!(line.starts_with(&prefix), "{text}");
    assert!(line.ends_with(": damaged frames skipped"), "{text}");
    let offset: usize = line[prefix.len()..].split(',').next().unwrap().parse().unwrap();
    assert!(offset <= middle && middle - offset < 256, "{line}");
    assert!(text.contains("DAMAGED: "), "{text}");
    let summary = run_ok(&["inspect"], &dir.0, 0);
    assert!(summary.contains("damage: 0 bad segment header(s), 1 damaged region(s)"), "{summary}");

    // Cut the last frame (the clean close) short: a torn tail, and an epoch without a close.
    std::fs::write(&seg, &clean[..clean.len() - 20]).unwrap();
    let text = run_ok(&["verify"], &dir.0, 1);
    assert!(text.contains("torn tail"), "{text}");
    assert!(text.contains("info: epoch 1 ended without a clean close"), "{text}");

    let mut bytes = clean.clone();
    bytes[20] ^= 0x40; // inside segment_index, covered by the header CRC
    std::fs::write(&seg, &bytes).unwrap();
    let text = run_ok(&["verify"], &dir.0, 1);
    assert!(
        text.contains(&format!("offset 0, length {}: bad segment header", clean.len())),
        "{text}"
    );
    let summary = run_ok(&["inspect"], &dir.0, 0);
    assert!(summary.contains(".rtlog  "), "{summary}");
    assert!(summary.contains("(bad segment header: checksum mismatch)"), "{summary}");
    assert!(summary.contains("damage: 1 bad segment header(s)"), "{summary}");
}

fn field<'a>(line: &'a str, name: &str) -> &'a str {
    let key = format!(" {name}=");
    let at = line.find(&key).map(|i| i + key.len());
    let rest = match (name, at) {
        ("lsn", _) => &line[4..],
        (_, Some(at)) => &line[at..],
        _ => panic!("no {name} in {line}"),
    };
    rest.split(' ').next().unwrap()
}

#[test]
fn dump_prints_every_record_with_its_fields() {
    let dir = TempDir::new("cli-dump");
    two_producer_log(&dir, 20);
    let lsns = data_lsns(&dir.0);
    let lines = dump(&dir.0, &[]);
    assert_eq!(lines.len(), 40);
    let json = dump(&dir.0, &["--json"]);
    assert_eq!(json.len(), 40);
    for (k, (line, j)) in lines.iter().zip(&json).enumerate() {
        let v: serde_json::Value = serde_json::from_str(j).expect("a JSON object per line");
        let i = k / 2;
        let time = v["time"].as_str().unwrap();
        let expected = if k % 2 == 0 {
            format!(
                "lsn={} epoch=1 time={time} producer=arm stream=critical type=1 seq={i} len=2 \
                 payload=a0{i:02x}",
                lsns[k]
            )
        } else {
            format!(
                "lsn={} epoch=1 time={time} producer=\"wheel \\\"left\\\"\" stream=normal \
                 type={} seq={i} len=3 payload={}",
                lsns[k],
                2 + i % 2,
                format!("{i:02x}").repeat(3)
            )
        };
        assert_eq!(line, &expected);
        assert_eq!(v["lsn"], lsns[k]);
        assert_eq!(v["epoch"], 1);
        assert_eq!(v["seq"], i);
        assert_eq!(v["producer"], if k % 2 == 0 { "arm" } else { "wheel \"left\"" });
        assert_eq!(v["producer_id"], k % 2);
        assert_eq!(v["stream"], if k % 2 == 0 { "critical" } else { "normal" });
        assert_eq!(v["len"], if k % 2 == 0 { 2 } else { 3 });
        assert_eq!(v["payload_hex"], field(line, "payload"));
        assert!(v["time_ns"].as_u64().unwrap() > 1_600_000_000_000_000_000);
        assert!(time.len() == 30 && time.ends_with('Z'), "{time}");
    }
}

#[test]
fn dump_filters_by_producer_stream_type_lsn_and_time() {
    let dir = TempDir::new("cli-filter");
    two_producer_log(&dir, 20);
    let lsns = data_lsns(&dir.0);
    let all = dump(&dir.0, &[]);

    let arm = dump(&dir.0, &["--producer", "arm"]);
    assert_eq!(arm.len(), 20);
    assert!(arm.iter().all(|l| field(l, "producer") == "arm"));
    assert_eq!(dump(&dir.0, &["--producer", "wheel \"left\""]).len(), 20);

    let normal = dump(&dir.0, &["--stream", "normal"]);
    assert_eq!(normal.len(), 20);
    assert!(normal.iter().all(|l| field(l, "stream") == "normal"));
    assert_eq!(dump(&dir.0, &["--stream", "critical"]), arm);

    let type3 = dump(&dir.0, &["--type", "3"]);
    assert_eq!(type3.len(), 10);
    assert!(type3.iter().all(|l| field(l, "type") == "3"));

    let (a, b) = (lsns[5], lsns[9]);
    let range = dump(&dir.0, &["--lsn", &format!("{a}..{b}")]);
    assert_eq!(range, all[5..=9]);
    assert_eq!(dump(&dir.0, &["--lsn", &format!("{a}..")]), all[5..]);
    assert_eq!(dump(&dir.0, &["--lsn", &format!("..{b}")]), all[..=9]);
    let both = dump(&dir.0, &["--lsn", &format!("{a}.."), "--producer", "arm"]);
    assert!(both.iter().all(|l| field(l, "producer") == "arm") && both.len() == 17);

    // Times: nothing before 1970-01-01T00:00:00.000000001Z, everything up to 2500.
    assert_eq!(dump(&dir.0, &["--to", "1"]).len(), 0);
    let wide = ["--from", "1970-01-01T00:00:00Z", "--to", "2500-01-01T00:00:00.5Z"];
    assert_eq!(dump(&dir.0, &wide), all);
    // From the 11th record's own time on: the records at or after it.
    let t10 = field(&all[10], "time").to_owned();
    let later = dump(&dir.0, &["--from", &t10]);
    let expected: Vec<_> = all.iter().filter(|l| field(l, "time") >= t10.as_str()).collect();
    assert_eq!(later.iter().collect::<Vec<_>>(), expected);
    assert!(later.len() >= 30);

    for bad in [&["--from", "yesterday"][..], &["--lsn", "9..3"], &["--stream", "loud"]] {
        let mut args = vec!["dump"];
        args.extend_from_slice(bad);
        let out = rtlog(&args, &dir.0);
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        assert!(stderr(&out).contains("invalid value"), "{}", stderr(&out));
    }
}

/// `--level L` keeps records at L or above. Published records are info, so `info` (or `trace`,
/// in any case) keeps them all and `warn` none; a word that names no level is a usage error.
#[test]
fn dump_and_tail_filter_by_level() {
    let dir = TempDir::new("cli-level");
    two_producer_log(&dir, 5);
    let all = dump(&dir.0, &[]);
    assert_eq!(all.len(), 10);
    assert_eq!(dump(&dir.0, &["--level", "info"]), all);
    assert_eq!(dump(&dir.0, &["--level", "TRACE"]), all);
    assert_eq!(dump(&dir.0, &["--level", "warn"]).len(), 0);
    let tail = rtlog(&["tail", "-n", "3", "--level", "error"], &dir.0);
    assert_eq!((tail.status.code(), stdout(&tail)), (Some(0), String::new()));
    let out = rtlog(&["dump", "--level", "loud"], &dir.0);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("is not a level (one of trace, debug, info, warn, error, fatal)"),
        "{}",
        stderr(&out)
    );
}

/// Runs `rtlog ARGS DIR`, expects exit 2, no output and `message` on stderr.
fn usage_error(args: &[&str], dir: &Path, message: &str) {
    let out = rtlog(args, dir);
    assert_eq!(out.status.code(), Some(2), "rtlog {args:?}: {}", stderr(&out));
    assert_eq!(stdout(&out), "", "rtlog {args:?}");
    assert_eq!(stderr(&out), format!("rtlog: {message}\n"), "rtlog {args:?}");
}

/// A name or number that the log does not have is a typo, not "no data": exit 2, naming what
/// the log has. A filter that the log has but that matches nothing with the others is fine.
#[test]
fn filters_naming_what_the_log_does_not_have_are_usage_errors() {
    let dir = TempDir::new("cli-nosuch");
    two_producer_log(&dir, 4);
    let shown = dir.0.display();
    for command in ["dump", "tail"] {
        usage_error(
            &[command, "--producer", "nosuch"],
            &dir.0,
            &format!(
                "{shown} has no producer \"nosuch\"; its producers: \"arm\", \"wheel \\\"left\\\"\""
            ),
        );
        usage_error(
            &[command, "--type", "nosuch"],
            &dir.0,
            &format!("{shown} has no record type named \"nosuch\"; it registers no type names"),
        );
        usage_error(
            &[command, "--type", "99"],
            &dir.0,
            &format!(
                "{shown} has no record of type 99; its records have types: 1, 2, 3; it \
                 registers no type names"
            ),
        );
        // Type 3 is in the log, but not from "arm".
        assert_eq!(run_ok(&[command, "--type", "3", "--producer", "arm"], &dir.0, 0), "");
    }
    // Following, a later epoch may bring the name: a warning only. Closing its stdout ends it.
    let mut child = spawn(&["tail", "-f", "--producer", "nosuch"], &dir.0);
    drop(child.0.stdout.take());
    let (code, errors) = wait_exit(&mut child, "tail -f after its reader left");
    assert_eq!(code, Some(0), "{errors}");
    let warning = format!(
        "rtlog: {shown} has no producer \"nosuch\"; its producers: \"arm\", \"wheel \\\"left\\\"\"; \
         following in case a later epoch brings it\n"
    );
    assert_eq!(errors, warning);
}

/// `--from` after `--to` is refused as `--lsn 5..4` is, rather than matching nothing.
#[test]
fn an_empty_time_range_is_a_usage_error() {
    let dir = TempDir::new("cli-times");
    two_producer_log(&dir, 2);
    let message = "--from 2026-11-22T10:00:00.000000000Z is later than --to \
                   2026-11-22T09:59:59.999999999Z: the time range is empty";
    let times = ["--from", "2026-11-22T10:00:00Z", "--to", "1795341599999999999"];
    for command in ["dump", "tail"] {
        let mut args = vec![command];
        args.extend_from_slice(&times);
        usage_error(&args, &dir.0, message);
    }
    usage_error(&["tail", "-f", times[0], times[1], times[2], times[3]], &dir.0, message);
    let out = rtlog(&["dump", "--lsn", "5..4"], &dir.0);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("the range 5..4 is empty"), "{}", stderr(&out));
}

#[test]
fn tail_prints_the_last_records() {
    let dir = TempDir::new("cli-tail");
    two_producer_log(&dir, 25);
    let all = dump(&dir.0, &[]);
    let last = run_ok(&["tail"], &dir.0, 0);
    assert_eq!(last.lines().collect::<Vec<_>>(), all[40..]);
    let three = run_ok(&["tail", "-n", "3"], &dir.0, 0);
    assert_eq!(three.lines().collect::<Vec<_>>(), all[47..]);
}

/// `tail` takes `dump`'s filters, and -n counts the records that pass them: the last lines of
/// `tail FILTERS` are those of `dump FILTERS`.
#[test]
fn tail_takes_the_filters_of_dump() {
    let dir = TempDir::new("cli-tail-filters");
    two_producer_log(&dir, 25);
    let all = dump(&dir.0, &[]);
    let (lsn5, t10) = (field(&all[5], "lsn"), field(&all[10], "time"));
    let lsns = format!("{lsn5}..");
    let filter_sets: [&[&str]; 6] = [
        &["--producer", "arm"],
        &["--stream", "normal"],
        &["--type", "3"],
        &["--lsn", &lsns, "--producer", "wheel \"left\""],
        &["--from", t10, "--stream", "critical"],
        &["--json", "--type", "2"],
    ];
    for filters in filter_sets {
        let dumped = dump(&dir.0, filters);
        assert!(dumped.len() > 3 && dumped.len() < all.len(), "{filters:?}: {dumped:?}");
        for n in [3, 1000] {
            let mut args = vec!["tail", "-n"];
            let n_text = n.to_string();
            args.push(&n_text);
            args.extend_from_slice(filters);
            let tailed = run_ok(&args, &dir.0, 0);
            let expected = &dumped[dumped.len().saturating_sub(n)..];
            assert_eq!(tailed.lines().collect::<Vec<_>>(), expected, "{args:?}");
        }
    }
}

/// Publishes, ticking while the ring is full, so that nothing is refused.
fn publish_all(lg: &Logger, p: NonNull<Producer>, record_type: u16, payload: &[u8]) {
    while producer(p).publish(Stream::Normal, record_type, payload) == Status::Full {
        lg.tick().unwrap();
    }
}

#[test]
fn tail_follow_sees_records_and_segments_written_after_it_started() {
    let dir = TempDir::new("cli-follow");
    let mut c = config(&dir);
    c.segment_bytes = 64 * 1024;
    c.normal_depth = 2048;
    let (lg, ps) = start(c, &["p"]);
    for i in 0..12u32 {
        publish_all(&lg, ps[0], 7, &i.to_le_bytes());
    }
    lg.flush(PATIENCE).unwrap();

    let mut child = spawn(&["tail", "-f"], &dir.0);
    let rx = line_channel(&mut child.0);
    let first = next_lines(&rx, 10);
    assert_eq!(field(&first[0], "seq"), "2");
    assert_eq!(field(&first[9], "seq"), "11");

    // Enough 200-byte records to rotate through several 64 KiB segments while it follows.
    let n = 1000u32;
    for i in 12..12 + n {
        publish_all(&lg, ps[0], 7, &i.to_le_bytes().repeat(50));
        lg.tick().unwrap();
    }
    lg.flush(PATIENCE).unwrap();
    assert!(segments(&dir.0).len() >= 3);
    let more = next_lines(&rx, n as usize);
    for (k, line) in more.iter().enumerate() {
        let i = 12 + k as u32;
        assert_eq!(field(line, "seq"), i.to_string(), "{line}");
        let le_hex = format!("{:08x}", i.swap_bytes());
        assert_eq!(field(line, "payload")[..8], le_hex);
    }

    // A restart: a new epoch in a new segment, with its own producer table.
    lg.shutdown().unwrap();
    drop(lg);
    let (lg, ps) = restart(config(&dir), &["q"]);
    for i in 0..3u8 {
        publish_all(&lg, ps[0], 9, &[i]);
    }
    lg.flush(PATIENCE).unwrap();
    for (i, line) in next_lines(&rx, 3).iter().enumerate() {
        assert!(line.contains(" epoch=2 "), "{line}");
        assert_eq!(field(line, "producer"), "q");
        assert_eq!(field(line, "payload"), format!("{i:02x}"));
    }

    // SIGINT ends it cleanly, with exit code 0.
    // SAFETY: kill(2) on the pid of a child this test owns and has not reaped.
    assert_eq!(unsafe { libc::kill(child.0.id() as i32, libc::SIGINT) }, 0);
    let exit = wait_exit(&mut child, "tail -f after SIGINT");
    assert_eq!(exit, (Some(0), String::new()));
    lg.shutdown().unwrap();
}

/// `tail -f` started before the log exists waits for it, then prints its records from the
/// first on, filtered.
#[test]
fn tail_follow_waits_for_the_log_and_filters_it() {
    let dir = TempDir::new("cli-follow-later");
    let mut child = spawn(&["tail", "-f", "--producer", "joint-1"], &dir.0);
    let rx = line_channel(&mut child.0);
    let errors = lines_of(child.0.stderr.take().unwrap());
    // The log is created once the tool says that it is waiting for it.
    let waiting = format!("rtlog: {}: no log there yet; waiting for one", dir.0.display());
    assert_eq!(next_lines(&errors, 1), [waiting]);
    let (lg, ps) = start(config(&dir), &["joint-0", "joint-1"]);
    for i in 0..30u8 {
        for (k, &p) in ps.iter().enumerate() {
            publish_all(&lg, p, k as u16, &[k as u8, i]);
        }
    }
    lg.flush(PATIENCE).unwrap();
    for (i, line) in next_lines(&rx, 30).iter().enumerate() {
        assert_eq!(field(line, "producer"), "joint-1", "{line}");
        assert_eq!(field(line, "payload"), format!("01{i:02x}"), "{line}");
    }
    interrupt(&mut child, "tail -f after SIGINT");
    // Nothing more on stderr: the channel closes with the pipe, within PATIENCE.
    let more = errors.recv_timeout(PATIENCE);
    assert_eq!(more, Err(mpsc::RecvTimeoutError::Disconnected));
    lg.shutdown().unwrap();
}

/// `dump --follow` prints the whole log (not only the last lines, as `tail -f` does), then
/// the records written afterwards, with the filters of `dump`.
#[test]
fn dump_follow_prints_everything_then_new_records() {
    let dir = TempDir::new("cli-dump-follow");
    let (lg, ps) = start(config(&dir), &["arm", "leg"]);
    let publish_both = |from: u8, to: u8| {
        for i in from..to {
            publish_all(&lg, ps[0], 1, &[0xa0, i]);
            publish_all(&lg, ps[1], 2, &[0xb0, i]);
        }
        lg.flush(PATIENCE).unwrap();
    };
    publish_both(0, 25);
    let mut child = spawn(&["dump", "--follow", "--producer", "arm"], &dir.0);
    let rx = line_channel(&mut child.0);
    let first = next_lines(&rx, 25);
    publish_both(25, 40);
    let later = next_lines(&rx, 15);
    for (i, line) in first.iter().chain(&later).enumerate() {
        assert_eq!(field(line, "producer"), "arm", "{line}");
        assert_eq!(field(line, "payload"), format!("a0{i:02x}"), "{line}");
    }
    assert_eq!(interrupt(&mut child, "dump --follow after SIGINT"), "");
    lg.shutdown().unwrap();
}

#[test]
fn a_closed_pipe_ends_dump_quietly() {
    let dir = TempDir::new("cli-pipe");
    let (lg, ps) = start(config(&dir), &["p"]);
    for i in 0..2000u32 {
        publish_all(&lg, ps[0], 0, &i.to_le_bytes().repeat(50));
    }
    lg.shutdown().unwrap();
    let mut child = spawn(&["dump", "--json"], &dir.0);
    // 2000 lines of 400 hex digits are far more than a pipe holds: the dump is still writing.
    let mut out = BufReader::new(child.0.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    assert!(first.starts_with("{\"lsn\":"), "{first}");
    drop(out);
    let exit = wait_exit(&mut child, "dump after its reader left");
    assert_eq!(exit, (Some(0), String::new()));
}

#[test]
fn a_closed_pipe_ends_tail_follow_on_an_idle_log() {
    let dir = TempDir::new("cli-pipe-follow");
    two_producer_log(&dir, 5);
    let mut child = spawn(&["tail", "-f"], &dir.0);
    let mut out = BufReader::new(child.0.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    assert!(first.starts_with("lsn="), "{first}");
    // Nothing more is written to the log, so only noticing the closed pipe ends it.
    drop(out);
    let exit = wait_exit(&mut child, "tail -f after its reader left");
    assert_eq!(exit, (Some(0), String::new()));
}

#[test]
fn errors_name_the_problem_and_exit_2() {
    let missing = TempDir::new("cli-missing");
    let out = rtlog(&["inspect"], &missing.0);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stderr(&out), format!("rtlog: {}: no such directory\n", missing.0.display()));

    let empty = TempDir::new("cli-empty");
    std::fs::create_dir_all(&empty.0).unwrap();
    for cmd in ["inspect", "verify", "dump", "tail"] {
        let out = rtlog(&[cmd], &empty.0);
        assert_eq!(out.status.code(), Some(2), "{cmd}");
        assert!(
            stderr(&out).starts_with(&format!("rtlog: no rtlog segments in {}", empty.0.display())),
            "{cmd}: {}",
            stderr(&out)
        );
        assert!(out.stdout.is_empty());
    }

    let file = empty.0.join("notes.txt");
    std::fs::write(&file, "hello").unwrap();
    let out = rtlog(&["verify"], &file);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stderr(&out), format!("rtlog: {}: not a directory\n", file.display()));

    // Permissions: only meaningful when the test does not run as root (root reads anyway).
    use std::os::unix::fs::PermissionsExt;
    let locked = TempDir::new("cli-locked");
    two_producer_log(&locked, 1);
    let seg = segments(&locked.0).remove(0);
    std::fs::set_permissions(&seg, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::File::open(&seg).is_err() {
        let out = rtlog(&["dump"], &locked.0);
        assert_eq!(out.status.code(), Some(2));
        assert_eq!(stderr(&out), format!("rtlog: {}: permission denied\n", seg.display()));
    }

    let out = Command::new(env!("CARGO_BIN_EXE_rtlog")).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "no subcommand is a usage error");
}

#[test]
fn help_explains_each_subcommand() {
    let help = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_rtlog")).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        stdout(&out)
    };
    let top = help(&["--help"]);
    for cmd in ["inspect", "verify", "dump", "tail"] {
        assert!(top.contains(cmd), "{top}");
        let text = help(&[cmd, "--help"]);
        assert!(text.contains("Usage: rtlog ") && text.len() > 300, "{text}");
    }
    assert!(help(&["dump", "--help"]).contains("--lsn <A..B>"));
    assert!(help(&["verify", "--help"]).contains("Exit codes"));
}

/// The byte ranges `(offset, len, kind, seq)` of the frames of a segment file, in order.
fn frames_of(bytes: &[u8]) -> Vec<(usize, usize, u8, u64)> {
    let header = rtlog::format::SegmentHeader::decode(bytes).unwrap();
    let mut off = header.encoded_len();
    let mut frames = Vec::new();
    while let Ok(h) = rtlog::format::FrameHeader::decode(&bytes[off..], header.max_payload) {
        let len = rtlog::format::frame_bytes(h.payload_len as usize);
        if off + len > bytes.len() {
            break;
        }
        frames.push((off, len, h.kind, h.seq));
        off += len;
    }
    frames
}

#[test]
fn verify_reports_a_sequence_gap_that_no_loss_marker_explains() {
    let dir = TempDir::new("cli-verify-gap");
    two_producer_log(&dir, 20);
    let seg = segments(&dir.0).remove(0);
    let clean = std::fs::read(&seg).unwrap();
    assert!(run_ok(&["verify"], &dir.0, 0).contains("0 unexplained sequence gap(s)"));
    // Take out a whole data frame: every other frame stays valid (each has its own CRC, and
    // LSNs only have to grow), so only the sequence numbers tell that a record is missing, as
    // if a writer had lost it without a loss marker.
    let (off, len, _, seq) = frames_of(&clean)
        .into_iter()
        .filter(|f| f.2 == rtlog::format::FrameKind::Data as u8)
        .nth(10)
        .unwrap();
    let mut bytes = clean[..off].to_vec();
    bytes.extend_from_slice(&clean[off + len..]);
    std::fs::write(&seg, &bytes).unwrap();
    let text = run_ok(&["verify"], &dir.0, 1);
    assert!(
        text.contains(&format!(
            "sequence numbers {seq}..={seq} missing, and no loss marker says why"
        )),
        "{text}"
    );
    assert!(text.contains("DAMAGED: ") && text.contains("1 unexplained sequence gap(s)"), "{text}");
}
