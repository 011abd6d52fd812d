//! `query_sm` and `query_sm_resp` (SMPP 5.0 §4.5.2).

use crate::field::{COctetString, SmppTime};

pdu_body! {
    /// `query_sm` (§4.5.2.1): ask the state of a submitted message.
    QuerySm {
        /// The MC's id of the message (max 65 with NUL).
        message_id: COctetString<65, B> = ESME_RINVMSGID,
        /// Source address TON of the original message.
        source_addr_ton: u8 = ESME_RINVSRCTON,
        /// Source address NPI of the original message.
        source_addr_npi: u8 = ESME_RINVSRCNPI,
        /// Source address of the original message (max 21 with NUL).
        source_addr: COctetString<21, B> = ESME_RINVSRCADR,
    }
}

pdu_body! {
    /// `query_sm_resp` (§4.5.2.2).
    QuerySmResp {
        /// The MC's id of the message (max 65 with NUL).
        message_id: COctetString<65, B> = ESME_RINVMSGID,
        /// When the message reached its final state (empty if not final).
        final_date: SmppTime<B> = ESME_RQUERYFAIL,
        /// The message state (§4.7.15).
        message_state: u8 = ESME_RQUERYFAIL,
        /// Network error code, where the message failed.
        error_code: u8 = ESME_RQUERYFAIL,
    }
}
