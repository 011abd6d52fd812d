//! The router as a running service: opens the store (migrations), binds to the carrier, starts
//! the webhook workers and the MO pipeline, resends MTs left queued. [`Service::start`] wires
//! the configured ESME bind; [`Service::start_with`] takes any [`Carrier`] and [`MoSource`]
//! (the bind pools later). Dropping a `Service` stops it at once, like a killed process;
//! [`Service::shutdown`] unbinds first.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;

use crate::carrier::{Carrier, EsmeCarrier, MoSource, esme_config};
use crate::compliance::ConsentGate;
use crate::config::{Config, ConfigError};
use crate::mo::Pipeline;
use crate::mt::{MtError, MtRequest, MtSent, Outbound};
use crate::routing::RoutingTable;
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
    /// The webhook workers.
    #[error(transparent)]
    Dispatch(#[from] DispatchError),
    /// No carrier configured.
    #[error("no [carriers.NAME] section: configure the SMSC to bind to")]
    NoCarrier,
}

/// A running router.
pub struct Service {
    config: Arc<Config>,
    store: Arc<dyn Store>,
    outbound: Arc<Outbound>,
    dispatcher: Arc<Dispatcher>,
    esme: Option<Arc<EsmeCarrier>>,
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
    /// Starts the service on the configured carrier (one ESME bind) and SQLite store.
    pub async fn start(config: Config) -> Result<Service, ServiceError> {
        config.validate()?;
        let (name, carrier) = config
            .carriers
            .iter()
            .next()
            .ok_or(ServiceError::NoCarrier)?;
        let esme = esme_config(name, carrier)?;
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&config.store.path).await?);
        let (esme, source) = EsmeCarrier::start(esme, carrier.receipts, 4096);
        let mut service = Service::start_with(config, store, esme.clone(), source).await?;
        service.esme = Some(esme);
        Ok(service)
    }

    /// Starts the service over any store, carrier and MO source.
    pub async fn start_with(
        config: Config,
        store: Arc<dyn Store>,
        carrier: Arc<dyn Carrier>,
        source: impl MoSource,
    ) -> Result<Service, ServiceError> {
        Self::start_with_gate(config, store, carrier, source, ConsentGate::default()).await
    }

    /// Like [`start_with`](Self::start_with), sharing `gate` with other MT senders (the MT API),
    /// so that an opt-out and any MT to the same subscriber are ordered whichever path sends it.
    pub async fn start_with_gate(
        config: Config,
        store: Arc<dyn Store>,
        carrier: Arc<dyn Carrier>,
        source: impl MoSource,
        gate: ConsentGate,
    ) -> Result<Service, ServiceError> {
        let table = Arc::new(
            RoutingTable::build(&config).map_err(|e| ConfigError::Invalid(e.to_string()))?,
        );
        let config = Arc::new(config);
        let outbound = Arc::new(Outbound::new(
            config.clone(),
            store.clone(),
            carrier,
            gate.clone(),
        ));
        let dispatcher =
            Arc::new(Dispatcher::start(&config, store.clone(), outbound.clone()).await?);
        let pipeline = Pipeline::new(
            config.clone(),
            table,
            store.clone(),
            dispatcher.clone(),
            outbound.clone(),
            gate,
        );
        let mut tasks = vec![tokio::spawn(pipeline.run(source))];
        let out = outbound.clone();
        tasks.push(tokio::spawn(async move {
            // MTs left queued by a restart or a carrier outage.
            let mut tick = tokio::time::interval(Duration::from_secs(2));
            loop {
                tick.tick().await;
                if let Err(e) = out.resend_queued(1_000).await {
                    tracing::warn!(error = %e, "cannot resend queued MTs");
                }
            }
        }));
        Ok(Service {
            config,
            store,
            outbound,
            dispatcher,
            esme: None,
            tasks,
        })
    }

    /// Waits until the carrier bind is up (`true`), or `timeout` passes. Always `true` for a
    /// service started with [`start_with`](Self::start_with).
    pub async fn wait_bound(&self, timeout: Duration) -> bool {
        match &self.esme {
            Some(e) => e.wait_bound(timeout).await,
            None => true,
        }
    }

    /// Sends an MT (compliance-checked; see [`Outbound::send`]).
    pub async fn send(&self, req: MtRequest) -> Result<MtSent, MtError> {
        self.outbound.send(req).await
    }

    /// The MT sender.
    pub fn outbound(&self) -> &Arc<Outbound> {
        &self.outbound
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

    /// Unbinds, then stops every task. (Draining in-flight work within a deadline comes with
    /// the service binary.)
    pub async fn shutdown(self) {
        if let Some(e) = &self.esme {
            e.unbind().await;
        }
        drop(self);
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        if let Some(e) = &self.esme {
            e.abort();
        }
        for t in &self.tasks {
            t.abort();
        }
    }
}
