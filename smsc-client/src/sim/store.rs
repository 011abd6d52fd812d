//! The simulator's shared state: counters, the RX/TRX binds receipts and MO messages go to (by
//! `system_id`), every open session (to close them on shutdown), and the recent messages
//! `query_sm` / `cancel_sm` / `replace_sm` look up.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use smpp_codec::receipt::MessageState;

use crate::smsc::SmscHandle;

/// How many recent messages `query_sm` and friends remember.
const REMEMBERED: usize = 100_000;

/// Counters since start. A snapshot is [`SimCounters`].
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) binds: AtomicU64,
    pub(crate) submits: AtomicU64,
    pub(crate) accepted: AtomicU64,
    pub(crate) throttled: AtomicU64,
    pub(crate) queue_full: AtomicU64,
    pub(crate) receipts_sent: AtomicU64,
    pub(crate) receipts_dropped: AtomicU64,
    pub(crate) mo_sent: AtomicU64,
    pub(crate) connections_dropped: AtomicU64,
    pub(crate) malformed_sent: AtomicU64,
}

/// What the simulator has done so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SimCounters {
    /// Binds accepted.
    pub binds: u64,
    /// Message submissions received (`submit_sm`, `data_sm`, `submit_multi`).
    pub submits: u64,
    /// Of those, answered with a message id.
    pub accepted: u64,
    /// Of those, answered `ESME_RTHROTTLED` (fault injection).
    pub throttled: u64,
    /// Of those, answered `ESME_RMSGQFUL` (fault injection).
    pub queue_full: u64,
    /// Delivery receipts acknowledged by an ESME.
    pub receipts_sent: u64,
    /// Receipts given up (no RX/TRX bind of their `system_id` in time, or refused).
    pub receipts_dropped: u64,
    /// MO messages sent (a long one counts once, whatever its parts).
    pub mo_sent: u64,
    /// Connections closed by the drop fault.
    pub connections_dropped: u64,
    /// Malformed PDUs sent by the malformed-PDU fault.
    pub malformed_sent: u64,
}

impl Counters {
    pub(crate) fn bump(c: &AtomicU64) {
        c.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> SimCounters {
        let g = |c: &AtomicU64| c.load(Ordering::Relaxed);
        SimCounters {
            binds: g(&self.binds),
            submits: g(&self.submits),
            accepted: g(&self.accepted),
            throttled: g(&self.throttled),
            queue_full: g(&self.queue_full),
            receipts_sent: g(&self.receipts_sent),
            receipts_dropped: g(&self.receipts_dropped),
            mo_sent: g(&self.mo_sent),
            connections_dropped: g(&self.connections_dropped),
            malformed_sent: g(&self.malformed_sent),
        }
    }
}

/// A submission the simulator accepted, as recorded for [`SimHandle::submissions`](super::SimHandle::submissions).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Submission {
    /// The message id the simulator answered with.
    pub message_id: String,
    /// `source_addr`.
    pub source: String,
    /// The destinations (`destination_addr`, or each SME of a `submit_multi`).
    pub destinations: Vec<String>,
    /// The text (of this part, after any UDH; empty when not decodable).
    pub text: String,
}

/// A message's state as `query_sm` reports it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Record {
    pub(crate) state: MessageState,
}

#[derive(Default)]
struct Inner {
    /// Every open session, by connection number.
    sessions: HashMap<u64, SmscHandle>,
    /// RX/TRX sessions by `system_id`, in bind order.
    receivers: HashMap<String, Vec<u64>>,
    /// Round-robin position per `system_id` (and `""` for "any").
    turn: HashMap<String, usize>,
    messages: HashMap<String, Record>,
    order: VecDeque<String>,
    /// Accepted submissions, oldest first (the last `REMEMBERED`).
    submissions: VecDeque<Submission>,
}

/// The registry of sessions and messages.
#[derive(Default)]
pub(crate) struct Store {
    inner: Mutex<Inner>,
}

impl Store {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn add_session(&self, conn: u64, handle: SmscHandle, receives: bool) {
        let mut g = self.lock();
        if receives {
            g.receivers
                .entry(handle.info().system_id.clone())
                .or_default()
                .push(conn);
        }
        g.sessions.insert(conn, handle);
    }

    pub(crate) fn remove_session(&self, conn: u64) {
        let mut g = self.lock();
        if let Some(h) = g.sessions.remove(&conn) {
            let id = h.info().system_id.clone();
            if let Some(v) = g.receivers.get_mut(&id) {
                v.retain(|c| *c != conn);
                if v.is_empty() {
                    g.receivers.remove(&id);
                }
            }
        }
    }

    /// The next RX/TRX bind of `system_id` (any `system_id` when `None`), in turn.
    pub(crate) fn receiver(&self, system_id: Option<&str>) -> Option<SmscHandle> {
        let mut g = self.lock();
        let candidates: Vec<u64> = match system_id {
            Some(id) => g.receivers.get(id).cloned().unwrap_or_default(),
            None => {
                let mut all: Vec<u64> = g.receivers.values().flatten().copied().collect();
                all.sort_unstable();
                all
            }
        };
        if candidates.is_empty() {
            return None;
        }
        let turn = g
            .turn
            .entry(system_id.unwrap_or("").to_owned())
            .or_insert(0);
        let conn = candidates[*turn % candidates.len()];
        *turn = turn.wrapping_add(1);
        g.sessions.get(&conn).cloned()
    }

    pub(crate) fn all_sessions(&self) -> Vec<SmscHandle> {
        self.lock().sessions.values().cloned().collect()
    }

    pub(crate) fn remember(&self, id: &str, state: MessageState) {
        let mut g = self.lock();
        if g.messages.insert(id.to_owned(), Record { state }).is_none() {
            g.order.push_back(id.to_owned());
            while g.order.len() > REMEMBERED {
                if let Some(old) = g.order.pop_front() {
                    g.messages.remove(&old);
                }
            }
        }
    }

    pub(crate) fn record_submission(&self, s: Submission) {
        let mut g = self.lock();
        g.submissions.push_back(s);
        while g.submissions.len() > REMEMBERED {
            g.submissions.pop_front();
        }
    }

    pub(crate) fn submissions(&self) -> Vec<Submission> {
        self.lock().submissions.iter().cloned().collect()
    }

    pub(crate) fn get(&self, id: &str) -> Option<Record> {
        self.lock().messages.get(id).copied()
    }

    /// Sets the state of a known message; `false` if unknown.
    pub(crate) fn set_state(&self, id: &str, state: MessageState) -> bool {
        match self.lock().messages.get_mut(id) {
            Some(r) => {
                r.state = state;
                true
            }
            None => false,
        }
    }
}
