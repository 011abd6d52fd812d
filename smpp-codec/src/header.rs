//! The 16-octet PDU header (SMPP 5.0 §3.2, §4.7.4–4.7.6, §4.7.24) and `command_id` values (Table 4-44).

use crate::error::DecodeError;
use crate::status::CommandStatus;
use std::fmt;

/// Length of the PDU header in octets.
pub const HEADER_LEN: usize = 16;

/// Largest sequence number a PDU may carry (SMPP 5.0 §4.7.24).
pub const MAX_SEQUENCE_NUMBER: u32 = 0x7FFF_FFFF;

macro_rules! command_ids {
    ($( $variant:ident = $value:literal, $name:literal; )*) => {
        /// An SMPP `command_id` (SMPP 5.0 §4.7.5, Table 4-44).
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
        #[repr(u32)]
        #[allow(missing_docs)]
        pub enum CommandId {
            $($variant = $value,)*
        }

        impl CommandId {
            /// Every command this codec knows.
            pub const ALL: &'static [CommandId] = &[$(CommandId::$variant),*];

            /// The `command_id` for a wire value, `None` when unknown.
            pub fn from_u32(v: u32) -> Option<CommandId> {
                match v {
                    $($value => Some(CommandId::$variant),)*
                    _ => None,
                }
            }

            /// The spec's name of the command (`submit_sm_resp`).
            pub fn name(self) -> &'static str {
                match self {
                    $(CommandId::$variant => $name,)*
                }
            }

            /// Looks a command up by its spec name.
            pub fn from_name(name: &str) -> Option<CommandId> {
                match name {
                    $($name => Some(CommandId::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

command_ids! {
    GenericNack = 0x8000_0000, "generic_nack";
    BindReceiver = 0x0000_0001, "bind_receiver";
    BindReceiverResp = 0x8000_0001, "bind_receiver_resp";
    BindTransmitter = 0x0000_0002, "bind_transmitter";
    BindTransmitterResp = 0x8000_0002, "bind_transmitter_resp";
    QuerySm = 0x0000_0003, "query_sm";
    QuerySmResp = 0x8000_0003, "query_sm_resp";
    SubmitSm = 0x0000_0004, "submit_sm";
    SubmitSmResp = 0x8000_0004, "submit_sm_resp";
    DeliverSm = 0x0000_0005, "deliver_sm";
    DeliverSmResp = 0x8000_0005, "deliver_sm_resp";
    Unbind = 0x0000_0006, "unbind";
    UnbindResp = 0x8000_0006, "unbind_resp";
    ReplaceSm = 0x0000_0007, "replace_sm";
    ReplaceSmResp = 0x8000_0007, "replace_sm_resp";
    CancelSm = 0x0000_0008, "cancel_sm";
    CancelSmResp = 0x8000_0008, "cancel_sm_resp";
    BindTransceiver = 0x0000_0009, "bind_transceiver";
    BindTransceiverResp = 0x8000_0009, "bind_transceiver_resp";
    Outbind = 0x0000_000B, "outbind";
    EnquireLink = 0x0000_0015, "enquire_link";
    EnquireLinkResp = 0x8000_0015, "enquire_link_resp";
    SubmitMulti = 0x0000_0021, "submit_multi";
    SubmitMultiResp = 0x8000_0021, "submit_multi_resp";
    AlertNotification = 0x0000_0102, "alert_notification";
    DataSm = 0x0000_0103, "data_sm";
    DataSmResp = 0x8000_0103, "data_sm_resp";
    BroadcastSm = 0x0000_0111, "broadcast_sm";
    BroadcastSmResp = 0x8000_0111, "broadcast_sm_resp";
    QueryBroadcastSm = 0x0000_0112, "query_broadcast_sm";
    QueryBroadcastSmResp = 0x8000_0112, "query_broadcast_sm_resp";
    CancelBroadcastSm = 0x0000_0113, "cancel_broadcast_sm";
    CancelBroadcastSmResp = 0x8000_0113, "cancel_broadcast_sm_resp";
}

impl CommandId {
    /// The wire value.
    pub fn as_u32(self) -> u32 {
        self as u32
    }

    /// `true` for response PDUs (high bit set), `generic_nack` included.
    pub fn is_response(self) -> bool {
        self.as_u32() & 0x8000_0000 != 0
    }

    /// The response to this request, `None` for responses and for the requests that have none
    /// (`outbind`, `alert_notification`).
    pub fn response(self) -> Option<CommandId> {
        match self {
            CommandId::Outbind | CommandId::AlertNotification => None,
            c if c.is_response() => None,
            c => CommandId::from_u32(c.as_u32() | 0x8000_0000),
        }
    }

    /// The request this response answers, `None` for requests and `generic_nack`.
    pub fn request(self) -> Option<CommandId> {
        match self {
            CommandId::GenericNack => None,
            c if c.is_response() => CommandId::from_u32(c.as_u32() & 0x7FFF_FFFF),
            _ => None,
        }
    }
}

impl fmt::Display for CommandId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The PDU header exactly as read from the wire.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Header {
    /// Total length of the PDU, header included.
    pub command_length: u32,
    /// Raw `command_id` (may be unknown).
    pub command_id: u32,
    /// Raw `command_status`.
    pub command_status: CommandStatus,
    /// `sequence_number`.
    pub sequence_number: u32,
}

impl Header {
    /// Reads the header from the first 16 octets, without judging it. `None` if fewer than 16.
    pub fn peek(buf: &[u8]) -> Option<Header> {
        let h: &[u8; HEADER_LEN] = buf.get(..HEADER_LEN)?.try_into().ok()?;
        let w = |i: usize| u32::from_be_bytes([h[i], h[i + 1], h[i + 2], h[i + 3]]);
        Some(Header {
            command_length: w(0),
            command_id: w(4),
            command_status: CommandStatus(w(8)),
            sequence_number: w(12),
        })
    }

    /// Checks `command_length` against the frame and the configured maximum, and the
    /// `command_id` against the known commands: the checks that decide whether a
    /// `generic_nack` is due (SMPP 5.0 §2.8 / §4.1.4.1).
    pub fn validate(
        &self,
        frame_len: usize,
        max_command_length: usize,
    ) -> Result<CommandId, DecodeError> {
        let len = self.command_length as usize;
        if len < HEADER_LEN || len > max_command_length || len != frame_len {
            return Err(DecodeError::InvalidCommandLength {
                command_length: self.command_length,
                available: frame_len,
                header: Some(*self),
            });
        }
        CommandId::from_u32(self.command_id).ok_or(DecodeError::UnknownCommandId { header: *self })
    }
}
