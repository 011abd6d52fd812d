//! `deliver_sm` and `deliver_sm_resp` (SMPP 5.0 §4.3.1): MO messages and delivery receipts.

use crate::field::{COctetString, ShortMessage, SmppTime};
use crate::tlv::Tlvs;

short_message_body! {
    /// `deliver_sm` (§4.3.1.1): the MC delivers a message or a receipt to the ESME; same layout
    /// as `submit_sm`.
    DeliverSm
}

message_id_resp_body! {
    /// `deliver_sm_resp` (§4.3.1.2): `message_id` is unused (NULL).
    DeliverSmResp
}
