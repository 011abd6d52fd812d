//! A Jasmin-compatible `/send` (`GET` query or `POST` form, as Jasmin's HTTP API takes them):
//! `username` (the API key's name), `password` (its token), `to`, `from` (a configured short
//! code), `content` (UTF-8), `coding` (0 or 8), `priority`, `validity-period` (minutes), `dlr`,
//! `dlr-url`, `dlr-level`, `dlr-method`, `tags`; answered `Success "<id>"` or `Error "..."` with
//! Jasmin's status codes; and Jasmin's DLRs to `dlr-url` (level 1 the SMSC's answer, 2 the
//! handset's receipt, 3 both), retried until acknowledged with `ACK/Jasmin`. Code written for
//! Jasmin can point at us unchanged.

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::api::AppState;
use crate::api::kannel::{form_pairs, query_and_form};
use crate::delivery::service::EncodingPref;
use crate::delivery::status::MessageStatus;
use crate::delivery::{MtError, MtRequest};
use crate::store::messages::{CallbackFormat, MessageRecord, RawStatus};

/// The body with which Jasmin's DLRs and MO calls are acknowledged (anything else is retried,
/// as Jasmin retries).
pub const ACK: &str = "ACK/Jasmin";

/// The arguments `/send` takes.
const ARGUMENTS: &[&str] = &[
    "to",
    "from",
    "coding",
    "username",
    "password",
    "priority",
    "validity-period",
    "dlr",
    "dlr-url",
    "dlr-level",
    "dlr-method",
    "tags",
    "content",
];

/// Jasmin arguments this service does not take, and why.
const NOT_TAKEN: &[(&str, &str)] = &[
    ("hex-content", "send the text as UTF-8 in content"),
    ("sdt", "scheduled delivery is not offered"),
    ("custom_tlvs", "optional parameters are set per carrier"),
];

fn answer(status: StatusCode, text: String) -> Response {
    (
        status,
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; charset=utf-8",
        )],
        text,
    )
        .into_response()
}

fn error(status: StatusCode, message: &str) -> Response {
    answer(status, format!("Error \"{message}\""))
}

fn invalid(name: &str, value: &str) -> Response {
    error(
        StatusCode::BAD_REQUEST,
        &format!("Argument {name} has an invalid value: {value}."),
    )
}

/// `GET /send?...`.
pub async fn send_get(State(s): State<AppState>, RawQuery(raw): RawQuery) -> Response {
    send(s, raw.unwrap_or_default().as_bytes()).await
}

/// `POST /send` with a form body (query arguments count too).
pub async fn send_post(
    State(s): State<AppState>,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> Response {
    send(s, &query_and_form(raw, &body)).await
}

async fn send(s: AppState, form: &[u8]) -> Response {
    let params = form_pairs(form);
    for (name, _) in &params {
        if let Some((_, why)) = NOT_TAKEN.iter().find(|(n, _)| n == name) {
            return error(
                StatusCode::BAD_REQUEST,
                &format!("Argument {name} is not supported: {why}."),
            );
        }
        if !ARGUMENTS.contains(&name.as_str()) {
            return error(
                StatusCode::BAD_REQUEST,
                &format!("Argument {name} is unknown."),
            );
        }
    }
    let raw = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_slice())
    };
    let get = |name: &str| raw(name).map(|v| String::from_utf8_lossy(v).into_owned());
    for name in ["username", "password", "to", "from", "content"] {
        if raw(name).is_none() {
            return error(
                StatusCode::BAD_REQUEST,
                &format!("Mandatory argument {name} is not found."),
            );
        }
    }
    let (user, pass) = (get("username").unwrap_or_default(), get("password"));
    let Some(caller) = s.auth.user_pass(&user, pass.as_deref().unwrap_or_default()) else {
        return error(
            StatusCode::FORBIDDEN,
            &format!("Authentication failure for username:{user}"),
        );
    };
    let to = get("to").unwrap_or_default();
    let digits = to.strip_prefix('+').unwrap_or(&to);
    if digits.is_empty() || digits.len() > 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return invalid("to", &to);
    }
    let from = get("from").unwrap_or_default();
    if from.is_empty() || from.chars().count() > 20 || from.chars().any(char::is_whitespace) {
        return invalid("from", &from);
    }
    let Ok(text) = String::from_utf8(raw("content").unwrap_or_default().to_vec()) else {
        return invalid("content", "not UTF-8");
    };
    let encoding = match get("coding").as_deref() {
        None | Some("0") => EncodingPref::Auto,
        Some("8") => EncodingPref::Ucs2,
        Some(other) => {
            return invalid("coding", &format!("{other} (0 or 8 here)"));
        }
    };
    if let Some(p) = get("priority") {
        if !matches!(p.as_str(), "0" | "1" | "2" | "3") {
            return invalid("priority", &p);
        }
    }
    let validity_secs = match get("validity-period") {
        None => None,
        Some(v) => match v.parse::<u32>() {
            Ok(min) if min > 0 && v.bytes().all(|b| b.is_ascii_digit()) => {
                Some(min.saturating_mul(60))
            }
            _ => return invalid("validity-period", &v),
        },
    };
    if let Some(t) = get("tags") {
        if !t
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b',')
        {
            return invalid("tags", &t);
        }
    }
    let dlr_url = get("dlr-url");
    if let Some(u) = &dlr_url {
        if !u.starts_with("http://") && !u.starts_with("https://") {
            return invalid("dlr-url", u);
        }
    }
    let level = match get("dlr-level").as_deref() {
        None => 1,
        Some("1") => 1,
        Some("2") => 2,
        Some("3") => 3,
        Some(other) => return invalid("dlr-level", other),
    };
    let post = match get("dlr-method").map(|m| m.to_ascii_uppercase()).as_deref() {
        None | Some("POST") => true,
        Some("GET") => false,
        Some(other) => return invalid("dlr-method", other),
    };
    // A `dlr-url` or `dlr-level` asks for DLRs; without a `dlr-url` there is nowhere to send
    // them, so none are (as Jasmin does).
    let dlr = match get("dlr").as_deref() {
        None => dlr_url.is_some() || raw("dlr-level").is_some(),
        Some("yes") => true,
        Some("no") => dlr_url.is_some() || raw("dlr-level").is_some(),
        Some(other) => return invalid("dlr", other),
    };
    let status_callback = dlr_url.filter(|_| dlr);
    let req = MtRequest {
        from,
        to,
        text,
        encoding,
        validity_secs,
        api_key: Some(caller.name),
        scope: caller.scope,
        status_callback,
        callback_format: CallbackFormat::Jasmin { level, post },
        ..MtRequest::default()
    };
    match s.mt.accept(req).await {
        Ok(a) => answer(StatusCode::OK, format!("Success \"{}\"", a.id)),
        Err(e) => refusal(&e, &user),
    }
}

/// The answer to a refused message, in Jasmin's terms.
fn refusal(e: &MtError, user: &str) -> Response {
    let m = e.to_string();
    match e {
        MtError::Invalid(_) | MtError::CallbackUrl(_) => error(StatusCode::BAD_REQUEST, &m),
        MtError::Forbidden(_) => error(
            StatusCode::FORBIDDEN,
            &format!("Authorization failed for username:{user} ({m})"),
        ),
        MtError::OptedOut { .. } | MtError::QuietHours(_) => error(StatusCode::FORBIDDEN, &m),
        MtError::UnknownShortCode(_) | MtError::NoCarrier(_) => error(
            StatusCode::PRECONDITION_FAILED,
            &format!("No route found ({m})"),
        ),
        MtError::ShuttingDown => error(StatusCode::SERVICE_UNAVAILABLE, &m),
        e => {
            tracing::error!(error = %e, "jasmin send failed");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Cannot send submit_sm, check the service's log for details",
            )
        }
    }
}

/// `YYMMDDhhmm` (UTC) of Unix milliseconds, as Jasmin's DLRs write dates.
fn dlr_date(ms: i64) -> String {
    let t = crate::rfc3339(ms);
    // 2024-03-01T12:01:01.250Z
    format!(
        "{}{}{}{}{}",
        &t[2..4],
        &t[5..7],
        &t[8..10],
        &t[11..13],
        &t[14..16]
    )
}

/// The DLR a message's new status `after` makes for a Jasmin `dlr-level` (`None`: none at
/// that level): the SMSC's answer (`ESME_ROK`, or the refusal's `ESME_*` name) at levels 1 and
/// 3; the handset's receipt (`DELIVRD`, `UNDELIV`, ..., with `id_smsc`, the dates, `err` and
/// the text's first 20 characters) at levels 2 and 3. A message that fails before any receipt
/// can come gets its SMSC-level DLR at level 2 too, so that it does not end unheard of. A
/// failure with no `command_status` (no answer, or refused here before submission) is
/// `ESME_RSYSERR`.
pub fn dlr_params(
    m: &MessageRecord,
    level: u8,
    after: MessageStatus,
    raw: &RawStatus,
    smsc_id: Option<String>,
    now_ms: i64,
) -> Option<Vec<(&'static str, String)>> {
    let level_s = level.to_string();
    if let Some(stat) = &raw.stat {
        if level < 2 {
            return None;
        }
        let delivered = after == MessageStatus::Delivered;
        return Some(vec![
            ("id", m.id.clone()),
            ("id_smsc", smsc_id.unwrap_or_default()),
            ("message_status", stat.clone()),
            ("level", level_s),
            ("subdate", dlr_date(m.created_at)),
            ("donedate", dlr_date(now_ms)),
            ("sub", "001".to_owned()),
            ("dlvrd", if delivered { "001" } else { "000" }.to_owned()),
            ("err", raw.err.clone().unwrap_or_else(|| "000".to_owned())),
            ("text", m.body.chars().take(20).collect()),
        ]);
    }
    let status = match after {
        MessageStatus::Sent if level != 2 => "ESME_ROK".to_owned(),
        MessageStatus::Rejected
        | MessageStatus::Failed
        | MessageStatus::Undelivered
        | MessageStatus::Expired => raw
            .command_status
            .and_then(|c| smpp_codec::CommandStatus(c).name())
            .unwrap_or("ESME_RSYSERR")
            .to_owned(),
        _ => return None,
    };
    Some(vec![
        ("id", m.id.clone()),
        ("message_status", status),
        ("level", level_s),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> MessageRecord {
        MessageRecord {
            seq: 1,
            id: "msg_1".into(),
            direction: crate::store::messages::Direction::Mt,
            api_key: None,
            program: None,
            sender: "12345".into(),
            recipient: "447700900001".into(),
            body: "hi".into(),
            encoding: "GSM 7-bit".into(),
            segments: 1,
            carrier: None,
            status: MessageStatus::Queued,
            status_callback: Some("http://127.0.0.1/dlr".into()),
            validity_secs: None,
            resend_of: None,
            dlr: None,
            error_code: None,
            error_message: None,
            created_at: 1_383_435_539_000,
            updated_at: 0,
            kind: None,
            callback_format: CallbackFormat::Jasmin {
                level: 1,
                post: true,
            },
        }
    }

    /// Which DLR each level gets for each event.
    #[test]
    fn dlrs_by_level() {
        let m = record();
        let status_of = |level: u8, after: MessageStatus, raw: &RawStatus| {
            dlr_params(&m, level, after, raw, Some("ABC".into()), 0).map(|p| {
                let get = |k: &str| p.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone());
                (
                    get("message_status").unwrap(),
                    get("id_smsc"),
                    get("level").unwrap(),
                )
            })
        };
        let resp = RawStatus {
            command_status: Some(0),
            ..RawStatus::default()
        };
        let receipt = RawStatus {
            stat: Some("UNDELIV".into()),
            err: Some("005".into()),
            ..RawStatus::default()
        };
        let refused = RawStatus {
            command_status: Some(0x58),
            ..RawStatus::default()
        };
        let sent = MessageStatus::Sent;
        let undelivered = MessageStatus::Undelivered;
        let rok = |l: &str| Some(("ESME_ROK".to_owned(), None, l.to_owned()));
        let undeliv = |l: &str| Some(("UNDELIV".to_owned(), Some("ABC".to_owned()), l.to_owned()));
        assert_eq!(status_of(1, sent, &resp), rok("1"));
        assert_eq!(status_of(1, undelivered, &receipt), None);
        assert_eq!(status_of(2, sent, &resp), None);
        assert_eq!(status_of(2, undelivered, &receipt), undeliv("2"));
        assert_eq!(status_of(3, sent, &resp), rok("3"));
        assert_eq!(status_of(3, undelivered, &receipt), undeliv("3"));
        // Refused by the SMSC: its status by name, at every level (no receipt will come).
        for level in 1..=3 {
            assert_eq!(
                status_of(level, MessageStatus::Rejected, &refused),
                Some(("ESME_RTHROTTLED".to_owned(), None, level.to_string()))
            );
        }
        // Failed with no answer from the SMSC.
        assert_eq!(
            status_of(2, MessageStatus::Failed, &RawStatus::default()).map(|s| s.0),
            Some("ESME_RSYSERR".to_owned())
        );
        assert_eq!(
            status_of(3, MessageStatus::Queued, &RawStatus::default()),
            None
        );
        let p = dlr_params(&m, 2, undelivered, &receipt, None, 1_383_435_600_000).unwrap();
        let get = |k: &str| p.iter().find(|(n, _)| *n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("dlvrd"), Some("000"));
        assert_eq!(get("err"), Some("005"));
        assert_eq!(get("subdate"), Some("1311022338"));
        assert_eq!(get("donedate"), Some("1311022340"));
        assert_eq!(get("text"), Some("hi"));
    }

    #[test]
    fn dlr_dates_are_yymmddhhmm_utc() {
        // 2013-11-02 23:38:59 UTC
        assert_eq!(dlr_date(1_383_435_539_000), "1311022338");
    }
}
