//! The log directory's creation, its lock, and making its entries durable (non-RT).

use super::faults::{self, FaultInjector, IoOp, JournalEvent};
use crate::error::{Error, Result, Status};
use std::fs::{File, OpenOptions};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::os::unix::io::AsRawFd;
use std::path::Path;

/// Permissions of segment files.
pub const FILE_MODE: u32 = 0o640;
/// Permissions of a log directory rtlog creates.
pub const DIR_MODE: u32 = 0o750;

/// Creates `dir` (and missing parents) with mode 0750; an existing directory is fine.
pub fn create_dir(dir: &Path) -> Result<()> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(DIR_MODE)
        .create(dir)
        .map_err(|e| Error::io(format!("creating log directory {}", dir.display()), e))?;
    if !dir.is_dir() {
        return Err(Error::new(Status::Io, format!("{} is not a directory", dir.display())));
    }
    Ok(())
}

/// `fsync` of a directory, so that entries created or renamed in it are durable.
pub fn sync_dir(dir: &Path, faults: Option<&FaultInjector>) -> Result<()> {
    faults::check(faults, IoOp::SyncDir)
        .map_err(|e| Error::io(format!("fsync of directory {}", dir.display()), e))?;
    let note = || faults::note(faults, JournalEvent::DirSynced(dir));
    let d = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECTORY | libc::O_CLOEXEC)
        .open(dir)
        .map_err(|e| Error::io(format!("opening directory {}", dir.display()), e))?;
    // SAFETY: `d` is an open directory descriptor.
    if unsafe { libc::fsync(d.as_raw_fd()) } != 0 {
        let e = std::io::Error::last_os_error();
        return Err(Error::io(format!("fsync of directory {}", dir.display()), e));
    }
    note();
    Ok(())
}

/// How long `DirLock::acquire` waits for a lock held elsewhere.
const LOCK_PATIENCE: std::time::Duration = std::time::Duration::from_millis(500);

/// An exclusive advisory lock on the log directory, held while a logger uses it.
pub struct DirLock {
    _file: File,
}

impl DirLock {
    /// Takes `dir/LOCK`; fails when another logger (in any process) holds it.
    pub fn acquire(dir: &Path) -> Result<DirLock> {
        let path = dir.join("LOCK");
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(FILE_MODE)
            .custom_flags(libc::O_CLOEXEC)
            .open(&path)
            .map_err(|e| Error::io(format!("opening {}", path.display()), e))?;
        // Another thread of this process may be between fork and exec of a child, which then
        // shares the descriptor (and so the lock) for a moment after the previous logger on
        // this directory released it; retry briefly before calling the directory busy.
        let deadline = std::time::Instant::now() + LOCK_PATIENCE;
        loop {
            // SAFETY: `file` is an open descriptor; flock does not touch memory.
            if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
                break;
            }
            let e = std::io::Error::last_os_error();
            if e.raw_os_error() != Some(libc::EWOULDBLOCK) || std::time::Instant::now() >= deadline
            {
                return Err(Error::io(
                    format!("log directory {} is in use by another logger", dir.display()),
                    e,
                ));
            }
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        Ok(DirLock { _file: file })
    }
}
