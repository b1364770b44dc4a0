//! Diagnostic peer: rtlog's own ring (`rtlog::ring`, the structure behind every producer)
//! pushed directly, without `Producer::publish` around it (no phase gate, no quiesce flag, no
//! overflow policy). The gap between this row and rtlog's is what the publish wrapper costs.

use crate::timing;
use rtlog::ring::{RingConsumer, RingProducer, SlotHeader};

/// Producer end of a bare rtlog ring.
pub struct RingPub {
    ring: RingProducer,
}

impl RingPub {
    /// Wraps a ring's producer end.
    pub fn new(ring: RingProducer) -> RingPub {
        RingPub { ring }
    }
}

impl crate::harness::Publisher for RingPub {
    #[inline]
    fn publish(&mut self, payload: &[u8]) -> bool {
        // The header publish builds (producer 0, normal stream, data kind).
        let header = SlotHeader {
            seq: self.ring.pushed(),
            timestamp: timing::rdtsc(),
            record_type: 1,
            stream: 1,
            kind: 1,
            ..SlotHeader::default()
        };
        self.ring.push(&header, payload)
    }
}

/// Pops everything available; returns the count.
pub fn drain(c: &mut RingConsumer) -> u64 {
    let mut n = 0;
    loop {
        match c.peek() {
            Some((h, p)) => {
                std::hint::black_box((h.seq, p));
            }
            None => return n,
        }
        c.pop();
        n += 1;
    }
}
