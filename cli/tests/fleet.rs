//! `rtlog ship` and `rtlog collect` against real `nats-server -js` processes (ctest label
//! `fleet`; docs/FLEET.md). Each test starts its own server (or three-node cluster) on free
//! loopback ports with its own store directory, and stops it.
//!
//! What every test checks at the end, besides its own point: the stream holds each frame of
//! the log exactly once (no gap, no duplicate: [`check_stream`]), and the log that
//! `rtlog collect` rebuilt reads back, record by record, as the original ([`check_same`]).
//!
//! Waits are on conditions with generous deadlines, never fixed sleeps for correctness: the
//! machine may be loaded. Run them one at a time (`--test-threads=1`, as ctest does): each
//! starts servers and processes of its own.

mod common;

use common::*;
use rtlog::format::FrameKind;
use rtlog::storage::ship_cursor;
use rtlog::{Config, Durability, Logger, Producer, Reader, Status, Stream};
use rtlog_fleet::server::{self, Server};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Deadline for anything the tests wait for: far above what it takes on an idle machine.
const DEADLINE: Duration = Duration::from_secs(120);
const SUBJECT: &str = "fleet.r1";
const STREAM: &str = "FLEET";

fn need_nats() {
    assert!(
        server::available(),
        "nats-server is not installed (Debian: apt-get install nats-server; .ci/run installs it)"
    );
}

/// Waits until `ready` holds, polling; panics with `what` after [`DEADLINE`].
fn wait_for(what: &str, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

// ---- writing logs --------------------------------------------------------------------

/// A logger configured for these tests: small segments (many rotations), deep rings.
fn fleet_config(dir: &Path) -> Config {
    let mut c = Config::new(dir);
    c.durability = Durability::Flush;
    c.segment_bytes = 256 * 1024;
    c.normal_depth = 1 << 14;
    c.critical_depth = 1 << 12;
    c
}

/// A running logger with producers `arm`, `base`, `camera`, the record type `pose`, and the
/// message kit of the library's tests.
struct Robot {
    lg: Arc<Logger>,
    producers: Vec<NonNull<Producer>>,
    kinds: Kinds,
    next: u64,
}

impl Robot {
    fn start(config: Config) -> Robot {
        let lg = Arc::new(Logger::init(config).unwrap());
        lg.register_type(1, "pose", "u32 axis; f64 position").unwrap();
        let producers = ["arm", "base", "camera"].iter().map(|n| lg.create_producer(n).unwrap());
        let producers = producers.collect();
        // With the internal ticker: records reach the disk while the test goes on.
        lg.start_running().unwrap();
        Robot { lg, producers, kinds: Kinds::new(), next: 0 }
    }

    /// Publishes `n` more records across the producers: typed records, untyped ones of
    /// varied sizes, and every tenth a log message. Waits for ring space (this thread is not
    /// an RT thread).
    fn publish(&mut self, n: u64) {
        for _ in 0..n {
            let i = self.next;
            self.next += 1;
            let p = producer(self.producers[(i % 3) as usize]);
            loop {
                let status = if i % 10 == 9 {
                    let (site, args) = self.kinds.message(i / 10 * 4 + i % 3);
                    // SAFETY: the kit's call sites are leaked and its arguments valid.
                    unsafe { p.publish_message(site, &args) }
                } else if i % 2 == 0 {
                    let mut pose = [0u8; 16];
                    pose[..4].copy_from_slice(&(i as u32).to_le_bytes());
                    pose[8..].copy_from_slice(&(i as f64 * 0.5).to_le_bytes());
                    p.publish(Stream::Normal, 1, &pose)
                } else {
                    let stream = if i % 7 == 0 { Stream::Critical } else { Stream::Normal };
                    p.publish(stream, 2, &vec![i as u8; (i % 100) as usize])
                };
                match status {
                    Status::Full => std::thread::sleep(Duration::from_micros(200)),
                    s => {
                        assert_eq!(s, Status::Ok);
                        break;
                    }
                }
            }
        }
    }

    /// Publishes `per_second` records a second (in 50 steps a second) for `seconds`.
    fn paced(&mut self, per_second: u64, seconds: u64) {
        for _ in 0..seconds * 50 {
            self.publish(per_second / 50);
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn stop(self) -> rtlog::Stats {
        self.lg.shutdown().unwrap();
        self.lg.stats()
    }
}

/// Writes `epochs` epochs of `per_epoch` records each into `dir`.
fn write_epochs(dir: &Path, epochs: u32, per_epoch: u64) {
    for _ in 0..epochs {
        let mut robot = Robot::start(fleet_config(dir));
        robot.publish(per_epoch);
        robot.stop();
    }
}

/// The LSN of the log's last frame.
fn last_lsn(dir: &Path) -> u64 {
    let mut r = Reader::open(dir).unwrap();
    let mut last = 0;
    while let Some(f) = r.next_frame().unwrap() {
        last = f.lsn;
    }
    last
}

// ---- the commands --------------------------------------------------------------------

/// A running `rtlog ship`, killed when dropped.
struct Shipper {
    child: Child,
}

impl Shipper {
    fn start(dir: &Path, servers: &[String], extra: &[&str]) -> Shipper {
        let child = Command::new(env!("CARGO_BIN_EXE_rtlog"))
            .arg("ship")
            .arg(dir)
            .args(["--server", &servers.join(","), "--subject", SUBJECT])
            .args(extra)
            .stdout(Stdio::null())
            .spawn()
            .expect("rtlog ship runs");
        Shipper { child }
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Shipper {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The acknowledged position in `dir`'s cursor file.
fn shipped_lsn(dir: &Path) -> u64 {
    ship_cursor::load(dir).ok().flatten().map_or(0, |c| c.lsn)
}

/// Waits until the shipper's cursor covers the whole log.
fn wait_shipped(dir: &Path) -> u64 {
    let last = last_lsn(dir);
    wait_for("the shipper's cursor to reach the log's end", || shipped_lsn(dir) >= last);
    last
}

/// Runs `rtlog collect` until idle; returns the directory it rebuilt for the robot.
fn collect(servers: &[String], out: &Path) -> PathBuf {
    let status = Command::new(env!("CARGO_BIN_EXE_rtlog"))
        .args(["collect", "--server", &servers.join(","), "--subject", "fleet.>"])
        .arg("--out")
        .arg(out)
        .args(["--until-idle", "2"])
        .status()
        .expect("rtlog collect runs");
    assert!(status.success(), "rtlog collect: {status}");
    out.join("r1")
}

// ---- the checks ------------------------------------------------------------------------

/// Every frame of `dir` is in the stream exactly once, in LSN order; the stream holds no
/// other frame (segment headers may be there more than once: one per start of the shipper).
fn check_stream(servers: &[String], dir: &Path) {
    let mut expected = Vec::new();
    let mut r = Reader::open(dir).unwrap();
    while let Some(f) = r.next_frame().unwrap() {
        expected.push((f.epoch, f.lsn));
    }
    // A cluster that just lost a node may time a request out: try again, within the deadline.
    let start = Instant::now();
    let stored = loop {
        match server::stream_messages(servers, STREAM) {
            Ok(stored) => break stored,
            Err(e) if start.elapsed() < DEADLINE => eprintln!("reading the stream: {e}; again"),
            Err(e) => panic!("reading the stream: {e}"),
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    let frames: Vec<_> = stored
        .iter()
        .filter_map(|s| match &s.received.item {
            rtlog_fleet::wire::Item::Frame(h, _) => Some((h.epoch, h.lsn)),
            rtlog_fleet::wire::Item::Header { .. } => None,
        })
        .collect();
    let mut counts = BTreeMap::new();
    for f in &frames {
        *counts.entry(*f).or_insert(0) += 1;
    }
    let duplicates: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).take(5).collect();
    assert!(duplicates.is_empty(), "frames in the stream twice: {duplicates:?}");
    let missing: Vec<_> = expected.iter().filter(|f| !counts.contains_key(f)).take(5).collect();
    assert!(missing.is_empty(), "frames missing from the stream: {missing:?}");
    assert_eq!(frames.len(), expected.len(), "the stream holds frames the log does not");
    let in_order = frames.windows(2).filter(|w| w[0].1 > w[1].1).count();
    eprintln!("stream: {} frames, {} stored out of order", frames.len(), in_order);
}

/// One record as a tool sees it: everything the reader gives, names resolved, messages as
/// text.
fn records(dir: &Path) -> Vec<String> {
    let mut r = Reader::open(dir).unwrap();
    let mut out = Vec::new();
    while let Some(rec) = r.next_record().unwrap() {
        // `Reader::message` borrows the reader: the payload is copied out first.
        let payload = rec.payload.to_vec();
        let rec = rtlog::Record { payload: &payload, ..rec };
        let header = r.segment_header().unwrap();
        let producer = header.producers.iter().find(|p| p.0 == rec.producer).unwrap().1.clone();
        let wall = header.wall_clock_ns(rec.timestamp_ns);
        let text = match rec.kind {
            FrameKind::Message => r.message(&rec).unwrap().text(),
            _ => format!("{:?}", rec.payload),
        };
        let typed = r.record_type(rec.record_type).map(|t| t.name.clone());
        out.push(format!(
            "lsn={} epoch={} seq={} ts={} wall={wall} producer={producer} stream={} type={} {typed:?} kind={:?} level={:?} {text}",
            rec.lsn, rec.epoch, rec.seq, rec.timestamp_ns, rec.stream, rec.record_type, rec.kind,
            rec.level
        ));
    }
    out
}

/// The collected log reads as the original, record by record, through the reader and
/// through `rtlog dump`; `rtlog verify` finds it sound.
fn check_same(original: &Path, copy: &Path) {
    let (a, b) = (records(original), records(copy));
    assert_eq!(a.len(), b.len(), "records in the original and the collected log");
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x, y);
    }
    assert_eq!(dump(original, &[]), dump(copy, &[]), "rtlog dump of both");
    assert_eq!(csv_export(original), csv_export(copy), "rtlog export --format csv of both");
    assert_eq!(plot_summary(original), plot_summary(copy), "rtlog plot of both");
    run_ok(&["verify"], copy, 0);
}

/// The files `rtlog export --format csv` writes for `dir`: name and content.
fn csv_export(dir: &Path) -> BTreeMap<String, String> {
    let out = dir.with_extension("csv");
    run_ok(&["export", "--format", "csv", "-o", out.to_str().unwrap()], dir, 0);
    let files = std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().path());
    let files: BTreeMap<_, _> = files
        .map(|f| {
            let name = f.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&f).unwrap())
        })
        .collect();
    assert!(files.contains_key("pose.csv") && files.contains_key("messages.csv"), "{files:?}");
    files
}

/// What `rtlog plot` says of its chart of the `pose` positions in `dir` (lines, points,
/// loss markers, shaded stretches), without the file's path.
fn plot_summary(dir: &Path) -> String {
    let svg = dir.with_extension("svg");
    let args = ["plot", "--type", "pose", "--field", "position", "-o", svg.to_str().unwrap()];
    let said = run_ok(&args, dir, 0);
    said.split_once(": ").map(|(_, what)| what.to_owned()).unwrap_or(said)
}

/// The end of every shipping test: the stream holds each frame once, and the log collected
/// from `servers` into `out` equals the original.
fn check_shipped_and_collected(servers: &[String], log: &Path, out: &Path) {
    check_stream(servers, log);
    check_same(log, &collect(servers, out));
}

/// A test's scratch directory, with the paths of its log and of the collected logs in it.
fn scratch(tag: &str) -> (TempDir, PathBuf, PathBuf) {
    let tmp = TempDir::new(tag);
    let (log, out) = (tmp.0.join("log"), tmp.0.join("collected"));
    (tmp, log, out)
}

// ---- the tests ---------------------------------------------------------------------------

/// 100,000 records from three producers in four epochs, with typed records and messages,
/// shipped and collected: the collected log equals the original.
#[test]
fn hundred_thousand_records_round_trip() {
    need_nats();
    let (tmp, log, out) = scratch("fleet-roundtrip");
    write_epochs(&log, 4, 25_000);
    let nats = Server::single(&tmp.0.join("nats")).unwrap();
    let servers = vec![nats.url()];
    let started = Instant::now();
    let mut shipper = Shipper::start(&log, &servers, &[]);
    let last = wait_shipped(&log);
    eprintln!("shipped to LSN {last} in {:?}", started.elapsed());
    shipper.kill();
    assert_eq!(records(&log).len(), 100_000);
    check_shipped_and_collected(&servers, &log, &out);
}

/// A tiny deterministic generator for the kill moments (the seed is printed).
fn lcg(state: &mut u64) -> u64 {
    *state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    *state >> 33
}

/// The shipper is killed with SIGKILL at 20 random moments while the log is being written,
/// and started again each time: the stream holds every frame once, and the collected log is
/// complete.
#[test]
fn twenty_sigkills_leave_no_gap_and_no_duplicate() {
    need_nats();
    let (tmp, log, out) = scratch("fleet-kill");
    let nats = Server::single(&tmp.0.join("nats")).unwrap();
    let servers = vec![nats.url()];
    // The robot logs 10,000 records a second, in a new epoch every 1.5 s, until the kills
    // are done.
    let writing = Arc::new(AtomicBool::new(true));
    let writer = {
        let (log, writing) = (log.clone(), writing.clone());
        std::thread::spawn(move || {
            while writing.load(Ordering::Relaxed) {
                let mut robot = Robot::start(fleet_config(&log));
                for _ in 0..75 {
                    robot.publish(200);
                    std::thread::sleep(Duration::from_millis(20));
                }
                robot.stop();
            }
        })
    };
    let mut seed = 0x5eed_0018_u64 ^ u64::from(std::process::id());
    eprintln!("kill moments seed {seed:#x}");
    for _ in 0..20 {
        let before = shipped_lsn(&log);
        let mut shipper = Shipper::start(&log, &servers, &["--max-in-flight", "256"]);
        // A moment while it ships: after it has stored progress, up to 150 ms later.
        wait_for("the restarted shipper to make progress", || shipped_lsn(&log) > before);
        std::thread::sleep(Duration::from_millis(lcg(&mut seed) % 150));
        // SIGKILL: the process gets no chance to store its cursor or finish its publishes.
        shipper.kill();
    }
    eprintln!("killed the shipper 20 times; acknowledged up to LSN {}", shipped_lsn(&log));
    writing.store(false, Ordering::Relaxed);
    writer.join().unwrap();
    let _shipper = Shipper::start(&log, &servers, &[]);
    wait_shipped(&log);
    check_shipped_and_collected(&servers, &log, &out);
}

/// The server is stopped for 5 s while the robot logs and ships, and started again from its
/// store: the shipper catches up, and the RT side's publish statistics show nothing of it.
#[test]
fn server_down_five_seconds_then_catch_up() {
    need_nats();
    let (tmp, log, out) = scratch("fleet-down");
    let mut nats = Server::single(&tmp.0.join("nats")).unwrap();
    let servers = vec![nats.url()];
    let mut robot = Robot::start(fleet_config(&log));
    let _shipper = Shipper::start(&log, &servers, &[]);
    // 5,000 records a second, for 2 s before, 5 s during and 2 s after the outage.
    let rate = 5_000;
    robot.paced(rate, 2);
    wait_for("the first records shipped", || shipped_lsn(&log) > 0);
    nats.stop(false);
    let down_at = shipped_lsn(&log);
    robot.paced(rate, 5);
    nats.restart().unwrap();
    robot.paced(rate, 2);
    let stats = robot.stop();
    let last = wait_shipped(&log);
    assert!(last > down_at, "the shipper caught up after the outage");
    let published = robot_published(&stats);
    assert_eq!(published, 9 * 5_000, "every record accepted");
    assert_eq!(stats.dropped, [0, 0], "no record refused while the server was away");
    assert_eq!(stats.lost, 0);
    check_shipped_and_collected(&servers, &log, &out);
}

/// docs/FLEET.md's robot with a leaf node: the shipper stores into the leaf node's own
/// JetStream, which the hub's stream sources. The uplink (the hub) is away for 3 s: the leaf
/// node goes on acknowledging, so the shipper's cursor moves; once the hub is back it takes
/// the rest from the leaf, and the log collected at the hub equals the original.
#[test]
fn leaf_node_buffers_while_the_uplink_is_away() {
    need_nats();
    let (tmp, log, out) = scratch("fleet-leaf");
    let (mut hub, leaf) = Server::hub_and_leaf(&tmp.0.join("nats"), "r1").unwrap();
    let mut robot = Robot::start(fleet_config(&log));
    let _shipper = Shipper::start(&log, &[leaf.url()], &[]);
    // 1,000 records a second.
    let rate = 1_000;
    robot.paced(rate, 1);
    wait_for("the first records shipped to the leaf node", || shipped_lsn(&log) > 0);
    let hub_servers = vec![hub.url()];
    server::source_leaf_stream(&hub_servers, STREAM, STREAM, "r1").unwrap();
    wait_for("the hub to source the leaf node's stream", || {
        server::stream_messages(&hub_servers, STREAM).is_ok_and(|m| !m.is_empty())
    });
    hub.stop(false);
    let down_at = shipped_lsn(&log);
    robot.paced(rate, 3);
    wait_for("the leaf node to acknowledge while the hub is away", || shipped_lsn(&log) > down_at);
    hub.restart().unwrap();
    robot.paced(rate, 1);
    robot.stop();
    let last = wait_shipped(&log);
    wait_for("the hub to have every frame", || {
        server::stream_messages(&hub_servers, STREAM).is_ok_and(|m| {
            m.iter().any(|s| {
                matches!(&s.received.item,
                rtlog_fleet::wire::Item::Frame(h, _) if h.lsn == last)
            })
        })
    });
    check_shipped_and_collected(&hub_servers, &log, &out);
}

fn robot_published(stats: &rtlog::Stats) -> u64 {
    stats.published[0] + stats.published[1]
}

/// A three-node JetStream cluster on loopback with the stream on three replicas: one node is
/// killed mid-run; nothing is lost or duplicated, and the shipper fails over.
#[test]
fn r3_cluster_survives_a_killed_node() {
    need_nats();
    let (tmp, log, out) = scratch("fleet-r3");
    let mut nodes = Server::cluster(&tmp.0.join("nats")).unwrap();
    let servers: Vec<String> = nodes.iter().map(Server::url).collect();
    let mut robot = Robot::start(fleet_config(&log));
    let _shipper = Shipper::start(&log, &servers, &["--replicas", "3"]);
    robot.publish(10_000);
    wait_for("the first records shipped to the cluster", || shipped_lsn(&log) > 1000);
    // The shipper prefers the servers in the order given: it is connected to the first.
    nodes[0].stop(true);
    let killed_at = shipped_lsn(&log);
    robot.publish(10_000);
    robot.stop();
    let last = wait_shipped(&log);
    assert!(last > killed_at);
    let survivors = servers[1..].to_vec();
    check_shipped_and_collected(&survivors, &log, &out);
}

/// Retention with `retention_keep_unshipped`: while the shipper is stopped no unshipped
/// segment is deleted, and stats say how much is kept; once it has caught up, retention
/// deletes again.
#[test]
fn retention_waits_for_the_shipper() {
    need_nats();
    let tmp = TempDir::new("fleet-retention");
    let log = tmp.0.join("log");
    let mut c = fleet_config(&log);
    c.segment_bytes = 64 * 1024;
    c.retention_segments = 3;
    c.retention_keep_unshipped = true;
    let mut robot = Robot::start(c);
    robot.publish(20_000);
    robot.lg.flush(Duration::from_secs(30)).unwrap();
    let segments = rtlog::logdir::list_segments(&log).unwrap();
    assert!(segments.len() > 10, "{} segments", segments.len());
    assert_eq!(segments[0].0, 1, "segment 1 is kept: nothing was shipped");
    assert_eq!(robot.lg.stats().segments_deleted, 0);
    assert!(robot.lg.stats().retention_unshipped_bytes > 0);

    let nats = Server::single(&tmp.0.join("nats")).unwrap();
    let _shipper = Shipper::start(&log, &[nats.url()], &[]);
    let last = wait_shipped(&log);
    // Retention also runs every second with keep_unshipped: no more writing is needed.
    wait_for("retention to delete the shipped segments", || {
        let stats = robot.lg.stats();
        stats.segments_deleted > 0 && stats.retention_unshipped_bytes == 0
    });
    let segments = rtlog::logdir::list_segments(&log).unwrap();
    assert!(segments.len() <= 3, "{} segments left", segments.len());
    assert!(shipped_lsn(&log) >= last);
    robot.stop();
}
