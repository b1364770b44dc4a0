//! Segment files on disk: creation (with file and directory sync), appends, syncs (non-RT).

use super::dir::{sync_dir, FILE_MODE};
use super::direct::DirectWriter;
use super::faults::{self, FaultInjector, IoOp, JournalEvent};
use crate::error::{Error, Result};
use crate::format::SegmentHeader;
use crate::logdir;
use crate::rt::clock;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// An open segment being appended to.
pub struct SegmentFile {
    file: File,
    path: PathBuf,
    /// The header written at the start of the file.
    pub header: SegmentHeader,
    /// Bytes in the file (header included).
    pub size: u64,
    /// Data records appended.
    pub data_records: u64,
    faults: Option<Arc<FaultInjector>>,
    /// Set when the file was opened with `O_DIRECT`: every append goes through it.
    direct: Option<DirectWriter>,
}

impl SegmentFile {
    /// Creates `dir/seg-<index>.rtlog` (it must not exist), writes the header, and syncs the
    /// file and the directory so that the new segment survives a crash.
    ///
    /// With `preallocate > 0`, that many bytes of disk space are reserved first
    /// (`fallocate(FALLOC_FL_KEEP_SIZE)`: the file's size does not change, so readers see no
    /// zero tail), so a full disk shows up when a segment is opened rather than in the middle of
    /// it, and the segment's blocks are allocated together.
    ///
    /// With `direct_io`, the file is opened with `O_DIRECT` and written through a
    /// [`DirectWriter`]; a file system that refuses `O_DIRECT` fails here, with a message
    /// saying so.
    pub fn create(
        dir: &Path,
        header: SegmentHeader,
        faults: Option<Arc<FaultInjector>>,
        preallocate: u64,
        direct_io: bool,
    ) -> Result<SegmentFile> {
        let path = dir.join(logdir::segment_file_name(header.index));
        let context = || format!("creating segment {}", path.display());
        faults::check(faults.as_deref(), IoOp::Create).map_err(|e| Error::io(context(), e))?;
        faults::note(faults.as_deref(), JournalEvent::Created(&path));
        let flags = libc::O_CLOEXEC | if direct_io { libc::O_DIRECT } else { 0 };
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(FILE_MODE)
            .custom_flags(flags)
            .open(&path)
            .map_err(|e| match e.raw_os_error() {
                Some(libc::EINVAL) if direct_io => Error::io(
                    format!(
                        "creating segment {} with O_DIRECT (direct_io = 1; the file system of \
                         the log directory does not support direct I/O)",
                        path.display()
                    ),
                    e,
                ),
                _ => Error::io(context(), e),
            })?;
        if preallocate > 0 {
            // SAFETY: `file` is an open descriptor; fallocate does not touch our memory.
            let r = unsafe {
                libc::fallocate(file.as_raw_fd(), libc::FALLOC_FL_KEEP_SIZE, 0, preallocate as i64)
            };
            let e = std::io::Error::last_os_error();
            // A file system without fallocate just does without preallocation.
            if r != 0 && e.raw_os_error() != Some(libc::EOPNOTSUPP) {
                let _ = std::fs::remove_file(&path);
                return Err(Error::io(
                    format!("preallocating {preallocate} bytes for {}", path.display()),
                    e,
                ));
            }
        }
        let bytes = header.encode();
        let mut direct = direct_io.then(DirectWriter::new);
        let written = match &mut direct {
            Some(d) => d.append(&file, &bytes, None),
            None => file.write_all(&bytes),
        }
        .map_err(|e| Error::io(format!("writing header of {}", path.display()), e));
        let mut seg = SegmentFile {
            file,
            path,
            header,
            size: bytes.len() as u64,
            data_records: 0,
            faults,
            direct,
        };
        // A segment that is not durable with its directory entry is of no use, and the writer
        // will try again under the next index: remove it rather than leave a file behind.
        match written.and_then(|()| seg.sync()).and_then(|()| sync_dir(dir, seg.faults.as_deref()))
        {
            Ok(()) => Ok(seg),
            Err(e) => {
                let _ = std::fs::remove_file(&seg.path);
                Err(e)
            }
        }
    }

    /// Appends bytes at the end of the file (one `write` loop; a short write is continued).
    ///
    /// Each `write` call is one fault-injection point: an injected short write or `EINTR` is
    /// continued exactly like a real one. On an error, the bytes already written stay in the
    /// file (the writer abandons the segment then).
    pub fn append(&mut self, bytes: &[u8]) -> Result<()> {
        if let Some(d) = &mut self.direct {
            d.append(&self.file, bytes, self.faults.as_deref())
                .map_err(|e| Error::io(format!("writing {} (O_DIRECT)", self.path.display()), e))?;
            self.size += bytes.len() as u64;
            return Ok(());
        }
        let mut done = 0;
        while done < bytes.len() {
            let rest = &bytes[done..];
            let wrote =
                faults::check(self.faults.as_deref(), IoOp::Write).and_then(|fault| match fault {
                    Some(_) => self.file.write(&rest[..rest.len().div_ceil(2)]),
                    None => self.file.write(rest),
                });
            match wrote {
                Ok(0) => {
                    let e = std::io::Error::from(std::io::ErrorKind::WriteZero);
                    return Err(Error::io(format!("writing {}", self.path.display()), e));
                }
                Ok(n) => {
                    done += n;
                    self.size += n as u64;
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::io(format!("writing {}", self.path.display()), e)),
            }
        }
        Ok(())
    }

    /// `fdatasync`: the file's data (and the size needed to read it) reach the device.
    pub fn sync(&mut self) -> Result<()> {
        let context = || format!("fdatasync of {}", self.path.display());
        loop {
            match faults::check(self.faults.as_deref(), IoOp::Sync) {
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::io(context(), e)),
                Ok(_) => {}
            }
            // SAFETY: the descriptor is open for the lifetime of `self.file`.
            if unsafe { libc::fdatasync(self.file.as_raw_fd()) } == 0 {
                break;
            }
            let e = std::io::Error::last_os_error();
            // EINTR: nothing was reported lost, so the call is simply made again. Any other
            // error is final (see the writer on fsyncgate).
            if e.kind() != std::io::ErrorKind::Interrupted {
                return Err(Error::io(context(), e));
            }
        }
        faults::note(self.faults.as_deref(), JournalEvent::Synced(&self.path, self.size));
        Ok(())
    }

    /// Cuts the file to its data (at close): gives back preallocated space, and removes the
    /// zero padding of the last block direct I/O wrote.
    pub fn release_unused(&mut self) -> Result<()> {
        self.file
            .set_len(self.size)
            .map_err(|e| Error::io(format!("truncating {} to its data", self.path.display()), e))
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// 64 random bits for a segment salt (`getrandom`, falling back to time and pid).
pub fn random_u64() -> u64 {
    let mut v = 0u64;
    // SAFETY: writes at most 8 bytes into `v`.
    let n = unsafe { libc::getrandom((&mut v as *mut u64).cast(), 8, 0) };
    if n == 8 {
        return v;
    }
    let t = clock::realtime_ns() ^ clock::monotonic_ns().rotate_left(17);
    t ^ u64::from(std::process::id()).rotate_left(40)
}
