//! TPS limits (per bind and per carrier) with `governor`'s GCRA, and the per-second count of
//! what was actually sent (the "TPS used" figure). Every submit_sm PDU takes one cell, so each
//! part of a long message counts.

use std::num::NonZeroU32;
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

/// A rate limit of `tps` submit_sm PDUs per second. The burst is a tenth of a second's worth
/// (at least 1), so over any window of `T` seconds at most `tps * T + tps / 10` go out.
pub(crate) struct Tps {
    limiter: DefaultDirectRateLimiter,
    clock: DefaultClock,
}

impl Tps {
    /// `None` for no limit.
    pub(crate) fn new(tps: Option<f64>) -> Option<Tps> {
        let tps = tps?;
        let period = Duration::from_secs_f64(1.0 / tps.max(0.001));
        let burst =
            NonZeroU32::new(((tps / 10.0).floor() as u32).max(1)).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::with_period(period)?.allow_burst(burst);
        let clock = DefaultClock::default();
        Some(Tps {
            limiter: RateLimiter::direct_with_clock(quota, clock.clone()),
            clock,
        })
    }

    /// Takes one cell, or says how long until one is free.
    pub(crate) fn try_take(&self) -> Result<(), Duration> {
        match self.limiter.check() {
            Ok(()) => Ok(()),
            Err(not_until) => Err(not_until.wait_time_from(self.clock.now())),
        }
    }
}

/// Counts events per second: the last complete second's count is the rate.
#[derive(Debug)]
pub(crate) struct RateMeter {
    start: Instant,
    count: u64,
    last: f64,
}

impl RateMeter {
    pub(crate) fn new(now: Instant) -> Self {
        RateMeter {
            start: now,
            count: 0,
            last: 0.0,
        }
    }

    pub(crate) fn add(&mut self, n: u64) {
        self.count += n;
    }

    /// Closes the period ending `now` and returns its rate (events per second).
    pub(crate) fn roll(&mut self, now: Instant) -> f64 {
        let secs = now.saturating_duration_since(self.start).as_secs_f64();
        self.last = if secs > 0.0 {
            self.count as f64 / secs
        } else {
            0.0
        };
        self.count = 0;
        self.start = now;
        self.last
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_wait() {
        let t = Tps::new(Some(100.0)).unwrap();
        let mut ok = 0;
        while t.try_take().is_ok() {
            ok += 1;
            assert!(ok < 1000);
        }
        assert!((10..=12).contains(&ok), "burst {ok}");
        let wait = t.try_take().unwrap_err();
        assert!(wait <= Duration::from_millis(10), "{wait:?}");
        assert!(Tps::new(None).is_none());
        // A slow rate still allows one at once.
        let slow = Tps::new(Some(0.5)).unwrap();
        assert!(slow.try_take().is_ok());
        assert!(slow.try_take().unwrap_err() > Duration::from_secs(1));
    }

    #[test]
    fn meter() {
        let t0 = Instant::now();
        let mut m = RateMeter::new(t0);
        m.add(50);
        assert_eq!(m.roll(t0 + Duration::from_millis(500)), 100.0);
        assert_eq!(m.roll(t0 + Duration::from_millis(1500)), 0.0);
    }
}
