//! Codec benches: our `smpp-codec` side by side with the crates.io codecs `rusmpp` and `smpp34`,
//! decoding and encoding the same wire bytes (the samples in `smpp_benches`).
//!
//! Groups, one per (operation, PDU), each with the functions `smpp-codec`, `rusmpp`, `smpp34`:
//! `decode/submit_sm_160`, `decode/deliver_sm_receipt`, `decode/submit_sm_resp`,
//! `decode/enquire_link` and the `encode/...` equivalents. Plus `decode/submit_sm_size`: ours on a
//! 10-octet and a 254-octet `short_message`, which should take the same time (zero-copy decode).
//!
//! Run: `cargo bench -p smpp-benches --bench codec` (add `-- decode/` to filter).
//!
//! What is timed, per library, each with its own normal API:
//! - decode, ours: `Pdu::decode(&frame)` on a `Bytes` holding the whole PDU (an owned PDU whose
//!   fields are `Bytes` views of the frame), and `Pdu::decode_borrowed(&[u8])` (`smpp-codec-borrowed`:
//!   the same decode, fields borrowed as `&[u8]`, no reference counting).
//! - decode, rusmpp: `tokio_util::codec::Decoder::decode(&mut CommandCodec, &mut BytesMut)`, the
//!   way `Framed` drives it. It consumes its input, so each iteration gets a fresh `BytesMut`
//!   holding the frame, made outside the timing ([`rusmpp_read_buffer`]).
//! - decode, smpp34: `CommandHeader::decode(&frame)` then `<pdu type>::decode(header, &frame)`,
//!   as smpp34's own sessions do. smpp34 has no "decode any PDU" entry point; the match on
//!   `command_id` a receive loop would need is not timed (it favours smpp34 by a few ns).
//! - encode: each library's value comes from decoding the sample once, outside the timing.
//!   Ours: `Pdu::encode_into` into a reused `BytesMut`, cleared each iteration. rusmpp:
//!   `Encoder<&Command>::encode` of its `CommandCodec` into a reused `BytesMut`, cleared each
//!   iteration. smpp34: `<pdu type>::encode(self) -> Vec<u8>`, its only encoder; it consumes the
//!   value, so each iteration encodes a clone made outside the timing.
//!
//! In every case the result (decoded value or encoded `Vec`) is dropped inside the timing, as
//! `Bencher::iter` does; inputs and outputs go through `black_box`.

use std::hint::black_box;

use bytes::{Bytes, BytesMut};
use criterion::{BatchSize, BenchmarkId, Criterion, criterion_main};
use rusmpp::{Command, tokio_codec::CommandCodec};
use smpp_codec::Pdu;
use smpp34::{CommandHeader, SmppError};
use tokio_util::codec::{Decoder, Encoder};

/// Room for the largest sample with margin, so no encode bench ever grows its buffer.
const ENCODE_CAPACITY: usize = 1024;

/// A `BytesMut` holding `frame`, as rusmpp's `CommandCodec` finds it in a `Framed` read buffer.
///
/// rusmpp decodes by `split_to(..).freeze()` of that buffer. The first split of a freshly
/// allocated `BytesMut` turns it into the shared representation, which costs an allocation; a
/// long-lived read buffer has paid that once, long ago. So the buffer is made shared here,
/// outside the timing, and rusmpp pays in the bench what it pays in steady state. (Ours gets the
/// same: a `Vec`-backed `Bytes` frame turns shared the first time it is sliced, in warm-up.)
fn rusmpp_read_buffer(frame: &[u8]) -> BytesMut {
    let mut buf = BytesMut::with_capacity(frame.len());
    buf.extend_from_slice(frame);
    let tail = buf.split_off(frame.len()); // promotes `buf` to the shared representation
    drop(tail);
    buf
}

/// The decode and encode groups of one sample, `smpp34_decode`/`smpp34_encode` being the
/// smpp34 functions for its PDU type.
fn bench_pdu<T: Clone>(
    c: &mut Criterion,
    name: &str,
    wire: &[u8],
    smpp34_decode: impl Fn(CommandHeader, &[u8]) -> Result<T, SmppError>,
    smpp34_encode: impl Fn(T) -> Vec<u8>,
) {
    let frame = Bytes::copy_from_slice(wire);

    let mut group = c.benchmark_group(format!("decode/{name}"));
    group.bench_function("smpp-codec", |b| {
        b.iter(|| Pdu::decode(black_box(&frame)).unwrap())
    });
    group.bench_function("smpp-codec-borrowed", |b| {
        b.iter(|| Pdu::decode_borrowed(black_box(wire)).unwrap())
    });
    group.bench_function("rusmpp", |b| {
        let mut codec = CommandCodec::new();
        b.iter_batched_ref(
            || rusmpp_read_buffer(wire),
            |src| {
                let command = codec.decode(black_box(src)).unwrap().unwrap();
                black_box(command);
            },
            BatchSize::SmallInput,
        )
    });
    group.bench_function("smpp34", |b| {
        b.iter(|| {
            let pdu = black_box(wire);
            let header = CommandHeader::decode(pdu).unwrap();
            smpp34_decode(header, pdu).unwrap()
        })
    });
    group.finish();

    let ours_pdu = Pdu::decode(&frame).unwrap();
    let rusmpp_command: Command = CommandCodec::new()
        .decode(&mut rusmpp_read_buffer(wire))
        .unwrap()
        .unwrap();
    let smpp34_pdu = smpp34_decode(CommandHeader::decode(wire).unwrap(), wire).unwrap();

    let mut group = c.benchmark_group(format!("encode/{name}"));
    group.bench_function("smpp-codec", |b| {
        let mut buf = BytesMut::with_capacity(ENCODE_CAPACITY);
        b.iter(|| {
            buf.clear();
            black_box(&ours_pdu).encode_into(&mut buf).unwrap();
            black_box(&buf);
        })
    });
    group.bench_function("rusmpp", |b| {
        let mut codec = CommandCodec::new();
        let mut buf = BytesMut::with_capacity(ENCODE_CAPACITY);
        b.iter(|| {
            buf.clear();
            codec.encode(black_box(&rusmpp_command), &mut buf).unwrap();
            black_box(&buf);
        })
    });
    group.bench_function("smpp34", |b| {
        b.iter_batched(
            || smpp34_pdu.clone(),
            |value| {
                let encoded: Vec<u8> = smpp34_encode(black_box(value));
                black_box(encoded);
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

fn submit_sm_160(c: &mut Criterion) {
    bench_pdu(
        c,
        "submit_sm_160",
        &smpp_benches::submit_sm_160(),
        smpp34::submit_sm::decode,
        smpp34::submit_sm::encode,
    );
}

fn deliver_sm_receipt(c: &mut Criterion) {
    bench_pdu(
        c,
        "deliver_sm_receipt",
        &smpp_benches::deliver_sm_receipt(),
        smpp34::deliver_sm::decode,
        smpp34::deliver_sm::encode,
    );
}

fn submit_sm_resp(c: &mut Criterion) {
    bench_pdu(
        c,
        "submit_sm_resp",
        &smpp_benches::submit_sm_resp(),
        smpp34::submit_sm_resp::decode,
        smpp34::submit_sm_resp::encode,
    );
}

fn enquire_link(c: &mut Criterion) {
    bench_pdu(
        c,
        "enquire_link",
        &smpp_benches::enquire_link(),
        smpp34::enquire_link::decode,
        smpp34::enquire_link::encode,
    );
}

/// Ours only: decode time must not depend on the `short_message` size (views, not copies).
fn submit_sm_size(c: &mut Criterion) {
    let mut group = c.benchmark_group("decode/submit_sm_size");
    for (octets, wire) in [
        (10, smpp_benches::submit_sm_10()),
        (254, smpp_benches::submit_sm_254()),
    ] {
        let frame = Bytes::from(wire);
        group.bench_with_input(
            BenchmarkId::new("smpp-codec", octets),
            &frame,
            |b, frame| b.iter(|| Pdu::decode(black_box(frame)).unwrap()),
        );
        group.bench_with_input(
            BenchmarkId::new("smpp-codec-borrowed", octets),
            &frame,
            |b, frame| b.iter(|| Pdu::decode_borrowed(black_box(&frame[..])).unwrap()),
        );
    }
    group.finish();
}

/// `criterion_group!` makes a `pub fn`; kept in a private module so it needs no doc.
mod groups {
    criterion::criterion_group!(
        benches,
        super::submit_sm_160,
        super::deliver_sm_receipt,
        super::submit_sm_resp,
        super::enquire_link,
        super::submit_sm_size
    );
}
criterion_main!(groups::benches);
