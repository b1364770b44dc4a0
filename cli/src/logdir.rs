//! Checks that a path is a readable log directory and lists its segments, turning the usual
//! mistakes (typo, wrong directory, missing permission) into one-line messages.

use crate::error::CliError;
use std::fs::{self, File};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

/// A segment file found in the directory.
#[derive(Clone, Debug)]
pub struct SegmentFile {
    /// Index from the file name.
    pub index: u64,
    /// Full path.
    pub path: PathBuf,
    /// Size in bytes when listed.
    pub size: u64,
}

/// The segments of `dir` in index order, or an error that says what is wrong with `dir`.
pub fn open(dir: &Path) -> Result<Vec<SegmentFile>, CliError> {
    let shown = dir.display();
    let meta = fs::metadata(dir).map_err(|e| match e.kind() {
        ErrorKind::NotFound => CliError::fatal(format!("{shown}: no such directory")),
        _ => io_error(dir, &e),
    })?;
    if !meta.is_dir() {
        return Err(CliError::fatal(format!("{shown}: not a directory")));
    }
    // Opened here only to classify a failure; `list_segments` reports it less precisely.
    fs::read_dir(dir).map_err(|e| io_error(dir, &e))?;
    let listed = rtlog::logdir::list_segments(dir)?;
    if listed.is_empty() {
        return Err(CliError::fatal(format!(
            "no rtlog segments in {shown} (not a log directory?)"
        )));
    }
    let mut segments = Vec::with_capacity(listed.len());
    for (index, path) in listed {
        // Opening each file up front turns a permission problem into a clear message before
        // any output; a file removed meanwhile (retention) is simply left out.
        let size = match File::open(&path).and_then(|f| f.metadata()) {
            Ok(m) => m.len(),
            Err(e) if e.kind() == ErrorKind::NotFound => continue,
            Err(e) => return Err(io_error(&path, &e)),
        };
        segments.push(SegmentFile { index, path, size });
    }
    Ok(segments)
}

/// Whether `dir` holds segments yet, for following a log that a program is about to create:
/// `false` while it does not exist or is empty; an error if it is not a readable directory.
pub fn has_segments(dir: &Path) -> Result<bool, CliError> {
    match fs::metadata(dir) {
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(io_error(dir, &e)),
        Ok(meta) if !meta.is_dir() => {
            return Err(CliError::fatal(format!("{}: not a directory", dir.display())))
        }
        Ok(_) => {}
    }
    Ok(!rtlog::logdir::list_segments(dir)?.is_empty())
}

/// `PATH: permission denied` and the like.
pub fn io_error(path: &Path, e: &std::io::Error) -> CliError {
    let what = match e.kind() {
        ErrorKind::PermissionDenied => "permission denied".to_string(),
        ErrorKind::NotFound => "no such file or directory".to_string(),
        _ => e.to_string(),
    };
    CliError::fatal(format!("{}: {what}", path.display()))
}
