//! `ReceiptBuilder`: writes receipts the way MCs send them: the SMPP 3.4 Appendix B text, and a
//! `deliver_sm` / `data_sm` carrying it with the receipt `esm_class` and the SMPP 5.0 receipt TLVs.

use bytes::Bytes;

use super::ReceiptKind;
use super::state::MessageState;
use super::time::ReceiptTime;
use crate::error::EncodeError;
use crate::field::{COctetString, ShortMessage};
use crate::pdu::{DataSm, DeliverSm};
use crate::tlv::{NetworkErrorCode, Tlvs};

/// Characters of the original message a receipt's `text:` repeats (Appendix B).
pub const TEXT_CHARS: usize = 20;

/// Builds a receipt: its text
///
/// ```text
/// id:{id} sub:001 dlvrd:001 submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:DELIVRD err:000 text:{first 20 chars}
/// ```
///
/// and a `deliver_sm` (or `data_sm`) with `esm_class` 0x04 (or the kind chosen) and the TLVs
/// `receipted_message_id`, `message_state` and, when set, `network_error_code`. Times are given
/// (no clock here).
///
/// ```
/// use smpp_codec::receipt::{MessageState, Receipt, ReceiptBuilder, ReceiptTime};
///
/// let t = ReceiptTime::new(2024, 3, 1, 12, 0, 0).unwrap();
/// let b = ReceiptBuilder::new("1A2B", MessageState::Delivered, t, t).unwrap().text("Hello");
/// assert_eq!(
///     b.format_text(),
///     "id:1A2B sub:001 dlvrd:001 submit date:2403011200 done date:2403011200 stat:DELIVRD err:000 text:Hello"
/// );
/// let sm = b.to_deliver_sm().unwrap();
/// let r = Receipt::from_deliver_sm(&sm).unwrap();
/// assert_eq!(r.message_id, "1A2B");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceiptBuilder {
    kind: ReceiptKind,
    message_id: String,
    state: MessageState,
    submitted: u32,
    delivered: Option<u32>,
    submit_date: ReceiptTime,
    done_date: ReceiptTime,
    seconds: bool,
    err: Option<u32>,
    network_error_code: Option<NetworkErrorCode>,
    text: String,
    tlvs: bool,
    source: (u8, u8, String),
    destination: (u8, u8, String),
}

impl ReceiptBuilder {
    /// A receipt for `message_id` (the id given in `submit_sm_resp`) reporting `state`.
    /// Refuses an id that is empty, longer than 64 octets (the `receipted_message_id` maximum,
    /// NUL excluded), or holds whitespace or control characters (the text form could not carry
    /// it).
    pub fn new(
        message_id: &str,
        state: MessageState,
        submit_date: ReceiptTime,
        done_date: ReceiptTime,
    ) -> Result<ReceiptBuilder, EncodeError> {
        let bad = |message: &str| EncodeError::Field {
            field: "receipted_message_id".into(),
            message: message.into(),
        };
        if message_id.is_empty() {
            return Err(bad("a receipt needs the message id; it is empty"));
        }
        if message_id.len() > 64 {
            return Err(EncodeError::TooLong {
                field: "receipted_message_id",
                len: message_id.len(),
                max: 65,
            });
        }
        if message_id
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(bad(
                "a message id in a receipt cannot hold whitespace or control characters",
            ));
        }
        Ok(ReceiptBuilder {
            kind: ReceiptKind::DeliveryReceipt,
            message_id: message_id.to_owned(),
            state,
            submitted: 1,
            delivered: None,
            submit_date,
            done_date,
            seconds: false,
            err: None,
            network_error_code: None,
            text: String::new(),
            tlvs: true,
            source: (0, 0, String::new()),
            destination: (0, 0, String::new()),
        })
    }

    /// The kind (`esm_class` message type); default [`ReceiptKind::DeliveryReceipt`] (0x04).
    pub fn kind(mut self, kind: ReceiptKind) -> Self {
        self.kind = kind;
        self
    }

    /// `sub:`, messages submitted; default 1.
    pub fn submitted(mut self, n: u32) -> Self {
        self.submitted = n;
        self
    }

    /// `dlvrd:`, messages delivered; default 1 when the state is DELIVERED, else 0.
    pub fn delivered(mut self, n: u32) -> Self {
        self.delivered = Some(n);
        self
    }

    /// Dates with seconds (`YYMMDDhhmmss`, 12 digits) instead of Appendix B's `YYMMDDhhmm`.
    pub fn with_seconds(mut self, seconds: bool) -> Self {
        self.seconds = seconds;
        self
    }

    /// `err:` (written with at least 3 digits); default the `network_error_code`'s error code
    /// when set, else 0.
    pub fn err(mut self, code: u32) -> Self {
        self.err = Some(code);
        self
    }

    /// Adds the `network_error_code` TLV.
    pub fn network_error_code(mut self, code: NetworkErrorCode) -> Self {
        self.network_error_code = Some(code);
        self
    }

    /// `text:`, from the original message: its first 20 characters, with whitespace written as
    /// spaces and characters outside printable ASCII as `?` (receipts travel as
    /// `data_coding` 0, where only ASCII is safe).
    pub fn text(mut self, original_message: &str) -> Self {
        self.text = original_message
            .chars()
            .take(TEXT_CHARS)
            .map(|c| match c {
                ' '..='~' => c,
                c if c.is_whitespace() => ' ',
                _ => '?',
            })
            .collect();
        self
    }

    /// Whether the PDU carries the receipt TLVs (default `true`; `false` imitates an SMPP 3.3 MC,
    /// whose receipts are text only).
    pub fn tlvs(mut self, include: bool) -> Self {
        self.tlvs = include;
        self
    }

    /// The PDU's source address: the *destination* of the original message (§4.3.5.1).
    pub fn source(mut self, ton: u8, npi: u8, addr: &str) -> Self {
        self.source = (ton, npi, addr.to_owned());
        self
    }

    /// The PDU's destination address: the *source* of the original message (§4.3.5.1).
    pub fn destination(mut self, ton: u8, npi: u8, addr: &str) -> Self {
        self.destination = (ton, npi, addr.to_owned());
        self
    }

    fn date(&self, t: &ReceiptTime) -> String {
        if self.seconds {
            t.to_yymmddhhmmss()
        } else {
            t.to_yymmddhhmm()
        }
    }

    /// The receipt text.
    pub fn format_text(&self) -> String {
        let delivered = self
            .delivered
            .unwrap_or(u32::from(self.state == MessageState::Delivered));
        let err = self
            .err
            .or(self.network_error_code.map(|c| u32::from(c.error_code)))
            .unwrap_or(0);
        format!(
            "id:{} sub:{:03} dlvrd:{:03} submit date:{} done date:{} stat:{} err:{:03} text:{}",
            self.message_id,
            self.submitted,
            delivered,
            self.date(&self.submit_date),
            self.date(&self.done_date),
            self.state.stat_text(),
            err,
            self.text
        )
    }

    fn receipt_tlvs(&self) -> Result<crate::tlv::TlvsBuilder, EncodeError> {
        let mut b = Tlvs::builder();
        if self.tlvs {
            b = b
                .receipted_message_id(self.message_id.as_bytes())?
                .message_state(self.state.as_u8());
            if let Some(code) = self.network_error_code {
                b = b.network_error_code(code);
            }
        }
        Ok(b)
    }

    /// A `deliver_sm` carrying the receipt: the text in `short_message` (`data_coding` 0), the
    /// kind's `esm_class`, the TLVs, and the addresses set.
    pub fn to_deliver_sm(&self) -> Result<DeliverSm, EncodeError> {
        Ok(DeliverSm {
            source_addr_ton: self.source.0,
            source_addr_npi: self.source.1,
            source_addr: COctetString::try_from(self.source.2.as_str())?,
            dest_addr_ton: self.destination.0,
            dest_addr_npi: self.destination.1,
            destination_addr: COctetString::try_from(self.destination.2.as_str())?,
            esm_class: self.kind.esm_class_bits(),
            short_message: ShortMessage::new(Bytes::from(self.format_text()))?,
            tlvs: self.receipt_tlvs()?.build(),
            ..DeliverSm::default()
        })
    }

    /// A `data_sm` carrying the receipt: the text in `message_payload`, the kind's `esm_class`,
    /// the TLVs, and the addresses set.
    pub fn to_data_sm(&self) -> Result<DataSm, EncodeError> {
        Ok(DataSm {
            source_addr_ton: self.source.0,
            source_addr_npi: self.source.1,
            source_addr: COctetString::try_from(self.source.2.as_str())?,
            dest_addr_ton: self.destination.0,
            dest_addr_npi: self.destination.1,
            destination_addr: COctetString::try_from(self.destination.2.as_str())?,
            esm_class: self.kind.esm_class_bits(),
            tlvs: self
                .receipt_tlvs()?
                .message_payload(self.format_text().as_bytes())?
                .build(),
            ..DataSm::default()
        })
    }
}
