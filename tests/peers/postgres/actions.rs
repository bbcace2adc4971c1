//! Part 12's Postgres first aid through the audit gate, against the real server: a bulk
//! terminate (and cancel) where one target changed under its guard, and `ROLLBACK PREPARED`
//! run in the prepared transaction's own database, with the refusals before it (read-only
//! mode, a policy that does not grant it). The audit trail of the platform server is read
//! back each time.

use std::time::Duration;

use opsdeck::actions::gate::{AuditGate, GateOutcome, RefusalKind};
use opsdeck::config::PgDatabase;
use opsdeck::model::action::{ActionRequest, KillMode};
use opsdeck::model::pg::{PREPARED_PID, PgSession, blocking_tree};
use opsdeck::model::pg_bulk::{TargetStatus, Verdict, parse_detail, pinned, plan};
use opsdeck::model::platform::{EventBody, EventQuery, OutcomeStatus};
use opsdeck::platform::policy::{Policy, Rule};
use opsdeck::sources::platform::PlatformClient;
use opsdeck::sources::postgres::PgExecutor;
use serde_json::Value;

use crate::audit_rig::platform_with;
use crate::postgres::common::{
    TestDb, bounded, finished, run_blocking, session, test_db, wait_for, wait_waiting,
};

/// The one audit record of `action`: its intent's target ref and params, and its outcome.
async fn record(client: &PlatformClient, action: &str) -> (String, Value, OutcomeStatus, String) {
    let page = client
        .list_events(&EventQuery {
            action: Some(action.into()),
            ..EventQuery::default()
        })
        .await
        .expect("events");
    assert_eq!(page.items.len(), 1, "{page:#?}");
    let item = &page.items[0];
    let EventBody::Intent { target, params, .. } = &item.event.body else {
        panic!("{:?}", item.event)
    };
    let outcome = item.outcome.as_ref().expect("an outcome");
    let EventBody::Outcome { status, detail, .. } = &outcome.body else {
        panic!("{outcome:?}")
    };
    (
        target.reference.clone(),
        params.clone(),
        *status,
        detail.clone(),
    )
}

/// Three idle-in-transaction sessions of `app`, each holding a row.
async fn three_idle(t: &TestDb, app: &str) -> Vec<crate::postgres::common::Session> {
    t.exec("CREATE TABLE IF NOT EXISTS t (id int PRIMARY KEY, v int); INSERT INTO t SELECT g, 0 FROM generate_series(1, 3) g ON CONFLICT DO NOTHING")
        .await;
    let mut out = Vec::new();
    for id in 1..=3 {
        let s = session(&t.url, app).await;
        s.client
            .batch_execute(&format!("BEGIN; UPDATE t SET v = v + 1 WHERE id = {id}"))
            .await
            .unwrap();
        out.push(s);
    }
    out
}

fn of_app<'a>(sessions: &'a [PgSession], app: &str) -> Vec<&'a PgSession> {
    sessions.iter().filter(|s| s.application == app).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bulk_terminate_refuses_the_target_that_changed_and_ends_the_others() {
    let Some(t) = test_db("pg_bulk").await else {
        return;
    };
    let monitor = t.monitor().await;
    let mut held = three_idle(&t, "bulk-victim").await;
    let snap = wait_for(&monitor, &t.name, "three idle in transaction", |s| {
        of_app(&s.sessions, "bulk-victim")
            .iter()
            .filter(|x| x.is_idle_in_transaction())
            .count()
            == 3
    })
    .await;
    let marked = of_app(&snap.sessions, "bulk-victim");
    let rows = plan(&snap.role, &marked, KillMode::Terminate, snap.taken_at);
    assert!(rows.iter().all(|r| r.verdict == Verdict::Send), "{rows:#?}");
    let request = ActionRequest::BulkKill {
        database: t.name.clone(),
        mode: KillMode::Terminate,
        targets: pinned(&rows),
    };
    // The second target goes away after the plan was made, and another connection takes
    // its place: the guard must refuse it, not hit whatever now runs.
    let changed = rows[1].pid;
    let at = held.iter().position(|s| s.pid == changed).unwrap();
    drop(held.remove(at));
    let _newcomer = session(&t.url, "bulk-victim").await;
    wait_for(&monitor, &t.name, "the second target gone", |s| {
        s.session(changed).is_none()
    })
    .await;

    let dir = tempfile::tempdir().unwrap();
    let (_server, client, gate) = platform_with(dir.path(), None, false).await;
    let exec = PgExecutor::new([t.db.clone()]);
    let outcome = bounded(
        "bulk terminate",
        gate.run(request.clone(), "three stuck workers".into(), &exec),
    )
    .await;
    let GateOutcome::Executed { result, .. } = &outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(result.status, OutcomeStatus::Succeeded, "{}", result.detail);
    let each = parse_detail(&result.detail);
    let statuses: Vec<(i32, TargetStatus)> = each.iter().map(|o| (o.pid, o.status)).collect();
    assert_eq!(
        statuses,
        vec![
            (rows[0].pid, TargetStatus::Succeeded),
            (changed, TargetStatus::Refused),
            (rows[2].pid, TargetStatus::Succeeded),
        ],
        "{}",
        result.detail
    );
    assert!(each[1].message.contains("changed or is gone"), "{each:?}");
    for s in &held {
        assert!(
            s.client.batch_execute("SELECT 1").await.is_err(),
            "terminated"
        );
    }
    let after = wait_for(&monitor, &t.name, "the two terminated", |s| {
        s.session(rows[0].pid).is_none() && s.session(rows[2].pid).is_none()
    })
    .await;
    assert!(after.session(changed).is_none());

    // One intent carries the whole target list; the outcome has one line per target.
    let (reference, params, status, detail) = record(&client, "pg.terminate.bulk").await;
    assert_eq!(
        reference,
        format!(
            "pg.backend:{}/{}+{}+{}",
            t.name, rows[0].pid, rows[1].pid, rows[2].pid
        )
    );
    assert_eq!(params["count"], 3);
    assert_eq!(params["mode"], "terminate");
    let targets = params["targets"].as_array().unwrap();
    assert_eq!(targets.len(), 3);
    for (pinned, row) in targets.iter().zip(&rows) {
        assert_eq!(pinned["pid"], row.pid);
        assert_eq!(
            pinned["backend_start"],
            opsdeck::model::pg::pin(row.backend_start)
        );
    }
    assert_eq!(status, OutcomeStatus::Succeeded);
    assert_eq!(detail, result.detail);
    assert!(
        detail.starts_with("2 of 3 terminated, 1 refused by guard, 0 failed"),
        "{detail}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bulk_cancel_refuses_a_target_whose_statement_changed() {
    let Some(t) = test_db("pg_bulkc").await else {
        return;
    };
    let monitor = t.monitor().await;
    let mut pending = Vec::new();
    let mut pids = Vec::new();
    for _ in 0..2 {
        let s = session(&t.url, "bulk-sleeper").await;
        pids.push(s.pid);
        pending.push(run_blocking(s, "SELECT pg_sleep(60)"));
    }
    // The third runs short statements: its query_start moves on between plan and cancel.
    let mover = session(&t.url, "bulk-sleeper").await;
    mover
        .client
        .batch_execute("SELECT pg_sleep(0.5)")
        .await
        .ok();
    let moving = run_blocking(mover, "SELECT pg_sleep(3)");
    let snap = wait_for(&monitor, &t.name, "three active sleepers", |s| {
        of_app(&s.sessions, "bulk-sleeper")
            .iter()
            .filter(|x| x.state == "active")
            .count()
            == 3
    })
    .await;
    let marked = of_app(&snap.sessions, "bulk-sleeper");
    let rows = plan(&snap.role, &marked, KillMode::Cancel, snap.taken_at);
    assert!(rows.iter().all(|r| r.query_start.is_some()));
    let (mover, r) = finished(moving).await;
    r.unwrap();
    // A new statement: a new query_start (and it is idle again once it is done).
    mover.client.batch_execute("SELECT 1").await.unwrap();
    let request = ActionRequest::BulkKill {
        database: t.name.clone(),
        mode: KillMode::Cancel,
        targets: pinned(&rows),
    };
    let dir = tempfile::tempdir().unwrap();
    let (_server, client, gate) = platform_with(dir.path(), None, false).await;
    let exec = PgExecutor::new([t.db.clone()]);
    let outcome = bounded("bulk cancel", gate.run(request, String::new(), &exec)).await;
    let GateOutcome::Executed { result, .. } = &outcome else {
        panic!("{outcome:?}")
    };
    let each = parse_detail(&result.detail);
    for o in &each {
        let want = if pids.contains(&o.pid) {
            TargetStatus::Succeeded
        } else {
            TargetStatus::Refused
        };
        assert_eq!(o.status, want, "{}", result.detail);
    }
    assert_eq!(each.len(), 3);
    for p in pending {
        let (_, r) = finished(p).await;
        assert_eq!(
            r.unwrap_err().code(),
            Some(&tokio_postgres::error::SqlState::QUERY_CANCELED)
        );
    }
    let (_, params, status, _) = record(&client, "pg.cancel.bulk").await;
    assert_eq!(params["targets"].as_array().unwrap().len(), 3);
    assert!(params["targets"][0]["query_start"].is_string());
    assert_eq!(status, OutcomeStatus::Succeeded);
}

/// The context's database is `postgres`; the prepared transaction lives in the test's own
/// database, where the rollback must run.
fn context_db(t: &TestDb) -> PgDatabase {
    let (base, _) = t.url.rsplit_once('/').unwrap();
    PgDatabase {
        name: "ctx".into(),
        dsn: format!("{base}/postgres"),
        password: None,
        ssl_password: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollback_prepared_goes_through_the_gate_in_its_own_database() {
    let Some(t) = test_db("pg_rbp").await else {
        return;
    };
    t.exec("CREATE TABLE t (id int PRIMARY KEY, v int); INSERT INTO t VALUES (1, 0)")
        .await;
    let monitor = t.monitor().await;
    // A gid a careless tool could write: quotes and a backslash must reach the server intact.
    let gid = format!("opsdeck's \\ {}", t.name);
    let p = session(&t.url, "twophase").await;
    let quoted = gid.replace('\'', "''");
    p.client
        .batch_execute(&format!(
            "BEGIN; UPDATE t SET v = 5 WHERE id = 1; PREPARE TRANSACTION '{quoted}'"
        ))
        .await
        .unwrap();
    let w = session(&t.url, "twophase-w").await;
    let w_pid = w.pid;
    let pending = run_blocking(w, "UPDATE t SET v = 6 WHERE id = 1");
    let snap = wait_waiting(&monitor, &t.name, w_pid).await;
    assert_eq!(blocking_tree(&snap)[0].pid, PREPARED_PID);
    let xact = snap.prepared.iter().find(|x| x.gid == gid).unwrap().clone();
    let request = xact.rollback_request("ctx");
    let exec = PgExecutor::new([context_db(&t)]);
    let still_prepared = || async {
        let s = session(&t.url, "probe").await;
        s.client
            .query_one(
                "SELECT count(*) FROM pg_prepared_xacts WHERE gid = $1",
                &[&gid],
            )
            .await
            .unwrap()
            .get::<_, i64>(0)
    };

    // Read-only mode refuses it before anything is recorded or run.
    let dir = tempfile::tempdir().unwrap();
    let (_ro, _, gate) = platform_with(dir.path(), None, true).await;
    match bounded("read-only", gate.run(request.clone(), String::new(), &exec)).await {
        GateOutcome::Refused(r) => assert_eq!(r.kind, RefusalKind::Readonly, "{r:?}"),
        other => panic!("{other:?}"),
    }
    // A policy that grants Postgres kills but not rollbacks denies it.
    let dir = tempfile::tempdir().unwrap();
    let kills_only = Policy {
        approvers: vec!["approvers".into()],
        self_approval: true,
        rules: vec![Rule {
            action: "pg.terminate*".into(),
            target: "*".into(),
            groups: vec!["*".into()],
            approval: false,
        }],
    };
    let (_deny, _, gate) = platform_with(dir.path(), Some(kills_only), false).await;
    match bounded("denied", gate.run(request.clone(), String::new(), &exec)).await {
        GateOutcome::Refused(r) => assert_eq!(r.kind, RefusalKind::Denied, "{r:?}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(still_prepared().await, 1, "nothing ran");

    // A stale pin (prepared one microsecond later) is refused by the guard.
    let dir = tempfile::tempdir().unwrap();
    let (_server, client, gate) = platform_with(dir.path(), None, false).await;
    let mut stale = request.clone();
    if let ActionRequest::RollbackPrepared { prepared, .. } = &mut stale {
        *prepared = opsdeck::model::pg::pin(xact.prepared + Duration::from_micros(1));
    }
    let outcome = bounded("stale", exec_run(&gate, stale, &exec)).await;
    assert_eq!(outcome.0, OutcomeStatus::Ineffective, "{}", outcome.1);
    assert!(outcome.1.contains("refused by guard"), "{}", outcome.1);
    assert_eq!(still_prepared().await, 1);

    // The real one, from a context whose database is another one.
    let outcome = bounded("rollback", exec_run(&gate, request.clone(), &exec)).await;
    assert_eq!(outcome.0, OutcomeStatus::Succeeded, "{}", outcome.1);
    assert_eq!(still_prepared().await, 0);
    finished(pending).await.1.unwrap();
    wait_for(&monitor, &t.name, "no more waiting", |s| {
        s.waiting().count() == 0 && s.prepared.is_empty()
    })
    .await;
    rollback_records(&client, &gid, &t.name).await;

    // Once more: it is gone, the guard says so and nothing is done.
    let again = bounded("again", exec_run(&gate, request, &exec)).await;
    assert_eq!(again.0, OutcomeStatus::Ineffective, "{}", again.1);
}

/// The audit trail of the two rollbacks that ran (the stale one and the real one): each
/// intent names the gid and the database it ran in; the outcomes say which was refused.
async fn rollback_records(client: &PlatformClient, gid: &str, datname: &str) {
    let page = client
        .list_events(&EventQuery {
            action: Some("pg.rollback_prepared".into()),
            ..EventQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(page.items.len(), 2, "the stale try and the real one");
    let mut statuses = Vec::new();
    for item in &page.items {
        let EventBody::Intent { target, params, .. } = &item.event.body else {
            panic!("{item:?}")
        };
        assert_eq!(target.reference, format!("pg.prepared:ctx/{gid}"));
        assert_eq!(params["datname"], datname);
        assert_eq!(params["gid"], gid);
        let EventBody::Outcome { status, detail, .. } =
            &item.outcome.as_ref().expect("outcome").body
        else {
            panic!("{item:?}")
        };
        statuses.push(*status);
        if *status == OutcomeStatus::Succeeded {
            assert!(detail.contains("rolled back"), "{detail}");
        } else {
            assert!(detail.contains("refused by guard"), "{detail}");
        }
    }
    statuses.sort_by_key(|s| s.as_str());
    assert_eq!(
        statuses,
        [OutcomeStatus::Ineffective, OutcomeStatus::Succeeded]
    );
}

/// Runs through the gate, expecting it to execute: the outcome's status and detail.
async fn exec_run(
    gate: &AuditGate,
    request: ActionRequest,
    exec: &PgExecutor,
) -> (OutcomeStatus, String) {
    match gate.run(request, String::new(), exec).await {
        GateOutcome::Executed { result, .. } => (result.status, result.detail),
        other => panic!("{other:?}"),
    }
}
