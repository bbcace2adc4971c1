//! Replication against a real primary and a streaming standby made with `pg_basebackup
//! -R` (`tests/support/pg.rs`, `PgCluster::standby`): the standby's lag per stage and its
//! slot as the primary reports them, a forgotten inactive slot that retains WAL, and the
//! standby's own view (in recovery, replay behind receipt).

use opsdeck::config::PgDatabase;
use opsdeck::model::pg_replication::Replication;
use opsdeck::sources::postgres::{Monitor, PgSettings};

use crate::postgres::common::{PATIENCE, SETTINGS, bounded, session};
use crate::support::pg::{self, PgCluster};

fn database(cluster: &PgCluster, name: &str) -> PgDatabase {
    PgDatabase {
        name: name.into(),
        dsn: cluster.url("postgres"),
        password: None,
        ssl_password: None,
    }
}

async fn until(monitor: &Monitor, what: &str, ok: impl Fn(&Replication) -> bool) -> Replication {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let last = monitor.poll().await.ok().and_then(|s| s.facts.replication);
        if let Some(r) = &last
            && ok(r)
        {
            return r.clone();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}; last: {last:#?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streaming_standby_and_slots_are_reported_on_both_sides() {
    let started = tokio::task::spawn_blocking(|| {
        let primary = PgCluster::start_with(SETTINGS)?;
        let standby = primary.standby("replica1", SETTINGS)?;
        Ok::<_, String>((primary, standby))
    })
    .await
    .unwrap();
    let (primary, standby) = match started {
        Ok(pair) => pair,
        Err(e) => {
            let _: Option<()> = pg::unavailable(&e);
            return;
        }
    };
    // A slot nobody reads: it keeps every WAL byte written after it.
    primary
        .psql("SELECT pg_create_physical_replication_slot('forgotten', true)")
        .unwrap();
    let writer = session(&primary.url("postgres"), "repl-writer").await;
    writer
        .client
        .batch_execute(
            "CREATE TABLE t (id int, pad text);
             INSERT INTO t SELECT g, repeat('x', 200) FROM generate_series(1, 20000) g",
        )
        .await
        .unwrap();

    let on_primary = Monitor::connect(&database(&primary, "primary"), &PgSettings::default())
        .await
        .unwrap();
    let r = bounded(
        "the standby to stream",
        until(&on_primary, "a streaming standby", |r| {
            r.standbys.iter().any(|s| s.state == "streaming")
        }),
    )
    .await;
    assert!(!r.in_recovery);
    let s = &r.standbys[0];
    assert_eq!(s.name, "replica1", "its cluster_name");
    assert_eq!(s.sync_state, "async");
    assert!(s.total_bytes.is_some_and(|b| b >= 0), "{s:?}");
    let active = r
        .slots
        .iter()
        .find(|x| x.name == "replica1")
        .expect("its slot");
    assert!(active.active && active.kind == "physical");
    let forgotten = r.slots.iter().find(|x| x.name == "forgotten").unwrap();
    assert!(!forgotten.active);
    assert!(
        forgotten.retained_bytes.is_some_and(|b| b > 4_000_000),
        "20k rows of WAL kept: {forgotten:?}"
    );
    assert_eq!(forgotten.wal_status.as_deref(), Some("reserved"));
    assert_eq!(r.inactive_slots().count(), 1);
    assert!(
        r.summary().contains("1 inactive slot keeps"),
        "{}",
        r.summary()
    );

    // Caught up: the standby has replayed everything the primary wrote.
    let caught_up = bounded(
        "the standby to catch up",
        until(&on_primary, "replay to reach the primary", |r| {
            r.standbys.first().and_then(|s| s.total_bytes) == Some(0)
        }),
    )
    .await;
    assert_eq!(caught_up.standbys[0].replay_bytes, Some(0));

    // The standby's own view.
    let on_standby = Monitor::connect(&database(&standby, "standby"), &PgSettings::default())
        .await
        .unwrap();
    let r = bounded(
        "the standby's view",
        until(&on_standby, "recovery", |r| r.in_recovery),
    )
    .await;
    assert!(r.standbys.is_empty());
    assert!(r.replay_behind_bytes.is_some_and(|b| b >= 0));
    assert!(r.summary().starts_with("standby: replay"));
    let snap = on_standby.poll().await.unwrap();
    assert!(
        snap.facts.server.is_some(),
        "the header works on a standby too"
    );
    drop(standby);

    base_backup_progress(&primary, &on_primary).await;
}

/// A throttled base backup of `primary` shows in the progress list with its WAL sender.
async fn base_backup_progress(primary: &PgCluster, on_primary: &Monitor) {
    // A base backup in progress shows with its WAL sender's pid.
    let (mut backup, _dir) = primary.slow_base_backup().unwrap();
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let progress = loop {
        let snap = on_primary.poll().await.unwrap();
        if let Some(p) = snap
            .facts
            .progress
            .iter()
            .find(|p| p.command == "base backup")
        {
            break p.clone();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no base backup progress"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert!(
        progress.pid > 0 && !progress.phase.is_empty(),
        "{progress:?}"
    );
    assert!(progress.label().starts_with("base backup"));
    let _ = backup.kill();
    let _ = backup.wait();
}
