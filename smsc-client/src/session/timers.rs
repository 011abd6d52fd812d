//! The session timers of SMPP 5.0 §2.7 (SMPP 3.4 §2.9, §7.2): session init, enquire link,
//! inactivity, and one response timer per request in flight.

use std::time::Instant;

use smpp_codec::Body;

use super::config::InactivityAction;
use super::event::{CloseReason, FailReason};
use super::state::BindState;
use super::window::Origin;
use super::{Outcome, Session};

impl Session {
    /// When [`handle_timeout`](Self::handle_timeout) should next be called, `None` when no timer
    /// runs (or once closed). May lie in the past: call it at once then.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.is_closed() {
            return None;
        }
        let mut next = self.window.oldest().map(|r| r.deadline);
        let mut consider = |t: Option<Instant>| {
            if let Some(t) = t {
                next = Some(next.map_or(t, |n| n.min(t)));
            }
        };
        consider(self.session_init_deadline());
        consider(self.inactivity_deadline());
        consider(self.enquire_link_deadline());
        next
    }

    /// Runs the timers due at `now`:
    ///
    /// * response timer: each request whose response is overdue fails alone with
    ///   `FailReason::Timeout` (SMPP 5.0 §2.7: "given operation assumed to have failed"); an
    ///   overdue `bind` closes the session (`BindFailed(Timeout)`), an overdue `enquire_link`
    ///   closes it (`EnquireLinkTimeout`), an overdue `unbind` closes it (`UnbindTimeout`);
    /// * session init timer: no bind yet, close (`SessionInitTimeout`);
    /// * inactivity timer: `unbind` or close, per `InactivityAction`;
    /// * enquire link timer: send `enquire_link`.
    pub fn handle_timeout(&mut self, now: Instant) {
        while !self.is_closed() {
            match self.window.oldest() {
                Some(r) if r.deadline <= now => {}
                _ => break,
            }
            let Some(entry) = self.window.pop_oldest() else {
                break;
            };
            self.stats.response_timeouts += 1;
            if entry.origin == Origin::App {
                self.timed_out.push(entry.seq);
            }
            self.settle(now, entry, Outcome::Failed(FailReason::Timeout));
        }
        if self.is_closed() {
            return;
        }
        if self.session_init_deadline().is_some_and(|d| d <= now) {
            self.close_with(CloseReason::SessionInitTimeout);
            return;
        }
        if self.inactivity_deadline().is_some_and(|d| d <= now) {
            match self.config.inactivity_action {
                InactivityAction::Close => self.close_with(CloseReason::Inactivity),
                InactivityAction::Unbind => {
                    if self.send_tracked(now, Body::Unbind, Origin::Unbind).is_ok() {
                        self.inactivity_unbind = true;
                        self.state = BindState::Unbound;
                    }
                }
            }
            self.sync_gauges();
            return;
        }
        if self.enquire_link_deadline().is_some_and(|d| d <= now)
            && self
                .send_tracked(now, Body::EnquireLink, Origin::EnquireLink)
                .is_ok()
        {
            self.enquire_outstanding = true;
        }
        self.sync_gauges();
    }

    /// Runs from connecting (or the `outbind`) until a bind request is sent (ESME) or received
    /// (SMSC), in `Open` and `Outbound` (SMPP 5.0 §2.7).
    fn session_init_deadline(&self) -> Option<Instant> {
        let timeout = self.config.session_init_timeout?;
        let waiting = matches!(self.state, BindState::Open | BindState::Outbound) && !self.binding;
        waiting.then(|| self.init_from + timeout)
    }

    /// Runs while bound, from the last PDU received.
    fn inactivity_deadline(&self) -> Option<Instant> {
        let timeout = self.config.inactivity_timeout?;
        self.state.is_bound().then(|| self.last_rx + timeout)
    }

    /// Runs while bound and no probe is in flight, from the last PDU received.
    fn enquire_link_deadline(&self) -> Option<Instant> {
        let interval = self.config.enquire_link_interval?;
        (self.state.is_bound() && !self.enquire_outstanding).then(|| self.last_rx + interval)
    }
}
