//! The timestamps behind "lag in time": for each lagging partition of a group, the
//! timestamp of the message at the committed offset, read the way klag-exporter does
//! (nais/klag-exporter README; first-aid.md §4.5) rather than interpolated.
//!
//! Bounded and cached: a snapshot reads at most [`MAX_READS`] uncached partitions, through
//! one assign-only consumer that never joins or commits (the peek's settings, with small
//! fetches), waiting at most [`READ_WAIT`]; answers are cached by (topic, partition, offset),
//! which never changes meaning, and the cache is cleared past [`CACHE_CAP`] entries. The
//! timestamps feed a figure; no message content is kept or shown.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Message, Timestamp};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};

use crate::model::kafka_peek::PeekLimits;

/// Uncached partitions read per snapshot.
pub const MAX_READS: usize = 64;
/// Entries kept before the cache starts over.
pub const CACHE_CAP: usize = 8192;
/// How long one snapshot waits for the messages.
pub const READ_WAIT: Duration = Duration::from_secs(2);

/// `(topic, partition, offset)`.
pub type At = (String, i32, i64);

/// Timestamps of messages by position; `None`: no message there (or no timestamp).
#[derive(Debug, Default)]
pub struct TimestampCache {
    known: Mutex<BTreeMap<At, Option<i64>>>,
}

impl TimestampCache {
    /// The timestamps of `wanted`, reading at most [`MAX_READS`] unknown ones. Blocking.
    pub fn lookup(&self, base: &ClientConfig, wanted: &[At]) -> BTreeMap<At, Option<i64>> {
        let missing: Vec<At> = {
            let Ok(known) = self.known.lock() else {
                return BTreeMap::new();
            };
            wanted
                .iter()
                .filter(|w| !known.contains_key(*w))
                .take(MAX_READS)
                .cloned()
                .collect()
        };
        let read = if missing.is_empty() {
            BTreeMap::new()
        } else {
            read_timestamps(base, &missing).unwrap_or_else(|e| {
                tracing::debug!(%e, "time lag: timestamps not read");
                BTreeMap::new()
            })
        };
        let Ok(mut known) = self.known.lock() else {
            return BTreeMap::new();
        };
        if known.len() + read.len() > CACHE_CAP {
            known.clear();
        }
        known.extend(read);
        wanted
            .iter()
            .filter_map(|w| known.get(w).map(|t| (w.clone(), *t)))
            .collect()
    }
}

/// Reads the first message at or after each position. Blocking.
fn read_timestamps(base: &ClientConfig, at: &[At]) -> Result<BTreeMap<At, Option<i64>>, String> {
    let limits = PeekLimits {
        total_bytes: 64 * 1024,
        ..PeekLimits::default()
    };
    let consumer: BaseConsumer = super::peek::peek_config(base, &limits)
        .create()
        .map_err(|e| format!("time lag consumer: {e}"))?;
    let mut tpl = TopicPartitionList::new();
    for (topic, p, offset) in at {
        tpl.add_partition_offset(topic, *p, Offset::Offset(*offset))
            .map_err(|e| e.to_string())?;
    }
    consumer.assign(&tpl).map_err(|e| e.to_string())?;
    let mut out = BTreeMap::new();
    let deadline = Instant::now() + READ_WAIT;
    while out.len() < at.len() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        let Some(Ok(m)) = consumer.poll(left) else {
            continue;
        };
        let Some(key) = at
            .iter()
            .find(|(t, p, o)| t == m.topic() && *p == m.partition() && m.offset() >= *o)
        else {
            continue;
        };
        if out.contains_key(key) {
            continue;
        }
        let ts = match m.timestamp() {
            Timestamp::CreateTime(ms) | Timestamp::LogAppendTime(ms) => Some(ms),
            Timestamp::NotAvailable => None,
        };
        out.insert(key.clone(), ts);
        // Stop fetching this partition: one message is all it needs.
        let mut done = TopicPartitionList::new();
        done.add_partition(&key.0, key.1);
        let _ = consumer.pause(&done);
    }
    Ok(out)
}
