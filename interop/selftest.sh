#!/usr/bin/env bash
# Checks the interop peers against each other, before any Rust is involved: installs them
# (setup.sh), starts the node SMSC, runs the node and python ESMEs against it (happy path, a bad
# password, rejected submits) and compares their JSON summaries and the SMSC's event log with
# what must come out. Exits non-zero on any mismatch. Works from any directory.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
"$here/setup.sh"

node_dir="$here/node"
py="$here/python/.venv/bin/python"
work="$(mktemp -d)"
server_pid=""
failures=0

cleanup() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

# check NAME JSON EXPECTED: every key of the EXPECTED object must be deep-equal in JSON.
check() {
    local name="$1" json="$2" expected="$3"
    if node -e '
        const [name, got, want] = process.argv.slice(1);
        let g;
        try { g = JSON.parse(got); } catch (e) { console.error(`${name}: not JSON: ${got}`); process.exit(1); }
        const w = JSON.parse(want);
        const bad = Object.keys(w).filter((k) => JSON.stringify(g[k]) !== JSON.stringify(w[k]));
        for (const k of bad) console.error(`${name}: ${k} = ${JSON.stringify(g[k])}, want ${JSON.stringify(w[k])}`);
        if (bad.length) { console.error(`${name}: summary ${got}`); process.exit(1); }
    ' "$name" "$json" "$expected"; then
        echo "ok: $name"
    else
        fail "$name"
    fi
}

# count_events FILE FILTER: the number of SMSC event lines matching FILTER (a JS expression on e).
count_events() {
    node -e '
        const fs = require("fs");
        const [file, filter] = process.argv.slice(1);
        const f = new Function("e", `return (${filter});`);
        let n = 0;
        for (const line of fs.readFileSync(file, "utf8").split("\n")) {
            if (!line.startsWith("{")) continue;
            if (f(JSON.parse(line))) n++;
        }
        console.log(n);
    ' "$1" "$2"
}

expect_events() {
    local file="$1" filter="$2" want="$3" got
    got="$(count_events "$file" "$filter")"
    if [ "$got" = "$want" ]; then
        echo "ok: $want events where $filter"
    else
        fail "$got events where $filter, want $want"
    fi
}

# start_server LOG ARGS...: starts server.js, waits for READY, sets $port and $server_pid.
start_server() {
    local log="$1"
    shift
    node "$node_dir/server.js" "$@" >"$log" 2>"$log.err" &
    server_pid=$!
    port=""
    for _ in $(seq 100); do
        if read -r ready p <"$log" 2>/dev/null && [ "$ready" = READY ]; then
            port="$p"
            return 0
        fi
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "server.js did not print READY; stdout:" >&2
    cat "$log" "$log.err" >&2
    exit 1
}

# wait_server: waits for the server to exit on its own (it was given --sessions), checks rc 0.
wait_server() {
    local rc=0
    wait "$server_pid" || rc=$?
    server_pid=""
    [ "$rc" -eq 0 ] || fail "server.js exited with $rc"
}

# run_client NAME WANT_RC CMD...: runs a client, checks its exit code, sets $summary.
run_client() {
    local name="$1" want_rc="$2" rc=0
    shift 2
    summary="$("$@" 2>"$work/$name.err")" || rc=$?
    if [ "$rc" -ne "$want_rc" ]; then
        fail "$name exited with $rc, want $want_rc; stdout: $summary; stderr: $(cat "$work/$name.err")"
    fi
    if [ "$(printf '%s\n' "$summary" | grep -c .)" -ne 1 ]; then
        fail "$name printed $(printf '%s\n' "$summary" | grep -c .) stdout lines, want 1"
    fi
}

echo "==> node SMSC: node and python ESMEs, receipts and MO"
start_server "$work/server1.out" --system-id interop --password secret --mo 2 --sessions 4 --timeout-s 30

run_client node-esme 0 node "$node_dir/client.js" 127.0.0.1 "$port" interop secret 25 "hello from node @ {}" --expect-mo 2
check node-esme "$summary" '{"ok":true,"bound":true,"submitted":25,"accepted":25,"failed":{},"pending":0,
    "receipts":25,"receipts_unmatched":0,"receipt_stats":{"DELIVRD":25},"mo":2,"enquire_link":true,"unbound":true}'
check node-esme-mo "$summary" '{"mo_messages":[
    {"source_addr":"447700900123","destination_addr":"12345","esm_class":0,"data_coding":0,"short_message":"mo 1",
     "short_message_hex":null,"udh":null,"message_payload":null,"tlvs":{}},
    {"source_addr":"447700900123","destination_addr":"12345","esm_class":0,"data_coding":0,"short_message":"mo 2",
     "short_message_hex":null,"udh":null,"message_payload":null,"tlvs":{}}]}'

run_client python-esme 0 "$py" "$here/python/client.py" 127.0.0.1 "$port" interop secret 25 "hello from python – ü" --expect-mo 2
check python-esme "$summary" '{"ok":true,"bound":true,"submitted":25,"accepted":25,"failed":{},"pending":0,
    "receipts":25,"receipts_unmatched":0,"receipt_stats":{"DELIVRD":25},"mo":2,"enquire_link":true,"unbound":true}'

run_client node-esme-badpw 1 node "$node_dir/client.js" 127.0.0.1 "$port" interop wrong 1 x
check node-esme-badpw "$summary" '{"ok":false,"bound":false,"bind_status":13,"submitted":0}'
run_client python-esme-badpw 1 "$py" "$here/python/client.py" 127.0.0.1 "$port" interop wrong 1 x
check python-esme-badpw "$summary" '{"ok":false,"bound":false,"bind_status":13,"submitted":0}'

wait_server
log="$work/server1.out"
expect_events "$log" 'e.event === "bind" && e.status === 0' 2
expect_events "$log" 'e.event === "bind" && e.status === 13' 2
expect_events "$log" 'e.event === "submit_sm" && e.short_message === "hello from node @ {}" && e.data_coding === 0' 25
expect_events "$log" 'e.event === "submit_sm" && e.short_message === "hello from python – ü" && e.data_coding === 8' 25
expect_events "$log" 'e.event === "submit_sm" && e.registered_delivery === 1 && e.status === 0' 50
expect_events "$log" 'e.event === "deliver_sm_resp" && e.kind === "receipt" && e.status === 0' 50
expect_events "$log" 'e.event === "deliver_sm_resp" && e.kind === "mo" && e.status === 0' 4
expect_events "$log" 'e.event === "enquire_link"' 2
expect_events "$log" 'e.event === "unbind" && e.unacked_deliver_sm === 0' 2
expect_events "$log" 'e.event === "close"' 4
expect_events "$log" 'e.event === "error" || e.event === "fatal" || e.event === "unsupported"' 0

echo "==> node SMSC rejecting every 5th submit_sm with ESME_RTHROTTLED"
start_server "$work/server2.out" --fail-every 5 --fail-status 0x58 --sessions 2 --timeout-s 30
run_client node-esme-throttled 0 node "$node_dir/client.js" 127.0.0.1 "$port" interop secret 20 "throttled" --window 3
check node-esme-throttled "$summary" '{"ok":true,"submitted":20,"accepted":16,"failed":{"0x00000058":4},"receipts":16,"unbound":true}'
run_client python-esme-throttled 0 "$py" "$here/python/client.py" 127.0.0.1 "$port" interop secret 20 "throttled" --window 3
check python-esme-throttled "$summary" '{"ok":true,"submitted":20,"accepted":16,"failed":{"0x00000058":4},"receipts":16,"unbound":true}'
wait_server
expect_events "$work/server2.out" 'e.event === "submit_sm" && e.status === 0x58 && e.message_id === null' 8

echo "==> an ESME times out (exit 1) when the SMSC sends no receipts"
start_server "$work/server3.out" --receipts never --sessions 1 --timeout-s 30
run_client node-esme-no-receipts 1 node "$node_dir/client.js" 127.0.0.1 "$port" interop secret 1 x --timeout-s 1
check node-esme-no-receipts "$summary" '{"ok":false,"accepted":1,"receipts":0,"error":"timeout after 1s waiting for 1 receipts"}'
wait_server

if [ "$failures" -gt 0 ]; then
    echo "selftest: $failures check(s) failed" >&2
    exit 1
fi
echo "selftest: all checks passed"
