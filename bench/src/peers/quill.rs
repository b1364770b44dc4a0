//! Quill as a record peer (bench/peers/quill_rec_shim.cpp): the payload's bytes through Quill's
//! binary-data codec (`quill::BinaryData`: a length and a memcpy on the caller; the backend
//! writes the bytes as they are), a BoundedDropping queue holding about as many records as rtlog's ring, and a null
//! sink, or a file sink in the control loop. Compiled only when `QUILL_ROOT` was set at build
//! time (see bench/build.rs); otherwise every scenario skips it with a line saying why.

use std::path::Path;

#[cfg(have_quill)]
mod ffi {
    extern "C" {
        pub fn bench_quill_record_init(
            max_payload: usize,
            backend_cpu: i32,
            sleep_us: std::ffi::c_long,
            file: *const std::ffi::c_char,
        ) -> i32;
        pub fn bench_quill_record(payload: *const u8, len: usize);
        pub fn bench_quill_record_shutdown() -> u64;
    }
}

/// A producer handle (Quill's logger is process-wide; each thread gets its own queue on its
/// first call, which the warm-up makes).
pub struct QuillPub;

impl crate::harness::Publisher for QuillPub {
    #[inline]
    fn publish(&mut self, _payload: &[u8]) -> bool {
        #[cfg(have_quill)]
        // SAFETY: `init` succeeded before any producer exists; Quill's front end is thread-safe
        // (one queue per thread); the payload is valid for its length during the call.
        unsafe {
            ffi::bench_quill_record(_payload.as_ptr(), _payload.len())
        };
        true
    }
}

/// How long Quill's backend sleeps when its queues are empty.
#[derive(Clone, Copy, Debug)]
pub enum Sleep {
    /// Quill's default (100 µs in 12.1).
    Default,
    /// This many µs (the latency runs: rtlog's ticker period there).
    Micros(u32),
}

/// Starts Quill's backend (pinned to `cpu`) and its logger for payloads up to `max_payload`
/// bytes, writing to `file` (truncated) or to a null sink.
pub fn init(
    _max_payload: usize,
    _cpu: usize,
    sleep: Sleep,
    file: Option<&Path>,
) -> Result<(), String> {
    let _file = file.map(super::c_path).transpose()?;
    let _sleep_us = match sleep {
        Sleep::Default => -1,
        Sleep::Micros(us) => i64::from(us),
    };
    #[cfg(have_quill)]
    {
        let ptr = _file.as_ref().map_or(std::ptr::null(), |f| f.as_ptr());
        // SAFETY: called once per process, before any producer thread starts; `ptr` is NULL or
        // a NUL-terminated path that outlives the call (Quill copies it).
        let r =
            unsafe { ffi::bench_quill_record_init(_max_payload, _cpu as i32, _sleep_us as _, ptr) };
        if r == 0 {
            return Ok(());
        }
        Err("Quill init failed".into())
    }
    #[cfg(not(have_quill))]
    Err("Quill not compiled in".into())
}

/// Stops Quill's backend once it drained the queues; returns the records Quill dropped.
pub fn shutdown() -> u64 {
    #[cfg(have_quill)]
    // SAFETY: every producer thread has been joined.
    unsafe {
        ffi::bench_quill_record_shutdown()
    }
    #[cfg(not(have_quill))]
    0
}
