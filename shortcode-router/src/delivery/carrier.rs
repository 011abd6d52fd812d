//! The narrow carrier seam the MT pipeline submits through ([`Carrier`]), and its
//! implementation over one smsc-client ESME bind ([`EsmeCarrier`]): it keeps the bind up
//! (reconnecting with backoff), unbinds cleanly on shutdown, and hands the SMSC's requests
//! (receipts and MOs) to an [`InboundSink`]. The bind pool of smsc-client implements the same
//! trait later.

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use smpp_codec::receipt::MessageIdForm;
use smpp_codec::{CommandStatus, SubmitSm};
use smsc_client::esme::{EsmeClient, EsmeConfig, Handle, Inbound, InboundRequest, RequestError};
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
}

impl SubmitError {
    /// `true` when trying again later may succeed.
    pub fn is_temporary(&self) -> bool {
        match self {
            SubmitError::Status(s) => s.is_temporary(),
            SubmitError::Unavailable(_) => true,
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
    /// Binds currently up (for `/readyz` and `/metrics`).
    fn binds_up(&self) -> usize;
    /// Unbinds cleanly and stops reconnecting.
    fn shutdown(&self) -> BoxFuture<'_, ()>;
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

    /// Closes the bind at once (no unbind) and stops binding again: a killed process.
    pub fn abort(&self) {
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

    /// Waits until the bind is up, at most `timeout`; `true` when it is.
    pub async fn wait_bound(&self, timeout: Duration) -> bool {
        let mut up = self.up.clone();
        tokio::time::timeout(timeout, up.wait_for(|v| *v))
            .await
            .is_ok_and(|r| r.is_ok())
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
