//! Picking the cheapest encoding for a text, counting segments the way carriers bill, and cutting a text into parts.
//!
//! One part carries 140 octets of user data, UDH included: 160 GSM septets, 140 octets or 70
//! UCS-2 units without UDH. Long messages carry a 6-octet concatenation UDH (UDHL, IEI 0x00,
//! length 3, reference, total, sequence) in every part: 153 septets / 134 octets / 67 units.
//! Each national shift IE adds 3 octets to the UDH (and a single part then needs a UDH of its
//! own: UDHL plus the IEs). An escaped GSM character costs 2 septets and a UCS-2 character
//! outside the BMP 2 units; neither is ever split across parts.

use std::ops::Range;

use super::{Encoding, GsmTables, NationalLanguage, gsm7};

/// Octets of user data in one SMS, UDH included (TS 23.040 §9.2.3.16).
pub const USER_DATA_OCTETS: usize = 140;

/// Octets of the concatenation UDH with an 8-bit reference (UDHL 1 + IEI 0x00, 1 + 3).
pub const CONCAT_UDH_OCTETS: usize = 6;

/// The encoding [`choose`] picked for a text, and what it costs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Choice {
    /// The encoding (and for GSM, the national tables to announce in the UDH).
    pub encoding: Encoding,
    /// Parts the text takes, counted as carriers bill ([`segments`]).
    pub segments: usize,
    /// Size of the encoded text: septets (escapes count 2) for GSM, UTF-16 units for UCS-2.
    pub units: usize,
    /// When UCS-2 was chosen: the characters (each once, in order of first appearance) that
    /// neither the GSM default alphabet nor any allowed national table carries, so a caller can
    /// decide to transliterate them ([`super::translit`]). Empty otherwise.
    pub unencodable: Vec<char>,
}

/// What one character costs in `enc` (septets, UTF-16 units or octets). A character `enc` cannot
/// carry counts 1 (GSM, Latin-1, ASCII): [`super::encode`] reports it.
#[inline]
fn cost(c: char, enc: &Encoding) -> usize {
    match enc {
        Encoding::Gsm7(t) => gsm7::septet_cost(c, *t).unwrap_or(1),
        Encoding::Ucs2 => c.len_utf16(),
        Encoding::Latin1 | Encoding::Ascii => 1,
        Encoding::Binary => c.len_utf8(),
    }
}

/// Units (septets, UTF-16 units or octets) that fit in one part whose UDH takes `udh_octets`
/// octets: GSM `floor((140 - udh) * 8 / 7)`, UCS-2 `floor((140 - udh) / 2)`, else `140 - udh`.
pub fn capacity(enc: &Encoding, udh_octets: usize) -> usize {
    let octets = USER_DATA_OCTETS.saturating_sub(udh_octets);
    match enc {
        Encoding::Gsm7(_) => octets * 8 / 7,
        Encoding::Ucs2 => octets / 2,
        Encoding::Latin1 | Encoding::Ascii | Encoding::Binary => octets,
    }
}

/// Size of `text` in `enc`'s units (see [`Choice::units`]; octets for Latin-1, ASCII, binary).
pub fn units(text: &str, enc: &Encoding) -> usize {
    text.chars().map(|c| cost(c, enc)).sum()
}

/// Cuts `text` into byte ranges, in order and covering it, each of which fits in one part whose
/// UDH takes `udh_octets` octets once encoded with `enc` ([`capacity`]: GSM
/// `floor((140 - udh_octets) * 8 / 7)` septets, UCS-2 `(140 - udh_octets) / 2` units, else
/// `140 - udh_octets` octets). `udh_octets` is the whole UDH of a part, UDHL included: 6 for an
/// 8-bit concatenation IE, 7 for a 16-bit one, plus 3 for each of [`Encoding::udh_ies`].
///
/// Each part is filled as far as the next character allows. Ranges end on character boundaries,
/// so GSM escape pairs and UTF-16 surrogate pairs are never split (grapheme clusters may be). An
/// empty text gives one empty range. A character larger than a whole part (only with a UDH of
/// 139 octets or more) gets a part of its own rather than looping forever. Characters `enc`
/// cannot carry count 1 unit; [`super::encode`] reports them.
pub fn plan_parts(text: &str, enc: &Encoding, udh_octets: usize) -> Vec<Range<usize>> {
    let mut parts = Vec::new();
    for_each_part(text, enc, udh_octets, |r| parts.push(r));
    parts
}

fn for_each_part(text: &str, enc: &Encoding, udh_octets: usize, mut f: impl FnMut(Range<usize>)) {
    let cap = capacity(enc, udh_octets);
    let (mut start, mut used) = (0, 0);
    for (i, c) in text.char_indices() {
        let n = cost(c, enc);
        if used + n > cap && used > 0 {
            f(start..i);
            start = i;
            used = 0;
        }
        used += n;
    }
    f(start..text.len());
}

/// UDH octets the national shift IEs of `enc` need in a single, unconcatenated part.
fn single_part_udh(enc: &Encoding) -> usize {
    match enc {
        Encoding::Gsm7(t) if t.udh_ie_octets() > 0 => 1 + t.udh_ie_octets(),
        _ => 0,
    }
}

/// Parts `text` takes in `enc`, counted as carriers bill: one part when it fits in 160 septets /
/// 140 octets / 70 UCS-2 units (less a national shift UDH), else the parts of [`plan_parts`] with
/// the 6-octet concatenation UDH (plus 3 octets per national shift IE). An empty text is 1 part.
pub fn segments(text: &str, enc: &Encoding) -> usize {
    segments_with_units(text, enc, units(text, enc))
}

fn segments_with_units(text: &str, enc: &Encoding, units: usize) -> usize {
    if units <= capacity(enc, single_part_udh(enc)) {
        return 1;
    }
    let ies = match enc {
        Encoding::Gsm7(t) => t.udh_ie_octets(),
        _ => 0,
    };
    let mut n = 0;
    for_each_part(text, enc, CONCAT_UDH_OCTETS + ies, |_| n += 1);
    n
}

/// Picks the cheapest encoding that carries `text`: the GSM default alphabet when it can; else
/// the national locking/single-shift combination, among the `allowed_national` languages, with
/// the fewest segments (then the fewest shift IEs, then the fewest septets); UCS-2 when no GSM
/// combination carries the text or UCS-2 takes fewer segments.
pub fn choose(text: &str, allowed_national: &[NationalLanguage]) -> Choice {
    let gsm = Encoding::GSM7;
    if let Ok(n) = gsm7::septet_count(text, GsmTables::DEFAULT) {
        return Choice {
            encoding: gsm,
            segments: segments_with_units(text, &gsm, n),
            units: n,
            unencodable: Vec::new(),
        };
    }

    let mut best: Option<(usize, usize, usize, GsmTables)> = None;
    let locking = std::iter::once(None).chain(
        allowed_national
            .iter()
            .filter(|l| l.has_locking_shift())
            .map(|&l| Some(l)),
    );
    for lock in locking {
        let single = std::iter::once(None).chain(
            allowed_national
                .iter()
                .filter(|l| l.has_single_shift())
                .map(|&l| Some(l)),
        );
        for single in single {
            let tables = GsmTables {
                locking: lock,
                single,
            };
            if tables == GsmTables::DEFAULT {
                continue;
            }
            let Ok(n) = gsm7::septet_count(text, tables) else {
                continue;
            };
            let enc = Encoding::Gsm7(tables);
            let key = (
                segments_with_units(text, &enc, n),
                tables.udh_ie_octets(),
                n,
                tables,
            );
            if best.is_none_or(|b| (key.0, key.1, key.2) < (b.0, b.1, b.2)) {
                best = Some(key);
            }
        }
    }

    let ucs2_units = super::ucs2::units(text);
    let ucs2_segments = segments_with_units(text, &Encoding::Ucs2, ucs2_units);
    if let Some((segments, _, units, tables)) = best {
        if segments <= ucs2_segments {
            return Choice {
                encoding: Encoding::Gsm7(tables),
                segments,
                units,
                unencodable: Vec::new(),
            };
        }
    }

    let mut unencodable = Vec::new();
    for c in text.chars() {
        let carried = gsm7::lookup(c, GsmTables::DEFAULT).is_some()
            || allowed_national.iter().any(|&l| {
                l.locking_table().is_some_and(|t| t.code_of(c).is_some())
                    || l.single_table().is_some_and(|t| t.code_of(c).is_some())
            });
        if !carried && !unencodable.contains(&c) {
            unencodable.push(c);
        }
    }
    Choice {
        encoding: Encoding::Ucs2,
        segments: ucs2_segments,
        units: ucs2_units,
        unencodable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capacities() {
        let gsm = Encoding::GSM7;
        assert_eq!(capacity(&gsm, 0), 160);
        assert_eq!(capacity(&gsm, 6), 153);
        assert_eq!(capacity(&Encoding::Ucs2, 0), 70);
        assert_eq!(capacity(&Encoding::Ucs2, 6), 67);
        assert_eq!(capacity(&Encoding::Latin1, 6), 134);
        // National tables: 155 / 149 with one shift IE, 152 / 146 with two.
        assert_eq!(capacity(&gsm, 4), 155);
        assert_eq!(capacity(&gsm, 9), 149);
        assert_eq!(capacity(&gsm, 7), 152);
        assert_eq!(capacity(&gsm, 12), 146);
    }

    #[test]
    fn empty_text() {
        assert_eq!(plan_parts("", &Encoding::GSM7, 6), vec![0..0]);
        assert_eq!(segments("", &Encoding::Ucs2), 1);
        let c = choose("", &[]);
        assert_eq!((c.encoding, c.segments, c.units), (Encoding::GSM7, 1, 0));
    }

    #[test]
    fn oversized_udh_still_progresses() {
        let parts = plan_parts("ab€", &Encoding::GSM7, 139);
        assert_eq!(parts, vec![0..1, 1..2, 2..5]);
    }

    #[test]
    fn ucs2_when_nothing_else() {
        let c = choose("hi 😀 Ω ж", &[NationalLanguage::Turkish]);
        assert_eq!(c.encoding, Encoding::Ucs2);
        assert_eq!(c.unencodable, vec!['😀', 'ж']);
        assert_eq!(c.units, 9);
    }
}
