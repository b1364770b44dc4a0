//! Sequence-number continuity (non-RT, read side): per epoch, producer and stream, the
//! sequence numbers of data records and messages run on without a gap, except where a loss
//! marker says records were overwritten in the ring or lost by a failed write (records refused
//! at publish take no number). `rtlog verify` reports what this finds as damage, and the crash
//! loop checks it finds nothing.

use crate::format::{FrameKind, LossMarker, LossReason};
use crate::reader::Record;
use std::collections::HashMap;

/// A break in a stream's sequence numbers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gap {
    /// Epoch, producer id and stream of the record where it shows.
    pub epoch: u32,
    /// Producer id.
    pub producer: u16,
    /// Stream.
    pub stream: u8,
    /// LSN of that record.
    pub lsn: u64,
    /// The sequence numbers missing (`first..=last`), or, when `first > last`, the record's
    /// number went back: `first` was expected, `last + 1` came.
    pub first: u64,
    /// See `first`.
    pub last: u64,
}

impl Gap {
    /// Whether the record's number went back rather than skipped ahead.
    pub fn backwards(&self) -> bool {
        self.first > self.last
    }
}

/// The check, fed every frame of a log in order ([`GapCheck::frame`]). An epoch whose start
/// the log no longer has (retention) starts at its first visible number.
#[derive(Default)]
pub struct GapCheck {
    /// (producer, stream) → the next expected seq, in the current epoch.
    next: HashMap<(u16, u8), u64>,
    /// Ranges loss markers explained, per (producer, stream).
    explained: HashMap<(u16, u8), Vec<(u64, u64)>>,
    epoch: Option<u32>,
    /// The current epoch's epoch-begin frame was read: every stream starts at 0.
    from_start: bool,
    gaps: Vec<Gap>,
}

impl GapCheck {
    /// Takes the next frame of the log (any kind, as `Reader::next_frame` gives them).
    pub fn frame(&mut self, f: &Record<'_>) {
        if self.epoch != Some(f.epoch) {
            self.epoch = Some(f.epoch);
            self.from_start = f.kind == FrameKind::EpochBegin;
            self.next.clear();
            self.explained.clear();
        }
        let key = (f.producer, f.stream);
        match f.kind {
            FrameKind::Loss => {
                let Ok(m) = LossMarker::decode(f.payload) else { return };
                if matches!(m.reason, LossReason::Overwritten | LossReason::WriteFailed) {
                    self.explained.entry(key).or_default().push((m.first_seq, m.last_seq));
                }
            }
            FrameKind::Data | FrameKind::Message => self.record(f.epoch, key, f.seq, f.lsn),
            _ => {}
        }
    }

    /// The gaps found so far.
    pub fn gaps(&self) -> &[Gap] {
        &self.gaps
    }

    fn record(&mut self, epoch: u32, key: (u16, u8), seq: u64, lsn: u64) {
        let start = if self.from_start { Some(0) } else { None };
        let expected = self.next.get(&key).copied().or(start).unwrap_or(seq);
        let gap = |first, last| Gap { epoch, producer: key.0, stream: key.1, lsn, first, last };
        if seq < expected {
            self.gaps.push(gap(expected, seq.wrapping_sub(1)));
        } else if seq > expected && !self.covered(key, expected, seq - 1) {
            self.gaps.push(gap(expected, seq - 1));
        }
        self.next.insert(key, seq.max(expected) + 1);
    }

    /// Whether loss markers explain every seq of `first..=last`.
    fn covered(&mut self, key: (u16, u8), first: u64, last: u64) -> bool {
        let Some(ranges) = self.explained.get_mut(&key) else { return false };
        ranges.sort_unstable();
        let mut at = first;
        for &(a, b) in ranges.iter() {
            if a <= at && b >= at {
                at = b.saturating_add(1);
            }
        }
        ranges.retain(|&(_, b)| b > last);
        at > last
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::Level;

    fn rec(kind: FrameKind, seq: u64, payload: &[u8]) -> Record<'_> {
        Record {
            lsn: seq + 10,
            seq,
            timestamp_ns: 0,
            epoch: 1,
            producer: 0,
            record_type: 0,
            stream: 1,
            kind,
            level: Level::Info,
            payload,
        }
    }

    #[test]
    fn gaps_are_found_unless_a_loss_marker_explains_them() {
        let mut c = GapCheck::default();
        c.frame(&rec(FrameKind::EpochBegin, 0, &[]));
        for seq in [0, 1, 2, 5] {
            c.frame(&rec(FrameKind::Data, seq, &[]));
        }
        assert_eq!(c.gaps().len(), 1);
        assert_eq!((c.gaps()[0].first, c.gaps()[0].last), (3, 4));
        let m = LossMarker { count: 2, first_seq: 6, last_seq: 7, reason: LossReason::Overwritten };
        let encoded = m.encode();
        c.frame(&rec(FrameKind::Loss, 6, &encoded));
        c.frame(&rec(FrameKind::Message, 8, &[]));
        assert_eq!(c.gaps().len(), 1, "6..=7 were overwritten: explained");
        c.frame(&rec(FrameKind::Data, 8, &[]));
        assert!(c.gaps()[1].backwards());
    }

    #[test]
    fn an_epoch_seen_from_its_middle_starts_at_its_first_number() {
        let mut c = GapCheck::default();
        c.frame(&rec(FrameKind::Data, 40, &[]));
        c.frame(&rec(FrameKind::Data, 41, &[]));
        assert!(c.gaps().is_empty());
    }
}
