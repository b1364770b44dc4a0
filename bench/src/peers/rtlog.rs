//! rtlog itself, through its Rust API (`Producer::publish` on the normal stream). The C ABI's
//! `rtlog_publish` is the same call behind one more function call.

use rtlog::{Logger, Producer, Status, Stream};
use std::ptr::NonNull;
use std::sync::Arc;

/// A producer handle, moved to its thread.
pub struct RtlogPub(NonNull<Producer>);

// SAFETY: a `Producer` is `Send`; the logger keeps it alive until it is dropped, which the
// benchmark does only after every producer thread has been joined.
unsafe impl Send for RtlogPub {}

impl RtlogPub {
    /// The producer behind the handle.
    pub fn producer(&self) -> NonNull<Producer> {
        self.0
    }
}

impl crate::harness::Publisher for RtlogPub {
    #[inline]
    fn publish(&mut self, payload: &[u8]) -> bool {
        // SAFETY: the handle is valid (see `Send`) and used by this thread only.
        let p = unsafe { self.0.as_mut() };
        p.publish(Stream::Normal, 1, payload) == Status::Ok
    }
}

/// Creates, starts (threads included: writer, supervisor, and the ticker when
/// `dispatch_period_us > 0`) a logger with `producers` producers. The logger's threads inherit
/// the calling thread's CPU affinity.
pub fn open(
    config: rtlog::Config,
    producers: usize,
) -> Result<(Arc<Logger>, Vec<RtlogPub>), String> {
    let lg = Arc::new(Logger::init(config).map_err(|e| format!("rtlog init: {e}"))?);
    let mut pubs = Vec::new();
    for i in 0..producers {
        let p = lg.create_producer(&format!("p{i}")).map_err(|e| format!("producer: {e}"))?;
        pubs.push(RtlogPub(p));
    }
    lg.start().map_err(|e| format!("rtlog start: {e}"))?;
    lg.start_ticker().map_err(|e| format!("rtlog ticker: {e}"))?;
    Ok((lg, pubs))
}
