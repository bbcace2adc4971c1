//! The Kafka source: polls one cluster's topics, partitions, groups and lag, and emits
//! [`SourceBody::Kafka`] snapshots. librdkafka calls block, so they run in `spawn_blocking`
//! behind a semaphore ([`client::KafkaClient::blocking`]); the handles are created once per
//! context and cached. A dead broker turns into a health error carrying the age of the last
//! good data (the shared [`poller`]), never a panic or a stuck UI.
//!
//! [`admin`] holds the audited administration and [`admin::KafkaExecutor`].

pub mod admin;
pub(crate) mod admin_call;
pub mod alter_offsets;
pub mod backend;
pub mod client;
pub mod context;
pub mod coordinator;
pub mod group_offsets;
pub mod peek;
pub mod reset;
pub mod time_lag;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::mpsc;

use super::poller::{self, PollSettings};
use super::{Control, Reporter, SourceBody, SourceEvent, SourceHandle, SourceId, backoff};
use crate::config::KafkaConfig;
use crate::model::SourceHealth;
use crate::model::kafka::KafkaSnapshot;

pub use admin::{KafkaAdmin, KafkaExecutor, RdKafkaAdmin};
pub use client::KafkaClient;

/// Cadence and limits of the Kafka source.
#[derive(Debug, Clone, Copy)]
pub struct KafkaSettings {
    pub poll: PollSettings,
    /// Per librdkafka call (metadata, one partition's watermarks, one group's offsets).
    pub call_timeout: Duration,
    /// The first call of a refresh (the metadata request) waits this long at most. It is the
    /// liveness check: librdkafka queues a request to a dead broker until it times out, so
    /// with the call timeout here a death showed only after a refresh plus 5 s.
    pub probe_timeout: Duration,
}

impl Default for KafkaSettings {
    fn default() -> Self {
        Self {
            poll: PollSettings {
                interval: Duration::from_secs(10),
                timeout: Duration::from_secs(20),
            },
            call_timeout: Duration::from_secs(5),
            probe_timeout: Duration::from_secs(5),
        }
    }
}

impl KafkaSettings {
    /// Uses the context's refresh interval when it gives one; a refresh may take up to
    /// twice the interval (at least the default 20 s) before it counts as stuck, but its
    /// metadata request answers within half the interval (at least 1 s): a broker that died
    /// is then reported within two refresh periods, at most one to the next refresh and half
    /// of one for that refresh to fail.
    #[must_use]
    pub fn with_refresh(mut self, interval: Option<Duration>) -> Self {
        if let Some(interval) = interval {
            self.poll.interval = interval;
            self.poll.timeout = (interval * 2).max(self.poll.timeout);
            self.probe_timeout = (interval / 2).clamp(PROBE_FLOOR, self.call_timeout);
        }
        self
    }
}

/// The shortest metadata wait: a live broker answers it in milliseconds, and a slow link
/// must not read as a dead broker.
const PROBE_FLOOR: Duration = Duration::from_secs(1);

/// Creates the context's client off the async threads (secret commands block).
pub async fn connect(cfg: &KafkaConfig, timeout: Duration) -> Result<Arc<KafkaClient>, String> {
    let cfg = cfg.clone();
    tokio::task::spawn_blocking(move || KafkaClient::new(&cfg, timeout))
        .await
        .map_err(|e| format!("kafka client: {e}"))?
}

/// Starts the Kafka source of one context.
#[must_use]
pub fn spawn(
    cfg: KafkaConfig,
    settings: KafkaSettings,
    generation: u64,
    events: mpsc::Sender<SourceEvent>,
) -> SourceHandle {
    let (control_tx, control_rx) = mpsc::channel::<Control>(8);
    let reporter = Reporter::new(SourceId::Kafka, generation, events);
    let task = tokio::spawn(run(cfg, settings, reporter, control_rx));
    SourceHandle::new(SourceId::Kafka, control_tx, task)
}

/// Starts the source on an existing client (the executor can share it).
#[must_use]
pub fn spawn_with_client(
    client: Arc<KafkaClient>,
    settings: KafkaSettings,
    generation: u64,
    events: mpsc::Sender<SourceEvent>,
) -> SourceHandle {
    let (control_tx, control_rx) = mpsc::channel::<Control>(8);
    let reporter = Reporter::new(SourceId::Kafka, generation, events);
    let task = tokio::spawn(poll(client, settings, reporter, control_rx));
    SourceHandle::new(SourceId::Kafka, control_tx, task)
}

async fn run(
    cfg: KafkaConfig,
    settings: KafkaSettings,
    reporter: Reporter,
    control: mpsc::Receiver<Control>,
) {
    let mut attempt = 0u32;
    let since = Timestamp::now();
    let client = loop {
        match connect(&cfg, settings.call_timeout).await {
            Ok(client) => break client,
            Err(message) => {
                let health = SourceHealth::Error {
                    message,
                    since,
                    last_good: None,
                };
                if !reporter.health(health).await {
                    return;
                }
                tokio::time::sleep(backoff(attempt)).await;
                attempt = attempt.saturating_add(1);
            }
        }
    };
    poll(client, settings, reporter, control).await;
}

async fn poll(
    client: Arc<KafkaClient>,
    settings: KafkaSettings,
    reporter: Reporter,
    control: mpsc::Receiver<Control>,
) {
    let previous: Arc<Mutex<Option<Arc<KafkaSnapshot>>>> = Arc::new(Mutex::new(None));
    poller::run(reporter, control, settings.poll, move |scope| {
        let client = Arc::clone(&client);
        let previous = Arc::clone(&previous);
        async move {
            let snapshot = client
                .snapshot_probed(scope.as_deref(), settings.probe_timeout)
                .await?;
            Ok(SourceBody::Kafka(dedup(&previous, snapshot)))
        }
    })
    .await;
}

/// Returns the previous snapshot when only `taken_at` changed, so the poller sees an equal
/// body and does not wake the UI.
fn dedup(
    previous: &Mutex<Option<Arc<KafkaSnapshot>>>,
    snapshot: KafkaSnapshot,
) -> Arc<KafkaSnapshot> {
    let Ok(mut prev) = previous.lock() else {
        return Arc::new(snapshot);
    };
    if let Some(p) = prev.as_ref().filter(|p| p.same_data(&snapshot)) {
        return Arc::clone(p);
    }
    let fresh = Arc::new(snapshot);
    *prev = Some(Arc::clone(&fresh));
    fresh
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unchanged_snapshots_are_reused() {
        let prev = Mutex::new(None);
        let snap = |at: i64| KafkaSnapshot {
            taken_at: Timestamp::from_second(at).unwrap(),
            brokers: vec![],
            topics: vec![],
            groups: vec![],
        };
        let a = dedup(&prev, snap(1));
        let b = dedup(&prev, snap(2));
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(b.taken_at, Timestamp::from_second(1).unwrap());
    }
}
