//! How a reader input becomes a log directory.
//!
//! The input is one or more files separated by [`SEPARATOR`]. Each file is a selector byte
//! followed by its contents:
//!
//! - bits 0-2: the segment index, 1 to 8;
//! - bits 3-4: the name: 0 and 1 the writer's (`seg-0000000003.rtlog`), 2 the same index with
//!   an extra leading zero (a name the parser also accepts), 3 a name that is not a segment's
//!   (`seg-0000000003.rtlog.broken`, as recovery sets files aside);
//! - bit 5: recompute the header CRC and every frame CRC before writing, so that mutations of a
//!   real segment stay valid and reach the code behind the checksums (epochs, LSNs, lengths,
//!   the producer table) instead of only the damage paths.
//!
//! Real segments written by the library make the seeds ([`encode`] is the inverse of
//! [`decode`]).

use rtlog::format::{self, SegmentHeader, FRAME_HEADER_BYTES, MAX_PAYLOAD};
use std::path::Path;

/// Separates the files of one input.
pub const SEPARATOR: &[u8] = b"=RTLOG-FILE=";

/// Most files one input makes.
pub const MAX_FILES: usize = 8;

/// Selector bit: recompute the CRCs.
pub const FIX_CRCS: u8 = 1 << 5;

/// One file of an input.
#[derive(Clone, Debug)]
pub struct InputFile {
    /// The selector byte (see the module doc).
    pub selector: u8,
    /// The contents as written (CRCs fixed if the selector asks).
    pub contents: Vec<u8>,
}

impl InputFile {
    /// The segment index the file name carries.
    pub fn index(&self) -> u64 {
        u64::from(self.selector & 7) + 1
    }

    /// The file name.
    pub fn name(&self) -> String {
        let index = self.index();
        match (self.selector >> 3) & 3 {
            2 => format!("seg-0{index:010}.rtlog"),
            3 => format!("{}.broken", rtlog::logdir::segment_file_name(index)),
            _ => rtlog::logdir::segment_file_name(index),
        }
    }

    /// Whether the reader takes the file for a segment (a regular file with a segment's name).
    pub fn is_segment(&self) -> bool {
        (self.selector >> 3) & 3 != 3
    }
}

/// The files of an input (empty pieces are skipped; at most [`MAX_FILES`]).
pub fn decode(data: &[u8]) -> Vec<InputFile> {
    let mut files = Vec::new();
    let mut rest = data;
    while files.len() < MAX_FILES && !rest.is_empty() {
        let (piece, next) = match find(rest, SEPARATOR) {
            Some(at) => (&rest[..at], &rest[at + SEPARATOR.len()..]),
            None => (rest, &[][..]),
        };
        rest = next;
        let Some((&selector, contents)) = piece.split_first() else {
            continue;
        };
        let mut contents = contents.to_vec();
        if selector & FIX_CRCS != 0 {
            fix_crcs(&mut contents);
        }
        files.push(InputFile { selector, contents });
    }
    files
}

/// The input that [`decode`] turns back into these files.
pub fn encode(files: &[InputFile]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, f) in files.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(SEPARATOR);
        }
        out.push(f.selector);
        out.extend_from_slice(&f.contents);
    }
    out
}

/// Writes the files into `dir`; a later file with the same name replaces an earlier one.
/// Returns the files as they are on disk (the replaced ones dropped).
pub fn write(dir: &Path, files: &[InputFile]) -> Vec<InputFile> {
    let mut kept: Vec<InputFile> = Vec::new();
    for f in files {
        std::fs::write(dir.join(f.name()), &f.contents).expect("writing a fuzz input file");
        kept.retain(|k| k.name() != f.name());
        kept.push(f.clone());
    }
    kept
}

/// Where `needle` first occurs. Compares a slice only where its first byte matches: libFuzzer
/// traces every `memcmp`, and one per byte of a 70 KB input took a third of the time.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let last = hay.len().checked_sub(needle.len())?;
    (0..=last).find(|&i| hay[i] == needle[0] && hay[i..i + needle.len()] == *needle)
}

/// Recomputes the header CRC, then walks the frames back to back by their length fields and
/// recomputes each one's CRC under the header's salt (docs/FORMAT.md); stops at the first
/// length field that does not fit.
pub fn fix_crcs(b: &mut [u8]) {
    let Ok(len) = SegmentHeader::peek_len(b) else {
        return;
    };
    if b.len() < len {
        return;
    }
    let crc = crc32fast::hash(&b[..len - 8]);
    b[len - 8..len - 4].copy_from_slice(&crc.to_le_bytes());
    let salt: [u8; 8] = b[32..40].try_into().expect("the fixed header part is 80 bytes");
    let mut off = len;
    while off + FRAME_HEADER_BYTES <= b.len() {
        let payload_len = u32::from_le_bytes(b[off + 4..off + 8].try_into().unwrap());
        if payload_len > MAX_PAYLOAD {
            return;
        }
        let size = format::frame_bytes(payload_len as usize);
        if off + size > b.len() {
            return;
        }
        let mut h = crc32fast::Hasher::new();
        h.update(&salt);
        h.update(&b[off + 4..off + FRAME_HEADER_BYTES + payload_len as usize]);
        b[off..off + 4].copy_from_slice(&h.finalize().to_le_bytes());
        off += size;
    }
}
