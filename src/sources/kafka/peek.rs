//! Reading a few messages of one partition without touching any group: a consumer of its
//! own per peek, `assign`ed at an explicit offset (never `subscribe`, so no `JoinGroup`), with
//! a throwaway `group.id`, `enable.auto.commit=false` and no commit call (first-aid.md §4.4;
//! kcat's `-C -p P -o OFFSET` reads the same way). Memory is bounded twice: librdkafka's
//! fetch sizes and pre-fetch queue are small, and what is kept of each message is cut to
//! [`PeekLimits`] as soon as it arrives (the borrowed message is released right after).

use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message, Timestamp};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};

use super::client::KafkaClient;
use crate::model::clean;
use crate::model::kafka_peek::{
    PeekFrom, PeekLimits, PeekMessage, PeekResult, TimestampKind, cut, kept, start_offset,
};

/// librdkafka settings of a peek's consumer: it never commits or joins, and fetches little
/// at a time. A broker still returns one whole batch larger than the limits (KIP-74), so the
/// peak is about one batch plus the pre-fetch queue.
#[must_use]
pub fn peek_config(base: &ClientConfig, limits: &PeekLimits) -> ClientConfig {
    let mut config = base.clone();
    let fetch = limits
        .total_bytes
        .clamp(64 * 1024, 4 * 1024 * 1024)
        .to_string();
    config
        .set(
            "group.id",
            format!("opsdeck-peek-{}", jiff::Timestamp::now().as_nanosecond()),
        )
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("enable.partition.eof", "true")
        .set("fetch.max.bytes", &fetch)
        .set("max.partition.fetch.bytes", &fetch)
        .set("queued.max.messages.kbytes", "1024")
        .set("queued.min.messages", "1")
        // A full pre-fetch queue (one 1 MB message fills it) postpones the next fetch by
        // this much (librdkafka's default is 1 s, which made 100 such messages take 10 s).
        .set("fetch.queue.backoff.ms", "10");
    config
}

/// Reads up to `limits.messages` messages of `topic:partition` from `from`. Blocking.
pub fn peek(
    client: &KafkaClient,
    topic: &str,
    partition: i32,
    from: PeekFrom,
    limits: &PeekLimits,
) -> Result<PeekResult, String> {
    let key = (topic.to_owned(), partition);
    let marks = client.watermarks(std::slice::from_ref(&key), client.timeout)?;
    let (low, high) = marks
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, m)| *m)
        .ok_or_else(|| format!("{}:{partition}: no such partition", clean(topic)))?;
    let at_time = match from {
        PeekFrom::Time { ms } => super::reset::offsets_for_time(client, &[key], ms)?
            .into_values()
            .next()
            .flatten(),
        _ => None,
    };
    let start = start_offset(from, low, high, at_time);
    let mut result = PeekResult {
        topic: topic.to_owned(),
        partition,
        from,
        start,
        low,
        high,
        messages: Vec::new(),
        note: None,
    };
    if start >= high {
        result.note = Some("nothing to read: the start is the end of the log".into());
        return Ok(result);
    }
    let consumer: BaseConsumer = peek_config(client.config(), limits)
        .create()
        .map_err(|e| format!("peek consumer: {e}"))?;
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(topic, partition, Offset::Offset(start))
        .map_err(|e| format!("peek: {e}"))?;
    consumer.assign(&tpl).map_err(|e| format!("peek: {e}"))?;
    let deadline = Instant::now() + client.timeout;
    let mut bytes = 0usize;
    loop {
        if result.messages.len() >= limits.messages {
            result.note = Some(format!("stopped at {} messages (the cap)", limits.messages));
            break;
        }
        if bytes >= limits.total_bytes {
            result.note = Some(format!("stopped at {bytes} bytes kept (the cap)"));
            break;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            result.note = Some(format!(
                "stopped after {:.1} s waiting for messages",
                client.timeout.as_secs_f64()
            ));
            break;
        }
        match consumer.poll(left.min(Duration::from_millis(500))) {
            None => {}
            Some(Err(rdkafka::error::KafkaError::PartitionEOF(_))) => {
                result.note = Some("reached the end of the log".into());
                break;
            }
            Some(Err(e)) => return Err(format!("peek {}:{partition}: {e}", clean(topic))),
            Some(Ok(m)) => {
                let message = keep(&m, limits);
                bytes += kept(&message);
                let last = m.offset() + 1 >= high;
                result.messages.push(message);
                if last {
                    result.note = Some("reached the end of the log".into());
                    break;
                }
            }
        }
    }
    // No commit was made; dropping the consumer closes it (it never joined a group).
    drop(consumer);
    Ok(result)
}

/// What is kept of one message: its bytes cut to the caps.
fn keep<M: Message>(m: &M, limits: &PeekLimits) -> PeekMessage {
    let timestamp = match m.timestamp() {
        Timestamp::NotAvailable => None,
        Timestamp::CreateTime(ms) => Some((ms, TimestampKind::Create)),
        Timestamp::LogAppendTime(ms) => Some((ms, TimestampKind::LogAppend)),
    };
    let headers = m
        .headers()
        .map(|h| {
            h.iter()
                .take(limits.headers)
                .map(|h| {
                    (
                        clean(&h.key.chars().take(limits.key_bytes).collect::<String>()),
                        h.value.map(|v| cut(v, limits.key_bytes)),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    PeekMessage {
        partition: m.partition(),
        offset: m.offset(),
        timestamp,
        key: m.key().map(|k| cut(k, limits.key_bytes)),
        headers,
        value: m.payload().map(|v| cut(v, limits.value_bytes)),
        value_len: m.payload().map_or(0, <[u8]>::len),
    }
}
