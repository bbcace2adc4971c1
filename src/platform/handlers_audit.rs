//! Handlers of `/v1/me` and `/v1/audit/*`: intents, outcomes, the trail, and verification.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};

use crate::model::platform::{
    EventPage, EventQuery, IntentAnswer, IntentBody, Me, OutcomeAnswer, OutcomeBody, PolicyAnswer,
    PolicyCheck, VerifyReport,
};
use crate::platform::server::{ApiError, AppState, Caller};
use crate::platform::store::IntentCtx;

/// Longest accepted `Idempotency-Key`; UUIDs are 36 characters.
const MAX_KEY: usize = 200;
/// Policy action that lets a non-approver read everyone's trail.
pub(crate) const AUDIT_READ: &str = "audit.read";

pub(crate) async fn me(State(state): State<AppState>, caller: Caller) -> Json<Me> {
    let mut roles = Vec::new();
    if state.policy.is_approver(&caller.0.groups) {
        roles.push("approver".to_owned());
    }
    if reads_all(&state, &caller) {
        roles.push("auditor".to_owned());
    }
    Json(Me {
        user: caller.0.user,
        groups: caller.0.groups,
        roles,
    })
}

/// What policy would decide for the caller, recording nothing: a question, not an intent.
pub(crate) async fn policy_check(
    State(state): State<AppState>,
    caller: Caller,
    Json(check): Json<PolicyCheck>,
) -> Json<PolicyAnswer> {
    let verdict = state
        .policy
        .decide(&check.action, &check.target.reference, &caller.0.groups);
    Json(PolicyAnswer {
        decision: verdict.decision,
        reason: verdict.reason,
    })
}

fn reads_all(state: &AppState, caller: &Caller) -> bool {
    state.policy.is_approver(&caller.0.groups)
        || state
            .policy
            .decide(AUDIT_READ, "audit", &caller.0.groups)
            .decision
            == crate::model::platform::Decision::Allow
}

pub(crate) async fn post_event(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Json(body): Json<IntentBody>,
) -> Result<Json<IntentAnswer>, ApiError> {
    if body.action.trim().is_empty() || body.target.reference.trim().is_empty() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "action and target.ref are required",
        ));
    }
    let idempotency_key = match headers.get("idempotency-key") {
        None => None,
        Some(v) => match v.to_str() {
            Ok(k) if !k.is_empty() && k.len() <= MAX_KEY => Some(k.to_owned()),
            _ => {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    format!("Idempotency-Key must be 1..={MAX_KEY} visible ASCII characters"),
                ));
            }
        },
    };
    let verdict = state
        .policy
        .decide(&body.action, &body.target.reference, &caller.0.groups);
    let answer = state
        .store
        .record_intent(IntentCtx {
            actor: caller.actor(),
            idempotency_key,
            body,
            verdict,
        })
        .await?;
    tracing::info!(
        event = %answer.event_id,
        user = %caller.0.user,
        decision = ?answer.decision,
        "audit intent"
    );
    Ok(Json(answer))
}

pub(crate) async fn post_outcome(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<OutcomeBody>,
) -> Result<(StatusCode, Json<OutcomeAnswer>), ApiError> {
    let answer = state.store.record_outcome(caller.actor(), id, body).await?;
    let status = if answer.duplicate {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(answer)))
}

pub(crate) async fn list_events(
    State(state): State<AppState>,
    caller: Caller,
    Query(mut query): Query<EventQuery>,
) -> Result<Json<EventPage>, ApiError> {
    if !reads_all(&state, &caller) {
        // Everyone may read their own trail; the whole trail is for approvers and auditors.
        match &query.actor {
            Some(actor) if actor != &caller.0.user => {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "only approvers and auditors may read other users' events",
                ));
            }
            _ => query.actor = Some(caller.0.user.clone()),
        }
    }
    Ok(Json(state.store.list_events(&query).await?))
}

pub(crate) async fn verify(
    State(state): State<AppState>,
    _caller: Caller,
) -> Result<Json<VerifyReport>, ApiError> {
    let report = state.store.verify().await?;
    if !report.ok {
        tracing::error!(
            first_bad_event = ?report.first_bad_event,
            reason = ?report.reason,
            "audit chain verification failed"
        );
    }
    Ok(Json(report))
}
