//! `smpp sim`: runs the SMSC simulator ([`crate::sim`]) until Ctrl-C. Prints `listening on
//! <addr>` on standard output first, then a line per bind and a periodic summary on standard
//! error.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use tokio::sync::broadcast::error::RecvError;

use super::Summary;
use crate::sim::{
    Faults, IdFormat, MoConfig, SimConfig, SimCounters, SimEvent, Simulator, StatusMix,
};
use crate::tls::{CertifiedKeyPem, TlsServerConfig};

/// Arguments of `smpp sim`.
#[derive(Debug, Args)]
pub struct SimArgs {
    /// Where to listen, HOST:PORT (port 0: any free port; the line `listening on` says which).
    #[arg(long, default_value = "127.0.0.1:2775")]
    pub listen: String,
    /// Accept only this system_id (with --password); any bind is accepted without.
    #[arg(long, requires = "password")]
    pub system_id: Option<String>,
    /// The password of --system-id.
    #[arg(long, requires = "system_id")]
    pub password: Option<String>,
    /// Delay between a submit and its receipt, milliseconds.
    #[arg(long, default_value_t = 1000)]
    pub receipt_delay_ms: u64,
    /// A random extra receipt delay of up to this many milliseconds.
    #[arg(long, default_value_t = 0)]
    pub receipt_jitter_ms: u64,
    /// Receipt states and their percentages, e.g. DELIVRD=90,UNDELIV=5,EXPIRED=3,REJECTD=2.
    #[arg(long, default_value = "DELIVRD=100")]
    pub receipt_states: StatusMix,
    /// Message ids in hexadecimal (hex) or decimal (dec).
    #[arg(long, default_value = "hex")]
    pub id_format: IdFormat,
    /// Message ids in receipts (`id:`) in another format than --id-format, as some SMSCs do:
    /// the `submit_sm_resp` says `0000002A`, the receipt `42` (hex or dec).
    #[arg(long)]
    pub receipt_id_format: Option<IdFormat>,
    /// An MO text or keyword to inject (repeat for several, sent in turn).
    #[arg(long = "mo-text")]
    pub mo_text: Vec<String>,
    /// MO messages per second.
    #[arg(long, default_value_t = 1.0)]
    pub mo_rate: f64,
    /// Stop injecting MO after this many messages.
    #[arg(long)]
    pub mo_count: Option<u64>,
    /// The MO sender (subscriber).
    #[arg(long, default_value = "447700900001")]
    pub mo_from: String,
    /// The MO recipient (short code).
    #[arg(long, default_value = "12345")]
    pub mo_to: String,
    /// Percentage of submits answered ESME_RTHROTTLED.
    #[arg(long, default_value_t = 0.0)]
    pub throttle_pct: f64,
    /// Percentage of submits answered ESME_RMSGQFUL.
    #[arg(long, default_value_t = 0.0)]
    pub queue_full_pct: f64,
    /// Delay every answer this many milliseconds.
    #[arg(long)]
    pub slow_ms: Option<u64>,
    /// Close each connection when its N-th submit arrives.
    #[arg(long)]
    pub drop_after: Option<u64>,
    /// Send each connection a malformed PDU after its N-th submit.
    #[arg(long)]
    pub malformed_after: Option<u64>,
    /// TLS certificate chain (PEM); with --tls-key, every connection must speak TLS.
    #[arg(long, requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// TLS private key (PEM).
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Seconds between summaries on standard error.
    #[arg(long, default_value_t = 10)]
    pub summary_secs: u64,
    /// Seed of the random draws (state mix, faults), for repeatable runs.
    #[arg(long)]
    pub seed: Option<u64>,
}

fn percent(name: &str, v: f64) -> anyhow::Result<f64> {
    anyhow::ensure!(
        (0.0..=100.0).contains(&v),
        "--{name} must be between 0 and 100"
    );
    Ok(v)
}

/// The simulator's configuration from the arguments.
pub fn config(args: &SimArgs) -> anyhow::Result<SimConfig> {
    let mut c = SimConfig::default();
    if let (Some(id), Some(pw)) = (&args.system_id, &args.password) {
        c = c.account(id, pw);
    }
    c.receipt_delay = Duration::from_millis(args.receipt_delay_ms);
    c.receipt_jitter = Duration::from_millis(args.receipt_jitter_ms);
    c.receipt_states = args.receipt_states.clone();
    c.id_format = args.id_format;
    c.receipt_id_format = args.receipt_id_format;
    c.seed = args.seed;
    if !args.mo_text.is_empty() {
        anyhow::ensure!(args.mo_rate > 0.0, "--mo-rate must be above 0");
        c.mo = Some(MoConfig {
            texts: args.mo_text.clone(),
            rate_per_sec: args.mo_rate,
            count: args.mo_count,
            source: args.mo_from.clone(),
            destination: args.mo_to.clone(),
            system_id: None,
        });
    }
    c.faults = Faults {
        throttle_pct: percent("throttle-pct", args.throttle_pct)?,
        queue_full_pct: percent("queue-full-pct", args.queue_full_pct)?,
        response_delay: args.slow_ms.map(Duration::from_millis),
        drop_after_submits: args.drop_after,
        malformed_after_submits: args.malformed_after,
    };
    if let (Some(cert), Some(key)) = (&args.tls_cert, &args.tls_key) {
        let chain =
            std::fs::read(cert).with_context(|| format!("cannot read {}", cert.display()))?;
        let key = std::fs::read(key).with_context(|| format!("cannot read {}", key.display()))?;
        c.smsc.tls = Some(TlsServerConfig::new(CertifiedKeyPem::new(chain, key)));
    }
    Ok(c)
}

fn summary_line(c: &SimCounters) -> String {
    format!(
        "summary: binds {} submits {} accepted {} throttled {} queue_full {} receipts {} (dropped {}) mo {} dropped_connections {} malformed {}",
        c.binds,
        c.submits,
        c.accepted,
        c.throttled,
        c.queue_full,
        c.receipts_sent,
        c.receipts_dropped,
        c.mo_sent,
        c.connections_dropped,
        c.malformed_sent
    )
}

/// Runs `smpp sim` until Ctrl-C.
pub fn execute(
    args: &SimArgs,
    out: &mut dyn Write,
    diag: &mut dyn Write,
) -> anyhow::Result<Summary> {
    let mut config = config(args)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        config.listen = tokio::net::lookup_host(&args.listen)
            .await
            .with_context(|| format!("cannot resolve --listen {}", args.listen))?
            .next()
            .with_context(|| format!("--listen {} resolves to no address", args.listen))?;
        let sim = Simulator::start(config)
            .await
            .with_context(|| format!("cannot start the simulator on {}", args.listen))?;
        writeln!(out, "listening on {}", sim.local_addr())?;
        out.flush()?;
        let mut events = sim.subscribe();
        let period = Duration::from_secs(args.summary_secs.max(1));
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        let ctrl_c = tokio::signal::ctrl_c();
        tokio::pin!(ctrl_c);
        loop {
            tokio::select! {
                _ = &mut ctrl_c => break,
                ev = events.recv() => match ev {
                    Ok(SimEvent::Bound { conn, system_id, kind, peer }) => {
                        writeln!(diag, "bind #{conn}: {system_id} as {kind:?} from {peer}")?;
                    }
                    Ok(SimEvent::Closed { conn, system_id, reason }) => {
                        writeln!(diag, "closed #{conn}: {system_id} ({reason:?})")?;
                    }
                    Err(RecvError::Lagged(n)) => writeln!(diag, "({n} bind events not shown)")?,
                    Err(RecvError::Closed) => break,
                },
                _ = tick.tick() => writeln!(diag, "{}", summary_line(&sim.counters()))?,
            }
        }
        let last = sim.counters();
        sim.shutdown().await;
        writeln!(diag, "{}", summary_line(&last))?;
        Ok(Summary { ok: 1, failed: 0 })
    })
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command};

    fn sim_config(args: &[&str]) -> anyhow::Result<SimConfig> {
        let cli = Cli::try_parse_from(["smpp", "sim"].iter().chain(args))?;
        let Command::Sim(a) = cli.command else {
            panic!("not sim");
        };
        config(&a)
    }

    #[test]
    fn id_formats_of_responses_and_receipts() {
        let c = sim_config(&[]).unwrap();
        assert_eq!((c.id_format, c.receipt_id_format), (IdFormat::Hex, None));
        let c = sim_config(&["--id-format", "hex", "--receipt-id-format", "dec"]).unwrap();
        assert_eq!(
            (c.id_format, c.receipt_id_format),
            (IdFormat::Hex, Some(IdFormat::Decimal))
        );
        assert!(sim_config(&["--receipt-id-format", "octal"]).is_err());
        assert!(sim_config(&["--throttle-pct", "101"]).is_err());
    }
}
