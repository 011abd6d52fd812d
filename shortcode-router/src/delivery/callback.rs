//! Status callbacks: each change of an MT's status is `POST`ed as JSON to the message's
//! `status_callback`, signed the Standard Webhooks way (with [`crate::signing`]), retried with
//! exponential backoff and jitter up to a limit; drained on shutdown within a deadline.
//!
//! They go out through hyper's pooled HTTP/1.1 client (rustls with the webpki roots for
//! `https`): one callback is one request on a kept-alive connection. Redirects are not
//! followed: a 3xx answer is a failed attempt, as with most webhook senders.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use serde::Serialize;
use tokio::sync::Semaphore;

use crate::api::jasmin::ACK;
use crate::delivery::status::MessageStatus;
use crate::http_out::{self, target};
use crate::signing::standard_signature;

/// Most callbacks in flight (each with its retries).
const MAX_IN_FLIGHT: u32 = 1024;
/// Most of an answer's body read (to the end, so that its connection can be used again).
const MAX_ANSWER: usize = 64 * 1024;

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
    /// The hosts that status callbacks (and Kannel `dlr-url`s) may go to: a host name or
    /// address, or `.example.com` for that domain and its subdomains. Empty: any host. Keeps
    /// API clients from making the service call internal addresses.
    pub allowed_hosts: Vec<String>,
}

impl Default for CallbackSettings {
    fn default() -> Self {
        CallbackSettings {
            max_attempts: 8,
            initial_backoff_ms: 500,
            max_backoff_ms: 60_000,
            timeout_ms: 15_000,
            allowed_hosts: Vec::new(),
        }
    }
}

impl CallbackSettings {
    /// Refuses a callback URL that is not http(s) or whose host `allowed_hosts` leaves out.
    pub fn check_url(&self, what: &str, url: &str) -> Result<(), String> {
        let parsed = reqwest::Url::parse(url)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"));
        let Some(host) = parsed.as_ref().and_then(|u| u.host_str()) else {
            return Err(format!("`{what}` {url:?} is not an http(s) URL"));
        };
        if self.allowed_hosts.is_empty() {
            return Ok(());
        }
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let allowed = self.allowed_hosts.iter().any(|a| {
            let a = a.trim_start_matches('[').trim_end_matches(']');
            match a.strip_prefix('.') {
                Some(domain) => {
                    host.eq_ignore_ascii_case(domain)
                        || host.len() > domain.len()
                            && host.as_bytes()[host.len() - domain.len() - 1] == b'.'
                            && host[host.len() - domain.len()..].eq_ignore_ascii_case(domain)
                }
                None => host.eq_ignore_ascii_case(a),
            }
        });
        if allowed {
            Ok(())
        } else {
            Err(format!(
                "`{what}` host {host} is not allowed ([mt.callbacks] allowed_hosts)"
            ))
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
    client: http_out::Client,
    settings: CallbackSettings,
    slots: Arc<Semaphore>,
}

impl Callbacks {
    /// A sender with `settings`. Fails only when TLS cannot be set up.
    pub fn new(settings: CallbackSettings) -> Result<Self, String> {
        Ok(Callbacks {
            client: http_out::client(Duration::from_secs(5), usize::MAX)
                .map_err(|e| format!("status callbacks: {e}"))?,
            settings,
            slots: Arc::new(Semaphore::new(MAX_IN_FLIGHT as usize)),
        })
    }

    /// The settings it was made with.
    pub fn settings(&self) -> &CallbackSettings {
        &self.settings
    }

    /// Queues `cb`; waits only when `MAX_IN_FLIGHT` callbacks are already under way.
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

    /// Queues a `GET` of `url` (a Kannel `dlr-url`, placeholders filled in), retried like
    /// status callbacks.
    pub async fn send_get(&self, url: String) {
        self.retried("dlr-url", url, None, |uri| {
            http::Request::get(uri)
                .header(http::header::USER_AGENT, http_out::USER_AGENT)
                .body(Full::default())
        })
        .await;
    }

    /// Queues a Twilio-form status callback: `params` `POST`ed form-encoded to `url`, with
    /// `X-Twilio-Signature` made with `auth_token` (unsigned without one), retried like the
    /// others.
    pub async fn send_form(
        &self,
        url: String,
        auth_token: Option<String>,
        params: Vec<(String, String)>,
    ) {
        let signature = auth_token.map(|t| crate::signing::twilio_signature(&t, &url, &params));
        let body = Bytes::from(serde_urlencoded::to_string(&params).unwrap_or_default());
        self.retried("status callback", url, None, move |uri| {
            let mut req = http::Request::post(uri)
                .header(http::header::USER_AGENT, http_out::USER_AGENT)
                .header(
                    http::header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded",
                );
            if let Some(sig) = &signature {
                req = req.header("x-twilio-signature", sig);
            }
            req.body(Full::new(body.clone()))
        })
        .await;
    }

    /// Queues a Jasmin DLR: `params` as a form body `POST`ed to `url`, or added to its query
    /// for a `GET`; retried like the others until the answer is a 2xx whose body is
    /// `ACK/Jasmin`, as Jasmin's DLR thrower retries.
    pub async fn send_jasmin(&self, url: String, post: bool, params: Vec<(&'static str, String)>) {
        let form = serde_urlencoded::to_string(&params).unwrap_or_default();
        if post {
            let body = Bytes::from(form);
            self.retried("dlr-url", url, Some(ACK.as_bytes()), move |uri| {
                http::Request::post(uri)
                    .header(http::header::USER_AGENT, http_out::USER_AGENT)
                    .header(
                        http::header::CONTENT_TYPE,
                        "application/x-www-form-urlencoded",
                    )
                    .body(Full::new(body.clone()))
            })
            .await;
        } else {
            let sep = if url.contains('?') { '&' } else { '?' };
            let url = format!("{url}{sep}{form}");
            self.retried("dlr-url", url, Some(ACK.as_bytes()), |uri| {
                http::Request::get(uri)
                    .header(http::header::USER_AGENT, http_out::USER_AGENT)
                    .body(Full::default())
            })
            .await;
        }
    }

    /// Sends the request `make` builds for `url` in the background until a 2xx (whose body
    /// starts with `ack`, when given), with backoff, at most `max_attempts` times; counted in
    /// the same metrics as the JSON callbacks.
    async fn retried<F>(&self, what: &'static str, url: String, ack: Option<&'static [u8]>, make: F)
    where
        F: Fn(http::Uri) -> http::Result<http::Request<Full<Bytes>>> + Send + 'static,
    {
        let Ok(permit) = self.slots.clone().acquire_owned().await else {
            return;
        };
        let this = self.clone();
        tokio::spawn(async move {
            let mut backoff = Duration::from_millis(this.settings.initial_backoff_ms.max(1));
            for attempt in 1..=this.settings.max_attempts.max(1) {
                let started = Instant::now();
                let req = target(&url).and_then(|uri| make(uri).map_err(|e| e.to_string()));
                let outcome = match req {
                    Ok(req) => this.exchange_body(req).await,
                    Err(e) => Err(e),
                };
                metrics::histogram!("router_status_callback_seconds")
                    .record(started.elapsed().as_secs_f64());
                let acked = |body: &Option<Bytes>| {
                    ack.is_none_or(|a| body.as_ref().is_some_and(|b| b.starts_with(a)))
                };
                match outcome {
                    Ok((status, body)) if status.is_success() && acked(&body) => {
                        metrics::counter!("router_status_callbacks_total", "outcome" => "delivered")
                            .increment(1);
                        break;
                    }
                    Ok((status, _)) => tracing::warn!(%url, %status, attempt, "{what} refused"),
                    Err(error) => tracing::warn!(%url, %error, attempt, "{what} failed"),
                }
                if attempt == this.settings.max_attempts.max(1) {
                    metrics::counter!("router_status_callbacks_total", "outcome" => "dropped")
                        .increment(1);
                    tracing::error!(%url, "{what} given up");
                    break;
                }
                metrics::counter!("router_status_callbacks_total", "outcome" => "retry")
                    .increment(1);
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_millis(this.settings.max_backoff_ms));
            }
            drop(permit);
        });
    }

    /// One request, answer read to the end, within the configured timeout: the status.
    async fn exchange(&self, req: http::Request<Full<Bytes>>) -> Result<http::StatusCode, String> {
        self.exchange_body(req).await.map(|(status, _)| status)
    }

    /// [`exchange`](Self::exchange), with the answer's body (`None` when longer than
    /// `MAX_ANSWER` or broken: that costs only the connection).
    async fn exchange_body(
        &self,
        req: http::Request<Full<Bytes>>,
    ) -> Result<(http::StatusCode, Option<Bytes>), String> {
        let timeout = Duration::from_millis(self.settings.timeout_ms.max(1));
        http_out::exchange(&self.client, req, timeout, MAX_ANSWER)
            .await
            .map(|a| (a.status, a.body))
    }

    async fn deliver(&self, cb: Callback) {
        let webhook_id = format!("{}-{}", cb.event.id, cb.event.status);
        let body = Bytes::from(body_of(&cb.event));
        let uri = target(&cb.url);
        let mut backoff = Duration::from_millis(self.settings.initial_backoff_ms.max(1));
        for attempt in 1..=self.settings.max_attempts.max(1) {
            let started = Instant::now();
            let ts = crate::store::messages::now_ms() / 1000;
            let req = uri.clone().and_then(|uri| {
                let mut req = http::Request::post(uri)
                    .header(http::header::USER_AGENT, http_out::USER_AGENT)
                    .header(http::header::CONTENT_TYPE, "application/json")
                    .header("webhook-id", &webhook_id)
                    .header("webhook-timestamp", ts);
                if let Some(key) = &cb.key {
                    req = req.header(
                        "webhook-signature",
                        standard_signature(key, &webhook_id, ts, &body),
                    );
                }
                req.body(Full::new(body.clone())).map_err(|e| e.to_string())
            });
            let outcome = match req {
                Ok(req) => self.exchange(req).await,
                Err(e) => Err(e),
            };
            metrics::histogram!("router_status_callback_seconds")
                .record(started.elapsed().as_secs_f64());
            match outcome {
                Ok(status) if status.is_success() => {
                    metrics::counter!("router_status_callbacks_total", "outcome" => "delivered")
                        .increment(1);
                    return;
                }
                Ok(status) => {
                    tracing::warn!(url = %cb.url, %status, attempt, "status callback refused")
                }
                Err(error) => {
                    tracing::warn!(url = %cb.url, %error, attempt, "status callback failed")
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
                stat: stat.clone(),
                err: stat.as_ref().map(|_| "000".to_owned()),
                command_status: cs,
                ..event()
            };
            let old = serde_json::json!({"type": "message.status", "data": e}).to_string();
            assert_eq!(String::from_utf8(body_of(&e)).unwrap(), old);
        }
    }

    #[test]
    fn targets_are_taken_as_written_or_percent_encoded() {
        assert_eq!(
            target("http://127.0.0.1:8080/cb?x=1").unwrap().to_string(),
            "http://127.0.0.1:8080/cb?x=1"
        );
        assert_eq!(
            target("http://example.com/dlr?text=a b")
                .unwrap()
                .to_string(),
            "http://example.com/dlr?text=a%20b"
        );
        assert!(target("not a url").is_err());
    }

    /// A local HTTP/1.1 server answering each request with the next of `answers` (the last one
    /// once they run out); counts connections and records request heads.
    async fn server(
        answers: Vec<&'static str>,
    ) -> (
        std::net::SocketAddr,
        Arc<std::sync::atomic::AtomicUsize>,
        Arc<std::sync::Mutex<Vec<String>>>,
    ) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let conns = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let heads = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (c, h) = (conns.clone(), heads.clone());
        tokio::spawn(async move {
            while let Ok((mut sock, _)) = l.accept().await {
                c.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let (h, answers) = (h.clone(), answers.clone());
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    loop {
                        // A head, then its content-length body.
                        let end = loop {
                            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                                break i + 4;
                            }
                            let mut chunk = [0u8; 4096];
                            match sock.read(&mut chunk).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => buf.extend_from_slice(&chunk[..n]),
                            }
                        };
                        let head = String::from_utf8_lossy(&buf[..end]).to_lowercase();
                        let len: usize = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .map_or(0, |v| v.trim().parse().unwrap());
                        while buf.len() < end + len {
                            let mut chunk = [0u8; 4096];
                            match sock.read(&mut chunk).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => buf.extend_from_slice(&chunk[..n]),
                            }
                        }
                        buf.drain(..end + len);
                        let n = {
                            let mut h = h.lock().unwrap();
                            h.push(head);
                            h.len()
                        };
                        let answer = answers[(n - 1).min(answers.len() - 1)];
                        if sock.write_all(answer.as_bytes()).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        (addr, conns, heads)
    }

    fn event() -> StatusEvent {
        StatusEvent {
            id: "msg_1".into(),
            status: MessageStatus::Delivered,
            previous_status: MessageStatus::Sent,
            from: "12345".into(),
            to: "447700900123".into(),
            segments: 1,
            stat: None,
            err: None,
            command_status: None,
            at: "2026-12-03T16:00:00.000Z".into(),
        }
    }

    fn quick(max_attempts: u32) -> Callbacks {
        Callbacks::new(CallbackSettings {
            max_attempts,
            initial_backoff_ms: 5,
            max_backoff_ms: 10,
            timeout_ms: 2_000,
            ..CallbackSettings::default()
        })
        .unwrap()
    }

    #[test]
    fn callback_urls_are_http_to_allowed_hosts() {
        let any = CallbackSettings::default();
        assert!(any.check_url("u", "https://app.example/s").is_ok());
        assert!(any.check_url("u", "http://10.0.0.1:81/s?x=%d").is_ok());
        for bad in ["ftp://x/", "mailto:a@b", "not a url", "http://"] {
            let e = any.check_url("status_callback", bad).unwrap_err();
            assert!(e.contains("not an http(s) URL"), "{bad}: {e}");
        }
        let some = CallbackSettings {
            allowed_hosts: vec![".example.com".into(), "127.0.0.1".into(), "[::1]".into()],
            ..CallbackSettings::default()
        };
        for ok in [
            "https://example.com/s",
            "https://hooks.EXAMPLE.com/s",
            "https://a.b.example.com:8443/s",
            "http://127.0.0.1:9/s",
            "http://[::1]:9/s",
        ] {
            assert!(some.check_url("u", ok).is_ok(), "{ok}");
        }
        for no in [
            "https://evilexample.com/s",
            "https://example.com.evil.net/s",
            "http://169.254.169.254/latest",
            "http://localhost/s",
            "http://127.0.0.2/s",
        ] {
            let e = some.check_url("dlr-url", no).unwrap_err();
            assert!(
                e.contains("allowed_hosts") && e.contains("dlr-url"),
                "{no}: {e}"
            );
        }
    }

    #[tokio::test]
    async fn callbacks_are_signed_and_share_one_kept_alive_connection() {
        let (addr, conns, heads) = server(vec!["HTTP/1.1 204 No Content\r\n\r\n"]).await;
        let cbs = quick(3);
        for _ in 0..5 {
            cbs.send(Callback {
                url: format!("http://{addr}/cb"),
                key: Some(Arc::new(b"secret".to_vec())),
                event: event(),
            })
            .await;
            assert!(cbs.drain(Duration::from_secs(5)).await);
        }
        let heads = heads.lock().unwrap().clone();
        assert_eq!(heads.len(), 5);
        assert!(heads[0].starts_with("post /cb http/1.1"), "{}", heads[0]);
        assert!(heads[0].contains("webhook-signature: v1,"), "{}", heads[0]);
        assert!(
            heads[0].contains("user-agent: shortcode-router/"),
            "{}",
            heads[0]
        );
        assert!(
            heads[0].contains("webhook-id: msg_1-delivered"),
            "{}",
            heads[0]
        );
        assert_eq!(conns.load(std::sync::atomic::Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_redirect_is_a_failed_attempt_not_followed() {
        let (addr, _, heads) = server(vec![
            "HTTP/1.1 302 Found\r\nlocation: /elsewhere\r\ncontent-length: 0\r\n\r\n",
        ])
        .await;
        let cbs = quick(2);
        cbs.send(Callback {
            url: format!("http://{addr}/cb"),
            key: None,
            event: event(),
        })
        .await;
        assert!(cbs.drain(Duration::from_secs(5)).await);
        let heads = heads.lock().unwrap().clone();
        assert_eq!(heads.len(), 2, "two attempts, both at the callback URL");
        assert!(heads.iter().all(|h| h.starts_with("post /cb ")));
    }
}
