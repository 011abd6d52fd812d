#!/usr/bin/env node
// An SMSC built on the npm `smpp` package's server, for interop tests of our ESME. Listens on
// 127.0.0.1, prints `READY <port>`, then one JSON line per event. See ../README.md.
'use strict';

const c = require('./common');
const { smpp } = c;

const USAGE = `usage: node server.js [options]
  --system-id ID          accepted system_id (default interop)
  --password PW           accepted password (default secret)
  --port N                port on 127.0.0.1 (default 0: any free port, printed as READY <port>)
  --mo N                  MO deliver_sm to send to each receiver/transceiver bind (default 0)
  --mo-text T             MO text, {n} replaced by 1..N (default "mo {n}")
  --mo-source A           MO source_addr (default 447700900123)
  --mo-dest A             MO destination_addr (default 12345)
  --coding C              MO encoding: default|ucs2|latin1|library (default default)
  --receipts W            always|requested|never: when to send a receipt (default always)
  --receipt-delay-ms N    delay before the receipt (default 50)
  --receipt-stat S        receipt stat: DELIVRD, UNDELIV, EXPIRED, REJECTD, ... (default DELIVRD)
  --receipt-err E         receipt err: (default 000)
  --fail-every N          answer every Nth submit_sm (1-based, over all sessions) with --fail-status
  --fail-status S         command_status for those (default 0x45 ESME_RSUBMITFAIL)
  --enquire-link-ms N     send enquire_link every N ms while bound (default 0: never)
  --unbind-after-ms N     unbind each bound session N ms after its bind (default 0: never)
  --sessions N            exit 0 once N connections have closed (default 0: run until timeout)
  --timeout-s N           give up after N seconds: exit 2 if --sessions was not reached, else 0
                          (default 20)
  --exit-on-stdin-eof     exit 0 when stdin closes (use when the parent holds a stdin pipe)`;

let opts;
try {
    const parsed = c.parseArgs(process.argv.slice(2), {
        'system-id': { type: 'string', default: 'interop' },
        password: { type: 'string', default: 'secret' },
        port: { type: 'int', default: 0 },
        mo: { type: 'int', default: 0 },
        'mo-text': { type: 'string', default: 'mo {n}' },
        'mo-source': { type: 'string', default: '447700900123' },
        'mo-dest': { type: 'string', default: '12345' },
        coding: { type: ['default', 'ucs2', 'latin1', 'library'], default: 'default' },
        receipts: { type: ['always', 'requested', 'never'], default: 'always' },
        'receipt-delay-ms': { type: 'int', default: 50 },
        'receipt-stat': { type: 'string', default: 'DELIVRD' },
        'receipt-err': { type: 'string', default: '000' },
        'fail-every': { type: 'int', default: 0 },
        'fail-status': { type: 'int', default: smpp.ESME_RSUBMITFAIL },
        'enquire-link-ms': { type: 'int', default: 0 },
        'unbind-after-ms': { type: 'int', default: 0 },
        sessions: { type: 'int', default: 0 },
        'timeout-s': { type: 'int', default: 20 },
        'exit-on-stdin-eof': { type: 'bool', default: false },
        help: { type: 'bool', default: false },
    });
    opts = parsed.opts;
    if (opts.help) {
        console.log(USAGE);
        process.exit(0);
    }
    if (parsed.positional.length) {
        throw new Error(`unexpected argument ${parsed.positional[0]}`);
    }
    if (!(opts.receiptStat.toUpperCase() in c.MESSAGE_STATES)) {
        throw new Error(`--receipt-stat: unknown stat ${opts.receiptStat}`);
    }
} catch (e) {
    console.error(`server.js: ${e.message}\n${USAGE}`);
    process.exit(64);
}

const BIND_MODES = {
    bind_transceiver: 'transceiver',
    bind_transmitter: 'transmitter',
    bind_receiver: 'receiver',
};

let nextSessionId = 1;
let nextMessageId = 1;
let submitCount = 0;
let closedSessions = 0;
const sessions = new Set();

function fatal(message) {
    c.emit({ event: 'fatal', message });
    c.exit(1);
}

process.on('uncaughtException', (e) => fatal(`uncaught exception: ${e && e.stack ? e.stack : e}`));

const server = smpp.createServer((session) => {
    const st = {
        id: nextSessionId++,
        session,
        mode: null, // 'transceiver' | 'transmitter' | 'receiver' once bound
        systemId: null,
        closed: false,
        timers: new Set(),
        unackedDeliver: 0,
    };
    sessions.add(st);
    const sock = session.socket;
    c.emit({ event: 'connect', session: st.id, remote: `${sock.remoteAddress}:${sock.remotePort}` });

    const later = (ms, fn) => {
        const t = setTimeout(() => {
            st.timers.delete(t);
            fn();
        }, ms);
        st.timers.add(t);
    };
    const every = (ms, fn) => {
        const t = setInterval(fn, ms);
        st.timers.add(t);
    };
    const reply = (pdu, fields, then) => {
        if (!st.closed) {
            session.send(pdu.response(fields || {}), then);
        }
    };
    const receives = () => st.mode === 'transceiver' || st.mode === 'receiver';
    const transmits = () => st.mode === 'transceiver' || st.mode === 'transmitter';

    // Requests from this side: deliver_sm, enquire_link, unbind. The package matches the
    // response by sequence_number alone, so a generic_nack lands in the same callback.
    const request = (command, fields, onResp) => {
        if (st.closed) {
            return false;
        }
        return session[command](fields, (resp) => {
            if (resp.command === 'generic_nack') {
                c.emit({
                    event: 'generic_nack',
                    session: st.id,
                    for: command,
                    status: resp.command_status,
                    sequence_number: resp.sequence_number,
                });
            }
            onResp(resp);
        });
    };

    const sendDeliver = (kind, fields, extra) => {
        st.unackedDeliver++;
        const sent = request('deliver_sm', fields, (resp) => {
            st.unackedDeliver--;
            c.emit({
                event: 'deliver_sm_resp',
                session: st.id,
                kind,
                status: resp.command_status,
                sequence_number: resp.sequence_number,
                resp_message_id: resp.message_id === undefined ? null : resp.message_id,
                ...extra,
            });
        });
        if (!sent) {
            st.unackedDeliver--;
            c.emit({ event: 'deliver_sm_dropped', session: st.id, kind, ...extra });
        }
    };

    session.on('bind_transceiver', onBind);
    session.on('bind_transmitter', onBind);
    session.on('bind_receiver', onBind);
    function onBind(pdu) {
        const mode = BIND_MODES[pdu.command];
        let status = smpp.ESME_ROK;
        if (st.mode) {
            status = smpp.ESME_RALYBND;
        } else if (pdu.system_id !== opts.systemId || pdu.password !== opts.password) {
            status = smpp.ESME_RBINDFAIL;
        }
        c.emit({
            event: 'bind',
            session: st.id,
            command: pdu.command,
            system_id: pdu.system_id,
            system_type: pdu.system_type,
            interface_version: pdu.interface_version,
            sequence_number: pdu.sequence_number,
            status,
        });
        if (status === smpp.ESME_RALYBND) {
            reply(pdu, { command_status: status });
            return;
        }
        if (status !== smpp.ESME_ROK) {
            // Error responses carry no body with this package; close once it is written.
            reply(pdu, { command_status: status }, () => session.close());
            return;
        }
        st.mode = mode;
        st.systemId = pdu.system_id;
        reply(pdu, { system_id: 'node-smpp', sc_interface_version: 0x34 }, () => afterBind());
    }

    function afterBind() {
        if (receives()) {
            for (let n = 1; n <= opts.mo; n++) {
                const text = opts.moText.replace(/\{n\}/g, String(n));
                sendDeliver(
                    'mo',
                    {
                        source_addr_ton: 1,
                        source_addr_npi: 1,
                        source_addr: opts.moSource,
                        dest_addr_ton: 0,
                        dest_addr_npi: 0,
                        destination_addr: opts.moDest,
                        esm_class: 0,
                        ...c.encodeText(text, opts.coding),
                    },
                    { n },
                );
            }
        }
        if (opts.enquireLinkMs > 0) {
            every(opts.enquireLinkMs, () =>
                request('enquire_link', {}, (resp) =>
                    c.emit({ event: 'enquire_link_resp', session: st.id, status: resp.command_status }),
                ),
            );
        }
        if (opts.unbindAfterMs > 0) {
            later(opts.unbindAfterMs, () => {
                c.emit({ event: 'unbind_sent', session: st.id });
                request('unbind', {}, (resp) => {
                    c.emit({ event: 'unbind_resp', session: st.id, status: resp.command_status });
                    session.close();
                });
            });
        }
    }

    session.on('submit_sm', (pdu) => {
        let status = smpp.ESME_ROK;
        let messageId = null;
        if (!transmits()) {
            status = smpp.ESME_RINVBNDSTS;
        } else {
            submitCount++;
            if (opts.failEvery > 0 && submitCount % opts.failEvery === 0) {
                status = opts.failStatus;
            } else {
                messageId = (nextMessageId++).toString(16);
            }
        }
        const sm = c.decodedMessage(pdu.short_message);
        const payload = c.decodedMessage(pdu.message_payload);
        c.emit({
            event: 'submit_sm',
            session: st.id,
            sequence_number: pdu.sequence_number,
            service_type: pdu.service_type,
            source_addr_ton: pdu.source_addr_ton,
            source_addr_npi: pdu.source_addr_npi,
            source_addr: pdu.source_addr,
            dest_addr_ton: pdu.dest_addr_ton,
            dest_addr_npi: pdu.dest_addr_npi,
            destination_addr: pdu.destination_addr,
            esm_class: pdu.esm_class,
            registered_delivery: pdu.registered_delivery,
            data_coding: pdu.data_coding,
            short_message: sm.text,
            short_message_hex: sm.hex,
            udh: sm.udh,
            message_payload: payload.text !== null ? payload.text : payload.hex,
            tlvs: c.tlvsOf(pdu),
            status,
            message_id: messageId,
        });
        if (status !== smpp.ESME_ROK) {
            reply(pdu, { command_status: status });
            return;
        }
        const submitDate = new Date();
        reply(pdu, { message_id: messageId }, () => {
            const wanted =
                opts.receipts === 'always' ||
                (opts.receipts === 'requested' && (pdu.registered_delivery & 0x03) !== 0);
            if (wanted) {
                // Not a session timer: the receipt outlives a transmitter bind that closes.
                setTimeout(() => sendReceipt(pdu, messageId, submitDate, sm.text), opts.receiptDelayMs);
            }
        });
    });

    function sendReceipt(pdu, messageId, submitDate, text) {
        // To this bind if it receives, else to another receiving bind of the same system_id.
        let target = receives() && !st.closed ? st : null;
        if (!target) {
            for (const other of sessions) {
                if (!other.closed && other.systemId === st.systemId && other.receives()) {
                    target = other;
                    break;
                }
            }
        }
        if (!target) {
            c.emit({ event: 'receipt_undeliverable', session: st.id, message_id: messageId });
            return;
        }
        const stat = opts.receiptStat.toUpperCase();
        const body = c.receiptText({
            id: messageId,
            submitDate,
            doneDate: new Date(),
            stat,
            err: opts.receiptErr,
            text: payloadText(text),
        });
        target.deliverReceipt(
            {
                source_addr_ton: pdu.dest_addr_ton,
                source_addr_npi: pdu.dest_addr_npi,
                source_addr: pdu.destination_addr,
                dest_addr_ton: pdu.source_addr_ton,
                dest_addr_npi: pdu.source_addr_npi,
                destination_addr: pdu.source_addr,
                esm_class: 0x04, // MC delivery receipt
                data_coding: 0x00,
                // Octets, so that the package does not re-encode the text.
                short_message: Buffer.from(body, 'ascii'),
                receipted_message_id: messageId,
                message_state: c.MESSAGE_STATES[stat],
            },
            { message_id: messageId, submit_session: st.id },
        );
    }
    // Lets another session's submit route its receipt here.
    st.receives = receives;
    st.deliverReceipt = (fields, extra) => {
        c.emit({
            event: 'receipt_sent',
            session: st.id,
            ...extra,
            text: fields.short_message.toString('ascii'),
        });
        sendDeliver('receipt', fields, extra);
    };

    session.on('enquire_link', (pdu) => {
        c.emit({ event: 'enquire_link', session: st.id, sequence_number: pdu.sequence_number });
        reply(pdu);
    });

    session.on('unbind', (pdu) => {
        c.emit({
            event: 'unbind',
            session: st.id,
            sequence_number: pdu.sequence_number,
            unacked_deliver_sm: st.unackedDeliver,
        });
        reply(pdu, {}, () => session.close());
    });

    // Commands the package knows but this SMSC does not serve (query_sm, data_sm, ...), and
    // command ids it does not know at all (emitted as 'unknown'): answer so the peer never waits.
    session.on('pdu', (pdu) => {
        if (pdu.isResponse()) {
            return;
        }
        const served = ['bind_transceiver', 'bind_transmitter', 'bind_receiver', 'submit_sm', 'enquire_link', 'unbind'];
        if (served.includes(pdu.command)) {
            return;
        }
        c.emit({
            event: 'unsupported',
            session: st.id,
            command: pdu.command,
            command_id: c.statusHex(pdu.command_id),
            sequence_number: pdu.sequence_number,
        });
        if (!smpp.commands[pdu.command + '_resp']) {
            // Unknown command ids, and requests without a response type (outbind, alert_notification).
            session.send(new smpp.PDU('generic_nack', {
                sequence_number: pdu.sequence_number,
                command_status: smpp.ESME_RINVCMDID,
            }));
        } else {
            reply(pdu, { command_status: smpp.ESME_RINVCMDID });
        }
    });

    session.on('error', (e) => {
        // Framing errors (e.g. command_length over 16384) stall the package's reader for good.
        c.emit({ event: 'error', session: st.id, message: String(e && e.message ? e.message : e) });
        session.destroy();
    });

    session.on('close', () => {
        if (st.closed) {
            return;
        }
        st.closed = true;
        for (const t of st.timers) {
            clearTimeout(t);
            clearInterval(t);
        }
        sessions.delete(st);
        closedSessions++;
        c.emit({ event: 'close', session: st.id, unacked_deliver_sm: st.unackedDeliver });
        if (opts.sessions > 0 && closedSessions >= opts.sessions) {
            c.emit({ event: 'done', sessions: closedSessions });
            c.exit(0);
        }
    });
});

function payloadText(text) {
    return text === null || text === undefined ? '' : text;
}

server.on('error', (e) => fatal(`listen: ${e.message}`));

server.listen(opts.port, '127.0.0.1', () => {
    process.stdout.write(`READY ${server.address().port}\n`);
});

setTimeout(() => {
    const reached = opts.sessions === 0 || closedSessions >= opts.sessions;
    c.emit({ event: 'timeout', after_s: opts.timeoutS, sessions_closed: closedSessions });
    c.exit(reached ? 0 : 2);
}, opts.timeoutS * 1000);

for (const sig of ['SIGTERM', 'SIGINT']) {
    process.on(sig, () => {
        c.emit({ event: 'exit', reason: sig });
        c.exit(0);
    });
}

if (opts.exitOnStdinEof) {
    process.stdin.on('end', () => {
        c.emit({ event: 'exit', reason: 'stdin closed' });
        c.exit(0);
    });
    process.stdin.on('error', () => {});
    process.stdin.resume();
}
