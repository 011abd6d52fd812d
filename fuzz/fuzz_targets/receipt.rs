//! Fuzz target `receipt` (see `checks_receipt.rs`, which `smpp-codec/tests/fuzz_corpus.rs` also replays).
#![no_main]

#[path = "../checks_receipt.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check(data));
