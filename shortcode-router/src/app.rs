//! The whole service wired together, as `shortcode-router run` and `demo` start it: the SQLite
//! store, a bind pool per carrier (shared by MT submissions, receipts and MOs), the MT pipeline
//! ([`MtService`]), the MO pipeline and webhooks ([`crate::Service`]), and the HTTP API; and
//! its graceful shutdown (stop taking requests, drain submissions and callbacks, unbind).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::api::{ApiConfig, AppState, Auth, Serves};
use crate::config::Config;
use crate::delivery::carrier::Carrier;
use crate::delivery::{MtConfig, MtService};
use crate::service::{open_store, start_carriers, start_mt};

/// The `[api]` and `[mt]` sections, which the router's own [`Config`] does not know (yet):
/// split off the TOML before [`Config::parse`] reads the rest.
#[derive(Clone, Debug, Default)]
pub struct ServiceSections {
    /// `[api]`.
    pub api: ApiConfig,
    /// `[mt]`.
    pub mt: MtConfig,
}

/// Reads a config file: the router's [`Config`] plus the `[api]` and `[mt]` sections.
pub fn load_config(path: &Path) -> anyhow::Result<(Config, ServiceSections)> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("cannot read config file {}: {e}", path.display()))?;
    parse_config(&text)
}

/// Parses config text: see [`load_config`].
pub fn parse_config(text: &str) -> anyhow::Result<(Config, ServiceSections)> {
    let mut value: toml::Table = toml::from_str(text)?;
    let api = match value.remove("api") {
        Some(v) => v
            .try_into::<ApiConfig>()
            .map_err(|e| anyhow::anyhow!("[api]: {e}"))?,
        None => ApiConfig::default(),
    };
    if api.ops_listen == Some(api.listen) && api.listen.port() != 0 {
        anyhow::bail!(
            "[api]: ops_listen is listen ({}): leave it out to serve both there",
            api.listen
        );
    }
    let mt = match value.remove("mt") {
        Some(v) => v
            .try_into::<MtConfig>()
            .map_err(|e| anyhow::anyhow!("[mt]: {e}"))?,
        None => MtConfig::default(),
    };
    let rest = toml::to_string(&value)?;
    let config = Config::parse(&rest)?;
    Ok((config, ServiceSections { api, mt }))
}

/// A running service.
pub struct App {
    mt: Arc<MtService>,
    carriers: Vec<Arc<dyn Carrier>>,
    service: Option<crate::Service>,
    api_addr: std::net::SocketAddr,
    ops_addr: Option<std::net::SocketAddr>,
    stop_api: watch::Sender<bool>,
    /// The API's listener and, with `ops_listen`, the operations one.
    api_tasks: Vec<JoinHandle<std::io::Result<()>>>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("api_addr", &self.api_addr)
            .finish_non_exhaustive()
    }
}

impl App {
    /// Starts everything; the API listens on `listener` (or on `[api] listen` when `None`).
    pub async fn start(
        config: Config,
        sections: ServiceSections,
        listener: Option<tokio::net::TcpListener>,
    ) -> anyhow::Result<App> {
        // Install the metrics recorder before anything counts.
        let _ = crate::api::ops::prometheus();
        let auth = Arc::new(Auth::from_config(&sections.api.keys).map_err(anyhow::Error::msg)?);
        let callback_keys = sections.api.callback_keys().map_err(anyhow::Error::msg)?;
        // The router's store first: its migrations create the MO table that searches include.
        let store = open_store(&config.store.path).await?;
        let mt = start_mt(&config, store.clone(), sections.mt.clone(), callback_keys).await?;
        let mut tokens = std::collections::HashMap::new();
        for k in &sections.api.keys {
            tokens.insert(k.name.clone(), k.token().map_err(anyhow::Error::msg)?);
        }
        mt.set_auth_tokens(tokens);
        let (carriers, mo_rx) = start_carriers(&config, &mt)?;
        let requeued = mt.requeue().await?;
        if requeued > 0 {
            tracing::info!(requeued, "sending MTs a previous run left queued");
        }
        let service = if carriers.is_empty() {
            None
        } else {
            // Every MT (API and MO replies) goes through `mt`: one history, one consent gate.
            Some(crate::Service::start_with(config.clone(), store, mt.clone(), mo_rx).await?)
        };
        let listener = match listener {
            Some(l) => l,
            None => tokio::net::TcpListener::bind(sections.api.listen)
                .await
                .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", sections.api.listen))?,
        };
        let api_addr = listener.local_addr()?;
        let state = AppState {
            mt: mt.clone(),
            auth,
            carriers: Arc::new(config.carriers.keys().cloned().collect()),
        };
        let ops_listener =
            match sections.api.ops_listen {
                Some(addr) => Some(tokio::net::TcpListener::bind(addr).await.map_err(|e| {
                    anyhow::anyhow!("cannot listen on {addr} (api.ops_listen): {e}")
                })?),
                None => None,
            };
        let (stop_api, stop_rx) = watch::channel(false);
        let stopped = |mut rx: watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|v| *v).await;
        };
        let mut ops_addr = None;
        let mut tasks = Vec::new();
        let api_serves = match ops_listener {
            Some(l) => {
                ops_addr = Some(l.local_addr()?);
                tasks.push(tokio::spawn(crate::api::serve(
                    l,
                    state.clone(),
                    Serves::Ops,
                    stopped(stop_rx.clone()),
                )));
                Serves::Api
            }
            None => Serves::All,
        };
        tasks.push(tokio::spawn(crate::api::serve(
            listener,
            state,
            api_serves,
            stopped(stop_rx),
        )));
        Ok(App {
            mt,
            carriers,
            service,
            api_addr,
            ops_addr,
            stop_api,
            api_tasks: tasks,
        })
    }

    /// Where the API listens.
    pub fn api_addr(&self) -> std::net::SocketAddr {
        self.api_addr
    }

    /// Where `/metrics`, `/healthz` and `/readyz` listen: `[api] ops_listen` when set, else
    /// the API's address.
    pub fn ops_addr(&self) -> std::net::SocketAddr {
        self.ops_addr.unwrap_or(self.api_addr)
    }

    /// The MT pipeline.
    pub fn mt(&self) -> &Arc<MtService> {
        &self.mt
    }

    /// The MO side (routing, webhooks), when a carrier is configured.
    pub fn service(&self) -> Option<&crate::Service> {
        self.service.as_ref()
    }

    /// Waits until every carrier has a bind up (at most `timeout`).
    pub async fn wait_bound(&self, timeout: Duration) -> bool {
        for c in &self.carriers {
            if !c.wait_bound(timeout).await {
                return false;
            }
        }
        true
    }

    /// Graceful shutdown: stop taking API requests, drain submissions and callbacks (within
    /// `deadline`), unbind every carrier. Returns `true` when everything drained in time.
    pub async fn shutdown(mut self, deadline: Duration) -> bool {
        let _ = self.stop_api.send(true);
        let started = std::time::Instant::now();
        let _ = tokio::time::timeout(
            deadline,
            futures::future::join_all(self.api_tasks.iter_mut()),
        )
        .await;
        let drained = self
            .mt
            .shutdown(deadline.saturating_sub(started.elapsed()))
            .await;
        if let Some(s) = self.service.take() {
            s.shutdown().await;
        }
        for c in &self.carriers {
            c.shutdown().await;
        }
        drained
    }
}

/// Log output format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// Sets up `tracing` output to stderr (`RUST_LOG` filters; default `info`).
pub fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn terminated() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// `shortcode-router run --config FILE`: runs until SIGTERM / Ctrl-C, then shuts down
/// gracefully within `deadline`.
pub async fn run(config: &Path, deadline: Duration) -> anyhow::Result<()> {
    let (config, sections) = load_config(config)?;
    let app = App::start(config, sections, None).await?;
    tracing::info!(api = %app.api_addr(), ops = %app.ops_addr(), "shortcode-router running; SIGTERM or Ctrl-C stops it");
    if !app.wait_bound(Duration::from_secs(30)).await {
        tracing::warn!("not every carrier is bound yet; still trying (see /readyz)");
    }
    terminated().await;
    tracing::info!(?deadline, "stopping: no new requests, draining, unbinding");
    if app.shutdown(deadline).await {
        tracing::info!("stopped cleanly");
    } else {
        tracing::warn!("stopped; some submissions or callbacks did not finish in time");
    }
    Ok(())
}
