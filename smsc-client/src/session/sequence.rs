//! Sequence numbers for the requests we originate (SMPP 5.0 §2.6, §4.7.24).

use smpp_codec::header::MAX_SEQUENCE_NUMBER;

/// Hands out sequence numbers from 1 upwards, wrapping after 0x7FFFFFFF back to 1
/// (SMPP 5.0 §4.7.24), and skipping any still in use by a pending request so that a
/// response can never be matched to the wrong request (§2.6.1: "uniquely identify the PDU").
#[derive(Debug, Clone)]
pub(crate) struct Sequence {
    next: u32,
}

impl Sequence {
    pub(crate) fn new() -> Self {
        Sequence { next: 1 }
    }

    /// Sets the next number to try; values outside 1..=0x7FFFFFFF become 1.
    pub(crate) fn set_next(&mut self, seq: u32) {
        self.next = if (1..=MAX_SEQUENCE_NUMBER).contains(&seq) {
            seq
        } else {
            1
        };
    }

    /// The next number not `in_use`. The caller guarantees fewer than 2^31 - 1 are in use.
    pub(crate) fn allocate(&mut self, in_use: impl Fn(u32) -> bool) -> u32 {
        loop {
            let seq = self.next;
            self.next = if seq >= MAX_SEQUENCE_NUMBER {
                1
            } else {
                seq + 1
            };
            if !in_use(seq) {
                return seq;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_and_skips() {
        let mut s = Sequence::new();
        assert_eq!(s.allocate(|_| false), 1);
        assert_eq!(s.allocate(|_| false), 2);
        s.set_next(MAX_SEQUENCE_NUMBER);
        assert_eq!(s.allocate(|_| false), MAX_SEQUENCE_NUMBER);
        assert_eq!(s.allocate(|n| n == 1 || n == 2), 3);
        s.set_next(0);
        assert_eq!(s.allocate(|_| false), 1);
    }
}
