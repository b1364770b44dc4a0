//! Writing a replica of a log (non-RT): frames whose LSN, epoch, producer, sequence number and
//! timestamp were given elsewhere, as the collector (`rtlog collect`) receives them from a
//! shipped log.
//!
//! The writer assigns LSNs and opens one segment per epoch from its own clock and producers;
//! a replica takes all of that from the original instead. What it writes is an ordinary log
//! directory, read by every tool: segment headers are the original segments' headers (epoch,
//! producer and type tables, clock anchor) under the replica's own indexes and salts, and
//! frames are encoded with [`crate::format`] exactly as the writer encodes them.
//!
//! Rules kept here so that the result reads back: LSNs only rise (a frame at or below the last
//! one written is refused: the caller drops duplicates before), a frame goes into a segment
//! of its epoch, and a seal frame counts the data records of the replica's segment (which
//! after a restart of the collector is not the original's).

use super::dir::{create_dir, DirLock};
use super::recovery::recover;
use super::segment::{random_u64, SegmentFile};
use crate::error::{Error, Result, Status};
use crate::format::{FrameHeader, FrameKind, FrameSalt, Seal, SegmentHeader};
use crate::logdir::{list_segments, read_segment_header};
use std::path::{Path, PathBuf};

/// The segment being appended to.
struct Current {
    file: SegmentFile,
    salt: FrameSalt,
    /// The original header it was made from, to tell a header already begun.
    origin: SegmentHeader,
    /// Data records and messages in this segment.
    data_records: u64,
}

/// A log directory being rebuilt from frames written elsewhere. Holds the directory's lock.
pub struct Replica {
    dir: PathBuf,
    _lock: DirLock,
    next_index: u64,
    last_lsn: u64,
    current: Option<Current>,
    /// The header of the newest segment found at open: frames of its epoch that arrive before
    /// any header continue in a new segment made from it.
    resume: Option<SegmentHeader>,
    /// Encoded frames not yet appended.
    pending: Vec<u8>,
}

impl Replica {
    /// Opens (creating if missing) and locks the replica directory `dir`. A replica left by a
    /// crash is recovered as a log is (its torn tail cut), and continues after its last frame.
    pub fn open(dir: &Path) -> Result<Replica> {
        create_dir(dir)?;
        let lock = DirLock::acquire(dir)?;
        let recovered = recover(dir)?;
        let newest = list_segments(dir)?.pop();
        let resume = match newest {
            Some((_, path)) => read_segment_header(&path)
                .map_err(|e| Error::io(format!("reading {}", path.display()), e))?
                .ok(),
            None => None,
        };
        Ok(Replica {
            dir: dir.to_path_buf(),
            _lock: lock,
            next_index: recovered.next_segment,
            last_lsn: recovered.next_lsn - 1,
            current: None,
            resume,
            pending: Vec::new(),
        })
    }

    /// The LSN of the last frame written (0: none): frames at or below it are duplicates.
    pub fn last_lsn(&self) -> u64 {
        self.last_lsn
    }

    /// Starts a segment made from the original segment header `origin`, unless the current
    /// segment was made from the same one (a header sent again after a restart).
    pub fn begin_segment(&mut self, origin: &SegmentHeader) -> Result<()> {
        if self.current.as_ref().is_some_and(|c| c.origin == *origin) {
            return Ok(());
        }
        self.close_segment()?;
        let header = SegmentHeader {
            index: self.next_index,
            first_lsn: origin.first_lsn.max(self.last_lsn + 1),
            salt: random_u64(),
            ..origin.clone()
        };
        let file = SegmentFile::create(&self.dir, header, None, 0, false)?;
        let salt = FrameSalt::new(file.header.salt);
        self.next_index += 1;
        self.current = Some(Current { file, salt, origin: origin.clone(), data_records: 0 });
        Ok(())
    }

    /// Adds a frame (its header as in the original, `payload` its payload). It is written at
    /// the next [`sync`](Self::sync).
    pub fn append(&mut self, frame: &FrameHeader, payload: &[u8]) -> Result<()> {
        if frame.lsn <= self.last_lsn {
            return Err(Error::new(
                Status::InvalidArgument,
                format!("LSN {} is not above the replica's last, {}", frame.lsn, self.last_lsn),
            ));
        }
        self.open_segment_for(frame.epoch)?;
        let current = self.current.as_mut().expect("opened above");
        let seal;
        let payload = match FrameKind::from_u8(frame.kind) {
            Some(FrameKind::Data | FrameKind::Message) => {
                current.data_records += 1;
                payload
            }
            Some(FrameKind::Seal) => {
                let flags = Seal::decode(payload).map_or(0, |s| s.flags);
                seal = Seal { records: current.data_records, flags }.encode();
                &seal[..]
            }
            _ => payload,
        };
        let h = FrameHeader { payload_len: payload.len() as u32, ..*frame };
        h.encode_into(&current.salt, payload, &mut self.pending);
        self.last_lsn = frame.lsn;
        Ok(())
    }

    /// Writes the frames added since the last call and makes them durable (`fdatasync`).
    pub fn sync(&mut self) -> Result<()> {
        let Some(current) = &mut self.current else { return Ok(()) };
        if !self.pending.is_empty() {
            current.file.append(&self.pending)?;
            self.pending.clear();
        }
        current.file.sync()
    }

    /// Makes sure a segment of `epoch` is open: the current one, or one continuing the newest
    /// segment found at open.
    fn open_segment_for(&mut self, epoch: u32) -> Result<()> {
        if self.current.is_none() {
            if let Some(origin) = self.resume.take().filter(|h| h.epoch == epoch) {
                self.begin_segment(&origin)?;
            }
        }
        match &self.current {
            Some(c) if c.origin.epoch == epoch => Ok(()),
            _ => Err(Error::new(
                Status::InvalidArgument,
                format!("a frame of epoch {epoch} came before its segment header"),
            )),
        }
    }

    /// Writes what is pending and closes the current segment.
    fn close_segment(&mut self) -> Result<()> {
        self.sync()?;
        if let Some(mut c) = self.current.take() {
            c.file.release_unused()?;
        }
        Ok(())
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        // Best effort: frames not synced were not acknowledged either, so the collector gets
        // them again.
        let _ = self.sync();
    }
}
