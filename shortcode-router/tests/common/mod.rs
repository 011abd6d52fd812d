//! Shared harness of the router's end-to-end tests: the in-process SMSC simulator, a test HTTP
//! handler (axum on 127.0.0.1) that verifies Standard Webhooks signatures with the
//! `standardwebhooks` crate, and a config pointing the router at both.

#![allow(dead_code, missing_docs)]

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use shortcode_router::{Config, Service};
use smsc_client::sim::{SimConfig, SimHandle, Simulator, Submission};

pub const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
pub const SUB: &str = "447700900001";
pub const CODE: &str = "12345";

/// How the test handler answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Mode {
    /// 2xx, with a reply for texts starting with JOIN.
    Up = 0,
    /// 503 without looking at the request.
    Down = 1,
    /// 410 Gone.
    Gone = 2,
    /// 307 to `/moved`, which would accept the webhook (a sender must not follow it).
    Redirect = 3,
}

/// One webhook the handler accepted (2xx).
#[derive(Clone, Debug)]
pub struct Received {
    pub id: String,
    pub payload: Value,
}

#[derive(Default)]
pub struct HandlerState {
    pub mode: AtomicU8,
    pub accepted: Mutex<Vec<Received>>,
    pub refused: AtomicU64,
    /// Answers of `Mode::Redirect`, and requests that followed one to `/moved`.
    pub redirects: AtomicU64,
    pub moved: AtomicU64,
    /// The `User-Agent` of the last webhook.
    pub user_agent: Mutex<Option<String>>,
    pub bad_signatures: AtomicU64,
    /// Reply texts by the first word of the MO (upper case).
    pub replies: Mutex<HashMap<String, String>>,
}

impl HandlerState {
    pub fn set_mode(&self, m: Mode) {
        self.mode.store(m as u8, Ordering::SeqCst);
    }

    pub fn accepted(&self) -> Vec<Received> {
        self.accepted.lock().unwrap().clone()
    }

    pub fn reply_to(&self, word: &str, text: &str) {
        self.replies
            .lock()
            .unwrap()
            .insert(word.to_owned(), text.to_owned());
    }
}

async fn hook(State(st): State<Arc<HandlerState>>, headers: HeaderMap, body: Bytes) -> Response {
    *st.user_agent.lock().unwrap() = headers
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    match st.mode.load(Ordering::SeqCst) {
        1 => {
            st.refused.fetch_add(1, Ordering::SeqCst);
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
        2 => return StatusCode::GONE.into_response(),
        3 => {
            st.redirects.fetch_add(1, Ordering::SeqCst);
            return (
                StatusCode::TEMPORARY_REDIRECT,
                [(axum::http::header::LOCATION, "/moved")],
            )
                .into_response();
        }
        _ => {}
    }
    let wh = standardwebhooks::Webhook::new(SECRET).unwrap();
    if let Err(e) = wh.verify(&body, &headers) {
        st.bad_signatures.fetch_add(1, Ordering::SeqCst);
        return (StatusCode::UNAUTHORIZED, format!("bad signature: {e}")).into_response();
    }
    let id = headers
        .get("webhook-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let payload: Value = serde_json::from_slice(&body).unwrap();
    let word = payload["text"]
        .as_str()
        .unwrap_or("")
        .split_whitespace()
        .next()
        .unwrap_or("")
        .trim_matches(|c: char| !c.is_alphanumeric())
        .to_uppercase();
    st.accepted.lock().unwrap().push(Received {
        id,
        payload: payload.clone(),
    });
    let reply = st.replies.lock().unwrap().get(&word).cloned();
    match reply {
        Some(r) => axum::Json(serde_json::json!({ "reply": r })).into_response(),
        None => StatusCode::NO_CONTENT.into_response(),
    }
}

/// Starts the test handler; returns its address and state.
pub async fn start_handler() -> (SocketAddr, Arc<HandlerState>) {
    let st = Arc::new(HandlerState::default());
    let app = axum::Router::new()
        .route("/sms", axum::routing::post(hook))
        .route(
            "/moved",
            axum::routing::post(|State(st): State<Arc<HandlerState>>| async move {
                st.moved.fetch_add(1, Ordering::SeqCst);
                StatusCode::NO_CONTENT
            }),
        )
        .with_state(st.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (addr, st)
}

/// A router test's parts before the router starts: a temporary directory for its SQLite file
/// (`r.db`), the simulator accepting its bind, and the test handler.
pub struct Setup {
    pub dir: tempfile::TempDir,
    pub sim: SimHandle,
    pub handler: SocketAddr,
    pub h: Arc<HandlerState>,
}

impl Setup {
    /// The simulator (with `sim`'s settings) and the handler, started.
    pub async fn new(sim: SimConfig) -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let sim = start_sim(sim).await;
        let (handler, h) = start_handler().await;
        Setup {
            dir,
            sim,
            handler,
            h,
        }
    }

    /// The router's config: this simulator, this handler, `r.db` in this directory, `extra`
    /// appended.
    pub fn config(&self, extra: &str) -> String {
        config_text(
            self.sim.local_addr(),
            self.handler,
            &self.dir.path().join("r.db"),
            extra,
        )
    }

    /// [`Setup::config`] with `settings` (TOML lines) added to the carrier's table.
    pub fn config_with_carrier(&self, settings: &str) -> String {
        self.config("").replacen(
            "password = \"secret\"",
            &format!("password = \"secret\"\n{settings}"),
            1,
        )
    }

    /// An MT goes out and its receipt makes it `delivered`; an MO reaches the handler.
    pub async fn mt_delivered_and_mo_handled(&self, router: &Service, text: &str) {
        let id = router.send(mt(text)).await.unwrap();
        let status = status_when(router, &id, |s| {
            s == shortcode_router::delivery::MessageStatus::Delivered
        })
        .await;
        assert_eq!(
            status,
            shortcode_router::delivery::MessageStatus::Delivered,
            "the receipt came in"
        );
        let before = self.h.accepted().len();
        inject(&self.sim, "coffee time", SUB).await;
        eventually(10, "the MO webhook", || {
            self.h.accepted().len() == before + 1
        })
        .await;
    }

    /// The router, started on [`Setup::config`]`(extra)`.
    pub async fn router(&self, extra: &str) -> Service {
        start_router(&self.config(extra)).await
    }
}

/// Runs a test's body, failing the test when it takes more than `secs`.
pub async fn within<T>(secs: u64, body: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(secs), body)
        .await
        .expect("the test ran out of time")
}

/// An API MT of the coffee program from the short code to the subscriber.
pub fn mt(text: &str) -> shortcode_router::mt::MtRequest {
    shortcode_router::mt::MtRequest {
        from: CODE.into(),
        to: SUB.into(),
        text: text.into(),
        program: Some("coffee".into()),
        kind: shortcode_router::store::MtKind::Api,
    }
}

/// Polls message `id`'s status until `done` holds for it (at most 10 s) and returns it.
pub async fn status_when(
    router: &Service,
    id: &str,
    done: impl Fn(shortcode_router::delivery::MessageStatus) -> bool,
) -> shortcode_router::delivery::MessageStatus {
    let mut status = None;
    for _ in 0..500 {
        let now = router.mt().store().get(id).await.unwrap().unwrap().status;
        status = Some(now);
        if done(now) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    status.unwrap()
}

/// Starts the simulator accepting the router's bind.
pub async fn start_sim(mut config: SimConfig) -> SimHandle {
    config = config.account("router", "secret");
    Simulator::start(config).await.unwrap()
}

/// The router's config: the simulator as carrier, the handler for every route, the SQLite
/// file at `db`. `extra` is appended (more programs, routes...).
pub fn config_text(sim: SocketAddr, handler: SocketAddr, db: &Path, extra: &str) -> String {
    format!(
        r#"
[store]
path = {db:?}

[carriers.sim]
host = "127.0.0.1"
port = {port}
system_id = "router"
password = "secret"

[webhooks]
initial_backoff_ms = 50
max_backoff_ms = 400
sweep_interval_ms = 50
timeout_ms = 5000

[handlers.app]
url = "http://{handler}/sms"
secret = "{SECRET}"

[[short_codes]]
code = "{CODE}"
no_route_reply = "Sorry, we did not get that. Reply HELP for help."

[[programs]]
name = "coffee"
display_name = "Coffee Club"
short_code = "{CODE}"
support = "help@coffee.example"
description = "Weekly coffee deals"
conversation_ttl_secs = 600

[[routes]]
name = "join"
program = "coffee"
keyword = "JOIN"
aliases = ["COFFEE"]
handler = "app"
{extra}
"#,
        db = db.display().to_string(),
        port = sim.port(),
    )
}

/// Starts the router on `text` and waits for its bind.
pub async fn start_router(text: &str) -> Service {
    let config = Config::parse(text).unwrap();
    let service = Service::start(config).await.unwrap();
    assert!(
        service.wait_bound(Duration::from_secs(10)).await,
        "router did not bind to the simulator"
    );
    service
}

/// Polls `f` until it holds or `secs` pass.
pub async fn eventually<F: FnMut() -> bool>(secs: u64, what: &str, mut f: F) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while !f() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for: {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Polls an async check until it holds or `secs` pass.
pub async fn eventually_async<F, Fut>(secs: u64, what: &str, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while !f().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for: {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Submissions the simulator accepted for `to`.
pub fn mts_to(sim: &SimHandle, to: &str) -> Vec<Submission> {
    sim.submissions()
        .into_iter()
        .filter(|s| s.destinations.iter().any(|d| d == to))
        .collect()
}

/// Injects an MO from `from` to the short code, retrying while the router is not bound (or the
/// SMSC got no answer: an SMSC redelivers what was not acknowledged). Returns the attempts.
pub async fn inject(sim: &SimHandle, text: &str, from: &str) -> u32 {
    let mut tries = 0;
    loop {
        tries += 1;
        match sim.inject_mo(text, from, CODE, Some("router")).await {
            Ok(_) => return tries,
            Err(e) => {
                assert!(tries < 500, "MO {text:?} never acknowledged: {e}");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
}

/// Config for a `legacy` program on [`CODE`] whose HOLA keyword goes to handler `handler`
/// (the handler profile tests).
pub fn legacy_program(handler: &str) -> String {
    format!(
        r#"
[[programs]]
name = "legacy"
display_name = "Legacy App"
short_code = "{CODE}"
support = "legacy@example.com"

[[routes]]
name = "legacy"
program = "legacy"
keyword = "HOLA"
handler = "{handler}"
"#
    )
}
