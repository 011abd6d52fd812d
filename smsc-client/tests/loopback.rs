//! Our ESME against our SMSC side over loopback TCP (and TLS): binds, a windowed burst of
//! submits, deliveries with responders, unbind from either side, timeouts, limits.

use std::future::Future;
use std::time::Duration;

use smpp_codec::{Body, CommandStatus, DeliverSm, ShortMessage, SubmitSm, SubmitSmResp};
use smsc_client::esme::{ConnectError, EsmeClient, EsmeConfig, Handle, Inbound};
use smsc_client::net::RequestError;
use smsc_client::session::{BindKind, CloseReason, Password, Side};
use smsc_client::smsc::{BindGrant, SmscConfig, SmscServer, SmscSession, StaticAuthenticator};
use smsc_client::tls::{CertifiedKeyPem, TlsClientConfig, TlsServerConfig};

const LIMIT: Duration = Duration::from_secs(20);

async fn bounded<F: Future>(f: F) -> F::Output {
    tokio::time::timeout(LIMIT, f)
        .await
        .expect("test took too long")
}

fn auth(grant: BindGrant) -> StaticAuthenticator {
    StaticAuthenticator::new()
        .with_account("esme", Password::try_from("secret").unwrap(), grant)
        .with_account(
            "other",
            Password::try_from("pw2").unwrap(),
            BindGrant::default(),
        )
}

async fn server(grant: BindGrant, config: SmscConfig) -> SmscServer {
    SmscServer::bind("127.0.0.1:0", auth(grant), config)
        .await
        .unwrap()
}

fn esme_config(server: &SmscServer, kind: BindKind) -> EsmeConfig {
    let url = format!("smpp://{}", server.local_addr());
    let mut c = EsmeConfig::new(&url, "esme", "secret").unwrap();
    c.bind_kind = kind;
    c
}

/// Connects and accepts: both ends of one bound session.
async fn pair(server: &mut SmscServer, config: EsmeConfig) -> (Handle, Inbound, SmscSession) {
    let (esme, smsc) = tokio::join!(EsmeClient::connect(config), server.accept());
    let (handle, inbound) = esme.unwrap();
    (handle, inbound, smsc.unwrap())
}

async fn pair_kind(server: &mut SmscServer, kind: BindKind) -> (Handle, Inbound, SmscSession) {
    let config = esme_config(server, kind);
    pair(server, config).await
}

fn submit(n: usize) -> SubmitSm {
    SubmitSm {
        source_addr: "12345".try_into().unwrap(),
        destination_addr: "447700900000".try_into().unwrap(),
        short_message: ShortMessage::new(format!("message {n}")).unwrap(),
        ..SubmitSm::default()
    }
}

/// Answers every submit_sm with message_id = its text's number.
fn answer_submits(mut session: SmscSession) -> tokio::task::JoinHandle<usize> {
    tokio::spawn(async move {
        let mut n = 0;
        while let Some(req) = session.recv().await {
            let (pdu, responder) = req.into_parts();
            let Body::SubmitSm(sm) = pdu.body else {
                continue;
            };
            let text = String::from_utf8(sm.short_message.as_bytes().to_vec()).unwrap();
            let id = text.trim_start_matches("message ").to_owned();
            let body = Body::SubmitSmResp(SubmitSmResp {
                message_id: id.as_str().try_into().unwrap(),
                ..SubmitSmResp::default()
            });
            responder.unwrap().respond(body).unwrap();
            n += 1;
        }
        n
    })
}

#[tokio::test]
async fn binds_tx_rx_trx_and_refuses_a_wrong_password() {
    bounded(async {
        let mut server = server(BindGrant::default(), SmscConfig::default()).await;
        for kind in [
            BindKind::Transmitter,
            BindKind::Receiver,
            BindKind::Transceiver,
        ] {
            let (handle, _inbound, smsc) = pair_kind(&mut server, kind).await;
            assert_eq!(handle.info().kind, kind);
            assert_eq!(handle.info().peer_system_id, "smsc");
            assert_eq!(smsc.info().kind, kind);
            assert_eq!(smsc.info().system_id, "esme");
            handle.unbind().await.unwrap();
            assert_eq!(
                smsc.handle().closed().await,
                CloseReason::Unbound { by: Side::Peer }
            );
        }
        let mut bad = esme_config(&server, BindKind::Transceiver);
        bad.password = Password::try_from("wrong").unwrap();
        match EsmeClient::connect(bad).await {
            Err(ConnectError::BindRejected(s)) => assert_eq!(s, CommandStatus::ESME_RBINDFAIL),
            other => panic!("expected a refused bind, got {other:?}"),
        }
    })
    .await;
}

#[tokio::test]
async fn a_thousand_submits_through_a_window_of_64() {
    bounded(async {
        let mut server = server(BindGrant::default(), SmscConfig::default()).await;
        let mut config = esme_config(&server, BindKind::Transceiver);
        config.session.window = 64;
        let (handle, _inbound, smsc) = pair(&mut server, config).await;
        let answered = answer_submits(smsc);
        let mut tasks = tokio::task::JoinSet::new();
        for n in 0..1000 {
            let h = handle.clone();
            tasks.spawn(async move {
                assert!(h.window_available() <= 64);
                let resp = h.submit_sm(submit(n)).await.unwrap();
                assert_eq!(resp.message_id.to_string(), n.to_string());
            });
        }
        while let Some(r) = tasks.join_next().await {
            r.unwrap();
        }
        assert_eq!(handle.window_available(), 64);
        handle.unbind().await.unwrap();
        assert_eq!(answered.await.unwrap(), 1000);
    })
    .await;
}

#[tokio::test]
async fn deliver_sm_is_answered_by_the_responder_and_a_dropped_one_says_rx_t_appn() {
    bounded(async {
        let mut server = server(BindGrant::default(), SmscConfig::default()).await;
        let (handle, mut inbound, smsc) = pair_kind(&mut server, BindKind::Receiver).await;
        let smsc = smsc.handle().clone();
        let mo = DeliverSm {
            source_addr: "447700900000".try_into().unwrap(),
            destination_addr: "12345".try_into().unwrap(),
            short_message: ShortMessage::new(&b"STOP"[..]).unwrap(),
            ..DeliverSm::default()
        };
        let sent = tokio::spawn({
            let smsc = smsc.clone();
            let mo = mo.clone();
            async move { smsc.deliver_sm(mo).await }
        });
        let req = inbound.recv().await.unwrap();
        assert_eq!(req.body(), &Body::DeliverSm(mo.clone()));
        req.ok();
        sent.await.unwrap().unwrap();

        let sent = tokio::spawn({
            let smsc = smsc.clone();
            async move { smsc.deliver_sm(mo).await }
        });
        drop(inbound.recv().await.unwrap());
        match sent.await.unwrap() {
            Err(e @ RequestError::Status { .. }) => {
                assert_eq!(e.command_status(), Some(CommandStatus::ESME_RX_T_APPN));
                assert!(e.is_temporary());
            }
            other => panic!("expected ESME_RX_T_APPN, got {other:?}"),
        }
        drop(handle);
    })
    .await;
}

#[tokio::test]
async fn esme_unbind_fails_pending_requests_closed() {
    bounded(async {
        let mut server = server(BindGrant::default(), SmscConfig::default()).await;
        let (handle, _inbound, mut smsc) = pair_kind(&mut server, BindKind::Transmitter).await;
        let mut pending = tokio::task::JoinSet::new();
        for n in 0..5 {
            let h = handle.clone();
            pending.spawn(async move { h.submit_sm(submit(n)).await });
        }
        // The SMSC application holds the five without answering.
        let mut held = Vec::new();
        for _ in 0..5 {
            held.push(smsc.recv().await.unwrap());
        }
        handle.unbind().await.unwrap();
        while let Some(r) = pending.join_next().await {
            assert_eq!(r.unwrap(), Err(RequestError::Closed));
        }
        assert_eq!(
            handle.closed().await,
            CloseReason::Unbound { by: Side::Local }
        );
        assert_eq!(
            smsc.handle().closed().await,
            CloseReason::Unbound { by: Side::Peer }
        );
        assert!(smsc.recv().await.is_none(), "the inbound stream ends");
        assert_eq!(handle.submit_sm(submit(9)).await, Err(RequestError::Closed));
    })
    .await;
}

#[tokio::test]
async fn smsc_unbind_fails_pending_requests_closed() {
    bounded(async {
        let mut server = server(BindGrant::default(), SmscConfig::default()).await;
        let (handle, _inbound, mut smsc) = pair_kind(&mut server, BindKind::Transceiver).await;
        let h = handle.clone();
        let pending = tokio::spawn(async move { h.submit_sm(submit(1)).await });
        let _held = smsc.recv().await.unwrap();
        smsc.handle().unbind().await.unwrap();
        assert_eq!(pending.await.unwrap(), Err(RequestError::Closed));
        assert_eq!(
            handle.closed().await,
            CloseReason::Unbound { by: Side::Peer }
        );
    })
    .await;
}

#[tokio::test]
async fn a_response_timeout_fails_one_request_only() {
    bounded(async {
        let mut server = server(BindGrant::default(), SmscConfig::default()).await;
        let mut config = esme_config(&server, BindKind::Transmitter);
        config.session.response_timeout = Duration::from_millis(300);
        let (handle, _inbound, mut smsc) = pair(&mut server, config).await;
        let h = handle.clone();
        let slow = tokio::spawn(async move { h.submit_sm(submit(1)).await });
        let held = smsc.recv().await.unwrap();
        let r = slow.await.unwrap();
        assert!(
            matches!(r, Err(RequestError::Timeout { .. })),
            "expected a timeout, got {r:?}"
        );
        drop(held); // its late answer is dropped by the ESME's session
        let h = handle.clone();
        let fast = tokio::spawn(async move { h.submit_sm(submit(2)).await });
        smsc.recv().await.unwrap().ok();
        fast.await.unwrap().unwrap();
        assert!(handle.close_reason().is_none(), "still bound");
    })
    .await;
}

#[tokio::test]
async fn a_full_inbound_queue_answers_msgqful() {
    bounded(async {
        let mut server = server(BindGrant::default(), SmscConfig::default()).await;
        let mut config = esme_config(&server, BindKind::Receiver);
        config.session.max_inbound_pending = 2;
        let (_handle, mut inbound, smsc) = pair(&mut server, config).await;
        let smsc = smsc.handle().clone();
        let mut sent = tokio::task::JoinSet::new();
        for _ in 0..3 {
            let s = smsc.clone();
            sent.spawn(async move { s.deliver_sm(DeliverSm::default()).await });
        }
        // Not reading: the third is refused by the ESME's session itself.
        let third = sent.join_next().await.unwrap().unwrap();
        assert_eq!(
            third.unwrap_err().command_status(),
            Some(CommandStatus::ESME_RMSGQFUL)
        );
        inbound.recv().await.unwrap().ok();
        inbound.recv().await.unwrap().ok();
        while let Some(r) = sent.join_next().await {
            r.unwrap().unwrap();
        }
    })
    .await;
}

#[tokio::test]
async fn max_binds_per_system_id() {
    bounded(async {
        let grant = BindGrant {
            max_binds: Some(1),
            ..BindGrant::default()
        };
        let mut server = server(grant, SmscConfig::default()).await;
        let (first, _inbound, smsc) = pair_kind(&mut server, BindKind::Transceiver).await;
        match EsmeClient::connect(esme_config(&server, BindKind::Transceiver)).await {
            Err(ConnectError::BindRejected(s)) => assert_eq!(s, CommandStatus::ESME_RBINDFAIL),
            other => panic!("expected a refused bind, got {other:?}"),
        }
        first.unbind().await.unwrap();
        smsc.handle().closed().await;
        // The slot is free again once the first session is gone.
        let mut again = None;
        for _ in 0..50 {
            match EsmeClient::connect(esme_config(&server, BindKind::Transceiver)).await {
                Ok(ok) => {
                    again = Some(ok);
                    break;
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
        assert!(again.is_some());
    })
    .await;
}

#[tokio::test]
async fn tls_bind_with_a_test_ca() {
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

        let config = SmscConfig {
            tls: Some(TlsServerConfig::new(CertifiedKeyPem::new(
                leaf.pem(),
                leaf_key.serialize_pem(),
            ))),
            ..SmscConfig::default()
        };
        let mut server = server(BindGrant::default(), config).await;
        let url = format!("smpps://127.0.0.1:{}", server.local_addr().port());
        let mut esme = EsmeConfig::new(&url, "esme", "secret").unwrap();
        let mut tls = TlsClientConfig::with_ca_pem(ca.pem());
        tls.server_name = Some("localhost".into());
        esme.tls = Some(tls);
        assert!(!format!("{esme:?}").contains("secret"));
        let (handle, _inbound, smsc) = pair(&mut server, esme).await;
        let answered = answer_submits(smsc);
        let resp = handle.submit_sm(submit(7)).await.unwrap();
        assert_eq!(resp.message_id.to_string(), "7");
        handle.unbind().await.unwrap();
        assert_eq!(answered.await.unwrap(), 1);

        // A client that does not trust the CA fails the handshake.
        let other_ca_key = KeyPair::generate().unwrap();
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let other_ca = p.self_signed(&other_ca_key).unwrap();
        let mut esme = EsmeConfig::new(&url, "esme", "secret").unwrap();
        let mut tls = TlsClientConfig::with_ca_pem(other_ca.pem());
        tls.server_name = Some("localhost".into());
        esme.tls = Some(tls);
        assert!(matches!(
            EsmeClient::connect(esme).await,
            Err(ConnectError::TlsHandshake { .. })
        ));
    })
    .await;
}

#[test]
fn debug_output_hides_credentials() {
    let c = EsmeConfig::new("smpp://127.0.0.1:2775", "esme", "hunter2").unwrap();
    let s = format!("{c:?}");
    assert!(!s.contains("hunter2"), "{s}");
    let a = auth(BindGrant::default());
    let s = format!("{a:?}");
    assert!(!s.contains("secret") && s.contains("esme"), "{s}");
    let k = CertifiedKeyPem::new("CHAIN", "-----BEGIN PRIVATE KEY-----KEYDATA");
    assert!(!format!("{k:?}").contains("KEYDATA"));
}
