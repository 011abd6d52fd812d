//! The HTTP API (axum): MT messages (send, look up, search, resend), the opt-out list, the
//! Kannel-compatible `sendsms` shim, the Jasmin-compatible `/send`, the Twilio-compatible
//! Messages API, `/metrics`, `/healthz`, `/readyz` and `/openapi.json`.
//! Handlers are thin; state is one [`AppState`]; every error is an [`ApiError`].

pub mod auth;
pub mod error;
pub mod jasmin;
pub mod kannel;
pub mod messages;
pub mod openapi;
pub mod ops;
pub mod optouts;
pub mod twilio;

use std::net::SocketAddr;
use std::sync::Arc;

use std::collections::BTreeMap;

use axum::Router;
use axum::routing::MethodRouter;

pub use auth::{ApiKeyConfig, Auth, Caller};
pub use error::ApiError;

use crate::delivery::MtService;

/// The `[api]` section of the config.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiConfig {
    /// Where the API listens (default `127.0.0.1:8080`).
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// Where the operations endpoints ([`OPS_ROUTES`]: metrics, liveness, readiness) listen
    /// instead; unset, they share `listen`. Keeps them off a public API address.
    #[serde(default)]
    pub ops_listen: Option<SocketAddr>,
    /// The API keys.
    #[serde(default)]
    pub keys: Vec<ApiKeyConfig>,
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            listen: default_listen(),
            ops_listen: None,
            keys: Vec::new(),
        }
    }
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8080))
}

impl ApiConfig {
    /// The decoded callback signing key of each API key that has one.
    pub fn callback_keys(&self) -> Result<std::collections::HashMap<String, Vec<u8>>, String> {
        let mut out = std::collections::HashMap::new();
        for k in &self.keys {
            if let Some(s) = k.callback_secret()? {
                let key = crate::signing::decode_secret(&s)
                    .map_err(|e| format!("api key {}: callback_secret: {e}", k.name))?;
                out.insert(k.name.clone(), key);
            }
        }
        Ok(out)
    }
}

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The MT pipeline (and through it the message store and opt-outs).
    pub mt: Arc<MtService>,
    /// The API keys.
    pub auth: Arc<Auth>,
    /// The carriers `/readyz` expects a bind for.
    pub carriers: Arc<Vec<String>>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("carriers", &self.carriers)
            .finish_non_exhaustive()
    }
}

/// Every route: `(method, path)` as written in the router and the OpenAPI document.
pub const ROUTES: &[(&str, &str)] = &[
    ("post", "/v1/messages"),
    ("get", "/v1/messages"),
    ("get", "/v1/messages/{id}"),
    ("post", "/v1/messages/{id}/resend"),
    ("get", "/v1/optouts"),
    ("post", "/v1/optouts"),
    ("post", "/v1/optouts/import"),
    ("delete", "/v1/optouts/{short_code}/{subscriber}"),
    ("get", "/v1/optouts/audit"),
    ("post", "/2010-04-01/Accounts/{account}/Messages.json"),
    ("get", "/2010-04-01/Accounts/{account}/Messages.json"),
    ("get", "/2010-04-01/Accounts/{account}/Messages/{sid}"),
    ("get", "/cgi-bin/sendsms"),
    ("post", "/cgi-bin/sendsms"),
    ("get", "/send"),
    ("post", "/send"),
    ("get", "/metrics"),
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/openapi.json"),
];

fn endpoint(method: &str, path: &str) -> Option<MethodRouter<AppState>> {
    use axum::routing::{delete, get, post};
    Some(match (method, path) {
        ("post", "/v1/messages") => post(messages::send),
        ("get", "/v1/messages") => get(messages::search),
        ("get", "/v1/messages/{id}") => get(messages::get_one),
        ("post", "/v1/messages/{id}/resend") => post(messages::resend),
        ("get", "/v1/optouts") => get(optouts::list),
        ("post", "/v1/optouts") => post(optouts::add),
        ("post", "/v1/optouts/import") => post(optouts::import),
        ("delete", "/v1/optouts/{short_code}/{subscriber}") => delete(optouts::remove),
        ("get", "/v1/optouts/audit") => get(optouts::audit),
        ("post", "/2010-04-01/Accounts/{account}/Messages.json") => post(twilio::create),
        ("get", "/2010-04-01/Accounts/{account}/Messages.json") => get(twilio::list),
        ("get", "/2010-04-01/Accounts/{account}/Messages/{sid}") => get(twilio::fetch),
        ("get", "/cgi-bin/sendsms") => get(kannel::sendsms_get),
        ("post", "/cgi-bin/sendsms") => post(kannel::sendsms_post),
        ("get", "/send") => get(jasmin::send_get),
        ("post", "/send") => post(jasmin::send_post),
        ("get", "/metrics") => get(ops::metrics),
        ("get", "/healthz") => get(ops::healthz),
        ("get", "/readyz") => get(ops::readyz),
        ("get", "/openapi.json") => get(openapi::document),
        _ => return None,
    })
}

/// The operations endpoints, served on `[api] ops_listen` when it is set.
pub const OPS_ROUTES: &[&str] = &["/metrics", "/healthz", "/readyz"];

/// Which of [`ROUTES`] a listener serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Serves {
    /// Every route (no `ops_listen`).
    All,
    /// All but [`OPS_ROUTES`].
    Api,
    /// Only [`OPS_ROUTES`].
    Ops,
}

impl Serves {
    fn includes(self, path: &str) -> bool {
        match self {
            Serves::All => true,
            Serves::Api => !OPS_ROUTES.contains(&path),
            Serves::Ops => OPS_ROUTES.contains(&path),
        }
    }
}

/// The API's router, built from [`ROUTES`] (so the OpenAPI document, which is checked against
/// [`ROUTES`], describes exactly what is served): every route, or those `serves` says.
pub fn router(state: AppState, serves: Serves) -> Router {
    let mut by_path: BTreeMap<&str, MethodRouter<AppState>> = BTreeMap::new();
    for (method, path) in ROUTES.iter().filter(|(_, p)| serves.includes(p)) {
        let Some(e) = endpoint(method, path) else {
            tracing::error!(method, path, "route without a handler: not served");
            continue;
        };
        let merged = match by_path.remove(path) {
            Some(existing) => existing.merge(e),
            None => e,
        };
        by_path.insert(path, merged);
    }
    let mut r = Router::new();
    for (path, m) in by_path {
        r = r.route(path, m);
    }
    r.fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .with_state(state)
}

/// Serves the routes `serves` names on `listener` until `shutdown` resolves (then finishes
/// requests in flight).
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    serves: Serves,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state, serves))
        .with_graceful_shutdown(shutdown)
        .await
}
