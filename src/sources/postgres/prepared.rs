//! `ROLLBACK PREPARED`, guarded: on a connection of its own to the prepared transaction's
//! database (the statement fails elsewhere, "prepared transaction belongs to another
//! database"), in autocommit (it "cannot be executed inside a transaction block"), and only
//! while that gid still names the transaction prepared at the time the user saw
//! (<https://www.postgresql.org/docs/current/sql-rollback-prepared.html>).
//!
//! The gid cannot be a bind parameter of `ROLLBACK PREPARED`; the server itself quotes it
//! (`quote_literal`), so no gid can change the statement.

use std::time::{Duration, SystemTime};

use jiff::Timestamp;
use tokio_postgres::error::SqlState;

use super::{ROLLBACK_APP, connect_to, error_text};
use crate::actions::{ActionRequest, ExecResult};
use crate::config::PgDatabase;
use crate::model::pg::{parse_pin, pin};
use crate::model::pg_prepared::RollbackOutcome;

/// The rollback connection's `statement_timeout`: a rollback releases locks and writes a
/// little WAL; it should never take long.
const ROLLBACK_TIMEOUT: Duration = Duration::from_secs(10);

const GUARD_SQL: &str = "SELECT prepared FROM pg_prepared_xacts
  WHERE gid = $1 AND database = current_database()";

/// Rolls back `gid` in `datname` (a database of `db`'s server) if it is still the
/// transaction prepared at `prepared`. `Err` means the question could not be asked.
///
/// # Errors
/// No connection, or the guard's query failed.
pub async fn rollback_prepared(
    db: &PgDatabase,
    datname: &str,
    gid: &str,
    prepared: Timestamp,
) -> Result<RollbackOutcome, String> {
    let conn = connect_to(db, Some(datname), ROLLBACK_APP, ROLLBACK_TIMEOUT)
        .await
        .map_err(|e| format!("database {datname}: {e}"))?;
    let client = &conn.client;
    let rows = client
        .query(GUARD_SQL, &[&gid])
        .await
        .map_err(|e| error_text(&e))?;
    let Some(row) = rows.first() else {
        return Ok(RollbackOutcome::GuardMismatch(format!(
            "no prepared transaction {gid} in {datname} any more (committed or rolled back \
             since the last refresh)"
        )));
    };
    let seen: SystemTime = row.try_get(0).map_err(|e| error_text(&e))?;
    let seen = Timestamp::try_from(seen).map_err(|e| e.to_string())?;
    if seen != prepared {
        return Ok(RollbackOutcome::GuardMismatch(format!(
            "{gid} now names a transaction prepared at {}, not the one prepared at {}",
            pin(seen),
            pin(prepared)
        )));
    }
    let literal: String = client
        .query_one("SELECT quote_literal($1)", &[&gid])
        .await
        .and_then(|r| r.try_get(0))
        .map_err(|e| error_text(&e))?;
    // A simple-protocol statement on an autocommit connection: never in a transaction block.
    Ok(
        match client
            .batch_execute(&format!("ROLLBACK PREPARED {literal}"))
            .await
        {
            Ok(()) => RollbackOutcome::RolledBack,
            Err(e) if e.code() == Some(&SqlState::INSUFFICIENT_PRIVILEGE) => {
                RollbackOutcome::PermissionDenied(error_text(&e))
            }
            // Finished by someone else between the guard and the statement.
            Err(e) if e.code() == Some(&SqlState::UNDEFINED_OBJECT) => {
                RollbackOutcome::GuardMismatch(error_text(&e))
            }
            Err(e) => RollbackOutcome::Failed(error_text(&e)),
        },
    )
}

/// Runs an admitted `RollbackPrepared` against `db` (the request's context database).
pub async fn execute(db: &PgDatabase, request: &ActionRequest) -> ExecResult {
    let ActionRequest::RollbackPrepared {
        datname,
        gid,
        prepared,
        ..
    } = request
    else {
        return ExecResult::failed(format!("{} is not a rollback", request.action_name()));
    };
    let prepared = match parse_pin(prepared) {
        Ok(t) => t,
        Err(e) => return ExecResult::failed(e),
    };
    match rollback_prepared(db, datname, gid, prepared).await {
        Ok(outcome) => ExecResult {
            status: outcome.status(),
            detail: outcome.message(gid, datname),
        },
        Err(e) => ExecResult::failed(format!("nothing done: {e}")),
    }
}
