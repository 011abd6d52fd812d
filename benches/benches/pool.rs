//! Bind pool throughput and CPU: 8 binds across 2 carriers (4 each, window 64) against two
//! in-process simulators, on a 2-worker tokio runtime. Prints msgs/s (submit to outcome, every
//! message accepted) and the process CPU time over the run (utime + stime from
//! /proc/self/stat, so the simulators' work is included), without and with receipts.
//!
//! ```sh
//! cargo bench -p smpp-benches --bench pool
//! ```

use std::sync::Arc;
use std::time::{Duration, Instant};

use smsc_client::pool::{BindMix, CarrierConfig, OutboundMessage, Pool, PoolConfig, PoolEvent};
use smsc_client::sim::{SimConfig, SimHandle, Simulator};

const MESSAGES: usize = 200_000;
const PRODUCERS: usize = 1000;

/// Process CPU seconds (user + system) so far, from /proc/self/stat.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 (1-based), i.e. 11 and 12 after the name.
    let hz = std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse::<f64>().ok())
        .unwrap_or(100.0);
    (ticks(11) + ticks(12)) / hz
}

fn carrier(name: &str, sim: &SimHandle, receipts: bool) -> CarrierConfig {
    let mut c = CarrierConfig::new(
        name,
        &[&format!("smpp://{}", sim.local_addr())],
        "bench",
        "secret",
    );
    c.binds = if receipts {
        BindMix {
            transmitters: 2,
            receivers: 0,
            transceivers: 2,
        }
    } else {
        BindMix {
            transmitters: 4,
            receivers: 0,
            transceivers: 0,
        }
    };
    c.window = 64;
    c.queue_capacity = 20_000;
    c
}

async fn run(receipts: bool) {
    let sim_config = || {
        SimConfig::default()
            .account("bench", "secret")
            .receipt_delay(Duration::from_millis(1))
    };
    let a = Simulator::start(sim_config()).await.unwrap();
    let b = Simulator::start(sim_config()).await.unwrap();
    let mut config = PoolConfig {
        carriers: vec![carrier("a", &a, receipts), carrier("b", &b, receipts)],
        ..PoolConfig::default()
    };
    config.routing.routes.insert("1".into(), "a".into());
    config.routing.routes.insert("2".into(), "b".into());
    let (pool, mut events) = Pool::start(config).unwrap();
    let (done_tx, mut done_rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    let collector = tokio::spawn(async move {
        let mut n = 0u64;
        while let Some(ev) = events.recv().await {
            if matches!(&ev, PoolEvent::Receipt(r) if r.correlation.is_some()) {
                n += 1;
                if n == MESSAGES as u64 {
                    let _ = done_tx.send(());
                }
            }
            ev.ack();
        }
        n
    });
    assert!(pool.wait_all_bound(Duration::from_secs(10)).await);

    let cpu0 = cpu_seconds();
    let t0 = Instant::now();
    let pool = Arc::new(pool);
    let mut tasks = Vec::new();
    for p in 0..PRODUCERS {
        let pool = pool.clone();
        tasks.push(tokio::spawn(async move {
            let mut accepted = 0usize;
            for i in 0..MESSAGES / PRODUCERS {
                let prefix = if p % 2 == 0 { "1" } else { "2" };
                let mut msg = OutboundMessage::text(
                    &format!("{p}-{i}"),
                    "ACME",
                    &format!("{prefix}555{:06}", p),
                    "bench message",
                );
                msg.registered_delivery = receipts;
                if pool.submit(msg).await.unwrap().is_accepted() {
                    accepted += 1;
                }
            }
            accepted
        }));
    }
    let mut accepted = 0;
    for t in tasks {
        accepted += t.await.unwrap();
    }
    if receipts {
        tokio::time::timeout(Duration::from_secs(60), done_rx.recv())
            .await
            .expect("receipts missing");
    }
    let wall = t0.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu0;
    assert_eq!(accepted, MESSAGES);
    println!(
        "pool/8 binds/2 carriers/{}: {MESSAGES} msgs in {wall:.2} s = {:.0} msgs/s; CPU {cpu:.2} s ({:.0} % of 2 cores), {:.1} us CPU per message (pool + simulators)",
        if receipts {
            "with receipts"
        } else {
            "no receipts"
        },
        MESSAGES as f64 / wall,
        100.0 * cpu / wall / 2.0,
        cpu * 1e6 / MESSAGES as f64,
    );
    pool.shutdown().await;
    drop(pool);
    let _ = tokio::time::timeout(Duration::from_secs(10), collector).await;
    a.shutdown().await;
    b.shutdown().await;
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing: run once, small.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    if !std::env::args().any(|a| a == "--bench") {
        println!("pool bench: run with `cargo bench -p smpp-benches --bench pool`");
        return;
    }
    runtime.block_on(run(false));
    runtime.block_on(run(true));
}
