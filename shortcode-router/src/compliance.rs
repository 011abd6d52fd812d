//! CTIA short-code compliance: the STOP, HELP and START keyword families (plus configured
//! extras), the texts the router answers them with, and the per-subscriber lock that orders an
//! opt-out against MTs in flight (so no MT passes the opt-out check after a STOP is recorded).

use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::config::{ComplianceConfig, ProgramConfig};
use crate::routing::fold;

/// A compliance keyword's meaning.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Compliance {
    /// Opt out of the short code (STOP, UNSUBSCRIBE, CANCEL, END, QUIT, extras).
    Stop,
    /// Opt out of every program (STOPALL).
    StopAll,
    /// Help text (HELP, INFO, extras).
    Help,
    /// Re-subscribe (START, UNSTOP, extras).
    Start,
    /// YES: confirms a pending double opt-in, else re-subscribes an opted-out subscriber, else
    /// is an ordinary message.
    Yes,
}

impl Compliance {
    /// The family's name in payloads and the store.
    pub fn as_str(self) -> &'static str {
        match self {
            Compliance::Stop => "stop",
            Compliance::StopAll => "stop_all",
            Compliance::Help => "help",
            Compliance::Start => "start",
            Compliance::Yes => "yes",
        }
    }
}

/// The CTIA opt-out words.
pub const STOP_WORDS: &[&str] = &["STOP", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"];
/// The word opting out of every program.
pub const STOP_ALL_WORD: &str = "STOPALL";
/// The CTIA help words.
pub const HELP_WORDS: &[&str] = &["HELP", "INFO"];
/// The CTIA re-subscribe words (YES is handled apart: see [`Compliance::Yes`]).
pub const START_WORDS: &[&str] = &["START", "UNSTOP"];

/// The compliance keywords in force.
#[derive(Clone, Debug)]
pub struct Keywords {
    stop: HashSet<String>,
    help: HashSet<String>,
    start: HashSet<String>,
}

impl Keywords {
    /// The CTIA words plus the configured extras.
    pub fn from_config(c: &ComplianceConfig) -> Keywords {
        let set = |base: &[&str], extra: &[String]| {
            base.iter()
                .map(|w| (*w).to_owned())
                .chain(extra.iter().map(|w| fold(w)))
                .filter(|w| !w.is_empty())
                .collect::<HashSet<_>>()
        };
        Keywords {
            stop: set(STOP_WORDS, &c.stop_extras),
            help: set(HELP_WORDS, &c.help_extras),
            start: set(START_WORDS, &c.start_extras),
        }
    }

    /// The keyword `text` is, if it is one: the whole message, folded (any case, surrounding
    /// space and punctuation ignored), must be the word alone.
    pub fn classify(&self, text: &str) -> Option<Compliance> {
        let w = fold(text);
        if w == STOP_ALL_WORD {
            Some(Compliance::StopAll)
        } else if self.stop.contains(&w) {
            Some(Compliance::Stop)
        } else if self.help.contains(&w) {
            Some(Compliance::Help)
        } else if self.start.contains(&w) {
            Some(Compliance::Start)
        } else if w == "YES" {
            Some(Compliance::Yes)
        } else {
            None
        }
    }
}

/// The answer to STOP: names the program, says no more messages will be sent.
pub fn stop_confirmation(program: &ProgramConfig) -> String {
    format!(
        "{}: You are unsubscribed and will receive no more messages. Reply START to resubscribe.",
        program.display()
    )
}

/// The answer to STOPALL: names the programs, says no more messages will be sent.
pub fn stop_all_confirmation(programs: &[&ProgramConfig]) -> String {
    let names: Vec<&str> = programs.iter().map(|p| p.display()).collect();
    format!(
        "{}: You are unsubscribed from all programs and will receive no more messages. \
         Reply START to resubscribe.",
        names.join(", ")
    )
}

/// The answer to HELP: program name, what it is, support contact, rates, how to stop.
pub fn help_text(program: &ProgramConfig) -> String {
    let about = program
        .description
        .as_deref()
        .map(|d| format!(" {}.", d.trim_end_matches('.')))
        .unwrap_or_default();
    format!(
        "{}:{about} Help: {}. Msg&data rates may apply. Reply STOP to cancel.",
        program.display(),
        program.support
    )
}

/// The answer to START (and YES from an opted-out subscriber).
pub fn start_confirmation(program: &ProgramConfig) -> String {
    format!(
        "{}: You are subscribed again. Msg&data rates may apply. Reply HELP for help, STOP to \
         cancel.",
        program.display()
    )
}

/// Asks a double opt-in subscriber to confirm.
pub fn confirm_request(program: &ProgramConfig) -> String {
    format!(
        "{}: Reply YES to confirm your subscription. Msg&data rates may apply. Reply HELP for \
         help, STOP to cancel.",
        program.display()
    )
}

/// Confirms a completed double opt-in.
pub fn joined_confirmation(program: &ProgramConfig) -> String {
    format!(
        "{}: You are subscribed. Msg&data rates may apply. Reply HELP for help, STOP to cancel.",
        program.display()
    )
}

/// Orders opt-out changes against MT submissions per subscriber: an MT holds its subscriber's
/// lock from the opt-out check until the carrier has answered its `submit_sm`; recording an
/// opt-out takes the same lock. So every MT either reached the carrier before the opt-out was
/// stored, or sees it.
#[derive(Debug, Clone)]
pub struct ConsentGate {
    shards: Arc<Vec<Arc<Mutex<()>>>>,
}

impl Default for ConsentGate {
    fn default() -> Self {
        ConsentGate::new(256)
    }
}

impl ConsentGate {
    /// A gate with `shards` locks (subscribers hash onto them).
    pub fn new(shards: usize) -> Self {
        ConsentGate {
            shards: Arc::new(
                (0..shards.max(1))
                    .map(|_| Arc::new(Mutex::new(())))
                    .collect(),
            ),
        }
    }

    fn shard(&self, subscriber: &str) -> usize {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        subscriber.hash(&mut h);
        (h.finish() % self.shards.len() as u64) as usize
    }

    /// Locks `subscriber`.
    pub async fn lock(&self, subscriber: &str) -> OwnedMutexGuard<()> {
        self.shards[self.shard(subscriber)]
            .clone()
            .lock_owned()
            .await
    }

    /// Locks several subscribers at once (in a fixed order, so two callers cannot deadlock).
    pub async fn lock_many<'a>(
        &self,
        subscribers: impl IntoIterator<Item = &'a str>,
    ) -> Vec<OwnedMutexGuard<()>> {
        let mut idx: Vec<usize> = subscribers.into_iter().map(|s| self.shard(s)).collect();
        idx.sort_unstable();
        idx.dedup();
        let mut guards = Vec::with_capacity(idx.len());
        for i in idx {
            guards.push(self.shards[i].clone().lock_owned().await);
        }
        guards
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn program() -> ProgramConfig {
        toml::from_str(
            r#"
name = "coffee"
display_name = "Coffee Club"
short_code = "12345"
support = "help@coffee.example"
description = "Weekly coffee deals"
"#,
        )
        .unwrap()
    }

    #[test]
    fn every_keyword_any_case_alone() {
        let k = Keywords::from_config(&ComplianceConfig {
            stop_extras: vec!["arret".into()],
            help_extras: vec!["aide".into()],
            start_extras: vec!["resume".into()],
        });
        for w in [
            "STOP",
            "stop",
            " Unsubscribe ",
            "cancel.",
            "End!",
            "QUIT",
            "Arret",
        ] {
            assert_eq!(k.classify(w), Some(Compliance::Stop), "{w}");
        }
        for w in ["STOPALL", "stopall!"] {
            assert_eq!(k.classify(w), Some(Compliance::StopAll), "{w}");
        }
        for w in ["HELP", "help?", "Info", "AIDE"] {
            assert_eq!(k.classify(w), Some(Compliance::Help), "{w}");
        }
        for w in ["START", "unstop", "Resume"] {
            assert_eq!(k.classify(w), Some(Compliance::Start), "{w}");
        }
        assert_eq!(k.classify("yes!"), Some(Compliance::Yes));
        // Not alone: not a compliance keyword.
        for w in [
            "stop it",
            "please stop",
            "help me",
            "start now",
            "STOPS",
            "yes please",
        ] {
            assert_eq!(k.classify(w), None, "{w}");
        }
    }

    #[test]
    fn texts() {
        let p = program();
        let s = stop_confirmation(&p);
        assert!(
            s.starts_with("Coffee Club:") && s.contains("no more messages"),
            "{s}"
        );
        let h = help_text(&p);
        for needle in [
            "Coffee Club",
            "help@coffee.example",
            "Msg&data rates may apply",
            "STOP",
            "Weekly coffee deals.",
        ] {
            assert!(h.contains(needle), "{h} lacks {needle}");
        }
        assert!(start_confirmation(&p).contains("subscribed again"));
        let all = stop_all_confirmation(&[&p, &p]);
        assert!(all.contains("all programs") && all.contains("Coffee Club, Coffee Club"));
        assert!(confirm_request(&p).contains("Reply YES"));
        assert!(joined_confirmation(&p).contains("You are subscribed"));
        // Every answer fits one GSM-7 segment or two at most.
        assert!(h.len() <= 160, "{}", h.len());
    }

    #[tokio::test]
    async fn gate_orders_per_subscriber() {
        let g = ConsentGate::new(4);
        let a = g.lock("447700900001").await;
        let g2 = g.clone();
        let t = tokio::spawn(async move {
            let _b = g2.lock("447700900001").await;
        });
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert!(!t.is_finished());
        drop(a);
        tokio::time::timeout(std::time::Duration::from_secs(5), t)
            .await
            .unwrap()
            .unwrap();
        // Many at once, with repeats, does not deadlock.
        let guards = g.lock_many(["a", "b", "a", "c", "d", "e"]).await;
        assert!(guards.len() <= 4);
    }
}
