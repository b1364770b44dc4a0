//! Configuration validation, in Rust and through rtlog_init: see `rtlog_fuzz::checks::config`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    rtlog_fuzz::checks::config::check(data);
});
