//! The control loop, in the child process (`rtlog-bench child kind=cycle ...`): one thread on
//! the producer CPU at `SCHED_FIFO`, waking on an absolute 1 ms schedule, computing, then
//! publishing [`RECORDS`] records, the calls timed together with `CLOCK_MONOTONIC`.

use super::compute::{self, Budget, Compute};
use super::{sched, Condition, RECORDS, RT_PRIORITY, SIZE};
use crate::affinity::{self, Placement};
use crate::harness::{make_payload, stamp, Publisher};
use crate::peers::Peer;
use crate::stats::{self, Fields};
use crate::timing;
use rtlog::Durability;
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
    /// Sweep this many bytes per cycle instead of computing for `compute_ns` (diagnostics:
    /// `sweep_bytes=N` on the child's command line, for runs under valgrind).
    pub sweep_bytes: Option<u64>,
    /// rtlog's durability (diagnostics: `rtlog_mode=NONE`; default FSYNC_BATCH).
    pub rtlog_mode: Durability,
    /// rtlog's ticker period (diagnostics: `ticker_us=N`; default [`super::TICKER_US`]).
    pub ticker_us: u32,
    /// rtlog's supervisor period (diagnostics: `supervisor_us=N`; default rtlog's).
    pub supervisor_us: Option<u32>,
    /// Also time each call of the cycle on its own (diagnostics: `per_call=1`; the clock reads
    /// between the calls then count in the cycle's cost).
    pub per_call: bool,
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
    /// With `Spec::per_call`: each measured cycle's calls, ns each.
    pub per_call: Vec<[u32; RECORDS]>,
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
        per_call: vec![[1; RECORDS]; if spec.per_call { spec.cycles } else { 0 }],
        ..LoopOut::default()
    };
    let mut calls = [0u32; RECORDS];
    let mut compute = Compute::new(spec.working_set);
    let mut records: Vec<Vec<u8>> = (0..RECORDS).map(|_| make_payload(SIZE)).collect();
    let mut seq = 0u64;
    let mut next = timing::monotonic_ns() + spec.period_ns;
    for i in 0..spec.warmup + spec.cycles {
        let deadline = next;
        sched::sleep_until(deadline);
        let woke = timing::monotonic_ns();
        let budget = match spec.sweep_bytes {
            Some(bytes) => Budget::Bytes(bytes),
            None => Budget::Until(woke + spec.compute_ns),
        };
        let swept = compute.run(budget);
        for r in records.iter_mut() {
            stamp(r, seq);
            seq += 1;
        }
        let (cost, refused) = if spec.per_call {
            publish_each(&mut p, &records, &mut calls)
        } else {
            publish_all(&mut p, &records)
        };
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
            if let Some(c) = out.per_call.get_mut(j) {
                *c = calls;
            }
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

/// `publish_all` with a clock read between the calls: each call's ns into `calls`.
#[inline(never)]
fn publish_each<P: Publisher>(
    p: &mut P,
    records: &[Vec<u8>],
    calls: &mut [u32; RECORDS],
) -> (u32, u64) {
    let mut refused = 0;
    let t0 = timing::monotonic_ns();
    let mut t = t0;
    for (r, c) in records.iter().zip(calls.iter_mut()) {
        refused += u64::from(!p.publish(r));
        let now = timing::monotonic_ns();
        *c = clamp_u32(now - t);
        t = now;
    }
    (clamp_u32(t - t0), refused)
}

/// Per position in the cycle: the median and the p99 of the calls' ns, as two comma lists.
fn per_call_summary(per_call: &[[u32; RECORDS]]) -> (String, String) {
    let (mut p50, mut p99) = (Vec::new(), Vec::new());
    for k in 0..RECORDS {
        let mut v: Vec<f64> = per_call.iter().map(|c| f64::from(c[k])).collect();
        v.sort_unstable_by(f64::total_cmp);
        let lat = stats::Latency::from_sorted(&v);
        p50.push(format!("{:.0}", lat.pct[0]));
        p99.push(format!("{:.0}", lat.pct[2]));
    }
    (p50.join(","), p99.join(","))
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
        sweep_bytes: f.get("sweep_bytes").and_then(|v| v.parse().ok()),
        rtlog_mode: crate::child::durability(f.get("rtlog_mode").unwrap_or("FSYNC_BATCH"))?.0,
        ticker_us: f.get("ticker_us").and_then(|v| v.parse().ok()).unwrap_or(super::TICKER_US),
        supervisor_us: f.get("supervisor_us").and_then(|v| v.parse().ok()),
        per_call: f.get("per_call") == Some("1"),
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
    let per_call = if out.per_call.is_empty() {
        String::new()
    } else {
        let (p50, p99) = per_call_summary(&out.per_call);
        format!(" call_p50={p50} call_p99={p99}")
    };
    Ok(format!(
        "cond={cond} drops={} overruns={} rt={} working_set={} swept={} cost={} wake={}{per_call}",
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
