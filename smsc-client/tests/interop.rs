//! Our ESME against third-party peers installed by `interop/setup.sh` (never by hand). These
//! tests are `#[ignore]`d so that `./scripts/test` needs no node or python; `.ci/run` installs
//! the peers and runs them with `--ignored interop`. A peer that is missing fails the test.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use smpp_codec::receipt::Receipt;
use smpp_codec::{Body, ShortMessage, SubmitSm};
use smsc_client::esme::{EsmeClient, EsmeConfig};
use smsc_client::session::BindKind;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

const LIMIT: Duration = Duration::from_secs(30);

fn interop_dir() -> PathBuf {
    std::env::var_os("SMPP_INTEROP_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../interop"))
}

/// Starts `interop/node/server.js` and returns it with the port it listens on.
async fn npm_smpp_server(args: &[&str]) -> (tokio::process::Child, u16) {
    let dir = interop_dir();
    assert!(
        dir.join("node/node_modules/smpp").is_dir(),
        "the npm smpp package is not installed: run interop/setup.sh"
    );
    let mut child = Command::new("node")
        .arg(dir.join("node/server.js"))
        .args([
            "--system-id",
            "interop",
            "--password",
            "secret",
            "--exit-on-stdin-eof",
        ])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("node must be installed to run the interop tests");
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let first = lines
        .next_line()
        .await
        .unwrap()
        .expect("server printed nothing");
    let port = first
        .strip_prefix("READY ")
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
        .parse()
        .unwrap();
    // Keep draining its event lines so it never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, port)
}

#[tokio::test]
#[ignore = "needs interop/setup.sh (run by .ci/run)"]
async fn interop_our_esme_against_npm_smpp_server() {
    tokio::time::timeout(LIMIT, async {
        let (_server, port) = npm_smpp_server(&["--mo", "3"]).await;
        let mut config =
            EsmeConfig::new(&format!("smpp://127.0.0.1:{port}"), "interop", "secret").unwrap();
        config.bind_kind = BindKind::Transceiver;
        let (handle, mut inbound) = EsmeClient::connect(config).await.unwrap();

        let count = 20;
        let mut ids = Vec::new();
        let mut tasks = Vec::new();
        for n in 0..count {
            let h = handle.clone();
            tasks.push(tokio::spawn(async move {
                let sm = SubmitSm {
                    source_addr: "12345".try_into().unwrap(),
                    destination_addr: "447700900123".try_into().unwrap(),
                    registered_delivery: 1,
                    short_message: ShortMessage::new(format!("interop {n}")).unwrap(),
                    ..SubmitSm::default()
                };
                h.submit_sm(sm).await
            }));
        }
        for t in tasks {
            let resp = t.await.unwrap().expect("every submit is accepted");
            ids.push(resp.message_id.to_string());
        }
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), count, "distinct message ids");

        // Receipts for every message, plus the three MO messages, each answered.
        let (mut receipts, mut mo) = (Vec::new(), 0);
        while receipts.len() < count || mo < 3 {
            let req = inbound.recv().await.expect("session closed early");
            match req.body() {
                Body::DeliverSm(sm) => match Receipt::from_body(req.body()) {
                    Some(r) => {
                        let r = r.expect("a receipt we can read");
                        assert_eq!(r.stat(), Some("DELIVRD"));
                        receipts.push(r.message_id.to_string());
                    }
                    None => {
                        assert!(sm.short_message.as_bytes().starts_with(b"mo "));
                        mo += 1;
                    }
                },
                other => panic!("unexpected {other:?}"),
            }
            req.ok();
        }
        receipts.sort();
        assert_eq!(receipts, ids, "every receipt names one of our messages");
        handle.enquire_link().await.unwrap();
        handle.unbind().await.unwrap();
    })
    .await
    .expect("interop test took too long");
}
