//! The control loop in the report: its section (method and table), its CDF plots, its targets
//! and its CSV rows.

use super::{label, Condition, CycleRow, Pooled, COMPUTE_NS, PERIOD_NS, RECORDS, SIZE};
use super::{RT_PRIORITY, TICKER_US};
use crate::affinity::Placement;
use crate::peers::Peer;
use crate::plot::{self, Series};
use crate::report::{color, ns, Verdict};
use crate::runner::Plan;
use crate::stats::{self, P999};
use std::fmt::Write;

/// Indexes into `stats::PCTS` of the table's percentiles: p50, p99, p99.9, max.
const SHOWN: [(usize, &str); 4] = [(0, "p50"), (2, "p99"), (P999, "p99.9"), (5, "max")];

fn row(rows: &[CycleRow], peer: Peer, cond: Condition) -> Option<Pooled> {
    rows.iter().find(|r| r.peer == peer && r.cond == cond)?.pooled()
}

/// The median over every run of the bytes the computation swept per cycle, in KiB.
fn swept_kib(rows: &[CycleRow]) -> f64 {
    let v: Vec<f64> = rows.iter().flat_map(|r| &r.runs).map(|r| r.swept_bytes as f64).collect();
    stats::median(&v) / 1024.0
}

/// The section: method, table, plots.
pub fn section(s: &mut String, rows: &[CycleRow], plan: &Plan, place: Placement) {
    if rows.iter().all(|r| r.runs.is_empty()) {
        return;
    }
    let ws = rows.iter().flat_map(|r| &r.runs).map(|r| r.working_set).max().unwrap_or(0);
    let _ = writeln!(s, "## Cost per control cycle (issue 16)\n");
    let _ = writeln!(
        s,
        "A thread pinned to CPU {p} at `SCHED_FIFO` {RT_PRIORITY} wakes every {period} ms \
         (`clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME)`), computes for {comp} µs, then makes \
         {RECORDS} calls that each log {SIZE} B; the cost of a cycle is `CLOCK_MONOTONIC` read \
         before and after the {RECORDS} calls (nothing subtracted: \"no logging\" is the floor, \
         two clock reads around nothing). The computation leaves the caches cold for the logger: \
         it sweeps a {ws_mib:.0} MiB working set (4 × this CPU's L2), incrementing one word per \
         64-byte line and going on each cycle where the last one stopped; it swept a median \
         {kib:.0} KiB per cycle, which replaces all of L1d and that much of L2 (the logger's code \
         is evicted from L2 the same way; L1i only by the kernel's wake-up path). {cycles} cycles \
         per run after {warm} unmeasured; {rounds} round(s) of every peer in every condition, \
         the order alternating; the table pools the rounds. The loggers' threads run on CPU {c}.\n",
        p = place.producer,
        c = place.consumer,
        period = PERIOD_NS as f64 / 1e6,
        comp = COMPUTE_NS / 1000,
        ws_mib = ws as f64 / f64::from(1 << 20),
        kib = swept_kib(rows),
        cycles = plan.cycles,
        warm = plan.cycle_warmup,
        rounds = plan.cycle_rounds,
    );
    let _ = writeln!(
        s,
        "Peers: rtlog through its C API (`rtlog_publish`, FILE backend, FSYNC_BATCH every 1 ms, \
         internal ticker every {TICKER_US} µs); Quill through its binary-data codec \
         (`quill::BinaryData`: a 4-byte length and a memcpy of the 64 bytes into the thread's \
         queue; the backend writes the bytes as they are), BoundedDropping queue of 512 KiB, default backend \
         sleep, file sink (no fsync); spdlog async (`overrun_oldest`, `basic_file_sink_mt`, the \
         payload as a string_view); DLT's user library with the private dlt-daemon. Conditions: \
         quiet, and io = `stress-ng --hdd 2 --iomix 1` on CPU {c} writing in the data directory, \
         started before the condition's runs and stopped after them. `drops` = calls refused plus \
         records the peer dropped later; `wake-up` = how late the thread woke after its deadline \
         (the machine's scheduling latency, not the logger's).\n",
        c = place.consumer
    );
    table(s, rows);
    for cond in Condition::ALL {
        if rows.iter().any(|r| r.cond == cond && !r.runs.is_empty()) {
            let _ = writeln!(s, "![control loop, {0}](cycle-cdf-{0}.svg)\n", cond.key());
        }
    }
}

fn table(s: &mut String, rows: &[CycleRow]) {
    let _ = writeln!(
        s,
        "| per cycle ({RECORDS} × {SIZE} B) | condition | p50 | p99 | p99.9 | max | > 20 µs | > 100 µs \
         | cycles | drops | wake-up p99 / max | p50 of each run |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    for cond in Condition::ALL {
        for r in rows.iter().filter(|r| r.cond == cond) {
            let Some(p) = r.pooled() else { continue };
            let pcts: Vec<String> = SHOWN.iter().map(|(i, _)| ns(p.cost.pct[*i])).collect();
            let name = if r.peer == Peer::Rtlog {
                format!("**{}**", label(r.peer))
            } else {
                label(r.peer).to_string()
            };
            let each: Vec<String> = r.runs.iter().map(|run| ns(run.p50())).collect();
            let _ = writeln!(
                s,
                "| {name} | {} | {} | {} | {} | {} | {} | {} / {} | {} |",
                cond.key(),
                pcts.join(" | "),
                p.over[0],
                p.over[1],
                p.cost.n,
                p.drops,
                ns(p.wake.pct[2]),
                ns(p.wake.pct[5]),
                each.join(", ")
            );
        }
    }
    let _ = writeln!(s);
}

/// The per-cycle CDF of every peer in `cond` (file name, SVG), if any ran.
pub fn plot(rows: &[CycleRow], cond: Condition, plan: &Plan) -> Option<(String, String)> {
    let series: Vec<Series> = rows
        .iter()
        .filter(|r| r.cond == cond)
        .filter_map(|r| {
            let p = r.pooled()?;
            Some(Series {
                name: label(r.peer).to_string(),
                color: color(r.peer),
                dashed: r.peer == Peer::Empty,
                points: p.cost.cdf,
                n: p.cost.n,
            })
        })
        .collect();
    if series.is_empty() {
        return None;
    }
    let subtitle = format!(
        "{cond}: {RECORDS} × {SIZE} B per 1 ms cycle, SCHED_FIFO, cold caches; {} rounds of {} \
         cycles pooled",
        plan.cycle_rounds,
        plan.cycles,
        cond = cond.key()
    );
    let svg = plot::cdf_svg(
        "rtlog's cost per control cycle vs peers",
        &subtitle,
        &series,
        plot::Axis { value: "logging cost per cycle (log scale)", items: "cycles" },
    );
    Some((format!("cycle-cdf-{}.svg", cond.key()), svg))
}

/// The goals in each condition: rtlog at or below Quill at p50, p99, p99.9 and max, and
/// no cycle over 20 µs.
pub fn verdicts(rows: &[CycleRow]) -> Vec<Verdict> {
    let mut out = Vec::new();
    for cond in Condition::ALL {
        let t = format!(
            "control loop ({}): rtlog's cost per cycle at or below Quill's at p50, p99, p99.9 and max",
            cond.key()
        );
        out.push(match (row(rows, Peer::Rtlog, cond), row(rows, Peer::QuillRec, cond)) {
            (Some(a), Some(q)) => {
                let parts: Vec<String> = SHOWN
                    .iter()
                    .map(|&(i, name)| {
                        let (x, y) = (a.cost.pct[i], q.cost.pct[i]);
                        let tag = if x <= y { "met" } else { "missed" };
                        format!("{name} {} vs {} ({tag})", ns(x), ns(y))
                    })
                    .collect();
                let met = SHOWN.iter().all(|&(i, _)| a.cost.pct[i] <= q.cost.pct[i]);
                Verdict { target: t, measured: parts.join(", "), outcome: Some(met).into() }
            }
            _ => Verdict {
                target: t,
                measured: "not measured (a peer skipped)".into(),
                outcome: None.into(),
            },
        });
        let t = format!("control loop ({}): no rtlog cycle with logging over 20 µs", cond.key());
        out.push(match row(rows, Peer::Rtlog, cond) {
            Some(a) => Verdict {
                target: t,
                measured: format!(
                    "{} of {} cycles over 20 µs (max {})",
                    a.over[0],
                    a.cost.n,
                    ns(a.cost.pct[5])
                ),
                outcome: Some(a.over[0] == 0).into(),
            },
            None => Verdict { target: t, measured: "not measured".into(), outcome: None.into() },
        });
    }
    out
}

/// CSV rows in latency.csv's columns: load `cycle-quiet`/`cycle-io`, the values per cycle,
/// `calls` = cycles, `refused` = drops, `late_periods` = overruns.
pub fn csv_rows(s: &mut String, rows: &[CycleRow]) {
    for r in rows {
        let Some(p) = r.pooled() else { continue };
        let c = &p.cost.pct;
        let _ = writeln!(
            s,
            "cycle-{},1,{SIZE},{},{:.2},{:.2},{:.2},{:.2},{:.2},{:.2},{:.2},{},{},0,{},{}",
            r.cond.key(),
            r.peer.key(),
            c[0],
            c[1],
            c[2],
            c[3],
            c[4],
            c[5],
            p.cost.mean,
            p.cost.n,
            p.drops,
            p.overruns,
            r.runs.len()
        );
    }
}
