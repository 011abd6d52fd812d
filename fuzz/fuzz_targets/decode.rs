//! Fuzz target `decode`: arbitrary bytes through every decoder (see `checks::decode`).
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::decode(data));
