//! API keys: bearer tokens from the config (inline or from an environment variable), each
//! scoped to a list of programs (or to all), with an optional status-callback signing secret.

use std::collections::HashMap;

use axum::http::HeaderMap;
use sha2::{Digest, Sha256};

use crate::api::error::ApiError;

/// One API key in `[[api.keys]]`.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyConfig {
    /// The key's name (in logs, the store, and as the Kannel `user`).
    pub name: String,
    /// The token inline (prefer `token_env`).
    #[serde(default)]
    pub token: Option<String>,
    /// The environment variable holding the token.
    #[serde(default)]
    pub token_env: Option<String>,
    /// The programs it may use; empty: all.
    #[serde(default)]
    pub programs: Vec<String>,
    /// Signs this key's status callbacks (`whsec_<base64>`).
    #[serde(default)]
    pub callback_secret: Option<String>,
    /// The environment variable holding `callback_secret`.
    #[serde(default)]
    pub callback_secret_env: Option<String>,
}

impl ApiKeyConfig {
    /// The callback signing secret, if any, from the config or its environment variable.
    pub fn callback_secret(&self) -> Result<Option<String>, String> {
        match (&self.callback_secret, &self.callback_secret_env) {
            (Some(_), Some(_)) => Err(format!(
                "api key {}: give callback_secret or callback_secret_env, not both",
                self.name
            )),
            (Some(s), None) => Ok(Some(s.clone())),
            (None, Some(var)) => std::env::var(var).map(Some).map_err(|_| {
                format!(
                    "api key {}: environment variable {var} is not set",
                    self.name
                )
            }),
            (None, None) => Ok(None),
        }
    }

    /// The token, from the config or its environment variable.
    pub fn token(&self) -> Result<String, String> {
        match (&self.token, &self.token_env) {
            (Some(_), Some(_)) => Err(format!(
                "api key {}: give token or token_env, not both",
                self.name
            )),
            (Some(t), None) => Ok(t.clone()),
            (None, Some(var)) => std::env::var(var).map_err(|_| {
                format!(
                    "api key {}: environment variable {var} is not set",
                    self.name
                )
            }),
            (None, None) => Err(format!(
                "api key {}: token or token_env is required",
                self.name
            )),
        }
    }
}

/// Who is calling.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    /// The key's name.
    pub name: String,
    /// Its programs; `None`: all.
    pub scope: Option<Vec<String>>,
}

impl Caller {
    /// Whether the key may act for `program`.
    pub fn may(&self, program: &str) -> bool {
        self.scope
            .as_ref()
            .is_none_or(|s| s.iter().any(|p| p == program))
    }
}

/// The key table.
#[derive(Clone, Debug, Default)]
pub struct Auth {
    by_hash: HashMap<[u8; 32], Caller>,
    by_name: HashMap<String, [u8; 32]>,
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl Auth {
    /// From `[[api.keys]]`; refuses empty or short tokens and duplicate names or tokens.
    pub fn from_config(keys: &[ApiKeyConfig]) -> Result<Auth, String> {
        let mut auth = Auth::default();
        for k in keys {
            let token = k.token()?;
            if token.len() < 16 {
                return Err(format!(
                    "api key {}: the token must be at least 16 characters",
                    k.name
                ));
            }
            let h = digest(&token);
            if auth.by_name.insert(k.name.clone(), h).is_some() {
                return Err(format!("api key {} is declared twice", k.name));
            }
            let caller = Caller {
                name: k.name.clone(),
                scope: (!k.programs.is_empty()).then(|| k.programs.clone()),
            };
            if auth.by_hash.insert(h, caller).is_some() {
                return Err(format!("api key {}: the same token is used twice", k.name));
            }
        }
        Ok(auth)
    }

    /// The caller of a request with `Authorization: Bearer <token>`.
    pub fn bearer(&self, headers: &HeaderMap) -> Result<Caller, ApiError> {
        let value = headers
            .get(axum::http::header::AUTHORIZATION)
            .ok_or_else(|| {
                ApiError::Unauthorized("missing Authorization: Bearer <API key>".into())
            })?
            .to_str()
            .map_err(|_| ApiError::Unauthorized("the Authorization header is not text".into()))?;
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .ok_or_else(|| {
                ApiError::Unauthorized("the Authorization header must be Bearer <API key>".into())
            })?;
        self.token(token.trim())
    }

    /// The caller holding `token`.
    pub fn token(&self, token: &str) -> Result<Caller, ApiError> {
        self.by_hash
            .get(&digest(token))
            .cloned()
            .ok_or_else(|| ApiError::Unauthorized("unknown API key".into()))
    }

    /// The caller named `name` holding `token` (the Kannel shim's user/pass).
    pub fn user_pass(&self, name: &str, token: &str) -> Option<Caller> {
        let h = self.by_name.get(name)?;
        (*h == digest(token))
            .then(|| self.by_hash.get(h).cloned())
            .flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str, token: &str, programs: &[&str]) -> ApiKeyConfig {
        ApiKeyConfig {
            name: name.into(),
            token: Some(token.into()),
            token_env: None,
            programs: programs.iter().map(|p| p.to_string()).collect(),
            callback_secret: None,
            callback_secret_env: None,
        }
    }

    #[test]
    fn bearer_tokens_and_scopes() {
        let auth = Auth::from_config(&[
            key("a", "aaaaaaaaaaaaaaaa", &["coffee"]),
            key("b", "bbbbbbbbbbbbbbbb", &[]),
        ])
        .unwrap();
        let mut h = HeaderMap::new();
        assert_eq!(auth.bearer(&h).unwrap_err().code(), "unauthorized");
        h.insert("authorization", "Bearer aaaaaaaaaaaaaaaa".parse().unwrap());
        let c = auth.bearer(&h).unwrap();
        assert!(c.may("coffee") && !c.may("tea"));
        h.insert("authorization", "Basic xyz".parse().unwrap());
        assert!(auth.bearer(&h).is_err());
        assert!(auth.token("bbbbbbbbbbbbbbbb").unwrap().may("tea"));
        assert!(auth.user_pass("a", "aaaaaaaaaaaaaaaa").is_some());
        assert!(auth.user_pass("a", "bbbbbbbbbbbbbbbb").is_none());
        assert!(Auth::from_config(&[key("a", "short", &[])]).is_err());
        assert!(
            Auth::from_config(&[
                key("a", "aaaaaaaaaaaaaaaa", &[]),
                key("a", "cccccccccccccccc", &[])
            ])
            .is_err()
        );
    }
}
