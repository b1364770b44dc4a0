//! The loggers and queues under test, and how each one is driven. Every peer gets the same
//! producer loop ([`crate::harness`]) and one consumer on the consumer CPU: rtlog's own ticker
//! and writer threads, Quill's backend (sleeping [`IDLE_US`] when idle), spdlog's worker,
//! libdlt's housekeeper and the daemon, or for the plain queues a drain thread that polls like
//! rtlog's ticker (drain everything, then sleep [`IDLE_US`] when empty).

pub mod bare;
pub mod dlt;
pub mod messages;
pub mod quill;
pub mod ring_only;
pub mod rtlog;
pub mod spdlog;
pub mod xbeam;

use crate::affinity::{self, Placement};
use crate::harness::{self, FlatOut, Load, ProducerOut, Publisher};
use messages::{Lang, RtlogMsgPub};
use std::ffi::CString;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// Records per producer ring (rtlog, bare ring); shared queues get this times the producers.
pub const DEPTH: usize = 4096;
/// rtlog's ticker period and the drain threads' sleep when their queue is empty.
pub const IDLE_US: u32 = 50;

/// A logger or queue under test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Peer {
    /// rtlog (NULL backend unless said otherwise).
    Rtlog,
    /// A bare SPSC ring: the floor.
    Bare,
    /// A call that does nothing: the floor of the method itself on this machine.
    Empty,
    /// rtlog's ring pushed directly (diagnostic: the cost of the publish wrapper).
    RtlogRing,
    /// crossbeam-queue `ArrayQueue`.
    ArrayQueue,
    /// crossbeam-channel bounded `try_send`.
    Channel,
    /// Quill, the payload as binary data (`quill::BinaryData`), null sink.
    QuillRec,
    /// spdlog async logger, overrun_oldest, null sink.
    Spdlog,
    /// DLT user library, no daemon running.
    Dlt,
    /// DLT user library with dlt-daemon running.
    DltDaemon,
    /// rtlog's `RTLOG_INFO` message, C macros (message benchmark).
    RtlogMsgC,
    /// rtlog's `RTLOG_INFO` message, C++ macros (message benchmark).
    RtlogMsgCpp,
    /// Quill's `LOG_INFO` (message benchmark).
    Quill,
    /// spdlog async logger, `info` with a format (message benchmark).
    SpdlogMsg,
}

impl Peer {
    /// Every peer, in table order.
    pub const ALL: [Peer; 10] = [
        Peer::Rtlog,
        Peer::RtlogRing,
        Peer::Bare,
        Peer::Empty,
        Peer::ArrayQueue,
        Peer::Channel,
        Peer::QuillRec,
        Peer::Spdlog,
        Peer::Dlt,
        Peer::DltDaemon,
    ];

    /// The peers of the message benchmark (one 4-argument message; see [`messages`]).
    pub const MESSAGES: [Peer; 4] =
        [Peer::RtlogMsgC, Peer::RtlogMsgCpp, Peer::Quill, Peer::SpdlogMsg];

    /// Short key (command lines, CSV).
    pub fn key(self) -> &'static str {
        match self {
            Peer::Rtlog => "rtlog",
            Peer::Bare => "bare-spsc",
            Peer::RtlogRing => "rtlog-ring",
            Peer::Empty => "empty",
            Peer::ArrayQueue => "arrayqueue",
            Peer::Channel => "channel",
            Peer::QuillRec => "quill-rec",
            Peer::Spdlog => "spdlog",
            Peer::Dlt => "dlt",
            Peer::DltDaemon => "dlt+daemon",
            Peer::RtlogMsgC => "rtlog-msg-c",
            Peer::RtlogMsgCpp => "rtlog-msg-cpp",
            Peer::Quill => "quill",
            Peer::SpdlogMsg => "spdlog-msg",
        }
    }

    /// Name in tables.
    pub fn label(self) -> &'static str {
        match self {
            Peer::Rtlog => "rtlog",
            Peer::Bare => "bare SPSC ring (floor)",
            Peer::RtlogRing => "rtlog ring alone (diagnostic)",
            Peer::Empty => "empty call (method floor)",
            Peer::ArrayQueue => "crossbeam ArrayQueue",
            Peer::Channel => "crossbeam-channel try_send",
            Peer::QuillRec => "Quill (binary record, BoundedDropping)",
            Peer::Spdlog => "spdlog async (overrun_oldest)",
            Peer::Dlt => "DLT (no daemon)",
            Peer::DltDaemon => "DLT + dlt-daemon",
            Peer::RtlogMsgC => "rtlog RTLOG_INFO (C)",
            Peer::RtlogMsgCpp => "rtlog RTLOG_INFO (C++)",
            Peer::Quill => "Quill LOG_INFO",
            Peer::SpdlogMsg => "spdlog async info (formats on the caller)",
        }
    }

    /// The peer for a key.
    pub fn from_key(k: &str) -> Option<Peer> {
        Peer::ALL.into_iter().chain(Peer::MESSAGES).find(|p| p.key() == k)
    }

    /// Whether the peer was compiled in (C/C++ peers are optional); `Err` says how to get it.
    pub fn compiled(self) -> Result<(), &'static str> {
        match self {
            Peer::Spdlog | Peer::SpdlogMsg if !spdlog::AVAILABLE => Err(
                "spdlog not installed at build time (apt-get install libspdlog-dev, then rebuild)",
            ),
            Peer::Quill | Peer::QuillRec if !messages::QUILL_AVAILABLE => {
                Err(messages::QUILL_MISSING)
            }
            Peer::RtlogMsgCpp if !messages::CPP_AVAILABLE => {
                Err("no C++ compiler at build time (apt-get install g++, then rebuild)")
            }
            Peer::Dlt | Peer::DltDaemon if !dlt::AVAILABLE => {
                Err("DLT not installed at build time (apt-get install libdlt-dev, then rebuild)")
            }
            _ => Ok(()),
        }
    }
}

/// `path` as a C string (for the C/C++ shims that open files).
pub fn c_path(path: &Path) -> Result<CString, String> {
    use std::os::unix::ffi::OsStrExt;
    CString::new(path.as_os_str().as_bytes())
        .map_err(|_| format!("{}: NUL in path", path.display()))
}

/// A publish that does nothing (inlined away): what the timing method and the machine add.
pub struct EmptyPub;

impl Publisher for EmptyPub {
    #[inline]
    fn publish(&mut self, payload: &[u8]) -> bool {
        std::hint::black_box(payload);
        true
    }
}

/// What the producers do.
#[derive(Clone, Copy, Debug)]
pub enum Work {
    /// Timed calls.
    Latency {
        /// Paced or burst.
        load: Load,
        /// Untimed warm-up calls per producer.
        warmup: usize,
        /// Timed calls per producer.
        samples: usize,
    },
    /// Untimed flat-out publishing for this many TSC cycles.
    Flat {
        /// Duration in TSC cycles.
        cycles: u64,
    },
}

/// What the producers measured.
pub enum Produced {
    /// From `Work::Latency`.
    Latency(Vec<ProducerOut>),
    /// From `Work::Flat`.
    Flat(Vec<FlatOut>),
}

/// One run of one peer.
pub struct PeerRun {
    /// The producers' results.
    pub produced: Produced,
    /// Records the peer dropped on its own after accepting them (spdlog's overruns).
    pub lib_dropped: u64,
}

fn drive<P: Publisher>(pubs: Vec<P>, size: usize, work: Work, cpu: usize) -> Produced {
    match work {
        Work::Latency { load, warmup, samples } => {
            Produced::Latency(harness::run_latency(pubs, size, load, warmup, samples, cpu))
        }
        Work::Flat { cycles } => {
            Produced::Flat(harness::run_flat_out(pubs, size, cycles, false, u64::MAX, cpu))
        }
    }
}

/// A drain thread on the consumer CPU.
struct Drainer {
    stop: Arc<AtomicBool>,
    handle: JoinHandle<u64>,
}

fn spawn_drainer(cpu: usize, mut drain: impl FnMut() -> u64 + Send + 'static) -> Drainer {
    let stop = Arc::new(AtomicBool::new(false));
    let s = stop.clone();
    let handle = std::thread::spawn(move || {
        let _ = affinity::pin(cpu);
        let mut total = 0;
        loop {
            let n = drain();
            total += n;
            if n == 0 {
                if s.load(Ordering::Acquire) {
                    return total + drain();
                }
                std::thread::park_timeout(Duration::from_micros(IDLE_US.into()));
            }
        }
    });
    Drainer { stop, handle }
}

impl Drainer {
    fn finish(self) -> u64 {
        self.stop.store(true, Ordering::Release);
        self.handle.thread().unpark();
        self.handle.join().expect("drain thread panicked")
    }
}

/// The rtlog configuration of the latency and burst runs: NULL backend, rings of [`DEPTH`]
/// records sized for the payload, the internal ticker every [`IDLE_US`] (or every
/// `BENCH_DISPATCH_US` µs when that is set: a diagnostic for bench/msg-ab.sh, never the
/// benchmark's setting).
pub fn rtlog_config(producers: usize, size: usize) -> ::rtlog::Config {
    let period = std::env::var("BENCH_DISPATCH_US").ok().and_then(|p| p.parse().ok());
    ::rtlog::Config {
        backend: ::rtlog::backend::BackendKind::Null,
        max_producers: producers as u32,
        max_record_size: size as u32,
        normal_depth: DEPTH as u32,
        critical_depth: 64,
        dispatch_period_us: period.unwrap_or(IDLE_US),
        durability: ::rtlog::Durability::None,
        ..::rtlog::Config::default()
    }
}

/// Runs `work` on `producers` producers of `peer` with `size`-byte payloads. The calling
/// thread must already be pinned to the consumer CPU (threads the peers start inherit it).
pub fn run(
    peer: Peer,
    producers: usize,
    size: usize,
    work: Work,
    place: Placement,
) -> Result<PeerRun, String> {
    peer.compiled()?;
    let cpu = place.producer;
    let plain = |produced| Ok(PeerRun { produced, lib_dropped: 0 });
    match peer {
        Peer::Rtlog => {
            let (lg, pubs) = rtlog::open(rtlog_config(producers, size), producers)?;
            let produced = drive(pubs, size, work, cpu);
            lg.shutdown().map_err(|e| format!("rtlog shutdown: {e}"))?;
            plain(produced)
        }
        Peer::Bare => {
            let (pubs, mut cons): (Vec<_>, Vec<_>) =
                (0..producers).map(|_| bare::ring(DEPTH, size)).unzip();
            let d = spawn_drainer(place.consumer, move || cons.iter_mut().map(|c| c.drain()).sum());
            let produced = drive(pubs, size, work, cpu);
            d.finish();
            plain(produced)
        }
        Peer::RtlogRing => {
            let (pubs, mut cons): (Vec<_>, Vec<_>) = (0..producers)
                .map(|_| {
                    let (p, c) = ::rtlog::ring::channel(DEPTH as u32, size as u32);
                    (ring_only::RingPub::new(p), c)
                })
                .unzip();
            let d =
                spawn_drainer(place.consumer, move || cons.iter_mut().map(ring_only::drain).sum());
            let produced = drive(pubs, size, work, cpu);
            d.finish();
            plain(produced)
        }
        Peer::Empty => plain(drive((0..producers).map(|_| EmptyPub).collect(), size, work, cpu)),
        Peer::ArrayQueue => match size {
            64 => queue::<64>(producers, work, place),
            256 => queue::<256>(producers, work, place),
            _ => Err(format!("ArrayQueue peer is built for 64 and 256 B payloads, not {size}")),
        },
        Peer::Channel => match size {
            64 => channel::<64>(producers, work, place),
            256 => channel::<256>(producers, work, place),
            _ => Err(format!("channel peer is built for 64 and 256 B payloads, not {size}")),
        },
        Peer::QuillRec => {
            quill::init(size, place.consumer, quill::Sleep::Micros(IDLE_US), None)?;
            let produced =
                drive((0..producers).map(|_| quill::QuillPub).collect(), size, work, cpu);
            let lib_dropped = quill::shutdown();
            Ok(PeerRun { produced, lib_dropped })
        }
        Peer::Spdlog => {
            spdlog::init(DEPTH * producers, place.consumer, None)?;
            let produced =
                drive((0..producers).map(|_| spdlog::SpdlogPub).collect(), size, work, cpu);
            let lib_dropped = spdlog::shutdown();
            Ok(PeerRun { produced, lib_dropped })
        }
        Peer::Dlt | Peer::DltDaemon => {
            dlt::init()?;
            let produced = drive((0..producers).map(|_| dlt::DltPub).collect(), size, work, cpu);
            dlt::shutdown();
            plain(produced)
        }
        Peer::RtlogMsgC | Peer::RtlogMsgCpp => {
            let lang = if peer == Peer::RtlogMsgC { Lang::C } else { Lang::Cpp };
            let config = rtlog_config(producers, messages::RTLOG_RECORD_SIZE);
            let (lg, pubs) = rtlog::open(config, producers)?;
            let pubs = pubs.into_iter().map(|p| RtlogMsgPub::new(p.producer(), lang)).collect();
            let produced = drive(pubs, size, work, cpu);
            lg.shutdown().map_err(|e| format!("rtlog shutdown: {e}"))?;
            plain(produced)
        }
        Peer::Quill => {
            messages::quill_init(place.consumer)?;
            let pubs = (0..producers).map(|_| messages::quill_pub()).collect();
            let produced = drive(pubs, size, work, cpu);
            let lib_dropped = messages::quill_shutdown();
            Ok(PeerRun { produced, lib_dropped })
        }
        Peer::SpdlogMsg => {
            spdlog::init(DEPTH * producers, place.consumer, None)?;
            let pubs = (0..producers).map(|_| messages::spdlog_pub()).collect();
            let produced = drive(pubs, size, work, cpu);
            let lib_dropped = spdlog::shutdown();
            Ok(PeerRun { produced, lib_dropped })
        }
    }
}

fn queue<const N: usize>(
    producers: usize,
    work: Work,
    place: Placement,
) -> Result<PeerRun, String> {
    let q = Arc::new(crossbeam_queue::ArrayQueue::<xbeam::Rec<N>>::new(DEPTH * producers));
    let qc = q.clone();
    let d = spawn_drainer(place.consumer, move || xbeam::drain_queue(&qc));
    let pubs = (0..producers).map(|_| xbeam::QueuePub(q.clone())).collect();
    let produced = drive(pubs, N, work, place.producer);
    d.finish();
    Ok(PeerRun { produced, lib_dropped: 0 })
}

fn channel<const N: usize>(
    producers: usize,
    work: Work,
    place: Placement,
) -> Result<PeerRun, String> {
    let (tx, rx) = crossbeam_channel::bounded::<xbeam::Rec<N>>(DEPTH * producers);
    let d = spawn_drainer(place.consumer, move || xbeam::drain_channel(&rx));
    let pubs = (0..producers).map(|_| xbeam::ChannelPub(tx.clone())).collect();
    drop(tx);
    let produced = drive(pubs, N, work, place.producer);
    d.finish();
    Ok(PeerRun { produced, lib_dropped: 0 })
}
