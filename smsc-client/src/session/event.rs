//! What a session reports to its driver: `Event` and the reasons requests fail and sessions end.

use std::time::Instant;

use smpp_codec::{COctetString, CommandId, CommandStatus, Pdu};

use super::password::Password;
use super::state::BindKind;

/// Something that happened, from [`Session::poll_event`](super::Session::poll_event).
#[derive(Clone, Debug)]
pub enum Event {
    /// The session is bound: the ESME's bind was accepted by the SMSC, or (SMSC side) the
    /// application accepted a bind with `accept_bind`.
    Bound {
        /// How it is bound.
        kind: BindKind,
        /// The peer's `system_id` (the MC's, from the bind response; or the ESME's, from its bind).
        peer_system_id: COctetString<16>,
        /// The peer's SMPP version: the `sc_interface_version` TLV of the bind response (absent
        /// when the MC sent none) or the ESME's `interface_version`.
        peer_interface_version: Option<u8>,
    },
    /// SMSC side: an ESME asks to bind. Authenticate it, then call `accept_bind` or
    /// `reject_bind`. The session-init timer stops while the decision is pending.
    BindRequested(BindRequest),
    /// ESME side: the MC sent `outbind` (SMPP 5.0 §2.3.7, §4.1.1.9). Check its credentials,
    /// then `bind` (usually as a receiver) or `close`.
    OutbindReceived {
        /// The MC's `system_id`.
        system_id: COctetString<16>,
        /// The MC's password.
        password: Password,
    },
    /// The peer sent a request the application must answer with `respond(seq, ..)` (its
    /// `pdu.sequence_number`), except `alert_notification`, which has no response
    /// (`pdu.command_id().response()` is `None`). `enquire_link`, `bind`, `unbind` and
    /// `outbind` never come here.
    RequestReceived {
        /// The request.
        pdu: Pdu,
    },
    /// The response to one of our requests arrived. An error `command_status` (in `pdu`) is
    /// still a response: the peer decided.
    ResponseReceived {
        /// The request's sequence number (its `RequestHandle::seq`).
        seq: u32,
        /// The request's command.
        command_id: CommandId,
        /// When the request was queued, to measure latency.
        sent_at: Instant,
        /// The response.
        pdu: Pdu,
    },
    /// One of our requests got no response. Its outcome is unknown for `Timeout` and `Closed`.
    RequestFailed {
        /// The request's sequence number.
        seq: u32,
        /// The request's command.
        command_id: CommandId,
        /// When the request was queued.
        sent_at: Instant,
        /// Why.
        reason: FailReason,
    },
    /// The window has room again after `send_request` answered `WindowFull`.
    WindowAvailable,
    /// The session is over. Write what `poll_transmit` still returns (best effort), then close
    /// the connection. This is the last event.
    Closed {
        /// Why.
        reason: CloseReason,
    },
}

/// A bind request received by an SMSC session. The password never shows in `Debug` output.
#[derive(Clone, Debug)]
pub struct BindRequest {
    /// How the ESME asks to bind.
    pub kind: BindKind,
    /// The ESME's `system_id`.
    pub system_id: COctetString<16>,
    /// The ESME's password.
    pub password: Password,
    /// The ESME's `system_type`.
    pub system_type: COctetString<13>,
    /// The SMPP version the ESME speaks (0x34, 0x50; below 0x34 means 3.3).
    pub interface_version: u8,
    /// TON of `address_range`.
    pub addr_ton: u8,
    /// NPI of `address_range`.
    pub addr_npi: u8,
    /// The addresses the ESME serves.
    pub address_range: COctetString<41>,
}

/// Why a request of ours failed without a response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailReason {
    /// No response within the response timeout (SMPP 5.0 §2.7, response timer). A response
    /// arriving later is dropped and counted in `SessionStats::late_responses`.
    Timeout,
    /// The peer answered with `generic_nack` carrying this status (SMPP 5.0 §4.1.4).
    GenericNack(CommandStatus),
    /// The response arrived but could not be decoded; it was answered with `generic_nack`
    /// carrying this status. The outcome is unknown.
    InvalidResponse(CommandStatus),
    /// The session ended first.
    Closed,
}

/// Which end did something.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// This session.
    Local,
    /// The peer.
    Peer,
}

/// Why a session closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseReason {
    /// The unbind handshake completed (SMPP 5.0 §2.3.5): `by` sent the `unbind`.
    Unbound {
        /// Who asked to unbind.
        by: Side,
    },
    /// The bind was refused with this status: by the MC (ESME side), or by the application's
    /// `reject_bind` (SMSC side).
    BindRejected(CommandStatus),
    /// The bind got no usable response (ESME side).
    BindFailed(FailReason),
    /// No bind within the session init timer (SMPP 5.0 §2.7).
    SessionInitTimeout,
    /// Nothing received within the inactivity timer (SMPP 5.0 §2.7), whether the session then
    /// unbound or closed at once.
    Inactivity,
    /// Our `enquire_link` went unanswered.
    EnquireLinkTimeout,
    /// Our `unbind` went unanswered.
    UnbindTimeout,
    /// A `command_length` below 16: the byte stream cannot be resynchronised (answered with
    /// `generic_nack` / `ESME_RINVCMDLEN` first).
    Desynchronised,
    /// `close()` was called.
    Local,
    /// The connection was lost (`handle_disconnect()`).
    Disconnected,
}
