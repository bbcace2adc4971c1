//! The local outcome journal: an append-only JSON-lines file in the data dir.
//!
//! An outcome is written here (and fsync'd) *before* it is posted, and a `sent` line is
//! added once the platform accepts it. Whatever has no `sent` line is posted again by
//! [`Journal::replay`], in the background with backoff and at the next start, so a crash
//! or a network cut between executing an action and reporting it loses nothing. The
//! platform's outcome endpoint is idempotent, so sending twice still records one outcome.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::Notify;

use crate::model::platform::{OutcomeAnswer, OutcomeBody, OutcomeStatus};
use crate::sources::platform::{ClientError, PlatformClient};

/// File name inside the data dir.
pub const JOURNAL_FILE: &str = "audit-journal.jsonl";

/// One outcome waiting for (or already given) to the platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalEntry {
    pub event_id: String,
    pub status: OutcomeStatus,
    pub detail: String,
    /// When it was journaled (RFC 3339).
    pub at: String,
}

impl JournalEntry {
    #[must_use]
    pub fn body(&self) -> OutcomeBody {
        OutcomeBody {
            status: self.status,
            detail: self.detail.clone(),
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Line {
    Outcome(JournalEntry),
    Sent {
        event_id: String,
        at: String,
    },
    /// The platform refused it for good (e.g. it already holds a different outcome); kept
    /// so the refusal itself is on record locally, and not retried forever.
    Abandoned {
        event_id: String,
        reason: String,
        at: String,
    },
}

/// What one replay did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplayReport {
    pub sent: usize,
    pub abandoned: usize,
    /// Still pending (the platform could not be reached or failed).
    pub remaining: usize,
    pub last_error: Option<ClientError>,
}

/// Backoff of the background resender.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub initial: Duration,
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            initial: Duration::from_millis(500),
            max: Duration::from_mins(1),
        }
    }
}

#[derive(Debug)]
struct Inner {
    path: PathBuf,
    file: Mutex<File>,
    wake: Notify,
    /// One replay at a time, so a background and an explicit replay do not race.
    replaying: tokio::sync::Mutex<()>,
}

/// Handle to the journal file; cheap to clone.
#[derive(Debug, Clone)]
pub struct Journal {
    inner: Arc<Inner>,
}

/// Outcomes in the file at `path` not yet accepted (nor abandoned), oldest first.
fn pending_in(path: &Path) -> io::Result<Vec<JournalEntry>> {
    let file = File::open(path)?;
    let mut outcomes: Vec<JournalEntry> = Vec::new();
    let mut seen = HashSet::new();
    let mut done = HashSet::new();
    for line in BufReader::new(file).lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Line>(&line) {
            Ok(Line::Outcome(entry)) => {
                if seen.insert(entry.event_id.clone()) {
                    outcomes.push(entry);
                }
            }
            Ok(Line::Sent { event_id, .. } | Line::Abandoned { event_id, .. }) => {
                done.insert(event_id);
            }
            // A torn line from a crash mid-write: its outcome was never posted either,
            // and the executor's result is gone with it; nothing to resend.
            Err(e) => tracing::warn!(error = %e, "skipping unreadable journal line"),
        }
    }
    outcomes.retain(|e| !done.contains(&e.event_id));
    Ok(outcomes)
}

/// A journal larger than this with nothing pending is rotated at open.
const ROTATE_AT: u64 = 1024 * 1024;

/// Moves a large journal whose every outcome was delivered to `<name>.1` (replacing the
/// previous generation), so the file does not grow forever but the last generation stays
/// on disk as a local record.
fn rotate_if_settled(path: &Path) -> io::Result<()> {
    let Ok(meta) = std::fs::metadata(path) else {
        return Ok(());
    };
    if meta.len() < ROTATE_AT {
        return Ok(());
    }
    if !pending_in(path)?.is_empty() {
        return Ok(());
    }
    let mut old = path.as_os_str().to_owned();
    old.push(".1");
    std::fs::rename(path, PathBuf::from(old))
}

fn now() -> String {
    jiff::Timestamp::now().to_string()
}

impl Journal {
    /// Opens `<data_dir>/audit-journal.jsonl`, creating the directory and file.
    pub fn open(data_dir: &Path) -> io::Result<Self> {
        std::fs::create_dir_all(data_dir)?;
        Self::open_file(&data_dir.join(JOURNAL_FILE))
    }

    pub fn open_file(path: &Path) -> io::Result<Self> {
        rotate_if_settled(path)?;
        let mut file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(path)?;
        // A crash mid-write leaves a torn last line; end it so the next line stays whole.
        let len = file.metadata()?.len();
        if len > 0 {
            let mut last = [0u8; 1];
            file.seek(SeekFrom::Start(len - 1))?;
            file.read_exact(&mut last)?;
            if last[0] != b'\n' {
                file.write_all(b"\n")?;
                file.sync_data()?;
            }
        }
        Ok(Self {
            inner: Arc::new(Inner {
                path: path.to_owned(),
                file: Mutex::new(file),
                wake: Notify::new(),
                replaying: tokio::sync::Mutex::new(()),
            }),
        })
    }

    #[must_use]
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    async fn append(&self, line: Line) -> io::Result<()> {
        let mut bytes = serde_json::to_vec(&line).map_err(io::Error::other)?;
        bytes.push(b'\n');
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || {
            let mut file = inner
                .file
                .lock()
                .map_err(|_| io::Error::other("journal lock poisoned"))?;
            file.write_all(&bytes)?;
            file.sync_data()
        })
        .await
        .map_err(io::Error::other)?
    }

    /// Durably records an outcome before it is sent.
    pub async fn record(&self, entry: &JournalEntry) -> io::Result<()> {
        self.append(Line::Outcome(entry.clone())).await
    }

    pub async fn mark_sent(&self, event_id: &str) -> io::Result<()> {
        self.append(Line::Sent {
            event_id: event_id.to_owned(),
            at: now(),
        })
        .await
    }

    async fn mark_abandoned(&self, event_id: &str, reason: String) -> io::Result<()> {
        self.append(Line::Abandoned {
            event_id: event_id.to_owned(),
            reason,
            at: now(),
        })
        .await
    }

    /// Outcomes not yet accepted (nor abandoned), oldest first.
    pub fn pending(&self) -> io::Result<Vec<JournalEntry>> {
        pending_in(&self.inner.path)
    }

    /// Posts one journaled outcome and records the platform's answer.
    pub async fn send(
        &self,
        client: &PlatformClient,
        entry: &JournalEntry,
    ) -> Result<OutcomeAnswer, ClientError> {
        match client.record_outcome(&entry.event_id, &entry.body()).await {
            Ok(answer) => {
                if let Err(e) = self.mark_sent(&entry.event_id).await {
                    // Harmless: the next replay sends it again and the platform dedupes.
                    tracing::warn!(error = %e, "cannot mark a journal entry sent");
                }
                Ok(answer)
            }
            Err(e) if !e.is_retryable() => {
                tracing::error!(event = %entry.event_id, error = %e, "platform refused an outcome for good");
                if let Err(io) = self.mark_abandoned(&entry.event_id, e.to_string()).await {
                    tracing::warn!(error = %io, "cannot mark a journal entry abandoned");
                }
                Err(e)
            }
            Err(e) => Err(e),
        }
    }

    /// Sends every pending outcome once. Call at start-up; the resender calls it too.
    pub async fn replay(&self, client: &PlatformClient) -> ReplayReport {
        let _one_at_a_time = self.inner.replaying.lock().await;
        let mut report = ReplayReport::default();
        let pending = match self.pending() {
            Ok(p) => p,
            Err(e) => {
                tracing::error!(error = %e, path = %self.inner.path.display(), "cannot read the audit journal");
                return report;
            }
        };
        for (i, entry) in pending.iter().enumerate() {
            match self.send(client, entry).await {
                Ok(_) => report.sent += 1,
                Err(e) if !e.is_retryable() => {
                    report.abandoned += 1;
                    report.last_error = Some(e);
                }
                Err(e) => {
                    // The platform is down: the rest would fail the same way.
                    report.remaining = pending.len() - i;
                    report.last_error = Some(e);
                    break;
                }
            }
        }
        report
    }

    /// Asks the resender to replay now (the gate calls this when a send failed).
    pub fn wake(&self) {
        self.inner.wake.notify_one();
    }

    /// Replays now and whenever woken; retries with exponential backoff while anything is
    /// pending. Runs until the handle is aborted.
    #[must_use]
    pub fn spawn_resender(
        &self,
        client: PlatformClient,
        backoff: Backoff,
    ) -> tokio::task::JoinHandle<()> {
        let journal = self.clone();
        tokio::spawn(async move {
            let mut delay = backoff.initial;
            loop {
                let report = journal.replay(&client).await;
                if report.sent > 0 || report.abandoned > 0 {
                    tracing::info!(
                        sent = report.sent,
                        abandoned = report.abandoned,
                        "audit journal replayed"
                    );
                }
                if report.remaining == 0 {
                    delay = backoff.initial;
                    journal.inner.wake.notified().await;
                } else {
                    tracing::warn!(
                        remaining = report.remaining,
                        retry_in_ms = delay.as_millis(),
                        error = ?report.last_error,
                        "audit outcomes not delivered yet"
                    );
                    tokio::select! {
                        () = tokio::time::sleep(delay) => {}
                        () = journal.inner.wake.notified() => {}
                    }
                    delay = (delay * 2).min(backoff.max);
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str) -> JournalEntry {
        JournalEntry {
            event_id: id.into(),
            status: OutcomeStatus::Succeeded,
            detail: "done".into(),
            at: now(),
        }
    }

    #[tokio::test]
    async fn pending_is_outcomes_without_sent_and_survives_a_torn_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let journal = Journal::open(dir.path()).expect("opens");
        journal.record(&entry("a")).await.expect("write");
        journal.record(&entry("b")).await.expect("write");
        journal.mark_sent("a").await.expect("write");
        let ids: Vec<_> = journal
            .pending()
            .expect("reads")
            .into_iter()
            .map(|e| e.event_id)
            .collect();
        assert_eq!(ids, ["b"]);

        // Simulate a crash mid-write, then reopen and keep appending.
        std::fs::OpenOptions::new()
            .append(true)
            .open(journal.path())
            .and_then(|mut f| f.write_all(br#"{"type":"outcome","event_id":"c","sta"#))
            .expect("torn write");
        drop(journal);
        let journal = Journal::open(dir.path()).expect("reopens");
        journal.record(&entry("d")).await.expect("write");
        let ids: Vec<_> = journal
            .pending()
            .expect("reads")
            .into_iter()
            .map(|e| e.event_id)
            .collect();
        assert_eq!(ids, ["b", "d"]);
    }

    #[tokio::test]
    async fn a_large_settled_journal_rotates_but_never_with_pending_entries() {
        let dir = tempfile::tempdir().expect("tempdir");
        let journal = Journal::open(dir.path()).expect("opens");
        let big = "x".repeat(usize::try_from(ROTATE_AT).expect("fits"));
        let mut e = entry("big");
        e.detail = big;
        journal.record(&e).await.expect("write");
        drop(journal);

        // Pending: kept where it is.
        let journal = Journal::open(dir.path()).expect("reopens");
        assert_eq!(journal.pending().expect("reads").len(), 1);
        journal.mark_sent("big").await.expect("write");
        drop(journal);

        // Settled: rotated away, and the new file starts empty.
        let journal = Journal::open(dir.path()).expect("reopens");
        assert!(journal.pending().expect("reads").is_empty());
        assert_eq!(std::fs::metadata(journal.path()).expect("exists").len(), 0);
        let rotated = dir.path().join(format!("{JOURNAL_FILE}.1"));
        assert!(std::fs::metadata(rotated).expect("rotated").len() > ROTATE_AT);
    }
}
