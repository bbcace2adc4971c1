//! Carries out [`PlatformCall`]s for the run loop and turns answers into [`PlatformReply`]s.

use crate::app::msg::{PlatformCall, PlatformReply};
use crate::model::action::ActionRequest;
use crate::model::platform::PolicyCheck;
use crate::sources::platform::PlatformClient;

/// Makes one call.
pub async fn call(client: &PlatformClient, call: PlatformCall) -> PlatformReply {
    let err = |e: crate::sources::platform::ClientError| e.to_string();
    match call {
        PlatformCall::Create(spec) => {
            PlatformReply::Created(client.create_request(&spec).await.map_err(err))
        }
        PlatformCall::Approve(id) => {
            PlatformReply::Decided(client.approve_request(&id).await.map_err(err))
        }
        PlatformCall::Reject { id, reason } => {
            PlatformReply::Decided(client.reject_request(&id, &reason).await.map_err(err))
        }
        PlatformCall::Verify => PlatformReply::Verified(client.verify().await.map_err(err)),
        PlatformCall::CheckTopic(spec) => {
            let request = ActionRequest::create_topic(&spec);
            let check = PolicyCheck {
                action: request.action_name(),
                target: request.target(),
            };
            let answer = client.check_policy(&check).await.map_err(err);
            PlatformReply::TopicPolicy { spec, answer }
        }
        PlatformCall::CheckAction(request) => {
            let check = PolicyCheck {
                action: request.action_name(),
                target: request.target(),
            };
            let answer = client.check_policy(&check).await.map_err(err);
            PlatformReply::ActionPolicy { request, answer }
        }
        PlatformCall::DeclareShift { team, body } => PlatformReply::Shift {
            removed: false,
            result: client.declare_shift(&team, &body).await.map_err(err),
        },
        PlatformCall::RemoveShift { team, id } => PlatformReply::Shift {
            removed: true,
            result: client.remove_shift(&team, &id).await.map_err(err),
        },
    }
}

/// The reply when there is no platform to call.
#[must_use]
pub fn unavailable(call: &PlatformCall, why: &str) -> PlatformReply {
    match call {
        PlatformCall::Create(_) => PlatformReply::Created(Err(why.to_owned())),
        PlatformCall::Approve(_) | PlatformCall::Reject { .. } => {
            PlatformReply::Decided(Err(why.to_owned()))
        }
        PlatformCall::Verify => PlatformReply::Verified(Err(why.to_owned())),
        PlatformCall::CheckTopic(spec) => PlatformReply::TopicPolicy {
            spec: spec.clone(),
            answer: Err(why.to_owned()),
        },
        PlatformCall::CheckAction(request) => PlatformReply::ActionPolicy {
            request: request.clone(),
            answer: Err(why.to_owned()),
        },
        PlatformCall::DeclareShift { .. } | PlatformCall::RemoveShift { .. } => {
            PlatformReply::Shift {
                removed: matches!(call, PlatformCall::RemoveShift { .. }),
                result: Err(why.to_owned()),
            }
        }
    }
}
