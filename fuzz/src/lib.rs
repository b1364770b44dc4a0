//! The checks behind rtlog's fuzz targets (see `checks`); `tests/fuzz_corpus.rs` in the root
//! crate includes the same module to replay the committed corpus on stable.
pub mod checks;
