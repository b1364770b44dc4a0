//! Seed inputs: for the reader target, small real logs written by the library, so that the
//! fuzzer mutates real structure (headers with producer tables, every frame kind, several
//! segments, a crashed epoch) instead of hunting for the magic and the CRCs; for the config
//! target, configurations that pass validation and run, one per backend and policy.

use super::files::{self, InputFile, FIX_CRCS};
use super::Scratch;
use rtlog::config::Overflow;
use rtlog::{Config, Durability, Logger, Producer, Status, Stream};
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

const LOGS: [(&str, WriteLog); 4] = [
    ("clean", clean),
    ("crashed", crashed),
    ("loss-and-state", loss_and_state),
    ("rotated", rotated),
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
