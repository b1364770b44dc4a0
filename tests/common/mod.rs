//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod messages;

use rtlog::{Config, Durability, Logger, Producer};
use std::path::PathBuf;
use std::ptr::NonNull;

/// A fresh temporary directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("rtlog-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A configuration for tests: fast durability unless the test asks otherwise.
pub fn config(dir: &TempDir) -> Config {
    let mut c = Config::new(&dir.0);
    c.durability = Durability::Flush;
    c
}

/// The producer behind a handle pointer (valid while the logger lives).
pub fn producer<'a>(p: NonNull<Producer>) -> &'a mut Producer {
    // SAFETY: the logger outlives every use in the tests, and each test uses a handle from one
    // thread at a time.
    unsafe { &mut *p.as_ptr() }
}

pub fn start(config: Config, names: &[&str]) -> (Logger, Vec<NonNull<Producer>>) {
    let lg = Logger::init(config).unwrap();
    let ps = names.iter().map(|n| lg.create_producer(n).unwrap()).collect();
    lg.start().unwrap();
    (lg, ps)
}
