//! Decode and encode errors, each carrying the `command_status` to answer with (SMPP 5.0 §2.8, §4.7.6).

use crate::header::{CommandId, Header};
use crate::pdu::{Body, Pdu};
use crate::status::CommandStatus;

/// Why a PDU could not be decoded. Every variant knows what to answer: see [`DecodeError::answer`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// `command_length` is below 16, above the configured maximum, or disagrees with the frame.
    /// Answer: `generic_nack` with `ESME_RINVCMDLEN`.
    #[error(
        "invalid command_length {command_length} (frame has {available} octets): answer generic_nack with ESME_RINVCMDLEN"
    )]
    InvalidCommandLength {
        /// The `command_length` read (0 when fewer than 4 octets were available).
        command_length: u32,
        /// Octets actually available.
        available: usize,
        /// The header, when 16 octets were available.
        header: Option<Header>,
    },
    /// The `command_id` is not one SMPP 3.4 or 5.0 defines. Answer: `generic_nack` with `ESME_RINVCMDID`.
    #[error("unknown command_id {:#010x}: answer generic_nack with ESME_RINVCMDID", header.command_id)]
    UnknownCommandId {
        /// The header as read.
        header: Header,
    },
    /// The header is fine but the body is not. Answer: the operation's `_resp` (or `generic_nack`
    /// for a PDU that has no response) carrying `status`.
    #[error("bad {} body, field {field}: {reason}: answer with {status:?}", command_id.name())]
    Body {
        /// The header as read.
        header: Header,
        /// The command whose body failed.
        command_id: CommandId,
        /// The spec's name of the offending field (`source_addr`, `tlvs`, ...).
        field: &'static str,
        /// What was wrong.
        reason: BodyErrorKind,
        /// The `command_status` to answer with.
        status: CommandStatus,
    },
}

/// What was wrong with a body field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BodyErrorKind {
    /// The body ended before this field.
    #[error("the body ends before this field")]
    Truncated,
    /// A C-octet string longer than its maximum (the maximum counts the NUL).
    #[error("C-octet string of {len} octets plus NUL exceeds the maximum of {max}")]
    TooLong {
        /// Octets before the NUL.
        len: usize,
        /// The field's maximum, NUL included.
        max: usize,
    },
    /// No terminating NUL (strict mode).
    #[error("C-octet string has no terminating NUL")]
    MissingNul,
    /// A fixed-size C-octet string (time) of the wrong length.
    #[error("time field must be empty or 16 characters, got {len}")]
    BadTimeLength {
        /// Octets before the NUL.
        len: usize,
    },
    /// `sm_length` over 254, or larger than what the body holds.
    #[error("sm_length {sm_length} is invalid ({available} octets remain)")]
    BadSmLength {
        /// The declared length.
        sm_length: u8,
        /// Octets left in the body.
        available: usize,
    },
    /// The TLV part is corrupt: 1–3 stray octets, or a TLV longer than what remains.
    #[error("corrupt TLV stream at offset {offset}")]
    TlvStream {
        /// Offset within the TLV part.
        offset: usize,
    },
    /// A known TLV with a length its definition does not allow (strict mode).
    #[error("TLV {tag:#06x} has invalid length {len}")]
    TlvLength {
        /// Tag.
        tag: u16,
        /// Length found.
        len: u16,
    },
    /// A value outside what the field allows (`dest_flag`, `number_of_dests`, ...).
    #[error("invalid value {value}")]
    InvalidValue {
        /// The value found.
        value: u32,
    },
    /// Octets left over where the PDU (or an SMPP 3.3 peer) allows none (strict mode).
    #[error("{count} unexpected trailing octets")]
    TrailingOctets {
        /// How many.
        count: usize,
    },
    /// Both a non-empty `short_message` and a `message_payload` TLV (strict mode).
    #[error("short_message and message_payload are both present")]
    PayloadAndShortMessage,
}

impl DecodeError {
    /// The `command_status` to answer with.
    pub fn command_status(&self) -> CommandStatus {
        match self {
            DecodeError::InvalidCommandLength { .. } => CommandStatus::ESME_RINVCMDLEN,
            DecodeError::UnknownCommandId { .. } => CommandStatus::ESME_RINVCMDID,
            DecodeError::Body { status, .. } => *status,
        }
    }

    /// The header, when one could be read.
    pub fn header(&self) -> Option<Header> {
        match self {
            DecodeError::InvalidCommandLength { header, .. } => *header,
            DecodeError::UnknownCommandId { header } => Some(*header),
            DecodeError::Body { header, .. } => Some(*header),
        }
    }

    /// The offending PDU's `sequence_number`, when a header could be read.
    pub fn sequence_number(&self) -> Option<u32> {
        self.header().map(|h| h.sequence_number)
    }

    /// `true` when the answer is a `generic_nack` (header-level fault, or a PDU without a `_resp`).
    pub fn needs_generic_nack(&self) -> bool {
        match self {
            DecodeError::Body { command_id, .. } => command_id.response().is_none(),
            _ => true,
        }
    }

    /// The PDU to send back: for a request, its `_resp` with [`command_status`](Self::command_status)
    /// and an empty body; for a header-level fault, a response, `outbind` or `alert_notification`,
    /// a `generic_nack` (SMPP 5.0 §4.1.4.1). `None` for a bad `generic_nack`, which is never answered.
    pub fn answer(&self) -> Option<Pdu> {
        let seq = self.sequence_number().unwrap_or(0);
        let status = self.command_status();
        if let DecodeError::Body { command_id, .. } = self {
            if *command_id == CommandId::GenericNack {
                return None;
            }
            if let Some(resp) = command_id.response() {
                return Some(Pdu {
                    command_status: status,
                    sequence_number: seq,
                    body: Body::default_for(resp),
                });
            }
        }
        Some(Pdu {
            command_status: status,
            sequence_number: seq,
            body: Body::GenericNack,
        })
    }
}

/// Why a PDU could not be encoded: a value the spec does not allow. Builders and `encode` refuse
/// these so that we only ever emit conformant PDUs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// A C-octet string longer than its field allows (the maximum counts the NUL).
    #[error("{field}: {len} octets plus NUL exceed the maximum of {max}")]
    TooLong {
        /// Field name.
        field: &'static str,
        /// Octets before the NUL.
        len: usize,
        /// Maximum, NUL included.
        max: usize,
    },
    /// A C-octet string with a NUL inside.
    #[error("{field}: C-octet strings cannot contain NUL")]
    InteriorNul {
        /// Field name.
        field: &'static str,
    },
    /// A time field that is neither empty nor 16 characters.
    #[error("{field}: a time must be empty or 16 characters (YYMMDDhhmmsstnnp), got {len}")]
    BadTimeLength {
        /// Field name.
        field: &'static str,
        /// Length given.
        len: usize,
    },
    /// `short_message` over 254 octets.
    #[error("short_message of {len} octets exceeds 254: use message_payload or split the message")]
    ShortMessageTooLong {
        /// Length given.
        len: usize,
    },
    /// `message_payload` together with a non-empty `short_message`.
    #[error("message_payload cannot be used with a non-empty short_message")]
    PayloadAndShortMessage,
    /// A sequence number outside 0x00000001..=0x7FFFFFFF.
    #[error("sequence_number {0:#x} outside 0x00000001..=0x7FFFFFFF")]
    BadSequenceNumber(u32),
    /// A list over 255 entries, or an empty destination list.
    #[error("{field}: {len} entries, allowed {min}..=255")]
    BadCount {
        /// Field name.
        field: &'static str,
        /// Entries given.
        len: usize,
        /// Minimum allowed.
        min: usize,
    },
    /// A TLV value over 65535 octets or of the wrong size for its tag.
    #[error("TLV {tag:#06x}: invalid value length {len}")]
    TlvLength {
        /// Tag.
        tag: u16,
        /// Length given.
        len: usize,
    },
    /// A field value given by name (e.g. from JSON) was missing, of the wrong type or inconsistent.
    #[error("{field}: {message}")]
    Field {
        /// Field name.
        field: String,
        /// What was wrong.
        message: String,
    },
}
