#!/usr/bin/env python3
"""Writes the seed corpora fuzz/corpus/{decode,roundtrip}/ from hand-laid byte vectors.

The PDUs are built here field by field from the SMPP 5.0 tables (/work/shared/spec/SMPP_v5_0.txt,
§4.1-§4.6 and the TLV definitions of §4.8), not with smpp-codec, so that they also check the
codec against the spec: smpp-codec/tests/fuzz_corpus.rs requires every seed named after a
command (`submit_sm`, `submit_sm.payload`, ...) to decode strictly and re-encode byte for byte.
Seeds named `malformed.*` are broken on purpose and only have to not crash anything.

Run from anywhere: `python3 fuzz/gen_seeds.py`. The output is deterministic; commit it.
"""

import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def u8(v):
    return struct.pack(">B", v)


def u16(v):
    return struct.pack(">H", v)


def u32(v):
    return struct.pack(">I", v)


def cstr(s):
    """C-octet string: the octets, then NUL."""
    return s.encode("ascii") + b"\0"


def octets(b):
    """sm_length + short_message."""
    assert len(b) <= 254
    return u8(len(b)) + b


def tlv(tag, value):
    return u16(tag) + u16(len(value)) + value


def pdu(command_id, body=b"", status=0, seq=1, length=None):
    """Header + body; `length` overrides command_length (for malformed seeds)."""
    n = 16 + len(body) if length is None else length
    return u32(n) + u32(command_id) + u32(status) + u32(seq) + body


# TLV tags used below (SMPP 5.0 Table 4-59).
DEST_ADDR_SUBUNIT = 0x0005
SOURCE_PORT = 0x020A
DEST_PORT = 0x020B
USER_MESSAGE_REFERENCE = 0x0204
SAR_MSG_REF_NUM = 0x020C
SAR_TOTAL_SEGMENTS = 0x020E
SAR_SEGMENT_SEQNUM = 0x020F
SC_INTERFACE_VERSION = 0x0210
CALLBACK_NUM = 0x0381
NETWORK_ERROR_CODE = 0x0423
MESSAGE_PAYLOAD = 0x0424
DELIVERY_FAILURE_REASON = 0x0425
MESSAGE_STATE = 0x0427
RECEIPTED_MESSAGE_ID = 0x001E
ADDITIONAL_STATUS_INFO_TEXT = 0x001D
MS_AVAILABILITY_STATUS = 0x0422
BROADCAST_CONTENT_TYPE = 0x0601
BROADCAST_REP_NUM = 0x0604
BROADCAST_FREQUENCY_INTERVAL = 0x0605
BROADCAST_AREA_IDENTIFIER = 0x0606
BROADCAST_ERROR_STATUS = 0x0607
BROADCAST_AREA_SUCCESS = 0x0608
BROADCAST_END_TIME = 0x0609
VENDOR = 0x1400  # MC vendor specific range 0x1400..=0x3FFF
ESME_RINVCMDID = 0x03
ESME_RINVDSTADR = 0x0B
ESME_RTHROTTLED = 0x58


def bind_body():
    # §4.1.1.1: system_id, password, system_type, interface_version, addr_ton, addr_npi, address_range
    return cstr("smppclient1") + cstr("password") + cstr("VMA") + u8(0x50) + u8(1) + u8(1) + cstr("^447")


def bind_resp_body():
    # §4.1.1.2: system_id, then the sc_interface_version TLV
    return cstr("SMSC") + tlv(SC_INTERFACE_VERSION, u8(0x50))


def sm_body(short_message, tlvs=b"", esm_class=0, registered_delivery=1, validity="", schedule=""):
    # §4.2.1.1 submit_sm / §4.3.1.1 deliver_sm
    return (
        cstr("CMT")  # service_type
        + u8(1) + u8(1) + cstr("447700900123")  # source ton, npi, addr
        + u8(1) + u8(1) + cstr("447700900456")  # dest ton, npi, addr
        + u8(esm_class)
        + u8(0)  # protocol_id
        + u8(1)  # priority_flag
        + cstr(schedule)
        + cstr(validity)
        + u8(registered_delivery)
        + u8(0)  # replace_if_present_flag
        + u8(0)  # data_coding
        + u8(0)  # sm_default_msg_id
        + octets(short_message)
        + tlvs
    )


RECEIPT = b"id:7f3a2b stat:DELIVRD err:000 sub:001 dlvrd:001 submit date:2401011200 done date:2401011201 text:Hello"

SEEDS = {
    "generic_nack": pdu(0x80000000, status=ESME_RINVCMDID, seq=7),
    "bind_receiver": pdu(0x00000001, bind_body()),
    "bind_receiver_resp": pdu(0x80000001, bind_resp_body()),
    "bind_transmitter": pdu(0x00000002, bind_body()),
    "bind_transmitter_resp": pdu(0x80000002, bind_resp_body()),
    # §4.5.2.1: message_id, source_addr_ton, source_addr_npi, source_addr
    "query_sm": pdu(0x00000003, cstr("7f3a2b") + u8(1) + u8(1) + cstr("447700900123")),
    # §4.5.2.2: message_id, final_date, message_state, error_code
    "query_sm_resp": pdu(0x80000003, cstr("7f3a2b") + cstr("240101120100000+") + u8(2) + u8(0)),
    "submit_sm": pdu(
        0x00000004,
        sm_body(
            b"Hello, world",
            tlv(USER_MESSAGE_REFERENCE, u16(42)) + tlv(SOURCE_PORT, u16(9200)) + tlv(VENDOR, b"\x01\x02\x03"),
            validity="000001000000000R",
        ),
        seq=2,
    ),
    "submit_sm_resp": pdu(0x80000004, cstr("7f3a2b"), seq=2),
    "deliver_sm": pdu(
        0x00000005,
        sm_body(
            RECEIPT,
            tlv(RECEIPTED_MESSAGE_ID, cstr("7f3a2b"))
            + tlv(MESSAGE_STATE, u8(2))
            + tlv(NETWORK_ERROR_CODE, u8(3) + u16(0)),
            esm_class=0x04,
            registered_delivery=0,
        ),
        seq=3,
    ),
    # §4.3.1.2: message_id unused, set to NULL
    "deliver_sm_resp": pdu(0x80000005, cstr(""), seq=3),
    "unbind": pdu(0x00000006, seq=9),
    "unbind_resp": pdu(0x80000006, seq=9),
    # §4.5.3.1: message_id, source ton/npi/addr, schedule_delivery_time, validity_period,
    # registered_delivery, sm_default_msg_id, sm_length, short_message, TLVs
    "replace_sm": pdu(
        0x00000007,
        cstr("7f3a2b") + u8(1) + u8(1) + cstr("447700900123") + cstr("240102120000000+") + cstr("")
        + u8(1) + u8(0) + octets(b"Replaced text"),
        seq=4,
    ),
    "replace_sm_resp": pdu(0x80000007, seq=4),
    # §4.5.1.1: service_type, message_id, source ton/npi/addr, dest ton/npi/addr
    "cancel_sm": pdu(
        0x00000008,
        cstr("") + cstr("7f3a2b") + u8(1) + u8(1) + cstr("447700900123") + u8(1) + u8(1) + cstr("447700900456"),
        seq=5,
    ),
    "cancel_sm_resp": pdu(0x80000008, seq=5),
    "bind_transceiver": pdu(0x00000009, bind_body()),
    "bind_transceiver_resp": pdu(0x80000009, bind_resp_body()),
    # §4.1.1.9: system_id, password
    "outbind": pdu(0x0000000B, cstr("SMSC") + cstr("secret")),
    "enquire_link": pdu(0x00000015, seq=0x7FFFFFFF),
    "enquire_link_resp": pdu(0x80000015, seq=0x7FFFFFFF),
    # §4.2.3.1: ..., number_of_dests, then per dest dest_flag (1 = SME: ton, npi, addr; 2 = DL: name), ...
    "submit_multi": pdu(
        0x00000021,
        cstr("")
        + u8(1) + u8(1) + cstr("12345")
        + u8(3)
        + u8(1) + u8(1) + u8(1) + cstr("447700900456")
        + u8(2) + cstr("friends")
        + u8(1) + u8(2) + u8(8) + cstr("15551234567")
        + u8(0) + u8(0) + u8(0)  # esm_class, protocol_id, priority_flag
        + cstr("") + cstr("")  # schedule_delivery_time, validity_period
        + u8(1) + u8(0) + u8(8) + u8(0)  # registered_delivery, replace_if_present, data_coding, default msg
        + octets("Grüße".encode("utf-16-be"))
        + tlv(SAR_MSG_REF_NUM, u16(7)) + tlv(SAR_TOTAL_SEGMENTS, u8(2)) + tlv(SAR_SEGMENT_SEQNUM, u8(1)),
        seq=6,
    ),
    # §4.2.3.2: message_id, no_unsuccess, per entry ton, npi, addr, error_status_code
    "submit_multi_resp": pdu(
        0x80000021,
        cstr("7f3a2c") + u8(1) + u8(1) + u8(2) + cstr("15551234567") + u32(ESME_RINVDSTADR),
        seq=6,
    ),
    # §4.1.3.1: source ton/npi/addr (max 65), esme ton/npi/addr (max 65), ms_availability_status
    "alert_notification": pdu(
        0x00000102,
        u8(1) + u8(1) + cstr("447700900123") + u8(0) + u8(0) + cstr("12345") + tlv(MS_AVAILABILITY_STATUS, u8(0)),
    ),
    # §4.2.2.1: service_type, source ton/npi/addr, dest ton/npi/addr, esm_class,
    # registered_delivery, data_coding, TLVs
    "data_sm": pdu(
        0x00000103,
        cstr("WAP") + u8(1) + u8(1) + cstr("447700900123") + u8(1) + u8(1) + cstr("447700900456")
        + u8(0) + u8(1) + u8(4)
        + tlv(DEST_PORT, u16(2948)) + tlv(MESSAGE_PAYLOAD, bytes(range(256)) * 2),
        seq=10,
    ),
    # §4.2.2.2: message_id, TLVs
    "data_sm_resp": pdu(
        0x80000103,
        cstr("7f3a2d") + tlv(ADDITIONAL_STATUS_INFO_TEXT, cstr("queued")) + tlv(DELIVERY_FAILURE_REASON, u8(0)),
        seq=10,
    ),
    # §4.4.1.1: service_type, source ton/npi/addr, message_id, priority_flag,
    # schedule_delivery_time, validity_period, replace_if_present_flag, data_coding,
    # sm_default_msg_id, then broadcast TLVs
    "broadcast_sm": pdu(
        0x00000111,
        cstr("CBS") + u8(1) + u8(1) + cstr("12345") + cstr("") + u8(0) + cstr("") + cstr("000002000000000R")
        + u8(0) + u8(0) + u8(0)
        + tlv(BROADCAST_AREA_IDENTIFIER, u8(0) + b"AREA-1")
        + tlv(BROADCAST_AREA_IDENTIFIER, u8(0) + b"AREA-2")
        + tlv(BROADCAST_CONTENT_TYPE, u8(1) + u16(0x0002))
        + tlv(BROADCAST_REP_NUM, u16(3))
        + tlv(BROADCAST_FREQUENCY_INTERVAL, u8(9) + u16(30))
        + tlv(MESSAGE_PAYLOAD, b"Storm warning"),
        seq=11,
    ),
    "broadcast_sm_resp": pdu(0x80000111, cstr("b-1"), seq=11),
    # §4.6.1.1: message_id, source ton/npi/addr, TLVs
    "query_broadcast_sm": pdu(
        0x00000112,
        cstr("b-1") + u8(1) + u8(1) + cstr("12345") + tlv(USER_MESSAGE_REFERENCE, u16(42)),
        seq=12,
    ),
    # §4.6.1.3: message_id, then message_state, broadcast_area_identifier, broadcast_area_success TLVs
    "query_broadcast_sm_resp": pdu(
        0x80000112,
        cstr("b-1")
        + tlv(MESSAGE_STATE, u8(1))
        + tlv(BROADCAST_AREA_IDENTIFIER, u8(0) + b"AREA-1")
        + tlv(BROADCAST_AREA_SUCCESS, u8(100))
        + tlv(BROADCAST_END_TIME, cstr("240101130000000+")),
        seq=12,
    ),
    # §4.6.2.1: service_type, message_id, source ton/npi/addr, TLVs
    "cancel_broadcast_sm": pdu(
        0x00000113,
        cstr("CBS") + cstr("b-1") + u8(1) + u8(1) + cstr("12345") + tlv(BROADCAST_CONTENT_TYPE, u8(1) + u16(2)),
        seq=13,
    ),
    "cancel_broadcast_sm_resp": pdu(0x80000113, seq=13),
    # Variants of valid PDUs (named `<command>.<variant>`).
    "submit_sm.payload": pdu(
        0x00000004,
        sm_body(b"", tlv(MESSAGE_PAYLOAD, b"A" * 300) + tlv(CALLBACK_NUM, b"\x01\x01\x01" + b"447700900999")),
        seq=20,
    ),
    "submit_sm.empty": pdu(0x00000004, sm_body(b"", registered_delivery=0), seq=21),
    "submit_sm.max_short_message": pdu(0x00000004, sm_body(bytes(range(254)), esm_class=0x40), seq=22),
    "submit_sm_resp.error": pdu(0x80000004, status=ESME_RTHROTTLED, seq=23),
    "deliver_sm.mo": pdu(
        0x00000005,
        sm_body(b"STOP", tlv(DEST_ADDR_SUBUNIT, u8(1)), registered_delivery=0),
        seq=24,
    ),
    "broadcast_sm_resp.error": pdu(
        0x80000111,
        cstr("") + tlv(BROADCAST_ERROR_STATUS, u32(0x0105)) + tlv(BROADCAST_AREA_IDENTIFIER, u8(0) + b"AREA-2"),
        status=0x0105,
        seq=25,
    ),
}

MALFORMED = {
    # Fewer than 16 octets: no header at all.
    "malformed.short_header": bytes.fromhex("00000010000000150000"),
    # command_length below the header size: the stream cannot be resynchronised.
    "malformed.length_below_header": pdu(0x00000015, length=8),
    # command_length longer than the frame.
    "malformed.length_over_frame": pdu(0x00000015, length=64),
    # command_length above the default maximum (65536 + 1024).
    "malformed.length_over_max": pdu(0x00000015, length=0x00100000),
    # Unknown command_id.
    "malformed.unknown_command_id": pdu(0x00000099, b"\x00\x01"),
    # submit_sm cut inside source_addr (command_length patched to the cut).
    "malformed.submit_sm_truncated": pdu(0x00000004, sm_body(b"Hello")[:12]),
    # sm_length larger than what follows.
    "malformed.sm_length_overflow": pdu(0x00000004, sm_body(b"Hello")[:-6] + u8(200) + b"Hello"),
    # A TLV whose length runs past the end of the body.
    "malformed.tlv_overrun": pdu(0x00000004, sm_body(b"Hi") + u16(MESSAGE_PAYLOAD) + u16(100) + b"short"),
    # Three stray octets after the TLVs.
    "malformed.tlv_stray_octets": pdu(0x00000004, sm_body(b"Hi") + b"\x02\x0b\x00"),
    # A standard TLV with a length its definition forbids (message_state is one octet).
    "malformed.tlv_bad_length": pdu(0x00000005, sm_body(b"Hi", tlv(MESSAGE_STATE, u16(2)))),
    # dest_flag 3 in submit_multi.
    "malformed.submit_multi_dest_flag": pdu(
        0x00000021, cstr("") + u8(1) + u8(1) + cstr("12345") + u8(1) + u8(3) + cstr("x") + b"\0" * 8
    ),
    # system_id over its 16-octet maximum and password missing its NUL: lenient takes it, strict does not.
    "malformed.bind_overlong": pdu(0x00000002, cstr("a-system-id-that-is-too-long") + b"pass"),
    # Both short_message and message_payload.
    "malformed.payload_and_short_message": pdu(0x00000004, sm_body(b"Hi", tlv(MESSAGE_PAYLOAD, b"there"))),
    # A time field of the wrong length.
    "malformed.bad_time": pdu(0x00000004, sm_body(b"Hi", validity="1h")),
    # enquire_link carrying a body.
    "malformed.header_only_with_body": pdu(0x00000015, b"\0\0\0\0"),
    # An ESME_ROK response without its body (lenient takes it).
    "malformed.ok_resp_without_body": pdu(0x80000004, seq=30),
    # Two PDUs back to back, then half a third one (for the stream framing).
    "malformed.stream": pdu(0x00000015, seq=1) + SEEDS["submit_sm"] + pdu(0x80000015, seq=2)[:9],
    # Sequence number 0, which the spec reserves.
    "malformed.sequence_zero": pdu(0x00000015, seq=0),
}


def main():
    for target in ("decode", "roundtrip"):
        out = os.path.join(HERE, "corpus", target)
        os.makedirs(out, exist_ok=True)
        for name, data in {**SEEDS, **MALFORMED}.items():
            with open(os.path.join(out, name), "wb") as f:
                f.write(data)
    print(f"wrote {len(SEEDS)} valid and {len(MALFORMED)} malformed seeds to fuzz/corpus/{{decode,roundtrip}}")


if __name__ == "__main__":
    main()
