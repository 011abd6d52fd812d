//! Why a request could not be queued (`SendError`) or an answer could not be given (`RespondError`).

use smpp_codec::{CommandId, EncodeError};

use super::state::BindState;

/// Why `send_request` (or `bind`, `outbind`, `unbind`) queued nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Backpressure, not failure: the window is full. Wait for `Event::WindowAvailable` (or
    /// until `window_available()` is non-zero) and send again. The body passed in is dropped,
    /// so check `window_available()` first when it is costly to rebuild.
    #[error("the send window is full: wait for Event::WindowAvailable, then send again")]
    WindowFull,
    /// The operation is not allowed in the current bind state for this side (SMPP 5.0 §2.4);
    /// the peer would answer it with `ESME_RINVBNDSTS`.
    #[error(
        "{command} is not allowed in bind state {state:?} (SMPP 5.0 §2.4): bind suitably first"
    )]
    InvalidState {
        /// The command refused.
        command: CommandId,
        /// The state the session is in.
        state: BindState,
    },
    /// Not something `send_request` sends: responses go through `respond`, binds through
    /// `bind` / `accept_bind`, `unbind` through `unbind`, `outbind` through `outbind`.
    #[error(
        "{0} cannot be sent with send_request: use respond, bind, accept_bind, unbind or outbind"
    )]
    NotARequest(CommandId),
    /// The session is closed.
    #[error("the session is closed")]
    Closed,
    /// The body breaks the spec's limits.
    #[error("cannot encode the request: {0}")]
    Encode(#[from] EncodeError),
}

/// Why `respond`, `accept_bind` or `reject_bind` sent nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RespondError {
    /// No received request with this sequence number awaits an answer (already answered, never
    /// received, answered by the session itself, or without a response like `alert_notification`).
    #[error("no received request with sequence number {0} awaits a response")]
    UnknownSequence(u32),
    /// The body is not the response to the request.
    #[error("the request needs a {expected} body, got {got}")]
    WrongBody {
        /// The response command the request needs.
        expected: CommandId,
        /// The command of the body given.
        got: CommandId,
    },
    /// No bind awaits a decision.
    #[error("no bind request awaits accept_bind / reject_bind")]
    NoBindPending,
    /// The session is closed.
    #[error("the session is closed")]
    Closed,
    /// The body breaks the spec's limits; the request still awaits an answer.
    #[error("cannot encode the response: {0}")]
    Encode(#[from] EncodeError),
}
