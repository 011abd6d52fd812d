//! Long messages end to end: UDH vectors (3GPP TS 23.040 §9.2.3.24), splitting in every mode,
//! reassembly in any order with duplicates, gaps, timeouts and the memory caps.

use bytes::Bytes;
use proptest::prelude::*;
use smpp_codec::coding::{self, DefaultAlphabet, Encoding, GsmTables, NationalLanguage};
use smpp_codec::concat::{
    Concat, ConcatMode, MessageRef, ReferenceAllocator, Split, Splitter, UDHI, Udh, UdhError, iei,
    split_text,
};
use smpp_codec::reassembly::{
    Expired, GAP_MARKER, IncomingPart, OnTimeout, Outcome, Reassembler, ReassemblyConfig,
    ReassemblyError,
};
use smpp_codec::{Body, COctetString, DataSm, DeliverSm, Pdu, SubmitSm, Tlvs};
use std::time::{Duration, Instant};

const MODES: [ConcatMode; 4] = [
    ConcatMode::Udh8,
    ConcatMode::Udh16,
    ConcatMode::Sar,
    ConcatMode::Payload,
];

fn cs<const N: usize>(s: &str) -> COctetString<N> {
    COctetString::try_from(s).unwrap()
}

fn bytes(b: &'static [u8]) -> Bytes {
    Bytes::from_static(b)
}

// ---------------------------------------------------------------------------------------------
// UDH vectors

#[test]
fn udh_concat_8_vector() {
    // UDHL 5, IEI 0x00, length 3, reference 0xCC, 2 parts, this is part 1.
    let sm = bytes(&[0x05, 0x00, 0x03, 0xCC, 0x02, 0x01, 0x41, 0x42]);
    let (udh, rest) = Udh::parse(&sm).unwrap();
    assert_eq!(
        udh.concat(),
        Some(Concat {
            reference: MessageRef::Udh8(0xCC),
            total: 2,
            seq: 1
        })
    );
    assert_eq!(&rest[..], b"AB");
    assert_eq!(udh.encoded_len(), 6);
    let built = Udh::builder().concat_8(0xCC, 2, 1).build().unwrap();
    assert_eq!(&built.to_bytes()[..], &sm[..6]);
    assert_eq!(built, udh);
}

#[test]
fn udh_concat_16_vector() {
    // UDHL 6, IEI 0x08, length 4, reference 0x1234, 3 parts, this is part 2.
    let sm = bytes(&[0x06, 0x08, 0x04, 0x12, 0x34, 0x03, 0x02]);
    let (udh, rest) = Udh::parse(&sm).unwrap();
    assert!(rest.is_empty());
    assert_eq!(
        udh.concat(),
        Some(Concat {
            reference: MessageRef::Udh16(0x1234),
            total: 3,
            seq: 2
        })
    );
    let built = Udh::builder().concat_16(0x1234, 3, 2).build().unwrap();
    assert_eq!(built.to_bytes(), sm);
}

#[test]
fn udh_national_shift_and_port_vectors() {
    // Concatenation, then Turkish single shift (0x24) and locking shift (0x25), then 16-bit ports
    // 2948 <- 9200 (WAP push), kept raw.
    let sm = bytes(&[
        0x11, 0x00, 0x03, 0x07, 0x03, 0x03, 0x24, 0x01, 0x01, 0x25, 0x01, 0x01, 0x05, 0x04, 0x0B,
        0x84, 0x23, 0xF0, b'x',
    ]);
    let (udh, rest) = Udh::parse(&sm).unwrap();
    assert_eq!(&rest[..], b"x");
    assert_eq!(udh.national_single_shift(), Some(1));
    assert_eq!(udh.national_locking_shift(), Some(1));
    assert_eq!(udh.get(iei::PORT_16), Some(&[0x0B, 0x84, 0x23, 0xF0][..]));
    assert_eq!(
        udh.iter().map(|ie| ie.iei).collect::<Vec<_>>(),
        [0x00, 0x24, 0x25, 0x05]
    );
    let built = Udh::builder()
        .concat_8(7, 3, 3)
        .national_single_shift(1)
        .national_locking_shift(1)
        .push(iei::PORT_16, &[0x0B, 0x84, 0x23, 0xF0])
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(&built.to_bytes()[..], &sm[..18]);
    assert_eq!(
        udh.without_concat().ies(),
        &[
            0x24, 0x01, 0x01, 0x25, 0x01, 0x01, 0x05, 0x04, 0x0B, 0x84, 0x23, 0xF0
        ]
    );
    // An 8-bit port element, and an unknown element, kept raw too.
    let (udh, _) = Udh::parse(&bytes(&[0x07, 0x04, 0x02, 0x10, 0x20, 0x70, 0x01, 0xAA])).unwrap();
    assert_eq!(udh.get(iei::PORT_8), Some(&[0x10, 0x20][..]));
    assert_eq!(udh.get(0x70), Some(&[0xAA][..]));
    assert_eq!(udh.concat(), None);
}

#[test]
fn udh_malformed_is_an_error() {
    let cases: [(&'static [u8], UdhError); 6] = [
        (&[], UdhError::Empty),
        (
            &[0x05, 0x00, 0x03, 0xCC],
            UdhError::Truncated {
                udhl: 5,
                available: 3,
            },
        ),
        (&[0x02, 0x00, 0x03], UdhError::Overrun { iei: 0, offset: 0 }),
        (
            &[0x04, 0x00, 0x03, 0xCC, 0x02, 0x01],
            UdhError::Overrun { iei: 0, offset: 0 },
        ),
        (
            &[0x05, 0x08, 0x03, 0x01, 0x02, 0x01],
            UdhError::BadIeLength {
                iei: 0x08,
                len: 3,
                expected: 4,
            },
        ),
        (
            &[0x04, 0x24, 0x01, 0x01, 0xFF],
            UdhError::Overrun {
                iei: 0xFF,
                offset: 3,
            },
        ),
    ];
    for (input, err) in cases {
        assert_eq!(
            Udh::parse(&Bytes::from_static(input)).map(|(u, _)| u),
            Err(err),
            "{input:02X?}"
        );
    }
    // Without UDHI the user data is all text, whatever it looks like.
    let (udh, rest) = Udh::split(0x00, &bytes(&[0x05, 0x00])).unwrap();
    assert_eq!((udh, &rest[..]), (None, &[0x05, 0x00][..]));
    assert_eq!(Udh::split(UDHI, &bytes(&[])), Err(UdhError::Empty));
}

// ---------------------------------------------------------------------------------------------
// Splitting

fn template() -> SubmitSm {
    SubmitSm {
        source_addr: cs("12345"),
        destination_addr: cs("447700900123"),
        registered_delivery: 1,
        tlvs: Tlvs::builder().user_message_reference(77).build(),
        ..SubmitSm::default()
    }
}

fn parts(text: &str, enc: &Encoding, mode: ConcatMode) -> Split {
    split_text(text, enc, mode, || 0xABCD).unwrap()
}

fn gsm(n: usize) -> String {
    "a".repeat(n)
}

#[test]
fn part_counts_at_the_boundaries() {
    let g = Encoding::GSM7;
    let cases: [(&str, String, &Encoding, ConcatMode, usize); 14] = [
        (
            "160 septets fit one part",
            gsm(160),
            &g,
            ConcatMode::Udh8,
            1,
        ),
        ("161 need two", gsm(161), &g, ConcatMode::Udh8, 2),
        ("2 x 153", gsm(306), &g, ConcatMode::Udh8, 2),
        ("2 x 153 + 1", gsm(307), &g, ConcatMode::Udh8, 3),
        ("2 x 152 (16-bit)", gsm(304), &g, ConcatMode::Udh16, 2),
        ("2 x 152 + 1 (16-bit)", gsm(305), &g, ConcatMode::Udh16, 3),
        ("SAR: 2 x 160", gsm(320), &g, ConcatMode::Sar, 2),
        ("SAR: 2 x 160 + 1", gsm(321), &g, ConcatMode::Sar, 3),
        (
            "payload: never split",
            gsm(5000),
            &g,
            ConcatMode::Payload,
            1,
        ),
        (
            "70 UCS-2 fit one",
            "é".repeat(70),
            &Encoding::Ucs2,
            ConcatMode::Udh8,
            1,
        ),
        (
            "71 UCS-2",
            "é".repeat(71),
            &Encoding::Ucs2,
            ConcatMode::Udh8,
            2,
        ),
        (
            "2 x 67 UCS-2",
            "é".repeat(134),
            &Encoding::Ucs2,
            ConcatMode::Udh8,
            2,
        ),
        (
            "2 x 67 + 1",
            "é".repeat(135),
            &Encoding::Ucs2,
            ConcatMode::Udh8,
            3,
        ),
        (
            "76 escapes fit one",
            "€".repeat(80),
            &g,
            ConcatMode::Udh8,
            1,
        ),
    ];
    for (what, text, enc, mode, n) in cases {
        let s = parts(&text, enc, mode);
        assert_eq!(s.parts.len(), n, "{what}");
        if n > 1 {
            // Concatenated parts agree with the coding module's billing count (8-bit UDH).
            if mode == ConcatMode::Udh8 {
                assert_eq!(coding::segments(&text, enc), n, "{what}");
            }
            let full = match (mode, enc) {
                (ConcatMode::Udh8, Encoding::Gsm7(_)) => 153,
                (ConcatMode::Udh16, _) => 152,
                (ConcatMode::Sar, _) => 160,
                (_, Encoding::Ucs2) => 134,
                _ => unreachable!(),
            };
            assert_eq!(s.parts[0].payload.len(), full, "{what}");
        } else {
            assert_eq!(
                s.parts[0].concat, None,
                "{what}: one part, no concatenation"
            );
            assert_eq!(s.parts[0].udh, None, "{what}");
        }
    }
    // 154 septets with 80 € escapes (160 septets) is one part; 161 septets is not.
    assert_eq!(
        parts(&"€".repeat(80), &g, ConcatMode::Udh8).parts[0]
            .payload
            .len(),
        160
    );
    assert_eq!(
        parts(&format!("a{}", "€".repeat(80)), &g, ConcatMode::Udh8)
            .parts
            .len(),
        2
    );
}

#[test]
fn escape_and_surrogate_pairs_stay_whole() {
    let g = Encoding::GSM7;
    // 152 septets, then € (2 septets) would end at 154 > 153: it opens part 2.
    let text = format!("{}€{}", gsm(152), gsm(10));
    let s = parts(&text, &g, ConcatMode::Udh8);
    assert_eq!(s.parts.len(), 2);
    assert_eq!(s.parts[0].payload.len(), 152);
    assert_eq!(&s.parts[1].payload[..2], &[0x1B, 0x65]);
    // 151 + € = 153 exactly: stays in part 1.
    let text = format!("{}€{}", gsm(151), gsm(10));
    let s = parts(&text, &g, ConcatMode::Udh8);
    assert_eq!(s.parts[0].payload.len(), 153);
    assert_eq!(&s.parts[0].payload[151..], &[0x1B, 0x65]);
    // UCS-2: 66 units, then an emoji (a surrogate pair) would end at 68 > 67: part 2.
    let text = format!("{}😀{}", "é".repeat(66), "é".repeat(10));
    let s = parts(&text, &Encoding::Ucs2, ConcatMode::Udh8);
    assert_eq!(s.parts.len(), 2);
    assert_eq!(s.parts[0].payload.len(), 132);
    assert_eq!(&s.parts[1].payload[..4], &[0xD8, 0x3D, 0xDE, 0x00]);
}

#[test]
fn submit_sms_carry_headers_tlvs_and_coding() {
    let mut splitter = Splitter::with_references(ConcatMode::Udh8, ReferenceAllocator::new());
    let text = gsm(200);
    let pdus = splitter
        .submit_sms(&template(), &text, &Encoding::GSM7)
        .unwrap();
    assert_eq!(pdus.len(), 2);
    let reference = pdus[0].short_message.as_bytes()[3];
    for (i, p) in pdus.iter().enumerate() {
        assert_eq!(p.esm_class, UDHI);
        assert_eq!(p.data_coding, 0);
        assert_eq!(p.registered_delivery, 1);
        assert_eq!(p.tlvs.user_message_reference(), Some(77));
        assert_eq!(
            &p.short_message.as_bytes()[..6],
            &[0x05, 0x00, 0x03, reference, 2, i as u8 + 1]
        );
        Pdu::new(1, p.clone()).unwrap().encode().unwrap();
    }
    // The next long message to the same destination takes the next reference.
    let again = splitter
        .submit_sms(&template(), &text, &Encoding::GSM7)
        .unwrap();
    assert_eq!(
        again[0].short_message.as_bytes()[3],
        reference.wrapping_add(1)
    );

    // A short message: no UDH, no UDHI, even if the template had it set.
    let t = SubmitSm {
        esm_class: UDHI,
        ..template()
    };
    let one = splitter.submit_sms(&t, "hi", &Encoding::Ucs2).unwrap();
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].esm_class, 0);
    assert_eq!(one[0].data_coding, 8);
    assert_eq!(one[0].short_message.as_bytes(), &[0, b'h', 0, b'i']);

    // SAR: TLVs instead of a UDH.
    let mut sar = Splitter::new(ConcatMode::Sar);
    let pdus = sar
        .submit_sms(&template(), &gsm(400), &Encoding::GSM7)
        .unwrap();
    assert_eq!(pdus.len(), 3);
    for (i, p) in pdus.iter().enumerate() {
        assert_eq!(p.esm_class, 0);
        assert_eq!(p.short_message.len(), if i < 2 { 160 } else { 80 });
        assert_eq!(p.tlvs.sar_total_segments(), Some(3));
        assert_eq!(p.tlvs.sar_segment_seqnum(), Some(i as u8 + 1));
        assert_eq!(p.tlvs.sar_msg_ref_num(), pdus[0].tlvs.sar_msg_ref_num());
        assert_eq!(p.tlvs.user_message_reference(), Some(77));
    }

    // Payload: one PDU, message_payload, empty short_message.
    let mut pay = Splitter::new(ConcatMode::Payload);
    let pdus = pay
        .submit_sms(&template(), &gsm(400), &Encoding::GSM7)
        .unwrap();
    assert_eq!(pdus.len(), 1);
    assert!(pdus[0].short_message.is_empty());
    assert_eq!(pdus[0].tlvs.message_payload().unwrap().len(), 400);
    Pdu::new(1, pdus[0].clone()).unwrap().encode().unwrap();
}

#[test]
fn national_shift_headers_in_every_mode() {
    let text = "Ağaç şişe ılık ğüş ".repeat(12);
    let choice = coding::choose(&text, &[NationalLanguage::Turkish]);
    let Encoding::Gsm7(tables) = choice.encoding else {
        panic!("Turkish text should be GSM with Turkish tables: {choice:?}");
    };
    assert_ne!(tables, GsmTables::DEFAULT);
    let enc = choice.encoding;
    let ies = enc.udh_ies();
    let shared: Vec<u8> = ies.iter().flat_map(|&(id, l)| [id, 1, l]).collect();

    let s = parts(&text, &enc, ConcatMode::Udh8);
    assert!(s.parts.len() > 1);
    for p in &s.parts {
        let udh = p.udh.as_ref().unwrap();
        assert_eq!(&udh.ies()[5..], &shared[..]);
        let septets = p.payload.len() + (udh.encoded_len() * 8).div_ceil(7);
        assert!(septets <= 160, "{septets}");
    }
    // SAR: the UDH carries only the shift elements.
    let s = parts(&text, &enc, ConcatMode::Sar);
    for p in &s.parts {
        assert_eq!(p.udh.as_ref().unwrap().ies(), &shared[..]);
        assert!(matches!(
            p.concat,
            Some(Concat {
                reference: MessageRef::Sar(0xABCD),
                ..
            })
        ));
    }
    // One short part: a UDH with just the shift elements.
    let s = parts("ğ", &enc, ConcatMode::Udh8);
    assert_eq!(s.parts.len(), 1);
    assert_eq!(s.parts[0].udh.as_ref().unwrap().ies(), &shared[..]);
    let pdus = s.submit_sms(&template()).unwrap();
    assert_eq!(pdus[0].esm_class, UDHI);
}

// ---------------------------------------------------------------------------------------------
// Reassembly

/// Mixes `order` by a seeded xorshift (Fisher-Yates).
fn shuffle<T>(items: &mut [T], mut seed: u64) {
    seed |= 1;
    for i in (1..items.len()).rev() {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        items.swap(i, (seed % (i as u64 + 1)) as usize);
    }
}

/// Through the wire: encode, decode (so the PDU's fields are views of a frame).
fn over_the_wire(body: impl Into<Body>) -> Body {
    let frame = Pdu::new(1, body).unwrap().encode().unwrap();
    Pdu::decode(&frame).unwrap().body
}

fn deliver_template() -> DeliverSm {
    DeliverSm {
        source_addr: cs("447700900123"),
        destination_addr: cs("12345"),
        ..DeliverSm::default()
    }
}

fn data_template() -> DataSm {
    DataSm {
        source_addr: cs("447700900123"),
        destination_addr: cs("12345"),
        ..DataSm::default()
    }
}

/// Splits `text`, sends every part as `deliver_sm` (or `data_sm`) in a shuffled order with some
/// parts repeated, and checks the reassembled text.
fn round_trip(text: &str, enc: &Encoding, mode: ConcatMode, seed: u64, dups: usize, data_sm: bool) {
    let split = split_text(text, enc, mode, || (seed >> 20) as u16).unwrap();
    if mode == ConcatMode::Payload {
        assert_eq!(split.parts.len(), 1);
    }
    // No part ends in the middle of a pair: each decodes alone, and together they are the text.
    let per_part: String = split
        .parts
        .iter()
        .map(|p| coding::decode(&p.payload, enc).unwrap().into_owned())
        .collect();
    assert_eq!(per_part, text);

    let mut pdus: Vec<Body> = if data_sm {
        let t = data_template();
        split
            .data_sms(&t)
            .unwrap()
            .into_iter()
            .map(Body::DataSm)
            .collect()
    } else {
        let t = deliver_template();
        split
            .deliver_sms(&t)
            .unwrap()
            .into_iter()
            .map(Body::DeliverSm)
            .collect()
    };
    for i in 0..dups {
        let d = pdus[(seed as usize).wrapping_add(i * 7) % pdus.len()].clone();
        pdus.push(d);
    }
    shuffle(&mut pdus, seed);

    let mut r = Reassembler::new(ReassemblyConfig::default());
    let now = Instant::now();
    let mut done = Vec::new();
    let mut duplicates = 0;
    for body in pdus {
        let outcome = match over_the_wire(body) {
            Body::DeliverSm(d) => r.push_deliver_sm(now, &d),
            Body::DataSm(d) => r.push_data_sm(now, &d),
            other => unreachable!("{other:?}"),
        };
        match outcome.unwrap() {
            Outcome::Complete(m) => done.push(m),
            Outcome::Duplicate => duplicates += 1,
            Outcome::Pending { .. } => {}
        }
    }
    let n = split.parts.len();
    // A duplicate that arrives after its message completed starts a new (incomplete) one.
    assert!(!done.is_empty());
    let m = &done[0];
    assert!(m.is_complete());
    assert_eq!(m.missing(), Vec::<u8>::new());
    assert_eq!(m.total as usize, n);
    assert_eq!(m.text(DefaultAlphabet::GsmUnpacked).unwrap(), text);
    assert_eq!(m.data_coding, enc.data_coding());
    let stats = r.stats();
    assert_eq!(stats.duplicates, duplicates);
    if n == 1 {
        assert_eq!(stats.whole as usize, 1 + dups);
        assert_eq!(r.pending_messages(), 0);
    } else {
        assert_eq!(stats.completed as usize, done.len());
    }
    assert_eq!(stats.rejected, 0);
    if dups == 0 {
        assert_eq!(done.len(), 1);
        assert_eq!(r.pending_messages(), 0);
        assert_eq!(r.pending_bytes(), 0);
    }
}

fn text_strategy() -> impl Strategy<Value = String> {
    let alphabets: [&'static [char]; 4] = [
        &['a', 'Z', '0', ' ', '.', '@', '?', '\n'],
        &[
            'a', '€', '[', ']', '{', '}', '~', '^', '\\', '|', ' ', 'é', 'Ä',
        ],
        &['ş', 'ğ', 'ı', 'İ', 'Ş', 'Ğ', 'ç', 'ö', 'ü', 'a', ' ', '€'],
        &['a', '😀', '🎉', 'ж', '中', ' ', '€', '👍'],
    ];
    (0..4usize, 0..800usize).prop_flat_map(move |(k, len)| {
        prop::collection::vec(prop::sample::select(alphabets[k]), len)
            .prop_map(|v| v.into_iter().collect::<String>())
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn split_then_reassemble_in_any_order(
        text in text_strategy(),
        mode in prop::sample::select(&MODES[..]),
        seed in any::<u64>(),
        dups in 0..3usize,
        data_sm in any::<bool>(),
    ) {
        let enc = coding::choose(&text, &[NationalLanguage::Turkish]).encoding;
        round_trip(&text, &enc, mode, seed, dups, data_sm);
        // Also as plain UCS-2, whatever the text.
        round_trip(&text, &Encoding::Ucs2, mode, seed, 0, data_sm);
    }
}

#[test]
fn turkish_emoji_and_escape_texts_round_trip() {
    let texts = [
        "Merhaba dünya! Şişli'de ılık bir gün; ğ ü ç ö İ ı ".repeat(9),
        "Price: 10€ [net] {gross} ~approx^ \\path| ".repeat(12),
        "Party 🎉🎉 time 😀 ok 👍 ".repeat(10),
        String::new(),
    ];
    for text in &texts {
        let enc = coding::choose(text, &[NationalLanguage::Turkish]).encoding;
        for mode in MODES {
            for seed in [1, 2, 3] {
                round_trip(text, &enc, mode, seed, 0, false);
                round_trip(text, &enc, mode, seed, 1, true);
            }
        }
    }
}

fn part(
    source: &'static [u8],
    reference: MessageRef,
    total: u8,
    seq: u8,
    payload: &'static [u8],
) -> IncomingPart {
    IncomingPart {
        source: Bytes::from_static(source),
        destination: bytes(b"12345"),
        concat: Concat {
            reference,
            total,
            seq,
        },
        payload: Bytes::from_static(payload),
        data_coding: 0,
        national_locking: None,
        national_single: None,
        udh_len: 6,
    }
}

#[test]
fn duplicates_are_ignored_and_counted() {
    let mut r = Reassembler::new(ReassemblyConfig::default());
    let now = Instant::now();
    let p = |seq, s| part(b"1", MessageRef::Udh8(1), 3, seq, s);
    assert_eq!(
        r.push(now, p(2, b"b")).unwrap(),
        Outcome::Pending {
            received: 1,
            total: 3
        }
    );
    assert_eq!(r.push(now, p(2, b"b")).unwrap(), Outcome::Duplicate);
    assert_eq!(r.push(now, p(2, b"X")).unwrap(), Outcome::Duplicate);
    assert!(matches!(
        r.push(now, p(3, b"c")).unwrap(),
        Outcome::Pending { received: 2, .. }
    ));
    let Outcome::Complete(m) = r.push(now, p(1, b"a")).unwrap() else {
        panic!()
    };
    assert_eq!(&m.payload[..], b"abc");
    assert_eq!(r.stats().duplicates, 2);
    assert_eq!(r.stats().completed, 1);
    assert_eq!(r.pending_bytes(), 0);
}

#[test]
fn bad_numbers_and_inconsistent_totals() {
    let mut r = Reassembler::new(ReassemblyConfig::default());
    let now = Instant::now();
    let m = MessageRef::Udh16(0x1234);
    assert_eq!(
        r.push(now, part(b"1", m, 3, 0, b"a")),
        Err(ReassemblyError::BadSeq { seq: 0, total: 3 })
    );
    assert_eq!(
        r.push(now, part(b"1", m, 3, 4, b"a")),
        Err(ReassemblyError::BadSeq { seq: 4, total: 3 })
    );
    assert_eq!(
        r.push(now, part(b"1", m, 0, 0, b"a")),
        Err(ReassemblyError::TotalZero)
    );
    assert_eq!(r.stats().rejected, 3);
    assert_eq!(r.pending_messages(), 0);

    // Same source, destination and reference, another total: another message; counted.
    r.push(now, part(b"1", m, 3, 1, b"a")).unwrap();
    r.push(now, part(b"1", m, 2, 1, b"x")).unwrap();
    assert_eq!(r.stats().inconsistent_total, 1);
    assert_eq!(r.pending_messages(), 2);
    r.push(now, part(b"1", m, 3, 2, b"b")).unwrap();
    let Outcome::Complete(done) = r.push(now, part(b"1", m, 3, 3, b"c")).unwrap() else {
        panic!()
    };
    assert_eq!(&done.payload[..], b"abc");
    // Same numbers in another carrier (SAR) or from another sender: other messages.
    r.push(now, part(b"1", MessageRef::Sar(0x1234), 2, 2, b"s"))
        .unwrap();
    r.push(now, part(b"2", m, 2, 2, b"t")).unwrap();
    assert_eq!(r.stats().inconsistent_total, 1);
    assert_eq!(r.pending_messages(), 3);

    // A total of 1 is a whole message.
    let Outcome::Complete(one) = r.push(now, part(b"1", m, 1, 1, b"w")).unwrap() else {
        panic!()
    };
    assert!(one.is_complete());

    // A malformed UDH in a deliver_sm: an error with the status to answer, and counted.
    let bad = DeliverSm {
        esm_class: UDHI,
        short_message: smpp_codec::ShortMessage::new(&b"\x05\x00\x03\x01"[..]).unwrap(),
        ..deliver_template()
    };
    let e = r.push_deliver_sm(now, &bad).unwrap_err();
    assert!(matches!(
        e,
        ReassemblyError::Udh(UdhError::Truncated { .. })
    ));
    assert_eq!(
        e.command_status(),
        smpp_codec::CommandStatus::ESME_RX_P_APPN
    );
    assert_eq!(r.stats().rejected, 4);
}

#[test]
fn missing_parts_time_out_delivered_with_gaps() {
    let config = ReassemblyConfig {
        timeout: Duration::from_secs(60),
        ..ReassemblyConfig::default()
    };
    let mut r = Reassembler::new(config);
    let start = Instant::now();
    let p = |seq, s| part(b"1", MessageRef::Udh8(9), 4, seq, s);
    r.push(start, p(1, b"one ")).unwrap();
    r.push(start + Duration::from_secs(10), p(3, b"three "))
        .unwrap();
    assert_eq!(r.poll_timeout(), Some(start + Duration::from_secs(60)));
    assert_eq!(r.poll_expired(start + Duration::from_secs(59)), None);
    let Some(Expired::Partial(m)) = r.poll_expired(start + Duration::from_secs(60)) else {
        panic!()
    };
    assert_eq!(r.poll_expired(start + Duration::from_secs(60)), None);
    assert!(!m.is_complete());
    assert_eq!(m.missing(), vec![2, 4]);
    assert_eq!(&m.payload[..], b"one three ");
    assert_eq!(
        m.text(DefaultAlphabet::GsmUnpacked).unwrap(),
        format!("one {GAP_MARKER}three {GAP_MARKER}")
    );
    assert_eq!(
        m.text_with_gaps(DefaultAlphabet::GsmUnpacked, "[?]")
            .unwrap(),
        "one [?]three [?]"
    );
    assert_eq!(r.stats().expired_delivered, 1);
    assert_eq!(r.pending_messages(), 0);
    assert_eq!(r.pending_bytes(), 0);
    assert_eq!(r.poll_timeout(), None);
}

#[test]
fn missing_parts_time_out_dropped() {
    let config = ReassemblyConfig {
        timeout: Duration::from_secs(30),
        on_timeout: OnTimeout::Drop,
        ..ReassemblyConfig::default()
    };
    let mut r = Reassembler::new(config);
    let start = Instant::now();
    r.push(start, part(b"1", MessageRef::Udh8(1), 2, 2, b"b"))
        .unwrap();
    r.push(
        start + Duration::from_secs(5),
        part(b"2", MessageRef::Udh8(1), 3, 1, b"a"),
    )
    .unwrap();
    r.push(
        start + Duration::from_secs(5),
        part(b"2", MessageRef::Udh8(1), 3, 3, b"c"),
    )
    .unwrap();
    let later = start + Duration::from_secs(100);
    let Some(Expired::Dropped { key, received }) = r.poll_expired(later) else {
        panic!()
    };
    assert_eq!((&key.source[..], received), (&b"1"[..], 1));
    let Some(Expired::Dropped { key, received }) = r.poll_expired(later) else {
        panic!()
    };
    assert_eq!((&key.source[..], key.total, received), (&b"2"[..], 3, 2));
    assert_eq!(r.poll_expired(later), None);
    assert_eq!(r.stats().expired_dropped, 2);
    // A part arriving after its message was dropped starts afresh.
    assert!(matches!(
        r.push(later, part(b"2", MessageRef::Udh8(1), 3, 2, b"b"))
            .unwrap(),
        Outcome::Pending { received: 1, .. }
    ));
}

#[test]
fn memory_caps_evict_the_oldest() {
    // At most 3 messages.
    let mut r = Reassembler::new(ReassemblyConfig {
        max_messages: 3,
        ..ReassemblyConfig::default()
    });
    let now = Instant::now();
    for i in 0..5u8 {
        r.push(now, part(b"1", MessageRef::Udh8(i), 2, 1, b"x"))
            .unwrap();
        assert!(r.pending_messages() <= 3);
    }
    assert_eq!(r.pending_messages(), 3);
    assert_eq!(r.stats().evicted, 2);
    // The two oldest (references 0 and 1) are gone: their second parts start new messages...
    assert!(matches!(
        r.push(now, part(b"1", MessageRef::Udh8(0), 2, 2, b"y"))
            .unwrap(),
        Outcome::Pending { .. }
    ));
    assert_eq!(r.stats().evicted, 3); // ...evicting reference 2.
    // ...while the newest complete.
    assert!(matches!(
        r.push(now, part(b"1", MessageRef::Udh8(4), 2, 2, b"y"))
            .unwrap(),
        Outcome::Complete(_)
    ));

    // At most 40 octets: each message costs 1 + 5 address octets, plus 10 per part.
    let mut r = Reassembler::new(ReassemblyConfig {
        max_bytes: 40,
        ..ReassemblyConfig::default()
    });
    let ten = b"0123456789";
    let p = |reference, seq| part(b"1", MessageRef::Udh8(reference), 3, seq, ten);
    r.push(now, p(1, 1)).unwrap();
    r.push(now, p(1, 2)).unwrap();
    assert_eq!((r.pending_messages(), r.pending_bytes()), (1, 26));
    // 26 + 16 > 40: the oldest goes.
    r.push(now, p(2, 1)).unwrap();
    assert_eq!(r.stats().evicted, 1);
    assert_eq!((r.pending_messages(), r.pending_bytes()), (1, 16));
    r.push(now, p(3, 1)).unwrap();
    assert_eq!((r.pending_messages(), r.pending_bytes()), (2, 32));
    // 32 + 10 > 40: the oldest is the very message this part belongs to; it starts afresh.
    assert_eq!(
        r.push(now, p(2, 2)).unwrap(),
        Outcome::Pending {
            received: 1,
            total: 3
        }
    );
    assert_eq!(r.stats().evicted, 2);
    assert_eq!((r.pending_messages(), r.pending_bytes()), (2, 32));
    // A part too large for the cap on its own is refused, nothing evicted.
    let big: &'static [u8] = &[0; 64];
    assert_eq!(
        r.push(now, part(b"1", MessageRef::Udh8(4), 2, 1, big)),
        Err(ReassemblyError::TooLarge { len: 70, max: 40 })
    );
    assert_eq!(r.stats().evicted, 2);
}

/// Bounded memory under random part sequences (what the `reassembly` fuzz target checks).
#[derive(Debug, Clone)]
enum Op {
    Part {
        src: u8,
        reference: u8,
        wide: u8,
        total: u8,
        seq: u8,
        len: u8,
    },
    Advance(u16),
    Expire,
}

fn op_strategy() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0..3u8, 0..4u8, 0..3u8, 0..6u8, 0..7u8, any::<u8>()).prop_map(
            |(src, reference, wide, total, seq, len)| Op::Part { src, reference, wide, total, seq, len }
        ),
        1 => any::<u16>().prop_map(Op::Advance),
        1 => Just(Op::Expire),
    ]
}

proptest! {
    #[test]
    fn caps_hold_under_random_sequences(
        ops in prop::collection::vec(op_strategy(), 0..300),
        max_messages in 1..6usize,
        max_bytes in 0..1200usize,
        drop in any::<bool>(),
    ) {
        let config = ReassemblyConfig {
            timeout: Duration::from_millis(5000),
            on_timeout: if drop { OnTimeout::Drop } else { OnTimeout::DeliverPartial },
            max_messages,
            max_bytes,
        };
        let mut r = Reassembler::new(config);
        let mut now = Instant::now();
        let payload = vec![0x41u8; 255];
        for op in ops {
            match op {
                Op::Part { src, reference, wide, total, seq, len } => {
                    let reference = match wide {
                        0 => MessageRef::Udh8(reference),
                        1 => MessageRef::Udh16(u16::from(reference) << 8),
                        _ => MessageRef::Sar(u16::from(reference)),
                    };
                    let p = IncomingPart {
                        source: Bytes::from(vec![src; usize::from(src)]),
                        destination: bytes(b"1"),
                        concat: Concat { reference, total, seq },
                        payload: Bytes::copy_from_slice(&payload[..usize::from(len)]),
                        data_coding: 0,
                        national_locking: None,
                        national_single: None,
                        udh_len: 0,
                    };
                    if let Ok(Outcome::Complete(m)) = r.push(now, p) {
                        prop_assert!(m.is_complete());
                        prop_assert_eq!(m.segments.last().unwrap().range.end, m.payload.len());
                    }
                }
                Op::Advance(ms) => now += Duration::from_millis(u64::from(ms)),
                Op::Expire => {
                    while let Some(e) = r.poll_expired(now) {
                        if let Expired::Partial(m) = e {
                            prop_assert!(!m.is_complete());
                            prop_assert!(!m.missing().is_empty());
                        }
                    }
                    prop_assert!(r.poll_timeout().is_none_or(|t| t > now));
                }
            }
            prop_assert!(r.pending_messages() <= max_messages);
            prop_assert!(r.pending_bytes() <= max_bytes);
        }
    }
}

#[test]
fn packed_gsm_and_pairs_split_by_a_sender_decode() {
    let mut r = Reassembler::new(ReassemblyConfig::default());
    let now = Instant::now();
    // A sender that splits the escape pair of "€" across parts: runs are decoded as one.
    let p1 = part(b"1", MessageRef::Udh8(5), 2, 1, b"ab\x1b");
    let p2 = part(b"1", MessageRef::Udh8(5), 2, 2, b"\x65c");
    r.push(now, p2).unwrap();
    let Outcome::Complete(m) = r.push(now, p1).unwrap() else {
        panic!()
    };
    assert_eq!(m.text(DefaultAlphabet::GsmUnpacked).unwrap(), "ab€c");

    // Packed GSM (a bind whose default alphabet is packed): each part unpacked after the fill
    // bits its own UDH leaves.
    let texts = ["Hello, this is ", "part two€ of it"];
    let mut parts: Vec<IncomingPart> = Vec::new();
    for (i, t) in texts.iter().enumerate() {
        let septets = coding::encode(t, &Encoding::GSM7).unwrap();
        let udh_len = if i == 0 { 6 } else { 7 };
        let packed = coding::gsm7::pack(&septets, coding::gsm7::fill_bits(udh_len));
        parts.push(IncomingPart {
            payload: Bytes::from(packed),
            udh_len,
            ..part(b"2", MessageRef::Udh8(6), 2, i as u8 + 1, b"")
        });
    }
    r.push(now, parts.pop().unwrap()).unwrap();
    let Outcome::Complete(m) = r.push(now, parts.pop().unwrap()).unwrap() else {
        panic!()
    };
    assert_eq!(
        m.text(DefaultAlphabet::GsmPacked).unwrap(),
        "Hello, this is part two€ of it"
    );
}
