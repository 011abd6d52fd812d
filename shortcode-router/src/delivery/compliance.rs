//! What the MT pipeline checks before a message may go: the opt-out list (through the narrow
//! [`OptOuts`] seam, implemented over the router's [`crate::store::Store`] by
//! [`StoreOptOuts`]) and an optional quiet-hours window per program ([`QuietHours`]).

use std::sync::Arc;

use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use time::{OffsetDateTime, Time, UtcOffset};

use crate::store::{ConsentChange, InboundWrite, MoWrite, Store};

/// One opted-out subscriber.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OptOutEntry {
    /// The subscriber.
    pub subscriber: String,
    /// The short code.
    pub short_code: String,
    /// The word (or API action) that did it.
    pub keyword: String,
    /// When (ms).
    pub at: i64,
}

/// A page of [`OptOuts::list`]: newest first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OptOutQuery {
    /// Only this short code.
    pub short_code: Option<String>,
    /// Only this subscriber (digits, as stored).
    pub subscriber: Option<String>,
    /// Only these short codes (an API key's scope); `None`: every one.
    pub codes: Option<Vec<String>>,
    /// The entries after this one (the previous page's last).
    pub after: Option<OptOutCursor>,
    /// At most this many (1 to 1000).
    pub limit: u32,
}

/// Where a page of opt-outs ended: its last entry's time, short code and subscriber (the
/// list's order, newest first).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OptOutCursor {
    /// When (ms).
    pub at: i64,
    /// The short code.
    pub short_code: String,
    /// The subscriber.
    pub subscriber: String,
}

impl OptOutCursor {
    /// The cursor after `e`.
    pub fn after(e: &OptOutEntry) -> Self {
        OptOutCursor {
            at: e.at,
            short_code: e.short_code.clone(),
            subscriber: e.subscriber.clone(),
        }
    }

    /// The opaque text form (`o<hex time>.<subscriber>.<short code>`: subscribers are numbers,
    /// without dots, so the short code is everything after the second dot).
    pub fn encode(&self) -> String {
        format!("o{:x}.{}.{}", self.at, self.subscriber, self.short_code)
    }

    /// Reads [`encode`](Self::encode)'s form.
    pub fn decode(s: &str) -> Option<Self> {
        let (at, rest) = s.strip_prefix('o')?.split_once('.')?;
        let (subscriber, short_code) = rest.split_once('.')?;
        if subscriber.is_empty() || short_code.is_empty() {
            return None;
        }
        Some(OptOutCursor {
            at: i64::from_str_radix(at, 16).ok()?,
            short_code: short_code.to_owned(),
            subscriber: subscriber.to_owned(),
        })
    }
}

/// The opt-out list as the MT pipeline and the API see it.
pub trait OptOuts: Send + Sync + 'static {
    /// Whether `subscriber` opted out of `short_code`.
    fn is_opted_out<'a>(
        &'a self,
        subscriber: &'a str,
        short_code: &'a str,
    ) -> BoxFuture<'a, Result<bool, String>>;
    /// Opts `subscriber` out of (`opted_out`) or back into `short_code`, saying why (`keyword`).
    fn set<'a>(
        &'a self,
        subscriber: &'a str,
        short_code: &'a str,
        opted_out: bool,
        keyword: &'a str,
    ) -> BoxFuture<'a, Result<(), String>>;
    /// A page of the opted-out subscribers, newest first.
    fn list<'a>(&'a self, q: &'a OptOutQuery) -> BoxFuture<'a, Result<Vec<OptOutEntry>, String>>;
}

/// [`OptOuts`] over the router's store: checks and changes go through the [`Store`] trait
/// (the same rows STOP and START write); the list is read from its `optouts` table.
pub struct StoreOptOuts {
    store: Arc<dyn Store>,
    pool: sqlx::SqlitePool,
}

impl StoreOptOuts {
    /// Over `store`, listing from `pool` (the same database).
    pub fn new(store: Arc<dyn Store>, pool: sqlx::SqlitePool) -> Self {
        StoreOptOuts { store, pool }
    }
}

impl OptOuts for StoreOptOuts {
    fn is_opted_out<'a>(
        &'a self,
        subscriber: &'a str,
        short_code: &'a str,
    ) -> BoxFuture<'a, Result<bool, String>> {
        Box::pin(async move {
            self.store
                .opted_out(subscriber, short_code)
                .await
                .map_err(|e| e.to_string())
        })
    }

    fn set<'a>(
        &'a self,
        subscriber: &'a str,
        short_code: &'a str,
        opted_out: bool,
        keyword: &'a str,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let write = MoWrite {
                consent: Some(ConsentChange {
                    subscriber: subscriber.to_owned(),
                    short_codes: vec![short_code.to_owned()],
                    opted_out,
                    keyword: keyword.to_owned(),
                    at: crate::store::messages::now_ms(),
                }),
                ..MoWrite::default()
            };
            self.store
                .write_inbound(&[InboundWrite::Mo(Box::new(write))])
                .await
                .map_err(|e| e.to_string())
        })
    }

    fn list<'a>(&'a self, q: &'a OptOutQuery) -> BoxFuture<'a, Result<Vec<OptOutEntry>, String>> {
        Box::pin(async move {
            let codes = q
                .codes
                .as_ref()
                .map(|c| serde_json::to_string(c).unwrap_or_default());
            let after = q.after.as_ref();
            // Newest first by (at, short_code, subscriber), the `optouts_by_time` index read
            // backwards; a page starts after the previous one's last row.
            let rows = sqlx::query(
                "SELECT subscriber, short_code, keyword, at FROM optouts \
                 WHERE (?1 IS NULL OR short_code = ?1) \
                   AND (?2 IS NULL OR short_code IN (SELECT value FROM json_each(?2))) \
                   AND (?3 IS NULL OR (at, short_code, subscriber) < (?3, ?4, ?5)) \
                   AND (?7 IS NULL OR subscriber = ?7) \
                 ORDER BY at DESC, short_code DESC, subscriber DESC LIMIT ?6",
            )
            .bind(q.short_code.as_deref())
            .bind(codes)
            .bind(after.map(|a| a.at))
            .bind(after.map(|a| a.short_code.as_str()))
            .bind(after.map(|a| a.subscriber.as_str()))
            .bind(i64::from(q.limit.clamp(1, 1000)))
            .bind(q.subscriber.as_deref())
            .fetch_all(&self.pool)
            .await
            .map_err(|e| e.to_string())?;
            rows.iter()
                .map(|r| {
                    Ok(OptOutEntry {
                        subscriber: r.try_get(0).map_err(|e| e.to_string())?,
                        short_code: r.try_get(1).map_err(|e| e.to_string())?,
                        keyword: r.try_get(2).map_err(|e| e.to_string())?,
                        at: r.try_get(3).map_err(|e| e.to_string())?,
                    })
                })
                .collect()
        })
    }
}

/// A window during which a program sends no MTs (e.g. 21:00 to 08:00 local time).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuietHours {
    /// The program it applies to.
    pub program: String,
    /// Start, `HH:MM` local time.
    pub start: String,
    /// End, `HH:MM` local time (may be before `start`: the window wraps midnight).
    pub end: String,
    /// The local time's offset from UTC, `+HH:MM` / `-HH:MM` (default `+00:00`).
    #[serde(default)]
    pub utc_offset: Option<String>,
}

impl QuietHours {
    /// Checks the times parse; the error names the program.
    pub fn validate(&self) -> Result<(), String> {
        self.window().map(|_| ())
    }

    fn window(&self) -> Result<(Time, Time, UtcOffset), String> {
        let hm = |s: &str| -> Result<Time, String> {
            let (h, m) = s
                .trim()
                .split_once(':')
                .ok_or_else(|| format!("quiet hours of {}: {s:?} is not HH:MM", self.program))?;
            let (h, m) = (h.parse::<u8>(), m.parse::<u8>());
            match (h, m) {
                (Ok(h), Ok(m)) => Time::from_hms(h, m, 0)
                    .map_err(|e| format!("quiet hours of {}: {e}", self.program)),
                _ => Err(format!(
                    "quiet hours of {}: {s:?} is not HH:MM",
                    self.program
                )),
            }
        };
        let offset = match self.utc_offset.as_deref().map(str::trim) {
            None | Some("") | Some("Z") => UtcOffset::UTC,
            Some(o) => {
                let (sign, rest) = match o.as_bytes().first() {
                    Some(b'+') => (1i8, &o[1..]),
                    Some(b'-') => (-1i8, &o[1..]),
                    _ => {
                        return Err(format!(
                            "quiet hours of {}: utc_offset {o:?} is not +HH:MM or -HH:MM",
                            self.program
                        ));
                    }
                };
                let t = hm(rest)?;
                UtcOffset::from_hms(sign * t.hour() as i8, sign * t.minute() as i8, 0)
                    .map_err(|e| format!("quiet hours of {}: {e}", self.program))?
            }
        };
        Ok((hm(&self.start)?, hm(&self.end)?, offset))
    }

    /// `true` when `now` falls inside the window.
    pub fn is_quiet(&self, now: OffsetDateTime) -> bool {
        let Ok((start, end, offset)) = self.window() else {
            return false;
        };
        let t = now.to_offset(offset).time();
        if start <= end {
            t >= start && t < end
        } else {
            t >= start || t < end
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn q(start: &str, end: &str, off: Option<&str>) -> QuietHours {
        QuietHours {
            program: "p".into(),
            start: start.into(),
            end: end.into(),
            utc_offset: off.map(Into::into),
        }
    }

    #[test]
    fn windows_wrap_midnight_and_respect_offsets() {
        let night = q("21:00", "08:00", None);
        assert!(night.is_quiet(datetime!(2026-01-01 22:00 UTC)));
        assert!(night.is_quiet(datetime!(2026-01-01 07:59 UTC)));
        assert!(!night.is_quiet(datetime!(2026-01-01 08:00 UTC)));
        assert!(!night.is_quiet(datetime!(2026-01-01 12:00 UTC)));
        let lunch = q("12:00", "13:00", Some("-05:00"));
        assert!(lunch.is_quiet(datetime!(2026-01-01 17:30 UTC)));
        assert!(!lunch.is_quiet(datetime!(2026-01-01 12:30 UTC)));
        assert!(q("25:00", "01:00", None).validate().is_err());
        assert!(q("10:00", "11:00", Some("0500")).validate().is_err());
    }
}
