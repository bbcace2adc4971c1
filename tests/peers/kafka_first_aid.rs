//! Kafka first aid against tansu 0.6.0: offset resets to every kind of target checked with a
//! separate client reading the committed offsets, the refusal while a group has a live
//! member, peeks at known messages (binary and hostile bytes included) that never join or
//! commit, the audit's records of both, and the brokers' controller.

use crate::audit_rig::platform;
use std::sync::Arc;
use std::time::{Duration, Instant};

use opsdeck::actions::ActionRequest;
use opsdeck::actions::gate::{AuditGate, Executor, GateOutcome};
use opsdeck::actions::journal::Journal;
use opsdeck::model::kafka_peek::{PeekFrom, ValueView, value_lines};
use opsdeck::model::kafka_reset::{Clamp, ResetScope, ResetTarget};
use opsdeck::model::platform::{ClientInfo, EventBody, EventQuery, OutcomeStatus};
use opsdeck::sources::backend::{Backends, KafkaBackend};
use opsdeck::sources::kafka::backend::RealKafka;
use opsdeck::sources::kafka::{self, KafkaClient, KafkaExecutor};
use opsdeck::sources::platform::{PlatformClient, Token};
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};

use crate::support::tansu::Tansu;

const TIMEOUT: Duration = Duration::from_secs(5);

async fn client(broker: &Tansu) -> Arc<KafkaClient> {
    let cfg = opsdeck::config::KafkaConfig {
        brokers: vec![broker.bootstrap()],
        ..opsdeck::config::KafkaConfig::default()
    };
    kafka::connect(&cfg, TIMEOUT).await.expect("client")
}

fn real(client: &Arc<KafkaClient>) -> RealKafka {
    RealKafka {
        executor: KafkaExecutor::new(Arc::clone(client), false),
    }
}

/// One record per batch (tansu counts batches in its watermarks), with a timestamp, key and
/// headers.
fn produce(broker: &Tansu, topic: &str, partition: i32, records: &[(i64, &[u8])]) {
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", broker.bootstrap())
        .set("batch.num.messages", "1")
        .set("linger.ms", "0")
        .create()
        .expect("producer");
    for (i, (ts, value)) in records.iter().enumerate() {
        let key = format!("k{i}");
        producer
            .send(
                BaseRecord::to(topic)
                    .partition(partition)
                    .key(&key)
                    .payload(*value)
                    .timestamp(*ts)
                    .headers(OwnedHeaders::new().insert(Header {
                        key: "trace",
                        value: Some("t\x1b[31m1"),
                    })),
            )
            .expect("enqueue");
        producer.flush(TIMEOUT).expect("flush");
    }
}

fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

/// `n` records stamped with the time they are written.
fn plain(n: usize) -> Vec<(i64, &'static [u8])> {
    (0..n).map(|_| (now_ms(), b"x".as_slice())).collect()
}

/// Commits from outside the group (an assign-less consumer), leaving it empty.
fn commit(broker: &Tansu, group: &str, offsets: &[(&str, i32, i64)]) {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", broker.bootstrap())
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .create()
        .expect("consumer");
    let mut tpl = TopicPartitionList::new();
    for (t, p, o) in offsets {
        tpl.add_partition_offset(t, *p, Offset::Offset(*o)).unwrap();
    }
    consumer.commit(&tpl, CommitMode::Sync).expect("commit");
}

/// The group's committed offsets read by a client of its own (not opsdeck's).
fn committed(broker: &Tansu, group: &str, parts: &[(&str, i32)]) -> Vec<i64> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", broker.bootstrap())
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .create()
        .expect("consumer");
    let mut tpl = TopicPartitionList::new();
    for (t, p) in parts {
        tpl.add_partition(t, *p);
    }
    let got = consumer.committed_offsets(tpl, TIMEOUT).expect("committed");
    got.elements()
        .iter()
        .map(|e| match e.offset() {
            Offset::Offset(o) => o,
            other => panic!("{other:?}"),
        })
        .collect()
}

/// `ledger` (2 partitions): 10 records on partition 0, the last 6 written after the
/// returned time, 6 on partition 1; the group `replay` committed at 3 and 2, with no member.
async fn setup(broker: &Tansu, client: &Arc<KafkaClient>) -> i64 {
    let exec = KafkaExecutor::new(Arc::clone(client), false);
    let r = exec
        .execute(&ActionRequest::CreateTopic {
            name: "ledger".into(),
            partitions: 2,
            replication: 1,
            configs: std::collections::BTreeMap::new(),
        })
        .await;
    assert_eq!(r.status, OutcomeStatus::Succeeded, "{}", r.detail);
    let b = broker;
    tokio::task::block_in_place(|| {
        produce(b, "ledger", 1, &plain(6));
        produce(b, "ledger", 0, &plain(4));
        std::thread::sleep(Duration::from_millis(200));
        let between = now_ms();
        std::thread::sleep(Duration::from_millis(200));
        produce(b, "ledger", 0, &plain(6));
        commit(b, "replay", &[("ledger", 0, 3), ("ledger", 1, 2)]);
        between
    })
}

async fn reset(
    kafka: &RealKafka,
    scope: ResetScope,
    target: ResetTarget,
) -> Result<Vec<opsdeck::model::kafka_reset::PlannedOffset>, String> {
    let request = kafka
        .plan_reset("replay".into(), scope, target)
        .await
        .map_err(String::from)?;
    let ActionRequest::ResetGroupOffsets { plan, .. } = &request else {
        panic!("{request:?}")
    };
    let plan = plan.clone();
    let r = kafka.execute(&request).await;
    if r.status != OutcomeStatus::Succeeded {
        return Err(r.detail);
    }
    Ok(plan)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offsets_reset_to_every_target_and_another_client_reads_them() {
    let Some(broker) = Tansu::start() else { return };
    let client = client(&broker).await;
    let between = setup(&broker, &client).await;
    let kafka = real(&client);
    let both = [("ledger", 0), ("ledger", 1)];
    let read = |b: &Tansu| tokio::task::block_in_place(|| committed(b, "replay", &both));
    assert_eq!(read(&broker), [3, 2]);

    let plan = reset(&kafka, ResetScope::AllTopics, ResetTarget::Earliest)
        .await
        .unwrap();
    assert_eq!(
        plan.iter()
            .map(|r| (r.current, r.new, r.lag_before, r.lag_after))
            .collect::<Vec<_>>(),
        [(Some(3), 0, 7, 10), (Some(2), 0, 4, 6)],
        "the plan per partition"
    );
    assert_eq!(read(&broker), [0, 0]);

    reset(&kafka, ResetScope::AllTopics, ResetTarget::Latest)
        .await
        .unwrap();
    assert_eq!(read(&broker), [10, 6]);

    let topic = ResetScope::Topic {
        topic: "ledger".into(),
    };
    let plan = reset(&kafka, topic.clone(), ResetTarget::Offset { offset: 8 })
        .await
        .unwrap();
    assert_eq!(plan[1].clamped, Some(Clamp::ToEnd), "{plan:?}");
    assert_eq!(read(&broker), [8, 6]);

    reset(&kafka, topic.clone(), ResetTarget::Shift { by: -5 })
        .await
        .unwrap();
    assert_eq!(read(&broker), [3, 1]);

    let p0 = ResetScope::Partition {
        topic: "ledger".into(),
        partition: 0,
    };
    let plan = reset(&kafka, p0.clone(), ResetTarget::Skip).await.unwrap();
    assert_eq!((plan.len(), plan[0].new), (1, 4));
    assert_eq!(read(&broker), [4, 1], "only partition 0 moved");

    // The first record written after `between` is offset 4 of partition 0. (tansu 0.6.0
    // answers ListOffsets-by-time from its storage objects' write times, and 0 instead of
    // "none" when nothing is newer: partition 1's "log end" fallback is unit-tested.)
    let plan = reset(&kafka, p0.clone(), ResetTarget::Time { ms: between })
        .await
        .expect("to a time");
    assert_eq!((plan[0].new, plan[0].clamped), (4, None), "{plan:?}");
    assert_eq!(read(&broker), [4, 1]);
    let _ = topic;

    // The guard: a plan whose commit moved since is refused, nothing is committed.
    let request = kafka
        .plan_reset("replay".into(), p0, ResetTarget::Earliest)
        .await
        .unwrap();
    tokio::task::block_in_place(|| commit(&broker, "replay", &[("ledger", 0, 9)]));
    let r = kafka.execute(&request).await;
    assert_eq!(r.status, OutcomeStatus::Failed);
    assert!(r.detail.contains("moved since the plan"), "{}", r.detail);
    assert_eq!(read(&broker)[0], 9);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_with_a_live_member_is_not_reset() {
    let Some(broker) = Tansu::start() else { return };
    let client = client(&broker).await;
    setup(&broker, &client).await;
    let member: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", broker.bootstrap())
        .set("group.id", "replay")
        .set("client.id", "ledger-worker")
        .set("enable.auto.commit", "false")
        .create()
        .expect("consumer");
    member.subscribe(&["ledger"]).expect("subscribe");
    let deadline = Instant::now() + Duration::from_secs(20);
    while member.assignment().map_or(0, |a| a.count()) == 0 {
        assert!(Instant::now() < deadline, "the member never got partitions");
        tokio::task::block_in_place(|| {
            let _ = member.poll(Duration::from_millis(200));
        });
    }
    let kafka = real(&client);
    let e = kafka
        .plan_reset(
            "replay".into(),
            ResetScope::AllTopics,
            ResetTarget::Earliest,
        )
        .await
        .expect_err("refused while a member is live");
    let e = String::from(e);
    assert!(e.contains("active member"), "{e}");
    let commits = tokio::task::block_in_place(|| {
        committed(&broker, "replay", &[("ledger", 0), ("ledger", 1)])
    });
    assert_eq!(commits, [3, 2], "nothing committed");

    // tansu 0.6.0 describes the member by its id alone: no client id, host or assignment
    // (a real broker sends all three), so no partition can name its owner; the group
    // detail then names the group's one member with "assignment not reported" instead of
    // `-` (`ui::panes::kafka` tests both shapes).
    let snap = client.snapshot(None).await.expect("snapshot");
    let g = snap.group("replay").expect("group");
    assert_eq!(g.members.len(), 1, "{g:?}");
    assert!(g.members[0].id.starts_with("ledger-worker-"), "{g:?}");
    assert!(g.members[0].assignment.is_empty() && g.members[0].client_id.is_empty());
    assert!(g.lag.iter().all(|l| l.member.is_none()), "{g:?}");
    drop(member);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peeks_read_known_messages_inert_and_never_commit() {
    let Some(broker) = Tansu::start() else { return };
    let client = client(&broker).await;
    setup(&broker, &client).await;
    let hostile: &[u8] = b"\x1b]52;c;cm0gLXJmIH4=\x07\x1b[2Jgotcha\xe2\x80\xae";
    let binary: &[u8] = &[0, 0xff, 0x1b, b'[', b'H'];
    let json: &[u8] = br#"{"order":7,"items":[1,2]}"#;
    let written = tokio::task::block_in_place(|| {
        std::thread::sleep(Duration::from_millis(200));
        let before = now_ms();
        std::thread::sleep(Duration::from_millis(200));
        produce(&broker, "ledger", 1, &[(before + 1, json)]);
        std::thread::sleep(Duration::from_millis(200));
        let between = now_ms();
        std::thread::sleep(Duration::from_millis(200));
        produce(
            &broker,
            "ledger",
            1,
            &[(between + 1, binary), (between + 2, hostile)],
        );
        (before, between)
    });
    let kafka = real(&client);
    let peek = |from| ActionRequest::PeekMessages {
        topic: "ledger".into(),
        partition: 1,
        from,
        group: None,
    };
    let r = kafka
        .peek(&peek(PeekFrom::Last { n: 3 }))
        .await
        .expect("peek");
    assert_eq!(r.start, 6);
    let offsets: Vec<i64> = r.messages.iter().map(|m| m.offset).collect();
    assert_eq!(offsets, [6, 7, 8], "{r:?}");
    let m = &r.messages[0];
    assert_eq!(m.value.as_deref(), Some(json));
    assert_eq!(m.key.as_deref(), Some(b"k0".as_slice()));
    assert_eq!(m.timestamp.map(|t| t.0), Some(written.0 + 1));
    assert_eq!(m.headers[0].0, "trace");
    let (kind, lines) = value_lines(json, ValueView::Auto, 20);
    assert_eq!(kind, "json");
    assert!(
        lines.iter().any(|l| l.contains("\"order\": 7")),
        "{lines:?}"
    );
    let (kind, _) = value_lines(r.messages[1].value.as_deref().unwrap(), ValueView::Auto, 20);
    assert_eq!(kind, "binary, hex");
    let (_, lines) = value_lines(r.messages[2].value.as_deref().unwrap(), ValueView::Auto, 20);
    let shown = lines.join("\n");
    assert!(shown.contains("gotcha"), "{shown}");
    assert!(
        !shown
            .chars()
            .any(|c| c == '\x1b' || c == '\x07' || c == '\u{202e}'),
        "{shown:?}"
    );
    let header = opsdeck::model::kafka_peek::short_bytes(m.headers[0].1.as_deref());
    assert!(!header.contains('\x1b'), "{header:?}");

    // From the group's commit (the stuck message) and from a time.
    let r = kafka
        .peek(&peek(PeekFrom::Offset { offset: 2 }))
        .await
        .unwrap();
    assert_eq!(r.messages.first().map(|m| m.offset), Some(2));
    assert_eq!(r.messages.len(), 7);
    let r = kafka
        .peek(&peek(PeekFrom::Time { ms: written.1 }))
        .await
        .unwrap();
    assert_eq!(r.messages.first().map(|m| m.offset), Some(7), "{r:?}");

    // It never committed: the group's offsets are as before, and no peek group has any.
    let snap = client.snapshot(None).await.expect("snapshot");
    assert_eq!(
        snap.group("replay")
            .map(|g| g.lag.iter().map(|l| l.committed).collect::<Vec<_>>()),
        Some(vec![Some(3), Some(2)])
    );
    assert!(
        snap.groups
            .iter()
            .all(|g| !g.name.starts_with("opsdeck-peek") || g.lag.is_empty()),
        "{:?}",
        snap.groups
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_keeps_the_plan_and_what_a_peek_read() {
    let Some(broker) = Tansu::start() else { return };
    let client = client(&broker).await;
    setup(&broker, &client).await;
    let kafka = real(&client);
    let dir = tempfile::tempdir().expect("tempdir");
    let (_server, platform_client, gate) = platform(dir.path()).await;
    let backends = Backends {
        kafka: Arc::new(kafka.clone()),
        ..Backends::default()
    };
    let request = kafka
        .plan_reset(
            "replay".into(),
            ResetScope::AllTopics,
            ResetTarget::Shift { by: 2 },
        )
        .await
        .unwrap();
    let outcome = gate
        .run(request, "replay after the fix".into(), &backends)
        .await;
    assert!(outcome.executed(), "{outcome:?}");
    let page = platform_client
        .list_events(&EventQuery {
            action: Some("kafka.group.reset_offsets".into()),
            ..EventQuery::default()
        })
        .await
        .expect("events");
    assert_eq!(page.items.len(), 1, "{page:?}");
    let item = &page.items[0];
    let EventBody::Intent { target, params, .. } = &item.event.body else {
        panic!("{:?}", item.event)
    };
    assert_eq!(target.reference, "kafka.group:replay");
    assert_eq!(
        params["target"],
        serde_json::json!({"kind": "shift", "by": 2})
    );
    assert_eq!(params["plan"][0]["current"], 3);
    assert_eq!(params["plan"][0]["new"], 5);
    assert_eq!(params["plan"][1]["new"], 4);
    let done = item.outcome.as_ref().expect("outcome");
    let EventBody::Outcome { status, detail, .. } = &done.body else {
        panic!("{done:?}")
    };
    assert_eq!(*status, OutcomeStatus::Succeeded, "{detail}");

    let peek = ActionRequest::PeekMessages {
        topic: "ledger".into(),
        partition: 0,
        from: PeekFrom::Offset { offset: 5 },
        group: Some("replay".into()),
    };
    let (outcome, read) =
        opsdeck::runtime::kafka_first_aid::peek(Some(&gate), &kafka, peek, "").await;
    let GateOutcome::Executed { result, .. } = &outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(result.status, OutcomeStatus::Succeeded, "{}", result.detail);
    assert_eq!(read.expect("read").expect("messages").messages.len(), 5);
    let page = platform_client
        .list_events(&EventQuery {
            action: Some("kafka.messages.read".into()),
            ..EventQuery::default()
        })
        .await
        .expect("events");
    assert_eq!(page.items.len(), 1, "{page:?}");
    let whole = serde_json::to_string(&page).expect("json");
    assert!(whole.contains("read 5 message(s) of ledger:0"), "{whole}");
    assert!(!whole.contains("\"x\""), "never the content: {whole}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_controller_is_named_when_the_broker_says() {
    let Some(broker) = Tansu::start() else { return };
    let client = client(&broker).await;
    let snap = client.snapshot(None).await.expect("snapshot");
    let controller = tokio::task::block_in_place(|| client.controller(TIMEOUT));
    assert_eq!(snap.brokers.len(), 1);
    assert_eq!(controller, Some(snap.brokers[0].id), "{:?}", snap.brokers);
    assert!(snap.brokers[0].controller, "{:?}", snap.brokers);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_that_needs_approval_becomes_a_request_and_commits_nothing() {
    let Some(broker) = Tansu::start() else { return };
    let client = client(&broker).await;
    setup(&broker, &client).await;
    let kafka = real(&client);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut setup = opsdeck::platform::sandbox::sandbox_setup(dir.path(), "alice");
    let mut policy = opsdeck::platform::sandbox::sandbox_policy();
    policy.rules.insert(
        0,
        opsdeck::platform::policy::Rule {
            action: "kafka.group.reset_offsets".into(),
            target: "*".into(),
            groups: vec!["sandbox".into()],
            approval: true,
        },
    );
    setup.options.policy = opsdeck::platform::server::Source::Value(policy);
    let server = opsdeck::platform::server::spawn_local(setup.options)
        .await
        .expect("platform starts");
    let platform_client =
        PlatformClient::new(&server.url(), Token::new(setup.token)).expect("client");
    let gate = AuditGate::new(
        platform_client.clone(),
        Journal::open(dir.path()).expect("journal"),
        "alice",
        ClientInfo {
            version: "test".into(),
            host: "test".into(),
        },
    );
    let backends = Backends {
        kafka: Arc::new(kafka.clone()),
        ..Backends::default()
    };
    let request = kafka
        .plan_reset("replay".into(), ResetScope::AllTopics, ResetTarget::Latest)
        .await
        .unwrap();
    let outcome = gate.run(request, "replay".into(), &backends).await;
    let GateOutcome::NeedsApproval { request_id, .. } = &outcome else {
        panic!("{outcome:?}")
    };
    let id = request_id.clone().expect("a tracked request");
    let tracked = platform_client.get_request(&id).await.expect("request");
    // The request points at its intent, whose params hold the plan an approver sees.
    let whole = serde_json::to_value(&tracked).expect("json");
    assert_eq!(
        whole["spec"]["action"], "kafka.group.reset_offsets",
        "{whole}"
    );
    let intent_id = whole["spec"]["intent_event_id"]
        .as_str()
        .expect("intent id");
    let page = platform_client
        .list_events(&EventQuery {
            action: Some("kafka.group.reset_offsets".into()),
            ..EventQuery::default()
        })
        .await
        .expect("events");
    let intent = page
        .items
        .iter()
        .find(|i| i.event.event_id == intent_id)
        .expect("the intent");
    let EventBody::Intent { params, .. } = &intent.event.body else {
        panic!("{:?}", intent.event)
    };
    assert_eq!(params["plan"][0]["new"], 10, "{params}");
    assert_eq!(params["plan"][1]["new"], 6, "{params}");
    assert!(intent.outcome.is_none(), "nothing ran: {intent:?}");
    let commits = tokio::task::block_in_place(|| {
        committed(&broker, "replay", &[("ledger", 0), ("ledger", 1)])
    });
    assert_eq!(commits, [3, 2], "nothing committed before approval");
}
