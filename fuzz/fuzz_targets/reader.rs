//! The reader and recovery on arbitrary segment files: see `rtlog_fuzz::checks::reader`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rtlog_fuzz::checks::reader::check(data));
