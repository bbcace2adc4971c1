//! The blocking tree built from real `pg_blocking_pids` edges.

use opsdeck::model::pg::{BlockingLine, PREPARED_PID, blocking_tree};
use opsdeck::sources::postgres::{Monitor, fetch_locks, locks_of};
use tokio::task::JoinHandle;
use tokio_postgres::Error;

use crate::postgres::common::{
    Session, TestDb, bounded, finished, run_blocking, session, test_db, wait_for, wait_waiting,
};

type Pending = JoinHandle<(Session, Result<(), Error>)>;

/// The classic outage: A holds a row lock in an open transaction; B and C update the same
/// row; D queues an ALTER TABLE; E's SELECT waits behind D.
pub struct Chain {
    pub a: Session,
    pub pids: [i32; 5],
    pub waiters: Vec<Pending>,
}

pub async fn build_chain(t: &TestDb, monitor: &Monitor) -> Chain {
    t.exec("CREATE TABLE t (id int PRIMARY KEY, v int); INSERT INTO t VALUES (1, 0)")
        .await;
    let a = session(&t.url, "chain-a").await;
    a.client
        .batch_execute("BEGIN; UPDATE t SET v = v + 1 WHERE id = 1")
        .await
        .unwrap();
    let mut pids = [a.pid, 0, 0, 0, 0];
    let mut waiters = Vec::new();
    let parts: [(&str, &'static str); 4] = [
        ("chain-b", "UPDATE t SET v = v + 10 WHERE id = 1"),
        ("chain-c", "UPDATE t SET v = v + 100 WHERE id = 1"),
        ("chain-d", "ALTER TABLE t ADD COLUMN note text"),
        ("chain-e", "SELECT * FROM t"),
    ];
    // One at a time, each only once the previous one waits: the queue order is the point.
    for (i, (app, sql)) in parts.into_iter().enumerate() {
        let s = session(&t.url, app).await;
        pids[i + 1] = s.pid;
        waiters.push(run_blocking(s, sql));
        wait_waiting(monitor, &t.name, pids[i + 1]).await;
    }
    Chain { a, pids, waiters }
}

fn lines_of(tree: &[BlockingLine], pid: i32) -> Vec<&BlockingLine> {
    tree.iter().filter(|l| l.pid == pid).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[expect(
    clippy::many_single_char_names,
    reason = "the five sessions are A to E, as `Chain`'s doc names them"
)]
async fn chain_roots_depth_and_counts() {
    let Some(t) = test_db("pg_chain").await else {
        return;
    };
    let monitor = t.monitor().await;
    let chain = bounded("building the chain", build_chain(&t, &monitor)).await;
    let [a, b, c, d, e] = chain.pids;
    let snap = wait_for(&monitor, &t.name, "four waiters", |s| {
        s.waiting().count() == 4
    })
    .await;

    let root = snap.session(a).unwrap();
    assert_eq!(root.state, "idle in transaction");
    assert!(!root.is_waiting_on_lock());
    assert_eq!(snap.session(b).unwrap().blocked_by, vec![a]);
    assert_eq!(
        snap.session(c).unwrap().blocked_by,
        vec![b],
        "tuple lock queues behind B"
    );
    let mut d_by = snap.session(d).unwrap().blocked_by.clone();
    d_by.sort_unstable();
    let mut abc = vec![a, b, c];
    abc.sort_unstable();
    assert_eq!(d_by, abc, "ROW EXCLUSIVE holders all block the ALTER");
    assert_eq!(
        snap.session(e).unwrap().blocked_by,
        vec![d],
        "soft block by the queue"
    );
    assert!(
        snap.session(b).unwrap().wait_start.is_some(),
        "PG14+ waitstart"
    );
    assert!(snap.server_version_num >= 100_000);

    let tree = blocking_tree(&snap);
    let roots: Vec<i32> = tree
        .iter()
        .filter(|l| l.depth == 0)
        .map(|l| l.pid)
        .collect();
    assert_eq!(roots, vec![a]);
    assert_eq!(tree[0].blocks_direct, 2, "B and D wait on A directly");
    assert_eq!(tree[0].blocks_total, 4);
    assert_eq!(lines_of(&tree, b)[0].blocks_total, 3);
    let d_lines = lines_of(&tree, d);
    assert_eq!(d_lines.len(), 3, "D under A, B and C");
    assert_eq!(
        d_lines.iter().filter(|l| !l.pointer).count(),
        1,
        "D in full once, pointers elsewhere"
    );
    assert!(
        d_lines.iter().all(|l| l.shown_under == Some(a)),
        "under A, its first blocker"
    );
    // A, B and C hold ROW EXCLUSIVE, which D wants (hard); B holds the tuple lock C waits
    // for (hard); E only queues behind D's ACCESS EXCLUSIVE request (soft).
    assert!(
        snap.session(e).unwrap().soft_blockers == vec![d],
        "E queues behind D"
    );
    assert!(
        snap.session(c).unwrap().soft_blockers.is_empty(),
        "B holds the tuple lock"
    );
    assert!(snap.session(d).unwrap().soft_blockers.is_empty());
    assert!(lines_of(&tree, e).iter().all(|l| l.soft));
    assert!(lines_of(&tree, b).iter().all(|l| !l.soft));
    assert!(lines_of(&tree, e).iter().all(|l| l.blocks_total == 0));
    // D's full line hangs under A, so the deepest line is C's pointer to D.
    assert_eq!(tree.iter().map(|l| l.depth).max(), Some(3), "A B C →D");
    assert!(tree.iter().all(|l| !l.gone && !l.cycle));

    // Release and let everything finish.
    chain.a.client.batch_execute("ROLLBACK").await.unwrap();
    for w in chain.waiters {
        let (_, r) = finished(w).await;
        r.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_with_two_blockers_appears_under_both() {
    let Some(t) = test_db("pg_two").await else {
        return;
    };
    t.exec("CREATE TABLE t (id int PRIMARY KEY, v int); INSERT INTO t VALUES (1, 0)")
        .await;
    let monitor = t.monitor().await;
    let x = session(&t.url, "two-x").await;
    let y = session(&t.url, "two-y").await;
    for s in [&x, &y] {
        // SHARE is compatible with itself, so both hold it at once.
        s.client
            .batch_execute("BEGIN; LOCK TABLE t IN SHARE MODE")
            .await
            .unwrap();
    }
    let w = session(&t.url, "two-w").await;
    let w_pid = w.pid;
    let pending = run_blocking(w, "UPDATE t SET v = 1 WHERE id = 1");
    let snap = wait_for(&monitor, &t.name, "W blocked by both", |s| {
        s.session(w_pid).is_some_and(|s| s.blocked_by.len() == 2)
    })
    .await;
    let tree = blocking_tree(&snap);
    let roots: Vec<i32> = tree
        .iter()
        .filter(|l| l.depth == 0)
        .map(|l| l.pid)
        .collect();
    let mut expected = vec![x.pid, y.pid];
    expected.sort_unstable();
    assert_eq!(roots, expected, "equal totals: by pid");
    let under: Vec<_> = lines_of(&tree, w_pid);
    assert_eq!(under.len(), 2);
    assert!(under.iter().all(|l| l.depth == 1 && l.last));
    assert_eq!(
        under.iter().filter(|l| l.pointer).count(),
        1,
        "once in full"
    );
    for s in [&x, &y] {
        s.client.batch_execute("ROLLBACK").await.unwrap();
    }
    finished(pending).await.1.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_advisory_lock_holder_is_a_root_with_its_locks() {
    let Some(t) = test_db("pg_adv").await else {
        return;
    };
    let monitor = t.monitor().await;
    let h = session(&t.url, "adv-holder").await;
    // Session-level: held after the statement ends, with the session plain `idle`.
    h.client
        .batch_execute("SELECT pg_advisory_lock(42)")
        .await
        .unwrap();
    let w1 = session(&t.url, "adv-w1").await;
    let w1_pid = w1.pid;
    let p1 = run_blocking(w1, "SELECT pg_advisory_lock(42)");
    wait_waiting(&monitor, &t.name, w1_pid).await;
    let w2 = session(&t.url, "adv-w2").await;
    let w2_pid = w2.pid;
    let p2 = run_blocking(w2, "SELECT pg_advisory_lock(42)");
    let snap = wait_waiting(&monitor, &t.name, w2_pid).await;

    let holder = snap
        .session(h.pid)
        .expect("an idle blocker is still listed");
    assert_eq!(holder.state, "idle");
    assert_eq!(
        snap.session(w1_pid).unwrap().wait_event.as_deref(),
        Some("advisory")
    );
    let tree = blocking_tree(&snap);
    assert_eq!(tree[0].pid, h.pid);
    assert_eq!(tree[0].blocks_total, 2);
    assert!(tree.iter().all(|l| l.depth == 0 || l.pid != h.pid));

    let held = bounded("locks", locks_of(monitor.client(), h.pid))
        .await
        .unwrap();
    assert!(
        held.iter()
            .any(|l| l.locktype == "advisory" && l.granted && l.detail == "key 42"),
        "{held:#?}"
    );
    let wanted = bounded("locks", fetch_locks(&t.db, w1_pid)).await.unwrap();
    let wait = wanted.iter().find(|l| !l.granted).expect("an awaited lock");
    assert_eq!(wait.locktype, "advisory");
    assert_eq!(wait.mode, "ExclusiveLock");
    assert!(wait.wait_start.is_some());

    // Unlock: W1 gets it, and W2 once W1's session ends.
    h.client
        .batch_execute("SELECT pg_advisory_unlock(42)")
        .await
        .unwrap();
    let (w1, r) = finished(p1).await;
    r.unwrap();
    drop(w1);
    finished(p2).await.1.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prepared_transaction_is_pid_zero() {
    let Some(t) = test_db("pg_2pc").await else {
        return;
    };
    t.exec("CREATE TABLE t (id int PRIMARY KEY, v int); INSERT INTO t VALUES (1, 0)")
        .await;
    let monitor = t.monitor().await;
    let gid = format!("opsdeck-{}", t.name);
    let p = session(&t.url, "twophase").await;
    p.client
        .batch_execute(&format!(
            "BEGIN; UPDATE t SET v = 5 WHERE id = 1; PREPARE TRANSACTION '{gid}'"
        ))
        .await
        .unwrap();
    let w = session(&t.url, "twophase-w").await;
    let w_pid = w.pid;
    let pending = run_blocking(w, "UPDATE t SET v = 6 WHERE id = 1");
    let snap = wait_waiting(&monitor, &t.name, w_pid).await;
    assert_eq!(snap.session(w_pid).unwrap().blocked_by, vec![PREPARED_PID]);
    assert!(
        snap.prepared
            .iter()
            .any(|x| x.gid == gid && x.owner == "postgres")
    );
    let tree = blocking_tree(&snap);
    assert_eq!(tree[0].pid, PREPARED_PID);
    assert!(!tree[0].gone);
    assert_eq!(tree[0].blocks_total, 1);

    p.client
        .batch_execute(&format!("ROLLBACK PREPARED '{gid}'"))
        .await
        .unwrap();
    finished(pending).await.1.unwrap();
}
