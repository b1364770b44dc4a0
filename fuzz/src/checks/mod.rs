//! The checks behind the fuzz targets, shared with the normal test run.
//!
//! Each check takes arbitrary bytes, turns them into files or a configuration, runs the library
//! on them and panics if an invariant breaks. The fuzz targets (`fuzz/fuzz_targets/`) call them
//! under libFuzzer; `tests/fuzz_corpus.rs` includes this module with `#[path]` and replays the
//! committed corpus (`fuzz/corpus/<target>/`) through the same code on stable, so an input the
//! fuzzer once found stays a test.

pub mod config;
pub mod files;
pub mod reader;
pub mod seeds;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

/// A fresh directory under the temporary directory, removed on drop. `TMPDIR=/dev/shm` keeps
/// the fuzzers' file traffic in memory.
pub struct Scratch {
    /// The directory (created).
    pub path: PathBuf,
}

impl Scratch {
    /// Creates `$TMPDIR/rtlog-fuzz-<tag>-<pid>-<n>`.
    pub fn new(tag: &str) -> Scratch {
        static N: AtomicU64 = AtomicU64::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("rtlog-fuzz-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("creating a scratch directory");
        Scratch { path }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Reads fixed-size little-endian values off the front of the input; once it runs out, every
/// value is 0, so any input decodes (as `arbitrary` does, without its dependency, and in a
/// form the corpus files keep meaning across versions of this code).
pub struct Cursor<'a>(pub &'a [u8]);

impl Cursor<'_> {
    /// The next `N` bytes, zero-filled past the end.
    pub fn bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        let n = N.min(self.0.len());
        out[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        out
    }

    /// A byte.
    pub fn u8(&mut self) -> u8 {
        self.bytes::<1>()[0]
    }

    /// A little-endian u32.
    pub fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.bytes())
    }

    /// A little-endian u64.
    pub fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.bytes())
    }

    /// The rest of the input.
    pub fn rest(&mut self) -> &[u8] {
        std::mem::take(&mut self.0)
    }
}
