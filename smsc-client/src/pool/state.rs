//! What the pool reports about itself: each bind's state ([`BindStatus`]) and each carrier's
//! counters ([`CarrierStats`]).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Instant;

use crate::session::BindKind;

/// Where a bind is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BindPhase {
    /// Connecting and binding.
    Connecting,
    /// Bound: submitting (TX/TRX) and receiving (RX/TRX).
    Bound,
    /// Down after a failure, waiting for its backoff delay before binding again.
    Waiting,
    /// Unbinding for the pool's shutdown.
    Unbinding,
    /// Stopped (the pool shut down).
    Stopped,
}

impl BindPhase {
    /// The value of the `smpp_pool_bind_state` gauge: 0 stopped/waiting, 1 connecting or
    /// unbinding, 2 bound.
    pub fn gauge(self) -> f64 {
        match self {
            BindPhase::Bound => 2.0,
            BindPhase::Connecting | BindPhase::Unbinding => 1.0,
            BindPhase::Waiting | BindPhase::Stopped => 0.0,
        }
    }
}

/// One bind's state.
#[derive(Clone, Debug, PartialEq)]
pub struct BindStatus {
    /// The carrier.
    pub carrier: String,
    /// The bind's label (`carrier/tx1`, `carrier/trx2`, `carrier/rx1`).
    pub name: String,
    /// How it binds.
    pub kind: BindKind,
    /// Its state.
    pub phase: BindPhase,
    /// The host (as configured) it is bound or binding to.
    pub host: String,
    /// Since when it is in this phase.
    pub since: Instant,
    /// Successful binds so far (a rebind counts again).
    pub binds: u64,
    /// Why it last went down or failed to bind.
    pub last_error: Option<String>,
    /// submit_sm PDUs per second over the last second (TX/TRX).
    pub tps: f64,
    /// submit_sm PDUs in flight now.
    pub in_flight: usize,
    /// submit_sm PDUs sent so far.
    pub sent: u64,
    /// Throttling answers (`ESME_RTHROTTLED`, `ESME_RMSGQFUL`) so far.
    pub throttled: u64,
}

/// A carrier's counters.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CarrierStats {
    /// The carrier.
    pub carrier: String,
    /// Messages held (queued or in flight).
    pub queued: usize,
    /// submit_sm PDUs in flight.
    pub in_flight: usize,
    /// submit_sm PDUs per second over the last second.
    pub tps: f64,
    /// Messages accepted (every part).
    pub accepted: u64,
    /// Messages failed.
    pub failed: u64,
    /// Retries of any kind (throttling, temporary errors, handovers).
    pub retries: u64,
    /// Throttling answers and high congestion states seen.
    pub throttle_events: u64,
    /// Messages reported as possible duplicates.
    pub possible_duplicates: u64,
    /// Receipts received on the carrier's binds.
    pub receipts: u64,
    /// Of those, resolved to a caller's id.
    pub receipts_correlated: u64,
}

/// The live counters behind [`CarrierStats`].
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) queued: AtomicUsize,
    pub(crate) in_flight: AtomicUsize,
    pub(crate) tps_milli: AtomicU64,
    pub(crate) accepted: AtomicU64,
    pub(crate) failed: AtomicU64,
    pub(crate) retries: AtomicU64,
    pub(crate) throttle_events: AtomicU64,
    pub(crate) possible_duplicates: AtomicU64,
    pub(crate) receipts: AtomicU64,
    pub(crate) receipts_correlated: AtomicU64,
}

impl Counters {
    pub(crate) fn bump(c: &AtomicU64) {
        c.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self, carrier: &str) -> CarrierStats {
        let g = |c: &AtomicU64| c.load(Ordering::Relaxed);
        CarrierStats {
            carrier: carrier.to_owned(),
            queued: self.queued.load(Ordering::Relaxed),
            in_flight: self.in_flight.load(Ordering::Relaxed),
            tps: g(&self.tps_milli) as f64 / 1000.0,
            accepted: g(&self.accepted),
            failed: g(&self.failed),
            retries: g(&self.retries),
            throttle_events: g(&self.throttle_events),
            possible_duplicates: g(&self.possible_duplicates),
            receipts: g(&self.receipts),
            receipts_correlated: g(&self.receipts_correlated),
        }
    }
}
