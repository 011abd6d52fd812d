//! The opt-out API (with its audit trail and the MT refusal it causes), the Kannel `sendsms`
//! shim (with a `dlr-url`), and the operations endpoints: `/healthz`, `/readyz`, `/metrics`,
//! `/openapi.json` (every documented route is served).

mod api_support;

use api_support::{ADMIN, COFFEE, Harness};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn optouts_block_mts_and_are_audited() {
    let h = Harness::start().await;
    let (s, v) = h
        .post("/v1/optouts", COFFEE, json!({"subscriber": "+447700900010", "short_code": "12345", "reason": "asked by phone"}))
        .await;
    assert_eq!(s, 201, "{v}");
    let (s, v) = h.get("/v1/optouts?short_code=12345", COFFEE).await;
    assert_eq!(s, 200);
    assert_eq!(v["data"][0]["subscriber"], "447700900010");
    // Blocked MT: refused with a clear error, never reaches the carrier.
    let (s, v) = h
        .post(
            "/v1/messages",
            COFFEE,
            json!({"from": "12345", "to": "447700900010", "text": "promo"}),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (422, Some("recipient_opted_out")),
        "{v}"
    );
    assert_eq!(h.sim.counters().submits, 0);
    // Opt-outs are kept per short code: another sender (unconfigured, or the short code with a
    // space) is refused, not sent around the opt-out through the carrier.
    for from in ["12345 ", "1234", "0"] {
        let (s, v) = h
            .post(
                "/v1/messages",
                ADMIN,
                json!({"from": from, "to": "447700900010", "text": "promo"}),
            )
            .await;
        assert_eq!(
            (s, v["error"]["code"].as_str()),
            (422, Some("unknown_short_code")),
            "{from:?}: {v}"
        );
    }
    let (s, body) = sendsms(
        &h,
        "user=admin&pass=admin-token-0123456789&from=0&to=447700900010&text=promo",
    )
    .await;
    assert_eq!(s, 400, "{body}");
    assert!(body.contains("not a configured short code"), "{body}");
    assert_eq!(h.sim.counters().submits, 0);
    // A short-code filter that cannot be one is refused.
    let (s, v) = h.get("/v1/optouts?short_code=%0A1", ADMIN).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (400, Some("invalid_request")),
        "{v}"
    );
    // Scope: the coffee key cannot touch tea's short code; unknown codes are 404.
    let (s, v) = h
        .post(
            "/v1/optouts",
            COFFEE,
            json!({"subscriber": "447700900010", "short_code": "67890"}),
        )
        .await;
    assert_eq!((s, v["error"]["code"].as_str()), (403, Some("forbidden")));
    let (s, _) = h
        .post(
            "/v1/optouts",
            ADMIN,
            json!({"subscriber": "447700900010", "short_code": "99999"}),
        )
        .await;
    assert_eq!(s, 404);
    let (s, v) = h
        .post(
            "/v1/optouts",
            ADMIN,
            json!({"subscriber": "abc", "short_code": "12345"}),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (400, Some("invalid_request"))
    );
    // Remove, then the MT goes.
    let r = h
        .http
        .delete(h.url("/v1/optouts/12345/447700900010"))
        .bearer_auth(COFFEE)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = h
        .http
        .delete(h.url("/v1/optouts/12345/447700900010"))
        .bearer_auth(COFFEE)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let (s, a) = h
        .post(
            "/v1/messages",
            COFFEE,
            json!({"from": "12345", "to": "447700900010", "text": "welcome back"}),
        )
        .await;
    assert_eq!(s, 202, "{a}");
    h.wait_status(a["id"].as_str().unwrap(), "delivered").await;
    let (s, v) = h
        .get("/v1/optouts/audit?subscriber=447700900010", ADMIN)
        .await;
    assert_eq!(s, 200);
    let actions: Vec<(&str, &str)> = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["action"].as_str().unwrap(), e["actor"].as_str().unwrap()))
        .collect();
    assert_eq!(
        actions,
        [("remove", "api:coffee-app"), ("add", "api:coffee-app")]
    );
    assert_eq!(v["data"][1]["reason"], "asked by phone");
    // A subscriber's own STOP is in the same trail, and on the list.
    h.sim
        .inject_mo("STOP", "447700900011", "12345", None)
        .await
        .unwrap();
    let (_, v) = h
        .get("/v1/optouts/audit?subscriber=447700900011", ADMIN)
        .await;
    assert_eq!(v["data"][0]["action"], "add", "{v}");
    assert_eq!(v["data"][0]["actor"], "subscriber");
    assert_eq!(v["data"][0]["reason"], "texted STOP");
    let (_, v) = h.get("/v1/optouts", ADMIN).await;
    assert!(
        v["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["subscriber"] == "447700900011")
    );
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kannel_sendsms_shim() {
    let mut h = Harness::start().await;
    let dlr = format!("{}?type=%d&to=%p&from=%P&id=%I", h.callback_url);
    let r = h
        .http
        .get(h.url("/cgi-bin/sendsms"))
        .query(&[
            ("user", "coffee-app"),
            ("pass", api_support::COFFEE),
            ("from", "12345"),
            ("to", "447700900020"),
            ("text", "Kannel says hi"),
            ("dlr-mask", "1"),
            ("dlr-url", dlr.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    assert_eq!(r.text().await.unwrap(), "0: Accepted for delivery");
    // The dlr-url is called (mask 1: delivered only) with Kannel's placeholders filled in.
    let cb = h.next_callback().await;
    assert_eq!(cb.method, "GET");
    assert!(cb.uri.contains("type=1"), "{}", cb.uri);
    assert!(
        cb.uri.contains("to=447700900020") && cb.uri.contains("from=12345"),
        "{}",
        cb.uri
    );
    let (_, page) = h.get("/v1/messages?to=447700900020", ADMIN).await;
    assert_eq!(page["data"][0]["text"], "Kannel says hi");
    assert_eq!(page["data"][0]["status"], "delivered");

    // POST form, UCS-2 coding.
    let r = h
        .http
        .post(h.url("/cgi-bin/sendsms"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "username=coffee-app&password={}&from=12345&to=447700900021&text=caf%C3%A9&coding=2",
            api_support::COFFEE
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let (_, page) = h.get("/v1/messages?to=447700900021", ADMIN).await;
    assert_eq!(page["data"][0]["encoding"], "UCS-2");

    // Several receivers, separated by spaces; one has opted out. The text is Latin-1, and the
    // mask and URL use Kannel's older names (dlrmask, dlrurl).
    let (s, _) = h
        .post(
            "/v1/optouts",
            COFFEE,
            json!({"subscriber": "447700900024", "short_code": "12345"}),
        )
        .await;
    assert_eq!(s, 201);
    let q = format!(
        "user=coffee-app&pass={}&from=12345&to=447700900022+447700900023%20447700900024\
         &text=caf%E9&charset=ISO-8859-1&dlrmask=1&dlrurl={}",
        api_support::COFFEE,
        urlencoding(&dlr)
    );
    let (status, body) = sendsms(&h, &q).await;
    assert_eq!(status, 202);
    assert_eq!(
        body,
        "0: Accepted for delivery; failed for 1 of 3 receivers: \
         447700900024 (Recipient opted out: message not sent)"
    );
    for to in ["447700900022", "447700900023"] {
        let (_, page) = h.get(&format!("/v1/messages?to={to}"), ADMIN).await;
        assert_eq!(page["data"][0]["text"], "café", "{to}");
        let cb = h.next_callback().await;
        assert!(cb.uri.contains("type=1"), "{}", cb.uri);
    }
    let (_, page) = h.get("/v1/messages?to=447700900024", ADMIN).await;
    assert_eq!(page["data"].as_array().unwrap().len(), 0);
    // UTF-16BE text.
    let q = format!(
        "user=coffee-app&pass={}&from=12345&to=447700900025&text=%00h%00%E9&charset=UTF-16BE",
        api_support::COFFEE
    );
    assert_eq!(sendsms(&h, &q).await.0, 202);
    let (_, page) = h.get("/v1/messages?to=447700900025", ADMIN).await;
    assert_eq!(page["data"][0]["text"], "hé");

    for (q, status, text) in [
        (
            "user=coffee-app&pass=coffee-token-0123456789&from=12345&to=1&text=caf%E9",
            400,
            "Invalid text: not UTF-8",
        ),
        (
            "user=coffee-app&pass=coffee-token-0123456789&from=12345&to=1&text=x&charset=EBCDIC",
            400,
            "Unsupported charset",
        ),
        (
            "user=coffee-app&pass=coffee-token-0123456789&from=12345&to=447700900024&text=x",
            403,
            "Recipient opted out",
        ),
        (
            "user=coffee-app&pass=wrong&from=12345&to=1&text=x",
            403,
            "Authorization failed for sendsms",
        ),
        (
            "from=12345&to=1&text=x",
            403,
            "Authorization failed for sendsms",
        ),
        (
            "user=coffee-app&pass=coffee-token-0123456789&from=12345&text=x",
            400,
            "Missing receiver number",
        ),
        (
            "user=coffee-app&pass=coffee-token-0123456789&from=12345&to=1&text=x&coding=1",
            400,
            "Unsupported coding",
        ),
    ] {
        let (got, body) = sendsms(&h, q).await;
        assert_eq!(got, status, "{q}");
        assert!(body.starts_with(text), "{q}: {body}");
    }
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_readiness_metrics_and_openapi() {
    let h = Harness::start().await;
    let (s, v) = h.get("/healthz", "").await;
    assert_eq!((s, v["status"].as_str()), (200, Some("ok")));
    let (s, v) = h.get("/readyz", "").await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["binds_up"]["sim"], 1);
    let (s, a) = h
        .post(
            "/v1/messages",
            ADMIN,
            json!({"from": "12345", "to": "447700900030", "text": "m"}),
        )
        .await;
    assert_eq!(s, 202);
    h.wait_status(a["id"].as_str().unwrap(), "delivered").await;
    let text = h.metrics().await;
    assert!(text.contains("router_mt_accepted_total"), "{text}");
    assert!(text.contains("router_carrier_binds_up"), "{text}");

    // Every documented route is served (not the 404/405 fallbacks), and the document parses.
    let (s, doc) = h.get("/openapi.json", "").await;
    assert_eq!(s, 200);
    assert_eq!(doc["openapi"], "3.1.0");
    let mut n = 0;
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            let concrete = path
                .replace("{id}", "msg_x")
                .replace("{short_code}", "12345")
                .replace("{subscriber}", "447700900031");
            let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let r = h
                .http
                .request(m, h.url(&concrete))
                .bearer_auth(ADMIN)
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let body: Value =
                serde_json::from_slice(&r.bytes().await.unwrap()).unwrap_or(Value::Null);
            assert_ne!(status, 405, "{method} {path}");
            assert!(
                !(status == 404
                    && body["error"]["message"]
                        .as_str()
                        .is_some_and(|m| m.starts_with("no route"))),
                "{method} {path} is documented but not served"
            );
            n += 1;
        }
    }
    assert_eq!(n, shortcode_router::api::ROUTES.len());

    // After shutdown: drained, and the API no longer answers.
    let base = h.base.clone();
    assert!(h.shutdown().await);
    assert!(reqwest::get(format!("{base}/healthz")).await.is_err());
}

/// `s` percent-encoded for a query value.
fn urlencoding(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `GET /cgi-bin/sendsms?{q}`: the status and the answer's text.
async fn sendsms(h: &Harness, q: &str) -> (u16, String) {
    let r = h
        .http
        .get(h.url(&format!("/cgi-bin/sendsms?{q}")))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// `[api] ops_listen`: `/metrics`, `/healthz` and `/readyz` move to their own address (off a
/// public API listener), everything else stays on `listen`; shutdown closes both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ops_endpoints_on_their_own_listener() {
    use shortcode_router::app::{App, parse_config};
    use smsc_client::sim::{SimConfig, Simulator};
    let sim = Simulator::start(SimConfig::default().account("router", "secret"))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (config, mut sections) =
        parse_config(&api_support::config(dir.path(), sim.local_addr(), "")).unwrap();
    sections.api.ops_listen = Some("127.0.0.1:0".parse().unwrap());
    let app = App::start(config, sections, None).await.unwrap();
    assert!(app.wait_bound(api_support::T).await);
    assert_ne!(app.api_addr(), app.ops_addr());
    let api = format!("http://{}", app.api_addr());
    let ops = format!("http://{}", app.ops_addr());
    let http = reqwest::Client::new();
    let status = |base: &str, path: &str| {
        let r = http.get(format!("{base}{path}")).bearer_auth(ADMIN).send();
        async move { r.await.unwrap().status().as_u16() }
    };
    for path in shortcode_router::api::OPS_ROUTES {
        assert_eq!(status(&ops, path).await, 200, "{path} on ops_listen");
        assert_eq!(status(&api, path).await, 404, "{path} on listen");
    }
    let metrics = api_support::metrics_at(&http, &ops).await;
    assert!(metrics.contains("router_carrier_binds_up"), "{metrics}");
    for path in ["/v1/messages", "/openapi.json"] {
        assert_eq!(status(&api, path).await, 200, "{path} on listen");
        assert_eq!(status(&ops, path).await, 404, "{path} on ops_listen");
    }
    assert!(app.shutdown(std::time::Duration::from_secs(10)).await);
    assert!(reqwest::get(format!("{ops}/healthz")).await.is_err());
    assert!(reqwest::get(format!("{api}/openapi.json")).await.is_err());

    // The same address twice is a configuration error.
    let both = api_support::config(dir.path(), sim.local_addr(), "").replace(
        "listen = \"127.0.0.1:0\"",
        "listen = \"127.0.0.1:8089\"\nops_listen = \"127.0.0.1:8089\"",
    );
    let e = parse_config(&both).unwrap_err().to_string();
    assert!(e.contains("ops_listen"), "{e}");
}

/// All pages of `path` (which has a `limit`), following `next_cursor`: every row once.
async fn all_pages(h: &Harness, path: &str, token: &str) -> Vec<Value> {
    let mut rows = Vec::new();
    let mut url = path.to_owned();
    for _ in 0..100 {
        let (s, v) = h.get(&url, token).await;
        assert_eq!(s, 200, "{url}: {v}");
        rows.extend(v["data"].as_array().unwrap().iter().cloned());
        match v["next_cursor"].as_str() {
            Some(c) => url = format!("{path}&cursor={}", urlencoding(c)),
            None => return rows,
        }
    }
    panic!("{path}: more than 100 pages");
}

/// `POST /v1/optouts/import` (a short code's opt-out list brought from elsewhere), and the list
/// and audit trail read a page at a time, scoped keys seeing only their short codes' rows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn optouts_import_and_page() {
    let h = Harness::start().await;
    let (s, _) = h
        .post(
            "/v1/optouts",
            COFFEE,
            json!({"subscriber": "447700950000", "short_code": "12345"}),
        )
        .await;
    assert_eq!(s, 201);
    // 250 numbers, one given twice (with a +), one already opted out.
    let mut list: Vec<String> = (0..250).map(|i| format!("4477009{i:05}")).collect();
    list.push("+447700900007".into());
    list.push("447700950000".into());
    let (s, v) = h
        .post(
            "/v1/optouts/import",
            COFFEE,
            json!({"short_code": "12345", "subscribers": list, "reason": "moved from AcmeSMS"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        (v["imported"].as_u64(), v["already_opted_out"].as_u64()),
        (Some(250), Some(1))
    );
    // The MT pipeline sees them at once.
    let (s, v) = h
        .post(
            "/v1/messages",
            COFFEE,
            json!({"from": "12345", "to": "447700900123", "text": "promo"}),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (422, Some("recipient_opted_out")),
        "{v}"
    );

    // Refused whole: a bad number (named), an unknown short code, another key's short code,
    // an empty or too long list. Nothing of them is added.
    let (s, v) = h
        .post(
            "/v1/optouts/import",
            ADMIN,
            json!({"short_code": "67890", "subscribers": ["447700960001", "abc", "447700960002"]}),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (400, Some("invalid_request")),
        "{v}"
    );
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("[1] \"abc\""),
        "{v}"
    );
    for (token, body, want) in [
        (
            ADMIN,
            json!({"short_code": "99999", "subscribers": ["447700960001"]}),
            404,
        ),
        (
            COFFEE,
            json!({"short_code": "67890", "subscribers": ["447700960001"]}),
            403,
        ),
        (
            ADMIN,
            json!({"short_code": "67890", "subscribers": []}),
            400,
        ),
        (
            ADMIN,
            json!({"short_code": "67890", "subscribers": vec!["447700960001"; 10_001]}),
            400,
        ),
    ] {
        let (s, v) = h.post("/v1/optouts/import", token, body).await;
        assert_eq!(s, want, "{v}");
    }
    let (_, v) = h.get("/v1/optouts?short_code=67890", ADMIN).await;
    assert_eq!(v["data"].as_array().unwrap().len(), 0, "{v}");

    // Tea's opt-outs, newer than coffee's: a coffee page still fills with coffee's.
    let (s, _) = h
        .post(
            "/v1/optouts/import",
            ADMIN,
            json!({"short_code": "67890", "subscribers": ["447700960001", "447700960002"]}),
        )
        .await;
    assert_eq!(s, 200);
    let (_, v) = h.get("/v1/optouts?limit=10", COFFEE).await;
    let page = v["data"].as_array().unwrap();
    assert_eq!(page.len(), 10, "{v}");
    assert!(page.iter().all(|r| r["short_code"] == "12345"), "{v}");

    // Paging: every row once, newest first.
    let rows = all_pages(&h, "/v1/optouts?limit=37", ADMIN).await;
    assert_eq!(rows.len(), 253);
    let keys: std::collections::HashSet<_> = rows
        .iter()
        .map(|r| (r["short_code"].to_string(), r["subscriber"].to_string()))
        .collect();
    assert_eq!(keys.len(), 253, "a row came twice");
    assert!(
        rows.windows(2)
            .all(|w| w[0]["at"].as_str() >= w[1]["at"].as_str())
    );
    assert_eq!(
        all_pages(&h, "/v1/optouts?limit=1000&short_code=12345", COFFEE)
            .await
            .len(),
        251
    );
    // The audit trail: one entry per change, the import's with its reason; coffee's key sees
    // coffee's only.
    let audit = all_pages(&h, "/v1/optouts/audit?limit=50", ADMIN).await;
    assert_eq!(audit.len(), 253);
    assert_eq!(
        audit
            .iter()
            .filter(|a| a["reason"] == "moved from AcmeSMS")
            .count(),
        250
    );
    let coffee = all_pages(&h, "/v1/optouts/audit?limit=50", COFFEE).await;
    assert_eq!(coffee.len(), 251);
    // One number: is it opted out, and of what?
    let (_, v) = h.get("/v1/optouts?subscriber=%2B447700900007", ADMIN).await;
    let one = v["data"].as_array().unwrap();
    assert_eq!(one.len(), 1, "{v}");
    assert_eq!(
        (one[0]["short_code"].as_str(), one[0]["keyword"].as_str()),
        (Some("12345"), Some("API-OPTOUT"))
    );
    let (_, v) = h
        .get(
            "/v1/optouts?subscriber=447700900007&short_code=67890",
            ADMIN,
        )
        .await;
    assert_eq!(v["data"].as_array().unwrap().len(), 0, "{v}");
    for q in [
        "/v1/optouts?cursor=zz",
        "/v1/optouts/audit?cursor=a1.2.3",
        "/v1/optouts?subscriber=x",
    ] {
        let (s, v) = h.get(q, ADMIN).await;
        assert_eq!(
            (s, v["error"]["code"].as_str()),
            (400, Some("invalid_request")),
            "{q}: {v}"
        );
    }
    h.shutdown().await;
}

/// A short code whose carrier only receives: an MT is refused with 422 `no_carrier` (a
/// configuration matter: retrying would not help), not left queued.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_mt_on_a_receive_only_short_code_is_refused() {
    use shortcode_router::app::{App, parse_config};
    use smsc_client::sim::{SimConfig, Simulator};
    let sim = Simulator::start(SimConfig::default().account("router", "secret"))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let text = api_support::config(dir.path(), sim.local_addr(), "").replace(
        "system_id = \"router\"",
        "system_id = \"router\"\nbind = \"receiver\"",
    );
    let (config, sections) = parse_config(&text).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let app = App::start(config, sections, Some(listener)).await.unwrap();
    assert!(app.wait_bound(api_support::T).await);
    let r = reqwest::Client::new()
        .post(format!("http://{}/v1/messages", app.api_addr()))
        .bearer_auth(ADMIN)
        .header("content-type", "application/json")
        .body(json!({"from": "12345", "to": "447700900040", "text": "hi"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let v: Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
    assert_eq!(v["error"]["code"], "no_carrier", "{v}");
    assert_eq!(sim.counters().submits, 0);
    assert!(app.shutdown(std::time::Duration::from_secs(10)).await);
}
