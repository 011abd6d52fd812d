//! Async SMPP sessions over smpp-codec (ESME and SMSC side); for now the `smpp` tool's library part.

pub mod cli;
pub mod session;
