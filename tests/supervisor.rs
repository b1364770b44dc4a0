//! The supervisor's state machine and the normal-stream overflow policies, step by step in
//! manual mode over the dummy backend: no threads, so every assertion is about an exact state.

mod common;
use common::*;
use parking_lot::Mutex;
use rtlog::backend::BackendKind;
use rtlog::config::Overflow;
use rtlog::format::{FrameKind, LossMarker};
use rtlog::state::StateCallback;
use rtlog::{Config, Logger, State, Status, Stream};
use std::sync::Arc;
use std::time::Duration;

const MS: Duration = Duration::from_millis(1);

/// The transitions a callback saw: (from, to, cause).
type Seen = Arc<Mutex<Vec<(State, State, String)>>>;

fn manual(set: impl FnOnce(&mut Config)) -> (Logger, Vec<&'static mut rtlog::Producer>, Seen) {
    let mut c = Config {
        backend: BackendKind::Dummy,
        manual: true,
        critical_depth: 4,
        normal_depth: 4,
        degraded_quiet_ms: 100,
        durability: rtlog::Durability::Fsync,
        ..Config::default()
    };
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    c.on_state_change = Some(StateCallback(Arc::new(move |from, to, cause: &str| {
        log.lock().push((from, to, cause.to_owned()));
    })));
    set(&mut c);
    let lg = Logger::init(c).unwrap();
    let p = producer(lg.create_producer("p").unwrap());
    lg.start().unwrap();
    (lg, vec![p], seen)
}

fn fill(p: &mut rtlog::Producer, stream: Stream, n: usize) -> Vec<Status> {
    (0..n).map(|i| p.publish(stream, 0, &(i as u32).to_le_bytes())).collect()
}

/// The state frames the dummy backend received, as (from, to).
fn state_frames(lg: &Logger) -> Vec<(u8, u8)> {
    let d = lg.dummy().unwrap();
    d.frames()
        .iter()
        .filter(|f| f.header.kind == FrameKind::State as u8)
        .map(|f| (f.payload[0], f.payload[1]))
        .collect()
}

#[test]
fn degraded_exactly_at_the_first_normal_loss_then_normal_after_the_quiet_period() {
    let (lg, mut ps, seen) = manual(|_| {});
    let p = &mut ps[0];
    assert_eq!(fill(p, Stream::Normal, 4), vec![Status::Ok; 4]);
    lg.step_supervisor(MS).unwrap();
    assert_eq!(lg.state(), State::Normal, "a full ring without loss is still NORMAL");
    assert_eq!(p.publish(Stream::Normal, 0, b"x"), Status::Full);
    lg.step_supervisor(MS).unwrap();
    assert_eq!(lg.state(), State::Degraded);
    // Quiet from here on: 99 ms later still DEGRADED, at 100 ms NORMAL.
    lg.tick().unwrap();
    lg.step_writer().unwrap();
    lg.step_supervisor(99 * MS).unwrap();
    assert_eq!(lg.state(), State::Degraded);
    lg.step_supervisor(MS).unwrap();
    assert_eq!(lg.state(), State::Normal);
    lg.step_writer().unwrap();
    let seen = seen.lock().clone();
    assert_eq!(
        seen.iter().map(|t| (t.0, t.1)).collect::<Vec<_>>(),
        vec![(State::Normal, State::Degraded), (State::Degraded, State::Normal)]
    );
    assert!(seen[0].2.contains("normal record"), "{}", seen[0].2);
    assert_eq!(state_frames(&lg), vec![(1, 2), (2, 1)], "each transition is in the log");
    assert_eq!(lg.stats().transitions, 2);
}

#[test]
fn a_loss_during_the_quiet_period_restarts_it() {
    let (lg, mut ps, _) = manual(|_| {});
    let p = &mut ps[0];
    fill(p, Stream::Normal, 5);
    lg.step_supervisor(MS).unwrap();
    assert_eq!(lg.state(), State::Degraded);
    lg.step_supervisor(60 * MS).unwrap();
    assert_eq!(p.publish(Stream::Normal, 0, b"x"), Status::Full);
    lg.step_supervisor(60 * MS).unwrap();
    assert_eq!(lg.state(), State::Degraded, "the second loss restarted the quiet period");
    lg.step_supervisor(100 * MS).unwrap();
    assert_eq!(lg.state(), State::Normal);
}

#[test]
fn critical_on_the_first_refused_critical_record_and_only_clear_fault_leaves_it() {
    let (lg, mut ps, seen) = manual(|_| {});
    let p = &mut ps[0];
    assert_eq!(
        fill(p, Stream::Critical, 5),
        [Status::Ok, Status::Ok, Status::Ok, Status::Ok, Status::Full]
    );
    lg.step_supervisor(MS).unwrap();
    assert_eq!(lg.state(), State::Critical);
    lg.step_supervisor(Duration::from_secs(3600)).unwrap();
    assert_eq!(lg.state(), State::Critical, "time alone does not leave CRITICAL");
    lg.clear_fault().unwrap();
    lg.step_supervisor(MS).unwrap();
    assert_eq!(lg.state(), State::Normal);
    let seen = seen.lock();
    assert!(seen[0].2.contains("critical"), "{}", seen[0].2);
    assert_eq!(seen.len(), 2);
}

#[test]
fn critical_on_an_injected_write_error_fsync_error_and_disk_full() {
    type Inject = fn(&rtlog::backend::dummy::DummyShared);
    let cases: [(&str, Inject); 3] = [
        ("write failed", |d| d.script.lock().fail_writes.push((d.counts().writes + 1, libc::EIO))),
        ("fdatasync failed", |d| {
            d.script.lock().fail_syncs.push((d.counts().syncs + 1, libc::EIO))
        }),
        ("disk full", |d| d.script.lock().disk_full_at = Some(d.counts().bytes)),
    ];
    for (cause, inject) in cases {
        let (lg, mut ps, seen) = manual(|_| {});
        inject(lg.dummy().unwrap());
        assert_eq!(ps[0].publish(Stream::Critical, 0, b"x"), Status::Ok);
        lg.tick().unwrap();
        lg.step_writer().unwrap();
        lg.step_supervisor(MS).unwrap();
        assert_eq!(lg.state(), State::Critical, "{cause}");
        let seen = seen.lock();
        assert_eq!(seen.len(), 1);
        assert!(seen[0].2.contains(cause), "{cause}: {}", seen[0].2);
    }
}

#[test]
fn safe_mode_refuses_the_normal_stream_until_the_fault_is_cleared() {
    let (lg, mut ps, seen) = manual(|_| {});
    let p = &mut ps[0];
    lg.enter_safe_mode("operator request").unwrap();
    assert_eq!(lg.state(), State::Normal, "takes effect at the supervisor's next step");
    lg.step_supervisor(MS).unwrap();
    assert_eq!(lg.state(), State::Safe);
    assert_eq!(p.publish(Stream::Normal, 0, b"n"), Status::Full);
    assert_eq!(p.publish(Stream::Critical, 0, b"c"), Status::Ok);
    lg.step_supervisor(MS).unwrap();
    assert_eq!(lg.state(), State::Safe, "the refused normal record does not change SAFE");
    lg.clear_fault().unwrap();
    lg.step_supervisor(MS).unwrap();
    assert_eq!(lg.state(), State::Normal);
    assert_eq!(p.publish(Stream::Normal, 0, b"n"), Status::Ok);
    lg.step_writer().unwrap();
    let seen = seen.lock();
    assert_eq!(
        seen.iter().map(|t| (t.0, t.1)).collect::<Vec<_>>(),
        vec![(State::Normal, State::Safe), (State::Safe, State::Normal)]
    );
    assert!(seen[0].2.contains("operator request"));
    assert_eq!(state_frames(&lg), vec![(1, 4), (4, 1)]);
}

#[test]
fn the_safe_on_critical_policy_goes_straight_to_safe() {
    let (lg, mut ps, seen) = manual(|c| c.safe_on_critical = true);
    fill(ps[0], Stream::Critical, 5);
    lg.step_supervisor(MS).unwrap();
    assert_eq!(lg.state(), State::Safe);
    let s: Vec<_> = seen.lock().iter().map(|t| (t.0, t.1)).collect();
    assert_eq!(s, vec![(State::Normal, State::Critical), (State::Critical, State::Safe)]);
}

#[test]
fn writer_lag_above_the_threshold_degrades() {
    let (lg, mut ps, _) = manual(|c| {
        c.normal_depth = 64;
        c.degraded_lag_records = 10;
    });
    fill(ps[0], Stream::Normal, 10);
    lg.step_supervisor(MS).unwrap();
    assert_eq!(lg.state(), State::Normal, "a lag of 10 is not above 10");
    fill(ps[0], Stream::Normal, 1);
    lg.step_supervisor(MS).unwrap();
    assert_eq!(lg.state(), State::Degraded);
    assert_eq!(lg.stats().lag, 11);
    while lg.tick().unwrap() > 0 {}
    lg.step_writer().unwrap();
    assert_eq!(lg.stats().lag, 0);
    lg.step_supervisor(100 * MS).unwrap();
    assert_eq!(lg.state(), State::Normal);
}

/// Data seqs and loss markers (count@seq) of a stream, in log order.
fn stream_events(lg: &Logger, stream: u8) -> Vec<String> {
    let frames = lg.dummy().unwrap().frames();
    frames
        .iter()
        .filter(|f| f.header.stream == stream)
        .filter_map(|f| match FrameKind::from_u8(f.header.kind) {
            Some(FrameKind::Data) => Some(format!("d{}", f.header.seq)),
            Some(FrameKind::Loss) => {
                let m = LossMarker::decode(&f.payload).unwrap();
                Some(format!("lost{}@{}", m.count, m.first_seq))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn drop_newest_keeps_the_oldest() {
    let (lg, mut ps, _) = manual(|c| c.normal_overflow = Overflow::DropNewest);
    let st = fill(ps[0], Stream::Normal, 7);
    assert_eq!(st.iter().filter(|s| **s == Status::Ok).count(), 4);
    assert_eq!(lg.stats().dropped, [0, 3]);
    lg.shutdown().unwrap();
    assert_eq!(stream_events(&lg, 1), ["d0", "d1", "d2", "d3", "lost3@4"]);
}

#[test]
fn sample_accepts_one_in_n_above_the_high_water_mark() {
    let (lg, mut ps, _) = manual(|c| {
        c.normal_depth = 8;
        c.normal_overflow = Overflow::Sample;
        c.sample_high_water_pct = 50;
        c.sample_one_in = 3;
    });
    // 4 accepted below the mark (8 * 50%), then 1 in 3: calls 5..=16 give 4 more accepted
    // (the 3rd, 6th, 9th and 12th above the mark), and the ring is then full (8).
    let st = fill(ps[0], Stream::Normal, 16);
    let ok: Vec<usize> =
        st.iter().enumerate().filter(|(_, s)| **s == Status::Ok).map(|(i, _)| i).collect();
    assert_eq!(ok, vec![0, 1, 2, 3, 6, 9, 12, 15]);
    assert_eq!(lg.stats().dropped, [0, 8]);
    lg.shutdown().unwrap();
    assert_eq!(
        stream_events(&lg, 1),
        [
            "d0", "d1", "d2", "d3", "lost2@4", "d4", "lost2@5", "d5", "lost2@6", "d6", "lost2@7",
            "d7"
        ]
    );
}

#[test]
fn disable_stops_the_normal_stream_until_the_supervisor_re_enables_it() {
    let (lg, mut ps, _) = manual(|c| c.normal_overflow = Overflow::Disable);
    let p = &mut ps[0];
    assert_eq!(
        fill(p, Stream::Normal, 5),
        [Status::Ok, Status::Ok, Status::Ok, Status::Ok, Status::Full]
    );
    lg.tick().unwrap();
    assert_eq!(p.in_ring(Stream::Normal), 0);
    assert_eq!(
        p.publish(Stream::Normal, 0, b"x"),
        Status::Full,
        "disabled although the ring has room"
    );
    assert_eq!(p.publish(Stream::Critical, 0, b"c"), Status::Ok, "the critical stream goes on");
    lg.step_supervisor(MS).unwrap();
    assert_eq!(p.publish(Stream::Normal, 0, b"x"), Status::Ok, "re-enabled once the ring drained");
    assert_eq!(lg.stats().dropped, [0, 2]);
    lg.shutdown().unwrap();
    assert_eq!(stream_events(&lg, 1), ["d0", "d1", "d2", "d3", "lost2@4", "d4"]);
}

#[test]
fn leaving_safe_does_not_count_safe_mode_refusals_as_losses() {
    let (lg, mut ps, seen) = manual(|_| {});
    lg.enter_safe_mode("operator request").unwrap();
    lg.step_supervisor(MS).unwrap();
    lg.clear_fault().unwrap();
    assert_eq!(ps[0].publish(Stream::Normal, 0, b"n"), Status::Full, "still SAFE until the step");
    lg.step_supervisor(MS).unwrap();
    assert_eq!(lg.state(), State::Normal);
    let s: Vec<_> = seen.lock().iter().map(|t| (t.0, t.1)).collect();
    assert_eq!(s, vec![(State::Normal, State::Safe), (State::Safe, State::Normal)]);
}

#[test]
fn stats_add_up_after_quiescence() {
    let (lg, mut ps, _) = manual(|c| {
        c.normal_depth = 64;
        c.critical_depth = 64;
        c.dispatch_budget = 5;
    });
    let p = &mut ps[0];
    fill(p, Stream::Normal, 30);
    fill(p, Stream::Critical, 12);
    lg.tick().unwrap();
    lg.tick().unwrap();
    lg.step_writer().unwrap();
    let s = lg.stats();
    for stream in [Stream::Critical, Stream::Normal] {
        let i = stream as usize;
        assert_eq!(s.published[i], s.dispatched[i] + p.in_ring(stream), "{stream:?}: {s:?}");
        assert_eq!(s.persisted_stream[i], s.dispatched[i], "the writer took what was dispatched");
    }
    assert_eq!(s.dispatched, [10, 0], "critical first, 5 per tick");
    assert_eq!(s.lag, 42 - 10);
    while lg.tick().unwrap() > 0 {}
    lg.step_writer().unwrap();
    let s = lg.stats();
    assert_eq!((s.dispatched, s.persisted_stream, s.lag), ([12, 30], [12, 30], 0));
}

#[test]
fn overwrite_oldest_keeps_the_newest_and_marks_what_it_overwrote() {
    let (lg, mut ps, _) = manual(|c| c.normal_overflow = Overflow::OverwriteOldest);
    let st = fill(ps[0], Stream::Normal, 10);
    assert_eq!(st, vec![Status::Ok; 10], "publish never refuses in this mode");
    let s = lg.stats();
    assert_eq!((s.published, s.dropped), ([0, 10], [0, 6]));
    assert_eq!(ps[0].in_ring(Stream::Normal), 4);
    lg.step_supervisor(MS).unwrap();
    assert_eq!(lg.state(), State::Degraded, "overwritten records are a normal-stream loss");
    lg.shutdown().unwrap();
    assert_eq!(lg.stats().lag, 0, "overwritten records are not lag");
    assert_eq!(stream_events(&lg, 1), ["lost6@0", "d6", "d7", "d8", "d9"]);
    let frames = lg.dummy().unwrap().frames();
    let loss = frames.iter().find(|f| f.header.kind == FrameKind::Loss as u8).unwrap();
    let m = LossMarker::decode(&loss.payload).unwrap();
    assert_eq!((m.reason, m.first_seq, m.last_seq), (rtlog::format::LossReason::Overwritten, 0, 5));
}

#[test]
fn the_age_of_the_oldest_pending_record_grows_until_it_is_persisted() {
    let (lg, mut ps, _) = manual(|c| c.dispatch_budget = 1);
    fill(ps[0], Stream::Normal, 2);
    lg.tick().unwrap();
    std::thread::sleep(Duration::from_millis(20));
    let s = lg.stats();
    assert_eq!(s.lag, 2);
    assert!(s.oldest_pending_age_ns >= 20_000_000, "age {} ns", s.oldest_pending_age_ns);
    while lg.tick().unwrap() > 0 {}
    lg.step_writer().unwrap();
    let s = lg.stats();
    assert_eq!((s.lag, s.oldest_pending_age_ns), (0, 0));
}

/// An RT component signals a fault (`rtlog_signal_fault`): the next supervisor step enters
/// SAFE, and the code and the producer are in the callback's cause, in the log's state frame
/// and in the stats.
#[test]
fn a_signalled_fault_enters_safe_with_its_code_and_producer() {
    let (lg, ps, seen) = manual(|_| {});
    let stats = lg.stats();
    assert_eq!((stats.faults_signalled, stats.last_fault), (0, None));
    ps[0].signal_fault(0xBEEF);
    assert_eq!(lg.state(), State::Normal, "the RT side never changes the state itself");
    lg.step_supervisor(MS).unwrap();
    assert_eq!(lg.state(), State::Safe);
    let cause = seen.lock()[0].2.clone();
    assert_eq!(cause, "fault 48879 signalled by producer p (id 0)");
    lg.step_writer().unwrap();
    let d = lg.dummy().unwrap();
    let frame = d.frames().into_iter().find(|f| f.header.kind == FrameKind::State as u8).unwrap();
    let change = rtlog::format::StateChange::decode(&frame.payload).unwrap();
    assert_eq!((change.from, change.to), (State::Normal as u8, State::Safe as u8));
    assert_eq!(String::from_utf8(change.cause).unwrap(), cause);
    let stats = lg.stats();
    assert_eq!((stats.faults_signalled, stats.last_fault), (1, Some((0xBEEF, 0))));
    // Taken once: the next step changes nothing; rtlog_clear_fault leaves SAFE as usual.
    lg.step_supervisor(MS).unwrap();
    assert_eq!(seen.lock().len(), 1);
    lg.clear_fault().unwrap();
    lg.step_supervisor(MS).unwrap();
    assert_eq!(lg.state(), State::Normal);
}
