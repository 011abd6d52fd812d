//! The ESME side: [`EsmeClient::connect`] opens a TCP or TLS connection (`smpp://` /
//! `smpps://`), binds, and returns a cloneable [`Handle`] with one async method per operation
//! plus the [`Inbound`] stream of the SMSC's requests (`deliver_sm`, `data_sm`,
//! `alert_notification`), each with a [`crate::net::Responder`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use smpp_codec::Body;
use smpp_codec::{
    Bind, BroadcastSm, BroadcastSmResp, CancelBroadcastSm, CancelSm, CommandId, CommandStatus,
    DataSm, DataSmResp, Pdu, QueryBroadcastSm, QueryBroadcastSmResp, QuerySm, QuerySmResp,
    ReplaceSm, SubmitMulti, SubmitMultiResp, SubmitSm, SubmitSmResp, field::version,
};
use tokio::net::TcpStream;
use tracing::Instrument;

use crate::net::driver::{Driver, Phase};
use crate::net::error::expect;
use crate::net::link::Link;
pub use crate::net::{Inbound, InboundRequest, RequestError, Responder};
use crate::session::{
    BindKind, CloseReason, Event, FailReason, Password, Role, SendError, Session, SessionConfig,
};
use crate::tls::{TlsClientConfig, TlsError};

/// The default SMPP port (IANA "smpp", 2775), for `smpp://` and `smpps://` URLs without one.
pub const DEFAULT_PORT: u16 = 2775;

/// How to reach and bind to an SMSC. `Debug` output never shows the password.
#[derive(Clone, Debug)]
pub struct EsmeConfig {
    /// Host name or address of the SMSC.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// TLS settings; `Some` for `smpps://`.
    pub tls: Option<TlsClientConfig>,
    /// Transmitter, receiver or transceiver.
    pub bind_kind: BindKind,
    /// `system_id` (at most 15 characters).
    pub system_id: String,
    /// `password` (at most 8 characters).
    pub password: Password,
    /// `system_type` (at most 12 characters; often empty).
    pub system_type: String,
    /// `interface_version`: 0x34 (SMPP 3.4, the default) or 0x50.
    pub interface_version: u8,
    /// `addr_ton` of `address_range`.
    pub addr_ton: u8,
    /// `addr_npi` of `address_range`.
    pub addr_npi: u8,
    /// `address_range` (at most 40 characters; usually empty).
    pub address_range: String,
    /// Window, timers, inbound queue bound (`max_inbound_pending`), decoding.
    pub session: SessionConfig,
    /// How long the TCP connect (and TLS handshake) may take.
    pub connect_timeout: Duration,
    /// The label of this bind in logs and metrics; defaults to `system_id@host:port`.
    pub name: Option<String>,
}

/// Why an `EsmeConfig` could not be built or used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The URL is not `smpp://host[:port]` or `smpps://host[:port]`.
    #[error("{0:?} is not an SMPP URL: write smpp://host:port or smpps://host:port")]
    Url(String),
    /// A field is longer than SMPP allows, or holds a NUL.
    #[error("{field} is invalid: {reason}")]
    Field {
        /// The field.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
}

impl EsmeConfig {
    /// A transceiver bind to `url` (`smpp://host:port`, or `smpps://host:port` for TLS with the
    /// system's CA roots) as `system_id` / `password`, with default session settings.
    pub fn new(url: &str, system_id: &str, password: &str) -> Result<Self, ConfigError> {
        let (tls, rest) = if let Some(rest) = url.strip_prefix("smpps://") {
            (true, rest)
        } else if let Some(rest) = url.strip_prefix("smpp://") {
            (false, rest)
        } else {
            return Err(ConfigError::Url(url.into()));
        };
        let rest = rest.trim_end_matches('/');
        let (host, port) = split_host_port(rest).ok_or_else(|| ConfigError::Url(url.into()))?;
        let password = Password::try_from(password).map_err(|e| ConfigError::Field {
            field: "password",
            reason: e.to_string(),
        })?;
        Ok(EsmeConfig {
            host,
            port,
            tls: tls.then(TlsClientConfig::default),
            bind_kind: BindKind::Transceiver,
            system_id: system_id.into(),
            password,
            system_type: String::new(),
            interface_version: version::V34,
            addr_ton: 0,
            addr_npi: 0,
            address_range: String::new(),
            session: SessionConfig::default(),
            connect_timeout: Duration::from_secs(10),
            name: None,
        })
    }

    /// The label used in logs and metrics.
    pub fn bind_name(&self) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| format!("{}@{}:{}", self.system_id, self.host, self.port))
    }

    fn bind_body(&self) -> Result<Bind, ConfigError> {
        fn field<T: for<'a> TryFrom<&'a str, Error = smpp_codec::EncodeError>>(
            field: &'static str,
            v: &str,
        ) -> Result<T, ConfigError> {
            T::try_from(v).map_err(|e| ConfigError::Field {
                field,
                reason: e.to_string(),
            })
        }
        Ok(Bind {
            system_id: field("system_id", &self.system_id)?,
            password: self.password.clone().into_inner(),
            system_type: field("system_type", &self.system_type)?,
            interface_version: self.interface_version,
            addr_ton: self.addr_ton,
            addr_npi: self.addr_npi,
            address_range: field("address_range", &self.address_range)?,
        })
    }
}

fn split_host_port(s: &str) -> Option<(String, u16)> {
    if s.is_empty() {
        return None;
    }
    if let Some(rest) = s.strip_prefix('[') {
        // [v6]:port
        let (host, after) = rest.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(p) => p.parse().ok()?,
            None if after.is_empty() => DEFAULT_PORT,
            None => return None,
        };
        return Some((host.to_owned(), port));
    }
    match s.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() && !host.contains(':') => {
            Some((host.to_owned(), port.parse().ok()?))
        }
        Some(_) => None,
        None => Some((s.to_owned(), DEFAULT_PORT)),
    }
}

/// Why `connect` did not yield a bound session.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The configuration cannot be used.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The TCP connection failed.
    #[error("cannot connect to {addr}: {source}")]
    Io {
        /// `host:port`.
        addr: String,
        /// The error.
        source: std::io::Error,
    },
    /// No TCP connection (or TLS handshake) within `connect_timeout`.
    #[error("no connection to {addr} within {timeout:?}: check the address and the network")]
    Timeout {
        /// `host:port`.
        addr: String,
        /// The limit.
        timeout: Duration,
    },
    /// The TLS configuration is unusable.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// The TLS handshake failed (certificate not trusted, wrong name, not a TLS server...).
    #[error("TLS handshake with {addr} failed: {source}")]
    TlsHandshake {
        /// `host:port`.
        addr: String,
        /// The error.
        source: std::io::Error,
    },
    /// The SMSC refused the bind with this status (`ESME_RBINDFAIL`, `ESME_RINVPASWD`, ...).
    #[error("the SMSC refused the bind: {0}")]
    BindRejected(CommandStatus),
    /// The bind got no usable answer (timeout, `generic_nack`).
    #[error("the bind got no usable response: {0:?}")]
    BindFailed(FailReason),
    /// The session closed during the bind for another reason.
    #[error("the session closed during the bind: {0:?}")]
    Closed(CloseReason),
    /// An `outbind` came with a `system_id` or password other than the expected ones; the
    /// connection was closed without binding.
    #[error("refused an outbind from system_id {system_id:?}: wrong system_id or password")]
    OutbindRejected {
        /// The `system_id` the MC sent.
        system_id: String,
    },
}

impl ConnectError {
    /// `true` when connecting again later may succeed (network trouble, a temporary status).
    pub fn is_temporary(&self) -> bool {
        match self {
            ConnectError::Config(_) | ConnectError::Tls(_) => false,
            ConnectError::OutbindRejected { .. } => false,
            ConnectError::BindRejected(s) => s.is_temporary(),
            _ => true,
        }
    }
}

/// Connects ESMEs. See [`EsmeClient::connect`].
#[derive(Debug)]
pub struct EsmeClient;

impl EsmeClient {
    /// Connects (TCP, or TLS for `smpps://`), binds as configured and returns the session's
    /// handle and the stream of the SMSC's requests. The session runs on its own task until
    /// unbound, closed, or until the handle (all clones) and the stream are dropped.
    pub async fn connect(config: EsmeConfig) -> Result<(Handle, Inbound), ConnectError> {
        let name: Arc<str> = config.bind_name().into();
        let span = tracing::info_span!("smpp", role = "esme", bind = %name);
        connect_in(config, name).instrument(span).await
    }

    /// The ESME side of outbind (SMPP 5.0 §2.3.7, §4.1.1.9): accepts one connection on
    /// `listener`, waits (up to `config.connect_timeout`) for the MC's `outbind`, checks its
    /// `system_id` and password against `expect` when given, then binds over that connection
    /// as `config` says (a receiver, usually) and returns the session like
    /// [`connect`](Self::connect). `config`'s host and port are not used. Plain TCP.
    pub async fn accept_outbind(
        listener: &tokio::net::TcpListener,
        config: EsmeConfig,
        expect: Option<OutbindCredentials>,
    ) -> Result<(Handle, Inbound), ConnectError> {
        let name: Arc<str> = config.bind_name().into();
        let span = tracing::info_span!("smpp", role = "esme", bind = %name, outbind = true);
        outbind_in(listener, config, expect, name)
            .instrument(span)
            .await
    }
}

/// The MC's credentials an ESME expects in an `outbind`. `Debug` output never shows the password.
#[derive(Clone)]
pub struct OutbindCredentials {
    /// The MC's `system_id`.
    pub system_id: String,
    /// The MC's password.
    pub password: String,
}

impl fmt::Debug for OutbindCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutbindCredentials")
            .field("system_id", &self.system_id)
            .field("password", &"<redacted>")
            .finish()
    }
}

async fn outbind_in(
    listener: &tokio::net::TcpListener,
    config: EsmeConfig,
    expect: Option<OutbindCredentials>,
    name: Arc<str>,
) -> Result<(Handle, Inbound), ConnectError> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let bind = config.bind_body()?;
    let addr = listener
        .local_addr()
        .map_or_else(|_| "listener".to_owned(), |a| a.to_string());
    let timeout = config.connect_timeout;
    let deadline = tokio::time::Instant::now() + timeout;
    let timed_out = || ConnectError::Timeout {
        addr: addr.clone(),
        timeout,
    };
    let io = |source| ConnectError::Io {
        addr: addr.clone(),
        source,
    };
    let (mut tcp, peer) = tokio::time::timeout_at(deadline, listener.accept())
        .await
        .map_err(|_| timed_out())?
        .map_err(io)?;
    let _ = tcp.set_nodelay(true);
    tracing::debug!(?peer, "accepted a connection, waiting for outbind");

    let mut session = Session::new(
        Role::Esme,
        config.session.clone(),
        tokio::time::Instant::now().into_std(),
    );
    let mut buf = vec![0u8; 4096];
    let (system_id, password) = 'outbind: loop {
        // Whatever the core answers on its own (a generic_nack to garbage) goes out first.
        while let Some(out) = session.poll_transmit() {
            tcp.write_all(&out).await.map_err(io)?;
        }
        while let Some(event) = session.poll_event() {
            match event {
                Event::OutbindReceived {
                    system_id,
                    password,
                } => break 'outbind (system_id, password),
                Event::Closed { reason } => return Err(ConnectError::Closed(reason)),
                _ => {}
            }
        }
        let n = tokio::time::timeout_at(deadline, tcp.read(&mut buf))
            .await
            .map_err(|_| timed_out())?
            .map_err(io)?;
        if n == 0 {
            return Err(ConnectError::Closed(CloseReason::Disconnected));
        }
        session.handle_input(tokio::time::Instant::now().into_std(), &buf[..n]);
    };
    let system_id = String::from_utf8_lossy(system_id.as_bytes()).into_owned();
    if let Some(expect) = &expect {
        if expect.system_id != system_id || !password.matches(expect.password.as_bytes()) {
            tracing::warn!(%system_id, "outbind refused: wrong system_id or password");
            return Err(ConnectError::OutbindRejected { system_id });
        }
    }
    tracing::debug!(%system_id, "outbind received, binding");
    let now = tokio::time::Instant::now().into_std();
    session
        .bind(now, config.bind_kind, bind)
        .map_err(bind_send_error)?;
    run_bind(session, name, &config, tcp).await
}

fn bind_send_error(e: SendError) -> ConnectError {
    match e {
        SendError::Encode(e) => ConnectError::Config(ConfigError::Field {
            field: "bind",
            reason: e.to_string(),
        }),
        _ => ConnectError::Closed(CloseReason::Local),
    }
}

/// Runs a session whose bind is queued on `stream` and waits for the bind's outcome.
async fn run_bind<S>(
    session: Session,
    name: Arc<str>,
    config: &EsmeConfig,
    stream: S,
) -> Result<(Handle, Inbound), ConnectError>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + 'static,
{
    let (bound_tx, bound_rx) = tokio::sync::oneshot::channel();
    let (driver, link, inbound) = Driver::new(
        session,
        name,
        Phase::Esme {
            bound: Some(bound_tx),
        },
    );
    tokio::spawn(driver.run(stream).instrument(tracing::Span::current()));
    bound_handle(bound_rx, link, inbound, config).await
}

async fn bound_handle(
    bound_rx: tokio::sync::oneshot::Receiver<Result<crate::net::driver::EsmeBound, CloseReason>>,
    link: Link,
    inbound: Inbound,
    config: &EsmeConfig,
) -> Result<(Handle, Inbound), ConnectError> {
    let bound = match bound_rx.await {
        Ok(Ok(bound)) => bound,
        Ok(Err(CloseReason::BindRejected(status))) => {
            return Err(ConnectError::BindRejected(status));
        }
        Ok(Err(CloseReason::BindFailed(reason))) => return Err(ConnectError::BindFailed(reason)),
        Ok(Err(reason)) => return Err(ConnectError::Closed(reason)),
        Err(_) => return Err(ConnectError::Closed(CloseReason::Disconnected)),
    };
    Ok((
        Handle {
            link,
            info: Arc::new(BoundInfo {
                kind: bound.kind,
                peer_system_id: bound.peer_system_id,
                peer_interface_version: bound.peer_interface_version,
                name: config.bind_name(),
            }),
        },
        inbound,
    ))
}

async fn connect_in(config: EsmeConfig, name: Arc<str>) -> Result<(Handle, Inbound), ConnectError> {
    let bind = config.bind_body()?;
    let addr = format!("{}:{}", config.host, config.port);
    let tls = match &config.tls {
        Some(t) => Some((t.build()?, t.server_name(&config.host)?)),
        None => None,
    };
    let timeout = config.connect_timeout;
    let timed_out = || ConnectError::Timeout {
        addr: addr.clone(),
        timeout,
    };
    let tcp = tokio::time::timeout(
        timeout,
        TcpStream::connect((config.host.as_str(), config.port)),
    )
    .await
    .map_err(|_| timed_out())?
    .map_err(|source| ConnectError::Io {
        addr: addr.clone(),
        source,
    })?;
    let _ = tcp.set_nodelay(true);
    tracing::debug!(peer = ?tcp.peer_addr().ok(), "connected");

    let now = tokio::time::Instant::now().into_std();
    let mut session = Session::new(Role::Esme, config.session.clone(), now);
    session
        .bind(now, config.bind_kind, bind)
        .map_err(bind_send_error)?;
    match tls {
        None => run_bind(session, name, &config, tcp).await,
        Some((tls, server_name)) => {
            let connector = tokio_rustls::TlsConnector::from(tls);
            let stream = tokio::time::timeout(timeout, connector.connect(server_name, tcp))
                .await
                .map_err(|_| timed_out())?
                .map_err(|source| ConnectError::TlsHandshake {
                    addr: addr.clone(),
                    source,
                })?;
            tracing::debug!("TLS established");
            run_bind(session, name, &config, stream).await
        }
    }
}

/// What the bind established.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BoundInfo {
    /// How the session is bound.
    pub kind: BindKind,
    /// The SMSC's `system_id` from the bind response.
    pub peer_system_id: String,
    /// The SMSC's `sc_interface_version`, when it sent one.
    pub peer_interface_version: Option<u8>,
    /// The bind's label in logs and metrics.
    pub name: String,
}

/// A bound ESME session. Clone it freely: every clone drives the same session. When the
/// window is full, calls wait for room (backpressure); they fail only with a
/// [`RequestError`]. Dropping every clone and the [`Inbound`] stream unbinds.
#[derive(Clone)]
pub struct Handle {
    link: Link,
    info: Arc<BoundInfo>,
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle")
            .field("bind", &self.info.name)
            .field("kind", &self.info.kind)
            .field("closed", &self.link.close_reason())
            .finish_non_exhaustive()
    }
}

macro_rules! operations {
    ($( $(#[$doc:meta])* $fn:ident($req:ident: $ty:ty) -> $out:ty = $cmd:ident, $take:expr; )*) => {
        $(
            $(#[$doc])*
            pub async fn $fn(&self, $req: $ty) -> Result<$out, RequestError> {
                let pdu = self.link.request(Body::$cmd($req)).await?;
                expect(CommandId::$cmd, pdu, $take)
            }
        )*
    };
}

impl Handle {
    operations! {
        /// Sends `submit_sm`; the response carries the SMSC's `message_id`.
        submit_sm(sm: SubmitSm) -> SubmitSmResp = SubmitSm, |b| match b { Body::SubmitSmResp(r) => Some(r), _ => None };
        /// Sends `data_sm`.
        data_sm(sm: DataSm) -> DataSmResp = DataSm, |b| match b { Body::DataSmResp(r) => Some(r), _ => None };
        /// Sends `query_sm`.
        query_sm(q: QuerySm) -> QuerySmResp = QuerySm, |b| match b { Body::QuerySmResp(r) => Some(r), _ => None };
        /// Sends `cancel_sm`.
        cancel_sm(c: CancelSm) -> () = CancelSm, |b| matches!(b, Body::CancelSmResp).then_some(());
        /// Sends `replace_sm`.
        replace_sm(r: ReplaceSm) -> () = ReplaceSm, |b| matches!(b, Body::ReplaceSmResp).then_some(());
        /// Sends `submit_multi`; the response lists the destinations that failed.
        submit_multi(sm: SubmitMulti) -> SubmitMultiResp = SubmitMulti, |b| match b { Body::SubmitMultiResp(r) => Some(r), _ => None };
        /// Sends `broadcast_sm` (SMPP 5.0).
        broadcast_sm(sm: BroadcastSm) -> BroadcastSmResp = BroadcastSm, |b| match b { Body::BroadcastSmResp(r) => Some(r), _ => None };
        /// Sends `query_broadcast_sm` (SMPP 5.0).
        query_broadcast_sm(q: QueryBroadcastSm) -> QueryBroadcastSmResp = QueryBroadcastSm, |b| match b { Body::QueryBroadcastSmResp(r) => Some(r), _ => None };
        /// Sends `cancel_broadcast_sm` (SMPP 5.0).
        cancel_broadcast_sm(c: CancelBroadcastSm) -> () = CancelBroadcastSm, |b| matches!(b, Body::CancelBroadcastSmResp).then_some(());
    }

    /// Sends `enquire_link` (the session also sends them itself on its timer).
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

    /// Unbinds and waits until the session is closed. Requests still unanswered when the
    /// SMSC's `unbind_resp` arrives fail with [`RequestError::Closed`].
    pub async fn unbind(&self) -> Result<(), RequestError> {
        self.link.unbind().await
    }

    /// Closes the connection at once, without `unbind`.
    pub fn close(&self) {
        self.link.close();
    }

    /// Waits until the session is closed and says why.
    pub async fn closed(&self) -> CloseReason {
        self.link.closed().await
    }

    /// Why the session closed, `None` while it is open.
    pub fn close_reason(&self) -> Option<CloseReason> {
        self.link.close_reason()
    }

    /// Window slots free now.
    pub fn window_available(&self) -> usize {
        self.link.window_available()
    }

    /// What the bind established.
    pub fn info(&self) -> &BoundInfo {
        &self.info
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let c = EsmeConfig::new("smpps://smsc.example:3550", "id", "pw").unwrap();
        assert_eq!(
            (c.host.as_str(), c.port, c.tls.is_some()),
            ("smsc.example", 3550, true)
        );
        let c = EsmeConfig::new("smpp://10.0.0.1", "id", "pw").unwrap();
        assert_eq!(
            (c.host.as_str(), c.port, c.tls.is_some()),
            ("10.0.0.1", 2775, false)
        );
        let c = EsmeConfig::new("smpp://[::1]:2776/", "id", "pw").unwrap();
        assert_eq!((c.host.as_str(), c.port), ("::1", 2776));
        assert!(EsmeConfig::new("http://x:1", "id", "pw").is_err());
        assert!(EsmeConfig::new("smpp://x:notaport", "id", "pw").is_err());
        assert!(EsmeConfig::new("smpp://x:1", "id", "much-too-long").is_err());
    }

    #[test]
    fn debug_hides_the_password() {
        let c = EsmeConfig::new("smpp://h:1", "id", "s3cr3t").unwrap();
        let s = format!("{c:?}");
        assert!(!s.contains("s3cr3t"), "{s}");
        assert!(s.contains("<redacted>"));
    }
}
