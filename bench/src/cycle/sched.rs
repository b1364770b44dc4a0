//! Real-time scheduling of the control thread: `SCHED_FIFO` at a fixed priority, as a control
//! loop runs in production. Refused without CAP_SYS_NICE or an RLIMIT_RTPRIO; the loop then runs
//! under the normal scheduler and the report says so.

/// Moves the calling thread to `SCHED_FIFO` at `priority`; Err is the system's reason for
/// refusing.
pub fn set_fifo(priority: i32) -> Result<(), String> {
    let param = libc::sched_param { sched_priority: priority };
    // SAFETY: pthread_self() names the calling thread; `param` is a valid sched_param.
    let r = unsafe { libc::pthread_setschedparam(libc::pthread_self(), libc::SCHED_FIFO, &param) };
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::from_raw_os_error(r).to_string())
    }
}

/// Sleeps until `CLOCK_MONOTONIC` reaches `deadline_ns` (absolute, so a late wake-up does not
/// shift the next period), resuming after a signal.
pub fn sleep_until(deadline_ns: u64) {
    let ts = libc::timespec {
        tv_sec: (deadline_ns / 1_000_000_000) as libc::time_t,
        tv_nsec: (deadline_ns % 1_000_000_000) as libc::c_long,
    };
    // SAFETY: `ts` is a valid timespec; the remaining-time pointer may be NULL with
    // TIMER_ABSTIME.
    while unsafe {
        libc::clock_nanosleep(libc::CLOCK_MONOTONIC, libc::TIMER_ABSTIME, &ts, std::ptr::null_mut())
    } == libc::EINTR
    {}
}
