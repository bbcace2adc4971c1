//! Actions waiting for an approver, and who carries out an approved request.
//!
//! When policy says an action needs approval, the platform records the intent and files an
//! `action` request; nothing runs. The platform keeps the action's audit params, but those
//! are not the action itself (secret-looking config values are masked, and each kind's
//! params are shaped for reading), so the console that asked keeps the exact
//! [`ActionRequest`] under the request's id ([`HeldActions`], saved in its data directory).
//! Once the request is approved, the requests pane runs it from there (`R`): the same
//! confirmation, then the audit gate, whose intent uses the approval.
//!
//! Requests of other kinds are carried out by the platform server when it can (a topic with
//! brokers configured, a replica with a provisioner); [`next_step`] says which, in words.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::action::ActionRequest;
use crate::model::platform::{Request, RequestSpec, RequestState};

/// One action whose approval was asked for from this console.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldAction {
    /// The opsdeck context it was asked in: it runs against that context's systems only.
    pub context: String,
    pub request: ActionRequest,
    /// When it was asked (RFC 3339).
    pub asked_at: String,
}

/// Held actions by the id of their approval request.
pub type HeldActions = BTreeMap<String, HeldAction>;

/// What happens next to a request, for the user who filed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NextStep {
    /// An approver has not decided yet.
    AwaitingApproval,
    /// Approved: this console holds the action and runs it here (the requests pane's key).
    RunHere,
    /// Approved, held by this console for another context: switch there to run it.
    RunInContext(String),
    /// Approved, but the action is not held here (asked from another machine, or the file
    /// was lost): running the same action again from a pane uses the approval.
    RunAgainFromPane,
    /// The platform server carries it out (or is doing so).
    Server,
    /// Approved, but the server cannot carry it out; the reason says why.
    ServerCannot(String),
    /// Finished one way or another: nothing more to do.
    Done,
}

impl NextStep {
    /// The step in words, with `run_key` naming the key that runs a held action.
    #[must_use]
    pub fn words(&self, run_key: &str) -> String {
        match self {
            Self::AwaitingApproval => "waiting for an approver".into(),
            Self::RunHere => format!(
                "approved: run it from here with {run_key} (the same confirmation, then the \
                 audit gate; the approval is used once)"
            ),
            Self::RunInContext(context) => format!(
                "approved: it was asked in context {context}; switch there (:ctx {context}) \
                 and run it from this pane with {run_key}"
            ),
            Self::RunAgainFromPane => "approved: run the same action again from its pane; \
                 the gate uses this approval (this console does not hold it)"
                .into(),
            Self::Server => "the platform server carries it out".into(),
            Self::ServerCannot(why) => {
                format!("approved, but the platform server cannot carry it out: {why}")
            }
            Self::Done => "nothing more to do".into(),
        }
    }
}

/// What happens next to `request`, seen from a console in `context` holding `held`.
#[must_use]
pub fn next_step(request: &Request, held: &HeldActions, context: &str) -> NextStep {
    match request.state {
        RequestState::Submitted => NextStep::AwaitingApproval,
        RequestState::Ready | RequestState::Failed | RequestState::Rejected => NextStep::Done,
        RequestState::Provisioning => NextStep::Server,
        RequestState::Approved => match &request.spec {
            RequestSpec::Action(_) => match held.get(&request.id) {
                Some(h) if h.context == context => NextStep::RunHere,
                Some(h) => NextStep::RunInContext(h.context.clone()),
                None => NextStep::RunAgainFromPane,
            },
            // Approved and still approved: the server tried and said why it stopped there.
            RequestSpec::KafkaTopic(_) | RequestSpec::ReadReplica(_) => {
                match &request.state_reason {
                    Some(why) => NextStep::ServerCannot(why.clone()),
                    None => NextStep::Server,
                }
            }
        },
    }
}

/// The held actions that `requests` no longer wait on (decided against, or finished): they
/// are dropped. A held action whose request is missing from the list is kept (the list may
/// be partial or from another platform).
#[must_use]
pub fn settled<'a>(held: &'a HeldActions, requests: &[Request]) -> Vec<&'a str> {
    held.keys()
        .filter(|id| {
            requests.iter().any(|r| {
                &r.id == *id
                    && matches!(
                        r.state,
                        RequestState::Rejected | RequestState::Ready | RequestState::Failed
                    )
            })
        })
        .map(String::as_str)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::platform::{ActionApprovalSpec, KafkaTopicSpec, Target};

    fn action_request(id: &str, state: RequestState) -> Request {
        Request {
            id: id.into(),
            spec: RequestSpec::Action(ActionApprovalSpec {
                intent_event_id: "e1".into(),
                action: "kafka.topic.delete".into(),
                target: Target {
                    kind: "kafka.topic".into(),
                    namespace: None,
                    name: "orders".into(),
                    reference: "kafka.topic:orders".into(),
                },
                reason: "cleanup".into(),
            }),
            requester: "dev".into(),
            state,
            state_reason: None,
            result: None,
            decided_by: None,
            created: "2026-12-07T00:00:00Z".into(),
            updated: "2026-12-07T00:00:00Z".into(),
        }
    }

    fn held(context: &str) -> HeldAction {
        HeldAction {
            context: context.into(),
            request: ActionRequest::DeleteTopic {
                name: "orders".into(),
            },
            asked_at: "2026-12-07T00:00:00Z".into(),
        }
    }

    #[test]
    fn an_approved_action_runs_where_it_is_held() {
        let mut mine = HeldActions::new();
        mine.insert("r1".into(), held("prod"));
        let approved = action_request("r1", RequestState::Approved);
        assert_eq!(next_step(&approved, &mine, "prod"), NextStep::RunHere);
        assert_eq!(
            next_step(&approved, &mine, "dev"),
            NextStep::RunInContext("prod".into())
        );
        assert_eq!(
            next_step(&approved, &HeldActions::new(), "prod"),
            NextStep::RunAgainFromPane
        );
        let waiting = action_request("r1", RequestState::Submitted);
        assert_eq!(
            next_step(&waiting, &mine, "prod"),
            NextStep::AwaitingApproval
        );
        assert!(NextStep::RunHere.words("R").contains("with R"));
    }

    #[test]
    fn the_server_fulfils_topics_and_says_when_it_cannot() {
        let mut topic = action_request("r2", RequestState::Approved);
        topic.spec = RequestSpec::KafkaTopic(KafkaTopicSpec {
            name: "t".into(),
            partitions: 1,
            replication: 1,
            configs: BTreeMap::new(),
            owner_service: "s".into(),
            reason: "r".into(),
        });
        assert_eq!(
            next_step(&topic, &HeldActions::new(), "dev"),
            NextStep::Server
        );
        topic.state_reason = Some("no Kafka brokers configured".into());
        assert_eq!(
            next_step(&topic, &HeldActions::new(), "dev"),
            NextStep::ServerCannot("no Kafka brokers configured".into())
        );
    }

    #[test]
    fn settled_requests_release_their_held_actions() {
        let mut mine = HeldActions::new();
        mine.insert("r1".into(), held("dev"));
        mine.insert("r2".into(), held("dev"));
        mine.insert("r3".into(), held("dev"));
        let list = [
            action_request("r1", RequestState::Rejected),
            action_request("r2", RequestState::Approved),
        ];
        assert_eq!(settled(&mine, &list), vec!["r1"]);
    }
}
