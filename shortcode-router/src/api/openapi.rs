//! `/openapi.json`: the OpenAPI 3.1 document of the API, written by hand next to [`ROUTES`]
//! (a test checks that it lists exactly the routes served, with the same methods).

use axum::Json;
use serde_json::{Value, json};

use crate::api::ROUTES;
use crate::api::optouts::MAX_IMPORT;
use crate::delivery::service::MAX_TEXT_CHARS;

/// `GET /openapi.json`.
pub async fn document() -> Json<Value> {
    Json(openapi())
}

fn operation(method: &str, path: &str) -> Value {
    let err = |codes: &[&str]| -> Value {
        let mut m = serde_json::Map::new();
        for c in codes {
            m.insert(
                (*c).to_owned(),
                json!({"description": "an error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}),
            );
        }
        Value::Object(m)
    };
    let json_ok = |status: &str, desc: &str, schema: Value| -> Value {
        json!({ status: {"description": desc, "content": {"application/json": {"schema": schema}}} })
    };
    let merge = |mut a: Value, b: Value| -> Value {
        if let (Some(a), Value::Object(b)) = (a.as_object_mut(), b) {
            a.extend(b);
        }
        a
    };
    let secured = json!([{"bearer": []}]);
    let id_param =
        json!({"name": "id", "in": "path", "required": true, "schema": {"type": "string"}});
    let q = |name: &str, desc: &str, schema: &Value| json!({"name": name, "in": "query", "required": false, "description": desc, "schema": schema});
    let text = json!({"type": "string"});
    let limit = json!({"type": "integer", "minimum": 1, "maximum": 1000});
    let number = json!({"$ref": "#/components/schemas/Number"});
    let code = json!({"$ref": "#/components/schemas/ShortCode"});
    // RFC 3339 (2026-01-31T12:00:00Z) or Unix seconds.
    let time = json!({"anyOf": [{"type": "string", "format": "date-time"}, {"type": "string", "pattern": "^-?[0-9]{1,15}$"}]});
    let kannel_params = json!(
        [
            "user", "pass", "from", "to", "text", "coding", "charset", "validity", "dlr-mask",
            "dlr-url"
        ]
        .iter()
        .map(|n| json!({"name": n, "in": "query", "required": false, "schema": {"type": "string"}}))
        .collect::<Vec<_>>()
    );
    let page = |item: Value| {
        json!({"type": "object", "required": ["data", "next_cursor"], "properties": {
        "data": {"type": "array", "items": item}, "next_cursor": {"type": ["string", "null"]}}})
    };
    let twilio_err = |codes: &[&str]| -> Value {
        let mut m = serde_json::Map::new();
        for c in codes {
            m.insert(
                (*c).to_owned(),
                json!({"description": "a Twilio-style error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/TwilioError"}}}}),
            );
        }
        Value::Object(m)
    };
    let account = json!({"name": "account", "in": "path", "required": true, "description": "the AccountSid: the API key's name", "schema": {"type": "string"}});
    let plain = json!({"200": {"description": "Prometheus text", "content": {"text/plain": {"schema": {"type": "string"}}}}});
    match (method, path) {
        ("post", "/v1/messages") => json!({
            "summary": "Send an MT message",
            "security": secured,
            "parameters": [{"name": "Idempotency-Key", "in": "header", "required": false, "description": "the same key again answers with the message it made (409 if the request differs)",
                "schema": {"type": "string", "minLength": 1, "maxLength": 255}}],
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SendMessage"}}}},
            "responses": merge(json_ok("202", "queued", json!({"$ref": "#/components/schemas/Accepted"})), err(&["400", "401", "403", "409", "422", "503"])),
        }),
        ("get", "/v1/messages") => json!({
            "summary": "Search messages (newest first, cursor paging)",
            "security": secured,
            "parameters": [q("to", "recipient", &text), q("from", "sender", &text), q("number", "sender or recipient", &text),
                q("status", "only messages in this status", &json!({"$ref": "#/components/schemas/Status"})),
                q("since", "created at or after: RFC 3339 or Unix seconds", &time), q("until", "created before: RFC 3339 or Unix seconds", &time),
                q("direction", "mt (sent) or mo (received)", &json!({"type": "string", "enum": ["mt", "mo"]})),
                q("limit", "page size, default 50", &limit),
                q("cursor", "next_cursor of the previous page", &json!({"type": "string", "pattern": "^c[0-9a-f]{1,16}\\..+$"}))],
            "responses": merge(json_ok("200", "a page", json!({"type": "object", "properties": {
                "data": {"type": "array", "items": {"$ref": "#/components/schemas/Message"}},
                "next_cursor": {"type": ["string", "null"]}}})), err(&["400", "401"])),
        }),
        ("get", "/v1/messages/{id}") => json!({
            "summary": "A message with its parts and full status history",
            "security": secured,
            "parameters": [id_param],
            "responses": merge(json_ok("200", "the message", json!({"$ref": "#/components/schemas/Message"})), err(&["401", "404"])),
        }),
        ("post", "/v1/messages/{id}/resend") => json!({
            "summary": "Send a message again (as a new message)",
            "security": secured,
            "parameters": [id_param],
            "responses": merge(json_ok("202", "queued", json!({"$ref": "#/components/schemas/Accepted"})), err(&["401", "404", "422", "503"])),
        }),
        ("get", "/v1/optouts") => json!({
            "summary": "List opted-out subscribers",
            "security": secured,
            "parameters": [q("short_code", "only this short code", &code), q("subscriber", "only this subscriber (is this number opted out, and of what?)", &number),
                q("limit", "page size, default 100", &limit),
                q("cursor", "next_cursor of the previous page", &json!({"type": "string", "pattern": "^o[0-9a-f]{1,16}\\.[^.]+\\..+$"}))],
            "responses": merge(json_ok("200", "a page of opt-outs, newest first", page(json!({"type": "object", "properties": {
                "subscriber": {"type": "string"}, "short_code": {"type": "string"}, "keyword": {"type": "string"}, "at": {"type": "string"}}}))),
                err(&["400", "401", "403"])),
        }),
        ("post", "/v1/optouts") => json!({
            "summary": "Opt a subscriber out of a short code",
            "security": secured,
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object",
                "required": ["subscriber", "short_code"], "additionalProperties": false,
                "properties": {"subscriber": number, "short_code": code, "reason": {"type": "string"}}}}}},
            "responses": merge(json_ok("201", "opted out", json!({"type": "object"})), err(&["400", "401", "403", "404"])),
        }),
        ("post", "/v1/optouts/import") => json!({
            "summary": "Opt a list of subscribers out of a short code at once (all checked first; a bad number refuses the request)",
            "security": secured,
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object",
                "required": ["short_code", "subscribers"], "additionalProperties": false,
                "properties": {"short_code": code, "subscribers": {"type": "array", "minItems": 1, "maxItems": MAX_IMPORT, "items": number},
                    "reason": {"type": "string"}}}}}},
            "responses": merge(json_ok("200", "imported", json!({"type": "object", "required": ["short_code", "imported", "already_opted_out"], "properties": {
                "short_code": {"type": "string"}, "imported": {"type": "integer"}, "already_opted_out": {"type": "integer"}}})),
                err(&["400", "401", "403", "404"])),
        }),
        ("delete", "/v1/optouts/{short_code}/{subscriber}") => json!({
            "summary": "Remove an opt-out",
            "security": secured,
            "parameters": [
                {"name": "short_code", "in": "path", "required": true, "schema": code},
                {"name": "subscriber", "in": "path", "required": true, "schema": number}],
            "responses": merge(json_ok("200", "opted back in", json!({"type": "object"})), err(&["400", "401", "403", "404"])),
        }),
        ("get", "/v1/optouts/audit") => json!({
            "summary": "The opt-out audit trail",
            "security": secured,
            "parameters": [q("subscriber", "only this subscriber", &number), q("limit", "page size, default 100", &limit),
                q("cursor", "next_cursor of the previous page", &json!({"type": "string", "pattern": "^a[0-9a-f]{1,16}\\.[01]\\.[0-9a-f]{1,16}$"}))],
            "responses": merge(json_ok("200", "a page of audit entries, newest first", page(json!({"type": "object", "properties": {
                "subscriber": {"type": "string"}, "short_code": {"type": "string"}, "program": {"type": ["string", "null"]},
                "action": {"type": "string", "enum": ["add", "remove"]}, "actor": {"type": "string"},
                "reason": {"type": ["string", "null"]}, "at": {"type": "string"}}}))), err(&["400", "401"])),
        }),
        ("post", "/2010-04-01/Accounts/{account}/Messages.json") => json!({
            "summary": "Twilio-compatible: send an MT (AccountSid = API key name, AuthToken = its token)",
            "security": [{"basic": []}],
            "parameters": [account.clone(), {"name": "I-Twilio-Idempotency-Token", "in": "header", "required": false, "schema": {"type": "string", "minLength": 1, "maxLength": 255}}],
            "requestBody": {"required": true, "content": {"application/x-www-form-urlencoded": {"schema": {"type": "object",
                "required": ["To", "From", "Body"], "properties": {
                    "To": number, "From": code, "Body": {"type": "string", "minLength": 1, "maxLength": MAX_TEXT_CHARS},
                    "StatusCallback": {"type": "string", "format": "uri", "pattern": "^[Hh][Tt][Tt][Pp][Ss]?://"},
                    "ValidityPeriod": {"type": "integer", "minimum": 1, "maximum": 36000}}}}}},
            "responses": merge(json_ok("201", "queued", json!({"$ref": "#/components/schemas/TwilioMessage"})), twilio_err(&["400", "401", "403", "404", "409", "429", "503"])),
        }),
        ("get", "/2010-04-01/Accounts/{account}/Messages.json") => json!({
            "summary": "Twilio-compatible: list messages, newest first (To, From, DateSent, PageSize, PageToken)",
            "security": [{"basic": []}],
            "parameters": [account.clone(), q("To", "recipient", &text), q("From", "sender", &text),
                q("DateSent", "YYYY-MM-DD", &json!({"type": "string", "format": "date"})),
                q("DateSent<", "sent on or before, YYYY-MM-DD", &json!({"type": "string", "format": "date"})),
                q("DateSent>", "sent on or after, YYYY-MM-DD", &json!({"type": "string", "format": "date"})),
                q("PageSize", "page size, default 50", &limit), q("Page", "the page number (informative)", &json!({"type": "integer", "minimum": 0})),
                q("PageToken", "from next_page_uri", &json!({"type": "string", "pattern": "^c[0-9a-f]{1,16}\\..+$"}))],
            "responses": merge(json_ok("200", "a page", json!({"type": "object", "required": ["messages", "next_page_uri"], "properties": {
                "messages": {"type": "array", "items": {"$ref": "#/components/schemas/TwilioMessage"}},
                "next_page_uri": {"type": ["string", "null"]}, "page": {"type": "integer"}, "page_size": {"type": "integer"}}})),
                twilio_err(&["400", "401", "404"])),
        }),
        ("get", "/2010-04-01/Accounts/{account}/Messages/{sid}") => json!({
            "summary": "Twilio-compatible: one message ({sid} is the message id followed by .json)",
            "security": [{"basic": []}],
            "parameters": [account.clone(), {"name": "sid", "in": "path", "required": true, "schema": {"type": "string", "pattern": "\\.json$"}}],
            "responses": merge(json_ok("200", "the message", json!({"$ref": "#/components/schemas/TwilioMessage"})), twilio_err(&["401", "404"])),
        }),
        ("get", "/cgi-bin/sendsms") | ("post", "/cgi-bin/sendsms") => json!({
            "summary": "Kannel-compatible sendsms (user = API key name, pass = its token)",
            "parameters": kannel_params,
            "responses": {
                "202": {"description": "0: Accepted for delivery", "content": {"text/plain": {"schema": {"type": "string"}}}},
                "400": {"description": "a Kannel-style error line", "content": {"text/plain": {"schema": {"type": "string"}}}},
                "403": {"description": "Authorization failed for sendsms, or the recipient opted out", "content": {"text/plain": {"schema": {"type": "string"}}}},
                "503": {"description": "no carrier bound, or shutting down", "content": {"text/plain": {"schema": {"type": "string"}}}},
            },
        }),
        ("get", "/send") | ("post", "/send") => {
            let p = |name: &str, required: bool, schema: Value| json!({"name": name, "in": "query", "required": required, "schema": schema});
            let line = |d: &str| json!({"description": d, "content": {"text/plain": {"schema": {"type": "string"}}}});
            json!({
                "summary": "Jasmin-compatible send (username = API key name, password = its token); DLRs go to dlr-url",
                "parameters": [
                    p("username", true, json!({"type": "string", "minLength": 1})),
                    p("password", true, json!({"type": "string", "minLength": 1})),
                    p("to", true, number.clone()),
                    p("from", true, code.clone()),
                    p("content", true, json!({"type": "string", "minLength": 1, "maxLength": MAX_TEXT_CHARS})),
                    p("coding", false, json!({"type": "string", "enum": ["0", "8"]})),
                    p("priority", false, json!({"type": "string", "enum": ["0", "1", "2", "3"]})),
                    p("validity-period", false, json!({"type": "string", "pattern": "^[0-9]{1,9}$", "description": "minutes, 1 to 142560"})),
                    p("dlr", false, json!({"type": "string", "enum": ["yes", "no"]})),
                    p("dlr-url", false, json!({"type": "string", "format": "uri", "pattern": "^https?://"})),
                    p("dlr-level", false, json!({"type": "string", "enum": ["1", "2", "3"]})),
                    p("dlr-method", false, json!({"type": "string", "pattern": "^([Gg][Ee][Tt]|[Pp][Oo][Ss][Tt])$"})),
                    p("tags", false, json!({"type": "string", "pattern": "^[-a-zA-Z0-9,]*$"})),
                ],
                "responses": {
                    "200": line("Success \"<message id>\""),
                    "400": line("Error \"...\": a missing, unknown or invalid argument"),
                    "403": line("Error \"...\": authentication or authorization failed, the recipient opted out, or quiet hours"),
                    "412": line("Error \"No route found (...)\": the short code is not configured or has no carrier that sends"),
                    "500": line("Error \"...\": the store failed"),
                    "503": line("Error \"...\": shutting down"),
                },
            })
        }
        ("get", "/metrics") => {
            json!({"summary": "Prometheus metrics (on `[api] ops_listen` when set)", "responses": plain})
        }
        ("get", "/healthz") => {
            json!({"summary": "Liveness (on `[api] ops_listen` when set)", "responses": json_ok("200", "alive", json!({"type": "object"}))})
        }
        ("get", "/readyz") => {
            json!({"summary": "Readiness: store open, a bind up per carrier (on `[api] ops_listen` when set)",
            "responses": merge(json_ok("200", "ready", json!({"type": "object"})), json_ok("503", "not ready", json!({"type": "object"})))})
        }
        ("get", "/openapi.json") => {
            json!({"summary": "This document", "responses": json_ok("200", "OpenAPI 3.1", json!({"type": "object"}))})
        }
        _ => json!({"summary": "undocumented"}),
    }
}

/// The document.
pub fn openapi() -> Value {
    let mut paths = serde_json::Map::new();
    for (method, path) in ROUTES {
        let entry = paths.entry((*path).to_owned()).or_insert_with(|| json!({}));
        if let Some(o) = entry.as_object_mut() {
            o.insert((*method).to_owned(), operation(method, path));
        }
    }
    let status = json!({"$ref": "#/components/schemas/Status"});
    json!({
        "openapi": "3.1.0",
        "info": {"title": "shortcode-router API", "version": env!("CARGO_PKG_VERSION"),
                 "description": "Send MT messages on short codes, track their delivery, search them, manage opt-outs."},
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}, "basic": {"type": "http", "scheme": "basic"}},
            "schemas": {
                "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "object",
                    "required": ["code", "message"], "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}}},
                "TwilioError": {"type": "object", "required": ["code", "message", "status"], "properties": {
                    "code": {"type": "integer"}, "message": {"type": "string"}, "more_info": {"type": "string"}, "status": {"type": "integer"}}},
                "TwilioMessage": {"type": "object", "required": ["sid", "status", "to", "from", "body"], "properties": {
                    "sid": {"type": "string"}, "account_sid": {"type": "string"}, "api_version": {"type": "string"},
                    "status": {"type": "string", "enum": ["queued", "sent", "delivered", "undelivered", "failed"]},
                    "to": {"type": "string"}, "from": {"type": "string"}, "body": {"type": "string"},
                    "direction": {"type": "string", "enum": ["inbound", "outbound-api", "outbound-reply"]},
                    "num_segments": {"type": "string"}, "error_code": {"type": ["integer", "null"]}, "error_message": {"type": ["string", "null"]},
                    "date_created": {"type": ["string", "null"]}, "date_sent": {"type": ["string", "null"]}, "date_updated": {"type": ["string", "null"]},
                    "uri": {"type": "string"}}},
                "Status": {"type": "string", "enum": ["queued", "sent", "delivered", "undelivered", "expired", "rejected", "failed"]},
                "Number": {"type": "string", "pattern": "^\\+?[0-9]{1,20}$", "description": "a phone number: digits with an optional leading +"},
                "ShortCode": {"type": "string", "minLength": 1, "maxLength": 20, "pattern": "^\\S+$", "description": "one of the configured short codes"},
                "SendMessage": {"type": "object", "required": ["from", "to", "text"], "additionalProperties": false, "properties": {
                    "from": {"$ref": "#/components/schemas/ShortCode"},
                    "to": {"$ref": "#/components/schemas/Number"},
                    "text": {"type": "string", "minLength": 1, "maxLength": MAX_TEXT_CHARS},
                    "program": {"type": ["string", "null"], "minLength": 1, "description": "a configured program on `from` (the short code's only program if left out)"},
                    "status_callback": {"type": ["string", "null"], "format": "uri", "pattern": "^[Hh][Tt][Tt][Pp][Ss]?://", "description": "an http(s) URL for status callbacks"},
                    "validity": {"type": ["integer", "null"], "minimum": 1, "maximum": 8_553_600, "description": "seconds (at most 99 days)"},
                    "encoding": {"type": ["string", "null"], "enum": ["auto", "gsm7", "ucs2", null]}}},
                "Accepted": {"type": "object", "properties": {
                    "id": {"type": "string"}, "status": status, "segments": {"type": "integer"},
                    "encoding": {"type": "string"}, "program": {"type": ["string", "null"]}}},
                "Message": {"type": "object", "properties": {
                    "id": {"type": "string"}, "direction": {"type": "string", "enum": ["mt", "mo"]},
                    "kind": {"type": ["string", "null"], "enum": ["api", "reply", "compliance", "no_route", null],
                        "description": "why an MT was sent: the API, a handler's reply, a STOP/HELP/START answer or opt-in request, the no-route reply"},
                    "from": {"type": "string"}, "to": {"type": "string"}, "text": {"type": "string"},
                    "status": status, "segments": {"type": "integer"}, "encoding": {"type": "string"},
                    "parts": {"type": "array", "items": {"type": "object"}},
                    "history": {"type": "array", "items": {"type": "object"}}}},
            },
        },
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn document_lists_exactly_the_routes() {
        let doc = openapi();
        let mut documented = BTreeSet::new();
        for (path, ops) in doc["paths"].as_object().unwrap() {
            for (method, op) in ops.as_object().unwrap() {
                assert_ne!(op["summary"], "undocumented", "{method} {path}");
                documented.insert((method.clone(), path.clone()));
            }
        }
        let served: BTreeSet<_> = ROUTES
            .iter()
            .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
            .collect();
        assert_eq!(documented, served);
        for (m, p) in ROUTES {
            assert!(
                super::super::endpoint(m, p).is_some(),
                "{m} {p} has no handler"
            );
        }
    }
}
