//! The MT side of the store: messages, their parts (with the carrier's message ids used to
//! correlate receipts), every status change with its raw SMPP `stat`/`err`/`command_status`,
//! idempotency keys, and the opt-out audit trail. SQLite through `sqlx`; tables in
//! `migrations/0002_messages.sql`.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};
use tokio::sync::{mpsc, oneshot};

use crate::delivery::status::{MessageStatus, roll_up};
use crate::store::MtKind;

/// The schema of the tables this module owns.
pub const MIGRATION: &str = include_str!("../../migrations/0002_messages.sql");

/// A store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum MessageStoreError {
    /// The database said no.
    #[error("message store: {0}")]
    Db(#[from] sqlx::Error),
    /// A row held something this version cannot read.
    #[error("message store: corrupt row: {0}")]
    Corrupt(String),
    /// The batch this write was in could not be committed.
    #[error("message store: the write batch failed: {0}")]
    Batch(String),
    /// The store's writer stopped.
    #[error("message store: closed")]
    Closed,
}

pub use crate::now_ms;

/// Which way a message went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Mobile-terminated: from us to a subscriber.
    Mt,
    /// Mobile-originated: from a subscriber to us.
    Mo,
}

impl Direction {
    /// `mt` or `mo`.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Mt => "mt",
            Direction::Mo => "mo",
        }
    }
}

impl FromStr for Direction {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "mt" | "outbound" => Ok(Direction::Mt),
            "mo" | "inbound" => Ok(Direction::Mo),
            other => Err(format!("unknown direction {other:?}: use mt or mo")),
        }
    }
}

/// A message to insert.
#[derive(Clone, Debug)]
pub struct NewMessage {
    /// Our id (`msg_...`).
    pub id: String,
    /// Which way it goes.
    pub direction: Direction,
    /// The API key that sent it.
    pub api_key: Option<String>,
    /// The program it belongs to.
    pub program: Option<String>,
    /// The sender (short code for MTs).
    pub sender: String,
    /// The recipient.
    pub recipient: String,
    /// The text.
    pub body: String,
    /// The encoding chosen (`GSM 7-bit`, `UCS-2`, ...).
    pub encoding: String,
    /// Parts.
    pub segments: u32,
    /// The carrier it goes through.
    pub carrier: Option<String>,
    /// Where status changes are posted.
    pub status_callback: Option<String>,
    /// Validity period, seconds.
    pub validity_secs: Option<u32>,
    /// The message this one resends.
    pub resend_of: Option<String>,
    /// A Kannel `dlr-url` and its `dlr-mask`.
    pub dlr: Option<(String, u8)>,
    /// The initial status (`queued` for MTs, `delivered` for MOs).
    pub status: MessageStatus,
    /// When it was accepted (ms since the epoch).
    pub created_at: i64,
    /// Why it is sent (the API, a handler's reply, a compliance answer, the no-route reply).
    pub kind: MtKind,
    /// The STOP confirmation: the one MT that passes an opt-out.
    pub bypass_optout: bool,
    /// The form its status callbacks take.
    pub callback_format: CallbackFormat,
}

/// The form of a message's status callbacks: ours (JSON, Standard Webhooks signature) for
/// messages sent through `/v1/messages`, Twilio's (form fields, `X-Twilio-Signature`) for
/// those sent through the Twilio-compatible API, Jasmin's DLRs for those sent through the
/// Jasmin-compatible `/send`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CallbackFormat {
    /// `{"type": "message.status", "data": {...}}`, signed the Standard Webhooks way.
    #[default]
    Standard,
    /// Twilio's status callback form (`MessageSid`, `MessageStatus`, ...), signed with the API
    /// key's token as Twilio signs with the auth token.
    Twilio,
    /// Jasmin's DLRs (`id`, `message_status`, `level`, ...), acknowledged with `ACK/Jasmin`.
    Jasmin {
        /// Jasmin's `dlr-level`: 1 the SMSC's answer, 2 the handset's receipt, 3 both.
        level: u8,
        /// `dlr-method` `POST` (a form body) rather than `GET` (a query).
        post: bool,
    },
}

impl CallbackFormat {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            CallbackFormat::Standard => "standard",
            CallbackFormat::Twilio => "twilio",
            CallbackFormat::Jasmin { level, post } => match (level, post) {
                (1, false) => "jasmin-1-get",
                (1, true) => "jasmin-1-post",
                (2, false) => "jasmin-2-get",
                (2, true) => "jasmin-2-post",
                (_, false) => "jasmin-3-get",
                (_, true) => "jasmin-3-post",
            },
        }
    }

    /// Reads [`as_str`](Self::as_str)'s names (anything else, or nothing, is the standard form).
    pub fn parse(s: Option<&str>) -> CallbackFormat {
        match s {
            Some("twilio") => CallbackFormat::Twilio,
            Some(j) if j.starts_with("jasmin-") => {
                let mut parts = j.split('-').skip(1);
                let level = parts.next().and_then(|l| l.parse().ok()).unwrap_or(3);
                let post = parts.next() != Some("get");
                CallbackFormat::Jasmin {
                    level: level.clamp(1, 3),
                    post,
                }
            }
            _ => CallbackFormat::Standard,
        }
    }
}

/// A stored message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageRecord {
    /// Insertion order (the paging cursor).
    pub seq: i64,
    /// Our id.
    pub id: String,
    /// Which way it went.
    pub direction: Direction,
    /// The API key that sent it.
    pub api_key: Option<String>,
    /// The program.
    pub program: Option<String>,
    /// The sender.
    pub sender: String,
    /// The recipient.
    pub recipient: String,
    /// The text.
    pub body: String,
    /// The encoding.
    pub encoding: String,
    /// Parts.
    pub segments: u32,
    /// The carrier.
    pub carrier: Option<String>,
    /// The current status.
    pub status: MessageStatus,
    /// Where status changes are posted.
    pub status_callback: Option<String>,
    /// Validity period, seconds.
    pub validity_secs: Option<u32>,
    /// The message this one resends.
    pub resend_of: Option<String>,
    /// A Kannel `dlr-url` and its `dlr-mask`.
    pub dlr: Option<(String, u8)>,
    /// Why it failed, as a stable code.
    pub error_code: Option<String>,
    /// Why it failed, for people.
    pub error_message: Option<String>,
    /// Accepted at (ms).
    pub created_at: i64,
    /// Last change at (ms).
    pub updated_at: i64,
    /// Why an MT was sent (`None` for MOs).
    pub kind: Option<MtKind>,
    /// The form of its status callbacks.
    pub callback_format: CallbackFormat,
}

/// One part of a stored message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartRecord {
    /// 1-based.
    pub part_no: u32,
    /// The carrier it went to.
    pub carrier: Option<String>,
    /// The carrier's `message_id` from `submit_sm_resp`.
    pub smsc_id: Option<String>,
    /// Its status.
    pub status: MessageStatus,
    /// The last receipt's `stat:`.
    pub stat: Option<String>,
    /// The last receipt's `err:`.
    pub err: Option<String>,
    /// The `submit_sm_resp` command_status.
    pub command_status: Option<u32>,
    /// Last change at (ms).
    pub updated_at: i64,
}

/// One status change, of the message (`part_no` `None`) or of one part.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryEntry {
    /// The part, or `None` for the message.
    pub part_no: Option<u32>,
    /// The status it moved to.
    pub status: MessageStatus,
    /// When (ms).
    pub at: i64,
    /// Raw receipt `stat:`.
    pub stat: Option<String>,
    /// Raw receipt `err:`.
    pub err: Option<String>,
    /// Raw `command_status`.
    pub command_status: Option<u32>,
    /// A note (error text, carrier message id...).
    pub detail: Option<String>,
}

/// The raw SMPP facts behind a status change.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RawStatus {
    /// Receipt `stat:`.
    pub stat: Option<String>,
    /// Receipt `err:`.
    pub err: Option<String>,
    /// `command_status` of the response.
    pub command_status: Option<u32>,
    /// A note.
    pub detail: Option<String>,
}

/// What a search looks for. Every field narrows; none given lists everything.
#[derive(Clone, Debug, Default)]
pub struct SearchQuery {
    /// Recipient.
    pub to: Option<String>,
    /// Sender.
    pub from: Option<String>,
    /// Sender or recipient (a subscriber's whole conversation).
    pub number: Option<String>,
    /// Current status.
    pub status: Option<MessageStatus>,
    /// Created at or after (ms).
    pub since: Option<i64>,
    /// Created before (ms).
    pub until: Option<i64>,
    /// Direction.
    pub direction: Option<Direction>,
    /// Only these programs (an API key's scope); `None`: all.
    pub programs: Option<Vec<String>>,
    /// Only rows after this cursor (`created_at`, `id` of the last row of the previous page).
    pub after: Option<Cursor>,
    /// At most this many rows.
    pub limit: u32,
}

/// Where a page ended: the `created_at` and `id` of its last row (newest first).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor {
    /// `created_at` of the last row.
    pub created_at: i64,
    /// `id` of the last row.
    pub id: String,
}

impl Cursor {
    /// The opaque text form (`c<hex time>.<id>`).
    pub fn encode(&self) -> String {
        format!("c{:x}.{}", self.created_at, self.id)
    }

    /// Reads [`encode`](Self::encode)'s form.
    pub fn decode(s: &str) -> Option<Cursor> {
        let (t, id) = s.strip_prefix('c')?.split_once('.')?;
        Some(Cursor {
            created_at: i64::from_str_radix(t, 16).ok()?,
            id: id.to_owned(),
        })
    }
}

/// An idempotency key already used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotentHit {
    /// The message it created.
    pub message_id: String,
    /// The hash of the request that created it.
    pub request_hash: String,
}

/// What [`MessageStore::insert_mt`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Inserted {
    /// A new message.
    New,
    /// The idempotency key was used before: this is what it made.
    Existing(IdempotentHit),
}

/// One opt-out audit entry.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct OptOutAudit {
    /// The subscriber.
    pub subscriber: String,
    /// The short code.
    pub short_code: String,
    /// The program, when scoped to one.
    pub program: Option<String>,
    /// `add` or `remove`.
    pub action: String,
    /// Who: `api:<key name>`, `subscriber` (a STOP), ...
    pub actor: String,
    /// Why.
    pub reason: Option<String>,
    /// When (ms).
    pub at: i64,
}

/// A page of [`MessageStore::optout_audit`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// Only this subscriber.
    pub subscriber: Option<String>,
    /// Only these short codes (an API key's scope); `None`: every one.
    pub codes: Option<Vec<String>>,
    /// The entries after this one (the previous page's last).
    pub after: Option<AuditCursor>,
    /// At most this many (1 to 1000).
    pub limit: u32,
}

/// Where a page of the audit trail ended: its last entry's time, source table and row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuditCursor {
    /// When (ms).
    pub at: i64,
    /// 0: the API's changes, 1: the subscribers'.
    pub src: i64,
    /// The row in its table.
    pub n: i64,
}

impl AuditCursor {
    /// The opaque text form (`a<hex time>.<source>.<hex row>`).
    pub fn encode(&self) -> String {
        format!("a{:x}.{}.{:x}", self.at, self.src, self.n)
    }

    /// Reads [`encode`](Self::encode)'s form.
    pub fn decode(s: &str) -> Option<Self> {
        let mut it = s.strip_prefix('a')?.split('.');
        let at = i64::from_str_radix(it.next()?, 16).ok()?;
        let src = it.next()?.parse().ok().filter(|s| matches!(s, 0 | 1))?;
        let n = i64::from_str_radix(it.next()?, 16).ok()?;
        it.next().is_none().then_some(AuditCursor { at, src, n })
    }
}

/// A part's receipt applied: what the message became.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RollUp {
    /// The message.
    pub message_id: String,
    /// Its status before.
    pub before: MessageStatus,
    /// Its status now.
    pub after: MessageStatus,
    /// The message as it is now, when its status changed.
    pub message: Option<Box<MessageRecord>>,
}

impl RollUp {
    /// `true` when the message's status changed.
    pub fn changed(&self) -> bool {
        self.before != self.after
    }
}

/// The MT tables, over a SQLite pool (shared with the rest of the store or its own).
#[derive(Clone, Debug)]
pub struct MessageStore {
    pool: SqlitePool,
    writer: mpsc::Sender<(Op, Reply)>,
    /// The MO pipeline's `mos` table is in this database: searches and look-ups include MOs.
    with_mos: bool,
}

/// How many columns [`MESSAGE_COLUMNS`] names.
const MESSAGE_COLUMN_COUNT: usize = 23;

const MESSAGE_COLUMNS: &str = "seq, id, direction, api_key, program, sender, recipient, body, \
    encoding, segments, carrier, status, status_callback, validity_secs, resend_of, error_code, \
    error_message, created_at, updated_at, dlr_url, dlr_mask, kind, callback_format";

impl MessageStore {
    /// The store over `pool` (call [`migrate`](Self::migrate) once).
    /// Starts the store's writer task: call within a tokio runtime.
    pub fn new(pool: SqlitePool) -> Self {
        let (writer_tx, rx) = mpsc::channel(4 * MAX_BATCH);
        tokio::spawn(writer(pool.clone(), rx));
        MessageStore {
            pool,
            writer: writer_tx,
            with_mos: false,
        }
    }

    /// Opens (creating if missing) the SQLite file at `path` in WAL mode, and migrates.
    pub async fn open(path: &Path) -> Result<Self, MessageStoreError> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            // The writer's multi-row statements differ by row count: keep them all prepared.
            .statement_cache_capacity(1024)
            // SQLite's default page cache (2 MiB). A larger one (32 MiB was tried) is slower
            // here: the writer's hot pages are few (its indexes grow at their ends), and every
            // commit walks the whole cache (`pcache1TruncateUnsafe`).
            // Checkpoints are the router store's background job (`store::sqlite`); this writer
            // checkpoints by itself only when the WAL grows past this many pages.
            .pragma("wal_autocheckpoint", "8000");
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        let mut store = MessageStore::new(pool);
        store.migrate().await?;
        Ok(store)
    }

    /// Creates the tables if missing.
    pub async fn migrate(&mut self) -> Result<(), MessageStoreError> {
        sqlx::raw_sql(MIGRATION).execute(&self.pool).await?;
        ensure_columns(&self.pool).await?;
        self.detect_mos().await
    }

    /// Looks for the MO pipeline's tables (`mos`, `optout_log`; call again once they may exist).
    pub async fn detect_mos(&mut self) -> Result<(), MessageStoreError> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN ('mos', 'optout_log')",
        )
        .fetch_one(&self.pool)
        .await?;
        self.with_mos = n == 2;
        Ok(())
    }

    /// The messages of both directions as one relation (MOs only when the `mos` table is here).
    fn all_messages(&self) -> String {
        let mt = format!("SELECT {MESSAGE_COLUMNS} FROM mt_messages");
        if self.with_mos {
            format!(
                "({mt} UNION ALL SELECT 0, id, 'mo', NULL, program, source, short_code, text, '', \
                 segments, NULL, 'delivered', NULL, NULL, NULL, NULL, NULL, received_at, \
                 received_at, NULL, NULL, NULL, NULL FROM mos)"
            )
        } else {
            format!("({mt})")
        }
    }

    /// The pool.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// `true` when the database answers.
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }

    /// Inserts an MT with `parts` queued parts and its `queued` history entry, unless
    /// `idempotency` (`api_key`, key, request hash) was used before: then nothing is written
    /// and the earlier message is returned.
    pub async fn insert_mt(
        &self,
        m: &NewMessage,
        idempotency: Option<(&str, &str, &str)>,
    ) -> Result<Inserted, MessageStoreError> {
        let idem = idempotency.map(|(a, b, c)| (a.to_owned(), b.to_owned(), c.to_owned()));
        match self.write(Op::Insert(Box::new(m.clone()), idem)).await? {
            Done::Inserted(i) => Ok(i),
            Done::Rolled(_) => Err(MessageStoreError::Corrupt(
                "writer answered out of turn".into(),
            )),
        }
    }

    /// The idempotency key's message, if the key was used.
    pub async fn idempotent(
        &self,
        api_key: &str,
        key: &str,
    ) -> Result<Option<IdempotentHit>, MessageStoreError> {
        let row = sqlx::query(
            "SELECT message_id, request_hash FROM mt_idempotency WHERE api_key = ? AND key = ?",
        )
        .bind(api_key)
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(IdempotentHit {
                message_id: r.try_get(0)?,
                request_hash: r.try_get(1)?,
            })
        })
        .transpose()
    }

    /// Part `part_no` was accepted by `carrier` as `smsc_id` (correlation key `corr_key`).
    /// Returns the message's roll-up.
    pub async fn part_sent(
        &self,
        message_id: &str,
        part_no: u32,
        carrier: &str,
        smsc_id: &str,
        corr_key: &str,
    ) -> Result<RollUp, MessageStoreError> {
        self.rolled(Op::PartSent {
            message_id: message_id.to_owned(),
            part_no,
            carrier: carrier.to_owned(),
            smsc_id: smsc_id.to_owned(),
            corr_key: corr_key.to_owned(),
        })
        .await
    }

    /// Part `part_no` (and every later part, which will not be sent) ended as `status`
    /// (`rejected` or `failed`) without reaching the carrier. Returns the roll-up.
    pub async fn parts_failed(
        &self,
        message_id: &str,
        from_part: u32,
        status: MessageStatus,
        raw: &RawStatus,
        error_code: &str,
    ) -> Result<RollUp, MessageStoreError> {
        self.rolled(Op::PartsFailed {
            message_id: message_id.to_owned(),
            from_part,
            status,
            raw: raw.clone(),
            error_code: error_code.to_owned(),
        })
        .await
    }

    /// Which part of which message `carrier`'s message id `corr_key` is.
    pub async fn find_part(
        &self,
        carrier: &str,
        corr_key: &str,
    ) -> Result<Option<(String, u32)>, MessageStoreError> {
        let row = sqlx::query(
            "SELECT message_id, part_no FROM mt_parts WHERE carrier = ? AND corr_key = ? \
             ORDER BY updated_at DESC LIMIT 1",
        )
        .bind(carrier)
        .bind(corr_key)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| Ok((r.try_get(0)?, r.try_get::<i64, _>(1)? as u32)))
            .transpose()
    }

    /// A receipt for part `part_no`: the part moves to `status` (when `Some`; intermediate
    /// receipts are only recorded), the change is stored with the raw `stat`/`err`, and the
    /// message's status is rolled up.
    pub async fn part_receipt(
        &self,
        message_id: &str,
        part_no: u32,
        status: Option<MessageStatus>,
        raw: &RawStatus,
    ) -> Result<RollUp, MessageStoreError> {
        self.rolled(Op::PartReceipt {
            message_id: message_id.to_owned(),
            part_no,
            status,
            raw: raw.clone(),
        })
        .await
    }

    async fn rolled(&self, op: Op) -> Result<RollUp, MessageStoreError> {
        match self.write(op).await? {
            Done::Rolled(r) => Ok(r),
            Done::Inserted(_) => Err(MessageStoreError::Corrupt(
                "writer answered out of turn".into(),
            )),
        }
    }

    /// Hands `op` to the writer and waits until its transaction is committed.
    async fn write(&self, op: Op) -> Result<Done, MessageStoreError> {
        let (tx, rx) = oneshot::channel();
        self.writer
            .send((op, tx))
            .await
            .map_err(|_| MessageStoreError::Closed)?;
        rx.await.map_err(|_| MessageStoreError::Closed)?
    }

    /// The message `id`.
    pub async fn get(&self, id: &str) -> Result<Option<MessageRecord>, MessageStoreError> {
        let row = sqlx::query(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM {} WHERE id = ?",
            self.all_messages()
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| message_from_row(&r)).transpose()
    }

    /// The parts of message `id`, in order.
    pub async fn parts(&self, id: &str) -> Result<Vec<PartRecord>, MessageStoreError> {
        let rows = sqlx::query(
            "SELECT part_no, carrier, smsc_id, status, stat, err, command_status, updated_at \
             FROM mt_parts WHERE message_id = ? ORDER BY part_no",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(PartRecord {
                    part_no: r.try_get::<i64, _>(0)? as u32,
                    carrier: r.try_get(1)?,
                    smsc_id: r.try_get(2)?,
                    status: status_of(&r.try_get::<String, _>(3)?)?,
                    stat: r.try_get(4)?,
                    err: r.try_get(5)?,
                    command_status: r.try_get::<Option<i64>, _>(6)?.map(|v| v as u32),
                    updated_at: r.try_get(7)?,
                })
            })
            .collect()
    }

    /// Every status change of message `id`, oldest first.
    pub async fn history(&self, id: &str) -> Result<Vec<HistoryEntry>, MessageStoreError> {
        let rows = sqlx::query(
            "SELECT part_no, status, at, stat, err, command_status, detail \
             FROM mt_status_history WHERE message_id = ? ORDER BY id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(HistoryEntry {
                    part_no: r.try_get::<Option<i64>, _>(0)?.map(|v| v as u32),
                    status: status_of(&r.try_get::<String, _>(1)?)?,
                    at: r.try_get(2)?,
                    stat: r.try_get(3)?,
                    err: r.try_get(4)?,
                    command_status: r.try_get::<Option<i64>, _>(5)?.map(|v| v as u32),
                    detail: r.try_get(6)?,
                })
            })
            .collect()
    }

    /// Messages matching `q`, newest first, at most `q.limit`; the second value is the cursor
    /// of the next page when there may be more.
    pub async fn search(
        &self,
        q: &SearchQuery,
    ) -> Result<(Vec<MessageRecord>, Option<Cursor>), MessageStoreError> {
        let mut sql = format!(
            "SELECT {MESSAGE_COLUMNS} FROM {} WHERE 1 = 1",
            self.all_messages()
        );
        let mut binds: Vec<Bind> = Vec::new();
        if let Some(v) = &q.to {
            sql.push_str(" AND recipient = ?");
            binds.push(Bind::Text(v.clone()));
        }
        if let Some(v) = &q.from {
            sql.push_str(" AND sender = ?");
            binds.push(Bind::Text(v.clone()));
        }
        if let Some(v) = &q.number {
            sql.push_str(" AND (sender = ? OR recipient = ?)");
            binds.push(Bind::Text(v.clone()));
            binds.push(Bind::Text(v.clone()));
        }
        if let Some(v) = q.status {
            sql.push_str(" AND status = ?");
            binds.push(Bind::Text(v.as_str().into()));
        }
        if let Some(v) = q.direction {
            sql.push_str(" AND direction = ?");
            binds.push(Bind::Text(v.as_str().into()));
        }
        if let Some(v) = q.since {
            sql.push_str(" AND created_at >= ?");
            binds.push(Bind::Int(v));
        }
        if let Some(v) = q.until {
            sql.push_str(" AND created_at < ?");
            binds.push(Bind::Int(v));
        }
        if let Some(c) = &q.after {
            sql.push_str(" AND (created_at < ? OR (created_at = ? AND id < ?))");
            binds.push(Bind::Int(c.created_at));
            binds.push(Bind::Int(c.created_at));
            binds.push(Bind::Text(c.id.clone()));
        }
        if let Some(programs) = &q.programs {
            if programs.is_empty() {
                return Ok((Vec::new(), None));
            }
            sql.push_str(" AND program IN (");
            for (i, p) in programs.iter().enumerate() {
                sql.push_str(if i == 0 { "?" } else { ", ?" });
                binds.push(Bind::Text(p.clone()));
            }
            sql.push(')');
        }
        let limit = q.limit.clamp(1, 1000);
        sql.push_str(" ORDER BY created_at DESC, id DESC LIMIT ?");
        binds.push(Bind::Int(i64::from(limit) + 1));
        let mut query = sqlx::query(&sql);
        for b in binds {
            query = match b {
                Bind::Text(s) => query.bind(s),
                Bind::Int(i) => query.bind(i),
            };
        }
        let rows = query.fetch_all(&self.pool).await?;
        let mut out = rows
            .iter()
            .map(message_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        let next = if out.len() > limit as usize {
            out.truncate(limit as usize);
            out.last().map(|m| Cursor {
                created_at: m.created_at,
                id: m.id.clone(),
            })
        } else {
            None
        };
        Ok((out, next))
    }

    /// Records an opt-out list change.
    pub async fn audit_optout(&self, a: &OptOutAudit) -> Result<(), MessageStoreError> {
        sqlx::query(
            "INSERT INTO optout_audit (subscriber, short_code, program, action, actor, reason, at) \
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&a.subscriber)
        .bind(&a.short_code)
        .bind(&a.program)
        .bind(&a.action)
        .bind(&a.actor)
        .bind(&a.reason)
        .bind(a.at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A page of the opt-out audit trail, newest first: the API's changes (with their key) and
    /// the subscribers' own (STOP, START...), each with the cursor that follows it.
    pub async fn optout_audit(
        &self,
        q: &AuditQuery,
    ) -> Result<Vec<(OptOutAudit, AuditCursor)>, MessageStoreError> {
        // Changes made by subscribers (STOP, START...) are in the MO pipeline's log; the API's
        // own changes are there too (keywords API-...), but this table has their actor. Rows
        // are ordered by (at, source, row number): a page starts after the previous page's last.
        let source = if self.with_mos {
            "SELECT subscriber, short_code, program, action, actor, reason, at, 0 AS src, id AS n \
             FROM optout_audit \
             UNION ALL \
             SELECT subscriber, short_code, NULL, \
               CASE opted_out WHEN 1 THEN 'add' ELSE 'remove' END, \
               'subscriber', 'texted ' || keyword, at, 1, rowid \
             FROM optout_log WHERE keyword NOT LIKE 'API-%'"
        } else {
            "SELECT subscriber, short_code, program, action, actor, reason, at, 0 AS src, id AS n \
             FROM optout_audit"
        };
        let sql = format!(
            "SELECT subscriber, short_code, program, action, actor, reason, at, src, n \
             FROM ({source}) \
             WHERE (?1 IS NULL OR subscriber = ?1) \
               AND (?2 IS NULL OR short_code IN (SELECT value FROM json_each(?2))) \
               AND (?3 IS NULL OR (at, src, n) < (?3, ?4, ?5)) \
             ORDER BY at DESC, src DESC, n DESC LIMIT ?6"
        );
        let codes = q
            .codes
            .as_ref()
            .map(|c| serde_json::to_string(c).unwrap_or_default());
        let after = q.after.as_ref();
        let rows = sqlx::query(&sql)
            .bind(q.subscriber.as_deref())
            .bind(codes)
            .bind(after.map(|a| a.at))
            .bind(after.map(|a| a.src))
            .bind(after.map(|a| a.n))
            .bind(i64::from(q.limit.clamp(1, 1000)))
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                let entry = OptOutAudit {
                    subscriber: r.try_get(0)?,
                    short_code: r.try_get(1)?,
                    program: r.try_get(2)?,
                    action: r.try_get(3)?,
                    actor: r.try_get(4)?,
                    reason: r.try_get(5)?,
                    at: r.try_get(6)?,
                };
                let cursor = AuditCursor {
                    at: entry.at,
                    src: r.try_get(7)?,
                    n: r.try_get(8)?,
                };
                Ok((entry, cursor))
            })
            .collect()
    }
}

/// A write, applied by the writer task in a batch.
#[derive(Debug)]
enum Op {
    Insert(Box<NewMessage>, Option<(String, String, String)>),
    PartSent {
        message_id: String,
        part_no: u32,
        carrier: String,
        smsc_id: String,
        corr_key: String,
    },
    PartsFailed {
        message_id: String,
        from_part: u32,
        status: MessageStatus,
        raw: RawStatus,
        error_code: String,
    },
    PartReceipt {
        message_id: String,
        part_no: u32,
        status: Option<MessageStatus>,
        raw: RawStatus,
    },
}

/// What a write did.
#[derive(Debug)]
enum Done {
    Inserted(Inserted),
    Rolled(RollUp),
}

type Reply = oneshot::Sender<Result<Done, MessageStoreError>>;

/// Most writes in one transaction (group commit).
const MAX_BATCH: usize = 256;

/// The single writer: takes what is queued (up to [`MAX_BATCH`]), applies it in one
/// transaction on a connection of its own (kept across batches, so its page cache stays warm),
/// commits, then answers. SQLite has one writer anyway; this makes each commit carry many
/// writes. If the batch fails as a whole, each write is retried in a transaction of its own, so
/// one bad write fails alone.
async fn writer(pool: SqlitePool, mut rx: mpsc::Receiver<(Op, Reply)>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    let mut conn: Option<sqlx::pool::PoolConnection<sqlx::Sqlite>> = None;
    let mut live = Live::default();
    while let Some(first) = rx.recv().await {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(op) => batch.push(op),
                Err(_) => break,
            }
        }
        let results = match conn.as_mut() {
            Some(c) => apply_batch(c, &batch, &mut live).await,
            None => match pool.acquire().await {
                Ok(c) => apply_batch(conn.insert(c), &batch, &mut live).await,
                Err(e) => Err(e.into()),
            },
        };
        match results {
            Ok(results) => {
                for ((_, reply), r) in batch.drain(..).zip(results) {
                    let _ = reply.send(r);
                }
            }
            Err(e) => {
                // The connection may be what failed (and it may hold the writer's transaction
                // open): close it rather than return it to the pool; the next batch takes a
                // fresh one, and what the writer remembers is read again.
                if let Some(c) = conn.take() {
                    let _ = c.close().await;
                }
                live = Live::default();
                let msg = e.to_string();
                for (_, reply) in batch.drain(..) {
                    let _ = reply.send(Err(MessageStoreError::Batch(msg.clone())));
                }
            }
        }
    }
}

/// Messages the writer knows to be in flight (not final): the record a status change reports
/// and the parts' statuses, as committed. A batch of part updates rolls up from here instead of
/// reading the messages back. Every status change goes through the writer, so this stays what
/// the database holds; a write the writer cannot mirror (one applied by [`apply`]) forgets the
/// message, which is then read again when next needed. Two generations of [`LIVE_MESSAGES`]
/// keep memory bounded.
#[derive(Default)]
struct Live {
    current: HashMap<String, LiveMessage>,
    previous: HashMap<String, LiveMessage>,
}

/// Messages per generation of [`Live`].
const LIVE_MESSAGES: usize = 50_000;

/// A message in flight, as committed.
#[derive(Clone, Debug)]
struct LiveMessage {
    record: MessageRecord,
    /// `(part_no, status)` in part order.
    parts: Vec<(u32, MessageStatus)>,
}

/// What a committed batch changes in [`Live`].
enum LiveChange {
    /// The message is in flight as this.
    Put(Box<LiveMessage>),
    /// The message is final, or changed in a way not mirrored: read it again when needed.
    Forget(String),
}

impl Live {
    fn get(&self, id: &str) -> Option<&LiveMessage> {
        self.current.get(id).or_else(|| self.previous.get(id))
    }

    fn apply(&mut self, changes: Vec<LiveChange>) {
        for c in changes {
            match c {
                LiveChange::Put(m) => {
                    if self.current.len() >= LIVE_MESSAGES {
                        self.previous = std::mem::take(&mut self.current);
                    }
                    self.previous.remove(&m.record.id);
                    self.current.insert(m.record.id.clone(), *m);
                }
                LiveChange::Forget(id) => self.forget(&id),
            }
        }
    }

    fn forget(&mut self, id: &str) {
        self.current.remove(id);
        self.previous.remove(id);
    }

    fn forget_all(&mut self, batch: &[(Op, Reply)]) {
        for (op, _) in batch {
            self.forget(op.message_id());
        }
    }
}

impl Op {
    fn message_id(&self) -> &str {
        match self {
            Op::Insert(m, _) => &m.id,
            Op::PartSent { message_id, .. }
            | Op::PartsFailed { message_id, .. }
            | Op::PartReceipt { message_id, .. } => message_id,
        }
    }
}

async fn apply_batch(
    conn: &mut sqlx::SqliteConnection,
    batch: &[(Op, Reply)],
    live: &mut Live,
) -> Result<Vec<Result<Done, MessageStoreError>>, MessageStoreError> {
    use sqlx::Connection;
    // Optimistic: the whole batch in one transaction. If anything fails, that transaction is
    // rolled back and each write is applied in a transaction of its own, so one bad write
    // fails alone.
    if let Ok((out, changes)) = try_batch(conn, batch, live).await {
        live.apply(changes);
        return Ok(out);
    }
    // A failed `OR ROLLBACK` statement has already rolled the transaction back; anything else
    // has left it open. (Rolling back when none is open is an error: ignored.)
    let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
    live.forget_all(batch);
    let mut out = Vec::with_capacity(batch.len());
    for (op, _) in batch {
        let mut tx = conn.begin().await?;
        match apply(&mut tx, op).await {
            Ok(done) => {
                tx.commit().await?;
                out.push(Ok(done));
            }
            Err(e) => {
                tx.rollback().await?;
                out.push(Err(e));
            }
        }
    }
    Ok(out)
}

/// A batch's answers and what it changes in [`Live`] once committed.
type BatchDone = (Vec<Result<Done, MessageStoreError>>, Vec<LiveChange>);

async fn try_batch(
    conn: &mut sqlx::SqliteConnection,
    batch: &[(Op, Reply)],
    live: &Live,
) -> Result<BatchDone, MessageStoreError> {
    // The transaction is begun and ended here, not through sqlx's `Transaction`: its multi-row
    // statements are `OR ROLLBACK`, which spares SQLite a statement journal (a copy of every
    // page each statement touches, kept so that a failing statement can be undone alone: the
    // whole batch is undone instead, and retried write by write). `apply_batch` rolls back
    // whatever a failure leaves open.
    let tx = &mut *conn;
    sqlx::query("BEGIN").execute(&mut *tx).await?;
    let mut changes = Vec::new();
    // New messages without an idempotency key (the common case) are inserted with a few
    // multi-row statements; part updates (responses, receipts) likewise; the rest one by one.
    let plain: Vec<&NewMessage> = batch
        .iter()
        .filter_map(|(op, _)| match op {
            Op::Insert(m, None) => Some(&**m),
            _ => None,
        })
        .collect();
    let bulk = plain.len() > 1;
    if bulk {
        bulk_insert(tx, &plain, &mut changes).await?;
    }
    let part_ops: Vec<(usize, &Op)> = batch
        .iter()
        .enumerate()
        .filter(|(_, (op, _))| matches!(op, Op::PartSent { .. } | Op::PartReceipt { .. }))
        .map(|(i, (op, _))| (i, op))
        .collect();
    let mut rolled = if !part_ops.is_empty() && unique_parts(&part_ops) {
        bulk_parts(tx, &part_ops, live, &mut changes).await?
    } else {
        HashMap::new()
    };
    let mut out = Vec::with_capacity(batch.len());
    for (i, (op, _)) in batch.iter().enumerate() {
        let done = match op {
            Op::Insert(_, None) if bulk => Done::Inserted(Inserted::New),
            _ => match rolled.remove(&i) {
                Some(r) => Done::Rolled(r),
                None => {
                    changes.push(LiveChange::Forget(op.message_id().to_owned()));
                    apply(tx, op).await?
                }
            },
        };
        out.push(Ok(done));
    }
    sqlx::query("COMMIT").execute(&mut *tx).await?;
    Ok((out, changes))
}

fn unique_parts(ops: &[(usize, &Op)]) -> bool {
    let mut seen = std::collections::HashSet::new();
    ops.iter().all(|(_, op)| match op {
        Op::PartSent {
            message_id,
            part_no,
            ..
        }
        | Op::PartReceipt {
            message_id,
            part_no,
            ..
        } => seen.insert((message_id.as_str(), *part_no)),
        _ => true,
    })
}

async fn apply(tx: &mut sqlx::SqliteConnection, op: &Op) -> Result<Done, MessageStoreError> {
    let now = now_ms();
    match op {
        Op::Insert(m, idempotency) => {
            if let Some((key_name, key, hash)) = idempotency {
                let done = sqlx::query(
                    "INSERT INTO mt_idempotency (api_key, key, request_hash, message_id, \
                     created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (api_key, key) DO NOTHING",
                )
                .bind(key_name)
                .bind(key)
                .bind(hash)
                .bind(&m.id)
                .bind(m.created_at)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() == 0 {
                    let row = sqlx::query(
                        "SELECT message_id, request_hash FROM mt_idempotency \
                         WHERE api_key = ? AND key = ?",
                    )
                    .bind(key_name)
                    .bind(key)
                    .fetch_one(&mut *tx)
                    .await?;
                    return Ok(Done::Inserted(Inserted::Existing(IdempotentHit {
                        message_id: row.try_get(0)?,
                        request_hash: row.try_get(1)?,
                    })));
                }
            }
            insert_queued(tx, m).await?;
            Ok(Done::Inserted(Inserted::New))
        }
        Op::PartSent {
            message_id,
            part_no,
            carrier,
            smsc_id,
            corr_key,
        } => {
            // A receipt may have beaten the response here: never move a part backwards.
            sqlx::query(
                "UPDATE mt_parts SET carrier = ?, smsc_id = ?, corr_key = ?, command_status = 0, \
                 status = CASE WHEN status = 'queued' THEN 'sent' ELSE status END, updated_at = ? \
                 WHERE message_id = ? AND part_no = ?",
            )
            .bind(carrier)
            .bind(smsc_id)
            .bind(corr_key)
            .bind(now)
            .bind(message_id)
            .bind(i64::from(*part_no))
            .execute(&mut *tx)
            .await?;
            let raw = RawStatus {
                command_status: Some(0),
                detail: Some(format!("{carrier} message_id {smsc_id}")),
                ..RawStatus::default()
            };
            let part = Some((*part_no, MessageStatus::Sent));
            Ok(Done::Rolled(roll(tx, message_id, now, &raw, part).await?))
        }
        Op::PartsFailed {
            message_id,
            from_part,
            status,
            raw,
            error_code,
        } => {
            sqlx::query(
                "UPDATE mt_parts SET status = ?, command_status = ?, updated_at = ? \
                 WHERE message_id = ? AND part_no >= ? AND status = 'queued'",
            )
            .bind(status.as_str())
            .bind(raw.command_status.map(i64::from))
            .bind(now)
            .bind(message_id)
            .bind(i64::from(*from_part))
            .execute(&mut *tx)
            .await?;
            sqlx::query("UPDATE mt_messages SET error_code = ?, error_message = ? WHERE id = ?")
                .bind(error_code)
                .bind(&raw.detail)
                .bind(message_id)
                .execute(&mut *tx)
                .await?;
            let part = Some((*from_part, *status));
            Ok(Done::Rolled(roll(tx, message_id, now, raw, part).await?))
        }
        Op::PartReceipt {
            message_id,
            part_no,
            status,
            raw,
        } => {
            if let Some(st) = status {
                sqlx::query(
                    "UPDATE mt_parts SET status = ?, stat = ?, err = ?, updated_at = ? \
                     WHERE message_id = ? AND part_no = ?",
                )
                .bind(st.as_str())
                .bind(&raw.stat)
                .bind(&raw.err)
                .bind(now)
                .bind(message_id)
                .bind(i64::from(*part_no))
                .execute(&mut *tx)
                .await?;
            }
            let part = Some((*part_no, status.unwrap_or(MessageStatus::Sent)));
            Ok(Done::Rolled(roll(tx, message_id, now, raw, part).await?))
        }
    }
}

enum Bind {
    Text(String),
    Int(i64),
}

/// Applies part updates (`PartSent`, `PartReceipt`; each part at most once) with a few
/// set-based statements, and rolls their messages up (from [`Live`], reading back only the
/// messages it does not hold). The roll-up of a message is reported on its last update in
/// `ops`; earlier ones report no change. Returns the roll-up per batch index.
async fn bulk_parts(
    tx: &mut sqlx::SqliteConnection,
    ops: &[(usize, &Op)],
    live: &Live,
    changes: &mut Vec<LiveChange>,
) -> Result<HashMap<usize, RollUp>, MessageStoreError> {
    let now = now_ms();
    let sent: Vec<&Op> = ops
        .iter()
        .map(|(_, op)| *op)
        .filter(|op| matches!(op, Op::PartSent { .. }))
        .collect();
    let receipts: Vec<&Op> = ops
        .iter()
        .map(|(_, op)| *op)
        .filter(|op| {
            matches!(
                op,
                Op::PartReceipt {
                    status: Some(_),
                    ..
                }
            )
        })
        .collect();
    // The touched messages as they were before this batch: from memory, or read back.
    let mut messages: HashMap<&str, LiveMessage> = HashMap::new();
    let mut missing: Vec<&str> = Vec::new();
    for (_, op) in ops {
        let id = op.message_id();
        if messages.contains_key(id) || missing.contains(&id) {
            continue;
        }
        match live.get(id) {
            Some(m) => {
                messages.insert(id, m.clone());
            }
            None => missing.push(id),
        }
    }
    for chunk in missing.chunks(200) {
        for m in load_live(tx, chunk).await? {
            let id = chunk
                .iter()
                .find(|id| **id == m.record.id)
                .copied()
                .ok_or_else(|| MessageStoreError::Corrupt(format!("no message {}", m.record.id)))?;
            messages.insert(id, m);
        }
    }
    for chunk in sent.chunks(100) {
        let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
            "UPDATE OR ROLLBACK mt_parts SET carrier = v.column3, smsc_id = v.column4, corr_key = v.column5, \
             command_status = 0, status = CASE WHEN mt_parts.status = 'queued' THEN 'sent' \
             ELSE mt_parts.status END, updated_at = ",
        );
        q.push_bind(now).push(" FROM (");
        q.push_values(chunk, |mut b, op| {
            if let Op::PartSent {
                message_id,
                part_no,
                carrier,
                smsc_id,
                corr_key,
            } = op
            {
                b.push_bind(message_id)
                    .push_bind(i64::from(*part_no))
                    .push_bind(carrier)
                    .push_bind(smsc_id)
                    .push_bind(corr_key);
            }
        });
        q.push(") AS v WHERE mt_parts.message_id = v.column1 AND mt_parts.part_no = v.column2");
        q.build().execute(&mut *tx).await?;
    }
    for chunk in receipts.chunks(100) {
        let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
            "UPDATE OR ROLLBACK mt_parts SET status = v.column3, stat = v.column4, err = v.column5, \
             updated_at = ",
        );
        q.push_bind(now).push(" FROM (");
        q.push_values(chunk, |mut b, op| {
            if let Op::PartReceipt {
                message_id,
                part_no,
                status,
                raw,
            } = op
            {
                b.push_bind(message_id)
                    .push_bind(i64::from(*part_no))
                    .push_bind(status.map(MessageStatus::as_str))
                    .push_bind(&raw.stat)
                    .push_bind(&raw.err);
            }
        });
        q.push(") AS v WHERE mt_parts.message_id = v.column1 AND mt_parts.part_no = v.column2");
        q.build().execute(&mut *tx).await?;
    }
    // The same updates in memory (what the statements above did to each part), and the parts'
    // history entries.
    let mut entries: Vec<(&str, Option<u32>, MessageStatus, Cow<'_, RawStatus>)> =
        Vec::with_capacity(ops.len() * 2);
    for (_, op) in ops {
        let (id, part_no, shown, raw) = match op {
            Op::PartSent {
                message_id,
                part_no,
                carrier,
                smsc_id,
                ..
            } => {
                let raw = RawStatus {
                    command_status: Some(0),
                    detail: Some(format!("{carrier} message_id {smsc_id}")),
                    ..RawStatus::default()
                };
                (message_id, *part_no, MessageStatus::Sent, Cow::Owned(raw))
            }
            Op::PartReceipt {
                message_id,
                part_no,
                status,
                raw,
            } => (
                message_id,
                *part_no,
                status.unwrap_or(MessageStatus::Sent),
                Cow::Borrowed(raw),
            ),
            _ => continue,
        };
        if let Some(m) = messages.get_mut(id.as_str()) {
            if let Some((_, st)) = m.parts.iter_mut().find(|(p, _)| *p == part_no) {
                match op {
                    Op::PartSent { .. } if *st == MessageStatus::Queued => {
                        *st = MessageStatus::Sent
                    }
                    Op::PartReceipt {
                        status: Some(new), ..
                    } => *st = *new,
                    _ => {}
                }
            }
        }
        entries.push((id, Some(part_no), shown, raw));
    }
    // Roll every touched message up, once; its history entry takes the raw facts of its last
    // update in the batch. (`entries` has one row per op, in order: `last` indexes both.)
    let mut last: HashMap<&str, usize> = HashMap::with_capacity(messages.len());
    for (n, (_, op)) in ops.iter().enumerate() {
        last.insert(op.message_id(), n);
    }
    let mut states: HashMap<&str, (MessageStatus, MessageStatus)> = HashMap::new();
    let mut changed: Vec<(&str, MessageStatus)> = Vec::new();
    for (id, m) in &messages {
        let before = m.record.status;
        let after = if before.is_final() {
            before
        } else {
            roll_up(&m.parts.iter().map(|(_, s)| *s).collect::<Vec<_>>())
        };
        states.insert(id, (before, after));
        if before != after {
            changed.push((id, after));
        }
    }
    for chunk in changed.chunks(100) {
        let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
            "UPDATE OR ROLLBACK mt_messages SET status = v.column2, updated_at = ",
        );
        q.push_bind(now).push(" FROM (");
        q.push_values(chunk, |mut b, (id, after)| {
            b.push_bind(*id).push_bind(after.as_str());
        });
        q.push(") AS v WHERE mt_messages.id = v.column1");
        q.build().execute(&mut *tx).await?;
    }
    let mut keep = vec![true; entries.len() + changed.len()];
    for (id, after) in &changed {
        let raw = entries[last[id]].3.clone();
        entries.push((id, None, *after, raw));
        if skips_part_entry(messages[id].parts.len(), true) {
            keep[last[id]] = false;
        }
    }
    let mut n = 0;
    entries.retain(|_| {
        n += 1;
        keep[n - 1]
    });
    insert_history_rows(tx, &entries, now).await?;
    // Each touched message as it is now.
    let mut records: HashMap<&str, MessageRecord> = HashMap::new();
    for (id, mut m) in messages {
        let (_, after) = states[id];
        if m.record.status != after {
            m.record.status = after;
            m.record.updated_at = now;
            records.insert(id, m.record.clone());
        }
        if after.is_final() {
            changes.push(LiveChange::Forget(id.to_owned()));
        } else {
            changes.push(LiveChange::Put(Box::new(m)));
        }
    }
    let mut out = HashMap::new();
    for (i, op) in ops {
        let id = op.message_id();
        let Some((before, after)) = states.get(id).copied() else {
            return Err(MessageStoreError::Corrupt(format!("no message {id}")));
        };
        let r = if ops[last[id]].0 == *i {
            RollUp {
                message_id: id.to_owned(),
                before,
                after,
                message: records.remove(id).map(Box::new),
            }
        } else {
            RollUp {
                message_id: id.to_owned(),
                before,
                after: before,
                message: None,
            }
        };
        out.insert(*i, r);
    }
    Ok(out)
}

/// Reads messages `ids` with their parts' statuses (the ones that exist).
async fn load_live(
    tx: &mut sqlx::SqliteConnection,
    ids: &[&str],
) -> Result<Vec<LiveMessage>, MessageStoreError> {
    let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(format!(
        "SELECT {MESSAGE_COLUMNS}, (SELECT group_concat(part_no || '=' || status, ',') FROM \
           (SELECT part_no, status FROM mt_parts p WHERE p.message_id = m.id ORDER BY part_no)) \
         FROM mt_messages m WHERE id IN ("
    ));
    let mut sep = q.separated(", ");
    for id in ids {
        sep.push_bind(*id);
    }
    q.push(")");
    let mut out = Vec::with_capacity(ids.len());
    for row in q.build().fetch_all(&mut *tx).await? {
        let record = message_from_row(&row)?;
        let parts = row
            .try_get::<Option<String>, _>(MESSAGE_COLUMN_COUNT)?
            .unwrap_or_default()
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|p| {
                let (n, st) = p
                    .split_once('=')
                    .ok_or_else(|| MessageStoreError::Corrupt(format!("part {p:?}")))?;
                let n = n
                    .parse()
                    .map_err(|_| MessageStoreError::Corrupt(format!("part {p:?}")))?;
                Ok((n, status_of(st)?))
            })
            .collect::<Result<Vec<_>, MessageStoreError>>()?;
        out.push(LiveMessage { record, parts });
    }
    Ok(out)
}

async fn insert_history_rows(
    tx: &mut sqlx::SqliteConnection,
    rows: &[(&str, Option<u32>, MessageStatus, Cow<'_, RawStatus>)],
    at: i64,
) -> Result<(), MessageStoreError> {
    for chunk in rows.chunks(200) {
        let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
            "INSERT OR ROLLBACK INTO mt_status_history (message_id, part_no, status, at, stat, \
             err, command_status, detail) ",
        );
        q.push_values(chunk, |mut b, (id, part, st, raw)| {
            b.push_bind(*id)
                .push_bind(part.map(i64::from))
                .push_bind(st.as_str())
                .push_bind(at)
                .push_bind(&raw.stat)
                .push_bind(&raw.err)
                .push_bind(raw.command_status.map(i64::from))
                .push_bind(&raw.detail);
        });
        q.build().execute(&mut *tx).await?;
    }
    Ok(())
}

/// Inserts `ms` (with their `queued` history entries and parts) in a few multi-row statements;
/// each becomes a [`LiveChange::Put`].
async fn bulk_insert(
    tx: &mut sqlx::SqliteConnection,
    ms: &[&NewMessage],
    changes: &mut Vec<LiveChange>,
) -> Result<(), MessageStoreError> {
    for chunk in ms.chunks(50) {
        let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
            "INSERT OR ROLLBACK INTO mt_messages (id, direction, api_key, program, sender, \
             recipient, body, encoding, segments, carrier, status, status_callback, \
             validity_secs, resend_of, created_at, updated_at, dlr_url, dlr_mask, kind, \
             bypass_optout, callback_format) ",
        );
        q.push_values(chunk, |mut b, m| {
            b.push_bind(&m.id)
                .push_bind(m.direction.as_str())
                .push_bind(&m.api_key)
                .push_bind(&m.program)
                .push_bind(&m.sender)
                .push_bind(&m.recipient)
                .push_bind(&m.body)
                .push_bind(&m.encoding)
                .push_bind(i64::from(m.segments))
                .push_bind(&m.carrier)
                .push_bind(m.status.as_str())
                .push_bind(&m.status_callback)
                .push_bind(m.validity_secs.map(i64::from))
                .push_bind(&m.resend_of)
                .push_bind(m.created_at)
                .push_bind(m.created_at)
                .push_bind(m.dlr.as_ref().map(|d| d.0.as_str()))
                .push_bind(m.dlr.as_ref().map(|d| i64::from(d.1)))
                .push_bind(m.kind.as_str())
                .push_bind(m.bypass_optout)
                .push_bind(m.callback_format.as_str());
        });
        q.push(" RETURNING id, seq");
        let mut seqs: HashMap<String, i64> = HashMap::with_capacity(chunk.len());
        for row in q.build().fetch_all(&mut *tx).await? {
            seqs.insert(row.try_get(0)?, row.try_get(1)?);
        }
        let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
            "INSERT OR ROLLBACK INTO mt_status_history (message_id, status, at) ",
        );
        q.push_values(chunk, |mut b, m| {
            b.push_bind(&m.id)
                .push_bind(m.status.as_str())
                .push_bind(m.created_at);
        });
        q.build().execute(&mut *tx).await?;
        let parts: Vec<(&NewMessage, i64)> = chunk
            .iter()
            .flat_map(|m| (1..=i64::from(m.segments.max(1))).map(move |p| (*m, p)))
            .collect();
        for parts in parts.chunks(500) {
            let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
                "INSERT OR ROLLBACK INTO mt_parts (message_id, part_no, carrier, status, \
                 updated_at) ",
            );
            q.push_values(parts, |mut b, (m, p)| {
                b.push_bind(&m.id)
                    .push_bind(*p)
                    .push_bind(&m.carrier)
                    .push_bind(MessageStatus::Queued.as_str())
                    .push_bind(m.created_at);
            });
            q.build().execute(&mut *tx).await?;
        }
        for m in chunk {
            let seq = seqs
                .get(&m.id)
                .copied()
                .ok_or_else(|| MessageStoreError::Corrupt(format!("no seq for {}", m.id)))?;
            changes.push(LiveChange::Put(Box::new(LiveMessage {
                record: record_of(m, seq),
                parts: (1..=m.segments.max(1))
                    .map(|p| (p, MessageStatus::Queued))
                    .collect(),
            })));
        }
    }
    Ok(())
}

/// The stored record of `m`, inserted as row `seq`.
fn record_of(m: &NewMessage, seq: i64) -> MessageRecord {
    MessageRecord {
        seq,
        id: m.id.clone(),
        direction: m.direction,
        api_key: m.api_key.clone(),
        program: m.program.clone(),
        sender: m.sender.clone(),
        recipient: m.recipient.clone(),
        body: m.body.clone(),
        encoding: m.encoding.clone(),
        segments: m.segments,
        carrier: m.carrier.clone(),
        status: m.status,
        status_callback: m.status_callback.clone(),
        validity_secs: m.validity_secs,
        resend_of: m.resend_of.clone(),
        dlr: m.dlr.clone(),
        error_code: None,
        error_message: None,
        created_at: m.created_at,
        updated_at: m.created_at,
        kind: Some(m.kind),
        callback_format: m.callback_format,
    }
}

/// Inserts `m` with its `queued` parts and history entry on `tx`: how the MO pipeline records
/// its MTs (replies, compliance answers) in the same transaction as the MO that caused them.
pub async fn insert_queued(
    tx: &mut sqlx::SqliteConnection,
    m: &NewMessage,
) -> Result<(), MessageStoreError> {
    insert_message(tx, m).await?;
    for part in 1..=m.segments.max(1) {
        sqlx::query(
            "INSERT INTO mt_parts (message_id, part_no, carrier, status, updated_at) \
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(&m.id)
        .bind(part as i64)
        .bind(&m.carrier)
        .bind(MessageStatus::Queued.as_str())
        .bind(m.created_at)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

/// Adds the columns later versions need to `mt_messages` (`kind`, `bypass_optout`,
/// `callback_format`) when an
/// older database lacks them. Safe to call any number of times.
pub async fn ensure_columns(pool: &SqlitePool) -> Result<(), sqlx::Error> {
    let cols: Vec<String> = sqlx::query_scalar("SELECT name FROM pragma_table_info('mt_messages')")
        .fetch_all(pool)
        .await?;
    if !cols.iter().any(|c| c == "kind") {
        sqlx::query("ALTER TABLE mt_messages ADD COLUMN kind TEXT NOT NULL DEFAULT 'api'")
            .execute(pool)
            .await?;
    }
    if !cols.iter().any(|c| c == "callback_format") {
        sqlx::query(
            "ALTER TABLE mt_messages ADD COLUMN callback_format TEXT NOT NULL DEFAULT 'standard'",
        )
        .execute(pool)
        .await?;
    }
    if !cols.iter().any(|c| c == "bypass_optout") {
        sqlx::query("ALTER TABLE mt_messages ADD COLUMN bypass_optout INTEGER NOT NULL DEFAULT 0")
            .execute(pool)
            .await?;
    }
    Ok(())
}

async fn insert_message(
    tx: &mut sqlx::SqliteConnection,
    m: &NewMessage,
) -> Result<(), MessageStoreError> {
    sqlx::query(
        "INSERT INTO mt_messages (id, direction, api_key, program, sender, recipient, body, \
         encoding, segments, carrier, status, status_callback, validity_secs, resend_of, \
         created_at, updated_at, dlr_url, dlr_mask, kind, bypass_optout, callback_format) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&m.id)
    .bind(m.direction.as_str())
    .bind(&m.api_key)
    .bind(&m.program)
    .bind(&m.sender)
    .bind(&m.recipient)
    .bind(&m.body)
    .bind(&m.encoding)
    .bind(i64::from(m.segments))
    .bind(&m.carrier)
    .bind(m.status.as_str())
    .bind(&m.status_callback)
    .bind(m.validity_secs.map(i64::from))
    .bind(&m.resend_of)
    .bind(m.created_at)
    .bind(m.created_at)
    .bind(m.dlr.as_ref().map(|d| d.0.clone()))
    .bind(m.dlr.as_ref().map(|d| i64::from(d.1)))
    .bind(m.kind.as_str())
    .bind(m.bypass_optout)
    .bind(m.callback_format.as_str())
    .execute(&mut *tx)
    .await?;
    history(
        tx,
        &m.id,
        None,
        m.status,
        m.created_at,
        &RawStatus::default(),
    )
    .await
}

/// Whether a part's history entry is left out: when its message has that one part and the
/// same update changes the message's status, the message's entry carries the same facts (a
/// single-part message's history reads `queued`, `sent`, `delivered`, not each twice).
fn skips_part_entry(parts: usize, message_changed: bool) -> bool {
    parts == 1 && message_changed
}

async fn history(
    tx: &mut sqlx::SqliteConnection,
    message_id: &str,
    part_no: Option<u32>,
    status: MessageStatus,
    at: i64,
    raw: &RawStatus,
) -> Result<(), MessageStoreError> {
    sqlx::query(
        "INSERT INTO mt_status_history (message_id, part_no, status, at, stat, err, \
         command_status, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(message_id)
    .bind(part_no.map(i64::from))
    .bind(status.as_str())
    .bind(at)
    .bind(&raw.stat)
    .bind(&raw.err)
    .bind(raw.command_status.map(i64::from))
    .bind(&raw.detail)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Recomputes the message's status from its parts; stores the change (and its history entry)
/// when there is one. `part` is the history entry of the part update that led here (`raw` is
/// its facts), written first, unless the message has that one part and its own entry, which
/// then says the same ([`skips_part_entry`]).
async fn roll(
    tx: &mut sqlx::SqliteConnection,
    message_id: &str,
    now: i64,
    raw: &RawStatus,
    part: Option<(u32, MessageStatus)>,
) -> Result<RollUp, MessageStoreError> {
    // One statement for the message's status and its parts' (in part order).
    let row = sqlx::query(
        "SELECT status, (SELECT group_concat(status, ',') FROM \
           (SELECT status FROM mt_parts WHERE message_id = ?1 ORDER BY part_no)) \
         FROM mt_messages WHERE id = ?1",
    )
    .bind(message_id)
    .fetch_one(&mut *tx)
    .await?;
    let before = status_of(&row.try_get::<String, _>(0)?)?;
    let parts = row
        .try_get::<Option<String>, _>(1)?
        .unwrap_or_default()
        .split(',')
        .filter(|s| !s.is_empty())
        .map(status_of)
        .collect::<Result<Vec<_>, _>>()?;
    let mut after = roll_up(&parts);
    // A final status stays final.
    if before.is_final() {
        after = before;
    }
    if let Some((part_no, shown)) = part
        && !skips_part_entry(parts.len(), before != after)
    {
        history(tx, message_id, Some(part_no), shown, now, raw).await?;
    }
    let message = if after != before {
        let row = sqlx::query(&format!(
            "UPDATE mt_messages SET status = ?, updated_at = ? WHERE id = ? \
             RETURNING {MESSAGE_COLUMNS}"
        ))
        .bind(after.as_str())
        .bind(now)
        .bind(message_id)
        .fetch_one(&mut *tx)
        .await?;
        history(tx, message_id, None, after, now, raw).await?;
        Some(Box::new(message_from_row(&row)?))
    } else {
        None
    };
    Ok(RollUp {
        message_id: message_id.to_owned(),
        before,
        after,
        message,
    })
}

fn status_of(s: &str) -> Result<MessageStatus, MessageStoreError> {
    s.parse()
        .map_err(|e: crate::delivery::status::UnknownStatus| {
            MessageStoreError::Corrupt(e.to_string())
        })
}

fn message_from_row(r: &sqlx::sqlite::SqliteRow) -> Result<MessageRecord, MessageStoreError> {
    let direction: String = r.try_get(2)?;
    Ok(MessageRecord {
        seq: r.try_get(0)?,
        id: r.try_get(1)?,
        direction: direction.parse().map_err(MessageStoreError::Corrupt)?,
        api_key: r.try_get(3)?,
        program: r.try_get(4)?,
        sender: r.try_get(5)?,
        recipient: r.try_get(6)?,
        body: r.try_get(7)?,
        encoding: r.try_get(8)?,
        segments: r.try_get::<i64, _>(9)? as u32,
        carrier: r.try_get(10)?,
        status: status_of(&r.try_get::<String, _>(11)?)?,
        status_callback: r.try_get(12)?,
        validity_secs: r.try_get::<Option<i64>, _>(13)?.map(|v| v as u32),
        resend_of: r.try_get(14)?,
        dlr: match (
            r.try_get::<Option<String>, _>(19)?,
            r.try_get::<Option<i64>, _>(20)?,
        ) {
            (Some(url), mask) => Some((url, mask.unwrap_or(0) as u8)),
            _ => None,
        },
        error_code: r.try_get(15)?,
        error_message: r.try_get(16)?,
        created_at: r.try_get(17)?,
        updated_at: r.try_get(18)?,
        kind: r
            .try_get::<Option<String>, _>(21)?
            .map(|k| MtKind::parse(&k).map_err(|e| MessageStoreError::Corrupt(e.to_string())))
            .transpose()?,
        callback_format: CallbackFormat::parse(r.try_get::<Option<&str>, _>(22)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(id: &str, to: &str, segments: u32) -> NewMessage {
        NewMessage {
            id: id.into(),
            direction: Direction::Mt,
            api_key: Some("k".into()),
            program: Some("coffee".into()),
            sender: "12345".into(),
            recipient: to.into(),
            body: "hi".into(),
            encoding: "GSM 7-bit".into(),
            segments,
            carrier: Some("sim".into()),
            status_callback: None,
            validity_secs: None,
            resend_of: None,
            dlr: None,
            status: MessageStatus::Queued,
            created_at: now_ms(),
            kind: MtKind::Api,
            bypass_optout: false,
            callback_format: CallbackFormat::Standard,
        }
    }

    async fn store() -> (tempfile::TempDir, MessageStore) {
        let dir = tempfile::tempdir().unwrap();
        let mut s = MessageStore::open(&dir.path().join("t.db")).await.unwrap();
        s.migrate().await.unwrap(); // twice is fine
        (dir, s)
    }

    #[test]
    fn callback_formats_read_back_as_stored() {
        let mut all = vec![CallbackFormat::Standard, CallbackFormat::Twilio];
        for level in 1..=3 {
            for post in [false, true] {
                all.push(CallbackFormat::Jasmin { level, post });
            }
        }
        for f in all {
            assert_eq!(CallbackFormat::parse(Some(f.as_str())), f, "{}", f.as_str());
        }
        assert_eq!(CallbackFormat::parse(None), CallbackFormat::Standard);
        assert_eq!(CallbackFormat::parse(Some("?")), CallbackFormat::Standard);
    }

    /// A database an earlier version wrote (no `kind`, `bypass_optout`, `callback_format`
    /// columns) is read after the columns are added: its rows are API messages with standard
    /// callbacks; new rows keep their callback form.
    #[tokio::test]
    async fn an_older_database_gains_the_new_columns() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        {
            let pool = SqlitePoolOptions::new()
                .connect_with(
                    SqliteConnectOptions::new()
                        .filename(&path)
                        .create_if_missing(true),
                )
                .await
                .unwrap();
            sqlx::raw_sql(MIGRATION).execute(&pool).await.unwrap();
            sqlx::query(
                "INSERT INTO mt_messages (id, sender, recipient, body, encoding, segments, \
                 status, created_at, updated_at) \
                 VALUES ('msg_old', '12345', '447700900001', 'hi', 'GSM 7-bit', 1, 'delivered', 1, 1)",
            )
            .execute(&pool)
            .await
            .unwrap();
            pool.close().await;
        }
        let mut s = MessageStore::open(&path).await.unwrap();
        s.migrate().await.unwrap();
        let old = s.get("msg_old").await.unwrap().unwrap();
        assert_eq!(old.kind, Some(MtKind::Api));
        assert_eq!(old.callback_format, CallbackFormat::Standard);
        let mut m = msg("msg_new", "447700900002", 1);
        m.callback_format = CallbackFormat::Twilio;
        s.insert_mt(&m, None).await.unwrap();
        let new = s.get("msg_new").await.unwrap().unwrap();
        assert_eq!(new.callback_format, CallbackFormat::Twilio);
    }

    #[tokio::test]
    async fn parts_roll_up_and_history() {
        let (_d, s) = store().await;
        assert_eq!(
            s.insert_mt(&msg("m1", "1", 2), None).await.unwrap(),
            Inserted::New
        );
        let r = s.part_sent("m1", 1, "sim", "0A", "0a").await.unwrap();
        assert_eq!(r.after, MessageStatus::Queued);
        let r = s.part_sent("m1", 2, "sim", "0B", "0b").await.unwrap();
        assert_eq!(
            (r.before, r.after),
            (MessageStatus::Queued, MessageStatus::Sent)
        );
        assert_eq!(
            s.find_part("sim", "0b").await.unwrap(),
            Some(("m1".into(), 2))
        );
        let raw = RawStatus {
            stat: Some("DELIVRD".into()),
            err: Some("000".into()),
            ..RawStatus::default()
        };
        let r = s
            .part_receipt("m1", 2, Some(MessageStatus::Delivered), &raw)
            .await
            .unwrap();
        assert!(!r.changed());
        let r = s
            .part_receipt("m1", 1, Some(MessageStatus::Delivered), &raw)
            .await
            .unwrap();
        assert_eq!(r.after, MessageStatus::Delivered);
        let h = s.history("m1").await.unwrap();
        let top: Vec<_> = h
            .iter()
            .filter(|e| e.part_no.is_none())
            .map(|e| e.status)
            .collect();
        assert_eq!(
            top,
            [
                MessageStatus::Queued,
                MessageStatus::Sent,
                MessageStatus::Delivered
            ]
        );
        assert_eq!(h.last().unwrap().stat.as_deref(), Some("DELIVRD"));
        // A message of several parts keeps each part's entries too.
        assert_eq!(h.iter().filter(|e| e.part_no.is_some()).count(), 4);
        assert_eq!(
            s.get("m1").await.unwrap().unwrap().status,
            MessageStatus::Delivered
        );
    }

    /// A single-part message's history has one entry per change, at message level, with the
    /// part's facts; a part update that changes nothing at message level keeps its own entry.
    #[tokio::test]
    async fn a_single_part_message_has_one_history_entry_per_change() {
        let (_d, s) = store().await;
        s.insert_mt(&msg("s1", "1", 1), None).await.unwrap();
        s.part_sent("s1", 1, "sim", "0C", "0c").await.unwrap();
        let enroute = RawStatus {
            stat: Some("ENROUTE".into()),
            ..RawStatus::default()
        };
        let r = s.part_receipt("s1", 1, None, &enroute).await.unwrap();
        assert!(!r.changed());
        let delivrd = RawStatus {
            stat: Some("DELIVRD".into()),
            err: Some("000".into()),
            ..RawStatus::default()
        };
        s.part_receipt("s1", 1, Some(MessageStatus::Delivered), &delivrd)
            .await
            .unwrap();
        let h = s.history("s1").await.unwrap();
        let rows: Vec<_> = h
            .iter()
            .map(|e| (e.part_no, e.status, e.stat.as_deref()))
            .collect();
        assert_eq!(
            rows,
            [
                (None, MessageStatus::Queued, None),
                (None, MessageStatus::Sent, None),
                (Some(1), MessageStatus::Sent, Some("ENROUTE")),
                (None, MessageStatus::Delivered, Some("DELIVRD")),
            ]
        );
        assert_eq!(h[1].command_status, Some(0));
        assert_eq!(h[1].detail.as_deref(), Some("sim message_id 0C"));
        // A failure (written apart from the writer's memory) follows the same rule.
        s.insert_mt(&msg("s2", "2", 1), None).await.unwrap();
        let raw = RawStatus {
            command_status: Some(0x45),
            ..RawStatus::default()
        };
        s.parts_failed("s2", 1, MessageStatus::Rejected, &raw, "carrier_rejected")
            .await
            .unwrap();
        let h = s.history("s2").await.unwrap();
        let rows: Vec<_> = h.iter().map(|e| (e.part_no, e.status)).collect();
        assert_eq!(
            rows,
            [
                (None, MessageStatus::Queued),
                (None, MessageStatus::Rejected)
            ]
        );
        assert_eq!(h[1].command_status, Some(0x45));
    }

    #[tokio::test]
    async fn idempotency_and_search_paging() {
        let (_d, s) = store().await;
        let first = s
            .insert_mt(&msg("a", "1", 1), Some(("k", "key1", "h")))
            .await
            .unwrap();
        assert_eq!(first, Inserted::New);
        let again = s
            .insert_mt(&msg("b", "1", 1), Some(("k", "key1", "h")))
            .await
            .unwrap();
        assert_eq!(
            again,
            Inserted::Existing(IdempotentHit {
                message_id: "a".into(),
                request_hash: "h".into()
            })
        );
        assert!(s.get("b").await.unwrap().is_none());
        for i in 0..5 {
            s.insert_mt(&msg(&format!("x{i}"), "2", 1), None)
                .await
                .unwrap();
        }
        let mut q = SearchQuery {
            to: Some("2".into()),
            limit: 2,
            ..SearchQuery::default()
        };
        let mut seen = Vec::new();
        loop {
            let (rows, next) = s.search(&q).await.unwrap();
            seen.extend(rows.into_iter().map(|m| m.id));
            match next {
                Some(c) => {
                    assert_eq!(Cursor::decode(&c.encode()), Some(c.clone()));
                    q.after = Some(c)
                }
                None => break,
            }
        }
        assert_eq!(seen, ["x4", "x3", "x2", "x1", "x0"]);
        q.after = None;
        q.programs = Some(vec!["other".into()]);
        assert!(s.search(&q).await.unwrap().0.is_empty());
    }

    #[tokio::test]
    async fn a_failed_write_in_a_batch_fails_alone() {
        let (_d, s) = store().await;
        let writes: Vec<_> = (0..50)
            .map(|i| {
                let s = s.clone();
                // Every tenth reuses id "dup": only the first of those can be inserted.
                let id = if i % 10 == 0 {
                    "dup".to_owned()
                } else {
                    format!("b{i}")
                };
                tokio::spawn(async move { s.insert_mt(&msg(&id, "9", 1), None).await })
            })
            .collect();
        let mut ok = 0;
        let mut failed = 0;
        for w in writes {
            match w.await.unwrap() {
                Ok(Inserted::New) => ok += 1,
                Ok(other) => panic!("{other:?}"),
                Err(_) => failed += 1,
            }
        }
        assert_eq!((ok, failed), (46, 4));
        let q = SearchQuery {
            to: Some("9".into()),
            limit: 100,
            ..SearchQuery::default()
        };
        assert_eq!(s.search(&q).await.unwrap().0.len(), 46);
        assert_eq!(s.parts("dup").await.unwrap().len(), 1);
        // The failed batch was rolled back: the writer goes on writing.
        let r = s.part_sent("dup", 1, "sim", "d1", "d1").await.unwrap();
        assert_eq!(r.after, MessageStatus::Sent);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_part_updates_roll_up_once_per_message() {
        let (_d, s) = store().await;
        for i in 0..40 {
            s.insert_mt(&msg(&format!("m{i}"), "7", 2), None)
                .await
                .unwrap();
        }
        let run = |f: fn(MessageStore, usize, u32) -> tokio::task::JoinHandle<RollUp>| {
            let s = s.clone();
            async move {
                let tasks: Vec<_> = (0..40)
                    .flat_map(|i| [1u32, 2].map(|p| f(s.clone(), i, p)))
                    .collect();
                let mut changed = Vec::new();
                for t in tasks {
                    let r = t.await.unwrap();
                    if r.changed() {
                        assert!(r.message.is_some());
                        changed.push((r.message_id, r.after));
                    }
                }
                changed
            }
        };
        let sent = run(|s, i, p| {
            tokio::spawn(async move {
                s.part_sent(
                    &format!("m{i}"),
                    p,
                    "sim",
                    &format!("{i}-{p}"),
                    &format!("k{i}-{p}"),
                )
                .await
                .unwrap()
            })
        })
        .await;
        assert_eq!(sent.len(), 40);
        assert!(sent.iter().all(|(_, st)| *st == MessageStatus::Sent));
        let delivered = run(|s, i, p| {
            tokio::spawn(async move {
                let raw = RawStatus {
                    stat: Some("DELIVRD".into()),
                    ..RawStatus::default()
                };
                s.part_receipt(&format!("m{i}"), p, Some(MessageStatus::Delivered), &raw)
                    .await
                    .unwrap()
            })
        })
        .await;
        assert_eq!(delivered.len(), 40);
        for i in 0..40 {
            let id = format!("m{i}");
            assert_eq!(
                s.get(&id).await.unwrap().unwrap().status,
                MessageStatus::Delivered
            );
            let h = s.history(&id).await.unwrap();
            let top: Vec<_> = h
                .iter()
                .filter(|e| e.part_no.is_none())
                .map(|e| e.status)
                .collect();
            assert_eq!(
                top,
                [
                    MessageStatus::Queued,
                    MessageStatus::Sent,
                    MessageStatus::Delivered
                ]
            );
            assert_eq!(h.len(), 7, "{h:?}");
            assert_eq!(
                s.find_part("sim", &format!("k{i}-2")).await.unwrap(),
                Some((id, 2))
            );
        }
    }

    #[tokio::test]
    async fn failure_marks_remaining_parts() {
        let (_d, s) = store().await;
        s.insert_mt(&msg("f", "1", 3), None).await.unwrap();
        s.part_sent("f", 1, "sim", "1", "1").await.unwrap();
        let raw = RawStatus {
            command_status: Some(0x45),
            detail: Some("ESME_RSUBMITFAIL".into()),
            ..RawStatus::default()
        };
        let r = s
            .parts_failed("f", 2, MessageStatus::Rejected, &raw, "carrier_rejected")
            .await
            .unwrap();
        assert_eq!(r.after, MessageStatus::Rejected);
        let parts = s.parts("f").await.unwrap();
        assert_eq!(parts[2].status, MessageStatus::Rejected);
        assert_eq!(parts[1].command_status, Some(0x45));
        let m = s.get("f").await.unwrap().unwrap();
        assert_eq!(m.error_code.as_deref(), Some("carrier_rejected"));
    }

    /// The writer rolls part updates up from its memory of messages in flight: what it reports
    /// must be what the database holds, for messages it inserted in bulk, for messages written
    /// by another connection (read back), and after a write it does not mirror (a failure).
    #[tokio::test]
    async fn the_writers_memory_matches_the_database() {
        let (_d, s) = store().await;
        let ids: Vec<String> = (0..40).map(|i| format!("w{i:02}")).collect();
        let inserts = ids.iter().map(|id| {
            let (s, m) = (s.clone(), msg(id, "7", 1));
            async move { s.insert_mt(&m, None).await.unwrap() }
        });
        futures::future::join_all(inserts).await;
        // One written by another connection, as the MO pipeline writes its replies.
        let mut other = msg("mo-reply", "8", 2);
        other.kind = MtKind::Reply;
        let mut tx = s.pool().begin().await.unwrap();
        insert_queued(&mut tx, &other).await.unwrap();
        tx.commit().await.unwrap();
        let mut all: Vec<(String, u32)> = ids.iter().map(|id| (id.clone(), 1)).collect();
        all.push(("mo-reply".into(), 1));
        all.push(("mo-reply".into(), 2));
        let sends = all.iter().map(|(id, part)| {
            let s = s.clone();
            let (id, part) = (id.clone(), *part);
            async move {
                let key = format!("{id}-{part}");
                s.part_sent(&id, part, "sim", &key, &key).await.unwrap()
            }
        });
        let rolled = futures::future::join_all(sends).await;
        let mut reported = 0;
        for r in rolled {
            if let Some(m) = r.message {
                reported += 1;
                assert_eq!(r.after, MessageStatus::Sent);
                assert_eq!(Some(*m), s.get(&r.message_id).await.unwrap());
            }
        }
        assert_eq!(reported, 41, "every message moved to sent once");
        // A failure (not mirrored) and then a receipt for the same message.
        let raw = RawStatus {
            command_status: Some(0x45),
            ..RawStatus::default()
        };
        s.parts_failed("w00", 1, MessageStatus::Rejected, &raw, "carrier_rejected")
            .await
            .unwrap();
        let delivered = RawStatus {
            stat: Some("DELIVRD".into()),
            ..RawStatus::default()
        };
        let receipts = ["w00", "w01", "mo-reply"].map(|id| {
            let (s, raw) = (s.clone(), delivered.clone());
            async move {
                s.part_receipt(id, 1, Some(MessageStatus::Delivered), &raw)
                    .await
                    .unwrap()
            }
        });
        let rolled = futures::future::join_all(receipts).await;
        for r in &rolled {
            let now = s.get(&r.message_id).await.unwrap().unwrap();
            assert_eq!(r.after, now.status, "{}", r.message_id);
            if let Some(m) = &r.message {
                assert_eq!(**m, now);
            }
        }
        let status = |id: &str| rolled.iter().find(|r| r.message_id == id).unwrap().after;
        // A message is delivered when all its parts are.
        assert_eq!(status("w00"), MessageStatus::Delivered);
        assert_eq!(status("w01"), MessageStatus::Delivered);
        assert_eq!(status("mo-reply"), MessageStatus::Sent);
        // The failure touched no sent part, but its error was recorded: the writer read the
        // message again instead of reporting what it remembered.
        let w00 = rolled.iter().find(|r| r.message_id == "w00").unwrap();
        let m = w00.message.as_ref().expect("w00 changed");
        assert_eq!(m.error_code.as_deref(), Some("carrier_rejected"));
    }
}
