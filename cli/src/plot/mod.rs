//! `rtlog plot`: fields of typed records against time, as an SVG or PNG chart, with the
//! stretches in DEGRADED, CRITICAL or SAFE shaded and loss markers as ticks. Reading
//! ([`collect`]), the chart's geometry ([`chart`]) and drawing ([`draw`]) are apart.

mod chart;
mod collect;
mod draw;
mod fields;

use crate::error::CliError;
use crate::filter::{FilterArgs, LogNames, TypeArg};
use crate::logdir;
use crate::output::Out;
use std::path::PathBuf;

/// Plot fields of typed records against time, as SVG or PNG.
///
/// One line per field and producer, labelled producer/field; the time axis is in seconds from
/// the first plotted record (the caption gives its UTC time). An array field plots every
/// element (pos[0], pos[1], ...), or one with --field pos[1]. The stretches the log spent in
/// DEGRADED, CRITICAL or SAFE are shaded (from the supervisor's state-change frames), and
/// every loss marker of a plotted producer is a red tick at the bottom, so that a gap in the
/// data is not taken for a flat signal.
///
/// On success it prints the file's path and what the chart shows:
///   position.svg: 4 line(s), 4000 point(s), 0 loss marker(s), 0 shaded stretch(es)
///
/// The format follows the file name: .svg, or .png (the same chart without any text: the
/// tool has no font to draw text into a bitmap; use SVG to read numbers and the legend).
///
/// Examples:
///   rtlog plot build/demo-log --type joint_state --field position_rad -o position.svg
///   rtlog plot log --type imu --field gyro --producer arm --from 2026-11-22T10:00:00Z -o gyro.svg
///
/// A type or field the log does not have is an error (exit 2) that lists what it has; so is a
/// selection that matches no record ("nothing to plot").
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The log directory.
    dir: PathBuf,
    /// A field to plot: NAME, or NAME[INDEX] for one element of an array field. Repeatable.
    #[arg(long, required = true, value_name = "NAME[INDEX]", value_parser = fields::parse_field)]
    field: Vec<fields::FieldArg>,
    /// The chart file to write: FILE.svg or FILE.png.
    #[arg(short = 'o', long, value_name = "FILE")]
    output: PathBuf,
    #[command(flatten)]
    filters: FilterArgs,
}

/// The output formats.
#[derive(Clone, Copy)]
enum Format {
    Svg,
    Png,
}

pub fn run(args: &Args) -> Result<i32, CliError> {
    let format = output_format(args)?;
    args.filters.check()?;
    if args.filters.record_type().is_none() {
        return Err(CliError::fatal("plot needs --type: the record type whose fields to plot"));
    }
    logdir::open(&args.dir)?;
    let log_names = LogNames::read(&args.dir)?;
    log_names.check(&args.filters, &args.dir)?;
    let c = collect::collect(&args.dir, &args.filters, &args.field)?;
    if c.mismatched > 0 {
        crate::error::warn(&format!(
            "{} record(s) had another length than their type's size; not plotted",
            c.mismatched
        ));
    }
    if c.not_finite > 0 {
        crate::error::warn(&format!("{} NaN or infinite value(s) not plotted", c.not_finite));
    }
    if c.damaged > 0 {
        crate::error::warn(&format!(
            "{} damaged place(s) skipped; `rtlog verify {}` lists them",
            c.damaged,
            args.dir.display()
        ));
    }
    let type_shown = match args.filters.record_type() {
        Some(TypeArg::Name(name)) => name.clone(),
        Some(TypeArg::Id(id)) => format!("type {id}"),
        None => String::new(),
    };
    let title = format!("{} {type_shown}", args.dir.display());
    let Some(chart) = chart::Chart::new(&c, &title) else {
        log_names.check_type_id(&args.filters, &c.types_seen, &args.dir)?;
        return Err(CliError::fatal(format!(
            "nothing to plot: no record of {} matches the filters",
            args.dir.display()
        )));
    };
    let bytes = match format {
        Format::Svg => draw::svg(&chart).map(String::into_bytes),
        Format::Png => draw::png(&chart),
    }
    .map_err(|e| CliError::fatal(format!("drawing the chart: {e}")))?;
    std::fs::write(&args.output, bytes).map_err(|e| logdir::io_error(&args.output, &e))?;
    let mut out = Out::stdout();
    out.write(&summary(&args.output, &chart))?;
    out.flush()?;
    Ok(0)
}

/// `PATH: 4 line(s), 4000 point(s), 1 loss marker(s), 2 shaded stretch(es)`: the file's path
/// first, so that a script (the demo) can show where the chart is.
fn summary(path: &std::path::Path, chart: &chart::Chart) -> String {
    let points: usize = chart.series.iter().map(|s| s.1.len()).sum();
    format!(
        "{}: {} line(s), {points} point(s), {} loss marker(s), {} shaded stretch(es)\n",
        path.display(),
        chart.series.len(),
        chart.losses.len(),
        chart.stretches.len()
    )
}

/// The format that the output file's extension names.
fn output_format(args: &Args) -> Result<Format, CliError> {
    let ext = args.output.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("svg") => Ok(Format::Svg),
        Some("png") => Ok(Format::Png),
        _ => Err(CliError::fatal(format!(
            "-o {}: the chart's file name must end in .svg or .png",
            args.output.display()
        ))),
    }
}
