//! `/v1/messages`: send an MT (`POST`, honouring `Idempotency-Key`), look one up with its parts
//! and full status history, search by number, short code, status, time and direction with
//! cursor paging, and resend.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::{ApiError, AppState};
use crate::delivery::service::EncodingPref;
use crate::delivery::{Accepted, MessageStatus, MtRequest};
use crate::rfc3339;
use crate::store::messages::{
    Cursor, Direction, HistoryEntry, MessageRecord, PartRecord, SearchQuery,
};

/// The JSON body of `POST /v1/messages`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SendBody {
    /// The short code.
    pub from: String,
    /// The subscriber.
    pub to: String,
    /// The text.
    pub text: String,
    /// The program.
    #[serde(default)]
    pub program: Option<String>,
    /// Where status changes are posted.
    #[serde(default)]
    pub status_callback: Option<String>,
    /// Validity period, seconds.
    #[serde(default)]
    pub validity: Option<u32>,
    /// `auto`, `gsm7` or `ucs2`.
    #[serde(default)]
    pub encoding: Option<EncodingPref>,
}

fn accepted(a: Accepted) -> Response {
    let repeated = a.repeated;
    let mut r = (StatusCode::ACCEPTED, Json(a)).into_response();
    if repeated {
        r.headers_mut().insert(
            "idempotent-replayed",
            axum::http::HeaderValue::from_static("true"),
        );
    }
    r
}

/// `POST /v1/messages`.
pub async fn send(
    State(s): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let caller = s.auth.bearer(&headers)?;
    let body = body?;
    let b: SendBody = serde_json::from_slice(&body)
        .map_err(|e| ApiError::InvalidRequest(format!("the body is not a valid message: {e}")))?;
    let idempotency_key = match headers.get("idempotency-key") {
        None => None,
        Some(v) => Some(
            v.to_str()
                .map_err(|_| ApiError::InvalidRequest("Idempotency-Key must be text".into()))?
                .to_owned(),
        ),
    };
    let a =
        s.mt.accept(MtRequest {
            from: b.from,
            to: b.to,
            text: b.text,
            program: b.program,
            status_callback: b.status_callback,
            validity_secs: b.validity,
            encoding: b.encoding.unwrap_or_default(),
            api_key: Some(caller.name),
            scope: caller.scope,
            idempotency_key,
            resend_of: None,
            dlr: None,
            callback_format: Default::default(),
        })
        .await?;
    Ok(accepted(a))
}

/// `POST /v1/messages/{id}/resend`.
pub async fn resend(
    State(s): State<AppState>,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let caller = s.auth.bearer(&headers)?;
    let Path(id) = id?;
    let a = s.mt.resend(&id, Some(caller.name), caller.scope).await?;
    Ok(accepted(a))
}

/// `GET /v1/messages/{id}`.
pub async fn get_one(
    State(s): State<AppState>,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<Value>, ApiError> {
    let caller = s.auth.bearer(&headers)?;
    let Path(id) = id?;
    let m = s.mt.get(&id, caller.scope.as_deref()).await?;
    let parts = s.mt.store().parts(&id).await?;
    let history = s.mt.store().history(&id).await?;
    let mut v = message_json(&m);
    v["parts"] = parts.iter().map(part_json).collect();
    v["history"] = history.iter().map(history_json).collect();
    Ok(Json(v))
}

/// `GET /v1/messages?to=&from=&number=&status=&since=&until=&direction=&limit=&cursor=`.
pub async fn search(
    State(s): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let caller = s.auth.bearer(&headers)?;
    let params: Vec<(String, String)> = serde_urlencoded::from_str(raw.as_deref().unwrap_or(""))
        .map_err(|e| ApiError::InvalidRequest(format!("bad query string: {e}")))?;
    let mut q = SearchQuery {
        limit: 50,
        programs: caller.scope.clone(),
        ..SearchQuery::default()
    };
    for (k, v) in params {
        let bad = |what: &str| ApiError::InvalidRequest(format!("`{k}`: {what} (got {v:?})"));
        match k.as_str() {
            "to" => q.to = Some(v.trim().trim_start_matches('+').to_owned()),
            "from" => q.from = Some(v.trim().trim_start_matches('+').to_owned()),
            "number" => q.number = Some(v.trim().trim_start_matches('+').to_owned()),
            "status" => {
                q.status = Some(
                    v.parse::<MessageStatus>()
                        .map_err(|e| ApiError::InvalidRequest(e.to_string()))?,
                )
            }
            "direction" => {
                q.direction = Some(v.parse::<Direction>().map_err(ApiError::InvalidRequest)?)
            }
            "since" => q.since = Some(parse_time(&v).ok_or_else(|| bad(TIME_HELP))?),
            "until" => q.until = Some(parse_time(&v).ok_or_else(|| bad(TIME_HELP))?),
            "limit" => {
                q.limit = v
                    .parse::<u32>()
                    .ok()
                    .filter(|l| (1..=1000).contains(l))
                    .ok_or_else(|| bad("a number from 1 to 1000"))?
            }
            "cursor" => {
                q.after = Some(
                    Cursor::decode(&v)
                        .ok_or_else(|| bad("use the next_cursor of the previous page"))?,
                )
            }
            other => {
                return Err(ApiError::InvalidRequest(format!(
                    "unknown parameter `{other}`: use to, from, number, status, since, until, \
                     direction, limit, cursor"
                )));
            }
        }
    }
    let (rows, next) = s.mt.store().search(&q).await?;
    Ok(Json(json!({
        "data": rows.iter().map(message_json).collect::<Vec<_>>(),
        "next_cursor": next.map(|c| c.encode()),
    })))
}

const TIME_HELP: &str = "an RFC 3339 time (2026-01-31T12:00:00Z) or Unix seconds";

fn parse_time(v: &str) -> Option<i64> {
    if let Ok(secs) = v.trim().parse::<i64>() {
        return secs.checked_mul(1000);
    }
    let t = time::OffsetDateTime::parse(v.trim(), &time::format_description::well_known::Rfc3339)
        .ok()?;
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok()
}

/// A message as the API shows it.
pub fn message_json(m: &MessageRecord) -> Value {
    json!({
        "id": m.id,
        "direction": m.direction,
        "kind": m.kind.map(|k| k.as_str()),
        "from": m.sender,
        "to": m.recipient,
        "text": m.body,
        "program": m.program,
        "status": m.status,
        "segments": m.segments,
        "encoding": m.encoding,
        "carrier": m.carrier,
        "status_callback": m.status_callback,
        "validity": m.validity_secs,
        "resend_of": m.resend_of,
        "error": m.error_code.as_ref().map(|c| json!({"code": c, "message": m.error_message})),
        "created_at": rfc3339(m.created_at),
        "updated_at": rfc3339(m.updated_at),
    })
}

fn part_json(p: &PartRecord) -> Value {
    json!({
        "part": p.part_no,
        "status": p.status,
        "carrier": p.carrier,
        "carrier_message_id": p.smsc_id,
        "stat": p.stat,
        "err": p.err,
        "command_status": p.command_status,
        "updated_at": rfc3339(p.updated_at),
    })
}

fn history_json(h: &HistoryEntry) -> Value {
    json!({
        "part": h.part_no,
        "status": h.status,
        "at": rfc3339(h.at),
        "stat": h.stat,
        "err": h.err,
        "command_status": h.command_status,
        "detail": h.detail,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        assert_eq!(parse_time("1700000000"), Some(1_700_000_000_000));
        assert_eq!(parse_time("1970-01-01T00:00:01Z"), Some(1000));
        assert_eq!(parse_time("yesterday"), None);
    }
}
