//! The routing table: per short code, keyword routes (first word or whole message, with
//! aliases, folded for case, surrounding space and punctuation), opt-in regex routes and a
//! catch-all; built from the config, refusing duplicate keywords with both routes named. The
//! order a whole MO goes through (compliance, keywords, conversation, catch-all, no route) is
//! driven by [`crate::mo`]; this module answers the keyword and catch-all steps.

use std::collections::HashMap;

use regex::Regex;
use serde::Serialize;

use crate::compliance::Keywords;
use crate::config::{Config, MatchKind};

/// Why a routing table could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoutingError {
    /// Two routes on one short code claim the same keyword.
    #[error(
        "keyword {keyword:?} on short code {short_code} is claimed by both route {first} and \
         route {second}: keywords (and aliases) must be unique per short code"
    )]
    Duplicate {
        /// The short code.
        short_code: String,
        /// The folded keyword.
        keyword: String,
        /// The route declared first.
        first: String,
        /// The route declared second.
        second: String,
    },
    /// A route claims a compliance keyword (STOP, HELP, START... and the configured extras).
    #[error(
        "route {route} uses {keyword:?}, which is a compliance keyword: compliance keywords are \
         answered by the router itself"
    )]
    ComplianceKeyword {
        /// The route.
        route: String,
        /// The keyword.
        keyword: String,
    },
    /// Two catch-alls on one short code.
    #[error("short code {short_code} has two catch-all routes: {first} and {second}")]
    TwoCatchAlls {
        /// The short code.
        short_code: String,
        /// The route declared first.
        first: String,
        /// The route declared second.
        second: String,
    },
    /// A route is incomplete or its keyword/pattern is unusable.
    #[error("route {route}: {reason}")]
    Route {
        /// The route.
        route: String,
        /// What is wrong.
        reason: String,
    },
}

/// Which rule matched an MO; reported in the webhook payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// A compliance keyword (STOP, HELP, START families).
    Compliance,
    /// A keyword route, on the first word.
    Keyword,
    /// A keyword route, on the whole message.
    WholeMessage,
    /// A regex route.
    Regex,
    /// An open two-way conversation.
    Conversation,
    /// The short code's catch-all.
    CatchAll,
    /// Nothing matched.
    NoRoute,
}

impl Rule {
    /// The rule's name in payloads and the store.
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::Compliance => "compliance",
            Rule::Keyword => "keyword",
            Rule::WholeMessage => "whole_message",
            Rule::Regex => "regex",
            Rule::Conversation => "conversation",
            Rule::CatchAll => "catch_all",
            Rule::NoRoute => "no_route",
        }
    }
}

/// A route, as the table keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    /// Its name.
    pub name: String,
    /// Its program.
    pub program: String,
    /// Its handler.
    pub handler: String,
    /// Its short code.
    pub short_code: String,
}

/// A keyword-step match.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeywordMatch<'a> {
    /// The route.
    pub route: &'a Route,
    /// Which kind of rule.
    pub rule: Rule,
    /// The folded keyword (or the regex text) that matched.
    pub matched: String,
}

#[derive(Debug, Default)]
struct CodeTable {
    first_word: HashMap<String, usize>,
    whole: HashMap<String, usize>,
    /// In config order.
    regex: Vec<(Regex, usize)>,
    catch_all: Option<usize>,
}

/// The routes of every short code.
#[derive(Debug, Default)]
pub struct RoutingTable {
    routes: Vec<Route>,
    codes: HashMap<String, CodeTable>,
}

/// Folds a text for keyword matching: surrounding whitespace and punctuation (anything not a
/// letter or digit) removed, inner whitespace runs made one space, upper case.
pub fn fold(text: &str) -> String {
    let trimmed = text.trim_matches(|c: char| !c.is_alphanumeric());
    let mut out = String::with_capacity(trimmed.len());
    for (i, w) in trimmed.split_whitespace().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        for c in w.chars() {
            out.extend(c.to_uppercase());
        }
    }
    out
}

/// The first word of a text, folded (see [`fold`]).
pub fn first_word(text: &str) -> String {
    let word = text
        .trim_start_matches(|c: char| !c.is_alphanumeric())
        .split_whitespace()
        .next()
        .unwrap_or("");
    fold(word)
}

impl RoutingTable {
    /// Builds the table from the config's routes (programs give the short codes).
    pub fn build(config: &Config) -> Result<RoutingTable, RoutingError> {
        let keywords = Keywords::from_config(&config.compliance);
        let mut table = RoutingTable::default();
        // Which route claimed each folded keyword, per short code (both kinds share one space:
        // "JOIN" as a first word and as a whole message would both take the message "JOIN").
        let mut claimed: HashMap<(String, String), String> = HashMap::new();
        for rc in &config.routes {
            let bad = |reason: &str| RoutingError::Route {
                route: rc.name.clone(),
                reason: reason.to_owned(),
            };
            let program = config
                .program(&rc.program)
                .ok_or_else(|| bad(&format!("unknown program {}", rc.program)))?;
            let idx = table.routes.len();
            let code = program.short_code.clone();
            table.routes.push(Route {
                name: rc.name.clone(),
                program: rc.program.clone(),
                handler: rc.handler.clone(),
                short_code: code.clone(),
            });
            let ct = table.codes.entry(code.clone()).or_default();
            match rc.kind {
                MatchKind::FirstWord | MatchKind::WholeMessage => {
                    let keyword = rc
                        .keyword
                        .as_deref()
                        .ok_or_else(|| bad("a keyword route needs `keyword`"))?;
                    if rc.pattern.is_some() {
                        return Err(bad("`pattern` is only for match = \"regex\""));
                    }
                    for word in
                        std::iter::once(keyword).chain(rc.aliases.iter().map(String::as_str))
                    {
                        let folded = fold(word);
                        if folded.is_empty() {
                            return Err(bad(&format!("keyword {word:?} has no letters or digits")));
                        }
                        if rc.kind == MatchKind::FirstWord && folded.contains(' ') {
                            return Err(bad(&format!(
                                "keyword {word:?} is several words: use match = \"whole_message\""
                            )));
                        }
                        if keywords.classify(&folded).is_some() {
                            return Err(RoutingError::ComplianceKeyword {
                                route: rc.name.clone(),
                                keyword: folded,
                            });
                        }
                        if let Some(first) =
                            claimed.insert((code.clone(), folded.clone()), rc.name.clone())
                        {
                            return Err(RoutingError::Duplicate {
                                short_code: code,
                                keyword: folded,
                                first,
                                second: rc.name.clone(),
                            });
                        }
                        let map = if rc.kind == MatchKind::FirstWord {
                            &mut ct.first_word
                        } else {
                            &mut ct.whole
                        };
                        map.insert(folded, idx);
                    }
                }
                MatchKind::Regex => {
                    let pattern = rc
                        .pattern
                        .as_deref()
                        .ok_or_else(|| bad("a regex route needs `pattern`"))?;
                    if rc.keyword.is_some() || !rc.aliases.is_empty() {
                        return Err(bad("a regex route takes `pattern`, not keywords"));
                    }
                    let re = Regex::new(pattern)
                        .map_err(|e| bad(&format!("pattern does not compile: {e}")))?;
                    ct.regex.push((re, idx));
                }
                MatchKind::CatchAll => {
                    if rc.keyword.is_some() || rc.pattern.is_some() || !rc.aliases.is_empty() {
                        return Err(bad("a catch-all takes no keyword or pattern"));
                    }
                    if let Some(first) = ct.catch_all {
                        return Err(RoutingError::TwoCatchAlls {
                            short_code: code,
                            first: table.routes[first].name.clone(),
                            second: rc.name.clone(),
                        });
                    }
                    ct.catch_all = Some(idx);
                }
            }
        }
        Ok(table)
    }

    /// The keyword step for `text` on `short_code`: a whole-message keyword, then a first-word
    /// keyword, then the regex routes in config order.
    pub fn match_keyword(&self, short_code: &str, text: &str) -> Option<KeywordMatch<'_>> {
        let ct = self.codes.get(short_code)?;
        let whole = fold(text);
        if let Some(&i) = ct.whole.get(&whole) {
            return Some(KeywordMatch {
                route: &self.routes[i],
                rule: Rule::WholeMessage,
                matched: whole,
            });
        }
        let word = first_word(text);
        if let Some(&i) = ct.first_word.get(&word) {
            return Some(KeywordMatch {
                route: &self.routes[i],
                rule: Rule::Keyword,
                matched: word,
            });
        }
        let trimmed = text.trim();
        ct.regex
            .iter()
            .find(|(re, _)| re.is_match(trimmed))
            .map(|(re, i)| KeywordMatch {
                route: &self.routes[*i],
                rule: Rule::Regex,
                matched: re.as_str().to_owned(),
            })
    }

    /// The catch-all of `short_code`.
    pub fn catch_all(&self, short_code: &str) -> Option<&Route> {
        let i = self.codes.get(short_code)?.catch_all?;
        Some(&self.routes[i])
    }

    /// The route called `name`.
    pub fn route(&self, name: &str) -> Option<&Route> {
        self.routes.iter().find(|r| r.name == name)
    }

    /// Every route.
    pub fn routes(&self) -> &[Route] {
        &self.routes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(routes: &str) -> String {
        format!(
            r#"
[store]
path = "x.db"
[handlers.h]
url = "http://127.0.0.1:1/"
secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
[handlers.g]
url = "http://127.0.0.1:2/"
secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
[[short_codes]]
code = "111"
[[short_codes]]
code = "222"
[[programs]]
name = "a"
short_code = "111"
support = "a@example.com"
[[programs]]
name = "b"
short_code = "111"
support = "b@example.com"
[[programs]]
name = "c"
short_code = "222"
support = "c@example.com"
{routes}
"#
        )
    }

    fn table(routes: &str) -> Result<RoutingTable, RoutingError> {
        let c: Config = toml::from_str(&config(routes)).unwrap();
        RoutingTable::build(&c)
    }

    const ROUTES: &str = r#"
[[routes]]
name = "join"
program = "a"
keyword = "join"
aliases = ["signup", "Inscription"]
handler = "h"
[[routes]]
name = "deals"
program = "b"
keyword = "deals"
handler = "g"
[[routes]]
name = "whole"
program = "b"
match = "whole_message"
keyword = "coffee please"
handler = "g"
[[routes]]
name = "order"
program = "b"
match = "regex"
pattern = "^(?i)order\\s+#?\\d+"
handler = "g"
[[routes]]
name = "rest"
program = "a"
match = "catch_all"
handler = "h"
[[routes]]
name = "join-c"
program = "c"
keyword = "JOIN"
handler = "g"
"#;

    #[test]
    fn folding() {
        assert_eq!(fold("  join!! "), "JOIN");
        assert_eq!(fold("¡Hola,   amigo!"), "HOLA, AMIGO");
        assert_eq!(fold("..."), "");
        assert_eq!(first_word(" JOIN! now"), "JOIN");
        assert_eq!(first_word("#join,now please"), "JOIN,NOW");
        assert_eq!(first_word("\"Join\" me"), "JOIN");
        assert_eq!(first_word("straße"), "STRASSE");
    }

    #[test]
    fn keywords_and_aliases_fold() {
        let t = table(ROUTES).unwrap();
        for text in [
            "join",
            " JOIN!",
            "Join me please",
            "signup",
            "INSCRIPTION.",
            "join.",
        ] {
            let m = t.match_keyword("111", text).unwrap();
            assert_eq!(m.route.name, "join", "{text}");
            assert_eq!(m.rule, Rule::Keyword);
        }
        assert_eq!(t.match_keyword("111", "joinme"), None);
        assert_eq!(t.match_keyword("111", "hello join"), None);
        // Same keyword, other short code: another route.
        assert_eq!(t.match_keyword("222", "join").unwrap().route.name, "join-c");
        assert_eq!(t.match_keyword("333", "join"), None);
    }

    #[test]
    fn whole_message_and_regex() {
        let t = table(ROUTES).unwrap();
        let m = t.match_keyword("111", "  Coffee   PLEASE! ").unwrap();
        assert_eq!(
            (m.route.name.as_str(), m.rule),
            ("whole", Rule::WholeMessage)
        );
        // The whole-message keyword does not match as a first word.
        assert_eq!(t.match_keyword("111", "coffee please now"), None);
        let m = t.match_keyword("111", "ORDER #123 large").unwrap();
        assert_eq!((m.route.name.as_str(), m.rule), ("order", Rule::Regex));
        assert_eq!(t.match_keyword("111", "order soon"), None);
        assert_eq!(t.catch_all("111").unwrap().name, "rest");
        assert_eq!(t.catch_all("222"), None);
    }

    #[test]
    fn order_keyword_before_regex() {
        let extra = r#"
[[routes]]
name = "any-join"
program = "a"
match = "regex"
pattern = "(?i)join"
handler = "h"
"#;
        let t = table(&format!("{ROUTES}{extra}")).unwrap();
        assert_eq!(t.match_keyword("111", "join").unwrap().route.name, "join");
        assert_eq!(
            t.match_keyword("111", "please JOIN").unwrap().route.name,
            "any-join"
        );
    }

    #[test]
    fn duplicates_name_both_routes() {
        let dup = r#"
[[routes]]
name = "first"
program = "a"
keyword = "JOIN"
handler = "h"
[[routes]]
name = "second"
program = "b"
keyword = "x"
aliases = [" join! "]
handler = "g"
"#;
        let e = table(dup).unwrap_err();
        assert_eq!(
            e,
            RoutingError::Duplicate {
                short_code: "111".into(),
                keyword: "JOIN".into(),
                first: "first".into(),
                second: "second".into()
            }
        );
        let msg = e.to_string();
        assert!(msg.contains("first") && msg.contains("second"), "{msg}");
        // Whole-message and first-word keywords share one space.
        let dup = r#"
[[routes]]
name = "w"
program = "a"
match = "whole_message"
keyword = "join"
handler = "h"
[[routes]]
name = "f"
program = "a"
keyword = "JOIN"
handler = "h"
"#;
        assert!(matches!(table(dup), Err(RoutingError::Duplicate { .. })));
        // Through Config::validate too.
        let e = Config::parse(&config(dup)).unwrap_err().to_string();
        assert!(e.contains("route w") && e.contains("route f"), "{e}");
    }

    #[test]
    fn other_refusals() {
        let stop = r#"
[[routes]]
name = "s"
program = "a"
keyword = "Stop"
handler = "h"
"#;
        assert!(matches!(
            table(stop),
            Err(RoutingError::ComplianceKeyword { .. })
        ));
        let two = r#"
[[routes]]
name = "c1"
program = "a"
match = "catch_all"
handler = "h"
[[routes]]
name = "c2"
program = "b"
match = "catch_all"
handler = "h"
"#;
        assert!(matches!(table(two), Err(RoutingError::TwoCatchAlls { .. })));
        let bad_re = r#"
[[routes]]
name = "r"
program = "a"
match = "regex"
pattern = "(unclosed"
handler = "h"
"#;
        assert!(
            table(bad_re)
                .unwrap_err()
                .to_string()
                .contains("does not compile")
        );
        let multi = r#"
[[routes]]
name = "m"
program = "a"
keyword = "two words"
handler = "h"
"#;
        assert!(
            table(multi)
                .unwrap_err()
                .to_string()
                .contains("whole_message")
        );
        let none = r#"
[[routes]]
name = "n"
program = "a"
handler = "h"
"#;
        assert!(
            table(none)
                .unwrap_err()
                .to_string()
                .contains("needs `keyword`")
        );
    }
}
