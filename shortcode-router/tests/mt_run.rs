//! `shortcode-router run --config FILE`: binds, serves the API, sends an MT through the
//! simulator, and on SIGTERM stops taking requests, drains and unbinds, exiting 0.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use smsc_client::session::CloseReason;
use smsc_client::sim::{SimConfig, SimEvent, Simulator};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_serves_and_stops_gracefully_on_sigterm() {
    let sim = Simulator::start(SimConfig::default().account("router", "secret"))
        .await
        .unwrap();
    let mut events = sim.subscribe();
    let dir = tempfile::tempdir().unwrap();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let cfg = dir.path().join("router.toml");
    std::fs::write(
        &cfg,
        format!(
            r#"
[store]
path = "{db}"

[carriers.sim]
host = "127.0.0.1"
port = {smsc}
system_id = "router"
password_env = "SCR_RUN_TEST_PASSWORD"

[[short_codes]]
code = "12345"

[[programs]]
name = "coffee"
short_code = "12345"
support = "help@coffee.example"

[api]
listen = "127.0.0.1:{port}"

[[api.keys]]
name = "ops"
token_env = "SCR_RUN_TEST_TOKEN"
"#,
            db = dir.path().join("r.db").display(),
            smsc = sim.local_addr().port(),
        ),
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_shortcode-router"))
        .args(["run", "--config"])
        .arg(&cfg)
        .args(["--log-format", "json"])
        .env("SCR_RUN_TEST_PASSWORD", "secret")
        .env("SCR_RUN_TEST_TOKEN", "ops-token-0123456789")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let started = Instant::now();
    loop {
        if let Ok(r) = http.get(format!("{base}/readyz")).send().await {
            if r.status() == 200 {
                break;
            }
        }
        assert!(started.elapsed() < Duration::from_secs(30), "never ready");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let r = http
        .post(format!("{base}/v1/messages"))
        .bearer_auth("ops-token-0123456789")
        .body(r#"{"from":"12345","to":"447700900777","text":"hello from run"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let started = Instant::now();
    while sim.counters().receipts_sent < 1 {
        assert!(started.elapsed() < Duration::from_secs(20), "no receipt");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "did not stop on SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let out = child.wait_with_output().unwrap();
    let logs = String::from_utf8_lossy(&out.stderr);
    assert!(status.success(), "{logs}");
    assert!(logs.contains("stopped cleanly"), "{logs}");
    assert!(
        logs.lines()
            .all(|l| l.trim().is_empty() || l.starts_with('{')),
        "not JSON logs: {logs}"
    );
    // The bind ended with an unbind handshake (SMPP 5.0 §2.3.5), not a dropped connection.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut closed = false;
    while !closed && Instant::now() < deadline {
        match tokio::time::timeout(Duration::from_millis(200), events.recv()).await {
            Ok(Ok(SimEvent::Closed { reason, .. })) => {
                assert!(
                    matches!(reason, CloseReason::Unbound { .. }),
                    "closed without unbind: {reason:?}"
                );
                closed = true;
            }
            Ok(Ok(_)) => {}
            _ => {}
        }
    }
    assert!(closed, "the simulator did not see the bind close");
    assert!(http.get(format!("{base}/healthz")).send().await.is_err());
}
