//! What the session drivers export through the `metrics` crate: requests and responses by
//! command, direction and status, response latency, window in use, binds up, reconnects.
//!
//! Names (Prometheus style; every series but the bind counts
//! `smpp_binds_up` and `smpp_bind_failures_total`, which add up over binds, also carries `bind`,
//! the bind's label):
//!
//! | name | kind | labels |
//! |---|---|---|
//! | `smpp_requests_total` | counter | `command`, `direction` (`in` / `out`) |
//! | `smpp_responses_total` | counter | `command`, `direction`, `status` |
//! | `smpp_request_failures_total` | counter | `command`, `reason` (`timeout`, `closed`, `generic_nack`, `invalid_response`) |
//! | `smpp_response_latency_seconds` | histogram | `command` (of the request) |
//! | `smpp_window_in_use` | gauge | |
//! | `smpp_inbound_pending` | gauge | |
//! | `smpp_binds_up` | gauge | `role` (`esme` / `smsc`) |
//! | `smpp_bind_failures_total` | counter | `role`, `status` |
//! | `smpp_reconnects_total` | counter | |
//! | `smpp_pdus_total` | counter | `command`, `direction`: every PDU, those the session core answers by itself (bind, enquire_link, unbind, generic_nack, queue-full and bind-state refusals) included |
//! | `smpp_session_rejections_total` | counter | `reason` (`decode_error`, `bind_state`, `queue_full`, `unmatched_response`, `late_response`) |
//!
//! The last two come from the session core's [`crate::session::SessionStats`],
//! exported as deltas at most once a second while the session is busy, on its timers, and when
//! it ends, so the per-PDU path stays as it is.
//!
//! Without an installed recorder every call is a no-op. Handles are cached per
//! (command, direction, status) so the hot path does one small hash lookup, no allocation.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use metrics::{Counter, Gauge, Histogram, counter, gauge, histogram};
use smpp_codec::{CommandId, CommandStatus};

use crate::session::{CommandCounts, FailReason, Role, SessionStats};

/// Which way a PDU went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Received from the peer.
    In,
    /// Sent to the peer.
    Out,
}

impl Direction {
    fn as_str(self) -> &'static str {
        match self {
            Direction::In => "in",
            Direction::Out => "out",
        }
    }
}

fn role_str(role: Role) -> &'static str {
    match role {
        Role::Esme => "esme",
        Role::Smsc => "smsc",
    }
}

/// Counts a reconnect of the bind labelled `bind` (for the bind pool / reconnect loops).
pub fn record_reconnect(bind: &str) {
    counter!("smpp_reconnects_total", "bind" => bind.to_owned()).increment(1);
}

/// The metric handles of one session.
pub(crate) struct SessionMetrics {
    bind: Arc<str>,
    role: Role,
    requests: HashMap<(CommandId, Direction), Counter>,
    responses: HashMap<(CommandId, Direction, CommandStatus), Counter>,
    latency: HashMap<CommandId, Histogram>,
    window: Gauge,
    inbound: Gauge,
    up: bool,
    /// The core's counters as last exported.
    exported: SessionStats,
    pdus: HashMap<(CommandId, Direction), Counter>,
}

impl SessionMetrics {
    pub(crate) fn new(bind: Arc<str>, role: Role) -> Self {
        SessionMetrics {
            window: gauge!("smpp_window_in_use", "bind" => bind.clone()),
            inbound: gauge!("smpp_inbound_pending", "bind" => bind.clone()),
            bind,
            role,
            requests: HashMap::new(),
            responses: HashMap::new(),
            latency: HashMap::new(),
            up: false,
            exported: SessionStats::default(),
            pdus: HashMap::new(),
        }
    }

    /// Exports what the session core counted since the last call (see the module docs).
    pub(crate) fn session_totals(&mut self, stats: &SessionStats) {
        let last = std::mem::replace(&mut self.exported, stats.clone());
        let pairs: [(&CommandCounts, &CommandCounts, Direction); 4] = [
            (
                &stats.requests_received,
                &last.requests_received,
                Direction::In,
            ),
            (
                &stats.responses_received,
                &last.responses_received,
                Direction::In,
            ),
            (&stats.requests_sent, &last.requests_sent, Direction::Out),
            (&stats.responses_sent, &last.responses_sent, Direction::Out),
        ];
        for (now, before, dir) in pairs {
            for (command, n) in now.iter() {
                let delta = n - before.get(command);
                if delta == 0 {
                    continue;
                }
                let bind = &self.bind;
                self.pdus
                    .entry((command, dir))
                    .or_insert_with(|| {
                        counter!("smpp_pdus_total", "bind" => bind.clone(), "command" => command.name(), "direction" => dir.as_str())
                    })
                    .increment(delta);
            }
        }
        let rejections = [
            ("decode_error", stats.decode_errors - last.decode_errors),
            (
                "bind_state",
                stats.rejected_bind_state - last.rejected_bind_state,
            ),
            (
                "queue_full",
                stats.rejected_queue_full - last.rejected_queue_full,
            ),
            (
                "unmatched_response",
                stats.unmatched_responses - last.unmatched_responses,
            ),
            ("late_response", stats.late_responses - last.late_responses),
        ];
        for (reason, delta) in rejections {
            if delta > 0 {
                counter!("smpp_session_rejections_total", "bind" => self.bind.clone(), "reason" => reason)
                    .increment(delta);
            }
        }
    }

    /// Relabels the session (the SMSC side learns the bind's name from the bind request).
    pub(crate) fn set_bind(&mut self, bind: Arc<str>) {
        self.window = gauge!("smpp_window_in_use", "bind" => bind.clone());
        self.inbound = gauge!("smpp_inbound_pending", "bind" => bind.clone());
        self.requests.clear();
        self.responses.clear();
        self.latency.clear();
        self.pdus.clear();
        self.bind = bind;
    }

    pub(crate) fn request(&mut self, command: CommandId, dir: Direction) {
        let bind = &self.bind;
        self.requests
            .entry((command, dir))
            .or_insert_with(|| {
                counter!("smpp_requests_total", "bind" => bind.clone(), "command" => command.name(), "direction" => dir.as_str())
            })
            .increment(1);
    }

    pub(crate) fn response(&mut self, command: CommandId, dir: Direction, status: CommandStatus) {
        let bind = &self.bind;
        self.responses
            .entry((command, dir, status))
            .or_insert_with(|| {
                let status = match status.name() {
                    Some(n) => n.to_owned(),
                    None => format!("0x{:08X}", status.0),
                };
                counter!("smpp_responses_total", "bind" => bind.clone(), "command" => command.name(), "direction" => dir.as_str(), "status" => status)
            })
            .increment(1);
    }

    pub(crate) fn latency(&mut self, request: CommandId, elapsed: Duration) {
        let bind = &self.bind;
        self.latency
            .entry(request)
            .or_insert_with(|| {
                histogram!("smpp_response_latency_seconds", "bind" => bind.clone(), "command" => request.name())
            })
            .record(elapsed.as_secs_f64());
    }

    pub(crate) fn failure(&mut self, request: CommandId, reason: FailReason) {
        let reason = match reason {
            FailReason::Timeout => "timeout",
            FailReason::Closed => "closed",
            FailReason::GenericNack(_) => "generic_nack",
            FailReason::InvalidResponse(_) => "invalid_response",
        };
        counter!("smpp_request_failures_total", "bind" => self.bind.clone(), "command" => request.name(), "reason" => reason)
            .increment(1);
    }

    pub(crate) fn gauges(&self, window_in_use: usize, inbound_pending: usize) {
        self.window.set(window_in_use as f64);
        self.inbound.set(inbound_pending as f64);
    }

    pub(crate) fn bind_up(&mut self) {
        if !self.up {
            self.up = true;
            gauge!("smpp_binds_up", "role" => role_str(self.role)).increment(1.0);
        }
    }

    pub(crate) fn bind_down(&mut self) {
        if self.up {
            self.up = false;
            gauge!("smpp_binds_up", "role" => role_str(self.role)).decrement(1.0);
        }
        self.gauges(0, 0);
    }

    pub(crate) fn bind_failed(&self, status: CommandStatus) {
        let status = status
            .name()
            .map_or_else(|| format!("0x{:08X}", status.0), str::to_owned);
        counter!("smpp_bind_failures_total", "role" => role_str(self.role), "status" => status)
            .increment(1);
    }
}

impl Drop for SessionMetrics {
    fn drop(&mut self) {
        self.bind_down();
    }
}
