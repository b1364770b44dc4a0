//! spdlog's async logger (Debian libspdlog-dev), through the C++ shim in bench/peers/: one
//! worker thread, `overrun_oldest`, a null sink. A publish never fails; a full queue overwrites
//! its oldest message, which spdlog counts (`overrun_counter`) and the benchmark reports as drops.

#[cfg(have_spdlog)]
mod ffi {
    extern "C" {
        pub fn bench_spdlog_init(queue_items: usize, worker_cpu: i32) -> i32;
        pub fn bench_spdlog_log(payload: *const u8, len: usize);
        pub fn bench_spdlog_overruns() -> u64;
        pub fn bench_spdlog_shutdown();
    }
}

/// Whether the peer was compiled in.
pub const AVAILABLE: bool = cfg!(have_spdlog);

/// A producer handle (the logger is process-wide).
pub struct SpdlogPub;

impl crate::harness::Publisher for SpdlogPub {
    #[inline]
    fn publish(&mut self, _payload: &[u8]) -> bool {
        #[cfg(have_spdlog)]
        // SAFETY: `init` succeeded before any producer exists; the logger is thread-safe.
        unsafe {
            ffi::bench_spdlog_log(_payload.as_ptr(), _payload.len())
        };
        true
    }
}

/// Creates the thread pool (worker pinned to `cpu`) and the async logger.
pub fn init(_queue_items: usize, _cpu: usize) -> Result<(), String> {
    #[cfg(have_spdlog)]
    {
        // SAFETY: called once per process, before any producer thread starts.
        if unsafe { ffi::bench_spdlog_init(_queue_items, _cpu as i32) } == 0 {
            return Ok(());
        }
        Err("spdlog init failed".into())
    }
    #[cfg(not(have_spdlog))]
    Err("spdlog not compiled in".into())
}

/// Drains the queue, stops the worker; returns the overrun count.
pub fn shutdown() -> u64 {
    #[cfg(have_spdlog)]
    // SAFETY: every producer thread has been joined.
    unsafe {
        let n = ffi::bench_spdlog_overruns();
        ffi::bench_spdlog_shutdown();
        n
    }
    #[cfg(not(have_spdlog))]
    0
}
