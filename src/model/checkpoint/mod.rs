//! Signed checkpoints of the audit chain's head, and what a console concludes from them.
//!
//! The hash chain (`platform::chain`) shows a row that was edited, but not rows deleted
//! from its end: the rows left still link up. So the platform signs, now and then, the
//! chain's head with Ed25519, and the console keeps the newest checkpoint it has seen. A
//! chain that ends before a kept checkpoint, or whose row at the checkpoint's `seq` has
//! another hash, was shortened or rewritten, and a platform serving an older checkpoint
//! than one already seen replays it.
//!
//! # The signed bytes
//!
//! A checkpoint signs these UTF-8 lines, each ended by `\n`, in this order and nothing
//! else ([`Checkpoint::signed_bytes`]):
//!
//! ```text
//! opsdeck-checkpoint-v1
//! platform=<name: 1..=64 of [A-Za-z0-9._:-]>
//! seq=<decimal, no sign, no leading zeros>
//! head=<hash of row seq: 64 lowercase hex>
//! time=<signing time, RFC 3339 UTC with microseconds: 2026-12-07T10:30:00.000000Z>
//! key=<key id: 16 lowercase hex>
//! ```
//!
//! The key id is the first 8 bytes of the SHA-256 of the raw 32-byte public key, in hex.
//! The signature is Ed25519 (RFC 8032, pure) over those bytes, sent as base64. With the
//! public key in PEM, `openssl pkeyutl -verify -pubin -inkey pub.pem -rawin -in msg
//! -sigfile sig` checks one by hand.

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

#[cfg(test)]
pub(crate) mod test_keys;
mod verdict;

pub use verdict::*;

/// First line of the signed bytes: names the format and its version.
pub const SIGNING_CONTEXT: &str = "opsdeck-checkpoint-v1";

/// The only algorithm, named in the keys list.
pub const ALGORITHM: &str = "ed25519";

/// A signed statement "the chain of `platform` had `seq` rows, the last hashing `head`,
/// at `time`".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub platform: String,
    pub seq: i64,
    pub head: String,
    pub time: String,
    pub key_id: String,
    /// Base64 of the 64-byte Ed25519 signature over [`Checkpoint::signed_bytes`].
    pub signature: String,
}

/// `GET /v1/audit/checkpoints`: newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckpointList {
    pub items: Vec<Checkpoint>,
}

/// One public key the platform signs (or signed) checkpoints with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckpointKey {
    pub key_id: String,
    pub algorithm: String,
    /// Base64 of the raw 32-byte public key (what `checkpoint_keys` takes).
    pub public_key: String,
    /// Whether the platform signs with it now.
    pub current: bool,
}

/// `GET /v1/audit/checkpoint-keys`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckpointKeys {
    pub keys: Vec<CheckpointKey>,
}

/// Whether `name` may name a platform in a checkpoint (so the signed lines need no
/// escaping).
#[must_use]
pub fn valid_platform_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
}

/// A checkpoint time: RFC 3339 UTC with exactly six fractional digits.
#[must_use]
pub fn format_time(t: jiff::Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// The key id of a raw public key: the first 8 bytes of its SHA-256, hex.
#[must_use]
pub fn key_id(public_key: &[u8]) -> String {
    hex::encode(&Sha256::digest(public_key)[..8])
}

impl Checkpoint {
    /// The bytes the signature covers (see the module documentation).
    #[must_use]
    pub fn signed_bytes(&self) -> Vec<u8> {
        signed_bytes(
            &self.platform,
            self.seq,
            &self.head,
            &self.time,
            &self.key_id,
        )
    }

    /// Whether every field has its one canonical spelling; a field that does not is refused
    /// before any signature is checked, so two spellings cannot sign the same statement.
    pub fn check_fields(&self) -> Result<(), String> {
        if !valid_platform_name(&self.platform) {
            return Err(format!("bad platform name {:?}", self.platform));
        }
        if self.seq < 1 {
            return Err(format!("bad seq {}", self.seq));
        }
        let lower_hex = |s: &str, n: usize| {
            s.len() == n && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        };
        if !lower_hex(&self.head, 64) {
            return Err(format!("bad head hash {:?}", self.head));
        }
        if !lower_hex(&self.key_id, 16) {
            return Err(format!("bad key id {:?}", self.key_id));
        }
        match self.time.parse::<jiff::Timestamp>() {
            Ok(t) if format_time(t) == self.time => Ok(()),
            _ => Err(format!("bad time {:?}", self.time)),
        }
    }

    /// `checkpoint of seq 12 signed at 2026-…Z by key 0123…`.
    #[must_use]
    pub fn describe(&self) -> String {
        format!(
            "checkpoint of seq {} signed at {} by key {}",
            self.seq, self.time, self.key_id
        )
    }
}

/// [`Checkpoint::signed_bytes`] of these fields.
#[must_use]
pub fn signed_bytes(platform: &str, seq: i64, head: &str, time: &str, key_id: &str) -> Vec<u8> {
    format!(
        "{SIGNING_CONTEXT}\nplatform={platform}\nseq={seq}\nhead={head}\ntime={time}\nkey={key_id}\n"
    )
    .into_bytes()
}

/// A trusted Ed25519 public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    raw: [u8; 32],
}

/// DER prefix of an Ed25519 `SubjectPublicKeyInfo` (RFC 8410), before the 32 key bytes.
const SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

impl PublicKey {
    #[must_use]
    pub fn from_raw(raw: [u8; 32]) -> Self {
        Self { raw }
    }

    /// Parses a key as `checkpoint_keys` takes it: the raw 32 bytes in base64 (as the
    /// platform's keys list shows it) or hex, or the base64 body of the PEM that
    /// `openssl pkey -pubout` prints (with or without its BEGIN/END lines).
    pub fn parse(text: &str) -> Result<Self, String> {
        let body: String = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.starts_with("-----"))
            .collect();
        if body.len() == 64 && body.bytes().all(|b| b.is_ascii_hexdigit()) {
            let bytes = hex::decode(&body).map_err(|e| e.to_string())?;
            return Self::from_slice(&bytes);
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&body)
            .map_err(|_| {
                "not an Ed25519 public key: give the 32 raw bytes in base64 or hex, or the \
                 base64 of `openssl pkey -pubout`"
                    .to_owned()
            })?;
        match bytes.strip_prefix(&SPKI_PREFIX[..]) {
            Some(raw) => Self::from_slice(raw),
            None => Self::from_slice(&bytes),
        }
    }

    fn from_slice(bytes: &[u8]) -> Result<Self, String> {
        let raw: [u8; 32] = bytes.try_into().map_err(|_| {
            format!(
                "an Ed25519 public key has 32 bytes, this one {} (give the raw key in base64 or \
                 hex, or the base64 of `openssl pkey -pubout`)",
                bytes.len()
            )
        })?;
        Ok(Self { raw })
    }

    #[must_use]
    pub fn key_id(&self) -> String {
        key_id(&self.raw)
    }

    /// The raw key in base64.
    #[must_use]
    pub fn to_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.raw)
    }

    /// Whether `signature` (64 bytes) signs `message` with this key.
    #[must_use]
    pub fn verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        aws_lc_rs::signature::UnparsedPublicKey::new(&aws_lc_rs::signature::ED25519, &self.raw)
            .verify(message, signature)
            .is_ok()
    }
}

/// Why a checkpoint's signature was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureProblem {
    /// Signed by a key that is not trusted (or not any more).
    UnknownKey,
    /// A trusted key, but the signature does not match the fields (or is malformed).
    BadSignature(String),
}

/// Checks `checkpoint`'s fields and its signature by one of `trusted`.
pub fn check_signature(
    checkpoint: &Checkpoint,
    trusted: &[PublicKey],
) -> Result<(), SignatureProblem> {
    checkpoint
        .check_fields()
        .map_err(SignatureProblem::BadSignature)?;
    let Some(key) = trusted.iter().find(|k| k.key_id() == checkpoint.key_id) else {
        return Err(SignatureProblem::UnknownKey);
    };
    check_signed_by(checkpoint, key).map_err(SignatureProblem::BadSignature)
}

/// Checks `checkpoint`'s fields and that `key` signed it; the error says what is wrong.
pub fn check_signed_by(checkpoint: &Checkpoint, key: &PublicKey) -> Result<(), String> {
    checkpoint.check_fields()?;
    if key.key_id() != checkpoint.key_id {
        return Err(format!(
            "it names key {}, not {}",
            checkpoint.key_id,
            key.key_id()
        ));
    }
    let signature = base64::engine::general_purpose::STANDARD
        .decode(&checkpoint.signature)
        .map_err(|_| "the signature is not base64".to_owned())?;
    if key.verifies(&checkpoint.signed_bytes(), &signature) {
        Ok(())
    } else {
        Err("the signature does not match the checkpoint's fields".to_owned())
    }
}

/// The keys a console holds one platform's checkpoints to.
///
/// Keys in the config (`checkpoint_keys`) are the only ones trusted when there are any.
/// Without them the console trusts on first use: it pins the key of the first checkpoint it
/// keeps, and takes a later key only when the platform publishes it, saying so (a rotated
/// key). Either way the checkpoint kept before still holds: a new key cannot vouch for a
/// chain that lost rows the old checkpoint covered.
#[derive(Debug, Clone, Copy, Default)]
pub struct KeyRing<'a> {
    /// `checkpoint_keys` from the config.
    pub configured: &'a [PublicKey],
    /// Keys this console took from this platform before.
    pub pinned: &'a [PublicKey],
    /// The platform's published key list (`GET /v1/audit/checkpoint-keys`).
    pub published: &'a [PublicKey],
}

/// How a checkpoint's key stands with a [`KeyRing`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyStanding<'a> {
    /// Configured, or pinned before.
    Known(&'a PublicKey),
    /// Nothing configured or pinned yet: the platform's published key, taken on first use.
    FirstUse(&'a PublicKey),
    /// Nothing configured; another key was pinned before; the platform publishes this one.
    Rotated(&'a PublicKey),
    /// Not trusted: not configured (when keys are), or not even published.
    Unknown,
}

fn find_key<'k>(keys: &'k [PublicKey], key_id: &str) -> Option<&'k PublicKey> {
    keys.iter().find(|k| k.key_id() == key_id)
}

impl<'a> KeyRing<'a> {
    /// Whether keys are configured, so that no other key is taken.
    #[must_use]
    pub fn strict(&self) -> bool {
        !self.configured.is_empty()
    }

    #[must_use]
    pub fn standing(&self, key_id: &str) -> KeyStanding<'a> {
        if self.strict() {
            return find_key(self.configured, key_id)
                .map_or(KeyStanding::Unknown, KeyStanding::Known);
        }
        if let Some(key) = find_key(self.pinned, key_id) {
            return KeyStanding::Known(key);
        }
        match find_key(self.published, key_id) {
            Some(key) if self.pinned.is_empty() => KeyStanding::FirstUse(key),
            Some(key) => KeyStanding::Rotated(key),
            None => KeyStanding::Unknown,
        }
    }

    /// Whether the published list could change the standing of `key_id` (so is worth
    /// asking for).
    #[must_use]
    pub fn needs_published(&self, key_id: &str) -> bool {
        !self.strict() && find_key(self.pinned, key_id).is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::test_keys::*;
    use super::*;

    #[test]
    fn the_signed_bytes_are_the_documented_lines() {
        let c = sign(&pair(&SEED), 12, H1, T1);
        let text = String::from_utf8(c.signed_bytes()).expect("utf-8");
        assert_eq!(
            text,
            format!(
                "opsdeck-checkpoint-v1\nplatform=prod\nseq=12\nhead={H1}\ntime={T1}\nkey={}\n",
                c.key_id
            )
        );
        // RFC 8032 test 1's public key, so the key id is stable across implementations.
        let key = public(&pair(&SEED));
        assert_eq!(
            key.to_base64(),
            "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
        );
        assert_eq!(
            key.key_id(),
            hex::encode(&Sha256::digest(key.raw)[..8]),
            "first 8 bytes of sha256(raw key)"
        );
        assert_eq!(format_time("2026-12-07T10:00:00Z".parse().expect("t")), T1);
    }

    #[test]
    fn public_keys_parse_as_base64_hex_or_openssl_pem() {
        let raw = public(&pair(&SEED));
        let hex_form = hex::encode(raw.raw);
        assert_eq!(PublicKey::parse(&hex_form), Ok(raw.clone()));
        assert_eq!(PublicKey::parse(&raw.to_base64()), Ok(raw.clone()));
        // What `openssl pkey -in key.pem -pubout` prints for this key.
        let pem = "-----BEGIN PUBLIC KEY-----\n\
                   MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n\
                   -----END PUBLIC KEY-----\n";
        assert_eq!(PublicKey::parse(pem), Ok(raw.clone()));
        assert_eq!(
            PublicKey::parse("MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="),
            Ok(raw)
        );
        assert!(
            PublicKey::parse("c2hvcnQ=")
                .unwrap_err()
                .contains("32 bytes")
        );
        assert!(
            PublicKey::parse("not a key!")
                .unwrap_err()
                .contains("Ed25519")
        );
    }

    #[test]
    fn signatures_verify_only_with_a_trusted_key_and_untouched_fields() {
        let (a, b) = (pair(&SEED), pair(&[7; 32]));
        let c = sign(&a, 3, H1, T1);
        assert_eq!(check_signature(&c, &[public(&b), public(&a)]), Ok(()));
        assert_eq!(
            check_signature(&c, &[public(&b)]),
            Err(SignatureProblem::UnknownKey)
        );
        let mut moved = c.clone();
        moved.seq = 4;
        assert!(matches!(
            check_signature(&moved, &[public(&a)]),
            Err(SignatureProblem::BadSignature(_))
        ));
        let mut odd = c.clone();
        odd.time = "2026-12-07T10:00:00Z".into();
        assert_eq!(
            check_signature(&odd, &[public(&a)]),
            Err(SignatureProblem::BadSignature(
                "bad time \"2026-12-07T10:00:00Z\"".into()
            ))
        );
        let mut name = c;
        name.platform = "prod\nseq=9".into();
        assert!(name.check_fields().is_err());
    }
}
