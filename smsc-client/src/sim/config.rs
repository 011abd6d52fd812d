//! `SimConfig`: what the simulator accepts, how it answers, which receipts and MO messages it
//! sends, and which faults it injects. Every field has a default; set what a test needs.

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

use smpp_codec::receipt::MessageState;

use crate::smsc::SmscConfig;

/// How the simulator writes message ids.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum IdFormat {
    /// Upper-case hexadecimal, 8 digits at least (`0000002A`).
    #[default]
    Hex,
    /// Decimal (`42`).
    Decimal,
}

impl IdFormat {
    /// The id of counter value `n`.
    pub fn format(self, n: u64) -> String {
        match self {
            IdFormat::Hex => format!("{n:08X}"),
            IdFormat::Decimal => n.to_string(),
        }
    }

    /// The id of counter value `n` for an ESME that bound as SMPP 3.3 or earlier: at most 8
    /// characters (SMPP 3.4 §3.3: an SMSC "must not generate message IDs greater than 8
    /// octets" towards such an ESME), so the counter wraps as an 8-digit one would (hex after
    /// 2^32, decimal after 10^8).
    pub fn format_v33(self, n: u64) -> String {
        match self {
            IdFormat::Hex => self.format(n & 0xFFFF_FFFF),
            IdFormat::Decimal => self.format(n % 100_000_000),
        }
    }
}

impl FromStr for IdFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "hex" => Ok(IdFormat::Hex),
            "dec" | "decimal" => Ok(IdFormat::Decimal),
            other => Err(format!("unknown id format `{other}`: use hex or dec")),
        }
    }
}

/// The final states receipts report, with their weights (percentages, or any weights: they are
/// normalised). Default: 100% DELIVRD.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusMix(Vec<(MessageState, u32)>);

impl Default for StatusMix {
    fn default() -> Self {
        StatusMix(vec![(MessageState::Delivered, 100)])
    }
}

impl StatusMix {
    /// A mix from `(state, weight)` pairs. Refuses an empty mix or one whose weights are all 0.
    pub fn new(weights: Vec<(MessageState, u32)>) -> Result<Self, String> {
        if weights.iter().map(|(_, w)| u64::from(*w)).sum::<u64>() == 0 {
            return Err(
                "the receipt state mix needs at least one state with a weight above 0".into(),
            );
        }
        Ok(StatusMix(weights))
    }

    /// Every receipt reports `state`.
    pub fn only(state: MessageState) -> Self {
        StatusMix(vec![(state, 100)])
    }

    /// The `(state, weight)` pairs.
    pub fn weights(&self) -> &[(MessageState, u32)] {
        &self.0
    }

    /// The state for a uniform draw `r` in `0..total()`.
    pub fn pick(&self, r: u64) -> MessageState {
        let mut acc = 0u64;
        for (state, w) in &self.0 {
            acc += u64::from(*w);
            if r < acc {
                return *state;
            }
        }
        self.0.last().map_or(MessageState::Delivered, |(s, _)| *s)
    }

    /// The sum of the weights.
    pub fn total(&self) -> u64 {
        self.0.iter().map(|(_, w)| u64::from(*w)).sum()
    }
}

impl FromStr for StatusMix {
    type Err = String;
    /// `DELIVRD=90,UNDELIV=10`: `stat:` words (or state names) with weights.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut weights = Vec::new();
        for item in s.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let (name, weight) = item
                .split_once('=')
                .ok_or_else(|| format!("`{item}` is not STATE=PERCENT (e.g. DELIVRD=90)"))?;
            let state = MessageState::from_stat(name.trim()).ok_or_else(|| {
                format!(
                    "unknown receipt state `{}`: use DELIVRD, UNDELIV, EXPIRED, REJECTD, ...",
                    name.trim()
                )
            })?;
            let weight = weight
                .trim()
                .parse::<u32>()
                .map_err(|_| format!("`{}` is not a whole percentage", weight.trim()))?;
            weights.push((state, weight));
        }
        StatusMix::new(weights)
    }
}

impl fmt::Display for StatusMix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (s, w)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{}={w}", s.stat_text())?;
        }
        Ok(())
    }
}

/// Mobile-originated messages the simulator injects into RX/TRX binds.
#[derive(Clone, Debug, PartialEq)]
pub struct MoConfig {
    /// The texts (or keywords) to send, in turn. Texts too long for one message are split
    /// into UDH parts.
    pub texts: Vec<String>,
    /// Messages per second (at most one message, all its parts, per tick).
    pub rate_per_sec: f64,
    /// Stop after this many messages; `None` runs until shutdown.
    pub count: Option<u64>,
    /// The subscriber (`source_addr`).
    pub source: String,
    /// The short code or number (`destination_addr`).
    pub destination: String,
    /// Only to binds of this `system_id`; `None`: any RX/TRX bind, in turn.
    pub system_id: Option<String>,
}

impl Default for MoConfig {
    fn default() -> Self {
        MoConfig {
            texts: Vec::new(),
            rate_per_sec: 1.0,
            count: None,
            source: "447700900001".into(),
            destination: "12345".into(),
            system_id: None,
        }
    }
}

/// Faults injected on request. All off by default.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Faults {
    /// Percentage (0-100) of submits answered `ESME_RTHROTTLED`.
    pub throttle_pct: f64,
    /// Percentage (0-100) of submits answered `ESME_RMSGQFUL`.
    pub queue_full_pct: f64,
    /// Every answer is delayed this long (answers still run concurrently).
    pub response_delay: Option<Duration>,
    /// Each connection is closed, without answering, when its N-th submit arrives (so the
    /// ESME's requests in flight fail).
    pub drop_after_submits: Option<u64>,
    /// Each connection receives one malformed PDU (a `deliver_sm` with a broken body) right
    /// after the answer to its N-th submit.
    pub malformed_after_submits: Option<u64>,
}

/// What a [`Simulator`](super::Simulator) does. Start from `SimConfig::default()` and set fields.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// Where to listen (default `127.0.0.1:0`: a free port).
    pub listen: SocketAddr,
    /// Accepted `(system_id, password)` pairs; empty accepts any bind.
    pub accounts: Vec<(String, String)>,
    /// Our side's settings (system_id, window for deliver_sm, timers, TLS).
    pub smsc: SmscConfig,
    /// How message ids are written.
    pub id_format: IdFormat,
    /// How receipts write them, when not as `id_format` (a carrier whose `submit_sm_resp`
    /// says `0000002A` and whose receipt says `id:42`).
    pub receipt_id_format: Option<IdFormat>,
    /// The first message id's counter value.
    pub first_id: u64,
    /// How long after the submit a receipt is sent.
    pub receipt_delay: Duration,
    /// A random extra delay of up to this much per receipt.
    pub receipt_jitter: Duration,
    /// The receipt states and their shares.
    pub receipt_states: StatusMix,
    /// How long a receipt waits for an RX/TRX bind of its `system_id` before it is dropped.
    pub receipt_hold: Duration,
    /// MO injection, when set.
    pub mo: Option<MoConfig>,
    /// Fault injection.
    pub faults: Faults,
    /// Seed of the random draws (status mix, faults, jitter); `None` seeds from the OS.
    pub seed: Option<u64>,
}

impl Default for SimConfig {
    fn default() -> Self {
        let mut smsc = SmscConfig {
            system_id: "smsc-sim".into(),
            ..SmscConfig::default()
        };
        smsc.session.window = 64;
        smsc.session.max_inbound_pending = 1024;
        SimConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            accounts: Vec::new(),
            smsc,
            id_format: IdFormat::Hex,
            receipt_id_format: None,
            first_id: 1,
            receipt_delay: Duration::from_millis(100),
            receipt_jitter: Duration::ZERO,
            receipt_states: StatusMix::default(),
            receipt_hold: Duration::from_secs(60),
            mo: None,
            faults: Faults::default(),
            seed: None,
        }
    }
}

impl SimConfig {
    /// Accept only `system_id` / `password` (adds to the accepted accounts).
    pub fn account(mut self, system_id: &str, password: &str) -> Self {
        self.accounts.push((system_id.into(), password.into()));
        self
    }

    /// Listen on `addr`.
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }

    /// Receipts after `delay`.
    pub fn receipt_delay(mut self, delay: Duration) -> Self {
        self.receipt_delay = delay;
        self
    }

    /// Receipts report these states in these shares.
    pub fn receipt_states(mut self, mix: StatusMix) -> Self {
        self.receipt_states = mix;
        self
    }

    /// Message ids in this format.
    pub fn id_format(mut self, format: IdFormat) -> Self {
        self.id_format = format;
        self
    }

    /// Receipts write message ids in this format (default: as `id_format`).
    pub fn receipt_id_format(mut self, format: IdFormat) -> Self {
        self.receipt_id_format = Some(format);
        self
    }

    /// Inject MO messages.
    pub fn mo(mut self, mo: MoConfig) -> Self {
        self.mo = Some(mo);
        self
    }

    /// Inject these faults.
    pub fn faults(mut self, faults: Faults) -> Self {
        self.faults = faults;
        self
    }

    /// Seed the random draws.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mix_parses_and_picks() {
        let m: StatusMix = "DELIVRD=90, UNDELIV=10".parse().unwrap();
        assert_eq!(m.total(), 100);
        assert_eq!(m.pick(0), MessageState::Delivered);
        assert_eq!(m.pick(89), MessageState::Delivered);
        assert_eq!(m.pick(90), MessageState::Undeliverable);
        assert_eq!(m.to_string(), "DELIVRD=90,UNDELIV=10");
        assert!("DELIVRD".parse::<StatusMix>().is_err());
        assert!("NOPE=1".parse::<StatusMix>().is_err());
        assert!("DELIVRD=0".parse::<StatusMix>().is_err());
    }

    #[test]
    fn ids() {
        assert_eq!(IdFormat::Hex.format(42), "0000002A");
        assert_eq!(IdFormat::Decimal.format(42), "42");
        // Towards a 3.3 ESME, 8 characters at most: the counter wraps.
        assert_eq!(IdFormat::Hex.format(0x1_0000_002A), "10000002A");
        assert_eq!(IdFormat::Hex.format_v33(0x1_0000_002A), "0000002A");
        assert_eq!(IdFormat::Hex.format_v33(0xFFFF_FFFF), "FFFFFFFF");
        assert_eq!(IdFormat::Decimal.format_v33(123_456_789), "23456789");
        assert_eq!(IdFormat::Decimal.format_v33(99_999_999), "99999999");
        assert_eq!(IdFormat::Decimal.format_v33(42), "42");
        assert_eq!("dec".parse::<IdFormat>(), Ok(IdFormat::Decimal));
    }
}
