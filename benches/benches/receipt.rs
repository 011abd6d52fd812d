//! Receipt benches: reading a delivery receipt, ours only (the peer crates have no receipt
//! parser). Group `receipt`:
//!
//! - `parse_text`: `Receipt::parse_text` on the Appendix B receipt text of the samples
//!   (`smpp_benches::RECEIPT_TEXT`, 113 octets: all eight fields, a 16-character hex id).
//! - `from_deliver_sm`: `Receipt::from_deliver_sm` on the sample receipt `deliver_sm`
//!   (`smpp_benches::deliver_sm_receipt`), decoded once outside the timing: TLVs
//!   (`receipted_message_id`, `message_state`) and the text, combined.
//!
//! Both borrow from their input, so the timed work is the scan alone (no allocation for a
//! receipt without extra fields). The `Receipt` is dropped inside the timing.
//!
//! Run: `cargo bench -p smpp-benches --bench receipt`.

use std::hint::black_box;

use bytes::Bytes;
use criterion::{Criterion, criterion_main};
use smpp_codec::receipt::Receipt;
use smpp_codec::{Body, Pdu};

fn receipt(c: &mut Criterion) {
    let text = std::str::from_utf8(smpp_benches::RECEIPT_TEXT).expect("ASCII sample");
    let frame = Bytes::from(smpp_benches::deliver_sm_receipt());
    let pdu = Pdu::decode(&frame).expect("the sample decodes");
    let Body::DeliverSm(sm) = &pdu.body else {
        panic!("the sample is a deliver_sm");
    };
    // The samples must read as receipts, or the timings mean nothing.
    assert!(Receipt::parse_text(text).is_ok());
    assert!(Receipt::from_deliver_sm(sm).is_ok());

    let mut group = c.benchmark_group("receipt");
    group.bench_function("parse_text", |b| {
        b.iter(|| Receipt::parse_text(black_box(text)))
    });
    group.bench_function("from_deliver_sm", |b| {
        b.iter(|| Receipt::from_deliver_sm(black_box(sm)))
    });
    group.finish();
}

/// `criterion_group!` makes a `pub fn`; kept in a private module so it needs no doc.
mod groups {
    criterion::criterion_group!(benches, super::receipt);
}
criterion_main!(groups::benches);
