//! Kafka first aid against the test broker (tansu, `tests/support/tansu.rs`):
//!
//! - `reset plan`: the plan of a reset for a group with committed offsets on 1,000
//!   partitions (one topic of 1,000 partitions, a few records each): the group's state,
//!   its offsets, the watermarks and the plan, as `R` does before the confirmation. Target
//!   of the issue: 500 ms. Timed to the earliest and to a time (which adds
//!   `offsets_for_times`), median of [`SAMPLES`].
//! - `peek`: 100 messages of 1 MB each read through the peek (its default caps), with the
//!   process's peak resident memory (`VmHWM` in `/proc/self/status`, reset first through
//!   `/proc/self/clear_refs`) against the resident memory before it: what a peek adds at
//!   most.
//!
//! Run with `cargo bench --bench kafka_first_aid` (`OPSDECK_BENCH_RESET_PARTITIONS` changes
//! the partition count).
//!
//! Measured once (2026-12-07, 2 shared cores with three other builds running, the dev
//! profile, `cargo bench --profile dev`: dependencies at opt-level 2, opsdeck at 0): reset
//! plan over 1,000 partitions 33–80 ms to earliest, 59–85 ms to a time; peek of 100 × 1 MB:
//! 100 read in 9.0 s, 1.6 MB kept, peak resident +6.7 MiB over the 20 MiB before it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[allow(
    clippy::missing_panics_doc,
    reason = "test support: a panic is how its helpers report a failure"
)]
#[path = "../tests/support/tansu.rs"]
pub mod tansu;

use std::time::{Duration, Instant};

use opsdeck::config::KafkaConfig;
use opsdeck::model::kafka_peek::{PeekFrom, PeekLimits};
use opsdeck::model::kafka_reset::{ResetScope, ResetTarget};
use opsdeck::sources::kafka;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use tansu::Tansu;

const PARTITIONS: i32 = 1_000;
const SAMPLES: usize = 7;
const TARGET: Duration = Duration::from_millis(500);
const BIG: usize = 1_000_000;
const BIG_COUNT: usize = 100;

fn config(broker: &Tansu) -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", broker.bootstrap());
    c
}

/// `VmRSS` and `VmHWM` in KiB.
fn memory() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// `wide` with two records a partition and `replay` committed at 1 on each; `big` with
/// [`BIG_COUNT`] records of [`BIG`] bytes.
fn setup(rt: &tokio::runtime::Runtime, broker: &Tansu, partitions: i32) {
    let admin: AdminClient<DefaultClientContext> = config(broker).create().unwrap();
    let topics = [
        NewTopic::new("wide", partitions, TopicReplication::Fixed(1)),
        NewTopic::new("big", 1, TopicReplication::Fixed(1)),
    ];
    rt.block_on(admin.create_topics(&topics, &AdminOptions::new()))
        .unwrap();
    // Two records on each partition of `wide` (one batch each), the group at 1.
    let producer: BaseProducer = config(broker)
        .set("batch.num.messages", "1")
        .set("linger.ms", "0")
        .set("message.max.bytes", "2000000")
        .create()
        .unwrap();
    for p in 0..partitions {
        for _ in 0..2 {
            producer
                .send(BaseRecord::<(), _>::to("wide").partition(p).payload("r"))
                .unwrap();
            producer.flush(Duration::from_secs(10)).unwrap();
        }
    }
    let group: BaseConsumer = config(broker)
        .set("group.id", "replay")
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    for p in 0..partitions {
        tpl.add_partition_offset("wide", p, Offset::Offset(1))
            .unwrap();
    }
    group.commit(&tpl, CommitMode::Sync).unwrap();
    let big = vec![b'x'; BIG];
    for _ in 0..BIG_COUNT {
        producer
            .send(BaseRecord::<(), _>::to("big").partition(0).payload(&big))
            .unwrap();
        producer.flush(Duration::from_secs(10)).unwrap();
    }
    drop(producer);
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("kafka_first_aid bench: run with `cargo bench --bench kafka_first_aid`");
        return;
    }
    let partitions: i32 = std::env::var("OPSDECK_BENCH_RESET_PARTITIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(PARTITIONS);
    let Some(broker) = Tansu::start() else {
        eprintln!("SKIP: the test broker cannot start");
        return;
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    setup(&rt, &broker, partitions);

    let cfg = KafkaConfig {
        brokers: vec![broker.bootstrap()],
        ..KafkaConfig::default()
    };
    let client = rt
        .block_on(kafka::connect(&cfg, Duration::from_secs(10)))
        .unwrap();
    for (name, target) in [
        ("earliest", ResetTarget::Earliest),
        ("a time", ResetTarget::Time { ms: 0 }),
    ] {
        let mut took = Vec::new();
        for _ in 0..SAMPLES {
            let started = Instant::now();
            let plan = kafka::reset::plan_reset(&client, "replay", &ResetScope::AllTopics, target)
                .expect("plan");
            took.push(started.elapsed());
            assert_eq!(plan.len(), usize::try_from(partitions).unwrap());
        }
        let m = median(took);
        println!(
            "reset plan over {partitions} partitions, to {name}: median {:.0} ms (target {} ms: {})",
            m.as_secs_f64() * 1000.0,
            TARGET.as_millis(),
            if m <= TARGET { "met" } else { "MISSED" }
        );
    }

    let (rss_before, _) = memory();
    // Resets VmHWM to the current RSS (Linux ≥ 4.0, proc(5) clear_refs "5").
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let started = Instant::now();
    let limits = PeekLimits::default();
    let read = kafka::peek::peek(&client, "big", 0, PeekFrom::Offset { offset: 0 }, &limits)
        .expect("peek");
    let took = started.elapsed();
    let (rss_after, peak) = memory();
    println!(
        "peek of {BIG_COUNT} messages of {BIG} bytes: read {} in {:.0} ms, kept {} bytes; \
         resident before {} KiB, peak during {} KiB (+{} KiB), after {} KiB",
        read.messages.len(),
        took.as_secs_f64() * 1000.0,
        read.kept_bytes(),
        rss_before,
        peak,
        peak.saturating_sub(rss_before),
        rss_after
    );
    drop(client);
    drop(broker);
}
