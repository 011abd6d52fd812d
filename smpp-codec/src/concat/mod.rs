//! User data headers (3GPP TS 23.040 §9.2.3.24) and splitting long messages into parts (UDH 8/16-bit, SAR TLVs, message_payload).
//!
//! A text is cut where [`coding::plan_parts`] says, so that no part ends inside a GSM escape
//! pair or a UTF-16 surrogate pair, then each part gets its header:
//!
//! | [`ConcatMode`] | per part                                                     | header octets |
//! |----------------|--------------------------------------------------------------|---------------|
//! | `Udh8`         | UDH element 0x00 (8-bit reference)                            | 6             |
//! | `Udh16`        | UDH element 0x08 (16-bit reference)                           | 7             |
//! | `Sar`          | `sar_msg_ref_num`, `sar_total_segments`, `sar_segment_seqnum` | 0             |
//! | `Payload`      | nothing: one PDU, the whole text in `message_payload`         | 0             |
//!
//! National language shift elements (0x24, 0x25; 3 octets each) ride in a UDH in every mode when
//! the encoding uses national tables, in every part. A message that fits in one part is sent
//! without any concatenation information. References come from a [`ReferenceAllocator`], one
//! sequence per destination.
//!
//! ```
//! use smpp_codec::coding::Encoding;
//! use smpp_codec::concat::{ConcatMode, Splitter};
//! use smpp_codec::{COctetString, SubmitSm};
//!
//! let template = SubmitSm {
//!     destination_addr: COctetString::try_from("447700900123").unwrap(),
//!     ..SubmitSm::default()
//! };
//! let mut splitter = Splitter::new(ConcatMode::Udh8);
//! let text = "x".repeat(200);
//! let pdus = splitter.submit_sms(&template, &text, &Encoding::GSM7).unwrap();
//! assert_eq!(pdus.len(), 2);
//! assert_eq!(pdus[0].esm_class & 0x40, 0x40);
//! assert_eq!(&pdus[0].short_message.as_bytes()[..6], &[0x05, 0x00, 0x03, pdus[0].short_message.as_bytes()[3], 2, 1]);
//! assert_eq!(pdus[0].short_message.len(), 6 + 153);
//! ```

pub mod udh;

pub use udh::{Concat, IeIter, IeRef, UDHI, Udh, UdhBuilder, UdhError, iei};

use bytes::{BufMut, Bytes, BytesMut};

use crate::coding::{self, CodingError, Encoding};
use crate::error::EncodeError;
use crate::field::ShortMessage;
use crate::pdu::{DataSm, DeliverSm, SubmitSm};
use crate::status::CommandStatus;
use crate::tlv::{TlvTag, Tlvs};

/// User data of one short message in octets (TS 23.040 §9.2.3.16): 140 octets, or 160 septets.
pub const MAX_USER_DATA: usize = 140;

/// Septets of GSM 7-bit user data in one short message.
pub const MAX_SEPTETS: usize = 160;

/// Largest `message_payload` value in octets (SMPP 5.0 §4.8.4.36).
pub const MAX_PAYLOAD: usize = 65_535;

/// Most parts one concatenated message can have (the total is one octet).
pub const MAX_PARTS: usize = 255;

/// A message reference, tagged with what carries it. The same number in a different carrier is
/// a different message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MessageRef {
    /// UDH element 0x00.
    Udh8(u8),
    /// UDH element 0x08.
    Udh16(u16),
    /// The `sar_msg_ref_num` TLV.
    Sar(u16),
}

impl MessageRef {
    /// The reference number.
    pub fn value(self) -> u16 {
        match self {
            MessageRef::Udh8(r) => u16::from(r),
            MessageRef::Udh16(r) | MessageRef::Sar(r) => r,
        }
    }
}

/// How a message too long for one short message is carried.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum ConcatMode {
    /// Parts with a UDH concatenation element with an 8-bit reference (0x00): 6 header octets,
    /// 153 GSM characters or 67 UCS-2 characters per part. Supported everywhere.
    #[default]
    Udh8,
    /// Parts with a UDH concatenation element with a 16-bit reference (0x08): 7 header octets,
    /// 152 GSM characters or 66 UCS-2 characters per part.
    Udh16,
    /// Parts with the SAR TLVs and no UDH (SMPP 5.0 §4.8.4.52–54): the SMSC builds the headers;
    /// 160 GSM characters per part on the bind.
    Sar,
    /// One PDU with the whole message in `message_payload` (SMPP 5.0 §4.8.4.36); the SMSC splits.
    Payload,
}

/// Why a message could not be split or its PDUs built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConcatError {
    /// The text cannot be encoded as asked.
    #[error(transparent)]
    Coding(#[from] CodingError),
    /// More parts than a concatenated message can have.
    #[error(
        "the message needs {parts} parts, more than the 255 a concatenated message can have: shorten it, or send it with ConcatMode::Payload"
    )]
    TooManyParts {
        /// Parts it would take.
        parts: usize,
    },
    /// The user data exceeds what `message_payload` holds.
    #[error("user data of {len} octets exceeds the 65535 a message_payload holds")]
    PayloadTooLong {
        /// Octets, header included.
        len: usize,
    },
    /// A part does not fit in one short message: the coding's plan disagrees with its encoder.
    #[error(
        "part {seq} holds {units} {unit} with its header, more than one short message carries ({max})"
    )]
    PartTooLong {
        /// The part's number, from 1.
        seq: usize,
        /// Its size, header included.
        units: usize,
        /// What `units` counts: "septets" or "octets".
        unit: &'static str,
        /// The limit.
        max: usize,
    },
    /// A header could not be built.
    #[error(transparent)]
    Udh(#[from] UdhError),
    /// A PDU field could not be set (a template TLV with an invalid length, ...).
    #[error(transparent)]
    Encode(#[from] EncodeError),
}

impl ConcatError {
    /// The `command_status` an MC would answer such a message with (for an API mapping errors
    /// to SMPP): `ESME_RINVMSGLEN` for length problems, the coding's status for text problems.
    pub fn command_status(&self) -> CommandStatus {
        match self {
            ConcatError::Coding(e) => e.status(),
            ConcatError::Udh(e) => e.command_status(),
            ConcatError::Encode(_) => CommandStatus::ESME_RSUBMITFAIL,
            _ => CommandStatus::ESME_RINVMSGLEN,
        }
    }
}

/// Message references, one sequence per destination, in bounded memory: a fixed array of 16-bit
/// counters (2 octets each, [`ReferenceAllocator::DEFAULT_SLOTS`] of them by default), the
/// destination hashed (FNV-1a) to pick one.
///
/// Each destination sees its references advance by one per long message, so consecutive
/// messages to one handset never share a reference until the counter wraps (8-bit references
/// take the counter's low octet: they wrap after 255, 16-bit ones after 65535). Destinations
/// that hash to the same slot share its counter; that only makes their references advance
/// faster, never repeat sooner. A seed (a start-up time, a node id) offsets every counter so a
/// restarted sender does not replay the references it used before.
#[derive(Clone, Debug)]
pub struct ReferenceAllocator {
    counters: Box<[u16]>,
}

impl Default for ReferenceAllocator {
    fn default() -> Self {
        ReferenceAllocator::new()
    }
}

impl ReferenceAllocator {
    /// Counters in [`ReferenceAllocator::new`] (2 KiB).
    pub const DEFAULT_SLOTS: usize = 1024;

    /// [`DEFAULT_SLOTS`](Self::DEFAULT_SLOTS) counters, seed 0.
    pub fn new() -> Self {
        ReferenceAllocator::with_slots(Self::DEFAULT_SLOTS, 0)
    }

    /// `slots` counters (at least 1), each started at a value derived from `seed`.
    pub fn with_slots(slots: usize, seed: u64) -> Self {
        let counters = (0..slots.max(1))
            .map(|i| {
                let h = fnv1a(
                    &seed.to_be_bytes(),
                    fnv1a(&(i as u64).to_be_bytes(), FNV_OFFSET),
                );
                (h ^ (h >> 16) ^ (h >> 32) ^ (h >> 48)) as u16
            })
            .collect();
        ReferenceAllocator { counters }
    }

    fn slot(&mut self, destination: &[u8]) -> &mut u16 {
        let n = self.counters.len() as u64;
        let i = (fnv1a(destination, FNV_OFFSET) % n) as usize;
        &mut self.counters[i]
    }

    /// The next 16-bit reference for `destination`.
    pub fn next_16(&mut self, destination: &[u8]) -> u16 {
        let c = self.slot(destination);
        let r = *c;
        *c = c.wrapping_add(1);
        r
    }

    /// The next 8-bit reference for `destination` (the counter's low octet).
    pub fn next_8(&mut self, destination: &[u8]) -> u8 {
        self.next_16(destination) as u8
    }
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

fn fnv1a(data: &[u8], mut h: u64) -> u64 {
    for &b in data {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// One part of a split message: its header and payload, ready for any PDU.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part {
    /// The user data header (concatenation and national shift elements), `None` when the part
    /// needs none.
    pub udh: Option<Udh>,
    /// The encoded text (GSM: unpacked septets) or octets of this part.
    pub payload: Bytes,
    /// Reference, total and number, `None` for a message sent whole. With
    /// [`MessageRef::Sar`] it travels in TLVs, otherwise in [`udh`](Self::udh).
    pub concat: Option<Concat>,
}

impl Part {
    /// The user data: the header (UDHL first), if any, then the payload.
    pub fn user_data(&self) -> Bytes {
        match &self.udh {
            None => self.payload.clone(),
            Some(udh) => {
                let mut buf = BytesMut::with_capacity(udh.encoded_len() + self.payload.len());
                udh.encode(&mut buf);
                buf.put_slice(&self.payload);
                buf.freeze()
            }
        }
    }

    /// `esm_class` for this part from a template's: UDHI (0x40) set when the part has a header,
    /// cleared otherwise.
    pub fn esm_class(&self, template: u8) -> u8 {
        if self.udh.is_some() {
            template | UDHI
        } else {
            template & !UDHI
        }
    }

    /// `tlvs` for this part from a template's: the template's TLVs without any SAR or
    /// `message_payload` TLV, then this part's SAR TLVs, then `message_payload` when given.
    pub fn tlvs(
        &self,
        template: &Tlvs,
        message_payload: Option<&[u8]>,
    ) -> Result<Tlvs, EncodeError> {
        const REPLACED: [TlvTag; 4] = [
            TlvTag::SAR_MSG_REF_NUM,
            TlvTag::SAR_TOTAL_SEGMENTS,
            TlvTag::SAR_SEGMENT_SEQNUM,
            TlvTag::MESSAGE_PAYLOAD,
        ];
        let mut b = Tlvs::builder();
        for t in template.iter().filter(|t| !REPLACED.contains(&t.tag)) {
            b = b.push(t.tag, t.value)?;
        }
        if let Some(Concat {
            reference: MessageRef::Sar(r),
            total,
            seq,
        }) = self.concat
        {
            b = b
                .sar_msg_ref_num(r)
                .sar_total_segments(total)
                .sar_segment_seqnum(seq);
        }
        if let Some(p) = message_payload {
            b = b.message_payload(p)?;
        }
        Ok(b.build())
    }
}

/// A message cut into parts, with what every PDU carrying it needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Split {
    /// How it is carried.
    pub mode: ConcatMode,
    /// The `data_coding` of every part.
    pub data_coding: u8,
    /// The parts, in order (one when the message fits, or in [`ConcatMode::Payload`]).
    pub parts: Vec<Part>,
}

macro_rules! short_message_pdus {
    ($(#[$doc:meta])* $name:ident, $ty:ty) => {
        $(#[$doc])*
        pub fn $name(&self, template: &$ty) -> Result<Vec<$ty>, ConcatError> {
            self.parts
                .iter()
                .map(|part| {
                    let user_data = part.user_data();
                    let in_payload = self.mode == ConcatMode::Payload;
                    let mut pdu = template.clone();
                    pdu.esm_class = part.esm_class(template.esm_class);
                    pdu.data_coding = self.data_coding;
                    pdu.tlvs = part.tlvs(&template.tlvs, in_payload.then_some(&user_data[..]))?;
                    pdu.short_message = if in_payload {
                        ShortMessage::default()
                    } else {
                        ShortMessage::new(user_data)?
                    };
                    Ok(pdu)
                })
                .collect()
        }
    };
}

impl Split {
    short_message_pdus! {
        /// One `submit_sm` per part from a template (addresses, `registered_delivery`, ...):
        /// `esm_class` UDHI set when a part has a header, `data_coding`, `short_message` (or
        /// `message_payload`) and SAR TLVs filled in; the template's other TLVs kept.
        submit_sms, SubmitSm
    }

    short_message_pdus! {
        /// One `deliver_sm` per part from a template, as [`submit_sms`](Self::submit_sms) does.
        deliver_sms, DeliverSm
    }

    /// One `data_sm` per part from a template: the user data (header included) always in
    /// `message_payload`, SAR TLVs when the mode says so.
    pub fn data_sms(&self, template: &DataSm) -> Result<Vec<DataSm>, ConcatError> {
        self.parts
            .iter()
            .map(|part| {
                let mut pdu = template.clone();
                pdu.esm_class = part.esm_class(template.esm_class);
                pdu.data_coding = self.data_coding;
                pdu.tlvs = part.tlvs(&template.tlvs, Some(&part.user_data()))?;
                Ok(pdu)
            })
            .collect()
    }
}

/// The header every part shares: the national shift elements of `enc`.
fn shared_udh(enc: &Encoding) -> Result<Udh, UdhError> {
    enc.udh_ies()
        .into_iter()
        .try_fold(Udh::builder(), |b, (id, lang)| b.push(id, &[lang]))?
        .build()
}

/// Header octets of a part (UDHL included), 0 when it has no header.
fn udh_octets(shared: &Udh, mode: ConcatMode, concatenated: bool) -> usize {
    let concat = match (concatenated, mode) {
        (false, _) | (_, ConcatMode::Sar | ConcatMode::Payload) => 0,
        (true, ConcatMode::Udh8) => 5,
        (true, ConcatMode::Udh16) => 6,
    };
    if shared.is_empty() && concat == 0 {
        0
    } else {
        1 + shared.ies().len() + concat
    }
}

/// Builds the parts from their payloads.
fn assemble(
    payloads: Vec<Vec<u8>>,
    shared: Udh,
    data_coding: u8,
    mode: ConcatMode,
    reference: impl FnOnce() -> u16,
) -> Result<Split, ConcatError> {
    let shared_opt = |u: Udh| (!u.is_empty()).then_some(u);
    if payloads.len() <= 1 {
        let payload = payloads.into_iter().next().unwrap_or_default();
        return Ok(Split {
            mode,
            data_coding,
            parts: vec![Part {
                udh: shared_opt(shared),
                payload: Bytes::from(payload),
                concat: None,
            }],
        });
    }
    if payloads.len() > MAX_PARTS {
        return Err(ConcatError::TooManyParts {
            parts: payloads.len(),
        });
    }
    let total = payloads.len() as u8;
    let r = reference();
    let reference = match mode {
        ConcatMode::Udh8 => MessageRef::Udh8(r as u8),
        ConcatMode::Udh16 => MessageRef::Udh16(r),
        ConcatMode::Sar | ConcatMode::Payload => MessageRef::Sar(r),
    };
    let parts = payloads
        .into_iter()
        .enumerate()
        .map(|(i, payload)| {
            let concat = Concat {
                reference,
                total,
                seq: (i + 1) as u8,
            };
            let udh = match reference {
                MessageRef::Sar(_) => shared_opt(shared.clone()),
                _ => Some(Udh::builder().concat(concat).extend(&shared).build()?),
            };
            Ok(Part {
                udh,
                payload: Bytes::from(payload),
                concat: Some(concat),
            })
        })
        .collect::<Result<Vec<_>, ConcatError>>()?;
    Ok(Split {
        mode,
        data_coding,
        parts,
    })
}

/// The one-part message of [`ConcatMode::Payload`].
fn whole_payload(payload: Vec<u8>, shared: Udh, data_coding: u8) -> Result<Split, ConcatError> {
    let len = udh_octets(&shared, ConcatMode::Payload, false) + payload.len();
    if len > MAX_PAYLOAD {
        return Err(ConcatError::PayloadTooLong { len });
    }
    assemble(
        vec![payload],
        shared,
        data_coding,
        ConcatMode::Payload,
        || 0,
    )
}

/// Checks a part fits one short message: 160 septets (the header counted in whole septets) for
/// GSM 7-bit, 140 octets otherwise.
fn check_fits(seq: usize, payload: &[u8], udh: usize, gsm: bool) -> Result<(), ConcatError> {
    let (units, max, unit) = if gsm {
        (
            payload.len() + (udh * 8).div_ceil(7),
            MAX_SEPTETS,
            "septets",
        )
    } else {
        (payload.len() + udh, MAX_USER_DATA, "octets")
    };
    if units > max {
        return Err(ConcatError::PartTooLong {
            seq,
            units,
            unit,
            max,
        });
    }
    Ok(())
}

/// Cuts `text` into parts encoded with `enc`, carried as `mode` says. `reference` is called once,
/// only when the text takes more than one part (an 8-bit reference keeps its low octet).
///
/// Parts are cut where [`coding::plan_parts`] says, so none ends inside a GSM escape pair or a
/// UTF-16 surrogate pair. [`Encoding::Binary`] carries the text's UTF-8 octets, cut at character
/// boundaries; for raw octets use [`split_octets`].
pub fn split_text(
    text: &str,
    enc: &Encoding,
    mode: ConcatMode,
    reference: impl FnOnce() -> u16,
) -> Result<Split, ConcatError> {
    let shared = shared_udh(enc)?;
    let dc = enc.data_coding();
    if mode == ConcatMode::Payload {
        return whole_payload(coding::encode(text, enc)?, shared, dc);
    }
    let gsm = matches!(enc, Encoding::Gsm7(_));
    let single_udh = udh_octets(&shared, mode, false);
    let mut ranges = coding::plan_parts(text, enc, single_udh);
    let mut udh = single_udh;
    if ranges.len() > 1 {
        udh = udh_octets(&shared, mode, true);
        ranges = coding::plan_parts(text, enc, udh);
        if ranges.len() > MAX_PARTS {
            return Err(ConcatError::TooManyParts {
                parts: ranges.len(),
            });
        }
    }
    let payloads = if ranges.len() <= 1 {
        vec![coding::encode(text, enc)?]
    } else {
        ranges
            .into_iter()
            .map(|r| coding::encode(&text[r], enc))
            .collect::<Result<Vec<_>, _>>()?
    };
    for (i, p) in payloads.iter().enumerate() {
        check_fits(i + 1, p, udh, gsm)?;
    }
    assemble(payloads, shared, dc, mode, reference)
}

/// Cuts raw octets (binary `data_coding`, or text already encoded in a one-octet-per-character
/// encoding) into parts of at most 140 octets with their header, carried as `mode` says.
/// `reference` is called once, only when more than one part is needed.
pub fn split_octets(
    data: &[u8],
    data_coding: u8,
    mode: ConcatMode,
    reference: impl FnOnce() -> u16,
) -> Result<Split, ConcatError> {
    let shared = Udh::empty();
    if mode == ConcatMode::Payload {
        return whole_payload(data.to_vec(), shared, data_coding);
    }
    if data.len() <= MAX_USER_DATA {
        return assemble(vec![data.to_vec()], shared, data_coding, mode, reference);
    }
    let room = MAX_USER_DATA - udh_octets(&shared, mode, true);
    let payloads: Vec<Vec<u8>> = data.chunks(room).map(<[u8]>::to_vec).collect();
    assemble(payloads, shared, data_coding, mode, reference)
}

/// Splits messages in one mode, drawing references per destination from its own
/// [`ReferenceAllocator`].
#[derive(Clone, Debug, Default)]
pub struct Splitter {
    mode: ConcatMode,
    references: ReferenceAllocator,
}

impl Splitter {
    /// A splitter for `mode` with a default [`ReferenceAllocator`].
    pub fn new(mode: ConcatMode) -> Self {
        Splitter::with_references(mode, ReferenceAllocator::new())
    }

    /// A splitter for `mode` drawing references from `references`.
    pub fn with_references(mode: ConcatMode, references: ReferenceAllocator) -> Self {
        Splitter { mode, references }
    }

    /// The mode.
    pub fn mode(&self) -> ConcatMode {
        self.mode
    }

    /// The reference allocator.
    pub fn references(&mut self) -> &mut ReferenceAllocator {
        &mut self.references
    }

    /// [`split_text`] with the next reference for `destination` (the address octets).
    pub fn split_text(
        &mut self,
        destination: &[u8],
        text: &str,
        enc: &Encoding,
    ) -> Result<Split, ConcatError> {
        let refs = &mut self.references;
        split_text(text, enc, self.mode, || refs.next_16(destination))
    }

    /// [`split_octets`] with the next reference for `destination`.
    pub fn split_octets(
        &mut self,
        destination: &[u8],
        data: &[u8],
        data_coding: u8,
    ) -> Result<Split, ConcatError> {
        let refs = &mut self.references;
        split_octets(data, data_coding, self.mode, || refs.next_16(destination))
    }

    /// The `submit_sm`s carrying `text` to the template's `destination_addr`: see
    /// [`Split::submit_sms`].
    pub fn submit_sms(
        &mut self,
        template: &SubmitSm,
        text: &str,
        enc: &Encoding,
    ) -> Result<Vec<SubmitSm>, ConcatError> {
        self.split_text(template.destination_addr.as_bytes(), text, enc)?
            .submit_sms(template)
    }

    /// The `deliver_sm`s carrying `text` to the template's `destination_addr`: see
    /// [`Split::deliver_sms`].
    pub fn deliver_sms(
        &mut self,
        template: &DeliverSm,
        text: &str,
        enc: &Encoding,
    ) -> Result<Vec<DeliverSm>, ConcatError> {
        self.split_text(template.destination_addr.as_bytes(), text, enc)?
            .deliver_sms(template)
    }

    /// The `data_sm`s carrying `text` to the template's `destination_addr`: see
    /// [`Split::data_sms`].
    pub fn data_sms(
        &mut self,
        template: &DataSm,
        text: &str,
        enc: &Encoding,
    ) -> Result<Vec<DataSm>, ConcatError> {
        self.split_text(template.destination_addr.as_bytes(), text, enc)?
            .data_sms(template)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_rotate_per_destination_and_wrap() {
        let mut a = ReferenceAllocator::with_slots(64, 7);
        let first = a.next_16(b"123");
        assert_eq!(a.next_16(b"123"), first.wrapping_add(1));
        let mut b = ReferenceAllocator::with_slots(1, 0);
        let start = b.next_16(b"x");
        for _ in 0..65_534 {
            b.next_16(b"y");
        }
        assert_eq!(b.next_16(b"x"), start.wrapping_sub(1));
        assert_eq!(b.next_16(b"x"), start);
        let s8 = b.next_8(b"z");
        for _ in 0..255 {
            b.next_8(b"z");
        }
        assert_eq!(b.next_8(b"z"), s8);
    }

    #[test]
    fn octets_split() {
        let data = vec![7u8; 300];
        let s = split_octets(&data, 4, ConcatMode::Udh16, || 0x1234).unwrap();
        assert_eq!(s.parts.len(), 3);
        assert_eq!(s.parts[0].payload.len(), 133);
        assert_eq!(
            s.parts[2].udh.as_ref().unwrap().ies(),
            &[0x08, 4, 0x12, 0x34, 3, 3]
        );
        let one = split_octets(&data[..140], 4, ConcatMode::Udh8, || unreachable!()).unwrap();
        assert_eq!(one.parts.len(), 1);
        assert_eq!(one.parts[0].udh, None);
        let sar = split_octets(&data, 4, ConcatMode::Sar, || 9).unwrap();
        assert_eq!(sar.parts.len(), 3);
        assert_eq!(sar.parts[0].payload.len(), 140);
        assert!(split_octets(&vec![0; 70_000], 4, ConcatMode::Payload, || 0).is_err());
    }
}
