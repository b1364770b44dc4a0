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

/// The logger's phase, shared by every producer handle.
#[derive(Debug)]
pub(crate) struct Gate {
    phase: AtomicU8,
    /// True when membarrier is unavailable and publishers must fence themselves.
    pub(crate) strong: bool,
    /// Set by the supervisor in SAFE: the normal stream refuses records. Read `Relaxed` by
    /// publish: it is a mode switch, not a publication; a publish that still sees the old
    /// value just behaves as it would have a moment earlier. Next to `phase`, on the cache line
    /// that publish reads anyway.
    pub(crate) normal_blocked: AtomicBool,
}

impl Gate {
    pub(crate) fn new() -> Gate {
        Gate {
            phase: AtomicU8::new(PHASE_INIT),
            strong: !membarrier_registered(),
            normal_blocked: AtomicBool::new(false),
        }
    }

    /// The current phase (`SeqCst`: the load half of the Dekker pair).
    #[inline]
    pub(crate) fn phase(&self) -> u8 {
        self.phase.load(Ordering::SeqCst)
    }

    /// INIT → RUN. Returns false when the gate was not in INIT.
    pub(crate) fn open(&self) -> bool {
        self.phase
            .compare_exchange(PHASE_INIT, PHASE_RUN, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
    }

    /// Closes the gate and returns the phase it had. After this returns and every `active`
    /// flag has been seen false, no publish can add a record anymore.
    pub(crate) fn close<'a>(&self, active: impl Iterator<Item = &'a AtomicBool>) -> u8 {
        let old = self.phase.swap(PHASE_CLOSED, Ordering::SeqCst);
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
