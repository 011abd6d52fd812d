//! Shared sample PDUs for the benches.
