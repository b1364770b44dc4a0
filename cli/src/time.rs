//! Wall-clock times as ISO-8601 UTC text and back, without a date library.
//!
//! Dates use Howard Hinnant's `days_from_civil` / `civil_from_days` algorithms
//! (<https://howardhinnant.github.io/date_algorithms.html>): exact for the proleptic Gregorian
//! calendar, with no tables and no loops. Times are `u64` ns since the Unix epoch, which covers
//! 1970-01-01 to 2554-07-21; leap seconds do not exist in that count, as in `CLOCK_REALTIME`.

const NS_PER_SEC: u64 = 1_000_000_000;
const SECS_PER_DAY: u64 = 86_400;

/// Days since 1970-01-01 of a Gregorian date (`month` 1..=12, `day` 1..=31).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    // Years start in March, so the leap day is the last day of the "year".
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from((month + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The Gregorian date (year, month, day) of a day count since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// `2026-11-22T10:00:00.123456789Z`: always nine fractional digits, so lines sort as text.
pub fn format_utc(ns: u64) -> String {
    let secs = ns / NS_PER_SEC;
    let (year, month, day) = civil_from_days((secs / SECS_PER_DAY) as i64);
    let sod = secs % SECS_PER_DAY;
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:09}Z",
        sod / 3600,
        sod / 60 % 60,
        sod % 60,
        ns % NS_PER_SEC
    )
}

/// Parses a command-line time: integer ns since the Unix epoch, or ISO-8601 UTC
/// (`2026-11-22`, `2026-11-22T10:00Z`, `2026-11-22T10:00:00Z`, `2026-11-22T10:00:00.5Z`; `T`
/// may be a space, `Z` may be `+00:00`). A time without a zone is refused rather than guessed.
pub fn parse_time(s: &str) -> Result<u64, String> {
    let hint = "expected ISO-8601 UTC such as 2026-11-22T10:00:00Z or 2026-11-22T10:00:00.25Z, \
                or integer nanoseconds since the Unix epoch";
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse().map_err(|_| format!("{s:?} is too large; {hint}"));
    }
    parse_iso(s).map_err(|why| format!("{why}; {hint}"))
}

fn parse_iso(s: &str) -> Result<u64, String> {
    let mut p = Cursor { s: s.as_bytes() };
    let year = p.digits(4, "year")?;
    p.expect(b'-', "'-' after the year")?;
    let month = p.digits(2, "month")? as u32;
    p.expect(b'-', "'-' after the month")?;
    let day = p.digits(2, "day")? as u32;
    let (mut hour, mut minute, mut second, mut frac) = (0, 0, 0, 0);
    if !p.s.is_empty() {
        match p.s[0] {
            b'T' | b't' | b' ' => p.s = &p.s[1..],
            _ => return Err("expected 'T' after the date".into()),
        }
        hour = p.digits(2, "hour")?;
        p.expect(b':', "':' after the hour")?;
        minute = p.digits(2, "minute")?;
        if p.s.first() == Some(&b':') {
            p.s = &p.s[1..];
            second = p.digits(2, "second")?;
            if p.s.first() == Some(&b'.') {
                p.s = &p.s[1..];
                frac = p.fraction()?;
            }
        }
        match p.s {
            b"Z" | b"z" | b"+00:00" | b"-00:00" | b"+0000" => {}
            [] => return Err("the time has no zone: add 'Z' for UTC".into()),
            _ => return Err("only UTC is accepted ('Z' or +00:00)".into()),
        }
    }
    if !(1..=12).contains(&month) {
        return Err(format!("month {month} is out of range"));
    }
    if day < 1 || day > days_in_month(year as i64, month) {
        return Err(format!("day {day} is out of range for {year:04}-{month:02}"));
    }
    if hour > 23 || minute > 59 || second > 59 {
        return Err(format!("{hour:02}:{minute:02}:{second:02} is not a time of day"));
    }
    let days = days_from_civil(year as i64, month, day);
    let secs = u64::try_from(days)
        .map_err(|_| "dates before 1970-01-01 are not representable".to_string())?
        * SECS_PER_DAY
        + hour * 3600
        + minute * 60
        + second;
    secs.checked_mul(NS_PER_SEC)
        .and_then(|ns| ns.checked_add(frac))
        .ok_or_else(|| "dates after 2554-07-21 are not representable".to_string())
}

/// A tiny left-to-right parser over ASCII bytes.
struct Cursor<'a> {
    s: &'a [u8],
}

impl Cursor<'_> {
    /// Exactly `n` decimal digits.
    fn digits(&mut self, n: usize, what: &str) -> Result<u64, String> {
        let ok = self.s.len() >= n && self.s[..n].iter().all(u8::is_ascii_digit);
        if !ok {
            return Err(format!("expected {n} digits for the {what}"));
        }
        let v = self.s[..n].iter().fold(0, |v, d| v * 10 + u64::from(d - b'0'));
        self.s = &self.s[n..];
        Ok(v)
    }

    fn expect(&mut self, c: u8, what: &str) -> Result<(), String> {
        if self.s.first() != Some(&c) {
            return Err(format!("expected {what}"));
        }
        self.s = &self.s[1..];
        Ok(())
    }

    /// 1 to 9 fractional digits, as nanoseconds.
    fn fraction(&mut self) -> Result<u64, String> {
        let n = self.s.iter().take_while(|b| b.is_ascii_digit()).count();
        if !(1..=9).contains(&n) {
            return Err("expected 1 to 9 fractional digits (nanoseconds at most)".into());
        }
        let v = self.digits(n, "fraction")?;
        Ok(v * 10u64.pow(9 - n as u32))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(format_utc(0), "1970-01-01T00:00:00.000000000Z");
        assert_eq!(format_utc(1_700_000_000_123_456_789), "2023-11-14T22:13:20.123456789Z");
        // 2024-02-29 (a leap day) and 2100-03-01 (2100 is not a leap year).
        assert_eq!(format_utc(1_709_164_800 * NS_PER_SEC), "2024-02-29T00:00:00.000000000Z");
        assert_eq!(format_utc(4_107_542_400 * NS_PER_SEC), "2100-03-01T00:00:00.000000000Z");
        assert_eq!(format_utc(u64::MAX), "2554-07-21T23:34:33.709551615Z");
    }

    #[test]
    fn every_day_round_trips() {
        for days in 0..(600 * 366) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
            assert!(d <= days_in_month(y, m));
        }
    }

    #[test]
    fn parses_what_it_formats() {
        for ns in [0, 1, 1_700_000_000_123_456_789, 1_795_341_600_000_000_000] {
            assert_eq!(parse_time(&format_utc(ns)), Ok(ns));
        }
    }

    #[test]
    fn parses_the_accepted_forms() {
        let t = 1_795_341_600 * NS_PER_SEC; // 2026-11-22T10:00:00Z
        assert_eq!(parse_time("2026-11-22T10:00:00Z"), Ok(t));
        assert_eq!(parse_time("2026-11-22 10:00:00+00:00"), Ok(t));
        assert_eq!(parse_time("2026-11-22T10:00Z"), Ok(t));
        assert_eq!(parse_time("2026-11-22T10:00:00.25Z"), Ok(t + 250_000_000));
        assert_eq!(parse_time("2026-11-22T10:00:00.000000001Z"), Ok(t + 1));
        assert_eq!(parse_time("2026-11-22"), Ok(t - 10 * 3600 * NS_PER_SEC));
        assert_eq!(parse_time("42"), Ok(42));
    }

    #[test]
    fn refuses_what_it_cannot_read_exactly() {
        for bad in [
            "",
            "yesterday",
            "2026-11-22T10:00:00",       // no zone: local time would be a guess
            "2026-11-22T10:00:00+01:00", // not UTC
            "2026-02-29T00:00:00Z",      // not a leap year
            "2026-13-01T00:00:00Z",
            "2026-11-22T24:00:00Z",
            "2026-11-22T10:00:00.1234567891Z",
            "1969-12-31T23:59:59Z",
            "99999999999999999999999",
        ] {
            assert!(parse_time(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
