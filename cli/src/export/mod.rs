//! `rtlog export`: a log's records and messages into files that other tools open — JSON Lines (what
//! `dump --json` prints), CSV (one file per record type) or MCAP (Foxglove, PlotJuggler).
//!
//! The pass of `dump` ([`crate::walk`], with its filters) hands each data record, loss marker
//! and state change to the format's [`Exporter`]; damage is skipped as the reader skips it and
//! summed up on stderr at the end.

mod csv;
mod jsonl;
mod mcap;
mod schema;
mod value;

use crate::error::CliError;
use crate::filter::{FilterArgs, LogNames};
use crate::logdir;
use crate::record::Line;
use crate::walk::{self, Summary};
use rtlog::format::FrameKind;
use std::path::{Path, PathBuf};

/// Write a log's records and messages to JSON Lines, CSV or MCAP files.
///
///   jsonl  one JSON object per record or message, exactly as `rtlog dump --json` prints it
///          (-o - for standard output)
///   csv    a directory (created if missing) with one file per record type, <type name>.csv:
///          time_ns,lsn,epoch,producer,stream,seq then the type's fields, an array as one
///          column per element (pos[0],pos[1],...); records without a registered type (or
///          whose length is not their type's size) go to type-<N>.csv with the payload in hex;
///          log messages go to messages.csv: the same first columns, then
///          level,file,line,function,message (a type named "messages" goes to
///          messages-type.csv)
///   mcap   one file for Foxglove or PlotJuggler: a channel /<producer>/<type name> per
///          producer and type (JSON messages with a JSON Schema), log messages on
///          /<producer>/log (foxglove.Log: Foxglove's Log panel shows them), loss markers on
///          /<producer>/loss and supervisor state changes on /rtlog/state; zstd chunks
///
/// The filters are those of `rtlog dump`. Loss markers and state changes (MCAP only) pass
/// on time and LSN, and loss markers on producer and stream too; --type does not drop them.
///
/// Damaged places are skipped as `rtlog dump` skips them, and stderr says how much was
/// skipped (damaged regions, torn bytes, bad segment headers): the exit code is still 0, since
/// what was readable was exported. `rtlog verify` lists the damage.
///
/// Examples:
///   rtlog export /var/log/robot --format mcap -o run.mcap
///   rtlog export /var/log/robot --format csv -o run-csv --type axis_state
///   rtlog export /var/log/robot --format jsonl -o - --producer arm | jq .fields.position
///
/// Exit codes: 0 exported (even if damage was skipped), 2 usage or I/O error.
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The log directory.
    dir: PathBuf,
    /// What to write.
    #[arg(long, value_enum)]
    format: Format,
    /// Where: a file (jsonl, mcap; `-` is standard output for jsonl) or a directory (csv).
    #[arg(short = 'o', long, value_name = "PATH")]
    output: PathBuf,
    #[command(flatten)]
    filters: FilterArgs,
}

/// The `--format` values.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// JSON Lines, as `rtlog dump --json`.
    Jsonl,
    /// One CSV file per record type, in a directory.
    Csv,
    /// An MCAP file (Foxglove, PlotJuggler, Lichtblick).
    Mcap,
}

/// One output format: gets every frame that passed the filters, in log order.
pub trait Exporter {
    /// A data record (`FrameKind::Data`), a message, a loss marker or a state change; `line`
    /// is the frame with its producer name and wall-clock time (and a message decoded).
    fn frame(&mut self, kind: FrameKind, line: &Line) -> Result<(), CliError>;
    /// Writes what is buffered and closes the output.
    fn finish(&mut self) -> Result<(), CliError>;
    /// A note for stderr about records written other than as asked (e.g. typed records of
    /// the wrong length written as bytes), if any.
    fn note(&self) -> Option<String> {
        None
    }
}

pub fn run(args: &Args) -> Result<i32, CliError> {
    args.filters.check()?;
    let stdout = args.output.as_os_str() == "-";
    if stdout && args.format != Format::Jsonl {
        return Err(CliError::fatal("-o - (standard output) is only for --format jsonl"));
    }
    logdir::open(&args.dir)?;
    let log_names = LogNames::read(&args.dir)?;
    log_names.check(&args.filters, &args.dir)?;
    let mut exporter: Box<dyn Exporter> = match args.format {
        Format::Jsonl => Box::new(jsonl::Jsonl::create(&args.output)?),
        Format::Csv => Box::new(csv::Csv::create(&args.output)?),
        Format::Mcap => Box::new(mcap::Mcap::create(&args.output)?),
    };
    let summary =
        walk::walk(&args.dir, &args.filters, &mut |kind, line| exporter.frame(kind, line))?;
    exporter.finish()?;
    if let Some(note) = exporter.note() {
        crate::error::warn(&note);
    }
    report_damage(&summary, &args.dir);
    log_names.check_type_id(&args.filters, &summary.types_seen, &args.dir)?;
    Ok(0)
}

/// Says on stderr how much damage was skipped, if any.
fn report_damage(s: &Summary, dir: &Path) {
    let st = &s.stats;
    if st.corrupt_regions + st.torn_bytes + st.bad_segments + st.vanished_segments == 0 {
        return;
    }
    crate::error::warn(&format!(
        "damage skipped, the rest exported: {} damaged region(s), {} torn byte(s), {} bad \
         segment header(s), {} segment(s) deleted while reading; `rtlog verify {}` lists them",
        st.corrupt_regions,
        st.torn_bytes,
        st.bad_segments,
        st.vanished_segments,
        dir.display()
    ));
}

/// `name` of a producer, or `#id` when the segment's table does not have its id.
pub fn producer_label(line: &Line) -> String {
    match line.producer {
        Some(name) => name.to_string(),
        None => format!("#{}", line.producer_id),
    }
}

/// Creates `path` for writing, with the error message of the tool's other I/O errors.
fn create_file(path: &Path) -> Result<std::fs::File, CliError> {
    std::fs::File::create(path).map_err(|e| logdir::io_error(path, &e))
}

/// `writing PATH: ...`.
fn write_error(path: &Path, e: &std::io::Error) -> CliError {
    CliError::fatal(format!("writing {}: {e}", path.display()))
}
