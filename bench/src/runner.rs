//! The parent process: runs every scenario as child processes, repeats them, keeps the
//! results. Repetitions are the outer loop (rep 1 of everything, then rep 2...), so slow drifts
//! in machine load spread over all peers instead of landing on one.

use crate::affinity::Placement;
use crate::dltd::{self, DltDaemon};
use crate::peers::Peer;
use crate::stats::{self, Fields, Latency};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Sizes of the run (full, or `--quick` for a smoke test).
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    /// Repetitions of every scenario (the messages': `message_reps`).
    pub reps: usize,
    /// Repetitions of the message scenarios, whose verdict against Quill rests on the runs
    /// paired by repetition: nine pairs put the median difference in a 96 % interval (from
    /// the 2nd to the 8th smallest difference), where five could only give 94 % and the whole
    /// range.
    pub message_reps: usize,
    /// Timed calls per latency run (all producers together).
    pub samples: usize,
    /// Warm-up calls per latency run.
    pub warmup: usize,
    /// Paced period in ns.
    pub period_ns: u64,
    /// Duration of a burst-throughput run.
    pub flat_ms: u64,
    /// Duration of a file-backend run (publishing; the flush comes after).
    pub file_ms: u64,
    /// dd transfer size in MiB.
    pub dd_mib: u64,
    /// Timed calls of a stall run.
    pub stall_samples: usize,
    /// Size of the recovery log.
    pub recovery_bytes: u64,
    /// Calls per timing of the framing diagnostic.
    pub crc_iters: usize,
    /// Measured cycles per control-loop run.
    pub cycles: usize,
    /// Unmeasured cycles before them.
    pub cycle_warmup: usize,
    /// Rounds of the control loop (every peer in every condition, the order alternating).
    pub cycle_rounds: usize,
}

impl Plan {
    /// The full run (the one docs/PERFORMANCE.md quotes).
    pub fn full() -> Plan {
        Plan {
            reps: 3,
            message_reps: 9,
            samples: 500_000,
            warmup: 50_000,
            period_ns: 2000,
            flat_ms: 250,
            file_ms: 1000,
            dd_mib: 1024,
            stall_samples: 500_000,
            recovery_bytes: 1 << 30,
            crc_iters: 2_000_000,
            cycles: 10_000,
            cycle_warmup: 500,
            cycle_rounds: 2,
        }
    }

    /// A smoke test: everything runs, small.
    pub fn quick() -> Plan {
        Plan {
            reps: 1,
            message_reps: 1,
            samples: 20_000,
            warmup: 2_000,
            period_ns: 2000,
            flat_ms: 50,
            file_ms: 200,
            dd_mib: 64,
            stall_samples: 50_000,
            recovery_bytes: 64 << 20,
            crc_iters: 200_000,
            cycles: 1_000,
            cycle_warmup: 100,
            cycle_rounds: 1,
        }
    }
}

/// A latency scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LatCase {
    /// "paced", "batches" (the message scenarios only) or "burst".
    pub load: &'static str,
    /// Producer threads.
    pub producers: usize,
    /// Payload bytes.
    pub size: usize,
}

impl LatCase {
    /// Every latency scenario, in report order.
    pub fn all() -> Vec<LatCase> {
        let mut v = Vec::new();
        for load in ["paced", "burst"] {
            for producers in [1, 4] {
                for size in [64, 256] {
                    v.push(LatCase { load, producers, size });
                }
            }
        }
        v
    }
}

/// `LatCase::size` of the message scenarios: no payload; each call logs one message with four
/// arguments (see `peers::messages`).
pub const MESSAGE: usize = 0;

/// Calls per batch of the "batches" load: Quill's hot-path benchmark's batch
/// (benchmarks/hot_path_latency/hot_path_bench_config.h, `MESSAGES_PER_ITERATION`).
pub const BATCH_LEN: usize = 20;
/// The wait between batches, drawn uniformly from this range (µs). Quill's benchmark waits
/// 2000-2200 µs; a tenth of that still spans several wake-ups of both loggers' consumers (each
/// sleeps 50 µs when idle), so each batch finds the previous one drained, and a run of 500 000
/// calls takes 5 s instead of 50.
pub const BATCH_GAP_US: (u32, u32) = (200, 220);

impl LatCase {
    /// The message scenarios, 1 producer: paced, in batches (Quill's hot-path benchmark) and
    /// in a burst that overflows every logger's queue.
    pub fn messages() -> Vec<LatCase> {
        ["paced", "batches", "burst"]
            .into_iter()
            .map(|load| LatCase { load, producers: 1, size: MESSAGE })
            .collect()
    }
}

/// One latency run's outcome.
#[derive(Clone, Debug)]
pub struct LatRun {
    /// The distribution (ns).
    pub lat: Latency,
    /// Records stored.
    pub accepted: u64,
    /// Records refused by the publish call.
    pub refused: u64,
    /// Records dropped later by the peer (spdlog overruns).
    pub lib_dropped: u64,
    /// Paced periods missed because the producer was not running.
    pub late: u64,
    /// The cache line round trip between the producer's and the consumer's CPU measured just
    /// before the run (ns), if it could be.
    pub line_round_trip_ns: Option<f64>,
    /// The repetition it belongs to (from 0): runs of two peers in the same repetition ran
    /// one after the other, which pairs them.
    pub rep: usize,
}

impl LatRun {
    /// Drops of any kind.
    pub fn drops(&self) -> u64 {
        self.refused + self.lib_dropped
    }
}

/// Results of one peer in one scenario: every repetition, and the median one.
#[derive(Clone, Debug)]
pub struct LatRow {
    /// Scenario.
    pub case: LatCase,
    /// Peer.
    pub peer: Peer,
    /// All repetitions.
    pub runs: Vec<LatRun>,
}

impl LatRow {
    /// The run with the median p99.9.
    pub fn median(&self) -> Option<&LatRun> {
        if self.runs.is_empty() {
            return None;
        }
        let keys: Vec<f64> = self.runs.iter().map(|r| r.lat.pct[stats::P999]).collect();
        Some(&self.runs[stats::median_index(&keys)])
    }
}

/// Burst throughput of one peer.
#[derive(Clone, Debug)]
pub struct FlatRow {
    /// Producer threads.
    pub producers: usize,
    /// Peer.
    pub peer: Peer,
    /// (accepted/s, refused/s, dropped later/s) per repetition.
    pub runs: Vec<(f64, f64, f64)>,
}

impl FlatRow {
    /// The repetition with the median accepted/s.
    pub fn median(&self) -> Option<(f64, f64, f64)> {
        if self.runs.is_empty() {
            return None;
        }
        let keys: Vec<f64> = self.runs.iter().map(|r| r.0).collect();
        Some(self.runs[stats::median_index(&keys)])
    }
}

/// One file-backend run.
#[derive(Clone, Debug, Default)]
pub struct FileRun {
    /// Refusals (the producer retried each).
    pub refused: u64,
    /// Publish + flush time.
    pub secs: f64,
    /// Records written.
    pub persisted: u64,
    /// Bytes written.
    pub bytes: u64,
    /// fdatasync calls.
    pub syncs: u64,
    /// Longest fdatasync.
    pub max_sync_ns: u64,
    /// Records lost.
    pub lost: u64,
}

impl FileRun {
    /// Persisted records per second.
    pub fn rps(&self) -> f64 {
        self.persisted as f64 / self.secs
    }
    /// Persisted MB/s (10^6 bytes).
    pub fn mbps(&self) -> f64 {
        self.bytes as f64 / self.secs / 1e6
    }
}

/// One durability mode and record size.
#[derive(Clone, Debug)]
pub struct FileRow {
    /// NONE, FLUSH, FSYNC_BATCH, FSYNC.
    pub mode: &'static str,
    /// Payload bytes.
    pub size: usize,
    /// Repetitions.
    pub runs: Vec<FileRun>,
}

impl FileRow {
    /// The repetition with the median records/s.
    pub fn median(&self) -> Option<&FileRun> {
        if self.runs.is_empty() {
            return None;
        }
        let keys: Vec<f64> = self.runs.iter().map(|r| r.rps()).collect();
        Some(&self.runs[stats::median_index(&keys)])
    }
}

/// One stall variant.
#[derive(Clone, Debug)]
pub struct StallRow {
    /// Label in the table.
    pub label: String,
    /// Repetitions: distribution, accepted, refused, stalls injected, backend writes.
    pub runs: Vec<(Latency, u64, u64, u64, u64)>,
}

impl StallRow {
    /// The repetition with the median p99.9.
    pub fn median(&self) -> Option<&(Latency, u64, u64, u64, u64)> {
        if self.runs.is_empty() {
            return None;
        }
        let keys: Vec<f64> = self.runs.iter().map(|r| r.0.pct[stats::P999]).collect();
        Some(&self.runs[stats::median_index(&keys)])
    }
}

/// The recovery measurement.
#[derive(Clone, Debug, Default)]
pub struct RecoveryOut {
    /// Records written.
    pub records: u64,
    /// Segment bytes on disk.
    pub file_bytes: u64,
    /// Time to write them (NONE) and flush.
    pub write_secs: f64,
    /// Time of each full read.
    pub read_secs: Vec<f64>,
    /// Frames read (data and boundary).
    pub frames: u64,
    /// Damaged places found (should be 0).
    pub damage: u64,
}

/// Everything one run measured.
#[derive(Default)]
pub struct Results {
    /// Latency rows.
    pub lat: Vec<LatRow>,
    /// Message latency rows (one 4-argument message; [`LatCase::messages`]).
    pub msg: Vec<LatRow>,
    /// Control-loop rows (peer × condition, rounds pooled at report time).
    pub cycle: Vec<crate::cycle::CycleRow>,
    /// Burst throughput rows.
    pub flat: Vec<FlatRow>,
    /// File backend rows.
    pub file: Vec<FileRow>,
    /// dd MB/s per repetition: (label, runs).
    pub dd: Vec<(String, Vec<f64>)>,
    /// Stall rows (unstalled first).
    pub stall: Vec<StallRow>,
    /// Recovery.
    pub recovery: Option<RecoveryOut>,
    /// Skipped peers and failures, one line each.
    pub notes: Vec<String>,
    /// Runs where some thread could not be pinned.
    pub pin_failures: u64,
    /// Timer overhead subtracted (cycles, min over runs) and its median.
    pub overhead: (u64, u64),
    /// The TSC's read granularity in ns (`timing::granularity`): the resolution of one timed
    /// call, so of every percentile; 0 when unknown.
    pub tsc_step_ns: f64,
    /// The private dlt-daemon's TCP port, if one ran.
    pub dlt_port: Option<u16>,
    /// Writer framing cost per frame: (payload, encode_into ns, rtlog's CRC ns, one-update CRC ns).
    pub crc: Vec<(usize, f64, f64, f64)>,
    /// Per section: the share of all CPU time that other processes used during it.
    pub foreign: Vec<(&'static str, f64)>,
}

/// The parent's state.
pub struct Runner {
    /// This binary.
    pub exe: PathBuf,
    /// Report directory.
    pub out: PathBuf,
    /// Scratch directory for logs and dd (the file system under test).
    pub data: PathBuf,
    /// TSC frequency.
    pub hz: f64,
    /// CPUs.
    pub place: Placement,
    /// Sizes.
    pub plan: Plan,
    /// Children's stderr goes here.
    pub log: std::fs::File,
    /// When the run started.
    pub t0: Instant,
    /// The private daemon, while it runs.
    pub daemon: Option<DltDaemon>,
    /// An empty FIFO directory: DLT without a daemon.
    pub no_daemon_dir: PathBuf,
    /// Results so far.
    pub res: Results,
    /// The skipped peers already reported.
    pub skips_reported: Vec<Peer>,
}

impl Runner {
    /// Prints a progress line with the elapsed time.
    pub fn say(&self, msg: &str) {
        println!("[{:6.1}s] {msg}", self.t0.elapsed().as_secs_f64());
        let _ = std::io::stdout().flush();
    }

    pub(crate) fn note(&mut self, msg: String) {
        self.say(&msg);
        self.res.notes.push(msg);
    }

    /// Runs one child; returns its RESULT fields.
    fn child(
        &mut self,
        args: &[String],
        env: &[(&str, &Path)],
        timeout: Duration,
    ) -> Result<Fields, String> {
        let mut cmd = Command::new(&self.exe);
        cmd.arg("child").args(args);
        cmd.arg(format!("tsc_hz={}", self.hz));
        cmd.arg(format!("pcpu={}", self.place.producer))
            .arg(format!("ccpu={}", self.place.consumer));
        for (k, v) in env {
            cmd.env(k, v);
        }
        let _ = writeln!(self.log, "==== child {}", args.join(" "));
        let err = self.log.try_clone().map_err(|e| e.to_string())?;
        cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(err);
        let mut child = cmd.spawn().map_err(|e| format!("spawn: {e}"))?;
        let mut stdout = child.stdout.take().expect("piped");
        let reader = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = stdout.read_to_string(&mut s);
            s
        });
        let deadline = Instant::now() + timeout;
        let status = loop {
            if let Some(st) = child.try_wait().map_err(|e| e.to_string())? {
                break st;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("timed out after {} s", timeout.as_secs()));
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        let text = reader.join().unwrap_or_default();
        let line = text.lines().find_map(|l| l.strip_prefix("RESULT "));
        match line {
            Some(l) if status.success() => {
                let f = Fields::parse(l);
                if f.get("pin") != Some("ok") {
                    self.res.pin_failures += 1;
                }
                let o = f.num("overhead") as u64;
                if self.res.overhead.0 == 0 || o < self.res.overhead.0 {
                    self.res.overhead = (o, f.num("overhead_med") as u64);
                }
                Ok(f)
            }
            _ => Err(format!("child failed ({status}); see {}", self.log_path().display())),
        }
    }

    /// Our child processes that run across measurements (the dlt-daemon).
    pub fn own_pids(&self) -> Vec<u32> {
        self.daemon.iter().map(|d| d.pid()).collect()
    }

    /// Where children's stderr goes.
    pub fn log_path(&self) -> PathBuf {
        self.out.join("children.log")
    }

    /// Which of `list` can run; prints a line for each one that cannot, once.
    pub(crate) fn usable_peers(&mut self, list: &[Peer]) -> Vec<Peer> {
        let mut v = Vec::new();
        for &p in list {
            let why = match p.compiled() {
                Err(why) => Some(why.to_string()),
                Ok(()) if p == Peer::DltDaemon && self.daemon.is_none() => {
                    Some("dlt-daemon is not running (see above)".to_string())
                }
                Ok(()) => None,
            };
            match why {
                Some(why) if !self.skips_reported.contains(&p) => {
                    self.skips_reported.push(p);
                    self.note(format!("skipped {}: {why}", p.label()))
                }
                Some(_) => {}
                None => v.push(p),
            }
        }
        v
    }

    /// Starts the private dlt-daemon if DLT is compiled in and the daemon is installed.
    pub fn start_daemon(&mut self) {
        if !crate::peers::dlt::AVAILABLE {
            return;
        }
        let Some(bin) = dltd::binary() else {
            self.note(
                "dlt-daemon not installed (apt-get install dlt-daemon): DLT runs without it only"
                    .into(),
            );
            return;
        };
        let base = std::env::temp_dir().join(format!("rtlog-bench-dltd-{}", std::process::id()));
        match DltDaemon::start(&bin, &base, self.place.consumer) {
            Ok(d) => {
                self.say(&format!(
                    "dlt-daemon started: FIFO dir {}, TCP 127.0.0.1:{}",
                    d.pipe_dir.display(),
                    d.port
                ));
                self.res.dlt_port = Some(d.port);
                self.daemon = Some(d);
            }
            Err(e) => self.note(format!("dlt-daemon failed to start: {e}")),
        }
    }

    fn dlt_env(&self, peer: Peer) -> Vec<(&'static str, PathBuf)> {
        let pipe = match (peer, &self.daemon) {
            (Peer::DltDaemon, Some(d)) => d.pipe_dir.clone(),
            (Peer::Dlt, _) => self.no_daemon_dir.clone(),
            _ => return Vec::new(),
        };
        // FORCE_OFF: no copy of every message on the console (a production setting).
        vec![("DLT_PIPE_DIR", pipe), ("DLT_LOCAL_PRINT_MODE", PathBuf::from("FORCE_OFF"))]
    }

    pub(crate) fn run_child_env(
        &mut self,
        args: &[String],
        peer: Peer,
        timeout: Duration,
    ) -> Result<Fields, String> {
        let env = self.dlt_env(peer);
        let env: Vec<(&str, &Path)> = env.iter().map(|(k, v)| (*k, v.as_path())).collect();
        self.child(args, &env, timeout)
    }

    /// Publish latency of every peer in every scenario.
    pub fn latency(&mut self) {
        let peers = self.usable_peers(&Peer::ALL);
        let reps = self.plan.reps;
        self.res.lat = self.latency_rows("latency", &LatCase::all(), &peers, reps);
    }

    /// Latency of one 4-argument message: rtlog's `RTLOG_INFO` next to Quill and spdlog.
    pub fn messages(&mut self) {
        let peers = self.usable_peers(&Peer::MESSAGES);
        let reps = self.plan.message_reps;
        self.res.msg = self.latency_rows("messages", &LatCase::messages(), &peers, reps);
    }

    /// Runs every case with every peer, `reps` times (repetitions the outer loop), in an
    /// order that alternates: cases and peers forward in even repetitions, backward in odd ones,
    /// so that no peer always runs right after the same neighbour (a run leaves the host's
    /// caches, memory and page-reclaim work behind for the next one) or always first.
    fn latency_rows(
        &mut self,
        what: &str,
        cases: &[LatCase],
        peers: &[Peer],
        reps: usize,
    ) -> Vec<LatRow> {
        let mut rows = Vec::new();
        for case in cases {
            for &peer in peers {
                rows.push(LatRow { case: *case, peer, runs: Vec::new() });
            }
        }
        let p = self.plan;
        for rep in 0..reps {
            self.say(&format!("{what}: repetition {}/{reps}", rep + 1));
            for ci in alternating(cases.len(), rep) {
                let case = &cases[ci];
                for pi in alternating(peers.len(), rep) {
                    let peer = peers[pi];
                    let args = vec![
                        "kind=lat".to_string(),
                        format!("peer={}", peer.key()),
                        format!("producers={}", case.producers),
                        format!("size={}", case.size),
                        format!("load={}", case.load),
                        format!("samples={}", p.samples),
                        format!("warmup={}", p.warmup),
                        format!("period_ns={}", p.period_ns),
                    ];
                    let trip = self.place.line_round_trip_ns();
                    match self.run_child_env(&args, peer, Duration::from_secs(120)) {
                        Ok(f) => {
                            let Some(lat) = Latency::decode(&f) else {
                                self.note(format!(
                                    "{} {:?}: unreadable result",
                                    peer.label(),
                                    case
                                ));
                                continue;
                            };
                            let run = LatRun {
                                lat,
                                accepted: f.num("accepted") as u64,
                                refused: f.num("refused") as u64,
                                lib_dropped: f.num("lib_dropped") as u64,
                                late: f.num("late") as u64,
                                line_round_trip_ns: trip,
                                rep,
                            };
                            rows[ci * peers.len() + pi].runs.push(run);
                        }
                        Err(e) => self.note(format!(
                            "{what} {} {} {}p {}B failed: {e}",
                            peer.label(),
                            case.load,
                            case.producers,
                            case.size
                        )),
                    }
                }
            }
        }
        rows
    }

    /// Accepted records/s in burst, 64 B, 1 and 4 producers.
    pub fn burst_throughput(&mut self) {
        let peers = self.usable_peers(&Peer::ALL);
        for producers in [1, 4] {
            for &peer in &peers {
                self.res.flat.push(FlatRow { producers, peer, runs: Vec::new() });
            }
        }
        let p = self.plan;
        for rep in 0..p.reps {
            self.say(&format!("burst throughput: repetition {}/{}", rep + 1, p.reps));
            for (i, producers) in [1usize, 4].into_iter().enumerate() {
                for (pi, &peer) in peers.iter().enumerate() {
                    let args = vec![
                        "kind=flat".to_string(),
                        format!("peer={}", peer.key()),
                        format!("producers={producers}"),
                        "size=64".to_string(),
                        format!("ms={}", p.flat_ms),
                    ];
                    match self.run_child_env(&args, peer, Duration::from_secs(120)) {
                        Ok(f) => {
                            let s = f.num("secs");
                            let run = (
                                f.num("accepted") / s,
                                f.num("refused") / s,
                                f.num("lib_dropped") / s,
                            );
                            self.res.flat[i * peers.len() + pi].runs.push(run);
                        }
                        Err(e) => {
                            self.note(format!("burst {} {producers}p failed: {e}", peer.label()))
                        }
                    }
                }
            }
        }
    }

    /// dd's sequential write bandwidth to the data directory's file system, then rtlog's file
    /// backend in each durability mode.
    pub fn file_backend(&mut self) {
        let p = self.plan;
        let _ = std::fs::create_dir_all(&self.data);
        let dd_file = self.data.join("dd.bin");
        let mut dd = vec![
            ("dd bs=1M oflag=direct".to_string(), Vec::new()),
            ("dd bs=1M (buffered, page cache)".to_string(), Vec::new()),
        ];
        // First touch of fresh memory is slow in a VM (the host backs each page on demand): one
        // untimed buffered pass makes the page cache's memory resident for every run after it.
        self.say(&format!("dd: warm-up pass ({} MiB buffered, not reported)", p.dd_mib));
        let _ = run_dd(&dd_file, p.dd_mib, "");
        let _ = std::fs::remove_file(&dd_file);
        for rep in 0..p.reps {
            self.say(&format!("dd: repetition {}/{}", rep + 1, p.reps));
            for (i, flag) in ["oflag=direct", ""].into_iter().enumerate() {
                match run_dd(&dd_file, p.dd_mib, flag) {
                    Ok(mbps) => dd[i].1.push(mbps),
                    Err(e) => self.note(format!("dd {flag} failed: {e}")),
                }
                let _ = std::fs::remove_file(&dd_file);
            }
        }
        self.res.dd = dd;
        let modes = ["NONE", "FLUSH", "FSYNC_BATCH", "FSYNC", "NONE+direct", "FSYNC_BATCH+direct"];
        for mode in modes {
            for size in [64, 256] {
                self.res.file.push(FileRow { mode, size, runs: Vec::new() });
            }
        }
        for rep in 0..p.reps {
            self.say(&format!("file backend: repetition {}/{}", rep + 1, p.reps));
            for (mi, mode) in modes.into_iter().enumerate() {
                for (si, size) in [64usize, 256].into_iter().enumerate() {
                    let dir = self.data.join(format!("log-{}-{size}", mode.replace('+', "-")));
                    let args = vec![
                        "kind=file".to_string(),
                        format!("mode={mode}"),
                        format!("size={size}"),
                        format!("ms={}", p.file_ms),
                        format!("dir={}", dir.display()),
                    ];
                    match self.child(&args, &[], Duration::from_secs(300)) {
                        Ok(f) => {
                            let run = FileRun {
                                refused: f.num("refused") as u64,
                                secs: f.num("secs"),
                                persisted: f.num("persisted") as u64,
                                bytes: f.num("bytes") as u64,
                                syncs: f.num("syncs") as u64,
                                max_sync_ns: f.num("max_sync_ns") as u64,
                                lost: f.num("lost") as u64,
                            };
                            self.res.file[mi * 2 + si].runs.push(run);
                        }
                        Err(e) => self.note(format!("file {mode} {size}B failed: {e}")),
                    }
                    let _ = std::fs::remove_dir_all(&dir);
                }
            }
        }
    }

    /// Publish latency while the backend stalls, next to the same run without stalls.
    pub fn stall(&mut self) {
        let p = self.plan;
        let variants = [
            ("DUMMY backend, no stall".to_string(), 0u64, 0u64, 0u64),
            ("DUMMY backend, 50 ms stall every 200 ms + 2 ms per write".to_string(), 50, 200, 2),
        ];
        for (label, ..) in &variants {
            self.res.stall.push(StallRow { label: label.clone(), runs: Vec::new() });
        }
        for rep in 0..p.reps {
            self.say(&format!("backend stall: repetition {}/{}", rep + 1, p.reps));
            for (i, (_, stall, every, lat_ms)) in variants.iter().enumerate() {
                let args = vec![
                    "kind=stall".to_string(),
                    "load=paced".to_string(),
                    format!("period_ns={}", p.period_ns),
                    format!("samples={}", p.stall_samples),
                    format!("warmup={}", p.warmup),
                    format!("stall_ms={stall}"),
                    format!("every_ms={every}"),
                    format!("latency_ms={lat_ms}"),
                ];
                match self.child(&args, &[], Duration::from_secs(120)) {
                    Ok(f) => match Latency::decode(&f) {
                        Some(lat) => self.res.stall[i].runs.push((
                            lat,
                            f.num("accepted") as u64,
                            f.num("refused") as u64,
                            f.num("stalls") as u64,
                            f.num("writes") as u64,
                        )),
                        None => self.note("stall: unreadable result".into()),
                    },
                    Err(e) => self.note(format!("stall run failed: {e}")),
                }
            }
        }
    }

    /// The writer's framing cost per frame, and its CRC part (diagnostic).
    pub fn crc(&mut self) {
        self.say("framing cost (diagnostic)");
        let args = vec!["kind=crc".to_string(), format!("iters={}", self.plan.crc_iters)];
        match self.child(&args, &[], Duration::from_secs(120)) {
            Ok(f) => {
                for size in [64usize, 256] {
                    let g = |k: &str| f.num(&format!("{k}{size}"));
                    self.res.crc.push((size, g("encode"), g("three"), g("one")));
                }
            }
            Err(e) => self.note(format!("framing diagnostic failed: {e}")),
        }
    }

    /// Writes a log of `recovery_bytes` with NONE, then reads it all back (3 times).
    pub fn recovery(&mut self) {
        let p = self.plan;
        self.say(&format!(
            "recovery: writing {} MiB, then reading it 3 times",
            p.recovery_bytes >> 20
        ));
        let dir = self.data.join("log-recovery");
        let args = vec![
            "kind=recovery".to_string(),
            format!("dir={}", dir.display()),
            format!("bytes={}", p.recovery_bytes),
            "reads=3".to_string(),
        ];
        match self.child(&args, &[], Duration::from_secs(400)) {
            Ok(f) => {
                let read_secs = f
                    .get("read_secs")
                    .unwrap_or("")
                    .split(',')
                    .filter_map(|v| v.parse().ok())
                    .collect();
                self.res.recovery = Some(RecoveryOut {
                    records: f.num("accepted") as u64,
                    file_bytes: f.num("file_bytes") as u64,
                    write_secs: f.num("write_secs"),
                    read_secs,
                    frames: f.num("frames") as u64,
                    damage: f.num("damage") as u64,
                });
            }
            Err(e) => self.note(format!("recovery failed: {e}")),
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// Runs dd writing `mib` MiB of zeros to `file`; returns MB/s (10^6 bytes) from its own report.
fn run_dd(file: &Path, mib: u64, flag: &str) -> Result<f64, String> {
    let mut cmd = Command::new("dd");
    cmd.env("LC_ALL", "C");
    cmd.arg("if=/dev/zero").arg(format!("of={}", file.display())).arg("bs=1M");
    cmd.arg(format!("count={mib}"));
    if !flag.is_empty() {
        cmd.arg(flag);
    }
    let out = cmd.output().map_err(|e| format!("dd: {e}"))?;
    let err = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        return Err(err.trim().to_string());
    }
    parse_dd(&err).ok_or_else(|| format!("unreadable dd summary: {}", err.trim()))
}

/// MB/s (10^6 bytes) from dd's summary line, computed from its byte count and seconds
/// ("1073741824 bytes (1.1 GB, 1.0 GiB) copied, 0.5 s, 2.1 GB/s").
fn parse_dd(stderr: &str) -> Option<f64> {
    let line = stderr.lines().find(|l| l.contains(" copied, "))?;
    let bytes: f64 = line.split_whitespace().next()?.parse().ok()?;
    let secs: f64 =
        line.split(", ").find(|part| part.ends_with(" s"))?.trim_end_matches(" s").parse().ok()?;
    (secs > 0.0).then(|| bytes / secs / 1e6)
}

/// The indices `0..n`, forward in even repetitions and backward in odd ones (the order of the
/// latency runs and of the control loop's rounds).
pub(crate) fn alternating(n: usize, rep: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    if rep % 2 == 1 {
        order.reverse();
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_dd_summaries() {
        let out = "1024+0 records in\n1024+0 records out\n\
                   1073741824 bytes (1.1 GB, 1.0 GiB) copied, 0.5 s, 2.1 GB/s\n";
        assert_eq!(parse_dd(out), Some(1073741824.0 / 0.5 / 1e6));
        assert_eq!(parse_dd("dd: failed to open 'x': Permission denied"), None);
    }

    #[test]
    fn repetitions_alternate_the_order() {
        assert_eq!(alternating(3, 0), [0, 1, 2]);
        assert_eq!(alternating(3, 1), [2, 1, 0]);
        assert_eq!(alternating(3, 2), [0, 1, 2]);
    }

    #[test]
    fn median_run_is_chosen_by_p999() {
        let run = |p999: f64| LatRun {
            lat: Latency { n: 1, pct: [1.0, 1.0, 1.0, p999, p999, p999], mean: 1.0, cdf: vec![] },
            accepted: 1,
            refused: 0,
            lib_dropped: 0,
            late: 0,
            line_round_trip_ns: None,
            rep: 0,
        };
        let case = LatCase { load: "paced", producers: 1, size: 64 };
        let row =
            LatRow { case, peer: Peer::Rtlog, runs: vec![run(300.0), run(100.0), run(200.0)] };
        assert_eq!(row.median().unwrap().lat.pct[stats::P999], 200.0);
    }
}
