//! The parent's side of the control loop: every peer in every condition, in rounds whose order
//! alternates (peers forward then backward, quiet first then io first), so a slow drift in the
//! machine's load spreads over all peers; the I/O load runs while its condition's runs do.

use super::stress::{self, Stress};
use super::{Condition, CycleRow, CycleRun, COMPUTE_NS, PEERS, PERIOD_NS, RT_PRIORITY};
use crate::peers::Peer;
use crate::runner::{alternating, Runner};
use crate::stats::Fields;
use std::time::Duration;

impl Runner {
    /// The control-loop scenario: fills `res.cycle`.
    pub fn cycle(&mut self) {
        let peers = self.usable_peers(&PEERS);
        let conds = self.cycle_conditions();
        for &cond in &conds {
            for &peer in &peers {
                self.res.cycle.push(CycleRow { peer, cond, runs: Vec::new() });
            }
        }
        let rounds = self.plan.cycle_rounds;
        for round in 0..rounds {
            for ci in alternating(conds.len(), round) {
                let cond = conds[ci];
                self.say(&format!("control loop: round {}/{rounds}, {}", round + 1, cond.key()));
                let Ok(_load) = self.start_load(cond) else { continue };
                for pi in alternating(peers.len(), round) {
                    self.cycle_run(peers[pi], cond);
                }
            }
        }
        self.note_rt();
    }

    /// Quiet, and io when stress-ng is installed (a line says so when it is not).
    fn cycle_conditions(&mut self) -> Vec<Condition> {
        if stress::binary().is_some() {
            return Condition::ALL.to_vec();
        }
        self.note(
            "stress-ng not installed (apt-get install stress-ng): the control loop's io condition \
             is skipped"
                .into(),
        );
        vec![Condition::Quiet]
    }

    /// The I/O load of `cond` (none when quiet); Err after noting why it did not start.
    fn start_load(&mut self, cond: Condition) -> Result<Option<Stress>, ()> {
        let Condition::Io = cond else { return Ok(None) };
        let bin = stress::binary().ok_or(())?;
        match Stress::start(&bin, &self.data.join("stress-ng"), self.place.consumer) {
            Ok(s) => Ok(Some(s)),
            Err(e) => {
                self.note(format!("control loop io condition skipped this round: {e}"));
                Err(())
            }
        }
    }

    fn cycle_run(&mut self, peer: Peer, cond: Condition) {
        let p = self.plan;
        let args = vec![
            "kind=cycle".to_string(),
            format!("peer={}", peer.key()),
            format!("cond={}", cond.key()),
            format!("cycles={}", p.cycles),
            format!("warmup={}", p.cycle_warmup),
            format!("period_ns={PERIOD_NS}"),
            format!("compute_ns={COMPUTE_NS}"),
            format!("dir={}", self.data.join(format!("cycle-{}", peer.key())).display()),
        ];
        let secs = ((p.cycles + p.cycle_warmup) as u64 * PERIOD_NS).div_ceil(1_000_000_000);
        match self.run_child_env(&args, peer, Duration::from_secs(60 + 2 * secs)) {
            Ok(f) => {
                let run = decode(&f);
                let row = self.res.cycle.iter_mut().find(|r| r.peer == peer && r.cond == cond);
                if let Some(row) = row {
                    row.runs.push(run);
                }
            }
            Err(e) => {
                self.note(format!("control loop {} {} failed: {e}", peer.label(), cond.key()))
            }
        }
    }

    /// One line when the loop could not run at `SCHED_FIFO`.
    fn note_rt(&mut self) {
        let refused = self.res.cycle.iter().flat_map(|r| &r.runs).find(|r| r.rt != "ok");
        if let Some(r) = refused {
            let why = r.rt.trim_start_matches("refused:").replace('-', " ");
            self.note(format!(
                "control loop: SCHED_FIFO {RT_PRIORITY} refused ({why}); the loop ran under the \
                 normal scheduler, so its figures include preemption by other threads"
            ));
        }
    }
}

/// A run from the child's RESULT fields.
fn decode(f: &Fields) -> CycleRun {
    let list = |k: &str| -> Vec<u32> {
        f.get(k).unwrap_or("").split(',').filter_map(|v| v.parse().ok()).collect()
    };
    CycleRun {
        cost_ns: list("cost"),
        wake_ns: list("wake"),
        drops: f.num("drops") as u64,
        overruns: f.num("overruns") as u64,
        rt: f.get("rt").unwrap_or("?").to_string(),
        swept_bytes: f.num("swept") as u64,
        working_set: f.num("working_set") as u64,
    }
}
