//! Liveness (issue 17): a writer that stops making progress — a `write()` that never returns,
//! a thread that panicked — is detected by the supervisor (CRITICAL, the reason in the callback
//! and in stats), and neither `shutdown_timeout` nor dropping the logger hangs on it.
//!
//! Every wait is bounded: a call that should return is run on a helper thread and must answer
//! within a minute, so a regression fails the test instead of hanging the suite.

mod common;

use common::{producer, TempDir};
use parking_lot::Mutex;
use rtlog::backend::BackendKind;
use rtlog::state::StateCallback;
use rtlog::{Config, Logger, State, Status, Stream};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

type Seen = Arc<Mutex<Vec<(State, State, String)>>>;

fn config(dir: &TempDir, seen: &Seen) -> Config {
    let mut c = Config::new(&dir.0);
    c.backend = BackendKind::Dummy;
    c.durability = rtlog::Durability::Fsync;
    c.stall_timeout_ms = 200;
    c.supervisor_period_us = 1000;
    let log = seen.clone();
    c.on_state_change = Some(StateCallback(Arc::new(move |from, to, cause: &str| {
        log.lock().push((from, to, cause.to_owned()));
    })));
    c
}

/// Runs `f` on a helper thread; panics if it does not return within `limit`.
fn within<T: Send + 'static>(limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(limit).expect("the call hung")
}

fn wait_for(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while !cond() {
        if start.elapsed() > limit {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    true
}

#[test]
fn a_writer_stalled_forever_is_critical_and_shutdown_times_out() {
    let dir = TempDir::new("stall");
    let seen: Seen = Arc::default();
    let lg = Arc::new(Logger::init(config(&dir, &seen)).unwrap());
    let p = producer(lg.create_producer("arm").unwrap());
    lg.start_running().unwrap();
    lg.dummy().unwrap().script.lock().stall_next_write = Some(Duration::from_secs(1_000_000));
    assert_eq!(p.publish(Stream::Critical, 1, b"stuck"), Status::Ok);
    assert!(
        wait_for(Duration::from_secs(30), || lg.state() == State::Critical),
        "state {:?} 30 s after the writer stalled",
        lg.state()
    );
    let cause = seen.lock().last().unwrap().2.clone();
    assert!(cause.starts_with("writer stalled: no progress for"), "{cause}");
    assert_eq!(lg.stats().stalled & 1, 1, "stats.stalled names the writer");

    let started = Instant::now();
    let lg2 = lg.clone();
    let err =
        within(Duration::from_secs(60), move || lg2.shutdown_timeout(Duration::from_millis(300)))
            .unwrap_err();
    assert_eq!(err.status, Status::Timeout, "{}", err.message);
    assert!(started.elapsed() < Duration::from_secs(30));
    assert_eq!(lg.state(), State::Stopped);
    // Dropping the logger (rtlog_destroy) does not wait for the writer either.
    within(Duration::from_secs(60), move || lg.release());
}

#[test]
fn a_writer_that_panicked_is_critical_and_shutdown_returns() {
    let dir = TempDir::new("panic");
    let seen: Seen = Arc::default();
    let mut c = config(&dir, &seen);
    c.normal_depth = 64;
    let lg = Arc::new(Logger::init(c).unwrap());
    let p = producer(lg.create_producer("arm").unwrap());
    lg.start_running().unwrap();
    lg.dummy().unwrap().script.lock().panic_next_write = true;
    assert_eq!(p.publish(Stream::Normal, 1, b"boom"), Status::Ok);
    assert!(
        wait_for(Duration::from_secs(30), || lg.state() == State::Critical),
        "state {:?} 30 s after the writer panicked",
        lg.state()
    );
    let cause = seen.lock().last().unwrap().2.clone();
    // Unwinding (and printing the panic's backtrace) can take longer than stall_timeout_ms:
    // then the stall is seen first, which is as true.
    assert!(
        cause.contains("writer thread died") || cause.starts_with("writer stalled"),
        "{:?}",
        seen.lock()
    );
    assert_eq!(lg.stats().stalled & 1, 1, "stats.stalled names the writer");
    // Far more than the writer's input ring holds: nothing will ever take them.
    for _ in 0..100_000 {
        let _ = p.publish(Stream::Normal, 1, b"more");
    }
    let lg2 = lg.clone();
    let err =
        within(Duration::from_secs(60), move || lg2.shutdown_timeout(Duration::from_millis(300)))
            .unwrap_err();
    assert!(matches!(err.status, Status::Internal | Status::Timeout), "{err:?}");
    within(Duration::from_secs(60), move || lg.release());
}

/// A file-backend `write()` that never returns (a hung mount): `shutdown_timeout` gives up in
/// time, and the writer left behind keeps the directory locked, so no second logger writes
/// the directory while that write may still land.
#[test]
fn a_hung_write_keeps_the_directory_locked_after_shutdown_times_out() {
    use rtlog::faults::{Fault, FaultInjector, IoOp};
    let dir = TempDir::new("hung-write");
    let seen: Seen = Arc::default();
    let c = Config { backend: BackendKind::File, ..config(&dir, &seen) };
    let faults = Arc::new(FaultInjector::new());
    let lg = Arc::new(Logger::init_with_faults(c, faults.clone()).unwrap());
    let p = producer(lg.create_producer("arm").unwrap());
    lg.start_running().unwrap();
    let next = faults.calls(Some(IoOp::Write)) + 1;
    faults.inject_nth(Some(IoOp::Write), next, Fault::Hang(Duration::from_secs(1_000_000)), false);
    assert_eq!(p.publish(Stream::Critical, 1, b"stuck"), Status::Ok);
    assert!(wait_for(Duration::from_secs(30), || faults.calls(Some(IoOp::Write)) >= next));
    let lg2 = lg.clone();
    let err =
        within(Duration::from_secs(60), move || lg2.shutdown_timeout(Duration::from_millis(300)))
            .unwrap_err();
    assert_eq!(err.status, Status::Timeout, "{}", err.message);
    let again = Logger::init(Config::new(&dir.0));
    assert_eq!(again.err().map(|e| e.status), Some(Status::Io), "the directory was not locked");
    within(Duration::from_secs(60), move || lg.release());
    let again = Logger::init(Config::new(&dir.0));
    assert_eq!(again.err().map(|e| e.status), Some(Status::Io), "released with the handle");
}
