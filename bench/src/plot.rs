//! The latency CDF plot, as a hand-written SVG (no plotting dependency): on the left the CDF
//! with a log-scale x axis, on the right the same data as a tail plot (fraction of calls slower
//! than x, log scale), where p99.9 and p99.99 can be read.

use std::fmt::Write;

/// One line of the plot.
pub struct Series {
    /// Legend text.
    pub name: String,
    /// Stroke colour.
    pub color: &'static str,
    /// Dashed line (the floor).
    pub dashed: bool,
    /// `(quantile, ns)` points, quantiles increasing.
    pub points: Vec<(f64, f64)>,
    /// Samples behind the points (the tail plot puts the max at 1/n).
    pub n: u64,
}

const W: f64 = 1200.0;
const H: f64 = 560.0;
const TOP: f64 = 78.0;
const BOTTOM: f64 = 92.0;
const PW: f64 = 440.0;
const LEFT1: f64 = 70.0;
const LEFT2: f64 = 600.0;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn ns_label(v: f64) -> String {
    if v >= 1e6 {
        format!("{} ms", v / 1e6)
    } else if v >= 1e3 {
        format!("{} µs", v / 1e3)
    } else {
        format!("{v} ns")
    }
}

/// What the x axis shows and what the tail counts.
pub struct Axis<'a> {
    /// The x axis' label.
    pub value: &'a str,
    /// What one sample is ("calls", "cycles").
    pub items: &'a str,
}

/// The axes of the publish-latency plots.
pub const CALLS: Axis<'static> = Axis { value: "publish latency (log scale)", items: "calls" };

/// Renders the plot.
pub fn cdf_svg(title: &str, subtitle: &str, series: &[Series], axis: Axis) -> String {
    let all = series.iter().flat_map(|s| s.points.iter().map(|p| p.1));
    let lo = all.clone().fold(f64::INFINITY, f64::min).max(1.0);
    let hi = all.fold(1.0f64, f64::max);
    let (x0, x1) = (lo.log10().floor(), hi.log10().ceil().max(lo.log10().floor() + 1.0));
    let ph = H - TOP - BOTTOM;
    let xmap = |left: f64, v: f64| left + (v.max(1.0).log10() - x0) / (x1 - x0) * PW;
    let min_tail = series.iter().map(|s| s.n.max(10)).max().unwrap_or(10) as f64;
    let t1 = min_tail.log10().ceil();
    let ymap_cdf = |q: f64| TOP + (1.0 - q) * ph;
    let ymap_tail = |frac: f64| TOP + (-frac.log10()) / t1 * ph;

    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"<rect width="{W}" height="{H}" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="{}" y="24" font-size="16" text-anchor="middle">{}</text>"#,
        W / 2.0,
        esc(title)
    );
    let _ = writeln!(
        s,
        r##"<text x="{}" y="42" fill="#555" text-anchor="middle">{}</text>"##,
        W / 2.0,
        esc(subtitle)
    );

    for (left, tail) in [(LEFT1, false), (LEFT2, true)] {
        // Frame and grid.
        let _ = writeln!(
            s,
            r##"<rect x="{left}" y="{TOP}" width="{PW}" height="{ph}" fill="none" stroke="#333"/>"##
        );
        let mut d = x0;
        while d <= x1 + 1e-9 {
            let v = 10f64.powf(d);
            let x = xmap(left, v);
            let _ = writeln!(
                s,
                r##"<line x1="{x:.1}" y1="{TOP}" x2="{x:.1}" y2="{:.1}" stroke="#ddd"/>"##,
                TOP + ph
            );
            let _ = writeln!(
                s,
                r#"<text x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                TOP + ph + 16.0,
                ns_label(v)
            );
            for m in 2..10 {
                let xm = xmap(left, v * m as f64);
                if d < x1 && xm <= left + PW {
                    let _ = writeln!(
                        s,
                        r##"<line x1="{xm:.1}" y1="{TOP}" x2="{xm:.1}" y2="{:.1}" stroke="#f2f2f2"/>"##,
                        TOP + ph
                    );
                }
            }
            d += 1.0;
        }
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            left + PW / 2.0,
            TOP + ph + 36.0,
            esc(axis.value)
        );
        if tail {
            for k in 0..=(t1 as i32) {
                let y = ymap_tail(10f64.powi(-k));
                let label = match k {
                    0 => "all".to_string(),
                    1 => "p90".to_string(),
                    _ => format!(
                        "p{}",
                        format!("99.{}", "9".repeat(k as usize - 2)).trim_end_matches('.')
                    ),
                };
                y_gridline(&mut s, left, y, &label);
            }
            let _ = writeln!(
                s,
                r#"<text x="{:.1}" y="{}" text-anchor="middle">tail: fraction of {} slower than x (log scale)</text>"#,
                left + PW / 2.0,
                TOP - 6.0,
                esc(axis.items)
            );
        } else {
            for k in 0..=10 {
                let q = k as f64 / 10.0;
                let y = ymap_cdf(q);
                y_gridline(&mut s, left, y, &format!("{q:.1}"));
            }
            let _ = writeln!(
                s,
                r#"<text x="{:.1}" y="{}" text-anchor="middle">CDF: fraction of {} at most x</text>"#,
                left + PW / 2.0,
                TOP - 6.0,
                esc(axis.items)
            );
        }
        // Lines.
        for se in series {
            let mut pts = String::new();
            for &(q, v) in &se.points {
                let y = if tail {
                    let frac = if q >= 1.0 { 1.0 / se.n.max(1) as f64 } else { 1.0 - q };
                    ymap_tail(frac.max(10f64.powf(-t1)))
                } else {
                    ymap_cdf(q)
                };
                let _ = write!(pts, "{:.1},{:.1} ", xmap(left, v), y);
            }
            let dash = if se.dashed { r#" stroke-dasharray="6,4""# } else { "" };
            let _ = writeln!(
                s,
                r#"<polyline points="{}" fill="none" stroke="{}" stroke-width="{}"{dash}/>"#,
                pts.trim_end(),
                se.color,
                if se.name.starts_with("rtlog") { 2.5 } else { 1.5 }
            );
        }
    }
    // Legend, under the plots, wrapped to the width.
    let mut x = LEFT1;
    let mut y = H - 36.0;
    for se in series {
        let width = 40.0 + 7.0 * se.name.chars().count() as f64;
        if x + width > W - 10.0 {
            x = LEFT1;
            y += 22.0;
        }
        let dash = if se.dashed { r#" stroke-dasharray="6,4""# } else { "" };
        let _ = writeln!(
            s,
            r#"<line x1="{x}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="2.5"{dash}/>"#,
            y - 4.0,
            x + 22.0,
            y - 4.0,
            se.color
        );
        let _ = writeln!(s, r#"<text x="{}" y="{y}">{}</text>"#, x + 27.0, esc(&se.name));
        x += width;
    }
    s.push_str("</svg>\n");
    s
}

/// A horizontal grid line at `y` across the plot, labelled on the left.
fn y_gridline(s: &mut String, left: f64, y: f64, label: &str) {
    let _ = writeln!(
        s,
        r##"<line x1="{left}" y1="{y:.1}" x2="{}" y2="{y:.1}" stroke="#ddd"/>"##,
        left + PW
    );
    let _ = writeln!(
        s,
        r#"<text x="{}" y="{:.1}" text-anchor="end">{label}</text>"#,
        left - 6.0,
        y + 4.0
    );
}
