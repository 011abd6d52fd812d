//! What the carriers send back: delivery receipts resolved to the caller's id through the
//! [`Correlator`](super::Correlator), and MO messages, as one stream of [`PoolEvent`]s. Each
//! event holds the SMSC's request unanswered until the application calls `ack` (or `reject`);
//! an event dropped unanswered answers `ESME_RX_T_APPN`, so the SMSC delivers it again
//! (nothing is lost). A receipt that arrives before its `submit_sm_resp` waits (parked) for
//! up to the carrier's `receipt_wait_ms` for the id to be recorded.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use futures::Stream;
use smpp_codec::receipt::{OwnedReceipt, Receipt};
use smpp_codec::{CommandStatus, Pdu};
use tokio::sync::mpsc;

use super::correlation::Correlation;
use super::pool::CarrierShared;
use super::state::Counters;
use crate::net::{Inbound, InboundRequest, Responder};

/// Something a carrier sent.
#[derive(Debug)]
pub enum PoolEvent {
    /// A delivery receipt (or intermediate notification).
    Receipt(ReceiptEvent),
    /// A mobile-originated message (or any other `deliver_sm` / `data_sm` that is no receipt).
    Mo(MoEvent),
}

/// A receipt, resolved to the caller's id when the message id is known.
#[derive(Debug)]
pub struct ReceiptEvent {
    /// The carrier.
    pub carrier: String,
    /// The bind it came on.
    pub bind: String,
    /// The receipt's message id, as the carrier wrote it.
    pub message_id: String,
    /// The caller's id and part, when the id resolved.
    pub correlation: Option<Correlation>,
    /// The receipt.
    pub receipt: OwnedReceipt,
    pdu: Box<Pdu>,
    responder: Option<Responder>,
}

impl ReceiptEvent {
    /// Acknowledges the receipt to the SMSC (`deliver_sm_resp` OK). Call it once the receipt
    /// is stored.
    pub fn ack(mut self) {
        if let Some(r) = self.responder.take() {
            r.ok();
        }
    }

    /// Answers with `status` (a temporary one, e.g. `ESME_RX_T_APPN`, asks for redelivery).
    pub fn reject(mut self, status: CommandStatus) {
        if let Some(r) = self.responder.take() {
            r.reject(status);
        }
    }

    /// The `deliver_sm` / `data_sm` the receipt came in, with its responder: for an
    /// application that reads the request itself (answer it through the request).
    pub fn into_request(self) -> InboundRequest {
        InboundRequest::new(*self.pdu, self.responder)
    }
}

/// An MO message (any `deliver_sm` / `data_sm` that is no receipt).
#[derive(Debug)]
pub struct MoEvent {
    /// The carrier.
    pub carrier: String,
    /// The bind it came on.
    pub bind: String,
    /// The request.
    pub pdu: Pdu,
    responder: Option<Responder>,
}

impl MoEvent {
    /// Acknowledges the message (`ESME_ROK`).
    pub fn ack(mut self) {
        if let Some(r) = self.responder.take() {
            r.ok();
        }
    }

    /// Answers with `status`.
    pub fn reject(mut self, status: CommandStatus) {
        if let Some(r) = self.responder.take() {
            r.reject(status);
        }
    }

    /// Takes the responder, to answer with a body of one's own.
    pub fn take_responder(&mut self) -> Option<Responder> {
        self.responder.take()
    }

    /// The request with its responder, as a bind's [`Inbound`] would hand it over.
    pub fn into_request(self) -> InboundRequest {
        InboundRequest::new(self.pdu, self.responder)
    }
}

impl PoolEvent {
    /// Acknowledges whichever it is.
    pub fn ack(self) {
        match self {
            PoolEvent::Receipt(r) => r.ack(),
            PoolEvent::Mo(m) => m.ack(),
        }
    }
}

/// The stream of [`PoolEvent`]s from every carrier. Bounded: while the application is behind,
/// binds stop reading and the SMSCs are answered "queue full" by the sessions.
#[derive(Debug)]
pub struct PoolEvents {
    rx: mpsc::Receiver<PoolEvent>,
}

impl PoolEvents {
    pub(crate) fn new(rx: mpsc::Receiver<PoolEvent>) -> Self {
        PoolEvents { rx }
    }

    /// The next event; `None` once the pool is shut down.
    pub async fn recv(&mut self) -> Option<PoolEvent> {
        self.rx.recv().await
    }
}

impl Stream for PoolEvents {
    type Item = PoolEvent;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<PoolEvent>> {
        self.rx.poll_recv(cx)
    }
}

/// Receipts waiting for their submit_sm_resp, by normalised id. Whoever takes an entry
/// (the lookup after parking, the submission recording the id, or the expiry) delivers it,
/// so each is delivered exactly once in every interleaving.
#[derive(Default)]
pub(crate) struct Parked {
    map: Mutex<HashMap<String, Vec<(u64, ReceiptEvent)>>>,
    next: AtomicU64,
}

impl Parked {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Vec<(u64, ReceiptEvent)>>> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn park(&self, key: &str, ev: ReceiptEvent) -> u64 {
        let token = self.next.fetch_add(1, Ordering::Relaxed);
        self.lock()
            .entry(key.to_owned())
            .or_default()
            .push((token, ev));
        token
    }

    fn take_one(&self, key: &str, token: u64) -> Option<ReceiptEvent> {
        let mut g = self.lock();
        let v = g.get_mut(key)?;
        let i = v.iter().position(|(t, _)| *t == token)?;
        let (_, ev) = v.swap_remove(i);
        if v.is_empty() {
            g.remove(key);
        }
        Some(ev)
    }

    /// Every receipt parked under `key`.
    pub(crate) fn take_all(&self, key: &str) -> Vec<ReceiptEvent> {
        let mut g = self.lock();
        if g.is_empty() {
            return Vec::new();
        }
        g.remove(key)
            .map(|v| v.into_iter().map(|(_, e)| e).collect())
            .unwrap_or_default()
    }
}

impl CarrierShared {
    /// Hands a resolved or expired receipt to the application.
    pub(crate) async fn deliver_receipt(&self, ev: ReceiptEvent) {
        if ev.correlation.is_some() {
            Counters::bump(&self.counters.receipts_correlated);
            self.metrics.receipts_correlated.increment(1);
        } else {
            self.metrics.receipts_uncorrelated.increment(1);
        }
        // A closed stream drops the event: its responder answers ESME_RX_T_APPN.
        let _ = self.events.send(PoolEvent::Receipt(ev)).await;
    }

    /// After a submission's id is recorded: delivers receipts that came first.
    pub(crate) fn release_parked(self: &Arc<Self>, key: &str, correlation: &Correlation) {
        for mut ev in self.parked.take_all(key) {
            ev.correlation = Some(correlation.clone());
            let me = self.clone();
            tokio::spawn(async move { me.deliver_receipt(ev).await });
        }
    }
}

/// Reads one bind's requests until the session ends.
pub(crate) async fn receive_loop(shared: Arc<CarrierShared>, bind: Arc<str>, mut inbound: Inbound) {
    let wait = Duration::from_millis(shared.config.receipt_wait_ms);
    while let Some(req) = inbound.recv().await {
        let (pdu, responder) = req.into_parts();
        let receipt = match Receipt::from_body(&pdu.body) {
            None => None,
            Some(Ok(r)) => Some(r.to_owned_receipt()),
            Some(Err(e)) => {
                tracing::debug!(error = %e, "pool: malformed receipt refused");
                if let Some(r) = responder {
                    r.reject(e.command_status());
                }
                continue;
            }
        };
        let Some(receipt) = receipt else {
            let ev = MoEvent {
                carrier: shared.name.to_string(),
                bind: bind.to_string(),
                pdu,
                responder,
            };
            let _ = shared.events.send(PoolEvent::Mo(ev)).await;
            continue;
        };
        Counters::bump(&shared.counters.receipts);
        let key = shared.id_form.receipt_key(&receipt.message_id);
        let ev = ReceiptEvent {
            carrier: shared.name.to_string(),
            bind: bind.to_string(),
            message_id: receipt.message_id.clone(),
            correlation: None,
            receipt,
            pdu: Box::new(pdu),
            responder,
        };
        // Park first, then look up: a submission recording the id in between finds it parked.
        let token = shared.parked.park(&key, ev);
        match shared.correlator.lookup(&shared.name, &key).await {
            Ok(Some(c)) => {
                if let Some(mut ev) = shared.parked.take_one(&key, token) {
                    ev.correlation = Some(c);
                    shared.deliver_receipt(ev).await;
                }
            }
            Ok(None) => {
                let shared = shared.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(wait).await;
                    if let Some(ev) = shared.parked.take_one(&key, token) {
                        shared.deliver_receipt(ev).await;
                    }
                });
            }
            Err(e) => {
                tracing::warn!(error = %e, "pool: receipt lookup failed; asking for redelivery");
                if let Some(ev) = shared.parked.take_one(&key, token) {
                    ev.reject(CommandStatus::ESME_RX_T_APPN);
                }
            }
        }
    }
}
