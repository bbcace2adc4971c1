//! Prepared (two-phase) transactions: the list the Postgres pane shows (age, owner,
//! database, gid), the `ROLLBACK PREPARED` request built from one, and how it ended.
//!
//! A prepared transaction has no backend (it is pid 0 in `pg_blocking_pids`) and keeps its
//! locks until someone commits or rolls it back. `ROLLBACK PREPARED` must be run by its
//! owner or a superuser, in its own database, outside a transaction block
//! (<https://www.postgresql.org/docs/current/sql-rollback-prepared.html>; see
//! `first-aid.md` §5.4).

use std::time::Duration;

use jiff::Timestamp;

use crate::model::action::ActionRequest;
use crate::model::pg::{PreparedXact, pin};
use crate::model::platform::OutcomeStatus;

impl PreparedXact {
    /// How long it has been prepared at `now`.
    #[must_use]
    pub fn age(&self, now: Timestamp) -> Duration {
        Duration::try_from(now.duration_since(self.prepared)).unwrap_or(Duration::ZERO)
    }

    /// The request that rolls it back through the context's database `database`.
    #[must_use]
    pub fn rollback_request(&self, database: &str) -> ActionRequest {
        ActionRequest::RollbackPrepared {
            database: database.to_owned(),
            datname: self.database.clone(),
            gid: self.gid.clone(),
            prepared: pin(self.prepared),
            owner: self.owner.clone(),
        }
    }
}

/// Whether the monitoring role may finish `xact`: "you must be either the same user that
/// executed the transaction originally, or a superuser"
/// (<https://www.postgresql.org/docs/current/sql-rollback-prepared.html>). `Err` says why not.
///
/// # Errors
/// The role is neither its owner nor a superuser.
pub fn rollback_permission(
    role: &crate::model::pg::PgRole,
    xact: &PreparedXact,
) -> Result<(), String> {
    if role.superuser || role.name == xact.owner {
        return Ok(());
    }
    Err(format!(
        "only {} (its owner) or a superuser may roll back {}; {} is neither",
        xact.owner, xact.gid, role.name
    ))
}

/// The prepared transactions, oldest first (they hold back the xmin horizon longest).
#[must_use]
pub fn oldest_first(prepared: &[PreparedXact]) -> Vec<PreparedXact> {
    let mut out = prepared.to_vec();
    out.sort_by(|a, b| a.prepared.cmp(&b.prepared).then_with(|| a.gid.cmp(&b.gid)));
    out
}

/// How a guarded `ROLLBACK PREPARED` ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RollbackOutcome {
    /// Rolled back: its locks are released.
    RolledBack,
    /// No transaction with that gid in that database, or one prepared at another time:
    /// someone finished it (and maybe reused the gid) since the last refresh. Nothing done.
    GuardMismatch(String),
    /// SQLSTATE 42501: only its owner or a superuser may finish it.
    PermissionDenied(String),
    /// Any other error, in the server's words.
    Failed(String),
}

impl RollbackOutcome {
    #[must_use]
    pub fn status(&self) -> OutcomeStatus {
        match self {
            Self::RolledBack => OutcomeStatus::Succeeded,
            Self::GuardMismatch(_) => OutcomeStatus::Ineffective,
            Self::PermissionDenied(_) | Self::Failed(_) => OutcomeStatus::Failed,
        }
    }

    /// A sentence for the user and the audit record.
    #[must_use]
    pub fn message(&self, gid: &str, datname: &str) -> String {
        match self {
            Self::RolledBack => {
                format!(
                    "prepared transaction {gid} rolled back in {datname}; its locks are released"
                )
            }
            Self::GuardMismatch(why) => format!("refused by guard, nothing done: {why}"),
            Self::PermissionDenied(m) => {
                format!("not allowed to roll back {gid} (only its owner or a superuser may): {m}")
            }
            Self::Failed(m) => format!("ROLLBACK PREPARED {gid} failed: {m}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::action::Confirmation;

    fn xact(gid: &str, secs: i64) -> PreparedXact {
        PreparedXact {
            gid: gid.into(),
            prepared: Timestamp::from_second(1_700_000_000 + secs).unwrap(),
            owner: "app".into(),
            database: "orders".into(),
        }
    }

    #[test]
    fn a_rollback_pins_the_gid_database_and_time_and_needs_the_gid_typed() {
        let x = xact("tx-42", 0);
        let request = x.rollback_request("orders-db");
        assert_eq!(request.action_name(), "pg.rollback_prepared");
        assert_eq!(request.target().reference, "pg.prepared:orders-db/tx-42");
        assert!(request.dangerous());
        assert_eq!(
            request.confirmation(),
            Confirmation::TypeName("tx-42".into())
        );
        let params = request.params();
        assert_eq!(params["datname"], "orders");
        assert_eq!(params["prepared"], "2023-11-14T22:13:20.000000Z");
        assert_eq!(
            x.age(Timestamp::from_second(1_700_000_090).unwrap()),
            Duration::from_secs(90)
        );
    }

    #[test]
    fn oldest_first_and_outcomes() {
        let list = oldest_first(&[xact("b", 5), xact("a", 9), xact("c", 1)]);
        let gids: Vec<&str> = list.iter().map(|x| x.gid.as_str()).collect();
        assert_eq!(gids, ["c", "b", "a"]);
        assert_eq!(
            RollbackOutcome::RolledBack.status(),
            OutcomeStatus::Succeeded
        );
        let gone = RollbackOutcome::GuardMismatch("gone".into());
        assert_eq!(gone.status(), OutcomeStatus::Ineffective);
        assert!(gone.message("g", "d").contains("refused by guard"));
        assert_eq!(
            RollbackOutcome::PermissionDenied("x".into()).status(),
            OutcomeStatus::Failed
        );
    }
}
