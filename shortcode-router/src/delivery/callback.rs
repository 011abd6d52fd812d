//! Status callbacks: each change of an MT's status is `POST`ed as JSON to the message's
//! `status_callback`, signed the Standard Webhooks way (with [`crate::signing`]), retried with
//! exponential backoff and jitter up to a limit; drained on shutdown within a deadline.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::sync::Semaphore;

use crate::delivery::status::MessageStatus;
use crate::signing::standard_signature;

/// Most callbacks in flight (each with its retries).
const MAX_IN_FLIGHT: u32 = 1024;

/// How callbacks are retried.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CallbackSettings {
    /// Attempts in all (at least 1).
    pub max_attempts: u32,
    /// First retry delay, milliseconds; doubles each time, with up to 25 % jitter.
    pub initial_backoff_ms: u64,
    /// Longest retry delay, milliseconds.
    pub max_backoff_ms: u64,
    /// Whole request timeout, milliseconds.
    pub timeout_ms: u64,
}

impl Default for CallbackSettings {
    fn default() -> Self {
        CallbackSettings {
            max_attempts: 8,
            initial_backoff_ms: 500,
            max_backoff_ms: 60_000,
            timeout_ms: 15_000,
        }
    }
}

/// The `data` of a `message.status` callback.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct StatusEvent {
    /// Our message id.
    pub id: String,
    /// The new status.
    pub status: MessageStatus,
    /// The status before.
    pub previous_status: MessageStatus,
    /// The short code.
    pub from: String,
    /// The subscriber.
    pub to: String,
    /// Parts.
    pub segments: u32,
    /// Raw receipt `stat:` that caused it, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stat: Option<String>,
    /// Raw receipt `err:`, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub err: Option<String>,
    /// Raw `command_status`, if a response caused it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command_status: Option<u32>,
    /// When (RFC 3339).
    pub at: String,
}

/// One callback to deliver.
#[derive(Clone, Debug)]
pub struct Callback {
    /// Where.
    pub url: String,
    /// The signing key (decoded `whsec_` secret); unsigned when `None`.
    pub key: Option<Arc<Vec<u8>>>,
    /// What.
    pub event: StatusEvent,
}

/// Sends callbacks in the background.
#[derive(Clone, Debug)]
pub struct Callbacks {
    client: reqwest::Client,
    settings: CallbackSettings,
    slots: Arc<Semaphore>,
}

impl Callbacks {
    /// A sender with `settings`.
    pub fn new(settings: CallbackSettings) -> Self {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_millis(settings.timeout_ms.max(1)))
            .build()
            .unwrap_or_default();
        Callbacks {
            client,
            settings,
            slots: Arc::new(Semaphore::new(MAX_IN_FLIGHT as usize)),
        }
    }

    /// Queues `cb`; waits only when [`MAX_IN_FLIGHT`] callbacks are already under way.
    pub async fn send(&self, cb: Callback) {
        let Ok(permit) = self.slots.clone().acquire_owned().await else {
            return; // closed: shutting down
        };
        let this = self.clone();
        tokio::spawn(async move {
            this.deliver(cb).await;
            drop(permit);
        });
    }

    /// Waits until every queued callback is delivered or given up, at most `deadline`;
    /// `true` when all finished.
    pub async fn drain(&self, deadline: Duration) -> bool {
        tokio::time::timeout(deadline, self.slots.acquire_many(MAX_IN_FLIGHT))
            .await
            .is_ok_and(|r| r.is_ok())
    }

    /// Queues a plain `GET` of `url` (a Kannel `dlr-url`), retried like the JSON callbacks.
    pub async fn send_get(&self, url: String) {
        let Ok(permit) = self.slots.clone().acquire_owned().await else {
            return;
        };
        let this = self.clone();
        tokio::spawn(async move {
            let mut backoff = Duration::from_millis(this.settings.initial_backoff_ms.max(1));
            for attempt in 1..=this.settings.max_attempts.max(1) {
                match this.client.get(&url).send().await {
                    Ok(r) if r.status().is_success() => break,
                    Ok(r) => tracing::warn!(%url, status = %r.status(), attempt, "dlr-url refused"),
                    Err(e) => tracing::warn!(%url, error = %e, attempt, "dlr-url failed"),
                }
                if attempt == this.settings.max_attempts.max(1) {
                    tracing::error!(%url, "dlr-url given up");
                    break;
                }
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_millis(this.settings.max_backoff_ms));
            }
            drop(permit);
        });
    }

    async fn deliver(&self, cb: Callback) {
        let webhook_id = format!("{}-{}", cb.event.id, cb.event.status);
        let body = bytes::Bytes::from(body_of(&cb.event));
        let mut backoff = Duration::from_millis(self.settings.initial_backoff_ms.max(1));
        for attempt in 1..=self.settings.max_attempts.max(1) {
            let started = Instant::now();
            let ts = crate::store::messages::now_ms() / 1000;
            let mut req = self
                .client
                .post(&cb.url)
                .header("content-type", "application/json")
                .header("webhook-id", &webhook_id)
                .header("webhook-timestamp", ts.to_string());
            if let Some(key) = &cb.key {
                req = req.header(
                    "webhook-signature",
                    standard_signature(key, &webhook_id, ts, &body),
                );
            }
            let outcome = req.body(body.clone()).send().await;
            metrics::histogram!("router_status_callback_seconds")
                .record(started.elapsed().as_secs_f64());
            match outcome {
                Ok(r) if r.status().is_success() => {
                    metrics::counter!("router_status_callbacks_total", "outcome" => "delivered")
                        .increment(1);
                    return;
                }
                Ok(r) => {
                    tracing::warn!(url = %cb.url, status = %r.status(), attempt, "status callback refused")
                }
                Err(e) => {
                    tracing::warn!(url = %cb.url, error = %e, attempt, "status callback failed")
                }
            }
            metrics::counter!("router_status_callbacks_total", "outcome" => "retry").increment(1);
            if attempt == self.settings.max_attempts.max(1) {
                break;
            }
            let jitter = rand::random_range(0..=backoff.as_millis() as u64 / 4);
            tokio::time::sleep(backoff + Duration::from_millis(jitter)).await;
            backoff = (backoff * 2).min(Duration::from_millis(self.settings.max_backoff_ms));
        }
        metrics::counter!("router_status_callbacks_total", "outcome" => "dropped").increment(1);
        tracing::error!(url = %cb.url, id = %cb.event.id, "status callback given up");
    }
}

/// The callback's JSON body, `{"data": {...}, "type": "message.status"}`, written straight from
/// the event (keys in name order, as a JSON object map writes them; no `Value` tree).
fn body_of(e: &StatusEvent) -> Vec<u8> {
    #[derive(Serialize)]
    struct Data<'a> {
        at: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        command_status: Option<u32>,
        #[serde(skip_serializing_if = "Option::is_none")]
        err: Option<&'a str>,
        from: &'a str,
        id: &'a str,
        previous_status: MessageStatus,
        segments: u32,
        #[serde(skip_serializing_if = "Option::is_none")]
        stat: Option<&'a str>,
        status: MessageStatus,
        to: &'a str,
    }
    #[derive(Serialize)]
    struct Body<'a> {
        data: Data<'a>,
        #[serde(rename = "type")]
        kind: &'static str,
    }
    let body = Body {
        data: Data {
            at: &e.at,
            command_status: e.command_status,
            err: e.err.as_deref(),
            from: &e.from,
            id: &e.id,
            previous_status: e.previous_status,
            segments: e.segments,
            stat: e.stat.as_deref(),
            status: e.status,
            to: &e.to,
        },
        kind: "message.status",
    };
    serde_json::to_vec(&body).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_is_what_the_json_map_wrote() {
        for (stat, cs) in [(None, Some(0)), (Some("DELIVRD".to_owned()), None)] {
            let e = StatusEvent {
                id: "msg_1".into(),
                status: MessageStatus::Delivered,
                previous_status: MessageStatus::Sent,
                from: "12345".into(),
                to: "447700900123".into(),
                segments: 1,
                stat: stat.clone(),
                err: stat.as_ref().map(|_| "000".to_owned()),
                command_status: cs,
                at: "2026-12-03T16:00:00.000Z".into(),
            };
            let old = serde_json::json!({"type": "message.status", "data": e}).to_string();
            assert_eq!(String::from_utf8(body_of(&e)).unwrap(), old);
        }
    }
}
