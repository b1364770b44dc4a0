//! spdlog's async logger (Debian libspdlog-dev), through the C++ shim in bench/peers/: one
//! worker thread, `overrun_oldest`, a null sink (a file sink in the control loop). A publish never fails; a full queue overwrites
//! its oldest message, which spdlog counts (`overrun_counter`) and the benchmark reports as drops.

use std::path::Path;

#[cfg(have_spdlog)]
mod ffi {
    extern "C" {
        pub fn bench_spdlog_init(
            queue_items: usize,
            worker_cpu: i32,
            file: *const std::ffi::c_char,
        ) -> i32;
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

/// Creates the thread pool (worker pinned to `cpu`) and the async logger, writing to `file`
/// (truncated) or to a null sink.
pub fn init(_queue_items: usize, _cpu: usize, file: Option<&Path>) -> Result<(), String> {
    let _file = file.map(crate::peers::c_path).transpose()?;
    #[cfg(have_spdlog)]
    {
        let ptr = _file.as_ref().map_or(std::ptr::null(), |f| f.as_ptr());
        // SAFETY: called once per process, before any producer thread starts; `ptr` is NULL or
        // a NUL-terminated path that outlives the call (spdlog copies it).
        if unsafe { ffi::bench_spdlog_init(_queue_items, _cpu as i32, ptr) } == 0 {
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
