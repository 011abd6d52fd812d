//! UCS-2 as UTF-16BE (`data_coding` 0x08): characters outside the BMP travel as surrogate pairs, so emoji survive.
//!
//! Decoding is lenient by default ([`decode`]: a lone surrogate or a trailing odd octet becomes
//! U+FFFD, since a part cut mid-pair by a careless sender must still display); [`decode_strict`]
//! reports them as errors instead. Neither panics.

use super::CodingError;

/// UTF-16 code units `text` takes (a character outside the BMP counts 2).
pub fn units(text: &str) -> usize {
    text.chars().map(char::len_utf16).sum()
}

/// Encodes `text` as UTF-16BE.
pub fn encode(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() * 2);
    encode_into(text, &mut out);
    out
}

/// Appends the UTF-16BE form of `text` to `out`.
pub fn encode_into(text: &str, out: &mut Vec<u8>) {
    for unit in text.encode_utf16() {
        out.extend_from_slice(&unit.to_be_bytes());
    }
}

fn units_of(payload: &[u8]) -> impl Iterator<Item = u16> + '_ {
    payload
        .chunks_exact(2)
        .map(|p| u16::from_be_bytes([p[0], p[1]]))
}

/// Decodes UTF-16BE leniently: each lone surrogate, and a trailing odd octet, becomes U+FFFD.
pub fn decode(payload: &[u8]) -> String {
    let mut out = String::with_capacity(payload.len());
    out.extend(
        char::decode_utf16(units_of(payload)).map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER)),
    );
    if payload.len() % 2 == 1 {
        out.push(char::REPLACEMENT_CHARACTER);
    }
    out
}

/// Decodes UTF-16BE strictly: an odd length is [`CodingError::OddLength`], a lone surrogate
/// [`CodingError::LoneSurrogate`].
pub fn decode_strict(payload: &[u8]) -> Result<String, CodingError> {
    if payload.len() % 2 == 1 {
        return Err(CodingError::OddLength { len: payload.len() });
    }
    let mut out = String::with_capacity(payload.len());
    let mut offset = 0;
    for r in char::decode_utf16(units_of(payload)) {
        match r {
            Ok(c) => {
                out.push(c);
                offset += 2 * c.len_utf16();
            }
            Err(e) => {
                return Err(CodingError::LoneSurrogate {
                    unit: e.unpaired_surrogate(),
                    offset,
                });
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emoji_and_lone_surrogates() {
        let bytes = encode("a😀");
        assert_eq!(bytes, [0x00, 0x61, 0xD8, 0x3D, 0xDE, 0x00]);
        assert_eq!(decode(&bytes), "a😀");
        assert_eq!(units("a😀"), 3);
        assert_eq!(decode(&bytes[..4]), "a\u{FFFD}");
        assert_eq!(
            decode_strict(&bytes[..4]),
            Err(CodingError::LoneSurrogate {
                unit: 0xD83D,
                offset: 2
            })
        );
        assert_eq!(
            decode_strict(&[0xDE, 0x00, 0x00, 0x61]),
            Err(CodingError::LoneSurrogate {
                unit: 0xDE00,
                offset: 0
            })
        );
        assert_eq!(decode(&[0x00, 0x61, 0x00]), "a\u{FFFD}");
        assert_eq!(decode_strict(&[0]), Err(CodingError::OddLength { len: 1 }));
    }
}
