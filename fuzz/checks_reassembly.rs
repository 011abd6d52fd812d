//! Fuzz target `reassembly`: the input is read as a configuration then a sequence of operations
//! on one `Reassembler` (parts with colliding keys, totals and numbers, `deliver_sm`s with
//! arbitrary user data, UDH and SAR TLVs, clock moves, expiry polls). Nothing may panic; after
//! every operation the pending messages and octets stay within the caps; every message handed
//! out is consistent; a UDH that parses builds back to the same octets; and once everything has
//! expired, nothing is left pending.

use bytes::Bytes;
use smpp_codec::concat::{Concat, MessageRef, Udh};
use smpp_codec::reassembly::{
    Expired, IncomingPart, Message, OnTimeout, Outcome, Reassembler, ReassemblyConfig,
};
use smpp_codec::{COctetString, DeliverSm, ShortMessage, Tlvs};
use std::time::{Duration, Instant};

/// The target's checks on one input.
pub fn check(data: &[u8]) {
    run(data)
}

/// A cursor over the input; reads past the end give zeros.
struct Input<'a>(&'a [u8]);

impl<'a> Input<'a> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }

    fn take(&mut self, n: usize) -> &'a [u8] {
        let (head, rest) = self.0.split_at(n.min(self.0.len()));
        self.0 = rest;
        head
    }
}

fn check_message(m: &Message) {
    assert!(m.segments.len() <= usize::from(m.total));
    let mut end = 0;
    let mut last = 0u8;
    for s in &m.segments {
        assert!(s.seq > last && s.seq <= m.total, "segments out of order");
        assert_eq!(s.range.start, end, "segments not contiguous");
        end = s.range.end;
        last = s.seq;
    }
    assert_eq!(end, m.payload.len());
    assert_eq!(m.is_complete(), m.missing().is_empty());
    assert_eq!(m.segments.len() + m.missing().len(), usize::from(m.total));
    // Decoding never panics, whatever the coding.
    let _ = m.text(Default::default());
    let _ = m.text(smpp_codec::coding::DefaultAlphabet::GsmPacked);
}

fn run(data: &[u8]) {
    let mut input = Input(data);
    let config = ReassemblyConfig {
        max_messages: usize::from(input.byte() % 8),
        max_bytes: usize::from(input.byte()) * 8,
        timeout: Duration::from_millis(u64::from(input.byte()) * 50),
        on_timeout: if input.byte() & 1 == 0 {
            OnTimeout::DeliverPartial
        } else {
            OnTimeout::Drop
        },
    };
    let mut r = Reassembler::new(config);
    let caps = *r.config();
    let start = Instant::now();
    let mut now = start;
    let filler = [0x41u8; 255];

    while !input.0.is_empty() {
        match input.byte() % 6 {
            0..=2 => {
                let src = input.byte() % 4;
                let reference = input.byte();
                let reference = match reference % 3 {
                    0 => MessageRef::Udh8(reference >> 6),
                    1 => MessageRef::Udh16(u16::from(reference >> 6) << 8),
                    _ => MessageRef::Sar(u16::from(reference >> 6)),
                };
                let total = input.byte() % 6;
                let seq = input.byte() % 8;
                let len = usize::from(input.byte());
                let part = IncomingPart {
                    source: Bytes::from(vec![b'0' + src; usize::from(src) * 5]),
                    destination: Bytes::from_static(b"12345"),
                    concat: Concat {
                        reference,
                        total,
                        seq,
                    },
                    payload: Bytes::copy_from_slice(&filler[..len]),
                    data_coding: input.byte(),
                    national_locking: Some(input.byte() % 16),
                    national_single: None,
                    udh_len: usize::from(input.byte() % 16),
                };
                match r.push(now, part) {
                    Ok(Outcome::Complete(m)) => {
                        assert!(m.is_complete());
                        check_message(&m);
                    }
                    Ok(Outcome::Pending { received, total }) => assert!(received < total),
                    Ok(Outcome::Duplicate) | Err(_) => {}
                }
            }
            3 => {
                // Any time within ~65 s of the start, backwards included.
                let ms = u16::from_be_bytes([input.byte(), input.byte()]);
                now = start + Duration::from_millis(u64::from(ms));
            }
            4 => {
                while let Some(e) = r.poll_expired(now) {
                    if let Expired::Partial(m) = e {
                        check_message(&m);
                    }
                }
                assert!(r.poll_timeout().is_none_or(|t| t > now));
            }
            _ => {
                // A deliver_sm with arbitrary user data, maybe SAR TLVs.
                let esm_class = input.byte();
                let len = usize::from(input.byte());
                let sm = Bytes::copy_from_slice(input.take(len.min(ShortMessage::MAX)));
                let sar = input.byte();
                let mut tlvs = Tlvs::builder();
                if sar & 1 == 1 {
                    tlvs = tlvs
                        .sar_msg_ref_num(u16::from(sar >> 6))
                        .sar_total_segments((sar >> 1) % 4)
                        .sar_segment_seqnum((sar >> 3) % 5);
                }
                if let Ok((udh, _)) = Udh::parse(&sm) {
                    let rebuilt = Udh::builder().extend(&udh).build().unwrap().to_bytes();
                    assert_eq!(&rebuilt[..], &sm[..udh.encoded_len()]);
                    let _ = (
                        udh.concat(),
                        udh.national_locking_shift(),
                        udh.without_concat(),
                    );
                }
                let pdu = DeliverSm {
                    source_addr: COctetString::try_from("1").unwrap(),
                    destination_addr: COctetString::try_from("12345").unwrap(),
                    esm_class,
                    data_coding: input.byte(),
                    short_message: ShortMessage::new(sm).unwrap(),
                    tlvs: tlvs.build(),
                    ..DeliverSm::default()
                };
                if let Ok(Outcome::Complete(m)) = r.push_deliver_sm(now, &pdu) {
                    check_message(&m);
                }
            }
        }
        assert!(r.pending_messages() <= caps.max_messages);
        assert!(r.pending_bytes() <= caps.max_bytes);
    }

    // Everything expires eventually, and then nothing is held.
    let end = start + Duration::from_secs(86_400);
    while r.poll_expired(end).is_some() {}
    assert_eq!(r.pending_messages(), 0);
    assert_eq!(r.pending_bytes(), 0);
    assert_eq!(r.poll_timeout(), None);
}
