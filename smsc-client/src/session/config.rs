//! `SessionConfig`: window size, the four timers of SMPP 5.0 §2.7, inbound queue bound, decoding.

use std::time::Duration;

use smpp_codec::{CommandStatus, DecodeOptions};

/// What to do when the inactivity timer fires (SMPP 5.0 §2.7, Table 2-2: "either close the
/// session or issue an unbind request").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InactivityAction {
    /// Send `unbind` and close once it is answered (or times out).
    Unbind,
    /// Close at once.
    Close,
}

/// How a session behaves. The defaults suit both sides of a bind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionConfig {
    /// The send window: the most application requests in flight at once (at least 1; 0 counts
    /// as 1). Beyond it `send_request` answers `SendError::WindowFull` (SMPP 5.0 §2.6.4, §2.9).
    /// Default 10.
    pub window: usize,
    /// Response timer (SMPP 5.0 §2.7): how long a request waits for its response before it is
    /// failed alone with `FailReason::Timeout`. Default 30 s.
    pub response_timeout: Duration,
    /// Session init timer (SMPP 5.0 §2.7): the session closes if no bind request is sent
    /// (ESME) or received (SMSC) within this time of connecting, or of the `outbind`. `None`
    /// disables it. Default 30 s.
    pub session_init_timeout: Option<Duration>,
    /// Enquire link timer (SMPP 5.0 §2.7): once bound, an `enquire_link` is sent when nothing
    /// has been received for this long. If it is not answered within `response_timeout` the
    /// session closes (`CloseReason::EnquireLinkTimeout`). `None` disables it. Default 30 s.
    pub enquire_link_interval: Option<Duration>,
    /// Inactivity timer (SMPP 5.0 §2.7; SMPP 3.4 §2.9): once bound, the session is ended (see
    /// `inactivity_action`) when nothing at all has been received for this long. `None`
    /// disables it (the default).
    pub inactivity_timeout: Option<Duration>,
    /// What the inactivity timer does. Default `Unbind`.
    pub inactivity_action: InactivityAction,
    /// The most received requests awaiting the application's `respond` at once. Beyond it the
    /// session answers new requests itself with `inbound_full_status`. Default 64.
    pub max_inbound_pending: usize,
    /// The status for requests refused because the inbound queue is full: `ESME_RMSGQFUL`
    /// (the default) or `ESME_RTHROTTLED`; both tell the peer to retry later (SMPP 5.0 §4.7.6).
    pub inbound_full_status: CommandStatus,
    /// How received PDUs are decoded (leniency, the length limit). Default lenient.
    pub decode: DecodeOptions,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            window: 10,
            response_timeout: Duration::from_secs(30),
            session_init_timeout: Some(Duration::from_secs(30)),
            enquire_link_interval: Some(Duration::from_secs(30)),
            inactivity_timeout: None,
            inactivity_action: InactivityAction::Unbind,
            max_inbound_pending: 64,
            inbound_full_status: CommandStatus::ESME_RMSGQFUL,
            decode: DecodeOptions::lenient(),
        }
    }
}
