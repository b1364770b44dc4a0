//! COVESA DLT's user library (Debian libdlt-dev), through the C shim in bench/peers/: the
//! ordinary `dlt_user_log_write_start` / `_raw` / `_finish` path, one context shared by every
//! producer. Which daemon it talks to (or none) is set by `DLT_PIPE_DIR` in the environment.

#[cfg(have_dlt)]
mod ffi {
    extern "C" {
        pub fn bench_dlt_init() -> i32;
        pub fn bench_dlt_log(payload: *const u8, len: u16) -> i32;
        pub fn bench_dlt_shutdown();
    }
}

/// Whether the peer was compiled in.
pub const AVAILABLE: bool = cfg!(have_dlt);

/// A producer handle (the DLT context is process-wide).
pub struct DltPub;

impl crate::harness::Publisher for DltPub {
    #[inline]
    fn publish(&mut self, _payload: &[u8]) -> bool {
        #[cfg(have_dlt)]
        {
            // SAFETY: `init` succeeded before any producer exists; libdlt is thread-safe.
            unsafe { ffi::bench_dlt_log(_payload.as_ptr(), _payload.len() as u16) >= 0 }
        }
        #[cfg(not(have_dlt))]
        false
    }
}

/// Registers the application and its context (starts libdlt's housekeeper thread).
pub fn init() -> Result<(), String> {
    #[cfg(have_dlt)]
    {
        // SAFETY: called once per process, before any producer thread starts.
        match unsafe { ffi::bench_dlt_init() } {
            0 => Ok(()),
            e => Err(format!("DLT init failed ({e})")),
        }
    }
    #[cfg(not(have_dlt))]
    Err("DLT not compiled in".into())
}

/// Unregisters and frees the library's state.
pub fn shutdown() {
    #[cfg(have_dlt)]
    // SAFETY: every producer thread has been joined.
    unsafe {
        ffi::bench_dlt_shutdown()
    };
}
