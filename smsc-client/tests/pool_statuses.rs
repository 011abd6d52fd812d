//! What each kind of answer leads to in a pool, against a scripted SMSC (our SMSC side):
//! a permanent status fails at once with it, a temporary one is retried with backoff up to
//! the limit, a transient one is retried to success, and an accepted submit with a v5
//! `congestion_state` near 100 pauses the carrier (counted as a throttle event); and a carrier
//! whose binds never come up fails its messages as unavailable.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use smpp_codec::tlv::{TlvTag, Tlvs};
use smpp_codec::{Body, COctetString, CommandStatus, SubmitSmResp};
use smsc_client::net::RequestError;
use smsc_client::pool::{CarrierConfig, OutboundMessage, Pool, PoolConfig, SubmitFailure};
use smsc_client::session::Password;
use smsc_client::smsc::{BindGrant, SmscConfig, SmscServer, StaticAuthenticator};

type Counts = Arc<Mutex<HashMap<String, u32>>>;

/// Answers by destination prefix: 1 ESME_RINVDSTADR, 2 ESME_RSYSERR always, 3 OK with
/// congestion_state 95, 4 ESME_RSYSERR the first time then OK, else OK.
async fn scripted_smsc(counts: Counts) -> std::net::SocketAddr {
    let auth = StaticAuthenticator::new().with_account(
        "pool",
        Password::try_from("secret").unwrap(),
        BindGrant::default(),
    );
    let mut server = SmscServer::bind("127.0.0.1:0", auth, SmscConfig::default())
        .await
        .unwrap();
    let addr = server.local_addr();
    tokio::spawn(async move {
        while let Some(session) = server.accept().await {
            let counts = counts.clone();
            tokio::spawn(async move {
                let (_handle, mut inbound) = session.into_parts();
                while let Some(req) = inbound.recv().await {
                    let (pdu, responder) = req.into_parts();
                    let Some(r) = responder else { continue };
                    let Body::SubmitSm(sm) = pdu.body else {
                        r.ok();
                        continue;
                    };
                    let dest = sm.destination_addr.to_string();
                    let n = {
                        let mut c = counts.lock().unwrap();
                        let n = c.entry(dest.clone()).or_insert(0);
                        *n += 1;
                        *n
                    };
                    let ok = |tlvs: Tlvs| {
                        Body::SubmitSmResp(SubmitSmResp {
                            message_id: COctetString::try_from(format!("{dest}-{n}").as_str())
                                .unwrap(),
                            tlvs,
                        })
                    };
                    match dest.as_bytes()[0] {
                        b'1' => r.reject(CommandStatus::ESME_RINVDSTADR),
                        b'2' => r.reject(CommandStatus::ESME_RSYSERR),
                        b'3' => {
                            let tlvs = Tlvs::builder()
                                .push(TlvTag::CONGESTION_STATE, &[95])
                                .unwrap()
                                .build();
                            r.respond(ok(tlvs)).unwrap();
                        }
                        b'4' if n == 1 => r.reject(CommandStatus::ESME_RSYSERR),
                        _ => r.respond(ok(Tlvs::default())).unwrap(),
                    }
                }
            });
        }
    });
    addr
}

#[tokio::test]
async fn answers_lead_to_fail_retry_or_pause() {
    tokio::time::timeout(Duration::from_secs(30), async {
        let counts = Counts::default();
        let addr = scripted_smsc(counts.clone()).await;
        let mut c = CarrierConfig::new("acme", &[&format!("smpp://{addr}")], "pool", "secret");
        c.retry.max_retries = 3;
        c.retry.backoff_min_ms = 1;
        c.retry.backoff_max_ms = 5;
        c.retry.throttle_pause_ms = 300;
        c.retry.throttle_pause_max_ms = 300;
        let mut config = PoolConfig {
            carriers: vec![c],
            ..PoolConfig::default()
        };
        config.routing.fallback = Some("acme".into());
        let (pool, _events) = Pool::start(config).unwrap();
        assert!(pool.wait_all_bound(Duration::from_secs(10)).await);
        let send = |id: &str, to: &str| pool.submit(OutboundMessage::text(id, "ACME", to, "hi"));

        let o = send("perm", "1000").await.unwrap();
        assert_eq!(
            o.result,
            Err(SubmitFailure::Rejected(CommandStatus::ESME_RINVDSTADR))
        );
        assert_eq!(o.attempts, 1);
        assert_eq!(
            o.result.unwrap_err().command_status(),
            Some(CommandStatus::ESME_RINVDSTADR)
        );

        let o = send("temp", "2000").await.unwrap();
        match &o.result {
            Err(SubmitFailure::RetriesExhausted {
                retries: 3,
                last: RequestError::Status { status, .. },
            }) => assert_eq!(*status, CommandStatus::ESME_RSYSERR),
            other => panic!("{other:?}"),
        }
        assert_eq!(o.attempts, 4);
        assert!(!o.possible_duplicate, "an error status is an answer");

        let o = send("transient", "4000").await.unwrap();
        assert!(o.is_accepted(), "{o:?}");
        assert_eq!(
            (o.attempts, o.message_ids.as_slice()),
            (2, &["4000-2".to_owned()][..])
        );

        // Congestion near 100: accepted, and the carrier pauses before the next submit.
        let o = send("congested", "3000").await.unwrap();
        assert!(o.is_accepted(), "{o:?}");
        let t = Instant::now();
        let o = send("after", "5000").await.unwrap();
        assert!(o.is_accepted());
        assert!(
            t.elapsed() >= Duration::from_millis(250),
            "paused only {:?}",
            t.elapsed()
        );
        let stats = pool.carrier_stats("acme").unwrap();
        assert_eq!(stats.throttle_events, 1);
        assert_eq!((stats.accepted, stats.failed), (3, 2));
        assert_eq!(counts.lock().unwrap()["2000"], 4);
        pool.shutdown().await;
    })
    .await
    .expect("test took too long");
}

#[tokio::test]
async fn messages_fail_unavailable_when_no_bind_comes_up() {
    tokio::time::timeout(Duration::from_secs(30), async {
        let dead = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap()
        };
        let mut c = CarrierConfig::new("acme", &[&format!("smpp://{dead}")], "pool", "secret");
        c.unavailable_timeout_ms = 300;
        c.rebind.min_delay_ms = 10;
        c.rebind.max_delay_ms = 50;
        let mut config = PoolConfig {
            carriers: vec![c],
            ..PoolConfig::default()
        };
        config.routing.fallback = Some("acme".into());
        let (pool, _events) = Pool::start(config).unwrap();
        let t = Instant::now();
        let o = pool
            .submit(OutboundMessage::text("1", "ACME", "447700900123", "hi"))
            .await
            .unwrap();
        assert_eq!(o.result, Err(SubmitFailure::Unavailable));
        assert_eq!(o.attempts, 0);
        assert!(
            t.elapsed() >= Duration::from_millis(250),
            "{:?}",
            t.elapsed()
        );
        // Later messages fail at once while the carrier stays down.
        let o = pool
            .submit(OutboundMessage::text("2", "ACME", "447700900123", "hi"))
            .await
            .unwrap();
        assert_eq!(o.result, Err(SubmitFailure::Unavailable));
        let s = &pool.bind_statuses()[0];
        assert_ne!(s.phase, smsc_client::pool::BindPhase::Bound);
        assert!(
            s.last_error
                .as_deref()
                .unwrap_or("")
                .contains("cannot connect"),
            "{s:?}"
        );
        pool.shutdown().await;
    })
    .await
    .expect("test took too long");
}
