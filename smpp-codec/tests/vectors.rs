//! Every PDU against byte vectors derived by hand from the SMPP 3.4 / 5.0 tables, plus the
//! documented errors for malformed input.

use bytes::Bytes;
use smpp_codec::*;

/// Header (§3.2 / 5.0 Table 3-1) + body; `command_length` counted by hand in each test's comment.
fn frame(len: u32, id: u32, status: u32, seq: u32, body: &[u8]) -> Bytes {
    assert_eq!(len as usize, 16 + body.len(), "hand-counted command_length");
    let mut v = Vec::new();
    for w in [len, id, status, seq] {
        v.extend_from_slice(&w.to_be_bytes());
    }
    v.extend_from_slice(body);
    Bytes::from(v)
}

fn cs<const N: usize>(s: &str) -> COctetString<N> {
    COctetString::try_from(s).unwrap()
}

/// Decodes strictly, checks the result, and checks that encoding gives the bytes back.
fn roundtrip(bytes: &Bytes, expected: &Pdu) {
    let strict = Pdu::decode_with(bytes, &DecodeOptions::strict()).expect("strict decode");
    assert_eq!(&strict, expected);
    assert_eq!(&Pdu::decode(bytes).unwrap(), expected);
    assert_eq!(expected.encoded_len(), bytes.len());
    assert_eq!(&expected.encode().unwrap(), bytes);
}

#[test]
fn enquire_link_and_other_header_only_pdus() {
    // §4.1.2.1 enquire_link: header only, 16 octets.
    let b = Bytes::from_static(&[0, 0, 0, 0x10, 0, 0, 0, 0x15, 0, 0, 0, 0, 0, 0, 0, 0x2A]);
    roundtrip(
        &b,
        &Pdu {
            command_status: CommandStatus::ESME_ROK,
            sequence_number: 42,
            body: Body::EnquireLink,
        },
    );
    for (id, body) in [
        (0x8000_0015, Body::EnquireLinkResp),
        (0x0000_0006, Body::Unbind),
        (0x8000_0006, Body::UnbindResp),
        (0x8000_0007, Body::ReplaceSmResp),
        (0x8000_0008, Body::CancelSmResp),
        (0x8000_0113, Body::CancelBroadcastSmResp),
    ] {
        let b = frame(16, id, 0, 3, &[]);
        roundtrip(
            &b,
            &Pdu {
                command_status: CommandStatus::ESME_ROK,
                sequence_number: 3,
                body,
            },
        );
    }
    // §4.1.4.1 generic_nack carrying ESME_RINVCMDID.
    let b = frame(16, 0x8000_0000, 3, 9, &[]);
    roundtrip(
        &b,
        &Pdu {
            command_status: CommandStatus::ESME_RINVCMDID,
            sequence_number: 9,
            body: Body::GenericNack,
        },
    );
}

#[test]
fn bind_transmitter_and_resp() {
    // §4.1.1.1: system_id "SMPP3TEST\0" (10), password "secret08\0" (9), system_type "SUBMIT1\0" (8),
    // interface_version 0x34, addr_ton 1, addr_npi 1, address_range "\0": body 31, length 47.
    let body = b"SMPP3TEST\0secret08\0SUBMIT1\0\x34\x01\x01\0";
    let b = frame(47, 0x0000_0002, 0, 1, body);
    let bind = Bind {
        system_id: cs("SMPP3TEST"),
        password: cs("secret08"),
        system_type: cs("SUBMIT1"),
        interface_version: 0x34,
        addr_ton: 1,
        addr_npi: 1,
        address_range: cs(""),
    };
    roundtrip(
        &b,
        &Pdu::new(1, Body::BindTransmitter(bind.clone())).unwrap(),
    );
    roundtrip(
        &frame(47, 0x0000_0001, 0, 1, body),
        &Pdu::new(1, Body::BindReceiver(bind.clone())).unwrap(),
    );
    roundtrip(
        &frame(47, 0x0000_0009, 0, 1, body),
        &Pdu::new(1, Body::BindTransceiver(bind)).unwrap(),
    );

    // §4.1.1.2: system_id "SMSC\0" (5) + sc_interface_version TLV 0x0210 len 1 value 0x50 (5): length 26.
    let b = frame(26, 0x8000_0002, 0, 1, b"SMSC\0\x02\x10\x00\x01\x50");
    let resp = BindResp {
        system_id: cs("SMSC"),
        tlvs: Tlvs::builder().sc_interface_version(0x50).build(),
    };
    let pdu = Pdu::new(1, Body::BindTransmitterResp(resp)).unwrap();
    roundtrip(&b, &pdu);
    let Body::BindTransmitterResp(r) = &pdu.body else {
        unreachable!()
    };
    assert_eq!(r.tlvs.sc_interface_version(), Some(0x50));
    for id in [0x8000_0001u32, 0x8000_0009] {
        let d = Pdu::decode(&frame(26, id, 0, 1, b"SMSC\0\x02\x10\x00\x01\x50")).unwrap();
        assert_eq!(d.command_id().as_u32(), id);
    }
}

#[test]
fn bind_resp_error_without_body_is_sm_pp_3_4_conformant() {
    // SMPP 3.4 §4.1.2: "the body is not returned if the command_status field contains a non-zero value".
    let b = frame(16, 0x8000_0009, 0x0D, 1, &[]);
    let pdu = Pdu::decode_with(&b, &DecodeOptions::strict()).unwrap();
    assert_eq!(pdu.command_status, CommandStatus::ESME_RBINDFAIL);
    assert_eq!(pdu.body, Body::BindTransceiverResp(BindResp::default()));
    assert_eq!(pdu.encode().unwrap(), b);
}

#[test]
fn outbind() {
    // §4.1.1.9: system_id "MC\0" (3) + password "pw\0" (3): length 22.
    let b = frame(22, 0x0000_000B, 0, 5, b"MC\0pw\0");
    roundtrip(
        &b,
        &Pdu::new(
            5,
            Outbind {
                system_id: cs("MC"),
                password: cs("pw"),
            },
        )
        .unwrap(),
    );
}

fn sample_submit() -> SubmitSm {
    SubmitSm {
        service_type: cs(""),
        source_addr_ton: 5,
        source_addr_npi: 0,
        source_addr: cs("ACME"),
        dest_addr_ton: 1,
        dest_addr_npi: 1,
        destination_addr: cs("447700900123"),
        esm_class: 0,
        protocol_id: 0,
        priority_flag: 0,
        schedule_delivery_time: SmppTime::none(),
        validity_period: SmppTime::new("000001000000000R").unwrap(),
        registered_delivery: 1,
        replace_if_present_flag: 0,
        data_coding: 0,
        sm_default_msg_id: 0,
        short_message: ShortMessage::new(&b"Hello"[..]).unwrap(),
        tlvs: Tlvs::builder().user_message_reference(0x0102).build(),
    }
}

const SUBMIT_BODY: &[u8] = b"\0\x05\x00ACME\0\x01\x01447700900123\0\x00\x00\x00\x00000001000000000R\0\x01\x00\x00\x00\x05Hello\x02\x04\x00\x02\x01\x02";

#[test]
fn submit_sm_and_resp() {
    // §4.2.1.1: service_type "\0" (1), ton 5, npi 0, "ACME\0" (5), ton 1, npi 1, "447700900123\0" (13),
    // esm_class, protocol_id, priority_flag (3), schedule "\0" (1), validity "000001000000000R\0" (17),
    // registered_delivery, replace_if_present, data_coding, sm_default_msg_id (4), sm_length 5 +
    // "Hello" (6), TLV user_message_reference 0x0204/2/0x0102 (6): body 1+2+5+2+13+3+1+17+4+6+6 = 60.
    assert_eq!(SUBMIT_BODY.len(), 60);
    let b = frame(76, 0x0000_0004, 0, 2, SUBMIT_BODY);
    let pdu = Pdu::new(2, sample_submit()).unwrap();
    roundtrip(&b, &pdu);
    let Body::SubmitSm(s) = Pdu::decode(&b).unwrap().body else {
        panic!()
    };
    assert_eq!(s.short_message.as_bytes(), b"Hello");
    assert_eq!(s.tlvs.user_message_reference(), Some(0x0102));
    assert_eq!(s.destination_addr, "447700900123");

    // §4.2.1.2: message_id "abc123\0" (7): length 23.
    let b = frame(23, 0x8000_0004, 0, 2, b"abc123\0");
    roundtrip(
        &b,
        &Pdu::new(
            2,
            SubmitSmResp {
                message_id: cs("abc123"),
                tlvs: Tlvs::empty(),
            },
        )
        .unwrap(),
    );
}

#[test]
fn decoded_strings_are_views_of_the_frame() {
    let b = frame(76, 0x0000_0004, 0, 2, SUBMIT_BODY);
    let Body::SubmitSm(s) = Pdu::decode(&b).unwrap().body else {
        panic!()
    };
    let range = b.as_ptr() as usize..b.as_ptr() as usize + b.len();
    for p in [
        s.source_addr.as_bytes().as_ptr(),
        s.destination_addr.as_bytes().as_ptr(),
        s.short_message.as_bytes().as_ptr(),
        s.tlvs.as_bytes().as_ptr(),
        s.validity_period.0.as_bytes().as_ptr(),
    ] {
        assert!(
            range.contains(&(p as usize)),
            "field is not a view of the frame"
        );
    }
}

#[test]
fn deliver_sm_receipt_and_resp() {
    // §4.3.1.1 with esm_class 0x04 (receipt, §4.7.12) and TLVs receipted_message_id "abc\0"
    // (0x001E/4) and message_state 2 (0x0427/1).
    let text = b"id:abc sub:001 dlvrd:001 submit date:2311231200 done date:2311231201 stat:DELIVRD err:000 text:Hi";
    let mut body = Vec::new();
    body.extend_from_slice(
        b"\0\x01\x01447700900123\0\x05\x00ACME\0\x04\x00\x00\0\0\x00\x00\x00\x00",
    );
    body.push(text.len() as u8);
    body.extend_from_slice(text);
    body.extend_from_slice(b"\x00\x1E\x00\x04abc\0\x04\x27\x00\x01\x02");
    let b = frame(16 + body.len() as u32, 0x0000_0005, 0, 77, &body);
    let pdu = Pdu::decode_with(&b, &DecodeOptions::strict()).unwrap();
    let Body::DeliverSm(d) = &pdu.body else {
        panic!()
    };
    assert_eq!(d.esm_class & 0x3C, 0x04);
    assert_eq!(d.tlvs.receipted_message_id().unwrap(), &b"abc"[..]);
    assert_eq!(d.tlvs.message_state(), Some(2));
    assert_eq!(d.short_message.as_bytes(), text);
    assert_eq!(pdu.encode().unwrap(), b);

    // §4.3.1.2: message_id unused, NULL: length 17.
    let b = frame(17, 0x8000_0005, 0, 77, b"\0");
    roundtrip(&b, &Pdu::new(77, DeliverSmResp::default()).unwrap());
}

#[test]
fn data_sm_and_resp() {
    // §4.2.2.1: service_type "\0", ton 1 npi 1 "123\0", ton 1 npi 1 "456\0", esm_class 0,
    // registered_delivery 1, data_coding 8; message_payload 0x0424/4 "\0H\0i": body 1+2+4+2+4+3+8 = 24.
    let body = b"\0\x01\x01123\0\x01\x01456\0\x00\x01\x08\x04\x24\x00\x04\0H\0i";
    let b = frame(40, 0x0000_0103, 0, 8, body);
    let d = DataSm {
        service_type: cs(""),
        source_addr_ton: 1,
        source_addr_npi: 1,
        source_addr: cs("123"),
        dest_addr_ton: 1,
        dest_addr_npi: 1,
        destination_addr: cs("456"),
        esm_class: 0,
        registered_delivery: 1,
        data_coding: 8,
        tlvs: Tlvs::builder().message_payload(b"\0H\0i").unwrap().build(),
    };
    roundtrip(&b, &Pdu::new(8, d).unwrap());
    // §4.2.2.2: message_id "m1\0" + delivery_failure_reason 0x0425/1/0x01: length 16+3+5 = 24.
    let b = frame(24, 0x8000_0103, 0, 8, b"m1\0\x04\x25\x00\x01\x01");
    let r = DataSmResp {
        message_id: cs("m1"),
        tlvs: Tlvs::builder().delivery_failure_reason(1).build(),
    };
    roundtrip(&b, &Pdu::new(8, r).unwrap());
}

#[test]
fn query_sm_and_resp() {
    // §4.5.2.1: message_id "m1\0" (3), ton 1, npi 1, "123\0" (4): length 25.
    let b = frame(25, 0x0000_0003, 0, 4, b"m1\0\x01\x01123\0");
    let q = QuerySm {
        message_id: cs("m1"),
        source_addr_ton: 1,
        source_addr_npi: 1,
        source_addr: cs("123"),
    };
    roundtrip(&b, &Pdu::new(4, q).unwrap());
    // §4.5.2.2: message_id "m1\0", final_date "231123120000000+\0" (17), message_state 2, error_code 0: length 38.
    let b = frame(38, 0x8000_0003, 0, 4, b"m1\x00231123120000000+\0\x02\x00");
    let r = QuerySmResp {
        message_id: cs("m1"),
        final_date: SmppTime::new("231123120000000+").unwrap(),
        message_state: 2,
        error_code: 0,
    };
    roundtrip(&b, &Pdu::new(4, r).unwrap());
}

#[test]
fn cancel_sm() {
    // §4.5.1.1: service_type "\0", message_id "m1\0", ton/npi 1/1 "123\0", ton/npi 1/1 "456\0": body 16, length 32.
    let b = frame(32, 0x0000_0008, 0, 6, b"\0m1\0\x01\x01123\0\x01\x01456\0");
    let c = CancelSm {
        service_type: cs(""),
        message_id: cs("m1"),
        source_addr_ton: 1,
        source_addr_npi: 1,
        source_addr: cs("123"),
        dest_addr_ton: 1,
        dest_addr_npi: 1,
        destination_addr: cs("456"),
    };
    roundtrip(&b, &Pdu::new(6, c).unwrap());
}

#[test]
fn replace_sm() {
    // §4.5.3.1: message_id "m1\0", 1/1 "123\0", schedule "\0", validity "\0", registered_delivery 1,
    // sm_default_msg_id 0, sm_length 3 "new": body 3+6+1+1+1+1+4 = 17, length 33.
    let b = frame(
        33,
        0x0000_0007,
        0,
        7,
        b"m1\0\x01\x01123\0\0\0\x01\x00\x03new",
    );
    let r = ReplaceSm {
        message_id: cs("m1"),
        source_addr_ton: 1,
        source_addr_npi: 1,
        source_addr: cs("123"),
        registered_delivery: 1,
        short_message: ShortMessage::new(&b"new"[..]).unwrap(),
        ..Default::default()
    };
    roundtrip(&b, &Pdu::new(7, r).unwrap());
}

#[test]
fn submit_multi_and_resp() {
    // §4.2.3.1: service_type "\0", 1/1 "123\0", number_of_dests 2, [dest_flag 1, 1/1 "456\0"],
    // [dest_flag 2, "team\0"], esm_class..sm_default_msg_id as submit_sm with NULL times, sm_length 2 "hi".
    let body =
        b"\0\x01\x01123\0\x02\x01\x01\x01456\0\x02team\0\x00\x00\x00\0\0\x00\x00\x00\x00\x02hi";
    let b = frame(16 + body.len() as u32, 0x0000_0021, 0, 10, body);
    let m = SubmitMulti {
        source_addr_ton: 1,
        source_addr_npi: 1,
        source_addr: cs("123"),
        dest_address: vec![
            DestAddress::Sme {
                dest_addr_ton: 1,
                dest_addr_npi: 1,
                destination_addr: cs("456"),
            },
            DestAddress::DistributionList {
                dl_name: cs("team"),
            },
        ],
        short_message: ShortMessage::new(&b"hi"[..]).unwrap(),
        ..Default::default()
    };
    roundtrip(&b, &Pdu::new(10, m).unwrap());
    // §4.2.3.2: message_id "m9\0", no_unsuccess 1, [1/1 "456\0", error_status_code 0x0000000B]: body 3+1+6+4 = 14.
    let b = frame(
        30,
        0x8000_0021,
        0,
        10,
        b"m9\0\x01\x01\x01456\0\x00\x00\x00\x0B",
    );
    let r = SubmitMultiResp {
        message_id: cs("m9"),
        unsuccess_sme: vec![UnsuccessSme {
            dest_addr_ton: 1,
            dest_addr_npi: 1,
            destination_addr: cs("456"),
            error_status_code: CommandStatus::ESME_RINVDSTADR,
        }],
        tlvs: Tlvs::empty(),
    };
    roundtrip(&b, &Pdu::new(10, r).unwrap());
}

#[test]
fn alert_notification() {
    // §4.1.3.1: 1/1 "123\0", 1/1 "456\0", ms_availability_status 0x0422/1/0: body 12+5 = 17, length 33.
    let b = frame(
        33,
        0x0000_0102,
        0,
        11,
        b"\x01\x01123\0\x01\x01456\0\x04\x22\x00\x01\x00",
    );
    let a = AlertNotification {
        source_addr_ton: 1,
        source_addr_npi: 1,
        source_addr: cs("123"),
        esme_addr_ton: 1,
        esme_addr_npi: 1,
        esme_addr: cs("456"),
        tlvs: Tlvs::builder().ms_availability_status(0).build(),
    };
    roundtrip(&b, &Pdu::new(11, a).unwrap());
}

#[test]
fn broadcast_operations() {
    // §4.4.1.1: service_type "\0", 1/1 "123\0", message_id "\0", priority 0, schedule "\0",
    // validity "\0", replace 0, data_coding 0, sm_default_msg_id 0 (13 octets), then TLVs
    // broadcast_area_identifier 0x0606/3 [0x00,'A','B'], broadcast_content_type 0x0601/3 [0,0x00,0x10],
    // broadcast_rep_num 0x0604/2 1, broadcast_frequency_interval 0x0605/3 [0x09,0x00,0x05] (28).
    let body = b"\0\x01\x01123\0\0\x00\0\0\x00\x00\x00\x06\x06\x00\x03\x00AB\x06\x01\x00\x03\x00\x00\x10\x06\x04\x00\x02\x00\x01\x06\x05\x00\x03\x09\x00\x05";
    let b = frame(16 + body.len() as u32, 0x0000_0111, 0, 12, body);
    let tlvs = Tlvs::builder()
        .broadcast_area_identifier(b"\x00AB")
        .unwrap()
        .broadcast_content_type(0, 0x0010)
        .broadcast_rep_num(1)
        .broadcast_frequency_interval(9, 5)
        .build();
    let bc = BroadcastSm {
        source_addr_ton: 1,
        source_addr_npi: 1,
        source_addr: cs("123"),
        tlvs,
        ..Default::default()
    };
    let pdu = Pdu::new(12, bc).unwrap();
    roundtrip(&b, &pdu);
    let Body::BroadcastSm(bc) = &pdu.body else {
        unreachable!()
    };
    assert_eq!(bc.tlvs.broadcast_frequency_interval(), Some((9, 5)));

    // §4.4.1.2: message_id "b1\0": length 19.
    let b = frame(19, 0x8000_0111, 0, 12, b"b1\0");
    roundtrip(
        &b,
        &Pdu::new(
            12,
            BroadcastSmResp {
                message_id: cs("b1"),
                tlvs: Tlvs::empty(),
            },
        )
        .unwrap(),
    );
    // §4.6.1.1: message_id "b1\0", 1/1 "123\0", user_message_reference 0x0204/2/7: length 16+9+6 = 31.
    let b = frame(
        31,
        0x0000_0112,
        0,
        13,
        b"b1\0\x01\x01123\0\x02\x04\x00\x02\x00\x07",
    );
    let q = QueryBroadcastSm {
        message_id: cs("b1"),
        source_addr_ton: 1,
        source_addr_npi: 1,
        source_addr: cs("123"),
        tlvs: Tlvs::builder().user_message_reference(7).build(),
    };
    roundtrip(&b, &Pdu::new(13, q).unwrap());
    // §4.6.1.3: message_id "b1\0", message_state 0x0427/1/2, broadcast_area_identifier 0x0606/3,
    // broadcast_area_success 0x0608/1/100: length 16+3+5+7+5 = 36.
    let b = frame(
        36,
        0x8000_0112,
        0,
        13,
        b"b1\0\x04\x27\x00\x01\x02\x06\x06\x00\x03\x00AB\x06\x08\x00\x01\x64",
    );
    let r = QueryBroadcastSmResp {
        message_id: cs("b1"),
        tlvs: Tlvs::builder()
            .message_state(2)
            .broadcast_area_identifier(b"\x00AB")
            .unwrap()
            .broadcast_area_success(100)
            .build(),
    };
    roundtrip(&b, &Pdu::new(13, r).unwrap());
    // §4.6.2.1: service_type "\0", message_id "b1\0", 1/1 "123\0": length 16+1+3+6 = 26.
    let b = frame(26, 0x0000_0113, 0, 14, b"\0b1\0\x01\x01123\0");
    let c = CancelBroadcastSm {
        message_id: cs("b1"),
        source_addr_ton: 1,
        source_addr_npi: 1,
        source_addr: cs("123"),
        ..Default::default()
    };
    roundtrip(&b, &Pdu::new(14, c).unwrap());
}

#[test]
fn unknown_and_vendor_tlvs_round_trip_byte_exact_in_order() {
    // A submit_sm with a vendor TLV 0x1401, a repeated user_message_reference and an unknown 0x7777.
    let mut body = SUBMIT_BODY.to_vec();
    body.extend_from_slice(b"\x14\x01\x00\x03xyz\x02\x04\x00\x02\x00\x09\x77\x77\x00\x00");
    let b = frame(16 + body.len() as u32, 4, 0, 2, &body);
    let pdu = Pdu::decode_with(&b, &DecodeOptions::strict()).unwrap();
    let Body::SubmitSm(s) = &pdu.body else {
        panic!()
    };
    let tags: Vec<u16> = s.tlvs.iter().map(|t| t.tag.0).collect();
    assert_eq!(tags, vec![0x0204, 0x1401, 0x0204, 0x7777]);
    assert_eq!(s.tlvs.get(TlvTag(0x1401)), Some(&b"xyz"[..]));
    assert_eq!(pdu.encode().unwrap(), b);
}

#[test]
fn interface_version_3_3_has_no_tlvs() {
    let b = frame(76, 0x0000_0004, 0, 2, SUBMIT_BODY);
    let opts = DecodeOptions {
        interface_version: 0x33,
        ..DecodeOptions::default()
    };
    let Body::SubmitSm(s) = Pdu::decode_with(&b, &opts).unwrap().body else {
        panic!()
    };
    assert!(s.tlvs.is_empty());
    assert_eq!(s.short_message.as_bytes(), b"Hello");
    let strict33 = DecodeOptions {
        strict: true,
        ..opts
    };
    let e = Pdu::decode_with(&b, &strict33).unwrap_err();
    assert!(matches!(
        e,
        DecodeError::Body {
            reason: BodyErrorKind::TrailingOctets { count: 6 },
            ..
        }
    ));
}

// ---- malformed input: the documented errors and answers ----

fn answer(e: &DecodeError) -> (CommandId, CommandStatus, u32) {
    let a = e.answer().unwrap();
    (a.command_id(), a.command_status, a.sequence_number)
}

#[test]
fn header_errors_answer_generic_nack() {
    // Fewer than 16 octets: ESME_RINVCMDLEN, sequence unknown (0).
    let e = Pdu::decode(&Bytes::from_static(&[0, 0, 0, 16, 0, 0])).unwrap_err();
    assert!(matches!(
        e,
        DecodeError::InvalidCommandLength { header: None, .. }
    ));
    assert_eq!(
        answer(&e),
        (CommandId::GenericNack, CommandStatus::ESME_RINVCMDLEN, 0)
    );
    // command_length says 20 but the frame has 16.
    let mut v = frame(16, 0x15, 0, 5, &[]).to_vec();
    v[3] = 20;
    let e = Pdu::decode(&Bytes::from(v)).unwrap_err();
    assert_eq!(
        answer(&e),
        (CommandId::GenericNack, CommandStatus::ESME_RINVCMDLEN, 5)
    );
    // command_length below 16.
    let mut v = frame(16, 0x15, 0, 5, &[]).to_vec();
    v[3] = 8;
    assert_eq!(
        Pdu::decode(&Bytes::from(v)).unwrap_err().command_status(),
        CommandStatus::ESME_RINVCMDLEN
    );
    // Over the configured maximum.
    let b = frame(16 + 60, 4, 0, 6, SUBMIT_BODY);
    let opts = DecodeOptions {
        max_command_length: 64,
        ..DecodeOptions::default()
    };
    assert_eq!(
        Pdu::decode_with(&b, &opts).unwrap_err().command_status(),
        CommandStatus::ESME_RINVCMDLEN
    );
    // Unknown command_id.
    let e = Pdu::decode(&frame(16, 0x0000_0999, 0, 7, &[])).unwrap_err();
    assert!(e.to_string().contains("ESME_RINVCMDID"), "{e}");
    assert_eq!(
        answer(&e),
        (CommandId::GenericNack, CommandStatus::ESME_RINVCMDID, 7)
    );
}

#[test]
fn body_errors_answer_the_operations_resp() {
    // Truncated submit_sm body: command_length too short for the PDU.
    let e = Pdu::decode(&frame(16 + 10, 4, 0, 8, &SUBMIT_BODY[..10])).unwrap_err();
    assert_eq!(
        answer(&e),
        (CommandId::SubmitSmResp, CommandStatus::ESME_RINVCMDLEN, 8)
    );
    // sm_length larger than what remains: ESME_RINVMSGLEN.
    // SUBMIT_BODY[48] is sm_length (after 54 - 6 octets of mandatory fields).
    let mut body = SUBMIT_BODY[..48].to_vec();
    body.extend_from_slice(b"\x20Hello");
    let e = Pdu::decode(&frame(16 + body.len() as u32, 4, 0, 8, &body)).unwrap_err();
    assert_eq!(
        answer(&e),
        (CommandId::SubmitSmResp, CommandStatus::ESME_RINVMSGLEN, 8)
    );
    // Corrupt TLV stream: 3 stray octets.
    let mut body = SUBMIT_BODY.to_vec();
    body.extend_from_slice(&[0x04, 0x24, 0x00]);
    let e = Pdu::decode(&frame(16 + body.len() as u32, 4, 0, 8, &body)).unwrap_err();
    assert_eq!(
        answer(&e),
        (
            CommandId::SubmitSmResp,
            CommandStatus::ESME_RINVTLVSTREAM,
            8
        )
    );
    // A TLV longer than what remains.
    let mut body = SUBMIT_BODY.to_vec();
    body.extend_from_slice(&[0x04, 0x24, 0x00, 0x09, 1, 2]);
    let e = Pdu::decode(&frame(16 + body.len() as u32, 4, 0, 8, &body)).unwrap_err();
    assert_eq!(e.command_status(), CommandStatus::ESME_RINVTLVSTREAM);
    // submit_multi with dest_flag 3.
    let body = b"\0\x01\x01123\0\x01\x03\x01\x01456\0";
    let e = Pdu::decode(&frame(16 + body.len() as u32, 0x21, 0, 9, body)).unwrap_err();
    assert_eq!(
        answer(&e),
        (
            CommandId::SubmitMultiResp,
            CommandStatus::ESME_RINVDESTFLAG,
            9
        )
    );
    // A bad alert_notification has no response of its own: generic_nack.
    let e = Pdu::decode(&frame(18, 0x102, 0, 10, b"\x01\x01")).unwrap_err();
    assert_eq!(
        answer(&e),
        (CommandId::GenericNack, CommandStatus::ESME_RINVCMDLEN, 10)
    );
}

#[test]
fn strict_limits_and_lenient_acceptance() {
    // source_addr of 25 characters (max 21 with NUL).
    let long = "1234567890123456789012345";
    let mut body = b"\0\x01\x01".to_vec();
    body.extend_from_slice(long.as_bytes());
    body.extend_from_slice(b"\0\x01\x01456\0\x00\x00\x00\0\0\x00\x00\x00\x00\x00");
    let b = frame(16 + body.len() as u32, 4, 0, 3, &body);
    let e = Pdu::decode_with(&b, &DecodeOptions::strict()).unwrap_err();
    assert_eq!(
        answer(&e),
        (CommandId::SubmitSmResp, CommandStatus::ESME_RINVSRCADR, 3)
    );
    let Body::SubmitSm(s) = Pdu::decode(&b).unwrap().body else {
        panic!()
    };
    assert_eq!(s.source_addr.as_bytes(), long.as_bytes());
    // ... and we refuse to emit it.
    assert!(matches!(
        Pdu::decode(&b).unwrap().encode(),
        Err(EncodeError::TooLong {
            field: "source_addr",
            ..
        })
    ));

    // Missing final NUL at the end of the body (submit_sm_resp "abc" without NUL).
    let b = frame(19, 0x8000_0004, 0, 3, b"abc");
    let Body::SubmitSmResp(r) = Pdu::decode(&b).unwrap().body else {
        panic!()
    };
    assert_eq!(r.message_id, "abc");
    let e = Pdu::decode_with(&b, &DecodeOptions::strict()).unwrap_err();
    assert!(matches!(
        e,
        DecodeError::Body {
            reason: BodyErrorKind::MissingNul,
            ..
        }
    ));

    // A time field of the wrong length.
    let b = frame(24, 0x8000_0003, 0, 3, b"m\x00123\0\x02\x00");
    assert!(Pdu::decode(&b).is_ok());
    let e = Pdu::decode_with(&b, &DecodeOptions::strict()).unwrap_err();
    assert!(matches!(
        e,
        DecodeError::Body {
            reason: BodyErrorKind::BadTimeLength { len: 3 },
            ..
        }
    ));

    // A known TLV of the wrong length: ESME_RINVTLVLEN in strict mode only.
    let mut body = SUBMIT_BODY.to_vec();
    body.extend_from_slice(&[0x04, 0x27, 0x00, 0x02, 1, 2]);
    let b = frame(16 + body.len() as u32, 4, 0, 8, &body);
    assert!(Pdu::decode(&b).is_ok());
    assert_eq!(
        Pdu::decode_with(&b, &DecodeOptions::strict())
            .unwrap_err()
            .command_status(),
        CommandStatus::ESME_RINVTLVLEN
    );

    // short_message and message_payload together.
    let mut body = SUBMIT_BODY.to_vec();
    body.extend_from_slice(&[0x04, 0x24, 0x00, 0x01, b'x']);
    let b = frame(16 + body.len() as u32, 4, 0, 8, &body);
    let lenient = Pdu::decode(&b).unwrap();
    assert!(Pdu::decode_with(&b, &DecodeOptions::strict()).is_err());
    assert_eq!(lenient.encode(), Err(EncodeError::PayloadAndShortMessage));

    // Body on an error response and on enquire_link_resp.
    // (a query_sm_resp error carrying only a message_id: the rest is missing)
    let b = frame(19, 0x8000_0003, 0x67, 3, b"m1\0");
    let p = Pdu::decode(&b).unwrap();
    assert_eq!(p.command_status, CommandStatus::ESME_RQUERYFAIL);
    assert_eq!(p.body, Body::QuerySmResp(QuerySmResp::default()));
    assert_eq!(p.encode().unwrap().len(), 16);
    assert!(Pdu::decode_with(&b, &DecodeOptions::strict()).is_err());
    let b = frame(18, 0x8000_0015, 0, 3, b"\0\0");
    assert_eq!(Pdu::decode(&b).unwrap().body, Body::EnquireLinkResp);
    assert!(Pdu::decode_with(&b, &DecodeOptions::strict()).is_err());
    // An error submit_sm_resp that does carry a message_id keeps it.
    let b = frame(19, 0x8000_0004, 0x45, 3, b"id\0");
    assert_eq!(
        Pdu::decode_with(&b, &DecodeOptions::strict())
            .unwrap()
            .encode()
            .unwrap(),
        b
    );
}

#[test]
fn builders_refuse_invalid_values() {
    assert!(COctetString::<21>::try_from("123456789012345678901").is_err()); // 21 + NUL > 21
    assert!(COctetString::<21>::try_from("12345678901234567890").is_ok());
    assert!(matches!(
        COctetString::<21>::try_from("a\0b"),
        Err(EncodeError::InteriorNul { .. })
    ));
    assert!(ShortMessage::new(vec![b'x'; 255]).is_err());
    assert!(ShortMessage::new(vec![b'x'; 254]).is_ok());
    assert!(SmppTime::new("2311231200").is_err());
    let mut s = sample_submit();
    s.tlvs = Tlvs::builder().message_payload(b"long").unwrap().build();
    assert_eq!(
        Pdu::new(1, s.clone()),
        Err(EncodeError::PayloadAndShortMessage)
    );
    s.short_message = ShortMessage::default();
    assert!(Pdu::new(1, s.clone()).is_ok());
    assert_eq!(
        Pdu::new(0, s.clone()),
        Err(EncodeError::BadSequenceNumber(0))
    );
    assert_eq!(
        Pdu::new(0x8000_0000, s.clone()),
        Err(EncodeError::BadSequenceNumber(0x8000_0000))
    );
    assert!(Pdu::new(0x7FFF_FFFF, s).is_ok());
    let m = SubmitMulti::default();
    assert!(matches!(
        Pdu::new(1, m),
        Err(EncodeError::BadCount {
            field: "dest_address",
            len: 0,
            ..
        })
    ));
}

#[test]
fn every_command_has_a_default_body_that_round_trips() {
    for &id in CommandId::ALL {
        let body = Body::default_for(id);
        if matches!(id, CommandId::SubmitMulti) {
            continue; // needs at least one destination
        }
        let pdu = Pdu {
            command_status: CommandStatus::ESME_ROK,
            sequence_number: 1,
            body,
        };
        let bytes = pdu.encode().unwrap();
        assert_eq!(
            Pdu::decode_with(&bytes, &DecodeOptions::strict()).unwrap(),
            pdu,
            "{id}"
        );
        assert_eq!(CommandId::from_name(id.name()), Some(id));
        if let Some(resp) = id.response() {
            assert_eq!(resp.request(), Some(id));
        }
    }
}
