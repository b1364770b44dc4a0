//! `rtlog dump`: data records as text or JSON lines, filtered by time, LSN, producer, stream
//! and type. The filters are the reader's own (`ReaderOptions`), so `dump` shows exactly what
//! an application reading through the library would get.

use crate::error::CliError;
use crate::output::Out;
use crate::record::{Line, Names};
use crate::{logdir, time};
use rtlog::reader::{Reader, ReaderOptions};
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
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The log directory.
    dir: PathBuf,
    /// Only records at or after this time: ISO-8601 UTC (2026-11-22T10:00:00Z, optionally with
    /// a fraction of a second) or integer nanoseconds since the Unix epoch.
    #[arg(long, value_name = "TIME", value_parser = time::parse_time)]
    from: Option<u64>,
    /// Only records at or before this time (same forms as --from).
    #[arg(long, value_name = "TIME", value_parser = time::parse_time)]
    to: Option<u64>,
    /// Only records with an LSN in this inclusive range: A..B, A.. or ..B (or a single LSN).
    #[arg(long, value_name = "A..B", value_parser = parse_lsn_range)]
    lsn: Option<(Option<u64>, Option<u64>)>,
    /// Only records of the producer with this name (in every epoch).
    #[arg(long, value_name = "NAME")]
    producer: Option<String>,
    /// Only records of this stream.
    #[arg(long, value_enum)]
    stream: Option<StreamArg>,
    /// Only records of this record type: the number given to rtlog_publish, or the name of a
    /// registered type (matched in every epoch, whatever its number there).
    #[arg(long = "type", value_name = "N|NAME", value_parser = parse_type)]
    record_type: Option<TypeArg>,
    /// Write JSON Lines: one object per record with the same fields (payload as payload_hex).
    #[arg(long)]
    json: bool,
}

/// The `--stream` values.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum StreamArg {
    /// Stream 0: records that must not be lost.
    Critical = 0,
    /// Stream 1: everything else.
    Normal = 1,
}

/// A `--type` value.
#[derive(Clone)]
pub enum TypeArg {
    Id(u16),
    Name(String),
}

/// A number (0..=65535) or a type name (which never starts with a digit).
fn parse_type(s: &str) -> Result<TypeArg, String> {
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        return s
            .parse()
            .map(TypeArg::Id)
            .map_err(|_| format!("{s:?} is not a record type (0..=65535) nor a type name"));
    }
    rtlog::schema::check_type_name(s)?;
    Ok(TypeArg::Name(s.to_string()))
}

/// `A..B`, `A..`, `..B` or `A`, inclusive; `A > B` is refused (it would silently match nothing).
fn parse_lsn_range(s: &str) -> Result<(Option<u64>, Option<u64>), String> {
    let num = |t: &str| -> Result<Option<u64>, String> {
        if t.is_empty() {
            return Ok(None);
        }
        t.parse().map(Some).map_err(|_| format!("{t:?} is not an LSN (a non-negative integer)"))
    };
    let (from, to) = match s.split_once("..") {
        Some((a, b)) => (num(a)?, num(b)?),
        None if !s.is_empty() => (num(s)?, num(s)?),
        None => return Err("expected A..B, A.., ..B or A".into()),
    };
    if let (Some(a), Some(b)) = (from, to) {
        if a > b {
            return Err(format!("the range {a}..{b} is empty (A must not exceed B)"));
        }
    }
    Ok((from, to))
}

pub fn run(args: &Args) -> Result<i32, CliError> {
    logdir::open(&args.dir)?;
    let (lsn_from, lsn_to) = args.lsn.unwrap_or_default();
    let options = ReaderOptions {
        from_wall_ns: args.from,
        to_wall_ns: args.to,
        lsn_from,
        lsn_to,
        producer: args.producer.clone(),
        stream: args.stream.map(|s| s as u8),
        record_type: match &args.record_type {
            Some(TypeArg::Id(id)) => Some(*id),
            _ => None,
        },
        type_name: match &args.record_type {
            Some(TypeArg::Name(name)) => Some(name.clone()),
            _ => None,
        },
    };
    let mut reader = Reader::open_with(&args.dir, options)?;
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
        let wall_ns = match reader.segment_header() {
            Some(h) => {
                names.refresh(h);
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
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::{parse_lsn_range, parse_type, TypeArg};

    #[test]
    fn lsn_ranges() {
        assert_eq!(parse_lsn_range("100..200"), Ok((Some(100), Some(200))));
        assert_eq!(parse_lsn_range("100.."), Ok((Some(100), None)));
        assert_eq!(parse_lsn_range("..200"), Ok((None, Some(200))));
        assert_eq!(parse_lsn_range(".."), Ok((None, None)));
        assert_eq!(parse_lsn_range("7"), Ok((Some(7), Some(7))));
        for bad in ["", "a..b", "5..3", "-1..", "1...2"] {
            assert!(parse_lsn_range(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn types_by_number_or_name() {
        assert!(matches!(parse_type("7"), Ok(TypeArg::Id(7))));
        assert!(matches!(parse_type("axis_state"), Ok(TypeArg::Name(n)) if n == "axis_state"));
        for bad in ["65536", "7x", "", "a b", "-1"] {
            assert!(parse_type(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
