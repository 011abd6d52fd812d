//! The pool's `metrics` series per carrier and bind (state, TPS used, in flight, throttle
//! events, retries by reason, queue depth, outcomes, receipts) against the simulator with a
//! throttling fault, read from a recorder installed for the test.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use metrics::{Counter, Gauge, Histogram, Key, KeyName, Metadata, Recorder, SharedString, Unit};
use metrics_util::registry::{AtomicStorage, Registry};
use smsc_client::pool::{BindMix, CarrierConfig, OutboundMessage, Pool, PoolConfig, PoolEvent};
use smsc_client::sim::{Faults, SimConfig, Simulator};

#[derive(Clone)]
struct TestRecorder(Arc<Registry<Key, AtomicStorage>>);

impl Recorder for TestRecorder {
    fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
        self.0
            .get_or_create_counter(key, |c| Counter::from_arc(c.clone()))
    }
    fn register_gauge(&self, key: &Key, _: &Metadata<'_>) -> Gauge {
        self.0
            .get_or_create_gauge(key, |g| Gauge::from_arc(g.clone()))
    }
    fn register_histogram(&self, key: &Key, _: &Metadata<'_>) -> Histogram {
        self.0
            .get_or_create_histogram(key, |h| Histogram::from_arc(h.clone()))
    }
}

fn matches(k: &Key, name: &str, labels: &[(&str, &str)]) -> bool {
    k.name() == name
        && labels
            .iter()
            .all(|(lk, lv)| k.labels().any(|l| l.key() == *lk && l.value() == *lv))
}

impl TestRecorder {
    /// The sum of the counters `name` with these labels.
    fn counter(&self, name: &str, labels: &[(&str, &str)]) -> u64 {
        self.0
            .get_counter_handles()
            .into_iter()
            .filter(|(k, _)| matches(k, name, labels))
            .map(|(_, c)| c.load(Ordering::SeqCst))
            .sum()
    }

    fn gauge(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        self.0
            .get_gauge_handles()
            .into_iter()
            .find(|(k, _)| matches(k, name, labels))
            .map(|(_, g)| f64::from_bits(g.load(Ordering::SeqCst)))
    }
}

#[test]
fn pool_series_per_carrier_and_bind() {
    let recorder = TestRecorder(Arc::new(Registry::atomic()));
    let view = recorder.clone();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    metrics::with_local_recorder(&recorder, || {
        rt.block_on(async {
            tokio::time::timeout(Duration::from_secs(30), run(view))
                .await
                .expect("test took too long");
        });
    });
}

async fn run(m: TestRecorder) {
    let sim = Simulator::start(
        SimConfig::default()
            .account("pool", "secret")
            .receipt_delay(Duration::from_millis(1))
            .seed(3)
            .faults(Faults {
                throttle_pct: 20.0,
                ..Faults::default()
            }),
    )
    .await
    .unwrap();
    let mut c = CarrierConfig::new(
        "acme",
        &[&format!("smpp://{}", sim.local_addr())],
        "pool",
        "secret",
    );
    c.binds = BindMix {
        transmitters: 2,
        receivers: 1,
        transceivers: 0,
    };
    c.retry.throttle_pause_ms = 1;
    c.retry.throttle_pause_max_ms = 10;
    let (pool, mut events) = Pool::start(PoolConfig {
        carriers: vec![c],
        routing: smsc_client::pool::RoutingConfig {
            fallback: Some("acme".into()),
            ..Default::default()
        },
        ..PoolConfig::default()
    })
    .unwrap();
    let receipts = tokio::spawn(async move {
        let mut n = 0;
        while let Some(ev) = events.recv().await {
            if matches!(&ev, PoolEvent::Receipt(r) if r.correlation.is_some()) {
                n += 1;
            }
            ev.ack();
            if n == 300 {
                break;
            }
        }
        n
    });
    assert!(pool.wait_all_bound(Duration::from_secs(10)).await);
    for bind in ["acme/tx1", "acme/tx2", "acme/rx1"] {
        assert_eq!(
            m.gauge(
                "smpp_pool_bind_state",
                &[("carrier", "acme"), ("bind", bind)]
            ),
            Some(2.0),
            "{bind}"
        );
    }
    let mut tickets = Vec::new();
    for n in 0..300 {
        let msg = OutboundMessage::text(&n.to_string(), "ACME", &format!("4477{n:04}"), "hi")
            .with_receipt();
        tickets.push(pool.enqueue(msg).await.unwrap());
    }
    for t in tickets {
        assert!(t.await.is_accepted());
    }
    assert_eq!(receipts.await.unwrap(), 300);
    // The once-a-second report.
    tokio::time::sleep(Duration::from_millis(1100)).await;

    let throttled = sim.counters().throttled;
    assert!(throttled > 0);
    let acme = [("carrier", "acme")];
    assert_eq!(
        m.counter(
            "smpp_pool_messages_total",
            &[acme[0], ("outcome", "accepted")]
        ),
        300
    );
    assert_eq!(
        m.counter("smpp_pool_throttle_events_total", &acme),
        throttled
    );
    assert_eq!(
        m.counter(
            "smpp_pool_retries_total",
            &[acme[0], ("reason", "throttled")]
        ),
        throttled
    );
    assert_eq!(
        m.counter(
            "smpp_pool_receipts_total",
            &[acme[0], ("correlated", "true")]
        ),
        300
    );
    assert_eq!(m.gauge("smpp_pool_queue_depth", &acme), Some(0.0));
    assert!(m.gauge("smpp_pool_tps", &acme).is_some());
    assert_eq!(
        m.gauge("smpp_pool_bind_in_flight", &[acme[0], ("bind", "acme/tx1")]),
        Some(0.0)
    );
    let stats = pool.carrier_stats("acme").unwrap();
    assert_eq!(stats.throttle_events, throttled);
    pool.shutdown().await;
    for bind in ["acme/tx1", "acme/tx2", "acme/rx1"] {
        assert_eq!(
            m.gauge(
                "smpp_pool_bind_state",
                &[("carrier", "acme"), ("bind", bind)]
            ),
            Some(0.0),
            "{bind} stopped"
        );
    }
    sim.shutdown().await;
}
