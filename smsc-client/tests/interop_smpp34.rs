//! Our ESME against the SMSC server of the `smpp34` crate (a dev-dependency, so nothing to
//! install), in process on 127.0.0.1. `#[ignore]`d like the other interop tests and run by
//! `.ci/run` in the same step (`--ignored interop`).
//!
//! The test's connection passes through a small recording proxy, so any failure prints every
//! PDU that crossed the wire in hex, in both directions.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr};
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use smpp_codec::{Body, ShortMessage, SubmitSm};
use smpp34::server::ESME;
use smpp34::{
    SmppConnectionInformation, SmppServer, SmppServerListener, bind_transceiver,
    bind_transceiver_resp, bind_transmitter, bind_transmitter_resp, submit_sm, submit_sm_resp,
    unbind, unbind_resp,
};
use smsc_client::esme::{EsmeClient, EsmeConfig, RequestError};
use smsc_client::session::BindKind;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

const LIMIT: Duration = Duration::from_secs(30);
const SYSTEM_ID: &str = "interop";
const PASSWORD: &str = "secret";

/// What the smpp34 server saw, for the test to check.
#[derive(Default)]
struct Seen {
    /// (command, system_id, password, interface_version) per bind.
    binds: Vec<(&'static str, String, String, u8)>,
    /// The text of every submit_sm, with the message id we answered.
    submits: Vec<(String, String)>,
    unbinds: usize,
}

struct Smsc {
    seen: Mutex<Seen>,
    next_id: AtomicU32,
    bound: mpsc::UnboundedSender<ESME>,
    unbound: mpsc::UnboundedSender<String>,
}

/// What `#[async_trait]` turns a trait's `async fn` into; smpp34's listener is such a trait,
/// and this crate does not depend on `async-trait`, so the impl below is written out by hand.
type Fut<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

impl SmppServerListener for Smsc {
    fn on_bind_transceiver<'s, 'c, 'i, 'f>(
        &'s self,
        req: bind_transceiver,
        _c: &'c SmppConnectionInformation,
        _s: &'i String,
    ) -> Fut<'f, bind_transceiver_resp>
    where
        's: 'f,
        'c: 'f,
        'i: 'f,
        Self: 'f,
    {
        Box::pin(async move {
            self.seen.lock().unwrap().binds.push((
                "bind_transceiver",
                req.system_id.clone(),
                req.password.clone(),
                req.interface_version,
            ));
            if req.system_id == SYSTEM_ID && req.password == PASSWORD {
                req.accept("smpp34".to_string(), Some(0x34))
            } else {
                req.reject(smpp34::SmppError::ESME_RINVPASWD)
            }
        })
    }

    fn on_bind_transmitter<'s, 'c, 'i, 'f>(
        &'s self,
        req: bind_transmitter,
        _c: &'c SmppConnectionInformation,
        _s: &'i String,
    ) -> Fut<'f, bind_transmitter_resp>
    where
        's: 'f,
        'c: 'f,
        'i: 'f,
        Self: 'f,
    {
        Box::pin(async move {
            self.seen.lock().unwrap().binds.push((
                "bind_transmitter",
                req.system_id.clone(),
                req.password.clone(),
                req.interface_version,
            ));
            if req.system_id == SYSTEM_ID && req.password == PASSWORD {
                req.accept("smpp34".to_string(), Some(0x34))
            } else {
                req.reject(smpp34::SmppError::ESME_RINVPASWD)
            }
        })
    }

    fn on_submit_sm<'s, 'c, 'i, 'f>(
        &'s self,
        req: submit_sm,
        _c: &'c SmppConnectionInformation,
        _s: &'i String,
    ) -> Fut<'f, submit_sm_resp>
    where
        's: 'f,
        'c: 'f,
        'i: 'f,
        Self: 'f,
    {
        Box::pin(async move {
            let id = format!("smpp34-{}", self.next_id.fetch_add(1, Ordering::SeqCst));
            let text = String::from_utf8_lossy(&req.short_message).into_owned();
            self.seen.lock().unwrap().submits.push((text, id.clone()));
            req.accept(id)
        })
    }

    fn on_unbind<'s, 'c, 'i, 'f>(
        &'s self,
        req: unbind,
        _c: &'c SmppConnectionInformation,
        _s: &'i String,
    ) -> Fut<'f, unbind_resp>
    where
        's: 'f,
        'c: 'f,
        'i: 'f,
        Self: 'f,
    {
        Box::pin(async move {
            self.seen.lock().unwrap().unbinds += 1;
            req.accept()
        })
    }

    fn on_esme_bound<'s, 'i, 'f>(&'s self, esme: ESME, _session_id: &'i String) -> Fut<'f, ()>
    where
        's: 'f,
        'i: 'f,
        Self: 'f,
    {
        Box::pin(async move {
            let _ = self.bound.send(esme);
        })
    }

    fn on_esme_unbound<'s, 'i, 'f>(&'s self, session_id: &'i String) -> Fut<'f, ()>
    where
        's: 'f,
        'i: 'f,
        Self: 'f,
    {
        Box::pin(async move {
            let _ = self.unbound.send(session_id.clone());
        })
    }
}

/// The bytes each way through one proxied connection.
#[derive(Clone, Default)]
struct Wire {
    to_smsc: Arc<Mutex<Vec<u8>>>,
    to_esme: Arc<Mutex<Vec<u8>>>,
}

impl Wire {
    /// Every PDU each way, as hex, one per line.
    fn dump(&self) -> String {
        let mut out = String::new();
        for (dir, bytes) in [
            ("esme -> smsc", &self.to_smsc),
            ("smsc -> esme", &self.to_esme),
        ] {
            let bytes = bytes.lock().unwrap();
            let _ = writeln!(out, "{dir}:");
            for pdu in split_pdus(&bytes) {
                let _ = writeln!(out, "  {}", hex::encode(pdu));
            }
        }
        out
    }

    /// (command_id, command_status, sequence_number) of every PDU the SMSC sent.
    fn headers_from_smsc(&self) -> Vec<(u32, u32, u32)> {
        split_pdus(&self.to_esme.lock().unwrap())
            .iter()
            .filter(|p| p.len() >= 16)
            .map(|p| (be32(p, 4), be32(p, 8), be32(p, 12)))
            .collect()
    }
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(b[at..at + 4].try_into().unwrap())
}

/// Splits a byte stream on `command_length`; a short or bogus tail is kept whole.
fn split_pdus(mut bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut pdus = Vec::new();
    while !bytes.is_empty() {
        let len = if bytes.len() >= 4 {
            be32(bytes, 0) as usize
        } else {
            0
        };
        let len = if (16..=bytes.len()).contains(&len) {
            len
        } else {
            bytes.len()
        };
        pdus.push(bytes[..len].to_vec());
        bytes = &bytes[len..];
    }
    pdus
}

/// Accepts one connection on a free port and relays it to `upstream`, recording both ways.
async fn recording_proxy(upstream: u16) -> (u16, Wire) {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let wire = Wire::default();
    let w = wire.clone();
    tokio::spawn(async move {
        let (esme, _) = listener.accept().await.unwrap();
        let smsc = TcpStream::connect((Ipv4Addr::LOCALHOST, upstream))
            .await
            .unwrap();
        let _ = esme.set_nodelay(true);
        let _ = smsc.set_nodelay(true);
        let (er, ew) = esme.into_split();
        let (sr, sw) = smsc.into_split();
        tokio::join!(
            relay(er, sw, w.to_smsc.clone()),
            relay(sr, ew, w.to_esme.clone())
        );
    });
    (port, wire)
}

async fn relay(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    log: Arc<Mutex<Vec<u8>>>,
) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                log.lock().unwrap().extend_from_slice(&buf[..n]);
                if to.write_all(&buf[..n]).await.is_err() {
                    break;
                }
            }
        }
    }
    let _ = to.shutdown().await;
}

/// A port that was free a moment ago: `SmppServer` takes a fixed port and cannot report the
/// one the OS chose for port 0, so we ask the OS ourselves and let go of it.
fn free_port() -> u16 {
    std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn submit(n: usize) -> SubmitSm {
    SubmitSm {
        source_addr: "12345".try_into().unwrap(),
        destination_addr: "447700900123".try_into().unwrap(),
        short_message: ShortMessage::new(format!("interop {n}")).unwrap(),
        ..SubmitSm::default()
    }
}

const GENERIC_NACK: u32 = 0x8000_0000;

#[tokio::test]
#[ignore = "needs interop/setup.sh (run by .ci/run)"]
async fn interop_our_esme_against_smpp34_server() {
    let (bound_tx, mut bound_rx) = mpsc::unbounded_channel();
    let (unbound_tx, mut unbound_rx) = mpsc::unbounded_channel();
    let smsc = Arc::new(Smsc {
        seen: Mutex::default(),
        next_id: AtomicU32::new(1),
        bound: bound_tx,
        unbound: unbound_tx,
    });
    let port = free_port();
    // Timers: 5 s to bind, enquire_link every 30 s, 300 s inactivity, 10 s per response.
    let mut server = SmppServer::new_with_default_timers(
        IpAddr::V4(Ipv4Addr::LOCALHOST),
        port,
        smsc.clone(),
        5_000,
        30_000,
        300_000,
        10_000,
        1500,
    );
    server.start().await;
    assert!(server.is_alive(), "smpp34 could not listen on {port}");

    // Transceiver: 50 concurrent submits, a deliver_sm from the SMSC, enquire_link, unbind.
    let (proxy, wire) = recording_proxy(port).await;
    let trx = tokio::time::timeout(LIMIT, async {
        let mut config =
            EsmeConfig::new(&format!("smpp://127.0.0.1:{proxy}"), SYSTEM_ID, PASSWORD).unwrap();
        config.bind_kind = BindKind::Transceiver;
        let (handle, mut inbound) = EsmeClient::connect(config).await.unwrap();
        let esme = bound_rx.recv().await.expect("smpp34 reports the bind");
        assert_eq!(esme.system_id, SYSTEM_ID);
        assert!(esme.can_receive, "a transceiver bind can receive");

        let count = 50;
        let tasks: Vec<_> = (0..count)
            .map(|n| {
                let h = handle.clone();
                tokio::spawn(async move { (n, h.submit_sm(submit(n)).await) })
            })
            .collect();
        let mut ours = HashMap::new();
        for t in tasks {
            let (n, resp) = t.await.unwrap();
            let resp = resp.unwrap_or_else(|e| panic!("submit {n}: {e}\n{}", wire.dump()));
            let id = resp.message_id.to_string();
            assert!(!id.is_empty(), "submit {n} got an empty message id");
            assert!(ours.insert(id, n).is_none(), "message ids are distinct");
        }
        // Each response names the id the server gave that very message.
        let seen: HashMap<String, String> = smsc
            .seen
            .lock()
            .unwrap()
            .submits
            .iter()
            .map(|(text, id)| (id.clone(), text.clone()))
            .collect();
        assert_eq!(seen.len(), count);
        for (id, n) in &ours {
            assert_eq!(seen[id], format!("interop {n}"), "response for {id}");
        }

        // A deliver_sm from the SMSC: our Inbound gets it, our responder's deliver_sm_resp
        // completes smpp34's send.
        let sender = tokio::spawn(async move {
            let r = esme
                .deliver_sm()
                .source_addr("447700900123")
                .destination_addr("12345")
                .short_message(b"mo from smpp34".to_vec())
                .send()
                .await;
            (esme, r)
        });
        let req = inbound.recv().await.expect("session closed early");
        match req.body() {
            Body::DeliverSm(sm) => {
                assert_eq!(sm.source_addr.to_string(), "447700900123");
                assert_eq!(sm.destination_addr.to_string(), "12345");
                assert_eq!(sm.short_message.as_bytes(), b"mo from smpp34");
            }
            other => panic!("unexpected {other:?}\n{}", wire.dump()),
        }
        req.ok();
        let (_esme, r) = sender.await.unwrap();
        let resp = r.unwrap_or_else(|e| panic!("smpp34's deliver_sm: {e:?}\n{}", wire.dump()));
        assert!(resp.is_success(), "{resp:?}");

        handle.enquire_link().await.unwrap();
        let unbound = handle.unbind().await;
        unbound_rx.recv().await.expect("smpp34 reports the unbind");
        assert!(inbound.recv().await.is_none(), "nothing after the unbind");
        unbound
    })
    .await;
    let Ok(unbound) = trx else {
        panic!("transceiver run took too long\n{}", wire.dump());
    };
    check_wire("transceiver", &wire, 50, unbound);

    // Transmitter: a few submits, enquire_link, unbind.
    let (proxy, wire) = recording_proxy(port).await;
    let trx = tokio::time::timeout(LIMIT, async {
        let mut config =
            EsmeConfig::new(&format!("smpp://127.0.0.1:{proxy}"), SYSTEM_ID, PASSWORD).unwrap();
        config.bind_kind = BindKind::Transmitter;
        let (handle, _inbound) = EsmeClient::connect(config).await.unwrap();
        let esme = bound_rx.recv().await.expect("smpp34 reports the bind");
        assert!(!esme.can_receive, "a transmitter bind cannot receive");
        for n in 100..105 {
            let resp = handle
                .submit_sm(submit(n))
                .await
                .unwrap_or_else(|e| panic!("submit {n}: {e}\n{}", wire.dump()));
            assert!(resp.message_id.to_string().starts_with("smpp34-"));
        }
        handle.enquire_link().await.unwrap();
        let unbound = handle.unbind().await;
        unbound_rx.recv().await.expect("smpp34 reports the unbind");
        unbound
    })
    .await;
    let Ok(unbound) = trx else {
        panic!("transmitter run took too long\n{}", wire.dump());
    };
    check_wire("transmitter", &wire, 5, unbound);

    server.stop().await;
    let seen = smsc.seen.lock().unwrap();
    assert_eq!(
        seen.binds,
        [
            ("bind_transceiver", SYSTEM_ID.into(), PASSWORD.into(), 0x34),
            ("bind_transmitter", SYSTEM_ID.into(), PASSWORD.into(), 0x34),
        ]
    );
    assert_eq!(seen.submits.len(), 55);
    assert_eq!(seen.unbinds, 2, "smpp34 handled both unbinds");
}

/// smpp34 answered everything we sent with success and never sent a generic_nack: if it had
/// found fault with one of our PDUs, it would say so here, with the PDUs in hex.
///
/// The unbind: smpp34 1.5.1 calls `on_unbind`, queues the `unbind_resp` for its writer task,
/// leaves its read loop and aborts that writer task straight away, so the `unbind_resp` is
/// in practice never written (not once in our runs, on current-thread or multi-thread
/// runtimes) and the SMSC just closes the TCP connection. Our `unbind()` must then fail with `RequestError::Closed` (it must not
/// claim a clean unbind it did not get); it must succeed exactly when the `unbind_resp` came.
fn check_wire(what: &str, wire: &Wire, submits: usize, unbound: Result<(), RequestError>) {
    let from_smsc = wire.headers_from_smsc();
    for &(id, status, seq) in &from_smsc {
        assert!(
            id != GENERIC_NACK && (id & 0x8000_0000 == 0 || status == 0),
            "{what}: smpp34 sent command_id {id:#010x} status {status:#010x} seq {seq}\n{}",
            wire.dump()
        );
    }
    let count = |cmd: u32| from_smsc.iter().filter(|p| p.0 == cmd).count();
    assert_eq!(
        count(0x8000_0004),
        submits,
        "{what}: submit_sm_resps\n{}",
        wire.dump()
    );
    assert_eq!(
        count(0x8000_0015),
        1,
        "{what}: enquire_link_resp\n{}",
        wire.dump()
    );
    let sent = split_pdus(&wire.to_smsc.lock().unwrap());
    let last = sent.last().map(|p| be32(p, 4));
    assert_eq!(
        last,
        Some(0x0000_0006),
        "{what}: our last PDU is the unbind\n{}",
        wire.dump()
    );
    match (count(0x8000_0006), unbound) {
        (1, Ok(())) | (0, Err(RequestError::Closed)) => {}
        (n, r) => panic!(
            "{what}: {n} unbind_resp, unbind() gave {r:?}\n{}",
            wire.dump()
        ),
    }
}
