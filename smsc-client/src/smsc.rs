//! The SMSC side: [`SmscServer::bind`] listens (TCP, or TLS with [`TlsServerConfig`]), runs the
//! session core as `Role::Smsc` on each connection, asks the application's [`Authenticator`]
//! about each bind, enforces the per-bind limits of its [`BindGrant`], and hands each bound
//! session to the application as an [`SmscSession`]: the ESME's requests with responders, and a
//! handle to send `deliver_sm` / `data_sm` / `alert_notification` to the ESME.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use smpp_codec::{
    AlertNotification, Body, COctetString, CommandId, CommandStatus, DataSm, DataSmResp, DeliverSm,
    DeliverSmResp, Pdu,
};
use tokio::net::{TcpListener, TcpStream, ToSocketAddrs};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tracing::Instrument;

use crate::net::driver::{Command, Driver, Phase};
use crate::net::error::expect;
use crate::net::link::Link;
pub use crate::net::{Inbound, InboundRequest, RequestError, Responder};
use crate::session::{BindKind, BindRequest, CloseReason, Password, Role, Session, SessionConfig};
use crate::tls::{TlsError, TlsServerConfig};

/// How the SMSC side behaves.
#[derive(Clone, Debug)]
pub struct SmscConfig {
    /// Our `system_id`, sent in bind responses (at most 15 characters).
    pub system_id: String,
    /// Window (for our `deliver_sm`s), timers, inbound bound (the ESME's requests awaiting
    /// the application), decoding. Grants may lower the window and the inbound bound per bind.
    pub session: SessionConfig,
    /// TLS: every connection must speak TLS when set.
    pub tls: Option<TlsServerConfig>,
    /// How long a TLS handshake may take.
    pub handshake_timeout: Duration,
    /// How long the authenticator may take before the bind is refused (`ESME_RBINDFAIL`).
    pub auth_timeout: Duration,
    /// Bound sessions waiting for [`SmscServer::accept`]; beyond it new binds are closed.
    pub accept_queue: usize,
}

impl Default for SmscConfig {
    fn default() -> Self {
        SmscConfig {
            system_id: "smsc".into(),
            session: SessionConfig::default(),
            tls: None,
            handshake_timeout: Duration::from_secs(10),
            auth_timeout: Duration::from_secs(10),
            accept_queue: 64,
        }
    }
}

/// The credentials of a bind request. `Debug` shows no password.
#[derive(Clone, Debug)]
pub struct BindCredentials {
    /// How the ESME asks to bind.
    pub kind: BindKind,
    /// `system_id`.
    pub system_id: String,
    /// `password`: compare with [`Password::matches`].
    pub password: Password,
    /// `system_type`.
    pub system_type: String,
    /// `interface_version`.
    pub interface_version: u8,
    /// `address_range`.
    pub address_range: String,
    /// The ESME's address.
    pub peer: SocketAddr,
}

/// What an accepted bind may do.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BindGrant {
    /// The most `deliver_sm`/`data_sm` we keep in flight to this bind (at most the
    /// configured window).
    pub max_window: Option<usize>,
    /// The most of this bind's requests awaiting our answer; beyond it they are answered
    /// `ESME_RTHROTTLED` (at most the configured inbound bound, which answers `ESME_RMSGQFUL`).
    pub max_inbound_pending: Option<usize>,
    /// The most simultaneous binds of this `system_id`; beyond it binds are refused with
    /// `ESME_RBINDFAIL`.
    pub max_binds: Option<usize>,
}

/// Decides on binds. Return the bind's limits, or the status to refuse it with
/// (`ESME_RINVPASWD`, `ESME_RINVSYSID`, `ESME_RBINDFAIL`...).
pub trait Authenticator: Send + Sync + 'static {
    /// Checks `credentials`.
    fn authenticate(
        &self,
        credentials: &BindCredentials,
    ) -> impl Future<Output = Result<BindGrant, CommandStatus>> + Send;
}

/// An [`Authenticator`] over a fixed table of accounts. `Debug` shows no passwords.
#[derive(Clone, Default)]
pub struct StaticAuthenticator {
    accounts: HashMap<String, (Password, BindGrant)>,
}

impl StaticAuthenticator {
    /// No accounts.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) an account.
    pub fn with_account(mut self, system_id: &str, password: Password, grant: BindGrant) -> Self {
        self.accounts.insert(system_id.into(), (password, grant));
        self
    }
}

impl fmt::Debug for StaticAuthenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaticAuthenticator")
            .field("system_ids", &self.accounts.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Authenticator for StaticAuthenticator {
    async fn authenticate(&self, c: &BindCredentials) -> Result<BindGrant, CommandStatus> {
        match self.accounts.get(&c.system_id) {
            Some((pw, grant)) if pw.matches(c.password.expose()) => Ok(grant.clone()),
            // One status for both: do not tell a prober which system_ids exist.
            _ => Err(CommandStatus::ESME_RBINDFAIL),
        }
    }
}

type AuthFuture = Pin<Box<dyn Future<Output = Result<BindGrant, CommandStatus>> + Send>>;

/// The authenticator behind a pointer the driver can hold.
trait DynAuthenticator: Send + Sync {
    fn authenticate_owned(self: Arc<Self>, credentials: BindCredentials) -> AuthFuture;
}

impl<A: Authenticator> DynAuthenticator for A {
    fn authenticate_owned(self: Arc<Self>, credentials: BindCredentials) -> AuthFuture {
        Box::pin(async move { self.authenticate(&credentials).await })
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The listening socket.
    #[error("cannot listen: {0}")]
    Io(#[from] std::io::Error),
    /// The TLS configuration.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// Our `system_id` is not a valid SMPP `system_id`.
    #[error("system_id {0:?} is invalid: at most 15 characters, no NUL")]
    SystemId(String),
}

/// Binds per `system_id`, for `BindGrant::max_binds`.
#[derive(Default)]
struct Registry(Mutex<HashMap<String, usize>>);

/// One counted bind; uncounts on drop.
struct RegistryGuard {
    registry: Arc<Registry>,
    system_id: String,
}

impl Registry {
    fn try_add(self: &Arc<Self>, system_id: &str, max: Option<usize>) -> Option<RegistryGuard> {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let n = map.entry(system_id.to_owned()).or_insert(0);
        if max.is_some_and(|max| *n >= max) {
            return None;
        }
        *n += 1;
        Some(RegistryGuard {
            registry: self.clone(),
            system_id: system_id.to_owned(),
        })
    }
}

impl Drop for RegistryGuard {
    fn drop(&mut self) {
        let mut map = self.registry.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = map.get_mut(&self.system_id) {
            *n -= 1;
            if *n == 0 {
                map.remove(&self.system_id);
            }
        }
    }
}

/// What every connection's task shares.
struct Shared {
    auth: Arc<dyn DynAuthenticator>,
    config: SmscConfig,
    system_id: COctetString<16>,
    tls: Option<tokio_rustls::TlsAcceptor>,
    registry: Arc<Registry>,
    sessions: mpsc::Sender<SmscSession>,
}

/// A listening SMSC. Bound sessions come out of [`accept`](Self::accept). Dropping the server
/// stops listening; sessions already accepted live on.
pub struct SmscServer {
    local_addr: SocketAddr,
    sessions: mpsc::Receiver<SmscSession>,
    task: JoinHandle<()>,
}

impl fmt::Debug for SmscServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmscServer")
            .field("local_addr", &self.local_addr)
            .finish_non_exhaustive()
    }
}

impl SmscServer {
    /// Listens on `addr`, authenticating binds with `authenticator`.
    pub async fn bind<A: Authenticator>(
        addr: impl ToSocketAddrs,
        authenticator: A,
        config: SmscConfig,
    ) -> Result<SmscServer, ServerError> {
        let system_id = COctetString::try_from(config.system_id.as_str())
            .map_err(|_| ServerError::SystemId(config.system_id.clone()))?;
        let tls = match &config.tls {
            Some(t) => Some(tokio_rustls::TlsAcceptor::from(t.build()?)),
            None => None,
        };
        let listener = TcpListener::bind(addr).await?;
        let local_addr = listener.local_addr()?;
        let (tx, rx) = mpsc::channel(config.accept_queue.max(1));
        let shared = Arc::new(Shared {
            auth: Arc::new(authenticator),
            system_id,
            tls,
            registry: Arc::default(),
            sessions: tx,
            config,
        });
        let span = tracing::info_span!("smpp_listener", addr = %local_addr);
        let task = tokio::spawn(accept_loop(listener, shared).instrument(span));
        Ok(SmscServer {
            local_addr,
            sessions: rx,
            task,
        })
    }

    /// The address listened on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The next bound session.
    pub async fn accept(&mut self) -> Option<SmscSession> {
        self.sessions.recv().await
    }
}

impl Drop for SmscServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        match listener.accept().await {
            Ok((tcp, peer)) => {
                let _ = tcp.set_nodelay(true);
                let span =
                    tracing::info_span!("smpp", role = "smsc", %peer, bind = tracing::field::Empty);
                tokio::spawn(serve(tcp, peer, shared.clone()).instrument(span));
            }
            Err(e) => {
                // Out of descriptors and the like: back off rather than spin.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

async fn serve(tcp: TcpStream, peer: SocketAddr, shared: Arc<Shared>) {
    let now = tokio::time::Instant::now().into_std();
    let session = Session::new(Role::Smsc, shared.config.session.clone(), now);
    let (mut driver, link, inbound) = Driver::new(
        session,
        peer.to_string().into(),
        Phase::Esme { bound: None },
    );
    driver.set_phase(Phase::Smsc(Box::new(Acceptor {
        shared: shared.clone(),
        peer,
        link: Some(link),
        inbound: Some(inbound),
        credentials: None,
        grant: None,
        _guard: None,
    })));
    match &shared.tls {
        None => driver.run(tcp).await,
        Some(acceptor) => {
            let handshake =
                tokio::time::timeout(shared.config.handshake_timeout, acceptor.accept(tcp)).await;
            match handshake {
                Ok(Ok(stream)) => driver.run(stream).await,
                Ok(Err(e)) => tracing::info!(error = %e, "TLS handshake failed"),
                Err(_) => tracing::info!("TLS handshake timed out"),
            }
        }
    }
}

/// A bind accepted by the authenticator, as the driver applies it.
pub(crate) struct Accepted {
    pub(crate) system_id: COctetString<16>,
    pub(crate) window: Option<usize>,
    pub(crate) inbound_limit: Option<usize>,
    pub(crate) name: Arc<str>,
}

/// The SMSC side's bind logic, run by the driver: authenticate, count, deliver.
pub(crate) struct Acceptor {
    shared: Arc<Shared>,
    peer: SocketAddr,
    link: Option<Link>,
    inbound: Option<Inbound>,
    credentials: Option<BindCredentials>,
    grant: Option<BindGrant>,
    _guard: Option<RegistryGuard>,
}

impl Acceptor {
    /// A bind arrived: ask the authenticator on a task of its own; its verdict comes back as
    /// `Command::BindDecision`.
    pub(crate) fn on_bind_request(
        &mut self,
        request: BindRequest,
        tx: mpsc::UnboundedSender<Command>,
    ) {
        let credentials = BindCredentials {
            kind: request.kind,
            system_id: request.system_id.to_string(),
            password: request.password,
            system_type: request.system_type.to_string(),
            interface_version: request.interface_version,
            address_range: request.address_range.to_string(),
            peer: self.peer,
        };
        tracing::debug!(system_id = %credentials.system_id, kind = ?credentials.kind, "bind requested");
        let auth = self.shared.auth.clone();
        let limit = self.shared.config.auth_timeout;
        let fut = auth.authenticate_owned(credentials.clone());
        self.credentials = Some(credentials);
        tokio::spawn(
            async move {
                let verdict = match tokio::time::timeout(limit, fut).await {
                    Ok(v) => v,
                    Err(_) => {
                        tracing::warn!("authenticator timed out");
                        Err(CommandStatus::ESME_RBINDFAIL)
                    }
                };
                let _ = tx.send(Command::BindDecision(verdict));
            }
            .in_current_span(),
        );
    }

    /// The authenticator decided: apply `max_binds`, then accept or refuse.
    pub(crate) fn decide(
        &mut self,
        verdict: Result<BindGrant, CommandStatus>,
    ) -> Result<Accepted, CommandStatus> {
        let grant = verdict?;
        let credentials = self
            .credentials
            .as_ref()
            .ok_or(CommandStatus::ESME_RBINDFAIL)?;
        let guard = self
            .shared
            .registry
            .try_add(&credentials.system_id, grant.max_binds)
            .ok_or_else(|| {
                tracing::info!(system_id = %credentials.system_id, "too many binds for this system_id");
                CommandStatus::ESME_RBINDFAIL
            })?;
        self._guard = Some(guard);
        let accepted = Accepted {
            system_id: self.shared.system_id.clone(),
            window: grant.max_window,
            inbound_limit: grant.max_inbound_pending,
            name: format!("{}@{}", credentials.system_id, self.peer).into(),
        };
        self.grant = Some(grant);
        Ok(accepted)
    }

    /// Bound: hand the session to `accept`. `false` if nobody takes it.
    pub(crate) fn deliver(&mut self, kind: BindKind) -> bool {
        let (Some(link), Some(inbound), Some(c)) = (
            self.link.take(),
            self.inbound.take(),
            self.credentials.as_ref(),
        ) else {
            return false;
        };
        let info = Arc::new(SmscBindInfo {
            kind,
            system_id: c.system_id.clone(),
            system_type: c.system_type.clone(),
            interface_version: c.interface_version,
            address_range: c.address_range.clone(),
            peer: self.peer,
            grant: self.grant.clone().unwrap_or_default(),
        });
        let session = SmscSession {
            handle: SmscHandle { link, info },
            inbound,
        };
        self.shared.sessions.try_send(session).is_ok()
    }
}

/// What a bound ESME is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmscBindInfo {
    /// How it is bound.
    pub kind: BindKind,
    /// Its `system_id`.
    pub system_id: String,
    /// Its `system_type`.
    pub system_type: String,
    /// Its `interface_version`.
    pub interface_version: u8,
    /// Its `address_range`.
    pub address_range: String,
    /// Its address.
    pub peer: SocketAddr,
    /// What the authenticator granted.
    pub grant: BindGrant,
}

/// A bound ESME, as the SMSC application sees it: its requests ([`recv`](Self::recv)) and a
/// handle to send it messages.
#[derive(Debug)]
pub struct SmscSession {
    handle: SmscHandle,
    inbound: Inbound,
}

impl SmscSession {
    /// The handle for sending to the ESME.
    pub fn handle(&self) -> &SmscHandle {
        &self.handle
    }

    /// Who is bound.
    pub fn info(&self) -> &SmscBindInfo {
        &self.handle.info
    }

    /// The ESME's next request (`submit_sm`, `data_sm`, `query_sm`, ...), or `None` once the
    /// session is closed.
    pub async fn recv(&mut self) -> Option<InboundRequest> {
        self.inbound.recv().await
    }

    /// The handle and the request stream, to use on different tasks.
    pub fn into_parts(self) -> (SmscHandle, Inbound) {
        (self.handle, self.inbound)
    }
}

/// Sends requests to a bound ESME. Cheap to clone; a full window makes callers wait.
#[derive(Clone)]
pub struct SmscHandle {
    link: Link,
    info: Arc<SmscBindInfo>,
}

impl fmt::Debug for SmscHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmscHandle")
            .field("system_id", &self.info.system_id)
            .field("peer", &self.info.peer)
            .field("kind", &self.info.kind)
            .field("closed", &self.link.close_reason())
            .finish_non_exhaustive()
    }
}

impl SmscHandle {
    /// Sends `deliver_sm` (an MO message or a delivery receipt) and awaits the ESME's answer.
    pub async fn deliver_sm(&self, sm: DeliverSm) -> Result<DeliverSmResp, RequestError> {
        let pdu = self.link.request(Body::DeliverSm(sm)).await?;
        expect(CommandId::DeliverSm, pdu, |b| match b {
            Body::DeliverSmResp(r) => Some(r),
            _ => None,
        })
    }

    /// Sends `data_sm` and awaits the ESME's answer.
    pub async fn data_sm(&self, sm: DataSm) -> Result<DataSmResp, RequestError> {
        let pdu = self.link.request(Body::DataSm(sm)).await?;
        expect(CommandId::DataSm, pdu, |b| match b {
            Body::DataSmResp(r) => Some(r),
            _ => None,
        })
    }

    /// Sends `alert_notification` (no response); resolves once queued.
    pub async fn alert_notification(&self, alert: AlertNotification) -> Result<(), RequestError> {
        self.link.send(Body::AlertNotification(alert)).await
    }

    /// Sends `enquire_link` and awaits the answer.
    pub async fn enquire_link(&self) -> Result<(), RequestError> {
        let pdu = self.link.request(Body::EnquireLink).await?;
        expect(CommandId::EnquireLink, pdu, |b| {
            matches!(b, Body::EnquireLinkResp).then_some(())
        })
    }

    /// Sends any request and returns its response PDU, whatever its status.
    pub async fn request(&self, body: Body) -> Result<Pdu, RequestError> {
        self.link.request(body).await
    }

    /// Unbinds and waits until the session is closed.
    pub async fn unbind(&self) -> Result<(), RequestError> {
        self.link.unbind().await
    }

    /// Closes the connection at once.
    pub fn close(&self) {
        self.link.close();
    }

    /// Waits until the session is closed and says why.
    pub async fn closed(&self) -> CloseReason {
        self.link.closed().await
    }

    /// Who is bound.
    pub fn info(&self) -> &SmscBindInfo {
        &self.info
    }

    /// Window slots free now.
    pub fn window_available(&self) -> usize {
        self.link.window_available()
    }
}
