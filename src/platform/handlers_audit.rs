//! Handlers of `/v1/me` and `/v1/audit/*`: intents, outcomes, the trail, and verification.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};

use crate::model::checkpoint::{Checkpoint, CheckpointKeys, CheckpointList};
use crate::model::platform::{
    EventPage, EventQuery, IntentAnswer, IntentBody, Me, OutcomeAnswer, OutcomeBody, PolicyAnswer,
    PolicyCheck, VerifyQuery, VerifyReport,
};
use crate::platform::checkpoint::SignError;
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
    Query(query): Query<VerifyQuery>,
) -> Result<Json<VerifyReport>, ApiError> {
    let at = query
        .seqs()
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, e))?;
    let report = state.store.verify(&at).await?;
    if !report.ok {
        tracing::error!(
            first_bad_event = ?report.first_bad_event,
            reason = ?report.reason,
            "audit chain verification failed"
        );
    }
    Ok(Json(report))
}

/// Query of `GET /v1/audit/checkpoints`.
#[derive(Debug, Clone, Copy, Default, serde::Deserialize)]
pub(crate) struct CheckpointQuery {
    limit: Option<i64>,
}

/// Checkpoints listed when no `limit` is given, and the most ever.
const CHECKPOINTS_DEFAULT: i64 = 20;
const CHECKPOINTS_MAX: i64 = 1000;

pub(crate) async fn list_checkpoints(
    State(state): State<AppState>,
    _caller: Caller,
    Query(query): Query<CheckpointQuery>,
) -> Result<Json<CheckpointList>, ApiError> {
    let limit = query
        .limit
        .unwrap_or(CHECKPOINTS_DEFAULT)
        .clamp(1, CHECKPOINTS_MAX);
    Ok(Json(CheckpointList {
        items: state.store.checkpoints(limit).await?,
    }))
}

pub(crate) async fn latest_checkpoint(
    State(state): State<AppState>,
    _caller: Caller,
) -> Result<Json<Checkpoint>, ApiError> {
    match state.store.checkpoints(1).await?.into_iter().next() {
        Some(c) => Ok(Json(c)),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "no checkpoint has been signed yet",
        )),
    }
}

/// Signs the current head now (any authenticated caller may ask: it only states what is).
pub(crate) async fn sign_checkpoint(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<(StatusCode, Json<Checkpoint>), ApiError> {
    match state.checkpoints.sign_now(&state.store).await {
        Ok(c) => {
            tracing::info!(user = %caller.0.user, seq = c.seq, "checkpoint signed on demand");
            Ok((StatusCode::CREATED, Json(c)))
        }
        Err(SignError::Store(e)) => Err(e.into()),
        Err(e) => Err(ApiError::new(StatusCode::CONFLICT, e.to_string())),
    }
}

/// The current key and every key that signed a stored checkpoint.
pub(crate) async fn checkpoint_keys(
    State(state): State<AppState>,
    _caller: Caller,
) -> Result<Json<CheckpointKeys>, ApiError> {
    let current = state.checkpoints.signer.as_ref().map(|s| s.describe(true));
    let mut keys: Vec<_> = current.iter().cloned().collect();
    for (key_id, public_key) in state.store.checkpoint_keys().await? {
        if keys.iter().all(|k| k.key_id != key_id) {
            keys.push(crate::model::checkpoint::CheckpointKey {
                key_id,
                algorithm: crate::model::checkpoint::ALGORITHM.to_owned(),
                public_key,
                current: false,
            });
        }
    }
    Ok(Json(CheckpointKeys { keys }))
}
