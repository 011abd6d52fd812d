//! Zero-copy SMPP 3.3/3.4/5.0 PDU codec: bytes in, typed PDUs out, and back. Sans-IO.
//!
//! ```
//! use bytes::Bytes;
//! use smpp_codec::{Pdu, Body, CommandStatus};
//!
//! let frame = Bytes::from_static(&[0, 0, 0, 16, 0, 0, 0, 0x15, 0, 0, 0, 0, 0, 0, 0, 7]);
//! let pdu = Pdu::decode(&frame).unwrap();
//! assert_eq!(pdu.body, Body::EnquireLink);
//! assert_eq!(pdu.sequence_number, 7);
//! let resp = Pdu::new(7, Body::EnquireLinkResp).unwrap();
//! assert_eq!(resp.encode().unwrap().len(), 16);
//! assert_eq!(resp.command_status, CommandStatus::ESME_ROK);
//! ```

pub mod coding;
pub mod concat;
pub mod error;
pub mod field;
#[cfg(feature = "tokio-codec")]
pub mod framing;
pub mod header;
pub mod pdu;
pub mod reassembly;
pub mod receipt;
pub mod status;
pub mod tlv;

pub use error::{BodyErrorKind, DecodeError, EncodeError};
pub use field::{COctetString, DecodeOptions, ShortMessage, SmppTime};
pub use header::{CommandId, Header};
pub use pdu::*;
pub use status::CommandStatus;
pub use tlv::{NetworkErrorCode, TlvRef, TlvTag, Tlvs, TlvsBuilder};
