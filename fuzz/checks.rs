//! The properties the fuzz targets check, shared verbatim by the libFuzzer targets
//! (`fuzz/fuzz_targets/*.rs`) and their stable replay over the seed corpora
//! (`smpp-codec/tests/fuzz_corpus.rs`): both pull this file in with `#[path = ...] mod checks;`.
//!
//! Each function takes arbitrary bytes and panics when a property fails. Only smpp-codec (with
//! its `tokio-codec` feature), `bytes` and `tokio-util` are used, which both crates have.
#![allow(dead_code)]

use bytes::{Bytes, BytesMut};
use smpp_codec::field::{DEFAULT_MAX_COMMAND_LENGTH, FieldVisitor, version};
use smpp_codec::framing::SmppCodec;
use smpp_codec::header::HEADER_LEN;
use smpp_codec::{
    Body, BodyErrorKind, CommandId, DecodeError, DecodeOptions, EncodeError, Pdu, Tlvs,
};
use tokio_util::codec::Decoder;

/// Codec bugs these checks found, reported and not fixed yet. While a constant is `true`, the
/// one assertion that finds the bug lets exactly that case through (and nothing else), so that
/// fuzzing goes on looking for new bugs. Each is reproduced, with a minimal input, by an
/// `#[ignore]`d `known_bug_*` test in smpp-codec/tests/fuzz_corpus.rs
/// (`cargo test -p smpp-codec --test fuzz_corpus -- --ignored`). Set it to `false` once fixed.
pub mod known_bugs {
    /// 1. Strict decoding takes a header-only PDU (`generic_nack`, `enquire_link`, `unbind`,
    ///    their `_resp`, ...) that has octets after the header when its `command_status` is not
    ///    0, requests included, and drops them: it re-encodes to 16 octets.
    pub const STRICT_IGNORES_BODY_OF_HEADER_ONLY_PDU: bool = false;
    /// 2. Strict decoding accepts a `sequence_number` outside 1..=0x7FFFFFFF, which `encode`
    ///    (rightly) refuses, so a strictly decoded PDU may not re-encode.
    pub const STRICT_ACCEPTS_BAD_SEQUENCE: bool = false;
    /// 3. `encode` writes a standard TLV with a length its definition forbids (kept from a
    ///    lenient decode) instead of refusing it, so what we emit fails a strict decode.
    pub const ENCODE_KEEPS_BAD_TLV_LENGTH: bool = false;
}

const LENIENT: DecodeOptions = DecodeOptions::lenient();
const STRICT: DecodeOptions = DecodeOptions::strict();

/// A small `max_command_length`, so that short inputs reach the over-long-PDU paths.
const SMALL_MAX: DecodeOptions = DecodeOptions {
    strict: false,
    interface_version: version::V50,
    max_command_length: 64,
};

/// Every option set `decode` tries on the whole input.
const ALL_OPTIONS: [DecodeOptions; 5] = [
    LENIENT,
    STRICT,
    DecodeOptions {
        interface_version: version::V33,
        ..LENIENT
    },
    DecodeOptions {
        interface_version: version::V33,
        ..STRICT
    },
    SMALL_MAX,
];

/// Chunk sizes the stream decoder is fed with, cycled.
const CHUNKS: [usize; 8] = [1, 3, 16, 2, 5, 64, 7, 15];

/// Target `decode`: any bytes, as one frame under every option set and as a byte stream through
/// [`SmppCodec`] (all at once and in small chunks, which must yield the same items). Nothing may
/// panic; every decode error must yield an answer that encodes (see [`check_error`]); every PDU
/// must agree with the header it came from and encode to [`Pdu::encoded_len`] octets.
pub fn decode(data: &[u8]) {
    let frame = Bytes::copy_from_slice(data);
    for opts in &ALL_OPTIONS {
        let owned = Pdu::decode_with(&frame, opts);
        check_result(&owned, Some(data));
        check_borrowed_agrees(&owned, Pdu::decode_borrowed_with(data, opts));
    }
    if let Ok(pdu) = Pdu::decode_with(&frame, &LENIENT) {
        let _ = format!("{pdu:?}");
    }
    for opts in [LENIENT, SMALL_MAX] {
        let whole = stream(opts, data, &[data.len().max(1)]);
        let chunked = stream(opts, data, &CHUNKS);
        assert_eq!(
            whole, chunked,
            "SmppCodec yields different items when the same bytes arrive in chunks"
        );
    }
}

/// Target `roundtrip`: decode leniently; if that succeeds and the PDU encodes, the encoding must
/// decode (leniently and strictly: we only emit conformant PDUs) to the same PDU and re-encode to
/// itself. When the input also decodes strictly, both decodes must agree and the encoding must be
/// the input, octet for octet.
pub fn roundtrip(data: &[u8]) {
    let frame = Bytes::copy_from_slice(data);
    let lenient = Pdu::decode_with(&frame, &LENIENT);
    let strict = Pdu::decode_with(&frame, &STRICT);
    let first = match (lenient, &strict) {
        (Ok(first), Ok(s)) => {
            assert_eq!(&first, s, "lenient and strict decodes disagree");
            first
        }
        (Ok(first), Err(_)) => first,
        (Err(e), Ok(s)) => panic!("strict decode accepted {s:?} but lenient refused it: {e}"),
        (Err(_), Err(_)) => return,
    };
    let bytes = match first.encode() {
        Ok(bytes) => bytes,
        Err(EncodeError::BadSequenceNumber(_)) if known_bugs::STRICT_ACCEPTS_BAD_SEQUENCE => return,
        // What decodes strictly is conformant, so it must encode.
        Err(e) if strict.is_ok() => panic!("strictly decoded {first:?} does not encode: {e}"),
        Err(_) => return,
    };
    assert_eq!(bytes.len(), first.encoded_len(), "encoded_len() is wrong");
    let second = Pdu::decode_with(&bytes, &LENIENT)
        .unwrap_or_else(|e| panic!("our encoding of {first:?} does not decode: {e}"));
    assert_eq!(second, first, "decode(encode(pdu)) != pdu");
    match Pdu::decode_with(&bytes, &STRICT) {
        Ok(second_strict) => assert_eq!(second_strict, first, "strict decode(encode(pdu)) != pdu"),
        Err(DecodeError::Body {
            reason: BodyErrorKind::TlvLength { .. },
            ..
        }) if known_bugs::ENCODE_KEEPS_BAD_TLV_LENGTH => {}
        Err(e) => panic!("our encoding {bytes:02x?} of {first:?} does not decode strictly: {e}"),
    }
    assert_eq!(
        second
            .encode()
            .expect("a decoded encoding must encode again"),
        bytes,
        "encoding is not stable"
    );
    if strict.is_ok() {
        // An error response may carry its empty body (SMPP 5.0 §3.2.1.3) or leave it out (3.4
        // §4.1.2); `encode` leaves it out, `encode_into_with_body` is told which.
        let mut exact = BytesMut::new();
        first
            .encode_into_with_body(&mut exact, data.len() > HEADER_LEN)
            .unwrap_or_else(|e| panic!("strictly decoded {first:?} does not encode: {e}"));
        let known = known_bugs::STRICT_IGNORES_BODY_OF_HEADER_ONLY_PDU
            && Body::is_header_only(first.command_id())
            && !first.command_status.is_ok();
        if !known {
            assert_eq!(
                &exact[..],
                data,
                "a strictly decoded PDU must re-encode to its input octet for octet"
            );
        }
    }
}

/// Feeds `data` to a fresh [`SmppCodec`] in chunks of the given sizes (cycled), collecting what
/// it yields until the data ends or a fatal error.
fn stream(opts: DecodeOptions, data: &[u8], chunks: &[usize]) -> Vec<Outcome> {
    let mut codec = SmppCodec::new(opts);
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    let mut rest = data;
    let mut largest_chunk = 0;
    for &size in chunks.iter().cycle() {
        let n = size.min(rest.len());
        largest_chunk = largest_chunk.max(n);
        buf.extend_from_slice(&rest[..n]);
        rest = &rest[n..];
        loop {
            match codec.decode(&mut buf) {
                Ok(Some(item)) => {
                    check_result(&item, None);
                    out.push(Outcome::Item(Box::new(item)));
                }
                Ok(None) => break,
                Err(e) => {
                    out.push(Outcome::Fatal(e.to_string()));
                    return out;
                }
            }
            // Bounded memory: the codec reserves at most one PDU of max_command_length octets.
            assert!(
                buf.capacity()
                    <= 4 * (opts.max_command_length.min(DEFAULT_MAX_COMMAND_LENGTH)
                        + largest_chunk)
                        + 1024,
                "read buffer grew to {} octets",
                buf.capacity()
            );
        }
        if rest.is_empty() {
            break;
        }
    }
    match codec.decode_eof(&mut buf) {
        Ok(Some(item)) => {
            check_result(&item, None);
            out.push(Outcome::Item(Box::new(item)));
        }
        Ok(None) => out.push(Outcome::Eof(buf.len())),
        Err(e) => out.push(Outcome::Fatal(format!("at eof: {e}"))),
    }
    out
}

/// What [`SmppCodec`] yielded.
#[derive(Debug, PartialEq)]
enum Outcome {
    Item(Box<Result<Pdu, DecodeError>>),
    Fatal(String),
    Eof(usize),
}

/// Checks one decode result; `frame` is the input when it was decoded as one whole frame.
/// The borrowed decode ([`Pdu::decode_borrowed_with`]) must give what the owned one gives: the
/// same error, or a PDU with the same fields (their `Debug` text does not depend on the storage)
/// that encodes to the same octets (or fails to encode the same way).
fn check_borrowed_agrees(
    owned: &Result<Pdu, DecodeError>,
    borrowed: Result<Pdu<&[u8]>, DecodeError>,
) {
    match (owned, borrowed) {
        (Ok(o), Ok(b)) => {
            assert_eq!(
                format!("{o:?}"),
                format!("{b:?}"),
                "borrowed decode differs"
            );
            assert_eq!(
                o.encode(),
                b.encode(),
                "borrowed decode encodes differently"
            );
            assert_eq!(o.encoded_len(), b.encoded_len());
        }
        (Err(o), Err(b)) => assert_eq!(o, &b, "borrowed decode fails differently"),
        (o, b) => panic!("owned decode gave {o:?}, borrowed decode gave {b:?}"),
    }
}

fn check_result(result: &Result<Pdu, DecodeError>, frame: Option<&[u8]>) {
    match result {
        Ok(pdu) => check_pdu(pdu, frame),
        Err(e) => check_error(e),
    }
}

/// A decoded PDU agrees with its header, measures itself right, and can be walked.
fn check_pdu(pdu: &Pdu, frame: Option<&[u8]>) {
    if let Some(frame) = frame {
        let word = |i: usize| u32::from_be_bytes(frame[i..i + 4].try_into().unwrap());
        assert_eq!(word(0) as usize, frame.len());
        assert_eq!(pdu.command_id().as_u32(), word(4));
        assert_eq!(pdu.command_status.0, word(8));
        assert_eq!(pdu.sequence_number, word(12));
    }
    let len = pdu.encoded_len();
    if let Ok(bytes) = pdu.encode() {
        assert_eq!(bytes.len(), len, "encoded_len() is wrong for {pdu:?}");
    }
    let mut walker = Walker::default();
    pdu.body.visit(&mut walker);
    assert_eq!(walker.depth, 0, "unbalanced visit");
}

/// Every decode error can be rendered and answered, and the answer encodes and decodes back.
fn check_error(e: &DecodeError) {
    let _ = (e.to_string(), e.command_status(), e.needs_generic_nack());
    let answer = e.answer();
    let nacked_nack = matches!(
        e,
        DecodeError::Body {
            command_id: CommandId::GenericNack,
            ..
        }
    );
    let Some(answer) = answer else {
        assert!(nacked_nack, "no answer for {e:?}");
        return;
    };
    assert!(!nacked_nack, "a generic_nack must never be answered");
    assert!(answer.command_id().is_response());
    assert_eq!(
        answer.command_id() == CommandId::GenericNack,
        e.needs_generic_nack()
    );
    assert_eq!(answer.sequence_number, e.sequence_number().unwrap_or(0));
    assert_eq!(answer.command_status, e.command_status());
    match answer.encode() {
        Ok(bytes) => {
            assert_eq!(bytes.len(), answer.encoded_len());
            for opts in [LENIENT, STRICT] {
                let back = Pdu::decode_with(&bytes, &opts)
                    .unwrap_or_else(|err| panic!("answer {answer:?} does not decode: {err}"));
                assert_eq!(back, answer);
            }
        }
        // The offending PDU's sequence_number is outside 1..=0x7FFFFFFF (the codec does not
        // check it on decode), so the `_resp` echoing it cannot be encoded.
        Err(EncodeError::BadSequenceNumber(n)) if n == answer.sequence_number => {}
        Err(err) => panic!("answer {answer:?} to {e:?} does not encode: {err}"),
    }
}

/// A [`FieldVisitor`] that touches every field and TLV and checks lists nest.
#[derive(Default)]
struct Walker {
    depth: usize,
    octets: usize,
}

impl FieldVisitor for Walker {
    fn integer(&mut self, _: &'static str, _: u32) {}
    fn cstr(&mut self, _: &'static str, value: &[u8]) {
        self.octets += value.len();
    }
    fn octets(&mut self, _: &'static str, value: &[u8]) {
        self.octets += value.len();
    }
    fn begin_list(&mut self, _: &'static str) {
        self.depth += 1;
    }
    fn begin_item(&mut self) {
        self.depth += 1;
    }
    fn end_item(&mut self) {
        self.depth -= 1;
    }
    fn end_list(&mut self) {
        self.depth -= 1;
    }
    fn tlvs(&mut self, tlvs: &Tlvs) {
        let total: usize = tlvs.iter().map(|t| 4 + t.value.len()).sum();
        assert_eq!(total, tlvs.as_bytes().len(), "TLV iteration lost octets");
        let _ = (tlvs.len(), tlvs.first_invalid(), tlvs.message_payload());
        let _ = (tlvs.network_error_code(), tlvs.receipted_message_id());
    }
}
