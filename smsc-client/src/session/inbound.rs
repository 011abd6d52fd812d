//! What the session does with each PDU received: match responses to requests in flight, answer
//! what it answers itself (`enquire_link`, wrong-state requests, undecodable PDUs, a full inbound
//! queue), and hand the rest to the application as events.

use std::time::Instant;

use bytes::Bytes;
use smpp_codec::header::MAX_SEQUENCE_NUMBER;
use smpp_codec::{Body, CommandId, CommandStatus, DecodeError, Pdu};

use super::event::{BindRequest, CloseReason, Event, FailReason, Side};
use super::state::{BindKind, BindState, Role};
use super::{Outcome, PendingBind, Session};

impl Session {
    /// Decodes one frame (zero-copy: the PDU's fields are views of `frame`) and acts on it.
    pub(super) fn on_frame(&mut self, now: Instant, frame: Bytes) {
        match Pdu::decode_with(&frame, &self.config.decode) {
            Ok(pdu) if pdu.command_id().is_response() => self.on_response(now, pdu),
            Ok(pdu) => self.on_request(now, pdu),
            Err(e) => self.on_decode_error(now, e),
        }
    }

    /// A PDU that frames but does not decode costs one answer, never the bind (principle 3):
    /// the request's `_resp` with the fault's status, or `generic_nack` for a header fault
    /// (SMPP 5.0 §2.8.2; SMPP 3.4 §2.8), as `DecodeError::answer` says. A response that does
    /// not decode still settles the request it names, with `FailReason::InvalidResponse`.
    fn on_decode_error(&mut self, now: Instant, e: DecodeError) {
        self.stats.decode_errors += 1;
        if let DecodeError::Body {
            header,
            command_id,
            status,
            ..
        } = &e
        {
            if command_id.is_response() {
                self.stats.responses_received.bump(*command_id);
                let seq = header.sequence_number;
                let named = self
                    .window
                    .get(seq)
                    .is_some_and(|r| Some(r.command_id) == command_id.request());
                if named {
                    if let Some(entry) = self.window.remove(seq) {
                        self.settle(
                            now,
                            entry,
                            Outcome::Failed(FailReason::InvalidResponse(*status)),
                        );
                    }
                }
            } else {
                self.stats.requests_received.bump(*command_id);
            }
        }
        if let Some(answer) = e.answer() {
            self.answer(&answer);
        }
    }

    /// Matches a response to the request in flight it names (principle 4). A `generic_nack`
    /// fails the request it names (SMPP 5.0 §4.1.4); one naming sequence 0 or an unknown
    /// request is only counted. A response after its request timed out is dropped and counted.
    fn on_response(&mut self, now: Instant, pdu: Pdu) {
        let id = pdu.command_id();
        let seq = pdu.sequence_number;
        let status = pdu.command_status;
        self.stats.responses_received.bump(id);
        if !status.is_ok() {
            self.stats.errors_received.bump(status);
        }
        if id == CommandId::GenericNack {
            match self.window.remove(seq) {
                Some(entry) => {
                    self.settle(now, entry, Outcome::Failed(FailReason::GenericNack(status)))
                }
                None => self.stats.unmatched_generic_nacks += 1,
            }
            return;
        }
        let named = self
            .window
            .get(seq)
            .is_some_and(|r| r.command_id.response() == Some(id));
        match if named { self.window.remove(seq) } else { None } {
            Some(entry) => self.settle(now, entry, Outcome::Response(pdu)),
            None if self.timed_out.take(seq) => self.stats.late_responses += 1,
            None => self.stats.unmatched_responses += 1,
        }
    }

    /// A request from the peer: answered here when it is `enquire_link`, not allowed in the
    /// bind state, or beyond the inbound queue; otherwise handed to the application.
    fn on_request(&mut self, now: Instant, pdu: Pdu) {
        let id = pdu.command_id();
        let seq = pdu.sequence_number;
        self.stats.requests_received.bump(id);
        if id.response().is_some() && !(1..=MAX_SEQUENCE_NUMBER).contains(&seq) {
            // A response must echo the number (SMPP 5.0 §4.7.24) and a conformant one cannot:
            // no status says "bad sequence number", so the catch-all one goes in a generic_nack.
            self.stats.decode_errors += 1;
            self.generic_nack(seq, CommandStatus::ESME_RUNKNOWNERR);
            return;
        }
        let is_bind = BindKind::from_command_id(id).is_some();
        if is_bind
            && self.role == Role::Smsc
            && (self.state.is_bound() || self.bind_request.is_some())
        {
            // SMPP 5.0 §4.7.6: ESME_RALYBND, "ESME already in bound state".
            self.stats.rejected_bind_state += 1;
            self.answer_status(id, seq, CommandStatus::ESME_RALYBND);
            return;
        }
        if id == CommandId::Unbind && self.state == BindState::Unbound {
            // Both ends sent unbind at once: answer theirs, ours completes the handshake.
            self.answer_status(id, seq, CommandStatus::ESME_ROK);
            self.close_with(CloseReason::Unbound { by: Side::Local });
            return;
        }
        if !self.state.allows_request(self.role.peer(), id) {
            // SMPP 5.0 §2.8.2: "The PDU is not allowed in the current session state".
            self.stats.rejected_bind_state += 1;
            self.answer_status(id, seq, CommandStatus::ESME_RINVBNDSTS);
            return;
        }
        match id {
            // SMPP 5.0 §4.1.2: answered at once, whatever the application is doing.
            CommandId::EnquireLink => self.answer_status(id, seq, CommandStatus::ESME_ROK),
            CommandId::Unbind => {
                // SMPP 5.0 §2.3.5: the receiving peer acknowledges, then the session closes.
                self.answer_status(id, seq, CommandStatus::ESME_ROK);
                self.close_with(CloseReason::Unbound { by: Side::Peer });
            }
            CommandId::Outbind => {
                if let Body::Outbind(o) = pdu.body {
                    self.state = BindState::Outbound;
                    self.init_from = now;
                    self.events.push_back(Event::OutbindReceived {
                        system_id: o.system_id,
                        password: o.password.into(),
                    });
                }
            }
            CommandId::AlertNotification => self.events.push_back(Event::RequestReceived { pdu }),
            _ if is_bind => self.on_bind_request(seq, pdu.body),
            _ if self.inbox.is_full() => {
                self.stats.rejected_queue_full += 1;
                self.answer_status(id, seq, self.config.inbound_full_status);
            }
            _ => {
                self.inbox.insert(seq, id);
                self.events.push_back(Event::RequestReceived { pdu });
            }
        }
    }

    /// SMSC side: a bind to decide on. The session init timer stops (SMPP 5.0 §2.7: it runs
    /// until the bind request).
    fn on_bind_request(&mut self, seq: u32, body: Body) {
        let (kind, bind) = match body {
            Body::BindTransmitter(b) => (BindKind::Transmitter, b),
            Body::BindReceiver(b) => (BindKind::Receiver, b),
            Body::BindTransceiver(b) => (BindKind::Transceiver, b),
            _ => return,
        };
        self.binding = true;
        self.bind_request = Some(PendingBind {
            seq,
            kind,
            system_id: bind.system_id.clone(),
            interface_version: bind.interface_version,
        });
        self.events.push_back(Event::BindRequested(BindRequest {
            kind,
            system_id: bind.system_id,
            password: bind.password.into(),
            system_type: bind.system_type,
            interface_version: bind.interface_version,
            addr_ton: bind.addr_ton,
            addr_npi: bind.addr_npi,
            address_range: bind.address_range,
        }));
    }
}
