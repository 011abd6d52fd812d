//! Carriers: two of them, each with its own short code (`/readyz` waits for a bind of each, an
//! MT goes out through the carrier of its `from` short code and its receipt from that carrier
//! rolls it up to `delivered`, a subscriber's HELP on one carrier is answered through that
//! carrier); a carrier whose first address refuses connections binds to its `failover` one;
//! and receipts that write message ids another way than the responses match with the
//! carrier's `message_id_form`.

mod api_support;

use std::time::Duration;

use api_support::{ADMIN, T, config, wait_readyz};
use serde_json::{Value, json};
use shortcode_router::app::{App, parse_config};
use smsc_client::sim::{IdFormat, SimConfig, SimHandle, Simulator};

fn sim_config() -> SimConfig {
    SimConfig::default()
        .account("router", "secret")
        .receipt_delay(Duration::from_millis(30))
}

async fn sim() -> SimHandle {
    Simulator::start(sim_config()).await.unwrap()
}

async fn json_of(r: reqwest::Response) -> Value {
    serde_json::from_slice(&r.bytes().await.unwrap()).unwrap()
}

/// The service over a config's `text`, once `/readyz` says ready.
struct Running {
    app: App,
    base: String,
    http: reqwest::Client,
}

impl Running {
    async fn start(text: &str) -> Running {
        let (config, sections) = parse_config(text).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let app = App::start(config, sections, Some(listener)).await.unwrap();
        let base = format!("http://{}", app.api_addr());
        let http = reqwest::Client::new();
        wait_readyz(&http, &base, |v| v["ready"] == true).await;
        Running { app, base, http }
    }

    /// Sends an MT from `from`; its id.
    async fn send(&self, from: &str, text: &str) -> String {
        let r = self
            .http
            .post(format!("{}/v1/messages", self.base))
            .bearer_auth(ADMIN)
            .header("content-type", "application/json")
            .body(json!({"from": from, "to": "447700900123", "text": text}).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 202);
        json_of(r).await["id"].as_str().unwrap().to_owned()
    }

    async fn status(&self, id: &str) -> String {
        let r = self
            .http
            .get(format!("{}/v1/messages/{id}", self.base))
            .bearer_auth(ADMIN)
            .send()
            .await
            .unwrap();
        json_of(r).await["status"].as_str().unwrap().to_owned()
    }

    async fn wait_delivered(&self, id: &str) {
        let deadline = tokio::time::Instant::now() + T;
        while self.status(id).await != "delivered" {
            assert!(tokio::time::Instant::now() < deadline, "{id} not delivered");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn stop(self) {
        assert!(self.app.shutdown(Duration::from_secs(10)).await);
    }
}

/// Waits until `cond` holds (at most [`T`]).
async fn until(what: &str, cond: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + T;
    while !cond() {
        assert!(tokio::time::Instant::now() < deadline, "{what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn texts(s: &SimHandle) -> Vec<String> {
    s.submissions().into_iter().map(|s| s.text).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_short_code_sends_and_answers_through_its_own_carrier() {
    let (coffee_carrier, tea_carrier) = (sim().await, sim().await);
    let dir = tempfile::tempdir().unwrap();
    // Carrier `sim` serves 12345 (coffee), carrier `tea` serves 67890 (tea).
    let text = config(dir.path(), coffee_carrier.local_addr(), "")
        .replace(
            "[[short_codes]]\ncode = \"12345\"\n",
            "[[short_codes]]\ncode = \"12345\"\ncarrier = \"sim\"\n",
        )
        .replace(
            "[[short_codes]]\ncode = \"67890\"\n",
            &format!(
                "[[short_codes]]\ncode = \"67890\"\ncarrier = \"tea\"\n\n\
                 [carriers.tea]\nhost = \"127.0.0.1\"\nport = {}\nsystem_id = \"router\"\n\
                 password = \"secret\"\n",
                tea_carrier.local_addr().port()
            ),
        );
    let svc = Running::start(&text).await;
    // Ready only with a bind of each carrier up.
    let v = wait_readyz(&svc.http, &svc.base, |v| v["ready"] == true).await;
    assert_eq!(v["binds_up"]["sim"], 1, "{v}");
    assert_eq!(v["binds_up"]["tea"], 1, "{v}");

    let coffee = svc.send("12345", "Your latte is ready").await;
    let tea = svc.send("67890", "Your oolong is ready").await;
    svc.wait_delivered(&coffee).await;
    svc.wait_delivered(&tea).await;
    assert_eq!(texts(&coffee_carrier), ["Your latte is ready"]);
    assert_eq!(texts(&tea_carrier), ["Your oolong is ready"]);
    assert_eq!(coffee_carrier.counters().receipts_sent, 1);
    assert_eq!(tea_carrier.counters().receipts_sent, 1);

    // A HELP to the tea short code, from the tea carrier, is answered through it.
    tea_carrier
        .inject_mo("HELP", "447700900555", "67890", None)
        .await
        .unwrap();
    until("no HELP answer through the tea carrier", || {
        texts(&tea_carrier)
            .iter()
            .any(|t| t.contains("help@tea.example"))
    })
    .await;
    assert_eq!(
        texts(&coffee_carrier).len(),
        1,
        "nothing more went to the coffee carrier"
    );

    svc.stop().await;
    coffee_carrier.shutdown().await;
    tea_carrier.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_carrier_fails_over_to_its_next_address() {
    let smsc = sim().await;
    // A port nobody listens on: the first address refuses every connection.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let dir = tempfile::tempdir().unwrap();
    let text = config(dir.path(), smsc.local_addr(), "").replace(
        &format!("port = {}\n", smsc.local_addr().port()),
        &format!(
            "port = {closed}\nfailover = [\"127.0.0.1:{}\"]\n",
            smsc.local_addr().port()
        ),
    );
    assert_eq!(parse_config(&text).unwrap().0.carriers["sim"].port, closed);
    // Ready after three refused connections (with backoff) on the first address.
    let svc = Running::start(&text).await;
    svc.send("12345", "Failed over").await;
    until("nothing submitted", || !smsc.submissions().is_empty()).await;
    assert_eq!(texts(&smsc), ["Failed over"]);
    svc.stop().await;
    smsc.shutdown().await;
}

/// A carrier whose receipts write message ids in decimal while its responses give hex: with
/// `message_id_form = "hex-to-decimal"` the receipt finds its message; without it, it cannot.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receipts_match_when_the_carrier_writes_ids_another_way() {
    for form in [Some("hex-to-decimal"), None] {
        let smsc = Simulator::start(
            sim_config()
                .id_format(IdFormat::Hex)
                .receipt_id_format(IdFormat::Decimal),
        )
        .await
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut text = config(dir.path(), smsc.local_addr(), "");
        if let Some(form) = form {
            text = text.replace(
                "password = \"secret\"\n",
                &format!("password = \"secret\"\nmessage_id_form = \"{form}\"\n"),
            );
        }
        let svc = Running::start(&text).await;
        let id = svc.send("12345", "Id forms").await;
        if form.is_some() {
            svc.wait_delivered(&id).await;
        } else {
            // The receipt came (in decimal) but matches no hex id: the message stays sent.
            until("no receipt sent", || smsc.counters().receipts_sent > 0).await;
            tokio::time::sleep(Duration::from_millis(300)).await;
            assert_eq!(svc.status(&id).await, "sent");
        }
        svc.stop().await;
        smsc.shutdown().await;
    }
}
