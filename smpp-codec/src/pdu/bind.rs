//! `bind_transmitter` / `bind_receiver` / `bind_transceiver`, their `_resp`, and `outbind` (SMPP 5.0 §4.1.1).

use crate::field::COctetString;
use crate::tlv::Tlvs;

pdu_body! {
    /// The body shared by `bind_transmitter`, `bind_receiver` and `bind_transceiver` (§4.1.1.1, .3, .5).
    Bind {
        /// Identifies the ESME requesting to bind (max 16 with NUL).
        system_id: COctetString<16, B> = ESME_RINVSYSID,
        /// Password (max 9 with NUL).
        password: COctetString<9, B> = ESME_RINVPASWD,
        /// Type of ESME (max 13 with NUL).
        system_type: COctetString<13, B> = ESME_RINVSYSTYP,
        /// SMPP version supported by the ESME (0x34, 0x50; below 0x34 means 3.3).
        interface_version: u8 = ESME_RBINDFAIL,
        /// TON of `address_range`.
        addr_ton: u8 = ESME_RINVSRCTON,
        /// NPI of `address_range`.
        addr_npi: u8 = ESME_RINVSRCNPI,
        /// Addresses served (a regular expression, max 41 with NUL).
        address_range: COctetString<41, B> = ESME_RBINDFAIL,
    }
}

pdu_body! {
    /// The body shared by the three `bind_*_resp` PDUs (§4.1.1.2, .4, .6).
    BindResp {
        /// Identifies the MC (max 16 with NUL).
        system_id: COctetString<16, B> = ESME_RINVSYSID,
        /// TLVs (`sc_interface_version`).
        tlvs: Tlvs<B> = ESME_RINVTLVSTREAM,
    }
}

pdu_body! {
    /// `outbind` (§4.1.1.9): the MC asks the ESME to bind as a receiver.
    Outbind {
        /// Identifies the MC (max 16 with NUL).
        system_id: COctetString<16, B> = ESME_RINVSYSID,
        /// Password (max 9 with NUL).
        password: COctetString<9, B> = ESME_RINVPASWD,
    }
}
