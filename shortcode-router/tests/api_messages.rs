//! The MT API over real HTTP on 127.0.0.1, end to end through the SMSC simulator: send, receipt,
//! signed status callback, look-up and search; auth failures, validation errors, idempotency,
//! paging, multi-part Unicode roll-up, resend.

mod api_support;

use api_support::{ADMIN, CALLBACK_SECRET, COFFEE, Harness};
use serde_json::{Value, json};

fn msg(to: &str, text: &str) -> Value {
    json!({"from": "12345", "to": to, "text": text})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mt_reaches_the_carrier_and_its_receipt_fires_a_signed_callback() {
    let mut h = Harness::start().await;
    let mut body = msg("+447700900001", "Your coffee is ready");
    body["status_callback"] = json!(h.callback_url);
    let (s, a) = h.post("/v1/messages", COFFEE, body).await;
    assert_eq!(s, 202, "{a}");
    assert_eq!(a["status"], "queued");
    assert_eq!(a["segments"], 1);
    assert_eq!(a["encoding"], "GSM 7-bit");
    assert_eq!(a["program"], "coffee");
    let id = a["id"].as_str().unwrap().to_owned();

    let m = h.wait_status(&id, "delivered").await;
    assert_eq!(m["to"], "447700900001");
    assert_eq!(m["carrier"], "sim");
    // One part: one history entry per change, at message level.
    let history: Vec<(&str, bool)> = m["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["status"].as_str().unwrap(), e["part"].is_null()))
        .collect();
    assert_eq!(
        history,
        [("queued", true), ("sent", true), ("delivered", true)]
    );
    let part = &m["parts"][0];
    assert_eq!(part["stat"], "DELIVRD");
    assert_eq!(part["command_status"], 0);
    assert!(part["carrier_message_id"].is_string());
    assert!(h.sim.counters().submits >= 1);

    // Callbacks: sent, then delivered; each verifies as a Standard Webhook.
    let wh = standardwebhooks::Webhook::new(CALLBACK_SECRET).unwrap();
    let mut seen = Vec::new();
    while seen.len() < 2 {
        let cb = h.next_callback().await;
        wh.verify(&cb.body, &cb.headers)
            .expect("signature verifies");
        let v: Value = serde_json::from_slice(&cb.body).unwrap();
        assert_eq!(v["type"], "message.status");
        assert_eq!(v["data"]["id"], id.as_str());
        seen.push(v["data"]["status"].as_str().unwrap().to_owned());
    }
    // Each change is its own callback, delivered concurrently: any order.
    seen.sort();
    assert_eq!(seen, ["delivered", "sent"]);

    // Search finds it.
    let (s, page) = h
        .get(
            "/v1/messages?to=%2B447700900001&status=delivered&direction=mt",
            ADMIN,
        )
        .await;
    assert_eq!(s, 200, "{page}");
    assert_eq!(page["data"][0]["id"], id.as_str());
    assert!(page["next_cursor"].is_null());
    assert!(h.shutdown().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_failures_and_validation_errors_are_json() {
    let h = Harness::start().await;
    // No key, an unknown key.
    let r = h
        .http
        .post(h.url("/v1/messages"))
        .body(msg("447700900002", "hi").to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.headers().contains_key("www-authenticate"));
    let v: Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
    assert_eq!(v["error"]["code"], "unauthorized");
    let (s, v) = h.get("/v1/messages", "not-a-key").await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (401, Some("unauthorized"))
    );
    // A key scoped to coffee cannot send for tea, nor see tea's messages.
    let (s, v) = h
        .post(
            "/v1/messages",
            COFFEE,
            json!({"from": "67890", "to": "447700900002", "text": "x"}),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (403, Some("forbidden")),
        "{v}"
    );
    let (s, tea) = h
        .post(
            "/v1/messages",
            ADMIN,
            json!({"from": "67890", "to": "447700900002", "text": "x"}),
        )
        .await;
    assert_eq!(s, 202, "{tea}");
    let (s, v) = h
        .get(
            &format!("/v1/messages/{}", tea["id"].as_str().unwrap()),
            COFFEE,
        )
        .await;
    assert_eq!((s, v["error"]["code"].as_str()), (404, Some("not_found")));

    // Validation.
    for (body, needle) in [
        (
            json!({"from": "12345", "to": "44770090000x", "text": "hi"}),
            "`to`",
        ),
        (
            json!({"from": "12345", "to": "447700900002", "text": ""}),
            "`text`",
        ),
        (json!({"from": "12345", "to": "447700900002"}), "text"),
        (
            json!({"from": "12345", "to": "447700900002", "text": "x", "colour": "red"}),
            "colour",
        ),
        (
            json!({"from": "12345", "to": "447700900002", "text": "x", "program": "nope"}),
            "nope",
        ),
        (
            json!({"from": "12345", "to": "447700900002", "text": "x", "validity": 0}),
            "validity",
        ),
        (
            json!({"from": "12345", "to": "447700900002", "text": "x", "encoding": "ebcdic"}),
            "ebcdic",
        ),
        (
            json!({"from": "12345", "to": "447700900002", "text": "Привет", "encoding": "gsm7"}),
            "gsm7",
        ),
        (
            json!({"from": "12345", "to": "447700900002", "text": "x", "status_callback": "ftp://x"}),
            "status_callback",
        ),
    ] {
        let (s, v) = h.post("/v1/messages", ADMIN, body.clone()).await;
        assert_eq!(s, 400, "{body} -> {v}");
        assert_eq!(v["error"]["code"], "invalid_request");
        assert!(
            v["error"]["message"].as_str().unwrap().contains(needle),
            "{v}"
        );
    }
    let r = h
        .http
        .post(h.url("/v1/messages"))
        .bearer_auth(ADMIN)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    for q in [
        "status=lost",
        "limit=0",
        "since=yesterday",
        "cursor=zz",
        "cursor=cxyz.1",
        "colour=red",
        "direction=up",
    ] {
        let (s, v) = h.get(&format!("/v1/messages?{q}"), ADMIN).await;
        assert_eq!(
            (s, v["error"]["code"].as_str()),
            (400, Some("invalid_request")),
            "{q}: {v}"
        );
    }
    // Unknown route, wrong method.
    let (s, v) = h.get("/v2/nothing", ADMIN).await;
    assert_eq!((s, v["error"]["code"].as_str()), (404, Some("not_found")));
    let r = h.http.put(h.url("/v1/messages")).send().await.unwrap();
    assert_eq!(r.status(), 405);
    let (s, v) = h.get("/v1/messages/msg_nope", ADMIN).await;
    assert_eq!((s, v["error"]["code"].as_str()), (404, Some("not_found")));
    let (s, v) = h.get("/v1/messages/%FF%FE", ADMIN).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (400, Some("invalid_request")),
        "{v}"
    );
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotency_key_twice_makes_one_message() {
    let h = Harness::start().await;
    let send = |key: &'static str, text: &'static str| {
        h.http
            .post(h.url("/v1/messages"))
            .bearer_auth(ADMIN)
            .header("idempotency-key", key)
            .body(msg("447700900003", text).to_string())
            .send()
    };
    let a = send("order-1", "once").await.unwrap();
    assert_eq!(a.status(), 202);
    let a: Value = serde_json::from_slice(&a.bytes().await.unwrap()).unwrap();
    let b = send("order-1", "once").await.unwrap();
    assert_eq!(b.status(), 202);
    assert_eq!(b.headers()["idempotent-replayed"], "true");
    let b: Value = serde_json::from_slice(&b.bytes().await.unwrap()).unwrap();
    assert_eq!(a["id"], b["id"]);
    let c = send("order-1", "a different text").await.unwrap();
    assert_eq!(c.status(), 409);
    let c: Value = serde_json::from_slice(&c.bytes().await.unwrap()).unwrap();
    assert_eq!(c["error"]["code"], "idempotency_key_reused");
    h.wait_status(a["id"].as_str().unwrap(), "delivered").await;
    let (_, page) = h.get("/v1/messages?to=447700900003", ADMIN).await;
    assert_eq!(page["data"].as_array().unwrap().len(), 1, "{page}");
    assert_eq!(h.sim.counters().submits, 1);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_pages_with_a_cursor_and_filters() {
    let h = Harness::start().await;
    let mut ids = Vec::new();
    for i in 0..5 {
        let (s, a) = h
            .post("/v1/messages", ADMIN, msg("447700900004", &format!("n{i}")))
            .await;
        assert_eq!(s, 202);
        ids.push(a["id"].as_str().unwrap().to_owned());
    }
    h.post("/v1/messages", ADMIN, msg("447700900005", "other"))
        .await;
    let mut seen = Vec::new();
    let mut path = "/v1/messages?to=447700900004&limit=2".to_owned();
    let mut pages = 0;
    loop {
        let (s, page) = h.get(&path, ADMIN).await;
        assert_eq!(s, 200, "{page}");
        pages += 1;
        for m in page["data"].as_array().unwrap() {
            seen.push(m["id"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/v1/messages?to=447700900004&limit=2&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    ids.reverse();
    assert_eq!(seen, ids);
    // Time window and sender.
    let (_, page) = h
        .get(
            "/v1/messages?from=12345&since=2000-01-01T00:00:00Z&limit=100",
            ADMIN,
        )
        .await;
    assert_eq!(page["data"].as_array().unwrap().len(), 6);
    let (_, page) = h.get("/v1/messages?until=946684800", ADMIN).await;
    assert!(page["data"].as_array().unwrap().is_empty());
    let (_, page) = h.get("/v1/messages?direction=mo", ADMIN).await;
    assert!(page["data"].as_array().unwrap().is_empty());
    // An MO from the subscriber: stored by the MO pipeline, found by the same search.
    h.sim
        .inject_mo("where is my order?", "447700900004", "12345", None)
        .await
        .unwrap();
    let (_, page) = h
        .get("/v1/messages?direction=mo&from=447700900004", ADMIN)
        .await;
    let mos = page["data"].as_array().unwrap();
    assert_eq!(mos.len(), 1, "{page}");
    assert_eq!(mos[0]["text"], "where is my order?");
    assert_eq!(mos[0]["to"], "12345");
    let (s, one) = h
        .get(
            &format!("/v1/messages/{}", mos[0]["id"].as_str().unwrap()),
            ADMIN,
        )
        .await;
    assert_eq!((s, one["direction"].as_str()), (200, Some("mo")));
    let (_, page) = h
        .get("/v1/messages?number=447700900004&limit=100", ADMIN)
        .await;
    let all = page["data"].as_array().unwrap();
    assert_eq!(all.len(), 6);
    assert_eq!(all[0]["direction"], "mo", "newest first");
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_unicode_mt_rolls_up_to_one_status_and_resend_works() {
    let mut h = Harness::start().await;
    let text =
        "Привет! Ваш кофе готов ☕ — заберите его у стойки, пожалуйста. Спасибо, что вы с нами! 🎉";
    assert!(text.encode_utf16().count() > 70);
    let mut body = msg("447700900006", text);
    body["status_callback"] = json!(h.callback_url);
    let (s, a) = h.post("/v1/messages", COFFEE, body).await;
    assert_eq!(s, 202, "{a}");
    assert_eq!(a["encoding"], "UCS-2");
    assert_eq!(a["segments"], 2);
    let id = a["id"].as_str().unwrap().to_owned();
    let m = h.wait_status(&id, "delivered").await;
    let parts = m["parts"].as_array().unwrap();
    assert_eq!(parts.len(), 2);
    assert!(parts.iter().all(|p| p["status"] == "delivered"));
    assert_ne!(
        parts[0]["carrier_message_id"],
        parts[1]["carrier_message_id"]
    );
    // One message, one status: exactly one "delivered" at message level.
    let delivered = m["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["part"].is_null() && e["status"] == "delivered")
        .count();
    assert_eq!(delivered, 1);
    assert_eq!(h.sim.counters().submits, 2);
    let mut statuses = Vec::new();
    while statuses.len() < 2 {
        let cb = h.next_callback().await;
        let v: Value = serde_json::from_slice(&cb.body).unwrap();
        statuses.push(v["data"]["status"].as_str().unwrap().to_owned());
    }
    statuses.sort();
    assert_eq!(statuses, ["delivered", "sent"]);

    // Resend: a new message, same content, linked to the first.
    let (s, r) = h
        .post(&format!("/v1/messages/{id}/resend"), COFFEE, json!({}))
        .await;
    assert_eq!(s, 202, "{r}");
    assert_ne!(r["id"], id.as_str());
    let again = h.wait_status(r["id"].as_str().unwrap(), "delivered").await;
    assert_eq!(again["resend_of"], id.as_str());
    assert_eq!(again["text"], text);
    let (s, v) = h
        .post("/v1/messages/msg_nope/resend", ADMIN, json!({}))
        .await;
    assert_eq!((s, v["error"]["code"].as_str()), (404, Some("not_found")));
    h.shutdown().await;
}

/// `[mt.callbacks] allowed_hosts`: a status callback or Kannel `dlr-url` to another host is
/// refused before anything is sent; one to an allowed host is taken and fires.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callbacks_only_to_allowed_hosts() {
    let mut h = Harness::start_with(
        smsc_client::sim::SimConfig::default(),
        r#"allowed_hosts = ["127.0.0.1", ".example.com"]"#,
    )
    .await;
    for url in [
        "http://169.254.169.254/latest/meta-data",
        "http://localhost:9/x",
        "https://example.com.evil.net/x",
    ] {
        let mut body = msg("+447700900070", "hi");
        body["status_callback"] = json!(url);
        let (s, v) = h.post("/v1/messages", COFFEE, body).await;
        assert_eq!(
            (s, v["error"]["code"].as_str()),
            (400, Some("invalid_request")),
            "{url}: {v}"
        );
        assert!(
            v["error"]["message"]
                .as_str()
                .unwrap()
                .contains("allowed_hosts"),
            "{v}"
        );
    }
    let r = h
        .http
        .get(h.url(
            "/cgi-bin/sendsms?user=coffee-app&pass=coffee-token-0123456789&from=12345\
             &to=447700900070&text=hi&dlr-mask=1&dlr-url=http%3A%2F%2F10.0.0.1%2Fdlr",
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("allowed_hosts"));
    // The Twilio-compatible API refuses it as Twilio does a bad StatusCallback: 21609.
    let r = h
        .http
        .post(h.url("/2010-04-01/Accounts/coffee-app/Messages.json"))
        .basic_auth("coffee-app", Some(COFFEE))
        .form(&[
            ("To", "+447700900070"),
            ("From", "12345"),
            ("Body", "hi"),
            ("StatusCallback", "http://10.0.0.1/status"),
        ])
        .send()
        .await
        .unwrap();
    let (s, v) = api_support::answer(r).await;
    assert_eq!((s, v["code"].as_u64()), (400, Some(21609)), "{v}");
    assert!(
        v["message"].as_str().unwrap().contains("allowed_hosts"),
        "{v}"
    );
    assert_eq!(h.sim.counters().submits, 0, "nothing refused was sent");

    let mut body = msg("+447700900070", "hi");
    body["status_callback"] = json!(h.callback_url);
    let (s, a) = h.post("/v1/messages", COFFEE, body).await;
    assert_eq!(s, 202, "{a}");
    let cb = h.next_callback().await;
    assert!(String::from_utf8_lossy(&cb.body).contains(a["id"].as_str().unwrap()));
    h.shutdown().await;
}
