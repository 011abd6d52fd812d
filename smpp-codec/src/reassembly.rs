//! Bounded reassembly of incoming long-message parts (UDH or SAR), with timeouts passed in.
//!
//! A [`Reassembler`] is a plain state machine: parts and `Instant`s in, whole messages out. It
//! reads no clock and starts no thread; the caller passes `now` and drives expiry with
//! [`Reassembler::poll_timeout`] and [`Reassembler::poll_expired`].
//!
//! Parts are grouped by [`MessageKey`]: source, destination, reference (with its carrier: UDH
//! 8-bit, UDH 16-bit or SAR) and total. They may arrive in any order; a repeated part is
//! ignored and counted; a part numbered 0 or above its total is refused. A message still
//! incomplete [`ReassemblyConfig::timeout`] after its first part is delivered with its gaps
//! marked or dropped, as [`ReassemblyConfig::on_timeout`] says.
//!
//! Memory is capped by [`ReassemblyConfig::max_messages`] and [`ReassemblyConfig::max_bytes`]
//! (stored payload and address octets): the oldest pending messages are evicted first to make
//! room, and counted in [`ReassemblyStats::evicted`]. Stored octets are copies, so a pending part
//! never pins the frame it arrived in. Bookkeeping (about 50 octets per stored part and 150 per
//! message) comes on top of the counted octets, bounded by `max_messages` × 255 parts.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use bytes::Bytes;
//! use smpp_codec::concat::{Concat, MessageRef};
//! use smpp_codec::reassembly::{IncomingPart, Outcome, Reassembler, ReassemblyConfig};
//!
//! let mut r = Reassembler::new(ReassemblyConfig::default());
//! let now = Instant::now();
//! let part = |seq, text: &'static str| IncomingPart {
//!     source: Bytes::from_static(b"447700900123"),
//!     destination: Bytes::from_static(b"12345"),
//!     concat: Concat { reference: MessageRef::Udh8(7), total: 2, seq },
//!     payload: Bytes::from_static(text.as_bytes()),
//!     data_coding: 0,
//!     national_locking: None,
//!     national_single: None,
//!     udh_len: 6,
//! };
//! assert!(matches!(r.push(now, part(2, "world")), Ok(Outcome::Pending { received: 1, total: 2 })));
//! let Ok(Outcome::Complete(m)) = r.push(now + Duration::from_secs(1), part(1, "hello ")) else {
//!     panic!()
//! };
//! assert_eq!(&m.payload[..], b"hello world");
//! assert_eq!(m.text(Default::default()).unwrap(), "hello world");
//! ```

use bytes::{Bytes, BytesMut};
use std::collections::BTreeMap;
use std::ops::Range;
use std::time::{Duration, Instant};

use crate::coding::{self, CodingError, DefaultAlphabet, NationalShift, dcs};
use crate::concat::{Concat, MessageRef, Udh, UdhError};
use crate::pdu::{DataSm, DeliverSm};
use crate::status::CommandStatus;
use crate::tlv::Tlvs;

/// What to do with a message still incomplete when its time is up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum OnTimeout {
    /// Deliver what arrived, the gaps marked ([`Message::segments`], [`Message::missing`]).
    #[default]
    DeliverPartial,
    /// Drop it (reported as [`Expired::Dropped`]).
    Drop,
}

/// Limits and policy of a [`Reassembler`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ReassemblyConfig {
    /// How long after its first part a message may stay incomplete.
    pub timeout: Duration,
    /// What then happens to it.
    pub on_timeout: OnTimeout,
    /// Most messages pending at once (at least 1).
    pub max_messages: usize,
    /// Most octets pending at once: stored payloads plus each message's two addresses.
    pub max_bytes: usize,
}

impl Default for ReassemblyConfig {
    /// 5 minutes, partial delivery, 4096 messages, 4 MiB.
    fn default() -> Self {
        ReassemblyConfig {
            timeout: Duration::from_secs(300),
            on_timeout: OnTimeout::DeliverPartial,
            max_messages: 4096,
            max_bytes: 4 << 20,
        }
    }
}

/// Counters since the reassembler was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct ReassemblyStats {
    /// Messages completed from parts.
    pub completed: u64,
    /// Messages that arrived whole (no concatenation information, or a total of 1).
    pub whole: u64,
    /// Parts ignored because that part of that message had already arrived.
    pub duplicates: u64,
    /// Parts refused: number 0 or above the total, total 0, a malformed UDH, too large.
    pub rejected: u64,
    /// Parts that started a message while another with the same source, destination and
    /// reference but a different total was pending (a reused reference, or a confused sender).
    pub inconsistent_total: u64,
    /// Pending messages evicted to stay within the caps (dropped, not delivered).
    pub evicted: u64,
    /// Incomplete messages delivered on timeout.
    pub expired_delivered: u64,
    /// Incomplete messages dropped on timeout.
    pub expired_dropped: u64,
}

/// Why a part was refused. The reassembler is unchanged, but for its counters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReassemblyError {
    /// The user data header is malformed.
    #[error(transparent)]
    Udh(#[from] UdhError),
    /// A total of 0 parts.
    #[error("concatenated message announces 0 parts")]
    TotalZero,
    /// A part number of 0 or above the total. (TS 23.040 §9.2.3.24.1 has a handset ignore such an
    /// element and show the part alone; the part is still available to the caller.)
    #[error("part number {seq} is outside 1..={total}")]
    BadSeq {
        /// The part number.
        seq: u8,
        /// The total.
        total: u8,
    },
    /// A part that alone exceeds the byte cap.
    #[error(
        "part of {len} octets (with addresses) exceeds the reassembly cap of {max}: raise max_bytes"
    )]
    TooLarge {
        /// Its octets, addresses included.
        len: usize,
        /// [`ReassemblyConfig::max_bytes`].
        max: usize,
    },
}

impl ReassemblyError {
    /// The `command_status` an ESME answers the `deliver_sm` with: `ESME_RX_P_APPN` (permanent:
    /// a redelivery would be refused again).
    pub fn command_status(&self) -> CommandStatus {
        CommandStatus::ESME_RX_P_APPN
    }
}

/// What identifies the parts of one message.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageKey {
    /// The sender's address octets.
    pub source: Bytes,
    /// The recipient's address octets.
    pub destination: Bytes,
    /// The reference and its carrier.
    pub reference: MessageRef,
    /// How many parts the message has.
    pub total: u8,
}

/// One received part, from any PDU.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncomingPart {
    /// The sender's address octets.
    pub source: Bytes,
    /// The recipient's address octets.
    pub destination: Bytes,
    /// Reference, total and this part's number.
    pub concat: Concat,
    /// The user data after any UDH.
    pub payload: Bytes,
    /// The part's `data_coding`.
    pub data_coding: u8,
    /// National language locking shift id (UDH element 0x25), if announced.
    pub national_locking: Option<u8>,
    /// National language single shift id (UDH element 0x24), if announced.
    pub national_single: Option<u8>,
    /// Octets of the part's UDH, UDHL included (0 without one): where packed GSM septets start.
    pub udh_len: usize,
}

/// A received PDU's user data, classified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Incoming {
    /// A part of a longer message.
    Part(IncomingPart),
    /// A message on its own.
    Whole(Message),
}

impl Incoming {
    /// Classifies user data: a part when its UDH has a concatenation element (8- or 16-bit) or,
    /// failing that, when `tlvs` has all three SAR TLVs; whole otherwise. The user data is
    /// `short_message`, or `message_payload` when `short_message` is empty.
    pub fn from_user_data(
        source: &Bytes,
        destination: &Bytes,
        esm_class: u8,
        data_coding: u8,
        short_message: &Bytes,
        tlvs: &Tlvs,
    ) -> Result<Incoming, UdhError> {
        let user_data = if short_message.is_empty() {
            tlvs.message_payload().unwrap_or_default()
        } else {
            short_message.clone()
        };
        let (udh, payload) = Udh::split(esm_class, &user_data)?;
        let udh_len = user_data.len() - payload.len();
        let (locking, single) = udh.as_ref().map_or((None, None), |u| {
            (u.national_locking_shift(), u.national_single_shift())
        });
        let sar = || {
            Some(Concat {
                reference: MessageRef::Sar(tlvs.sar_msg_ref_num()?),
                total: tlvs.sar_total_segments()?,
                seq: tlvs.sar_segment_seqnum()?,
            })
        };
        match udh.as_ref().and_then(Udh::concat).or_else(sar) {
            Some(concat) => Ok(Incoming::Part(IncomingPart {
                source: source.clone(),
                destination: destination.clone(),
                concat,
                payload,
                data_coding,
                national_locking: locking,
                national_single: single,
                udh_len,
            })),
            None => {
                let len = payload.len();
                Ok(Incoming::Whole(Message {
                    source: source.clone(),
                    destination: destination.clone(),
                    reference: None,
                    total: 1,
                    data_coding,
                    national_locking: locking,
                    national_single: single,
                    payload,
                    segments: vec![Segment {
                        seq: 1,
                        range: 0..len,
                        udh_len,
                    }],
                }))
            }
        }
    }

    /// Classifies a `deliver_sm` (see [`from_user_data`](Self::from_user_data)).
    pub fn from_deliver_sm(pdu: &DeliverSm) -> Result<Incoming, UdhError> {
        Incoming::from_user_data(
            &pdu.source_addr.to_bytes(),
            &pdu.destination_addr.to_bytes(),
            pdu.esm_class,
            pdu.data_coding,
            &pdu.short_message.to_bytes(),
            &pdu.tlvs,
        )
    }

    /// Classifies a `data_sm`: its user data is `message_payload`.
    pub fn from_data_sm(pdu: &DataSm) -> Result<Incoming, UdhError> {
        Incoming::from_user_data(
            &pdu.source_addr.to_bytes(),
            &pdu.destination_addr.to_bytes(),
            pdu.esm_class,
            pdu.data_coding,
            &Bytes::new(),
            &pdu.tlvs,
        )
    }
}

/// Where one received part sits in a [`Message`]'s payload.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Segment {
    /// The part's number, from 1.
    pub seq: u8,
    /// Its octets within [`Message::payload`].
    pub range: Range<usize>,
    /// Octets of its UDH, UDHL included: where packed GSM septets start (see
    /// [`coding::gsm7::fill_bits`]).
    pub udh_len: usize,
}

/// A reassembled (or whole, or timed-out partial) message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// The sender's address octets.
    pub source: Bytes,
    /// The recipient's address octets.
    pub destination: Bytes,
    /// The reference, `None` for a message that arrived whole.
    pub reference: Option<MessageRef>,
    /// Parts the message announced.
    pub total: u8,
    /// `data_coding` (of the first part received).
    pub data_coding: u8,
    /// National language locking shift id (UDH element 0x25) a part announced.
    pub national_locking: Option<u8>,
    /// National language single shift id (UDH element 0x24) a part announced.
    pub national_single: Option<u8>,
    /// The received parts' user data (after their UDHs), in part order.
    pub payload: Bytes,
    /// The received parts, in order; a gap in `seq` is a missing part.
    pub segments: Vec<Segment>,
}

/// What [`Message::text`] puts where parts are missing.
pub const GAP_MARKER: &str = "\u{2026}";

impl Message {
    /// `true` when every part arrived.
    pub fn is_complete(&self) -> bool {
        self.segments.len() == usize::from(self.total)
    }

    /// The numbers of the parts that did not arrive.
    pub fn missing(&self) -> Vec<u8> {
        let mut have = self.segments.iter().map(|s| s.seq).peekable();
        (1..=self.total)
            .filter(|&n| {
                if have.peek() == Some(&n) {
                    have.next();
                    false
                } else {
                    true
                }
            })
            .collect()
    }

    /// The national shift tables announced, for [`coding::decode_text`].
    pub fn national_shift(&self) -> NationalShift {
        NationalShift::from_ids(self.national_locking, self.national_single)
    }

    /// The text, decoded by `data_coding` with the national tables announced; `default` says
    /// what `data_coding` 0 means on the bind. Missing parts show as [`GAP_MARKER`].
    pub fn text(&self, default: DefaultAlphabet) -> Result<String, CodingError> {
        self.text_with_gaps(default, GAP_MARKER)
    }

    /// [`text`](Self::text) with `marker` where parts are missing. Each run of consecutive
    /// parts is decoded as one, so an escape or surrogate pair a sender split across two parts
    /// still decodes. Packed GSM is unpacked part by part (each has its own fill bits).
    pub fn text_with_gaps(
        &self,
        default: DefaultAlphabet,
        marker: &str,
    ) -> Result<String, CodingError> {
        let packed = matches!(
            dcs::Dcs::interpret(self.data_coding, default).alphabet,
            dcs::Alphabet::Gsm7 { packed: true }
        );
        let mut out = String::new();
        let mut next = 1u16;
        let mut run: Vec<u8> = Vec::new();
        let flush = |run: &mut Vec<u8>, out: &mut String| -> Result<(), CodingError> {
            if !run.is_empty() {
                let text = if packed {
                    coding::gsm7::decode(run, self.national_shift())?
                } else {
                    coding::decode_text(run, self.data_coding, default, self.national_shift(), 0)?
                };
                out.push_str(&text);
                run.clear();
            }
            Ok(())
        };
        for s in &self.segments {
            if u16::from(s.seq) != next {
                flush(&mut run, &mut out)?;
                out.push_str(marker);
            }
            let octets = &self.payload[s.range.clone()];
            if packed {
                run.extend(coding::gsm7::unpack_all(
                    octets,
                    coding::gsm7::fill_bits(s.udh_len),
                ));
            } else {
                run.extend_from_slice(octets);
            }
            next = u16::from(s.seq) + 1;
        }
        flush(&mut run, &mut out)?;
        if next <= u16::from(self.total) {
            out.push_str(marker);
        }
        Ok(out)
    }
}

/// What happened to a part.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The message is complete (or arrived whole): here it is.
    Complete(Message),
    /// Stored; the message waits for more parts.
    Pending {
        /// Parts received so far.
        received: u8,
        /// Parts announced.
        total: u8,
    },
    /// That part had already arrived; ignored.
    Duplicate,
}

/// A message that ran out of time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expired {
    /// Delivered with gaps ([`OnTimeout::DeliverPartial`]).
    Partial(Message),
    /// Dropped ([`OnTimeout::Drop`]).
    Dropped {
        /// Whose parts they were.
        key: MessageKey,
        /// How many had arrived.
        received: u8,
    },
}

struct StoredPart {
    seq: u8,
    payload: Bytes,
    udh_len: usize,
}

struct Entry {
    /// Sorted by `seq`, no repeats.
    parts: Vec<StoredPart>,
    data_coding: u8,
    national_locking: Option<u8>,
    national_single: Option<u8>,
    /// Counted octets: payloads and the two addresses.
    bytes: usize,
    /// Position in the expiry queue: (deadline, arrival number).
    slot: (Instant, u64),
}

/// Reassembles long messages from their parts in bounded memory (see the module documentation).
pub struct Reassembler {
    config: ReassemblyConfig,
    entries: BTreeMap<MessageKey, Entry>,
    /// By deadline, then arrival: the front is both the next to expire and the oldest.
    queue: BTreeMap<(Instant, u64), MessageKey>,
    next_id: u64,
    bytes: usize,
    stats: ReassemblyStats,
}

impl std::fmt::Debug for Reassembler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reassembler")
            .field("config", &self.config)
            .field("pending_messages", &self.entries.len())
            .field("pending_bytes", &self.bytes)
            .field("stats", &self.stats)
            .finish()
    }
}

impl Reassembler {
    /// An empty reassembler (`max_messages` raised to 1 if 0).
    pub fn new(mut config: ReassemblyConfig) -> Self {
        config.max_messages = config.max_messages.max(1);
        Reassembler {
            config,
            entries: BTreeMap::new(),
            queue: BTreeMap::new(),
            next_id: 0,
            bytes: 0,
            stats: ReassemblyStats::default(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &ReassemblyConfig {
        &self.config
    }

    /// The counters.
    pub fn stats(&self) -> ReassemblyStats {
        self.stats
    }

    /// Messages waiting for parts.
    pub fn pending_messages(&self) -> usize {
        self.entries.len()
    }

    /// Octets held (payloads and addresses), never above [`ReassemblyConfig::max_bytes`].
    pub fn pending_bytes(&self) -> usize {
        self.bytes
    }

    /// When the next pending message times out: call [`poll_expired`](Self::poll_expired) then.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.queue.first_key_value().map(|(k, _)| k.0)
    }

    /// The next message whose time is up at `now`, delivered partially or dropped as configured;
    /// `None` when no more are due. Call until `None`.
    pub fn poll_expired(&mut self, now: Instant) -> Option<Expired> {
        let (&(deadline, _), _) = self.queue.first_key_value()?;
        if deadline > now {
            return None;
        }
        let (_, key) = self.queue.pop_first()?;
        let entry = self.remove(&key)?;
        Some(match self.config.on_timeout {
            OnTimeout::DeliverPartial => {
                self.stats.expired_delivered += 1;
                Expired::Partial(into_message(key, entry))
            }
            OnTimeout::Drop => {
                self.stats.expired_dropped += 1;
                Expired::Dropped {
                    received: entry.parts.len() as u8,
                    key,
                }
            }
        })
    }

    /// Feeds a `deliver_sm`: a whole message comes straight back as [`Outcome::Complete`].
    pub fn push_deliver_sm(
        &mut self,
        now: Instant,
        pdu: &DeliverSm,
    ) -> Result<Outcome, ReassemblyError> {
        let incoming = Incoming::from_deliver_sm(pdu);
        self.push_incoming(now, incoming)
    }

    /// Feeds a `data_sm`: a whole message comes straight back as [`Outcome::Complete`].
    pub fn push_data_sm(&mut self, now: Instant, pdu: &DataSm) -> Result<Outcome, ReassemblyError> {
        let incoming = Incoming::from_data_sm(pdu);
        self.push_incoming(now, incoming)
    }

    /// Feeds classified user data (see [`Incoming::from_user_data`]).
    pub fn push_incoming(
        &mut self,
        now: Instant,
        incoming: Result<Incoming, UdhError>,
    ) -> Result<Outcome, ReassemblyError> {
        match incoming {
            Err(e) => {
                self.stats.rejected += 1;
                Err(e.into())
            }
            Ok(Incoming::Whole(m)) => {
                self.stats.whole += 1;
                Ok(Outcome::Complete(m))
            }
            Ok(Incoming::Part(p)) => self.push(now, p),
        }
    }

    /// Feeds one part received at `now`.
    pub fn push(&mut self, now: Instant, part: IncomingPart) -> Result<Outcome, ReassemblyError> {
        let Concat {
            reference,
            total,
            seq,
        } = part.concat;
        if total == 0 {
            self.stats.rejected += 1;
            return Err(ReassemblyError::TotalZero);
        }
        if seq == 0 || seq > total {
            self.stats.rejected += 1;
            return Err(ReassemblyError::BadSeq { seq, total });
        }
        if total == 1 {
            self.stats.whole += 1;
            let len = part.payload.len();
            return Ok(Outcome::Complete(Message {
                source: part.source,
                destination: part.destination,
                reference: Some(reference),
                total,
                data_coding: part.data_coding,
                national_locking: part.national_locking,
                national_single: part.national_single,
                payload: part.payload,
                segments: vec![Segment {
                    seq,
                    range: 0..len,
                    udh_len: part.udh_len,
                }],
            }));
        }
        let addresses = part.source.len() + part.destination.len();
        let worst = part.payload.len() + addresses;
        if worst > self.config.max_bytes {
            self.stats.rejected += 1;
            return Err(ReassemblyError::TooLarge {
                len: worst,
                max: self.config.max_bytes,
            });
        }
        let mut key = MessageKey {
            source: part.source,
            destination: part.destination,
            reference,
            total,
        };
        if let Some(entry) = self.entries.get(&key) {
            if entry.parts.binary_search_by_key(&seq, |p| p.seq).is_ok() {
                self.stats.duplicates += 1;
                return Ok(Outcome::Duplicate);
            }
        }
        // Make room, oldest first (possibly this very message, which then starts afresh).
        loop {
            let exists = self.entries.contains_key(&key);
            let need = part.payload.len() + if exists { 0 } else { addresses };
            let full = self.bytes + need > self.config.max_bytes
                || (!exists && self.entries.len() >= self.config.max_messages);
            if !full {
                break;
            }
            let Some((_, oldest)) = self.queue.pop_first() else {
                break;
            };
            self.remove(&oldest);
            self.stats.evicted += 1;
        }
        if !self.entries.contains_key(&key) {
            // Own copies: a stored part must not pin the frame it came in.
            key.source = Bytes::copy_from_slice(&key.source);
            key.destination = Bytes::copy_from_slice(&key.destination);
            let lo = MessageKey {
                total: 0,
                ..key.clone()
            };
            let hi = MessageKey {
                total: u8::MAX,
                ..key.clone()
            };
            if self.entries.range(lo..=hi).next().is_some() {
                self.stats.inconsistent_total += 1;
            }
            let deadline = now.checked_add(self.config.timeout).unwrap_or(now);
            let slot = (deadline, self.next_id);
            self.next_id += 1;
            self.queue.insert(slot, key.clone());
            self.bytes += addresses;
            self.entries.insert(
                key.clone(),
                Entry {
                    parts: Vec::new(),
                    data_coding: part.data_coding,
                    national_locking: None,
                    national_single: None,
                    bytes: addresses,
                    slot,
                },
            );
        }
        let Some(entry) = self.entries.get_mut(&key) else {
            unreachable!("inserted above")
        };
        let at = entry
            .parts
            .binary_search_by_key(&seq, |p| p.seq)
            .unwrap_or_else(|i| i);
        entry.national_locking = entry.national_locking.or(part.national_locking);
        entry.national_single = entry.national_single.or(part.national_single);
        entry.bytes += part.payload.len();
        self.bytes += part.payload.len();
        entry.parts.insert(
            at,
            StoredPart {
                seq,
                payload: Bytes::copy_from_slice(&part.payload),
                udh_len: part.udh_len,
            },
        );
        let received = entry.parts.len() as u8;
        if received < total {
            return Ok(Outcome::Pending { received, total });
        }
        let entry = self
            .remove(&key)
            .unwrap_or_else(|| unreachable!("present above"));
        self.stats.completed += 1;
        Ok(Outcome::Complete(into_message(key, entry)))
    }

    /// Removes an entry, its counted octets and its queue slot.
    fn remove(&mut self, key: &MessageKey) -> Option<Entry> {
        let entry = self.entries.remove(key)?;
        self.bytes -= entry.bytes;
        self.queue.remove(&entry.slot);
        Some(entry)
    }
}

fn into_message(key: MessageKey, entry: Entry) -> Message {
    let len = entry.parts.iter().map(|p| p.payload.len()).sum();
    let mut payload = BytesMut::with_capacity(len);
    let mut segments = Vec::with_capacity(entry.parts.len());
    for p in entry.parts {
        let start = payload.len();
        payload.extend_from_slice(&p.payload);
        segments.push(Segment {
            seq: p.seq,
            range: start..payload.len(),
            udh_len: p.udh_len,
        });
    }
    Message {
        source: key.source,
        destination: key.destination,
        reference: Some(key.reference),
        total: key.total,
        data_coding: entry.data_coding,
        national_locking: entry.national_locking,
        national_single: entry.national_single,
        payload: payload.freeze(),
        segments,
    }
}
