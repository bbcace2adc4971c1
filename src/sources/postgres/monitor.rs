//! The sessions source: one observer connection per database, polled on a cadence.
//!
//! Each refresh runs two autocommit statements:
//!
//! 1. the sessions: non-idle client backends plus every blocker (idle ones included), with
//!    the blocking edges. This is the reference's Q3 with one change, measured in
//!    `benches/postgres.rs`: the waiters come from `pg_locks` (`NOT granted`, one row per
//!    waiting backend) instead of a second `pg_stat_activity` scan. Every reference to
//!    `pg_stat_activity` builds a row for every connected backend, which is the whole cost at
//!    2,000 connections, while `pg_locks` costs about the same at any size. The same
//!    `pg_locks` read gives the PG14+ `waitstart`, and `pg_blocking_pids` still runs only
//!    for waiting backends;
//! 2. the monitoring role's privileges, the server version and clock, and
//!    `pg_prepared_xacts` (pid 0 in the tree), in one row per prepared transaction;
//! 3. the server-wide figures of [`super::server`] (every backend counted, rates'
//!    counters, horizons). Its failure does not fail the refresh: the sessions still show,
//!    the header says the figures are missing.
//!
//! The tree itself is built in Rust by [`crate::model::pg::blocking_tree`].

use std::time::{Duration, SystemTime};

use jiff::Timestamp;
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until, timeout};
use tokio_postgres::error::SqlState;
use tokio_postgres::{CancelToken, Client, Row, Statement};

use super::{Connected, MONITOR_APP, connect, error_text};
use crate::config::PgDatabase;
use crate::model::SourceHealth;
use crate::model::clean;
use crate::model::pg::{PgRole, PgSession, PgSnapshot, PreparedXact, QUERY_CHARS, clean_query};
use crate::sources::{Control, Reporter, SourceBody, SourceEvent, SourceHandle, SourceId, backoff};

/// Refresh cadence and the timeouts derived from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PgSettings {
    refresh: Duration,
}

impl PgSettings {
    pub const DEFAULT_REFRESH: Duration = Duration::from_secs(2);
    pub const MIN_REFRESH: Duration = Duration::from_millis(500);
    pub const MAX_REFRESH: Duration = Duration::from_secs(10);

    /// `refresh` is clamped to 0.5–10 s (`pg_activity` offers 0.5–5 s, pganalyze samples
    /// every 10 s).
    #[must_use]
    pub fn new(refresh: Duration) -> Self {
        Self {
            refresh: refresh.clamp(Self::MIN_REFRESH, Self::MAX_REFRESH),
        }
    }

    #[must_use]
    pub fn refresh(&self) -> Duration {
        self.refresh
    }

    /// Three quarters of the refresh interval (1.5 s at the default 2 s, as the reference
    /// suggests), so a slow statement ends before the next tick is due.
    #[must_use]
    pub fn statement_timeout(&self) -> Duration {
        (self.refresh * 3 / 4).clamp(Duration::from_millis(250), Duration::from_secs(5))
    }

    /// When the client gives up on a poll the server should already have cancelled: the
    /// server or the network is stuck, and the poll is aborted with a `CancelToken`.
    #[must_use]
    pub fn poll_deadline(&self) -> Duration {
        self.statement_timeout() + Duration::from_millis(500)
    }
}

impl Default for PgSettings {
    fn default() -> Self {
        Self::new(Self::DEFAULT_REFRESH)
    }
}

/// The sessions statement (Q3 of the reference, waiters read from `pg_locks`). Versions
/// before 13 have no `leader_pid`, before 14 no `waitstart`.
#[must_use]
pub fn sessions_sql(server_version_num: i32) -> String {
    let leader = if server_version_num >= 130_000 {
        "a.leader_pid"
    } else {
        "NULL::int"
    };
    let (wait_col, wait_start, query_id) = if server_version_num >= 140_000 {
        ("waitstart", "min(waitstart)", "a.query_id")
    } else {
        ("NULL::timestamptz", "NULL::timestamptz", "NULL::int8")
    };
    // A backend waits for at most one heavyweight lock, so `NOT granted` rows name exactly
    // the `wait_event_type = 'Lock'` backends. Prepared transactions never wait (pid NULL).
    // `q`: a blocker that itself waits, ungranted, for the same lock tag and holds nothing
    // on it is one the waiter is only queued behind (soft blocking); it comes from the same
    // single `pg_locks` read, joined on the tag as text so the join can hash.
    format!(
        "WITH l AS MATERIALIZED (
  SELECT pid, granted, {wait_col} AS waitstart,
         concat_ws('/', locktype, database, relation, page, tuple, virtualxid,
                   transactionid, classid, objid, objsubid) AS tag
    FROM pg_locks WHERE pid IS NOT NULL),
w AS (
  SELECT pid, pg_blocking_pids(pid) AS blocked_by, {wait_start} AS wait_start,
         min(tag) AS tag
    FROM l WHERE NOT granted GROUP BY pid),
q AS (
  SELECT w.pid, array_agg(DISTINCT o.pid) AS queued_behind
    FROM w JOIN l o ON o.tag = w.tag AND o.pid <> w.pid AND NOT o.granted
   WHERE o.pid = ANY (w.blocked_by)
     AND NOT EXISTS (SELECT 1 FROM l h WHERE h.tag = w.tag AND h.pid = o.pid AND h.granted)
   GROUP BY w.pid)
SELECT a.pid, {leader} AS leader_pid, a.backend_type, a.usename::text AS usename,
       a.application_name,
       CASE WHEN a.client_port = -1 THEN 'local' ELSE host(a.client_addr) END AS client,
       a.datname::text AS datname, a.state, a.wait_event_type, a.wait_event,
       a.backend_start, a.xact_start, a.query_start, a.state_change,
       left(a.query, {QUERY_CHARS}) AS query, {query_id} AS query_id,
       w.blocked_by, q.queued_behind, w.wait_start,
       COALESCE((SELECT r.rolsuper FROM pg_roles r WHERE r.oid = a.usesysid), false)
         AS superuser
  FROM pg_stat_activity a LEFT JOIN w USING (pid) LEFT JOIN q USING (pid)
 WHERE a.pid <> pg_backend_pid()
   AND ((a.backend_type IN ('client backend', 'parallel worker', 'autovacuum worker')
         AND a.state <> 'idle')
        OR a.pid IN (SELECT unnest(w.blocked_by) FROM w))
 ORDER BY a.pid"
    )
}

/// The monitoring role, the server's version and clock, and the prepared transactions (one
/// row each, or one row of NULLs).
pub const META_SQL: &str = "SELECT current_user::text AS me,
       COALESCE((SELECT rolsuper FROM pg_roles WHERE rolname = current_user), false)
         AS superuser,
       pg_has_role('pg_signal_backend', 'MEMBER') AS signal_backend,
       pg_has_role('pg_read_all_stats', 'MEMBER') AS read_all_stats,
       current_setting('server_version_num')::int AS version,
       clock_timestamp() AS taken_at,
       p.gid, p.prepared, p.owner::text AS owner, p.database::text AS database
  FROM (SELECT 1) AS one LEFT JOIN pg_prepared_xacts p ON true
 ORDER BY p.prepared";

fn to_ts(t: SystemTime) -> Timestamp {
    Timestamp::try_from(t).unwrap_or(Timestamp::UNIX_EPOCH)
}

fn col<'a, T: tokio_postgres::types::FromSql<'a>>(row: &'a Row, name: &str) -> Result<T, String> {
    row.try_get(name)
        .map_err(|e| format!("column {name}: {}", error_text(&e)))
}

fn text(row: &Row, name: &str) -> Result<String, String> {
    Ok(col::<Option<String>>(row, name)?
        .map(|s| clean(&s))
        .unwrap_or_default())
}

fn opt_text(row: &Row, name: &str) -> Result<Option<String>, String> {
    Ok(col::<Option<String>>(row, name)?.map(|s| clean(&s)))
}

fn opt_ts(row: &Row, name: &str) -> Result<Option<Timestamp>, String> {
    Ok(col::<Option<SystemTime>>(row, name)?.map(to_ts))
}

/// One row of [`sessions_sql`] as a session; every string is sanitized here.
pub fn session_from_row(row: &Row) -> Result<PgSession, String> {
    let mut blocked_by = col::<Option<Vec<i32>>>(row, "blocked_by")?.unwrap_or_default();
    // Parallel query reports a blocking leader once per member it blocks. The server's
    // order is kept: the tree puts a waiter's full line under its first (hard) blocker.
    let mut seen = std::collections::BTreeSet::new();
    blocked_by.retain(|b| seen.insert(*b));
    let mut soft_blockers = col::<Option<Vec<i32>>>(row, "queued_behind")?.unwrap_or_default();
    soft_blockers.retain(|b| blocked_by.contains(b));
    Ok(PgSession {
        pid: col(row, "pid")?,
        leader_pid: col(row, "leader_pid")?,
        backend_type: text(row, "backend_type")?,
        user: opt_text(row, "usename")?,
        application: text(row, "application_name")?,
        client: text(row, "client")?,
        database: text(row, "datname")?,
        state: text(row, "state")?,
        wait_event_type: opt_text(row, "wait_event_type")?,
        wait_event: opt_text(row, "wait_event")?,
        // A NULL here (never for client backends) can never match a guard: safe.
        backend_start: opt_ts(row, "backend_start")?.unwrap_or(Timestamp::UNIX_EPOCH),
        xact_start: opt_ts(row, "xact_start")?,
        query_start: opt_ts(row, "query_start")?,
        state_change: opt_ts(row, "state_change")?,
        query: clean_query(&col::<Option<String>>(row, "query")?.unwrap_or_default()),
        blocked_by,
        soft_blockers,
        query_id: col(row, "query_id")?,
        superuser: col(row, "superuser")?,
        wait_start: opt_ts(row, "wait_start")?,
    })
}

/// What [`META_SQL`] returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    pub role: PgRole,
    pub server_version_num: i32,
    pub taken_at: Timestamp,
    pub prepared: Vec<PreparedXact>,
}

/// Reads [`META_SQL`]'s rows.
pub fn meta_from_rows(rows: &[Row]) -> Result<Meta, String> {
    let first = rows.first().ok_or("no role row")?;
    let role = PgRole {
        name: text(first, "me")?,
        superuser: col(first, "superuser")?,
        signal_backend: col::<Option<bool>>(first, "signal_backend")?.unwrap_or(false),
        read_all_stats: col::<Option<bool>>(first, "read_all_stats")?.unwrap_or(false),
    };
    let mut prepared = Vec::new();
    for row in rows {
        let Some(gid) = col::<Option<String>>(row, "gid")? else {
            continue;
        };
        prepared.push(PreparedXact {
            gid: clean(&gid),
            prepared: opt_ts(row, "prepared")?.unwrap_or(Timestamp::UNIX_EPOCH),
            owner: text(row, "owner")?,
            database: text(row, "database")?,
        });
    }
    Ok(Meta {
        role,
        server_version_num: col(first, "version")?,
        taken_at: col::<SystemTime>(first, "taken_at").map(to_ts)?,
        prepared,
    })
}

/// The observer connection of one database.
#[derive(Debug)]
pub struct Monitor {
    database: String,
    conn: Connected,
    version: i32,
    sessions: Statement,
    meta: Statement,
    server: Statement,
    standbys: Statement,
    slots: Statement,
    progress: Statement,
}

impl Monitor {
    /// Connects as `application_name = 'opsdeck'` with the observer timeouts, and prepares
    /// the statements once for the connection's lifetime.
    pub async fn connect(db: &PgDatabase, settings: &PgSettings) -> Result<Self, String> {
        let conn = connect(db, MONITOR_APP, settings.statement_timeout()).await?;
        let fail = |e: tokio_postgres::Error| format!("database {}: {}", db.name, error_text(&e));
        let version: i32 = conn
            .client
            .query_one("SELECT current_setting('server_version_num')::int", &[])
            .await
            .map_err(fail)?
            .try_get(0)
            .map_err(fail)?;
        if version < 100_000 {
            return Err(format!(
                "database {}: PostgreSQL {} is too old; opsdeck needs 10 or newer",
                db.name,
                version / 10_000
            ));
        }
        let sessions = conn
            .client
            .prepare(&sessions_sql(version))
            .await
            .map_err(fail)?;
        let meta = conn.client.prepare(META_SQL).await.map_err(fail)?;
        let server = conn
            .client
            .prepare(super::server::SERVER_SQL)
            .await
            .map_err(fail)?;
        let standbys = conn
            .client
            .prepare(&super::replication::standbys_sql())
            .await
            .map_err(fail)?;
        let slots = conn
            .client
            .prepare(&super::replication::slots_sql(version))
            .await
            .map_err(fail)?;
        let progress = conn
            .client
            .prepare(&super::statements::progress_sql(version))
            .await
            .map_err(fail)?;
        Ok(Self {
            database: db.name.clone(),
            conn,
            version,
            sessions,
            meta,
            server,
            standbys,
            slots,
            progress,
        })
    }

    /// The client, e.g. for [`super::locks_of`] on this connection.
    #[must_use]
    pub fn client(&self) -> &Client {
        &self.conn.client
    }

    #[must_use]
    pub fn server_version_num(&self) -> i32 {
        self.version
    }

    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.conn.client.is_closed()
    }

    #[must_use]
    pub fn cancel_token(&self) -> CancelToken {
        self.conn.client.cancel_token()
    }

    /// The TLS connector a cancel request for this connection uses (the server checks the
    /// request's connection like any other: `hostssl` rules apply to it too).
    #[must_use]
    pub fn cancel_tls(&self) -> crate::tls::postgres::PgConnector {
        self.conn.tls.connector()
    }

    /// Changes the connection's `statement_timeout` (after a cadence change).
    pub async fn set_statement_timeout(&self, timeout: Duration) -> Result<(), String> {
        self.conn
            .client
            .batch_execute(&format!(
                "SET statement_timeout = '{}ms'",
                timeout.as_millis()
            ))
            .await
            .map_err(|e| error_text(&e))
    }

    /// One refresh.
    pub async fn poll(&self) -> Result<PgSnapshot, String> {
        let client = &self.conn.client;
        let rows = client
            .query(&self.sessions, &[])
            .await
            .map_err(|e| self.poll_error(&e))?;
        let sessions = rows
            .iter()
            .map(session_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        let rows = client
            .query(&self.meta, &[])
            .await
            .map_err(|e| self.poll_error(&e))?;
        let meta = meta_from_rows(&rows)?;
        let server = match client.query(&self.server, &[]).await {
            Ok(rows) => super::server::server_from_rows(&rows)
                .inspect_err(
                    |e| tracing::warn!(database = %self.database, error = %e, "server figures"),
                )
                .ok(),
            Err(e) => {
                tracing::warn!(database = %self.database, error = %self.poll_error(&e), "server figures");
                None
            }
        };
        let replication = self.replication().await;
        let statements = super::statements::read_statements(client, self.version).await;
        let progress = match client.query(&self.progress, &[]).await {
            Ok(rows) => super::statements::progress_from_rows(&rows)
                .inspect_err(|e| tracing::warn!(database = %self.database, error = %e, "progress"))
                .unwrap_or_default(),
            Err(e) => {
                tracing::warn!(database = %self.database, error = %self.poll_error(&e), "progress");
                Vec::new()
            }
        };
        Ok(PgSnapshot {
            database: self.database.clone(),
            server_version_num: meta.server_version_num,
            taken_at: meta.taken_at,
            sessions,
            prepared: meta.prepared,
            role: meta.role,
            facts: crate::model::pg_server::PgFacts {
                server,
                replication,
                statements: Some(statements),
                progress,
            },
        })
    }

    /// The replication figures; a failure leaves them out (and says so in the log) rather
    /// than failing the refresh.
    async fn replication(&self) -> Option<crate::model::pg_replication::Replication> {
        let client = &self.conn.client;
        let read = async {
            let standbys = client
                .query(&self.standbys, &[])
                .await
                .map_err(|e| self.poll_error(&e))?;
            let slots = client
                .query(&self.slots, &[])
                .await
                .map_err(|e| self.poll_error(&e))?;
            super::replication::replication_from_rows(&standbys, &slots)
        };
        read.await
            .inspect_err(
                |e| tracing::warn!(database = %self.database, error = %e, "replication figures"),
            )
            .ok()
    }

    fn poll_error(&self, e: &tokio_postgres::Error) -> String {
        let why = match e.code() {
            Some(c) if *c == SqlState::LOCK_NOT_AVAILABLE => format!(
                "refresh skipped: a catalog it reads is locked (lock_timeout {} ms)",
                super::LOCK_TIMEOUT.as_millis()
            ),
            Some(c) if *c == SqlState::QUERY_CANCELED => {
                "refresh cancelled: slower than its statement_timeout".to_owned()
            }
            _ => error_text(e),
        };
        format!("database {}: {why}", self.database)
    }
}

/// Starts the sessions source of one database.
#[must_use]
pub fn spawn(
    db: PgDatabase,
    settings: PgSettings,
    generation: u64,
    events: mpsc::Sender<SourceEvent>,
) -> SourceHandle {
    let (control_tx, control_rx) = mpsc::channel::<Control>(8);
    let reporter = Reporter::new(SourceId::Postgres, generation, events);
    let task = tokio::spawn(run(db, settings, reporter, control_rx));
    SourceHandle::new(SourceId::Postgres, control_tx, task)
}

/// How one poll attempt ended.
enum Attempt {
    /// Boxed: a snapshot with its server facts is large next to the error.
    Done(Result<Box<PgSnapshot>, String>),
    /// Not even the cancel request ended it: drop the connection.
    Stuck(String),
}

/// Polls once, connecting first if needed. A poll runs to completion before the loop
/// looks at the clock again, so ticks that fall inside it are skipped, never stacked.
async fn poll_once(
    db: &PgDatabase,
    settings: &PgSettings,
    slot: &mut Option<Monitor>,
) -> Result<PgSnapshot, String> {
    if slot.as_ref().is_some_and(Monitor::is_closed) {
        *slot = None;
    }
    let monitor = match slot {
        Some(m) => m,
        None => slot.insert(Monitor::connect(db, settings).await?),
    };
    let deadline = settings.poll_deadline();
    let attempt = {
        let poll = monitor.poll();
        tokio::pin!(poll);
        match timeout(deadline, &mut poll).await {
            Ok(result) => Attempt::Done(result.map(Box::new)),
            Err(_) => {
                // The server should have ended it at statement_timeout; ask it again out of
                // band, then give the answer a moment to arrive.
                let token = monitor.cancel_token();
                let tls = monitor.cancel_tls();
                let _ = timeout(Duration::from_secs(2), token.cancel_query(tls)).await;
                match timeout(Duration::from_secs(1), &mut poll).await {
                    Ok(Ok(snapshot)) => Attempt::Done(Ok(Box::new(snapshot))),
                    Ok(Err(e)) => Attempt::Done(Err(format!(
                        "{e} (aborted after {} ms)",
                        deadline.as_millis()
                    ))),
                    Err(_) => Attempt::Stuck(format!(
                        "database {}: no answer within {} ms, even after a cancel; reconnecting",
                        db.name,
                        deadline.as_millis()
                    )),
                }
            }
        }
    };
    match attempt {
        Attempt::Done(result) => {
            if result.is_err() && monitor.is_closed() {
                *slot = None;
            }
            result.map(|b| *b)
        }
        Attempt::Stuck(message) => {
            *slot = None;
            Err(message)
        }
    }
}

async fn run(
    db: PgDatabase,
    mut settings: PgSettings,
    reporter: Reporter,
    mut control: mpsc::Receiver<Control>,
) {
    let mut monitor: Option<Monitor> = None;
    // The connection's statement_timeout follows the cadence; set again after a change.
    let mut retime = false;
    let mut paused = false;
    let mut next = Instant::now();
    let mut failures: u32 = 0;
    let mut failing_since: Option<Timestamp> = None;
    let mut last_good: Option<Timestamp> = None;
    loop {
        tokio::select! {
            () = sleep_until(next), if !paused => {}
            msg = control.recv() => {
                match msg {
                    None => return,
                    Some(Control::Refresh) => next = Instant::now(),
                    // A database's sessions are not narrowed by service: the scope decides
                    // which databases have a source at all. Logs and trace searches are
                    // other sources' business.
                    Some(Control::SetScope(_) | Control::Logs(_) | Control::TraceSearch(_)) => {}
                    Some(Control::SetInterval(interval)) => {
                        let new = PgSettings::new(interval);
                        retime |= new.statement_timeout() != settings.statement_timeout();
                        settings = new;
                        next = Instant::now();
                    }
                    Some(Control::Pause(p)) => {
                        paused = p;
                        if !p {
                            next = Instant::now();
                        }
                    }
                }
                continue;
            }
        }
        let started = Instant::now();
        if retime
            && let Some(m) = &monitor
            && let Err(e) = m.set_statement_timeout(settings.statement_timeout()).await
        {
            tracing::warn!(database = %db.name, error = %e, "cannot change statement_timeout; reconnecting");
            monitor = None;
        }
        retime = false;
        let result = poll_once(&db, &settings, &mut monitor).await;
        let now = Timestamp::now();
        let alive = match result {
            Ok(snapshot) => {
                failures = 0;
                failing_since = None;
                last_good = Some(now);
                reporter
                    .send(SourceBody::Postgres(std::sync::Arc::new(snapshot)))
                    .await
                    && reporter.health(SourceHealth::Ok { at: now }).await
            }
            Err(message) => {
                failures = failures.saturating_add(1);
                let since = *failing_since.get_or_insert(now);
                tracing::warn!(database = %db.name, %message, "postgres poll failed");
                reporter
                    .health(SourceHealth::Error {
                        message,
                        since,
                        last_good,
                    })
                    .await
            }
        };
        if !alive {
            return;
        }
        // Connected: keep the cadence (a lock_timeout skip is not a reason to slow down).
        // Not connected: back off, 1 s doubling to 30 s.
        let wait = if failures > 0 && monitor.is_none() {
            backoff(failures - 1)
        } else {
            settings.refresh()
        };
        next = started + wait;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_clamp_and_derive_timeouts() {
        let d = PgSettings::default();
        assert_eq!(d.refresh(), Duration::from_secs(2));
        assert_eq!(d.statement_timeout(), Duration::from_millis(1500));
        assert!(d.poll_deadline() < d.refresh() + Duration::from_secs(1));
        let fast = PgSettings::new(Duration::from_millis(100));
        assert_eq!(fast.refresh(), PgSettings::MIN_REFRESH);
        assert!(fast.statement_timeout() < fast.refresh());
        let slow = PgSettings::new(Duration::from_mins(1));
        assert_eq!(slow.refresh(), PgSettings::MAX_REFRESH);
        assert!(slow.statement_timeout() < slow.refresh());
    }

    #[test]
    fn older_servers_get_no_leader_pid() {
        assert!(sessions_sql(150_000).contains("a.leader_pid"));
        assert!(sessions_sql(150_000).contains("min(waitstart)"));
        assert!(sessions_sql(120_000).contains("NULL::int AS leader_pid"));
        assert!(sessions_sql(130_000).contains("NULL::timestamptz AS wait_start"));
        // The hot poll stays catalog-free apart from the role flag: no regclass, no sizes,
        // and pg_stat_activity is built once.
        let sql = sessions_sql(150_000);
        assert!(!sql.contains("regclass") && !sql.contains("pg_relation_size"));
        assert_eq!(sql.matches("pg_stat_activity").count(), 1);
    }
}
