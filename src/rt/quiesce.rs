//! The RUN gate: lets `shutdown` close publishing without making `publish` pay for a full
//! memory fence.
//!
//! `publish` marks its producer *active*, then checks that the gate is open; `close` shuts the
//! gate, then waits until no producer is active. This is Dekker's pattern, which needs a
//! store→load fence on both sides. The publishing side must stay cheap, so it uses only a
//! compiler fence, and `close` pays instead with `membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)`,
//! which runs a full fence on every CPU currently running one of our threads (the asymmetric
//! fence of userspace RCU). After it returns, a publisher either sees the gate closed or has
//! its *active* mark visible to `close`, which then waits for it to finish. Where membarrier is
//! unavailable, publishers fall back to a `SeqCst` swap (a real fence) — see [`Gate::strong`].

use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::OnceLock;

/// Gate phases.
pub(crate) const PHASE_INIT: u8 = 0;
pub(crate) const PHASE_RUN: u8 = 1;
pub(crate) const PHASE_CLOSED: u8 = 2;
/// The bits of [`Gate`]'s state that hold the phase.
const PHASE_MASK: u8 = 0b11;
/// The bit of [`Gate`]'s state set in SAFE: the normal stream refuses records.
const NORMAL_BLOCKED: u8 = 0b100;

/// The logger's phase and whether the normal stream is blocked, shared by every producer
/// handle. Both live in one byte so that a publish learns both from one load.
#[derive(Debug)]
pub(crate) struct Gate {
    /// The phase in the low bits, and [`NORMAL_BLOCKED`].
    state: AtomicU8,
    /// True when membarrier is unavailable and publishers must fence themselves.
    pub(crate) strong: bool,
}

/// One reading of a [`Gate`]: what a publish decides on.
#[derive(Clone, Copy, Debug)]
pub(crate) struct GateState(u8);

impl GateState {
    /// Whether publishing is open (the phase is RUN).
    #[inline(always)]
    pub(crate) fn is_run(self) -> bool {
        self.0 & PHASE_MASK == PHASE_RUN
    }

    /// RUN, and the normal stream not blocked: every stream takes records (one compare).
    #[inline(always)]
    pub(crate) fn is_run_unblocked(self) -> bool {
        self.0 == PHASE_RUN
    }

    /// Whether the normal stream is blocked (the supervisor is in SAFE).
    #[inline(always)]
    pub(crate) fn normal_blocked(self) -> bool {
        self.0 & NORMAL_BLOCKED != 0
    }
}

impl Gate {
    pub(crate) fn new() -> Gate {
        Gate { state: AtomicU8::new(PHASE_INIT), strong: !membarrier_registered() }
    }

    /// The phase and the normal stream's block, in one `SeqCst` load: the load half of the
    /// Dekker pair. The block is a mode switch, not a publication: a publish that still sees
    /// the old value behaves as it would have a moment earlier.
    #[inline(always)]
    pub(crate) fn state(&self) -> GateState {
        GateState(self.state.load(Ordering::SeqCst))
    }

    /// The current phase.
    #[inline]
    pub(crate) fn phase(&self) -> u8 {
        self.state.load(Ordering::SeqCst) & PHASE_MASK
    }

    /// Blocks the normal stream (SAFE) or unblocks it; the phase is left as it is.
    pub(crate) fn set_normal_blocked(&self, blocked: bool) {
        if blocked {
            self.state.fetch_or(NORMAL_BLOCKED, Ordering::SeqCst);
        } else {
            self.state.fetch_and(!NORMAL_BLOCKED, Ordering::SeqCst);
        }
    }

    /// Moves the phase from `from` to `to`, keeping the block; returns the phase it had.
    fn move_phase(&self, from: Option<u8>, to: u8) -> u8 {
        let moved = self.state.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |s| match from {
            Some(f) if s & PHASE_MASK != f => None,
            _ => Some(s & !PHASE_MASK | to),
        });
        match moved {
            Ok(old) | Err(old) => old & PHASE_MASK,
        }
    }

    /// INIT → RUN. Returns false when the gate was not in INIT.
    pub(crate) fn open(&self) -> bool {
        self.move_phase(Some(PHASE_INIT), PHASE_RUN) == PHASE_INIT
    }

    /// Closes the gate and returns the phase it had. After this returns and every `active`
    /// flag has been seen false, no publish can add a record anymore.
    pub(crate) fn close<'a>(&self, active: impl Iterator<Item = &'a AtomicBool>) -> u8 {
        let old = self.move_phase(None, PHASE_CLOSED);
        if old != PHASE_RUN {
            return old;
        }
        if !self.strong {
            membarrier_fence();
        }
        for flag in active {
            while flag.load(Ordering::SeqCst) {
                std::thread::yield_now();
            }
        }
        old
    }
}

/// Marks a producer active for the duration of one publish. RT-safe: one store and a compiler
/// fence (or a locked swap when `strong`).
#[inline(always)]
pub(crate) fn enter(flag: &AtomicBool, strong: bool) {
    if strong {
        flag.swap(true, Ordering::SeqCst);
    } else {
        flag.store(true, Ordering::Relaxed);
        // Keeps the compiler from moving the gate check above the store; the CPU-level
        // ordering is supplied by `membarrier` in `Gate::close`.
        std::sync::atomic::compiler_fence(Ordering::SeqCst);
    }
}

/// Ends a publish: Release, so the record it pushed is visible before the flag clears.
#[inline(always)]
pub(crate) fn leave(flag: &AtomicBool) {
    flag.store(false, Ordering::Release);
}

const MEMBARRIER_CMD_PRIVATE_EXPEDITED: libc::c_int = 1 << 3;
const MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED: libc::c_int = 1 << 4;

fn membarrier(cmd: libc::c_int) -> bool {
    // SAFETY: membarrier takes two integer arguments and touches no user memory.
    unsafe { libc::syscall(libc::SYS_membarrier, cmd, 0) == 0 }
}

/// Registers the process for expedited private membarriers once; false where unsupported.
fn membarrier_registered() -> bool {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    *REGISTERED.get_or_init(|| {
        std::env::var_os("RTLOG_NO_MEMBARRIER").is_none()
            && membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED)
    })
}

fn membarrier_fence() {
    if !membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) {
        // Registration succeeded, so this cannot fail short of a kernel bug; fence anyway.
        std::sync::atomic::fence(Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_normal_streams_block_and_the_phase_change_apart() {
        let gate = Gate::new();
        gate.set_normal_blocked(true);
        assert_eq!(gate.phase(), PHASE_INIT);
        assert!(!gate.state().is_run());
        assert!(gate.open());
        assert!(!gate.open());
        let state = gate.state();
        assert!(state.is_run() && state.normal_blocked() && !state.is_run_unblocked());
        gate.set_normal_blocked(false);
        let state = gate.state();
        assert!(state.is_run() && !state.normal_blocked() && state.is_run_unblocked());
        gate.set_normal_blocked(true);
        assert_eq!(gate.close(std::iter::empty()), PHASE_RUN);
        assert_eq!(gate.phase(), PHASE_CLOSED);
        assert!(gate.state().normal_blocked() && !gate.state().is_run());
        assert_eq!(gate.close(std::iter::empty()), PHASE_CLOSED);
    }
}
