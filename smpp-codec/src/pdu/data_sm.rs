//! `data_sm` and `data_sm_resp` (SMPP 5.0 §4.2.2): payload in TLVs, either direction.

use crate::field::COctetString;
use crate::tlv::Tlvs;

pdu_body! {
    /// `data_sm` (§4.2.2.1): the message travels in the `message_payload` TLV.
    DataSm {
        /// Service type (max 6 with NUL).
        service_type: COctetString<6, B> = ESME_RINVSERTYP,
        /// Source address TON.
        source_addr_ton: u8 = ESME_RINVSRCTON,
        /// Source address NPI.
        source_addr_npi: u8 = ESME_RINVSRCNPI,
        /// Source address (max 65 with NUL).
        source_addr: COctetString<65, B> = ESME_RINVSRCADR,
        /// Destination address TON.
        dest_addr_ton: u8 = ESME_RINVDSTTON,
        /// Destination address NPI.
        dest_addr_npi: u8 = ESME_RINVDSTNPI,
        /// Destination address (max 65 with NUL).
        destination_addr: COctetString<65, B> = ESME_RINVDSTADR,
        /// Message mode and type.
        esm_class: u8 = ESME_RINVESMCLASS,
        /// Delivery receipt request.
        registered_delivery: u8 = ESME_RINVREGDLVFLG,
        /// Data coding scheme.
        data_coding: u8 = ESME_RINVDCS,
        /// TLVs (`message_payload`, ...).
        tlvs: Tlvs<B> = ESME_RINVTLVSTREAM,
    }
}

message_id_resp_body! {
    /// `data_sm_resp` (§4.2.2.2).
    DataSmResp
}
