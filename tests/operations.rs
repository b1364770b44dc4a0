//! Operational bounds (issue 17): how long an accepted record may wait before `write()` in
//! `NONE`, and what the writer does on a clock (retention, sealing old segments) when the log
//! is idle. Every bound is checked with margins a loaded 2-core machine keeps: the tests wait
//! for the behaviour (polling up to a generous deadline) and fail only when it never happens.

mod common;

use common::{producer, TempDir};
use rtlog::{Config, Durability, Logger, Reader, Status, Stream};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Data records (and messages) readable in `dir` now.
fn records_on_disk(dir: &Path) -> u64 {
    let mut r = Reader::open(dir).unwrap();
    let mut n = 0;
    while r.next_record().unwrap().is_some() {
        n += 1;
    }
    n
}

fn segments(dir: &Path) -> usize {
    rtlog::logdir::list_segments(dir).unwrap().len()
}

/// Polls `cond` every 20 ms until it holds or `limit` passes; returns whether it held.
fn eventually(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    loop {
        if cond() {
            return true;
        }
        if start.elapsed() > limit {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn none_hands_a_quiet_batch_to_the_kernel_after_max_write_delay() {
    let dir = TempDir::new("write-delay");
    let mut c = Config::new(&dir.0);
    c.durability = Durability::None;
    c.manual = true;
    c.dispatch_period_us = 0;
    c.max_write_delay_us = 50_000;
    let (lg, ps) = common::start(c, &["p"]);
    let p = producer(ps[0]);
    for i in 0..5u32 {
        assert_eq!(p.publish(Stream::Normal, 1, &i.to_le_bytes()), Status::Ok);
    }
    lg.tick().unwrap();
    lg.step_writer().unwrap();
    // Five records are far below NONE's 512 KiB batch: nothing is written yet.
    assert_eq!(records_on_disk(&dir.0), 0, "written before max_write_delay_us");
    std::thread::sleep(Duration::from_millis(100));
    lg.step_writer().unwrap();
    assert_eq!(records_on_disk(&dir.0), 5, "still in the batch after 2 x max_write_delay_us");
    lg.shutdown().unwrap();
}

const CHILD_ENV: &str = "RTLOG_WRITE_DELAY_CHILD";

/// Child of `a_kill_at_a_low_rate_loses_at_most_the_write_delay`: publishes one record every
/// 10 ms in `NONE` with the default `max_write_delay_us`, printing each record's number after
/// it was accepted, until it is killed. A normal test run returns at once.
#[test]
fn write_delay_child() {
    let Some(dir) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    // SAFETY: prctl with PR_SET_PDEATHSIG only sets a flag of this process.
    unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) };
    let mut c = Config::new(Path::new(&dir));
    c.durability = Durability::None;
    let lg = std::sync::Arc::new(Logger::init(c).unwrap());
    let p = producer(lg.create_producer("slow").unwrap());
    lg.start_running().unwrap(); // with the internal ticker, as rtlog_start
    let mut out = std::io::stdout().lock();
    for n in 0u64.. {
        assert_eq!(p.publish(Stream::Normal, 1, &n.to_le_bytes()), Status::Ok);
        writeln!(out, "\npublished {n}").unwrap();
        out.flush().unwrap();
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The probe: at 100 records/s, `NONE` used to hand nothing to the kernel before the
/// process died (0 records on disk after 3 s). Now a SIGKILL loses at most the last
/// `max_write_delay_us` (100 ms) plus a dispatch period (1 ms): every record accepted more
/// than that before the kill is on disk. The check allows 1 s, for a loaded machine.
#[test]
fn a_kill_at_a_low_rate_loses_at_most_the_write_delay() {
    let dir = TempDir::new("write-delay-kill");
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(exe)
        .args(["--exact", "write_delay_child", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, &dir.0)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut accepted: Vec<(u64, Instant)> = Vec::new();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(3) {
        let line = lines.next().expect("child ended").unwrap();
        if let Some(n) = line.strip_prefix("published ") {
            accepted.push((n.parse().unwrap(), Instant::now()));
        }
    }
    child.kill().unwrap();
    let killed = Instant::now();
    child.wait().unwrap();
    let must_survive: Vec<u64> = accepted
        .iter()
        .filter(|(_, at)| killed.duration_since(*at) > Duration::from_secs(1))
        .map(|(n, _)| *n)
        .collect();
    assert!(must_survive.len() > 50, "the child published only {} records", accepted.len());
    let on_disk = records_on_disk(&dir.0);
    assert!(
        on_disk >= must_survive.len() as u64,
        "{on_disk} records on disk, but {} were accepted more than 1 s before the kill",
        must_survive.len()
    );
}

#[test]
fn expired_segments_are_deleted_on_an_idle_log() {
    let dir = TempDir::new("retention-clock");
    let mut c = common::config(&dir);
    c.segment_bytes = rtlog::config::MIN_SEGMENT_BYTES;
    c.retention_age_s = 1;
    let (lg, ps) = common::start(c, &["p"]);
    let p = producer(ps[0]);
    let payload = [7u8; 200];
    let mut n = 0;
    while segments(&dir.0) < 3 {
        if p.publish(Stream::Normal, 1, &payload) == Status::Ok {
            n += 1;
        }
        if n % 256 == 0 {
            lg.flush(Duration::from_secs(10)).unwrap();
        }
        assert!(n < 1_000_000, "no rotation");
    }
    lg.flush(Duration::from_secs(10)).unwrap();
    // Idle from now on: no rotation will run retention. The closed segments expire 1 s after
    // their last write and must be gone within the retention period after that.
    assert!(
        eventually(Duration::from_secs(10), || segments(&dir.0) == 1),
        "{} segments left after 10 s idle with retention_age_s = 1",
        segments(&dir.0)
    );
    lg.shutdown().unwrap();
}

#[test]
fn segment_max_age_seals_a_segment_that_never_fills() {
    let dir = TempDir::new("segment-age");
    let mut c = common::config(&dir);
    c.segment_max_age_s = 1;
    let (lg, ps) = common::start(c, &["p"]);
    let p = producer(ps[0]);
    assert_eq!(p.publish(Stream::Normal, 1, b"first"), Status::Ok);
    lg.flush(Duration::from_secs(10)).unwrap();
    assert_eq!(segments(&dir.0), 1);
    assert!(
        eventually(Duration::from_secs(10), || segments(&dir.0) == 2),
        "the 64 MiB segment was not sealed after segment_max_age_s = 1"
    );
    // Idle, the new segment holds no frame: it is not sealed again and again.
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(segments(&dir.0), 2, "an empty segment was sealed");
    assert_eq!(p.publish(Stream::Normal, 1, b"second"), Status::Ok);
    lg.shutdown().unwrap();
    assert_eq!(records_on_disk(&dir.0), 2);
}

/// `publish_wait` (rtlog_publish_wait), for non-RT threads: a full ring makes it wait, not
/// refuse, and the waiting is not counted as drops; when the ring stays full it gives up at
/// the timeout with `Full`, counted once.
#[test]
fn publish_wait_waits_for_room_and_gives_up_at_its_timeout() {
    use rtlog::wait::publish_wait;
    let dir = TempDir::new("publish-wait");
    let mut c = common::config(&dir);
    c.manual = true;
    c.dispatch_period_us = 0;
    c.critical_depth = 4;
    let lg = std::sync::Arc::new(Logger::init(c).unwrap());
    let p = producer(lg.create_producer("cfg-thread").unwrap());
    lg.start().unwrap();
    for i in 0..4u8 {
        assert_eq!(p.publish(Stream::Critical, 1, &[i]), Status::Ok);
    }
    let full = publish_wait(p, Stream::Critical, 1, b"late", Duration::from_millis(20));
    assert_eq!(full, Status::Full);
    assert_eq!(p.dropped(Stream::Critical), 1, "a refusal after waiting counts once");
    // Room appears 50 ms later: the wait ends with the record accepted.
    let drainer = {
        let lg = lg.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            lg.tick().unwrap();
            lg.step_writer().unwrap();
        })
    };
    let ok = publish_wait(p, Stream::Critical, 1, b"waited", Duration::from_secs(30));
    drainer.join().unwrap();
    assert_eq!(ok, Status::Ok);
    assert_eq!(p.dropped(Stream::Critical), 1, "waiting is not a drop");
    lg.shutdown().unwrap();
    assert_eq!(records_on_disk(&dir.0), 5);
}

/// Debug builds refuse `publish_wait` on a thread with a real-time policy: it sleeps. (The test
/// command also runs the suite in release, where the check is compiled out.)
#[test]
fn publish_wait_refuses_a_real_time_thread_in_debug_builds() {
    let dir = TempDir::new("publish-wait-rt");
    let mut c = common::config(&dir);
    c.manual = true;
    let (lg, ps) = common::start(c, &["rt"]);
    let p = producer(ps[0]);
    let addr = p as *mut rtlog::Producer as usize;
    let status = std::thread::spawn(move || {
        let param = libc::sched_param { sched_priority: 1 };
        // SAFETY: sets this thread's own policy; param is a valid sched_param.
        if unsafe { libc::pthread_setschedparam(libc::pthread_self(), libc::SCHED_FIFO, &param) }
            != 0
        {
            return None; // no CAP_SYS_NICE here: nothing to check
        }
        // SAFETY: the producer outlives this thread (joined below) and only it uses it now.
        let p = unsafe { &mut *(addr as *mut rtlog::Producer) };
        Some(rtlog::wait::publish_wait(p, Stream::Normal, 1, b"x", Duration::from_millis(1)))
    })
    .join()
    .unwrap();
    match status {
        // The check is for debug builds of the library (built with the test, same profile).
        Some(s) if cfg!(debug_assertions) => {
            assert_eq!(s, Status::InvalidState, "an RT thread was let in")
        }
        Some(s) => assert_eq!(s, Status::Ok, "release builds do not check"),
        None => eprintln!("SCHED_FIFO not permitted here: the refusal was not checked"),
    }
    lg.shutdown().unwrap();
}
