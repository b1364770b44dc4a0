//! The logger: owns every part and runs the lifecycle (non-RT, except [`Logger::tick`] and
//! [`Logger::state`]).
//!
//! INIT (`Logger::init`, `create_producer`*) allocates and prefaults all memory and recovers
//! the log; `start` is the one-way barrier to RUN, where only `publish` and `tick` happen on
//! RT threads; `shutdown` closes the gate, dispatches and writes everything accepted, writes
//! the clean-close frame and joins the threads.
//!
//! Threads: the writer and the supervisor each run on their own non-RT thread, and a ticker
//! thread when `dispatch_period_us > 0`. In manual mode there are none: the caller ticks and
//! steps the writer and the supervisor, so a test can assert the exact state after each step.

use crate::config::{Config, Overflow};
use crate::dlt::{self, DltFeed, DltSender, DltShared, DltStats};
use crate::error::{Error, Result, Status};
use crate::format::Level;
use crate::rt::clock;
use crate::rt::dispatcher::Dispatcher;
use crate::rt::producer::{Producer, ProducerCounters, ProducerHot, ProducerShared, Stream};
use crate::rt::quiesce::{Gate, PHASE_CLOSED, PHASE_INIT, PHASE_RUN};
use crate::rt::ring::{self, RingConsumer};
use crate::rt::watermark::{DurableCount, Progress};
use crate::schema::Registry;
use crate::state::State;
use crate::storage::backend::dummy::DummyShared;
use crate::storage::dir::DirLock;
use crate::storage::faults::FaultInjector;
use crate::storage::recovery::Recovered;
use crate::storage::sigxfsz;
use crate::storage::{self, Backend};
use crate::supervisor::{Policy, Supervisor, SupervisorShared};
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
    /// Bytes of segments that retention's limits would delete but that it keeps because the
    /// shipper has not shipped them yet (`retention_keep_unshipped`; as of the last pass).
    pub retention_unshipped_bytes: u64,
    /// errno of the last write or sync failure (0: none).
    pub last_errno: i32,
    /// Longest successful `fdatasync`, in ns.
    pub max_sync_ns: u64,
    /// Data records written per stream.
    pub persisted_stream: [u64; 2],
    /// Records accepted but not yet persisted (nor lost).
    pub lag: u64,
    /// Age of the oldest record not yet persisted, in ns: of those the writer holds, and those
    /// a tick saw waiting in a producer ring (measured at the last tick; 0 when nothing is
    /// pending or no tick saw it yet).
    pub oldest_pending_age_ns: u64,
    /// State transitions so far.
    pub transitions: u64,
    /// The state when the snapshot was taken.
    pub state: Option<State>,
    /// Bytes cut from a torn tail at INIT.
    pub recovered_torn_bytes: u64,
    /// The epoch of this logger.
    pub epoch: u32,
    /// Messages below their producer's threshold (not published, not dropped).
    pub filtered: u64,
    /// Faults signalled by producers (`rtlog_signal_fault`) that the supervisor took.
    pub faults_signalled: u64,
    /// The last of them: its code and the id of the producer that signalled it.
    pub last_fault: Option<(u32, u16)>,
    /// The threads the supervisor sees stalled now (`supervisor::STALLED_*` bits).
    pub stalled: u32,
}

/// The logger. `Sync`: its methods may be called from several threads; see each method for
/// which phase and thread it belongs to.
pub struct Logger {
    config: Config,
    gate: Arc<Gate>,
    supervision: Arc<SupervisorShared>,
    recovered: Recovered,
    /// Held from `init` until `shutdown` ends, so a stopped logger does not block the next one.
    lock: Mutex<Option<DirLock>>,
    dispatcher: Dispatcher,
    /// INIT-only state and the threads; also serialises `start` and `shutdown`.
    lifecycle: Mutex<Lifecycle>,
    /// Record types registered during INIT (read-only from `start` on). Apart from
    /// `lifecycle` so that `type_size` never waits for a shutdown; taken after it when both are.
    types: Mutex<Registry>,
    /// The producers, frozen at `start` (read lock-free by `flush` and `stats`).
    producers: OnceLock<Vec<Arc<ProducerShared>>>,
    writer: Arc<WriterShared>,
    /// Tells the ticker and supervisor threads to end.
    stop_threads: Arc<AtomicBool>,
    use_tsc: bool,
    dummy: Option<Arc<DummyShared>>,
    /// Manual mode: the writer and the supervisor, stepped by the caller.
    manual: Mutex<Manual>,
    /// The DLT sink's counters, when it is enabled.
    dlt: Option<Arc<DltShared>>,
    /// The message threshold given to producers created from now on (`rtlog_set_level`).
    level: AtomicU8,
    /// Levels of record types registered with one other than `Info` (INIT only).
    type_levels: Mutex<Vec<(u16, Level)>>,
}

#[derive(Default)]
struct Manual {
    writer: Option<Writer>,
    supervisor: Option<Supervisor>,
    /// The DLT sink's connection end, stepped after the writer.
    dlt: Option<DltSender>,
}

struct Lifecycle {
    producers: Vec<Arc<ProducerShared>>,
    /// Producer handles given out (freed when the logger is dropped).
    handles: Vec<NonNull<Producer>>,
    handoff: Option<RingConsumer>,
    backend: Option<Box<dyn Backend>>,
    writer_thread: Option<JoinHandle<()>>,
    ticker_thread: Option<JoinHandle<()>>,
    supervisor_thread: Option<JoinHandle<()>>,
    /// The DLT sink's two ends (INIT), then its thread.
    dlt: Option<(DltFeed, DltSender)>,
    dlt_thread: Option<JoinHandle<()>>,
}

// SAFETY: the raw handle pointers in `Lifecycle` are owned boxes that the logger only frees in
// `Drop`; the handles themselves are `Send`. Everything else is `Send`.
unsafe impl Send for Lifecycle {}

impl Logger {
    /// Validates the configuration, creates and locks the directory (file backend), recovers
    /// an existing log, and allocates the writer's input ring (INIT).
    pub fn init(config: Config) -> Result<Logger> {
        Logger::init_inner(config, None)
    }

    /// `init` with a fault injector under the file backend's operations (a test hook: only
    /// with the `test-hooks` feature).
    #[cfg(feature = "test-hooks")]
    pub fn init_with_faults(config: Config, faults: Arc<FaultInjector>) -> Result<Logger> {
        Logger::init_inner(config, Some(faults))
    }

    fn init_inner(config: Config, faults: Option<Arc<FaultInjector>>) -> Result<Logger> {
        config.validate()?;
        let storage::Opened { mut backend, lock, dummy } =
            storage::open(config.backend, &config.dir, config.direct_io, faults)?;
        let recovered = backend.recover()?;
        let slot = ring::slot_bytes(config.max_record_size);
        let depth =
            (4 * config.dispatch_budget as usize).max(8192).min((HANDOFF_BYTES / slot).max(16));
        let (handoff_in, handoff_out) = ring::channel(depth as u32, config.max_record_size);
        let use_tsc = clock::calibration().uses_tsc();
        let gate = Arc::new(Gate::new());
        let dlt_ends = config
            .dlt
            .enable
            .then(|| dlt::channel(&config.dlt, config.max_record_size, config.max_producers));
        let dlt_shared = dlt_ends.as_ref().map(|(feed, _)| feed.shared());
        Ok(Logger {
            dispatcher: Dispatcher::new(handoff_in, config.max_producers as usize),
            supervision: Arc::new(SupervisorShared::new(gate.clone())),
            gate,
            recovered,
            lock: Mutex::new(lock),
            lifecycle: Mutex::new(Lifecycle {
                producers: Vec::new(),
                handles: Vec::new(),
                handoff: Some(handoff_out),
                backend: Some(backend),
                writer_thread: None,
                ticker_thread: None,
                supervisor_thread: None,
                dlt: dlt_ends,
                dlt_thread: None,
            }),
            types: Mutex::new(Registry::default()),
            producers: OnceLock::new(),
            writer: Arc::new(WriterShared::default()),
            stop_threads: Arc::new(AtomicBool::new(false)),
            use_tsc,
            dummy,
            manual: Mutex::new(Manual::default()),
            dlt: dlt_shared,
            level: AtomicU8::new(DEFAULT_LEVEL as u8),
            type_levels: Mutex::new(Vec::new()),
            config,
        })
    }

    /// A test hook that simulates the process dying: the directory lock is released (as the
    /// kernel would) and nothing else happens — no shutdown, no final write or sync; the
    /// memory is leaked. Meaningful in manual mode, where no thread keeps running.
    #[doc(hidden)]
    pub fn simulate_crash(self) {
        self.lock.lock().take();
        std::mem::forget(self);
    }

    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// What recovery found at INIT.
    pub fn recovered(&self) -> &Recovered {
        &self.recovered
    }

    /// The dummy backend's frames and fault script (`BackendKind::Dummy` only).
    pub fn dummy(&self) -> Option<&Arc<DummyShared>> {
        self.dummy.as_ref()
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
                format!("producer name must be 1..={MAX_NAME_BYTES} bytes, got {}", name.len()),
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
                format!("all max_producers = {} producers exist", self.config.max_producers),
            ));
        }
        let c = &self.config;
        let (cp, cc) = ring::channel(c.critical_depth, c.max_record_size);
        let (np, nc) = match c.normal_overflow {
            Overflow::OverwriteOldest => {
                ring::channel_overwriting(c.normal_depth, c.max_record_size)
            }
            _ => ring::channel(c.normal_depth, c.max_record_size),
        };
        let shared = Arc::new(ProducerShared {
            id: life.producers.len() as u16,
            name: name.to_owned(),
            hot: CachePadded::new(ProducerHot {
                active: AtomicBool::new(false),
                normal_disabled: AtomicBool::new(false),
                threshold: AtomicU8::new(self.level.load(Ordering::Relaxed)),
            }),
            counters: CachePadded::new(ProducerCounters {
                dropped: [AtomicU64::new(0), AtomicU64::new(0)],
                overwritten: AtomicU64::new(0),
                filtered: AtomicU64::new(0),
            }),
            fault: CachePadded::new(AtomicU64::new(0)),
            durable: [DurableCount::new(), DurableCount::new()],
            pushed: [cc.counter(), nc.counter()],
        });
        self.dispatcher.add_source([cc, nc]);
        let handle = Producer::new(
            [cp, np],
            shared.clone(),
            self.gate.clone(),
            c.producer_params(),
            self.use_tsc,
        );
        let ptr = NonNull::from(Box::leak(Box::new(handle)));
        life.handles.push(ptr);
        life.producers.push(shared);
        Ok(ptr)
    }

    /// Registers a record type (INIT only): publishing records of type `id` whose payload is
    /// laid out as `layout` lets readers decode them by field (see [`crate::schema`]). Gives
    /// the record size the layout stands for. Bad names and layouts, duplicates and types
    /// larger than `max_record_size` are `Config` errors whose message names the problem.
    pub fn register_type(&self, id: u16, name: &str, layout: &str) -> Result<u32> {
        // Held so that `start` (which takes the types for the writer) cannot run in between.
        let _life = self.lifecycle.lock();
        if self.gate.phase() != PHASE_INIT {
            return Err(Error::new(
                Status::InvalidState,
                "record types can only be registered before rtlog_start",
            ));
        }
        let mut types = self.types.lock();
        Ok(types.register(id, name, layout, self.config.max_record_size)?.layout.size())
    }

    /// Gives the records of type `id` (registered or not) `level` instead of `Info`, in every
    /// frame the writer writes for them. INIT only.
    pub fn set_type_level(&self, id: u16, level: Level) -> Result<()> {
        let _life = self.lifecycle.lock();
        if self.gate.phase() != PHASE_INIT {
            return Err(Error::new(
                Status::InvalidState,
                "record type levels can only be set before rtlog_start",
            ));
        }
        let mut levels = self.type_levels.lock();
        levels.retain(|(t, _)| *t != id);
        levels.push((id, level));
        Ok(())
    }

    /// Sets the message threshold of every producer, and the one producers created later
    /// start with. Any phase, any thread; from `start` on it takes no lock and makes one
    /// atomic store per producer (before `start`, INIT's lock).
    pub fn set_level(&self, level: Level) {
        self.level.store(level as u8, Ordering::Relaxed);
        match self.producers.get() {
            Some(producers) => producers.iter().for_each(|p| p.set_threshold(level)),
            None => self.lifecycle.lock().producers.iter().for_each(|p| p.set_threshold(level)),
        }
    }

    /// The size of the record type registered under `id`, if there is one (any phase).
    pub fn type_size(&self, id: u16) -> Option<u32> {
        self.types.lock().get(id).map(|t| t.layout.size())
    }

    /// The INIT → RUN barrier: opens the epoch's first segment, starts the writer and the
    /// supervisor (threads, or manual slots), then lets publish and tick through. The ticker
    /// thread is started by [`start_ticker`](Self::start_ticker).
    pub fn start(&self) -> Result<()> {
        let mut life = self.lifecycle.lock();
        if self.gate.phase() != PHASE_INIT {
            return Err(Error::new(
                Status::InvalidState,
                "rtlog_start was already called (or the logger is shut down)",
            ));
        }
        let c = &self.config;
        let producers = life.producers.clone();
        let (dlt_feed, mut dlt_sender) = life.dlt.take().unzip();
        if let Some(sender) = &mut dlt_sender {
            sender.set_producers(producers.iter().map(|p| p.name.as_str()));
            // Connect and register now if the daemon is there (as libdlt does at
            // registration), so that records published from the first one on reach it.
            sender.step(Instant::now());
        }
        let setup = WriterSetup {
            durability: c.durability,
            critical_durability: c.critical_durability.unwrap_or(c.durability),
            batch_records: c.batch_records,
            batch_interval: Duration::from_micros(c.batch_interval_us.into()),
            max_write_delay: Duration::from_micros(c.max_write_delay_us.into()),
            segment_max_age: Duration::from_secs(c.segment_max_age_s),
            segment_bytes: c.segment_bytes,
            preallocate: c.preallocate,
            retention: crate::storage::retention::Limits {
                segments: c.retention_segments,
                bytes: c.retention_bytes,
                age_s: c.retention_age_s,
                keep_unshipped: c.retention_keep_unshipped,
            },
            max_payload: c.max_record_size,
            epoch: self.recovered.next_epoch,
            first_lsn: self.recovered.next_lsn,
            first_segment: self.recovered.next_segment,
            calibration: clock::calibration(),
            producers: producers.clone(),
            types: self.types.lock().entries(),
            type_levels: type_levels(&self.type_levels.lock()),
            input: life.handoff.take().expect("handoff ring present in INIT"),
            shared: self.writer.clone(),
            backend: life.backend.take().expect("backend present in INIT"),
            dlt: dlt_feed,
        };
        // The first segment is created (and maybe preallocated) on the caller's thread.
        let writer = sigxfsz::blocked(|| Writer::open(setup))?;
        let capacity: u64 = producers.len() as u64 * u64::from(c.critical_depth + c.normal_depth);
        let policy = Policy {
            quiet: Duration::from_millis(c.degraded_quiet_ms.into()),
            lag_threshold: match c.degraded_lag_records {
                0 => (capacity / 2).max(1),
                n => n,
            },
            safe_on_critical: c.safe_on_critical,
            callback: c.on_state_change.clone(),
            normal_depth: c.normal_depth.into(),
            reenable_normal: c.normal_overflow == Overflow::Disable,
            stall_timeout: if c.manual {
                Duration::ZERO
            } else {
                Duration::from_millis(c.stall_timeout_ms.into())
            },
            watch_ticker: !c.manual && c.dispatch_period_us > 0,
        };
        let supervisor = Supervisor::new(
            self.supervision.clone(),
            self.writer.clone(),
            producers.clone(),
            policy,
        );
        self.supervision.state.store(State::Normal as u8, Ordering::Release);
        if c.manual {
            let mut m = self.manual.lock();
            m.writer = Some(writer);
            m.supervisor = Some(supervisor);
            m.dlt = dlt_sender;
        } else {
            if let Some(sender) = dlt_sender {
                let thread = spawn("rtlog-dlt", move || sender.run())?;
                if let Some(shared) = &self.dlt {
                    let _ = shared.thread.set(thread.thread().clone());
                }
                life.dlt_thread = Some(thread);
            }
            life.writer_thread = Some(spawn("rtlog-writer", move || writer.run())?);
            let stop = self.stop_threads.clone();
            let period = Duration::from_micros(c.supervisor_period_us.into());
            life.supervisor_thread =
                Some(spawn("rtlog-supervisor", move || supervisor_loop(supervisor, stop, period))?);
        }
        let _ = self.producers.set(producers);
        assert!(self.gate.open(), "the gate is opened only here, under the lifecycle lock");
        Ok(())
    }

    /// Waits until the writer thread has ended, or `deadline`; whether it ended.
    fn wait_for_writer(&self, t: &JoinHandle<()>, deadline: Instant) -> bool {
        loop {
            t.thread().unpark();
            if self.writer.exited.load(Ordering::Acquire) {
                return true;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            std::thread::sleep((deadline - now).min(Duration::from_millis(1)));
        }
    }

    /// Gives up on a writer thread that did not end in time: it is told to write nothing more
    /// and given the directory's lock, which it releases when (if ever) it ends; its handle is
    /// dropped, so nothing waits for it. The logger is stopped.
    fn abandon_writer(&self, t: JoinHandle<()>, timeout: Duration) -> Error {
        self.writer.abandoned.store(true, Ordering::Release);
        *self.writer.dir_lock.lock() = self.lock.lock().take();
        if self.writer.exited.load(Ordering::Acquire) {
            // It ended meanwhile, before it could take the lock: release it here.
            self.writer.dir_lock.lock().take();
        }
        drop(t);
        if let Some(shared) = &self.dlt {
            shared.stop.store(true, Ordering::Release);
        }
        self.supervision.state.store(State::Stopped as u8, Ordering::Release);
        let pending = self.stats().lag;
        Error::new(
            Status::Timeout,
            format!(
                "the writer did not finish within {} ms ({pending} record(s) not written): the \
                 logger is stopped, its writer left behind holding the directory's lock",
                timeout.as_millis()
            ),
        )
    }

    /// Starts the internal ticker thread (`dispatch_period_us > 0`, not in manual mode).
    /// Separate from `start` because the thread needs an `Arc` of the logger.
    pub fn start_ticker(self: &Arc<Self>) -> Result<()> {
        let period = self.config.dispatch_period_us;
        if period == 0 || self.config.manual {
            return Ok(());
        }
        let mut life = self.lifecycle.lock();
        if life.ticker_thread.is_some() || self.gate.phase() != PHASE_RUN {
            return Ok(());
        }
        let lg = Arc::downgrade(self);
        let stop = self.stop_threads.clone();
        let period = Duration::from_micros(period.into());
        let writer = life.writer_thread.as_ref().map(|t| t.thread().clone());
        life.ticker_thread =
            Some(spawn("rtlog-ticker", move || ticker_loop(lg, stop, period, writer))?);
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
        Ok(self.dispatcher.tick(self.config.dispatch_budget).map_or(0, |m| m.records))
    }

    /// Manual mode: one round of the writer (state frames, up to 4096 records, durability
    /// policy). Returns the records it took. `InvalidState` outside manual mode or RUN.
    pub fn step_writer(&self) -> Result<usize> {
        self.manual_check()?;
        let mut m = self.manual.lock();
        let w = m
            .writer
            .as_mut()
            .ok_or_else(|| Error::new(Status::InvalidState, "the writer is not running"))?;
        let taken = sigxfsz::blocked(|| w.step());
        if let Some(sender) = &mut m.dlt {
            sender.step(Instant::now());
        }
        Ok(taken)
    }

    /// Manual mode: one supervisor step, `elapsed` after the previous one (the supervisor's
    /// clock only advances by what the caller passes). Returns the transitions made.
    pub fn step_supervisor(&self, elapsed: Duration) -> Result<usize> {
        self.manual_check()?;
        let mut m = self.manual.lock();
        let s = m
            .supervisor
            .as_mut()
            .ok_or_else(|| Error::new(Status::InvalidState, "the supervisor is not running"))?;
        Ok(s.step(elapsed))
    }

    fn manual_check(&self) -> Result<()> {
        if !self.config.manual {
            return Err(Error::new(
                Status::InvalidState,
                "step functions need manual mode (rtlog_config.manual = 1)",
            ));
        }
        if self.gate.phase() != PHASE_RUN {
            return Err(Error::new(Status::InvalidState, "the logger is not running"));
        }
        Ok(())
    }

    /// Asks the supervisor to enter SAFE (at its next step): only the critical stream is
    /// accepted until [`clear_fault`](Self::clear_fault). Non-RT.
    pub fn enter_safe_mode(&self, reason: &str) -> Result<()> {
        self.running("rtlog_enter_safe_mode")?;
        *self.supervision.safe_request.lock() = Some(reason.to_owned());
        Ok(())
    }

    /// Asks the supervisor to leave CRITICAL or SAFE for NORMAL (at its next step). Non-RT.
    pub fn clear_fault(&self) -> Result<()> {
        self.running("rtlog_clear_fault")?;
        self.supervision.clear_request.store(true, Ordering::Release);
        Ok(())
    }

    fn running(&self, what: &str) -> Result<()> {
        if self.gate.phase() != PHASE_RUN {
            return Err(Error::new(Status::InvalidState, format!("{what} needs a running logger")));
        }
        Ok(())
    }

    /// The current state. RT-safe (one atomic load).
    #[inline]
    pub fn state(&self) -> State {
        self.supervision.state()
    }

    /// The producers (before `start`: those created so far).
    fn producer_list(&self) -> Vec<Arc<ProducerShared>> {
        match self.producers.get() {
            Some(p) => p.clone(),
            None => self.lifecycle.lock().producers.clone(),
        }
    }

    /// A statistics snapshot (non-RT).
    pub fn stats(&self) -> Stats {
        let w = &self.writer;
        let mut s = Stats {
            epoch: self.recovered.next_epoch,
            recovered_torn_bytes: self.recovered.torn_bytes,
            persisted: w.persisted.load(Ordering::Relaxed),
            bytes_written: w.bytes_written.load(Ordering::Relaxed),
            durable_lsn: w.durable_lsn.get(),
            lost: w.lost.load(Ordering::Relaxed),
            write_errors: w.write_errors.load(Ordering::Relaxed),
            sync_errors: w.sync_errors.load(Ordering::Relaxed),
            syncs: w.syncs.load(Ordering::Relaxed),
            max_sync_ns: w.max_sync_ns.load(Ordering::Relaxed),
            segments_deleted: w.segments_deleted.load(Ordering::Relaxed),
            retention_unshipped_bytes: w.retention_unshipped_bytes.load(Ordering::Relaxed),
            last_errno: w.last_errno.load(Ordering::Relaxed),
            transitions: self.supervision.transitions.load(Ordering::Relaxed),
            faults_signalled: self.supervision.faults.load(Ordering::Relaxed),
            last_fault: self.supervision.last_fault(),
            stalled: self.supervision.stalled.load(Ordering::Relaxed),
            state: Some(self.state()),
            ..Stats::default()
        };
        let producers = self.producer_list();
        for stream in Stream::ALL {
            let i = stream as usize;
            s.dispatched[i] = self.dispatcher.dispatched(stream);
            s.persisted_stream[i] = w.persisted_stream[i].load(Ordering::Relaxed);
            for p in &producers {
                s.published[i] += p.published(stream);
                s.dropped[i] += p.dropped(stream);
            }
        }
        let overwritten: u64 = producers.iter().map(|p| p.overwritten()).sum();
        s.filtered = producers.iter().map(|p| p.filtered()).sum();
        let accepted = s.published[0] + s.published[1];
        s.lag = accepted.saturating_sub(w.settled() + overwritten);
        if s.lag > 0 {
            let writer = Some(w.oldest_pending_raw.load(Ordering::Relaxed)).filter(|&t| t != 0);
            let oldest = [writer, self.dispatcher.oldest_pending_raw()].into_iter().flatten().min();
            if let Some(raw) = oldest {
                let ns = clock::calibration().to_ns(raw);
                s.oldest_pending_age_ns = clock::monotonic_ns().saturating_sub(ns);
            }
        }
        s
    }

    /// The DLT sink's counters (non-RT); `enabled` is false, and the rest zero, without it.
    pub fn dlt_stats(&self) -> DltStats {
        self.dlt.as_ref().map_or_else(DltStats::default, |d| d.stats())
    }

    /// Waits until every record accepted before the call is durable under the durability
    /// mode, dispatching pending records itself (and, in manual mode, stepping the writer).
    /// Non-RT. `Timeout` when `timeout` passes first; `Io` when records were lost by a failed
    /// write or sync.
    pub fn flush(&self, timeout: Duration) -> Result<()> {
        self.running("rtlog_flush")?;
        let producers = self.producers.get().expect("set at start");
        let targets: Vec<[u64; 2]> = producers
            .iter()
            .map(|p| [p.published(Stream::Critical), p.published(Stream::Normal)])
            .collect();
        let errors_before = self.writer.errors();
        let deadline = Instant::now() + timeout;
        loop {
            while self.dispatcher.tick(self.config.dispatch_budget).is_some_and(|m| m.records > 0) {
            }
            self.writer.flush_requests.fetch_add(1, Ordering::Release);
            if self.config.manual {
                if let Some(w) = self.manual.lock().writer.as_mut() {
                    sigxfsz::blocked(|| w.step());
                }
            } else {
                self.wake_writer();
            }
            let progress = |p: &ProducerShared, t: &[u64; 2], s: Stream| {
                p.durable[s as usize].progress(t[s as usize])
            };
            let done = producers
                .iter()
                .zip(&targets)
                .all(|(p, t)| Stream::ALL.iter().all(|&s| progress(p, t, s) == Progress::Durable));
            if done {
                return Ok(());
            }
            let lost = producers
                .iter()
                .zip(&targets)
                .find(|(p, t)| Stream::ALL.iter().any(|&s| progress(p, t, s) == Progress::Lost));
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
            if self.writer.exited.load(Ordering::Acquire) && !self.config.manual {
                return Err(Error::new(
                    Status::Io,
                    "the writer thread died (a bug: please report it): nothing more is written",
                ));
            }
            if Instant::now() >= deadline {
                return Err(Error::new(
                    Status::Timeout,
                    format!("records were not durable within {} ms", timeout.as_millis()),
                ));
            }
            if !self.config.manual {
                std::thread::sleep(Duration::from_micros(100));
            }
        }
    }

    fn wake_writer(&self) {
        if let Some(t) = &self.lifecycle.lock().writer_thread {
            t.thread().unpark();
        }
    }

    /// [`shutdown_timeout`](Self::shutdown_timeout) with [`DEFAULT_SHUTDOWN_TIMEOUT`].
    pub fn shutdown(&self) -> Result<()> {
        self.shutdown_timeout(DEFAULT_SHUTDOWN_TIMEOUT)
    }

    /// Stops publishing, dispatches and writes everything accepted, writes the clean-close
    /// frame and joins the threads (non-RT). A second call is `InvalidState`; a call before
    /// `start` just stops the logger.
    ///
    /// `Timeout` when the writer has not finished within `timeout` (a `write()` that never
    /// returns, a hung mount): the logger is stopped all the same and safe to drop; the writer
    /// thread is left behind, writes nothing more if it ever wakes up, and keeps the
    /// directory locked until it ends, so another logger cannot write the directory under it.
    /// Records it had not written are lost (the next `rtlog_init` recovers the log as after a
    /// crash). In manual mode the caller's thread writes, and a write that never returns
    /// blocks it.
    pub fn shutdown_timeout(&self, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        let mut life = self.lifecycle.lock();
        let active = life.producers.iter().map(|p| &p.hot.active);
        match self.gate.close(active) {
            PHASE_INIT => {
                self.supervision.state.store(State::Stopped as u8, Ordering::Release);
                self.lock.lock().take();
                return Ok(());
            }
            PHASE_CLOSED => {
                return Err(Error::new(Status::InvalidState, "rtlog_shutdown was already called"))
            }
            _ => {}
        }
        self.stop_threads.store(true, Ordering::Release);
        for t in [life.ticker_thread.take(), life.supervisor_thread.take()].into_iter().flatten() {
            t.thread().unpark();
            let _ = t.join();
        }
        // Every accepted record is in a ring now; move them all to the writer.
        let mut manual = self.manual.lock();
        loop {
            let moved = self.dispatcher.tick(u32::MAX).unwrap_or_default();
            if !moved.output_full && self.dispatcher.pending() == Some(0) {
                break;
            }
            if Instant::now() >= deadline {
                break; // the writer takes nothing: waiting for it below times out
            }
            match (&mut manual.writer, &life.writer_thread) {
                (Some(w), _) => {
                    sigxfsz::blocked(|| w.step());
                }
                (None, Some(t)) => {
                    t.thread().unpark();
                    std::thread::sleep(Duration::from_micros(50));
                }
                (None, None) => break,
            }
        }
        self.writer.stop.store(true, Ordering::Release);
        let mut joined = true;
        if let Some(mut w) = manual.writer.take() {
            sigxfsz::blocked(|| {
                while !w.stopped() {
                    w.step();
                }
                w.finish();
            });
        }
        manual.supervisor = None;
        if let Some(t) = life.writer_thread.take() {
            if !self.wait_for_writer(&t, deadline) {
                return Err(self.abandon_writer(t, timeout));
            }
            joined = t.join().is_ok();
        }
        // After the writer: everything it will ever offer is queued; the DLT end drains it
        // (bounded by dlt::DRAIN_TIMEOUT).
        if let Some(sender) = manual.dlt.take() {
            sender.finish();
        }
        if let Some(t) = life.dlt_thread.take() {
            if let Some(shared) = &self.dlt {
                shared.stop.store(true, Ordering::Release);
            }
            t.thread().unpark();
            joined &= t.join().is_ok();
        }
        self.supervision.state.store(State::Stopped as u8, Ordering::Release);
        self.lock.lock().take();
        if !joined {
            return Err(Error::new(Status::Internal, "the writer thread panicked"));
        }
        if let Some(msg) = self.writer.last_error.lock().clone() {
            return Err(Error::new(Status::Io, format!("shut down, but writing failed: {msg}")));
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

/// Starts one of rtlog's threads, with SIGXFSZ blocked (see [`sigxfsz`]).
fn spawn(name: &str, f: impl FnOnce() + Send + 'static) -> Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name(name.into())
        .spawn(move || {
            sigxfsz::block_in_this_thread();
            f()
        })
        .map_err(|e| Error::io(format!("starting the {name} thread"), e))
}

/// The supervisor thread: one step per period until shutdown.
fn supervisor_loop(mut supervisor: Supervisor, stop: Arc<AtomicBool>, period: Duration) {
    let mut last = Instant::now();
    while !stop.load(Ordering::Acquire) {
        std::thread::park_timeout(period);
        let now = Instant::now();
        supervisor.step(now - last);
        last = now;
    }
}

/// The internal ticker (`dispatch_period_us > 0`): a non-RT thread that ticks at a fixed
/// period until shutdown, and wakes the writer when it moved records.
///
/// The writer polls every 500 µs when it finds nothing to do, since RT threads ticking
/// themselves must not wake it (a wake-up is a system call). This thread is not an RT thread,
/// so it does: without it, a burst fills the writer's input ring while the writer sleeps and
/// then the producers' rings, and the consumer CPU idles (40 % of it in the burst benchmark).
/// `unpark` of a thread that is not parked is one atomic operation, no system call.
fn ticker_loop(
    lg: std::sync::Weak<Logger>,
    stop: Arc<AtomicBool>,
    period: Duration,
    writer: Option<std::thread::Thread>,
) {
    let mut next = Instant::now();
    while !stop.load(Ordering::Acquire) {
        let Some(lg) = lg.upgrade() else { return };
        lg.supervision.ticker_beats.fetch_add(1, Ordering::Relaxed);
        // Keep ticking while a tick fills its whole budget; then wait for the next period.
        let budget = lg.config.dispatch_budget;
        let mut moved = 0;
        loop {
            let n = lg.tick().unwrap_or(0);
            moved += n;
            if n < budget {
                break;
            }
        }
        drop(lg);
        if moved > 0 {
            if let Some(w) = &writer {
                w.unpark();
            }
        }
        next += period;
        let now = Instant::now();
        if next > now {
            std::thread::park_timeout(next - now);
        } else {
            next = now;
        }
    }
}

// Lifecycle steps that the C API makes as one call each (`rtlog_start`, `rtlog_destroy`), so
// that `ffi/` holds no lifecycle logic. Kept in their own block for the layering merge.
impl Logger {
    /// [`start`](Self::start), then [`start_ticker`](Self::start_ticker): the whole INIT → RUN
    /// step of a shared logger (`rtlog_start`). Non-RT.
    pub fn start_running(self: &Arc<Self>) -> Result<()> {
        self.start()?;
        self.start_ticker()
    }

    /// Gives up one shared reference (`rtlog_destroy`), shutting the logger down first unless
    /// it is stopped already (a shutdown error is dropped: the caller is discarding the logger).
    ///
    /// The shutdown comes before the `Arc` goes: the ticker thread upgrades its `Weak` for each
    /// round, so the reference given up here may not be the last one; if the ticker's were,
    /// `Drop` would run on the ticker thread and join that thread from itself. Shut down first,
    /// the ticker is joined from here. Non-RT; blocks until the writer is done.
    pub fn release(self: Arc<Self>) {
        if self.state() != State::Stopped {
            let _ = self.shutdown();
        }
        drop(self);
    }
}

/// How long `shutdown` waits for the writer: long enough for the slowest `fdatasync` of an SD
/// card or a busy disk, short enough that a hung mount does not hang the program.
pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(30);

/// The message threshold of a new logger: `Info`, as in spdlog and Quill (`TRACE` and `DEBUG`
/// messages are counted as filtered until `rtlog_set_level` lowers it).
pub const DEFAULT_LEVEL: Level = Level::Info;

/// Every record type's level, by type id.
fn type_levels(set: &[(u16, Level)]) -> Box<[Level]> {
    let mut levels = vec![Level::Info; usize::from(u16::MAX) + 1].into_boxed_slice();
    for &(id, level) in set {
        levels[usize::from(id)] = level;
    }
    levels
}
