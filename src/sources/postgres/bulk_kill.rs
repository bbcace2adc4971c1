//! A bulk cancel or terminate: every target of one admitted `ActionRequest::BulkKill`
//! through the same guarded statement as a single kill ([`super::kill::kill_on`]), one after
//! the other on one short-lived connection, each with its own outcome. A target whose
//! `backend_start` (or, for a cancel, `query_start`) no longer matches is refused by the
//! guard and nothing is sent to it; the others go ahead.

use super::kill::{KILL_STATEMENT_TIMEOUT, KillTarget, kill_on};
use super::{KILL_APP, connect};
use crate::actions::{ExecResult, KillMode};
use crate::config::PgDatabase;
use crate::model::pg::parse_pin;
use crate::model::pg_bulk::{BulkReport, PinnedBackend, TargetOutcome};

/// The guard of one pinned target.
///
/// # Errors
/// A pin that is not a timestamp.
pub fn target_of(mode: KillMode, pinned: &PinnedBackend) -> Result<KillTarget, String> {
    Ok(KillTarget {
        pid: pinned.pid,
        backend_start: parse_pin(&pinned.backend_start)?,
        query_start: pinned.query_start.as_deref().map(parse_pin).transpose()?,
        mode,
    })
}

/// Signals every target of a bulk action on `db`. A connection that cannot be made leaves
/// every target "not sent"; one lost half-way leaves the rest so.
pub async fn bulk_kill(db: &PgDatabase, mode: KillMode, targets: &[PinnedBackend]) -> BulkReport {
    let mut report = BulkReport {
        mode,
        targets: Vec::with_capacity(targets.len()),
    };
    let conn = match connect(db, KILL_APP, KILL_STATEMENT_TIMEOUT).await {
        Ok(conn) => conn,
        Err(e) => {
            let why = format!("database {}: {e}", db.name);
            report.targets = targets
                .iter()
                .map(|t| TargetOutcome::not_sent(t.pid, &why))
                .collect();
            return report;
        }
    };
    for pinned in targets {
        let outcome = match target_of(mode, pinned) {
            Err(e) => TargetOutcome::not_sent(pinned.pid, &e),
            Ok(target) => match kill_on(&conn, &target).await {
                Ok(kill) => {
                    TargetOutcome::from_kill(mode, pinned.pid, &kill.outcome, &kill.notices)
                }
                Err(e) => TargetOutcome::not_sent(pinned.pid, &e),
            },
        };
        report.targets.push(outcome);
    }
    report
}

/// The audit outcome of a bulk action: its status and every target's line.
#[must_use]
pub fn exec_result(report: &BulkReport) -> ExecResult {
    ExecResult {
        status: report.status(),
        detail: report.detail(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::platform::OutcomeStatus;

    #[tokio::test]
    async fn an_unreachable_database_leaves_every_target_not_sent() {
        let db = PgDatabase {
            name: "nowhere".into(),
            dsn: "host=127.0.0.1 port=1 user=x dbname=x connect_timeout=1".into(),
            password: None,
            ssl_password: None,
        };
        let pins = [
            PinnedBackend {
                pid: 1,
                backend_start: "2025-01-01T00:00:00Z".into(),
                query_start: None,
            },
            PinnedBackend {
                pid: 2,
                backend_start: "2025-01-01T00:00:00Z".into(),
                query_start: None,
            },
        ];
        let report = bulk_kill(&db, KillMode::Terminate, &pins).await;
        assert_eq!(report.targets.len(), 2);
        let result = exec_result(&report);
        assert_eq!(result.status, OutcomeStatus::Failed);
        assert!(result.detail.contains("pid 2: failed"), "{}", result.detail);
        assert!(
            target_of(
                KillMode::Cancel,
                &PinnedBackend {
                    pid: 1,
                    backend_start: "noon".into(),
                    query_start: None
                }
            )
            .is_err()
        );
    }
}
