//! The MO pipeline's edge towards the SMSCs: [`MoSource`] (the SMSCs' requests: MOs and
//! receipts, each with its responder), and what a configured carrier binds with: the bind
//! pool's settings ([`pool_config`]) or, for a receiver-only carrier, one ESME bind's
//! ([`esme_config`]). MTs go out through [`crate::delivery::carrier::Carrier`].

use std::future::Future;
use std::pin::Pin;

use smsc_client::esme::EsmeConfig;
use smsc_client::net::InboundRequest;
use smsc_client::session::BindKind;
use tokio::sync::mpsc;

use smsc_client::pool::{BindMix, PoolConfig};

use crate::config::{BindType, CarrierConfig, Config, ConfigError};

/// A boxed carrier future.
pub type CarrierFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

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

/// How long a part waits for a bind of its carrier to come (back) up before it fails.
pub const UNAVAILABLE_TIMEOUT_MS: u64 = 30_000;

fn scheme(c: &CarrierConfig) -> &'static str {
    if c.tls { "smpps" } else { "smpp" }
}

fn url(c: &CarrierConfig) -> String {
    let scheme = scheme(c);
    let host = if c.host.contains(':') {
        format!("[{}]", c.host)
    } else {
        c.host.clone()
    };
    format!("{scheme}://{host}:{}", c.port)
}

/// Whether the carrier is served by the bind pool (it can send: transceiver or transmitter
/// binds); a receiver-only carrier keeps one plain ESME bind ([`esme_config`]).
pub fn pooled(c: &CarrierConfig) -> bool {
    c.bind != BindType::Receiver
}

/// The bind pool's settings for the configured carriers that send ([`pooled`]), each as
/// [`pool_carrier`] makes it; receivers get up to 4096 receipts and MOs buffered. `None` when
/// no carrier sends.
pub fn pool_config(config: &Config) -> Result<Option<PoolConfig>, ConfigError> {
    let mut carriers = Vec::new();
    for (name, c) in config.carriers.iter().filter(|(_, c)| pooled(c)) {
        carriers.push(pool_carrier(name, c)?);
    }
    if carriers.is_empty() {
        return Ok(None);
    }
    let pool = PoolConfig {
        carriers,
        event_capacity: Some(4096),
        ..PoolConfig::default()
    };
    pool.validate()
        .map_err(|e| ConfigError::Invalid(e.to_string()))?;
    Ok(Some(pool))
}

/// One configured carrier as the bind pool's carrier: `binds` binds (default 1) of its `bind`
/// type, and `receivers` receiver binds (default 0), to its host (then its `failover` addresses, in order), each with `window` requests in
/// flight (default 10); its `tps` and `bind_tps` limits, bind fields, timers, TLS, rebind and
/// retry settings; unknown receipts passed on at once; parts failing after
/// `unavailable_timeout_ms` (default [`UNAVAILABLE_TIMEOUT_MS`]) without a bind.
pub fn pool_carrier(
    name: &str,
    c: &CarrierConfig,
) -> Result<smsc_client::pool::CarrierConfig, ConfigError> {
    let invalid = |e: String| ConfigError::Invalid(format!("carrier {name}: {e}"));
    let n = c.binds.unwrap_or(1).max(1);
    let receivers = c.receivers.unwrap_or(0);
    let binds = match c.bind {
        BindType::Transmitter => BindMix {
            transmitters: n,
            receivers,
            ..BindMix::default()
        },
        BindType::Transceiver => BindMix {
            transceivers: n,
            receivers,
            ..BindMix::default()
        },
        BindType::Receiver => BindMix {
            receivers: 1,
            ..BindMix::default()
        },
    };
    let hosts: Vec<String> = std::iter::once(url(c))
        .chain(
            c.failover
                .iter()
                .map(|f| format!("{}://{}", scheme(c), f.trim())),
        )
        .collect();
    let hosts: Vec<&str> = hosts.iter().map(String::as_str).collect();
    let mut p =
        smsc_client::pool::CarrierConfig::new(name, &hosts, &c.system_id, &c.password(name)?);
    p.binds = binds;
    if let Some(w) = c.window {
        p.window = w;
    }
    p.tps = c.tps;
    p.bind_tps = c.bind_tps;
    p.tls = c.tls;
    p.ca_file.clone_from(&c.ca_file);
    p.tls_server_name.clone_from(&c.tls_server_name);
    if let Some(t) = &c.system_type {
        p.system_type.clone_from(t);
    }
    if let Some(v) = &c.interface_version {
        p.interface_version.clone_from(v);
    }
    if let Some(ms) = c.enquire_link_ms {
        p.enquire_link_ms = ms;
    }
    if let Some(ms) = c.response_timeout_ms {
        p.response_timeout_ms = ms;
    }
    if let Some(ms) = c.connect_timeout_ms {
        p.connect_timeout_ms = ms;
    }
    p.unavailable_timeout_ms = c.unavailable_timeout_ms.unwrap_or(UNAVAILABLE_TIMEOUT_MS);
    p.message_id_form = c.id_form().map_err(invalid)?.name().to_owned();
    // A receipt the correlator does not know goes on at once: the MT pipeline keeps it for
    // a late submit_sm_resp itself, and one that is nobody's is stored by the MO pipeline
    // without holding the SMSC's deliver_sm for the pool's default 5 s.
    p.receipt_wait_ms = 0;
    p.retry = c.retry.clone();
    p.rebind = c.rebind.clone();
    Ok(p)
}

/// Checks a carrier's settings as the bind pool does, naming the carrier and the field. A
/// receiver-only carrier is checked as if it sent (the pool refuses a carrier without a
/// sending bind; that one binds outside the pool, with the same settings).
pub fn check(name: &str, c: &CarrierConfig) -> Result<(), ConfigError> {
    let mut p = pool_carrier(name, c)?;
    if !pooled(c) {
        p.binds = BindMix {
            transmitters: 1,
            ..BindMix::default()
        };
    }
    p.validate()
        .map_err(|e| ConfigError::Invalid(e.to_string()))
}

/// The ESME settings for a carrier's config (one bind of its `bind` type to its host), with
/// the same bind fields, timers and TLS settings as [`pool_carrier`] gives the pool.
pub fn esme_config(name: &str, c: &CarrierConfig) -> Result<EsmeConfig, ConfigError> {
    let kind = match c.bind {
        BindType::Transceiver => BindKind::Transceiver,
        BindType::Transmitter => BindKind::Transmitter,
        BindType::Receiver => BindKind::Receiver,
    };
    pool_carrier(name, c)?
        .esme_config(0, kind, name)
        .map_err(|e| ConfigError::Invalid(e.to_string()))
}
