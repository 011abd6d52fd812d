//! ISO-8859-1 (Latin-1, `data_coding` 0x03): one octet per character, U+0000..U+00FF.

use std::borrow::Cow;

use super::CodingError;

/// Encodes `text` as Latin-1; a character above U+00FF is [`CodingError::Unencodable`].
pub fn encode(text: &str) -> Result<Vec<u8>, CodingError> {
    let mut out = Vec::with_capacity(text.len());
    for (offset, ch) in text.char_indices() {
        let b = u8::try_from(u32::from(ch)).map_err(|_| CodingError::Unencodable {
            ch,
            offset,
            encoding: "Latin-1",
        })?;
        out.push(b);
    }
    Ok(out)
}

/// Decodes Latin-1 (every octet is a character); borrows when the payload is ASCII.
pub fn decode(payload: &[u8]) -> Cow<'_, str> {
    if payload.is_ascii() {
        if let Ok(s) = std::str::from_utf8(payload) {
            return Cow::Borrowed(s);
        }
    }
    Cow::Owned(payload.iter().map(|&b| char::from(b)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        assert_eq!(encode("café").unwrap(), b"caf\xE9");
        assert_eq!(decode(b"caf\xE9"), "café");
        assert!(matches!(decode(b"plain"), Cow::Borrowed("plain")));
        assert!(encode("€").is_err());
    }
}
