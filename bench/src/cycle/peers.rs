//! Each peer set up as the control loop uses it: writing to a file, its own threads on the
//! consumer CPU (they inherit the child's main thread's affinity, or are pinned by option).
//!
//! - rtlog: `rtlog_publish` through the C API (bench/peers/rtlog_rec_shim.c), FILE backend in
//!   the run's directory, FSYNC_BATCH every 1 ms, the internal ticker every [`super::TICKER_US`].
//! - Quill: the record peer ([`crate::peers::quill`]) with a file sink and Quill's default
//!   backend sleep.
//! - spdlog: the async logger with a file sink.
//! - DLT: the user library talking to the private dlt-daemon (`DLT_PIPE_DIR`, set by the parent).
//! - no logging: the empty call, the floor of the method (two clock reads around nothing).

use super::child::{run_loop, LoopOut, Spec};
use super::SIZE;
use crate::affinity::Placement;
use crate::harness::Publisher;
use crate::peers::{self, dlt, quill, spdlog, EmptyPub, Peer, DEPTH};
use rtlog::Producer;
use std::ffi::c_void;
use std::path::Path;
use std::ptr::NonNull;

extern "C" {
    fn bench_rtlog_record(p: *mut c_void, payload: *const c_void, len: u32) -> i32;
}

/// An rtlog producer publishing through the C API.
struct CRecordPub(NonNull<Producer>);

// SAFETY: a `Producer` is `Send`; the logger outlives the control thread (joined before
// shutdown), and only that thread uses the handle.
unsafe impl Send for CRecordPub {}

impl Publisher for CRecordPub {
    #[inline]
    fn publish(&mut self, payload: &[u8]) -> bool {
        let p = self.0.as_ptr().cast::<c_void>();
        // SAFETY: `p` is a live producer used by this thread only (an `rtlog_producer *` is a
        // `Producer`: src/ffi/handle.rs); the payload is valid for its length.
        unsafe { bench_rtlog_record(p, payload.as_ptr().cast(), payload.len() as u32) == 0 }
    }
}

/// rtlog's configuration in the loop: the file benchmark's (one producer, FILE backend,
/// FSYNC_BATCH syncing every 1 ms), with the ticker every [`super::TICKER_US`] (both overridable for
/// diagnostics, see [`Spec`]).
fn rtlog_config(dir: &Path, spec: Spec) -> rtlog::Config {
    let mut config = crate::child::file_config(dir.join("rtlog"), (spec.rtlog_mode, false), SIZE);
    config.dispatch_period_us = spec.ticker_us;
    if let Some(us) = spec.supervisor_us {
        config.supervisor_period_us = us;
    }
    config
}

/// Runs the loop with `peer`, its files under `dir`; returns what the loop measured and the
/// records the peer dropped after accepting them.
pub fn run(peer: Peer, spec: Spec, place: Placement, dir: &Path) -> Result<(LoopOut, u64), String> {
    peer.compiled()?;
    let cpu = place.producer;
    match peer {
        Peer::Empty => Ok((run_loop(EmptyPub, spec, cpu), 0)),
        Peer::Rtlog => {
            let (lg, pubs) = peers::rtlog::open(rtlog_config(dir, spec), 1)?;
            let p = CRecordPub(pubs[0].producer());
            let out = run_loop(p, spec, cpu);
            lg.shutdown().map_err(|e| format!("rtlog shutdown: {e}"))?;
            Ok((out, 0))
        }
        Peer::QuillRec => {
            quill::init(SIZE, place.consumer, quill::Sleep::Default, Some(&dir.join("quill.log")))?;
            let out = run_loop(quill::QuillPub, spec, cpu);
            Ok((out, quill::shutdown()))
        }
        Peer::Spdlog => {
            spdlog::init(DEPTH, place.consumer, Some(&dir.join("spdlog.log")))?;
            let out = run_loop(spdlog::SpdlogPub, spec, cpu);
            Ok((out, spdlog::shutdown()))
        }
        Peer::DltDaemon => {
            dlt::init()?;
            let out = run_loop(dlt::DltPub, spec, cpu);
            dlt::shutdown();
            Ok((out, 0))
        }
        p => Err(format!("{} is not a control-loop peer", p.key())),
    }
}
