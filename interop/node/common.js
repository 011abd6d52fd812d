// Shared helpers of the node peers (server.js, client.js): argument parsing, JSON-line output,
// text encoding and decoding on top of the npm `smpp` package, delivery receipt text.
'use strict';

const smpp = require('smpp');

const SMPP_PACKAGE_VERSION = require('smpp/package.json').version;

// Parses `--name value` / `--flag` options (spec: name -> {type, default}) and positionals.
// Types: 'string', 'int' (decimal or 0x hex), 'bool' (a flag, no value), or an array of allowed
// strings. Throws an Error with a usage hint on anything unknown or malformed.
function parseArgs(argv, spec) {
    const opts = {};
    for (const [name, s] of Object.entries(spec)) {
        opts[camel(name)] = s.default;
    }
    const positional = [];
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        if (arg === '--') {
            positional.push(...argv.slice(i + 1));
            break;
        }
        if (!arg.startsWith('--') || arg === '-') {
            positional.push(arg);
            continue;
        }
        let name = arg.slice(2);
        let value;
        const eq = name.indexOf('=');
        if (eq >= 0) {
            value = name.slice(eq + 1);
            name = name.slice(0, eq);
        }
        const s = spec[name];
        if (!s) {
            throw new Error(`unknown option --${name}`);
        }
        if (s.type === 'bool') {
            opts[camel(name)] = value === undefined ? true : !/^(0|false|no)$/i.test(value);
            continue;
        }
        if (value === undefined) {
            if (i + 1 >= argv.length) {
                throw new Error(`option --${name} needs a value`);
            }
            value = argv[++i];
        }
        opts[camel(name)] = convert(name, s.type, value);
    }
    return { opts, positional };
}

function convert(name, type, value) {
    if (type === 'int') {
        const n = parseInteger(value);
        if (n === null) {
            throw new Error(`option --${name}: not an integer: ${value}`);
        }
        return n;
    }
    if (Array.isArray(type)) {
        if (!type.includes(value)) {
            throw new Error(`option --${name}: expected one of ${type.join('|')}, got ${value}`);
        }
    }
    return value;
}

function parseInteger(value) {
    const s = String(value).trim();
    if (!/^(0x[0-9a-f]+|[0-9]+)$/i.test(s)) {
        return null;
    }
    return Number(s);
}

function camel(name) {
    return name.replace(/-([a-z])/g, (_, c) => c.toUpperCase());
}

// One JSON object per stdout line. Pipes to a parent are synchronous on Linux, but exits go
// through `exit()` below anyway so that nothing written is lost.
function emit(obj) {
    process.stdout.write(JSON.stringify(obj) + '\n');
}

function exit(code) {
    process.exitCode = code;
    // Flush stdout, then leave even if sockets or timers are still open.
    process.stdout.write('', () => process.exit(code));
}

function hex(buf) {
    return Buffer.from(buf).toString('hex');
}

function statusHex(status) {
    return '0x' + (status >>> 0).toString(16).padStart(8, '0');
}

// Encodes `text` for short_message. `coding`:
//   default  GSM 03.38 default alphabet, one septet per octet, data_coding 0; UCS-2 (data_coding 8)
//            when the text has a character outside the GSM alphabet (what real ESMEs do)
//   ucs2     UCS-2 big endian, data_coding 8
//   latin1   ISO-8859-1, data_coding 3
//   library  leave it to the `smpp` package: it picks data_coding 1 (!) for GSM-representable text
//            but encodes the octets as GSM 03.38, 3 for Latin-1, 8 otherwise
// Returns PDU fields: {short_message[, data_coding][, message_payload]}. Octets over 254 go into
// message_payload (short_message empty), as the spec asks.
function encodeText(text, coding) {
    if (coding === 'library') {
        return { short_message: text };
    }
    let bytes;
    let dataCoding;
    if (coding === 'default' && smpp.encodings.ASCII.match(text)) {
        bytes = smpp.gsmCoder.encode(text, 0x00);
        dataCoding = 0x00;
    } else if (coding === 'latin1') {
        if (!smpp.encodings.LATIN1.match(text)) {
            throw new Error('text is not representable in Latin-1');
        }
        bytes = smpp.encodings.LATIN1.encode(text);
        dataCoding = 0x03;
    } else {
        bytes = smpp.encodings.UCS2.encode(text);
        dataCoding = 0x08;
    }
    if (bytes.length > 254) {
        return { short_message: Buffer.alloc(0), message_payload: bytes, data_coding: dataCoding };
    }
    return { short_message: bytes, data_coding: dataCoding };
}

// The `smpp` package decodes short_message / message_payload into {message[, udh]} where
// message is a string when it knows data_coding (0 and 1 as GSM 03.38, 3 Latin-1, 8 UCS-2) and a
// Buffer otherwise. Returns {text, hex, udh} with text null when undecodable.
function decodedMessage(value) {
    if (value === undefined || value === null) {
        return { text: null, hex: null, udh: null };
    }
    if (typeof value === 'string') {
        return { text: value, hex: null, udh: null };
    }
    if (Buffer.isBuffer(value)) {
        return { text: null, hex: hex(value), udh: null };
    }
    const inner = decodedMessage(value.message);
    // The package splits the UDH into its information elements and drops the UDHL octet; put
    // the header back together as it was on the wire.
    let udh = null;
    if (Array.isArray(value.udh) && value.udh.length) {
        const ies = Buffer.concat(value.udh.map((ie) => Buffer.from(ie)));
        udh = hex(Buffer.concat([Buffer.from([ies.length]), ies]));
    }
    return { text: inner.text, hex: inner.hex, udh };
}

// TLVs of a decoded PDU other than message_payload, as JSON: known ones by name (Buffers as hex),
// unknown ones (which the package keeps as raw Buffers under the numeric tag) as "0x1234": hex.
function tlvsOf(pdu) {
    const out = {};
    for (const key of Object.keys(pdu)) {
        if (key === 'message_payload') {
            continue;
        }
        if (/^[0-9]+$/.test(key)) {
            out['0x' + Number(key).toString(16).padStart(4, '0')] = hex(pdu[key]);
        } else if (Object.prototype.hasOwnProperty.call(smpp.tlvs, key)) {
            out[key] = jsonValue(pdu[key]);
        }
    }
    return out;
}

function jsonValue(v) {
    if (Buffer.isBuffer(v)) {
        return hex(v);
    }
    if (Array.isArray(v)) {
        return v.map(jsonValue);
    }
    if (v && typeof v === 'object' && !(v instanceof Date)) {
        const o = {};
        for (const [k, x] of Object.entries(v)) {
            o[k] = jsonValue(x);
        }
        return o;
    }
    return v;
}

// message_state values (SMPP 3.4 5.2.28) for the receipt `stat:` words.
const MESSAGE_STATES = {
    ENROUTE: 1,
    DELIVRD: 2,
    EXPIRED: 3,
    DELETED: 4,
    UNDELIV: 5,
    ACCEPTD: 6,
    UNKNOWN: 7,
    REJECTD: 8,
};

// YYMMDDhhmm in UTC, the receipt date format.
function receiptDate(d) {
    const p = (n) => String(n).padStart(2, '0');
    return (
        p(d.getUTCFullYear() % 100) +
        p(d.getUTCMonth() + 1) +
        p(d.getUTCDate()) +
        p(d.getUTCHours()) +
        p(d.getUTCMinutes())
    );
}

// The de-facto receipt text (SMPP 3.4 Appendix B).
function receiptText({ id, submitDate, doneDate, stat, err, text }) {
    // Keep the text printable ASCII so the receipt's octets are the same in ASCII and GSM 03.38
    // apart from the characters they disagree on, which are replaced too.
    const safe = (text || '').slice(0, 20).replace(/[^A-Za-z0-9 .,:;!?'()+\-*/=<>#%&"]/g, '.');
    return (
        `id:${id} sub:001 dlvrd:${stat === 'DELIVRD' ? '001' : '000'} ` +
        `submit date:${receiptDate(submitDate)} done date:${receiptDate(doneDate)} ` +
        `stat:${stat} err:${err} text:${safe}`
    );
}

// Parses the fields of a receipt text: {id, stat, err, ...} (missing ones absent).
function parseReceiptText(text) {
    const out = {};
    if (typeof text !== 'string') {
        return out;
    }
    const re = /(id|sub|dlvrd|submit date|done date|stat|err):(\S*)/gi;
    let m;
    while ((m = re.exec(text)) !== null) {
        out[m[1].toLowerCase().replace(' ', '_')] = m[2];
    }
    return out;
}

module.exports = {
    smpp,
    SMPP_PACKAGE_VERSION,
    parseArgs,
    parseInteger,
    emit,
    exit,
    hex,
    statusHex,
    encodeText,
    decodedMessage,
    tlvsOf,
    jsonValue,
    MESSAGE_STATES,
    receiptText,
    parseReceiptText,
};
