//! How busy the machine was with *other* work during each section: CPU time the whole machine
//! spent (from /proc/stat) minus the CPU time of this process and its children (getrusage).
//! The load average cannot say this: it counts the benchmark's own busy threads.

use std::time::Instant;

/// A point in time for the accounting.
#[derive(Clone, Copy)]
pub struct Snap {
    at: Instant,
    /// Busy CPU time of the whole machine, ns.
    machine_ns: f64,
    /// CPU time of this process and its waited-for children, ns.
    ours_ns: f64,
}

fn machine_busy_ns() -> f64 {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let Some(line) = stat.lines().find(|l| l.starts_with("cpu ")) else { return 0.0 };
    // user nice system idle iowait irq softirq steal ...: busy = all but idle and iowait.
    let v: Vec<f64> = line.split_whitespace().skip(1).filter_map(|x| x.parse().ok()).collect();
    let busy: f64 =
        v.iter().enumerate().filter(|(i, _)| *i != 3 && *i != 4 && *i < 8).map(|(_, x)| x).sum();
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    busy / hz * 1e9
}

fn rusage_ns(who: libc::c_int) -> f64 {
    // SAFETY: an all-zero rusage is valid; getrusage fills it.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `u` is writable.
    unsafe { libc::getrusage(who, &mut u) };
    let tv = |t: libc::timeval| t.tv_sec as f64 * 1e9 + t.tv_usec as f64 * 1e3;
    tv(u.ru_utime) + tv(u.ru_stime)
}

/// CPU time of a process not yet waited for (the dlt-daemon), ns; 0 when it is gone.
fn proc_ns(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command (which may hold spaces) start after the last ')'.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<f64> = rest.split_whitespace().filter_map(|x| x.parse().ok()).collect();
    // utime and stime are fields 14 and 15; `rest` starts at field 3 (state, not a number).
    let ticks = f.get(10).copied().unwrap_or(0.0) + f.get(11).copied().unwrap_or(0.0);
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    ticks / hz * 1e9
}

impl Snap {
    /// Now; `extra` are our own child processes still running (their time counts as ours).
    pub fn now(extra: &[u32]) -> Snap {
        Snap {
            at: Instant::now(),
            machine_ns: machine_busy_ns(),
            ours_ns: rusage_ns(libc::RUSAGE_SELF)
                + rusage_ns(libc::RUSAGE_CHILDREN)
                + extra.iter().map(|&p| proc_ns(p)).sum::<f64>(),
        }
    }

    /// Other processes' CPU use since `self`, as a share of every CPU's time (0..1).
    pub fn foreign_share(&self, cpus: usize, extra: &[u32]) -> f64 {
        let end = Snap::now(extra);
        let wall = end.at.duration_since(self.at).as_secs_f64() * 1e9 * cpus.max(1) as f64;
        let other = (end.machine_ns - self.machine_ns) - (end.ours_ns - self.ours_ns);
        (other / wall).clamp(0.0, 1.0)
    }
}
