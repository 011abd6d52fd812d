//! `RequestError`: how a request sent through a session handle can fail, with the SMPP
//! `command_status` it maps to.

use smpp_codec::{Body, CommandId, CommandStatus, EncodeError, Pdu};

use crate::session::{BindState, FailReason, SendError};

/// Why a request got no usable response. Backpressure is never an error: a full window makes
/// the caller wait.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// The peer answered with an error `command_status`. See
    /// [`is_temporary`](Self::is_temporary) to decide on a retry.
    #[error("{command} refused by the peer with {status}")]
    Status {
        /// The request's command.
        command: CommandId,
        /// The peer's status.
        status: CommandStatus,
    },
    /// No response within the session's response timeout. The outcome is unknown: the peer
    /// may have acted on it.
    #[error(
        "no response to {command} within the response timeout: the outcome is unknown; \
         retry only if duplicates are acceptable"
    )]
    Timeout {
        /// The request's command.
        command: CommandId,
    },
    /// The session closed (unbind, lost connection, closed handle) before the response. The
    /// outcome is unknown when the request had been sent.
    #[error("the session closed before the response arrived: reconnect and retry")]
    Closed,
    /// The session closed before the request was written to the connection: nothing reached
    /// the peer, so sending it again (on this or another bind) cannot make a duplicate.
    #[error("the session closed before the request was sent: send it again")]
    NotSent,
    /// The peer answered `generic_nack` with this status.
    #[error("the peer answered generic_nack with {0}")]
    GenericNack(CommandStatus),
    /// The response did not decode (answered with `generic_nack` carrying this status); the
    /// outcome is unknown.
    #[error("the response could not be decoded ({0}): the outcome is unknown")]
    InvalidResponse(CommandStatus),
    /// The bind does not allow this request (e.g. `submit_sm` on a receiver bind).
    #[error("{command} is not allowed in bind state {state:?}: bind suitably first")]
    InvalidState {
        /// The request's command.
        command: CommandId,
        /// The session's state.
        state: BindState,
    },
    /// The body breaks the spec's limits; nothing was sent.
    #[error("cannot encode the request: {0}")]
    Encode(EncodeError),
    /// Not a request this handle sends.
    #[error("{0} cannot be sent as a request")]
    NotARequest(CommandId),
    /// The response body was not the one expected (should not happen: the core matches them).
    #[error("expected {expected}, got {got}")]
    UnexpectedResponse {
        /// The response command expected.
        expected: CommandId,
        /// The one received.
        got: CommandId,
    },
}

impl RequestError {
    /// The SMPP status this error carries or maps to: the peer's status, the `generic_nack`
    /// status, `ESME_RINVBNDSTS` for a wrong bind state; `None` for timeouts and closed
    /// sessions (no status was received).
    pub fn command_status(&self) -> Option<CommandStatus> {
        match self {
            RequestError::Status { status, .. }
            | RequestError::GenericNack(status)
            | RequestError::InvalidResponse(status) => Some(*status),
            RequestError::InvalidState { .. } => Some(CommandStatus::ESME_RINVBNDSTS),
            _ => None,
        }
    }

    /// `true` when the same request may succeed if sent again later: a temporary status
    /// (`ESME_RTHROTTLED`, `ESME_RMSGQFUL`, `ESME_RSYSERR`, `ESME_RX_T_APPN`, ...), a timeout
    /// or a closed session (for these two the first attempt may also have succeeded; not for
    /// [`NotSent`](Self::NotSent)).
    pub fn is_temporary(&self) -> bool {
        match self {
            RequestError::Status { status, .. } | RequestError::GenericNack(status) => {
                status.is_temporary()
            }
            RequestError::Timeout { .. }
            | RequestError::Closed
            | RequestError::NotSent
            | RequestError::InvalidResponse(_) => true,
            _ => false,
        }
    }

    /// `true` for `ESME_RTHROTTLED` / `ESME_RMSGQFUL`: slow down before retrying.
    pub fn is_throttling(&self) -> bool {
        matches!(self, RequestError::Status { status, .. } | RequestError::GenericNack(status) if status.is_throttling())
    }

    pub(crate) fn from_fail(command: CommandId, reason: FailReason) -> Self {
        match reason {
            FailReason::Timeout => RequestError::Timeout { command },
            FailReason::Closed => RequestError::Closed,
            FailReason::GenericNack(s) => RequestError::GenericNack(s),
            FailReason::InvalidResponse(s) => RequestError::InvalidResponse(s),
        }
    }
}

impl From<SendError> for RequestError {
    fn from(e: SendError) -> Self {
        match e {
            // The driver defers instead; seeing it here means the session refused anyway.
            SendError::WindowFull | SendError::Closed => RequestError::Closed,
            SendError::InvalidState { command, state } => {
                RequestError::InvalidState { command, state }
            }
            SendError::NotARequest(c) => RequestError::NotARequest(c),
            SendError::Encode(e) => RequestError::Encode(e),
        }
    }
}

/// A response's body, checked: an error status becomes `RequestError::Status`.
pub(crate) fn expect<T>(
    command: CommandId,
    pdu: Pdu,
    take: impl FnOnce(Body) -> Option<T>,
) -> Result<T, RequestError> {
    if !pdu.command_status.is_ok() {
        return Err(RequestError::Status {
            command,
            status: pdu.command_status,
        });
    }
    let got = pdu.body.command_id();
    take(pdu.body).ok_or(RequestError::UnexpectedResponse {
        expected: command.response().unwrap_or(CommandId::GenericNack),
        got,
    })
}
