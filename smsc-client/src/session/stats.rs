//! Counters a session keeps for metrics: PDUs by command, error statuses, window use, timeouts.
//! Plain integers in fixed arrays, bumped on the hot path without allocating; the shell exports
//! them (with the `metrics` crate) by reading [`SessionStats`].

use smpp_codec::{CommandId, CommandStatus};

const COMMANDS: usize = CommandId::ALL.len();
const STATUSES: usize = CommandStatus::ALL.len();
/// Distinct statuses outside the spec's list (vendor codes) counted one by one.
const OTHER_STATUSES: usize = 16;

/// The position of `id` in [`CommandId::ALL`].
fn command_slot(id: CommandId) -> usize {
    use CommandId as C;
    match id {
        C::GenericNack => 0,
        C::BindReceiver => 1,
        C::BindReceiverResp => 2,
        C::BindTransmitter => 3,
        C::BindTransmitterResp => 4,
        C::QuerySm => 5,
        C::QuerySmResp => 6,
        C::SubmitSm => 7,
        C::SubmitSmResp => 8,
        C::DeliverSm => 9,
        C::DeliverSmResp => 10,
        C::Unbind => 11,
        C::UnbindResp => 12,
        C::ReplaceSm => 13,
        C::ReplaceSmResp => 14,
        C::CancelSm => 15,
        C::CancelSmResp => 16,
        C::BindTransceiver => 17,
        C::BindTransceiverResp => 18,
        C::Outbind => 19,
        C::EnquireLink => 20,
        C::EnquireLinkResp => 21,
        C::SubmitMulti => 22,
        C::SubmitMultiResp => 23,
        C::AlertNotification => 24,
        C::DataSm => 25,
        C::DataSmResp => 26,
        C::BroadcastSm => 27,
        C::BroadcastSmResp => 28,
        C::QueryBroadcastSm => 29,
        C::QueryBroadcastSmResp => 30,
        C::CancelBroadcastSm => 31,
        C::CancelBroadcastSmResp => 32,
    }
}

/// A count per `command_id`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandCounts([u64; COMMANDS]);

impl Default for CommandCounts {
    fn default() -> Self {
        CommandCounts([0; COMMANDS])
    }
}

impl CommandCounts {
    /// The count for `id`.
    pub fn get(&self, id: CommandId) -> u64 {
        self.0[command_slot(id)]
    }

    /// The sum over every command.
    pub fn total(&self) -> u64 {
        self.0.iter().sum()
    }

    /// Every command with a non-zero count.
    pub fn iter(&self) -> impl Iterator<Item = (CommandId, u64)> + '_ {
        CommandId::ALL
            .iter()
            .zip(self.0.iter())
            .filter(|(_, n)| **n > 0)
            .map(|(id, n)| (*id, *n))
    }

    pub(crate) fn bump(&mut self, id: CommandId) {
        self.0[command_slot(id)] += 1;
    }
}

/// A count per `command_status`: every status the spec defines, plus up to 16 others (vendor
/// codes) one by one, plus one bucket for any beyond.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusCounts {
    known: [u64; STATUSES],
    other: [(CommandStatus, u64); OTHER_STATUSES],
    /// Counts of statuses that did not fit in the table of others.
    pub overflow: u64,
}

impl Default for StatusCounts {
    fn default() -> Self {
        StatusCounts {
            known: [0; STATUSES],
            other: [(CommandStatus(0), 0); OTHER_STATUSES],
            overflow: 0,
        }
    }
}

impl StatusCounts {
    /// The count for `status`.
    pub fn get(&self, status: CommandStatus) -> u64 {
        match CommandStatus::ALL.binary_search(&status) {
            Ok(i) => self.known[i],
            Err(_) => self
                .other
                .iter()
                .find(|(s, n)| *s == status && *n > 0)
                .map_or(0, |(_, n)| *n),
        }
    }

    /// The sum over every status.
    pub fn total(&self) -> u64 {
        self.known.iter().sum::<u64>()
            + self.other.iter().map(|(_, n)| n).sum::<u64>()
            + self.overflow
    }

    /// Every status with a non-zero count (the overflow bucket excepted).
    pub fn iter(&self) -> impl Iterator<Item = (CommandStatus, u64)> + '_ {
        CommandStatus::ALL
            .iter()
            .copied()
            .zip(self.known.iter().copied())
            .chain(self.other.iter().copied())
            .filter(|(_, n)| *n > 0)
    }

    pub(crate) fn bump(&mut self, status: CommandStatus) {
        if let Ok(i) = CommandStatus::ALL.binary_search(&status) {
            self.known[i] += 1;
            return;
        }
        for (s, n) in self.other.iter_mut() {
            if *n == 0 {
                *s = status;
            }
            if *s == status {
                *n += 1;
                return;
            }
        }
        self.overflow += 1;
    }
}

/// What a session has done so far. Counters only grow; the gauges (`window_in_use`,
/// `inbound_pending`) are current values.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SessionStats {
    /// Requests written, by command (`enquire_link`s the session sends itself included).
    pub requests_sent: CommandCounts,
    /// Requests received, by command (automatically answered `enquire_link`s included).
    pub requests_received: CommandCounts,
    /// Responses written (`generic_nack` included), by command.
    pub responses_sent: CommandCounts,
    /// Responses received (`generic_nack` included), by command, matched or not.
    pub responses_received: CommandCounts,
    /// Non-zero `command_status` values in the responses we wrote.
    pub errors_sent: StatusCounts,
    /// Non-zero `command_status` values in the responses we received.
    pub errors_received: StatusCounts,
    /// Gauge: application requests in flight.
    pub window_in_use: usize,
    /// The window size (most application requests in flight).
    pub window_size: usize,
    /// Gauge: received requests awaiting the application's `respond`.
    pub inbound_pending: usize,
    /// Requests that got no response within the response timeout.
    pub response_timeouts: u64,
    /// Responses that arrived after their request had timed out (dropped).
    pub late_responses: u64,
    /// Responses matching no request in flight (dropped), late ones excepted.
    pub unmatched_responses: u64,
    /// `generic_nack`s naming no request in flight (sequence number 0 or unknown).
    pub unmatched_generic_nacks: u64,
    /// PDUs that framed but could not be decoded (each answered per `DecodeError::answer`),
    /// and over-long or desynchronising `command_length`s.
    pub decode_errors: u64,
    /// Requests we answered with `ESME_RINVBNDSTS` / `ESME_RALYBND` (not allowed in the state).
    pub rejected_bind_state: u64,
    /// Requests we answered with the queue-full status because the inbound queue was full.
    pub rejected_queue_full: u64,
    /// Octets of whole PDUs received.
    pub bytes_received: u64,
    /// Octets of PDUs queued for writing.
    pub bytes_sent: u64,
    /// Buffers handed out by `poll_transmit` (each may hold many PDUs).
    pub transmits: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_slots_follow_all() {
        for (i, id) in CommandId::ALL.iter().enumerate() {
            assert_eq!(command_slot(*id), i, "{id}");
        }
    }

    #[test]
    fn status_counts() {
        let mut s = StatusCounts::default();
        s.bump(CommandStatus::ESME_RTHROTTLED);
        s.bump(CommandStatus::ESME_RTHROTTLED);
        s.bump(CommandStatus(0x401));
        for v in 0x500..0x500 + OTHER_STATUSES as u32 {
            s.bump(CommandStatus(v));
        }
        assert_eq!(s.get(CommandStatus::ESME_RTHROTTLED), 2);
        assert_eq!(s.get(CommandStatus(0x401)), 1);
        assert_eq!(s.get(CommandStatus(0x402)), 0);
        assert_eq!(s.overflow, 1);
        assert_eq!(s.total(), 3 + OTHER_STATUSES as u64);
        assert_eq!(s.iter().count(), 1 + OTHER_STATUSES);
    }
}
