//! Thread placement: producers on one CPU, consumers (and every background thread a logger
//! starts) on another, with `sched_setaffinity`. A failure is reported, never fatal.

/// The CPUs this process may run on.
pub fn allowed_cpus() -> Vec<usize> {
    // SAFETY: an all-zero cpu_set_t is a valid empty set; sched_getaffinity fills it.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: `set` is writable and its size is passed.
    let r = unsafe { libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) };
    if r != 0 {
        return vec![0];
    }
    // SAFETY: CPU_ISSET only reads the set.
    (0..libc::CPU_SETSIZE as usize).filter(|&c| unsafe { libc::CPU_ISSET(c, &set) }).collect()
}

/// Pins the calling thread to `cpu`. Threads it creates afterwards inherit the mask.
pub fn pin(cpu: usize) -> Result<(), String> {
    if cpu >= libc::CPU_SETSIZE as usize {
        return Err(format!("cpu {cpu} out of range"));
    }
    // SAFETY: an all-zero cpu_set_t is a valid empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: CPU_SET writes inside the set; `cpu` is below CPU_SETSIZE (checked above).
    unsafe { libc::CPU_SET(cpu, &mut set) };
    // SAFETY: `set` is a valid cpu set; 0 names the calling thread.
    let r = unsafe { libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) };
    if r == 0 {
        Ok(())
    } else {
        Err(format!("sched_setaffinity(cpu {cpu}): {}", std::io::Error::last_os_error()))
    }
}

/// Makes the process `cmd` starts (and its children) run on `cpu` only: the affinity is set
/// between fork and exec. A failure leaves the process unpinned.
pub fn pin_command(cmd: &mut std::process::Command, cpu: usize) {
    use std::os::unix::process::CommandExt;
    // SAFETY: the closure only calls sched_setaffinity, which is async-signal-safe, on memory
    // of its own stack; CPU_SET writes inside the set when `cpu` < CPU_SETSIZE (checked).
    unsafe {
        cmd.pre_exec(move || {
            if cpu < libc::CPU_SETSIZE as usize {
                let mut set: libc::cpu_set_t = std::mem::zeroed();
                libc::CPU_SET(cpu, &mut set);
                libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
            }
            Ok(())
        });
    }
}

/// Which CPUs producers and consumers use: the first two allowed ones (both the same on a
/// one-CPU machine, where pinning buys nothing).
#[derive(Clone, Copy, Debug)]
pub struct Placement {
    /// CPU of the producer threads.
    pub producer: usize,
    /// CPU of the consumer threads (and of the threads loggers start).
    pub consumer: usize,
}

extern "C" {
    /// bench/line-round-trip.c: the mean round trip of a cache line between two CPUs, ns, or
    /// a negative value when a thread cannot be pinned.
    fn bench_line_round_trip_ns(a: libc::c_int, b: libc::c_int) -> f64;
}

impl Placement {
    /// How long a cache line takes from the producer's CPU to the consumer's and back (ns),
    /// measured now (20-100 ms); `None` with one CPU or when pinning fails. On a VM it changes
    /// as the host moves the CPUs, and the tails of the latency runs with it.
    pub fn line_round_trip_ns(&self) -> Option<f64> {
        if self.producer == self.consumer {
            return None;
        }
        let (a, b) = (self.producer as libc::c_int, self.consumer as libc::c_int);
        // SAFETY: the probe takes two CPU numbers and touches nothing of ours; it is not
        // reentrant, and the parent calls it from one thread only.
        let ns = unsafe { bench_line_round_trip_ns(a, b) };
        (ns >= 0.0).then_some(ns)
    }

    /// The default placement for this machine.
    pub fn detect() -> Placement {
        let cpus = allowed_cpus();
        let producer = cpus.first().copied().unwrap_or(0);
        let consumer = cpus.get(1).copied().unwrap_or(producer);
        Placement { producer, consumer }
    }
}
