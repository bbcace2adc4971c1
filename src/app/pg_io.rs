//! Postgres reads the pane asks for on demand (the locks of one session), routed to the
//! sandbox world or to a real database of the current context.

use crate::model::pg::PgLock;

use super::run::Environment;

/// How to reach one database for an on-demand read.
#[derive(Debug, Clone)]
pub enum LocksLookup {
    Unavailable(String),
}

impl LocksLookup {
    #[must_use]
    pub fn new(env: &Environment, database: &str) -> Self {
        let _ = env;
        Self::Unavailable(format!("no connection to {database} for lock details"))
    }

    /// The locks of `pid`, granted and waiting.
    pub async fn locks(self, pid: i32) -> Result<Vec<PgLock>, String> {
        let _ = pid;
        match self {
            Self::Unavailable(why) => Err(why),
        }
    }
}
