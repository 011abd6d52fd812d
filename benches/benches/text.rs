//! Text coding benches: `smpp_codec::coding` encoding and decoding one full single-part SMS.
//!
//! Groups, each with the functions `encode` and `decode` (and, for GSM, `encode_packed` and
//! `decode_packed`):
//! - `text/gsm7_160`: a 160-character GSM 7-bit text (letters, digits, punctuation, `@ £ é Ä` so
//!   the decoder cannot hand back the input as is), unpacked septets as most SMSCs take them;
//!   `*_packed` adds the septet packing of TS 23.038 §6.1.2.1.
//! - `text/ucs2_70`: a 70-character UCS-2 text (Cyrillic), UTF-16BE.
//!
//! What is timed: `coding::encode(text, &enc)` (returns a fresh `Vec`), and
//! `coding::decode_text(payload, data_coding, default, NationalShift::NONE, 0)` (returns a `Cow`,
//! here always owned). Inputs and outputs go through `black_box`; outputs are dropped inside the
//! timing.
//!
//! Run: `cargo bench -p smpp-benches --bench text`.

use std::hint::black_box;

use criterion::{Criterion, criterion_main};
use smpp_codec::coding::{self, DefaultAlphabet, Encoding, NationalShift, gsm7};

/// 160 GSM characters, one single-part SMS.
const GSM_160: &str = "Hi Ana! Your order #4521 ships today @ 14:30. Total: £23.50 (VAT incl.). \
Track it at example.com/t/4521 or reply STOP to opt out. Café Äpfel... ok? Ja, danke!!!";

/// 70 UCS-2 characters, one single-part SMS.
const UCS2_70: &str = "Анна, ваш заказ 4521 отправлен сегодня в 14:30. Спасибо, что вы с нами";

fn bench_gsm(c: &mut Criterion) {
    assert_eq!(GSM_160.chars().count(), 160);
    let enc = Encoding::GSM7;
    let septets = coding::encode(GSM_160, &enc).unwrap();
    assert_eq!(septets.len(), 160);
    let packed = gsm7::pack(&septets, 0);
    let mut group = c.benchmark_group("text/gsm7_160");
    group.bench_function("encode", |b| {
        b.iter(|| coding::encode(black_box(GSM_160), black_box(&enc)).unwrap())
    });
    group.bench_function("decode", |b| {
        b.iter(|| {
            coding::decode_text(
                black_box(&septets),
                0,
                DefaultAlphabet::GsmUnpacked,
                NationalShift::NONE,
                0,
            )
            .unwrap()
        })
    });
    group.bench_function("encode_packed", |b| {
        b.iter(|| {
            coding::encode_text(
                black_box(GSM_160),
                0,
                DefaultAlphabet::GsmPacked,
                NationalShift::NONE,
                0,
            )
            .unwrap()
        })
    });
    group.bench_function("decode_packed", |b| {
        b.iter(|| {
            coding::decode_text(
                black_box(&packed),
                0,
                DefaultAlphabet::GsmPacked,
                NationalShift::NONE,
                0,
            )
            .unwrap()
        })
    });
    group.finish();
}

fn bench_ucs2(c: &mut Criterion) {
    assert_eq!(UCS2_70.chars().count(), 70);
    let enc = Encoding::Ucs2;
    let payload = coding::encode(UCS2_70, &enc).unwrap();
    assert_eq!(payload.len(), 140);
    let mut group = c.benchmark_group("text/ucs2_70");
    group.bench_function("encode", |b| {
        b.iter(|| coding::encode(black_box(UCS2_70), black_box(&enc)).unwrap())
    });
    group.bench_function("decode", |b| {
        b.iter(|| {
            coding::decode_text(
                black_box(&payload),
                0x08,
                DefaultAlphabet::GsmUnpacked,
                NationalShift::NONE,
                0,
            )
            .unwrap()
        })
    });
    group.finish();
}

/// `criterion_group!` makes a `pub fn`; kept in a private module so it needs no doc.
mod groups {
    criterion::criterion_group!(benches, super::bench_gsm, super::bench_ucs2);
}
criterion_main!(groups::benches);
