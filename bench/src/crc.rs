//! Diagnostic: the writer's cost per frame, and how much of it the CRC is.
//!
//! Times `rtlog::format::FrameHeader::encode_into` (what the writer does for every record),
//! the frame's CRC as rtlog computes it (one update over the contiguous header and payload,
//! continuing from the salt's CRC: `Hasher::new_with_initial`), and the same value as rtlog
//! computed it before (three `crc32fast` updates: the segment salt, the header after the CRC
//! field, the payload). Both CRCs are checked against the frame `encode_into` wrote, so the
//! comparison is of two ways to compute the same on-disk value.

use rtlog::format::{FrameHeader, FrameSalt, FRAME_HEADER_BYTES};
use std::hint::black_box;
use std::time::Instant;

/// ns per frame for one payload size.
pub struct CrcRow {
    /// Payload bytes.
    pub size: usize,
    /// `encode_into`, CRC included.
    pub encode_ns: f64,
    /// The CRC as rtlog computed it before (three updates).
    pub three_ns: f64,
    /// The same CRC in one update from the salt's state (as rtlog computes it).
    pub one_ns: f64,
}

fn three(salt: u64, rest: &[u8], payload: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&salt.to_le_bytes());
    h.update(rest);
    h.update(payload);
    h.finalize()
}

fn one(salt_crc: u32, rest_and_payload: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new_with_initial(salt_crc);
    h.update(rest_and_payload);
    h.finalize()
}

/// Best of 5 timings of `iters` calls of `f`, in ns per call.
fn time(iters: usize, mut f: impl FnMut(usize)) -> f64 {
    (0..5)
        .map(|_| {
            let t = Instant::now();
            for i in 0..iters {
                f(i);
            }
            t.elapsed().as_secs_f64() * 1e9 / iters as f64
        })
        .fold(f64::INFINITY, f64::min)
}

/// Measures 64 B and 256 B frames; `Err` when a CRC does not match the encoded frame.
pub fn measure(iters: usize) -> Result<Vec<CrcRow>, String> {
    let salt = 0x5eed_1234_abcd_0042u64;
    let salt_crc = {
        let mut h = crc32fast::Hasher::new();
        h.update(&salt.to_le_bytes());
        h.finalize()
    };
    let mut rows = Vec::new();
    for size in [64usize, 256] {
        let payload = crate::harness::make_payload(size);
        let header = FrameHeader {
            payload_len: size as u32,
            lsn: 7,
            seq: 3,
            timestamp_ns: 1_000_000,
            epoch: 1,
            producer: 0,
            record_type: 1,
            stream: 1,
            kind: 1,
            level: 2,
        };
        let mut frame = Vec::new();
        header.encode_into(&FrameSalt::new(salt), &payload, &mut frame);
        let stored = u32::from_le_bytes(frame[..4].try_into().expect("4 bytes"));
        let rest = &frame[4..FRAME_HEADER_BYTES];
        let body = &frame[4..FRAME_HEADER_BYTES + size];
        if three(salt, rest, &payload) != stored || one(salt_crc, body) != stored {
            return Err(format!("CRC replica does not match rtlog's frame ({size} B)"));
        }
        // Like the writer: frames appended to a batch buffer that is reused.
        let mut batch = Vec::with_capacity(4096 * frame.len());
        let frame_salt = FrameSalt::new(salt);
        let encode_ns = time(iters, |i| {
            if i % 4096 == 0 {
                batch.clear();
            }
            black_box(&header).encode_into(&frame_salt, black_box(&payload), &mut batch);
        });
        let three_ns = time(iters, |_| {
            black_box(three(black_box(salt), black_box(rest), black_box(&payload)));
        });
        let one_ns = time(iters, |_| {
            black_box(one(black_box(salt_crc), black_box(body)));
        });
        rows.push(CrcRow { size, encode_ns, three_ns, one_ns });
    }
    Ok(rows)
}
