//! Kill, lose power, restart (sled's crash-restart loop, SQLite's crash tests): a child process
//! publishes from 4 threads under `FSYNC_BATCH` into small segments (a rotation every few
//! milliseconds) and reports its durable counts and durable LSN as they rise; the parent kills
//! it with SIGKILL — after a random delay, or right after a segment file appears, so that the
//! kill lands in a rotation — then in most rounds simulates a power cut with the child's sync
//! journal ([`rtlog::faults::simulate_power_loss`]: bytes no `fdatasync` covered are dropped,
//! all of them or all but a random prefix, and files whose directory entry was never synced
//! are deleted), restarts, and checks the contract of docs/RELIABILITY.md:
//!
//! - per producer and stream, the recovered epoch is a gap-free prefix of what was accepted,
//!   except where a loss marker says otherwise, with exactly the published bytes (so never a
//!   damaged record, a duplicate, or a record under the wrong producer);
//! - every third record of a stream is a log message (`tests/common/messages.rs`: every
//!   argument kind, strings cut to fit): each one read back has its call site (the writer puts
//!   the call-site frame before it, in the same segment) and renders as exactly its text;
//! - nothing at or below the durable counts and the durable LSN reported before the kill is
//!   lost;
//! - `rtlog_init` continues in a new epoch after the last LSN, and every earlier epoch stays
//!   exactly as it was across all later rounds.
//!
//! The test binary is its own child: `crash_child` does nothing unless `RTLOG_CRASH_CHILD`
//! names a directory. `RTLOG_CRASH_ROUNDS` (default 20) sets the rounds, `RTLOG_CRASH_SEED`
//! the seed of the kill moments and power cuts (printed on failure). The nightly-style run:
//! `RTLOG_CRASH_ROUNDS=200 cargo test --release --test crash_kill -- --nocapture`.

#[path = "common/messages.rs"]
mod messages;
#[path = "common/storage.rs"]
mod storage;

use rtlog::faults::{simulate_power_loss, FaultInjector, PowerLoss};
use rtlog::format::{FrameKind, LossMarker, LossReason};
use rtlog::reader::{Damage, ReaderStats};
use rtlog::scan::{ScanItem, SegmentScan};
use rtlog::{Config, Durability, Logger, Reader, Status, Stream};
use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};
use storage::{payload, record_type, Scratch, XorShift};

const CHILD_ENV: &str = "RTLOG_CRASH_CHILD";
const JOURNAL_ENV: &str = "RTLOG_CRASH_JOURNAL";
/// Publishing threads of the child, one producer each.
const PRODUCERS: usize = 4;
/// Largest payload; payloads are 1..=MAX_PAYLOAD bytes.
const MAX_PAYLOAD: usize = 120;
/// Rounds that share one directory. Each round reads the whole directory twice, so this bounds
/// the cost of a round.
const ROUNDS_PER_DIR: u64 = 5;
/// Records per stream the parent writes in its own epoch after each kill.
const RESUME_RECORDS: u64 = 50;

fn config(dir: &Path) -> Config {
    let mut c = Config::new(dir);
    c.durability = Durability::FsyncBatch;
    c.batch_records = 64;
    c.batch_interval_us = 500;
    // The smallest segment: several rotations happen within a kill window.
    c.segment_bytes = 64 * 1024;
    c.max_record_size = MAX_PAYLOAD as u32;
    c
}

/// Whether a stream's record `seq` is a log message (otherwise a data record).
fn is_message(seq: u64) -> bool {
    seq % 3 == 2
}

/// The kit message (`messages::Kinds`) that is record `seq` of `stream`: its call site's level
/// must put it on that stream (ERROR, the strings, on the critical one).
fn message_index(stream: u8, seq: u64) -> u64 {
    if stream == Stream::Critical as u8 {
        seq * 4 + 2
    } else {
        seq * 4 + seq % 2
    }
}

/// Publishes record `seq` of `stream`: a data record or a message.
fn publish_nth(
    p: &mut rtlog::Producer,
    kit: &messages::Kinds,
    name: &str,
    stream: Stream,
    seq: u64,
) -> Status {
    if is_message(seq) {
        let (site, args) = kit.message(message_index(stream as u8, seq));
        // SAFETY: the kit's call sites are leaked (they outlive the logger); its strings are
        // NULL, NUL-terminated or valid for their length.
        unsafe { p.publish_message(site, &args) }
    } else {
        let bytes = payload(name, stream as u8, seq, MAX_PAYLOAD);
        p.publish(stream, record_type(stream as u8, seq), &bytes)
    }
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .map(|v| v.parse().unwrap_or_else(|_| panic!("{name}={v} is not a number")))
        .unwrap_or(default)
}

// ---------------------------------------------------------------------------------------------
// The child
// ---------------------------------------------------------------------------------------------

/// The child process: writes until it is killed. A normal test run returns at once.
#[test]
fn crash_child() {
    let Some(dir) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    // SAFETY: prctl with PR_SET_PDEATHSIG only sets a flag of this process.
    unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) };
    let mut c = config(Path::new(&dir));
    c.dispatch_period_us = 200;
    // The injector injects nothing: it only keeps the sync journal the parent's power cut uses.
    let faults = Arc::new(FaultInjector::new());
    let journal = std::env::var_os(JOURNAL_ENV).expect("child: no journal path");
    faults.journal_to(Path::new(&journal)).expect("child: journal");
    let lg = Arc::new(Logger::init_with_faults(c, faults).expect("child: rtlog_init"));
    let handles: Vec<_> =
        (0..PRODUCERS).map(|i| lg.create_producer(&format!("p{i}")).unwrap()).collect();
    lg.start().expect("child: rtlog_start");
    lg.start_ticker().expect("child: ticker");

    // Each producer thread mirrors its own durable counts here for the reporter (a handle
    // belongs to one thread, so the reporter does not touch it).
    let durable: Arc<Vec<[AtomicU64; 2]>> =
        Arc::new((0..PRODUCERS).map(|_| [AtomicU64::new(0), AtomicU64::new(0)]).collect());
    let kit: &'static messages::Kinds = Box::leak(Box::new(messages::Kinds::new()));
    for (i, h) in handles.into_iter().enumerate() {
        let addr = h.as_ptr() as usize;
        let (durable, lg) = (durable.clone(), lg.clone());
        std::thread::spawn(move || {
            let _keep_alive = lg;
            // SAFETY: the handle lives as long as the logger (kept alive above) and this is
            // the only thread that uses it.
            let p = unsafe { &mut *(addr as *mut rtlog::Producer) };
            let name = format!("p{i}");
            for n in 0u64.. {
                let stream = if n % 4 == 0 { Stream::Critical } else { Stream::Normal };
                // A refused record takes no seq: retry the same content until it is accepted.
                loop {
                    let seq = p.published(stream);
                    match publish_nth(p, kit, &name, stream, seq) {
                        Status::Ok => break,
                        Status::Full => std::thread::sleep(Duration::from_micros(200)),
                        s => panic!("child: publish returned {s:?}"),
                    }
                }
                for s in Stream::ALL {
                    durable[i][s as usize].store(p.durable_count(s), Ordering::Relaxed);
                }
                // About 7k records per second per producer: a segment rotation every 10 to 20
                // ms, and a log that stays small.
                if n % 8 == 7 {
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
        });
    }

    let mut out = std::io::stdout().lock();
    // On a line of its own: the test harness has just printed "test crash_child ... ".
    writeln!(out, "\nready {}", lg.stats().epoch).unwrap();
    out.flush().unwrap();
    let mut last = [[u64::MAX; 2]; PRODUCERS];
    let mut last_lsn = 0;
    let started = Instant::now();
    loop {
        // The LSN first: it was durable before the counts read after it, so a line never
        // claims more than was durable when it was written.
        let lsn = lg.stats().durable_lsn;
        for (i, d) in durable.iter().enumerate() {
            for s in 0..2 {
                let v = d[s].load(Ordering::Relaxed);
                if v != last[i][s] {
                    last[i][s] = v;
                    writeln!(out, "durable p{i} {s} {v}").unwrap();
                }
            }
        }
        if lsn != last_lsn {
            last_lsn = lsn;
            writeln!(out, "lsn {lsn}").unwrap();
        }
        out.flush().unwrap();
        std::thread::sleep(Duration::from_millis(1));
        // The parent kills within seconds; never outlive a parent that failed to.
        if started.elapsed() > Duration::from_secs(120) {
            std::process::exit(3);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Checking a log
// ---------------------------------------------------------------------------------------------

/// A producer's stream in one epoch: (producer name, stream).
type StreamKey = (String, u8);

/// What one epoch of the log holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct EpochSummary {
    first_lsn: u64,
    last_lsn: u64,
    frames: u64,
    /// Hash of every frame's fields and payload, in order.
    digest: u64,
    clean_close: bool,
    /// Per stream, the next seq after the records read: each record was checked to be the
    /// next seq (or the one after a loss marker's range) with the deterministic payload.
    next_seq: BTreeMap<StreamKey, u64>,
    /// Per stream, the first seq a loss marker said was lost (write failure, overwrite).
    first_lost: BTreeMap<StreamKey, u64>,
    /// Records that loss markers said were refused at publish, or lost after acceptance.
    refused: u64,
    lost: u64,
    /// Messages read, each with its call site and its whole text.
    messages: u64,
}

struct LogSummary {
    epochs: BTreeMap<u32, EpochSummary>,
    stats: ReaderStats,
    damage: Vec<Damage>,
    max_lsn: u64,
}

/// `rtlog verify`'s sequence check (the library's `GapCheck`) finds no unexplained gap.
fn assert_no_gaps(dir: &Path, ctx: &str) {
    let mut r = Reader::open(dir).unwrap_or_else(|e| panic!("{ctx}: opening the log: {e}"));
    let mut check = rtlog::gaps::GapCheck::default();
    while let Some(f) = r.next_frame().unwrap_or_else(|e| panic!("{ctx}: reader failed: {e}")) {
        check.frame(&f);
    }
    assert!(check.gaps().is_empty(), "{ctx}: verify would report {:?}", check.gaps());
}

fn fnv(mut h: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
    }
    h
}

/// Reads the whole log and checks what holds for every epoch, whatever happened to it: LSNs
/// follow on one by one (no fault is injected, so no frame is ever given up), an epoch starts
/// with its epoch-begin frame, and each producer's streams are gap-free from seq 0 except
/// where a loss marker says otherwise, with exactly the bytes that were published.
fn check_log(dir: &Path, ctx: &str) -> LogSummary {
    assert_no_gaps(dir, ctx);
    let mut r = Reader::open(dir).unwrap_or_else(|e| panic!("{ctx}: opening the log: {e}"));
    let mut epochs: BTreeMap<u32, EpochSummary> = BTreeMap::new();
    let mut max_lsn = 0u64;
    let mut current_epoch = 0u32;
    loop {
        let (lsn, seq, epoch, producer, rtype, stream, kind, bytes) = match r.next_frame() {
            Ok(Some(f)) => (
                f.lsn,
                f.seq,
                f.epoch,
                f.producer,
                f.record_type,
                f.stream,
                f.kind,
                f.payload.to_vec(),
            ),
            Ok(None) => break,
            Err(e) => panic!("{ctx}: reader failed: {e}"),
        };
        let at = || format!("{ctx}: epoch {epoch}, lsn {lsn}");
        assert_eq!(lsn, max_lsn + 1, "{}: the LSN after {max_lsn}", at());
        max_lsn = lsn;
        assert!(epoch >= current_epoch, "{}: epoch after {current_epoch}", at());
        let e = epochs.entry(epoch).or_default();
        if epoch != current_epoch {
            assert_eq!(kind, FrameKind::EpochBegin, "{}: first frame", at());
            current_epoch = epoch;
            e.first_lsn = lsn;
        } else {
            assert_ne!(kind, FrameKind::EpochBegin, "{}: a second epoch-begin", at());
        }
        assert!(!e.clean_close, "{}: a frame after the clean close", at());
        e.last_lsn = lsn;
        e.frames += 1;
        e.clean_close = kind == FrameKind::CleanClose;
        let mut d = fnv(e.digest ^ lsn, &seq.to_le_bytes());
        d = fnv(d, &producer.to_le_bytes());
        d = fnv(d, &rtype.to_le_bytes());
        d = fnv(d, &[kind as u8, stream]);
        e.digest = fnv(d, &bytes);
        if !matches!(kind, FrameKind::Data | FrameKind::Loss | FrameKind::Message) {
            continue;
        }
        let name = r
            .segment_header()
            .and_then(|h| h.producers.iter().find(|(id, _)| *id == producer))
            .map(|(_, n)| n.clone())
            .unwrap_or_else(|| panic!("{}: producer {producer} not in the segment header", at()));
        let key = (name.clone(), stream);
        let next = *e.next_seq.get(&key).unwrap_or(&0);
        if kind == FrameKind::Loss {
            let m = LossMarker::decode(&bytes).unwrap_or_else(|e| panic!("{}: {e}", at()));
            if m.reason == LossReason::Refused {
                // Refused records took no seq: the marker sits where the loss happened.
                assert_eq!((m.first_seq, m.last_seq), (next, next), "{}: {m:?}", at());
                e.refused += m.count;
            } else {
                assert_eq!(m.first_seq, next, "{}: {name}/{stream}: {m:?}", at());
                assert_eq!(m.count, m.last_seq + 1 - m.first_seq, "{}: {m:?}", at());
                e.first_lost.entry(key.clone()).or_insert(m.first_seq);
                e.next_seq.insert(key, m.last_seq + 1);
                e.lost += m.count;
            }
            continue;
        }
        assert_eq!(seq, next, "{}: {name}/{stream}: a gap or a duplicate", at());
        assert_eq!(
            kind == FrameKind::Message,
            is_message(seq),
            "{}: {name}/{stream} seq {seq}",
            at()
        );
        if kind == FrameKind::Message {
            let rec = rtlog::Record {
                lsn,
                seq,
                timestamp_ns: 0,
                epoch,
                producer,
                record_type: rtype,
                stream,
                kind,
                level: rtlog::format::Level::Info,
                payload: &bytes,
            };
            let m = r.message(&rec).unwrap_or_else(|e| panic!("{}: {e}", at()));
            assert!(m.site.is_some(), "{}: message without its call site: {}", at(), m.text());
            let i =
                messages::Kinds::check_text(&m.text()).unwrap_or_else(|e| panic!("{}: {e}", at()));
            assert_eq!(i, message_index(stream, seq), "{}: {name}/{stream} seq {seq}", at());
            e.messages += 1;
            e.next_seq.insert(key, seq + 1);
            continue;
        }
        assert_eq!(
            bytes,
            payload(&name, stream, seq, MAX_PAYLOAD),
            "{}: {name}/{stream} seq {seq}: payload",
            at()
        );
        assert_eq!(rtype, record_type(stream, seq), "{}: record type", at());
        e.next_seq.insert(key, seq + 1);
    }
    LogSummary { epochs, stats: r.stats(), damage: r.damage().to_vec(), max_lsn }
}

/// Bytes of the smallest segment header written here: the parent's, with its one producer
/// "resume" (the child's four producers make 112).
const MIN_HEADER_BYTES: u64 = 104;

/// A segment whose header is unreadable may only be one the kill left before its header was
/// written: shorter than any complete header. Returns how many there are.
fn check_bad_segments(log: &LogSummary, ctx: &str) -> u64 {
    let mut empty = 0;
    for d in log.damage.iter().filter(|d| d.what.contains("header")) {
        let len = std::fs::metadata(&d.path).map_or(0, |m| m.len());
        assert!(len < MIN_HEADER_BYTES, "{ctx}: {} ({len} bytes): {}", d.path.display(), d.what);
        empty += 1;
    }
    assert_eq!(empty, log.stats.bad_segments, "{ctx}: {:?}", log.damage);
    empty
}

// ---------------------------------------------------------------------------------------------
// Where the kill landed
// ---------------------------------------------------------------------------------------------

/// Whether the kill landed in a segment rotation, from the evidence it left: the newest
/// segment's creation has no directory sync after it in the journal (killed while creating
/// it), or the newest segment ends with its seal frame (killed between sealing it and
/// creating the next).
fn killed_in_rotation(log_dir: &Path, journal: &Path) -> bool {
    let text = std::fs::read_to_string(journal).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    if let Some(i) = lines.iter().rposition(|l| l.starts_with("create ")) {
        if !lines[i..].iter().any(|l| l.starts_with("dirsync ")) {
            return true;
        }
    }
    let Some(newest) = storage::segments(log_dir).pop() else { return false };
    let Ok(mut scan) = SegmentScan::open(&newest) else { return false };
    let mut last = None;
    while let Ok(ScanItem::Frame(h, _)) = scan.next_item() {
        last = Some(h.kind);
    }
    last == Some(FrameKind::Seal as u8)
}

/// Watches a directory for created files (inotify), so that a kill can follow the creation of
/// a segment file within microseconds.
struct CreateWatch(libc::c_int);

impl CreateWatch {
    fn new(dir: &Path) -> CreateWatch {
        use std::os::unix::ffi::OsStrExt;
        let path = std::ffi::CString::new(dir.as_os_str().as_bytes()).unwrap();
        // SAFETY: creates a descriptor that this value owns.
        let fd = unsafe { libc::inotify_init1(libc::IN_CLOEXEC | libc::IN_NONBLOCK) };
        assert!(fd >= 0, "inotify_init1: {}", std::io::Error::last_os_error());
        // SAFETY: `path` is a NUL-terminated string that outlives the call.
        let wd = unsafe { libc::inotify_add_watch(fd, path.as_ptr(), libc::IN_CREATE) };
        assert!(wd >= 0, "inotify_add_watch: {}", std::io::Error::last_os_error());
        CreateWatch(fd)
    }

    /// Forgets the creations seen so far.
    fn drain(&self) {
        let mut buf = [0u8; 4096];
        // SAFETY: reads into `buf`, within its length; the descriptor is non-blocking.
        while unsafe { libc::read(self.0, buf.as_mut_ptr().cast(), buf.len()) } > 0 {}
    }

    /// Waits up to `timeout` for the next creation; whether there was one.
    fn wait(&self, timeout: Duration) -> bool {
        let mut p = libc::pollfd { fd: self.0, events: libc::POLLIN, revents: 0 };
        // SAFETY: `p` is one valid pollfd.
        unsafe { libc::poll(&mut p, 1, timeout.as_millis() as libc::c_int) > 0 }
    }
}

impl Drop for CreateWatch {
    fn drop(&mut self) {
        // SAFETY: closes the descriptor this value owns, once.
        unsafe { libc::close(self.0) };
    }
}

// ---------------------------------------------------------------------------------------------
// The parent
// ---------------------------------------------------------------------------------------------

/// What the parent heard from a child.
#[derive(Default)]
struct Heard {
    durable: HashMap<StreamKey, u64>,
    durable_lsn: u64,
    other: Vec<String>,
}

/// How a round ends for the files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cut {
    /// A process crash only: the page cache survives.
    None,
    /// A power cut that keeps exactly what `fdatasync` covered.
    Strict,
    /// A power cut after which a random prefix of the unsynced bytes survives.
    Prefix,
}

/// Counters printed at the end.
#[derive(Default, Debug)]
struct Totals {
    rounds: u64,
    /// Kills that waited for a segment file to be created.
    kills_aimed_at_rotation: u64,
    /// Kills that landed in a rotation (by the evidence; see `killed_in_rotation`).
    kills_in_rotation: u64,
    power_cuts_strict: u64,
    power_cuts_prefix: u64,
    bytes_dropped: u64,
    files_deleted: u64,
    killed_records: u64,
    killed_messages: u64,
    durable_reported: u64,
    beyond_durable: u64,
    refused_by_marker: u64,
    lost_by_marker: u64,
    torn_tails: u64,
    torn_bytes: u64,
    empty_segments_left: u64,
    segments: u64,
}

#[test]
fn sigkill_and_power_loss_under_fsync_batch_lose_no_durable_record() {
    let rounds = env_u64("RTLOG_CRASH_ROUNDS", 20);
    let seed = env_u64("RTLOG_CRASH_SEED", 0x5eed);
    let started = Instant::now();
    let mut totals = Totals::default();
    let mut round = 0;
    while round < rounds {
        let scratch = Scratch::new("crash-kill", false);
        let dir = scratch.join("log");
        std::fs::create_dir(&dir).unwrap();
        // Everything known about the directory's epochs, checked again after every round.
        let mut known: BTreeMap<u32, EpochSummary> = BTreeMap::new();
        let mut next_epoch = 1;
        for _ in 0..ROUNDS_PER_DIR.min(rounds - round) {
            let ctx = format!("round {round} (RTLOG_CRASH_SEED={seed}, dir {})", dir.display());
            let journal = scratch.join(&format!("journal-{round}"));
            let r = Round { dir: &dir, journal: &journal, seed, round, epoch: next_epoch };
            next_epoch = r.run(&mut known, &mut totals, &ctx);
            round += 1;
        }
        totals.segments += storage::segments(&dir).len() as u64;
    }
    eprintln!("{} kill rounds in {:?}: {totals:#?}", totals.rounds, started.elapsed());
    assert_eq!(totals.rounds, rounds);
}

/// One round on `dir`, whose next epoch is `epoch`.
struct Round<'a> {
    dir: &'a Path,
    journal: &'a Path,
    seed: u64,
    round: u64,
    epoch: u32,
}

impl Round<'_> {
    /// Runs a child, kills it, cuts the power, checks the log, resumes, checks again. Returns
    /// the epoch the next child will get.
    fn run(&self, known: &mut BTreeMap<u32, EpochSummary>, totals: &mut Totals, ctx: &str) -> u32 {
        let (dir, epoch) = (self.dir, self.epoch);
        let mut rng = XorShift::new(self.seed ^ self.round.wrapping_mul(0x1_0000_0001));
        let delay = Duration::from_millis(rng.range(20, 301));
        // One round in three waits for a segment file to appear and kills right after (or
        // up to half a millisecond after): inside its creation, header write and syncs.
        let aim = match rng.range(0, 3) {
            0 => Some(Duration::from_micros(rng.range(0, 500))),
            _ => None,
        };
        let cut = match rng.range(0, 5) {
            0 => Cut::None,
            1 | 2 => Cut::Strict,
            _ => Cut::Prefix,
        };
        let ctx = &format!("{ctx}, kill after {delay:?}, aimed at rotation {aim:?}, cut {cut:?}");

        let watch = CreateWatch::new(dir);
        let (heard, in_rotation) = self.run_child(delay, aim.map(|a| (&watch, a)), ctx);
        totals.kills_aimed_at_rotation += u64::from(aim.is_some());
        totals.kills_in_rotation += u64::from(in_rotation);

        // The power cut, with the journal of what the child's syncs covered.
        let loss = match cut {
            Cut::None => PowerLoss::default(),
            Cut::Strict => simulate_power_loss(self.journal, |_| 0).unwrap(),
            Cut::Prefix => simulate_power_loss(self.journal, |n| rng.range(0, n + 1)).unwrap(),
        };
        totals.power_cuts_strict += u64::from(cut == Cut::Strict);
        totals.power_cuts_prefix += u64::from(cut == Cut::Prefix);
        totals.bytes_dropped += loss.bytes_dropped;
        totals.files_deleted += loss.deleted.len() as u64;
        let ctx = &format!("{ctx}, {loss:?}");

        // The log as the kill and the power cut left it.
        let ctx_after = format!("{ctx}, after the kill");
        let before = check_log(dir, &ctx_after);
        let empty_segments = check_bad_segments(&before, &ctx_after);
        if cut != Cut::None {
            // A file whose creation was not followed by a directory sync is gone, and one
            // whose was had its header synced first.
            assert_eq!(empty_segments, 0, "{ctx_after}: {:?}", before.damage);
        }
        assert_eq!(before.stats.corrupt_regions, 0, "{ctx_after}: {:?}", before.damage);
        // The epoch-begin frame is synced before rtlog_start returns: the epoch survives.
        let killed = before
            .epochs
            .get(&epoch)
            .unwrap_or_else(|| panic!("{ctx_after}: epoch {epoch} is missing"));
        assert!(!killed.clean_close, "{ctx_after}: a clean close in a killed epoch");
        assert!(
            killed.last_lsn >= heard.durable_lsn,
            "{ctx_after}: LSNs up to {} read back, but {} was reported durable",
            killed.last_lsn,
            heard.durable_lsn
        );
        for ((name, stream), &durable) in &heard.durable {
            let key = (name.clone(), *stream);
            let got = killed.next_seq.get(&key).copied().unwrap_or(0);
            let lost = killed.first_lost.get(&key).copied().unwrap_or(u64::MAX);
            assert!(
                got >= durable && lost >= durable,
                "{ctx_after}: {name} stream {stream}: {got} records read back (a loss marker \
                 from seq {lost}), but {durable} were reported durable before the kill"
            );
            totals.durable_reported += durable;
            totals.beyond_durable += got - durable;
        }
        for (e, summary) in known.iter() {
            assert_eq!(before.epochs.get(e), Some(summary), "{ctx_after}: epoch {e} changed");
        }
        assert_eq!(before.epochs.len(), known.len() + 1, "{ctx_after}: {:?}", before.epochs.keys());
        known.insert(epoch, killed.clone());
        totals.killed_records += killed.next_seq.values().sum::<u64>();
        totals.killed_messages += killed.messages;
        totals.refused_by_marker += killed.refused;
        totals.lost_by_marker += killed.lost;
        if before.stats.torn_bytes > 0 {
            totals.torn_tails += 1;
            totals.torn_bytes += before.stats.torn_bytes;
        }
        totals.empty_segments_left += empty_segments;

        let next = self.resume(&before, empty_segments, known, ctx);
        totals.rounds += 1;
        next
    }

    /// Starts the child, kills it after `delay` (then, with `aim`, after the next file
    /// creation in the log directory and the aim's extra wait). Returns what it reported and
    /// whether the kill landed in a rotation.
    fn run_child(
        &self,
        delay: Duration,
        aim: Option<(&CreateWatch, Duration)>,
        ctx: &str,
    ) -> (Heard, bool) {
        // /proc/self/exe still runs this binary if a rebuild has replaced its file meanwhile.
        let exe = Path::new("/proc/self/exe");
        let exe: PathBuf = match exe.exists() {
            true => exe.to_path_buf(),
            false => std::env::current_exe().unwrap(),
        };
        let mut child = Command::new(exe)
            .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, self.dir)
            .env(JOURNAL_ENV, self.journal)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let pid = child.id() as libc::pid_t;
        let heard = Arc::new(Mutex::new(Heard::default()));
        let (ready_tx, ready_rx) = mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        let listener = {
            let heard = heard.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    let words: Vec<&str> = line.split_whitespace().collect();
                    let mut h = heard.lock().unwrap();
                    match words[..] {
                        ["ready", e] => {
                            let _ = ready_tx.send(e.parse::<u32>().unwrap());
                        }
                        ["durable", name, stream, count] => {
                            let key = (name.to_owned(), stream.parse().unwrap());
                            let v = h.durable.entry(key).or_default();
                            *v = (*v).max(count.parse().unwrap());
                        }
                        ["lsn", lsn] => h.durable_lsn = h.durable_lsn.max(lsn.parse().unwrap()),
                        _ => h.other.push(line),
                    }
                }
            })
        };
        let mut stderr = child.stderr.take().unwrap();
        let stderr = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = stderr.read_to_string(&mut s);
            s
        });

        // The kill delay counts from the child's rtlog_start, however slow its start was.
        let ready = ready_rx.recv_timeout(Duration::from_secs(60));
        if ready.is_ok() {
            std::thread::sleep(delay);
            if let Some((watch, extra)) = aim {
                watch.drain();
                // A rotation comes every few ms; the timeout only guards a stuck child.
                if watch.wait(Duration::from_secs(10)) {
                    std::thread::sleep(extra);
                }
            }
        }
        // SAFETY: `pid` is our child, not yet waited for, so the id cannot have been reused.
        unsafe { libc::kill(pid, libc::SIGKILL) };
        let status = child.wait().unwrap();
        listener.join().unwrap();
        let stderr = stderr.join().unwrap();
        let heard = std::mem::take(&mut *heard.lock().unwrap());
        let child_epoch = ready.unwrap_or_else(|_| {
            panic!("{ctx}: the child did not start.\nstdout: {:?}\nstderr: {stderr}", heard.other)
        });
        {
            use std::os::unix::process::ExitStatusExt;
            assert_eq!(
                status.signal(),
                Some(libc::SIGKILL),
                "{ctx}: the child ended by itself: {status}\nstderr: {stderr}"
            );
        }
        assert_eq!(child_epoch, self.epoch, "{ctx}: the child's epoch");
        let in_rotation = killed_in_rotation(self.dir, self.journal);
        (heard, in_rotation)
    }

    /// Restarts on the log `before` describes: recovery, then an epoch of our own, shut down
    /// cleanly, and the whole log checked again. Returns the next epoch.
    fn resume(
        &self,
        before: &LogSummary,
        empty_segments: u64,
        known: &mut BTreeMap<u32, EpochSummary>,
        ctx: &str,
    ) -> u32 {
        let dir = self.dir;
        let last_index = rtlog::logdir::list_segments(dir).unwrap().last().map_or(0, |(i, _)| *i);
        let lg = Logger::init(config(dir)).unwrap_or_else(|e| panic!("{ctx}: rtlog_init: {e}"));
        let rec = lg.recovered().clone();
        let ctx_rec = format!("{ctx}, recovered {rec:?}");
        // A newest segment left without a header is set aside; the killed epoch's first
        // segment is durable, so the new epoch is always the next number.
        assert_eq!(rec.set_aside, empty_segments, "{ctx_rec}");
        assert_eq!(rec.next_epoch, self.epoch + 1, "{ctx_rec}: the new epoch");
        assert_eq!(rec.next_segment, last_index + 1, "{ctx_rec}: a new segment");
        assert_eq!(rec.next_lsn, before.max_lsn + 1, "{ctx_rec}: the LSN continues");
        assert_eq!(rec.torn_bytes, before.stats.torn_bytes, "{ctx_rec}: torn tail");
        assert!(!rec.previous_clean, "{ctx_rec}");
        let p = lg.create_producer("resume").unwrap();
        lg.start().unwrap();
        // SAFETY: the logger outlives the handle; only this thread uses it.
        let p = unsafe { &mut *p.as_ptr() };
        let kit = messages::Kinds::new();
        for seq in 0..RESUME_RECORDS {
            for s in Stream::ALL {
                assert_eq!(publish_nth(p, &kit, "resume", s, seq), Status::Ok);
            }
            lg.tick().unwrap();
        }
        lg.shutdown().unwrap_or_else(|e| panic!("{ctx_rec}: shutdown: {e}"));
        assert_eq!(lg.stats().epoch, rec.next_epoch);
        drop(lg);

        // The whole log again: every earlier epoch unchanged, ours complete and closed.
        let ctx_resume = format!("{ctx}, after the restart");
        let after = check_log(dir, &ctx_resume);
        assert_eq!(check_bad_segments(&after, &ctx_resume), 0);
        assert_eq!(
            (after.stats.corrupt_regions, after.stats.torn_bytes),
            (0, 0),
            "{ctx_resume}: {:?}",
            after.damage
        );
        for (e, summary) in known.iter() {
            assert_eq!(after.epochs.get(e), Some(summary), "{ctx_resume}: epoch {e} changed");
        }
        let ours = after
            .epochs
            .get(&rec.next_epoch)
            .unwrap_or_else(|| panic!("{ctx_resume}: epoch {} is missing", rec.next_epoch));
        assert_eq!(after.epochs.len(), known.len() + 1, "{ctx_resume}");
        assert_eq!(ours.first_lsn, rec.next_lsn, "{ctx_resume}");
        assert!(ours.clean_close, "{ctx_resume}: no clean close");
        let expected: BTreeMap<StreamKey, u64> =
            [0u8, 1].map(|s| (("resume".to_owned(), s), RESUME_RECORDS)).into();
        assert_eq!(ours.next_seq, expected, "{ctx_resume}");
        let resume_messages = (0..RESUME_RECORDS).filter(|&s| is_message(s)).count() as u64;
        assert_eq!(ours.messages, 2 * resume_messages, "{ctx_resume}");
        known.insert(rec.next_epoch, ours.clone());
        rec.next_epoch + 1
    }
}
