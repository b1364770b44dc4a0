//! The fleet shipping benchmark (not a test): records/s shipped to a local single node and to
//! a three-node R3 cluster, and the lag from durable to acknowledged at 10,000 records/s.
//!
//!   cargo run --release -p rtlog-fleet --bin rtlog-fleet-bench [-- --records N]
//!
//! Starts its own nats-server processes on loopback (as the tests do) under a scratch
//! directory (`target/fleet-bench`, removed afterwards), runs the shipper in this process
//! (the code behind `rtlog ship`), and prints a Markdown table: the figures quoted in
//! docs/FLEET.md and docs/PERFORMANCE.md.

use rtlog::{Config, Durability, Logger, Status, Stream};
use rtlog_fleet::server::Server;
use rtlog_fleet::ship::{self, Progress, ShipOptions};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const PAYLOAD: usize = 64;

fn main() {
    let records = std::env::args()
        .skip_while(|a| a != "--records")
        .nth(1)
        .map_or(300_000, |n| n.parse().expect("--records N"));
    let scratch = PathBuf::from("target/fleet-bench");
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).unwrap();
    println!("| measurement | result |");
    println!("|---|---|");
    let single = throughput(&scratch.join("single"), records, false);
    println!("| {records} records of {PAYLOAD} B to one node (R1) | {single:.0} records/s |");
    // Peers on the same server and client, in the same run: what one node takes of bare
    // 64-byte messages, with no rtlog in the loop, so a miss of the target has its measure.
    let peers =
        [Peer::CoreNats, Peer::JetStreamBare, Peer::JetStreamMsgId, Peer::JetStreamAllHeaders];
    for peer in peers {
        let rate = ceiling(&scratch.join(peer.dir()), records, peer);
        println!("| peer: {records} {}, one node | {rate:.0} messages/s |", peer.what());
    }
    let cluster = throughput(&scratch.join("r3"), records, true);
    println!(
        "| {records} records of {PAYLOAD} B to a 3-node cluster (R3) | {cluster:.0} records/s |"
    );
    let (p50, p99, n) = lag(&scratch.join("lag"), 10_000, Duration::from_secs(10));
    println!("| lag durable → acknowledged at 10,000 records/s, R1 ({n} samples) | p50 {p50:.1} ms, p99 {p99:.1} ms |");
    let _ = std::fs::remove_dir_all(&scratch);
}

/// Servers for one measurement: one node, or three with the stream on three replicas.
fn servers(dir: &Path, cluster: bool) -> (Vec<Server>, usize) {
    match cluster {
        false => (vec![Server::single(dir).unwrap()], 1),
        true => (Server::cluster(dir).unwrap(), 3),
    }
}

fn options(log: &Path, nodes: &[Server], replicas: usize) -> ShipOptions {
    ShipOptions {
        dir: log.to_path_buf(),
        servers: nodes.iter().map(Server::url).collect(),
        subject: "fleet.bench".into(),
        stream: "FLEET".into(),
        replicas,
        log_id: None,
        max_in_flight: 4096,
    }
}

/// Ships in a thread of this process until `stop`.
fn start_shipper(
    opts: ShipOptions,
    stop: &Arc<AtomicBool>,
) -> (Arc<Progress>, std::thread::JoinHandle<()>) {
    let progress = Arc::new(Progress::default());
    let (p, s) = (progress.clone(), stop.clone());
    let thread = std::thread::spawn(move || ship::run(&opts, &s, &p).expect("shipping"));
    (progress, thread)
}

/// Records/s from the start of the shipper until the last frame of a written log is
/// acknowledged (stream creation and, for the cluster, its election included).
fn throughput(dir: &Path, records: u64, cluster: bool) -> f64 {
    let log = dir.join("log");
    let last = write_log(&log, records);
    let (nodes, replicas) = servers(&dir.join("nats"), cluster);
    let stop = Arc::new(AtomicBool::new(false));
    // The cluster elects its JetStream leader first: not part of shipping.
    if cluster {
        warm_up(&dir.join("warm"), &nodes, replicas);
    }
    let started = Instant::now();
    let (progress, thread) = start_shipper(options(&log, &nodes, replicas), &stop);
    while progress.acked_lsn.load(Ordering::Relaxed) < last {
        std::thread::sleep(Duration::from_millis(1));
    }
    let seconds = started.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    thread.join().unwrap();
    records as f64 / seconds
}

/// What a peer publishes: the ceiling of the server and client without the shipper.
#[derive(Clone, Copy)]
enum Peer {
    /// Core NATS publishes (no JetStream, no store, no ack): the connection's ceiling.
    CoreNats,
    /// JetStream publishes of the bare payload, acks pipelined as the shipper does.
    JetStreamBare,
    /// The same with a `Nats-Msg-Id` header (de-duplication), as every shipped frame has.
    JetStreamMsgId,
    /// The same with every header a shipped frame has (`wire::encode` of a 64-byte record),
    /// but no log read: the shipper's cost apart from reading the log.
    JetStreamAllHeaders,
}

impl Peer {
    fn dir(self) -> &'static str {
        match self {
            Peer::CoreNats => "core",
            Peer::JetStreamBare => "bare",
            Peer::JetStreamMsgId => "msgid",
            Peer::JetStreamAllHeaders => "headers",
        }
    }

    fn what(self) -> &'static str {
        match self {
            Peer::CoreNats => "core NATS publishes of 64 B (no JetStream)",
            Peer::JetStreamBare => "JetStream publishes of 64 B, no headers, 4096 acks in flight",
            Peer::JetStreamMsgId => "JetStream publishes of 64 B with Nats-Msg-Id only",
            Peer::JetStreamAllHeaders => {
                "JetStream publishes of 64 B with a shipped frame's headers"
            }
        }
    }
}

/// Messages/s of `peer` to a single node of its own: from the first publish until the last
/// acknowledgement (for core NATS, until a flush returned).
fn ceiling(dir: &Path, messages: u64, peer: Peer) -> f64 {
    use async_nats::jetstream::context::Publish;
    use futures::stream::{FuturesOrdered, StreamExt};
    let node = Server::single(dir).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let client = rtlog_fleet::nats::connect(&[node.url()]).await.unwrap();
        let js = rtlog_fleet::nats::jetstream(client.clone());
        rtlog_fleet::nats::ensure_stream(&js, "FLEET", "fleet.bench", 1).await.unwrap();
        let payload = vec![7u8; PAYLOAD];
        let segment = synthetic_segment();
        let started = Instant::now();
        let mut in_flight = FuturesOrdered::new();
        for i in 0..messages {
            if let Peer::CoreNats = peer {
                client.publish("fleet.bench", payload.clone().into()).await.unwrap();
                continue;
            }
            let publish = match peer {
                Peer::JetStreamAllHeaders => {
                    let (headers, body) = synthetic_frame(i + 1, &segment);
                    Publish::build().payload(body.into()).headers(headers)
                }
                Peer::JetStreamMsgId => Publish::build()
                    .payload(payload.clone().into())
                    .message_id(format!("fleet.bench:1:{}", i + 1)),
                Peer::JetStreamBare | Peer::CoreNats => {
                    Publish::build().payload(payload.clone().into())
                }
            };
            let ack = js.send_publish("fleet.bench", publish).await.unwrap();
            in_flight.push_back(std::future::IntoFuture::into_future(ack));
            while in_flight.len() >= 4096 {
                in_flight.next().await.unwrap().unwrap();
            }
        }
        while let Some(ack) = in_flight.next().await {
            ack.unwrap();
        }
        client.flush().await.unwrap();
        messages as f64 / started.elapsed().as_secs_f64()
    })
}

/// A segment header like the benchmark log's: one producer.
fn synthetic_segment() -> rtlog::format::SegmentHeader {
    rtlog::format::SegmentHeader {
        index: 1,
        first_lsn: 1,
        salt: 1,
        epoch: 1,
        max_payload: 256,
        realtime_ns: 1_764_000_000_000_000_000,
        monotonic_ns: 1_000_000,
        tsc_hz: 0,
        producers: vec![(0, "bench".into())],
        minor: 3,
        types: Vec::new(),
    }
}

/// The message the shipper sends for the `lsn`-th 64-byte record of the benchmark log.
fn synthetic_frame(
    lsn: u64,
    segment: &rtlog::format::SegmentHeader,
) -> (async_nats::HeaderMap, Vec<u8>) {
    let frame = rtlog::format::FrameHeader {
        payload_len: PAYLOAD as u32,
        lsn,
        seq: lsn,
        timestamp_ns: 1_000_000 + lsn * 1_000,
        epoch: 1,
        producer: 0,
        record_type: 1,
        stream: 1,
        kind: rtlog::format::FrameKind::Data as u8,
        level: rtlog::format::Level::Info as u8,
    };
    let item = rtlog_fleet::wire::Item::Frame(frame, vec![7u8; PAYLOAD]);
    rtlog_fleet::wire::encode(&item, segment, "fleet.bench", lsn - 1)
}

/// Ships a tiny log so that the cluster has its leaders and the stream exists.
fn warm_up(dir: &Path, nodes: &[Server], replicas: usize) {
    let log = dir.join("log");
    let last = write_log(&log, 10);
    let stop = Arc::new(AtomicBool::new(false));
    let (progress, thread) = start_shipper(options(&log, nodes, replicas), &stop);
    while progress.acked_lsn.load(Ordering::Relaxed) < last {
        std::thread::sleep(Duration::from_millis(5));
    }
    stop.store(true, Ordering::Relaxed);
    thread.join().unwrap();
}

/// Writes `records` records of [`PAYLOAD`] bytes; returns the last LSN.
fn write_log(dir: &Path, records: u64) -> u64 {
    let mut c = Config::new(dir);
    c.durability = Durability::Flush;
    c.normal_depth = 1 << 16;
    let lg = Arc::new(Logger::init(c).unwrap());
    let p = lg.create_producer("bench").unwrap();
    lg.start_running().unwrap();
    // SAFETY: the producer lives as long as the logger, and only this thread uses it.
    let p = unsafe { &mut *p.as_ptr() };
    let payload = [7u8; PAYLOAD];
    for _ in 0..records {
        while p.publish(Stream::Normal, 1, &payload) == Status::Full {
            std::thread::sleep(Duration::from_micros(100));
        }
    }
    lg.shutdown().unwrap();
    let mut r = rtlog::Reader::open(dir).unwrap();
    let mut last = 0;
    while let Some(f) = r.next_frame().unwrap() {
        last = f.lsn;
    }
    last
}

/// p50 and p99 (ms) of the time from a record's LSN being durable (the logger's
/// `durable_lsn`) to its acknowledgement (the shipper's), at `rate` records/s for `length`,
/// sampled every 0.5 ms; and how many LSNs were sampled.
fn lag(dir: &Path, rate: u64, length: Duration) -> (f64, f64, usize) {
    let log = dir.join("log");
    let (nodes, replicas) = servers(&dir.join("nats"), false);
    let mut c = Config::new(&log);
    c.durability = Durability::FsyncBatch;
    let lg = Arc::new(Logger::init(c).unwrap());
    let p = lg.create_producer("bench").unwrap();
    lg.start_running().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let (progress, thread) = start_shipper(options(&log, &nodes, replicas), &stop);
    let writing = Arc::new(AtomicBool::new(true));
    let publisher = {
        let writing = writing.clone();
        let p = p.as_ptr() as usize;
        std::thread::spawn(move || {
            // SAFETY: the producer lives as long as the logger, and only this thread uses it.
            let p = unsafe { &mut *(p as *mut rtlog::Producer) };
            let started = Instant::now();
            let mut sent = 0u64;
            while started.elapsed() < length {
                let due = (started.elapsed().as_secs_f64() * rate as f64) as u64;
                while sent < due {
                    let _ = p.publish(Stream::Normal, 1, &[7u8; PAYLOAD]);
                    sent += 1;
                }
                std::thread::sleep(Duration::from_micros(200));
            }
            writing.store(false, Ordering::Relaxed);
        })
    };
    // (LSN, when it was first seen durable); then when it was first seen acknowledged.
    let mut durable_at: Vec<(u64, Instant)> = Vec::new();
    let mut lags = Vec::new();
    let mut next_acked = 0;
    let deadline = Instant::now() + length + Duration::from_secs(30);
    while (writing.load(Ordering::Relaxed) || next_acked < durable_at.len())
        && Instant::now() < deadline
    {
        let now = Instant::now();
        let durable = lg.stats().durable_lsn;
        if durable_at.last().is_none_or(|(l, _)| durable > *l) {
            durable_at.push((durable, now));
        }
        let acked = progress.acked_lsn.load(Ordering::Relaxed);
        while next_acked < durable_at.len() && durable_at[next_acked].0 <= acked {
            lags.push(now.duration_since(durable_at[next_acked].1).as_secs_f64() * 1e3);
            next_acked += 1;
        }
        std::thread::sleep(Duration::from_micros(500));
    }
    publisher.join().unwrap();
    stop.store(true, Ordering::Relaxed);
    thread.join().unwrap();
    lg.shutdown().unwrap();
    lags.sort_by(f64::total_cmp);
    let at = |q: f64| lags[((lags.len() - 1) as f64 * q) as usize];
    (at(0.5), at(0.99), lags.len())
}
