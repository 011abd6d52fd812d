//! Fuzz target `reassembly` (see `checks_reassembly.rs`, which `smpp-codec/tests/fuzz_corpus.rs` also replays).
#![no_main]

#[path = "../checks_reassembly.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check(data));
