//! The JSON form of a PDU, both ways: what `smpp decode` prints and `smpp encode` reads.
//!
//! One PDU is one JSON object:
//!
//! ```json
//! {"command_id": "submit_sm", "command_status": 0, "command_status_name": "ESME_ROK",
//!  "sequence_number": 7, "fields": {"service_type": "", "source_addr_ton": 1, ...},
//!  "tlvs": [{"tag": 1060, "name": "message_payload", "value_hex": "..."}]}
//! ```
//!
//! Conventions:
//! - `command_id` is the spec's name; on input also a number or a `"0x..."` string.
//! - `command_status` is a number; on input also a status name (`"ESME_RTHROTTLED"`) or `"0x..."`.
//!   `command_status_name` is the spec's name, or `null` for a value the spec does not define; on
//!   input it is optional and, when a string, must agree with `command_status` (or stands in for
//!   it when `command_status` is absent).
//! - `sequence_number` is a number (1 when absent on input).
//! - `fields` holds the mandatory fields of the spec's table for the PDU, in wire order, by the
//!   spec's names, the length and count fields (`sm_length`, `number_of_dests`, `no_unsuccess`)
//!   included; header-only PDUs have `{}`. Integers are numbers. A C-octet string is a string
//!   when it is valid UTF-8, otherwise its octets in lowercase hex under `<name>_hex`; input
//!   accepts either form (not both). An octet string (`short_message`) is lowercase hex under
//!   `<name>_hex`; input also accepts `<name>` as text (its UTF-8 octets). `dest_address` and
//!   `unsuccess_sme` are arrays of objects (`dest_flag` 1: `dest_addr_ton`, `dest_addr_npi`,
//!   `destination_addr`; `dest_flag` 2: `dl_name`). On input, absent fields take their
//!   defaults (0 or empty), `null` counts as absent, count/length fields are checked against
//!   what they count, `error_status_code` may also be a status name, and unknown keys are errors.
//! - `tlvs` is always present (an empty array for PDUs that carry none), in wire order, repeats
//!   and unknown tags kept: `tag` (number), `name` (`TlvTag::name`, `null` for unknown and vendor
//!   tags) and `value_hex`. On input `tag` or `name` identifies the TLV, values are taken as they
//!   are (no length check against the tag's definition, so any decoded TLV re-encodes exactly).
//! - `body_included` appears only where the wire breaks the codec's rule that a response carries
//!   its body unless `command_status` is non-zero and the body is empty: `true` for an error
//!   response that nevertheless carries an empty body, `false` for an `ESME_ROK` response sent
//!   without its body. It keeps `decode | encode` byte-exact for those PDUs.
//! - A PDU that cannot be decoded is `{"error": "...", "command_status": <status to answer
//!   with>, "command_status_name": ..., "sequence_number": <number or null>}`.

use std::fmt::{self, Write as _};

use anyhow::{Context as _, anyhow, bail};
use bytes::{BufMut as _, Bytes, BytesMut};
use serde_json::{Map, Value};
use smpp_codec::field::{FieldSource, FieldVisitor};
use smpp_codec::header::HEADER_LEN;
use smpp_codec::{Body, CommandId, CommandStatus, DecodeError, EncodeError, Pdu, TlvTag, Tlvs};

/// An ordered JSON value: objects keep their members in insertion (wire) order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Json {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A non-negative integer.
    Num(u64),
    /// A string.
    Str(String),
    /// An array.
    Arr(Vec<Json>),
    /// An object, members in order.
    Obj(Vec<(String, Json)>),
}

impl Json {
    fn str(s: impl Into<String>) -> Json {
        Json::Str(s.into())
    }

    fn opt_str(s: Option<&str>) -> Json {
        s.map_or(Json::Null, Json::str)
    }
}

impl fmt::Display for Json {
    /// Compact JSON text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Json::Null => f.write_str("null"),
            Json::Bool(b) => write!(f, "{b}"),
            Json::Num(n) => write!(f, "{n}"),
            Json::Str(s) => write_json_str(f, s),
            Json::Arr(items) => {
                f.write_char('[')?;
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_char(',')?;
                    }
                    v.fmt(f)?;
                }
                f.write_char(']')
            }
            Json::Obj(members) => {
                f.write_char('{')?;
                for (i, (k, v)) in members.iter().enumerate() {
                    if i > 0 {
                        f.write_char(',')?;
                    }
                    write_json_str(f, k)?;
                    f.write_char(':')?;
                    v.fmt(f)?;
                }
                f.write_char('}')
            }
        }
    }
}

fn write_json_str(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    f.write_char('"')?;
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            c if u32::from(c) < 0x20 => write!(f, "\\u{:04x}", u32::from(c))?,
            c => f.write_char(c)?,
        }
    }
    f.write_char('"')
}

/// The JSON object for a decoded PDU. `frame` is the PDU as received; it is only used to tell
/// whether a `body_included` hint is needed to re-encode it byte for byte.
pub fn pdu_to_json(pdu: &Pdu, frame: &[u8]) -> Json {
    let mut v = ToJson {
        stack: vec![Level::Obj(Vec::new())],
        tlvs: Vec::new(),
    };
    pdu.body.visit(&mut v);
    let fields = match v.stack.pop() {
        Some(Level::Obj(m)) => Json::Obj(m),
        _ => Json::Obj(Vec::new()),
    };
    let mut obj = vec![
        ("command_id".into(), Json::str(pdu.command_id().name())),
        (
            "command_status".into(),
            Json::Num(pdu.command_status.0.into()),
        ),
        (
            "command_status_name".into(),
            Json::opt_str(pdu.command_status.name()),
        ),
        (
            "sequence_number".into(),
            Json::Num(pdu.sequence_number.into()),
        ),
    ];
    if let Some(included) = body_included_hint(pdu, frame) {
        obj.push(("body_included".into(), Json::Bool(included)));
    }
    obj.push(("fields".into(), fields));
    obj.push(("tlvs".into(), Json::Arr(v.tlvs)));
    Json::Obj(obj)
}

/// The error object for a PDU that could not be decoded.
pub fn decode_error_to_json(e: &DecodeError) -> Json {
    error_object(&e.to_string(), e.command_status(), e.sequence_number())
}

/// An error object: what went wrong, the status to answer with, and the sequence number if known.
pub fn error_object(message: &str, status: CommandStatus, sequence_number: Option<u32>) -> Json {
    Json::Obj(vec![
        ("error".into(), Json::str(message)),
        ("command_status".into(), Json::Num(status.0.into())),
        ("command_status_name".into(), Json::opt_str(status.name())),
        (
            "sequence_number".into(),
            sequence_number.map_or(Json::Null, |n| Json::Num(n.into())),
        ),
    ])
}

/// One level of the object being built by [`ToJson`].
enum Level {
    Obj(Vec<(String, Json)>),
    List(&'static str, Vec<Json>),
}

/// Turns a body's fields into JSON members.
struct ToJson {
    stack: Vec<Level>,
    tlvs: Vec<Json>,
}

impl ToJson {
    fn member(&mut self, name: String, value: Json) {
        if let Some(Level::Obj(m)) = self.stack.last_mut() {
            m.push((name, value));
        }
    }
}

impl FieldVisitor for ToJson {
    fn integer(&mut self, name: &'static str, value: u32) {
        self.member(name.into(), Json::Num(value.into()));
    }

    fn cstr(&mut self, name: &'static str, value: &[u8]) {
        match std::str::from_utf8(value) {
            Ok(s) => self.member(name.into(), Json::str(s)),
            Err(_) => self.member(format!("{name}_hex"), Json::Str(hex::encode(value))),
        }
    }

    fn octets(&mut self, name: &'static str, value: &[u8]) {
        self.member(format!("{name}_hex"), Json::Str(hex::encode(value)));
    }

    fn begin_list(&mut self, name: &'static str) {
        self.stack.push(Level::List(name, Vec::new()));
    }

    fn begin_item(&mut self) {
        self.stack.push(Level::Obj(Vec::new()));
    }

    fn end_item(&mut self) {
        if let Some(Level::Obj(m)) = self.stack.pop() {
            if let Some(Level::List(_, items)) = self.stack.last_mut() {
                items.push(Json::Obj(m));
            }
        }
    }

    fn end_list(&mut self) {
        if let Some(Level::List(name, items)) = self.stack.pop() {
            self.member(name.into(), Json::Arr(items));
        }
    }

    fn tlvs(&mut self, tlvs: &Tlvs) {
        self.tlvs = tlvs
            .iter()
            .map(|t| {
                Json::Obj(vec![
                    ("tag".into(), Json::Num(t.tag.0.into())),
                    ("name".into(), Json::opt_str(t.tag.name())),
                    ("value_hex".into(), Json::Str(hex::encode(t.value))),
                ])
            })
            .collect()
    }
}

/// `Some(true)` for an error response that carries an empty body anyway, `Some(false)` for an
/// `ESME_ROK` response without its body; `None` when the codec's own rule reproduces `frame`.
fn body_included_hint(pdu: &Pdu, frame: &[u8]) -> Option<bool> {
    let id = pdu.command_id();
    if !id.is_response() || Body::is_header_only(id) || !pdu.body.is_default() {
        return None;
    }
    let natural = pdu.encode().ok()?;
    if natural[..] == *frame {
        return None;
    }
    let included = natural.len() == HEADER_LEN;
    let other = encode_with_body(pdu, included).ok()?;
    (other[..] == *frame).then_some(included)
}

/// Encodes `pdu` with its body written out (`include`) or left off, whatever the codec's default.
fn encode_with_body(pdu: &Pdu, include: bool) -> Result<Bytes, EncodeError> {
    let mut buf = BytesMut::with_capacity(pdu.encoded_len());
    pdu.encode_into_with_body(&mut buf, include)?;
    Ok(buf.freeze())
}

/// A PDU read from its JSON object, ready to encode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonPdu {
    /// The PDU.
    pub pdu: Pdu,
    /// The `body_included` hint, if given.
    pub body_included: Option<bool>,
}

impl JsonPdu {
    /// The PDU's octets.
    pub fn encode(&self) -> Result<Bytes, EncodeError> {
        match self.body_included {
            Some(include) => encode_with_body(&self.pdu, include),
            None => self.pdu.encode(),
        }
    }
}

const TOP_KEYS: &[&str] = &[
    "command_id",
    "command_status",
    "command_status_name",
    "sequence_number",
    "body_included",
    "fields",
    "tlvs",
    // What `decode` shows beside the fields; derived from them, so ignored by `encode`.
    "text",
    "receipt",
];

/// Parses one JSON line and encodes the PDU it describes.
pub fn encode_json_line(line: &str) -> anyhow::Result<Bytes> {
    let value: Value = serde_json::from_str(line).context("invalid JSON")?;
    let pdu = pdu_from_json(&value)?;
    pdu.encode().map_err(|e| anyhow!("cannot encode: {e}"))
}

/// Reads a PDU from its JSON object (see the module documentation for the conventions).
pub fn pdu_from_json(value: &Value) -> anyhow::Result<JsonPdu> {
    let Some(obj) = value.as_object() else {
        bail!("expected a JSON object, got {}", kind(value));
    };
    if let Some(e) = obj.get("error") {
        bail!("this is the error object of a PDU that did not decode, not a PDU: {e}");
    }
    if let Some(k) = obj.keys().find(|k| !TOP_KEYS.contains(&k.as_str())) {
        bail!("unknown key `{k}` (expected {})", TOP_KEYS.join(", "));
    }
    let id = match obj.get("command_id") {
        None | Some(Value::Null) => bail!("command_id is missing"),
        Some(v) => command_id(v)?,
    };
    let status = match obj.get("command_status").filter(|v| !v.is_null()) {
        Some(v) => Some(command_status(v).context("command_status")?),
        None => None,
    };
    let status = match (status, obj.get("command_status_name")) {
        (status, None | Some(Value::Null)) => status.unwrap_or_default(),
        (status, Some(Value::String(name))) => {
            let named = CommandStatus::from_name(name)
                .ok_or_else(|| anyhow!("command_status_name: unknown status {name:?}"))?;
            match status {
                Some(s) if s != named => bail!(
                    "command_status {} ({}) disagrees with command_status_name {name}: fix or drop one",
                    s.0,
                    s.name().unwrap_or("undefined")
                ),
                _ => named,
            }
        }
        (_, Some(other)) => bail!(
            "command_status_name: expected a string, got {}",
            kind(other)
        ),
    };
    let sequence_number = match obj.get("sequence_number") {
        None | Some(Value::Null) => 1,
        Some(v) => u32_of(v).context("sequence_number")?,
    };
    let body_included = match obj.get("body_included") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(other) => bail!("body_included: expected true or false, got {}", kind(other)),
    };
    let empty = Map::new();
    let fields = match obj.get("fields") {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(m)) => m,
        Some(other) => bail!("fields: expected an object, got {}", kind(other)),
    };
    let tlvs = obj.get("tlvs").filter(|v| !v.is_null());
    let mut source = JsonSource {
        frames: vec![Frame::new("fields".into(), fields)],
        tlvs,
        tlvs_read: false,
        deferred: None,
        id,
    };
    // The codec's error first: an entry that failed half-way also leaves keys unread.
    let body = Body::from_source(id, &mut source)?;
    if let Some(e) = source.deferred.take() {
        return Err(e.into());
    }
    source.frames[0].check_unknown(id)?;
    if !source.tlvs_read {
        match tlvs {
            Some(Value::Array(a)) if a.is_empty() => {}
            Some(_) => bail!("tlvs: {} carries no TLVs", id.name()),
            None => {}
        }
    }
    if let Some(include) = body_included {
        if !id.is_response() || Body::is_header_only(id) {
            bail!(
                "body_included: only for responses that have a body, not {}",
                id.name()
            );
        }
        if !include && !body.is_default() {
            bail!("body_included is false but fields are not all empty/zero");
        }
    }
    Ok(JsonPdu {
        pdu: Pdu {
            command_status: status,
            sequence_number,
            body,
        },
        body_included,
    })
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn u32_of(v: &Value) -> anyhow::Result<u32> {
    v.as_u64()
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| anyhow!("expected an integer in 0..=4294967295, got {v}"))
}

fn hex_u32(s: &str) -> Option<u32> {
    let digits = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X"))?;
    u32::from_str_radix(digits, 16).ok()
}

fn command_id(v: &Value) -> anyhow::Result<CommandId> {
    let found = match v {
        Value::String(s) => {
            CommandId::from_name(s).or_else(|| hex_u32(s).and_then(CommandId::from_u32))
        }
        Value::Number(_) => CommandId::from_u32(u32_of(v).context("command_id")?),
        other => bail!(
            "command_id: expected a name or a number, got {}",
            kind(other)
        ),
    };
    found.ok_or_else(|| anyhow!("command_id: unknown command {v}"))
}

fn command_status(v: &Value) -> anyhow::Result<CommandStatus> {
    match v {
        Value::String(s) => CommandStatus::from_name(s)
            .or_else(|| hex_u32(s).map(CommandStatus))
            .ok_or_else(|| anyhow!("unknown status {s:?}")),
        Value::Number(_) => u32_of(v).map(CommandStatus),
        other => bail!("expected a number or a status name, got {}", kind(other)),
    }
}

/// One object being read: the top-level `fields` or one entry of a list.
struct Frame<'a> {
    path: String,
    obj: &'a Map<String, Value>,
    /// Names the codec asked for, in order, and whether a `<name>_hex` form is allowed.
    asked: Vec<(&'static str, bool)>,
}

impl<'a> Frame<'a> {
    fn new(path: String, obj: &'a Map<String, Value>) -> Self {
        Frame {
            path,
            obj,
            asked: Vec::new(),
        }
    }

    fn is_known(&self, key: &str) -> bool {
        self.asked
            .iter()
            .any(|&(name, hex)| key == name || (hex && key.strip_suffix("_hex") == Some(name)))
    }

    /// Fails on a key the codec never asked for (a typo, or a field of another PDU).
    fn check_unknown(&self, id: CommandId) -> Result<(), EncodeError> {
        let Some(key) = self.obj.keys().find(|k| !self.is_known(k)) else {
            return Ok(());
        };
        let known: Vec<&str> = self.asked.iter().map(|&(n, _)| n).collect();
        let message = if known.is_empty() {
            format!("unknown field `{key}`: {} has no fields here", id.name())
        } else {
            format!(
                "unknown field `{key}` for {} (fields: {})",
                id.name(),
                known.join(", ")
            )
        };
        Err(EncodeError::Field {
            field: self.path.clone(),
            message,
        })
    }
}

/// Supplies a body's fields from a JSON object, recording which keys were used.
struct JsonSource<'a> {
    frames: Vec<Frame<'a>>,
    tlvs: Option<&'a Value>,
    tlvs_read: bool,
    /// The first error found when leaving a list entry (`leave_item` cannot return it).
    deferred: Option<EncodeError>,
    /// The command whose body is being built (for messages).
    id: CommandId,
}

impl<'a> JsonSource<'a> {
    fn frame(&mut self) -> &mut Frame<'a> {
        // The root frame is never popped: `leave_item` only pops what `enter_item` pushed.
        let last = self.frames.len() - 1;
        &mut self.frames[last]
    }

    fn err(&mut self, name: &str, message: String) -> EncodeError {
        EncodeError::Field {
            field: format!("{}.{name}", self.frame().path),
            message,
        }
    }

    /// The value under `name`, noting the name as used; `null` is absent.
    fn get(&mut self, name: &'static str, hex_form: bool) -> Option<&'a Value> {
        let frame = self.frame();
        if !frame.asked.iter().any(|&(n, _)| n == name) {
            frame.asked.push((name, hex_form));
        }
        frame.obj.get(name).filter(|v| !v.is_null())
    }

    /// Octets given as text under `name` or as hex under `<name>_hex`.
    fn text_or_hex(&mut self, name: &'static str) -> Result<Option<Bytes>, EncodeError> {
        let text = self.get(name, true);
        let hex_key = format!("{name}_hex");
        let hexed = self.frame().obj.get(&hex_key).filter(|v| !v.is_null());
        match (text, hexed) {
            (Some(_), Some(_)) => {
                Err(self.err(name, format!("give {name} or {hex_key}, not both")))
            }
            (Some(Value::String(s)), None) => Ok(Some(Bytes::copy_from_slice(s.as_bytes()))),
            (Some(other), None) => {
                Err(self.err(name, format!("expected a string, got {}", kind(other))))
            }
            (None, Some(Value::String(h))) => hex::decode(h)
                .map(|b| Some(Bytes::from(b)))
                .map_err(|e| self.err(&hex_key, format!("invalid hex: {e}"))),
            (None, Some(other)) => Err(self.err(
                &hex_key,
                format!("expected a hex string, got {}", kind(other)),
            )),
            (None, None) => Ok(None),
        }
    }
}

impl FieldSource for JsonSource<'_> {
    fn integer(&mut self, name: &'static str) -> Result<Option<u32>, EncodeError> {
        let Some(v) = self.get(name, false) else {
            return Ok(None);
        };
        let parsed = if name == "error_status_code" {
            command_status(v).map(|s| s.0)
        } else {
            u32_of(v)
        };
        parsed.map(Some).map_err(|e| self.err(name, e.to_string()))
    }

    fn cstr(&mut self, name: &'static str) -> Result<Option<Bytes>, EncodeError> {
        self.text_or_hex(name)
    }

    fn octets(&mut self, name: &'static str) -> Result<Option<Bytes>, EncodeError> {
        self.text_or_hex(name)
    }

    fn list_len(&mut self, name: &'static str) -> Result<usize, EncodeError> {
        match self.get(name, false) {
            None => Ok(0),
            Some(Value::Array(a)) => Ok(a.len()),
            Some(other) => {
                let message = format!("expected an array of objects, got {}", kind(other));
                Err(self.err(name, message))
            }
        }
    }

    fn enter_item(&mut self, name: &'static str, index: usize) -> Result<(), EncodeError> {
        let entry = self.get(name, false).and_then(|v| v.get(index));
        let path = format!("{}.{name}[{index}]", self.frame().path);
        match entry {
            Some(Value::Object(obj)) => {
                self.frames.push(Frame::new(path, obj));
                Ok(())
            }
            other => Err(EncodeError::Field {
                field: path,
                message: format!("expected an object, got {}", other.map_or("nothing", kind)),
            }),
        }
    }

    fn leave_item(&mut self) {
        if self.frames.len() > 1 {
            if let Some(frame) = self.frames.pop() {
                if let Err(e) = frame.check_unknown(self.id) {
                    self.deferred.get_or_insert(e);
                }
            }
        }
    }

    fn tlvs(&mut self) -> Result<Option<Tlvs>, EncodeError> {
        self.tlvs_read = true;
        let Some(v) = self.tlvs else {
            return Ok(None);
        };
        let tlv_err = |message: String| EncodeError::Field {
            field: "tlvs".into(),
            message,
        };
        let Value::Array(items) = v else {
            return Err(tlv_err(format!("expected an array, got {}", kind(v))));
        };
        let mut raw = BytesMut::new();
        for (i, item) in items.iter().enumerate() {
            let (tag, value) = tlv_from_json(item).map_err(|e| EncodeError::Field {
                field: format!("tlvs[{i}]"),
                message: format!("{e:#}"),
            })?;
            raw.put_u16(tag.0);
            raw.put_u16(value.len() as u16);
            raw.put_slice(&value);
        }
        // Values are taken as given (not via `TlvsBuilder::push`, which refuses standard tags
        // with lengths their definition does not allow), so that every decoded list re-encodes.
        Tlvs::from_raw(raw.freeze())
            .map(Some)
            .map_err(|e| tlv_err(e.to_string()))
    }
}

const TLV_KEYS: &[&str] = &["tag", "name", "value_hex"];

fn tlv_from_json(item: &Value) -> anyhow::Result<(TlvTag, Vec<u8>)> {
    let Some(obj) = item.as_object() else {
        bail!("expected an object, got {}", kind(item));
    };
    if let Some(k) = obj.keys().find(|k| !TLV_KEYS.contains(&k.as_str())) {
        bail!("unknown key `{k}` (expected {})", TLV_KEYS.join(", "));
    }
    let by_number = match obj.get("tag").filter(|v| !v.is_null()) {
        None => None,
        Some(v) => Some(TlvTag(
            v.as_u64()
                .and_then(|n| u16::try_from(n).ok())
                .ok_or_else(|| anyhow!("tag: expected an integer in 0..=65535, got {v}"))?,
        )),
    };
    let by_name = match obj.get("name").filter(|v| !v.is_null()) {
        None => None,
        Some(Value::String(s)) => {
            Some(TlvTag::from_name(s).ok_or_else(|| anyhow!("name: unknown TLV name {s:?}"))?)
        }
        Some(other) => bail!("name: expected a string, got {}", kind(other)),
    };
    let tag = match (by_number, by_name) {
        (Some(t), Some(n)) if t != n => bail!(
            "tag {} and name {:?} disagree (that name is tag {})",
            t.0,
            n.name().unwrap_or_default(),
            n.0
        ),
        (Some(t), _) | (None, Some(t)) => t,
        (None, None) => bail!("give the tag (a number) or its name"),
    };
    let value = match obj.get("value_hex") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(h)) => hex::decode(h).context("value_hex: invalid hex")?,
        Some(other) => bail!("value_hex: expected a hex string, got {}", kind(other)),
    };
    if value.len() > usize::from(u16::MAX) {
        bail!("value_hex: {} octets exceed 65535", value.len());
    }
    Ok((tag, value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use smpp_codec::{DestAddress, SubmitMulti, SubmitSmResp};

    fn decode(hex: &str) -> (Pdu, Value) {
        let frame = Bytes::from(hex::decode(hex.replace(' ', "")).unwrap());
        let pdu = Pdu::decode(&frame).unwrap();
        let text = pdu_to_json(&pdu, &frame).to_string();
        (pdu, serde_json::from_str(&text).unwrap())
    }

    #[test]
    fn strings_are_escaped_like_serde_json() {
        let s = "quote\" backslash\\ nl\n cr\r tab\t nul\u{0} esc\u{1b} é ✓";
        let text = Json::Obj(vec![(s.into(), Json::str(s))]).to_string();
        assert_eq!(
            serde_json::from_str::<Value>(&text).unwrap(),
            json!({ s: s })
        );
        assert_eq!(
            Json::Arr(vec![Json::Null, Json::Bool(false), Json::Num(7)]).to_string(),
            "[null,false,7]"
        );
    }

    #[test]
    fn lists_and_round_trip_through_the_source() {
        let body = SubmitMulti {
            source_addr: "12345".try_into().unwrap(),
            dest_address: vec![
                DestAddress::Sme {
                    dest_addr_ton: 1,
                    dest_addr_npi: 1,
                    destination_addr: "447700900123".try_into().unwrap(),
                },
                DestAddress::DistributionList {
                    dl_name: "friends".try_into().unwrap(),
                },
            ],
            tlvs: Tlvs::builder()
                .push(TlvTag(0x1401), &[1, 2])
                .unwrap()
                .build(),
            ..SubmitMulti::default()
        };
        let pdu = Pdu::new(9, body).unwrap();
        let frame = pdu.encode().unwrap();
        let v: Value = serde_json::from_str(&pdu_to_json(&pdu, &frame).to_string()).unwrap();
        assert_eq!(v["fields"]["number_of_dests"], 2);
        assert_eq!(
            v["fields"]["dest_address"][1],
            json!({"dest_flag": 2, "dl_name": "friends"})
        );
        assert_eq!(
            v["tlvs"],
            json!([{"tag": 5121, "name": null, "value_hex": "0102"}])
        );
        let back = pdu_from_json(&v).unwrap();
        assert_eq!(back.pdu, pdu);
        assert_eq!(back.encode().unwrap(), frame);
    }

    #[test]
    fn c_strings_that_are_not_utf8_go_as_hex_and_come_back() {
        // submit_sm_resp with message_id "\xff\xfe"
        let (pdu, v) = decode("00000013 80000004 00000000 00000001 fffe00");
        assert_eq!(v["fields"], json!({"message_id_hex": "fffe"}));
        assert_eq!(pdu_from_json(&v).unwrap().pdu, pdu);
    }

    #[test]
    fn body_included_hint_both_ways() {
        let (pdu, v) = decode("00000011 80000004 00000058 00000001 00");
        assert_eq!(v["body_included"], true);
        assert_eq!(pdu.body, Body::SubmitSmResp(SubmitSmResp::default()));
        let back = pdu_from_json(&v).unwrap();
        assert_eq!(back.encode().unwrap().len(), 17);
        let (_, v) = decode("00000010 80000004 00000058 00000001");
        assert!(v.get("body_included").is_none());
        let (_, v) = decode("00000010 80000005 00000000 00000001");
        assert_eq!(v["body_included"], false);
        assert_eq!(
            hex::encode(pdu_from_json(&v).unwrap().encode().unwrap()),
            "00000010800000050000000000000001"
        );
        // misuse
        for bad in [
            json!({"command_id": "submit_sm", "body_included": true}),
            json!({"command_id": "enquire_link_resp", "body_included": true}),
            json!({"command_id": "submit_sm_resp", "body_included": false, "fields": {"message_id": "x"}}),
        ] {
            assert!(pdu_from_json(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_codec_error_wins_over_unread_keys_of_a_failed_entry() {
        let v = json!({"command_id": "submit_multi", "fields": {"dest_address": [
            {"dest_flag": 1, "dest_addr_ton": 300, "destination_addr": "1"}
        ]}});
        let e = pdu_from_json(&v).unwrap_err().to_string();
        assert!(
            e.contains("dest_addr_ton") && e.contains("one octet"),
            "{e}"
        );
        let v = json!({"command_id": "submit_multi", "fields": {"dest_address": [
            {"destination_addr": "1", "dl_name": "x"}
        ]}});
        let e = pdu_from_json(&v).unwrap_err().to_string();
        assert!(
            e.starts_with("fields.dest_address[0]: unknown field `dl_name`"),
            "{e}"
        );
        let v = json!({"command_id": "submit_multi", "fields": {"dest_address": [1]}});
        let e = pdu_from_json(&v).unwrap_err().to_string();
        assert!(
            e.contains("fields.dest_address[0]: expected an object"),
            "{e}"
        );
    }

    #[test]
    fn header_values_by_name_number_or_hex() {
        let v = json!({"command_id": 0x80000004u32, "command_status": "0x58",
                       "command_status_name": "ESME_RTHROTTLED", "sequence_number": 5});
        let p = pdu_from_json(&v).unwrap().pdu;
        assert_eq!(p.command_id(), CommandId::SubmitSmResp);
        assert_eq!(p.command_status, CommandStatus::ESME_RTHROTTLED);
        let v = json!({"command_id": "generic_nack", "command_status_name": "ESME_RINVCMDID",
                       "sequence_number": 0});
        let p = pdu_from_json(&v).unwrap();
        assert_eq!(p.pdu.command_status, CommandStatus::ESME_RINVCMDID);
        assert_eq!(
            hex::encode(p.encode().unwrap()),
            "00000010800000000000000300000000"
        );
        for bad in [
            json!([]),
            json!({"command_id": "submit_sm", "seq": 1}),
            json!({"command_id": 0x999}),
            json!({"command_id": "submit_sm", "sequence_number": -1}),
            json!({"command_id": "submit_sm", "command_status": "ESME_NOPE"}),
            json!({"command_id": "submit_sm", "fields": []}),
            json!({"command_id": "submit_sm", "tlvs": [{"tag": 70000}]}),
            json!({"command_id": "submit_sm", "tlvs": [{"name": "nope"}]}),
            json!({"command_id": "submit_sm", "tlvs": [{"tag": 1, "value": "x"}]}),
            json!({"command_id": "submit_sm", "tlvs": [{"tag": 1, "value_hex": "zz"}]}),
            json!({"command_id": "query_sm", "tlvs": [{"tag": 1}]}),
            json!({"command_id": "submit_sm", "fields": {"short_message_hex": "0"}}),
            json!({"command_id": "submit_sm", "fields": {"source_addr": 5}}),
            json!({"command_id": "submit_sm", "fields": {"esm_class": "0x40"}}),
        ] {
            assert!(pdu_from_json(&bad).is_err(), "{bad}");
        }
        // an empty tlvs array is fine on a PDU without TLVs, as decode prints it
        assert!(pdu_from_json(&json!({"command_id": "query_sm", "tlvs": []})).is_ok());
    }

    #[test]
    fn a_standard_tlv_of_a_forbidden_length_is_read_but_not_emitted() {
        // Lenient decode keeps message_state with two octets; we refuse to send it on (strict out).
        let v = json!({"command_id": "deliver_sm_resp", "sequence_number": 1,
                       "tlvs": [{"tag": 0x0427, "name": "message_state", "value_hex": "0102"}]});
        let pdu = pdu_from_json(&v).unwrap();
        assert!(matches!(
            pdu.encode(),
            Err(EncodeError::TlvLength {
                tag: 0x0427,
                len: 2
            })
        ));
    }
}
