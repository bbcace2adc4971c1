#!/usr/bin/env python3
"""The Kafka benchmark's reference side: the same job as opsdeck's snapshot, done with
confluent-kafka (librdkafka's Python client, which kaskade is built on).

- Topics view: AdminClient.list_topics (metadata), AdminClient.list_offsets with
  OffsetSpec.earliest and OffsetSpec.latest for every partition (the low and high
  watermarks, batched), AdminClient.describe_configs for every topic.
- Lag view: list_consumer_groups, describe_consumer_groups (state and members, as opsdeck
  shows them), list_consumer_group_offsets for each group (all in flight at once), then
  lag = high watermark - committed offset over the committed partitions.

Every call is the batched admin API, the fastest way this client offers; kaskade itself
asks for watermarks one partition at a time (Consumer.get_watermark_offsets), which
`--per-partition-watermarks` times once for reference.

"Cold" runs build a new AdminClient each time (as a fresh start of the tool does); "warm"
runs reuse one (a refresh). Prints one JSON object on the last line of stdout; the Rust
bench (`cargo bench --bench kafka`) runs this script and reads it. Standalone:

    python3 benches/kafka_confluent.py --bootstrap 127.0.0.1:9092 --runs 10

Exit status 3 (with a JSON "error") when confluent_kafka is not installed.
"""

import argparse
import json
import statistics
import sys
import time

try:
    import confluent_kafka
    from confluent_kafka import ConsumerGroupTopicPartitions, TopicPartition
    from confluent_kafka.admin import AdminClient, ConfigResource, OffsetSpec, ResourceType
except ImportError as exc:  # pragma: no cover - reported to the caller
    print(json.dumps({"error": f"confluent_kafka unavailable: {exc}"}))
    sys.exit(3)

TIMEOUT = 5.0


class Steps:
    """Wall time per step of the last run (ms)."""

    def __init__(self):
        self.ms = {}
        self.t = time.perf_counter()

    def __call__(self, name):
        now = time.perf_counter()
        self.ms[name] = round((now - self.t) * 1e3, 1)
        self.t = now


def topics_view(admin, step=lambda _: None):
    """Metadata, watermarks and configs of every topic: {(topic, partition): (low, high)}."""
    md = admin.list_topics(timeout=TIMEOUT)
    step("list_topics")
    topics = {name: t for name, t in md.topics.items() if t.error is None}
    tps = [TopicPartition(name, p) for name, t in topics.items() for p in t.partitions]
    watermarks = {}
    if tps:
        early = admin.list_offsets(
            {tp: OffsetSpec.earliest() for tp in tps}, request_timeout=TIMEOUT
        )
        late = admin.list_offsets({tp: OffsetSpec.latest() for tp in tps}, request_timeout=TIMEOUT)
        for tp, fut in early.items():
            watermarks[(tp.topic, tp.partition)] = [fut.result().offset, 0]
        for tp, fut in late.items():
            watermarks[(tp.topic, tp.partition)][1] = fut.result().offset
    step("list_offsets")
    configs = {}
    if topics:
        resources = [ConfigResource(ResourceType.TOPIC, name) for name in topics]
        for res, fut in admin.describe_configs(resources, request_timeout=TIMEOUT).items():
            configs[res.name] = {k: e.value for k, e in fut.result().items()}
    step("describe_configs")
    return topics, watermarks, configs


def lag_view(admin, watermarks, step=lambda _: None):
    """Groups, members, committed offsets and lag: {group: total lag}."""
    listed = admin.list_consumer_groups(request_timeout=TIMEOUT).result().valid
    ids = [g.group_id for g in listed]
    if not ids:
        return {}
    described = admin.describe_consumer_groups(ids, request_timeout=TIMEOUT)
    # The API takes one group per request: send them all, then collect.
    pending = [
        admin.list_consumer_group_offsets(
            [ConsumerGroupTopicPartitions(g)], request_timeout=TIMEOUT
        )
        for g in ids
    ]
    for fut in described.values():
        fut.result()
    lags = {}
    for futures in pending:
        for group, fut in futures.items():
            total = 0
            for tp in fut.result().topic_partitions:
                if tp.offset < 0:
                    continue
                low, high = watermarks.get((tp.topic, tp.partition), (0, 0))
                total += max(high - tp.offset, 0)
            lags[group] = total
    step("groups_offsets_lag")
    return lags


def one_run(admin, step=lambda _: None):
    """(topics ms, lag ms, summary) of one full job on `admin`."""
    t0 = time.perf_counter()
    topics, watermarks, configs = topics_view(admin, step)
    t1 = time.perf_counter()
    lags = lag_view(admin, watermarks, step)
    t2 = time.perf_counter()
    summary = {
        "topics": len(topics),
        "partitions": len(watermarks),
        "messages": sum(h - lo for lo, h in watermarks.values()),
        "configs": sum(1 for c in configs.values() if c),
        "groups": len(lags),
        "total_lag": sum(lags.values()),
    }
    return (t1 - t0) * 1e3, (t2 - t1) * 1e3, summary


def per_partition_watermarks(conf, watermarks):
    """kaskade's way: Consumer.get_watermark_offsets one partition after another (ms)."""
    consumer = confluent_kafka.Consumer(conf | {"group.id": "kafka-bench-watermarks"})
    t0 = time.perf_counter()
    for topic, partition in watermarks:
        consumer.get_watermark_offsets(
            TopicPartition(topic, partition), timeout=TIMEOUT, cached=False
        )
    ms = (time.perf_counter() - t0) * 1e3
    consumer.close()
    return ms


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bootstrap", required=True, help="host:port")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--per-partition-watermarks", action="store_true")
    args = ap.parse_args()
    conf = {"bootstrap.servers": args.bootstrap}

    cold = {"topics_ms": [], "lag_ms": [], "total_ms": []}
    summary = None
    for _ in range(args.runs):
        t0 = time.perf_counter()
        admin = AdminClient(conf)
        topics_ms, lag_ms, summary = one_run(admin)
        cold["topics_ms"].append(topics_ms)
        cold["lag_ms"].append(lag_ms)
        cold["total_ms"].append((time.perf_counter() - t0) * 1e3)
        del admin

    warm = {"topics_ms": [], "lag_ms": [], "total_ms": []}
    admin = AdminClient(conf)
    one_run(admin)
    steps = Steps()
    for _ in range(args.runs):
        steps = Steps()
        topics_ms, lag_ms, summary = one_run(admin, steps)
        warm["topics_ms"].append(topics_ms)
        warm["lag_ms"].append(lag_ms)
        warm["total_ms"].append(topics_ms + lag_ms)

    out = {
        "client": f"confluent-kafka {confluent_kafka.version()[0]}, "
        f"librdkafka {confluent_kafka.libversion()[0]}",
        "runs": args.runs,
        "summary": summary,
        "steps_ms": steps.ms,
        "cold": {k: statistics.median(v) for k, v in cold.items()},
        "warm": {k: statistics.median(v) for k, v in warm.items()},
    }
    if args.per_partition_watermarks:
        _, watermarks, _ = topics_view(admin)
        out["per_partition_watermarks_ms"] = per_partition_watermarks(conf, watermarks)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
