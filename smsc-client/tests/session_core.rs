//! The sans-IO session core, two sessions (ESME and SMSC) wired back to back through
//! `poll_transmit` / `handle_input` on a fake clock: binds and rejections, the window, sequence
//! numbers, every timer, unbind both ways, generic_nack, bind-state checks, the inbound queue,
//! coalescing, split input, and redaction.

use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use smpp_codec::{
    AlertNotification, Bind, Body, CommandId, CommandStatus, DeliverSm, DeliverSmResp, Outbind,
    Pdu, ShortMessage, SubmitSm, SubmitSmResp,
};
use smsc_client::session::{
    BindKind, BindState, CloseReason, Event, FailReason, Frame, Framer, InactivityAction,
    RespondError, Role, SendError, Session, SessionConfig, Side,
};

const SECS: fn(u64) -> Duration = Duration::from_secs;

// ---- harness ------------------------------------------------------------------------------

fn config() -> SessionConfig {
    SessionConfig {
        window: 4,
        response_timeout: SECS(10),
        session_init_timeout: Some(SECS(20)),
        enquire_link_interval: Some(SECS(30)),
        inactivity_timeout: None,
        ..SessionConfig::default()
    }
}

fn bind_body() -> Bind {
    Bind {
        system_id: "esme1".try_into().unwrap(),
        password: "hunter2".try_into().unwrap(),
        system_type: "test".try_into().unwrap(),
        interface_version: 0x34,
        ..Bind::default()
    }
}

fn submit(text: &str) -> Body {
    Body::SubmitSm(SubmitSm {
        source_addr: "12345".try_into().unwrap(),
        destination_addr: "447700900000".try_into().unwrap(),
        short_message: ShortMessage::new(Bytes::copy_from_slice(text.as_bytes())).unwrap(),
        ..SubmitSm::default()
    })
}

fn deliver(text: &str) -> Body {
    Body::DeliverSm(DeliverSm {
        source_addr: "447700900000".try_into().unwrap(),
        destination_addr: "12345".try_into().unwrap(),
        short_message: ShortMessage::new(Bytes::copy_from_slice(text.as_bytes())).unwrap(),
        ..DeliverSm::default()
    })
}

fn submit_resp(id: &str) -> Body {
    Body::SubmitSmResp(SubmitSmResp {
        message_id: id.try_into().unwrap(),
        ..SubmitSmResp::default()
    })
}

/// Moves bytes both ways until neither side has anything to write.
fn pump(a: &mut Session, b: &mut Session, now: Instant) {
    loop {
        let mut moved = false;
        if let Some(out) = a.poll_transmit() {
            b.handle_input(now, &out);
            moved = true;
        }
        if let Some(out) = b.poll_transmit() {
            a.handle_input(now, &out);
            moved = true;
        }
        if !moved {
            break;
        }
    }
}

fn events(s: &mut Session) -> Vec<Event> {
    std::iter::from_fn(|| s.poll_event()).collect()
}

/// Every PDU in a transmit buffer.
fn pdus(buf: &Bytes) -> Vec<Pdu> {
    let mut framer = Framer::new(usize::MAX);
    let mut rest = BytesMut::from(&buf[..]);
    let mut out = Vec::new();
    while let Some(frame) = framer.next_frame(&mut rest) {
        let Frame::Pdu(frame) = frame else {
            panic!("bad frame {frame:?}")
        };
        out.push(Pdu::decode(&frame).unwrap());
    }
    assert!(rest.is_empty());
    out
}

fn encode(seq: u32, body: Body) -> Bytes {
    Pdu {
        command_status: CommandStatus::ESME_ROK,
        sequence_number: seq,
        body,
    }
    .encode()
    .unwrap()
}

fn raw_header(len: u32, id: u32, status: u32, seq: u32) -> Vec<u8> {
    [len, id, status, seq]
        .iter()
        .flat_map(|w| w.to_be_bytes())
        .collect()
}

/// Binds an ESME and an SMSC session of `kind`; both event queues are left empty.
fn bound(
    kind: BindKind,
    esme_cfg: SessionConfig,
    smsc_cfg: SessionConfig,
    t0: Instant,
) -> (Session, Session) {
    let mut esme = Session::new(Role::Esme, esme_cfg, t0);
    let mut smsc = Session::new(Role::Smsc, smsc_cfg, t0);
    let h = esme.bind(t0, kind, bind_body()).unwrap();
    assert_eq!(h.seq(), 1);
    assert!(esme.is_binding());
    pump(&mut esme, &mut smsc, t0);
    let ev = events(&mut smsc);
    let [Event::BindRequested(req)] = &ev[..] else {
        panic!("{ev:?}")
    };
    assert_eq!(req.kind, kind);
    assert_eq!(req.system_id, "esme1");
    assert!(req.password.matches(b"hunter2"));
    assert_eq!(req.system_type, "test");
    assert_eq!(req.interface_version, 0x34);
    smsc.accept_bind(t0, "SMSC".try_into().unwrap()).unwrap();
    pump(&mut esme, &mut smsc, t0);
    let ev = events(&mut esme);
    let [
        Event::Bound {
            kind: k,
            peer_system_id,
            peer_interface_version,
        },
    ] = &ev[..]
    else {
        panic!("{ev:?}")
    };
    assert_eq!(*k, kind);
    assert_eq!(*peer_system_id, "SMSC");
    assert_eq!(*peer_interface_version, Some(0x34));
    let ev = events(&mut smsc);
    let [
        Event::Bound {
            kind: k,
            peer_system_id,
            peer_interface_version,
        },
    ] = &ev[..]
    else {
        panic!("{ev:?}")
    };
    assert_eq!(*k, kind);
    assert_eq!(*peer_system_id, "esme1");
    assert_eq!(*peer_interface_version, Some(0x34));
    assert_eq!(esme.state(), kind.bound_state());
    assert_eq!(smsc.state(), kind.bound_state());
    (esme, smsc)
}

fn trx(t0: Instant) -> (Session, Session) {
    bound(BindKind::Transceiver, config(), config(), t0)
}

// ---- binds --------------------------------------------------------------------------------

#[test]
fn binds_tx_rx_trx() {
    let t0 = Instant::now();
    for kind in [
        BindKind::Transmitter,
        BindKind::Receiver,
        BindKind::Transceiver,
    ] {
        let (esme, smsc) = bound(kind, config(), config(), t0);
        assert!(esme.is_bound() && smsc.is_bound());
        assert!(!esme.is_binding() && !smsc.is_binding());
        assert_eq!(esme.stats().requests_sent.get(kind.command_id()), 1);
        assert_eq!(smsc.stats().requests_received.get(kind.command_id()), 1);
    }
}

#[test]
fn bind_rejected_closes_both_sides() {
    let t0 = Instant::now();
    let mut esme = Session::new(Role::Esme, config(), t0);
    let mut smsc = Session::new(Role::Smsc, config(), t0);
    esme.bind(t0, BindKind::Transmitter, bind_body()).unwrap();
    pump(&mut esme, &mut smsc, t0);
    assert!(matches!(&events(&mut smsc)[..], [Event::BindRequested(_)]));
    smsc.accept_bind(t0, "x".try_into().unwrap()).unwrap();
    // one decision per bind
    assert_eq!(
        smsc.reject_bind(CommandStatus::ESME_RINVPASWD),
        Err(RespondError::NoBindPending)
    );

    let mut esme = Session::new(Role::Esme, config(), t0);
    let mut smsc = Session::new(Role::Smsc, config(), t0);
    esme.bind(t0, BindKind::Transmitter, bind_body()).unwrap();
    pump(&mut esme, &mut smsc, t0);
    events(&mut smsc);
    smsc.reject_bind(CommandStatus::ESME_RINVPASWD).unwrap();
    assert!(smsc.is_closed());
    let ev = events(&mut smsc);
    assert!(matches!(
        &ev[..],
        [Event::Closed {
            reason: CloseReason::BindRejected(CommandStatus::ESME_RINVPASWD)
        }]
    ));
    // the bind_resp is still written after the close
    let out = smsc.poll_transmit().unwrap();
    assert_eq!(pdus(&out)[0].command_id(), CommandId::BindTransmitterResp);
    esme.handle_input(t0, &out);
    let ev = events(&mut esme);
    assert!(
        matches!(
            &ev[..],
            [Event::Closed {
                reason: CloseReason::BindRejected(CommandStatus::ESME_RINVPASWD)
            }]
        ),
        "{ev:?}"
    );
    assert!(esme.poll_timeout().is_none());
}

#[test]
fn bind_timeout_and_generic_nack_close_the_esme() {
    let t0 = Instant::now();
    let mut esme = Session::new(Role::Esme, config(), t0);
    esme.bind(t0, BindKind::Receiver, bind_body()).unwrap();
    esme.poll_transmit().unwrap();
    // the session init timer stops once the bind is sent; the response timer runs
    assert_eq!(esme.poll_timeout(), Some(t0 + SECS(10)));
    esme.handle_timeout(t0 + SECS(10));
    assert!(matches!(
        &events(&mut esme)[..],
        [Event::Closed {
            reason: CloseReason::BindFailed(FailReason::Timeout)
        }]
    ));

    let mut esme = Session::new(Role::Esme, config(), t0);
    esme.bind(t0, BindKind::Receiver, bind_body()).unwrap();
    esme.handle_input(t0, &raw_header(16, 0x8000_0000, 0x03, 1));
    assert!(matches!(
        &events(&mut esme)[..],
        [Event::Closed {
            reason: CloseReason::BindFailed(FailReason::GenericNack(CommandStatus::ESME_RINVCMDID))
        }]
    ));
}

#[test]
fn second_bind_is_answered_already_bound() {
    let t0 = Instant::now();
    let (mut esme, mut smsc) = trx(t0);
    assert_eq!(
        esme.bind(t0, BindKind::Transmitter, bind_body()),
        Err(SendError::InvalidState {
            command: CommandId::BindTransmitter,
            state: BindState::BoundTrx
        })
    );
    smsc.handle_input(t0, &encode(9, Body::BindTransmitter(bind_body())));
    assert!(events(&mut smsc).is_empty());
    let out = pdus(&smsc.poll_transmit().unwrap());
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].command_id(), CommandId::BindTransmitterResp);
    assert_eq!(out[0].command_status, CommandStatus::ESME_RALYBND);
    assert_eq!(out[0].sequence_number, 9);
    assert!(smsc.is_bound());
    assert_eq!(smsc.stats().rejected_bind_state, 1);
    // a bind while another awaits the application's decision gets the same answer
    let mut smsc = Session::new(Role::Smsc, config(), t0);
    smsc.handle_input(t0, &encode(1, Body::BindTransmitter(bind_body())));
    smsc.handle_input(t0, &encode(2, Body::BindReceiver(bind_body())));
    assert_eq!(events(&mut smsc).len(), 1);
    let out = pdus(&smsc.poll_transmit().unwrap());
    assert_eq!(out[0].command_id(), CommandId::BindReceiverResp);
    assert_eq!(out[0].command_status, CommandStatus::ESME_RALYBND);
}

#[test]
fn outbind_then_bind_receiver() {
    let t0 = Instant::now();
    let mut smsc = Session::new(Role::Smsc, config(), t0);
    let mut esme = Session::new(Role::Esme, config(), t0);
    let t1 = t0 + SECS(5);
    smsc.outbind(
        t1,
        Outbind {
            system_id: "SMSC".try_into().unwrap(),
            password: "otp".try_into().unwrap(),
        },
    )
    .unwrap();
    assert_eq!(smsc.state(), BindState::Outbound);
    // the session init timer restarts at the outbind (SMPP 5.0 §2.7)
    assert_eq!(smsc.poll_timeout(), Some(t1 + SECS(20)));
    pump(&mut esme, &mut smsc, t1);
    let ev = events(&mut esme);
    let [
        Event::OutbindReceived {
            system_id,
            password,
        },
    ] = &ev[..]
    else {
        panic!("{ev:?}")
    };
    assert_eq!(*system_id, "SMSC");
    assert!(password.matches(b"otp"));
    assert!(!format!("{ev:?}").contains("otp"));
    assert_eq!(esme.state(), BindState::Outbound);
    esme.bind(t1, BindKind::Receiver, bind_body()).unwrap();
    pump(&mut esme, &mut smsc, t1);
    assert!(matches!(&events(&mut smsc)[..], [Event::BindRequested(_)]));
    smsc.accept_bind(t1, "SMSC".try_into().unwrap()).unwrap();
    pump(&mut esme, &mut smsc, t1);
    assert_eq!(esme.state(), BindState::BoundRx);
    assert_eq!(smsc.state(), BindState::BoundRx);
    // an ESME cannot outbind, nor can an SMSC that is bound
    assert!(matches!(
        esme.outbind(t1, Outbind::default()),
        Err(SendError::InvalidState { .. })
    ));
    assert!(matches!(
        smsc.outbind(t1, Outbind::default()),
        Err(SendError::InvalidState { .. })
    ));
}

// ---- requests, responses, window ----------------------------------------------------------

#[test]
fn submit_and_deliver_round_trip_with_latency() {
    let t0 = Instant::now();
    let (mut esme, mut smsc) = trx(t0);
    let t1 = t0 + SECS(1);
    let h = esme.send_request(t1, submit("hello")).unwrap();
    assert_eq!(h.seq(), 2);
    pump(&mut esme, &mut smsc, t1);
    let ev = events(&mut smsc);
    let [Event::RequestReceived { pdu }] = &ev[..] else {
        panic!("{ev:?}")
    };
    let Body::SubmitSm(sm) = &pdu.body else {
        panic!()
    };
    assert_eq!(sm.short_message.as_bytes(), b"hello");
    assert_eq!(smsc.inbound_pending(), 1);
    // wrong body, unknown sequence
    assert_eq!(
        smsc.respond(
            2,
            CommandStatus::ESME_ROK,
            Body::DeliverSmResp(DeliverSmResp::default())
        ),
        Err(RespondError::WrongBody {
            expected: CommandId::SubmitSmResp,
            got: CommandId::DeliverSmResp
        })
    );
    assert_eq!(
        smsc.respond(77, CommandStatus::ESME_ROK, submit_resp("x")),
        Err(RespondError::UnknownSequence(77))
    );
    smsc.respond(2, CommandStatus::ESME_ROK, submit_resp("msg-1"))
        .unwrap();
    assert_eq!(smsc.inbound_pending(), 0);
    let t2 = t1 + Duration::from_millis(250);
    pump(&mut esme, &mut smsc, t2);
    let ev = events(&mut esme);
    let [
        Event::ResponseReceived {
            seq,
            command_id,
            sent_at,
            pdu,
        },
    ] = &ev[..]
    else {
        panic!("{ev:?}")
    };
    assert_eq!(
        (*seq, *command_id, *sent_at),
        (h.seq(), CommandId::SubmitSm, t1)
    );
    assert_eq!(t2 - *sent_at, Duration::from_millis(250));
    let Body::SubmitSmResp(r) = &pdu.body else {
        panic!()
    };
    assert_eq!(r.message_id, "msg-1");

    // SMSC -> ESME: deliver_sm, answered with respond_status
    let d = smsc.send_request(t2, deliver("mo")).unwrap();
    assert_eq!(d.seq(), 1, "each side numbers its own requests from 1");
    pump(&mut esme, &mut smsc, t2);
    let ev = events(&mut esme);
    let [Event::RequestReceived { pdu }] = &ev[..] else {
        panic!("{ev:?}")
    };
    esme.respond_status(pdu.sequence_number, CommandStatus::ESME_RX_T_APPN)
        .unwrap();
    pump(&mut esme, &mut smsc, t2);
    let ev = events(&mut smsc);
    let [Event::ResponseReceived { pdu, .. }] = &ev[..] else {
        panic!("{ev:?}")
    };
    assert_eq!(pdu.command_id(), CommandId::DeliverSmResp);
    assert_eq!(pdu.command_status, CommandStatus::ESME_RX_T_APPN);
    assert_eq!(
        smsc.stats()
            .errors_received
            .get(CommandStatus::ESME_RX_T_APPN),
        1
    );
    assert_eq!(
        esme.stats().errors_sent.get(CommandStatus::ESME_RX_T_APPN),
        1
    );
    assert_eq!(esme.stats().requests_sent.get(CommandId::SubmitSm), 1);
    assert_eq!(
        esme.stats().responses_received.get(CommandId::SubmitSmResp),
        1
    );
    assert_eq!(smsc.stats().responses_sent.get(CommandId::SubmitSmResp), 1);
}

#[test]
fn window_full_is_backpressure_and_a_response_reopens_it() {
    let t0 = Instant::now();
    let (mut esme, mut smsc) = trx(t0);
    for i in 0..4 {
        esme.send_request(t0, submit(&format!("m{i}"))).unwrap();
    }
    assert_eq!(esme.window_available(), 0);
    assert_eq!(esme.stats().window_in_use, 4);
    assert_eq!(
        esme.send_request(t0, submit("m4")),
        Err(SendError::WindowFull)
    );
    assert_eq!(
        esme.send_request(t0, submit("m4")),
        Err(SendError::WindowFull)
    );
    pump(&mut esme, &mut smsc, t0);
    let received = events(&mut smsc);
    assert_eq!(received.len(), 4);
    let Event::RequestReceived { pdu } = &received[0] else {
        panic!()
    };
    smsc.respond(
        pdu.sequence_number,
        CommandStatus::ESME_ROK,
        submit_resp("a"),
    )
    .unwrap();
    pump(&mut esme, &mut smsc, t0);
    let ev = events(&mut esme);
    assert!(
        matches!(
            &ev[..],
            [Event::ResponseReceived { .. }, Event::WindowAvailable]
        ),
        "{ev:?}"
    );
    assert_eq!(esme.window_available(), 1);
    esme.send_request(t0, submit("m4")).unwrap();
    assert_eq!(
        esme.send_request(t0, submit("m5")),
        Err(SendError::WindowFull)
    );
    // WindowAvailable is only announced after a WindowFull
    let mut smsc_seqs = Vec::new();
    pump(&mut esme, &mut smsc, t0);
    for e in events(&mut smsc) {
        if let Event::RequestReceived { pdu } = e {
            smsc_seqs.push(pdu.sequence_number);
        }
    }
    for e in &received[1..] {
        if let Event::RequestReceived { pdu } = e {
            smsc_seqs.push(pdu.sequence_number);
        }
    }
    for seq in smsc_seqs {
        smsc.respond(seq, CommandStatus::ESME_ROK, submit_resp("b"))
            .unwrap();
    }
    pump(&mut esme, &mut smsc, t0);
    let ev = events(&mut esme);
    assert_eq!(
        ev.iter()
            .filter(|e| matches!(e, Event::WindowAvailable))
            .count(),
        1
    );
    assert_eq!(esme.window_in_use(), 0);
}

#[test]
fn sequence_wraps_after_max_and_skips_a_pending_number() {
    let t0 = Instant::now();
    let (mut esme, mut smsc) = trx(t0);
    let a = esme.send_request(t0, submit("a")).unwrap();
    assert_eq!(a.seq(), 2);
    esme.set_next_sequence_number(0x7FFF_FFFF);
    let b = esme.send_request(t0, submit("b")).unwrap();
    let c = esme.send_request(t0, submit("c")).unwrap();
    let d = esme.send_request(t0, submit("d")).unwrap();
    assert_eq!(b.seq(), 0x7FFF_FFFF);
    assert_eq!(c.seq(), 1, "wraps to 1 (SMPP 5.0 §4.7.24)");
    assert_eq!(d.seq(), 3, "2 is still pending: skipped");
    pump(&mut esme, &mut smsc, t0);
    for e in events(&mut smsc) {
        let Event::RequestReceived { pdu } = e else {
            panic!()
        };
        let Body::SubmitSm(sm) = &pdu.body else {
            panic!()
        };
        let text = String::from_utf8(sm.short_message.as_bytes().to_vec()).unwrap();
        smsc.respond(
            pdu.sequence_number,
            CommandStatus::ESME_ROK,
            submit_resp(&text),
        )
        .unwrap();
    }
    pump(&mut esme, &mut smsc, t0);
    let mut matched = Vec::new();
    for e in events(&mut esme) {
        let Event::ResponseReceived { seq, pdu, .. } = e else {
            panic!()
        };
        let Body::SubmitSmResp(r) = pdu.body else {
            panic!()
        };
        matched.push((seq, r.message_id.to_string()));
    }
    matched.sort();
    assert_eq!(
        matched,
        vec![
            (1, "c".to_string()),
            (2, "a".to_string()),
            (3, "d".to_string()),
            (0x7FFF_FFFF, "b".to_string())
        ]
    );
}

#[test]
fn alert_notification_takes_no_window_slot() {
    let t0 = Instant::now();
    let (mut esme, mut smsc) = bound(BindKind::Receiver, config(), config(), t0);
    let alert = Body::AlertNotification(AlertNotification {
        source_addr: "447700900000".try_into().unwrap(),
        esme_addr: "12345".try_into().unwrap(),
        ..AlertNotification::default()
    });
    smsc.send_request(t0, alert).unwrap();
    assert_eq!(smsc.window_in_use(), 0);
    pump(&mut esme, &mut smsc, t0);
    let ev = events(&mut esme);
    let [Event::RequestReceived { pdu }] = &ev[..] else {
        panic!("{ev:?}")
    };
    assert!(pdu.command_id().response().is_none());
    assert_eq!(esme.inbound_pending(), 0);
    assert_eq!(
        esme.respond_status(pdu.sequence_number, CommandStatus::ESME_ROK),
        Err(RespondError::UnknownSequence(pdu.sequence_number))
    );
}

#[test]
fn send_request_refuses_what_it_does_not_send() {
    let t0 = Instant::now();
    let (mut esme, _smsc) = trx(t0);
    for body in [
        Body::Unbind,
        Body::BindTransceiver(bind_body()),
        Body::Outbind(Outbind::default()),
        submit_resp("x"),
        Body::GenericNack,
    ] {
        let id = body.command_id();
        assert_eq!(esme.send_request(t0, body), Err(SendError::NotARequest(id)));
    }
    // the ESME never sends deliver_sm (SMPP 5.0 §2.4)
    assert_eq!(
        esme.send_request(t0, deliver("x")),
        Err(SendError::InvalidState {
            command: CommandId::DeliverSm,
            state: BindState::BoundTrx
        })
    );
    // a body the codec refuses to encode queues nothing and takes no slot
    let bad = Body::SubmitSm(SubmitSm {
        schedule_delivery_time: smpp_codec::SmppTime(
            smpp_codec::COctetString::try_from("tomorrow").unwrap(),
        ),
        ..SubmitSm::default()
    });
    assert!(matches!(
        esme.send_request(t0, bad),
        Err(SendError::Encode(_))
    ));
    assert_eq!(esme.window_in_use(), 0);
    assert!(esme.poll_transmit().is_none());
}

// ---- bind state checks, inbound queue -----------------------------------------------------

#[test]
fn requests_not_allowed_in_the_state_get_rinvbndsts() {
    let t0 = Instant::now();
    // submit_sm before bind
    let mut smsc = Session::new(Role::Smsc, config(), t0);
    smsc.handle_input(t0, &encode(5, submit("early")));
    let out = pdus(&smsc.poll_transmit().unwrap());
    assert_eq!(out[0].command_id(), CommandId::SubmitSmResp);
    assert_eq!(out[0].command_status, CommandStatus::ESME_RINVBNDSTS);
    assert_eq!(out[0].sequence_number, 5);
    assert!(events(&mut smsc).is_empty());
    assert_eq!(smsc.state(), BindState::Open);

    // deliver_sm before bind
    let mut esme = Session::new(Role::Esme, config(), t0);
    esme.handle_input(t0, &encode(6, deliver("early")));
    let out = pdus(&esme.poll_transmit().unwrap());
    assert_eq!(out[0].command_id(), CommandId::DeliverSmResp);
    assert_eq!(out[0].command_status, CommandStatus::ESME_RINVBNDSTS);

    // submit_sm on a receiver bind, both directions of the check
    let (mut esme, mut smsc) = bound(BindKind::Receiver, config(), config(), t0);
    assert_eq!(
        esme.send_request(t0, submit("x")),
        Err(SendError::InvalidState {
            command: CommandId::SubmitSm,
            state: BindState::BoundRx
        })
    );
    smsc.handle_input(t0, &encode(7, submit("x")));
    let out = pdus(&smsc.poll_transmit().unwrap());
    assert_eq!(out[0].command_status, CommandStatus::ESME_RINVBNDSTS);
    assert_eq!(smsc.stats().rejected_bind_state, 1);
    assert!(events(&mut smsc).is_empty());

    // deliver_sm on a transmitter bind
    let (mut esme, mut smsc) = bound(BindKind::Transmitter, config(), config(), t0);
    assert!(matches!(
        smsc.send_request(t0, deliver("x")),
        Err(SendError::InvalidState { .. })
    ));
    esme.handle_input(t0, &encode(8, deliver("x")));
    let out = pdus(&esme.poll_transmit().unwrap());
    assert_eq!(out[0].command_id(), CommandId::DeliverSmResp);
    assert_eq!(out[0].command_status, CommandStatus::ESME_RINVBNDSTS);
    assert!(esme.is_bound());
}

#[test]
fn inbound_queue_full_is_answered_by_the_session() {
    let t0 = Instant::now();
    for status in [CommandStatus::ESME_RMSGQFUL, CommandStatus::ESME_RTHROTTLED] {
        let smsc_cfg = SessionConfig {
            max_inbound_pending: 2,
            inbound_full_status: status,
            ..config()
        };
        let (mut esme, mut smsc) = bound(BindKind::Transceiver, config(), smsc_cfg, t0);
        let hs: Vec<_> = (0..3)
            .map(|i| esme.send_request(t0, submit(&i.to_string())).unwrap())
            .collect();
        pump(&mut esme, &mut smsc, t0);
        assert_eq!(events(&mut smsc).len(), 2);
        assert_eq!(smsc.inbound_pending(), 2);
        assert_eq!(smsc.stats().rejected_queue_full, 1);
        let ev = events(&mut esme);
        let [Event::ResponseReceived { seq, pdu, .. }] = &ev[..] else {
            panic!("{ev:?}")
        };
        assert_eq!(*seq, hs[2].seq());
        assert_eq!(pdu.command_status, status);
        // answering one makes room again
        smsc.respond_status(hs[0].seq(), CommandStatus::ESME_ROK)
            .unwrap();
        esme.send_request(t0, submit("3")).unwrap();
        pump(&mut esme, &mut smsc, t0);
        assert_eq!(events(&mut smsc).len(), 1);
    }
}

// ---- timers -------------------------------------------------------------------------------

#[test]
fn enquire_link_sent_when_idle_and_answered_silently() {
    let t0 = Instant::now();
    let (mut esme, mut smsc) = trx(t0);
    assert_eq!(esme.poll_timeout(), Some(t0 + SECS(30)));
    // traffic pushes the probe back
    let t1 = t0 + SECS(20);
    esme.send_request(t1, submit("x")).unwrap();
    pump(&mut esme, &mut smsc, t1);
    let Event::RequestReceived { pdu } = events(&mut smsc).remove(0) else {
        panic!()
    };
    smsc.respond_status(pdu.sequence_number, CommandStatus::ESME_ROK)
        .unwrap();
    pump(&mut esme, &mut smsc, t1);
    events(&mut esme);
    assert_eq!(esme.poll_timeout(), Some(t1 + SECS(30)));
    // idle: both sides probe; each answers the other's without an event
    let t2 = t1 + SECS(30);
    esme.handle_timeout(t2);
    smsc.handle_timeout(t2);
    let probe = esme.poll_transmit().unwrap();
    assert_eq!(pdus(&probe)[0].command_id(), CommandId::EnquireLink);
    smsc.handle_input(t2, &probe);
    pump(&mut esme, &mut smsc, t2);
    assert!(events(&mut esme).is_empty());
    assert!(events(&mut smsc).is_empty());
    assert_eq!(esme.stats().requests_sent.get(CommandId::EnquireLink), 1);
    assert_eq!(
        esme.stats().requests_received.get(CommandId::EnquireLink),
        1
    );
    assert_eq!(
        esme.stats()
            .responses_received
            .get(CommandId::EnquireLinkResp),
        1
    );
    assert_eq!(
        smsc.stats().responses_sent.get(CommandId::EnquireLinkResp),
        1
    );
    assert_eq!(esme.poll_timeout(), Some(t2 + SECS(30)));
    assert!(esme.is_bound() && smsc.is_bound());
}

#[test]
fn unanswered_enquire_link_closes() {
    let t0 = Instant::now();
    let (mut esme, _smsc) = trx(t0);
    esme.send_request(t0, submit("in flight")).unwrap();
    esme.handle_timeout(t0 + SECS(30));
    // the submit timed out alone at t0+10s... it was due first
    let ev = events(&mut esme);
    assert!(matches!(
        &ev[..],
        [Event::RequestFailed {
            reason: FailReason::Timeout,
            ..
        }]
    ));
    esme.poll_transmit();
    assert_eq!(esme.poll_timeout(), Some(t0 + SECS(40)));
    esme.handle_timeout(t0 + SECS(40));
    assert!(matches!(
        &events(&mut esme)[..],
        [Event::Closed {
            reason: CloseReason::EnquireLinkTimeout
        }]
    ));
}

#[test]
fn inactivity_unbinds_or_closes() {
    let t0 = Instant::now();
    let quiet = SessionConfig {
        enquire_link_interval: None,
        inactivity_timeout: Some(SECS(60)),
        ..config()
    };
    let (mut esme, mut smsc) = bound(BindKind::Transceiver, quiet.clone(), config(), t0);
    assert_eq!(esme.poll_timeout(), Some(t0 + SECS(60)));
    esme.handle_timeout(t0 + SECS(59));
    assert!(esme.poll_transmit().is_none());
    let t1 = t0 + SECS(60);
    esme.handle_timeout(t1);
    assert_eq!(esme.state(), BindState::Unbound);
    pump(&mut esme, &mut smsc, t1);
    assert!(matches!(
        &events(&mut esme)[..],
        [Event::Closed {
            reason: CloseReason::Inactivity
        }]
    ));
    assert!(matches!(
        &events(&mut smsc)[..],
        [Event::Closed {
            reason: CloseReason::Unbound { by: Side::Peer }
        }]
    ));

    let closing = SessionConfig {
        inactivity_action: InactivityAction::Close,
        ..quiet
    };
    let (_esme, mut smsc) = bound(BindKind::Transceiver, config(), closing, t0);
    // the SMSC's own enquire_link timer is off; anything received restarts inactivity
    let t1 = t0 + SECS(50);
    smsc.handle_input(t1, &encode(40, Body::EnquireLink));
    smsc.poll_transmit().unwrap();
    assert_eq!(smsc.poll_timeout(), Some(t1 + SECS(60)));
    smsc.handle_timeout(t1 + SECS(60));
    assert!(matches!(
        &events(&mut smsc)[..],
        [Event::Closed {
            reason: CloseReason::Inactivity
        }]
    ));
    assert!(smsc.poll_transmit().is_none(), "Close sends nothing");
}

#[test]
fn session_init_timer_closes_a_connection_that_never_binds() {
    let t0 = Instant::now();
    let mut smsc = Session::new(Role::Smsc, config(), t0);
    assert_eq!(smsc.poll_timeout(), Some(t0 + SECS(20)));
    // enquire_link before bind is answered but does not count as binding
    smsc.handle_input(t0 + SECS(5), &encode(1, Body::EnquireLink));
    assert_eq!(
        pdus(&smsc.poll_transmit().unwrap())[0].command_id(),
        CommandId::EnquireLinkResp
    );
    smsc.handle_timeout(t0 + SECS(19));
    assert!(!smsc.is_closed());
    smsc.handle_timeout(t0 + SECS(20));
    assert!(matches!(
        &events(&mut smsc)[..],
        [Event::Closed {
            reason: CloseReason::SessionInitTimeout
        }]
    ));

    // a bind received stops it, even while the application decides
    let mut smsc = Session::new(Role::Smsc, config(), t0);
    smsc.handle_input(
        t0 + SECS(19),
        &encode(1, Body::BindTransceiver(bind_body())),
    );
    assert_eq!(smsc.poll_timeout(), None);
    smsc.handle_timeout(t0 + SECS(100));
    assert!(!smsc.is_closed());
    smsc.accept_bind(t0 + SECS(100), "SMSC".try_into().unwrap())
        .unwrap();
    assert_eq!(smsc.poll_timeout(), Some(t0 + SECS(130)));
}

#[test]
fn response_timeout_fails_one_request_alone() {
    let t0 = Instant::now();
    let (mut esme, mut smsc) = trx(t0);
    let a = esme.send_request(t0, submit("a")).unwrap();
    let b = esme.send_request(t0 + SECS(1), submit("b")).unwrap();
    let c = esme.send_request(t0 + SECS(2), submit("c")).unwrap();
    pump(&mut esme, &mut smsc, t0 + SECS(2));
    events(&mut smsc);
    smsc.respond(a.seq(), CommandStatus::ESME_ROK, submit_resp("a"))
        .unwrap();
    smsc.respond(c.seq(), CommandStatus::ESME_ROK, submit_resp("c"))
        .unwrap();
    pump(&mut esme, &mut smsc, t0 + SECS(3));
    assert_eq!(events(&mut esme).len(), 2);
    assert_eq!(esme.poll_timeout(), Some(t0 + SECS(11)));
    esme.handle_timeout(t0 + SECS(11));
    let ev = events(&mut esme);
    let [
        Event::RequestFailed {
            seq,
            command_id,
            sent_at,
            reason,
        },
    ] = &ev[..]
    else {
        panic!("{ev:?}")
    };
    assert_eq!(
        (*seq, *command_id, *sent_at, *reason),
        (
            b.seq(),
            CommandId::SubmitSm,
            t0 + SECS(1),
            FailReason::Timeout
        )
    );
    assert!(esme.is_bound());
    assert_eq!(esme.window_in_use(), 0);
    assert_eq!(esme.stats().response_timeouts, 1);
    // the late response is dropped and counted; an unknown one too, apart
    smsc.respond(b.seq(), CommandStatus::ESME_ROK, submit_resp("b"))
        .unwrap();
    pump(&mut esme, &mut smsc, t0 + SECS(12));
    esme.handle_input(t0 + SECS(12), &encode(999, submit_resp("?")));
    assert!(events(&mut esme).is_empty());
    assert_eq!(esme.stats().late_responses, 1);
    assert_eq!(esme.stats().unmatched_responses, 1);
    // a new request works as before
    esme.send_request(t0 + SECS(12), submit("d")).unwrap();
    pump(&mut esme, &mut smsc, t0 + SECS(12));
    assert_eq!(events(&mut smsc).len(), 1);
}

// ---- unbind, close ------------------------------------------------------------------------

#[test]
fn esme_unbinds_and_its_pending_requests_fail_closed() {
    let t0 = Instant::now();
    let (mut esme, mut smsc) = trx(t0);
    let a = esme.send_request(t0, submit("a")).unwrap();
    let b = esme.send_request(t0, submit("b")).unwrap();
    esme.unbind(t0).unwrap();
    assert_eq!(esme.state(), BindState::Unbound);
    assert!(matches!(
        esme.send_request(t0, submit("c")),
        Err(SendError::InvalidState { .. })
    ));
    // the SMSC gets both submits (awaiting the application), then the unbind
    pump(&mut esme, &mut smsc, t0);
    let ev = events(&mut smsc);
    assert_eq!(ev.len(), 3, "{ev:?}");
    assert!(matches!(
        ev[2],
        Event::Closed {
            reason: CloseReason::Unbound { by: Side::Peer }
        }
    ));
    assert_eq!(smsc.inbound_pending(), 0);
    assert_eq!(
        smsc.respond_status(a.seq(), CommandStatus::ESME_ROK),
        Err(RespondError::Closed)
    );
    let ev = events(&mut esme);
    let failed: Vec<u32> = ev
        .iter()
        .filter_map(|e| match e {
            Event::RequestFailed {
                seq,
                reason: FailReason::Closed,
                ..
            } => Some(*seq),
            _ => None,
        })
        .collect();
    assert_eq!(failed, vec![a.seq(), b.seq()]);
    assert!(matches!(
        ev.last(),
        Some(Event::Closed {
            reason: CloseReason::Unbound { by: Side::Local }
        })
    ));
    assert!(esme.poll_timeout().is_none());
    assert_eq!(esme.send_request(t0, submit("x")), Err(SendError::Closed));
}

#[test]
fn smsc_unbinds_and_the_esme_fails_its_pending_requests() {
    let t0 = Instant::now();
    let (mut esme, mut smsc) = trx(t0);
    let a = esme.send_request(t0, submit("a")).unwrap();
    esme.poll_transmit(); // lost in flight
    smsc.unbind(t0).unwrap();
    pump(&mut esme, &mut smsc, t0);
    let ev = events(&mut esme);
    assert!(
        matches!(
            &ev[..],
            [
                Event::RequestFailed {
                    reason: FailReason::Closed,
                    ..
                },
                Event::Closed {
                    reason: CloseReason::Unbound { by: Side::Peer }
                }
            ]
        ),
        "{ev:?}"
    );
    let Event::RequestFailed { seq, .. } = ev[0] else {
        panic!()
    };
    assert_eq!(seq, a.seq());
    assert!(matches!(
        &events(&mut smsc)[..],
        [Event::Closed {
            reason: CloseReason::Unbound { by: Side::Local }
        }]
    ));
}

#[test]
fn unanswered_unbind_times_out_and_disconnect_fails_pending() {
    let t0 = Instant::now();
    let (mut esme, _smsc) = trx(t0);
    esme.unbind(t0).unwrap();
    esme.handle_timeout(t0 + SECS(10));
    assert!(matches!(
        &events(&mut esme)[..],
        [Event::Closed {
            reason: CloseReason::UnbindTimeout
        }]
    ));

    let (mut esme, _smsc) = trx(t0);
    esme.send_request(t0, submit("a")).unwrap();
    esme.handle_disconnect();
    assert!(esme.poll_transmit().is_none());
    assert!(matches!(
        &events(&mut esme)[..],
        [
            Event::RequestFailed {
                reason: FailReason::Closed,
                ..
            },
            Event::Closed {
                reason: CloseReason::Disconnected
            }
        ]
    ));
}

// ---- generic_nack and bad input -----------------------------------------------------------

#[test]
fn received_generic_nack_completes_the_request_it_names() {
    let t0 = Instant::now();
    let (mut esme, _smsc) = trx(t0);
    let a = esme.send_request(t0, submit("a")).unwrap();
    let b = esme.send_request(t0, submit("b")).unwrap();
    esme.handle_input(t0, &raw_header(16, 0x8000_0000, 0x03, a.seq()));
    let ev = events(&mut esme);
    let [Event::RequestFailed { seq, reason, .. }] = &ev[..] else {
        panic!("{ev:?}")
    };
    assert_eq!(*seq, a.seq());
    assert_eq!(
        *reason,
        FailReason::GenericNack(CommandStatus::ESME_RINVCMDID)
    );
    // sequence 0 or unknown: counted only
    esme.handle_input(t0, &raw_header(16, 0x8000_0000, 0x02, 0));
    esme.handle_input(t0, &raw_header(16, 0x8000_0000, 0x02, 4242));
    assert!(events(&mut esme).is_empty());
    assert_eq!(esme.stats().unmatched_generic_nacks, 2);
    assert_eq!(esme.window_in_use(), 1);
    assert!(esme.window_available() == 3 && b.seq() == 3);
    assert!(esme.is_bound());
    // nacks are never answered
    let out = esme.poll_transmit().unwrap();
    assert!(
        pdus(&out)
            .iter()
            .all(|p| p.command_id() == CommandId::SubmitSm)
    );
}

#[test]
fn garbage_mid_stream_is_nacked_and_the_bind_lives_on() {
    let t0 = Instant::now();
    let (mut esme, mut smsc) = trx(t0);
    let mut stream = Vec::new();
    // unknown command_id: generic_nack ESME_RINVCMDID
    stream.extend(raw_header(20, 0x0000_0999, 0, 50));
    stream.extend([1, 2, 3, 4]);
    // submit_sm with a truncated body: submit_sm_resp, ESME_RINVCMDLEN (the body ends early)
    let mut bad = raw_header(19, 0x0000_0004, 0, 51);
    bad.extend([b'x', 0, 1]);
    stream.extend(bad);
    // over the length limit: generic_nack ESME_RINVCMDLEN, its octets skipped
    let huge = 70_000u32;
    stream.extend(raw_header(huge, 0x0000_0004, 0, 52));
    stream.extend(vec![0xAB; huge as usize - 16]);
    // then a valid submit
    stream.extend_from_slice(&encode(53, submit("still here")));
    smsc.handle_input(t0, &stream);
    let ev = events(&mut smsc);
    let [Event::RequestReceived { pdu }] = &ev[..] else {
        panic!("{ev:?}")
    };
    assert_eq!(pdu.sequence_number, 53);
    let out = pdus(&smsc.poll_transmit().unwrap());
    let got: Vec<_> = out
        .iter()
        .map(|p| (p.command_id(), p.command_status, p.sequence_number))
        .collect();
    assert_eq!(
        got,
        vec![
            (CommandId::GenericNack, CommandStatus::ESME_RINVCMDID, 50),
            (CommandId::SubmitSmResp, CommandStatus::ESME_RINVCMDLEN, 51),
            (CommandId::GenericNack, CommandStatus::ESME_RINVCMDLEN, 52),
        ]
    );
    assert_eq!(smsc.stats().decode_errors, 3);
    assert!(smsc.is_bound());
    smsc.respond_status(53, CommandStatus::ESME_ROK).unwrap();
    let _ = esme.poll_transmit();
    assert!(smsc.poll_transmit().is_some());
    assert!(!esme.is_closed());
}

#[test]
fn undecodable_response_fails_its_request() {
    let t0 = Instant::now();
    let (mut esme, _smsc) = trx(t0);
    let a = esme.send_request(t0, submit("a")).unwrap();
    esme.poll_transmit();
    // submit_sm_resp, ESME_ROK, message_id "id" then 3 stray octets: a corrupt TLV part
    let mut resp = raw_header(22, 0x8000_0004, 0, a.seq());
    resp.extend([b'i', b'd', 0, 9, 9, 9]);
    esme.handle_input(t0, &resp);
    let ev = events(&mut esme);
    assert!(
        matches!(
            &ev[..],
            [Event::RequestFailed {
                reason: FailReason::InvalidResponse(CommandStatus::ESME_RINVTLVSTREAM),
                ..
            }]
        ),
        "{ev:?}"
    );
    let out = pdus(&esme.poll_transmit().unwrap());
    assert_eq!(out[0].command_id(), CommandId::GenericNack);
    assert_eq!(out[0].sequence_number, a.seq());
    assert!(esme.is_bound());
}

#[test]
fn command_length_below_16_nacks_then_closes() {
    let t0 = Instant::now();
    let (mut esme, mut smsc) = trx(t0);
    let a = esme.send_request(t0, submit("a")).unwrap();
    pump(&mut esme, &mut smsc, t0);
    events(&mut smsc);
    let mut stream = raw_header(8, 0x0000_0015, 0, 77).to_vec();
    stream.extend_from_slice(&encode(78, Body::EnquireLink));
    esme.handle_input(t0, &stream);
    let ev = events(&mut esme);
    assert!(
        matches!(
            &ev[..],
            [
                Event::RequestFailed {
                    reason: FailReason::Closed,
                    ..
                },
                Event::Closed {
                    reason: CloseReason::Desynchronised
                }
            ]
        ),
        "{ev:?}"
    );
    let Event::RequestFailed { seq, .. } = ev[0] else {
        panic!()
    };
    assert_eq!(seq, a.seq());
    let out = pdus(&esme.poll_transmit().unwrap());
    assert_eq!(out.len(), 1, "nothing after the desync is processed");
    assert_eq!(out[0].command_id(), CommandId::GenericNack);
    assert_eq!(out[0].command_status, CommandStatus::ESME_RINVCMDLEN);
    assert_eq!(out[0].sequence_number, 77);
    esme.handle_input(t0, &encode(79, Body::EnquireLink));
    assert!(esme.poll_transmit().is_none());
}

#[test]
fn request_with_sequence_zero_gets_a_generic_nack() {
    let t0 = Instant::now();
    let (mut esme, mut smsc) = trx(t0);
    smsc.handle_input(t0, &raw_header(16, 0x0000_0015, 0, 0));
    let out = pdus(&smsc.poll_transmit().unwrap());
    assert_eq!(out[0].command_id(), CommandId::GenericNack);
    assert_eq!(out[0].sequence_number, 0);
    esme.handle_input(t0, &raw_header(16, 0x0000_0015, 0, 0x8000_0001));
    let out = pdus(&esme.poll_transmit().unwrap());
    assert_eq!(out[0].command_id(), CommandId::GenericNack);
    assert!(esme.is_bound() && smsc.is_bound());
}

// ---- bytes in, bytes out ------------------------------------------------------------------

#[test]
fn ten_submits_coalesce_into_one_transmit() {
    let t0 = Instant::now();
    let cfg = SessionConfig {
        window: 10,
        ..config()
    };
    let (mut esme, mut smsc) = bound(BindKind::Transceiver, cfg.clone(), cfg, t0);
    let before = esme.stats().transmits;
    let handles: Vec<_> = (0..10)
        .map(|i| esme.send_request(t0, submit(&format!("msg {i}"))).unwrap())
        .collect();
    let buf = esme.poll_transmit().unwrap();
    assert!(esme.poll_transmit().is_none());
    assert_eq!(esme.stats().transmits, before + 1);
    let sent = pdus(&buf);
    assert_eq!(sent.len(), 10);
    assert!(sent.iter().all(|p| p.command_id() == CommandId::SubmitSm));
    assert_eq!(
        sent.iter().map(|p| p.sequence_number).collect::<Vec<_>>(),
        handles.iter().map(|h| h.seq()).collect::<Vec<_>>()
    );
    smsc.handle_input(t0, &buf);
    for e in events(&mut smsc) {
        let Event::RequestReceived { pdu } = e else {
            panic!()
        };
        smsc.respond_status(pdu.sequence_number, CommandStatus::ESME_ROK)
            .unwrap();
    }
    let resps = smsc.poll_transmit().unwrap();
    assert_eq!(pdus(&resps).len(), 10);
    esme.handle_input(t0, &resps);
    assert_eq!(events(&mut esme).len(), 10);
}

#[test]
fn a_pdu_fed_one_byte_at_a_time() {
    let t0 = Instant::now();
    let (mut esme, mut smsc) = trx(t0);
    esme.send_request(t0, submit("drip")).unwrap();
    let buf = esme.poll_transmit().unwrap();
    for (i, byte) in buf.iter().enumerate() {
        assert!(smsc.poll_event().is_none(), "event before byte {i}");
        smsc.handle_input(t0, std::slice::from_ref(byte));
    }
    let ev = events(&mut smsc);
    let [Event::RequestReceived { pdu }] = &ev[..] else {
        panic!("{ev:?}")
    };
    let Body::SubmitSm(sm) = &pdu.body else {
        panic!()
    };
    assert_eq!(sm.short_message.as_bytes(), b"drip");
}

#[test]
fn input_buffer_path_decodes_without_copying() {
    let t0 = Instant::now();
    let (mut esme, mut smsc) = trx(t0);
    esme.send_request(t0, submit("zero copy")).unwrap();
    let buf = esme.poll_transmit().unwrap();
    let rx = smsc.input_buffer();
    assert!(rx.capacity() - rx.len() >= buf.len());
    rx.extend_from_slice(&buf);
    let range = rx.as_ptr() as usize..rx.as_ptr() as usize + rx.len();
    smsc.process_input(t0);
    let Some(Event::RequestReceived { pdu }) = smsc.poll_event() else {
        panic!()
    };
    let Body::SubmitSm(sm) = &pdu.body else {
        panic!()
    };
    let text = sm.short_message.as_bytes();
    assert_eq!(text, b"zero copy");
    assert!(
        range.contains(&(text.as_ptr() as usize)),
        "a view of the read buffer"
    );
}

#[test]
fn debug_output_hides_the_password() {
    let t0 = Instant::now();
    let mut esme = Session::new(Role::Esme, config(), t0);
    let mut smsc = Session::new(Role::Smsc, config(), t0);
    esme.bind(t0, BindKind::Transceiver, bind_body()).unwrap();
    pump(&mut esme, &mut smsc, t0);
    let ev = events(&mut smsc);
    let shown = format!("{ev:?} {ev:#?} {smsc:?} {esme:?}");
    assert!(shown.contains("esme1"), "{shown}");
    assert!(!shown.contains("hunter2"), "{shown}");
    let Event::BindRequested(req) = &ev[0] else {
        panic!()
    };
    assert_eq!(req.password.expose(), b"hunter2");
}

// ---- robustness -----------------------------------------------------

#[test]
fn arbitrary_input_never_panics() {
    let t0 = Instant::now();
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let ids: Vec<u32> = smpp_codec::CommandId::ALL
        .iter()
        .map(|c| c.as_u32())
        .chain([0x999, 0x8000_0999])
        .collect();
    for round in 0..200 {
        let (mut esme, mut smsc) = trx(t0);
        for _ in 0..20 {
            // a plausible header with a random id, status, sequence and body
            let body_len = (next() % 64) as usize;
            let id = ids[(next() % ids.len() as u64) as usize];
            let status = if next() % 4 == 0 { next() as u32 } else { 0 };
            let seq = if next() % 8 == 0 {
                0
            } else {
                (next() % 8) as u32
            };
            let mut pdu = raw_header(16 + body_len as u32, id, status, seq);
            pdu.extend((0..body_len).map(|_| next() as u8));
            let target = if round % 2 == 0 { &mut esme } else { &mut smsc };
            target.handle_input(t0, &pdu);
            while target.poll_event().is_some() {}
        }
        pump(&mut esme, &mut smsc, t0);
        esme.handle_timeout(t0 + SECS(3600));
        smsc.handle_timeout(t0 + SECS(3600));
        while esme.poll_event().is_some() || smsc.poll_event().is_some() {}
    }
}
