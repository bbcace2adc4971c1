//! The dialog that confirms an approver's decision on a request: what is approved or
//! rejected (kind, name, requester, every parameter), and for a rejection the reason. Nothing
//! is sent before enter; the platform records the decision in the audit trail as before.

use crate::app::msg::PlatformCall;
use crate::model::platform::Request;

/// A decision waiting for the approver's enter.
#[derive(Debug, Clone, PartialEq)]
pub struct Decide {
    /// The request as listed when the key was pressed.
    pub request: Request,
    /// Approve (`true`) or reject.
    pub approve: bool,
    /// Why it is rejected (required for a rejection, not asked for an approval).
    pub reason: String,
    pub error: Option<String>,
}

impl Decide {
    #[must_use]
    pub fn new(request: Request, approve: bool) -> Self {
        Self {
            request,
            approve,
            reason: String::new(),
            error: None,
        }
    }

    /// `approve` or `reject`, for titles and toasts.
    #[must_use]
    pub fn verb(&self) -> &'static str {
        if self.approve { "approve" } else { "reject" }
    }

    /// The rows the dialog shows: what the request is, who asked, and what it asks for.
    #[must_use]
    pub fn details(&self) -> Vec<(String, String)> {
        let r = &self.request;
        let mut rows = vec![
            ("Kind".to_owned(), r.spec.kind().to_owned()),
            ("Name".to_owned(), r.spec.target().name),
            ("Requester".to_owned(), r.requester.clone()),
        ];
        rows.extend(
            crate::app::panes::requests::params(&r.spec)
                .into_iter()
                .map(|(label, value)| (label.to_owned(), value)),
        );
        rows.push(("Why".to_owned(), r.spec.reason().to_owned()));
        rows.push(("Id".to_owned(), r.id.clone()));
        rows
    }

    /// Checks the input; the call to send on success.
    pub fn accept(&self) -> Result<PlatformCall, String> {
        let id = self.request.id.clone();
        if self.approve {
            Ok(PlatformCall::Approve(id))
        } else {
            crate::model::validate::reason(&self.reason)
                .map(|reason| PlatformCall::Reject { id, reason })
        }
    }

    /// Typing goes to the reason of a rejection; an approval takes no text.
    pub fn type_char(&mut self, c: char) {
        if !self.approve && self.reason.chars().count() < 200 {
            self.reason.push(c);
            self.error = None;
        }
    }

    pub fn backspace(&mut self) {
        self.reason.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::platform::{KafkaTopicSpec, RequestSpec, RequestState};

    fn request() -> Request {
        Request {
            id: "01a2013a-6000-7148-95ac-3447436b2dad".into(),
            spec: RequestSpec::KafkaTopic(KafkaTopicSpec {
                name: "ledger.audit.v1".into(),
                partitions: 6,
                replication: 3,
                configs: [
                    ("retention.ms".to_owned(), "604800000".to_owned()),
                    ("cleanup.policy".to_owned(), "compact".to_owned()),
                ]
                .into(),
                owner_service: "ledger-service".into(),
                reason: "compliance audit stream".into(),
            }),
            requester: "sam".into(),
            state: RequestState::Submitted,
            state_reason: None,
            result: None,
            decided_by: None,
            created: "2026-11-02T02:51:10Z".into(),
            updated: "2026-11-02T02:51:10Z".into(),
        }
    }

    #[test]
    fn the_dialog_names_what_is_approved() {
        let rows = Decide::new(request(), true).details();
        let text: Vec<String> = rows.iter().map(|(l, v)| format!("{l} {v}")).collect();
        let text = text.join("\n");
        for needle in [
            "Kind kafka_topic",
            "Name ledger.audit.v1",
            "Requester sam",
            "6 partitions · replication 3",
            "retention 7d · cleanup compact",
            "Owner ledger-service",
        ] {
            assert!(text.contains(needle), "{needle} in {text}");
        }
    }

    #[test]
    fn approve_sends_the_id_and_reject_needs_a_reason() {
        let approve = Decide::new(request(), true);
        assert_eq!(approve.accept(), Ok(PlatformCall::Approve(request().id)));
        let mut reject = Decide::new(request(), false);
        assert!(reject.accept().is_err(), "no reason yet");
        for c in "duplicate of orders.audit.v1".chars() {
            reject.type_char(c);
        }
        assert!(matches!(
            reject.accept(),
            Ok(PlatformCall::Reject { reason, .. }) if reason == "duplicate of orders.audit.v1"
        ));
        let mut approve = Decide::new(request(), true);
        approve.type_char('y');
        assert!(approve.reason.is_empty(), "an approval takes no text");
    }
}
