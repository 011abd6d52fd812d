//! Delivery receipts: recognition, TLV and text-form parsing, formatting, and message-id normalisation.
