//! Memory figures for `BENCHMARKS.md`: resident memory per idle bind, and with 100 000 requests
//! in flight, our ESME and our SMSC side in one process over loopback TCP (127.0.0.1).
//!
//! Run: `cargo bench -p smpp-benches --bench memory` (Linux: it reads `/proc/self/status`).
//!
//! The workspace forbids `unsafe`, so there is no counting global allocator: the figures are
//! resident set sizes (`VmRSS`, and the peak `VmHWM`) from `/proc/self/status`, i.e. what the
//! process really holds from the kernel, allocator overhead and fragmentation included. Kernel
//! socket buffers are not in them. Each part runs in a fresh child process (this binary run
//! again with `SMPP_MEMORY_PART` set), so that memory freed by one part and kept by the
//! allocator does not hide the growth of the next.
//!
//! - `idle`: a multi-threaded tokio runtime (2 workers), our SMSC side and 20 warm-up binds
//!   made and closed; then the baseline; then `N` (default 1000) transceiver binds, each an
//!   ESME (`EsmeClient::connect`, default `SessionConfig`: window 10) and the SMSC side's
//!   `SmscSession` (default `SmscConfig`), all kept open and idle; RSS again after 500 ms.
//!   Per bind = (RSS after - baseline) / N, both ends of the bind together.
//! - `inflight`: one bind with an ESME window of `N` (default 100 000) and an SMSC side that
//!   holds every `submit_sm` unanswered; after a warm-up of 1000 submits answered at once, the
//!   baseline; then `N` tasks each send a `submit_sm` and await its response, and once the SMSC
//!   side holds all `N` (so all are in the ESME's window and in the SMSC side's inbound queue
//!   at once) RSS is read; then every request is answered and awaited. Per request = (RSS at
//!   `N` in flight - baseline) / N: the application's waiting task, the ESME's window entry and
//!   pending-reply slot, and the SMSC side's decoded request with its responder. `VmHWM` is the
//!   whole process's peak.

use std::process::Command;
use std::time::{Duration, Instant};

use smpp_codec::{Body, ShortMessage, SubmitSm, SubmitSmResp};
use smsc_client::esme::{EsmeClient, EsmeConfig};
use smsc_client::session::{BindKind, Password};
use smsc_client::smsc::{BindGrant, SmscConfig, SmscServer, StaticAuthenticator};
use tokio::runtime::Runtime;
use tokio::task::JoinSet;

const PART_VAR: &str = "SMPP_MEMORY_PART";
const COUNT_VAR: &str = "SMPP_MEMORY_COUNT";
const IDLE_BINDS: usize = 1000;
const IN_FLIGHT: usize = 100_000;
const WARM_UP: usize = 1000;

/// `VmRSS` and `VmHWM` of this process, in KiB.
fn memory_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status")
        .expect("/proc/self/status: this bench needs Linux");
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .unwrap_or_else(|| panic!("no {name} in /proc/self/status"))
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

async fn server(smsc: SmscConfig) -> SmscServer {
    let auth = StaticAuthenticator::new().with_account(
        "bench",
        Password::try_from("secret").unwrap(),
        BindGrant::default(),
    );
    SmscServer::bind("127.0.0.1:0", auth, smsc).await.unwrap()
}

fn esme_config(server: &SmscServer) -> EsmeConfig {
    let url = format!("smpp://{}", server.local_addr());
    let mut c = EsmeConfig::new(&url, "bench", "secret").unwrap();
    c.bind_kind = BindKind::Transceiver;
    c
}

fn submit() -> SubmitSm {
    SubmitSm {
        source_addr: "12345".try_into().unwrap(),
        destination_addr: "447700900000".try_into().unwrap(),
        registered_delivery: 1,
        short_message: ShortMessage::new("memory test message").unwrap(),
        ..SubmitSm::default()
    }
}

fn submit_resp(n: usize) -> Body {
    Body::SubmitSmResp(SubmitSmResp {
        message_id: format!("{n:08X}").as_str().try_into().unwrap(),
        ..SubmitSmResp::default()
    })
}

/// Memory per idle bind: prints one `key=value` line.
fn idle(binds: usize) {
    runtime().block_on(async {
        let mut server = server(SmscConfig::default()).await;
        let config = esme_config(&server);
        for _ in 0..20 {
            let (esme, smsc) = tokio::join!(EsmeClient::connect(config.clone()), server.accept());
            let (handle, _inbound) = esme.unwrap();
            let smsc = smsc.unwrap();
            handle.unbind().await.unwrap();
            smsc.handle().closed().await;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        let (before, _) = memory_kib();
        let mut kept = Vec::with_capacity(binds);
        let start = Instant::now();
        for _ in 0..binds {
            let (esme, smsc) = tokio::join!(EsmeClient::connect(config.clone()), server.accept());
            kept.push((esme.unwrap(), smsc.unwrap()));
        }
        let bind_time = start.elapsed();
        tokio::time::sleep(Duration::from_millis(500)).await;
        let (after, hwm) = memory_kib();
        let per_bind = (after.saturating_sub(before)) as f64 * 1024.0 / binds as f64;
        println!(
            "part=idle binds={binds} rss_before_kib={before} rss_after_kib={after} hwm_kib={hwm} \
             per_bind_bytes={per_bind:.0} bind_secs={:.2}",
            bind_time.as_secs_f64()
        );
        for ((handle, _), _) in &kept {
            assert!(handle.close_reason().is_none(), "a bind closed while idle");
        }
    });
}

/// Peak memory with `n` requests in flight: prints one `key=value` line.
fn inflight(n: usize) {
    runtime().block_on(async {
        let mut smsc_config = SmscConfig::default();
        smsc_config.session.max_inbound_pending = n + WARM_UP;
        smsc_config.session.response_timeout = Duration::from_secs(600);
        let mut server = server(smsc_config).await;
        let mut config = esme_config(&server);
        config.session.window = n;
        config.session.response_timeout = Duration::from_secs(600);
        config.session.enquire_link_interval = None;
        let (esme, smsc) = tokio::join!(EsmeClient::connect(config), server.accept());
        let (handle, _inbound) = esme.unwrap();
        let mut smsc = smsc.unwrap();

        // The SMSC side: holds `hold` submits, reports, answers them all when told, repeats.
        let (held_tx, mut held_rx) = tokio::sync::mpsc::channel::<usize>(1);
        let (go_tx, mut go_rx) = tokio::sync::mpsc::channel::<()>(1);
        let holder = tokio::spawn(async move {
            let mut next_id = 0usize;
            for hold in [WARM_UP, n] {
                let mut held = Vec::with_capacity(hold);
                while held.len() < hold {
                    let req = smsc.recv().await.expect("the ESME closed");
                    let (pdu, responder) = req.into_parts();
                    assert!(matches!(pdu.body, Body::SubmitSm(_)));
                    held.push(responder.expect("a submit has a responder"));
                }
                held_tx.send(held.len()).await.unwrap();
                go_rx.recv().await.unwrap();
                for r in held {
                    next_id += 1;
                    r.respond(submit_resp(next_id)).unwrap();
                }
            }
            smsc
        });

        let run = |count: usize| {
            let mut tasks = JoinSet::new();
            for _ in 0..count {
                let h = handle.clone();
                tasks.spawn(async move { h.submit_sm(submit()).await.map(drop) });
            }
            tasks
        };

        // Warm-up: the same path once, smaller.
        let mut tasks = run(WARM_UP);
        assert_eq!(held_rx.recv().await, Some(WARM_UP));
        go_tx.send(()).await.unwrap();
        while let Some(r) = tasks.join_next().await {
            r.unwrap().unwrap();
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        let (before, _) = memory_kib();

        let start = Instant::now();
        let mut tasks = run(n);
        assert_eq!(held_rx.recv().await, Some(n));
        let fill = start.elapsed();
        assert_eq!(handle.window_available(), 0, "the whole window in flight");
        let (peak, _) = memory_kib();
        go_tx.send(()).await.unwrap();
        let mut ok = 0;
        while let Some(r) = tasks.join_next().await {
            r.unwrap().expect("every request answered");
            ok += 1;
        }
        let total = start.elapsed();
        assert_eq!(ok, n);
        let (after, hwm) = memory_kib();
        let smsc = holder.await.unwrap();
        handle.unbind().await.unwrap();
        smsc.handle().closed().await;
        let per_request = (peak.saturating_sub(before)) as f64 * 1024.0 / n as f64;
        println!(
            "part=inflight requests={n} rss_before_kib={before} rss_in_flight_kib={peak} \
             rss_after_kib={after} hwm_kib={hwm} per_request_bytes={per_request:.0} \
             fill_secs={:.2} total_secs={:.2}",
            fill.as_secs_f64(),
            total.as_secs_f64()
        );
    });
}

/// Runs one part in a child process and returns its `key=value` line as pairs.
fn child(part: &str, count: usize) -> Vec<(String, String)> {
    let exe = std::env::current_exe().expect("this binary's path");
    let out = Command::new(exe)
        .env(PART_VAR, part)
        .env(COUNT_VAR, count.to_string())
        .output()
        .expect("cannot run the part");
    assert!(
        out.status.success(),
        "part {part} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find(|l| l.starts_with("part="))
        .unwrap_or_else(|| panic!("part {part} printed no result: {stdout}"));
    println!("{line}");
    line.split_whitespace()
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

fn get<'a>(pairs: &'a [(String, String)], key: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("{key} missing"))
}

fn mib(kib: &str) -> f64 {
    kib.parse::<f64>().unwrap_or(0.0) / 1024.0
}

fn main() {
    let count = |default: usize| {
        std::env::var(COUNT_VAR)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    match std::env::var(PART_VAR).as_deref() {
        Ok("idle") => return idle(count(IDLE_BINDS)),
        Ok("inflight") => return inflight(count(IN_FLIGHT)),
        Ok(other) => panic!("unknown {PART_VAR}={other}: use idle or inflight"),
        Err(_) => {}
    }
    // `cargo bench` passes `--bench` (and any filter); there is nothing to filter here.
    let idle = child("idle", IDLE_BINDS);
    let inflight = child("inflight", IN_FLIGHT);
    println!();
    println!("| measure | value |");
    println!("|---|---|");
    println!(
        "| RSS per idle bind (ESME + SMSC side, {} binds) | {} bytes ({:.1} -> {:.1} MiB) |",
        get(&idle, "binds"),
        get(&idle, "per_bind_bytes"),
        mib(get(&idle, "rss_before_kib")),
        mib(get(&idle, "rss_after_kib")),
    );
    println!(
        "| RSS with {} requests in flight (both ends) | {:.1} MiB above baseline ({:.1} -> {:.1} MiB), {} bytes per request |",
        get(&inflight, "requests"),
        mib(get(&inflight, "rss_in_flight_kib")) - mib(get(&inflight, "rss_before_kib")),
        mib(get(&inflight, "rss_before_kib")),
        mib(get(&inflight, "rss_in_flight_kib")),
        get(&inflight, "per_request_bytes"),
    );
    println!(
        "| peak RSS (VmHWM) of that process | {:.1} MiB |",
        mib(get(&inflight, "hwm_kib"))
    );
}
