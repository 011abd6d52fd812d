//! Every MT goes through [`Outbound`]: stored first, then checked against the opt-outs under the
//! subscriber's [`ConsentGate`] lock, then handed to the [`Carrier`]; an MT to an opted-out
//! subscriber is refused with [`MtError::OptedOut`] and never reaches a carrier (only the STOP
//! confirmation itself is let through). A sent MT from a program opens or refreshes its
//! conversation.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use crate::carrier::{Carrier, CarrierError, OutboundSm};
use crate::compliance::ConsentGate;
use crate::config::Config;
use crate::store::{MtKind, MtRecord, MtState, Store, StoreError};
use crate::{conversation, new_id, now_ms};

/// Why an MT was not sent.
#[derive(Debug, thiserror::Error)]
pub enum MtError {
    /// The subscriber opted out of the short code (STOP): nothing was sent.
    #[error(
        "recipient_opted_out: {subscriber} opted out of short code {short_code}; the message was \
         not sent (the subscriber must text START to receive messages again)"
    )]
    OptedOut {
        /// The subscriber.
        subscriber: String,
        /// The short code.
        short_code: String,
    },
    /// The short code is not configured.
    #[error("unknown_short_code: {0} is not a configured short code")]
    UnknownShortCode(String),
    /// The program is not configured on that short code.
    #[error("unknown_program: {program} is not a program on short code {short_code}")]
    UnknownProgram {
        /// The program.
        program: String,
        /// The short code.
        short_code: String,
    },
    /// The text is empty.
    #[error("empty_text: an MT needs some text")]
    EmptyText,
    /// The MT is already being sent (a duplicate call).
    #[error("in_flight: MT {0} is already being sent")]
    InFlight(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The carrier did not take it.
    #[error(transparent)]
    Carrier(#[from] CarrierError),
}

impl MtError {
    /// The stable error code (the part before the colon).
    pub fn code(&self) -> &'static str {
        match self {
            MtError::OptedOut { .. } => "recipient_opted_out",
            MtError::UnknownShortCode(_) => "unknown_short_code",
            MtError::UnknownProgram { .. } => "unknown_program",
            MtError::EmptyText => "empty_text",
            MtError::InFlight(_) => "in_flight",
            MtError::Store(_) => "store_error",
            MtError::Carrier(_) => "carrier_error",
        }
    }
}

/// An MT to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MtRequest {
    /// The short code it is sent from.
    pub from: String,
    /// The subscriber.
    pub to: String,
    /// The text.
    pub text: String,
    /// The program sending it (opens a conversation when it has a handler).
    pub program: Option<String>,
    /// Why it is sent.
    pub kind: MtKind,
}

/// A sent MT.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MtSent {
    /// Our id.
    pub id: String,
    /// The carrier's `message_id` of each part.
    pub message_ids: Vec<String>,
}

/// Sends MTs (see the module documentation).
pub struct Outbound {
    config: Arc<Config>,
    store: Arc<dyn Store>,
    carrier: Arc<dyn Carrier>,
    gate: ConsentGate,
    inflight: Mutex<HashSet<String>>,
}

impl std::fmt::Debug for Outbound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbound").finish_non_exhaustive()
    }
}

struct InflightGuard<'a> {
    set: &'a Mutex<HashSet<String>>,
    id: String,
}

impl Drop for InflightGuard<'_> {
    fn drop(&mut self) {
        self.set
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.id);
    }
}

impl Outbound {
    /// Sends through `carrier`, ordering opt-outs with `gate`.
    pub fn new(
        config: Arc<Config>,
        store: Arc<dyn Store>,
        carrier: Arc<dyn Carrier>,
        gate: ConsentGate,
    ) -> Outbound {
        Outbound {
            config,
            store,
            carrier,
            gate,
            inflight: Mutex::new(HashSet::new()),
        }
    }

    /// Stores and sends a new MT. Refused ([`MtError::OptedOut`]) when the subscriber opted out.
    pub async fn send(&self, req: MtRequest) -> Result<MtSent, MtError> {
        if self.config.short_code(&req.from).is_none() {
            return Err(MtError::UnknownShortCode(req.from));
        }
        if let Some(p) = &req.program
            && self
                .config
                .program(p)
                .is_none_or(|q| q.short_code != req.from)
        {
            return Err(MtError::UnknownProgram {
                program: p.clone(),
                short_code: req.from,
            });
        }
        if req.text.trim().is_empty() {
            return Err(MtError::EmptyText);
        }
        let mt = MtRecord {
            id: new_id("mt"),
            created_at: now_ms(),
            short_code: req.from,
            subscriber: req.to,
            program: req.program,
            text: req.text,
            kind: req.kind,
            bypass_optout: false,
            state: MtState::Queued,
            error: None,
        };
        self.store.insert_mt(&mt).await?;
        self.deliver(&mt).await
    }

    /// Sends an MT already stored as queued (compliance answers, MTs left queued at a restart).
    pub async fn deliver(&self, mt: &MtRecord) -> Result<MtSent, MtError> {
        if !self
            .inflight
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(mt.id.clone())
        {
            return Err(MtError::InFlight(mt.id.clone()));
        }
        let _inflight = InflightGuard {
            set: &self.inflight,
            id: mt.id.clone(),
        };
        // Held until the carrier answered: an opt-out recorded meanwhile waits for us, so it
        // is either seen here or recorded after this MT reached the carrier.
        let _consent = self.gate.lock(&mt.subscriber).await;
        if !mt.bypass_optout && self.store.opted_out(&mt.subscriber, &mt.short_code).await? {
            let err = MtError::OptedOut {
                subscriber: mt.subscriber.clone(),
                short_code: mt.short_code.clone(),
            };
            let msg = err.to_string();
            self.store
                .finish_mt(&mt.id, MtState::Refused, Some(&msg), &[])
                .await?;
            tracing::info!(mt = %mt.id, to = %mt.subscriber, "MT refused: recipient opted out");
            return Err(err);
        }
        let sm = OutboundSm {
            from: mt.short_code.clone(),
            to: mt.subscriber.clone(),
            text: mt.text.clone(),
        };
        match self.carrier.submit(&sm).await {
            Ok(ids) => {
                self.store
                    .finish_mt(&mt.id, MtState::Sent, None, &ids)
                    .await?;
                if matches!(mt.kind, MtKind::Reply | MtKind::Api)
                    && let Some(c) = mt.program.as_deref().and_then(|p| {
                        conversation::for_mt(&self.config, p, &mt.subscriber, now_ms())
                    })
                {
                    self.store.put_conversation(&c).await?;
                }
                Ok(MtSent {
                    id: mt.id.clone(),
                    message_ids: ids,
                })
            }
            Err(e) if e.is_temporary() => {
                tracing::warn!(mt = %mt.id, error = %e, "MT not sent yet; it stays queued");
                Err(e.into())
            }
            Err(e) => {
                let msg = e.to_string();
                self.store
                    .finish_mt(&mt.id, MtState::Failed, Some(&msg), &[])
                    .await?;
                tracing::warn!(mt = %mt.id, error = %e, "MT failed");
                Err(e.into())
            }
        }
    }

    /// Sends the MTs left queued (at start, and periodically for temporary failures).
    pub async fn resend_queued(&self, older_than_ms: i64) -> Result<usize, StoreError> {
        let now = now_ms();
        let mut n = 0;
        for mt in self.store.queued_mts(256).await? {
            if now - mt.created_at < older_than_ms {
                continue;
            }
            if self.deliver(&mt).await.is_ok() {
                n += 1;
            }
        }
        Ok(n)
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::carrier::CarrierFuture;
    use crate::store::{ConsentChange, InboundWrite, MoWrite, SqliteStore};

    #[derive(Default)]
    struct Recorder(Mutex<Vec<OutboundSm>>);

    impl Carrier for Recorder {
        fn submit<'a>(
            &'a self,
            sm: &'a OutboundSm,
        ) -> CarrierFuture<'a, Result<Vec<String>, CarrierError>> {
            Box::pin(async move {
                let mut g = self.0.lock().unwrap();
                g.push(sm.clone());
                Ok(vec![format!("ID{}", g.len())])
            })
        }
    }

    #[tokio::test]
    async fn refuses_mt_to_opted_out_and_lets_confirmation_pass() {
        let dir = tempfile::tempdir().unwrap();
        let config = Arc::new(
            Config::parse(&crate::config::tests::SAMPLE.replace(
                "path = \"router.db\"",
                &format!("path = {:?}", dir.path().join("r.db")),
            ))
            .unwrap(),
        );
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&config.store.path).await.unwrap());
        let carrier = Arc::new(Recorder::default());
        let out = Outbound::new(
            config.clone(),
            store.clone(),
            carrier.clone(),
            ConsentGate::default(),
        );
        let req = |to: &str| MtRequest {
            from: "12345".into(),
            to: to.into(),
            text: "Deal of the day".into(),
            program: Some("coffee".into()),
            kind: MtKind::Api,
        };
        let sent = out.send(req("447700900001")).await.unwrap();
        assert_eq!(sent.message_ids, vec!["ID1".to_string()]);
        assert_eq!(store.correlate("ID1").await.unwrap(), Some(sent.id.clone()));
        // The MT opened a conversation with the program.
        let c = store
            .conversation("447700900001", "12345", now_ms())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (c.program.as_str(), c.handler.as_str()),
            ("coffee", "coffee")
        );

        store
            .write_inbound(&[InboundWrite::Mo(Box::new(MoWrite {
                consent: Some(ConsentChange {
                    subscriber: "447700900001".into(),
                    short_codes: vec!["12345".into()],
                    opted_out: true,
                    keyword: "STOP".into(),
                    at: now_ms(),
                }),
                ..MoWrite::default()
            }))])
            .await
            .unwrap();
        let err = out.send(req("447700900001")).await.unwrap_err();
        assert_eq!(err.code(), "recipient_opted_out");
        assert!(err.to_string().contains("447700900001"), "{err}");
        assert_eq!(
            carrier.0.lock().unwrap().len(),
            1,
            "nothing reached the carrier"
        );
        // The opt-out also ended the conversation.
        assert!(
            store
                .conversation("447700900001", "12345", now_ms())
                .await
                .unwrap()
                .is_none()
        );

        // The STOP confirmation is the one MT that passes.
        let confirmation = MtRecord {
            id: new_id("mt"),
            created_at: now_ms(),
            short_code: "12345".into(),
            subscriber: "447700900001".into(),
            program: Some("coffee".into()),
            text: "Coffee Club: You are unsubscribed".into(),
            kind: MtKind::Compliance,
            bypass_optout: true,
            state: MtState::Queued,
            error: None,
        };
        store.insert_mt(&confirmation).await.unwrap();
        out.deliver(&confirmation).await.unwrap();
        assert_eq!(carrier.0.lock().unwrap().len(), 2);
        let st = store.stats().await.unwrap();
        assert_eq!((st.mts_sent, st.mts_refused), (2, 1));

        // Other subscribers and bad requests.
        assert!(out.send(req("447700900002")).await.is_ok());
        let mut bad = req("447700900002");
        bad.from = "999".into();
        assert_eq!(
            out.send(bad).await.unwrap_err().code(),
            "unknown_short_code"
        );
        let mut bad = req("447700900002");
        bad.text = "  ".into();
        assert_eq!(out.send(bad).await.unwrap_err().code(), "empty_text");
    }
}
