//! Seed inputs: for the reader target, small real logs written by the library, so that the
//! fuzzer mutates real structure (headers with producer tables, every frame kind, several
//! segments, a crashed epoch) instead of hunting for the magic and the CRCs; for the config
//! target, configurations that pass validation and run, one per backend and policy.

use super::files::{self, InputFile, FIX_CRCS};
use super::Scratch;
use rtlog::config::Overflow;
use rtlog::format::message::{ArgType, MAX_ARGS};
use rtlog::format::Level;
use rtlog::rt::message::{ArgBits, CallSiteDesc, RawArg, NUL_TERMINATED};
use rtlog::{Config, Durability, Logger, Producer, Status, Stream};
use std::ffi::CStr;
use std::path::Path;
use std::ptr::NonNull;

/// The seeds, as (name, input) pairs: each log once as written and once with the selector bit
/// that keeps its CRCs valid under mutation.
pub fn reader_seeds() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for (name, write) in LOGS {
        let dir = Scratch::new("seed");
        write(&dir.path);
        let segments = rtlog::logdir::list_segments(&dir.path).expect("listing a seed log");
        assert!(!segments.is_empty() && segments.len() <= files::MAX_FILES);
        for (variant, bits) in [("", 0), ("-fixcrc", FIX_CRCS)] {
            let inputs: Vec<InputFile> = segments
                .iter()
                .map(|(index, path)| InputFile {
                    selector: (index - 1) as u8 | bits,
                    contents: std::fs::read(path).expect("reading a seed segment"),
                })
                .collect();
            out.push((format!("seed-{name}{variant}"), files::encode(&inputs)));
        }
    }
    out
}

type WriteLog = fn(&Path);

const LOGS: [(&str, WriteLog); 5] = [
    ("clean", clean),
    ("crashed", crashed),
    ("loss-and-state", loss_and_state),
    ("rotated", rotated),
    ("messages", messages),
];

/// A manual-mode configuration writing to `dir`.
fn config(dir: &Path) -> Config {
    let mut c = Config::new(dir);
    c.manual = true;
    c.durability = Durability::Flush;
    c.max_record_size = 128;
    c
}

/// The producer behind a handle.
fn producer<'a>(p: NonNull<Producer>) -> &'a mut Producer {
    // SAFETY: the logger outlives every use here, and only this thread uses the handle.
    unsafe { &mut *p.as_ptr() }
}

/// Publishes `n` records of sizes 0, 1, ... on alternating streams, ticking and writing.
fn publish(lg: &Logger, p: NonNull<Producer>, n: usize) {
    for i in 0..n {
        let stream = if i % 3 == 0 { Stream::Critical } else { Stream::Normal };
        let payload: Vec<u8> = (0..i % 40).map(|b| (b * 7 + i) as u8).collect();
        assert_eq!(producer(p).publish(stream, i as u16, &payload), Status::Ok);
        lg.tick().expect("tick while running");
    }
    lg.step_writer().expect("manual writer step");
}

/// One epoch, two producers, shut down cleanly: one segment.
fn clean(dir: &Path) {
    let lg = Logger::init(config(dir)).unwrap();
    let a = lg.create_producer("arm").unwrap();
    let b = lg.create_producer("leg-controller").unwrap();
    lg.start().unwrap();
    publish(&lg, a, 6);
    publish(&lg, b, 4);
    lg.shutdown().unwrap();
}

/// An epoch that crashed (no clean close), then one that closed: two segments.
fn crashed(dir: &Path) {
    let lg = Logger::init(config(dir)).unwrap();
    let a = lg.create_producer("arm").unwrap();
    lg.start().unwrap();
    publish(&lg, a, 5);
    lg.simulate_crash();
    clean(dir);
}

/// A full ring (a loss marker), a state change to SAFE and back (state frames).
fn loss_and_state(dir: &Path) {
    let mut c = config(dir);
    c.normal_depth = 2;
    c.normal_overflow = Overflow::DropNewest;
    let lg = Logger::init(c).unwrap();
    let a = lg.create_producer("arm").unwrap();
    lg.start().unwrap();
    for i in 0..5u8 {
        let st = producer(a).publish(Stream::Normal, 1, &[i; 9]);
        assert!(st == Status::Ok || st == Status::Full, "{st:?}");
    }
    lg.tick().unwrap();
    lg.step_writer().unwrap();
    publish(&lg, a, 2);
    lg.enter_safe_mode("seed").unwrap();
    lg.step_supervisor(std::time::Duration::from_millis(1)).unwrap();
    lg.clear_fault().unwrap();
    lg.step_supervisor(std::time::Duration::from_millis(1)).unwrap();
    lg.step_writer().unwrap();
    lg.shutdown().unwrap();
}

/// Enough records to rotate the smallest segment size once: two segments, the first sealed.
fn rotated(dir: &Path) {
    let mut c = config(dir);
    c.segment_bytes = rtlog::config::MIN_SEGMENT_BYTES;
    let lg = Logger::init(c).unwrap();
    let a = lg.create_producer("arm").unwrap();
    lg.start().unwrap();
    // 128-byte payloads make 176-byte frames: 400 of them pass 64 KiB.
    for i in 0..400u32 {
        let st = producer(a).publish(Stream::Normal, 2, &[i as u8; 128]);
        assert_eq!(st, Status::Ok);
        lg.tick().unwrap();
        if i % 64 == 63 {
            lg.step_writer().unwrap();
        }
    }
    lg.step_writer().unwrap();
    lg.shutdown().unwrap();
}

/// A config seed: its name, the fields given as (field bit, value), the directory choice, and
/// the later fields given (second mask) as (bit, value); with some, the DLT strings are
/// "RTLG" and a directory where no daemon listens.
type ConfigSeed = (&'static str, &'static [(u32, u64)], u8, &'static [(u32, u32)]);

/// Seeds for the config target (the input layout of `checks::config`): a mask of the fields
/// given, their values in field order, the directory choice, then the later fields likewise.
pub fn config_seeds() -> Vec<(String, Vec<u8>)> {
    // The callback is set and 12 records are published in each.
    let seeds: [ConfigSeed; 6] = [
        ("file-fsync-batch", &[], 2, &[]),
        ("file-fsync-nested-dir", &[(6, 2)], 3, &[]),
        ("dummy-overwrite", &[(3, 4), (14, 2), (15, 1)], 0, &[]),
        ("null-sample", &[(3, 8), (14, 1), (15, 2), (16, 25), (17, 2)], 1, &[]),
        ("file-disable-retention", &[(3, 2), (10, 3), (15, 3), (22, 1)], 7, &[]),
        // dlt_enable = 1, dlt_queue_records = 64, dlt_level_normal = 6.
        ("dummy-dlt", &[(14, 2)], 0, &[(1, 1), (2, 64), (4, 6)]),
    ];
    seeds
        .iter()
        .map(|(name, fields, dir, later)| {
            let mut mask = 1u32 << 24 | 12 << 25;
            let mut values = Vec::new();
            for &(bit, value) in fields.iter() {
                mask |= 1 << bit;
                // segment_bytes, retention_bytes, retention_age_s, degraded_lag_records are u64.
                if [9, 11, 12, 21].contains(&bit) {
                    values.extend_from_slice(&value.to_le_bytes());
                } else {
                    values.extend_from_slice(&(value as u32).to_le_bytes());
                }
            }
            let mut input = mask.to_le_bytes().to_vec();
            input.extend(values);
            input.push(*dir);
            if !later.is_empty() {
                let mask2 = later.iter().fold(0u32, |m, &(bit, _)| m | 1 << bit);
                input.extend(mask2.to_le_bytes());
                for &(_, value) in later.iter() {
                    input.extend(value.to_le_bytes());
                }
                input.extend([6, 0]); // dlt_app_id "RTLG", dlt_pipe_dir in the scratch space
            }
            (format!("seed-{name}"), input)
        })
        .collect()
}

/// A call site that lives as long as the program, as the C macros make one.
fn site(level: Level, format: &'static CStr, types: &[ArgType]) -> &'static CallSiteDesc {
    let mut arg_types = [0u8; MAX_ARGS];
    for (d, t) in arg_types.iter_mut().zip(types) {
        *d = *t as u8;
    }
    Box::leak(Box::new(CallSiteDesc {
        struct_size: std::mem::size_of::<CallSiteDesc>() as u32,
        line: 42,
        level: level as u8,
        arg_count: types.len() as u8,
        arg_types,
        format: format.as_ptr().cast(),
        file: c"examples-c/control_loop.c".as_ptr().cast(),
        function: c"control_step".as_ptr().cast(),
    }))
}

/// Log messages (format 1.3): call-site frames (larger than the 64-byte max_payload, as their
/// texts allow) and message frames of every argument kind, a NULL string and a string cut to
/// fit, on both streams; a DEBUG message is filtered.
fn messages(dir: &Path) {
    use ArgType::*;
    let mut c = config(dir);
    c.max_record_size = 64;
    let lg = Logger::init(c).unwrap();
    let a = lg.create_producer("arm").unwrap();
    lg.start().unwrap();
    let u = |u: u64| RawArg { value: ArgBits { u }, length: 0 };
    let f = |f: f64| RawArg { value: ArgBits { f }, length: 0 };
    let s = |p: *const u8, length: u64| RawArg { value: ArgBits { p }, length };
    let long = [b'x'; 100];
    let joint = site(
        Level::Warn,
        c"joint %u over torque limit %.3f (%g) cycle %llu",
        &[U32, F64, F32, U64],
    );
    let bus = site(
        Level::Error,
        c"bus %s lost: %hhd %hu %d '%c' %p %s [%.*s]",
        &[Str, I8, U16, I32, Char, Ptr, Str, I32, Str],
    );
    let wide = site(Level::Info, c"%#x %-8.3e %+5lld %o %5s%%", &[U32, F64, I64, U16, Bool]);
    let quiet = site(Level::Debug, c"filtered %d", &[I32]);
    for i in 0..4u64 {
        let messages: [(&CallSiteDesc, Vec<RawArg>); 4] = [
            (joint, vec![u(i), f(12.5 + i as f64), f(0.25), u(1_000_000 + i)]),
            (
                bus,
                vec![
                    s(c"can0".as_ptr().cast(), NUL_TERMINATED),
                    u((-3i64 - i as i64) as u64),
                    u(65535),
                    u(i),
                    u(u64::from(b'q')),
                    u(0x7f00_1000 + i),
                    s(std::ptr::null(), NUL_TERMINATED),
                    u(3),
                    s(long.as_ptr(), long.len() as u64),
                ],
            ),
            (wide, vec![u(0xbeef), f(-1.5e-7), u(i.wrapping_neg()), u(8), u(i % 2)]),
            (quiet, vec![u(i)]),
        ];
        for (site, args) in &messages {
            // SAFETY: the call sites are leaked; the strings are NULL, NUL-terminated C
            // literals, or `long` with its exact length.
            let st = unsafe { producer(a).publish_message(site, args) };
            assert_eq!(st, Status::Ok);
            lg.tick().unwrap();
        }
    }
    lg.step_writer().unwrap();
    lg.shutdown().unwrap();
}
