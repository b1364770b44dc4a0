//! The on-disk format: segment headers and record frames (see `docs/FORMAT.md`).
//!
//! This module is the format's only definition: every byte the writer puts on disk, frame
//! payloads included, is encoded here, and the reader and recovery decode with it. It depends
//! on neither, and does no I/O (reading files is [`crate::logdir`]'s). All integers are
//! little-endian.
//!
//! A segment file is a header followed by frames, each 8-byte aligned. Every frame's CRC32 also
//! covers its segment's random `salt`, so a frame left over from an earlier use of the same
//! bytes (a reused or preallocated file, another epoch) never validates in this segment — the
//! idea of SQLite's WAL salts and RocksDB's log numbers.
//!
//! - [`message`]: the payloads of log messages and their call sites.
//! - [`cursor`]: the ship cursor file (`rtlog ship`'s acknowledged position).

pub mod cursor;
pub mod message;

/// Magic bytes at the start of every segment file.
pub const SEGMENT_MAGIC: [u8; 8] = *b"RTLOGSEG";
/// Major format version; a reader refuses a newer one.
pub const FORMAT_MAJOR: u16 = 1;
/// Minor format version; additions a reader may ignore. 1 added the type table, 2 the frame
/// level, 3 messages and their call sites.
pub const FORMAT_MINOR: u16 = 3;
/// Bytes of the fixed part of a segment header (before the producer table).
pub const SEGMENT_FIXED_BYTES: usize = 80;
/// Bytes of a frame header.
pub const FRAME_HEADER_BYTES: usize = 48;
/// Frames and headers are padded to this alignment.
pub const ALIGN: usize = 8;
/// Largest payload the format allows (1 MiB); a larger length field is corruption.
pub const MAX_PAYLOAD: u32 = 1 << 20;
/// Largest payload of a call-site frame (kind 8): its fixed 20 bytes, 16 argument types and
/// three texts of at most 65,535 bytes (`message::CallSite::encode` cuts longer ones). A call
/// site's texts do not depend on `max_record_size`, so a call-site frame may be larger than its
/// segment's `max_payload`, up to this.
pub const MAX_CALLSITE_PAYLOAD: u32 = 20 + 16 + 3 * 65_535;
/// Largest segment header accepted (4096 producers with 64-byte names fit).
pub const MAX_HEADER_BYTES: usize = 1 << 20;
/// Producer id of boundary frames that belong to no producer.
pub const NO_PRODUCER: u16 = u16::MAX;
/// Stream value of boundary frames that belong to no stream.
pub const NO_STREAM: u8 = u8::MAX;

/// The first minor version whose frames carry a [`Level`] (byte 42 of the frame header); in
/// older segments that byte is reserved (0), and their frames read as [`Level::Info`].
pub const LEVEL_MINOR: u16 = 2;

/// The first minor version with message and call-site frames; an older segment that seems
/// to hold one is damaged.
pub const MESSAGE_MINOR: u16 = 3;

/// How much a frame matters, as `rtlog_level`: every frame of a segment of minor 2 or later
/// carries one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Level {
    /// Step-by-step detail.
    Trace = 0,
    /// Diagnostics for developers.
    Debug = 1,
    /// Normal operation (published records, epoch and segment boundaries).
    Info = 2,
    /// Something went wrong without losing correctness (lost records, a degraded logger).
    Warn = 3,
    /// Correct operation is at risk (a critical or safe logger).
    Error = 4,
    /// The program cannot go on.
    Fatal = 5,
}

impl Level {
    /// Every level, from the least to the most severe.
    pub const ALL: [Level; 6] =
        [Level::Trace, Level::Debug, Level::Info, Level::Warn, Level::Error, Level::Fatal];

    /// The level for a stored byte, if it names one.
    pub fn from_u8(v: u8) -> Option<Level> {
        Level::ALL.get(usize::from(v)).copied()
    }

    /// The level's name in lower case, as the tools print it.
    pub fn name(self) -> &'static str {
        match self {
            Level::Trace => "trace",
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
            Level::Fatal => "fatal",
        }
    }

    /// The level a name (any case) stands for.
    pub fn parse(name: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.name().eq_ignore_ascii_case(name))
    }
}

/// What a frame holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum FrameKind {
    /// A record published by a producer.
    Data = 1,
    /// First frame of an epoch (each `rtlog_start`).
    EpochBegin = 2,
    /// Last frame of an epoch that was shut down cleanly.
    CleanClose = 3,
    /// Last frame of a segment that was rotated; payload: data record count (u64; messages
    /// included).
    Seal = 4,
    /// Records of a producer's stream were lost; payload describes them.
    Loss = 5,
    /// A supervisor state change.
    State = 6,
    /// A log message of a producer: a call-site id and packed arguments (format minor 3).
    Message = 7,
    /// A call site's static data (format, file, line...), before its first message in the
    /// segment (format minor 3).
    CallSite = 8,
}

impl FrameKind {
    /// The kind for a stored byte, if known.
    pub fn from_u8(v: u8) -> Option<FrameKind> {
        Some(match v {
            1 => FrameKind::Data,
            2 => FrameKind::EpochBegin,
            3 => FrameKind::CleanClose,
            4 => FrameKind::Seal,
            5 => FrameKind::Loss,
            6 => FrameKind::State,
            7 => FrameKind::Message,
            8 => FrameKind::CallSite,
            _ => return None,
        })
    }
}

/// Why bytes did not decode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// Fewer bytes than the structure needs (a torn tail, or the end of the data).
    Truncated,
    /// Not a segment file.
    BadMagic,
    /// Written by a newer major version of the format.
    NewerVersion(u16),
    /// A length field out of range.
    BadLength,
    /// The checksum does not match.
    BadCrc,
    /// A field holds a value the format does not define.
    BadField(&'static str),
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::Truncated => write!(f, "truncated"),
            DecodeError::BadMagic => write!(f, "not an rtlog segment (bad magic)"),
            DecodeError::NewerVersion(v) => {
                write!(f, "format version {v} is newer than this reader's {FORMAT_MAJOR}")
            }
            DecodeError::BadLength => write!(f, "length field out of range"),
            DecodeError::BadCrc => write!(f, "checksum mismatch"),
            DecodeError::BadField(what) => write!(f, "invalid {what}"),
        }
    }
}

/// Rounds `n` up to the format's alignment.
pub const fn align_up(n: usize) -> usize {
    n.div_ceil(ALIGN) * ALIGN
}

/// Total bytes of a frame with `payload_len` payload bytes, padding included.
pub const fn frame_bytes(payload_len: usize) -> usize {
    FRAME_HEADER_BYTES + align_up(payload_len)
}

fn u16_at(b: &[u8], off: usize) -> u16 {
    u16::from_le_bytes(b[off..off + 2].try_into().unwrap())
}
fn u32_at(b: &[u8], off: usize) -> u32 {
    u32::from_le_bytes(b[off..off + 4].try_into().unwrap())
}
fn u64_at(b: &[u8], off: usize) -> u64 {
    u64::from_le_bytes(b[off..off + 8].try_into().unwrap())
}

/// The header at the start of each segment file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SegmentHeader {
    /// Position of the segment in the log (1, 2, ...); also in the file name.
    pub index: u64,
    /// LSN of the segment's first frame.
    pub first_lsn: u64,
    /// Random value bound into every frame's CRC.
    pub salt: u64,
    /// Epoch (one per `rtlog_start`) the segment belongs to.
    pub epoch: u32,
    /// `max_record_size` of the writer; no data frame in the segment is larger.
    pub max_payload: u32,
    /// `CLOCK_REALTIME` ns at the clock anchor.
    pub realtime_ns: u64,
    /// `CLOCK_MONOTONIC` ns at the same instant; record timestamps are on this clock.
    pub monotonic_ns: u64,
    /// TSC frequency used for timestamps (0: timestamps were read from `CLOCK_MONOTONIC`).
    pub tsc_hz: u64,
    /// Producer table: id and name.
    pub producers: Vec<(u16, String)>,
    /// `format_minor` of the header: as read, or to write. The type table exists from 1 on.
    pub minor: u16,
    /// Type table (minor 1 and later): the record types registered for the epoch.
    pub types: Vec<TypeEntry>,
}

/// A record type as stored in a segment header's type table.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TypeEntry {
    /// The record type number of the frames it describes.
    pub id: u16,
    /// Its name (UTF-8).
    pub name: String,
    /// Bytes of a record of this type (the layout's size, so a reader that cannot parse the
    /// layout can still tell a record of the right size).
    pub size: u32,
    /// The field layout in canonical form (see `crate::schema::layout`).
    pub layout: String,
}

/// Bytes before the name of a type table entry.
const TYPE_ENTRY_FIXED_BYTES: usize = 12;

impl TypeEntry {
    /// Bytes of the entry in the type table.
    pub fn encoded_len(&self) -> usize {
        TYPE_ENTRY_FIXED_BYTES + self.name.len() + self.layout.len()
    }

    fn encode_into(&self, b: &mut Vec<u8>) {
        b.extend_from_slice(&self.id.to_le_bytes());
        b.extend_from_slice(&(self.name.len() as u16).to_le_bytes());
        b.extend_from_slice(&self.size.to_le_bytes());
        b.extend_from_slice(&(self.layout.len() as u32).to_le_bytes());
        b.extend_from_slice(self.name.as_bytes());
        b.extend_from_slice(self.layout.as_bytes());
    }

    /// Decodes the entry at `*off` of `b` (the header without its CRC), advancing `*off`.
    fn decode(b: &[u8], off: &mut usize) -> Result<TypeEntry, DecodeError> {
        if *off + TYPE_ENTRY_FIXED_BYTES > b.len() {
            return Err(DecodeError::BadLength);
        }
        let id = u16_at(b, *off);
        let name_len = u16_at(b, *off + 2) as usize;
        let size = u32_at(b, *off + 4);
        let layout_len = u32_at(b, *off + 8) as usize;
        *off += TYPE_ENTRY_FIXED_BYTES;
        if name_len > b.len() - *off || layout_len > b.len() - *off - name_len {
            return Err(DecodeError::BadLength);
        }
        let text = |bytes: &[u8]| {
            std::str::from_utf8(bytes)
                .map(str::to_owned)
                .map_err(|_| DecodeError::BadField("type table"))
        };
        let name = text(&b[*off..*off + name_len])?;
        let layout = text(&b[*off + name_len..*off + name_len + layout_len])?;
        *off += name_len + layout_len;
        if size > MAX_PAYLOAD {
            return Err(DecodeError::BadField("type size"));
        }
        Ok(TypeEntry { id, name, size, layout })
    }
}

impl SegmentHeader {
    /// Encoded size in bytes (a multiple of 8, CRC included).
    pub fn encoded_len(&self) -> usize {
        self.types_offset() + self.type_table_len() + 8
    }

    /// Where the type table starts: after the producer table, at a multiple of 8.
    fn types_offset(&self) -> usize {
        let table: usize = self.producers.iter().map(|(_, n)| 4 + n.len()).sum();
        align_up(SEGMENT_FIXED_BYTES + table)
    }

    /// Bytes of the type table, padding to a multiple of 8 included (none before minor 1).
    fn type_table_len(&self) -> usize {
        if self.minor == 0 {
            return 0;
        }
        align_up(8 + self.types.iter().map(TypeEntry::encoded_len).sum::<usize>())
    }

    /// Encodes the header, CRC included.
    pub fn encode(&self) -> Vec<u8> {
        let len = self.encoded_len();
        let mut b = Vec::with_capacity(len);
        b.extend_from_slice(&SEGMENT_MAGIC);
        b.extend_from_slice(&FORMAT_MAJOR.to_le_bytes());
        b.extend_from_slice(&self.minor.to_le_bytes());
        b.extend_from_slice(&(len as u32).to_le_bytes());
        b.extend_from_slice(&self.index.to_le_bytes());
        b.extend_from_slice(&self.first_lsn.to_le_bytes());
        b.extend_from_slice(&self.salt.to_le_bytes());
        b.extend_from_slice(&self.epoch.to_le_bytes());
        b.extend_from_slice(&self.max_payload.to_le_bytes());
        b.extend_from_slice(&self.realtime_ns.to_le_bytes());
        b.extend_from_slice(&self.monotonic_ns.to_le_bytes());
        b.extend_from_slice(&self.tsc_hz.to_le_bytes());
        b.extend_from_slice(&0u32.to_le_bytes()); // flags, reserved
        b.extend_from_slice(&(self.producers.len() as u32).to_le_bytes());
        debug_assert_eq!(b.len(), SEGMENT_FIXED_BYTES);
        for (id, name) in &self.producers {
            b.extend_from_slice(&id.to_le_bytes());
            b.extend_from_slice(&(name.len() as u16).to_le_bytes());
            b.extend_from_slice(name.as_bytes());
        }
        if self.minor >= 1 {
            b.resize(self.types_offset(), 0);
            b.extend_from_slice(&(self.types.len() as u32).to_le_bytes());
            b.extend_from_slice(&0u32.to_le_bytes()); // reserved
            for t in &self.types {
                t.encode_into(&mut b);
            }
        }
        b.resize(len - 8, 0);
        let crc = crc32fast::hash(&b);
        b.extend_from_slice(&crc.to_le_bytes());
        b.extend_from_slice(&0u32.to_le_bytes());
        b
    }

    /// The total header length announced by the first 16 bytes (checks magic and length).
    ///
    /// Every format version keeps the magic, the version, `header_len` and the trailing CRC at
    /// their places, so any version's header can be length-checked and CRC-checked before its
    /// version is trusted: a damaged version field is damage, not a newer format.
    pub fn peek_len(prefix: &[u8]) -> Result<usize, DecodeError> {
        if prefix.len() < 16 {
            return Err(DecodeError::Truncated);
        }
        if prefix[..8] != SEGMENT_MAGIC {
            return Err(DecodeError::BadMagic);
        }
        let len = u32_at(prefix, 12) as usize;
        if !(SEGMENT_FIXED_BYTES + 8..=MAX_HEADER_BYTES).contains(&len) || len % ALIGN != 0 {
            return Err(DecodeError::BadLength);
        }
        Ok(len)
    }

    /// Decodes a whole header (`bytes` holds at least [`peek_len`](Self::peek_len) bytes).
    pub fn decode(bytes: &[u8]) -> Result<SegmentHeader, DecodeError> {
        let len = Self::peek_len(bytes)?;
        if bytes.len() < len {
            return Err(DecodeError::Truncated);
        }
        let b = &bytes[..len];
        if crc32fast::hash(&b[..len - 8]) != u32_at(b, len - 8) {
            return Err(DecodeError::BadCrc);
        }
        if u32_at(b, len - 4) != 0 || u32_at(b, 72) != 0 {
            return Err(DecodeError::BadField("reserved header bytes"));
        }
        match u16_at(b, 8) {
            0 => return Err(DecodeError::BadField("format version")),
            major if major > FORMAT_MAJOR => return Err(DecodeError::NewerVersion(major)),
            _ => {}
        }
        let minor = u16_at(b, 10);
        let count = u32_at(b, 76) as usize;
        let mut producers = Vec::with_capacity(count.min(4096));
        let mut off = SEGMENT_FIXED_BYTES;
        for _ in 0..count {
            if off + 4 > len - 8 {
                return Err(DecodeError::BadLength);
            }
            let id = u16_at(b, off);
            let n = u16_at(b, off + 2) as usize;
            off += 4;
            if off + n > len - 8 {
                return Err(DecodeError::BadLength);
            }
            let name = std::str::from_utf8(&b[off..off + n])
                .map_err(|_| DecodeError::BadField("producer name"))?;
            producers.push((id, name.to_owned()));
            off += n;
        }
        let mut types = Vec::new();
        if minor >= 1 {
            let body = &b[..len - 8];
            let mut off = align_up(off);
            if off + 8 > body.len() {
                return Err(DecodeError::BadLength);
            }
            let count = u32_at(body, off) as usize;
            if u32_at(body, off + 4) != 0 {
                return Err(DecodeError::BadField("reserved header bytes"));
            }
            off += 8;
            // Each entry takes at least 12 bytes: a count that cannot fit is damage, and
            // nothing is allocated by it.
            if count > (body.len() - off) / TYPE_ENTRY_FIXED_BYTES {
                return Err(DecodeError::BadLength);
            }
            types.reserve(count);
            for _ in 0..count {
                types.push(TypeEntry::decode(body, &mut off)?);
            }
        }
        let max_payload = u32_at(b, 44);
        if max_payload > MAX_PAYLOAD {
            return Err(DecodeError::BadLength);
        }
        Ok(SegmentHeader {
            index: u64_at(b, 16),
            first_lsn: u64_at(b, 24),
            salt: u64_at(b, 32),
            epoch: u32_at(b, 40),
            max_payload,
            realtime_ns: u64_at(b, 48),
            monotonic_ns: u64_at(b, 56),
            tsc_hz: u64_at(b, 64),
            producers,
            minor,
            types,
        })
    }

    /// Wall-clock ns for a record timestamp (monotonic ns), using this segment's anchor.
    pub fn wall_clock_ns(&self, timestamp_ns: u64) -> u64 {
        let delta = timestamp_ns as i128 - self.monotonic_ns as i128;
        (self.realtime_ns as i128 + delta).clamp(0, u64::MAX as i128) as u64
    }
}

/// The fixed part of a record frame.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FrameHeader {
    /// Payload bytes following the header (padding excluded).
    pub payload_len: u32,
    /// Log sequence number: position of the frame in the whole log.
    pub lsn: u64,
    /// Per-producer, per-stream sequence number (data frames).
    pub seq: u64,
    /// `CLOCK_MONOTONIC` ns at publish.
    pub timestamp_ns: u64,
    /// Epoch of the writer.
    pub epoch: u32,
    /// Producer id, or [`NO_PRODUCER`].
    pub producer: u16,
    /// User record type.
    pub record_type: u16,
    /// Stream, or [`NO_STREAM`].
    pub stream: u8,
    /// [`FrameKind`] as a byte.
    pub kind: u8,
    /// [`Level`] as a byte (segments of minor [`LEVEL_MINOR`] and later; 0 before).
    pub level: u8,
}

impl FrameHeader {
    /// Appends the frame (header, payload, zero padding) to `out`, CRC bound to `salt`.
    ///
    /// The writer calls this for every record: the header is assembled on the stack and copied
    /// once, and the CRC is one pass over the contiguous header and payload, continuing from
    /// the salt's CRC (computed once per segment).
    pub fn encode_into(&self, salt: &FrameSalt, payload: &[u8], out: &mut Vec<u8>) {
        debug_assert_eq!(self.payload_len as usize, payload.len());
        let mut h = [0u8; FRAME_HEADER_BYTES];
        h[4..8].copy_from_slice(&self.payload_len.to_le_bytes());
        h[8..16].copy_from_slice(&self.lsn.to_le_bytes());
        h[16..24].copy_from_slice(&self.seq.to_le_bytes());
        h[24..32].copy_from_slice(&self.timestamp_ns.to_le_bytes());
        h[32..36].copy_from_slice(&self.epoch.to_le_bytes());
        h[36..38].copy_from_slice(&self.producer.to_le_bytes());
        h[38..40].copy_from_slice(&self.record_type.to_le_bytes());
        h[40] = self.stream;
        h[41] = self.kind;
        h[42] = self.level;
        let start = out.len();
        out.reserve(frame_bytes(payload.len()));
        out.extend_from_slice(&h);
        out.extend_from_slice(payload);
        let mut crc = salt.hasher();
        crc.update(&out[start + 4..]);
        let crc = crc.finalize();
        out[start..start + 4].copy_from_slice(&crc.to_le_bytes());
        out.resize(start + frame_bytes(payload.len()), 0);
    }

    /// Decodes a frame header and checks its length field (the CRC needs the payload:
    /// see [`verify`](Self::verify)). `max_payload` is the segment's limit for every frame but
    /// a call site's.
    pub fn decode(b: &[u8], max_payload: u32) -> Result<FrameHeader, DecodeError> {
        if b.len() < FRAME_HEADER_BYTES {
            return Err(DecodeError::Truncated);
        }
        let h = FrameHeader {
            payload_len: u32_at(b, 4),
            lsn: u64_at(b, 8),
            seq: u64_at(b, 16),
            timestamp_ns: u64_at(b, 24),
            epoch: u32_at(b, 32),
            producer: u16_at(b, 36),
            record_type: u16_at(b, 38),
            stream: b[40],
            kind: b[41],
            level: b[42],
        };
        // Call-site frames carry texts whose length has nothing to do with the records'
        // `max_payload` (a path and a format easily exceed a 64-byte record limit).
        let limit = if h.kind == FrameKind::CallSite as u8 {
            MAX_CALLSITE_PAYLOAD
        } else {
            max_payload.max(64)
        };
        if h.payload_len > limit || h.payload_len > MAX_PAYLOAD {
            return Err(DecodeError::BadLength);
        }
        Ok(h)
    }

    /// Whether the header bytes that carry nothing are zero, as a valid frame's are, in a
    /// segment of format minor `minor`: bytes 43..48, and byte 42 too before [`LEVEL_MINOR`]
    /// (from then on it must name a [`Level`]). `b` holds the 48 header bytes.
    pub fn reserved_ok(b: &[u8], minor: u16) -> bool {
        let level_ok =
            if minor >= LEVEL_MINOR { Level::from_u8(b[42]).is_some() } else { b[42] == 0 };
        level_ok && b[43..FRAME_HEADER_BYTES].iter().all(|&x| x == 0)
    }

    /// Checks the stored CRC of a frame: `b` starts with the 48 header bytes, `payload` is the
    /// payload.
    pub fn verify(b: &[u8], salt: &FrameSalt, payload: &[u8]) -> bool {
        let mut crc = salt.hasher();
        crc.update(&b[4..FRAME_HEADER_BYTES]);
        crc.update(payload);
        u32_at(b, 0) == crc.finalize()
    }
}

/// A segment's salt, with its CRC computed once: a frame's CRC covers the salt, then the header
/// after the CRC field, then the payload, so every frame of the segment continues from the
/// same state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameSalt {
    crc: u32,
}

impl FrameSalt {
    /// The salt as stored in the segment header.
    pub fn new(salt: u64) -> FrameSalt {
        FrameSalt { crc: crc32fast::hash(&salt.to_le_bytes()) }
    }

    fn hasher(&self) -> crc32fast::Hasher {
        crc32fast::Hasher::new_with_initial(self.crc)
    }
}

/// Why records were lost (in a [`LossMarker`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum LossReason {
    /// Refused at publish because the ring was full (they never took a sequence number).
    Refused = 1,
    /// Accepted, but a write or sync of the writer failed.
    WriteFailed = 2,
    /// Accepted, then overwritten in the ring before dispatch (OVERWRITE_OLDEST).
    Overwritten = 3,
}

/// Payload of a [`FrameKind::Loss`] frame; the frame's producer and stream say whose records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LossMarker {
    /// Records lost.
    pub count: u64,
    /// `WriteFailed`: first lost seq. `Refused`: the seq of the next accepted record (the loss
    /// happened just before it).
    pub first_seq: u64,
    /// `WriteFailed`: last lost seq. `Refused`: equal to `first_seq`.
    pub last_seq: u64,
    /// Why.
    pub reason: LossReason,
}

/// Bytes of an encoded [`LossMarker`].
pub const LOSS_MARKER_BYTES: usize = 32;

impl LossMarker {
    /// The payload bytes.
    pub fn encode(&self) -> [u8; LOSS_MARKER_BYTES] {
        let mut b = [0u8; LOSS_MARKER_BYTES];
        b[0..8].copy_from_slice(&self.count.to_le_bytes());
        b[8..16].copy_from_slice(&self.first_seq.to_le_bytes());
        b[16..24].copy_from_slice(&self.last_seq.to_le_bytes());
        b[24..28].copy_from_slice(&(self.reason as u32).to_le_bytes());
        b
    }

    /// Decodes a loss frame's payload.
    pub fn decode(b: &[u8]) -> Result<LossMarker, DecodeError> {
        if b.len() < LOSS_MARKER_BYTES {
            return Err(DecodeError::Truncated);
        }
        let reason = match u32_at(b, 24) {
            1 => LossReason::Refused,
            2 => LossReason::WriteFailed,
            3 => LossReason::Overwritten,
            _ => return Err(DecodeError::BadField("loss reason")),
        };
        Ok(LossMarker {
            count: u64_at(b, 0),
            first_seq: u64_at(b, 8),
            last_seq: u64_at(b, 16),
            reason,
        })
    }
}

/// Payload of a [`FrameKind::EpochBegin`] frame: who writes the epoch, and how durably.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EpochBegin {
    /// Process id of the writer.
    pub pid: u32,
    /// The durability mode (0 none, 1 flush, 2 fsync, 3 fsync batch).
    pub durability: u32,
}

impl EpochBegin {
    /// Bytes of an encoded epoch-begin payload.
    pub const BYTES: usize = 8;

    /// The payload bytes.
    pub fn encode(&self) -> [u8; Self::BYTES] {
        let mut b = [0u8; Self::BYTES];
        b[..4].copy_from_slice(&self.pid.to_le_bytes());
        b[4..].copy_from_slice(&self.durability.to_le_bytes());
        b
    }

    /// Decodes an epoch-begin payload.
    pub fn decode(b: &[u8]) -> Result<EpochBegin, DecodeError> {
        if b.len() < Self::BYTES {
            return Err(DecodeError::Truncated);
        }
        Ok(EpochBegin { pid: u32_at(b, 0), durability: u32_at(b, 4) })
    }
}

/// Payload of a [`FrameKind::CleanClose`] frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CleanClose {
    /// Data records written in the epoch.
    pub records: u64,
}

impl CleanClose {
    /// Bytes of an encoded clean-close payload.
    pub const BYTES: usize = 8;

    /// The payload bytes.
    pub fn encode(&self) -> [u8; Self::BYTES] {
        self.records.to_le_bytes()
    }

    /// Decodes a clean-close payload.
    pub fn decode(b: &[u8]) -> Result<CleanClose, DecodeError> {
        if b.len() < Self::BYTES {
            return Err(DecodeError::Truncated);
        }
        Ok(CleanClose { records: u64_at(b, 0) })
    }
}

/// [`Seal::flags`]: the segment was abandoned after a failed write or sync.
pub const SEAL_SUSPECT: u32 = 1;

/// Payload of a [`FrameKind::Seal`] frame, a segment's last.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seal {
    /// Data records in the segment.
    pub records: u64,
    /// [`SEAL_SUSPECT`] or 0.
    pub flags: u32,
}

impl Seal {
    /// Bytes of an encoded seal payload.
    pub const BYTES: usize = 16;

    /// The payload bytes.
    pub fn encode(&self) -> [u8; Self::BYTES] {
        let mut b = [0u8; Self::BYTES];
        b[..8].copy_from_slice(&self.records.to_le_bytes());
        b[8..12].copy_from_slice(&self.flags.to_le_bytes());
        b
    }

    /// Decodes a seal payload.
    pub fn decode(b: &[u8]) -> Result<Seal, DecodeError> {
        if b.len() < Self::BYTES {
            return Err(DecodeError::Truncated);
        }
        Ok(Seal { records: u64_at(b, 0), flags: u32_at(b, 8) })
    }
}

/// Longest cause a state frame keeps, in bytes (a longer one is cut).
pub const MAX_STATE_CAUSE: usize = 1024;

/// Payload of a [`FrameKind::State`] frame: a supervisor transition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StateChange {
    /// The old state, as an `rtlog_state` value.
    pub from: u8,
    /// The new state, as an `rtlog_state` value.
    pub to: u8,
    /// The supervisor's reason, as UTF-8 bytes (at most [`MAX_STATE_CAUSE`]).
    pub cause: Vec<u8>,
}

impl StateChange {
    /// The payload for a transition; `cause` is cut to [`MAX_STATE_CAUSE`] bytes.
    pub fn encode(from: u8, to: u8, cause: &str) -> Vec<u8> {
        let cause = &cause.as_bytes()[..cause.len().min(MAX_STATE_CAUSE)];
        let mut p = vec![from, to, 0, 0];
        p.extend_from_slice(&(cause.len() as u32).to_le_bytes());
        p.extend_from_slice(cause);
        p
    }

    /// Decodes a state-change payload.
    pub fn decode(b: &[u8]) -> Result<StateChange, DecodeError> {
        if b.len() < 8 {
            return Err(DecodeError::Truncated);
        }
        let len = u32_at(b, 4) as usize;
        let cause = b.get(8..8 + len).ok_or(DecodeError::Truncated)?;
        Ok(StateChange { from: b[0], to: b[1], cause: cause.to_vec() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> SegmentHeader {
        SegmentHeader {
            index: 3,
            first_lsn: 77,
            salt: 0xdead_beef_0bad_f00d,
            epoch: 2,
            max_payload: 256,
            realtime_ns: 1_700_000_000_000_000_000,
            monotonic_ns: 5_000,
            tsc_hz: 3_000_000_000,
            producers: vec![(0, "arm".into()), (1, "leg-controller".into())],
            minor: FORMAT_MINOR,
            types: vec![
                TypeEntry { id: 7, name: "axis".into(), size: 16, layout: "u32 a; f64 b".into() },
                TypeEntry { id: 0, name: "t".into(), size: 1, layout: "u8 x".into() },
            ],
        }
    }

    #[test]
    fn segment_header_round_trips() {
        let h = header();
        let bytes = h.encode();
        assert_eq!(bytes.len(), h.encoded_len());
        assert_eq!(bytes.len() % ALIGN, 0);
        assert_eq!(SegmentHeader::peek_len(&bytes).unwrap(), bytes.len());
        assert_eq!(SegmentHeader::decode(&bytes).unwrap(), h);
    }

    #[test]
    fn a_minor_0_header_has_no_type_table_and_reads_as_before() {
        let h = SegmentHeader { minor: 0, types: Vec::new(), ..header() };
        let bytes = h.encode();
        // 80 fixed bytes, 4 + 3 + 4 + 14 of producers, padded to 112, then the CRC.
        assert_eq!(bytes.len(), 120);
        assert_eq!(u16_at(&bytes, 10), 0);
        assert_eq!(SegmentHeader::decode(&bytes).unwrap(), h);
        // The same header at minor 1 adds the table (8 bytes with no entry).
        let empty = SegmentHeader { minor: 1, ..h };
        assert_eq!(empty.encode().len(), 128);
        assert_eq!(SegmentHeader::decode(&empty.encode()).unwrap(), empty);
    }

    /// Re-seals a header after an edit, as a writer with a bug (or an attacker) would.
    fn reseal(b: &mut [u8]) {
        let n = b.len();
        let crc = crc32fast::hash(&b[..n - 8]);
        b[n - 8..n - 4].copy_from_slice(&crc.to_le_bytes());
    }

    #[test]
    fn a_type_table_that_does_not_fit_its_header_is_refused() {
        let bytes = header().encode();
        let table = 112; // after the producer table, as in the test above
        assert_eq!(u32_at(&bytes, table), 2, "type_count");
        for (what, off, value) in [
            ("count beyond the header", table, 1_000_000u32),
            ("name beyond the header", table + 8 + 2, 0xffff),
            ("layout beyond the header", table + 8 + 8, 0xffff_ffff),
            ("reserved", table + 4, 1),
        ] {
            let mut b = bytes.clone();
            if what == "name beyond the header" {
                b[off..off + 2].copy_from_slice(&(value as u16).to_le_bytes());
            } else {
                b[off..off + 4].copy_from_slice(&value.to_le_bytes());
            }
            reseal(&mut b);
            assert!(SegmentHeader::decode(&b).is_err(), "{what} was accepted");
        }
    }

    #[test]
    fn any_type_table_bytes_under_a_valid_crc_decode_or_fail_without_panic() {
        let bytes = header().encode();
        let n = bytes.len();
        for pos in 112..n - 8 {
            for v in [0u8, 1, 0x7f, 0x80, 0xff] {
                let mut b = bytes.clone();
                b[pos] = v;
                reseal(&mut b);
                if let Ok(h) = SegmentHeader::decode(&b) {
                    assert!(h.types.len() <= 2, "byte {pos} = {v}");
                }
            }
        }
    }

    #[test]
    fn segment_header_damage_is_detected() {
        let bytes = header().encode();
        for i in 0..bytes.len() - 4 {
            let mut b = bytes.clone();
            b[i] ^= 0x10;
            assert!(SegmentHeader::decode(&b).is_err(), "flip at byte {i} went unnoticed");
        }
        // A newer version is recognised only under a valid CRC; otherwise it is damage.
        let mut newer = bytes.clone();
        newer[8..10].copy_from_slice(&(FORMAT_MAJOR + 1).to_le_bytes());
        assert_eq!(SegmentHeader::decode(&newer), Err(DecodeError::BadCrc));
        let n = newer.len();
        let crc = crc32fast::hash(&newer[..n - 8]);
        newer[n - 8..n - 4].copy_from_slice(&crc.to_le_bytes());
        assert_eq!(SegmentHeader::decode(&newer), Err(DecodeError::NewerVersion(FORMAT_MAJOR + 1)));
    }

    #[test]
    fn frames_round_trip_and_bind_to_their_salt() {
        let f = FrameHeader {
            payload_len: 5,
            lsn: 9,
            seq: 4,
            timestamp_ns: 123,
            epoch: 2,
            producer: 1,
            record_type: 42,
            stream: 0,
            kind: FrameKind::Data as u8,
            level: Level::Warn as u8,
        };
        let mut out = Vec::new();
        f.encode_into(&FrameSalt::new(7), b"hello", &mut out);
        assert_eq!(out.len(), frame_bytes(5));
        assert_eq!(out.len(), 56);
        let d = FrameHeader::decode(&out, 256).unwrap();
        assert_eq!(d, f);
        let payload = &out[FRAME_HEADER_BYTES..FRAME_HEADER_BYTES + 5];
        assert!(FrameHeader::verify(&out, &FrameSalt::new(7), payload));
        assert!(
            !FrameHeader::verify(&out, &FrameSalt::new(8), payload),
            "a frame must not validate under another salt"
        );
    }

    #[test]
    fn call_site_frames_are_not_bound_by_the_segments_max_payload() {
        // A call site's texts are often longer than the records (max_record_size 64 here).
        let mut out = Vec::new();
        for (kind, ok) in [(FrameKind::CallSite, true), (FrameKind::Message, false)] {
            let f = FrameHeader { payload_len: 136, kind: kind as u8, ..FrameHeader::default() };
            out.clear();
            f.encode_into(&FrameSalt::new(1), &[0u8; 136], &mut out);
            assert_eq!(FrameHeader::decode(&out, 64).is_ok(), ok, "{kind:?}");
        }
        // The call-site header above, with a length over MAX_PAYLOAD.
        out[4..8].copy_from_slice(&(MAX_PAYLOAD + 1).to_le_bytes());
        out[41] = FrameKind::CallSite as u8;
        assert!(FrameHeader::decode(&out, 64).is_err(), "MAX_PAYLOAD still bounds it");
    }

    #[test]
    fn the_frame_crc_is_that_of_salt_header_and_payload_in_one_piece() {
        let f = FrameHeader { payload_len: 3, lsn: 9, seq: 4, kind: 1, ..FrameHeader::default() };
        let mut out = Vec::new();
        f.encode_into(&FrameSalt::new(0xfeed), b"abc", &mut out);
        let mut whole = 0xfeedu64.to_le_bytes().to_vec();
        whole.extend_from_slice(&out[4..FRAME_HEADER_BYTES + 3]);
        assert_eq!(u32_at(&out, 0), crc32fast::hash(&whole), "the CRC FORMAT.md defines");
        assert!(out[FRAME_HEADER_BYTES + 3..].iter().all(|&b| b == 0), "zero padding");
    }

    #[test]
    fn the_level_byte_is_reserved_before_minor_2() {
        let mut b = [0u8; FRAME_HEADER_BYTES];
        assert!(FrameHeader::reserved_ok(&b, 1) && FrameHeader::reserved_ok(&b, LEVEL_MINOR));
        b[42] = Level::Fatal as u8;
        assert!(!FrameHeader::reserved_ok(&b, 1), "byte 42 was reserved in 1.1");
        assert!(FrameHeader::reserved_ok(&b, LEVEL_MINOR));
        b[42] = Level::Fatal as u8 + 1;
        assert!(!FrameHeader::reserved_ok(&b, LEVEL_MINOR), "no such level");
        b[42] = 0;
        b[47] = 1;
        assert!(!FrameHeader::reserved_ok(&b, LEVEL_MINOR));
        assert_eq!(Level::parse("WARN"), Some(Level::Warn));
        assert!(Level::ALL.iter().all(|&l| Level::from_u8(l as u8) == Some(l)));
        assert!(Level::ALL.windows(2).all(|w| w[0] < w[1]), "ordered by severity");
    }

    #[test]
    fn frame_payloads_round_trip() {
        let e = EpochBegin { pid: 4242, durability: 3 };
        assert_eq!(EpochBegin::decode(&e.encode()), Ok(e));
        let c = CleanClose { records: 1 << 40 };
        assert_eq!(CleanClose::decode(&c.encode()), Ok(c));
        let seal = Seal { records: 77, flags: SEAL_SUSPECT };
        assert_eq!(Seal::decode(&seal.encode()), Ok(seal));
        let bytes = StateChange::encode(1, 3, "disk full");
        assert_eq!(&bytes[..8], &[1, 3, 0, 0, 9, 0, 0, 0], "the layout FORMAT.md defines");
        let back = StateChange::decode(&bytes).unwrap();
        assert_eq!((back.from, back.to, &back.cause[..]), (1, 3, &b"disk full"[..]));
        let long = "x".repeat(MAX_STATE_CAUSE + 10);
        assert_eq!(StateChange::encode(0, 1, &long).len(), 8 + MAX_STATE_CAUSE);
        assert_eq!(StateChange::decode(&bytes[..10]), Err(DecodeError::Truncated));
    }
}
