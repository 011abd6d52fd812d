//! Two-way conversations: an MT from a program (a handler's reply, or the MT API) opens or
//! refreshes a conversation for (subscriber, short code) with that program for the program's
//! TTL; a keyword moves the subscriber to the keyword's program; a plain MO within the TTL goes
//! to the conversation's handler (and refreshes it). State lives in the store.

use crate::config::{Config, ProgramConfig};
use crate::store::ConversationRecord;

/// The conversation `program` holds with `subscriber` on its short code from `now` (Unix ms),
/// its replies going to `handler` (opened by `route`, if a keyword did).
pub fn open(
    program: &ProgramConfig,
    handler: &str,
    route: Option<&str>,
    subscriber: &str,
    now: i64,
) -> ConversationRecord {
    ConversationRecord {
        subscriber: subscriber.to_owned(),
        short_code: program.short_code.clone(),
        program: program.name.clone(),
        handler: handler.to_owned(),
        route: route.map(str::to_owned),
        expires_at: now
            .saturating_add(i64::try_from(program.ttl().as_millis()).unwrap_or(i64::MAX)),
    }
}

/// The conversation an MT from `program` to `subscriber` opens, if the program has a handler
/// to take the replies.
pub fn for_mt(
    config: &Config,
    program: &str,
    subscriber: &str,
    now: i64,
) -> Option<ConversationRecord> {
    let p = config.program(program)?;
    let handler = config.program_handler(program)?;
    Some(open(p, handler, None, subscriber, now))
}

/// The same conversation, its TTL restarted at `now`.
pub fn refresh(config: &Config, c: &ConversationRecord, now: i64) -> ConversationRecord {
    let ttl = config.program(&c.program).map_or(0, |p| {
        i64::try_from(p.ttl().as_millis()).unwrap_or(i64::MAX)
    });
    ConversationRecord {
        expires_at: now.saturating_add(ttl),
        ..c.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttl_from_program() {
        let p: ProgramConfig =
            toml::from_str("name='p'\nshort_code='1'\nsupport='s'\nconversation_ttl_secs = 60\n")
                .unwrap();
        let c = open(&p, "h", Some("r"), "447", 1_000);
        assert_eq!(c.expires_at, 61_000);
        assert_eq!((c.program.as_str(), c.short_code.as_str()), ("p", "1"));
    }
}
