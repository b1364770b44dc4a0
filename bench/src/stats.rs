//! Percentiles, CDF points and the choice of the median run.

/// The percentiles every latency table shows, with their labels.
pub const PCTS: [(&str, f64); 6] = [
    ("p50", 0.50),
    ("p90", 0.90),
    ("p99", 0.99),
    ("p99.9", 0.999),
    ("p99.99", 0.9999),
    ("max", 1.0),
];

/// Index of `PCTS`' p99.9, the percentile that ranks runs.
pub const P999: usize = 3;

/// A latency distribution: the table's percentiles and points of its CDF, in nanoseconds.
#[derive(Clone, Debug, Default)]
pub struct Latency {
    /// Number of timed calls.
    pub n: u64,
    /// Values at `PCTS`, ns.
    pub pct: [f64; 6],
    /// Mean, ns (finer than one sample's resolution: see `timing::granularity`).
    pub mean: f64,
    /// `(quantile, ns)` points for the CDF plot, quantiles increasing.
    pub cdf: Vec<(f64, f64)>,
}

/// Nearest-rank quantile of sorted values.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

impl Latency {
    /// Summarises sorted samples (ns).
    pub fn from_sorted(sorted: &[f64]) -> Latency {
        let mut pct = [0.0; 6];
        for (i, (_, q)) in PCTS.iter().enumerate() {
            pct[i] = quantile(sorted, *q);
        }
        // Dense in the body (every 1 %), then evenly spaced in "nines" out to the last sample.
        let mut qs: Vec<f64> = vec![0.0001, 0.001, 0.005];
        qs.extend((1..100).map(|i| i as f64 / 100.0));
        let nines = (sorted.len().max(100) as f64).log10();
        let mut x = 2.05;
        while x < nines {
            qs.push(1.0 - 10f64.powf(-x));
            x += 0.05;
        }
        qs.push(1.0);
        let cdf = qs.into_iter().map(|q| (q, quantile(sorted, q))).collect();
        let mean = sorted.iter().sum::<f64>() / sorted.len().max(1) as f64;
        Latency { n: sorted.len() as u64, pct, mean, cdf }
    }

    /// One line for the child-process protocol.
    pub fn encode(&self) -> String {
        let pct: Vec<String> = self.pct.iter().map(|v| format!("{v:.3}")).collect();
        let cdf: Vec<String> = self.cdf.iter().map(|(q, v)| format!("{q:.8}:{v:.3}")).collect();
        format!("n={} mean={:.3} pct={} cdf={}", self.n, self.mean, pct.join(","), cdf.join(";"))
    }

    /// Parses what `encode` wrote.
    pub fn decode(fields: &Fields) -> Option<Latency> {
        let n = fields.get("n")?.parse().ok()?;
        let mean = fields.get("mean")?.parse().ok()?;
        let mut pct = [0.0; 6];
        for (i, v) in fields.get("pct")?.split(',').enumerate().take(6) {
            pct[i] = v.parse().ok()?;
        }
        let mut cdf = Vec::new();
        for p in fields.get("cdf")?.split(';').filter(|s| !s.is_empty()) {
            let (q, v) = p.split_once(':')?;
            cdf.push((q.parse().ok()?, v.parse().ok()?));
        }
        Some(Latency { n, pct, mean, cdf })
    }
}

/// `key=value` fields of one protocol line.
pub struct Fields(Vec<(String, String)>);

impl Fields {
    /// Splits a line of space-separated `key=value` words.
    pub fn parse(line: &str) -> Fields {
        Fields(
            line.split_whitespace()
                .filter_map(|w| w.split_once('='))
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        )
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// The value of `key` as a number (0 when missing or malformed).
    pub fn num(&self, key: &str) -> f64 {
        self.get(key).and_then(|v| v.parse().ok()).unwrap_or(0.0)
    }
}

/// Index of the median of `keys` (the lower median for an even count).
pub fn median_index(keys: &[f64]) -> usize {
    let mut idx: Vec<usize> = (0..keys.len()).collect();
    idx.sort_by(|&a, &b| keys[a].total_cmp(&keys[b]));
    idx[(idx.len() - 1) / 2]
}

/// The median of `values`.
pub fn median(values: &[f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values[median_index(values)]
}

/// The median of a sample and a distribution-free confidence interval for the population's
/// median: the `k`-th smallest and `k`-th largest values, `k` the largest rank whose interval
/// still covers the median with probability `confidence` or more (the sign test's binomial
/// distribution; no assumption about the distribution's shape). With too few values for that
/// confidence (fewer than 6 for 95 %), the interval is the smallest to the largest value and
/// `coverage` says what it covers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MedianInterval {
    /// The sample's (lower) median.
    pub median: f64,
    /// The interval's lower bound.
    pub low: f64,
    /// Its upper bound.
    pub high: f64,
    /// The probability that the interval covers the population's median.
    pub coverage: f64,
    /// The values it was made of.
    pub count: usize,
}

/// [`MedianInterval`] of `values`; None when there are none.
pub fn median_interval(values: &[f64], confidence: f64) -> Option<MedianInterval> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    // P(fewer than k of n values fall below the median) = P(Binomial(n, 1/2) <= k - 1); the
    // interval [k-th, (n+1-k)-th] misses the median with twice that probability.
    let coverage_of = |k: usize| 1.0 - 2.0 * binomial_half_cdf(n, k - 1);
    let k = (1..=n.div_ceil(2)).rev().find(|&k| coverage_of(k) >= confidence).unwrap_or(1);
    Some(MedianInterval {
        median: median(&sorted),
        low: sorted[k - 1],
        high: sorted[n - k],
        coverage: coverage_of(k),
        count: n,
    })
}

/// P(Binomial(n, 1/2) <= k).
fn binomial_half_cdf(n: usize, k: usize) -> f64 {
    let mut term = 0.5f64.powi(n as i32); // P(X = 0)
    let mut sum = 0.0;
    for i in 0..=k.min(n) {
        sum += term;
        term *= (n - i) as f64 / (i + 1) as f64;
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<f64> = (1..=1000).map(f64::from).collect();
        let l = Latency::from_sorted(&v);
        assert_eq!(l.pct, [500.0, 900.0, 990.0, 999.0, 1000.0, 1000.0]);
        assert_eq!(l.mean, 500.5);
        assert_eq!(l.cdf.last(), Some(&(1.0, 1000.0)));
        assert!(l.cdf.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 <= w[1].1));
    }

    #[test]
    fn protocol_round_trip() {
        let v: Vec<f64> = (0..5000).map(|i| f64::from(i) * 0.5).collect();
        let l = Latency::from_sorted(&v);
        let back = Latency::decode(&Fields::parse(&format!("x=1 {}", l.encode()))).unwrap();
        assert_eq!(back.n, l.n);
        assert_eq!(back.cdf.len(), l.cdf.len());
        for (a, b) in back.pct.iter().zip(l.pct) {
            assert!((a - b).abs() < 1e-3);
        }
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.0);
        assert_eq!(median(&[]), 0.0);
    }

    #[test]
    fn median_interval_uses_the_sign_tests_ranks() {
        // n = 9: [2nd, 8th] covers 1 - 2 * (1 + 9) / 512 = 96.1 %; [3rd, 7th] only 82 %.
        let v: Vec<f64> = [9.0, 1.0, 8.0, 2.0, 7.0, 3.0, 6.0, 4.0, 5.0].to_vec();
        let m = median_interval(&v, 0.95).unwrap();
        assert_eq!((m.median, m.low, m.high, m.count), (5.0, 2.0, 8.0, 9));
        assert!((m.coverage - (1.0 - 20.0 / 512.0)).abs() < 1e-12);
        // n = 5 cannot reach 95 %: the whole range, at 1 - 2/32.
        let m = median_interval(&[3.0, 1.0, 2.0, 5.0, 4.0], 0.95).unwrap();
        assert_eq!((m.median, m.low, m.high), (3.0, 1.0, 5.0));
        assert!((m.coverage - 0.9375).abs() < 1e-12);
        // A lower confidence narrows it.
        let m = median_interval(&v, 0.80).unwrap();
        assert_eq!((m.low, m.high), (3.0, 7.0));
        assert_eq!(median_interval(&[], 0.95), None);
    }

    #[test]
    fn binomial_half_cdf_sums_to_one() {
        assert!((binomial_half_cdf(9, 9) - 1.0).abs() < 1e-12);
        assert!((binomial_half_cdf(9, 1) - 10.0 / 512.0).abs() < 1e-12);
        assert_eq!(binomial_half_cdf(4, 0), 1.0 / 16.0);
    }
}
