//! One measurement, in its own process (`rtlog-bench child key=value...`): every run starts
//! from a clean process (no threads, queues or global logger state left by the previous peer;
//! spdlog and libdlt keep process-wide state), and a peer that crashes or hangs costs one run.
//!
//! The child pins its main thread to the consumer CPU first, so every thread a logger starts
//! inherits that CPU; producer threads pin themselves to the producer CPU. It prints one line
//! `RESULT key=value...` on stdout.

use crate::affinity::{self, Placement};
use crate::harness::{self, Load, ProducerOut};
use crate::peers::{self, Peer, Produced, Work};
use crate::runner::{BATCH_GAP_US, BATCH_LEN};
use crate::stats::{Fields, Latency};
use crate::timing;
use rtlog::{Config, Durability, Reader};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Entry point of `rtlog-bench child ...`.
pub fn main(args: &[String]) -> Result<(), String> {
    let f = Fields::parse(&args.join(" "));
    let place = Placement { producer: f.num("pcpu") as usize, consumer: f.num("ccpu") as usize };
    let hz = f.num("tsc_hz");
    if hz <= 0.0 {
        return Err("tsc_hz missing".into());
    }
    // Timer overhead on the producer CPU, then the main thread moves to the consumer CPU.
    let mut pin = affinity::pin(place.producer).err();
    let (ovh, ovh_med) = timing::timer_overhead(200_000);
    pin = pin.or(affinity::pin(place.consumer).err());
    let kind = f.get("kind").unwrap_or("");
    let mut line = match kind {
        "lat" => lat(&f, place, hz, ovh)?,
        "flat" => flat(&f, place, hz)?,
        "file" => file(&f, place, hz)?,
        "stall" => stall(&f, place, hz, ovh)?,
        "recovery" => recovery(&f, place, hz)?,
        "crc" => crc(&f, place)?,
        "cycle" => crate::cycle::child::main(&f, place)?,
        _ => return Err(format!("unknown child kind {kind:?}")),
    };
    line.push_str(&format!(" overhead={ovh} overhead_med={ovh_med}"));
    let pin = pin.or(PIN_ERROR.lock().map(|e| e.clone()).unwrap_or(None));
    line.push_str(&format!(" pin={}", if pin.is_none() { "ok" } else { "failed" }));
    if let Some(e) = pin {
        eprintln!("pinning failed: {e}");
    }
    println!("RESULT kind={kind} {line}");
    Ok(())
}

/// The first pinning failure of a producer thread in this process.
static PIN_ERROR: Mutex<Option<String>> = Mutex::new(None);

pub fn note_pin(e: Option<&String>) {
    if let (Some(e), Ok(mut p)) = (e, PIN_ERROR.lock()) {
        p.get_or_insert_with(|| e.clone());
    }
}

/// Timed samples of all producers, timer overhead subtracted, in ns, summarised.
fn summarise(outs: &[ProducerOut], hz: f64, ovh: u64) -> Latency {
    let mut ns: Vec<f64> = outs
        .iter()
        .flat_map(|o| o.cycles.iter())
        .map(|&c| u64::from(c).saturating_sub(ovh) as f64 * 1e9 / hz)
        .collect();
    ns.sort_unstable_by(f64::total_cmp);
    Latency::from_sorted(&ns)
}

fn load_of(f: &Fields, hz: f64) -> Load {
    match f.get("load") {
        Some("paced") => Load::Paced { period: (f.num("period_ns") * hz / 1e9) as u64 },
        Some("batches") => Load::Batches {
            len: BATCH_LEN,
            gap_min: (BATCH_GAP_US.0 as f64 * hz / 1e6) as u64,
            gap_max: (BATCH_GAP_US.1 as f64 * hz / 1e6) as u64,
        },
        _ => Load::Burst,
    }
}

fn lat(f: &Fields, place: Placement, hz: f64, ovh: u64) -> Result<String, String> {
    let peer = Peer::from_key(f.get("peer").unwrap_or("")).ok_or("unknown peer")?;
    let producers = f.num("producers") as usize;
    let size = f.num("size") as usize;
    let load = load_of(f, hz);
    let work = Work::Latency {
        load,
        warmup: f.num("warmup") as usize / producers,
        samples: f.num("samples") as usize / producers,
    };
    let run = peers::run(peer, producers, size, work, place)?;
    let Produced::Latency(outs) = run.produced else { unreachable!() };
    for o in &outs {
        note_pin(o.pin_error.as_ref());
    }
    let accepted: u64 = outs.iter().map(|o| o.accepted).sum();
    let refused: u64 = outs.iter().map(|o| o.refused).sum();
    let late: u64 = outs.iter().map(|o| o.late).sum();
    let lat = summarise(&outs, hz, ovh);
    let by_position = match load {
        Load::Batches { .. } => format!(" batch_p50={}", batch_medians(&outs, hz, ovh)),
        _ => String::new(),
    };
    Ok(format!(
        "accepted={accepted} refused={refused} lib_dropped={} late={late} {}{by_position}",
        run.lib_dropped,
        lat.encode()
    ))
}

/// The batches load: the median of each of a batch's first [`BATCH_HEAD`] calls (ns, `;`
/// between them), then of the rest. Where a batch's cost lands tells what it waits for: a line
/// the consumer took while the producer was idle costs the first calls, not the later ones
/// (docs/PERFORMANCE.md, "Batches").
fn batch_medians(outs: &[ProducerOut], hz: f64, ovh: u64) -> String {
    let mut at: Vec<Vec<u64>> = vec![Vec::new(); BATCH_HEAD + 1];
    for o in outs {
        for (i, &c) in o.cycles.iter().enumerate() {
            at[(i % BATCH_LEN).min(BATCH_HEAD)].push(u64::from(c).saturating_sub(ovh));
        }
    }
    let median = |v: &mut Vec<u64>| {
        v.sort_unstable();
        v.get(v.len() / 2).map_or(0.0, |&c| c as f64 * 1e9 / hz)
    };
    at.iter_mut().map(|v| format!("{:.1}", median(v))).collect::<Vec<_>>().join(";")
}

/// How many of a batch's first calls [`batch_medians`] reports one by one.
const BATCH_HEAD: usize = 6;

fn flat(f: &Fields, place: Placement, hz: f64) -> Result<String, String> {
    let peer = Peer::from_key(f.get("peer").unwrap_or("")).ok_or("unknown peer")?;
    let producers = f.num("producers") as usize;
    let size = f.num("size") as usize;
    let secs = f.num("ms") / 1e3;
    let run = peers::run(peer, producers, size, Work::Flat { cycles: (secs * hz) as u64 }, place)?;
    let Produced::Flat(outs) = run.produced else { unreachable!() };
    for o in &outs {
        note_pin(o.pin_error.as_ref());
    }
    let accepted: u64 = outs.iter().map(|o| o.accepted).sum();
    let refused: u64 = outs.iter().map(|o| o.refused).sum();
    Ok(format!("accepted={accepted} refused={refused} lib_dropped={} secs={secs}", run.lib_dropped))
}

/// A file mode: a durability, with `+direct` appended for the `direct_io` option.
pub fn durability(mode: &str) -> Result<(Durability, bool), String> {
    let (name, direct) = match mode.strip_suffix("+direct") {
        Some(name) => (name, true),
        None => (mode, false),
    };
    let durability = match name {
        "NONE" => Durability::None,
        "FLUSH" => Durability::Flush,
        "FSYNC" => Durability::Fsync,
        "FSYNC_BATCH" => Durability::FsyncBatch,
        _ => return Err(format!("unknown durability {name}")),
    };
    Ok((durability, direct))
}

/// The file-backend configuration: one producer, the internal ticker, `FSYNC_BATCH` syncing on
/// the 1 ms interval only (batch_records at its maximum).
pub fn file_config(dir: PathBuf, (mode, direct_io): (Durability, bool), size: usize) -> Config {
    Config {
        dir,
        durability: mode,
        direct_io,
        batch_interval_us: 1000,
        batch_records: rtlog::config::MAX_DEPTH,
        max_producers: 1,
        max_record_size: size as u32,
        normal_depth: peers::DEPTH as u32,
        critical_depth: 64,
        dispatch_period_us: peers::IDLE_US,
        ..Config::default()
    }
}

fn file(f: &Fields, place: Placement, hz: f64) -> Result<String, String> {
    let mode = durability(f.get("mode").unwrap_or(""))?;
    let size = f.num("size") as usize;
    let secs = f.num("ms") / 1e3;
    let dir = PathBuf::from(f.get("dir").ok_or("dir missing")?);
    let _ = std::fs::remove_dir_all(&dir);
    let (lg, pubs) = peers::rtlog::open(file_config(dir.clone(), mode, size), 1)?;
    let t0 = Instant::now();
    let outs =
        harness::run_flat_out(pubs, size, (secs * hz) as u64, true, u64::MAX, place.producer);
    let t_pub = t0.elapsed().as_secs_f64();
    lg.flush(Duration::from_secs(120)).map_err(|e| format!("flush: {e}"))?;
    let total = t0.elapsed().as_secs_f64();
    let st = lg.stats();
    lg.shutdown().map_err(|e| format!("shutdown: {e}"))?;
    drop(lg);
    let _ = std::fs::remove_dir_all(&dir);
    note_pin(outs[0].pin_error.as_ref());
    Ok(format!(
        "accepted={} refused={} secs={total} pub_secs={t_pub} persisted={} bytes={} syncs={} \
         max_sync_ns={} lost={}",
        outs[0].accepted,
        outs[0].refused,
        st.persisted,
        st.bytes_written,
        st.syncs,
        st.max_sync_ns,
        st.lost
    ))
}

fn stall(f: &Fields, place: Placement, hz: f64, ovh: u64) -> Result<String, String> {
    let stall_ms = f.num("stall_ms") as u64;
    let every_ms = f.num("every_ms") as u64;
    let latency_ms = f.num("latency_ms") as u64;
    let mut cfg = peers::rtlog_config(1, 64);
    cfg.backend = rtlog::backend::BackendKind::Dummy;
    let (lg, pubs) = peers::rtlog::open(cfg, 1)?;
    let dummy = lg.dummy().ok_or("no dummy backend")?.clone();
    dummy.script.lock().write_latency = Duration::from_millis(latency_ms);
    let stop = Arc::new(AtomicBool::new(false));
    let ctl = {
        let (stop, dummy) = (stop.clone(), dummy.clone());
        std::thread::spawn(move || {
            let mut stalls = 0u64;
            while every_ms > 0 && !stop.load(Ordering::Acquire) {
                std::thread::sleep(Duration::from_millis(every_ms));
                dummy.script.lock().stall_next_write = Some(Duration::from_millis(stall_ms));
                stalls += 1;
            }
            stalls
        })
    };
    let (warmup, samples) = (f.num("warmup") as usize, f.num("samples") as usize);
    let outs = harness::run_latency(pubs, 64, load_of(f, hz), warmup, samples, place.producer);
    stop.store(true, Ordering::Release);
    let stalls = ctl.join().map_err(|_| "stall thread panicked")?;
    let counts = dummy.counts();
    lg.shutdown().map_err(|e| format!("shutdown: {e}"))?;
    note_pin(outs[0].pin_error.as_ref());
    let lat = summarise(&outs, hz, ovh);
    Ok(format!(
        "accepted={} refused={} late={} stalls={stalls} writes={} {}",
        outs[0].accepted,
        outs[0].refused,
        outs[0].late,
        counts.writes,
        lat.encode()
    ))
}

fn recovery(f: &Fields, place: Placement, hz: f64) -> Result<String, String> {
    let dir = PathBuf::from(f.get("dir").ok_or("dir missing")?);
    let bytes = f.num("bytes") as u64;
    let size = 256usize;
    let reads = f.num("reads").max(1.0) as usize;
    let _ = std::fs::remove_dir_all(&dir);
    let records = bytes / rtlog::format::frame_bytes(size) as u64;
    let (lg, pubs) =
        peers::rtlog::open(file_config(dir.clone(), (Durability::None, false), size), 1)?;
    let t0 = Instant::now();
    let outs =
        harness::run_flat_out(pubs, size, (600.0 * hz) as u64, true, records, place.producer);
    lg.flush(Duration::from_secs(300)).map_err(|e| format!("flush: {e}"))?;
    lg.shutdown().map_err(|e| format!("shutdown: {e}"))?;
    let write_secs = t0.elapsed().as_secs_f64();
    drop(lg);
    note_pin(outs[0].pin_error.as_ref());
    let file_bytes: u64 = std::fs::read_dir(&dir)
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok()?.metadata().ok())
        .filter(|m| m.is_file())
        .map(|m| m.len())
        .sum();
    let mut times = Vec::new();
    let mut frames = 0u64;
    let mut data = 0u64;
    let mut damage = 0u64;
    for _ in 0..reads {
        let t = Instant::now();
        let mut r = Reader::open(&dir).map_err(|e| format!("reader: {e}"))?;
        let (mut n, mut payload) = (0u64, 0u64);
        while let Some(rec) = r.next_frame().map_err(|e| format!("read: {e}"))? {
            n += 1;
            payload += rec.payload.len() as u64;
        }
        times.push(t.elapsed().as_secs_f64());
        let s = r.stats();
        frames = n;
        data = s.records;
        damage = s.corrupt_regions + s.bad_segments + u64::from(s.torn_bytes > 0);
        std::hint::black_box(payload);
    }
    let _ = std::fs::remove_dir_all(&dir);
    let times: Vec<String> = times.iter().map(|t| format!("{t:.6}")).collect();
    Ok(format!(
        "accepted={} refused={} write_secs={write_secs} file_bytes={file_bytes} frames={frames} \
         records={data} damage={damage} read_secs={}",
        outs[0].accepted,
        outs[0].refused,
        times.join(",")
    ))
}

fn crc(f: &Fields, place: Placement) -> Result<String, String> {
    // Measured on the producer CPU, nothing else running on it.
    note_pin(affinity::pin(place.producer).err().as_ref());
    let rows = crate::crc::measure(f.num("iters").max(1000.0) as usize)?;
    Ok(rows
        .iter()
        .map(|r| {
            format!(
                "encode{s}={:.2} three{s}={:.2} one{s}={:.2}",
                r.encode_ns,
                r.three_ns,
                r.one_ns,
                s = r.size
            )
        })
        .collect::<Vec<_>>()
        .join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_medians_give_each_first_call_then_the_rest() {
        // Two batches of BATCH_LEN calls: call k of a batch takes 100 + k cycles (plus 10 of
        // timer overhead), except that the first takes 1000 in one batch and 2000 in the other.
        let mut cycles: Vec<u32> =
            (0..2 * BATCH_LEN).map(|i| 110 + (i % BATCH_LEN) as u32).collect();
        cycles[0] = 1010;
        cycles[BATCH_LEN] = 2010;
        let out = ProducerOut { cycles, ..ProducerOut::default() };
        let got = batch_medians(&[out], 1e9, 10);
        let rest = 100 + (BATCH_HEAD + (BATCH_LEN - BATCH_HEAD) / 2) as u32;
        assert_eq!(got, format!("2000.0;101.0;102.0;103.0;104.0;105.0;{rest}.0"));
    }
}
