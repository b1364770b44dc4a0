//! `rtlog dump`: data records and log messages as text or JSON lines, filtered by time, LSN, producer, stream
//! and type (the filters of [`crate::filter`], shared with `tail`, in the pass of [`walk`],
//! shared with `export`); with `--follow`, then the records written afterwards, as `tail -f`
//! prints them.

use crate::error::CliError;
use crate::filter::{FilterArgs, LogNames};
use crate::output::{ColourArgs, Out};
use crate::record::LineStyle;
use crate::{logdir, tail, walk};
use rtlog::format::FrameKind;
use std::path::PathBuf;

/// Print data records and log messages, one per line.
///
/// Each line shows: lsn, epoch, wall-clock time (ISO-8601 UTC with nanoseconds), producer
/// name, stream, record type, per-stream sequence number, payload length and the payload in
/// hex. Producer names with spaces or special characters are quoted. Damaged frames are
/// skipped (a warning on stderr counts them; `rtlog verify` lists them).
///
/// A log message (RTLOG_WARN(p, "joint %u over torque limit %.3f", ...)) shows the same
/// prefix up to seq, then its level, file:line and text, formatted as printf would:
///   ... stream=normal seq=5 WARN loop.c:42 joint 3 over torque limit 12.500
/// The level is coloured on a terminal (--color). A message whose call-site frame the log
/// lost shows `<call site N>` and its raw arguments instead of file:line and text. With
/// --json a message has "kind":"message", "level", "callsite", "file", "line", "function",
/// "message" (the text) and "args" (the values) instead of type, len and payload_hex.
///
/// Records of a type registered with rtlog_type_register show their fields instead of the hex:
///   ... type=1 seq=0 len=48 axis_state{axis=2 position=0.125 enabled=true mode="homing"}
/// and with --json a "type_name" and a "fields" object. A typed record whose length is not
/// its type's size is shown in hex with type_name=... expected_len=... (counted on stderr).
///
/// Examples:
///   rtlog dump /var/log/robot --producer arm --stream critical
///   rtlog dump /var/log/robot --level warn --messages
///   rtlog dump /var/log/robot --type axis_state --json | jq .fields.position
///   rtlog dump /var/log/robot --from 2026-11-22T10:00:00Z --to 2026-11-22T10:05:00.5Z
///   rtlog dump /var/log/robot --lsn 1000.. --json | jq .payload_hex
///   rtlog dump /var/log/robot --follow --producer arm
///
/// A producer or type name the log does not have, or a type number that is neither
/// registered nor in any record, is an error (exit 2) that lists what the log has.
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The log directory.
    dir: PathBuf,
    #[command(flatten)]
    filters: FilterArgs,
    /// Write JSON Lines: one object per record with the same fields (payload as payload_hex).
    #[arg(long)]
    json: bool,
    /// Keep running and print records as they are written, as `rtlog tail -f` does (which
    /// see); the directory need not exist yet.
    #[arg(short = 'f', long)]
    follow: bool,
    #[command(flatten)]
    colour: ColourArgs,
}

pub fn run(args: &Args) -> Result<i32, CliError> {
    args.filters.check()?;
    let style = LineStyle { json: args.json, colour: args.colour.enabled() };
    if args.follow {
        return tail::follow_all(&args.dir, &args.filters, style);
    }
    logdir::open(&args.dir)?;
    let log_names = LogNames::read(&args.dir)?;
    log_names.check(&args.filters, &args.dir)?;
    let mut out = Out::stdout();
    let mut text = String::new();
    let mut mismatched = 0u64;
    let summary = walk::walk(&args.dir, &args.filters, &mut |kind, line| {
        if !matches!(kind, FrameKind::Data | FrameKind::Message) {
            return Ok(());
        }
        mismatched += u64::from(line.size_mismatch());
        text.clear();
        style.push(&mut text, line);
        out.write(&text)
    })?;
    out.flush()?;
    if mismatched > 0 {
        crate::error::warn(&format!(
            "{mismatched} record(s) of a registered type had another length than the type's \
             size; shown in hex with expected_len"
        ));
    }
    if summary.damaged_places > 0 {
        crate::error::warn(&format!(
            "{} damaged place(s) skipped; `rtlog verify {}` lists them",
            summary.damaged_places,
            args.dir.display()
        ));
    }
    log_names.check_type_id(&args.filters, &summary.types_seen, &args.dir)?;
    Ok(0)
}
