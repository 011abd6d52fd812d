//! A STOP arriving from the carrier while the MT API keeps sending to the same subscriber: the
//! MO pipeline and the API share one consent gate, so once the STOP confirmation has gone out,
//! no API MT to that subscriber reaches the carrier, and every MT the API accepted either
//! reached the carrier before the confirmation or ends refused. (That the gate is one instance
//! is proved by `api_mo_history.rs`, which holds it from the API side.)

mod api_support;

use std::time::Duration;

use api_support::{ADMIN, COFFEE, Harness, T};
use serde_json::json;

const SUBSCRIBER: &str = "447700900999";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_racing_api_mts_lets_nothing_through_after_the_confirmation() {
    tokio::time::timeout(Duration::from_secs(60), async {
        let h = Harness::start().await;

        // MTs to the subscriber, back to back, until the API refuses them (opted out).
        let http = h.http.clone();
        let url = h.url("/v1/messages");
        let sender = tokio::spawn(async move {
            let mut accepted = Vec::new();
            for n in 0..400 {
                let r = http
                    .post(&url)
                    .bearer_auth(COFFEE)
                    .header("content-type", "application/json")
                    .body(
                        json!({"from": "12345", "to": SUBSCRIBER, "text": format!("offer {n}")})
                            .to_string(),
                    )
                    .send()
                    .await
                    .unwrap();
                let status = r.status().as_u16();
                let bytes = r.bytes().await.unwrap_or_default();
                let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
                match status {
                    202 => accepted.push(body["id"].as_str().unwrap().to_owned()),
                    422 => {
                        assert_eq!(body["error"]["code"], "recipient_opted_out", "{body}");
                        return (accepted, true);
                    }
                    other => panic!("unexpected {other}: {body}"),
                }
            }
            (accepted, false)
        });

        // Let a few MTs through, then the subscriber texts STOP.
        let deadline = tokio::time::Instant::now() + T;
        while h.sim.submissions().len() < 5 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "no MT reached the carrier"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        h.sim
            .inject_mo("STOP", SUBSCRIBER, "12345", None)
            .await
            .unwrap();
        let (accepted, refused) = sender.await.unwrap();
        assert!(refused, "the API never refused an MT after the STOP");
        assert!(accepted.len() >= 5, "{}", accepted.len());

        // Every accepted MT settles: sent before the opt-out, or refused by the re-check.
        let mut sent_before = 0;
        for id in &accepted {
            let deadline = tokio::time::Instant::now() + T;
            loop {
                let (s, m) = h.get(&format!("/v1/messages/{id}"), ADMIN).await;
                assert_eq!(s, 200, "{m}");
                let status = m["status"].as_str().unwrap_or_default().to_owned();
                if matches!(status.as_str(), "sent" | "delivered") {
                    sent_before += 1;
                    break;
                }
                if matches!(status.as_str(), "failed" | "rejected") {
                    break;
                }
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "{id} stuck in {status}: {m:#}"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }

        // On the carrier's side: the confirmation, and no API MT to the subscriber after it.
        let to_subscriber: Vec<_> = h
            .sim
            .submissions()
            .into_iter()
            .filter(|s| s.destinations.iter().any(|d| d == SUBSCRIBER))
            .collect();
        let confirmation = to_subscriber
            .iter()
            .position(|s| s.text.contains("no more messages"))
            .expect("the STOP confirmation reached the carrier");
        let after: Vec<_> = to_subscriber[confirmation + 1..]
            .iter()
            .map(|s| s.text.clone())
            .collect();
        assert!(
            after.is_empty(),
            "MTs after the STOP confirmation: {after:?}"
        );
        assert_eq!(
            confirmation, sent_before,
            "every MT that reached the carrier is counted as sent"
        );
        assert!(h.shutdown().await);
    })
    .await
    .expect("test took too long");
}
