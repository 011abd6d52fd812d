//! [`Pool`]: starts every carrier's binds (one supervisor task each) and dispatcher, routes
//! and queues messages ([`Pool::submit`], [`Pool::enqueue`] with its [`Ticket`]), reports bind
//! states and carrier counters, and shuts down cleanly (queued messages fail, in-flight ones
//! get their answers, then every bind unbinds).

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use smpp_codec::SubmitSm;
use smpp_codec::coding::DefaultAlphabet;
use smpp_codec::concat::Splitter;
use smpp_codec::receipt::MessageIdForm;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use super::bind::BindTask;
use super::config::{CarrierConfig, PoolConfig, PoolConfigError};
use super::correlation::{Correlator, MemoryCorrelator};
use super::dispatch::{Control, Dispatcher, Job};
use super::message::{OutboundMessage, Outcome, SubmitError, SubmitFailure, build_parts};
use super::metrics::{BindMetrics, CarrierMetrics};
use super::receipts::{Parked, PoolEvent, PoolEvents};
use super::routing::RouteTable;
use super::state::{BindPhase, BindStatus, CarrierStats, Counters};
use crate::session::BindKind;

/// Room in each carrier's intake channel (the dispatcher holds up to `queue_capacity` more).
const INTAKE: usize = 1024;

/// What a carrier's tasks share.
pub(crate) struct CarrierShared {
    pub(crate) name: Arc<str>,
    pub(crate) config: CarrierConfig,
    pub(crate) id_form: MessageIdForm,
    pub(crate) correlator: Arc<dyn Correlator>,
    pub(crate) parked: Parked,
    pub(crate) events: mpsc::Sender<PoolEvent>,
    pub(crate) counters: Counters,
    pub(crate) metrics: CarrierMetrics,
    statuses: Mutex<Vec<BindStatus>>,
    bind_metrics: Vec<BindMetrics>,
}

impl CarrierShared {
    pub(crate) fn lock_statuses(&self) -> std::sync::MutexGuard<'_, Vec<BindStatus>> {
        self.statuses.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn bind_metrics_state(&self, slot: usize, phase: BindPhase) {
        if let Some(m) = self.bind_metrics.get(slot) {
            m.state.set(phase.gauge());
        }
    }
}

struct Carrier {
    shared: Arc<CarrierShared>,
    intake: mpsc::Sender<Job>,
    control: mpsc::UnboundedSender<Control>,
    alphabet: DefaultAlphabet,
    splitter: Mutex<Splitter>,
}

struct Inner {
    carriers: Vec<Carrier>,
    by_name: HashMap<String, usize>,
    routes: RouteTable,
    shutdown: watch::Sender<bool>,
    kill: watch::Sender<bool>,
    dispatchers: Mutex<Vec<JoinHandle<()>>>,
    binds: Mutex<Vec<JoinHandle<()>>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // The last handle is gone: unbind everything.
        let _ = self.shutdown.send(true);
    }
}

/// A set of carriers, each a set of binds kept up, with MT routing, TPS limits, retries and
/// receipt correlation. Cheap to clone; every clone drives the same pool. Dropping the last
/// clone unbinds every bind.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use smsc_client::pool::{OutboundMessage, Pool, PoolConfig, PoolEvent};
/// let config = PoolConfig::from_file("carriers.toml".as_ref())?;
/// let (pool, mut events) = Pool::start(config)?;
/// tokio::spawn(async move {
///     while let Some(ev) = events.recv().await {
///         if let PoolEvent::Receipt(r) = &ev {
///             println!("{:?}: {:?}", r.correlation, r.receipt.state);
///         }
///         ev.ack(); // after storing it
///     }
/// });
/// let outcome = pool
///     .submit(OutboundMessage::text("order-17", "ACME", "+447700900123", "Hello").with_receipt())
///     .await?;
/// println!("{} via {}: {:?}", outcome.id, outcome.carrier, outcome.result);
/// pool.shutdown().await;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Pool {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("carriers", &self.carriers())
            .finish_non_exhaustive()
    }
}

impl Pool {
    /// Validates `config` and starts every bind, with an in-memory correlator. Needs a tokio
    /// runtime. Returns the pool and the stream of receipts and MO messages, which the
    /// application must read (and `ack`) for receipts to be acknowledged.
    pub fn start(config: PoolConfig) -> Result<(Pool, PoolEvents), PoolConfigError> {
        Self::start_with(config, Arc::new(MemoryCorrelator::default()))
    }

    /// Like [`start`](Self::start), with the application's correlation store.
    pub fn start_with(
        config: PoolConfig,
        correlator: Arc<dyn Correlator>,
    ) -> Result<(Pool, PoolEvents), PoolConfigError> {
        config.validate()?;
        let (events_tx, events_rx) = mpsc::channel(config.event_capacity.unwrap_or(1024).max(1));
        let (shutdown, shutdown_rx) = watch::channel(false);
        let (kill, kill_rx) = watch::channel(false);
        let mut carriers = Vec::new();
        let mut by_name = HashMap::new();
        let mut dispatchers = Vec::new();
        let mut binds = Vec::new();
        let mut tasks = Vec::new();
        for c in &config.carriers {
            let name: Arc<str> = c.name.as_str().into();
            let kinds = c.binds.kinds();
            let mut counts = [0usize; 3];
            let names: Vec<Arc<str>> = kinds
                .iter()
                .map(|k| {
                    let (i, tag) = match k {
                        BindKind::Transmitter => (0, "tx"),
                        BindKind::Transceiver => (1, "trx"),
                        BindKind::Receiver => (2, "rx"),
                    };
                    counts[i] += 1;
                    format!("{name}/{tag}{}", counts[i]).into()
                })
                .collect();
            let now = Instant::now();
            let statuses = kinds
                .iter()
                .zip(&names)
                .map(|(k, n)| BindStatus {
                    carrier: c.name.clone(),
                    name: n.to_string(),
                    kind: *k,
                    phase: BindPhase::Connecting,
                    host: c.hosts[0].clone(),
                    since: now,
                    binds: 0,
                    last_error: None,
                    tps: 0.0,
                    in_flight: 0,
                    sent: 0,
                    throttled: 0,
                })
                .collect();
            let shared = Arc::new(CarrierShared {
                name: name.clone(),
                id_form: c.id_form().unwrap_or_default(),
                config: c.clone(),
                correlator: correlator.clone(),
                parked: Parked::default(),
                events: events_tx.clone(),
                counters: Counters::default(),
                metrics: CarrierMetrics::new(&name),
                statuses: Mutex::new(statuses),
                bind_metrics: names.iter().map(|n| BindMetrics::new(&name, n)).collect(),
            });
            let (intake_tx, intake_rx) = mpsc::channel(INTAKE);
            let (control_tx, control_rx) = mpsc::unbounded_channel();
            let submitting = c.binds.submitting();
            let dispatcher =
                Dispatcher::new(shared.clone(), intake_rx, control_rx, &names[..submitting]);
            dispatchers.push(dispatcher);
            for (slot, (kind, n)) in kinds.iter().zip(&names).enumerate() {
                tasks.push(BindTask {
                    shared: shared.clone(),
                    slot,
                    kind: *kind,
                    name: n.clone(),
                    control: (slot < submitting).then(|| control_tx.clone()),
                    shutdown: shutdown_rx.clone(),
                    kill: kill_rx.clone(),
                });
            }
            by_name.insert(c.name.clone(), carriers.len());
            carriers.push(Carrier {
                alphabet: c.alphabet().unwrap_or_default(),
                splitter: Mutex::new(Splitter::new(c.concat_mode().unwrap_or_default())),
                shared,
                intake: intake_tx,
                control: control_tx,
            });
        }
        let dispatchers = dispatchers
            .into_iter()
            .map(|d| tokio::spawn(d.run()))
            .collect();
        for t in tasks {
            binds.push(tokio::spawn(t.run()));
        }
        let pool = Pool {
            inner: Arc::new(Inner {
                carriers,
                by_name,
                routes: RouteTable::new(&config.routing),
                shutdown,
                kill,
                dispatchers: Mutex::new(dispatchers),
                binds: Mutex::new(binds),
            }),
        };
        Ok((pool, PoolEvents::new(events_rx)))
    }

    /// The carriers' names, in configuration order.
    pub fn carriers(&self) -> Vec<String> {
        self.inner
            .carriers
            .iter()
            .map(|c| c.shared.name.to_string())
            .collect()
    }

    /// The carrier the route table picks for `destination`.
    pub fn route(&self, destination: &str) -> Option<&str> {
        self.inner.routes.route(destination)
    }

    /// Queues `msg` (waiting while its carrier's queue is full) and returns the [`Ticket`]
    /// that resolves to its outcome. Messages queued one after the other to the same
    /// destination go out in that order.
    pub async fn enqueue(&self, msg: OutboundMessage) -> Result<Ticket, SubmitError> {
        let name = match &msg.carrier {
            Some(c) => c.as_str(),
            None => self
                .route(&msg.destination)
                .ok_or_else(|| SubmitError::NoRoute(msg.destination.clone()))?,
        };
        let &index = self
            .inner
            .by_name
            .get(name)
            .ok_or_else(|| SubmitError::UnknownCarrier(name.to_owned()))?;
        let carrier = &self.inner.carriers[index];
        let parts = {
            let mut s = carrier.splitter.lock().unwrap_or_else(|e| e.into_inner());
            build_parts(&msg, carrier.alphabet, &mut s)?
        };
        let (tx, rx) = oneshot::channel();
        let ticket = Ticket {
            rx,
            id: msg.id.clone(),
            carrier: carrier.shared.name.to_string(),
            parts: parts.len(),
        };
        let dest: Arc<str> = msg
            .destination
            .strip_prefix('+')
            .unwrap_or(&msg.destination)
            .into();
        let job = Job::new(msg.id, dest, parts, tx);
        carrier
            .intake
            .send(job)
            .await
            .map_err(|_| SubmitError::ShutDown)?;
        Ok(ticket)
    }

    /// Queues a message the caller already encoded and split (its `submit_sm` parts, in
    /// order, all to the same destination) for `carrier`, and returns its [`Ticket`]. It is
    /// sent, retried, ordered and correlated like one of [`enqueue`](Self::enqueue) (a part
    /// asking for receipts is recorded for correlation as `id`, part n of the parts given).
    pub async fn enqueue_parts(
        &self,
        id: &str,
        carrier: &str,
        parts: Vec<SubmitSm>,
    ) -> Result<Ticket, SubmitError> {
        let &index = self
            .inner
            .by_name
            .get(carrier)
            .ok_or_else(|| SubmitError::UnknownCarrier(carrier.to_owned()))?;
        let Some(first) = parts.first() else {
            return Err(SubmitError::Invalid(
                "a message has at least one part".into(),
            ));
        };
        if parts.len() > 255 {
            return Err(SubmitError::Invalid(format!(
                "{} parts: a message has 1 to 255",
                parts.len()
            )));
        }
        let carrier = &self.inner.carriers[index];
        let dest: Arc<str> = String::from_utf8_lossy(first.destination_addr.as_bytes()).into();
        let (tx, rx) = oneshot::channel();
        let ticket = Ticket {
            rx,
            id: id.to_owned(),
            carrier: carrier.shared.name.to_string(),
            parts: parts.len(),
        };
        carrier
            .intake
            .send(Job::new(id.to_owned(), dest, parts, tx))
            .await
            .map_err(|_| SubmitError::ShutDown)?;
        Ok(ticket)
    }

    /// Queues `msg` and waits for its outcome.
    pub async fn submit(&self, msg: OutboundMessage) -> Result<Outcome, SubmitError> {
        Ok(self.enqueue(msg).await?.await)
    }

    /// Every bind's state, carrier by carrier.
    pub fn bind_statuses(&self) -> Vec<BindStatus> {
        self.inner
            .carriers
            .iter()
            .flat_map(|c| c.shared.lock_statuses().clone())
            .collect()
    }

    /// A carrier's counters.
    pub fn carrier_stats(&self, carrier: &str) -> Option<CarrierStats> {
        let &i = self.inner.by_name.get(carrier)?;
        let c = &self.inner.carriers[i].shared;
        Some(c.counters.snapshot(&c.name))
    }

    /// Whether every carrier has at least one bound bind that submits.
    pub fn is_ready(&self) -> bool {
        self.inner.carriers.iter().all(|c| {
            c.shared
                .lock_statuses()
                .iter()
                .any(|s| s.phase == BindPhase::Bound && s.kind != BindKind::Receiver)
        })
    }

    /// Whether every bind of every carrier is bound.
    pub fn all_bound(&self) -> bool {
        self.bind_statuses()
            .iter()
            .all(|s| s.phase == BindPhase::Bound)
    }

    /// Waits until [`all_bound`](Self::all_bound) (or `timeout`); returns whether it is.
    pub async fn wait_all_bound(&self, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if self.all_bound() {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Closes every connection at once, without `unbind`, and binds no more: what a killed
    /// process leaves behind (for tests of crash recovery). What is queued or in flight
    /// resolves as [`SubmitFailure::ShutDown`] or is retried to no bind.
    pub fn abort(&self) {
        let _ = self.inner.kill.send(true);
        for c in &self.inner.carriers {
            let _ = c.control.send(Control::Shutdown);
        }
    }

    /// Stops taking messages (queued ones fail with [`SubmitFailure::ShutDown`]), waits for
    /// the answers to what is in flight, then unbinds every bind and waits for them.
    pub async fn shutdown(&self) {
        for c in &self.inner.carriers {
            let _ = c.control.send(Control::Shutdown);
        }
        let dispatchers = std::mem::take(
            &mut *self
                .inner
                .dispatchers
                .lock()
                .unwrap_or_else(|e| e.into_inner()),
        );
        for d in dispatchers {
            let _ = d.await;
        }
        let _ = self.inner.shutdown.send(true);
        let binds =
            std::mem::take(&mut *self.inner.binds.lock().unwrap_or_else(|e| e.into_inner()));
        for b in binds {
            let _ = b.await;
        }
    }
}

/// The outcome of a queued message, to await. If the pool goes away first it resolves to a
/// [`SubmitFailure::ShutDown`] outcome.
#[derive(Debug)]
pub struct Ticket {
    rx: oneshot::Receiver<Outcome>,
    id: String,
    carrier: String,
    parts: usize,
}

impl Ticket {
    /// The caller's id of the message.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The carrier it was queued to.
    pub fn carrier(&self) -> &str {
        &self.carrier
    }

    /// How many submit_sm parts it takes.
    pub fn parts(&self) -> usize {
        self.parts
    }
}

impl Future for Ticket {
    type Output = Outcome;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Outcome> {
        match Pin::new(&mut self.rx).poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Ok(o)) => Poll::Ready(o),
            Poll::Ready(Err(_)) => Poll::Ready(Outcome {
                id: std::mem::take(&mut self.id),
                carrier: std::mem::take(&mut self.carrier),
                message_ids: Vec::new(),
                parts: self.parts,
                attempts: 0,
                possible_duplicate: false,
                result: Err(SubmitFailure::ShutDown),
            }),
        }
    }
}
