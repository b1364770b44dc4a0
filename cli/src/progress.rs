//! A percentage on stderr for long scans, shown only to a person at a terminal: a pipe or a
//! log file gets nothing, so scripts that capture stderr see only real messages.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// Redraws at most this often, so the terminal is not the bottleneck.
const INTERVAL: Duration = Duration::from_millis(200);

/// Progress through `total` bytes.
pub struct Progress {
    total: u64,
    enabled: bool,
    last_draw: Instant,
    shown: bool,
}

impl Progress {
    /// Enabled only when stderr is a terminal (`isatty(2)`).
    pub fn new(total: u64) -> Progress {
        Progress {
            total: total.max(1),
            enabled: std::io::stderr().is_terminal(),
            // The first draw waits one interval: a quick run shows nothing at all.
            last_draw: Instant::now(),
            shown: false,
        }
    }

    /// Reports `done` bytes processed; redraws when the interval has passed.
    pub fn update(&mut self, done: u64) {
        if !self.enabled {
            return;
        }
        let now = Instant::now();
        if now - self.last_draw < INTERVAL {
            return;
        }
        self.last_draw = now;
        let pct = (u128::from(done.min(self.total)) * 100 / u128::from(self.total)) as u32;
        // `\r` redraws in place; errors are ignored because progress is only a courtesy.
        let _ = write!(std::io::stderr(), "\rverifying: {pct:3}%");
        self.shown = true;
    }

    /// Erases the indicator so that later output starts on a clean line.
    pub fn finish(&mut self) {
        if self.shown {
            let _ = write!(std::io::stderr(), "\r\x1b[K");
            self.shown = false;
        }
    }
}
