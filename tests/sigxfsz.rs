//! Under RLIMIT_FSIZE, a segment write past the limit fails with EFBIG and is handled as a
//! write error; SIGXFSZ (whose default action ends the process) never reaches the process,
//! whichever thread writes: rtlog's writer thread, the caller of `start` (the first segment),
//! or the caller of `step_writer` and `shutdown` in manual mode.
//!
//! One test function: the limit is process-wide, so nothing else may run in this process
//! meanwhile (each file under tests/ is its own process).

mod common;
use common::*;
use rtlog::{Logger, State, Status, Stream};
use std::time::{Duration, Instant};

const LIMIT: u64 = 200_000;

fn set_fsize_limit(bytes: u64) {
    // SAFETY: getrlimit/setrlimit read and write the structs they are given.
    unsafe {
        let mut lim: libc::rlimit = std::mem::zeroed();
        assert_eq!(libc::getrlimit(libc::RLIMIT_FSIZE, &mut lim), 0);
        lim.rlim_cur = bytes;
        assert_eq!(libc::setrlimit(libc::RLIMIT_FSIZE, &lim), 0);
    }
}

/// Whether SIGXFSZ is pending for this thread or the process (it must not be).
fn sigxfsz_pending() -> bool {
    // SAFETY: sigpending fills the set; sigismember reads it.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigpending(&mut set) == 0 && libc::sigismember(&set, libc::SIGXFSZ) == 1
    }
}

/// Publishes 200-byte records until the writer reports a write error (at most 20 MB).
fn publish_until_write_error(lg: &Logger, p: &mut rtlog::Producer, manual: bool) {
    let payload = [7u8; 200];
    let deadline = Instant::now() + Duration::from_secs(60);
    for _ in 0..100_000 {
        if lg.stats().write_errors > 0 || Instant::now() > deadline {
            break;
        }
        for _ in 0..64 {
            let _ = p.publish(Stream::Normal, 1, &payload);
        }
        while lg.tick().unwrap_or(0) > 0 {}
        if manual {
            lg.step_writer().unwrap();
        } else {
            std::thread::sleep(Duration::from_micros(200));
        }
    }
}

fn assert_efbig(lg: &Logger, what: &str) {
    let s = lg.stats();
    assert!(s.write_errors > 0, "{what}: no write error past RLIMIT_FSIZE");
    assert_eq!(s.last_errno, libc::EFBIG, "{what}: last errno");
    assert!(!sigxfsz_pending(), "{what}: SIGXFSZ left pending");
}

#[test]
fn writes_past_rlimit_fsize_fail_with_efbig_and_the_process_lives() {
    set_fsize_limit(LIMIT);

    // The writer thread.
    let dir = TempDir::new("fsize-thread");
    let mut c = config(&dir);
    c.segment_bytes = 1 << 20;
    let (lg, ps) = start(c, &["p"]);
    publish_until_write_error(&lg, producer(ps[0]), false);
    assert_efbig(&lg, "writer thread");
    let deadline = Instant::now() + Duration::from_secs(10);
    while lg.state() != State::Critical && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(lg.state(), State::Critical, "a failed write makes the logger CRITICAL");
    assert_eq!(lg.shutdown().unwrap_err().status, Status::Io);
    drop(lg);

    // Manual mode: every write happens on this thread.
    let dir = TempDir::new("fsize-manual");
    let mut c = config(&dir);
    c.segment_bytes = 1 << 20;
    c.manual = true;
    let (lg, ps) = start(c, &["p"]);
    publish_until_write_error(&lg, producer(ps[0]), true);
    assert_efbig(&lg, "manual step_writer");
    let _ = lg.shutdown();
    assert!(!sigxfsz_pending(), "manual shutdown: SIGXFSZ left pending");
    drop(lg);

    // The first segment's header, written by start on this thread, past a tiny limit.
    let dir = TempDir::new("fsize-start");
    let lg = Logger::init(config(&dir)).unwrap();
    lg.create_producer("p").unwrap();
    set_fsize_limit(16);
    let e = lg.start().unwrap_err();
    assert_eq!((e.status, e.errno), (Status::Io, Some(libc::EFBIG)), "start: {}", e.message);
    assert!(!sigxfsz_pending(), "start: SIGXFSZ left pending");
}
