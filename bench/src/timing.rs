//! Cycle-accurate timing of single calls: `lfence; rdtsc; lfence` before, `rdtscp; lfence`
//! after (Intel's "How to Benchmark Code Execution Times" recipe), the TSC calibrated against
//! `CLOCK_MONOTONIC`, and the timer's own cost measured so it can be subtracted.
//!
//! The `asm!` blocks have no `nomem` option, so they are also compiler barriers: the compiler
//! cannot move the timed call's loads and stores out of the timed region.

use std::arch::asm;
use std::time::Duration;

/// Reads the TSC before a timed region. The leading `lfence` waits for earlier instructions
/// to finish; the trailing one keeps the timed code from starting before the read.
#[inline(always)]
pub fn start() -> u64 {
    let lo: u32;
    let hi: u32;
    // SAFETY: lfence and rdtsc only read the TSC into eax/edx; no memory is touched.
    unsafe {
        asm!("lfence", "rdtsc", "lfence", out("eax") lo, out("edx") hi, options(nostack, preserves_flags));
    }
    (u64::from(hi) << 32) | u64::from(lo)
}

/// Reads the TSC after a timed region: `rdtscp` waits for the timed code to finish; the
/// `lfence` keeps later code from starting before the read.
#[inline(always)]
pub fn stop() -> u64 {
    let lo: u32;
    let hi: u32;
    // SAFETY: rdtscp reads the TSC into eax/edx and the processor id into ecx.
    unsafe {
        asm!("rdtscp", "lfence", out("eax") lo, out("edx") hi, out("ecx") _, options(nostack, preserves_flags));
    }
    (u64::from(hi) << 32) | u64::from(lo)
}

/// A plain TSC read (timestamps inside peers; pacing).
#[inline(always)]
pub fn rdtsc() -> u64 {
    // SAFETY: rdtsc has no preconditions on x86-64.
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// `CLOCK_MONOTONIC` in nanoseconds.
pub fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// A (TSC, monotonic ns) pair read as close together as possible: the tightest of 64 tries.
fn paired_read() -> (u64, u64) {
    let mut best = (u64::MAX, 0, 0);
    for _ in 0..64 {
        let a = start();
        let ns = monotonic_ns();
        let b = stop();
        if b - a < best.0 {
            best = (b - a, a + (b - a) / 2, ns);
        }
    }
    (best.1, best.2)
}

/// TSC frequency in Hz, measured against `CLOCK_MONOTONIC` over `span`.
pub fn calibrate_tsc(span: Duration) -> f64 {
    let (t0, n0) = paired_read();
    std::thread::sleep(span);
    let (t1, n1) = paired_read();
    (t1 - t0) as f64 * 1e9 / (n1 - n0) as f64
}

/// What `/proc/cpuinfo` says about the TSC: `constant_tsc` and `nonstop_tsc` make it a
/// usable clock across cores and power states.
pub fn tsc_flags() -> String {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let flags = info.lines().find(|l| l.starts_with("flags")).unwrap_or("");
    let has = |f: &str| flags.split_whitespace().any(|x| x == f);
    let mut v = Vec::new();
    for f in ["constant_tsc", "nonstop_tsc", "rdtscp", "tsc_known_freq"] {
        if has(f) {
            v.push(f);
        }
    }
    v.join(" ")
}

/// The timer's own cost in cycles: the minimum and the median of `n` empty timed regions.
/// The minimum is what gets subtracted (conservative: it never makes a call look faster
/// than the timer can resolve).
pub fn timer_overhead(n: usize) -> (u64, u64) {
    let mut v = vec![0u64; n];
    for x in v.iter_mut() {
        let a = start();
        let b = stop();
        *x = b - a;
    }
    v.sort_unstable();
    (v[0], v[n / 2])
}

/// The TSC's read granularity in cycles: the smallest non-zero step between back-to-back
/// reads. Some CPUs (AMD Zen, and this kind of VM) advance the TSC in steps of ~10 ns, which
/// bounds the resolution of a single timed call; means over many calls resolve finer.
pub fn granularity() -> u64 {
    let mut best = u64::MAX;
    let mut prev = rdtsc();
    for _ in 0..200_000 {
        let t = rdtsc();
        if t > prev {
            best = best.min(t - prev);
        }
        prev = t;
    }
    best
}
