//! The MT pipeline against a scripted carrier: permanent refusals, temporary errors retried,
//! a receipt that beats its `submit_sm_resp`, an undelivered part deciding the roll-up, quiet
//! hours, an opt-out recorded while the MT waits, messages left queued by a restart, and
//! status callbacks retried until the receiver takes them.

use std::collections::{HashSet, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use shortcode_router::compliance::ConsentGate;
use shortcode_router::delivery::carrier::{Carrier, SubmitError};
use shortcode_router::delivery::compliance::{OptOutEntry, OptOutQuery, OptOuts, QuietHours};
use shortcode_router::delivery::service::MtParts;
use shortcode_router::delivery::{MessageStatus, MtConfig, MtError, MtRequest, MtService, Routes};
use shortcode_router::store::messages::MessageStore;
use smpp_codec::receipt::{MessageState, OwnedReceipt, ReceiptKind};
use smpp_codec::{CommandStatus, SubmitSm};

/// What the scripted carrier answers, in turn; then `Ok` with a fresh id.
type Script = VecDeque<Result<(), SubmitError>>;

/// Runs with each id before the carrier answers.
type Hook = Box<dyn Fn(String) -> BoxFuture<'static, ()> + Send + Sync>;

struct Scripted {
    script: Mutex<Script>,
    next: AtomicUsize,
    submitted: Mutex<Vec<SubmitSm>>,
    /// Called with each id before the answer is returned (a receipt racing the response).
    before_answer: Mutex<Option<Hook>>,
}

impl Scripted {
    fn new(script: Script) -> Arc<Self> {
        Arc::new(Scripted {
            script: Mutex::new(script),
            next: AtomicUsize::new(1),
            submitted: Mutex::new(Vec::new()),
            before_answer: Mutex::new(None),
        })
    }
}

impl Carrier for Scripted {
    fn name(&self) -> &str {
        "fake"
    }
    fn submit(&self, pdu: SubmitSm) -> BoxFuture<'_, Result<String, SubmitError>> {
        Box::pin(async move {
            self.submitted.lock().unwrap().push(pdu);
            if let Some(Err(e)) = self.script.lock().unwrap().pop_front() {
                return Err(e);
            }
            let id = format!("ID{}", self.next.fetch_add(1, Ordering::SeqCst));
            let hook = self
                .before_answer
                .lock()
                .unwrap()
                .as_ref()
                .map(|f| f(id.clone()));
            if let Some(h) = hook {
                h.await;
            }
            Ok(id)
        })
    }
    fn binds_up(&self) -> usize {
        1
    }
    fn shutdown(&self) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }
}

#[derive(Default)]
struct MemOptOuts(Mutex<HashSet<(String, String)>>);

impl OptOuts for MemOptOuts {
    fn is_opted_out<'a>(&'a self, s: &'a str, c: &'a str) -> BoxFuture<'a, Result<bool, String>> {
        Box::pin(async move { Ok(self.0.lock().unwrap().contains(&(s.into(), c.into()))) })
    }
    fn set<'a>(
        &'a self,
        s: &'a str,
        c: &'a str,
        out: bool,
        _: &'a str,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let mut set = self.0.lock().unwrap();
            if out {
                set.insert((s.into(), c.into()));
            } else {
                set.remove(&(s.into(), c.into()));
            }
            Ok(())
        })
    }
    fn list<'a>(&'a self, _: &'a OptOutQuery) -> BoxFuture<'a, Result<Vec<OptOutEntry>, String>> {
        Box::pin(async { Ok(Vec::new()) })
    }
}

struct Rig {
    mt: Arc<MtService>,
    carrier: Arc<Scripted>,
    optouts: Arc<MemOptOuts>,
    gate: ConsentGate,
    _dir: tempfile::TempDir,
}

fn routes() -> Routes {
    let mut r = Routes::default();
    r.short_codes.insert("12345".into());
    r.carriers.insert("12345".into(), "fake".into());
    r.programs.insert("coffee".into(), "12345".into());
    r.default_program.insert("12345".into(), "coffee".into());
    r
}

async fn rig_in(dir: tempfile::TempDir, script: Script, config: MtConfig) -> Rig {
    let store = MessageStore::open(&dir.path().join("m.db")).await.unwrap();
    let optouts = Arc::new(MemOptOuts::default());
    let gate = ConsentGate::default();
    let mt = MtService::start(MtParts {
        store,
        optouts: optouts.clone(),
        gate: gate.clone(),
        routes: routes(),
        config,
        callback_keys: Default::default(),
    })
    .await
    .unwrap();
    let carrier = Scripted::new(script);
    mt.add_carrier(carrier.clone());
    Rig {
        mt,
        carrier,
        optouts,
        gate,
        _dir: dir,
    }
}

async fn rig(script: Script) -> Rig {
    rig_in(tempfile::tempdir().unwrap(), script, MtConfig::default()).await
}

fn req(text: &str) -> MtRequest {
    MtRequest {
        from: "12345".into(),
        to: "447700900001".into(),
        text: text.into(),
        ..MtRequest::default()
    }
}

async fn wait_status(mt: &MtService, id: &str, want: MessageStatus) {
    let r = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            let m = mt.get(id, None).await.unwrap();
            if m.status == want {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    let m = mt.get(id, None).await.unwrap();
    assert!(r.is_ok(), "{id} is {} not {want}", m.status);
}

fn receipt(id: &str, state: MessageState, err: &str) -> OwnedReceipt {
    OwnedReceipt {
        kind: ReceiptKind::DeliveryReceipt,
        message_id: id.into(),
        state: Some(state),
        tlv_message_id: None,
        tlv_message_state: None,
        network_error_code: None,
        user_message_reference: None,
        text_id: Some(id.into()),
        stat: Some(state.stat_text().into()),
        err: Some(err.into()),
        submitted: None,
        delivered: None,
        submit_date_raw: None,
        submit_date: None,
        done_date_raw: None,
        done_date: None,
        text: None,
        extra: Vec::new(),
        raw_text: Vec::new(),
    }
}

#[tokio::test]
async fn permanent_refusal_is_rejected_with_the_raw_status() {
    let r = rig(VecDeque::from([Err(SubmitError::Status(
        CommandStatus::ESME_RINVDSTADR,
    ))]))
    .await;
    let a = r.mt.accept(req("hello")).await.unwrap();
    wait_status(&r.mt, &a.id, MessageStatus::Rejected).await;
    let m = r.mt.get(&a.id, None).await.unwrap();
    assert_eq!(m.error_code.as_deref(), Some("carrier_rejected"));
    let parts = r.mt.store().parts(&a.id).await.unwrap();
    assert_eq!(
        parts[0].command_status,
        Some(CommandStatus::ESME_RINVDSTADR.0)
    );
    assert_eq!(
        r.carrier.submitted.lock().unwrap().len(),
        1,
        "a permanent error is not retried"
    );
}

#[tokio::test]
async fn temporary_errors_are_retried_then_sent() {
    let r = rig(VecDeque::from([
        Err(SubmitError::Status(CommandStatus::ESME_RTHROTTLED)),
        Err(SubmitError::Unavailable("bind down".into())),
    ]))
    .await;
    let a = r.mt.accept(req("hello")).await.unwrap();
    wait_status(&r.mt, &a.id, MessageStatus::Sent).await;
    assert_eq!(r.carrier.submitted.lock().unwrap().len(), 3);
    let pdu = r.carrier.submitted.lock().unwrap()[2].clone();
    assert_eq!(pdu.registered_delivery, 1);
    assert_eq!(pdu.source_addr_ton, 3, "a short code is sent as TON 3");
}

#[tokio::test]
async fn a_receipt_that_beats_its_response_still_counts() {
    let r = rig(VecDeque::new()).await;
    let mt = Arc::downgrade(&r.mt);
    *r.carrier.before_answer.lock().unwrap() = Some(Box::new(move |id: String| {
        let mt = mt.clone();
        Box::pin(async move {
            if let Some(mt) = mt.upgrade() {
                let matched = mt
                    .handle_receipt("fake", &receipt(&id, MessageState::Delivered, "000"))
                    .await
                    .unwrap();
                assert!(!matched, "not known yet: kept for the response");
            }
        })
    }));
    let a = r.mt.accept(req("race")).await.unwrap();
    wait_status(&r.mt, &a.id, MessageStatus::Delivered).await;
}

#[tokio::test]
async fn one_undelivered_part_makes_the_message_undelivered() {
    let r = rig(VecDeque::new()).await;
    let a = r.mt.accept(req(&"long ".repeat(50))).await.unwrap();
    assert_eq!(a.segments, 2);
    wait_status(&r.mt, &a.id, MessageStatus::Sent).await;
    let parts = r.mt.store().parts(&a.id).await.unwrap();
    let ids: Vec<String> = parts.iter().map(|p| p.smsc_id.clone().unwrap()).collect();
    assert!(
        r.mt.handle_receipt("fake", &receipt(&ids[0], MessageState::Enroute, "000"))
            .await
            .unwrap()
    );
    assert_eq!(
        r.mt.get(&a.id, None).await.unwrap().status,
        MessageStatus::Sent
    );
    r.mt.handle_receipt("fake", &receipt(&ids[0], MessageState::Delivered, "000"))
        .await
        .unwrap();
    assert_eq!(
        r.mt.get(&a.id, None).await.unwrap().status,
        MessageStatus::Sent
    );
    r.mt.handle_receipt(
        "fake",
        &receipt(&ids[1], MessageState::Undeliverable, "001"),
    )
    .await
    .unwrap();
    let m = r.mt.get(&a.id, None).await.unwrap();
    assert_eq!(m.status, MessageStatus::Undelivered);
    let last = r.mt.store().history(&a.id).await.unwrap().pop().unwrap();
    assert_eq!(
        (last.stat.as_deref(), last.err.as_deref()),
        (Some("UNDELIV"), Some("001"))
    );
    // Unknown ids are not ours.
    assert!(
        !r.mt
            .handle_receipt("fake", &receipt("nope", MessageState::Delivered, "0"))
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn quiet_hours_refuse_and_an_optout_during_the_wait_wins() {
    let mut config = MtConfig::default();
    config.quiet_hours.push(QuietHours {
        program: "coffee".into(),
        start: "00:00".into(),
        end: "23:59".into(),
        utc_offset: None,
    });
    config.quiet_hours.push(QuietHours {
        program: "coffee".into(),
        start: "23:59".into(),
        end: "00:00".into(),
        utc_offset: None,
    });
    let r = rig_in(tempfile::tempdir().unwrap(), VecDeque::new(), config).await;
    assert!(matches!(
        r.mt.accept(req("late")).await,
        Err(MtError::QuietHours(_))
    ));

    // STOP recorded while the MT waits for the subscriber's lock: it never reaches the carrier.
    let r = rig(VecDeque::new()).await;
    let guard = r.gate.lock("447700900001").await;
    let a = r.mt.accept(req("promo")).await.unwrap();
    r.optouts
        .set("447700900001", "12345", true, "STOP")
        .await
        .unwrap();
    drop(guard);
    wait_status(&r.mt, &a.id, MessageStatus::Rejected).await;
    assert!(r.carrier.submitted.lock().unwrap().is_empty());
    assert_eq!(
        r.mt.get(&a.id, None).await.unwrap().error_code.as_deref(),
        Some("recipient_opted_out")
    );
    assert!(matches!(
        r.mt.accept(req("again")).await,
        Err(MtError::OptedOut { .. })
    ));
}

#[tokio::test]
async fn messages_left_queued_go_out_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_owned();
    // A carrier that never answers: the message stays queued when the service stops.
    let r = rig_in(dir, VecDeque::new(), MtConfig::default()).await;
    struct Hang;
    impl Carrier for Hang {
        fn name(&self) -> &str {
            "fake"
        }
        fn submit(&self, _: SubmitSm) -> BoxFuture<'_, Result<String, SubmitError>> {
            Box::pin(futures::future::pending())
        }
        fn binds_up(&self) -> usize {
            0
        }
        fn shutdown(&self) -> BoxFuture<'_, ()> {
            Box::pin(async {})
        }
    }
    r.mt.add_carrier(Arc::new(Hang));
    let a = r.mt.accept(req("survive")).await.unwrap();
    assert!(
        !r.mt.shutdown(Duration::from_millis(200)).await,
        "the hung submit cannot drain"
    );
    let Rig { mt, _dir, .. } = r;
    drop(mt);
    let again = rig_in(_dir, VecDeque::new(), MtConfig::default()).await;
    assert!(path.exists());
    assert_eq!(again.mt.requeue().await.unwrap(), 1);
    wait_status(&again.mt, &a.id, MessageStatus::Sent).await;
}

#[tokio::test]
async fn status_callbacks_are_retried_until_taken() {
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    let app = axum::Router::new().fallback(move || {
        let n = h.fetch_add(1, Ordering::SeqCst);
        async move {
            if n < 2 {
                axum::http::StatusCode::INTERNAL_SERVER_ERROR
            } else {
                axum::http::StatusCode::NO_CONTENT
            }
        }
    });
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/cb", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, app).await });
    let mut config = MtConfig::default();
    config.callbacks.initial_backoff_ms = 20;
    config.callbacks.max_attempts = 5;
    config.callback_secret = Some("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into());
    let r = rig_in(tempfile::tempdir().unwrap(), VecDeque::new(), config).await;
    let mut q = req("call me");
    q.status_callback = Some(url);
    let a = r.mt.accept(q).await.unwrap();
    wait_status(&r.mt, &a.id, MessageStatus::Sent).await;
    // sent: two failures then a success; drained on shutdown.
    assert!(r.mt.shutdown(Duration::from_secs(10)).await);
    assert_eq!(hits.load(Ordering::SeqCst), 3);
}
