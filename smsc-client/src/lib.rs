//! Async SMPP sessions over smpp-codec: the sans-IO session core, the tokio ESME client and SMSC side, TLS, metrics, and the `smpp` tool.

pub mod cli;
pub mod esme;
pub mod metrics;
pub mod net;
pub mod pool;
pub mod session;
pub mod sim;
pub mod smsc;
pub mod tls;
