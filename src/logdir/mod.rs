//! The log directory as files: segment file names, the listing of a directory's segments,
//! and reading segment files (a header alone, or frame by frame through [`scan`]).
//!
//! Non-RT. This is where the write side (recovery and retention, in [`crate::storage`]) and
//! the read side ([`crate::reader`], the `rtlog` tool) meet: both find and read segments
//! through it, and decode their bytes with [`crate::format`], so neither depends on the other.
//! A leaf: it imports only `format` and `error`.

pub mod scan;

use crate::error::{Error, Result};
use crate::format::{DecodeError, SegmentHeader};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// File name of segment `index`.
pub fn segment_file_name(index: u64) -> String {
    format!("seg-{index:010}.rtlog")
}

/// The segment index of a file name, if it names a segment.
pub fn parse_segment_file_name(name: &str) -> Option<u64> {
    let digits = name.strip_prefix("seg-")?.strip_suffix(".rtlog")?;
    if digits.len() < 10 || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The segment files of `dir`, sorted by index.
pub fn list_segments(dir: &Path) -> Result<Vec<(u64, PathBuf)>> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| Error::io(format!("reading log directory {}", dir.display()), e))?;
    let mut segments = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(format!("reading {}", dir.display()), e))?;
        let Some(index) = entry.file_name().to_str().and_then(parse_segment_file_name) else {
            continue;
        };
        // Only regular files (following a symlink) are segments; a directory named like one
        // is not.
        if std::fs::metadata(entry.path()).is_ok_and(|m| m.is_file()) {
            segments.push((index, entry.path()));
        }
    }
    segments.sort();
    Ok(segments)
}

/// The LSN below which every frame of a segment that starts at `first_lsn` must lie, given a
/// later segment listed under `name_index` with header `later` (or `None` for that one): the
/// later segment's `first_lsn`, when its header matches its name and it starts after
/// `first_lsn`. A segment's bound is the first such of the segments after it, in index order
/// (`find_map` over them); a segment without one (normally only the newest) is unbounded.
///
/// The writer's LSNs only rise, so no frame it wrote lies at or above the start of a segment it
/// created later. Without this bound, one stale or forged frame with a large LSN in an old
/// segment would make the reader skip every later segment as stale (fuzzer:
/// fuzz/corpus/reader/limit-stale-segment-below-read-lsn). Recovery applies the same rule to
/// know which segments' frames it must read to continue the LSNs after all of them.
pub fn lsn_bound(first_lsn: u64, name_index: u64, later: Option<&SegmentHeader>) -> Option<u64> {
    later.filter(|h| h.index == name_index && h.first_lsn > first_lsn).map(|h| h.first_lsn)
}

/// Reads and decodes only the header of the segment file at `path`.
pub fn read_segment_header(
    path: &Path,
) -> io::Result<std::result::Result<SegmentHeader, DecodeError>> {
    let mut f = std::fs::File::open(path)?;
    let mut prefix = [0u8; 16];
    let mut have = 0;
    while have < 16 {
        match f.read(&mut prefix[have..])? {
            0 => return Ok(Err(DecodeError::Truncated)),
            n => have += n,
        }
    }
    let len = match SegmentHeader::peek_len(&prefix) {
        Ok(len) => len,
        Err(e) => return Ok(Err(e)),
    };
    let mut bytes = prefix.to_vec();
    bytes.resize(len, 0);
    match f.read_exact(&mut bytes[16..]) {
        Ok(()) => Ok(SegmentHeader::decode(&bytes)),
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(Err(DecodeError::Truncated)),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segment_names_round_trip() {
        assert_eq!(segment_file_name(12), "seg-0000000012.rtlog");
        assert_eq!(parse_segment_file_name("seg-0000000012.rtlog"), Some(12));
        assert_eq!(parse_segment_file_name("seg-12.rtlog"), None);
        assert_eq!(parse_segment_file_name("notes.txt"), None);
    }
}
