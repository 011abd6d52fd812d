//! A carrier reached over TLS (`tls = true`, its CA from `ca_file`): the pool binds, submits and
//! correlates the receipt; without the CA the bind fails and the status says why.

use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
use smsc_client::pool::{BindPhase, CarrierConfig, OutboundMessage, Pool, PoolConfig, PoolEvent};
use smsc_client::sim::{SimConfig, Simulator};
use smsc_client::tls::{CertifiedKeyPem, TlsServerConfig};

#[tokio::test]
async fn a_tls_carrier_binds_submits_and_correlates() {
    tokio::time::timeout(Duration::from_secs(30), async {
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let leaf_key = KeyPair::generate().unwrap();
        let leaf = CertificateParams::new(vec!["localhost".to_owned()])
            .unwrap()
            .signed_by(&leaf_key, &ca, &ca_key)
            .unwrap();
        let mut sim_config = SimConfig::default()
            .account("pool", "secret")
            .receipt_delay(Duration::from_millis(5));
        sim_config.smsc.tls = Some(TlsServerConfig::new(CertifiedKeyPem::new(
            leaf.pem(),
            leaf_key.serialize_pem(),
        )));
        let sim = Simulator::start(sim_config).await.unwrap();
        let ca_file = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("pool-tls-ca.pem");
        std::fs::write(&ca_file, ca.pem()).unwrap();

        let mut c = CarrierConfig::new("acme", &[&sim.local_addr().to_string()], "pool", "secret");
        c.tls = true;
        c.ca_file = Some(ca_file);
        c.tls_server_name = Some("localhost".into());
        let mut config = PoolConfig {
            carriers: vec![c.clone()],
            ..PoolConfig::default()
        };
        config.routing.fallback = Some("acme".into());
        let (pool, mut events) = Pool::start(config.clone()).unwrap();
        assert!(pool.wait_all_bound(Duration::from_secs(10)).await);
        let o = pool
            .submit(
                OutboundMessage::text("tls-1", "ACME", "447700900123", "over TLS").with_receipt(),
            )
            .await
            .unwrap();
        assert!(o.is_accepted(), "{o:?}");
        let ev = events.recv().await.unwrap();
        match &ev {
            PoolEvent::Receipt(r) => {
                assert_eq!(r.correlation.as_ref().unwrap().caller_id, "tls-1");
            }
            other => panic!("{other:?}"),
        }
        ev.ack();
        pool.shutdown().await;

        // Trusting only the system roots, the handshake fails and the status says so.
        config.carriers[0].ca_file = None;
        let (pool, _events) = Pool::start(config).unwrap();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let s = pool.bind_statuses().remove(0);
            if let Some(e) = s.last_error {
                assert_ne!(s.phase, BindPhase::Bound);
                assert!(e.contains("TLS"), "{e}");
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no bind failure reported"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        pool.shutdown().await;
        sim.shutdown().await;
    })
    .await
    .expect("test took too long");
}
