//! Property tests: arbitrary valid PDUs of every body type survive encode/decode (lenient and
//! strict) unchanged and octet for octet, and no truncation, mutation or random input panics.
//!
//! The case counts keep a debug `cargo test` short; set `PROPTEST_CASES` for a longer run.

#[path = "../../fuzz/checks.rs"]
mod checks;

use bytes::Bytes;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::strategy::Union;
use smpp_codec::*;

const LENIENT: DecodeOptions = DecodeOptions::lenient();
const STRICT: DecodeOptions = DecodeOptions::strict();

/// `cases` unless `PROPTEST_CASES` is set.
fn config(cases: u32) -> ProptestConfig {
    let mut c = ProptestConfig::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        c.cases = cases;
    }
    c
}

/// A C-octet string of 0..MAX-1 octets without NUL (the maximum counts the NUL), mostly
/// printable, sometimes any octet.
fn cstr<const MAX: usize>() -> impl Strategy<Value = COctetString<MAX>> {
    let octet = prop_oneof![4 => 0x20u8..=0x7E, 1 => 1u8..=255];
    vec(octet, 0..MAX).prop_map(|v| COctetString::new(v).unwrap())
}

/// A time: NULL or 16 characters `YYMMDDhhmmsstnnp`.
fn time() -> impl Strategy<Value = SmppTime> {
    prop_oneof![
        Just(SmppTime::none()),
        "[0-9]{15}[+R-]".prop_map(|s| SmppTime::new(&s).unwrap()),
    ]
}

fn short_message() -> impl Strategy<Value = ShortMessage> {
    prop_oneof![
        Just(ShortMessage::default()),
        vec(any::<u8>(), 0..=ShortMessage::MAX).prop_map(|v| ShortMessage::new(v).unwrap()),
    ]
}

/// One TLV to append with a typed builder method (or `push` for vendor and unknown tags).
#[derive(Clone, Debug)]
enum TlvSpec {
    MessageState(u8),
    UserMessageReference(u16),
    QosTimeToLive(u32),
    NetworkErrorCode(u8, u16),
    BroadcastContentType(u8, u16),
    ReceiptedMessageId(Vec<u8>),
    AdditionalStatusInfoText(Vec<u8>),
    CallbackNum(Vec<u8>),
    SourceSubaddress(Vec<u8>),
    DestNodeId(Vec<u8>),
    BillingIdentification(Vec<u8>),
    MessagePayload(Vec<u8>),
    /// A tag in the MC vendor specific range 0x1400..=0x3FFF.
    Vendor(u16, Vec<u8>),
    /// A tag no spec defines, outside the vendor range.
    Unknown(u16, Vec<u8>),
}

fn non_nul(max: usize) -> impl Strategy<Value = Vec<u8>> {
    vec(1u8..=255, 0..=max)
}

fn tlv_spec() -> impl Strategy<Value = TlvSpec> {
    prop_oneof![
        any::<u8>().prop_map(TlvSpec::MessageState),
        any::<u16>().prop_map(TlvSpec::UserMessageReference),
        any::<u32>().prop_map(TlvSpec::QosTimeToLive),
        (any::<u8>(), any::<u16>()).prop_map(|(a, b)| TlvSpec::NetworkErrorCode(a, b)),
        (any::<u8>(), any::<u16>()).prop_map(|(a, b)| TlvSpec::BroadcastContentType(a, b)),
        non_nul(64).prop_map(TlvSpec::ReceiptedMessageId),
        non_nul(255).prop_map(TlvSpec::AdditionalStatusInfoText),
        vec(any::<u8>(), 4..=19).prop_map(TlvSpec::CallbackNum),
        vec(any::<u8>(), 2..=23).prop_map(TlvSpec::SourceSubaddress),
        vec(any::<u8>(), 6..=6).prop_map(TlvSpec::DestNodeId),
        vec(any::<u8>(), 1..=64).prop_map(TlvSpec::BillingIdentification),
        vec(any::<u8>(), 0..=600).prop_map(TlvSpec::MessagePayload),
        (0x1400u16..=0x3FFF, vec(any::<u8>(), 0..=40)).prop_map(|(t, v)| TlvSpec::Vendor(t, v)),
        (
            any::<u16>().prop_filter("not a standard or vendor tag", |t| {
                TlvTag(*t).kind().is_none() && !TlvTag(*t).is_vendor_specific()
            }),
            vec(any::<u8>(), 0..=40)
        )
            .prop_map(|(t, v)| TlvSpec::Unknown(t, v)),
    ]
}

/// A TLV list of 0..=6 entries (repeats allowed), without `message_payload` unless allowed.
fn tlvs_with(allow_payload: bool) -> impl Strategy<Value = Tlvs> {
    vec(tlv_spec(), 0..=6).prop_map(move |specs| {
        let mut b = Tlvs::builder();
        for spec in specs {
            b = match spec {
                TlvSpec::MessageState(v) => b.message_state(v),
                TlvSpec::UserMessageReference(v) => b.user_message_reference(v),
                TlvSpec::QosTimeToLive(v) => b.qos_time_to_live(v),
                TlvSpec::NetworkErrorCode(network_type, error_code) => {
                    b.network_error_code(NetworkErrorCode {
                        network_type,
                        error_code,
                    })
                }
                TlvSpec::BroadcastContentType(a, c) => b.broadcast_content_type(a, c),
                TlvSpec::ReceiptedMessageId(v) => b.receipted_message_id(&v).unwrap(),
                TlvSpec::AdditionalStatusInfoText(v) => b.additional_status_info_text(&v).unwrap(),
                TlvSpec::CallbackNum(v) => b.callback_num(&v).unwrap(),
                TlvSpec::SourceSubaddress(v) => b.source_subaddress(&v).unwrap(),
                TlvSpec::DestNodeId(v) => b.dest_node_id(&v).unwrap(),
                TlvSpec::BillingIdentification(v) => b.billing_identification(&v).unwrap(),
                TlvSpec::MessagePayload(v) if allow_payload => b.message_payload(&v).unwrap(),
                TlvSpec::MessagePayload(_) => b,
                TlvSpec::Vendor(t, v) | TlvSpec::Unknown(t, v) => b.push(TlvTag(t), &v).unwrap(),
            };
        }
        b.build()
    })
}

fn tlvs() -> impl Strategy<Value = Tlvs> {
    tlvs_with(true)
}

/// `short_message` and TLVs: a `message_payload` TLV only with an empty `short_message`.
fn message() -> impl Strategy<Value = (ShortMessage, Tlvs)> {
    short_message().prop_flat_map(|sm| {
        let allow = sm.is_empty();
        (Just(sm), tlvs_with(allow))
    })
}

fn bind() -> impl Strategy<Value = Bind> {
    (
        cstr(),
        cstr(),
        cstr(),
        any::<u8>(),
        any::<u8>(),
        any::<u8>(),
        cstr(),
    )
        .prop_map(
            |(
                system_id,
                password,
                system_type,
                interface_version,
                addr_ton,
                addr_npi,
                address_range,
            )| Bind {
                system_id,
                password,
                system_type,
                interface_version,
                addr_ton,
                addr_npi,
                address_range,
            },
        )
}

fn bind_resp() -> impl Strategy<Value = BindResp> {
    (cstr(), tlvs()).prop_map(|(system_id, tlvs)| BindResp { system_id, tlvs })
}

/// The fields of the `submit_sm` / `deliver_sm` layout, in wire order.
type SmFields = (
    (COctetString<6>, u8, u8, COctetString<21>, u8, u8),
    (COctetString<21>, u8, u8, u8, SmppTime, SmppTime),
    (u8, u8, u8, u8, (ShortMessage, Tlvs)),
);

fn sm_fields() -> impl Strategy<Value = SmFields> {
    (
        (
            cstr(),
            any::<u8>(),
            any::<u8>(),
            cstr(),
            any::<u8>(),
            any::<u8>(),
        ),
        (
            cstr(),
            any::<u8>(),
            any::<u8>(),
            any::<u8>(),
            time(),
            time(),
        ),
        (
            any::<u8>(),
            any::<u8>(),
            any::<u8>(),
            any::<u8>(),
            message(),
        ),
    )
}

macro_rules! sm_body {
    ($ty:ident, $fields:expr) => {{
        let (
            (
                service_type,
                source_addr_ton,
                source_addr_npi,
                source_addr,
                dest_addr_ton,
                dest_addr_npi,
            ),
            (
                destination_addr,
                esm_class,
                protocol_id,
                priority_flag,
                schedule_delivery_time,
                validity_period,
            ),
            (
                registered_delivery,
                replace_if_present_flag,
                data_coding,
                sm_default_msg_id,
                (short_message, tlvs),
            ),
        ) = $fields;
        $ty {
            service_type,
            source_addr_ton,
            source_addr_npi,
            source_addr,
            dest_addr_ton,
            dest_addr_npi,
            destination_addr,
            esm_class,
            protocol_id,
            priority_flag,
            schedule_delivery_time,
            validity_period,
            registered_delivery,
            replace_if_present_flag,
            data_coding,
            sm_default_msg_id,
            short_message,
            tlvs,
        }
    }};
}

/// `message_id` + TLVs (`submit_sm_resp` and its kin).
macro_rules! message_id_resp {
    ($ty:ident) => {
        (cstr(), tlvs()).prop_map(|(message_id, tlvs)| $ty { message_id, tlvs })
    };
}

fn dest_address() -> impl Strategy<Value = DestAddress> {
    prop_oneof![
        (any::<u8>(), any::<u8>(), cstr()).prop_map(
            |(dest_addr_ton, dest_addr_npi, destination_addr)| DestAddress::Sme {
                dest_addr_ton,
                dest_addr_npi,
                destination_addr,
            }
        ),
        cstr().prop_map(|dl_name| DestAddress::DistributionList { dl_name }),
    ]
}

fn submit_multi() -> impl Strategy<Value = SubmitMulti> {
    (
        (cstr(), any::<u8>(), any::<u8>(), cstr()),
        // Mostly short lists; sometimes up to the maximum of 255.
        prop_oneof![
            4 => vec(dest_address(), 1..=4),
            1 => vec(dest_address(), 1..=255),
        ],
        (
            any::<u8>(),
            any::<u8>(),
            any::<u8>(),
            time(),
            time(),
            any::<u8>(),
            any::<u8>(),
            any::<u8>(),
            any::<u8>(),
        ),
        message(),
    )
        .prop_map(
            |(
                (service_type, source_addr_ton, source_addr_npi, source_addr),
                dest_address,
                (
                    esm_class,
                    protocol_id,
                    priority_flag,
                    schedule_delivery_time,
                    validity_period,
                    registered_delivery,
                    replace_if_present_flag,
                    data_coding,
                    sm_default_msg_id,
                ),
                (short_message, tlvs),
            )| SubmitMulti {
                service_type,
                source_addr_ton,
                source_addr_npi,
                source_addr,
                dest_address,
                esm_class,
                protocol_id,
                priority_flag,
                schedule_delivery_time,
                validity_period,
                registered_delivery,
                replace_if_present_flag,
                data_coding,
                sm_default_msg_id,
                short_message,
                tlvs,
            },
        )
}

fn unsuccess_sme() -> impl Strategy<Value = UnsuccessSme> {
    (any::<u8>(), any::<u8>(), cstr(), any::<u32>()).prop_map(
        |(dest_addr_ton, dest_addr_npi, destination_addr, status)| UnsuccessSme {
            dest_addr_ton,
            dest_addr_npi,
            destination_addr,
            error_status_code: CommandStatus(status),
        },
    )
}

fn submit_multi_resp() -> impl Strategy<Value = SubmitMultiResp> {
    (
        cstr(),
        // Mostly short lists; sometimes up to the maximum of 255.
        prop_oneof![
            4 => vec(unsuccess_sme(), 0..=3),
            1 => vec(unsuccess_sme(), 0..=255),
        ],
        tlvs(),
    )
        .prop_map(|(message_id, unsuccess_sme, tlvs)| SubmitMultiResp {
            message_id,
            unsuccess_sme,
            tlvs,
        })
}

fn replace_sm() -> impl Strategy<Value = ReplaceSm> {
    (
        (cstr(), any::<u8>(), any::<u8>(), cstr()),
        (time(), time(), any::<u8>(), any::<u8>()),
        message(),
    )
        .prop_map(
            |(
                (message_id, source_addr_ton, source_addr_npi, source_addr),
                (schedule_delivery_time, validity_period, registered_delivery, sm_default_msg_id),
                (short_message, tlvs),
            )| ReplaceSm {
                message_id,
                source_addr_ton,
                source_addr_npi,
                source_addr,
                schedule_delivery_time,
                validity_period,
                registered_delivery,
                sm_default_msg_id,
                short_message,
                tlvs,
            },
        )
}

fn cancel_sm() -> impl Strategy<Value = CancelSm> {
    (
        (cstr(), cstr(), any::<u8>(), any::<u8>(), cstr()),
        (any::<u8>(), any::<u8>(), cstr()),
    )
        .prop_map(
            |(
                (service_type, message_id, source_addr_ton, source_addr_npi, source_addr),
                (dest_addr_ton, dest_addr_npi, destination_addr),
            )| CancelSm {
                service_type,
                message_id,
                source_addr_ton,
                source_addr_npi,
                source_addr,
                dest_addr_ton,
                dest_addr_npi,
                destination_addr,
            },
        )
}

fn query_sm() -> impl Strategy<Value = QuerySm> {
    (cstr(), any::<u8>(), any::<u8>(), cstr()).prop_map(
        |(message_id, source_addr_ton, source_addr_npi, source_addr)| QuerySm {
            message_id,
            source_addr_ton,
            source_addr_npi,
            source_addr,
        },
    )
}

fn query_sm_resp() -> impl Strategy<Value = QuerySmResp> {
    (cstr(), time(), any::<u8>(), any::<u8>()).prop_map(
        |(message_id, final_date, message_state, error_code)| QuerySmResp {
            message_id,
            final_date,
            message_state,
            error_code,
        },
    )
}

fn alert_notification() -> impl Strategy<Value = AlertNotification> {
    (
        (any::<u8>(), any::<u8>(), cstr()),
        (any::<u8>(), any::<u8>(), cstr()),
        tlvs(),
    )
        .prop_map(
            |(
                (source_addr_ton, source_addr_npi, source_addr),
                (esme_addr_ton, esme_addr_npi, esme_addr),
                tlvs,
            )| AlertNotification {
                source_addr_ton,
                source_addr_npi,
                source_addr,
                esme_addr_ton,
                esme_addr_npi,
                esme_addr,
                tlvs,
            },
        )
}

fn data_sm() -> impl Strategy<Value = DataSm> {
    (
        (cstr(), any::<u8>(), any::<u8>(), cstr()),
        (any::<u8>(), any::<u8>(), cstr()),
        (any::<u8>(), any::<u8>(), any::<u8>()),
        tlvs(),
    )
        .prop_map(
            |(
                (service_type, source_addr_ton, source_addr_npi, source_addr),
                (dest_addr_ton, dest_addr_npi, destination_addr),
                (esm_class, registered_delivery, data_coding),
                tlvs,
            )| DataSm {
                service_type,
                source_addr_ton,
                source_addr_npi,
                source_addr,
                dest_addr_ton,
                dest_addr_npi,
                destination_addr,
                esm_class,
                registered_delivery,
                data_coding,
                tlvs,
            },
        )
}

fn broadcast_sm() -> impl Strategy<Value = BroadcastSm> {
    (
        (cstr(), any::<u8>(), any::<u8>(), cstr(), cstr()),
        (any::<u8>(), time(), time()),
        (any::<u8>(), any::<u8>(), any::<u8>()),
        tlvs(),
    )
        .prop_map(
            |(
                (service_type, source_addr_ton, source_addr_npi, source_addr, message_id),
                (priority_flag, schedule_delivery_time, validity_period),
                (replace_if_present_flag, data_coding, sm_default_msg_id),
                tlvs,
            )| BroadcastSm {
                service_type,
                source_addr_ton,
                source_addr_npi,
                source_addr,
                message_id,
                priority_flag,
                schedule_delivery_time,
                validity_period,
                replace_if_present_flag,
                data_coding,
                sm_default_msg_id,
                tlvs,
            },
        )
}

fn query_broadcast_sm() -> impl Strategy<Value = QueryBroadcastSm> {
    (cstr(), any::<u8>(), any::<u8>(), cstr(), tlvs()).prop_map(
        |(message_id, source_addr_ton, source_addr_npi, source_addr, tlvs)| QueryBroadcastSm {
            message_id,
            source_addr_ton,
            source_addr_npi,
            source_addr,
            tlvs,
        },
    )
}

fn cancel_broadcast_sm() -> impl Strategy<Value = CancelBroadcastSm> {
    (cstr(), cstr(), any::<u8>(), any::<u8>(), cstr(), tlvs()).prop_map(
        |(service_type, message_id, source_addr_ton, source_addr_npi, source_addr, tlvs)| {
            CancelBroadcastSm {
                service_type,
                message_id,
                source_addr_ton,
                source_addr_npi,
                source_addr,
                tlvs,
            }
        },
    )
}

/// A valid body of the given command (exhaustive: a new command fails to compile here).
fn body(id: CommandId) -> BoxedStrategy<Body> {
    use CommandId as C;
    match id {
        C::GenericNack
        | C::Unbind
        | C::UnbindResp
        | C::ReplaceSmResp
        | C::CancelSmResp
        | C::EnquireLink
        | C::EnquireLinkResp
        | C::CancelBroadcastSmResp => Just(Body::default_for(id)).boxed(),
        C::BindReceiver => bind().prop_map(Body::BindReceiver).boxed(),
        C::BindTransmitter => bind().prop_map(Body::BindTransmitter).boxed(),
        C::BindTransceiver => bind().prop_map(Body::BindTransceiver).boxed(),
        C::BindReceiverResp => bind_resp().prop_map(Body::BindReceiverResp).boxed(),
        C::BindTransmitterResp => bind_resp().prop_map(Body::BindTransmitterResp).boxed(),
        C::BindTransceiverResp => bind_resp().prop_map(Body::BindTransceiverResp).boxed(),
        C::Outbind => (cstr(), cstr())
            .prop_map(|(system_id, password)| {
                Body::Outbind(Outbind {
                    system_id,
                    password,
                })
            })
            .boxed(),
        C::QuerySm => query_sm().prop_map(Body::QuerySm).boxed(),
        C::QuerySmResp => query_sm_resp().prop_map(Body::QuerySmResp).boxed(),
        C::SubmitSm => sm_fields()
            .prop_map(|f| Body::SubmitSm(sm_body!(SubmitSm, f)))
            .boxed(),
        C::DeliverSm => sm_fields()
            .prop_map(|f| Body::DeliverSm(sm_body!(DeliverSm, f)))
            .boxed(),
        C::SubmitSmResp => message_id_resp!(SubmitSmResp)
            .prop_map(Body::SubmitSmResp)
            .boxed(),
        C::DeliverSmResp => message_id_resp!(DeliverSmResp)
            .prop_map(Body::DeliverSmResp)
            .boxed(),
        C::DataSmResp => message_id_resp!(DataSmResp)
            .prop_map(Body::DataSmResp)
            .boxed(),
        C::BroadcastSmResp => message_id_resp!(BroadcastSmResp)
            .prop_map(Body::BroadcastSmResp)
            .boxed(),
        C::QueryBroadcastSmResp => message_id_resp!(QueryBroadcastSmResp)
            .prop_map(Body::QueryBroadcastSmResp)
            .boxed(),
        C::ReplaceSm => replace_sm().prop_map(Body::ReplaceSm).boxed(),
        C::CancelSm => cancel_sm().prop_map(Body::CancelSm).boxed(),
        C::SubmitMulti => submit_multi().prop_map(Body::SubmitMulti).boxed(),
        C::SubmitMultiResp => submit_multi_resp().prop_map(Body::SubmitMultiResp).boxed(),
        C::AlertNotification => alert_notification()
            .prop_map(Body::AlertNotification)
            .boxed(),
        C::DataSm => data_sm().prop_map(Body::DataSm).boxed(),
        C::BroadcastSm => broadcast_sm().prop_map(Body::BroadcastSm).boxed(),
        C::QueryBroadcastSm => query_broadcast_sm()
            .prop_map(Body::QueryBroadcastSm)
            .boxed(),
        C::CancelBroadcastSm => cancel_broadcast_sm()
            .prop_map(Body::CancelBroadcastSm)
            .boxed(),
    }
}

/// A valid PDU of any command: requests carry status 0; responses are `ESME_ROK` with a body,
/// or an error (non-zero status) with the empty body or, as some MCs send, a full one.
fn pdu() -> impl Strategy<Value = Pdu> {
    let commands = Union::new(CommandId::ALL.iter().map(|&id| Just(id)));
    commands.prop_flat_map(|id| {
        let seq = if id == CommandId::GenericNack {
            (0u32..=0x7FFF_FFFF).boxed()
        } else {
            (1u32..=0x7FFF_FFFF).boxed()
        };
        let status = if id.is_response() {
            prop_oneof![Just(0u32), 1u32..=u32::MAX].boxed()
        } else {
            Just(0u32).boxed()
        };
        let body = if id.is_response() {
            prop_oneof![body(id), Just(Body::default_for(id))].boxed()
        } else {
            body(id)
        };
        (seq, status, body).prop_map(|(seq, status, body)| {
            Pdu::with_status(seq, CommandStatus(status), body)
                .expect("the strategy builds valid PDUs")
        })
    })
}

/// `bytes[..cut]` with `command_length` patched to `cut` (when there is room for it).
fn truncated(bytes: &[u8], cut: usize) -> Bytes {
    let mut t = bytes[..cut].to_vec();
    if cut >= 4 {
        t[..4].copy_from_slice(&(cut as u32).to_be_bytes());
    }
    Bytes::from(t)
}

proptest! {
    #![proptest_config(config(256))]

    /// encode then decode (lenient and strict) gives the PDU back; re-encoding gives the same
    /// octets; `encoded_len` is exact; the fuzz targets' checks hold.
    #[test]
    fn encode_decode_roundtrip(pdu in pdu()) {
        let bytes = pdu.encode().unwrap();
        prop_assert_eq!(bytes.len(), pdu.encoded_len());
        prop_assert_eq!(u32::from_be_bytes(bytes[..4].try_into().unwrap()) as usize, bytes.len());
        prop_assert_eq!(u32::from_be_bytes(bytes[4..8].try_into().unwrap()), pdu.command_id().as_u32());
        for opts in [LENIENT, STRICT] {
            let back = Pdu::decode_with(&bytes, &opts)
                .map_err(|e| TestCaseError::fail(format!("{opts:?}: {e}")))?;
            prop_assert_eq!(&back, &pdu);
            prop_assert_eq!(back.encode().unwrap(), bytes.clone());
        }
        checks::roundtrip(&bytes);
        checks::decode(&bytes);
    }

    /// Every truncation of a valid encoding, `command_length` patched to match, decodes to an
    /// error or a PDU, never a panic; errors can be answered.
    #[test]
    fn truncations_never_panic(pdu in pdu()) {
        let bytes = pdu.encode().unwrap();
        for cut in 0..bytes.len() {
            let t = truncated(&bytes, cut);
            for opts in [LENIENT, STRICT] {
                match Pdu::decode_with(&t, &opts) {
                    Ok(p) => {
                        let _ = p.encode();
                    }
                    Err(e) => {
                        let _ = e.answer().map(|a| a.encode());
                    }
                }
            }
        }
    }

    /// A valid encoding with one octet of its body changed passes the fuzz targets' checks.
    #[test]
    fn mutations_pass_the_fuzz_checks(pdu in pdu(), at in any::<prop::sample::Index>(), x in any::<u8>()) {
        let mut bytes = pdu.encode().unwrap().to_vec();
        let i = at.index(bytes.len());
        bytes[i] = x;
        checks::decode(&bytes);
        checks::roundtrip(&bytes);
    }

    /// A well-formed header of any known command over random body octets passes the fuzz
    /// targets' checks.
    #[test]
    fn random_bodies_pass_the_fuzz_checks(
        id in Union::new(CommandId::ALL.iter().map(|&id| Just(id))),
        status in prop_oneof![Just(0u32), any::<u32>()],
        seq in any::<u32>(),
        body in vec(any::<u8>(), 0..300),
    ) {
        let mut bytes = Vec::with_capacity(16 + body.len());
        for w in [16 + body.len() as u32, id.as_u32(), status, seq] {
            bytes.extend_from_slice(&w.to_be_bytes());
        }
        bytes.extend_from_slice(&body);
        checks::decode(&bytes);
        checks::roundtrip(&bytes);
    }

    /// Random octets never panic anything.
    #[test]
    fn random_bytes_never_panic(data in vec(any::<u8>(), 0..200)) {
        checks::decode(&data);
        checks::roundtrip(&data);
    }
}
