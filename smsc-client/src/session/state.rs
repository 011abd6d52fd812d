//! Who is who (ESME or SMSC), the bind states of SMPP 5.0 §2.3, and which requests each side
//! may issue in each state (the operation matrix, SMPP 5.0 §2.4 Table 2-1).

use smpp_codec::{Bind, BindResp, Body, CommandId};

/// Which end of the bind this session is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// The External Short Message Entity: connects (or accepts an outbind) and binds.
    Esme,
    /// The Message Centre: accepts binds (and may send `outbind`).
    Smsc,
}

impl Role {
    /// The other end.
    pub fn peer(self) -> Role {
        match self {
            Role::Esme => Role::Smsc,
            Role::Smsc => Role::Esme,
        }
    }
}

/// The three ways to bind (SMPP 5.0 §2.3.2–2.3.4, §4.1.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BindKind {
    /// `bind_transmitter`: the ESME submits.
    Transmitter,
    /// `bind_receiver`: the ESME receives.
    Receiver,
    /// `bind_transceiver`: both.
    Transceiver,
}

impl BindKind {
    /// The bind request's `command_id`.
    pub fn command_id(self) -> CommandId {
        match self {
            BindKind::Transmitter => CommandId::BindTransmitter,
            BindKind::Receiver => CommandId::BindReceiver,
            BindKind::Transceiver => CommandId::BindTransceiver,
        }
    }

    /// The kind of a bind request or bind response `command_id`, `None` for other commands.
    pub fn from_command_id(id: CommandId) -> Option<BindKind> {
        match id {
            CommandId::BindTransmitter | CommandId::BindTransmitterResp => {
                Some(BindKind::Transmitter)
            }
            CommandId::BindReceiver | CommandId::BindReceiverResp => Some(BindKind::Receiver),
            CommandId::BindTransceiver | CommandId::BindTransceiverResp => {
                Some(BindKind::Transceiver)
            }
            _ => None,
        }
    }

    /// The state a successful bind of this kind leads to.
    pub fn bound_state(self) -> BindState {
        match self {
            BindKind::Transmitter => BindState::BoundTx,
            BindKind::Receiver => BindState::BoundRx,
            BindKind::Transceiver => BindState::BoundTrx,
        }
    }

    /// The bind request body of this kind.
    pub(crate) fn request(self, bind: Bind) -> Body {
        match self {
            BindKind::Transmitter => Body::BindTransmitter(bind),
            BindKind::Receiver => Body::BindReceiver(bind),
            BindKind::Transceiver => Body::BindTransceiver(bind),
        }
    }

    /// The bind response body of this kind.
    pub(crate) fn response(self, resp: BindResp) -> Body {
        match self {
            BindKind::Transmitter => Body::BindTransmitterResp(resp),
            BindKind::Receiver => Body::BindReceiverResp(resp),
            BindKind::Transceiver => Body::BindTransceiverResp(resp),
        }
    }
}

/// SMPP session states (SMPP 5.0 §2.3; SMPP 3.4 §2.2). The state is the same on both ends:
/// an ESME bound as a transmitter and the SMSC that accepted it are both in `BoundTx`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BindState {
    /// Connected, not bound yet (§2.3.1). A bind may be in flight.
    Open,
    /// `outbind` sent (SMSC) or received (ESME); the ESME is expected to bind (§2.3.7).
    Outbound,
    /// Bound as a transmitter (§2.3.2).
    BoundTx,
    /// Bound as a receiver (§2.3.3).
    BoundRx,
    /// Bound as a transceiver (§2.3.4).
    BoundTrx,
    /// `unbind` sent, `unbind_resp` awaited (§2.3.5). Responses to earlier requests are still
    /// matched; no new requests go out.
    Unbound,
    /// The session is over (§2.3.6); only what is left in the transmit buffer may still be written.
    Closed,
}

impl BindState {
    /// `true` in `BoundTx`, `BoundRx` and `BoundTrx`.
    pub fn is_bound(self) -> bool {
        matches!(
            self,
            BindState::BoundTx | BindState::BoundRx | BindState::BoundTrx
        )
    }

    /// The bind kind of a bound state.
    pub fn bind_kind(self) -> Option<BindKind> {
        match self {
            BindState::BoundTx => Some(BindKind::Transmitter),
            BindState::BoundRx => Some(BindKind::Receiver),
            BindState::BoundTrx => Some(BindKind::Transceiver),
            _ => None,
        }
    }

    /// Whether `issuer` may send the request `id` in this state, per the operation matrix
    /// (SMPP 5.0 §2.4, Table 2-1). Only requests are judged: responses are matched against
    /// what was sent instead. A request refused here is answered with `ESME_RINVBNDSTS`
    /// (SMPP 5.0 §2.8.2, "The PDU is not allowed in the current session state").
    ///
    /// `enquire_link` is allowed in every state but `Closed`; the spec lists it for `Open`,
    /// `Outbound`, the bound states and `Unbound` alike.
    pub fn allows_request(self, issuer: Role, id: CommandId) -> bool {
        use BindState as S;
        let esme = issuer == Role::Esme;
        let tx = matches!(self, S::BoundTx | S::BoundTrx);
        let rx = matches!(self, S::BoundRx | S::BoundTrx);
        match id {
            CommandId::EnquireLink => self != S::Closed,
            CommandId::BindTransmitter | CommandId::BindReceiver | CommandId::BindTransceiver => {
                esme && matches!(self, S::Open | S::Outbound)
            }
            CommandId::Outbind => !esme && self == S::Open,
            CommandId::Unbind => self.is_bound(),
            CommandId::SubmitSm
            | CommandId::SubmitMulti
            | CommandId::QuerySm
            | CommandId::ReplaceSm
            | CommandId::CancelSm
            | CommandId::BroadcastSm
            | CommandId::QueryBroadcastSm
            | CommandId::CancelBroadcastSm => esme && tx,
            CommandId::DataSm => (esme && tx) || (!esme && rx),
            CommandId::DeliverSm | CommandId::AlertNotification => !esme && rx,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_matrix() {
        use BindState as S;
        let e = Role::Esme;
        let m = Role::Smsc;
        assert!(S::BoundTx.allows_request(e, CommandId::SubmitSm));
        assert!(!S::BoundRx.allows_request(e, CommandId::SubmitSm));
        assert!(!S::Open.allows_request(e, CommandId::SubmitSm));
        assert!(S::BoundRx.allows_request(m, CommandId::DeliverSm));
        assert!(!S::BoundTx.allows_request(m, CommandId::DeliverSm));
        assert!(S::BoundTrx.allows_request(m, CommandId::AlertNotification));
        assert!(S::BoundTx.allows_request(e, CommandId::DataSm));
        assert!(!S::BoundTx.allows_request(m, CommandId::DataSm));
        assert!(S::BoundRx.allows_request(m, CommandId::DataSm));
        assert!(S::Open.allows_request(e, CommandId::BindReceiver));
        assert!(S::Outbound.allows_request(e, CommandId::BindTransceiver));
        assert!(!S::BoundTrx.allows_request(e, CommandId::BindTransceiver));
        assert!(!S::Open.allows_request(m, CommandId::BindTransmitter));
        assert!(S::Open.allows_request(m, CommandId::Outbind));
        assert!(!S::Outbound.allows_request(m, CommandId::Outbind));
        assert!(S::Unbound.allows_request(e, CommandId::EnquireLink));
        assert!(!S::Closed.allows_request(e, CommandId::EnquireLink));
        assert!(!S::Unbound.allows_request(e, CommandId::Unbind));
        assert!(S::BoundRx.allows_request(e, CommandId::Unbind));
        assert!(!S::BoundTrx.allows_request(e, CommandId::SubmitSmResp));
    }
}
