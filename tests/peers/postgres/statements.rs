//! Top statements from a `pg_stat_statements` loaded through `shared_preload_libraries`,
//! linked to the running session by query id; and the plain reasons when it is missing.

use opsdeck::model::pg_statements::{Statements, StatementsMissing};
use opsdeck::sources::postgres::{Monitor, PgSettings};

use crate::postgres::common::{bounded, run_blocking, session, test_db, wait_for};
use crate::support::pg::{self, PgCluster};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn top_statements_link_to_the_session_running_them() {
    let Some(t) = test_db("pg_stmts").await else {
        return;
    };
    let monitor = t.monitor().await;
    let first = bounded("poll", monitor.poll()).await.unwrap();
    assert_eq!(
        first.facts.statements,
        Some(Statements::Missing(StatementsMissing::NotInstalled)),
        "not created in this database yet"
    );
    t.exec("CREATE EXTENSION pg_stat_statements").await;
    let busy = session(&t.url, "stmts-busy").await;
    for _ in 0..5 {
        busy.client
            .batch_execute("SELECT count(*) FROM generate_series(1, 20000)")
            .await
            .unwrap();
    }
    // The same statement again, still running while we look.
    let sleeper = session(&t.url, "stmts-sleeper").await;
    sleeper
        .client
        .batch_execute("SELECT pg_sleep(0.01)")
        .await
        .unwrap();
    let sleeper_pid = sleeper.pid;
    // 2.5 is numeric like 0.01: the constant's type is part of the query id.
    let pending = run_blocking(sleeper, "SELECT pg_sleep(2.5)");
    let snap = wait_for(&monitor, &t.name, "the sleep to run", |s| {
        s.session(sleeper_pid)
            .is_some_and(|x| x.query.contains("pg_sleep(2.5)") && x.query_id.is_some())
    })
    .await;
    let Some(Statements::Top { list, unlinked }) = &snap.facts.statements else {
        panic!("no top list: {:?}", snap.facts.statements);
    };
    assert!(!unlinked, "compute_query_id=on");
    let series = list
        .iter()
        .find(|s| s.query.contains("generate_series"))
        .expect("the series query");
    assert!(series.calls >= 5, "{series:?}");
    assert!(series.total_us > 0 && series.mean_us > 0 && series.rows >= 5);
    let sleep = list
        .iter()
        .find(|s| s.query.contains("pg_sleep"))
        .expect("the sleep, normalized");
    assert!(
        sleep.query.contains("$1"),
        "constants normalized: {}",
        sleep.query
    );
    let running: Vec<i32> = sleep
        .running(&snap.sessions)
        .iter()
        .map(|s| s.pid)
        .collect();
    assert_eq!(
        running,
        vec![sleeper_pid],
        "linked by query id: {:?} vs {:?}",
        snap.session(sleeper_pid).map(|s| s.query_id),
        list.iter()
            .map(|s| (s.query_id, &s.query))
            .collect::<Vec<_>>()
    );
    pending.await.unwrap().1.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_preload_the_view_says_so() {
    let cluster = match tokio::task::spawn_blocking(PgCluster::start).await.unwrap() {
        Ok(c) => c,
        Err(e) => {
            let _: Option<()> = pg::unavailable(&e);
            return;
        }
    };
    cluster.psql("CREATE EXTENSION pg_stat_statements").unwrap();
    let db = opsdeck::config::PgDatabase {
        name: "plain".into(),
        dsn: cluster.url("postgres"),
        password: None,
        ssl_password: None,
    };
    let monitor = Monitor::connect(&db, &PgSettings::default()).await.unwrap();
    let snap = bounded("poll", monitor.poll()).await.unwrap();
    assert_eq!(
        snap.facts.statements,
        Some(Statements::Missing(StatementsMissing::NotPreloaded))
    );
}
