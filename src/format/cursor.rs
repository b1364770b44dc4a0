//! The ship cursor file: how far a shipper (`rtlog ship`) has had the log acknowledged by its
//! destination. The shipper writes it; retention with `retention_keep_unshipped` reads it.
//!
//! One fixed-size record in the file [`SHIP_CURSOR_FILE`] of the log directory, replaced
//! atomically (temporary file, fsync, rename, directory fsync: `storage::ship_cursor`), so a
//! reader sees either the old cursor or the new one, never a mix. Layout in docs/FORMAT.md.

use super::{u32_at, u64_at, DecodeError};

/// The cursor's file name in the log directory.
pub const SHIP_CURSOR_FILE: &str = "SHIPPED";
/// Magic bytes at the start of a cursor file.
pub const SHIP_CURSOR_MAGIC: [u8; 8] = *b"RTLOGSHP";
/// Version of the cursor layout.
pub const SHIP_CURSOR_VERSION: u16 = 1;
/// Bytes of a cursor file.
pub const SHIP_CURSOR_BYTES: usize = 32;

/// The last frame of the log that the destination acknowledged, and every frame before it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct ShipCursor {
    /// The frame's epoch.
    pub epoch: u32,
    /// The frame's LSN: every frame at or below it was acknowledged (LSNs rise through the
    /// whole log, across epochs).
    pub lsn: u64,
}

impl ShipCursor {
    /// The file's bytes: magic, version, reserved, epoch, LSN, CRC-32 of the first 24 bytes,
    /// reserved.
    pub fn encode(&self) -> [u8; SHIP_CURSOR_BYTES] {
        let mut b = [0u8; SHIP_CURSOR_BYTES];
        b[0..8].copy_from_slice(&SHIP_CURSOR_MAGIC);
        b[8..10].copy_from_slice(&SHIP_CURSOR_VERSION.to_le_bytes());
        b[12..16].copy_from_slice(&self.epoch.to_le_bytes());
        b[16..24].copy_from_slice(&self.lsn.to_le_bytes());
        let crc = crc32fast::hash(&b[..24]);
        b[24..28].copy_from_slice(&crc.to_le_bytes());
        b
    }

    /// Decodes a cursor file's bytes; anything but exactly one valid record is an error.
    pub fn decode(b: &[u8]) -> Result<ShipCursor, DecodeError> {
        if b.len() < SHIP_CURSOR_BYTES {
            return Err(DecodeError::Truncated);
        }
        if b.len() > SHIP_CURSOR_BYTES {
            return Err(DecodeError::BadLength);
        }
        if b[0..8] != SHIP_CURSOR_MAGIC {
            return Err(DecodeError::BadMagic);
        }
        if crc32fast::hash(&b[..24]) != u32_at(b, 24) {
            return Err(DecodeError::BadCrc);
        }
        match u16::from_le_bytes([b[8], b[9]]) {
            SHIP_CURSOR_VERSION => {}
            0 => return Err(DecodeError::BadField("cursor version")),
            v => return Err(DecodeError::NewerVersion(v)),
        }
        if b[10..12] != [0, 0] || u32_at(b, 28) != 0 {
            return Err(DecodeError::BadField("reserved cursor bytes"));
        }
        Ok(ShipCursor { epoch: u32_at(b, 12), lsn: u64_at(b, 16) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_every_flipped_bit() {
        let c = ShipCursor { epoch: 7, lsn: 0x0123_4567_89ab_cdef };
        let b = c.encode();
        assert_eq!(ShipCursor::decode(&b), Ok(c));
        for bit in 0..SHIP_CURSOR_BYTES * 8 {
            let mut d = b;
            d[bit / 8] ^= 1 << (bit % 8);
            assert!(ShipCursor::decode(&d).is_err(), "bit {bit}");
        }
        assert_eq!(ShipCursor::decode(&b[..31]), Err(DecodeError::Truncated));
        assert_eq!(ShipCursor::decode(&[b.as_slice(), &[0]].concat()), Err(DecodeError::BadLength));
    }
}
