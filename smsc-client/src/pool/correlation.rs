//! Receipt correlation: the [`Correlator`] trait mapping a carrier's normalised message id
//! (the `submit_sm_resp` id reduced by the carrier's [`MessageIdForm`](smpp_codec::receipt::MessageIdForm))
//! to the caller's own id, so receipts from any RX/TRX bind of the carrier resolve to it. It is
//! a trait so a service can persist the map (receipts then resolve after a restart);
//! [`MemoryCorrelator`] is the bounded in-memory implementation.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use futures::future::BoxFuture;

/// What a message id resolves to.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Correlation {
    /// The caller's id of the message.
    pub caller_id: String,
    /// Which part of the message this id is (1-based).
    pub part: u8,
    /// How many parts the message has.
    pub parts: u8,
}

/// The store behind correlation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the correlation store failed: {0}")]
pub struct CorrelationError(pub String);

/// Maps `(carrier, normalised message id)` to a [`Correlation`]. Implementations must be
/// cheap to call concurrently; `record` is awaited before a submission's outcome is reported,
/// so when it returns the mapping must be visible to `lookup`.
pub trait Correlator: Send + Sync + 'static {
    /// Remembers that `key` (a normalised message id) of `carrier` is `correlation`.
    fn record<'a>(
        &'a self,
        carrier: &'a str,
        key: &'a str,
        correlation: Correlation,
    ) -> BoxFuture<'a, Result<(), CorrelationError>>;

    /// What `key` of `carrier` is, if known.
    fn lookup<'a>(
        &'a self,
        carrier: &'a str,
        key: &'a str,
    ) -> BoxFuture<'a, Result<Option<Correlation>, CorrelationError>>;
}

/// An in-memory [`Correlator`] holding at most `capacity` ids; the oldest go first.
#[derive(Debug)]
pub struct MemoryCorrelator {
    capacity: usize,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    map: HashMap<String, Correlation>,
    order: VecDeque<String>,
}

/// The one map key of `(carrier, key)`: a NUL cannot appear in a carrier name or an id.
fn map_key(carrier: &str, key: &str) -> String {
    let mut k = String::with_capacity(carrier.len() + 1 + key.len());
    k.push_str(carrier);
    k.push('\0');
    k.push_str(key);
    k
}

impl MemoryCorrelator {
    /// A map of at most `capacity` ids (at least 1).
    pub fn new(capacity: usize) -> Self {
        MemoryCorrelator {
            capacity: capacity.max(1),
            inner: Mutex::default(),
        }
    }

    /// How many ids it holds.
    pub fn len(&self) -> usize {
        self.lock().map.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn insert(&self, carrier: &str, key: &str, c: Correlation) {
        let k = map_key(carrier, key);
        let mut g = self.lock();
        if g.map.insert(k.clone(), c).is_none() {
            g.order.push_back(k);
            while g.order.len() > self.capacity {
                if let Some(old) = g.order.pop_front() {
                    g.map.remove(&old);
                }
            }
        }
    }

    fn get(&self, carrier: &str, key: &str) -> Option<Correlation> {
        self.lock().map.get(&map_key(carrier, key)).cloned()
    }
}

impl Default for MemoryCorrelator {
    /// Holds up to a million ids.
    fn default() -> Self {
        MemoryCorrelator::new(1_000_000)
    }
}

impl Correlator for MemoryCorrelator {
    fn record<'a>(
        &'a self,
        carrier: &'a str,
        key: &'a str,
        correlation: Correlation,
    ) -> BoxFuture<'a, Result<(), CorrelationError>> {
        self.insert(carrier, key, correlation);
        Box::pin(std::future::ready(Ok(())))
    }

    fn lookup<'a>(
        &'a self,
        carrier: &'a str,
        key: &'a str,
    ) -> BoxFuture<'a, Result<Option<Correlation>, CorrelationError>> {
        Box::pin(std::future::ready(Ok(self.get(carrier, key))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(id: &str) -> Correlation {
        Correlation {
            caller_id: id.into(),
            part: 1,
            parts: 1,
        }
    }

    #[tokio::test]
    async fn bounded_and_per_carrier() {
        let m = MemoryCorrelator::new(2);
        m.record("a", "1", c("x")).await.unwrap();
        m.record("b", "1", c("y")).await.unwrap();
        assert_eq!(m.lookup("a", "1").await.unwrap(), Some(c("x")));
        assert_eq!(m.lookup("b", "1").await.unwrap(), Some(c("y")));
        m.record("a", "2", c("z")).await.unwrap();
        assert_eq!(m.len(), 2);
        assert_eq!(m.lookup("a", "1").await.unwrap(), None, "the oldest went");
        assert_eq!(m.lookup("a", "2").await.unwrap(), Some(c("z")));
        // Re-recording an id does not grow the order.
        m.record("a", "2", c("w")).await.unwrap();
        assert_eq!(m.len(), 2);
        assert_eq!(m.lookup("a", "2").await.unwrap(), Some(c("w")));
    }
}
