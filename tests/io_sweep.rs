//! The Nth-I/O sweep (SQLite's I/O-error tests): a reference run counts every file operation
//! the writer makes — segment creation, writes, syncs, directory syncs, rotation included —
//! then for each N the same run fails operation N, once and then persistently. Whatever
//! fails, the logger must report it, never panic or hang, and a restart must find a log in
//! which every stream is gap-free except where a loss marker says otherwise, nothing below the
//! durable count reported before the restart is missing, and a new epoch appends cleanly.

mod common;
use common::*;
use rtlog::faults::FaultInjector;
use rtlog::format::{FrameKind, LossMarker};
use rtlog::{Config, Durability, Logger, Reader, Status, Stream};
use std::sync::Arc;

fn sweep_config(dir: &TempDir) -> Config {
    let mut c = config(dir);
    c.manual = true;
    c.durability = Durability::FsyncBatch;
    c.batch_records = 8;
    c.batch_interval_us = 60_000_000;
    c.segment_bytes = 64 * 1024;
    c.retention_segments = 3;
    c
}

/// The scripted run; returns the durable counts per stream it saw last, or `None` when
/// `init` or `start` failed (a start that fails after creating the epoch's segment leaves an
/// epoch without a clean close: it never ran).
fn scripted_run(dir: &TempDir, faults: Arc<FaultInjector>) -> Option<[u64; 2]> {
    let lg = match Logger::init_with_faults(sweep_config(dir), faults) {
        Ok(lg) => lg,
        Err(e) => {
            assert_eq!(e.status, Status::Io, "{e}");
            return None;
        }
    };
    let p = producer(lg.create_producer("p").unwrap());
    if let Err(e) = lg.start() {
        assert_eq!(e.status, Status::Io, "{e}");
        return None;
    }
    for round in 0..12u32 {
        for i in 0..40u32 {
            let stream = if i % 5 == 0 { Stream::Critical } else { Stream::Normal };
            let seq = p.published(stream) as u32;
            assert_eq!(p.publish(stream, 0, &seq.to_le_bytes().repeat(60)), Status::Ok);
        }
        while lg.tick().unwrap() > 0 {}
        lg.step_writer().unwrap();
        if round % 4 == 3 {
            let _ = lg.flush(std::time::Duration::from_secs(5));
        }
    }
    let durable = [p.durable_count(Stream::Critical), p.durable_count(Stream::Normal)];
    let _ = lg.shutdown();
    Some(durable)
}

/// Reads the whole log and checks every stream of epoch 1 against the loss markers.
fn check_log(dir: &TempDir, run: Option<[u64; 2]>, restart_epoch: u32, ctx: &str) {
    let durable = run.unwrap_or_default();
    if std::env::var_os("SWEEP_DEBUG").is_some() {
        let mut r = Reader::open(&dir.0).unwrap();
        while let Some(f) = r.next_frame().unwrap() {
            eprintln!(
                "{ctx}: lsn {} epoch {} kind {:?} seq {} stream {}",
                f.lsn, f.epoch, f.kind, f.seq, f.stream
            );
        }
        for d in r.damage() {
            eprintln!("damage {d:?}");
        }
        for (i, p) in rtlog::logdir::list_segments(&dir.0).unwrap() {
            eprintln!("seg {i} {}", std::fs::metadata(&p).unwrap().len());
        }
    }

    // Retention may have deleted the oldest segments: the log is then a suffix, and each
    // stream starts wherever its first remaining record is.
    let segments = rtlog::logdir::list_segments(&dir.0).unwrap();
    let suffix = segments.first().is_some_and(|(i, _)| *i > 1);
    let mut r = Reader::open(&dir.0).unwrap_or_else(|e| panic!("{ctx}: {e}"));
    let mut expected = [0u64; 2];
    let mut started = [!suffix; 2];
    let mut epochs = Vec::new();
    while let Some(f) = r.next_frame().unwrap_or_else(|e| panic!("{ctx}: {e}")) {
        if f.kind == FrameKind::EpochBegin {
            epochs.push(f.epoch);
        }
        if f.epoch != 1 || f.stream > 1 {
            continue;
        }
        let s = usize::from(f.stream);
        match f.kind {
            FrameKind::Data => {
                if !started[s] {
                    started[s] = true;
                    expected[s] = f.seq;
                }
                assert_eq!(f.seq, expected[s], "{ctx}: stream {s} seq (gap or duplicate)");
                assert_eq!(f.payload, &(f.seq as u32).to_le_bytes().repeat(60)[..], "{ctx}");
                expected[s] += 1;
            }
            FrameKind::Loss => {
                let m = LossMarker::decode(f.payload).unwrap();
                if !started[s] {
                    started[s] = true;
                    expected[s] = m.first_seq;
                }
                assert!(
                    m.first_seq <= expected[s],
                    "{ctx}: loss marker {m:?} after seq {}",
                    expected[s]
                );
                expected[s] = expected[s].max(m.last_seq + 1);
            }
            _ => {}
        }
    }
    // Below the durable count nothing may be missing — unless retention deleted it (a failed
    // segment is abandoned, so failures make more, smaller segments for retention to count).
    for s in (0..2).filter(|_| !suffix) {
        assert!(
            expected[s] >= durable[s],
            "{ctx}: stream {s} ends at {} below durable {}",
            expected[s],
            durable[s]
        );
    }
    assert_eq!(
        epochs.last(),
        Some(&restart_epoch),
        "{ctx}: the restart's epoch comes last: {epochs:?}"
    );
    // A failed start, or a disk that stays broken, cannot write the clean close.
    let broken_for_good = ctx.contains("from then on");
    let unclosed =
        if run.is_some() && !broken_for_good { 0 } else { r.stats().unclosed_epochs.min(1) };
    assert_eq!(r.stats().unclosed_epochs, unclosed, "{ctx}: every epoch that ran was shut down");
}

fn restart_and_check(dir: &TempDir, run: Option<[u64; 2]>, ctx: &str) {
    let lg = Logger::init(sweep_config(dir)).unwrap_or_else(|e| panic!("{ctx}: restart: {e}"));
    lg.create_producer("p").unwrap();
    lg.start().unwrap();
    lg.shutdown().unwrap_or_else(|e| panic!("{ctx}: clean run after restart: {e}"));
    let epoch = lg.stats().epoch;
    drop(lg);
    check_log(dir, run, epoch, ctx);
}

#[test]
fn every_io_call_failing_once_or_for_good_leaves_a_recoverable_log() {
    let reference = Arc::new(FaultInjector::new());
    let dir = TempDir::new("sweep-ref");
    let run = scripted_run(&dir, reference.clone());
    assert!(run.is_some(), "the reference run works");
    let calls = reference.calls(None);
    restart_and_check(&dir, run, "reference");
    assert!(calls > 20, "the reference run made {calls} I/O calls");
    assert!(reference.calls(Some(rtlog::faults::IoOp::Create)) >= 3, "rotation is part of the run");
    for persistent in [false, true] {
        for n in 1..=calls {
            let ctx = format!(
                "fail I/O call {n}/{calls} {}",
                if persistent { "from then on" } else { "once" }
            );
            let dir = TempDir::new("sweep");
            let faults = Arc::new(FaultInjector::new());
            faults.fail_nth(None, n, libc::EIO, persistent);
            let run = scripted_run(&dir, faults.clone());
            assert!(faults.injected() >= 1, "{ctx}: the fault was reached");
            if !dir.0.exists() {
                continue;
            }
            restart_and_check(&dir, run, &ctx);
        }
    }
    eprintln!("io_sweep: {calls} I/O calls swept, once and persistently");
}
