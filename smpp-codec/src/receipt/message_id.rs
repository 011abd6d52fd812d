//! Message-id normalisation: matching a receipt's id with the `submit_sm_resp` id when the MC
//! writes them differently (hex in one, decimal in the other, zero-padded, another case).
//!
//! The id is opaque to SMPP (§4.7.14), but many MCs answer `submit_sm_resp` with one form and
//! report another in the receipt (a classic: hex in the response, decimal in the receipt text).
//! The per-bind setting [`MessageIdForm`] says which; both ids are then reduced to one key:
//! [`MessageIdForm::submit_key`] and [`MessageIdForm::receipt_key`] (or
//! [`MessageIdForm::correlates`]). When the setting is not known, [`correlation_keys`] gives the
//! candidate keys of every form at once.

use std::fmt;
use std::str::FromStr;

/// Ids longer than this (in characters) are not converted between hex and decimal: they are
/// matched as text. (The spec caps ids at 64; the cap keeps conversion cost bounded on hostile
/// input, while numbers far beyond `u128` still convert.)
pub const MAX_NUMERIC_ID_LEN: usize = 256;

/// How an MC writes the receipt's id relative to the `submit_sm_resp` id: a per-bind setting.
///
/// Each form reduces both ids to a key in the receipt's notation; they correlate when the keys
/// are equal. Every form but [`AsIs`](Self::AsIs) first trims surrounding whitespace.
///
/// | form                 | `submit_sm_resp` id → key        | receipt id → key              |
/// |----------------------|----------------------------------|-------------------------------|
/// | `as-is` (default)    | unchanged                        | unchanged                     |
/// | `case-insensitive`   | ASCII lowercase                  | ASCII lowercase               |
/// | `trim-leading-zeros` | leading `0`s removed             | leading `0`s removed          |
/// | `hex-to-decimal`     | read as hex, written in decimal  | lowercase, leading `0`s removed |
/// | `decimal-to-hex`     | read as decimal, written in lowercase hex | lowercase, leading `0`s removed |
///
/// So under `hex-to-decimal`, `submit_sm_resp` id `1A2B` and receipt id `6699` (or `0006699`)
/// correlate; under `trim-leading-zeros`, `000123` and `123`. A leading-zero-only id keeps one
/// `0`. When the `submit_sm_resp` id is not a number in the expected base (or is longer than
/// [`MAX_NUMERIC_ID_LEN`]), the numeric forms fall back to lowercase without leading zeros on
/// both sides, so an id the MC did not convert still matches itself. Numbers of any size
/// convert (no `u128` limit).
///
/// Parsed from its name ([`FromStr`]: case, `-`, `_` and spaces ignored, so `HexToDecimal`,
/// `hex_to_decimal` and `hex-to-decimal` are the same) and displayed as the kebab-case name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum MessageIdForm {
    /// Both ids are written the same way (byte for byte).
    #[default]
    AsIs,
    /// Same id, but the case of letters may differ (hex ids in upper vs lower case).
    CaseInsensitive,
    /// Same id, but one side may be zero-padded (`000123` vs `123`).
    TrimLeadingZeros,
    /// `submit_sm_resp` gives hex, the receipt reports the same number in decimal (padding and
    /// case tolerated).
    HexToDecimal,
    /// `submit_sm_resp` gives decimal, the receipt reports the same number in hex (padding and
    /// case tolerated).
    DecimalToHex,
}

impl MessageIdForm {
    /// Every form.
    pub const ALL: [MessageIdForm; 5] = [
        MessageIdForm::AsIs,
        MessageIdForm::CaseInsensitive,
        MessageIdForm::TrimLeadingZeros,
        MessageIdForm::HexToDecimal,
        MessageIdForm::DecimalToHex,
    ];

    /// The kebab-case name (`hex-to-decimal`).
    pub fn name(self) -> &'static str {
        match self {
            MessageIdForm::AsIs => "as-is",
            MessageIdForm::CaseInsensitive => "case-insensitive",
            MessageIdForm::TrimLeadingZeros => "trim-leading-zeros",
            MessageIdForm::HexToDecimal => "hex-to-decimal",
            MessageIdForm::DecimalToHex => "decimal-to-hex",
        }
    }

    /// The key of a `submit_sm_resp` id: the id as this form expects the receipt to write it,
    /// canonicalised (see the table on the type).
    pub fn submit_key(self, submit_resp_id: &str) -> String {
        let id = submit_resp_id;
        match self {
            MessageIdForm::AsIs => id.to_owned(),
            MessageIdForm::CaseInsensitive => id.trim().to_ascii_lowercase(),
            MessageIdForm::TrimLeadingZeros => trim_zeros(id.trim()).to_owned(),
            MessageIdForm::HexToDecimal => {
                hex_to_decimal(id.trim()).unwrap_or_else(|| fold(id.trim()))
            }
            MessageIdForm::DecimalToHex => {
                decimal_to_hex(id.trim()).unwrap_or_else(|| fold(id.trim()))
            }
        }
    }

    /// The key of a receipt's id (see the table on the type).
    pub fn receipt_key(self, receipt_id: &str) -> String {
        let id = receipt_id;
        match self {
            MessageIdForm::AsIs => id.to_owned(),
            MessageIdForm::CaseInsensitive => id.trim().to_ascii_lowercase(),
            MessageIdForm::TrimLeadingZeros => trim_zeros(id.trim()).to_owned(),
            MessageIdForm::HexToDecimal | MessageIdForm::DecimalToHex => fold(id.trim()),
        }
    }

    /// Whether a `submit_sm_resp` id and a receipt id name the same message under this form.
    pub fn correlates(self, submit_resp_id: &str, receipt_id: &str) -> bool {
        self.submit_key(submit_resp_id) == self.receipt_key(receipt_id)
    }
}

/// The key of a `submit_sm_resp` id under `form`: the id as the receipt is expected to write it
/// (`normalise("1A2B", HexToDecimal)` is `"6699"`). Same as [`MessageIdForm::submit_key`];
/// compare it with [`MessageIdForm::receipt_key`] of the receipt's id.
pub fn normalise(id: &str, form: MessageIdForm) -> String {
    form.submit_key(id)
}

impl fmt::Display for MessageIdForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A [`MessageIdForm`] name that is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown message id form {input:?}: use one of as-is, case-insensitive, trim-leading-zeros, hex-to-decimal, decimal-to-hex"
)]
pub struct ParseMessageIdFormError {
    /// The text given.
    pub input: String,
}

impl FromStr for MessageIdForm {
    type Err = ParseMessageIdFormError;
    fn from_str(s: &str) -> Result<MessageIdForm, ParseMessageIdFormError> {
        let squashed: String = s
            .chars()
            .filter(|c| !matches!(c, '-' | '_' | ' '))
            .map(|c| c.to_ascii_lowercase())
            .collect();
        MessageIdForm::ALL
            .into_iter()
            .find(|f| f.name().replace('-', "") == squashed)
            .ok_or_else(|| ParseMessageIdFormError {
                input: s.to_owned(),
            })
    }
}

/// One candidate key of an id (see [`correlation_keys`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CorrelationKey {
    /// The id as text, ASCII-lowercased, leading zeros removed (covers as-is, case and padding
    /// differences).
    Text(String),
    /// The id read as a number (decimal, or hex), written in decimal without leading zeros
    /// (covers hex vs decimal).
    Number(String),
}

/// The candidate keys of one id, at most three, most specific first; no heap beyond the keys.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct CorrelationKeys {
    keys: [Option<CorrelationKey>; 3],
}

impl CorrelationKeys {
    fn push(&mut self, key: CorrelationKey) {
        if self.contains(&key) {
            return;
        }
        if let Some(slot) = self.keys.iter_mut().find(|k| k.is_none()) {
            *slot = Some(key);
        }
    }

    /// The keys, most specific first.
    pub fn iter(&self) -> impl Iterator<Item = &CorrelationKey> {
        self.keys.iter().flatten()
    }

    /// Number of keys (0 for an empty id).
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// `true` for an empty id.
    pub fn is_empty(&self) -> bool {
        self.keys[0].is_none()
    }

    /// Whether `key` is one of them.
    pub fn contains(&self, key: &CorrelationKey) -> bool {
        self.iter().any(|k| k == key)
    }

    /// Whether the two ids may name the same message (they share a key).
    pub fn intersects(&self, other: &CorrelationKeys) -> bool {
        self.iter().any(|k| other.contains(k))
    }
}

impl IntoIterator for CorrelationKeys {
    type Item = CorrelationKey;
    type IntoIter = std::iter::Flatten<std::array::IntoIter<Option<CorrelationKey>, 3>>;
    fn into_iter(self) -> Self::IntoIter {
        self.keys.into_iter().flatten()
    }
}

impl<'a> IntoIterator for &'a CorrelationKeys {
    type Item = &'a CorrelationKey;
    type IntoIter = std::iter::Flatten<std::slice::Iter<'a, Option<CorrelationKey>>>;
    fn into_iter(self) -> Self::IntoIter {
        self.keys.iter().flatten()
    }
}

/// The candidate keys of an id when the bind's [`MessageIdForm`] is not known: index each
/// `submit_sm_resp` id under all of its keys, and look a receipt's id up by each of its keys in
/// order; two ids related by any form share a key. In order:
///
/// 1. [`CorrelationKey::Text`]: lowercase, leading zeros removed (always, for a non-blank id);
/// 2. [`CorrelationKey::Number`] of the id read as decimal, when it is decimal digits;
/// 3. [`CorrelationKey::Number`] of the id read as hex, when it is hex digits (and differs
///    from 2).
///
/// Candidates, not proof: `10` (hex) and `16` (decimal) share a key, so a lookup can find two
/// messages; prefer the earlier key, and a configured form when there is one. Numeric keys are
/// only made for ids up to [`MAX_NUMERIC_ID_LEN`] characters.
///
/// ```
/// use smpp_codec::receipt::correlation_keys;
/// assert!(correlation_keys("1A2B").intersects(&correlation_keys("6699")));
/// assert!(correlation_keys("000123").intersects(&correlation_keys("123")));
/// assert!(!correlation_keys("1A2B").intersects(&correlation_keys("6698")));
/// ```
pub fn correlation_keys(id: &str) -> CorrelationKeys {
    let id = id.trim();
    let mut keys = CorrelationKeys::default();
    if id.is_empty() {
        return keys;
    }
    keys.push(CorrelationKey::Text(fold(id)));
    if is_digits(id, 10) && id.len() <= MAX_NUMERIC_ID_LEN {
        keys.push(CorrelationKey::Number(trim_zeros(id).to_owned()));
    }
    if let Some(n) = hex_to_decimal(id) {
        keys.push(CorrelationKey::Number(n));
    }
    keys
}

/// Leading `0`s removed; an all-zero id keeps one `0`.
fn trim_zeros(id: &str) -> &str {
    let t = id.trim_start_matches('0');
    if t.is_empty() && !id.is_empty() {
        "0"
    } else {
        t
    }
}

/// ASCII lowercase, leading zeros removed.
fn fold(id: &str) -> String {
    trim_zeros(id).to_ascii_lowercase()
}

fn is_digits(s: &str, radix: u32) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_digit(radix))
}

/// A hex number in decimal; `None` unless `s` is hex digits and at most
/// [`MAX_NUMERIC_ID_LEN`] long.
fn hex_to_decimal(s: &str) -> Option<String> {
    if !is_digits(s, 16) || s.len() > MAX_NUMERIC_ID_LEN {
        return None;
    }
    let s = trim_zeros(s);
    if s.len() <= 32 {
        return u128::from_str_radix(s, 16).ok().map(|v| v.to_string());
    }
    Some(write_limbs(&rebase(s, 16, 1_000_000_000), false))
}

/// A decimal number in lowercase hex; `None` unless `s` is decimal digits and at most
/// [`MAX_NUMERIC_ID_LEN`] long.
fn decimal_to_hex(s: &str) -> Option<String> {
    if !is_digits(s, 10) || s.len() > MAX_NUMERIC_ID_LEN {
        return None;
    }
    let s = trim_zeros(s);
    if s.len() <= 38 {
        return s.parse::<u128>().ok().map(|v| format!("{v:x}"));
    }
    Some(write_limbs(&rebase(s, 10, 1 << 32), true))
}

/// The number written in `digits` (base `from`, valid digits) as little-endian limbs of base
/// `limb` (at most 2^32).
fn rebase(digits: &str, from: u32, limb: u64) -> Vec<u64> {
    let mut limbs: Vec<u64> = Vec::with_capacity(digits.len() / 7 + 1);
    for c in digits.chars() {
        let mut carry = u64::from(c.to_digit(from).unwrap_or(0));
        for l in limbs.iter_mut() {
            let v = *l * u64::from(from) + carry;
            *l = v % limb;
            carry = v / limb;
        }
        while carry > 0 {
            limbs.push(carry % limb);
            carry /= limb;
        }
    }
    limbs
}

/// Little-endian limbs written most significant first, in lowercase hex (limbs of 2^32) or
/// decimal (limbs of 10^9): the top one unpadded, the others zero-padded.
fn write_limbs(limbs: &[u64], hex: bool) -> String {
    use std::fmt::Write;
    let mut it = limbs.iter().rev();
    let Some(top) = it.next() else {
        return "0".to_owned();
    };
    let mut out = if hex {
        format!("{top:x}")
    } else {
        top.to_string()
    };
    for &l in it {
        let _ = if hex {
            write!(out, "{l:08x}")
        } else {
            write!(out, "{l:09}")
        };
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        let f = MessageIdForm::HexToDecimal;
        assert_eq!(normalise("1A2B", f), "6699");
        assert!(f.correlates("1A2B", "6699"));
        assert!(f.correlates("1a2b", "0006699"));
        assert!(!f.correlates("1A2B", "1A2B"));
        assert!(f.correlates("not-hex", "NOT-HEX"));
        let f = MessageIdForm::DecimalToHex;
        assert_eq!(normalise("6699", f), "1a2b");
        assert!(f.correlates("6699", "00001A2B"));
        assert!(MessageIdForm::TrimLeadingZeros.correlates("000123", "123"));
        assert!(MessageIdForm::TrimLeadingZeros.correlates("000", "0"));
        assert!(!MessageIdForm::TrimLeadingZeros.correlates("ABC", "abc"));
        assert!(MessageIdForm::CaseInsensitive.correlates("ABC", "abc"));
        assert!(MessageIdForm::AsIs.correlates("abc", "abc"));
        assert!(!MessageIdForm::AsIs.correlates("abc", "ABC"));
    }

    #[test]
    fn big_numbers() {
        // 2^128 = 340282366920938463463374607431768211456 = 0x1 followed by 32 zeros.
        let hex = format!("1{}", "0".repeat(32));
        let dec = "340282366920938463463374607431768211456";
        assert_eq!(hex_to_decimal(&hex).unwrap(), dec);
        assert_eq!(decimal_to_hex(dec).unwrap(), hex);
        let long_hex = "f".repeat(100);
        let d = hex_to_decimal(&long_hex).unwrap();
        assert_eq!(decimal_to_hex(&d).unwrap(), long_hex);
        assert_eq!(hex_to_decimal(&"1".repeat(MAX_NUMERIC_ID_LEN + 1)), None);
        assert_eq!(hex_to_decimal("0000"), Some("0".to_owned()));
        assert_eq!(decimal_to_hex("0"), Some("0".to_owned()));
    }

    #[test]
    fn names() {
        for f in MessageIdForm::ALL {
            assert_eq!(f.name().parse::<MessageIdForm>(), Ok(f));
        }
        assert_eq!("HexToDecimal".parse(), Ok(MessageIdForm::HexToDecimal));
        assert_eq!(
            "trim_leading_zeros".parse(),
            Ok(MessageIdForm::TrimLeadingZeros)
        );
        assert!("hex".parse::<MessageIdForm>().is_err());
    }
}
