//! The Jasmin-compatible handler profile: an MO comes as Jasmin's form (`id`, `from`, `to`,
//! `origin-connector`, `coding`, `content`), and is delivered only once the handler answers
//! `ACK/Jasmin` (a 200 with another body is tried again, as Jasmin does).

mod common;

use std::sync::{Arc, Mutex};

use axum::Form;
use axum::extract::{Query, State};
use common::*;
use smsc_client::sim::SimConfig;

#[derive(Default)]
struct Seen {
    forms: Mutex<Vec<Vec<(String, String)>>>,
    methods: Mutex<Vec<&'static str>>,
}

/// A form `POST`ed to the handler.
async fn jasmin_post(
    State(seen): State<Arc<Seen>>,
    Form(params): Form<Vec<(String, String)>>,
) -> &'static str {
    record(&seen, ("POST", params))
}

/// A form sent as the query of a `GET`.
async fn jasmin_get(
    State(seen): State<Arc<Seen>>,
    Query(params): Query<Vec<(String, String)>>,
) -> &'static str {
    record(&seen, ("GET", params))
}

/// Answers the first request of each MO without the acknowledgement, later ones with it.
fn record(seen: &Seen, (method, params): (&'static str, Vec<(String, String)>)) -> &'static str {
    seen.methods.lock().unwrap().push(method);
    let mut forms = seen.forms.lock().unwrap();
    let id = params
        .iter()
        .find(|(k, _)| k == "id")
        .map(|(_, v)| v.clone());
    let before = forms
        .iter()
        .filter(|f| f.iter().any(|(k, v)| k == "id" && Some(v) == id.as_ref()))
        .count();
    forms.push(params);
    if before == 0 { "ok" } else { "ACK/Jasmin" }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jasmin_profile_form_and_acknowledgement() {
    jasmin_profile(None, "POST").await;
}

/// `method = "GET"`: the same form as the URL's query (the handler URL's own query kept).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jasmin_profile_by_get() {
    jasmin_profile(Some("get"), "GET").await;
}

async fn jasmin_profile(method: Option<&str>, want: &str) {
    within(60, async {
        let s = Setup::new(SimConfig::default()).await;
        let seen = Arc::new(Seen::default());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = axum::Router::new()
            .route("/jasmin", axum::routing::post(jasmin_post).get(jasmin_get))
            .with_state(seen.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        let extra = format!(
            r#"
[handlers.jasmin]
url = "http://{addr}/jasmin?app=1"
profile = "jasmin"
{method}
{legacy}"#,
            method = method
                .map(|m| format!("method = {m:?}"))
                .unwrap_or_default(),
            legacy = legacy_program("jasmin")
        );
        let router = s.router(&extra).await;
        inject(&s.sim, "Hola ¿qué tal? ✓", SUB).await;
        // Refused once (200 without ACK/Jasmin), then acknowledged: one webhook, two attempts.
        eventually_async(10, "the webhook acknowledged", || async {
            let st = router.store().stats().await.unwrap();
            st.webhooks_delivered == 1 && st.webhooks_pending == 0
        })
        .await;
        let st = router.store().stats().await.unwrap();
        assert_eq!(st.attempts, 2);
        let forms = seen.forms.lock().unwrap().clone();
        assert_eq!(*seen.methods.lock().unwrap(), [want, want]);
        assert_eq!(forms.len(), 2);
        assert_eq!(forms[0], forms[1], "the same MO, the same id, both times");
        let get = |k: &str| {
            forms[0]
                .iter()
                .find(|(a, _)| a == k)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        assert!(get("id").starts_with("mo_"), "{forms:?}");
        if want == "GET" {
            assert_eq!(get("app"), "1", "the handler URL's query is kept");
        }
        assert_eq!(get("from"), SUB);
        assert_eq!(get("to"), CODE);
        assert_eq!(get("content"), "Hola ¿qué tal? ✓");
        assert_eq!(get("coding"), "8", "✓ is not GSM 7-bit");
        assert_eq!(get("origin-connector"), "sim");
        // No reply: the acknowledgement is not a message to the subscriber.
        assert!(mts_to(&s.sim, SUB).is_empty());
        drop(router);
        s.sim.shutdown().await;
    })
    .await;
}

/// A Jasmin handler is not signed: a secret for it is a configuration error.
#[test]
fn a_jasmin_handler_takes_no_secret() {
    let text = |secret: &str| {
        format!(
            r#"
[store]
path = "router.db"

[carriers.sim]
host = "127.0.0.1"
port = 2775
system_id = "router"
password = "secret"

[handlers.jasmin]
url = "http://127.0.0.1:9/jasmin"
profile = "jasmin"
{secret}

[[short_codes]]
code = "12345"

{legacy}"#,
            legacy = legacy_program("jasmin")
        )
    };
    shortcode_router::config::Config::parse(&text("")).unwrap();
    let e = shortcode_router::config::Config::parse(&text("secret = \"x\""))
        .unwrap_err()
        .to_string();
    assert!(e.contains("not signed"), "{e}");
    let e = shortcode_router::config::Config::parse(&text("method = \"PUT\""))
        .unwrap_err()
        .to_string();
    assert!(e.contains("GET or POST"), "{e}");
}
