//! `submit_sm` and `submit_sm_resp` (SMPP 5.0 §4.2.1).

use crate::field::{COctetString, ShortMessage, SmppTime};
use crate::tlv::Tlvs;

short_message_body! {
    /// `submit_sm` (§4.2.1.1): submit one short message to one destination.
    SubmitSm
}

message_id_resp_body! {
    /// `submit_sm_resp` (§4.2.1.2).
    SubmitSmResp
}
