//! TPS limits hold within 5 % over 10 s against the in-process simulator: a carrier-wide limit
//! (200/s over two binds) and per-bind limits (2 x 60/s), with long messages in the mix so
//! each part counts. Takes about 11 s.

use std::time::Duration;

use smsc_client::pool::{BindMix, CarrierConfig, OutboundMessage, Pool, PoolConfig};
use smsc_client::sim::{SimConfig, SimHandle, Simulator};

fn carrier(name: &str, sim: &SimHandle) -> CarrierConfig {
    let mut c = CarrierConfig::new(
        name,
        &[&format!("smpp://{}", sim.local_addr())],
        "pool",
        "secret",
    );
    c.binds = BindMix {
        transmitters: 2,
        receivers: 0,
        transceivers: 0,
    };
    c.window = 32;
    c.rebind.min_delay_ms = 10;
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tps_limits_hold_within_5_percent_over_10_s() {
    tokio::time::timeout(Duration::from_secs(60), async {
        let sim_a = Simulator::start(SimConfig::default().account("pool", "secret"))
            .await
            .unwrap();
        let sim_b = Simulator::start(SimConfig::default().account("pool", "secret"))
            .await
            .unwrap();
        let mut a = carrier("a", &sim_a);
        a.tps = Some(200.0);
        let mut b = carrier("b", &sim_b);
        b.bind_tps = Some(60.0);
        let mut config = PoolConfig {
            carriers: vec![a, b],
            ..PoolConfig::default()
        };
        config.routing.routes.insert("1".into(), "a".into());
        config.routing.routes.insert("2".into(), "b".into());
        let (pool, _events) = Pool::start(config).unwrap();
        assert!(pool.wait_all_bound(Duration::from_secs(10)).await);

        // More than 12 s of work for each carrier, a third of it long (two parts).
        let mut tickets = Vec::new();
        for (prefix, n) in [("1", 1800), ("2", 1100)] {
            for i in 0..n {
                let text = if i % 3 == 0 {
                    "z".repeat(200)
                } else {
                    "short".into()
                };
                let msg = OutboundMessage::text(
                    &format!("{prefix}-{i}"),
                    "ACME",
                    &format!("{prefix}555{:04}", i % 500),
                    &text,
                );
                tickets.push(pool.enqueue(msg).await.unwrap());
            }
        }
        // Past the first burst, count submit_sm PDUs at each SMSC over 10 s.
        tokio::time::sleep(Duration::from_secs(1)).await;
        let (a0, b0) = (sim_a.counters().submits, sim_b.counters().submits);
        let t0 = std::time::Instant::now();
        tokio::time::sleep(Duration::from_secs(10)).await;
        let (a1, b1) = (sim_a.counters().submits, sim_b.counters().submits);
        let secs = t0.elapsed().as_secs_f64();
        let rate_a = (a1 - a0) as f64 / secs;
        let rate_b = (b1 - b0) as f64 / secs;
        eprintln!("carrier limit 200/s: {rate_a:.1}/s; bind limits 2 x 60/s: {rate_b:.1}/s");
        assert!((rate_a - 200.0).abs() <= 10.0, "carrier a: {rate_a:.1}/s");
        assert!((rate_b - 120.0).abs() <= 6.0, "carrier b: {rate_b:.1}/s");
        let stats = pool.carrier_stats("a").unwrap();
        assert!(stats.queued > 0, "the queue never ran dry");
        assert!(
            (stats.tps - 200.0).abs() <= 20.0,
            "reported TPS used {}",
            stats.tps
        );
        for s in pool.bind_statuses().iter().filter(|s| s.carrier == "b") {
            assert!(s.tps <= 66.0, "{s:?}");
        }
        pool.shutdown().await;
        // What was still queued failed as shut down; nothing is left without an outcome.
        for t in tickets {
            let o = t.await;
            assert!(
                o.is_accepted() || o.result == Err(smsc_client::pool::SubmitFailure::ShutDown),
                "{o:?}"
            );
        }
        sim_a.shutdown().await;
        sim_b.shutdown().await;
    })
    .await
    .expect("test took too long");
}
