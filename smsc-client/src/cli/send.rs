//! `smpp send`: binds to an SMSC, submits a text (split into parts when long) `count` times
//! with a window of requests in flight, optionally waits for the delivery receipts
//! (correlated by message id), unbinds, and prints a summary (human or one JSON object).

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::Args;
use futures::StreamExt as _;
use futures::stream::FuturesUnordered;
use smpp_codec::concat::{ConcatMode, Splitter};
use smpp_codec::receipt::Receipt;
use smpp_codec::{COctetString, SubmitSm, coding};
use tokio::sync::Notify;

use super::Summary;
use crate::esme::{EsmeClient, EsmeConfig};
use crate::net::RequestError;
use crate::pool::{OutboundMessage, Pool, PoolConfig, PoolEvent, SubmitFailure};
use crate::session::BindKind;
use crate::tls::TlsClientConfig;

/// Arguments of `smpp send`.
#[derive(Debug, Args)]
pub struct SendArgs {
    /// The SMSC, HOST:PORT.
    #[arg(long, required_unless_present = "carrier_config")]
    pub addr: Option<String>,
    /// The bind's system_id.
    #[arg(long, required_unless_present = "carrier_config")]
    pub system_id: Option<String>,
    /// The bind's password.
    #[arg(long, required_unless_present = "carrier_config")]
    pub password: Option<String>,
    /// Send through a bind pool configured in this TOML file (carriers, hosts, binds, TPS
    /// limits, routes; see the README's "Bind pools") instead of one bind: --to picks the
    /// carrier by the routes, and --bind, --window and --tls come from the file.
    #[arg(long, conflicts_with_all = ["addr", "system_id", "password", "tls"])]
    pub carrier_config: Option<PathBuf>,
    /// Bind as a transceiver (trx: receipts come back on the same bind) or transmitter (tx).
    #[arg(long, default_value = "trx", value_parser = parse_bind)]
    pub bind: BindKind,
    /// Connect with TLS.
    #[arg(long)]
    pub tls: bool,
    /// With --tls: trust this CA certificate (PEM) instead of the system roots.
    #[arg(long, requires = "tls")]
    pub ca: Option<PathBuf>,
    /// The sender (source_addr).
    #[arg(long)]
    pub from: String,
    /// The recipient (destination_addr).
    #[arg(long)]
    pub to: String,
    /// The text; long texts are split into concatenated parts (UDH).
    #[arg(long)]
    pub text: String,
    /// How many times to send the text.
    #[arg(long, default_value_t = 1)]
    pub count: u64,
    /// submit_sm PDUs in flight at once.
    #[arg(long, default_value_t = 10)]
    pub window: usize,
    /// Ask for receipts and wait up to this many seconds for them (trx bind only).
    #[arg(long, default_value_t = 0.0)]
    pub wait_receipts: f64,
    /// Print one JSON object instead of the human summary.
    #[arg(long)]
    pub json: bool,
}

fn parse_bind(s: &str) -> Result<BindKind, String> {
    match s {
        "trx" | "transceiver" => Ok(BindKind::Transceiver),
        "tx" | "transmitter" => Ok(BindKind::Transmitter),
        other => Err(format!("unknown bind `{other}`: use trx or tx")),
    }
}

/// What a run did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SendReport {
    /// submit_sm PDUs sent (every part counts).
    pub sent: u64,
    /// Answered with a message id.
    pub accepted: u64,
    /// The others, by status name (`ESME_RTHROTTLED`, ...) or `timeout` / `closed`.
    pub failed: BTreeMap<String, u64>,
    /// Receipts matched to an accepted submit, by `stat:` word (`DELIVRD`, ...).
    pub receipts: BTreeMap<String, u64>,
    /// Whether receipts were waited for.
    pub waited: bool,
    /// submit_sm PDUs per second, first submit to last response.
    pub msgs_per_s: f64,
    /// Median submit -> submit_sm_resp latency, milliseconds.
    pub p50_ms: f64,
    /// 99th percentile of it.
    pub p99_ms: f64,
}

impl SendReport {
    /// Every submit accepted and, when waited for, a receipt for each.
    pub fn success(&self) -> bool {
        self.accepted == self.sent
            && (!self.waited || self.receipts.values().sum::<u64>() == self.accepted)
    }

    /// The `--json` object.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "sent": self.sent,
            "accepted": self.accepted,
            "failed": self.failed,
            "receipts": self.receipts,
            "msgs_per_s": round2(self.msgs_per_s),
            "latency_ms": {"p50": round2(self.p50_ms), "p99": round2(self.p99_ms)},
        })
    }

    fn write_human(&self, out: &mut dyn Write) -> std::io::Result<()> {
        write!(out, "sent {}, accepted {}", self.sent, self.accepted)?;
        if !self.failed.is_empty() {
            write!(out, ", failed: {}", join(&self.failed))?;
        }
        writeln!(out)?;
        if self.waited {
            let got: u64 = self.receipts.values().sum();
            write!(out, "receipts {got} of {}", self.accepted)?;
            if !self.receipts.is_empty() {
                write!(out, ": {}", join(&self.receipts))?;
            }
            writeln!(out)?;
        }
        writeln!(
            out,
            "{:.1} msgs/s, latency p50 {:.2} ms, p99 {:.2} ms",
            self.msgs_per_s, self.p50_ms, self.p99_ms
        )
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn join(m: &BTreeMap<String, u64>) -> String {
    m.iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The `p`-th percentile (nearest rank) of sorted `v`, in milliseconds; 0 when empty.
pub fn percentile_ms(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    let i = rank.clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1000.0
}

/// Runs `smpp send`: exit status 0 when all accepted (and all receipts came if waited for).
pub fn execute(
    args: &SendArgs,
    out: &mut dyn Write,
    diag: &mut dyn Write,
) -> anyhow::Result<Summary> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let report = match runtime.block_on(run(args, diag)) {
        Ok(r) => r,
        Err(e) => {
            writeln!(diag, "smpp send: {e:#}")?;
            return Ok(Summary { ok: 0, failed: 1 });
        }
    };
    if args.json {
        writeln!(out, "{}", report.to_json())?;
    } else {
        report.write_human(out)?;
    }
    Ok(if report.success() {
        Summary { ok: 1, failed: 0 }
    } else {
        Summary { ok: 0, failed: 1 }
    })
}

/// (ton, npi) for an address: international for digits (with an optional `+`), alphanumeric
/// otherwise.
fn address(addr: &str) -> (u8, u8, &str) {
    let digits = addr.strip_prefix('+').unwrap_or(addr);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        (1, 1, digits)
    } else {
        (5, 0, addr)
    }
}

fn failure_name(e: &RequestError) -> String {
    if let Some(s) = e.command_status() {
        return s
            .name()
            .map_or_else(|| format!("0x{:08X}", s.0), str::to_owned);
    }
    match e {
        RequestError::Timeout { .. } => "timeout".into(),
        RequestError::Closed => "closed".into(),
        RequestError::NotSent => "not_sent".into(),
        RequestError::Encode(_) => "encode_error".into(),
        _ => "error".into(),
    }
}

/// Binds, submits, waits, unbinds (or, with `--carrier-config`, drives a bind pool).
pub async fn run(args: &SendArgs, diag: &mut dyn Write) -> anyhow::Result<SendReport> {
    if let Some(path) = &args.carrier_config {
        return run_pool(args, path).await;
    }
    let (Some(addr), Some(system_id), Some(password)) =
        (&args.addr, &args.system_id, &args.password)
    else {
        anyhow::bail!("--addr, --system-id and --password are needed without --carrier-config");
    };
    let scheme = if args.tls { "smpps" } else { "smpp" };
    let mut config = EsmeConfig::new(&format!("{scheme}://{addr}"), system_id, password)?;
    config.bind_kind = args.bind;
    config.session.window = args.window.max(1);
    if let Some(ca) = &args.ca {
        let pem = std::fs::read(ca).with_context(|| format!("cannot read {}", ca.display()))?;
        config.tls = Some(TlsClientConfig::with_ca_pem(pem));
    }
    let wait = args.wait_receipts > 0.0;
    if wait && args.bind != BindKind::Transceiver {
        writeln!(
            diag,
            "smpp send: receipts come back only on a trx bind; not waiting for them"
        )?;
    }
    let wait = wait && args.bind == BindKind::Transceiver;

    let (src_ton, src_npi, src) = address(&args.from);
    let (dst_ton, dst_npi, dst) = address(&args.to);
    let template = SubmitSm {
        source_addr_ton: src_ton,
        source_addr_npi: src_npi,
        source_addr: COctetString::try_from(src).context("--from")?,
        dest_addr_ton: dst_ton,
        dest_addr_npi: dst_npi,
        destination_addr: COctetString::try_from(dst).context("--to")?,
        registered_delivery: u8::from(wait),
        ..SubmitSm::default()
    };
    let encoding = coding::choose(&args.text, &[]).encoding;
    let mut splitter = Splitter::new(ConcatMode::Udh8);
    // Checks the text splits before binding.
    splitter
        .submit_sms(&template, &args.text, &encoding)
        .context("cannot split the text into submit_sm PDUs")?;

    let (handle, mut inbound) = EsmeClient::connect(config)
        .await
        .with_context(|| format!("cannot bind to {addr}"))?;

    // Receipts by message id, as they come.
    let seen: Arc<Mutex<HashMap<String, String>>> = Arc::default();
    let notify = Arc::new(Notify::new());
    let collector = {
        let seen = seen.clone();
        let notify = notify.clone();
        tokio::spawn(async move {
            while let Some(req) = inbound.recv().await {
                let receipt = match Receipt::from_body(req.body()) {
                    Some(Ok(r)) => Some((
                        r.message_id.to_owned(),
                        r.state.map_or("UNKNOWN", |s| s.stat_text()).to_owned(),
                    )),
                    _ => None,
                };
                // Answer first: once the receipt is seen the run may unbind.
                req.ok();
                if let Some((id, state)) = receipt {
                    seen.lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .insert(id, state);
                    notify.notify_one();
                }
            }
        })
    };

    let window = args.window.max(1);
    let mut report = SendReport {
        waited: wait,
        ..SendReport::default()
    };
    let mut latencies = Vec::new();
    let mut ids = Vec::new();
    let mut in_flight = FuturesUnordered::new();
    let mut queue = std::collections::VecDeque::new();
    let mut remaining = args.count;
    let start = Instant::now();
    loop {
        while in_flight.len() < window {
            if queue.is_empty() && remaining > 0 {
                remaining -= 1;
                queue.extend(splitter.submit_sms(&template, &args.text, &encoding)?);
            }
            let Some(pdu) = queue.pop_front() else { break };
            let h = handle.clone();
            report.sent += 1;
            in_flight.push(async move {
                let t0 = Instant::now();
                let r = h.submit_sm(pdu).await;
                (t0.elapsed(), r)
            });
        }
        let Some((latency, result)) = in_flight.next().await else {
            break;
        };
        match result {
            Ok(resp) => {
                latencies.push(latency);
                report.accepted += 1;
                ids.push(resp.message_id.to_string());
            }
            Err(e) => {
                if e.command_status().is_some() {
                    latencies.push(latency);
                }
                *report.failed.entry(failure_name(&e)).or_insert(0) += 1;
            }
        }
    }
    report.finish_timing(start, &mut latencies);

    if wait && !ids.is_empty() {
        let deadline = tokio::time::Instant::now() + Duration::from_secs_f64(args.wait_receipts);
        // The bind going away ends the wait too: nothing more will come.
        count_receipts(&seen, &notify, &ids, deadline, handle.closed(), &mut report).await;
    }

    if handle.close_reason().is_none()
        && tokio::time::timeout(Duration::from_secs(5), handle.unbind())
            .await
            .is_err()
    {
        handle.close();
    }
    drop(handle);
    let _ = tokio::time::timeout(Duration::from_secs(1), collector).await;
    Ok(report)
}

/// The name a pool failure is counted under.
fn pool_failure_name(f: &SubmitFailure) -> String {
    match f {
        SubmitFailure::RetriesExhausted { last, .. } | SubmitFailure::Request(last) => {
            failure_name(last)
        }
        SubmitFailure::Rejected(s) => s
            .name()
            .map_or_else(|| format!("0x{:08X}", s.0), str::to_owned),
        SubmitFailure::Unavailable => "unavailable".into(),
        SubmitFailure::ShutDown => "shut_down".into(),
    }
}

/// `--carrier-config`: starts the pool, waits for a bind of every carrier, queues the
/// messages (routed by --to), waits for their outcomes and, when asked, their receipts
/// (correlated to each message and part), then shuts the pool down (every bind unbinds).
async fn run_pool(args: &SendArgs, path: &std::path::Path) -> anyhow::Result<SendReport> {
    let config = PoolConfig::from_file(path)?;
    let connect_wait = config
        .carriers
        .iter()
        .map(|c| Duration::from_millis(c.connect_timeout_ms))
        .max()
        .unwrap_or(Duration::from_secs(10))
        + Duration::from_secs(5);
    let wait = args.wait_receipts > 0.0;
    let (pool, mut events) = Pool::start(config)?;
    let seen: Arc<Mutex<HashMap<(String, u8), String>>> = Arc::default();
    let notify = Arc::new(Notify::new());
    let collector = {
        let seen = seen.clone();
        let notify = notify.clone();
        tokio::spawn(async move {
            while let Some(ev) = events.recv().await {
                if let PoolEvent::Receipt(r) = &ev {
                    if let Some(c) = &r.correlation {
                        let state = r.receipt.state.map_or("UNKNOWN", |s| s.stat_text());
                        seen.lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .insert((c.caller_id.clone(), c.part), state.to_owned());
                        notify.notify_one();
                    }
                }
                ev.ack();
            }
        })
    };
    let deadline = tokio::time::Instant::now() + connect_wait;
    while !pool.is_ready() {
        if tokio::time::Instant::now() >= deadline {
            let why: Vec<String> = pool
                .bind_statuses()
                .iter()
                .map(|s| {
                    format!(
                        "{}: {}",
                        s.name,
                        s.last_error.as_deref().unwrap_or("still connecting")
                    )
                })
                .collect();
            pool.shutdown().await;
            anyhow::bail!("no bind came up: {}", why.join("; "));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let mut report = SendReport {
        waited: wait,
        ..SendReport::default()
    };
    let mut latencies = Vec::new();
    let mut accepted_parts: Vec<(String, u8)> = Vec::new();
    let mut in_flight = FuturesUnordered::new();
    let start = Instant::now();
    let mut next = 0u64;
    loop {
        // Queue ahead while outcomes come back (the pool's own queue applies backpressure).
        while next < args.count && in_flight.len() < 10_000 {
            next += 1;
            let mut msg =
                OutboundMessage::text(&next.to_string(), &args.from, &args.to, &args.text);
            msg.registered_delivery = wait;
            let ticket = pool.enqueue(msg).await?;
            report.sent += ticket.parts() as u64;
            let t0 = Instant::now();
            in_flight.push(async move { (t0, ticket.await) });
        }
        let Some((t0, outcome)) = in_flight.next().await else {
            break;
        };
        latencies.push(t0.elapsed());
        report.accepted += outcome.message_ids.len() as u64;
        for part in 1..=outcome.message_ids.len() {
            accepted_parts.push((outcome.id.clone(), part as u8));
        }
        if let Err(f) = &outcome.result {
            let lost = (outcome.parts - outcome.message_ids.len()) as u64;
            *report.failed.entry(pool_failure_name(f)).or_insert(0) += lost;
        }
    }
    report.finish_timing(start, &mut latencies);

    if wait && !accepted_parts.is_empty() {
        let deadline = tokio::time::Instant::now() + Duration::from_secs_f64(args.wait_receipts);
        let never = std::future::pending::<()>();
        count_receipts(
            &seen,
            &notify,
            &accepted_parts,
            deadline,
            never,
            &mut report,
        )
        .await;
    }
    pool.shutdown().await;
    drop(pool);
    let _ = tokio::time::timeout(Duration::from_secs(1), collector).await;
    Ok(report)
}

impl SendReport {
    /// Fills the rate and the latency percentiles once the submits are done.
    fn finish_timing(&mut self, start: Instant, latencies: &mut [Duration]) {
        let elapsed = start.elapsed().as_secs_f64();
        self.msgs_per_s = if elapsed > 0.0 {
            self.sent as f64 / elapsed
        } else {
            0.0
        };
        latencies.sort_unstable();
        self.p50_ms = percentile_ms(latencies, 50.0);
        self.p99_ms = percentile_ms(latencies, 99.0);
    }
}

/// Waits until every key has a receipt in `seen` (woken by `notify`), the deadline passes, or
/// `stop` completes; then counts the receipts seen by state.
async fn count_receipts<K: Eq + std::hash::Hash, S: std::future::Future>(
    seen: &Mutex<HashMap<K, String>>,
    notify: &Notify,
    keys: &[K],
    deadline: tokio::time::Instant,
    stop: S,
    report: &mut SendReport,
) {
    tokio::pin!(stop);
    loop {
        let notified = notify.notified();
        let have = {
            let seen = seen.lock().unwrap_or_else(|e| e.into_inner());
            keys.iter().filter(|k| seen.contains_key(*k)).count()
        };
        if have == keys.len() {
            break;
        }
        tokio::select! {
            _ = notified => {}
            _ = tokio::time::sleep_until(deadline) => break,
            _ = &mut stop => break,
        }
    }
    let seen = seen.lock().unwrap_or_else(|e| e.into_inner());
    for k in keys {
        if let Some(state) = seen.get(k) {
            *report.receipts.entry(state.clone()).or_insert(0) += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles() {
        let v: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile_ms(&v, 50.0), 50.0);
        assert_eq!(percentile_ms(&v, 99.0), 99.0);
        assert_eq!(percentile_ms(&[], 50.0), 0.0);
        assert_eq!(percentile_ms(&v[..1], 99.0), 1.0);
    }

    #[test]
    fn addresses() {
        assert_eq!(address("+447700900123"), (1, 1, "447700900123"));
        assert_eq!(address("ACME"), (5, 0, "ACME"));
    }
}
