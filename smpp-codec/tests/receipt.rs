//! Delivery receipts end to end: receipt texts in the styles of many MCs and gateways (written
//! for these tests from what their vendors document), malformed ones, TLV-only and TLV+text
//! receipts in `deliver_sm` and `data_sm`, intermediate notifications, message-id correlation,
//! and format -> encode -> decode -> parse round trips.

use bytes::Bytes;
use proptest::prelude::*;
use smpp_codec::receipt::*;
use smpp_codec::*;

/// Encodes a body in a PDU and decodes it back, as a receiver gets it.
fn wire(body: impl Into<Body>) -> Pdu {
    let frame = Pdu::new(7, body).unwrap().encode().unwrap();
    Pdu::decode(&frame).unwrap()
}

fn time(y: u16, mo: u8, d: u8, h: u8, mi: u8, s: u8) -> ReceiptTime {
    ReceiptTime::new(y, mo, d, h, mi, s).unwrap()
}

fn deliver_sm(esm_class: u8, text: &str, tlvs: Tlvs) -> DeliverSm {
    DeliverSm {
        source_addr: COctetString::try_from("447700900123").unwrap(),
        destination_addr: COctetString::try_from("12345").unwrap(),
        esm_class,
        short_message: ShortMessage::new(Bytes::copy_from_slice(text.as_bytes())).unwrap(),
        tlvs,
        ..DeliverSm::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Receipt texts, one style per test.

#[test]
fn style_smpp34_appendix_b() {
    // The typical example of SMPP 3.4 Appendix B: 10-digit decimal id, YYMMDDhhmm dates.
    let r = Receipt::parse_text(
        "id:2718281828 sub:001 dlvrd:001 submit date:2403151045 done date:2403151046 stat:DELIVRD err:000 text:Your parcel is on it",
    )
    .unwrap();
    assert_eq!(r.kind, ReceiptKind::DeliveryReceipt);
    assert_eq!(r.message_id, "2718281828");
    assert_eq!(r.state, Some(MessageState::Delivered));
    assert!(r.is_final());
    let t = r.text.as_ref().unwrap();
    assert_eq!(t.submitted(), Some(1));
    assert_eq!(t.delivered(), Some(1));
    assert_eq!(r.submit_date(), Some(time(2024, 3, 15, 10, 45, 0)));
    assert_eq!(r.done_date(), Some(time(2024, 3, 15, 10, 46, 0)));
    assert_eq!(r.stat(), Some("DELIVRD"));
    assert_eq!(r.err(), Some("000"));
    assert_eq!(t.err_code(), Some(0));
    assert_eq!(t.text_str(), Some("Your parcel is on it"));
    assert!(t.extra.is_empty());
}

#[test]
fn style_spec_table_capital_text_and_one_digit_err() {
    // Appendix B as printed: `err:E Text: ...` (capital T, a space after the colon).
    let r = Receipt::parse_text(
        "id:0000000815 sub:001 dlvrd:000 submit date:2311051432 done date:2311061432 stat:EXPIRED err:0 Text: code 4821",
    )
    .unwrap();
    assert_eq!(r.message_id, "0000000815");
    assert_eq!(r.state, Some(MessageState::Expired));
    assert_eq!(r.err(), Some("0"));
    assert_eq!(r.text.as_ref().unwrap().text_str(), Some(" code 4821"));
}

#[test]
fn style_kannel_lowercase_hex_id_empty_text() {
    // Gateway style: lowercase hex id, empty `text:`.
    let r = Receipt::parse_text(
        "id:3f2a9c1b sub:001 dlvrd:000 submit date:2402171015 done date:2402171115 stat:UNDELIV err:001 text:",
    )
    .unwrap();
    assert_eq!(r.message_id, "3f2a9c1b");
    assert_eq!(r.state, Some(MessageState::Undeliverable));
    assert_eq!(r.text.as_ref().unwrap().text, Some(&b""[..]));
}

#[test]
fn style_jasmin_uuid_id() {
    // Gateways that hand out UUIDs as message ids.
    let r = Receipt::parse_text(
        "id:6b1a0f7e-2c4d-4e8a-9f31-0d5c7b2e8a14 sub:001 dlvrd:001 submit date:2403010930 done date:2403010930 stat:DELIVRD err:000 text:Ping",
    )
    .unwrap();
    assert_eq!(r.message_id, "6b1a0f7e-2c4d-4e8a-9f31-0d5c7b2e8a14");
    assert_eq!(r.state, Some(MessageState::Delivered));
}

#[test]
fn style_logica_simulator_tabs_and_trailing_nul() {
    // An old simulator: tab separators, a C-string NUL left at the end.
    let r = Receipt::parse_text(
        "id:17\tsub:001\tdlvrd:001\tsubmit date:0512241200\tdone date:0512241201\tstat:DELIVRD\terr:000\tText:Merry\0",
    )
    .unwrap();
    assert_eq!(r.message_id, "17");
    assert_eq!(r.submit_date().unwrap().year, 2005);
    assert_eq!(r.text.as_ref().unwrap().text_str(), Some("Merry"));
}

#[test]
fn style_cloudhopper_zero_padded_id() {
    // Zero-padded decimal id, which the submit_sm_resp gave unpadded.
    let r = Receipt::parse_text(
        "id:0000012345 sub:001 dlvrd:001 submit date:1010241530 done date:1010241531 stat:DELIVRD err:000 text:",
    )
    .unwrap();
    assert_eq!(r.message_id, "0000012345");
    assert!(MessageIdForm::TrimLeadingZeros.correlates("12345", r.message_id));
    assert!(!MessageIdForm::AsIs.correlates("12345", r.message_id));
}

#[test]
fn style_twelve_digit_dates_long_decimal_id() {
    // YYMMDDhhmmss dates and a 20-digit id (beyond u64).
    let r = Receipt::parse_text(
        "id:98765432109876543210 sub:001 dlvrd:001 submit date:240608165232 done date:240608165237 stat:DELIVRD err:000 text:Hello World",
    )
    .unwrap();
    assert_eq!(r.message_id, "98765432109876543210");
    assert_eq!(r.submit_date(), Some(time(2024, 6, 8, 16, 52, 32)));
    assert_eq!(r.done_date(), Some(time(2024, 6, 8, 16, 52, 37)));
    let t = r.text.as_ref().unwrap();
    assert_eq!(t.submit_date.unwrap().raw, "240608165232");
}

#[test]
fn style_uppercase_keys() {
    let r = Receipt::parse_text(
        "ID:ABC123 SUB:001 DLVRD:000 SUBMIT DATE:2405201200 DONE DATE:2405201300 STAT:UNDELIV ERR:101 TEXT:HELLO",
    )
    .unwrap();
    assert_eq!(r.message_id, "ABC123");
    assert_eq!(r.state, Some(MessageState::Undeliverable));
    assert_eq!(r.err(), Some("101"));
    assert_eq!(r.done_date(), Some(time(2024, 5, 20, 13, 0, 0)));
    assert_eq!(r.text.as_ref().unwrap().text_str(), Some("HELLO"));
}

#[test]
fn style_missing_sub_and_dlvrd() {
    let r = Receipt::parse_text(
        "id:77001 submit date:2406010800 done date:2406010801 stat:DELIVRD err:000",
    )
    .unwrap();
    let t = r.text.as_ref().unwrap();
    assert_eq!((t.sub, t.dlvrd, t.text), (None, None, None));
    assert_eq!(r.message_id, "77001");
    assert_eq!(r.state, Some(MessageState::Delivered));
}

#[test]
fn style_reordered_fields_and_four_digit_err() {
    let r = Receipt::parse_text(
        "stat:REJECTD err:0052 id:A1B2C3D4 done date:2407011010 submit date:2407011009 dlvrd:000 sub:001 text:promo",
    )
    .unwrap();
    assert_eq!(r.message_id, "A1B2C3D4");
    assert_eq!(r.state, Some(MessageState::Rejected));
    assert_eq!(r.err(), Some("0052"));
    assert_eq!(r.text.as_ref().unwrap().err_code(), Some(52));
    assert!(r.submit_date() < r.done_date());
}

#[test]
fn style_vendor_extra_fields_are_kept() {
    let r = Receipt::parse_text(
        "id:99887766 sub:001 dlvrd:001 submit date:2408120101 done date:2408120102 stat:DELIVRD err:000 mccmnc:23415 IMSI:234150000000000 price:0.0050 text:Hi",
    )
    .unwrap();
    let t = r.text.as_ref().unwrap();
    assert_eq!(
        t.extra,
        vec![
            ExtraField {
                key: "mccmnc",
                value: "23415"
            },
            ExtraField {
                key: "IMSI",
                value: "234150000000000"
            },
            ExtraField {
                key: "price",
                value: "0.0050"
            },
        ]
    );
    assert_eq!(t.extra("imsi"), Some("234150000000000"));
    assert_eq!(t.text_str(), Some("Hi"));
    let owned = r.to_owned_receipt();
    assert_eq!(owned.extra.len(), 3);
    assert_eq!(owned.extra[0], ("mccmnc".to_owned(), "23415".to_owned()));
}

#[test]
fn style_stat_full_words() {
    for (stat, state) in [
        ("DELIVERED", MessageState::Delivered),
        ("Delivered", MessageState::Delivered),
        ("UNDELIVERABLE", MessageState::Undeliverable),
        ("UNDELIVERED", MessageState::Undeliverable),
        ("FAILED", MessageState::Undeliverable),
        ("ACCEPTED", MessageState::Accepted),
        ("REJECTED", MessageState::Rejected),
        ("ENROUTE", MessageState::Enroute),
        ("SKIPPED", MessageState::Skipped),
        ("SCHEDLD", MessageState::Scheduled),
        ("DELIVERED TO CARRIER", MessageState::Delivered),
        ("2", MessageState::Delivered),
    ] {
        let text = format!("id:5 sub:001 dlvrd:001 stat:{stat} err:000 text:x");
        let r = Receipt::parse_text(&text).unwrap();
        assert_eq!(r.state, Some(state), "{stat}");
        assert_eq!(r.stat(), Some(stat), "{stat}");
    }
    // A word we do not know: the receipt still reads, with no state, and the raw word kept.
    let r = Receipt::parse_text("id:5 stat:WEIRDO err:000").unwrap();
    assert_eq!(r.state, None);
    assert_eq!(r.stat(), Some("WEIRDO"));
    assert!(!r.is_final());
}

#[test]
fn style_underscored_keys_and_spaces_after_colons() {
    let r = Receipt::parse_text(
        "id: 4455 sub: 001 dlvrd: 001 submit_date: 2409090909 Done_Date:2409090910 status: DELIVRD error: 000 text: ok",
    )
    .unwrap();
    assert_eq!(r.message_id, "4455");
    let t = r.text.as_ref().unwrap();
    assert_eq!(t.sub, Some("001"));
    assert_eq!(t.submit_date.unwrap().raw, "2409090909");
    assert_eq!(t.done_date.unwrap().raw, "2409090910");
    assert_eq!(r.state, Some(MessageState::Delivered));
    assert_eq!(r.err(), Some("000"));
    assert_eq!(t.text_str(), Some(" ok"));
}

#[test]
fn style_text_runs_to_the_end_even_when_it_looks_like_fields() {
    let r = Receipt::parse_text(
        "id:1 sub:001 dlvrd:001 stat:DELIVRD err:000 text:stat:UNDELIV id:2 err:999",
    )
    .unwrap();
    assert_eq!(r.message_id, "1");
    assert_eq!(r.state, Some(MessageState::Delivered));
    assert_eq!(
        r.text.as_ref().unwrap().text_str(),
        Some("stat:UNDELIV id:2 err:999")
    );
}

#[test]
fn style_repeated_fields_first_wins() {
    let r = Receipt::parse_text("id:111 id:222 stat:DELIVRD stat:UNDELIV").unwrap();
    assert_eq!(r.message_id, "111");
    assert_eq!(r.state, Some(MessageState::Delivered));
    let t = r.text.as_ref().unwrap();
    assert_eq!(t.extra.len(), 2);
    assert_eq!(t.extra[0].value, "222");
}

#[test]
fn bad_dates_do_not_lose_the_receipt() {
    let r = Receipt::parse_text(
        "id:9 sub:001 dlvrd:001 submit date:2413011200 done date:24-01-01 stat:DELIVRD err:000",
    )
    .unwrap();
    let t = r.text.as_ref().unwrap();
    assert_eq!(
        t.submit_date.unwrap().time,
        Err(DateError::OutOfRange {
            field: "month",
            value: 13
        })
    );
    assert_eq!(t.done_date.unwrap().raw, "24-01-01");
    assert_eq!(t.done_date.unwrap().time, Err(DateError::Length { len: 8 }));
    assert_eq!(r.submit_date(), None);
    assert_eq!(r.state, Some(MessageState::Delivered));
}

#[test]
fn malformed_texts_are_errors_not_panics() {
    use ReceiptError::*;
    for (text, err) in [
        ("", Empty),
        ("   \r\n\0", Empty),
        ("Hello, this is a normal message", Unparseable),
        ("foo:bar baz:qux", Unparseable),
        (":::: : :", Unparseable),
        ("stat:DELIVRD err:000 text:no id here", NoMessageId),
        ("id: sub:001 stat:DELIVRD", NoMessageId),
        ("id:", NoMessageId),
        ("text:id:123", NoMessageId),
        ("submit date", Unparseable),
        ("done date:", NoMessageId),
    ] {
        assert_eq!(Receipt::parse_text(text), Err(err), "{text:?}");
    }
    assert_eq!(
        ReceiptError::NoMessageId.command_status(),
        CommandStatus::ESME_RX_R_APPN
    );
    // Octets that are not UTF-8: the fields that are stay readable.
    let tlvs = Tlvs::empty();
    let raw = b"id:42 stat:DELIVRD err:\xff\xfe text:caf\xe9";
    let r = Receipt::from_parts(0x04, raw, &tlvs).unwrap();
    assert_eq!(r.message_id, "42");
    assert_eq!(r.err(), None);
    assert_eq!(r.text.as_ref().unwrap().text, Some(&b"caf\xe9"[..]));
    assert_eq!(
        r.text.as_ref().unwrap().text_lossy().unwrap(),
        "caf\u{fffd}"
    );
    let raw = b"id:\xff\xff stat:DELIVRD";
    assert_eq!(Receipt::from_parts(0x04, raw, &tlvs), Err(NoMessageId));
}

// ---------------------------------------------------------------------------------------------
// PDUs: recognition, TLV-only, TLV + text, notifications, data_sm.

#[test]
fn esm_class_recognition() {
    for (esm, kind) in [
        (0x04, Some(ReceiptKind::DeliveryReceipt)),
        (0x44, Some(ReceiptKind::DeliveryReceipt)), // UDHI set
        (0x07, Some(ReceiptKind::DeliveryReceipt)), // mode bits ignored
        (0x08, Some(ReceiptKind::SmeDeliveryAck)),
        (0x10, Some(ReceiptKind::SmeManualAck)),
        (0x20, Some(ReceiptKind::IntermediateNotification)),
        (0x00, None),
        (0x40, None),
        (0x0C, None), // reserved
        (0x18, None), // conversation abort
        (0x24, None), // reserved combination
        (0x3C, None),
    ] {
        assert_eq!(ReceiptKind::from_esm_class(esm), kind, "{esm:#04x}");
        if let Some(k) = kind {
            assert_eq!(k.esm_class_bits(), esm & MESSAGE_TYPE_MASK);
        }
    }
    let mo = wire(deliver_sm(0x00, "id:1 stat:DELIVRD", Tlvs::empty()));
    assert!(Receipt::from_body(&mo.body).is_none());
    let Body::DeliverSm(sm) = &mo.body else {
        unreachable!()
    };
    let err = Receipt::from_deliver_sm(sm).unwrap_err();
    assert_eq!(err, ReceiptError::NotAReceipt { esm_class: 0 });
    assert_eq!(err.command_status(), CommandStatus::ESME_ROK);
    assert!(Receipt::from_body(&Body::EnquireLink).is_none());
}

#[test]
fn tlv_only_receipt_with_empty_short_message() {
    let tlvs = Tlvs::builder()
        .receipted_message_id(b"MSG-0042")
        .unwrap()
        .message_state(MessageState::Undeliverable.as_u8())
        .network_error_code(NetworkErrorCode {
            network_type: 3,
            error_code: 0x0022,
        })
        .build();
    let pdu = wire(deliver_sm(0x04, "", tlvs));
    let r = Receipt::from_body(&pdu.body).unwrap().unwrap();
    assert_eq!(r.message_id, "MSG-0042");
    assert_eq!(r.state, Some(MessageState::Undeliverable));
    assert_eq!(
        r.network_error_code(),
        Some(NetworkErrorCode {
            network_type: 3,
            error_code: 0x22
        })
    );
    assert_eq!(r.text, None);
    assert!(r.raw_text.is_empty());
    assert!(r.is_final());
    let o = r.to_owned_receipt();
    assert_eq!(o.tlv_message_id.as_deref(), Some("MSG-0042"));
    assert_eq!(o.tlv_message_state, Some(5));
    assert_eq!(o.text_id, None);
}

#[test]
fn tlvs_win_over_text_and_both_are_kept() {
    // The TLV has the id as submit_sm_resp gave it (hex), the text in decimal, and they
    // disagree on the state: the TLVs win, the text stays readable.
    let tlvs = Tlvs::builder()
        .receipted_message_id(b"1A2B")
        .unwrap()
        .message_state(2)
        .build();
    let pdu = wire(deliver_sm(
        0x04,
        "id:6699 sub:001 dlvrd:000 submit date:2401010000 done date:2401010001 stat:UNDELIV err:013 text:",
        tlvs,
    ));
    let r = Receipt::from_body(&pdu.body).unwrap().unwrap();
    assert_eq!(r.message_id, "1A2B");
    assert_eq!(r.state, Some(MessageState::Delivered));
    let t = r.text.as_ref().unwrap();
    assert_eq!(t.id, Some("6699"));
    assert_eq!(t.state(), Some(MessageState::Undeliverable));
    assert_eq!(r.tlvs.receipted_message_id, Some(&b"1A2B"[..]));
    assert!(r.ids_differ());
    assert!(MessageIdForm::HexToDecimal.correlates("1A2B", t.id.unwrap()));
}

#[test]
fn unusable_tlvs_fall_back_to_the_text() {
    // message_state 42 is not a §4.7.15 value; a blank receipted_message_id is no id.
    let tlvs = Tlvs::builder()
        .receipted_message_id(b"  ")
        .unwrap()
        .message_state(42)
        .build();
    let pdu = wire(deliver_sm(0x04, "id:314 stat:EXPIRED err:000", tlvs));
    let r = Receipt::from_body(&pdu.body).unwrap().unwrap();
    assert_eq!(r.message_id, "314");
    assert_eq!(r.state, Some(MessageState::Expired));
    assert_eq!(r.tlvs.message_state, Some(42));
    // No usable id anywhere, but TLVs present: NoMessageId, whatever the text.
    let tlvs = Tlvs::builder().message_state(2).build();
    let pdu = wire(deliver_sm(0x04, "", tlvs.clone()));
    assert_eq!(
        Receipt::from_body(&pdu.body).unwrap(),
        Err(ReceiptError::NoMessageId)
    );
    let pdu = wire(deliver_sm(0x04, "delivered!", tlvs));
    assert_eq!(
        Receipt::from_body(&pdu.body).unwrap(),
        Err(ReceiptError::NoMessageId)
    );
    // Nothing at all.
    let pdu = wire(deliver_sm(0x04, "", Tlvs::empty()));
    assert_eq!(
        Receipt::from_body(&pdu.body).unwrap(),
        Err(ReceiptError::Empty)
    );
}

#[test]
fn unreadable_text_next_to_a_tlv_id_is_fine() {
    let tlvs = Tlvs::builder()
        .receipted_message_id(b"abc")
        .unwrap()
        .message_state(2)
        .build();
    let pdu = wire(deliver_sm(0x04, "Message delivered", tlvs));
    let r = Receipt::from_body(&pdu.body).unwrap().unwrap();
    assert_eq!(r.message_id, "abc");
    assert_eq!(r.text, None);
    assert_eq!(r.raw_text, b"Message delivered");
}

#[test]
fn intermediate_notification() {
    let tlvs = Tlvs::builder()
        .receipted_message_id(b"0x77")
        .unwrap()
        .message_state(MessageState::Enroute.as_u8())
        .network_error_code(NetworkErrorCode {
            network_type: 3,
            error_code: 27,
        })
        .build();
    let pdu = wire(deliver_sm(
        0x20,
        "id:0x77 sub:001 dlvrd:000 submit date:2402020202 done date:2402020302 stat:ENROUTE err:027 text:retrying",
        tlvs,
    ));
    let r = Receipt::from_body(&pdu.body).unwrap().unwrap();
    assert_eq!(r.kind, ReceiptKind::IntermediateNotification);
    assert_eq!(r.state, Some(MessageState::Enroute));
    assert!(!r.is_final());
}

#[test]
fn sme_delivery_ack_identified_by_its_tlvs() {
    let tlvs = Tlvs::builder()
        .receipted_message_id(b"55501")
        .unwrap()
        .user_message_reference(0x1234)
        .build();
    let pdu = wire(deliver_sm(0x08, "Read by user", tlvs));
    let r = Receipt::from_body(&pdu.body).unwrap().unwrap();
    assert_eq!(r.kind, ReceiptKind::SmeDeliveryAck);
    assert_eq!(r.message_id, "55501");
    assert_eq!(r.tlvs.user_message_reference, Some(0x1234));
    assert_eq!(r.state, None);
}

#[test]
fn deliver_sm_with_text_in_message_payload() {
    let text = "id:8080 sub:001 dlvrd:001 submit date:2401311200 done date:2401311201 stat:DELIVRD err:000 text:payload";
    let tlvs = Tlvs::builder()
        .message_payload(text.as_bytes())
        .unwrap()
        .build();
    let pdu = wire(deliver_sm(0x04, "", tlvs));
    let r = Receipt::from_body(&pdu.body).unwrap().unwrap();
    assert_eq!(r.message_id, "8080");
    assert_eq!(r.raw_text, text.as_bytes());
}

#[test]
fn data_sm_receipts() {
    // Text in message_payload, plus TLVs.
    let text = "id:c0ffee sub:001 dlvrd:000 submit date:2405050505 done date:2405060505 stat:EXPIRED err:000 text:";
    let sm = DataSm {
        esm_class: 0x04,
        tlvs: Tlvs::builder()
            .receipted_message_id(b"c0ffee")
            .unwrap()
            .message_state(3)
            .message_payload(text.as_bytes())
            .unwrap()
            .build(),
        ..DataSm::default()
    };
    let pdu = wire(sm);
    let r = Receipt::from_body(&pdu.body).unwrap().unwrap();
    assert_eq!(r.message_id, "c0ffee");
    assert_eq!(r.state, Some(MessageState::Expired));
    assert_eq!(r.text.as_ref().unwrap().id, Some("c0ffee"));
    // TLV only.
    let sm = DataSm {
        esm_class: 0x04,
        tlvs: Tlvs::builder()
            .receipted_message_id(b"77")
            .unwrap()
            .message_state(8)
            .build(),
        ..DataSm::default()
    };
    let pdu = wire(sm);
    let Body::DataSm(sm) = &pdu.body else {
        unreachable!()
    };
    let r = Receipt::from_data_sm(sm).unwrap();
    assert_eq!(r.message_id, "77");
    assert_eq!(r.state, Some(MessageState::Rejected));
    assert!(r.text.is_none());
}

// ---------------------------------------------------------------------------------------------
// Message-id correlation.

#[test]
fn message_id_forms_correlate_the_documented_cases() {
    assert!(MessageIdForm::HexToDecimal.correlates("1A2B", "6699"));
    assert_eq!(normalise("1A2B", MessageIdForm::HexToDecimal), "6699");
    assert!(MessageIdForm::TrimLeadingZeros.correlates("000123", "123"));
    assert!(MessageIdForm::TrimLeadingZeros.correlates("123", "000123"));
    assert!(MessageIdForm::DecimalToHex.correlates("6699", "1A2B"));
    assert!(MessageIdForm::DecimalToHex.correlates("6699", "00001a2b"));
    assert!(MessageIdForm::CaseInsensitive.correlates("DEADBEEF", "deadbeef"));
    assert!(!MessageIdForm::AsIs.correlates("DEADBEEF", "deadbeef"));
    // Not a number in the expected base: matched as text.
    assert!(MessageIdForm::HexToDecimal.correlates("6b1a0f7e-2c4d", "6B1A0F7E-2C4D"));
    // Longer than u128, and longer than the conversion cap: no panic.
    let huge = "F".repeat(200);
    let dec = normalise(&huge, MessageIdForm::HexToDecimal);
    assert!(dec.len() > 200 && dec.bytes().all(|b| b.is_ascii_digit()));
    assert!(MessageIdForm::HexToDecimal.correlates(&huge, &dec));
    assert!(MessageIdForm::DecimalToHex.correlates(&dec, &huge));
    let enormous = "9".repeat(10_000);
    assert_eq!(
        normalise(&enormous, MessageIdForm::DecimalToHex),
        enormous,
        "beyond MAX_NUMERIC_ID_LEN, matched as text"
    );
    // Per-bind setting from configuration text.
    let f: MessageIdForm = "hex-to-decimal".parse().unwrap();
    assert_eq!(f, MessageIdForm::HexToDecimal);
    assert_eq!(f.to_string(), "hex-to-decimal");
    assert_eq!(MessageIdForm::default(), MessageIdForm::AsIs);
    let e = "hexadecimal".parse::<MessageIdForm>().unwrap_err();
    assert!(e.to_string().contains("hex-to-decimal"));
}

#[test]
fn correlation_keys_without_a_setting() {
    let k = correlation_keys("1A2B");
    assert_eq!(
        k.iter().cloned().collect::<Vec<_>>(),
        vec![
            CorrelationKey::Text("1a2b".into()),
            CorrelationKey::Number("6699".into())
        ]
    );
    assert!(k.intersects(&correlation_keys("6699")));
    assert!(k.intersects(&correlation_keys("0000006699")));
    assert!(k.intersects(&correlation_keys("1a2b")));
    assert!(correlation_keys("000123").intersects(&correlation_keys("123")));
    assert!(!correlation_keys("abc-1").intersects(&correlation_keys("abc-2")));
    assert!(correlation_keys("  ").is_empty());
    assert_eq!(correlation_keys("10").len(), 3); // text, decimal 10, hex 16
    assert_eq!(correlation_keys(&"7".repeat(1000)).len(), 1);
}

// ---------------------------------------------------------------------------------------------
// Formatting, and the round trip format -> PDU -> wire -> receipt.

#[test]
fn format_the_common_text() {
    let b = ReceiptBuilder::new(
        "5F1C",
        MessageState::Undeliverable,
        time(2024, 12, 31, 23, 58, 7),
        time(2025, 1, 1, 0, 3, 9),
    )
    .unwrap()
    .network_error_code(NetworkErrorCode {
        network_type: 3,
        error_code: 1,
    })
    .text("Happy new year from all of us — 2025!");
    assert_eq!(
        b.format_text(),
        "id:5F1C sub:001 dlvrd:000 submit date:2412312358 done date:2501010003 stat:UNDELIV err:001 text:Happy new year from "
    );
    assert!(
        b.clone()
            .with_seconds(true)
            .format_text()
            .contains("submit date:241231235807 done date:250101000309")
    );
    assert!(
        b.text("naïve\nline")
            .format_text()
            .ends_with("text:na?ve line")
    );
}

#[test]
fn builder_refuses_ids_the_text_cannot_carry() {
    let t = time(2024, 1, 1, 0, 0, 0);
    assert!(ReceiptBuilder::new("", MessageState::Delivered, t, t).is_err());
    assert!(ReceiptBuilder::new("a b", MessageState::Delivered, t, t).is_err());
    assert!(ReceiptBuilder::new("a\0b", MessageState::Delivered, t, t).is_err());
    assert!(ReceiptBuilder::new(&"x".repeat(65), MessageState::Delivered, t, t).is_err());
    assert!(ReceiptBuilder::new(&"x".repeat(64), MessageState::Delivered, t, t).is_ok());
}

#[test]
fn round_trip_every_state_through_deliver_sm() {
    let submit = time(2024, 2, 29, 23, 59, 30);
    let done = time(2024, 3, 1, 0, 0, 45);
    for state in MessageState::ALL {
        for seconds in [false, true] {
            let b = ReceiptBuilder::new("4f2a-00017", state, submit, done)
                .unwrap()
                .with_seconds(seconds)
                .err(7)
                .text("Your verification code is 123456")
                .source(1, 1, "447700900123")
                .destination(0, 0, "12345");
            let sm = b.to_deliver_sm().unwrap();
            assert_eq!(sm.esm_class, 0x04);
            assert_eq!(sm.tlvs.message_state(), Some(state.as_u8()));
            let pdu = wire(sm);
            let Body::DeliverSm(sm) = &pdu.body else {
                unreachable!()
            };
            assert_eq!(sm.source_addr, "447700900123");
            let r = Receipt::from_deliver_sm(sm).unwrap();
            assert_eq!(r.message_id, "4f2a-00017");
            assert_eq!(r.state, Some(state));
            assert!(!r.ids_differ());
            let t = r.text.as_ref().unwrap();
            assert_eq!(t.state(), Some(state), "{state}: the stat word reads back");
            assert_eq!(t.err, Some("007"));
            assert_eq!(t.text_str(), Some("Your verification co"));
            let expect_done = if seconds {
                done
            } else {
                time(2024, 3, 1, 0, 0, 0)
            };
            assert_eq!(r.done_date(), Some(expect_done));
            assert_eq!(r.is_final(), state.is_final());
        }
    }
}

#[test]
fn round_trip_text_only_notification_and_data_sm() {
    let t = time(2024, 7, 4, 12, 0, 0);
    // SMPP 3.3 style: text only, intermediate notification.
    let b = ReceiptBuilder::new("99", MessageState::Enroute, t, t)
        .unwrap()
        .kind(ReceiptKind::IntermediateNotification)
        .tlvs(false);
    let pdu = wire(b.to_deliver_sm().unwrap());
    let r = Receipt::from_body(&pdu.body).unwrap().unwrap();
    assert_eq!(r.kind, ReceiptKind::IntermediateNotification);
    assert_eq!(r.tlvs, ReceiptTlvs::default());
    assert_eq!(r.message_id, "99");
    assert_eq!(r.state, Some(MessageState::Enroute));
    // data_sm with a network error code.
    let code = NetworkErrorCode {
        network_type: 8,
        error_code: 0x0404,
    };
    let b = ReceiptBuilder::new("ABCDEF0123", MessageState::Rejected, t, t)
        .unwrap()
        .network_error_code(code);
    let pdu = wire(b.to_data_sm().unwrap());
    let r = Receipt::from_body(&pdu.body).unwrap().unwrap();
    assert_eq!(r.message_id, "ABCDEF0123");
    assert_eq!(r.state, Some(MessageState::Rejected));
    assert_eq!(r.network_error_code(), Some(code));
    assert_eq!(r.err(), Some("1028"));
}

// ---------------------------------------------------------------------------------------------
// Properties.

/// Tokens receipts are made of, to steer random texts into the parser's corners.
fn receipt_token() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("id:".to_owned()),
        Just("ID: ".to_owned()),
        Just("sub:001".to_owned()),
        Just("dlvrd:".to_owned()),
        Just("submit".to_owned()),
        Just("date:".to_owned()),
        Just("done date:2401010101".to_owned()),
        Just("submit date:".to_owned()),
        Just("stat:".to_owned()),
        Just("DELIVRD".to_owned()),
        Just("err:000".to_owned()),
        Just("text:".to_owned()),
        Just(":".to_owned()),
        Just("\0".to_owned()),
        "[0-9A-Fa-f:-]{0,12}",
        "[ \t\r\n]{1,3}",
        ".{0,8}",
    ]
}

proptest! {
    #[test]
    fn parsing_any_string_never_panics(s in ".*") {
        let _ = Receipt::parse_text(&s);
        let _ = ReceiptText::parse(&s);
        let _ = correlation_keys(&s);
        for form in MessageIdForm::ALL {
            let _ = form.correlates(&s, &s);
        }
    }

    #[test]
    fn parsing_token_soup_never_panics(tokens in prop::collection::vec(receipt_token(), 0..40)) {
        let s = tokens.concat();
        if let Ok(r) = Receipt::parse_text(&s) {
            // The id is a non-empty view without the separators (ASCII whitespace and NUL,
            // as `receipt/text.rs` documents; other Unicode spaces such as U+0085 are octets
            // of the id).
            prop_assert!(!r.message_id.is_empty());
            prop_assert!(!r.message_id.contains([' ', '\t', '\r', '\n', '\0', '\x0B', '\x0C']));
            let _ = r.to_owned_receipt();
        }
    }

    #[test]
    fn any_octets_and_tlvs_never_panic(text in prop::collection::vec(any::<u8>(), 0..300),
                                       tlv in prop::collection::vec(any::<u8>(), 0..64),
                                       esm in any::<u8>()) {
        let tlvs = Tlvs::from_raw(Bytes::from(tlv)).unwrap_or_default();
        let _ = Receipt::from_parts(esm, &text, &tlvs);
        let _ = ReceiptText::parse_bytes(&text);
    }

    #[test]
    fn format_then_parse_gives_the_fields_back(
        id in "[0-9A-Za-z_.-]{1,64}",
        state in 0u8..10,
        (y, mo, d, h, mi, s) in (1938u16..2038, 1u8..=12, 1u8..=28, 0u8..24, 0u8..60, 0u8..60),
        text in ".{0,40}",
        err in 0u32..100_000,
    ) {
        let state = MessageState::from_u8(state).unwrap();
        let t = time(y, mo, d, h, mi, s);
        let b = ReceiptBuilder::new(&id, state, t, t).unwrap().with_seconds(true).err(err).text(&text);
        let formatted = b.format_text();
        let r = Receipt::parse_text(&formatted).unwrap();
        prop_assert_eq!(r.message_id, id.as_str());
        prop_assert_eq!(r.state, Some(state));
        prop_assert_eq!(r.submit_date(), Some(t));
        prop_assert_eq!(r.text.as_ref().unwrap().err_code(), Some(err));
        let sm = b.to_deliver_sm().unwrap();
        let pdu = wire(sm);
        let r = Receipt::from_body(&pdu.body).unwrap().unwrap();
        prop_assert_eq!(r.message_id, id.as_str());
        prop_assert_eq!(r.state, Some(state));
    }

    #[test]
    fn hex_and_decimal_forms_of_one_number_correlate(n in any::<u128>(), pad in 0usize..4, upper in any::<bool>()) {
        let hex = if upper { format!("{n:X}") } else { format!("{n:x}") };
        let dec = format!("{}{n}", "0".repeat(pad));
        prop_assert!(MessageIdForm::HexToDecimal.correlates(&hex, &dec));
        let padded_hex = format!("{}{hex}", "0".repeat(pad));
        prop_assert!(MessageIdForm::DecimalToHex.correlates(&n.to_string(), &padded_hex));
        prop_assert!(correlation_keys(&hex).intersects(&correlation_keys(&dec)));
        prop_assert!(MessageIdForm::TrimLeadingZeros.correlates(&dec, &n.to_string()));
    }
}

/// Found by `parsing_token_soup_never_panics`: only ASCII whitespace and NUL separate fields, so
/// a Unicode space such as U+0085 stays inside the id.
#[test]
fn a_unicode_space_is_part_of_the_id() {
    let r = Receipt::parse_text("id:\u{85} stat:DELIVRD").expect("parses");
    assert_eq!(r.message_id, "\u{85}");
}
