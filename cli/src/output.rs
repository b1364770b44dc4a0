//! Buffered stdout that treats a closed pipe as the end of the job, not a failure; and whether
//! to colour it (`--color`).

use crate::error::CliError;
use std::io::{self, BufWriter, StdoutLock, Write};

/// Standard output, buffered. Never use `println!` in this tool: it panics on a closed pipe.
pub struct Out {
    w: BufWriter<StdoutLock<'static>>,
}

impl Out {
    /// Locks stdout for the whole run.
    pub fn stdout() -> Out {
        Out { w: BufWriter::with_capacity(64 * 1024, io::stdout().lock()) }
    }

    /// Writes text.
    pub fn write(&mut self, s: &str) -> Result<(), CliError> {
        self.w.write_all(s.as_bytes()).map_err(write_error)
    }

    /// Whether stdout is a pipe whose reading end was closed (`rtlog tail -f | head -3` after
    /// `head` exits). Lets `tail -f` stop on an idle log too, instead of only at its next
    /// write; Linux reports `POLLERR` on the writing end of a pipe without readers.
    pub fn reader_gone(&self) -> bool {
        let mut fd = libc::pollfd { fd: libc::STDOUT_FILENO, events: 0, revents: 0 };
        // SAFETY: one valid `pollfd` for the length 1 given, and a zero timeout.
        let n = unsafe { libc::poll(&mut fd, 1, 0) };
        n == 1 && fd.revents & libc::POLLERR != 0
    }

    /// Pushes buffered text to the terminal or pipe (for `tail -f`, after each poll).
    pub fn flush(&mut self) -> Result<(), CliError> {
        self.w.flush().map_err(write_error)
    }
}

/// Rust ignores SIGPIPE, so a closed pipe shows up here as `BrokenPipe`: exit 0 quietly.
fn write_error(e: io::Error) -> CliError {
    if e.kind() == io::ErrorKind::BrokenPipe {
        CliError::closed_pipe()
    } else {
        CliError::fatal(format!("writing to standard output: {e}"))
    }
}

/// When to colour the output (`--color`).
#[derive(Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ColourChoice {
    /// When standard output is a terminal and the NO_COLOR environment variable is not set
    /// (or is empty).
    #[default]
    Auto,
    /// Always, even into a pipe or a file (and whatever NO_COLOR says).
    Always,
    /// Never.
    Never,
}

/// The `--color` option, shared by `dump` and `tail`.
#[derive(clap::Args, Clone, Copy, Default)]
pub struct ColourArgs {
    /// Colour the levels of messages: auto (on a terminal, unless NO_COLOR is set), always or
    /// never.
    #[arg(long = "color", value_enum, value_name = "WHEN", default_value_t = ColourChoice::Auto)]
    colour: ColourChoice,
}

impl ColourArgs {
    /// Whether to colour standard output.
    pub fn enabled(self) -> bool {
        match self.colour {
            ColourChoice::Always => true,
            ColourChoice::Never => false,
            ColourChoice::Auto => {
                let no_colour = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
                !no_colour && io::IsTerminal::is_terminal(&io::stdout())
            }
        }
    }
}
