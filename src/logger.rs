//! The logger: owns every part and runs the lifecycle (non-RT, except [`Logger::tick`] and
//! [`Logger::state`]).
//!
//! INIT (`Logger::init`, `create_producer`*) allocates and prefaults all memory and recovers
//! the directory; `start` is the one-way barrier to RUN, where only `publish` and `tick` happen
//! on RT threads; `shutdown` closes the gate, dispatches and writes everything accepted, writes
//! the clean-close frame and joins the threads.

use crate::clock;
use crate::config::Config;
use crate::dispatcher::Dispatcher;
use crate::error::{Error, Result, Status};
use crate::faults::FaultInjector;
use crate::producer::{Producer, ProducerHot, ProducerShared, Stream};
use crate::quiesce::{Gate, PHASE_CLOSED, PHASE_INIT, PHASE_RUN};
use crate::recovery::{self, Recovered};
use crate::ring::{self, RingConsumer};
use crate::segment::{self, DirLock};
use crate::writer::{Writer, WriterSetup, WriterShared};
use crossbeam_utils::CachePadded;
use parking_lot::Mutex;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Longest accepted producer name in bytes.
pub const MAX_NAME_BYTES: usize = 64;
/// Memory budget of the writer's input ring.
const HANDOFF_BYTES: usize = 32 << 20;

/// The logger's health, as `rtlog_state`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Before `start`.
    Init = 0,
    /// Running, nothing lost.
    Normal = 1,
    /// Running with reduced service (normal-stream loss, writer lag).
    Degraded = 2,
    /// A critical record or a persistence operation failed.
    Critical = 3,
    /// Safe mode.
    Safe = 4,
    /// After `shutdown`.
    Stopped = 5,
}

/// A statistics snapshot.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Records accepted, per stream.
    pub published: [u64; 2],
    /// Records refused (`Full`) per stream.
    pub dropped: [u64; 2],
    /// Records moved to the writer per stream.
    pub dispatched: [u64; 2],
    /// Data records written to segment files.
    pub persisted: u64,
    /// Bytes written to segment files.
    pub bytes_written: u64,
    /// Highest LSN durable under the durability mode.
    pub durable_lsn: u64,
    /// Data records lost by failed writes or syncs.
    pub lost: u64,
    /// Failed writes.
    pub write_errors: u64,
    /// Failed syncs.
    pub sync_errors: u64,
    /// Successful `fdatasync` calls of segments.
    pub syncs: u64,
    /// Segments deleted by retention.
    pub segments_deleted: u64,
    /// errno of the last write or sync failure (0: none).
    pub last_errno: i32,
    /// Bytes cut from a torn tail at INIT.
    pub recovered_torn_bytes: u64,
    /// The epoch of this logger.
    pub epoch: u32,
}

/// The logger. `Sync`: its methods may be called from several threads; see each method for
/// which phase and thread it belongs to.
pub struct Logger {
    config: Config,
    gate: Arc<Gate>,
    state: AtomicU8,
    recovered: Recovered,
    /// Held from `init` until `shutdown` ends, so a stopped logger does not block the next one.
    lock: Mutex<Option<DirLock>>,
    dispatcher: Dispatcher,
    /// INIT-only state; also serialises `start` and `shutdown` against each other.
    lifecycle: Mutex<Lifecycle>,
    /// The producers, frozen at `start` (read lock-free by `flush` and `stats`).
    producers: OnceLock<Vec<Arc<ProducerShared>>>,
    writer: Arc<WriterShared>,
    ticker_stop: Arc<AtomicBool>,
    use_tsc: bool,
    faults: Option<Arc<FaultInjector>>,
}

struct Lifecycle {
    producers: Vec<Arc<ProducerShared>>,
    /// Producer handles given out (freed when the logger is dropped).
    handles: Vec<NonNull<Producer>>,
    handoff: Option<RingConsumer>,
    writer_thread: Option<JoinHandle<()>>,
    ticker_thread: Option<JoinHandle<()>>,
}

// SAFETY: the raw handle pointers in `Lifecycle` are owned boxes that the logger only frees in
// `Drop`; the handles themselves are `Send`. Everything else is `Sync`.
unsafe impl Send for Lifecycle {}

impl Logger {
    /// Validates the configuration, creates and locks the directory, recovers an existing log,
    /// and allocates the writer's input ring (INIT).
    pub fn init(config: Config) -> Result<Logger> {
        Logger::init_inner(config, None)
    }

    /// `init` with a fault injector under the writer's file operations (a test hook).
    pub fn init_with_faults(config: Config, faults: Arc<FaultInjector>) -> Result<Logger> {
        Logger::init_inner(config, Some(faults))
    }

    fn init_inner(config: Config, faults: Option<Arc<FaultInjector>>) -> Result<Logger> {
        config.validate()?;
        segment::create_dir(&config.dir)?;
        let lock = DirLock::acquire(&config.dir)?;
        let recovered = recovery::recover(&config.dir)?;
        let slot = ring::slot_bytes(config.max_record_size);
        let depth = (4 * config.dispatch_budget as usize)
            .max(8192)
            .min((HANDOFF_BYTES / slot).max(16));
        let (handoff_in, handoff_out) = ring::channel(depth as u32, config.max_record_size);
        let use_tsc = clock::calibration().uses_tsc();
        Ok(Logger {
            dispatcher: Dispatcher::new(handoff_in, config.max_producers as usize),
            gate: Arc::new(Gate::new()),
            state: AtomicU8::new(State::Init as u8),
            recovered,
            lock: Mutex::new(Some(lock)),
            lifecycle: Mutex::new(Lifecycle {
                producers: Vec::new(),
                handles: Vec::new(),
                handoff: Some(handoff_out),
                writer_thread: None,
                ticker_thread: None,
            }),
            producers: OnceLock::new(),
            writer: Arc::new(WriterShared::default()),
            ticker_stop: Arc::new(AtomicBool::new(false)),
            use_tsc,
            faults,
            config,
        })
    }

    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// What recovery found at INIT.
    pub fn recovered(&self) -> &Recovered {
        &self.recovered
    }

    /// Creates a producer with its two rings (INIT only). The handle stays valid until the
    /// logger is dropped and must be used by one thread at a time.
    pub fn create_producer(&self, name: &str) -> Result<NonNull<Producer>> {
        let mut life = self.lifecycle.lock();
        if self.gate.phase() != PHASE_INIT {
            return Err(Error::new(
                Status::InvalidState,
                "producers can only be created before rtlog_start",
            ));
        }
        if name.is_empty() || name.len() > MAX_NAME_BYTES {
            return Err(Error::new(
                Status::InvalidArgument,
                format!(
                    "producer name must be 1..={MAX_NAME_BYTES} bytes, got {}",
                    name.len()
                ),
            ));
        }
        if life.producers.iter().any(|p| p.name == name) {
            return Err(Error::new(
                Status::InvalidArgument,
                format!("producer name {name:?} is already used"),
            ));
        }
        if life.producers.len() >= self.config.max_producers as usize {
            return Err(Error::new(
                Status::Full,
                format!(
                    "all max_producers = {} producers exist",
                    self.config.max_producers
                ),
            ));
        }
        let c = &self.config;
        let (cp, cc) = ring::channel(c.critical_depth, c.max_record_size);
        let (np, nc) = ring::channel(c.normal_depth, c.max_record_size);
        let shared = Arc::new(ProducerShared {
            id: life.producers.len() as u16,
            name: name.to_owned(),
            hot: CachePadded::new(ProducerHot {
                active: AtomicBool::new(false),
                dropped: [AtomicU64::new(0), AtomicU64::new(0)],
            }),
            durable: [AtomicU64::new(0), AtomicU64::new(0)],
            durable_frozen: [AtomicBool::new(false), AtomicBool::new(false)],
            pushed: [cc.counter(), nc.counter()],
        });
        self.dispatcher.add_source([cc, nc]);
        let handle = Producer::new(
            [cp, np],
            shared.clone(),
            self.gate.clone(),
            c.max_record_size,
            self.use_tsc,
        );
        let ptr = NonNull::from(Box::leak(Box::new(handle)));
        life.handles.push(ptr);
        life.producers.push(shared);
        Ok(ptr)
    }

    /// The INIT → RUN barrier: opens the epoch's first segment, starts the writer (and the
    /// ticker thread when `dispatch_period_us > 0`), then lets publish and tick through.
    pub fn start(&self) -> Result<()> {
        let mut life = self.lifecycle.lock();
        if self.gate.phase() != PHASE_INIT {
            return Err(Error::new(
                Status::InvalidState,
                "rtlog_start was already called",
            ));
        }
        let c = &self.config;
        let producers = life.producers.clone();
        let input = life.handoff.take().expect("handoff ring present in INIT");
        let setup = WriterSetup {
            dir: c.dir.clone(),
            durability: c.durability,
            batch_records: c.batch_records,
            batch_interval: Duration::from_micros(c.batch_interval_us.into()),
            segment_bytes: c.segment_bytes,
            preallocate: c.preallocate,
            retention: crate::retention::Limits {
                segments: c.retention_segments,
                bytes: c.retention_bytes,
                age_s: c.retention_age_s,
            },
            faults: self.faults.clone(),
            max_payload: c.max_record_size,
            epoch: self.recovered.next_epoch,
            first_lsn: self.recovered.next_lsn,
            first_segment: self.recovered.next_segment,
            calibration: clock::calibration(),
            producers: producers.clone(),
            input,
            shared: self.writer.clone(),
        };
        let writer = Writer::open(setup)?;
        let thread = std::thread::Builder::new()
            .name("rtlog-writer".into())
            .spawn(move || writer.run())
            .map_err(|e| Error::io("starting the writer thread", e))?;
        life.writer_thread = Some(thread);
        let _ = self.producers.set(producers);
        self.state.store(State::Normal as u8, Ordering::Release);
        assert!(
            self.gate.open(),
            "the gate is opened only here, under the lifecycle lock"
        );
        Ok(())
    }

    /// Starts the internal ticker thread (`dispatch_period_us > 0`). Separate from `start`
    /// because the thread needs an `Arc` of the logger.
    pub fn start_ticker(self: &Arc<Self>) -> Result<()> {
        let period = self.config.dispatch_period_us;
        if period == 0 {
            return Ok(());
        }
        let mut life = self.lifecycle.lock();
        if life.ticker_thread.is_some() || self.gate.phase() != PHASE_RUN {
            return Ok(());
        }
        let lg = Arc::downgrade(self);
        let stop = self.ticker_stop.clone();
        let thread = std::thread::Builder::new()
            .name("rtlog-ticker".into())
            .spawn(move || ticker_loop(lg, stop, Duration::from_micros(period.into())))
            .map_err(|e| Error::io("starting the ticker thread", e))?;
        life.ticker_thread = Some(thread);
        Ok(())
    }

    /// Moves up to `dispatch_budget` records to the writer. **RT-safe** (bounded, no
    /// allocation, no lock, no syscall). Returns the count moved (0 when another thread is
    /// ticking), or `InvalidState` outside RUN.
    #[inline]
    pub fn tick(&self) -> std::result::Result<u32, Status> {
        if self.gate.phase() != PHASE_RUN {
            return Err(Status::InvalidState);
        }
        Ok(self
            .dispatcher
            .tick(self.config.dispatch_budget)
            .map_or(0, |m| m.records))
    }

    /// The current state. RT-safe (one atomic load).
    #[inline]
    pub fn state(&self) -> State {
        match self.state.load(Ordering::Acquire) {
            0 => State::Init,
            1 if self.writer.errors() > 0 => State::Critical,
            1 => State::Normal,
            2 => State::Degraded,
            3 => State::Critical,
            4 => State::Safe,
            _ => State::Stopped,
        }
    }

    /// A statistics snapshot (non-RT; lock-free).
    pub fn stats(&self) -> Stats {
        let mut s = Stats {
            epoch: self.recovered.next_epoch,
            recovered_torn_bytes: self.recovered.torn_bytes,
            ..Stats::default()
        };
        let w = &self.writer;
        s.persisted = w.persisted.load(Ordering::Relaxed);
        s.bytes_written = w.bytes_written.load(Ordering::Relaxed);
        s.durable_lsn = w.durable_lsn.load(Ordering::Acquire);
        s.lost = w.lost.load(Ordering::Relaxed);
        s.write_errors = w.write_errors.load(Ordering::Relaxed);
        s.sync_errors = w.sync_errors.load(Ordering::Relaxed);
        s.syncs = w.syncs.load(Ordering::Relaxed);
        s.segments_deleted = w.segments_deleted.load(Ordering::Relaxed);
        s.last_errno = w.last_errno.load(Ordering::Relaxed);
        let producers: Vec<Arc<ProducerShared>>;
        let list = match self.producers.get() {
            Some(p) => p,
            None => {
                producers = self.lifecycle.lock().producers.clone();
                &producers
            }
        };
        for stream in Stream::ALL {
            let i = stream as usize;
            s.dispatched[i] = self.dispatcher.dispatched(stream);
            for p in list {
                s.published[i] += p.published(stream);
                s.dropped[i] += p.dropped(stream);
            }
        }
        s
    }

    /// Waits until every record accepted before the call is durable under the durability
    /// mode, dispatching pending records itself (non-RT). `Timeout` when `timeout` passes
    /// first; `Io` when a write or sync failed meanwhile.
    pub fn flush(&self, timeout: Duration) -> Result<()> {
        if self.gate.phase() != PHASE_RUN {
            return Err(Error::new(
                Status::InvalidState,
                "rtlog_flush needs a running logger",
            ));
        }
        let producers = self.producers.get().expect("set at start");
        let targets: Vec<[u64; 2]> = producers
            .iter()
            .map(|p| [p.published(Stream::Critical), p.published(Stream::Normal)])
            .collect();
        let errors_before = self.writer.errors();
        let deadline = Instant::now() + timeout;
        loop {
            while self
                .dispatcher
                .tick(self.config.dispatch_budget)
                .is_some_and(|m| m.records > 0)
            {}
            self.writer.flush_requests.fetch_add(1, Ordering::Release);
            self.wake_writer();
            let done = producers.iter().zip(&targets).all(|(p, t)| {
                p.durable(Stream::Critical) >= t[0] && p.durable(Stream::Normal) >= t[1]
            });
            if done {
                return Ok(());
            }
            let lost = producers.iter().zip(&targets).find(|(p, t)| {
                Stream::ALL
                    .iter()
                    .any(|&s| p.durable_frozen(s) && p.durable(s) < t[s as usize])
            });
            if let Some((p, _)) = lost {
                return Err(Error::new(
                    Status::Io,
                    format!(
                        "records of producer {:?} were lost by a failed write or sync and will never \
                         be durable (last failure: {})",
                        p.name,
                        self.writer.last_error.lock().clone().unwrap_or_default()
                    ),
                ));
            }
            if self.writer.errors() > errors_before {
                let msg = self.writer.last_error.lock().clone().unwrap_or_default();
                return Err(Error::new(Status::Io, format!("flush failed: {msg}")));
            }
            if Instant::now() >= deadline {
                return Err(Error::new(
                    Status::Timeout,
                    format!("records were not durable within {} ms", timeout.as_millis()),
                ));
            }
            std::thread::sleep(Duration::from_micros(100));
        }
    }

    fn wake_writer(&self) {
        if let Some(t) = &self.lifecycle.lock().writer_thread {
            t.thread().unpark();
        }
    }

    /// Stops publishing, dispatches and writes everything accepted, writes the clean-close
    /// frame and joins the threads (non-RT). A second call is `InvalidState`; a call before
    /// `start` just stops the logger.
    pub fn shutdown(&self) -> Result<()> {
        let mut life = self.lifecycle.lock();
        let active = life.producers.iter().map(|p| &p.hot.active);
        match self.gate.close(active) {
            PHASE_INIT => {
                self.state.store(State::Stopped as u8, Ordering::Release);
                self.lock.lock().take();
                return Ok(());
            }
            PHASE_CLOSED => {
                return Err(Error::new(
                    Status::InvalidState,
                    "rtlog_shutdown was already called",
                ))
            }
            _ => {}
        }
        self.ticker_stop.store(true, Ordering::Release);
        if let Some(t) = life.ticker_thread.take() {
            t.thread().unpark();
            let _ = t.join();
        }
        // Every accepted record is in a ring now; move them all to the writer.
        loop {
            let moved = self.dispatcher.tick(u32::MAX).unwrap_or_default();
            if !moved.output_full && self.dispatcher.pending() == Some(0) {
                break;
            }
            if let Some(t) = &life.writer_thread {
                t.thread().unpark();
            }
            std::thread::sleep(Duration::from_micros(50));
        }
        self.writer.stop.store(true, Ordering::Release);
        let joined = match life.writer_thread.take() {
            Some(t) => {
                t.thread().unpark();
                t.join().is_ok()
            }
            None => true,
        };
        self.state.store(State::Stopped as u8, Ordering::Release);
        self.lock.lock().take();
        if !joined {
            return Err(Error::new(Status::Internal, "the writer thread panicked"));
        }
        if let Some(msg) = self.writer.last_error.lock().clone() {
            return Err(Error::new(
                Status::Io,
                format!("shut down, but writing failed: {msg}"),
            ));
        }
        Ok(())
    }
}

impl Drop for Logger {
    fn drop(&mut self) {
        if self.gate.phase() != PHASE_CLOSED {
            let _ = self.shutdown();
        }
        for ptr in self.lifecycle.get_mut().handles.drain(..) {
            // SAFETY: each pointer came from `Box::leak` in `create_producer` and is freed once,
            // here; the C contract forbids using a producer handle after `rtlog_destroy`.
            drop(unsafe { Box::from_raw(ptr.as_ptr()) });
        }
    }
}

/// The internal ticker (`dispatch_period_us > 0`): a non-RT thread that ticks at a fixed
/// period until shutdown.
fn ticker_loop(lg: std::sync::Weak<Logger>, stop: Arc<AtomicBool>, period: Duration) {
    let mut next = Instant::now();
    while !stop.load(Ordering::Acquire) {
        let Some(lg) = lg.upgrade() else { return };
        // Keep ticking while a tick fills its whole budget; then wait for the next period.
        while lg.tick().is_ok_and(|n| n == lg.config.dispatch_budget) {}
        drop(lg);
        next += period;
        let now = Instant::now();
        if next > now {
            std::thread::park_timeout(next - now);
        } else {
            next = now;
        }
    }
}
