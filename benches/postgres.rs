//! What one Postgres refresh costs the server, next to `pg_activity`'s blocking query, at
//! about 30, 500 and 2,000 connections, with the same lock chain in place (an idle-in-
//! transaction row lock, two UPDATEs, a queued ALTER TABLE and five SELECTs behind it).
//!
//! - Server time: `EXPLAIN (ANALYZE, TIMING OFF)` planning + execution time of both
//!   statements of one refresh (sessions with edges and wait ages; role and prepared
//!   transactions), against the same for `pg_activity`'s blocking query. Median of many
//!   samples.
//! - The full refresh (Part 12): every statement opsdeck runs per refresh (sessions, meta,
//!   server header, standbys, slots, the `pg_stat_statements` probe and top list, progress)
//!   against `pg_activity`'s per-refresh queries (server info, WAL senders and receivers,
//!   slots, plus its blocking view or its default running view), server time each, with
//!   opsdeck's statements itemized.
//! - Wall time seen by the client for one `Monitor::poll()` and for the `pg_activity` query.
//! - Client CPU per refresh at 2,000 connections: the process's CPU time over many polls
//!   (tokio-postgres decoding included), and the pure Rust part (rows to sessions, plus
//!   the blocking tree).
//!
//! The server is the test harness's (`tests/support/pg.rs`) with `max_connections=2100`;
//! idle connections are plain tokio-postgres clients. Run with
//! `cargo bench --bench postgres`. The server-side cost grows with connected backends because
//! `pgstat_read_current_status()` (postgres/postgres,
//! `src/backend/utils/activity/backend_status.c`) copies every backend's status slot.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[allow(
    clippy::missing_panics_doc,
    reason = "test support: a panic is how its helpers report a failure"
)]
#[path = "../tests/support/pg.rs"]
pub mod pg;

use std::time::{Duration, Instant};

use futures::StreamExt;
use opsdeck::config::PgDatabase;
use opsdeck::model::pg::blocking_tree;
use opsdeck::sources::postgres::monitor::{META_SQL, session_from_row, sessions_sql};
use opsdeck::sources::postgres::{Monitor, PgSettings};
use tokio_postgres::{Client, NoTls, SimpleQueryMessage};

/// Client backends to measure at.
const LEVELS: [usize; 3] = [30, 500, 2_000];
/// Samples per measurement (the median is reported).
const SAMPLES: usize = 25;
/// Polls over which client CPU is measured.
const CPU_POLLS: u32 = 200;

/// `pg_activity` 3.6.2's blocking query for PostgreSQL 14+ (`dalibo/pg_activity`,
/// `pgactivity/queries/get_blocking_post_140000.sql`), written out here: three `pg_locks`
/// self-joins (same transaction id; same virtual xid; same database and relation), granted
/// holders against ungranted waiters, each joined to `pg_stat_activity`, with a `regclass`
/// cast, the database encoding, grouped, and sorted by duration. `pg_activity` runs it with its
/// duration column set to `query_start`, no minimum duration and no database filter, as here.
const PG_ACTIVITY_BLOCKING: &str = "
SELECT b.pid, b.application_name, b.datname AS database, b.usename, b.client, b.relation,
       b.mode, b.locktype, b.duration, b.state, b.query,
       pg_catalog.pg_encoding_to_char(d.encoding) AS encoding, b.wait_event, b.query_id
  FROM (
    SELECT h.pid, a.application_name, a.query, h.mode, a.datname, a.datid, a.usename,
           a.client_addr AS client, h.locktype,
           extract(epoch FROM now() - a.query_start) AS duration, a.state,
           h.relation::regclass AS relation, a.wait_event, a.query_id
      FROM pg_locks h
      JOIN pg_locks w ON h.transactionid = w.transactionid AND h.locktype = w.locktype
      JOIN pg_stat_activity a ON h.pid = a.pid
     WHERE h.granted AND NOT w.granted
    UNION ALL
    SELECT h.pid, a.application_name, a.query, h.mode, a.datname, a.datid, a.usename,
           a.client_addr, h.locktype,
           extract(epoch FROM now() - a.query_start), a.state,
           h.relation::regclass, a.wait_event, a.query_id
      FROM pg_locks h
      JOIN pg_locks w ON h.virtualxid = w.virtualxid AND h.locktype = w.locktype
      JOIN pg_stat_activity a ON h.pid = a.pid
     WHERE h.granted AND NOT w.granted
    UNION ALL
    SELECT h.pid, a.application_name, a.query, h.mode, a.datname, a.datid, a.usename,
           a.client_addr, h.locktype,
           extract(epoch FROM now() - a.query_start), a.state,
           h.relation::regclass, a.wait_event, a.query_id
      FROM pg_locks h
      JOIN pg_locks w ON h.database = w.database AND h.relation = w.relation
                     AND h.locktype = w.locktype
      JOIN pg_stat_activity a ON h.pid = a.pid
     WHERE h.granted AND NOT w.granted AND w.relation IS NOT NULL
  ) AS b
  LEFT JOIN pg_database d ON b.datid = d.oid
 GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14
 ORDER BY b.duration DESC";

/// `pg_activity`'s other per-refresh queries (`dalibo/pg_activity` at commit f407dcab,
/// `pgactivity/queries/*.sql`), with its placeholders filled as it fills them with no
/// database filter, no minimum duration, database sizes skipped (`skip_db_size`) and
/// `query_start` as the duration column: the server information (connections, TPS and hit
/// counters), the running activities (its default view), the waiting list, and the WAL
/// sender, WAL receiver and replication slot counts.
const PG_ACTIVITY_REFRESH: [(&str, &str); 6] = [
    (
        "server info",
        "WITH dbinfo AS(
        SELECT COALESCE(SUM(sd.xact_commit + sd.xact_rollback)::BIGINT, 0) AS xact_count,
               COALESCE(SUM(sd.xact_commit), 0) AS xact_commit,
               COALESCE(SUM(sd.xact_rollback), 0) AS xact_rollback,
               COALESCE(SUM(tup_inserted)::BIGINT, 0) AS insert,
               COALESCE(SUM(tup_updated)::BIGINT, 0) AS update,
               COALESCE(SUM(tup_deleted)::BIGINT, 0) AS delete,
               COALESCE(CASE WHEN true THEN 0 ELSE SUM(pg_database_size(d.datname)) END, 0)
                 AS total_size,
               COALESCE(SUM(sd.blks_read), 0) AS blks_read,
               COALESCE(SUM(sd.blks_hit), 0) AS blks_hit,
               COALESCE(MAX(LENGTH(d.datname)), 0) AS max_dbname_length,
               current_timestamp - pg_postmaster_start_time() AS uptime,
               EXTRACT(EPOCH FROM NOW()) AS epoch
          FROM pg_database d INNER JOIN pg_stat_database sd ON d.oid = sd.datid
         WHERE NOT (d.datname = 'rdsadmin' AND false)
           AND CASE WHEN NULL IS NULL THEN true ELSE d.datname ~* NULL END
), activity AS (
        SELECT count(*) FILTER( WHERE backend_type = 'client backend' and state = 'active') AS active_connections,
               count(*) FILTER( WHERE backend_type = 'client backend' and state = 'idle') AS idle,
               count(*) FILTER( WHERE backend_type = 'client backend' and state = 'idle in transaction') AS idle_in_transaction,
               count(*) FILTER( WHERE backend_type = 'client backend' and state = 'idle in transaction aborted') AS idle_in_transaction_aborted,
               count(*) FILTER( WHERE backend_type = 'client backend') AS total,
               count(*) FILTER( WHERE wait_event_type = 'Lock') as waiting,
               current_setting('max_connections')::int AS max_connections,
               count(*) FILTER( WHERE backend_type = 'autovacuum worker') AS autovacuum_workers,
               current_setting('autovacuum_max_workers')::int AS autovacuum_max_workers,
               count(*) FILTER( WHERE backend_type = 'logical replication worker') AS logical_replication_workers,
               count(*) FILTER( WHERE backend_type = 'parallel worker') AS parallel_workers,
               current_setting('max_logical_replication_workers')::int AS max_logical_replication_workers,
               current_setting('max_parallel_workers')::int AS max_parallel_workers,
               current_setting('max_worker_processes')::int AS max_worker_processes,
               current_setting('max_wal_senders')::int AS max_wal_senders,
               current_setting('max_replication_slots')::int AS max_replication_slots
          FROM pg_stat_activity
         WHERE CASE WHEN NULL IS NULL THEN true ELSE datname ~* NULL END
)
SELECT * FROM dbinfo, activity",
    ),
    (
        "running",
        "SELECT a.pid AS pid, a.backend_xmin AS xmin, a.application_name AS application_name,
      a.datname AS database, a.client_addr AS client,
      EXTRACT(epoch FROM (NOW() - a.query_start)) AS duration, a.wait_event AS wait,
      a.usename AS user, a.state AS state, a.query AS query,
      pg_catalog.pg_encoding_to_char(b.encoding) AS encoding,
      coalesce(a.leader_pid, a.pid) AS query_leader_pid,
      a.backend_type = 'parallel worker' AS is_parallel_worker, a.query_id
 FROM pg_stat_activity a LEFT OUTER JOIN pg_database b ON a.datid = b.oid
 WHERE a.state <> 'idle' AND a.pid <> pg_catalog.pg_backend_pid()
   AND CASE WHEN 0 = 0 THEN true ELSE extract(epoch from now() - query_start) > 0 END
   AND CASE WHEN NULL IS NULL THEN true ELSE a.datname ~* NULL END
ORDER BY EXTRACT(epoch FROM (NOW() - a.query_start)) DESC",
    ),
    (
        "waiting",
        "SELECT pg_locks.pid AS pid, a.application_name AS application_name,
      a.datname AS database, a.usename AS user, a.client_addr AS client,
      pg_locks.mode AS mode, pg_locks.locktype AS type, pg_locks.relation::regclass AS relation,
      EXTRACT(epoch FROM (NOW() - a.query_start)) AS duration, a.state as state,
      a.query AS query, pg_catalog.pg_encoding_to_char(b.encoding) AS encoding, a.query_id
  FROM pg_catalog.pg_locks
      JOIN pg_catalog.pg_stat_activity a ON(pg_catalog.pg_locks.pid = a.pid)
      LEFT OUTER JOIN pg_database b ON a.datid = b.oid
 WHERE NOT pg_catalog.pg_locks.granted AND a.pid <> pg_backend_pid()
   AND CASE WHEN 0 = 0 THEN true ELSE extract(epoch from now() - query_start) > 0 END
   AND CASE WHEN NULL IS NULL THEN true ELSE a.datname ~* NULL END
ORDER BY EXTRACT(epoch FROM (NOW() - a.query_start)) DESC",
    ),
    (
        "wal senders",
        "SELECT count(*) AS wal_senders FROM pg_stat_replication",
    ),
    (
        "wal receivers",
        "SELECT count(*) AS wal_receivers FROM pg_stat_wal_receiver",
    ),
    (
        "slots",
        "SELECT count(*) AS replication_slots FROM pg_replication_slots",
    ),
];

/// Every statement of one full opsdeck refresh: sessions with the tree's edges, role and
/// prepared transactions, the server header, standbys, slots, the `pg_stat_statements`
/// probe and top list, and progress.
fn opsdeck_refresh(version: i32) -> Vec<(&'static str, String)> {
    use opsdeck::sources::postgres::{replication, server, statements};
    vec![
        ("sessions", sessions_sql(version)),
        ("meta", META_SQL.to_owned()),
        ("header", server::SERVER_SQL.to_owned()),
        ("standbys", replication::standbys_sql()),
        ("slots", replication::slots_sql(version)),
        ("statements probe", statements::PROBE_SQL.to_owned()),
        ("top statements", statements::top_sql(version)),
        ("progress", statements::progress_sql(version)),
    ]
}

async fn connect(url: &str, app: &str) -> Client {
    let (client, connection) =
        tokio_postgres::connect(&format!("{url}?application_name={app}"), NoTls)
            .await
            .unwrap();
    tokio::spawn(async move {
        let _ = connection.await;
    });
    client
}

/// Planning + execution time (ms) of `sql`, measured by the server.
async fn server_ms(client: &Client, sql: &str) -> f64 {
    let explain = format!("EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) {sql}");
    let messages = client.simple_query(&explain).await.unwrap();
    let text = messages
        .iter()
        .find_map(|m| match m {
            SimpleQueryMessage::Row(r) => r.get(0).map(str::to_owned),
            _ => None,
        })
        .unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let plan = &json[0];
    plan["Planning Time"].as_f64().unwrap_or(0.0) + plan["Execution Time"].as_f64().unwrap()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

async fn client_backends(client: &Client) -> i64 {
    client
        .query_one(
            "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'",
            &[],
        )
        .await
        .unwrap()
        .get(0)
}

/// CPU time of this process (all threads), from the scheduler's nanosecond counters.
fn process_cpu() -> Duration {
    let mut total = 0u64;
    if let Ok(tasks) = std::fs::read_dir("/proc/self/task") {
        for task in tasks.flatten() {
            let stat = std::fs::read_to_string(task.path().join("schedstat")).unwrap_or_default();
            total += stat
                .split_whitespace()
                .next()
                .and_then(|n| n.parse::<u64>().ok())
                .unwrap_or(0);
        }
    }
    Duration::from_nanos(total)
}

/// Holds the chain open: A's row lock, B and C's UPDATEs, D's ALTER and five readers.
struct Chain {
    _a: Client,
    _waiters: Vec<tokio::task::JoinHandle<()>>,
}

async fn build_chain(url: &str, probe: &Client) -> Chain {
    probe
        .batch_execute(
            "CREATE TABLE t (id int PRIMARY KEY, v int); INSERT INTO t VALUES (1, 0);
             SET application_name = 'bench-probe'",
        )
        .await
        .unwrap();
    let a = connect(url, "chain-a").await;
    a.batch_execute("BEGIN; UPDATE t SET v = v + 1 WHERE id = 1")
        .await
        .unwrap();
    let mut waiters = Vec::new();
    let mut parts = vec![
        "UPDATE t SET v = v + 10 WHERE id = 1",
        "UPDATE t SET v = v + 100 WHERE id = 1",
        "ALTER TABLE t ADD COLUMN note text",
    ];
    parts.extend(std::iter::repeat_n("SELECT * FROM t", 5));
    for (i, sql) in parts.into_iter().enumerate() {
        let c = connect(url, &format!("chain-{i}")).await;
        waiters.push(tokio::spawn(async move {
            let _ = c.batch_execute(sql).await;
        }));
        // Queue order matters: wait until this one waits before adding the next.
        let want = i64::try_from(i + 1).unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let n: i64 = probe
                .query_one(
                    "SELECT count(*) FROM pg_stat_activity
                      WHERE wait_event_type = 'Lock' AND datname = current_database()",
                    &[],
                )
                .await
                .unwrap()
                .get(0);
            if n >= want {
                break;
            }
            assert!(Instant::now() < deadline, "chain member {i} never waited");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    Chain {
        _a: a,
        _waiters: waiters,
    }
}

struct Row {
    backends: i64,
    ours: f64,
    theirs: f64,
    poll_wall: f64,
    theirs_wall: f64,
    /// The whole refresh (header, replication, statements...) against `pg_activity`'s
    /// whole refresh, with its blocking view and with its default (running) view.
    full: f64,
    theirs_full_blocking: f64,
    theirs_full_running: f64,
    /// Per statement of the full refresh, server ms.
    parts: Vec<(&'static str, f64)>,
}

async fn measure(monitor: &Monitor, probe: &Client) -> Row {
    let version = monitor.server_version_num();
    let sessions = sessions_sql(version);
    let mut ours = Vec::new();
    let mut theirs = Vec::new();
    let mut poll_wall = Vec::new();
    let mut theirs_wall = Vec::new();
    let refresh = opsdeck_refresh(version);
    let mut full = Vec::new();
    let mut theirs_blocking = Vec::new();
    let mut theirs_running = Vec::new();
    let mut parts: Vec<Vec<f64>> = vec![Vec::new(); refresh.len()];
    for _ in 0..SAMPLES {
        let mut total = 0.0;
        for (i, (_, sql)) in refresh.iter().enumerate() {
            let t = server_ms(probe, sql).await;
            parts[i].push(t);
            total += t;
        }
        full.push(total);
        let mut common = 0.0;
        let mut running = 0.0;
        for (name, sql) in PG_ACTIVITY_REFRESH {
            let t = server_ms(probe, sql).await;
            match name {
                "running" => running = t,
                "waiting" => {}
                _ => common += t,
            }
        }
        theirs_running.push(common + running);
        theirs_blocking.push(common + server_ms(probe, PG_ACTIVITY_BLOCKING).await);

        // One refresh: the two statements the monitor runs.
        let t = server_ms(probe, &sessions).await + server_ms(probe, META_SQL).await;
        ours.push(t);
        theirs.push(server_ms(probe, PG_ACTIVITY_BLOCKING).await);

        let started = Instant::now();
        monitor.poll().await.unwrap();
        poll_wall.push(started.elapsed().as_secs_f64() * 1e3);
        let started = Instant::now();
        probe.simple_query(PG_ACTIVITY_BLOCKING).await.unwrap();
        theirs_wall.push(started.elapsed().as_secs_f64() * 1e3);
    }
    Row {
        backends: client_backends(probe).await,
        ours: median(ours),
        theirs: median(theirs),
        poll_wall: median(poll_wall),
        theirs_wall: median(theirs_wall),
        full: median(full),
        theirs_full_blocking: median(theirs_blocking),
        theirs_full_running: median(theirs_running),
        parts: refresh
            .iter()
            .zip(parts)
            .map(|((name, _), v)| (*name, median(v)))
            .collect(),
    }
}

/// Client CPU per refresh, and the pure Rust part of it.
async fn client_cpu(monitor: &Monitor) -> (Duration, Duration, usize) {
    monitor.poll().await.unwrap();
    let before = process_cpu();
    for _ in 0..CPU_POLLS {
        let snapshot = monitor.poll().await.unwrap();
        std::hint::black_box(blocking_tree(&snapshot));
    }
    let per_poll = process_cpu().checked_sub(before).unwrap() / CPU_POLLS;

    let rows = monitor
        .client()
        .query(&sessions_sql(monitor.server_version_num()), &[])
        .await
        .unwrap();
    let snapshot = monitor.poll().await.unwrap();
    let rounds = 2_000u32;
    let started = Instant::now();
    for _ in 0..rounds {
        let sessions: Vec<_> = rows.iter().map(|r| session_from_row(r).unwrap()).collect();
        std::hint::black_box(&sessions);
        std::hint::black_box(blocking_tree(&snapshot));
    }
    (per_poll, started.elapsed() / rounds, rows.len())
}

/// The full-refresh table: opsdeck's every statement against `pg_activity`'s refresh.
fn print_full(rows: &[Row]) {
    println!();
    println!(
        "Full refresh, server time (ms): opsdeck = sessions + meta + header + standbys + slots \
         + statements + progress; pg_activity = server info + wal senders/receivers + slots \
         + its blocking view (or its running view)"
    );
    println!(
        "{:>9} | {:>8} | {:>22} | {:>6} | {:>21} | {:>6}",
        "backends", "opsdeck", "pg_activity (blocking)", "ratio", "pg_activity (running)", "ratio"
    );
    for r in rows {
        println!(
            "{:>9} | {:>8.2} | {:>22.2} | {:>6.2} | {:>21.2} | {:>6.2}",
            r.backends,
            r.full,
            r.theirs_full_blocking,
            r.full / r.theirs_full_blocking,
            r.theirs_full_running,
            r.full / r.theirs_full_running
        );
    }
    if let Some(r) = rows.last() {
        let parts: Vec<String> = r
            .parts
            .iter()
            .map(|(name, ms)| format!("{name} {ms:.2}"))
            .collect();
        println!(
            "opsdeck's statements at {} backends (ms): {}",
            r.backends,
            parts.join(", ")
        );
    }
}

async fn run(url: String) {
    let db = PgDatabase {
        name: "bench".into(),
        dsn: url.clone(),
        password: None,
        ssl_password: None,
    };
    let probe = connect(&url, "bench-probe").await;
    // Statements to rank: the extension (preloaded by `main`) and a few hundred entries.
    probe
        .batch_execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        .await
        .unwrap();
    for i in 0..300 {
        probe
            .batch_execute(&format!(
                "SELECT {i} AS c{i}, count(*) FROM generate_series(1, 10)"
            ))
            .await
            .unwrap();
    }
    let _chain = build_chain(&url, &probe).await;
    let monitor = Monitor::connect(&db, &PgSettings::default()).await.unwrap();
    let mut idle: Vec<Client> = Vec::new();
    let mut rows = Vec::new();
    for level in LEVELS {
        let have = usize::try_from(client_backends(&probe).await).unwrap();
        let missing = level.saturating_sub(have);
        let opened: Vec<Client> = futures::stream::iter(0..missing)
            .map(|_| connect(&url, "bench-idle"))
            .buffer_unordered(16)
            .collect()
            .await;
        idle.extend(opened);
        let row = measure(&monitor, &probe).await;
        eprintln!(
            "{} backends: ours {:.2} ms, pg_activity {:.2} ms",
            row.backends, row.ours, row.theirs
        );
        rows.push(row);
    }
    let (per_poll, rust_part, returned) = client_cpu(&monitor).await;

    println!();
    println!("Server time per refresh (EXPLAIN ANALYZE planning + execution, median of {SAMPLES})");
    println!(
        "{:>9} | {:>14} | {:>19} | {:>11} | {:>15} | {:>17}",
        "backends", "opsdeck (ms)", "pg_activity (ms)", "ratio", "opsdeck wall", "pg_activity wall"
    );
    println!("{}", "-".repeat(99));
    for r in &rows {
        println!(
            "{:>9} | {:>14.2} | {:>19.2} | {:>11.2} | {:>12.2} ms | {:>14.2} ms",
            r.backends,
            r.ours,
            r.theirs,
            r.ours / r.theirs,
            r.poll_wall,
            r.theirs_wall
        );
    }
    println!();
    println!(
        "Client CPU per refresh at {} backends: {:.0} µs (process, {CPU_POLLS} polls); \
         rows -> sessions + blocking tree: {:.1} µs for {returned} rows",
        rows.last().map_or(0, |r| r.backends),
        per_poll.as_secs_f64() * 1e6,
        rust_part.as_secs_f64() * 1e6
    );
    print_full(&rows);
    if let Some(r) = rows.last() {
        let ratio = r.ours / r.theirs;
        println!(
            "Ratio opsdeck / pg_activity at {} backends: {ratio:.2} (target <= 0.50): {}",
            r.backends,
            if ratio <= 0.5 { "met" } else { "NOT met" }
        );
    }
    drop(idle);
}

fn main() {
    // `cargo test --benches` runs this with `--bench` absent: stay quick there.
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("postgres bench: run with `cargo bench --bench postgres`");
        return;
    }
    let cluster = match pg::PgCluster::start_with(&[
        "max_connections=2100",
        "shared_preload_libraries=pg_stat_statements",
        "compute_query_id=on",
    ]) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("SKIP postgres bench: PostgreSQL cannot start: {e}");
            return;
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let url = cluster.fresh_database("bench_pg");
    rt.block_on(run(url));
    drop(cluster);
}
