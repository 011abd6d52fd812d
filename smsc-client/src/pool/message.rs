//! What callers hand the pool ([`OutboundMessage`]) and get back ([`Outcome`]), the errors on
//! both ends, and how a message becomes its submit_sm parts on a carrier (encoding chosen with
//! the carrier's meaning of `data_coding` 0, long texts split as the carrier is configured).

use bytes::Bytes;
use smpp_codec::coding::{self, DefaultAlphabet, Encoding};
use smpp_codec::concat::Splitter;
use smpp_codec::{COctetString, CommandStatus, SubmitSm};

use crate::net::RequestError;

/// What a message carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Content {
    /// Text: encoded in GSM 7-bit when it fits (as `data_coding` 0 only where that means
    /// unpacked GSM), else Latin-1 or UCS-2; split into parts when long.
    Text(String),
    /// Octets already encoded in `data_coding`; split into parts of at most 140 octets.
    Octets {
        /// The `data_coding` of the octets.
        data_coding: u8,
        /// The octets.
        data: Bytes,
    },
}

/// A mobile-terminated message to send through the pool.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboundMessage {
    /// The caller's id: receipts and the outcome carry it.
    pub id: String,
    /// The sender: digits (international, an optional `+`) or an alphanumeric name.
    pub source: String,
    /// The recipient: digits (international, an optional `+`).
    pub destination: String,
    /// The content.
    pub content: Content,
    /// Ask the carrier for delivery receipts.
    pub registered_delivery: bool,
    /// Send through this carrier instead of the route table's choice.
    pub carrier: Option<String>,
}

impl OutboundMessage {
    /// A text message asking for no receipt, routed by destination.
    pub fn text(id: &str, source: &str, destination: &str, text: &str) -> Self {
        OutboundMessage {
            id: id.into(),
            source: source.into(),
            destination: destination.into(),
            content: Content::Text(text.into()),
            registered_delivery: false,
            carrier: None,
        }
    }

    /// Asks for delivery receipts.
    pub fn with_receipt(mut self) -> Self {
        self.registered_delivery = true;
        self
    }

    /// Forces the carrier.
    pub fn via(mut self, carrier: &str) -> Self {
        self.carrier = Some(carrier.into());
        self
    }
}

/// Why a queued message finally failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubmitFailure {
    /// The carrier refused it with a permanent status.
    #[error("refused by the carrier with {0}")]
    Rejected(CommandStatus),
    /// Temporary errors went on past the retry limit; the last one is given.
    #[error("gave up after {retries} retries: {last}")]
    RetriesExhausted {
        /// Retries made.
        retries: u32,
        /// The last error.
        last: RequestError,
    },
    /// No transmitter of the carrier was bound for longer than its `unavailable_timeout_ms`.
    #[error(
        "no bind of the carrier was up for too long: check the carrier's hosts and credentials"
    )]
    Unavailable,
    /// The pool shut down before the message was sent.
    #[error("the pool shut down before the message was sent")]
    ShutDown,
    /// The request failed for a reason retrying cannot fix (e.g. an encoding limit).
    #[error("{0}")]
    Request(RequestError),
}

impl SubmitFailure {
    /// The SMPP status behind the failure, when there is one.
    pub fn command_status(&self) -> Option<CommandStatus> {
        match self {
            SubmitFailure::Rejected(s) => Some(*s),
            SubmitFailure::RetriesExhausted { last, .. } | SubmitFailure::Request(last) => {
                last.command_status()
            }
            _ => None,
        }
    }
}

/// The end of one message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The caller's id.
    pub id: String,
    /// The carrier it went to.
    pub carrier: String,
    /// The SMSC's message id of each part accepted, in part order (all parts when accepted).
    pub message_ids: Vec<String>,
    /// How many parts the message has.
    pub parts: usize,
    /// submit_sm PDUs sent for it, retries included.
    pub attempts: u32,
    /// Some part was sent again after an attempt whose outcome was unknown (no response seen:
    /// timeout or bind lost with it in flight): the carrier may have it twice.
    pub possible_duplicate: bool,
    /// `Ok` when every part was accepted.
    pub result: Result<(), SubmitFailure>,
}

impl Outcome {
    /// Every part was accepted.
    pub fn is_accepted(&self) -> bool {
        self.result.is_ok()
    }
}

/// Why a message was not queued.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubmitError {
    /// No route matches the destination and there is no fallback carrier.
    #[error("no route for destination {0:?} and no fallback carrier: add a route")]
    NoRoute(String),
    /// The message names a carrier the pool does not have.
    #[error("unknown carrier `{0}`")]
    UnknownCarrier(String),
    /// The message cannot be encoded or split (an address too long, a text too long...).
    #[error("cannot build the message: {0}")]
    Invalid(String),
    /// The pool is shut down.
    #[error("the pool is shut down")]
    ShutDown,
}

/// (ton, npi, address) for an address: international for digits (with an optional `+`),
/// alphanumeric otherwise.
fn address(addr: &str) -> (u8, u8, &str) {
    let digits = addr.strip_prefix('+').unwrap_or(addr);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        (1, 1, digits)
    } else {
        (5, 0, addr)
    }
}

/// The encoding of `text` on a carrier whose `data_coding` 0 means `alphabet`.
fn encoding_for(text: &str, alphabet: DefaultAlphabet) -> Encoding {
    let choice = coding::choose(text, &[]);
    match (choice.encoding, alphabet) {
        (Encoding::Gsm7(_), DefaultAlphabet::GsmUnpacked) => choice.encoding,
        // data_coding 0 means something else here: say what the octets are.
        (Encoding::Gsm7(_), _) if coding::encode(text, &Encoding::Latin1).is_ok() => {
            Encoding::Latin1
        }
        (Encoding::Gsm7(_), _) => Encoding::Ucs2,
        (e, _) => e,
    }
}

/// The submit_sm parts of `msg`, split with `splitter`.
pub(crate) fn build_parts(
    msg: &OutboundMessage,
    alphabet: DefaultAlphabet,
    splitter: &mut Splitter,
) -> Result<Vec<SubmitSm>, SubmitError> {
    let invalid =
        |what: &str, e: &dyn std::fmt::Display| SubmitError::Invalid(format!("{what}: {e}"));
    let (src_ton, src_npi, src) = address(&msg.source);
    let (dst_ton, dst_npi, dst) = address(&msg.destination);
    let template = SubmitSm {
        source_addr_ton: src_ton,
        source_addr_npi: src_npi,
        source_addr: COctetString::try_from(src).map_err(|e| invalid("source", &e))?,
        dest_addr_ton: dst_ton,
        dest_addr_npi: dst_npi,
        destination_addr: COctetString::try_from(dst).map_err(|e| invalid("destination", &e))?,
        registered_delivery: u8::from(msg.registered_delivery),
        ..SubmitSm::default()
    };
    let split = match &msg.content {
        Content::Text(text) => {
            let enc = encoding_for(text, alphabet);
            splitter.split_text(template.destination_addr.as_bytes(), text, &enc)
        }
        Content::Octets { data_coding, data } => {
            splitter.split_octets(template.destination_addr.as_bytes(), data, *data_coding)
        }
    }
    .map_err(|e| invalid("content", &e))?;
    let parts = split
        .submit_sms(&template)
        .map_err(|e| invalid("content", &e))?;
    if parts.is_empty() || parts.len() > 255 {
        return Err(SubmitError::Invalid(format!(
            "{} parts: a message has 1 to 255",
            parts.len()
        )));
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use smpp_codec::concat::ConcatMode;

    #[test]
    fn encodings_follow_the_default_alphabet() {
        assert_eq!(
            encoding_for("hello", DefaultAlphabet::GsmUnpacked).data_coding(),
            0
        );
        assert_eq!(
            encoding_for("hello", DefaultAlphabet::Latin1).data_coding(),
            3
        );
        assert_eq!(
            encoding_for("hello", DefaultAlphabet::GsmPacked).data_coding(),
            3
        );
        // Greek capitals are GSM but not Latin-1.
        assert_eq!(encoding_for("ΩΣ", DefaultAlphabet::Latin1).data_coding(), 8);
        assert_eq!(
            encoding_for("日本", DefaultAlphabet::GsmUnpacked).data_coding(),
            8
        );
    }

    #[test]
    fn parts() {
        let mut s = Splitter::new(ConcatMode::Udh8);
        let m =
            OutboundMessage::text("a", "ACME", "+447700900123", &"x".repeat(200)).with_receipt();
        let p = build_parts(&m, DefaultAlphabet::GsmUnpacked, &mut s).unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].destination_addr.to_string(), "447700900123");
        assert_eq!((p[0].dest_addr_ton, p[0].source_addr_ton), (1, 5));
        assert_eq!(p[1].registered_delivery, 1);
        let bad = OutboundMessage::text("a", "ACME", &"9".repeat(30), "x");
        assert!(matches!(
            build_parts(&bad, DefaultAlphabet::GsmUnpacked, &mut s),
            Err(SubmitError::Invalid(_))
        ));
        let octets = OutboundMessage {
            content: Content::Octets {
                data_coding: 4,
                data: Bytes::from(vec![7u8; 300]),
            },
            ..m
        };
        assert_eq!(
            build_parts(&octets, DefaultAlphabet::GsmUnpacked, &mut s)
                .unwrap()
                .len(),
            3
        );
    }
}
