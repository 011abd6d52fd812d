//! Twilio's own Python SDK (PyPI `twilio`, pinned in `interop/twilio/requirements.txt`) against
//! the Twilio-compatible Messages API: `interop/twilio/send.py` points a `twilio.rest.Client` at
//! the service, sends an MT with a status callback (each callback checked with the SDK's
//! `RequestValidator`), fetches it, lists two to a page, and meets error 21610 sending to an
//! opted-out number.
//!
//! `#[ignore]`d like the other interop tests: `.ci/run` installs the SDK (`interop/setup.sh`)
//! and runs `cargo test -- --ignored interop`.

mod api_support;

use std::time::Duration;

use api_support::{COFFEE, Harness, interop_tool};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs interop/setup.sh (run by .ci/run)"]
async fn interop_twilio_sdk_sends_fetches_lists_and_validates_callbacks() {
    let python = interop_tool("twilio/.venv/bin/python");
    let script = interop_tool("twilio/send.py");
    let h = Harness::start().await;
    let (s, v) = h
        .post(
            "/v1/optouts",
            COFFEE,
            json!({"subscriber": "447700900303", "short_code": "12345"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let run = tokio::process::Command::new(python)
        .arg(script)
        .args([&h.base, "coffee-app", COFFEE])
        .args(["--to", "+447700900301", "--from", "12345"])
        .args(["--opted-out", "+447700900303"])
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("send.py ran over 60 s")
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "send.py failed:\n{stdout}\n{stderr}");
    let r: Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    assert_eq!(r["created_status"], "queued", "{r}");
    assert_eq!(r["to"], "+447700900301");
    assert_eq!(r["segments"], "1");
    assert_eq!(r["fetched_status"], "delivered", "{r}");
    assert_eq!(
        r["listed"],
        json!(["third", "second", "Hello from the Twilio SDK"]),
        "{r}"
    );
    let callbacks = r["callbacks"].as_array().unwrap();
    let statuses: Vec<&str> = callbacks
        .iter()
        .filter_map(|c| c["status"].as_str())
        .collect();
    assert_eq!(statuses, ["sent", "delivered"], "{r}");
    assert!(
        callbacks
            .iter()
            .all(|c| c["valid"] == true && c["sid"] == r["sid"]),
        "the SDK's RequestValidator refused a callback: {r}"
    );
    assert_eq!(r["refused"], json!({"status": 400, "code": 21610}), "{r}");
    // The opted-out MT never reached the carrier; the three others did.
    assert_eq!(h.sim.counters().submits, 3);
    h.shutdown().await;
}
