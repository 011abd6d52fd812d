//! An SMSC simulator in process, built on [`SmscServer`]: accepts binds, answers submissions
//! with message ids, sends delivery receipts and MO messages to RX/TRX binds, and injects faults
//! on request. [`Simulator::start`] returns a [`SimHandle`] (address, counters, bind events,
//! MO injection, shutdown). The `smpp sim` command runs one.
//!
//! ```no_run
//! # async fn demo() -> Result<(), smsc_client::sim::SimError> {
//! use smsc_client::sim::{SimConfig, Simulator};
//! let sim = Simulator::start(SimConfig::default().account("esme", "secret")).await?;
//! println!("listening on {}", sim.local_addr());
//! // ... bind an ESME to it, submit, receive receipts ...
//! println!("{:?}", sim.counters());
//! sim.shutdown().await;
//! # Ok(()) }
//! ```

mod config;
mod proxy;
mod session;
mod store;

use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use smpp_codec::concat::{ConcatMode, Splitter};
use smpp_codec::receipt::ReceiptTime;
use smpp_codec::{COctetString, CommandStatus, DeliverSm, coding};
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;

pub use config::{Faults, IdFormat, MoConfig, SimConfig, StatusMix};
pub use store::{SimCounters, Submission};

use crate::net::RequestError;
use crate::session::{BindKind, CloseReason, Password};
use crate::smsc::{
    Authenticator, BindCredentials, BindGrant, ServerError, SmscHandle, SmscServer, SmscSession,
};
use crate::tls::TlsError;
use proxy::Proxy;
use store::{Counters, Store};

/// How long [`SimHandle::inject_mo`] waits for a receiving bind to be registered.
pub const RECEIVER_GRACE: Duration = Duration::from_secs(2);
/// Why the simulator could not start, or could not inject a message.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The SMSC server did not start.
    #[error(transparent)]
    Server(#[from] ServerError),
    /// The listening socket (relay mode).
    #[error("cannot listen: {0}")]
    Io(#[from] std::io::Error),
    /// The TLS configuration (relay mode).
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// A configured password is not a valid SMPP password.
    #[error("password for {0:?} is invalid: at most 8 characters, no NUL")]
    Password(String),
    /// No RX/TRX bind (of that `system_id`) to send an MO message to.
    #[error("no receiver or transceiver bind to deliver to: bind one first")]
    NoReceiver,
    /// The MO message could not be built (address too long, text not encodable...).
    #[error("cannot build the MO message: {0}")]
    Build(String),
    /// The ESME refused or did not answer a `deliver_sm`.
    #[error(transparent)]
    Request(#[from] RequestError),
}

/// Something that happened to a bind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SimEvent {
    /// An ESME bound.
    Bound {
        /// The connection's number (from 1).
        conn: u64,
        /// Its `system_id`.
        system_id: String,
        /// How it bound.
        kind: BindKind,
        /// Its address.
        peer: SocketAddr,
    },
    /// A bound session ended.
    Closed {
        /// The connection's number.
        conn: u64,
        /// Its `system_id`.
        system_id: String,
        /// Why.
        reason: CloseReason,
    },
}

/// Authenticates binds against the configured accounts, or accepts any when there are none.
struct SimAuth {
    accounts: Vec<(String, Password)>,
}

impl Authenticator for SimAuth {
    async fn authenticate(&self, c: &BindCredentials) -> Result<BindGrant, CommandStatus> {
        if self.accounts.is_empty() {
            return Ok(BindGrant::default());
        }
        match self.accounts.iter().find(|(id, _)| *id == c.system_id) {
            None => Err(CommandStatus::ESME_RINVSYSID),
            Some((_, pw)) if pw.matches(c.password.expose()) => Ok(BindGrant::default()),
            Some(_) => Err(CommandStatus::ESME_RINVPASWD),
        }
    }
}

/// What the simulator's tasks share.
pub(crate) struct Shared {
    pub(crate) config: SimConfig,
    pub(crate) counters: Counters,
    pub(crate) store: Store,
    rng: Mutex<SmallRng>,
    pub(crate) next_id: AtomicU64,
    splitter: Mutex<Splitter>,
    pub(crate) shutdown: watch::Receiver<bool>,
    pub(crate) events: broadcast::Sender<SimEvent>,
    pub(crate) proxy: Option<Proxy>,
}

impl Shared {
    /// A uniform draw in `0.0..1.0`.
    pub(crate) fn random(&self) -> f64 {
        self.rng.lock().unwrap_or_else(|e| e.into_inner()).random()
    }

    /// A uniform draw in `0..n` (`n` at least 1).
    pub(crate) fn random_below(&self, n: u64) -> u64 {
        self.rng
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .random_range(0..n.max(1))
    }

    /// Resolves once shutdown is asked for.
    pub(crate) async fn stopped(&self) {
        let mut rx = self.shutdown.clone();
        let _ = rx.wait_for(|v| *v).await;
    }
}

/// The simulator. See [`Simulator::start`].
#[derive(Debug)]
pub struct Simulator;

impl Simulator {
    /// Listens as `config` says and runs until [`SimHandle::shutdown`] (or the handle is
    /// dropped).
    pub async fn start(config: SimConfig) -> Result<SimHandle, SimError> {
        let accounts = config
            .accounts
            .iter()
            .map(|(id, pw)| {
                Password::try_from(pw.as_str())
                    .map(|p| (id.clone(), p))
                    .map_err(|_| SimError::Password(id.clone()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let auth = SimAuth { accounts };
        let relay = config.faults.malformed_after_submits.is_some();
        let (server, proxy) = if relay {
            let mut inner = config.smsc.clone();
            let tls = inner.tls.take();
            let server = SmscServer::bind("127.0.0.1:0", auth, inner).await?;
            let proxy = Proxy::start(
                config.listen,
                server.local_addr(),
                tls.as_ref(),
                config.smsc.handshake_timeout,
            )
            .await?;
            (server, Some(proxy))
        } else {
            let server = SmscServer::bind(config.listen, auth, config.smsc.clone()).await?;
            (server, None)
        };
        let local_addr = proxy
            .as_ref()
            .map_or_else(|| server.local_addr(), Proxy::local_addr);
        let rng = match config.seed {
            Some(s) => SmallRng::seed_from_u64(s),
            None => SmallRng::from_os_rng(),
        };
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let (events, _) = broadcast::channel(1024);
        let shared = Arc::new(Shared {
            next_id: AtomicU64::new(config.first_id),
            config,
            counters: Counters::default(),
            store: Store::default(),
            rng: Mutex::new(rng),
            splitter: Mutex::new(Splitter::new(ConcatMode::Udh8)),
            shutdown: shutdown_rx,
            events: events.clone(),
            proxy,
        });
        let mut tasks = vec![tokio::spawn(accept_loop(server, shared.clone()))];
        if let Some(mo) = shared.config.mo.clone() {
            if !mo.texts.is_empty() && mo.rate_per_sec > 0.0 {
                tasks.push(tokio::spawn(mo_loop(shared.clone(), mo)));
            }
        }
        Ok(SimHandle {
            local_addr,
            shared,
            shutdown: shutdown_tx,
            tasks,
        })
    }
}

/// A running simulator. Dropping it stops listening and closes every session.
pub struct SimHandle {
    local_addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for SimHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimHandle")
            .field("local_addr", &self.local_addr)
            .field("counters", &self.counters())
            .finish_non_exhaustive()
    }
}

impl SimHandle {
    /// The address ESMEs connect to.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// What the simulator has done so far.
    pub fn counters(&self) -> SimCounters {
        self.shared.counters.snapshot()
    }

    /// The submissions accepted so far, oldest first (the last 100 000), one per PDU: a long
    /// message shows as its parts.
    pub fn submissions(&self) -> Vec<Submission> {
        self.shared.store.submissions()
    }

    /// Bind events from now on (a lagging receiver loses the oldest).
    pub fn subscribe(&self) -> broadcast::Receiver<SimEvent> {
        self.shared.events.subscribe()
    }

    /// Sends one MO message (split into UDH parts when long) from `source` to `destination`
    /// to the next RX/TRX bind of `system_id` (any when `None`); returns the parts sent.
    /// With no such bind it waits up to [`RECEIVER_GRACE`] for one: an ESME sees its
    /// `bind_resp` a moment before the simulator has registered the session.
    pub async fn inject_mo(
        &self,
        text: &str,
        source: &str,
        destination: &str,
        system_id: Option<&str>,
    ) -> Result<usize, SimError> {
        let deadline = tokio::time::Instant::now() + RECEIVER_GRACE;
        loop {
            match send_mo(&self.shared, text, source, destination, system_id).await {
                Err(SimError::NoReceiver) if tokio::time::Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                r => return r,
            }
        }
    }

    /// Stops listening, closes every session and waits for the simulator's tasks.
    pub async fn shutdown(mut self) {
        self.stop();
        for t in std::mem::take(&mut self.tasks) {
            let _ = t.await;
        }
    }

    fn stop(&self) {
        let _ = self.shutdown.send(true);
        for h in self.shared.store.all_sessions() {
            h.close();
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        self.stop();
        for t in &self.tasks {
            t.abort();
        }
    }
}

async fn accept_loop(mut server: SmscServer, shared: Arc<Shared>) {
    let mut conn = 0u64;
    loop {
        let session: SmscSession = tokio::select! {
            s = server.accept() => match s {
                Some(s) => s,
                None => break,
            },
            _ = shared.stopped() => break,
        };
        conn += 1;
        Counters::bump(&shared.counters.binds);
        tokio::spawn(session::run(shared.clone(), session, conn));
    }
}

async fn mo_loop(shared: Arc<Shared>, mo: MoConfig) {
    let period = Duration::from_secs_f64(1.0 / mo.rate_per_sec.max(0.001));
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut sent = 0u64;
    loop {
        if mo.count.is_some_and(|c| sent >= c) {
            break;
        }
        tokio::select! {
            _ = tick.tick() => {}
            _ = shared.stopped() => break,
        }
        let text = &mo.texts[(sent % mo.texts.len() as u64) as usize];
        match send_mo(
            &shared,
            text,
            &mo.source,
            &mo.destination,
            mo.system_id.as_deref(),
        )
        .await
        {
            Ok(_) => sent += 1,
            // Nobody to send to yet: try again on the next tick.
            Err(SimError::NoReceiver) => {}
            Err(e) => {
                tracing::warn!(error = %e, "sim: MO message not delivered");
                if matches!(e, SimError::Build(_)) {
                    break;
                }
            }
        }
    }
}

async fn send_mo(
    shared: &Shared,
    text: &str,
    source: &str,
    destination: &str,
    system_id: Option<&str>,
) -> Result<usize, SimError> {
    let build = |e: &dyn std::fmt::Display| SimError::Build(e.to_string());
    let template = DeliverSm {
        source_addr_ton: 1,
        source_addr_npi: 1,
        source_addr: COctetString::try_from(source).map_err(|e| build(&e))?,
        destination_addr: COctetString::try_from(destination).map_err(|e| build(&e))?,
        ..DeliverSm::default()
    };
    let encoding = coding::choose(text, &[]).encoding;
    let parts = shared
        .splitter
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .deliver_sms(&template, text, &encoding)
        .map_err(|e| build(&e))?;
    let handle = shared
        .store
        .receiver(system_id)
        .ok_or(SimError::NoReceiver)?;
    let n = parts.len();
    for part in parts {
        handle.deliver_sm(for_peer(part, &handle)).await?;
    }
    Counters::bump(&shared.counters.mo_sent);
    Ok(n)
}

/// `sm` as the ESME behind `h` may receive it: without optional parameters when it bound as
/// SMPP 3.3 or earlier (SMPP 3.4 §3.3: an SMSC must not send them to such an ESME; a 3.3
/// receipt is its text alone).
pub(crate) fn for_peer(mut sm: DeliverSm, h: &SmscHandle) -> DeliverSm {
    if h.info().interface_version < smpp_codec::field::version::V34 {
        sm.tlvs = smpp_codec::Tlvs::empty();
    }
    sm
}

/// `t` (UTC) as a receipt date.
pub(crate) fn receipt_time(t: SystemTime) -> ReceiptTime {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = (yoe + era * 400 + i64::from(month <= 2)) as u16;
    ReceiptTime::new(
        year,
        month,
        day,
        (rem / 3600) as u8,
        (rem % 3600 / 60) as u8,
        (rem % 60) as u8,
    )
    .unwrap_or(ReceiptTime {
        year: 2000,
        month: 1,
        day: 1,
        hour: 0,
        minute: 0,
        second: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_709_294_400 + 61);
        let r = receipt_time(t);
        assert_eq!(r.to_yymmddhhmmss(), "240301120101");
        assert_eq!(
            receipt_time(SystemTime::UNIX_EPOCH).to_yymmddhhmm(),
            "7001010000"
        );
    }
}
