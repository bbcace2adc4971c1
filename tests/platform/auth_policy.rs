//! Authentication and policy: missing and bad tokens are refused and recorded, groups
//! decide, approvals gate dangerous actions, outcomes and idempotency behave.

use opsdeck::actions::{ActionRequest, GateOutcome, RefusalKind};
use opsdeck::model::platform::{
    ClientInfo, Decision, EventBody, EventQuery, IntentBody, OutcomeBody, OutcomeStatus,
    RequestState,
};
use opsdeck::platform::fulfil::RERUN_ACTION;
use opsdeck::sources::platform::ClientError;

use crate::both_stores;
use crate::common::{
    ALICE, CountingExecutor, LEE, SAM, StoreKind, TestStore, VIC, cancel, client, gate,
};

fn status(e: &ClientError) -> u16 {
    match e {
        ClientError::Status { status, .. } => *status,
        other => panic!("expected an HTTP status, got {other:?}"),
    }
}

async fn missing_and_bad_tokens_are_refused_and_recorded(kind: StoreKind) {
    let Some(store) = TestStore::new(kind).await else {
        return;
    };
    let server = store.serve().await;
    let http = reqwest::Client::new();
    let resp = http
        .get(format!("{}/v1/me", server.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(resp.headers().get("www-authenticate").unwrap(), "Bearer");

    let err = client(&server, "not-a-token").me().await.unwrap_err();
    assert_eq!(status(&err), 401);
    let err = client(&server, "not-a-token").verify().await.unwrap_err();
    assert_eq!(status(&err), 401);

    let page = client(&server, LEE)
        .list_events(&EventQuery {
            action: Some("auth.denied".into()),
            ..EventQuery::default()
        })
        .await
        .unwrap();
    let denied: Vec<(String, String, Option<String>)> = page
        .items
        .iter()
        .map(|i| match &i.event.body {
            EventBody::AuthDenied {
                path,
                reason,
                token_fingerprint,
                ..
            } => (path.clone(), reason.clone(), token_fingerprint.clone()),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(denied.len(), 3, "{denied:?}");
    assert!(denied.iter().all(|d| d.0.starts_with("/v1/")));
    assert!(
        denied
            .iter()
            .any(|d| d.1 == "missing bearer token" && d.2.is_none())
    );
    let fingerprint = &opsdeck::platform::auth::token_hash("not-a-token")[..12];
    assert_eq!(
        denied
            .iter()
            .filter(|d| d.1 == "unknown token" && d.2.as_deref() == Some(fingerprint))
            .count(),
        2
    );
    assert!(
        page.items.iter().all(|i| !serde_json::to_string(&i.event)
            .unwrap()
            .contains("not-a-token")),
        "the token itself is never stored"
    );

    let me = client(&server, LEE).me().await.unwrap();
    assert_eq!(me.user, "lee");
    assert_eq!(me.roles, ["approver", "auditor"]);
    assert!(client(&server, ALICE).me().await.unwrap().roles.is_empty());
}

both_stores!(missing_and_bad_tokens_are_refused_and_recorded);

async fn groups_decide_and_approvals_gate(kind: StoreKind) {
    let Some(store) = TestStore::new(kind).await else {
        return;
    };
    let server = store.serve().await;
    let dir = store.dir.path();
    let exec = CountingExecutor::new();

    // Wrong group: vic (viewers) may do nothing.
    let outcome = gate(client(&server, VIC), &dir.join("v"), "vic")
        .run(cancel("orders", 1), "curious".into(), &exec)
        .await;
    match &outcome {
        GateOutcome::Refused(r) => {
            assert_eq!(r.kind, RefusalKind::Denied);
            assert!(r.reason.contains("pg.cancel"), "{r:?}");
        }
        other => panic!("expected a denial, got {other:?}"),
    }
    // Right group, wrong action: alice (dev) may not delete topics.
    let alice = gate(client(&server, ALICE), &dir.join("a"), "alice");
    let delete = || ActionRequest::DeleteTopic {
        name: "orders.v1".into(),
    };
    let outcome = alice.run(delete(), "cleanup".into(), &exec).await;
    assert!(matches!(&outcome, GateOutcome::Refused(r) if r.kind == RefusalKind::Denied));

    // sam (sre) may, after approval.
    let sam = gate(client(&server, SAM), &dir.join("s"), "sam");
    let outcome = sam.run(delete(), "retired".into(), &exec).await;
    let GateOutcome::NeedsApproval {
        request_id: Some(request_id),
        ..
    } = outcome
    else {
        panic!("expected needs_approval, got {outcome:?}");
    };
    assert_eq!(exec.count(), 0, "nothing runs before approval");
    let err = client(&server, SAM)
        .approve_request(&request_id)
        .await
        .unwrap_err();
    assert_eq!(status(&err), 403, "sam is no approver");
    let approved = client(&server, LEE)
        .approve_request(&request_id)
        .await
        .unwrap();
    assert_eq!(approved.state, RequestState::Approved);
    assert_eq!(approved.state_reason.as_deref(), Some(RERUN_ACTION));

    // The approval is for the same action and target only, and is used up once.
    let other = ActionRequest::DeleteTopic {
        name: "payments.v1".into(),
    };
    let outcome = sam.run(other, "x".into(), &exec).await;
    assert!(matches!(outcome, GateOutcome::NeedsApproval { .. }));
    let outcome = sam.run(delete(), "retired".into(), &exec).await;
    assert!(outcome.executed(), "{outcome:?}");
    assert_eq!(exec.count(), 1);
    let used = client(&server, SAM).get_request(&request_id).await.unwrap();
    assert_eq!(used.state, RequestState::Ready);
    let outcome = sam.run(delete(), "again".into(), &exec).await;
    assert!(matches!(outcome, GateOutcome::NeedsApproval { .. }));
    assert_eq!(exec.count(), 1);

    // Users without audit.read (alice; sam has it through the `*` rule) read only their
    // own trail.
    assert_eq!(client(&server, SAM).me().await.unwrap().roles, ["auditor"]);
    let err = client(&server, ALICE)
        .list_events(&EventQuery {
            actor: Some("sam".into()),
            ..EventQuery::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status(&err), 403);
    let own = client(&server, ALICE)
        .list_events(&EventQuery::default())
        .await
        .unwrap();
    assert!(!own.items.is_empty());
    assert!(
        own.items
            .iter()
            .all(|i| i.event.actor.as_ref().unwrap().user == "alice")
    );
    let all = client(&server, SAM)
        .list_events(&EventQuery::default())
        .await
        .unwrap();
    assert!(all.items.len() > own.items.len());
    assert!(client(&server, LEE).verify().await.unwrap().ok);
}

both_stores!(groups_decide_and_approvals_gate);

fn intent(n: i32) -> IntentBody {
    let req = cancel("orders", n);
    IntentBody {
        actor: "alice".into(),
        action: req.action_name(),
        target: req.target(),
        params: req.params(),
        reason: "test".into(),
        client: ClientInfo {
            version: "t".into(),
            host: "h".into(),
        },
    }
}

async fn idempotency_and_outcome_rules(kind: StoreKind) {
    let Some(store) = TestStore::new(kind).await else {
        return;
    };
    let server = store.serve().await;
    let alice = client(&server, ALICE);
    let auditor = client(&server, LEE);

    let first = alice.record_intent("key-1", &intent(1)).await.unwrap();
    let again = alice.record_intent("key-1", &intent(1)).await.unwrap();
    assert_eq!(first, again, "same key, same answer");
    assert_eq!(auditor.verify().await.unwrap().checked, 1, "no second row");
    let err = alice.record_intent("key-1", &intent(2)).await.unwrap_err();
    assert_eq!(status(&err), 409, "key reused with another body");
    // Keys are per user: sam's key-1 is a different key.
    let sams = client(&server, SAM)
        .record_intent("key-1", &intent(1))
        .await
        .unwrap();
    assert_ne!(sams.event_id, first.event_id);

    let done = OutcomeBody {
        status: OutcomeStatus::Succeeded,
        detail: "cancelled".into(),
    };
    let recorded = alice.record_outcome(&first.event_id, &done).await.unwrap();
    assert!(!recorded.duplicate);
    let repeated = alice.record_outcome(&first.event_id, &done).await.unwrap();
    assert!(repeated.duplicate);
    assert_eq!(repeated.event_id, recorded.event_id);
    let different = OutcomeBody {
        status: OutcomeStatus::Failed,
        detail: "no".into(),
    };
    let err = alice
        .record_outcome(&first.event_id, &different)
        .await
        .unwrap_err();
    assert_eq!(status(&err), 409);
    let err = client(&server, SAM)
        .record_outcome(&sams.event_id.replace('-', ""), &done)
        .await
        .unwrap_err();
    assert_eq!(status(&err), 404);
    let err = client(&server, SAM)
        .record_outcome(&first.event_id, &done)
        .await
        .unwrap_err();
    assert_eq!(status(&err), 403, "only the actor reports the outcome");

    let denied = client(&server, VIC)
        .record_intent("k", &intent(3))
        .await
        .unwrap();
    assert_eq!(denied.decision, Decision::Deny);
    let err = client(&server, VIC)
        .record_outcome(&denied.event_id, &done)
        .await
        .unwrap_err();
    assert_eq!(status(&err), 409, "a denied intent has no outcome");

    let page = auditor
        .list_events(&EventQuery {
            target: Some(intent(1).target.reference),
            actor: Some("alice".into()),
            ..EventQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
    let outcome = page.items[0].outcome.as_ref().unwrap();
    assert!(matches!(
        outcome.body,
        EventBody::Outcome {
            status: OutcomeStatus::Succeeded,
            ..
        }
    ));
    let report = auditor.verify().await.unwrap();
    assert!(report.ok && report.checked == 4, "{report:?}");
}

both_stores!(idempotency_and_outcome_rules);
