//! The meaning of each write, once for both backends: idempotent intents, at most one
//! outcome per intent, request state machine, approvals. Every function runs inside a
//! transaction that already holds the chain lock, so read-then-append is race free.

use crate::model::oncall::Shift;
use crate::model::platform::{
    ActionApprovalSpec, Actor, AuditEvent, Decision, EventBody, IntentAnswer, OutcomeAnswer,
    Request, RequestSpec, RequestState, SCHEMA, Target,
};
use crate::platform::chain::{ChainRow, canonical_json};
use crate::platform::store::{IntentCtx, StoreError, Transition, Tx, WriteOp, WriteResult};

/// Server time as stored in events (RFC 3339, UTC).
#[must_use]
pub fn now() -> String {
    jiff::Timestamp::now().to_string()
}

fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

pub(crate) async fn write<T: Tx>(tx: &mut T, op: WriteOp) -> Result<WriteResult, StoreError> {
    match op {
        WriteOp::Intent(ctx) => intent(tx, *ctx).await.map(WriteResult::Intent),
        WriteOp::Outcome {
            actor,
            intent_id,
            body,
        } => outcome(tx, actor, &intent_id, body)
            .await
            .map(WriteResult::Outcome),
        WriteOp::CreateRequest { actor, spec } => create_request(tx, &actor, spec)
            .await
            .map(|r| WriteResult::Request(Box::new(r))),
        WriteOp::Transition(t) => transition(tx, *t)
            .await
            .map(|r| WriteResult::Request(Box::new(r))),
        WriteOp::Record(event) => {
            append(tx, &event).await?;
            Ok(WriteResult::Recorded(event.event_id))
        }
        WriteOp::DeclareShift {
            actor,
            shift,
            reason,
        } => declare_shift(tx, &actor, *shift, reason)
            .await
            .map(|s| WriteResult::Shift(Box::new(s))),
        WriteOp::SeedShifts(shifts) => {
            for shift in &shifts {
                tx.insert_shift(shift).await?;
            }
            Ok(WriteResult::Seeded(shifts.len()))
        }
        WriteOp::RemoveShift {
            actor,
            team,
            id,
            reason,
        } => remove_shift(tx, &actor, &team, &id, reason)
            .await
            .map(|s| WriteResult::Shift(Box::new(s))),
    }
}

fn oncall_target(team: &str) -> Target {
    Target {
        kind: "oncall".into(),
        reference: crate::model::oncall::target_ref(team),
        namespace: None,
        name: team.to_owned(),
    }
}

/// Stores a shift and appends its event; both or neither (one transaction).
async fn declare_shift<T: Tx>(
    tx: &mut T,
    actor: &Actor,
    shift: Shift,
    reason: String,
) -> Result<Shift, StoreError> {
    if tx.shift(&shift.id).await?.is_some() {
        return Err(StoreError::Conflict(format!("shift {} exists", shift.id)));
    }
    tx.insert_shift(&shift).await?;
    let body = EventBody::OnCall {
        action: shift.kind.action().to_owned(),
        target: oncall_target(&shift.team),
        shift: shift.clone(),
        reason,
    };
    append(tx, &event(actor, body)).await?;
    Ok(shift)
}

/// Removes a shift of `team` and appends its event (the event keeps the whole shift).
async fn remove_shift<T: Tx>(
    tx: &mut T,
    actor: &Actor,
    team: &str,
    id: &str,
    reason: String,
) -> Result<Shift, StoreError> {
    let Some(shift) = tx.shift(id).await?.filter(|s| s.team == team) else {
        return Err(StoreError::NotFound(format!(
            "no shift {id} in the rota of {team}"
        )));
    };
    tx.delete_shift(id).await?;
    let body = EventBody::OnCall {
        action: crate::model::oncall::ACTION_REMOVE.to_owned(),
        target: oncall_target(team),
        shift: shift.clone(),
        reason,
    };
    append(tx, &event(actor, body)).await?;
    Ok(shift)
}

async fn append<T: Tx>(tx: &mut T, event: &AuditEvent) -> Result<ChainRow, StoreError> {
    let (seq, hash) = tx.head().await?;
    let row = ChainRow::link(event, seq, &hash)?;
    tx.insert_row(&row).await?;
    Ok(row)
}

fn event(actor: &Actor, body: EventBody) -> AuditEvent {
    AuditEvent {
        schema: SCHEMA.into(),
        event_id: new_id(),
        time: now(),
        actor: Some(actor.clone()),
        body,
    }
}

async fn intent<T: Tx>(tx: &mut T, ctx: IntentCtx) -> Result<IntentAnswer, StoreError> {
    let fingerprint =
        crate::platform::auth::token_hash(&canonical_json(&serde_json::to_value(&ctx.body)?));
    if let Some(key) = &ctx.idempotency_key
        && let Some((stored_fp, answer)) = tx.idem_get(&ctx.actor.user, key).await?
    {
        if stored_fp != fingerprint {
            return Err(StoreError::Conflict(
                "Idempotency-Key was already used with a different body".into(),
            ));
        }
        return Ok(serde_json::from_str(&answer)?);
    }

    let event_id = new_id();
    let mut decision = ctx.verdict.decision;
    let mut reason = Some(ctx.verdict.reason.clone());
    let mut request_id = None;
    let mut approval_to_consume = None;
    let mut approval_to_create = None;
    if decision == Decision::NeedsApproval {
        if let Some(approved) = find_approval(tx, &ctx).await? {
            decision = Decision::Allow;
            reason = Some(format!(
                "approved by {} in request {}",
                approved.decided_by.as_deref().unwrap_or("an approver"),
                approved.id
            ));
            request_id = Some(approved.id.clone());
            approval_to_consume = Some(approved);
        } else {
            let id = new_id();
            request_id = Some(id.clone());
            approval_to_create = Some(id);
        }
    }

    let body = ctx.body;
    let intent_event = AuditEvent {
        schema: SCHEMA.into(),
        event_id: event_id.clone(),
        time: now(),
        actor: Some(ctx.actor.clone()),
        body: EventBody::Intent {
            action: body.action.clone(),
            target: body.target.clone(),
            params: body.params.clone(),
            reason: body.reason.clone(),
            client: body.client.clone(),
            client_actor: body.actor.clone(),
            decision,
            decision_reason: reason.clone(),
            request_id: request_id.clone(),
        },
    };
    append(tx, &intent_event).await?;

    if let Some(approved) = approval_to_consume {
        let detail = format!("used by event {event_id}");
        move_request(tx, &ctx.actor, approved, RequestState::Ready, Some(detail)).await?;
    }
    if let Some(id) = approval_to_create {
        let spec = RequestSpec::Action(ActionApprovalSpec {
            intent_event_id: event_id.clone(),
            action: body.action.clone(),
            target: body.target.clone(),
            reason: body.reason.clone(),
        });
        insert_request(tx, &ctx.actor, id, spec).await?;
    }

    let answer = IntentAnswer {
        event_id,
        decision,
        reason,
        request_id,
    };
    if let Some(key) = &ctx.idempotency_key {
        tx.idem_put(
            &ctx.actor.user,
            key,
            &fingerprint,
            &serde_json::to_string(&answer)?,
        )
        .await?;
    }
    Ok(answer)
}

/// An approved, unused approval of the same user for the same action and target.
async fn find_approval<T: Tx>(tx: &mut T, ctx: &IntentCtx) -> Result<Option<Request>, StoreError> {
    let approved = tx.approved_actions(&ctx.actor.user).await?;
    Ok(approved.into_iter().find(|r| match &r.spec {
        RequestSpec::Action(a) => {
            a.action == ctx.body.action && a.target.reference == ctx.body.target.reference
        }
        _ => false,
    }))
}

async fn outcome<T: Tx>(
    tx: &mut T,
    actor: Actor,
    intent_id: &str,
    body: crate::model::platform::OutcomeBody,
) -> Result<OutcomeAnswer, StoreError> {
    let Some(row) = tx.event(intent_id).await? else {
        return Err(StoreError::NotFound(format!("no event {intent_id}")));
    };
    let intent = row.event()?;
    let EventBody::Intent {
        action,
        target,
        decision,
        ..
    } = intent.body
    else {
        return Err(StoreError::Invalid(format!(
            "event {intent_id} is a {}, not an intent",
            row.kind
        )));
    };
    if intent.actor.as_ref().map(|a| a.user.as_str()) != Some(actor.user.as_str()) {
        return Err(StoreError::Forbidden(
            "only the actor of an intent may record its outcome".into(),
        ));
    }
    if decision != Decision::Allow {
        return Err(StoreError::Conflict(format!(
            "intent {intent_id} was not allowed, so it has no outcome"
        )));
    }
    if let Some(existing) = tx.outcome_of(intent_id).await? {
        let prior = existing.event()?;
        if let EventBody::Outcome { status, detail, .. } = prior.body
            && status == body.status
            && detail == body.detail
        {
            return Ok(OutcomeAnswer {
                event_id: prior.event_id,
                intent_id: intent_id.to_owned(),
                status,
                detail,
                duplicate: true,
            });
        }
        return Err(StoreError::Conflict(format!(
            "a different outcome was already recorded for {intent_id} (event {})",
            existing.event_id
        )));
    }
    let ev = event(
        &actor,
        EventBody::Outcome {
            intent_id: intent_id.to_owned(),
            action,
            target,
            status: body.status,
            detail: body.detail.clone(),
        },
    );
    append(tx, &ev).await?;
    Ok(OutcomeAnswer {
        event_id: ev.event_id,
        intent_id: intent_id.to_owned(),
        status: body.status,
        detail: body.detail,
        duplicate: false,
    })
}

async fn create_request<T: Tx>(
    tx: &mut T,
    actor: &Actor,
    spec: RequestSpec,
) -> Result<Request, StoreError> {
    if matches!(spec, RequestSpec::Action(_)) {
        return Err(StoreError::Invalid(
            "action approvals are created by the audit gate, not submitted".into(),
        ));
    }
    insert_request(tx, actor, new_id(), spec).await
}

async fn insert_request<T: Tx>(
    tx: &mut T,
    actor: &Actor,
    id: String,
    spec: RequestSpec,
) -> Result<Request, StoreError> {
    let time = now();
    let request = Request {
        id,
        spec,
        requester: actor.user.clone(),
        state: RequestState::Submitted,
        state_reason: None,
        result: None,
        decided_by: None,
        created: time.clone(),
        updated: time,
    };
    tx.put_request(&request, true).await?;
    append(tx, &request_event(actor, &request, None)).await?;
    Ok(request)
}

fn request_event(actor: &Actor, request: &Request, detail: Option<String>) -> AuditEvent {
    let spec_target = request.spec.target();
    event(
        actor,
        EventBody::Request {
            request_id: request.id.clone(),
            action: format!("request.{}", request.state.as_str()),
            target: Target {
                kind: "request".into(),
                reference: format!("request:{}", request.id),
                namespace: None,
                name: spec_target.reference,
            },
            state: request.state,
            detail,
        },
    )
}

async fn transition<T: Tx>(tx: &mut T, t: Transition) -> Result<Request, StoreError> {
    let Some(mut request) = tx.request(&t.request_id).await? else {
        return Err(StoreError::NotFound(format!("no request {}", t.request_id)));
    };
    if !t.from.contains(&request.state) {
        return Err(StoreError::Conflict(format!(
            "request {} is {}, cannot become {}",
            request.id,
            request.state.as_str(),
            t.to.as_str()
        )));
    }
    if t.decision {
        request.decided_by = Some(t.actor.user.clone());
    }
    if t.result.is_some() {
        request.result = t.result;
    }
    move_request(tx, &t.actor, request, t.to, t.reason).await
}

async fn move_request<T: Tx>(
    tx: &mut T,
    actor: &Actor,
    mut request: Request,
    to: RequestState,
    reason: Option<String>,
) -> Result<Request, StoreError> {
    request.state = to;
    request.state_reason.clone_from(&reason);
    request.updated = now();
    tx.put_request(&request, false).await?;
    append(tx, &request_event(actor, &request, reason)).await?;
    Ok(request)
}
