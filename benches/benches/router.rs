//! Router bench: MOs from the in-process SMSC simulator through the router (stored in SQLite,
//! acknowledged, routed by keyword, signed) to a local HTTP handler that verifies each
//! signature with the `standardwebhooks` crate. Prints MOs per second and latency percentiles
//! (injection start to the handler's receipt of the webhook).
//!
//! Run: `cargo bench -p smpp-benches --bench router` (set `ROUTER_BENCH_MOS` to change the
//! count, default 20 000).
//!
//! Setup (not timed): one tokio runtime with 2 workers shared by the simulator, the router and
//! the handler; the router's SQLite file in a temp directory (WAL, synchronous=NORMAL, group
//! commit up to 256 MOs); 64 injector tasks each sending MOs one after the other (each waits
//! for its `deliver_sm_resp`, as an SMSC window of 64 would); the handler answers 204 (no
//! reply). A warm-up of 1 000 MOs runs first.

/// The allocator the `shortcode-router` binary runs with.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use shortcode_router::{Config, Service};
use smsc_client::sim::{SimConfig, Simulator};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
/// Injector tasks (MOs in flight), unless `ROUTER_BENCH_INJECTORS` says otherwise.
const INJECTORS: u64 = 64;

fn injectors() -> u64 {
    std::env::var("ROUTER_BENCH_INJECTORS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .filter(|&n| n > 0)
        .unwrap_or(INJECTORS)
}

fn base() -> Instant {
    static BASE: OnceLock<Instant> = OnceLock::new();
    *BASE.get_or_init(Instant::now)
}

#[derive(Default)]
struct Seen {
    count: AtomicU64,
    bad: AtomicU64,
    latencies_us: Mutex<Vec<u64>>,
}

async fn hook(State(seen): State<Arc<Seen>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let now = base().elapsed().as_micros() as u64;
    // Built once, as a real handler would (building it decodes the secret).
    static WH: OnceLock<standardwebhooks::Webhook> = OnceLock::new();
    let wh = WH.get_or_init(|| standardwebhooks::Webhook::new(SECRET).expect("secret"));
    if wh.verify(&body, &headers).is_err() {
        seen.bad.fetch_add(1, Ordering::Relaxed);
        return StatusCode::UNAUTHORIZED;
    }
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    // "JOIN <n> <sent_us>"
    if let Some(sent) = v["text"]
        .as_str()
        .and_then(|t| t.split_whitespace().nth(2))
        .and_then(|s| s.parse::<u64>().ok())
    {
        seen.latencies_us
            .lock()
            .unwrap()
            .push(now.saturating_sub(sent));
    }
    seen.count.fetch_add(1, Ordering::Relaxed);
    StatusCode::NO_CONTENT
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

async fn run(total: u64) {
    let dir = tempfile::tempdir().expect("tempdir");
    let sim = Arc::new(
        Simulator::start(SimConfig::default().account("router", "secret"))
            .await
            .expect("simulator"),
    );
    let seen = Arc::new(Seen::default());
    let app = axum::Router::new()
        .route("/sms", axum::routing::post(hook))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("listen");
    let haddr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let config = format!(
        r#"
[store]
path = {db:?}
max_batch = 256

[carriers.sim]
host = "127.0.0.1"
port = {port}
system_id = "router"
password = "secret"

[webhooks]
concurrency = 64
queue = 8192

[handlers.app]
url = "http://{haddr}/sms"
secret = "{SECRET}"

[[short_codes]]
code = "12345"

[[programs]]
name = "bench"
short_code = "12345"
support = "bench@example.com"

[[routes]]
name = "join"
program = "bench"
keyword = "JOIN"
handler = "app"
"#,
        db = dir.path().join("router.db").display().to_string(),
        port = sim.local_addr().port(),
    );
    let router = Service::start(Config::parse(&config).expect("config"))
        .await
        .expect("router");
    assert!(router.wait_bound(Duration::from_secs(10)).await, "no bind");

    let inject = |count: u64, offset: u64| {
        let sim = sim.clone();
        async move {
            let next = Arc::new(AtomicU64::new(0));
            let mut tasks = Vec::new();
            for _ in 0..injectors() {
                let sim = sim.clone();
                let next = next.clone();
                tasks.push(tokio::spawn(async move {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= count {
                            break;
                        }
                        let n = offset + i;
                        let sent = base().elapsed().as_micros();
                        let text = format!("JOIN {n} {sent}");
                        let from = format!("1555{:07}", n % 10_000_000);
                        while sim
                            .inject_mo(&text, &from, "12345", Some("router"))
                            .await
                            .is_err()
                        {
                            tokio::time::sleep(Duration::from_millis(1)).await;
                        }
                    }
                }));
            }
            for t in tasks {
                t.await.expect("injector");
            }
        }
    };
    let wait_for = |n: u64| {
        let seen = seen.clone();
        async move {
            while seen.count.load(Ordering::Relaxed) < n {
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        }
    };

    let warm = 1_000;
    inject(warm, 0).await;
    wait_for(warm).await;
    seen.latencies_us.lock().unwrap().clear();

    let start = Instant::now();
    inject(total, warm).await;
    let acked = start.elapsed();
    wait_for(warm + total).await;
    let elapsed = start.elapsed();
    let mut lat = std::mem::take(&mut *seen.latencies_us.lock().unwrap());
    lat.sort_unstable();
    let stats = router.store().stats().await.expect("stats");
    println!(
        "router/mo_to_webhook: {total} MOs, {} injectors, 2 tokio workers",
        injectors()
    );
    println!(
        "  throughput: {:.0} MO/s end to end ({:.0} MO/s acknowledged by the router)",
        total as f64 / elapsed.as_secs_f64(),
        total as f64 / acked.as_secs_f64()
    );
    println!(
        "  latency (inject -> handler): p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        percentile(&lat, 0.50),
        percentile(&lat, 0.90),
        percentile(&lat, 0.99),
        percentile(&lat, 1.0)
    );
    println!(
        "  stored: {} MOs, {} webhooks delivered, {} bad signatures",
        stats.mos,
        stats.webhooks_delivered,
        seen.bad.load(Ordering::Relaxed)
    );
    drop(router);
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs it too: keep that short.
    let quick = !std::env::args().any(|a| a == "--bench");
    let total = std::env::var("ROUTER_BENCH_MOS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if quick { 500 } else { 20_000 });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    base();
    rt.block_on(run(total));
}
