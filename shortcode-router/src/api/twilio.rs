//! The Twilio-compatible Messages API: `POST` and `GET /2010-04-01/Accounts/{AccountSid}/
//! Messages.json` and `GET .../Messages/{Sid}.json`, so that code written against Twilio's REST
//! API (or its SDKs, pointed at this service) sends on our short codes unchanged.
//!
//! The account SID is an API key's name and the auth token its token (HTTP Basic, as Twilio's
//! SDKs send them). Messages go through the same pipeline as `/v1/messages` (opt-outs, quiet
//! hours, routing, receipts); answers and errors take Twilio's JSON shapes, and a message's
//! `StatusCallback` gets Twilio's form (`MessageSid`, `MessageStatus`, ...) signed with
//! `X-Twilio-Signature` under the key's token.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::{Value, json};

use crate::api::{AppState, Caller};
use crate::delivery::service::{EncodingPref, MAX_TEXT_CHARS};
use crate::delivery::{MessageStatus, MtError, MtRequest};
use crate::store::MtKind;
use crate::store::messages::{CallbackFormat, Cursor, Direction, MessageRecord, SearchQuery};

/// The API version in every path and answer.
pub const API_VERSION: &str = "2010-04-01";

/// The code of a parameter this API cannot take (Twilio's "invalid parameter").
const INVALID_PARAMETER: u32 = 20001;

/// An error in Twilio's shape: `{"code", "message", "more_info", "status"}`.
#[derive(Debug)]
pub struct TwilioError {
    status: StatusCode,
    code: u32,
    message: String,
}

impl TwilioError {
    fn new(status: StatusCode, code: u32, message: impl Into<String>) -> Self {
        TwilioError {
            status,
            code,
            message: message.into(),
        }
    }

    fn bad(code: u32, message: impl Into<String>) -> Self {
        TwilioError::new(StatusCode::BAD_REQUEST, code, message)
    }

    fn not_found(what: &str) -> Self {
        TwilioError::new(
            StatusCode::NOT_FOUND,
            20404,
            format!("The requested resource {what} was not found"),
        )
    }
}

impl IntoResponse for TwilioError {
    fn into_response(self) -> Response {
        let body = json!({
            "code": self.code,
            "message": self.message,
            "more_info": format!("https://www.twilio.com/docs/errors/{}", self.code),
            "status": self.status.as_u16(),
        });
        let mut r = (self.status, Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"shortcode-router\""),
            );
        }
        r
    }
}

impl From<MtError> for TwilioError {
    fn from(e: MtError) -> Self {
        let m = e.to_string();
        match e {
            MtError::OptedOut { .. } => TwilioError::bad(21610, m),
            MtError::UnknownShortCode(_) | MtError::NoCarrier(_) => TwilioError::bad(21606, m),
            MtError::Invalid(_) => TwilioError::bad(INVALID_PARAMETER, m),
            // Not http(s), or a host `[mt.callbacks] allowed_hosts` leaves out.
            MtError::CallbackUrl(_) => TwilioError::bad(21609, m),
            MtError::QuietHours(_) => TwilioError::new(StatusCode::TOO_MANY_REQUESTS, 20429, m),
            MtError::Forbidden(_) => TwilioError::new(StatusCode::FORBIDDEN, 20403, m),
            MtError::IdempotencyConflict(_) => TwilioError::new(StatusCode::CONFLICT, 20409, m),
            MtError::NotFound(id) => TwilioError::not_found(&format!("Message {id}")),
            MtError::ShuttingDown => TwilioError::new(StatusCode::SERVICE_UNAVAILABLE, 20503, m),
            MtError::Store(_) | MtError::OptOutCheck(_) => {
                tracing::error!(error = %m, "Twilio-compatible API request failed");
                TwilioError::new(StatusCode::INTERNAL_SERVER_ERROR, 20500, "Internal error")
            }
        }
    }
}

/// The caller of a request with `Authorization: Basic base64(AccountSid:AuthToken)`, which must
/// be the account the path names.
fn caller(s: &AppState, headers: &HeaderMap, account: &str) -> Result<Caller, TwilioError> {
    let unauthorized = || {
        TwilioError::new(
            StatusCode::UNAUTHORIZED,
            20003,
            "Authenticate: HTTP Basic with the API key's name and token",
        )
    };
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(unauthorized)?;
    let encoded = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))
        .ok_or_else(unauthorized)?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(unauthorized)?;
    let (user, token) = decoded.split_once(':').ok_or_else(unauthorized)?;
    let caller = s.auth.user_pass(user, token).ok_or_else(unauthorized)?;
    if caller.name != account {
        return Err(TwilioError::not_found(&format!("Account {account}")));
    }
    Ok(caller)
}

/// Twilio's status of ours, and the Twilio error code that goes with a failure: expired and
/// undelivered messages are `undelivered` (30003, unreachable handset), a carrier's rejection is
/// `failed` (30007, filtered by the carrier), anything else failed is `failed` (30008).
pub fn twilio_status(s: MessageStatus) -> (&'static str, Option<u32>) {
    match s {
        MessageStatus::Queued => ("queued", None),
        MessageStatus::Sent => ("sent", None),
        MessageStatus::Delivered => ("delivered", None),
        MessageStatus::Undelivered | MessageStatus::Expired => ("undelivered", Some(30003)),
        MessageStatus::Rejected => ("failed", Some(30007)),
        MessageStatus::Failed => ("failed", Some(30008)),
    }
}

fn e164(number: &str) -> String {
    if number.bytes().all(|b| b.is_ascii_digit()) && number.len() > 6 {
        format!("+{number}")
    } else {
        number.to_owned()
    }
}

fn rfc2822(ms: i64) -> Value {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc2822)
                .ok()
        })
        .map_or(Value::Null, Value::String)
}

fn message_uri(account: &str, sid: &str) -> String {
    format!("/{API_VERSION}/Accounts/{account}/Messages/{sid}.json")
}

/// A message as Twilio's Message resource.
pub fn resource(m: &MessageRecord, account: &str) -> Value {
    let (status, error_code) = twilio_status(m.status);
    let (from, to, direction) = match m.direction {
        Direction::Mo => (e164(&m.sender), m.recipient.clone(), "inbound"),
        Direction::Mt => (
            m.sender.clone(),
            e164(&m.recipient),
            if m.kind == Some(MtKind::Reply) {
                "outbound-reply"
            } else {
                "outbound-api"
            },
        ),
    };
    let uri = message_uri(account, &m.id);
    json!({
        "account_sid": account,
        "api_version": API_VERSION,
        "body": m.body,
        "date_created": rfc2822(m.created_at),
        "date_sent": if m.status == MessageStatus::Queued { Value::Null } else { rfc2822(m.updated_at) },
        "date_updated": rfc2822(m.updated_at),
        "direction": direction,
        "error_code": error_code,
        "error_message": if error_code.is_some() { json!(m.error_message) } else { Value::Null },
        "from": from,
        "messaging_service_sid": null,
        "num_media": "0",
        "num_segments": m.segments.to_string(),
        "price": null,
        "price_unit": "USD",
        "sid": m.id,
        "status": status,
        "subresource_uris": {"media": uri.replace(".json", "/Media.json")},
        "to": to,
        "uri": uri,
    })
}

/// The form fields of a Twilio status callback for `m` now in `status`.
pub fn status_params(m: &MessageRecord, status: MessageStatus) -> Vec<(String, String)> {
    let (name, error) = twilio_status(status);
    let mut p = vec![
        (
            "AccountSid".to_owned(),
            m.api_key.clone().unwrap_or_default(),
        ),
        ("ApiVersion".to_owned(), API_VERSION.to_owned()),
        ("From".to_owned(), m.sender.clone()),
        ("MessageSid".to_owned(), m.id.clone()),
        ("MessageStatus".to_owned(), name.to_owned()),
        ("SmsSid".to_owned(), m.id.clone()),
        ("SmsStatus".to_owned(), name.to_owned()),
        ("To".to_owned(), e164(&m.recipient)),
    ];
    if let Some(code) = error {
        p.push(("ErrorCode".to_owned(), code.to_string()));
    }
    p
}

fn form(body: &[u8]) -> Result<Vec<(String, String)>, TwilioError> {
    serde_urlencoded::from_bytes(body)
        .map_err(|e| TwilioError::bad(INVALID_PARAMETER, format!("the body is not a form: {e}")))
}

fn field<'a>(p: &'a [(String, String)], name: &str) -> Option<&'a str> {
    p.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

/// `POST /2010-04-01/Accounts/{AccountSid}/Messages.json` (form: `To`, `From`, `Body`, optional
/// `StatusCallback`, `ValidityPeriod` in seconds; header `I-Twilio-Idempotency-Token`).
pub async fn create(
    State(s): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Value>), TwilioError> {
    let Path(account) = path.map_err(|e| TwilioError::bad(INVALID_PARAMETER, e.body_text()))?;
    let caller = caller(&s, &headers, &account)?;
    let body = body.map_err(|e| TwilioError::bad(INVALID_PARAMETER, e.body_text()))?;
    let p = form(&body)?;
    if field(&p, "MessagingServiceSid").is_some() {
        return Err(TwilioError::bad(
            21703,
            "MessagingServiceSid is not supported: give From (a short code)",
        ));
    }
    if field(&p, "MediaUrl").is_some() {
        return Err(TwilioError::bad(
            21620,
            "MediaUrl is not supported: short-code SMS carries text only",
        ));
    }
    let to = field(&p, "To")
        .ok_or_else(|| TwilioError::bad(21604, "A 'To' phone number is required."))?;
    let digits = to.trim().trim_start_matches('+');
    if digits.is_empty() || digits.len() > 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(TwilioError::bad(
            21211,
            format!("The 'To' number {to} is not a valid phone number."),
        ));
    }
    let from = field(&p, "From")
        .ok_or_else(|| TwilioError::bad(21603, "A 'From' phone number is required."))?;
    let text =
        field(&p, "Body").ok_or_else(|| TwilioError::bad(21602, "Message body is required."))?;
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(TwilioError::bad(
            21617,
            format!("The concatenated message body exceeds the {MAX_TEXT_CHARS} character limit."),
        ));
    }
    let status_callback = field(&p, "StatusCallback").map(str::to_owned);
    let validity_secs = match field(&p, "ValidityPeriod") {
        None => None,
        Some(v) => Some(
            v.trim()
                .parse::<u32>()
                .ok()
                .filter(|v| (1..=36_000).contains(v))
                .ok_or_else(|| {
                    TwilioError::bad(
                        INVALID_PARAMETER,
                        format!("ValidityPeriod must be 1 to 36000 seconds (got {v})"),
                    )
                })?,
        ),
    };
    let idempotency_key = headers
        .get("i-twilio-idempotency-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let accepted =
        s.mt.accept(MtRequest {
            from: from.to_owned(),
            to: to.to_owned(),
            text: text.to_owned(),
            program: None,
            status_callback,
            validity_secs,
            encoding: EncodingPref::Auto,
            api_key: Some(caller.name.clone()),
            scope: caller.scope.clone(),
            idempotency_key,
            resend_of: None,
            dlr: None,
            callback_format: CallbackFormat::Twilio,
        })
        .await?;
    let m = s.mt.get(&accepted.id, caller.scope.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(resource(&m, &account))))
}

/// `GET /2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json`.
pub async fn fetch(
    State(s): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<Json<Value>, TwilioError> {
    let Path((account, file)) =
        path.map_err(|e| TwilioError::bad(INVALID_PARAMETER, e.body_text()))?;
    let caller = caller(&s, &headers, &account)?;
    let sid = file
        .strip_suffix(".json")
        .ok_or_else(|| TwilioError::not_found(&format!("Message {file}")))?;
    let m = s.mt.get(sid, caller.scope.as_deref()).await?;
    Ok(Json(resource(&m, &account)))
}

fn day_start(v: &str) -> Result<i64, TwilioError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(v.trim(), &format)
        .map(|d| d.midnight().assume_utc().unix_timestamp() * 1000)
        .map_err(|_| TwilioError::bad(INVALID_PARAMETER, format!("dates are YYYY-MM-DD (got {v})")))
}

/// `GET /2010-04-01/Accounts/{AccountSid}/Messages.json?To=&From=&DateSent=&PageSize=&
/// PageToken=`: newest first (both directions), a page at a time.
pub async fn list(
    State(s): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, TwilioError> {
    let Path(account) = path.map_err(|e| TwilioError::bad(INVALID_PARAMETER, e.body_text()))?;
    let caller = caller(&s, &headers, &account)?;
    let p = form(raw.as_deref().unwrap_or("").as_bytes())?;
    const DAY: i64 = 86_400_000;
    let mut q = SearchQuery {
        limit: 50,
        programs: caller.scope.clone(),
        ..SearchQuery::default()
    };
    for (k, v) in &p {
        match k.as_str() {
            "To" => q.to = Some(v.trim().trim_start_matches('+').to_owned()),
            "From" => q.from = Some(v.trim().trim_start_matches('+').to_owned()),
            "DateSent" => {
                let d = day_start(v)?;
                (q.since, q.until) = (Some(d), Some(d + DAY));
            }
            "DateSent>" => q.since = Some(day_start(v)?),
            "DateSent<" => q.until = Some(day_start(v)? + DAY),
            "PageSize" => {
                q.limit = v
                    .parse::<u32>()
                    .ok()
                    .filter(|n| (1..=1000).contains(n))
                    .ok_or_else(|| {
                        TwilioError::bad(
                            INVALID_PARAMETER,
                            format!("PageSize: 1 to 1000 (got {v})"),
                        )
                    })?
            }
            "PageToken" => {
                q.after = Some(Cursor::decode(v).ok_or_else(|| {
                    TwilioError::bad(
                        INVALID_PARAMETER,
                        format!("PageToken: use the one in next_page_uri (got {v})"),
                    )
                })?)
            }
            // Twilio's SDKs send the page number along with the token (it only numbers the
            // answer's `page` and `start`).
            "Page" => {
                v.parse::<u32>().map_err(|_| {
                    TwilioError::bad(INVALID_PARAMETER, format!("Page: a page number (got {v})"))
                })?;
            }
            other => {
                return Err(TwilioError::bad(
                    INVALID_PARAMETER,
                    format!(
                        "unknown parameter {other}: use To, From, DateSent, DateSent<, \
                         DateSent>, PageSize, PageToken"
                    ),
                ));
            }
        }
    }
    let (rows, next) = s.mt.store().search(&q).await.map_err(MtError::from)?;
    let base = format!("/{API_VERSION}/Accounts/{account}/Messages.json");
    let mut keep: Vec<(String, String)> = p
        .iter()
        .filter(|(k, _)| {
            matches!(
                k.as_str(),
                "To" | "From" | "DateSent" | "DateSent>" | "DateSent<"
            )
        })
        .cloned()
        .collect();
    keep.push(("PageSize".into(), q.limit.to_string()));
    let first = format!(
        "{base}?{}",
        serde_urlencoded::to_string(&keep).unwrap_or_default()
    );
    let next_uri = next.map(|c| {
        let mut with = keep.clone();
        with.push(("PageToken".into(), c.encode()));
        format!(
            "{base}?{}",
            serde_urlencoded::to_string(&with).unwrap_or_default()
        )
    });
    let page: u32 = field(&p, "Page").and_then(|v| v.parse().ok()).unwrap_or(0);
    let start = page.saturating_mul(q.limit);
    Ok(Json(json!({
        "end": start.saturating_add(rows.len() as u32).saturating_sub(1),
        "first_page_uri": first,
        "messages": rows.iter().map(|m| resource(m, &account)).collect::<Vec<_>>(),
        "next_page_uri": next_uri,
        "page": page,
        "page_size": q.limit,
        "previous_page_uri": null,
        "start": start,
        "uri": format!("{base}?{}", raw.as_deref().unwrap_or("")),
    })))
}
