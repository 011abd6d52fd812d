//! The short-code connector service: routing, compliance, webhooks, MT API (to come).
