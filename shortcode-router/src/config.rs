//! The router's configuration: one TOML file (carriers, store, webhook defaults, handlers,
//! short codes, programs, routes, compliance extras), parsed with serde and checked as a whole
//! by [`Config::validate`]. Secrets can be given inline or read from an environment variable
//! (`password_env`, `secret_env`).

use smpp_codec::receipt::MessageIdForm;
use smsc_client::pool::{RebindConfig, RetryConfig};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

/// Why a configuration was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The TOML did not parse or does not have the expected shape.
    #[error("config is not valid TOML for the router: {0}")]
    Toml(#[from] toml::de::Error),
    /// The configuration parsed but breaks a rule (duplicate keyword, unknown handler...).
    #[error("config error: {0}")]
    Invalid(String),
    /// A secret's environment variable is not set.
    #[error("{what}: environment variable {var} is not set")]
    MissingEnv {
        /// Which secret.
        what: String,
        /// The variable.
        var: String,
    },
}

fn invalid(msg: impl Into<String>) -> ConfigError {
    ConfigError::Invalid(msg.into())
}

/// The whole configuration.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where state is kept.
    pub store: StoreConfig,
    /// The carriers, by name, each served by a bind pool (a short code names its carrier;
    /// with a single carrier it is every short code's).
    #[serde(default)]
    pub carriers: BTreeMap<String, CarrierConfig>,
    /// Defaults for webhook delivery.
    #[serde(default)]
    pub webhooks: WebhookDefaults,
    /// HTTP handlers, by name; routes and programs name them.
    #[serde(default)]
    pub handlers: BTreeMap<String, HandlerConfig>,
    /// The short codes served.
    #[serde(default)]
    pub short_codes: Vec<ShortCodeConfig>,
    /// The programs (campaigns) on the short codes.
    #[serde(default)]
    pub programs: Vec<ProgramConfig>,
    /// The keyword routes and catch-alls.
    #[serde(default)]
    pub routes: Vec<RouteConfig>,
    /// Extra compliance keywords.
    #[serde(default)]
    pub compliance: ComplianceConfig,
    /// Long-MO reassembly.
    #[serde(default)]
    pub reassembly: ReassemblySettings,
}

/// The store.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// The SQLite database file (created if missing).
    pub path: PathBuf,
    /// Most MOs written in one transaction (group commit).
    #[serde(default = "default_batch")]
    pub max_batch: usize,
}

fn default_batch() -> usize {
    256
}

/// How to bind.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum BindType {
    /// Transceiver (MO and MT on one bind): the default.
    #[default]
    Transceiver,
    /// Transmitter only (no MOs arrive).
    Transmitter,
    /// Receiver only (no MTs can be sent).
    Receiver,
}

/// One carrier: a pool of ESME binds to one SMSC account (one bind unless `binds` says more).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CarrierConfig {
    /// SMSC host.
    pub host: String,
    /// SMSC port.
    #[serde(default = "default_port")]
    pub port: u16,
    /// Use TLS (`smpps`).
    #[serde(default)]
    pub tls: bool,
    /// `system_id`.
    pub system_id: String,
    /// `password` inline (prefer `password_env`).
    #[serde(default)]
    pub password: Option<String>,
    /// The environment variable holding the password.
    #[serde(default)]
    pub password_env: Option<String>,
    /// Bind type.
    #[serde(default)]
    pub bind: BindType,
    /// Ask for delivery receipts on MTs.
    #[serde(default = "yes")]
    pub receipts: bool,
    /// The send window: `submit_sm`s in flight at once on the bind, awaiting their
    /// `submit_sm_resp` (default 10; raise it to what the carrier allows: with one bind,
    /// throughput is at most `window` / round-trip time).
    #[serde(default)]
    pub window: Option<usize>,
    /// How many binds (of type `bind`) to keep up to the carrier, each with its own window
    /// (default 1). MTs go out over every bound bind; receipts and MOs are read from all of
    /// them.
    #[serde(default)]
    pub binds: Option<usize>,
    /// Receiver binds kept alongside (default 0), for SMSCs that take no transceiver bind
    /// (SMPP 3.3, or carriers that want a transmitter and a receiver, as Kannel binds by
    /// default): with `bind = "transmitter"`, MTs go out on the transmitters and receipts and
    /// MOs come in on these.
    #[serde(default)]
    pub receivers: Option<usize>,
    /// Most `submit_sm`s per second over all of the carrier's binds (default: no limit).
    #[serde(default)]
    pub tps: Option<f64>,
    /// Most `submit_sm`s per second per bind (default: no limit).
    #[serde(default)]
    pub bind_tps: Option<f64>,
    /// Further addresses of the same SMSC account (`host:port`, `[v6 address]:port`), tried in
    /// this order after `host`:`port` when a bind cannot connect (with `tls` as set). Not for
    /// `bind = "receiver"` (one plain bind, to `host`).
    #[serde(default)]
    pub failover: Vec<String>,
    /// How this carrier's receipts write the `message_id` its `submit_sm_resp` gave:
    /// `as-is` (default), `case-insensitive`, `trim-leading-zeros`, `hex-to-decimal` (the
    /// response says `0000002A`, the receipt `42`) or `decimal-to-hex`.
    #[serde(default)]
    pub message_id_form: Option<String>,
    /// `system_type` in the bind (at most 12 characters; default empty). Some SMSCs ask for
    /// one (`VMA`, `SMPP`...).
    #[serde(default)]
    pub system_type: Option<String>,
    /// `interface_version` in the bind: `3.4` (default), `5.0`, or `3.3` (with
    /// `bind = "transmitter"` and `receivers`: SMPP 3.3 has no transceiver bind).
    #[serde(default)]
    pub interface_version: Option<String>,
    /// Idle time before an `enquire_link`, milliseconds (default 30 000; 0 sends none).
    #[serde(default)]
    pub enquire_link_ms: Option<u64>,
    /// How long a request waits for its response, milliseconds (default 30 000); a
    /// `submit_sm` that times out is retried by `retry`.
    #[serde(default)]
    pub response_timeout_ms: Option<u64>,
    /// How long connecting (TCP and TLS) may take, milliseconds (default 10 000).
    #[serde(default)]
    pub connect_timeout_ms: Option<u64>,
    /// With `tls`: trust this CA certificate (PEM file) instead of the system roots.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// With `tls`: the name the SMSC's certificate must carry (default: `host`).
    #[serde(default)]
    pub tls_server_name: Option<String>,
    /// How long a message part waits for a bind of the carrier to come (back) up before it
    /// fails, milliseconds (default 30 000).
    #[serde(default)]
    pub unavailable_timeout_ms: Option<u64>,
    /// How binds come back after a drop: `min_delay_ms` (500) and `max_delay_ms` (30 000) of
    /// the backoff, `failover_after` failed binds (3) before the next address, and
    /// `failback_after_ms` (60 000; 0 stays) before trying the first address again.
    #[serde(default)]
    pub rebind: RebindConfig,
    /// When a `submit_sm` is tried again: `max_retries` (5) after temporary errors with
    /// backoff from `backoff_min_ms` (200) to `backoff_max_ms` (10 000); after
    /// `ESME_RTHROTTLED` / `ESME_RMSGQFUL` the carrier pauses `throttle_pause_ms` (500, doubled
    /// up to `throttle_pause_max_ms`, 10 000), at most `max_throttle_retries` (100) per
    /// message; SMPP 5.0 `congestion_state` from `congestion_threshold` (90) pauses too.
    #[serde(default)]
    pub retry: RetryConfig,
}

impl CarrierConfig {
    /// [`message_id_form`](Self::message_id_form), parsed (`as-is` when not set).
    pub fn id_form(&self) -> Result<MessageIdForm, String> {
        self.message_id_form
            .as_deref()
            .map_or(Ok(MessageIdForm::AsIs), str::parse)
            .map_err(|_| {
                format!(
                    "message_id_form {:?}: use one of {}",
                    self.message_id_form.as_deref().unwrap_or(""),
                    MessageIdForm::ALL.map(MessageIdForm::name).join(", ")
                )
            })
    }
}

fn default_port() -> u16 {
    smsc_client::esme::DEFAULT_PORT
}

fn yes() -> bool {
    true
}

impl CarrierConfig {
    /// The password, from the config or its environment variable.
    pub fn password(&self, name: &str) -> Result<String, ConfigError> {
        secret(
            &format!("carrier {name} password"),
            self.password.as_deref(),
            self.password_env.as_deref(),
        )
    }
}

fn secret(what: &str, inline: Option<&str>, env: Option<&str>) -> Result<String, ConfigError> {
    match (inline, env) {
        (Some(_), Some(_)) => Err(invalid(format!(
            "{what}: give either the value or the environment variable name, not both"
        ))),
        (Some(v), None) => Ok(v.to_owned()),
        (None, Some(var)) => std::env::var(var).map_err(|_| ConfigError::MissingEnv {
            what: what.to_owned(),
            var: var.to_owned(),
        }),
        (None, None) => Err(invalid(format!(
            "{what} is missing: set it inline or name an environment variable (…_env)"
        ))),
    }
}

/// Webhook delivery defaults (each handler may override the timeouts).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebhookDefaults {
    /// TCP/TLS connect timeout, milliseconds (5 s).
    pub connect_timeout_ms: u64,
    /// Whole request timeout, milliseconds (15 s).
    pub timeout_ms: u64,
    /// First retry delay, milliseconds; doubles each attempt, with jitter.
    pub initial_backoff_ms: u64,
    /// Longest retry delay, milliseconds.
    pub max_backoff_ms: u64,
    /// After this many seconds since the MO, a failing webhook is dead-lettered.
    pub max_age_secs: u64,
    /// Jobs queued in memory per handler (more wait in the store).
    pub queue: usize,
    /// Requests in flight per handler.
    pub concurrency: usize,
    /// How often each handler's worker looks in the store for due retries, milliseconds.
    pub sweep_interval_ms: u64,
}

impl Default for WebhookDefaults {
    fn default() -> Self {
        WebhookDefaults {
            connect_timeout_ms: 5_000,
            timeout_ms: 15_000,
            initial_backoff_ms: 1_000,
            max_backoff_ms: 300_000,
            max_age_secs: 24 * 3600,
            queue: 1024,
            concurrency: 32,
            sweep_interval_ms: 1_000,
        }
    }
}

/// How a handler is called.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// Our JSON payload, signed the Standard Webhooks way.
    #[default]
    Json,
    /// Twilio-compatible form body, `X-Twilio-Signature`, TwiML reply.
    Twilio,
    /// Jasmin's MO form (`id`, `from`, `to`, `origin-connector`, `coding`, `content`),
    /// delivered once the handler answers `ACK/Jasmin`; unsigned, as Jasmin sends it (no
    /// `secret`), and no reply.
    Jasmin,
}

/// One HTTP handler.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HandlerConfig {
    /// Where to `POST`.
    pub url: String,
    /// The signing secret inline: `whsec_<base64>` for `json`, the auth token for `twilio`
    /// (none for `jasmin`).
    #[serde(default)]
    pub secret: Option<String>,
    /// The environment variable holding the secret.
    #[serde(default)]
    pub secret_env: Option<String>,
    /// The payload profile.
    #[serde(default)]
    pub profile: Profile,
    /// `jasmin` profile only: `"GET"` sends the form as the URL's query (as a Jasmin HTTP
    /// connector set to GET does); `"POST"` (the default) as a form body.
    #[serde(default)]
    pub method: Option<String>,
    /// Whole request timeout override, milliseconds.
    #[serde(default)]
    pub timeout_ms: Option<u64>,
    /// Connect timeout override, milliseconds.
    #[serde(default)]
    pub connect_timeout_ms: Option<u64>,
}

impl HandlerConfig {
    /// Whether `method` asks for `GET` (`POST` when unset); anything else is refused.
    pub fn jasmin_get(&self) -> Result<bool, ConfigError> {
        match self
            .method
            .as_deref()
            .map(str::to_ascii_uppercase)
            .as_deref()
        {
            None | Some("POST") => Ok(false),
            Some("GET") => Ok(true),
            Some(other) => Err(ConfigError::Invalid(format!(
                "handler method {other:?}: GET or POST"
            ))),
        }
    }

    /// The secret, from the config or its environment variable.
    pub fn secret(&self, name: &str) -> Result<String, ConfigError> {
        secret(
            &format!("handler {name} secret"),
            self.secret.as_deref(),
            self.secret_env.as_deref(),
        )
    }
}

/// One short code.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShortCodeConfig {
    /// The code (the MO's `destination_addr`, the MT's `source_addr`).
    pub code: String,
    /// The carrier whose binds receive it; defaults to the only carrier.
    #[serde(default)]
    pub carrier: Option<String>,
    /// The program named in STOP/HELP answers when no conversation says otherwise; defaults to
    /// the first program on the code.
    #[serde(default)]
    pub default_program: Option<String>,
    /// Sent when nothing matched (no keyword, no conversation, no catch-all). `None`: silence.
    #[serde(default)]
    pub no_route_reply: Option<String>,
}

/// One program (campaign) on a short code.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProgramConfig {
    /// Identifier (used by routes and the API).
    pub name: String,
    /// The name subscribers see; defaults to `name`.
    #[serde(default)]
    pub display_name: Option<String>,
    /// The short code it runs on.
    pub short_code: String,
    /// Support contact for HELP (an email, phone or URL).
    pub support: String,
    /// One line describing the program, used in HELP.
    #[serde(default)]
    pub description: Option<String>,
    /// The handler for conversation replies and subscriber events; defaults to the handler of
    /// the program's first route.
    #[serde(default)]
    pub handler: Option<String>,
    /// How long an MT opens a two-way conversation, seconds (1 hour).
    #[serde(default = "default_ttl")]
    pub conversation_ttl_secs: u64,
    /// A keyword join must be confirmed with YES.
    #[serde(default)]
    pub double_opt_in: bool,
}

fn default_ttl() -> u64 {
    3600
}

impl ProgramConfig {
    /// The name subscribers see.
    pub fn display(&self) -> &str {
        self.display_name.as_deref().unwrap_or(&self.name)
    }

    /// The conversation TTL.
    pub fn ttl(&self) -> Duration {
        Duration::from_secs(self.conversation_ttl_secs)
    }
}

/// How a route matches.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum MatchKind {
    /// The first word equals the keyword or an alias (folded).
    #[default]
    FirstWord,
    /// The whole message equals the keyword or an alias (folded).
    WholeMessage,
    /// The message matches `pattern`.
    Regex,
    /// Anything on the short code no other rule took.
    CatchAll,
}

/// One route.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteConfig {
    /// Identifier, reported in webhooks.
    pub name: String,
    /// The program the route belongs to (its short code is the route's).
    pub program: String,
    /// How it matches.
    #[serde(default, rename = "match")]
    pub kind: MatchKind,
    /// The keyword (first word or whole message).
    #[serde(default)]
    pub keyword: Option<String>,
    /// Other words that mean the same.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// The regular expression (for `match = "regex"`), tried on the trimmed message.
    #[serde(default)]
    pub pattern: Option<String>,
    /// The handler to call.
    pub handler: String,
}

/// Extra compliance keywords, on top of the CTIA ones.
#[derive(Clone, Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct ComplianceConfig {
    /// More opt-out words (e.g. `ARRET`).
    pub stop_extras: Vec<String>,
    /// More help words.
    pub help_extras: Vec<String>,
    /// More re-subscribe words.
    pub start_extras: Vec<String>,
}

/// Long-MO reassembly limits.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReassemblySettings {
    /// Seconds an incomplete long MO waits for its parts before it is routed with gaps.
    pub timeout_secs: u64,
}

impl Default for ReassemblySettings {
    fn default() -> Self {
        ReassemblySettings { timeout_secs: 300 }
    }
}

impl Config {
    /// Reads, parses and validates `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Config::parse(&text)
    }

    /// Parses and validates TOML text.
    pub fn parse(text: &str) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text)?;
        config.validate()?;
        Ok(config)
    }

    /// Checks the rules that span sections: names unique and known, programs on declared
    /// short codes, keywords unique per short code (via the routing table), regexes that
    /// compile, secrets present.
    pub fn validate(&self) -> Result<(), ConfigError> {
        for (name, c) in &self.carriers {
            if c.host.trim().is_empty() {
                return Err(invalid(format!("carrier {name}: host is empty")));
            }
            if !c.failover.is_empty() && c.bind == BindType::Receiver {
                return Err(invalid(format!(
                    "carrier {name}: failover needs a bind that sends (transceiver or \
                     transmitter); a receiver keeps one bind to host"
                )));
            }
            for f in &c.failover {
                let port = f.rsplit_once(':').map(|(h, p)| (h, p.parse::<u16>()));
                if !matches!(port, Some((h, Ok(p))) if !h.trim().is_empty() && p > 0) {
                    return Err(invalid(format!(
                        "carrier {name}: failover address {f:?} is not host:port"
                    )));
                }
            }
            c.password(name)?;
            crate::carrier::check(name, c)?;
            if let Some(w) = c.window
                && !(1..=10_000).contains(&w)
            {
                return Err(invalid(format!(
                    "carrier {name}: window must be 1 to 10000 (got {w})"
                )));
            }
            if let Some(b) = c.binds
                && !(1..=64).contains(&b)
            {
                return Err(invalid(format!(
                    "carrier {name}: binds must be 1 to 64 (got {b})"
                )));
            }
            if let Some(r) = c.receivers {
                if c.bind == BindType::Receiver {
                    return Err(invalid(format!(
                        "carrier {name}: receivers go with a bind that sends; for a transmitter \
                         and a receiver write bind = \"transmitter\" and receivers = {r}"
                    )));
                }
                if r > 64 {
                    return Err(invalid(format!(
                        "carrier {name}: receivers must be 0 to 64 (got {r})"
                    )));
                }
            }
            for (what, v) in [("tps", c.tps), ("bind_tps", c.bind_tps)] {
                if let Some(v) = v
                    && !(v.is_finite() && v > 0.0)
                {
                    return Err(invalid(format!(
                        "carrier {name}: {what} must be a positive number (got {v})"
                    )));
                }
            }
        }
        if self.store.max_batch == 0 {
            return Err(invalid("store.max_batch must be at least 1"));
        }
        let w = &self.webhooks;
        if w.queue == 0 || w.concurrency == 0 {
            return Err(invalid(
                "webhooks.queue and webhooks.concurrency must be at least 1",
            ));
        }
        for (name, h) in &self.handlers {
            let url = reqwest::Url::parse(&h.url)
                .map_err(|e| invalid(format!("handler {name}: url {:?}: {e}", h.url)))?;
            if !matches!(url.scheme(), "http" | "https") {
                return Err(invalid(format!(
                    "handler {name}: url must be http:// or https://, not {}",
                    url.scheme()
                )));
            }
            match h.profile {
                Profile::Json => {
                    crate::signing::decode_secret(&h.secret(name)?)
                        .map_err(|e| invalid(format!("handler {name}: {e}")))?;
                }
                Profile::Twilio => {
                    h.secret(name)?;
                }
                Profile::Jasmin => {
                    if h.secret.is_some() || h.secret_env.is_some() {
                        return Err(invalid(format!(
                            "handler {name}: the jasmin profile is not signed: drop its secret"
                        )));
                    }
                }
            }
            if h.jasmin_get()? && h.profile != Profile::Jasmin {
                return Err(invalid(format!(
                    "handler {name}: method = \"GET\" is for the jasmin profile only"
                )));
            }
        }
        let mut codes = std::collections::HashSet::new();
        for sc in &self.short_codes {
            if sc.code.trim().is_empty() || sc.code.len() > 20 {
                return Err(invalid(format!(
                    "short code {:?}: 1 to 20 characters",
                    sc.code
                )));
            }
            if !codes.insert(sc.code.as_str()) {
                return Err(invalid(format!("short code {} is declared twice", sc.code)));
            }
            if let Some(c) = &sc.carrier
                && !self.carriers.contains_key(c)
            {
                return Err(invalid(format!(
                    "short code {}: unknown carrier {c}",
                    sc.code
                )));
            }
            if sc.carrier.is_none() && self.carriers.len() > 1 {
                return Err(invalid(format!(
                    "short code {}: {} carriers are configured ({}): say which one serves it \
                     (carrier = \"NAME\")",
                    sc.code,
                    self.carriers.len(),
                    self.carriers.keys().cloned().collect::<Vec<_>>().join(", ")
                )));
            }
            if let Some(p) = &sc.default_program
                && !self
                    .programs
                    .iter()
                    .any(|q| &q.name == p && q.short_code == sc.code)
            {
                return Err(invalid(format!(
                    "short code {}: default_program {p} is not a program on this code",
                    sc.code
                )));
            }
        }
        let mut programs = std::collections::HashSet::new();
        for p in &self.programs {
            if !programs.insert(p.name.as_str()) {
                return Err(invalid(format!("program {} is declared twice", p.name)));
            }
            if !codes.contains(p.short_code.as_str()) {
                return Err(invalid(format!(
                    "program {}: short code {} is not declared in [[short_codes]]",
                    p.name, p.short_code
                )));
            }
            if p.support.trim().is_empty() {
                return Err(invalid(format!(
                    "program {}: support contact is required (HELP answers must carry it)",
                    p.name
                )));
            }
            if let Some(h) = &p.handler
                && !self.handlers.contains_key(h)
            {
                return Err(invalid(format!("program {}: unknown handler {h}", p.name)));
            }
        }
        let mut routes = std::collections::HashSet::new();
        for r in &self.routes {
            if !routes.insert(r.name.as_str()) {
                return Err(invalid(format!("route {} is declared twice", r.name)));
            }
            if !programs.contains(r.program.as_str()) {
                return Err(invalid(format!(
                    "route {}: unknown program {}",
                    r.name, r.program
                )));
            }
            if !self.handlers.contains_key(&r.handler) {
                return Err(invalid(format!(
                    "route {}: unknown handler {}",
                    r.name, r.handler
                )));
            }
        }
        crate::routing::RoutingTable::build(self)
            .map_err(|e| ConfigError::Invalid(e.to_string()))?;
        Ok(())
    }

    /// The program called `name`.
    pub fn program(&self, name: &str) -> Option<&ProgramConfig> {
        self.programs.iter().find(|p| p.name == name)
    }

    /// The short code `code`.
    pub fn short_code(&self, code: &str) -> Option<&ShortCodeConfig> {
        self.short_codes.iter().find(|s| s.code == code)
    }

    /// The carrier that serves short code `code`: its own, or the only one configured.
    pub fn carrier_of(&self, code: &str) -> Option<&str> {
        let sc = self.short_code(code)?;
        match &sc.carrier {
            Some(c) => Some(c),
            None if self.carriers.len() == 1 => self.carriers.keys().next().map(String::as_str),
            None => None,
        }
    }

    /// The program named in compliance answers on `code`: its `default_program`, else its
    /// first program.
    pub fn default_program(&self, code: &str) -> Option<&ProgramConfig> {
        let sc = self.short_code(code)?;
        match &sc.default_program {
            Some(p) => self.program(p),
            None => self.programs.iter().find(|p| p.short_code == code),
        }
    }

    /// The handler for conversation replies and events of `program`.
    pub fn program_handler(&self, program: &str) -> Option<&str> {
        let p = self.program(program)?;
        p.handler.as_deref().or_else(|| {
            self.routes
                .iter()
                .find(|r| r.program == program)
                .map(|r| r.handler.as_str())
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) const SAMPLE: &str = r#"
[store]
path = "router.db"

[carriers.sim]
host = "127.0.0.1"
port = 2775
system_id = "router"
password = "secret"

[handlers.coffee]
url = "http://127.0.0.1:8080/sms"
secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

[[short_codes]]
code = "12345"
no_route_reply = "Sorry, we did not get that. Reply HELP for help."

[[programs]]
name = "coffee"
display_name = "Coffee Club"
short_code = "12345"
support = "help@coffee.example"

[[routes]]
name = "join"
program = "coffee"
keyword = "JOIN"
aliases = ["SUBSCRIBE-ME"]
handler = "coffee"
"#;

    #[test]
    fn sample_parses() {
        let c = Config::parse(SAMPLE).unwrap();
        assert_eq!(c.routes[0].kind, MatchKind::FirstWord);
        assert_eq!(c.default_program("12345").unwrap().display(), "Coffee Club");
        assert_eq!(c.program_handler("coffee"), Some("coffee"));
        assert_eq!(c.webhooks.timeout_ms, 15_000);
        assert_eq!(c.webhooks.connect_timeout_ms, 5_000);
    }

    #[test]
    fn secrets_from_env() {
        let text = SAMPLE.replace(
            "password = \"secret\"",
            "password_env = \"SCR_TEST_UNSET_VARIABLE\"",
        );
        let e = Config::parse(&text).unwrap_err().to_string();
        assert!(e.contains("SCR_TEST_UNSET_VARIABLE"), "{e}");
    }

    #[test]
    fn unknown_references_are_refused() {
        let text = SAMPLE.replace("handler = \"coffee\"", "handler = \"tea\"");
        let e = Config::parse(&text).unwrap_err().to_string();
        assert!(e.contains("unknown handler tea"), "{e}");
        let text = SAMPLE.replace("short_code = \"12345\"", "short_code = \"999\"");
        let e = Config::parse(&text).unwrap_err().to_string();
        assert!(e.contains("999"), "{e}");
        let e = Config::parse("[store]\npath='x'\nbogus=1\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("bogus"), "{e}");
    }

    #[test]
    fn several_carriers_each_short_code_names_its_own() {
        let second = "\n[carriers.backup]\nhost = \"127.0.0.2\"\nport = 2775\n\
                      system_id = \"router\"\npassword = \"secret\"\n";
        let text = format!("{SAMPLE}{second}");
        let e = Config::parse(&text).unwrap_err().to_string();
        assert!(
            e.contains("short code 12345") && e.contains("backup, sim"),
            "{e}"
        );
        let text = text.replace(
            "[[short_codes]]\ncode = \"12345\"\n",
            "[[short_codes]]\ncode = \"12345\"\ncarrier = \"backup\"\n",
        );
        let c = Config::parse(&text).unwrap();
        assert_eq!(c.carriers.len(), 2);
        let routes = crate::delivery::Routes::from_config(&c);
        assert_eq!(routes.carriers["12345"], "backup");
    }

    #[test]
    fn failover_addresses_are_checked() {
        let with = |f: &str| {
            SAMPLE.replace(
                "password = \"secret\"",
                &format!("password = \"secret\"\n{f}"),
            )
        };
        let c =
            Config::parse(&with("failover = [\"smsc2.example:2776\", \"[::1]:2775\"]")).unwrap();
        let pool = crate::carrier::pool_config(&c).unwrap().unwrap();
        assert_eq!(
            pool.carriers[0].hosts,
            [
                "smpp://127.0.0.1:2775",
                "smpp://smsc2.example:2776",
                "smpp://[::1]:2775"
            ]
        );
        let e = Config::parse(&with("failover = [\"smsc2.example\"]"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("not host:port"), "{e}");
        let e = Config::parse(&with("failover = [\"a:2775\"]\nbind = \"receiver\""))
            .unwrap_err()
            .to_string();
        assert!(e.contains("failover needs a bind that sends"), "{e}");
    }

    #[test]
    fn message_id_forms_are_checked_and_reach_the_pool() {
        let with = |f: &str| {
            SAMPLE.replace(
                "password = \"secret\"",
                &format!("password = \"secret\"\nmessage_id_form = \"{f}\""),
            )
        };
        let c = Config::parse(&with("hex-to-decimal")).unwrap();
        assert_eq!(c.carriers["sim"].id_form(), Ok(MessageIdForm::HexToDecimal));
        let pool = crate::carrier::pool_config(&c).unwrap().unwrap();
        assert_eq!(pool.carriers[0].message_id_form, "hex-to-decimal");
        let e = Config::parse(&with("sideways")).unwrap_err().to_string();
        assert!(
            e.contains("message_id_form") && e.contains("hex-to-decimal"),
            "{e}"
        );
    }

    #[test]
    fn carrier_window_is_optional_and_checked() {
        let c = Config::parse(SAMPLE).unwrap();
        assert_eq!(c.carriers["sim"].window, None);
        let text = SAMPLE.replace(
            "password = \"secret\"",
            "password = \"secret\"\nwindow = 64",
        );
        let c = Config::parse(&text).unwrap();
        let esme = crate::carrier::esme_config("sim", &c.carriers["sim"]).unwrap();
        assert_eq!(esme.session.window, 64);
        let text = SAMPLE.replace("password = \"secret\"", "password = \"secret\"\nwindow = 0");
        let e = Config::parse(&text).unwrap_err().to_string();
        assert!(e.contains("window"), "{e}");
    }

    #[test]
    fn carrier_binds_make_the_pool() {
        // No `binds`: one transceiver with the default window, as before.
        let c = Config::parse(SAMPLE).unwrap();
        let pool = crate::carrier::pool_config(&c).unwrap().unwrap();
        let p = &pool.carriers[0];
        assert_eq!(
            (p.binds.transceivers, p.binds.total(), p.window),
            (1, 1, 10)
        );
        assert_eq!((p.tps, p.bind_tps), (None, None));
        let text = SAMPLE.replace(
            "password = \"secret\"",
            "password = \"secret\"\nbinds = 4\nwindow = 32\ntps = 200\nbind_tps = 60\nbind = \"transmitter\"",
        );
        let c = Config::parse(&text).unwrap();
        let pool = crate::carrier::pool_config(&c).unwrap().unwrap();
        let p = &pool.carriers[0];
        assert_eq!(
            (p.binds.transmitters, p.binds.total(), p.window),
            (4, 4, 32)
        );
        assert_eq!((p.tps, p.bind_tps), (Some(200.0), Some(60.0)));
        // A transmitter with receivers alongside (SMSCs without transceiver binds).
        let text = SAMPLE.replace(
            "password = \"secret\"",
            "password = \"secret\"\nbind = \"transmitter\"\nbinds = 2\nreceivers = 1",
        );
        let c = Config::parse(&text).unwrap();
        let pool = crate::carrier::pool_config(&c).unwrap().unwrap();
        let b = &pool.carriers[0].binds;
        assert_eq!((b.transmitters, b.receivers, b.transceivers), (2, 1, 0));
        for bad in [
            "bind = \"receiver\"\nreceivers = 1",
            "bind = \"transmitter\"\nreceivers = 65",
        ] {
            let text = SAMPLE.replace(
                "password = \"secret\"",
                &format!("password = \"secret\"\n{bad}"),
            );
            let e = Config::parse(&text).unwrap_err().to_string();
            assert!(e.contains("receivers"), "{bad}: {e}");
        }
        // A receiver-only carrier keeps its one plain bind.
        let text = SAMPLE.replace(
            "password = \"secret\"",
            "password = \"secret\"\nbind = \"receiver\"",
        );
        let c = Config::parse(&text).unwrap();
        assert!(crate::carrier::pool_config(&c).unwrap().is_none());
        for bad in ["binds = 0", "binds = 65", "tps = 0", "bind_tps = -1"] {
            let text = SAMPLE.replace(
                "password = \"secret\"",
                &format!("password = \"secret\"\n{bad}"),
            );
            let e = Config::parse(&text).unwrap_err().to_string();
            assert!(e.contains(bad.split(' ').next().unwrap()), "{e}");
        }
    }

    #[test]
    fn bind_timer_tls_rebind_and_retry_settings_reach_the_pool_and_the_receiver_bind() {
        let settings = "system_type = \"VMA\"\ninterface_version = \"5.0\"\n\
                        enquire_link_ms = 5000\nresponse_timeout_ms = 7000\n\
                        connect_timeout_ms = 2000\nunavailable_timeout_ms = 9000\n\
                        tls_server_name = \"smsc.example\"\n\
                        rebind = { min_delay_ms = 50, max_delay_ms = 2000, failover_after = 2, \
                        failback_after_ms = 0 }\n\
                        retry = { max_retries = 1, throttle_pause_ms = 100 }";
        let with = |extra: &str| {
            SAMPLE.replace(
                "password = \"secret\"",
                &format!("password = \"secret\"\n{extra}"),
            )
        };
        let c = Config::parse(&with(settings)).unwrap();
        let pool = crate::carrier::pool_config(&c).unwrap().unwrap();
        let p = &pool.carriers[0];
        assert_eq!(p.system_type, "VMA");
        assert_eq!(p.interface_version, "5.0");
        assert_eq!(
            (
                p.enquire_link_ms,
                p.response_timeout_ms,
                p.connect_timeout_ms,
                p.unavailable_timeout_ms
            ),
            (5000, 7000, 2000, 9000)
        );
        assert_eq!(p.tls_server_name.as_deref(), Some("smsc.example"));
        assert_eq!(
            p.rebind,
            smsc_client::pool::RebindConfig {
                min_delay_ms: 50,
                max_delay_ms: 2000,
                failover_after: 2,
                failback_after_ms: 0
            }
        );
        // Keys left out of `retry` keep their defaults.
        assert_eq!((p.retry.max_retries, p.retry.throttle_pause_ms), (1, 100));
        assert_eq!(
            p.retry.backoff_max_ms,
            RetryConfig::default().backoff_max_ms
        );
        // What each bind of the pool is made with.
        let e = p
            .esme_config(0, smsc_client::session::BindKind::Transceiver, "sim")
            .unwrap();
        assert_eq!((e.system_type.as_str(), e.interface_version), ("VMA", 0x50));
        assert_eq!(
            e.session.enquire_link_interval,
            Some(Duration::from_secs(5))
        );
        assert_eq!(e.session.response_timeout, Duration::from_secs(7));
        assert_eq!(e.connect_timeout, Duration::from_secs(2));
        // Unset: the defaults (no enquire_link interval change, 30 s to bind back up).
        let c = Config::parse(SAMPLE).unwrap();
        let p = crate::carrier::pool_carrier("sim", &c.carriers["sim"]).unwrap();
        assert_eq!(
            (p.enquire_link_ms, p.unavailable_timeout_ms),
            (30_000, crate::carrier::UNAVAILABLE_TIMEOUT_MS)
        );
        assert_eq!(p.rebind, smsc_client::pool::RebindConfig::default());
        // A receiver-only carrier's one bind gets the same settings.
        let c = Config::parse(&with(&format!("{settings}\nbind = \"receiver\""))).unwrap();
        let e = crate::carrier::esme_config("sim", &c.carriers["sim"]).unwrap();
        assert_eq!(e.bind_kind, smsc_client::session::BindKind::Receiver);
        assert_eq!((e.system_type.as_str(), e.interface_version), ("VMA", 0x50));
        assert_eq!(
            e.session.enquire_link_interval,
            Some(Duration::from_secs(5))
        );
        // Bad values are refused, naming the field, for a receiver too.
        for (bad, field) in [
            ("system_type = \"THIRTEENCHARS\"", "system_type"),
            ("interface_version = \"4.0\"", "interface_version"),
            ("response_timeout_ms = 0", "response_timeout_ms"),
            ("rebind = { min_delay_ms = 0 }", "rebind"),
            ("rebind = { failover_after = 0 }", "rebind"),
            ("retry = { congestion_threshold = 101 }", "retry"),
            ("retry = { bogus = 1 }", "bogus"),
            ("ca_file = \"/nonexistent/ca.pem\"\ntls = true", "ca_file"),
        ] {
            for bind in ["", "\nbind = \"receiver\""] {
                let e = Config::parse(&with(&format!("{bad}{bind}")))
                    .unwrap_err()
                    .to_string();
                assert!(e.contains(field), "{bad}{bind}: {e}");
            }
        }
    }

    #[test]
    fn bad_webhook_secret_is_refused() {
        let text = SAMPLE.replace("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "not base64 !!");
        let e = Config::parse(&text).unwrap_err().to_string();
        assert!(e.contains("handler coffee"), "{e}");
    }
}
