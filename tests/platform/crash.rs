//! Crashes between executing and reporting: the journal written before the outcome is
//! posted lets a restarted opsdeck deliver it, and the platform ends with exactly one
//! outcome per intent however often it is replayed.

use std::time::Duration;

use opsdeck::actions::{Backoff, Delivery, Journal};
use opsdeck::model::platform::{EventQuery, OutcomeStatus};
use opsdeck::sources::platform::PlatformClient;

use crate::both_stores;
use crate::common::{ALICE, CountingExecutor, LEE, StoreKind, TestStore, cancel, client, gate};

/// Outcome rows recorded for `intent_id`, counted from the chain itself: every row is an
/// intent-like item or an outcome joined to one, so rows = items + joined outcomes.
async fn outcomes_of(client: &PlatformClient, intent_id: &str) -> (usize, usize) {
    let page = client
        .list_events(&EventQuery {
            limit: Some(1000),
            ..EventQuery::default()
        })
        .await
        .unwrap();
    let joined = page
        .items
        .iter()
        .filter(|i| i.event.event_id == intent_id)
        .filter(|i| i.outcome.is_some())
        .count();
    let rows = page.items.len() + page.items.iter().filter(|i| i.outcome.is_some()).count();
    let checked = usize::try_from(client.verify().await.unwrap().checked).unwrap();
    assert_eq!(rows, checked, "every chain row is accounted for");
    (joined, checked)
}

async fn crash_between_execute_and_outcome(kind: StoreKind) {
    let Some(store) = TestStore::new(kind).await else {
        return;
    };
    let journal_dir = store.dir.path().join("journal");
    let exec = CountingExecutor::new();

    // Session 1: intent accepted, action executed, outcome journaled, then "crash".
    let server = store.serve().await;
    let event_id = {
        let g = gate(client(&server, ALICE), &journal_dir, "alice");
        let admitted = g.admit(cancel("orders", 7), "stuck query").await.unwrap();
        let (result, journaled) = g.execute_and_journal(&admitted, &exec).await;
        assert_eq!(result.status, OutcomeStatus::Succeeded);
        journaled.unwrap();
        admitted.event_id().to_owned()
    };
    assert_eq!(exec.count(), 1);
    let auditor = client(&server, LEE);
    assert_eq!(outcomes_of(&auditor, &event_id).await, (0, 1));
    server.shutdown().await.unwrap();

    // Restart both the platform and opsdeck: replay delivers the outcome.
    let server = store.serve().await;
    let journal = Journal::open(&journal_dir).unwrap();
    assert_eq!(journal.pending().unwrap().len(), 1);
    let alice = client(&server, ALICE);
    let report = journal.replay(&alice).await;
    assert_eq!((report.sent, report.remaining), (1, 0), "{report:?}");
    assert!(journal.pending().unwrap().is_empty());
    let auditor = client(&server, LEE);
    assert_eq!(outcomes_of(&auditor, &event_id).await, (1, 2));

    // A crash after posting but before the `sent` mark: the next replay re-posts, the
    // platform answers "duplicate", and still only one outcome exists.
    let g = gate(alice.clone(), &journal_dir, "alice");
    let admitted = g.admit(cancel("orders", 8), "again").await.unwrap();
    let (_, journaled) = g.execute_and_journal(&admitted, &exec).await;
    let entry = journaled.unwrap();
    let first = alice
        .record_outcome(&entry.event_id, &entry.body())
        .await
        .unwrap();
    assert!(!first.duplicate);
    let journal = Journal::open(&journal_dir).unwrap();
    assert_eq!(journal.pending().unwrap().len(), 1);
    let report = journal.replay(&alice).await;
    assert_eq!(report.sent, 1, "{report:?}");
    assert_eq!(journal.replay(&alice).await.sent, 0, "nothing left to send");
    assert_eq!(outcomes_of(&auditor, admitted.event_id()).await, (1, 4));
    assert_eq!(outcomes_of(&auditor, &event_id).await, (1, 4));
    assert!(auditor.verify().await.unwrap().ok);
}

both_stores!(crash_between_execute_and_outcome);

/// The platform goes away after allowing; the outcome is queued, and the background
/// resender delivers it once the platform is back on the same address.
async fn resender_delivers_after_outage(kind: StoreKind) {
    let Some(store) = TestStore::new(kind).await else {
        return;
    };
    let journal_dir = store.dir.path().join("journal");
    let server = store.serve().await;
    let addr = server.addr();
    let alice = client(&server, ALICE).with_timeout(Duration::from_millis(500));
    let g = gate(alice.clone(), &journal_dir, "alice");
    let exec = CountingExecutor::new();
    let admitted = g.admit(cancel("orders", 9), "outage").await.unwrap();
    server.shutdown().await.unwrap();

    let (_, journaled) = g.execute_and_journal(&admitted, &exec).await;
    let entry = journaled.unwrap();
    let delivery = g.deliver(&entry).await;
    assert!(matches!(delivery, Delivery::Queued(_)), "{delivery:?}");

    let resender = g.journal().spawn_resender(
        alice.clone(),
        Backoff {
            initial: Duration::from_millis(20),
            max: Duration::from_millis(200),
        },
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(g.journal().pending().unwrap().len(), 1, "still down");

    let server = store.serve_with(|o| o.listen = addr).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !g.journal().pending().unwrap().is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "resender never delivered"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    resender.abort();
    let auditor = client(&server, LEE);
    assert_eq!(outcomes_of(&auditor, admitted.event_id()).await, (1, 2));
}

both_stores!(resender_delivers_after_outage);
