//! The Twilio-compatible Messages API over real HTTP: an MT sent the Twilio way (form, HTTP
//! Basic with the API key's name and token) reaches the simulator, its status callbacks come in
//! Twilio's form with an `X-Twilio-Signature` checked here with an independent HMAC-SHA1, it is
//! fetched and listed in Twilio's shapes (with paging), and refusals carry Twilio's error codes.

mod api_support;

use api_support::{COFFEE, Harness, answer};
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};

const ACCOUNT: &str = "coffee-app";

fn basic(user: &str, token: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{token}"))
    )
}

fn messages_url(h: &Harness, account: &str) -> String {
    h.url(&format!("/2010-04-01/Accounts/{account}/Messages.json"))
}

async fn create(h: &Harness, form: &[(&str, &str)], auth: Option<String>) -> (u16, Value) {
    let mut req = h
        .http
        .post(messages_url(h, ACCOUNT))
        .header("content-type", "application/x-www-form-urlencoded");
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    let r = req
        .body(serde_urlencoded::to_string(form).unwrap())
        .send()
        .await
        .unwrap();
    answer(r).await
}

async fn get(h: &Harness, path_and_query: &str) -> (u16, Value) {
    let r = h
        .http
        .get(h.url(path_and_query))
        .header("authorization", basic(ACCOUNT, COFFEE))
        .send()
        .await
        .unwrap();
    answer(r).await
}

/// Twilio's signature of a callback: HMAC-SHA1 under the auth token of the URL followed by
/// every parameter's name and value, sorted by name.
fn signature(token: &str, url: &str, params: &[(String, String)]) -> String {
    let mut sorted = params.to_vec();
    sorted.sort();
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(token.as_bytes()).unwrap();
    mac.update(url.as_bytes());
    for (k, v) in &sorted {
        mac.update(k.as_bytes());
        mac.update(v.as_bytes());
    }
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twilio_messages_api_send_callbacks_fetch_list_and_errors() {
    let mut h = Harness::start().await;
    let auth = || Some(basic(ACCOUNT, COFFEE));
    let callback = h.callback_url.clone();
    let (s, m) = create(
        &h,
        &[
            ("To", "+447700900201"),
            ("From", "12345"),
            ("Body", "Your latte is ready ☕"),
            ("StatusCallback", &callback),
            ("ProvideFeedback", "false"),
        ],
        auth(),
    )
    .await;
    assert_eq!(s, 201, "{m}");
    let sid = m["sid"].as_str().unwrap().to_owned();
    assert_eq!(m["status"], "queued");
    assert_eq!(m["to"], "+447700900201");
    assert_eq!(m["from"], "12345");
    assert_eq!(m["account_sid"], ACCOUNT);
    assert_eq!(m["direction"], "outbound-api");
    assert_eq!(m["num_segments"], "1");
    assert_eq!(m["api_version"], "2010-04-01");
    assert_eq!(
        m["uri"],
        format!("/2010-04-01/Accounts/{ACCOUNT}/Messages/{sid}.json")
    );
    assert!(
        m["date_created"].as_str().unwrap().ends_with("+0000"),
        "{m}"
    );

    // It reached the carrier; its callbacks come in Twilio's form, signed, up to delivered.
    let mut statuses = Vec::new();
    while statuses.last().map(String::as_str) != Some("delivered") {
        let cb = h.next_callback().await;
        assert_eq!(cb.method, "POST");
        assert_eq!(
            cb.headers["content-type"],
            "application/x-www-form-urlencoded"
        );
        let params: Vec<(String, String)> = serde_urlencoded::from_bytes(&cb.body).unwrap();
        let got = cb.headers["x-twilio-signature"].to_str().unwrap();
        assert_eq!(got, signature(COFFEE, &callback, &params), "{params:?}");
        let p = |k: &str| {
            params
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        assert_eq!(p("MessageSid"), sid);
        assert_eq!(p("SmsSid"), sid);
        assert_eq!(p("AccountSid"), ACCOUNT);
        assert_eq!(
            (p("To"), p("From")),
            ("+447700900201".into(), "12345".into())
        );
        assert_eq!(p("SmsStatus"), p("MessageStatus"));
        statuses.push(p("MessageStatus"));
    }
    assert_eq!(statuses, ["sent", "delivered"]);
    // Counted like the JSON callbacks (the only callbacks of this test binary).
    let metrics = h.metrics().await;
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("router_status_callbacks_total{outcome=\"delivered\"} ")),
        "{metrics}"
    );
    assert_eq!(h.sim.submissions()[0].text, "Your latte is ready ☕");

    // Fetched in Twilio's shape.
    let (s, f) = get(
        &h,
        &format!("/2010-04-01/Accounts/{ACCOUNT}/Messages/{sid}.json"),
    )
    .await;
    assert_eq!(s, 200, "{f}");
    assert_eq!(
        (f["sid"].as_str(), f["status"].as_str()),
        (Some(sid.as_str()), Some("delivered"))
    );
    assert!(f["date_sent"].is_string(), "{f}");
    assert!(f["error_code"].is_null());

    // Listed a page at a time, following next_page_uri.
    for body in ["second", "third"] {
        let (s, v) = create(
            &h,
            &[("To", "447700900201"), ("From", "12345"), ("Body", body)],
            auth(),
        )
        .await;
        assert_eq!(s, 201, "{v}");
    }
    let mut seen = Vec::new();
    let mut next =
        format!("/2010-04-01/Accounts/{ACCOUNT}/Messages.json?To=%2B447700900201&PageSize=2");
    for _ in 0..5 {
        let (s, page) = get(&h, &next).await;
        assert_eq!(s, 200, "{page}");
        for m in page["messages"].as_array().unwrap() {
            seen.push(m["body"].as_str().unwrap().to_owned());
        }
        match page["next_page_uri"].as_str() {
            Some(uri) => next = uri.to_owned(),
            None => break,
        }
    }
    assert_eq!(seen, ["third", "second", "Your latte is ready ☕"]);
    // `Page` only numbers the page: the largest one reads the first page, and its figures
    // saturate rather than overflow (found by schemathesis).
    let (s, page) = get(
        &h,
        &format!("/2010-04-01/Accounts/{ACCOUNT}/Messages.json?To=%2B447700900201&Page=4294967295"),
    )
    .await;
    assert_eq!(s, 200, "{page}");
    assert_eq!(page["messages"].as_array().unwrap().len(), 3, "{page}");
    assert_eq!(page["start"], u32::MAX, "{page}");
    assert_eq!(page["end"], u32::MAX - 1, "{page}");

    // The same idempotency token twice: one message.
    let mut sids = Vec::new();
    for _ in 0..2 {
        let r = h
            .http
            .post(messages_url(&h, ACCOUNT))
            .header("authorization", basic(ACCOUNT, COFFEE))
            .header("i-twilio-idempotency-token", "order-4711")
            .header("content-type", "application/x-www-form-urlencoded")
            .body("To=447700900202&From=12345&Body=once")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let v: Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
        sids.push(v["sid"].as_str().unwrap().to_owned());
    }
    assert_eq!(sids[0], sids[1]);

    // Refusals, with Twilio's codes.
    let (s, v) = h
        .post(
            "/v1/optouts",
            COFFEE,
            json!({"subscriber": "447700900203", "short_code": "12345"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    // (form, Authorization, HTTP status, Twilio code)
    type Case<'a> = (Vec<(&'a str, &'a str)>, Option<String>, u16, u64);
    let cases: Vec<Case> = vec![
        (
            vec![("To", "447700900204"), ("From", "12345"), ("Body", "x")],
            None,
            401,
            20003,
        ),
        (
            vec![("To", "447700900204"), ("From", "12345"), ("Body", "x")],
            Some(basic(ACCOUNT, "wrong-token-0123456789")),
            401,
            20003,
        ),
        (
            vec![("To", "4477abc"), ("From", "12345"), ("Body", "x")],
            auth(),
            400,
            21211,
        ),
        (
            vec![("To", "447700900204"), ("From", "12345")],
            auth(),
            400,
            21602,
        ),
        (
            vec![("To", "447700900204"), ("From", "99999"), ("Body", "x")],
            auth(),
            400,
            21606,
        ),
        (
            vec![("To", "447700900203"), ("From", "12345"), ("Body", "x")],
            auth(),
            400,
            21610,
        ),
        (
            vec![
                ("To", "447700900204"),
                ("From", "12345"),
                ("MediaUrl", "https://x/y.png"),
            ],
            auth(),
            400,
            21620,
        ),
        (
            vec![
                ("To", "447700900204"),
                ("From", "12345"),
                ("Body", "x"),
                ("StatusCallback", "ftp://x"),
            ],
            auth(),
            400,
            21609,
        ),
        // The tea program's short code is not this key's.
        (
            vec![("To", "447700900204"), ("From", "67890"), ("Body", "x")],
            auth(),
            403,
            20403,
        ),
    ];
    for (form, a, status, code) in cases {
        let (s, v) = create(&h, &form, a).await;
        assert_eq!(
            (s, v["code"].as_u64()),
            (status, Some(code)),
            "{form:?}: {v}"
        );
        assert!(
            v["message"].is_string() && v["more_info"].is_string(),
            "{v}"
        );
        assert_eq!(v["status"].as_u64(), Some(u64::from(status)));
    }
    // A list with an unknown parameter or a page that is no number.
    for q in [
        "Colour=red",
        "Page=null",
        "PageSize=0",
        "DateSent=yesterday",
        "PageToken=zz",
    ] {
        let (s, v) = get(
            &h,
            &format!("/2010-04-01/Accounts/{ACCOUNT}/Messages.json?{q}"),
        )
        .await;
        assert_eq!((s, v["code"].as_u64()), (400, Some(20001)), "{q}: {v}");
    }
    // Another account than the key's, and an unknown message: 404.
    let r = h
        .http
        .get(messages_url(&h, "admin"))
        .header("authorization", basic(ACCOUNT, COFFEE))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let (s, v) = get(
        &h,
        &format!("/2010-04-01/Accounts/{ACCOUNT}/Messages/msg_nope.json"),
    )
    .await;
    assert_eq!((s, v["code"].as_u64()), (404, Some(20404)), "{v}");
    // Only what was accepted reached the carrier: the first three and the idempotent one.
    assert_eq!(h.sim.counters().submits, 4);
    h.shutdown().await;
}
