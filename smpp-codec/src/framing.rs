//! tokio-util `Decoder`/`Encoder` that frames PDUs on a byte stream (feature `tokio-codec`).
//!
//! Frames are split off the read buffer without copying and decoded zero-copy. A PDU that
//! frames but does not decode is yielded as `Ok(Some(Err(..)))`, so the session can answer it
//! and go on; a `command_length` over the maximum is answered the same way while its octets are
//! skipped as they arrive. Only a `command_length` below 16, which leaves no way to find the next
//! PDU, ends the stream with [`FramingError::Desynchronised`].

use bytes::{Buf, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

use crate::error::{DecodeError, EncodeError};
use crate::field::DecodeOptions;
use crate::header::{HEADER_LEN, Header};
use crate::pdu::Pdu;

/// A fatal stream error.
#[derive(Debug, thiserror::Error)]
pub enum FramingError {
    /// The transport failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// `command_length` below 16: the stream cannot be resynchronised. Send `generic_nack`
    /// with `ESME_RINVCMDLEN` (see the header) and close the session.
    #[error("command_length {} is below the 16-octet header: stream desynchronised", header.command_length)]
    Desynchronised {
        /// The offending header.
        header: Header,
    },
    /// A PDU could not be encoded.
    #[error("encode: {0}")]
    Encode(#[from] EncodeError),
}

/// Frames SMPP PDUs for `tokio_util::codec::Framed`.
#[derive(Clone, Debug, Default)]
pub struct SmppCodec {
    opts: DecodeOptions,
    /// Octets of an over-long PDU still to discard.
    skip: usize,
}

impl SmppCodec {
    /// A codec with the given decode options (`max_command_length` included).
    pub fn new(opts: DecodeOptions) -> Self {
        SmppCodec { opts, skip: 0 }
    }

    /// The decode options.
    pub fn options(&self) -> &DecodeOptions {
        &self.opts
    }

    /// Changes the decode options (e.g. the peer's interface version once bound).
    pub fn set_options(&mut self, opts: DecodeOptions) {
        self.opts = opts;
    }
}

impl Decoder for SmppCodec {
    type Item = Result<Pdu, DecodeError>;
    type Error = FramingError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Self::Item>, FramingError> {
        if self.skip > 0 {
            let n = self.skip.min(src.len());
            src.advance(n);
            self.skip -= n;
            if self.skip > 0 {
                return Ok(None);
            }
        }
        let Some(header) = Header::peek(src) else {
            src.reserve(HEADER_LEN);
            return Ok(None);
        };
        let len = header.command_length as usize;
        if len < HEADER_LEN {
            return Err(FramingError::Desynchronised { header });
        }
        if len > self.opts.max_command_length {
            // Answer it, then drop its octets without buffering them.
            let n = len.min(src.len());
            src.advance(n);
            self.skip = len - n;
            return Ok(Some(Err(DecodeError::InvalidCommandLength {
                command_length: header.command_length,
                available: len,
                header: Some(header),
            })));
        }
        if src.len() < len {
            src.reserve(len - src.len());
            return Ok(None);
        }
        let frame = src.split_to(len).freeze();
        Ok(Some(Pdu::decode_with(&frame, &self.opts)))
    }
}

impl Encoder<&Pdu> for SmppCodec {
    type Error = FramingError;

    fn encode(&mut self, pdu: &Pdu, dst: &mut BytesMut) -> Result<(), FramingError> {
        pdu.encode_into(dst).map_err(FramingError::from)
    }
}

impl Encoder<Pdu> for SmppCodec {
    type Error = FramingError;

    fn encode(&mut self, pdu: Pdu, dst: &mut BytesMut) -> Result<(), FramingError> {
        pdu.encode_into(dst).map_err(FramingError::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pdu::Body;
    use crate::status::CommandStatus;

    #[test]
    fn frames_split_and_oversize() {
        let mut c = SmppCodec::new(DecodeOptions {
            max_command_length: 64,
            ..DecodeOptions::default()
        });
        let el = Pdu::new(1, Body::EnquireLink).unwrap().encode().unwrap();
        let mut buf = BytesMut::new();
        buf.extend_from_slice(&el[..10]);
        assert!(c.decode(&mut buf).unwrap().is_none());
        buf.extend_from_slice(&el[10..]);
        // an over-long PDU (100 octets) that arrives in two pieces, then another enquire_link
        let mut big = [0u8; 100];
        big[..4].copy_from_slice(&100u32.to_be_bytes());
        big[4..8].copy_from_slice(&4u32.to_be_bytes());
        big[12..16].copy_from_slice(&9u32.to_be_bytes());
        buf.extend_from_slice(&big[..40]);
        let first = c.decode(&mut buf).unwrap().unwrap().unwrap();
        assert_eq!(first.body, Body::EnquireLink);
        let err = c.decode(&mut buf).unwrap().unwrap().unwrap_err();
        assert_eq!(err.command_status(), CommandStatus::ESME_RINVCMDLEN);
        assert_eq!(err.sequence_number(), Some(9));
        assert!(c.decode(&mut buf).unwrap().is_none());
        buf.extend_from_slice(&big[40..]);
        buf.extend_from_slice(&el);
        let again = c.decode(&mut buf).unwrap().unwrap().unwrap();
        assert_eq!(again.body, Body::EnquireLink);
        assert!(buf.is_empty());
        // below 16: fatal
        buf.extend_from_slice(&[0, 0, 0, 8, 0, 0, 0, 0x15, 0, 0, 0, 0, 0, 0, 0, 1]);
        assert!(matches!(
            c.decode(&mut buf),
            Err(FramingError::Desynchronised { .. })
        ));
    }
}
