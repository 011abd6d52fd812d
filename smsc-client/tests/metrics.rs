//! The `metrics` series the session drivers export (see `smsc_client::metrics`) move as the
//! traffic says: requests and responses by command, direction and status on both ends, the
//! response latency histogram, the window in use and inbound pending gauges, binds up by role,
//! bind failures, request failures by reason, reconnects.
//!
//! Each test records into its own registry (a small `Recorder` over `metrics-util`'s atomic
//! `Registry`, read without resetting anything), installed for the test's thread only
//! (`metrics::with_local_recorder`) around a current-thread tokio runtime: every driver task of
//! the test runs on that thread and records there, and parallel tests do not see each other's
//! series.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use metrics::{Counter, Gauge, Histogram, Key, KeyName, Metadata, Recorder, SharedString, Unit};
use metrics_util::registry::{AtomicStorage, Registry};
use smpp_codec::{Body, CommandStatus, DeliverSm, ShortMessage, SubmitSm, SubmitSmResp};
use smsc_client::esme::{ConnectError, EsmeClient, EsmeConfig, Handle, Inbound};
use smsc_client::net::RequestError;
use smsc_client::session::{BindKind, Password};
use smsc_client::smsc::{BindGrant, SmscConfig, SmscServer, SmscSession, StaticAuthenticator};

const LIMIT: Duration = Duration::from_secs(20);

/// Records into an atomic registry the test reads.
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

/// Runs `test` on a current-thread runtime with a fresh recorder installed for this thread.
fn with_recorder<F, Fut>(test: F)
where
    F: FnOnce(TestRecorder) -> Fut,
    Fut: Future<Output = ()>,
{
    let recorder = TestRecorder(Arc::new(Registry::atomic()));
    let view = recorder.clone();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    metrics::with_local_recorder(&recorder, || {
        rt.block_on(async {
            tokio::time::timeout(LIMIT, test(view))
                .await
                .expect("test took too long");
        });
    });
}

/// A copy of every series at one moment, searchable by name and labels.
struct Metrics {
    counters: Vec<(Key, u64)>,
    gauges: Vec<(Key, f64)>,
    histograms: Vec<(Key, Vec<f64>)>,
}

impl Metrics {
    fn take(r: &TestRecorder) -> Self {
        Metrics {
            counters: r
                .0
                .get_counter_handles()
                .into_iter()
                .map(|(k, c)| (k, c.load(Ordering::SeqCst)))
                .collect(),
            gauges: r
                .0
                .get_gauge_handles()
                .into_iter()
                .map(|(k, g)| (k, f64::from_bits(g.load(Ordering::SeqCst))))
                .collect(),
            histograms: r
                .0
                .get_histogram_handles()
                .into_iter()
                .map(|(k, h)| (k, h.data()))
                .collect(),
        }
    }

    /// The value of the series `name` whose labels include all of `labels`; panics if more
    /// than one series matches.
    fn find<'a, T>(series: &'a [(Key, T)], name: &str, labels: &[(&str, &str)]) -> Option<&'a T> {
        let mut found = series.iter().filter(|(k, _)| {
            k.name() == name
                && labels
                    .iter()
                    .all(|(lk, lv)| k.labels().any(|l| l.key() == *lk && l.value() == *lv))
        });
        let first = found.next().map(|(_, v)| v);
        assert!(
            found.next().is_none(),
            "{name} {labels:?} matches several series"
        );
        first
    }

    fn counter(&self, name: &str, labels: &[(&str, &str)]) -> u64 {
        Self::find(&self.counters, name, labels)
            .copied()
            .unwrap_or(0)
    }

    fn gauge(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        Self::find(&self.gauges, name, labels).copied()
    }

    fn histogram(&self, name: &str, labels: &[(&str, &str)]) -> Vec<f64> {
        Self::find(&self.histograms, name, labels)
            .cloned()
            .unwrap_or_default()
    }

    /// Every value of `label` among the counters `name` with a count.
    fn label_values(&self, name: &str, label: &str) -> Vec<String> {
        let mut out: Vec<String> = self
            .counters
            .iter()
            .filter(|(k, n)| k.name() == name && *n > 0)
            .flat_map(|(k, _)| {
                k.labels()
                    .filter(|l| l.key() == label)
                    .map(|l| l.value().to_owned())
                    .collect::<Vec<_>>()
            })
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

const ESME: &str = "metrics-esme";

async fn server(grant: BindGrant) -> SmscServer {
    let auth = StaticAuthenticator::new().with_account(
        "esme",
        Password::try_from("secret").unwrap(),
        grant,
    );
    SmscServer::bind("127.0.0.1:0", auth, SmscConfig::default())
        .await
        .unwrap()
}

fn esme_config(server: &SmscServer, password: &str) -> EsmeConfig {
    let url = format!("smpp://{}", server.local_addr());
    let mut c = EsmeConfig::new(&url, "esme", password).unwrap();
    c.bind_kind = BindKind::Transceiver;
    c.name = Some(ESME.into());
    c
}

async fn pair(server: &mut SmscServer, config: EsmeConfig) -> (Handle, Inbound, SmscSession) {
    let (esme, smsc) = tokio::join!(EsmeClient::connect(config), server.accept());
    let (handle, inbound) = esme.unwrap();
    (handle, inbound, smsc.unwrap())
}

fn submit(n: usize) -> SubmitSm {
    SubmitSm {
        source_addr: "12345".try_into().unwrap(),
        destination_addr: "447700900000".try_into().unwrap(),
        short_message: ShortMessage::new(format!("message {n}")).unwrap(),
        ..SubmitSm::default()
    }
}

/// The SMSC side's bind label: `system_id@peer`.
fn smsc_label(session: &SmscSession) -> String {
    format!("esme@{}", session.info().peer)
}

/// Waits until `check` holds on a fresh snapshot (the drivers update gauges on their own
/// turn); returns that snapshot.
async fn until(s: &TestRecorder, what: &str, check: impl Fn(&Metrics) -> bool) -> Metrics {
    let start = tokio::time::Instant::now();
    loop {
        let m = Metrics::take(s);
        if check(&m) {
            return m;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{what}: never seen; series: {:?}",
            m.counters
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[test]
fn submits_count_requests_responses_latency_window_and_binds() {
    with_recorder(|snap| async move {
        let mut server = server(BindGrant::default()).await;
        let mut config = esme_config(&server, "secret");
        config.session.window = 8;
        let (handle, _inbound, mut smsc) = pair(&mut server, config).await;
        let smsc_bind = smsc_label(&smsc);
        let esme = [("bind", ESME)];
        let sm = [("bind", smsc_bind.as_str())];

        let m = Metrics::take(&snap);
        assert_eq!(m.gauge("smpp_binds_up", &[("role", "esme")]), Some(1.0));
        assert_eq!(m.gauge("smpp_binds_up", &[("role", "smsc")]), Some(1.0));
        // Five submits held by the SMSC side: five in the ESME's window, five pending there.
        let tasks: Vec<_> = (0..5)
            .map(|n| {
                let h = handle.clone();
                tokio::spawn(async move { h.submit_sm(submit(n)).await })
            })
            .collect();
        let mut held = Vec::new();
        while held.len() < 5 {
            let req = smsc.recv().await.expect("a submit");
            assert!(matches!(req.body(), Body::SubmitSm(_)));
            held.push(req);
        }
        let m = until(&snap, "5 in the window", |m| {
            m.gauge("smpp_window_in_use", &esme) == Some(5.0)
                && m.gauge("smpp_inbound_pending", &sm) == Some(5.0)
        })
        .await;
        assert_eq!(
            m.counter(
                "smpp_requests_total",
                &[esme[0], ("command", "submit_sm"), ("direction", "out")]
            ),
            5
        );
        assert_eq!(
            m.counter(
                "smpp_requests_total",
                &[sm[0], ("command", "submit_sm"), ("direction", "in")]
            ),
            5
        );
        assert_eq!(
            m.counter(
                "smpp_responses_total",
                &[esme[0], ("command", "submit_sm_resp")]
            ),
            0
        );

        // Held for at least 50 ms, then 3 accepted, 1 throttled, 1 refused for its destination.
        tokio::time::sleep(Duration::from_millis(50)).await;
        for (i, req) in held.into_iter().enumerate() {
            match i {
                0..=2 => {
                    let (_, responder) = req.into_parts();
                    let body = Body::SubmitSmResp(SubmitSmResp {
                        message_id: format!("id{i}").as_str().try_into().unwrap(),
                        ..SubmitSmResp::default()
                    });
                    responder.unwrap().respond(body).unwrap();
                }
                3 => req.reject(CommandStatus::ESME_RTHROTTLED),
                _ => req.reject(CommandStatus::ESME_RINVDSTADR),
            }
        }
        let mut ok = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(_) => ok += 1,
                Err(RequestError::Status { .. }) => {}
                Err(e) => panic!("{e}"),
            }
        }
        assert_eq!(ok, 3);
        handle.enquire_link().await.unwrap();

        let m = until(&snap, "an empty window", |m| {
            m.gauge("smpp_window_in_use", &esme) == Some(0.0)
                && m.gauge("smpp_inbound_pending", &sm) == Some(0.0)
        })
        .await;
        let resp = |bind: (&'static str, &str), dir: &'static str, status: &'static str| {
            m.counter(
                "smpp_responses_total",
                &[
                    bind,
                    ("command", "submit_sm_resp"),
                    ("direction", dir),
                    ("status", status),
                ],
            )
        };
        assert_eq!(resp(esme[0], "in", "ESME_ROK"), 3);
        assert_eq!(resp(esme[0], "in", "ESME_RTHROTTLED"), 1);
        assert_eq!(resp(esme[0], "in", "ESME_RINVDSTADR"), 1);
        assert_eq!(resp(sm[0], "out", "ESME_ROK"), 3);
        assert_eq!(resp(sm[0], "out", "ESME_RTHROTTLED"), 1);
        assert_eq!(resp(sm[0], "out", "ESME_RINVDSTADR"), 1);
        assert_eq!(
            m.label_values("smpp_responses_total", "status"),
            ["ESME_RINVDSTADR", "ESME_ROK", "ESME_RTHROTTLED"]
        );
        assert_eq!(
            m.counter(
                "smpp_requests_total",
                &[esme[0], ("command", "enquire_link"), ("direction", "out")]
            ),
            1
        );

        // One latency sample per answered submit, each at least the 50 ms they were held.
        let lat = m.histogram(
            "smpp_response_latency_seconds",
            &[esme[0], ("command", "submit_sm")],
        );
        assert_eq!(lat.len(), 5, "{lat:?}");
        assert!(
            lat.iter().all(|s| (0.05..LIMIT.as_secs_f64()).contains(s)),
            "{lat:?}"
        );
        let el = m.histogram(
            "smpp_response_latency_seconds",
            &[esme[0], ("command", "enquire_link")],
        );
        assert_eq!(el.len(), 1);
        assert!(el[0] >= 0.0 && el[0] < 0.05, "not held: {el:?}");
        assert_eq!(
            m.counter("smpp_request_failures_total", &[esme[0]]),
            0,
            "no failures"
        );

        // Unbind: both binds down.
        handle.unbind().await.unwrap();
        smsc.handle().closed().await;
        until(&snap, "binds down", |m| {
            m.gauge("smpp_binds_up", &[("role", "esme")]) == Some(0.0)
                && m.gauge("smpp_binds_up", &[("role", "smsc")]) == Some(0.0)
        })
        .await;
        let m = Metrics::take(&snap);
        assert_eq!(
            m.counter(
                "smpp_requests_total",
                &[esme[0], ("command", "unbind"), ("direction", "out")]
            ),
            1
        );
    });
}

#[test]
fn deliveries_and_a_full_inbound_queue_count_on_both_ends() {
    with_recorder(|snap| async move {
        let mut server = server(BindGrant::default()).await;
        let mut config = esme_config(&server, "secret");
        config.session.max_inbound_pending = 2;
        let (handle, mut inbound, smsc) = pair(&mut server, config).await;
        let smsc_bind = smsc_label(&smsc);
        let esme = [("bind", ESME)];
        let sm = [("bind", smsc_bind.as_str())];
        let deliver = |n: usize| DeliverSm {
            source_addr: "447700900000".try_into().unwrap(),
            destination_addr: "12345".try_into().unwrap(),
            short_message: ShortMessage::new(format!("mo {n}")).unwrap(),
            ..DeliverSm::default()
        };

        // Two deliveries not yet answered by the application: two pending on the ESME side,
        // two in the SMSC side's window.
        let h = smsc.handle().clone();
        let first: Vec<_> = (0..2)
            .map(|n| {
                let h = h.clone();
                let sm = deliver(n);
                tokio::spawn(async move { h.deliver_sm(sm).await })
            })
            .collect();
        until(&snap, "2 pending", |m| {
            m.gauge("smpp_inbound_pending", &esme) == Some(2.0)
                && m.gauge("smpp_window_in_use", &sm) == Some(2.0)
        })
        .await;
        // The inbound bound (2) reached: the ESME side answers the third ESME_RMSGQFUL itself.
        let third = h.deliver_sm(deliver(2)).await;
        assert!(
            matches!(&third, Err(RequestError::Status { status, .. }) if *status == CommandStatus::ESME_RMSGQFUL),
            "{third:?}"
        );
        for _ in 0..2 {
            inbound.recv().await.expect("a delivery").ok();
        }
        for t in first {
            t.await.unwrap().expect("answered ESME_ROK");
        }
        let m = until(&snap, "nothing pending", |m| {
            m.gauge("smpp_inbound_pending", &esme) == Some(0.0)
                && m.gauge("smpp_window_in_use", &sm) == Some(0.0)
        })
        .await;
        let resp = |bind: (&'static str, &str), dir: &'static str, status: &'static str| {
            m.counter(
                "smpp_responses_total",
                &[
                    bind,
                    ("command", "deliver_sm_resp"),
                    ("direction", dir),
                    ("status", status),
                ],
            )
        };
        assert_eq!(resp(esme[0], "out", "ESME_ROK"), 2);
        assert_eq!(resp(sm[0], "in", "ESME_ROK"), 2);
        assert_eq!(resp(sm[0], "in", "ESME_RMSGQFUL"), 1);
        assert_eq!(
            m.counter(
                "smpp_requests_total",
                &[esme[0], ("command", "deliver_sm"), ("direction", "in")]
            ),
            2,
            "the two the application saw"
        );
        assert_eq!(
            m.counter(
                "smpp_requests_total",
                &[sm[0], ("command", "deliver_sm"), ("direction", "out")]
            ),
            3
        );
        let lat = m.histogram(
            "smpp_response_latency_seconds",
            &[sm[0], ("command", "deliver_sm")],
        );
        assert_eq!(lat.len(), 3, "{lat:?}");

        // What the session cores did by themselves (an enquire_link answered by the SMSC
        // side's core, the queue-full refusal, the unbind handshake) shows in the core's totals,
        // exported when the sessions end.
        handle.enquire_link().await.unwrap();
        handle.unbind().await.unwrap();
        let pdus = |m: &Metrics, bind: (&'static str, &str), command: &'static str, dir| {
            m.counter(
                "smpp_pdus_total",
                &[bind, ("command", command), ("direction", dir)],
            )
        };
        let m = until(&snap, "the core totals of both ends", |m| {
            pdus(m, sm[0], "unbind_resp", "out") == 1 && pdus(m, esme[0], "unbind_resp", "in") == 1
        })
        .await;
        assert_eq!(pdus(&m, sm[0], "enquire_link", "in"), 1);
        assert_eq!(pdus(&m, sm[0], "enquire_link_resp", "out"), 1);
        assert_eq!(pdus(&m, esme[0], "enquire_link_resp", "in"), 1);
        assert_eq!(
            pdus(&m, esme[0], "deliver_sm", "in"),
            3,
            "the refused one too"
        );
        assert_eq!(pdus(&m, esme[0], "deliver_sm_resp", "out"), 3);
        assert_eq!(pdus(&m, esme[0], "unbind", "out"), 1);
        assert_eq!(
            m.counter(
                "smpp_session_rejections_total",
                &[esme[0], ("reason", "queue_full")]
            ),
            1
        );
    });
}

#[test]
fn refused_binds_timeouts_and_reconnects() {
    with_recorder(|snap| async move {
        let mut server = server(BindGrant::default()).await;

        // A wrong password: counted as a bind failure on both ends, no bind up.
        let config = esme_config(&server, "wrong");
        let (esme, _) = tokio::join!(
            EsmeClient::connect(config),
            tokio::time::timeout(Duration::from_millis(300), server.accept())
        );
        assert!(
            matches!(esme, Err(ConnectError::BindRejected(s)) if s == CommandStatus::ESME_RBINDFAIL),
            "{esme:?}"
        );
        let m = until(&snap, "bind failures", |m| {
            m.counter("smpp_bind_failures_total", &[("role", "smsc")]) == 1
        })
        .await;
        assert_eq!(
            m.counter(
                "smpp_bind_failures_total",
                &[("role", "esme"), ("status", "ESME_RBINDFAIL")]
            ),
            1
        );
        assert_eq!(
            m.counter(
                "smpp_bind_failures_total",
                &[("role", "smsc"), ("status", "ESME_RBINDFAIL")]
            ),
            1
        );
        assert_ne!(m.gauge("smpp_binds_up", &[("role", "esme")]), Some(1.0));

        // A submit the SMSC side never answers fails alone on its response timer.
        let mut config = esme_config(&server, "secret");
        config.session.response_timeout = Duration::from_millis(200);
        let (handle, _inbound, mut smsc) = pair(&mut server, config).await;
        let h = handle.clone();
        let pending = tokio::spawn(async move { h.submit_sm(submit(0)).await });
        let _held = smsc.recv().await.expect("the submit");
        let r = pending.await.unwrap();
        assert!(matches!(r, Err(RequestError::Timeout { .. })), "{r:?}");
        let m = until(&snap, "a timeout", |m| {
            m.counter(
                "smpp_request_failures_total",
                &[
                    ("bind", ESME),
                    ("command", "submit_sm"),
                    ("reason", "timeout"),
                ],
            ) == 1
        })
        .await;
        assert!(
            m.histogram(
                "smpp_response_latency_seconds",
                &[("bind", ESME), ("command", "submit_sm")]
            )
            .is_empty()
        );
        assert_eq!(m.gauge("smpp_binds_up", &[("role", "esme")]), Some(1.0));

        // Reconnect loops count through `record_reconnect`.
        smsc_client::metrics::record_reconnect(ESME);
        smsc_client::metrics::record_reconnect(ESME);
        let m = Metrics::take(&snap);
        assert_eq!(m.counter("smpp_reconnects_total", &[("bind", ESME)]), 2);
        handle.close();
    });
}
