//! The store behind the router: the [`Store`] trait (MOs and their long-MO parts, webhooks and
//! their attempts, opt-outs, subscriptions,
//! conversations, handler state) and its records. [`sqlite`] is the embedded implementation;
//! a PostgreSQL one implements the same trait later.

pub mod messages;
pub mod optout_cache;
pub mod sqlite;

use std::future::Future;
use std::pin::Pin;

pub use sqlite::SqliteStore;

/// A boxed store future (the trait is object-safe so services hold `Arc<dyn Store>`).
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused or failed.
    #[error("store: {0}")]
    Db(#[from] sqlx::Error),
    /// Migrations failed at start.
    #[error("store migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A stored value could not be read back.
    #[error("store holds an unreadable {what}: {detail}")]
    Corrupt {
        /// Which value.
        what: &'static str,
        /// What is wrong.
        detail: String,
    },
}

/// What became of an MO once routed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MoState {
    /// Handed to a handler (see its webhook).
    Webhook,
    /// Answered by the router (STOP, HELP, START...).
    Compliance,
    /// Nothing matched.
    NoRoute,
    /// A double opt-in join waiting for YES.
    AwaitingConfirmation,
}

impl MoState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            MoState::Webhook => "webhook",
            MoState::Compliance => "compliance",
            MoState::NoRoute => "no_route",
            MoState::AwaitingConfirmation => "awaiting_confirmation",
        }
    }

    fn parse(s: &str) -> Result<MoState, StoreError> {
        Ok(match s {
            "webhook" => MoState::Webhook,
            "compliance" => MoState::Compliance,
            "no_route" => MoState::NoRoute,
            "awaiting_confirmation" => MoState::AwaitingConfirmation,
            other => return Err(corrupt("MO state", other)),
        })
    }
}

fn corrupt(what: &'static str, detail: impl Into<String>) -> StoreError {
    StoreError::Corrupt {
        what,
        detail: detail.into(),
    }
}

/// A received (and routed) MO.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MoRecord {
    /// Our id.
    pub id: String,
    /// When it arrived (whole), Unix ms.
    pub received_at: i64,
    /// The subscriber.
    pub source: String,
    /// The short code.
    pub short_code: String,
    /// The text.
    pub text: String,
    /// Parts it came in.
    pub segments: u32,
    /// Its `data_coding`.
    pub data_coding: u8,
    /// The rule that matched (see [`crate::routing::Rule::as_str`]).
    pub rule: String,
    /// The keyword, pattern or compliance family that matched.
    pub matched: Option<String>,
    /// The route.
    pub route: Option<String>,
    /// The program.
    pub program: Option<String>,
    /// The handler.
    pub handler: Option<String>,
    /// What became of it.
    pub state: MoState,
}

/// One stored part of a long MO, waiting for the rest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartRecord {
    /// The message's key (source, destination, reference, total).
    pub key: String,
    /// The part's number.
    pub seq: u8,
    /// Source address octets.
    pub source: Vec<u8>,
    /// Destination address octets.
    pub destination: Vec<u8>,
    /// 0: UDH 8-bit, 1: UDH 16-bit, 2: SAR.
    pub ref_kind: u8,
    /// The reference.
    pub ref_value: u16,
    /// Parts announced.
    pub total: u8,
    /// User data after the UDH.
    pub payload: Vec<u8>,
    /// `data_coding`.
    pub data_coding: u8,
    /// National locking shift.
    pub national_locking: Option<u8>,
    /// National single shift.
    pub national_single: Option<u8>,
    /// UDH octets.
    pub udh_len: u32,
    /// Unix ms.
    pub received_at: i64,
}

/// Where a webhook is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WebhookState {
    /// To be sent (now or at `next_attempt_at`).
    Pending,
    /// A 2xx came back.
    Delivered,
    /// Given up after the configured age.
    Dead,
}

impl WebhookState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookState::Pending => "pending",
            WebhookState::Delivered => "delivered",
            WebhookState::Dead => "dead",
        }
    }

    fn parse(s: &str) -> Result<WebhookState, StoreError> {
        Ok(match s {
            "pending" => WebhookState::Pending,
            "delivered" => WebhookState::Delivered,
            "dead" => WebhookState::Dead,
            other => return Err(corrupt("webhook state", other)),
        })
    }
}

/// A webhook to a handler (an MO, or a subscriber event).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookRecord {
    /// The webhook id (`webhook-id`), stable across retries.
    pub id: String,
    /// The MO it carries, if any.
    pub mo_id: Option<String>,
    /// The handler's name.
    pub handler: String,
    /// `message.received`, `subscriber.opted_out`, `subscriber.opted_in`.
    pub kind: String,
    /// The JSON payload, byte-identical on every attempt.
    pub payload: String,
    /// Unix ms.
    pub created_at: i64,
    /// Unix ms.
    pub next_attempt_at: i64,
    /// Attempts so far.
    pub attempts: u32,
    /// Where it is.
    pub state: WebhookState,
    /// The last failure.
    pub last_error: Option<String>,
    /// The handler's reply, once delivered.
    pub reply: Option<String>,
}

/// How one webhook attempt ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// 2xx: delivered, with the reply to send (if any).
    Delivered {
        /// The reply text.
        reply: Option<String>,
    },
    /// Failed; try again at this time (Unix ms).
    Retry {
        /// Unix ms.
        next_attempt_at: i64,
    },
    /// Failed and too old: dead-lettered.
    Dead,
    /// 410 Gone: the handler is disabled; the webhook stays pending.
    HandlerGone,
}

/// One webhook attempt, recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttemptRecord {
    /// The webhook.
    pub webhook_id: String,
    /// Its number (from 1).
    pub attempt: u32,
    /// Unix ms.
    pub at: i64,
    /// The HTTP status, if one came back.
    pub status: Option<u16>,
    /// The error (transport error, or a non-2xx summary).
    pub error: Option<String>,
    /// How long it took.
    pub latency_ms: u32,
    /// What follows.
    pub outcome: AttemptOutcome,
}

/// Why an MT is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MtKind {
    /// A handler's reply.
    Reply,
    /// A compliance answer (STOP/HELP/START confirmations, double opt-in).
    Compliance,
    /// The no-route reply.
    NoRoute,
    /// Sent by an application (the MT API).
    Api,
}

impl MtKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            MtKind::Reply => "reply",
            MtKind::Compliance => "compliance",
            MtKind::NoRoute => "no_route",
            MtKind::Api => "api",
        }
    }

    /// The kind of a stored name.
    pub fn parse(s: &str) -> Result<MtKind, StoreError> {
        Ok(match s {
            "reply" => MtKind::Reply,
            "compliance" => MtKind::Compliance,
            "no_route" => MtKind::NoRoute,
            "api" => MtKind::Api,
            other => return Err(corrupt("MT kind", other)),
        })
    }
}

/// An MT the MO pipeline sends (a reply or a compliance answer), as it routes the MO: written
/// to the one message history (`mt_messages`, see [`messages`]) in the MO's transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MtRecord {
    /// Our id.
    pub id: String,
    /// Unix ms.
    pub created_at: i64,
    /// The short code it is sent from.
    pub short_code: String,
    /// The subscriber.
    pub subscriber: String,
    /// The program sending it.
    pub program: Option<String>,
    /// The text.
    pub text: String,
    /// Why.
    pub kind: MtKind,
    /// The STOP confirmation: the one MT that passes an opt-out.
    pub bypass_optout: bool,
}

/// A conversation: plain replies from `subscriber` on `short_code` go to `program`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConversationRecord {
    /// The subscriber.
    pub subscriber: String,
    /// The short code.
    pub short_code: String,
    /// The program.
    pub program: String,
    /// The handler replies go to.
    pub handler: String,
    /// The route that opened it, if a keyword did.
    pub route: Option<String>,
    /// Unix ms.
    pub expires_at: i64,
}

/// An opt-out or opt-in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsentChange {
    /// The subscriber.
    pub subscriber: String,
    /// The short codes concerned.
    pub short_codes: Vec<String>,
    /// `true`: opted out; `false`: opted back in.
    pub opted_out: bool,
    /// The word that did it.
    pub keyword: String,
    /// Unix ms.
    pub at: i64,
}

/// A double opt-in subscription change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubscriptionChange {
    /// The subscriber.
    pub subscriber: String,
    /// The short code.
    pub short_code: String,
    /// The program.
    pub program: String,
    /// `true`: confirmed (active); `false`: pending with `pending_mo_id`.
    pub active: bool,
    /// The join MO waiting for YES.
    pub pending_mo_id: Option<String>,
    /// Unix ms.
    pub at: i64,
}

/// A pending double opt-in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingSubscription {
    /// The program.
    pub program: String,
    /// The join MO.
    pub mo_id: Option<String>,
}

/// A received delivery receipt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceiptRecord {
    /// The carrier's message id.
    pub message_id: String,
    /// `stat:`.
    pub stat: Option<String>,
    /// `err:`.
    pub err: Option<String>,
    /// The receipt text as received (lossy UTF-8).
    pub raw: String,
    /// Unix ms.
    pub received_at: i64,
}

/// Everything one routed MO changes, written atomically.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MoWrite {
    /// The MO.
    pub mo: Option<MoRecord>,
    /// The parts it was reassembled from (deleted now).
    pub parts_key: Option<String>,
    /// Webhooks to send.
    pub webhooks: Vec<WebhookRecord>,
    /// MTs to send (compliance answers, no-route reply).
    pub mts: Vec<MtRecord>,
    /// A conversation to open or move.
    pub conversation: Option<ConversationRecord>,
    /// An opt-out or opt-in.
    pub consent: Option<ConsentChange>,
    /// A double opt-in change.
    pub subscription: Option<SubscriptionChange>,
}

/// One item of an inbound batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InboundWrite {
    /// A part of a long MO.
    Part(PartRecord),
    /// A routed MO and what it changes.
    Mo(Box<MoWrite>),
    /// A delivery receipt.
    Receipt(ReceiptRecord),
}

/// Counts for tests and health.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StoreStats {
    /// MOs stored.
    pub mos: u64,
    /// Long-MO parts waiting.
    pub parts: u64,
    /// Webhooks pending.
    pub webhooks_pending: u64,
    /// Webhooks delivered.
    pub webhooks_delivered: u64,
    /// Webhooks dead-lettered.
    pub webhooks_dead: u64,
    /// Webhook attempts made.
    pub attempts: u64,
    /// MTs that reached a carrier (`sent` and later statuses).
    pub mts_sent: u64,
    /// MTs refused because the recipient opted out.
    pub mts_refused: u64,
    /// MTs queued.
    pub mts_queued: u64,
    /// Receipts stored.
    pub receipts: u64,
}

/// The router's durable state. Every method is one transaction.
pub trait Store: Send + Sync + 'static {
    /// Writes a batch of inbound items in one transaction (group commit): the SMSC is answered
    /// only after this returns `Ok`.
    fn write_inbound<'a>(&'a self, batch: &'a [InboundWrite]) -> StoreFuture<'a, ()>;
    /// Every stored long-MO part (to rebuild the reassembler at start).
    fn load_parts(&self) -> StoreFuture<'_, Vec<PartRecord>>;
    /// The open conversation of `subscriber` on `short_code` at `now`.
    fn conversation<'a>(
        &'a self,
        subscriber: &'a str,
        short_code: &'a str,
        now: i64,
    ) -> StoreFuture<'a, Option<ConversationRecord>>;
    /// Opens, refreshes or moves a conversation.
    fn put_conversation<'a>(&'a self, c: &'a ConversationRecord) -> StoreFuture<'a, ()>;
    /// Whether `subscriber` opted out of `short_code`.
    fn opted_out<'a>(&'a self, subscriber: &'a str, short_code: &'a str) -> StoreFuture<'a, bool>;
    /// The pending double opt-in of `subscriber` on `short_code`, if any.
    fn pending_subscription<'a>(
        &'a self,
        subscriber: &'a str,
        short_code: &'a str,
    ) -> StoreFuture<'a, Option<PendingSubscription>>;
    /// Whether `subscriber` confirmed `program`.
    fn subscribed<'a>(
        &'a self,
        subscriber: &'a str,
        short_code: &'a str,
        program: &'a str,
    ) -> StoreFuture<'a, bool>;
    /// Pending webhooks of `handler` due at `now`, oldest first.
    fn due_webhooks<'a>(
        &'a self,
        handler: &'a str,
        now: i64,
        limit: u32,
    ) -> StoreFuture<'a, Vec<WebhookRecord>>;
    /// Stores webhooks outside an MO write (subscriber events on re-subscription...).
    fn insert_webhooks<'a>(&'a self, w: &'a [WebhookRecord]) -> StoreFuture<'a, ()>;
    /// Records attempts and their outcomes, in one transaction.
    fn record_attempts<'a>(&'a self, attempts: &'a [AttemptRecord]) -> StoreFuture<'a, ()>;
    /// A webhook.
    fn webhook<'a>(&'a self, id: &'a str) -> StoreFuture<'a, Option<WebhookRecord>>;
    /// The webhooks carrying an MO.
    fn webhooks_of_mo<'a>(&'a self, mo_id: &'a str) -> StoreFuture<'a, Vec<WebhookRecord>>;
    /// An MO.
    fn mo<'a>(&'a self, id: &'a str) -> StoreFuture<'a, Option<MoRecord>>;
    /// Disables (or re-enables) a handler, with the reason.
    fn set_handler_disabled<'a>(
        &'a self,
        handler: &'a str,
        disabled: bool,
        reason: &'a str,
        at: i64,
    ) -> StoreFuture<'a, ()>;
    /// The disabled handlers and why.
    fn disabled_handlers(&self) -> StoreFuture<'_, Vec<(String, String)>>;
    /// Counts.
    fn stats(&self) -> StoreFuture<'_, StoreStats>;
}
