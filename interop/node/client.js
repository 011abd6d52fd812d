#!/usr/bin/env node
// An ESME built on the npm `smpp` package's client, for interop tests of our SMSC: binds, submits
// COUNT messages with a window, waits for every response and receipt, answers deliver_sm,
// unbinds, and prints one JSON summary line. See ../README.md.
'use strict';

const c = require('./common');
const { smpp } = c;

const USAGE = `usage: node client.js HOST PORT SYSTEM_ID PASSWORD COUNT TEXT [options]
  --src A                   source_addr (default 12345)
  --dst A                   destination_addr (default 447700900001)
  --window N                submit_sm in flight at most (default 10)
  --bind B                  transceiver|transmitter|receiver (default transceiver)
  --registered-delivery N   registered_delivery of each submit_sm (default 1)
  --coding C                default|ucs2|latin1|library (default default: GSM 03.38, else UCS-2)
  --expect-receipts N       receipts to wait for (default: the number accepted, when the bind
                            receives and registered_delivery asks for one; else 0)
  --expect-mo N             MO deliver_sm to wait for (default 0)
  --deliver-status S        command_status of every deliver_sm_resp (default 0)
  --timeout-s N             give up after N seconds, exit 1 (default 20)
  --verbose                 log PDUs to stderr`;

let args;
let opts;
try {
    const parsed = c.parseArgs(process.argv.slice(2), {
        src: { type: 'string', default: '12345' },
        dst: { type: 'string', default: '447700900001' },
        window: { type: 'int', default: 10 },
        bind: { type: ['transceiver', 'transmitter', 'receiver'], default: 'transceiver' },
        'registered-delivery': { type: 'int', default: 1 },
        coding: { type: ['default', 'ucs2', 'latin1', 'library'], default: 'default' },
        'expect-receipts': { type: 'int', default: null },
        'expect-mo': { type: 'int', default: 0 },
        'deliver-status': { type: 'int', default: 0 },
        'timeout-s': { type: 'int', default: 20 },
        verbose: { type: 'bool', default: false },
        help: { type: 'bool', default: false },
    });
    opts = parsed.opts;
    if (opts.help) {
        console.log(USAGE);
        process.exit(0);
    }
    const p = parsed.positional;
    if (p.length !== 6) {
        throw new Error(`expected 6 arguments, got ${p.length}`);
    }
    const port = c.parseInteger(p[1]);
    const count = c.parseInteger(p[4]);
    if (port === null || port < 1 || port > 65535) {
        throw new Error(`bad PORT ${p[1]}`);
    }
    if (count === null) {
        throw new Error(`bad COUNT ${p[4]}`);
    }
    if (opts.window < 1) {
        throw new Error('--window must be at least 1');
    }
    args = { host: p[0], port, systemId: p[2], password: p[3], count, text: p[5] };
    if (opts.bind === 'receiver') {
        args.count = 0;
    }
} catch (e) {
    console.error(`client.js: ${e.message}\n${USAGE}`);
    process.exit(64);
}

const started = Date.now();
const summary = {
    ok: false,
    peer: `npm smpp ${c.SMPP_PACKAGE_VERSION}`,
    bound: false,
    bind_status: null,
    submitted: 0,
    accepted: 0,
    failed: {},
    pending: 0,
    receipts: 0,
    receipts_unmatched: 0,
    receipt_stats: {},
    mo: 0,
    mo_messages: [],
    first_receipt: null,
    enquire_link: false,
    unbound: false,
    unbound_by_peer: false,
    message_ids: [],
    error: null,
    elapsed_ms: 0,
};
const acceptedIds = new Set();
const receiptIds = [];
let finished = false;
let unbinding = false;

const log = (...a) => {
    if (opts.verbose) {
        console.error('client.js:', ...a);
    }
};

function finish(error) {
    if (finished) {
        return;
    }
    finished = true;
    for (const id of receiptIds) {
        if (acceptedIds.has(id)) {
            summary.receipts++;
        } else {
            summary.receipts_unmatched++;
        }
    }
    summary.error = error || null;
    summary.ok = !error;
    summary.elapsed_ms = Date.now() - started;
    c.emit(summary);
    try {
        session.destroy();
    } catch (_) {
        // already gone
    }
    c.exit(error ? 1 : 0);
}

process.on('uncaughtException', (e) => finish(`uncaught exception: ${e && e.stack ? e.stack : e}`));

setTimeout(() => {
    const waiting = [];
    if (!summary.bound) {
        waiting.push('bind_resp');
    }
    if (summary.submitted < args.count) {
        waiting.push(`${args.count - summary.submitted} submits`);
    }
    if (summary.pending) {
        waiting.push(`${summary.pending} submit_sm_resp`);
    }
    const wantReceipts = expectedReceipts();
    if (receiptIds.length < wantReceipts) {
        waiting.push(`${wantReceipts - receiptIds.length} receipts`);
    }
    if (summary.mo < opts.expectMo) {
        waiting.push(`${opts.expectMo - summary.mo} MO`);
    }
    if (!summary.enquire_link && summary.bound) {
        waiting.push('enquire_link_resp');
    }
    if (unbinding) {
        waiting.push('unbind_resp');
    }
    finish(`timeout after ${opts.timeoutS}s waiting for ${waiting.join(', ') || 'nothing?'}`);
}, opts.timeoutS * 1000);

const session = smpp.connect({ host: args.host, port: args.port });

session.on('connect', () => {
    log('connected');
    const command = `bind_${opts.bind}`;
    session[command](
        { system_id: args.systemId, password: args.password, interface_version: 0x34 },
        (resp) => {
            summary.bind_status = resp.command_status;
            if (resp.command_status !== 0) {
                finish(`${command} failed with ${c.statusHex(resp.command_status)}`);
                return;
            }
            summary.bound = true;
            session.enquire_link({}, (r) => {
                summary.enquire_link = r.command === 'enquire_link_resp' && r.command_status === 0;
                if (!summary.enquire_link) {
                    finish(`enquire_link answered with ${r.command} ${c.statusHex(r.command_status)}`);
                    return;
                }
                checkDone();
            });
            pump();
        },
    );
});

function expectedReceipts() {
    if (opts.expectReceipts !== null) {
        return opts.expectReceipts;
    }
    if (opts.bind === 'transmitter' || (opts.registeredDelivery & 0x03) === 0) {
        return 0;
    }
    return summary.accepted;
}

let fields;
function pump() {
    if (!fields) {
        try {
            fields = c.encodeText(args.text, opts.coding);
        } catch (e) {
            finish(String(e.message));
            return;
        }
    }
    while (!finished && summary.submitted < args.count && summary.pending < opts.window) {
        summary.submitted++;
        summary.pending++;
        session.submit_sm(
            {
                source_addr_ton: 0,
                source_addr_npi: 0,
                source_addr: opts.src,
                dest_addr_ton: 1,
                dest_addr_npi: 1,
                destination_addr: opts.dst,
                registered_delivery: opts.registeredDelivery,
                ...fields,
            },
            (resp) => {
                summary.pending--;
                if (resp.command === 'submit_sm_resp' && resp.command_status === 0) {
                    summary.accepted++;
                    acceptedIds.add(resp.message_id);
                    if (summary.message_ids.length < 1000) {
                        summary.message_ids.push(resp.message_id);
                    }
                } else {
                    const key = c.statusHex(resp.command_status);
                    summary.failed[key] = (summary.failed[key] || 0) + 1;
                }
                log(resp.command, resp.sequence_number, c.statusHex(resp.command_status), resp.message_id);
                pump();
                checkDone();
            },
        );
    }
}

function checkDone() {
    if (finished || unbinding || !summary.enquire_link) {
        return;
    }
    if (summary.submitted < args.count || summary.pending > 0) {
        return;
    }
    if (receiptIds.length < expectedReceipts() || summary.mo < opts.expectMo) {
        return;
    }
    unbinding = true;
    session.unbind({}, (resp) => {
        summary.unbound = resp.command === 'unbind_resp' && resp.command_status === 0;
        if (!summary.unbound) {
            finish(`unbind answered with ${resp.command} ${c.statusHex(resp.command_status)}`);
            return;
        }
        session.close(() => finish(null));
    });
}

session.on('deliver_sm', (pdu) => {
    const sm = c.decodedMessage(pdu.short_message);
    const payload = c.decodedMessage(pdu.message_payload);
    const text = sm.text || payload.text;
    // esm_class bits 2-5 are the message type; 0x04 is an MC delivery receipt.
    const isReceipt = (pdu.esm_class & 0x3c) === 0x04;
    log('deliver_sm', pdu.sequence_number, isReceipt ? 'receipt' : 'mo', JSON.stringify(text));
    if (isReceipt) {
        const parsed = c.parseReceiptText(text);
        const id = pdu.receipted_message_id !== undefined ? pdu.receipted_message_id : parsed.id;
        receiptIds.push(id);
        const stat = parsed.stat || `message_state:${pdu.message_state}`;
        summary.receipt_stats[stat] = (summary.receipt_stats[stat] || 0) + 1;
        if (!summary.first_receipt) {
            summary.first_receipt = {
                text,
                receipted_message_id: pdu.receipted_message_id === undefined ? null : pdu.receipted_message_id,
                message_state: pdu.message_state === undefined ? null : pdu.message_state,
                id_in_text: parsed.id === undefined ? null : parsed.id,
                source_addr: pdu.source_addr,
                destination_addr: pdu.destination_addr,
            };
        }
    } else {
        summary.mo++;
        if (summary.mo_messages.length < 100) {
            summary.mo_messages.push({
                source_addr: pdu.source_addr,
                destination_addr: pdu.destination_addr,
                esm_class: pdu.esm_class,
                data_coding: pdu.data_coding,
                short_message: sm.text,
                short_message_hex: sm.hex,
                udh: sm.udh,
                message_payload: payload.text !== null ? payload.text : payload.hex,
                tlvs: c.tlvsOf(pdu),
            });
        }
    }
    session.send(pdu.response(opts.deliverStatus ? { command_status: opts.deliverStatus } : {}));
    checkDone();
});

session.on('enquire_link', (pdu) => {
    log('enquire_link', pdu.sequence_number);
    session.send(pdu.response());
});

session.on('unbind', (pdu) => {
    log('unbind from peer');
    summary.unbound_by_peer = true;
    session.send(pdu.response(), () => {
        session.close();
        finish('peer unbound before the run completed');
    });
});

session.on('pdu', (pdu) => {
    if (pdu.isResponse()) {
        return;
    }
    const handled = ['deliver_sm', 'enquire_link', 'unbind'];
    if (handled.includes(pdu.command)) {
        return;
    }
    log('unsupported request', pdu.command, c.statusHex(pdu.command_id));
    if (!smpp.commands[pdu.command + '_resp']) {
        session.send(
            new smpp.PDU('generic_nack', {
                sequence_number: pdu.sequence_number,
                command_status: smpp.ESME_RINVCMDID,
            }),
        );
    } else {
        session.send(pdu.response({ command_status: smpp.ESME_RINVCMDID }));
    }
});

session.on('error', (e) => finish(`connection error: ${e && e.message ? e.message : e}`));
session.on('close', () => {
    if (!finished) {
        finish(summary.unbound ? null : 'connection closed by peer');
    }
});
