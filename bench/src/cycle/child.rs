//! The control loop, in the child process (`rtlog-bench child kind=cycle ...`): one thread on
//! the producer CPU at `SCHED_FIFO`, waking on an absolute 1 ms schedule, computing, then
//! publishing [`RECORDS`] records, the calls timed together with `CLOCK_MONOTONIC`.

use super::compute::{self, Compute};
use super::{sched, Condition, RECORDS, RT_PRIORITY, SIZE};
use crate::affinity::{self, Placement};
use crate::harness::{make_payload, stamp, Publisher};
use crate::peers::Peer;
use crate::stats::{self, Fields};
use crate::timing;
use std::path::PathBuf;

/// How the loop runs.
#[derive(Clone, Copy, Debug)]
pub struct Spec {
    /// Measured cycles.
    pub cycles: usize,
    /// Cycles run first and not measured (the peers' first-call set-up, page faults).
    pub warmup: usize,
    /// The control period.
    pub period_ns: u64,
    /// The computation per cycle.
    pub compute_ns: u64,
    /// Bytes the computation sweeps over.
    pub working_set: usize,
}

/// What the control thread measured.
#[derive(Default)]
pub struct LoopOut {
    /// Logging cost of each measured cycle, ns.
    pub cost_ns: Vec<u32>,
    /// Wake-up lateness of each measured cycle, ns.
    pub wake_ns: Vec<u32>,
    /// Bytes the computation swept in each measured cycle.
    pub swept: Vec<u32>,
    /// Calls refused (all cycles, warm-up included).
    pub refused: u64,
    /// Measured cycles that ran past the next deadline.
    pub overruns: u64,
    /// `SCHED_FIFO` refused: why.
    pub rt_error: Option<String>,
    /// Pinning failed: why.
    pub pin_error: Option<String>,
}

/// Runs the loop on its own thread (pinned to `cpu`, `SCHED_FIFO`), publishing through `p`.
pub fn run_loop<P: Publisher>(p: P, spec: Spec, cpu: usize) -> LoopOut {
    std::thread::scope(|s| {
        s.spawn(move || control_thread(p, spec, cpu)).join().expect("control thread panicked")
    })
}

fn control_thread<P: Publisher>(mut p: P, spec: Spec, cpu: usize) -> LoopOut {
    let mut out = LoopOut {
        pin_error: affinity::pin(cpu).err(),
        rt_error: sched::set_fifo(RT_PRIORITY).err(),
        // Allocated and written now, so no page fault lands in the loop.
        cost_ns: vec![1; spec.cycles],
        wake_ns: vec![1; spec.cycles],
        swept: vec![1; spec.cycles],
        ..LoopOut::default()
    };
    let mut compute = Compute::new(spec.working_set);
    let mut records: Vec<Vec<u8>> = (0..RECORDS).map(|_| make_payload(SIZE)).collect();
    let mut seq = 0u64;
    let mut next = timing::monotonic_ns() + spec.period_ns;
    for i in 0..spec.warmup + spec.cycles {
        let deadline = next;
        sched::sleep_until(deadline);
        let woke = timing::monotonic_ns();
        let swept = compute.run(woke + spec.compute_ns);
        for r in records.iter_mut() {
            stamp(r, seq);
            seq += 1;
        }
        let (cost, refused) = publish_all(&mut p, &records);
        out.refused += refused;
        next += spec.period_ns;
        let now = timing::monotonic_ns();
        let overran = now >= next;
        while next <= now {
            // Skip the periods already gone rather than run them back to back.
            next += spec.period_ns;
        }
        if let Some(j) = i.checked_sub(spec.warmup) {
            out.cost_ns[j] = cost;
            out.wake_ns[j] = clamp_u32(woke.saturating_sub(deadline));
            out.swept[j] = clamp_u32(swept);
            out.overruns += u64::from(overran);
        }
    }
    out
}

/// The timed part: the cycle's records, one call each; returns (ns, calls refused).
#[inline(never)]
fn publish_all<P: Publisher>(p: &mut P, records: &[Vec<u8>]) -> (u32, u64) {
    let mut refused = 0;
    let t0 = timing::monotonic_ns();
    for r in records {
        refused += u64::from(!p.publish(r));
    }
    let t1 = timing::monotonic_ns();
    (clamp_u32(t1 - t0), refused)
}

fn clamp_u32(v: u64) -> u32 {
    v.min(u64::from(u32::MAX)) as u32
}

/// Entry point of `child kind=cycle peer=... cond=... cycles=... warmup=... dir=...`.
pub fn main(f: &Fields, place: Placement) -> Result<String, String> {
    let peer = Peer::from_key(f.get("peer").unwrap_or("")).ok_or("unknown peer")?;
    let cond = f.get("cond").unwrap_or(Condition::Quiet.key()).to_string();
    let dir = PathBuf::from(f.get("dir").ok_or("dir missing")?);
    let spec = Spec {
        cycles: f.num("cycles").max(1.0) as usize,
        warmup: f.num("warmup") as usize,
        period_ns: f.num("period_ns") as u64,
        compute_ns: f.num("compute_ns") as u64,
        working_set: 4 * compute::l2_bytes(place.producer),
    };
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let run = super::peers::run(peer, spec, place, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    let (out, lib_dropped) = run?;
    if let Some(e) = &out.pin_error {
        crate::child::note_pin(Some(e));
    }
    let swept: Vec<f64> = out.swept.iter().map(|&b| f64::from(b)).collect();
    let list = |v: &[u32]| v.iter().map(u32::to_string).collect::<Vec<_>>().join(",");
    Ok(format!(
        "cond={cond} drops={} overruns={} rt={} working_set={} swept={} cost={} wake={}",
        out.refused + lib_dropped,
        out.overruns,
        // One word on the protocol line: spaces become '-'.
        out.rt_error.map_or("ok".to_string(), |e| format!("refused:{}", e.replace(' ', "-"))),
        spec.working_set,
        stats::median(&swept),
        list(&out.cost_ns),
        list(&out.wake_ns)
    ))
}
