//! Guarded cancel and terminate: every outcome the server can give.

use std::time::Duration;

use opsdeck::actions::{ActionRequest, Executor, KillMode};
use opsdeck::model::pg::{KillOutcome, kill_permission, pin};
use opsdeck::model::platform::OutcomeStatus;
use opsdeck::sources::postgres::{KillTarget, Monitor, PgExecutor, PgSettings, kill};

use crate::postgres::common::{bounded, finished, run_blocking, session, test_db, wait_for};
use crate::postgres::tree::build_chain;

fn target_of(s: &opsdeck::model::pg::PgSession, mode: KillMode) -> KillTarget {
    KillTarget {
        pid: s.pid,
        backend_start: s.backend_start,
        query_start: s.query_start,
        mode,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_is_ineffective_on_the_idle_root_and_terminate_frees_the_chain() {
    let Some(t) = test_db("pg_kill").await else {
        return;
    };
    let monitor = t.monitor().await;
    let chain = bounded("building the chain", build_chain(&t, &monitor)).await;
    let [a, b, ..] = chain.pids;
    let snap = wait_for(&monitor, &t.name, "four waiters", |s| {
        s.waiting().count() == 4
    })
    .await;
    let root = snap.session(a).unwrap().clone();
    // The monitor's timestamps are the server's, to the microsecond: the guard depends on it.
    assert_eq!(root.backend_start, chain.a.backend_start);

    // Cancel reaches a backend reading its next command and is dropped there.
    let report = bounded("cancel", kill(&t.db, &target_of(&root, KillMode::Cancel)))
        .await
        .unwrap();
    assert_eq!(report.outcome, KillOutcome::Ineffective);
    assert_eq!(report.state_before.as_deref(), Some("idle in transaction"));
    let after = wait_for(&monitor, &t.name, "a fresh poll", |_| true).await;
    assert_eq!(after.waiting().count(), 4, "the chain is untouched");
    assert_eq!(after.session(a).unwrap().xact_start, root.xact_start);

    // A stale backend_start (one microsecond off) is refused: nothing is sent.
    let mut stale = target_of(&root, KillMode::Terminate);
    stale.backend_start += Duration::from_micros(1);
    let report = bounded("stale", kill(&t.db, &stale)).await.unwrap();
    assert_eq!(report.outcome, KillOutcome::GuardMismatch);
    // So is a cancel pinned to a statement that is no longer the current one.
    let waiter = after.session(b).unwrap();
    let mut moved = target_of(waiter, KillMode::Cancel);
    moved.query_start = moved.query_start.map(|q| q - Duration::from_secs(1));
    let report = bounded("moved", kill(&t.db, &moved)).await.unwrap();
    assert_eq!(report.outcome, KillOutcome::GuardMismatch);
    assert_eq!(
        wait_for(&monitor, &t.name, "a fresh poll", |_| true)
            .await
            .waiting()
            .count(),
        4
    );

    // Terminate through the executor, with the pins as the confirmation dialog sends them.
    let exec = PgExecutor::new([t.db.clone()]);
    let request = ActionRequest::KillQuery {
        database: t.name.clone(),
        pid: a,
        backend_start: pin(root.backend_start),
        query_start: root.query_start.map(pin),
        mode: KillMode::Terminate,
    };
    let result = bounded("terminate", exec.execute(&request)).await;
    assert_eq!(result.status, OutcomeStatus::Succeeded, "{}", result.detail);
    for w in chain.waiters {
        let (_, r) = finished(w).await;
        r.unwrap();
    }
    let done = wait_for(&monitor, &t.name, "no waiters", |s| {
        s.waiting().count() == 0
    })
    .await;
    assert!(done.session(a).is_none());
    assert!(chain.a.client.batch_execute("SELECT 1").await.is_err());

    // The same request again: the pid is gone.
    let again = bounded("again", exec.execute(&request)).await;
    assert_eq!(again.status, OutcomeStatus::Ineffective, "{}", again.detail);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_stops_a_running_statement() {
    let Some(t) = test_db("pg_cancel").await else {
        return;
    };
    let monitor = t.monitor().await;
    let s = session(&t.url, "sleeper").await;
    let pid = s.pid;
    let pending = run_blocking(s, "SELECT pg_sleep(60)");
    let snap = wait_for(&monitor, &t.name, "the sleeper", |s| {
        s.session(pid).is_some_and(|x| x.state == "active")
    })
    .await;
    let target = target_of(snap.session(pid).unwrap(), KillMode::Cancel);
    let report = bounded("cancel", kill(&t.db, &target)).await.unwrap();
    assert_eq!(report.outcome, KillOutcome::Signalled);
    let (_, r) = finished(pending).await;
    let e = r.unwrap_err();
    assert_eq!(
        e.code(),
        Some(&tokio_postgres::error::SqlState::QUERY_CANCELED)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn false_with_a_warning_is_told_apart() {
    let Some(t) = test_db("pg_notbackend").await else {
        return;
    };
    // The checkpointer has a pg_stat_activity row but is no backend: the server answers
    // `false` with the WARNING the guard has to read.
    let s = session(&t.url, "probe").await;
    let row = s
        .client
        .query_one(
            "SELECT pid, backend_start FROM pg_stat_activity WHERE backend_type = 'checkpointer'",
            &[],
        )
        .await
        .unwrap();
    let start: std::time::SystemTime = row.get(1);
    let target = KillTarget {
        pid: row.get(0),
        backend_start: jiff::Timestamp::try_from(start).unwrap(),
        query_start: None,
        mode: KillMode::Terminate,
    };
    let report = bounded("terminate", kill(&t.db, &target)).await.unwrap();
    assert_eq!(report.outcome, KillOutcome::AlreadyGone, "{report:?}");
    assert!(
        report
            .notices
            .iter()
            .any(|n| n.contains("not a PostgreSQL backend process")),
        "{report:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_without_pg_signal_backend_is_refused() {
    let Some(t) = test_db("pg_perm").await else {
        return;
    };
    let weak = format!("weak_{}", t.name);
    let other = format!("other_{}", t.name);
    // pg_monitor lets it read every session (so the guard can match); no signalling.
    t.exec(&format!(
        "CREATE ROLE {weak} LOGIN; GRANT pg_monitor TO {weak}; CREATE ROLE {other} LOGIN"
    ))
    .await;
    let victim = session(
        &t.url.replacen("postgres@", &format!("{other}@"), 1),
        "victim",
    )
    .await;
    victim
        .client
        .batch_execute("BEGIN; SELECT 1")
        .await
        .unwrap();
    let boss = session(&t.url, "boss").await;
    boss.client.batch_execute("BEGIN; SELECT 1").await.unwrap();

    let weak_db = t.as_role(&weak);
    let monitor = Monitor::connect(&weak_db, &PgSettings::default())
        .await
        .unwrap();
    let snap = wait_for(&monitor, &t.name, "both sessions", |s| {
        s.session(victim.pid).is_some() && s.session(boss.pid).is_some()
    })
    .await;
    assert_eq!(snap.role.name, weak);
    assert!(!snap.role.superuser && !snap.role.signal_backend && snap.role.read_all_stats);
    let v = snap.session(victim.pid).unwrap().clone();
    let su = snap.session(boss.pid).unwrap().clone();
    assert!(su.superuser && !v.superuser);
    assert!(
        kill_permission(&snap.role, &v)
            .unwrap_err()
            .contains("pg_signal_backend")
    );
    assert!(
        kill_permission(&snap.role, &su)
            .unwrap_err()
            .contains("superuser")
    );

    // Forced anyway: the server refuses with 42501, reported as such.
    for s in [&v, &su] {
        let report = bounded("forced", kill(&weak_db, &target_of(s, KillMode::Terminate)))
            .await
            .unwrap();
        match &report.outcome {
            KillOutcome::PermissionDenied(m) => assert!(m.contains("42501"), "{m}"),
            other => panic!("expected permission denied, got {other:?}"),
        }
    }

    // With pg_signal_backend: other roles yes, superusers still no.
    t.exec(&format!("GRANT pg_signal_backend TO {weak}")).await;
    let snap = wait_for(&monitor, &t.name, "the new privilege", |s| {
        s.role.signal_backend
    })
    .await;
    assert!(kill_permission(&snap.role, &v).is_ok());
    assert!(kill_permission(&snap.role, &su).is_err());
    let report = bounded(
        "allowed",
        kill(&weak_db, &target_of(&v, KillMode::Terminate)),
    )
    .await
    .unwrap();
    assert_eq!(report.outcome, KillOutcome::Signalled);
    assert!(victim.client.batch_execute("SELECT 1").await.is_err());
    boss.client.batch_execute("ROLLBACK").await.unwrap();
}
