//! TLVs (SMPP 5.0 §3.2.4, §4.8): the ordered, byte-exact list a PDU carries, with typed
//! accessors and builders for every standard tag of SMPP 3.4 and 5.0 (Table 4-59).

use bytes::{BufMut, Bytes, BytesMut};
use std::fmt;

use crate::error::{BodyErrorKind, EncodeError};
use crate::field::Storage;

/// How a standard TLV's value is laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlvKind {
    /// One-octet integer.
    U8,
    /// Two-octet big-endian integer.
    U16,
    /// Four-octet big-endian integer.
    U32,
    /// One octet then a two-octet integer (`network_error_code`, `broadcast_content_type`,
    /// `broadcast_frequency_interval`).
    Pair,
    /// A C-octet string of at most this many octets, NUL included.
    CStr(u16),
    /// An octet string of `min..=max` octets.
    Octets(u16, u16),
}

impl TlvKind {
    /// Whether a value of `len` octets ending in `last` is conformant: an allowed length, and
    /// for a C-string a final NUL.
    #[inline(always)]
    fn conforms(self, len: usize, last: Option<u8>) -> bool {
        self.allows_len(len) && (!matches!(self, TlvKind::CStr(_)) || last == Some(0))
    }

    /// Whether a value length is allowed by the definition.
    pub fn allows_len(self, len: usize) -> bool {
        match self {
            TlvKind::U8 => len == 1,
            TlvKind::U16 => len == 2,
            TlvKind::U32 => len == 4,
            TlvKind::Pair => len == 3,
            TlvKind::CStr(max) => len >= 1 && len <= usize::from(max),
            TlvKind::Octets(min, max) => len >= usize::from(min) && len <= usize::from(max),
        }
    }
}

/// A TLV tag. Any 16-bit value is representable; the constants name the standard ones.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TlvTag(pub u16);

/// `network_error_code` (SMPP 5.0 §4.8.4.42): the network type and its error code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct NetworkErrorCode {
    /// 1 = ANSI-136, 2 = IS-95, 3 = GSM, 4 = ANSI-41, 8 = SMPP (v5), ...
    pub network_type: u8,
    /// The network's error code.
    pub error_code: u16,
}

macro_rules! tlv_tags {
    ($( $konst:ident = $value:literal, $method:ident, $kind:ident $( ( $($arg:literal),* ) )?; )*) => {
        impl TlvTag {
            $(
                #[doc = concat!("`", stringify!($method), "` (", stringify!($value), ")")]
                pub const $konst: TlvTag = TlvTag($value);
            )*

            /// Every standard tag.
            pub const ALL: &'static [TlvTag] = &[$(TlvTag::$konst),*];

            /// The spec's name, `None` for unknown and vendor tags.
            pub fn name(self) -> Option<&'static str> {
                match self.0 {
                    $($value => Some(stringify!($method)),)*
                    _ => None,
                }
            }

            /// The value layout of a standard tag.
            pub fn kind(self) -> Option<TlvKind> {
                match self.0 {
                    $($value => Some(tlv_kind!($kind $( ( $($arg),* ) )?)),)*
                    _ => None,
                }
            }

            /// Whether a value of `len` octets (`last` its final octet) is conformant for this
            /// tag: its definition's length, and a final NUL for C-strings; any value of an
            /// unknown or vendor tag is. One match, for the encode-time check.
            #[inline]
            fn value_conforms(self, len: usize, last: Option<u8>) -> bool {
                match self.0 {
                    $($value => tlv_kind!($kind $( ( $($arg),* ) )?).conforms(len, last),)*
                    _ => true,
                }
            }

            /// Looks a tag up by its spec name.
            pub fn from_name(name: &str) -> Option<TlvTag> {
                match name {
                    $(stringify!($method) => Some(TlvTag::$konst),)*
                    _ => None,
                }
            }
        }

        impl<B: Storage> Tlvs<B> {
            $( tlv_accessor!($method, $konst, $kind); )*
        }

        impl TlvsBuilder {
            $( tlv_setter!($method, $konst, $kind); )*
        }
    };
}

macro_rules! tlv_kind {
    (NetErr) => { TlvKind::Pair };
    ($kind:ident $( ( $($arg:literal),* ) )?) => { TlvKind::$kind $( ( $($arg),* ) )? };
}

macro_rules! tlv_accessor {
    ($method:ident, $konst:ident, NetErr) => {
        /// `network_error_code` (§4.8.4.42): network type and error code, if present and well-formed.
        pub fn $method(&self) -> Option<NetworkErrorCode> {
            self.get_pair(TlvTag::$konst)
                .map(|(network_type, error_code)| NetworkErrorCode { network_type, error_code })
        }
    };
    ($method:ident, $konst:ident, U8) => {
        #[doc = concat!("The first `", stringify!($method), "` as an integer, if present and well-formed.")]
        pub fn $method(&self) -> Option<u8> { self.get_u8(TlvTag::$konst) }
    };
    ($method:ident, $konst:ident, U16) => {
        #[doc = concat!("The first `", stringify!($method), "` as an integer, if present and well-formed.")]
        pub fn $method(&self) -> Option<u16> { self.get_u16(TlvTag::$konst) }
    };
    ($method:ident, $konst:ident, U32) => {
        #[doc = concat!("The first `", stringify!($method), "` as an integer, if present and well-formed.")]
        pub fn $method(&self) -> Option<u32> { self.get_u32(TlvTag::$konst) }
    };
    ($method:ident, $konst:ident, Pair) => {
        #[doc = concat!("The first `", stringify!($method), "` as (octet, 16-bit integer), if present and well-formed.")]
        pub fn $method(&self) -> Option<(u8, u16)> { self.get_pair(TlvTag::$konst) }
    };
    ($method:ident, $konst:ident, CStr) => {
        #[doc = concat!("The first `", stringify!($method), "` without its NUL, as a view.")]
        pub fn $method(&self) -> Option<B> { self.get_cstr(TlvTag::$konst) }
    };
    ($method:ident, $konst:ident, Octets) => {
        #[doc = concat!("The first `", stringify!($method), "` value, as a view.")]
        pub fn $method(&self) -> Option<B> { self.get_bytes(TlvTag::$konst) }
    };
}

macro_rules! tlv_setter {
    ($method:ident, $konst:ident, NetErr) => {
        /// Appends `network_error_code` (§4.8.4.42).
        pub fn $method(self, code: NetworkErrorCode) -> Self {
            let b = code.error_code.to_be_bytes();
            self.push_unchecked(TlvTag::$konst, &[code.network_type, b[0], b[1]])
        }
    };
    ($method:ident, $konst:ident, U8) => {
        #[doc = concat!("Appends `", stringify!($method), "`.")]
        pub fn $method(self, v: u8) -> Self { self.push_unchecked(TlvTag::$konst, &[v]) }
    };
    ($method:ident, $konst:ident, U16) => {
        #[doc = concat!("Appends `", stringify!($method), "`.")]
        pub fn $method(self, v: u16) -> Self { self.push_unchecked(TlvTag::$konst, &v.to_be_bytes()) }
    };
    ($method:ident, $konst:ident, U32) => {
        #[doc = concat!("Appends `", stringify!($method), "`.")]
        pub fn $method(self, v: u32) -> Self { self.push_unchecked(TlvTag::$konst, &v.to_be_bytes()) }
    };
    ($method:ident, $konst:ident, Pair) => {
        #[doc = concat!("Appends `", stringify!($method), "` from its octet and 16-bit integer.")]
        pub fn $method(self, a: u8, b: u16) -> Self {
            let b = b.to_be_bytes();
            self.push_unchecked(TlvTag::$konst, &[a, b[0], b[1]])
        }
    };
    ($method:ident, $konst:ident, CStr) => {
        #[doc = concat!("Appends `", stringify!($method), "` (the NUL is added); refuses values over the maximum.")]
        pub fn $method(self, v: &[u8]) -> Result<Self, EncodeError> { self.push_cstr(TlvTag::$konst, v) }
    };
    ($method:ident, $konst:ident, Octets) => {
        #[doc = concat!("Appends `", stringify!($method), "`; refuses lengths the definition does not allow.")]
        pub fn $method(self, v: &[u8]) -> Result<Self, EncodeError> { self.push(TlvTag::$konst, v) }
    };
}

tlv_tags! {
    DEST_ADDR_SUBUNIT = 0x0005, dest_addr_subunit, U8;
    DEST_NETWORK_TYPE = 0x0006, dest_network_type, U8;
    DEST_BEARER_TYPE = 0x0007, dest_bearer_type, U8;
    DEST_TELEMATICS_ID = 0x0008, dest_telematics_id, U16;
    SOURCE_ADDR_SUBUNIT = 0x000D, source_addr_subunit, U8;
    SOURCE_NETWORK_TYPE = 0x000E, source_network_type, U8;
    SOURCE_BEARER_TYPE = 0x000F, source_bearer_type, U8;
    SOURCE_TELEMATICS_ID = 0x0010, source_telematics_id, U8;
    QOS_TIME_TO_LIVE = 0x0017, qos_time_to_live, U32;
    PAYLOAD_TYPE = 0x0019, payload_type, U8;
    ADDITIONAL_STATUS_INFO_TEXT = 0x001D, additional_status_info_text, CStr(256);
    RECEIPTED_MESSAGE_ID = 0x001E, receipted_message_id, CStr(65);
    MS_MSG_WAIT_FACILITIES = 0x0030, ms_msg_wait_facilities, U8;
    PRIVACY_INDICATOR = 0x0201, privacy_indicator, U8;
    SOURCE_SUBADDRESS = 0x0202, source_subaddress, Octets(2, 23);
    DEST_SUBADDRESS = 0x0203, dest_subaddress, Octets(2, 23);
    USER_MESSAGE_REFERENCE = 0x0204, user_message_reference, U16;
    USER_RESPONSE_CODE = 0x0205, user_response_code, U8;
    SOURCE_PORT = 0x020A, source_port, U16;
    DEST_PORT = 0x020B, dest_port, U16;
    SAR_MSG_REF_NUM = 0x020C, sar_msg_ref_num, U16;
    LANGUAGE_INDICATOR = 0x020D, language_indicator, U8;
    SAR_TOTAL_SEGMENTS = 0x020E, sar_total_segments, U8;
    SAR_SEGMENT_SEQNUM = 0x020F, sar_segment_seqnum, U8;
    SC_INTERFACE_VERSION = 0x0210, sc_interface_version, U8;
    CALLBACK_NUM_PRES_IND = 0x0302, callback_num_pres_ind, U8;
    CALLBACK_NUM_ATAG = 0x0303, callback_num_atag, Octets(0, 65);
    NUMBER_OF_MESSAGES = 0x0304, number_of_messages, U8;
    CALLBACK_NUM = 0x0381, callback_num, Octets(4, 19);
    DPF_RESULT = 0x0420, dpf_result, U8;
    SET_DPF = 0x0421, set_dpf, U8;
    MS_AVAILABILITY_STATUS = 0x0422, ms_availability_status, U8;
    NETWORK_ERROR_CODE = 0x0423, network_error_code, NetErr;
    MESSAGE_PAYLOAD = 0x0424, message_payload, Octets(0, 65535);
    DELIVERY_FAILURE_REASON = 0x0425, delivery_failure_reason, U8;
    MORE_MESSAGES_TO_SEND = 0x0426, more_messages_to_send, U8;
    MESSAGE_STATE = 0x0427, message_state, U8;
    CONGESTION_STATE = 0x0428, congestion_state, U8;
    USSD_SERVICE_OP = 0x0501, ussd_service_op, U8;
    BROADCAST_CHANNEL_INDICATOR = 0x0600, broadcast_channel_indicator, U8;
    BROADCAST_CONTENT_TYPE = 0x0601, broadcast_content_type, Pair;
    BROADCAST_CONTENT_TYPE_INFO = 0x0602, broadcast_content_type_info, Octets(1, 255);
    BROADCAST_MESSAGE_CLASS = 0x0603, broadcast_message_class, U8;
    BROADCAST_REP_NUM = 0x0604, broadcast_rep_num, U16;
    BROADCAST_FREQUENCY_INTERVAL = 0x0605, broadcast_frequency_interval, Pair;
    BROADCAST_AREA_IDENTIFIER = 0x0606, broadcast_area_identifier, Octets(1, 65535);
    BROADCAST_ERROR_STATUS = 0x0607, broadcast_error_status, U32;
    BROADCAST_AREA_SUCCESS = 0x0608, broadcast_area_success, U8;
    BROADCAST_END_TIME = 0x0609, broadcast_end_time, CStr(17);
    BROADCAST_SERVICE_GROUP = 0x060A, broadcast_service_group, Octets(1, 255);
    BILLING_IDENTIFICATION = 0x060B, billing_identification, Octets(1, 1024);
    SOURCE_NETWORK_ID = 0x060D, source_network_id, CStr(65);
    DEST_NETWORK_ID = 0x060E, dest_network_id, CStr(65);
    SOURCE_NODE_ID = 0x060F, source_node_id, Octets(6, 6);
    DEST_NODE_ID = 0x0610, dest_node_id, Octets(6, 6);
    DEST_ADDR_NP_RESOLUTION = 0x0611, dest_addr_np_resolution, U8;
    DEST_ADDR_NP_INFORMATION = 0x0612, dest_addr_np_information, Octets(10, 10);
    DEST_ADDR_NP_COUNTRY = 0x0613, dest_addr_np_country, Octets(1, 5);
    DISPLAY_TIME = 0x1201, display_time, U8;
    SMS_SIGNAL = 0x1203, sms_signal, U16;
    MS_VALIDITY = 0x1204, ms_validity, Octets(1, 4);
    ALERT_ON_MESSAGE_DELIVERY = 0x130C, alert_on_message_delivery, Octets(0, 1);
    ITS_REPLY_TYPE = 0x1380, its_reply_type, U8;
    ITS_SESSION_INFO = 0x1383, its_session_info, U16;
}

impl TlvTag {
    /// `true` in the range reserved for MC vendor specific TLVs (0x1400..=0x3FFF).
    pub fn is_vendor_specific(self) -> bool {
        (0x1400..=0x3FFF).contains(&self.0)
    }
}

impl fmt::Debug for TlvTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "TlvTag({:#06x})", self.0),
        }
    }
}

/// One TLV, borrowed from its list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TlvRef<'a> {
    /// The tag.
    pub tag: TlvTag,
    /// The value octets.
    pub value: &'a [u8],
}

/// The TLVs of a PDU: the raw TLV part, checked to be well-framed, kept exactly as received
/// (order and repeats preserved, unknown tags byte-exact). Decoding costs one view of the
/// frame; accessors parse on demand.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Tlvs<B: Storage = Bytes>(B);

impl Tlvs {
    /// No TLVs.
    pub const fn empty() -> Self {
        Tlvs(Bytes::new())
    }

    /// Checks that `raw` is a well-framed sequence of TLVs and wraps it. On error, the offset
    /// of the first bad TLV.
    pub fn from_raw(raw: Bytes) -> Result<Self, BodyErrorKind> {
        check_framing(&raw)?;
        Ok(Tlvs(raw))
    }

    /// A builder for a new list.
    pub fn builder() -> TlvsBuilder {
        TlvsBuilder {
            buf: BytesMut::new(),
        }
    }
}

impl<B: Storage> Tlvs<B> {
    /// Wraps a raw TLV part already checked to be well-framed.
    fn framed(raw: B) -> Self {
        Tlvs(raw)
    }

    /// The raw TLV part, as on the wire.
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_ref()
    }

    /// `true` when there are no TLVs.
    pub fn is_empty(&self) -> bool {
        self.as_bytes().is_empty()
    }

    /// Encoded size in octets.
    pub fn encoded_len(&self) -> usize {
        self.as_bytes().len()
    }

    /// The TLVs in wire order.
    pub fn iter(&self) -> TlvIter<'_> {
        TlvIter {
            rest: self.as_bytes(),
        }
    }

    /// Number of TLVs.
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// The first value with this tag.
    pub fn get(&self, tag: TlvTag) -> Option<&[u8]> {
        self.iter().find(|t| t.tag == tag).map(|t| t.value)
    }

    /// The first value with this tag as a zero-copy view.
    pub fn get_bytes(&self, tag: TlvTag) -> Option<B> {
        self.get(tag).map(|v| B::view(&self.0, v))
    }

    /// Every value with this tag, in order.
    pub fn get_all(&self, tag: TlvTag) -> impl Iterator<Item = &[u8]> {
        self.iter().filter(move |t| t.tag == tag).map(|t| t.value)
    }

    /// The first value with this tag as a one-octet integer.
    pub fn get_u8(&self, tag: TlvTag) -> Option<u8> {
        match self.get(tag)? {
            [v] => Some(*v),
            _ => None,
        }
    }

    /// The first value with this tag as a two-octet integer.
    pub fn get_u16(&self, tag: TlvTag) -> Option<u16> {
        self.get(tag)?.try_into().ok().map(u16::from_be_bytes)
    }

    /// The first value with this tag as a four-octet integer.
    pub fn get_u32(&self, tag: TlvTag) -> Option<u32> {
        self.get(tag)?.try_into().ok().map(u32::from_be_bytes)
    }

    /// The first value with this tag as an octet and a two-octet integer.
    pub fn get_pair(&self, tag: TlvTag) -> Option<(u8, u16)> {
        match self.get(tag)? {
            [a, b, c] => Some((*a, u16::from_be_bytes([*b, *c]))),
            _ => None,
        }
    }

    /// The first value with this tag as a C-octet string, without its NUL (lenient: a missing
    /// NUL is tolerated; the string stops at the first NUL).
    pub fn get_cstr(&self, tag: TlvTag) -> Option<B> {
        let v = self.get(tag)?;
        let end = v.iter().position(|&b| b == 0).unwrap_or(v.len());
        Some(B::view(&self.0, &v[..end]))
    }

    /// The first standard TLV whose length its definition does not allow (strict mode check).
    pub fn first_invalid(&self) -> Option<(TlvTag, usize)> {
        self.iter().find_map(|t| match t.tag.kind() {
            Some(k) if !k.allows_len(t.value.len()) => Some((t.tag, t.value.len())),
            Some(TlvKind::CStr(_)) if t.value.last() != Some(&0) => Some((t.tag, t.value.len())),
            _ => None,
        })
    }
}

impl<B: Storage> Tlvs<B> {
    /// The encode-time check in one pass: refuses a standard TLV whose length its definition
    /// forbids (kept from a lenient decode), and says whether `message_payload` is present.
    #[inline]
    pub(crate) fn check_for_encode(&self) -> Result<bool, EncodeError> {
        if self.is_empty() {
            return Ok(false);
        }
        let mut payload = false;
        for t in self.iter() {
            if t.tag == TlvTag::MESSAGE_PAYLOAD {
                payload = true;
            } else if !t.tag.value_conforms(t.value.len(), t.value.last().copied()) {
                return Err(EncodeError::TlvLength {
                    tag: t.tag.0,
                    len: t.value.len(),
                });
            }
        }
        Ok(payload)
    }
}

fn check_framing(raw: &[u8]) -> Result<(), BodyErrorKind> {
    let mut off = 0;
    while off < raw.len() {
        let rest = &raw[off..];
        if rest.len() < 4 {
            return Err(BodyErrorKind::TlvStream { offset: off });
        }
        let len = usize::from(u16::from_be_bytes([rest[2], rest[3]]));
        if rest.len() - 4 < len {
            return Err(BodyErrorKind::TlvStream { offset: off });
        }
        off += 4 + len;
    }
    Ok(())
}

impl<B: Storage> fmt::Debug for Tlvs<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(
                self.iter()
                    .map(|t| (t.tag, Bytes::copy_from_slice(t.value))),
            )
            .finish()
    }
}

impl<'a, B: Storage> IntoIterator for &'a Tlvs<B> {
    type Item = TlvRef<'a>;
    type IntoIter = TlvIter<'a>;
    fn into_iter(self) -> TlvIter<'a> {
        self.iter()
    }
}

/// Iterator over a [`Tlvs`] list.
#[derive(Clone, Debug)]
pub struct TlvIter<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for TlvIter<'a> {
    type Item = TlvRef<'a>;
    fn next(&mut self) -> Option<TlvRef<'a>> {
        // The list was checked at construction; a short tail simply ends iteration.
        let (head, rest) = self.rest.split_first_chunk::<4>()?;
        let len = usize::from(u16::from_be_bytes([head[2], head[3]]));
        let value = rest.get(..len)?;
        self.rest = &rest[len..];
        Some(TlvRef {
            tag: TlvTag(u16::from_be_bytes([head[0], head[1]])),
            value,
        })
    }
}

/// Builds a [`Tlvs`] list in order; typed setters for every standard tag refuse values their
/// definition does not allow.
#[derive(Clone, Debug, Default)]
pub struct TlvsBuilder {
    buf: BytesMut,
}

impl TlvsBuilder {
    /// Appends any TLV (vendor tags included). A standard tag's value must have an allowed length.
    pub fn push(self, tag: TlvTag, value: &[u8]) -> Result<Self, EncodeError> {
        let bad = TlvTag::kind(tag).is_some_and(|k| !k.allows_len(value.len()));
        if value.len() > usize::from(u16::MAX) || bad {
            return Err(EncodeError::TlvLength {
                tag: tag.0,
                len: value.len(),
            });
        }
        Ok(self.push_unchecked(tag, value))
    }

    fn push_cstr(self, tag: TlvTag, value: &[u8]) -> Result<Self, EncodeError> {
        if value.contains(&0) {
            return Err(EncodeError::InteriorNul {
                field: tag.name().unwrap_or("tlv"),
            });
        }
        let mut v = Vec::with_capacity(value.len() + 1);
        v.extend_from_slice(value);
        v.push(0);
        self.push(tag, &v)
    }

    fn push_unchecked(mut self, tag: TlvTag, value: &[u8]) -> Self {
        self.buf.reserve(4 + value.len());
        self.buf.put_u16(tag.0);
        self.buf.put_u16(value.len() as u16);
        self.buf.put_slice(value);
        self
    }

    /// The finished list.
    pub fn build(self) -> Tlvs {
        Tlvs(self.buf.freeze())
    }
}

impl<B: Storage> crate::field::Field<B> for Tlvs<B> {
    #[inline(always)]
    fn decode(
        r: &mut crate::field::Reader<'_, B>,
        name: &'static str,
        status: crate::CommandStatus,
    ) -> Result<Self, crate::field::FieldError> {
        use crate::field::FieldError;
        let strict = r.opts.strict;
        let v33 = r.opts.interface_version < crate::field::version::V34;
        let raw = r.rest();
        if raw.as_ref().is_empty() {
            return Ok(Tlvs::default());
        }
        if v33 {
            // SMPP 3.3 has no TLVs: what follows the mandatory fields is not ours to read.
            return if strict {
                Err(FieldError {
                    field: name,
                    reason: BodyErrorKind::TrailingOctets {
                        count: raw.as_ref().len(),
                    },
                    status,
                })
            } else {
                Ok(Tlvs::default())
            };
        }
        check_framing(raw.as_ref()).map_err(|reason| FieldError {
            field: name,
            reason,
            status,
        })?;
        let tlvs = Tlvs::framed(raw);
        if strict {
            if let Some((tag, len)) = tlvs.first_invalid() {
                return Err(FieldError {
                    field: name,
                    reason: BodyErrorKind::TlvLength {
                        tag: tag.0,
                        len: len as u16,
                    },
                    status: crate::CommandStatus::ESME_RINVTLVLEN,
                });
            }
        }
        Ok(tlvs)
    }
    #[inline(always)]
    fn encoded_len(&self) -> usize {
        self.as_bytes().len()
    }
    #[inline(always)]
    fn encode(&self, buf: &mut crate::field::Writer<'_>) {
        buf.slice(self.as_bytes())
    }
    /// Refuses a standard TLV whose length its definition forbids (kept from a lenient decode):
    /// we only emit conformant PDUs.
    #[inline(always)]
    fn check(&self, _: &'static str) -> Result<(), EncodeError> {
        if self.is_empty() {
            return Ok(());
        }
        match self.first_invalid() {
            Some((tag, len)) => Err(EncodeError::TlvLength { tag: tag.0, len }),
            None => Ok(()),
        }
    }
}

impl crate::field::NamedField for Tlvs {
    fn visit(&self, _: &'static str, v: &mut dyn crate::field::FieldVisitor) {
        v.tlvs(self)
    }
    fn from_source(
        _: &'static str,
        s: &mut dyn crate::field::FieldSource,
    ) -> Result<Self, EncodeError> {
        Ok(s.tlvs()?.unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_reads_and_keeps_order_and_repeats() {
        let t = Tlvs::builder()
            .message_state(2)
            .receipted_message_id(b"abc")
            .unwrap()
            .push(TlvTag(0x1400), &[9, 9])
            .unwrap()
            .message_state(5)
            .network_error_code(NetworkErrorCode {
                network_type: 3,
                error_code: 0x0102,
            })
            .build();
        assert_eq!(t.message_state(), Some(2));
        assert_eq!(
            t.get_all(TlvTag::MESSAGE_STATE).collect::<Vec<_>>(),
            vec![&[2u8][..], &[5u8][..]]
        );
        assert_eq!(t.receipted_message_id().unwrap(), &b"abc"[..]);
        assert_eq!(
            t.network_error_code(),
            Some(NetworkErrorCode {
                network_type: 3,
                error_code: 0x0102
            })
        );
        assert_eq!(t.len(), 5);
        assert_eq!(
            &t.as_bytes()[..9],
            &[0x04, 0x27, 0x00, 0x01, 0x02, 0x00, 0x1E, 0x00, 0x04][..]
        );
        assert_eq!(t.first_invalid(), None);
        let again = Tlvs::from_raw(Bytes::copy_from_slice(t.as_bytes())).unwrap();
        assert_eq!(again, t);
    }

    #[test]
    fn refuses_bad_values() {
        assert!(Tlvs::builder().receipted_message_id(&[b'x'; 65]).is_err());
        assert!(Tlvs::builder().receipted_message_id(&[b'x'; 64]).is_ok());
        assert!(
            Tlvs::builder()
                .push(TlvTag::MESSAGE_STATE, &[1, 2])
                .is_err()
        );
        assert!(Tlvs::builder().callback_num(&[1, 2, 3]).is_err());
        assert!(Tlvs::builder().message_payload(&vec![0u8; 70_000]).is_err());
    }

    #[test]
    fn framing_errors() {
        assert_eq!(
            Tlvs::from_raw(Bytes::from_static(&[0x04, 0x27, 0x00])),
            Err(BodyErrorKind::TlvStream { offset: 0 })
        );
        assert_eq!(
            Tlvs::from_raw(Bytes::from_static(&[
                0x04, 0x27, 0x00, 0x01, 0x02, 0x04, 0x24, 0x00, 0x05, 1
            ])),
            Err(BodyErrorKind::TlvStream { offset: 5 })
        );
        let odd =
            Tlvs::from_raw(Bytes::from_static(&[0x04, 0x27, 0x00, 0x02, 0x02, 0x02])).unwrap();
        assert_eq!(odd.message_state(), None);
        assert_eq!(odd.first_invalid(), Some((TlvTag::MESSAGE_STATE, 2)));
    }

    #[test]
    fn names() {
        for t in TlvTag::ALL {
            assert_eq!(TlvTag::from_name(t.name().unwrap()), Some(*t));
        }
        assert_eq!(TlvTag(0x0424).name(), Some("message_payload"));
        assert_eq!(TlvTag(0x1400).name(), None);
    }
}
