//! An application that drops its handles and inbound streams: every abandoned session unbinds
//! and ends, however many there are, without its driver task keeping a worker thread busy
//! (which, with every worker taken, would starve the peers whose answers end those sessions).
//!
//! The scenario runs on its own thread with a watchdog: a driver that never yields blocks the
//! runtime, so a tokio timeout inside it could never fire.

use std::sync::mpsc;
use std::time::Duration;

use smsc_client::esme::{EsmeClient, EsmeConfig};
use smsc_client::session::{BindKind, CloseReason, Password, Side};
use smsc_client::smsc::{BindGrant, SmscConfig, SmscServer, StaticAuthenticator};

const WATCHDOG: Duration = Duration::from_secs(30);

/// Runs `binds` binds on a runtime with `workers` worker threads (0: current thread), drops
/// the ESME side of all of them and waits until every SMSC side has seen the unbind.
fn drop_esmes(workers: usize, binds: usize) {
    let (done_tx, done_rx) = mpsc::channel();
    std::thread::spawn(move || {
        let rt = if workers == 0 {
            tokio::runtime::Builder::new_current_thread()
        } else {
            let mut b = tokio::runtime::Builder::new_multi_thread();
            b.worker_threads(workers);
            b
        }
        .enable_all()
        .build()
        .unwrap();
        let reasons = rt.block_on(async {
            let auth = StaticAuthenticator::new().with_account(
                "esme",
                Password::try_from("secret").unwrap(),
                BindGrant::default(),
            );
            let mut server = SmscServer::bind("127.0.0.1:0", auth, SmscConfig::default())
                .await
                .unwrap();
            let url = format!("smpp://{}", server.local_addr());
            let mut config = EsmeConfig::new(&url, "esme", "secret").unwrap();
            config.bind_kind = BindKind::Transceiver;
            let mut esmes = Vec::new();
            let mut smscs = Vec::new();
            for _ in 0..binds {
                let (esme, smsc) =
                    tokio::join!(EsmeClient::connect(config.clone()), server.accept());
                esmes.push(esme.unwrap());
                smscs.push(smsc.unwrap());
            }
            drop(esmes);
            let mut reasons = Vec::new();
            for s in &smscs {
                reasons.push(s.handle().closed().await);
            }
            reasons
        });
        let _ = done_tx.send(reasons);
    });
    let reasons = done_rx
        .recv_timeout(WATCHDOG)
        .expect("abandoned sessions never ended: a driver is spinning");
    assert_eq!(reasons.len(), binds);
    for r in reasons {
        assert_eq!(r, CloseReason::Unbound { by: Side::Peer });
    }
}

#[test]
fn dropped_esmes_unbind_on_a_current_thread_runtime() {
    drop_esmes(0, 20);
}

#[test]
fn dropped_esmes_unbind_on_two_workers() {
    drop_esmes(2, 200);
}
