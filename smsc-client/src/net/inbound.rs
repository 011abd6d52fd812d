//! Requests from the peer (`deliver_sm`, `data_sm`, `alert_notification` at an ESME;
//! `submit_sm` and the rest at the SMSC side) as a stream of [`InboundRequest`]s, each with a
//! [`Responder`] that sends the `_resp` when the application decides. A responder dropped
//! unanswered answers `ESME_RX_T_APPN`, so the peer redelivers (principle 5).

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::Stream;
use smpp_codec::{Body, CommandId, CommandStatus, Pdu};
use tokio::sync::mpsc;

use super::driver::Command;
use crate::session::RespondError;

/// The stream of requests from the peer. Ends when the session closes. Bounded: while the
/// application is behind, the session answers new requests `ESME_RMSGQFUL` (or the configured
/// `inbound_full_status`) itself.
pub struct Inbound {
    rx: mpsc::Receiver<InboundRequest>,
}

impl Inbound {
    pub(crate) fn new(rx: mpsc::Receiver<InboundRequest>) -> Self {
        Inbound { rx }
    }

    /// The next request, or `None` once the session is closed.
    pub async fn recv(&mut self) -> Option<InboundRequest> {
        self.rx.recv().await
    }
}

impl Stream for Inbound {
    type Item = InboundRequest;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.rx.poll_recv(cx)
    }
}

impl fmt::Debug for Inbound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Inbound")
            .field("queued", &self.rx.len())
            .finish()
    }
}

/// One request from the peer. Answer it through its [`Responder`] (`alert_notification` has
/// none: it takes no response).
#[derive(Debug)]
pub struct InboundRequest {
    pdu: Pdu,
    responder: Option<Responder>,
}

impl InboundRequest {
    pub(crate) fn new(pdu: Pdu, responder: Option<Responder>) -> Self {
        InboundRequest { pdu, responder }
    }

    /// The request.
    pub fn pdu(&self) -> &Pdu {
        &self.pdu
    }

    /// The request's body.
    pub fn body(&self) -> &Body {
        &self.pdu.body
    }

    /// The request's command.
    pub fn command_id(&self) -> CommandId {
        self.pdu.command_id()
    }

    /// Takes the responder out (to answer later, elsewhere); `None` for `alert_notification`
    /// or once taken.
    pub fn take_responder(&mut self) -> Option<Responder> {
        self.responder.take()
    }

    /// The request and its responder.
    pub fn into_parts(self) -> (Pdu, Option<Responder>) {
        (self.pdu, self.responder)
    }

    /// Answers `ESME_ROK` with an empty response body (see [`Responder::ok`]).
    pub fn ok(mut self) {
        if let Some(r) = self.responder.take() {
            r.ok();
        }
    }

    /// Answers with an error status (see [`Responder::reject`]).
    pub fn reject(mut self, status: CommandStatus) {
        if let Some(r) = self.responder.take() {
            r.reject(status);
        }
    }

    /// Disarms the responder: the driver answers this request itself.
    pub(crate) fn disarm(self) {
        if let Some(mut r) = self.responder {
            r.armed = false;
        }
    }
}

/// Sends the response to one request from the peer. Answer exactly once: [`ok`](Self::ok),
/// [`respond`](Self::respond) or [`reject`](Self::reject). Dropped unanswered, it answers
/// `ESME_RX_T_APPN` ("temporary application error": the peer retries later).
pub struct Responder {
    seq: u32,
    request: CommandId,
    tx: mpsc::UnboundedSender<Command>,
    armed: bool,
}

impl Responder {
    pub(crate) fn new(seq: u32, request: CommandId, tx: mpsc::UnboundedSender<Command>) -> Self {
        Responder {
            seq,
            request,
            tx,
            armed: true,
        }
    }

    /// The request's sequence number.
    pub fn sequence_number(&self) -> u32 {
        self.seq
    }

    /// The request's command.
    pub fn command_id(&self) -> CommandId {
        self.request
    }

    /// Answers `ESME_ROK` with the response's empty body (e.g. a `deliver_sm_resp` with an
    /// empty `message_id`).
    pub fn ok(self) {
        let body = Body::default_for(self.response_id());
        self.send(CommandStatus::ESME_ROK, body);
    }

    /// Answers `ESME_ROK` with `body`, which must be this request's response (a
    /// `submit_sm_resp` with the `message_id` for a `submit_sm`, ...).
    pub fn respond(self, body: Body) -> Result<(), RespondError> {
        self.respond_with(CommandStatus::ESME_ROK, body)
    }

    /// Answers with `status` and `body` (which must be this request's response).
    pub fn respond_with(self, status: CommandStatus, body: Body) -> Result<(), RespondError> {
        let expected = self.response_id();
        let got = body.command_id();
        if got != expected {
            return Err(RespondError::WrongBody { expected, got });
        }
        if self.tx.is_closed() {
            return Err(RespondError::Closed);
        }
        self.send(status, body);
        Ok(())
    }

    /// Answers with an error `status` and an empty body. Temporary statuses
    /// (`ESME_RX_T_APPN`, `ESME_RMSGQFUL`, `ESME_RTHROTTLED`) ask the peer to retry later;
    /// permanent ones (`ESME_RX_P_APPN`, `ESME_RX_R_APPN`, ...) not.
    pub fn reject(self, status: CommandStatus) {
        let body = Body::default_for(self.response_id());
        self.send(status, body);
    }

    fn response_id(&self) -> CommandId {
        self.request.response().unwrap_or(CommandId::GenericNack)
    }

    fn send(mut self, status: CommandStatus, body: Body) {
        self.armed = false;
        // A closed session has nothing left to answer.
        let _ = self.tx.send(Command::Respond {
            seq: self.seq,
            status,
            body,
        });
    }
}

impl Drop for Responder {
    fn drop(&mut self) {
        if self.armed {
            self.armed = false;
            let _ = self.tx.send(Command::Respond {
                seq: self.seq,
                status: CommandStatus::ESME_RX_T_APPN,
                body: Body::default_for(self.response_id()),
            });
        }
    }
}

impl fmt::Debug for Responder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Responder")
            .field("seq", &self.seq)
            .field("request", &self.request)
            .field("answered", &!self.armed)
            .finish()
    }
}
