//! The router against a third-party SMSC: the npm `smpp` package's server
//! (`interop/node/server.js`, installed by `interop/setup.sh`, never by hand) as the carrier.
//! Its MO reaches the handler, the handler's reply and our MTs (one long Unicode one) reach it
//! as `submit_sm`, and its receipts, in its own id and text format, bring them to `delivered`.
//! `#[ignore]`d like the other interop tests: `.ci/run` installs the peer and runs
//! `--ignored interop`. A missing peer fails the test.

mod common;

use std::path::PathBuf;
use std::process::Stdio;

use common::*;
use serde_json::Value;
use shortcode_router::delivery::MessageStatus;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;
use tokio::sync::mpsc;

fn interop_dir() -> PathBuf {
    std::env::var_os("SMPP_INTEROP_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../interop"))
}

/// Starts `server.js` with `args`: the child, its port, and its event lines as JSON.
async fn npm_smsc(args: &[&str]) -> (tokio::process::Child, u16, mpsc::Receiver<Value>) {
    let dir = interop_dir();
    assert!(
        dir.join("node/node_modules/smpp").is_dir(),
        "the npm smpp package is not installed: run interop/setup.sh"
    );
    let mut child = Command::new("node")
        .arg(dir.join("node/server.js"))
        .args(["--system-id", "interop", "--password", "secret"])
        .args(["--exit-on-stdin-eof", "--timeout-s", "60"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("node must be installed to run the interop tests");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next_line().await.unwrap().expect("no READY line");
    let port = first
        .strip_prefix("READY ")
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
        .parse()
        .unwrap();
    let (tx, rx) = mpsc::channel(1024);
    tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            if let Ok(v) = serde_json::from_str::<Value>(&line) {
                let _ = tx.send(v).await;
            }
        }
    });
    (child, port, rx)
}

/// The next `submit_sm` event (other events are skipped).
async fn next_submit(events: &mut mpsc::Receiver<Value>) -> Value {
    loop {
        let e = events.recv().await.expect("the SMSC exited");
        if e["event"] == "submit_sm" {
            return e;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs interop/setup.sh (run by .ci/run)"]
async fn interop_router_against_npm_smpp_smsc() {
    within(60, async {
        let (_smsc, port, mut events) =
            npm_smsc(&["--mo", "1", "--mo-text", "JOIN", "--receipts", "requested"]).await;
        let dir = tempfile::tempdir().unwrap();
        let (haddr, h) = start_handler().await;
        h.reply_to("JOIN", "Welcome to Coffee Club!");
        let smsc = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        let text = config_text(smsc, haddr, &dir.path().join("r.db"), "")
            .replace("system_id = \"router\"", "system_id = \"interop\"");
        assert!(text.contains("system_id = \"interop\""));
        let router = start_router(&text).await;

        // The SMSC's MO (sent when the transceiver binds) reaches the handler, signed, and the
        // handler's reply goes back to it.
        eventually(20, "the MO webhook", || h.accepted().len() == 1).await;
        let w = &h.accepted()[0];
        assert_eq!(w.payload["text"], "JOIN");
        assert_eq!(w.payload["from"], "447700900123");
        assert_eq!(w.payload["to"], CODE);
        let reply = next_submit(&mut events).await;
        assert_eq!(reply["short_message"], "Welcome to Coffee Club!");
        assert_eq!(reply["destination_addr"], "447700900123");
        assert_eq!(reply["source_addr"], CODE);

        // An MT, and a long Unicode one: each part a submit_sm with its UDH, each receipt
        // correlated (the SMSC's ids are unpadded lower-case hex).
        let short = router.send(mt("Your order is ready")).await.unwrap();
        let long_text = "Καλημέρα! ".repeat(12);
        let long = router.send(mt(&long_text)).await.unwrap();
        let mut submits = Vec::new();
        while submits.len() < 3 {
            submits.push(next_submit(&mut events).await);
        }
        assert!(submits.iter().all(|s| s["registered_delivery"] == 1));
        assert!(
            submits
                .iter()
                .any(|s| s["short_message"] == "Your order is ready" && s["data_coding"] == 0)
        );
        let parts: Vec<&Value> = submits.iter().filter(|s| s["data_coding"] == 8).collect();
        assert_eq!(parts.len(), 2, "{submits:?}");
        assert!(parts.iter().all(|p| !p["udh"].is_null()), "{parts:?}");
        for id in [&short, &long] {
            let status = status_when(&router, id, |s| s == MessageStatus::Delivered).await;
            assert_eq!(status, MessageStatus::Delivered, "{id}");
        }
        let m = router.mt().store().get(&long).await.unwrap().unwrap();
        assert_eq!((m.segments, m.body.as_str()), (2, long_text.as_str()));
    })
    .await;
}
