//! Asking the CPU for the cache lines the next push will write, before it writes them.
//!
//! **RT module.** When the consumer keeps up with a producer in a burst, it reads each slot
//! soon after it is published, so the lines of the next slot (one of them shared with the slot
//! just read, at 96 bytes a slot) sit in the consumer's cache: every push then waits for them to
//! come back from the other CPU, and an accepted publish costs about twice what it costs alone.
//! `prefetchw` after a push starts that transfer for a slot some pushes ahead
//! (`ring::PREFETCH_AHEAD`), so that it is done before the push that writes it, even back to
//! back (docs/PERFORMANCE.md, "Bursts: the consumer on the producer's lines", "How far ahead").
//!
//! A hint only: it never faults, changes no memory and no register, and its absence changes
//! nothing but time. On x86-64 CPUs that lack it (CPUID `PRFCHW`) and on other architectures,
//! [`for_write`] does nothing.

/// Whether this CPU has `prefetchw` (CPUID 8000_0001h ECX bit 8). Non-RT: a ring asks once,
/// when it is made. Under Miri, which runs no inline assembly, never.
pub(crate) fn write_hint_supported() -> bool {
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    {
        // Leaf 8000_0000h gives the highest extended leaf, checked before 8000_0001h is read.
        let max = core::arch::x86_64::__cpuid(0x8000_0000).eax;
        max >= 0x8000_0001 && core::arch::x86_64::__cpuid(0x8000_0001).ecx & (1 << 8) != 0
    }
    #[cfg(not(all(target_arch = "x86_64", not(miri))))]
    {
        false
    }
}

/// Asks for the cache line holding `line` in a state this CPU may write (`prefetchw`).
/// RT-safe: one instruction, no fault on any address. Call it only where
/// [`write_hint_supported`] said yes.
#[inline(always)]
pub(crate) fn for_write(line: *const u8) {
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    // SAFETY: `prefetchw` is a hint: it never faults, whatever the address, and writes no
    // memory, register or flag; the caller checked that the CPU decodes it.
    unsafe {
        core::arch::asm!(
            "prefetchw [{line}]",
            line = in(reg) line,
            options(nostack, preserves_flags, readonly)
        );
    }
    #[cfg(not(all(target_arch = "x86_64", not(miri))))]
    let _ = line;
}
