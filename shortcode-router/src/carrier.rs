//! The router's two narrow edges towards the SMSCs: [`Carrier`] (send an MT, get the carrier
//! `message_id` of each part) and [`MoSource`] (the SMSCs' requests: MOs and receipts, each
//! with its responder). [`EsmeCarrier`] implements both over one smsc-client ESME bind, kept
//! up by a reconnect loop; the bind pools will implement the same two traits.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use smpp_codec::concat::{ConcatMode, Splitter};
use smpp_codec::{COctetString, SubmitSm, coding};
use smsc_client::esme::{EsmeClient, EsmeConfig, Handle};
use smsc_client::net::{InboundRequest, RequestError};
use smsc_client::session::{BindKind, Password};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::config::{BindType, CarrierConfig, ConfigError};

/// A boxed carrier future.
pub type CarrierFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Why an MT did not reach a carrier.
#[derive(Debug, thiserror::Error)]
pub enum CarrierError {
    /// No bind is up to send on.
    #[error("no carrier bind is up: the MT stays queued")]
    Unavailable,
    /// The text cannot be encoded or split.
    #[error("cannot build the MT: {0}")]
    Build(String),
    /// The carrier refused or did not answer a part (`parts_sent` parts went through).
    #[error("carrier refused the MT after {parts_sent} part(s): {source}")]
    Request {
        /// Parts accepted before the failure.
        parts_sent: usize,
        /// The failure.
        source: RequestError,
    },
}

impl CarrierError {
    /// `true` when sending again later may work.
    pub fn is_temporary(&self) -> bool {
        match self {
            CarrierError::Unavailable => true,
            CarrierError::Build(_) => false,
            CarrierError::Request { source, .. } => source.is_temporary(),
        }
    }
}

/// An MT to hand to a carrier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboundSm {
    /// The short code it comes from.
    pub from: String,
    /// The subscriber.
    pub to: String,
    /// The text (split into parts as needed).
    pub text: String,
}

/// Sends MTs. The bind pools implement this later (routing by carrier, failover).
pub trait Carrier: Send + Sync + 'static {
    /// Submits `sm` (all its parts) and returns each part's carrier `message_id`.
    fn submit<'a>(
        &'a self,
        sm: &'a OutboundSm,
    ) -> CarrierFuture<'a, Result<Vec<String>, CarrierError>>;
}

/// Where MOs and receipts come from: the SMSCs' `deliver_sm` / `data_sm` requests, each with
/// its responder (answered only once the request is stored).
pub trait MoSource: Send + 'static {
    /// The next request; `None` when the source is finished.
    fn recv(&mut self) -> CarrierFuture<'_, Option<InboundRequest>>;
}

impl MoSource for mpsc::Receiver<InboundRequest> {
    fn recv(&mut self) -> CarrierFuture<'_, Option<InboundRequest>> {
        Box::pin(mpsc::Receiver::recv(self))
    }
}

impl MoSource for smsc_client::esme::Inbound {
    fn recv(&mut self) -> CarrierFuture<'_, Option<InboundRequest>> {
        Box::pin(smsc_client::esme::Inbound::recv(self))
    }
}

/// One ESME bind as a [`Carrier`], with a task that binds, forwards the SMSC's requests to the
/// [`MoSource`] it returns, and binds again (with backoff) when the session ends.
pub struct EsmeCarrier {
    handle: watch::Receiver<Option<Handle>>,
    splitter: Mutex<Splitter>,
    registered_delivery: u8,
    task: JoinHandle<()>,
}

impl std::fmt::Debug for EsmeCarrier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EsmeCarrier")
            .field("bound", &self.handle.borrow().is_some())
            .finish_non_exhaustive()
    }
}

/// The ESME settings for a carrier's config.
pub fn esme_config(name: &str, c: &CarrierConfig) -> Result<EsmeConfig, ConfigError> {
    let scheme = if c.tls { "smpps" } else { "smpp" };
    let host = if c.host.contains(':') {
        format!("[{}]", c.host)
    } else {
        c.host.clone()
    };
    let url = format!("{scheme}://{host}:{}", c.port);
    let password = c.password(name)?;
    let mut e = EsmeConfig::new(&url, &c.system_id, &password)
        .map_err(|e| ConfigError::Invalid(format!("carrier {name}: {e}")))?;
    e.password = Password::try_from(password.as_str())
        .map_err(|e| ConfigError::Invalid(format!("carrier {name}: password: {e}")))?;
    e.bind_kind = match c.bind {
        BindType::Transceiver => BindKind::Transceiver,
        BindType::Transmitter => BindKind::Transmitter,
        BindType::Receiver => BindKind::Receiver,
    };
    e.name = Some(name.to_owned());
    Ok(e)
}

impl EsmeCarrier {
    /// Starts binding with `config` (in the background: [`wait_bound`](Self::wait_bound) waits
    /// for the first bind) and returns the carrier and its MO source (bounded at `queue`).
    pub fn start(
        config: EsmeConfig,
        registered_delivery: bool,
        queue: usize,
    ) -> (Arc<EsmeCarrier>, mpsc::Receiver<InboundRequest>) {
        let (tx, rx) = mpsc::channel(queue.max(1));
        let (htx, hrx) = watch::channel(None);
        let task = tokio::spawn(bind_loop(config, htx, tx));
        (
            Arc::new(EsmeCarrier {
                handle: hrx,
                splitter: Mutex::new(Splitter::new(ConcatMode::Udh8)),
                registered_delivery: u8::from(registered_delivery),
                task,
            }),
            rx,
        )
    }

    /// Waits until a bind is up (or `timeout` passes); `true` if bound.
    pub async fn wait_bound(&self, timeout: Duration) -> bool {
        let mut rx = self.handle.clone();
        tokio::time::timeout(timeout, rx.wait_for(Option::is_some))
            .await
            .is_ok_and(|r| r.is_ok())
    }

    /// Closes the bind at once (no unbind) and stops binding again.
    pub fn abort(&self) {
        self.task.abort();
        if let Some(h) = self.handle.borrow().as_ref() {
            h.close();
        }
    }

    /// Unbinds cleanly and stops.
    pub async fn unbind(&self) {
        self.task.abort();
        let h = self.handle.borrow().clone();
        if let Some(h) = h {
            let _ = tokio::time::timeout(Duration::from_secs(5), h.unbind()).await;
            h.close();
        }
    }
}

impl Drop for EsmeCarrier {
    fn drop(&mut self) {
        self.abort();
    }
}

async fn bind_loop(
    config: EsmeConfig,
    handle: watch::Sender<Option<Handle>>,
    tx: mpsc::Sender<InboundRequest>,
) {
    let mut backoff = Duration::from_millis(200);
    loop {
        match EsmeClient::connect(config.clone()).await {
            Ok((h, mut inbound)) => {
                tracing::info!(bind = %h.info().name, "carrier bound");
                backoff = Duration::from_millis(200);
                let _ = handle.send(Some(h.clone()));
                // Forward the SMSC's requests; a full queue makes the session itself answer
                // ESME_RMSGQFUL (its inbound queue is bounded too).
                while let Some(req) = inbound.recv().await {
                    if tx.send(req).await.is_err() {
                        h.close();
                        return;
                    }
                }
                let reason = h.closed().await;
                let _ = handle.send(None);
                tracing::warn!(?reason, "carrier bind closed; binding again");
            }
            Err(e) => {
                if !e.is_temporary() {
                    tracing::error!(error = %e, "carrier bind refused; retrying slowly");
                    backoff = backoff.max(Duration::from_secs(30));
                } else {
                    tracing::warn!(error = %e, "carrier bind failed; retrying");
                }
            }
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(30));
    }
}

impl Carrier for EsmeCarrier {
    fn submit<'a>(
        &'a self,
        sm: &'a OutboundSm,
    ) -> CarrierFuture<'a, Result<Vec<String>, CarrierError>> {
        Box::pin(async move {
            let handle = self
                .handle
                .borrow()
                .clone()
                .ok_or(CarrierError::Unavailable)?;
            let build = |e: &dyn std::fmt::Display| CarrierError::Build(e.to_string());
            let template = SubmitSm {
                source_addr_ton: 3, // abbreviated: a short code
                source_addr_npi: 0,
                source_addr: COctetString::try_from(sm.from.as_str()).map_err(|e| build(&e))?,
                dest_addr_ton: 1,
                dest_addr_npi: 1,
                destination_addr: COctetString::try_from(sm.to.as_str()).map_err(|e| build(&e))?,
                registered_delivery: self.registered_delivery,
                ..SubmitSm::default()
            };
            let encoding = coding::choose(&sm.text, &[]).encoding;
            let parts = self
                .splitter
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .submit_sms(&template, &sm.text, &encoding)
                .map_err(|e| build(&e))?;
            let mut ids = Vec::with_capacity(parts.len());
            for part in parts {
                match handle.submit_sm(part).await {
                    Ok(resp) => ids.push(resp.message_id.to_string()),
                    Err(source) => {
                        return Err(CarrierError::Request {
                            parts_sent: ids.len(),
                            source,
                        });
                    }
                }
            }
            Ok(ids)
        })
    }
}
