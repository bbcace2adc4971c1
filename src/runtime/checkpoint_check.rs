//! `verify` on the console's side (the audit pane's key and `opsdeck platform verify`): the
//! platform's newest checkpoint against the one this console kept for that platform, then
//! the chain against the newer of them. The kept checkpoints live in `checkpoints.json` in
//! the data dir, one per platform URL with the keys taken from it (trust on first use when
//! no `checkpoint_keys` are configured), written atomically and bounded.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::model::checkpoint::{ChainCheck, Checkpoint, KeyRing, Notice, PublicKey, choose};
use crate::sources::platform::PlatformClient;

/// The kept checkpoints, in the data dir.
pub const FILE: &str = "checkpoints.json";

/// Platforms remembered at most; the one seen longest ago goes first.
const MAX_PLATFORMS: usize = 64;

/// Keys remembered per platform at most; the oldest goes first.
const MAX_KEYS: usize = 8;

/// The newest checkpoint seen per platform URL.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kept {
    pub platforms: BTreeMap<String, KeptEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeptEntry {
    pub checkpoint: Checkpoint,
    /// When this console first saw it (RFC 3339).
    pub seen: String,
    /// The keys taken from this platform (base64), oldest first.
    #[serde(default)]
    pub keys: Vec<String>,
}

impl KeptEntry {
    /// The kept keys that still parse (a hand-edited file loses only its bad lines).
    #[must_use]
    pub fn public_keys(&self) -> Vec<PublicKey> {
        self.keys
            .iter()
            .filter_map(|k| PublicKey::parse(k).ok())
            .collect()
    }
}

impl Kept {
    /// Keeps `checkpoint` for `url` and takes `key` (the one that signed it), dropping the
    /// longest-unseen platforms beyond the bound.
    pub fn keep(
        &mut self,
        url: &str,
        checkpoint: Checkpoint,
        key: Option<&PublicKey>,
        now: jiff::Timestamp,
    ) {
        let mut keys = self
            .platforms
            .remove(url)
            .map(|e| e.keys)
            .unwrap_or_default();
        if let Some(key) = key.map(PublicKey::to_base64)
            && !keys.contains(&key)
        {
            keys.push(key);
        }
        if keys.len() > MAX_KEYS {
            keys.drain(..keys.len() - MAX_KEYS);
        }
        self.platforms.insert(
            url.to_owned(),
            KeptEntry {
                checkpoint,
                seen: now.to_string(),
                keys,
            },
        );
        while self.platforms.len() > MAX_PLATFORMS {
            let oldest = self
                .platforms
                .iter()
                .min_by(|a, b| a.1.seen.cmp(&b.1.seen))
                .map(|(k, _)| k.clone());
            match oldest {
                Some(k) => self.platforms.remove(&k),
                None => break,
            };
        }
    }
}

/// Reads the kept checkpoints; a missing file is none kept. A file that cannot be read is an
/// error: the console would otherwise forget what it must hold the platform to.
pub fn load(data_dir: &Path) -> Result<Kept, String> {
    let path = data_dir.join(FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str(&text).map_err(|e| {
            format!(
                "{}: {e} (the checkpoints this console kept are unreadable; move the file \
                 aside to start over, knowing that a replayed checkpoint then goes unnoticed once)",
                path.display()
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Kept::default()),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// The platform's key in [`Kept`]: its base URL.
#[must_use]
pub fn platform_key(client: &PlatformClient) -> String {
    client.base_url().to_string()
}

/// Runs `verify` against `client` with the `configured` keys, keeping the newest valid
/// checkpoint in `data_dir` (`None`: nothing kept, e.g. tests without a data dir).
pub async fn verify(
    client: &PlatformClient,
    configured: &[PublicKey],
    data_dir: Option<&Path>,
) -> Result<ChainCheck, String> {
    let url = platform_key(client);
    let mut kept = match data_dir {
        Some(dir) => {
            let dir = dir.to_owned();
            tokio::task::spawn_blocking(move || load(&dir))
                .await
                .map_err(|e| e.to_string())??
        }
        None => Kept::default(),
    };
    let served = client
        .latest_checkpoint()
        .await
        .map_err(|e| e.to_string())?;
    let entry = kept.platforms.get(&url);
    let previous = entry.map(|e| e.checkpoint.clone());
    let pinned = entry.map(KeptEntry::public_keys).unwrap_or_default();
    let mut ring = KeyRing {
        configured,
        pinned: &pinned,
        published: &[],
    };
    // The platform's list only matters for a key not known here; a platform without the
    // list (older) simply publishes none.
    let published: Vec<PublicKey> = if served
        .iter()
        .chain(&previous)
        .any(|c| ring.needs_published(&c.key_id))
    {
        client
            .checkpoint_keys()
            .await
            .map(|list| {
                list.keys
                    .iter()
                    .filter_map(|k| PublicKey::parse(&k.public_key).ok())
                    .collect()
            })
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    ring.published = &published;
    let choice = choose(&ring, previous.as_ref(), served.as_ref());
    let report = client
        .verify_at(&choice.rows())
        .await
        .map_err(|e| e.to_string())?;
    let mut check = ChainCheck::assess(
        choice,
        report,
        served.is_none(),
        previous.as_ref(),
        ring.strict(),
    );
    if let (Some(keep), Some(dir)) = (check.keep.clone(), data_dir) {
        kept.keep(&url, keep, check.keep_key.as_ref(), jiff::Timestamp::now());
        let dir = dir.to_owned();
        let saved =
            tokio::task::spawn_blocking(move || crate::datafile::save_json(&dir, FILE, &kept))
                .await
                .map_err(|e| e.to_string())?;
        if let Err(e) = saved {
            check.notes.push(Notice::NotKept(e));
        }
    }
    Ok(check)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checkpoint(seq: i64) -> Checkpoint {
        Checkpoint {
            platform: "p".into(),
            seq,
            head: "0".repeat(64),
            time: "2026-12-07T10:00:00.000000Z".into(),
            key_id: "0".repeat(16),
            signature: String::new(),
        }
    }

    #[test]
    fn kept_checkpoints_are_bounded_and_survive_a_round_trip() {
        let dir = tempfile::tempdir().expect("dir");
        assert_eq!(load(dir.path()), Ok(Kept::default()));
        let mut kept = Kept::default();
        let start: jiff::Timestamp = "2026-12-07T10:00:00Z".parse().expect("t");
        for i in 0..70 {
            let at = start + jiff::SignedDuration::from_secs(i);
            kept.keep(
                &format!("https://p{i}.example/"),
                checkpoint(i + 1),
                None,
                at,
            );
        }
        assert_eq!(kept.platforms.len(), MAX_PLATFORMS);
        assert!(!kept.platforms.contains_key("https://p5.example/"));
        assert!(kept.platforms.contains_key("https://p69.example/"));
        for i in 0..10u8 {
            let key = PublicKey::from_raw([i; 32]);
            kept.keep("https://p69.example/", checkpoint(70), Some(&key), start);
            kept.keep("https://p69.example/", checkpoint(70), Some(&key), start);
        }
        let keys = kept.platforms["https://p69.example/"].public_keys();
        assert_eq!(keys.len(), MAX_KEYS, "bounded, each once");
        assert_eq!(
            keys.last(),
            Some(&PublicKey::from_raw([9; 32])),
            "newest last"
        );
        crate::datafile::save_json(dir.path(), FILE, &kept).expect("saved");
        assert_eq!(load(dir.path()), Ok(kept));
        std::fs::write(dir.path().join(FILE), "{").expect("write");
        let err = load(dir.path()).expect_err("corrupt");
        assert!(
            err.contains("checkpoints.json") && err.contains("move the file"),
            "{err}"
        );
    }
}
