//! `submit_multi` and `submit_multi_resp` (SMPP 5.0 §4.2.3): one message to up to 255
//! destinations (SME addresses or distribution lists), and the list of those that failed.

use bytes::Bytes;

use crate::error::{BodyErrorKind, EncodeError};
use crate::field::{
    COctetString, Field, FieldError, FieldSource, FieldVisitor, NamedField, Reader, ShortMessage,
    SmppTime, Storage, Writer, field_err,
};
use crate::status::CommandStatus;
use crate::tlv::Tlvs;

/// One destination of a `submit_multi` (§4.2.3.1, Table 4-17/4-18): `dest_flag` 1 or 2.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DestAddress<B: Storage = Bytes> {
    /// `dest_flag` 1: an SME address.
    Sme {
        /// TON.
        dest_addr_ton: u8,
        /// NPI.
        dest_addr_npi: u8,
        /// Address (max 21 with NUL).
        destination_addr: COctetString<21, B>,
    },
    /// `dest_flag` 2: a distribution list name (max 21 with NUL).
    DistributionList {
        /// List name.
        dl_name: COctetString<21, B>,
    },
}

/// One failed destination in a `submit_multi_resp` (§4.2.3.2, Table 4-20).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct UnsuccessSme<B: Storage = Bytes> {
    /// TON.
    pub dest_addr_ton: u8,
    /// NPI.
    pub dest_addr_npi: u8,
    /// Address (max 21 with NUL).
    pub destination_addr: COctetString<21, B>,
    /// Why this destination failed.
    pub error_status_code: CommandStatus,
}

/// An entry of a counted list field.
pub trait ListEntry<B: Storage = Bytes>: Sized {
    /// Name of the count field that precedes the list (`number_of_dests`).
    const COUNT: &'static str;
    /// Fewest entries allowed.
    const MIN: usize;
    /// Status for a bad count.
    const STATUS: CommandStatus;
    /// Decodes one entry.
    fn decode(r: &mut Reader<'_, B>) -> Result<Self, FieldError>;
    /// Encoded size.
    fn encoded_len(&self) -> usize;
    /// Appends the entry.
    fn encode(&self, buf: &mut Writer<'_>);
    /// Checks the entry.
    fn check(&self) -> Result<(), EncodeError>;
}

/// The by-name side of a list entry of an owned PDU (see [`NamedField`]).
pub trait NamedListEntry: Sized {
    /// Visits the entry's fields.
    fn visit(&self, v: &mut dyn FieldVisitor);
    /// Builds the entry from the source's current item.
    fn from_source(s: &mut dyn FieldSource) -> Result<Self, EncodeError>;
}

impl<B: Storage> ListEntry<B> for DestAddress<B> {
    const COUNT: &'static str = "number_of_dests";
    const MIN: usize = 1;
    const STATUS: CommandStatus = CommandStatus::ESME_RINVNUMDESTS;

    fn decode(r: &mut Reader<'_, B>) -> Result<Self, FieldError> {
        let status = CommandStatus::ESME_RINVDSTADR;
        match r.u8("dest_flag")? {
            1 => Ok(DestAddress::Sme {
                dest_addr_ton: r.u8("dest_addr_ton")?,
                dest_addr_npi: r.u8("dest_addr_npi")?,
                destination_addr: Field::decode(r, "destination_addr", status)?,
            }),
            2 => Ok(DestAddress::DistributionList {
                dl_name: Field::decode(r, "dl_name", CommandStatus::ESME_RINVDLNAME)?,
            }),
            other => Err(FieldError {
                field: "dest_flag",
                reason: BodyErrorKind::InvalidValue {
                    value: u32::from(other),
                },
                status: CommandStatus::ESME_RINVDESTFLAG,
            }),
        }
    }
    fn encoded_len(&self) -> usize {
        match self {
            DestAddress::Sme {
                destination_addr, ..
            } => 3 + destination_addr.encoded_len(),
            DestAddress::DistributionList { dl_name } => 1 + dl_name.encoded_len(),
        }
    }
    fn encode(&self, buf: &mut Writer<'_>) {
        match self {
            DestAddress::Sme {
                dest_addr_ton,
                dest_addr_npi,
                destination_addr,
            } => {
                buf.u8(1);
                buf.u8(*dest_addr_ton);
                buf.u8(*dest_addr_npi);
                destination_addr.encode(buf);
            }
            DestAddress::DistributionList { dl_name } => {
                buf.u8(2);
                dl_name.encode(buf);
            }
        }
    }
    fn check(&self) -> Result<(), EncodeError> {
        match self {
            DestAddress::Sme {
                destination_addr, ..
            } => destination_addr.check("destination_addr"),
            DestAddress::DistributionList { dl_name } => dl_name.check("dl_name"),
        }
    }
}

impl NamedListEntry for DestAddress {
    fn visit(&self, v: &mut dyn FieldVisitor) {
        match self {
            DestAddress::Sme {
                dest_addr_ton,
                dest_addr_npi,
                destination_addr,
            } => {
                v.integer("dest_flag", 1);
                v.integer("dest_addr_ton", u32::from(*dest_addr_ton));
                v.integer("dest_addr_npi", u32::from(*dest_addr_npi));
                v.cstr("destination_addr", destination_addr.as_bytes());
            }
            DestAddress::DistributionList { dl_name } => {
                v.integer("dest_flag", 2);
                v.cstr("dl_name", dl_name.as_bytes());
            }
        }
    }
    fn from_source(s: &mut dyn FieldSource) -> Result<Self, EncodeError> {
        match s.integer("dest_flag")?.unwrap_or(1) {
            1 => Ok(DestAddress::Sme {
                dest_addr_ton: NamedField::from_source("dest_addr_ton", s)?,
                dest_addr_npi: NamedField::from_source("dest_addr_npi", s)?,
                destination_addr: NamedField::from_source("destination_addr", s)?,
            }),
            2 => Ok(DestAddress::DistributionList {
                dl_name: NamedField::from_source("dl_name", s)?,
            }),
            other => Err(field_err(
                "dest_flag",
                format!("{other} is neither 1 (SME address) nor 2 (distribution list)"),
            )),
        }
    }
}

impl<B: Storage> ListEntry<B> for UnsuccessSme<B> {
    const COUNT: &'static str = "no_unsuccess";
    const MIN: usize = 0;
    const STATUS: CommandStatus = CommandStatus::ESME_RINVNUMDESTS;

    fn decode(r: &mut Reader<'_, B>) -> Result<Self, FieldError> {
        let status = CommandStatus::ESME_RINVDSTADR;
        Ok(UnsuccessSme {
            dest_addr_ton: r.u8("dest_addr_ton")?,
            dest_addr_npi: r.u8("dest_addr_npi")?,
            destination_addr: Field::decode(r, "destination_addr", status)?,
            error_status_code: CommandStatus(r.u32("error_status_code")?),
        })
    }
    fn encoded_len(&self) -> usize {
        2 + self.destination_addr.encoded_len() + 4
    }
    fn encode(&self, buf: &mut Writer<'_>) {
        buf.u8(self.dest_addr_ton);
        buf.u8(self.dest_addr_npi);
        self.destination_addr.encode(buf);
        buf.u32(self.error_status_code.0);
    }
    fn check(&self) -> Result<(), EncodeError> {
        self.destination_addr.check("destination_addr")
    }
}

impl NamedListEntry for UnsuccessSme {
    fn visit(&self, v: &mut dyn FieldVisitor) {
        v.integer("dest_addr_ton", u32::from(self.dest_addr_ton));
        v.integer("dest_addr_npi", u32::from(self.dest_addr_npi));
        v.cstr("destination_addr", self.destination_addr.as_bytes());
        v.integer("error_status_code", self.error_status_code.0);
    }
    fn from_source(s: &mut dyn FieldSource) -> Result<Self, EncodeError> {
        Ok(UnsuccessSme {
            dest_addr_ton: NamedField::from_source("dest_addr_ton", s)?,
            dest_addr_npi: NamedField::from_source("dest_addr_npi", s)?,
            destination_addr: NamedField::from_source("destination_addr", s)?,
            error_status_code: CommandStatus(NamedField::from_source("error_status_code", s)?),
        })
    }
}

impl<B: Storage, T: ListEntry<B>> Field<B> for Vec<T> {
    fn decode(
        r: &mut Reader<'_, B>,
        _name: &'static str,
        _status: CommandStatus,
    ) -> Result<Self, FieldError> {
        let n = usize::from(r.u8(T::COUNT)?);
        if r.opts.strict && n < T::MIN {
            return Err(FieldError {
                field: T::COUNT,
                reason: BodyErrorKind::InvalidValue { value: n as u32 },
                status: T::STATUS,
            });
        }
        // Each entry takes at least two octets: never reserve more than the body could hold.
        let mut v = Vec::with_capacity(n.min(r.remaining().len() / 2));
        for _ in 0..n {
            v.push(T::decode(r)?);
        }
        Ok(v)
    }
    fn encoded_len(&self) -> usize {
        1 + self.iter().map(T::encoded_len).sum::<usize>()
    }
    fn encode(&self, buf: &mut Writer<'_>) {
        buf.u8(self.len() as u8);
        for e in self {
            e.encode(buf);
        }
    }
    fn check(&self, name: &'static str) -> Result<(), EncodeError> {
        if self.len() > 255 || self.len() < T::MIN {
            return Err(EncodeError::BadCount {
                field: name,
                len: self.len(),
                min: T::MIN,
            });
        }
        self.iter().try_for_each(T::check)
    }
}

impl<T: ListEntry + NamedListEntry> NamedField for Vec<T> {
    fn visit(&self, name: &'static str, v: &mut dyn FieldVisitor) {
        v.integer(<T as ListEntry>::COUNT, self.len() as u32);
        v.begin_list(name);
        for e in self {
            v.begin_item();
            e.visit(v);
            v.end_item();
        }
        v.end_list();
    }
    fn from_source(name: &'static str, s: &mut dyn FieldSource) -> Result<Self, EncodeError> {
        let n = s.list_len(name)?;
        let count_name = <T as ListEntry>::COUNT;
        if let Some(count) = s.integer(count_name)? {
            if count as usize != n {
                return Err(field_err(
                    count_name,
                    format!("{count} does not match the {n} entries of {name}"),
                ));
            }
        }
        let mut v = Vec::with_capacity(n.min(255));
        for i in 0..n {
            s.enter_item(name, i)?;
            let e = T::from_source(s);
            s.leave_item();
            v.push(e?);
        }
        Ok(v)
    }
}

pdu_body! {
    /// `submit_multi` (§4.2.3.1).
    SubmitMulti [payload] {
        /// Service type (max 6 with NUL).
        service_type: COctetString<6, B> = ESME_RINVSERTYP,
        /// Source address TON.
        source_addr_ton: u8 = ESME_RINVSRCTON,
        /// Source address NPI.
        source_addr_npi: u8 = ESME_RINVSRCNPI,
        /// Source address (max 21 with NUL).
        source_addr: COctetString<21, B> = ESME_RINVSRCADR,
        /// `number_of_dests` and the destinations (1..=255).
        dest_address: Vec<DestAddress<B>> = ESME_RINVNUMDESTS,
        /// Message mode and type.
        esm_class: u8 = ESME_RINVESMCLASS,
        /// Protocol identifier.
        protocol_id: u8 = ESME_RSUBMITFAIL,
        /// Priority level.
        priority_flag: u8 = ESME_RINVPRTFLG,
        /// Scheduled delivery time.
        schedule_delivery_time: SmppTime<B> = ESME_RINVSCHED,
        /// Validity period.
        validity_period: SmppTime<B> = ESME_RINVEXPIRY,
        /// Delivery receipt request.
        registered_delivery: u8 = ESME_RINVREGDLVFLG,
        /// Replace if present flag.
        replace_if_present_flag: u8 = ESME_RINVREPFLAG,
        /// Data coding scheme.
        data_coding: u8 = ESME_RINVDCS,
        /// Predefined message id.
        sm_default_msg_id: u8 = ESME_RINVDFTMSGID,
        /// `sm_length` and `short_message`.
        short_message: ShortMessage<B> = ESME_RINVMSGLEN,
        /// TLVs.
        tlvs: Tlvs<B> = ESME_RINVTLVSTREAM,
    }
}

pdu_body! {
    /// `submit_multi_resp` (§4.2.3.2).
    SubmitMultiResp {
        /// The MC's id for the message (max 65 with NUL).
        message_id: COctetString<65, B> = ESME_RINVMSGID,
        /// `no_unsuccess` and the destinations that failed.
        unsuccess_sme: Vec<UnsuccessSme<B>> = ESME_RINVNUMDESTS,
        /// TLVs.
        tlvs: Tlvs<B> = ESME_RINVTLVSTREAM,
    }
}
