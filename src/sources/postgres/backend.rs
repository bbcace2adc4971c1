//! The real [`PgBackend`]: a context's configured databases.

use crate::actions::gate::{ExecResult, Executor};
use crate::config::PgDatabase;
use crate::model::action::ActionRequest;
use crate::model::error::{BackendError, ErrorKind};
use crate::model::pg::PgLock;
use crate::sources::backend::{Answer, PgBackend};

use super::kill::PgExecutor;

/// The databases of a context, read and acted on over tokio-postgres.
#[derive(Debug, Clone)]
pub struct RealPg {
    pub databases: Vec<PgDatabase>,
    pub executor: PgExecutor,
}

impl RealPg {
    #[must_use]
    pub fn new(databases: Vec<PgDatabase>) -> Self {
        Self {
            executor: PgExecutor::new(databases.clone()),
            databases,
        }
    }
}

impl PgBackend for RealPg {
    fn locks<'a>(
        &'a self,
        database: &'a str,
        pid: i32,
    ) -> Answer<'a, Result<Vec<PgLock>, BackendError>> {
        Box::pin(async move {
            let db = self
                .databases
                .iter()
                .find(|d| d.name == database)
                .ok_or_else(|| {
                    BackendError::new(
                        ErrorKind::NotFound,
                        format!("{database} is not configured in this context"),
                    )
                })?;
            super::locks::fetch_locks(db, pid).await
        })
    }

    fn execute<'a>(&'a self, request: &'a ActionRequest) -> Answer<'a, ExecResult> {
        Box::pin(self.executor.execute(request))
    }
}
