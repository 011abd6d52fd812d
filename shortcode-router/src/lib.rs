//! The short-code connector service: MO routing by short code and keyword, two-way
//! conversations, CTIA STOP/HELP compliance, signed webhooks with retries, and the store behind
//! them. The MT HTTP API and the service binary's `run` / `demo` come next.
//!
//! Layout: [`config`] (the TOML file), [`routing`] (keyword table), [`compliance`] (keyword
//! families, answers, the consent gate), [`conversation`] (two-way state), [`carrier`] (the
//! MO source and carrier settings), [`mt`] (the MO pipeline's MTs, handed to the one MT
//! pipeline in [`delivery`], which owns the message history and the consent gate),
//! [`mo`] (the MO pipeline: store, acknowledge, route), [`webhook`] and [`signing`] (handlers),
//! [`http_out`] (the HTTP client of webhooks and callbacks),
//! [`store`] (trait and SQLite), [`service`] (wiring).

pub mod api;
pub mod app;
pub mod carrier;
pub mod compliance;
pub mod config;
pub mod conversation;
pub mod delivery;
pub mod demo;
pub mod http_out;
pub mod mo;
pub mod mt;
pub mod routing;
pub mod service;
pub mod signing;
pub mod store;
pub mod webhook;

pub use config::Config;
pub use service::{Service, ServiceError};

/// Now, in Unix milliseconds.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// A new unique id: `prefix_` then 12 hex digits of time (ms) and 16 random hex digits, so
/// ids sort by creation time.
pub fn new_id(prefix: &str) -> String {
    format!(
        "{prefix}_{:012x}{:016x}",
        now_ms() & 0xFFFF_FFFF_FFFF,
        rand::random::<u64>()
    )
}

/// Unix milliseconds as RFC 3339 UTC (`2024-03-01T12:01:01.250Z`).
pub fn rfc3339(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let milli = ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{milli:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn times_and_ids() {
        assert_eq!(super::rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            super::rfc3339(1_709_294_461_250),
            "2024-03-01T12:01:01.250Z"
        );
        let a = super::new_id("mo");
        let b = super::new_id("mo");
        assert!(a.starts_with("mo_") && a.len() == 3 + 28 && a != b);
    }
}
