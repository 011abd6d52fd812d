//! `/v1/optouts`: list, add and remove opt-outs (the same list STOP and START change), each
//! change recorded in the audit trail (`/v1/optouts/audit`) with the API key that made it.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::{ApiError, AppState, Caller};
use crate::delivery::compliance::{OptOutCursor, OptOutQuery};
use crate::rfc3339;
use crate::store::messages::{AuditCursor, AuditQuery, OptOutAudit, now_ms};

/// The JSON body of `POST /v1/optouts`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddBody {
    /// The subscriber.
    pub subscriber: String,
    /// The short code.
    pub short_code: String,
    /// Why (kept in the audit trail).
    #[serde(default)]
    pub reason: Option<String>,
}

fn params(raw: Option<String>, allowed: &[&str]) -> Result<Vec<(String, String)>, ApiError> {
    let p: Vec<(String, String)> = serde_urlencoded::from_str(raw.as_deref().unwrap_or(""))
        .map_err(|e| ApiError::InvalidRequest(format!("bad query string: {e}")))?;
    for (k, _) in &p {
        if !allowed.contains(&k.as_str()) {
            return Err(ApiError::InvalidRequest(format!(
                "unknown parameter `{k}`: use {}",
                allowed.join(", ")
            )));
        }
    }
    Ok(p)
}

fn limit(p: &[(String, String)]) -> Result<u32, ApiError> {
    match p.iter().find(|(k, _)| k == "limit") {
        None => Ok(100),
        Some((_, v)) => v
            .parse::<u32>()
            .ok()
            .filter(|l| (1..=1000).contains(l))
            .ok_or_else(|| ApiError::InvalidRequest(format!("`limit`: 1 to 1000 (got {v:?})"))),
    }
}

/// The short codes `caller` may manage: `None` for all.
fn codes(s: &AppState, caller: &Caller) -> Option<Vec<String>> {
    caller.scope.as_ref().map(|programs| {
        programs
            .iter()
            .filter_map(|p| s.mt.routes().programs.get(p).cloned())
            .collect()
    })
}

fn check_code(s: &AppState, caller: &Caller, code: &str) -> Result<(), ApiError> {
    match codes(s, caller) {
        Some(c) if !c.iter().any(|x| x == code) => Err(ApiError::Forbidden(format!(
            "this API key has no program on short code {code}"
        ))),
        _ => Ok(()),
    }
}

fn subscriber(v: &str) -> Result<String, ApiError> {
    let n = v.trim().trim_start_matches('+');
    if n.is_empty() || n.len() > 20 || !n.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::InvalidRequest(format!(
            "`subscriber` must be a phone number (got {v:?})"
        )));
    }
    Ok(n.to_owned())
}

/// `GET /v1/optouts?short_code=&subscriber=&limit=&cursor=`: newest first; a full page carries the
/// `next_cursor` that fetches the next.
pub async fn list(
    State(s): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let caller = s.auth.bearer(&headers)?;
    let p = params(raw, &["short_code", "subscriber", "limit", "cursor"])?;
    let code = p
        .iter()
        .find(|(k, _)| k == "short_code")
        .map(|(_, v)| v.clone());
    if let Some(c) = &code {
        if c.is_empty() || c.len() > 20 || c.chars().any(|ch| ch.is_whitespace() || ch.is_control())
        {
            return Err(ApiError::InvalidRequest(format!(
                "`short_code` must be 1 to 20 characters without spaces (got {c:?})"
            )));
        }
        check_code(&s, &caller, c)?;
    }
    let after = cursor(&p, OptOutCursor::decode)?;
    let sub = p
        .iter()
        .find(|(k, _)| k == "subscriber")
        .map(|(_, v)| subscriber(v))
        .transpose()?;
    let q = OptOutQuery {
        short_code: code,
        subscriber: sub,
        codes: codes(&s, &caller),
        after,
        limit: limit(&p)?,
    };
    let rows = s.mt.optouts().list(&q).await.map_err(ApiError::Internal)?;
    let next = (rows.len() == q.limit as usize)
        .then(|| rows.last().map(|r| OptOutCursor::after(r).encode()))
        .flatten();
    let data: Vec<Value> = rows
        .into_iter()
        .map(|r| {
            json!({"subscriber": r.subscriber, "short_code": r.short_code,
                   "keyword": r.keyword, "at": rfc3339(r.at)})
        })
        .collect();
    Ok(Json(json!({ "data": data, "next_cursor": next })))
}

/// The `cursor` parameter, read by `decode`.
fn cursor<T>(
    p: &[(String, String)],
    decode: impl Fn(&str) -> Option<T>,
) -> Result<Option<T>, ApiError> {
    let Some((_, v)) = p.iter().find(|(k, _)| k == "cursor") else {
        return Ok(None);
    };
    decode(v).map(Some).ok_or_else(|| {
        ApiError::InvalidRequest(format!(
            "`cursor`: use the next_cursor of the previous page (got {v:?})"
        ))
    })
}

async fn change(
    s: &AppState,
    caller: &Caller,
    sub: &str,
    code: &str,
    opted_out: bool,
    reason: Option<String>,
) -> Result<(), ApiError> {
    if !s.mt.routes().short_codes.contains(code) {
        return Err(ApiError::NotFound(format!(
            "short code {code} is not configured"
        )));
    }
    check_code(s, caller, code)?;
    let _consent = s.mt.gate().lock(sub).await;
    let keyword = if opted_out { "API-OPTOUT" } else { "API-OPTIN" };
    s.mt.optouts()
        .set(sub, code, opted_out, keyword)
        .await
        .map_err(ApiError::Internal)?;
    s.mt.store()
        .audit_optout(&OptOutAudit {
            subscriber: sub.to_owned(),
            short_code: code.to_owned(),
            program: None,
            action: if opted_out { "add" } else { "remove" }.into(),
            actor: format!("api:{}", caller.name),
            reason,
            at: now_ms(),
        })
        .await?;
    Ok(())
}

/// `POST /v1/optouts`.
pub async fn add(
    State(s): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let caller = s.auth.bearer(&headers)?;
    let body = body?;
    let b: AddBody = serde_json::from_slice(&body)
        .map_err(|e| ApiError::InvalidRequest(format!("the body is not a valid opt-out: {e}")))?;
    let sub = subscriber(&b.subscriber)?;
    change(&s, &caller, &sub, &b.short_code, true, b.reason).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"subscriber": sub, "short_code": b.short_code, "opted_out": true})),
    ))
}

/// Most subscribers in one `POST /v1/optouts/import`.
pub const MAX_IMPORT: usize = 10_000;

/// The JSON body of `POST /v1/optouts/import`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportBody {
    /// The short code they opted out of.
    pub short_code: String,
    /// The subscribers (at most [`MAX_IMPORT`]).
    pub subscribers: Vec<String>,
    /// Why (kept in the audit trail of each), e.g. where the list came from.
    #[serde(default)]
    pub reason: Option<String>,
}

/// `POST /v1/optouts/import`: opts a list of subscribers out of a short code at once, as when a
/// short code moves here with the opt-out list it had elsewhere. Every number is checked before
/// any is added (a bad one refuses the whole request, naming it); those already opted out are
/// counted, not changed; each added one is in the audit trail.
pub async fn import(
    State(s): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let caller = s.auth.bearer(&headers)?;
    let body = body?;
    let b: ImportBody = serde_json::from_slice(&body)
        .map_err(|e| ApiError::InvalidRequest(format!("the body is not a valid import: {e}")))?;
    if b.subscribers.is_empty() || b.subscribers.len() > MAX_IMPORT {
        return Err(ApiError::InvalidRequest(format!(
            "`subscribers`: 1 to {MAX_IMPORT} numbers per request (got {})",
            b.subscribers.len()
        )));
    }
    let mut numbers = Vec::with_capacity(b.subscribers.len());
    let mut bad = Vec::new();
    for (i, v) in b.subscribers.iter().enumerate() {
        match subscriber(v) {
            Ok(n) => numbers.push(n),
            Err(_) => bad.push(format!("[{i}] {v:?}")),
        }
    }
    if !bad.is_empty() {
        let shown = bad.iter().take(5).cloned().collect::<Vec<_>>().join(", ");
        return Err(ApiError::InvalidRequest(format!(
            "{} of `subscribers` are not phone numbers ({shown}{}); nothing was imported",
            bad.len(),
            if bad.len() > 5 { ", ..." } else { "" }
        )));
    }
    numbers.sort_unstable();
    numbers.dedup();
    let mut imported = 0usize;
    let mut already = 0usize;
    for n in &numbers {
        let out =
            s.mt.optouts()
                .is_opted_out(n, &b.short_code)
                .await
                .map_err(ApiError::Internal)?;
        if out {
            already += 1;
        } else {
            change(&s, &caller, n, &b.short_code, true, b.reason.clone()).await?;
            imported += 1;
        }
    }
    Ok(Json(json!({
        "short_code": b.short_code,
        "imported": imported,
        "already_opted_out": already,
    })))
}

/// `DELETE /v1/optouts/{short_code}/{subscriber}`.
pub async fn remove(
    State(s): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<Json<Value>, ApiError> {
    let caller = s.auth.bearer(&headers)?;
    let Path((code, sub)) = path?;
    let sub = subscriber(&sub)?;
    if !s
        .mt
        .optouts()
        .is_opted_out(&sub, &code)
        .await
        .map_err(ApiError::Internal)?
    {
        return Err(ApiError::NotFound(format!(
            "{sub} is not opted out of short code {code}"
        )));
    }
    change(&s, &caller, &sub, &code, false, None).await?;
    Ok(Json(
        json!({"subscriber": sub, "short_code": code, "opted_out": false}),
    ))
}

/// `GET /v1/optouts/audit?subscriber=&limit=&cursor=`: newest first, paged like the list.
pub async fn audit(
    State(s): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let caller = s.auth.bearer(&headers)?;
    let p = params(raw, &["subscriber", "limit", "cursor"])?;
    let sub = p
        .iter()
        .find(|(k, _)| k == "subscriber")
        .map(|(_, v)| subscriber(v))
        .transpose()?;
    let after = cursor(&p, AuditCursor::decode)?;
    let q = AuditQuery {
        subscriber: sub,
        codes: codes(&s, &caller),
        after,
        limit: limit(&p)?,
    };
    let rows = s.mt.store().optout_audit(&q).await?;
    let next = (rows.len() == q.limit as usize)
        .then(|| rows.last().map(|(_, c)| c.encode()))
        .flatten();
    let data: Vec<Value> = rows
        .into_iter()
        .map(|(r, _)| {
            json!({"subscriber": r.subscriber, "short_code": r.short_code, "program": r.program,
                   "action": r.action, "actor": r.actor, "reason": r.reason, "at": rfc3339(r.at)})
        })
        .collect();
    Ok(Json(json!({ "data": data, "next_cursor": next })))
}
