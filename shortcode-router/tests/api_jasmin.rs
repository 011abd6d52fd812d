//! The Jasmin-compatible `/send` over real HTTP: sending by `GET` and `POST`, Jasmin's answers
//! and status codes for refused requests, and Jasmin's DLRs at each `dlr-level` by `GET` and
//! `POST`, retried until acknowledged with `ACK/Jasmin`.

mod api_support;

use std::collections::HashMap;

use api_support::{ADMIN, COFFEE, Harness, Received, answer, metrics_at};
use serde_json::json;

/// The DLR's arguments: its query for a `GET`, its form body for a `POST`.
fn dlr_args(r: &Received) -> HashMap<String, String> {
    let raw = if r.method == "GET" {
        r.uri
            .split_once('?')
            .map(|(_, q)| q.to_owned())
            .unwrap_or_default()
    } else {
        assert_eq!(
            r.headers["content-type"], "application/x-www-form-urlencoded",
            "{r:?}"
        );
        String::from_utf8(r.body.clone()).unwrap()
    };
    serde_urlencoded::from_str(&raw).unwrap()
}

async fn send_get(h: &Harness, query: &[(&str, &str)]) -> (u16, String) {
    let r = h
        .http
        .get(h.url("/send"))
        .query(query)
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain"),
        "{r:?}"
    );
    (s, r.text().await.unwrap())
}

async fn send_post(h: &Harness, form: &[(&str, &str)]) -> (u16, String) {
    let r = h.http.post(h.url("/send")).form(form).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// The id in `Success "<id>"`.
fn success_id(s: u16, body: &str) -> String {
    assert_eq!(s, 200, "{body}");
    body.strip_prefix("Success \"")
        .and_then(|b| b.strip_suffix('"'))
        .unwrap_or_else(|| panic!("not a Jasmin success: {body}"))
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jasmin_send_dlrs_and_errors() {
    let mut h = Harness::start().await;
    let base = h.callback_url.trim_end_matches("/status").to_owned();
    let ack = format!("{base}/jasmin-ack?app=1");
    let auth = [("username", "coffee-app"), ("password", COFFEE)];

    // Level 3 by GET: the SMSC's answer, then the handset's receipt; the dlr-url's own query
    // is kept.
    let mut q = auth.to_vec();
    q.extend([
        ("to", "+447700900301"),
        ("from", "12345"),
        ("content", "Hello from Jasmin code"),
        ("dlr", "yes"),
        ("dlr-url", ack.as_str()),
        ("dlr-level", "3"),
        ("dlr-method", "GET"),
        ("priority", "2"),
        ("validity-period", "60"),
        ("tags", "promo,1"),
    ]);
    let (s, body) = send_get(&h, &q).await;
    let id = success_id(s, &body);
    let first = h.next_callback().await;
    assert_eq!(first.method, "GET");
    assert!(first.uri.starts_with("/jasmin-ack?app=1&"), "{}", first.uri);
    let a = dlr_args(&first);
    assert_eq!(a["id"], id);
    assert_eq!(a["message_status"], "ESME_ROK");
    assert_eq!(a["level"], "3");
    let second = h.next_callback().await;
    let a = dlr_args(&second);
    assert_eq!(a["id"], id);
    assert_eq!(a["message_status"], "DELIVRD");
    assert_eq!(a["level"], "3");
    assert!(!a["id_smsc"].is_empty(), "{a:?}");
    assert_eq!(a["dlvrd"], "001");
    assert_eq!(a["sub"], "001");
    assert_eq!(a["text"], "Hello from Jasmin co", "the first 20 characters");
    for d in ["subdate", "donedate"] {
        assert!(
            a[d].len() == 10 && a[d].bytes().all(|b| b.is_ascii_digit()),
            "{d}: {a:?}"
        );
    }
    let m = h.wait_status(&id, "delivered").await;
    assert_eq!(m["validity"], 3600, "{m}");
    // The message id in the DLR is ours; the carrier's is `id_smsc`, and the message record
    // knows it too.
    let (_, full) = h.get(&format!("/v1/messages/{id}"), ADMIN).await;
    assert!(full.to_string().contains(&a["id_smsc"]), "{full}");

    // Level 2 by POST (the default method), UCS-2: only the receipt.
    let mut f = auth.to_vec();
    f.extend([
        ("to", "447700900302"),
        ("from", "12345"),
        ("content", "Café ✓ ready"),
        ("coding", "8"),
        ("dlr-url", ack.as_str()),
        ("dlr-level", "2"),
    ]);
    let (s, body) = send_post(&h, &f).await;
    let id2 = success_id(s, &body);
    let cb = h.next_callback().await;
    assert_eq!(cb.method, "POST");
    let a = dlr_args(&cb);
    assert_eq!(
        (
            a["id"].as_str(),
            a["message_status"].as_str(),
            a["level"].as_str()
        ),
        (id2.as_str(), "DELIVRD", "2")
    );
    assert_eq!(a["text"], "Café ✓ ready");
    let m = h.wait_status(&id2, "delivered").await;
    assert_eq!(m["encoding"], "UCS-2", "{m}");

    // Level 1 to an endpoint that never acknowledges: retried max_attempts (5) times, then
    // given up; the receipt makes none at level 1.
    let nack = format!("{base}/jasmin-nack");
    let mut q = auth.to_vec();
    q.extend([
        ("to", "447700900303"),
        ("from", "12345"),
        ("content", "x"),
        ("dlr-url", nack.as_str()),
        ("dlr-level", "1"),
        ("dlr-method", "post"),
    ]);
    let (s, body) = send_get(&h, &q).await;
    let id3 = success_id(s, &body);
    for _ in 0..5 {
        let a = dlr_args(&h.next_callback().await);
        assert_eq!(
            (
                a["id"].as_str(),
                a["message_status"].as_str(),
                a["level"].as_str()
            ),
            (id3.as_str(), "ESME_ROK", "1")
        );
    }
    h.wait_status(&id3, "delivered").await;
    let deadline = tokio::time::Instant::now() + api_support::T;
    while !metrics_at(&h.http, &h.base)
        .await
        .contains("router_status_callbacks_total{outcome=\"dropped\"} 1")
    {
        assert!(tokio::time::Instant::now() < deadline, "never given up");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // No DLR was asked for here: none comes (the last one, if any, would be queued by now).
    let (s, body) = send_get(
        &h,
        &[
            auth[0],
            auth[1],
            ("to", "447700900304"),
            ("from", "12345"),
            ("content", "no dlr"),
        ],
    )
    .await;
    let id4 = success_id(s, &body);
    h.wait_status(&id4, "delivered").await;
    assert!(h.callbacks.try_recv().is_err(), "no DLR was asked for");
    let submits = h.sim.counters().submits;
    assert_eq!(submits, 4);

    // Refusals, in Jasmin's words and codes; nothing refused reaches the carrier.
    let (s, v) = h
        .post(
            "/v1/optouts",
            COFFEE,
            json!({"subscriber": "+447700900399", "short_code": "12345"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let ok = |extra: &[(&'static str, &'static str)]| {
        let mut q = vec![
            ("username", "coffee-app"),
            ("password", COFFEE),
            ("to", "447700900305"),
            ("from", "12345"),
            ("content", "hi"),
        ];
        for (k, v) in extra {
            match q.iter_mut().find(|(n, _)| n == k) {
                Some(slot) => slot.1 = v,
                None => q.push((k, v)),
            }
        }
        q.retain(|(_, v)| *v != "<none>");
        q
    };
    type Args = Vec<(&'static str, &'static str)>;
    let cases: Vec<(Args, u16, &str)> = vec![
        (
            ok(&[("to", "<none>")]),
            400,
            "Error \"Mandatory argument to is not found.\"",
        ),
        (
            ok(&[("content", "<none>")]),
            400,
            "Error \"Mandatory argument content is not found.\"",
        ),
        (
            ok(&[("colour", "red")]),
            400,
            "Error \"Argument colour is unknown.\"",
        ),
        (
            ok(&[("hex-content", "0041")]),
            400,
            "hex-content is not supported",
        ),
        (
            ok(&[("coding", "5")]),
            400,
            "Argument coding has an invalid value",
        ),
        (
            ok(&[("to", "abc")]),
            400,
            "Argument to has an invalid value: abc.",
        ),
        (
            ok(&[("from", "1 2")]),
            400,
            "Argument from has an invalid value",
        ),
        (
            ok(&[("priority", "7")]),
            400,
            "Argument priority has an invalid value",
        ),
        (
            ok(&[("dlr-level", "4")]),
            400,
            "Argument dlr-level has an invalid value",
        ),
        (
            ok(&[("dlr-method", "PUT")]),
            400,
            "Argument dlr-method has an invalid value",
        ),
        (
            ok(&[("dlr", "maybe")]),
            400,
            "Argument dlr has an invalid value",
        ),
        (
            ok(&[("dlr-url", "ftp://x/y")]),
            400,
            "Argument dlr-url has an invalid value",
        ),
        (
            ok(&[("validity-period", "0")]),
            400,
            "Argument validity-period has an invalid value",
        ),
        (ok(&[("content", "")]), 400, "Error \""),
        (
            ok(&[("password", "wrong")]),
            403,
            "Error \"Authentication failure for username:coffee-app\"",
        ),
        (
            ok(&[("username", "<none>")]),
            400,
            "Mandatory argument username is not found.",
        ),
        // The tea program's short code is not this key's.
        (
            ok(&[("from", "67890")]),
            403,
            "Authorization failed for username:coffee-app",
        ),
        (ok(&[("from", "99999")]), 412, "Error \"No route found"),
        (ok(&[("to", "+447700900399")]), 403, "opted out"),
    ];
    for (q, status, want) in cases {
        let (s, body) = send_get(&h, &q).await;
        assert_eq!(s, status, "{q:?}: {body}");
        assert!(body.contains(want), "{q:?}: {body}");
        assert!(body.starts_with("Error \""), "{q:?}: {body}");
        // The same by POST.
        let (s, body) = send_post(&h, &q).await;
        assert_eq!(s, status, "POST {q:?}: {body}");
        assert!(body.contains(want), "POST {q:?}: {body}");
    }
    assert_eq!(
        h.sim.counters().submits,
        submits,
        "nothing refused was sent"
    );
    let (s, v) = answer(h.http.get(h.url("/openapi.json")).send().await.unwrap()).await;
    assert_eq!(s, 200);
    assert!(v["paths"]["/send"]["get"]["parameters"].is_array(), "{v}");
    assert!(h.shutdown().await);
}
