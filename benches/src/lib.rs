//! Shared sample PDUs for the benches: exact SMPP 3.4 wire images, written out field by field.
//!
//! Every function returns one whole PDU, 16-octet header included, as the bytes that would
//! cross the wire. The layouts follow SMPP v3.4 Issue 1.2: header §3.2, `submit_sm` §4.4.1,
//! `submit_sm_resp` §4.4.2, `deliver_sm` §4.6.1, `enquire_link` §4.11.1, TLVs §5.3, the delivery
//! receipt text Appendix B. The benches decode and encode these same bytes with every library,
//! and `tests/peers.rs` checks that two independent implementations (rusmpp, smpp34) accept
//! them and re-encode them byte for byte.
//!
//! Conversation modelled: short code `12345` sends a 160-character text to `447700900123`
//! asking for a receipt; the SMSC answers with message id `0123456789abcdef`, later delivers
//! the receipt for that id, and the link is kept alive with `enquire_link`.

/// The message id the SMSC assigns in [`submit_sm_resp`] and reports in [`deliver_sm_receipt`].
pub const MESSAGE_ID: &[u8] = b"0123456789abcdef";

/// The short code that submits (`submit_sm` source, receipt destination).
pub const SHORT_CODE: &[u8] = b"12345";

/// The handset (`submit_sm` destination, receipt source): an Ofcom drama-range UK number.
pub const MSISDN: &[u8] = b"447700900123";

/// A 254-octet text, the largest `short_message` SMPP 3.4 allows (§4.4.1: `sm_length` 0..254).
/// Its first 160 octets are the text of [`submit_sm_160`]. Plain ASCII that is also the same in
/// the GSM 03.38 default alphabet, so `data_coding` 0 is truthful.
pub const TEXT_254: &[u8; 254] = b"Your verification code is 482913. It expires in 10 minutes. \
Never share this code with anyone, not even our staff. Not you? Call us right away on \
0800 000 0000. Msg&data rates may apply. Reply HELP for help, STOP to opt out. \
Terms: https://example.com/sm";

/// The 160-octet text of [`submit_sm_160`] (the prefix of [`TEXT_254`] up to its third sentence).
pub const TEXT_160: &[u8] = TEXT_254.split_at(160).0;

/// The 10-octet text of [`submit_sm_10`].
pub const TEXT_10: &[u8; 10] = b"Code: 4829";

/// The delivery receipt text of [`deliver_sm_receipt`], in the Appendix B form (113 octets).
pub const RECEIPT_TEXT: &[u8] = b"id:0123456789abcdef sub:001 dlvrd:001 \
submit date:2311231200 done date:2311231201 stat:DELIVRD err:000 text:Hello";

/// `user_message_reference` value carried by every `submit_sm` sample.
pub const USER_MESSAGE_REFERENCE: u16 = 0x002A;

/// `message_state` DELIVERED (§5.2.28), carried by [`deliver_sm_receipt`].
pub const MESSAGE_STATE_DELIVERED: u8 = 2;

/// The `submit_sm` body before `short_message`, plus the header and the TLV: everything but
/// the text. 16 header + 34 mandatory (without the text) + 6 TLV.
const SUBMIT_SM_OVERHEAD: usize = 56;

/// A `submit_sm` (§4.4.1), sequence 1, carrying `short_message` and one TLV.
///
/// ```text
/// header            command_length (56 + text) | 0x00000004 | status 0 | sequence 1
/// service_type      ""                     00
/// source_addr_ton   3 network specific     03
/// source_addr_npi   0 unknown              00
/// source_addr       "12345"                31 32 33 34 35 00
/// dest_addr_ton     1 international        01
/// dest_addr_npi     1 ISDN (E.164)         01
/// destination_addr  "447700900123"         34 34 37 37 30 30 39 30 30 31 32 33 00
/// esm_class         0 default mode         00
/// protocol_id       0                      00
/// priority_flag     0                      00
/// schedule_delivery ""  (immediate)        00
/// validity_period   ""  (SMSC default)     00
/// registered_deliv. 1 receipt on final     01
/// replace_if_pres.  0                      00
/// data_coding       0 SMSC default         00
/// sm_default_msg_id 0                      00
/// sm_length         len(text)
/// short_message     text
/// TLV               user_message_reference 02 04 | 00 02 | 00 2A
/// ```
///
/// # Panics
/// If `short_message` is longer than 254 octets (the spec's maximum).
fn submit_sm(short_message: &[u8]) -> Vec<u8> {
    assert!(short_message.len() <= 254, "sm_length is at most 254");
    let command_length = SUBMIT_SM_OVERHEAD + short_message.len();
    let mut pdu = Vec::with_capacity(command_length);
    // Header.
    pdu.extend_from_slice(&(command_length as u32).to_be_bytes()); // command_length
    pdu.extend_from_slice(&[0x00, 0x00, 0x00, 0x04]); // command_id: submit_sm
    pdu.extend_from_slice(&[0x00, 0x00, 0x00, 0x00]); // command_status: 0
    pdu.extend_from_slice(&[0x00, 0x00, 0x00, 0x01]); // sequence_number: 1
    // Mandatory parameters.
    pdu.push(0x00); // service_type: "" (NULL)
    pdu.push(0x03); // source_addr_ton: network specific
    pdu.push(0x00); // source_addr_npi: unknown
    pdu.extend_from_slice(b"12345\0"); // source_addr
    pdu.push(0x01); // dest_addr_ton: international
    pdu.push(0x01); // dest_addr_npi: ISDN (E.164)
    pdu.extend_from_slice(b"447700900123\0"); // destination_addr
    pdu.push(0x00); // esm_class: default mode, default type
    pdu.push(0x00); // protocol_id
    pdu.push(0x00); // priority_flag: level 0
    pdu.push(0x00); // schedule_delivery_time: "" (immediate)
    pdu.push(0x00); // validity_period: "" (SMSC default)
    pdu.push(0x01); // registered_delivery: receipt on final outcome
    pdu.push(0x00); // replace_if_present_flag: don't replace
    pdu.push(0x00); // data_coding: SMSC default alphabet
    pdu.push(0x00); // sm_default_msg_id: none
    pdu.push(short_message.len() as u8); // sm_length
    pdu.extend_from_slice(short_message); // short_message
    // Optional parameters.
    pdu.extend_from_slice(&[0x02, 0x04]); // tag: user_message_reference
    pdu.extend_from_slice(&[0x00, 0x02]); // length: 2
    pdu.extend_from_slice(&USER_MESSAGE_REFERENCE.to_be_bytes()); // value
    assert_eq!(
        pdu.len(),
        command_length,
        "command_length must count every octet"
    );
    pdu
}

/// `submit_sm` with a 160-octet text ([`TEXT_160`]), `registered_delivery` 1 and a
/// `user_message_reference` TLV: 216 octets. The typical MT.
pub fn submit_sm_160() -> Vec<u8> {
    submit_sm(TEXT_160)
}

/// [`submit_sm_160`] with a 10-octet text ([`TEXT_10`]) instead: 66 octets.
pub fn submit_sm_10() -> Vec<u8> {
    submit_sm(TEXT_10)
}

/// [`submit_sm_160`] with a 254-octet text ([`TEXT_254`], the maximum) instead: 310 octets.
pub fn submit_sm_254() -> Vec<u8> {
    submit_sm(TEXT_254)
}

/// A `deliver_sm` delivery receipt (§4.6.1, Appendix B), sequence 1: 189 octets.
///
/// `esm_class` 0x04 (SMSC delivery receipt), the receipt text [`RECEIPT_TEXT`] in
/// `short_message`, and the TLVs `receipted_message_id` (0x001E, C-string
/// `"0123456789abcdef\0"`, 17 octets) and `message_state` (0x0427, 1 octet, DELIVERED).
/// Addresses are the reverse of the `submit_sm`: from the handset to the short code.
/// `schedule_delivery_time`, `validity_period`, `replace_if_present_flag` and
/// `sm_default_msg_id` are NULL/0 as §4.6.1 requires for `deliver_sm`.
pub fn deliver_sm_receipt() -> Vec<u8> {
    const COMMAND_LENGTH: usize = 16 + 34 + RECEIPT_TEXT.len() + (4 + 17) + (4 + 1);
    let mut pdu = Vec::with_capacity(COMMAND_LENGTH);
    // Header.
    pdu.extend_from_slice(&(COMMAND_LENGTH as u32).to_be_bytes()); // command_length: 189
    pdu.extend_from_slice(&[0x00, 0x00, 0x00, 0x05]); // command_id: deliver_sm
    pdu.extend_from_slice(&[0x00, 0x00, 0x00, 0x00]); // command_status: 0
    pdu.extend_from_slice(&[0x00, 0x00, 0x00, 0x01]); // sequence_number: 1 (the SMSC's)
    // Mandatory parameters.
    pdu.push(0x00); // service_type: ""
    pdu.push(0x01); // source_addr_ton: international
    pdu.push(0x01); // source_addr_npi: ISDN (E.164)
    pdu.extend_from_slice(b"447700900123\0"); // source_addr: the handset
    pdu.push(0x03); // dest_addr_ton: network specific
    pdu.push(0x00); // dest_addr_npi: unknown
    pdu.extend_from_slice(b"12345\0"); // destination_addr: the short code
    pdu.push(0x04); // esm_class: SMSC delivery receipt
    pdu.push(0x00); // protocol_id
    pdu.push(0x00); // priority_flag
    pdu.push(0x00); // schedule_delivery_time: NULL (must be, in deliver_sm)
    pdu.push(0x00); // validity_period: NULL (must be, in deliver_sm)
    pdu.push(0x00); // registered_delivery: none
    pdu.push(0x00); // replace_if_present_flag: NULL
    pdu.push(0x00); // data_coding: SMSC default alphabet
    pdu.push(0x00); // sm_default_msg_id: NULL
    pdu.push(RECEIPT_TEXT.len() as u8); // sm_length: 113
    pdu.extend_from_slice(RECEIPT_TEXT); // short_message
    // Optional parameters.
    pdu.extend_from_slice(&[0x00, 0x1E]); // tag: receipted_message_id
    pdu.extend_from_slice(&[0x00, 0x11]); // length: 17
    pdu.extend_from_slice(b"0123456789abcdef\0"); // value: C-octet string
    pdu.extend_from_slice(&[0x04, 0x27]); // tag: message_state
    pdu.extend_from_slice(&[0x00, 0x01]); // length: 1
    pdu.push(MESSAGE_STATE_DELIVERED); // value: DELIVERED
    assert_eq!(
        pdu.len(),
        COMMAND_LENGTH,
        "command_length must count every octet"
    );
    pdu
}

/// `submit_sm_resp` (§4.4.2) to [`submit_sm_160`]: status 0, sequence 1, `message_id`
/// `"0123456789abcdef"` NUL-terminated. 33 octets.
pub fn submit_sm_resp() -> Vec<u8> {
    #[rustfmt::skip]
    let pdu = vec![
        0x00, 0x00, 0x00, 0x21, // command_length: 33
        0x80, 0x00, 0x00, 0x04, // command_id: submit_sm_resp
        0x00, 0x00, 0x00, 0x00, // command_status: ESME_ROK
        0x00, 0x00, 0x00, 0x01, // sequence_number: 1, as the submit_sm
        b'0', b'1', b'2', b'3', b'4', b'5', b'6', b'7', // message_id ...
        b'8', b'9', b'a', b'b', b'c', b'd', b'e', b'f',
        0x00,                   // ... NUL terminator
    ];
    pdu
}

/// `enquire_link` (§4.11.1), sequence 2: the header alone, 16 octets.
pub fn enquire_link() -> Vec<u8> {
    #[rustfmt::skip]
    let pdu = vec![
        0x00, 0x00, 0x00, 0x10, // command_length: 16
        0x00, 0x00, 0x00, 0x15, // command_id: enquire_link
        0x00, 0x00, 0x00, 0x00, // command_status: 0
        0x00, 0x00, 0x00, 0x02, // sequence_number: 2
    ];
    pdu
}

/// Every sample, by the name the benches use for it.
pub fn samples() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("submit_sm_160", submit_sm_160()),
        ("submit_sm_10", submit_sm_10()),
        ("submit_sm_254", submit_sm_254()),
        ("deliver_sm_receipt", deliver_sm_receipt()),
        ("submit_sm_resp", submit_sm_resp()),
        ("enquire_link", enquire_link()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_have_the_promised_lengths() {
        assert_eq!(TEXT_10.len(), 10);
        assert_eq!(TEXT_160.len(), 160);
        assert_eq!(TEXT_254.len(), 254);
        assert_eq!(RECEIPT_TEXT.len(), 113);
        assert!(TEXT_160.ends_with(b"0800 000 0000."));
    }

    #[test]
    fn command_length_matches_and_sizes_are_as_documented() {
        let expected = [
            ("submit_sm_160", 216),
            ("submit_sm_10", 66),
            ("submit_sm_254", 310),
            ("deliver_sm_receipt", 189),
            ("submit_sm_resp", 33),
            ("enquire_link", 16),
        ];
        for ((name, pdu), (want_name, want_len)) in samples().into_iter().zip(expected) {
            assert_eq!(name, want_name);
            assert_eq!(pdu.len(), want_len, "{name}");
            let command_length = u32::from_be_bytes(pdu[0..4].try_into().unwrap());
            assert_eq!(command_length as usize, pdu.len(), "{name}");
        }
    }

    #[test]
    fn submit_sm_160_wire_image_starts_as_the_spec_says() {
        let pdu = submit_sm_160();
        #[rustfmt::skip]
        let head: &[u8] = &[
            0x00, 0x00, 0x00, 0xD8, 0x00, 0x00, 0x00, 0x04,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
            0x00, 0x03, 0x00, b'1', b'2', b'3', b'4', b'5', 0x00,
            0x01, 0x01, b'4', b'4', b'7', b'7', b'0', b'0', b'9', b'0', b'0', b'1', b'2', b'3', 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0xA0,
        ];
        assert_eq!(&pdu[..head.len()], head);
        assert_eq!(&pdu[head.len()..head.len() + 160], TEXT_160);
        assert_eq!(
            &pdu[head.len() + 160..],
            &[0x02, 0x04, 0x00, 0x02, 0x00, 0x2A]
        );
    }
}
