//! The MO pipeline's edge towards the SMSCs: [`MoSource`] (the SMSCs' requests: MOs and
//! receipts, each with its responder), and the ESME settings of a configured carrier
//! ([`esme_config`]). MTs go out through [`crate::delivery::carrier::Carrier`].

use std::future::Future;
use std::pin::Pin;

use smsc_client::esme::EsmeConfig;
use smsc_client::net::InboundRequest;
use smsc_client::session::{BindKind, Password};
use tokio::sync::mpsc;

use crate::config::{BindType, CarrierConfig, ConfigError};

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
    if let Some(w) = c.window {
        e.session.window = w;
    }
    Ok(e)
}
