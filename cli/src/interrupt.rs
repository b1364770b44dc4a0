//! Ctrl-C (SIGINT) and SIGTERM as a request to stop, so that `tail -f` can flush what it has
//! printed and exit 0 instead of dying in the middle of a line, and `ship` and `collect` can
//! store their cursor and stop cleanly.

use std::sync::atomic::{AtomicBool, Ordering};

/// Set by the signal handler. `Relaxed` is enough: the flag publishes no other data, and the
/// polling loop only needs to see it eventually.
static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_signal: libc::c_int) {
    // Only an atomic store: async-signal-safe.
    STOP.store(true, Ordering::Relaxed);
}

/// Installs the handler for SIGINT and SIGTERM.
pub fn install() -> std::io::Result<()> {
    for signal in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: `action` is fully initialised (zeroed, then an empty mask and a handler that
        // matches the `sa_handler` signature and only touches an atomic); `sigaction` copies it.
        let rc = unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(signal, &action, std::ptr::null_mut())
        };
        if rc != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

/// The flag itself, for loops that take one (`rtlog ship`, `rtlog collect`).
pub fn flag() -> &'static AtomicBool {
    &STOP
}

/// Whether a stop was requested.
pub fn requested() -> bool {
    STOP.load(Ordering::Relaxed)
}
