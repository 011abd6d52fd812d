//! Replays the fuzz seed corpora (`fuzz/corpus/<target>/*`) through the fuzz targets' own checks
//! on stable, without libFuzzer, and checks the hand-written seeds against the spec.
//!
//! The checks live in `fuzz/checks.rs`, compiled into both the fuzz targets and this test with
//! `#[path]`: one source, no crate to share, nothing the main workspace must know about the
//! fuzz crate (which needs libfuzzer-sys and a sanitizer build).

#[path = "../../fuzz/checks.rs"]
mod checks;
#[path = "../../fuzz/checks_gsm7.rs"]
mod gsm7;
#[path = "../../fuzz/checks_reassembly.rs"]
mod reassembly;
#[path = "../../fuzz/checks_receipt.rs"]
mod receipt;

use bytes::Bytes;
use smpp_codec::{CommandId, DecodeOptions, Pdu};
use std::path::{Path, PathBuf};

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus")
}

/// Every file of `fuzz/corpus/<target>/`, sorted.
fn files(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = corpus_dir().join(target);
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&path).unwrap())
        })
        .collect();
    out.sort();
    out
}

/// Runs `check` on every file of the target's corpus, naming the file that fails.
fn replay(target: &str, check: fn(&[u8])) {
    let files = files(target);
    // The PDU targets have a seed per command (fuzz/gen_seeds.py); the others a handful.
    let min = if matches!(target, "decode" | "roundtrip") {
        CommandId::ALL.len()
    } else {
        4
    };
    assert!(
        files.len() >= min,
        "fuzz/corpus/{target} has only {} files: run `python3 fuzz/gen_seeds.py`",
        files.len()
    );
    for (name, data) in &files {
        if let Err(panic) = std::panic::catch_unwind(|| check(data)) {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            panic!(
                "fuzz/corpus/{target}/{name} ({}) fails the {target} check: {msg}",
                hex::encode(data)
            );
        }
    }
}

/// Every `fuzz/corpus/<target>/` through that target's checks.
#[test]
fn every_corpus_passes_its_targets_checks() {
    let mut targets: Vec<String> = std::fs::read_dir(corpus_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    targets.sort();
    assert_eq!(
        targets,
        ["decode", "gsm7", "reassembly", "receipt", "roundtrip"],
        "a new fuzz target needs its check here"
    );
    replay("decode", checks::decode);
    replay("roundtrip", checks::roundtrip);
    replay("gsm7", gsm7::check);
    replay("receipt", receipt::check);
    replay("reassembly", reassembly::check);
}

/// The seeds named after a command (`submit_sm`, `submit_sm.payload`, ...) are laid out by hand
/// from the spec by `fuzz/gen_seeds.py`: each must decode strictly as that command and re-encode
/// octet for octet, and there must be one for every command.
#[test]
fn named_seeds_are_conformant() {
    let mut seen = Vec::new();
    for target in ["decode", "roundtrip"] {
        for (name, data) in files(target) {
            let stem = name.split('.').next().unwrap();
            let Some(id) = CommandId::from_name(stem) else {
                continue;
            };
            let frame = Bytes::from(data);
            let pdu = Pdu::decode_with(&frame, &DecodeOptions::strict()).unwrap_or_else(|e| {
                panic!("fuzz/corpus/{target}/{name} does not decode strictly: {e}")
            });
            assert_eq!(pdu.command_id(), id, "fuzz/corpus/{target}/{name}");
            assert_eq!(
                pdu.encode().unwrap(),
                frame,
                "fuzz/corpus/{target}/{name} re-encodes differently"
            );
            seen.push(id);
        }
    }
    for id in CommandId::ALL {
        assert!(seen.contains(id), "no seed for {id}");
    }
}

// Minimal inputs for the codec bugs the fuzz targets found (see `checks::known_bugs`). Each test
// states the behaviour we expect and fails today (`cargo test -p smpp-codec --test fuzz_corpus
// -- --ignored`); drop its `#[ignore]` and set the matching `known_bugs` constant to `false`
// once the codec is fixed.

/// A frame from hex.
fn frame(hex: &str) -> Bytes {
    Bytes::from(hex::decode(hex).unwrap())
}

#[test]
fn known_bug_1_strict_ignores_body_of_header_only_pdu() {
    for hex in [
        // generic_nack, ESME_RINVMSGLEN, seq 1, one octet of body
        "00000011800000000000000100000001_00",
        // enquire_link (a request) with command_status 1 and one octet of body
        "00000011000000150000000100000001_ff",
    ] {
        let data = frame(&hex.replace('_', ""));
        if let Ok(pdu) = Pdu::decode_with(&data, &DecodeOptions::strict()) {
            assert_eq!(
                pdu.encode().unwrap(),
                data,
                "{hex}: strict decode accepted it, so it must re-encode as it was"
            );
        }
    }
}

#[test]
fn known_bug_2_strict_accepts_bad_sequence_number() {
    for hex in [
        // enquire_link, sequence_number 0
        "00000010000000150000000000000000",
        // enquire_link, sequence_number 0x80000000
        "00000010000000150000000080000000",
    ] {
        let data = frame(hex);
        if let Ok(pdu) = Pdu::decode_with(&data, &DecodeOptions::strict()) {
            assert_eq!(
                pdu.encode().as_ref(),
                Ok(&data),
                "{hex}: strict decode accepted it, so it must encode"
            );
        }
    }
}

#[test]
fn known_bug_3_encode_keeps_bad_tlv_length() {
    // submit_sm_resp, ESME_ROK, message_id "", then message_state (0x0427, one octet) with length 0
    let data = frame(
        "00000015800000040000000000000001_00_04270000"
            .replace('_', "")
            .as_str(),
    );
    let pdu = Pdu::decode(&data).expect("lenient decode keeps the bad TLV");
    if let Ok(out) = pdu.encode() {
        Pdu::decode_with(&out, &DecodeOptions::strict())
            .expect("what we emit must be conformant (DESIGN.md: lenient in, strict out)");
    }
}
