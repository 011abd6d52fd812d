//! What the pool exports through the `metrics` crate, per carrier and per bind.
//!
//! | name | kind | labels |
//! |---|---|---|
//! | `smpp_pool_bind_state` | gauge (0 down, 1 connecting/unbinding, 2 bound) | `carrier`, `bind` |
//! | `smpp_pool_bind_tps` | gauge (submit_sm PDUs/s over the last second) | `carrier`, `bind` |
//! | `smpp_pool_bind_in_flight` | gauge | `carrier`, `bind` |
//! | `smpp_pool_throttle_events_total` | counter | `carrier`, `bind` |
//! | `smpp_pool_bind_submits_total` | counter (submit_sm PDUs sent, retries included) | `carrier`, `bind` |
//! | `smpp_pool_tps` | gauge | `carrier` |
//! | `smpp_pool_queue_depth` | gauge (messages held: queued or in flight) | `carrier` |
//! | `smpp_pool_retries_total` | counter | `carrier`, `reason` (`throttled`, `temporary`, `handover`, `unsent`) |
//! | `smpp_pool_messages_total` | counter | `carrier`, `outcome` (`accepted`, `failed`) |
//! | `smpp_pool_receipts_total` | counter | `carrier`, `correlated` (`true`, `false`) |
//!
//! Rebinds also count in `smpp_reconnects_total` (see [`crate::metrics`]).

use metrics::{Counter, Gauge, counter, gauge};

/// Why a submission was tried again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RetryReason {
    Throttled,
    Temporary,
    Handover,
    Unsent,
}

/// One bind's handles.
pub(crate) struct BindMetrics {
    pub(crate) state: Gauge,
    pub(crate) tps: Gauge,
    pub(crate) in_flight: Gauge,
    pub(crate) throttles: Counter,
    pub(crate) submits: Counter,
}

impl BindMetrics {
    pub(crate) fn new(carrier: &str, bind: &str) -> Self {
        let (c, b) = (carrier.to_owned(), bind.to_owned());
        BindMetrics {
            state: gauge!("smpp_pool_bind_state", "carrier" => c.clone(), "bind" => b.clone()),
            tps: gauge!("smpp_pool_bind_tps", "carrier" => c.clone(), "bind" => b.clone()),
            in_flight: gauge!("smpp_pool_bind_in_flight", "carrier" => c.clone(), "bind" => b.clone()),
            throttles: counter!("smpp_pool_throttle_events_total", "carrier" => c.clone(), "bind" => b.clone()),
            submits: counter!("smpp_pool_bind_submits_total", "carrier" => c, "bind" => b),
        }
    }
}

/// One carrier's handles.
pub(crate) struct CarrierMetrics {
    pub(crate) tps: Gauge,
    pub(crate) queue: Gauge,
    retries: [Counter; 4],
    pub(crate) accepted: Counter,
    pub(crate) failed: Counter,
    pub(crate) receipts_correlated: Counter,
    pub(crate) receipts_uncorrelated: Counter,
}

impl CarrierMetrics {
    pub(crate) fn new(carrier: &str) -> Self {
        let c = carrier.to_owned();
        let retry = |reason: &'static str| counter!("smpp_pool_retries_total", "carrier" => c.clone(), "reason" => reason);
        CarrierMetrics {
            tps: gauge!("smpp_pool_tps", "carrier" => c.clone()),
            queue: gauge!("smpp_pool_queue_depth", "carrier" => c.clone()),
            retries: [
                retry("throttled"),
                retry("temporary"),
                retry("handover"),
                retry("unsent"),
            ],
            accepted: counter!("smpp_pool_messages_total", "carrier" => c.clone(), "outcome" => "accepted"),
            failed: counter!("smpp_pool_messages_total", "carrier" => c.clone(), "outcome" => "failed"),
            receipts_correlated: counter!("smpp_pool_receipts_total", "carrier" => c.clone(), "correlated" => "true"),
            receipts_uncorrelated: counter!("smpp_pool_receipts_total", "carrier" => c, "correlated" => "false"),
        }
    }

    pub(crate) fn retry(&self, reason: RetryReason) {
        let i = match reason {
            RetryReason::Throttled => 0,
            RetryReason::Temporary => 1,
            RetryReason::Handover => 2,
            RetryReason::Unsent => 3,
        };
        self.retries[i].increment(1);
    }
}
