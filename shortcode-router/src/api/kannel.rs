//! A Kannel-compatible `sendsms` (`GET` query or `POST` form): `user`/`username` (the API
//! key's name), `pass`/`password` (its token), `from`, `to` (several receivers separated by
//! spaces), `text` (in `charset`: UTF-8, ISO-8859-1 or UTF-16BE), `coding` (0 GSM, 2 UCS-2),
//! `dlr-mask`/`dlrmask`, `dlr-url`/`dlrurl`, `validity` (minutes); answered in Kannel's
//! plain-text style (`0: Accepted for delivery`), so code written for Kannel can point at us
//! unchanged.

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use futures::StreamExt;

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
    sendsms(s, &query_and_form(raw, &body)).await
}

/// A request's query string and form body as one form (the query's parameters first).
pub(crate) fn query_and_form(query: Option<String>, body: &[u8]) -> Vec<u8> {
    let mut all = query.unwrap_or_default().into_bytes();
    if !body.is_empty() {
        if !all.is_empty() {
            all.push(b'&');
        }
        all.extend_from_slice(body);
    }
    all
}

/// Most receivers in one request's `to`.
pub const MAX_RECEIVERS: usize = 1000;

/// The name/value pairs of a query string or form body, values as bytes (`+` is a space,
/// `%XX` a byte): `text` is decoded by `charset` afterwards.
pub(crate) fn form_pairs(form: &[u8]) -> Vec<(String, Vec<u8>)> {
    let decode = |part: &[u8]| -> Vec<u8> {
        let plus: Vec<u8> = part
            .iter()
            .map(|&b| if b == b'+' { b' ' } else { b })
            .collect();
        percent_encoding::percent_decode(&plus).collect()
    };
    form.split(|&b| b == b'&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = match p.iter().position(|&b| b == b'=') {
                Some(i) => (&p[..i], &p[i + 1..]),
                None => (p, &[][..]),
            };
            (String::from_utf8_lossy(&decode(k)).into_owned(), decode(v))
        })
        .collect()
}

/// `text` as `charset` says it is written: UTF-8 (the default), ISO-8859-1 or UTF-16BE
/// (`UCS-2`), as Kannel takes them.
fn decode_text(raw: &[u8], charset: Option<&str>) -> Result<String, String> {
    let name = charset.map(|c| c.trim().to_ascii_uppercase());
    match name.as_deref() {
        None | Some("" | "UTF-8" | "UTF8") => String::from_utf8(raw.to_vec())
            .map_err(|_| "Invalid text: not UTF-8 (or set charset)".to_owned()),
        Some("ISO-8859-1" | "ISO8859-1" | "LATIN1" | "LATIN-1") => {
            Ok(raw.iter().map(|&b| char::from(b)).collect())
        }
        Some("UTF-16BE" | "UTF-16" | "UCS-2" | "UCS2") => {
            if raw.len() % 2 != 0 {
                return Err("Invalid text: odd number of bytes for UTF-16BE".to_owned());
            }
            // A byte-order mark says which way round; without one, big-endian.
            let (raw, little) = match raw {
                [0xFE, 0xFF, rest @ ..] => (rest, false),
                [0xFF, 0xFE, rest @ ..] => (rest, true),
                _ => (raw, false),
            };
            let units = raw.chunks_exact(2).map(|u| {
                if little {
                    u16::from_le_bytes([u[0], u[1]])
                } else {
                    u16::from_be_bytes([u[0], u[1]])
                }
            });
            char::decode_utf16(units)
                .collect::<Result<String, _>>()
                .map_err(|_| "Invalid text: broken UTF-16BE".to_owned())
        }
        Some(other) => Err(format!(
            "Unsupported charset {other}: use UTF-8, ISO-8859-1 or UTF-16BE"
        )),
    }
}

async fn sendsms(s: AppState, form: &[u8]) -> Response {
    let params = form_pairs(form);
    let raw = |names: &[&str]| -> Option<&[u8]> {
        params
            .iter()
            .find(|(k, _)| names.contains(&k.as_str()))
            .map(|(_, v)| v.as_slice())
    };
    let get = |names: &[&str]| raw(names).map(|v| String::from_utf8_lossy(v).into_owned());
    let (Some(user), Some(pass)) = (get(&["user", "username"]), get(&["pass", "password"])) else {
        return answer(StatusCode::FORBIDDEN, "Authorization failed for sendsms");
    };
    let Some(caller) = s.auth.user_pass(&user, &pass) else {
        return answer(StatusCode::FORBIDDEN, "Authorization failed for sendsms");
    };
    // Several receivers are separated by spaces (`+` or `%20` in the URL).
    let receivers: Vec<String> = get(&["to"])
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    if receivers.is_empty() {
        return answer(StatusCode::BAD_REQUEST, "Missing receiver number");
    }
    if receivers.len() > MAX_RECEIVERS {
        return answer(
            StatusCode::BAD_REQUEST,
            &format!("Too many receivers: at most {MAX_RECEIVERS} per request"),
        );
    }
    let Some(from) = get(&["from"]).filter(|f| !f.trim().is_empty()) else {
        return answer(StatusCode::BAD_REQUEST, "Missing sender (from)");
    };
    let text = match decode_text(
        raw(&["text"]).unwrap_or_default(),
        get(&["charset"]).as_deref(),
    ) {
        Ok(t) => t,
        Err(e) => return answer(StatusCode::BAD_REQUEST, &e),
    };
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
    let mask = match get(&["dlr-mask", "dlrmask", "dlr_mask"]) {
        None => 0u8,
        Some(m) => match m.trim().parse::<u8>() {
            Ok(v) => v,
            Err(_) => return answer(StatusCode::BAD_REQUEST, "Invalid dlr-mask: 0 to 31"),
        },
    };
    let dlr = get(&["dlr-url", "dlrurl", "dlr_url"])
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
        text,
        encoding,
        validity_secs,
        api_key: Some(caller.name),
        scope: caller.scope,
        dlr,
        ..MtRequest::default()
    };
    // Up to 64 accepted at once (the store commits them in groups), answered in `to`'s order.
    let outcomes: Vec<_> = futures::stream::iter(receivers.iter().cloned())
        .map(|to| {
            let one = MtRequest {
                to: to.clone(),
                ..req.clone()
            };
            let mt = s.mt.clone();
            async move { (to, mt.accept(one).await) }
        })
        .buffered(64)
        .collect()
        .await;
    let failed: Vec<(String, MtError)> = outcomes
        .into_iter()
        .filter_map(|(to, r)| r.err().map(|e| (to, e)))
        .collect();
    if failed.is_empty() {
        return answer(StatusCode::ACCEPTED, "0: Accepted for delivery");
    }
    if failed.len() < receivers.len() {
        // Some went: the request is accepted, and the answer names the receivers that failed.
        let list: Vec<String> = failed
            .iter()
            .map(|(to, e)| format!("{to} ({})", refusal(e).1))
            .collect();
        return answer(
            StatusCode::ACCEPTED,
            &format!(
                "0: Accepted for delivery; failed for {} of {} receivers: {}",
                failed.len(),
                receivers.len(),
                list.join(", ")
            ),
        );
    }
    let (status, text) = refusal(&failed[0].1);
    answer(status, &text)
}

/// The status and text that answer a refused message.
fn refusal(e: &MtError) -> (StatusCode, String) {
    match e {
        MtError::OptedOut { .. } => (
            StatusCode::FORBIDDEN,
            "Recipient opted out: message not sent".to_owned(),
        ),
        MtError::Invalid(_)
        | MtError::CallbackUrl(_)
        | MtError::Forbidden(_)
        | MtError::QuietHours(_)
        | MtError::UnknownShortCode(_) => (StatusCode::BAD_REQUEST, e.to_string()),
        MtError::NoCarrier(_) | MtError::ShuttingDown => {
            (StatusCode::SERVICE_UNAVAILABLE, e.to_string())
        }
        e => {
            tracing::error!(error = %e, "sendsms failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Internal error".to_owned(),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_values_are_bytes_until_their_charset_says() {
        let p =
            form_pairs(b"to=1+2%203&text=caf%E9&empty=&flag&&dlr-url=http%3A%2F%2Fx%2F%3Fa%3D1");
        let v = |k: &str| p.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        assert_eq!(v("to").unwrap(), b"1 2 3");
        assert_eq!(v("text").unwrap(), b"caf\xe9");
        assert_eq!(v("empty").unwrap(), b"");
        assert_eq!(v("flag").unwrap(), b"");
        assert_eq!(v("dlr-url").unwrap(), b"http://x/?a=1");
        assert_eq!(p.len(), 5);
    }

    #[test]
    fn text_decodes_by_charset() {
        assert_eq!(decode_text("café".as_bytes(), None).unwrap(), "café");
        assert_eq!(decode_text(b"caf\xe9", Some("iso-8859-1")).unwrap(), "café");
        assert_eq!(
            decode_text(&[0xd8, 0x3d, 0xde, 0x00, 0, b'!'], Some("UTF-16BE")).unwrap(),
            "😀!"
        );
        assert!(
            decode_text(b"caf\xe9", None)
                .unwrap_err()
                .contains("not UTF-8")
        );
        assert!(
            decode_text(b"\x00", Some("UCS-2"))
                .unwrap_err()
                .contains("odd")
        );
        assert!(decode_text(&[0xd8, 0x3d], Some("UTF-16BE")).is_err());
        // A byte-order mark is not text, and says the order.
        assert_eq!(decode_text(b"\xfe\xff\x00h", Some("UTF-16")).unwrap(), "h");
        assert_eq!(decode_text(b"\xff\xfeh\x00", Some("UTF-16")).unwrap(), "h");
        assert!(
            decode_text(b"x", Some("KOI8-R"))
                .unwrap_err()
                .contains("Unsupported charset")
        );
    }
}
