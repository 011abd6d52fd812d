//! User data headers (3GPP TS 23.040 §9.2.3.24) and splitting long messages into parts (UDH 8/16-bit, SAR TLVs, message_payload).
