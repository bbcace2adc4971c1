//! Carries out [`PlatformCall`]s for the run loop and turns answers into [`PlatformReply`]s.

use crate::app::msg::{PlatformCall, PlatformReply};
use crate::model::action::ActionRequest;
use crate::model::platform::PolicyCheck;
use crate::sources::platform::PlatformClient;

/// Makes one call; `verify` trusts no checkpoint key and keeps nothing.
pub async fn call(client: &PlatformClient, call: PlatformCall) -> PlatformReply {
    call_with(client, call, &Trust::default()).await
}

/// What `verify` holds a platform to: the checkpoint keys it trusts, and where the newest
/// checkpoint seen is kept.
#[derive(Debug, Clone, Default)]
pub struct Trust {
    pub keys: Vec<crate::model::checkpoint::PublicKey>,
    pub data_dir: Option<std::path::PathBuf>,
}

/// Makes one call, `verify` under `trust`.
pub async fn call_with(
    client: &PlatformClient,
    call: PlatformCall,
    trust: &Trust,
) -> PlatformReply {
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
        PlatformCall::Verify => PlatformReply::Verified(
            super::checkpoint_check::verify(client, &trust.keys, trust.data_dir.as_deref())
                .await
                .map(Box::new),
        ),
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
