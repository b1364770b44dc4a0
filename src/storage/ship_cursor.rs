//! Reading and storing the ship cursor file (non-RT): [`crate::format::cursor`] on disk.
//!
//! The shipper stores the cursor after its destination acknowledged everything up to it;
//! retention with `retention_keep_unshipped` loads it to know which segments it may delete.
//! A store replaces the file atomically (temporary file, `fsync`, `rename`, directory
//! `fsync`), so a crash at any point leaves the old cursor or the new one: never a torn one,
//! and never one that is durable before the bytes it names.

use super::dir::{sync_dir, FILE_MODE};
use crate::error::{Error, Result, Status};
use crate::format::cursor::{ShipCursor, SHIP_CURSOR_FILE};
use std::io::{ErrorKind, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// The cursor stored in `dir`, or `None` when nothing was ever shipped from it. A file that
/// does not decode is `Corrupt`: retention then keeps every segment, as for "nothing shipped".
pub fn load(dir: &Path) -> Result<Option<ShipCursor>> {
    let path = dir.join(SHIP_CURSOR_FILE);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(format!("reading {}", path.display()), e)),
    };
    ShipCursor::decode(&bytes).map(Some).map_err(|e| {
        Error::new(Status::Corrupt, format!("{}: not a ship cursor ({e})", path.display()))
    })
}

/// Replaces the cursor of `dir` with `cursor`, durably and atomically.
pub fn store(dir: &Path, cursor: ShipCursor) -> Result<()> {
    let path = dir.join(SHIP_CURSOR_FILE);
    let tmp = dir.join(format!("{SHIP_CURSOR_FILE}.tmp"));
    let context = |what: &str| format!("{what} {}", tmp.display());
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(FILE_MODE)
        .open(&tmp)
        .map_err(|e| Error::io(context("creating"), e))?;
    f.write_all(&cursor.encode()).map_err(|e| Error::io(context("writing"), e))?;
    // The bytes must be durable before the name points at them, or a power cut could leave
    // an empty `SHIPPED`.
    f.sync_data().map_err(|e| Error::io(context("fsync of"), e))?;
    drop(f);
    std::fs::rename(&tmp, &path)
        .map_err(|e| Error::io(format!("renaming {} to {}", tmp.display(), path.display()), e))?;
    sync_dir(dir, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_replaces_and_load_reads_back() {
        let dir = std::env::temp_dir().join(format!("rtlog-ship-cursor-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        assert_eq!(load(&dir).unwrap(), None);
        store(&dir, ShipCursor { epoch: 1, lsn: 10 }).unwrap();
        store(&dir, ShipCursor { epoch: 2, lsn: 99 }).unwrap();
        assert_eq!(load(&dir).unwrap(), Some(ShipCursor { epoch: 2, lsn: 99 }));
        assert!(!dir.join("SHIPPED.tmp").exists());
        std::fs::write(dir.join(SHIP_CURSOR_FILE), b"garbage").unwrap();
        assert_eq!(load(&dir).unwrap_err().status, Status::Corrupt);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
