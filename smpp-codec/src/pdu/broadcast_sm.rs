//! The SMPP 5.0 broadcast operations: `broadcast_sm`, `query_broadcast_sm`, `cancel_broadcast_sm`
//! and their responses (§4.4.1, §4.6.1, §4.6.2).

use crate::field::{COctetString, SmppTime};
use crate::tlv::Tlvs;

pdu_body! {
    /// `broadcast_sm` (§4.4.1.1); the area, content type, repetitions and frequency are TLVs.
    BroadcastSm {
        /// Service type (max 6 with NUL).
        service_type: COctetString<6, B> = ESME_RINVSERTYP,
        /// Source address TON.
        source_addr_ton: u8 = ESME_RINVSRCTON,
        /// Source address NPI.
        source_addr_npi: u8 = ESME_RINVSRCNPI,
        /// Source address (max 21 with NUL).
        source_addr: COctetString<21, B> = ESME_RINVSRCADR,
        /// Id of a broadcast to replace, or NULL (max 65 with NUL).
        message_id: COctetString<65, B> = ESME_RINVMSGID,
        /// Priority level.
        priority_flag: u8 = ESME_RINVPRTFLG,
        /// Scheduled delivery time.
        schedule_delivery_time: SmppTime<B> = ESME_RINVSCHED,
        /// Validity period.
        validity_period: SmppTime<B> = ESME_RINVEXPIRY,
        /// Replace if present flag.
        replace_if_present_flag: u8 = ESME_RINVREPFLAG,
        /// Data coding scheme.
        data_coding: u8 = ESME_RINVDCS,
        /// Predefined message id.
        sm_default_msg_id: u8 = ESME_RINVDFTMSGID,
        /// TLVs (`broadcast_area_identifier`, `broadcast_content_type`, `broadcast_rep_num`,
        /// `broadcast_frequency_interval`, `message_payload`, ...).
        tlvs: Tlvs<B> = ESME_RINVTLVSTREAM,
    }
}

message_id_resp_body! {
    /// `broadcast_sm_resp` (§4.4.1.2): `broadcast_error_status` / `failed_broadcast_area_identifier` TLVs on failure.
    BroadcastSmResp
}

pdu_body! {
    /// `query_broadcast_sm` (§4.6.1.1).
    QueryBroadcastSm {
        /// The MC's id of the broadcast (max 65 with NUL).
        message_id: COctetString<65, B> = ESME_RINVMSGID,
        /// Source address TON.
        source_addr_ton: u8 = ESME_RINVSRCTON,
        /// Source address NPI.
        source_addr_npi: u8 = ESME_RINVSRCNPI,
        /// Source address (max 21 with NUL).
        source_addr: COctetString<21, B> = ESME_RINVSRCADR,
        /// TLVs (`user_message_reference`).
        tlvs: Tlvs<B> = ESME_RINVTLVSTREAM,
    }
}

message_id_resp_body! {
    /// `query_broadcast_sm_resp` (§4.6.1.3): `message_state`, `broadcast_area_identifier` and
    /// `broadcast_area_success` TLVs.
    QueryBroadcastSmResp
}

pdu_body! {
    /// `cancel_broadcast_sm` (§4.6.2.1).
    CancelBroadcastSm {
        /// Service type (max 6 with NUL).
        service_type: COctetString<6, B> = ESME_RINVSERTYP,
        /// The MC's id of the broadcast (max 65 with NUL).
        message_id: COctetString<65, B> = ESME_RINVMSGID,
        /// Source address TON.
        source_addr_ton: u8 = ESME_RINVSRCTON,
        /// Source address NPI.
        source_addr_npi: u8 = ESME_RINVSRCNPI,
        /// Source address (max 21 with NUL).
        source_addr: COctetString<21, B> = ESME_RINVSRCADR,
        /// TLVs (`broadcast_content_type`, `user_message_reference`).
        tlvs: Tlvs<B> = ESME_RINVTLVSTREAM,
    }
}
