//! Delivery receipts: recognition, TLV and text-form parsing, formatting, and message-id normalisation.
//!
//! A receipt arrives as a `deliver_sm` or `data_sm` whose `esm_class` message type (bits 5–2,
//! mask [`MESSAGE_TYPE_MASK`]) says so (SMPP 5.0 §4.7.12, SMPP 3.4 §5.2.12). SMPP 5.0 MCs put
//! what matters in TLVs (`receipted_message_id`, `message_state`, `network_error_code`,
//! §4.3.5.1); most MCs also, or only, write the text form of SMPP 3.4 Appendix B into
//! `short_message`:
//!
//! ```text
//! id:IIIIIIIIII sub:SSS dlvrd:DDD submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:DDDDDDD err:E text:...
//! ```
//!
//! [`Receipt`] combines both, TLVs winning where both say something, and keeps both raw.
//! Parsing borrows from the PDU ([`Receipt<'a>`](Receipt)); [`OwnedReceipt`] is the owned
//! summary for storage. [`ReceiptBuilder`] writes receipts (text and PDU) for an MC or a
//! simulator. [`MessageIdForm`] and [`correlation_keys`] match a receipt's id with the
//! `submit_sm_resp` id when the MC writes them differently (hex vs decimal, padding, case).
//!
//! ```
//! use smpp_codec::receipt::{MessageState, Receipt};
//!
//! let r = Receipt::parse_text(
//!     "id:1A2B sub:001 dlvrd:001 submit date:2403011200 done date:2403011201 stat:DELIVRD err:000 text:Hi",
//! )
//! .unwrap();
//! assert_eq!(r.message_id, "1A2B");
//! assert_eq!(r.state, Some(MessageState::Delivered));
//! assert!(r.is_final());
//! ```

mod format;
mod message_id;
mod state;
mod text;
mod time;

pub use format::{ReceiptBuilder, TEXT_CHARS};
pub use message_id::{
    CorrelationKey, CorrelationKeys, MAX_NUMERIC_ID_LEN, MessageIdForm, ParseMessageIdFormError,
    correlation_keys, normalise,
};
pub use state::MessageState;
pub use text::{ExtraField, ReceiptText};
pub use time::{DEFAULT_ROLLOVER, DateError, ReceiptDate, ReceiptTime};

use crate::pdu::{Body, DataSm, DeliverSm};
use crate::status::CommandStatus;
use crate::tlv::{NetworkErrorCode, TlvTag, Tlvs};

/// The `esm_class` bits that hold the message type in a `deliver_sm` / `data_sm` (bits 5–2).
pub const MESSAGE_TYPE_MASK: u8 = 0x3C;

/// What kind of report an `esm_class` announces (message type bits 5–2, SMPP 5.0 Table 4-48,
/// SMPP 3.4 §5.2.12 for MC→ESME PDUs).
///
/// | bits 5–2 | `esm_class & 0x3C` | meaning                                   | here                         |
/// |----------|--------------------|-------------------------------------------|------------------------------|
/// | 0000     | 0x00               | normal message (MO)                       | `None`                       |
/// | 0001     | 0x04               | MC delivery receipt                       | [`DeliveryReceipt`](Self::DeliveryReceipt) |
/// | 0010     | 0x08               | SME delivery acknowledgement              | [`SmeDeliveryAck`](Self::SmeDeliveryAck) |
/// | 0011     | 0x0C               | reserved                                  | `None`                       |
/// | 0100     | 0x10               | SME manual/user acknowledgement           | [`SmeManualAck`](Self::SmeManualAck) |
/// | 0101     | 0x14               | reserved                                  | `None`                       |
/// | 0110     | 0x18               | conversation abort (Korean CDMA ITS)      | `None`: ends a session, reports no message |
/// | 0111     | 0x1C               | reserved                                  | `None`                       |
/// | 1000     | 0x20               | intermediate delivery notification        | [`IntermediateNotification`](Self::IntermediateNotification) |
/// | others   |                    | reserved                                  | `None`                       |
///
/// Bits 1–0 (messaging mode, "not applicable" in MC→ESME PDUs) and 7–6 (UDHI, reply path) are
/// ignored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReceiptKind {
    /// 0x04: MC delivery receipt (§4.3.5.1): the final state of a registered message.
    DeliveryReceipt,
    /// 0x20: intermediate delivery notification (§4.3.5.2): a state on the way (in retry, ...);
    /// usually ENROUTE, not final.
    IntermediateNotification,
    /// 0x08: SME delivery acknowledgement (§4.3.5.3, TDMA/CDMA only): the recipient has *read*
    /// the message. MCs that relay one identify the message by `receipted_message_id` (or
    /// `user_message_reference`); its text is the recipient's, rarely in receipt form.
    SmeDeliveryAck,
    /// 0x10: SME manual/user acknowledgement (§4.3.5.4, TDMA/CDMA only): an application-level
    /// reply (e.g. a menu choice) to an earlier message; like an SME delivery ack, it can only
    /// be matched through its TLVs.
    SmeManualAck,
}

impl ReceiptKind {
    /// The kind announced by `esm_class`, `None` for a normal message, a conversation abort or a
    /// reserved type.
    pub fn from_esm_class(esm_class: u8) -> Option<ReceiptKind> {
        match esm_class & MESSAGE_TYPE_MASK {
            0x04 => Some(ReceiptKind::DeliveryReceipt),
            0x08 => Some(ReceiptKind::SmeDeliveryAck),
            0x10 => Some(ReceiptKind::SmeManualAck),
            0x20 => Some(ReceiptKind::IntermediateNotification),
            _ => None,
        }
    }

    /// The message type bits to put in `esm_class`.
    pub fn esm_class_bits(self) -> u8 {
        match self {
            ReceiptKind::DeliveryReceipt => 0x04,
            ReceiptKind::SmeDeliveryAck => 0x08,
            ReceiptKind::SmeManualAck => 0x10,
            ReceiptKind::IntermediateNotification => 0x20,
        }
    }
}

/// Why a receipt could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReceiptError {
    /// The `esm_class` message type is not a receipt kind (see [`ReceiptKind`]).
    #[error(
        "esm_class {esm_class:#04x} does not announce a receipt (message type {:#04x}): handle the PDU as a normal message",
        esm_class & MESSAGE_TYPE_MASK
    )]
    NotAReceipt {
        /// The `esm_class` found.
        esm_class: u8,
    },
    /// No text at all (empty or blank), and no `receipted_message_id` TLV.
    #[error(
        "the receipt is empty: no receipt text and no receipted_message_id TLV; nothing identifies the message"
    )]
    Empty,
    /// The text has no standard `key:` field, and there is no `receipted_message_id` TLV.
    #[error(
        "the receipt text has no id:, stat:, ... field and there is no receipted_message_id TLV: not a receipt format we read"
    )]
    Unparseable,
    /// Fields were found, but no message id: neither a `receipted_message_id` TLV (UTF-8, not
    /// blank) nor an `id:` field.
    #[error(
        "the receipt carries no message id: neither a receipted_message_id TLV nor an id: field"
    )]
    NoMessageId,
}

impl ReceiptError {
    /// The `command_status` for a `deliver_sm_resp` / `data_sm_resp` that refuses the PDU:
    /// `ESME_RX_R_APPN` (reject, do not retry) for an unreadable receipt, since redelivering the
    /// same octets cannot help. (A service that keeps unreadable receipts raw answers
    /// `ESME_ROK` instead.) `ESME_ROK` for [`NotAReceipt`](Self::NotAReceipt): the PDU is a
    /// normal message, not an error.
    pub fn command_status(&self) -> CommandStatus {
        match self {
            ReceiptError::NotAReceipt { .. } => CommandStatus::ESME_ROK,
            _ => CommandStatus::ESME_RX_R_APPN,
        }
    }
}

/// The receipt TLVs (SMPP 5.0 §4.8.4), as received.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReceiptTlvs<'a> {
    /// `receipted_message_id` (§4.8.4.47), without its NUL.
    pub receipted_message_id: Option<&'a [u8]>,
    /// `message_state` (§4.8.4.37), the raw value (see [`MessageState::from_u8`]).
    pub message_state: Option<u8>,
    /// `network_error_code` (§4.8.4.42).
    pub network_error_code: Option<NetworkErrorCode>,
    /// `user_message_reference` (§4.8.4.62): the ESME's own reference, which some MCs echo
    /// (and SME acknowledgements may carry instead of an id).
    pub user_message_reference: Option<u16>,
}

impl<'a> ReceiptTlvs<'a> {
    /// Reads the receipt TLVs of a PDU (the first of each tag; malformed values are `None`).
    pub fn from_tlvs(tlvs: &'a Tlvs) -> ReceiptTlvs<'a> {
        ReceiptTlvs {
            receipted_message_id: tlvs.get(TlvTag::RECEIPTED_MESSAGE_ID).map(|v| {
                let end = v.iter().position(|&b| b == 0).unwrap_or(v.len());
                &v[..end]
            }),
            message_state: tlvs.message_state(),
            network_error_code: tlvs.network_error_code(),
            user_message_reference: tlvs.user_message_reference(),
        }
    }

    /// `receipted_message_id` as text: UTF-8, surrounding whitespace trimmed, not empty.
    pub fn message_id(&self) -> Option<&'a str> {
        let id = std::str::from_utf8(self.receipted_message_id?).ok()?.trim();
        (!id.is_empty()).then_some(id)
    }

    /// `message_state` as a state, when it is one §4.7.15 defines.
    pub fn state(&self) -> Option<MessageState> {
        MessageState::from_u8(self.message_state?)
    }

    fn is_empty(&self) -> bool {
        *self == ReceiptTlvs::default()
    }
}

/// A delivery receipt (or notification, or acknowledgement), borrowed from its PDU or text.
///
/// The resolved fields ([`message_id`](Self::message_id), [`state`](Self::state)) take the TLV
/// value when there is a usable one, else the text's; [`tlvs`](Self::tlvs) and
/// [`text`](Self::text) keep both sides as received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt<'a> {
    /// What the `esm_class` announced ([`ReceiptKind::DeliveryReceipt`] for a bare text).
    pub kind: ReceiptKind,
    /// The MC's id of the receipted message: `receipted_message_id` when present (UTF-8, not
    /// blank), else the text's `id:`. Match it with the `submit_sm_resp` id through the bind's
    /// [`MessageIdForm`].
    pub message_id: &'a str,
    /// The state: `message_state` when it holds a §4.7.15 value, else the text's `stat:`.
    /// `None` when neither says (or says something unknown: see the raw values).
    pub state: Option<MessageState>,
    /// The receipt TLVs, raw.
    pub tlvs: ReceiptTlvs<'a>,
    /// The parsed text, when there is one in a form we read (`None` for a TLV-only receipt, or
    /// a text we cannot read next to a TLV id).
    pub text: Option<ReceiptText<'a>>,
    /// The text octets as received (`short_message`, else `message_payload`); empty if none.
    pub raw_text: &'a [u8],
}

impl<'a> Receipt<'a> {
    /// A receipt from a `deliver_sm`: the text is `short_message`, or `message_payload` when
    /// `short_message` is empty.
    pub fn from_deliver_sm(sm: &'a DeliverSm) -> Result<Receipt<'a>, ReceiptError> {
        let text = if sm.short_message.is_empty() {
            sm.tlvs.get(TlvTag::MESSAGE_PAYLOAD).unwrap_or_default()
        } else {
            sm.short_message.as_bytes()
        };
        Receipt::from_parts(sm.esm_class, text, &sm.tlvs)
    }

    /// A receipt from a `data_sm`: the text, if any, is `message_payload`.
    pub fn from_data_sm(sm: &'a DataSm) -> Result<Receipt<'a>, ReceiptError> {
        let text = sm.tlvs.get(TlvTag::MESSAGE_PAYLOAD).unwrap_or_default();
        Receipt::from_parts(sm.esm_class, text, &sm.tlvs)
    }

    /// The receipt in a PDU body: `None` unless it is a `deliver_sm` or `data_sm` whose
    /// `esm_class` announces a receipt kind.
    pub fn from_body(body: &'a Body) -> Option<Result<Receipt<'a>, ReceiptError>> {
        match body {
            Body::DeliverSm(sm) if ReceiptKind::from_esm_class(sm.esm_class).is_some() => {
                Some(Receipt::from_deliver_sm(sm))
            }
            Body::DataSm(sm) if ReceiptKind::from_esm_class(sm.esm_class).is_some() => {
                Some(Receipt::from_data_sm(sm))
            }
            _ => None,
        }
    }

    /// A receipt from its parts: the `esm_class`, the text octets and the TLVs.
    pub fn from_parts(
        esm_class: u8,
        text: &'a [u8],
        tlvs: &'a Tlvs,
    ) -> Result<Receipt<'a>, ReceiptError> {
        let kind = ReceiptKind::from_esm_class(esm_class)
            .ok_or(ReceiptError::NotAReceipt { esm_class })?;
        Receipt::combine(kind, text, ReceiptTlvs::from_tlvs(tlvs))
    }

    /// A receipt from its text alone (an SMPP 3.3 MC, a log line, a test).
    pub fn parse_text(text: &'a str) -> Result<Receipt<'a>, ReceiptError> {
        let parsed = ReceiptText::parse(text);
        Receipt::resolve(
            ReceiptKind::DeliveryReceipt,
            text.as_bytes(),
            parsed,
            ReceiptTlvs::default(),
        )
    }

    /// Combines already-read TLVs and a text: TLVs win, both are kept.
    pub fn combine(
        kind: ReceiptKind,
        raw_text: &'a [u8],
        tlvs: ReceiptTlvs<'a>,
    ) -> Result<Receipt<'a>, ReceiptError> {
        Receipt::resolve(kind, raw_text, ReceiptText::parse_bytes(raw_text), tlvs)
    }

    fn resolve(
        kind: ReceiptKind,
        raw_text: &'a [u8],
        parsed: Result<ReceiptText<'a>, ReceiptError>,
        tlvs: ReceiptTlvs<'a>,
    ) -> Result<Receipt<'a>, ReceiptError> {
        let tlv_id = tlvs.message_id();
        let (text, text_err) = match parsed {
            Ok(t) => (Some(t), None),
            Err(e) => (None, Some(e)),
        };
        let message_id = match (tlv_id, text.as_ref().and_then(|t| t.id)) {
            (Some(id), _) | (None, Some(id)) => id,
            (None, None) => {
                return Err(match text_err {
                    Some(ReceiptError::Empty) if tlvs.is_empty() => ReceiptError::Empty,
                    Some(ReceiptError::Unparseable) if tlvs.is_empty() => ReceiptError::Unparseable,
                    _ => ReceiptError::NoMessageId,
                });
            }
        };
        let state = tlvs
            .state()
            .or_else(|| text.as_ref().and_then(ReceiptText::state));
        Ok(Receipt {
            kind,
            message_id,
            state,
            tlvs,
            text,
            raw_text,
        })
    }

    /// `true` when the state is final (see [`MessageState::is_final`]); `false` when unknown.
    pub fn is_final(&self) -> bool {
        self.state.is_some_and(MessageState::is_final)
    }

    /// `network_error_code` from the TLVs.
    pub fn network_error_code(&self) -> Option<NetworkErrorCode> {
        self.tlvs.network_error_code
    }

    /// The text's `stat:` as written.
    pub fn stat(&self) -> Option<&'a str> {
        self.text.as_ref()?.stat
    }

    /// The text's `err:` as written.
    pub fn err(&self) -> Option<&'a str> {
        self.text.as_ref()?.err
    }

    /// The text's `submit date:`, when a valid date.
    pub fn submit_date(&self) -> Option<ReceiptTime> {
        self.text.as_ref()?.submit_date?.time()
    }

    /// The text's `done date:`, when a valid date.
    pub fn done_date(&self) -> Option<ReceiptTime> {
        self.text.as_ref()?.done_date?.time()
    }

    /// `true` when the TLV and the text both carry an id and they differ as written (a sign the
    /// MC writes one of them in another form: see [`MessageIdForm`]).
    pub fn ids_differ(&self) -> bool {
        match (
            self.tlvs.message_id(),
            self.text.as_ref().and_then(|t| t.id),
        ) {
            (Some(a), Some(b)) => a != b,
            _ => false,
        }
    }

    /// The owned summary.
    pub fn to_owned_receipt(&self) -> OwnedReceipt {
        OwnedReceipt::from(self)
    }
}

/// A receipt's content, owned: what a store keeps. Made from a [`Receipt`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnedReceipt {
    /// What the `esm_class` announced.
    pub kind: ReceiptKind,
    /// The resolved message id (TLV, else text).
    pub message_id: String,
    /// The resolved state (TLV, else text).
    pub state: Option<MessageState>,
    /// `receipted_message_id` as received (lossy UTF-8).
    pub tlv_message_id: Option<String>,
    /// `message_state` as received.
    pub tlv_message_state: Option<u8>,
    /// `network_error_code`.
    pub network_error_code: Option<NetworkErrorCode>,
    /// `user_message_reference`.
    pub user_message_reference: Option<u16>,
    /// The text's `id:`.
    pub text_id: Option<String>,
    /// The text's `stat:` as written.
    pub stat: Option<String>,
    /// The text's `err:` as written.
    pub err: Option<String>,
    /// `sub:` as a number.
    pub submitted: Option<u32>,
    /// `dlvrd:` as a number.
    pub delivered: Option<u32>,
    /// `submit date:` as written.
    pub submit_date_raw: Option<String>,
    /// `submit date:` parsed.
    pub submit_date: Option<ReceiptTime>,
    /// `done date:` as written.
    pub done_date_raw: Option<String>,
    /// `done date:` parsed.
    pub done_date: Option<ReceiptTime>,
    /// `text:` (lossy UTF-8).
    pub text: Option<String>,
    /// Extra `key:value` fields, in order.
    pub extra: Vec<(String, String)>,
    /// The receipt text octets as received.
    pub raw_text: Vec<u8>,
}

impl From<&Receipt<'_>> for OwnedReceipt {
    fn from(r: &Receipt<'_>) -> OwnedReceipt {
        let t = r.text.as_ref();
        let s = |v: Option<&str>| v.map(str::to_owned);
        OwnedReceipt {
            kind: r.kind,
            message_id: r.message_id.to_owned(),
            state: r.state,
            tlv_message_id: r
                .tlvs
                .receipted_message_id
                .map(|v| String::from_utf8_lossy(v).into_owned()),
            tlv_message_state: r.tlvs.message_state,
            network_error_code: r.tlvs.network_error_code,
            user_message_reference: r.tlvs.user_message_reference,
            text_id: s(t.and_then(|t| t.id)),
            stat: s(t.and_then(|t| t.stat)),
            err: s(t.and_then(|t| t.err)),
            submitted: t.and_then(ReceiptText::submitted),
            delivered: t.and_then(ReceiptText::delivered),
            submit_date_raw: s(t.and_then(|t| t.submit_date).map(|d| d.raw)),
            submit_date: r.submit_date(),
            done_date_raw: s(t.and_then(|t| t.done_date).map(|d| d.raw)),
            done_date: r.done_date(),
            text: t.and_then(|t| t.text_lossy()).map(|c| c.into_owned()),
            extra: t
                .map(|t| {
                    t.extra
                        .iter()
                        .map(|f| (f.key.to_owned(), f.value.to_owned()))
                        .collect()
                })
                .unwrap_or_default(),
            raw_text: r.raw_text.to_vec(),
        }
    }
}
