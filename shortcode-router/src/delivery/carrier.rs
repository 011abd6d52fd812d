//! The narrow carrier seam the MT pipeline submits through ([`Carrier`]) and its two
//! implementations: [`PoolCarrier`], a carrier of an smsc-client bind pool (several binds,
//! window and TPS limits per bind and per carrier, retries, rebind with backoff, failover and
//! failback; what every transmitting carrier of the service uses), and [`EsmeCarrier`], one
//! ESME bind kept up by hand (receiver-only carriers, which a pool cannot serve). Both unbind
//! cleanly on shutdown and hand the SMSC's requests (receipts and MOs) to an [`InboundSink`].

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use smpp_codec::receipt::MessageIdForm;
use smpp_codec::{CommandStatus, SubmitSm};
use smsc_client::esme::{EsmeClient, EsmeConfig, Handle, Inbound, InboundRequest, RequestError};
use smsc_client::pool::{
    BindPhase, Correlation, CorrelationError, Correlator, MemoryCorrelator, Pool, PoolConfig,
    PoolConfigError, PoolEvent, SubmitFailure,
};

use crate::store::messages::MessageStore;
use tokio::sync::{RwLock, watch};

/// Why a submission did not get a `message_id`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubmitError {
    /// The carrier answered with an error `command_status`.
    #[error("the carrier answered {0}")]
    Status(CommandStatus),
    /// No bind is up, or the bind closed before the answer.
    #[error("carrier unavailable: {0}")]
    Unavailable(String),
    /// The carrier's own retries (a bind pool's: temporary errors, throttling, no bind for its
    /// unavailable timeout) are spent: trying again here would only repeat them.
    #[error("carrier gave up: {detail}")]
    GaveUp {
        /// The last `command_status` the carrier answered, when there was one.
        status: Option<CommandStatus>,
        /// What happened.
        detail: String,
    },
}

impl SubmitError {
    /// `true` when trying again later may succeed.
    pub fn is_temporary(&self) -> bool {
        match self {
            SubmitError::Status(s) => s.is_temporary(),
            SubmitError::Unavailable(_) => true,
            SubmitError::GaveUp { .. } => false,
        }
    }
}

/// Somewhere to submit `submit_sm`s: one bind now, a pool later.
pub trait Carrier: Send + Sync + 'static {
    /// The carrier's name (as in config, in receipts' correlation keys).
    fn name(&self) -> &str;
    /// How its receipts write the `submit_sm_resp` id.
    fn id_form(&self) -> MessageIdForm {
        MessageIdForm::AsIs
    }
    /// Submits one part; resolves to the carrier's `message_id`.
    fn submit(&self, pdu: SubmitSm) -> BoxFuture<'_, Result<String, SubmitError>>;
    /// Submits one part of message `message_id` (the id its receipts correlate to in the
    /// carrier's logs); by default [`submit`](Self::submit).
    fn submit_part<'a>(
        &'a self,
        message_id: &'a str,
        pdu: SubmitSm,
    ) -> BoxFuture<'a, Result<String, SubmitError>> {
        let _ = message_id;
        self.submit(pdu)
    }
    /// Binds currently up (for `/readyz` and `/metrics`).
    fn binds_up(&self) -> usize;
    /// Unbinds cleanly and stops reconnecting.
    fn shutdown(&self) -> BoxFuture<'_, ()>;
    /// Closes the binds at once (no unbind) and stops binding again: a killed process.
    fn abort(&self) {}
    /// Waits until at least one bind is up, at most `timeout`; `true` when one is.
    fn wait_bound(&self, timeout: Duration) -> BoxFuture<'_, bool> {
        Box::pin(async move {
            let deadline = tokio::time::Instant::now() + timeout;
            while self.binds_up() == 0 {
                if tokio::time::Instant::now() >= deadline {
                    return false;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            true
        })
    }
}

/// Receives what the SMSC sends on a bind: receipts and MOs.
pub trait InboundSink: Send + Sync + 'static {
    /// One request from `carrier`'s bind; answer it through its responder.
    fn handle(&self, carrier: &str, request: InboundRequest) -> BoxFuture<'_, ()>;
}

/// A carrier over one ESME bind, kept up by a background task.
pub struct EsmeCarrier {
    name: String,
    id_form: MessageIdForm,
    handle: Arc<RwLock<Option<Handle>>>,
    up: watch::Receiver<bool>,
    stop: watch::Sender<bool>,
    task: std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl std::fmt::Debug for EsmeCarrier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EsmeCarrier")
            .field("name", &self.name)
            .field("up", &*self.up.borrow())
            .finish_non_exhaustive()
    }
}

impl EsmeCarrier {
    /// Starts binding `config` as carrier `name`; requests from the SMSC go to `sink`.
    pub fn start(
        name: &str,
        config: EsmeConfig,
        id_form: MessageIdForm,
        sink: Arc<dyn InboundSink>,
    ) -> Arc<Self> {
        let (up_tx, up) = watch::channel(false);
        let (stop, stop_rx) = watch::channel(false);
        let handle = Arc::new(RwLock::new(None));
        let task = tokio::spawn(keep_bound(
            name.to_owned(),
            config,
            handle.clone(),
            up_tx,
            stop_rx,
            sink,
        ));
        Arc::new(EsmeCarrier {
            name: name.to_owned(),
            id_form,
            handle,
            up,
            stop,
            task: std::sync::Mutex::new(Some(task)),
        })
    }
}

async fn keep_bound(
    name: String,
    config: EsmeConfig,
    slot: Arc<RwLock<Option<Handle>>>,
    up: watch::Sender<bool>,
    mut stop: watch::Receiver<bool>,
    sink: Arc<dyn InboundSink>,
) {
    let mut backoff = Duration::from_millis(200);
    loop {
        if *stop.borrow() {
            break;
        }
        let connected = tokio::select! {
            r = EsmeClient::connect(config.clone()) => r,
            _ = stopped(&mut stop) => break,
        };
        match connected {
            Ok((handle, inbound)) => {
                backoff = Duration::from_millis(200);
                tracing::info!(carrier = %name, bind = %handle.info().name, "bound");
                metrics::gauge!("router_binds_up", "carrier" => name.clone()).set(1.0);
                *slot.write().await = Some(handle.clone());
                let _ = up.send(true);
                let pump = tokio::spawn(pump_inbound(name.clone(), inbound, sink.clone()));
                tokio::select! {
                    reason = handle.closed() => {
                        tracing::warn!(carrier = %name, ?reason, "bind closed; rebinding");
                    }
                    _ = stopped(&mut stop) => {
                        let _ = tokio::time::timeout(Duration::from_secs(5), handle.unbind()).await;
                        handle.close();
                    }
                }
                let _ = up.send(false);
                metrics::gauge!("router_binds_up", "carrier" => name.clone()).set(0.0);
                *slot.write().await = None;
                let _ = tokio::time::timeout(Duration::from_secs(5), pump).await;
            }
            Err(e) => {
                tracing::warn!(carrier = %name, error = %e, retry_in = ?backoff, "bind failed");
                if !e.is_temporary() {
                    backoff = Duration::from_secs(30);
                }
            }
        }
        if *stop.borrow() {
            break;
        }
        let jitter = Duration::from_millis(rand::random_range(0..=backoff.as_millis() as u64 / 4));
        tokio::select! {
            _ = tokio::time::sleep(backoff + jitter) => {}
            _ = stopped(&mut stop) => break,
        }
        backoff = (backoff * 2).min(Duration::from_secs(30));
    }
}

async fn pump_inbound(name: String, mut inbound: Inbound, sink: Arc<dyn InboundSink>) {
    while let Some(req) = inbound.recv().await {
        let sink = sink.clone();
        let name = name.clone();
        tokio::spawn(async move { sink.handle(&name, req).await });
    }
}

impl Carrier for EsmeCarrier {
    fn name(&self) -> &str {
        &self.name
    }

    fn id_form(&self) -> MessageIdForm {
        self.id_form
    }

    fn submit(&self, pdu: SubmitSm) -> BoxFuture<'_, Result<String, SubmitError>> {
        Box::pin(async move {
            let handle = self.handle.read().await.clone();
            let Some(handle) = handle else {
                return Err(SubmitError::Unavailable(format!(
                    "no bind to {} is up",
                    self.name
                )));
            };
            match handle.submit_sm(pdu).await {
                Ok(resp) => Ok(String::from_utf8_lossy(resp.message_id.as_bytes()).into_owned()),
                Err(RequestError::Status { status, .. }) => Err(SubmitError::Status(status)),
                Err(e) => Err(SubmitError::Unavailable(e.to_string())),
            }
        })
    }

    fn binds_up(&self) -> usize {
        usize::from(*self.up.borrow())
    }

    fn abort(&self) {
        let _ = self.stop.send(true);
        if let Some(t) = self.task.lock().unwrap_or_else(|e| e.into_inner()).take() {
            t.abort();
        }
        if let Ok(slot) = self.handle.try_read()
            && let Some(h) = slot.as_ref()
        {
            h.close();
        }
    }

    fn wait_bound(&self, timeout: Duration) -> BoxFuture<'_, bool> {
        Box::pin(async move {
            let mut up = self.up.clone();
            tokio::time::timeout(timeout, up.wait_for(|v| *v))
                .await
                .is_ok_and(|r| r.is_ok())
        })
    }

    fn shutdown(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let _ = self.stop.send(true);
            let task = self.task.lock().unwrap_or_else(|e| e.into_inner()).take();
            if let Some(t) = task {
                let _ = tokio::time::timeout(Duration::from_secs(10), t).await;
            }
        })
    }
}

async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|v| *v).await;
}

/// The router's receipt correlation for a bind pool: the pool records each accepted part's
/// message id here (in memory, bounded) and looks receipts up here first, then in the message
/// history (receipts of parts sent before a restart), so a known receipt is handed over at
/// once instead of waiting for its `submit_sm_resp`. The MT pipeline then resolves the receipt
/// to its part itself ([`crate::delivery::MtService::handle_receipt`]), which also orders it
/// after the part's `sent`.
pub struct StoreCorrelator {
    memory: MemoryCorrelator,
    store: MessageStore,
}

impl StoreCorrelator {
    /// Over the message history `store`, remembering up to `capacity` recent ids in memory.
    pub fn new(store: MessageStore, capacity: usize) -> Self {
        StoreCorrelator {
            memory: MemoryCorrelator::new(capacity),
            store,
        }
    }
}

impl Correlator for StoreCorrelator {
    fn record<'a>(
        &'a self,
        carrier: &'a str,
        key: &'a str,
        correlation: Correlation,
    ) -> BoxFuture<'a, Result<(), CorrelationError>> {
        self.memory.record(carrier, key, correlation)
    }

    fn lookup<'a>(
        &'a self,
        carrier: &'a str,
        key: &'a str,
    ) -> BoxFuture<'a, Result<Option<Correlation>, CorrelationError>> {
        Box::pin(async move {
            if let Some(c) = self.memory.lookup(carrier, key).await? {
                return Ok(Some(c));
            }
            let found = self
                .store
                .find_part(carrier, key)
                .await
                .map_err(|e| CorrelationError(e.to_string()))?;
            Ok(found.map(|(caller_id, part)| Correlation {
                caller_id,
                part: u8::try_from(part).unwrap_or(u8::MAX),
                parts: 0,
            }))
        })
    }
}

/// One carrier of a bind pool (shared by every carrier of the service): MTs go out over any of
/// its bound transmitters or transceivers; what the SMSC sends on any of its binds goes to the
/// service's [`InboundSink`] (see [`start_pool`]).
pub struct PoolCarrier {
    name: String,
    id_form: MessageIdForm,
    pool: Pool,
    pump: Arc<std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>>,
}

impl std::fmt::Debug for PoolCarrier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PoolCarrier")
            .field("name", &self.name)
            .field("binds_up", &self.binds_up())
            .finish_non_exhaustive()
    }
}

/// Starts a bind pool over `config` (receipts correlated by `correlator`) and returns one
/// [`PoolCarrier`] per configured carrier. Every receipt and MO from any bind goes to `sink`
/// (each handled on its own task, answered once the sink has stored it).
pub fn start_pool(
    config: PoolConfig,
    correlator: Arc<dyn Correlator>,
    sink: Arc<dyn InboundSink>,
) -> Result<Vec<Arc<PoolCarrier>>, PoolConfigError> {
    // How each carrier's receipts write its message ids (checked by the pool's validation).
    let forms: std::collections::HashMap<String, MessageIdForm> = config
        .carriers
        .iter()
        .map(|c| {
            (
                c.name.clone(),
                c.message_id_form.parse().unwrap_or_default(),
            )
        })
        .collect();
    let (pool, mut events) = Pool::start_with(config, correlator)?;
    let pump = tokio::spawn(async move {
        while let Some(ev) = events.recv().await {
            let (carrier, req) = match ev {
                PoolEvent::Receipt(r) => (r.carrier.clone(), r.into_request()),
                PoolEvent::Mo(m) => (m.carrier.clone(), m.into_request()),
            };
            let sink = sink.clone();
            tokio::spawn(async move { sink.handle(&carrier, req).await });
        }
    });
    let pump = Arc::new(std::sync::Mutex::new(Some(pump)));
    Ok(pool
        .carriers()
        .into_iter()
        .map(|name| {
            Arc::new(PoolCarrier {
                id_form: forms.get(&name).copied().unwrap_or_default(),
                name,
                pool: pool.clone(),
                pump: pump.clone(),
            })
        })
        .collect())
}

impl PoolCarrier {
    /// The pool behind the carrier (bind states, counters).
    pub fn pool(&self) -> &Pool {
        &self.pool
    }
}

fn gave_up(f: &SubmitFailure) -> SubmitError {
    SubmitError::GaveUp {
        status: f.command_status(),
        detail: f.to_string(),
    }
}

impl Carrier for PoolCarrier {
    fn name(&self) -> &str {
        &self.name
    }

    fn id_form(&self) -> MessageIdForm {
        self.id_form
    }

    fn submit(&self, pdu: SubmitSm) -> BoxFuture<'_, Result<String, SubmitError>> {
        self.submit_part("", pdu)
    }

    fn submit_part<'a>(
        &'a self,
        message_id: &'a str,
        pdu: SubmitSm,
    ) -> BoxFuture<'a, Result<String, SubmitError>> {
        Box::pin(async move {
            let ticket = self
                .pool
                .enqueue_parts(message_id, &self.name, vec![pdu])
                .await
                .map_err(|e| SubmitError::GaveUp {
                    status: None,
                    detail: e.to_string(),
                })?;
            let mut outcome = ticket.await;
            match outcome.result {
                Ok(()) => outcome
                    .message_ids
                    .pop()
                    .ok_or_else(|| SubmitError::GaveUp {
                        status: None,
                        detail: "accepted without a message id".into(),
                    }),
                Err(SubmitFailure::Rejected(status)) => Err(SubmitError::Status(status)),
                Err(f) => Err(gave_up(&f)),
            }
        })
    }

    fn binds_up(&self) -> usize {
        let up = self
            .pool
            .bind_statuses()
            .iter()
            .filter(|s| s.carrier == self.name && s.phase == BindPhase::Bound)
            .count();
        // The one-bind carrier's gauge, kept (as a count) for dashboards that read it.
        metrics::gauge!("router_binds_up", "carrier" => self.name.clone()).set(up as f64);
        up
    }

    fn shutdown(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            self.pool.shutdown().await;
            let pump = self.pump.lock().unwrap_or_else(|e| e.into_inner()).take();
            if let Some(p) = pump {
                p.abort();
            }
        })
    }

    fn abort(&self) {
        self.pool.abort();
        if let Some(p) = self.pump.lock().unwrap_or_else(|e| e.into_inner()).take() {
            p.abort();
        }
    }
}
