//! [`ApiError`]: every error the HTTP API returns, rendered as
//! `{"error": {"code": "...", "message": "..."}}` with a 4xx/5xx status and a stable `code`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::delivery::MtError;
use crate::store::messages::MessageStoreError;

/// An API error.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed (bad JSON, a missing or invalid field or parameter).
    #[error("{0}")]
    InvalidRequest(String),
    /// No or an unknown API key.
    #[error("{0}")]
    Unauthorized(String),
    /// The key may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// No such resource (or not visible to this key).
    #[error("{0}")]
    NotFound(String),
    /// The route exists but not with this method.
    #[error("{0}")]
    MethodNotAllowed(String),
    /// The subscriber opted out: the message was not sent.
    #[error("{0}")]
    RecipientOptedOut(String),
    /// The program's quiet hours are on.
    #[error("{0}")]
    QuietHours(String),
    /// `from` is not one of the configured short codes.
    #[error("{0}")]
    UnknownShortCode(String),
    /// The short code's carrier cannot send (it binds as a receiver only): a configuration
    /// matter, not one a retry mends.
    #[error("{0}")]
    NoCarrier(String),
    /// The `Idempotency-Key` was used with another request.
    #[error("{0}")]
    IdempotencyConflict(String),
    /// The service is stopping.
    #[error("{0}")]
    Unavailable(String),
    /// Something broke on our side.
    #[error("{0}")]
    Internal(String),
}

impl ApiError {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::InvalidRequest(_) => "invalid_request",
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not_found",
            ApiError::MethodNotAllowed(_) => "method_not_allowed",
            ApiError::RecipientOptedOut(_) => "recipient_opted_out",
            ApiError::QuietHours(_) => "quiet_hours",
            ApiError::UnknownShortCode(_) => "unknown_short_code",
            ApiError::NoCarrier(_) => "no_carrier",
            ApiError::IdempotencyConflict(_) => "idempotency_key_reused",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::Internal(_) => "internal_error",
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::InvalidRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::RecipientOptedOut(_)
            | ApiError::QuietHours(_)
            | ApiError::UnknownShortCode(_)
            | ApiError::NoCarrier(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::IdempotencyConflict(_) => StatusCode::CONFLICT,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if matches!(self, ApiError::Internal(_)) {
            tracing::error!(error = %self, "API request failed");
        }
        let body = serde_json::json!({
            "error": { "code": self.code(), "message": self.to_string() }
        });
        let mut r = (self.status(), axum::Json(body)).into_response();
        if matches!(self, ApiError::Unauthorized(_)) {
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"shortcode-router\""),
            );
        }
        r
    }
}

impl From<MtError> for ApiError {
    fn from(e: MtError) -> Self {
        let m = e.to_string();
        match e {
            MtError::Invalid(_) | MtError::CallbackUrl(_) => ApiError::InvalidRequest(m),
            MtError::OptedOut { .. } => ApiError::RecipientOptedOut(m),
            MtError::QuietHours(_) => ApiError::QuietHours(m),
            MtError::UnknownShortCode(_) => ApiError::UnknownShortCode(m),
            MtError::Forbidden(_) => ApiError::Forbidden(m),
            MtError::IdempotencyConflict(_) => ApiError::IdempotencyConflict(m),
            MtError::NotFound(_) => ApiError::NotFound(m),
            MtError::NoCarrier(_) => ApiError::NoCarrier(m),
            MtError::ShuttingDown => ApiError::Unavailable(m),
            MtError::Store(_) | MtError::OptOutCheck(_) => ApiError::Internal(m),
        }
    }
}

impl From<MessageStoreError> for ApiError {
    fn from(e: MessageStoreError) -> Self {
        ApiError::Internal(e.to_string())
    }
}

impl From<axum::extract::rejection::PathRejection> for ApiError {
    fn from(e: axum::extract::rejection::PathRejection) -> Self {
        ApiError::InvalidRequest(e.body_text())
    }
}

impl From<axum::extract::rejection::BytesRejection> for ApiError {
    fn from(e: axum::extract::rejection::BytesRejection) -> Self {
        ApiError::InvalidRequest(e.body_text())
    }
}

/// Unknown paths.
pub async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::NotFound(format!("no route {}", uri.path()))
}

/// Known paths, wrong method.
pub async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> ApiError {
    ApiError::MethodNotAllowed(format!("{method} is not allowed on {}", uri.path()))
}
