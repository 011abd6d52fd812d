//! Zero-copy SMPP 3.3/3.4/5.0 PDU codec.
