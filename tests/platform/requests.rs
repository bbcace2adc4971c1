//! Self-service request lifecycle end to end: submitted → approved → provisioning → ready
//! or failed, rejection, missing provisioner or brokers, and who may decide. Every
//! transition leaves an audit event.

use std::collections::BTreeMap;
use std::sync::Arc;

use futures::future::BoxFuture;
use opsdeck::model::platform::{
    EventBody, EventQuery, KafkaTopicSpec, ReadReplicaSpec, RequestSpec, RequestState,
};
use opsdeck::platform::fulfil::{NO_BROKERS, NO_PROVISIONER, TopicCreator};
use opsdeck::sources::platform::{ClientError, PlatformClient};
use serde_json::{Value, json};

use crate::both_stores;
use crate::common::{ALICE, LEE, SAM, StoreKind, TestStore, client, settle};

fn status(e: &ClientError) -> u16 {
    match e {
        ClientError::Status { status, .. } => *status,
        other => panic!("expected an HTTP status, got {other:?}"),
    }
}

fn replica(database: &str) -> RequestSpec {
    RequestSpec::ReadReplica(ReadReplicaSpec {
        database: database.into(),
        size: "small".into(),
        ttl: "8h".into(),
        reason: "debug a slow report".into(),
    })
}

fn topic(name: &str) -> RequestSpec {
    RequestSpec::KafkaTopic(KafkaTopicSpec {
        name: name.into(),
        partitions: 6,
        replication: 3,
        configs: BTreeMap::from([("retention.ms".into(), "86400000".into())]),
        owner_service: "orders".into(),
        reason: "new event stream".into(),
    })
}

/// The request's state history, from the audit trail.
async fn history(auditor: &PlatformClient, id: &str) -> Vec<RequestState> {
    let page = auditor
        .list_events(&EventQuery {
            target: Some(format!("request:{id}")),
            ..EventQuery::default()
        })
        .await
        .unwrap();
    let mut states: Vec<(i64, RequestState)> = page
        .items
        .iter()
        .filter_map(|i| match &i.event.body {
            EventBody::Request { state, .. } => Some((i.seq, *state)),
            _ => None,
        })
        .collect();
    states.sort_by_key(|s| s.0);
    states.into_iter().map(|s| s.1).collect()
}

/// Succeeds for every database but `bad-db`; keeps what it was given in `input.json`.
fn provisioner(dir: &std::path::Path) -> String {
    let script = dir.join("provision.sh");
    std::fs::write(
        &script,
        format!(
            r#"#!/bin/sh
input=$(cat)
printf '%s' "$input" > '{dir}/input.json'
case "$input" in
  *'"database":"bad-db"'*) echo "quota exceeded for bad-db" >&2; exit 2 ;;
esac
echo '{{"ok":true,"detail":"replica ready at replica-1:5432","endpoint":"replica-1:5432"}}'
"#,
            dir = dir.display()
        ),
    )
    .unwrap();
    format!("sh {}", script.display())
}

async fn read_replica_lifecycle(kind: StoreKind) {
    let Some(store) = TestStore::new(kind).await else {
        return;
    };
    let dir = store.dir.path().to_owned();
    let command = provisioner(&dir);
    let server = store.serve_with(|o| o.provisioner = Some(command)).await;
    let (alice, sam, lee) = (
        client(&server, ALICE),
        client(&server, SAM),
        client(&server, LEE),
    );

    // Success: → ready with the provisioner's answer.
    let r = alice.create_request(&replica("orders")).await.unwrap();
    assert_eq!(r.state, RequestState::Submitted);
    assert_eq!(status(&sam.approve_request(&r.id).await.unwrap_err()), 403);
    assert_eq!(
        lee.approve_request(&r.id)
            .await
            .unwrap()
            .decided_by
            .as_deref(),
        Some("lee")
    );
    let done = settle(&alice, &r.id).await;
    assert_eq!(done.state, RequestState::Ready, "{done:?}");
    assert_eq!(done.result.as_ref().unwrap()["endpoint"], "replica-1:5432");
    assert_eq!(
        done.state_reason.as_deref(),
        Some("replica ready at replica-1:5432")
    );
    let input: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("input.json")).unwrap()).unwrap();
    assert_eq!(input["request_id"], json!(r.id));
    assert_eq!(input["spec"]["database"], "orders");
    assert_eq!(input["requester"], "alice");
    assert_eq!(
        history(&lee, &r.id).await,
        [
            RequestState::Submitted,
            RequestState::Approved,
            RequestState::Provisioning,
            RequestState::Ready
        ]
    );
    assert_eq!(status(&lee.approve_request(&r.id).await.unwrap_err()), 409);

    // Failure: → failed with the provisioner's stderr.
    let bad = alice.create_request(&replica("bad-db")).await.unwrap();
    lee.approve_request(&bad.id).await.unwrap();
    let failed = settle(&alice, &bad.id).await;
    assert_eq!(failed.state, RequestState::Failed, "{failed:?}");
    let why = failed.state_reason.unwrap();
    assert!(why.contains("quota exceeded for bad-db"), "{why}");

    // Rejection needs a reason and ends the request.
    let r2 = alice.create_request(&replica("orders")).await.unwrap();
    assert_eq!(
        status(&sam.reject_request(&r2.id, "no").await.unwrap_err()),
        403
    );
    assert_eq!(
        status(&lee.reject_request(&r2.id, " ").await.unwrap_err()),
        400
    );
    let rejected = lee
        .reject_request(&r2.id, "use the analytics replica")
        .await
        .unwrap();
    assert_eq!(rejected.state, RequestState::Rejected);
    assert_eq!(
        rejected.state_reason.as_deref(),
        Some("use the analytics replica")
    );
    assert_eq!(status(&lee.approve_request(&r2.id).await.unwrap_err()), 409);
    assert_eq!(
        history(&lee, &r2.id).await,
        [RequestState::Submitted, RequestState::Rejected]
    );

    // Visibility: mine, everyone's for approvers, nobody else's by id.
    assert_eq!(alice.list_requests(false).await.unwrap().len(), 3);
    assert_eq!(status(&alice.list_requests(true).await.unwrap_err()), 403);
    assert_eq!(lee.list_requests(true).await.unwrap().len(), 3);
    assert!(sam.list_requests(false).await.unwrap().is_empty());
    assert_eq!(status(&sam.get_request(&r.id).await.unwrap_err()), 404);

    // Four eyes: an approver cannot approve their own request.
    let own = lee.create_request(&replica("orders")).await.unwrap();
    assert_eq!(
        status(&lee.approve_request(&own.id).await.unwrap_err()),
        403
    );
    // Malformed requests are refused before anything is stored.
    assert_eq!(
        status(&alice.create_request(&replica("")).await.unwrap_err()),
        400
    );
    assert!(lee.verify().await.unwrap().ok);
}

both_stores!(read_replica_lifecycle);

async fn unfulfillable_requests_stay_approved_with_a_reason(kind: StoreKind) {
    let Some(store) = TestStore::new(kind).await else {
        return;
    };
    let server = store.serve().await;
    let (alice, lee) = (client(&server, ALICE), client(&server, LEE));

    let r = alice.create_request(&replica("orders")).await.unwrap();
    let approved = lee.approve_request(&r.id).await.unwrap();
    assert_eq!(approved.state, RequestState::Approved);
    assert_eq!(approved.state_reason.as_deref(), Some(NO_PROVISIONER));

    // Real topic creation is Part 4 (rdkafka TopicCreator); without brokers the request
    // says so and stays approved.
    let t = alice.create_request(&topic("orders.events")).await.unwrap();
    let approved = lee.approve_request(&t.id).await.unwrap();
    assert_eq!(approved.state, RequestState::Approved);
    assert_eq!(approved.state_reason.as_deref(), Some(NO_BROKERS));
    assert_eq!(settle(&alice, &t.id).await.state, RequestState::Approved);
    assert_eq!(
        history(&lee, &t.id).await,
        [RequestState::Submitted, RequestState::Approved]
    );
}

both_stores!(unfulfillable_requests_stay_approved_with_a_reason);

/// A stand-in for the rdkafka creator: proves the trait is wired through fulfilment.
struct FakeCreator;

impl TopicCreator for FakeCreator {
    fn create_topic(&self, spec: KafkaTopicSpec) -> BoxFuture<'static, Result<Value, String>> {
        Box::pin(async move {
            if spec.name.starts_with("bad") {
                Err(format!("topic {} is invalid", spec.name))
            } else {
                Ok(json!({"ok": true, "detail": format!("created {}", spec.name)}))
            }
        })
    }
}

#[tokio::test]
async fn topic_creator_plugs_into_fulfilment() {
    let store = TestStore::new(StoreKind::Sqlite).await.unwrap();
    let server = store
        .serve_with(|o| o.topic_creator = Some(Arc::new(FakeCreator)))
        .await;
    let (alice, lee) = (client(&server, ALICE), client(&server, LEE));
    let t = alice.create_request(&topic("orders.events")).await.unwrap();
    lee.approve_request(&t.id).await.unwrap();
    let done = settle(&alice, &t.id).await;
    assert_eq!(done.state, RequestState::Ready);
    assert_eq!(done.state_reason.as_deref(), Some("created orders.events"));
    let t = alice.create_request(&topic("bad.topic")).await.unwrap();
    lee.approve_request(&t.id).await.unwrap();
    let done = settle(&alice, &t.id).await;
    assert_eq!(done.state, RequestState::Failed);
    assert_eq!(
        done.state_reason.as_deref(),
        Some("topic bad.topic is invalid")
    );
}

/// A server that stops mid-provisioning leaves the request in `provisioning`; the next
/// server start fails it (once older than the provision timeout) instead of leaving it
/// stuck forever.
async fn interrupted_provisioning_fails_on_restart(kind: StoreKind) {
    let Some(store) = TestStore::new(kind).await else {
        return;
    };
    let server = store
        .serve_with(|o| o.provisioner = Some("sleep 3; echo '{\"ok\":true}'".into()))
        .await;
    let (alice, lee) = (client(&server, ALICE), client(&server, LEE));
    let r = alice.create_request(&replica("orders")).await.unwrap();
    lee.approve_request(&r.id).await.unwrap();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    while alice.get_request(&r.id).await.unwrap().state != RequestState::Provisioning {
        assert!(
            tokio::time::Instant::now() < deadline,
            "never started provisioning"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    server.shutdown().await.unwrap();

    let server = store
        .serve_with(|o| o.provision_timeout = std::time::Duration::ZERO)
        .await;
    let after = client(&server, ALICE).get_request(&r.id).await.unwrap();
    assert_eq!(after.state, RequestState::Failed, "{after:?}");
    assert!(after.state_reason.unwrap().contains("interrupted"));
}

both_stores!(interrupted_provisioning_fails_on_restart);
