//! End to end over loopback: the simulator injects MOs into the router's bind; the router stores
//! them, answers, routes, and calls the in-process handler with signed webhooks (verified with
//! the `standardwebhooks` crate); handler replies and compliance answers come back to the
//! simulator as `submit_sm`.

mod common;

use std::time::Duration;

use common::*;
use shortcode_router::delivery::MessageStatus;
use shortcode_router::mt::MtError;
use smsc_client::sim::{Faults, SimConfig};

const CATCH_ALL: &str = r#"
[[programs]]
name = "misc"
short_code = "12345"
support = "support@example.com"

[[routes]]
name = "rest"
program = "misc"
match = "catch_all"
handler = "app"
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mo_to_signed_webhook_reply_conversation_help_and_long_mo() {
    within(60, async {
        let s = Setup::new(SimConfig::default()).await;
        s.h.reply_to(
            "JOIN",
            "Welcome to Coffee Club! Reply with your favourite drink.",
        );
        let router = s.router("").await;

        // Keyword (folded) -> signed webhook -> reply as an MT.
        inject(&s.sim, " join! ", SUB).await;
        eventually(10, "JOIN webhook", || s.h.accepted().len() == 1).await;
        let w = &s.h.accepted()[0];
        assert!(w.id.starts_with("msg_"), "{}", w.id);
        assert_eq!(w.payload["type"], "message.received");
        assert_eq!(w.payload["from"], SUB);
        assert_eq!(w.payload["to"], CODE);
        assert_eq!(w.payload["text"], " join! ");
        assert_eq!(w.payload["route"], "join");
        assert_eq!(w.payload["program"], "coffee");
        assert_eq!(w.payload["match"]["rule"], "keyword");
        assert_eq!(w.payload["match"]["value"], "JOIN");
        eventually(10, "reply MT", || {
            mts_to(&s.sim, SUB)
                .iter()
                .any(|s| s.text.starts_with("Welcome to Coffee Club") && s.source == CODE)
        })
        .await;

        // A plain message now goes to the open conversation.
        inject(&s.sim, "a flat white please", SUB).await;
        eventually(10, "conversation webhook", || s.h.accepted().len() == 2).await;
        let w = &s.h.accepted()[1];
        assert_eq!(w.payload["match"]["rule"], "conversation");
        assert_eq!(w.payload["program"], "coffee");

        // A subscriber without a conversation and no catch-all: the no-route reply.
        inject(&s.sim, "hello?", "447700900077").await;
        eventually(10, "no-route reply", || {
            mts_to(&s.sim, "447700900077")
                .iter()
                .any(|s| s.text.starts_with("Sorry, we did not get that"))
        })
        .await;
        assert_eq!(s.h.accepted().len(), 2, "no webhook for an unrouted MO");

        // HELP is answered by the router: name, contact, rates, how to stop.
        inject(&s.sim, "help", SUB).await;
        eventually(10, "HELP answer", || {
            mts_to(&s.sim, SUB).iter().any(|s| {
                s.text.contains("Coffee Club")
                    && s.text.contains("help@coffee.example")
                    && s.text.contains("Msg&data rates may apply")
                    && s.text.contains("STOP")
            })
        })
        .await;

        // A long MO arrives in UDH parts and is routed whole.
        let long = format!("JOIN {}", "and a very long message about coffee ".repeat(8));
        assert!(long.len() > 160);
        inject(&s.sim, &long, "447700900002").await;
        eventually(10, "long MO webhook", || s.h.accepted().len() == 3).await;
        let w = &s.h.accepted()[2];
        assert_eq!(w.payload["text"], long.as_str());
        assert!(w.payload["segments"].as_u64().unwrap() >= 2);
        let stats = router.store().stats().await.unwrap();
        assert_eq!(stats.parts, 0, "parts are removed once the MO is whole");
        assert_eq!(
            s.h.bad_signatures.load(std::sync::atomic::Ordering::SeqCst),
            0
        );
        router.shutdown().await;
        s.sim.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_blocks_the_next_mt_and_start_lifts_it() {
    within(60, async {
        let s = Setup::new(SimConfig::default()).await;
        let router = s.router(CATCH_ALL).await;
        router.send(mt("Deal: 2 for 1 today")).await.unwrap();

        inject(&s.sim, "Stop", SUB).await;
        // Exactly one confirmation, naming the program.
        eventually(10, "STOP confirmation", || {
            mts_to(&s.sim, SUB)
                .iter()
                .any(|s| s.text.contains("unsubscribed"))
        })
        .await;
        // The handler hears of it.
        eventually(10, "opt-out event", || {
            s.h.accepted()
                .iter()
                .any(|r| r.payload["type"] == "subscriber.opted_out")
        })
        .await;
        let before = mts_to(&s.sim, SUB);
        let confirmations: Vec<_> = before
            .iter()
            .filter(|s| s.text.contains("unsubscribed"))
            .collect();
        assert_eq!(confirmations.len(), 1);
        assert!(confirmations[0].text.starts_with("Coffee Club:"));
        assert!(confirmations[0].text.contains("no more messages"));

        // The next MT is refused and never reaches the simulator.
        let err = router.send(mt("Another deal")).await.unwrap_err();
        assert!(matches!(err, MtError::OptedOut { .. }), "{err}");
        assert_eq!(err.code(), "recipient_opted_out");
        // Nothing else reaches the simulator for this subscriber.
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(mts_to(&s.sim, SUB).len(), before.len());

        // STOPALL from someone else: all programs, one confirmation naming them.
        inject(&s.sim, "STOPALL", "447700900005").await;
        eventually(10, "STOPALL confirmation", || {
            mts_to(&s.sim, "447700900005")
                .iter()
                .any(|s| s.text.contains("all programs") && s.text.contains("Coffee Club"))
        })
        .await;

        // START re-subscribes, with a confirmation; MTs pass again.
        inject(&s.sim, "START", SUB).await;
        eventually(10, "START confirmation", || {
            mts_to(&s.sim, SUB)
                .iter()
                .any(|s| s.text.contains("subscribed again"))
        })
        .await;
        router.send(mt("Welcome back")).await.unwrap();
        eventually(10, "MT after START", || {
            mts_to(&s.sim, SUB).iter().any(|s| s.text == "Welcome back")
        })
        .await;
        router.shutdown().await;
        s.sim.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_races_mts_in_flight() {
    within(60, async {
        // Slow answers keep MTs in flight while the STOP arrives.
        let s = Setup::new(SimConfig::default().faults(Faults {
            response_delay: Some(Duration::from_millis(15)),
            ..Faults::default()
        }))
        .await;
        let router = s.router("").await;
        let router = std::sync::Arc::new(router);
        // Senders start five at a time every 5 ms from before the STOP until its confirmation reached the
        // carrier: the first MT is on the wire before the STOP is injected (some are sent) and
        // the last senders start after the opt-out was recorded (some are refused), whatever
        // the machine's speed; those in between race it.
        let confirmed = || {
            mts_to(&s.sim, SUB)
                .iter()
                .any(|s| s.text.contains("unsubscribed"))
        };
        let mut senders = Vec::new();
        let mut stop_injected = false;
        let mut after_confirmation = 0;
        while after_confirmation < 3 {
            assert!(senders.len() < 3000, "the STOP was never confirmed");
            for _ in 0..5 {
                let r = router.clone();
                let text = format!("offer {}", senders.len());
                senders.push(tokio::spawn(async move { r.send(mt(&text)).await }));
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
            if !stop_injected && !mts_to(&s.sim, SUB).is_empty() {
                inject(&s.sim, "STOP", SUB).await;
                stop_injected = true;
            }
            if confirmed() {
                after_confirmation += 1;
            }
        }
        // An MT is refused either at once (the STOP was recorded before it was accepted) or
        // under the consent gate just before submission (recorded `rejected` in the history).
        let mut accepted = Vec::new();
        let mut refused = 0;
        for s in senders {
            match s.await.unwrap() {
                Ok(id) => accepted.push(id),
                Err(MtError::OptedOut { .. }) => refused += 1,
                Err(e) => panic!("unexpected MT error: {e}"),
            }
        }
        let mut sent = 0;
        for id in &accepted {
            match status_when(&router, id, |s| s != MessageStatus::Queued).await {
                MessageStatus::Sent | MessageStatus::Delivered => sent += 1,
                MessageStatus::Rejected => refused += 1,
                other => panic!("MT {id} ended {other:?}"),
            }
        }
        let got = mts_to(&s.sim, SUB);
        let pos = got
            .iter()
            .position(|s| s.text.contains("unsubscribed"))
            .unwrap();
        // Nothing but the confirmation reached the carrier after it, and every MT that
        // reported success did reach it before.
        assert_eq!(
            pos,
            got.len() - 1,
            "MTs after the STOP confirmation: {got:?}"
        );
        assert_eq!(pos, sent, "sent {sent}, refused {refused}");
        assert!(
            refused > 0 && sent > 0,
            "the race did not happen: sent {sent}, refused {refused}"
        );
        assert!(matches!(
            router.send(mt("after")).await,
            Err(MtError::OptedOut { .. })
        ));
        s.sim.shutdown().await;
    })
    .await;
}

/// A carrier over TLS with its own CA (`ca_file`) and the name its certificate carries
/// (`tls_server_name`, the host being an address): the bind comes up, an MT is delivered and
/// an MO reaches the handler.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tls_carrier_with_its_own_ca_and_server_name() {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    use smsc_client::tls::{CertifiedKeyPem, TlsServerConfig};
    within(60, async {
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let leaf_key = KeyPair::generate().unwrap();
        let leaf = CertificateParams::new(vec!["smsc.test".to_owned()])
            .unwrap()
            .signed_by(&leaf_key, &ca, &ca_key)
            .unwrap();
        let mut sim = SimConfig::default();
        sim.smsc.tls = Some(TlsServerConfig::new(CertifiedKeyPem::new(
            leaf.pem(),
            leaf_key.serialize_pem(),
        )));
        let s = Setup::new(sim).await;
        let ca_file = s.dir.path().join("ca.pem");
        std::fs::write(&ca_file, ca.pem()).unwrap();
        let text = s.config_with_carrier(&format!(
            "tls = true\nca_file = {ca_file:?}\ntls_server_name = \"smsc.test\""
        ));
        let router = start_router(&text).await;
        s.mt_delivered_and_mo_handled(&router, "over TLS").await;
        s.sim.shutdown().await;
    })
    .await;
}

/// A transmitter with a receiver alongside, bound as SMPP 3.3 (which has no transceiver): MTs
/// go out on the transmitter, their receipts and the MOs come in on the receiver.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transmitter_and_a_receiver_carry_mts_receipts_and_mos() {
    within(60, async {
        let s = Setup::new(SimConfig::default()).await;
        let mut events = s.sim.subscribe();
        let text = s.config_with_carrier(
            "bind = \"transmitter\"\nreceivers = 1\ninterface_version = \"3.3\"",
        );
        let router = start_router(&text).await;
        let mut kinds = Vec::new();
        while kinds.len() < 2 {
            if let smsc_client::sim::SimEvent::Bound { kind, .. } = events.recv().await.unwrap() {
                kinds.push(format!("{kind:?}"));
            }
        }
        kinds.sort();
        assert_eq!(kinds, ["Receiver", "Transmitter"]);
        s.mt_delivered_and_mo_handled(&router, "your table is ready")
            .await;
        s.sim.shutdown().await;
    })
    .await;
}

/// A receiver-only carrier keeps one plain bind, made with the carrier's settings (here a
/// `system_type` and a short `enquire_link_ms`): its MOs reach the handler.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_only_carrier_delivers_mos() {
    within(60, async {
        let s = Setup::new(SimConfig::default()).await;
        let mut events = s.sim.subscribe();
        let text = s.config_with_carrier(
            "bind = \"receiver\"\nsystem_type = \"VMA\"\nenquire_link_ms = 200",
        );
        let router = start_router(&text).await;
        match events.recv().await.unwrap() {
            smsc_client::sim::SimEvent::Bound { kind, .. } => {
                assert_eq!(kind, smsc_client::session::BindKind::Receiver)
            }
            other => panic!("{other:?}"),
        }
        inject(&s.sim, "coffee time", SUB).await;
        eventually(10, "the MO webhook", || s.h.accepted().len() == 1).await;
        assert_eq!(s.h.accepted()[0].payload["text"], "coffee time");
        // Nothing can be sent through a receiver: an MT is refused at once, not left queued.
        match router.send(mt("no way out")).await {
            Err(MtError::Pipeline(shortcode_router::delivery::MtError::NoCarrier(code))) => {
                assert_eq!(code, CODE)
            }
            other => panic!("{other:?}"),
        }
        // A HELP answer (stored with its MO) fails at once too, with the reason.
        inject(&s.sim, "HELP", SUB).await;
        let q = shortcode_router::store::messages::SearchQuery {
            to: Some(SUB.into()),
            limit: 10,
            ..Default::default()
        };
        let mut answer = None;
        for _ in 0..250 {
            let (rows, _) = router.mt().store().search(&q).await.unwrap();
            answer = rows.into_iter().find(|m| m.status != MessageStatus::Queued);
            if answer.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let answer = answer.expect("the HELP answer left `queued`");
        assert_eq!(answer.status, MessageStatus::Failed);
        assert_eq!(answer.error_code.as_deref(), Some("no_carrier"));
        s.sim.shutdown().await;
    })
    .await;
}

/// A 3xx answer is a failed attempt: the webhook is not sent on to the `Location` (a `POST`
/// replayed as a `GET` would arrive without its body), it is retried where it was going.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirecting_handler_is_retried_not_followed() {
    within(60, async {
        let s = Setup::new(SimConfig::default()).await;
        s.h.set_mode(Mode::Redirect);
        let router = s.router("").await;
        inject(&s.sim, "JOIN now", SUB).await;
        eventually(10, "the redirect answered twice", || {
            s.h.redirects.load(std::sync::atomic::Ordering::SeqCst) >= 2
        })
        .await;
        assert_eq!(s.h.moved.load(std::sync::atomic::Ordering::SeqCst), 0);
        assert!(s.h.accepted().is_empty());
        let st = router.store().stats().await.unwrap();
        assert_eq!((st.webhooks_pending, st.webhooks_delivered), (1, 0));
        s.h.set_mode(Mode::Up);
        eventually(10, "delivered once back up", || s.h.accepted().len() == 1).await;
        let ua = s.h.user_agent.lock().unwrap().clone().unwrap_or_default();
        assert!(ua.starts_with("shortcode-router/"), "user agent {ua:?}");
        assert_eq!(s.h.moved.load(std::sync::atomic::Ordering::SeqCst), 0);
        s.sim.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handler_down_then_up_gets_every_mo_once() {
    within(60, async {
        let s = Setup::new(SimConfig::default()).await;
        s.h.set_mode(Mode::Down);
        let router = s.router("").await;
        let n = 30;
        for i in 0..n {
            inject(&s.sim, &format!("JOIN {i}"), &format!("4477009{i:05}")).await;
        }
        // The MOs were acknowledged (stored) while the handler is down.
        assert_eq!(router.store().stats().await.unwrap().mos, n);
        eventually(10, "retries while down", || {
            s.h.refused.load(std::sync::atomic::Ordering::SeqCst) >= 2 * n
        })
        .await;
        assert!(s.h.accepted().is_empty());
        s.h.set_mode(Mode::Up);
        eventually(20, "every MO delivered", || {
            s.h.accepted().len() >= n as usize
        })
        .await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let got = s.h.accepted();
        let mut ids: Vec<&str> = got.iter().map(|r| r.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), n as usize);
        // No timeouts happened, so nothing came twice.
        assert_eq!(got.len(), n as usize, "duplicates delivered");
        let mut texts: Vec<String> = got
            .iter()
            .map(|r| r.payload["text"].as_str().unwrap().to_owned())
            .collect();
        texts.sort();
        texts.dedup();
        assert_eq!(texts.len(), n as usize);
        let st = router.store().stats().await.unwrap();
        assert_eq!(st.webhooks_delivered, n);
        assert_eq!(st.webhooks_pending, 0);
        assert!(st.attempts > 2 * n, "attempts recorded: {}", st.attempts);
        s.sim.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gone_disables_the_handler_loudly_and_durably() {
    within(60, async {
        let s = Setup::new(SimConfig::default()).await;
        s.h.set_mode(Mode::Gone);
        let text = s.config("");
        let router = start_router(&text).await;
        inject(&s.sim, "JOIN", SUB).await;
        eventually(10, "handler disabled", || router.handler_disabled("app")).await;
        // The webhook is kept (pending), not lost; the state survives a restart.
        let st = router.store().stats().await.unwrap();
        assert_eq!((st.webhooks_pending, st.webhooks_delivered), (1, 0));
        drop(router);
        let router = start_router(&text).await;
        assert!(router.handler_disabled("app"));
        let disabled = router.store().disabled_handlers().await.unwrap();
        assert_eq!(disabled.len(), 1);
        assert!(disabled[0].1.contains("410"), "{:?}", disabled);
        s.sim.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn double_opt_in_waits_for_yes() {
    within(60, async {
        let s = Setup::new(SimConfig::default()).await;
        let extra = r#"
[[programs]]
name = "alerts"
display_name = "Town Alerts"
short_code = "12345"
support = "alerts@example.com"
double_opt_in = true

[[routes]]
name = "alerts"
program = "alerts"
keyword = "ALERTS"
handler = "app"
"#;
        let router = s.router(extra).await;
        inject(&s.sim, "alerts", SUB).await;
        eventually(10, "confirmation request", || {
            mts_to(&s.sim, SUB)
                .iter()
                .any(|s| s.text.starts_with("Town Alerts:") && s.text.contains("Reply YES"))
        })
        .await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(s.h.accepted().is_empty(), "the join waits for YES");
        inject(&s.sim, "Yes", SUB).await;
        eventually(10, "join delivered after YES", || s.h.accepted().len() == 1).await;
        assert_eq!(s.h.accepted()[0].payload["text"], "alerts");
        assert_eq!(s.h.accepted()[0].payload["program"], "alerts");
        eventually(10, "joined confirmation", || {
            mts_to(&s.sim, SUB)
                .iter()
                .any(|s| s.text.starts_with("Town Alerts: You are subscribed."))
        })
        .await;
        // Confirmed now: the next keyword goes straight through.
        inject(&s.sim, "ALERTS again", SUB).await;
        eventually(10, "second join", || s.h.accepted().len() == 2).await;
        s.sim.shutdown().await;
        drop(router);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_handler_blocks_neither_other_routes_nor_the_bind() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};
    within(60, async {
        let s = Setup::new(SimConfig::default()).await;
        // A handler that takes 10 s per request.
        let started = Arc::new(AtomicU64::new(0));
        let finished = Arc::new(AtomicU64::new(0));
        let (s2, f2) = (started.clone(), finished.clone());
        let app = axum::Router::new().route(
            "/slow",
            axum::routing::post(move || {
                let (s, f) = (s2.clone(), f2.clone());
                async move {
                    s.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_secs(10)).await;
                    f.fetch_add(1, Ordering::SeqCst);
                    axum::http::StatusCode::NO_CONTENT
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let saddr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        let extra = format!(
            r#"
[handlers.slow]
url = "http://{saddr}/slow"
secret = "{SECRET}"

[[programs]]
name = "slowprog"
short_code = "12345"
support = "slow@example.com"

[[routes]]
name = "slow"
program = "slowprog"
keyword = "SLOW"
handler = "slow"
"#
        );
        let router = s.router(&extra).await;
        // More slow MOs than the slow handler's queue and concurrency take at once.
        for i in 0..50 {
            inject(&s.sim, &format!("SLOW {i}"), &format!("4477001{i:05}")).await;
        }
        eventually(10, "slow handler busy", || {
            started.load(Ordering::SeqCst) > 0
        })
        .await;
        // The bind still takes MOs at once, and the other handler still gets them.
        for i in 0..5 {
            inject(&s.sim, &format!("JOIN {i}"), &format!("4477002{i:05}")).await;
        }
        eventually(8, "fast handler served", || s.h.accepted().len() == 5).await;
        assert_eq!(
            finished.load(Ordering::SeqCst),
            0,
            "slow requests still running"
        );
        assert_eq!(router.store().stats().await.unwrap().mos, 55);
        drop(router);
        s.sim.shutdown().await;
    })
    .await;
}
