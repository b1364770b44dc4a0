//! Writes the log that `python/bench/bench_table.py` reads: N typed records of 48 bytes (type
//! `joint`, layout [`LAYOUT`]) from one producer, as fast as the library takes them.
//!
//!     cargo run --release --example write_bench_log -- DIR [N]   (N defaults to 1000000)
//!
//! DIR must not hold a log yet. Durability NONE: this is test data, not a durability test.

use rtlog::{Config, Durability, Logger, Status, Stream};
use std::time::Duration;

/// 48 bytes: `struct { uint64_t cycle; double position, velocity, torque; float current[4]; }`.
const LAYOUT: &str = "u64 cycle; f64 position; f64 velocity; f64 torque; f32[4] current";

/// The record of cycle `i` (values the benchmark can check: position = i / 1000, ...).
fn payload(i: u64) -> [u8; 48] {
    let mut b = [0u8; 48];
    let t = i as f64 / 1000.0;
    b[0..8].copy_from_slice(&i.to_le_bytes());
    b[8..16].copy_from_slice(&t.to_le_bytes());
    b[16..24].copy_from_slice(&(t * 2.0).to_le_bytes());
    b[24..32].copy_from_slice(&(-t).to_le_bytes());
    for k in 0..4 {
        let c = (i % 100) as f32 + k as f32;
        b[32 + 4 * k..36 + 4 * k].copy_from_slice(&c.to_le_bytes());
    }
    b
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = args.next().ok_or("usage: write_bench_log DIR [N]")?;
    let n: u64 = args.next().map_or(Ok(1_000_000), |s| s.parse())?;
    let mut config = Config::new(&dir);
    config.durability = Durability::None;
    let lg = Logger::init(config)?;
    let handle = lg.create_producer("joint-0")?;
    assert_eq!(lg.register_type(1, "joint", LAYOUT)?, 48);
    lg.start()?;
    // SAFETY: the handle stays valid until `shutdown`, and only this thread uses it.
    let producer = unsafe { &mut *handle.as_ptr() };
    for i in 0..n {
        let record = payload(i);
        // The critical stream refuses a record when its ring is full (it never drops one):
        // move records on to the writer and try again.
        loop {
            match producer.publish(Stream::Critical, 1, &record) {
                Status::Ok => break,
                Status::Full => {
                    let _ = lg.tick();
                    std::thread::yield_now();
                }
                s => return Err(format!("publish: {s:?}").into()),
            }
        }
    }
    lg.flush(Duration::from_secs(120))?;
    lg.shutdown()?;
    println!("{dir}: {n} records of type joint ({LAYOUT})");
    Ok(())
}
