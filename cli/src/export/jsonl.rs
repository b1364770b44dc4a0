//! `--format jsonl`: the lines of `rtlog dump --json` ([`Line::push_json`]), to a file or to
//! standard output.

use super::{create_file, write_error, Exporter};
use crate::error::CliError;
use crate::output::Out;
use crate::record::Line;
use rtlog::format::FrameKind;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Where the lines go.
enum Target {
    Stdout(Out),
    File(PathBuf, BufWriter<File>),
}

/// The JSON Lines exporter.
pub struct Jsonl {
    target: Target,
    text: String,
    mismatched: u64,
}

impl Jsonl {
    /// Writes to `path`, or to standard output for `-`.
    pub fn create(path: &Path) -> Result<Jsonl, CliError> {
        let target = if path.as_os_str() == "-" {
            Target::Stdout(Out::stdout())
        } else {
            let file = BufWriter::with_capacity(256 * 1024, create_file(path)?);
            Target::File(path.to_path_buf(), file)
        };
        Ok(Jsonl { target, text: String::new(), mismatched: 0 })
    }
}

impl Exporter for Jsonl {
    /// Data records and messages, as `dump --json` prints them.
    fn frame(&mut self, kind: FrameKind, line: &Line) -> Result<(), CliError> {
        if !matches!(kind, FrameKind::Data | FrameKind::Message) {
            return Ok(());
        }
        self.mismatched += u64::from(line.size_mismatch());
        self.text.clear();
        line.push_json(&mut self.text);
        match &mut self.target {
            Target::Stdout(out) => out.write(&self.text),
            Target::File(path, w) => {
                w.write_all(self.text.as_bytes()).map_err(|e| write_error(path, &e))
            }
        }
    }

    fn finish(&mut self) -> Result<(), CliError> {
        match &mut self.target {
            Target::Stdout(out) => out.flush(),
            Target::File(path, w) => w.flush().map_err(|e| write_error(path, &e)),
        }
    }

    fn note(&self) -> Option<String> {
        (self.mismatched > 0).then(|| {
            format!(
                "{} record(s) of a registered type had another length than the type's size; \
                 written in hex with expected_len",
                self.mismatched
            )
        })
    }
}
