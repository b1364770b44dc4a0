//! Helpers for the storage tests (`tests/crash_kill.rs`, `tests/hostile.rs`): reading a whole
//! log into owned values, the byte layout of a segment's frames, copying log directories, and a
//! small deterministic PRNG. Included with `#[path = "common/storage.rs"] mod storage;`.
#![allow(dead_code)]

use rtlog::format::{self, FrameKind};
use rtlog::reader::{Damage, ReaderStats};
use rtlog::scan::{ScanItem, SegmentScan};
use rtlog::Reader;
use std::path::{Path, PathBuf};

/// A frame as read back, owning its payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    pub lsn: u64,
    pub seq: u64,
    pub timestamp_ns: u64,
    pub epoch: u32,
    pub producer: u16,
    /// The producer's name from the segment header's producer table (`None`: not in it).
    pub producer_name: Option<String>,
    pub record_type: u16,
    pub stream: u8,
    pub kind: FrameKind,
    pub payload: Vec<u8>,
}

/// Everything a reader returns for a directory.
pub struct LogContents {
    /// Every valid frame (all kinds), in read order.
    pub frames: Vec<Frame>,
    pub stats: ReaderStats,
    pub damage: Vec<Damage>,
}

impl LogContents {
    /// The data frames only.
    pub fn data(&self) -> Vec<&Frame> {
        self.frames.iter().filter(|f| f.kind == FrameKind::Data).collect()
    }

    /// The highest LSN read (0 when none).
    pub fn max_lsn(&self) -> u64 {
        self.frames.iter().map(|f| f.lsn).max().unwrap_or(0)
    }
}

/// Reads every frame of `dir` with [`rtlog::Reader`]; a reader error is returned as is.
pub fn read_log(dir: &Path) -> rtlog::error::Result<LogContents> {
    let mut r = Reader::open(dir)?;
    let mut frames = Vec::new();
    while let Some(f) = r.next_frame()? {
        let (lsn, seq, timestamp_ns, epoch, producer) =
            (f.lsn, f.seq, f.timestamp_ns, f.epoch, f.producer);
        let (record_type, stream, kind, payload) =
            (f.record_type, f.stream, f.kind, f.payload.to_vec());
        let producer_name = r.segment_header().and_then(|h| {
            h.producers.iter().find(|(id, _)| *id == producer).map(|(_, n)| n.clone())
        });
        frames.push(Frame {
            lsn,
            seq,
            timestamp_ns,
            epoch,
            producer,
            producer_name,
            record_type,
            stream,
            kind,
            payload,
        });
    }
    Ok(LogContents { frames, stats: r.stats(), damage: r.damage().to_vec() })
}

/// Where one frame lies in a segment file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameSpan {
    pub offset: u64,
    /// Bytes of the whole frame, padding included.
    pub len: u64,
    pub lsn: u64,
    pub kind: u8,
}

impl FrameSpan {
    pub fn end(&self) -> u64 {
        self.offset + self.len
    }

    /// Whether byte `off` of the file lies inside this frame.
    pub fn contains(&self, off: u64) -> bool {
        (self.offset..self.end()).contains(&off)
    }
}

/// The header length and the spans of every frame of an undamaged segment, walked by the
/// documented layout (header, then frames of `48 + align8(payload_len)` bytes back to back).
/// Panics unless the frames exactly fill the file.
pub fn frame_spans(path: &Path) -> (u64, Vec<FrameSpan>) {
    let mut scan = SegmentScan::open(path)
        .unwrap_or_else(|e| panic!("{}: bad segment header: {e:?}", path.display()));
    let header_len = scan.header.encoded_len() as u64;
    let mut pos = header_len;
    let mut spans = Vec::new();
    loop {
        match scan.next_item().unwrap() {
            ScanItem::Frame(h, _) => {
                let len = format::frame_bytes(h.payload_len as usize) as u64;
                spans.push(FrameSpan { offset: pos, len, lsn: h.lsn, kind: h.kind });
                pos += len;
            }
            ScanItem::Damage { offset, len } => {
                panic!("{}: damage at {offset} (+{len})", path.display())
            }
            ScanItem::End { torn_bytes, valid_end } => {
                assert_eq!((torn_bytes, valid_end), (0, pos), "{}", path.display());
                break;
            }
        }
    }
    let file_len = std::fs::metadata(path).unwrap().len();
    assert_eq!(pos, file_len, "{}: frames do not fill the file", path.display());
    // Cross-check the walk against the raw bytes: each frame's length field.
    let bytes = std::fs::read(path).unwrap();
    for s in &spans {
        let o = s.offset as usize;
        let payload_len = u32::from_le_bytes(bytes[o + 4..o + 8].try_into().unwrap());
        assert_eq!(format::frame_bytes(payload_len as usize) as u64, s.len);
    }
    (header_len, spans)
}

/// The segment files of `dir`, in index order.
pub fn segments(dir: &Path) -> Vec<PathBuf> {
    rtlog::logdir::list_segments(dir).unwrap().into_iter().map(|(_, p)| p).collect()
}

/// Copies the regular files of `from` into a fresh directory `to` (the `LOCK` file excepted).
pub fn copy_log(from: &Path, to: &Path) {
    let _ = std::fs::remove_dir_all(to);
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_file() && e.file_name() != "LOCK" {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// xorshift64*: a deterministic PRNG for reproducible test choices.
#[derive(Clone, Debug)]
pub struct XorShift(u64);

impl XorShift {
    pub fn new(seed: u64) -> XorShift {
        // Spread small seeds (round numbers) over the state; the state must not be 0.
        XorShift(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform-ish in `lo..hi` (`hi > lo`).
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo)
    }

    pub fn fill(&mut self, buf: &mut [u8]) {
        for b in buf {
            *b = self.next_u64() as u8;
        }
    }
}

/// The deterministic payload of record `seq` of `producer`'s `stream`: its length (1..=`max`)
/// and bytes both follow from the three, and it names them, so a record moved to another
/// producer, stream or seq never matches.
pub fn payload(producer: &str, stream: u8, seq: u64, max: usize) -> Vec<u8> {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in producer.bytes().chain([stream]).chain(seq.to_le_bytes()) {
        h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
    }
    let mut rng = XorShift::new(h);
    let mut out = format!("{producer}/{stream}/{seq}/").into_bytes();
    let len = (rng.range(1, max as u64 + 1) as usize).max(out.len()).min(max);
    let start = out.len();
    out.resize(len, 0);
    rng.fill(&mut out[start.min(len)..]);
    out.truncate(len);
    out
}

/// The record type used with [`payload`].
pub fn record_type(stream: u8, seq: u64) -> u16 {
    (seq % 13) as u16 + 100 * u16::from(stream)
}

/// A fresh scratch directory, removed on drop. `fast` puts it on tmpfs (`/dev/shm`) when there
/// is one, where `fsync` costs nothing: for tests that check logic over hundreds of restarts,
/// not what reaches a device.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(tag: &str, fast: bool) -> Scratch {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let shm = Path::new("/dev/shm");
        let root = if fast && shm.is_dir() { shm.to_path_buf() } else { std::env::temp_dir() };
        let dir = root.join(format!("rtlog-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    /// A path inside the scratch directory.
    pub fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `f(worker, item)` for every item in `0..items` on a few threads (the tests that read a
/// log thousands of times are CPU-bound). Each worker has its own index for its own scratch
/// files. Stops handing out items after the first panic, which is then re-raised.
pub fn parallel<F: Fn(usize, usize) + Sync>(items: usize, f: F) {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(1, 4);
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    std::thread::scope(|s| {
        for w in 0..workers {
            let (next, failed, f) = (&next, &failed, &f);
            s.spawn(move || {
                // Marks the run failed if `f` panics (the guard drops during unwinding).
                struct Guard<'a>(&'a AtomicBool);
                impl Drop for Guard<'_> {
                    fn drop(&mut self) {
                        if std::thread::panicking() {
                            self.0.store(true, Ordering::Relaxed);
                        }
                    }
                }
                let _guard = Guard(failed);
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= items || failed.load(Ordering::Relaxed) {
                        break;
                    }
                    f(w, i);
                }
            });
        }
    });
}
