//! The SMSC simulator in process against our ESME over loopback: ids and receipts correlated,
//! the receipt state mix, throttling, MO injection (long texts reassembled), the drop and
//! malformed-PDU faults, TLS; and `smpp send --json` against `smpp sim` as child processes.

use std::collections::HashMap;
use std::future::Future;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt as _;
use futures::stream::FuturesUnordered;
use smpp_codec::coding::DefaultAlphabet;
use smpp_codec::reassembly::{Outcome, Reassembler, ReassemblyConfig};
use smpp_codec::receipt::{MessageState, Receipt};
use smpp_codec::{Body, COctetString, CommandStatus, ShortMessage, SubmitSm, TlvTag};
use smsc_client::esme::{EsmeClient, EsmeConfig, Handle, Inbound};
use smsc_client::net::RequestError;
use smsc_client::sim::{Faults, MoConfig, SimConfig, SimHandle, Simulator, StatusMix};
use smsc_client::tls::{CertifiedKeyPem, TlsClientConfig, TlsServerConfig};

const LIMIT: Duration = Duration::from_secs(30);

async fn bounded<F: Future>(f: F) -> F::Output {
    tokio::time::timeout(LIMIT, f)
        .await
        .expect("test took too long")
}

fn base() -> SimConfig {
    SimConfig::default()
        .account("esme", "secret")
        .receipt_delay(Duration::from_millis(5))
        .seed(7)
}

async fn connect(sim: &SimHandle, window: usize) -> (Handle, Inbound) {
    let url = format!("smpp://{}", sim.local_addr());
    let mut c = EsmeConfig::new(&url, "esme", "secret").unwrap();
    c.session.window = window;
    EsmeClient::connect(c).await.unwrap()
}

fn submit(n: usize, receipt: bool) -> SubmitSm {
    SubmitSm {
        source_addr_ton: 1,
        source_addr_npi: 1,
        source_addr: COctetString::try_from("447700900123").unwrap(),
        dest_addr_ton: 1,
        dest_addr_npi: 1,
        destination_addr: COctetString::try_from("447700900999").unwrap(),
        registered_delivery: u8::from(receipt),
        short_message: ShortMessage::new(format!("message {n}")).unwrap(),
        ..SubmitSm::default()
    }
}

/// Receipts seen: message id -> state; each deliver_sm is answered.
type Seen = Arc<Mutex<HashMap<String, MessageState>>>;

fn collect_receipts(mut inbound: Inbound) -> Seen {
    let seen: Seen = Arc::default();
    let s = seen.clone();
    tokio::spawn(async move {
        while let Some(req) = inbound.recv().await {
            if let Body::DeliverSm(sm) = req.body() {
                assert_eq!(sm.esm_class & 0x3C, 0x04, "a receipt");
                let raw = sm.tlvs.get(TlvTag::RECEIPTED_MESSAGE_ID).unwrap();
                assert_eq!(
                    raw.last(),
                    Some(&0),
                    "receipted_message_id is NUL-terminated"
                );
                let r = Receipt::from_deliver_sm(sm).unwrap();
                let text = r.text.as_ref().expect("a text form");
                assert_eq!(text.id, Some(r.message_id));
                let prev = s
                    .lock()
                    .unwrap()
                    .insert(r.message_id.to_owned(), r.state.unwrap());
                assert!(prev.is_none(), "one receipt per message");
            }
            req.ok();
        }
    });
    seen
}

/// Submits `n` messages with `window` in flight; results in order of completion.
async fn submit_many(
    handle: &Handle,
    n: usize,
    window: usize,
    receipt: bool,
) -> Vec<Result<String, RequestError>> {
    let mut out = Vec::new();
    let mut in_flight = FuturesUnordered::new();
    let mut next = 0;
    while next < n || !in_flight.is_empty() {
        while next < n && in_flight.len() < window {
            let h = handle.clone();
            let sm = submit(next, receipt);
            in_flight.push(async move { h.submit_sm(sm).await.map(|r| r.message_id.to_string()) });
            next += 1;
        }
        if let Some(r) = in_flight.next().await {
            out.push(r);
        }
    }
    out
}

async fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn submits_get_ids_and_delivered_receipts() {
    bounded(async {
        let sim = Simulator::start(base().receipt_states(StatusMix::only(MessageState::Delivered)))
            .await
            .unwrap();
        let (handle, inbound) = connect(&sim, 32).await;
        let seen = collect_receipts(inbound);
        let results = submit_many(&handle, 200, 32, true).await;
        let ids: Vec<String> = results.into_iter().map(Result::unwrap).collect();
        let unique: std::collections::HashSet<_> = ids.iter().collect();
        assert_eq!(unique.len(), 200, "ids are unique");
        wait_for("200 receipts", || seen.lock().unwrap().len() == 200).await;
        let seen = seen.lock().unwrap().clone();
        for id in &ids {
            assert_eq!(
                seen.get(id),
                Some(&MessageState::Delivered),
                "receipt for {id}"
            );
        }
        wait_for("counters", || sim.counters().receipts_sent == 200).await;
        let c = sim.counters();
        assert_eq!((c.binds, c.submits, c.accepted), (1, 200, 200));
        handle.unbind().await.unwrap();
        sim.shutdown().await;
    })
    .await;
}

/// An ESME bound as SMPP 3.3 gets no optional parameters (SMPP 3.4 §3.3): its receipts are
/// their text alone, its MOs plain; one bound as 3.4 gets the receipt TLVs. Nor message ids
/// over 8 characters (§3.3): with the counter past 10^8, decimal ids wrap for the 3.3 ESME,
/// in the `submit_sm_resp` and the receipt alike.
#[tokio::test]
async fn an_smpp_3_3_esme_gets_no_tlvs() {
    bounded(async {
        let mut config = base().id_format(smsc_client::sim::IdFormat::Decimal);
        config.first_id = 123_456_789;
        let sim = Simulator::start(config).await.unwrap();
        for (version, with_tlvs, want_id) in
            [(0x33u8, false, "23456789"), (0x34, true, "123456790")]
        {
            let url = format!("smpp://{}", sim.local_addr());
            let mut c = EsmeConfig::new(&url, "esme", "secret").unwrap();
            c.interface_version = version;
            let (handle, mut inbound) = EsmeClient::connect(c).await.unwrap();
            let id = handle.submit_sm(submit(1, true)).await.unwrap().message_id;
            assert_eq!(id.to_string(), want_id, "{version:#x}");
            let req = inbound.recv().await.unwrap();
            let Body::DeliverSm(sm) = req.body() else {
                panic!("{:?}", req.body());
            };
            assert_eq!(sm.tlvs.iter().next().is_some(), with_tlvs, "{version:#x}");
            let r = Receipt::from_deliver_sm(sm).unwrap();
            assert_eq!(r.message_id, id.to_string().as_str(), "{version:#x}");
            req.ok();
            // The injection returns once the MO is answered: both at once.
            let (sent, ()) = tokio::join!(
                sim.inject_mo("hello", "447700900001", "12345", Some("esme")),
                async {
                    let req = inbound.recv().await.unwrap();
                    let Body::DeliverSm(sm) = req.body() else {
                        panic!("{:?}", req.body());
                    };
                    assert_eq!(sm.short_message.as_bytes(), b"hello");
                    if !with_tlvs {
                        assert!(sm.tlvs.iter().next().is_none());
                    }
                    req.ok();
                }
            );
            assert_eq!(sent.unwrap(), 1);
            handle.unbind().await.unwrap();
        }
        sim.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn no_receipt_unless_asked_and_query_sm() {
    bounded(async {
        let sim = Simulator::start(base().id_format(smsc_client::sim::IdFormat::Decimal))
            .await
            .unwrap();
        let (handle, inbound) = connect(&sim, 8).await;
        let seen = collect_receipts(inbound);
        let ids: Vec<String> = submit_many(&handle, 5, 8, false)
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect();
        assert!(ids.iter().all(|id| id.parse::<u64>().is_ok()), "{ids:?}");
        let q = handle
            .query_sm(smpp_codec::QuerySm {
                message_id: ids[0].as_str().try_into().unwrap(),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(q.message_state, MessageState::Enroute.as_u8());
        let unknown = handle
            .query_sm(smpp_codec::QuerySm {
                message_id: "nope".try_into().unwrap(),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(
            unknown.command_status(),
            Some(CommandStatus::ESME_RQUERYFAIL)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(seen.lock().unwrap().is_empty());
        assert_eq!(sim.counters().receipts_sent, 0);
        sim.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn status_mix_roughly_holds() {
    bounded(async {
        let mix: StatusMix = "DELIVRD=70,UNDELIV=10,EXPIRED=10,REJECTD=10"
            .parse()
            .unwrap();
        let sim = Simulator::start(base().receipt_states(mix).seed(42))
            .await
            .unwrap();
        let (handle, inbound) = connect(&sim, 64).await;
        let seen = collect_receipts(inbound);
        let results = submit_many(&handle, 1000, 64, true).await;
        assert!(results.iter().all(Result::is_ok));
        wait_for("1000 receipts", || seen.lock().unwrap().len() == 1000).await;
        let mut by_state: HashMap<MessageState, usize> = HashMap::new();
        for s in seen.lock().unwrap().values() {
            *by_state.entry(*s).or_default() += 1;
        }
        let near = |state, expected: usize| {
            let got = by_state.get(&state).copied().unwrap_or(0);
            assert!(
                got.abs_diff(expected) <= 50,
                "{state:?}: {got}, expected about {expected} ({by_state:?})"
            );
        };
        near(MessageState::Delivered, 700);
        near(MessageState::Undeliverable, 100);
        near(MessageState::Expired, 100);
        near(MessageState::Rejected, 100);
        sim.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn throttle_fault_answers_a_share_with_rthrottled() {
    bounded(async {
        let sim = Simulator::start(base().faults(Faults {
            throttle_pct: 30.0,
            ..Faults::default()
        }))
        .await
        .unwrap();
        let (handle, _inbound) = connect(&sim, 32).await;
        let results = submit_many(&handle, 1000, 32, false).await;
        let throttled = results
            .iter()
            .filter(|r| {
                r.as_ref()
                    .is_err_and(|e| e.command_status() == Some(CommandStatus::ESME_RTHROTTLED))
            })
            .count();
        let ok = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(ok + throttled, 1000);
        assert!(
            (230..=370).contains(&throttled),
            "{throttled} throttled of 1000"
        );
        assert_eq!(sim.counters().throttled, throttled as u64);
        sim.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn mo_injection_delivers_texts_and_long_ones_in_parts() {
    bounded(async {
        let long: String = "The quick brown fox jumps over the lazy dog. ".repeat(9);
        assert!(long.len() > 160);
        let sim = Simulator::start(base().mo(MoConfig {
            texts: vec!["STOP".into(), long.clone()],
            rate_per_sec: 50.0,
            count: Some(2),
            ..MoConfig::default()
        }))
        .await
        .unwrap();
        let (handle, mut inbound) = connect(&sim, 8).await;
        let mut reassembler = Reassembler::new(ReassemblyConfig::default());
        let mut texts = Vec::new();
        let mut parts = 0;
        while texts.len() < 3 {
            if texts.len() == 2 {
                // One more, through the handle.
                let sent = sim.inject_mo("HELP", "447700900555", "12345", Some("esme"));
                let received = async {
                    let req = inbound.recv().await.expect("session open");
                    let Body::DeliverSm(sm) = req.body() else {
                        panic!("not a deliver_sm")
                    };
                    assert_eq!(sm.source_addr.to_string(), "447700900555");
                    let outcome = reassembler
                        .push_deliver_sm(std::time::Instant::now(), sm)
                        .unwrap();
                    req.ok();
                    let Outcome::Complete(m) = outcome else {
                        panic!("HELP is whole")
                    };
                    m.text(DefaultAlphabet::GsmUnpacked).unwrap()
                };
                let (n, text) = tokio::join!(sent, received);
                assert_eq!(n.unwrap(), 1);
                texts.push(text);
                continue;
            }
            let req = inbound.recv().await.expect("session open");
            let Body::DeliverSm(sm) = req.body() else {
                panic!("not a deliver_sm")
            };
            assert_eq!(sm.esm_class & 0x3C, 0, "an MO, not a receipt");
            parts += 1;
            if let Outcome::Complete(m) = reassembler
                .push_deliver_sm(std::time::Instant::now(), sm)
                .unwrap()
            {
                texts.push(m.text(DefaultAlphabet::GsmUnpacked).unwrap());
            }
            req.ok();
        }
        assert_eq!(texts, vec!["STOP".to_owned(), long, "HELP".to_owned()]);
        assert!(
            parts >= 4,
            "the long text came in parts ({parts} deliver_sm)"
        );
        assert_eq!(sim.counters().mo_sent, 3);
        handle.unbind().await.unwrap();
        sim.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn drop_fault_closes_the_session_and_fails_pending_requests() {
    bounded(async {
        let sim = Simulator::start(base().faults(Faults {
            drop_after_submits: Some(10),
            response_delay: Some(Duration::from_millis(50)),
            ..Faults::default()
        }))
        .await
        .unwrap();
        let (handle, _inbound) = connect(&sim, 32).await;
        let results = submit_many(&handle, 30, 32, false).await;
        let closed = results
            .iter()
            .filter(|r| matches!(r, Err(RequestError::Closed)))
            .count();
        // A request still queued when the connection dies (a stalled machine) never went out.
        let not_sent = results
            .iter()
            .filter(|r| matches!(r, Err(RequestError::NotSent)))
            .count();
        let ok = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(closed + not_sent + ok, 30, "{results:?}");
        assert!(
            closed + not_sent >= 21,
            "requests in flight failed Closed or NotSent: {closed} + {not_sent}"
        );
        handle.closed().await;
        assert!(handle.close_reason().is_some());
        assert_eq!(sim.counters().connections_dropped, 1);
        sim.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn malformed_pdu_fault_costs_a_nack_not_the_bind() {
    bounded(async {
        let sim = Simulator::start(base().faults(Faults {
            malformed_after_submits: Some(3),
            ..Faults::default()
        }))
        .await
        .unwrap();
        let (handle, inbound) = connect(&sim, 4).await;
        let _seen = collect_receipts(inbound);
        for n in 0..3 {
            handle.submit_sm(submit(n, false)).await.unwrap();
        }
        wait_for("the malformed PDU", || sim.counters().malformed_sent == 1).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        for n in 3..6 {
            handle.submit_sm(submit(n, false)).await.unwrap();
        }
        handle.enquire_link().await.unwrap();
        assert!(handle.close_reason().is_none());
        handle.unbind().await.unwrap();
        sim.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn tls_with_and_without_the_relay() {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    bounded(async {
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let leaf_key = KeyPair::generate().unwrap();
        let leaf = CertificateParams::new(vec!["localhost".to_owned()])
            .unwrap()
            .signed_by(&leaf_key, &ca, &ca_key)
            .unwrap();
        for relay in [false, true] {
            let mut config = base();
            config.smsc.tls = Some(TlsServerConfig::new(CertifiedKeyPem::new(
                leaf.pem(),
                leaf_key.serialize_pem(),
            )));
            if relay {
                config.faults.malformed_after_submits = Some(1000);
            }
            let sim = Simulator::start(config).await.unwrap();
            let url = format!("smpps://127.0.0.1:{}", sim.local_addr().port());
            let mut esme = EsmeConfig::new(&url, "esme", "secret").unwrap();
            let mut tls = TlsClientConfig::with_ca_pem(ca.pem());
            tls.server_name = Some("localhost".into());
            esme.tls = Some(tls);
            let (handle, inbound) = EsmeClient::connect(esme).await.unwrap();
            let seen = collect_receipts(inbound);
            let id = handle.submit_sm(submit(1, true)).await.unwrap().message_id;
            let id = id.to_string();
            wait_for("the receipt", || seen.lock().unwrap().contains_key(&id)).await;
            handle.unbind().await.unwrap();
            sim.shutdown().await;
        }
    })
    .await;
}

#[tokio::test]
async fn wrong_credentials_are_refused() {
    bounded(async {
        let sim = Simulator::start(base()).await.unwrap();
        let url = format!("smpp://{}", sim.local_addr());
        let bad = EsmeConfig::new(&url, "esme", "nope").unwrap();
        let err = EsmeClient::connect(bad).await.unwrap_err();
        assert!(err.to_string().contains("ESME_RINVPASWD"), "{err}");
        let bad = EsmeConfig::new(&url, "who", "secret").unwrap();
        let err = EsmeClient::connect(bad).await.unwrap_err();
        assert!(err.to_string().contains("ESME_RINVSYSID"), "{err}");
        sim.shutdown().await;
    })
    .await;
}

/// Kills the child on drop.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn smpp_send_json_against_smpp_sim() {
    bounded(async {
        let bin = env!("CARGO_BIN_EXE_smpp");
        let mut sim = Killed(
            Command::new(bin)
                .args([
                    "sim",
                    "--listen",
                    "127.0.0.1:0",
                    "--system-id",
                    "esme",
                    "--password",
                    "secret",
                    "--receipt-delay-ms",
                    "10",
                ])
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        );
        let stdout = sim.0.stdout.take().unwrap();
        let addr = tokio::task::spawn_blocking(move || {
            let mut line = String::new();
            BufReader::new(stdout).read_line(&mut line).unwrap();
            line.trim()
                .strip_prefix("listening on ")
                .unwrap_or_else(|| panic!("first line: {line:?}"))
                .to_owned()
        })
        .await
        .unwrap();
        let long = "x".repeat(200);
        let output = tokio::task::spawn_blocking(move || {
            Command::new(bin)
                .args([
                    "send",
                    "--addr",
                    &addr,
                    "--system-id",
                    "esme",
                    "--password",
                    "secret",
                    "--from",
                    "12345",
                    "--to",
                    "447700900123",
                    "--text",
                    &long,
                    "--count",
                    "25",
                    "--window",
                    "8",
                    "--wait-receipts",
                    "10",
                    "--json",
                ])
                .output()
                .unwrap()
        })
        .await
        .unwrap();
        let stdout = String::from_utf8(output.stdout).unwrap();
        assert_eq!(
            output.status.code(),
            Some(0),
            "stdout {stdout} stderr {}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(stdout.lines().count(), 1, "exactly one object: {stdout}");
        let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        // 200 characters take 2 parts: 50 submit_sm.
        assert_eq!(v["sent"], 50, "{v}");
        assert_eq!(v["accepted"], 50, "{v}");
        assert_eq!(v["failed"], serde_json::json!({}), "{v}");
        assert_eq!(v["receipts"], serde_json::json!({"DELIVRD": 50}), "{v}");
        assert!(v["msgs_per_s"].as_f64().unwrap() > 0.0);
        assert!(
            v["latency_ms"]["p50"].as_f64().unwrap() <= v["latency_ms"]["p99"].as_f64().unwrap()
        );
        drop(sim);
    })
    .await;
}
