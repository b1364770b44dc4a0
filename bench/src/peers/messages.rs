//! The message benchmark's peers: one log message with four arguments (`u32, double, double,
//! u64`), "joint %u pos %.3f vel %.3f cycle %lu", logged through each library's own macro from
//! the C/C++ shims in bench/peers/:
//!
//! - rtlog: `RTLOG_INFO(p, "joint %u pos %.3f vel %.3f cycle %lu", ...)` from include/rtlog.h,
//!   in C (`_Generic`) and in C++ (templates); always compiled.
//! - Quill: `LOG_INFO(logger, "joint {} pos {:.3f} vel {:.3f} cycle {}", ...)`, from
//!   `QUILL_ROOT` when it was set at build time (see bench/build.rs).
//! - spdlog: the async logger of [`super::spdlog`], `logger->info(...)` with the same format as
//!   Quill's (spdlog formats on the calling thread, then queues the text).
//!
//! Every publisher makes its arguments from a counter the same way, inside the timed call, so
//! each peer pays the same few instructions for them and no call logs a constant the compiler
//! could fold.

use rtlog::Producer;
use std::ffi::c_void;
use std::ptr::NonNull;

mod ffi {
    use std::ffi::c_void;
    extern "C" {
        pub fn bench_rtlog_msg_c(p: *mut c_void, joint: u32, pos: f64, vel: f64, cycle: u64)
            -> i32;
        #[cfg(have_rtlog_msg_cpp)]
        pub fn bench_rtlog_msg_cpp(
            p: *mut c_void,
            joint: u32,
            pos: f64,
            vel: f64,
            cycle: u64,
        ) -> i32;
        #[cfg(have_spdlog)]
        pub fn bench_spdlog_msg(joint: u32, pos: f64, vel: f64, cycle: u64);
        #[cfg(have_quill)]
        pub fn bench_quill_init(backend_cpu: i32) -> i32;
        #[cfg(have_quill)]
        pub fn bench_quill_msg(joint: u32, pos: f64, vel: f64, cycle: u64);
        #[cfg(have_quill)]
        pub fn bench_quill_shutdown() -> u64;
    }
}

/// Whether rtlog's C++ message shim was compiled in (bench/build.rs: a C++ compiler).
pub const CPP_AVAILABLE: bool = cfg!(have_rtlog_msg_cpp);

/// Whether the Quill peer was compiled in.
pub const QUILL_AVAILABLE: bool = cfg!(have_quill);

/// Why Quill was not compiled in (set by bench/build.rs), or "".
pub const QUILL_MISSING: &str = match option_env!("BENCH_QUILL_MISSING") {
    Some(why) => why,
    None => "",
};

/// Bytes of one rtlog slot for the message: the macros pass its four arguments in registers
/// (`rtlog_publish_message_words`), and the slot takes the call site's address and four words,
/// 40 bytes, so the 64-byte slot of the record benchmark holds it.
pub const RTLOG_RECORD_SIZE: usize = 64;

/// The message's arguments for call `i`: a joint index, a position, a velocity, the cycle.
#[inline(always)]
fn args(i: u64) -> (u32, f64, f64, u64) {
    ((i % 6) as u32, i as f64 * 1e-3, (i & 0xff) as f64 * 0.01 - 1.28, i)
}

/// Which implementation of `RTLOG_INFO`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    /// The C macros (`_Generic`).
    C,
    /// The C++ macros (templates).
    Cpp,
}

/// An rtlog producer logging the message through `RTLOG_INFO`.
pub struct RtlogMsgPub {
    producer: NonNull<Producer>,
    lang: Lang,
    i: u64,
}

// SAFETY: as `super::rtlog::RtlogPub`: the producer is `Send`, and the logger outlives every
// producer thread.
unsafe impl Send for RtlogMsgPub {}

impl RtlogMsgPub {
    /// A publisher on `producer` (a producer of a started logger, used by one thread).
    pub fn new(producer: NonNull<Producer>, lang: Lang) -> RtlogMsgPub {
        RtlogMsgPub { producer, lang, i: 0 }
    }
}

impl crate::harness::Publisher for RtlogMsgPub {
    #[inline]
    fn publish(&mut self, _payload: &[u8]) -> bool {
        let (joint, pos, vel, cycle) = args(self.i);
        self.i += 1;
        let p = self.producer.as_ptr().cast::<c_void>();
        // SAFETY: `p` is a live producer used by this thread only (see `Send`); an
        // `rtlog_producer *` is a `Producer` (src/ffi/handle.rs: `Borrowed`).
        let status = unsafe {
            match self.lang {
                Lang::C => ffi::bench_rtlog_msg_c(p, joint, pos, vel, cycle),
                #[cfg(have_rtlog_msg_cpp)]
                Lang::Cpp => ffi::bench_rtlog_msg_cpp(p, joint, pos, vel, cycle),
                #[cfg(not(have_rtlog_msg_cpp))]
                Lang::Cpp => -1,
            }
        };
        status == 0
    }
}

/// A peer whose logger is process-wide: each call is `log(joint, pos, vel, cycle)`, a closure
/// that calls the peer's shim (monomorphised: a direct call, as for rtlog).
pub struct CallPub<F> {
    log: F,
    i: u64,
}

impl<F: FnMut(u32, f64, f64, u64) + Send> CallPub<F> {
    /// A publisher calling `log`.
    pub fn new(log: F) -> CallPub<F> {
        CallPub { log, i: 0 }
    }
}

impl<F: FnMut(u32, f64, f64, u64) + Send> crate::harness::Publisher for CallPub<F> {
    #[inline]
    fn publish(&mut self, _payload: &[u8]) -> bool {
        let (joint, pos, vel, cycle) = args(self.i);
        self.i += 1;
        (self.log)(joint, pos, vel, cycle);
        true
    }
}

/// spdlog's async logger (started by `super::spdlog::init`) logging the message.
pub fn spdlog_pub() -> CallPub<impl FnMut(u32, f64, f64, u64) + Send> {
    CallPub::new(|_joint, _pos, _vel, _cycle| {
        #[cfg(have_spdlog)]
        // SAFETY: `spdlog::init` succeeded before any producer exists; the logger is
        // thread-safe.
        unsafe {
            ffi::bench_spdlog_msg(_joint, _pos, _vel, _cycle)
        }
    })
}

/// Quill's logger (started by [`quill_init`]) logging the message with `LOG_INFO`; each thread
/// gets its own Quill queue on its first call (in the warm-up).
pub fn quill_pub() -> CallPub<impl FnMut(u32, f64, f64, u64) + Send> {
    CallPub::new(|_joint, _pos, _vel, _cycle| {
        #[cfg(have_quill)]
        // SAFETY: `quill_init` succeeded before any producer exists; Quill's front end is
        // thread-safe (one queue per thread).
        unsafe {
            ffi::bench_quill_msg(_joint, _pos, _vel, _cycle)
        }
    })
}

/// Starts Quill's backend thread (pinned to `cpu`) and creates the logger.
pub fn quill_init(_cpu: usize) -> Result<(), String> {
    #[cfg(have_quill)]
    {
        // SAFETY: called once per process, before any producer thread starts.
        if unsafe { ffi::bench_quill_init(_cpu as i32) } == 0 {
            return Ok(());
        }
        Err("Quill init failed".into())
    }
    #[cfg(not(have_quill))]
    Err("Quill not compiled in".into())
}

/// Stops Quill's backend once it drained the queues; returns the messages Quill dropped.
pub fn quill_shutdown() -> u64 {
    #[cfg(have_quill)]
    // SAFETY: every producer thread has been joined.
    unsafe {
        ffi::bench_quill_shutdown()
    }
    #[cfg(not(have_quill))]
    0
}
