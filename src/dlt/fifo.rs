//! The write end of the daemon's FIFO (`<pipe dir>/dlt`), never blocking (non-RT: the DLT
//! thread, or the caller of `rtlog_step_writer` in manual mode).
//!
//! - Opened with `O_WRONLY | O_NONBLOCK`: the open fails at once with `ENXIO` when no daemon
//!   holds the read end (and `ENOENT` when there is no FIFO): "daemon away", retried later.
//! - Every write is at most `PIPE_BUF` bytes of whole messages, which POSIX makes atomic: other
//!   applications writing to the same FIFO cannot interleave with it, and on a full pipe a
//!   non-blocking write stores nothing (`EAGAIN`) rather than part of a message.
//! - A daemon that went away shows as `POLLERR` on the write end, and as `EPIPE` on a write.
//!   `EPIPE` also raises `SIGPIPE`, whose default action kills the process, and a library must
//!   not change the process's signal dispositions (libdlt ignores `SIGPIPE` process-wide). So
//!   the writing thread has `SIGPIPE` blocked while it writes, and a `SIGPIPE` that the write
//!   made pending is consumed with `sigtimedwait` before it is unblocked.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// Largest write that stays atomic on a pipe (`PIPE_BUF` on Linux).
pub const PIPE_BUF: usize = libc::PIPE_BUF;

/// Result of a write attempt.
#[derive(Debug, PartialEq, Eq)]
pub enum Sent {
    /// Everything was written.
    All,
    /// The pipe is full: nothing was written; try again later.
    Full,
    /// The daemon is gone (or another error, with its errno): nothing was written.
    Gone(i32),
}

/// An open write end of the daemon FIFO.
pub struct Fifo {
    fd: libc::c_int,
}

impl Fifo {
    /// Opens `path` for writing without blocking; `Err(errno)` when no daemon reads it.
    pub fn open(path: &Path) -> Result<Fifo, i32> {
        let c = CString::new(path.as_os_str().as_bytes()).map_err(|_| libc::EINVAL)?;
        // SAFETY: `c` is a valid NUL-terminated path; open has no other memory argument.
        let fd =
            unsafe { libc::open(c.as_ptr(), libc::O_WRONLY | libc::O_NONBLOCK | libc::O_CLOEXEC) };
        if fd < 0 {
            return Err(errno());
        }
        let fifo = Fifo { fd };
        // SAFETY: `st` is a plain struct that fstat fills; `fd` is ours and open.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: as above.
        if unsafe { libc::fstat(fd, &mut st) } != 0 || st.st_mode & libc::S_IFMT != libc::S_IFIFO {
            // A regular file where the FIFO should be is not a daemon (and writes would grow it).
            return Err(libc::ENOTSUP);
        }
        Ok(fifo)
    }

    /// Whether the daemon closed its end (`POLLERR`/`POLLHUP` on ours). One `poll`, no wait.
    pub fn reader_gone(&self) -> bool {
        let mut p = libc::pollfd { fd: self.fd, events: libc::POLLOUT, revents: 0 };
        // SAFETY: one valid pollfd, timeout 0.
        let n = unsafe { libc::poll(&mut p, 1, 0) };
        n > 0 && p.revents & (libc::POLLERR | libc::POLLHUP | libc::POLLNVAL) != 0
    }

    /// Writes `buf` (at most [`PIPE_BUF`] bytes) all or nothing.
    pub fn send(&self, buf: &[u8]) -> Sent {
        debug_assert!(buf.len() <= PIPE_BUF);
        let _guard = SigpipeBlocked::new();
        loop {
            // SAFETY: `buf` is valid for `buf.len()` bytes; `fd` is ours and open.
            let n = unsafe { libc::write(self.fd, buf.as_ptr().cast(), buf.len()) };
            if n >= 0 {
                // A write of at most PIPE_BUF bytes to a pipe is never partial.
                debug_assert_eq!(n as usize, buf.len());
                return Sent::All;
            }
            match errno() {
                libc::EINTR => continue,
                libc::EAGAIN => return Sent::Full,
                e => return Sent::Gone(e),
            }
        }
    }
}

impl Drop for Fifo {
    fn drop(&mut self) {
        // SAFETY: `fd` is ours and closed once, here.
        unsafe { libc::close(self.fd) };
    }
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(libc::EIO)
}

fn sigpipe_set() -> libc::sigset_t {
    // SAFETY: sigemptyset/sigaddset initialise the set they are given.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGPIPE);
        set
    }
}

/// Blocks `SIGPIPE` on this thread for its lifetime; on drop, consumes a `SIGPIPE` that became
/// pending meanwhile (one our write raised) and restores the previous mask. Three system calls
/// per write batch, which is why batches are up to `PIPE_BUF` bytes.
struct SigpipeBlocked {
    old: libc::sigset_t,
    was_pending: bool,
}

impl SigpipeBlocked {
    fn new() -> SigpipeBlocked {
        let set = sigpipe_set();
        // SAFETY: both sets are valid; pthread_sigmask only changes this thread's mask.
        let mut old: libc::sigset_t = unsafe { std::mem::zeroed() };
        // SAFETY: as above.
        unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &set, &mut old) };
        SigpipeBlocked { old, was_pending: pending() }
    }
}

/// Whether a `SIGPIPE` is pending for this thread or the process.
fn pending() -> bool {
    // SAFETY: `p` is filled by sigpending; sigismember reads it.
    unsafe {
        let mut p: libc::sigset_t = std::mem::zeroed();
        libc::sigpending(&mut p);
        libc::sigismember(&p, libc::SIGPIPE) == 1
    }
}

impl Drop for SigpipeBlocked {
    fn drop(&mut self) {
        // Only consume a SIGPIPE that was not already pending before our write (someone
        // else's, which must stay theirs).
        if !self.was_pending && pending() {
            let set = sigpipe_set();
            let zero = libc::timespec { tv_sec: 0, tv_nsec: 0 };
            // SAFETY: valid set and timeout; a NULL siginfo pointer is allowed.
            unsafe { libc::sigtimedwait(&set, std::ptr::null_mut(), &zero) };
        }
        // SAFETY: restores the mask saved in `new`.
        unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &self.old, std::ptr::null_mut()) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn mkfifo(path: &Path) {
        let c = CString::new(path.as_os_str().as_bytes()).unwrap();
        // SAFETY: valid path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    }

    #[test]
    fn no_reader_no_file_and_a_gone_reader_are_reported_without_blocking_or_sigpipe() {
        let dir = std::env::temp_dir().join(format!("rtlog-fifo-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("dlt");
        assert_eq!(Fifo::open(&path).err(), Some(libc::ENOENT));
        mkfifo(&path);
        assert_eq!(Fifo::open(&path).err(), Some(libc::ENXIO));

        let mut reader =
            std::fs::OpenOptions::new().read(true).custom_flags_nonblock().open(&path).unwrap();
        let fifo = Fifo::open(&path).unwrap();
        assert!(!fifo.reader_gone());
        assert_eq!(fifo.send(b"hello"), Sent::All);
        let mut got = [0u8; 5];
        reader.read_exact(&mut got).unwrap();
        assert_eq!(&got, b"hello");
        // Fill the pipe: a full pipe refuses a whole write rather than taking part of it.
        let chunk = [7u8; PIPE_BUF];
        let mut writes = 0;
        while fifo.send(&chunk) == Sent::All {
            writes += 1;
            assert!(writes < 100_000, "the pipe never filled");
        }
        drop(reader);
        assert!(fifo.reader_gone());
        // EPIPE, and the SIGPIPE it raised was consumed (the test process is still alive).
        assert_eq!(fifo.send(b"x"), Sent::Gone(libc::EPIPE));
        assert!(!pending());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    trait NonBlock {
        fn custom_flags_nonblock(&mut self) -> &mut Self;
    }
    impl NonBlock for std::fs::OpenOptions {
        fn custom_flags_nonblock(&mut self) -> &mut Self {
            use std::os::unix::fs::OpenOptionsExt;
            self.custom_flags(libc::O_NONBLOCK)
        }
    }
}
