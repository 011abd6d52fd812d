//! The send window: requests in flight, found by sequence number in O(1) and kept oldest first
//! so that the next response deadline is always at the front (SMPP 5.0 §2.6.4, §2.7).
//!
//! A fixed slab (the window plus a few slots for the session's own `bind`, `unbind` and
//! `enquire_link`) threaded by a doubly linked list in send order, and a map from sequence
//! number to slot sized up front: nothing is allocated after [`Window::new`].

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::time::Instant;

use smpp_codec::CommandId;

/// Slots kept for requests the session sends itself: at most one each of `bind`, `unbind` and
/// `enquire_link` are ever in flight.
const INTERNAL_SLOTS: usize = 3;

const NIL: u32 = u32::MAX;

/// Who sent a request in flight, which decides what its response or failure leads to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Origin {
    /// The application, through `send_request`: counts against the window.
    App,
    /// The bind of an ESME session.
    Bind,
    /// Our `unbind`.
    Unbind,
    /// Our idle-link probe.
    EnquireLink,
}

/// One request awaiting its response.
#[derive(Clone, Copy, Debug)]
pub(crate) struct InFlight {
    pub(crate) seq: u32,
    pub(crate) command_id: CommandId,
    pub(crate) sent_at: Instant,
    pub(crate) deadline: Instant,
    pub(crate) origin: Origin,
}

#[derive(Debug)]
struct Slot {
    entry: Option<InFlight>,
    prev: u32,
    next: u32,
}

/// Multiplicative (Fibonacci) hashing for `u32` sequence numbers: one multiply, well spread in
/// both the low bits (bucket) and the high bits (hashbrown's tag).
#[derive(Default, Clone, Copy)]
pub(crate) struct SeqHasher(u64);

impl Hasher for SeqHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.0 = u64::from(n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// A `HashMap` keyed by sequence number.
pub(crate) type SeqMap<V> = HashMap<u32, V, BuildHasherDefault<SeqHasher>>;

/// Requests in flight.
#[derive(Debug)]
pub(crate) struct Window {
    slots: Vec<Slot>,
    free: Vec<u32>,
    index: SeqMap<u32>,
    head: u32,
    tail: u32,
    app: usize,
    limit: usize,
}

impl Window {
    /// A window of `limit` application requests (at least 1).
    pub(crate) fn new(limit: usize) -> Self {
        let limit = limit.max(1);
        let capacity = limit + INTERNAL_SLOTS;
        let slots = (0..capacity)
            .map(|_| Slot {
                entry: None,
                prev: NIL,
                next: NIL,
            })
            .collect();
        // Twice the entries, so that hashbrown always rehashes its tombstones in place.
        let mut index = SeqMap::default();
        index.reserve(capacity * 2);
        Window {
            slots,
            free: (0..capacity as u32).rev().collect(),
            index,
            head: NIL,
            tail: NIL,
            app: 0,
            limit,
        }
    }

    /// The most application requests that may be in flight.
    pub(crate) fn limit(&self) -> usize {
        self.limit
    }

    /// Application requests in flight.
    pub(crate) fn app_in_flight(&self) -> usize {
        self.app
    }

    /// Room for another application request.
    pub(crate) fn app_available(&self) -> usize {
        self.limit - self.app
    }

    pub(crate) fn contains(&self, seq: u32) -> bool {
        self.index.contains_key(&seq)
    }

    pub(crate) fn get(&self, seq: u32) -> Option<&InFlight> {
        let slot = *self.index.get(&seq)?;
        self.slots[slot as usize].entry.as_ref()
    }

    /// Adds a request at the back (the newest). Returns `false`, adding nothing, when there is
    /// no room: application requests beyond the window, or a slot-accounting bug.
    pub(crate) fn insert(&mut self, entry: InFlight) -> bool {
        if entry.origin == Origin::App && self.app >= self.limit {
            return false;
        }
        let Some(slot) = self.free.pop() else {
            return false;
        };
        let s = &mut self.slots[slot as usize];
        s.entry = Some(entry);
        s.prev = self.tail;
        s.next = NIL;
        if self.tail == NIL {
            self.head = slot;
        } else {
            self.slots[self.tail as usize].next = slot;
        }
        self.tail = slot;
        self.index.insert(entry.seq, slot);
        if entry.origin == Origin::App {
            self.app += 1;
        }
        true
    }

    /// Removes and returns the request with this sequence number.
    pub(crate) fn remove(&mut self, seq: u32) -> Option<InFlight> {
        let slot = self.index.remove(&seq)?;
        Some(self.unlink(slot))
    }

    /// The oldest request (the earliest deadline: every request gets the same timeout).
    pub(crate) fn oldest(&self) -> Option<&InFlight> {
        if self.head == NIL {
            None
        } else {
            self.slots[self.head as usize].entry.as_ref()
        }
    }

    /// Removes and returns the oldest request.
    pub(crate) fn pop_oldest(&mut self) -> Option<InFlight> {
        let seq = self.oldest()?.seq;
        self.remove(seq)
    }

    fn unlink(&mut self, slot: u32) -> InFlight {
        let s = &mut self.slots[slot as usize];
        let entry = s.entry.take().expect("indexed slot holds an entry");
        let (prev, next) = (s.prev, s.next);
        s.prev = NIL;
        s.next = NIL;
        if prev == NIL {
            self.head = next;
        } else {
            self.slots[prev as usize].next = next;
        }
        if next == NIL {
            self.tail = prev;
        } else {
            self.slots[next as usize].prev = prev;
        }
        self.free.push(slot);
        if entry.origin == Origin::App {
            self.app -= 1;
        }
        entry
    }
}

/// The sequence numbers of the last requests that timed out, so that a response arriving after
/// its timeout is recognised (and counted) as late rather than unknown. Fixed size, no allocation
/// after creation.
#[derive(Debug)]
pub(crate) struct TimedOut {
    ring: Vec<u32>,
    pos: usize,
}

impl TimedOut {
    pub(crate) fn new(capacity: usize) -> Self {
        TimedOut {
            ring: vec![0; capacity.max(1)],
            pos: 0,
        }
    }

    pub(crate) fn push(&mut self, seq: u32) {
        self.ring[self.pos] = seq;
        self.pos = (self.pos + 1) % self.ring.len();
    }

    /// `true` (and forgets it) when `seq` timed out recently.
    pub(crate) fn take(&mut self, seq: u32) -> bool {
        if seq == 0 {
            return false;
        }
        match self.ring.iter().position(|&s| s == seq) {
            Some(i) => {
                self.ring[i] = 0;
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn req(seq: u32, origin: Origin, t: Instant) -> InFlight {
        InFlight {
            seq,
            command_id: CommandId::SubmitSm,
            sent_at: t,
            deadline: t + Duration::from_secs(1),
            origin,
        }
    }

    #[test]
    fn window_order_and_limits() {
        let t = Instant::now();
        let mut w = Window::new(2);
        assert!(w.insert(req(1, Origin::App, t)));
        assert!(w.insert(req(2, Origin::EnquireLink, t)));
        assert!(w.insert(req(3, Origin::App, t)));
        assert!(!w.insert(req(4, Origin::App, t)));
        assert_eq!(w.app_in_flight(), 2);
        assert_eq!(w.oldest().unwrap().seq, 1);
        assert_eq!(w.remove(2).unwrap().origin, Origin::EnquireLink);
        assert_eq!(w.remove(1).unwrap().seq, 1);
        assert_eq!(w.oldest().unwrap().seq, 3);
        assert!(w.insert(req(5, Origin::App, t)));
        assert_eq!(w.pop_oldest().unwrap().seq, 3);
        assert_eq!(w.pop_oldest().unwrap().seq, 5);
        assert!(w.pop_oldest().is_none());
        assert_eq!(w.app_in_flight(), 0);
        // churn: no slot leaks
        for i in 0..10_000u32 {
            assert!(w.insert(req(i + 10, Origin::App, t)));
            assert!(w.remove(i + 10).is_some());
        }
        assert_eq!(w.app_available(), 2);
    }

    #[test]
    fn timed_out_ring() {
        let mut r = TimedOut::new(2);
        r.push(5);
        r.push(6);
        r.push(7);
        assert!(!r.take(5));
        assert!(r.take(6));
        assert!(!r.take(6));
        assert!(r.take(7));
    }
}
