//! Bearer-token authentication. The tokens file maps the SHA-256 (hex) of each token to a
//! user and groups, so the file never holds a usable secret and a leaked copy grants
//! nothing. Lookups hash the presented token first, so comparing is not done on secrets.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::platform::error::PlatformError;

/// Who a token belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Identity {
    pub user: String,
    #[serde(default)]
    pub groups: Vec<String>,
}

/// The tokens file: `[tokens.<sha256 hex>] user = "..." groups = [..]`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tokens {
    #[serde(default)]
    tokens: BTreeMap<String, Identity>,
}

/// Why a call was not authenticated; recorded in the audit trail before answering 401.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthFailure {
    pub reason: &'static str,
    /// Short hash prefix of the presented token, to correlate repeated attempts without
    /// storing anything usable.
    pub fingerprint: Option<String>,
}

/// Lowercase hex SHA-256 of a token, the key used in the tokens file.
#[must_use]
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

impl Tokens {
    pub fn parse(text: &str) -> Result<Self, String> {
        let parsed: Self = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut tokens = BTreeMap::new();
        for (hash, identity) in parsed.tokens {
            let hash = hash.to_ascii_lowercase();
            if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(format!(
                    "key {hash:?} is not a SHA-256 hex digest (store `sha256sum` of the token, never the token)"
                ));
            }
            if identity.user.trim().is_empty() {
                return Err(format!("token {hash} has an empty user"));
            }
            tokens.insert(hash, identity);
        }
        Ok(Self { tokens })
    }

    pub fn load(path: &Path) -> Result<Self, PlatformError> {
        let text = std::fs::read_to_string(path).map_err(|source| PlatformError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text).map_err(|message| PlatformError::Parse {
            what: "tokens",
            path: path.to_owned(),
            message,
        })
    }

    /// Adds a token given in clear (the in-memory sandbox setup and tests use this).
    pub fn insert_token(&mut self, token: &str, identity: Identity) {
        self.tokens.insert(token_hash(token), identity);
    }

    /// Who the tokens belong to (never the tokens or their hashes).
    pub fn identities(&self) -> impl Iterator<Item = &Identity> {
        self.tokens.values()
    }

    #[must_use]
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// Authenticates an `Authorization` header value.
    pub fn authenticate(&self, header: Option<&str>) -> Result<Identity, AuthFailure> {
        let Some(header) = header else {
            return Err(AuthFailure {
                reason: "missing bearer token",
                fingerprint: None,
            });
        };
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty());
        let Some(token) = token else {
            return Err(AuthFailure {
                reason: "malformed authorization header (expected `Bearer <token>`)",
                fingerprint: None,
            });
        };
        let hash = token_hash(token);
        self.tokens.get(&hash).cloned().ok_or(AuthFailure {
            reason: "unknown token",
            fingerprint: Some(hash[..12].to_owned()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authenticates_by_hash_and_reports_failures() {
        let text = format!(
            "[tokens.{}]\nuser = \"alice\"\ngroups = [\"dev\"]\n",
            token_hash("s3cret")
        );
        let tokens = Tokens::parse(&text).expect("parses");
        let who = tokens.authenticate(Some("Bearer s3cret")).expect("known");
        assert_eq!(who.user, "alice");
        assert_eq!(
            tokens.authenticate(None).expect_err("must fail").reason,
            "missing bearer token"
        );
        let bad = tokens
            .authenticate(Some("Bearer nope"))
            .expect_err("must fail");
        assert_eq!(bad.reason, "unknown token");
        assert_eq!(bad.fingerprint.as_deref(), Some(&token_hash("nope")[..12]));
        assert!(tokens.authenticate(Some("Basic abc")).is_err());
    }

    #[test]
    fn clear_text_keys_are_refused() {
        let err = Tokens::parse("[tokens.hunter2]\nuser = \"a\"\n").expect_err("must fail");
        assert!(err.contains("SHA-256"), "{err}");
    }
}
