//! The driver task: one per connection, a short loop around the sans-IO [`Session`]. It reads
//! straight into the session's input buffer, processes it, drains events (matching responses
//! to the callers waiting for them, here on this task: principle 4), writes what the session
//! queued (one write per batch), sleeps until the next timer, and runs commands from the
//! handles and responders. Nothing here knows SMPP beyond routing events and commands.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use smpp_codec::{Body, CommandId, CommandStatus, Pdu};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, oneshot, watch};
use tokio::time::Instant as TokioInstant;

use super::error::RequestError;
use super::inbound::{Inbound, InboundRequest, Responder};
use super::link::Link;
use crate::metrics::{Direction, SessionMetrics};
use crate::session::{BindKind, BindState, CloseReason, Event, Session, Side};
use crate::smsc::{Acceptor, BindGrant};

/// At most this many commands are taken per wake-up before the session's output is written:
/// they go out together in one write.
const COMMAND_BATCH: usize = 256;
/// Room in the inbound channel beyond the session's inbound bound, for `alert_notification`s
/// (which take no inbound slot).
const ALERT_SLACK: usize = 16;
/// How long a closing session may spend writing its last PDUs (e.g. an `unbind_resp`).
const LINGER: Duration = Duration::from_secs(5);
/// How often, at most, the session core's counters are exported to `metrics` while busy.
const TOTALS_EVERY: Duration = Duration::from_secs(1);

/// What handles and responders ask the driver to do.
pub(crate) enum Command {
    /// Send a request that awaits a response; the permit is its window slot.
    Request {
        body: Body,
        reply: oneshot::Sender<Result<Pdu, RequestError>>,
        permit: OwnedSemaphorePermit,
    },
    /// Send a request without a response (`alert_notification`).
    Send {
        body: Body,
        reply: oneshot::Sender<Result<(), RequestError>>,
    },
    /// Answer the peer's request `seq`.
    Respond {
        seq: u32,
        status: CommandStatus,
        body: Body,
    },
    /// Start the unbind handshake; the reply comes when the session is closed.
    Unbind {
        reply: oneshot::Sender<Result<(), RequestError>>,
    },
    /// Close at once.
    Close,
    /// Every clone of the application's handle is gone.
    HandlesDropped,
    /// SMSC side: the authenticator's verdict on the pending bind.
    BindDecision(Result<BindGrant, CommandStatus>),
}

/// ESME side: what the bind response said.
#[derive(Clone, Debug)]
pub(crate) struct EsmeBound {
    pub(crate) kind: BindKind,
    pub(crate) peer_system_id: String,
    pub(crate) peer_interface_version: Option<u8>,
}

/// What the driver does with bind events: the two ends differ only there.
pub(crate) enum Phase {
    /// ESME: tell `connect` how the bind went.
    Esme {
        bound: Option<oneshot::Sender<Result<EsmeBound, CloseReason>>>,
    },
    /// SMSC: authenticate, then hand the session to the server's `accept`.
    Smsc(Box<Acceptor>),
}

/// A request of ours awaiting its response.
struct Pending {
    command: CommandId,
    reply: oneshot::Sender<Result<Pdu, RequestError>>,
    _permit: OwnedSemaphorePermit,
}

/// A request waiting for the session's window (should the semaphore and the window disagree).
struct Deferred {
    body: Body,
    reply: oneshot::Sender<Result<Pdu, RequestError>>,
    permit: OwnedSemaphorePermit,
}

/// Why the loop woke up. Lives only on the stack for one turn; boxing the command would cost
/// an allocation per request.
#[allow(clippy::large_enum_variant)]
enum Wake {
    Read(std::io::Result<usize>),
    /// A write (`true`) or a flush (`false`) completed.
    Wrote(std::io::Result<bool>),
    Command(Option<Command>),
    Timer,
    InboundClosed,
}

/// The state of one connection's task.
pub(crate) struct Driver {
    session: Session,
    cmd_rx: mpsc::UnboundedReceiver<Command>,
    cmd_tx: mpsc::UnboundedSender<Command>,
    inbound_tx: mpsc::Sender<InboundRequest>,
    window: Arc<Semaphore>,
    window_size: usize,
    closed_tx: watch::Sender<Option<CloseReason>>,
    pending: HashMap<u32, Pending>,
    deferred: VecDeque<Deferred>,
    unbind_reply: Option<oneshot::Sender<Result<(), RequestError>>>,
    /// A per-bind bound on the peer's requests awaiting our answer (SMSC grants).
    inbound_limit: Option<usize>,
    handles_gone: bool,
    /// `abandon` ran: the inbound stream's closing has been acted on and is watched no more
    /// (it stays ready, and watching it would wake the loop without end).
    abandoned: bool,
    metrics: SessionMetrics,
    phase: Phase,
}

fn now() -> std::time::Instant {
    TokioInstant::now().into_std()
}

impl Driver {
    /// A driver for `session`, with the handle and the inbound stream the application gets.
    pub(crate) fn new(session: Session, name: Arc<str>, phase: Phase) -> (Driver, Link, Inbound) {
        let window_size = session.config().window.max(1);
        let inbound_cap = session.config().max_inbound_pending.max(1) + ALERT_SLACK;
        let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
        let (inbound_tx, inbound_rx) = mpsc::channel(inbound_cap);
        let (closed_tx, closed_rx) = watch::channel(None);
        let window = Arc::new(Semaphore::new(window_size));
        let link = Link::new(cmd_tx.clone(), window.clone(), closed_rx);
        let metrics = SessionMetrics::new(name, session.role());
        let driver = Driver {
            session,
            cmd_rx,
            cmd_tx,
            inbound_tx,
            window,
            window_size,
            closed_tx,
            pending: HashMap::new(),
            deferred: VecDeque::new(),
            unbind_reply: None,
            inbound_limit: None,
            handles_gone: false,
            abandoned: false,
            metrics,
            phase,
        };
        (driver, link, Inbound::new(inbound_rx))
    }

    /// Sets how bind events are handled (the SMSC side's acceptor holds the link, so it is
    /// set after `new`).
    pub(crate) fn set_phase(&mut self, phase: Phase) {
        self.phase = phase;
    }

    /// Runs the session over `stream` until it closes.
    pub(crate) async fn run<S>(mut self, stream: S)
    where
        S: AsyncRead + AsyncWrite + Send + 'static,
    {
        let (mut reader, mut writer) = tokio::io::split(stream);
        // The session's receive buffer is swapped out while a read is pending, so the read
        // lands in it directly (no copy) and the session stays usable by the other branches.
        let mut rbuf = BytesMut::new();
        let mut out = Bytes::new();
        let mut unflushed = false;
        let mut reading = true;
        let mut next_totals = now() + TOTALS_EVERY;
        loop {
            self.drain_events();
            if self.session.is_closed() {
                break;
            }
            if out.is_empty() {
                if let Some(buf) = self.session.poll_transmit() {
                    out = buf;
                }
            }
            self.metrics
                .gauges(self.session.window_in_use(), self.session.inbound_pending());
            let deadline = self.session.poll_timeout();
            let sleep_to = deadline.map_or_else(
                || TokioInstant::now() + Duration::from_secs(3600),
                TokioInstant::from_std,
            );
            let watch_inbound = self.handles_gone && !self.abandoned;
            std::mem::swap(self.session.input_buffer(), &mut rbuf);
            let wake = tokio::select! {
                r = async {
                    if out.is_empty() {
                        writer.flush().await.map(|()| false)
                    } else {
                        writer.write_buf(&mut out).await.map(|_| true)
                    }
                }, if !out.is_empty() || unflushed => Wake::Wrote(r),
                r = reader.read_buf(&mut rbuf), if reading => Wake::Read(r),
                c = self.cmd_rx.recv() => Wake::Command(c),
                () = tokio::time::sleep_until(sleep_to), if deadline.is_some() => Wake::Timer,
                () = self.inbound_tx.closed(), if watch_inbound => Wake::InboundClosed,
            };
            std::mem::swap(self.session.input_buffer(), &mut rbuf);
            let now = now();
            if now >= next_totals || matches!(wake, Wake::Timer) {
                self.metrics.session_totals(self.session.stats());
                next_totals = now + TOTALS_EVERY;
            }
            match wake {
                Wake::Read(Ok(0)) => {
                    tracing::debug!("connection closed by the peer");
                    reading = false;
                    out.clear();
                    self.session.handle_disconnect();
                }
                Wake::Read(Ok(n)) => {
                    tracing::trace!(bytes = n, "read");
                    self.session.process_input(now);
                }
                Wake::Read(Err(e)) | Wake::Wrote(Err(e)) => {
                    tracing::debug!(error = %e, "connection failed");
                    reading = false;
                    out.clear();
                    self.session.handle_disconnect();
                }
                Wake::Wrote(Ok(wrote)) => unflushed = wrote,
                Wake::Command(Some(cmd)) => {
                    self.on_command(now, cmd);
                    for _ in 1..COMMAND_BATCH {
                        match self.cmd_rx.try_recv() {
                            Ok(cmd) => self.on_command(now, cmd),
                            Err(_) => break,
                        }
                    }
                }
                // Unreachable: the driver holds a sender itself.
                Wake::Command(None) => self.session.close(),
                Wake::Timer => self.session.handle_timeout(now),
                Wake::InboundClosed => self.abandon(now),
            }
        }
        self.metrics.session_totals(self.session.stats());
        self.window.close();
        // Requests still queued for this task were never sent: say so, so they can be retried
        // elsewhere without being marked as possible duplicates.
        self.cmd_rx.close();
        while let Ok(cmd) = self.cmd_rx.try_recv() {
            if let Command::Request { reply, .. } = cmd {
                let _ = reply.send(Err(RequestError::NotSent));
            }
        }
        // Best effort: the last PDUs (an unbind_resp, a generic_nack) go out before the close.
        let _ = tokio::time::timeout(LINGER, async {
            loop {
                if out.is_empty() {
                    match self.session.poll_transmit() {
                        Some(buf) => out = buf,
                        None => break,
                    }
                }
                writer.write_all_buf(&mut out).await?;
            }
            writer.flush().await?;
            writer.shutdown().await
        })
        .await;
        tracing::debug!("driver done");
    }

    fn drain_events(&mut self) {
        while let Some(event) = self.session.poll_event() {
            self.on_event(event);
        }
    }

    fn on_event(&mut self, event: Event) {
        let now = now();
        match event {
            Event::Bound {
                kind,
                peer_system_id,
                peer_interface_version,
            } => {
                self.metrics.bind_up();
                tracing::info!(?kind, peer_system_id = %peer_system_id, "bound");
                match &mut self.phase {
                    Phase::Esme { bound } => {
                        if let Some(tx) = bound.take() {
                            let info = EsmeBound {
                                kind,
                                peer_system_id: peer_system_id.to_string(),
                                peer_interface_version,
                            };
                            if tx.send(Ok(info)).is_err() {
                                // `connect` gave up (timeout): nobody will use this session.
                                self.abandon(now);
                            }
                        }
                    }
                    Phase::Smsc(acceptor) => {
                        if !acceptor.deliver(kind) {
                            tracing::warn!(
                                "the server is gone or its accept queue is full: closing"
                            );
                            self.session.close();
                        }
                    }
                }
            }
            Event::BindRequested(request) => match &mut self.phase {
                Phase::Smsc(acceptor) => acceptor.on_bind_request(request, self.cmd_tx.clone()),
                Phase::Esme { .. } => {
                    let _ = self.session.reject_bind(CommandStatus::ESME_RBINDFAIL);
                }
            },
            Event::OutbindReceived { system_id, .. } => {
                tracing::warn!(system_id = %system_id, "outbind is not supported on a connected ESME: closing");
                self.session.close();
            }
            Event::RequestReceived { pdu } => self.on_request(pdu),
            Event::ResponseReceived {
                seq,
                command_id,
                sent_at,
                pdu,
            } => {
                self.metrics
                    .response(pdu.command_id(), Direction::In, pdu.command_status);
                self.metrics
                    .latency(command_id, now.saturating_duration_since(sent_at));
                if let Some(p) = self.pending.remove(&seq) {
                    let _ = p.reply.send(Ok(pdu));
                }
            }
            Event::RequestFailed {
                seq,
                command_id,
                reason,
                ..
            } => {
                self.metrics.failure(command_id, reason);
                tracing::debug!(seq, %command_id, ?reason, "request failed");
                if let Some(p) = self.pending.remove(&seq) {
                    let _ = p
                        .reply
                        .send(Err(RequestError::from_fail(p.command, reason)));
                }
            }
            Event::WindowAvailable => self.pump_deferred(now),
            Event::Closed { reason } => self.on_closed(reason),
        }
    }

    fn on_request(&mut self, pdu: Pdu) {
        let id = pdu.command_id();
        let seq = pdu.sequence_number;
        self.metrics.request(id, Direction::In);
        if id.response().is_none() {
            // alert_notification: no answer; dropped (with a log line) if the app is behind.
            if self
                .inbound_tx
                .try_send(InboundRequest::new(pdu, None))
                .is_err()
            {
                tracing::warn!(%id, "inbound queue full or closed: request dropped");
            }
            return;
        }
        if self
            .inbound_limit
            .is_some_and(|limit| self.session.inbound_pending() > limit)
        {
            self.respond(seq, CommandStatus::ESME_RTHROTTLED, None, id);
            return;
        }
        let responder = Responder::new(seq, id, self.cmd_tx.clone());
        match self
            .inbound_tx
            .try_send(InboundRequest::new(pdu, Some(responder)))
        {
            Ok(()) => {}
            Err(TrySendError::Full(req)) => {
                req.disarm();
                let status = self.session.config().inbound_full_status;
                self.respond(seq, status, None, id);
            }
            Err(TrySendError::Closed(req)) => {
                req.disarm();
                self.respond(seq, CommandStatus::ESME_RX_T_APPN, None, id);
            }
        }
    }

    fn respond(&mut self, seq: u32, status: CommandStatus, body: Option<Body>, request: CommandId) {
        let body = body.unwrap_or_else(|| {
            Body::default_for(request.response().unwrap_or(CommandId::GenericNack))
        });
        let resp = body.command_id();
        match self.session.respond(seq, status, body) {
            Ok(()) => self.metrics.response(resp, Direction::Out, status),
            Err(e) => tracing::debug!(seq, error = %e, "response not sent"),
        }
    }

    fn on_command(&mut self, now: std::time::Instant, cmd: Command) {
        match cmd {
            Command::Request {
                body,
                reply,
                permit,
            } => {
                if !self.deferred.is_empty() || self.session.window_available() == 0 {
                    // Keep order behind what already waits.
                    self.deferred.push_back(Deferred {
                        body,
                        reply,
                        permit,
                    });
                    if self.session.window_available() > 0 {
                        self.pump_deferred(now);
                    }
                    return;
                }
                self.send_request(now, body, reply, permit);
            }
            Command::Send { body, reply } => {
                let id = body.command_id();
                let r = self.session.send_request(now, body).map(drop);
                if r.is_ok() {
                    self.metrics.request(id, Direction::Out);
                }
                let _ = reply.send(r.map_err(RequestError::from));
            }
            Command::Respond { seq, status, body } => {
                let resp = body.command_id();
                match self.session.respond(seq, status, body) {
                    Ok(()) => self.metrics.response(resp, Direction::Out, status),
                    Err(e) => tracing::debug!(seq, error = %e, "response not sent"),
                }
            }
            Command::Unbind { reply } => match self.session.unbind(now) {
                Ok(_) => {
                    tracing::info!("unbinding");
                    self.metrics.request(CommandId::Unbind, Direction::Out);
                    self.unbind_reply = Some(reply);
                }
                Err(e) => {
                    let _ = reply.send(Err(e.into()));
                }
            },
            Command::Close => self.session.close(),
            Command::HandlesDropped => {
                self.handles_gone = true;
                if self.inbound_tx.is_closed() {
                    self.abandon(now);
                }
            }
            Command::BindDecision(verdict) => self.on_bind_decision(now, verdict),
        }
    }

    fn send_request(
        &mut self,
        now: std::time::Instant,
        body: Body,
        reply: oneshot::Sender<Result<Pdu, RequestError>>,
        permit: OwnedSemaphorePermit,
    ) {
        let command = body.command_id();
        match self.session.send_request(now, body) {
            Ok(handle) => {
                self.metrics.request(command, Direction::Out);
                self.pending.insert(
                    handle.seq(),
                    Pending {
                        command,
                        reply,
                        _permit: permit,
                    },
                );
            }
            Err(e) => {
                let _ = reply.send(Err(e.into()));
            }
        }
    }

    fn pump_deferred(&mut self, now: std::time::Instant) {
        while self.session.window_available() > 0 {
            let Some(d) = self.deferred.pop_front() else {
                break;
            };
            self.send_request(now, d.body, d.reply, d.permit);
        }
    }

    fn on_bind_decision(
        &mut self,
        now: std::time::Instant,
        verdict: Result<BindGrant, CommandStatus>,
    ) {
        let Phase::Smsc(acceptor) = &mut self.phase else {
            return;
        };
        match acceptor.decide(verdict) {
            Ok(accepted) => {
                tracing::Span::current().record("bind", &*accepted.name);
                self.metrics.set_bind(accepted.name.clone());
                if let Some(w) = accepted.window {
                    let w = w.max(1);
                    if w < self.window_size {
                        self.window.forget_permits(self.window_size - w);
                        self.window_size = w;
                    }
                }
                self.inbound_limit = accepted.inbound_limit;
                if let Err(e) = self.session.accept_bind(now, accepted.system_id) {
                    tracing::warn!(error = %e, "cannot accept the bind");
                    self.session.close();
                }
            }
            Err(status) => {
                tracing::info!(%status, "bind refused");
                self.metrics.bind_failed(status);
                let _ = self.session.reject_bind(status);
            }
        }
    }

    /// Nobody holds the session any more: unbind it (or close it if not bound).
    fn abandon(&mut self, now: std::time::Instant) {
        self.abandoned = true;
        if self.session.is_bound() {
            tracing::info!("handles and inbound stream dropped: unbinding");
            let _ = self.session.unbind(now);
        } else if !self.session.is_closed() && self.session.state() != BindState::Unbound {
            self.session.close();
        }
    }

    fn on_closed(&mut self, reason: CloseReason) {
        tracing::info!(?reason, "session closed");
        self.metrics.bind_down();
        for (_, p) in self.pending.drain() {
            let _ = p.reply.send(Err(RequestError::Closed));
        }
        // Deferred requests never reached the session: safe to send again elsewhere.
        for d in self.deferred.drain(..) {
            let _ = d.reply.send(Err(RequestError::NotSent));
        }
        if let Some(reply) = self.unbind_reply.take() {
            let r = match reason {
                CloseReason::Unbound { by: Side::Local } => Ok(()),
                CloseReason::Unbound { by: Side::Peer } => Ok(()),
                CloseReason::UnbindTimeout => Err(RequestError::Timeout {
                    command: CommandId::Unbind,
                }),
                _ => Err(RequestError::Closed),
            };
            let _ = reply.send(r);
        }
        match &mut self.phase {
            Phase::Esme { bound } => {
                if let Some(tx) = bound.take() {
                    if let CloseReason::BindRejected(status) = reason {
                        self.metrics.bind_failed(status);
                    }
                    let _ = tx.send(Err(reason));
                }
            }
            Phase::Smsc(_) => {}
        }
        self.window.close();
        self.closed_tx.send_replace(Some(reason));
    }
}
