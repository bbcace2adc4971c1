//! Runs admitted actions: one executor per backend of the current context, chosen by the
//! action's kind. The audit gate calls it only after the platform allowed the intent.

use crate::actions::gate::{ExecResult, Executor};
use crate::actions::request::ActionRequest;
use crate::platform::api::OutcomeStatus;

/// The executors of the current context.
#[derive(Debug, Clone, Default)]
pub struct AppExecutor {
    pub sandbox: Option<crate::sources::sandbox::SandboxHandle>,
}

impl Executor for AppExecutor {
    async fn execute(&self, request: &ActionRequest) -> ExecResult {
        let _ = &self.sandbox;
        ExecResult {
            status: OutcomeStatus::Failed,
            detail: format!(
                "no backend in this context can run {} (its pane is not connected)",
                request.action_name()
            ),
        }
    }
}
