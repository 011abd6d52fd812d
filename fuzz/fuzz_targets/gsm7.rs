//! Fuzz target `gsm7` (see `checks_gsm7.rs`, which `smpp-codec/tests/fuzz_corpus.rs` also replays).
#![no_main]

#[path = "../checks_gsm7.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check(data));
