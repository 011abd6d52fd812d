//! `replace_sm` (SMPP 5.0 §4.5.3); its `_resp` is header only.

use crate::field::{COctetString, ShortMessage, SmppTime};
use crate::tlv::Tlvs;

pdu_body! {
    /// `replace_sm` (§4.5.3.1): replace a pending message.
    ReplaceSm [payload] {
        /// The MC's id of the message to replace (max 65 with NUL).
        message_id: COctetString<65, B> = ESME_RINVMSGID,
        /// Source address TON of the original.
        source_addr_ton: u8 = ESME_RINVSRCTON,
        /// Source address NPI of the original.
        source_addr_npi: u8 = ESME_RINVSRCNPI,
        /// Source address of the original (max 21 with NUL).
        source_addr: COctetString<21, B> = ESME_RINVSRCADR,
        /// New scheduled delivery time.
        schedule_delivery_time: SmppTime<B> = ESME_RINVSCHED,
        /// New validity period.
        validity_period: SmppTime<B> = ESME_RINVEXPIRY,
        /// New registered delivery setting.
        registered_delivery: u8 = ESME_RINVREGDLVFLG,
        /// Predefined message id.
        sm_default_msg_id: u8 = ESME_RINVDFTMSGID,
        /// `sm_length` and the new `short_message`.
        short_message: ShortMessage<B> = ESME_RINVMSGLEN,
        /// TLVs (SMPP 5.0: `message_payload`).
        tlvs: Tlvs<B> = ESME_RINVTLVSTREAM,
    }
}
