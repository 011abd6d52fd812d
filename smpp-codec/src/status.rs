//! `command_status` values of SMPP 3.4 (§5.1.3) and 5.0 (§4.7.6, Table 4-45): names, meanings, retry class.

use std::fmt;

/// An SMPP `command_status` value.
///
/// Any 32-bit value is representable (vendor codes 0x400..=0x4FF included); the
/// associated constants name every value defined by SMPP 3.4 and 5.0.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct CommandStatus(pub u32);

macro_rules! statuses {
    ($( $name:ident = $value:literal, $temporary:literal, $meaning:literal; )*) => {
        impl CommandStatus {
            $(
                #[doc = $meaning]
                pub const $name: CommandStatus = CommandStatus($value);
            )*

            /// Every status defined by SMPP 3.4 and 5.0, in value order.
            pub const ALL: &'static [CommandStatus] = &[$(CommandStatus::$name),*];

            /// The spec's name (`ESME_RTHROTTLED`), `None` for a value the spec does not define.
            pub fn name(self) -> Option<&'static str> {
                match self.0 {
                    $($value => Some(stringify!($name)),)*
                    _ => None,
                }
            }

            /// What the status means, in the spec's words (shortened).
            pub fn meaning(self) -> &'static str {
                match self.0 {
                    $($value => $meaning,)*
                    0x400..=0x4FF => "MC vendor specific error",
                    _ => "Reserved (undefined) status",
                }
            }

            /// `true` when the failure is transient and the same request may succeed if retried
            /// later (throttling, queue full, system error, temporary application error).
            pub fn is_temporary(self) -> bool {
                match self.0 {
                    $($value => $temporary,)*
                    _ => false,
                }
            }

            /// Looks a status up by its spec name (SMPP 5.0 name, or the SMPP 3.4 name of the TLV errors).
            pub fn from_name(name: &str) -> Option<CommandStatus> {
                match name {
                    $(stringify!($name) => Some(CommandStatus::$name),)*
                    "ESME_RINVOPTPARSTREAM" => Some(CommandStatus::ESME_RINVTLVSTREAM),
                    "ESME_ROPTPARNOTALLWD" => Some(CommandStatus::ESME_RTLVNOTALLWD),
                    "ESME_RINVPARLEN" => Some(CommandStatus::ESME_RINVTLVLEN),
                    "ESME_RMISSINGOPTPARAM" => Some(CommandStatus::ESME_RMISSINGTLV),
                    "ESME_RINVOPTPARAMVAL" => Some(CommandStatus::ESME_RINVTLVVAL),
                    _ => None,
                }
            }
        }
    };
}

statuses! {
    ESME_ROK = 0x0000_0000, false, "No error.";
    ESME_RINVMSGLEN = 0x0000_0001, false, "Message length is invalid (short_message or message_payload too long).";
    ESME_RINVCMDLEN = 0x0000_0002, false, "Command length is invalid (too short or too long for the PDU).";
    ESME_RINVCMDID = 0x0000_0003, false, "Invalid command ID (not recognised or not supported).";
    ESME_RINVBNDSTS = 0x0000_0004, false, "Incorrect bind status for the given command.";
    ESME_RALYBND = 0x0000_0005, false, "ESME already in bound state.";
    ESME_RINVPRTFLG = 0x0000_0006, false, "Invalid priority flag.";
    ESME_RINVREGDLVFLG = 0x0000_0007, false, "Invalid registered delivery flag.";
    ESME_RSYSERR = 0x0000_0008, true, "System error: all or part of the MC is currently unavailable.";
    ESME_RINVSRCADR = 0x0000_000A, false, "Invalid source address.";
    ESME_RINVDSTADR = 0x0000_000B, false, "Invalid destination address.";
    ESME_RINVMSGID = 0x0000_000C, false, "Message ID is invalid.";
    ESME_RBINDFAIL = 0x0000_000D, false, "Bind failed.";
    ESME_RINVPASWD = 0x0000_000E, false, "Invalid password.";
    ESME_RINVSYSID = 0x0000_000F, false, "Invalid system ID.";
    ESME_RCANCELFAIL = 0x0000_0011, false, "cancel_sm failed.";
    ESME_RREPLACEFAIL = 0x0000_0013, false, "replace_sm failed.";
    ESME_RMSGQFUL = 0x0000_0014, true, "Message queue full: retry later.";
    ESME_RINVSERTYP = 0x0000_0015, false, "Invalid service type.";
    ESME_RINVNUMDESTS = 0x0000_0033, false, "Invalid number of destinations (submit_multi).";
    ESME_RINVDLNAME = 0x0000_0034, false, "Invalid distribution list name.";
    ESME_RINVDESTFLAG = 0x0000_0040, false, "Destination flag is invalid (submit_multi).";
    ESME_RINVSUBREP = 0x0000_0042, false, "Submit with replace is unsupported or inappropriate.";
    ESME_RINVESMCLASS = 0x0000_0043, false, "Invalid esm_class field data.";
    ESME_RCNTSUBDL = 0x0000_0044, false, "Cannot submit to distribution list.";
    ESME_RSUBMITFAIL = 0x0000_0045, false, "submit_sm, data_sm or submit_multi failed.";
    ESME_RINVSRCTON = 0x0000_0048, false, "Invalid source address TON.";
    ESME_RINVSRCNPI = 0x0000_0049, false, "Invalid source address NPI.";
    ESME_RINVDSTTON = 0x0000_0050, false, "Invalid destination address TON.";
    ESME_RINVDSTNPI = 0x0000_0051, false, "Invalid destination address NPI.";
    ESME_RINVSYSTYP = 0x0000_0053, false, "Invalid system_type field.";
    ESME_RINVREPFLAG = 0x0000_0054, false, "Invalid replace_if_present flag.";
    ESME_RINVNUMMSGS = 0x0000_0055, false, "Invalid number of messages.";
    ESME_RTHROTTLED = 0x0000_0058, true, "Throttling error: the ESME exceeded its allowed message rate; retry later.";
    ESME_RINVSCHED = 0x0000_0061, false, "Invalid scheduled delivery time.";
    ESME_RINVEXPIRY = 0x0000_0062, false, "Invalid message validity period (expiry time).";
    ESME_RINVDFTMSGID = 0x0000_0063, false, "Predefined message ID is invalid or not found.";
    ESME_RX_T_APPN = 0x0000_0064, true, "ESME receiver temporary application error: retry the delivery later.";
    ESME_RX_P_APPN = 0x0000_0065, false, "ESME receiver permanent application error: do not retry this destination.";
    ESME_RX_R_APPN = 0x0000_0066, false, "ESME receiver reject message error: reject this message, do not retry.";
    ESME_RQUERYFAIL = 0x0000_0067, false, "query_sm request failed.";
    ESME_RINVTLVSTREAM = 0x0000_00C0, false, "Error in the optional (TLV) part of the PDU body.";
    ESME_RTLVNOTALLWD = 0x0000_00C1, false, "TLV not allowed.";
    ESME_RINVTLVLEN = 0x0000_00C2, false, "Invalid TLV (parameter) length.";
    ESME_RMISSINGTLV = 0x0000_00C3, false, "Expected TLV missing.";
    ESME_RINVTLVVAL = 0x0000_00C4, false, "Invalid TLV value.";
    ESME_RDELIVERYFAILURE = 0x0000_00FE, false, "Transaction delivery failure.";
    ESME_RUNKNOWNERR = 0x0000_00FF, false, "Unknown error.";
    ESME_RSERTYPUNAUTH = 0x0000_0100, false, "ESME not authorised to use the specified service_type.";
    ESME_RPROHIBITED = 0x0000_0101, false, "ESME prohibited from using the specified operation.";
    ESME_RSERTYPUNAVAIL = 0x0000_0102, true, "Specified service_type is unavailable (service outage in the MC).";
    ESME_RSERTYPDENIED = 0x0000_0103, false, "Specified service_type is denied.";
    ESME_RINVDCS = 0x0000_0104, false, "Invalid data coding scheme.";
    ESME_RINVSRCADDRSUBUNIT = 0x0000_0105, false, "Source address subunit is invalid.";
    ESME_RINVDSTADDRSUBUNIT = 0x0000_0106, false, "Destination address subunit is invalid.";
    ESME_RINVBCASTFREQINT = 0x0000_0107, false, "Broadcast frequency interval is invalid.";
    ESME_RINVBCASTALIAS_NAME = 0x0000_0108, false, "Broadcast alias name is invalid.";
    ESME_RINVBCASTAREAFMT = 0x0000_0109, false, "Broadcast area format is invalid.";
    ESME_RINVNUMBCAST_AREAS = 0x0000_010A, false, "Number of broadcast areas is invalid.";
    ESME_RINVBCASTCNTTYPE = 0x0000_010B, false, "Broadcast content type is invalid.";
    ESME_RINVBCASTMSGCLASS = 0x0000_010C, false, "Broadcast message class is invalid.";
    ESME_RBCASTFAIL = 0x0000_010D, false, "broadcast_sm operation failed.";
    ESME_RBCASTQUERYFAIL = 0x0000_010E, false, "query_broadcast_sm operation failed.";
    ESME_RBCASTCANCELFAIL = 0x0000_010F, false, "cancel_broadcast_sm operation failed.";
    ESME_RINVBCAST_REP = 0x0000_0110, false, "Number of repeated broadcasts is invalid.";
    ESME_RINVBCASTSRVGRP = 0x0000_0111, false, "Broadcast service group is invalid.";
    ESME_RINVBCASTCHANIND = 0x0000_0112, false, "Broadcast channel indicator is invalid.";
}

impl CommandStatus {
    /// `true` for `ESME_ROK`.
    pub fn is_ok(self) -> bool {
        self.0 == 0
    }

    /// `true` for the statuses that ask the sender to slow down (`ESME_RTHROTTLED`, `ESME_RMSGQFUL`).
    pub fn is_throttling(self) -> bool {
        self == Self::ESME_RTHROTTLED || self == Self::ESME_RMSGQFUL
    }

    /// `true` in the range reserved for MC vendor specific errors (0x400..=0x4FF).
    pub fn is_vendor_specific(self) -> bool {
        (0x400..=0x4FF).contains(&self.0)
    }
}

impl From<u32> for CommandStatus {
    fn from(v: u32) -> Self {
        CommandStatus(v)
    }
}

impl From<CommandStatus> for u32 {
    fn from(s: CommandStatus) -> u32 {
        s.0
    }
}

impl fmt::Debug for CommandStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => write!(f, "{n}"),
            None => write!(f, "CommandStatus({:#010x})", self.0),
        }
    }
}

impl fmt::Display for CommandStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => write!(f, "{n} ({:#010x}): {}", self.0, self.meaning()),
            None => write!(f, "{:#010x}: {}", self.0, self.meaning()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_classes() {
        assert_eq!(CommandStatus(0x58).name(), Some("ESME_RTHROTTLED"));
        assert!(CommandStatus::ESME_RTHROTTLED.is_temporary());
        assert!(CommandStatus::ESME_RMSGQFUL.is_temporary());
        assert!(CommandStatus::ESME_RX_T_APPN.is_temporary());
        assert!(!CommandStatus::ESME_RX_P_APPN.is_temporary());
        assert!(!CommandStatus::ESME_RINVDSTADR.is_temporary());
        assert_eq!(CommandStatus(0x401).name(), None);
        assert!(CommandStatus(0x401).is_vendor_specific());
        assert_eq!(CommandStatus(0x401).meaning(), "MC vendor specific error");
        assert_eq!(
            CommandStatus::from_name("ESME_RINVOPTPARSTREAM"),
            Some(CommandStatus::ESME_RINVTLVSTREAM)
        );
        for s in CommandStatus::ALL {
            assert_eq!(CommandStatus::from_name(s.name().unwrap()), Some(*s));
        }
        assert_eq!(CommandStatus::ALL.len(), 67);
    }
}
