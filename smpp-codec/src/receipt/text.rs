//! `ReceiptText`: the tolerant parser of the receipt text form
//! `id:… sub:… dlvrd:… submit date:… done date:… stat:… err:… text:…` (SMPP 3.4 Appendix B and
//! the vendor variants of it), borrowing every field from the input.

use super::ReceiptError;
use super::state::MessageState;
use super::time::ReceiptDate;
use std::borrow::Cow;

/// A `key:value` pair of a receipt text that is not one of the standard fields (`mccmnc:`,
/// `imsi:`, ...), or a repeat of a standard one; in the order met.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExtraField<'a> {
    /// The key as written (case kept).
    pub key: &'a str,
    /// The value as written.
    pub value: &'a str,
}

/// The fields of a receipt text, each a view of the input (`None` when absent or empty).
///
/// The parser ([`ReceiptText::parse`]) is tolerant:
/// - keys in any case, in any order, any of them missing; `submit date` and `done date` also
///   spelt `submit_date`, `submitdate`, `Submit-Date`, ...; `stat` also `status`; `err` also
///   `error`;
/// - fields separated by any ASCII whitespace (NULs count as whitespace), `key: value` with a
///   space after the colon accepted;
/// - `id` ends at whitespace (hex, decimal, UUIDs with dashes, any length);
/// - `stat` and unknown keys take the following words too, up to the next `key:`
///   (`stat:DELIVERED TO CARRIER`); the other standard fields stop at whitespace;
/// - `text:` (any case) runs to the end of the input, trailing NULs excepted: anything after it,
///   however it looks, is the message's text;
/// - unknown `key:value` pairs, and repeats of a standard field, are kept in [`extra`](Self::extra)
///   (the first occurrence of a standard field wins); words outside any `key:value` are skipped;
/// - a field whose value is not UTF-8 is skipped (`text` excepted, which is kept as octets).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReceiptText<'a> {
    /// `id:`, the MC's message id as the receipt writes it.
    pub id: Option<&'a str>,
    /// `sub:`, the number of messages submitted (text, e.g. `001`; see [`submitted`](Self::submitted)).
    pub sub: Option<&'a str>,
    /// `dlvrd:`, the number delivered (text; see [`delivered`](Self::delivered)).
    pub dlvrd: Option<&'a str>,
    /// `submit date:`, raw and parsed.
    pub submit_date: Option<ReceiptDate<'a>>,
    /// `done date:`, raw and parsed.
    pub done_date: Option<ReceiptDate<'a>>,
    /// `stat:`, the state word as written (see [`state`](Self::state)).
    pub stat: Option<&'a str>,
    /// `err:`, the error code as written (any length: `0`, `000`, `0000`, `1A`, ...).
    pub err: Option<&'a str>,
    /// `text:`, to the end of the input (may be empty, and need not be UTF-8).
    pub text: Option<&'a [u8]>,
    /// Unknown fields and repeats, in order. Empty (and not allocated) for the usual receipts.
    pub extra: Vec<ExtraField<'a>>,
}

/// The standard fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Key {
    Id,
    Sub,
    Dlvrd,
    SubmitDate,
    DoneDate,
    Stat,
    Err,
    Text,
}

/// Octet classes: whitespace (ASCII whitespace and NUL, a C-string leftover) and `:`.
const WS: u8 = 1;
const COLON: u8 = 2;
static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let ws = [b' ', b'\t', b'\r', b'\n', 0, 0x0B, 0x0C];
    let mut i = 0;
    while i < ws.len() {
        t[ws[i] as usize] = WS;
        i += 1;
    }
    t[b':' as usize] = COLON;
    t
};

/// ASCII whitespace, NUL included.
fn is_ws(b: u8) -> bool {
    CLASS[usize::from(b)] == WS
}

/// The standard field a key names, ignoring ASCII case, whitespace, `_` and `-`.
fn classify(key: &[u8]) -> Option<Key> {
    // The key squashed to lowercase letters in a small buffer: no standard key is longer than
    // 10 letters, so anything longer is not one.
    let mut buf = [0u8; 10];
    let mut len = 0;
    for &b in key {
        if is_ws(b) || b == b'_' || b == b'-' {
            continue;
        }
        *buf.get_mut(len)? = b.to_ascii_lowercase();
        len += 1;
    }
    Some(match &buf[..len] {
        b"id" => Key::Id,
        b"sub" => Key::Sub,
        b"dlvrd" => Key::Dlvrd,
        b"submitdate" => Key::SubmitDate,
        b"donedate" => Key::DoneDate,
        b"stat" | b"status" => Key::Stat,
        b"err" | b"error" => Key::Err,
        b"text" => Key::Text,
        _ => return None,
    })
}

/// A cursor over the input.
struct Scanner<'a> {
    s: &'a [u8],
}

impl<'a> Scanner<'a> {
    fn skip_ws(&self, i: usize) -> usize {
        let rest = self.s.get(i..).unwrap_or_default();
        i + rest.iter().position(|&b| !is_ws(b)).unwrap_or(rest.len())
    }

    /// End of the word starting at `i` (stops at whitespace, and at `:` when `colon`).
    fn word_end(&self, i: usize, colon: bool) -> usize {
        let stop = if colon { WS | COLON } else { WS };
        let rest = self.s.get(i..).unwrap_or_default();
        i + rest
            .iter()
            .position(|&b| CLASS[usize::from(b)] & stop != 0)
            .unwrap_or(rest.len())
    }

    /// For a word `start..end` followed by whitespace: when it is `submit` or `done` and the
    /// next word is `date` followed by `:`, the position of that `:`.
    fn two_word_key(&self, start: usize, end: usize) -> Option<usize> {
        let w = &self.s[start..end];
        if !(w.eq_ignore_ascii_case(b"submit") || w.eq_ignore_ascii_case(b"done")) {
            return None;
        }
        let j = self.skip_ws(end);
        let k = self.word_end(j, true);
        (self.s[j..k].eq_ignore_ascii_case(b"date") && self.s.get(k) == Some(&b':')).then_some(k)
    }

    /// Whether a `key:` starts at `i` (a word holding a `:`, or `submit date:` / `done date:`).
    fn key_at(&self, i: usize) -> bool {
        let end = self.word_end(i, true);
        self.s.get(end) == Some(&b':') || self.two_word_key(i, end).is_some()
    }
}

impl<'a> ReceiptText<'a> {
    /// Parses a receipt text (see the type's documentation for what is tolerated).
    ///
    /// Errors: [`ReceiptError::Empty`] for an empty or blank text, [`ReceiptError::Unparseable`]
    /// when not one standard `key:` is found. A text with standard fields but no `id:` parses;
    /// [`Receipt`](super::Receipt) then looks for the id in the TLVs.
    pub fn parse(text: &'a str) -> Result<ReceiptText<'a>, ReceiptError> {
        ReceiptText::parse_with(text.as_bytes(), Some(text))
    }

    /// Parses a receipt text given as octets (a `short_message` or `message_payload`); the same
    /// as [`parse`](Self::parse), except that fields which are not UTF-8 are skipped.
    pub fn parse_bytes(text: &'a [u8]) -> Result<ReceiptText<'a>, ReceiptError> {
        ReceiptText::parse_with(text, std::str::from_utf8(text).ok())
    }

    /// The parser; `utf8` is `text` as a `str` when it is valid UTF-8 (then no field needs a
    /// check of its own: fields end at ASCII octets, hence at character boundaries).
    fn parse_with(text: &'a [u8], utf8: Option<&'a str>) -> Result<ReceiptText<'a>, ReceiptError> {
        let sc = Scanner { s: text };
        let s = text;
        let field = |a: usize, b: usize| match utf8 {
            Some(u) => u.get(a..b),
            None => std::str::from_utf8(&s[a..b]).ok(),
        };
        let n = s.len();
        let mut out = ReceiptText::default();
        let mut known = false;
        let mut i = 0;
        loop {
            i = sc.skip_ws(i);
            if i >= n {
                break;
            }
            let start = i;
            let word_end = sc.word_end(i, true);
            let key_end = if s.get(word_end) == Some(&b':') {
                if word_end == start {
                    // A lone ':' (or '::'): not a key.
                    i = word_end + 1;
                    continue;
                }
                word_end
            } else if let Some(colon) = sc.two_word_key(start, word_end) {
                colon
            } else {
                // A word outside any `key:value`.
                i = word_end;
                continue;
            };
            let key = &s[start..key_end];
            i = key_end + 1;
            let kind = classify(key);
            known |= kind.is_some();
            if kind == Some(Key::Text) {
                let mut end = n;
                while end > i && s[end - 1] == 0 {
                    end -= 1;
                }
                out.text = Some(&s[i..end]);
                break;
            }
            // The value: up to whitespace; or, when the colon is followed by whitespace, the next
            // word unless that word is a key (`key: value` vs. `key: next:...`).
            let mut vstart = i;
            let mut vend = sc.word_end(i, false);
            if vend == vstart {
                let j = sc.skip_ws(i);
                if j < n && !sc.key_at(j) {
                    vstart = j;
                    vend = sc.word_end(j, false);
                }
            }
            // `stat` and unknown keys take the following plain words too.
            if vend > vstart && matches!(kind, Some(Key::Stat) | None) {
                loop {
                    let j = sc.skip_ws(vend);
                    if j >= n || sc.key_at(j) {
                        break;
                    }
                    vend = sc.word_end(j, false);
                }
            }
            i = vend.max(i);
            let Some(value) = field(vstart, vend) else {
                continue;
            };
            if value.is_empty() && kind.is_some() {
                continue;
            }
            let slot = match kind {
                Some(Key::Id) => &mut out.id,
                Some(Key::Sub) => &mut out.sub,
                Some(Key::Dlvrd) => &mut out.dlvrd,
                Some(Key::Stat) => &mut out.stat,
                Some(Key::Err) => &mut out.err,
                Some(Key::SubmitDate) if out.submit_date.is_none() => {
                    out.submit_date = Some(ReceiptDate::parse(value));
                    continue;
                }
                Some(Key::DoneDate) if out.done_date.is_none() => {
                    out.done_date = Some(ReceiptDate::parse(value));
                    continue;
                }
                _ => {
                    if let Some(key) = field(start, key_end) {
                        out.extra.push(ExtraField { key, value });
                    }
                    continue;
                }
            };
            if slot.is_none() {
                *slot = Some(value);
            } else if let Some(key) = field(start, key_end) {
                out.extra.push(ExtraField { key, value });
            }
        }
        if known {
            Ok(out)
        } else if s.iter().all(|&b| is_ws(b)) {
            Err(ReceiptError::Empty)
        } else {
            Err(ReceiptError::Unparseable)
        }
    }

    /// The state `stat:` names (see [`MessageState::from_stat`] for the words accepted).
    pub fn state(&self) -> Option<MessageState> {
        self.stat.and_then(MessageState::from_stat)
    }

    /// `sub:` as a number, when it is decimal digits.
    pub fn submitted(&self) -> Option<u32> {
        decimal(self.sub?)
    }

    /// `dlvrd:` as a number, when it is decimal digits.
    pub fn delivered(&self) -> Option<u32> {
        decimal(self.dlvrd?)
    }

    /// `err:` as a number, when it is decimal digits (`000` is 0; `1A` is `None`: see
    /// [`err`](Self::err)).
    pub fn err_code(&self) -> Option<u32> {
        decimal(self.err?)
    }

    /// `text:` as UTF-8, when it is.
    pub fn text_str(&self) -> Option<&'a str> {
        std::str::from_utf8(self.text?).ok()
    }

    /// `text:` as UTF-8, invalid sequences replaced.
    pub fn text_lossy(&self) -> Option<Cow<'a, str>> {
        Some(String::from_utf8_lossy(self.text?))
    }

    /// The value of an extra field, by key (ASCII case-insensitive); the first when repeated.
    pub fn extra(&self, key: &str) -> Option<&'a str> {
        self.extra
            .iter()
            .find(|f| f.key.eq_ignore_ascii_case(key))
            .map(|f| f.value)
    }
}

/// Decimal digits only (leading zeros allowed), as a `u32`.
fn decimal(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_form() {
        let t = ReceiptText::parse(
            "id:7F3A sub:001 dlvrd:001 submit date:2401021530 done date:2401021531 stat:DELIVRD err:000 text:Hello there",
        )
        .unwrap();
        assert_eq!(t.id, Some("7F3A"));
        assert_eq!(t.submitted(), Some(1));
        assert_eq!(t.delivered(), Some(1));
        assert_eq!(t.submit_date.unwrap().raw, "2401021530");
        assert_eq!(t.done_date.unwrap().time().unwrap().minute, 31);
        assert_eq!(t.state(), Some(MessageState::Delivered));
        assert_eq!(t.err_code(), Some(0));
        assert_eq!(t.text_str(), Some("Hello there"));
        assert!(t.extra.is_empty());
    }

    #[test]
    fn spaces_after_colons_and_empty_values() {
        let t = ReceiptText::parse("id: 42 sub: dlvrd:1 stat: DELIVRD err: Text:").unwrap();
        assert_eq!(t.id, Some("42"));
        assert_eq!(t.sub, None);
        assert_eq!(t.dlvrd, Some("1"));
        assert_eq!(t.stat, Some("DELIVRD"));
        assert_eq!(t.err, None);
        assert_eq!(t.text, Some(&b""[..]));
    }

    #[test]
    fn errors() {
        assert_eq!(ReceiptText::parse(""), Err(ReceiptError::Empty));
        assert_eq!(ReceiptText::parse(" \0\n"), Err(ReceiptError::Empty));
        assert_eq!(
            ReceiptText::parse("hello world"),
            Err(ReceiptError::Unparseable)
        );
        assert_eq!(
            ReceiptText::parse("foo:bar ::: :"),
            Err(ReceiptError::Unparseable)
        );
    }
}
