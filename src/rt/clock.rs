//! Timestamps: raw reads on the RT side, conversion to nanoseconds on the non-RT side.
//!
//! Where the CPU has an invariant TSC (x86-64, CPUID 0x8000_0007 EDX bit 8), the RT side reads
//! it with `rdtsc` (a few cycles, no syscall) and the writer converts ticks to `CLOCK_MONOTONIC`
//! nanoseconds with a calibration made once per process. Elsewhere the RT side calls
//! `clock_gettime(CLOCK_MONOTONIC)`, which the vDSO serves without a syscall.
//! `RTLOG_CLOCK=monotonic` in the environment forces the second path.

use std::sync::OnceLock;
use std::time::Duration;

/// How raw timestamps are taken, decided once per process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Calibration {
    /// TSC frequency in Hz; 0 when timestamps are monotonic nanoseconds already.
    pub tsc_hz: u64,
    /// TSC value at the anchor.
    pub anchor_tsc: u64,
    /// `CLOCK_MONOTONIC` ns at the anchor.
    pub anchor_mono_ns: u64,
    /// `mult` such that `ns = (ticks * mult) >> 32`.
    pub mult: u64,
}

impl Calibration {
    /// Whether the RT side reads the TSC.
    #[inline]
    pub fn uses_tsc(&self) -> bool {
        self.tsc_hz != 0
    }

    /// Converts a raw timestamp to `CLOCK_MONOTONIC` nanoseconds (non-RT side).
    pub fn to_ns(&self, raw: u64) -> u64 {
        if !self.uses_tsc() {
            return raw;
        }
        let delta = raw.wrapping_sub(self.anchor_tsc) as i64 as i128;
        let ns = i128::from(self.anchor_mono_ns) + ((delta * i128::from(self.mult)) >> 32);
        ns.clamp(0, i128::from(u64::MAX)) as u64
    }
}

/// Reads the raw timestamp. RT-safe: one `rdtsc`, or a vDSO `clock_gettime`.
#[inline(always)]
pub fn now_raw(use_tsc: bool) -> u64 {
    #[cfg(target_arch = "x86_64")]
    if use_tsc {
        // SAFETY: `rdtsc` has no preconditions; `use_tsc` is only true on CPUs that have it.
        return unsafe { core::arch::x86_64::_rdtsc() };
    }
    let _ = use_tsc;
    monotonic_ns()
}

/// `CLOCK_MONOTONIC` in nanoseconds (vDSO; no syscall on common Linux clock sources).
#[inline]
pub fn monotonic_ns() -> u64 {
    clock_ns(libc::CLOCK_MONOTONIC)
}

/// `CLOCK_REALTIME` in nanoseconds since the Unix epoch.
pub fn realtime_ns() -> u64 {
    clock_ns(libc::CLOCK_REALTIME)
}

#[inline]
fn clock_ns(id: libc::clockid_t) -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec; both clock ids exist on every Linux.
    unsafe { libc::clock_gettime(id, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// The process-wide calibration (measured on first use, in the INIT phase; takes ~20 ms when
/// the TSC is used).
pub fn calibration() -> Calibration {
    static CAL: OnceLock<Calibration> = OnceLock::new();
    *CAL.get_or_init(calibrate)
}

fn invariant_tsc() -> bool {
    if std::env::var("RTLOG_CLOCK").is_ok_and(|v| v == "monotonic") {
        return false;
    }
    #[cfg(target_arch = "x86_64")]
    {
        // `cpuid` is available on every x86-64 CPU; leaf 0x8000_0000 reports the highest
        // extended leaf, which we check before asking for 0x8000_0007.
        let max = core::arch::x86_64::__cpuid(0x8000_0000).eax;
        if max >= 0x8000_0007 {
            return core::arch::x86_64::__cpuid(0x8000_0007).edx & (1 << 8) != 0;
        }
    }
    false
}

fn calibrate() -> Calibration {
    let mono = Calibration { tsc_hz: 0, anchor_tsc: 0, anchor_mono_ns: 0, mult: 0 };
    if !invariant_tsc() {
        return mono;
    }
    let (t0, n0) = paired_read();
    std::thread::sleep(Duration::from_millis(20));
    let (t1, n1) = paired_read();
    let (dt, dn) = (t1.wrapping_sub(t0), n1.saturating_sub(n0));
    if dt == 0 || dn == 0 {
        return mono;
    }
    let tsc_hz = (u128::from(dt) * 1_000_000_000 / u128::from(dn)) as u64;
    let mult = ((1_000_000_000u128 << 32) / u128::from(tsc_hz.max(1))) as u64;
    Calibration { tsc_hz, anchor_tsc: t1, anchor_mono_ns: n1, mult }
}

/// A (TSC, monotonic ns) pair read as close together as possible: the tightest of a few tries.
fn paired_read() -> (u64, u64) {
    let mut best = (u64::MAX, 0, 0);
    for _ in 0..16 {
        let a = now_raw(true);
        let ns = monotonic_ns();
        let b = now_raw(true);
        if b.wrapping_sub(a) < best.0 {
            best = (b.wrapping_sub(a), a / 2 + b / 2, ns);
        }
    }
    (best.1, best.2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converted_timestamps_track_the_monotonic_clock() {
        let cal = calibration();
        let before = monotonic_ns();
        let raw = now_raw(cal.uses_tsc());
        let after = monotonic_ns();
        let ns = cal.to_ns(raw);
        // Calibration error over a short span is tiny; allow 1 ms of slack either way.
        assert!(ns + 1_000_000 >= before && ns <= after + 1_000_000, "{before} {ns} {after}");
    }
}
