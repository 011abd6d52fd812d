//! Bounded reassembly of incoming long-message parts (UDH or SAR), with timeouts passed in.
