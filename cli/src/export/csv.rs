//! `--format csv`: a directory with one CSV file (RFC 4180) per record type.
//!
//! `<type name>.csv` has the columns `time_ns,lsn,epoch,producer,stream,seq` and then the
//! type's fields ([`value::columns`]). A type whose layout changes between epochs starts
//! `<type name>-2.csv` (type names never contain `-`). Records of no registered type, and
//! typed records whose length is not their type's size, go to `type-<N>.csv` with
//! `len,payload_hex` in place of the fields. Log messages go to `messages.csv`, with
//! `level,file,line,function,message` after the common columns (file, line and function empty
//! when the log lost the call site; message is the text, or `<call site N>` and the raw
//! arguments). A record type named `messages` goes to `messages-type.csv` instead, so the two
//! never share a file (type names never contain `-`).

use super::value::{self, Cell};
use super::{create_file, producer_label, write_error, Exporter};
use crate::error::CliError;
use crate::message::Decoded;
use crate::record::{push_hex, stream_name, Line};
use rtlog::format::FrameKind;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// The columns every file starts with.
const COMMON: &str = "time_ns,lsn,epoch,producer,stream,seq";

/// One open CSV file.
struct Table {
    path: PathBuf,
    w: BufWriter<File>,
}

/// Which file a record goes to.
#[derive(Clone, PartialEq, Eq, Hash)]
enum Key {
    /// A registered type: its name and layout text.
    Typed(String, String),
    /// Records written as bytes, by type number.
    Untyped(u16),
    /// Log messages.
    Messages,
}

/// The CSV exporter.
pub struct Csv {
    dir: PathBuf,
    tables: HashMap<Key, Table>,
    /// Layouts seen per type name, to number the files of a name whose layout changes.
    layouts: HashMap<String, usize>,
    row: String,
    mismatched: u64,
}

impl Csv {
    /// Writes into `dir`, created if missing.
    pub fn create(dir: &Path) -> Result<Csv, CliError> {
        std::fs::create_dir_all(dir).map_err(|e| crate::logdir::io_error(dir, &e))?;
        Ok(Csv {
            dir: dir.to_path_buf(),
            tables: HashMap::new(),
            layouts: HashMap::new(),
            row: String::new(),
            mismatched: 0,
        })
    }

    /// The file for `key`, opened with its header row on first use.
    fn table(&mut self, key: Key, line: &Line) -> Result<&mut Table, CliError> {
        if !self.tables.contains_key(&key) {
            let (name, header) = match (&key, line.typed) {
                (Key::Messages, _) => (
                    "messages.csv".to_string(),
                    format!("{COMMON},level,file,line,function,message\r\n"),
                ),
                (Key::Typed(name, _), Some(t)) => {
                    let n = self.layouts.entry(name.clone()).or_default();
                    *n += 1;
                    let base = if name == "messages" { "messages-type" } else { name };
                    let file =
                        if *n == 1 { format!("{base}.csv") } else { format!("{base}-{n}.csv") };
                    let columns = value::columns(&t.layout);
                    (file, format!("{COMMON},{}\r\n", columns.join(",")))
                }
                _ => (
                    format!("type-{}.csv", line.record_type),
                    format!("{COMMON},len,payload_hex\r\n"),
                ),
            };
            let path = self.dir.join(name);
            let mut w = BufWriter::with_capacity(64 * 1024, create_file(&path)?);
            w.write_all(header.as_bytes()).map_err(|e| write_error(&path, &e))?;
            self.tables.insert(key.clone(), Table { path, w });
        }
        Ok(self.tables.get_mut(&key).expect("inserted above"))
    }
}

impl Exporter for Csv {
    /// Data records and messages.
    fn frame(&mut self, kind: FrameKind, line: &Line) -> Result<(), CliError> {
        if !matches!(kind, FrameKind::Data | FrameKind::Message) {
            return Ok(());
        }
        let mut row = std::mem::take(&mut self.row);
        row.clear();
        let _ = write!(row, "{},{},{},", line.wall_ns, line.lsn, line.epoch);
        push_cell(&mut row, &producer_label(line), false);
        let _ = write!(row, ",{},{}", stream_name(line.stream), line.seq);
        let key = match (line.message, line.typed) {
            (Some(decoded), _) => {
                push_message(&mut row, line, decoded);
                Key::Messages
            }
            (None, Some(t)) if !line.size_mismatch() => {
                value::for_each_cell(&t.layout, line.payload, |cell| {
                    row.push(',');
                    match cell {
                        Cell::Text(text) => push_cell(&mut row, &text, true),
                        Cell::Number(f, i) => value::push_element(&mut row, f, i, line.payload),
                    }
                });
                Key::Typed(t.name.clone(), t.layout.text().to_string())
            }
            (None, typed) => {
                self.mismatched += u64::from(typed.is_some());
                let _ = write!(row, ",{},", line.payload.len());
                push_hex(&mut row, line.payload);
                Key::Untyped(line.record_type)
            }
        };
        row.push_str("\r\n");
        let table = self.table(key, line)?;
        let result = table.w.write_all(row.as_bytes()).map_err(|e| write_error(&table.path, &e));
        self.row = row;
        result
    }

    fn finish(&mut self) -> Result<(), CliError> {
        for t in self.tables.values_mut() {
            t.w.flush().map_err(|e| write_error(&t.path, &e))?;
        }
        Ok(())
    }

    fn note(&self) -> Option<String> {
        (self.mismatched > 0).then(|| {
            format!(
                "{} record(s) of a registered type had another length than the type's size; \
                 written to type-<N>.csv in hex",
                self.mismatched
            )
        })
    }
}

/// Appends a message's cells: `,level,file,line,function,message`.
fn push_message(row: &mut String, line: &Line, decoded: &Decoded) {
    let _ = write!(row, ",{},", line.level.name());
    let site = decoded.as_ref().ok().and_then(|m| m.site);
    if let Some(site) = site {
        push_cell(row, &site.file, false);
        let _ = write!(row, ",{},", site.line);
        push_cell(row, &site.function, false);
    } else {
        row.push_str(",,");
    }
    row.push(',');
    match decoded {
        Ok(m) => push_cell(row, &m.text(), true),
        Err(e) => push_cell(row, &format!("<undecodable message: {e}>"), true),
    }
}

/// Appends a cell, quoted as RFC 4180 says when it holds a comma, quote or line break (and
/// always when `quote`), with quotes doubled.
fn push_cell(out: &mut String, text: &str, quote: bool) {
    if !quote && !text.contains([',', '"', '\r', '\n']) {
        out.push_str(text);
        return;
    }
    out.push('"');
    out.push_str(&text.replace('"', "\"\""));
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::push_cell;

    #[test]
    fn cells_are_quoted_as_rfc_4180_says() {
        let mut s = String::new();
        for (text, quote) in [("arm", false), ("a,b", false), ("say \"hi\"", false), ("x", true)] {
            push_cell(&mut s, text, quote);
            s.push('|');
        }
        assert_eq!(s, "arm|\"a,b\"|\"say \"\"hi\"\"\"|\"x\"|");
    }
}
