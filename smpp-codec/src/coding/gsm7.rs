//! The GSM 7-bit default alphabet and extension table (3GPP TS 23.038 §6.2.1), septets to text and back, packing.
//!
//! Septets are handled unpacked (one per octet, as most SMSCs take them over SMPP) by
//! [`encode`] / [`decode`]; [`pack`] / [`unpack`] convert to and from the packed form of
//! TS 23.038 §6.1.2.1 (eight septets in seven octets, least significant bit first), with the fill
//! bits that align the first septet after a user data header ([`fill_bits`]).

use std::borrow::Cow;

use super::{CodingError, GsmTables};

/// The escape septet: the next septet is read in the (single-shift or default) extension table.
pub const ESC: u8 = 0x1B;

/// Carriage return, the padding septet of TS 23.038 §6.1.2.3.1.
pub const CR: u8 = 0x0D;

/// Marks a code with no character in a table.
pub(crate) const NA: char = '\u{FFFF}';

/// A 128-entry GSM table: code to character, and character to code (sorted, built at compile
/// time, searched without allocating).
pub(crate) struct Table {
    to_char: [char; 128],
    by_char: [(char, u8); 128],
    len: usize,
}

impl Table {
    /// Builds the reverse index of `to_char` (entries [`NA`] have no character). When a character
    /// appears twice, the lower code is used for encoding.
    pub(crate) const fn new(to_char: [char; 128]) -> Table {
        let mut by_char = [(NA, 0u8); 128];
        let mut len = 0;
        let mut code = 0;
        while code < 128 {
            let c = to_char[code];
            if c as u32 != NA as u32 {
                // Insertion sort by character, stable so the lower code of a duplicate comes first.
                let mut i = len;
                while i > 0 && by_char[i - 1].0 as u32 > c as u32 {
                    by_char[i] = by_char[i - 1];
                    i -= 1;
                }
                by_char[i] = (c, code as u8);
                len += 1;
            }
            code += 1;
        }
        Table {
            to_char,
            by_char,
            len,
        }
    }

    /// The character of `code` (0..=127), if any.
    #[inline]
    pub(crate) fn char_at(&self, code: u8) -> Option<char> {
        match self.to_char.get(usize::from(code)) {
            Some(&c) if c != NA => Some(c),
            _ => None,
        }
    }

    /// The code of `c`, if the table has it.
    #[inline]
    pub(crate) fn code_of(&self, c: char) -> Option<u8> {
        let entries = &self.by_char[..self.len];
        let i = entries.partition_point(|&(k, _)| k < c);
        match entries.get(i) {
            Some(&(k, code)) if k == c => Some(code),
            _ => None,
        }
    }
}

/// The default alphabet, TS 23.038 §6.2.1. 0x1B is the escape, not a character.
#[rustfmt::skip]
const DEFAULT_CHARS: [char; 128] = [
    '@', '£', '$', '¥', 'è', 'é', 'ù', 'ì', 'ò', 'Ç', '\n', 'Ø', 'ø', '\r', 'Å', 'å',
    'Δ', '_', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ', 'Σ', 'Θ', 'Ξ', NA, 'Æ', 'æ', 'ß', 'É',
    ' ', '!', '"', '#', '¤', '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/',
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '<', '=', '>', '?',
    '¡', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O',
    'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', 'Ä', 'Ö', 'Ñ', 'Ü', '§',
    '¿', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 'ä', 'ö', 'ñ', 'ü', 'à',
];

/// The default alphabet extension table, TS 23.038 §6.2.1.1: form feed, `^ { } \ [ ~ ] |` and
/// `€`. (0x0D "CR2" and 0x1B, reserved, have no character.)
const EXTENSION_CHARS: [char; 128] = {
    let mut t = [NA; 128];
    t[0x0A] = '\u{0C}';
    t[0x14] = '^';
    t[0x28] = '{';
    t[0x29] = '}';
    t[0x2F] = '\\';
    t[0x3C] = '[';
    t[0x3D] = '~';
    t[0x3E] = ']';
    t[0x40] = '|';
    t[0x65] = '€';
    t
};

pub(crate) static DEFAULT: Table = Table::new(DEFAULT_CHARS);
pub(crate) static EXTENSION: Table = Table::new(EXTENSION_CHARS);

/// For ASCII characters with the default tables: the septet (0..=0x7F), 0x80 | the extension
/// code for an escaped one, or 0xFF when not in GSM.
const ASCII_TO_GSM: [u8; 128] = {
    let mut t = [0xFFu8; 128];
    let mut code = 0;
    while code < 128 {
        let c = EXTENSION_CHARS[code] as u32;
        if c < 128 {
            t[c as usize] = 0x80 | code as u8;
        }
        code += 1;
    }
    let mut code = 0;
    while code < 128 {
        let c = DEFAULT_CHARS[code] as u32;
        if c < 128 {
            t[c as usize] = code as u8;
        }
        code += 1;
    }
    t
};

/// Septets that decode, with the default alphabet, to the ASCII octet of the same value: a text
/// made only of these needs no copy.
const IDENTITY: [bool; 128] = {
    let mut t = [false; 128];
    let mut code = 0;
    while code < 128 {
        if DEFAULT_CHARS[code] as u32 == code as u32 {
            t[code] = true;
        }
        code += 1;
    }
    t
};

/// The character of `code` in the default alphabet (`None` for 0x1B, the escape, and for codes
/// above 0x7F).
pub fn default_char(code: u8) -> Option<char> {
    DEFAULT.char_at(code)
}

/// The character of `code` in the default extension table (reached by `ESC code`), if any.
pub fn extension_char(code: u8) -> Option<char> {
    EXTENSION.char_at(code)
}

/// The tables in force for a [`GsmTables`], looked up once per text rather than per character:
/// the main one (default or locking shift) and the one reached by escape (default extension or
/// single shift).
#[derive(Clone, Copy)]
struct InForce {
    main: &'static Table,
    shift: &'static Table,
    /// Both are the default tables: ASCII takes the [`ASCII_TO_GSM`] fast path.
    default: bool,
}

impl InForce {
    #[inline]
    fn new(tables: GsmTables) -> InForce {
        let main = tables.effective_locking().and_then(|l| l.locking_table());
        let shift = tables.effective_single().and_then(|l| l.single_table());
        InForce {
            main: main.unwrap_or(&DEFAULT),
            shift: shift.unwrap_or(&EXTENSION),
            default: main.is_none() && shift.is_none(),
        }
    }

    #[inline]
    fn lookup(&self, c: char) -> Option<(u8, bool)> {
        if self.default && c.is_ascii() {
            return match ASCII_TO_GSM[c as usize] {
                0xFF => None,
                v if v & 0x80 != 0 => Some((v & 0x7F, true)),
                v => Some((v, false)),
            };
        }
        if let Some(code) = self.main.code_of(c) {
            return Some((code, false));
        }
        self.shift.code_of(c).map(|code| (code, true))
    }
}

/// How `c` is written with `tables`: `Some((code, escaped))`, or `None` when it cannot be.
#[inline]
pub fn lookup(c: char, tables: GsmTables) -> Option<(u8, bool)> {
    InForce::new(tables).lookup(c)
}

/// Septets `c` costs with `tables` (1, or 2 when escaped), or `None` when it cannot be written.
#[inline]
pub fn septet_cost(c: char, tables: GsmTables) -> Option<usize> {
    lookup(c, tables).map(|(_, escaped)| 1 + usize::from(escaped))
}

/// Septets `text` takes with `tables`, or the first character that cannot be written.
pub fn septet_count(text: &str, tables: GsmTables) -> Result<usize, CodingError> {
    let t = InForce::new(tables);
    let mut n = 0;
    for (offset, ch) in text.char_indices() {
        match t.lookup(ch) {
            Some((_, escaped)) => n += 1 + usize::from(escaped),
            None => return Err(unencodable(ch, offset)),
        }
    }
    Ok(n)
}

fn unencodable(ch: char, offset: usize) -> CodingError {
    CodingError::Unencodable {
        ch,
        offset,
        encoding: "GSM 7-bit",
    }
}

/// Encodes `text` as unpacked septets (one per octet, `ESC code` for the extension / single-shift
/// characters) with `tables`.
pub fn encode(text: &str, tables: GsmTables) -> Result<Vec<u8>, CodingError> {
    let mut out = Vec::with_capacity(text.len());
    encode_into(text, tables, &mut out)?;
    Ok(out)
}

/// Appends the unpacked septets of `text` to `out`. On error `out` may hold a prefix.
pub fn encode_into(text: &str, tables: GsmTables, out: &mut Vec<u8>) -> Result<(), CodingError> {
    let t = InForce::new(tables);
    out.reserve(text.len());
    for (offset, ch) in text.char_indices() {
        match t.lookup(ch) {
            Some((code, false)) => out.push(code),
            Some((code, true)) => out.extend_from_slice(&[ESC, code]),
            None => return Err(unencodable(ch, offset)),
        }
    }
    Ok(())
}

/// Decodes unpacked septets with `tables`. Borrows when the septets are plain ASCII under the
/// default alphabet.
///
/// Lenient, per TS 23.038 §6.2.1.1: `ESC code` with no character in the extension (or
/// single-shift) table gives the main table's character for `code`; `ESC ESC` (reserved for a
/// further extension table) gives a space; a lone `ESC` at the very end is dropped; a code with no
/// character in a national locking-shift table gives U+FFFD. An octet above 0x7F is an error
/// ([`CodingError::NotSeptet`]): the payload is not unpacked GSM.
pub fn decode(septets: &[u8], tables: GsmTables) -> Result<Cow<'_, str>, CodingError> {
    let InForce {
        main,
        shift,
        default,
    } = InForce::new(tables);
    if default
        && septets
            .iter()
            .all(|&b| b < 0x80 && IDENTITY[usize::from(b)])
    {
        // Every octet is ASCII, hence UTF-8.
        if let Ok(s) = std::str::from_utf8(septets) {
            return Ok(Cow::Borrowed(s));
        }
    }
    let mut out = String::with_capacity(septets.len() + septets.len() / 2);
    let mut i = 0;
    while i < septets.len() {
        let b = septets[i];
        if b > 0x7F {
            return Err(CodingError::NotSeptet {
                octet: b,
                offset: i,
            });
        }
        if b == ESC {
            match septets.get(i + 1) {
                None => {}
                Some(&n) if n > 0x7F => {
                    return Err(CodingError::NotSeptet {
                        octet: n,
                        offset: i + 1,
                    });
                }
                Some(&ESC) => out.push(' '),
                Some(&n) => out.push(
                    shift
                        .char_at(n)
                        .or_else(|| main.char_at(n))
                        .unwrap_or(char::REPLACEMENT_CHARACTER),
                ),
            }
            i += 2;
        } else {
            out.push(main.char_at(b).unwrap_or(char::REPLACEMENT_CHARACTER));
            i += 1;
        }
    }
    Ok(Cow::Owned(out))
}

/// Fill bits after a user data header of `udh_octets` octets (UDHL included) so that the first
/// septet starts on a septet boundary: `(7 - (udh_octets * 8) % 7) % 7` (TS 23.040 §9.2.3.24).
pub fn fill_bits(udh_octets: usize) -> u8 {
    ((7 - (udh_octets * 8) % 7) % 7) as u8
}

/// Octets `septets` packed septets take after `fill_bits` fill bits.
pub fn packed_len(septets: usize, fill_bits: u8) -> usize {
    if septets == 0 {
        return 0;
    }
    (septets * 7 + usize::from(fill_bits)).div_ceil(8)
}

/// Whole septets that fit in `octets` octets after `fill_bits` fill bits.
pub fn septet_capacity(octets: usize, fill_bits: u8) -> usize {
    (octets * 8).saturating_sub(usize::from(fill_bits)) / 7
}

/// Packs septets (the low 7 bits of each octet) after `fill_bits` zero bits, least significant
/// bit first (TS 23.038 §6.1.2.1). An empty input packs to nothing.
///
/// The CR rules of TS 23.038 §6.1.2.3.1 are applied, so that [`unpack_all`], which has no septet
/// count, gets the septets back: when the last octet would keep 7 spare bits they hold a CR (not
/// zeros, which would read as a trailing `@`); when the septets end with a CR exactly on an
/// octet boundary, a second CR follows. [`unpack`] with the original count ignores both.
pub fn pack(septets: &[u8], fill_bits: u8) -> Vec<u8> {
    let mut out = Vec::with_capacity(packed_len(septets.len(), fill_bits));
    pack_into(septets, fill_bits, &mut out);
    out
}

/// Appends the packed form of `septets` to `out` (see [`pack`]).
pub fn pack_into(septets: &[u8], fill_bits: u8, out: &mut Vec<u8>) {
    if septets.is_empty() {
        return;
    }
    let start = out.len();
    let ends_on_boundary = (usize::from(fill_bits) + septets.len() * 7) % 8 == 0;
    let extra_cr = ends_on_boundary && septets.last().is_some_and(|&s| s & 0x7F == CR);
    let len = packed_len(septets.len() + usize::from(extra_cr), fill_bits);
    out.resize(start + len, 0);
    let buf = &mut out[start..];
    let mut put = |bit: usize, s: u8| {
        let (idx, shift) = (bit / 8, bit % 8);
        let v = u16::from(s & 0x7F) << shift;
        buf[idx] |= v as u8;
        if shift > 1 {
            buf[idx + 1] |= (v >> 8) as u8;
        }
    };
    let mut bit = usize::from(fill_bits);
    for &s in septets {
        put(bit, s);
        bit += 7;
    }
    if extra_cr || len * 8 - bit == 7 {
        put(bit, CR);
    }
}

#[inline]
fn septet_at(octets: &[u8], bit: usize) -> u8 {
    let (idx, shift) = (bit / 8, bit % 8);
    let lo = u16::from(octets[idx]);
    let hi = octets.get(idx + 1).map_or(0, |&b| u16::from(b));
    (((hi << 8 | lo) >> shift) & 0x7F) as u8
}

/// Unpacks `septet_count` septets that start after `fill_bits` fill bits.
pub fn unpack(octets: &[u8], fill_bits: u8, septet_count: usize) -> Result<Vec<u8>, CodingError> {
    let needed = packed_len(septet_count, fill_bits);
    if needed > octets.len() {
        return Err(CodingError::Truncated {
            septets: septet_count,
            fill_bits,
            needed,
            available: octets.len(),
        });
    }
    let fill = usize::from(fill_bits);
    Ok((0..septet_count)
        .map(|i| septet_at(octets, fill + i * 7))
        .collect())
}

/// Unpacks every septet the octets hold after `fill_bits` fill bits, for when the count is not
/// known (SMPP carries octets, not the septet count), undoing the CR rules of TS 23.038
/// §6.1.2.3.1 that [`pack`] applies: a CR exactly filling the final 7 bits is padding and is
/// dropped, and so is the second of two final CRs when the first ends on an octet boundary.
///
/// The standard's rules leave one case ambiguous: septets that really end with two CRs, the first
/// on an octet boundary, come back with one (TS 23.038 treats CR CR as CR anyway). Zero padding
/// from a sender that ignores the rules reads as a trailing `@`.
pub fn unpack_all(octets: &[u8], fill_bits: u8) -> Vec<u8> {
    let fill = usize::from(fill_bits);
    let bits = (octets.len() * 8).saturating_sub(fill);
    let mut septets: Vec<u8> = (0..bits / 7)
        .map(|i| septet_at(octets, fill + i * 7))
        .collect();
    let n = septets.len();
    let padding = n > 0 && bits % 7 == 0 && septets[n - 1] == CR;
    let doubled = n > 1 && septets[n - 2..] == [CR, CR] && (fill + (n - 1) * 7) % 8 == 0;
    if padding || doubled {
        septets.pop();
    }
    septets
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_consistent() {
        for code in 0..128u8 {
            if let Some(c) = default_char(code) {
                assert_eq!(lookup(c, GsmTables::DEFAULT), Some((code, false)), "{c:?}");
            }
            if let Some(c) = extension_char(code) {
                assert_eq!(lookup(c, GsmTables::DEFAULT), Some((code, true)), "{c:?}");
            }
        }
        assert_eq!(default_char(ESC), None);
        assert_eq!(DEFAULT.len, 127);
        assert_eq!(EXTENSION.len, 10);
    }

    #[test]
    fn ascii_fast_path_agrees_with_tables() {
        for b in 0..128u8 {
            let c = char::from(b);
            let slow = DEFAULT
                .code_of(c)
                .map(|v| (v, false))
                .or_else(|| EXTENSION.code_of(c).map(|v| (v, true)));
            assert_eq!(lookup(c, GsmTables::DEFAULT), slow, "{c:?}");
        }
    }

    #[test]
    fn hellohello() {
        let septets = encode("hellohello", GsmTables::DEFAULT).unwrap();
        assert_eq!(
            pack(&septets, 0),
            [0xE8, 0x32, 0x9B, 0xFD, 0x46, 0x97, 0xD9, 0xEC, 0x37]
        );
    }

    #[test]
    fn cr_padding() {
        // 7 septets leave 7 spare bits: they hold CR, and unpack_all drops it again.
        let packed = pack(b"1234567", 0);
        assert_eq!(packed.len(), 7);
        assert_eq!(packed[6] >> 1, CR);
        assert_eq!(unpack_all(&packed, 0), b"1234567");
        assert_eq!(unpack(&packed, 0, 8).unwrap(), b"1234567\r");
    }

    #[test]
    fn wanted_final_cr_on_a_boundary_is_doubled() {
        // 8 septets end on an octet boundary: a final CR gets a second one.
        let packed = pack(b"1234567\r", 0);
        assert_eq!(packed.len(), 8);
        assert_eq!(unpack(&packed, 0, 9).unwrap(), b"1234567\r\r");
        assert_eq!(unpack_all(&packed, 0), b"1234567\r");
        // Not on a boundary: nothing added.
        assert_eq!(pack(b"12\r", 0).len(), 3);
        assert_eq!(unpack_all(&pack(b"12\r", 0), 0), b"12\r");
    }

    #[test]
    fn fill_bits_after_udh() {
        assert_eq!(fill_bits(0), 0);
        assert_eq!(fill_bits(6), 1);
        assert_eq!(fill_bits(7), 0);
        assert_eq!(fill_bits(4), 3);
        assert_eq!(fill_bits(12), 2);
    }

    #[test]
    fn lenient_escapes() {
        assert_eq!(decode(&[ESC, 0x41], GsmTables::DEFAULT).unwrap(), "A");
        assert_eq!(decode(&[0x41, ESC], GsmTables::DEFAULT).unwrap(), "A");
        assert_eq!(decode(&[ESC, ESC, 0x41], GsmTables::DEFAULT).unwrap(), " A");
        assert!(decode(&[0x80], GsmTables::DEFAULT).is_err());
        assert!(matches!(
            decode(b"Hi there", GsmTables::DEFAULT).unwrap(),
            Cow::Borrowed(_)
        ));
    }
}
