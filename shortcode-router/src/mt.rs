//! The MO pipeline's MT edge: [`Outbound`] hands its replies and compliance answers to the MT
//! pipeline ([`MtService`]), so every MT the service sends is in the one message history
//! (`mt_messages`), checked against the opt-outs under the one [`ConsentGate`] the MT pipeline
//! owns, and its receipts are rolled up there. An MT to an opted-out subscriber is refused with
//! [`MtError::OptedOut`] and never reaches a carrier (only the STOP confirmation passes). A
//! handler's reply opens or refreshes the program's conversation.

use std::sync::Arc;

use crate::compliance::ConsentGate;
use crate::config::Config;
use crate::delivery::MtService;
use crate::delivery::service::MtError as PipelineError;
use crate::store::{MtKind, MtRecord, Store, StoreError};
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
    /// The router's store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The MT pipeline did not take it.
    #[error("mt_pipeline: {0}")]
    Pipeline(PipelineError),
}

impl From<PipelineError> for MtError {
    fn from(e: PipelineError) -> Self {
        match e {
            PipelineError::OptedOut { to, from } => MtError::OptedOut {
                subscriber: to,
                short_code: from,
            },
            other => MtError::Pipeline(other),
        }
    }
}

impl MtError {
    /// The stable error code (the part before the colon).
    pub fn code(&self) -> &'static str {
        match self {
            MtError::OptedOut { .. } => "recipient_opted_out",
            MtError::UnknownShortCode(_) => "unknown_short_code",
            MtError::UnknownProgram { .. } => "unknown_program",
            MtError::EmptyText => "empty_text",
            MtError::Store(_) => "store_error",
            MtError::Pipeline(_) => "mt_pipeline_error",
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

/// Sends the MO pipeline's MTs through the MT pipeline (see the module documentation).
pub struct Outbound {
    config: Arc<Config>,
    store: Arc<dyn Store>,
    mt: Arc<MtService>,
}

impl std::fmt::Debug for Outbound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbound").finish_non_exhaustive()
    }
}

impl Outbound {
    /// Sends through `mt` (whose consent gate orders opt-outs against every MT).
    pub fn new(config: Arc<Config>, store: Arc<dyn Store>, mt: Arc<MtService>) -> Outbound {
        Outbound { config, store, mt }
    }

    /// The consent gate: the MT pipeline's own, so there is one per service by construction.
    pub fn gate(&self) -> &ConsentGate {
        self.mt.gate()
    }

    /// The MT pipeline.
    pub fn mt(&self) -> &Arc<MtService> {
        &self.mt
    }

    /// Records and sends a new MT; returns its id. Refused ([`MtError::OptedOut`]) when the
    /// subscriber opted out.
    pub async fn send(&self, req: MtRequest) -> Result<String, MtError> {
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
            id: new_id("msg"),
            created_at: now_ms(),
            short_code: req.from,
            subscriber: req.to,
            program: req.program,
            text: req.text,
            kind: req.kind,
            bypass_optout: false,
        };
        let id = self.mt.send_internal(&mt).await?;
        if matches!(mt.kind, MtKind::Reply | MtKind::Api)
            && let Some(c) = mt
                .program
                .as_deref()
                .and_then(|p| conversation::for_mt(&self.config, p, &mt.subscriber, now_ms()))
        {
            self.store.put_conversation(&c).await?;
        }
        Ok(id)
    }

    /// Submits an MT the MO pipeline recorded with its MO (compliance answers).
    pub async fn deliver(&self, mt: &MtRecord) -> Result<(), MtError> {
        Ok(self.mt.submit_stored(mt).await?)
    }
}
