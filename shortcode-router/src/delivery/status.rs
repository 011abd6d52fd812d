//! MT message statuses (`queued` .. `failed`), how a receipt's state maps to one, and how the
//! statuses of a message's parts roll up to the message's one status.

use std::fmt;
use std::str::FromStr;

use smpp_codec::receipt::MessageState;

/// The status of an MT message (or of one of its parts).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageStatus {
    /// Accepted by the API, not yet answered by the carrier.
    Queued,
    /// Every part was accepted by the carrier (`submit_sm_resp` with `ESME_ROK`).
    Sent,
    /// The carrier reports delivery to the handset (DELIVRD, or ACCEPTD).
    Delivered,
    /// The carrier reports it could not deliver (UNDELIV, DELETED, SKIPPED).
    Undelivered,
    /// The validity period ran out before delivery (EXPIRED).
    Expired,
    /// Refused: by the carrier on submission (a permanent `command_status`) or in a receipt
    /// (REJECTD).
    Rejected,
    /// We could not hand it to a carrier (no bind, retries exhausted, store error).
    Failed,
}

impl MessageStatus {
    /// Every status.
    pub const ALL: [MessageStatus; 7] = [
        MessageStatus::Queued,
        MessageStatus::Sent,
        MessageStatus::Delivered,
        MessageStatus::Undelivered,
        MessageStatus::Expired,
        MessageStatus::Rejected,
        MessageStatus::Failed,
    ];

    /// The lowercase name used in the API and the store.
    pub fn as_str(self) -> &'static str {
        match self {
            MessageStatus::Queued => "queued",
            MessageStatus::Sent => "sent",
            MessageStatus::Delivered => "delivered",
            MessageStatus::Undelivered => "undelivered",
            MessageStatus::Expired => "expired",
            MessageStatus::Rejected => "rejected",
            MessageStatus::Failed => "failed",
        }
    }

    /// `true` when nothing more will happen to it.
    pub fn is_final(self) -> bool {
        !matches!(self, MessageStatus::Queued | MessageStatus::Sent)
    }

    /// How bad a final outcome is, for the roll-up: the worst part decides.
    fn severity(self) -> u8 {
        match self {
            MessageStatus::Queued | MessageStatus::Sent => 0,
            MessageStatus::Delivered => 1,
            MessageStatus::Expired => 2,
            MessageStatus::Undelivered => 3,
            MessageStatus::Rejected => 4,
            MessageStatus::Failed => 5,
        }
    }

    /// The status a receipt's state means; `None` for intermediate states (ENROUTE,
    /// SCHEDULED, UNKNOWN), which change nothing (SMPP 5.0 §4.7.15, Table 4-50).
    pub fn from_receipt_state(state: MessageState) -> Option<MessageStatus> {
        match state {
            MessageState::Delivered | MessageState::Accepted => Some(MessageStatus::Delivered),
            MessageState::Expired => Some(MessageStatus::Expired),
            MessageState::Undeliverable | MessageState::Deleted | MessageState::Skipped => {
                Some(MessageStatus::Undelivered)
            }
            MessageState::Rejected => Some(MessageStatus::Rejected),
            MessageState::Scheduled | MessageState::Enroute | MessageState::Unknown => None,
        }
    }
}

impl fmt::Display for MessageStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A word that is not a status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown status {0:?}: use queued, sent, delivered, undelivered, expired, rejected or failed"
)]
pub struct UnknownStatus(pub String);

impl FromStr for MessageStatus {
    type Err = UnknownStatus;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        MessageStatus::ALL
            .into_iter()
            .find(|st| st.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownStatus(s.to_owned()))
    }
}

/// The one status of a message whose parts have `parts` statuses.
///
/// - All parts final: `delivered` when every part was delivered, else the worst part's status
///   (`failed` > `rejected` > `undelivered` > `expired`).
/// - Some part failed or was refused on submission: that status at once (the message cannot
///   arrive whole; the remaining parts are not sent).
/// - Otherwise `sent` once every part is with the carrier, else `queued`.
pub fn roll_up(parts: &[MessageStatus]) -> MessageStatus {
    if parts.is_empty() {
        return MessageStatus::Queued;
    }
    let worst = parts
        .iter()
        .copied()
        .max_by_key(|s| s.severity())
        .unwrap_or(MessageStatus::Queued);
    if parts.iter().all(|s| s.is_final()) {
        return worst;
    }
    if matches!(worst, MessageStatus::Failed | MessageStatus::Rejected) {
        return worst;
    }
    if parts.iter().all(|s| *s != MessageStatus::Queued) {
        MessageStatus::Sent
    } else {
        MessageStatus::Queued
    }
}

#[cfg(test)]
mod tests {
    use super::MessageStatus::*;
    use super::*;

    #[test]
    fn names_round_trip() {
        for s in MessageStatus::ALL {
            assert_eq!(s.as_str().parse::<MessageStatus>().unwrap(), s);
        }
        assert!("lost".parse::<MessageStatus>().is_err());
        assert_eq!(" Delivered ".parse::<MessageStatus>().unwrap(), Delivered);
    }

    #[test]
    fn receipt_states() {
        assert_eq!(
            MessageStatus::from_receipt_state(MessageState::Delivered),
            Some(Delivered)
        );
        assert_eq!(
            MessageStatus::from_receipt_state(MessageState::Undeliverable),
            Some(Undelivered)
        );
        assert_eq!(
            MessageStatus::from_receipt_state(MessageState::Rejected),
            Some(Rejected)
        );
        assert_eq!(
            MessageStatus::from_receipt_state(MessageState::Enroute),
            None
        );
    }

    #[test]
    fn roll_up_rules() {
        assert_eq!(roll_up(&[]), Queued);
        assert_eq!(roll_up(&[Queued, Queued]), Queued);
        assert_eq!(roll_up(&[Sent, Queued]), Queued);
        assert_eq!(roll_up(&[Sent, Sent]), Sent);
        assert_eq!(roll_up(&[Delivered, Sent]), Sent);
        assert_eq!(roll_up(&[Delivered, Delivered]), Delivered);
        assert_eq!(roll_up(&[Delivered, Expired]), Expired);
        assert_eq!(roll_up(&[Undelivered, Expired, Delivered]), Undelivered);
        assert_eq!(roll_up(&[Rejected, Queued]), Rejected);
        assert_eq!(roll_up(&[Sent, Failed]), Failed);
        assert_eq!(roll_up(&[Undelivered, Sent]), Sent);
    }
}
