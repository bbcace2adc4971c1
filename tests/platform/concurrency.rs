//! Two server replicas on one PostgreSQL: 8 clients × 500 intents, interleaved across both
//! replicas, give one valid chain of exactly 4,000 events with none lost or duplicated.

use std::collections::HashSet;

use opsdeck::model::platform::{ClientInfo, Decision, EventQuery, IntentBody};

use crate::common::{ALICE, LEE, StoreKind, TestStore, cancel, client};

const CLIENTS: usize = 8;
const PER_CLIENT: usize = 500;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_share_one_valid_chain() {
    let Some(store) = TestStore::new(StoreKind::Postgres).await else {
        return;
    };
    let a = store.serve().await;
    let b = store.serve().await;
    let (ca, cb) = (client(&a, ALICE), client(&b, ALICE));

    let mut tasks = Vec::new();
    for c in 0..CLIENTS {
        let (ca, cb) = (ca.clone(), cb.clone());
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::with_capacity(PER_CLIENT);
            for i in 0..PER_CLIENT {
                let req = cancel("orders", i32::try_from(c * PER_CLIENT + i).unwrap());
                let body = IntentBody {
                    actor: "alice".into(),
                    action: req.action_name(),
                    target: req.target(),
                    params: req.params(),
                    reason: format!("client {c} event {i}"),
                    client: ClientInfo {
                        version: "test".into(),
                        host: format!("client-{c}"),
                    },
                };
                let replica = if (c + i) % 2 == 0 { &ca } else { &cb };
                let answer = replica
                    .record_intent(&format!("k-{c}-{i}"), &body)
                    .await
                    .unwrap();
                assert_eq!(answer.decision, Decision::Allow);
                ids.push(answer.event_id);
            }
            ids
        }));
    }
    let mut answered = HashSet::new();
    for t in tasks {
        answered.extend(t.await.unwrap());
    }
    assert_eq!(answered.len(), CLIENTS * PER_CLIENT);

    let report = client(&b, LEE).verify().await.unwrap();
    assert!(report.ok, "{report:?}");
    assert_eq!(report.checked, 4000);

    let auditor = client(&a, LEE);
    let mut stored = HashSet::new();
    let mut query = EventQuery {
        limit: Some(1000),
        ..EventQuery::default()
    };
    loop {
        let page = auditor.list_events(&query).await.unwrap();
        stored.extend(page.items.into_iter().map(|i| i.event.event_id));
        match page.next_cursor {
            Some(c) => query.cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(
        stored, answered,
        "every answered event is stored, nothing else"
    );
}
