//! Requests received from the peer that await the application's response, bounded
//! (principle 6): beyond the bound the session answers them itself.

use smpp_codec::CommandId;

use super::window::SeqMap;

/// Inbound requests awaiting `respond`, by the peer's sequence number. A peer that reuses a
/// sequence number still awaiting an answer gets both answered (the count goes up).
#[derive(Debug)]
pub(crate) struct Inbox {
    awaiting: SeqMap<(CommandId, u32)>,
    len: usize,
    limit: usize,
}

impl Inbox {
    pub(crate) fn new(limit: usize) -> Self {
        let mut awaiting = SeqMap::default();
        awaiting.reserve(limit.saturating_mul(2).min(1 << 16));
        Inbox {
            awaiting,
            len: 0,
            limit,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn is_full(&self) -> bool {
        self.len >= self.limit
    }

    pub(crate) fn insert(&mut self, seq: u32, request: CommandId) {
        self.awaiting
            .entry(seq)
            .and_modify(|(_, n)| *n += 1)
            .or_insert((request, 1));
        self.len += 1;
    }

    /// The request awaiting an answer with this sequence number.
    pub(crate) fn get(&self, seq: u32) -> Option<CommandId> {
        self.awaiting.get(&seq).map(|(id, _)| *id)
    }

    /// Marks one request with this sequence number answered.
    pub(crate) fn take(&mut self, seq: u32) -> Option<CommandId> {
        let (id, n) = self.awaiting.get_mut(&seq)?;
        let id = *id;
        *n -= 1;
        if *n == 0 {
            self.awaiting.remove(&seq);
        }
        self.len -= 1;
        Some(id)
    }

    pub(crate) fn clear(&mut self) {
        self.awaiting.clear();
        self.len = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_and_counted() {
        let mut b = Inbox::new(2);
        b.insert(7, CommandId::DeliverSm);
        assert!(!b.is_full());
        b.insert(7, CommandId::DeliverSm);
        assert!(b.is_full());
        assert_eq!(b.take(7), Some(CommandId::DeliverSm));
        assert_eq!(b.get(7), Some(CommandId::DeliverSm));
        assert_eq!(b.take(7), Some(CommandId::DeliverSm));
        assert_eq!(b.take(7), None);
        assert_eq!(b.len(), 0);
    }
}
