//! Webhook delivery to handlers: the payloads (our JSON, Twilio's or Jasmin's form fields), one
//! worker per handler with a bounded queue and a bounded number of requests in flight (so a slow
//! or dead handler holds up nobody else), retries with exponential backoff and jitter until the
//! configured age, then dead-letter; `410 Gone` disables the handler loudly. Every attempt is
//! recorded; the id is stable across retries. A handler's reply (JSON `{"reply": ...}`,
//! `text/plain`, TwiML `<Message>`) goes back to the subscriber through [`Outbound`].
//!
//! Jobs live in the store: the in-memory queue is a fast path. A full queue, a retry and a
//! restart all go through the worker's periodic sweep of due webhooks. Requests go out through
//! [`crate::http_out`] (kept-alive HTTP/1.1; a redirect is a failed attempt, not followed).

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderName, HeaderValue, USER_AGENT};
use http_body_util::Full;
use serde_json::{Value, json};
use tokio::sync::{OwnedSemaphorePermit, RwLock, Semaphore, mpsc, oneshot};
use tokio::task::{JoinHandle, JoinSet};

use crate::config::{Config, ConfigError, Profile, WebhookDefaults};
use crate::http_out;
use crate::mt::{MtError, MtRequest, Outbound};
use crate::now_ms;
use crate::signing;
use crate::store::{AttemptOutcome, AttemptRecord, MoRecord, MtKind, Store, WebhookRecord};

/// The `type` of an MO webhook.
pub const MESSAGE_RECEIVED: &str = "message.received";
/// The `type` of an opt-out event.
pub const OPTED_OUT: &str = "subscriber.opted_out";
/// The `type` of an opt-in event (START, or a confirmed double opt-in).
pub const OPTED_IN: &str = "subscriber.opted_in";

/// The JSON payload of an MO webhook: who, what, and which rule matched.
pub fn message_payload(mo: &MoRecord) -> String {
    // Serialized straight from borrowed fields (no `Value` tree), keys in the sorted order
    // `json!` gave them, so stored payloads keep their shape.
    #[derive(serde::Serialize)]
    struct Match<'a> {
        rule: &'a str,
        value: Option<&'a str>,
    }
    #[derive(serde::Serialize)]
    struct Payload<'a> {
        from: &'a str,
        id: &'a str,
        #[serde(rename = "match")]
        matched: Match<'a>,
        program: Option<&'a str>,
        received_at: String,
        route: Option<&'a str>,
        segments: u32,
        text: &'a str,
        to: &'a str,
        #[serde(rename = "type")]
        kind: &'static str,
    }
    serde_json::to_string(&Payload {
        from: &mo.source,
        id: &mo.id,
        matched: Match {
            rule: &mo.rule,
            value: mo.matched.as_deref(),
        },
        program: mo.program.as_deref(),
        received_at: crate::rfc3339(mo.received_at),
        route: mo.route.as_deref(),
        segments: mo.segments,
        text: &mo.text,
        to: &mo.short_code,
        kind: MESSAGE_RECEIVED,
    })
    .expect("a struct of strings serializes")
}

/// The JSON payload of a subscriber event (`subscriber.opted_out` / `subscriber.opted_in`).
pub fn event_payload(
    kind: &str,
    mo: &MoRecord,
    program: &str,
    keyword: &str,
    scope: &str,
) -> String {
    json!({
        "type": kind,
        "id": mo.id,
        "from": mo.source,
        "to": mo.short_code,
        "program": program,
        "keyword": keyword,
        "scope": scope,
        "at": crate::rfc3339(mo.received_at),
    })
    .to_string()
}

/// The Twilio form fields for a stored JSON payload.
pub fn twilio_params(payload: &str) -> Vec<(String, String)> {
    let v: Value = serde_json::from_str(payload).unwrap_or(Value::Null);
    let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    let kind = s("type");
    let mut p = vec![
        ("MessageSid".to_owned(), s("id")),
        ("SmsSid".to_owned(), s("id")),
        ("SmsMessageSid".to_owned(), s("id")),
        ("From".to_owned(), s("from")),
        ("To".to_owned(), s("to")),
        ("NumMedia".to_owned(), "0".to_owned()),
        ("ApiVersion".to_owned(), "2010-04-01".to_owned()),
    ];
    if kind == MESSAGE_RECEIVED {
        p.push(("Body".to_owned(), s("text")));
        let segs = v.get("segments").and_then(Value::as_u64).unwrap_or(1);
        p.push(("NumSegments".to_owned(), segs.to_string()));
    } else {
        // Twilio forwards STOP/START messages with OptOutType.
        p.push(("Body".to_owned(), s("keyword")));
        p.push(("NumSegments".to_owned(), "1".to_owned()));
        let t = if kind == OPTED_OUT { "STOP" } else { "START" };
        p.push(("OptOutType".to_owned(), t.to_owned()));
    }
    p
}

fn xml_unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The texts of a TwiML document's `<Message>` verbs (plain or with a `<Body>`).
pub fn twiml_messages(xml: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find("<Message") {
        let after = &rest[start + "<Message".len()..];
        // `<MessageX` is another element.
        if !after.starts_with(['>', ' ', '/', '\t', '\n', '\r']) {
            rest = after;
            continue;
        }
        let Some(gt) = after.find('>') else { break };
        if after[..gt].ends_with('/') {
            rest = &after[gt + 1..];
            continue;
        }
        let inner_start = &after[gt + 1..];
        let Some(end) = inner_start.find("</Message>") else {
            break;
        };
        let inner = &inner_start[..end];
        let text = match (inner.find("<Body>"), inner.find("</Body>")) {
            (Some(b), Some(e)) if b < e => &inner[b + "<Body>".len()..e],
            _ => inner,
        };
        let text = xml_unescape(text.trim());
        if !text.is_empty() {
            out.push(text);
        }
        rest = &inner_start[end + "</Message>".len()..];
    }
    out
}

/// The reply texts in a handler's 2xx answer: JSON `{"reply": "..."}`, `text/plain`, or TwiML.
pub fn parse_reply(status: u16, content_type: Option<&str>, body: &str) -> Vec<String> {
    if status == 204 || body.trim().is_empty() {
        return Vec::new();
    }
    let ct = content_type.unwrap_or("").to_ascii_lowercase();
    if ct.contains("json") {
        return match serde_json::from_str::<Value>(body) {
            Ok(v) => v
                .get("reply")
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| vec![s.to_owned()])
                .unwrap_or_default(),
            Err(e) => {
                tracing::warn!(error = %e, "handler answered invalid JSON; no reply sent");
                Vec::new()
            }
        };
    }
    if ct.contains("xml") || body.trim_start().starts_with("<?xml") || body.contains("<Response") {
        return twiml_messages(body);
    }
    if ct.starts_with("text/plain") || ct.is_empty() {
        return vec![body.trim().to_owned()];
    }
    Vec::new()
}

/// The delay before attempt `attempt + 1` after attempt `attempt` (from 1) failed: the initial
/// backoff doubled per attempt, capped, with jitter in its upper half.
pub fn backoff(defaults: &WebhookDefaults, attempt: u32) -> Duration {
    let base = defaults
        .initial_backoff_ms
        .saturating_mul(1u64 << attempt.saturating_sub(1).min(30))
        .min(defaults.max_backoff_ms)
        .max(1);
    let jitter = rand::random::<u64>() % (base / 2 + 1);
    Duration::from_millis(base / 2 + jitter)
}

enum Signer {
    Standard(signing::StandardSigner),
    Twilio(String),
    /// Unsigned; short code -> its carrier (Jasmin's `origin-connector`); `GET` (the form as
    /// the query) rather than `POST`.
    Jasmin(Arc<HashMap<String, String>>, bool),
}

/// Short code -> the carrier that receives it.
fn short_code_carriers(config: &Config) -> HashMap<String, String> {
    config
        .short_codes
        .iter()
        .filter_map(|sc| Some((sc.code.clone(), config.carrier_of(&sc.code)?.to_owned())))
        .collect()
}

/// `req` with `params` as its form-encoded body.
fn form_body(
    req: http::request::Builder,
    params: &[(String, String)],
) -> http::Result<http::Request<Full<Bytes>>> {
    let form = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish();
    req.header(
        CONTENT_TYPE,
        HeaderValue::from_static("application/x-www-form-urlencoded"),
    )
    .body(Full::new(Bytes::from(form)))
}

/// Jasmin's MO form fields for a stored JSON payload: `id`, `from`, `to`, `origin-connector`
/// (the short code's carrier), `priority`, `coding` (0 when GSM 7-bit carries the text, else
/// 8), `content`. An opt-out or opt-in event comes as the keyword's MO, as Jasmin would pass
/// the STOP or START message itself.
pub fn jasmin_params(payload: &str, carriers: &HashMap<String, String>) -> Vec<(String, String)> {
    let v: Value = serde_json::from_str(payload).unwrap_or(Value::Null);
    let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    let to = s("to");
    let content = if s("type") == MESSAGE_RECEIVED {
        s("text")
    } else {
        s("keyword")
    };
    let gsm = matches!(
        smpp_codec::coding::choose(&content, &[]).encoding,
        smpp_codec::coding::Encoding::Gsm7(_)
    );
    vec![
        ("id".to_owned(), s("id")),
        ("from".to_owned(), s("from")),
        (
            "origin-connector".to_owned(),
            carriers.get(&to).cloned().unwrap_or_default(),
        ),
        ("to".to_owned(), to),
        ("priority".to_owned(), "1".to_owned()),
        ("coding".to_owned(), if gsm { "0" } else { "8" }.to_owned()),
        ("content".to_owned(), content),
    ]
}

/// Most of a handler's answer read (a reply is one SMS conversation's text, or TwiML).
const MAX_REPLY: usize = 1024 * 1024;

static WEBHOOK_ID: HeaderName = HeaderName::from_static("webhook-id");
static WEBHOOK_TIMESTAMP: HeaderName = HeaderName::from_static("webhook-timestamp");
static WEBHOOK_SIGNATURE: HeaderName = HeaderName::from_static("webhook-signature");

struct Worker {
    name: String,
    url: String,
    /// `url`, parsed once.
    target: http::Uri,
    signer: Signer,
    client: http_out::Client,
    /// The whole request's timeout (connecting, sending, the answer to its end).
    timeout: Duration,
    defaults: WebhookDefaults,
    store: Arc<dyn Store>,
    outbound: Arc<Outbound>,
    results: mpsc::Sender<(AttemptRecord, oneshot::Sender<bool>)>,
    tx: mpsc::Sender<WebhookRecord>,
    inflight: Mutex<HashSet<String>>,
    /// Sweeps (write) exclude attempt completions (read).
    sweeping: RwLock<()>,
    disabled: AtomicBool,
    routes: Vec<String>,
}

type Answer = (u16, Option<String>, String);

impl Worker {
    /// Marks `id` as taken (in memory) so the sweep leaves it alone; `false` if it already was.
    fn reserve(&self, id: &str) -> bool {
        self.inflight
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id.to_owned())
    }

    fn enqueue(&self, w: WebhookRecord) -> bool {
        if !self.reserve(&w.id) {
            return false;
        }
        self.send_reserved(w)
    }

    /// Queues a reserved webhook (or releases it when disabled or full: the store keeps it).
    fn send_reserved(&self, w: WebhookRecord) -> bool {
        let id = w.id.clone();
        if self.disabled.load(Ordering::Relaxed) {
            self.done(&id);
            return false;
        }
        match self.tx.try_send(w) {
            Ok(()) => true,
            Err(_) => {
                // Full: the store keeps it; the sweep brings it back.
                self.done(&id);
                false
            }
        }
    }

    fn done(&self, id: &str) {
        self.inflight
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id);
    }

    async fn sweep(&self) {
        if self.disabled.load(Ordering::Relaxed) {
            return;
        }
        // No attempt completes (commits and leaves `inflight`) while the sweep works from
        // what it read: it would otherwise queue a webhook just delivered.
        let _exclusive = self.sweeping.write().await;
        let free = self.tx.capacity();
        if free == 0 {
            return;
        }
        let busy = self
            .inflight
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .len();
        match self
            .store
            .due_webhooks(&self.name, now_ms(), (free + busy).min(10_000) as u32)
            .await
        {
            Ok(due) => {
                for w in due {
                    if self.tx.capacity() == 0 {
                        break;
                    }
                    self.enqueue(w);
                }
            }
            Err(e) => tracing::warn!(handler = %self.name, error = %e, "webhook sweep failed"),
        }
    }

    /// One request carrying `payload` (`w`'s, moved out of it: the body shares it), within
    /// the handler's timeout; the error says what failed.
    async fn call(&self, w: &WebhookRecord, payload: &Bytes) -> Result<Answer, String> {
        let req = http::Request::post(self.target.clone())
            .header(USER_AGENT, HeaderValue::from_static(http_out::USER_AGENT));
        let req = match &self.signer {
            Signer::Standard(signer) => {
                let ts = now_ms() / 1000;
                let sig = signer.sign(&w.id, ts, payload);
                req.header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
                    .header(WEBHOOK_ID.clone(), w.id.as_str())
                    .header(WEBHOOK_TIMESTAMP.clone(), HeaderValue::from(ts))
                    .header(WEBHOOK_SIGNATURE.clone(), sig)
                    .body(Full::new(payload.clone()))
            }
            Signer::Twilio(token) => {
                let params = twilio_params(&String::from_utf8_lossy(payload));
                let sig = signing::twilio_signature(token, &self.url, &params);
                form_body(
                    req.header("x-twilio-signature", sig)
                        .header("i-twilio-idempotency-token", &w.id),
                    &params,
                )
            }
            Signer::Jasmin(carriers, false) => form_body(
                req,
                &jasmin_params(&String::from_utf8_lossy(payload), carriers),
            ),
            Signer::Jasmin(carriers, true) => {
                let params = jasmin_params(&String::from_utf8_lossy(payload), carriers);
                let query = form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(&params)
                    .finish();
                let sep = if self.url.contains('?') { '&' } else { '?' };
                let uri: http::Uri = format!("{}{sep}{query}", self.url)
                    .parse()
                    .map_err(|e| format!("cannot build the request: {e}"))?;
                http::Request::get(uri)
                    .header(USER_AGENT, HeaderValue::from_static(http_out::USER_AGENT))
                    .body(Full::new(Bytes::new()))
            }
        };
        let req = req.map_err(|e| format!("cannot build the request: {e}"))?;
        let a = http_out::exchange(&self.client, req, self.timeout, MAX_REPLY).await?;
        let body = match a.body {
            Some(body) => String::from_utf8_lossy(&body).into_owned(),
            // An acceptance whose reply was lost is tried again; a refusal is one anyway.
            None if a.status.is_success() => {
                return Err(format!(
                    "HTTP {}: the answer broke off or was over {MAX_REPLY} bytes",
                    a.status.as_u16()
                ));
            }
            None => String::new(),
        };
        Ok((a.status.as_u16(), a.content_type, body))
    }

    /// One attempt. `permit` (a request slot towards the handler) is given back once the
    /// answer is handed to the recorder: waiting for the record to be durable holds no slot.
    async fn attempt(self: Arc<Self>, mut w: WebhookRecord, permit: OwnedSemaphorePermit) {
        let attempt = w.attempts + 1;
        let started = Instant::now();
        let at = now_ms();
        let payload = Bytes::from(std::mem::take(&mut w.payload));
        let answer = self.call(&w, &payload).await;
        let latency_ms = started.elapsed().as_millis().min(u128::from(u32::MAX)) as u32;
        let now = now_ms();
        let failed = |error: String| {
            let too_old = now - w.created_at >= (self.defaults.max_age_secs as i64) * 1000;
            let outcome = if too_old {
                AttemptOutcome::Dead
            } else {
                AttemptOutcome::Retry {
                    next_attempt_at: now + backoff(&self.defaults, attempt).as_millis() as i64,
                }
            };
            (Some(error), outcome, Vec::new())
        };
        let status = answer.as_ref().ok().map(|a| a.0);
        // Jasmin's handlers acknowledge with a body (a 2xx without it is tried again) and
        // answer no reply.
        let jasmin = matches!(self.signer, Signer::Jasmin(..));
        let acked = |body: &str| !jasmin || body.starts_with(crate::api::jasmin::ACK);
        let (error, outcome, replies) = match answer {
            Ok((s, ct, body)) if (200..300).contains(&s) && acked(&body) => {
                let replies = if w.kind == MESSAGE_RECEIVED && !jasmin {
                    parse_reply(s, ct.as_deref(), &body)
                } else {
                    Vec::new()
                };
                let reply = (!replies.is_empty()).then(|| replies.join("\n"));
                (None, AttemptOutcome::Delivered { reply }, replies)
            }
            Ok((410, ..)) => (
                Some("410 Gone: the handler asked to be disabled".to_owned()),
                AttemptOutcome::HandlerGone,
                Vec::new(),
            ),
            Ok((s, _, body)) => failed(format!(
                "HTTP {s}{}: {}",
                if jasmin { " without ACK/Jasmin" } else { "" },
                body.chars().take(200).collect::<String>()
            )),
            Err(e) => failed(format!("request failed: {e}")),
        };
        match &outcome {
            AttemptOutcome::Dead => tracing::warn!(
                webhook = %w.id, handler = %self.name, attempts = attempt,
                "webhook dead-lettered: too old to retry"
            ),
            AttemptOutcome::Retry { .. } => tracing::debug!(
                webhook = %w.id, handler = %self.name, attempt, error = ?error,
                "webhook failed; will retry"
            ),
            _ => {}
        }
        let gone = outcome == AttemptOutcome::HandlerGone;
        let record = AttemptRecord {
            webhook_id: w.id.clone(),
            attempt,
            at,
            status,
            error,
            latency_ms,
            outcome,
        };
        {
            let _shared = self.sweeping.read().await;
            let (tx, rx) = oneshot::channel();
            let queued = self.results.send((record, tx)).await.is_ok();
            drop(permit);
            if queued {
                let _ = rx.await;
            }
            if gone {
                self.disable().await;
            }
            self.done(&w.id);
        }
        if !replies.is_empty() {
            w.payload = String::from_utf8_lossy(&payload).into_owned();
        }
        for text in replies {
            self.reply(&w, text).await;
        }
    }

    async fn disable(&self) {
        if self.disabled.swap(true, Ordering::Relaxed) {
            return;
        }
        let reason = format!("{} answered 410 Gone", self.url);
        tracing::error!(
            handler = %self.name, url = %self.url, routes = ?self.routes,
            "HANDLER DISABLED: it answered 410 Gone; its routes get no more webhooks (they are \
             kept pending) until it is re-enabled"
        );
        if let Err(e) = self
            .store
            .set_handler_disabled(&self.name, true, &reason, now_ms())
            .await
        {
            tracing::error!(handler = %self.name, error = %e, "cannot store the disabled state");
        }
    }

    async fn reply(&self, w: &WebhookRecord, text: String) {
        let v: Value = serde_json::from_str(&w.payload).unwrap_or(Value::Null);
        let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
        let (Some(subscriber), Some(short_code)) = (s("from"), s("to")) else {
            return;
        };
        let req = MtRequest {
            from: short_code,
            to: subscriber,
            text,
            program: s("program"),
            kind: MtKind::Reply,
        };
        match self.outbound.send(req).await {
            Ok(_) => {}
            Err(e @ MtError::OptedOut { .. }) => {
                tracing::info!(webhook = %w.id, error = %e, "handler reply refused")
            }
            Err(e) => tracing::warn!(webhook = %w.id, error = %e, "handler reply not sent"),
        }
    }

    async fn run(self: Arc<Self>, mut rx: mpsc::Receiver<WebhookRecord>, concurrency: usize) {
        let permits = Arc::new(Semaphore::new(concurrency.max(1)));
        let mut running = JoinSet::new();
        let mut sweep = tokio::time::interval(Duration::from_millis(
            self.defaults.sweep_interval_ms.max(10),
        ));
        sweep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                job = rx.recv() => {
                    let Some(job) = job else { break };
                    let Ok(permit) = permits.clone().acquire_owned().await else { break };
                    let me = self.clone();
                    running.spawn(me.attempt(job, permit));
                }
                _ = sweep.tick() => self.sweep().await,
                Some(_) = running.join_next(), if !running.is_empty() => {}
            }
        }
    }
}

/// Hands webhooks to their handlers' workers. Dropping it stops every worker and request.
pub struct Dispatcher {
    workers: HashMap<String, Arc<Worker>>,
    tasks: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dispatcher")
            .field("handlers", &self.workers.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// Why the dispatcher could not start.
#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    /// A handler's config.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The HTTP client.
    #[error("cannot build the HTTP client for handler {0}: {1}")]
    Client(String, String),
    /// The store.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

impl Dispatcher {
    /// Starts one worker per configured handler (disabled ones stay idle and say so).
    pub async fn start(
        config: &Config,
        store: Arc<dyn Store>,
        outbound: Arc<Outbound>,
    ) -> Result<Dispatcher, DispatchError> {
        let disabled: HashMap<String, String> =
            store.disabled_handlers().await?.into_iter().collect();
        let (rtx, rrx) = mpsc::channel(4096);
        let mut tasks = vec![tokio::spawn(record_results(store.clone(), rrx))];
        let mut workers = HashMap::new();
        let d = &config.webhooks;
        for (name, h) in &config.handlers {
            let signer = match h.profile {
                Profile::Json => Signer::Standard(signing::StandardSigner::new(
                    &signing::decode_secret(&h.secret(name)?)
                        .map_err(|e| ConfigError::Invalid(format!("handler {name}: {e}")))?,
                )),
                Profile::Twilio => Signer::Twilio(h.secret(name)?),
                Profile::Jasmin => {
                    Signer::Jasmin(Arc::new(short_code_carriers(config)), h.jasmin_get()?)
                }
            };
            let client = http_out::client(
                Duration::from_millis(h.connect_timeout_ms.unwrap_or(d.connect_timeout_ms)),
                d.concurrency,
            )
            .map_err(|e| DispatchError::Client(name.clone(), e))?;
            let (tx, rx) = mpsc::channel(d.queue);
            let worker = Arc::new(Worker {
                name: name.clone(),
                url: h.url.clone(),
                target: http_out::target(&h.url).map_err(|e| {
                    ConfigError::Invalid(format!("handler {name}: url {:?}: {e}", h.url))
                })?,
                signer,
                client,
                timeout: Duration::from_millis(h.timeout_ms.unwrap_or(d.timeout_ms).max(1)),
                defaults: d.clone(),
                store: store.clone(),
                outbound: outbound.clone(),
                results: rtx.clone(),
                tx,
                inflight: Mutex::new(HashSet::new()),
                sweeping: RwLock::new(()),
                disabled: AtomicBool::new(disabled.contains_key(name)),
                routes: config
                    .routes
                    .iter()
                    .filter(|r| &r.handler == name)
                    .map(|r| r.name.clone())
                    .collect(),
            });
            if let Some(reason) = disabled.get(name) {
                tracing::error!(
                    handler = %name, reason = %reason,
                    "handler is disabled (410 Gone earlier); its webhooks wait in the store"
                );
            }
            tasks.push(tokio::spawn(worker.clone().run(rx, d.concurrency)));
            workers.insert(name.clone(), worker);
        }
        Ok(Dispatcher { workers, tasks })
    }

    /// Reserves webhooks about to be committed, so the sweep cannot take them between the
    /// commit and [`dispatch`](Self::dispatch) (which would deliver them twice).
    pub fn reserve<'a>(&self, ws: impl IntoIterator<Item = &'a WebhookRecord>) {
        for w in ws {
            if let Some(worker) = self.workers.get(&w.handler) {
                worker.reserve(&w.id);
            }
        }
    }

    /// Releases reserved webhooks whose commit failed.
    pub fn release<'a>(&self, ws: impl IntoIterator<Item = &'a WebhookRecord>) {
        for w in ws {
            if let Some(worker) = self.workers.get(&w.handler) {
                worker.done(&w.id);
            }
        }
    }

    /// Queues committed webhooks reserved with [`reserve`](Self::reserve) (a full queue leaves
    /// them in the store for the sweep).
    pub fn dispatch(&self, w: WebhookRecord) {
        match self.workers.get(&w.handler) {
            Some(worker) => {
                worker.send_reserved(w);
            }
            None => tracing::warn!(
                webhook = %w.id, handler = %w.handler,
                "webhook for a handler no longer configured: kept in the store"
            ),
        }
    }

    /// Whether `handler` is disabled (410 Gone).
    pub fn is_disabled(&self, handler: &str) -> bool {
        self.workers
            .get(handler)
            .is_some_and(|w| w.disabled.load(Ordering::Relaxed))
    }
}

impl Drop for Dispatcher {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// Records attempts in batches (one transaction per batch) and tells each attempt when its
/// record is durable.
async fn record_results(
    store: Arc<dyn Store>,
    mut rx: mpsc::Receiver<(AttemptRecord, oneshot::Sender<bool>)>,
) {
    let mut batch = Vec::new();
    let mut waiters = Vec::new();
    while let Some((r, w)) = rx.recv().await {
        batch.push(r);
        waiters.push(w);
        while batch.len() < 512 {
            match rx.try_recv() {
                Ok((r, w)) => {
                    batch.push(r);
                    waiters.push(w);
                }
                Err(_) => break,
            }
        }
        let ok = match store.record_attempts(&batch).await {
            Ok(()) => true,
            Err(e) => {
                tracing::error!(error = %e, n = batch.len(), "cannot record webhook attempts");
                false
            }
        };
        batch.clear();
        for w in waiters.drain(..) {
            let _ = w.send(ok);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies() {
        assert_eq!(
            parse_reply(200, Some("application/json"), r#"{"reply":" Hi! "}"#),
            vec!["Hi!"]
        );
        assert!(parse_reply(200, Some("application/json"), r#"{"reply":null}"#).is_empty());
        assert!(parse_reply(200, Some("application/json"), "not json").is_empty());
        assert!(parse_reply(204, None, "ignored").is_empty());
        assert_eq!(
            parse_reply(200, Some("text/plain; charset=utf-8"), "ok\n"),
            vec!["ok"]
        );
        let twiml = r#"<?xml version="1.0" encoding="UTF-8"?><Response><Message>One &amp; two</Message><Message><Body>Three</Body></Message><Message/></Response>"#;
        assert_eq!(
            parse_reply(200, Some("text/xml"), twiml),
            vec!["One & two", "Three"]
        );
        assert!(parse_reply(200, Some("application/xml"), "<Response/>").is_empty());
        assert!(parse_reply(200, Some("text/html"), "<html>").is_empty());
    }

    #[test]
    fn backoff_grows_with_jitter_and_caps() {
        let d = WebhookDefaults {
            initial_backoff_ms: 100,
            max_backoff_ms: 1_000,
            ..WebhookDefaults::default()
        };
        for _ in 0..50 {
            let b1 = backoff(&d, 1).as_millis();
            assert!((50..=100).contains(&b1), "{b1}");
            let b3 = backoff(&d, 3).as_millis();
            assert!((200..=400).contains(&b3), "{b3}");
            let b20 = backoff(&d, 20).as_millis();
            assert!((500..=1000).contains(&b20), "{b20}");
        }
    }

    #[test]
    fn twilio_fields() {
        let mo = MoRecord {
            id: "mo_1".into(),
            received_at: 0,
            source: "447700900001".into(),
            short_code: "12345".into(),
            text: "JOIN".into(),
            segments: 2,
            data_coding: 0,
            rule: "keyword".into(),
            matched: Some("JOIN".into()),
            route: Some("join".into()),
            program: Some("coffee".into()),
            handler: Some("h".into()),
            state: crate::store::MoState::Webhook,
        };
        let p = twilio_params(&message_payload(&mo));
        let get = |k: &str| p.iter().find(|(a, _)| a == k).map(|(_, v)| v.as_str());
        assert_eq!(get("From"), Some("447700900001"));
        assert_eq!(get("To"), Some("12345"));
        assert_eq!(get("Body"), Some("JOIN"));
        assert_eq!(get("MessageSid"), Some("mo_1"));
        assert_eq!(get("NumSegments"), Some("2"));
        let p = twilio_params(&event_payload(
            OPTED_OUT,
            &mo,
            "coffee",
            "STOP",
            "short_code",
        ));
        assert!(p.contains(&("OptOutType".into(), "STOP".into())));
        let v: Value = serde_json::from_str(&message_payload(&mo)).unwrap();
        // Byte for byte what a `json!` object (sorted keys) gives.
        assert_eq!(message_payload(&mo), v.to_string());
        assert_eq!(v["match"]["rule"], "keyword");
        assert_eq!(v["route"], "join");
    }
}
