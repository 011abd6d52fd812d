//! The field kinds every PDU reuses (integers, C-octet strings, times, short_message), their nom
//! parsers, and the name-based visitor/source used by tools (SMPP 5.0 §3.1, §4.7).

use bytes::Bytes;
use nom::IResult;
use nom::Parser;
use std::fmt;

use crate::error::{BodyErrorKind, EncodeError};
use crate::status::CommandStatus;
use crate::tlv::Tlvs;

/// SMPP interface versions (SMPP 5.0 §4.7.13).
pub mod version {
    /// SMPP 3.3 (no TLVs).
    pub const V33: u8 = 0x33;
    /// SMPP 3.4.
    pub const V34: u8 = 0x34;
    /// SMPP 5.0.
    pub const V50: u8 = 0x50;
}

/// Default maximum `command_length`: room for a 64 KiB `message_payload` plus a full `submit_sm`.
pub const DEFAULT_MAX_COMMAND_LENGTH: usize = 65_536 + 1024;

/// How to decode: leniency, the peer's interface version, and the size limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodeOptions {
    /// Enforce the spec's limits (C-string maxima, terminating NULs, time lengths, TLV lengths,
    /// no stray octets). Off by default: real SMSCs break these rules.
    pub strict: bool,
    /// The peer's interface version. Below 0x34 (SMPP 3.3) PDUs carry no TLVs: octets after the
    /// mandatory fields are ignored (or refused when `strict`).
    pub interface_version: u8,
    /// Largest acceptable `command_length`.
    pub max_command_length: usize,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        DecodeOptions {
            strict: false,
            interface_version: version::V50,
            max_command_length: DEFAULT_MAX_COMMAND_LENGTH,
        }
    }
}

impl DecodeOptions {
    /// Lenient defaults (SMPP 5.0, TLVs accepted).
    pub const fn lenient() -> Self {
        DecodeOptions {
            strict: false,
            interface_version: version::V50,
            max_command_length: DEFAULT_MAX_COMMAND_LENGTH,
        }
    }

    /// Strict decoding: the spec's limits enforced.
    pub const fn strict() -> Self {
        DecodeOptions {
            strict: true,
            interface_version: version::V50,
            max_command_length: DEFAULT_MAX_COMMAND_LENGTH,
        }
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for bytes::Bytes {}
    impl Sealed for &[u8] {}
}

/// Where a decoded PDU's strings, payloads and TLVs live: [`Bytes`] views of a shared frame
/// (owned PDUs, the default: one reference count per view, `'static`, `Send`), or `&[u8]`
/// borrows of the caller's buffer ([`Pdu::decode_borrowed`](crate::Pdu::decode_borrowed): no
/// reference counting at all, for receive loops that look at a PDU and let it go). Either way
/// nothing is copied.
pub trait Storage:
    sealed::Sealed + AsRef<[u8]> + Clone + Default + PartialEq + Eq + std::hash::Hash + fmt::Debug
{
    /// A view of `sub`, which lies within `frame`.
    fn view(frame: &Self, sub: &[u8]) -> Self;
}

impl Storage for Bytes {
    #[inline(always)]
    fn view(frame: &Bytes, sub: &[u8]) -> Bytes {
        if sub.is_empty() {
            Bytes::new()
        } else {
            // `sub` always lies within the frame: every slice the reader hands out is cut from it.
            let start = sub.as_ptr() as usize - frame.as_ptr() as usize;
            frame.slice(start..start + sub.len())
        }
    }
}

impl<'a> Storage for &'a [u8] {
    #[inline(always)]
    fn view(frame: &&'a [u8], sub: &[u8]) -> &'a [u8] {
        let start = sub.as_ptr() as usize - frame.as_ptr() as usize;
        &frame[start..start + sub.len()]
    }
}

/// A body field failed to decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldError {
    /// Field name.
    pub field: &'static str,
    /// What was wrong.
    pub reason: BodyErrorKind,
    /// Status to answer with.
    pub status: CommandStatus,
}

/// A cursor over one frame's body that hands out zero-copy views of the frame.
pub struct Reader<'a, B: Storage = Bytes> {
    frame: &'a B,
    rest: &'a [u8],
    /// Decoding options.
    pub opts: &'a DecodeOptions,
}

fn cstr_parser(input: &[u8]) -> IResult<&[u8], &[u8]> {
    nom::bytes::complete::take_till(|b| b == 0).parse(input)
}

fn take_parser(n: usize) -> impl Fn(&[u8]) -> IResult<&[u8], &[u8]> {
    move |input| nom::bytes::complete::take(n).parse(input)
}

impl<'a, B: Storage> Reader<'a, B> {
    /// A reader over `body`, which must be a sub-slice of `frame`.
    pub fn new(frame: &'a B, body: &'a [u8], opts: &'a DecodeOptions) -> Self {
        Reader {
            frame,
            rest: body,
            opts,
        }
    }

    /// Octets not yet consumed.
    pub fn remaining(&self) -> &'a [u8] {
        self.rest
    }

    /// A zero-copy view of `sub`, a slice of the frame.
    #[inline(always)]
    fn view(&self, sub: &[u8]) -> B {
        B::view(self.frame, sub)
    }

    /// One octet.
    #[inline(always)]
    pub fn u8(&mut self, field: &'static str) -> Result<u8, FieldError> {
        match nom::number::complete::be_u8::<_, nom::error::Error<&[u8]>>.parse(self.rest) {
            Ok((rest, v)) => {
                self.rest = rest;
                Ok(v)
            }
            Err(_) => Err(truncated(field)),
        }
    }

    /// A big-endian 16-bit integer.
    #[inline(always)]
    pub fn u16(&mut self, field: &'static str) -> Result<u16, FieldError> {
        match nom::number::complete::be_u16::<_, nom::error::Error<&[u8]>>.parse(self.rest) {
            Ok((rest, v)) => {
                self.rest = rest;
                Ok(v)
            }
            Err(_) => Err(truncated(field)),
        }
    }

    /// A big-endian 32-bit integer.
    #[inline(always)]
    pub fn u32(&mut self, field: &'static str) -> Result<u32, FieldError> {
        match nom::number::complete::be_u32::<_, nom::error::Error<&[u8]>>.parse(self.rest) {
            Ok((rest, v)) => {
                self.rest = rest;
                Ok(v)
            }
            Err(_) => Err(truncated(field)),
        }
    }

    /// `n` octets, as a view.
    #[inline(always)]
    pub fn octets(&mut self, n: usize, field: &'static str) -> Result<B, FieldError> {
        match take_parser(n)(self.rest) {
            Ok((rest, v)) => {
                self.rest = rest;
                Ok(self.view(v))
            }
            Err(_) => Err(truncated(field)),
        }
    }

    /// A C-octet string of at most `max` octets, NUL included, as a view without the NUL.
    /// Lenient: over-long strings are accepted, and a missing NUL at the very end of the body.
    #[inline(always)]
    pub fn cstr(
        &mut self,
        max: usize,
        field: &'static str,
        status: CommandStatus,
    ) -> Result<B, FieldError> {
        if self.rest.is_empty() {
            return Err(truncated(field));
        }
        let (after, s) = cstr_parser(self.rest).map_err(|_| truncated(field))?;
        let terminated = !after.is_empty();
        if self.opts.strict {
            if !terminated {
                return Err(FieldError {
                    field,
                    reason: BodyErrorKind::MissingNul,
                    status,
                });
            }
            if s.len() + 1 > max {
                return Err(FieldError {
                    field,
                    reason: BodyErrorKind::TooLong { len: s.len(), max },
                    status,
                });
            }
        }
        self.rest = if terminated { &after[1..] } else { after };
        Ok(self.view(s))
    }

    /// The rest of the body, consumed, as a view.
    #[inline(always)]
    pub fn rest(&mut self) -> B {
        let r = self.rest;
        self.rest = &[];
        self.view(r)
    }
}

/// A body too short for its fields: `command_length` is wrong for the PDU (§4.7.6: ESME_RINVCMDLEN).
fn truncated(field: &'static str) -> FieldError {
    FieldError {
        field,
        reason: BodyErrorKind::Truncated,
        status: CommandStatus::ESME_RINVCMDLEN,
    }
}

/// Receives a PDU body's fields by their spec names, in wire order.
pub trait FieldVisitor {
    /// An integer field (`u8` or `u32` on the wire).
    fn integer(&mut self, name: &'static str, value: u32);
    /// A C-octet string (without its NUL).
    fn cstr(&mut self, name: &'static str, value: &[u8]);
    /// An octet string (e.g. `short_message`).
    fn octets(&mut self, name: &'static str, value: &[u8]);
    /// Start of a list of structured entries (`dest_address`, `unsuccess_sme`).
    fn begin_list(&mut self, name: &'static str);
    /// Start of one entry of the current list.
    fn begin_item(&mut self);
    /// End of the current entry.
    fn end_item(&mut self);
    /// End of the current list.
    fn end_list(&mut self);
    /// The PDU's TLVs.
    fn tlvs(&mut self, tlvs: &Tlvs);
}

/// Supplies a PDU body's fields by their spec names (the inverse of [`FieldVisitor`]).
/// An absent field is `Ok(None)` and takes its default (0 or empty).
pub trait FieldSource {
    /// An integer field.
    fn integer(&mut self, name: &'static str) -> Result<Option<u32>, EncodeError>;
    /// A C-octet string.
    fn cstr(&mut self, name: &'static str) -> Result<Option<Bytes>, EncodeError>;
    /// An octet string.
    fn octets(&mut self, name: &'static str) -> Result<Option<Bytes>, EncodeError>;
    /// Number of entries of a list field (0 when absent).
    fn list_len(&mut self, name: &'static str) -> Result<usize, EncodeError>;
    /// Enter entry `index` of list `name`; later calls read from it until [`leave_item`](Self::leave_item).
    fn enter_item(&mut self, name: &'static str, index: usize) -> Result<(), EncodeError>;
    /// Leave the current entry.
    fn leave_item(&mut self);
    /// The PDU's TLVs.
    fn tlvs(&mut self) -> Result<Option<Tlvs>, EncodeError>;
}

/// Writes a PDU into a buffer sized beforehand to its exact length: a cursor over what is left,
/// one bounds check per write (and one per run of fixed-size fields, with [`array`](Self::array)),
/// no capacity checks.
pub struct Writer<'a> {
    out: &'a mut [u8],
    len: usize,
}

impl<'a> Writer<'a> {
    /// A writer over `out`, which must be exactly as long as what will be written.
    pub fn new(out: &'a mut [u8]) -> Self {
        Writer {
            len: out.len(),
            out,
        }
    }

    /// Octets written so far.
    pub fn position(&self) -> usize {
        self.len - self.out.len()
    }

    /// The next `n` octets of the buffer, consumed.
    #[inline(always)]
    fn take(&mut self, n: usize) -> &'a mut [u8] {
        let (head, rest) = std::mem::take(&mut self.out).split_at_mut(n);
        self.out = rest;
        head
    }

    /// One octet.
    #[inline(always)]
    pub fn u8(&mut self, v: u8) {
        self.take(1)[0] = v;
    }

    /// A big-endian 16-bit integer.
    #[inline(always)]
    pub fn u16(&mut self, v: u16) {
        self.array(v.to_be_bytes())
    }

    /// A big-endian 32-bit integer.
    #[inline(always)]
    pub fn u32(&mut self, v: u32) {
        self.array(v.to_be_bytes())
    }

    /// A run of fixed-size fields (e.g. `source_addr_ton` and `source_addr_npi`) in one write.
    #[inline(always)]
    pub fn array<const N: usize>(&mut self, v: [u8; N]) {
        self.take(N).copy_from_slice(&v);
    }

    /// Octets.
    #[inline(always)]
    pub fn slice(&mut self, s: &[u8]) {
        // Addresses, times and most TLV parts are short: no `memcpy` call for them.
        if s.len() <= SMALL {
            small_copy(self.take(s.len()), s);
        } else {
            self.take(s.len()).copy_from_slice(s);
        }
    }

    /// A C-octet string: the octets and the NUL, in one write.
    #[inline(always)]
    pub fn cstr(&mut self, s: &[u8]) {
        let n = s.len();
        if n == 0 {
            // NULL service_type and times: the commonest C-string.
            return self.u8(0);
        }
        let out = self.take(n + 1);
        if n <= SMALL {
            small_copy(&mut out[..n], s);
        } else {
            out[..n].copy_from_slice(s);
        }
        out[n] = 0;
    }
}

/// Strings up to this many octets are written with fixed-size copies instead of a `memcpy`
/// call (addresses, times, TLVs other than payloads).
const SMALL: usize = 32;

/// Copies `src` (at most [`SMALL`] octets) into `dst` of the same length with at most two
/// fixed-size copies, overlapping in the middle: a few moves instead of a `memcpy` call.
#[inline(always)]
fn small_copy(dst: &mut [u8], src: &[u8]) {
    let n = src.len();
    debug_assert!(n <= SMALL && dst.len() == n);
    // Shortest first: empty C-strings (service_type, NULL times) are the commonest.
    if n < 4 {
        if n > 0 {
            dst[0] = src[0];
            dst[n / 2] = src[n / 2];
            dst[n - 1] = src[n - 1];
        }
    } else if n < 8 {
        dst[..4].copy_from_slice(&src[..4]);
        dst[n - 4..n].copy_from_slice(&src[n - 4..]);
    } else if n < 16 {
        dst[..8].copy_from_slice(&src[..8]);
        dst[n - 8..n].copy_from_slice(&src[n - 8..]);
    } else {
        dst[..16].copy_from_slice(&src[..16]);
        dst[n - 16..n].copy_from_slice(&src[n - 16..]);
    }
}

/// A field kind: how it is decoded, measured, encoded and checked, for either [`Storage`].
pub trait Field<B: Storage = Bytes>: Sized {
    /// Decodes the field.
    fn decode(
        r: &mut Reader<'_, B>,
        name: &'static str,
        status: CommandStatus,
    ) -> Result<Self, FieldError>;
    /// Encoded size in octets.
    fn encoded_len(&self) -> usize;
    /// Appends the field; the buffer has room.
    fn encode(&self, buf: &mut Writer<'_>);
    /// Checks the value is conformant.
    fn check(&self, name: &'static str) -> Result<(), EncodeError>;
    /// [`check`](Self::check) and [`encoded_len`](Self::encoded_len) in one pass.
    #[inline(always)]
    fn checked_len(&self, name: &'static str) -> Result<usize, EncodeError> {
        self.check(name)?;
        Ok(self.encoded_len())
    }
}

/// The by-name side of a field of an owned PDU: reported to a [`FieldVisitor`] and built from a
/// [`FieldSource`] (what `smpp decode` / `smpp encode` use).
pub trait NamedField: Sized {
    /// Reports the field to a visitor.
    fn visit(&self, name: &'static str, v: &mut dyn FieldVisitor);
    /// Builds the field from a source.
    fn from_source(name: &'static str, s: &mut dyn FieldSource) -> Result<Self, EncodeError>;
}

impl<B: Storage> Field<B> for u8 {
    #[inline(always)]
    fn decode(
        r: &mut Reader<'_, B>,
        name: &'static str,
        _status: CommandStatus,
    ) -> Result<Self, FieldError> {
        r.u8(name)
    }
    #[inline(always)]
    fn encoded_len(&self) -> usize {
        1
    }
    #[inline(always)]
    fn encode(&self, buf: &mut Writer<'_>) {
        buf.u8(*self)
    }
    fn check(&self, _: &'static str) -> Result<(), EncodeError> {
        Ok(())
    }
}

impl NamedField for u8 {
    fn visit(&self, name: &'static str, v: &mut dyn FieldVisitor) {
        v.integer(name, u32::from(*self))
    }
    fn from_source(name: &'static str, s: &mut dyn FieldSource) -> Result<Self, EncodeError> {
        match s.integer(name)? {
            None => Ok(0),
            Some(x) => u8::try_from(x)
                .map_err(|_| field_err(name, format!("{x} does not fit in one octet"))),
        }
    }
}

impl<B: Storage> Field<B> for u32 {
    #[inline(always)]
    fn decode(
        r: &mut Reader<'_, B>,
        name: &'static str,
        _status: CommandStatus,
    ) -> Result<Self, FieldError> {
        r.u32(name)
    }
    #[inline(always)]
    fn encoded_len(&self) -> usize {
        4
    }
    #[inline(always)]
    fn encode(&self, buf: &mut Writer<'_>) {
        buf.u32(*self)
    }
    fn check(&self, _: &'static str) -> Result<(), EncodeError> {
        Ok(())
    }
}

impl NamedField for u32 {
    fn visit(&self, name: &'static str, v: &mut dyn FieldVisitor) {
        v.integer(name, *self)
    }
    fn from_source(name: &'static str, s: &mut dyn FieldSource) -> Result<Self, EncodeError> {
        Ok(s.integer(name)?.unwrap_or(0))
    }
}

pub(crate) fn field_err(name: &str, message: String) -> EncodeError {
    EncodeError::Field {
        field: name.to_string(),
        message,
    }
}

/// A C-octet string (SMPP 5.0 §3.1.2) of at most `MAX` octets including its NUL.
///
/// Holds the octets without the NUL, as a zero-copy view when decoded. Constructors refuse
/// interior NULs and over-long values; a leniently decoded over-long value is kept, and
/// `encode` refuses it.
#[derive(Clone, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct COctetString<const MAX: usize, B: Storage = Bytes>(B);

/// The accessors of a field that is one view of octets: `as_bytes`, `len`, `is_empty`, `storage`.
macro_rules! octet_view_accessors {
    ($what:literal, $empty:literal) => {
        #[doc = concat!("The octets", $what, ".")]
        pub fn as_bytes(&self) -> &[u8] {
            self.0.as_ref()
        }

        #[doc = concat!("Length in octets", $what, ".")]
        pub fn len(&self) -> usize {
            self.as_bytes().len()
        }

        #[doc = concat!("`true` when empty (", $empty, ").")]
        pub fn is_empty(&self) -> bool {
            self.as_bytes().is_empty()
        }

        /// The underlying view.
        pub fn storage(&self) -> &B {
            &self.0
        }
    };
}

impl<const MAX: usize, B: Storage> COctetString<MAX, B> {
    octet_view_accessors!(", without the NUL", "the NULL value");

    /// As UTF-8 text, when it is.
    pub fn to_str(&self) -> Result<&str, std::str::Utf8Error> {
        std::str::from_utf8(self.as_bytes())
    }
}

impl<const MAX: usize> COctetString<MAX> {
    /// The maximum size on the wire, NUL included.
    pub const MAX: usize = MAX;

    /// An empty string (encodes as a single NUL).
    pub const fn empty() -> Self {
        COctetString(Bytes::new())
    }

    /// A string from static text, checked.
    pub fn from_static(s: &'static str) -> Result<Self, EncodeError> {
        Self::new(Bytes::from_static(s.as_bytes()))
    }

    /// A string from octets (without NUL), checked against `MAX` and for interior NULs.
    pub fn new(value: impl Into<Bytes>) -> Result<Self, EncodeError> {
        Self::checked(value.into(), "value")
    }

    /// Wraps `value` after checking it against `MAX` and for NULs: the one way a value gets in
    /// (decoding splits at the NUL, so decoded strings never hold one), which is why
    /// [`Field::check`] only needs to look at the length.
    fn checked(value: Bytes, name: &'static str) -> Result<Self, EncodeError> {
        if value.contains(&0) {
            return Err(EncodeError::InteriorNul { field: name });
        }
        let s = COctetString(value);
        Field::<Bytes>::check(&s, name)?;
        Ok(s)
    }

    /// The octets as a shared view.
    pub fn to_bytes(&self) -> Bytes {
        self.0.clone()
    }
}

impl<const MAX: usize> TryFrom<&str> for COctetString<MAX> {
    type Error = EncodeError;
    fn try_from(s: &str) -> Result<Self, EncodeError> {
        Self::new(Bytes::copy_from_slice(s.as_bytes()))
    }
}

impl<const MAX: usize> TryFrom<String> for COctetString<MAX> {
    type Error = EncodeError;
    fn try_from(s: String) -> Result<Self, EncodeError> {
        Self::new(Bytes::from(s))
    }
}

impl<const MAX: usize, B: Storage> fmt::Debug for COctetString<MAX, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_bytes()))
    }
}

impl<const MAX: usize, B: Storage> fmt::Display for COctetString<MAX, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(self.as_bytes()))
    }
}

impl<const MAX: usize, B: Storage> PartialEq<&str> for COctetString<MAX, B> {
    fn eq(&self, other: &&str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl<const MAX: usize, B: Storage> Field<B> for COctetString<MAX, B> {
    #[inline(always)]
    fn decode(
        r: &mut Reader<'_, B>,
        name: &'static str,
        status: CommandStatus,
    ) -> Result<Self, FieldError> {
        r.cstr(MAX, name, status).map(COctetString)
    }
    #[inline(always)]
    fn encoded_len(&self) -> usize {
        self.len() + 1
    }
    #[inline(always)]
    fn encode(&self, buf: &mut Writer<'_>) {
        buf.cstr(self.as_bytes());
    }
    #[inline(always)]
    fn checked_len(&self, name: &'static str) -> Result<usize, EncodeError> {
        let n = self.len() + 1;
        if n > MAX {
            return Err(EncodeError::TooLong {
                field: name,
                len: self.len(),
                max: MAX,
            });
        }
        Ok(n)
    }
    fn check(&self, name: &'static str) -> Result<(), EncodeError> {
        if self.len() + 1 > MAX {
            return Err(EncodeError::TooLong {
                field: name,
                len: self.len(),
                max: MAX,
            });
        }
        Ok(())
    }
}

impl<const MAX: usize> NamedField for COctetString<MAX> {
    fn visit(&self, name: &'static str, v: &mut dyn FieldVisitor) {
        v.cstr(name, &self.0)
    }
    fn from_source(name: &'static str, s: &mut dyn FieldSource) -> Result<Self, EncodeError> {
        Self::checked(s.cstr(name)?.unwrap_or_default(), name)
    }
}

/// An absolute or relative time (SMPP 5.0 §4.7.23.4): a C-octet string that is empty or
/// exactly 16 characters (`YYMMDDhhmmsstnnp`).
#[derive(Clone, PartialEq, Eq, Hash, Default, Debug)]
pub struct SmppTime<B: Storage = Bytes>(pub COctetString<17, B>);

impl SmppTime {
    /// The NULL time (use the MC's default).
    pub const fn none() -> Self {
        SmppTime(COctetString::empty())
    }

    /// A time from its 16-character text, checked.
    pub fn new(s: &str) -> Result<Self, EncodeError> {
        let t = SmppTime(COctetString::try_from(s)?);
        Field::<Bytes>::check(&t, "time")?;
        Ok(t)
    }
}

impl<B: Storage> Field<B> for SmppTime<B> {
    #[inline(always)]
    fn decode(
        r: &mut Reader<'_, B>,
        name: &'static str,
        status: CommandStatus,
    ) -> Result<Self, FieldError> {
        let s = r.cstr(17, name, status)?;
        let len = s.as_ref().len();
        if r.opts.strict && !(len == 0 || len == 16) {
            return Err(FieldError {
                field: name,
                reason: BodyErrorKind::BadTimeLength { len },
                status,
            });
        }
        Ok(SmppTime(COctetString(s)))
    }
    #[inline(always)]
    fn encoded_len(&self) -> usize {
        self.0.encoded_len()
    }
    #[inline(always)]
    fn encode(&self, buf: &mut Writer<'_>) {
        self.0.encode(buf)
    }
    #[inline(always)]
    fn checked_len(&self, name: &'static str) -> Result<usize, EncodeError> {
        // One test for both conformant forms (NULL, or 16 characters within the maximum).
        let len = self.0.len();
        if len == 0 || len == 16 {
            return Ok(len + 1);
        }
        self.check(name)?;
        Ok(len + 1)
    }
    fn check(&self, name: &'static str) -> Result<(), EncodeError> {
        self.0.check(name)?;
        let len = self.0.len();
        if len != 0 && len != 16 {
            return Err(EncodeError::BadTimeLength { field: name, len });
        }
        Ok(())
    }
}

impl NamedField for SmppTime {
    fn visit(&self, name: &'static str, v: &mut dyn FieldVisitor) {
        self.0.visit(name, v)
    }
    fn from_source(name: &'static str, s: &mut dyn FieldSource) -> Result<Self, EncodeError> {
        let t = SmppTime(COctetString::checked(
            s.cstr(name)?.unwrap_or_default(),
            name,
        )?);
        Field::<Bytes>::check(&t, name)?;
        Ok(t)
    }
}

/// `sm_length` followed by `short_message` (SMPP 5.0 §4.7.27, §4.7.28): at most 254 octets.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct ShortMessage<B: Storage = Bytes>(B);

/// Largest `short_message` in octets (§4.7.28).
const SHORT_MESSAGE_MAX: usize = 254;

impl<B: Storage> ShortMessage<B> {
    octet_view_accessors!("", "`sm_length` 0");
}

impl ShortMessage {
    /// Largest `short_message` in octets.
    pub const MAX: usize = SHORT_MESSAGE_MAX;

    /// A short message, checked against the 254-octet maximum.
    pub fn new(value: impl Into<Bytes>) -> Result<Self, EncodeError> {
        let m = ShortMessage(value.into());
        Field::<Bytes>::check(&m, "short_message")?;
        Ok(m)
    }

    /// The octets as a shared view.
    pub fn to_bytes(&self) -> Bytes {
        self.0.clone()
    }
}

impl<B: Storage> fmt::Debug for ShortMessage<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", Bytes::copy_from_slice(self.as_bytes()))
    }
}

impl<B: Storage> Field<B> for ShortMessage<B> {
    #[inline(always)]
    fn decode(
        r: &mut Reader<'_, B>,
        _name: &'static str,
        _status: CommandStatus,
    ) -> Result<Self, FieldError> {
        let status = CommandStatus::ESME_RINVMSGLEN;
        let n = r.u8("sm_length")?;
        let available = r.remaining().len();
        if usize::from(n) > available || (r.opts.strict && usize::from(n) > SHORT_MESSAGE_MAX) {
            return Err(FieldError {
                field: "sm_length",
                reason: BodyErrorKind::BadSmLength {
                    sm_length: n,
                    available,
                },
                status,
            });
        }
        r.octets(usize::from(n), "short_message").map(ShortMessage)
    }
    #[inline(always)]
    fn encoded_len(&self) -> usize {
        1 + self.len()
    }
    #[inline(always)]
    fn encode(&self, buf: &mut Writer<'_>) {
        buf.u8(self.len() as u8);
        buf.slice(self.as_bytes());
    }
    fn check(&self, _: &'static str) -> Result<(), EncodeError> {
        if self.len() > SHORT_MESSAGE_MAX {
            return Err(EncodeError::ShortMessageTooLong { len: self.len() });
        }
        Ok(())
    }
}

impl NamedField for ShortMessage {
    fn visit(&self, _: &'static str, v: &mut dyn FieldVisitor) {
        v.integer("sm_length", self.0.len() as u32);
        v.octets("short_message", &self.0);
    }
    fn from_source(_: &'static str, s: &mut dyn FieldSource) -> Result<Self, EncodeError> {
        let m = ShortMessage(s.octets("short_message")?.unwrap_or_default());
        Field::<Bytes>::check(&m, "short_message")?;
        if let Some(n) = s.integer("sm_length")? {
            if n as usize != m.len() {
                return Err(field_err(
                    "sm_length",
                    format!("{n} does not match short_message ({} octets)", m.len()),
                ));
            }
        }
        Ok(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every length the fixed-size copies handle, and the `memcpy` path past them, lands each
    /// octet where it belongs and writes nothing outside its field.
    #[test]
    fn writer_copies_strings_of_every_length_exactly() {
        for n in 0..=SMALL + 8 {
            let s: Vec<u8> = (1..=n as u8).collect();
            let len = 1 + (n + 1) + n + 1;
            let mut out = vec![0xEE; len];
            let mut w = Writer::new(&mut out);
            w.u8(0xA5);
            w.cstr(&s);
            w.slice(&s);
            w.u8(0x5A);
            assert_eq!(w.position(), len);
            let mut want = vec![0xA5];
            want.extend_from_slice(&s);
            want.push(0);
            want.extend_from_slice(&s);
            want.push(0x5A);
            assert_eq!(out, want, "length {n}");
        }
    }
}
