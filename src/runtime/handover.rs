//! An interactive session through the audit gate: the intent first (refused: nothing opens),
//! then the session opened by the context's Kubernetes backend and handed to the terminal
//! until it ends, then the outcome with when it started and ended and its exit status.
//! What was typed or shown is never recorded. The host decides where the bytes go: the
//! real terminal ([`super::terminal::Tty`]) or a test's script.

use jiff::Timestamp;

use crate::actions::gate::{AuditGate, ExecResult, GateOutcome};
use crate::model::action::ActionRequest;
use crate::model::platform::OutcomeStatus;
use crate::sources::backend::KubeBackend;

/// Runs an `ExecPod` through `gate`, `kube` and `host`.
pub async fn run<H: super::terminal::Host + ?Sized>(
    gate: Option<&AuditGate>,
    kube: &dyn KubeBackend,
    request: ActionRequest,
    reason: &str,
    host: &mut H,
) -> GateOutcome {
    let Some(gate) = gate else {
        return crate::actions::gate::no_gate("nothing was opened");
    };
    let admitted = match gate.admit(request.clone(), reason).await {
        Ok(admitted) => admitted,
        Err(outcome) => return outcome,
    };
    let started = Timestamp::now();
    let what = describe(&request);
    let result = match kube.open_session(&request).await {
        Err(e) => ExecResult::failed(format!("{what} did not open: {e}")),
        Ok(session) => {
            let end = host.session(&what, session).await;
            let ended = Timestamp::now();
            ExecResult {
                // An exit status, whatever it is, is a session that ran and ended; only a
                // broken stream is a failure.
                status: if end.exit.is_some() {
                    OutcomeStatus::Succeeded
                } else {
                    OutcomeStatus::Failed
                },
                detail: format!(
                    "{what}: started {}, ended {}, {}",
                    started.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    ended.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    end.words()
                ),
            }
        }
    };
    gate.finish(admitted, result).await
}

/// "shell in shop/cart-a (container api)".
fn describe(request: &ActionRequest) -> String {
    match request {
        ActionRequest::ExecPod {
            namespace,
            name,
            container,
            ..
        } => format!("shell in {namespace}/{name} (container {container})"),
        ActionRequest::DebugPod {
            namespace,
            name,
            target,
            image,
            container,
        } => format!(
            "debug container {container} ({image}, sharing {target}'s processes) in {namespace}/{name}"
        ),
        other => other.target().reference,
    }
}
