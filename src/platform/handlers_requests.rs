//! Handlers of `/v1/requests*`: submit, list, read, approve, reject, and the background
//! fulfilment an approval starts. Who may *submit* is policy (`request.<kind>` on the
//! request's target); deciding is always for approvers, so policy cannot waive review.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;

use crate::model::platform::{
    Actor, AuditEvent, Decision, EventBody, RejectBody, Request, RequestList, RequestSpec,
    RequestState, SCHEMA, Target,
};
use crate::platform::fulfil::Plan;
use crate::platform::server::{ApiError, AppState, Caller};
use crate::platform::store::{Transition, now};

/// The actor recorded for what the server does on its own (fulfilment).
fn platform_actor() -> Actor {
    Actor {
        user: "platform".into(),
        groups: Vec::new(),
    }
}

fn validate(spec: &RequestSpec) -> Result<(), String> {
    let blank = |s: &str| s.trim().is_empty();
    match spec {
        RequestSpec::ReadReplica(s) => {
            if blank(&s.database) || blank(&s.size) || blank(&s.ttl) {
                return Err("database, size and ttl are required".into());
            }
        }
        RequestSpec::KafkaTopic(s) => {
            if blank(&s.name) || blank(&s.owner_service) {
                return Err("name and owner_service are required".into());
            }
            if s.partitions < 1 || s.replication < 1 {
                return Err("partitions and replication must be at least 1".into());
            }
        }
        RequestSpec::Action(_) => {
            return Err("action approvals are created by the audit gate, not submitted".into());
        }
    }
    if blank(spec.reason()) {
        return Err("a reason is required".into());
    }
    Ok(())
}

/// Records a refused call in the chain, then builds the 403.
pub(crate) async fn forbidden(
    state: &AppState,
    caller: &Caller,
    action: &str,
    target: Target,
    reason: String,
) -> ApiError {
    let event = AuditEvent {
        schema: SCHEMA.into(),
        event_id: uuid::Uuid::now_v7().to_string(),
        time: now(),
        actor: Some(caller.actor()),
        body: EventBody::Forbidden {
            action: action.to_owned(),
            target,
            reason: reason.clone(),
        },
    };
    if let Err(e) = state.store.record(event).await {
        tracing::error!(error = %e, "cannot record a refused call");
    }
    ApiError::new(StatusCode::FORBIDDEN, reason)
}

pub(crate) async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Json(spec): Json<RequestSpec>,
) -> Result<(StatusCode, Json<Request>), ApiError> {
    validate(&spec).map_err(|m| ApiError::new(StatusCode::BAD_REQUEST, m))?;
    let action = format!("request.{}", spec.kind());
    let target = spec.target();
    let verdict = state
        .policy
        .decide(&action, &target.reference, &caller.0.groups);
    if verdict.decision == Decision::Deny {
        return Err(forbidden(&state, &caller, &action, target, verdict.reason).await);
    }
    let request = state.store.create_request(caller.actor(), spec).await?;
    tracing::info!(request = %request.id, user = %caller.0.user, kind = request.spec.kind(), "request submitted");
    Ok((StatusCode::CREATED, Json(request)))
}

#[derive(Debug, Deserialize)]
pub(crate) struct ListQuery {
    #[serde(default)]
    all: bool,
}

pub(crate) async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<ListQuery>,
) -> Result<Json<RequestList>, ApiError> {
    let approver = state.policy.is_approver(&caller.0.groups);
    if q.all && !approver {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "only approvers may list everyone's requests",
        ));
    }
    let requester = if q.all {
        None
    } else {
        Some(caller.0.user.as_str())
    };
    let items = state.store.list_requests(requester).await?;
    Ok(Json(RequestList { items }))
}

pub(crate) async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Request>, ApiError> {
    let request = state.store.get_request(&id).await?;
    match request {
        Some(r) if r.requester == caller.0.user || state.policy.is_approver(&caller.0.groups) => {
            Ok(Json(r))
        }
        // Other users' requests look absent rather than forbidden, so ids cannot be probed.
        _ => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no request {id}"),
        )),
    }
}

/// Loads a request for an approver's decision, enforcing who may decide.
async fn for_decision(
    state: &AppState,
    caller: &Caller,
    id: &str,
    verb: &str,
) -> Result<Request, ApiError> {
    let target = Target {
        kind: "request".into(),
        reference: format!("request:{id}"),
        namespace: None,
        name: id.to_owned(),
    };
    let action = format!("request.{verb}");
    if !state.policy.is_approver(&caller.0.groups) {
        let reason = format!("only approvers may {verb} requests");
        return Err(forbidden(state, caller, &action, target, reason).await);
    }
    let Some(request) = state.store.get_request(id).await? else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no request {id}"),
        ));
    };
    if request.requester == caller.0.user && !state.policy.self_approval {
        let reason = format!("you cannot {verb} your own request (four eyes)");
        return Err(forbidden(state, caller, &action, target, reason).await);
    }
    Ok(request)
}

pub(crate) async fn approve(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Request>, ApiError> {
    let request = for_decision(&state, &caller, &id, "approve").await?;
    let plan = state.fulfil.plan(&request.spec);
    let reason = match &plan {
        Plan::Manual(reason) => Some(reason.clone()),
        Plan::Automatic => None,
    };
    let approved = state
        .store
        .transition(Transition {
            actor: caller.actor(),
            request_id: id,
            from: vec![RequestState::Submitted],
            to: RequestState::Approved,
            reason,
            result: None,
            decision: true,
        })
        .await?;
    tracing::info!(request = %approved.id, by = %caller.0.user, "request approved");
    if plan == Plan::Automatic {
        tokio::spawn(fulfil_in_background(state.clone(), approved.clone()));
    }
    Ok(Json(approved))
}

pub(crate) async fn reject(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<RejectBody>,
) -> Result<Json<Request>, ApiError> {
    if body.reason.trim().is_empty() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "a reason is required",
        ));
    }
    for_decision(&state, &caller, &id, "reject").await?;
    let rejected = state
        .store
        .transition(Transition {
            actor: caller.actor(),
            request_id: id,
            from: vec![RequestState::Submitted],
            to: RequestState::Rejected,
            reason: Some(body.reason),
            result: None,
            decision: true,
        })
        .await?;
    Ok(Json(rejected))
}

/// approved → provisioning → ready | failed. Runs detached from the approving call, since
/// provisioning can take minutes; clients poll the request.
async fn fulfil_in_background(state: AppState, request: Request) {
    let step = |from, to, reason: Option<String>, result| Transition {
        actor: platform_actor(),
        request_id: request.id.clone(),
        from: vec![from],
        to,
        reason,
        result,
        decision: false,
    };
    let provisioning = state
        .store
        .transition(step(
            RequestState::Approved,
            RequestState::Provisioning,
            Some("fulfilment started".into()),
            None,
        ))
        .await;
    let request = match provisioning {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(request = %request.id, error = %e, "cannot start fulfilment");
            return;
        }
    };
    let (to, reason, result) = match state.fulfil.fulfil(&request).await {
        Ok(result) => {
            let detail = result
                .get("detail")
                .and_then(serde_json::Value::as_str)
                .unwrap_or("fulfilled")
                .to_owned();
            (RequestState::Ready, detail, Some(result))
        }
        Err(e) => (RequestState::Failed, e, None),
    };
    tracing::info!(request = %request.id, state = to.as_str(), %reason, "fulfilment finished");
    if let Err(e) = state
        .store
        .transition(step(RequestState::Provisioning, to, Some(reason), result))
        .await
    {
        tracing::error!(request = %request.id, error = %e, "cannot record fulfilment result");
    }
}

/// Reason given to requests whose fulfilment was cut off by a server stop.
pub(crate) const INTERRUPTED: &str = "fulfilment interrupted (the platform server stopped while provisioning); submit the request again";

/// Fails requests stuck in `provisioning` for longer than the provision timeout: their
/// fulfilment died with a previous server process. Younger ones may still be running on
/// another replica, which would itself have timed them out by now, so they are left alone.
pub(crate) async fn recover_interrupted(state: &AppState) {
    let requests = match state.store.list_requests(None).await {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, "cannot look for interrupted requests");
            return;
        }
    };
    let now = jiff::Timestamp::now();
    let limit =
        jiff::SignedDuration::try_from(state.fulfil.timeout).unwrap_or(jiff::SignedDuration::MAX);
    for request in requests {
        let Ok(updated) = request.updated.parse::<jiff::Timestamp>() else {
            continue;
        };
        if request.state != RequestState::Provisioning || now.duration_since(updated) < limit {
            continue;
        }
        let result = state
            .store
            .transition(Transition {
                actor: platform_actor(),
                request_id: request.id.clone(),
                from: vec![RequestState::Provisioning],
                to: RequestState::Failed,
                reason: Some(INTERRUPTED.into()),
                result: None,
                decision: false,
            })
            .await;
        match result {
            Ok(_) => tracing::warn!(request = %request.id, "failed an interrupted request"),
            Err(e) => {
                tracing::error!(request = %request.id, error = %e, "cannot fail an interrupted request");
            }
        }
    }
}
