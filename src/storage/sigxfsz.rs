//! SIGXFSZ: a write past `RLIMIT_FSIZE` fails with `EFBIG`, it does not end the process
//! (non-RT).
//!
//! A `write` or `fallocate` that would make a file larger than the process's `RLIMIT_FSIZE`
//! fails with `EFBIG`, and the kernel also sends `SIGXFSZ` to the thread that made the call.
//! The default action of that signal ends the process (with a core dump) — for a logging
//! library, losing the whole application because the log hit a size limit. The signal is
//! thread-directed (queued on the writing thread), so a thread that blocks it just gets the
//! `EFBIG`, which the writer handles as any failed write: state CRITICAL, the batch lost and
//! marked, writing goes on in a new segment.
//!
//! So rtlog's own threads block it for their whole life ([`block_in_this_thread`]), and the
//! calls that write segments on the caller's thread (`start`, and in manual mode the writer
//! steps of `step_writer`, `flush` and `shutdown`) block it for the duration of the call
//! ([`blocked`]), leaving the caller's mask — and any SIGXFSZ that was pending before — as they
//! were.

/// A signal set holding only SIGXFSZ.
fn xfsz_set() -> libc::sigset_t {
    // SAFETY: sigset_t is plain data; sigemptyset initialises it before sigaddset reads it.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGXFSZ);
        set
    }
}

/// Whether SIGXFSZ is pending for this thread (or the process).
fn pending() -> bool {
    // SAFETY: sigpending writes the set it is given; sigismember reads an initialised set.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigpending(&mut set) == 0 && libc::sigismember(&set, libc::SIGXFSZ) == 1
    }
}

/// Blocks SIGXFSZ in the calling thread from now on (for threads rtlog owns).
pub(crate) fn block_in_this_thread() {
    let set = xfsz_set();
    // SAFETY: changes only this thread's signal mask; `set` is initialised.
    unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) };
}

/// Runs `f` with SIGXFSZ blocked in this thread; a SIGXFSZ that `f`'s writes raised is
/// discarded (their `EFBIG` already reported it), then the caller's mask is restored.
pub(crate) fn blocked<T>(f: impl FnOnce() -> T) -> T {
    let set = xfsz_set();
    // SAFETY: sigset_t is plain data, written by pthread_sigmask before it is read.
    let mut old: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: changes only this thread's mask; the old one is saved in `old`.
    unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &set, &mut old) };
    let was_pending = pending();
    let out = f();
    if !was_pending && pending() {
        let zero = libc::timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: takes the pending SIGXFSZ (blocked, so it cannot be delivered meanwhile);
        // a NULL info pointer is allowed.
        unsafe { libc::sigtimedwait(&set, std::ptr::null_mut(), &zero) };
    }
    // SAFETY: restores the mask saved above.
    unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut()) };
    out
}
