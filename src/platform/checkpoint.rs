//! Signing checkpoints of the chain head (see [`crate::model::checkpoint`] for what is
//! signed and why). The private key comes from a file given by reference
//! (`--checkpoint-key FILE`): Ed25519 in PKCS#8 PEM, as `openssl genpkey -algorithm
//! ed25519 -out FILE` writes it. The server signs at a fixed interval when the head moved,
//! and on `POST /v1/audit/checkpoints`.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair as _};
use base64::Engine as _;

use crate::model::checkpoint::{ALGORITHM, Checkpoint, CheckpointKey, PublicKey, format_time};
use crate::model::platform::ChainPoint;
use crate::platform::error::PlatformError;
use crate::platform::store::{Store, StoreError};

/// Platform name in checkpoints when `--platform-name` is not given.
pub const DEFAULT_PLATFORM_NAME: &str = "opsdeck";

/// An Ed25519 private key that signs checkpoints. `Debug` shows the key id only.
pub struct Signer {
    pair: Ed25519KeyPair,
    public: PublicKey,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("key_id", &self.key_id())
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// Reads the key file; every failure names the file.
    pub fn load(path: &Path) -> Result<Self, PlatformError> {
        let text = std::fs::read_to_string(path).map_err(|source| PlatformError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_pem(&text).map_err(|message| PlatformError::Parse {
            what: "checkpoint key",
            path: path.to_owned(),
            message,
        })
    }

    /// Reads the key file, or makes a fresh key there (owner-only) when there is none.
    pub fn load_or_create(path: &Path) -> Result<Self, PlatformError> {
        if path.exists() {
            return Self::load(path);
        }
        let signer = Self::generate().map_err(|message| PlatformError::Invalid {
            what: "checkpoint key",
            message,
        })?;
        let pem = signer.to_pem().map_err(|message| PlatformError::Invalid {
            what: "checkpoint key",
            message,
        })?;
        write_private(path, &pem).map_err(|source| PlatformError::Read {
            path: path.to_owned(),
            source,
        })?;
        Ok(signer)
    }

    /// Parses an unencrypted PKCS#8 PEM Ed25519 private key.
    pub fn from_pem(text: &str) -> Result<Self, String> {
        const HOW: &str = "make one with `openssl genpkey -algorithm ed25519 -out FILE`";
        let (label, doc) = pkcs8::SecretDocument::from_pem(text)
            .map_err(|e| format!("not a PEM private key ({e}); {HOW}"))?;
        match label {
            "PRIVATE KEY" => {}
            "ENCRYPTED PRIVATE KEY" => {
                return Err(format!(
                    "the key is encrypted; give an unencrypted one, readable by the server's \
                     user only ({HOW})"
                ));
            }
            other => return Err(format!("a PEM `{other}`, not a `PRIVATE KEY`; {HOW}")),
        }
        let pair = Ed25519KeyPair::from_pkcs8(doc.as_bytes())
            .map_err(|e| format!("not an Ed25519 PKCS#8 key ({e}); {HOW}"))?;
        Ok(Self::from_pair(pair))
    }

    /// A fresh random key (tests and in-process setups).
    pub fn generate() -> Result<Self, String> {
        Ed25519KeyPair::generate()
            .map(Self::from_pair)
            .map_err(|e| format!("cannot generate an Ed25519 key: {e}"))
    }

    fn from_pair(pair: Ed25519KeyPair) -> Self {
        let mut raw = [0u8; 32];
        raw.copy_from_slice(pair.public_key().as_ref());
        Self {
            pair,
            public: PublicKey::from_raw(raw),
        }
    }

    /// The key as PKCS#8 PEM (what `openssl genpkey` writes), to save a generated key.
    pub fn to_pem(&self) -> Result<String, String> {
        let der = self.pair.to_pkcs8v1().map_err(|e| e.to_string())?;
        let body = base64::engine::general_purpose::STANDARD.encode(der.as_ref());
        let mut pem = String::from("-----BEGIN PRIVATE KEY-----\n");
        for chunk in body.as_bytes().chunks(64) {
            pem.push_str(&String::from_utf8_lossy(chunk));
            pem.push('\n');
        }
        pem.push_str("-----END PRIVATE KEY-----\n");
        Ok(pem)
    }

    #[must_use]
    pub fn key_id(&self) -> String {
        self.public.key_id()
    }

    #[must_use]
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// Signs "`platform`'s chain had `seq` rows, the last hashing `head`, at `time`".
    #[must_use]
    pub fn sign(&self, platform: &str, seq: i64, head: &str, time: jiff::Timestamp) -> Checkpoint {
        let mut checkpoint = Checkpoint {
            platform: platform.to_owned(),
            seq,
            head: head.to_owned(),
            time: format_time(time),
            key_id: self.key_id(),
            signature: String::new(),
        };
        let signature = self.pair.sign(&checkpoint.signed_bytes());
        checkpoint.signature = base64::engine::general_purpose::STANDARD.encode(signature.as_ref());
        checkpoint
    }

    /// This key as the keys list shows it.
    #[must_use]
    pub fn describe(&self, current: bool) -> CheckpointKey {
        CheckpointKey {
            key_id: self.key_id(),
            algorithm: ALGORITHM.to_owned(),
            public_key: self.public.to_base64(),
            current,
        }
    }
}

/// Writes a new file readable by its owner only.
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(text.as_bytes())
}

/// The server's checkpoint settings.
#[derive(Debug, Clone)]
pub struct Checkpointing {
    /// `None`: this platform signs nothing.
    pub signer: Option<Arc<Signer>>,
    pub platform: String,
}

/// Why no checkpoint was signed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    #[error(
        "this platform signs no checkpoints: start it with --checkpoint-key FILE (an Ed25519 \
         key from `openssl genpkey -algorithm ed25519`)"
    )]
    NoKey,
    #[error("the audit chain is empty: there is no head to sign yet")]
    EmptyChain,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Checkpointing {
    /// Signs the current head and stores the checkpoint.
    pub async fn sign_now(&self, store: &Store) -> Result<Checkpoint, SignError> {
        let signer = self.signer.as_ref().ok_or(SignError::NoKey)?;
        let head = store.chain_head().await?.ok_or(SignError::EmptyChain)?;
        self.sign_head(store, signer, &head).await
    }

    /// Signs when the head moved since the newest checkpoint (or the key changed).
    pub async fn sign_if_moved(&self, store: &Store) -> Result<Option<Checkpoint>, SignError> {
        let signer = self.signer.as_ref().ok_or(SignError::NoKey)?;
        let Some(head) = store.chain_head().await? else {
            return Ok(None);
        };
        let latest = store.checkpoints(1).await?;
        if latest.first().is_some_and(|c| {
            c.seq == head.seq && c.head == head.hash && c.key_id == signer.key_id()
        }) {
            return Ok(None);
        }
        let checkpoint = self.sign_head(store, signer, &head).await?;
        tracing::info!(
            seq = checkpoint.seq,
            key_id = %checkpoint.key_id,
            "signed an audit checkpoint"
        );
        Ok(Some(checkpoint))
    }

    /// Signs `head` (read once by the caller) and stores the checkpoint.
    async fn sign_head(
        &self,
        store: &Store,
        signer: &Signer,
        head: &ChainPoint,
    ) -> Result<Checkpoint, SignError> {
        let checkpoint = signer.sign(&self.platform, head.seq, &head.hash, jiff::Timestamp::now());
        store
            .insert_checkpoint(&checkpoint, &signer.public.to_base64())
            .await?;
        Ok(checkpoint)
    }

    /// Signs every `interval` when the head moved, first at once; runs until aborted.
    #[must_use]
    pub fn spawn_interval(&self, store: Store, interval: Duration) -> tokio::task::JoinHandle<()> {
        let this = self.clone();
        tokio::spawn(async move {
            loop {
                if let Err(e) = this.sign_if_moved(&store).await {
                    tracing::error!(error = %e, "cannot sign an audit checkpoint");
                }
                tokio::time::sleep(interval).await;
            }
        })
    }
}

/// Parses `--checkpoint-interval`: `5m`, `30s`, `1h`, `1h30m` (at least one second).
pub fn parse_interval(text: &str) -> Result<Duration, String> {
    let parsed: jiff::SignedDuration = text
        .trim()
        .parse()
        .map_err(|e| format!("{text:?} is not a duration like 5m, 30s or 1h ({e})"))?;
    let duration = Duration::try_from(parsed).map_err(|_| format!("{text:?} is negative"))?;
    if duration < Duration::from_secs(1) {
        return Err(format!("{text:?} is shorter than one second"));
    }
    Ok(duration)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_from_openssl_signs_checkpoints_the_console_verifies() {
        // `openssl genpkey -algorithm ed25519` (PKCS#8 v1), RFC 8032 test 1's secret key.
        let pem = "-----BEGIN PRIVATE KEY-----\n\
                   MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n\
                   -----END PRIVATE KEY-----\n";
        let signer = Signer::from_pem(pem).expect("parses");
        assert_eq!(
            signer.public_key().to_base64(),
            "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
        );
        let time = "2026-12-07T10:00:00Z".parse().expect("time");
        let c = signer.sign("prod", 3, &"a".repeat(64), time);
        assert_eq!(c.time, "2026-12-07T10:00:00.000000Z");
        assert_eq!(
            crate::model::checkpoint::check_signature(&c, &[signer.public_key().clone()]),
            Ok(())
        );
        let again = Signer::from_pem(&signer.to_pem().expect("pem")).expect("round trip");
        assert_eq!(again.key_id(), signer.key_id());
        assert!(!format!("{signer:?}").contains("pair"));
    }

    #[test]
    fn bad_key_files_say_what_to_do() {
        let err = Signer::from_pem("hello").expect_err("not PEM");
        assert!(err.contains("openssl genpkey -algorithm ed25519"), "{err}");
        // A P-256 key is PKCS#8 but not Ed25519.
        let p256 = "-----BEGIN PRIVATE KEY-----\n\
            MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgu95LsVkmy5xU/vl6\n\
            YpnQUUFW03GF0+AJJbeWM788DRmhRANCAAR5+voWEVVN2Cy71sl72/+wFBQrhM3G\n\
            KuoMdmxVjKw2pIMI9SrNMXEgVx3SdzpaGwI8lDnvXTDmMp/gIfy/tPwx\n\
            -----END PRIVATE KEY-----\n";
        let err = Signer::from_pem(p256).expect_err("not Ed25519");
        assert!(err.contains("not an Ed25519 PKCS#8 key"), "{err}");
        let dir = tempfile::tempdir().expect("dir");
        let missing = dir.path().join("nope.pem");
        let err = Signer::load(&missing).expect_err("missing").to_string();
        assert!(err.contains("nope.pem"), "{err}");
        let bad = dir.path().join("bad.pem");
        std::fs::write(&bad, "junk").expect("write");
        let err = Signer::load(&bad).expect_err("bad").to_string();
        assert!(
            err.starts_with(&format!("invalid checkpoint key file {}", bad.display())),
            "{err}"
        );
    }

    #[test]
    fn a_missing_key_file_is_made_once_and_owner_only() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("k.pem");
        let first = Signer::load_or_create(&path).expect("made");
        let again = Signer::load_or_create(&path).expect("read back");
        assert_eq!(first.key_id(), again.key_id());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let perms = std::fs::metadata(&path).expect("meta").permissions();
            assert_eq!(perms.mode() & 0o777, 0o600);
        }
    }

    #[test]
    fn intervals_parse_in_friendly_units() {
        assert_eq!(parse_interval("5m"), Ok(Duration::from_mins(5)));
        assert_eq!(parse_interval("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_interval("1h30m"), Ok(Duration::from_mins(90)));
        assert!(parse_interval("0s").is_err());
        assert!(parse_interval("soon").is_err());
    }
}
