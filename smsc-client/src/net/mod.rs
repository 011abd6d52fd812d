//! The tokio shell around the sans-IO session core: one driver task per connection
//! (`driver`), the handle the application holds to it (`link`), requests from the peer with
//! their responders ([`inbound`]), and what a request can end in ([`error`]). The ESME
//! ([`crate::esme`]) and SMSC ([`crate::smsc`]) sides are thin typed layers over these.

pub(crate) mod driver;
pub mod error;
pub mod inbound;
pub(crate) mod link;

pub use error::RequestError;
pub use inbound::{Inbound, InboundRequest, Responder};
