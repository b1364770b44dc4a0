//! Appending to a segment file opened with `O_DIRECT` (non-RT; the file backend's
//! `direct_io` option).
//!
//! Direct I/O moves data from user memory to the device without the page cache: one copy
//! fewer, no writeback bursts competing with the rest of the system, and a write that returns
//! has reached the device queue. The price is alignment: buffer address, file offset and
//! length must all be multiples of the device's logical block size. Records are 8-byte
//! aligned, so appends go through a 4 KiB-aligned staging window that holds the file's last,
//! partial block; each append writes the window up to the next block boundary, zero-padded,
//! and the partial block is written again, longer, by the next append.
//!
//! Rewriting the last block is safe for what is already durable: the old and the new
//! contents of the block agree on every byte that was written before, so a power cut during
//! the rewrite leaves each sector either old or new and both hold the same earlier frames. The
//! zero padding past the data is a torn tail to a reader until the segment is closed, when the
//! file is cut to its data (`SegmentFile::release_unused`).

use super::faults::{self, FaultInjector, IoOp};
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;

/// Alignment of buffers, offsets and lengths: 4 KiB is a multiple of every common logical
/// block size (512 B and 4 KiB devices alike).
pub const BLOCK: usize = 4096;

/// Bytes staged per write: a writer batch larger than this goes out in several writes.
const STAGING: usize = 1 << 20;

/// Attempts in a row that may write less than a block before the append fails (a device
/// that keeps doing so would otherwise make the loop spin forever).
const MAX_NO_PROGRESS: u32 = 8;

/// The staging window of one `O_DIRECT` segment file and where it sits in the file.
pub struct DirectWriter {
    /// `STAGING + BLOCK` bytes; the aligned window is `mem[base..base + STAGING]`.
    mem: Vec<u8>,
    base: usize,
    /// Bytes of the window that hold data: the file's tail from `file_off`.
    len: usize,
    /// Block-aligned file offset of the window's first byte.
    file_off: u64,
}

impl Default for DirectWriter {
    fn default() -> Self {
        DirectWriter::new()
    }
}

impl DirectWriter {
    /// A writer for a new, empty file.
    pub fn new() -> DirectWriter {
        let mem = vec![0u8; STAGING + BLOCK];
        // `align_offset` on a u8 pointer always succeeds, and is below BLOCK.
        let base = mem.as_ptr().align_offset(BLOCK);
        DirectWriter { mem, base, len: 0, file_off: 0 }
    }

    fn window(&mut self) -> &mut [u8] {
        &mut self.mem[self.base..self.base + STAGING]
    }

    /// Appends `bytes` at the end of the file's data: when it returns `Ok`, they are in the
    /// file (the last partial block zero-padded). Each write is one fault-injection point
    /// ([`IoOp::Write`]): an injected short write writes half the blocks, `EINTR` is retried.
    pub fn append(
        &mut self,
        file: &File,
        mut bytes: &[u8],
        faults: Option<&FaultInjector>,
    ) -> io::Result<()> {
        while !bytes.is_empty() {
            let n = bytes.len().min(STAGING - self.len);
            let len = self.len;
            self.window()[len..len + n].copy_from_slice(&bytes[..n]);
            self.len += n;
            bytes = &bytes[n..];
            self.write_window(file, faults)?;
        }
        Ok(())
    }

    /// Writes the window up to the next block boundary, then keeps only its partial last
    /// block, moved to the window's start.
    fn write_window(&mut self, file: &File, faults: Option<&FaultInjector>) -> io::Result<()> {
        let padded = self.len.next_multiple_of(BLOCK);
        let (len, file_off) = (self.len, self.file_off);
        self.window()[len..padded].fill(0);
        let mut done = 0;
        let mut no_progress = 0;
        while done < padded {
            let chunk = &self.mem[self.base + done..self.base + padded];
            let at = file_off + done as u64;
            let wrote = faults::check(faults, IoOp::Write).and_then(|fault| match fault {
                Some(_) => file.write_at(&chunk[..(chunk.len() / BLOCK / 2).max(1) * BLOCK], at),
                None => file.write_at(chunk, at),
            });
            match wrote {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                // A write that ends inside a block is continued from that block's start: the
                // offset and the length of the next write must stay aligned.
                Ok(n) if n < BLOCK => {
                    no_progress += 1;
                    if no_progress >= MAX_NO_PROGRESS {
                        return Err(io::ErrorKind::WriteZero.into());
                    }
                }
                Ok(n) => {
                    no_progress = 0;
                    done += n - n % BLOCK;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
        let full = self.len - self.len % BLOCK;
        let start = self.base;
        self.mem.copy_within(start + full..start + self.len, start);
        self.file_off += full as u64;
        self.len -= full;
        Ok(())
    }
}
