//! The Twilio-compatible profile: form fields, `X-Twilio-Signature` (checked here with an
//! independent HMAC-SHA1), and a TwiML reply sent back to the subscriber.

mod common;

use std::sync::{Arc, Mutex};

use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use common::*;
use hmac::{Hmac, Mac};
use smsc_client::sim::SimConfig;

const TOKEN: &str = "twilio-auth-token-123";

#[derive(Default)]
struct Seen {
    forms: Mutex<Vec<Vec<(String, String)>>>,
    bad: Mutex<u32>,
}

async fn twilio_hook(
    State((seen, url)): State<(Arc<Seen>, String)>,
    headers: HeaderMap,
    Form(params): Form<Vec<(String, String)>>,
) -> Response {
    let mut sorted = params.clone();
    sorted.sort();
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(TOKEN.as_bytes()).unwrap();
    mac.update(url.as_bytes());
    for (k, v) in &sorted {
        mac.update(k.as_bytes());
        mac.update(v.as_bytes());
    }
    let expected = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    let got = headers
        .get("x-twilio-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if got != expected {
        *seen.bad.lock().unwrap() += 1;
        return StatusCode::FORBIDDEN.into_response();
    }
    seen.forms.lock().unwrap().push(params);
    (
        [("content-type", "text/xml")],
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Message>Thanks &amp; welcome</Message></Response>",
    )
        .into_response()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twilio_profile_form_signature_and_twiml_reply() {
    within(60, async {
        let s = Setup::new(SimConfig::default()).await;
        let seen = Arc::new(Seen::default());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let taddr = listener.local_addr().unwrap();
        let url = format!("http://{taddr}/twilio");
        let app = axum::Router::new()
            .route("/twilio", axum::routing::post(twilio_hook))
            .with_state((seen.clone(), url.clone()));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        let extra = format!(
            r#"
[handlers.twilio]
url = "{url}"
secret = "{TOKEN}"
profile = "twilio"
{legacy}"#,
            legacy = legacy_program("twilio")
        );
        let router = s.router(&extra).await;
        inject(&s.sim, "Hola amigo", SUB).await;
        eventually(10, "twilio webhook", || {
            !seen.forms.lock().unwrap().is_empty()
        })
        .await;
        let form = seen.forms.lock().unwrap()[0].clone();
        let get = |k: &str| {
            form.iter()
                .find(|(a, _)| a == k)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        assert_eq!(get("From"), SUB);
        assert_eq!(get("To"), CODE);
        assert_eq!(get("Body"), "Hola amigo");
        assert_eq!(get("NumSegments"), "1");
        assert!(get("MessageSid").starts_with("mo_"));
        eventually(10, "TwiML reply as MT", || {
            mts_to(&s.sim, SUB)
                .iter()
                .any(|s| s.text == "Thanks & welcome")
        })
        .await;
        assert_eq!(*seen.bad.lock().unwrap(), 0);
        drop(router);
        s.sim.shutdown().await;
    })
    .await;
}
