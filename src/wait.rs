//! Publishing from ordinary (non-RT) threads: [`publish_wait`] waits a bounded time for ring
//! space instead of being refused at once. Non-RT: it sleeps. An RT thread must never call it;
//! debug builds refuse a thread that runs under `SCHED_FIFO` or `SCHED_RR`.

use crate::error::Status;
use crate::rt::producer::{Producer, Stream};
use std::time::{Duration, Instant};

/// The first back-off sleep; it doubles up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_micros(50);
/// The longest back-off sleep: about one default dispatch period.
const MAX_BACKOFF: Duration = Duration::from_millis(1);

/// Publishes like [`Producer::publish`], but when the ring of `stream` is full it sleeps and
/// tries again (50 µs, doubling to 1 ms) until `timeout` has passed; then it tries a last time,
/// and a refusal then is `Full`, counted in `dropped` like any. Waiting does not count as a
/// drop. `InvalidState` (debug builds) on a thread with a real-time scheduling policy.
pub fn publish_wait(
    p: &mut Producer,
    stream: Stream,
    record_type: u16,
    payload: &[u8],
    timeout: Duration,
) -> Status {
    if cfg!(debug_assertions) && on_rt_thread() {
        return Status::InvalidState;
    }
    let deadline = Instant::now() + timeout;
    let mut backoff = FIRST_BACKOFF;
    while !p.has_room(stream) {
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        std::thread::sleep(backoff.min(deadline - now));
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
    p.publish(stream, record_type, payload)
}

/// Whether the calling thread runs under `SCHED_FIFO` or `SCHED_RR`.
fn on_rt_thread() -> bool {
    // SAFETY: sched_getscheduler(0) reads the calling thread's policy and touches no memory.
    let policy = unsafe { libc::sched_getscheduler(0) };
    policy == libc::SCHED_FIFO || policy == libc::SCHED_RR
}
