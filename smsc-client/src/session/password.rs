//! `Password`: a bind or outbind password that never shows in `Debug` output or logs.

use std::fmt;

use bytes::Bytes;
use smpp_codec::{COctetString, EncodeError};

/// An SMPP password (SMPP 5.0 §4.7.18: at most 8 octets plus NUL). Its `Debug` output is
/// redacted and it has no `Display`; read it with [`expose`](Self::expose), compare it with
/// [`matches`](Self::matches).
#[derive(Clone, Default)]
pub struct Password(COctetString<9>);

impl Password {
    /// A password from octets, checked (at most 8 octets, no NUL).
    pub fn new(value: impl Into<Bytes>) -> Result<Self, EncodeError> {
        COctetString::new(value).map(Password)
    }

    /// The password octets, for building a bind or checking credentials.
    pub fn expose(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// The wire field, for building a `Bind` / `Outbind` body.
    pub fn into_inner(self) -> COctetString<9> {
        self.0
    }

    /// Compares with `candidate` without stopping at the first differing octet.
    pub fn matches(&self, candidate: &[u8]) -> bool {
        let ours = self.0.as_bytes();
        let mut diff = u8::from(ours.len() != candidate.len());
        for i in 0..ours.len().max(candidate.len()) {
            let a = ours.get(i).copied().unwrap_or(0);
            let b = candidate.get(i).copied().unwrap_or(0);
            diff |= a ^ b;
        }
        diff == 0
    }
}

impl From<COctetString<9>> for Password {
    fn from(value: COctetString<9>) -> Self {
        Password(value)
    }
}

impl TryFrom<&str> for Password {
    type Error = EncodeError;
    fn try_from(s: &str) -> Result<Self, EncodeError> {
        COctetString::try_from(s).map(Password)
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacted_and_compared() {
        let p = Password::try_from("s3cret").unwrap();
        assert_eq!(format!("{p:?}"), "Password(<redacted>)");
        assert!(p.matches(b"s3cret"));
        assert!(!p.matches(b"s3cre"));
        assert!(!p.matches(b"s3cret!"));
        assert!(!p.matches(b"S3cret"));
        assert_eq!(p.expose(), b"s3cret");
        assert!(Password::try_from("much-too-long").is_err());
    }
}
