//! A loop of codec operations over the bench samples, for instruction counts under
//! `valgrind --tool=callgrind` (BENCHMARKS.md): `codec_loop <decode|decode_borrowed|encode> <submit|dlr|resp|el> [N]`.

use std::hint::black_box;

use bytes::{Bytes, BytesMut};
use smpp_codec::Pdu;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let op = args.get(1).map_or("decode", String::as_str);
    let sample = match args.get(2).map_or("submit", String::as_str) {
        "submit" => smpp_benches::submit_sm_160(),
        "dlr" => smpp_benches::deliver_sm_receipt(),
        "resp" => smpp_benches::submit_sm_resp(),
        "el" => smpp_benches::enquire_link(),
        other => panic!("unknown sample {other}"),
    };
    let n: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let frame = Bytes::copy_from_slice(&sample);
    let pdu = Pdu::decode(&frame).expect("sample decodes");
    let mut buf = BytesMut::with_capacity(1024);
    for _ in 0..n {
        match op {
            "decode" => {
                black_box(Pdu::decode(black_box(&frame)).unwrap());
            }
            "decode_borrowed" => {
                black_box(Pdu::decode_borrowed(black_box(&sample[..])).unwrap());
            }
            "encode" => {
                buf.clear();
                black_box(&pdu).encode_into(&mut buf).unwrap();
                black_box(&buf);
            }
            other => panic!("unknown op {other}"),
        }
    }
}
