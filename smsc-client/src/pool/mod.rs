//! Carrier bind pools: many binds to many carriers kept up for months. A carrier is a named
//! set of binds ([`CarrierConfig`]: hosts in failover order, credentials, bind mix, window,
//! TPS limits, text and message-id conventions); a [`Pool`] keeps every bind up (rebind with
//! backoff and jitter, host failover, `unbind` before closing), routes each MT message to a
//! carrier by destination prefix ([`RouteTable`]), sends its parts through a bound
//! transmitter with window room and TPS budget, pauses a carrier's queue on throttling while
//! keeping per-destination order, retries temporary failures, hands requests of a dropped
//! bind to another bind (marking possible duplicates), and resolves receipts from any RX/TRX
//! bind of the carrier to the caller's id ([`Correlator`]).
//!
//! Files: [`config`] (configuration, TOML), `pool` ([`Pool`], [`Ticket`]), `bind` (one bind's
//! supervisor), `dispatch` (a carrier's queue and sending), `limiter` (TPS), [`message`]
//! (messages and outcomes), [`receipts`] (receipts and MO events), [`correlation`],
//! [`routing`], [`state`] (bind and carrier reports), [`metrics`] (the `smpp_pool_*` series).

mod bind;
pub mod config;
pub mod correlation;
mod dispatch;
mod limiter;
pub mod message;
pub mod metrics;
#[allow(clippy::module_inception)]
mod pool;
pub mod receipts;
pub mod routing;
pub mod state;

pub use config::{
    BindMix, CarrierConfig, PoolConfig, PoolConfigError, RebindConfig, RetryConfig, RoutingConfig,
};
pub use correlation::{Correlation, CorrelationError, Correlator, MemoryCorrelator};
pub use message::{Content, OutboundMessage, Outcome, SubmitError, SubmitFailure};
pub use pool::{Pool, Ticket};
pub use receipts::{MoEvent, PoolEvent, PoolEvents, ReceiptEvent};
pub use routing::RouteTable;
pub use state::{BindPhase, BindStatus, CarrierStats};
