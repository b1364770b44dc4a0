//! The supervisor (non-RT): the state machine NORMAL → DEGRADED → CRITICAL → SAFE.
//!
//! RT components never change the state; they only count (refused records per producer and
//! stream) and the writer counts its failures. The supervisor compares those counters with
//! what it saw at its previous step and moves the state:
//!
//! | from | to | when |
//! |---|---|---|
//! | NORMAL | DEGRADED | a normal-stream record was lost, or the writer lags more than the threshold |
//! | NORMAL, DEGRADED | CRITICAL | a critical record was refused, or a write or sync failed (disk full included), or the writer or the ticker made no progress for `stall_timeout_ms` while work was pending, or the writer thread died |
//! | DEGRADED | NORMAL | no normal loss and no lag for the quiet period |
//! | CRITICAL | SAFE | the `safe_on_critical` policy |
//! | any running state | SAFE | `rtlog_enter_safe_mode`, or a fault an RT component signalled (`rtlog_signal_fault`) |
//! | CRITICAL, SAFE | NORMAL | `rtlog_clear_fault` (only) |
//!
//! Each transition is published with one atomic store (so `rtlog_get_state` is one load),
//! written to the log as a state frame (old state, new state, cause) and reported to the
//! optional callback — on the supervisor's thread, never on an RT thread.
//!
//! Time is passed in by the caller of [`Supervisor::step`]: the supervisor thread passes the
//! real elapsed time, a manual-mode test passes whatever it wants, so tests are deterministic.

use crate::rt::producer::{ProducerShared, Stream, FAULT_PENDING};
use crate::rt::quiesce::Gate;
use crate::state::{State, StateCallback};
use crate::writer::WriterShared;
use parking_lot::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// What the supervisor shares with the logger's API.
#[derive(Debug)]
pub(crate) struct SupervisorShared {
    /// The state, as `State as u8`. Written by the supervisor (and by start/shutdown).
    pub(crate) state: AtomicU8,
    /// Transitions so far.
    pub(crate) transitions: AtomicU64,
    /// A pending `rtlog_enter_safe_mode`, with its reason.
    pub(crate) safe_request: Mutex<Option<String>>,
    /// A pending `rtlog_clear_fault`.
    pub(crate) clear_request: AtomicBool,
    /// The producers' gate, whose normal stream is blocked in SAFE: the normal stream refuses
    /// records.
    pub(crate) gate: Arc<Gate>,
    /// Faults taken from producers (`rtlog_signal_fault`).
    pub(crate) faults: AtomicU64,
    /// The last one: `(producer id + 1) << 32 | code`, 0 before any.
    last_fault: AtomicU64,
    /// Rounds of the internal ticker: its heartbeat.
    pub(crate) ticker_beats: AtomicU64,
    /// The threads seen stalled ([`STALLED_WRITER`], [`STALLED_TICKER`]); a bit is cleared
    /// when its thread makes progress again.
    pub(crate) stalled: AtomicU32,
}

/// [`SupervisorShared::stalled`]: the writer made no progress (or its thread died).
pub const STALLED_WRITER: u32 = 1;
/// [`SupervisorShared::stalled`]: the internal ticker made no progress.
pub const STALLED_TICKER: u32 = 2;

impl SupervisorShared {
    pub(crate) fn new(gate: Arc<Gate>) -> SupervisorShared {
        SupervisorShared {
            state: AtomicU8::new(State::Init as u8),
            transitions: AtomicU64::new(0),
            safe_request: Mutex::new(None),
            clear_request: AtomicBool::new(false),
            gate,
            faults: AtomicU64::new(0),
            last_fault: AtomicU64::new(0),
            ticker_beats: AtomicU64::new(0),
            stalled: AtomicU32::new(0),
        }
    }

    /// The last fault a producer signalled: its code and the producer's id.
    pub(crate) fn last_fault(&self) -> Option<(u32, u16)> {
        let v = self.last_fault.load(Ordering::Relaxed);
        (v != 0).then(|| (v as u32, ((v >> 32) - 1) as u16))
    }

    /// The current state (one atomic load; RT-safe).
    #[inline]
    pub(crate) fn state(&self) -> State {
        State::from_u8(self.state.load(Ordering::Acquire))
    }
}

/// Supervisor settings.
#[derive(Clone, Debug)]
pub(crate) struct Policy {
    /// How long DEGRADED must be quiet before returning to NORMAL.
    pub(crate) quiet: Duration,
    /// Records published but not yet persisted above which the writer counts as lagging.
    pub(crate) lag_threshold: u64,
    /// Go to SAFE as soon as CRITICAL is entered.
    pub(crate) safe_on_critical: bool,
    pub(crate) callback: Option<StateCallback>,
    /// Records per normal ring (for re-enabling a disabled normal stream at half).
    pub(crate) normal_depth: u64,
    /// Whether the normal overflow policy is DISABLE: only then may a producer's normal stream
    /// be disabled, and only then does a step read the flag (on the line every publish writes).
    pub(crate) reenable_normal: bool,
    /// A thread without progress this long while work waits for it is stalled (zero: not
    /// watched, as in manual mode, where the caller steps the writer).
    pub(crate) stall_timeout: Duration,
    /// Whether an internal ticker runs (and is watched).
    pub(crate) watch_ticker: bool,
}

/// A heartbeat as last seen: its value and the (virtual) time it last moved.
#[derive(Clone, Copy, Default)]
struct Beat {
    value: u64,
    since: Duration,
}

impl Beat {
    /// Notes the heartbeat's value now; returns how long it has not moved.
    fn still_for(&mut self, value: u64, now: Duration) -> Duration {
        if value != self.value {
            *self = Beat { value, since: now };
        }
        now - self.since
    }
}

#[derive(Clone, Copy, Default)]
struct Seen {
    dropped: [u64; 2],
    write_errors: u64,
    sync_errors: u64,
}

pub(crate) struct Supervisor {
    shared: Arc<SupervisorShared>,
    writer: Arc<WriterShared>,
    producers: Vec<Arc<ProducerShared>>,
    policy: Policy,
    seen: Seen,
    /// Virtual time: the sum of the steps' `elapsed`.
    now: Duration,
    last_trouble: Duration,
    writer_beat: Beat,
    ticker_beat: Beat,
}

impl Supervisor {
    pub(crate) fn new(
        shared: Arc<SupervisorShared>,
        writer: Arc<WriterShared>,
        producers: Vec<Arc<ProducerShared>>,
        policy: Policy,
    ) -> Supervisor {
        Supervisor {
            shared,
            writer,
            producers,
            policy,
            seen: Seen::default(),
            now: Duration::ZERO,
            last_trouble: Duration::ZERO,
            writer_beat: Beat::default(),
            ticker_beat: Beat::default(),
        }
    }

    fn snapshot(&self) -> Seen {
        let mut s = Seen {
            write_errors: self.writer.write_errors.load(Ordering::Relaxed),
            sync_errors: self.writer.sync_errors.load(Ordering::Relaxed),
            ..Seen::default()
        };
        for p in &self.producers {
            for stream in Stream::ALL {
                s.dropped[stream as usize] += p.dropped(stream);
            }
        }
        s
    }

    /// Records accepted but neither persisted nor lost yet.
    pub(crate) fn lag(&self) -> u64 {
        let published: u64 = self
            .producers
            .iter()
            .map(|p| p.published(Stream::Critical) + p.published(Stream::Normal))
            .sum();
        let overwritten: u64 = self.producers.iter().map(|p| p.overwritten()).sum();
        published.saturating_sub(self.writer.settled() + overwritten)
    }

    /// One step, `elapsed` after the previous one. Returns the transitions it made.
    pub(crate) fn step(&mut self, elapsed: Duration) -> usize {
        self.now += elapsed;
        let snap = self.snapshot();
        let critical_loss = snap.dropped[0] - self.seen.dropped[0];
        // In SAFE the normal stream is refused on purpose: those refusals are not a loss that
        // should degrade the state once the fault is cleared (in this very step, maybe).
        let normal_loss = match self.state() {
            State::Safe => 0,
            _ => snap.dropped[1] - self.seen.dropped[1],
        };
        let write_failed = snap.write_errors > self.seen.write_errors;
        let sync_failed = snap.sync_errors > self.seen.sync_errors;
        self.seen = snap;
        let lag = self.lag();
        let lagging = lag > self.policy.lag_threshold;
        let mut made = 0;

        if self.shared.clear_request.swap(false, Ordering::AcqRel)
            && matches!(self.state(), State::Critical | State::Safe)
        {
            made += self.transition(State::Normal, "fault cleared by rtlog_clear_fault".into());
        }
        made += self.take_faults();
        let safe_request = self.shared.safe_request.lock().take();
        if let Some(reason) = safe_request {
            if self.state() != State::Safe {
                made += self.transition(State::Safe, format!("rtlog_enter_safe_mode: {reason}"));
            }
        }
        let persistence = if sync_failed {
            Some(format!("fdatasync failed: {}", self.last_error()))
        } else if write_failed {
            let errno = self.writer.last_errno.load(Ordering::Relaxed);
            let what = if errno == libc::ENOSPC { "disk full" } else { "write failed" };
            Some(format!("{what}: {}", self.last_error()))
        } else {
            None
        };
        let stall = self.stalls(lag);
        let escalation = if critical_loss > 0 {
            Some(format!("{critical_loss} critical record(s) refused: ring full"))
        } else {
            persistence.or(stall)
        };
        if normal_loss > 0 || lagging {
            self.last_trouble = self.now;
        }
        match self.state() {
            State::Normal | State::Degraded if escalation.is_some() => {
                made += self.transition(State::Critical, escalation.unwrap_or_default());
            }
            State::Normal if normal_loss > 0 => {
                made += self
                    .transition(State::Degraded, format!("{normal_loss} normal record(s) lost"));
            }
            State::Normal if lagging => {
                let threshold = self.policy.lag_threshold;
                made += self.transition(
                    State::Degraded,
                    format!("writer lags {lag} records (threshold {threshold})"),
                );
            }
            State::Degraded if self.now - self.last_trouble >= self.policy.quiet => {
                let quiet = self.policy.quiet.as_millis();
                made +=
                    self.transition(State::Normal, format!("no loss and no lag for {quiet} ms"));
            }
            _ => {}
        }
        // DISABLE policy: a producer's normal stream comes back once its ring has drained to
        // half, so it does not flap between full and disabled.
        for p in self.producers.iter().filter(|_| self.policy.reenable_normal) {
            let disabled = &p.hot.normal_disabled;
            if disabled.load(Ordering::Relaxed)
                && p.in_ring(Stream::Normal) <= self.policy.normal_depth / 2
            {
                disabled.store(false, Ordering::Relaxed);
            }
        }
        if self.state() == State::Critical && self.policy.safe_on_critical {
            made += self.transition(State::Safe, "policy safe_on_critical".into());
        }
        made
    }

    /// The liveness check: the writer thread died, or the writer (with records pending) or
    /// the ticker (with records in the producers' rings) has not moved for `stall_timeout`.
    /// Keeps [`SupervisorShared::stalled`] up to date; returns the cause of a new stall.
    fn stalls(&mut self, lag: u64) -> Option<String> {
        let timeout = self.policy.stall_timeout;
        if timeout.is_zero() {
            return None;
        }
        let now = self.now;
        let writer_still =
            self.writer_beat.still_for(self.writer.heartbeat.load(Ordering::Relaxed), now);
        let writer = if self.writer.exited.load(Ordering::Acquire)
            && !self.writer.stop.load(Ordering::Acquire)
        {
            Some("the writer thread died (a panic): nothing more will be written".to_owned())
        } else if lag > 0 && writer_still >= timeout {
            Some(format!(
                "writer stalled: no progress for {} ms with {lag} record(s) pending",
                writer_still.as_millis()
            ))
        } else {
            None
        };
        let in_rings: u64 = self
            .producers
            .iter()
            .map(|p| p.in_ring(Stream::Critical) + p.in_ring(Stream::Normal))
            .sum();
        let ticker_still =
            self.ticker_beat.still_for(self.shared.ticker_beats.load(Ordering::Relaxed), now);
        let ticker =
            (self.policy.watch_ticker && in_rings > 0 && ticker_still >= timeout).then(|| {
                format!(
                    "ticker stalled: no tick for {} ms with {in_rings} record(s) in the rings",
                    ticker_still.as_millis()
                )
            });
        let bits = (u32::from(writer.is_some()) * STALLED_WRITER)
            | (u32::from(ticker.is_some()) * STALLED_TICKER);
        let before = self.shared.stalled.swap(bits, Ordering::Relaxed);
        // Only a stall not reported yet escalates (the state may have been cleared meanwhile).
        if bits & !before == 0 {
            return None;
        }
        writer.or(ticker)
    }

    /// Faults the producers signalled since the last step: each is counted and kept in the
    /// stats, and the first moves the state to SAFE with the code and the producer as cause.
    fn take_faults(&mut self) -> usize {
        let mut made = 0;
        for i in 0..self.producers.len() {
            // A load first: a swap on every step would write the line even with no fault
            // pending, and take it from the producer's CPU each time.
            let fault = &self.producers[i].fault;
            if fault.load(Ordering::Relaxed) & FAULT_PENDING == 0 {
                continue;
            }
            let raw = fault.swap(0, Ordering::Acquire);
            let (code, p) = (raw as u32, &self.producers[i]);
            self.shared.faults.fetch_add(1, Ordering::Relaxed);
            let last = (u64::from(p.id) + 1) << 32 | u64::from(code);
            self.shared.last_fault.store(last, Ordering::Relaxed);
            let cause = format!("fault {code} signalled by producer {} (id {})", p.name, p.id);
            if matches!(self.state(), State::Normal | State::Degraded | State::Critical) {
                made += self.transition(State::Safe, cause);
            }
        }
        made
    }

    fn state(&self) -> State {
        self.shared.state()
    }

    fn last_error(&self) -> String {
        self.writer.last_error.lock().clone().unwrap_or_default()
    }

    fn transition(&mut self, to: State, cause: String) -> usize {
        let from = self.state();
        if from == to {
            return 0;
        }
        self.shared.gate.set_normal_blocked(to == State::Safe);
        self.shared.state.store(to as u8, Ordering::Release);
        self.shared.transitions.fetch_add(1, Ordering::Relaxed);
        if to == State::Normal {
            self.last_trouble = self.now;
        }
        self.writer.state_changes.lock().push((from, to, cause.clone()));
        if let Some(cb) = &self.policy.callback {
            (cb.0)(from, to, &cause);
        }
        1
    }
}
