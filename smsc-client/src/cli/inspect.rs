//! What `smpp decode` adds beside the fields: the message text decoded (with the encoding used
//! and any UDH), and the parsed delivery receipt.

use bytes::Bytes;
use smpp_codec::coding::dcs::{Alphabet, Dcs};
use smpp_codec::coding::{self, DefaultAlphabet, GsmTables, gsm7};
use smpp_codec::concat::{MessageRef, Udh};
use smpp_codec::receipt::Receipt;
use smpp_codec::{Body, TlvTag, Tlvs};

use super::json::Json;

/// The user data of a message-carrying PDU: `esm_class`, `data_coding`, and the octets
/// (`short_message`, or `message_payload` when `short_message` is empty).
fn user_data(body: &Body) -> Option<(u8, u8, Bytes)> {
    fn pick(short: &smpp_codec::ShortMessage, tlvs: &Tlvs) -> Bytes {
        if short.is_empty() {
            tlvs.get_bytes(TlvTag::MESSAGE_PAYLOAD).unwrap_or_default()
        } else {
            short.to_bytes()
        }
    }
    match body {
        Body::SubmitSm(s) => Some((s.esm_class, s.data_coding, pick(&s.short_message, &s.tlvs))),
        Body::DeliverSm(s) => Some((s.esm_class, s.data_coding, pick(&s.short_message, &s.tlvs))),
        Body::SubmitMulti(s) => Some((s.esm_class, s.data_coding, pick(&s.short_message, &s.tlvs))),
        Body::DataSm(s) => Some((
            s.esm_class,
            s.data_coding,
            s.tlvs
                .get_bytes(TlvTag::MESSAGE_PAYLOAD)
                .unwrap_or_default(),
        )),
        _ => None,
    }
}

fn alphabet_name(a: Alphabet) -> &'static str {
    match a {
        Alphabet::Gsm7 { packed: false } => "gsm7",
        Alphabet::Gsm7 { packed: true } => "gsm7-packed",
        Alphabet::Ucs2 => "ucs2",
        Alphabet::Latin1 => "latin1",
        Alphabet::Ascii => "ascii",
        Alphabet::EightBit => "binary",
        Alphabet::Unsupported(name) => name,
    }
}

/// `{"encoding": ..., "value": ...}` (plus `udh` when there is one, or `error` when the text
/// does not decode) for a message-carrying PDU; `None` for other PDUs.
pub fn text_json(body: &Body, default: DefaultAlphabet) -> Option<Json> {
    let (esm_class, data_coding, data) = user_data(body)?;
    let dcs = Dcs::interpret(data_coding, default);
    let mut obj = vec![(
        "encoding".to_string(),
        Json::Str(alphabet_name(dcs.alphabet).to_string()),
    )];
    let (udh, payload) = match Udh::split(esm_class, &data) {
        Ok(split) => split,
        Err(e) => {
            obj.push((
                "error".into(),
                Json::Str(format!("bad user data header: {e}")),
            ));
            return Some(Json::Obj(obj));
        }
    };
    let mut tables = GsmTables::default();
    let mut fill = 0;
    if let Some(udh) = &udh {
        tables = GsmTables::from_ids(udh.national_locking_shift(), udh.national_single_shift());
        fill = gsm7::fill_bits(udh.encoded_len());
        obj.push(("udh".into(), udh_json(udh)));
    }
    match dcs.alphabet {
        Alphabet::EightBit => {}
        _ => match coding::decode_text(&payload, data_coding, default, tables, fill) {
            Ok(text) => obj.push(("value".into(), Json::Str(text.into_owned()))),
            Err(e) => obj.push(("error".into(), Json::Str(e.to_string()))),
        },
    }
    Some(Json::Obj(obj))
}

fn udh_json(udh: &Udh) -> Json {
    let mut obj = Vec::new();
    if let Some(c) = udh.concat() {
        let (kind, reference) = match c.reference {
            MessageRef::Udh8(r) => ("8bit", u64::from(r)),
            MessageRef::Udh16(r) | MessageRef::Sar(r) => ("16bit", u64::from(r)),
        };
        obj.push((
            "concat".to_string(),
            Json::Obj(vec![
                ("reference_size".into(), Json::Str(kind.into())),
                ("reference".into(), Json::Num(reference)),
                ("total".into(), Json::Num(c.total.into())),
                ("seq".into(), Json::Num(c.seq.into())),
            ]),
        ));
    }
    if let Some(l) = udh.national_locking_shift() {
        obj.push(("national_locking_shift".into(), Json::Num(l.into())));
    }
    if let Some(s) = udh.national_single_shift() {
        obj.push(("national_single_shift".into(), Json::Num(s.into())));
    }
    Json::Obj(obj)
}

/// The parsed receipt of a `deliver_sm` / `data_sm` that announces one; `None` otherwise.
pub fn receipt_json(body: &Body) -> Option<Json> {
    let receipt = match Receipt::from_body(body)? {
        Ok(r) => r,
        Err(e) => return Some(Json::Obj(vec![("error".into(), Json::Str(e.to_string()))])),
    };
    let opt_str = |s: Option<&str>| s.map_or(Json::Null, |s| Json::Str(s.to_string()));
    let time = |t: Option<smpp_codec::receipt::ReceiptTime>| {
        t.map_or(Json::Null, |t| Json::Str(t.to_string()))
    };
    let mut obj = vec![
        ("kind".to_string(), Json::Str(format!("{:?}", receipt.kind))),
        (
            "message_id".into(),
            Json::Str(receipt.message_id.to_string()),
        ),
        ("state".into(), opt_str(receipt.state.map(|s| s.name()))),
        ("final".into(), Json::Bool(receipt.is_final())),
        ("stat".into(), opt_str(receipt.stat())),
        ("err".into(), opt_str(receipt.err())),
        ("submit_date".into(), time(receipt.submit_date())),
        ("done_date".into(), time(receipt.done_date())),
    ];
    if let Some(n) = receipt.network_error_code() {
        obj.push((
            "network_error_code".into(),
            Json::Obj(vec![
                ("network_type".into(), Json::Num(n.network_type.into())),
                ("error_code".into(), Json::Num(n.error_code.into())),
            ]),
        ));
    }
    Some(Json::Obj(obj))
}
