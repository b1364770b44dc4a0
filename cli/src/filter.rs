//! The record filters of `dump` and `tail`: one set of options (flattened into both commands)
//! and one test of a record against them ([`Matcher`]).
//!
//! [`Matcher`] resolves the producer and type names per segment, since ids are assigned per
//! epoch: it matches what `rtlog::reader::ReaderOptions` matches (the reader's own test is
//! not public, and `tail` reads segments with `SegmentScan`, not with a `Reader`).

use crate::record::Line;
use crate::time;
use rtlog::format::SegmentHeader;
use rtlog::schema::Schema;

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
    /// registered type (matched in every epoch, whatever its number there).
    #[arg(long = "type", value_name = "N|NAME", value_parser = parse_type)]
    record_type: Option<TypeArg>,
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

    /// Whether the record passes every filter given (in the segment last resolved).
    pub fn matches(&self, line: &Line) -> bool {
        let a = self.args;
        let (lsn_from, lsn_to) = a.lsn.unwrap_or_default();
        lsn_from.is_none_or(|v| line.lsn >= v)
            && lsn_to.is_none_or(|v| line.lsn <= v)
            && a.stream.is_none_or(|s| line.stream == s as u8)
            && (a.record_type.is_none() || self.type_id == Some(line.record_type))
            && (a.producer.is_none() || self.producer_id == Some(line.producer_id))
            && a.from.is_none_or(|v| line.wall_ns >= v)
            && a.to.is_none_or(|v| line.wall_ns <= v)
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
