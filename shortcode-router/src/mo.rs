//! The MO pipeline: takes the SMSC's `deliver_sm` / `data_sm` from a [`MoSource`], reassembles
//! long MOs (parts are stored as they come), routes each whole MO (compliance keywords, keyword
//! routes, open conversation, catch-all, no-route reply), writes the MO and everything it
//! changes in one transaction per batch (group commit), and only then answers the SMSC
//! (`deliver_sm_resp`; `ESME_RX_T_APPN` when the store fails, so the SMSC redelivers). Webhooks
//! and MTs go out after the commit. Receipts are stored and answered the same way.

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use futures::FutureExt;
use smpp_codec::coding::DefaultAlphabet;
use smpp_codec::concat::{Concat, MessageRef};
use smpp_codec::reassembly::{
    Expired, Incoming, IncomingPart, Message, Outcome, Reassembler, ReassemblyConfig,
};
use smpp_codec::receipt::{Receipt, ReceiptKind};
use smpp_codec::{Body, CommandStatus};
use smsc_client::net::{InboundRequest, Responder};
use tokio::task::JoinSet;

use crate::carrier::MoSource;
use crate::compliance::{self, Compliance, ConsentGate, Keywords};
use crate::config::{Config, ProgramConfig};
use crate::conversation;
use crate::mt::Outbound;
use crate::routing::{RoutingTable, Rule};
use crate::store::{
    ConsentChange, InboundWrite, MoRecord, MoState, MoWrite, MtKind, MtRecord, PartRecord,
    ReceiptRecord, Store, StoreError, SubscriptionChange, WebhookRecord, WebhookState,
};
use crate::webhook::{self, Dispatcher};
use crate::{new_id, now_ms};

/// What the pipeline needs.
pub struct Pipeline {
    config: Arc<Config>,
    table: Arc<RoutingTable>,
    keywords: Keywords,
    store: Arc<dyn Store>,
    dispatcher: Arc<Dispatcher>,
    outbound: Arc<Outbound>,
    gate: ConsentGate,
    reassembler: Reassembler,
    alphabet: DefaultAlphabet,
    reload_parts: bool,
    mts: JoinSet<()>,
}

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline")
            .field("pending_parts", &self.reassembler.pending_messages())
            .finish_non_exhaustive()
    }
}

/// One batch: the writes (with the webhooks and MTs to send after the commit) and the
/// responders to answer after the commit.
#[derive(Default)]
struct Batch {
    writes: Vec<InboundWrite>,
    responders: Vec<Responder>,
    /// Subscribers whose consent changes: locked across the commit.
    consent: Vec<String>,
}

impl Batch {
    fn is_empty(&self) -> bool {
        self.writes.is_empty() && self.responders.is_empty()
    }

    fn add_mo(&mut self, w: MoWrite) {
        if let Some(c) = &w.consent {
            self.consent.push(c.subscriber.clone());
        }
        self.writes.push(InboundWrite::Mo(Box::new(w)));
    }
}

/// The webhooks among `writes`.
fn webhooks_of(writes: &[InboundWrite]) -> impl Iterator<Item = &WebhookRecord> {
    writes.iter().flat_map(|w| match w {
        InboundWrite::Mo(m) => m.webhooks.as_slice(),
        _ => &[],
    })
}

fn part_key(p: &IncomingPart) -> String {
    let (kind, value) = ref_parts(p.concat.reference);
    format!(
        "{}|{}|{kind}:{value}|{}",
        String::from_utf8_lossy(&p.source),
        String::from_utf8_lossy(&p.destination),
        p.concat.total
    )
}

fn message_key(m: &Message) -> Option<String> {
    let (kind, value) = ref_parts(m.reference?);
    Some(format!(
        "{}|{}|{kind}:{value}|{}",
        String::from_utf8_lossy(&m.source),
        String::from_utf8_lossy(&m.destination),
        m.total
    ))
}

fn ref_parts(r: MessageRef) -> (u8, u16) {
    match r {
        MessageRef::Udh8(v) => (0, u16::from(v)),
        MessageRef::Udh16(v) => (1, v),
        MessageRef::Sar(v) => (2, v),
    }
}

fn part_record(p: &IncomingPart) -> PartRecord {
    let (ref_kind, ref_value) = ref_parts(p.concat.reference);
    PartRecord {
        key: part_key(p),
        seq: p.concat.seq,
        source: p.source.to_vec(),
        destination: p.destination.to_vec(),
        ref_kind,
        ref_value,
        total: p.concat.total,
        payload: p.payload.to_vec(),
        data_coding: p.data_coding,
        national_locking: p.national_locking,
        national_single: p.national_single,
        udh_len: p.udh_len as u32,
        received_at: now_ms(),
    }
}

fn part_from_record(r: &PartRecord) -> IncomingPart {
    IncomingPart {
        source: Bytes::from(r.source.clone()),
        destination: Bytes::from(r.destination.clone()),
        concat: Concat {
            reference: match r.ref_kind {
                0 => MessageRef::Udh8(r.ref_value as u8),
                1 => MessageRef::Udh16(r.ref_value),
                _ => MessageRef::Sar(r.ref_value),
            },
            total: r.total,
            seq: r.seq,
        },
        payload: Bytes::from(r.payload.clone()),
        data_coding: r.data_coding,
        national_locking: r.national_locking,
        national_single: r.national_single,
        udh_len: r.udh_len as usize,
    }
}

fn compliance_mt(
    mo: &MoRecord,
    program: Option<&ProgramConfig>,
    text: String,
    bypass: bool,
) -> MtRecord {
    MtRecord {
        id: new_id("msg"),
        created_at: now_ms(),
        short_code: mo.short_code.clone(),
        subscriber: mo.source.clone(),
        program: program.map(|p| p.name.clone()),
        text,
        kind: MtKind::Compliance,
        bypass_optout: bypass,
    }
}

fn webhook_record(mo_id: &str, handler: &str, kind: &str, payload: String) -> WebhookRecord {
    let now = now_ms();
    WebhookRecord {
        id: new_id("msg"),
        mo_id: Some(mo_id.to_owned()),
        handler: handler.to_owned(),
        kind: kind.to_owned(),
        payload,
        created_at: now,
        next_attempt_at: now,
        attempts: 0,
        state: WebhookState::Pending,
        last_error: None,
        reply: None,
    }
}

/// Hands a routed MO to `handler`: its state becomes `webhook`, and the one `message.received`
/// webhook that carries it is returned for storing with it.
fn to_handler(mo: &mut MoRecord, handler: &str) -> Vec<WebhookRecord> {
    mo.state = MoState::Webhook;
    let payload = webhook::message_payload(mo);
    vec![webhook_record(
        &mo.id,
        handler,
        webhook::MESSAGE_RECEIVED,
        payload,
    )]
}

impl Pipeline {
    /// A pipeline over these parts (see [`crate::service::Service`], which wires them).
    pub fn new(
        config: Arc<Config>,
        table: Arc<RoutingTable>,
        store: Arc<dyn Store>,
        dispatcher: Arc<Dispatcher>,
        outbound: Arc<Outbound>,
    ) -> Pipeline {
        let reassembly = ReassemblyConfig {
            timeout: std::time::Duration::from_secs(config.reassembly.timeout_secs),
            ..ReassemblyConfig::default()
        };
        Pipeline {
            keywords: Keywords::from_config(&config.compliance),
            config,
            table,
            store,
            dispatcher,
            // The MT pipeline's gate: one per service, by construction.
            gate: outbound.gate().clone(),
            outbound,
            reassembler: Reassembler::new(reassembly),
            alphabet: DefaultAlphabet::default(),
            reload_parts: true,
            mts: JoinSet::new(),
        }
    }

    async fn restore_parts(&mut self) -> Result<(), StoreError> {
        let parts = self.store.load_parts().await?;
        self.reassembler = Reassembler::new(*self.reassembler.config());
        let now = Instant::now();
        for p in &parts {
            // Complete sets cannot be stored (the last part completes them): pushes only pend.
            let _ = self.reassembler.push(now, part_from_record(p));
        }
        if !parts.is_empty() {
            tracing::info!(parts = parts.len(), "long-MO parts restored from the store");
        }
        self.reload_parts = false;
        Ok(())
    }

    /// Runs until `source` ends.
    pub async fn run(mut self, mut source: impl MoSource) {
        let max_batch = self.config.store.max_batch;
        loop {
            if self.reload_parts
                && let Err(e) = self.restore_parts().await
            {
                tracing::error!(error = %e, "cannot load long-MO parts; retrying");
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                continue;
            }
            let deadline = self.reassembler.poll_timeout();
            let first = tokio::select! {
                r = source.recv() => r,
                _ = sleep_until(deadline) => {
                    let mut batch = Batch::default();
                    self.expire(&mut batch).await;
                    self.commit(batch).await;
                    continue;
                }
                Some(_) = self.mts.join_next(), if !self.mts.is_empty() => continue,
            };
            let Some(first) = first else { break };
            let mut batch = Batch::default();
            self.take(first, &mut batch).await;
            while batch.writes.len() < max_batch {
                match source.recv().now_or_never() {
                    Some(Some(req)) => self.take(req, &mut batch).await,
                    _ => break,
                }
            }
            self.commit(batch).await;
        }
        while self.mts.join_next().await.is_some() {}
    }

    async fn expire(&mut self, batch: &mut Batch) {
        while let Some(e) = self.reassembler.poll_expired(Instant::now()) {
            match e {
                Expired::Partial(m) => {
                    tracing::info!(missing = ?m.missing(), "long MO incomplete at timeout; routed with gaps");
                    self.whole(m, batch).await;
                }
                Expired::Dropped { key, received } => {
                    tracing::warn!(received, "long MO incomplete at timeout; dropped");
                    let (kind, value) = ref_parts(key.reference);
                    let k = format!(
                        "{}|{}|{kind}:{value}|{}",
                        String::from_utf8_lossy(&key.source),
                        String::from_utf8_lossy(&key.destination),
                        key.total
                    );
                    batch.add_mo(MoWrite {
                        parts_key: Some(k),
                        ..MoWrite::default()
                    });
                }
            }
        }
    }

    /// Writes the batch, answers the SMSC, then sends the webhooks and MTs.
    async fn commit(&mut self, batch: Batch) {
        if batch.is_empty() {
            return;
        }
        let Batch {
            writes,
            responders,
            consent,
        } = batch;
        let result = if writes.is_empty() {
            Ok(())
        } else {
            // Opt-outs are recorded under their subscribers' locks (see ConsentGate).
            let _locks = self
                .gate
                .lock_many(consent.iter().map(String::as_str))
                .await;
            self.dispatcher.reserve(webhooks_of(&writes));
            self.store.write_inbound(&writes).await
        };
        match result {
            Ok(()) => {
                for r in responders {
                    r.ok();
                }
                // The webhooks and MTs leave the writes (moved, not copied).
                for w in writes {
                    let InboundWrite::Mo(w) = w else { continue };
                    let MoWrite { webhooks, mts, .. } = *w;
                    for w in webhooks {
                        self.dispatcher.dispatch(w);
                    }
                    for mt in mts {
                        let out = self.outbound.clone();
                        self.mts.spawn(async move {
                            if let Err(e) = out.deliver(&mt).await {
                                tracing::info!(mt = %mt.id, error = %e, "compliance MT not sent");
                            }
                        });
                    }
                }
            }
            Err(e) => {
                tracing::error!(
                    error = %e, n = responders.len(),
                    "cannot store MOs: answering ESME_RX_T_APPN so the SMSC redelivers"
                );
                for r in responders {
                    r.reject(CommandStatus::ESME_RX_T_APPN);
                }
                self.dispatcher.release(webhooks_of(&writes));
                // Parts pushed to the reassembler were not stored: start again from the store.
                self.reload_parts = true;
            }
        }
    }

    /// Takes one request into the batch.
    async fn take(&mut self, mut req: InboundRequest, batch: &mut Batch) {
        let Some(responder) = req.take_responder() else {
            return;
        };
        if let Some(receipt) = Receipt::from_body(req.body()) {
            let raw_of = |b: &Body| match b {
                Body::DeliverSm(sm) => {
                    String::from_utf8_lossy(sm.short_message.as_bytes()).into_owned()
                }
                _ => String::new(),
            };
            let record = match receipt {
                Ok(r) if r.kind == ReceiptKind::DeliveryReceipt || !r.message_id.is_empty() => {
                    ReceiptRecord {
                        message_id: r.message_id.to_owned(),
                        stat: r.stat().map(str::to_owned),
                        err: r.err().map(str::to_owned),
                        raw: String::from_utf8_lossy(r.raw_text).into_owned(),
                        received_at: now_ms(),
                    }
                }
                Ok(_) | Err(_) => ReceiptRecord {
                    message_id: String::new(),
                    stat: None,
                    err: None,
                    raw: raw_of(req.body()),
                    received_at: now_ms(),
                },
            };
            batch.writes.push(InboundWrite::Receipt(record));
            batch.responders.push(responder);
            return;
        }
        let incoming = match req.body() {
            Body::DeliverSm(sm) => Incoming::from_deliver_sm(sm),
            Body::DataSm(sm) => Incoming::from_data_sm(sm),
            other => {
                tracing::debug!(command = ?other.command_id(), "not an MO; answered OK");
                responder.ok();
                return;
            }
        };
        let part = match &incoming {
            Ok(Incoming::Part(p)) => Some(part_record(p)),
            _ => None,
        };
        match self.reassembler.push_incoming(Instant::now(), incoming) {
            Err(e) => {
                tracing::warn!(error = %e, "MO part refused");
                responder.reject(e.command_status());
            }
            Ok(Outcome::Duplicate) => batch.responders.push(responder),
            Ok(Outcome::Pending { .. }) => {
                if let Some(p) = part {
                    batch.writes.push(InboundWrite::Part(p));
                }
                batch.responders.push(responder);
            }
            Ok(Outcome::Complete(m)) => {
                // Routing may commit what is batched before it (to read); this MO's answer
                // must wait for its own write, so the responder joins after it.
                self.whole(m, batch).await;
                batch.responders.push(responder);
            }
        }
    }

    /// Routes a whole MO into the batch.
    async fn whole(&mut self, m: Message, batch: &mut Batch) {
        let text = m
            .text(self.alphabet)
            .unwrap_or_else(|_| String::from_utf8_lossy(&m.payload).into_owned());
        let parts_key = if m.total > 1 { message_key(&m) } else { None };
        let mo = MoRecord {
            id: new_id("mo"),
            received_at: now_ms(),
            source: String::from_utf8_lossy(&m.source).into_owned(),
            short_code: String::from_utf8_lossy(&m.destination).into_owned(),
            text,
            segments: u32::from(m.total),
            data_coding: m.data_coding,
            rule: Rule::NoRoute.as_str().to_owned(),
            matched: None,
            route: None,
            program: None,
            handler: None,
            state: MoState::NoRoute,
        };
        let write = match self.route(mo, batch).await {
            Ok(w) => w,
            Err((mo, e)) => {
                // A read failed: store the MO unrouted rather than lose it.
                tracing::error!(error = %e, mo = %mo.id, "routing read failed; MO stored unrouted");
                MoWrite {
                    mo: Some(mo),
                    ..MoWrite::default()
                }
            }
        };
        batch.add_mo(MoWrite { parts_key, ..write });
    }

    /// Commits what is batched so far (before a read that must see it).
    async fn flush(&mut self, batch: &mut Batch) {
        let b = std::mem::take(batch);
        self.commit(b).await;
    }

    fn program_of_conversation_or_default(
        &self,
        conv: Option<&crate::store::ConversationRecord>,
        code: &str,
    ) -> Option<ProgramConfig> {
        conv.and_then(|c| self.config.program(&c.program))
            .or_else(|| self.config.default_program(code))
            .cloned()
    }

    /// The routing order: compliance, keyword, conversation, catch-all, no route.
    async fn route(
        &mut self,
        mut mo: MoRecord,
        batch: &mut Batch,
    ) -> Result<MoWrite, (MoRecord, StoreError)> {
        let now = now_ms();
        let config = self.config.clone();
        let code = mo.short_code.clone();
        let sub = mo.source.clone();
        // 1. Compliance keywords.
        if let Some(kind) = self.keywords.classify(&mo.text) {
            self.flush(batch).await;
            let conv = match self.store.conversation(&sub, &code, now).await {
                Ok(c) => c,
                Err(e) => return Err((mo, e)),
            };
            let program = self.program_of_conversation_or_default(conv.as_ref(), &code);
            let keyword = crate::routing::fold(&mo.text);
            let set = |mo: &mut MoRecord, p: Option<&ProgramConfig>| {
                mo.rule = Rule::Compliance.as_str().to_owned();
                mo.matched = Some(kind.as_str().to_owned());
                mo.program = p.map(|p| p.name.clone());
                mo.state = MoState::Compliance;
            };
            match kind {
                Compliance::Stop | Compliance::StopAll => {
                    let all = kind == Compliance::StopAll;
                    let codes: Vec<String> = if all {
                        config.short_codes.iter().map(|s| s.code.clone()).collect()
                    } else {
                        vec![code.clone()]
                    };
                    let programs: Vec<&ProgramConfig> = config
                        .programs
                        .iter()
                        .filter(|p| codes.contains(&p.short_code))
                        .collect();
                    set(&mut mo, program.as_ref());
                    let text = if all {
                        compliance::stop_all_confirmation(&programs)
                    } else {
                        match &program {
                            Some(p) => compliance::stop_confirmation(p),
                            None => "You are unsubscribed and will receive no more messages. \
                                     Reply START to resubscribe."
                                .to_owned(),
                        }
                    };
                    // The confirmation is the one MT an opt-out lets through; it goes from the
                    // short code the STOP came to.
                    let mts = vec![compliance_mt(&mo, program.as_ref(), text, true)];
                    let scope = if all { "all" } else { "short_code" };
                    let webhooks = self.events(&mo, &programs, webhook::OPTED_OUT, &keyword, scope);
                    return Ok(MoWrite {
                        mo: Some(mo),
                        webhooks,
                        mts,
                        consent: Some(ConsentChange {
                            subscriber: sub,
                            short_codes: codes,
                            opted_out: true,
                            keyword,
                            at: now,
                        }),
                        ..MoWrite::default()
                    });
                }
                Compliance::Help => {
                    set(&mut mo, program.as_ref());
                    let mts = program
                        .as_ref()
                        .map(|p| vec![compliance_mt(&mo, Some(p), compliance::help_text(p), false)])
                        .unwrap_or_default();
                    return Ok(MoWrite {
                        mo: Some(mo),
                        mts,
                        ..MoWrite::default()
                    });
                }
                Compliance::Start | Compliance::Yes => {
                    if kind == Compliance::Yes {
                        match self.store.pending_subscription(&sub, &code).await {
                            Ok(Some(pending)) => {
                                return self.confirm_join(mo, pending, now).await;
                            }
                            Ok(None) => {}
                            Err(e) => return Err((mo, e)),
                        }
                        match self.store.opted_out(&sub, &code).await {
                            Ok(true) => {}
                            // Not a compliance YES: an ordinary message.
                            Ok(false) => return self.route_plain(mo, now).await,
                            Err(e) => return Err((mo, e)),
                        }
                    }
                    set(&mut mo, program.as_ref());
                    let programs: Vec<&ProgramConfig> = config
                        .programs
                        .iter()
                        .filter(|p| p.short_code == code)
                        .collect();
                    let mts = program
                        .as_ref()
                        .map(|p| {
                            vec![compliance_mt(
                                &mo,
                                Some(p),
                                compliance::start_confirmation(p),
                                false,
                            )]
                        })
                        .unwrap_or_default();
                    let webhooks =
                        self.events(&mo, &programs, webhook::OPTED_IN, &keyword, "short_code");
                    return Ok(MoWrite {
                        mo: Some(mo),
                        webhooks,
                        mts,
                        consent: Some(ConsentChange {
                            subscriber: sub,
                            short_codes: vec![code],
                            opted_out: false,
                            keyword,
                            at: now,
                        }),
                        ..MoWrite::default()
                    });
                }
            }
        }
        // 2. Keyword routes.
        if let Some(m) = self.table.match_keyword(&code, &mo.text) {
            let route = m.route.clone();
            mo.rule = m.rule.as_str().to_owned();
            mo.matched = Some(m.matched);
            mo.route = Some(route.name.clone());
            mo.program = Some(route.program.clone());
            mo.handler = Some(route.handler.clone());
            let Some(program) = config.program(&route.program) else {
                return Ok(MoWrite {
                    mo: Some(mo),
                    ..MoWrite::default()
                });
            };
            if program.double_opt_in {
                self.flush(batch).await;
                let subscribed = match self.store.subscribed(&sub, &code, &program.name).await {
                    Ok(s) => s,
                    Err(e) => return Err((mo, e)),
                };
                if !subscribed {
                    mo.state = MoState::AwaitingConfirmation;
                    let mts = vec![compliance_mt(
                        &mo,
                        Some(program),
                        compliance::confirm_request(program),
                        false,
                    )];
                    let subscription = Some(SubscriptionChange {
                        subscriber: sub,
                        short_code: code,
                        program: program.name.clone(),
                        active: false,
                        pending_mo_id: Some(mo.id.clone()),
                        at: now,
                    });
                    return Ok(MoWrite {
                        mo: Some(mo),
                        mts,
                        subscription,
                        ..MoWrite::default()
                    });
                }
            }
            let webhooks = to_handler(&mut mo, &route.handler);
            // A keyword moves the subscriber to the keyword's program.
            let conversation = Some(conversation::open(
                program,
                &route.handler,
                Some(&route.name),
                &sub,
                now,
            ));
            return Ok(MoWrite {
                mo: Some(mo),
                webhooks,
                conversation,
                ..MoWrite::default()
            });
        }
        // 3-5. Conversation, catch-all, no route.
        self.flush(batch).await;
        self.route_plain(mo, now).await
    }

    /// Conversation, then catch-all, then the no-route reply.
    async fn route_plain(
        &mut self,
        mut mo: MoRecord,
        now: i64,
    ) -> Result<MoWrite, (MoRecord, StoreError)> {
        let conv = match self
            .store
            .conversation(&mo.source, &mo.short_code, now)
            .await
        {
            Ok(c) => c,
            Err(e) => return Err((mo, e)),
        };
        if let Some(c) = conv {
            mo.rule = Rule::Conversation.as_str().to_owned();
            mo.route = c.route.clone();
            mo.program = Some(c.program.clone());
            mo.handler = Some(c.handler.clone());
            let webhooks = to_handler(&mut mo, &c.handler);
            return Ok(MoWrite {
                mo: Some(mo),
                webhooks,
                conversation: Some(conversation::refresh(&self.config, &c, now)),
                ..MoWrite::default()
            });
        }
        if let Some(r) = self.table.catch_all(&mo.short_code) {
            mo.rule = Rule::CatchAll.as_str().to_owned();
            mo.route = Some(r.name.clone());
            mo.program = Some(r.program.clone());
            mo.handler = Some(r.handler.clone());
            let webhooks = to_handler(&mut mo, &r.handler);
            return Ok(MoWrite {
                mo: Some(mo),
                webhooks,
                ..MoWrite::default()
            });
        }
        mo.state = MoState::NoRoute;
        let reply = self
            .config
            .short_code(&mo.short_code)
            .and_then(|s| s.no_route_reply.clone());
        let mts = reply
            .map(|text| {
                let mut mt = compliance_mt(&mo, None, text, false);
                mt.kind = MtKind::NoRoute;
                vec![mt]
            })
            .unwrap_or_default();
        Ok(MoWrite {
            mo: Some(mo),
            mts,
            ..MoWrite::default()
        })
    }

    /// YES completing a double opt-in: the join MO goes to its handler now.
    async fn confirm_join(
        &mut self,
        mut mo: MoRecord,
        pending: crate::store::PendingSubscription,
        now: i64,
    ) -> Result<MoWrite, (MoRecord, StoreError)> {
        let config = self.config.clone();
        let program = config.program(&pending.program);
        mo.rule = Rule::Compliance.as_str().to_owned();
        mo.matched = Some(Compliance::Yes.as_str().to_owned());
        mo.program = Some(pending.program.clone());
        mo.state = MoState::Compliance;
        let mut webhooks = Vec::new();
        let mut conversation = None;
        if let Some(join_id) = &pending.mo_id {
            let join = match self.store.mo(join_id).await {
                Ok(j) => j,
                Err(e) => return Err((mo, e)),
            };
            if let Some(mut join) = join {
                join.state = MoState::Webhook;
                if let (Some(handler), Some(p)) = (join.handler.clone(), program) {
                    let payload = webhook::message_payload(&join);
                    webhooks.push(webhook_record(
                        &join.id,
                        &handler,
                        webhook::MESSAGE_RECEIVED,
                        payload,
                    ));
                    conversation = Some(conversation::open(
                        p,
                        &handler,
                        join.route.as_deref(),
                        &mo.source,
                        now,
                    ));
                }
            }
        }
        let mts = program
            .map(|p| {
                vec![compliance_mt(
                    &mo,
                    Some(p),
                    compliance::joined_confirmation(p),
                    false,
                )]
            })
            .unwrap_or_default();
        let subscription = Some(SubscriptionChange {
            subscriber: mo.source.clone(),
            short_code: mo.short_code.clone(),
            program: pending.program.clone(),
            active: true,
            pending_mo_id: None,
            at: now,
        });
        Ok(MoWrite {
            mo: Some(mo),
            webhooks,
            mts,
            conversation,
            subscription,
            ..MoWrite::default()
        })
    }

    /// Subscriber events to each affected program's handler (once per handler).
    fn events(
        &self,
        mo: &MoRecord,
        programs: &[&ProgramConfig],
        kind: &str,
        keyword: &str,
        scope: &str,
    ) -> Vec<WebhookRecord> {
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        for p in programs {
            let Some(h) = self.config.program_handler(&p.name) else {
                continue;
            };
            if seen.insert(h.to_owned()) {
                let payload = webhook::event_payload(kind, mo, &p.name, keyword, scope);
                out.push(webhook_record(&mo.id, h, kind, payload));
            }
        }
        out
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(tokio::time::Instant::from_std(d)).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::SqliteStore;

    /// Parts stored before a restart come back into the reassembler; a message still
    /// incomplete at its timeout is routed with its gap marked and its parts removed.
    #[tokio::test]
    async fn stored_parts_survive_a_restart_and_expire_into_a_partial_mo() {
        let dir = tempfile::tempdir().unwrap();
        let text = crate::config::tests::SAMPLE
            .replace(
                "path = \"router.db\"",
                &format!("path = {:?}", dir.path().join("r.db")),
            )
            .replace(
                "[[short_codes]]",
                "[reassembly]\ntimeout_secs = 0\n\n[[short_codes]]",
            );
        let config = Arc::new(Config::parse(&text).unwrap());
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&config.store.path).await.unwrap());
        let part = IncomingPart {
            source: Bytes::from_static(b"447700900001"),
            destination: Bytes::from_static(b"12345"),
            concat: Concat {
                reference: MessageRef::Udh8(9),
                total: 2,
                seq: 1,
            },
            payload: Bytes::from_static(b"JOIN the club "),
            data_coding: 0,
            national_locking: None,
            national_single: None,
            udh_len: 6,
        };
        store
            .write_inbound(&[InboundWrite::Part(part_record(&part))])
            .await
            .unwrap();
        // An MT pipeline without carriers: nothing is sent.
        let mt = crate::service::start_mt(
            &config,
            store.clone(),
            Default::default(),
            Default::default(),
        )
        .await
        .unwrap();
        let outbound = Arc::new(Outbound::new(config.clone(), store.clone(), mt));
        let dispatcher = Arc::new(
            Dispatcher::start(&config, store.clone(), outbound.clone())
                .await
                .unwrap(),
        );
        let table = Arc::new(RoutingTable::build(&config).unwrap());
        let mut p = Pipeline::new(config, table, store.clone(), dispatcher, outbound);
        p.restore_parts().await.unwrap();
        assert_eq!(p.reassembler.pending_messages(), 1);
        let mut batch = Batch::default();
        p.expire(&mut batch).await;
        p.commit(batch).await;
        let st = store.stats().await.unwrap();
        assert_eq!((st.parts, st.mos, st.webhooks_pending), (0, 1, 1));
        let id = store
            .due_webhooks("coffee", now_ms() + 1_000, 10)
            .await
            .unwrap()[0]
            .mo_id
            .clone()
            .unwrap();
        let mo = store.mo(&id).await.unwrap().unwrap();
        assert_eq!(
            mo.text,
            format!("JOIN the club {}", smpp_codec::reassembly::GAP_MARKER)
        );
        assert_eq!((mo.segments, mo.route.as_deref()), (2, Some("join")));
    }
}
