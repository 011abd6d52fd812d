//! Sans-IO framing: splits whole PDUs off a receive buffer without copying (the same rules as
//! `smpp_codec::framing::SmppCodec`, without tokio-util).

use bytes::{Buf, Bytes, BytesMut};
use smpp_codec::Header;
use smpp_codec::header::HEADER_LEN;

/// What the framer found at the front of the buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// One whole PDU (`command_length` octets), split off the buffer without copying.
    Pdu(Bytes),
    /// A `command_length` above the maximum: answer `generic_nack` with `ESME_RINVCMDLEN`
    /// (SMPP 5.0 §2.8.2, "the command_length of the PDU appeared too large"). Its octets are
    /// dropped as they arrive, never buffered.
    TooLong(Header),
    /// A `command_length` below the 16-octet header: there is no way to find the next PDU.
    /// Answer `generic_nack` with `ESME_RINVCMDLEN` and close the session.
    Desynchronised(Header),
}

/// Splits PDUs off a byte stream.
#[derive(Debug, Clone)]
pub struct Framer {
    max_command_length: usize,
    /// Octets of an over-long PDU still to drop.
    skip: usize,
}

impl Framer {
    /// A framer that refuses PDUs longer than `max_command_length`.
    pub fn new(max_command_length: usize) -> Self {
        Framer {
            max_command_length,
            skip: 0,
        }
    }

    /// Changes the length limit.
    pub fn set_max_command_length(&mut self, max_command_length: usize) {
        self.max_command_length = max_command_length;
    }

    /// The next frame, or `None` when `buf` does not hold a whole one yet.
    pub fn next_frame(&mut self, buf: &mut BytesMut) -> Option<Frame> {
        if self.skip > 0 {
            let n = self.skip.min(buf.len());
            buf.advance(n);
            self.skip -= n;
            if self.skip > 0 {
                return None;
            }
        }
        let header = Header::peek(buf)?;
        let len = header.command_length as usize;
        if len < HEADER_LEN {
            return Some(Frame::Desynchronised(header));
        }
        if len > self.max_command_length {
            let n = len.min(buf.len());
            buf.advance(n);
            self.skip = len - n;
            return Some(Frame::TooLong(header));
        }
        if buf.len() < len {
            return None;
        }
        Some(Frame::Pdu(buf.split_to(len).freeze()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use smpp_codec::{Body, Pdu};

    #[test]
    fn splits_waits_skips_and_desyncs() {
        let mut f = Framer::new(64);
        let el = Pdu::new(1, Body::EnquireLink).unwrap().encode().unwrap();
        let mut buf = BytesMut::new();
        buf.extend_from_slice(&el[..15]);
        assert_eq!(f.next_frame(&mut buf), None);
        buf.extend_from_slice(&el[15..]);
        let mut big = [0u8; 100];
        big[..4].copy_from_slice(&100u32.to_be_bytes());
        big[4..8].copy_from_slice(&4u32.to_be_bytes());
        big[12..16].copy_from_slice(&9u32.to_be_bytes());
        buf.extend_from_slice(&big[..40]);
        assert_eq!(f.next_frame(&mut buf), Some(Frame::Pdu(el.clone())));
        match f.next_frame(&mut buf) {
            Some(Frame::TooLong(h)) => assert_eq!(h.sequence_number, 9),
            other => panic!("{other:?}"),
        }
        assert_eq!(f.next_frame(&mut buf), None);
        buf.extend_from_slice(&big[40..]);
        buf.extend_from_slice(&el);
        assert_eq!(f.next_frame(&mut buf), Some(Frame::Pdu(el)));
        assert!(buf.is_empty());
        buf.extend_from_slice(&[0, 0, 0, 8, 0, 0, 0, 0x15, 0, 0, 0, 0, 0, 0, 0, 1]);
        assert!(matches!(
            f.next_frame(&mut buf),
            Some(Frame::Desynchronised(_))
        ));
    }
}
