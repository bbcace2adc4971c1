//! The sandbox's Postgres first aid beyond one kill: prepared transactions (one of them
//! holding a row lock that a session waits on, pid 0 in the tree), `ROLLBACK PREPARED`
//! with the real server's rules, and bulk cancel or terminate with a guard per target.
//!
//! The prepared transactions live in [`PREPARED_DB`], whose monitoring role is a superuser
//! in the sandbox: only a prepared transaction's owner or a superuser may finish it, and
//! the sandbox should let the user try the whole path.

use std::collections::BTreeSet;
use std::time::Duration;

use jiff::Timestamp;

use super::World;
use crate::actions::{ActionRequest, ExecResult, KillMode};
use crate::model::pg::{PREPARED_PID, PgRole, PgSession, PreparedXact, clean_query, parse_pin};
use crate::model::pg_bulk::{BulkReport, PinnedBackend, TargetOutcome};
use crate::model::pg_prepared::RollbackOutcome;
use crate::sources::postgres::KillTarget;

/// The simulated database with prepared transactions.
pub const PREPARED_DB: &str = "logistics-db";

/// The gids of the simulated prepared transactions: the first holds the lock.
const GIDS: [&str; 2] = ["xa:logistics:batch-2041", "xa:logistics:label-print-77"];

/// Prepared transactions finished by the user, by `(database, gid)`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PreparedDone(BTreeSet<(String, String)>);

impl World {
    fn prepared_at(&self, i: usize) -> Timestamp {
        // 47 and 6 minutes before the world started.
        self.started - Duration::from_secs(if i == 0 { 2_820 } else { 360 })
    }

    /// The prepared transactions of `database` still pending.
    #[must_use]
    pub fn pg_prepared(&self, database: &str) -> Vec<PreparedXact> {
        if database != PREPARED_DB {
            return Vec::new();
        }
        GIDS.iter()
            .enumerate()
            .filter(|(_, gid)| {
                !self
                    .pg_prepared_done
                    .0
                    .contains(&(database.to_owned(), (*gid).to_string()))
            })
            .map(|(i, gid)| PreparedXact {
                gid: (*gid).to_owned(),
                prepared: self.prepared_at(i),
                owner: "logistics_batch".into(),
                database: "logistics".into(),
            })
            .collect()
    }

    /// The session queued behind the first prepared transaction's row lock, while it lasts.
    #[must_use]
    pub fn pg_prepared_waiters(&self, database: &str, base_pid: i32) -> Vec<PgSession> {
        let blocking = self.pg_prepared(database).iter().any(|p| p.gid == GIDS[0]);
        if !blocking {
            return Vec::new();
        }
        let since = self.started - Duration::from_secs(95);
        vec![PgSession {
            pid: base_pid + 90,
            leader_pid: None,
            backend_type: "client backend".into(),
            user: Some("shipping_api".into()),
            application: "shipping-api".into(),
            client: "10.42.4.90".into(),
            database: database.to_owned(),
            state: "active".into(),
            wait_event_type: Some("Lock".into()),
            wait_event: Some("transactionid".into()),
            backend_start: self.started - Duration::from_secs(4_000),
            xact_start: Some(since),
            query_start: Some(since),
            state_change: Some(since),
            query: clean_query("UPDATE shipments SET status = 'labelled' WHERE id = 55120"),
            blocked_by: vec![PREPARED_PID],
            superuser: false,
            wait_start: Some(since),
            soft_blockers: Vec::new(),
            query_id: None,
        }]
    }

    /// The monitoring role of `database`: a superuser on [`PREPARED_DB`].
    #[must_use]
    pub fn pg_role(database: &str) -> PgRole {
        PgRole {
            name: "opsdeck".into(),
            superuser: database == PREPARED_DB,
            signal_backend: true,
            read_all_stats: true,
        }
    }

    /// `ROLLBACK PREPARED gid` with the server's rules: the guard (the gid still names the
    /// transaction prepared then), the owner or a superuser, and its own database.
    pub fn pg_rollback_prepared(
        &mut self,
        database: &str,
        datname: &str,
        gid: &str,
        prepared: Timestamp,
    ) -> Result<RollbackOutcome, String> {
        let snapshot = self.pg_snapshot(database)?;
        let Some(xact) = snapshot
            .prepared
            .iter()
            .find(|p| p.gid == gid && p.database == datname)
        else {
            return Ok(RollbackOutcome::GuardMismatch(format!(
                "no prepared transaction {gid} in {datname} any more"
            )));
        };
        if xact.prepared != prepared {
            return Ok(RollbackOutcome::GuardMismatch(format!(
                "{gid} now names another transaction"
            )));
        }
        if !snapshot.role.superuser && snapshot.role.name != xact.owner {
            return Ok(RollbackOutcome::PermissionDenied(
                "permission denied to finish prepared transaction (42501)".into(),
            ));
        }
        self.pg_prepared_done
            .0
            .insert((database.to_owned(), gid.to_owned()));
        Ok(RollbackOutcome::RolledBack)
    }

    /// Every target of a bulk action through the single kill's rules, in order.
    pub fn pg_bulk_kill(
        &mut self,
        database: &str,
        mode: KillMode,
        targets: &[PinnedBackend],
    ) -> BulkReport {
        let mut report = BulkReport {
            mode,
            targets: Vec::with_capacity(targets.len()),
        };
        for pinned in targets {
            let outcome = crate::sources::postgres::bulk_kill::target_of(mode, pinned)
                .and_then(|target: KillTarget| self.pg_kill(database, &target));
            report.targets.push(match outcome {
                Ok(kill) => {
                    TargetOutcome::from_kill(mode, pinned.pid, &kill.outcome, &kill.notices)
                }
                Err(e) => TargetOutcome::not_sent(pinned.pid, &e),
            });
        }
        report
    }

    /// Runs an admitted bulk kill or rollback on the simulated databases.
    pub fn pg_action(&mut self, request: &ActionRequest) -> ExecResult {
        match request {
            ActionRequest::BulkKill {
                database,
                mode,
                targets,
            } => {
                let report = self.pg_bulk_kill(database, *mode, targets);
                crate::sources::postgres::bulk_kill::exec_result(&report)
            }
            ActionRequest::RollbackPrepared {
                database,
                datname,
                gid,
                prepared,
                ..
            } => {
                let outcome = parse_pin(prepared)
                    .and_then(|p| self.pg_rollback_prepared(database, datname, gid, p));
                match outcome {
                    Ok(o) => ExecResult {
                        status: o.status(),
                        detail: o.message(gid, datname),
                    },
                    Err(e) => ExecResult::failed(format!("nothing done: {e}")),
                }
            }
            other => ExecResult::failed(format!(
                "{} is not a sandbox Postgres action",
                other.action_name()
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::pg::{blocking_tree, pin};
    use crate::model::pg_bulk::TargetStatus;
    use crate::model::platform::OutcomeStatus;

    fn world() -> World {
        let mut w = World::new(42, Timestamp::from_second(1_750_000_000).unwrap());
        w.advance(Duration::from_secs(45));
        w
    }

    #[test]
    fn a_prepared_transaction_blocks_until_rolled_back() {
        let mut w = world();
        let snap = w.pg_snapshot(PREPARED_DB).unwrap();
        assert_eq!(snap.prepared.len(), 2);
        let tree = blocking_tree(&snap);
        assert_eq!(tree[0].pid, PREPARED_PID, "{tree:#?}");
        assert_eq!(tree[0].blocks_total, 1);
        let first = snap.prepared.iter().find(|p| p.gid == GIDS[0]).unwrap();
        let request = first.rollback_request(PREPARED_DB);
        // A stale pin is refused by the guard.
        let mut stale = request.clone();
        if let ActionRequest::RollbackPrepared { prepared, .. } = &mut stale {
            *prepared = pin(first.prepared + Duration::from_secs(1));
        }
        assert_eq!(w.pg_action(&stale).status, OutcomeStatus::Ineffective);
        let done = w.pg_action(&request);
        assert_eq!(done.status, OutcomeStatus::Succeeded, "{}", done.detail);
        let after = w.pg_snapshot(PREPARED_DB).unwrap();
        assert_eq!(after.prepared.len(), 1);
        assert!(blocking_tree(&after).is_empty());
        let again = w.pg_action(&request);
        assert_eq!(again.status, OutcomeStatus::Ineffective, "{}", again.detail);
        assert!(w.pg_snapshot("orders-db").unwrap().prepared.is_empty());
    }

    #[test]
    fn a_bulk_terminate_refuses_the_target_that_changed() {
        let mut w = world();
        let snap = w.pg_snapshot("orders-db").unwrap();
        let chosen: Vec<&PgSession> = snap
            .sessions
            .iter()
            .filter(|s| s.is_waiting_on_lock())
            .take(3)
            .collect();
        assert_eq!(chosen.len(), 3);
        let mut targets: Vec<PinnedBackend> = chosen
            .iter()
            .map(|s| PinnedBackend {
                pid: s.pid,
                backend_start: pin(s.backend_start),
                query_start: None,
            })
            .collect();
        targets[1].backend_start = pin(chosen[1].backend_start + Duration::from_micros(1));
        let report = w.pg_bulk_kill("orders-db", KillMode::Terminate, &targets);
        let statuses: Vec<TargetStatus> = report.targets.iter().map(|t| t.status).collect();
        assert_eq!(
            statuses,
            [
                TargetStatus::Succeeded,
                TargetStatus::Refused,
                TargetStatus::Succeeded
            ]
        );
        assert_eq!(report.status(), OutcomeStatus::Succeeded);
        let after = w.pg_snapshot("orders-db").unwrap();
        assert!(after.session(chosen[0].pid).is_none());
        assert!(after.session(chosen[1].pid).is_some());
    }
}
