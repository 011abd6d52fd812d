//! The user data header (3GPP TS 23.040 §9.2.3.24): parsing it off a short message, typed views
//! of the information elements this crate uses, and building one.
//!
//! ```
//! use bytes::Bytes;
//! use smpp_codec::concat::{Concat, MessageRef, Udh};
//!
//! let sm = Bytes::from_static(&[0x05, 0x00, 0x03, 0xCC, 0x02, 0x01, b'h', b'i']);
//! let (udh, payload) = Udh::parse(&sm).unwrap();
//! assert_eq!(
//!     udh.concat(),
//!     Some(Concat { reference: MessageRef::Udh8(0xCC), total: 2, seq: 1 })
//! );
//! assert_eq!(&payload[..], b"hi");
//! let again = Udh::builder().concat_8(0xCC, 2, 1).build().unwrap();
//! assert_eq!(again, udh);
//! assert_eq!(&again.to_bytes()[..], &sm[..6]);
//! ```

use bytes::{BufMut, Bytes, BytesMut};
use std::fmt;

use super::MessageRef;
use crate::status::CommandStatus;

/// The UDHI bit of `esm_class` (SMPP 5.0 §4.7.12): `short_message` (or `message_payload`)
/// starts with a user data header.
pub const UDHI: u8 = 0x40;

/// Information element identifiers (3GPP TS 23.040 §9.2.3.24, Table 9.2.3.24) this crate names.
pub mod iei {
    /// Concatenated short messages, 8-bit reference (§9.2.3.24.1): reference, total, sequence.
    pub const CONCAT_8: u8 = 0x00;
    /// Application port addressing, 8-bit ports (§9.2.3.24.3): destination, originator.
    pub const PORT_8: u8 = 0x04;
    /// Application port addressing, 16-bit ports (§9.2.3.24.4): destination, originator.
    pub const PORT_16: u8 = 0x05;
    /// Concatenated short messages, 16-bit reference (§9.2.3.24.8): reference (2), total, sequence.
    pub const CONCAT_16: u8 = 0x08;
    /// National language single shift (§9.2.3.24.15): the language's identifier (TS 23.038 §6.2.1.2.4).
    pub const NATIONAL_SINGLE_SHIFT: u8 = 0x24;
    /// National language locking shift (§9.2.3.24.16): the language's identifier (TS 23.038 §6.2.1.2.4).
    pub const NATIONAL_LOCKING_SHIFT: u8 = 0x25;
}

/// The largest header: the length octet (UDHL) is one octet.
pub const MAX_IES_LEN: usize = 255;

/// The data length a known information element must have, `None` for the others.
fn fixed_len(id: u8) -> Option<u8> {
    match id {
        iei::CONCAT_8 => Some(3),
        iei::PORT_8 => Some(2),
        iei::PORT_16 => Some(4),
        iei::CONCAT_16 => Some(4),
        iei::NATIONAL_SINGLE_SHIFT | iei::NATIONAL_LOCKING_SHIFT => Some(1),
        _ => None,
    }
}

/// Why a user data header could not be read or built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UdhError {
    /// UDHI is set but the user data is empty.
    #[error(
        "esm_class has UDHI (0x40) set but the user data is empty: clear UDHI or add the header"
    )]
    Empty,
    /// The header length (UDHL) runs past the end of the user data.
    #[error("user data header length {udhl} exceeds the {available} octets that follow it")]
    Truncated {
        /// The header length read.
        udhl: u8,
        /// Octets available after the length octet.
        available: usize,
    },
    /// An information element runs past the end of the header.
    #[error("information element {iei:#04x} at offset {offset} runs past the end of the header")]
    Overrun {
        /// Its identifier.
        iei: u8,
        /// Its offset within the information elements.
        offset: usize,
    },
    /// A known information element with the wrong data length.
    #[error("information element {iei:#04x} has {len} data octets, the spec says {expected}")]
    BadIeLength {
        /// Its identifier.
        iei: u8,
        /// The length found.
        len: u8,
        /// The length its definition requires.
        expected: u8,
    },
    /// A built header would exceed what its one-octet length can say.
    #[error("user data header of {len} octets exceeds the maximum of 255 (after the length octet)")]
    TooLong {
        /// The information elements' total size.
        len: usize,
    },
}

impl UdhError {
    /// The `command_status` an MC answers a submission with such a header with
    /// (`ESME_RINVMSGLEN`: the user data is not what its header says). An ESME rejecting such a
    /// `deliver_sm` answers `ESME_RX_P_APPN` instead.
    pub fn command_status(&self) -> CommandStatus {
        CommandStatus::ESME_RINVMSGLEN
    }
}

/// One information element, borrowed from its header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IeRef<'a> {
    /// The identifier (IEI).
    pub iei: u8,
    /// The data octets (after the IEI and its length octet).
    pub data: &'a [u8],
}

/// Concatenation information: from the 8-bit (0x00) or 16-bit (0x08) UDH element, or the SAR TLVs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Concat {
    /// The message reference, shared by every part of one message.
    pub reference: MessageRef,
    /// How many parts the message has (1..=255).
    pub total: u8,
    /// This part's number, from 1.
    pub seq: u8,
}

/// A user data header: its information elements, kept byte-exact as received (order and
/// repeats preserved), checked to be well-framed and to give the known elements their
/// spec'd lengths. Typed views parse on demand; where an element appears more than once the
/// last one counts (TS 23.040 §9.2.3.24).
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Udh(Bytes);

impl Udh {
    /// A header without elements (encodes as the single octet `00`).
    pub const fn empty() -> Self {
        Udh(Bytes::new())
    }

    /// A builder for a new header.
    pub fn builder() -> UdhBuilder {
        UdhBuilder::default()
    }

    /// Reads the header at the start of `user_data` (the UDHL octet first). Returns it and the
    /// rest of the user data; both are views of `user_data`.
    pub fn parse(user_data: &Bytes) -> Result<(Udh, Bytes), UdhError> {
        let (&udhl, rest) = user_data.split_first().ok_or(UdhError::Empty)?;
        let len = usize::from(udhl);
        if rest.len() < len {
            return Err(UdhError::Truncated {
                udhl,
                available: rest.len(),
            });
        }
        let udh = Udh::from_ies(user_data.slice(1..1 + len))?;
        Ok((udh, user_data.slice(1 + len..)))
    }

    /// Splits `user_data` (a `short_message` or `message_payload`) by `esm_class`: with UDHI set,
    /// the header and the rest; without, no header and all of it.
    pub fn split(esm_class: u8, user_data: &Bytes) -> Result<(Option<Udh>, Bytes), UdhError> {
        if esm_class & UDHI == 0 {
            return Ok((None, user_data.clone()));
        }
        let (udh, rest) = Udh::parse(user_data)?;
        Ok((Some(udh), rest))
    }

    /// Wraps the information elements (the header without its UDHL octet), after checking them.
    pub fn from_ies(ies: Bytes) -> Result<Udh, UdhError> {
        if ies.len() > MAX_IES_LEN {
            return Err(UdhError::TooLong { len: ies.len() });
        }
        check_ies(&ies)?;
        Ok(Udh(ies))
    }

    /// The information elements, as on the wire, without the UDHL octet.
    pub fn ies(&self) -> &[u8] {
        &self.0
    }

    /// `true` when there are no elements.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Encoded size in octets, UDHL included.
    pub fn encoded_len(&self) -> usize {
        1 + self.0.len()
    }

    /// Appends the header (UDHL first).
    pub fn encode(&self, buf: &mut BytesMut) {
        buf.reserve(self.encoded_len());
        // At most 255 octets: checked when the header was made.
        buf.put_u8(self.0.len() as u8);
        buf.put_slice(&self.0);
    }

    /// The header (UDHL first) in a new buffer.
    pub fn to_bytes(&self) -> Bytes {
        let mut buf = BytesMut::with_capacity(self.encoded_len());
        self.encode(&mut buf);
        buf.freeze()
    }

    /// The elements in wire order.
    pub fn iter(&self) -> IeIter<'_> {
        IeIter { rest: &self.0 }
    }

    /// The data of the last element with this identifier.
    pub fn get(&self, iei: u8) -> Option<&[u8]> {
        self.iter()
            .filter(|ie| ie.iei == iei)
            .last()
            .map(|ie| ie.data)
    }

    /// The concatenation element (8- or 16-bit reference; the last one when there are several).
    pub fn concat(&self) -> Option<Concat> {
        self.iter()
            .filter_map(|ie| match (ie.iei, ie.data) {
                (iei::CONCAT_8, &[r, total, seq]) => Some(Concat {
                    reference: MessageRef::Udh8(r),
                    total,
                    seq,
                }),
                (iei::CONCAT_16, &[r0, r1, total, seq]) => Some(Concat {
                    reference: MessageRef::Udh16(u16::from_be_bytes([r0, r1])),
                    total,
                    seq,
                }),
                _ => None,
            })
            .last()
    }

    /// The national language single shift table's identifier (element 0x24).
    pub fn national_single_shift(&self) -> Option<u8> {
        self.get(iei::NATIONAL_SINGLE_SHIFT)
            .and_then(|d| d.first().copied())
    }

    /// The national language locking shift table's identifier (element 0x25).
    pub fn national_locking_shift(&self) -> Option<u8> {
        self.get(iei::NATIONAL_LOCKING_SHIFT)
            .and_then(|d| d.first().copied())
    }

    /// A copy without the concatenation elements (0x00, 0x08): what every part of a message
    /// shares.
    pub fn without_concat(&self) -> Udh {
        let mut buf = BytesMut::with_capacity(self.0.len());
        for ie in self
            .iter()
            .filter(|ie| ie.iei != iei::CONCAT_8 && ie.iei != iei::CONCAT_16)
        {
            put_ie(&mut buf, ie.iei, ie.data);
        }
        Udh(buf.freeze())
    }
}

fn check_ies(ies: &[u8]) -> Result<(), UdhError> {
    let mut off = 0;
    while off < ies.len() {
        let id = ies[off];
        let Some(&len) = ies.get(off + 1) else {
            return Err(UdhError::Overrun {
                iei: id,
                offset: off,
            });
        };
        if ies.len() - off - 2 < usize::from(len) {
            return Err(UdhError::Overrun {
                iei: id,
                offset: off,
            });
        }
        if let Some(expected) = fixed_len(id) {
            if len != expected {
                return Err(UdhError::BadIeLength {
                    iei: id,
                    len,
                    expected,
                });
            }
        }
        off += 2 + usize::from(len);
    }
    Ok(())
}

fn put_ie(buf: &mut BytesMut, id: u8, data: &[u8]) {
    buf.put_u8(id);
    buf.put_u8(data.len() as u8);
    buf.put_slice(data);
}

impl fmt::Debug for Udh {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.iter().map(|ie| (ie.iei, ie.data)))
            .finish()
    }
}

impl<'a> IntoIterator for &'a Udh {
    type Item = IeRef<'a>;
    type IntoIter = IeIter<'a>;
    fn into_iter(self) -> IeIter<'a> {
        self.iter()
    }
}

/// Iterator over the elements of a [`Udh`].
#[derive(Clone, Debug)]
pub struct IeIter<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for IeIter<'a> {
    type Item = IeRef<'a>;
    fn next(&mut self) -> Option<IeRef<'a>> {
        // Checked at construction; a short tail simply ends iteration.
        let (&[id, len], rest) = self.rest.split_first_chunk::<2>()?;
        let data = rest.get(..usize::from(len))?;
        self.rest = &rest[usize::from(len)..];
        Some(IeRef { iei: id, data })
    }
}

/// Builds a [`Udh`] element by element, in order.
#[derive(Clone, Debug, Default)]
pub struct UdhBuilder {
    buf: BytesMut,
}

impl UdhBuilder {
    /// Appends any element; a known one must have its spec'd length, and data is at most 253 octets.
    pub fn push(mut self, id: u8, data: &[u8]) -> Result<Self, UdhError> {
        if data.len() > MAX_IES_LEN - 2 {
            return Err(UdhError::TooLong {
                len: self.buf.len() + 2 + data.len(),
            });
        }
        let len = data.len() as u8;
        if let Some(expected) = fixed_len(id) {
            if len != expected {
                return Err(UdhError::BadIeLength {
                    iei: id,
                    len,
                    expected,
                });
            }
        }
        put_ie(&mut self.buf, id, data);
        Ok(self)
    }

    fn push_known(mut self, id: u8, data: &[u8]) -> Self {
        put_ie(&mut self.buf, id, data);
        self
    }

    /// Appends a concatenation element with an 8-bit reference (0x00).
    pub fn concat_8(self, reference: u8, total: u8, seq: u8) -> Self {
        self.push_known(iei::CONCAT_8, &[reference, total, seq])
    }

    /// Appends a concatenation element with a 16-bit reference (0x08).
    pub fn concat_16(self, reference: u16, total: u8, seq: u8) -> Self {
        let r = reference.to_be_bytes();
        self.push_known(iei::CONCAT_16, &[r[0], r[1], total, seq])
    }

    /// Appends the concatenation element for `concat`: 0x00 for an 8-bit reference, 0x08 for the
    /// others (a SAR reference is 16 bits).
    pub fn concat(self, concat: Concat) -> Self {
        match concat.reference {
            MessageRef::Udh8(r) => self.concat_8(r, concat.total, concat.seq),
            MessageRef::Udh16(r) | MessageRef::Sar(r) => {
                self.concat_16(r, concat.total, concat.seq)
            }
        }
    }

    /// Appends a national language single shift element (0x24).
    pub fn national_single_shift(self, language: u8) -> Self {
        self.push_known(iei::NATIONAL_SINGLE_SHIFT, &[language])
    }

    /// Appends a national language locking shift element (0x25).
    pub fn national_locking_shift(self, language: u8) -> Self {
        self.push_known(iei::NATIONAL_LOCKING_SHIFT, &[language])
    }

    /// Appends every element of `udh`.
    pub fn extend(mut self, udh: &Udh) -> Self {
        self.buf.extend_from_slice(udh.ies());
        self
    }

    /// The finished header; refused when its elements exceed 255 octets.
    pub fn build(self) -> Result<Udh, UdhError> {
        if self.buf.len() > MAX_IES_LEN {
            return Err(UdhError::TooLong {
                len: self.buf.len(),
            });
        }
        Ok(Udh(self.buf.freeze()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors() {
        let p = |b: &'static [u8]| Udh::parse(&Bytes::from_static(b)).map(|(u, _)| u);
        assert_eq!(p(&[]), Err(UdhError::Empty));
        assert_eq!(
            p(&[5, 0, 3, 1]),
            Err(UdhError::Truncated {
                udhl: 5,
                available: 3
            })
        );
        assert_eq!(p(&[1, 0]), Err(UdhError::Overrun { iei: 0, offset: 0 }));
        assert_eq!(
            p(&[3, 0x70, 2, 1]),
            Err(UdhError::Overrun {
                iei: 0x70,
                offset: 0
            })
        );
        assert_eq!(
            p(&[4, 0, 2, 1, 2]),
            Err(UdhError::BadIeLength {
                iei: 0,
                len: 2,
                expected: 3
            })
        );
        assert_eq!(p(&[0]), Ok(Udh::empty()));
        assert_eq!(p(&[2, 0x70, 0]).unwrap().get(0x70), Some(&[][..]));
        assert!(Udh::builder().push(0x70, &[0; 254]).is_err());
        assert!(
            Udh::builder()
                .push(0x70, &[0; 200])
                .unwrap()
                .push(0x71, &[0; 60])
                .unwrap()
                .build()
                .is_err()
        );
        assert!(Udh::builder().push(iei::CONCAT_8, &[1, 2]).is_err());
    }

    #[test]
    fn last_occurrence_wins_and_without_concat() {
        let udh = Udh::builder()
            .national_single_shift(1)
            .concat_8(7, 3, 1)
            .concat_16(0x1234, 4, 2)
            .national_single_shift(2)
            .build()
            .unwrap();
        assert_eq!(udh.national_single_shift(), Some(2));
        assert_eq!(
            udh.concat(),
            Some(Concat {
                reference: MessageRef::Udh16(0x1234),
                total: 4,
                seq: 2
            })
        );
        let shared = udh.without_concat();
        assert_eq!(shared.ies(), &[0x24, 1, 1, 0x24, 1, 2]);
        assert_eq!(shared.concat(), None);
    }
}
