//! Observer safety: one monitoring connection per database, polls that never queue behind
//! a lock, and the source's cadence controls.

use std::time::{Duration, Instant};

use opsdeck::config::PgDatabase;
use opsdeck::model::SourceHealth;
use opsdeck::sources::postgres::{Monitor, PgSettings, locks_of, spawn};
use opsdeck::sources::{Control, SourceBody, SourceEvent};
use tokio::sync::mpsc;

use crate::postgres::common::{
    SETTINGS, bounded, only, run_blocking, session, test_db, wait_waiting,
};
use crate::support::pg::{self, PgCluster};

/// Next snapshot of `datname` from the source's events (health events are skipped).
async fn next_snapshot(
    rx: &mut mpsc::Receiver<SourceEvent>,
) -> std::sync::Arc<opsdeck::model::pg::PgSnapshot> {
    loop {
        let event = bounded("a snapshot", rx.recv())
            .await
            .expect("source alive");
        if let SourceBody::Postgres(s) = event.body {
            return s;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_monitor_connection_per_database_and_pause_freezes() {
    let Some(t) = test_db("pg_one").await else {
        return;
    };
    let (tx, mut rx) = mpsc::channel(64);
    let handle = spawn(
        t.db.clone(),
        PgSettings::new(Duration::from_millis(500)),
        7,
        tx,
    );
    let first = next_snapshot(&mut rx).await;
    assert_eq!(first.database, t.name);
    // Other tests' monitors may be mid-poll in their databases: look at ours only.
    let mine = only((*first).clone(), &t.name);
    assert!(
        mine.sessions.iter().all(|s| s.application != "opsdeck"),
        "the monitor filters itself out"
    );
    // Refresh requests pile up faster than polls finish: polls never stack.
    for _ in 0..20 {
        handle.send(Control::Refresh);
    }
    for _ in 0..3 {
        next_snapshot(&mut rx).await;
    }
    let probe = session(&t.url, "probe").await;
    let count: i64 = probe
        .client
        .query_one(
            "SELECT count(*) FROM pg_stat_activity
              WHERE application_name = 'opsdeck' AND datname = current_database()",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(count, 1);

    // Pause: nothing more arrives; resume: a snapshot comes at once.
    handle.send(Control::Pause(true));
    tokio::time::sleep(Duration::from_millis(300)).await;
    while rx.try_recv().is_ok() {}
    let quiet = tokio::time::timeout(Duration::from_millis(1_500), rx.recv()).await;
    assert!(quiet.is_err(), "paused source sent {quiet:?}");
    handle.send(Control::Pause(false));
    let resumed = next_snapshot(&mut rx).await;
    assert!(resumed.taken_at > first.taken_at);
    // The cadence can change at run time.
    handle.send(Control::SetInterval(Duration::from_secs(1)));
    next_snapshot(&mut rx).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_user_table_does_not_slow_the_poll() {
    let Some(t) = test_db("pg_locked").await else {
        return;
    };
    t.exec("CREATE TABLE t (id int PRIMARY KEY)").await;
    let monitor = t.monitor().await;
    let locker = session(&t.url, "locker").await;
    locker
        .client
        .batch_execute("BEGIN; LOCK TABLE t IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let reader = session(&t.url, "reader").await;
    let reader_pid = reader.pid;
    let pending = run_blocking(reader, "SELECT * FROM t");
    wait_waiting(&monitor, &t.name, reader_pid).await;

    let started = Instant::now();
    let snap = only(monitor.poll().await.unwrap(), &t.name);
    let took = started.elapsed();
    assert!(took < Duration::from_millis(500), "poll took {took:?}");
    assert_eq!(
        snap.session(reader_pid).unwrap().blocked_by,
        vec![locker.pid]
    );
    // Naming the relation reads pg_class, never the locked table itself.
    let started = Instant::now();
    let locks = locks_of(monitor.client(), reader_pid).await.unwrap();
    assert!(started.elapsed() < Duration::from_millis(500));
    assert!(
        locks
            .iter()
            .any(|l| !l.granted && l.relation.as_deref() == Some("public.t")),
        "{locks:#?}"
    );
    locker.client.batch_execute("ROLLBACK").await.unwrap();
    crate::postgres::common::finished(pending).await.1.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_catalog_or_a_frozen_backend_never_hangs_the_poll() {
    // A cluster of its own: holding pg_authid would stall every new connection of the
    // tests sharing the other one, and a stopped backend is better kept away from them.
    let cluster = match tokio::task::spawn_blocking(|| PgCluster::start_with(SETTINGS))
        .await
        .unwrap()
    {
        Ok(c) => c,
        Err(e) => {
            pg::unavailable::<()>(&e);
            return;
        }
    };
    let url = cluster.url("postgres");
    let db = opsdeck::config::PgDatabase {
        name: "postgres".into(),
        dsn: url.clone(),
        password: None,
        ssl_password: None,
    };
    let monitor = Monitor::connect(&db, &PgSettings::default()).await.unwrap();
    monitor.poll().await.unwrap();
    let locker = session(&url, "catalog-locker").await;
    // pg_stat_activity joins pg_authid for usename: exactly what a careless poll queues on.
    locker
        .client
        .batch_execute("BEGIN; LOCK TABLE pg_catalog.pg_authid IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let started = Instant::now();
    let result = bounded("poll", monitor.poll()).await;
    let took = started.elapsed();
    let err = result.expect_err("the poll must give up, not wait");
    assert!(err.contains("lock_timeout"), "{err}");
    assert!(took < Duration::from_secs(1), "gave up after {took:?}");
    locker.client.batch_execute("ROLLBACK").await.unwrap();
    monitor
        .poll()
        .await
        .expect("recovers once the lock is gone");
    drop(monitor);

    // A backend that stops answering altogether (SIGSTOP: not even statement_timeout or
    // a cancel request can end the statement) costs one deadline, then the source drops
    // the connection and reconnects.
    let (tx, mut rx) = mpsc::channel(64);
    let _handle = spawn(db, PgSettings::new(Duration::from_millis(500)), 1, tx);
    next_health(&mut rx, |h| matches!(h, SourceHealth::Ok { .. })).await;
    let probe = session(&url, "probe").await;
    let monitor_pid = wait_count(&probe, 1).await;
    signal(monitor_pid, "STOP");
    let started = Instant::now();
    let failed = next_health(&mut rx, |h| matches!(h, SourceHealth::Error { .. })).await;
    let took = started.elapsed();
    signal(monitor_pid, "CONT");
    let SourceHealth::Error { message, .. } = failed else {
        unreachable!()
    };
    assert!(message.contains("reconnecting"), "{message}");
    assert!(
        took < Duration::from_secs(6),
        "stuck poll gave up after {took:?}"
    );
    next_health(&mut rx, |h| matches!(h, SourceHealth::Ok { .. })).await;
    // The frozen backend exits once resumed: one monitoring connection again.
    let new_pid = wait_count(&probe, 1).await;
    assert_ne!(new_pid, monitor_pid);
    drop(cluster);
}

/// Next health event that satisfies `want` (snapshots and other health are skipped).
async fn next_health(
    rx: &mut mpsc::Receiver<SourceEvent>,
    want: impl Fn(&SourceHealth) -> bool,
) -> SourceHealth {
    loop {
        let event = bounded("health", rx.recv()).await.unwrap();
        if let SourceBody::Health(h) = event.body
            && want(&h)
        {
            return h;
        }
    }
}

/// Waits until exactly `n` monitoring connections exist; returns the newest one's pid.
async fn wait_count(probe: &crate::postgres::common::Session, n: i64) -> i32 {
    bounded("monitor connections", async {
        loop {
            let row = probe
                .client
                .query_one(
                    "SELECT count(*), max(pid) FROM pg_stat_activity
                      WHERE application_name = 'opsdeck'",
                    &[],
                )
                .await
                .unwrap();
            if row.get::<_, i64>(0) == n {
                return row.get::<_, i32>(1);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
}

fn signal(pid: i32, sig: &str) {
    let status = std::process::Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(pid.to_string())
        .status()
        .unwrap();
    assert!(status.success(), "kill -{sig} {pid}");
}

/// Backend errors carry their kind: a missing database is `NotFound`, a role the server does
/// not know is `Auth`, a closed port is `Unreachable`; the message keeps the server's words.
#[tokio::test]
async fn backend_errors_are_typed_by_kind() {
    use opsdeck::model::error::ErrorKind;
    use opsdeck::sources::backend::PgBackend;
    use opsdeck::sources::postgres::backend::RealPg;
    let Some(t) = test_db("kinds").await else {
        return;
    };
    let missing = PgDatabase {
        name: "missing".into(),
        dsn: t
            .url
            .replacen(&format!("/{}", t.name), "/no_such_database", 1),
        password: None,
        ssl_password: None,
    };
    let stranger = PgDatabase {
        name: "stranger".into(),
        ..t.as_role("no_such_role")
    };
    let closed = PgDatabase {
        name: "closed".into(),
        dsn: "postgresql://postgres@127.0.0.1:1/postgres".into(),
        password: None,
        ssl_password: None,
    };
    let pg = RealPg::new(vec![missing, stranger, closed]);
    let kind = async |db: &str| pg.locks(db, 1).await.expect_err("fails").kind;
    assert_eq!(kind("missing").await, ErrorKind::NotFound);
    assert_eq!(kind("stranger").await, ErrorKind::Auth);
    assert_eq!(kind("closed").await, ErrorKind::Unreachable);
    let unknown = pg
        .locks("not-configured", 1)
        .await
        .expect_err("not configured");
    assert_eq!(unknown.kind, ErrorKind::NotFound);
    assert!(unknown.message.contains("not-configured"), "{unknown}");
}
