//! The record filters of `dump`, `tail` and `export`: one set of options (flattened into each),
//! one test of a record against them ([`Matcher`]), and the check that the names they give
//! exist in the log ([`LogNames`]), so that a typo is an error rather than an empty output.
//!
//! [`Matcher`] resolves the producer and type names per segment, since ids are assigned per
//! epoch: it matches what `rtlog::reader::ReaderOptions` matches (the reader's own test is
//! not public, and `tail` reads segments with `SegmentScan`, not with a `Reader`).

use crate::error::CliError;
use crate::record::Line;
use crate::time;
use rtlog::format::Level;
use rtlog::format::{SegmentHeader, NO_PRODUCER};
use rtlog::scan::SegmentScan;
use rtlog::schema::{Interner, Schema};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The filter options. A record is shown when it passes all of those given.
#[derive(clap::Args, Clone, Default)]
pub struct FilterArgs {
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
    /// registered type (matched in every epoch, whatever its number there). Messages have no
    /// record type: --type leaves them out.
    #[arg(long = "type", value_name = "N|NAME", value_parser = parse_type)]
    record_type: Option<TypeArg>,
    /// Only records at this level or above: trace, debug, info, warn, error, fatal (`warn`
    /// means warn, error and fatal). Messages have their call site's level; published records
    /// are info (or their type's level); loss markers warn; state changes warn (DEGRADED) or
    /// error (CRITICAL, SAFE).
    #[arg(long, value_name = "LEVEL", value_parser = parse_level)]
    level: Option<Level>,
    /// Only log messages (RTLOG_INFO(...) and the like), no data records.
    #[arg(long, conflicts_with = "record_type")]
    messages: bool,
}

/// A level by name, in any case.
fn parse_level(s: &str) -> Result<Level, String> {
    Level::parse(s).ok_or_else(|| {
        let names: Vec<&str> = Level::ALL.iter().map(|l| l.name()).collect();
        format!("{s:?} is not a level (one of {})", names.join(", "))
    })
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

impl FilterArgs {
    /// Refuses what the options alone show to match nothing: `--from` after `--to` (the
    /// counterpart of `--lsn 5..4`, which its parser refuses).
    pub fn check(&self) -> Result<(), CliError> {
        if let (Some(from), Some(to)) = (self.from, self.to) {
            if from > to {
                return Err(CliError::fatal(format!(
                    "--from {} is later than --to {}: the time range is empty",
                    time::format_utc(from),
                    time::format_utc(to)
                )));
            }
        }
        Ok(())
    }

    /// The `--type` given, if any (`plot` needs one to know the fields).
    pub fn record_type(&self) -> Option<&TypeArg> {
        self.record_type.as_ref()
    }
}

/// The filters resolved for the segment being read: the producer and type names as the ids
/// they have there (`None` when the segment does not have the name, so nothing matches).
pub struct Matcher<'a> {
    args: &'a FilterArgs,
    /// (index, salt) of the segment the ids were resolved for.
    key: Option<(u64, u64)>,
    producer_id: Option<u16>,
    type_id: Option<u16>,
}

impl<'a> Matcher<'a> {
    pub fn new(args: &'a FilterArgs) -> Matcher<'a> {
        Matcher { args, key: None, producer_id: None, type_id: None }
    }

    /// Resolves the names for `header`'s segment, whose record types are `schema`; does
    /// nothing if it is the segment already resolved.
    pub fn segment(&mut self, header: &SegmentHeader, schema: &Schema) {
        let key = Some((header.index, header.salt));
        if self.key == key {
            return;
        }
        self.key = key;
        if let Some(name) = &self.args.producer {
            self.producer_id = header.producers.iter().find(|(_, n)| n == name).map(|(id, _)| *id);
        }
        self.type_id = match &self.args.record_type {
            Some(TypeArg::Id(id)) => Some(*id),
            Some(TypeArg::Name(name)) => schema.by_name(name).map(|t| t.id),
            None => None,
        };
    }

    /// Whether the record or message passes every filter given (in the segment last
    /// resolved). A message has no record type: `--type` leaves it out, `--messages` keeps
    /// only messages.
    pub fn matches(&self, line: &Line) -> bool {
        let of_kind = match line.message {
            Some(_) => self.args.record_type.is_none(),
            None => {
                !self.args.messages
                    && (self.args.record_type.is_none() || self.type_id == Some(line.record_type))
            }
        };
        of_kind && self.in_range(line) && self.of_source(line)
    }

    /// Whether a loss marker (`line` is its frame) passes the filters that apply to it: time,
    /// LSN, producer and stream. `--type` does not: a marker does not say which types were
    /// lost. A frame of no producer (a state change) passes on time and LSN alone.
    pub fn matches_marker(&self, line: &Line) -> bool {
        self.in_range(line) && (line.producer_id == NO_PRODUCER || self.of_source(line))
    }

    /// The LSN, time and level filters.
    fn in_range(&self, line: &Line) -> bool {
        let a = self.args;
        let (lsn_from, lsn_to) = a.lsn.unwrap_or_default();
        a.level.is_none_or(|l| line.level >= l)
            && lsn_from.is_none_or(|v| line.lsn >= v)
            && lsn_to.is_none_or(|v| line.lsn <= v)
            && a.from.is_none_or(|v| line.wall_ns >= v)
            && a.to.is_none_or(|v| line.wall_ns <= v)
    }

    /// The producer and stream filters.
    fn of_source(&self, line: &Line) -> bool {
        let a = self.args;
        a.stream.is_none_or(|s| line.stream == s as u8)
            && (a.producer.is_none() || self.producer_id == Some(line.producer_id))
    }
}

/// The producer and type names of a log, from its segment headers (all epochs).
#[derive(Default)]
pub struct LogNames {
    producers: BTreeSet<String>,
    /// Registered type names, and the numbers each has (one per epoch at most).
    types: BTreeMap<String, BTreeSet<u16>>,
    /// Registered type numbers.
    type_ids: BTreeSet<u16>,
}

impl LogNames {
    /// Reads the header of each segment of `dir` (a header that does not validate is left
    /// out: `rtlog verify` reports it).
    pub fn read(dir: &Path) -> Result<LogNames, CliError> {
        let mut names = LogNames::default();
        for (_, path) in rtlog::logdir::list_segments(dir)? {
            let Ok(scan) = SegmentScan::open(&path) else {
                continue;
            };
            let header = &scan.header;
            names.producers.extend(header.producers.iter().map(|(_, n)| n.clone()));
            let schema = Schema::of(&header.types, &mut Interner::default());
            for t in schema.types() {
                names.types.entry(t.name.to_string()).or_default().insert(t.id);
                names.type_ids.insert(t.id);
            }
        }
        Ok(names)
    }

    /// Refuses a producer or type name that the log does not have, naming those it has.
    pub fn check(&self, args: &FilterArgs, dir: &Path) -> Result<(), CliError> {
        let shown = dir.display();
        if let Some(name) = &args.producer {
            if !self.producers.contains(name) {
                return Err(CliError::fatal(format!(
                    "{shown} has no producer {name:?}; its producers: {}",
                    list(self.producers.iter().map(|n| format!("{n:?}")))
                )));
            }
        }
        if let Some(TypeArg::Name(name)) = &args.record_type {
            if !self.types.contains_key(name) {
                return Err(CliError::fatal(format!(
                    "{shown} has no record type named {name:?}; {}",
                    self.registered_types()
                )));
            }
        }
        Ok(())
    }

    /// Refuses `--type N` when no type N is registered and no record has type N: `seen` are
    /// the type numbers of all the log's records (a number only shows there when no layout
    /// was registered for it).
    pub fn check_type_id(
        &self,
        args: &FilterArgs,
        seen: &BTreeSet<u16>,
        dir: &Path,
    ) -> Result<(), CliError> {
        let Some(TypeArg::Id(id)) = args.record_type else {
            return Ok(());
        };
        if self.type_ids.contains(&id) || seen.contains(&id) {
            return Ok(());
        }
        Err(CliError::fatal(format!(
            "{} has no record of type {id}; its records have types: {}; {}",
            dir.display(),
            list(seen.iter().map(u16::to_string)),
            self.registered_types()
        )))
    }

    /// `registered types: "a" (1), "b" (2)`, or that there are none.
    fn registered_types(&self) -> String {
        if self.types.is_empty() {
            return "it registers no type names".to_string();
        }
        let types = self.types.iter().map(|(name, ids)| {
            let ids: Vec<String> = ids.iter().map(u16::to_string).collect();
            format!("{name:?} ({})", ids.join(", "))
        });
        format!("its registered types: {}", list(types))
    }
}

/// `a, b, c`, or `none`.
fn list(items: impl Iterator<Item = String>) -> String {
    let items: Vec<String> = items.collect();
    if items.is_empty() {
        "none".to_string()
    } else {
        items.join(", ")
    }
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
