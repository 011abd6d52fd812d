//! [`OptOutCache`]: the opt-out list held in memory in front of a [`Store`], so the MT path
//! checks consent without a database round trip. Loaded at start; every change goes through
//! [`Store::write_inbound`] (STOP/START from the MO pipeline, the API's opt-out calls), which
//! updates the set once the transaction committed, still under the caller's consent lock. It
//! assumes this process is the database's only writer (true of the embedded SQLite store; a
//! shared PostgreSQL store needs another way to learn of other nodes' changes).

use std::collections::HashSet;
use std::path::Path;
use std::sync::{Arc, RwLock};

use sqlx::Connection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};

use super::{
    AttemptRecord, ConversationRecord, InboundWrite, MoRecord, PartRecord, PendingSubscription,
    Store, StoreError, StoreFuture, StoreStats, WebhookRecord,
};

/// A [`Store`] whose [`opted_out`](Store::opted_out) answers from memory (see the module).
pub struct OptOutCache {
    inner: Arc<dyn Store>,
    set: RwLock<HashSet<(String, String)>>,
}

impl std::fmt::Debug for OptOutCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OptOutCache").finish_non_exhaustive()
    }
}

impl OptOutCache {
    /// Wraps `inner`, loading the opt-outs of the SQLite database at `path` (the same one).
    pub async fn load(inner: Arc<dyn Store>, path: &Path) -> Result<OptOutCache, StoreError> {
        let mut conn =
            SqliteConnection::connect_with(&SqliteConnectOptions::new().filename(path)).await?;
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT subscriber, short_code FROM optouts")
                .fetch_all(&mut conn)
                .await?;
        conn.close().await?;
        Ok(OptOutCache {
            inner,
            set: RwLock::new(rows.into_iter().collect()),
        })
    }

    fn apply(&self, batch: &[InboundWrite]) {
        let mut set = self.set.write().unwrap_or_else(|e| e.into_inner());
        for w in batch {
            let InboundWrite::Mo(w) = w else { continue };
            let Some(c) = &w.consent else { continue };
            for code in &c.short_codes {
                let key = (c.subscriber.clone(), code.clone());
                if c.opted_out {
                    set.insert(key);
                } else {
                    set.remove(&key);
                }
            }
        }
    }
}

impl Store for OptOutCache {
    fn write_inbound<'a>(&'a self, batch: &'a [InboundWrite]) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            self.inner.write_inbound(batch).await?;
            self.apply(batch);
            Ok(())
        })
    }

    fn load_parts(&self) -> StoreFuture<'_, Vec<PartRecord>> {
        self.inner.load_parts()
    }

    fn conversation<'a>(
        &'a self,
        subscriber: &'a str,
        short_code: &'a str,
        now: i64,
    ) -> StoreFuture<'a, Option<ConversationRecord>> {
        self.inner.conversation(subscriber, short_code, now)
    }

    fn put_conversation<'a>(&'a self, c: &'a ConversationRecord) -> StoreFuture<'a, ()> {
        self.inner.put_conversation(c)
    }

    fn opted_out<'a>(&'a self, subscriber: &'a str, short_code: &'a str) -> StoreFuture<'a, bool> {
        let hit = self
            .set
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .contains(&(subscriber.to_owned(), short_code.to_owned()));
        Box::pin(async move { Ok(hit) })
    }

    fn pending_subscription<'a>(
        &'a self,
        subscriber: &'a str,
        short_code: &'a str,
    ) -> StoreFuture<'a, Option<PendingSubscription>> {
        self.inner.pending_subscription(subscriber, short_code)
    }

    fn subscribed<'a>(
        &'a self,
        subscriber: &'a str,
        short_code: &'a str,
        program: &'a str,
    ) -> StoreFuture<'a, bool> {
        self.inner.subscribed(subscriber, short_code, program)
    }

    fn due_webhooks<'a>(
        &'a self,
        handler: &'a str,
        now: i64,
        limit: u32,
    ) -> StoreFuture<'a, Vec<WebhookRecord>> {
        self.inner.due_webhooks(handler, now, limit)
    }

    fn insert_webhooks<'a>(&'a self, w: &'a [WebhookRecord]) -> StoreFuture<'a, ()> {
        self.inner.insert_webhooks(w)
    }

    fn record_attempts<'a>(&'a self, attempts: &'a [AttemptRecord]) -> StoreFuture<'a, ()> {
        self.inner.record_attempts(attempts)
    }

    fn webhook<'a>(&'a self, id: &'a str) -> StoreFuture<'a, Option<WebhookRecord>> {
        self.inner.webhook(id)
    }

    fn webhooks_of_mo<'a>(&'a self, mo_id: &'a str) -> StoreFuture<'a, Vec<WebhookRecord>> {
        self.inner.webhooks_of_mo(mo_id)
    }

    fn mo<'a>(&'a self, id: &'a str) -> StoreFuture<'a, Option<MoRecord>> {
        self.inner.mo(id)
    }

    fn set_handler_disabled<'a>(
        &'a self,
        handler: &'a str,
        disabled: bool,
        reason: &'a str,
        at: i64,
    ) -> StoreFuture<'a, ()> {
        self.inner
            .set_handler_disabled(handler, disabled, reason, at)
    }

    fn disabled_handlers(&self) -> StoreFuture<'_, Vec<(String, String)>> {
        self.inner.disabled_handlers()
    }

    fn stats(&self) -> StoreFuture<'_, StoreStats> {
        self.inner.stats()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{ConsentChange, MoWrite, SqliteStore};

    fn consent(sub: &str, out: bool) -> InboundWrite {
        InboundWrite::Mo(Box::new(MoWrite {
            consent: Some(ConsentChange {
                subscriber: sub.into(),
                short_codes: vec!["12345".into()],
                opted_out: out,
                keyword: if out { "STOP" } else { "START" }.into(),
                at: crate::now_ms(),
            }),
            ..MoWrite::default()
        }))
    }

    #[tokio::test]
    async fn follows_writes_and_survives_a_reload() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        let sqlite: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).await.unwrap());
        let cache = OptOutCache::load(sqlite.clone(), &path).await.unwrap();
        assert!(!cache.opted_out("1", "12345").await.unwrap());
        cache
            .write_inbound(&[consent("1", true), consent("2", true), consent("2", false)])
            .await
            .unwrap();
        assert!(cache.opted_out("1", "12345").await.unwrap());
        assert!(!cache.opted_out("2", "12345").await.unwrap());
        assert!(!cache.opted_out("1", "67890").await.unwrap());
        // The database agrees, and a new cache starts from it.
        assert!(sqlite.opted_out("1", "12345").await.unwrap());
        let again = OptOutCache::load(sqlite, &path).await.unwrap();
        assert!(again.opted_out("1", "12345").await.unwrap());
        assert!(!again.opted_out("2", "12345").await.unwrap());
    }
}
