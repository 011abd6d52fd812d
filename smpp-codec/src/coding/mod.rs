//! Text encodings of SMS: GSM 03.38 (with national tables), UCS-2, Latin-1, ASCII, binary; encoding choice and segment counting.
//!
//! The pieces, one file each:
//! - [`gsm7`]: the GSM 7-bit default alphabet and its extension table (3GPP TS 23.038 §6.2.1),
//!   septets unpacked (one per octet) and packed (with the fill bits that follow a UDH).
//! - [`national`]: the national language locking-shift and single-shift tables (TS 23.038
//!   §6.2.1.2, Annex A), chosen by the UDH information elements 0x25 and 0x24.
//! - [`ucs2`]: UCS-2 as UTF-16BE, surrogate pairs included.
//! - [`latin1`] and [`ascii`]: ISO-8859-1 (`data_coding` 0x03) and IA5/ASCII (0x01).
//! - [`dcs`]: what a `data_coding` octet means (TS 23.038 §4 and SMPP 5.0 §4.7.7).
//! - [`plan`]: picking the cheapest encoding, counting segments the way carriers bill, and
//!   cutting a text into parts.
//! - [`translit`]: optional look-alike replacements (smart quotes, dashes, ...) that keep a text
//!   in the GSM alphabet.
//!
//! ```
//! use smpp_codec::coding::{self, DefaultAlphabet, Encoding, GsmTables, NationalShift};
//!
//! let enc = Encoding::Gsm7(GsmTables::DEFAULT);
//! let septets = coding::encode("1€", &enc).unwrap();
//! assert_eq!(septets, [0x31, 0x1B, 0x65]);
//! let text = coding::decode_text(&septets, enc.data_coding(), DefaultAlphabet::GsmUnpacked,
//!     NationalShift::NONE, 0).unwrap();
//! assert_eq!(text, "1€");
//! assert_eq!(coding::segments(&"a".repeat(161), &enc), 2);
//! ```

use std::borrow::Cow;

use crate::status::CommandStatus;

pub mod ascii;
pub mod dcs;
pub mod gsm7;
pub mod latin1;
pub mod national;
pub mod plan;
pub mod translit;
pub mod ucs2;

pub use dcs::{Alphabet, Dcs, MessageClass};
pub use national::NationalLanguage;
pub use plan::{Choice, choose, plan_parts, segments};

/// UDH information element identifier of the national language single shift (TS 23.040 §9.2.3.24.15).
pub const IEI_NATIONAL_SINGLE_SHIFT: u8 = 0x24;
/// UDH information element identifier of the national language locking shift (TS 23.040 §9.2.3.24.16).
pub const IEI_NATIONAL_LOCKING_SHIFT: u8 = 0x25;

/// Which GSM 7-bit tables are in force: a national locking-shift table replacing the default
/// alphabet, and a national single-shift table replacing the default extension table (reached
/// through the escape septet 0x1B). `None` means the default table.
///
/// Languages without a table of the requested kind (Spanish has no locking-shift table) act as
/// `None`: they are neither used nor announced in the UDH.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct GsmTables {
    /// The locking-shift table (UDH IE 0x25), replacing the default alphabet.
    pub locking: Option<NationalLanguage>,
    /// The single-shift table (UDH IE 0x24), replacing the default extension table.
    pub single: Option<NationalLanguage>,
}

/// The national tables a received message announced in its UDH (IEs 0x24 / 0x25). The same
/// shape as [`GsmTables`]; build it with [`GsmTables::from_ids`] or [`GsmTables::from_udh`].
pub type NationalShift = GsmTables;

impl GsmTables {
    /// The default alphabet and the default extension table.
    pub const DEFAULT: GsmTables = GsmTables {
        locking: None,
        single: None,
    };
    /// No national shift (same as [`GsmTables::DEFAULT`]).
    pub const NONE: GsmTables = GsmTables::DEFAULT;

    /// Tables from the language ids carried by the UDH IEs 0x25 (`locking`) and 0x24 (`single`).
    /// Ids this crate does not know mean the default table, as TS 23.040 §9.2.3.24.15/16 asks of a
    /// receiver that does not support the language.
    pub fn from_ids(locking: Option<u8>, single: Option<u8>) -> GsmTables {
        GsmTables {
            locking: locking.and_then(NationalLanguage::from_id),
            single: single.and_then(NationalLanguage::from_id),
        }
    }

    /// Tables from a user data header: `udh` is the header including its length octet (UDHL),
    /// as it starts the `short_message`. Unknown IEs are skipped; a malformed header yields the
    /// IEs read before the fault. The last occurrence of each IE wins.
    pub fn from_udh(udh: &[u8]) -> GsmTables {
        let Some((&udhl, rest)) = udh.split_first() else {
            return GsmTables::DEFAULT;
        };
        let mut ies = &rest[..usize::from(udhl).min(rest.len())];
        let (mut locking, mut single) = (None, None);
        while let [iei, len, tail @ ..] = ies {
            let len = usize::from(*len);
            if tail.len() < len {
                break;
            }
            let (data, next) = tail.split_at(len);
            match (*iei, data) {
                (IEI_NATIONAL_SINGLE_SHIFT, [id]) => single = Some(*id),
                (IEI_NATIONAL_LOCKING_SHIFT, [id]) => locking = Some(*id),
                _ => {}
            }
            ies = next;
        }
        GsmTables::from_ids(locking, single)
    }

    /// The locking-shift language actually in force (languages without such a table dropped).
    pub fn effective_locking(&self) -> Option<NationalLanguage> {
        self.locking.filter(|l| l.has_locking_shift())
    }

    /// The single-shift language actually in force.
    pub fn effective_single(&self) -> Option<NationalLanguage> {
        self.single.filter(|l| l.has_single_shift())
    }

    /// The `(IEI, language id)` pairs the UDH must carry for these tables: 0x24 for the single
    /// shift, 0x25 for the locking shift, each 3 octets in the UDH (IEI, length 1, id).
    pub fn udh_ies(&self) -> Vec<(u8, u8)> {
        let mut v = Vec::with_capacity(2);
        if let Some(l) = self.effective_locking() {
            v.push((IEI_NATIONAL_LOCKING_SHIFT, l.id()));
        }
        if let Some(l) = self.effective_single() {
            v.push((IEI_NATIONAL_SINGLE_SHIFT, l.id()));
        }
        v
    }

    /// Octets the shift IEs add to a UDH (3 per IE, the UDHL octet not included).
    pub fn udh_ie_octets(&self) -> usize {
        3 * (usize::from(self.effective_locking().is_some())
            + usize::from(self.effective_single().is_some()))
    }
}

/// How a text is carried in `short_message` / `message_payload`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// GSM 7-bit (TS 23.038 §6.2.1), with the national tables in force. [`encode`] gives unpacked
    /// septets (one per octet, escape pairs included); see [`gsm7::pack`] for the packed form.
    Gsm7(GsmTables),
    /// UCS-2 / UTF-16BE (`data_coding` 0x08); characters outside the BMP as surrogate pairs.
    Ucs2,
    /// ISO-8859-1 (`data_coding` 0x03).
    Latin1,
    /// IA5 / ASCII (`data_coding` 0x01).
    Ascii,
    /// 8-bit binary (`data_coding` 0x04). A text is carried as its UTF-8 octets, unchanged.
    Binary,
}

impl Encoding {
    /// The plain GSM 7-bit default alphabet.
    pub const GSM7: Encoding = Encoding::Gsm7(GsmTables::DEFAULT);

    /// The `data_coding` to send: GSM 7-bit 0x00, IA5 0x01, Latin-1 0x03, binary 0x04, UCS-2 0x08.
    ///
    /// 0x00 is the SMSC's default alphabet: it means GSM only on a bind whose
    /// [`DefaultAlphabet`] is GSM. On a bind whose default is Latin-1 or ASCII, send such text
    /// as [`Encoding::Latin1`] (or UCS-2) instead.
    pub fn data_coding(&self) -> u8 {
        match self {
            Encoding::Gsm7(_) => 0x00,
            Encoding::Ascii => 0x01,
            Encoding::Latin1 => 0x03,
            Encoding::Binary => 0x04,
            Encoding::Ucs2 => 0x08,
        }
    }

    /// The `(IEI, language id)` pairs the UDH of every part must carry (national shift tables
    /// only; empty for everything but [`Encoding::Gsm7`] with national tables).
    pub fn udh_ies(&self) -> Vec<(u8, u8)> {
        match self {
            Encoding::Gsm7(t) => t.udh_ies(),
            _ => Vec::new(),
        }
    }

    /// A short name for messages: `"GSM 7-bit"`, `"UCS-2"`, ...
    pub fn name(&self) -> &'static str {
        match self {
            Encoding::Gsm7(_) => "GSM 7-bit",
            Encoding::Ucs2 => "UCS-2",
            Encoding::Latin1 => "Latin-1",
            Encoding::Ascii => "ASCII",
            Encoding::Binary => "binary",
        }
    }
}

/// What `data_coding` 0x00 means on a bind: SMPP leaves it to the SMSC ("MC specific"), so it is
/// a per-bind setting, never a guess.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum DefaultAlphabet {
    /// GSM 7-bit, one septet per octet (what most SMSCs use over SMPP).
    #[default]
    GsmUnpacked,
    /// GSM 7-bit packed, 8 septets in 7 octets.
    GsmPacked,
    /// ISO-8859-1.
    Latin1,
    /// IA5 / ASCII.
    Ascii,
}

impl DefaultAlphabet {
    /// `true` when GSM 7-bit text on this bind is packed. Applies to every GSM `data_coding`
    /// (0x00, 0x10..0x13, 0xC0..0xDF, 0xF0..0xF3), not only to 0x00.
    pub fn gsm_packed(&self) -> bool {
        matches!(self, DefaultAlphabet::GsmPacked)
    }
}

/// Why a text could not be encoded or a payload decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodingError {
    /// The text holds a character the encoding cannot carry.
    #[error(
        "character {ch:?} (U+{:04X}) at byte {offset} cannot be encoded in {encoding}: pick the encoding with coding::choose, or transliterate with coding::translit",
        u32::from(*ch)
    )]
    Unencodable {
        /// The character.
        ch: char,
        /// Its byte offset in the text.
        offset: usize,
        /// The encoding's name.
        encoding: &'static str,
    },
    /// Unpacked GSM 7-bit text with an octet above 0x7F.
    #[error(
        "octet {octet:#04x} at offset {offset} is not a GSM septet (top bit set): the payload is not unpacked GSM 7-bit; check data_coding and the bind's default alphabet"
    )]
    NotSeptet {
        /// The octet.
        octet: u8,
        /// Its offset in the payload.
        offset: usize,
    },
    /// IA5/ASCII text with an octet above 0x7F.
    #[error("octet {octet:#04x} at offset {offset} is not ASCII: check data_coding")]
    NotAscii {
        /// The octet.
        octet: u8,
        /// Its offset in the payload.
        offset: usize,
    },
    /// UCS-2 payload of odd length (strict decoding only).
    #[error("UCS-2 payload of {len} octets: must be even")]
    OddLength {
        /// Octets in the payload.
        len: usize,
    },
    /// A UTF-16 surrogate without its pair (strict decoding only).
    #[error("lone UTF-16 surrogate {unit:#06x} at offset {offset}")]
    LoneSurrogate {
        /// The code unit.
        unit: u16,
        /// Its octet offset in the payload.
        offset: usize,
    },
    /// Packed GSM payload shorter than the septet count given.
    #[error(
        "{septets} packed septets after {fill_bits} fill bits need {needed} octets; the payload has {available}"
    )]
    Truncated {
        /// Septets asked for.
        septets: usize,
        /// Fill bits before the first septet.
        fill_bits: u8,
        /// Octets those need.
        needed: usize,
        /// Octets available.
        available: usize,
    },
    /// The `data_coding` announces 8-bit data, not text.
    #[error("data_coding {data_coding:#04x} carries 8-bit binary data, not text")]
    Binary {
        /// The `data_coding` octet.
        data_coding: u8,
    },
    /// The `data_coding` announces compressed text (TS 23.038 §4 bit 5), which is not supported.
    #[error(
        "data_coding {data_coding:#04x} announces compressed text (TS 23.038 §4), which is not supported"
    )]
    Compressed {
        /// The `data_coding` octet.
        data_coding: u8,
    },
    /// A `data_coding` this crate does not decode (JIS, Cyrillic, reserved groups, ...).
    #[error("data_coding {data_coding:#04x} ({what}) is not supported")]
    Unsupported {
        /// The `data_coding` octet.
        data_coding: u8,
        /// What it means.
        what: &'static str,
    },
}

impl CodingError {
    /// The `command_status` to answer a peer whose message failed here: `ESME_RINVMSGLEN` for a
    /// payload whose length does not fit its coding, `ESME_RINVDCS` otherwise.
    pub fn status(&self) -> CommandStatus {
        match self {
            CodingError::OddLength { .. } | CodingError::Truncated { .. } => {
                CommandStatus::ESME_RINVMSGLEN
            }
            _ => CommandStatus::ESME_RINVDCS,
        }
    }
}

/// Encodes `text` for `enc`: GSM 7-bit as unpacked septets (escape pairs included), UCS-2 as
/// UTF-16BE, Latin-1 and ASCII one octet per character, binary as the UTF-8 octets.
pub fn encode(text: &str, enc: &Encoding) -> Result<Vec<u8>, CodingError> {
    match enc {
        Encoding::Gsm7(t) => gsm7::encode(text, *t),
        Encoding::Ucs2 => Ok(ucs2::encode(text)),
        Encoding::Latin1 => latin1::encode(text),
        Encoding::Ascii => ascii::encode(text),
        Encoding::Binary => Ok(text.as_bytes().to_vec()),
    }
}

/// Decodes what [`encode`] produced (GSM unpacked). UCS-2 is lenient (see [`ucs2::decode`]);
/// binary must be UTF-8, else the invalid sequences become U+FFFD.
pub fn decode<'a>(payload: &'a [u8], enc: &Encoding) -> Result<Cow<'a, str>, CodingError> {
    match enc {
        Encoding::Gsm7(t) => gsm7::decode(payload, *t),
        Encoding::Ucs2 => Ok(Cow::Owned(ucs2::decode(payload))),
        Encoding::Latin1 => Ok(latin1::decode(payload)),
        Encoding::Ascii => ascii::decode(payload),
        Encoding::Binary => Ok(String::from_utf8_lossy(payload)),
    }
}

/// Decodes a received text (the octets after any UDH) by its `data_coding` (TS 23.038 §4, SMPP
/// 5.0 §4.7.7), with `default` saying what 0x00 means on this bind, `national` the shift tables
/// its UDH announced, and `fill_bits` the bits before the first septet of packed GSM text
/// ([`gsm7::fill_bits`] of the UDH length; 0 without UDH; ignored unless packed).
///
/// Packed GSM: the septet count is derived from the length; a last septet that is a CR filling
/// exactly the final 7 bits is padding (TS 23.038 §6.1.2.3.1) and dropped. UCS-2 is lenient:
/// a lone surrogate or a trailing odd octet becomes U+FFFD. Never panics.
pub fn decode_text(
    payload: &[u8],
    data_coding: u8,
    default: DefaultAlphabet,
    national: NationalShift,
    fill_bits: u8,
) -> Result<Cow<'_, str>, CodingError> {
    let dcs = Dcs::interpret(data_coding, default);
    if dcs.compressed {
        return Err(CodingError::Compressed { data_coding });
    }
    match dcs.alphabet {
        Alphabet::Gsm7 { packed: false } => gsm7::decode(payload, national),
        Alphabet::Gsm7 { packed: true } => {
            let septets = gsm7::unpack_all(payload, fill_bits);
            gsm7::decode(&septets, national).map(|t| Cow::Owned(t.into_owned()))
        }
        Alphabet::Ucs2 => Ok(Cow::Owned(ucs2::decode(payload))),
        Alphabet::Latin1 => Ok(latin1::decode(payload)),
        Alphabet::Ascii => ascii::decode(payload),
        Alphabet::EightBit => Err(CodingError::Binary { data_coding }),
        Alphabet::Unsupported(what) => Err(CodingError::Unsupported { data_coding, what }),
    }
}

/// Encodes `text` for a given `data_coding`, the inverse of [`decode_text`]: GSM 7-bit packed or
/// not per `default` (packed with `fill_bits` leading zero bits), with the `national` tables
/// (whose IEs the caller puts in the UDH: [`GsmTables::udh_ies`]). An 8-bit `data_coding` is
/// refused ([`CodingError::Binary`]): use [`encode`] with [`Encoding::Binary`] for raw octets.
pub fn encode_text(
    text: &str,
    data_coding: u8,
    default: DefaultAlphabet,
    national: NationalShift,
    fill_bits: u8,
) -> Result<Vec<u8>, CodingError> {
    let dcs = Dcs::interpret(data_coding, default);
    if dcs.compressed {
        return Err(CodingError::Compressed { data_coding });
    }
    match dcs.alphabet {
        Alphabet::Gsm7 { packed } => {
            let septets = gsm7::encode(text, national)?;
            Ok(if packed {
                gsm7::pack(&septets, fill_bits)
            } else {
                septets
            })
        }
        Alphabet::Ucs2 => Ok(ucs2::encode(text)),
        Alphabet::Latin1 => latin1::encode(text),
        Alphabet::Ascii => ascii::encode(text),
        Alphabet::EightBit => Err(CodingError::Binary { data_coding }),
        Alphabet::Unsupported(what) => Err(CodingError::Unsupported { data_coding, what }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GSM: DefaultAlphabet = DefaultAlphabet::GsmUnpacked;

    #[test]
    fn udh_tables() {
        // UDHL 11: concat (00 03 ..), single shift Turkish (24 01 01), locking Portuguese (25 01 03).
        let udh = [
            11, 0x00, 0x03, 0x2A, 0x02, 0x01, 0x24, 0x01, 0x01, 0x25, 0x01, 0x03,
        ];
        let t = GsmTables::from_udh(&udh);
        assert_eq!(t.single, Some(NationalLanguage::Turkish));
        assert_eq!(t.locking, Some(NationalLanguage::Portuguese));
        assert_eq!(t.udh_ies(), vec![(0x25, 3), (0x24, 1)]);
        assert_eq!(GsmTables::from_udh(&[]), GsmTables::DEFAULT);
        assert_eq!(GsmTables::from_udh(&[9, 0x24, 5]), GsmTables::DEFAULT);
        assert_eq!(
            GsmTables::from_ids(Some(99), Some(2)).single,
            Some(NationalLanguage::Spanish)
        );
        let spanish_locking = GsmTables {
            locking: Some(NationalLanguage::Spanish),
            single: None,
        };
        assert!(spanish_locking.udh_ies().is_empty());
        assert_eq!(Encoding::Ucs2.udh_ies(), vec![]);
    }

    #[test]
    fn decode_by_data_coding() {
        fn d(p: &[u8], dcs: u8) -> Result<Cow<'_, str>, CodingError> {
            decode_text(p, dcs, GSM, NationalShift::NONE, 0)
        }
        assert_eq!(d(&[0x00, 0x1B, 0x65], 0x00).unwrap(), "@€");
        assert_eq!(d(&[0x00, 0x1B, 0x65], 0xF0).unwrap(), "@€");
        assert_eq!(d(b"caf\xE9", 0x03).unwrap(), "café");
        assert_eq!(d(b"hi", 0x01).unwrap(), "hi");
        assert_eq!(d(&[0xD8, 0x3D, 0xDE, 0x00], 0x08).unwrap(), "😀");
        assert_eq!(d(&[0x00, 0x41], 0x18).unwrap(), "A");
        assert_eq!(d(b"x", 0x04), Err(CodingError::Binary { data_coding: 4 }));
        assert_eq!(
            d(b"x", 0xF4),
            Err(CodingError::Binary { data_coding: 0xF4 })
        );
        assert_eq!(
            d(b"x", 0x20),
            Err(CodingError::Compressed { data_coding: 0x20 })
        );
        assert!(matches!(
            d(b"x", 0x05),
            Err(CodingError::Unsupported { .. })
        ));
        // data_coding 0 follows the bind's setting.
        let latin = decode_text(
            b"caf\xE9",
            0,
            DefaultAlphabet::Latin1,
            NationalShift::NONE,
            0,
        );
        assert_eq!(latin.unwrap(), "café");
        let packed = [0xE8, 0x32, 0x9B, 0xFD, 0x46, 0x97, 0xD9, 0xEC, 0x37];
        let text = decode_text(
            &packed,
            0,
            DefaultAlphabet::GsmPacked,
            NationalShift::NONE,
            0,
        );
        assert_eq!(text.unwrap(), "hellohello");
        // National tables from the UDH.
        let turkish = GsmTables::from_ids(Some(1), None);
        assert_eq!(decode_text(&[0x1D], 0, GSM, turkish, 0).unwrap(), "ş");
    }

    #[test]
    fn encode_by_data_coding() {
        let t = NationalShift::NONE;
        assert_eq!(encode_text("@€", 0, GSM, t, 0).unwrap(), [0x00, 0x1B, 0x65]);
        let packed = encode_text("hellohello", 0, DefaultAlphabet::GsmPacked, t, 0).unwrap();
        assert_eq!(
            packed,
            [0xE8, 0x32, 0x9B, 0xFD, 0x46, 0x97, 0xD9, 0xEC, 0x37]
        );
        assert_eq!(
            encode_text("é", 0, DefaultAlphabet::Latin1, t, 0).unwrap(),
            [0xE9]
        );
        assert_eq!(encode_text("é", 8, GSM, t, 0).unwrap(), [0x00, 0xE9]);
        assert!(encode_text("é", 1, GSM, t, 0).is_err());
        assert_eq!(
            encode_text("x", 4, GSM, t, 0),
            Err(CodingError::Binary { data_coding: 4 })
        );
        assert_eq!(
            encode_text("ж", 0, GSM, t, 0),
            Err(CodingError::Unencodable {
                ch: 'ж',
                offset: 0,
                encoding: "GSM 7-bit"
            })
        );
    }

    #[test]
    fn encodings() {
        assert_eq!(Encoding::GSM7.data_coding(), 0x00);
        assert_eq!(Encoding::Ascii.data_coding(), 0x01);
        assert_eq!(Encoding::Latin1.data_coding(), 0x03);
        assert_eq!(Encoding::Binary.data_coding(), 0x04);
        assert_eq!(Encoding::Ucs2.data_coding(), 0x08);
        for enc in [
            Encoding::GSM7,
            Encoding::Ucs2,
            Encoding::Latin1,
            Encoding::Ascii,
            Encoding::Binary,
        ] {
            let bytes = encode("Hi there", &enc).unwrap();
            assert_eq!(decode(&bytes, &enc).unwrap(), "Hi there", "{}", enc.name());
        }
        assert_eq!(
            CodingError::OddLength { len: 3 }.status(),
            CommandStatus::ESME_RINVMSGLEN
        );
    }
}
