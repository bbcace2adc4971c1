//! The effects of Kafka first aid: a reset's plan read from the context's Kafka backend,
//! and a peek at messages through the audit gate (reading data is access: the intent is
//! recorded first and a refusal reads nothing; the outcome says what was read, never the
//! content). Each answers the app with a message.

use tokio::sync::mpsc;

use crate::actions::gate::{AuditGate, ExecResult, GateOutcome};
use crate::app::msg::{ActionReport, Msg};
use crate::model::action::ActionRequest;
use crate::model::kafka_peek::{PeekResult, summary};
use crate::model::kafka_reset::{ResetScope, ResetTarget};
use crate::sources::backend::KafkaBackend;

/// Plans a reset and answers with `Msg::KafkaResetPlanned`.
pub fn plan_reset(
    app: &mpsc::Sender<Msg>,
    kafka: std::sync::Arc<dyn KafkaBackend>,
    group: String,
    scope: ResetScope,
    target: ResetTarget,
) {
    let app = app.clone();
    tokio::spawn(async move {
        let result = kafka
            .plan_reset(group.clone(), scope, target)
            .await
            .map_err(String::from);
        let _ = app.send(Msg::KafkaResetPlanned { group, result }).await;
    });
}

/// A peek through the gate: the intent, the read, the outcome; the messages go to the pane
/// (`Msg::KafkaPeeked`), the outcome to the usual report.
pub async fn peek(
    gate: Option<&AuditGate>,
    kafka: &dyn KafkaBackend,
    request: ActionRequest,
    reason: &str,
) -> (GateOutcome, Option<Result<PeekResult, String>>) {
    let Some(gate) = gate else {
        return (crate::actions::gate::no_gate("nothing was read"), None);
    };
    let admitted = match gate.admit(request.clone(), reason).await {
        Ok(admitted) => admitted,
        Err(outcome) => return (outcome, None),
    };
    let read = kafka.peek(&request).await.map_err(String::from);
    let result = match &read {
        Ok(r) => ExecResult::from(Ok::<_, String>(summary(r))),
        Err(e) => ExecResult::failed(e.clone()),
    };
    (gate.finish(admitted, result).await, Some(read))
}

/// Runs [`peek`] off the app task and answers with both messages.
pub fn spawn_peek(
    app: &mpsc::Sender<Msg>,
    gate: Option<AuditGate>,
    kafka: std::sync::Arc<dyn KafkaBackend>,
    request: ActionRequest,
    reason: String,
) {
    let app = app.clone();
    tokio::spawn(async move {
        let (outcome, read) = peek(gate.as_ref(), kafka.as_ref(), request.clone(), &reason).await;
        if let Some(read) = read {
            let _ = app.send(Msg::KafkaPeeked(Box::new(read))).await;
        }
        let report = ActionReport { request, outcome };
        let _ = app.send(Msg::ActionDone(Box::new(report))).await;
    });
}
