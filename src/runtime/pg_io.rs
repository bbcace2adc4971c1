//! Postgres reads the pane asks for on demand (the locks of one session), routed to the
//! sandbox world or to a real database of the current context.

use crate::config::PgDatabase;
use crate::model::pg::PgLock;
use crate::sources::sandbox::SandboxHandle;

use super::run::Environment;

/// How to reach one database for an on-demand read.
#[derive(Debug, Clone)]
pub enum LocksLookup {
    Sandbox(SandboxHandle, String),
    Real(PgDatabase),
    Unavailable(String),
}

impl LocksLookup {
    #[must_use]
    pub fn new(env: &Environment, database: &str) -> Self {
        if let Some(sandbox) = env.current_sandbox() {
            return Self::Sandbox(sandbox, database.to_owned());
        }
        match env.current_database(database) {
            Some(db) => Self::Real(db),
            None => Self::Unavailable(format!("{database} is not configured in this context")),
        }
    }

    /// The locks of `pid`, granted and waiting.
    pub async fn locks(self, pid: i32) -> Result<Vec<PgLock>, String> {
        match self {
            Self::Sandbox(sandbox, database) => sandbox.pg_locks(&database, pid).await,
            Self::Real(db) => crate::sources::postgres::locks::fetch_locks(&db, pid).await,
            Self::Unavailable(why) => Err(why),
        }
    }
}
