//! Outbind on the ESME side (SMPP 5.0 §2.3.7): the MC connects to the ESME, sends `outbind`,
//! the ESME binds over that connection and then receives `deliver_sm`. The MC here is played by
//! hand with the codec over loopback TCP, so the bytes on the wire are checked directly.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use smpp_codec::{BindResp, Body, CommandId, CommandStatus, DeliverSm, Outbind, Pdu, ShortMessage};
use smsc_client::esme::{ConnectError, EsmeClient, EsmeConfig, OutbindCredentials};
use smsc_client::session::BindKind;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const LIMIT: Duration = Duration::from_secs(10);

async fn read_pdu(stream: &mut TcpStream) -> Pdu {
    let mut len = [0u8; 4];
    stream.read_exact(&mut len).await.unwrap();
    let n = u32::from_be_bytes(len) as usize;
    let mut frame = BytesMut::with_capacity(n);
    frame.extend_from_slice(&len);
    frame.resize(n, 0);
    stream.read_exact(&mut frame[4..]).await.unwrap();
    Pdu::decode(&Bytes::from(frame)).unwrap()
}

async fn write_pdu(stream: &mut TcpStream, pdu: Pdu) {
    stream.write_all(&pdu.encode().unwrap()).await.unwrap();
}

fn outbind(system_id: &str, password: &str) -> Pdu {
    Pdu::new(
        1,
        Outbind {
            system_id: system_id.try_into().unwrap(),
            password: password.try_into().unwrap(),
        },
    )
    .unwrap()
}

fn receiver_config() -> EsmeConfig {
    let mut config = EsmeConfig::new("smpp://127.0.0.1:1", "esme1", "secret").unwrap();
    config.bind_kind = BindKind::Receiver;
    config.connect_timeout = LIMIT;
    config
}

fn expected_mc() -> Option<OutbindCredentials> {
    Some(OutbindCredentials {
        system_id: "mc".into(),
        password: "mcpw".into(),
    })
}

#[tokio::test]
async fn outbind_then_bind_receiver_then_deliver_sm() {
    tokio::time::timeout(LIMIT, async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let esme = tokio::spawn(async move {
            EsmeClient::accept_outbind(&listener, receiver_config(), expected_mc()).await
        });

        let mut mc = TcpStream::connect(addr).await.unwrap();
        write_pdu(&mut mc, outbind("mc", "mcpw")).await;

        // The ESME binds over the MC's connection, as a receiver, with its own credentials.
        let bind = read_pdu(&mut mc).await;
        assert_eq!(bind.command_id(), CommandId::BindReceiver);
        let Body::BindReceiver(b) = &bind.body else {
            panic!("{bind:?}")
        };
        assert_eq!(b.system_id, "esme1");
        assert_eq!(b.password, "secret");
        let resp = Pdu::new(
            bind.sequence_number,
            Body::BindReceiverResp(BindResp {
                system_id: "mc".try_into().unwrap(),
                ..Default::default()
            }),
        )
        .unwrap();
        write_pdu(&mut mc, resp).await;

        let (handle, mut inbound) = esme.await.unwrap().unwrap();
        assert_eq!(handle.info().kind, BindKind::Receiver);
        assert_eq!(handle.info().peer_system_id, "mc");

        // An MO over the outbound-initiated bind reaches the application, and its answer the MC.
        let deliver = Pdu::new(
            7,
            DeliverSm {
                source_addr: "447700900123".try_into().unwrap(),
                destination_addr: "12345".try_into().unwrap(),
                short_message: ShortMessage::new(&b"JOIN"[..]).unwrap(),
                ..Default::default()
            },
        )
        .unwrap();
        write_pdu(&mut mc, deliver).await;
        let req = inbound.recv().await.unwrap();
        let Body::DeliverSm(d) = req.body() else {
            panic!("{:?}", req.pdu())
        };
        assert_eq!(d.short_message.as_bytes(), b"JOIN");
        req.ok();
        let resp = read_pdu(&mut mc).await;
        assert_eq!(resp.command_id(), CommandId::DeliverSmResp);
        assert_eq!(resp.sequence_number, 7);
        assert_eq!(resp.command_status, CommandStatus::ESME_ROK);
    })
    .await
    .expect("test took too long");
}

#[tokio::test]
async fn outbind_with_wrong_credentials_is_refused_without_binding() {
    tokio::time::timeout(LIMIT, async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let esme = tokio::spawn(async move {
            EsmeClient::accept_outbind(&listener, receiver_config(), expected_mc()).await
        });
        let mut mc = TcpStream::connect(addr).await.unwrap();
        write_pdu(&mut mc, outbind("mc", "wrong")).await;
        match esme.await.unwrap() {
            Err(ConnectError::OutbindRejected { system_id }) => assert_eq!(system_id, "mc"),
            other => panic!("expected OutbindRejected, got {other:?}"),
        }
        // The connection is closed and no bind was sent.
        let mut rest = Vec::new();
        mc.read_to_end(&mut rest).await.unwrap();
        assert!(rest.is_empty(), "{rest:?}");
    })
    .await
    .expect("test took too long");
}

#[tokio::test]
async fn garbage_before_outbind_is_nacked_and_the_outbind_still_works() {
    tokio::time::timeout(LIMIT, async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let esme = tokio::spawn(async move {
            EsmeClient::accept_outbind(&listener, receiver_config(), None).await
        });
        let mut mc = TcpStream::connect(addr).await.unwrap();
        // An unknown command_id: answered with generic_nack ESME_RINVCMDID, the session lives.
        mc.write_all(&[0, 0, 0, 16, 0, 0, 0x7f, 0x7f, 0, 0, 0, 0, 0, 0, 0, 3])
            .await
            .unwrap();
        let nack = read_pdu(&mut mc).await;
        assert_eq!(nack.command_id(), CommandId::GenericNack);
        assert_eq!(nack.command_status, CommandStatus::ESME_RINVCMDID);
        write_pdu(&mut mc, outbind("anyone", "x")).await;
        let bind = read_pdu(&mut mc).await;
        assert_eq!(bind.command_id(), CommandId::BindReceiver);
        drop(mc);
        assert!(
            esme.await.unwrap().is_err(),
            "the MC hung up during the bind"
        );
    })
    .await
    .expect("test took too long");
}
