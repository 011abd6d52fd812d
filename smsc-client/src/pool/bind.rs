//! One bind's supervisor: binds, reports the bind to the carrier's dispatcher (TX/TRX) and
//! reads what the SMSC sends (RX/TRX), and after a drop binds again with exponential backoff
//! and jitter, moving to the carrier's next host after `failover_after` consecutive failures,
//! and back to the first host (failback) once it answers again.
//! On shutdown it sends `unbind` before closing, so the carrier does not answer
//! `ESME_RALYBND` to the next bind.

use std::sync::Arc;
use std::time::{Duration, Instant};

use backon::{BackoffBuilder, ExponentialBackoff, ExponentialBuilder};
use tokio::sync::{mpsc, watch};

use super::dispatch::Control;
use super::pool::CarrierShared;
use super::receipts::receive_loop;
use super::state::BindPhase;
use crate::esme::{EsmeClient, Handle, Inbound};
use crate::session::BindKind;

/// How long an unbind may take at shutdown before the connection is just closed.
const UNBIND_TIMEOUT: Duration = Duration::from_secs(5);

/// What one supervisor needs.
pub(crate) struct BindTask {
    pub(crate) shared: Arc<CarrierShared>,
    /// The bind's index in the carrier's statuses (and the dispatcher's slots, for TX/TRX).
    pub(crate) slot: usize,
    pub(crate) kind: BindKind,
    pub(crate) name: Arc<str>,
    /// The dispatcher, for binds that submit.
    pub(crate) control: Option<mpsc::UnboundedSender<Control>>,
    pub(crate) shutdown: watch::Receiver<bool>,
    /// Set by [`Pool::abort`](super::Pool::abort): close at once, without unbinding.
    pub(crate) kill: watch::Receiver<bool>,
}

fn rebind_backoff(shared: &CarrierShared) -> ExponentialBackoff {
    let r = &shared.config.rebind;
    ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(r.min_delay_ms))
        .with_max_delay(Duration::from_millis(r.max_delay_ms))
        .with_factor(2.0)
        .with_jitter()
        .without_max_times()
        .build()
}

impl BindTask {
    fn set(&self, phase: BindPhase, host: usize, error: Option<String>) {
        let mut st = self.shared.lock_statuses();
        if let Some(s) = st.get_mut(self.slot) {
            if phase == BindPhase::Bound {
                s.binds += 1;
            }
            s.phase = phase;
            s.since = Instant::now();
            if let Some(h) = self.shared.config.hosts.get(host) {
                s.host.clone_from(h);
            }
            if error.is_some() {
                s.last_error = error;
            }
        }
        drop(st);
        self.shared.bind_metrics_state(self.slot, phase);
    }

    async fn stopped(&mut self) {
        let _ = self.shutdown.wait_for(|v| *v).await;
    }

    /// Runs until the pool shuts down.
    pub(crate) async fn run(mut self) {
        let hosts = self.shared.config.hosts.len().max(1);
        let failover_after = self.shared.config.rebind.failover_after.max(1);
        let max_delay = Duration::from_millis(self.shared.config.rebind.max_delay_ms);
        let mut host = 0usize;
        let mut failures = 0u32;
        let mut backoff = rebind_backoff(&self.shared);
        loop {
            if *self.shutdown.borrow() || *self.kill.borrow() {
                break;
            }
            self.set(BindPhase::Connecting, host, None);
            let config = match self.shared.config.esme_config(host, self.kind, &self.name) {
                Ok(c) => c,
                Err(e) => {
                    // Validated at start; only the environment (password_env) can change.
                    self.set(BindPhase::Waiting, host, Some(e.to_string()));
                    tokio::select! {
                        () = tokio::time::sleep(max_delay) => continue,
                        () = self.stopped() => break,
                    }
                }
            };
            let connected = tokio::select! {
                r = EsmeClient::connect(config) => r,
                () = self.stopped() => break,
            };
            match connected {
                Ok((first_handle, inbound)) => {
                    failures = 0;
                    backoff = rebind_backoff(&self.shared);
                    self.set(BindPhase::Bound, host, None);
                    tracing::info!(bind = %self.name, host = %self.shared.config.hosts[host], "pool: bound");
                    let mut handle = first_handle;
                    let mut rx = self.up(&handle, inbound);
                    let failback =
                        Duration::from_millis(self.shared.config.rebind.failback_after_ms);
                    let mut shutdown = self.shutdown.clone();
                    let mut kill = self.kill.clone();
                    let reason = loop {
                        let probe = probe_first_host(
                            self.shared.clone(),
                            self.kind,
                            self.name.clone(),
                            failback,
                        );
                        tokio::select! {
                            r = handle.closed() => break Some(r),
                            _ = shutdown.wait_for(|v| *v) => break None,
                            _ = kill.wait_for(|v| *v) => {
                                handle.close();
                                break Some(crate::session::CloseReason::Local);
                            }
                            probe = probe, if host != 0 && !failback.is_zero() => {
                                let Some((new_handle, new_inbound)) = probe else { continue };
                                // The first host is back: new requests go there from now on; the
                                // old connection finishes what it has in flight, then unbinds.
                                tracing::info!(bind = %self.name, host = %self.shared.config.hosts[0], "pool: failing back to the first host");
                                let old = std::mem::replace(&mut handle, new_handle);
                                let old_rx = std::mem::replace(&mut rx, self.up(&handle, new_inbound));
                                host = 0;
                                self.set(BindPhase::Bound, host, None);
                                tokio::spawn(retire(old, old_rx, self.shared.config.window, Duration::from_millis(self.shared.config.response_timeout_ms)));
                            }
                        }
                    };
                    if let Some(c) = &self.control {
                        let _ = c.send(Control::Down { slot: self.slot });
                    }
                    match reason {
                        None => {
                            self.set(BindPhase::Unbinding, host, None);
                            if !matches!(
                                tokio::time::timeout(UNBIND_TIMEOUT, handle.unbind()).await,
                                Ok(Ok(()))
                            ) {
                                handle.close();
                            }
                            drop(handle);
                            let _ = rx.await;
                            break;
                        }
                        Some(r) => {
                            tracing::info!(bind = %self.name, reason = ?r, "pool: bind lost; binding again");
                            crate::metrics::record_reconnect(&self.name);
                            drop(handle);
                            self.set(BindPhase::Waiting, host, Some(format!("{r:?}")));
                            if *self.kill.borrow() {
                                break;
                            }
                        }
                    }
                }
                Err(e) => {
                    failures += 1;
                    tracing::debug!(bind = %self.name, error = %e, "pool: bind failed");
                    self.set(BindPhase::Waiting, host, Some(e.to_string()));
                    if failures >= failover_after && hosts > 1 {
                        host = (host + 1) % hosts;
                        failures = 0;
                        tracing::info!(bind = %self.name, host = %self.shared.config.hosts[host], "pool: failing over to the next host");
                    }
                }
            }
            let delay = backoff.next().unwrap_or(max_delay);
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                () = self.stopped() => break,
            }
        }
        self.set(BindPhase::Stopped, host, None);
    }

    /// Hands a new bind to the dispatcher (binds that submit) and starts reading what the SMSC
    /// sends on it.
    fn up(&self, handle: &Handle, inbound: Inbound) -> tokio::task::JoinHandle<()> {
        if let Some(c) = &self.control {
            let _ = c.send(Control::Up {
                slot: self.slot,
                handle: handle.clone(),
            });
        }
        tokio::spawn(receive_loop(
            self.shared.clone(),
            self.name.clone(),
            inbound,
        ))
    }
}

/// After `after`, one bind attempt on the carrier's first host: the new bind, or `None`.
async fn probe_first_host(
    shared: Arc<CarrierShared>,
    kind: BindKind,
    name: Arc<str>,
    after: Duration,
) -> Option<(Handle, Inbound)> {
    tokio::time::sleep(after).await;
    let config = shared.config.esme_config(0, kind, &name).ok()?;
    match EsmeClient::connect(config).await {
        Ok(bound) => Some(bound),
        Err(e) => {
            tracing::debug!(bind = %name, error = %e, "pool: first host still down; staying");
            None
        }
    }
}

/// Retires a bind replaced by failback: waits until it has no request in flight (at most
/// `timeout`), unbinds, and lets its reader finish (receipts that still arrive on it are
/// handled as usual).
async fn retire(
    handle: Handle,
    reader: tokio::task::JoinHandle<()>,
    window: usize,
    timeout: Duration,
) {
    let deadline = Instant::now() + timeout;
    while handle.window_available() < window
        && Instant::now() < deadline
        && handle.close_reason().is_none()
    {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    if !matches!(
        tokio::time::timeout(UNBIND_TIMEOUT, handle.unbind()).await,
        Ok(Ok(()))
    ) {
        handle.close();
    }
    drop(handle);
    let _ = reader.await;
}
