#!/usr/bin/env python3
"""An ESME built on the PyPI `smpplib` package, for interop tests of our SMSC.

Binds, submits COUNT messages with a window, waits for every response and receipt, answers
deliver_sm, unbinds, and prints one JSON summary line (the same shape as ../node/client.js).
See ../README.md.

smpplib is blocking and single-threaded. `Client.read_once()` / `listen()` neither answer an
unbind from the SMSC nor surface generic_nack, and `Client.unbind()` takes whatever PDU comes
next as the unbind_resp, so this script drives the socket itself: select() for readability,
then `Client.read_pdu()` (the library's framing and decoding) and its own dispatch, replying
with PDUs made by `smpplib.smpp.make_pdu`.
"""

import argparse
import importlib.metadata
import json
import logging
import re
import select
import struct
import sys
import time

try:
    import smpplib.client
    import smpplib.command_codes
    import smpplib.consts
    import smpplib.exceptions
    import smpplib.gsm
    import smpplib.smpp
except ImportError as e:  # pragma: no cover - setup problem
    print("client.py: cannot import smpplib (%s); run interop/setup.sh" % e, file=sys.stderr)
    sys.exit(70)

SMPPLIB_VERSION = importlib.metadata.version("smpplib")

CODINGS = {
    "default": smpplib.consts.SMPP_ENCODING_DEFAULT,
    "ucs2": smpplib.consts.SMPP_ENCODING_ISO10646,
    "latin1": smpplib.consts.SMPP_ENCODING_ISO88591,
}


def int_arg(value):
    return int(value, 0)


class ArgumentParser(argparse.ArgumentParser):
    def error(self, message):
        # 64 (EX_USAGE) like the node peers, not argparse's 2.
        self.print_usage(sys.stderr)
        print("%s: error: %s" % (self.prog, message), file=sys.stderr)
        sys.exit(64)


def parse_args(argv):
    p = ArgumentParser(
        prog="client.py",
        description="smpplib ESME for interop tests: bind, submit, await receipts, unbind.",
    )
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("system_id")
    p.add_argument("password")
    p.add_argument("count", type=int)
    p.add_argument("text")
    p.add_argument("--src", default="12345", help="source_addr (default 12345)")
    p.add_argument("--dst", default="447700900001", help="destination_addr (default 447700900001)")
    p.add_argument("--window", type=int, default=10, help="submit_sm in flight at most (default 10)")
    p.add_argument(
        "--bind",
        choices=("transceiver", "transmitter", "receiver"),
        default="transceiver",
        help="bind type (default transceiver)",
    )
    p.add_argument("--registered-delivery", type=int_arg, default=1, help="default 1")
    p.add_argument(
        "--coding",
        choices=sorted(CODINGS),
        default="default",
        help="default: GSM 03.38 (data_coding 0), else UCS-2 (smpplib.gsm.make_parts)",
    )
    p.add_argument(
        "--expect-receipts",
        type=int,
        default=None,
        help="receipts to wait for (default: the number accepted when the bind receives and "
        "registered_delivery asks for one, else 0)",
    )
    p.add_argument("--expect-mo", type=int, default=0, help="MO deliver_sm to wait for (default 0)")
    p.add_argument(
        "--deliver-status", type=int_arg, default=0, help="command_status of deliver_sm_resp (default 0)"
    )
    p.add_argument("--timeout-s", type=float, default=20, help="give up after N s, exit 1 (default 20)")
    p.add_argument("--verbose", action="store_true", help="log PDUs to stderr")
    a = p.parse_args(argv)
    if a.window < 1:
        p.error("--window must be at least 1")
    if a.bind == "receiver":
        a.count = 0
    return a


def status_hex(status):
    return "0x%08x" % (status & 0xFFFFFFFF)


def text_of(value):
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return str(value)


def gsm_decode(data):
    """GSM 03.38 default alphabet, one septet per octet (smpplib only has an encoder)."""
    table = smpplib.gsm.GSM_CHARACTER_TABLE
    out = []
    escape = False
    for b in data:
        if escape:
            out.append(table[0x80 + b] if 0x80 + b < len(table) else " ")
            escape = False
        elif b == 0x1B:
            escape = True
        else:
            out.append(table[b] if b < 0x80 else " ")
    return "".join(out)


def decode_message(data, data_coding, esm_class):
    """Returns (text or None, hex or None, udh hex or None)."""
    if not data:
        return ("" if data is not None else None), None, None
    udh = None
    if esm_class & 0x40 and len(data) > data[0]:
        udh = data[: data[0] + 1].hex()
        data = data[data[0] + 1 :]
    dc = (data_coding or 0) & 0xFF
    try:
        if dc == 0x00:
            return gsm_decode(data), None, udh
        if dc == 0x01:
            return data.decode("ascii"), None, udh
        if dc == 0x03:
            return data.decode("latin-1"), None, udh
        if dc == 0x08:
            return data.decode("utf-16-be"), None, udh
    except UnicodeDecodeError:
        pass
    return None, data.hex(), udh


def known_tlvs(pdu):
    """The optional parameters smpplib decoded (it drops TLVs it does not know), by name, bytes
    as hex; message_payload is reported on its own."""
    out = {}
    for name in pdu.params_order:
        if name == "message_payload" or not pdu.field_is_optional(name):
            continue
        value = getattr(pdu, name, None)
        if value is not None:
            out[name] = value.hex() if isinstance(value, bytes) else value
    return out


RECEIPT_FIELD = re.compile(r"(id|sub|dlvrd|submit date|done date|stat|err):(\S*)", re.IGNORECASE)


def parse_receipt_text(text):
    out = {}
    for key, value in RECEIPT_FIELD.findall(text or ""):
        out[key.lower().replace(" ", "_")] = value
    return out


class Run:
    def __init__(self, args):
        self.args = args
        self.started = time.monotonic()
        self.deadline = self.started + args.timeout_s
        self.summary = {
            "ok": False,
            "peer": "pypi smpplib %s" % SMPPLIB_VERSION,
            "bound": False,
            "bind_status": None,
            "submitted": 0,
            "accepted": 0,
            "failed": {},
            "pending": 0,
            "receipts": 0,
            "receipts_unmatched": 0,
            "receipt_stats": {},
            "mo": 0,
            "mo_messages": [],
            "first_receipt": None,
            "enquire_link": False,
            "unbound": False,
            "unbound_by_peer": False,
            "message_ids": [],
            "error": None,
            "elapsed_ms": 0,
        }
        self.accepted_ids = set()
        self.receipt_ids = []
        self.in_flight = {}  # sequence -> "submit_sm" | "enquire_link" | "unbind"
        self.client = None
        self.parts = None
        self.messages = 0  # messages submitted; each is one submit_sm per part

    def log(self, *what):
        if self.args.verbose:
            print("client.py:", *what, file=sys.stderr)

    # --- protocol --------------------------------------------------------------------------

    def expected_receipts(self):
        if self.args.expect_receipts is not None:
            return self.args.expect_receipts
        if self.args.bind == "transmitter" or not (self.args.registered_delivery & 0x03):
            return 0
        return self.summary["accepted"]

    def bind(self):
        c = self.client
        command = "bind_%s" % self.args.bind
        # Client._bind reads the very next PDU as the bind response.
        try:
            getattr(c, command)(system_id=self.args.system_id, password=self.args.password)
        except smpplib.exceptions.PDUError as e:
            status = e.args[1] if len(e.args) > 1 else None
            self.summary["bind_status"] = status
            raise Failure("%s failed with %s" % (command, status_hex(status) if status is not None else e))
        self.summary["bind_status"] = 0
        self.summary["bound"] = True
        self.send_request(smpplib.smpp.make_pdu("enquire_link", client=c), "enquire_link")

    def send_request(self, pdu, kind):
        self.client.send_pdu(pdu)
        self.in_flight[pdu.sequence] = kind

    def pump(self):
        s = self.summary
        if self.parts is None:
            # The library's own splitter/encoder: GSM 03.38 (falls back to UCS-2), UDH parts when
            # the text is too long for one message.
            self.parts, self.data_coding, self.esm_class = smpplib.gsm.make_parts(
                self.args.text, encoding=CODINGS[self.args.coding]
            )
        while self.messages < self.args.count and s["pending"] < self.args.window:
            self.messages += 1
            for part in self.parts:
                pdu = self.client.send_message(
                    source_addr_ton=smpplib.consts.SMPP_TON_UNK,
                    source_addr_npi=smpplib.consts.SMPP_NPI_UNK,
                    source_addr=self.args.src,
                    dest_addr_ton=smpplib.consts.SMPP_TON_INTL,
                    dest_addr_npi=smpplib.consts.SMPP_NPI_ISDN,
                    destination_addr=self.args.dst,
                    short_message=part,
                    data_coding=self.data_coding,
                    esm_class=self.esm_class,
                    registered_delivery=self.args.registered_delivery,
                )
                self.in_flight[pdu.sequence] = "submit_sm"
                s["submitted"] += 1
                s["pending"] += 1

    def all_done(self):
        s = self.summary
        return (
            s["enquire_link"]
            and self.messages >= self.args.count
            and s["pending"] == 0
            and len(self.receipt_ids) >= self.expected_receipts()
            and s["mo"] >= self.args.expect_mo
        )

    def reply(self, command, request, **fields):
        pdu = smpplib.smpp.make_pdu(command, client=self.client, **fields)
        pdu.sequence = request.sequence
        self.client.send_pdu(pdu)

    def dispatch(self, pdu):
        s = self.summary
        cmd = pdu.command
        self.log("<-", cmd, pdu.sequence, status_hex(pdu.status))
        if cmd in ("submit_sm_resp", "enquire_link_resp", "unbind_resp", "generic_nack"):
            kind = self.in_flight.pop(pdu.sequence, None)
            if kind is None:
                raise Failure("%s with unknown sequence_number %d" % (cmd, pdu.sequence))
            if kind == "submit_sm":
                s["pending"] -= 1
                if cmd == "submit_sm_resp" and pdu.status == 0:
                    mid = text_of(pdu.message_id)
                    s["accepted"] += 1
                    self.accepted_ids.add(mid)
                    if len(s["message_ids"]) < 1000:
                        s["message_ids"].append(mid)
                else:
                    key = status_hex(pdu.status)
                    s["failed"][key] = s["failed"].get(key, 0) + 1
            elif kind == "enquire_link":
                if cmd != "enquire_link_resp" or pdu.status != 0:
                    raise Failure("enquire_link answered with %s %s" % (cmd, status_hex(pdu.status)))
                s["enquire_link"] = True
            elif kind == "unbind":
                if cmd != "unbind_resp" or pdu.status != 0:
                    raise Failure("unbind answered with %s %s" % (cmd, status_hex(pdu.status)))
                s["unbound"] = True
        elif cmd == "deliver_sm":
            self.on_deliver(pdu)
            self.reply("deliver_sm_resp", pdu, status=self.args.deliver_status)
        elif cmd == "enquire_link":
            self.reply("enquire_link_resp", pdu)
        elif cmd == "unbind":
            s["unbound_by_peer"] = True
            self.reply("unbind_resp", pdu)
            raise Failure("peer unbound before the run completed")
        else:
            self.log("unsupported request", cmd)
            if cmd.endswith("_resp"):
                return
            nack = smpplib.smpp.make_pdu(
                "generic_nack", client=self.client, status=smpplib.consts.SMPP_ESME_RINVCMDID
            )
            nack.sequence = pdu.sequence
            self.client.send_pdu(nack)

    def on_deliver(self, pdu):
        s = self.summary
        esm_class = pdu.esm_class or 0
        sm_text, sm_hex, udh = decode_message(pdu.short_message, pdu.data_coding, esm_class)
        payload = getattr(pdu, "message_payload", None)
        p_text, p_hex, _ = decode_message(payload, pdu.data_coding, 0)
        text = sm_text or p_text
        # esm_class bits 2-5 are the message type; 0x04 is an MC delivery receipt.
        if esm_class & 0x3C == 0x04:
            parsed = parse_receipt_text(text)
            rmid = text_of(getattr(pdu, "receipted_message_id", None))
            rid = rmid if rmid is not None else parsed.get("id")
            self.receipt_ids.append(rid)
            state = getattr(pdu, "message_state", None)
            stat = parsed.get("stat") or "message_state:%s" % state
            s["receipt_stats"][stat] = s["receipt_stats"].get(stat, 0) + 1
            if s["first_receipt"] is None:
                s["first_receipt"] = {
                    "text": text,
                    "receipted_message_id": rmid,
                    "message_state": state,
                    "id_in_text": parsed.get("id"),
                    "source_addr": text_of(pdu.source_addr),
                    "destination_addr": text_of(pdu.destination_addr),
                }
        else:
            s["mo"] += 1
            if len(s["mo_messages"]) < 100:
                s["mo_messages"].append(
                    {
                        "source_addr": text_of(pdu.source_addr),
                        "destination_addr": text_of(pdu.destination_addr),
                        "esm_class": esm_class,
                        "data_coding": pdu.data_coding or 0,
                        "short_message": sm_text,
                        "short_message_hex": sm_hex,
                        "udh": udh,
                        "message_payload": p_text if p_text is not None else p_hex,
                        "tlvs": known_tlvs(pdu),
                    }
                )

    # --- driver ----------------------------------------------------------------------------

    def remaining(self):
        return self.deadline - time.monotonic()

    def read_available(self, wait):
        """Reads and dispatches every PDU that arrives within `wait` seconds (at least one wait)."""
        sock = self.client._socket
        readable, _, _ = select.select([sock], [], [], max(0.0, wait))
        # After unbind_resp the SMSC may close at once: read nothing more.
        while readable and not self.summary["unbound"]:
            pdu = self.read_pdu()
            if pdu is not None:
                self.dispatch(pdu)
            readable, _, _ = select.select([sock], [], [], 0)

    def read_pdu(self):
        """`Client.read_pdu()` with the raw octets at hand: a command id smpplib does not know
        gets a generic_nack instead of killing the session, and a PDU it cannot parse fails the
        run with its hex. Returns None when the PDU was answered here."""
        c = self.client
        header = c._recv_exact(16)
        length, command_id, _status, sequence = struct.unpack(">LLLL", header)
        if length < 16 or length > 65536:
            raise Failure("bad command_length %d (header %s)" % (length, header.hex()))
        raw = header + c._recv_exact(length - 16)
        try:
            smpplib.command_codes.get_command_name(command_id)
        except smpplib.exceptions.UnknownCommandError:
            self.log("unknown command id", status_hex(command_id))
            if not command_id & 0x80000000:
                nack = smpplib.smpp.make_pdu(
                    "generic_nack", client=c, status=smpplib.consts.SMPP_ESME_RINVCMDID
                )
                nack.sequence = sequence
                c.send_pdu(nack)
            return None
        try:
            pdu = smpplib.smpp.parse_pdu(raw, client=c, allow_unknown_opt_params=True)
        except Exception as e:  # noqa: BLE001 - smpplib raises KeyError, struct.error, ...
            raise Failure("smpplib cannot parse PDU %s: %s: %s" % (raw.hex(), type(e).__name__, e))
        if not pdu.is_error() and pdu.command in smpplib.consts.STATE_SETTERS:
            c.state = smpplib.consts.STATE_SETTERS[pdu.command]
        return pdu

    def waiting_for(self):
        s = self.summary
        out = []
        if not s["bound"]:
            out.append("bind_resp")
        if self.messages < self.args.count:
            out.append("%d submits" % (self.args.count - self.messages))
        if s["pending"]:
            out.append("%d submit_sm_resp" % s["pending"])
        missing = self.expected_receipts() - len(self.receipt_ids)
        if missing > 0:
            out.append("%d receipts" % missing)
        if s["mo"] < self.args.expect_mo:
            out.append("%d MO" % (self.args.expect_mo - s["mo"]))
        if s["bound"] and not s["enquire_link"]:
            out.append("enquire_link_resp")
        if "unbind" in self.in_flight.values():
            out.append("unbind_resp")
        return ", ".join(out) or "nothing?"

    def check_deadline(self):
        if self.remaining() <= 0:
            raise Failure("timeout after %gs waiting for %s" % (self.args.timeout_s, self.waiting_for()))

    def run(self):
        # The socket timeout bounds connect, the blocking bind and any single PDU read; waiting
        # for PDUs goes through select() so a read never starts without data (smpplib drops a
        # partly read PDU when the socket times out mid-read).
        self.client = smpplib.client.Client(
            self.args.host,
            self.args.port,
            timeout=max(1.0, min(5.0, self.remaining())),
            allow_unknown_opt_params=True,
        )
        try:
            self.client.connect()
        except smpplib.exceptions.ConnectionError as e:
            raise Failure("connect to %s:%d failed: %s" % (self.args.host, self.args.port, e))
        self.bind()
        while not self.all_done():
            self.check_deadline()
            self.pump()
            self.read_available(min(0.2, self.remaining()))
        self.send_request(smpplib.smpp.make_pdu("unbind", client=self.client), "unbind")
        while not self.summary["unbound"]:
            self.check_deadline()
            self.read_available(min(0.2, self.remaining()))

    def finish(self, error):
        s = self.summary
        for rid in self.receipt_ids:
            if rid in self.accepted_ids:
                s["receipts"] += 1
            else:
                s["receipts_unmatched"] += 1
        s["error"] = error
        s["ok"] = error is None
        s["elapsed_ms"] = int((time.monotonic() - self.started) * 1000)
        if self.client is not None and self.client._socket is not None:
            self.client._socket.close()
            self.client._socket = None
            self.client.state = smpplib.consts.SMPP_CLIENT_STATE_CLOSED
        print(json.dumps(s, ensure_ascii=False), flush=True)
        return 0 if error is None else 1


class Failure(Exception):
    pass


def main(argv):
    args = parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.CRITICAL, stream=sys.stderr)
    run = Run(args)
    try:
        run.run()
        error = None
    except Failure as e:
        error = str(e)
    except (smpplib.exceptions.ConnectionError, OSError) as e:
        error = "connection error: %s" % (str(e) or type(e).__name__)
    except Exception as e:  # noqa: BLE001 - report anything as a failed run, with its type
        error = "%s: %s" % (type(e).__name__, e)
    return run.finish(error)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
