//! Third-party ESMEs against our SMSC simulator (in process, on 127.0.0.1): PyPI `smpplib`'s
//! client (`interop/python/client.py`) and the npm `smpp` package's client
//! (`interop/node/client.js`), both installed by `interop/setup.sh`, never by hand. Each binds
//! as a transceiver, submits with a window, receives a delivery receipt per accepted message
//! (ids matched against its `submit_sm_resp`s), receives and answers the MO messages the
//! simulator injects (one of them long, in UDH parts), and unbinds; it prints one JSON summary
//! line that is asserted on here, together with the simulator's counters and bind events.
//!
//! `#[ignore]`d so that `./scripts/test` needs neither node nor python; `.ci/run` installs the
//! peers and runs these with `--ignored interop`. A peer that is not installed fails the test.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use smsc_client::session::{BindKind, CloseReason, Side};
use smsc_client::sim::{
    Faults, IdFormat, SimConfig, SimCounters, SimEvent, SimHandle, Simulator, StatusMix,
};
use tokio::process::Command;
use tokio::sync::broadcast;
use tokio::task::JoinHandle;

/// The clients' own time limit (`--timeout-s`).
const CLIENT_TIMEOUT_S: u64 = 20;
/// Ours: above the client's, so that the client reports what it was still waiting for.
const LIMIT: Duration = Duration::from_secs(CLIENT_TIMEOUT_S + 15);

const SYSTEM_ID: &str = "interop";
const PASSWORD: &str = "secret";
/// The MO messages injected on each bind: a short keyword and a long text.
const MO_SHORT: &str = "STOP";
const MO_SOURCE: &str = "447700900123";
const MO_DEST: &str = "12345";
/// Parts of the long MO: 200 GSM 03.38 characters are two 8-bit-reference UDH parts of at
/// most 153 characters.
const MO_LONG_PARTS: usize = 2;
/// `deliver_sm` PDUs of MO the client must receive: the short one plus the long one's parts.
const MO_PDUS: usize = 1 + MO_LONG_PARTS;

/// The long MO text: 200 GSM 03.38 characters.
fn long_mo() -> String {
    let mut s = String::from("long MO ");
    while s.len() < 200 {
        s.push_str("abcdefghij");
    }
    s.truncate(200);
    s
}

fn interop_dir() -> PathBuf {
    std::env::var_os("SMPP_INTEROP_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../interop"))
}

/// Which third-party ESME to run.
#[derive(Clone, Copy, Debug)]
enum Peer {
    Smpplib,
    NpmSmpp,
}

impl Peer {
    /// The command that runs the client, once it is known to be installed (panics if not: a
    /// missing peer fails the run, it is never skipped).
    fn command(self) -> Command {
        let dir = interop_dir();
        match self {
            Peer::Smpplib => {
                let python = dir.join("python/.venv/bin/python");
                assert!(
                    python.is_file(),
                    "python smpplib is not installed ({} is missing): run interop/setup.sh",
                    python.display()
                );
                let mut c = Command::new(python);
                c.arg(dir.join("python/client.py"));
                c
            }
            Peer::NpmSmpp => {
                let module = dir.join("node/node_modules/smpp");
                assert!(
                    module.is_dir(),
                    "the npm smpp package is not installed ({} is missing): run interop/setup.sh",
                    module.display()
                );
                let mut c = Command::new("node");
                c.arg(dir.join("node/client.js"));
                c
            }
        }
    }

    /// The `peer` field of its summary.
    fn label(self) -> &'static str {
        match self {
            Peer::Smpplib => "pypi smpplib 2.2.4",
            Peer::NpmSmpp => "npm smpp 0.5.1",
        }
    }
}

/// The simulator as these tests configure it: one account, quick receipts, a fixed seed.
fn sim_config() -> SimConfig {
    SimConfig::default()
        .account(SYSTEM_ID, PASSWORD)
        .receipt_delay(Duration::from_millis(20))
        .seed(11)
}

/// Runs `peer` against `sim` (`count` submits of `text`, then `extra` options), waits for it
/// to exit and returns its exit code and its one-line JSON summary. Panics, with the client's
/// stderr, when it does not print exactly one JSON line.
async fn run_client(
    peer: Peer,
    sim: &SimHandle,
    password: &str,
    count: usize,
    text: &str,
    extra: &[&str],
) -> (i32, Value) {
    let addr = sim.local_addr();
    let mut cmd = peer.command();
    cmd.arg(addr.ip().to_string())
        .arg(addr.port().to_string())
        .arg(SYSTEM_ID)
        .arg(password)
        .arg(count.to_string())
        .arg(text)
        .args(["--timeout-s", &CLIENT_TIMEOUT_S.to_string()])
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start the {peer:?} client ({e}): run interop/setup.sh"));
    let out = tokio::time::timeout(LIMIT, child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("{peer:?} client did not exit within {LIMIT:?}"))
        .expect("waiting for the client");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stdout.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(
        lines.len(),
        1,
        "{peer:?} client must print one summary line; stdout: {stdout}\nstderr: {stderr}"
    );
    let summary: Value = serde_json::from_str(lines[0])
        .unwrap_or_else(|e| panic!("{peer:?} summary is not JSON ({e}): {stdout}\n{stderr}"));
    assert_eq!(summary["peer"], peer.label(), "{summary}");
    let code = out.status.code().unwrap_or(-1);
    if code != 0 {
        eprintln!("{peer:?} client exited with {code}; stderr:\n{stderr}");
    }
    (code, summary)
}

/// Waits for the first transceiver bind on `events`, then injects [`MO_SHORT`] and the long
/// MO into it; resolves to the parts sent for each, once the client has answered all of them.
fn inject_mo_on_bind(
    sim: Arc<SimHandle>,
    mut events: broadcast::Receiver<SimEvent>,
) -> JoinHandle<Vec<usize>> {
    tokio::spawn(async move {
        loop {
            match events.recv().await {
                Ok(SimEvent::Bound {
                    kind, system_id, ..
                }) => {
                    assert_eq!(kind, BindKind::Transceiver);
                    assert_eq!(system_id, SYSTEM_ID);
                    break;
                }
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => panic!("simulator gone before a bind"),
            }
        }
        let mut parts = Vec::new();
        for text in [MO_SHORT.to_owned(), long_mo()] {
            let n = sim
                .inject_mo(&text, MO_SOURCE, MO_DEST, Some(SYSTEM_ID))
                .await
                .unwrap_or_else(|e| panic!("MO {text:?} not answered: {e}"));
            parts.push(n);
        }
        parts
    })
}

/// Waits until the simulator has seen the bind close, and returns why.
async fn closed(events: &mut broadcast::Receiver<SimEvent>) -> CloseReason {
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match events.recv().await {
                Ok(SimEvent::Closed { reason, .. }) => return reason,
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => panic!("simulator gone"),
            }
        }
    })
    .await
    .expect("the simulator never saw the session close")
}

/// Polls the simulator's counters until `done` holds (10 s at most).
async fn counters_until(sim: &SimHandle, done: impl Fn(&SimCounters) -> bool) -> SimCounters {
    let start = Instant::now();
    loop {
        let c = sim.counters();
        if done(&c) {
            return c;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "simulator counters never got there: {c:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn as_u64(summary: &Value, key: &str) -> u64 {
    summary[key]
        .as_u64()
        .unwrap_or_else(|| panic!("{key} missing in {summary}"))
}

/// Submits, receipts and MO: what a transceiver must see from the simulator.
async fn submits_receipts_and_mo(peer: Peer, text: &str) {
    const COUNT: usize = 25;
    let sim = Arc::new(Simulator::start(sim_config()).await.unwrap());
    let mut events = sim.subscribe();
    let mo = inject_mo_on_bind(sim.clone(), sim.subscribe());
    let (code, s) = run_client(
        peer,
        &sim,
        PASSWORD,
        COUNT,
        text,
        &["--window", "5", "--expect-mo", &MO_PDUS.to_string()],
    )
    .await;
    assert_eq!(code, 0, "{s}");
    assert_eq!(s["ok"], true, "{s}");
    assert_eq!(s["error"], Value::Null, "{s}");
    assert_eq!(s["bound"], true, "{s}");
    assert_eq!(s["bind_status"], 0, "{s}");
    assert_eq!(s["enquire_link"], true, "{s}");

    // Every submit accepted, each with its own id in the simulator's format (8 hex digits).
    assert_eq!(as_u64(&s, "submitted"), COUNT as u64, "{s}");
    assert_eq!(as_u64(&s, "accepted"), COUNT as u64, "{s}");
    assert_eq!(as_u64(&s, "pending"), 0, "{s}");
    assert_eq!(s["failed"], serde_json::json!({}), "{s}");
    let mut ids: Vec<&str> = s["message_ids"]
        .as_array()
        .expect("message_ids")
        .iter()
        .map(|v| v.as_str().expect("a string id"))
        .collect();
    assert_eq!(ids.len(), COUNT, "{s}");
    for id in &ids {
        assert!(
            id.len() == 8 && id.bytes().all(|b| b.is_ascii_hexdigit()),
            "id {id:?} is not 8 hex digits"
        );
    }
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), COUNT, "message ids are distinct: {s}");

    // One receipt per message, its id (receipted_message_id, else the text's id:) one of the
    // submit_sm_resp ids.
    assert_eq!(as_u64(&s, "receipts"), COUNT as u64, "{s}");
    assert_eq!(as_u64(&s, "receipts_unmatched"), 0, "{s}");
    assert_eq!(
        s["receipt_stats"],
        serde_json::json!({"DELIVRD": COUNT}),
        "{s}"
    );
    let first = &s["first_receipt"];
    let rid = first["receipted_message_id"]
        .as_str()
        .expect("receipted_message_id");
    assert!(ids.binary_search(&rid).is_ok(), "{first}");
    assert_eq!(first["id_in_text"], rid, "{first}");
    assert_eq!(first["message_state"], 2, "DELIVERED: {first}");
    // Addresses swapped from the submit (the clients send from 12345 to 447700900001).
    assert_eq!(first["source_addr"], "447700900001", "{first}");
    assert_eq!(first["destination_addr"], "12345", "{first}");

    // MO: the short one, then the long one's parts, every deliver_sm answered (inject_mo
    // resolves only on each part's deliver_sm_resp with ESME_ROK).
    let parts = tokio::time::timeout(Duration::from_secs(5), mo)
        .await
        .expect("MO injection still running")
        .expect("MO injection failed");
    assert_eq!(parts, vec![1, MO_LONG_PARTS]);
    assert_eq!(as_u64(&s, "mo"), MO_PDUS as u64, "{s}");
    let mos = s["mo_messages"].as_array().expect("mo_messages");
    assert_eq!(mos.len(), MO_PDUS, "{s}");
    for m in mos {
        assert_eq!(m["source_addr"], MO_SOURCE, "{m}");
        assert_eq!(m["destination_addr"], MO_DEST, "{m}");
        assert_eq!(m["data_coding"], 0, "GSM 03.38: {m}");
    }
    assert_eq!(mos[0]["short_message"], MO_SHORT, "{}", mos[0]);
    assert_eq!(mos[0]["esm_class"], 0, "{}", mos[0]);
    assert_eq!(mos[0]["udh"], Value::Null, "{}", mos[0]);
    // The long MO: UDHI set, a concatenation IE (IEI 0x00, 8-bit reference) in each part,
    // the same reference, parts 1 and 2 of 2, and the texts joining back to the original.
    let mut reference = None;
    let mut joined = String::new();
    for (i, m) in mos[1..].iter().enumerate() {
        assert_eq!(
            m["esm_class"].as_u64().expect("esm_class") & 0x40,
            0x40,
            "{m}"
        );
        let udh = m["udh"].as_str().expect("a UDH");
        assert_eq!(udh.len(), 12, "UDHL 5, one concatenation IE: {m}");
        assert_eq!(&udh[..6], "050003", "{m}");
        assert_eq!(&udh[8..10], "02", "two parts: {m}");
        assert_eq!(udh[10..12], format!("{:02x}", i + 1), "part number: {m}");
        let r = &udh[6..8];
        assert_eq!(*reference.get_or_insert(r), r, "one reference: {m}");
        joined.push_str(m["short_message"].as_str().expect("text"));
    }
    assert_eq!(joined, long_mo());

    // A clean unbind, asked for by the client.
    assert_eq!(s["unbound"], true, "{s}");
    assert_eq!(s["unbound_by_peer"], false, "{s}");
    assert_eq!(
        closed(&mut events).await,
        CloseReason::Unbound { by: Side::Peer }
    );
    let c = counters_until(&sim, |c| c.receipts_sent >= COUNT as u64).await;
    assert_eq!(c.binds, 1, "{c:?}");
    assert_eq!(c.submits, COUNT as u64, "{c:?}");
    assert_eq!(c.accepted, COUNT as u64, "{c:?}");
    assert_eq!(
        c.receipts_sent, COUNT as u64,
        "every receipt acknowledged: {c:?}"
    );
    assert_eq!(c.receipts_dropped, 0, "{c:?}");
    assert_eq!(c.mo_sent, 2, "{c:?}");
    drop(events);
    Arc::into_inner(sim)
        .expect("the MO task is done")
        .shutdown()
        .await;
}

/// A refused bind, then throttled submits, decimal ids and a mix of receipt states.
async fn refused_bind_throttling_and_receipt_mix(peer: Peer, text: &str) {
    const COUNT: usize = 40;
    let mut config = sim_config().id_format(IdFormat::Decimal).receipt_states(
        "DELIVRD=50,UNDELIV=30,EXPIRED=20"
            .parse::<StatusMix>()
            .unwrap(),
    );
    config.first_id = 1000;
    config.faults = Faults {
        throttle_pct: 30.0,
        ..Faults::default()
    };
    let sim = Simulator::start(config).await.unwrap();

    // A wrong password: the bind is refused (ESME_RINVPASWD) and the run fails, exit 1.
    let (code, s) = run_client(peer, &sim, "wrong", 1, "x", &[]).await;
    assert_eq!(code, 1, "{s}");
    assert_eq!(s["ok"], false, "{s}");
    assert_eq!(s["bound"], false, "{s}");
    assert_eq!(s["bind_status"], 0x0E, "ESME_RINVPASWD: {s}");
    assert_eq!(s["submitted"], 0, "{s}");

    let (code, s) = run_client(peer, &sim, PASSWORD, COUNT, text, &["--window", "8"]).await;
    assert_eq!(code, 0, "{s}");
    assert_eq!(s["ok"], true, "{s}");
    let submitted = as_u64(&s, "submitted");
    let accepted = as_u64(&s, "accepted");
    // python splits a long text into UDH parts, node sends it in message_payload.
    let parts_per_message = match peer {
        Peer::Smpplib if text.chars().count() > 160 => 2,
        _ => 1,
    };
    assert_eq!(submitted, (COUNT * parts_per_message) as u64, "{s}");
    let failed = s["failed"].as_object().expect("failed");
    let throttled = failed
        .get("0x00000058")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    assert_eq!(
        failed.len(),
        usize::from(throttled > 0),
        "only ESME_RTHROTTLED: {s}"
    );
    assert!(throttled > 0, "30% of {submitted} submits throttled: {s}");
    assert!(accepted > 0, "{s}");
    assert_eq!(accepted + throttled, submitted, "{s}");
    for id in s["message_ids"].as_array().expect("message_ids") {
        let id: u64 = id
            .as_str()
            .and_then(|i| i.parse().ok())
            .unwrap_or_else(|| panic!("decimal id expected, got {id}"));
        assert!(id >= 1000, "ids count from first_id: {id}");
    }
    // Receipts only for the accepted messages, in the configured states.
    assert_eq!(as_u64(&s, "receipts"), accepted, "{s}");
    assert_eq!(as_u64(&s, "receipts_unmatched"), 0, "{s}");
    let stats = s["receipt_stats"].as_object().expect("receipt_stats");
    let mut total = 0;
    for (stat, n) in stats {
        assert!(
            ["DELIVRD", "UNDELIV", "EXPIRED"].contains(&stat.as_str()),
            "state {stat}: {s}"
        );
        total += n.as_u64().expect("a count");
    }
    assert_eq!(total, accepted, "{s}");
    assert_eq!(s["unbound"], true, "{s}");

    let c = counters_until(&sim, |c| c.receipts_sent >= accepted).await;
    assert_eq!(
        c.binds, 1,
        "the refused bind is not counted as a bind: {c:?}"
    );
    assert_eq!(c.throttled, throttled, "{c:?}");
    assert_eq!(c.accepted, accepted, "{c:?}");
    assert_eq!(c.receipts_sent, accepted, "{c:?}");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs interop/setup.sh (run by .ci/run)"]
async fn interop_smpplib_client_against_sim() {
    // "–" is not in GSM 03.38: smpplib sends UCS-2.
    submits_receipts_and_mo(Peer::Smpplib, "hello from python – ü").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs interop/setup.sh (run by .ci/run)"]
async fn interop_npm_smpp_client_against_sim() {
    // "{}" are GSM 03.38 extension characters (escape + octet).
    submits_receipts_and_mo(Peer::NpmSmpp, "hello from node @ {}").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs interop/setup.sh (run by .ci/run)"]
async fn interop_smpplib_client_against_sim_with_faults() {
    // 170 characters: smpplib submits each message as two UDH parts.
    let text = "x".repeat(170);
    refused_bind_throttling_and_receipt_mix(Peer::Smpplib, &text).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs interop/setup.sh (run by .ci/run)"]
async fn interop_npm_smpp_client_against_sim_with_faults() {
    // 300 octets: the npm client puts it in message_payload.
    let text = "y".repeat(300);
    refused_bind_throttling_and_receipt_mix(Peer::NpmSmpp, &text).await;
}
