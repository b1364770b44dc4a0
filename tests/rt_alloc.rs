//! The RT contract, allocation part: after `start`, `publish` and `tick` never allocate — on
//! the accepting path, the full-ring path and the refusal paths, through the Rust API and the
//! C ABI alike. A counting global allocator counts calls made by the test's thread only.

mod common;
use common::*;
use rtlog::ffi::{self, rtlog_status, RawStream};
use rtlog::{Status, Stream};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;

thread_local! {
    static ARMED: Cell<bool> = const { Cell::new(false) };
    static CALLS: Cell<u64> = const { Cell::new(0) };
}

fn note() {
    // `try_with`: the allocator may run while thread-locals are being torn down.
    let _ = ARMED.try_with(|armed| {
        if armed.get() {
            let _ = CALLS.try_with(|c| c.set(c.get() + 1));
        }
    });
}

// SAFETY: forwards every call to the system allocator unchanged; the counting touches only
// const-initialised thread-locals, which never allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        note();
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: same contract as ours.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note();
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Runs `f` and returns how many allocator calls this thread made meanwhile.
fn allocations_in(f: impl FnOnce()) -> u64 {
    CALLS.with(|c| c.set(0));
    ARMED.with(|a| a.set(true));
    f();
    ARMED.with(|a| a.set(false));
    CALLS.with(|c| c.get())
}

#[test]
fn the_counter_sees_allocations() {
    // The instrument itself must work, or a zero below would prove nothing.
    let n = allocations_in(|| drop(std::hint::black_box(vec![1u8; 64])));
    assert_eq!(n, 2);
}

#[test]
fn publish_and_tick_never_allocate_after_start() {
    let dir = TempDir::new("alloc");
    let mut c = config(&dir);
    c.critical_depth = 64;
    c.normal_depth = 256;
    c.dispatch_budget = 32;
    let (lg, ps) = start(c, &["a", "b"]);
    let (a, b) = (producer(ps[0]), producer(ps[1]));
    let payload = [0x5au8; 256];
    let mut outcomes = [0u64; 3];
    const N: u32 = 1_000_000;
    let n = allocations_in(|| {
        for i in 0..N {
            let stream = if i % 4 == 0 { Stream::Critical } else { Stream::Normal };
            let len = (i % 257) as usize;
            let s = a.publish(stream, i as u16, &payload[..len]);
            outcomes[(s == Status::Full) as usize] += 1;
            // The C entry points too, including refusals.
            // SAFETY: `b` is a live producer handle used by this thread only.
            let raw = unsafe {
                ffi::producer::rtlog_publish(
                    (b as *mut rtlog::Producer).cast(),
                    RawStream(i % 2),
                    7,
                    payload.as_ptr().cast(),
                    i % 300,
                )
            };
            if raw == rtlog_status::RTLOG_ERR_TOO_LARGE {
                outcomes[2] += 1;
            }
            if i % 3 == 0 {
                lg.tick().unwrap();
            }
        }
    });
    assert_eq!(n, 0, "publish/tick allocated {n} times");
    assert!(
        outcomes[0] > 0 && outcomes[1] > 0,
        "both the accepting and the full path ran: {outcomes:?}"
    );
    assert!(outcomes[2] > 0, "the too-large path ran");
    lg.shutdown().unwrap();
}

#[test]
fn c_tick_and_publish_never_allocate() {
    let dir = TempDir::new("alloc-c");
    let path = std::ffi::CString::new(dir.0.to_str().unwrap()).unwrap();
    // SAFETY: plain C API use with valid pointers, as a C program would do it.
    unsafe {
        let mut cfg: ffi::rtlog_config = std::mem::zeroed();
        ffi::logger::rtlog_config_init(&mut cfg, std::mem::size_of_val(&cfg));
        cfg.dir = path.as_ptr();
        cfg.durability = ffi::RawDurability(1);
        let mut lg = std::ptr::null_mut();
        assert_eq!(ffi::logger::rtlog_init(&cfg, &mut lg), rtlog_status::RTLOG_OK);
        let mut p = std::ptr::null_mut();
        assert_eq!(
            ffi::logger::rtlog_producer_create(lg, c"rt".as_ptr(), &mut p),
            rtlog_status::RTLOG_OK
        );
        assert_eq!(ffi::logger::rtlog_start(lg), rtlog_status::RTLOG_OK);
        let payload = [1u8; 64];
        let mut moved = 0u32;
        let n = allocations_in(|| {
            for i in 0..1_000_000u32 {
                let _ = ffi::producer::rtlog_publish(
                    p,
                    RawStream(i & 1),
                    1,
                    payload.as_ptr().cast(),
                    64,
                );
                let _ =
                    ffi::producer::rtlog_publish(p, RawStream(9), 1, payload.as_ptr().cast(), 64);
                let _ = ffi::producer::rtlog_publish(p, RawStream(0), 1, std::ptr::null(), 4);
                let _ = ffi::logger::rtlog_tick(lg, &mut moved);
                let _ = ffi::logger::rtlog_get_state(lg);
                let _ = ffi::producer::rtlog_producer_durable_count(p, RawStream(0));
            }
        });
        assert_eq!(n, 0, "the C RT entry points allocated {n} times");
        assert_eq!(ffi::logger::rtlog_shutdown(lg), rtlog_status::RTLOG_OK);
        ffi::logger::rtlog_destroy(lg);
    }
}

#[test]
fn messages_never_allocate_after_start() {
    // Log messages through `Producer::publish_message` and `rtlog_publish_message` (what the C
    // macros call): every argument kind, strings cut to fit, the filtered path (DEBUG below
    // the default INFO threshold), both streams (ERROR goes on the critical one), full rings
    // and refused call sites.
    let dir = TempDir::new("alloc-msg");
    let mut c = config(&dir);
    c.max_record_size = 64;
    c.critical_depth = 16;
    c.normal_depth = 64;
    c.dispatch_budget = 8;
    let (lg, ps) = start(c, &["rust", "c"]);
    let (a, b) = (producer(ps[0]), ps[1].as_ptr());
    let kit = messages::Kinds::new();
    let bad = rtlog::rt::message::CallSiteDesc { arg_count: 17, ..*kit.ints };
    let (mut rust, mut c_abi) = (messages::Outcomes::default(), messages::Outcomes::default());
    let mut refused = 0u64;
    const N: u64 = 400_000;
    let n = allocations_in(|| {
        for i in 0..N {
            kit.publish(a, i, &mut rust);
            kit.publish_c(b, i, &mut c_abi);
            if i % 1000 == 1 {
                let (_, args) = kit.message(0);
                // SAFETY: `bad` lives to the end of the test; the arguments are integers.
                let s = unsafe { a.publish_message(&bad, &args) };
                refused += u64::from(s == Status::InvalidArgument);
            }
            // Ticks in bursts, so that the rings also fill up.
            if i % 2000 < 1000 && i % 2 == 0 {
                lg.tick().unwrap();
            }
        }
    });
    assert_eq!(n, 0, "publish_message/tick allocated {n} times");
    for (api, o) in [("rust", rust), ("c", c_abi)] {
        assert_eq!(o.other, 0, "{api}: {o:?}");
        assert_eq!(o.filtered, N / 4, "{api}: {o:?}");
        assert!(o.ok > 0 && o.full > 0, "{api}: the accepting and the full path ran: {o:?}");
    }
    assert_eq!(refused, N / 1000);
    assert_eq!(a.filtered(), N / 4);
    lg.shutdown().unwrap();

    // Every accepted message reads back with its whole text.
    let mut r = rtlog::Reader::open(&dir.0).unwrap();
    let read = messages::read_all(&mut r).unwrap();
    for rec in &read {
        let text = rec.text.as_ref().expect("only messages were published").as_ref().unwrap();
        messages::Kinds::check_text(text).unwrap();
        assert!(rec.resolved, "{text}");
    }
    assert_eq!(read.len() as u64, rust.ok + c_abi.ok);
}

#[test]
fn messages_in_registers_never_allocate_after_start() {
    // Log messages of four arguments through `Producer::publish_message_words` and
    // `rtlog_publish_message_words` (what the macros call for at most four arguments without
    // strings): accepted, and refused by full rings.
    let dir = TempDir::new("alloc-words");
    let mut c = config(&dir);
    c.max_record_size = 64;
    c.normal_depth = 64;
    c.dispatch_budget = 8;
    let (lg, ps) = start(c, &["rust", "c"]);
    let (a, b) = (producer(ps[0]), ps[1].as_ptr());
    let kit = messages::Kinds::new();
    let (mut rust, mut c_abi) = (messages::Outcomes::default(), messages::Outcomes::default());
    const N: u64 = 200_000;
    let n = allocations_in(|| {
        for i in 0..N {
            kit.publish_words(a, i, &mut rust);
            kit.publish_words_c(b, i, &mut c_abi);
            // Ticks in bursts, so that the rings also fill up.
            if i % 2000 < 1000 && i % 2 == 0 {
                lg.tick().unwrap();
            }
        }
    });
    assert_eq!(n, 0, "publish_message_words/tick allocated {n} times");
    for (api, o) in [("rust", rust), ("c", c_abi)] {
        assert_eq!(o.other, 0, "{api}: {o:?}");
        assert!(o.ok > 0 && o.full > 0, "{api}: the accepting and the full path ran: {o:?}");
    }
    lg.shutdown().unwrap();

    // Every accepted message reads back with its whole text.
    let mut r = rtlog::Reader::open(&dir.0).unwrap();
    let read = messages::read_all(&mut r).unwrap();
    for rec in &read {
        let text = rec.text.as_ref().expect("only messages were published").as_ref().unwrap();
        let i: u64 = text["n=".len()..].split(' ').next().unwrap().parse().unwrap();
        assert_eq!(*text, messages::Kinds::expected_words_text(i));
    }
    assert_eq!(read.len() as u64, rust.ok + c_abi.ok);
}
