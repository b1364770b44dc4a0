//! The control-loop scenario of issue 16: what logging costs a 1 kHz control cycle that wakes
//! with cold caches, next to Quill, spdlog, DLT and no logging, quiet and under an I/O load.
//!
//! A thread pinned to the producer CPU at `SCHED_FIFO` 80 wakes every 1 ms
//! (`clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME)`), computes for 20 µs over a working set
//! larger than L2 ([`compute`]), then publishes 8 records of 64 B; `CLOCK_MONOTONIC` read around
//! the 8 calls gives the cycle's logging cost. The logger's own threads run on the consumer CPU;
//! so does the I/O load of the "io" condition ([`stress`]). Each peer runs in its own child
//! process ([`child`], [`peers`]); the parent repeats and interleaves them ([`runner`]) and pools
//! the rounds for the report ([`report`]).

pub mod child;
pub mod compute;
pub mod peers;
pub mod report;
pub mod runner;
pub mod sched;
pub mod stress;

use crate::peers::Peer;
use crate::stats::Latency;

/// The control period.
pub const PERIOD_NS: u64 = 1_000_000;
/// The computation before the records, per cycle.
pub const COMPUTE_NS: u64 = 20_000;
/// Records published per cycle.
pub const RECORDS: usize = 8;
/// Payload bytes per record.
pub const SIZE: usize = 64;
/// `SCHED_FIFO` priority of the control thread.
pub const RT_PRIORITY: i32 = 80;
/// rtlog's internal ticker period in this scenario.
pub const TICKER_US: u32 = 200;
/// Thresholds the report counts cycles above: the goal (20 µs) and its outliers
/// (100 µs).
pub const OVER_NS: [u32; 2] = [20_000, 100_000];

/// The peers, in table order: no logging first (the floor of the method).
pub const PEERS: [Peer; 5] =
    [Peer::Empty, Peer::Rtlog, Peer::QuillRec, Peer::Spdlog, Peer::DltDaemon];

/// What else the machine does while the loop runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Condition {
    /// Nothing the benchmark starts.
    Quiet,
    /// stress-ng `--hdd 2 --iomix 1` on the consumer CPU, in the data directory.
    Io,
}

impl Condition {
    /// Both, in report order.
    pub const ALL: [Condition; 2] = [Condition::Quiet, Condition::Io];

    /// Short key (child arguments, CSV, file names).
    pub fn key(self) -> &'static str {
        match self {
            Condition::Quiet => "quiet",
            Condition::Io => "io",
        }
    }
}

/// A peer's name in this scenario's tables ("no logging" for the empty call).
pub fn label(peer: Peer) -> &'static str {
    match peer {
        Peer::Empty => "no logging",
        Peer::Rtlog => "rtlog (rtlog_publish, FILE, FSYNC_BATCH 1 ms)",
        Peer::QuillRec => "Quill (binary record, file sink)",
        Peer::Spdlog => "spdlog async (file sink)",
        p => p.label(),
    }
}

/// One run of one peer (one child process).
#[derive(Clone, Debug, Default)]
pub struct CycleRun {
    /// Logging cost of each measured cycle, ns.
    pub cost_ns: Vec<u32>,
    /// How late each measured cycle woke after its deadline, ns.
    pub wake_ns: Vec<u32>,
    /// Records refused by the call, plus those the peer dropped later.
    pub drops: u64,
    /// Cycles whose work ran past the next deadline (the loop then skips a period).
    pub overruns: u64,
    /// "ok" when the thread got `SCHED_FIFO`, else "refused:" and the reason (spaces as '-').
    pub rt: String,
    /// Median bytes the computation swept per cycle.
    pub swept_bytes: u64,
    /// Bytes of the computation's working set.
    pub working_set: u64,
}

impl CycleRun {
    /// The run's median cost per cycle, ns (rounds of one peer differ more than cycles of one
    /// run when something periodic, such as a 1 ms fsync, keeps a fixed phase to the loop).
    pub fn p50(&self) -> f64 {
        let v: Vec<f64> = self.cost_ns.iter().map(|&x| f64::from(x)).collect();
        crate::stats::median(&v)
    }
}

/// Every run of one peer in one condition.
#[derive(Clone, Debug)]
pub struct CycleRow {
    /// The peer.
    pub peer: Peer,
    /// The condition.
    pub cond: Condition,
    /// One per round.
    pub runs: Vec<CycleRun>,
}

/// A row's rounds pooled: the distribution over every measured cycle of every run.
pub struct Pooled {
    /// Logging cost per cycle.
    pub cost: Latency,
    /// Wake-up lateness per cycle.
    pub wake: Latency,
    /// Cycles above each of [`OVER_NS`].
    pub over: [u64; 2],
    /// Drops of all runs.
    pub drops: u64,
    /// Overruns of all runs.
    pub overruns: u64,
}

impl CycleRow {
    /// The pooled distribution, or None before any run succeeded.
    pub fn pooled(&self) -> Option<Pooled> {
        if self.runs.is_empty() {
            return None;
        }
        let all = |f: fn(&CycleRun) -> &Vec<u32>| {
            let mut v: Vec<f64> = self.runs.iter().flat_map(f).map(|&x| f64::from(x)).collect();
            v.sort_unstable_by(f64::total_cmp);
            v
        };
        let cost = all(|r| &r.cost_ns);
        let over = OVER_NS.map(|t| cost.iter().filter(|&&x| x > f64::from(t)).count() as u64);
        Some(Pooled {
            cost: Latency::from_sorted(&cost),
            wake: Latency::from_sorted(&all(|r| &r.wake_ns)),
            over,
            drops: self.runs.iter().map(|r| r.drops).sum(),
            overruns: self.runs.iter().map(|r| r.overruns).sum(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pooling_counts_cycles_over_the_thresholds() {
        let run = |cost: Vec<u32>| CycleRun {
            wake_ns: vec![0; cost.len()],
            cost_ns: cost,
            ..Default::default()
        };
        let row = CycleRow {
            peer: Peer::Rtlog,
            cond: Condition::Quiet,
            runs: vec![run(vec![1_000, 25_000, 3_000]), run(vec![150_000, 20_000])],
        };
        let p = row.pooled().unwrap();
        assert_eq!(p.cost.n, 5);
        assert_eq!(p.over, [2, 1]);
        assert_eq!(p.cost.pct[5], 150_000.0);
        assert!(CycleRow { runs: vec![], ..row }.pooled().is_none());
    }
}
