//! Optional transliteration of common look-alikes (smart quotes, dashes, ellipsis, odd spaces, accents) into the GSM 7-bit alphabet.
//!
//! Opt-in: a caller who would rather pay for a few more GSM septets than for UCS-2 runs the text
//! through [`to_gsm`] before [`super::choose`]. Characters the GSM default alphabet or its
//! extension table already carry are never touched, nor are characters without a look-alike
//! (those still force UCS-2).

use std::borrow::Cow;

use super::GsmTables;
use super::gsm7;

/// The GSM look-alike of `c` (possibly several characters, possibly empty for invisible
/// characters such as zero-width spaces), or `None` when there is none. Only characters outside
/// the GSM default alphabet and extension table have one.
pub fn lookalike(c: char) -> Option<&'static str> {
    Some(match c {
        // Quotes and apostrophes.
        '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{2032}' | '\u{00B4}' | '`'
        | '\u{2039}' | '\u{203A}' | '\u{02BC}' => "'",
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{2033}' | '\u{00AB}'
        | '\u{00BB}' => "\"",
        // Dashes and minus.
        '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2015}'
        | '\u{2212}' | '\u{2043}' => "-",
        '\u{2026}' => "...",
        // Spaces; invisible characters vanish.
        '\u{00A0}'
        | '\u{1680}'
        | '\u{2000}'..='\u{200A}'
        | '\u{202F}'
        | '\u{205F}'
        | '\u{3000}'
        | '\t' => " ",
        '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}' => "",
        // Bullets, symbols.
        '\u{2022}' | '\u{2219}' => "*",
        '\u{00B7}' | '\u{2027}' => ".",
        '\u{2122}' => "TM",
        '\u{00A9}' => "(C)",
        '\u{00AE}' => "(R)",
        '\u{00BD}' => "1/2",
        '\u{00BC}' => "1/4",
        '\u{00BE}' => "3/4",
        '\u{00D7}' => "x",
        '\u{00F7}' => "/",
        '\u{2190}' => "<-",
        '\u{2192}' => "->",
        '\u{2264}' => "<=",
        '\u{2265}' => ">=",
        '\u{00A2}' => "c",
        // Latin letters with accents GSM lacks.
        'á' | 'â' | 'ã' | 'ā' | 'ă' | 'ą' => "a",
        'Á' | 'À' | 'Â' | 'Ã' | 'Ā' | 'Ă' | 'Ą' => "A",
        'ç' => "Ç",
        'ć' | 'č' | 'ĉ' | 'ċ' => "c",
        'Ć' | 'Č' | 'Ĉ' | 'Ċ' => "C",
        'ď' | 'đ' => "d",
        'Ď' | 'Đ' => "D",
        'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => "e",
        'È' | 'Ê' | 'Ë' | 'Ē' | 'Ĕ' | 'Ė' | 'Ę' | 'Ě' => "E",
        'ğ' | 'ĝ' | 'ġ' | 'ģ' => "g",
        'Ğ' | 'Ĝ' | 'Ġ' | 'Ģ' => "G",
        'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => "i",
        'Í' | 'Ì' | 'Î' | 'Ï' | 'Ĩ' | 'Ī' | 'Ĭ' | 'Į' | 'İ' => "I",
        'ł' | 'ĺ' | 'ľ' | 'ļ' => "l",
        'Ł' | 'Ĺ' | 'Ľ' | 'Ļ' => "L",
        'ń' | 'ň' | 'ņ' => "n",
        'Ń' | 'Ň' | 'Ņ' => "N",
        'ó' | 'ô' | 'õ' | 'ō' | 'ŏ' | 'ő' => "o",
        'Ó' | 'Ò' | 'Ô' | 'Õ' | 'Ō' | 'Ŏ' | 'Ő' => "O",
        'œ' => "oe",
        'Œ' => "OE",
        'ŕ' | 'ř' => "r",
        'Ŕ' | 'Ř' => "R",
        'ś' | 'š' | 'ş' | 'ŝ' | 'ș' => "s",
        'Ś' | 'Š' | 'Ş' | 'Ŝ' | 'Ș' => "S",
        'ť' | 'ţ' | 'ț' => "t",
        'Ť' | 'Ţ' | 'Ț' => "T",
        'ú' | 'û' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => "u",
        'Ú' | 'Ù' | 'Û' | 'Ũ' | 'Ū' | 'Ŭ' | 'Ů' | 'Ű' | 'Ų' => "U",
        'ý' | 'ÿ' => "y",
        'Ý' | 'Ÿ' => "Y",
        'ź' | 'ž' | 'ż' => "z",
        'Ź' | 'Ž' | 'Ż' => "Z",
        'ð' => "d",
        'Ð' => "D",
        'þ' => "th",
        'Þ' => "Th",
        // Greek capitals drawn like Latin ones (TS 23.038 notes the GSM alphabet relies on these).
        'Α' => "A",
        'Β' => "B",
        'Ε' => "E",
        'Ζ' => "Z",
        'Η' => "H",
        'Ι' => "I",
        'Κ' => "K",
        'Μ' => "M",
        'Ν' => "N",
        'Ο' => "O",
        'Ρ' => "P",
        'Τ' => "T",
        'Υ' => "Y",
        'Χ' => "X",
        _ => return None,
    })
}

/// Replaces every character the GSM default alphabet and extension table lack by its
/// [`lookalike`], when it has one; borrows when nothing changes.
pub fn to_gsm(text: &str) -> Cow<'_, str> {
    let replaced =
        |c: char| gsm7::lookup(c, GsmTables::DEFAULT).is_none() && lookalike(c).is_some();
    let Some(first) = text.find(replaced) else {
        return Cow::Borrowed(text);
    };
    let mut out = String::with_capacity(text.len());
    out.push_str(&text[..first]);
    for c in text[first..].chars() {
        match lookalike(c) {
            Some(s) if gsm7::lookup(c, GsmTables::DEFAULT).is_none() => out.push_str(s),
            _ => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smart_punctuation() {
        assert_eq!(
            to_gsm("\u{201C}Hi\u{201D} \u{2014} it\u{2019}s\u{00A0}ok\u{2026}"),
            "\"Hi\" - it's ok..."
        );
        assert!(matches!(to_gsm("plain €"), Cow::Borrowed(_)));
        assert_eq!(to_gsm("😀"), "😀");
    }

    #[test]
    fn every_lookalike_is_gsm() {
        for cp in 0..0x3100u32 {
            let Some(c) = char::from_u32(cp) else {
                continue;
            };
            if let Some(s) = lookalike(c) {
                assert!(
                    gsm7::septet_count(s, GsmTables::DEFAULT).is_ok(),
                    "{c:?} -> {s:?}"
                );
                assert!(
                    gsm7::lookup(c, GsmTables::DEFAULT).is_none(),
                    "{c:?} is GSM"
                );
            }
        }
    }
}
