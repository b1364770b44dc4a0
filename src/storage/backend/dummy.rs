//! The dummy backend (tests): keeps every frame it receives in memory, decoded, and follows a
//! deterministic fault script — latency per write, failing the k-th write or sync with an
//! errno, a stall of D ms, a full disk from byte B.
//!
//! The script and the frames live in a [`DummyShared`] that the test holds (from Rust through
//! `Logger::dummy`, from C through the `rtlog_dummy_*` functions). Memory grows with every
//! frame: this backend is for tests, not for production.

use super::Backend;
use crate::error::{Error, Result};
use crate::format::{self, FrameHeader, FrameSalt, SegmentHeader, FRAME_HEADER_BYTES};
use crate::storage::recovery::Recovered;
use crate::storage::retention::{Applied, Limits};
use parking_lot::Mutex;
use std::sync::Arc;
use std::time::Duration;

/// A frame as the dummy backend received it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DummyFrame {
    /// The frame's header fields.
    pub header: FrameHeader,
    /// Its payload.
    pub payload: Vec<u8>,
    /// Index of the segment it went to.
    pub segment: u64,
}

/// The fault script; every field is off by default.
#[derive(Clone, Debug, Default)]
pub struct DummyScript {
    /// Added to every append.
    pub write_latency: Duration,
    /// `(k, errno)`: the k-th append (1-based, counting every append) fails with errno.
    pub fail_writes: Vec<(u64, i32)>,
    /// `(k, errno)`: the k-th sync fails with errno.
    pub fail_syncs: Vec<(u64, i32)>,
    /// The next append blocks this long first (then the stall is over).
    pub stall_next_write: Option<Duration>,
    /// Appends that would bring the bytes stored past this fail with ENOSPC.
    pub disk_full_at: Option<u64>,
    /// The next append panics (a bug in the writer's thread, for the liveness tests; not in
    /// the C API).
    pub panic_next_write: bool,
}

/// What the dummy backend received, and its script; shared with the test.
#[derive(Debug, Default)]
pub struct DummyShared {
    /// The fault script, read at every operation.
    pub script: Mutex<DummyScript>,
    state: Mutex<DummyState>,
}

#[derive(Debug, Default)]
struct DummyState {
    frames: Vec<DummyFrame>,
    writes: u64,
    syncs: u64,
    bytes: u64,
    segments: u64,
}

/// Counters of a dummy backend.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DummyCounts {
    /// Appends attempted.
    pub writes: u64,
    /// Syncs attempted.
    pub syncs: u64,
    /// Bytes stored (headers included).
    pub bytes: u64,
    /// Segments created.
    pub segments: u64,
    /// Frames stored.
    pub frames: u64,
}

impl DummyShared {
    /// Every frame received so far, in order.
    pub fn frames(&self) -> Vec<DummyFrame> {
        self.state.lock().frames.clone()
    }

    /// Frame `i`, if it exists.
    pub fn frame(&self, i: usize) -> Option<DummyFrame> {
        self.state.lock().frames.get(i).cloned()
    }

    /// Counters so far.
    pub fn counts(&self) -> DummyCounts {
        let s = self.state.lock();
        DummyCounts {
            writes: s.writes,
            syncs: s.syncs,
            bytes: s.bytes,
            segments: s.segments,
            frames: s.frames.len() as u64,
        }
    }
}

/// The in-memory backend.
pub struct DummyBackend {
    shared: Arc<DummyShared>,
    current: Option<SegmentHeader>,
}

impl DummyBackend {
    /// A backend recording into `shared`.
    pub fn new(shared: Arc<DummyShared>) -> DummyBackend {
        DummyBackend { shared, current: None }
    }
}

fn injected(errno: i32, what: &str) -> Error {
    Error::io(format!("dummy backend: {what} (injected)"), std::io::Error::from_raw_os_error(errno))
}

impl Backend for DummyBackend {
    fn recover(&mut self) -> Result<Recovered> {
        Ok(Recovered::fresh())
    }

    fn create_segment(&mut self, header: &SegmentHeader, encoded: &[u8], _: u64) -> Result<()> {
        let mut st = self.shared.state.lock();
        st.segments += 1;
        st.bytes += encoded.len() as u64;
        self.current = Some(header.clone());
        Ok(())
    }

    fn append(&mut self, bytes: &[u8]) -> Result<()> {
        let (latency, stall, fail, full) = {
            let mut script = self.shared.script.lock();
            if std::mem::take(&mut script.panic_next_write) {
                drop(script);
                panic!("dummy backend: panic_next_write");
            }
            let n = self.shared.state.lock().writes + 1;
            let fail = script.fail_writes.iter().find(|(k, _)| *k == n).map(|(_, e)| *e);
            (script.write_latency, script.stall_next_write.take(), fail, script.disk_full_at)
        };
        std::thread::sleep(latency + stall.unwrap_or_default());
        let mut st = self.shared.state.lock();
        st.writes += 1;
        if let Some(errno) = fail {
            return Err(injected(errno, "write failed"));
        }
        if full.is_some_and(|b| st.bytes + bytes.len() as u64 > b) {
            return Err(injected(libc::ENOSPC, "disk full"));
        }
        let Some(header) = &self.current else {
            return Err(Error::new(crate::error::Status::Internal, "append without a segment"));
        };
        st.bytes += bytes.len() as u64;
        let mut off = 0;
        while off + FRAME_HEADER_BYTES <= bytes.len() {
            let b = &bytes[off..];
            let h = FrameHeader::decode(b, header.max_payload).map_err(|e| {
                Error::new(
                    crate::error::Status::Internal,
                    format!("dummy backend got a bad frame: {e}"),
                )
            })?;
            let size = format::frame_bytes(h.payload_len as usize);
            let payload = &b[FRAME_HEADER_BYTES..FRAME_HEADER_BYTES + h.payload_len as usize];
            if !FrameHeader::verify(b, &FrameSalt::new(header.salt), payload) {
                return Err(Error::new(
                    crate::error::Status::Internal,
                    "dummy backend got a frame with a bad CRC",
                ));
            }
            st.frames.push(DummyFrame {
                header: h,
                payload: payload.to_vec(),
                segment: header.index,
            });
            off += size;
        }
        Ok(())
    }

    fn sync(&mut self) -> Result<()> {
        let n = {
            let mut st = self.shared.state.lock();
            st.syncs += 1;
            st.syncs
        };
        let script = self.shared.script.lock();
        match script.fail_syncs.iter().find(|(k, _)| *k == n) {
            Some((_, errno)) => Err(injected(*errno, "fdatasync failed")),
            None => Ok(()),
        }
    }

    fn close_segment(&mut self) -> Result<()> {
        self.current = None;
        Ok(())
    }

    fn apply_retention(&mut self, _: &Limits, _: u64, _: u64) -> Result<Applied> {
        Ok(Applied::default())
    }
}
