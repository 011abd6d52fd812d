//! The embedded [`Store`]: SQLite through sqlx, one file, WAL journal, migrations run at open.
//! Writes go through one connection (SQLite has one writer; this avoids busy retries), reads
//! through a small pool. The WAL is checkpointed by a connection of its own, in the background
//! (passive: it never blocks the writer), so commits do not stall on a checkpoint's copying and
//! syncing; the writer's own automatic checkpoint stays as a backstop at a larger WAL.

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{QueryBuilder, Row, Sqlite, Transaction};

use super::{
    AttemptOutcome, AttemptRecord, ConversationRecord, InboundWrite, MoRecord, MoState, MoWrite,
    MtRecord, PartRecord, PendingSubscription, Store, StoreError, StoreFuture, StoreStats,
    WebhookRecord, WebhookState,
};

/// The SQLite store.
#[derive(Clone, Debug)]
pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
    checkpointer: Arc<Checkpointer>,
}

/// Pages in the WAL at which the writer checkpoints by itself (SQLite's default is 1 000);
/// normally the background checkpointer keeps the WAL well below.
const WRITER_AUTOCHECKPOINT_PAGES: u32 = 8_000;

/// How often the background checkpointer runs.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(50);

/// The background checkpoint task and its connection; stops when the last store clone drops.
#[derive(Debug)]
struct Checkpointer {
    pool: SqlitePool,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

impl SqliteStore {
    /// Opens (creating if missing) the database at `path`, in WAL mode, and runs the
    /// migrations.
    pub async fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let opts = SqliteConnectOptions::from_str("sqlite:")?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // With WAL, NORMAL survives a process crash (only a power loss may lose the last
            // commits); it is what makes group commit cheap.
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(opts.clone().pragma(
                "wal_autocheckpoint",
                WRITER_AUTOCHECKPOINT_PAGES.to_string(),
            ))
            .await?;
        MIGRATOR.run(&writer).await?;
        // The MO pipeline writes its MTs into the message history (`mt_messages`).
        crate::store::messages::ensure_columns(&writer).await?;
        migrate_legacy_mts(&writer).await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(opts.clone().read_only(true))
            .await?;
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(opts)
            .await?;
        let task = tokio::spawn(checkpoint_loop(pool.clone()));
        Ok(SqliteStore {
            writer,
            reader,
            checkpointer: Arc::new(Checkpointer { pool, task }),
        })
    }

    /// Closes the pools (and stops the background checkpoints).
    pub async fn close(&self) {
        self.checkpointer.task.abort();
        self.writer.close().await;
        self.reader.close().await;
        self.checkpointer.pool.close().await;
    }
}

/// Moves MTs still queued in the table earlier versions kept for the MO pipeline's MTs (`mts`)
/// into the message history, where the MT pipeline sends them (nothing queued is lost across
/// the upgrade); the moved rows are marked `migrated`. Safe to run at every start.
async fn migrate_legacy_mts(writer: &SqlitePool) -> Result<(), sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, created_at, short_code, subscriber, program, text, kind, bypass_optout \
         FROM mts WHERE state = 'queued' ORDER BY created_at",
    )
    .fetch_all(writer)
    .await?;
    if rows.is_empty() {
        return Ok(());
    }
    let mut tx = writer.begin().await?;
    for row in &rows {
        let kind: String = row.try_get("kind")?;
        let m = MtRecord {
            id: row.try_get("id")?,
            created_at: row.try_get("created_at")?,
            short_code: row.try_get("short_code")?,
            subscriber: row.try_get("subscriber")?,
            program: row.try_get("program")?,
            text: row.try_get("text")?,
            kind: super::MtKind::parse(&kind).unwrap_or(super::MtKind::Reply),
            bypass_optout: row.try_get::<i64, _>("bypass_optout")? != 0,
        };
        let moved = sqlx::query("SELECT 1 FROM mt_messages WHERE id = ?")
            .bind(&m.id)
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
        if !moved {
            insert_mt(&mut tx, &m).await?;
        }
        sqlx::query("UPDATE mts SET state = 'migrated' WHERE id = ?")
            .bind(&m.id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    tracing::info!(
        count = rows.len(),
        "store: moved MTs queued by an earlier version into the message history"
    );
    Ok(())
}

/// Passive checkpoints, one every [`CHECKPOINT_EVERY`]: they copy what the WAL holds into the
/// database without taking the write lock, so the writer's commits never wait for them.
async fn checkpoint_loop(pool: SqlitePool) {
    let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut failing = false;
    loop {
        tick.tick().await;
        match sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&pool)
            .await
        {
            Ok(_) => failing = false,
            Err(e) if !failing => {
                failing = true;
                tracing::warn!(error = %e, "background WAL checkpoint failed; the writer checkpoints by itself");
            }
            Err(_) => {}
        }
    }
}

fn opt_u8(v: Option<i64>) -> Option<u8> {
    v.and_then(|v| u8::try_from(v).ok())
}

fn mo_from_row(r: &SqliteRow) -> Result<MoRecord, StoreError> {
    Ok(MoRecord {
        id: r.try_get("id")?,
        received_at: r.try_get("received_at")?,
        source: r.try_get("source")?,
        short_code: r.try_get("short_code")?,
        text: r.try_get("text")?,
        segments: r.try_get::<i64, _>("segments")? as u32,
        data_coding: r.try_get::<i64, _>("data_coding")? as u8,
        rule: r.try_get("rule")?,
        matched: r.try_get("matched")?,
        route: r.try_get("route")?,
        program: r.try_get("program")?,
        handler: r.try_get("handler")?,
        state: MoState::parse(&r.try_get::<String, _>("state")?)?,
    })
}

fn webhook_from_row(r: &SqliteRow) -> Result<WebhookRecord, StoreError> {
    Ok(WebhookRecord {
        id: r.try_get("id")?,
        mo_id: r.try_get("mo_id")?,
        handler: r.try_get("handler")?,
        kind: r.try_get("kind")?,
        payload: r.try_get("payload")?,
        created_at: r.try_get("created_at")?,
        next_attempt_at: r.try_get("next_attempt_at")?,
        attempts: r.try_get::<i64, _>("attempts")? as u32,
        state: WebhookState::parse(&r.try_get::<String, _>("state")?)?,
        last_error: r.try_get("last_error")?,
        reply: r.try_get("reply")?,
    })
}

async fn insert_webhook(
    tx: &mut Transaction<'_, Sqlite>,
    w: &WebhookRecord,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO webhooks (id, mo_id, handler, kind, payload, created_at, next_attempt_at, \
         attempts, state, last_error, reply) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(&w.id)
    .bind(&w.mo_id)
    .bind(&w.handler)
    .bind(&w.kind)
    .bind(&w.payload)
    .bind(w.created_at)
    .bind(w.next_attempt_at)
    .bind(i64::from(w.attempts))
    .bind(w.state.as_str())
    .bind(&w.last_error)
    .bind(&w.reply)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn insert_mt(tx: &mut Transaction<'_, Sqlite>, m: &MtRecord) -> Result<(), sqlx::Error> {
    let message = crate::delivery::service::queued_message(m);
    crate::store::messages::insert_queued(tx, &message)
        .await
        .map_err(|e| match e {
            crate::store::messages::MessageStoreError::Db(e) => e,
            other => sqlx::Error::Protocol(other.to_string()),
        })
}

async fn put_conversation(
    tx: &mut Transaction<'_, Sqlite>,
    c: &ConversationRecord,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO conversations (subscriber, short_code, program, handler, route, expires_at) \
         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (subscriber, short_code) DO UPDATE SET \
         program = excluded.program, handler = excluded.handler, route = excluded.route, \
         expires_at = excluded.expires_at",
    )
    .bind(&c.subscriber)
    .bind(&c.short_code)
    .bind(&c.program)
    .bind(&c.handler)
    .bind(&c.route)
    .bind(c.expires_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn write_mo(tx: &mut Transaction<'_, Sqlite>, w: &MoWrite) -> Result<(), sqlx::Error> {
    if let Some(mo) = &w.mo {
        sqlx::query(
            "INSERT INTO mos (id, received_at, source, short_code, text, segments, data_coding, \
             rule, matched, route, program, handler, state) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
        )
        .bind(&mo.id)
        .bind(mo.received_at)
        .bind(&mo.source)
        .bind(&mo.short_code)
        .bind(&mo.text)
        .bind(i64::from(mo.segments))
        .bind(i64::from(mo.data_coding))
        .bind(&mo.rule)
        .bind(&mo.matched)
        .bind(&mo.route)
        .bind(&mo.program)
        .bind(&mo.handler)
        .bind(mo.state.as_str())
        .execute(&mut **tx)
        .await?;
    }
    if let Some(key) = &w.parts_key {
        sqlx::query("DELETE FROM mo_parts WHERE part_key = ?")
            .bind(key)
            .execute(&mut **tx)
            .await?;
    }
    for h in &w.webhooks {
        insert_webhook(tx, h).await?;
    }
    for m in &w.mts {
        insert_mt(tx, m).await?;
    }
    if let Some(c) = &w.conversation {
        put_conversation(tx, c).await?;
    }
    if let Some(c) = &w.consent {
        for code in &c.short_codes {
            if c.opted_out {
                sqlx::query(
                    "INSERT INTO optouts (subscriber, short_code, keyword, at) VALUES (?, ?, ?, ?) \
                     ON CONFLICT (subscriber, short_code) DO UPDATE SET keyword = excluded.keyword, \
                     at = excluded.at",
                )
                .bind(&c.subscriber)
                .bind(code)
                .bind(&c.keyword)
                .bind(c.at)
                .execute(&mut **tx)
                .await?;
                // An opted-out subscriber is in no conversation any more.
                sqlx::query("DELETE FROM conversations WHERE subscriber = ? AND short_code = ?")
                    .bind(&c.subscriber)
                    .bind(code)
                    .execute(&mut **tx)
                    .await?;
            } else {
                sqlx::query("DELETE FROM optouts WHERE subscriber = ? AND short_code = ?")
                    .bind(&c.subscriber)
                    .bind(code)
                    .execute(&mut **tx)
                    .await?;
            }
            sqlx::query(
                "INSERT INTO optout_log (subscriber, short_code, opted_out, keyword, at) \
                 VALUES (?, ?, ?, ?, ?)",
            )
            .bind(&c.subscriber)
            .bind(code)
            .bind(i64::from(c.opted_out))
            .bind(&c.keyword)
            .bind(c.at)
            .execute(&mut **tx)
            .await?;
        }
    }
    if let Some(s) = &w.subscription {
        sqlx::query(
            "INSERT INTO subscriptions (subscriber, short_code, program, state, pending_mo_id, at) \
             VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (subscriber, short_code, program) DO UPDATE SET \
             state = excluded.state, pending_mo_id = excluded.pending_mo_id, at = excluded.at",
        )
        .bind(&s.subscriber)
        .bind(&s.short_code)
        .bind(&s.program)
        .bind(if s.active { "active" } else { "pending" })
        .bind(&s.pending_mo_id)
        .bind(s.at)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Rows per multi-row statement (SQLite allows 32 766 bound values).
const CHUNK: usize = 64;

/// A batch of routed MOs without order-sensitive changes (opt-outs, subscriptions, long-MO
/// parts), which can be written with multi-row statements: the common case, and the cheap one.
fn is_plain(batch: &[InboundWrite]) -> bool {
    batch.len() > 1
        && batch.iter().all(|i| match i {
            InboundWrite::Mo(w) => {
                w.consent.is_none() && w.subscription.is_none() && w.parts_key.is_none()
            }
            InboundWrite::Receipt(_) => true,
            InboundWrite::Part(_) => false,
        })
}

/// Bound values per multi-statement query, well under SQLite's 32 766.
const MAX_BOUND: usize = 16_000;

/// Runs the statements gathered in `qb` once they hold [`MAX_BOUND`] values or more, and starts
/// it again empty.
async fn flush_if_full(
    tx: &mut Transaction<'_, Sqlite>,
    qb: &mut QueryBuilder<'_, Sqlite>,
    bound: &mut usize,
) -> Result<(), sqlx::Error> {
    if *bound >= MAX_BOUND {
        qb.build().execute(&mut **tx).await?;
        qb.reset();
        *bound = 0;
    }
    Ok(())
}

async fn write_plain(
    tx: &mut Transaction<'_, Sqlite>,
    batch: &[InboundWrite],
) -> Result<(), sqlx::Error> {
    let mut mos = Vec::new();
    let mut webhooks = Vec::new();
    let mut mts = Vec::new();
    let mut conversations: Vec<&ConversationRecord> = Vec::new();
    for item in batch {
        match item {
            InboundWrite::Mo(w) => {
                mos.extend(w.mo.iter());
                webhooks.extend(w.webhooks.iter());
                mts.extend(w.mts.iter());
                conversations.extend(w.conversation.iter());
            }
            InboundWrite::Receipt(r) => {
                sqlx::query(
                    "INSERT INTO receipts (message_id, mt_id, stat, err, raw, received_at) \
                     VALUES (?, (SELECT message_id FROM mt_parts WHERE smsc_id = ? LIMIT 1), ?, ?, ?, ?)",
                )
                .bind(&r.message_id)
                .bind(&r.message_id)
                .bind(&r.stat)
                .bind(&r.err)
                .bind(&r.raw)
                .bind(r.received_at)
                .execute(&mut **tx)
                .await?;
            }
            InboundWrite::Part(_) => unreachable!("is_plain excludes parts"),
        }
    }
    for m in mts {
        insert_mt(tx, m).await?;
    }
    // The inserts go to the writer's thread as one multi-statement query (one round trip):
    // sqlx binds the arguments across its statements in order.
    let mut qb = QueryBuilder::<Sqlite>::new("");
    let mut bound = 0usize;
    for chunk in mos.chunks(CHUNK) {
        bound += push_mos(&mut qb, chunk);
        flush_if_full(tx, &mut qb, &mut bound).await?;
    }
    for chunk in webhooks.chunks(CHUNK) {
        bound += push_webhooks(&mut qb, chunk);
        flush_if_full(tx, &mut qb, &mut bound).await?;
    }
    for chunk in conversations.chunks(CHUNK) {
        bound += push_conversations(&mut qb, chunk);
        flush_if_full(tx, &mut qb, &mut bound).await?;
    }
    if bound > 0 {
        qb.build().execute(&mut **tx).await?;
    }
    Ok(())
}

/// Pushes the insert of `chunk`'s MOs; returns the values bound.
fn push_mos<'a>(qb: &mut QueryBuilder<'a, Sqlite>, chunk: &[&'a MoRecord]) -> usize {
    qb.push(
        "INSERT INTO mos (id, received_at, source, short_code, text, segments, data_coding, \
         rule, matched, route, program, handler, state) ",
    );
    qb.push_values(chunk, |mut b, mo| {
        b.push_bind(&mo.id)
            .push_bind(mo.received_at)
            .push_bind(&mo.source)
            .push_bind(&mo.short_code)
            .push_bind(&mo.text)
            .push_bind(i64::from(mo.segments))
            .push_bind(i64::from(mo.data_coding))
            .push_bind(&mo.rule)
            .push_bind(&mo.matched)
            .push_bind(&mo.route)
            .push_bind(&mo.program)
            .push_bind(&mo.handler)
            .push_bind(mo.state.as_str());
    });
    qb.push(" ON CONFLICT (id) DO NOTHING;");
    chunk.len() * 13
}

/// Pushes the insert of `chunk`'s webhooks; returns the values bound.
fn push_webhooks<'a>(qb: &mut QueryBuilder<'a, Sqlite>, chunk: &[&'a WebhookRecord]) -> usize {
    qb.push(
        "INSERT INTO webhooks (id, mo_id, handler, kind, payload, created_at, \
         next_attempt_at, attempts, state, last_error, reply) ",
    );
    qb.push_values(chunk, |mut b, w| {
        b.push_bind(&w.id)
            .push_bind(&w.mo_id)
            .push_bind(&w.handler)
            .push_bind(&w.kind)
            .push_bind(&w.payload)
            .push_bind(w.created_at)
            .push_bind(w.next_attempt_at)
            .push_bind(i64::from(w.attempts))
            .push_bind(w.state.as_str())
            .push_bind(&w.last_error)
            .push_bind(&w.reply);
    });
    qb.push(" ON CONFLICT (id) DO NOTHING;");
    chunk.len() * 11
}

/// Pushes the upsert of `chunk`'s conversations, in batch order (a later row for the same
/// subscriber wins: SQLite applies the rows of one upsert in order); returns the values bound.
fn push_conversations<'a>(
    qb: &mut QueryBuilder<'a, Sqlite>,
    chunk: &[&'a ConversationRecord],
) -> usize {
    qb.push(
        "INSERT INTO conversations (subscriber, short_code, program, handler, route, \
         expires_at) ",
    );
    qb.push_values(chunk, |mut b, c| {
        b.push_bind(&c.subscriber)
            .push_bind(&c.short_code)
            .push_bind(&c.program)
            .push_bind(&c.handler)
            .push_bind(&c.route)
            .push_bind(c.expires_at);
    });
    qb.push(
        " ON CONFLICT (subscriber, short_code) DO UPDATE SET program = excluded.program, \
         handler = excluded.handler, route = excluded.route, expires_at = excluded.expires_at;",
    );
    chunk.len() * 6
}

/// A plain batch of MOs without MTs or receipts (the common case), as one query holding its
/// transaction too (`BEGIN; ...; COMMIT;`): one round trip to the writer's thread instead of
/// three. `None` if the batch is not that, or too big for one query.
fn plain_in_one_query(batch: &[InboundWrite]) -> Option<QueryBuilder<'_, Sqlite>> {
    let mut mos = Vec::new();
    let mut webhooks = Vec::new();
    let mut conversations = Vec::new();
    for item in batch {
        let InboundWrite::Mo(w) = item else {
            return None;
        };
        if !w.mts.is_empty() {
            return None;
        }
        mos.extend(w.mo.iter());
        webhooks.extend(w.webhooks.iter());
        conversations.extend(w.conversation.iter());
    }
    if mos.len() * 13 + webhooks.len() * 11 + conversations.len() * 6 > MAX_BOUND {
        return None;
    }
    let mut qb = QueryBuilder::<Sqlite>::new("BEGIN;");
    for chunk in mos.chunks(CHUNK) {
        push_mos(&mut qb, chunk);
    }
    for chunk in webhooks.chunks(CHUNK) {
        push_webhooks(&mut qb, chunk);
    }
    for chunk in conversations.chunks(CHUNK) {
        push_conversations(&mut qb, chunk);
    }
    qb.push("COMMIT;");
    Some(qb)
}

/// Runs a query that holds its own transaction (`BEGIN; ...; COMMIT;`) on the writer; if it
/// fails, rolls back what it began (so the connection goes back to the pool without an open
/// transaction).
async fn run_in_one_query(
    pool: &SqlitePool,
    mut qb: QueryBuilder<'_, Sqlite>,
) -> Result<(), sqlx::Error> {
    let mut conn = pool.acquire().await?;
    let result = qb.build().execute(&mut *conn).await;
    if let Err(e) = result {
        // "no transaction is active" when it failed before BEGIN or at COMMIT's rollback.
        let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
        return Err(e);
    }
    Ok(())
}

/// Whether each webhook appears once (the grouped update needs that).
fn no_repeats(attempts: &[AttemptRecord]) -> bool {
    let mut ids: Vec<&str> = attempts.iter().map(|a| a.webhook_id.as_str()).collect();
    ids.sort_unstable();
    ids.windows(2).all(|w| w[0] != w[1])
}

fn outcome_columns(o: &AttemptOutcome) -> (&'static str, Option<i64>, Option<&str>) {
    match o {
        AttemptOutcome::Delivered { reply } => ("delivered", None, reply.as_deref()),
        AttemptOutcome::Retry { next_attempt_at } => ("pending", Some(*next_attempt_at), None),
        AttemptOutcome::Dead => ("dead", None, None),
        AttemptOutcome::HandlerGone => ("pending", None, None),
    }
}

async fn record_grouped(
    tx: &mut Transaction<'_, Sqlite>,
    attempts: &[AttemptRecord],
) -> Result<(), sqlx::Error> {
    for chunk in attempts.chunks(CHUNK) {
        let mut qb = QueryBuilder::<Sqlite>::new("");
        push_attempts(&mut qb, chunk);
        qb.build().execute(&mut **tx).await?;
    }
    Ok(())
}

/// Pushes the insert of `chunk`'s attempts and the update of their webhooks (each webhook once
/// in `chunk`): both statements in one query, one round trip to the writer's thread.
fn push_attempts<'a>(qb: &mut QueryBuilder<'a, Sqlite>, chunk: &'a [AttemptRecord]) {
    qb.push("INSERT INTO webhook_attempts (webhook_id, attempt, at, status, error, latency_ms) ");
    qb.push_values(chunk, |mut b, a| {
        b.push_bind(&a.webhook_id)
            .push_bind(i64::from(a.attempt))
            .push_bind(a.at)
            .push_bind(a.status.map(i64::from))
            .push_bind(&a.error)
            .push_bind(i64::from(a.latency_ms));
    });
    qb.push(" ON CONFLICT (webhook_id, attempt) DO NOTHING; ");
    qb.push(
        "UPDATE webhooks SET attempts = MAX(webhooks.attempts, v.column2), \
         state = v.column3, next_attempt_at = COALESCE(v.column4, webhooks.next_attempt_at), \
         last_error = v.column5, reply = COALESCE(v.column6, webhooks.reply) FROM (",
    );
    qb.push_values(chunk, |mut b, a| {
        let (state, next, reply) = outcome_columns(&a.outcome);
        b.push_bind(&a.webhook_id)
            .push_bind(i64::from(a.attempt))
            .push_bind(state)
            .push_bind(next)
            .push_bind(&a.error)
            .push_bind(reply);
    });
    qb.push(") AS v WHERE webhooks.id = v.column1;");
}

impl Store for SqliteStore {
    fn write_inbound<'a>(&'a self, batch: &'a [InboundWrite]) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            if is_plain(batch)
                && let Some(qb) = plain_in_one_query(batch)
            {
                run_in_one_query(&self.writer, qb).await?;
                return Ok(());
            }
            let mut tx = self.writer.begin().await?;
            if is_plain(batch) {
                write_plain(&mut tx, batch).await?;
                tx.commit().await?;
                return Ok(());
            }
            for item in batch {
                match item {
                    InboundWrite::Part(p) => {
                        sqlx::query(
                            "INSERT INTO mo_parts (part_key, seq, source, destination, ref_kind, \
                             ref_value, total, payload, data_coding, national_locking, \
                             national_single, udh_len, received_at) \
                             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
                             ON CONFLICT (part_key, seq) DO NOTHING",
                        )
                        .bind(&p.key)
                        .bind(i64::from(p.seq))
                        .bind(&p.source)
                        .bind(&p.destination)
                        .bind(i64::from(p.ref_kind))
                        .bind(i64::from(p.ref_value))
                        .bind(i64::from(p.total))
                        .bind(&p.payload)
                        .bind(i64::from(p.data_coding))
                        .bind(p.national_locking.map(i64::from))
                        .bind(p.national_single.map(i64::from))
                        .bind(i64::from(p.udh_len))
                        .bind(p.received_at)
                        .execute(&mut *tx)
                        .await?;
                    }
                    InboundWrite::Mo(w) => write_mo(&mut tx, w).await?,
                    InboundWrite::Receipt(r) => {
                        sqlx::query(
                            "INSERT INTO receipts (message_id, mt_id, stat, err, raw, received_at) \
                             VALUES (?, (SELECT message_id FROM mt_parts WHERE smsc_id = ? LIMIT 1), \
                             ?, ?, ?, ?)",
                        )
                        .bind(&r.message_id)
                        .bind(&r.message_id)
                        .bind(&r.stat)
                        .bind(&r.err)
                        .bind(&r.raw)
                        .bind(r.received_at)
                        .execute(&mut *tx)
                        .await?;
                    }
                }
            }
            tx.commit().await?;
            Ok(())
        })
    }

    fn load_parts(&self) -> StoreFuture<'_, Vec<PartRecord>> {
        Box::pin(async move {
            let rows = sqlx::query("SELECT * FROM mo_parts ORDER BY received_at, part_key, seq")
                .fetch_all(&self.reader)
                .await?;
            rows.iter()
                .map(|r| {
                    Ok(PartRecord {
                        key: r.try_get("part_key")?,
                        seq: r.try_get::<i64, _>("seq")? as u8,
                        source: r.try_get("source")?,
                        destination: r.try_get("destination")?,
                        ref_kind: r.try_get::<i64, _>("ref_kind")? as u8,
                        ref_value: r.try_get::<i64, _>("ref_value")? as u16,
                        total: r.try_get::<i64, _>("total")? as u8,
                        payload: r.try_get("payload")?,
                        data_coding: r.try_get::<i64, _>("data_coding")? as u8,
                        national_locking: opt_u8(r.try_get("national_locking")?),
                        national_single: opt_u8(r.try_get("national_single")?),
                        udh_len: r.try_get::<i64, _>("udh_len")? as u32,
                        received_at: r.try_get("received_at")?,
                    })
                })
                .collect()
        })
    }

    fn conversation<'a>(
        &'a self,
        subscriber: &'a str,
        short_code: &'a str,
        now: i64,
    ) -> StoreFuture<'a, Option<ConversationRecord>> {
        Box::pin(async move {
            let row = sqlx::query(
                "SELECT * FROM conversations WHERE subscriber = ? AND short_code = ? \
                 AND expires_at > ?",
            )
            .bind(subscriber)
            .bind(short_code)
            .bind(now)
            .fetch_optional(&self.reader)
            .await?;
            row.map(|r| {
                Ok(ConversationRecord {
                    subscriber: r.try_get("subscriber")?,
                    short_code: r.try_get("short_code")?,
                    program: r.try_get("program")?,
                    handler: r.try_get("handler")?,
                    route: r.try_get("route")?,
                    expires_at: r.try_get("expires_at")?,
                })
            })
            .transpose()
        })
    }

    fn put_conversation<'a>(&'a self, c: &'a ConversationRecord) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let mut tx = self.writer.begin().await?;
            put_conversation(&mut tx, c).await?;
            tx.commit().await?;
            Ok(())
        })
    }

    fn opted_out<'a>(&'a self, subscriber: &'a str, short_code: &'a str) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            // Read through the writer: an opt-out just committed must be seen.
            let row = sqlx::query("SELECT 1 FROM optouts WHERE subscriber = ? AND short_code = ?")
                .bind(subscriber)
                .bind(short_code)
                .fetch_optional(&self.writer)
                .await?;
            Ok(row.is_some())
        })
    }

    fn pending_subscription<'a>(
        &'a self,
        subscriber: &'a str,
        short_code: &'a str,
    ) -> StoreFuture<'a, Option<PendingSubscription>> {
        Box::pin(async move {
            let row = sqlx::query(
                "SELECT program, pending_mo_id FROM subscriptions WHERE subscriber = ? AND \
                 short_code = ? AND state = 'pending' ORDER BY at DESC LIMIT 1",
            )
            .bind(subscriber)
            .bind(short_code)
            .fetch_optional(&self.reader)
            .await?;
            row.map(|r| {
                Ok(PendingSubscription {
                    program: r.try_get("program")?,
                    mo_id: r.try_get("pending_mo_id")?,
                })
            })
            .transpose()
        })
    }

    fn subscribed<'a>(
        &'a self,
        subscriber: &'a str,
        short_code: &'a str,
        program: &'a str,
    ) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let row = sqlx::query(
                "SELECT 1 FROM subscriptions WHERE subscriber = ? AND short_code = ? AND \
                 program = ? AND state = 'active'",
            )
            .bind(subscriber)
            .bind(short_code)
            .bind(program)
            .fetch_optional(&self.reader)
            .await?;
            Ok(row.is_some())
        })
    }

    fn due_webhooks<'a>(
        &'a self,
        handler: &'a str,
        now: i64,
        limit: u32,
    ) -> StoreFuture<'a, Vec<WebhookRecord>> {
        Box::pin(async move {
            let rows = sqlx::query(
                "SELECT * FROM webhooks WHERE handler = ? AND state = 'pending' AND \
                 next_attempt_at <= ? ORDER BY next_attempt_at, created_at LIMIT ?",
            )
            .bind(handler)
            .bind(now)
            .bind(i64::from(limit))
            .fetch_all(&self.writer)
            .await?;
            rows.iter().map(webhook_from_row).collect()
        })
    }

    fn insert_webhooks<'a>(&'a self, w: &'a [WebhookRecord]) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let mut tx = self.writer.begin().await?;
            for h in w {
                insert_webhook(&mut tx, h).await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    fn record_attempts<'a>(&'a self, attempts: &'a [AttemptRecord]) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            if attempts.len() > 1 && attempts.len() <= MAX_BOUND / 12 && no_repeats(attempts) {
                let mut qb = QueryBuilder::<Sqlite>::new("BEGIN;");
                for chunk in attempts.chunks(CHUNK) {
                    push_attempts(&mut qb, chunk);
                }
                qb.push("COMMIT;");
                run_in_one_query(&self.writer, qb).await?;
                return Ok(());
            }
            let mut tx = self.writer.begin().await?;
            if attempts.len() > 1 && no_repeats(attempts) {
                record_grouped(&mut tx, attempts).await?;
                tx.commit().await?;
                return Ok(());
            }
            for a in attempts {
                sqlx::query(
                    "INSERT INTO webhook_attempts (webhook_id, attempt, at, status, error, \
                     latency_ms) VALUES (?, ?, ?, ?, ?, ?) \
                     ON CONFLICT (webhook_id, attempt) DO NOTHING",
                )
                .bind(&a.webhook_id)
                .bind(i64::from(a.attempt))
                .bind(a.at)
                .bind(a.status.map(i64::from))
                .bind(&a.error)
                .bind(i64::from(a.latency_ms))
                .execute(&mut *tx)
                .await?;
                let (state, next, reply) = outcome_columns(&a.outcome);
                sqlx::query(
                    "UPDATE webhooks SET attempts = MAX(attempts, ?), state = ?, \
                     next_attempt_at = COALESCE(?, next_attempt_at), last_error = ?, \
                     reply = COALESCE(?, reply) WHERE id = ?",
                )
                .bind(i64::from(a.attempt))
                .bind(state)
                .bind(next)
                .bind(&a.error)
                .bind(reply)
                .bind(&a.webhook_id)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    fn webhook<'a>(&'a self, id: &'a str) -> StoreFuture<'a, Option<WebhookRecord>> {
        Box::pin(async move {
            let row = sqlx::query("SELECT * FROM webhooks WHERE id = ?")
                .bind(id)
                .fetch_optional(&self.writer)
                .await?;
            row.as_ref().map(webhook_from_row).transpose()
        })
    }

    fn webhooks_of_mo<'a>(&'a self, mo_id: &'a str) -> StoreFuture<'a, Vec<WebhookRecord>> {
        Box::pin(async move {
            let rows = sqlx::query("SELECT * FROM webhooks WHERE mo_id = ? ORDER BY created_at")
                .bind(mo_id)
                .fetch_all(&self.writer)
                .await?;
            rows.iter().map(webhook_from_row).collect()
        })
    }

    fn mo<'a>(&'a self, id: &'a str) -> StoreFuture<'a, Option<MoRecord>> {
        Box::pin(async move {
            let row = sqlx::query("SELECT * FROM mos WHERE id = ?")
                .bind(id)
                .fetch_optional(&self.writer)
                .await?;
            row.as_ref().map(mo_from_row).transpose()
        })
    }

    fn set_handler_disabled<'a>(
        &'a self,
        handler: &'a str,
        disabled: bool,
        reason: &'a str,
        at: i64,
    ) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            sqlx::query(
                "INSERT INTO handler_state (handler, disabled, reason, at) VALUES (?, ?, ?, ?) \
                 ON CONFLICT (handler) DO UPDATE SET disabled = excluded.disabled, \
                 reason = excluded.reason, at = excluded.at",
            )
            .bind(handler)
            .bind(i64::from(disabled))
            .bind(reason)
            .bind(at)
            .execute(&self.writer)
            .await?;
            Ok(())
        })
    }

    fn disabled_handlers(&self) -> StoreFuture<'_, Vec<(String, String)>> {
        Box::pin(async move {
            let rows = sqlx::query("SELECT handler, reason FROM handler_state WHERE disabled = 1")
                .fetch_all(&self.writer)
                .await?;
            rows.iter()
                .map(|r| {
                    Ok((
                        r.try_get("handler")?,
                        r.try_get::<Option<String>, _>("reason")?
                            .unwrap_or_default(),
                    ))
                })
                .collect()
        })
    }

    fn stats(&self) -> StoreFuture<'_, StoreStats> {
        Box::pin(async move {
            let r = sqlx::query(
                "SELECT \
                 (SELECT COUNT(*) FROM mos) AS mos, \
                 (SELECT COUNT(*) FROM mo_parts) AS parts, \
                 (SELECT COUNT(*) FROM webhooks WHERE state = 'pending') AS wp, \
                 (SELECT COUNT(*) FROM webhooks WHERE state = 'delivered') AS wd, \
                 (SELECT COUNT(*) FROM webhooks WHERE state = 'dead') AS wx, \
                 (SELECT COUNT(*) FROM webhook_attempts) AS att, \
                 (SELECT COUNT(*) FROM mt_messages WHERE status IN \
                  ('sent', 'delivered', 'undelivered', 'expired')) AS ms, \
                 (SELECT COUNT(*) FROM mt_messages \
                  WHERE error_code = 'recipient_opted_out') AS mr, \
                 (SELECT COUNT(*) FROM mt_messages WHERE status = 'queued') AS mq, \
                 (SELECT COUNT(*) FROM receipts) AS rc",
            )
            .fetch_one(&self.writer)
            .await?;
            let g = |n: &str| -> Result<u64, StoreError> { Ok(r.try_get::<i64, _>(n)? as u64) };
            Ok(StoreStats {
                mos: g("mos")?,
                parts: g("parts")?,
                webhooks_pending: g("wp")?,
                webhooks_delivered: g("wd")?,
                webhooks_dead: g("wx")?,
                attempts: g("att")?,
                mts_sent: g("ms")?,
                mts_refused: g("mr")?,
                mts_queued: g("mq")?,
                receipts: g("rc")?,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{ConsentChange, MoWrite, WebhookState};

    /// An MT an earlier version left queued in `mts` is in the message history after the next
    /// start (queued, so the MT pipeline sends it), once, and the old row is marked migrated.
    #[tokio::test]
    async fn legacy_queued_mts_move_into_the_message_history() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        let s = SqliteStore::open(&path).await.unwrap();
        for (id, state) in [("mt_old_1", "queued"), ("mt_old_2", "sent")] {
            sqlx::query(
                "INSERT INTO mts (id, created_at, short_code, subscriber, program, text, kind, \
                 bypass_optout, state, error, updated_at) \
                 VALUES (?, 5, '12345', '447700900001', 'coffee', 'Reply HELP for help', \
                 'compliance', 1, ?, NULL, 5)",
            )
            .bind(id)
            .bind(state)
            .execute(&s.writer)
            .await
            .unwrap();
        }
        s.close().await;
        for _ in 0..2 {
            let s = SqliteStore::open(&path).await.unwrap();
            let rows: Vec<(String, String, String, i64)> = sqlx::query_as(
                "SELECT id, status, kind, bypass_optout FROM mt_messages WHERE id LIKE 'mt_old_%'",
            )
            .fetch_all(&s.writer)
            .await
            .unwrap();
            assert_eq!(
                rows,
                vec![(
                    "mt_old_1".to_owned(),
                    "queued".to_owned(),
                    "compliance".to_owned(),
                    1
                )]
            );
            let parts: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM mt_parts WHERE message_id = 'mt_old_1'")
                    .fetch_one(&s.writer)
                    .await
                    .unwrap();
            assert_eq!(parts, 1);
            let state: String = sqlx::query_scalar("SELECT state FROM mts WHERE id = 'mt_old_1'")
                .fetch_one(&s.writer)
                .await
                .unwrap();
            assert_eq!(state, "migrated");
            s.close().await;
        }
    }

    #[tokio::test]
    async fn round_trips_and_survives_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.db");
        let s = SqliteStore::open(&path).await.unwrap();
        let mo = MoRecord {
            id: "mo_1".into(),
            received_at: 1,
            source: "447700900001".into(),
            short_code: "12345".into(),
            text: "JOIN".into(),
            segments: 1,
            data_coding: 0,
            rule: "keyword".into(),
            matched: Some("JOIN".into()),
            route: Some("join".into()),
            program: Some("coffee".into()),
            handler: Some("h".into()),
            state: MoState::Webhook,
        };
        let wh = WebhookRecord {
            id: "msg_1".into(),
            mo_id: Some("mo_1".into()),
            handler: "h".into(),
            kind: "message.received".into(),
            payload: "{}".into(),
            created_at: 1,
            next_attempt_at: 1,
            attempts: 0,
            state: WebhookState::Pending,
            last_error: None,
            reply: None,
        };
        let w = InboundWrite::Mo(Box::new(MoWrite {
            mo: Some(mo.clone()),
            webhooks: vec![wh.clone()],
            consent: Some(ConsentChange {
                subscriber: "447700900002".into(),
                short_codes: vec!["12345".into()],
                opted_out: true,
                keyword: "STOP".into(),
                at: 1,
            }),
            ..MoWrite::default()
        }));
        s.write_inbound(std::slice::from_ref(&w)).await.unwrap();
        // Idempotent on replay.
        s.write_inbound(&[w]).await.unwrap();
        assert_eq!(s.mo("mo_1").await.unwrap(), Some(mo));
        assert_eq!(s.due_webhooks("h", 5, 10).await.unwrap(), vec![wh]);
        assert!(s.opted_out("447700900002", "12345").await.unwrap());
        assert!(!s.opted_out("447700900001", "12345").await.unwrap());
        s.record_attempts(&[AttemptRecord {
            webhook_id: "msg_1".into(),
            attempt: 1,
            at: 2,
            status: Some(200),
            error: None,
            latency_ms: 3,
            outcome: AttemptOutcome::Delivered {
                reply: Some("hi".into()),
            },
        }])
        .await
        .unwrap();
        s.close().await;
        let s = SqliteStore::open(&path).await.unwrap();
        let w = s.webhook("msg_1").await.unwrap().unwrap();
        assert_eq!(
            (w.state, w.attempts, w.reply.as_deref()),
            (WebhookState::Delivered, 1, Some("hi"))
        );
        let st = s.stats().await.unwrap();
        assert_eq!((st.mos, st.webhooks_delivered, st.attempts), (1, 1, 1));
    }

    /// A batch written as one query (its transaction inside) that fails half-way leaves
    /// nothing behind, and the writer's connection takes the next batch.
    #[tokio::test]
    async fn a_failed_one_query_batch_rolls_back() {
        let dir = tempfile::tempdir().unwrap();
        let s = SqliteStore::open(&dir.path().join("f.db")).await.unwrap();
        let batch: Vec<InboundWrite> = (0..2)
            .map(|i| {
                InboundWrite::Mo(Box::new(MoWrite {
                    mo: Some(MoRecord {
                        id: format!("mo_{i}"),
                        received_at: 1,
                        source: format!("44770090000{i}"),
                        short_code: "12345".into(),
                        text: "JOIN".into(),
                        segments: 1,
                        data_coding: 0,
                        rule: "keyword".into(),
                        matched: None,
                        route: None,
                        program: Some("p".into()),
                        handler: Some("h".into()),
                        state: MoState::Webhook,
                    }),
                    conversation: Some(ConversationRecord {
                        subscriber: format!("44770090000{i}"),
                        short_code: "12345".into(),
                        program: "p".into(),
                        handler: "h".into(),
                        route: None,
                        expires_at: 10,
                    }),
                    ..MoWrite::default()
                }))
            })
            .collect();
        assert!(is_plain(&batch) && plain_in_one_query(&batch).is_some());
        // The conversations insert (after the MOs') fails.
        sqlx::query("ALTER TABLE conversations RENAME TO away")
            .execute(&s.writer)
            .await
            .unwrap();
        assert!(s.write_inbound(&batch).await.is_err());
        sqlx::query("ALTER TABLE away RENAME TO conversations")
            .execute(&s.writer)
            .await
            .unwrap();
        assert_eq!(s.stats().await.unwrap().mos, 0);
        s.write_inbound(&batch).await.unwrap();
        assert_eq!(s.stats().await.unwrap().mos, 2);
        assert!(
            s.conversation("447700900001", "12345", 0)
                .await
                .unwrap()
                .is_some()
        );
    }

    #[tokio::test]
    async fn grouped_writes_match_row_by_row() {
        let dir = tempfile::tempdir().unwrap();
        let s = SqliteStore::open(&dir.path().join("g.db")).await.unwrap();
        let write = |i: usize, program: &str| {
            let id = format!("mo_{i}");
            InboundWrite::Mo(Box::new(MoWrite {
                mo: Some(MoRecord {
                    id: id.clone(),
                    received_at: i as i64,
                    source: "447700900001".into(),
                    short_code: "12345".into(),
                    text: format!("JOIN {i}"),
                    segments: 1,
                    data_coding: 0,
                    rule: "keyword".into(),
                    matched: None,
                    route: None,
                    program: Some(program.into()),
                    handler: Some("h".into()),
                    state: MoState::Webhook,
                }),
                webhooks: vec![WebhookRecord {
                    id: format!("msg_{i}"),
                    mo_id: Some(id),
                    handler: "h".into(),
                    kind: "message.received".into(),
                    payload: "{}".into(),
                    created_at: i as i64,
                    next_attempt_at: i as i64,
                    attempts: 0,
                    state: WebhookState::Pending,
                    last_error: None,
                    reply: None,
                }],
                conversation: Some(ConversationRecord {
                    subscriber: "447700900001".into(),
                    short_code: "12345".into(),
                    program: program.into(),
                    handler: "h".into(),
                    route: None,
                    expires_at: 1_000_000,
                }),
                ..MoWrite::default()
            }))
        };
        let batch: Vec<InboundWrite> = (0..150)
            .map(|i| write(i, if i == 149 { "last" } else { "other" }))
            .collect();
        assert!(is_plain(&batch));
        s.write_inbound(&batch).await.unwrap();
        let st = s.stats().await.unwrap();
        assert_eq!((st.mos, st.webhooks_pending), (150, 150));
        let c = s
            .conversation("447700900001", "12345", 0)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(c.program, "last");
        let attempts: Vec<AttemptRecord> = (0..100)
            .map(|i| AttemptRecord {
                webhook_id: format!("msg_{i}"),
                attempt: 1,
                at: 5,
                status: Some(if i % 2 == 0 { 200 } else { 503 }),
                error: (i % 2 == 1).then(|| "HTTP 503".to_owned()),
                latency_ms: 1,
                outcome: if i % 2 == 0 {
                    AttemptOutcome::Delivered {
                        reply: (i == 0).then(|| "hi".to_owned()),
                    }
                } else {
                    AttemptOutcome::Retry {
                        next_attempt_at: 99,
                    }
                },
            })
            .collect();
        s.record_attempts(&attempts).await.unwrap();
        let st = s.stats().await.unwrap();
        assert_eq!(
            (st.webhooks_delivered, st.webhooks_pending, st.attempts),
            (50, 100, 100)
        );
        let w0 = s.webhook("msg_0").await.unwrap().unwrap();
        assert_eq!((w0.attempts, w0.reply.as_deref()), (1, Some("hi")));
        let w1 = s.webhook("msg_1").await.unwrap().unwrap();
        assert_eq!(
            (w1.state, w1.next_attempt_at, w1.last_error.as_deref()),
            (WebhookState::Pending, 99, Some("HTTP 503"))
        );
    }
}
