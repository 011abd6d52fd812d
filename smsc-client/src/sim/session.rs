//! One bound ESME at the simulator: answers its requests (submissions with message ids,
//! `query_sm` / `cancel_sm` / `replace_sm` from the remembered messages), applies the faults,
//! and schedules the delivery receipts its submissions ask for.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use smpp_codec::coding::{self, DefaultAlphabet, NationalShift};
use smpp_codec::receipt::{MessageState, ReceiptBuilder};
use smpp_codec::{
    Body, COctetString, CommandStatus, DataSmResp, DestAddress, QuerySmResp, SubmitMultiResp,
    SubmitSmResp, Tlvs,
};

use super::store::Counters;
use super::{Shared, SimEvent, receipt_time};
use crate::net::{InboundRequest, RequestError, Responder};
use crate::session::BindKind;
use crate::smsc::{SmscHandle, SmscSession};

/// A deliver_sm our relay sends for the malformed-PDU fault: `command_length` 20 announces a
/// 4-octet body that ends inside `source_addr` (no NUL): it does not decode.
const MALFORMED: [u8; 20] = [
    0, 0, 0, 20, // command_length
    0, 0, 0, 5, // deliver_sm
    0, 0, 0, 0, // status
    0x7F, 0xFF, 0xFF, 0xF0, // sequence_number
    0, 1, 1, b'1', // service_type "", ton, npi, source_addr without its NUL
];

/// The message a submission carries, as far as receipts need it.
struct Submitted {
    source: (u8, u8, String),
    destinations: Vec<(u8, u8, String)>,
    registered_delivery: u8,
    text: String,
}

/// Runs one bound session until it closes.
pub(crate) async fn run(shared: Arc<Shared>, session: SmscSession, conn: u64) {
    let (handle, mut inbound) = session.into_parts();
    let info = handle.info().clone();
    let receives = matches!(info.kind, BindKind::Receiver | BindKind::Transceiver);
    shared.store.add_session(conn, handle.clone(), receives);
    let peer = shared
        .proxy
        .as_ref()
        .and_then(|p| p.real_peer(info.peer))
        .unwrap_or(info.peer);
    let _ = shared.events.send(SimEvent::Bound {
        conn,
        system_id: info.system_id.clone(),
        kind: info.kind,
        peer,
    });
    let mut submits = 0u64;
    loop {
        let req = tokio::select! {
            r = inbound.recv() => r,
            _ = shared.stopped() => None,
        };
        let Some(req) = req else { break };
        on_request(&shared, &handle, req, &mut submits);
    }
    shared.store.remove_session(conn);
    let reason = match tokio::time::timeout(Duration::from_secs(10), handle.closed()).await {
        Ok(r) => r,
        Err(_) => {
            handle.close();
            handle.closed().await
        }
    };
    let _ = shared.events.send(SimEvent::Closed {
        conn,
        system_id: info.system_id,
        reason,
    });
}

fn on_request(shared: &Arc<Shared>, handle: &SmscHandle, req: InboundRequest, submits: &mut u64) {
    let (pdu, responder) = req.into_parts();
    let Some(responder) = responder else { return };
    let submitted = match pdu.body {
        Body::SubmitSm(sm) => Submitted {
            source: (
                sm.source_addr_ton,
                sm.source_addr_npi,
                sm.source_addr.to_string(),
            ),
            destinations: vec![(
                sm.dest_addr_ton,
                sm.dest_addr_npi,
                sm.destination_addr.to_string(),
            )],
            registered_delivery: sm.registered_delivery,
            text: text_of(
                sm.esm_class,
                sm.data_coding,
                &sm.short_message.to_bytes(),
                &sm.tlvs,
            ),
        },
        Body::DataSm(sm) => Submitted {
            source: (
                sm.source_addr_ton,
                sm.source_addr_npi,
                sm.source_addr.to_string(),
            ),
            destinations: vec![(
                sm.dest_addr_ton,
                sm.dest_addr_npi,
                sm.destination_addr.to_string(),
            )],
            registered_delivery: sm.registered_delivery,
            text: text_of(sm.esm_class, sm.data_coding, &Bytes::new(), &sm.tlvs),
        },
        Body::SubmitMulti(sm) => Submitted {
            source: (
                sm.source_addr_ton,
                sm.source_addr_npi,
                sm.source_addr.to_string(),
            ),
            destinations: sm
                .dest_address
                .iter()
                .filter_map(|d| match d {
                    DestAddress::Sme {
                        dest_addr_ton,
                        dest_addr_npi,
                        destination_addr,
                    } => Some((*dest_addr_ton, *dest_addr_npi, destination_addr.to_string())),
                    DestAddress::DistributionList { .. } => None,
                })
                .collect(),
            registered_delivery: sm.registered_delivery,
            text: text_of(
                sm.esm_class,
                sm.data_coding,
                &sm.short_message.to_bytes(),
                &sm.tlvs,
            ),
        },
        Body::QuerySm(q) => {
            let id = q.message_id.to_string();
            match shared.store.get(&id) {
                Some(r) => answer(
                    shared,
                    responder,
                    CommandStatus::ESME_ROK,
                    Body::QuerySmResp(QuerySmResp {
                        message_id: q.message_id,
                        message_state: r.state.as_u8(),
                        ..QuerySmResp::default()
                    }),
                ),
                None => reject(shared, responder, CommandStatus::ESME_RQUERYFAIL),
            }
            return;
        }
        Body::CancelSm(c) => {
            let id = c.message_id.to_string();
            let status = match shared.store.get(&id) {
                Some(r) if !r.state.is_final() => {
                    shared.store.set_state(&id, MessageState::Deleted);
                    CommandStatus::ESME_ROK
                }
                _ => CommandStatus::ESME_RCANCELFAIL,
            };
            reject(shared, responder, status);
            return;
        }
        Body::ReplaceSm(r) => {
            let id = r.message_id.to_string();
            let status = match shared.store.get(&id) {
                Some(rec) if !rec.state.is_final() => CommandStatus::ESME_ROK,
                _ => CommandStatus::ESME_RREPLACEFAIL,
            };
            reject(shared, responder, status);
            return;
        }
        _ => {
            reject(shared, responder, CommandStatus::ESME_RINVCMDID);
            return;
        }
    };
    let request = responder.command_id();
    Counters::bump(&shared.counters.submits);
    *submits += 1;
    let faults = &shared.config.faults;
    if faults.drop_after_submits == Some(*submits) {
        Counters::bump(&shared.counters.connections_dropped);
        // The close goes first on the driver's queue, so this submit stays unanswered.
        handle.close();
        drop(responder);
        return;
    }
    let draw = shared.random() * 100.0;
    if draw < faults.throttle_pct {
        Counters::bump(&shared.counters.throttled);
        reject(shared, responder, CommandStatus::ESME_RTHROTTLED);
        return;
    }
    if draw < faults.throttle_pct + faults.queue_full_pct {
        Counters::bump(&shared.counters.queue_full);
        reject(shared, responder, CommandStatus::ESME_RMSGQFUL);
        return;
    }
    let n = shared
        .next_id
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    // At most 8 characters towards an SMPP 3.3 ESME (SMPP 3.4 §3.3), the receipt's id too.
    let v33 = handle.info().interface_version < smpp_codec::field::version::V34;
    let format = move |f: super::IdFormat| if v33 { f.format_v33(n) } else { f.format(n) };
    let id = format(shared.config.id_format);
    let Ok(message_id) = COctetString::<65>::try_from(id.as_str()) else {
        reject(shared, responder, CommandStatus::ESME_RSYSERR);
        return;
    };
    let body = match request {
        smpp_codec::CommandId::DataSm => Body::DataSmResp(DataSmResp {
            message_id,
            tlvs: Tlvs::default(),
        }),
        smpp_codec::CommandId::SubmitMulti => Body::SubmitMultiResp(SubmitMultiResp {
            message_id,
            ..SubmitMultiResp::default()
        }),
        _ => Body::SubmitSmResp(SubmitSmResp {
            message_id,
            tlvs: Tlvs::default(),
        }),
    };
    let malformed = faults.malformed_after_submits == Some(*submits);
    let inner_peer = handle.info().peer;
    let sh = shared.clone();
    let after = move || {
        if malformed {
            if let Some(p) = &sh.proxy {
                if p.inject(inner_peer, Bytes::from_static(&MALFORMED)) {
                    Counters::bump(&sh.counters.malformed_sent);
                }
            }
        }
    };
    Counters::bump(&shared.counters.accepted);
    shared.store.record_submission(super::store::Submission {
        message_id: id.clone(),
        source: submitted.source.2.clone(),
        destinations: submitted.destinations.iter().map(|d| d.2.clone()).collect(),
        text: submitted.text.clone(),
    });
    let state = pick_state(shared);
    shared.store.remember(&id, MessageState::Enroute);
    respond_then(shared, responder, CommandStatus::ESME_ROK, body, after);
    let wanted = match submitted.registered_delivery & 0x03 {
        1 => true,
        2 => state != MessageState::Delivered,
        3 => state == MessageState::Delivered,
        _ => false,
    };
    if !wanted {
        return;
    }
    let system_id = handle.info().system_id.clone();
    let submitted_at = SystemTime::now();
    for dest in submitted.destinations {
        let shared = shared.clone();
        let id = id.clone();
        let system_id = system_id.clone();
        let source = submitted.source.clone();
        let text = submitted.text.clone();
        tokio::spawn(async move {
            let jitter = shared.config.receipt_jitter;
            let extra = if jitter.is_zero() {
                Duration::ZERO
            } else {
                Duration::from_micros(shared.random_below(jitter.as_micros() as u64 + 1))
            };
            tokio::select! {
                _ = tokio::time::sleep(shared.config.receipt_delay + extra) => {}
                _ = shared.stopped() => return,
            }
            if shared
                .store
                .get(&id)
                .is_some_and(|r| r.state == MessageState::Deleted)
            {
                return;
            }
            shared.store.set_state(&id, state);
            let receipt_id = shared
                .config
                .receipt_id_format
                .map_or_else(|| id.clone(), format);
            let receipt = ReceiptBuilder::new(
                &receipt_id,
                state,
                receipt_time(submitted_at),
                receipt_time(SystemTime::now()),
            )
            .and_then(|b| {
                b.text(&text)
                    .source(dest.0, dest.1, &dest.2)
                    .destination(source.0, source.1, &source.2)
                    .to_deliver_sm()
            });
            let sm = match receipt {
                Ok(sm) => sm,
                Err(e) => {
                    tracing::warn!(error = %e, "sim: cannot build a receipt");
                    Counters::bump(&shared.counters.receipts_dropped);
                    return;
                }
            };
            deliver_receipt(&shared, &system_id, sm).await;
        });
    }
}

/// Delivers a receipt to an RX/TRX bind of `system_id`, waiting up to `receipt_hold` for one.
async fn deliver_receipt(shared: &Shared, system_id: &str, sm: smpp_codec::DeliverSm) {
    let deadline = tokio::time::Instant::now() + shared.config.receipt_hold;
    while tokio::time::Instant::now() < deadline && !*shared.shutdown.borrow() {
        let Some(h) = shared.store.receiver(Some(system_id)) else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        match h.deliver_sm(super::for_peer(sm.clone(), &h)).await {
            Ok(_) => {
                Counters::bump(&shared.counters.receipts_sent);
                return;
            }
            Err(RequestError::Status { status, .. }) if !status.is_temporary() => break,
            Err(e) => {
                tracing::debug!(error = %e, "sim: receipt not taken; retrying");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
    Counters::bump(&shared.counters.receipts_dropped);
}

/// The final state for a new message, from the configured mix.
fn pick_state(shared: &Shared) -> MessageState {
    let mix = &shared.config.receipt_states;
    mix.pick(shared.random_below(mix.total()))
}

fn reject(shared: &Shared, responder: Responder, status: CommandStatus) {
    match shared.config.faults.response_delay {
        None => responder.reject(status),
        Some(d) => {
            tokio::spawn(async move {
                tokio::time::sleep(d).await;
                responder.reject(status);
            });
        }
    }
}

fn answer(shared: &Shared, responder: Responder, status: CommandStatus, body: Body) {
    respond_then(shared, responder, status, body, || {});
}

fn respond_then(
    shared: &Shared,
    responder: Responder,
    status: CommandStatus,
    body: Body,
    after: impl FnOnce() + Send + 'static,
) {
    let send = move || {
        if let Err(e) = responder.respond_with(status, body) {
            tracing::debug!(error = %e, "sim: answer not sent");
        }
        after();
    };
    match shared.config.faults.response_delay {
        None => send(),
        Some(d) => {
            tokio::spawn(async move {
                tokio::time::sleep(d).await;
                send();
            });
        }
    }
}

/// The text of a submission, for the receipt's `text:` (best effort; empty for binary).
fn text_of(esm_class: u8, data_coding: u8, short_message: &Bytes, tlvs: &Tlvs) -> String {
    let data = if short_message.is_empty() {
        tlvs.message_payload().unwrap_or_default()
    } else {
        short_message.clone()
    };
    let mut payload = &data[..];
    if esm_class & 0x40 != 0 {
        let udhl = payload.first().map_or(0, |l| usize::from(*l) + 1);
        payload = payload.get(udhl..).unwrap_or_default();
    }
    coding::decode_text(
        payload,
        data_coding,
        DefaultAlphabet::GsmUnpacked,
        NationalShift::NONE,
        0,
    )
    .map(|t| t.into_owned())
    .unwrap_or_default()
}
