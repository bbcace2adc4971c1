//! The guarded cancel and terminate (postgres/postgres, src/backend/storage/ipc/signalfuncs.c),
//! on a short-lived connection of their own so a kill never waits behind, or disturbs, the
//! monitor's poll.
//!
//! A pid alone is never signalled: the statement only matches the backend that started at
//! the `backend_start` the user saw (and, for cancel, the statement that started at
//! `query_start`), so a recycled pid or the session's next statement is never hit. Every
//! answer the server can give is told apart, because `true` only means "signal sent":
//!
//! | server answer | outcome |
//! |---|---|
//! | no row | [`KillOutcome::GuardMismatch`]: nothing sent |
//! | `true` | [`KillOutcome::Signalled`] (terminate with a timeout: it exited) |
//! | `false` + WARNING "not a PostgreSQL backend process" | [`KillOutcome::AlreadyGone`] |
//! | `false` + WARNING "did not terminate within" | [`KillOutcome::Timeout`] |
//! | ERROR 42501 | [`KillOutcome::PermissionDenied`] with the message |
//! | cancel sent to a session running no statement | [`KillOutcome::Ineffective`] |

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::future::Future;
use std::time::{Duration, SystemTime};

use jiff::Timestamp;
use tokio_postgres::error::SqlState;

use super::{Connected, KILL_APP, connect, error_text};
use crate::actions::{ActionRequest, ExecResult, Executor, KillMode};
use crate::config::PgDatabase;
use crate::model::clean;
use crate::model::pg::{KillOutcome, parse_pin};

/// How long `pg_terminate_backend` waits for the process to exit (PG14+).
pub const TERMINATE_WAIT_MS: i64 = 5_000;

/// The kill connection's `statement_timeout`: above the terminate wait.
pub(crate) const KILL_STATEMENT_TIMEOUT: Duration = Duration::from_secs(10);

/// Exactly which backend (and statement) to signal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KillTarget {
    pub pid: i32,
    pub backend_start: Timestamp,
    /// Pins the statement for a cancel; `None` matches a session that never ran one.
    pub query_start: Option<Timestamp>,
    pub mode: KillMode,
}

impl KillTarget {
    /// The database name and target of an `ActionRequest::KillQuery`, whose timestamps are
    /// [`crate::model::pg::pin`] strings.
    pub fn from_request(request: &ActionRequest) -> Result<(String, Self), String> {
        let ActionRequest::KillQuery {
            database,
            pid,
            backend_start,
            query_start,
            mode,
        } = request
        else {
            return Err(format!(
                "{} is not a PostgreSQL action",
                request.action_name()
            ));
        };
        let target = Self {
            pid: *pid,
            backend_start: parse_pin(backend_start)?,
            query_start: query_start.as_deref().map(parse_pin).transpose()?,
            mode: *mode,
        };
        Ok((database.clone(), target))
    }
}

/// What a kill did, with what the server said besides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KillReport {
    pub outcome: KillOutcome,
    /// WARNINGs and other notices the statement raised, sanitized.
    pub notices: Vec<String>,
    /// For a cancel: the session's state read just before signalling.
    pub state_before: Option<String>,
}

impl KillReport {
    /// The audit outcome: status from [`KillOutcome::status`], and a sentence with the
    /// server's own words when it said something.
    #[must_use]
    pub fn exec_result(&self, target: &KillTarget) -> ExecResult {
        let mut detail = self.outcome.message(target.mode, target.pid);
        if let Some(state) = &self.state_before
            && self.outcome == KillOutcome::Ineffective
        {
            let _ = write!(detail, " (state: {state})");
        }
        if !self.notices.is_empty() {
            let _ = write!(detail, "; server: {}", self.notices.join("; "));
        }
        ExecResult {
            status: self.outcome.status(),
            detail,
        }
    }
}

fn guard_sql(mode: KillMode, server_version_num: i32) -> &'static str {
    match mode {
        // Pinning query_start too: the session's *next* statement must not be cancelled.
        KillMode::Cancel => {
            "SELECT pg_cancel_backend(pid) FROM pg_stat_activity
              WHERE pid = $1 AND backend_start = $2 AND query_start IS NOT DISTINCT FROM $3"
        }
        KillMode::Terminate if server_version_num >= 140_000 => {
            "SELECT pg_terminate_backend(pid, $3) FROM pg_stat_activity
              WHERE pid = $1 AND backend_start = $2"
        }
        KillMode::Terminate => {
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
              WHERE pid = $1 AND backend_start = $2"
        }
    }
}

const STATE_SQL: &str = "SELECT state FROM pg_stat_activity
  WHERE pid = $1 AND backend_start = $2 AND query_start IS NOT DISTINCT FROM $3";

/// Reads `false` with the notices the server sent alongside it.
fn interpret_false(mode: KillMode, notices: &[String]) -> KillOutcome {
    let said = |needle: &str| notices.iter().any(|n| n.contains(needle));
    if said("not a PostgreSQL backend process") || said("could not send signal") {
        KillOutcome::AlreadyGone
    } else if mode == KillMode::Terminate {
        // "did not terminate within N milliseconds", or its existence could not be checked:
        // either way it may still be running.
        KillOutcome::Timeout
    } else {
        KillOutcome::AlreadyGone
    }
}

/// Signals `target` on `db`, on a connection of its own (`application_name =
/// 'opsdeck-kill'`). `Err` means the question could not be asked (no connection, ...);
/// every answer the server gives is a [`KillReport`].
pub async fn kill(db: &PgDatabase, target: &KillTarget) -> Result<KillReport, String> {
    let conn = connect(db, KILL_APP, KILL_STATEMENT_TIMEOUT).await?;
    kill_on(&conn, target)
        .await
        .map_err(|e| format!("database {}: {e}", db.name))
}

/// [`kill`] on an open connection (tests use this to force a kill as a weaker role).
pub async fn kill_on(conn: &Connected, target: &KillTarget) -> Result<KillReport, String> {
    let client = &conn.client;
    let version: i32 = client
        .query_one("SELECT current_setting('server_version_num')::int", &[])
        .await
        .and_then(|r| r.try_get(0))
        .map_err(|e| error_text(&e))?;
    let backend_start = SystemTime::from(target.backend_start);
    let query_start = target.query_start.map(SystemTime::from);
    let mut state_before = None;
    if target.mode == KillMode::Cancel {
        let rows = client
            .query(STATE_SQL, &[&target.pid, &backend_start, &query_start])
            .await
            .map_err(|e| error_text(&e))?;
        let Some(row) = rows.first() else {
            return Ok(KillReport {
                outcome: KillOutcome::GuardMismatch,
                notices: vec![],
                state_before: None,
            });
        };
        state_before = Some(
            row.try_get::<_, Option<String>>(0)
                .map_err(|e| error_text(&e))?
                .map(|s| clean(&s))
                .unwrap_or_default(),
        );
    }
    // Only what this statement raises counts.
    let _ = conn.notices.take();
    let sql = guard_sql(target.mode, version);
    let wait = TERMINATE_WAIT_MS;
    let result = match (target.mode, version >= 140_000) {
        (KillMode::Cancel, _) => {
            client
                .query(sql, &[&target.pid, &backend_start, &query_start])
                .await
        }
        (KillMode::Terminate, true) => {
            client
                .query(sql, &[&target.pid, &backend_start, &wait])
                .await
        }
        (KillMode::Terminate, false) => client.query(sql, &[&target.pid, &backend_start]).await,
    };
    let notices: Vec<String> = conn
        .notices
        .take()
        .iter()
        .map(|n| clean(n.message()))
        .collect();
    let rows = match result {
        Ok(rows) => rows,
        Err(e) if e.code() == Some(&SqlState::INSUFFICIENT_PRIVILEGE) => {
            return Ok(KillReport {
                outcome: KillOutcome::PermissionDenied(error_text(&e)),
                notices,
                state_before,
            });
        }
        Err(e) => return Err(error_text(&e)),
    };
    let outcome = match rows.first() {
        None => KillOutcome::GuardMismatch,
        Some(row) => match row.try_get::<_, Option<bool>>(0) {
            Ok(Some(true)) => {
                // A cancel reaches a backend reading its next command and is dropped there
                // (`ProcessInterrupts`: "if we are reading a command from the client, just
                // ignore the cancel request"). Idle in transaction keeps its locks.
                let idle = state_before
                    .as_deref()
                    .is_some_and(|s| !matches!(s, "active" | "fastpath function call"));
                if target.mode == KillMode::Cancel && idle {
                    KillOutcome::Ineffective
                } else {
                    KillOutcome::Signalled
                }
            }
            Ok(_) => interpret_false(target.mode, &notices),
            Err(e) => return Err(error_text(&e)),
        },
    };
    Ok(KillReport {
        outcome,
        notices,
        state_before,
    })
}

/// Runs admitted `KillQuery` actions against the configured databases.
#[derive(Debug, Clone, Default)]
pub struct PgExecutor {
    databases: BTreeMap<String, PgDatabase>,
}

impl PgExecutor {
    #[must_use]
    pub fn new(databases: impl IntoIterator<Item = PgDatabase>) -> Self {
        Self {
            databases: databases.into_iter().map(|d| (d.name.clone(), d)).collect(),
        }
    }
}

impl Executor for PgExecutor {
    fn execute(&self, request: &ActionRequest) -> impl Future<Output = ExecResult> + Send {
        let request = request.clone();
        let this = self.clone();
        async move {
            let databases = &this.databases;
            match &request {
                ActionRequest::BulkKill {
                    database,
                    mode,
                    targets,
                } => match databases.get(database) {
                    Some(db) => super::bulk_kill::exec_result(
                        &super::bulk_kill::bulk_kill(db, *mode, targets).await,
                    ),
                    None => ExecResult::failed(format!(
                        "no PostgreSQL database named {database} in this context"
                    )),
                },
                ActionRequest::RollbackPrepared { database, .. } => match databases.get(database) {
                    Some(db) => super::prepared::execute(db, &request).await,
                    None => ExecResult::failed(format!(
                        "no PostgreSQL database named {database} in this context"
                    )),
                },
                _ => this.execute_kill(&request).await,
            }
        }
    }
}

impl PgExecutor {
    fn execute_kill(&self, request: &ActionRequest) -> impl Future<Output = ExecResult> + Send {
        let job = KillTarget::from_request(request).and_then(|(name, target)| {
            self.databases
                .get(&name)
                .cloned()
                .map(|db| (db, target))
                .ok_or_else(|| format!("no PostgreSQL database named {name} in this context"))
        });
        async move {
            let (db, target) = match job {
                Ok(job) => job,
                Err(e) => return ExecResult::failed(e),
            };
            match kill(&db, &target).await {
                Ok(report) => report.exec_result(&target),
                Err(e) => ExecResult::failed(format!("nothing sent: {e}")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::pg::pin;
    use crate::model::platform::OutcomeStatus;

    #[test]
    fn requests_parse_with_microsecond_pins() {
        let start = Timestamp::from_microsecond(1_700_000_000_123_456).unwrap();
        let req = ActionRequest::KillQuery {
            database: "orders".into(),
            pid: 42,
            backend_start: pin(start),
            query_start: Some(pin(start)),
            mode: KillMode::Cancel,
        };
        let (db, t) = KillTarget::from_request(&req).unwrap();
        assert_eq!(db, "orders");
        assert_eq!(t.backend_start, start);
        assert_eq!(t.query_start, Some(start));
        let bad = ActionRequest::KillQuery {
            database: "orders".into(),
            pid: 42,
            backend_start: "noon".into(),
            query_start: None,
            mode: KillMode::Terminate,
        };
        assert!(KillTarget::from_request(&bad).is_err());
        let other = ActionRequest::DeleteTopic { name: "t".into() };
        assert!(KillTarget::from_request(&other).is_err());
    }

    #[test]
    fn false_is_told_apart_by_its_warning() {
        let gone = vec!["PID 7 is not a PostgreSQL backend process".to_owned()];
        assert_eq!(
            interpret_false(KillMode::Terminate, &gone),
            KillOutcome::AlreadyGone
        );
        let slow = vec!["backend with PID 7 did not terminate within 5000 milliseconds".into()];
        assert_eq!(
            interpret_false(KillMode::Terminate, &slow),
            KillOutcome::Timeout
        );
        assert_eq!(
            interpret_false(KillMode::Cancel, &gone),
            KillOutcome::AlreadyGone
        );
    }

    #[test]
    fn terminate_waits_only_where_supported() {
        assert!(guard_sql(KillMode::Terminate, 150_000).contains("pid, $3"));
        assert!(!guard_sql(KillMode::Terminate, 130_000).contains("$3"));
        assert!(guard_sql(KillMode::Cancel, 150_000).contains("query_start"));
    }

    #[tokio::test]
    async fn unknown_database_fails_without_sending() {
        let exec = PgExecutor::new([]);
        let req = ActionRequest::KillQuery {
            database: "nope".into(),
            pid: 1,
            backend_start: "2025-01-01T00:00:00Z".into(),
            query_start: None,
            mode: KillMode::Terminate,
        };
        let r = exec.execute(&req).await;
        assert_eq!(r.status, OutcomeStatus::Failed);
        assert!(r.detail.contains("nope"));
    }
}
