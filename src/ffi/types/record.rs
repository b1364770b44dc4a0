//! Records read back (rtlog_record, rtlog_frame_kind is in [`super::enums`]) and the reader's
//! filters (rtlog_reader_options), with their translation to and from the core's types.

use super::versioned::{version_size, Versioned};
use crate::error::{Error, Status};
use crate::format::{FrameHeader, FrameKind, Level};
use crate::reader::{ReaderOptions, Record};
use std::ffi::CStr;
use std::os::raw::c_char;

/// One record read back from a log. payload points into the reader and stays valid until the
/// next call on that reader. Initialise it with rtlog_record_init; struct_size works as in
/// rtlog_stats (rtlog_reader_format, which reads a record, reads only its first struct_size
/// bytes).
///
/// Behind it: a `crate::Record` (or a frame that the dummy backend stored).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct rtlog_record {
    /// sizeof(rtlog_record) of the caller's header, set by rtlog_record_init: the library
    /// writes only the first struct_size bytes and leaves struct_size as it is.
    pub struct_size: u32,
    /// Log sequence number: position in the whole log, strictly increasing.
    pub lsn: u64,
    /// Sequence number in its producer's stream, from 0 in each epoch.
    pub seq: u64,
    /// CLOCK_MONOTONIC nanoseconds at publish.
    pub timestamp_ns: u64,
    /// Epoch (one per rtlog_start on the directory).
    pub epoch: u32,
    /// Producer id (rtlog_producer_id).
    pub producer: u16,
    /// Record type given to rtlog_publish.
    pub r#type: u16,
    /// rtlog_stream value.
    pub stream: u8,
    /// Payload bytes (NULL when len is 0).
    pub payload: *const u8,
    /// Payload length.
    pub len: u32,
    /// What the record is (an rtlog_frame_kind value): RTLOG_FRAME_DATA for published records,
    /// RTLOG_FRAME_MESSAGE for messages; rtlog_reader_next_frame also returns the others.
    pub kind: u8,
    /// Its rtlog_level: a message its call site's, a record its type's (RTLOG_LEVEL_INFO
    /// unless rtlog_type_set_level said otherwise), a loss marker WARN (0.3.0).
    pub level: u32,
}

/// Filters for rtlog_reader_open_opts. Fill it with rtlog_reader_options_init (which matches
/// everything), then narrow it. struct_size works as in rtlog_config.
///
/// Behind it: `crate::reader::ReaderOptions`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct rtlog_reader_options {
    /// sizeof(rtlog_reader_options), set by rtlog_reader_options_init.
    pub struct_size: u32,
    /// Only records of this stream (an rtlog_stream value), or -1 for both.
    pub stream: i32,
    /// Only records published at or after this wall-clock time (ns since the Unix epoch); 0: no bound.
    pub from_wall_ns: u64,
    /// Only records published at or before this wall-clock time; UINT64_MAX: no bound.
    pub to_wall_ns: u64,
    /// Only records with an LSN at or above this (0: no bound).
    pub lsn_from: u64,
    /// Only records with an LSN at or below this (UINT64_MAX: no bound).
    pub lsn_to: u64,
    /// Only records of the producer with this name, or NULL for all. Copied at open.
    pub producer: *const c_char,
    /// Only records of this type, or -1 for all types (0..=65535 selects one).
    pub r#type: i32,
}

impl rtlog_reader_options {
    /// The options that match every record (rtlog_reader_options_init).
    pub(crate) fn match_all() -> rtlog_reader_options {
        rtlog_reader_options {
            struct_size: std::mem::size_of::<rtlog_reader_options>() as u32,
            stream: -1,
            from_wall_ns: 0,
            to_wall_ns: u64::MAX,
            lsn_from: 0,
            lsn_to: u64::MAX,
            producer: std::ptr::null(),
            r#type: -1,
        }
    }
}

/// The filters of a C options struct (NULL: none), checked.
///
/// # Safety
/// A non-NULL `opts` points to at least struct_size readable bytes, and its `producer` is NULL
/// or NUL-terminated.
pub(crate) unsafe fn read_options(
    opts: *const rtlog_reader_options,
) -> Result<ReaderOptions, Error> {
    if opts.is_null() {
        return Ok(ReaderOptions::default());
    }
    let bad = |msg: String| Error::new(Status::InvalidArgument, msg);
    // SAFETY: struct_size is the first field of every version of the struct.
    let size = unsafe { opts.cast::<u32>().read_unaligned() } as usize;
    let ours = std::mem::size_of::<rtlog_reader_options>();
    if size != ours {
        return Err(bad(format!(
            "opts->struct_size = {size}, expected {ours}: initialise it with rtlog_reader_options_init"
        )));
    }
    // SAFETY: the caller's struct holds all our fields.
    let o = unsafe { opts.read_unaligned() };
    let stream = match o.stream {
        -1 => None,
        0 | 1 => Some(o.stream as u8),
        s => return Err(bad(format!("opts->stream = {s} is not -1, 0 or 1"))),
    };
    let record_type = match o.r#type {
        -1 => None,
        t @ 0..=0xFFFF => Some(t as u16),
        t => return Err(bad(format!("opts->type = {t} is not -1 or 0..=65535"))),
    };
    let producer = if o.producer.is_null() {
        None
    } else {
        // SAFETY: a non-NULL producer is a NUL-terminated string (the contract).
        let name = unsafe { CStr::from_ptr(o.producer) };
        Some(name.to_str().map_err(|_| bad("opts->producer is not valid UTF-8".into()))?.to_owned())
    };
    Ok(ReaderOptions {
        from_wall_ns: (o.from_wall_ns != 0).then_some(o.from_wall_ns),
        to_wall_ns: (o.to_wall_ns != u64::MAX).then_some(o.to_wall_ns),
        lsn_from: (o.lsn_from != 0).then_some(o.lsn_from),
        lsn_to: (o.lsn_to != u64::MAX).then_some(o.lsn_to),
        producer,
        stream,
        record_type,
        type_name: None,
        min_level: None,
        messages: None,
    })
}

impl From<&Record<'_>> for rtlog_record {
    /// The C view of a record; its payload pointer borrows from `rec`.
    fn from(rec: &Record<'_>) -> rtlog_record {
        rtlog_record {
            struct_size: std::mem::size_of::<rtlog_record>() as u32,
            lsn: rec.lsn,
            seq: rec.seq,
            timestamp_ns: rec.timestamp_ns,
            epoch: rec.epoch,
            producer: rec.producer,
            r#type: rec.record_type,
            stream: rec.stream,
            payload: if rec.payload.is_empty() { std::ptr::null() } else { rec.payload.as_ptr() },
            len: rec.payload.len() as u32,
            kind: rec.kind as u8,
            level: rec.level as u32,
        }
    }
}

impl Versioned for rtlog_record {
    const NAME: &'static str = "rtlog_record";
    /// 0.2.0 (the first with struct_size), 0.3.0.
    const SIZES: &'static [usize] =
        &[version_size!(rtlog_record, kind: u8), version_size!(rtlog_record, level: u32)];
}

impl rtlog_record {
    /// The core's view of a record read back, with `payload` its bytes.
    pub(crate) fn as_core<'a>(&self, payload: &'a [u8]) -> Record<'a> {
        Record {
            lsn: self.lsn,
            seq: self.seq,
            timestamp_ns: self.timestamp_ns,
            epoch: self.epoch,
            producer: self.producer,
            record_type: self.r#type,
            stream: self.stream,
            kind: FrameKind::from_u8(self.kind).unwrap_or(FrameKind::Data),
            level: u8::try_from(self.level).ok().and_then(Level::from_u8).unwrap_or(Level::Info),
            payload,
        }
    }

    /// The payload bytes (empty for a NULL payload or a length of 0).
    ///
    /// # Safety
    /// A non-NULL `payload` points to `len` readable bytes for `'a` (a record returned by a
    /// reader: until that reader's next call).
    pub(crate) unsafe fn payload_bytes<'a>(&self) -> &'a [u8] {
        if self.payload.is_null() || self.len == 0 {
            return &[];
        }
        // SAFETY: the caller's contract.
        unsafe { std::slice::from_raw_parts(self.payload, self.len as usize) }
    }

    /// An empty record (every field 0, payload NULL): what an input record's fields beyond a
    /// caller's struct_size are taken as.
    pub(crate) fn empty() -> rtlog_record {
        rtlog_record {
            struct_size: std::mem::size_of::<rtlog_record>() as u32,
            lsn: 0,
            seq: 0,
            timestamp_ns: 0,
            epoch: 0,
            producer: 0,
            r#type: 0,
            stream: 0,
            payload: std::ptr::null(),
            len: 0,
            kind: 0,
            level: 0,
        }
    }

    /// The C view of a frame the dummy backend stored, its payload copied to `payload` (NULL
    /// when the caller gave no room); len is the full length.
    pub(crate) fn from_dummy(h: &FrameHeader, payload: *const u8) -> rtlog_record {
        rtlog_record {
            struct_size: std::mem::size_of::<rtlog_record>() as u32,
            lsn: h.lsn,
            seq: h.seq,
            timestamp_ns: h.timestamp_ns,
            epoch: h.epoch,
            producer: h.producer,
            r#type: h.record_type,
            stream: h.stream,
            payload,
            len: h.payload_len,
            kind: h.kind,
            level: u32::from(h.level),
        }
    }
}
