//! Reading a log directory back (non-RT): every valid record in LSN order, damage skipped and
//! counted, never returned as data.

use crate::error::{Error, Result, Status};
use crate::format::message::CallSite;
use crate::format::{self, DecodeError, FrameKind, Level};
use crate::logdir::scan::{OpenError, ScanItem, SegmentScan};
use crate::logdir::{list_segments, lsn_bound, read_segment_header};
use crate::message::Message;
use crate::schema::{Interner, RecordType, Schema};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A record as read back from the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record<'a> {
    /// Log sequence number.
    pub lsn: u64,
    /// Per-producer, per-stream sequence number.
    pub seq: u64,
    /// `CLOCK_MONOTONIC` ns at publish.
    pub timestamp_ns: u64,
    /// Epoch (one per `rtlog_start`).
    pub epoch: u32,
    /// Producer id.
    pub producer: u16,
    /// User record type.
    pub record_type: u16,
    /// Stream (0 critical, 1 normal; 255 for boundary frames).
    pub stream: u8,
    /// Frame kind.
    pub kind: FrameKind,
    /// How much the record matters: a message its call site's level, a data record its type's
    /// (`Info` unless registered with another), loss markers `Warn`, state changes by the state
    /// they enter (records of logs before format 1.2: `Info`).
    pub level: Level,
    /// Payload bytes; valid until the next call on the reader.
    pub payload: &'a [u8],
}

/// What a reader has seen so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReaderStats {
    /// Data records returned.
    pub records: u64,
    /// Segment files opened.
    pub segments: u64,
    /// Segment files skipped because their header is invalid.
    pub bad_segments: u64,
    /// Segments listed at open but deleted (by retention) before the reader reached them.
    pub vanished_segments: u64,
    /// Damaged regions skipped inside segments.
    pub corrupt_regions: u64,
    /// Bytes after the last valid frame of segments (torn tails).
    pub torn_bytes: u64,
    /// Epochs seen (epoch-begin frames).
    pub epochs: u64,
    /// Data records returned by `next_record` (those matching the options).
    pub matched: u64,
    /// Damaged places counted but not listed (beyond [`MAX_DAMAGE_LIST`]).
    pub damage_not_listed: u64,
    /// Epochs that ended without a clean-close frame (the last one included, so a log that
    /// is still being written counts its current epoch here).
    pub unclosed_epochs: u64,
}

/// Which records [`Reader::next_record`] returns. The default matches everything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReaderOptions {
    /// Only records published at or after this wall-clock time (ns since the Unix epoch).
    pub from_wall_ns: Option<u64>,
    /// Only records published at or before this wall-clock time.
    pub to_wall_ns: Option<u64>,
    /// Only records with an LSN at or above this.
    pub lsn_from: Option<u64>,
    /// Only records with an LSN at or below this.
    pub lsn_to: Option<u64>,
    /// Only records of the producer with this name (names are resolved per segment, since ids
    /// are assigned per epoch).
    pub producer: Option<String>,
    /// Only records of this stream.
    pub stream: Option<u8>,
    /// Only records of this type.
    pub record_type: Option<u16>,
    /// Only records of the registered type with this name (resolved per segment, since a
    /// name may have another id in another epoch).
    pub type_name: Option<String>,
    /// Only records at or above this level.
    pub min_level: Option<Level>,
    /// Only messages (`true`) or only data records (`false`).
    pub messages: Option<bool>,
}

/// Most damaged places remembered in detail; beyond that they are only counted, so memory
/// stays bounded whatever a file holds.
pub const MAX_DAMAGE_LIST: usize = 1000;

/// A damaged place, for `rtlog verify`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Damage {
    /// Segment file.
    pub path: PathBuf,
    /// Byte offset in the file.
    pub offset: u64,
    /// Bytes affected.
    pub len: u64,
    /// What is wrong.
    pub what: String,
}

/// Reads every segment of a directory in order.
pub struct Reader {
    segments: Vec<(u64, PathBuf)>,
    next_segment: usize,
    scan: Option<SegmentScan>,
    payload: Vec<u8>,
    stats: ReaderStats,
    open_epoch: bool,
    damage: Vec<Damage>,
    last_frame: (format::FrameHeader, FrameKind),
    options: ReaderOptions,
    /// The id the `producer` filter names in the current segment (`None`: absent there).
    producer_id: Option<u16>,
    /// LSN of the last valid frame read (0: none yet). LSNs increase through the whole log,
    /// so a segment that starts at or below it is a stale copy or out of place.
    last_lsn: u64,
    /// The id the `type_name` filter names in the current segment (`None`: absent there).
    type_name_id: Option<u16>,
    /// The record types of the current segment.
    schema: Schema,
    interner: Interner,
    /// The call sites read in the current epoch, by id, and that epoch.
    callsites: HashMap<u32, CallSite>,
    callsite_epoch: u32,
}

impl Reader {
    /// Opens a log directory. A missing or unreadable directory is `Io`; a directory without
    /// segments is an empty log.
    pub fn open(dir: &Path) -> Result<Reader> {
        Reader::open_with(dir, ReaderOptions::default())
    }

    /// Opens a log directory with filters for [`next_record`](Self::next_record).
    pub fn open_with(dir: &Path, options: ReaderOptions) -> Result<Reader> {
        Ok(Reader {
            options,
            producer_id: None,
            last_lsn: 0,
            type_name_id: None,
            schema: Schema::default(),
            interner: Interner::default(),
            segments: list_segments(dir)?,
            next_segment: 0,
            scan: None,
            payload: Vec::new(),
            stats: ReaderStats::default(),
            open_epoch: false,
            damage: Vec::new(),
            last_frame: (format::FrameHeader::default(), FrameKind::Data),
            callsites: HashMap::new(),
            callsite_epoch: 0,
        })
    }

    /// Statistics so far.
    pub fn stats(&self) -> ReaderStats {
        self.stats
    }

    /// Damaged places found so far (bad headers, damaged regions, torn tails).
    pub fn damage(&self) -> &[Damage] {
        &self.damage
    }

    /// The next data record or message that matches the options, or `None` at the end of the
    /// log.
    pub fn next_record(&mut self) -> Result<Option<Record<'_>>> {
        loop {
            let Some(kind) = self.advance()? else {
                return Ok(None);
            };
            if matches!(kind, FrameKind::Data | FrameKind::Message) && self.matches() {
                self.stats.matched += 1;
                break;
            }
        }
        Ok(Some(self.current()))
    }

    fn matches(&self) -> bool {
        let (h, kind) = &self.last_frame;
        let o = &self.options;
        let message = *kind == FrameKind::Message;
        // A type filter asks for data records: no message has a record type.
        let typed = o.record_type.is_some() || o.type_name.is_some();
        if (message && typed) || o.messages.is_some_and(|m| m != message) {
            return false;
        }
        let wall =
            || self.segment_header().map_or(h.timestamp_ns, |s| s.wall_clock_ns(h.timestamp_ns));
        o.lsn_from.is_none_or(|v| h.lsn >= v)
            && o.lsn_to.is_none_or(|v| h.lsn <= v)
            && o.stream.is_none_or(|v| h.stream == v)
            && o.record_type.is_none_or(|v| h.record_type == v)
            && (o.producer.is_none() || self.producer_id == Some(h.producer))
            && (o.type_name.is_none() || self.type_name_id == Some(h.record_type))
            && o.from_wall_ns.is_none_or(|v| wall() >= v)
            && o.to_wall_ns.is_none_or(|v| wall() <= v)
            && o.min_level.is_none_or(|v| h.level >= v as u8)
    }

    /// Decodes a message (`rec.kind == FrameKind::Message`, returned by this reader) with its
    /// call site, if a frame for it was read in this epoch. `Corrupt` when its payload is not a
    /// message's (a frame whose CRC passed, so written so by a faulty writer).
    pub fn message<'a>(&'a self, rec: &Record<'a>) -> Result<Message<'a>> {
        Message::decode(rec.payload, |id| self.callsites.get(&id))
            .map_err(|e| Error::new(Status::Corrupt, format!("message at LSN {}: {e}", rec.lsn)))
    }

    /// The call site `id` of the epoch being read, if its frame has been read.
    pub fn callsite(&self, id: u32) -> Option<&CallSite> {
        self.callsites.get(&id)
    }

    /// The next frame of any kind (boundary frames included), or `None` at the end.
    pub fn next_frame(&mut self) -> Result<Option<Record<'_>>> {
        Ok(self.advance()?.map(|_| self.current()))
    }

    /// The record for the last frame read; its payload is the reader's copy, which stays
    /// valid until the next call.
    fn current(&self) -> Record<'_> {
        let (h, kind) = self.last_frame;
        Record {
            lsn: h.lsn,
            seq: h.seq,
            timestamp_ns: h.timestamp_ns,
            epoch: h.epoch,
            producer: h.producer,
            record_type: h.record_type,
            stream: h.stream,
            kind,
            level: Level::from_u8(h.level).unwrap_or(Level::Info),
            payload: &self.payload,
        }
    }

    /// The record types of the segment being read (that of the last record returned): what
    /// its header's type table declares. Empty before the first record and for logs written
    /// without types.
    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// The type of records of type `id` in the segment being read, if registered there.
    /// Identical types of different segments are the same `Arc`.
    pub fn record_type(&self, id: u16) -> Option<&Arc<RecordType>> {
        self.schema.get(id)
    }

    /// The header of the segment being read (producer names, clock anchor), if any.
    pub fn segment_header(&self) -> Option<&format::SegmentHeader> {
        self.scan.as_ref().map(|s| &s.header)
    }

    /// Reads on to the next valid frame, keeping its fields in `last_frame` and its payload in
    /// `payload`; `None` at the end of the log.
    fn advance(&mut self) -> Result<Option<FrameKind>> {
        loop {
            if self.scan.is_none() && !self.open_next_segment()? {
                self.finish_epoch();
                return Ok(None);
            }
            let scan = self.scan.as_mut().expect("opened above");
            let path = &self.segments[self.next_segment - 1].1;
            let item = scan
                .next_item()
                .map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
            match item {
                ScanItem::Frame(h, payload) => {
                    let Some(kind) = FrameKind::from_u8(h.kind) else {
                        continue;
                    };
                    self.payload.clear();
                    self.payload.extend_from_slice(payload);
                    self.last_frame = (h, kind);
                    self.last_lsn = h.lsn;
                    if h.epoch != self.callsite_epoch {
                        // Call-site ids are per epoch.
                        self.callsites.clear();
                        self.callsite_epoch = h.epoch;
                    }
                    match kind {
                        FrameKind::EpochBegin => {
                            self.finish_epoch();
                            self.stats.epochs += 1;
                            self.open_epoch = true;
                        }
                        FrameKind::CleanClose => self.open_epoch = false,
                        FrameKind::Data | FrameKind::Message => self.stats.records += 1,
                        FrameKind::CallSite => self.note_callsite(),
                        _ => {}
                    }
                    return Ok(Some(kind));
                }
                ScanItem::Damage { offset, len } => {
                    self.stats.corrupt_regions += 1;
                    let what = "damaged frames skipped".to_string();
                    note_damage(
                        &mut self.damage,
                        &mut self.stats,
                        Damage { path: path.clone(), offset, len, what },
                    );
                }
                ScanItem::End { torn_bytes, valid_end } => {
                    if torn_bytes > 0 {
                        self.stats.torn_bytes += torn_bytes;
                        let what = "torn tail (incomplete last write)".to_string();
                        note_damage(
                            &mut self.damage,
                            &mut self.stats,
                            Damage { path: path.clone(), offset: valid_end, len: torn_bytes, what },
                        );
                    }
                    self.scan = None;
                }
            }
        }
    }

    /// Keeps the call site of the frame just read. One whose payload does not decode (its CRC
    /// passed, so a faulty writer made it) is noted as damage; its messages still read, as
    /// `<call site N>`.
    fn note_callsite(&mut self) {
        match CallSite::decode(&self.payload) {
            Ok(site) => {
                self.callsites.insert(site.id, site);
            }
            Err(e) => {
                let (path, offset) = self.position();
                let what = format!("call-site frame at LSN {} does not decode: {e}", self.last_lsn);
                note_damage(
                    &mut self.damage,
                    &mut self.stats,
                    Damage { path, offset, len: 0, what },
                );
            }
        }
    }

    /// The segment being read, and the offset of the frame just read (0 when unknown).
    fn position(&self) -> (PathBuf, u64) {
        let path = self.segments.get(self.next_segment.wrapping_sub(1)).map(|s| s.1.clone());
        (path.unwrap_or_default(), 0)
    }

    fn finish_epoch(&mut self) {
        if self.open_epoch {
            self.stats.unclosed_epochs += 1;
            self.open_epoch = false;
        }
    }

    fn open_next_segment(&mut self) -> Result<bool> {
        while self.next_segment < self.segments.len() {
            let path = self.segments[self.next_segment].1.clone();
            self.next_segment += 1;
            match SegmentScan::open(&path) {
                Ok(scan) if scan.header.index != self.segments[self.next_segment - 1].0 => {
                    // A segment copied or renamed under another index would be read twice.
                    self.stats.bad_segments += 1;
                    let what =
                        format!("header says segment {}, the file name another", scan.header.index);
                    note_damage(
                        &mut self.damage,
                        &mut self.stats,
                        Damage { path, offset: 0, len: 0, what },
                    );
                }
                Ok(scan) if scan.header.first_lsn <= self.last_lsn => {
                    // Its frames would repeat LSNs already returned: an old segment copied or
                    // renamed to a later index, with a header to match.
                    self.stats.bad_segments += 1;
                    let what = format!(
                        "segment starts at LSN {}, not after LSN {} already read: a stale copy \
                         or out of order",
                        scan.header.first_lsn, self.last_lsn
                    );
                    note_damage(
                        &mut self.damage,
                        &mut self.stats,
                        Damage { path, offset: 0, len: 0, what },
                    );
                }
                Ok(mut scan) => {
                    if let Some(below) = self.bound_after(self.next_segment, scan.header.first_lsn)
                    {
                        scan.limit_lsn(below);
                    }
                    self.stats.segments += 1;
                    if let Some(name) = &self.options.producer {
                        self.producer_id = scan
                            .header
                            .producers
                            .iter()
                            .find(|(_, n)| n == name)
                            .map(|(id, _)| *id);
                    }
                    self.schema = Schema::of(&scan.header.types, &mut self.interner);
                    if let Some(name) = &self.options.type_name {
                        self.type_name_id = self.schema.by_name(name).map(|t| t.id);
                    }
                    self.scan = Some(scan);
                    return Ok(true);
                }
                Err(OpenError::Header(DecodeError::NewerVersion(v))) => {
                    return Err(Error::new(
                        Status::Corrupt,
                        format!(
                            "{}: format version {v} is newer than this reader supports ({}); \
                             use a newer rtlog",
                            path.display(),
                            format::FORMAT_MAJOR
                        ),
                    ));
                }
                Err(OpenError::Header(e)) => {
                    self.stats.bad_segments += 1;
                    note_damage(
                        &mut self.damage,
                        &mut self.stats,
                        Damage {
                            path,
                            offset: 0,
                            len: 0,
                            what: format!("bad segment header: {e}"),
                        },
                    );
                }
                // Deleted by retention since the directory was listed: the log now starts
                // later; nothing was damaged.
                Err(OpenError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
                    self.stats.vanished_segments += 1;
                }
                Err(OpenError::Io(e)) => {
                    return Err(Error::io(format!("opening {}", path.display()), e))
                }
            }
        }
        Ok(false)
    }
}

impl Reader {
    /// The [`lsn_bound`] of a segment starting at `first_lsn` from the segments listed from
    /// position `from` on. Reads their headers until one bounds it: normally only the next.
    /// A header that cannot be read bounds nothing here (the reader reports it when it gets
    /// there).
    fn bound_after(&self, from: usize, first_lsn: u64) -> Option<u64> {
        self.segments[from..].iter().find_map(|(index, path)| {
            let header = read_segment_header(path).ok()?.ok();
            lsn_bound(first_lsn, *index, header.as_ref())
        })
    }
}

/// Remembers a damaged place, or only counts it once [`MAX_DAMAGE_LIST`] are listed.
fn note_damage(list: &mut Vec<Damage>, stats: &mut ReaderStats, damage: Damage) {
    if list.len() < MAX_DAMAGE_LIST {
        list.push(damage);
    } else {
        stats.damage_not_listed += 1;
    }
}
