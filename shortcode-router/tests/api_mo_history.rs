//! The MO pipeline's MTs are in the one message history: a handler's reply and a HELP answer
//! show up in the API's search by subscriber, with their receipts rolled up; and the MO
//! pipeline and the MT API order opt-outs with one consent gate (held from the API side, a
//! STOP from the carrier waits for it).

mod api_support;

use std::time::Duration;

use api_support::{ADMIN, Harness, T};
use serde_json::Value;
use smsc_client::sim::SimConfig;

const SUBSCRIBER: &str = "447700900123";

/// A handler on 127.0.0.1 that answers every webhook with a reply.
async fn replying_handler() -> std::net::SocketAddr {
    let app = axum::Router::new().fallback(|| async {
        axum::Json(serde_json::json!({"reply": "Thanks for joining the Coffee Club!"}))
    });
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(l, app).await });
    addr
}

/// Polls the search until an MT to the subscriber whose text contains `text` is `delivered`.
async fn wait_delivered(h: &Harness, text: &str) -> Value {
    let deadline = tokio::time::Instant::now() + T;
    loop {
        let (s, body) = h
            .get(&format!("/v1/messages?to={SUBSCRIBER}&direction=mt"), ADMIN)
            .await;
        assert_eq!(s, 200, "{body}");
        let found = body["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["text"].as_str().unwrap_or("").contains(text))
            .cloned();
        if let Some(m) = &found
            && m["status"] == "delivered"
        {
            return m.clone();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no delivered MT {text:?} to {SUBSCRIBER}; last search: {body:#}"
        );
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handler_replies_and_help_answers_are_in_the_message_history() {
    tokio::time::timeout(Duration::from_secs(60), async {
        let handler = replying_handler().await;
        let extra = format!(
            r#"
[handlers.replier]
url = "http://{handler}/sms"
secret = "{secret}"

[[routes]]
name = "join"
program = "coffee"
keyword = "JOIN"
handler = "replier"
"#,
            secret = api_support::CALLBACK_SECRET
        );
        let h = Harness::start_with(SimConfig::default(), &extra).await;

        h.sim
            .inject_mo("JOIN", SUBSCRIBER, "12345", None)
            .await
            .unwrap();
        let reply = wait_delivered(&h, "Thanks for joining").await;
        assert_eq!(reply["kind"], "reply", "{reply:#}");
        assert_eq!(reply["from"], "12345");
        assert_eq!(reply["program"], "coffee");

        h.sim
            .inject_mo("HELP", SUBSCRIBER, "12345", None)
            .await
            .unwrap();
        let help = wait_delivered(&h, "help@coffee.example").await;
        assert_eq!(help["kind"], "compliance", "{help:#}");

        // The message itself: parts with the carrier's id and the receipt's raw stat.
        let id = reply["id"].as_str().unwrap();
        let (s, m) = h.get(&format!("/v1/messages/{id}"), ADMIN).await;
        assert_eq!(s, 200, "{m}");
        assert_eq!(m["status"], "delivered");
        assert!(
            m["parts"][0]["carrier_message_id"]
                .as_str()
                .is_some_and(|s| !s.is_empty()),
            "{m:#}"
        );
        assert_eq!(m["parts"][0]["stat"], "DELIVRD", "{m:#}");
        // The MO itself is in the history too.
        let (_, mos) = h
            .get(
                &format!("/v1/messages?from={SUBSCRIBER}&direction=mo"),
                ADMIN,
            )
            .await;
        assert_eq!(mos["data"].as_array().unwrap().len(), 2, "{mos:#}");
        assert!(h.shutdown().await);
    })
    .await
    .expect("test took too long");
}

/// The gate is one instance: while the API side holds the subscriber's lock, a STOP from the
/// carrier cannot be recorded (nor acknowledged); it is once the lock is let go. With a
/// separate gate per pipeline the STOP would go through at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_from_the_carrier_waits_for_the_api_sides_consent_lock() {
    tokio::time::timeout(Duration::from_secs(60), async {
        let h = Harness::start().await;
        let mt = h.app.as_ref().unwrap().mt().clone();
        assert!(
            !mt.optouts()
                .is_opted_out(SUBSCRIBER, "12345")
                .await
                .unwrap()
        );

        let held = mt.gate().lock(SUBSCRIBER).await;
        {
            let stop = h.sim.inject_mo("STOP", SUBSCRIBER, "12345", None);
            tokio::pin!(stop);
            let early = tokio::time::timeout(Duration::from_millis(700), &mut stop).await;
            assert!(
                early.is_err(),
                "the STOP was acknowledged while the API side held the subscriber's consent lock: \
             the MO pipeline does not use the MT pipeline's gate"
            );
            assert!(
                !mt.optouts()
                    .is_opted_out(SUBSCRIBER, "12345")
                    .await
                    .unwrap(),
                "the STOP was recorded under the lock"
            );

            drop(held);
            tokio::time::timeout(T, stop).await.unwrap().unwrap();
        }
        assert!(
            mt.optouts()
                .is_opted_out(SUBSCRIBER, "12345")
                .await
                .unwrap()
        );
        assert!(h.shutdown().await);
    })
    .await
    .expect("test took too long");
}
