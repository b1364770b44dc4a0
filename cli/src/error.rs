//! How a subcommand fails: an exit code and, usually, a message for stderr.

use std::io::Write;

/// Exit code for usage and I/O errors.
pub const EXIT_ERROR: i32 = 2;

/// A failed subcommand.
#[derive(Debug)]
pub struct CliError {
    /// The process exit code.
    pub code: i32,
    /// Printed to stderr as `rtlog: <message>`; `None` for a quiet exit.
    pub message: Option<String>,
}

impl CliError {
    /// A usage or I/O error (exit code 2).
    pub fn fatal(message: impl Into<String>) -> CliError {
        CliError { code: EXIT_ERROR, message: Some(message.into()) }
    }

    /// The reader of our stdout went away (`| head`): not an error, so exit 0 quietly, as
    /// `cat` and `grep` do.
    pub fn closed_pipe() -> CliError {
        CliError { code: 0, message: None }
    }
}

impl From<rtlog::Error> for CliError {
    fn from(e: rtlog::Error) -> CliError {
        CliError::fatal(e.message)
    }
}

/// Prints `rtlog: <message>` on stderr. A failing stderr is ignored rather than a panic
/// (`eprintln!` would panic), since there is nowhere left to report it.
pub fn warn(message: &str) {
    let _ = writeln!(std::io::stderr(), "rtlog: {message}");
}
