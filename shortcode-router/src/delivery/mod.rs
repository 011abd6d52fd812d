//! The MT pipeline: accept -> compliance (opt-outs, quiet hours) -> encoding and split ->
//! submit through a [`carrier::Carrier`] -> statuses, receipts rolled up per message, and
//! signed status callbacks. [`MtService`] is the entry point the API and the binary use.

pub mod callback;
pub mod carrier;
pub mod compliance;
pub mod service;
pub mod status;

pub use service::{Accepted, MtError, MtRequest, MtService, Routes};
pub use status::MessageStatus;

/// The `[mt]` section of the config.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MtConfig {
    /// Quiet-hours windows, per program.
    pub quiet_hours: Vec<compliance::QuietHours>,
    /// Status callback retries.
    pub callbacks: callback::CallbackSettings,
    /// Signs status callbacks of keys without their own `callback_secret` (`whsec_...`).
    pub callback_secret: Option<String>,
    /// Messages being submitted at once (default 256).
    pub max_in_flight: Option<usize>,
}
