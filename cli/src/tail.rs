//! `rtlog tail [-f]`: the last records of a log, then (with `-f`) new ones as they are written;
//! also `rtlog dump --follow`, which is `tail -f` from the log's first record on. Both take the
//! filters of [`crate::filter`].
//!
//! Following polls every [`POLL`]: it lists the directory, and rescans the segment it is on
//! only when that segment's size changed, then any newer segments. A rescan reads the segment
//! from its start with `SegmentScan` and prints only frames above the highest LSN already
//! seen, so damage and torn tails are handled exactly as the reader handles them, and a frame
//! that was half-written at one poll is printed whole at the next.
//!
//! Cost: while a log is being written, each poll rereads the current segment up to its end
//! (at most `segment_bytes`, from the page cache), so a busy log with large segments costs a
//! scan of up to one segment per 100 ms; an idle log costs one `readdir` and one `stat` per
//! poll. Resuming at a byte offset would make it proportional to the new bytes only, but
//! `SegmentScan` cannot start at an offset yet.

use crate::error::{self, CliError};
use crate::filter::{FilterArgs, LogNames, Matcher};
use crate::interrupt;
use crate::logdir::{self, SegmentFile};
use crate::message::CallSites;
use crate::output::{ColourArgs, Out};
use crate::record::{Line, LineStyle, Names};
use rtlog::format::FrameKind;
use rtlog::format::Level;
use rtlog::scan::{OpenError, ScanItem, SegmentScan};
use rtlog::schema::{Interner, Schema};
use std::collections::{BTreeSet, VecDeque};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Print the last records of a log; with -f, keep printing new records as they are written.
///
/// Lines look like those of `rtlog dump`, messages included (`... seq=5 WARN loop.c:42 joint 3
/// over torque limit 12.500`, the level coloured on a terminal: see --color). With -f (--follow), polls the log every 100 ms and
/// prints new records, including those in new segments (rotation) and new epochs (a restart
/// of the writing program), until interrupted with Ctrl-C or until whatever reads its output
/// goes away, as `head` does (exit 0 in both cases). A directory that does not exist yet, or
/// holds no segment yet, is waited for (said once on stderr). Damaged frames are skipped
/// silently; `rtlog verify` reports them.
///
/// The filters are those of `rtlog dump`; -n counts the records that pass them. A producer or
/// type name the log does not have is an error (exit 2), and with -f a warning only, since a
/// later epoch may bring it.
///
/// Examples:
///   rtlog tail -n 20 /var/log/robot --stream critical
///   rtlog tail -f /var/log/robot --producer arm --json
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The log directory.
    dir: PathBuf,
    /// Keep running and print records as they are written.
    #[arg(short = 'f', long)]
    follow: bool,
    /// How many of the last records to print first.
    #[arg(short = 'n', long = "lines", value_name = "N", default_value_t = 10)]
    lines: usize,
    /// Write JSON Lines, as `rtlog dump --json`.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    filters: FilterArgs,
    #[command(flatten)]
    colour: ColourArgs,
}

/// How often `-f` looks for new records.
const POLL: Duration = Duration::from_millis(100);

/// Where following resumes.
#[derive(Default)]
struct Cursor {
    /// Highest LSN seen, of any frame kind: frames at or below it were handled already.
    last_lsn: u64,
    /// The segment being followed (index) and its size when it was last scanned.
    segment: Option<(u64, u64)>,
}

/// What scanning one segment found.
enum Scanned {
    /// Scanned to its end; the highest LSN seen (or the `after` given, if none was higher).
    Done { max_lsn: u64 },
    /// Removed meanwhile (retention).
    Gone,
    /// The header does not validate: damaged, or still being written.
    BadHeader,
}

/// What a scan prints: the records and messages that pass the filters, as text or JSON.
struct Printer<'a> {
    matcher: Matcher<'a>,
    style: LineStyle,
    /// The type numbers of every data record scanned, printed or not.
    types_seen: BTreeSet<u16>,
}

impl Printer<'_> {
    fn new(filters: &FilterArgs, style: LineStyle) -> Printer<'_> {
        Printer { matcher: Matcher::new(filters), style, types_seen: BTreeSet::new() }
    }
}

pub fn run(args: &Args) -> Result<i32, CliError> {
    args.filters.check()?;
    let style = LineStyle { json: args.json, colour: args.colour.enabled() };
    let mut printer = Printer::new(&args.filters, style);
    if args.follow {
        return follow(&args.dir, &args.filters, &mut printer, Some(args.lines));
    }
    let segments = logdir::open(&args.dir)?;
    let names = LogNames::read(&args.dir)?;
    names.check(&args.filters, &args.dir)?;
    let mut out = Out::stdout();
    let lines = last_lines(&segments, args.lines, &mut printer, &mut Cursor::default())?;
    for line in &lines {
        out.write(line)?;
    }
    out.flush()?;
    // With -n 0 `last_lines` may stop at the newest segment, leaving `types_seen` partial;
    // otherwise it holds every type number of the log, or the type was printed.
    if args.lines > 0 {
        names.check_type_id(&args.filters, &printer.types_seen, &args.dir)?;
    }
    Ok(0)
}

/// `rtlog dump --follow`: every record that passes the filters, then those written later.
pub fn follow_all(dir: &Path, filters: &FilterArgs, style: LineStyle) -> Result<i32, CliError> {
    let mut printer = Printer::new(filters, style);
    follow(dir, filters, &mut printer, None)
}

/// Prints the last `last` records (all of them if `None`), then new ones until interrupted.
/// Waits for a log that is not there yet; names the log does not have are only warned about.
fn follow(
    dir: &Path,
    filters: &FilterArgs,
    printer: &mut Printer,
    last: Option<usize>,
) -> Result<i32, CliError> {
    // Before any output: a Ctrl-C right after the first lines still ends it cleanly.
    interrupt::install()
        .map_err(|e| CliError::fatal(format!("installing the SIGINT handler: {e}")))?;
    let mut out = Out::stdout();
    let mut cursor = Cursor::default();
    if logdir::has_segments(dir)? {
        if let Err(e) = LogNames::read(dir)?.check(filters, dir) {
            let message = e.message.unwrap_or_default();
            error::warn(&format!("{message}; following in case a later epoch brings it"));
        }
        if let Some(n) = last {
            let segments = logdir::open(dir)?;
            for line in last_lines(&segments, n, printer, &mut cursor)? {
                out.write(&line)?;
            }
            out.flush()?;
        }
    } else {
        error::warn(&format!("{}: no log there yet; waiting for one", dir.display()));
    }
    while !interrupt::requested() && !out.reader_gone() {
        std::thread::sleep(POLL);
        if !logdir::has_segments(dir)? {
            continue;
        }
        follow_once(dir, &mut cursor, printer, &mut |line| out.write(line))?;
        out.flush()?;
    }
    Ok(0)
}

/// The last `n` data records, reading segments from the newest back until there are enough
/// (usually only the newest), and the cursor for following from there.
fn last_lines(
    segments: &[SegmentFile],
    n: usize,
    printer: &mut Printer,
    cursor: &mut Cursor,
) -> Result<VecDeque<String>, CliError> {
    let mut lines = VecDeque::new();
    for seg in segments.iter().rev() {
        if lines.len() >= n && cursor.segment.is_some() {
            break;
        }
        let Some(size) = current_size(&seg.path)? else {
            continue;
        };
        let mut chunk = VecDeque::new();
        let scanned = scan_segment(&seg.path, 0, printer, &mut |line| {
            if n > 0 {
                if chunk.len() == n {
                    chunk.pop_front();
                }
                chunk.push_back(line.to_owned());
            }
            Ok(())
        })?;
        if let Scanned::Done { max_lsn } = scanned {
            // The newest readable segment is where following continues.
            cursor.segment.get_or_insert((seg.index, size));
            cursor.last_lsn = cursor.last_lsn.max(max_lsn);
        }
        // This segment's records are older than those already collected.
        let need = n - lines.len().min(n);
        for line in chunk.into_iter().rev().take(need) {
            lines.push_front(line);
        }
    }
    Ok(lines)
}

/// One poll: prints the records written since the cursor and moves it.
fn follow_once(
    dir: &Path,
    cursor: &mut Cursor,
    printer: &mut Printer,
    emit: &mut dyn FnMut(&str) -> Result<(), CliError>,
) -> Result<(), CliError> {
    let segments = rtlog::logdir::list_segments(dir)?;
    let from = cursor.segment.map_or(0, |(index, _)| index);
    let newest = segments.last().map(|(index, _)| *index);
    // In index order: the current segment is finished before a newer one is read, so records
    // come out in LSN order across a rotation.
    for (index, path) in segments.iter().filter(|(index, _)| *index >= from) {
        if interrupt::requested() {
            break;
        }
        let Some(size) = current_size(path)? else {
            continue;
        };
        if cursor.segment == Some((*index, size)) {
            continue; // Unchanged since the last scan.
        }
        match scan_segment(path, cursor.last_lsn, printer, emit)? {
            Scanned::Done { max_lsn } => {
                cursor.last_lsn = max_lsn;
                cursor.segment = Some((*index, size));
            }
            Scanned::Gone => {}
            // The newest segment's header may still be being written: retry at the next poll.
            Scanned::BadHeader if Some(*index) == newest => break,
            // An older segment with a damaged header: nothing in it can be read.
            Scanned::BadHeader => {}
        }
    }
    Ok(())
}

/// The file's size now, or `None` if it was removed.
fn current_size(path: &Path) -> Result<Option<u64>, CliError> {
    match std::fs::metadata(path) {
        Ok(m) => Ok(Some(m.len())),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(logdir::io_error(path, &e)),
    }
}

/// Scans one segment, calling `emit` with the line of each data record and message whose LSN
/// is above `after` and that passes the filters. The scan starts at the segment's start, so it
/// reads the call-site frames of the segment's messages (which precede them) even when it
/// prints only the frames after `after`.
fn scan_segment(
    path: &Path,
    after: u64,
    printer: &mut Printer,
    emit: &mut dyn FnMut(&str) -> Result<(), CliError>,
) -> Result<Scanned, CliError> {
    let mut scan = match SegmentScan::open(path) {
        Ok(scan) => scan,
        Err(OpenError::Io(e)) if e.kind() == ErrorKind::NotFound => return Ok(Scanned::Gone),
        Err(OpenError::Io(e)) => return Err(logdir::io_error(path, &e)),
        Err(OpenError::Header(_)) => return Ok(Scanned::BadHeader),
    };
    // Cloned because each scanned frame borrows the scanner.
    let header = scan.header.clone();
    let names = Names::of(&header);
    let schema = Schema::of(&header.types, &mut Interner::default());
    printer.matcher.segment(&header, &schema);
    let mut max_lsn = after;
    let mut text = String::new();
    let mut sites = CallSites::default();
    loop {
        let item = scan.next_item().map_err(|e| logdir::io_error(path, &e))?;
        let (h, payload) = match item {
            ScanItem::Frame(h, payload) => (h, payload),
            ScanItem::Damage { .. } => continue,
            ScanItem::End { .. } => break,
        };
        let kind = FrameKind::from_u8(h.kind);
        if kind == Some(FrameKind::CallSite) {
            sites.note(h.epoch, payload);
        }
        if h.lsn <= after {
            continue;
        }
        max_lsn = max_lsn.max(h.lsn);
        let message = match kind {
            Some(FrameKind::Data) => {
                printer.types_seen.insert(h.record_type);
                None
            }
            Some(FrameKind::Message) => Some(sites.decode(h.epoch, payload)),
            _ => continue,
        };
        let line = Line {
            lsn: h.lsn,
            epoch: h.epoch,
            wall_ns: header.wall_clock_ns(h.timestamp_ns),
            producer_id: h.producer,
            producer: names.get(h.producer),
            stream: h.stream,
            record_type: h.record_type,
            seq: h.seq,
            level: Level::from_u8(h.level).unwrap_or(Level::Info),
            payload,
            typed: match message {
                None => schema.get(h.record_type).map(|t| &**t),
                Some(_) => None,
            },
            message: message.as_ref(),
        };
        if !printer.matcher.matches(&line) {
            continue;
        }
        text.clear();
        printer.style.push(&mut text, &line);
        emit(&text)?;
    }
    Ok(Scanned::Done { max_lsn })
}
