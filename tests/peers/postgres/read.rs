//! The read side beyond the sessions: hard and soft blocking from real lock queues, and the
//! server header's figures (every backend counted, rates from two samples).

use opsdeck::model::pg::blocking_tree;

use crate::postgres::common::{
    bounded, finished, run_blocking, session, test_db, wait_for, wait_waiting,
};

/// The lock-queue pile-up: A holds SHARE; B queues for ACCESS EXCLUSIVE behind A; C wants
/// ROW EXCLUSIVE, which A's SHARE blocks (hard) and B's earlier request blocks too (soft).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[expect(
    clippy::many_single_char_names,
    reason = "the sessions are A, B and C, as the doc names them"
)]
async fn a_lock_queue_pile_up_tells_hard_from_soft_and_shows_c_once() {
    let Some(t) = test_db("pg_queue").await else {
        return;
    };
    t.exec("CREATE TABLE t (id int PRIMARY KEY, v int); INSERT INTO t VALUES (1, 0)")
        .await;
    let monitor = t.monitor().await;
    let a = session(&t.url, "queue-a").await;
    a.client
        .batch_execute("BEGIN; LOCK TABLE t IN SHARE MODE")
        .await
        .unwrap();
    let b = session(&t.url, "queue-b").await;
    let b_pid = b.pid;
    let pb = run_blocking(b, "BEGIN; LOCK TABLE t IN ACCESS EXCLUSIVE MODE");
    wait_waiting(&monitor, &t.name, b_pid).await;
    let c = session(&t.url, "queue-c").await;
    let c_pid = c.pid;
    let pc = run_blocking(c, "UPDATE t SET v = 1 WHERE id = 1");
    let snap = wait_for(&monitor, &t.name, "C blocked by A and B", |s| {
        s.session(c_pid).is_some_and(|s| s.blocked_by.len() == 2)
    })
    .await;

    let cs = snap.session(c_pid).unwrap();
    assert!(cs.blocked_by.contains(&a.pid) && cs.blocked_by.contains(&b_pid));
    assert_eq!(cs.soft_blockers, vec![b_pid], "queued behind B, held by A");
    assert!(
        snap.session(b_pid).unwrap().soft_blockers.is_empty(),
        "A holds what B wants"
    );

    let tree = blocking_tree(&snap);
    let shape: Vec<(i32, usize, bool, bool)> = tree
        .iter()
        .map(|l| (l.pid, l.depth, l.pointer, l.soft))
        .collect();
    assert_eq!(
        shape,
        vec![
            (a.pid, 0, false, false),
            (b_pid, 1, false, false),
            (c_pid, 2, true, true),
            (c_pid, 1, false, false),
        ],
        "C in full under A (hard), a pointer under B (soft)"
    );
    assert_eq!(tree[2].shown_under, Some(a.pid));
    assert_eq!(tree[2].edge_label(), "□ queued");
    assert_eq!(tree[3].edge_label(), "■ held");

    a.client.batch_execute("ROLLBACK").await.unwrap();
    let (b, r) = finished(pb).await;
    r.unwrap();
    // B got its lock and holds it in its open transaction until it ends.
    b.client.batch_execute("ROLLBACK").await.unwrap();
    finished(pc).await.1.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_header_counts_every_backend_and_rates_come_from_two_samples() {
    let Some(t) = test_db("pg_header").await else {
        return;
    };
    let monitor = t.monitor().await;
    // Idle sessions are not in the sessions list, but they count against max_connections.
    let mut idle = Vec::new();
    for i in 0..5 {
        idle.push(session(&t.url, &format!("header-idle-{i}")).await);
    }
    let tx = session(&t.url, "header-idle-tx").await;
    tx.client.batch_execute("BEGIN; SELECT 1").await.unwrap();
    let first = wait_for(&monitor, &t.name, "the idle-in-transaction session", |s| {
        s.sessions
            .iter()
            .any(opsdeck::model::pg::PgSession::is_idle_in_transaction)
    })
    .await;
    let server = first.facts.server.clone().expect("server figures");
    assert_eq!(server.max_connections, 200, "the harness's setting");
    assert_eq!(
        server.reserved_connections, 3,
        "superuser_reserved_connections"
    );
    let mine = server
        .databases
        .iter()
        .find(|d| d.name == t.name)
        .expect("this database");
    assert!(mine.backends >= 7, "5 idle + idle-tx + monitor: {mine:?}");
    assert!(
        first.sessions.iter().all(|s| !s.state.eq("idle")),
        "the list still leaves idle sessions out"
    );
    assert!(server.connections.idle >= 5 && server.connections.idle_in_transaction >= 1);
    assert!(server.connections.total > server.connections.idle);
    assert!(mine.oldest_xact.is_some(), "the open transaction");
    assert!(mine.frozen_xid_age > 0);
    assert!(
        mine.oldest_xmin_age.is_some(),
        "the open transaction holds an xmin"
    );

    // Commit some transactions, then a second sample gives a rate.
    for _ in 0..20 {
        idle[0].client.batch_execute("SELECT 1").await.unwrap();
    }
    // Backends flush their counters to the shared stats about once a second when idle.
    let commits = server.xact_commit;
    let second = wait_for(&monitor, &t.name, "the commits to be counted", |s| {
        s.facts
            .server
            .as_ref()
            .is_some_and(|x| x.xact_commit >= commits + 20)
    })
    .await;
    let rates = bounded("rates", async {
        second.facts.server.as_ref().unwrap().rates_since(&server)
    })
    .await
    .expect("counters only grow");
    assert!(rates.tps > 0.0, "{rates:?}");
    assert!(rates.hit_ratio.is_none_or(|h| (0.0..=100.0).contains(&h)));
    tx.client.batch_execute("ROLLBACK").await.unwrap();
}
