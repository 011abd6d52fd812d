//! The bench samples are valid SMPP as two independent implementations see them: rusmpp and
//! smpp34 each decode every sample, read back the fields we put in, and re-encode it to the
//! very same bytes.

use bytes::BytesMut;
use rusmpp::{
    Command, CommandId, CommandStatus, Pdu,
    tlvs::{TlvTag, TlvValue},
    tokio_codec::CommandCodec,
    values::{MessageState, Npi, Ton, UserMessageReference},
};
use smpp_benches::{
    MESSAGE_ID, MESSAGE_STATE_DELIVERED, MSISDN, RECEIPT_TEXT, SHORT_CODE, TEXT_10, TEXT_160,
    TEXT_254, USER_MESSAGE_REFERENCE,
};
use smpp34::{CommandHeader, TlvList};
use tokio_util::codec::{Decoder, Encoder};

fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap()
}

/// rusmpp's `CommandCodec`, as `Framed` drives it: exactly one command out of exactly the frame.
fn rusmpp_decode(wire: &[u8]) -> Command {
    let mut src = BytesMut::from(wire);
    let command = CommandCodec::new()
        .decode(&mut src)
        .expect("rusmpp decodes the sample")
        .expect("rusmpp sees a whole frame");
    assert!(src.is_empty(), "rusmpp consumed exactly the frame");
    command
}

fn rusmpp_encode(command: &Command) -> Vec<u8> {
    let mut dst = BytesMut::new();
    CommandCodec::new().encode(command, &mut dst).unwrap();
    dst.to_vec()
}

/// Decode with rusmpp, re-encode, compare; hand back the command for field checks.
fn rusmpp_round_trip(wire: &[u8]) -> Command {
    let command = rusmpp_decode(wire);
    assert_eq!(
        rusmpp_encode(&command),
        wire,
        "rusmpp re-encodes byte for byte"
    );
    command
}

fn smpp34_header(wire: &[u8]) -> CommandHeader {
    CommandHeader::decode(wire).expect("smpp34 decodes the header")
}

fn check_rusmpp_submit_sm(wire: &[u8], short_message: &[u8]) {
    let command = rusmpp_round_trip(wire);
    assert_eq!(command.id(), CommandId::SubmitSm);
    assert_eq!(command.status(), CommandStatus::EsmeRok);
    assert_eq!(command.sequence_number(), 1);
    let Some(Pdu::SubmitSm(sm)) = command.pdu() else {
        panic!("not a submit_sm: {command:?}");
    };
    assert_eq!(sm.service_type.value().as_str(), "");
    assert_eq!(sm.source_addr_ton, Ton::NetworkSpecific);
    assert_eq!(sm.source_addr_npi, Npi::Unknown);
    assert_eq!(sm.source_addr.as_str(), text(SHORT_CODE));
    assert_eq!(sm.dest_addr_ton, Ton::International);
    assert_eq!(sm.dest_addr_npi, Npi::Isdn);
    assert_eq!(sm.destination_addr.as_str(), text(MSISDN));
    assert_eq!(u8::from(sm.esm_class), 0);
    assert_eq!(u8::from(sm.registered_delivery), 1);
    assert_eq!(usize::from(sm.sm_length()), short_message.len());
    assert_eq!(sm.short_message().as_ref(), short_message);
    let [tlv] = sm.tlvs() else {
        panic!("one TLV expected: {:?}", sm.tlvs());
    };
    assert_eq!(tlv.tag(), TlvTag::UserMessageReference);
    assert_eq!(
        tlv.value(),
        Some(&TlvValue::UserMessageReference(UserMessageReference::new(
            USER_MESSAGE_REFERENCE
        )))
    );
}

fn check_smpp34_submit_sm(wire: &[u8], short_message: &[u8]) {
    let sm = smpp34::submit_sm::decode(smpp34_header(wire), wire).expect("smpp34 decodes it");
    assert_eq!(sm.service_type, "");
    assert_eq!((sm.source_addr_ton, sm.source_addr_npi), (3, 0));
    assert_eq!(sm.source_addr, text(SHORT_CODE));
    assert_eq!((sm.dest_addr_ton, sm.dest_addr_npi), (1, 1));
    assert_eq!(sm.destination_addr, text(MSISDN));
    assert_eq!(sm.esm_class, 0);
    assert_eq!(sm.registered_delivery, 1);
    assert_eq!(sm.short_message, short_message);
    assert_eq!(sm.tlvs.len(), 1);
    assert_eq!(
        sm.tlvs.user_message_reference(),
        Some(USER_MESSAGE_REFERENCE)
    );
    assert_eq!(sm.encode(), wire, "smpp34 re-encodes byte for byte");
}

#[test]
fn rusmpp_submit_sm() {
    check_rusmpp_submit_sm(&smpp_benches::submit_sm_160(), TEXT_160);
    check_rusmpp_submit_sm(&smpp_benches::submit_sm_10(), TEXT_10);
    check_rusmpp_submit_sm(&smpp_benches::submit_sm_254(), TEXT_254);
}

#[test]
fn smpp34_submit_sm() {
    check_smpp34_submit_sm(&smpp_benches::submit_sm_160(), TEXT_160);
    check_smpp34_submit_sm(&smpp_benches::submit_sm_10(), TEXT_10);
    check_smpp34_submit_sm(&smpp_benches::submit_sm_254(), TEXT_254);
}

#[test]
fn rusmpp_deliver_sm_receipt() {
    let command = rusmpp_round_trip(&smpp_benches::deliver_sm_receipt());
    assert_eq!(command.id(), CommandId::DeliverSm);
    assert_eq!(command.sequence_number(), 1);
    let Some(Pdu::DeliverSm(sm)) = command.pdu() else {
        panic!("not a deliver_sm: {command:?}");
    };
    assert_eq!(sm.source_addr.as_str(), text(MSISDN));
    assert_eq!(sm.destination_addr.as_str(), text(SHORT_CODE));
    assert_eq!(u8::from(sm.esm_class), 0x04);
    assert_eq!(sm.short_message().as_ref(), RECEIPT_TEXT);
    let [receipted_message_id, message_state] = sm.tlvs() else {
        panic!("two TLVs expected: {:?}", sm.tlvs());
    };
    let Some(TlvValue::ReceiptedMessageId(id)) = receipted_message_id.value() else {
        panic!("receipted_message_id expected: {receipted_message_id:?}");
    };
    assert_eq!(id.as_str(), text(MESSAGE_ID));
    assert_eq!(
        message_state.value(),
        Some(&TlvValue::MessageState(MessageState::Delivered))
    );
}

#[test]
fn smpp34_deliver_sm_receipt() {
    let wire = smpp_benches::deliver_sm_receipt();
    let sm = smpp34::deliver_sm::decode(smpp34_header(&wire), &wire).expect("smpp34 decodes it");
    assert_eq!(sm.source_addr, text(MSISDN));
    assert_eq!(sm.destination_addr, text(SHORT_CODE));
    assert_eq!(sm.esm_class, 0x04);
    assert_eq!(sm.short_message, RECEIPT_TEXT);
    assert_eq!(sm.tlvs.len(), 2);
    assert_eq!(
        sm.tlvs.receipted_message_id().as_deref(),
        Some(text(MESSAGE_ID))
    );
    assert_eq!(sm.tlvs.message_state(), Some(MESSAGE_STATE_DELIVERED));
    assert_eq!(sm.encode(), wire, "smpp34 re-encodes byte for byte");
}

#[test]
fn rusmpp_submit_sm_resp() {
    let command = rusmpp_round_trip(&smpp_benches::submit_sm_resp());
    assert_eq!(command.id(), CommandId::SubmitSmResp);
    assert_eq!(command.status(), CommandStatus::EsmeRok);
    assert_eq!(command.sequence_number(), 1);
    let Some(Pdu::SubmitSmResp(resp)) = command.pdu() else {
        panic!("not a submit_sm_resp: {command:?}");
    };
    assert_eq!(resp.message_id().as_str(), text(MESSAGE_ID));
    assert!(resp.tlvs().is_empty());
}

#[test]
fn smpp34_submit_sm_resp() {
    let wire = smpp_benches::submit_sm_resp();
    let header = smpp34_header(&wire);
    assert_eq!(header.command_id, 0x8000_0004);
    assert_eq!(header.sequence_number, 1);
    let resp = smpp34::submit_sm_resp::decode(header, &wire).expect("smpp34 decodes it");
    assert!(resp.is_success());
    assert_eq!(resp.message_id.as_deref(), Some(text(MESSAGE_ID)));
    assert_eq!(resp.encode(), wire, "smpp34 re-encodes byte for byte");
}

#[test]
fn rusmpp_enquire_link() {
    let command = rusmpp_round_trip(&smpp_benches::enquire_link());
    assert_eq!(command.id(), CommandId::EnquireLink);
    assert_eq!(command.status(), CommandStatus::EsmeRok);
    assert_eq!(command.sequence_number(), 2);
}

#[test]
fn smpp34_enquire_link() {
    let wire = smpp_benches::enquire_link();
    let header = smpp34_header(&wire);
    assert_eq!(header.command_id, 0x0000_0015);
    assert_eq!(header.sequence_number, 2);
    let link = smpp34::enquire_link::decode(header, &wire).expect("smpp34 decodes it");
    assert_eq!(link.encode(), wire, "smpp34 re-encodes byte for byte");
}
