//! Time to a complete Kafka view on a large cluster, next to the same job done with
//! confluent-kafka (librdkafka's Python client, which kaskade is built on).
//!
//! The cluster: the test broker (tansu, `tests/support/tansu.rs`) with 2,000 topics × 6
//! partitions (each with a `retention.ms` override, so configs are not empty) and 100
//! consumer groups; group `g` has committed offsets on all partitions of 2–5 topics, and
//! those topics hold 3 records per partition, so every group has lag. Setup is not timed;
//! a first snapshot checks that every topic, partition, record, config and group is seen.
//!
//! Measured, each a median over criterion's samples (flat sampling, 10 samples):
//! - `kafka/cold_total`: a new `KafkaClient` plus one `KafkaClient::snapshot`, as at
//!   start-up: metadata, watermarks, configs, groups, committed offsets and lag.
//! - `kafka/warm_total`: one `snapshot(None)` on a client that already took one (a refresh:
//!   connections and the watermark consumer are reused).
//! - `kafka/warm_topics`: `snapshot(Some("topic-"))` on that client: the topics view alone
//!   (the scope keeps every topic and no group, so only the group list is fetched).
//!
//! `snapshot()` builds topics and groups in one call and the UI shows neither before it
//! returns, so the time to a complete topics view *and* to a complete lag view, as a user
//! sees it, is the total. The lag part alone is derived: total − topics part.
//!
//! A diagnostic section then issues the client's librdkafka calls one kind at a time
//! (metadata, per-partition watermarks, configs, group list, per-group committed offsets)
//! next to alternatives (batched watermarks, committed offsets in chunks or only over a
//! group's own partitions), to show where the time goes.
//!
//! Then `benches/kafka_confluent.py` runs the same job against the same broker (batched
//! admin calls: `list_topics`, `list_offsets` earliest/latest, `describe_configs`,
//! `list/describe_consumer_groups`, `list_consumer_group_offsets` per group) and the summary
//! prints both with the ratio python / opsdeck. Without python3 or `confluent_kafka`
//! (`pip install confluent-kafka`) the comparison is skipped with a note.
//!
//! Run with `cargo bench --bench kafka` (about 5 minutes at full size, most of it the
//! setup and the slow methods the breakdown times). `OPSDECK_BENCH_KAFKA_TOPICS` and
//! `OPSDECK_BENCH_KAFKA_GROUPS` shrink the cluster for a quick try; `OPSDECK_PYTHON` names
//! the interpreter (default `python3`); `OPSDECK_BENCH_KASKADE=1` also times kaskade's
//! per-partition watermark loop once.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[allow(
    clippy::missing_panics_doc,
    reason = "test support: a panic is how its helpers report a failure"
)]
#[path = "../tests/support/tansu.rs"]
pub mod tansu;

use std::collections::BTreeSet;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode};
use opsdeck::config::KafkaConfig;
use opsdeck::model::kafka::KafkaSnapshot;
use opsdeck::sources::kafka::client::MAX_BLOCKING;
use opsdeck::sources::kafka::{self, KafkaSettings};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use tansu::Tansu;
use tokio::runtime::Runtime;

/// Topics, partitions per topic and consumer groups of the issue.
const TOPICS: usize = 2_000;
const PARTITIONS: i32 = 6;
const GROUPS: usize = 100;
/// Records per partition of every topic some group reads.
const RECORDS: usize = 3;
/// Criterion samples per measurement (and Python runs).
const SAMPLES: usize = 10;
/// Partitions per request in the diagnostic's chunked variants.
const CHUNK: usize = 500;
/// Topics per `CreateTopics` request.
const CREATE_BATCH: usize = 100;
/// The target of the issue for topics + groups + lag.
const TARGET: Duration = Duration::from_secs(2);

fn env_usize(key: &str, default: usize) -> usize {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The cluster's shape.
#[derive(Debug, Clone, Copy)]
struct Shape {
    topics: usize,
    groups: usize,
}

impl Shape {
    fn topic(i: usize) -> String {
        format!("topic-{i:04}")
    }

    fn group(g: usize) -> String {
        format!("group-{g:03}")
    }

    /// The 2–5 distinct topics group `g` reads.
    fn reads(self, g: usize) -> Vec<usize> {
        let mut out = Vec::new();
        let want = (2 + g % 4).min(self.topics);
        let mut k = 0;
        while out.len() < want {
            let t = (g * 37 + k * 101) % self.topics;
            if !out.contains(&t) {
                out.push(t);
            }
            k += 1;
        }
        out
    }

    /// Offset group `g` commits on partition `p` (so lag is `RECORDS − offset`, 1..=3).
    fn committed(g: usize, p: i32) -> i64 {
        i64::try_from((g + usize::try_from(p).unwrap()) % RECORDS).unwrap()
    }

    fn read_topics(self) -> BTreeSet<usize> {
        (0..self.groups).flat_map(|g| self.reads(g)).collect()
    }

    fn expected_lag(self) -> i64 {
        let records = i64::try_from(RECORDS).unwrap();
        (0..self.groups)
            .map(|g| {
                let per_topic: i64 = (0..PARTITIONS)
                    .map(|p| records - Self::committed(g, p))
                    .sum();
                per_topic * i64::try_from(self.reads(g).len()).unwrap()
            })
            .sum()
    }
}

fn client_config(broker: &Tansu) -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", broker.bootstrap());
    c
}

/// Creates the topics in batches; an already existing topic is fine.
async fn create_topics(broker: &Tansu, shape: Shape) {
    let admin: AdminClient<DefaultClientContext> = client_config(broker).create().unwrap();
    let opts = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
    let names: Vec<String> = (0..shape.topics).map(Shape::topic).collect();
    for chunk in names.chunks(CREATE_BATCH) {
        let topics: Vec<NewTopic<'_>> = chunk
            .iter()
            .map(|n| {
                NewTopic::new(n, PARTITIONS, TopicReplication::Fixed(1))
                    .set("retention.ms", "604800000")
            })
            .collect();
        for r in admin.create_topics(&topics, &opts).await.unwrap() {
            match r {
                Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
                Err((name, code)) => panic!("create {name}: {code}"),
            }
        }
    }
}

/// `RECORDS` records on every partition of the topics some group reads. tansu 0.6.0
/// advances the high watermark by one per produced *batch*, so no two records may share
/// one: one record per batch, and one round (one record per partition) in flight at a time.
fn produce(broker: &Tansu, shape: Shape) {
    let producer: BaseProducer = client_config(broker)
        .set("batch.num.messages", "1")
        .set("linger.ms", "0")
        .create()
        .unwrap();
    let topics: Vec<String> = shape.read_topics().into_iter().map(Shape::topic).collect();
    for i in 0..RECORDS {
        let payload = format!("record {i}");
        for topic in &topics {
            for p in 0..PARTITIONS {
                let record = BaseRecord::<(), _>::to(topic)
                    .partition(p)
                    .payload(&payload);
                producer.send(record).unwrap();
            }
            producer.poll(Duration::ZERO);
        }
        producer.flush(Duration::from_mins(1)).unwrap();
    }
}

/// Each group commits offsets on all partitions of the topics it reads.
fn commit(broker: &Tansu, shape: Shape) {
    for g in 0..shape.groups {
        let consumer: BaseConsumer = client_config(broker)
            .set("group.id", Shape::group(g))
            .set("enable.auto.commit", "false")
            .create()
            .unwrap();
        let mut tpl = TopicPartitionList::new();
        for t in shape.reads(g) {
            for p in 0..PARTITIONS {
                tpl.add_partition_offset(
                    &Shape::topic(t),
                    p,
                    Offset::Offset(Shape::committed(g, p)),
                )
                .unwrap();
            }
        }
        consumer.commit(&tpl, CommitMode::Sync).unwrap();
    }
}

/// Checks that a snapshot holds the whole cluster; returns a one-line description.
fn check(snap: &KafkaSnapshot, shape: Shape) -> Result<String, String> {
    let topics: Vec<_> = snap.topics.iter().filter(|t| !t.internal).collect();
    let partitions: usize = topics.iter().map(|t| t.partitions.len()).sum();
    let messages: i64 = topics.iter().map(|t| t.messages).sum();
    let configured = topics.iter().filter(|t| t.retention_ms.is_some()).count();
    let lag: i64 = snap.groups.iter().map(|g| g.total_lag).sum();
    let lag_rows: usize = snap.groups.iter().map(|g| g.lag.len()).sum();
    let want_partitions = shape.topics * usize::try_from(PARTITIONS).unwrap();
    let want_messages =
        i64::try_from(shape.read_topics().len() * RECORDS).unwrap() * i64::from(PARTITIONS);
    let line = format!(
        "{} topics, {partitions} partitions, {messages} records, {configured} topics with \
         configs, {} groups, {lag_rows} committed partitions, total lag {lag}",
        topics.len(),
        snap.groups.len()
    );
    let ok = topics.len() == shape.topics
        && partitions == want_partitions
        && messages == want_messages
        && configured == shape.topics
        && snap.groups.len() == shape.groups
        && lag == shape.expected_lag();
    if ok {
        Ok(line)
    } else {
        Err(format!(
            "incomplete snapshot: {line}; want {} topics, {want_partitions} partitions, \
             {want_messages} records, {} groups, lag {}",
            shape.topics,
            shape.groups,
            shape.expected_lag()
        ))
    }
}

/// Builds the cluster and waits until a snapshot sees all of it.
fn setup(rt: &Runtime, broker: &Tansu, shape: Shape, cfg: &KafkaConfig) {
    let started = Instant::now();
    rt.block_on(create_topics(broker, shape));
    eprintln!(
        "setup: {} topics × {PARTITIONS} partitions created in {:.1} s",
        shape.topics,
        started.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    produce(broker, shape);
    eprintln!(
        "setup: {} records produced into {} topics in {:.1} s",
        shape.read_topics().len() * RECORDS * usize::try_from(PARTITIONS).unwrap(),
        shape.read_topics().len(),
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    commit(broker, shape);
    eprintln!(
        "setup: {} groups committed in {:.1} s",
        shape.groups,
        t.elapsed().as_secs_f64()
    );
    let deadline = Instant::now() + Duration::from_mins(2);
    loop {
        let t = Instant::now();
        let snap = rt.block_on(async {
            let client = kafka::connect(cfg, call_timeout()).await?;
            client.snapshot(None).await
        });
        let took = t.elapsed();
        match snap
            .as_ref()
            .map_err(Clone::clone)
            .and_then(|s| check(s, shape))
        {
            Ok(line) => {
                eprintln!(
                    "setup: complete in {:.1} s; first snapshot {:.2} s: {line}",
                    started.elapsed().as_secs_f64(),
                    took.as_secs_f64()
                );
                return;
            }
            Err(e) if Instant::now() > deadline => panic!("setup never completed: {e}"),
            Err(e) => {
                eprintln!("setup: waiting ({e})");
                std::thread::sleep(Duration::from_secs(1));
            }
        }
    }
}

/// The app's per-call timeout.
fn call_timeout() -> Duration {
    KafkaSettings::default().call_timeout
}

fn median(v: &[Duration]) -> Option<Duration> {
    let mut v = v.to_vec();
    v.sort();
    v.get(v.len() / 2).copied()
}

/// Per-iteration wall times of one measurement, kept for the summary.
type Samples = Arc<Mutex<Vec<Duration>>>;

/// One measured run: a complete snapshot and the time it took.
type Timed<'a> = dyn Fn() -> (KafkaSnapshot, Duration) + 'a;

/// Snapshots that failed during the measurements, with the last error.
#[derive(Debug, Default)]
struct Failures {
    count: usize,
    last: Option<String>,
}

/// Runs the three measurements; returns their per-iteration times (cold, warm, topics).
/// A snapshot that fails (at this size a per-group offsets call can pass the app's 5 s
/// call timeout) is counted in `failures` and taken again; only complete ones are timed.
fn measure(
    c: &mut Criterion,
    rt: &Runtime,
    cfg: &KafkaConfig,
    failures: &Mutex<Failures>,
) -> [Samples; 3] {
    let retry = |f: &dyn Fn() -> Result<KafkaSnapshot, String>| loop {
        let t = Instant::now();
        match f() {
            Ok(snap) => return (snap, t.elapsed()),
            Err(e) => {
                eprintln!(
                    "snapshot failed after {:.1} s: {e}",
                    t.elapsed().as_secs_f64()
                );
                let mut failed = failures.lock().unwrap();
                failed.count += 1;
                assert!(failed.count < 50, "too many failed snapshots: {e}");
                failed.last = Some(e);
            }
        }
    };
    let warm_client = rt.block_on(kafka::connect(cfg, call_timeout())).unwrap();
    retry(&|| rt.block_on(warm_client.snapshot(None)));
    let cold = || {
        retry(&|| {
            rt.block_on(async {
                let client = kafka::connect(cfg, call_timeout()).await?;
                client.snapshot(None).await
            })
        })
    };
    let warm = || retry(&|| rt.block_on(warm_client.snapshot(None)));
    let topics = || retry(&|| rt.block_on(warm_client.snapshot(Some("topic-"))));
    let runs: [(&str, &Timed<'_>); 3] = [
        ("cold_total", &cold),
        ("warm_total", &warm),
        ("warm_topics", &topics),
    ];

    // Flat sampling with a tiny target: one snapshot per sample (criterion warns that it
    // cannot finish in time), after a one-snapshot warm-up.
    let mut group = c.benchmark_group("kafka");
    group
        .sample_size(SAMPLES)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(1))
        .measurement_time(Duration::from_millis(1));
    runs.map(|(name, run)| {
        let samples: Samples = Arc::default();
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let (snap, took) = run();
                    std::hint::black_box(snap);
                    samples.lock().unwrap().push(took);
                    total += took;
                }
                total
            });
        });
        samples
    })
}

/// Where a snapshot's time goes, call kind by call kind, timed alone: the ways a client
/// can ask librdkafka for watermarks (one partition per call, as opsdeck first did; one
/// `ListOffsets` over everything; chunks of 500, as `src/sources/kafka/client.rs` does now)
/// and for committed offsets (a consumer per group asked about every partition of the
/// cluster, as opsdeck first did and kaskade does; chunks; only the group's own partitions,
/// which is what `ListConsumerGroupOffsets` answers and the client now uses). librdkafka
/// looks every partition of an answer up in the request's list linearly, so one call over n
/// partitions costs O(n²) client CPU. Timed once, outside criterion: for the report.
#[expect(
    clippy::too_many_lines,
    reason = "the phases measured in order on one client; each phase's setup sits next to its timing"
)]
fn phases(broker: &Tansu, shape: Shape) -> Vec<(String, Duration)> {
    // Longer than the app's 5 s per call: here a slow call is measured, not abandoned.
    let timeout = Duration::from_mins(2);
    let admin: Arc<AdminClient<DefaultClientContext>> =
        Arc::new(client_config(broker).create().unwrap());
    let mut out = Vec::new();
    let mut time = |name: &str, f: &mut dyn FnMut()| {
        let t = Instant::now();
        f();
        out.push((name.to_owned(), t.elapsed()));
    };
    let mut parts: Vec<(String, i32)> = Vec::new();
    time("metadata (1 request)", &mut || {
        let md = admin.inner().fetch_metadata(None, timeout).unwrap();
        parts = md
            .topics()
            .iter()
            .flat_map(|t| t.partitions().iter().map(|p| (t.name().to_owned(), p.id())))
            .collect();
    });
    let names: Vec<String> = parts
        .iter()
        .map(|(t, _)| t.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let label = format!(
        "watermarks: fetch_watermarks × {} ({MAX_BLOCKING} at once)",
        parts.len()
    );
    time(&label, &mut || {
        parallel(&parts, |(topic, id)| {
            admin.inner().fetch_watermarks(topic, *id, timeout).unwrap();
        });
    });
    let mut chunks = vec![parts.len()];
    if CHUNK < parts.len() {
        chunks.push(CHUNK);
    }
    for chunk in chunks {
        let label = format!("watermarks: offsets_for_times earliest + latest, {chunk} per call");
        time(&label, &mut || {
            let consumer: BaseConsumer = client_config(broker).create().unwrap();
            for offset in [Offset::Beginning, Offset::End] {
                for part in parts.chunks(chunk.max(1)) {
                    let mut tpl = TopicPartitionList::new();
                    for (topic, id) in part {
                        tpl.add_partition_offset(topic, *id, offset).unwrap();
                    }
                    let got = consumer.offsets_for_times(tpl, timeout).unwrap();
                    assert_eq!(got.count(), part.len());
                }
            }
        });
    }
    time("describe_configs (all topics, 1 call)", &mut || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let specs: Vec<_> = names
            .iter()
            .map(|n| rdkafka::admin::ResourceSpecifier::Topic(n))
            .collect();
        let opts = AdminOptions::new().request_timeout(Some(timeout));
        rt.block_on(admin.describe_configs(&specs, &opts)).unwrap();
    });
    let mut groups: Vec<String> = Vec::new();
    time("fetch_group_list", &mut || {
        groups = admin
            .inner()
            .fetch_group_list(None, timeout)
            .unwrap()
            .groups()
            .iter()
            .map(|g| g.name().to_owned())
            .collect();
    });
    let mut tpl = TopicPartitionList::new();
    for (topic, id) in &parts {
        tpl.add_partition(topic, *id);
    }
    let consumers: Mutex<Vec<(String, BaseConsumer)>> = Mutex::default();
    let label = format!(
        "groups cold: new consumer + committed_offsets({} partitions) × {}",
        parts.len(),
        groups.len()
    );
    time(&label, &mut || {
        parallel(&groups, |g| {
            let consumer: BaseConsumer = client_config(broker)
                .set("group.id", g)
                .set("enable.auto.commit", "false")
                .set("enable.auto.offset.store", "false")
                .create()
                .unwrap();
            consumer.committed_offsets(tpl.clone(), timeout).unwrap();
            consumers.lock().unwrap().push((g.clone(), consumer));
        });
    });
    let consumers = consumers.into_inner().unwrap();
    let label = format!("groups warm: committed_offsets, {CHUNK} partitions per call");
    time(&label, &mut || {
        parallel(&consumers, |(_, c)| {
            for part in tpl.elements().chunks(CHUNK) {
                let mut chunk = TopicPartitionList::new();
                for e in part {
                    chunk.add_partition(e.topic(), e.partition());
                }
                c.committed_offsets(chunk, timeout).unwrap();
            }
        });
    });
    time(
        "groups warm: committed_offsets on each group's own partitions",
        &mut || {
            parallel(&consumers, |(g, c)| {
                let g: usize = g.trim_start_matches("group-").parse().unwrap();
                let mut own = TopicPartitionList::new();
                for t in shape.reads(g) {
                    for p in 0..PARTITIONS {
                        own.add_partition(&Shape::topic(t), p);
                    }
                }
                c.committed_offsets(own, timeout).unwrap();
            });
        },
    );
    out
}

/// Runs `f` over `items` on `MAX_BLOCKING` threads, as the client's semaphore allows.
fn parallel<T: Sync>(items: &[T], f: impl Fn(&T) + Sync) {
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..MAX_BLOCKING {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    f(item);
                }
            });
        }
    });
}

/// The Python side's medians (ms), or why there are none.
struct Reference {
    client: String,
    cold: [f64; 3],
    warm: [f64; 3],
    per_partition_watermarks_ms: Option<f64>,
    steps: String,
    summary: String,
}

fn run_python(broker: &Tansu) -> Result<Reference, String> {
    let python = std::env::var("OPSDECK_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/kafka_confluent.py");
    let mut cmd = Command::new(&python);
    cmd.arg(script)
        .args(["--bootstrap", &broker.bootstrap()])
        .args(["--runs", &SAMPLES.to_string()]);
    if std::env::var("OPSDECK_BENCH_KASKADE").is_ok_and(|v| v == "1") {
        cmd.arg("--per-partition-watermarks");
    }
    let out = cmd.output().map_err(|e| format!("{python}: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout.lines().last().unwrap_or_default();
    let json: serde_json::Value = serde_json::from_str(last).map_err(|_| {
        format!(
            "{python} {script} exited with {}: {}{}",
            out.status,
            stdout.trim(),
            String::from_utf8_lossy(&out.stderr).trim()
        )
    })?;
    if let Some(e) = json["error"].as_str() {
        return Err(format!("{e} (pip install confluent-kafka)"));
    }
    let three = |v: &serde_json::Value| -> Result<[f64; 3], String> {
        let get = |k: &str| v[k].as_f64().ok_or(format!("no {k} in {v}"));
        Ok([get("topics_ms")?, get("lag_ms")?, get("total_ms")?])
    };
    Ok(Reference {
        client: json["client"]
            .as_str()
            .unwrap_or("confluent-kafka")
            .to_owned(),
        cold: three(&json["cold"])?,
        warm: three(&json["warm"])?,
        per_partition_watermarks_ms: json["per_partition_watermarks_ms"].as_f64(),
        steps: json["steps_ms"].to_string(),
        summary: json["summary"].to_string(),
    })
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn report(shape: Shape, samples: &[Samples; 3], python: &Result<Reference, String>) {
    let [cold, warm, topics] = samples.each_ref().map(|s| median(&s.lock().unwrap()));
    let counts = samples.each_ref().map(|s| s.lock().unwrap().len());
    println!();
    println!(
        "Kafka: {} topics × {PARTITIONS} partitions, {} groups (tansu, loopback); medians \
         of {:?} snapshots (cold, warm, topics-only)",
        shape.topics, shape.groups, counts
    );
    let (Some(cold), Some(warm), Some(topics)) = (cold, warm, topics) else {
        println!("(a measurement was filtered out: no summary)");
        return;
    };
    let lag = warm.saturating_sub(topics);
    let theirs = python.as_ref().ok();
    println!(
        "{:<34} | {:>12} | {:>12} | {:>6}",
        "", "opsdeck", "python", "py/ops"
    );
    println!("{}", "-".repeat(74));
    let rows = [
        (
            "cold: client + full snapshot",
            cold,
            theirs.map(|r| r.cold[2]),
        ),
        ("warm: topics part", topics, theirs.map(|r| r.warm[0])),
        (
            "warm: lag part (total − topics)",
            lag,
            theirs.map(|r| r.warm[1]),
        ),
        ("warm: full snapshot", warm, theirs.map(|r| r.warm[2])),
    ];
    for (name, ours, theirs) in rows {
        let (theirs, ratio) = theirs.map_or(("-".into(), "-".into()), |t| {
            (format!("{t:.0} ms"), format!("{:.3}", t / ms(ours)))
        });
        println!(
            "{name:<34} | {:>9.0} ms | {theirs:>12} | {ratio:>6}",
            ms(ours)
        );
    }
    match python {
        Ok(r) => {
            println!(
                "python cold parts: topics {:.0} ms, lag {:.0} ms; warm steps (ms): {}",
                r.cold[0], r.cold[1], r.steps
            );
            if let Some(w) = r.per_partition_watermarks_ms {
                println!("kaskade's per-partition get_watermark_offsets loop alone: {w:.0} ms");
            }
            println!("python: {} saw {}", r.client, r.summary);
        }
        Err(e) => println!("python comparison skipped: {e}"),
    }
    println!(
        "SUMMARY kafka {}x{PARTITIONS}/{}g: opsdeck cold {:.0} ms, warm {:.0} ms (topics {:.0} \
         + lag {:.0}){}; target ≤ {} ms: {}",
        shape.topics,
        shape.groups,
        ms(cold),
        ms(warm),
        ms(topics),
        ms(lag),
        python.as_ref().map_or(String::new(), |r| format!(
            "; python cold {:.0} ms, warm {:.0} ms (topics {:.0} + lag {:.0}); ratio py/ops \
             cold {:.2}, warm {:.2}, topics {:.2}, lag {:.2}",
            r.cold[2],
            r.warm[2],
            r.warm[0],
            r.warm[1],
            r.cold[2] / ms(cold),
            r.warm[2] / ms(warm),
            r.warm[0] / ms(topics),
            r.warm[1] / ms(lag),
        )),
        TARGET.as_millis(),
        if cold <= TARGET { "met" } else { "NOT met" }
    );
}

fn main() {
    // `cargo test --benches` runs this without `--bench`: stay quick there.
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("kafka bench: run with `cargo bench --bench kafka`");
        return;
    }
    let shape = Shape {
        topics: env_usize("OPSDECK_BENCH_KAFKA_TOPICS", TOPICS).max(1),
        groups: env_usize("OPSDECK_BENCH_KAFKA_GROUPS", GROUPS),
    };
    let Some(broker) = Tansu::start() else {
        eprintln!("SKIP kafka bench: the test broker cannot start");
        return;
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let cfg = KafkaConfig {
        brokers: vec![broker.bootstrap()],
        ..KafkaConfig::default()
    };
    setup(&rt, &broker, shape, &cfg);
    let mut c = Criterion::default().configure_from_args();
    let failures = Mutex::default();
    let samples = measure(&mut c, &rt, &cfg, &failures);
    let phases = phases(&broker, shape);
    let python = run_python(&broker);
    report(shape, &samples, &python);
    let failures = failures.into_inner().unwrap();
    if let Some(e) = failures.last {
        println!(
            "opsdeck: {} snapshots failed and were taken again (not timed); last: {e}",
            failures.count
        );
    }
    println!("Where the time goes (the client's librdkafka calls issued alone, once):");
    for (name, took) in phases {
        println!("  {name:<68} {:>8.0} ms", ms(took));
    }
    c.final_summary();
    drop(broker);
}
