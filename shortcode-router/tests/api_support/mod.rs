//! Shared set-up of the API and MT tests: an SMSC simulator, the whole service on SQLite in a
//! temp dir, the API on 127.0.0.1, and a local receiver for status callbacks.
#![allow(dead_code)]

use std::time::Duration;

use axum::http::HeaderMap;
use serde_json::Value;
use shortcode_router::app::{App, parse_config};
use smsc_client::sim::{SimConfig, SimHandle, Simulator};
use tokio::sync::mpsc;

pub const ADMIN: &str = "admin-token-0123456789";
pub const COFFEE: &str = "coffee-token-0123456789";
pub const CALLBACK_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
pub const T: Duration = Duration::from_secs(20);

/// Polls `GET {base}/readyz` until `done` says so of its JSON (at most [`T`]); returns that
/// JSON.
pub async fn wait_readyz(
    http: &reqwest::Client,
    base: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = tokio::time::Instant::now() + T;
    loop {
        let r = http.get(format!("{base}/readyz")).send().await.unwrap();
        let v: Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
        if done(&v) {
            return v;
        }
        assert!(tokio::time::Instant::now() < deadline, "/readyz: {v}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// One request received by the callback receiver.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub uri: String,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

pub struct Harness {
    pub sim: SimHandle,
    pub app: Option<App>,
    pub base: String,
    pub http: reqwest::Client,
    pub callbacks: mpsc::UnboundedReceiver<Received>,
    pub callback_url: String,
    _dir: tempfile::TempDir,
}

pub fn config(dir: &std::path::Path, smsc: std::net::SocketAddr, extra: &str) -> String {
    format!(
        r#"
[store]
path = "{db}"

[carriers.sim]
host = "127.0.0.1"
port = {port}
system_id = "router"
password = "secret"

[handlers.app]
url = "http://127.0.0.1:9/sms"
secret = "{CALLBACK_SECRET}"

[[short_codes]]
code = "12345"

[[short_codes]]
code = "67890"

[[programs]]
name = "coffee"
display_name = "Coffee Club"
short_code = "12345"
support = "help@coffee.example"

[[programs]]
name = "tea"
short_code = "67890"
support = "help@tea.example"

[api]
listen = "127.0.0.1:0"

[[api.keys]]
name = "admin"
token = "{ADMIN}"

[[api.keys]]
name = "coffee-app"
token = "{COFFEE}"
programs = ["coffee"]
callback_secret = "{CALLBACK_SECRET}"

[mt.callbacks]
max_attempts = 5
initial_backoff_ms = 50
{extra}
"#,
        db = dir.join("router.db").display(),
        port = smsc.port(),
    )
}

impl Harness {
    pub async fn start() -> Harness {
        Harness::start_with(SimConfig::default(), "").await
    }

    pub async fn start_with(sim: SimConfig, extra: &str) -> Harness {
        let sim = Simulator::start(
            sim.account("router", "secret")
                .receipt_delay(Duration::from_millis(30)),
        )
        .await
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (config, sections) =
            parse_config(&config(dir.path(), sim.local_addr(), extra)).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let app = App::start(config, sections, Some(listener)).await.unwrap();
        assert!(app.wait_bound(T).await, "the service did not bind");
        let base = format!("http://{}", app.api_addr());
        let (tx, callbacks) = mpsc::unbounded_channel();
        let callback_url = receiver(tx).await;
        Harness {
            sim,
            app: Some(app),
            base,
            http: reqwest::Client::new(),
            callbacks,
            callback_url,
            _dir: dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> (u16, Value) {
        let r = self
            .http
            .post(self.url(path))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        answer(r).await
    }

    pub async fn get(&self, path: &str, token: &str) -> (u16, Value) {
        let r = self
            .http
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        answer(r).await
    }

    /// `GET /metrics`: the Prometheus text.
    pub async fn metrics(&self) -> String {
        metrics_at(&self.http, &self.base).await
    }

    /// Polls the message until its status is `want` (or the time is up).
    pub async fn wait_status(&self, id: &str, want: &str) -> Value {
        let deadline = tokio::time::Instant::now() + T;
        loop {
            let (s, m) = self.get(&format!("/v1/messages/{id}"), ADMIN).await;
            assert_eq!(s, 200, "{m}");
            if m["status"] == want {
                return m;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "message {id} never reached {want}: {m:#}"
            );
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
    }

    pub async fn next_callback(&mut self) -> Received {
        tokio::time::timeout(T, self.callbacks.recv())
            .await
            .expect("no callback in time")
            .expect("receiver closed")
    }

    pub async fn shutdown(mut self) -> bool {
        let app = self.app.take().unwrap();
        app.shutdown(Duration::from_secs(10)).await
    }
}

/// An answer's status and JSON body (`Null` when the body is not JSON).
pub async fn answer(r: reqwest::Response) -> (u16, Value) {
    let status = r.status().as_u16();
    let bytes = r.bytes().await.unwrap_or_default();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// `rel` under the interop directory (`SMPP_INTEROP_DIR`, default the repo's `interop/`),
/// which `interop/setup.sh` must have installed.
pub fn interop_tool(rel: &str) -> std::path::PathBuf {
    let dir = std::env::var_os("SMPP_INTEROP_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../interop"));
    let path = dir.join(rel);
    assert!(
        path.is_file(),
        "{} is not installed: run interop/setup.sh",
        path.display()
    );
    path
}

/// `GET {base}/metrics`: the Prometheus text.
pub async fn metrics_at(http: &reqwest::Client, base: &str) -> String {
    http.get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn receiver(tx: mpsc::UnboundedSender<Received>) -> String {
    use axum::extract::Request;
    let app = axum::Router::new().fallback(move |req: Request| {
        let tx = tx.clone();
        async move {
            let (parts, body) = req.into_parts();
            // Jasmin's DLR thrower wants this body back; every other answer is "ok".
            let answer = if parts.uri.path().starts_with("/jasmin-ack") {
                "ACK/Jasmin"
            } else {
                "ok"
            };
            let body = axum::body::to_bytes(body, 1 << 20)
                .await
                .unwrap_or_default();
            let _ = tx.send(Received {
                method: parts.method.to_string(),
                uri: parts.uri.to_string(),
                headers: parts.headers,
                body: body.to_vec(),
            });
            answer
        }
    });
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(l, app).await });
    format!("http://{addr}/status")
}
