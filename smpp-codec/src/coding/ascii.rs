//! IA5 / ASCII (CCITT T.50, `data_coding` 0x01): one octet per character, U+0000..U+007F.

use std::borrow::Cow;

use super::CodingError;

/// Encodes `text` as ASCII; a non-ASCII character is [`CodingError::Unencodable`].
pub fn encode(text: &str) -> Result<Vec<u8>, CodingError> {
    if let Some((offset, ch)) = text.char_indices().find(|(_, c)| !c.is_ascii()) {
        return Err(CodingError::Unencodable {
            ch,
            offset,
            encoding: "ASCII",
        });
    }
    Ok(text.as_bytes().to_vec())
}

/// Decodes ASCII without copying; an octet above 0x7F is [`CodingError::NotAscii`].
pub fn decode(payload: &[u8]) -> Result<Cow<'_, str>, CodingError> {
    match std::str::from_utf8(payload) {
        Ok(s) if s.is_ascii() => Ok(Cow::Borrowed(s)),
        _ => {
            let offset = payload.iter().position(|b| !b.is_ascii()).unwrap_or(0);
            Err(CodingError::NotAscii {
                octet: payload.get(offset).copied().unwrap_or(0),
                offset,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        assert_eq!(encode("Hi!").unwrap(), b"Hi!");
        assert_eq!(decode(b"Hi!").unwrap(), "Hi!");
        assert_eq!(
            decode(b"H\xE9"),
            Err(CodingError::NotAscii {
                octet: 0xE9,
                offset: 1
            })
        );
        assert!(encode("é").is_err());
    }
}
