//! Carrier and pool configuration: what a carrier's binds are (hosts in failover order,
//! credentials, bind mix, window, TPS limits, text and message-id conventions, timers, TLS,
//! retry and rebind policy), the MT route table, built in code or read from TOML, and checked
//! with errors that name the carrier and the field.
//!
//! ```
//! use smsc_client::pool::PoolConfig;
//! let config = PoolConfig::from_toml_str(r#"
//!     [[carrier]]
//!     name = "acme"
//!     hosts = ["smpp://smsc1.acme.example:2775", "smpp://smsc2.acme.example:2775"]
//!     system_id = "aggregator"
//!     password = "secret"
//!     binds = { transmitters = 2, receivers = 1 }
//!     tps = 100
//!
//!     [routing]
//!     fallback = "acme"
//!     routes = { "44" = "acme" }
//! "#).unwrap();
//! assert_eq!(config.carriers[0].binds.total(), 3);
//! ```

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use smpp_codec::coding::DefaultAlphabet;
use smpp_codec::concat::ConcatMode;
use smpp_codec::field::version;
use smpp_codec::receipt::MessageIdForm;

use crate::esme::EsmeConfig;
use crate::session::{BindKind, Password};
use crate::tls::TlsClientConfig;

/// Why a pool configuration was refused. Each message names the carrier and the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PoolConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {reason}")]
    Read {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The TOML does not parse, or holds an unknown key or a value of the wrong type.
    #[error("invalid pool configuration: {0}")]
    Toml(String),
    /// A carrier's field is missing or wrong.
    #[error("carrier `{carrier}`: {field}: {reason}")]
    Carrier {
        /// The carrier's name (or `#n` when it has none).
        carrier: String,
        /// The field.
        field: &'static str,
        /// What is wrong and what to write instead.
        reason: String,
    },
    /// No carrier at all.
    #[error("no carrier configured: add at least one [[carrier]]")]
    NoCarrier,
    /// Two carriers share a name.
    #[error("two carriers are named `{0}`: names must be unique")]
    DuplicateCarrier(String),
    /// The route table is wrong.
    #[error("routing: {0}")]
    Routing(String),
}

/// How many binds of each kind a carrier keeps. Kinds left out of a TOML table count 0; a
/// carrier without `binds` has one transceiver.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BindMix {
    /// `bind_transmitter` sessions (submit only).
    pub transmitters: usize,
    /// `bind_receiver` sessions (receipts and MO only).
    pub receivers: usize,
    /// `bind_transceiver` sessions (both).
    pub transceivers: usize,
}

impl BindMix {
    /// Every bind.
    pub fn total(&self) -> usize {
        self.transmitters + self.receivers + self.transceivers
    }

    /// Binds that can submit (transmitters and transceivers).
    pub fn submitting(&self) -> usize {
        self.transmitters + self.transceivers
    }

    /// The kind of each bind slot, transmitters first, then transceivers, then receivers.
    pub fn kinds(&self) -> Vec<BindKind> {
        let mut v = vec![BindKind::Transmitter; self.transmitters];
        v.extend(std::iter::repeat_n(
            BindKind::Transceiver,
            self.transceivers,
        ));
        v.extend(std::iter::repeat_n(BindKind::Receiver, self.receivers));
        v
    }
}

/// When and how often a submission is tried again.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetryConfig {
    /// Retries after temporary errors other than throttling (`ESME_RSYSERR`, timeouts, a bind
    /// lost with the request in flight) before the message fails. Default 5.
    pub max_retries: u32,
    /// First backoff delay after a temporary error, milliseconds. Default 200.
    pub backoff_min_ms: u64,
    /// Largest backoff delay, milliseconds. Default 10 000.
    pub backoff_max_ms: u64,
    /// How long the carrier's queue pauses after `ESME_RTHROTTLED` / `ESME_RMSGQFUL` (or a
    /// congestion_state at or above `congestion_threshold`), milliseconds; doubled on each
    /// further throttle within the pause, up to `throttle_pause_max_ms`. Default 500.
    pub throttle_pause_ms: u64,
    /// Longest throttle pause, milliseconds. Default 10 000.
    pub throttle_pause_max_ms: u64,
    /// Throttling answers one message may get before it fails. Default 100.
    pub max_throttle_retries: u32,
    /// SMPP 5.0 `congestion_state` (§4.8.4.19: 0-100) from which the queue pauses. Default 90.
    pub congestion_threshold: u8,
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig {
            max_retries: 5,
            backoff_min_ms: 200,
            backoff_max_ms: 10_000,
            throttle_pause_ms: 500,
            throttle_pause_max_ms: 10_000,
            max_throttle_retries: 100,
            congestion_threshold: 90,
        }
    }
}

/// How binds come back after a drop.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RebindConfig {
    /// First delay before binding again, milliseconds (exponential backoff with jitter from
    /// there). Default 500.
    pub min_delay_ms: u64,
    /// Longest delay, milliseconds. Default 30 000.
    pub max_delay_ms: u64,
    /// Consecutive failed binds on one host before moving to the next host. Default 3.
    pub failover_after: u32,
    /// Failback: while a bind is up on a host other than the first, it tries the first host
    /// again every this many milliseconds. When that bind succeeds, new requests go to it at
    /// once; the old connection answers what it still has in flight (up to the response
    /// timeout) and unbinds. Default 60 000; 0 stays on whichever host is up.
    pub failback_after_ms: u64,
}

impl Default for RebindConfig {
    fn default() -> Self {
        RebindConfig {
            min_delay_ms: 500,
            max_delay_ms: 30_000,
            failover_after: 3,
            failback_after_ms: 60_000,
        }
    }
}

/// One carrier: a named set of binds to the same SMSC account.
#[derive(Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CarrierConfig {
    /// The carrier's name (routes, metrics, logs).
    pub name: String,
    /// The SMSC addresses in failover order: `smpp://host:port`, `smpps://host:port` or
    /// `host:port` (TLS when `tls` is set).
    pub hosts: Vec<String>,
    /// `system_id` (at most 15 characters).
    pub system_id: String,
    /// `password` (at most 8 characters); or set `password_env`.
    pub password: Option<String>,
    /// The environment variable holding the password (wins over `password`).
    pub password_env: Option<String>,
    /// `system_type` (often empty).
    pub system_type: String,
    /// How many binds of each kind. Default: one transceiver.
    pub binds: BindMix,
    /// Requests in flight per bind. Default 10.
    pub window: usize,
    /// Most submit_sm PDUs per second over the whole carrier (each part of a long message
    /// counts). `None`: no limit.
    pub tps: Option<f64>,
    /// Most submit_sm PDUs per second per bind. `None`: no limit.
    pub bind_tps: Option<f64>,
    /// What `data_coding` 0 means at this SMSC: `gsm` (unpacked GSM 03.38, the default),
    /// `gsm-packed`, `latin1` or `ascii`. Text goes out as data_coding 0 only when it means
    /// unpacked GSM; otherwise as Latin-1 (3) or UCS-2 (8).
    pub default_alphabet: String,
    /// How receipts write the message id relative to submit_sm_resp: `as-is`,
    /// `case-insensitive`, `trim-leading-zeros`, `hex-to-decimal`, `decimal-to-hex`.
    pub message_id_form: String,
    /// How long texts are split: `udh8` (default), `udh16`, `sar` or `payload`.
    pub concat: String,
    /// `interface_version`: `3.4` (default), `5.0`, or `3.3` for an SMSC of SMPP 3.3 (no
    /// transceiver binds, and no optional parameters: SMPP 3.4 §3.3; use transmitters and
    /// receivers, and UDH concatenation).
    pub interface_version: String,
    /// Idle time before an `enquire_link`, milliseconds; 0 disables. Default 30 000.
    pub enquire_link_ms: u64,
    /// How long a request waits for its response, milliseconds. Default 30 000.
    pub response_timeout_ms: u64,
    /// How long connecting (TCP and TLS) may take, milliseconds. Default 10 000.
    pub connect_timeout_ms: u64,
    /// Connect with TLS (also implied by `smpps://` hosts).
    pub tls: bool,
    /// With TLS: trust this CA certificate (PEM file) instead of the system roots.
    pub ca_file: Option<PathBuf>,
    /// With TLS: the name to verify the certificate against (default: the host).
    pub tls_server_name: Option<String>,
    /// Messages held for this carrier (queued and in flight) before `submit` waits.
    /// Default 10 000.
    pub queue_capacity: usize,
    /// Queued messages fail with `Unavailable` once no transmitter has been bound for this
    /// long, milliseconds. Default 60 000.
    pub unavailable_timeout_ms: u64,
    /// How long a receipt whose message id is not yet known waits for its submit_sm_resp
    /// before it is reported uncorrelated, milliseconds. Default 5 000.
    pub receipt_wait_ms: u64,
    /// Retry policy.
    pub retry: RetryConfig,
    /// Rebind policy.
    pub rebind: RebindConfig,
}

impl std::fmt::Debug for CarrierConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CarrierConfig")
            .field("name", &self.name)
            .field("hosts", &self.hosts)
            .field("system_id", &self.system_id)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("password_env", &self.password_env)
            .field("binds", &self.binds)
            .field("window", &self.window)
            .field("tps", &self.tps)
            .field("bind_tps", &self.bind_tps)
            .finish_non_exhaustive()
    }
}

impl Default for CarrierConfig {
    fn default() -> Self {
        CarrierConfig {
            name: String::new(),
            hosts: Vec::new(),
            system_id: String::new(),
            password: None,
            password_env: None,
            system_type: String::new(),
            binds: BindMix {
                transceivers: 1,
                ..BindMix::default()
            },
            window: 10,
            tps: None,
            bind_tps: None,
            default_alphabet: "gsm".into(),
            message_id_form: "as-is".into(),
            concat: "udh8".into(),
            interface_version: "3.4".into(),
            enquire_link_ms: 30_000,
            response_timeout_ms: 30_000,
            connect_timeout_ms: 10_000,
            tls: false,
            ca_file: None,
            tls_server_name: None,
            queue_capacity: 10_000,
            unavailable_timeout_ms: 60_000,
            receipt_wait_ms: 5_000,
            retry: RetryConfig::default(),
            rebind: RebindConfig::default(),
        }
    }
}

/// The MT route table: destination prefix to carrier, longest prefix wins, else `fallback`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RoutingConfig {
    /// The carrier for destinations no prefix matches.
    pub fallback: Option<String>,
    /// Destination prefix (digits, an optional leading `+` ignored) to carrier name.
    pub routes: BTreeMap<String, String>,
}

/// A whole pool: carriers and routes. Read it with [`PoolConfig::from_toml_str`] /
/// [`PoolConfig::from_file`], or build it in code; [`Pool::start`](super::Pool::start)
/// validates it.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PoolConfig {
    /// The carriers (`[[carrier]]` tables).
    #[serde(rename = "carrier")]
    pub carriers: Vec<CarrierConfig>,
    /// The MT route table.
    pub routing: RoutingConfig,
    /// Receipts and MO messages buffered for the application before binds stop reading.
    /// Default 1024.
    pub event_capacity: Option<usize>,
}

impl PoolConfig {
    /// Parses and validates TOML.
    pub fn from_toml_str(s: &str) -> Result<Self, PoolConfigError> {
        let config: PoolConfig =
            toml::from_str(s).map_err(|e| PoolConfigError::Toml(e.to_string()))?;
        config.validate()?;
        Ok(config)
    }

    /// Reads, parses and validates a TOML file.
    pub fn from_file(path: &Path) -> Result<Self, PoolConfigError> {
        let s = std::fs::read_to_string(path).map_err(|e| PoolConfigError::Read {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        Self::from_toml_str(&s)
    }

    /// Checks every carrier and the route table.
    pub fn validate(&self) -> Result<(), PoolConfigError> {
        if self.carriers.is_empty() {
            return Err(PoolConfigError::NoCarrier);
        }
        let mut names = HashSet::new();
        for (i, c) in self.carriers.iter().enumerate() {
            c.validate_at(i)?;
            if !names.insert(c.name.as_str()) {
                return Err(PoolConfigError::DuplicateCarrier(c.name.clone()));
            }
        }
        let known = |name: &str| names.contains(name);
        if let Some(f) = &self.routing.fallback {
            if !known(f) {
                return Err(PoolConfigError::Routing(format!(
                    "fallback `{f}` is not a configured carrier"
                )));
            }
        }
        for (prefix, carrier) in &self.routing.routes {
            let digits = prefix.strip_prefix('+').unwrap_or(prefix);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(PoolConfigError::Routing(format!(
                    "prefix `{prefix}` must be digits (e.g. \"44\" or \"+447\")"
                )));
            }
            if !known(carrier) {
                return Err(PoolConfigError::Routing(format!(
                    "prefix `{prefix}` routes to `{carrier}`, which is not a configured carrier"
                )));
            }
        }
        if self.event_capacity == Some(0) {
            return Err(PoolConfigError::Routing(
                "event_capacity must be at least 1".into(),
            ));
        }
        Ok(())
    }
}

impl CarrierConfig {
    /// A carrier with one transceiver bind to each of `hosts` in turn (failover order) and
    /// default settings.
    pub fn new(name: &str, hosts: &[&str], system_id: &str, password: &str) -> Self {
        CarrierConfig {
            name: name.into(),
            hosts: hosts.iter().map(|h| (*h).to_owned()).collect(),
            system_id: system_id.into(),
            password: Some(password.into()),
            ..CarrierConfig::default()
        }
    }

    /// Checks the carrier (as the first one, for messages).
    pub fn validate(&self) -> Result<(), PoolConfigError> {
        self.validate_at(0)
    }

    fn validate_at(&self, index: usize) -> Result<(), PoolConfigError> {
        let carrier = if self.name.is_empty() {
            format!("#{}", index + 1)
        } else {
            self.name.clone()
        };
        let err = |field: &'static str, reason: String| PoolConfigError::Carrier {
            carrier: carrier.clone(),
            field,
            reason,
        };
        if self.name.trim().is_empty() {
            return Err(err("name", "is missing: give the carrier a name".into()));
        }
        if self.hosts.is_empty() {
            return Err(err(
                "hosts",
                "is empty: list at least one smpp://host:port".into(),
            ));
        }
        let password = self.resolved_password().map_err(|r| err("password", r))?;
        for h in &self.hosts {
            EsmeConfig::new(&self.url(h), &self.system_id, &password)
                .map_err(|e| err("hosts", format!("`{h}`: {e}")))?;
        }
        if self.system_id.is_empty() || self.system_id.len() > 15 {
            return Err(err("system_id", "must be 1 to 15 characters".into()));
        }
        if self.system_type.len() > 12 {
            return Err(err("system_type", "must be at most 12 characters".into()));
        }
        if self.binds.submitting() == 0 {
            return Err(err(
                "binds",
                "no transmitter or transceiver: messages could not be sent".into(),
            ));
        }
        if self.binds.total() > 256 {
            return Err(err("binds", "more than 256 binds".into()));
        }
        if self.window == 0 {
            return Err(err("window", "must be at least 1".into()));
        }
        for (field, v) in [("tps", self.tps), ("bind_tps", self.bind_tps)] {
            if let Some(v) = v {
                if !(v.is_finite() && (0.01..=1_000_000.0).contains(&v)) {
                    return Err(err(
                        field,
                        format!("{v} is not a rate between 0.01 and 1e6"),
                    ));
                }
            }
        }
        self.alphabet().map_err(|r| err("default_alphabet", r))?;
        self.id_form().map_err(|r| err("message_id_form", r))?;
        self.concat_mode().map_err(|r| err("concat", r))?;
        let v = self.version().map_err(|r| err("interface_version", r))?;
        if v == version::V33 {
            if self.binds.transceivers > 0 {
                return Err(err(
                    "binds",
                    "SMPP 3.3 has no transceiver bind: use transmitters and receivers".into(),
                ));
            }
            if matches!(
                self.concat_mode(),
                Ok(ConcatMode::Sar | ConcatMode::Payload)
            ) {
                return Err(err(
                    "concat",
                    "sar and payload are SMPP 3.4 TLVs: use udh8 or udh16 with SMPP 3.3".into(),
                ));
            }
        }
        if self.response_timeout_ms == 0 {
            return Err(err("response_timeout_ms", "must be above 0".into()));
        }
        if self.connect_timeout_ms == 0 {
            return Err(err("connect_timeout_ms", "must be above 0".into()));
        }
        if self.queue_capacity == 0 {
            return Err(err("queue_capacity", "must be at least 1".into()));
        }
        let r = &self.retry;
        if r.backoff_min_ms == 0 || r.backoff_min_ms > r.backoff_max_ms {
            return Err(err(
                "retry",
                "backoff_min_ms must be above 0 and at most backoff_max_ms".into(),
            ));
        }
        if r.throttle_pause_ms == 0 || r.throttle_pause_ms > r.throttle_pause_max_ms {
            return Err(err(
                "retry",
                "throttle_pause_ms must be above 0 and at most throttle_pause_max_ms".into(),
            ));
        }
        if r.congestion_threshold > 100 {
            return Err(err("retry", "congestion_threshold is 0 to 100".into()));
        }
        let b = &self.rebind;
        if b.min_delay_ms == 0 || b.min_delay_ms > b.max_delay_ms {
            return Err(err(
                "rebind",
                "min_delay_ms must be above 0 and at most max_delay_ms".into(),
            ));
        }
        if b.failover_after == 0 {
            return Err(err("rebind", "failover_after must be at least 1".into()));
        }
        if let Some(ca) = &self.ca_file {
            if !ca.is_file() {
                return Err(err(
                    "ca_file",
                    format!("{} is not a readable file", ca.display()),
                ));
            }
        }
        Ok(())
    }

    /// The password, from `password_env` when set, else `password`.
    pub fn resolved_password(&self) -> Result<String, String> {
        let pw = match &self.password_env {
            Some(var) => std::env::var(var)
                .map_err(|_| format!("environment variable {var} (password_env) is not set"))?,
            None => self
                .password
                .clone()
                .ok_or_else(|| "is missing: set password or password_env".to_owned())?,
        };
        Password::try_from(pw.as_str())
            .map_err(|_| "must be at most 8 characters without NUL".to_owned())?;
        Ok(pw)
    }

    fn url(&self, host: &str) -> String {
        if host.contains("://") {
            host.to_owned()
        } else if self.tls {
            format!("smpps://{host}")
        } else {
            format!("smpp://{host}")
        }
    }

    /// What `data_coding` 0 means at this SMSC.
    pub fn alphabet(&self) -> Result<DefaultAlphabet, String> {
        match self.default_alphabet.to_ascii_lowercase().as_str() {
            "gsm" | "gsm7" => Ok(DefaultAlphabet::GsmUnpacked),
            "gsm-packed" | "gsm7-packed" => Ok(DefaultAlphabet::GsmPacked),
            "latin1" => Ok(DefaultAlphabet::Latin1),
            "ascii" | "ia5" => Ok(DefaultAlphabet::Ascii),
            other => Err(format!("`{other}`: use gsm, gsm-packed, latin1 or ascii")),
        }
    }

    /// How receipts write message ids.
    pub fn id_form(&self) -> Result<MessageIdForm, String> {
        self.message_id_form
            .parse::<MessageIdForm>()
            .map_err(|e| e.to_string())
    }

    /// How long texts are split.
    pub fn concat_mode(&self) -> Result<ConcatMode, String> {
        match self.concat.to_ascii_lowercase().as_str() {
            "udh8" | "udh" => Ok(ConcatMode::Udh8),
            "udh16" => Ok(ConcatMode::Udh16),
            "sar" => Ok(ConcatMode::Sar),
            "payload" | "message_payload" => Ok(ConcatMode::Payload),
            other => Err(format!("`{other}`: use udh8, udh16, sar or payload")),
        }
    }

    fn version(&self) -> Result<u8, String> {
        match self.interface_version.as_str() {
            "3.3" | "33" | "0x33" => Ok(version::V33),
            "3.4" | "34" | "0x34" => Ok(version::V34),
            "5.0" | "5" | "50" | "0x50" => Ok(version::V50),
            other => Err(format!("`{other}`: use 3.3, 3.4 or 5.0")),
        }
    }

    /// The ESME settings of one bind to `hosts[host]`, labelled `name` (call after
    /// [`validate`](Self::validate)).
    pub fn esme_config(
        &self,
        host: usize,
        kind: BindKind,
        name: &str,
    ) -> Result<EsmeConfig, PoolConfigError> {
        let err = |field: &'static str, reason: String| PoolConfigError::Carrier {
            carrier: self.name.clone(),
            field,
            reason,
        };
        let password = self.resolved_password().map_err(|r| err("password", r))?;
        let h = self
            .hosts
            .get(host)
            .ok_or_else(|| err("hosts", format!("no host #{host}")))?;
        let mut c = EsmeConfig::new(&self.url(h), &self.system_id, &password)
            .map_err(|e| err("hosts", format!("`{h}`: {e}")))?;
        if c.tls.is_some() || self.tls {
            let mut tls = TlsClientConfig::default();
            if let Some(ca) = &self.ca_file {
                let pem = std::fs::read(ca)
                    .map_err(|e| err("ca_file", format!("{}: {e}", ca.display())))?;
                tls = TlsClientConfig::with_ca_pem(pem);
            }
            tls.server_name.clone_from(&self.tls_server_name);
            c.tls = Some(tls);
        }
        c.bind_kind = kind;
        c.system_type = self.system_type.clone();
        c.interface_version = self.version().map_err(|r| err("interface_version", r))?;
        c.session.window = self.window.max(1);
        c.session.response_timeout = Duration::from_millis(self.response_timeout_ms);
        c.session.enquire_link_interval =
            (self.enquire_link_ms > 0).then(|| Duration::from_millis(self.enquire_link_ms));
        c.session.max_inbound_pending = 1024;
        c.connect_timeout = Duration::from_millis(self.connect_timeout_ms);
        c.name = Some(name.to_owned());
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn carrier() -> CarrierConfig {
        CarrierConfig::new("acme", &["smpp://127.0.0.1:2775"], "id", "pw")
    }

    fn refused(c: CarrierConfig) -> String {
        c.validate().unwrap_err().to_string()
    }

    #[test]
    fn defaults_validate() {
        carrier().validate().unwrap();
        let e = carrier()
            .esme_config(0, BindKind::Transmitter, "acme/tx1")
            .unwrap();
        assert_eq!(e.port, 2775);
        assert_eq!(e.session.window, 10);
        assert_eq!(e.bind_name(), "acme/tx1");
    }

    #[test]
    fn errors_name_the_field() {
        let mut c = carrier();
        c.hosts = vec!["http://x".into()];
        assert!(refused(c).contains("carrier `acme`: hosts: `http://x`"));
        let mut c = carrier();
        c.password = Some("much-too-long".into());
        assert!(refused(c).contains("password"));
        let mut c = carrier();
        c.binds = BindMix {
            transmitters: 0,
            receivers: 2,
            transceivers: 0,
        };
        assert!(refused(c).contains("no transmitter"));
        let mut c = carrier();
        c.tps = Some(0.0);
        assert!(refused(c).contains("tps"));
        let mut c = carrier();
        c.default_alphabet = "ebcdic".into();
        assert!(refused(c).contains("default_alphabet: `ebcdic`"));
        let mut c = carrier();
        c.message_id_form = "sideways".into();
        assert!(refused(c).contains("message_id_form"));
        let mut c = carrier();
        c.password = None;
        c.password_env = Some("SMSC_CLIENT_POOL_TEST_UNSET_VAR".into());
        assert!(refused(c).contains("SMSC_CLIENT_POOL_TEST_UNSET_VAR"));
        let mut c = carrier();
        c.name = String::new();
        assert!(refused(c).contains("carrier `#1`: name"));
    }

    #[test]
    fn toml_errors() {
        let e = PoolConfig::from_toml_str("[[carrier]]\nname = \"a\"\nhostz = []\n").unwrap_err();
        assert!(e.to_string().contains("hostz"), "{e}");
        let e = PoolConfig::from_toml_str("").unwrap_err();
        assert_eq!(e, PoolConfigError::NoCarrier);
        let two = r#"
            [[carrier]]
            name = "a"
            hosts = ["127.0.0.1:1"]
            system_id = "x"
            password = "y"
            [[carrier]]
            name = "a"
            hosts = ["127.0.0.1:1"]
            system_id = "x"
            password = "y"
        "#;
        assert_eq!(
            PoolConfig::from_toml_str(two).unwrap_err(),
            PoolConfigError::DuplicateCarrier("a".into())
        );
        let bad_route = r#"
            [[carrier]]
            name = "a"
            hosts = ["127.0.0.1:1"]
            system_id = "x"
            password = "y"
            [routing]
            routes = { "44" = "b" }
        "#;
        let e = PoolConfig::from_toml_str(bad_route)
            .unwrap_err()
            .to_string();
        assert!(e.contains("`b`"), "{e}");
        let bad_prefix = bad_route.replace("\"44\" = \"b\"", "\"4x\" = \"a\"");
        let e = PoolConfig::from_toml_str(&bad_prefix)
            .unwrap_err()
            .to_string();
        assert!(e.contains("digits"), "{e}");
    }

    #[test]
    fn full_toml() {
        let c = PoolConfig::from_toml_str(
            r#"
            event_capacity = 64
            [[carrier]]
            name = "acme"
            hosts = ["127.0.0.1:2775", "smpp://127.0.0.2:2775"]
            system_id = "agg"
            password = "pw"
            binds = { transmitters = 2, receivers = 1 }
            window = 32
            tps = 100
            bind_tps = 60.5
            default_alphabet = "latin1"
            message_id_form = "hex-to-decimal"
            concat = "sar"
            interface_version = "5.0"
            enquire_link_ms = 0
            [carrier.retry]
            max_retries = 2
            [carrier.rebind]
            failover_after = 1
            [routing]
            fallback = "acme"
            routes = { "+44" = "acme" }
            "#,
        )
        .unwrap();
        let a = &c.carriers[0];
        assert_eq!(a.binds.kinds().len(), 3);
        assert_eq!(a.alphabet().unwrap(), DefaultAlphabet::Latin1);
        assert_eq!(a.id_form().unwrap(), MessageIdForm::HexToDecimal);
        assert_eq!(a.concat_mode().unwrap(), ConcatMode::Sar);
        assert_eq!(a.retry.max_retries, 2);
        assert_eq!(a.retry.backoff_min_ms, 200);
        let e = a.esme_config(1, BindKind::Receiver, "acme/rx1").unwrap();
        assert_eq!(e.host, "127.0.0.2");
        assert_eq!(e.interface_version, 0x50);
        assert_eq!(e.session.enquire_link_interval, None);
        assert!(!format!("{a:?}").contains("\"pw\""));
    }

    /// SMPP 3.3: a transmitter and a receiver bind with version 0x33; a transceiver (a 3.4
    /// bind) or concatenation by TLVs (optional parameters came with 3.4: SMPP 3.4 §3.3, SMPP
    /// 5.0 §1's version history) is refused.
    #[test]
    fn smpp_3_3_binds_transmitters_and_receivers_without_tlvs() {
        let mut c = CarrierConfig::new("old", &["127.0.0.1:2775"], "agg", "pw");
        c.interface_version = "3.3".into();
        assert!(matches!(
            c.validate(),
            Err(PoolConfigError::Carrier { field: "binds", .. })
        ));
        c.binds = BindMix {
            transmitters: 1,
            receivers: 1,
            ..BindMix::default()
        };
        c.validate().unwrap();
        let e = c.esme_config(0, BindKind::Transmitter, "old/tx").unwrap();
        assert_eq!(e.interface_version, 0x33);
        c.concat = "sar".into();
        assert!(matches!(
            c.validate(),
            Err(PoolConfigError::Carrier {
                field: "concat",
                ..
            })
        ));
        c.concat = "udh16".into();
        c.validate().unwrap();
    }
}
