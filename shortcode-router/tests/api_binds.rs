//! A carrier served by a bind pool of several binds: `/readyz` counts them, MTs go out over
//! more than one of them, and every part's receipt (which the simulator sends back on any
//! bind of the account) still rolls its message up to `delivered`, with `sent` and
//! `delivered` status callbacks. Then a graceful shutdown unbinds every bind.

mod api_support;

use std::time::Duration;

use api_support::{ADMIN, COFFEE, T, config, wait_readyz};
use serde_json::json;
use shortcode_router::app::{App, parse_config};
use smsc_client::sim::{SimConfig, Simulator};

const BINDS: usize = 3;
const MESSAGES: usize = 40;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_carrier_with_several_binds_sends_over_them_and_its_receipts_roll_up() {
    let sim = Simulator::start(
        SimConfig::default()
            .account("router", "secret")
            .receipt_delay(Duration::from_millis(30)),
    )
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    // Window 1 per bind: concurrent messages need several binds.
    let text = config(dir.path(), sim.local_addr(), "").replace(
        "password = \"secret\"\n",
        &format!("password = \"secret\"\nbinds = {BINDS}\nwindow = 1\n"),
    );
    let (config, sections) = parse_config(&text).unwrap();
    assert_eq!(config.carriers["sim"].binds, Some(BINDS));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let app = App::start(config, sections, Some(listener)).await.unwrap();
    let base = format!("http://{}", app.api_addr());
    let http = reqwest::Client::new();

    // Ready once a bind is up; every bind comes up and /readyz counts them.
    let v = wait_readyz(&http, &base, |v| v["binds_up"]["sim"] == BINDS).await;
    assert_eq!(v["ready"], true, "{v}");
    assert_eq!(sim.counters().binds, BINDS as u64);

    let (cb_tx, mut callbacks) = tokio::sync::mpsc::unbounded_channel::<serde_json::Value>();
    let receiver = axum::Router::new().fallback(move |body: axum::body::Bytes| {
        let tx = cb_tx.clone();
        async move {
            let _ = tx.send(serde_json::from_slice(&body).unwrap_or_default());
            "ok"
        }
    });
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let callback_url = format!("http://{}/status", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, receiver).await });

    let posts = (0..MESSAGES).map(|n| {
        let (http, base, callback_url) = (http.clone(), base.clone(), callback_url.clone());
        async move {
            let r = http
                .post(format!("{base}/v1/messages"))
                .bearer_auth(COFFEE)
                .header("content-type", "application/json")
                .body(
                    json!({
                        "from": "12345",
                        "to": format!("4477009{n:05}"),
                        "text": format!("order {n} is ready"),
                        "status_callback": callback_url,
                    })
                    .to_string(),
                )
                .send()
                .await
                .unwrap();
            assert_eq!(r.status().as_u16(), 202);
            let v = json_of(r).await;
            v["id"].as_str().unwrap().to_owned()
        }
    });
    let ids = futures::future::join_all(posts).await;

    // Every message is delivered (its receipt found its part) and got both callbacks (and no
    // more: a third would show up as a wrong pair below).
    let mut seen = std::collections::HashMap::<String, Vec<String>>::new();
    let mut received = 0;
    while received < 2 * MESSAGES {
        received += 1;
        let v = tokio::time::timeout(T, callbacks.recv())
            .await
            .expect("callbacks stopped coming")
            .unwrap();
        seen.entry(v["data"]["id"].as_str().unwrap().to_owned())
            .or_default()
            .push(format!(
                "{} after {}",
                v["data"]["status"].as_str().unwrap(),
                v["data"]["previous_status"].as_str().unwrap()
            ));
    }
    for id in &ids {
        // Each change is its own callback, delivered concurrently (any order); the status
        // itself went queued -> sent -> delivered.
        let mut changes = seen[id].clone();
        changes.sort();
        assert_eq!(
            changes,
            ["delivered after sent", "sent after queued"],
            "{id}"
        );
        let m = json_of(
            http.get(format!("{base}/v1/messages/{id}"))
                .bearer_auth(ADMIN)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(m["status"], "delivered", "{m}");
    }
    assert_eq!(sim.counters().receipts_sent, MESSAGES as u64);

    // The submissions went over more than one bind.
    let metrics = api_support::metrics_at(&http, &base).await;
    let per_bind: Vec<u64> = metrics
        .lines()
        .filter(|l| l.starts_with("smpp_pool_bind_submits_total{") && l.contains("carrier=\"sim\""))
        .filter_map(|l| l.rsplit(' ').next()?.parse().ok())
        .collect();
    assert_eq!(per_bind.len(), BINDS, "{metrics}");
    assert_eq!(
        per_bind.iter().sum::<u64>(),
        MESSAGES as u64,
        "{per_bind:?}"
    );
    assert!(
        per_bind.iter().filter(|n| **n > 0).count() >= 2,
        "one bind did all the work: {per_bind:?}"
    );

    // Graceful shutdown unbinds every bind.
    let mut events = sim.subscribe();
    assert!(app.shutdown(Duration::from_secs(10)).await);
    let mut unbound = 0;
    while unbound < BINDS {
        match tokio::time::timeout(T, events.recv()).await {
            Ok(Ok(smsc_client::sim::SimEvent::Closed { reason, .. })) => {
                assert!(
                    matches!(reason, smsc_client::session::CloseReason::Unbound { .. }),
                    "{reason:?}"
                );
                unbound += 1;
            }
            Ok(Ok(_)) => {}
            other => panic!("not every bind unbound: {other:?}"),
        }
    }
}

async fn json_of(r: reqwest::Response) -> serde_json::Value {
    serde_json::from_slice(&r.bytes().await.unwrap()).unwrap()
}
