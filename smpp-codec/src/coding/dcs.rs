//! What a `data_coding` octet means: SMPP 5.0 §4.7.7 for 0x00..0x0F, 3GPP TS 23.038 §4 coding groups above.

use super::DefaultAlphabet;

/// The character set a `data_coding` announces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Alphabet {
    /// GSM 7-bit default alphabet (national tables per the UDH), packed or one septet per octet.
    Gsm7 {
        /// Eight septets in seven octets.
        packed: bool,
    },
    /// UCS-2 (UTF-16BE).
    Ucs2,
    /// ISO-8859-1.
    Latin1,
    /// IA5 / ASCII.
    Ascii,
    /// 8-bit data, not text.
    EightBit,
    /// A character set or coding group this crate does not decode.
    Unsupported(&'static str),
}

/// The message class of TS 23.038 §4 (bits 1..0 when the class is announced).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MessageClass {
    /// Class 0: shown at once ("flash SMS"), not necessarily stored.
    Class0,
    /// Class 1: default meaning, ME-specific.
    Class1,
    /// Class 2: SIM-specific.
    Class2,
    /// Class 3: TE-specific.
    Class3,
}

impl MessageClass {
    fn from_bits(bits: u8) -> MessageClass {
        match bits & 3 {
            0 => MessageClass::Class0,
            1 => MessageClass::Class1,
            2 => MessageClass::Class2,
            _ => MessageClass::Class3,
        }
    }
}

/// A message waiting indication (TS 23.038 §4, coding groups 0xC0..0xEF).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct WaitingIndication {
    /// `false` for the "discard message" group (0xC0..0xCF): the text may be dropped.
    pub store: bool,
    /// Bit 3: the indication is set (`true`) or cleared.
    pub active: bool,
    /// Bits 1..0: 0 voicemail, 1 fax, 2 e-mail, 3 other.
    pub kind: u8,
}

/// A `data_coding` octet, interpreted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Dcs {
    /// The character set.
    pub alphabet: Alphabet,
    /// The message class, when announced.
    pub class: Option<MessageClass>,
    /// Compressed text (TS 23.038 §4 bit 5 of groups 00xx / 01xx).
    pub compressed: bool,
    /// "Marked for automatic deletion" group (01xx xxxx).
    pub auto_delete: bool,
    /// Message waiting indication groups (0xC0..0xEF).
    pub indication: Option<WaitingIndication>,
}

impl Dcs {
    /// Interprets `data_coding`, with `default` saying what 0x00 means on this bind and whether
    /// GSM 7-bit text is packed there.
    ///
    /// 0x00..0x0F follow SMPP 5.0 §4.7.7 (0x01 IA5, 0x02/0x04 binary, 0x03 Latin-1, 0x08 UCS-2,
    /// others unsupported), the rest TS 23.038 §4: general data coding 0x10..0x3F and automatic
    /// deletion 0x40..0x7F (bits 3..2: 00 GSM, 01 8-bit, 10 UCS-2, 11 reserved; bit 5 compressed;
    /// bit 4 class present), reserved groups 0x80..0xBF, message waiting 0xC0..0xDF (GSM) and
    /// 0xE0..0xEF (UCS-2), message class 0xF0..0xFF (bit 2: GSM or 8-bit).
    pub fn interpret(data_coding: u8, default: DefaultAlphabet) -> Dcs {
        let gsm = Alphabet::Gsm7 {
            packed: default.gsm_packed(),
        };
        let plain = |alphabet| Dcs {
            alphabet,
            class: None,
            compressed: false,
            auto_delete: false,
            indication: None,
        };
        match data_coding {
            0x00 => plain(match default {
                DefaultAlphabet::GsmUnpacked | DefaultAlphabet::GsmPacked => gsm,
                DefaultAlphabet::Latin1 => Alphabet::Latin1,
                DefaultAlphabet::Ascii => Alphabet::Ascii,
            }),
            0x01 => plain(Alphabet::Ascii),
            0x02 | 0x04 => plain(Alphabet::EightBit),
            0x03 => plain(Alphabet::Latin1),
            0x05 => plain(Alphabet::Unsupported("JIS X 0208-1990")),
            0x06 => plain(Alphabet::Unsupported("Cyrillic ISO-8859-5")),
            0x07 => plain(Alphabet::Unsupported("Latin/Hebrew ISO-8859-8")),
            0x08 => plain(Alphabet::Ucs2),
            0x09 => plain(Alphabet::Unsupported("pictogram encoding")),
            0x0A => plain(Alphabet::Unsupported("ISO-2022-JP music codes")),
            0x0D => plain(Alphabet::Unsupported("extended Kanji JIS X 0212-1990")),
            0x0E => plain(Alphabet::Unsupported("KS C 5601")),
            0x0B | 0x0C | 0x0F => plain(Alphabet::Unsupported("reserved")),
            0x10..=0x7F => {
                let alphabet = match (data_coding >> 2) & 3 {
                    0 => gsm,
                    1 => Alphabet::EightBit,
                    2 => Alphabet::Ucs2,
                    _ => Alphabet::Unsupported("reserved alphabet"),
                };
                Dcs {
                    alphabet,
                    class: (data_coding & 0x10 != 0).then(|| MessageClass::from_bits(data_coding)),
                    compressed: data_coding & 0x20 != 0,
                    auto_delete: data_coding & 0x40 != 0,
                    indication: None,
                }
            }
            0x80..=0xBF => plain(Alphabet::Unsupported("reserved coding group")),
            0xC0..=0xEF => Dcs {
                indication: Some(WaitingIndication {
                    store: data_coding >= 0xD0,
                    active: data_coding & 0x08 != 0,
                    kind: data_coding & 3,
                }),
                ..plain(if data_coding >= 0xE0 {
                    Alphabet::Ucs2
                } else {
                    gsm
                })
            },
            0xF0..=0xFF => Dcs {
                class: Some(MessageClass::from_bits(data_coding)),
                ..plain(if data_coding & 0x04 != 0 {
                    Alphabet::EightBit
                } else {
                    gsm
                })
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups() {
        let d = DefaultAlphabet::GsmUnpacked;
        assert_eq!(
            Dcs::interpret(0, d).alphabet,
            Alphabet::Gsm7 { packed: false }
        );
        assert_eq!(
            Dcs::interpret(0, DefaultAlphabet::GsmPacked).alphabet,
            Alphabet::Gsm7 { packed: true }
        );
        assert_eq!(
            Dcs::interpret(0, DefaultAlphabet::Latin1).alphabet,
            Alphabet::Latin1
        );
        assert_eq!(Dcs::interpret(0x08, d).alphabet, Alphabet::Ucs2);
        assert_eq!(Dcs::interpret(0x03, d).alphabet, Alphabet::Latin1);
        assert_eq!(Dcs::interpret(0x01, d).alphabet, Alphabet::Ascii);
        assert_eq!(Dcs::interpret(0x04, d).alphabet, Alphabet::EightBit);
        let flash = Dcs::interpret(0x10, d);
        assert_eq!(flash.class, Some(MessageClass::Class0));
        assert_eq!(flash.alphabet, Alphabet::Gsm7 { packed: false });
        assert_eq!(Dcs::interpret(0x18, d).alphabet, Alphabet::Ucs2);
        assert!(Dcs::interpret(0x20, d).compressed);
        assert!(Dcs::interpret(0x48, d).auto_delete);
        assert_eq!(Dcs::interpret(0xF0, d).class, Some(MessageClass::Class0));
        assert_eq!(Dcs::interpret(0xF6, d).alphabet, Alphabet::EightBit);
        assert_eq!(Dcs::interpret(0xE8, d).alphabet, Alphabet::Ucs2);
        let mwi = Dcs::interpret(0xC8, d);
        assert_eq!(mwi.alphabet, Alphabet::Gsm7 { packed: false });
        assert_eq!(
            mwi.indication,
            Some(WaitingIndication {
                store: false,
                active: true,
                kind: 0
            })
        );
        assert!(matches!(
            Dcs::interpret(0x90, d).alphabet,
            Alphabet::Unsupported(_)
        ));
    }
}
