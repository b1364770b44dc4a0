//! `rtlog dump`: data records as text or JSON lines, filtered by time, LSN, producer, stream
//! and type (the filters of [`crate::filter`], shared with `tail`); with `--follow`, then the
//! records written afterwards, as `tail -f` prints them.

use crate::error::CliError;
use crate::filter::{FilterArgs, LogNames, Matcher};
use crate::output::Out;
use crate::record::{Line, Names};
use crate::{logdir, tail};
use rtlog::reader::Reader;
use std::collections::BTreeSet;
use std::path::PathBuf;

/// Print data records, one per line.
///
/// Each line shows: lsn, epoch, wall-clock time (ISO-8601 UTC with nanoseconds), producer
/// name, stream, record type, per-stream sequence number, payload length and the payload in
/// hex. Producer names with spaces or special characters are quoted. Damaged frames are
/// skipped (a warning on stderr counts them; `rtlog verify` lists them).
///
/// Records of a type registered with rtlog_type_register show their fields instead of the hex:
///   ... type=1 seq=0 len=48 axis_state{axis=2 position=0.125 enabled=true mode="homing"}
/// and with --json a "type_name" and a "fields" object. A typed record whose length is not
/// its type's size is shown in hex with type_name=... expected_len=... (counted on stderr).
///
/// Examples:
///   rtlog dump /var/log/robot --producer arm --stream critical
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
}

pub fn run(args: &Args) -> Result<i32, CliError> {
    args.filters.check()?;
    if args.follow {
        return tail::follow_all(&args.dir, &args.filters, args.json);
    }
    logdir::open(&args.dir)?;
    let log_names = LogNames::read(&args.dir)?;
    log_names.check(&args.filters, &args.dir)?;
    let mut matcher = Matcher::new(&args.filters);
    let mut reader = Reader::open(&args.dir)?;
    // The type numbers of all records, to tell a `--type N` that the log has from a typo.
    let mut types_seen = BTreeSet::new();
    let mut out = Out::stdout();
    let mut names = Names::default();
    let mut payload = Vec::new();
    let mut text = String::new();
    let mut mismatched = 0u64;
    while let Some(r) = reader.next_record()? {
        // The record borrows the reader; copy it so that the segment header can be read too.
        payload.clear();
        payload.extend_from_slice(r.payload);
        let (lsn, epoch, ts, producer_id, stream, record_type, seq) =
            (r.lsn, r.epoch, r.timestamp_ns, r.producer, r.stream, r.record_type, r.seq);
        types_seen.insert(record_type);
        let wall_ns = match reader.segment_header() {
            Some(h) => {
                names.refresh(h);
                matcher.segment(h, reader.schema());
                h.wall_clock_ns(ts)
            }
            None => ts,
        };
        let typed = reader.record_type(record_type);
        let line = Line {
            lsn,
            epoch,
            wall_ns,
            producer_id,
            producer: names.get(producer_id),
            stream,
            record_type,
            seq,
            payload: &payload,
            typed: typed.map(|t| &**t),
        };
        if !matcher.matches(&line) {
            continue;
        }
        mismatched += u64::from(line.size_mismatch());
        text.clear();
        if args.json {
            line.push_json(&mut text);
        } else {
            line.push_text(&mut text);
        }
        out.write(&text)?;
    }
    out.flush()?;
    if mismatched > 0 {
        crate::error::warn(&format!(
            "{mismatched} record(s) of a registered type had another length than the type's \
             size; shown in hex with expected_len"
        ));
    }
    let damaged = reader.damage().len() as u64 + reader.stats().damage_not_listed;
    if damaged > 0 {
        crate::error::warn(&format!(
            "{damaged} damaged place(s) skipped; `rtlog verify {}` lists them",
            args.dir.display()
        ));
    }
    log_names.check_type_id(&args.filters, &types_seen, &args.dir)?;
    Ok(0)
}
