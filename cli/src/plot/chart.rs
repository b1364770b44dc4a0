//! What `rtlog plot` draws, in seconds from the first plotted record: the lines, the stretches
//! the log spent in DEGRADED, CRITICAL or SAFE, and the loss markers of the plotted producers.
//! No drawing here ([`super::draw`] does it), so the geometry is tested on its own.

use super::collect::Collected;
use rtlog::State;
use std::collections::BTreeSet;

/// The chart, ready to draw.
pub struct Chart {
    /// The caption.
    pub title: String,
    /// (legend label, points as (seconds, value)).
    pub series: Vec<(String, Vec<(f64, f64)>)>,
    /// (state, from, to) in seconds, within `0..=x_max`.
    pub stretches: Vec<(State, f64, f64)>,
    /// Seconds of each loss marker of a plotted producer, within `0..=x_max`.
    pub losses: Vec<f64>,
    /// The time axis runs from 0 to this (the last plotted record; never 0).
    pub x_max: f64,
    /// The value axis: the values' range with a margin (never empty).
    pub y_range: (f64, f64),
    /// The value axis's name: the field, when all lines plot the same one.
    pub y_label: String,
}

/// Whether the state is shaded.
pub fn shaded(state: State) -> bool {
    matches!(state, State::Degraded | State::Critical | State::Safe)
}

impl Chart {
    /// The chart of `c`, or `None` when no value is plotted. `title` gets the time of `t = 0`.
    pub fn new(c: &Collected, title: &str) -> Option<Chart> {
        let times = || c.series.iter().flat_map(|s| s.points.iter().map(|p| p.0));
        let (t0, t1) = (times().min()?, times().max()?);
        let secs = |ns: u64| (ns as f64 - t0 as f64) / 1e9;
        let series = c
            .series
            .iter()
            .map(|s| (s.label.clone(), s.points.iter().map(|&(t, v)| (secs(t), v)).collect()))
            .collect();
        let x_max = secs(t1).max(1e-6);
        let clip = |ns: u64| secs(ns.clamp(t0, t1));
        let mut stretches = Vec::new();
        // Each state lasts until the next change (in log order), the last one to the log's end.
        let ends = c.states.iter().skip(1).map(|s| s.0).chain([c.end_ns]);
        for (&(from, state), to) in c.states.iter().zip(ends) {
            let (a, b) = (clip(from), clip(to.max(from)));
            if shaded(state) && b > a {
                stretches.push((state, a, b));
            }
        }
        let plotted: BTreeSet<&str> =
            c.series.iter().filter_map(|s| s.label.rsplit_once('/').map(|p| p.0)).collect();
        let losses = c
            .losses
            .iter()
            .filter(|(t, who)| (t0..=t1).contains(t) && plotted.contains(who.as_str()))
            .map(|&(t, _)| secs(t))
            .collect();
        let values = || c.series.iter().flat_map(|s| s.points.iter().map(|p| p.1));
        let lo = values().fold(f64::INFINITY, f64::min);
        let hi = values().fold(f64::NEG_INFINITY, f64::max);
        // Within ±f64::MAX/4, so that the span and its margin stay finite (plotters loops
        // forever on an infinite range); a value beyond is drawn off the chart's edge.
        let (lo, hi) = (lo.max(-f64::MAX / 4.0), hi.min(f64::MAX / 4.0));
        let margin = if hi > lo { (hi - lo) * 0.05 } else { lo.abs().max(1.0) * 0.05 };
        let title = format!("{title} (t = 0 at {})", crate::time::format_utc(t0));
        let fields: BTreeSet<&str> =
            c.series.iter().filter_map(|s| s.label.rsplit_once('/').map(|p| p.1)).collect();
        let y_label = match fields.first() {
            Some(field) if fields.len() == 1 => field.to_string(),
            _ => "value".to_string(),
        };
        let y_range = (lo - margin, hi + margin);
        Some(Chart { title, series, stretches, losses, x_max, y_range, y_label })
    }
}

#[cfg(test)]
mod tests {
    use super::super::collect::Series;
    use super::*;

    const S: u64 = 1_000_000_000;

    #[test]
    fn seconds_from_the_first_record_shaded_stretches_and_losses_of_plotted_producers() {
        let c = Collected {
            series: vec![Series {
                label: "a/x".into(),
                points: vec![(10 * S, 1.0), (14 * S, 3.0)],
            }],
            states: vec![
                (5 * S, State::Normal),
                (9 * S, State::Safe),
                (11 * S, State::Normal),
                (12 * S, State::Degraded),
            ],
            losses: vec![(12 * S, "a".into()), (13 * S, "b".into()), (20 * S, "a".into())],
            end_ns: 30 * S,
            ..Collected::default()
        };
        let chart = Chart::new(&c, "log").unwrap();
        assert_eq!(chart.series[0].1, [(0.0, 1.0), (4.0, 3.0)]);
        assert_eq!(chart.x_max, 4.0);
        assert_eq!(chart.stretches, [(State::Safe, 0.0, 1.0), (State::Degraded, 2.0, 4.0)]);
        assert_eq!(chart.losses, [2.0], "b is not plotted; 20 s is after the last record");
        assert_eq!(chart.y_range, (0.9, 3.1));
        assert_eq!(chart.y_label, "x");
        assert!(Chart::new(&Collected::default(), "log").is_none());
    }
}
