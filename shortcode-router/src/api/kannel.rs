//! A Kannel-compatible `sendsms` (`GET` query or `POST` form): `user`/`username` (the API
//! key's name), `pass`/`password` (its token), `from`, `to`, `text`, `coding` (0 GSM, 2 UCS-2),
//! `dlr-mask`, `dlr-url`, `validity` (minutes); answered in Kannel's plain-text style
//! (`0: Accepted for delivery`), so code written for Kannel can point at us unchanged.

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::api::AppState;
use crate::delivery::service::EncodingPref;
use crate::delivery::{MtError, MtRequest};

fn answer(status: StatusCode, text: &str) -> Response {
    (
        status,
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; charset=utf-8",
        )],
        text.to_owned(),
    )
        .into_response()
}

/// `GET /cgi-bin/sendsms?...`.
pub async fn sendsms_get(State(s): State<AppState>, RawQuery(raw): RawQuery) -> Response {
    sendsms(s, raw.unwrap_or_default().as_bytes()).await
}

/// `POST /cgi-bin/sendsms` with a form body (query parameters count too).
pub async fn sendsms_post(
    State(s): State<AppState>,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> Response {
    let mut all = raw.unwrap_or_default().into_bytes();
    if !body.is_empty() {
        if !all.is_empty() {
            all.push(b'&');
        }
        all.extend_from_slice(&body);
    }
    sendsms(s, &all).await
}

async fn sendsms(s: AppState, form: &[u8]) -> Response {
    let params: Vec<(String, String)> = match serde_urlencoded::from_bytes(form) {
        Ok(p) => p,
        Err(_) => return answer(StatusCode::BAD_REQUEST, "Malformed parameters"),
    };
    let get = |names: &[&str]| -> Option<String> {
        params
            .iter()
            .find(|(k, _)| names.contains(&k.as_str()))
            .map(|(_, v)| v.clone())
    };
    let (Some(user), Some(pass)) = (get(&["user", "username"]), get(&["pass", "password"])) else {
        return answer(StatusCode::FORBIDDEN, "Authorization failed for sendsms");
    };
    let Some(caller) = s.auth.user_pass(&user, &pass) else {
        return answer(StatusCode::FORBIDDEN, "Authorization failed for sendsms");
    };
    let Some(to) = get(&["to"]).filter(|t| !t.trim().is_empty()) else {
        return answer(StatusCode::BAD_REQUEST, "Missing receiver number");
    };
    let Some(from) = get(&["from"]).filter(|f| !f.trim().is_empty()) else {
        return answer(StatusCode::BAD_REQUEST, "Missing sender (from)");
    };
    let text = get(&["text"]).unwrap_or_default();
    let encoding = match get(&["coding"]).as_deref().map(str::trim) {
        None | Some("") | Some("0") => EncodingPref::Auto,
        Some("2") => EncodingPref::Ucs2,
        Some(other) => {
            return answer(
                StatusCode::BAD_REQUEST,
                &format!("Unsupported coding {other}: use 0 (GSM 7-bit) or 2 (UCS-2)"),
            );
        }
    };
    let mask = match get(&["dlr-mask", "dlr_mask"]) {
        None => 0u8,
        Some(m) => match m.trim().parse::<u8>() {
            Ok(v) => v,
            Err(_) => return answer(StatusCode::BAD_REQUEST, "Invalid dlr-mask: 0 to 31"),
        },
    };
    let dlr = get(&["dlr-url", "dlr_url"])
        .filter(|u| !u.is_empty() && mask != 0)
        .map(|u| (u, mask));
    if let Some((u, _)) = &dlr {
        if !u.starts_with("http://") && !u.starts_with("https://") {
            return answer(StatusCode::BAD_REQUEST, "Invalid dlr-url: http(s) only");
        }
    }
    let validity_secs = match get(&["validity"]) {
        None => None,
        Some(v) => match v.trim().parse::<u32>() {
            Ok(min) if min > 0 => Some(min.saturating_mul(60)),
            _ => return answer(StatusCode::BAD_REQUEST, "Invalid validity (minutes)"),
        },
    };
    let req = MtRequest {
        from,
        to,
        text,
        encoding,
        validity_secs,
        api_key: Some(caller.name),
        scope: caller.scope,
        dlr,
        ..MtRequest::default()
    };
    match s.mt.accept(req).await {
        Ok(_) => answer(StatusCode::ACCEPTED, "0: Accepted for delivery"),
        Err(MtError::OptedOut { .. }) => answer(
            StatusCode::FORBIDDEN,
            "Recipient opted out: message not sent",
        ),
        Err(e @ (MtError::Invalid(_) | MtError::Forbidden(_) | MtError::QuietHours(_))) => {
            answer(StatusCode::BAD_REQUEST, &e.to_string())
        }
        Err(e @ (MtError::NoCarrier(_) | MtError::ShuttingDown)) => {
            answer(StatusCode::SERVICE_UNAVAILABLE, &e.to_string())
        }
        Err(e) => {
            tracing::error!(error = %e, "sendsms failed");
            answer(StatusCode::INTERNAL_SERVER_ERROR, "Internal error")
        }
    }
}
