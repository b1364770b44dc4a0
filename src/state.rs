//! The logger's health states and the state-change callback (a leaf: used by the
//! supervisor that changes the state, the writer that logs each change, the configuration
//! that carries the callback and the logger that reports the state).

use std::fmt;
use std::sync::Arc;

/// The logger's health, as `rtlog_state`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Before `start`.
    Init = 0,
    /// Running, nothing lost.
    Normal = 1,
    /// Running with reduced service (normal-stream loss, writer lag).
    Degraded = 2,
    /// A critical record was refused or a write or sync failed.
    Critical = 3,
    /// Safe mode: only the critical stream is accepted.
    Safe = 4,
    /// After `shutdown`.
    Stopped = 5,
}

impl State {
    /// The state for a stored byte.
    pub fn from_u8(v: u8) -> State {
        match v {
            0 => State::Init,
            1 => State::Normal,
            2 => State::Degraded,
            3 => State::Critical,
            4 => State::Safe,
            _ => State::Stopped,
        }
    }

    /// The state's name in capitals, as in the documentation.
    pub fn name(self) -> &'static str {
        match self {
            State::Init => "INIT",
            State::Normal => "NORMAL",
            State::Degraded => "DEGRADED",
            State::Critical => "CRITICAL",
            State::Safe => "SAFE",
            State::Stopped => "STOPPED",
        }
    }
}

/// The signature of a state-change callback: (old state, new state, cause).
pub type StateFn = dyn Fn(State, State, &str) + Send + Sync;

/// Called on every state change with (old state, new state, cause), on the supervisor thread.
#[derive(Clone)]
pub struct StateCallback(pub Arc<StateFn>);

impl fmt::Debug for StateCallback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StateCallback")
    }
}

impl PartialEq for StateCallback {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for StateCallback {}
