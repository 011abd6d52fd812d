//! The router as a running service: opens the store (migrations), starts the MT pipeline
//! ([`MtService`], the one path every MT takes), binds to the carriers, starts the webhook
//! workers and the MO pipeline. [`Service::start`] wires the configured carriers;
//! [`Service::start_with`] takes any [`MtService`] and [`MoSource`]. Dropping a `Service`
//! stops it at once, like a killed process; [`Service::shutdown`] unbinds first.

use std::sync::{Arc, Weak};
use std::time::Duration;

use futures::future::BoxFuture;
use smpp_codec::CommandStatus;
use smpp_codec::receipt::Receipt;
use smsc_client::esme::InboundRequest;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::carrier::{MoSource, esme_config, pool_config, pooled};
use crate::config::{Config, ConfigError};
use crate::delivery::carrier::{Carrier, EsmeCarrier, InboundSink, StoreCorrelator, start_pool};
use crate::delivery::compliance::StoreOptOuts;
use crate::delivery::service::MtParts;
use crate::delivery::{MtConfig, MtService, Routes};
use crate::mo::Pipeline;
use crate::mt::{MtError, MtRequest, Outbound};
use crate::routing::RoutingTable;
use crate::store::messages::{MessageStore, MessageStoreError};
use crate::store::optout_cache::OptOutCache;
use crate::store::{SqliteStore, Store, StoreError};
use crate::webhook::{DispatchError, Dispatcher};

/// Why the service did not start.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The configuration.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The store.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The message history.
    #[error(transparent)]
    Messages(#[from] MessageStoreError),
    /// The MT pipeline.
    #[error("MT pipeline: {0}")]
    Mt(#[from] crate::delivery::MtError),
    /// The webhook workers.
    #[error(transparent)]
    Dispatch(#[from] DispatchError),
    /// No carrier configured.
    #[error("no [carriers.NAME] section: configure the SMSC to bind to")]
    NoCarrier,
}

/// Receipts go to the MT pipeline when they are its messages' (every MT the service sends);
/// everything else (MOs, receipts nobody sent) goes on to the MO pipeline.
struct Sink {
    mt: Weak<MtService>,
    mo: mpsc::Sender<InboundRequest>,
}

impl InboundSink for Sink {
    fn handle(&self, carrier: &str, req: InboundRequest) -> BoxFuture<'_, ()> {
        let carrier = carrier.to_owned();
        Box::pin(async move {
            let owned = match Receipt::from_body(req.body()) {
                Some(Ok(r)) => Some(r.to_owned_receipt()),
                _ => None,
            };
            if let (Some(receipt), Some(mt)) = (owned, self.mt.upgrade()) {
                match mt.handle_receipt(&carrier, &receipt).await {
                    Ok(true) => {
                        req.ok();
                        return;
                    }
                    Ok(false) => {}
                    Err(e) => {
                        // Principle 5: not stored, so the SMSC must send it again.
                        tracing::error!(error = %e, "cannot store a receipt");
                        req.reject(CommandStatus::ESME_RX_T_APPN);
                        return;
                    }
                }
            }
            metrics::counter!("router_inbound_forwarded_total", "carrier" => carrier.clone())
                .increment(1);
            metrics::gauge!("router_mo_queue_depth")
                .set((self.mo.max_capacity() - self.mo.capacity()) as f64);
            if let Err(mpsc::error::SendError(req)) = self.mo.send(req).await {
                req.reject(CommandStatus::ESME_RX_T_APPN);
            }
        })
    }
}

/// The service's carriers.
pub type Carriers = Vec<Arc<dyn Carrier>>;

/// Message ids the bind pool's correlator keeps in memory (a receipt for an older one is
/// looked up in the message history): about 40 MB at most.
const RECENT_IDS: usize = 200_000;

/// Starts the configured carriers (the sending ones on one bind pool, a receiver-only one on
/// its own bind), adds each to `mt`, and returns them with the MO source their MOs (and
/// receipts the MT pipeline does not know) arrive on.
pub fn start_carriers(
    config: &Config,
    mt: &Arc<MtService>,
) -> Result<(Carriers, mpsc::Receiver<InboundRequest>), ConfigError> {
    let (mo_tx, mo_rx) = mpsc::channel(4096);
    let sink: Arc<dyn InboundSink> = Arc::new(Sink {
        mt: Arc::downgrade(mt),
        mo: mo_tx,
    });
    let mut carriers: Vec<Arc<dyn Carrier>> = Vec::new();
    if let Some(pool) = pool_config(config)? {
        let correlator = Arc::new(StoreCorrelator::new(mt.store().clone(), RECENT_IDS));
        for c in start_pool(pool, correlator, sink.clone())
            .map_err(|e| ConfigError::Invalid(e.to_string()))?
        {
            mt.add_carrier(c.clone());
            carriers.push(c);
        }
    }
    for (name, c) in config.carriers.iter().filter(|(_, c)| !pooled(c)) {
        let esme = esme_config(name, c)?;
        let form = c
            .id_form()
            .map_err(|e| ConfigError::Invalid(format!("carrier {name}: {e}")))?;
        let carrier = EsmeCarrier::start(name, esme, form, sink.clone());
        mt.add_carrier(carrier.clone());
        carriers.push(carrier);
    }
    Ok((carriers, mo_rx))
}

/// Opens the router's SQLite store at `path` with the opt-outs held in memory in front of it
/// ([`OptOutCache`]: the MT path checks consent without a database round trip).
pub async fn open_store(path: &std::path::Path) -> Result<Arc<dyn Store>, StoreError> {
    let sqlite: Arc<dyn Store> = Arc::new(SqliteStore::open(path).await?);
    Ok(Arc::new(OptOutCache::load(sqlite, path).await?))
}

/// Opens the message history and starts the MT pipeline over the router's `store` (its
/// opt-outs) with `settings`.
pub async fn start_mt(
    config: &Config,
    store: Arc<dyn Store>,
    settings: MtConfig,
    callback_keys: std::collections::HashMap<String, Vec<u8>>,
) -> Result<Arc<MtService>, ServiceError> {
    let messages = MessageStore::open(&config.store.path).await?;
    let optouts = Arc::new(StoreOptOuts::new(store, messages.pool().clone()));
    Ok(MtService::start(MtParts {
        store: messages,
        optouts,
        gate: Default::default(),
        routes: Routes::from_config(config),
        config: settings,
        callback_keys,
    })
    .await?)
}

/// A running router.
pub struct Service {
    config: Arc<Config>,
    store: Arc<dyn Store>,
    outbound: Arc<Outbound>,
    dispatcher: Arc<Dispatcher>,
    carriers: Vec<Arc<dyn Carrier>>,
    tasks: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service")
            .field("dispatcher", &self.dispatcher)
            .finish_non_exhaustive()
    }
}

impl Service {
    /// Starts the service on the configured carriers and SQLite store, with the MT pipeline's
    /// defaults (no MT API: see [`crate::app::App`] for the whole service).
    pub async fn start(config: Config) -> Result<Service, ServiceError> {
        config.validate()?;
        if config.carriers.is_empty() {
            return Err(ServiceError::NoCarrier);
        }
        let store = open_store(&config.store.path).await?;
        let mt = start_mt(
            &config,
            store.clone(),
            MtConfig::default(),
            Default::default(),
        )
        .await?;
        let (carriers, source) = start_carriers(&config, &mt)?;
        let requeued = mt.requeue().await?;
        if requeued > 0 {
            tracing::info!(requeued, "sending MTs a previous run left queued");
        }
        let mut service = Service::start_with(config, store, mt, source).await?;
        service.carriers = carriers;
        Ok(service)
    }

    /// Starts the MO side over any store, MT pipeline and MO source. Every MT it sends goes
    /// through `mt`, under `mt`'s consent gate.
    pub async fn start_with(
        config: Config,
        store: Arc<dyn Store>,
        mt: Arc<MtService>,
        source: impl MoSource,
    ) -> Result<Service, ServiceError> {
        let table = Arc::new(
            RoutingTable::build(&config).map_err(|e| ConfigError::Invalid(e.to_string()))?,
        );
        let config = Arc::new(config);
        let outbound = Arc::new(Outbound::new(config.clone(), store.clone(), mt));
        let dispatcher =
            Arc::new(Dispatcher::start(&config, store.clone(), outbound.clone()).await?);
        let pipeline = Pipeline::new(
            config.clone(),
            table,
            store.clone(),
            dispatcher.clone(),
            outbound.clone(),
        );
        let tasks = vec![tokio::spawn(pipeline.run(source))];
        Ok(Service {
            config,
            store,
            outbound,
            dispatcher,
            carriers: Vec::new(),
            tasks,
        })
    }

    /// Waits until every carrier bind is up (`true`), or `timeout` passes. Always `true` for a
    /// service started with [`start_with`](Self::start_with).
    pub async fn wait_bound(&self, timeout: Duration) -> bool {
        for c in &self.carriers {
            if !c.wait_bound(timeout).await {
                return false;
            }
        }
        true
    }

    /// Sends an MT (compliance-checked; see [`Outbound::send`]); returns its id.
    pub async fn send(&self, req: MtRequest) -> Result<String, MtError> {
        self.outbound.send(req).await
    }

    /// The MT sender.
    pub fn outbound(&self) -> &Arc<Outbound> {
        &self.outbound
    }

    /// The MT pipeline (the message history, the consent gate).
    pub fn mt(&self) -> &Arc<MtService> {
        self.outbound.mt()
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Whether `handler` was disabled by a `410 Gone`.
    pub fn handler_disabled(&self, handler: &str) -> bool {
        self.dispatcher.is_disabled(handler)
    }

    /// Unbinds, then stops every task. (Draining in-flight work within a deadline is
    /// [`crate::app::App::shutdown`]'s.)
    pub async fn shutdown(self) {
        for c in &self.carriers {
            c.shutdown().await;
        }
        drop(self);
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        for c in &self.carriers {
            c.abort();
        }
        for t in &self.tasks {
            t.abort();
        }
    }
}
