//! [`MtService`]: takes an MT request, checks it (validation, idempotency, opt-outs, quiet
//! hours), stores it `queued`, and submits its parts in the background through the carrier of
//! its short code; records each part's `submit_sm_resp` and receipt, rolls them up to one
//! message status, and posts status callbacks.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use smpp_codec::coding::{self, Encoding};
use smpp_codec::concat::{ConcatMode, Splitter};
use smpp_codec::receipt::OwnedReceipt;
use smpp_codec::{COctetString, CommandStatus, SmppTime, SubmitSm};
use tokio::sync::{Semaphore, mpsc};

use crate::compliance::ConsentGate;
use crate::delivery::callback::{Callback, Callbacks, StatusEvent};
use crate::delivery::carrier::{Carrier, SubmitError};
use crate::delivery::compliance::{OptOuts, QuietHours};
use crate::delivery::status::MessageStatus;
use crate::store::messages::{
    CallbackFormat, Direction, Inserted, MessageRecord, MessageStore, MessageStoreError,
    NewMessage, RawStatus, RollUp, now_ms,
};
use crate::store::{MtKind, MtRecord};

/// Longest text accepted (10 concatenated UCS-2 parts' worth and then some).
pub const MAX_TEXT_CHARS: usize = 1600;
/// Most temporary-error retries per part.
const SUBMIT_RETRIES: u32 = 3;
/// How long a part waits for a bind to come (back) up before it fails.
const UNAVAILABLE_WAIT: Duration = Duration::from_secs(30);
/// Unmatched receipts kept for a late `submit_sm_resp` (the race of SMPP 3.4 §4.4.1 answers).
const MAX_ORPHANS: usize = 10_000;
/// How long an unmatched receipt is kept.
const ORPHAN_TTL: Duration = Duration::from_secs(60);

/// Correlation keys of recently sent parts kept in memory (two generations of this many), so
/// most receipts find their part without a database look-up.
const RECENT_PARTS: usize = 100_000;

/// Recently sent parts: `carrier\0key` -> (message id, part), in two generations (the older
/// one is dropped when the newer one is full), so memory stays bounded.
#[derive(Default)]
struct RecentParts {
    current: HashMap<String, (String, u32)>,
    previous: HashMap<String, (String, u32)>,
}

impl RecentParts {
    fn insert(&mut self, key: String, value: (String, u32)) {
        if self.current.len() >= RECENT_PARTS {
            self.previous = std::mem::take(&mut self.current);
        }
        self.current.insert(key, value);
    }

    fn get(&self, key: &str) -> Option<(String, u32)> {
        self.current
            .get(key)
            .or_else(|| self.previous.get(key))
            .cloned()
    }
}

/// The encoding a caller asks for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EncodingPref {
    /// The cheapest that carries the text (GSM 7-bit, else UCS-2).
    #[default]
    Auto,
    /// GSM 7-bit; refused when the text has characters GSM cannot carry.
    Gsm7,
    /// UCS-2 always.
    Ucs2,
}

/// An MT to send.
#[derive(Clone, Debug, Default)]
pub struct MtRequest {
    /// The short code it is sent from.
    pub from: String,
    /// The subscriber (digits, optional leading `+`).
    pub to: String,
    /// The text.
    pub text: String,
    /// The program; defaults to the short code's default program.
    pub program: Option<String>,
    /// Where status changes are posted.
    pub status_callback: Option<String>,
    /// Validity period in seconds.
    pub validity_secs: Option<u32>,
    /// Encoding preference.
    pub encoding: EncodingPref,
    /// The API key's name.
    pub api_key: Option<String>,
    /// The key's program scope (`None`: every program).
    pub scope: Option<Vec<String>>,
    /// `Idempotency-Key`.
    pub idempotency_key: Option<String>,
    /// The message this one resends.
    pub resend_of: Option<String>,
    /// A Kannel `dlr-url` (with `%d`, `%p`, `%P`, `%A`, `%T`, `%I` placeholders) and its
    /// `dlr-mask` (1 delivered, 2 failed, 8 accepted by the SMSC, 16 rejected by the SMSC).
    pub dlr: Option<(String, u8)>,
    /// The form its status callbacks take.
    pub callback_format: CallbackFormat,
}

/// What was accepted. (Fields in name order: the JSON is written straight from the struct, with
/// the keys in the order a JSON object map writes them.)
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Accepted {
    /// The encoding chosen.
    pub encoding: String,
    /// Our id.
    pub id: String,
    /// The program.
    pub program: Option<String>,
    /// `true` when this answers a repeated `Idempotency-Key`.
    #[serde(skip)]
    pub repeated: bool,
    /// Parts.
    pub segments: u32,
    /// `queued` (or the current status for an idempotent repeat).
    pub status: MessageStatus,
}

/// Why an MT was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum MtError {
    /// The request is malformed.
    #[error("{0}")]
    Invalid(String),
    /// The subscriber opted out of the short code.
    #[error("{to} opted out of {from}: the message was not sent")]
    OptedOut {
        /// The subscriber.
        to: String,
        /// The short code.
        from: String,
    },
    /// The program's quiet hours are on.
    #[error("program {0} is in its quiet hours: try again later")]
    QuietHours(String),
    /// The API key may not send for this program.
    #[error("this API key may not send for program {0}")]
    Forbidden(String),
    /// A status callback URL or `dlr-url` is not http(s), or names a host that
    /// `[mt.callbacks] allowed_hosts` leaves out.
    #[error("{0}")]
    CallbackUrl(String),
    /// The `Idempotency-Key` was used for a different request.
    #[error("Idempotency-Key {0:?} was already used with a different request")]
    IdempotencyConflict(String),
    /// No such message.
    #[error("no message {0}")]
    NotFound(String),
    /// `from` is not a configured short code.
    #[error("{0:?} is not a configured short code")]
    UnknownShortCode(String),
    /// No carrier that can send serves the short code (none is configured for it, or its
    /// carrier binds as a receiver only).
    #[error("no carrier can send from short code {0}")]
    NoCarrier(String),
    /// The service is stopping.
    #[error("the service is shutting down")]
    ShuttingDown,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] MessageStoreError),
    /// The opt-out list could not be read.
    #[error("opt-out check failed: {0}")]
    OptOutCheck(String),
}

/// Which carrier serves which short code, and which programs run where.
#[derive(Clone, Debug, Default)]
pub struct Routes {
    /// Short code -> the carrier its MTs go out through (only carriers that can send: a
    /// receiver-only one has none to take).
    pub carriers: HashMap<String, String>,
    /// Program -> its short code.
    pub programs: HashMap<String, String>,
    /// Short code -> its default program.
    pub default_program: HashMap<String, String>,
    /// Every configured short code, those whose carrier only receives included: an MT from
    /// anything else is refused ([`MtError::UnknownShortCode`]), so that opt-outs, which are
    /// kept per short code, cannot be stepped around with another sender.
    pub short_codes: std::collections::HashSet<String>,
    /// Carriers configured not to be asked for delivery receipts (`receipts = false`).
    pub no_receipts: std::collections::HashSet<String>,
}

impl Routes {
    /// From the router's configuration.
    pub fn from_config(c: &crate::config::Config) -> Routes {
        let sends = |name: &&str| c.carriers.get(*name).is_some_and(crate::carrier::pooled);
        let mut r = Routes {
            short_codes: c.short_codes.iter().map(|sc| sc.code.clone()).collect(),
            no_receipts: c
                .carriers
                .iter()
                .filter(|(_, cc)| !cc.receipts)
                .map(|(name, _)| name.clone())
                .collect(),
            ..Routes::default()
        };
        for sc in &c.short_codes {
            if let Some(carrier) = c.carrier_of(&sc.code).filter(sends) {
                r.carriers.insert(sc.code.clone(), carrier.to_owned());
            }
            if let Some(p) = c.default_program(&sc.code) {
                r.default_program.insert(sc.code.clone(), p.name.clone());
            }
        }
        for p in &c.programs {
            r.programs.insert(p.name.clone(), p.short_code.clone());
        }
        r
    }

    fn carrier_for(&self, short_code: &str) -> Option<&str> {
        self.carriers.get(short_code).map(String::as_str)
    }
}

/// A receipt not (yet) matched: its status, raw facts, and when it came.
type Orphan = (Option<MessageStatus>, RawStatus, Instant);

/// One message to submit.
#[derive(Clone, Debug)]
struct Job {
    id: String,
    from: String,
    to: String,
    text: String,
    encoding: Encoding,
    validity_secs: Option<u32>,
    carrier: String,
    /// The STOP confirmation: sent even though the recipient just opted out.
    bypass_optout: bool,
}

/// The MT pipeline.
pub struct MtService {
    store: MessageStore,
    carriers: RwLock<HashMap<String, Arc<dyn Carrier>>>,
    optouts: Arc<dyn OptOuts>,
    gate: ConsentGate,
    quiet: Vec<QuietHours>,
    routes: Routes,
    callbacks: Callbacks,
    callback_keys: HashMap<String, Arc<Vec<u8>>>,
    default_callback_key: Option<Arc<Vec<u8>>>,
    /// API key name -> token: what Twilio-form callbacks are signed with.
    auth_tokens: std::sync::OnceLock<HashMap<String, String>>,
    queue: Mutex<Option<mpsc::Sender<Job>>>,
    in_flight: Arc<Semaphore>,
    max_in_flight: u32,
    splitter: Mutex<Splitter>,
    orphans: Mutex<HashMap<String, Orphan>>,
    recent: Mutex<RecentParts>,
    accepting: AtomicBool,
}

impl std::fmt::Debug for MtService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MtService")
            .field("routes", &self.routes)
            .finish_non_exhaustive()
    }
}

/// What [`MtService::start`] needs.
pub struct MtParts {
    /// The message tables.
    pub store: MessageStore,
    /// The opt-out list.
    pub optouts: Arc<dyn OptOuts>,
    /// The consent gate shared with the MO pipeline (STOP).
    pub gate: ConsentGate,
    /// Short codes, programs, carriers.
    pub routes: Routes,
    /// The `[mt]` section.
    pub config: crate::delivery::MtConfig,
    /// Callback signing keys per API key name (decoded `whsec_` secrets).
    pub callback_keys: HashMap<String, Vec<u8>>,
}

impl MtService {
    /// Starts the service and its submitter. Add carriers with
    /// [`add_carrier`](Self::add_carrier), then call [`requeue`](Self::requeue) to send what a
    /// previous run left queued.
    pub async fn start(parts: MtParts) -> Result<Arc<MtService>, MtError> {
        let default_callback_key = match &parts.config.callback_secret {
            Some(s) => {
                Some(Arc::new(crate::signing::decode_secret(s).map_err(|e| {
                    MtError::Invalid(format!("mt.callback_secret: {e}"))
                })?))
            }
            None => None,
        };
        for q in &parts.config.quiet_hours {
            q.validate().map_err(MtError::Invalid)?;
        }
        let max_in_flight = parts.config.max_in_flight.unwrap_or(256).clamp(1, 65_536) as u32;
        let (tx, rx) = mpsc::channel(4096);
        let svc = Arc::new(MtService {
            store: parts.store,
            carriers: RwLock::new(HashMap::new()),
            optouts: parts.optouts,
            gate: parts.gate,
            quiet: parts.config.quiet_hours.clone(),
            routes: parts.routes,
            callbacks: Callbacks::new(parts.config.callbacks.clone()).map_err(MtError::Invalid)?,
            callback_keys: parts
                .callback_keys
                .into_iter()
                .map(|(k, v)| (k, Arc::new(v)))
                .collect(),
            default_callback_key,
            auth_tokens: std::sync::OnceLock::new(),
            queue: Mutex::new(Some(tx)),
            in_flight: Arc::new(Semaphore::new(max_in_flight as usize)),
            max_in_flight,
            splitter: Mutex::new(Splitter::new(ConcatMode::Udh8)),
            orphans: Mutex::new(HashMap::new()),
            recent: Mutex::new(RecentParts::default()),
            accepting: AtomicBool::new(true),
        });
        tokio::spawn(dispatch(Arc::downgrade(&svc), rx));
        Ok(svc)
    }

    /// The API keys' tokens by name, which sign the status callbacks of messages sent through
    /// the Twilio-compatible API (as Twilio signs with the account's auth token). Set once;
    /// without them those callbacks go unsigned.
    pub fn set_auth_tokens(&self, tokens: HashMap<String, String>) {
        let _ = self.auth_tokens.set(tokens);
    }

    /// Adds (or replaces) a carrier.
    pub fn add_carrier(&self, carrier: Arc<dyn Carrier>) {
        self.carriers
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(carrier.name().to_owned(), carrier);
    }

    /// The carriers.
    pub fn carriers(&self) -> Vec<Arc<dyn Carrier>> {
        self.carriers
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .cloned()
            .collect()
    }

    fn carrier(&self, name: &str) -> Option<Arc<dyn Carrier>> {
        self.carriers
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
            .cloned()
    }

    /// The message tables.
    pub fn store(&self) -> &MessageStore {
        &self.store
    }

    /// The opt-out list.
    pub fn optouts(&self) -> &Arc<dyn OptOuts> {
        &self.optouts
    }

    /// The consent gate (hold it while changing an opt-out).
    pub fn gate(&self) -> &ConsentGate {
        &self.gate
    }

    /// The routes.
    pub fn routes(&self) -> &Routes {
        &self.routes
    }

    /// Validates, checks compliance and queues `req`.
    pub async fn accept(&self, req: MtRequest) -> Result<Accepted, MtError> {
        if !self.accepting.load(Ordering::Acquire) {
            return Err(MtError::ShuttingDown);
        }
        let to = validate(&req)?;
        if let Some(url) = &req.status_callback {
            self.callbacks
                .settings()
                .check_url("status_callback", url)
                .map_err(MtError::CallbackUrl)?;
        }
        if let Some((url, _)) = &req.dlr {
            self.callbacks
                .settings()
                .check_url("dlr-url", url)
                .map_err(MtError::CallbackUrl)?;
        }
        if !self.routes.short_codes.contains(&req.from) {
            return Err(MtError::UnknownShortCode(req.from.clone()));
        }
        let program = match &req.program {
            Some(p) => {
                let code = self
                    .routes
                    .programs
                    .get(p)
                    .ok_or_else(|| MtError::Invalid(format!("unknown program {p:?}")))?;
                if *code != req.from {
                    return Err(MtError::Invalid(format!(
                        "program {p} runs on short code {code}, not {}",
                        req.from
                    )));
                }
                Some(p.clone())
            }
            None => self.routes.default_program.get(&req.from).cloned(),
        };
        if let Some(scope) = &req.scope {
            match &program {
                Some(p) if scope.contains(p) => {}
                Some(p) => return Err(MtError::Forbidden(p.clone())),
                None => return Err(MtError::Forbidden("(none)".into())),
            }
        }
        // Idempotency: a repeat answers with what the first request made.
        let hash = request_hash(&req, &to);
        if let (Some(key_name), Some(key)) = (&req.api_key, &req.idempotency_key) {
            if let Some(hit) = self.store.idempotent(key_name, key).await? {
                return self
                    .repeat(hit.message_id, &hit.request_hash, &hash, key)
                    .await;
            }
        }
        let carrier = self
            .routes
            .carrier_for(&req.from)
            .ok_or_else(|| MtError::NoCarrier(req.from.clone()))?
            .to_owned();
        if let Some(p) = &program {
            if self
                .quiet
                .iter()
                .any(|q| &q.program == p && q.is_quiet(time::OffsetDateTime::now_utc()))
            {
                return Err(MtError::QuietHours(p.clone()));
            }
        }
        if self
            .optouts
            .is_opted_out(&to, &req.from)
            .await
            .map_err(MtError::OptOutCheck)?
        {
            metrics::counter!("router_mt_refused_total", "reason" => "opted_out").increment(1);
            return Err(MtError::OptedOut {
                to,
                from: req.from.clone(),
            });
        }
        let encoding = match req.encoding {
            EncodingPref::Auto => coding::choose(&req.text, &[]).encoding,
            EncodingPref::Ucs2 => Encoding::Ucs2,
            EncodingPref::Gsm7 => {
                let c = coding::choose(&req.text, &[]);
                if c.encoding != Encoding::GSM7 {
                    return Err(MtError::Invalid(format!(
                        "encoding gsm7 was asked for but the text has characters GSM 7-bit \
                         cannot carry: {:?}",
                        c.unencodable.iter().collect::<String>()
                    )));
                }
                Encoding::GSM7
            }
        };
        let segments = coding::segments(&req.text, &encoding) as u32;
        let id = new_id();
        let new = NewMessage {
            id: id.clone(),
            direction: Direction::Mt,
            api_key: req.api_key.clone(),
            program: program.clone(),
            sender: req.from.clone(),
            recipient: to.clone(),
            body: req.text.clone(),
            encoding: encoding.name().to_owned(),
            segments,
            carrier: Some(carrier.clone()),
            status_callback: req.status_callback.clone(),
            validity_secs: req.validity_secs,
            resend_of: req.resend_of.clone(),
            dlr: req.dlr.clone(),
            status: MessageStatus::Queued,
            created_at: now_ms(),
            kind: MtKind::Api,
            bypass_optout: false,
            callback_format: req.callback_format,
        };
        let idem = match (&req.api_key, &req.idempotency_key) {
            (Some(k), Some(key)) => Some((k.as_str(), key.as_str(), hash.as_str())),
            _ => None,
        };
        if let Inserted::Existing(hit) = self.store.insert_mt(&new, idem).await? {
            // Lost a race with the same key.
            return self
                .repeat(
                    hit.message_id,
                    &hit.request_hash,
                    &hash,
                    req.idempotency_key.as_deref().unwrap_or(""),
                )
                .await;
        }
        metrics::counter!("router_mt_accepted_total").increment(1);
        self.enqueue(Job {
            id: id.clone(),
            from: req.from.clone(),
            to,
            text: req.text.clone(),
            encoding,
            validity_secs: req.validity_secs,
            carrier,
            bypass_optout: false,
        })
        .await?;
        Ok(Accepted {
            id,
            status: MessageStatus::Queued,
            segments,
            encoding: encoding.name().to_owned(),
            program,
            repeated: false,
        })
    }

    async fn repeat(
        &self,
        message_id: String,
        stored_hash: &str,
        hash: &str,
        key: &str,
    ) -> Result<Accepted, MtError> {
        if stored_hash != hash {
            return Err(MtError::IdempotencyConflict(key.to_owned()));
        }
        let m = self
            .store
            .get(&message_id)
            .await?
            .ok_or_else(|| MtError::NotFound(message_id.clone()))?;
        Ok(Accepted {
            id: m.id,
            status: m.status,
            segments: m.segments,
            encoding: m.encoding,
            program: m.program,
            repeated: true,
        })
    }

    /// Sends message `id` again as a new message (compliance checked again).
    pub async fn resend(
        &self,
        id: &str,
        api_key: Option<String>,
        scope: Option<Vec<String>>,
    ) -> Result<Accepted, MtError> {
        let m = self
            .store
            .get(id)
            .await?
            .filter(|m| m.direction == Direction::Mt)
            .ok_or_else(|| MtError::NotFound(id.to_owned()))?;
        if !in_scope(&m, scope.as_deref()) {
            return Err(MtError::NotFound(id.to_owned()));
        }
        let encoding = if m.encoding == Encoding::Ucs2.name() {
            EncodingPref::Ucs2
        } else {
            EncodingPref::Auto
        };
        self.accept(MtRequest {
            from: m.sender,
            to: m.recipient,
            text: m.body,
            program: m.program,
            status_callback: m.status_callback,
            validity_secs: m.validity_secs,
            encoding,
            api_key,
            scope,
            idempotency_key: None,
            resend_of: Some(m.id),
            dlr: m.dlr,
            callback_format: m.callback_format,
        })
        .await
    }

    /// Message `id`, if the scope may see it.
    pub async fn get(&self, id: &str, scope: Option<&[String]>) -> Result<MessageRecord, MtError> {
        self.store
            .get(id)
            .await?
            .filter(|m| in_scope(m, scope))
            .ok_or_else(|| MtError::NotFound(id.to_owned()))
    }

    async fn enqueue(&self, job: Job) -> Result<(), MtError> {
        let tx = self
            .queue
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .ok_or(MtError::ShuttingDown)?;
        tx.send(job).await.map_err(|_| MtError::ShuttingDown)
    }

    /// Messages left `queued` by an earlier run go out again (call once, after adding the
    /// carriers). Returns how many.
    pub async fn requeue(&self) -> Result<usize, MtError> {
        let rows = sqlx::query_as::<
            _,
            (
                String,
                String,
                String,
                String,
                String,
                Option<i64>,
                Option<String>,
                bool,
            ),
        >(
            "SELECT id, sender, recipient, body, encoding, validity_secs, carrier, bypass_optout \
             FROM mt_messages WHERE direction = 'mt' AND status = 'queued' ORDER BY seq",
        )
        .fetch_all(self.store.pool())
        .await
        .map_err(MessageStoreError::from)?;
        let n = rows.len();
        for (id, from, to, text, enc, validity, carrier, bypass_optout) in rows {
            let encoding = if enc == Encoding::Ucs2.name() {
                Encoding::Ucs2
            } else {
                coding::choose(&text, &[]).encoding
            };
            let Some(carrier) = carrier.or_else(|| self.routes.carrier_for(&from).map(Into::into))
            else {
                continue;
            };
            tracing::info!(id = %id, "re-queueing a message left queued");
            self.enqueue(Job {
                id,
                from,
                to,
                text,
                encoding,
                validity_secs: validity.map(|v| v as u32),
                carrier,
                bypass_optout,
            })
            .await?;
        }
        Ok(n)
    }

    /// Sends an MT of the MO pipeline (a handler's reply): refused at once when the recipient
    /// opted out (unless it is the STOP confirmation), else recorded `queued` in the message
    /// history and submitted like an API message (checked again under the consent gate).
    /// Returns its id.
    pub async fn send_internal(&self, m: &MtRecord) -> Result<String, MtError> {
        if !self.accepting.load(Ordering::Acquire) {
            return Err(MtError::ShuttingDown);
        }
        if !m.bypass_optout
            && self
                .optouts
                .is_opted_out(&m.subscriber, &m.short_code)
                .await
                .map_err(MtError::OptOutCheck)?
        {
            metrics::counter!("router_mt_refused_total", "reason" => "opted_out").increment(1);
            return Err(MtError::OptedOut {
                to: m.subscriber.clone(),
                from: m.short_code.clone(),
            });
        }
        let Some(carrier) = self.routes.carrier_for(&m.short_code) else {
            return Err(MtError::NoCarrier(m.short_code.clone()));
        };
        let mut message = queued_message(m);
        message.carrier = Some(carrier.to_owned());
        self.store.insert_mt(&message, None).await?;
        self.submit_stored(m).await?;
        Ok(m.id.clone())
    }

    /// Submits an MT the MO pipeline already recorded (with [`queued_message`], in the MO's
    /// transaction): compliance answers, the no-route reply.
    /// With no carrier that can send from its short code it fails at once (`no_carrier`).
    pub async fn submit_stored(&self, m: &MtRecord) -> Result<(), MtError> {
        let Some(carrier) = self.routes.carrier_for(&m.short_code).map(str::to_owned) else {
            let raw = RawStatus {
                detail: Some(MtError::NoCarrier(m.short_code.clone()).to_string()),
                ..RawStatus::default()
            };
            self.fail(&m.id, 1, MessageStatus::Failed, raw, "no_carrier")
                .await;
            return Ok(());
        };
        self.enqueue(Job {
            id: m.id.clone(),
            from: m.short_code.clone(),
            to: m.subscriber.clone(),
            text: m.text.clone(),
            encoding: coding::choose(&m.text, &[]).encoding,
            validity_secs: None,
            carrier,
            bypass_optout: m.bypass_optout,
        })
        .await
    }

    /// Stops accepting, then waits for queued submissions and callbacks, at most `deadline`.
    /// Returns `true` when everything drained.
    pub async fn shutdown(&self, deadline: Duration) -> bool {
        self.accepting.store(false, Ordering::Release);
        self.queue.lock().unwrap_or_else(|e| e.into_inner()).take();
        let started = Instant::now();
        let submits = tokio::time::timeout(deadline, async {
            // The dispatcher exits once the queue is empty; then every permit comes back.
            loop {
                if self.in_flight.available_permits() == self.max_in_flight as usize {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    if self.in_flight.available_permits() == self.max_in_flight as usize {
                        break;
                    }
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await
        .is_ok();
        let left = deadline.saturating_sub(started.elapsed());
        let callbacks = self.callbacks.drain(left).await;
        submits && callbacks
    }

    /// A delivery receipt from `carrier`. `Ok(true)`: it was one of ours and is stored (answer
    /// the SMSC `ESME_ROK`); `Ok(false)`: not ours (kept a while in case its `submit_sm_resp`
    /// is still on the way); `Err`: the store failed (answer `ESME_RX_T_APPN`).
    pub async fn handle_receipt(
        &self,
        carrier: &str,
        receipt: &OwnedReceipt,
    ) -> Result<bool, MtError> {
        let form = self
            .carrier(carrier)
            .map(|c| c.id_form())
            .unwrap_or_default();
        let key = form.receipt_key(&receipt.message_id);
        let status = receipt.state.and_then(MessageStatus::from_receipt_state);
        let raw = RawStatus {
            stat: receipt
                .stat
                .clone()
                .or_else(|| receipt.state.map(|s| s.stat_text().into())),
            err: receipt
                .err
                .clone()
                .or_else(|| receipt.network_error_code.map(|n| format!("{:?}", n))),
            command_status: None,
            detail: Some(format!("receipt for {}", receipt.message_id)),
        };
        metrics::counter!("router_receipts_total").increment(1);
        let okey = orphan_key(carrier, &key);
        let recent = self
            .recent
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&okey);
        let found = match recent {
            Some(hit) => Some(hit),
            None => self.store.find_part(carrier, &key).await?,
        };
        match found {
            Some((message_id, part)) => {
                let r = self
                    .store
                    .part_receipt(&message_id, part, status, &raw)
                    .await?;
                self.after_roll(r, &raw).await;
                Ok(true)
            }
            None => {
                {
                    let mut o = self.orphans.lock().unwrap_or_else(|e| e.into_inner());
                    if o.len() >= MAX_ORPHANS {
                        let now = Instant::now();
                        o.retain(|_, (_, _, at)| now.duration_since(*at) < ORPHAN_TTL);
                    }
                    if o.len() >= MAX_ORPHANS {
                        return Ok(false);
                    }
                    o.insert(okey.clone(), (status, raw.clone(), Instant::now()));
                }
                // The submit_sm_resp may have been recorded between the look-up and the stash:
                // look again. Whoever takes the stashed receipt out of the map applies it (the
                // submitter checks the map after recording the part), so it is applied once.
                if let Some((message_id, part)) = self.store.find_part(carrier, &key).await? {
                    let mine = self
                        .orphans
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .remove(&okey)
                        .is_some();
                    if mine {
                        let r = self
                            .store
                            .part_receipt(&message_id, part, status, &raw)
                            .await?;
                        self.after_roll(r, &raw).await;
                    }
                    return Ok(true);
                }
                Ok(false)
            }
        }
    }

    async fn after_roll(&self, r: RollUp, raw: &RawStatus) {
        if !r.changed() {
            return;
        }
        metrics::counter!("router_mt_status_total", "status" => r.after.as_str()).increment(1);
        let Some(m) = r.message.map(|m| *m) else {
            return;
        };
        if let Some((url, mask)) = &m.dlr {
            let kind = kannel_dlr_type(r.after);
            if kind & mask != 0 {
                let url = kannel_dlr_url(url, kind, &m, raw);
                self.callbacks.send_get(url).await;
            }
        }
        let Some(url) = m.status_callback.clone() else {
            return;
        };
        if let CallbackFormat::Jasmin { level, post } = m.callback_format {
            // The carrier's id for the message (its last part's) names it in a receipt DLR.
            let smsc_id = if raw.stat.is_some() {
                let parts = self.store.parts(&m.id).await.unwrap_or_default();
                parts.into_iter().rev().find_map(|p| p.smsc_id)
            } else {
                None
            };
            if let Some(params) =
                crate::api::jasmin::dlr_params(&m, level, r.after, raw, smsc_id, now_ms())
            {
                self.callbacks.send_jasmin(url, post, params).await;
            }
            return;
        }
        if m.callback_format == CallbackFormat::Twilio {
            let token = m
                .api_key
                .as_ref()
                .and_then(|k| self.auth_tokens.get().and_then(|t| t.get(k)))
                .cloned();
            let params = crate::api::twilio::status_params(&m, r.after);
            self.callbacks.send_form(url, token, params).await;
            return;
        }
        let key = m
            .api_key
            .as_ref()
            .and_then(|k| self.callback_keys.get(k))
            .or(self.default_callback_key.as_ref())
            .cloned();
        self.callbacks
            .send(Callback {
                url,
                key,
                event: StatusEvent {
                    id: m.id,
                    status: r.after,
                    previous_status: r.before,
                    from: m.sender,
                    to: m.recipient,
                    segments: m.segments,
                    stat: raw.stat.clone(),
                    err: raw.err.clone(),
                    command_status: raw.command_status,
                    at: rfc3339(now_ms()),
                },
            })
            .await;
    }

    async fn submit(&self, job: Job) {
        let _consent = self.gate.lock(&job.to).await;
        // Checked again under the lock: a STOP recorded since the API call wins.
        let opted_out = if job.bypass_optout {
            Ok(false)
        } else {
            self.optouts.is_opted_out(&job.to, &job.from).await
        };
        match opted_out {
            Ok(false) => {}
            Ok(true) => {
                let raw = RawStatus {
                    detail: Some("recipient opted out before submission".into()),
                    ..RawStatus::default()
                };
                self.fail(
                    &job.id,
                    1,
                    MessageStatus::Rejected,
                    raw,
                    "recipient_opted_out",
                )
                .await;
                return;
            }
            Err(e) => {
                let raw = RawStatus {
                    detail: Some(format!("opt-out check failed: {e}")),
                    ..RawStatus::default()
                };
                self.fail(
                    &job.id,
                    1,
                    MessageStatus::Failed,
                    raw,
                    "optout_check_failed",
                )
                .await;
                return;
            }
        }
        let Some(carrier) = self.carrier(&job.carrier) else {
            let raw = RawStatus {
                detail: Some(format!("carrier {} is not configured", job.carrier)),
                ..RawStatus::default()
            };
            self.fail(&job.id, 1, MessageStatus::Failed, raw, "no_carrier")
                .await;
            return;
        };
        let receipts = !self.routes.no_receipts.contains(&job.carrier);
        let pdus = match build_parts(&self.splitter, &job, receipts) {
            Ok(p) => p,
            Err(e) => {
                let raw = RawStatus {
                    detail: Some(e),
                    ..RawStatus::default()
                };
                self.fail(&job.id, 1, MessageStatus::Failed, raw, "invalid_message")
                    .await;
                return;
            }
        };
        for (i, pdu) in pdus.into_iter().enumerate() {
            let part = i as u32 + 1;
            let mut attempt = 0;
            let waiting_since = Instant::now();
            let result = loop {
                match carrier.submit_part(&job.id, pdu.clone()).await {
                    // No bind up: wait for one (a rebind) for a while.
                    Err(SubmitError::Unavailable(_))
                        if waiting_since.elapsed() < UNAVAILABLE_WAIT =>
                    {
                        attempt += 1;
                        let delay = Duration::from_millis(100u64 << attempt.min(5));
                        tokio::time::sleep(delay).await;
                    }
                    Err(e) if e.is_temporary() && attempt < SUBMIT_RETRIES => {
                        attempt += 1;
                        tokio::time::sleep(Duration::from_millis(200 << attempt)).await;
                    }
                    r => break r,
                }
            };
            match result {
                Ok(smsc_id) => {
                    let key = carrier.id_form().submit_key(&smsc_id);
                    let okey = orphan_key(carrier.name(), &key);
                    match self
                        .store
                        .part_sent(&job.id, part, carrier.name(), &smsc_id, &key)
                        .await
                    {
                        Ok(r) => {
                            self.recent
                                .lock()
                                .unwrap_or_else(|e| e.into_inner())
                                .insert(okey.clone(), (job.id.clone(), part));
                            let raw = RawStatus {
                                command_status: Some(0),
                                ..RawStatus::default()
                            };
                            self.after_roll(r, &raw).await;
                        }
                        Err(e) => {
                            tracing::error!(id = %job.id, error = %e, "cannot record a sent part");
                        }
                    }
                    let orphan = self
                        .orphans
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .remove(&okey);
                    if let Some((status, raw, _)) = orphan {
                        if let Ok(r) = self.store.part_receipt(&job.id, part, status, &raw).await {
                            self.after_roll(r, &raw).await;
                        }
                    }
                }
                Err(e) => {
                    let (status, code, cs) = match &e {
                        SubmitError::Status(s) if !s.is_temporary() => {
                            (MessageStatus::Rejected, "carrier_rejected", Some(s.0))
                        }
                        SubmitError::Status(s) => {
                            (MessageStatus::Failed, "carrier_unavailable", Some(s.0))
                        }
                        SubmitError::Unavailable(_) => {
                            (MessageStatus::Failed, "carrier_unavailable", None)
                        }
                        SubmitError::GaveUp { status, .. } => (
                            MessageStatus::Failed,
                            "carrier_unavailable",
                            status.map(|s| s.0),
                        ),
                    };
                    let raw = RawStatus {
                        command_status: cs,
                        detail: Some(e.to_string()),
                        ..RawStatus::default()
                    };
                    self.fail(&job.id, part, status, raw, code).await;
                    return;
                }
            }
        }
    }

    async fn fail(
        &self,
        id: &str,
        from_part: u32,
        status: MessageStatus,
        raw: RawStatus,
        code: &str,
    ) {
        match self
            .store
            .parts_failed(id, from_part, status, &raw, code)
            .await
        {
            Ok(r) => self.after_roll(r, &raw).await,
            Err(e) => tracing::error!(id = %id, error = %e, "cannot record a failed message"),
        }
    }
}

async fn dispatch(svc: std::sync::Weak<MtService>, mut rx: mpsc::Receiver<Job>) {
    while let Some(job) = rx.recv().await {
        let Some(s) = svc.upgrade() else { break };
        metrics::gauge!("router_mt_queue_depth").set(rx.len() as f64);
        let Ok(permit) = s.in_flight.clone().acquire_owned().await else {
            break;
        };
        tokio::spawn(async move {
            s.submit(job).await;
            drop(permit);
        });
    }
}

/// The Kannel DLR type of a status: 1 delivered, 2 failed, 8 accepted by the SMSC, 16 rejected
/// by the SMSC (Kannel user guide, `dlr-mask`).
pub fn kannel_dlr_type(s: MessageStatus) -> u8 {
    match s {
        MessageStatus::Delivered => 1,
        MessageStatus::Undelivered | MessageStatus::Expired => 2,
        MessageStatus::Queued => 4,
        MessageStatus::Sent => 8,
        MessageStatus::Rejected | MessageStatus::Failed => 16,
    }
}

/// `url` with Kannel's placeholders filled in (URL-encoded): `%d` type, `%p` recipient, `%P`
/// sender, `%A` the SMSC's answer (receipt `stat`/`err` or detail), `%T` Unix time, `%I` our id.
pub fn kannel_dlr_url(url: &str, kind: u8, m: &MessageRecord, raw: &RawStatus) -> String {
    let enc = |s: &str| -> String {
        serde_urlencoded::to_string([("", s)])
            .map(|e| e.trim_start_matches('=').to_owned())
            .unwrap_or_default()
    };
    let answer = match (&raw.stat, &raw.err) {
        (Some(s), Some(e)) => format!("stat:{s} err:{e}"),
        (Some(s), None) => format!("stat:{s}"),
        _ => raw.detail.clone().unwrap_or_default(),
    };
    let mut out = String::with_capacity(url.len() + 32);
    let mut chars = url.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('d') => out.push_str(&kind.to_string()),
            Some('p') => out.push_str(&enc(&m.recipient)),
            Some('P') => out.push_str(&enc(&m.sender)),
            Some('A') => out.push_str(&enc(&answer)),
            Some('T') => out.push_str(&(now_ms() / 1000).to_string()),
            Some('I') => out.push_str(&enc(&m.id)),
            Some(other) => {
                out.push('%');
                out.push(other);
            }
            None => out.push('%'),
        }
    }
    out
}

fn in_scope(m: &MessageRecord, scope: Option<&[String]>) -> bool {
    match scope {
        None => true,
        Some(s) => m.program.as_ref().is_some_and(|p| s.contains(p)),
    }
}

fn orphan_key(carrier: &str, key: &str) -> String {
    format!("{carrier}\0{key}")
}

/// The message-history row of an MT the MO pipeline sends (see [`MtService::send_internal`]):
/// `queued`, its encoding and part count worked out as for an API message.
pub fn queued_message(m: &MtRecord) -> NewMessage {
    let encoding = coding::choose(&m.text, &[]).encoding;
    NewMessage {
        id: m.id.clone(),
        direction: Direction::Mt,
        api_key: None,
        program: m.program.clone(),
        sender: m.short_code.clone(),
        recipient: m.subscriber.clone(),
        body: m.text.clone(),
        encoding: encoding.name().to_owned(),
        segments: (coding::segments(&m.text, &encoding) as u32).max(1),
        carrier: None,
        status_callback: None,
        validity_secs: None,
        resend_of: None,
        dlr: None,
        status: MessageStatus::Queued,
        created_at: m.created_at,
        kind: m.kind,
        bypass_optout: m.bypass_optout,
        callback_format: CallbackFormat::Standard,
    }
}

/// A new message id: `msg_` and a time-ordered unique suffix.
pub fn new_id() -> String {
    crate::new_id("msg")
}

pub use crate::rfc3339;

fn validate(req: &MtRequest) -> Result<String, MtError> {
    let bad = |m: String| Err(MtError::Invalid(m));
    if req.from.trim().is_empty() {
        return bad("`from` (the short code) is required".into());
    }
    if req.from.len() > 20 || req.from.contains('\0') {
        return bad("`from` must be at most 20 characters".into());
    }
    let to = req.to.trim().trim_start_matches('+').to_owned();
    if to.is_empty() || to.len() > 20 || !to.bytes().all(|b| b.is_ascii_digit()) {
        return bad(format!(
            "`to` must be a phone number: digits with an optional leading +, at most 20 (got {:?})",
            req.to
        ));
    }
    if req.text.is_empty() {
        return bad("`text` must not be empty".into());
    }
    if req.text.chars().count() > MAX_TEXT_CHARS {
        return bad(format!("`text` is longer than {MAX_TEXT_CHARS} characters"));
    }
    if let Some(v) = req.validity_secs {
        if v == 0 || v > 99 * 86_400 {
            return bad("`validity` must be 1 to 8553600 seconds (99 days)".into());
        }
    }
    if let Some(k) = &req.idempotency_key {
        if k.is_empty() || k.len() > 255 {
            return bad("Idempotency-Key must be 1 to 255 characters".into());
        }
    }
    Ok(to)
}

fn request_hash(req: &MtRequest, to: &str) -> String {
    let mut h = Sha256::new();
    for part in [
        req.from.as_str(),
        to,
        req.text.as_str(),
        req.program.as_deref().unwrap_or(""),
        req.status_callback.as_deref().unwrap_or(""),
        &req.validity_secs.map(|v| v.to_string()).unwrap_or_default(),
        &format!("{:?}", req.encoding),
    ] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    let mut hex = String::with_capacity(64);
    for b in h.finalize() {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        hex.push(char::from(DIGITS[usize::from(b >> 4)]));
        hex.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    hex
}

/// SMPP relative time (`YYMMDDhhmmss000R`, SMPP 3.4 §7.1.1.2) for `secs`.
fn relative_time(secs: u32) -> String {
    let days = (secs / 86_400).min(99);
    let rem = secs % 86_400;
    format!(
        "0000{days:02}{:02}{:02}{:02}000R",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn build_parts(
    splitter: &Mutex<Splitter>,
    job: &Job,
    receipts: bool,
) -> Result<Vec<SubmitSm>, String> {
    let short = job.from.len() <= 8 && job.from.bytes().all(|b| b.is_ascii_digit());
    let alpha = !job.from.bytes().all(|b| b.is_ascii_digit() || b == b'+');
    let (ston, snpi) = if alpha {
        (5, 0) // alphanumeric
    } else if short {
        (3, 0) // network specific: a short code
    } else {
        (1, 1) // international, E.164
    };
    let validity = match job.validity_secs {
        Some(v) => SmppTime::new(&relative_time(v)).map_err(|e| e.to_string())?,
        None => SmppTime::default(),
    };
    let template = SubmitSm {
        source_addr_ton: ston,
        source_addr_npi: snpi,
        source_addr: COctetString::try_from(job.from.as_str()).map_err(|e| e.to_string())?,
        dest_addr_ton: 1,
        dest_addr_npi: 1,
        destination_addr: COctetString::try_from(job.to.as_str()).map_err(|e| e.to_string())?,
        registered_delivery: u8::from(receipts),
        validity_period: validity,
        ..SubmitSm::default()
    };
    splitter
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .submit_sms(&template, &job.text, &job.encoding)
        .map_err(|e| e.to_string())
}

/// The status a `submit_sm_resp` error maps to (for reporting): permanent -> rejected.
pub fn status_for_command_status(s: CommandStatus) -> MessageStatus {
    if s.is_temporary() {
        MessageStatus::Failed
    } else {
        MessageStatus::Rejected
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receipts_are_asked_for_unless_the_carrier_says_not() {
        let job = Job {
            id: "msg_1".into(),
            from: "12345".into(),
            to: "447700900123".into(),
            text: "hi".into(),
            encoding: Encoding::GSM7,
            validity_secs: None,
            carrier: "sim".into(),
            bypass_optout: false,
        };
        let splitter = Mutex::new(Splitter::new(ConcatMode::Udh8));
        let on = build_parts(&splitter, &job, true).unwrap();
        let off = build_parts(&splitter, &job, false).unwrap();
        assert_eq!(
            (on[0].registered_delivery, off[0].registered_delivery),
            (1, 0)
        );
        let text = crate::config::tests::SAMPLE.replace(
            "password = \"secret\"",
            "password = \"secret\"\nreceipts = false",
        );
        let routes = Routes::from_config(&crate::config::Config::parse(&text).unwrap());
        assert!(routes.no_receipts.contains("sim"));
    }

    #[test]
    fn relative_validity() {
        assert_eq!(relative_time(3600), "000000010000000R");
        assert_eq!(relative_time(86_400 + 61), "000001000101000R");
        assert!(SmppTime::new(&relative_time(99 * 86_400)).is_ok());
    }

    #[test]
    fn validation() {
        let ok = MtRequest {
            from: "12345".into(),
            to: "+447700900123".into(),
            text: "hi".into(),
            ..MtRequest::default()
        };
        assert_eq!(validate(&ok).unwrap(), "447700900123");
        for bad in [
            MtRequest {
                to: "abc".into(),
                ..ok.clone()
            },
            MtRequest {
                text: String::new(),
                ..ok.clone()
            },
            MtRequest {
                from: String::new(),
                ..ok.clone()
            },
            MtRequest {
                validity_secs: Some(0),
                ..ok.clone()
            },
            MtRequest {
                text: "x".repeat(MAX_TEXT_CHARS + 1),
                ..ok.clone()
            },
        ] {
            assert!(
                matches!(validate(&bad), Err(MtError::Invalid(_))),
                "{bad:?}"
            );
        }
    }
}
