//! MT API bench: `POST /v1/messages` over HTTP on 127.0.0.1 -> stored in SQLite -> `submit_sm`
//! to the in-process SMSC simulator -> receipt -> rolled up -> signed `delivered` status
//! callback to a local HTTP receiver. Prints messages per second end to end (first POST to
//! the last `delivered` callback) and the API's accept rate.
//!
//! Run: `cargo bench -p smpp-benches --bench mt_api` (`MT_BENCH_MESSAGES`, default 20 000;
//! `MT_BENCH_CLIENTS`, default 64 concurrent HTTP clients; `MT_BENCH_WINDOW`, the carrier
//! bind's send window, default 10 as in a config that does not set it).
//!
//! Setup (not timed): one tokio runtime with 2 workers shared by the simulator (receipts after
//! 10 ms), the service (API, MT pipeline, MO pipeline, SQLite in a temp dir, WAL,
//! synchronous=NORMAL) and the callback receiver; a warm-up of 500 messages first. Each client
//! task posts messages one after the other (each waits for its 202). Every message is one
//! GSM part with a `status_callback`; the run ends when every message's `delivered` callback
//! has arrived (each message also gets a `sent` callback).

/// The allocator the `shortcode-router` binary runs with.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use shortcode_router::app::{App, parse_config};
use smsc_client::sim::{SimConfig, Simulator};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const TOKEN: &str = "bench-token-0123456789";

#[derive(Default)]
struct Seen {
    delivered: AtomicU64,
    other: AtomicU64,
}

async fn callback(State(seen): State<Arc<Seen>>, body: Bytes) -> StatusCode {
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    if v["data"]["status"] == "delivered" {
        seen.delivered.fetch_add(1, Ordering::Relaxed);
    } else {
        seen.other.fetch_add(1, Ordering::Relaxed);
    }
    StatusCode::NO_CONTENT
}

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn post_all(
    http: &reqwest::Client,
    url: &str,
    callback: &str,
    clients: u64,
    count: u64,
    offset: u64,
) -> Duration {
    let next = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (http, url, next) = (http.clone(), url.to_owned(), next.clone());
        let body_cb = callback.to_owned();
        tasks.push(tokio::spawn(async move {
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= count {
                    break;
                }
                let body = serde_json::json!({
                    "from": "12345",
                    "to": format!("4477{:08}", offset + n),
                    "text": "Your order is ready",
                    "status_callback": body_cb,
                })
                .to_string();
                let r = http
                    .post(&url)
                    .bearer_auth(TOKEN)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .expect("POST");
                assert_eq!(r.status(), 202, "{:?}", r.text().await);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    start.elapsed()
}

async fn wait_delivered(seen: &Seen, want: u64) {
    let deadline = Instant::now() + Duration::from_secs(600);
    while seen.delivered.load(Ordering::Relaxed) < want {
        assert!(Instant::now() < deadline, "callbacks missing");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn main() {
    let count = env("MT_BENCH_MESSAGES", 20_000);
    let clients = env("MT_BENCH_CLIENTS", 64);
    let window = env("MT_BENCH_WINDOW", 10);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let sim = Simulator::start(
            SimConfig::default()
                .account("bench", "bench")
                .receipt_delay(Duration::from_millis(10)),
        )
        .await
        .unwrap();
        let seen = Arc::new(Seen::default());
        let receiver = axum::Router::new()
            .route("/cb", axum::routing::post(callback))
            .with_state(seen.clone());
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let callback_url = format!("http://{}/cb", l.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(l, receiver).await });
        let dir = tempfile::tempdir().unwrap();
        let text = format!(
            r#"
[store]
path = "{db}"
[carriers.sim]
host = "127.0.0.1"
port = {port}
system_id = "bench"
password = "bench"
window = {window}
[[short_codes]]
code = "12345"
[[programs]]
name = "bench"
short_code = "12345"
support = "bench@example.com"
[[api.keys]]
name = "bench"
token = "{TOKEN}"
callback_secret = "{SECRET}"
[mt]
max_in_flight = 512
"#,
            db = dir.path().join("bench.db").display(),
            port = sim.local_addr().port(),
        );
        let (config, sections) = parse_config(&text).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let app = App::start(config, sections, Some(listener)).await.unwrap();
        assert!(app.wait_bound(Duration::from_secs(10)).await);
        let url = format!("http://{}/v1/messages", app.api_addr());
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(clients as usize)
            .build()
            .unwrap();

        let warm = 500;
        post_all(&http, &url, &callback_url, clients, warm, 90_000_000).await;
        wait_delivered(&seen, warm).await;

        let before = seen.delivered.load(Ordering::Relaxed);
        let start = Instant::now();
        let accept = post_all(&http, &url, &callback_url, clients, count, 0).await;
        wait_delivered(&seen, before + count).await;
        let total = start.elapsed();
        let c = sim.counters();
        println!(
            "mt_api: {count} messages, {clients} clients, window {window}: API accepted {:.0} msgs/s ({:.2} s); \
             end to end (POST -> submit_sm -> receipt -> delivered callback) {:.0} msgs/s ({:.2} s)",
            count as f64 / accept.as_secs_f64(),
            accept.as_secs_f64(),
            count as f64 / total.as_secs_f64(),
            total.as_secs_f64(),
        );
        println!(
            "simulator: {} submit_sm, {} receipts; callbacks: {} delivered, {} other",
            c.submits,
            c.receipts_sent,
            seen.delivered.load(Ordering::Relaxed),
            seen.other.load(Ordering::Relaxed)
        );
        app.shutdown(Duration::from_secs(30)).await;
        sim.shutdown().await;
    });
}
