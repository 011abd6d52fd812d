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
//! task posts messages one after the other (each waits for its 202) on a keep-alive
//! connection of its own. Every message is one GSM part with a `status_callback`; the run ends
//! when every message's `delivered` callback has arrived (each message also gets a `sent`
//! callback).
//!
//! The load generator and the callback receiver are minimal HTTP/1.1 loops (one read and one
//! write per request, `httparse` for the heads) rather than reqwest and axum: they stand in for
//! machines of their own, so the 2 cores go to what is measured. The service itself runs as
//! shipped (axum for the API, reqwest for the callbacks).

/// The allocator the `shortcode-router` binary runs with.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use std::io::Write as _;
use std::net::SocketAddr;

use shortcode_router::app::{App, parse_config};
use smsc_client::sim::{SimConfig, Simulator};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const TOKEN: &str = "bench-token-0123456789";

#[derive(Default)]
struct Seen {
    delivered: AtomicU64,
    other: AtomicU64,
}

/// Where `needle` starts in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Reads one HTTP/1.1 message (head and a `content-length` body) from `sock` into `buf`
/// (which may already hold part of it); returns the status code (responses) and the body's
/// range in `buf`, or `None` when the peer closed.
async fn read_message(
    sock: &mut TcpStream,
    buf: &mut Vec<u8>,
    response: bool,
) -> Option<(u16, std::ops::Range<usize>)> {
    loop {
        let mut headers = [httparse::EMPTY_HEADER; 24];
        let parsed = if response {
            let mut r = httparse::Response::new(&mut headers);
            r.parse(buf)
                .ok()
                .and_then(|s| s.is_complete().then(|| (s.unwrap(), r.code.unwrap_or(0))))
                .map(|(n, code)| (n, code, content_length(r.headers)))
        } else {
            let mut r = httparse::Request::new(&mut headers);
            r.parse(buf)
                .ok()
                .and_then(|s| s.is_complete().then(|| s.unwrap()))
                .map(|n| (n, 0, content_length(r.headers)))
        };
        if let Some((head, code, len)) = parsed
            && buf.len() >= head + len
        {
            return Some((code, head..head + len));
        }
        let mut chunk = [0u8; 8192];
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn content_length(headers: &[httparse::Header<'_>]) -> usize {
    headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("content-length"))
        .and_then(|h| std::str::from_utf8(h.value).ok()?.trim().parse().ok())
        .unwrap_or(0)
}

/// The callback receiver: counts `delivered` callbacks and the others, answers 204.
async fn receive(listener: TcpListener, seen: Arc<Seen>) {
    while let Ok((mut sock, _)) = listener.accept().await {
        let seen = seen.clone();
        tokio::spawn(async move {
            let _ = sock.set_nodelay(true);
            let mut buf = Vec::with_capacity(4096);
            while let Some((_, body)) = read_message(&mut sock, &mut buf, false).await {
                if find(&buf[body.clone()], br#""status":"delivered""#).is_some() {
                    seen.delivered.fetch_add(1, Ordering::Relaxed);
                } else {
                    seen.other.fetch_add(1, Ordering::Relaxed);
                }
                buf.drain(..body.end);
                if sock
                    .write_all(b"HTTP/1.1 204 No Content\r\n\r\n")
                    .await
                    .is_err()
                {
                    break;
                }
            }
        });
    }
}

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `clients` tasks, each on a keep-alive connection of its own, post `count` messages in all
/// (one at a time per connection, each waiting for its 202).
async fn post_all(
    api: SocketAddr,
    callback: &str,
    clients: u64,
    count: u64,
    offset: u64,
) -> Duration {
    let next = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let next = next.clone();
        let callback = callback.to_owned();
        tasks.push(tokio::spawn(async move {
            let mut sock = TcpStream::connect(api).await.expect("connect to the API");
            sock.set_nodelay(true).unwrap();
            let mut buf = Vec::with_capacity(4096);
            let mut req = Vec::with_capacity(512);
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= count {
                    break;
                }
                let body = format!(
                    r#"{{"from":"12345","to":"4477{:08}","text":"Your order is ready","status_callback":"{callback}"}}"#,
                    offset + n
                );
                req.clear();
                write!(
                    req,
                    "POST /v1/messages HTTP/1.1\r\nhost: {api}\r\nauthorization: Bearer {TOKEN}\r\n\
                     content-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                    body.len()
                )
                .unwrap();
                sock.write_all(&req).await.expect("POST");
                let (code, body) = read_message(&mut sock, &mut buf, true)
                    .await
                    .expect("the API closed the connection");
                assert_eq!(code, 202, "{}", String::from_utf8_lossy(&buf[body.clone()]));
                buf.drain(..body.end);
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
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let callback_url = format!("http://{}/cb", l.local_addr().unwrap());
        tokio::spawn(receive(l, seen.clone()));
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
        let api = app.api_addr();

        let warm = 500;
        post_all(api, &callback_url, clients, warm, 90_000_000).await;
        wait_delivered(&seen, warm).await;

        let before = seen.delivered.load(Ordering::Relaxed);
        let start = Instant::now();
        let accept = post_all(api, &callback_url, clients, count, 0).await;
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
