//! Bind pools against the in-process simulator under faults: the SMSC killing connections
//! mid-window 100 times during a 100 000-message run (every message ends accepted or
//! reported, none lost, duplicates only where marked), a 30 % throttling storm (per-destination
//! order kept), a carrier whose first host is dead (failover) and comes back (failback, under
//! traffic: nothing lost or sent twice), and receipts correlated for
//! every accepted message, including receipts that beat their submit_sm_resp.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt as _;
use futures::stream::FuturesUnordered;
use smsc_client::pool::{
    BindMix, BindPhase, CarrierConfig, MemoryCorrelator, OutboundMessage, Pool, PoolConfig,
    PoolEvent, PoolEvents,
};
use smsc_client::sim::{Faults, SimConfig, SimHandle, Simulator};

async fn bounded<F: Future>(limit: Duration, f: F) -> F::Output {
    tokio::time::timeout(limit, f)
        .await
        .expect("test took too long")
}

fn sim_config() -> SimConfig {
    SimConfig::default()
        .account("pool", "secret")
        .receipt_delay(Duration::from_millis(5))
        .seed(11)
}

/// A carrier on `hosts` with fast retries and rebinds (tests should not wait).
fn carrier(name: &str, hosts: &[String]) -> CarrierConfig {
    let hosts: Vec<&str> = hosts.iter().map(String::as_str).collect();
    let mut c = CarrierConfig::new(name, &hosts, "pool", "secret");
    c.window = 64;
    c.response_timeout_ms = 10_000;
    c.connect_timeout_ms = 2_000;
    c.retry.backoff_min_ms = 1;
    c.retry.backoff_max_ms = 20;
    c.retry.throttle_pause_ms = 2;
    c.retry.throttle_pause_max_ms = 20;
    c.retry.max_retries = 20;
    c.rebind.min_delay_ms = 1;
    c.rebind.max_delay_ms = 20;
    c.rebind.failover_after = 2;
    c
}

fn pool_config(carriers: Vec<CarrierConfig>) -> PoolConfig {
    let mut p = PoolConfig {
        carriers,
        ..PoolConfig::default()
    };
    p.routing.fallback = Some(p.carriers[0].name.clone());
    p
}

fn addr(sim: &SimHandle) -> String {
    format!("smpp://{}", sim.local_addr())
}

/// Acknowledges every event; returns a channel of the receipts' correlations.
fn drain_events(
    mut events: PoolEvents,
) -> tokio::sync::mpsc::UnboundedReceiver<(Option<String>, u8, String)> {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(ev) = events.recv().await {
            if let PoolEvent::Receipt(r) = &ev {
                let _ = tx.send((
                    r.correlation.as_ref().map(|c| c.caller_id.clone()),
                    r.correlation.as_ref().map_or(0, |c| c.part),
                    r.message_id.clone(),
                ));
            }
            ev.ack();
        }
    });
    rx
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_connections_mid_window_loses_nothing() {
    const MESSAGES: usize = 100_000;
    bounded(Duration::from_secs(120), async {
        // Every connection is closed by the SMSC at its 900th submit, with the window full:
        // the submit that triggers it and those behind it go unanswered.
        let sim = Simulator::start(sim_config().faults(Faults {
            drop_after_submits: Some(900),
            ..Faults::default()
        }))
        .await
        .unwrap();
        let mut c = carrier("acme", &[addr(&sim)]);
        c.binds = BindMix {
            transmitters: 4,
            receivers: 0,
            transceivers: 0,
        };
        c.queue_capacity = 20_000;
        let (pool, events) = Pool::start(pool_config(vec![c])).unwrap();
        let _receipts = drain_events(events);
        assert!(pool.wait_all_bound(Duration::from_secs(10)).await);

        let producer = {
            let pool = pool.clone();
            let (tx, rx) = tokio::sync::mpsc::channel(MESSAGES);
            tokio::spawn(async move {
                for n in 0..MESSAGES {
                    let msg = OutboundMessage::text(
                        &n.to_string(),
                        "ACME",
                        &format!("4477009{:05}", n % 5000),
                        "hello",
                    );
                    let t = pool.enqueue(msg).await.expect("queued");
                    tx.send(t).await.unwrap();
                }
            });
            rx
        };
        let mut tickets = producer;
        let mut pending = FuturesUnordered::new();
        let mut outcomes = Vec::with_capacity(MESSAGES);
        loop {
            tokio::select! {
                t = tickets.recv() => match t {
                    Some(t) => pending.push(t),
                    None => break,
                },
                Some(o) = pending.next(), if !pending.is_empty() => outcomes.push(o),
            }
        }
        while let Some(o) = pending.next().await {
            outcomes.push(o);
        }

        // Every message has exactly one outcome.
        assert_eq!(outcomes.len(), MESSAGES);
        let ids: HashSet<&str> = outcomes.iter().map(|o| o.id.as_str()).collect();
        assert_eq!(ids.len(), MESSAGES, "one outcome per message");
        let accepted = outcomes.iter().filter(|o| o.is_accepted()).count();
        let failed: Vec<_> = outcomes.iter().filter(|o| !o.is_accepted()).collect();
        assert!(failed.is_empty(), "reported failures: {:?}", &failed[..failed.len().min(5)]);
        assert_eq!(accepted, MESSAGES);
        let dups = outcomes.iter().filter(|o| o.possible_duplicate).count();
        let retried = outcomes.iter().filter(|o| o.attempts > 1).count();

        let counters = sim.counters();
        assert!(
            counters.connections_dropped >= 100,
            "killed {} times",
            counters.connections_dropped
        );
        // Each accepted message was accepted by the SMSC at least once; extra acceptances
        // (the SMSC took it, its response was lost with the connection) only for messages
        // marked as possible duplicates.
        let accepted_by_smsc = counters.accepted as usize;
        assert!(accepted_by_smsc >= accepted, "{accepted_by_smsc} < {accepted}");
        assert!(
            accepted_by_smsc - accepted <= dups,
            "{} extra acceptances but only {dups} marked",
            accepted_by_smsc - accepted
        );
        // Message ids are unique: no outcome reports another message's acceptance.
        let mids: HashSet<&str> = outcomes
            .iter()
            .flat_map(|o| o.message_ids.iter().map(String::as_str))
            .collect();
        assert_eq!(mids.len(), MESSAGES);
        assert!(retried >= 100, "kills caused retries: {retried}");
        let stats = pool.carrier_stats("acme").unwrap();
        assert_eq!(stats.accepted as usize, MESSAGES);
        assert_eq!(stats.queued, 0);
        let rebinds: u64 = pool.bind_statuses().iter().map(|s| s.binds).sum();
        assert!(rebinds >= 100 + 4, "binds {rebinds}");
        eprintln!(
            "kills {}, smsc accepted {accepted_by_smsc}, retried {retried}, possible duplicates {dups}",
            counters.connections_dropped
        );
        pool.shutdown().await;
        sim.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_storm_keeps_per_destination_order() {
    bounded(Duration::from_secs(60), async {
        let sim = Simulator::start(sim_config().faults(Faults {
            throttle_pct: 30.0,
            ..Faults::default()
        }))
        .await
        .unwrap();
        let mut c = carrier("acme", &[addr(&sim)]);
        c.binds = BindMix {
            transmitters: 2,
            receivers: 0,
            transceivers: 1,
        };
        c.window = 16;
        let (pool, events) = Pool::start(pool_config(vec![c])).unwrap();
        let _receipts = drain_events(events);
        assert!(pool.wait_all_bound(Duration::from_secs(10)).await);

        const DESTS: usize = 40;
        const PER_DEST: usize = 50;
        let mut tickets = Vec::new();
        for i in 0..PER_DEST {
            for d in 0..DESTS {
                // Every third message is long (two parts): parts count and keep their order.
                let text = if i % 3 == 0 {
                    format!("{i:04} {}", "x".repeat(170))
                } else {
                    format!("{i:04}")
                };
                let msg = OutboundMessage::text(
                    &format!("{d}:{i}"),
                    "ACME",
                    &format!("3361234{d:04}"),
                    &text,
                );
                tickets.push((d, i, pool.enqueue(msg).await.unwrap()));
            }
        }
        let mut by_dest: HashMap<usize, Vec<(usize, Vec<u64>)>> = HashMap::new();
        for (d, i, t) in tickets {
            let o = t.await;
            assert!(o.is_accepted(), "{o:?}");
            let ids = o
                .message_ids
                .iter()
                .map(|m| u64::from_str_radix(m, 16).unwrap())
                .collect();
            by_dest.entry(d).or_default().push((i, ids));
        }
        // The simulator numbers messages as it accepts them: per destination, the ids must
        // rise in the order the messages were queued (parts included).
        for (d, msgs) in &by_dest {
            let flat: Vec<u64> = msgs.iter().flat_map(|(_, ids)| ids.clone()).collect();
            assert!(
                flat.windows(2).all(|w| w[0] < w[1]),
                "destination {d} out of order: {msgs:?}"
            );
        }
        let counters = sim.counters();
        let stats = pool.carrier_stats("acme").unwrap();
        assert!(counters.throttled > 500, "throttled {}", counters.throttled);
        assert_eq!(stats.throttle_events, counters.throttled);
        assert!(stats.retries >= counters.throttled);
        let parts = (DESTS * PER_DEST) as u64 + (DESTS * PER_DEST.div_ceil(3)) as u64;
        assert_eq!(counters.accepted, parts);
        let throttled_binds: u64 = pool.bind_statuses().iter().map(|s| s.throttled).sum();
        pool.shutdown().await;
        let after: u64 = pool.bind_statuses().iter().map(|s| s.throttled).sum();
        assert_eq!(
            after, counters.throttled,
            "per-bind throttle counts ({throttled_binds} before the last report)"
        );
        sim.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn a_dead_host_fails_over_to_the_next() {
    bounded(Duration::from_secs(30), async {
        let sim = Simulator::start(sim_config()).await.unwrap();
        // A port nobody listens on.
        let dead = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap()
        };
        let mut c = carrier("acme", &[format!("smpp://{dead}"), addr(&sim)]);
        c.binds = BindMix {
            transmitters: 2,
            receivers: 0,
            transceivers: 1,
        };
        let (pool, events) = Pool::start(pool_config(vec![c])).unwrap();
        let _receipts = drain_events(events);
        assert!(
            pool.wait_all_bound(Duration::from_secs(10)).await,
            "{:?}",
            pool.bind_statuses()
        );
        for s in pool.bind_statuses() {
            assert_eq!(s.phase, BindPhase::Bound);
            assert_eq!(s.host, addr(&sim), "{s:?}");
            assert!(
                s.last_error.is_some(),
                "the dead host's failure is reported: {s:?}"
            );
        }
        for n in 0..50 {
            let o = pool
                .submit(OutboundMessage::text(
                    &n.to_string(),
                    "ACME",
                    "447700900001",
                    "hi",
                ))
                .await
                .unwrap();
            assert!(o.is_accepted(), "{o:?}");
            assert_eq!(o.attempts, 1);
        }
        assert_eq!(sim.counters().accepted, 50);
        pool.shutdown().await;
        // Unbound before closing: the SMSC saw clean unbinds.
        assert!(
            pool.bind_statuses()
                .iter()
                .all(|s| s.phase == BindPhase::Stopped)
        );
        sim.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binds_fail_back_to_the_first_host_when_it_returns_losing_nothing() {
    bounded(Duration::from_secs(60), async {
        // The first host's port, with nobody listening on it yet.
        let first = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap()
        };
        let backup = Simulator::start(sim_config()).await.unwrap();
        let mut c = carrier("acme", &[format!("smpp://{first}"), addr(&backup)]);
        c.binds = BindMix {
            transmitters: 2,
            receivers: 0,
            transceivers: 1,
        };
        c.rebind.failback_after_ms = 100;
        let (pool, events) = Pool::start(pool_config(vec![c])).unwrap();
        let _receipts = drain_events(events);
        assert!(pool.wait_all_bound(Duration::from_secs(10)).await);
        assert!(
            pool.bind_statuses().iter().all(|s| s.host == addr(&backup)),
            "{:?}",
            pool.bind_statuses()
        );

        // Traffic flows while the first host comes back and the binds move to it.
        let pool = Arc::new(pool);
        let senders: Vec<_> = (0..8)
            .map(|t| {
                let pool = pool.clone();
                tokio::spawn(async move {
                    let mut outcomes = Vec::new();
                    for n in 0..250 {
                        let o = pool
                            .submit(OutboundMessage::text(
                                &format!("{t}-{n}"),
                                "ACME",
                                &format!("4477009{t:02}{n:03}"),
                                "hi",
                            ))
                            .await
                            .unwrap();
                        outcomes.push(o);
                        tokio::time::sleep(Duration::from_micros(200)).await;
                    }
                    outcomes
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(50)).await;
        let primary = Simulator::start(sim_config().listen(first)).await.unwrap();
        let want = format!("smpp://{first}");
        while !pool
            .bind_statuses()
            .iter()
            .all(|s| s.host == want && s.phase == BindPhase::Bound)
        {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let mut total = 0;
        for s in senders {
            for o in s.await.unwrap() {
                assert!(o.is_accepted(), "{o:?}");
                assert_eq!(o.attempts, 1, "a failback retried a message: {o:?}");
                total += 1;
            }
        }
        // Every message reached exactly one SMSC: nothing lost, nothing sent twice.
        assert_eq!(
            primary.counters().accepted + backup.counters().accepted,
            total
        );

        // From now on everything goes to the first host.
        let before = (primary.counters().accepted, backup.counters().accepted);
        for n in 0..50 {
            let o = pool
                .submit(OutboundMessage::text(
                    &format!("after-{n}"),
                    "ACME",
                    "447700900001",
                    "hi",
                ))
                .await
                .unwrap();
            assert!(o.is_accepted(), "{o:?}");
        }
        assert_eq!(primary.counters().accepted, before.0 + 50);
        assert_eq!(backup.counters().accepted, before.1);
        Arc::into_inner(pool).unwrap().shutdown().await;
        primary.shutdown().await;
        backup.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receipts_for_every_accepted_message_are_correlated() {
    bounded(Duration::from_secs(60), async {
        // Receipts are sent at once: many reach the RX bind before the TX bind has the
        // submit_sm_resp (the race). Connections are also killed now and then.
        let sim = Simulator::start(sim_config().receipt_delay(Duration::ZERO).faults(Faults {
            drop_after_submits: Some(700),
            ..Faults::default()
        }))
        .await
        .unwrap();
        let mut c = carrier("acme", &[addr(&sim)]);
        c.binds = BindMix {
            transmitters: 2,
            receivers: 2,
            transceivers: 1,
        };
        c.message_id_form = "trim-leading-zeros".into();
        let correlator = Arc::new(MemoryCorrelator::new(100_000));
        let (pool, events) = Pool::start_with(pool_config(vec![c]), correlator.clone()).unwrap();
        let mut receipts = drain_events(events);
        assert!(pool.wait_all_bound(Duration::from_secs(10)).await);

        const MESSAGES: usize = 3000;
        let mut tickets = Vec::new();
        for n in 0..MESSAGES {
            let text = if n % 10 == 0 {
                "y".repeat(200)
            } else {
                format!("m{n}")
            };
            let msg = OutboundMessage::text(
                &format!("id-{n}"),
                "ACME",
                &format!("4477009{:05}", n % 300),
                &text,
            )
            .with_receipt();
            tickets.push(pool.enqueue(msg).await.unwrap());
        }
        // caller id -> parts expected
        let mut expected: HashMap<String, (usize, HashSet<String>)> = HashMap::new();
        let mut dup_ids = HashSet::new();
        for t in tickets {
            let o = t.await;
            assert!(o.is_accepted(), "{o:?}");
            if o.possible_duplicate {
                dup_ids.insert(o.id.clone());
            }
            expected.insert(
                o.id.clone(),
                (o.parts, o.message_ids.iter().cloned().collect()),
            );
        }
        let parts: usize = expected.values().map(|(p, _)| p).sum();
        // Receipts: every accepted part's receipt resolves to its message and part.
        let mut got: HashMap<String, HashSet<u8>> = HashMap::new();
        let mut uncorrelated = 0usize;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(40);
        while got.values().map(HashSet::len).sum::<usize>() < parts {
            let r = tokio::time::timeout_at(deadline, receipts.recv())
                .await
                .expect("receipts missing")
                .unwrap();
            match r {
                (Some(id), part, mid) => {
                    let (n, mids) = &expected[&id];
                    assert!(usize::from(part) <= *n);
                    assert!(
                        mids.contains(&mid),
                        "{id} part {part}: {mid} not among {mids:?}"
                    );
                    got.entry(id).or_default().insert(part);
                }
                // A duplicate acceptance (no response seen) has no recorded id.
                (None, _, _) => uncorrelated += 1,
            }
        }
        assert_eq!(got.len(), MESSAGES);
        assert!(sim.counters().connections_dropped >= 3);
        let extra = sim.counters().accepted as usize - parts;
        assert!(
            uncorrelated <= extra,
            "{uncorrelated} uncorrelated, {extra} duplicates"
        );
        assert!(extra == 0 || !dup_ids.is_empty());
        assert!(correlator.len() >= parts);
        let stats = pool.carrier_stats("acme").unwrap();
        assert!(stats.receipts_correlated >= parts as u64);
        pool.shutdown().await;
        sim.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn routes_pick_carriers_and_unknown_routes_are_refused() {
    bounded(Duration::from_secs(30), async {
        let a = Simulator::start(sim_config()).await.unwrap();
        let b = Simulator::start(sim_config()).await.unwrap();
        let mut config = pool_config(vec![carrier("a", &[addr(&a)]), carrier("b", &[addr(&b)])]);
        config.routing.fallback = None;
        config.routing.routes.insert("44".into(), "a".into());
        config.routing.routes.insert("447".into(), "b".into());
        let (pool, events) = Pool::start(config).unwrap();
        let _r = drain_events(events);
        assert!(pool.wait_all_bound(Duration::from_secs(10)).await);
        let o = pool
            .submit(OutboundMessage::text("1", "ACME", "+447700900001", "hi"))
            .await
            .unwrap();
        assert_eq!(o.carrier, "b");
        let o = pool
            .submit(OutboundMessage::text("2", "ACME", "442079460000", "hi"))
            .await
            .unwrap();
        assert_eq!(o.carrier, "a");
        let o = pool
            .submit(OutboundMessage::text("3", "ACME", "447700900001", "hi").via("a"))
            .await
            .unwrap();
        assert_eq!(o.carrier, "a");
        assert!(matches!(
            pool.submit(OutboundMessage::text("4", "ACME", "33612345678", "hi"))
                .await,
            Err(smsc_client::pool::SubmitError::NoRoute(_))
        ));
        assert!(matches!(
            pool.submit(OutboundMessage::text("5", "ACME", "44", "hi").via("zz"))
                .await,
            Err(smsc_client::pool::SubmitError::UnknownCarrier(_))
        ));
        assert_eq!((a.counters().accepted, b.counters().accepted), (2, 1));
        pool.shutdown().await;
        a.shutdown().await;
        b.shutdown().await;
    })
    .await;
}
