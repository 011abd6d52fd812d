//! `alert_notification` (SMPP 5.0 §4.1.3): the MC says a subscriber became available. No response.

use crate::field::COctetString;
use crate::tlv::Tlvs;

pdu_body! {
    /// `alert_notification` (§4.1.3.1).
    AlertNotification {
        /// TON of the now-available MS.
        source_addr_ton: u8 = ESME_RINVSRCTON,
        /// NPI of the now-available MS.
        source_addr_npi: u8 = ESME_RINVSRCNPI,
        /// Address of the now-available MS (max 65 with NUL).
        source_addr: COctetString<65, B> = ESME_RINVSRCADR,
        /// TON of the ESME that asked for the alert.
        esme_addr_ton: u8 = ESME_RINVDSTTON,
        /// NPI of the ESME that asked for the alert.
        esme_addr_npi: u8 = ESME_RINVDSTNPI,
        /// Address of the ESME that asked for the alert (max 65 with NUL).
        esme_addr: COctetString<65, B> = ESME_RINVDSTADR,
        /// TLVs (`ms_availability_status`).
        tlvs: Tlvs<B> = ESME_RINVTLVSTREAM,
    }
}
