//! Kill and restart (sled's and SQLite's crash tests): a child process writes under
//! `FSYNC_BATCH` and is killed with SIGKILL at a random moment; then the log must hold every
//! record the child had reported durable, each producer's stream must be gap-free up to its
//! last recovered record with the exact bytes published, and `rtlog_init` must resume in a new
//! epoch after the last LSN. Every earlier epoch must stay intact across all later rounds.
//!
//! The test binary is its own child: `crash_child` does nothing unless `RTLOG_CRASH_CHILD`
//! names a directory. `RTLOG_CRASH_ROUNDS` (default 20) sets the rounds, `RTLOG_CRASH_SEED`
//! the seed of the kill delays and producer counts (printed on failure).
//!
//! SIGKILL does not lose the page cache, so records written but not yet synced survive too;
//! only the durable lower bound and the log's integrity are asserted.

#[path = "common/storage.rs"]
mod storage;

use rtlog::format::FrameKind;
use rtlog::reader::{Damage, ReaderStats};
use rtlog::{Config, Durability, Logger, Reader, Status, Stream};
use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};
use storage::{payload, record_type, Scratch, XorShift};

const CHILD_ENV: &str = "RTLOG_CRASH_CHILD";
const PRODUCERS_ENV: &str = "RTLOG_CRASH_PRODUCERS";
/// Largest payload; payloads are 1..=MAX_PAYLOAD bytes.
const MAX_PAYLOAD: usize = 120;
/// Rounds that share one directory. Each round reads the whole directory twice, so this bounds
/// the cost of a round (the reader is slow in debug builds).
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
    let producers = env_u64(PRODUCERS_ENV, 3) as usize;
    let mut c = config(Path::new(&dir));
    c.dispatch_period_us = 200;
    let lg = Arc::new(Logger::init(c).expect("child: rtlog_init"));
    let handles: Vec<_> =
        (0..producers).map(|i| lg.create_producer(&format!("p{i}")).unwrap()).collect();
    lg.start().expect("child: rtlog_start");
    lg.start_ticker().expect("child: ticker");

    // Each producer thread mirrors its own durable counts here for the reporter (a handle
    // belongs to one thread, so the reporter does not touch it).
    let durable: Arc<Vec<[AtomicU64; 2]>> =
        Arc::new((0..producers).map(|_| [AtomicU64::new(0), AtomicU64::new(0)]).collect());
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
                    let bytes = payload(&name, stream as u8, seq, MAX_PAYLOAD);
                    match p.publish(stream, record_type(stream as u8, seq), &bytes) {
                        Status::Ok => break,
                        Status::Full => std::thread::sleep(Duration::from_micros(200)),
                        s => panic!("child: publish returned {s:?}"),
                    }
                }
                for s in Stream::ALL {
                    durable[i][s as usize].store(p.durable_count(s), Ordering::Relaxed);
                }
                // About 7k records per second per producer: enough for several segment
                // rotations per kill window, little enough to keep the log small.
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
    let mut last = vec![[u64::MAX; 2]; producers];
    let started = Instant::now();
    loop {
        for (i, d) in durable.iter().enumerate() {
            for s in 0..2 {
                let v = d[s].load(Ordering::Relaxed);
                if v != last[i][s] {
                    last[i][s] = v;
                    writeln!(out, "durable p{i} {s} {v}").unwrap();
                }
            }
        }
        out.flush().unwrap();
        std::thread::sleep(Duration::from_millis(1));
        // The parent kills within a second; never outlive a parent that failed to.
        if started.elapsed() > Duration::from_secs(120) {
            std::process::exit(3);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Checking a log
// ---------------------------------------------------------------------------------------------

/// What one epoch of the log holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct EpochSummary {
    first_lsn: u64,
    last_lsn: u64,
    frames: u64,
    /// Hash of every frame's fields and payload, in order.
    digest: u64,
    clean_close: bool,
    /// Data records per (producer name, stream); each was checked to be seq 0, 1, 2, ... with
    /// the deterministic payload.
    records: BTreeMap<(String, u8), u64>,
}

struct LogSummary {
    epochs: BTreeMap<u32, EpochSummary>,
    stats: ReaderStats,
    damage: Vec<Damage>,
    max_lsn: u64,
}

fn fnv(mut h: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
    }
    h
}

/// Reads the whole log and checks what holds for every epoch, whatever happened to it: LSNs
/// strictly increase, an epoch starts with its epoch-begin frame, and each producer's
/// streams are gap-free from seq 0 with exactly the bytes that were published.
fn check_log(dir: &Path, ctx: &str) -> LogSummary {
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
        assert!(lsn > max_lsn, "{}: LSN after {max_lsn}", at());
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
        if kind != FrameKind::Data {
            continue;
        }
        let name = r
            .segment_header()
            .and_then(|h| h.producers.iter().find(|(id, _)| *id == producer))
            .map(|(_, n)| n.clone())
            .unwrap_or_else(|| panic!("{}: producer {producer} not in the segment header", at()));
        let next = e.records.entry((name.clone(), stream)).or_default();
        assert_eq!(seq, *next, "{}: {name}/{stream}: a gap or a duplicate", at());
        assert_eq!(
            bytes,
            payload(&name, stream, seq, MAX_PAYLOAD),
            "{}: {name}/{stream} seq {seq}: payload",
            at()
        );
        assert_eq!(rtype, record_type(stream, seq), "{}: record type", at());
        *next += 1;
    }
    LogSummary { epochs, stats: r.stats(), damage: r.damage().to_vec(), max_lsn }
}

/// Bytes of the smallest segment header these tests' writers produce (two producers).
const MIN_HEADER_BYTES: u64 = 104;

/// A segment whose header is unreadable may only be one the kill left before its header was
/// written: shorter than any complete header.
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
// The parent
// ---------------------------------------------------------------------------------------------

/// What the parent heard from a child.
#[derive(Default)]
struct Heard {
    durable: HashMap<(String, u8), u64>,
    other: Vec<String>,
}

/// Counters printed at the end.
#[derive(Default, Debug)]
struct Totals {
    rounds: u64,
    killed_records: u64,
    durable_reported: u64,
    beyond_durable: u64,
    torn_tails: u64,
    torn_bytes: u64,
    empty_segments_left: u64,
    segments: u64,
}

#[test]
fn sigkill_under_fsync_batch_loses_no_durable_record_and_restarts_cleanly() {
    let rounds = env_u64("RTLOG_CRASH_ROUNDS", 20);
    let seed = env_u64("RTLOG_CRASH_SEED", 0x5eed);
    let started = Instant::now();
    let mut totals = Totals::default();
    let mut round = 0;
    while round < rounds {
        let dir = Scratch::new("crash-kill", false);
        // Everything known about the directory's epochs, checked again after every round.
        let mut known: BTreeMap<u32, EpochSummary> = BTreeMap::new();
        let mut next_epoch = 1;
        for _ in 0..ROUNDS_PER_DIR.min(rounds - round) {
            let ctx = format!("round {round} (RTLOG_CRASH_SEED={seed}, dir {})", dir.0.display());
            next_epoch = kill_round(&dir.0, seed, round, next_epoch, &mut known, &mut totals, &ctx);
            round += 1;
        }
        totals.segments += storage::segments(&dir.0).len() as u64;
    }
    eprintln!("{} kill rounds in {:?}: {totals:?}", totals.rounds, started.elapsed());
}

/// One round: run a child on `dir`, kill it, check the log, resume, check again. Returns the
/// epoch the next child will get.
fn kill_round(
    dir: &Path,
    seed: u64,
    round: u64,
    epoch: u32,
    known: &mut BTreeMap<u32, EpochSummary>,
    totals: &mut Totals,
    ctx: &str,
) -> u32 {
    let mut rng = XorShift::new(seed ^ round.wrapping_mul(0x1_0000_0001));
    let producers = rng.range(2, 5);
    let delay = Duration::from_millis(rng.range(20, 301));
    let ctx = &format!("{ctx}, {producers} producers, kill after {delay:?}");

    // /proc/self/exe still runs this binary if a rebuild has replaced its file meanwhile.
    let exe = Path::new("/proc/self/exe");
    let exe = match exe.exists() {
        true => exe.to_path_buf(),
        false => std::env::current_exe().unwrap(),
    };
    let mut child = Command::new(exe)
        .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, dir)
        .env(PRODUCERS_ENV, producers.to_string())
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
    assert_eq!(child_epoch, epoch, "{ctx}: the child's epoch");

    // The log as the kill left it.
    let before = check_log(dir, &format!("{ctx}, after the kill"));
    let ctx_after = format!("{ctx}, after the kill");
    let empty_segments = check_bad_segments(&before, &ctx_after);
    assert_eq!(before.stats.corrupt_regions, 0, "{ctx_after}: {:?}", before.damage);
    let killed = before
        .epochs
        .get(&epoch)
        .unwrap_or_else(|| panic!("{ctx_after}: epoch {epoch} is missing"));
    assert!(!killed.clean_close, "{ctx_after}: a clean close in a killed epoch");
    for ((name, stream), &durable) in &heard.durable {
        let got = killed.records.get(&(name.clone(), *stream)).copied().unwrap_or(0);
        assert!(
            got >= durable,
            "{ctx_after}: {name} stream {stream}: {got} records read back, but {durable} were \
             reported durable before the kill"
        );
        totals.durable_reported += durable;
        totals.beyond_durable += got - durable;
    }
    for (e, summary) in known.iter() {
        assert_eq!(before.epochs.get(e), Some(summary), "{ctx_after}: epoch {e} changed");
    }
    assert_eq!(
        before.epochs.len(),
        known.len() + 1,
        "{ctx_after}: epochs {:?}",
        before.epochs.keys()
    );
    known.insert(epoch, killed.clone());
    totals.killed_records += killed.records.values().sum::<u64>();
    if before.stats.torn_bytes > 0 {
        totals.torn_tails += 1;
        totals.torn_bytes += before.stats.torn_bytes;
    }

    // Restart: recovery, then an epoch of our own, shut down cleanly.
    let last_index = rtlog::reader::list_segments(dir).unwrap().last().map_or(0, |(i, _)| *i);
    let newest_is_broken = before.damage.iter().any(|d| {
        d.what.contains("header") && d.path.ends_with(rtlog::format::segment_file_name(last_index))
    });
    let lg = Logger::init(config(dir)).unwrap_or_else(|e| panic!("{ctx}: rtlog_init: {e}"));
    let rec = lg.recovered().clone();
    let ctx_rec = format!("{ctx}, recovered {rec:?}");
    let expected_epoch = rec.next_epoch;
    if newest_is_broken {
        // The kill left the newest segment without a header (between its creation and the
        // header write). It may have been a new epoch's first segment, so recovery may skip
        // that epoch number too; it may also remove the file and reuse its index.
        assert!((epoch + 1..=epoch + 2).contains(&rec.next_epoch), "{ctx_rec}: the new epoch");
        assert!(rec.next_segment >= last_index, "{ctx_rec}: a new segment");
    } else {
        assert_eq!(rec.next_epoch, epoch + 1, "{ctx_rec}: the new epoch");
        assert_eq!(rec.next_segment, last_index + 1, "{ctx_rec}: a new segment");
    }
    assert_eq!(rec.next_lsn, before.max_lsn + 1, "{ctx_rec}: the LSN continues");
    assert_eq!(rec.torn_bytes, before.stats.torn_bytes, "{ctx_rec}: torn tail");
    assert!(!rec.previous_clean, "{ctx_rec}");
    let p = lg.create_producer("resume").unwrap();
    lg.start().unwrap();
    // SAFETY: the logger outlives the handle; only this thread uses it.
    let p = unsafe { &mut *p.as_ptr() };
    for seq in 0..RESUME_RECORDS {
        for s in Stream::ALL {
            let bytes = payload("resume", s as u8, seq, MAX_PAYLOAD);
            assert_eq!(p.publish(s, record_type(s as u8, seq), &bytes), Status::Ok);
        }
        lg.tick().unwrap();
    }
    lg.shutdown().unwrap_or_else(|e| panic!("{ctx_rec}: shutdown: {e}"));
    assert_eq!(lg.stats().epoch, expected_epoch);
    drop(lg);

    // The whole log again: every earlier epoch unchanged, ours complete and closed.
    let ctx_resume = format!("{ctx}, after the restart");
    let after = check_log(dir, &ctx_resume);
    assert!(check_bad_segments(&after, &ctx_resume) <= empty_segments);
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
        .get(&expected_epoch)
        .unwrap_or_else(|| panic!("{ctx_resume}: epoch {expected_epoch} is missing"));
    assert_eq!(after.epochs.len(), known.len() + 1, "{ctx_resume}");
    assert_eq!(ours.first_lsn, rec.next_lsn, "{ctx_resume}");
    assert!(ours.clean_close, "{ctx_resume}: no clean close");
    let expected: BTreeMap<(String, u8), u64> =
        [0u8, 1].map(|s| (("resume".to_owned(), s), RESUME_RECORDS)).into();
    assert_eq!(ours.records, expected, "{ctx_resume}");
    known.insert(expected_epoch, ours.clone());

    totals.rounds += 1;
    totals.empty_segments_left += u64::from(newest_is_broken);
    expected_epoch + 1
}
