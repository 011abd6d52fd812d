//! A carrier's dispatcher: one task that owns the carrier's queue and sends each message's
//! parts through a bound transmitter with window room and TPS budget (per bind and per
//! carrier). It keeps per-destination order by having at most one part per destination in
//! flight and putting a retried message back at the head of its destination's queue.
//!
//! What a response leads to:
//! - accepted: the id is recorded for receipt correlation, then the next part (or the outcome);
//! - `ESME_RTHROTTLED` / `ESME_RMSGQFUL`, or an SMPP 5.0 `congestion_state` (§4.8.4.19) at or
//!   above the threshold on an accepted one: the whole carrier queue pauses, longer on
//!   repeated throttling, then the message is sent again;
//! - not sent (the bind closed before writing it): sent again at once on any bind;
//! - no response (bind lost with it in flight, timeout, undecodable response): sent again
//!   (a lost bind's requests go to another bind at once, timeouts after a backoff) and the
//!   message is marked as a possible duplicate;
//! - another temporary status: sent again after an exponential backoff with jitter, up to
//!   the retry limit;
//! - a permanent status: the message fails at once with it.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use backon::{BackoffBuilder, ExponentialBackoff, ExponentialBuilder};
use futures::FutureExt as _;
use futures::StreamExt as _;
use futures::future::BoxFuture;
use futures::stream::FuturesUnordered;
use smpp_codec::{SubmitSm, SubmitSmResp};
use tokio::sync::{mpsc, oneshot};

use super::correlation::Correlation;
use super::limiter::{RateMeter, Tps};
use super::message::{Outcome, SubmitFailure};
use super::metrics::{BindMetrics, RetryReason};
use super::pool::CarrierShared;
use super::state::Counters;
use crate::esme::Handle;
use crate::net::RequestError;

/// How many queued messages are taken from the intake channel per wake-up.
const INTAKE_BATCH: usize = 256;

/// One message on its way.
pub(crate) struct Job {
    pub(crate) id: String,
    pub(crate) destination: Arc<str>,
    pub(crate) parts: Vec<SubmitSm>,
    pub(crate) reply: oneshot::Sender<Outcome>,
    next: usize,
    message_ids: Vec<String>,
    attempts: u32,
    retries: u32,
    throttles: u32,
    possible_duplicate: bool,
    backoff: Option<ExponentialBackoff>,
}

impl Job {
    pub(crate) fn new(
        id: String,
        destination: Arc<str>,
        parts: Vec<SubmitSm>,
        reply: oneshot::Sender<Outcome>,
    ) -> Self {
        Job {
            id,
            destination,
            message_ids: Vec::with_capacity(parts.len()),
            parts,
            reply,
            next: 0,
            attempts: 0,
            retries: 0,
            throttles: 0,
            possible_duplicate: false,
            backoff: None,
        }
    }
}

/// What bind supervisors and the pool tell the dispatcher.
pub(crate) enum Control {
    /// Submitting bind `slot` is bound.
    Up { slot: usize, handle: Handle },
    /// Submitting bind `slot` went down.
    Down { slot: usize },
    /// Stop taking messages, fail what is queued, wait for what is in flight.
    Shutdown,
}

struct Slot {
    handle: Option<Handle>,
    in_flight: usize,
    limiter: Option<Tps>,
    meter: RateMeter,
    sent: u64,
    throttled: u64,
    metrics: BindMetrics,
}

#[derive(Default)]
struct Dest {
    queue: VecDeque<Job>,
    /// Its head is in flight (and not in `queue`).
    in_flight: bool,
    /// Its head (in `queue`) waits for a retry timer.
    waiting: bool,
    /// It is in the ready list.
    ready: bool,
}

struct Attempt {
    slot: usize,
    sent_at: Instant,
    job: Job,
    result: Result<SubmitSmResp, RequestError>,
}

/// The carrier's dispatcher task state.
pub(crate) struct Dispatcher {
    shared: Arc<CarrierShared>,
    intake: mpsc::Receiver<Job>,
    control: mpsc::UnboundedReceiver<Control>,
    slots: Vec<Slot>,
    window: usize,
    carrier_limiter: Option<Tps>,
    carrier_meter: RateMeter,
    dests: HashMap<Arc<str>, Dest>,
    ready: VecDeque<Arc<str>>,
    timers: BinaryHeap<Reverse<(Instant, u64, Arc<str>)>>,
    timer_seq: u64,
    in_flight: FuturesUnordered<BoxFuture<'static, Attempt>>,
    /// Messages held: queued, waiting or in flight.
    held: usize,
    capacity: usize,
    rr: usize,
    paused_until: Option<Instant>,
    pause_started: Option<Instant>,
    pause_len: Duration,
    bound: usize,
    unbound_since: Option<Instant>,
    stopping: bool,
}

fn backoff(shared: &CarrierShared) -> ExponentialBackoff {
    let r = &shared.config.retry;
    ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(r.backoff_min_ms))
        .with_max_delay(Duration::from_millis(r.backoff_max_ms))
        .with_factor(2.0)
        .with_jitter()
        .with_max_times(r.max_retries as usize)
        .build()
}

impl Dispatcher {
    pub(crate) fn new(
        shared: Arc<CarrierShared>,
        intake: mpsc::Receiver<Job>,
        control: mpsc::UnboundedReceiver<Control>,
        slot_names: &[Arc<str>],
    ) -> Self {
        let now = Instant::now();
        let c = &shared.config;
        let slots = slot_names
            .iter()
            .map(|n| Slot {
                handle: None,
                in_flight: 0,
                limiter: Tps::new(c.bind_tps),
                meter: RateMeter::new(now),
                sent: 0,
                throttled: 0,
                metrics: BindMetrics::new(&shared.name, n),
            })
            .collect();
        Dispatcher {
            window: c.window.max(1),
            carrier_limiter: Tps::new(c.tps),
            carrier_meter: RateMeter::new(now),
            capacity: c.queue_capacity.max(1),
            pause_len: Duration::from_millis(c.retry.throttle_pause_ms),
            slots,
            intake,
            control,
            dests: HashMap::new(),
            ready: VecDeque::new(),
            timers: BinaryHeap::new(),
            timer_seq: 0,
            in_flight: FuturesUnordered::new(),
            held: 0,
            rr: 0,
            paused_until: None,
            pause_started: None,
            bound: 0,
            unbound_since: Some(now),
            stopping: false,
            shared,
        }
    }

    /// Runs until shut down (or every sender is gone) and nothing is left in flight.
    pub(crate) async fn run(mut self) {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let now = Instant::now();
            self.fire_timers(now);
            self.expire_unavailable(now);
            let wake = if self.stopping { None } else { self.fill(now) };
            if self.stopping && self.in_flight.is_empty() {
                self.fail_all_queued(SubmitFailure::ShutDown);
                break;
            }
            let accept = !self.stopping && self.held < self.capacity;
            let sleep_to = wake.map_or_else(
                || tokio::time::Instant::now() + Duration::from_secs(3600),
                tokio::time::Instant::from_std,
            );
            tokio::select! {
                biased;
                c = self.control.recv() => match c {
                    Some(c) => self.on_control(c),
                    None => self.stop(),
                },
                Some(a) = self.in_flight.next(), if !self.in_flight.is_empty() => {
                    self.on_attempt(a);
                    while let Some(Some(a)) = self.in_flight.next().now_or_never() {
                        self.on_attempt(a);
                    }
                }
                j = self.intake.recv(), if accept => match j {
                    Some(j) => {
                        self.accept(j);
                        for _ in 1..INTAKE_BATCH {
                            if self.held >= self.capacity {
                                break;
                            }
                            match self.intake.try_recv() {
                                Ok(j) => self.accept(j),
                                Err(_) => break,
                            }
                        }
                    }
                    None => self.stop(),
                },
                () = tokio::time::sleep_until(sleep_to), if wake.is_some() => {}
                _ = tick.tick() => self.report(Instant::now()),
            }
        }
        self.report(Instant::now());
    }

    fn stop(&mut self) {
        if !self.stopping {
            self.stopping = true;
            self.intake.close();
            while let Ok(j) = self.intake.try_recv() {
                self.held += 1;
                self.finish(j, Err(SubmitFailure::ShutDown));
            }
        }
    }

    fn on_control(&mut self, c: Control) {
        match c {
            Control::Up { slot, handle } => {
                if let Some(s) = self.slots.get_mut(slot) {
                    if s.handle.replace(handle).is_none() {
                        self.bound += 1;
                    }
                    self.unbound_since = None;
                }
            }
            Control::Down { slot } => {
                if let Some(s) = self.slots.get_mut(slot) {
                    if s.handle.take().is_some() {
                        self.bound -= 1;
                        if self.bound == 0 {
                            self.unbound_since = Some(Instant::now());
                        }
                    }
                }
            }
            Control::Shutdown => self.stop(),
        }
    }

    fn accept(&mut self, job: Job) {
        self.held += 1;
        self.shared
            .counters
            .queued
            .store(self.held, Ordering::Relaxed);
        if self.unavailable(Instant::now()) {
            self.finish(job, Err(SubmitFailure::Unavailable));
            return;
        }
        let key = job.destination.clone();
        let d = self.dests.entry(key.clone()).or_default();
        d.queue.push_back(job);
        if !d.in_flight && !d.waiting && !d.ready {
            d.ready = true;
            self.ready.push_back(key);
        }
    }

    fn unavailable(&self, now: Instant) -> bool {
        let limit = Duration::from_millis(self.shared.config.unavailable_timeout_ms);
        self.unbound_since
            .is_some_and(|t| now.saturating_duration_since(t) >= limit)
    }

    fn expire_unavailable(&mut self, now: Instant) {
        if self.unavailable(now) && self.held > self.in_flight.len() {
            self.fail_all_queued(SubmitFailure::Unavailable);
        }
    }

    /// Fails every message not in flight.
    fn fail_all_queued(&mut self, why: SubmitFailure) {
        self.timers.clear();
        self.ready.clear();
        let mut jobs = Vec::new();
        // A destination whose head is in flight stays, to keep its order when it returns.
        self.dests.retain(|_, d| {
            jobs.extend(d.queue.drain(..));
            d.waiting = false;
            d.ready = false;
            d.in_flight
        });
        for j in jobs {
            self.finish(j, Err(why.clone()));
        }
    }

    fn fire_timers(&mut self, now: Instant) {
        while let Some(Reverse((at, _, _))) = self.timers.peek() {
            if *at > now {
                break;
            }
            let Some(Reverse((_, _, key))) = self.timers.pop() else {
                break;
            };
            if let Some(d) = self.dests.get_mut(&key) {
                d.waiting = false;
                if !d.queue.is_empty() && !d.ready {
                    d.ready = true;
                    self.ready.push_back(key);
                }
            }
        }
    }

    /// Sends what can be sent now; returns when to look again (a timer, the end of a pause,
    /// TPS budget), `None` when only an event can unblock.
    fn fill(&mut self, now: Instant) -> Option<Instant> {
        let mut wake = self.timers.peek().map(|Reverse((at, _, _))| *at);
        let limit = Duration::from_millis(self.shared.config.unavailable_timeout_ms);
        if let Some(t) = self.unbound_since {
            if self.held > 0 {
                wake = min_opt(wake, t + limit);
            }
        }
        if let Some(until) = self.paused_until {
            if until > now {
                return min_opt(wake, until);
            }
            self.paused_until = None;
        }
        while !self.ready.is_empty() {
            let slot = match self.pick(now) {
                Ok(s) => s,
                Err(w) => {
                    if let Some(w) = w {
                        wake = min_opt(wake, now + w);
                    }
                    break;
                }
            };
            let Some(key) = self.ready.pop_front() else {
                break;
            };
            let Some(d) = self.dests.get_mut(&key) else {
                continue;
            };
            d.ready = false;
            let Some(job) = d.queue.pop_front() else {
                continue;
            };
            d.in_flight = true;
            self.launch(slot, job, now);
        }
        wake
    }

    /// A bind with window room and TPS budget, after the carrier's budget. `Err(Some(d))`:
    /// budget is back in `d`; `Err(None)`: wait for a response or a bind.
    fn pick(&mut self, _now: Instant) -> Result<usize, Option<Duration>> {
        let n = self.slots.len();
        let window = self.window;
        let room = |s: &Slot| {
            s.in_flight < window
                && s.handle
                    .as_ref()
                    .is_some_and(|h| h.close_reason().is_none())
        };
        if !self.slots.iter().any(room) {
            return Err(None);
        }
        if let Some(l) = &self.carrier_limiter {
            l.try_take().map_err(Some)?;
        }
        let mut wait: Option<Duration> = None;
        for i in 0..n {
            let s = (self.rr + i) % n;
            let slot = &self.slots[s];
            if !room(slot) {
                continue;
            }
            match slot.limiter.as_ref().map_or(Ok(()), Tps::try_take) {
                Ok(()) => {
                    self.rr = (s + 1) % n;
                    return Ok(s);
                }
                Err(w) => wait = Some(wait.map_or(w, |x: Duration| x.min(w))),
            }
        }
        Err(wait)
    }

    fn launch(&mut self, slot: usize, mut job: Job, now: Instant) {
        let s = &mut self.slots[slot];
        let Some(handle) = s.handle.clone() else {
            // `pick` only returns bound slots.
            self.requeue_front(job);
            return;
        };
        s.in_flight += 1;
        s.sent += 1;
        s.metrics.submits.increment(1);
        s.meter.add(1);
        self.carrier_meter.add(1);
        self.shared
            .counters
            .in_flight
            .fetch_add(1, Ordering::Relaxed);
        job.attempts += 1;
        let part = job.parts[job.next].clone();
        let shared = self.shared.clone();
        self.in_flight.push(Box::pin(async move {
            let result = handle.submit_sm(part).await;
            if let Ok(resp) = &result {
                shared.correlate(&job, resp).await;
            }
            Attempt {
                slot,
                sent_at: now,
                job,
                result,
            }
        }));
    }

    fn on_attempt(&mut self, a: Attempt) {
        let now = Instant::now();
        let Attempt {
            slot,
            sent_at,
            mut job,
            result,
        } = a;
        if let Some(s) = self.slots.get_mut(slot) {
            s.in_flight = s.in_flight.saturating_sub(1);
        }
        self.shared
            .counters
            .in_flight
            .fetch_sub(1, Ordering::Relaxed);
        let retry = self.shared.config.retry.clone();
        let e = match result {
            Ok(resp) => {
                if resp
                    .tlvs
                    .congestion_state()
                    .is_some_and(|c| c >= retry.congestion_threshold)
                {
                    self.throttled(slot, sent_at, now);
                } else if self.pause_started.is_some_and(|p| sent_at >= p) {
                    self.pause_len = Duration::from_millis(retry.throttle_pause_ms);
                }
                job.message_ids.push(resp.message_id.to_string());
                job.next += 1;
                job.backoff = None;
                if job.next >= job.parts.len() {
                    let key = job.destination.clone();
                    self.finish(job, Ok(()));
                    self.release(&key);
                } else {
                    self.requeue_front(job);
                }
                return;
            }
            Err(e) => e,
        };
        if e.is_throttling() {
            self.throttled(slot, sent_at, now);
            job.throttles += 1;
            if job.throttles > retry.max_throttle_retries {
                let retries = job.throttles;
                return self.fail(job, SubmitFailure::RetriesExhausted { retries, last: e });
            }
            self.retried(RetryReason::Throttled);
            return self.requeue_front(job);
        }
        match &e {
            // Nothing reached the SMSC: any bind may take it, no retry spent.
            RequestError::NotSent | RequestError::InvalidState { .. } => {
                job.retries += u32::from(matches!(e, RequestError::InvalidState { .. }));
                if job.retries > retry.max_retries {
                    let retries = job.retries;
                    return self.fail(job, SubmitFailure::RetriesExhausted { retries, last: e });
                }
                self.retried(RetryReason::Unsent);
                self.requeue_front(job);
            }
            // Sent, no answer seen: it may have been accepted.
            RequestError::Closed => {
                job.possible_duplicate = true;
                job.retries += 1;
                if job.retries > retry.max_retries {
                    let retries = job.retries;
                    return self.fail(job, SubmitFailure::RetriesExhausted { retries, last: e });
                }
                self.retried(RetryReason::Handover);
                self.requeue_front(job);
            }
            _ if e.is_temporary() => {
                if matches!(
                    e,
                    RequestError::Timeout { .. } | RequestError::InvalidResponse(_)
                ) {
                    job.possible_duplicate = true;
                }
                job.retries += 1;
                let shared = &self.shared;
                let delay = job.backoff.get_or_insert_with(|| backoff(shared)).next();
                match delay {
                    None => {
                        let retries = job.retries - 1;
                        self.fail(job, SubmitFailure::RetriesExhausted { retries, last: e });
                    }
                    Some(d) => {
                        self.retried(RetryReason::Temporary);
                        self.wait_then_retry(job, now + d);
                    }
                }
            }
            RequestError::Status { status, .. } | RequestError::GenericNack(status) => {
                let status = *status;
                self.fail(job, SubmitFailure::Rejected(status));
            }
            _ => self.fail(job, SubmitFailure::Request(e)),
        }
    }

    /// A throttling answer (or high congestion) to a submission sent at `sent_at`: pause the
    /// carrier; a further throttle to something sent after the pause began doubles it.
    fn throttled(&mut self, slot: usize, sent_at: Instant, now: Instant) {
        let r = &self.shared.config.retry;
        Counters::bump(&self.shared.counters.throttle_events);
        if let Some(s) = self.slots.get_mut(slot) {
            s.throttled += 1;
            s.metrics.throttles.increment(1);
        }
        let escalate = self.pause_started.is_some_and(|p| sent_at >= p);
        if escalate {
            self.pause_len =
                (self.pause_len * 2).min(Duration::from_millis(r.throttle_pause_max_ms));
        } else if self.paused_until.is_some_and(|u| u > now) {
            // An echo of the congestion that already paused us.
            return;
        }
        self.pause_started = Some(now);
        self.paused_until = Some(now + self.pause_len);
        tracing::debug!(carrier = %self.shared.name, pause = ?self.pause_len, "pool: throttled, pausing");
    }

    fn retried(&self, reason: RetryReason) {
        Counters::bump(&self.shared.counters.retries);
        self.shared.metrics.retry(reason);
    }

    fn fail(&mut self, job: Job, why: SubmitFailure) {
        let key = job.destination.clone();
        self.finish(job, Err(why));
        self.release(&key);
    }

    /// Puts `job` back at the head of its destination, ready now.
    fn requeue_front(&mut self, job: Job) {
        let key = job.destination.clone();
        let d = self.dests.entry(key.clone()).or_default();
        d.queue.push_front(job);
        d.in_flight = false;
        if !d.waiting && !d.ready {
            d.ready = true;
            self.ready.push_back(key);
        }
    }

    /// Puts `job` back at the head of its destination, which waits until `at`.
    fn wait_then_retry(&mut self, job: Job, at: Instant) {
        let key = job.destination.clone();
        let d = self.dests.entry(key.clone()).or_default();
        d.queue.push_front(job);
        d.in_flight = false;
        d.waiting = true;
        self.timer_seq += 1;
        self.timers.push(Reverse((at, self.timer_seq, key)));
    }

    /// The destination's head is done: the next one may go.
    fn release(&mut self, key: &Arc<str>) {
        let Some(d) = self.dests.get_mut(key) else {
            return;
        };
        d.in_flight = false;
        if d.waiting {
            return;
        }
        if d.queue.is_empty() {
            if !d.ready {
                self.dests.remove(key);
            }
        } else if !d.ready {
            d.ready = true;
            self.ready.push_back(key.clone());
        }
    }

    fn finish(&mut self, job: Job, result: Result<(), SubmitFailure>) {
        self.held = self.held.saturating_sub(1);
        let c = &self.shared.counters;
        c.queued.store(self.held, Ordering::Relaxed);
        if result.is_ok() {
            Counters::bump(&c.accepted);
            self.shared.metrics.accepted.increment(1);
        } else {
            Counters::bump(&c.failed);
            self.shared.metrics.failed.increment(1);
        }
        if job.possible_duplicate {
            Counters::bump(&c.possible_duplicates);
        }
        let outcome = Outcome {
            id: job.id,
            carrier: self.shared.name.to_string(),
            parts: job.parts.len(),
            message_ids: job.message_ids,
            attempts: job.attempts,
            possible_duplicate: job.possible_duplicate,
            result,
        };
        let _ = job.reply.send(outcome);
    }

    /// Once a second: TPS used, in flight and queue depth to the statuses and metrics.
    fn report(&mut self, now: Instant) {
        let tps = self.carrier_meter.roll(now);
        self.shared
            .counters
            .tps_milli
            .store((tps * 1000.0) as u64, Ordering::Relaxed);
        self.shared.metrics.tps.set(tps);
        self.shared.metrics.queue.set(self.held as f64);
        let mut statuses = self.shared.lock_statuses();
        for (i, s) in self.slots.iter_mut().enumerate() {
            let rate = s.meter.roll(now);
            s.metrics.tps.set(rate);
            s.metrics.in_flight.set(s.in_flight as f64);
            if let Some(st) = statuses.get_mut(i) {
                st.tps = rate;
                st.in_flight = s.in_flight;
                st.sent = s.sent;
                st.throttled = s.throttled;
            }
        }
    }
}

fn min_opt(a: Option<Instant>, b: Instant) -> Option<Instant> {
    Some(a.map_or(b, |a| a.min(b)))
}

impl CarrierShared {
    /// Records an accepted part's id for receipt correlation (when receipts were asked for)
    /// and releases receipts that arrived before it.
    async fn correlate(self: &Arc<Self>, job: &Job, resp: &SubmitSmResp) {
        let part = &job.parts[job.next];
        if part.registered_delivery & 0x03 == 0 {
            return;
        }
        let key = self.id_form.submit_key(&resp.message_id.to_string());
        let c = Correlation {
            caller_id: job.id.clone(),
            part: u8::try_from(job.next + 1).unwrap_or(u8::MAX),
            parts: u8::try_from(job.parts.len()).unwrap_or(u8::MAX),
        };
        if let Err(e) = self.correlator.record(&self.name, &key, c.clone()).await {
            tracing::warn!(error = %e, id = %job.id, "pool: cannot record the message id; its receipt will not correlate");
        }
        self.release_parked(&key, &c);
    }
}
