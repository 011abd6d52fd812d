//! The sans-IO SMPP session core: one state machine for both ends of a bind (the ESME that
//! binds, the SMSC that accepts), driven by received bytes and `Instant`s, in the manner of
//! `quinn-proto::Connection`. It never reads a clock, spawns nothing and does no I/O.
//!
//! A driver (the tokio shell) runs a short loop:
//!
//! ```
//! use std::time::{Duration, Instant};
//! use smpp_codec::{Bind, Body, CommandStatus};
//! use smsc_client::session::{BindKind, Event, Role, Session, SessionConfig};
//!
//! let t0 = Instant::now();
//! let mut esme = Session::new(Role::Esme, SessionConfig::default(), t0);
//! let mut smsc = Session::new(Role::Smsc, SessionConfig::default(), t0);
//! let bind = Bind { system_id: "esme".try_into().unwrap(), interface_version: 0x34, ..Bind::default() };
//! esme.bind(t0, BindKind::Transceiver, bind).unwrap();
//! // what the ESME writes, the SMSC reads (the shell does this through sockets)
//! smsc.handle_input(t0, &esme.poll_transmit().unwrap());
//! let Some(Event::BindRequested(req)) = smsc.poll_event() else { panic!() };
//! assert_eq!(req.system_id, "esme");
//! smsc.accept_bind(t0, "smsc".try_into().unwrap()).unwrap();
//! esme.handle_input(t0, &smsc.poll_transmit().unwrap());
//! assert!(matches!(esme.poll_event(), Some(Event::Bound { kind: BindKind::Transceiver, .. })));
//! // timers: sleep until poll_timeout(), then handle_timeout(now)
//! assert_eq!(esme.poll_timeout(), Some(t0 + Duration::from_secs(30)));
//! ```
//!
//! * Input: [`Session::handle_input`], or read straight into [`Session::input_buffer`] and
//!   call [`Session::process_input`]. Frames are split off without copying and decoded with
//!   `Pdu::decode_with`, so decoded strings are views of the received bytes.
//! * Output: [`Session::poll_transmit`] hands out everything queued so far as one buffer (many
//!   PDUs per write under load); [`Session::poll_event`] says what happened.
//! * Timers: [`Session::poll_timeout`] / [`Session::handle_timeout`] (SMPP 5.0 §2.7).
//! * Requests: [`Session::bind`], [`Session::send_request`], [`Session::respond`],
//!   [`Session::accept_bind`] / [`Session::reject_bind`], [`Session::outbind`],
//!   [`Session::unbind`], [`Session::close`].
//!
//! Responses are matched to requests here, never behind application code (principle 4);
//! `enquire_link` is answered here; requests the bind state does not allow are answered
//! `ESME_RINVBNDSTS` here; undecodable PDUs are answered per `DecodeError::answer` here and the
//! bind lives on (principle 3); the send window and the inbound queue are bounded (principle 6).

mod config;
mod error;
mod event;
mod framer;
mod inbound;
mod inbox;
mod password;
mod sequence;
mod state;
mod stats;
mod timers;
mod window;

use std::collections::VecDeque;
use std::fmt;
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use smpp_codec::{
    Bind, BindResp, Body, COctetString, CommandId, CommandStatus, DecodeOptions, EncodeError,
    Outbind, Pdu, Tlvs, field::version,
};

pub use config::{InactivityAction, SessionConfig};
pub use error::{RespondError, SendError};
pub use event::{BindRequest, CloseReason, Event, FailReason, Side};
pub use framer::{Frame, Framer};
pub use password::Password;
pub use state::{BindKind, BindState, Role};
pub use stats::{CommandCounts, SessionStats, StatusCounts};

use inbox::Inbox;
use sequence::Sequence;
use window::{InFlight, Origin, TimedOut, Window};

/// Spare room `input_buffer` guarantees for the next read.
const READ_CHUNK: usize = 8 * 1024;

/// Identifies a request we sent: its sequence number, echoed by its response and carried by
/// `Event::ResponseReceived` / `Event::RequestFailed`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestHandle(u32);

impl RequestHandle {
    /// The request's sequence number.
    pub fn seq(self) -> u32 {
        self.0
    }
}

/// A bind request received (SMSC side) and not yet accepted or rejected.
#[derive(Debug)]
struct PendingBind {
    seq: u32,
    kind: BindKind,
    system_id: COctetString<16>,
    interface_version: u8,
}

/// How a request in flight ended. Lives only on the stack between matching and settling;
/// boxing the `Pdu` would cost an allocation per response.
#[allow(clippy::large_enum_variant)]
enum Outcome {
    Response(Pdu),
    Failed(FailReason),
}

/// One SMPP session (one connection), either end. See the [module documentation](self).
pub struct Session {
    role: Role,
    config: SessionConfig,
    state: BindState,
    /// Received octets not yet framed.
    rx: BytesMut,
    /// Encoded PDUs not yet handed to `poll_transmit`.
    tx: BytesMut,
    framer: Framer,
    events: VecDeque<Event>,
    /// Our requests awaiting responses.
    window: Window,
    timed_out: TimedOut,
    /// The peer's requests awaiting the application's answer.
    inbox: Inbox,
    sequence: Sequence,
    /// Start of the session init timer: the connection, or the `outbind`.
    init_from: Instant,
    /// The last PDU received, or the moment the session became bound: what the enquire link
    /// and inactivity timers measure from.
    last_rx: Instant,
    /// A bind is in flight (ESME) or awaits the application's decision (SMSC).
    binding: bool,
    /// SMSC side: the bind awaiting `accept_bind` / `reject_bind`.
    bind_request: Option<PendingBind>,
    /// Our `enquire_link` probe is in flight.
    enquire_outstanding: bool,
    /// `send_request` answered `WindowFull` since the last `WindowAvailable`.
    window_blocked: bool,
    /// Our `unbind` was sent by the inactivity timer.
    inactivity_unbind: bool,
    stats: SessionStats,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("role", &self.role)
            .field("state", &self.state)
            .field("binding", &self.binding)
            .field("window_in_use", &self.window.app_in_flight())
            .field("window", &self.window.limit())
            .field("inbound_pending", &self.inbox.len())
            .field("rx_buffered", &self.rx.len())
            .field("tx_buffered", &self.tx.len())
            .field("events", &self.events.len())
            .finish_non_exhaustive()
    }
}

impl Session {
    /// A session on a connection established at `now`, in state `Open`.
    pub fn new(role: Role, config: SessionConfig, now: Instant) -> Session {
        let window = Window::new(config.window);
        let stats = SessionStats {
            window_size: window.limit(),
            ..SessionStats::default()
        };
        Session {
            role,
            state: BindState::Open,
            rx: BytesMut::new(),
            tx: BytesMut::new(),
            framer: Framer::new(config.decode.max_command_length),
            events: VecDeque::new(),
            timed_out: TimedOut::new(window.limit().max(16)),
            window,
            inbox: Inbox::new(config.max_inbound_pending),
            sequence: Sequence::new(),
            init_from: now,
            last_rx: now,
            binding: false,
            bind_request: None,
            enquire_outstanding: false,
            window_blocked: false,
            inactivity_unbind: false,
            stats,
            config,
        }
    }

    /// Which end this session is.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The bind state.
    pub fn state(&self) -> BindState {
        self.state
    }

    /// `true` in a bound state.
    pub fn is_bound(&self) -> bool {
        self.state.is_bound()
    }

    /// `true` once closed.
    pub fn is_closed(&self) -> bool {
        self.state == BindState::Closed
    }

    /// `true` while a bind is in flight (ESME) or awaits `accept_bind` / `reject_bind` (SMSC).
    pub fn is_binding(&self) -> bool {
        self.binding
    }

    /// The configuration.
    pub fn config(&self) -> &SessionConfig {
        &self.config
    }

    /// Counters and gauges for metrics.
    pub fn stats(&self) -> &SessionStats {
        &self.stats
    }

    /// How many more application requests the window takes now.
    pub fn window_available(&self) -> usize {
        self.window.app_available()
    }

    /// Application requests in flight.
    pub fn window_in_use(&self) -> usize {
        self.window.app_in_flight()
    }

    /// Received requests awaiting `respond`.
    pub fn inbound_pending(&self) -> usize {
        self.inbox.len()
    }

    /// Sets the next sequence number to use (values outside 1..=0x7FFFFFFF mean 1). Sessions
    /// start at 1 (SMPP 5.0 §2.6.3); this is for tests and for peers that want numbering to
    /// continue across connections.
    pub fn set_next_sequence_number(&mut self, seq: u32) {
        self.sequence.set_next(seq);
    }

    /// Changes how received PDUs are decoded, e.g. once the peer's interface version is known.
    pub fn set_decode_options(&mut self, opts: DecodeOptions) {
        self.framer.set_max_command_length(opts.max_command_length);
        self.config.decode = opts;
    }

    // ---- input --------------------------------------------------------------------------

    /// The receive buffer, with at least 8 KiB of spare room: read into it (e.g. tokio's
    /// `read_buf`), then call [`process_input`](Self::process_input). Saves the copy
    /// [`handle_input`](Self::handle_input) makes.
    pub fn input_buffer(&mut self) -> &mut BytesMut {
        if self.rx.capacity() - self.rx.len() < READ_CHUNK {
            self.rx.reserve(READ_CHUNK);
        }
        &mut self.rx
    }

    /// Feeds received bytes (any split: part of a PDU, many PDUs).
    pub fn handle_input(&mut self, now: Instant, data: &[u8]) {
        if self.is_closed() {
            return;
        }
        self.rx.extend_from_slice(data);
        self.process_input(now);
    }

    /// Processes whatever whole PDUs the receive buffer holds.
    pub fn process_input(&mut self, now: Instant) {
        while !self.is_closed() {
            let Some(frame) = self.framer.next_frame(&mut self.rx) else {
                break;
            };
            match frame {
                Frame::Pdu(bytes) => {
                    self.last_rx = now;
                    self.stats.bytes_received += bytes.len() as u64;
                    self.on_frame(now, bytes);
                }
                Frame::TooLong(header) => {
                    self.last_rx = now;
                    self.stats.decode_errors += 1;
                    self.generic_nack(header.sequence_number, CommandStatus::ESME_RINVCMDLEN);
                }
                Frame::Desynchronised(header) => {
                    self.stats.decode_errors += 1;
                    self.generic_nack(header.sequence_number, CommandStatus::ESME_RINVCMDLEN);
                    self.close_with(CloseReason::Desynchronised);
                }
            }
        }
        if self.is_closed() {
            self.rx.clear();
        }
        self.sync_gauges();
    }

    /// The connection is gone (EOF or error): fails what is pending and closes, dropping
    /// anything not yet written.
    pub fn handle_disconnect(&mut self) {
        self.tx.clear();
        self.close_with(CloseReason::Disconnected);
    }

    // ---- output -------------------------------------------------------------------------

    /// Everything queued for the peer since the last call, as one buffer (PDUs back to back),
    /// or `None`. Write it all before calling again.
    pub fn poll_transmit(&mut self) -> Option<Bytes> {
        if self.tx.is_empty() {
            return None;
        }
        self.stats.transmits += 1;
        Some(self.tx.split().freeze())
    }

    /// The next event, or `None`.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    // ---- requests -----------------------------------------------------------------------

    /// ESME side: sends a bind of `kind` (in `Open` or `Outbound`). `Event::Bound` follows on
    /// success; on refusal, timeout or `generic_nack` the session closes
    /// (`CloseReason::BindRejected` / `BindFailed`).
    pub fn bind(
        &mut self,
        now: Instant,
        kind: BindKind,
        bind: Bind,
    ) -> Result<RequestHandle, SendError> {
        if self.is_closed() {
            return Err(SendError::Closed);
        }
        let command = kind.command_id();
        if self.binding || !self.state.allows_request(self.role, command) {
            return Err(SendError::InvalidState {
                command,
                state: self.state,
            });
        }
        let seq = self.send_tracked(now, kind.request(bind), Origin::Bind)?;
        self.binding = true;
        Ok(RequestHandle(seq))
    }

    /// SMSC side: sends `outbind` (SMPP 5.0 §4.1.1.9) in `Open`, asking the ESME to bind; the
    /// state becomes `Outbound` and the session init timer restarts (SMPP 5.0 §2.7).
    pub fn outbind(&mut self, now: Instant, outbind: Outbind) -> Result<(), SendError> {
        if self.is_closed() {
            return Err(SendError::Closed);
        }
        if self.binding || !self.state.allows_request(self.role, CommandId::Outbind) {
            return Err(SendError::InvalidState {
                command: CommandId::Outbind,
                state: self.state,
            });
        }
        let seq = self.next_seq();
        self.queue(&Pdu {
            command_status: CommandStatus::ESME_ROK,
            sequence_number: seq,
            body: Body::Outbind(outbind),
        })?;
        self.state = BindState::Outbound;
        self.init_from = now;
        Ok(())
    }

    /// SMSC side: accepts the bind announced by `Event::BindRequested`, answering with our
    /// `system_id` and, for an SMPP 3.4+ ESME, the `sc_interface_version` TLV (the ESME's
    /// version, at most 5.0; SMPP 5.0 §4.1.1.2). `Event::Bound` follows.
    pub fn accept_bind(
        &mut self,
        now: Instant,
        system_id: COctetString<16>,
    ) -> Result<(), RespondError> {
        let version = match &self.bind_request {
            Some(p) => p.interface_version,
            None if self.is_closed() => return Err(RespondError::Closed),
            None => return Err(RespondError::NoBindPending),
        };
        let tlvs = if version >= version::V34 {
            Tlvs::builder()
                .sc_interface_version(version.min(version::V50))
                .build()
        } else {
            Tlvs::empty()
        };
        self.accept_bind_with(now, BindResp { system_id, tlvs })
    }

    /// SMSC side: like [`accept_bind`](Self::accept_bind) with the response body given whole.
    pub fn accept_bind_with(&mut self, now: Instant, resp: BindResp) -> Result<(), RespondError> {
        let Some(p) = self.bind_request.take() else {
            return Err(if self.is_closed() {
                RespondError::Closed
            } else {
                RespondError::NoBindPending
            });
        };
        let pdu = Pdu {
            command_status: CommandStatus::ESME_ROK,
            sequence_number: p.seq,
            body: p.kind.response(resp),
        };
        if let Err(e) = self.queue(&pdu) {
            self.bind_request = Some(p);
            return Err(e.into());
        }
        self.binding = false;
        self.state = p.kind.bound_state();
        self.last_rx = now;
        self.events.push_back(Event::Bound {
            kind: p.kind,
            peer_system_id: p.system_id,
            peer_interface_version: Some(p.interface_version),
        });
        Ok(())
    }

    /// SMSC side: refuses the pending bind with `status` (`ESME_RBINDFAIL` if given
    /// `ESME_ROK`), then closes (`CloseReason::BindRejected`): flush `poll_transmit` first.
    pub fn reject_bind(&mut self, status: CommandStatus) -> Result<(), RespondError> {
        let Some(p) = self.bind_request.take() else {
            return Err(if self.is_closed() {
                RespondError::Closed
            } else {
                RespondError::NoBindPending
            });
        };
        let status = if status.is_ok() {
            CommandStatus::ESME_RBINDFAIL
        } else {
            status
        };
        self.answer_status(p.kind.command_id(), p.seq, status);
        self.close_with(CloseReason::BindRejected(status));
        Ok(())
    }

    /// Queues a request (`submit_sm`, `deliver_sm`, `data_sm`, `query_sm`, ...; also
    /// `enquire_link`) and returns its handle. The request must be allowed for this side in the
    /// current bind state (SMPP 5.0 §2.4). `Event::ResponseReceived` or `Event::RequestFailed`
    /// follows, except for `alert_notification`, which has no response and takes no window slot.
    ///
    /// `SendError::WindowFull` is backpressure: wait for `Event::WindowAvailable`.
    pub fn send_request(&mut self, now: Instant, body: Body) -> Result<RequestHandle, SendError> {
        if self.is_closed() {
            return Err(SendError::Closed);
        }
        let command = body.command_id();
        if command.is_response()
            || BindKind::from_command_id(command).is_some()
            || matches!(command, CommandId::Unbind | CommandId::Outbind)
        {
            return Err(SendError::NotARequest(command));
        }
        if !self.state.allows_request(self.role, command) {
            return Err(SendError::InvalidState {
                command,
                state: self.state,
            });
        }
        if command.response().is_none() {
            let seq = self.next_seq();
            self.queue(&Pdu {
                command_status: CommandStatus::ESME_ROK,
                sequence_number: seq,
                body,
            })?;
            return Ok(RequestHandle(seq));
        }
        if self.window.app_available() == 0 {
            self.window_blocked = true;
            return Err(SendError::WindowFull);
        }
        let seq = self.send_tracked(now, body, Origin::App)?;
        self.stats.window_in_use = self.window.app_in_flight();
        Ok(RequestHandle(seq))
    }

    /// Answers the received request `seq` (from `Event::RequestReceived`) with `status` and
    /// `body`, which must be that request's response (`deliver_sm_resp` for `deliver_sm`...).
    /// On an encoding error nothing is sent and the request still awaits an answer.
    pub fn respond(
        &mut self,
        seq: u32,
        status: CommandStatus,
        body: Body,
    ) -> Result<(), RespondError> {
        if self.is_closed() {
            return Err(RespondError::Closed);
        }
        let request = self
            .inbox
            .get(seq)
            .ok_or(RespondError::UnknownSequence(seq))?;
        let expected = request
            .response()
            .ok_or(RespondError::UnknownSequence(seq))?;
        let got = body.command_id();
        if got != expected {
            return Err(RespondError::WrongBody { expected, got });
        }
        self.queue(&Pdu {
            command_status: status,
            sequence_number: seq,
            body,
        })?;
        self.inbox.take(seq);
        self.stats.inbound_pending = self.inbox.len();
        Ok(())
    }

    /// Answers the received request `seq` with `status` and the response's default (empty)
    /// body: an error response, or an `ESME_ROK` one whose fields are all NULL.
    pub fn respond_status(&mut self, seq: u32, status: CommandStatus) -> Result<(), RespondError> {
        let Some(expected) = self.inbox.get(seq).and_then(CommandId::response) else {
            return Err(if self.is_closed() {
                RespondError::Closed
            } else {
                RespondError::UnknownSequence(seq)
            });
        };
        self.respond(seq, status, Body::default_for(expected))
    }

    /// Starts the unbind handshake (SMPP 5.0 §2.3.5, §4.1.1.8) from a bound state: the state
    /// becomes `Unbound`, no new requests go out, responses to earlier ones are still matched.
    /// When `unbind_resp` arrives (or the response timer runs out) the session closes and any
    /// request still in flight fails with `FailReason::Closed`.
    pub fn unbind(&mut self, now: Instant) -> Result<RequestHandle, SendError> {
        if self.is_closed() {
            return Err(SendError::Closed);
        }
        if !self.state.is_bound() {
            return Err(SendError::InvalidState {
                command: CommandId::Unbind,
                state: self.state,
            });
        }
        let seq = self.send_tracked(now, Body::Unbind, Origin::Unbind)?;
        self.state = BindState::Unbound;
        Ok(RequestHandle(seq))
    }

    /// Closes at once (no `unbind`): requests in flight fail with `FailReason::Closed` and
    /// `Event::Closed { reason: Local }` follows. Whatever is queued may still be written.
    pub fn close(&mut self) {
        self.close_with(CloseReason::Local);
    }

    // ---- internals ----------------------------------------------------------------------

    /// The next free sequence number.
    fn next_seq(&mut self) -> u32 {
        let window = &self.window;
        self.sequence.allocate(|seq| window.contains(seq))
    }

    /// Encodes `pdu` onto the transmit buffer (nothing is written if it does not encode).
    fn queue(&mut self, pdu: &Pdu) -> Result<(), EncodeError> {
        let start = self.tx.len();
        pdu.encode_into(&mut self.tx)?;
        self.stats.bytes_sent += (self.tx.len() - start) as u64;
        let id = pdu.command_id();
        if id.is_response() {
            self.stats.responses_sent.bump(id);
            if !pdu.command_status.is_ok() {
                self.stats.errors_sent.bump(pdu.command_status);
            }
        } else {
            self.stats.requests_sent.bump(id);
        }
        Ok(())
    }

    /// Sends a request that awaits a response and tracks it in the window.
    fn send_tracked(&mut self, now: Instant, body: Body, origin: Origin) -> Result<u32, SendError> {
        let seq = self.next_seq();
        let command_id = body.command_id();
        self.queue(&Pdu {
            command_status: CommandStatus::ESME_ROK,
            sequence_number: seq,
            body,
        })?;
        let inserted = self.window.insert(InFlight {
            seq,
            command_id,
            sent_at: now,
            deadline: now + self.config.response_timeout,
            origin,
        });
        debug_assert!(inserted, "window slot accounting");
        Ok(seq)
    }

    /// Sends `generic_nack` (SMPP 5.0 §4.1.4) with `status`, echoing `seq`.
    fn generic_nack(&mut self, seq: u32, status: CommandStatus) {
        let nack = Pdu {
            command_status: status,
            sequence_number: seq,
            body: Body::GenericNack,
        };
        let sent = self.queue(&nack);
        debug_assert!(sent.is_ok(), "a generic_nack always encodes");
    }

    /// Sends a PDU we built as an answer; should it not encode (a sequence number outside
    /// 1..=0x7FFFFFFF), a `generic_nack` with its status goes instead.
    fn answer(&mut self, pdu: &Pdu) {
        if self.queue(pdu).is_err() {
            self.generic_nack(pdu.sequence_number, pdu.command_status);
        }
    }

    /// Answers the request `request` numbered `seq` with `status` and an empty body: its
    /// `_resp`, or `generic_nack` for a request without one.
    fn answer_status(&mut self, request: CommandId, seq: u32, status: CommandStatus) {
        match request.response() {
            Some(resp) => self.answer(&Pdu {
                command_status: status,
                sequence_number: seq,
                body: Body::default_for(resp),
            }),
            None => self.generic_nack(seq, status),
        }
    }

    /// Completes a request that left the window.
    fn settle(&mut self, now: Instant, entry: InFlight, outcome: Outcome) {
        match entry.origin {
            Origin::App => {
                let event = match outcome {
                    Outcome::Response(pdu) => Event::ResponseReceived {
                        seq: entry.seq,
                        command_id: entry.command_id,
                        sent_at: entry.sent_at,
                        pdu,
                    },
                    Outcome::Failed(reason) => Event::RequestFailed {
                        seq: entry.seq,
                        command_id: entry.command_id,
                        sent_at: entry.sent_at,
                        reason,
                    },
                };
                self.events.push_back(event);
                if self.window_blocked && !self.is_closed() && self.window.app_available() > 0 {
                    self.window_blocked = false;
                    self.events.push_back(Event::WindowAvailable);
                }
            }
            Origin::EnquireLink => {
                self.enquire_outstanding = false;
                if let Outcome::Failed(FailReason::Timeout) = outcome {
                    self.close_with(CloseReason::EnquireLinkTimeout);
                }
            }
            Origin::Bind => {
                self.binding = false;
                match outcome {
                    Outcome::Response(pdu) if pdu.command_status.is_ok() => {
                        self.on_bound(now, entry.command_id, pdu)
                    }
                    Outcome::Response(pdu) => {
                        self.close_with(CloseReason::BindRejected(pdu.command_status))
                    }
                    Outcome::Failed(reason) => self.close_with(CloseReason::BindFailed(reason)),
                }
            }
            Origin::Unbind => {
                let reason = match outcome {
                    _ if self.inactivity_unbind => CloseReason::Inactivity,
                    Outcome::Failed(FailReason::Timeout) => CloseReason::UnbindTimeout,
                    _ => CloseReason::Unbound { by: Side::Local },
                };
                self.close_with(reason);
            }
        }
    }

    /// ESME side: the bind was accepted.
    fn on_bound(&mut self, now: Instant, request: CommandId, pdu: Pdu) {
        let Some(kind) = BindKind::from_command_id(request) else {
            return;
        };
        let (peer_system_id, peer_interface_version) = match pdu.body {
            Body::BindTransmitterResp(r)
            | Body::BindReceiverResp(r)
            | Body::BindTransceiverResp(r) => {
                let version = r.tlvs.sc_interface_version();
                (r.system_id, version)
            }
            _ => (COctetString::empty(), None),
        };
        self.state = kind.bound_state();
        self.last_rx = now;
        self.events.push_back(Event::Bound {
            kind,
            peer_system_id,
            peer_interface_version,
        });
    }

    /// Ends the session: requests in flight fail with `Closed`, inbound requests are dropped,
    /// `Event::Closed` is the last event.
    fn close_with(&mut self, reason: CloseReason) {
        if self.is_closed() {
            return;
        }
        self.state = BindState::Closed;
        while let Some(entry) = self.window.pop_oldest() {
            if entry.origin == Origin::App {
                self.events.push_back(Event::RequestFailed {
                    seq: entry.seq,
                    command_id: entry.command_id,
                    sent_at: entry.sent_at,
                    reason: FailReason::Closed,
                });
            }
        }
        self.inbox.clear();
        self.bind_request = None;
        self.binding = false;
        self.enquire_outstanding = false;
        self.window_blocked = false;
        self.rx.clear();
        self.events.push_back(Event::Closed { reason });
        self.sync_gauges();
    }

    fn sync_gauges(&mut self) {
        self.stats.window_in_use = self.window.app_in_flight();
        self.stats.inbound_pending = self.inbox.len();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn bound_pair(t0: Instant) -> (Session, Session) {
        let mut esme = Session::new(Role::Esme, SessionConfig::default(), t0);
        let mut smsc = Session::new(Role::Smsc, SessionConfig::default(), t0);
        let bind = Bind {
            system_id: "esme".try_into().unwrap(),
            password: "pw".try_into().unwrap(),
            interface_version: 0x34,
            ..Bind::default()
        };
        esme.bind(t0, BindKind::Transceiver, bind).unwrap();
        smsc.handle_input(t0, &esme.poll_transmit().unwrap());
        assert!(matches!(smsc.poll_event(), Some(Event::BindRequested(_))));
        smsc.accept_bind(t0, "smsc".try_into().unwrap()).unwrap();
        esme.handle_input(t0, &smsc.poll_transmit().unwrap());
        assert!(matches!(esme.poll_event(), Some(Event::Bound { .. })));
        assert!(matches!(smsc.poll_event(), Some(Event::Bound { .. })));
        (esme, smsc)
    }

    #[test]
    fn enquire_link_is_answered_without_an_event() {
        let t0 = Instant::now();
        let (mut esme, mut smsc) = bound_pair(t0);
        let t1 = t0 + Duration::from_secs(30);
        assert_eq!(esme.poll_timeout(), Some(t1));
        esme.handle_timeout(t1);
        let probe = esme.poll_transmit().unwrap();
        smsc.handle_input(t1, &probe);
        assert!(smsc.poll_event().is_none());
        esme.handle_input(t1, &smsc.poll_transmit().unwrap());
        assert!(esme.poll_event().is_none());
        assert_eq!(
            esme.stats()
                .responses_received
                .get(CommandId::EnquireLinkResp),
            1
        );
        assert_eq!(esme.poll_timeout(), Some(t1 + Duration::from_secs(30)));
    }

    #[test]
    fn debug_is_short_and_secret_free() {
        let t0 = Instant::now();
        let (esme, _) = bound_pair(t0);
        let s = format!("{esme:?}");
        assert!(s.contains("BoundTrx"));
        assert!(!s.contains("pw"));
    }
}
