//! The `smpp` binary end to end: `decode` JSON shapes, error objects, `--raw`, `--strict`,
//! `encode`, and the byte-exact `decode | encode` round trip over every command id.

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::{Value, json};
use smpp_codec::CommandId;

/// Runs `smpp <args>` with `stdin`; returns stdout, stderr and the exit code.
fn smpp(args: &[&str], stdin: &[u8]) -> (Vec<u8>, String, i32) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_smpp"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn smpp");
    let mut input = child.stdin.take().unwrap();
    let stdin = stdin.to_vec();
    let writer = std::thread::spawn(move || input.write_all(&stdin));
    let out = child.wait_with_output().expect("run smpp");
    writer.join().unwrap().expect("write stdin");
    (
        out.stdout,
        String::from_utf8(out.stderr).unwrap(),
        out.status.code().expect("exit code"),
    )
}

fn json_lines(out: &[u8]) -> Vec<Value> {
    std::str::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// Decodes one hex PDU, expecting success.
fn decode_one(hex: &str) -> Value {
    let (out, err, code) = smpp(&["decode"], hex.as_bytes());
    assert_eq!(code, 0, "stderr: {err}");
    let mut lines = json_lines(&out);
    assert_eq!(lines.len(), 1);
    lines.remove(0)
}

fn tmp_file(name: &str, contents: &[u8]) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

/// Valid PDUs written from the SMPP 5.0 tables, one per command id plus odd but valid cases.
/// Spaces separate the fields (the decoder ignores them).
const VALID: &[&str] = &[
    // generic_nack
    "00000010 80000000 00000003 00000007",
    // bind_receiver
    "0000001c 00000001 00000000 00000001 72783100 707700 00 34 01 01 00",
    // bind_receiver_resp
    "0000001a 80000001 00000000 00000001 534d534300 0210000150",
    // bind_transmitter
    "00000023 00000002 00000000 00000002 747800 73656372657400 534d505000 50 00 00 00",
    // bind_transmitter_resp
    "00000010 80000002 0000000e 00000002",
    // query_sm
    "00000026 00000003 00000000 00000003 61626331323300 01 01 34343737303039303031323300",
    // query_sm_resp
    "0000002a 80000003 00000000 00000003 61626331323300 3235303130323033303430353030302b00 02 00",
    // submit_sm
    "0000005e 00000004 00000000 00000004 434d5400 05 00 41434d4500 01 01 34343737303039303031323300 00 00 01 00 3030303030313030303030303030305200 01 00 00 00 0c 48656c6c6f2c20776f726c64 020400020007 14010004deadbeef",
    // submit_sm_resp
    "00000019 80000004 00000000 00000004 6d73672d3030303100",
    // deliver_sm
    "000000af 00000005 00000000 00000005 00 01 01 34343737303039303031323300 05 00 41434d4500 04 00 00 00 00 00 00 00 00 67 69643a616263313233207375623a30303120646c7672643a303031207375626d697420646174653a3235303130323033303420646f6e6520646174653a3235303130323033303520737461743a44454c49565244206572723a30303020746578743a48656c6c6f 001e000761626331323300 0427000102 04230003030000",
    // deliver_sm_resp
    "00000011 80000005 00000000 00000005 00",
    // unbind
    "00000010 00000006 00000000 00000006",
    // unbind_resp
    "00000010 80000006 00000000 00000006",
    // replace_sm
    "0000003e 00000007 00000000 00000008 61626331323300 01 01 34343737303039303031323300 00 3030303030313030303030303030305200 01 00 03 6e6577",
    // replace_sm_resp
    "00000010 80000007 00000000 00000008",
    // cancel_sm
    "00000036 00000008 00000000 00000009 00 61626331323300 01 01 34343737303039303031323300 01 01 34343737303039303034353600",
    // cancel_sm_resp
    "00000010 80000008 00000000 00000009",
    // bind_transceiver
    "0000001f 00000009 00000000 0000000a 74727800 707700 00 34 01 01 5e343400",
    // bind_transceiver_resp
    "00000015 80000009 00000000 0000000a 534d534300",
    // outbind
    "00000018 0000000b 00000000 0000000b 534d534300 707700",
    // enquire_link
    "00000010 00000015 00000000 0000000c",
    // enquire_link_resp
    "00000010 80000015 00000000 0000000c",
    // submit_multi
    "0000003f 00000021 00000000 0000000d 00 01 01 313233343500 02 01010134343737303039303031323300 02667269656e647300 00 00 00 00 00 01 00 00 00 02 6869",
    // submit_multi_resp
    "0000003a 80000021 00000000 0000000d 6d3100 02 0101343437373030393030343536000000000b 01013434373730303930303738390000000045",
    // alert_notification
    "0000002c 00000102 00000000 0000000e 01 01 34343737303039303031323300 01 01 313233343500 0422000100",
    // data_sm
    "00000034 00000103 00000000 0000000f 00 01 01 313233343500 01 01 34343737303039303031323300 00 01 00 0424000568656c6c6f",
    // data_sm_resp
    "00000013 80000103 00000000 0000000f 643100",
    // broadcast_sm
    "00000045 00000111 00000000 00000010 00 01 01 313233343500 00 00 00 00 00 00 00 0606000400010203 06010003000001 060400020001 06050003080005 04240005616c657274",
    // broadcast_sm_resp
    "00000013 80000111 00000000 00000010 623100",
    // query_broadcast_sm
    "00000021 00000112 00000000 00000011 623100 01 01 313233343500 020400020007",
    // query_broadcast_sm_resp
    "00000025 80000112 00000000 00000011 623100 0427000102 0606000400010203 0608000164",
    // cancel_broadcast_sm
    "0000001c 00000113 00000000 00000012 00 623100 01 01 313233343500",
    // cancel_broadcast_sm_resp
    "00000010 80000113 00000000 00000012",
    // submit_sm_resp (throttled, no body)
    "00000010 80000004 00000058 00000013",
    // submit_sm_resp (throttled, empty body kept)
    "00000011 80000004 00000058 00000014 00",
    // deliver_sm_resp (ok, body left off)
    "00000010 80000005 00000000 00000015",
    // submit_sm: Latin-1 source_addr (not UTF-8), UDH + UCS-2, a vendor TLV (0x1402)
    "00000041 00000004 00000000 00000016 00 05 00 436166e900 01 01 34343737303039303031323300 40 00 00 00 00 00 00 08 00 0a 0500030a0201006800e9 140200020202",
    // data_sm_resp (vendor status)
    "00000024 80000103 00000401 00000017 00 001d000f76656e646f722073617973206e6f00",
];

#[test]
fn decode_submit_sm_with_tlvs() {
    let v = decode_one(VALID[7]);
    assert_eq!(
        v,
        json!({
            "command_id": "submit_sm",
            "command_status": 0,
            "command_status_name": "ESME_ROK",
            "sequence_number": 4,
            "fields": {
                "service_type": "CMT",
                "source_addr_ton": 5,
                "source_addr_npi": 0,
                "source_addr": "ACME",
                "dest_addr_ton": 1,
                "dest_addr_npi": 1,
                "destination_addr": "447700900123",
                "esm_class": 0,
                "protocol_id": 0,
                "priority_flag": 1,
                "schedule_delivery_time": "",
                "validity_period": "000001000000000R",
                "registered_delivery": 1,
                "replace_if_present_flag": 0,
                "data_coding": 0,
                "sm_default_msg_id": 0,
                "sm_length": 12,
                "short_message_hex": "48656c6c6f2c20776f726c64"
            },
            "tlvs": [
                {"tag": 0x0204, "name": "user_message_reference", "value_hex": "0007"},
                {"tag": 0x1401, "name": null, "value_hex": "deadbeef"}
            ],
            "text": {"encoding": "gsm7", "value": "Hello, world"}
        })
    );
}

#[test]
fn decode_keeps_wire_order_in_the_text() {
    let (out, _, _) = smpp(&["decode"], VALID[1].as_bytes());
    assert_eq!(
        std::str::from_utf8(&out).unwrap(),
        concat!(
            r#"{"command_id":"bind_receiver","command_status":0,"command_status_name":"ESME_ROK","#,
            r#""sequence_number":1,"fields":{"system_id":"rx1","password":"pw","system_type":"","#,
            r#""interface_version":52,"addr_ton":1,"addr_npi":1,"address_range":""},"tlvs":[]}"#,
            "\n"
        )
    );
}

#[test]
fn decode_deliver_sm_receipt() {
    let v = decode_one(VALID[9]);
    assert_eq!(v["command_id"], "deliver_sm");
    assert_eq!(v["sequence_number"], 5);
    assert_eq!(v["fields"]["esm_class"], 4);
    assert_eq!(v["fields"]["source_addr"], "447700900123");
    assert_eq!(v["fields"]["destination_addr"], "ACME");
    assert_eq!(v["fields"]["sm_length"], 103);
    let text = hex::decode(v["fields"]["short_message_hex"].as_str().unwrap()).unwrap();
    assert!(text.starts_with(b"id:abc123 sub:001 dlvrd:001 submit date:2501020304"));
    assert!(text.ends_with(b"stat:DELIVRD err:000 text:Hello"));
    assert_eq!(
        v["tlvs"],
        json!([
            {"tag": 0x001E, "name": "receipted_message_id", "value_hex": "61626331323300"},
            {"tag": 0x0427, "name": "message_state", "value_hex": "02"},
            {"tag": 0x0423, "name": "network_error_code", "value_hex": "030000"}
        ])
    );
    // The parsed receipt, beside the fields.
    let r = &v["receipt"];
    assert_eq!(r["kind"], "DeliveryReceipt");
    assert_eq!(r["message_id"], "abc123");
    assert_eq!(r["state"], "DELIVERED");
    assert_eq!(r["final"], true);
    assert_eq!(r["stat"], "DELIVRD");
    assert_eq!(r["err"], "000");
    assert_eq!(r["submit_date"], "2025-01-02T03:04:00");
    assert_eq!(
        r["network_error_code"],
        json!({"network_type": 3, "error_code": 0})
    );
    assert_eq!(v["text"]["encoding"], "gsm7");
    assert!(
        v["text"]["value"]
            .as_str()
            .unwrap()
            .ends_with("err:000 text:Hello")
    );
}

/// A submit_sm carrying part 2 of 3 of a UCS-2 message with an 8-bit concatenation UDH.
#[test]
fn decode_shows_text_with_encoding_and_udh() {
    // UDH 05 00 03 2A 03 02, then "Hé😀" as UTF-16BE (the emoji as a surrogate pair).
    let user_data = "0500032a0302004800e9d83dde00";
    let sm_length = user_data.len() / 2;
    let body = [
        "00", // service_type
        "0101",
        "31323300", // source ton, npi, "123"
        "0101",
        "34353600", // dest ton, npi, "456"
        "40",       // esm_class: UDHI
        "00",
        "00", // protocol_id, priority_flag
        "00",
        "00", // schedule_delivery_time, validity_period
        "00",
        "00", // registered_delivery, replace_if_present_flag
        "08",
        "00", // data_coding UCS-2, sm_default_msg_id
        &format!("{sm_length:02x}"),
        user_data,
    ]
    .concat();
    let hex = format!("{:08x}000000040000000000000003{body}", 16 + body.len() / 2);
    let v = decode_one(&hex);
    assert_eq!(v["fields"]["esm_class"], 0x40);
    assert_eq!(
        v["text"],
        json!({
            "encoding": "ucs2",
            "udh": {"concat": {"reference_size": "8bit", "reference": 42, "total": 3, "seq": 2}},
            "value": "Hé😀"
        })
    );
    // GSM with data_coding 0 means what the bind says: Latin-1 here.
    // service_type, 1/1 "123", 1/1 "456", then esm_class .. sm_default_msg_id (9 zero
    // octets), sm_length 3, "éàç" in Latin-1.
    let body = [
        "00",
        "010131323300",
        "010134353600",
        &"00".repeat(9),
        "03",
        "e9e0e7",
    ]
    .concat();
    let latin = format!("{:08x}000000040000000000000001{body}", 16 + body.len() / 2);
    let v: Value = serde_json::from_slice(
        &smpp(
            &["decode", "--default-alphabet", "latin1"],
            latin.as_bytes(),
        )
        .0,
    )
    .unwrap();
    assert_eq!(v["text"], json!({"encoding": "latin1", "value": "éàç"}));
    // The extra keys do not stop `encode` from reproducing the PDU.
    let (out, _, code) = smpp(&["encode"], serde_json::to_string(&v).unwrap().as_bytes());
    assert_eq!(code, 0);
    assert_eq!(String::from_utf8(out).unwrap().trim(), latin);
}

#[test]
fn decode_submit_multi_both_destination_kinds() {
    let v = decode_one(VALID[22]);
    assert_eq!(v["command_id"], "submit_multi");
    let f = &v["fields"];
    assert_eq!(f["source_addr"], "12345");
    assert_eq!(f["number_of_dests"], 2);
    assert_eq!(
        f["dest_address"],
        json!([
            {"dest_flag": 1, "dest_addr_ton": 1, "dest_addr_npi": 1, "destination_addr": "447700900123"},
            {"dest_flag": 2, "dl_name": "friends"}
        ])
    );
    assert_eq!(f["registered_delivery"], 1);
    assert_eq!(f["sm_length"], 2);
    assert_eq!(f["short_message_hex"], "6869");
    let keys: Vec<&str> = f.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys.len(), 17, "{keys:?}");
}

#[test]
fn decode_submit_multi_resp_unsuccess_sme() {
    let v = decode_one(VALID[23]);
    assert_eq!(
        v["fields"],
        json!({
            "message_id": "m1",
            "no_unsuccess": 2,
            "unsuccess_sme": [
                {"dest_addr_ton": 1, "dest_addr_npi": 1, "destination_addr": "447700900456", "error_status_code": 11},
                {"dest_addr_ton": 1, "dest_addr_npi": 1, "destination_addr": "447700900789", "error_status_code": 69}
            ]
        })
    );
    assert_eq!(v["tlvs"], json!([]));
}

#[test]
fn decode_bind_transceiver() {
    assert_eq!(
        decode_one(VALID[17]),
        json!({
            "command_id": "bind_transceiver",
            "command_status": 0,
            "command_status_name": "ESME_ROK",
            "sequence_number": 10,
            "fields": {
                "system_id": "trx",
                "password": "pw",
                "system_type": "",
                "interface_version": 0x34,
                "addr_ton": 1,
                "addr_npi": 1,
                "address_range": "^44"
            },
            "tlvs": []
        })
    );
}

#[test]
fn decode_header_only_pdus() {
    assert_eq!(
        decode_one(VALID[20]),
        json!({
            "command_id": "enquire_link",
            "command_status": 0,
            "command_status_name": "ESME_ROK",
            "sequence_number": 12,
            "fields": {},
            "tlvs": []
        })
    );
    assert_eq!(
        decode_one(VALID[0]),
        json!({
            "command_id": "generic_nack",
            "command_status": 3,
            "command_status_name": "ESME_RINVCMDID",
            "sequence_number": 7,
            "fields": {},
            "tlvs": []
        })
    );
}

#[test]
fn decode_error_responses_and_odd_strings() {
    // no body: the codec's default body
    let v = decode_one(VALID[33]);
    assert_eq!(v["command_status_name"], "ESME_RTHROTTLED");
    assert_eq!(v["fields"], json!({"message_id": ""}));
    assert!(v.get("body_included").is_none());
    // an empty body sent anyway, and an ESME_ROK response without its body
    assert_eq!(decode_one(VALID[34])["body_included"], true);
    assert_eq!(decode_one(VALID[35])["body_included"], false);
    // a C-string that is not UTF-8 comes as hex
    let v = decode_one(VALID[36]);
    assert_eq!(v["fields"]["source_addr_hex"], "436166e9");
    assert!(v["fields"].get("source_addr").is_none());
    assert_eq!(v["fields"]["short_message_hex"], "0500030a0201006800e9");
    assert_eq!(v["tlvs"][0]["value_hex"], "0202");
    // a status the spec does not define
    let v = decode_one(VALID[37]);
    assert_eq!(v["command_status"], 0x401);
    assert_eq!(v["command_status_name"], Value::Null);
    assert_eq!(v["tlvs"][0]["name"], "additional_status_info_text");
}

#[test]
fn decode_then_encode_is_byte_exact_for_every_command() {
    let input = VALID.join("\n");
    let (json_out, err, code) = smpp(&["decode"], input.as_bytes());
    assert_eq!(code, 0, "stderr: {err}");
    let seen: BTreeSet<String> = json_lines(&json_out)
        .iter()
        .map(|v| v["command_id"].as_str().unwrap().to_owned())
        .collect();
    for id in CommandId::ALL {
        assert!(seen.contains(id.name()), "no {} in the corpus", id.name());
    }
    let (hex_out, err, code) = smpp(&["encode"], &json_out);
    assert_eq!(code, 0, "stderr: {err}");
    let got: Vec<&str> = std::str::from_utf8(&hex_out).unwrap().lines().collect();
    let want: Vec<String> = VALID.iter().map(|h| h.replace(' ', "")).collect();
    assert_eq!(got, want);
}

#[test]
fn raw_round_trip_and_two_pdu_file() {
    let hex: String = VALID[7].replace(' ', "") + &VALID[20].replace(' ', "");
    let path = tmp_file("two.bin", &hex::decode(&hex).unwrap());
    let (out, err, code) = smpp(&["decode", "--raw", path.to_str().unwrap()], b"");
    assert_eq!(code, 0, "stderr: {err}");
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["command_id"], "submit_sm");
    assert_eq!(lines[0]["tlvs"][1]["tag"], 0x1401);
    assert_eq!(lines[1]["command_id"], "enquire_link");
    let (bin, err, code) = smpp(&["encode", "--raw"], &out);
    assert_eq!(code, 0, "stderr: {err}");
    assert_eq!(hex::encode(bin), hex);
}

#[test]
fn malformed_lines_give_error_objects_and_decoding_goes_on() {
    let input = [
        "0000001g 00000015 00000000 00000001", // not hex
        "00000010 000000",                     // too short for a header
        "00000010 00000999 00000000 00000005", // unknown command_id
        "00000017 00000021 00000000 00000006 00 01 01 3100 01 03", // dest_flag 3
        "00000014 00000004 00000000 00000008 0000", // submit_sm cut short
        VALID[20],
    ]
    .join("\n");
    let (out, err, code) = smpp(&["decode"], input.as_bytes());
    assert_eq!(code, 1);
    let v = json_lines(&out);
    assert_eq!(v.len(), 6);
    for (i, (status, name, seq)) in [
        (2, "ESME_RINVCMDLEN", Value::Null),
        (2, "ESME_RINVCMDLEN", Value::Null),
        (3, "ESME_RINVCMDID", json!(5)),
        (0x40, "ESME_RINVDESTFLAG", json!(6)),
        (2, "ESME_RINVCMDLEN", json!(8)),
    ]
    .into_iter()
    .enumerate()
    {
        let keys: BTreeSet<&str> = v[i]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            BTreeSet::from([
                "error",
                "command_status",
                "command_status_name",
                "sequence_number"
            ]),
            "line {}",
            i + 1
        );
        assert_eq!(v[i]["command_status"], status, "line {}: {}", i + 1, v[i]);
        assert_eq!(v[i]["command_status_name"], name, "line {}", i + 1);
        assert_eq!(v[i]["sequence_number"], seq, "line {}", i + 1);
    }
    assert!(v[2]["error"].as_str().unwrap().contains("0x00000999"));
    assert!(v[3]["error"].as_str().unwrap().contains("dest_flag"));
    assert_eq!(v[5]["command_id"], "enquire_link");
    for line in 1..=5 {
        assert!(err.contains(&format!("line {line}: ")), "{err}");
    }
    assert!(!err.contains("line 6"), "{err}");
}

#[test]
fn strict_refuses_an_over_long_c_string_that_lenient_takes() {
    // bind_transmitter with a 16-character system_id (the maximum is 15 plus NUL)
    let pdu = "00000029 00000002 00000000 00000001 4142434445464748494a4b4c4d4e4f5000 707700 00 34 00 00 00";
    let v = decode_one(pdu);
    assert_eq!(v["fields"]["system_id"], "ABCDEFGHIJKLMNOP");
    let (out, err, code) = smpp(&["decode", "--strict"], pdu.as_bytes());
    assert_eq!(code, 1);
    let v = &json_lines(&out)[0];
    assert_eq!(v["command_status_name"], "ESME_RINVSYSID");
    assert_eq!(v["sequence_number"], 1);
    assert!(v["error"].as_str().unwrap().contains("system_id"), "{v}");
    assert!(err.contains("line 1: "));
    // strict mode takes the corpus but for its one lenient case: an ESME_ROK response without
    // its body
    let (_, err, code) = smpp(&["decode", "--strict"], VALID.join("\n").as_bytes());
    assert_eq!(code, 1, "{err}");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(
        lines[0].starts_with("line 36: ") && lines[0].contains("message_id"),
        "{err}"
    );
    // a message_state TLV of the wrong length: strict decode refuses it with ESME_RINVTLVLEN
    let bad_tlv = "00000017 80000004 00000000 00000001 00 042700020202";
    let (out, _, code) = smpp(&["decode", "--strict"], bad_tlv.as_bytes());
    assert_eq!(code, 1);
    assert_eq!(
        json_lines(&out)[0]["command_status_name"],
        "ESME_RINVTLVLEN"
    );
}

#[test]
fn encode_reports_bad_lines_and_goes_on() {
    let input = [
        r#"{"command_id": "enquire_link", "sequence_number": 9}"#,
        r#"{"command_id": "submit_sm", "fields": {"destination_adr": "1"}}"#,
        r#"not json"#,
        r#"{"command_id": "bogus_sm"}"#,
        r#"{"command_id": "submit_sm", "fields": {"sm_length": 3, "short_message": "hi"}}"#,
        r#"{"command_id": "submit_multi", "fields": {"dest_address": [{"dest_flag": 2, "dl_name": "x", "dest_addr_ton": 1}]}}"#,
        r#"{"command_id": "submit_sm", "fields": {"source_addr": "x", "source_addr_hex": "78"}}"#,
        r#"{"command_id": "enquire_link", "fields": {"system_id": "x"}}"#,
        r#"{"command_id": "deliver_sm_resp", "tlvs": [{"tag": 1063, "name": "message_payload"}]}"#,
        r#"{"error": "bad", "command_status": 2, "command_status_name": "ESME_RINVCMDLEN", "sequence_number": null}"#,
        r#"{"command_id": "submit_sm", "fields": {"source_addr": "0123456789012345678901"}}"#,
        r#"{"command_id": "submit_sm_resp", "command_status": 88, "command_status_name": "ESME_ROK"}"#,
        r#"{"command_id": "unbind", "sequence_number": 4}"#,
    ]
    .join("\n");
    let (out, err, code) = smpp(&["encode"], input.as_bytes());
    assert_eq!(code, 1);
    assert_eq!(
        std::str::from_utf8(&out).unwrap(),
        "00000010000000150000000000000009\n00000010000000060000000000000004\n"
    );
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 11, "{err}");
    for (line, wanted) in [
        (2, "unknown field `destination_adr` for submit_sm"),
        (3, "invalid JSON"),
        (4, "unknown command"),
        (5, "sm_length: 3 does not match short_message (2 octets)"),
        (6, "fields.dest_address[0]: unknown field `dest_addr_ton`"),
        (7, "not both"),
        (8, "enquire_link has no fields"),
        (9, "disagree"),
        (10, "error object"),
        (11, "exceed the maximum of 21"),
        (12, "disagrees with command_status_name"),
    ] {
        let prefix = format!("line {line}: ");
        let msg = lines
            .iter()
            .find(|l| l.starts_with(&prefix))
            .unwrap_or_else(|| panic!("no line {line}: {err}"));
        assert!(msg.contains(wanted), "{msg}");
    }
}

#[test]
fn encode_takes_names_text_and_defaults() {
    let input = concat!(
        r#"{"command_id": "submit_sm", "sequence_number": 2, "fields": {"source_addr": "ACME", "#,
        r#""destination_addr": "447700900123", "short_message": "hi", "source_addr_ton": 5}, "#,
        r#""tlvs": [{"name": "user_message_reference", "value_hex": "0007"}, {"tag": 5121, "value_hex": "01"}]}"#,
        "\n",
        r#"{"command_id": "0x80000021", "command_status": "ESME_RINVDSTADR", "sequence_number": 3, "#,
        r#""fields": {"message_id": "m", "unsuccess_sme": [{"destination_addr": "1", "error_status_code": "ESME_RINVDSTADR"}]}}"#,
        "\n"
    );
    let (out, err, code) = smpp(&["encode"], input.as_bytes());
    assert_eq!(code, 0, "{err}");
    let (json_out, _, code) = smpp(&["decode"], &out);
    assert_eq!(code, 0);
    let v = json_lines(&json_out);
    assert_eq!(v[0]["fields"]["source_addr"], "ACME");
    assert_eq!(v[0]["fields"]["source_addr_ton"], 5);
    assert_eq!(v[0]["fields"]["short_message_hex"], "6869");
    assert_eq!(v[0]["fields"]["sm_length"], 2);
    assert_eq!(v[0]["fields"]["esm_class"], 0);
    assert_eq!(v[0]["tlvs"][0]["tag"], 0x0204);
    assert_eq!(
        v[0]["tlvs"][1],
        json!({"tag": 0x1401, "name": null, "value_hex": "01"})
    );
    assert_eq!(v[1]["command_id"], "submit_multi_resp");
    assert_eq!(v[1]["command_status"], 0x0B);
    assert_eq!(
        v[1]["fields"]["unsuccess_sme"][0]["error_status_code"],
        0x0B
    );
}

#[test]
fn sample_capture_decodes_and_round_trips() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/samples/capture.hex");
    let capture = std::fs::read_to_string(path).unwrap();
    let (json_out, err, code) = smpp(&["decode", path], b"");
    assert_eq!(code, 0, "{err}");
    assert_eq!(json_lines(&json_out).len(), capture.lines().count());
    let (hex_out, err, code) = smpp(&["encode"], &json_out);
    assert_eq!(code, 0, "{err}");
    assert_eq!(std::str::from_utf8(&hex_out).unwrap(), capture);
}

#[test]
fn missing_file_is_exit_2() {
    let (_, err, code) = smpp(&["decode", "/nonexistent/capture.hex"], b"");
    assert_eq!(code, 2);
    assert!(
        err.contains("cannot open /nonexistent/capture.hex"),
        "{err}"
    );
}
