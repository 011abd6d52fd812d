//! Fuzz target `receipt`: arbitrary input through receipt extraction; nothing may panic.
//!
//! The input is used three ways: as text (lossy UTF-8) for `Receipt::parse_text` and the
//! message-id normalisation; as a whole PDU through `Pdu::decode` then `Receipt::from_body`;
//! and as the body of a `deliver_sm` (a header is prefixed), so that random bytes reach receipt
//! extraction without having to guess a valid header first.

use bytes::{BufMut, Bytes, BytesMut};
use smpp_codec::Pdu;
use smpp_codec::receipt::{MessageIdForm, Receipt, ReceiptText, correlation_keys};

/// `deliver_sm` (SMPP 5.0 §4.3.1.1).
const DELIVER_SM: u32 = 0x0000_0005;

fn extract(frame: &Bytes) {
    let Ok(pdu) = Pdu::decode(frame) else {
        return;
    };
    if let Some(Ok(r)) = Receipt::from_body(&pdu.body) {
        let owned = r.to_owned_receipt();
        assert_eq!(owned.message_id, r.message_id);
        assert!(!r.message_id.is_empty());
        let _ = correlation_keys(r.message_id);
    }
}

/// The target's checks on one input.
pub fn check(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(r) = Receipt::parse_text(&text) {
        assert!(!r.message_id.is_empty());
        let _ = r.to_owned_receipt();
    }
    let _ = ReceiptText::parse_bytes(data);
    let _ = correlation_keys(&text);
    for form in MessageIdForm::ALL {
        let _ = form.correlates(&text, &text);
    }

    extract(&Bytes::copy_from_slice(data));

    let mut frame = BytesMut::with_capacity(16 + data.len());
    frame.put_u32((16 + data.len()) as u32);
    frame.put_u32(DELIVER_SM);
    frame.put_u32(0);
    frame.put_u32(1);
    frame.put_slice(data);
    extract(&frame.freeze());
}
