//! The `Pdu` type, its `Body` enum over every SMPP 3.4/5.0 operation, and header-first decoding.

use bytes::{Bytes, BytesMut};

use crate::error::{BodyErrorKind, DecodeError, EncodeError};
use crate::field::{DecodeOptions, FieldError, FieldSource, FieldVisitor, Reader, Storage, Writer};
use crate::header::{CommandId, HEADER_LEN, Header, MAX_SEQUENCE_NUMBER};
use crate::status::CommandStatus;

/// Defines a body struct from its fields in wire order, with the status each field's fault maps to.
macro_rules! pdu_body {
    (
        $(#[$doc:meta])*
        $name:ident $([$payload:ident])? $((encode = $enc:ident, checked_len = $cl:ident))? {
            $( $(#[$fdoc:meta])* $field:ident : $ty:ty = $status:ident ),* $(,)?
        }
    ) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Default)]
        pub struct $name<B: $crate::field::Storage = bytes::Bytes> {
            $( $(#[$fdoc])* pub $field: $ty, )*
        }

        impl<B: $crate::field::Storage> $crate::pdu::PduBody<B> for $name<B> {
            #[inline(always)]
            fn decode_fields(r: &mut $crate::field::Reader<'_, B>) -> Result<Self, $crate::field::FieldError> {
                let body = $name {
                    $( $field: <$ty as $crate::field::Field<B>>::decode(
                        r, stringify!($field), $crate::CommandStatus::$status)?, )*
                };
                $( pdu_body!(@strict_payload $payload, body, r); )?
                Ok(body)
            }
            #[inline(always)]
            fn encoded_len(&self) -> usize {
                0 $( + <$ty as $crate::field::Field<B>>::encoded_len(&self.$field) )*
            }
            #[inline(always)]
            fn encode_fields(&self, buf: &mut $crate::field::Writer<'_>) {
                pdu_body!(@encode self buf [$($enc)?] $($field : $ty),*)
            }
            #[inline(always)]
            fn checked_len(&self) -> Result<usize, $crate::EncodeError> {
                pdu_body!(@checked_len self [$($cl)?] [$($payload)?] $($field : $ty),*)
            }
            fn check(&self) -> Result<(), $crate::EncodeError> {
                $( <$ty as $crate::field::Field<B>>::check(&self.$field, stringify!($field))?; )*
                $( pdu_body!(@check_payload $payload, self); )?
                Ok(())
            }
        }

        impl<B: $crate::field::Storage> $crate::pdu::NamedBody for $name<B>
        where
            $( $ty: $crate::field::NamedField, )*
        {
            fn visit(&self, v: &mut dyn $crate::field::FieldVisitor) {
                $( $crate::field::NamedField::visit(&self.$field, stringify!($field), v); )*
            }
            fn from_source(s: &mut dyn $crate::field::FieldSource) -> Result<Self, $crate::EncodeError> {
                Ok($name { $( $field: <$ty as $crate::field::NamedField>::from_source(stringify!($field), s)?, )* })
            }
        }
    };
    (@encode $self:ident $buf:ident [] $($field:ident : $ty:ty),*) => {{
        $( <$ty as $crate::field::Field<B>>::encode(&$self.$field, $buf); )*
    }};
    (@encode $self:ident $buf:ident [$enc:ident] $($field:ident : $ty:ty),*) => {
        $self.$enc($buf)
    };
    (@checked_len $self:ident [] [$($payload:ident)?] $($field:ident : $ty:ty),*) => {{
        $( pdu_body!(@check_payload $payload, $self); )?
        Ok(0 $( + <$ty as $crate::field::Field<B>>::checked_len(&$self.$field, stringify!($field))? )*)
    }};
    (@checked_len $self:ident [$cl:ident] [$($payload:ident)?] $($field:ident : $ty:ty),*) => {
        $self.$cl()
    };
    (@strict_payload payload, $body:ident, $r:ident) => {
        if $r.opts.strict && !$body.short_message.is_empty() && $body.tlvs.message_payload().is_some() {
            return Err($crate::field::FieldError {
                field: "message_payload",
                reason: $crate::error::BodyErrorKind::PayloadAndShortMessage,
                status: $crate::CommandStatus::ESME_RINVTLVVAL,
            });
        }
    };
    (@check_payload payload, $self:ident) => {
        if !$self.short_message.is_empty() && $self.tlvs.message_payload().is_some() {
            return Err($crate::EncodeError::PayloadAndShortMessage);
        }
    };
}

/// Defines a body with the `submit_sm` / `deliver_sm` layout (§4.2.1.1, §4.3.1.1).
macro_rules! short_message_body {
    ($(#[$doc:meta])* $name:ident) => {
        pdu_body! {
            $(#[$doc])*
            $name [payload] (encode = encode_layout, checked_len = checked_layout_len) {
                /// Service type (max 6 with NUL); empty for the MC default.
                service_type: COctetString<6, B> = ESME_RINVSERTYP,
                /// Source address TON.
                source_addr_ton: u8 = ESME_RINVSRCTON,
                /// Source address NPI.
                source_addr_npi: u8 = ESME_RINVSRCNPI,
                /// Source address (max 21 with NUL).
                source_addr: COctetString<21, B> = ESME_RINVSRCADR,
                /// Destination address TON.
                dest_addr_ton: u8 = ESME_RINVDSTTON,
                /// Destination address NPI.
                dest_addr_npi: u8 = ESME_RINVDSTNPI,
                /// Destination address (max 21 with NUL).
                destination_addr: COctetString<21, B> = ESME_RINVDSTADR,
                /// Message mode and type (UDHI 0x40, ...).
                esm_class: u8 = ESME_RINVESMCLASS,
                /// Protocol identifier.
                protocol_id: u8 = ESME_RSUBMITFAIL,
                /// Priority level.
                priority_flag: u8 = ESME_RINVPRTFLG,
                /// Scheduled delivery time (empty or 16 characters).
                schedule_delivery_time: SmppTime<B> = ESME_RINVSCHED,
                /// Validity period (empty or 16 characters).
                validity_period: SmppTime<B> = ESME_RINVEXPIRY,
                /// Delivery receipt request and notifications.
                registered_delivery: u8 = ESME_RINVREGDLVFLG,
                /// Replace if present flag.
                replace_if_present_flag: u8 = ESME_RINVREPFLAG,
                /// Data coding scheme.
                data_coding: u8 = ESME_RINVDCS,
                /// Predefined message id (0 for none).
                sm_default_msg_id: u8 = ESME_RINVDFTMSGID,
                /// `sm_length` and `short_message` (0..=254 octets).
                short_message: ShortMessage<B> = ESME_RINVMSGLEN,
                /// TLVs.
                tlvs: Tlvs<B> = ESME_RINVTLVSTREAM,
            }
        }

        impl<B: $crate::field::Storage> $name<B> {
            /// Writes the body with one bounds check per C-string and per run of octet fields.
            #[inline(always)]
            fn encode_layout(&self, w: &mut $crate::field::Writer<'_>) {
                w.cstr(self.service_type.as_bytes());
                w.array([self.source_addr_ton, self.source_addr_npi]);
                w.cstr(self.source_addr.as_bytes());
                w.array([self.dest_addr_ton, self.dest_addr_npi]);
                w.cstr(self.destination_addr.as_bytes());
                w.array([self.esm_class, self.protocol_id, self.priority_flag]);
                w.cstr(self.schedule_delivery_time.0.as_bytes());
                w.cstr(self.validity_period.0.as_bytes());
                let sm = self.short_message.as_bytes();
                w.array([
                    self.registered_delivery,
                    self.replace_if_present_flag,
                    self.data_coding,
                    self.sm_default_msg_id,
                    sm.len() as u8,
                ]);
                w.slice(sm);
                w.slice(self.tlvs.as_bytes());
            }

            /// Checks every field (the TLVs in one pass, `message_payload` included) and
            /// returns the encoded size.
            #[inline(always)]
            fn checked_layout_len(&self) -> Result<usize, $crate::EncodeError> {
                use $crate::field::Field;
                let payload = self.tlvs.check_for_encode()?;
                if payload && !self.short_message.is_empty() {
                    return Err($crate::EncodeError::PayloadAndShortMessage);
                }
                Ok(self.service_type.checked_len("service_type")?
                    + self.source_addr.checked_len("source_addr")?
                    + self.destination_addr.checked_len("destination_addr")?
                    + self.schedule_delivery_time.checked_len("schedule_delivery_time")?
                    + self.validity_period.checked_len("validity_period")?
                    + self.short_message.checked_len("short_message")?
                    + self.tlvs.encoded_len()
                    + 2 + 2 + 3 + 4)
            }
        }
    };
}

/// Defines a body made of `message_id` and TLVs (`submit_sm_resp` and its kin).
macro_rules! message_id_resp_body {
    ($(#[$doc:meta])* $name:ident) => {
        pdu_body! {
            $(#[$doc])*
            $name {
                /// The MC's id for the message (max 65 with NUL); NULL where unused.
                message_id: COctetString<65, B> = ESME_RINVMSGID,
                /// TLVs.
                tlvs: Tlvs<B> = ESME_RINVTLVSTREAM,
            }
        }
    };
}

mod alert_notification;
mod bind;
mod broadcast_sm;
mod cancel_sm;
mod data_sm;
mod deliver_sm;
mod query_sm;
mod replace_sm;
mod submit_multi;
mod submit_sm;

pub use alert_notification::AlertNotification;
pub use bind::{Bind, BindResp, Outbind};
pub use broadcast_sm::{
    BroadcastSm, BroadcastSmResp, CancelBroadcastSm, QueryBroadcastSm, QueryBroadcastSmResp,
};
pub use cancel_sm::CancelSm;
pub use data_sm::{DataSm, DataSmResp};
pub use deliver_sm::{DeliverSm, DeliverSmResp};
pub use query_sm::{QuerySm, QuerySmResp};
pub use replace_sm::ReplaceSm;
pub use submit_multi::{DestAddress, SubmitMulti, SubmitMultiResp, UnsuccessSme};
pub use submit_sm::{SubmitSm, SubmitSmResp};

/// A PDU body type: decoded from, and encoded to, the octets after the header.
pub trait PduBody<B: Storage = Bytes>: Sized + Default {
    /// Decodes the mandatory fields (and TLVs, where the PDU has them).
    fn decode_fields(r: &mut Reader<'_, B>) -> Result<Self, FieldError>;
    /// Exact encoded size of the body.
    fn encoded_len(&self) -> usize;
    /// Appends the body; the buffer has room for [`encoded_len`](Self::encoded_len) octets.
    fn encode_fields(&self, buf: &mut Writer<'_>);
    /// Checks every field is conformant.
    fn check(&self) -> Result<(), EncodeError>;
    /// Checks every field and returns the exact encoded size, in one pass.
    fn checked_len(&self) -> Result<usize, EncodeError>;
}

/// The by-name side of an owned PDU body: what `smpp decode` / `smpp encode` use.
pub trait NamedBody: Sized {
    /// Reports the fields in wire order.
    fn visit(&self, v: &mut dyn FieldVisitor);
    /// Builds the body from named fields.
    fn from_source(s: &mut dyn FieldSource) -> Result<Self, EncodeError>;
}

macro_rules! bodies {
    ($( $(#[$doc:meta])* $variant:ident $( ( $ty:ident ) )? ; )*) => {
        /// A PDU body, one variant per operation (SMPP 5.0 §4, Table 4-44). `B` is where its
        /// strings and payloads live (see [`Storage`]).
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub enum Body<B: Storage = Bytes> {
            $( $(#[$doc])* $variant $( ($ty<B>) )?, )*
        }

        impl<B: Storage> Body<B> {
            /// The body's `command_id`.
            pub fn command_id(&self) -> CommandId {
                match self {
                    $( Body::$variant { .. } => CommandId::$variant, )*
                }
            }

            /// The default (empty) body of a command, for either storage.
            pub(crate) fn empty_for(id: CommandId) -> Body<B> {
                match id {
                    $( CommandId::$variant => Body::$variant $( (<$ty<B>>::default()) )?, )*
                }
            }

            /// Decodes the body of `id` straight into the returned `Pdu` (the body is moved once).
            #[inline(always)]
            fn decode_pdu(id: CommandId, header: &Header, r: &mut Reader<'_, B>) -> Result<Pdu<B>, DecodeError> {
                match id {
                    $( CommandId::$variant => bodies!(@decode $variant id header r $($ty)?), )*
                }
            }

            /// Exact encoded size of the body.
            #[inline(always)]
            pub fn encoded_len(&self) -> usize {
                match self {
                    $( bodies!(@pat $variant b $($ty)?) => bodies!(@len b $($ty)?), )*
                }
            }

            /// Checks every field and returns the exact encoded size of the body, in one pass.
            #[inline(always)]
            pub fn checked_len(&self) -> Result<usize, EncodeError> {
                match self {
                    $( bodies!(@pat $variant b $($ty)?) => bodies!(@checked_len b $($ty)?), )*
                }
            }

            /// Checks every field is conformant.
            pub fn check(&self) -> Result<(), EncodeError> {
                match self {
                    $( bodies!(@pat $variant b $($ty)?) => bodies!(@check b $($ty)?), )*
                }
            }

            /// Checks and writes a whole PDU with this body: one dispatch on the body type, after
            /// which its check, length and layout are known at compile time.
            #[inline(always)]
            fn write_pdu(
                &self,
                status: CommandStatus,
                sequence_number: u32,
                buf: &mut BytesMut,
                include_body: bool,
            ) -> Result<(), EncodeError> {
                match self {
                    $( bodies!(@pat $variant b $($ty)?) => bodies!(@write CommandId::$variant, status, sequence_number, buf, include_body $(, b, $ty)?), )*
                }
            }

            /// `true` when this is the default (empty) body of its command.
            pub fn is_default(&self) -> bool {
                *self == Body::empty_for(self.command_id())
            }
        }

        impl Body {
            /// The default (empty) body of a command: what an error response carries.
            pub fn default_for(id: CommandId) -> Body {
                Body::empty_for(id)
            }

            /// `true` when the command has no body at all (header-only PDU).
            pub fn is_header_only(id: CommandId) -> bool {
                match id {
                    $( CommandId::$variant => bodies!(@header_only $($ty)?), )*
                }
            }

            /// Reports the mandatory fields (by spec name, in wire order) and TLVs to a visitor.
            pub fn visit(&self, v: &mut dyn FieldVisitor) {
                match self {
                    $( bodies!(@pat $variant b $($ty)?) => bodies!(@visit b v $($ty)?), )*
                }
            }

            /// Builds the body of `id` from named fields (absent fields take their defaults).
            pub fn from_source(id: CommandId, s: &mut dyn FieldSource) -> Result<Body, EncodeError> {
                Ok(match id {
                    $( CommandId::$variant => Body::$variant $( (<$ty as NamedBody>::from_source(s)?) )?, )*
                })
            }
        }
    };
    (@decode $variant:ident $id:ident $header:ident $r:ident) => {
        // Header only: octets after the header are ignored, or refused when strict.
        if $r.remaining().is_empty() || !$r.opts.strict {
            Ok(Pdu {
                command_status: $header.command_status,
                sequence_number: $header.sequence_number,
                body: Body::$variant,
            })
        } else {
            Err(body_error(*$header, $id, FieldError {
                field: "body",
                reason: BodyErrorKind::TrailingOctets { count: $r.remaining().len() },
                status: CommandStatus::ESME_RINVCMDLEN,
            }))
        }
    };
    (@decode $variant:ident $id:ident $header:ident $r:ident $ty:ident) => {
        match <$ty<B> as PduBody<B>>::decode_fields($r) {
            Ok(b) if $r.remaining().is_empty() || !$r.opts.strict => Ok(Pdu {
                command_status: $header.command_status,
                sequence_number: $header.sequence_number,
                body: Body::$variant(b),
            }),
            Ok(_) => Err(body_error(*$header, $id, FieldError {
                field: "body",
                reason: BodyErrorKind::TrailingOctets { count: $r.remaining().len() },
                status: CommandStatus::ESME_RINVCMDLEN,
            })),
            Err(e) => undecodable_body($header, $id, $r.opts, e),
        }
    };
    (@header_only) => { true };
    (@header_only $ty:ident) => { false };
    (@pat $variant:ident $b:ident) => { Body::$variant };
    (@pat $variant:ident $b:ident $ty:ident) => { Body::$variant($b) };
    (@len $b:ident) => { 0 };
    (@len $b:ident $ty:ident) => { $b.encoded_len() };
    (@checked_len $b:ident) => { Ok(0) };
    (@checked_len $b:ident $ty:ident) => { $b.checked_len() };
    (@check $b:ident) => { Ok(()) };
    (@check $b:ident $ty:ident) => { $b.check() };
    (@write $id:expr, $st:ident, $seq:ident, $buf:ident, $inc:ident) => {
        write_frame($id, $st, $seq, $buf, Ok(0), NoBody)
    };
    (@write $id:expr, $st:ident, $seq:ident, $buf:ident, $inc:ident, $b:ident, $ty:ident) => {
        if $inc {
            write_frame($id, $st, $seq, $buf, $b.checked_len(), WithBody($b, std::marker::PhantomData))
        } else {
            write_frame($id, $st, $seq, $buf, $b.check().map(|()| 0), NoBody)
        }
    };
    (@visit $b:ident $v:ident) => { { let _ = $v; } };
    (@visit $b:ident $v:ident $ty:ident) => { $b.visit($v) };
}

bodies! {
    /// `generic_nack` (§4.1.4.1): header only.
    GenericNack;
    /// `bind_receiver` (§4.1.1.3).
    BindReceiver(Bind);
    /// `bind_receiver_resp` (§4.1.1.4).
    BindReceiverResp(BindResp);
    /// `bind_transmitter` (§4.1.1.1).
    BindTransmitter(Bind);
    /// `bind_transmitter_resp` (§4.1.1.2).
    BindTransmitterResp(BindResp);
    /// `query_sm` (§4.5.2.1).
    QuerySm(QuerySm);
    /// `query_sm_resp` (§4.5.2.2).
    QuerySmResp(QuerySmResp);
    /// `submit_sm` (§4.2.1.1).
    SubmitSm(SubmitSm);
    /// `submit_sm_resp` (§4.2.1.2).
    SubmitSmResp(SubmitSmResp);
    /// `deliver_sm` (§4.3.1.1).
    DeliverSm(DeliverSm);
    /// `deliver_sm_resp` (§4.3.1.2).
    DeliverSmResp(DeliverSmResp);
    /// `unbind` (§4.1.1.7): header only.
    Unbind;
    /// `unbind_resp` (§4.1.1.8): header only.
    UnbindResp;
    /// `replace_sm` (§4.5.3.1).
    ReplaceSm(ReplaceSm);
    /// `replace_sm_resp` (§4.5.3.2): header only.
    ReplaceSmResp;
    /// `cancel_sm` (§4.5.1.1).
    CancelSm(CancelSm);
    /// `cancel_sm_resp` (§4.5.1.2): header only.
    CancelSmResp;
    /// `bind_transceiver` (§4.1.1.5).
    BindTransceiver(Bind);
    /// `bind_transceiver_resp` (§4.1.1.6).
    BindTransceiverResp(BindResp);
    /// `outbind` (§4.1.1.9).
    Outbind(Outbind);
    /// `enquire_link` (§4.1.2.1): header only.
    EnquireLink;
    /// `enquire_link_resp` (§4.1.2.2): header only.
    EnquireLinkResp;
    /// `submit_multi` (§4.2.3.1).
    SubmitMulti(SubmitMulti);
    /// `submit_multi_resp` (§4.2.3.2).
    SubmitMultiResp(SubmitMultiResp);
    /// `alert_notification` (§4.1.3.1).
    AlertNotification(AlertNotification);
    /// `data_sm` (§4.2.2.1).
    DataSm(DataSm);
    /// `data_sm_resp` (§4.2.2.2).
    DataSmResp(DataSmResp);
    /// `broadcast_sm` (§4.4.1.1).
    BroadcastSm(BroadcastSm);
    /// `broadcast_sm_resp` (§4.4.1.2).
    BroadcastSmResp(BroadcastSmResp);
    /// `query_broadcast_sm` (§4.6.1.1).
    QueryBroadcastSm(QueryBroadcastSm);
    /// `query_broadcast_sm_resp` (§4.6.1.3).
    QueryBroadcastSmResp(QueryBroadcastSmResp);
    /// `cancel_broadcast_sm` (§4.6.2.1).
    CancelBroadcastSm(CancelBroadcastSm);
    /// `cancel_broadcast_sm_resp` (§4.6.2.3): header only.
    CancelBroadcastSmResp;
}

/// One SMPP PDU: header values and a typed body. `command_length` and `command_id` are derived
/// from the body when encoding.
///
/// `B` is where the body's strings and payloads live: `Bytes` views of the frame for an owned
/// PDU ([`Pdu::decode`]), `&[u8]` borrows for a borrowed one ([`Pdu::decode_borrowed`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pdu<B: Storage = Bytes> {
    /// `command_status` (0 in requests).
    pub command_status: CommandStatus,
    /// `sequence_number`.
    pub sequence_number: u32,
    /// The typed body.
    pub body: Body<B>,
}

impl Pdu {
    /// A request (or `ESME_ROK` response) with the given sequence number, which must be in
    /// 0x00000001..=0x7FFFFFFF.
    pub fn new(sequence_number: u32, body: impl Into<Body>) -> Result<Pdu, EncodeError> {
        Pdu::with_status(sequence_number, CommandStatus::ESME_ROK, body)
    }

    /// A PDU with an explicit `command_status` (responses).
    pub fn with_status(
        sequence_number: u32,
        command_status: CommandStatus,
        body: impl Into<Body>,
    ) -> Result<Pdu, EncodeError> {
        let pdu = Pdu {
            command_status,
            sequence_number,
            body: body.into(),
        };
        pdu.check_sequence()?;
        pdu.body.check()?;
        Ok(pdu)
    }

    /// Decodes one whole PDU (header included) leniently; strings and payloads are views of `frame`.
    pub fn decode(frame: &Bytes) -> Result<Pdu, DecodeError> {
        Pdu::decode_with(frame, &DecodeOptions::lenient())
    }

    /// Decodes one whole PDU with the given options: header first, then the body, so that every
    /// error says what to answer (see [`DecodeError::answer`]).
    pub fn decode_with(frame: &Bytes, opts: &DecodeOptions) -> Result<Pdu, DecodeError> {
        decode_frame(frame, opts)
    }
}

impl<'a> Pdu<&'a [u8]> {
    /// Decodes one whole PDU leniently, borrowing from `frame`: the same checks, errors and
    /// fields as [`Pdu::decode`], with strings and payloads as `&[u8]` slices of `frame`, so
    /// decoding does no reference counting and no allocation (but `submit_multi`'s lists).
    /// For receive paths that inspect a PDU and drop it; [`Pdu::decode`] when it must outlive
    /// the buffer.
    pub fn decode_borrowed(frame: &'a [u8]) -> Result<Pdu<&'a [u8]>, DecodeError> {
        Pdu::decode_borrowed_with(frame, &DecodeOptions::lenient())
    }

    /// [`decode_borrowed`](Self::decode_borrowed) with the given options.
    pub fn decode_borrowed_with(
        frame: &'a [u8],
        opts: &DecodeOptions,
    ) -> Result<Pdu<&'a [u8]>, DecodeError> {
        decode_frame(&frame, opts)
    }
}

/// Header first, then the body, for either storage.
#[inline(always)]
fn decode_frame<B: Storage>(frame: &B, opts: &DecodeOptions) -> Result<Pdu<B>, DecodeError> {
    let octets: &[u8] = frame.as_ref();
    let Some(header) = Header::peek(octets) else {
        let command_length = octets
            .get(..4)
            .map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
        return Err(DecodeError::InvalidCommandLength {
            command_length,
            available: octets.len(),
            header: None,
        });
    };
    let id = header.validate(octets.len(), opts.max_command_length)?;
    let body_octets = &octets[HEADER_LEN..];
    if opts.strict && !id.is_response() {
        // §4.7.24: 0x00000001..=0x7FFFFFFF; §3.2.1.3 / §4.7.6: requests carry status 0.
        let bad = if !(1..=MAX_SEQUENCE_NUMBER).contains(&header.sequence_number) {
            Some(("sequence_number", header.sequence_number))
        } else if !header.command_status.is_ok() {
            Some(("command_status", header.command_status.0))
        } else {
            None
        };
        if let Some((field, value)) = bad {
            return Err(body_error(
                header,
                id,
                FieldError {
                    field,
                    reason: BodyErrorKind::InvalidValue { value },
                    status: CommandStatus::ESME_RUNKNOWNERR,
                },
            ));
        }
    }
    let mut r = Reader::new(frame, body_octets, opts);
    Body::decode_pdu(id, &header, &mut r)
}

impl<B: Storage> Pdu<B> {
    /// The `command_id` of the body.
    pub fn command_id(&self) -> CommandId {
        self.body.command_id()
    }

    /// A PDU of `id` with the header's status and sequence number and a default body.
    fn bare(header: &Header, id: CommandId) -> Pdu<B> {
        Pdu {
            command_status: header.command_status,
            sequence_number: header.sequence_number,
            body: Body::empty_for(id),
        }
    }

    /// Whether the body is left out on the wire: an error response with an empty body
    /// (SMPP 3.4 §4.1.2: "the body is not returned if command_status is non-zero").
    fn omits_body(&self) -> bool {
        !self.command_status.is_ok() && self.command_id().is_response() && self.body.is_default()
    }

    /// Exact encoded size, header included.
    pub fn encoded_len(&self) -> usize {
        if self.omits_body() {
            HEADER_LEN
        } else {
            HEADER_LEN + self.body.encoded_len()
        }
    }

    /// A request's sequence number must be in 0x00000001..=0x7FFFFFFF (§4.7.24) and its
    /// `command_status` 0 (§3.2.1.3); a response echoes its request's sequence number, whatever
    /// it was, so that the peer can match it.
    fn check_sequence(&self) -> Result<(), EncodeError> {
        if self.command_id().is_response() {
            return Ok(());
        }
        if !(1..=MAX_SEQUENCE_NUMBER).contains(&self.sequence_number) {
            return Err(EncodeError::BadSequenceNumber(self.sequence_number));
        }
        if !self.command_status.is_ok() {
            return Err(EncodeError::Field {
                field: "command_status".into(),
                message: format!("a request carries 0, not {:#010x}", self.command_status.0),
            });
        }
        Ok(())
    }

    /// Appends the PDU to `buf` in one write, after checking it is conformant.
    pub fn encode_into(&self, buf: &mut BytesMut) -> Result<(), EncodeError> {
        self.write(buf, !self.omits_body())
    }

    /// Like [`encode_into`](Self::encode_into), but says whether a response's body is written:
    /// SMPP 5.0 §3.2.1.3 lets an error response carry its (empty) body, SMPP 3.4 §4.1.2 leaves
    /// it out. Requests always carry theirs; `include_body = false` is refused for them.
    pub fn encode_into_with_body(
        &self,
        buf: &mut BytesMut,
        include_body: bool,
    ) -> Result<(), EncodeError> {
        if !include_body
            && !self.command_id().is_response()
            && !Body::is_header_only(self.command_id())
        {
            return Err(EncodeError::Field {
                field: "body".into(),
                message: format!("a {} request must carry its body", self.command_id()),
            });
        }
        self.write(buf, include_body)
    }

    fn write(&self, buf: &mut BytesMut, include_body: bool) -> Result<(), EncodeError> {
        self.body
            .write_pdu(self.command_status, self.sequence_number, buf, include_body)
    }

    /// Encodes the PDU into a new buffer of exactly its size.
    pub fn encode(&self) -> Result<Bytes, EncodeError> {
        let mut buf = BytesMut::with_capacity(self.encoded_len());
        self.encode_into(&mut buf)?;
        Ok(buf.freeze())
    }

    /// The response to this request carrying `status` and an empty body, with the same
    /// sequence number; `None` for responses, `outbind` and `alert_notification`.
    pub fn error_response(&self, status: CommandStatus) -> Option<Pdu<B>> {
        let resp = self.command_id().response()?;
        Some(Pdu {
            command_status: status,
            sequence_number: self.sequence_number,
            body: Body::empty_for(resp),
        })
    }
}

/// Checks the header values of a PDU of `id` (see [`Pdu::check_sequence`]), then appends the
/// header and the body (`body_len` octets, already checked, written by `body`) in one write.
#[inline(always)]
fn write_frame(
    id: CommandId,
    status: CommandStatus,
    sequence_number: u32,
    buf: &mut BytesMut,
    body_len: Result<usize, EncodeError>,
    body: impl FrameBody,
) -> Result<(), EncodeError> {
    // The rule of `Pdu::check_sequence`, written out here: calling that (or a shared helper)
    // from this generic path costs ~60 instructions per `submit_sm_resp` (measured).
    if !id.is_response() {
        if !(1..=MAX_SEQUENCE_NUMBER).contains(&sequence_number) {
            return Err(EncodeError::BadSequenceNumber(sequence_number));
        }
        if !status.is_ok() {
            return Err(request_status_error(status));
        }
    }
    let len = HEADER_LEN + body_len?;
    let start = buf.len();
    // Zero-filled, then overwritten: the frame is written through a bounds-checked slice.
    bytes::BufMut::put_bytes(buf, 0, len);
    let mut w = Writer::new(&mut buf[start..]);
    let [l0, l1, l2, l3] = (len as u32).to_be_bytes();
    let [i0, i1, i2, i3] = id.as_u32().to_be_bytes();
    let [s0, s1, s2, s3] = status.0.to_be_bytes();
    let [q0, q1, q2, q3] = sequence_number.to_be_bytes();
    w.array([
        l0, l1, l2, l3, i0, i1, i2, i3, s0, s1, s2, s3, q0, q1, q2, q3,
    ]);
    body.write(&mut w);
    debug_assert_eq!(w.position(), len);
    Ok(())
}

/// What [`write_frame`] writes after the header: a body, or nothing. A trait rather than a
/// closure so the body's layout is inlined into the frame writer (the writer's cursor then
/// stays in registers; measured: fewer instructions per `submit_sm`).
trait FrameBody {
    fn write(&self, w: &mut Writer<'_>);
}

/// A header-only frame (or a response sent without its body).
struct NoBody;

impl FrameBody for NoBody {
    #[inline(always)]
    fn write(&self, _: &mut Writer<'_>) {}
}

/// A body of type `T` with fields in `B`.
struct WithBody<'a, T, B>(&'a T, std::marker::PhantomData<B>);

impl<T: PduBody<B>, B: Storage> FrameBody for WithBody<'_, T, B> {
    #[inline(always)]
    fn write(&self, w: &mut Writer<'_>) {
        self.0.encode_fields(w)
    }
}

/// A request must carry `command_status` 0 (§3.2.1.3).
#[cold]
fn request_status_error(status: CommandStatus) -> EncodeError {
    EncodeError::Field {
        field: "command_status".into(),
        message: format!("a request carries 0, not {:#010x}", status.0),
    }
}

/// A body that failed to decode: the error, or, for a response that may go without its body,
/// the response with a default body (SMPP 3.4 §4.1.2: an error response has no body; real SMSCs
/// also send partial ones; lenient mode also takes an `ESME_ROK` response with no body).
#[cold]
fn undecodable_body<B: Storage>(
    header: &Header,
    id: CommandId,
    opts: &DecodeOptions,
    e: FieldError,
) -> Result<Pdu<B>, DecodeError> {
    let body_len = header.command_length as usize - HEADER_LEN;
    let tolerated = if opts.strict {
        body_len == 0 && !header.command_status.is_ok()
    } else {
        body_len == 0 || !header.command_status.is_ok()
    };
    if id.is_response() && tolerated {
        Ok(Pdu::bare(header, id))
    } else {
        Err(body_error(*header, id, e))
    }
}

fn body_error(header: Header, command_id: CommandId, e: FieldError) -> DecodeError {
    DecodeError::Body {
        header,
        command_id,
        field: e.field,
        reason: e.reason,
        status: e.status,
    }
}

macro_rules! into_body {
    ($($ty:ident => $variant:ident),* $(,)?) => {
        $(impl<B: Storage> From<$ty<B>> for Body<B> {
            fn from(b: $ty<B>) -> Body<B> { Body::$variant(b) }
        })*
    };
}

into_body! {
    SubmitSm => SubmitSm, SubmitSmResp => SubmitSmResp, DeliverSm => DeliverSm,
    DeliverSmResp => DeliverSmResp, DataSm => DataSm, DataSmResp => DataSmResp,
    QuerySm => QuerySm, QuerySmResp => QuerySmResp, ReplaceSm => ReplaceSm, CancelSm => CancelSm,
    Outbind => Outbind, SubmitMulti => SubmitMulti, SubmitMultiResp => SubmitMultiResp,
    AlertNotification => AlertNotification, BroadcastSm => BroadcastSm,
    BroadcastSmResp => BroadcastSmResp, QueryBroadcastSm => QueryBroadcastSm,
    QueryBroadcastSmResp => QueryBroadcastSmResp, CancelBroadcastSm => CancelBroadcastSm,
}
