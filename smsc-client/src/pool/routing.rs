//! The MT route table: picks a carrier for a destination by the longest matching prefix of
//! its digits, or the fallback carrier.

use std::collections::HashMap;

use super::config::RoutingConfig;

/// Destination prefix to carrier, longest match first, with a fallback.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RouteTable {
    routes: HashMap<String, String>,
    longest: usize,
    fallback: Option<String>,
}

/// The digits of an address as routes see it: a leading `+` is not part of the number.
fn digits(addr: &str) -> &str {
    addr.strip_prefix('+').unwrap_or(addr)
}

impl RouteTable {
    /// The table of a (validated) routing configuration.
    pub fn new(config: &RoutingConfig) -> Self {
        let mut t = RouteTable {
            fallback: config.fallback.clone(),
            ..RouteTable::default()
        };
        for (prefix, carrier) in &config.routes {
            t.insert(prefix, carrier);
        }
        t
    }

    /// Adds (or replaces) a route.
    pub fn insert(&mut self, prefix: &str, carrier: &str) {
        let p = digits(prefix).to_owned();
        self.longest = self.longest.max(p.len());
        self.routes.insert(p, carrier.to_owned());
    }

    /// Sets the fallback carrier.
    pub fn set_fallback(&mut self, carrier: Option<&str>) {
        self.fallback = carrier.map(str::to_owned);
    }

    /// The carrier for `destination`: the route with the longest prefix of it, else the
    /// fallback, else `None`.
    pub fn route(&self, destination: &str) -> Option<&str> {
        let d = digits(destination);
        let mut n = d.len().min(self.longest);
        while n > 0 {
            if let Some(c) = d.get(..n).and_then(|p| self.routes.get(p)) {
                return Some(c);
            }
            n -= 1;
        }
        self.fallback.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_prefix_then_fallback() {
        let mut cfg = RoutingConfig {
            fallback: Some("world".into()),
            ..RoutingConfig::default()
        };
        cfg.routes.insert("44".into(), "uk".into());
        cfg.routes.insert("+447".into(), "uk-mobile".into());
        cfg.routes.insert("4479".into(), "uk-special".into());
        let t = RouteTable::new(&cfg);
        assert_eq!(t.route("447700900123"), Some("uk-mobile"));
        assert_eq!(t.route("+447912345678"), Some("uk-special"));
        assert_eq!(t.route("442079460000"), Some("uk"));
        assert_eq!(t.route("33612345678"), Some("world"));
        assert_eq!(t.route(""), Some("world"));
        assert_eq!(t.route("4"), Some("world"));
        let mut t = t;
        t.set_fallback(None);
        assert_eq!(t.route("33612345678"), None);
        // Not panicking on non-ASCII input.
        assert_eq!(t.route("4é"), None);
    }
}
