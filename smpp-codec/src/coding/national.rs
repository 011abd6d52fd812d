//! The national language identifiers and their locking-shift / single-shift tables (3GPP TS 23.038 §6.2.1.2, Annex A).
//!
//! A locking-shift table (UDH IE 0x25) replaces the default alphabet for the whole message; a
//! single-shift table (UDH IE 0x24) replaces the default extension table reached by the escape
//! septet 0x1B. The tables themselves live one language per file under `national/`.

use super::gsm7::Table;

mod bengali;
mod gujarati;
mod hindi;
mod kannada;
mod malayalam;
mod oriya;
mod portuguese;
mod punjabi;
mod spanish;
mod tamil;
mod telugu;
mod turkish;
mod urdu;

/// A national language of TS 23.038 §6.2.1.2.4, by its identifier (the value of the UDH IEs
/// 0x24 and 0x25).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum NationalLanguage {
    /// Turkish (1): locking and single shift.
    Turkish = 1,
    /// Spanish (2): single shift only (the standard defines no Spanish locking-shift table).
    Spanish = 2,
    /// Portuguese (3): locking and single shift.
    Portuguese = 3,
    /// Bengali (4): locking and single shift.
    Bengali = 4,
    /// Gujarati (5): locking and single shift.
    Gujarati = 5,
    /// Hindi (6): locking and single shift.
    Hindi = 6,
    /// Kannada (7): locking and single shift.
    Kannada = 7,
    /// Malayalam (8): locking and single shift.
    Malayalam = 8,
    /// Oriya (9): locking and single shift.
    Oriya = 9,
    /// Punjabi (10): locking and single shift.
    Punjabi = 10,
    /// Tamil (11): locking and single shift.
    Tamil = 11,
    /// Telugu (12): locking and single shift.
    Telugu = 12,
    /// Urdu (13): locking and single shift.
    Urdu = 13,
}

impl NationalLanguage {
    /// Every language, by identifier.
    pub const ALL: [NationalLanguage; 13] = [
        NationalLanguage::Turkish,
        NationalLanguage::Spanish,
        NationalLanguage::Portuguese,
        NationalLanguage::Bengali,
        NationalLanguage::Gujarati,
        NationalLanguage::Hindi,
        NationalLanguage::Kannada,
        NationalLanguage::Malayalam,
        NationalLanguage::Oriya,
        NationalLanguage::Punjabi,
        NationalLanguage::Tamil,
        NationalLanguage::Telugu,
        NationalLanguage::Urdu,
    ];

    /// The identifier carried in the UDH.
    pub fn id(self) -> u8 {
        self as u8
    }

    /// The language with identifier `id`, if this crate knows it.
    pub fn from_id(id: u8) -> Option<NationalLanguage> {
        NationalLanguage::ALL
            .get(usize::from(id).checked_sub(1)?)
            .copied()
    }

    /// The language's English name.
    pub fn name(self) -> &'static str {
        match self {
            NationalLanguage::Turkish => "Turkish",
            NationalLanguage::Spanish => "Spanish",
            NationalLanguage::Portuguese => "Portuguese",
            NationalLanguage::Bengali => "Bengali",
            NationalLanguage::Gujarati => "Gujarati",
            NationalLanguage::Hindi => "Hindi",
            NationalLanguage::Kannada => "Kannada",
            NationalLanguage::Malayalam => "Malayalam",
            NationalLanguage::Oriya => "Oriya",
            NationalLanguage::Punjabi => "Punjabi",
            NationalLanguage::Tamil => "Tamil",
            NationalLanguage::Telugu => "Telugu",
            NationalLanguage::Urdu => "Urdu",
        }
    }

    /// `true` when the standard defines a locking-shift table for the language (all but Spanish).
    pub fn has_locking_shift(self) -> bool {
        self.locking_table().is_some()
    }

    /// `true` when the standard defines a single-shift table for the language (all of them).
    pub fn has_single_shift(self) -> bool {
        self.single_table().is_some()
    }

    /// The character of `code` in the language's locking-shift table, if any.
    pub fn locking_char(self, code: u8) -> Option<char> {
        self.locking_table()?.char_at(code)
    }

    /// The character of `code` in the language's single-shift table (reached by `ESC code`).
    pub fn single_shift_char(self, code: u8) -> Option<char> {
        self.single_table()?.char_at(code)
    }

    pub(crate) fn locking_table(self) -> Option<&'static Table> {
        Some(match self {
            NationalLanguage::Turkish => &turkish::LOCKING,
            NationalLanguage::Spanish => return None,
            NationalLanguage::Portuguese => &portuguese::LOCKING,
            NationalLanguage::Bengali => &bengali::LOCKING,
            NationalLanguage::Gujarati => &gujarati::LOCKING,
            NationalLanguage::Hindi => &hindi::LOCKING,
            NationalLanguage::Kannada => &kannada::LOCKING,
            NationalLanguage::Malayalam => &malayalam::LOCKING,
            NationalLanguage::Oriya => &oriya::LOCKING,
            NationalLanguage::Punjabi => &punjabi::LOCKING,
            NationalLanguage::Tamil => &tamil::LOCKING,
            NationalLanguage::Telugu => &telugu::LOCKING,
            NationalLanguage::Urdu => &urdu::LOCKING,
        })
    }

    pub(crate) fn single_table(self) -> Option<&'static Table> {
        Some(match self {
            NationalLanguage::Turkish => &turkish::SINGLE,
            NationalLanguage::Spanish => &spanish::SINGLE,
            NationalLanguage::Portuguese => &portuguese::SINGLE,
            NationalLanguage::Bengali => &bengali::SINGLE,
            NationalLanguage::Gujarati => &gujarati::SINGLE,
            NationalLanguage::Hindi => &hindi::SINGLE,
            NationalLanguage::Kannada => &kannada::SINGLE,
            NationalLanguage::Malayalam => &malayalam::SINGLE,
            NationalLanguage::Oriya => &oriya::SINGLE,
            NationalLanguage::Punjabi => &punjabi::SINGLE,
            NationalLanguage::Tamil => &tamil::SINGLE,
            NationalLanguage::Telugu => &telugu::SINGLE,
            NationalLanguage::Urdu => &urdu::SINGLE,
        })
    }
}

impl std::fmt::Display for NationalLanguage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        for (i, l) in NationalLanguage::ALL.iter().enumerate() {
            assert_eq!(usize::from(l.id()), i + 1);
            assert_eq!(NationalLanguage::from_id(l.id()), Some(*l));
            assert!(l.has_single_shift());
            assert_eq!(l.has_locking_shift(), *l != NationalLanguage::Spanish);
        }
        assert_eq!(NationalLanguage::from_id(0), None);
        assert_eq!(NationalLanguage::from_id(14), None);
    }

    /// Spot checks against TS 23.038 Annex A.
    #[test]
    fn table_samples() {
        use NationalLanguage::*;
        let lock = |l: NationalLanguage, c| l.locking_char(c);
        let single = |l: NationalLanguage, c| l.single_shift_char(c);
        assert_eq!(lock(Turkish, 0x1D), Some('ş'));
        assert_eq!(lock(Turkish, 0x40), Some('İ'));
        assert_eq!(lock(Turkish, 0x04), Some('€'));
        assert_eq!(single(Turkish, 0x73), Some('ş'));
        assert_eq!(single(Turkish, 0x65), Some('€'));
        assert_eq!(single(Spanish, 0x09), Some('ç'));
        assert_eq!(single(Spanish, 0x6F), Some('ó'));
        assert_eq!(lock(Spanish, 0x00), None);
        assert_eq!(lock(Portuguese, 0x14), Some('À'));
        assert_eq!(lock(Portuguese, 0x60), Some('~'));
        assert_eq!(single(Portuguese, 0x05), Some('ê'));
        assert_eq!(single(Portuguese, 0x12), Some('Φ'));
        assert_eq!(lock(Hindi, 0x15), Some('\u{0915}'));
        assert_eq!(lock(Hindi, 0x60), Some('\u{0950}'));
        assert_eq!(single(Hindi, 0x19), Some('\u{0964}'));
        assert_eq!(lock(Bengali, 0x00), Some('\u{0981}'));
        assert_eq!(lock(Bengali, 0x0C), None);
        assert_eq!(lock(Kannada, 0x24), Some('\u{0CA1}'));
        assert_eq!(lock(Kannada, 0x3D), Some('\u{0CAA}'));
        assert_eq!(lock(Tamil, 0x11), None);
        assert_eq!(lock(Telugu, 0x11), None);
        assert_eq!(single(Tamil, 0x24), Some('\u{0BEE}'));
        assert_eq!(single(Telugu, 0x1C), Some('\u{0C66}'));
        assert_eq!(single(Telugu, 0x22), Some('\u{0C6C}'));
        assert_eq!(single(Oriya, 0x20), Some('\u{0B6A}'));
        assert_eq!(lock(Urdu, 0x00), Some('\u{0627}'));
        assert_eq!(single(Urdu, 0x3F), Some('\u{06D4}'));
        for l in NationalLanguage::ALL {
            // The escape and the controls keep their places.
            assert_eq!(l.locking_char(0x1B), None, "{l}");
            assert_eq!(l.single_shift_char(0x1B), None, "{l}");
            if l.has_locking_shift() {
                assert_eq!(l.locking_char(0x0A), Some('\n'), "{l}");
                assert_eq!(l.locking_char(0x0D), Some('\r'), "{l}");
                assert_eq!(l.locking_char(0x20), Some(' '), "{l}");
            }
            assert_eq!(l.single_shift_char(0x0A), Some('\u{0C}'), "{l}");
            assert_eq!(l.single_shift_char(0x65), Some('€'), "{l}");
            assert_eq!(l.single_shift_char(0x3C), Some('['), "{l}");
            assert_eq!(l.single_shift_char(0x40), Some('|'), "{l}");
        }
    }
}
