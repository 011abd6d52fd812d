//! `shortcode-router demo`: the whole service with nothing to set up. Starts the in-process
//! SMSC simulator as the carrier, the service on SQLite in a temp dir, and a sample handler
//! (in-process axum), then plays a short campaign (JOIN, a two-way reply, HELP, STOP, a blocked
//! MT, a long Unicode MT with receipts), printing what happens at each step and the URLs to
//! look at. Returns whether every step behaved as expected.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use serde_json::{Value, json};
use smsc_client::sim::{SimConfig, Simulator};

use crate::app::{App, parse_config};

const SHORT_CODE: &str = "12345";
const ALICE: &str = "447700900123";
const BOB: &str = "447700900456";
const SECRET: &str = "whsec_ZGVtby1zZWNyZXQtZm9yLXRoZS1kZW1vLW9ubHk=";
const TOKEN: &str = "demo-token-change-me-0123";
const WAIT: Duration = Duration::from_secs(15);

/// What the sample handler saw.
#[derive(Default)]
struct Seen {
    webhooks: Vec<Value>,
    statuses: Vec<Value>,
    bad_signatures: usize,
}

fn verified(headers: &HeaderMap, body: &[u8]) -> bool {
    let (Some(id), Some(ts), Some(sig)) = (
        headers.get("webhook-id").and_then(|v| v.to_str().ok()),
        headers
            .get("webhook-timestamp")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<i64>().ok()),
        headers
            .get("webhook-signature")
            .and_then(|v| v.to_str().ok()),
    ) else {
        return false;
    };
    let Ok(key) = crate::signing::decode_secret(SECRET) else {
        return false;
    };
    let want = crate::signing::standard_signature(&key, id, ts, body);
    sig.split(' ').any(|s| s == want)
}

/// The sample handler: answers JOIN with a welcome, a reply in the conversation with the menu;
/// records status callbacks.
async fn start_handler(seen: Arc<Mutex<Seen>>) -> anyhow::Result<String> {
    let s1 = seen.clone();
    let s2 = seen;
    let app = axum::Router::new()
        .route(
            "/sms",
            axum::routing::post(move |headers: HeaderMap, body: Bytes| {
                let seen = s1.clone();
                async move {
                    let mut seen = seen.lock().unwrap_or_else(|e| e.into_inner());
                    if !verified(&headers, &body) {
                        seen.bad_signatures += 1;
                        return StatusCode::UNAUTHORIZED.into_response();
                    }
                    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    seen.webhooks.push(v.clone());
                    let reply = match (v["type"].as_str(), v["match"]["rule"].as_str()) {
                        (Some("message.received"), Some("keyword")) => {
                            Some("Welcome to Coffee Club! Reply MENU to see today's drinks.")
                        }
                        (Some("message.received"), Some("conversation")) => Some(
                            "Today: flat white, oat latte, cold brew. Reply with one to order.",
                        ),
                        _ => None,
                    };
                    match reply {
                        Some(r) => axum::Json(json!({ "reply": r })).into_response(),
                        None => StatusCode::NO_CONTENT.into_response(),
                    }
                }
            }),
        )
        .route(
            "/status",
            axum::routing::post(move |headers: HeaderMap, body: Bytes| {
                let seen = s2.clone();
                async move {
                    let mut seen = seen.lock().unwrap_or_else(|e| e.into_inner());
                    if !verified(&headers, &body) {
                        seen.bad_signatures += 1;
                        return StatusCode::UNAUTHORIZED;
                    }
                    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    seen.statuses.push(v);
                    StatusCode::NO_CONTENT
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(format!("http://{addr}"))
}

fn config(db: &std::path::Path, smsc_port: u16, handler: &str) -> String {
    format!(
        r#"
[store]
path = "{db}"

[carriers.sim]
host = "127.0.0.1"
port = {smsc_port}
system_id = "demo"
password = "demo"

[handlers.coffee]
url = "{handler}/sms"
secret = "{SECRET}"

[[short_codes]]
code = "{SHORT_CODE}"

[[programs]]
name = "coffee"
display_name = "Coffee Club"
short_code = "{SHORT_CODE}"
support = "help@coffee.example"
description = "Daily coffee deals"

[[routes]]
name = "join"
program = "coffee"
keyword = "JOIN"
handler = "coffee"

[api]
listen = "127.0.0.1:0"

[[api.keys]]
name = "demo"
token = "{TOKEN}"
callback_secret = "{SECRET}"
"#,
        db = db.display()
    )
}

/// Polls `f` until it is true or `WAIT` passes.
async fn eventually(mut f: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if f() {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

struct Report<'a> {
    out: &'a mut (dyn Write + Send),
    ok: bool,
}

impl Report<'_> {
    fn line(&mut self, s: &str) {
        let _ = writeln!(self.out, "{s}");
    }

    fn step(&mut self, passed: bool, what: &str) {
        self.ok &= passed;
        let mark = if passed { "ok  " } else { "FAIL" };
        let _ = writeln!(self.out, "  [{mark}] {what}");
    }
}

/// Runs the demo, writing a readable account to `out`. `Ok(true)` when every step behaved.
pub async fn run(out: &mut (dyn Write + Send)) -> anyhow::Result<bool> {
    let mut r = Report { out, ok: true };
    let dir = tempfile::tempdir()?;
    let sim = Simulator::start(
        SimConfig::default()
            .account("demo", "demo")
            .receipt_delay(Duration::from_millis(200)),
    )
    .await?;
    let seen = Arc::new(Mutex::new(Seen::default()));
    let handler = start_handler(seen.clone()).await?;
    let (cfg, sections) = parse_config(&config(
        &dir.path().join("router.db"),
        sim.local_addr().port(),
        &handler,
    ))?;
    // The usual port when free, else any.
    let listener = match tokio::net::TcpListener::bind("127.0.0.1:8080").await {
        Ok(l) => l,
        Err(_) => tokio::net::TcpListener::bind("127.0.0.1:0").await?,
    };
    let app = App::start(cfg, sections, Some(listener)).await?;
    let base = format!("http://{}", app.api_addr());
    r.line("shortcode-router demo");
    r.line(&format!(
        "  carrier: SMSC simulator on {} | store: {} | handler: {handler}/sms",
        sim.local_addr(),
        dir.path().join("router.db").display()
    ));
    r.line(&format!("  API: {base}   (Authorization: Bearer {TOKEN})"));
    r.line(&format!(
        "  look at: {base}/readyz  {base}/metrics  {base}/openapi.json  {base}/v1/messages?to={ALICE}"
    ));
    let bound = app.wait_bound(WAIT).await;
    r.step(bound, "bound to the carrier (transceiver)");
    if !bound {
        app.shutdown(Duration::from_secs(5)).await;
        return Ok(false);
    }
    let http = reqwest::Client::new();
    let submits = || sim.counters().submits;
    let webhooks = |seen: &Arc<Mutex<Seen>>| seen.lock().map(|s| s.webhooks.len()).unwrap_or(0);

    // 1. JOIN.
    r.line(&format!("\n1. {ALICE} texts JOIN to {SHORT_CODE}"));
    let before = submits();
    sim.inject_mo("JOIN", ALICE, SHORT_CODE, None).await?;
    let got = eventually(|| webhooks(&seen) >= 1).await;
    let rule = seen
        .lock()
        .ok()
        .and_then(|s| s.webhooks.first().map(|w| w["match"]["rule"].clone()));
    r.step(
        got && rule == Some(json!("keyword")),
        "the handler got a signed webhook (rule: keyword JOIN)",
    );
    r.step(
        eventually(|| submits() > before).await,
        "its reply went back to the subscriber as an MT (submit_sm)",
    );

    // 2. A two-way reply.
    r.line(&format!(
        "\n2. {ALICE} replies MENU (no keyword: the open conversation)"
    ));
    let before = submits();
    sim.inject_mo("MENU", ALICE, SHORT_CODE, None).await?;
    let got = eventually(|| webhooks(&seen) >= 2).await;
    let rule = seen
        .lock()
        .ok()
        .and_then(|s| s.webhooks.get(1).map(|w| w["match"]["rule"].clone()));
    r.step(
        got && rule == Some(json!("conversation")),
        "routed to the program's handler by the conversation",
    );
    r.step(
        eventually(|| submits() > before).await,
        "the handler's menu went back as an MT",
    );

    // 3. HELP.
    r.line(&format!("\n3. {ALICE} texts HELP"));
    let before = submits();
    sim.inject_mo("HELP", ALICE, SHORT_CODE, None).await?;
    r.step(
        eventually(|| submits() > before).await,
        "the router answered with the program's help text (name, support, rates, STOP)",
    );

    // 4. STOP.
    r.line(&format!("\n4. {ALICE} texts STOP"));
    let before = submits();
    sim.inject_mo("STOP", ALICE, SHORT_CODE, None).await?;
    r.step(
        eventually(|| submits() > before).await,
        "one confirmation MT: no more messages will be sent",
    );
    let mut listed = false;
    let deadline = tokio::time::Instant::now() + WAIT;
    while !listed && tokio::time::Instant::now() < deadline {
        let v: Value = http
            .get(format!("{base}/v1/optouts?short_code={SHORT_CODE}"))
            .bearer_auth(TOKEN)
            .send()
            .await?
            .json_value()
            .await;
        listed = v["data"]
            .as_array()
            .is_some_and(|a| a.iter().any(|e| e["subscriber"] == ALICE));
        if !listed {
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
    r.step(
        listed,
        &format!("{ALICE} is on the opt-out list (GET /v1/optouts)"),
    );

    // 5. A blocked MT.
    r.line(&format!(
        "\n5. The app sends {ALICE} a promotion through the API"
    ));
    let before = submits();
    let resp = http
        .post(format!("{base}/v1/messages"))
        .bearer_auth(TOKEN)
        .header("content-type", "application/json")
        .body(json!({"from": SHORT_CODE, "to": ALICE, "text": "2-for-1 lattes today!"}).to_string())
        .send()
        .await?;
    let status = resp.status().as_u16();
    let v = resp.json_value().await;
    r.line(&format!("   POST /v1/messages -> {status} {v}"));
    tokio::time::sleep(Duration::from_millis(300)).await;
    r.step(
        status == 422 && v["error"]["code"] == "recipient_opted_out" && submits() == before,
        "refused with recipient_opted_out; nothing reached the carrier",
    );

    // 6. A long Unicode MT with receipts.
    let text = "Привет Bob! ☕ Your Coffee Club order: one oat latte, one croissant. \
                Ready in 5 minutes at the counter — show this message. Спасибо! 🎉";
    r.line(&format!(
        "\n6. A long Unicode MT to {BOB}, with a status callback"
    ));
    let resp = http
        .post(format!("{base}/v1/messages"))
        .bearer_auth(TOKEN)
        .header("content-type", "application/json")
        .header("idempotency-key", "demo-order-1")
        .body(
            json!({"from": SHORT_CODE, "to": BOB, "text": text,
                   "status_callback": format!("{handler}/status")})
            .to_string(),
        )
        .send()
        .await?;
    let status = resp.status().as_u16();
    let a = resp.json_value().await;
    r.line(&format!("   POST /v1/messages -> {status} {a}"));
    let id = a["id"].as_str().unwrap_or_default().to_owned();
    r.step(
        status == 202 && a["encoding"] == "UCS-2" && a["segments"].as_u64() >= Some(2),
        "accepted: UCS-2, split into parts",
    );
    let mut m = Value::Null;
    let deadline = tokio::time::Instant::now() + WAIT;
    while tokio::time::Instant::now() < deadline {
        m = http
            .get(format!("{base}/v1/messages/{id}"))
            .bearer_auth(TOKEN)
            .send()
            .await?
            .json_value()
            .await;
        if m["status"] == "delivered" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let parts = m["parts"].as_array().map_or(0, Vec::len);
    for e in m["history"].as_array().into_iter().flatten() {
        r.line(&format!(
            "   {} {:<11} {}{}",
            e["at"].as_str().unwrap_or(""),
            e["status"].as_str().unwrap_or(""),
            e["part"]
                .as_u64()
                .map_or("message".to_owned(), |p| format!("part {p}")),
            e["stat"]
                .as_str()
                .map_or(String::new(), |s| format!(" (stat {s})")),
        ));
    }
    r.step(
        m["status"] == "delivered" && parts >= 2,
        &format!("every part's receipt came back: one status for the message ({parts} parts)"),
    );
    let called = eventually(|| {
        seen.lock()
            .map(|s| {
                s.statuses
                    .iter()
                    .any(|v| v["data"]["status"] == "delivered")
            })
            .unwrap_or(false)
    })
    .await;
    r.step(called, "the signed status callback said delivered");
    let page: Value = http
        .get(format!("{base}/v1/messages?to={BOB}"))
        .bearer_auth(TOKEN)
        .send()
        .await?
        .json_value()
        .await;
    r.step(
        page["data"][0]["id"] == id.as_str(),
        &format!("search finds it: GET {base}/v1/messages?to={BOB}"),
    );
    let bad = seen.lock().map(|s| s.bad_signatures).unwrap_or(1);
    r.step(bad == 0, "every webhook and callback was correctly signed");

    let c = sim.counters();
    r.line(&format!(
        "\nsimulator: {} submit_sm, {} receipts, {} MOs",
        c.submits, c.receipts_sent, c.mo_sent
    ));
    let drained = app.shutdown(Duration::from_secs(10)).await;
    r.step(drained, "shut down cleanly (drained, unbound)");
    sim.shutdown().await;
    let ok = r.ok;
    r.line(if ok {
        "\ndemo: all steps behaved as expected"
    } else {
        "\ndemo: some steps did not behave as expected"
    });
    Ok(ok)
}

trait JsonValue {
    async fn json_value(self) -> Value;
}

impl JsonValue for reqwest::Response {
    async fn json_value(self) -> Value {
        let bytes = self.bytes().await.unwrap_or_default();
        serde_json::from_slice(&bytes).unwrap_or(Value::Null)
    }
}
