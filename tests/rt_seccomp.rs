//! The RT contract, system-call part: after `start`, `publish` and `tick` make no system call
//! at all — on the accepting path, the full-ring path, every normal-stream overflow policy and
//! the refusal paths, through the Rust API and the C ABI alike. No syscall also means no futex,
//! so no lock that can block, and no mmap/brk, so no allocator slow path.
//!
//! How: the test binary runs itself again as a child (`RTLOG_SECCOMP_CHILD` selects the role;
//! [`seccomp_child`] is a no-op without it). The child sets up its loggers (INIT, background
//! writer and supervisor threads running), then starts one RT thread, which installs a
//! seccomp-BPF filter on itself only (no TSYNC: the other threads keep running normally) that
//! allows `write` (to report), `exit`, `exit_group` and `rt_sigreturn` and kills the whole
//! process on any other system call. The RT thread then publishes 1,000,000 records and ticks
//! 100,000 times, writes one result line with a raw `write(2)`, and ends the process with a raw
//! `exit_group(0)` — nothing of the thread's own teardown (munmap, futex wake) runs after the
//! filter. The parent asserts a clean exit and the counts in the result line.
//!
//! Variants: the default clock (rdtsc where the TSC is invariant), `RTLOG_CLOCK=monotonic`
//! (vDSO `clock_gettime`) and `RTLOG_NO_MEMBARRIER=1` (publish fences with a locked swap).
//! Before them a probe child checks whether this machine's clock source lets the vDSO serve
//! `clock_gettime` without a system call; where it does not (e.g. the `hpet` or `acpi_pm`
//! clock sources), `clock_gettime` is allowed for the variants that read it, and the test says
//! so: that is the kernel's fallback, outside rtlog's control.
//!
//! An allocation is not always a system call (malloc's thread cache serves most), so the test
//! binary's global allocator makes one (`brk`) for every allocator call on the filtered thread:
//! an allocation on the RT path fails here deterministically too (see [`SyscallOnAlloc`]).
//!
//! When the child dies of SIGSYS, the parent runs the same variant again with a trapping
//! filter whose SIGSYS handler reports the system call's number and address, and fails with
//! that.
#![cfg(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "aarch64")))]

mod common;
use common::{messages, TempDir};
use rtlog::backend::BackendKind;
use rtlog::config::Overflow;
use rtlog::ffi::logger::rtlog_logger;
use rtlog::ffi::producer::rtlog_producer;
use rtlog::ffi::{self, rtlog_status, RawStream};
use rtlog::{Config, Durability, Logger, Producer, Status, Stream};
use std::ffi::CString;
use std::io::Write as _;
use std::os::unix::process::ExitStatusExt;
use std::process::Command;

/// Environment variable that selects the child role, and its values.
const ROLE: &str = "RTLOG_SECCOMP_CHILD";
const ROLE_RUN: &str = "run";
const ROLE_CLOCK_PROBE: &str = "clock-probe";
const ROLE_YIELD: &str = "yield";
const ROLE_ALLOC: &str = "alloc";
/// Set by the parent: the child also allows `clock_gettime` (vDSO falls back to a syscall).
const ALLOW_CLOCK: &str = "RTLOG_SECCOMP_ALLOW_CLOCK";
/// Set by the parent: trap instead of kill, and name the system call.
const TRAP: &str = "RTLOG_SECCOMP_TRAP";
/// Set by the parent: the directory for the file-backend loggers.
const DIR: &str = "RTLOG_SECCOMP_DIR";

const RESULT: &str = "RTLOG-SECCOMP-RESULT";
const TRAPPED: &str = "RTLOG-SECCOMP-TRAPPED";

/// Records published by the RT thread, and ticks it makes, per run.
const PUBLISHES: u64 = 1_000_000;
const TICKS: u64 = 100_000;
/// Iterations per block: ticking in the first half, none in the second (see `rt_loop`).
const BLOCK: u64 = 10_000;
const MAX_RECORD: u32 = 64;

// ---- allocations count as system calls on the filtered thread ------------------------------

thread_local! {
    /// Set on the filtered thread once its filter is installed.
    static FILTERED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The system allocator, except that on the filtered thread every call first makes the system
/// call an allocator makes on its slow path (`brk`), which the filter kills. Without this, an
/// allocation served from malloc's thread cache would make no system call in this run and pass,
/// although the same call can `brk`, `mmap`, `munmap` or wait on the arena's futex in another
/// run. So an allocation on the RT path fails this test deterministically (as it fails
/// `tests/rt_alloc.rs`), named as `brk`.
struct SyscallOnAlloc;

fn alloc_is_a_syscall() {
    // `try_with`: the allocator may run while thread-locals are being torn down.
    if FILTERED.try_with(|f| f.get()).unwrap_or(false) {
        // SAFETY: brk(0) only queries the program break.
        unsafe { libc::syscall(libc::SYS_brk, 0) };
    }
}

// SAFETY: forwards every call to the system allocator unchanged; the hook touches only a
// const-initialised thread-local, which never allocates.
unsafe impl std::alloc::GlobalAlloc for SyscallOnAlloc {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        alloc_is_a_syscall();
        // SAFETY: same contract as ours.
        unsafe { std::alloc::System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        alloc_is_a_syscall();
        // SAFETY: same contract as ours.
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        alloc_is_a_syscall();
        // SAFETY: same contract as ours.
        unsafe { std::alloc::System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, size: usize) -> *mut u8 {
        alloc_is_a_syscall();
        // SAFETY: same contract as ours.
        unsafe { std::alloc::System.realloc(ptr, layout, size) }
    }
}

#[global_allocator]
static ALLOC: SyscallOnAlloc = SyscallOnAlloc;

// ---- the seccomp filter --------------------------------------------------------------------

#[cfg(target_arch = "x86_64")]
const AUDIT_ARCH: u32 = 0xC000_003E; // AUDIT_ARCH_X86_64
#[cfg(target_arch = "aarch64")]
const AUDIT_ARCH: u32 = 0xC000_00B7; // AUDIT_ARCH_AARCH64

const SECCOMP_SET_MODE_FILTER: libc::c_long = 1;
const SECCOMP_RET_KILL_PROCESS: u32 = 0x8000_0000;
const SECCOMP_RET_TRAP: u32 = 0x0003_0000;
const SECCOMP_RET_ALLOW: u32 = 0x7fff_0000;
/// Offsets in `struct seccomp_data`.
const DATA_NR: u32 = 0;
const DATA_ARCH: u32 = 4;

const BPF_LD_W_ABS: u16 = 0x20; // BPF_LD (0) | BPF_W (0) | BPF_ABS (0x20)
const BPF_JMP_JEQ_K: u16 = 0x15; // BPF_JMP (5) | BPF_JEQ (0x10) | BPF_K (0)
const BPF_RET_K: u16 = 0x06; // BPF_RET (6) | BPF_K (0)

fn stmt(code: u16, k: u32) -> libc::sock_filter {
    libc::sock_filter { code, jt: 0, jf: 0, k }
}

fn jeq(k: u32, jt: u8, jf: u8) -> libc::sock_filter {
    libc::sock_filter { code: BPF_JMP_JEQ_K, jt, jf, k }
}

/// The filter program: right architecture, and one of `allowed`, or `deny`.
fn filter_program(allowed: &[libc::c_long], deny: u32) -> Vec<libc::sock_filter> {
    let n = allowed.len();
    assert!(n < 250);
    let mut prog = vec![
        stmt(BPF_LD_W_ABS, DATA_ARCH),
        // Wrong architecture (e.g. a 32-bit syscall entry): deny, skipping the whole list.
        jeq(AUDIT_ARCH, 0, (n + 2) as u8),
        stmt(BPF_LD_W_ABS, DATA_NR),
    ];
    for (i, &nr) in allowed.iter().enumerate() {
        // Match: jump to the ALLOW after the DENY; no match: next comparison.
        prog.push(jeq(nr as u32, (n - i) as u8, 0));
    }
    prog.push(stmt(BPF_RET_K, deny));
    prog.push(stmt(BPF_RET_K, SECCOMP_RET_ALLOW));
    prog
}

/// Installs the filter on the calling thread only (no `SECCOMP_FILTER_FLAG_TSYNC`). `prog` is
/// built before, so that nothing here allocates; the calls are the last syscalls the thread
/// makes besides `write` and `exit_group`.
fn install_filter(prog: &mut [libc::sock_filter]) -> Result<(), i32> {
    let fprog = libc::sock_fprog { len: prog.len() as u16, filter: prog.as_mut_ptr() };
    // SAFETY: plain prctl and seccomp calls; `fprog` points to a valid program that outlives
    // the call (the kernel copies it).
    unsafe {
        if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
            return Err(*libc::__errno_location());
        }
        if libc::syscall(libc::SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) != 0 {
            return Err(*libc::__errno_location());
        }
    }
    Ok(())
}

/// `write(2)` of the whole buffer with the raw syscall (allowed by the filter).
fn raw_write(fd: i32, mut buf: &[u8]) {
    while !buf.is_empty() {
        // SAFETY: `buf` is valid for `buf.len()` bytes.
        let n = unsafe { libc::syscall(libc::SYS_write, fd, buf.as_ptr(), buf.len()) };
        if n <= 0 {
            return;
        }
        buf = &buf[n as usize..];
    }
}

/// Ends the process at once with the raw `exit_group` (allowed by the filter): no atexit
/// handlers, no thread teardown, nothing that could make another system call.
fn raw_exit_group(code: i32) -> ! {
    // SAFETY: exit_group does not return.
    unsafe { libc::syscall(libc::SYS_exit_group, code) };
    unreachable!("exit_group returned")
}

/// The system calls the filter allows: reporting and ending, nothing else.
fn allowed_syscalls(allow_clock: bool) -> Vec<libc::c_long> {
    let mut v = vec![libc::SYS_write, libc::SYS_exit, libc::SYS_exit_group, libc::SYS_rt_sigreturn];
    if allow_clock {
        v.push(libc::SYS_clock_gettime);
    }
    v
}

/// Trap mode's SIGSYS handler: names the system call and its address, then ends the process.
extern "C" fn on_sigsys(_sig: libc::c_int, info: *mut libc::siginfo_t, _ctx: *mut libc::c_void) {
    // SAFETY: for SIGSYS the kernel fills `_sigsys` of the siginfo union: after si_signo,
    // si_errno, si_code (and padding to 16 bytes) come `void *_call_addr` and `int _syscall`.
    let (addr, nr) = unsafe {
        let p = info.cast::<u8>();
        (p.add(16).cast::<usize>().read(), p.add(24).cast::<i32>().read())
    };
    let mut buf = [0u8; 128];
    let mut w = &mut buf[..];
    let _ = writeln!(w, "{TRAPPED} syscall={nr} addr={addr:#x}");
    let len = 128 - w.len();
    raw_write(1, &buf[..len]);
    raw_exit_group(3);
}

fn install_sigsys_handler() {
    // SAFETY: installs a handler that only makes raw write and exit_group calls.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_sigsys as *const () as usize;
        sa.sa_flags = libc::SA_SIGINFO;
        assert_eq!(libc::sigaction(libc::SIGSYS, &sa, std::ptr::null_mut()), 0);
    }
}

// ---- the child -----------------------------------------------------------------------------

/// The child role; does nothing in a normal test run.
#[test]
fn seccomp_child() {
    match std::env::var(ROLE).as_deref() {
        Ok(ROLE_RUN) => child_run(),
        Ok(ROLE_CLOCK_PROBE) => child_clock_probe(),
        Ok(ROLE_YIELD) => on_filtered_thread(|| {
            std::thread::yield_now();
            raw_write(1, format_args_buf(format_args!("{RESULT} survived\n")).as_slice());
            raw_exit_group(0)
        }),
        Ok(ROLE_ALLOC) => on_filtered_thread(|| {
            drop(std::hint::black_box(Box::new(7u64)));
            raw_write(1, format_args_buf(format_args!("{RESULT} survived\n")).as_slice());
            raw_exit_group(0)
        }),
        _ => {}
    }
}

/// Runs `body` on a fresh thread that first installs the filter; `body` ends the process (if it
/// returns, the process exits with status 4).
fn on_filtered_thread(body: impl FnOnce() + Send) -> ! {
    let trap = std::env::var_os(TRAP).is_some();
    let mut prog = filter_program(
        &allowed_syscalls(std::env::var_os(ALLOW_CLOCK).is_some()),
        if trap { SECCOMP_RET_TRAP } else { SECCOMP_RET_KILL_PROCESS },
    );
    if trap {
        install_sigsys_handler();
    }
    std::thread::scope(|s| {
        s.spawn(move || {
            if let Err(errno) = install_filter(&mut prog) {
                let mut buf = [0u8; 96];
                let mut w = &mut buf[..];
                let _ = writeln!(w, "{RESULT} unsupported errno={errno}");
                let len = 96 - w.len();
                raw_write(1, &buf[..len]);
                raw_exit_group(0);
            }
            FILTERED.with(|f| f.set(true));
            body();
            raw_exit_group(4)
        });
    });
    unreachable!("the filtered thread ends the process")
}

fn child_clock_probe() {
    on_filtered_thread(|| {
        let mut sum = 0u64;
        for _ in 0..1000 {
            sum = sum.wrapping_add(rtlog::clock::monotonic_ns());
        }
        std::hint::black_box(sum);
        raw_write(1, format_args_buf(format_args!("{RESULT} clock=vdso\n")).as_slice());
        raw_exit_group(0)
    });
}

/// Formats into a stack buffer (no allocation).
struct StackBuf {
    buf: [u8; 4096],
    len: usize,
}

impl StackBuf {
    fn as_slice(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

fn format_args_buf(args: std::fmt::Arguments<'_>) -> StackBuf {
    let mut b = StackBuf { buf: [0; 4096], len: 0 };
    let mut w = &mut b.buf[..];
    let _ = w.write_fmt(args);
    b.len = 4096 - w.len();
    b
}

/// Which API a target is driven through.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Api {
    Rust,
    C,
}

/// One logger with two producers, driven through one API.
struct Target<'a> {
    name: &'static str,
    api: Api,
    rust: Option<&'a Logger>,
    c: *mut rtlog_logger,
    producers: [*mut Producer; 2],
    /// Outcomes per stream: [ok, full, other].
    out: [[u64; 3]; 2],
    publishes: u64,
    /// Log messages published (one per record), and their outcomes.
    messages: u64,
    msg_out: messages::Outcomes,
    /// Outcomes of the messages passed in registers (one per record).
    words_out: messages::Outcomes,
}

// SAFETY: the raw pointers are a live C logger handle and live producer handles; the RT thread
// is the only thread that uses the producers, and the logger functions it calls may be called
// from any thread.
unsafe impl Send for Target<'_> {}

fn policies() -> [(&'static str, Overflow); 4] {
    [
        ("drop_newest", Overflow::DropNewest),
        ("overwrite_oldest", Overflow::OverwriteOldest),
        ("sample", Overflow::Sample),
        ("disable", Overflow::Disable),
    ]
}

fn base_config(dir: std::path::PathBuf, policy: Overflow, file: bool) -> Config {
    let mut c = Config::new(dir);
    c.backend = if file { BackendKind::File } else { BackendKind::Null };
    c.durability = Durability::None;
    c.max_producers = 2;
    c.max_record_size = MAX_RECORD;
    c.critical_depth = 16;
    c.normal_depth = 64;
    // Small on purpose: the ticks cannot keep up, so every ring also takes the full path.
    c.dispatch_budget = 4;
    c.normal_overflow = policy;
    c
}

fn child_run() {
    let base = std::path::PathBuf::from(std::env::var_os(DIR).expect("RTLOG_SECCOMP_DIR"));
    let mut rust_loggers = Vec::new();
    let mut c_targets: Vec<(&'static str, *mut rtlog_logger, [*mut Producer; 2])> = Vec::new();
    for (name, policy) in policies() {
        // The drop-newest loggers write real files, so that a writer thread does real I/O
        // (system calls) while the RT thread runs; the others use the null backend.
        let file = policy == Overflow::DropNewest;
        let cfg = base_config(base.join(format!("{name}-rust")), policy, file);
        match Logger::init(cfg.clone()) {
            Ok(lg) => {
                let ps = [lg.create_producer("a").unwrap(), lg.create_producer("b").unwrap()];
                lg.start().unwrap();
                rust_loggers.push((name, lg, ps.map(|p| p.as_ptr())));
            }
            Err(e) => panic!("{name}: {e:?}"),
        }
        let dir = CString::new(base.join(format!("{name}-c")).to_str().unwrap()).unwrap();
        // SAFETY: plain C API use with valid pointers, as a C program would do it.
        unsafe {
            let mut c: ffi::rtlog_config = std::mem::zeroed();
            ffi::logger::rtlog_config_init(&mut c, std::mem::size_of_val(&c));
            c.dir = dir.as_ptr();
            c.backend = ffi::RawBackend(cfg.backend as u32);
            c.durability = ffi::RawDurability(Durability::None as u32);
            c.max_producers = cfg.max_producers;
            c.max_record_size = cfg.max_record_size;
            c.critical_depth = cfg.critical_depth;
            c.normal_depth = cfg.normal_depth;
            c.dispatch_budget = cfg.dispatch_budget;
            c.normal_overflow = ffi::RawOverflow(policy as u32);
            let mut lg = std::ptr::null_mut();
            assert_eq!(ffi::logger::rtlog_init(&c, &mut lg), rtlog_status::RTLOG_OK, "{name}");
            let mut ps: [*mut rtlog_producer; 2] = [std::ptr::null_mut(); 2];
            for (p, n) in ps.iter_mut().zip([c"a", c"b"]) {
                assert_eq!(
                    ffi::logger::rtlog_producer_create(lg, n.as_ptr(), p),
                    rtlog_status::RTLOG_OK
                );
            }
            assert_eq!(ffi::logger::rtlog_start(lg), rtlog_status::RTLOG_OK);
            c_targets.push((name, lg, ps.map(|p| p.cast::<Producer>())));
        }
    }
    let mut targets: Vec<Target<'_>> = Vec::new();
    for (name, lg, ps) in &rust_loggers {
        targets.push(Target {
            name,
            api: Api::Rust,
            rust: Some(lg),
            c: std::ptr::null_mut(),
            producers: *ps,
            out: [[0; 3]; 2],
            publishes: 0,
            messages: 0,
            msg_out: messages::Outcomes::default(),
            words_out: messages::Outcomes::default(),
        });
    }
    for &(name, lg, ps) in &c_targets {
        targets.push(Target {
            name,
            api: Api::C,
            rust: None,
            c: lg,
            producers: ps,
            out: [[0; 3]; 2],
            publishes: 0,
            messages: 0,
            msg_out: messages::Outcomes::default(),
            words_out: messages::Outcomes::default(),
        });
    }
    let tsc = rtlog::clock::calibration().uses_tsc();
    // Built (and leaked) before the filter: the call sites live as long as the program.
    let kit = messages::Kinds::new();
    on_filtered_thread(move || rt_loop(targets, &kit, tsc));
}

/// The RT thread's work after the filter is installed. Touches only memory prepared in INIT
/// and the stack; ends the process.
fn rt_loop(mut targets: Vec<Target<'_>>, kit: &messages::Kinds, tsc: bool) -> ! {
    let payload = [0xa5u8; MAX_RECORD as usize + 1];
    let n = targets.len() as u64;
    let (mut ticks, mut tick_errors, mut moved) = (0u64, 0u64, 0u64);
    let (mut too_large, mut invalid) = (0u64, 0u64);
    let mut sink = 0u64;
    for i in 0..PUBLISHES {
        let t = &mut targets[(i % n) as usize];
        let p = t.producers[((i / n) % 2) as usize];
        let stream = if i % 5 == 0 { Stream::Critical } else { Stream::Normal };
        let len = (i % (u64::from(MAX_RECORD) + 1)) as usize;
        let ok_full_other = match t.api {
            // SAFETY: `p` is a live producer handle used by this thread only.
            Api::Rust => match unsafe { &mut *p }.publish(stream, i as u16, &payload[..len]) {
                Status::Ok => 0,
                Status::Full => 1,
                _ => 2,
            },
            // SAFETY: as above; the payload has `len` readable bytes.
            Api::C => match unsafe {
                ffi::producer::rtlog_publish(
                    p.cast(),
                    RawStream(stream as u32),
                    i as u16,
                    payload.as_ptr().cast(),
                    len as u32,
                )
            } {
                rtlog_status::RTLOG_OK => 0,
                rtlog_status::RTLOG_ERR_FULL => 1,
                _ => 2,
            },
        };
        t.out[stream as usize][ok_full_other] += 1;
        t.publishes += 1;
        // A log message of every argument kind in turn, strings (one cut) and the filtered
        // path included, through `Producer::publish_message` or `rtlog_publish_message`.
        match t.api {
            // SAFETY: as above.
            Api::Rust => kit.publish(unsafe { &mut *p }, t.messages, &mut t.msg_out),
            Api::C => kit.publish_c(p, t.messages, &mut t.msg_out),
        }
        // And one passed in registers (`publish_message_words`).
        match t.api {
            // SAFETY: as above.
            Api::Rust => kit.publish_words(unsafe { &mut *p }, t.messages, &mut t.words_out),
            Api::C => kit.publish_words_c(p, t.messages, &mut t.words_out),
        }
        t.messages += 1;

        // Refusal paths and the other RT-safe calls, now and then.
        if i % 1000 == 7 {
            // SAFETY: as above.
            let s = unsafe { &mut *p }.publish(Stream::Normal, 0, &payload[..]);
            too_large += u64::from(s == Status::TooLarge);
            // SAFETY: as above; an unknown stream and a NULL payload must be refused.
            unsafe {
                let s = ffi::producer::rtlog_publish(
                    p.cast(),
                    RawStream(9),
                    0,
                    payload.as_ptr().cast(),
                    1,
                );
                invalid += u64::from(s == rtlog_status::RTLOG_ERR_INVALID_ARGUMENT);
                let s =
                    ffi::producer::rtlog_publish(p.cast(), RawStream(0), 0, std::ptr::null(), 4);
                invalid += u64::from(s == rtlog_status::RTLOG_ERR_INVALID_ARGUMENT);
                let s = ffi::producer::rtlog_publish(
                    p.cast(),
                    RawStream(1),
                    0,
                    payload.as_ptr().cast(),
                    MAX_RECORD + 1,
                );
                too_large += u64::from(s == rtlog_status::RTLOG_ERR_TOO_LARGE);
                sink = sink.wrapping_add(ffi::producer::rtlog_producer_durable_count(
                    p.cast(),
                    RawStream(0),
                ));
                if !t.c.is_null() {
                    sink = sink.wrapping_add(ffi::logger::rtlog_get_state(t.c) as u64);
                }
            }
            if let Some(lg) = t.rust {
                sink = sink.wrapping_add(lg.state() as u64);
            }
        }

        // Ticks: one every 5 iterations in the first half of each block, none in the second,
        // so that the rings fill up (critical ones included) and drain again.
        if i % BLOCK < BLOCK / 2 && i % 5 == 4 {
            let t = &targets[(ticks % n) as usize];
            match t.api {
                Api::Rust => match t.rust.unwrap().tick() {
                    Ok(m) => moved += u64::from(m),
                    Err(_) => tick_errors += 1,
                },
                Api::C => {
                    let mut m = 0u32;
                    // SAFETY: a live logger handle; `m` is writable.
                    let s = unsafe { ffi::logger::rtlog_tick(t.c, &mut m) };
                    if s == rtlog_status::RTLOG_OK {
                        moved += u64::from(m);
                    } else {
                        tick_errors += 1;
                    }
                }
            }
            ticks += 1;
        }
    }
    std::hint::black_box(sink);

    let mut b = StackBuf { buf: [0; 4096], len: 0 };
    let mut w = &mut b.buf[..];
    let _ = write!(
        w,
        "{RESULT} tsc={} publishes={PUBLISHES} ticks={ticks} tick_errors={tick_errors} \
         moved={moved} too_large={too_large} invalid={invalid}",
        tsc as u8
    );
    for t in &targets {
        let api = if t.api == Api::Rust { "rust" } else { "c" };
        let [c, nm] = t.out;
        // Records the producers counted as dropped on the normal stream: the refusals, or
        // under OVERWRITE_OLDEST the records reclaimed (one relaxed load each, no syscall).
        // SAFETY: live producer handles, used by this thread only.
        let dropped: u64 =
            t.producers.iter().map(|&p| unsafe { &*p }.dropped(Stream::Normal)).sum();
        let m = &t.msg_out;
        let _ = write!(
            w,
            " | {}/{api} n={} c_ok={} c_full={} c_other={} n_ok={} n_full={} n_other={} \
             n_dropped={dropped} m_n={} m_ok={} m_full={} m_full_c={} m_filtered={} m_other={} \
             w_ok={} w_full={} w_other={}",
            t.name,
            t.publishes,
            c[0],
            c[1],
            c[2],
            nm[0],
            nm[1],
            nm[2],
            t.messages,
            m.ok,
            m.full,
            m.full_critical,
            m.filtered,
            m.other,
            t.words_out.ok,
            t.words_out.full,
            t.words_out.other
        );
    }
    let _ = writeln!(w);
    b.len = 4096 - w.len();
    raw_write(1, b.as_slice());
    raw_exit_group(0)
}

// ---- the parent ----------------------------------------------------------------------------

/// What a child run ended with.
struct Outcome {
    status: std::process::ExitStatus,
    result: Option<String>,
    trapped: Option<String>,
    output: String,
}

fn run_child(role: &str, envs: &[(&str, &str)], dir: &std::path::Path) -> Outcome {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", "seccomp_child", "--nocapture", "--test-threads=1"])
        .env(ROLE, role)
        .env(DIR, dir)
        .env_remove("RTLOG_CLOCK")
        .env_remove("RTLOG_NO_MEMBARRIER")
        .env_remove(ALLOW_CLOCK)
        .env_remove(TRAP);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run the child");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    // The tag may follow libtest's "test seccomp_child ... " on the same line.
    let line = |tag: &str| {
        stdout.lines().find_map(|l| l.find(tag).map(|at| l[at + tag.len()..].to_owned()))
    };
    Outcome {
        status: out.status,
        result: line(RESULT),
        trapped: line(TRAPPED),
        output: format!("{stdout}{}", String::from_utf8_lossy(&out.stderr)),
    }
}

fn syscall_name(nr: libc::c_long) -> &'static str {
    let names: &[(libc::c_long, &str)] = &[
        (libc::SYS_futex, "futex (a lock or a thread join/park)"),
        (libc::SYS_mmap, "mmap (an allocation)"),
        (libc::SYS_munmap, "munmap (a deallocation)"),
        (libc::SYS_brk, "brk (an allocation: see SyscallOnAlloc)"),
        (libc::SYS_madvise, "madvise"),
        (libc::SYS_sched_yield, "sched_yield"),
        (libc::SYS_clock_gettime, "clock_gettime (the vDSO fell back to the syscall)"),
        (libc::SYS_membarrier, "membarrier"),
        (libc::SYS_getrandom, "getrandom"),
        (libc::SYS_openat, "openat"),
        (libc::SYS_read, "read"),
        (libc::SYS_nanosleep, "nanosleep"),
        (libc::SYS_clock_nanosleep, "clock_nanosleep"),
        (libc::SYS_rt_sigprocmask, "rt_sigprocmask"),
        (libc::SYS_sigaltstack, "sigaltstack"),
    ];
    names.iter().find(|(n, _)| *n == nr).map_or("?", |(_, s)| s)
}

/// Parses `key=value` words into a lookup.
fn field(section: &str, key: &str) -> u64 {
    section
        .split_whitespace()
        .find_map(|w| w.strip_prefix(key).and_then(|r| r.strip_prefix('=')))
        .unwrap_or_else(|| panic!("no {key}= in {section:?}"))
        .parse()
        .unwrap()
}

/// Runs one variant and checks everything the result line says.
fn check_variant(label: &str, envs: &[(&str, &str)]) {
    let dir = TempDir::new("seccomp");
    let o = run_child(ROLE_RUN, envs, &dir.0);
    if o.status.signal() == Some(libc::SIGSYS) {
        // Run again with a trapping filter to name the system call.
        let mut trap_envs = envs.to_vec();
        trap_envs.push((TRAP, "1"));
        let again = run_child(ROLE_RUN, &trap_envs, &TempDir::new("seccomp-trap").0);
        let what = match again.trapped.as_deref() {
            Some(t) => {
                let nr: libc::c_long = t
                    .split_whitespace()
                    .find_map(|w| w.strip_prefix("syscall="))
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(-1);
                format!("system call {nr} = {} ({t})", syscall_name(nr))
            }
            None => format!("not identified; trap run: {:?}\n{}", again.status, again.output),
        };
        panic!(
            "[{label}] the RT thread made a system call and seccomp killed the process \
             (SIGSYS): {what}\nchild output:\n{}",
            o.output
        );
    }
    assert!(
        o.status.success(),
        "[{label}] the child did not exit cleanly: {:?}\n{}",
        o.status,
        o.output
    );
    let result = o.result.unwrap_or_else(|| panic!("[{label}] no result line:\n{}", o.output));
    if let Some(errno) = result.trim().strip_prefix("unsupported errno=") {
        // Only a kernel without seccomp filters gets here (CONFIG_SECCOMP_FILTER=n).
        println!("SKIP [{label}]: seccomp filters are not available (errno {errno})");
        return;
    }
    println!("[{label}] {result}");
    for line in o.output.lines().filter_map(|l| l.find("note:").map(|at| &l[at..])) {
        println!("[{label}] {line}");
    }
    let mut sections = result.split(" | ");
    let head = sections.next().unwrap();
    assert_eq!(field(head, "publishes"), PUBLISHES, "[{label}]");
    assert_eq!(field(head, "ticks"), TICKS, "[{label}] ticks");
    assert_eq!(field(head, "tick_errors"), 0, "[{label}] ticks that failed");
    let rounds = PUBLISHES / 1000;
    assert_eq!(field(head, "too_large"), 2 * rounds, "[{label}] too-large refusals");
    assert_eq!(field(head, "invalid"), 2 * rounds, "[{label}] invalid-argument refusals");
    assert!(field(head, "moved") > 0, "[{label}] ticks moved records");
    let mut total = 0;
    let mut names = Vec::new();
    for s in sections {
        let name = s.split_whitespace().next().unwrap().to_owned();
        let n = field(s, "n");
        let (c_ok, c_full) = (field(s, "c_ok"), field(s, "c_full"));
        let (n_ok, n_full) = (field(s, "n_ok"), field(s, "n_full"));
        assert_eq!(field(s, "c_other") + field(s, "n_other"), 0, "[{label}] {name}: {s}");
        assert_eq!(c_ok + c_full + n_ok + n_full, n, "[{label}] {name}: {s}");
        assert!(c_ok > 0 && n_ok > 0, "[{label}] {name}: the accepting path ran: {s}");
        assert!(c_full > 0, "[{label}] {name}: the critical full-ring path ran: {s}");
        let n_dropped = field(s, "n_dropped");
        // Messages: one per record; every kind ran, each accepted, refused or filtered.
        let m_n = field(s, "m_n");
        let (m_ok, m_full, m_filtered) =
            (field(s, "m_ok"), field(s, "m_full"), field(s, "m_filtered"));
        let m_full_normal = m_full - field(s, "m_full_c");
        assert_eq!(m_n, n, "[{label}] {name}: {s}");
        assert_eq!(field(s, "m_other"), 0, "[{label}] {name}: {s}");
        assert_eq!(m_filtered, (m_n + 1) / 4, "[{label}] {name}: the filtered path: {s}");
        assert_eq!(m_ok + m_full + m_filtered, m_n, "[{label}] {name}: {s}");
        assert!(m_ok > 0 && m_full > 0, "[{label}] {name}: messages accepted and refused: {s}");
        assert_eq!(field(s, "w_other"), 0, "[{label}] {name}: {s}");
        assert_eq!(field(s, "w_ok") + field(s, "w_full"), m_n, "[{label}] {name}: {s}");
        // Under OVERWRITE_OLDEST the normal stream reclaims instead of refusing.
        let refuses = !name.starts_with("overwrite_oldest");
        assert!(
            field(s, "w_ok") > 0 && (field(s, "w_full") > 0) == refuses,
            "[{label}] {name}: messages in registers accepted, and refused where full: {s}"
        );
        if name.starts_with("overwrite_oldest") {
            assert_eq!(n_full, 0, "[{label}] {name}: OVERWRITE_OLDEST never refuses: {s}");
            assert_eq!(m_full_normal, 0, "[{label}] {name}: nor a message: {s}");
            assert!(n_dropped > 0, "[{label}] {name}: the reclaiming path ran: {s}");
        } else {
            assert!(n_full > 0, "[{label}] {name}: the normal full/refusal path ran: {s}");
            assert_eq!(
                n_dropped,
                n_full + m_full_normal + field(s, "w_full"),
                "[{label}] {name}: every refusal is counted: {s}"
            );
        }
        total += n;
        names.push(name);
    }
    assert_eq!(total, PUBLISHES, "[{label}]");
    for (policy, _) in policies() {
        for api in ["rust", "c"] {
            let want = format!("{policy}/{api}");
            assert!(names.contains(&want), "[{label}] {want} did not run: {names:?}");
        }
    }
}

#[test]
fn publish_and_tick_make_no_system_call() {
    // Does the vDSO serve clock_gettime without a system call on this machine?
    let probe_dir = TempDir::new("seccomp-probe");
    let probe = run_child(ROLE_CLOCK_PROBE, &[], &probe_dir.0);
    let clocksource =
        std::fs::read_to_string("/sys/devices/system/clocksource/clocksource0/current_clocksource")
            .unwrap_or_default();
    let vdso_clock = match probe.status.signal() {
        None if probe.status.success() && probe.result.as_deref() == Some(" clock=vdso") => true,
        Some(libc::SIGSYS) => false,
        _ => {
            if probe.result.as_deref().is_some_and(|r| r.contains("unsupported")) {
                println!("SKIP: seccomp filters are not available: {:?}", probe.result);
                return;
            }
            panic!("clock probe failed: {:?}\n{}", probe.status, probe.output)
        }
    };
    let allow_clock: &[(&str, &str)] = if vdso_clock {
        &[]
    } else {
        println!(
            "NOTE: with clock source {:?}, clock_gettime(CLOCK_MONOTONIC) is a real system call \
             (the vDSO falls back to it); the variants that read that clock allow it",
            clocksource.trim()
        );
        &[(ALLOW_CLOCK, "1")]
    };
    let tsc = rtlog::clock::calibration().uses_tsc();
    check_variant("default clock", if tsc { &[] } else { allow_clock });
    let mut mono = vec![("RTLOG_CLOCK", "monotonic")];
    mono.extend_from_slice(allow_clock);
    check_variant("RTLOG_CLOCK=monotonic", &mono);
    let mut no_mb = vec![("RTLOG_NO_MEMBARRIER", "1")];
    if !tsc {
        no_mb.extend_from_slice(allow_clock);
    }
    check_variant("RTLOG_NO_MEMBARRIER=1", &no_mb);
}

#[test]
fn the_filter_kills_on_a_system_call_and_an_allocation() {
    // The instrument itself must work, or a clean exit above would prove nothing: a child whose
    // filtered thread calls sched_yield, or allocates, must die of SIGSYS.
    if std::env::var_os(ROLE).is_some() {
        return;
    }
    for role in [ROLE_YIELD, ROLE_ALLOC] {
        let dir = TempDir::new("seccomp-kill");
        let o = run_child(role, &[], &dir.0);
        if o.result.as_deref().is_some_and(|r| r.contains("unsupported")) {
            println!("SKIP: seccomp filters are not available: {:?}", o.result);
            return;
        }
        assert_eq!(o.status.signal(), Some(libc::SIGSYS), "{role}: {:?}\n{}", o.status, o.output);
    }
}
