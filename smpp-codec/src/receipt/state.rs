//! `MessageState`: the state a receipt reports (SMPP 5.0 §4.7.15), from the `message_state` TLV
//! or from the `stat:` word of the receipt text (SMPP 3.4 Appendix B, Table B-2).

use std::fmt;

/// The state of a short message (SMPP 5.0 §4.7.15, Table 4-50), as carried by the
/// `message_state` TLV (§4.8.4.37) or spelt in a receipt text's `stat:` field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum MessageState {
    /// 0, intermediate: scheduled, delivery not yet initiated (new in 5.0; 3.4 MCs say ENROUTE).
    Scheduled = 0,
    /// 1, intermediate: active within the MC (in retry, or dispatched to the network).
    Enroute = 1,
    /// 2, final: delivered to the destination.
    Delivered = 2,
    /// 3, final: the validity period expired before delivery.
    Expired = 3,
    /// 4, final: cancelled or deleted from the MC.
    Deleted = 4,
    /// 5, final: permanently undeliverable (unknown subscriber, barred, network error, ...).
    Undeliverable = 5,
    /// 6, final: manually accepted on behalf of the subscriber by customer service.
    Accepted = 6,
    /// 7, neither: the MC cannot tell (may be intermediate or permanent).
    Unknown = 7,
    /// 8, final: rejected by a delivery interface.
    Rejected = 8,
    /// 9, final: accepted but deliberately not transmitted.
    Skipped = 9,
}

impl MessageState {
    /// Every state, in value order.
    pub const ALL: [MessageState; 10] = [
        MessageState::Scheduled,
        MessageState::Enroute,
        MessageState::Delivered,
        MessageState::Expired,
        MessageState::Deleted,
        MessageState::Undeliverable,
        MessageState::Accepted,
        MessageState::Unknown,
        MessageState::Rejected,
        MessageState::Skipped,
    ];

    /// The state of a `message_state` value; `None` for values §4.7.15 does not define.
    pub fn from_u8(value: u8) -> Option<MessageState> {
        MessageState::ALL.get(usize::from(value)).copied()
    }

    /// The `message_state` value.
    pub fn as_u8(self) -> u8 {
        self as u8
    }

    /// `true` for the states Table 4-50 calls final: DELIVERED, EXPIRED, DELETED, UNDELIVERABLE,
    /// ACCEPTED, REJECTED and SKIPPED. SCHEDULED and ENROUTE are intermediate; UNKNOWN is
    /// neither ("may be intermediate or permanent") and is not final: a later receipt may follow.
    pub fn is_final(self) -> bool {
        !matches!(
            self,
            MessageState::Scheduled | MessageState::Enroute | MessageState::Unknown
        )
    }

    /// The spec's name (`DELIVERED`, `UNDELIVERABLE`, ...).
    pub fn name(self) -> &'static str {
        match self {
            MessageState::Scheduled => "SCHEDULED",
            MessageState::Enroute => "ENROUTE",
            MessageState::Delivered => "DELIVERED",
            MessageState::Expired => "EXPIRED",
            MessageState::Deleted => "DELETED",
            MessageState::Undeliverable => "UNDELIVERABLE",
            MessageState::Accepted => "ACCEPTED",
            MessageState::Unknown => "UNKNOWN",
            MessageState::Rejected => "REJECTED",
            MessageState::Skipped => "SKIPPED",
        }
    }

    /// The 7-letter `stat:` word of receipt texts (SMPP 3.4 Table B-2): `DELIVRD`, `EXPIRED`,
    /// `DELETED`, `UNDELIV`, `ACCEPTD`, `UNKNOWN`, `REJECTD`; and for the states Table B-2 does
    /// not list, `ENROUTE`, `SKIPPED` and `SCHEDLD` (the spelling MCs that report SCHEDULED use).
    pub fn stat_text(self) -> &'static str {
        match self {
            MessageState::Scheduled => "SCHEDLD",
            MessageState::Enroute => "ENROUTE",
            MessageState::Delivered => "DELIVRD",
            MessageState::Expired => "EXPIRED",
            MessageState::Deleted => "DELETED",
            MessageState::Undeliverable => "UNDELIV",
            MessageState::Accepted => "ACCEPTD",
            MessageState::Unknown => "UNKNOWN",
            MessageState::Rejected => "REJECTD",
            MessageState::Skipped => "SKIPPED",
        }
    }

    /// The state a receipt text's `stat:` value names, ASCII case-insensitively; when the value
    /// has several words (`DELIVERED TO CARRIER`), the first decides. Accepted words:
    ///
    /// | state          | words                                                      |
    /// |----------------|------------------------------------------------------------|
    /// | Scheduled      | `SCHEDLD`, `SCHEDULED`                                     |
    /// | Enroute        | `ENROUTE`, `EN_ROUTE`, `BUFFRED`, `BUFFERED`               |
    /// | Delivered      | `DELIVRD`, `DELIVERED`, `DELIVER`                          |
    /// | Expired        | `EXPIRED`                                                  |
    /// | Deleted        | `DELETED`                                                  |
    /// | Undeliverable  | `UNDELIV`, `UNDELIVERABLE`, `UNDELIVERED`, `FAILED`, `FAIL`|
    /// | Accepted       | `ACCEPTD`, `ACCEPTED`                                      |
    /// | Unknown        | `UNKNOWN`                                                  |
    /// | Rejected       | `REJECTD`, `REJECTED`                                      |
    /// | Skipped        | `SKIPPED`                                                  |
    ///
    /// and a lone digit `0`..=`9`, read as the `message_state` value. `FAILED` is not an SMPP
    /// state; aggregators use it for a permanent failure, so it maps to the final UNDELIVERABLE
    /// (the raw word stays in the receipt for whoever must tell them apart). Anything else is
    /// `None`.
    pub fn from_stat(stat: &str) -> Option<MessageState> {
        let word = stat.split_ascii_whitespace().next()?;
        if let [d @ b'0'..=b'9'] = word.as_bytes() {
            return MessageState::from_u8(d - b'0');
        }
        const WORDS: &[(&str, MessageState)] = &[
            ("DELIVRD", MessageState::Delivered),
            ("DELIVERED", MessageState::Delivered),
            ("DELIVER", MessageState::Delivered),
            ("UNDELIV", MessageState::Undeliverable),
            ("UNDELIVERABLE", MessageState::Undeliverable),
            ("UNDELIVERED", MessageState::Undeliverable),
            ("FAILED", MessageState::Undeliverable),
            ("FAIL", MessageState::Undeliverable),
            ("EXPIRED", MessageState::Expired),
            ("REJECTD", MessageState::Rejected),
            ("REJECTED", MessageState::Rejected),
            ("ENROUTE", MessageState::Enroute),
            ("EN_ROUTE", MessageState::Enroute),
            ("BUFFRED", MessageState::Enroute),
            ("BUFFERED", MessageState::Enroute),
            ("ACCEPTD", MessageState::Accepted),
            ("ACCEPTED", MessageState::Accepted),
            ("DELETED", MessageState::Deleted),
            ("UNKNOWN", MessageState::Unknown),
            ("SKIPPED", MessageState::Skipped),
            ("SCHEDLD", MessageState::Scheduled),
            ("SCHEDULED", MessageState::Scheduled),
        ];
        WORDS
            .iter()
            .find(|(w, _)| w.eq_ignore_ascii_case(word))
            .map(|&(_, s)| s)
    }
}

impl fmt::Display for MessageState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl From<MessageState> for u8 {
    fn from(s: MessageState) -> u8 {
        s.as_u8()
    }
}

impl TryFrom<u8> for MessageState {
    type Error = u8;
    /// The state of a `message_state` value; the value back when §4.7.15 does not define it.
    fn try_from(v: u8) -> Result<MessageState, u8> {
        MessageState::from_u8(v).ok_or(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_names_and_finality() {
        for (i, s) in MessageState::ALL.iter().enumerate() {
            assert_eq!(usize::from(s.as_u8()), i);
            assert_eq!(MessageState::from_u8(i as u8), Some(*s));
            assert_eq!(MessageState::from_stat(s.stat_text()), Some(*s));
            assert_eq!(MessageState::from_stat(s.name()), Some(*s));
        }
        assert_eq!(MessageState::from_u8(10), None);
        assert!(MessageState::Delivered.is_final());
        assert!(MessageState::Skipped.is_final());
        assert!(!MessageState::Enroute.is_final());
        assert!(!MessageState::Unknown.is_final());
        assert_eq!(
            MessageState::from_stat("delivered to carrier"),
            Some(MessageState::Delivered)
        );
        assert_eq!(
            MessageState::from_stat("5"),
            Some(MessageState::Undeliverable)
        );
        assert_eq!(MessageState::from_stat("NOPE"), None);
        assert_eq!(MessageState::from_stat(""), None);
    }
}
