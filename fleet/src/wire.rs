//! How a log's frames travel as NATS messages: the one definition, used by the shipper to
//! encode and by the collector to decode (docs/FLEET.md, "Messages").
//!
//! Every frame of the log becomes one message. Data records and log messages go to the
//! robot's subject `S`; everything a consumer needs to decode them, and the log's boundary
//! frames, go to `S.meta`: a segment's header (producer and type tables, clock anchor) before
//! the first frame shipped from that segment, call sites, epoch begins, seals, clean closes,
//! loss markers and state changes. The body is the frame's payload (a segment header's
//! encoding, for a header); the frame's header fields travel as NATS headers.
//!
//! `Rtlog-Prev` chains the frames of one log: it is the LSN of the frame the shipper
//! published before this one (0: none before it in this run of a shipper without a cursor).
//! The collector writes a frame only when its predecessor is written, so a message stored
//! out of order (a publish that failed while a later one succeeded, as in a leader change)
//! waits for the re-sent one instead of leaving a hole.

use async_nats::HeaderMap;
use rtlog::format::{FrameHeader, FrameKind, Level, SegmentHeader};

/// `Nats-Msg-Id`: JetStream drops a message whose id it has seen within its window.
pub const MSG_ID: &str = "Nats-Msg-Id";
/// The frame's LSN (for a segment header: the LSN of the first frame shipped after it).
pub const LSN: &str = "Rtlog-Lsn";
/// The LSN of the frame published before this one.
pub const PREV: &str = "Rtlog-Prev";
/// The frame's epoch.
pub const EPOCH: &str = "Rtlog-Epoch";
/// `header`, or the frame kind's name (`data`, `message`, `call-site`, ...).
pub const KIND: &str = "Rtlog-Kind";
/// The producer's name (absent for frames of no producer).
pub const PRODUCER: &str = "Rtlog-Producer";
/// The producer's id in its epoch.
pub const PRODUCER_ID: &str = "Rtlog-Producer-Id";
/// The stream: 0 critical, 1 normal, 255 none.
pub const STREAM: &str = "Rtlog-Stream";
/// The record type number.
pub const TYPE: &str = "Rtlog-Type";
/// The level's name (`info`, `warn`, ...).
pub const LEVEL: &str = "Rtlog-Level";
/// The per-producer, per-stream sequence number.
pub const SEQ: &str = "Rtlog-Seq";
/// Wall-clock time of the frame, ns since the Unix epoch.
pub const TIME: &str = "Rtlog-Time";
/// The frame's own timestamp, `CLOCK_MONOTONIC` ns of the robot.
pub const MONOTONIC: &str = "Rtlog-Monotonic-Ns";
/// `KIND` of a segment header message.
pub const HEADER_KIND: &str = "header";

/// The subject of the meta messages of a log shipped to `subject`.
pub fn meta_subject(subject: &str) -> String {
    format!("{subject}.meta")
}

/// The log's subject for a message received on `subject` (meta messages map to their log's).
pub fn log_subject(subject: &str) -> &str {
    subject.strip_suffix(".meta").unwrap_or(subject)
}

/// A shipped frame, or a segment header, as it travels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    /// A segment header: the frames after it, up to the next header, are of its segment.
    Header {
        /// The header, as the segment file has it.
        header: SegmentHeader,
        /// The LSN of the first frame shipped after it.
        first_lsn: u64,
    },
    /// A frame and its payload.
    Frame(FrameHeader, Vec<u8>),
}

impl Item {
    /// The frame's LSN; for a header, that of the frame after it.
    pub fn lsn(&self) -> u64 {
        match self {
            Item::Header { first_lsn, .. } => *first_lsn,
            Item::Frame(h, _) => h.lsn,
        }
    }

    /// The epoch the item belongs to.
    pub fn epoch(&self) -> u32 {
        match self {
            Item::Header { header, .. } => header.epoch,
            Item::Frame(h, _) => h.epoch,
        }
    }

    /// Whether the item goes to the meta subject (everything but data records and messages).
    pub fn is_meta(&self) -> bool {
        !matches!(self, Item::Frame(h, _)
            if h.kind == FrameKind::Data as u8 || h.kind == FrameKind::Message as u8)
    }

    /// `Nats-Msg-Id`: `<log id>:<epoch>:<lsn>` for a frame, with `:h` for a header.
    pub fn msg_id(&self, log_id: &str) -> String {
        match self {
            Item::Header { .. } => format!("{log_id}:{}:{}:h", self.epoch(), self.lsn()),
            Item::Frame(..) => format!("{log_id}:{}:{}", self.epoch(), self.lsn()),
        }
    }
}

/// The headers and body of the message for `item`. `segment` is the header of the segment the
/// frame was read from (producer names, clock anchor); `prev` the LSN shipped before it.
pub fn encode(
    item: &Item,
    segment: &SegmentHeader,
    log_id: &str,
    prev: u64,
) -> (HeaderMap, Vec<u8>) {
    let mut m = HeaderMap::new();
    m.insert(MSG_ID, item.msg_id(log_id).as_str());
    m.insert(LSN, item.lsn().to_string().as_str());
    m.insert(PREV, prev.to_string().as_str());
    m.insert(EPOCH, item.epoch().to_string().as_str());
    let h = match item {
        Item::Header { header, .. } => {
            m.insert(KIND, HEADER_KIND);
            return (m, header.encode());
        }
        Item::Frame(h, _) => h,
    };
    let kind = FrameKind::from_u8(h.kind).map_or("unknown", kind_name);
    m.insert(KIND, kind);
    if let Some((_, name)) = segment.producers.iter().find(|(id, _)| *id == h.producer) {
        m.insert(PRODUCER, name.as_str());
    }
    m.insert(PRODUCER_ID, h.producer.to_string().as_str());
    m.insert(STREAM, h.stream.to_string().as_str());
    m.insert(TYPE, h.record_type.to_string().as_str());
    m.insert(LEVEL, Level::from_u8(h.level).unwrap_or(Level::Info).name());
    m.insert(SEQ, h.seq.to_string().as_str());
    m.insert(TIME, segment.wall_clock_ns(h.timestamp_ns).to_string().as_str());
    m.insert(MONOTONIC, h.timestamp_ns.to_string().as_str());
    let Item::Frame(_, payload) = item else { unreachable!("headers returned above") };
    (m, payload.clone())
}

/// A received message: the item, and the LSN shipped before it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    /// What was shipped.
    pub item: Item,
    /// `Rtlog-Prev`.
    pub prev: u64,
}

/// Decodes a message's headers and body; `Err` names what is missing or wrong.
pub fn decode(headers: &HeaderMap, body: &[u8]) -> Result<Received, String> {
    let text = |name: &str| -> Result<&str, String> {
        headers.get(name).map(|v| v.as_str()).ok_or_else(|| format!("no {name} header"))
    };
    let number = |name: &str| -> Result<u64, String> {
        let v = text(name)?;
        v.parse().map_err(|_| format!("{name}: {v:?} is not a number"))
    };
    let small = |name: &str, max: u64| -> Result<u64, String> {
        number(name).and_then(|v| match v <= max {
            true => Ok(v),
            false => Err(format!("{name}: {v} is out of range")),
        })
    };
    let prev = number(PREV)?;
    let lsn = number(LSN)?;
    let epoch = small(EPOCH, u32::MAX.into())? as u32;
    let kind = text(KIND)?;
    if kind == HEADER_KIND {
        let header = SegmentHeader::decode(body).map_err(|e| format!("segment header: {e}"))?;
        return Ok(Received { item: Item::Header { header, first_lsn: lsn }, prev });
    }
    let kind = (0..=u8::MAX)
        .filter_map(FrameKind::from_u8)
        .find(|k| kind_name(*k) == kind)
        .ok_or_else(|| format!("{KIND}: unknown kind {kind:?}"))?;
    let level = Level::parse(text(LEVEL)?).ok_or_else(|| format!("{LEVEL}: unknown level"))?;
    let frame = FrameHeader {
        payload_len: body.len() as u32,
        lsn,
        seq: number(SEQ)?,
        timestamp_ns: number(MONOTONIC)?,
        epoch,
        producer: small(PRODUCER_ID, u16::MAX.into())? as u16,
        record_type: small(TYPE, u16::MAX.into())? as u16,
        stream: small(STREAM, u8::MAX.into())? as u8,
        kind: kind as u8,
        level: level as u8,
    };
    Ok(Received { item: Item::Frame(frame, body.to_vec()), prev })
}

/// The name of a frame kind in `Rtlog-Kind`.
pub fn kind_name(kind: FrameKind) -> &'static str {
    match kind {
        FrameKind::Data => "data",
        FrameKind::EpochBegin => "epoch-begin",
        FrameKind::CleanClose => "clean-close",
        FrameKind::Seal => "seal",
        FrameKind::Loss => "loss",
        FrameKind::State => "state",
        FrameKind::Message => "message",
        FrameKind::CallSite => "call-site",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segment() -> SegmentHeader {
        SegmentHeader {
            index: 3,
            first_lsn: 10,
            salt: 99,
            epoch: 2,
            max_payload: 256,
            realtime_ns: 1_000_000,
            monotonic_ns: 500,
            tsc_hz: 0,
            producers: vec![(0, "arm".into())],
            minor: 3,
            types: Vec::new(),
        }
    }

    #[test]
    fn frames_and_headers_round_trip() {
        let frame = FrameHeader {
            payload_len: 3,
            lsn: 12,
            seq: 4,
            timestamp_ns: 700,
            epoch: 2,
            producer: 0,
            record_type: 7,
            stream: 1,
            kind: FrameKind::Data as u8,
            level: Level::Warn as u8,
        };
        for item in
            [Item::Frame(frame, b"abc".to_vec()), Item::Header { header: segment(), first_lsn: 12 }]
        {
            let (headers, body) = encode(&item, &segment(), "fleet.r1", 11);
            assert_eq!(decode(&headers, &body), Ok(Received { item: item.clone(), prev: 11 }));
        }
        let (headers, _) = encode(&Item::Frame(frame, vec![1, 2, 3]), &segment(), "fleet.r1", 11);
        assert_eq!(headers.get(MSG_ID).unwrap().as_str(), "fleet.r1:2:12");
        assert_eq!(headers.get(PRODUCER).unwrap().as_str(), "arm");
        assert_eq!(headers.get(TIME).unwrap().as_str(), "1000200");
    }
}
