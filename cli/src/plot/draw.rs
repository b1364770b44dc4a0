//! Drawing a [`Chart`] with `plotters`: SVG with text, or PNG without any.
//!
//! Text needs a font only in a bitmap: the SVG backend writes `<text>` elements and the viewer
//! picks the font, but plotters draws bitmap text with a font file, found by a system font
//! lookup (`ttf`) or registered from bytes (`ab_glyph`). The tool ships no font and looks none
//! up, so a PNG has the lines, the shading and the loss ticks, and no caption, axis numbers or
//! legend: SVG is the format to read a chart in.
//!
//! In the SVG each series is one `<polyline>` with one point per plotted record, in the
//! colour of its legend swatch (a `<rect>` before its `<text>`); each loss marker is a
//! `<polyline>` of two points in [`LOSS`]; each shaded stretch a `<rect>`.

use super::chart::Chart;
use plotters::coord::Shift;
use plotters::prelude::*;
use rtlog::State;

/// Pixels.
pub const SIZE: (u32, u32) = (1200, 600);
/// Width of the legend, right of the plot.
const LEGEND_WIDTH: u32 = 260;

/// Series colours (Tableau 10), repeated beyond ten series.
const PALETTE: [RGBColor; 10] = [
    RGBColor(0x4e, 0x79, 0xa7),
    RGBColor(0xf2, 0x8e, 0x2b),
    RGBColor(0x59, 0xa1, 0x4f),
    RGBColor(0xb0, 0x7a, 0xa1),
    RGBColor(0x76, 0xb7, 0xb2),
    RGBColor(0xed, 0xc9, 0x48),
    RGBColor(0x9c, 0x75, 0x5f),
    RGBColor(0xff, 0x9d, 0xa7),
    RGBColor(0xe1, 0x57, 0x59),
    RGBColor(0x3b, 0x3b, 0x3b),
];
/// Loss ticks: a red of its own, in no series.
pub const LOSS: RGBColor = RGBColor(0xd0, 0x00, 0x00);

/// The shading of a state.
fn state_colour(state: State) -> RGBColor {
    match state {
        State::Degraded => RGBColor(0xfc, 0xec, 0xb4),
        State::Critical => RGBColor(0xf6, 0xc4, 0xc4),
        _ => RGBColor(0xd9, 0xd2, 0xf0),
    }
}

/// The chart as an SVG document.
pub fn svg(chart: &Chart) -> Result<String, String> {
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, SIZE).into_drawing_area();
        draw(&root, chart, true).map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(text)
}

/// The chart as a PNG file's bytes (no text: see the module's doc).
pub fn png(chart: &Chart) -> Result<Vec<u8>, String> {
    let (w, h) = SIZE;
    let mut rgb = vec![0u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, SIZE).into_drawing_area();
        draw(&root, chart, false).map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, w, h);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
    writer.write_image_data(&rgb).map_err(|e| e.to_string())?;
    writer.finish().map_err(|e| e.to_string())?;
    Ok(bytes)
}

type Drawn<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// Shading, grid and axes, lines, loss ticks, then the legend (with `text` only; without,
/// the plot takes the whole width).
fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, chart: &Chart, text: bool) -> Drawn<DB> {
    root.fill(&WHITE)?;
    let (plot, legend) = if text {
        let (plot, legend) = root.split_horizontally(SIZE.0 - LEGEND_WIDTH);
        (plot, Some(legend))
    } else {
        (root.clone(), None)
    };
    let mut builder = ChartBuilder::on(&plot);
    builder.margin(16);
    if text {
        builder
            .caption(&chart.title, ("sans-serif", 20))
            .x_label_area_size(50)
            .y_label_area_size(80);
    }
    let (y0, y1) = chart.y_range;
    let mut cc = builder.build_cartesian_2d(0.0..chart.x_max, y0..y1)?;
    cc.draw_series(
        chart
            .stretches
            .iter()
            .map(|&(state, a, b)| Rectangle::new([(a, y0), (b, y1)], state_colour(state).filled())),
    )?;
    let mut mesh = cc.configure_mesh();
    mesh.light_line_style(WHITE.mix(0.0));
    if text {
        let style = ("sans-serif", 16);
        mesh.label_style(style).axis_desc_style(style);
        mesh.x_desc("seconds from the first plotted record").y_desc(&chart.y_label);
    } else {
        // No font: no numbers on the axes.
        mesh.x_labels(0).y_labels(0);
    }
    mesh.draw()?;
    for (i, (_, points)) in chart.series.iter().enumerate() {
        let style = PALETTE[i % PALETTE.len()].stroke_width(2);
        cc.draw_series(std::iter::once(PathElement::new(points.clone(), style)))?;
    }
    // A tick from the bottom edge, an eighth of the height: where records were lost.
    let tick = (y1 - y0) / 8.0;
    cc.draw_series(
        chart
            .losses
            .iter()
            .map(|&t| PathElement::new(vec![(t, y0), (t, y0 + tick)], LOSS.stroke_width(2))),
    )?;
    if let Some(legend) = legend {
        draw_legend(&legend, chart)?;
    }
    Ok(())
}

/// One swatch and label per series, then the loss ticks and shaded states that the chart has.
fn draw_legend<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, chart: &Chart) -> Drawn<DB> {
    let mut entries: Vec<(RGBColor, String)> = chart
        .series
        .iter()
        .enumerate()
        .map(|(i, (label, _))| (PALETTE[i % PALETTE.len()], label.clone()))
        .collect();
    if !chart.losses.is_empty() {
        entries.push((LOSS, format!("loss marker ({})", chart.losses.len())));
    }
    for state in [State::Degraded, State::Critical, State::Safe] {
        if chart.stretches.iter().any(|s| s.0 == state) {
            entries.push((state_colour(state), state.name().to_string()));
        }
    }
    for (i, (colour, label)) in entries.iter().enumerate() {
        let y = 40 + 22 * i as i32;
        area.draw(&Rectangle::new([(8, y - 6), (26, y + 6)], colour.filled()))?;
        area.draw(&Text::new(label.as_str(), (34, y - 8), ("sans-serif", 18)))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::collect::{Collected, Series};
    use super::*;

    #[test]
    fn extreme_values_and_a_single_point_draw() {
        let cases = [
            vec![(1, f64::MAX), (2, -f64::MAX)],
            vec![(1, 0.0), (2, 1e-300)],
            vec![(1, 1e300), (2, 1e300)],
            vec![(5, 0.0)],
        ];
        for points in cases {
            let c = Collected {
                series: vec![Series { label: "p/x".into(), points }],
                ..Collected::default()
            };
            let chart = Chart::new(&c, "log").unwrap();
            let (lo, hi) = chart.y_range;
            assert!(lo.is_finite() && hi.is_finite() && lo < hi, "{lo} {hi}");
            assert!(svg(&chart).unwrap().contains("<polyline"));
            assert!(png(&chart).unwrap().starts_with(b"\x89PNG"));
        }
    }
}
