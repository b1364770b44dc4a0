//! Replays the committed fuzz corpus (`fuzz/corpus/<target>/`) through the fuzz targets' own
//! checks, on stable in the normal test run: an input the fuzzer once found (a crash, or new
//! coverage) stays a test. The checks live in `fuzz/src/checks/`, included here as they are;
//! the fuzz targets themselves run with `bash fuzz/run.sh SECONDS` (nightly, cargo-fuzz).

#[path = "../fuzz/src/checks/mod.rs"]
#[allow(dead_code)]
mod checks;

use std::path::PathBuf;

/// The corpus files of `target`, sorted (the directory must exist and hold some).
fn corpus(target: &str) -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus").join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{} is empty", dir.display());
    files
}

/// Runs `check` on every corpus file of `target`, naming each file that fails.
fn replay<T>(target: &str, check: fn(&[u8]) -> T) {
    let files = corpus(target);
    let failed: Vec<_> = files
        .iter()
        .filter(|path| {
            let data = std::fs::read(path).unwrap();
            std::panic::catch_unwind(|| {
                check(&data);
            })
            .is_err()
        })
        .collect();
    assert!(failed.is_empty(), "failed the {target} check: {failed:?}");
    eprintln!("{target}: {} corpus inputs replayed", files.len());
}

#[test]
fn reader_corpus_replays() {
    replay("reader", checks::reader::check);
}

#[test]
fn config_corpus_replays() {
    replay("config", checks::config::check);
}

/// The seeds `fuzz/run.sh` starts the reader target from are real logs; they must pass too.
#[test]
fn reader_seeds_pass() {
    let seeds = checks::seeds::reader_seeds();
    assert_eq!(seeds.len(), 10);
    for (name, data) in seeds {
        let result = std::panic::catch_unwind(|| checks::reader::check(&data));
        assert!(result.is_ok(), "seed {name} failed the reader check");
    }
}

/// The config target's seeds are configurations that pass validation and run through the
/// whole lifecycle (publish, write, SAFE and back, shutdown), through the C entry.
#[test]
fn config_seeds_run() {
    for (name, data) in checks::seeds::config_seeds() {
        assert!(checks::config::check(&data), "seed {name} did not reach the lifecycle");
    }
}
