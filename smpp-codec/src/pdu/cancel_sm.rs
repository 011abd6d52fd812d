//! `cancel_sm` (SMPP 5.0 §4.5.1); its `_resp` is header only.

use crate::field::COctetString;

pdu_body! {
    /// `cancel_sm` (§4.5.1.1): cancel one or more pending messages.
    CancelSm {
        /// Service type (max 6 with NUL).
        service_type: COctetString<6, B> = ESME_RINVSERTYP,
        /// The MC's id of the message, or NULL to cancel by addresses (max 65 with NUL).
        message_id: COctetString<65, B> = ESME_RINVMSGID,
        /// Source address TON.
        source_addr_ton: u8 = ESME_RINVSRCTON,
        /// Source address NPI.
        source_addr_npi: u8 = ESME_RINVSRCNPI,
        /// Source address (max 21 with NUL).
        source_addr: COctetString<21, B> = ESME_RINVSRCADR,
        /// Destination address TON.
        dest_addr_ton: u8 = ESME_RINVDSTTON,
        /// Destination address NPI.
        dest_addr_npi: u8 = ESME_RINVDSTNPI,
        /// Destination address (max 21 with NUL).
        destination_addr: COctetString<21, B> = ESME_RINVDSTADR,
    }
}
