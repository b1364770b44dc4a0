//! Reading one segment file frame by frame, with bounded memory, telling apart a clean end, a
//! torn tail and damage in the middle (non-RT; shared by the reader and recovery).
//!
//! The file is read through a sliding window no larger than two maximal frames, whatever the
//! file holds: a length field of 4 GiB is rejected by the format's limit before anything is
//! allocated for it.
//!
//! When a frame fails validation, the scanner looks for the next valid frame at each later
//! 8-byte boundary. A candidate must pass cheap checks (known kind, zero reserved bytes, a known
//! level from format 1.2 on, the
//! segment's epoch, a length within the segment's limit, an LSN after the last valid frame's)
//! before its CRC is computed, so garbage is skipped quickly.
//!
//! The LSN check is what keeps a *stale* frame out: a copy of an earlier frame of the same
//! segment has the same salt and epoch and a valid CRC, but not an LSN above the one already
//! read, so it is damage rather than a record returned twice. The reader and recovery also
//! bound a segment's LSNs from above by the first LSN of the segment after it
//! ([`SegmentScan::limit_lsn`]). If a valid frame follows, the bad bytes are *damage* and are
//! reported and skipped; if none does, they are a *torn tail* (an incomplete last write).

use crate::format::{
    self, DecodeError, FrameHeader, FrameKind, FrameSalt, Level, SegmentHeader, FRAME_HEADER_BYTES,
    LEVEL_MINOR,
};
use std::fs::File;
use std::io::{self, Read, Seek};
use std::path::Path;

/// One step of a scan.
#[derive(Debug)]
pub enum ScanItem<'a> {
    /// A valid frame and its payload.
    Frame(FrameHeader, &'a [u8]),
    /// Bytes at `offset` that hold no valid frame, followed by a valid one.
    Damage {
        /// File offset where the damage starts.
        offset: u64,
        /// Bytes skipped.
        len: u64,
    },
    /// The end of the segment; `torn_bytes` trailing bytes held no complete valid frame.
    End {
        /// Bytes after the last valid frame.
        torn_bytes: u64,
        /// File offset just past the last valid frame.
        valid_end: u64,
    },
}

/// A scanner over one segment file.
pub struct SegmentScan {
    file: File,
    /// The segment's header.
    pub header: SegmentHeader,
    /// The header's salt, ready for checking frame CRCs.
    salt: FrameSalt,
    buf: Vec<u8>,
    /// File offset of `buf[0]`.
    buf_start: u64,
    eof: bool,
    /// File offset of the next frame.
    pos: u64,
    /// File offset just past the last valid frame.
    valid_end: u64,
    /// The lowest LSN the next valid frame may have: the header's `first_lsn`, then one past
    /// the last valid frame's (LSNs strictly increase within a segment); `None` after a frame
    /// at LSN `u64::MAX`, which no valid frame can follow (a saturating `+ 1` would let the
    /// same frame be read again: found by the fuzzer, corpus/reader/crash-repeated-max-lsn).
    min_lsn: Option<u64>,
    /// Every valid frame's LSN is below this, when set: the first LSN of a later segment (see
    /// [`SegmentScan::limit_lsn`]).
    below_lsn: Option<u64>,
    done: bool,
}

/// Why a segment could not be opened for scanning.
#[derive(Debug)]
pub enum OpenError {
    /// The file could not be read.
    Io(io::Error),
    /// The header is invalid (or the file is shorter than a header).
    Header(DecodeError),
}

const READ_CHUNK: usize = 256 * 1024;

impl SegmentScan {
    /// Opens a segment and validates its header.
    pub fn open(path: &Path) -> Result<SegmentScan, OpenError> {
        let file = File::open(path).map_err(OpenError::Io)?;
        let mut scan = SegmentScan {
            file,
            header: SegmentHeader {
                index: 0,
                first_lsn: 0,
                salt: 0,
                epoch: 0,
                max_payload: 0,
                realtime_ns: 0,
                monotonic_ns: 0,
                tsc_hz: 0,
                producers: Vec::new(),
                minor: 0,
                types: Vec::new(),
            },
            salt: FrameSalt::new(0),
            buf: Vec::new(),
            buf_start: 0,
            eof: false,
            pos: 0,
            valid_end: 0,
            min_lsn: Some(0),
            below_lsn: None,
            done: false,
        };
        let prefix = scan.window(0, 16).map_err(OpenError::Io)?;
        let len = SegmentHeader::peek_len(prefix).map_err(OpenError::Header)?;
        let bytes = scan.window(0, len).map_err(OpenError::Io)?;
        scan.header = SegmentHeader::decode(bytes).map_err(OpenError::Header)?;
        scan.salt = FrameSalt::new(scan.header.salt);
        scan.min_lsn = Some(scan.header.first_lsn);
        scan.pos = len as u64;
        scan.valid_end = scan.pos;
        Ok(scan)
    }

    /// Accepts only frames with an LSN below `below`: the first LSN of a later segment of the
    /// log (see [`crate::logdir::lsn_bound`]). The writer's LSNs only rise, so a frame at or
    /// above it is a stale or forged one, and returning it would hide the later segment's
    /// records behind it.
    pub fn limit_lsn(&mut self, below: u64) {
        self.below_lsn = Some(below);
    }

    /// Follows a segment that is still being written (`rtlog ship`): after `End`, the next
    /// call reads on from just past the last valid frame, including what was appended since
    /// (a torn tail then may have been a frame half-written, whole now). Before `End`,
    /// nothing changes.
    pub fn continue_after_end(&mut self) -> io::Result<()> {
        if self.done {
            // The window may have moved past the last valid frame while looking for a next
            // one: read again from there.
            self.file.seek(io::SeekFrom::Start(self.valid_end))?;
            self.buf.clear();
            self.buf_start = self.valid_end;
            self.done = false;
            self.eof = false;
            self.pos = self.valid_end;
        }
        Ok(())
    }

    /// Bytes from file offset `off`: at least `need` of them unless the file ends first.
    fn window(&mut self, off: u64, need: usize) -> io::Result<&[u8]> {
        debug_assert!(off >= self.buf_start);
        let mut rel = (off - self.buf_start) as usize;
        if rel + need > self.buf.len() && !self.eof {
            // Drop what lies before `off`, then read until `need` bytes are there or EOF.
            self.buf.drain(..rel.min(self.buf.len()));
            self.buf_start = off;
            rel = 0;
            while self.buf.len() < need && !self.eof {
                let have = self.buf.len();
                let want = (need - have).max(READ_CHUNK);
                self.buf.resize(have + want, 0);
                let n = read_some(&mut self.file, &mut self.buf[have..])?;
                self.buf.truncate(have + n);
                if n == 0 {
                    self.eof = true;
                }
            }
        }
        let end = self.buf.len().min(rel + need);
        Ok(&self.buf[rel.min(end)..end])
    }

    /// The next frame, damage region or end. After `End`, keeps returning `End`.
    pub fn next_item(&mut self) -> io::Result<ScanItem<'_>> {
        if self.done {
            return Ok(self.end_item(0));
        }
        match self.frame_at(self.pos)? {
            Some(size) => Ok(self.take_frame(size)),
            None => {
                let start = self.pos;
                match self.resync(start + format::ALIGN as u64)? {
                    Some(next) => {
                        self.pos = next;
                        Ok(ScanItem::Damage { offset: start, len: next - start })
                    }
                    None => {
                        self.done = true;
                        let file_end = self.file_len()?;
                        Ok(self.end_item(file_end.saturating_sub(self.valid_end)))
                    }
                }
            }
        }
    }

    fn end_item(&self, torn_bytes: u64) -> ScanItem<'static> {
        ScanItem::End { torn_bytes, valid_end: self.valid_end }
    }

    fn file_len(&self) -> io::Result<u64> {
        Ok(self.file.metadata()?.len())
    }

    fn take_frame(&mut self, size: usize) -> ScanItem<'_> {
        let off = self.pos;
        self.pos += size as u64;
        self.valid_end = self.pos;
        let rel = (off - self.buf_start) as usize;
        let b = &self.buf[rel..rel + size];
        let mut h = FrameHeader::decode(b, self.header.max_payload).expect("validated by frame_at");
        if self.header.minor < LEVEL_MINOR {
            // Before frames carried levels, everything was ordinary operation.
            h.level = Level::Info as u8;
        }
        self.min_lsn = h.lsn.checked_add(1);
        let payload = &b[FRAME_HEADER_BYTES..FRAME_HEADER_BYTES + h.payload_len as usize];
        ScanItem::Frame(h, payload)
    }

    /// The size of a valid frame at `off`, if there is one.
    fn frame_at(&mut self, off: u64) -> io::Result<Option<usize>> {
        let (salt, epoch, max, min_lsn, below_lsn) =
            (self.salt, self.header.epoch, self.header.max_payload, self.min_lsn, self.below_lsn);
        let minor = self.header.minor;
        let head = self.window(off, FRAME_HEADER_BYTES)?;
        if head.len() < FRAME_HEADER_BYTES {
            return Ok(None);
        }
        let Ok(h) = FrameHeader::decode(head, max) else {
            return Ok(None);
        };
        let lsn_ok = min_lsn.is_some_and(|m| h.lsn >= m) && below_lsn.is_none_or(|b| h.lsn < b);
        if !plausible(head, &h, epoch, minor) || !lsn_ok {
            return Ok(None);
        }
        let size = format::frame_bytes(h.payload_len as usize);
        let b = self.window(off, size)?;
        if b.len() < size {
            return Ok(None);
        }
        let payload = &b[FRAME_HEADER_BYTES..FRAME_HEADER_BYTES + h.payload_len as usize];
        let padding_clean =
            b[FRAME_HEADER_BYTES + h.payload_len as usize..].iter().all(|&x| x == 0);
        Ok((padding_clean && FrameHeader::verify(b, &salt, payload)).then_some(size))
    }

    /// The offset of the next valid frame at or after `from`, if any.
    fn resync(&mut self, from: u64) -> io::Result<Option<u64>> {
        let end = self.file_len()?;
        let mut off = from;
        while off + FRAME_HEADER_BYTES as u64 <= end {
            if self.frame_at(off)?.is_some() {
                return Ok(Some(off));
            }
            off += format::ALIGN as u64;
        }
        Ok(None)
    }
}

/// Cheap structural checks that random bytes almost never pass.
fn plausible(b: &[u8], h: &FrameHeader, epoch: u32, minor: u16) -> bool {
    let Some(kind) = FrameKind::from_u8(h.kind) else {
        return false;
    };
    let stream_ok = match kind {
        FrameKind::Data | FrameKind::Loss => h.stream <= 1,
        FrameKind::Message => h.stream <= 1 && minor >= format::MESSAGE_MINOR,
        FrameKind::CallSite => minor >= format::MESSAGE_MINOR,
        _ => true,
    };
    stream_ok && h.epoch == epoch && FrameHeader::reserved_ok(b, minor)
}

fn read_some(file: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match file.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            r => return r,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn frame(lsn: u64, salt: &FrameSalt, out: &mut Vec<u8>) {
        let h = FrameHeader {
            payload_len: 3,
            lsn,
            epoch: 1,
            kind: FrameKind::Data as u8,
            stream: 1,
            level: Level::Info as u8,
            ..FrameHeader::default()
        };
        h.encode_into(salt, b"abc", out);
    }

    /// A segment being written: the scan reads what was appended after its end, including
    /// a frame that was only half there at the first end.
    #[test]
    fn continue_after_end_reads_what_was_appended() {
        let path = std::env::temp_dir().join(format!("rtlog-scan-follow-{}", std::process::id()));
        let header = SegmentHeader {
            index: 1,
            first_lsn: 1,
            salt: 42,
            epoch: 1,
            max_payload: 64,
            realtime_ns: 0,
            monotonic_ns: 0,
            tsc_hz: 0,
            producers: Vec::new(),
            minor: format::FORMAT_MINOR,
            types: Vec::new(),
        };
        let salt = FrameSalt::new(42);
        let mut bytes = header.encode();
        frame(1, &salt, &mut bytes);
        let mut second = Vec::new();
        frame(2, &salt, &mut second);
        let (half, rest) = second.split_at(20);
        bytes.extend_from_slice(half);
        std::fs::write(&path, &bytes).unwrap();
        let mut scan = SegmentScan::open(&path).unwrap();
        assert!(matches!(scan.next_item().unwrap(), ScanItem::Frame(h, _) if h.lsn == 1));
        assert!(matches!(scan.next_item().unwrap(), ScanItem::End { torn_bytes: 20, .. }));
        let mut f = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(rest).unwrap();
        frame(3, &salt, &mut Vec::new());
        let mut third = Vec::new();
        frame(3, &salt, &mut third);
        f.write_all(&third).unwrap();
        scan.continue_after_end().unwrap();
        assert!(matches!(scan.next_item().unwrap(), ScanItem::Frame(h, _) if h.lsn == 2));
        assert!(matches!(scan.next_item().unwrap(), ScanItem::Frame(h, _) if h.lsn == 3));
        assert!(matches!(scan.next_item().unwrap(), ScanItem::End { torn_bytes: 0, .. }));
        std::fs::remove_file(&path).unwrap();
    }
}
